/*
 * ckpt.c - CKPT, the control-file heartbeat.
 *
 * Every ckpt_interval_ms CKPT rewrites this instance's checkpoint progress
 * record (block CTL_BLK_CKPT(inst)) on every copy of the control area
 * (lib/ctl_area.h), durably, by majority, with a
 * progress count that only goes up.  Other instances watch the count: one
 * that stops advancing for ckpt_timeout_ms triggers IMR against us.
 *
 * The first record is written before CKPT registers in the NM group, so an
 * instance that reaches MOUNTED has a live control-file heartbeat.
 *
 * The writes run on one I/O worker per copy (lib/aio.h), waited for at most
 * the I/O timeout: a copy that does not answer costs nothing while a
 * majority does; without a majority records are missed --
 * logged once, and the others' LMON judges the count that stops moving --
 * but never stops CKPT stamping its NM slot, which would have the guardian
 * take the whole instance down as hung.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aio.h"
#include "ctl_area.h"
#include "disk.h"
#include "errors.h"
#include "log.h"
#include "member.h"

#define COMP "CKPT"

struct ckpt_state {
	uint64_t cs_seq;		/* block sequence */
	struct ctl_ckpt cs_rec;
	int cs_failing;			/* last write failed: log recovery once */
	int cs_fenced;			/* refused to write: lease lapsed */
	struct ctl_area cs_area;	/* the control area's copies, one worker each */
	uint64_t cs_missed;		/* records missed while no majority answered */
};

static struct ckpt_state ckpt_state;

/* a copy that hangs or answers again: LMON alerts, CKPT notes it */
static void copy_event(void *arg, const struct ctl_copy *cp, int ev, uint32_t blkno, int rc)
{
	char name[RAC_PATH_MAX + 48];

	(void)arg;
	(void)blkno;
	ctl_copy_name(cp, name, sizeof(name));
	if (ev == CTL_COPY_HUNG)
		log_warn(COMP, "control area copy on %s does not answer; writing to the others",
			 name);
	else if (ev == CTL_COPY_BACK)
		log_info(COMP, "control area copy on %s answers again (after %d ms)", name, rc);
}

/* one call on every copy, by majority, waiting at most the I/O timeout */
static int ckpt_call(struct ctl_call *cc)
{
	return ctl_area_call(&ckpt_state.cs_area, cc);
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
	cs->cs_seq++;
	cs->cs_rec.ck_count++;
	cs->cs_rec.ck_time_us = rac_now_us();
	rc = ckpt_call(&(struct ctl_call){ .cc_op = CTL_CALL_WRITE_CKPT, .cc_ck = cs->cs_rec,
					    .cc_inc = inc, .cc_seq = cs->cs_seq });
	if (rc == RAC_ETIMEDOUT) {
		if (!cs->cs_missed++)
			log_error(COMP, "checkpoint progress record %llu not written to a majority of "
				  "the control area's copies within the I/O timeout (%u ms); records "
				  "are missed until a majority answers",
				  (unsigned long long)cs->cs_rec.ck_count, m->m_to.to_io_timeout_ms);
		member_count(m, CNT_CKPT_WRITE_ERRORS);
		cs->cs_failing = 1;
		return rc;
	}
	if (cs->cs_missed) {
		log_info(COMP, "a majority of the control area's copies answers again; %llu "
			 "checkpoint progress records were missed", (unsigned long long)cs->cs_missed);
		cs->cs_missed = 0;
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
	struct blk_hdr h;
	int rc;

	ctl_area_init(&cs->cs_area, m->m_cfg, 1, (uint64_t)m->m_to.to_io_timeout_ms * 1000000ull);
	cs->cs_area.ca_event = copy_event;
	if (ctl_area_start(&cs->cs_area, "ctl")) {
		snprintf(err, errlen, "cannot start the control area's I/O workers: %s",
			 strerror(errno));
		return -1;
	}
	/* carry on from our previous record, if it can be trusted */
	{
		struct ctl_call cc = { .cc_op = CTL_CALL_READ_CKPT, .cc_inst = m->m_inst };

		rc = ckpt_call(&cc);
		cs->cs_rec = cc.cc_ck;
		h = cc.cc_h;
	}
	if (rc == RAC_ETIMEDOUT) {
		snprintf(err, errlen, "no majority of the control area's copies answers (I/O "
			 "timeout %u ms)", m->m_to.to_io_timeout_ms);
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
			log_alert("Checkpoint progress record of instance %d is corrupt in every "
				  "copy of the control area that answered (%s); rewriting it",
				  m->m_inst, rac_strerror(rc));
		}
		memset(&cs->cs_rec, 0, sizeof(cs->cs_rec));
		cs->cs_seq = 0;
	}
	cs->cs_rec.ck_inst = (uint32_t)m->m_inst;
	cs->cs_rec.ck_pid = (int32_t)getpid();
	cs->cs_rec.ck_started_us = rac_now_us();
	rc = ckpt_write(m);
	if (rc) {
		snprintf(err, errlen, "cannot write the checkpoint progress record to a majority "
			 "of the control area's copies: %s", strerror(errno));
		return -1;
	}
	log_info(COMP, "control-file heartbeat every %d ms on %d copies of the control area",
		 m->m_cfg->cf_ckpt_interval_ms, cs->cs_area.ca_n);
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
	ctl_area_close(&ckpt_state.cs_area);	/* a stuck write keeps its fd */
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
