/*
 * cgs.c - instance membership (CGS): forming or joining the cluster, the
 * triggers of a reconfiguration, and leaving.
 *
 * The membership bitmap in the control file (one bit per instance, a valid
 * flag, the cluster incarnation and the control node) is the cluster's
 * memory.  Every change to it is made under the CFVRR claim (imr_vote.c),
 * so two instances never edit it at once.
 *
 * Start (cgs_tick until joined):
 *   the instance is MOUNTED (every member registered) and our first disk
 *   heartbeat is written -> take the claim -> read the bitmap
 *   - no member alive on the voting disks: form a new incarnation with us
 *     alone, as control node;
 *   - else: wait to hear the live members on the network, then set our bit
 *     and clear the valid flag; the members see the invalid bitmap and run a
 *     JOIN reconfiguration that includes us.
 *
 * Stable (cgs_tick every tick), in the order a cause is best named:
 *   bitmap invalid             -> JOIN or LEAVE
 *   a member DOWN/DEAD on disk -> LEAVE or CRASH (confirmed: at once)
 *   a member's lease ran out   -> CRASH (unconfirmed: after disktimeout)
 *   a member silent on the net -> NETWORK (IMR decides who stays)
 *   a member's CKPT stalled    -> CKPT (IMR against it); a record that does
 *                                 not read is unknown, never stalled
 *   a newer vote on the disk   -> someone else started: take part
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl_io.h"
#include "errors.h"
#include "imr.h"
#include "lmon.h"
#include "log.h"

#define COMP "CGS"

int cgs_init(struct lmon *l, char *err, size_t errlen)
{
	if (css_ctl_init(l, err, errlen))
		return -1;
	imr_init(l);
	{
		struct ctl_cfvrr vr;
		struct blk_hdr h;

		/* votes up to the last result are settled history */
		if (lctl_read_cfvrr(l, &vr, &h) == 0)
			l->l_seq_done = vr.vr_seq;
	}
	/*
	 * Formation window: an instance with lower-numbered instances configured
	 * waits this long before forming alone, so instances started together
	 * (within the window) end with the lowest one as control node.
	 */
	if (l->l_configured & (l->l_mybit - 1))
		l->l_form_after_ns = rac_now_mono_ns() +
			(uint64_t)l->l_m->m_to.to_form_window_ms * 1000000ull;
	l->l_join_deadline_ns = rac_now_mono_ns() +
		(uint64_t)l->l_m->m_cfg->cf_start_timeout_ms * 1000000ull;
	return 0;
}

/*
 * Follow every member's control-file heartbeat (checkpoint progress record).
 *
 * A record we cannot read -- a bad sector under it, a corrupt block, a
 * control file that does not answer us -- says nothing of its owner: its
 * progress is unknown, not stalled, however long that lasts.  It is not
 * aged (l_ckpt_moved_ns 0: neither the trigger nor our vote judges it) and
 * the member is judged by its network and disk heartbeats alone; the clock
 * starts afresh at the first read that succeeds.  Each such read is
 * counted; the alert line and the rate-limited trace are css_ctl.c's.
 */
static void watch_ckpt(struct lmon *l, uint64_t members)
{
	uint64_t now = rac_now_mono_ns();

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct ctl_ckpt ck;
		struct blk_hdr h;

		if (i == l->l_me || !(members & (1ull << (i - 1))))
			continue;
		if (lctl_read_ckpt(l, i, &ck, &h)) {
			member_count(l->l_m, CNT_CKPT_UNREADABLE);
			l->l_ckpt_moved_ns[i] = 0;
			continue;
		}
		if (ck.ck_count != l->l_ckpt_count[i] || !l->l_ckpt_moved_ns[i]) {
			l->l_ckpt_count[i] = ck.ck_count;
			l->l_ckpt_moved_ns[i] = now;
		}
	}
}

