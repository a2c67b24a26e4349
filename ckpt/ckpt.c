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
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl_io.h"
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
};

static struct ckpt_state ckpt_state = { .cs_fd = -1 };

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
	rc = ctl_write_ckpt(cs->cs_fd, &cs->cs_rec, inc, cs->cs_seq);
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
	/* carry on from our previous record, if it can be trusted */
	rc = ctl_read_ckpt(cs->cs_fd, m->m_inst, &cs->cs_rec, &h);
	if (rc == 0) {
		cs->cs_seq = h.bh_sequence;
	} else {
		if (rc != RAC_EBLK_ZERO) {
			member_count(m, CNT_DISK_BLOCKS_CORRUPT);
			member_count(m, CNT_CKPT_CORRUPT_REPAIRED);
			log_alert("Checkpoint progress record of instance %d in %s is corrupt "
				  "(%s); rewriting it", m->m_inst, path, rac_strerror(rc));
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
