/*
 * timeouts.c - every derived timing, from the configuration (timeline and
 * meaning of each in timeouts.h).  Pure arithmetic: the same configuration
 * gives the same values in every process of every instance.
 */
#include <inttypes.h>
#include "log.h"
#include "timeouts.h"

/* fixed by measurement (docs/timeouts.md), not configurable */
#define VOTE_MIN_MS		500
#define CLAIM_SETTLE_MS		15	/* longer than the p99 O_DSYNC write */
#define CLAIM_SLACK_MS		1000
#define VOTE_WINDOW_MIN_MS	500
#define FORM_WINDOW_MS		500
#define KILL_GRACE_MS		100
#define FENCE_SLACK_MS		1000
#define GRD_HANDOVER_WAIT_MS	2000
#define DEADLOCK_PERIOD_MS	1000
#define DEADLOCK_WAIT_MS	300
#define RELEASE_WAIT_MS		2000

uint64_t timeouts_fast_lease_ns(const struct rac_config *cfg)
{
	int32_t t = cfg->cf_misscount_ms < cfg->cf_disktimeout_ms ? cfg->cf_misscount_ms :
		    cfg->cf_disktimeout_ms;

	/* a quarter of the shortest failure timeout */
	return (uint64_t)t * 250000ull;
}

uint64_t timeouts_lms_allowed_ns(uint64_t lmon_lease_len_ns, uint64_t fast_lease_ns)
{
	uint64_t len = lmon_lease_len_ns;

	if (!len || fast_lease_ns >= len - len / 8)
		return 0;
	return len - len / 8 - fast_lease_ns;
}

void timeouts_derive(const struct rac_config *cfg, struct rac_timeouts *t)
{
	uint64_t fast = timeouts_fast_lease_ns(cfg);
	uint32_t w;

	t->to_vote_ms = (uint32_t)(2 * cfg->cf_disk_heartbeat_interval_ms);
	if (t->to_vote_ms < VOTE_MIN_MS)
		t->to_vote_ms = VOTE_MIN_MS;
	t->to_claim_lease_us = (uint64_t)(t->to_vote_ms + (uint32_t)cfg->cf_imr_splitbrain_res_wait_ms +
					  CLAIM_SLACK_MS) * 1000;
	t->to_claim_settle_ms = CLAIM_SETTLE_MS;
	w = (uint32_t)cfg->cf_heartbeat_interval_ms * 5;
	if (w < VOTE_WINDOW_MIN_MS)
		w = VOTE_WINDOW_MIN_MS;
	if (w > (uint32_t)cfg->cf_misscount_ms)
		w = (uint32_t)cfg->cf_misscount_ms;
	t->to_vote_window_ms = w;
	t->to_form_window_ms = FORM_WINDOW_MS;
	t->to_rule4_window_ms = (uint32_t)cfg->cf_heartbeat_interval_ms * 5;

	/* a quarter of the lease: a hung disk is seen well before the lease runs out */
	t->to_io_timeout_ms = (uint32_t)cfg->cf_disktimeout_ms / 4;
	if (t->to_io_timeout_ms < 1)
		t->to_io_timeout_ms = 1;

	/*
	 * The control area has a copy on every voting disk: polling it every
	 * 10 ms tick would be three times (copies) one read per member per tick
	 * on the disks that carry the heartbeats.  A quarter of the disk
	 * heartbeat, within 10..50 ms, keeps a peer's vote seen well inside
	 * the vote timeout.
	 */
	t->to_ctl_poll_ms = (uint32_t)cfg->cf_disk_heartbeat_interval_ms / 4;
	if (t->to_ctl_poll_ms < LMON_TICK_MS)
		t->to_ctl_poll_ms = LMON_TICK_MS;
	if (t->to_ctl_poll_ms > 50)
		t->to_ctl_poll_ms = 50;

	t->to_kill_grace_ms = KILL_GRACE_MS;
	t->to_fence_slack_ms = FENCE_SLACK_MS;
	t->to_grd_handover_ms = GRD_HANDOVER_WAIT_MS;

	t->to_fast_lease_ns = fast < TO_FAST_LEASE_MAX_NS ? fast : TO_FAST_LEASE_MAX_NS;
	t->to_lms_lease_ns = timeouts_lms_allowed_ns((uint64_t)cfg->cf_disktimeout_ms * 1000000ull,
						     t->to_fast_lease_ns);
	t->to_deadlock_period_ms = DEADLOCK_PERIOD_MS;
	t->to_deadlock_wait_ms = DEADLOCK_WAIT_MS;

	t->to_release_wait_ms = RELEASE_WAIT_MS;

	t->to_start_all_ms = (uint32_t)cfg->cf_start_timeout_ms * (RAC_NROLES + 1) + 2000;
	t->to_stop_all_ms = (uint32_t)cfg->cf_stop_timeout_ms * (RAC_NROLES + 1) + 2000;
}

void timeouts_log(const struct rac_config *cfg, const char *comp)
{
	struct rac_timeouts t;

	timeouts_derive(cfg, &t);
	log_info(comp, "timeouts in force (ms): heartbeat %d misscount %d disk heartbeat %d "
		 "disktimeout %d ckpt %d/%d member hang %d; derived: vote %u claim lease %"
		 PRIu64 " settle %u vote window %u form window %u rule-4 window %u kill grace %u "
		 "fence wait %u io timeout %u control poll %u grd hand-over %u lock-cache lease %" PRIu64 " LMS lease %" PRIu64
		 " deadlock %u/%u smon release %u",
		 cfg->cf_heartbeat_interval_ms, cfg->cf_misscount_ms,
		 cfg->cf_disk_heartbeat_interval_ms, cfg->cf_disktimeout_ms,
		 cfg->cf_ckpt_interval_ms, cfg->cf_ckpt_timeout_ms, cfg->cf_member_hang_timeout_ms,
		 t.to_vote_ms, t.to_claim_lease_us / 1000, t.to_claim_settle_ms,
		 t.to_vote_window_ms, t.to_form_window_ms, t.to_rule4_window_ms,
		 t.to_kill_grace_ms, (uint32_t)cfg->cf_disktimeout_ms + t.to_fence_slack_ms,
		 t.to_io_timeout_ms, t.to_ctl_poll_ms,
		 t.to_grd_handover_ms, t.to_fast_lease_ns / 1000000, t.to_lms_lease_ns / 1000000,
		 t.to_deadlock_period_ms, t.to_deadlock_wait_ms, t.to_release_wait_ms);
}
