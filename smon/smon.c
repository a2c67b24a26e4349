/*
 * smon.c - SMON, instance recovery after a failure.
 *
 * When a reconfiguration removed instances, LMS rebuilds the GRD and holds
 * the PW and EX locks the departed instances had (their value blocks marked
 * dubious): what they protected may be half written.  Then LMS posts SMON
 * (shm/handover.h: rcfg_post_smon).  SMON recovers each departed instance
 * -- it reads the instance's last checkpoint progress record from the
 * control file, where recovery of its changes starts -- and says so
 * (rcfg_smon_done).  LMS releases what it held for recovery, which grants
 * the waiters, and reports how many (rcfg_released); SMON then records the
 * end of instance recovery in the alert log.
 *
 * Every surviving instance's SMON does this for the locks its own LMS
 * masters, so each instance's alert log tells its part.  Dead local
 * clients' locks are released by LMS itself as soon as it sees them go.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aio.h"
#include "ctl_io.h"
#include "disk.h"
#include "errors.h"
#include "handover.h"
#include "log.h"
#include "member.h"

#define COMP "SMON"

/* the read of one checkpoint record, on SMON's I/O worker: the open too */
struct ckpt_read {
	char cr_path[RAC_PATH_MAX + 16];
	int cr_fd;			/* the worker's; -1 not open */
	int cr_inst;
	struct ctl_ckpt cr_ck;
	int cr_open_rc;
	int cr_rc;
	int cr_errno;
};

static struct {
	struct aio *sm_aio;		/* the control file's I/O worker */
	struct ckpt_read sm_read;	/* its op */
	uint64_t sm_read_id;
	int sm_read_busy;		/* not back yet: the control file hangs */
	uint64_t sm_seen;		/* last post taken */
	uint64_t sm_insts;		/* being recovered */
	uint64_t sm_started_ns;		/* 0: no recovery running */
	uint64_t sm_wait_until_ns;
} smon = { .sm_read = { .cr_fd = -1 } };

static int ckpt_read_io(void *arg)
{
	struct ckpt_read *cr = arg;
	struct blk_hdr h;

	cr->cr_open_rc = 0;
	if (cr->cr_fd < 0)
		cr->cr_fd = disk_open(cr->cr_path, 0);
	if (cr->cr_fd < 0) {
		cr->cr_open_rc = RAC_ESYS;
		cr->cr_errno = errno;
		return RAC_ESYS;
	}
	cr->cr_rc = ctl_read_ckpt(cr->cr_fd, cr->cr_inst, &cr->cr_ck, &h);
	cr->cr_errno = errno;
	return cr->cr_rc;
}

/*
 * The record is read on the worker, waiting at most the I/O timeout: a
 * control file that does not answer costs the alert line its detail, never
 * SMON its NM heartbeat.
 */
static void describe_ckpt(struct member *m, int inst, char *buf, size_t len)
{
	struct ckpt_read *cr = &smon.sm_read;
	uint32_t tmo = m->m_to.to_io_timeout_ms;

	if (!smon.sm_aio) {
		config_control_path(m->m_cfg, cr->cr_path, sizeof(cr->cr_path));
		smon.sm_aio = aio_new("control", 1, (uint64_t)tmo * 1000000ull);
		if (!smon.sm_aio) {
			snprintf(buf, len, "control file not readable: %s", strerror(errno));
			return;
		}
	}
	if (smon.sm_read_busy) {
		if (aio_poll(smon.sm_aio, smon.sm_read_id, NULL, NULL) != 1) {
			snprintf(buf, len, "control file not answering (I/O outstanding for %llu ms)",
				 (unsigned long long)(aio_age_ns(smon.sm_aio) / 1000000));
			return;
		}
		smon.sm_read_busy = 0;
	}
	cr->cr_inst = inst;
	if (aio_submit(smon.sm_aio, ckpt_read_io, cr, &smon.sm_read_id)) {
		snprintf(buf, len, "control file not answering");
		return;
	}
	smon.sm_read_busy = 1;
	if (aio_wait(smon.sm_aio, smon.sm_read_id, (int)tmo, NULL, NULL) != 1) {
		snprintf(buf, len, "no checkpoint record within the I/O timeout (%u ms): the "
			 "control file does not answer", tmo);
		return;
	}
	smon.sm_read_busy = 0;
	if (cr->cr_open_rc) {
		snprintf(buf, len, "control file not readable: %s", strerror(cr->cr_errno));
		return;
	}
	if (cr->cr_rc) {
		snprintf(buf, len, "no usable checkpoint record: %s", rac_strerror(cr->cr_rc));
		return;
	}
	snprintf(buf, len, "last checkpoint record %llu, written by pid %d",
		 (unsigned long long)cr->cr_ck.ck_count, (int)cr->cr_ck.ck_pid);
}