/* live members on the disks, other than us */
static uint64_t alive_members(struct lmon *l, uint64_t bitmap)
{
	uint64_t alive = 0;

	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (i != l->l_me && (bitmap & (1ull << (i - 1))) && css_disk_alive(l, i))
			alive |= 1ull << (i - 1);
	return alive;
}

static void form(struct lmon *l, struct ctl_membership *ms, uint64_t seq)
{
	struct ctl_membership nm = { .ms_bitmap = l->l_mybit, .ms_valid = 1,
				     .ms_incarnation = ms->ms_incarnation + 1,
				     .ms_control = (uint32_t)l->l_me };

	if (lctl_write_membership(l, css_may_write(l), l->l_me,
				    &nm, seq)) {
		log_error(COMP, "cannot write the membership bitmap: %s", strerror(errno));
		return;
	}
	imr_unclaim(l);
	log_alert("Forming cluster %s: no other member alive on the voting disks "
		  "(previous incarnation %llu)", l->l_m->m_cfg->cf_name,
		  (unsigned long long)ms->ms_incarnation);
	reconfig_run(l, RCFG_FORM, l->l_me, "first instance of the cluster");
}

/* Before asking to join, hear every live member, so our vote includes them. */
static int heard_all(struct lmon *l, uint64_t alive)
{
	uint64_t deadline = rac_now_mono_ns() +
		(uint64_t)l->l_m->m_cfg->cf_misscount_ms * 1000000ull;

	while ((css_net_heard(l) & alive) != alive) {
		if (rac_now_mono_ns() > deadline)
			return 0;
		css_pump(l, 5);
	}
	return 1;
}

static void start(struct lmon *l)
{
	struct ctl_membership ms;
	struct blk_hdr h;
	uint64_t alive;
	static int unread;	/* logged once until it reads */
	int rc;

	if (!imr_claim(l))
		return;	/* try again next tick */
	if ((rc = lctl_read_membership(l, &ms, &h))) {
		/*
		 * No valid membership record in a majority of the control area's
		 * copies: the incarnation is unknown, and one made up from a zeroed
		 * record could go back.  Try again next tick (racctl init writes a
		 * valid first record, so a fresh format reads).
		 */
		if (!unread++)
			log_error(COMP, "cannot read the membership bitmap from a majority of the "
				  "control area's copies: %s (%s); not forming or joining until it "
				  "reads", rac_strerror(rc), strerror(errno));
		imr_unclaim(l);
		return;
	}
	unread = 0;
	css_disk_read(l);
	alive = alive_members(l, ms.ms_bitmap);
	if (!alive) {
		/*
		 * Started together with a lower-numbered instance (alive on the
		 * disks, not a member yet): let it form, and join it, so that the
		 * control node is the lowest instance, whatever the race.
		 */
		uint64_t starting = alive_members(l, l->l_configured & (l->l_mybit - 1));

		if (starting || rac_now_mono_ns() < l->l_form_after_ns) {
			imr_unclaim(l);
			log_debug(COMP, "a lower instance is starting too; letting it form");
			return;
		}
		form(l, &ms, h.bh_sequence + 1);
		l->l_started = 1;
		return;
	}
	imr_unclaim(l);
	if (!heard_all(l, alive)) {
		char who[128];

		imr_bitmap_str(alive & ~css_net_heard(l), who, sizeof(who));
		log_warn(COMP, "cannot hear live members%s on the network yet; retrying", who);
		return;
	}
	if (!imr_claim(l))
		return;
	if (lctl_read_membership(l, &ms, &h) == 0) {
		char who[128];

		ms.ms_bitmap |= l->l_mybit;
		ms.ms_valid = 0;
		if (lctl_write_membership(l, css_may_write(l), l->l_me,
					    &ms, h.bh_sequence + 1) == 0) {
			imr_bitmap_str(ms.ms_bitmap & ~l->l_mybit, who, sizeof(who));
			log_alert("Joining cluster %s (members%s, incarnation %llu)",
				  l->l_m->m_cfg->cf_name, who,
				  (unsigned long long)ms.ms_incarnation);
			/* the incarnation we join from, the "old inc" of our first reconfiguration */
			sga_store(&sga_cluster(&l->l_m->m_sga)->cl_incarnation, ms.ms_incarnation);
			cgs_set_state(l, CGS_JOINING, "join requested in the membership bitmap");
			l->l_started = 1;
		}
	}
	imr_unclaim(l);
}

