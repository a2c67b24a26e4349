/*
 * ckpt.c - CKPT, the control-file heartbeat.
 *
 * Every ckpt_interval_ms CKPT rewrites this instance's checkpoint progress
 * record in the control file (block CTL_BLK_CKPT(inst)), durably, with a
 * progress count that only goes up.  Other instances watch the count: one
 * that stops advancing for ckpt_timeout_ms triggers IMR against us.
 *
 * The first record is written before CKPT registers in the NM group, so an
 * instance that reaches MOUNTED has a live control-file heartbeat.
 *
 * The writes run on an I/O worker (lib/aio.h), waited for at most the I/O
 * timeout: a control file that does not answer makes records missed --
 * logged once, and the others' LMON judges the count that stops moving --
 * but never stops CKPT stamping its NM slot, which would have the guardian
 * take the whole instance down as hung.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aio.h"
#include "ctl_call.h"
#include "disk.h"
#include "errors.h"
#include "log.h"
#include "member.h"

#define COMP "CKPT"

struct ckpt_state {
	int cs_fd;
	uint64_t cs_seq;		/* block sequence */
	struct ctl_ckpt cs_rec;
	int cs_failing;			/* last write failed: log recovery once */
	int cs_fenced;			/* refused to write: lease lapsed */
	struct aio *cs_aio;		/* the control file's I/O worker */
	struct ctl_call cs_call;	/* the call handed to it */
	uint64_t cs_id;
	int cs_busy;			/* not back yet */
	uint64_t cs_missed;		/* records missed while it was out */
};

static struct ckpt_state ckpt_state = { .cs_fd = -1 };

/*
 * Run one call on the worker, waiting at most the I/O timeout.  While an
 * earlier call is still out nothing new is handed over: RAC_ETIMEDOUT.
 */
static int ckpt_call(struct member *m, struct ctl_call *cc)
{
	struct ckpt_state *cs = &ckpt_state;

	if (cs->cs_busy) {
		if (aio_poll(cs->cs_aio, cs->cs_id, NULL, NULL) != 1) {
			errno = ETIMEDOUT;
			return RAC_ETIMEDOUT;
		}
		cs->cs_busy = 0;
	}
	cc->cc_fd = cs->cs_fd;
	cs->cs_call = *cc;
	if (aio_submit(cs->cs_aio, ctl_call_io, &cs->cs_call, &cs->cs_id)) {
		errno = ETIMEDOUT;
		return RAC_ETIMEDOUT;
	}
	cs->cs_busy = 1;
	if (aio_wait(cs->cs_aio, cs->cs_id, (int)m->m_to.to_io_timeout_ms, NULL, NULL) != 1) {
		errno = ETIMEDOUT;
		return RAC_ETIMEDOUT;
	}
	cs->cs_busy = 0;
	*cc = cs->cs_call;
	errno = cc->cc_errno;
	return cc->cc_rc;
}

static int ckpt_write(struct member *m)
{
	struct ckpt_state *cs = &ckpt_state;
	uint64_t inc = sga_load(&sga_cluster(&m->m_sga)->cl_incarnation);
	int rc;

	/* a fenced instance, or one whose lease lapsed, writes nothing more */
	if (!sga_may_write_disk(&m->m_sga)) {
		if (!cs->cs_fenced++)
			log_alert("CKPT stops writing the checkpoint progress record: this "
				  "instance's voting-disk lease has lapsed or it was fenced");
		return RAC_EIO;
	}
	if (cs->cs_busy && aio_poll(cs->cs_aio, cs->cs_id, NULL, NULL) != 1) {
		/* the last record is still out: this one is missed, not waited for */
		cs->cs_missed++;
		member_count(m, CNT_CKPT_WRITE_ERRORS);
		return RAC_ETIMEDOUT;
	}
	if (cs->cs_missed) {
		log_info(COMP, "the control file answers again; %llu checkpoint progress records "
			 "were missed", (unsigned long long)cs->cs_missed);
		cs->cs_missed = 0;
	}
	cs->cs_busy = 0;
	cs->cs_seq++;
	cs->cs_rec.ck_count++;
	cs->cs_rec.ck_time_us = rac_now_us();
	rc = ckpt_call(m, &(struct ctl_call){ .cc_op = CTL_CALL_WRITE_CKPT, .cc_ck = cs->cs_rec,
					       .cc_inc = inc, .cc_seq = cs->cs_seq });
	if (rc == RAC_ETIMEDOUT) {
		cs->cs_missed++;
		member_count(m, CNT_CKPT_WRITE_ERRORS);
		log_error(COMP, "checkpoint progress record %llu not written within the I/O timeout "
			  "(%u ms): the control file does not answer; records are missed until it "
			  "does", (unsigned long long)cs->cs_rec.ck_count, m->m_to.to_io_timeout_ms);
		cs->cs_failing = 1;
		return rc;
	}
	if (rc) {
		member_count(m, CNT_CKPT_WRITE_ERRORS);
		if (!cs->cs_failing)
			log_error(COMP, "cannot write the checkpoint progress record: %s (%s)",
				  rac_strerror(rc), strerror(errno));
		cs->cs_failing = 1;
		return rc;
	}
	if (cs->cs_failing)
		log_info(COMP, "checkpoint progress record written again (count %llu)",
			 (unsigned long long)cs->cs_rec.ck_count);
	cs->cs_failing = 0;
	member_count(m, CNT_CKPT_WRITES);
	log_debug(COMP, "checkpoint progress record count %llu",
		  (unsigned long long)cs->cs_rec.ck_count);
	return 0;
}