static void begin(struct member *m, uint64_t post, uint64_t insts)
{
	smon.sm_seen = post;
	smon.sm_insts = insts;
	smon.sm_started_ns = rac_now_mono_ns();
	smon.sm_wait_until_ns = smon.sm_started_ns + (uint64_t)m->m_to.to_release_wait_ms * 1000000ull;
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		char ck[160];

		if (!(insts & (1ull << (i - 1))))
			continue;
		describe_ckpt(m, i, ck, sizeof(ck));
		log_alert("Beginning instance recovery of instance %d (incarnation %llu; %s)", i,
			  (unsigned long long)post, ck);
	}
	/* nothing to redo here: what was held for recovery can go */
	rcfg_smon_done(&m->m_sga, post);
}

static void finish(struct member *m, bool confirmed, uint32_t released)
{
	double secs = (double)(rac_now_mono_ns() - smon.sm_started_ns) / 1e9;

	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (smon.sm_insts & (1ull << (i - 1)))
			log_alert("Completed instance recovery of instance %d", i);
	if (confirmed)
		log_alert("SMON: %u lock%s held for recovery released (%.3f secs)", released,
			  released == 1 ? "" : "s", secs);
	else
		log_alert("SMON: LMS did not confirm releasing the locks held for recovery "
			  "within %u ms", m->m_to.to_release_wait_ms);
	member_count(m, CNT_SMON_RECOVERIES);
	smon.sm_started_ns = 0;
	smon.sm_insts = 0;
}

static int smon_tick(struct member *m)
{
	struct sga_cluster *cl = sga_cluster(&m->m_sga);
	uint64_t insts, post = rcfg_smon_post(&m->m_sga, &insts);
	uint32_t released = 0;

	if (smon.sm_started_ns) {
		if (rcfg_released_since(&m->m_sga, smon.sm_seen, &released))
			finish(m, true, released);
		else if (rac_now_mono_ns() >= smon.sm_wait_until_ns)
			finish(m, false, 0);
	}
	/* after the reconfiguration's alert block, never inside it */
	if (!smon.sm_started_ns && post > smon.sm_seen &&
	    sga_load(&cl->cl_state) == CGS_STABLE)
		begin(m, post, insts);
	return 0;
}

static int smon_period(const struct member *m)
{
	(void)m;
	return SMON_TICK_MS;
}

static void smon_fini(struct member *m)
{
	(void)m;
	if (smon.sm_read_busy && aio_outstanding(smon.sm_aio)) {
		aio_destroy(&smon.sm_aio);	/* the stuck read keeps its fd */
		return;
	}
	aio_destroy(&smon.sm_aio);
	if (smon.sm_read.cr_fd >= 0)
		close(smon.sm_read.cr_fd);
}

static const struct member_ops smon_ops = {
	.mo_period_ms = smon_period,
	.mo_tick = smon_tick,
	.mo_fini = smon_fini,
};

int main(int argc, char **argv)
{
	return member_main(argc, argv, RAC_ROLE_SMON, &smon_ops);
}