/* What, if anything, calls for a reconfiguration now. */
static int trigger(struct lmon *l, uint32_t *reason, int *who, char *why, size_t len)
{
	struct sga_cluster *cl = sga_cluster(&l->l_m->m_sga);
	const struct rac_config *cfg = l->l_m->m_cfg;
	uint64_t members = sga_load(&cl->cl_members), heard = css_net_heard(l);
	uint64_t now = rac_now_mono_ns();
	struct ctl_membership ms = { .ms_valid = 1 };
	struct blk_hdr h;
	bool poll = now >= l->l_next_ctl_poll_ns;

	/* the control area once per poll period (timeouts.h), the SGA every tick */
	if (poll) {
		l->l_next_ctl_poll_ns = now + (uint64_t)l->l_m->m_to.to_ctl_poll_ms * 1000000ull;
		if (lctl_read_membership(l, &ms, &h) == 0)
			imr_check_left_out(l, &ms);
		else
			ms = (struct ctl_membership){ .ms_valid = 1 };	/* unreadable: nothing to learn */
	}
	if (!ms.ms_valid) {
		uint64_t joiners = ms.ms_bitmap & ~members, leavers = members & ~ms.ms_bitmap;

		*reason = joiners ? RCFG_JOIN : RCFG_LEAVE;
		*who = __builtin_ffsll((long long)(joiners ? joiners : leavers));
		snprintf(why, len, "membership bitmap invalid: instance %d %s", *who,
			 joiners ? "joining" : "leaving");
		return 1;
	}
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		const struct sga_peer *p = sga_peer(&l->l_m->m_sga, i);
		uint64_t bit = 1ull << (i - 1);

		if (i == l->l_me || !(members & bit))
			continue;
		*who = i;
		if (sga_load(&p->pr_disk_state) == PEER_DOWN) {
			*reason = RCFG_CRASH;
			snprintf(why, len, "instance %d: death confirmed on the voting disks", i);
			return 1;
		}
		if (!css_disk_alive(l, i)) {
			*reason = RCFG_CRASH;
			snprintf(why, len, "instance %d: voting-disk lease expired (no disk "
				 "heartbeat for %d ms)", i, cfg->cf_disktimeout_ms);
			return 1;
		}
		if (!(heard & bit) && sga_load(&p->pr_net_state) != PEER_UNKNOWN) {
			*reason = RCFG_NETWORK;
			snprintf(why, len, "instance %d: no network heartbeat for %d ms "
				 "(misscount_ms) while alive on the voting disks", i,
				 cfg->cf_misscount_ms);
			return 1;
		}
		if (l->l_ckpt_moved_ns[i] &&
		    now - l->l_ckpt_moved_ns[i] > (uint64_t)cfg->cf_ckpt_timeout_ms * 1000000ull) {
			*reason = RCFG_CKPT;
			snprintf(why, len, "instance %d: control-file heartbeat (checkpoint "
				 "progress record) still for %d ms (ckpt_timeout_ms)", i,
				 cfg->cf_ckpt_timeout_ms);
			return 1;
		}
	}
	/* a vote newer than our last result: another member started one */
	for (int i = 1; poll && i <= RAC_MAX_INST; i++) {
		struct ctl_vote v;

		if (i == l->l_me || !(l->l_configured & (1ull << (i - 1))))
			continue;
		if (lctl_read_vote(l, i, &v) == 0 && v.cv_seq > l->l_seq_done &&
		    ((members | ms.ms_bitmap) & (1ull << (i - 1)))) {
			/* take part, and name the cause the way the one who started it did */
			*reason = v.cv_reason ? v.cv_reason : RCFG_NETWORK;
			*who = v.cv_break ? (int)v.cv_break : i;
			snprintf(why, len, "instance %d started a vote (sequence %llu, reason %s, "
				 "instance %d)", i, (unsigned long long)v.cv_seq,
				 sga_reason_str(*reason), *who);
			return 1;
		}
	}
	return 0;
}