static int ckpt_init(struct member *m, char *err, size_t errlen)
{
	struct ckpt_state *cs = &ckpt_state;
	char path[RAC_PATH_MAX + 16];
	struct blk_hdr h;
	int rc;

	config_control_path(m->m_cfg, path, sizeof(path));
	cs->cs_fd = disk_open(path, 1);
	if (cs->cs_fd < 0) {
		snprintf(err, errlen, "cannot open the control file %s: %s", path,
			 strerror(errno));
		return -1;
	}
	cs->cs_aio = aio_new("control", 1, (uint64_t)m->m_to.to_io_timeout_ms * 1000000ull);
	if (!cs->cs_aio) {
		snprintf(err, errlen, "cannot start the control file's I/O worker: %s",
			 strerror(errno));
		return -1;
	}
	/* carry on from our previous record, if it can be trusted */
	{
		struct ctl_call cc = { .cc_op = CTL_CALL_READ_CKPT, .cc_inst = m->m_inst };

		rc = ckpt_call(m, &cc);
		cs->cs_rec = cc.cc_ck;
		h = cc.cc_h;
	}
	if (rc == RAC_ETIMEDOUT) {
		snprintf(err, errlen, "the control file %s does not answer (I/O timeout %u ms)",
			 path, m->m_to.to_io_timeout_ms);
		return -1;
	}
	if (rc == 0) {
		cs->cs_seq = h.bh_sequence;
	} else {
		/* unreadable (a bad sector) or corrupt: started afresh, and rewritten below */
		if (rc != RAC_EBLK_ZERO) {
			member_count(m, rc == RAC_EIO || rc == RAC_EBLK_SHORT ? CNT_DISK_IO_ERRORS :
				     CNT_DISK_BLOCKS_CORRUPT);
			member_count(m, CNT_CKPT_CORRUPT_REPAIRED);
			log_alert("Checkpoint progress record of instance %d in %s is %s (%s); "
				  "rewriting it", m->m_inst, path,
				  rc == RAC_EIO || rc == RAC_EBLK_SHORT ? "unreadable" : "corrupt",
				  rac_strerror(rc));
		}
		memset(&cs->cs_rec, 0, sizeof(cs->cs_rec));
		cs->cs_seq = 0;
	}
	cs->cs_rec.ck_inst = (uint32_t)m->m_inst;
	cs->cs_rec.ck_pid = (int32_t)getpid();
	cs->cs_rec.ck_started_us = rac_now_us();
	rc = ckpt_write(m);
	if (rc) {
		snprintf(err, errlen, "cannot write the checkpoint progress record to %s: %s",
			 path, strerror(errno));
		return -1;
	}
	log_info(COMP, "control-file heartbeat every %d ms in %s", m->m_cfg->cf_ckpt_interval_ms,
		 path);
	return 0;
}

static int ckpt_period(const struct member *m)
{
	return m->m_cfg->cf_ckpt_interval_ms;
}

static int ckpt_tick(struct member *m)
{
	ckpt_write(m);
	return 0;	/* a failing disk is for LMON's voting logic to judge */
}

static void ckpt_fini(struct member *m)
{
	(void)m;
	if (ckpt_state.cs_busy && aio_outstanding(ckpt_state.cs_aio)) {
		aio_destroy(&ckpt_state.cs_aio);	/* the stuck write keeps its fd */
		return;
	}
	aio_destroy(&ckpt_state.cs_aio);
	if (ckpt_state.cs_fd >= 0)
		close(ckpt_state.cs_fd);
}

static const struct member_ops ckpt_ops = {
	.mo_init = ckpt_init,
	.mo_period_ms = ckpt_period,
	.mo_tick = ckpt_tick,
	.mo_fini = ckpt_fini,
};

int main(int argc, char **argv)
{
	return member_main(argc, argv, RAC_ROLE_CKPT, &ckpt_ops);
}
