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
#include "ctl_area.h"
#include "disk.h"
#include "errors.h"
#include "handover.h"
#include "log.h"
#include "member.h"

#define COMP "SMON"

static struct {
	struct ctl_area sm_area;	/* the control area's copies, one worker each */
	int sm_area_ok;			/* set up */
	uint64_t sm_seen;		/* last post taken */
	uint64_t sm_insts;		/* being recovered */
	uint64_t sm_started_ns;		/* 0: no recovery running */
	uint64_t sm_wait_until_ns;
} smon;

/*
 * The record is read from the control area's copies by majority, each on
 * its own worker, waiting at most the I/O timeout: copies that do not
 * answer cost the alert line its detail, never SMON its NM heartbeat.
 */
static void describe_ckpt(struct member *m, int inst, char *buf, size_t len)
{
	struct ctl_call cc = { .cc_op = CTL_CALL_READ_CKPT, .cc_inst = inst };
	uint32_t tmo = m->m_to.to_io_timeout_ms;
	int rc;

	if (!smon.sm_area_ok) {
		ctl_area_init(&smon.sm_area, m->m_cfg, 0, (uint64_t)tmo * 1000000ull);
		if (ctl_area_start(&smon.sm_area, "ctl")) {
			snprintf(buf, len, "control area not readable: %s", strerror(errno));
			ctl_area_close(&smon.sm_area);
			return;
		}
		smon.sm_area_ok = 1;
	}
	rc = ctl_area_call(&smon.sm_area, &cc);
	if (rc == RAC_ETIMEDOUT) {
		snprintf(buf, len, "no checkpoint record within the I/O timeout (%u ms): no "
			 "majority of the control area's copies answers", tmo);
		return;
	}
	if (rc) {
		snprintf(buf, len, "no usable checkpoint record: %s", rac_strerror(rc));
		return;
	}
	snprintf(buf, len, "last checkpoint record %llu, written by pid %d",
		 (unsigned long long)cc.cc_ck.ck_count, (int)cc.cc_ck.ck_pid);
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
	if (smon.sm_area_ok)
		ctl_area_close(&smon.sm_area);	/* a stuck read keeps its fd */
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