void cgs_tick(struct lmon *l)
{
	struct sga_cluster *cl = sga_cluster(&l->l_m->m_sga);
	uint64_t now = rac_now_mono_ns();
	uint32_t reason = 0;
	int who = 0;
	char why[256];

	if (now >= l->l_next_ckpt_ns) {
		watch_ckpt(l, sga_load(&cl->cl_members));
		l->l_next_ckpt_ns = now +
			(uint64_t)l->l_m->m_cfg->cf_ckpt_interval_ms * 1000000ull / 2;
	}
	if (!l->l_started) {
		if (now > l->l_join_deadline_ns)
			lmon_fence_exit(l, "could not form or join the cluster within "
					"start_timeout_ms");
		/*
		 * The NM group first: the guardian writes "Instance ... mounted"
		 * once every member has registered, and that entry must come
		 * before our first reconfiguration's alert block, not inside it.
		 */
		if (sga_load(&sga_hdr(&l->l_m->m_sga)->sh_state) == INST_STARTED)
			return;
		if (now < l->l_next_ctl_poll_ns)
			return;	/* the claim and the membership: once per poll period */
		l->l_next_ctl_poll_ns = now + (uint64_t)l->l_m->m_to.to_ctl_poll_ms * 1000000ull;
		start(l);
		return;
	}
	if (sga_load(&cl->cl_state) == CGS_JOINING) {
		/* the members run the JOIN reconfiguration; take part in it */
		struct ctl_vote v;
		int seen = 0;

		if (now < l->l_next_ctl_poll_ns)
			return;
		l->l_next_ctl_poll_ns = now + (uint64_t)l->l_m->m_to.to_ctl_poll_ms * 1000000ull;
		for (int i = 1; i <= RAC_MAX_INST && !seen; i++)
			if (i != l->l_me && (l->l_configured & (1ull << (i - 1))) &&
			    lctl_read_vote(l, i, &v) == 0 && v.cv_seq > l->l_seq_done)
				seen = i;
		if (seen)
			reconfig_run(l, RCFG_JOIN, l->l_me, "joining the cluster");
		else if (now > l->l_join_deadline_ns)
			lmon_fence_exit(l, "no member ran the join reconfiguration within "
					"start_timeout_ms");
		return;
	}
	if (trigger(l, &reason, &who, why, sizeof(why)))
		reconfig_run(l, reason, who, why);
}

/* Clean stop: take our bit out and let the others reconfigure. */
void cgs_leave(struct lmon *l)
{
	struct ctl_membership ms;
	struct blk_hdr h;
	uint64_t deadline = rac_now_mono_ns() + 2000000000ull;

	if (!l->l_started || sga_load(&sga_cluster(&l->l_m->m_sga)->cl_no_disk_writes) ||
	    !css_lease_ok(l))
		return;
	cgs_set_state(l, CGS_LEAVING, "clean stop");
	while (!imr_claim(l)) {
		if (rac_now_mono_ns() > deadline) {
			log_warn(COMP, "could not take the CFVRR claim to leave; the others "
				 "will see our slot DOWN instead");
			return;
		}
		css_pump(l, 10);
	}
	if (lctl_read_membership(l, &ms, &h) == 0 && (ms.ms_bitmap & l->l_mybit)) {
		ms.ms_bitmap &= ~l->l_mybit;
		ms.ms_valid = 0;
		if (lctl_write_membership(l, css_may_write(l), l->l_me,
					    &ms, h.bh_sequence + 1) == 0)
			log_alert("Leaving cluster %s (clean stop)", l->l_m->m_cfg->cf_name);
	}
	imr_unclaim(l);
}
