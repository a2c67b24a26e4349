/*
 * timeouts.h - every timing racrt derives from the configuration, in one
 * place (timeouts.c), and the failure timeline they make.
 *
 * The configured keys (docs/configuration.md) are the heartbeat periods and
 * the silences that count as failure; everything else follows from them
 * here, and each member writes the values in force to its trace at start
 * (timeouts_log).  With the defaults (heartbeat 100, misscount 3000, disk
 * heartbeat 200, disktimeout 2000, ckpt 1000/6000, split-brain wait 600,
 * member heartbeat 100 / hang 5000, all ms):
 *
 * A member dies (confirmed death):
 *   t = 0        SIGKILL; the guardian sees SIGCHLD, kills the group and
 *                writes DEAD in the instance's slot on every voting disk
 *   t ~ 2-200    each survivor's LMON reads the slot in its next disk-
 *                heartbeat round (one read of every slot per disk per
 *                round) and starts a reconfiguration
 *   t ~ 12-30    votes (vote timeout 500), the CFVRR claim (settle 15),
 *                the result, the seven steps, "Reconfiguration complete"
 *
 * The whole group dies at once (unconfirmed death):
 *   t = -200..0  its last disk heartbeat
 *   lease end    last heartbeat seen + disktimeout (2000): fenced; step 5
 *                waits at most disktimeout + fence slack (3000) for it
 *   + ~20-30     "Reconfiguration complete"
 *
 * An instance is cut off or hangs:
 *   t = 0        its last network heartbeat
 *   misscount    (3000) peers vote without it; the lowest survivor gives it
 *                kill grace (100) to confirm its death, then writes its
 *                kill block; the survivors wait for its lease
 *   its own side LMS stops granting at 7/8 of disktimeout less the lock
 *                cache's lease (1750 - 500 = 1250) after LMON's last
 *                disk-heartbeat round began, before anyone may take over
 *                what it masters; the lock cache closes within its lease
 *                (min(misscount, disktimeout) / 4, at most 500)
 *
 * A voting disk hangs for one instance (its I/O blocks, no error):
 *   t = 0        the round's I/O to it is submitted to its worker, LMON goes on
 *   io timeout   (500 = disktimeout / 4) the I/O is overdue: the disk counts as
 *                not accessible, v$voting_disk shows it HUNG with the age of
 *                its oldest I/O, "Voting disk K (...) is HUNG" in the alert
 *                log; the other disks keep the majority and the lease
 *   it answers   the next round reaches it: "... is ONLINE again"
 *   A majority of the disks hung: no round reaches a strict majority from
 *   the last good round on, so the lease lapses disktimeout (2000) after that
 *   round began and the instance leaves by itself (rule 1), within one disk
 *   heartbeat (200) of the lapse; the others see its slots go still and
 *   reconfigure without it.
 *
 * A member hangs inside an instance:
 *   member hang timeout (5000) after its last NM-slot stamp the guardian
 *   takes the instance down; it is above misscount so that a hung LMON is
 *   evicted by the cluster first, and fences itself if it resumes.
 */
#ifndef RAC_TIMEOUTS_H
#define RAC_TIMEOUTS_H

#include <stdint.h>
#include "config.h"

/* the SGA lock cache's lease is never longer than this (shm/fastlock.h) */
#define TO_FAST_LEASE_MAX_NS	500000000ull

/* fixed periods, not derived */
#define LMON_TICK_MS		10
#define LMS_TICK_MS		10
#define SMON_TICK_MS		10
#define GUARD_TICK_MS		20

struct rac_timeouts {
	/* LMON: IMR */
	uint32_t to_vote_ms;		/* votes awaited: max(500, 2 x disk heartbeat) */
	uint64_t to_claim_lease_us;	/* CFVRR claim: vote + split-brain wait + 1 s */
	uint32_t to_claim_settle_ms;	/* a claim is trusted after this (> p99 write) */
	uint32_t to_vote_window_ms;	/* a vote names peers heard this recently:
					 * 5 heartbeats, at least 500, at most misscount */
	uint32_t to_form_window_ms;	/* not the lowest: wait before forming alone */
	uint32_t to_rule4_window_ms;	/* CSS rule 4 needs every member heard within
					 * 5 heartbeats */
	/* shared-disk I/O (lib/aio.h workers) */
	uint32_t to_io_timeout_ms;	/* an I/O outstanding this long has failed and
					 * its disk is HUNG: disktimeout / 4 */
	uint32_t to_ctl_poll_ms;	/* membership and votes polled in the control
					 * area every: disk heartbeat / 4, 10..50 */
	/* LMON: reconfiguration */
	uint32_t to_kill_grace_ms;	/* evicted: to confirm its death before kill blocks */
	uint32_t to_fence_slack_ms;	/* step 5 waits disktimeout + this for the evicted */
	uint32_t to_grd_handover_ms;	/* step 7 waits this for LMS's rebuild */
	/* LMS */
	uint64_t to_fast_lease_ns;	/* SGA lock cache lease: min(misscount,
					 * disktimeout) / 4, at most FL_LEASE_NS */
	uint64_t to_lms_lease_ns;	/* LMS stops granting when LMON's lease is
					 * older: 7/8 disktimeout - fast lease */
	uint32_t to_deadlock_period_ms;	/* a cross-instance deadlock round every ... */
	uint32_t to_deadlock_wait_ms;	/* ... waiting this for the other LMSes' edges */
	/* SMON */
	uint32_t to_release_wait_ms;	/* for LMS to confirm the recovery release */
	/* racctl: the whole of a start / stop, each member bounded by the config */
	uint32_t to_start_all_ms;	/* start_timeout x (members + 1) + 2 s */
	uint32_t to_stop_all_ms;	/* stop_timeout x (members + 1) + 2 s */
};

/* every derived timing for this configuration */
void timeouts_derive(const struct rac_config *cfg, struct rac_timeouts *t);
/* the SGA lock cache's lease asked for (the cache caps it at TO_FAST_LEASE_MAX_NS) */
uint64_t timeouts_fast_lease_ns(const struct rac_config *cfg);
/* LMS's allowance: 7/8 of LMON's lease less the cache's; 0: none to judge */
uint64_t timeouts_lms_allowed_ns(uint64_t lmon_lease_len_ns, uint64_t fast_lease_ns);
/* one trace line with every value in force (the caller's trace file) */
void timeouts_log(const struct rac_config *cfg, const char *comp);

#endif
