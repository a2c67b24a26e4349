/*
 * rcfg.c - LMS's side of a reconfiguration, as one state machine.
 *
 *   RUNNING    -> FROZEN      LMON's step reaches FREEZE_LOCK_DB: requests
 *                             wait (frozen_now()), the lock cache comes back
 *   FROZEN     -> REBUILDING  the hand-over (step HANDOVER_GES, or STABLE with
 *                             a new membership): thaw() holds the departed's
 *                             locks, diffs the bucket maps, resubmits, sends
 *                             our part and DONE, and waits for the survivors'
 *   RUNNING    -> REBUILDING  the same, when the freeze went unseen
 *   REBUILDING -> REBUILDING  a change overtakes the rebuild: thaw() again
 *   REBUILDING -> RUNNING     every DONE is in (rb_check(), remaster.c):
 *                             lms_rcfg_finish() imports, publishes to LMON,
 *                             posts SMON and replays what waited
 *
 * Every transition goes through change_state(), which writes the trace line
 * "status change from (A) to (B)".  Then SMON: once it has recovered the
 * instances that left, recovery_check() releases their locks held for it.
 *
 * LMS's side of the SGA's reconfiguration hand-over (LMON -> LMS -> SMON)
 * is here, through shm/handover.h, which draws the whole sequence.
 */
#include <stdio.h>

#include "handover.h"
#include "lms.h"
#include "log.h"

/* the hand-over (shm/handover.h), on our instance's SGA */
#define SGA (&lms.s_m->m_sga)

/* ---- the state ------------------------------------------------------------ */

static const char *const lr_names[] = {
	[LR_RUNNING] = "RUNNING", [LR_FROZEN] = "FROZEN", [LR_REBUILDING] = "REBUILDING",
};

/* every transition: the trace line "status change from (A) to (B) : why" */
static void change_state(enum lms_rc st, const char *why)
{
	log_change_state(COMP, lr_names[lms.rc.rc_state], lr_names[st], why);
	lms.rc.rc_state = st;
}

/*
 * Requests wait: while rebuilding, while LMON's lease is old, and until
 * LMON is settled on the membership our bucket map is built on.
 */
bool frozen_now(void)
{
	uint64_t members, inc;

	if (lms_rebuilding() || lease_stale(rac_now_mono_ns()) || !rcfg_stable(SGA))
		return true;
	inc = rcfg_published(SGA, &members);
	return members != lms.s_members || inc != lms.s_inc;
}

/* the GRD froze (a reconfiguration began): note when */
static void freeze_begin(void)
{
	if (!lms.rc.rc_freeze_ns) {
		lms.rc.rc_freeze_ns = rac_now_mono_ns();
		fast_take_back_all();	/* the rebuild sees every lock in the GRD */
	}
}

/* the GRD thaws: how long it was frozen goes to v$ges_statistics */
static void freeze_end(void)
{
	uint64_t us;

	if (!lms.rc.rc_freeze_ns)
		lms.rc.rc_freeze_ns = lms.rb.rm_start_ns;
	us = (rac_now_mono_ns() - lms.rc.rc_freeze_ns) / 1000;
	lms.rc.rc_freeze_ns = 0;
	sga_count(&lms.s_m->m_sga, CNT_GES_FREEZES, 1);
	sga_count(&lms.s_m->m_sga, CNT_GES_FREEZE_US_TOTAL, us);
	sga_counters(&lms.s_m->m_sga)[CNT_GES_FREEZE_US_LAST] = us;
}

/*
 * Fault injection for tests: a number in <local_dir>/fault_lms_done_delay_ms
 * holds this LMS's DONE back that many milliseconds after a membership
 * change that brings an instance in, keeping the others' rebuild open for a
 * test to overtake it.
 */
static uint64_t fault_done_delay_ns(void)
{
	char path[RAC_PATH_MAX + 32];
	long ms = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/fault_lms_done_delay_ms", lms.s_m->m_ic->ic_local_dir);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &ms) != 1)
			ms = 0;
		fclose(f);
	}
	return ms > 0 && ms <= 60000 ? (uint64_t)ms * 1000000ull : 0;
}

/* ---- thaw: the membership settled ----------------------------------------- */

/* locks of instances that left are held for recovery; of those back, released */
static void thaw_recovery(uint64_t members, uint64_t gone)
{
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		uint64_t bit = 1ull << (i - 1);
		struct grd_drop d;

		/* back before its recovery was done: what it held goes now */
		if ((members & bit) && (lms.rc.rc_rec_insts & bit)) {
			lms.rc.rc_rec_insts &= ~bit;
			if (grd_drop_owner_instance(lms.s_grd, (unsigned)i, &d) == 0 && d.dr_held)
				log_info(COMP, "instance %d is back: its %zu locks held for recovery "
					 "released", i, d.dr_held);
		}
		/* gone: its PW and EX locks are held until SMON has recovered it */
		if ((gone & bit) && grd_hold_for_recovery(lms.s_grd, (unsigned)i, &d) == 0) {
			lms.rb.rm_cancelled += (uint32_t)(d.dr_held + d.dr_waiting);
			lms.rb.rm_dubious += (uint32_t)d.dr_dubious;
			lms.rc.rc_rec_insts |= bit;
			sga_count(&lms.s_m->m_sga, CNT_GES_RECOVERY_HELD, d.dr_kept);
		}
	}
}

/* the new membership is ours; requests in flight to the departed wait to go again */
static void thaw_settle(uint64_t members, uint64_t old, uint64_t gone, uint32_t inc)
{
	int me = lms.s_m->m_inst;

	inflight_resubmit(gone);
	if ((members & (1ull << (me - 1))) && !(old & (1ull << (me - 1))))
		lms.s_join_inc = inc;
	lms.s_members = members;
	lms.s_inc = rcfg_published(SGA, NULL);
	lms.rb.rm_mid = old;
	lms.rb.rm_inc = inc;
	lms.rb.rm_start_ns = rac_now_mono_ns();
	if (lms.rb.rm_done_inc != inc) {
		lms.rb.rm_done_inc = inc;
		lms.rb.rm_done = 0;
	}
	rb_free(inc, true);	/* records of an older change are void */
}

/*
 * Our clients' locks in moved buckets whose master (as of base) is
 * gone: from shadows.  A living one sends its table, now or again.
 */
static void thaw_send_shadows(const uint64_t *moved, uint64_t base, uint64_t members)
{
	int me = lms.s_m->m_inst;

	for (size_t i = 0; i < lms.sh.st_cap; i++) {
		const struct shadow *e = &lms.sh.st_tab[i];
		unsigned b;
		int om;

		if (!e->sh_lkid)
			continue;
		b = grd_bucket(sh_name(e), e->sh_namelen);
		om = bucket_master(base, b);
		if (!(moved[b / 64] & (1ull << (b % 64))) || (om && (members & (1ull << (om - 1)))))
			continue;
		struct grd_xlock xl = { .xl_lkid = e->sh_lkid, .xl_owner.ow_client = e->sh_client,
					.xl_owner.ow_inst = (uint8_t)me,
					.xl_grmode = e->sh_gr, .xl_rqmode = e->sh_rq,
					.xl_state = e->sh_state };

		rb_send_lock(bucket_master(members, b), &xl, sh_name(e), e->sh_namelen);
	}
}

/* our table's part: again what it handed over in unfinished changes, then what leaves it */
static void thaw_send_table(uint64_t *moved, uint64_t members, bool overtaken)
{
	int me = lms.s_m->m_inst;
	struct grd_export x;

	/* what our table handed over in the unfinished changes, to the new masters */
	for (int k = 0; overtaken && k < lms.rb.rm_nsent; k++)
		rb_send_export(&lms.rb.rm_sent[k], members, false);
	if (!overtaken)
		while (lms.rb.rm_nsent > 0)
			grd_export_free(&lms.rb.rm_sent[--lms.rb.rm_nsent]);
	/*
	 * ... and, as a living old master, all of our table that the moved
	 * buckets leave, with the value blocks (after the shadows: our clients'
	 * locks get one, and must not go twice).  A failed instance's lock held
	 * for recovery goes too: its new master holds it until SMON is done.
	 * Kept until our rebuild is done, in case another change overtakes it.
	 */
	for (unsigned b = 0; b < GRD_NBUCKETS; b++)
		if (bucket_master(members, b) == me)
			moved[b / 64] &= ~(1ull << (b % 64));	/* ours stays in our table */
	if (grd_export(lms.s_grd, moved, GRD_EXPORT_MOVE, &x) == 0) {
		rb_send_export(&x, members, true);
		if (lms.rb.rm_nsent < RB_SENT_MAX) {
			lms.rb.rm_sent[lms.rb.rm_nsent++] = x;
		} else {
			log_error(COMP, "too many membership changes overtaking one another: "
				  "locks handed over may be lost if another one comes");
			grd_export_free(&x);
		}
	}
}

/* our records are on their way: DONE (now, or when the fault hook says), and wait */
static void thaw_done(uint64_t members, uint64_t old, uint32_t inc)
{
	int me = lms.s_m->m_inst;
	char why[64];

	lms.rc.rc_done_due_ns = members & ~old ? fault_done_delay_ns() : 0;
	if (lms.rc.rc_done_due_ns) {
		log_info(COMP, "fault injection: rebuild DONE held back %llu ms",
			 (unsigned long long)(lms.rc.rc_done_due_ns / 1000000));
		lms.rc.rc_done_due_ns += rac_now_mono_ns();
	} else {
		send_done();
	}
	log_info(COMP, "membership changed (incarnation %u): %u of our locks sent for "
		 "remastering", inc, lms.rb.rm_replayed);
	lms.rb.rm_expect = members & ~(1ull << (me - 1));
	snprintf(why, sizeof(why), "membership of incarnation %u settled", inc);
	change_state(LR_REBUILDING, why);
	rb_check();
}

/*
 * The membership settled.  Drop the locks of instances that left; hand the
 * moved buckets to their new masters: a living old master sends its whole
 * table there (every owner's locks, and the value blocks), which is the
 * truth -- an owner's shadow may lag behind an answer still on its way;
 * where the old master is gone, every owner sends its clients' locks from
 * its shadows.  Then wait for every survivor's records.
 */
static void thaw(uint64_t members)
{
	uint64_t old = lms.s_members, gone = old & ~members, base, local;
	bool overtaken;
	uint32_t inc = (uint32_t)rcfg_published(SGA, NULL);

	fast_take_back_all();	/* if the freeze went unseen */
	lms.rb.rm_traversed = (uint32_t)lms.sh.st_n;
	lms.rb.rm_replayed = lms.rb.rm_cancelled = lms.rb.rm_dubious = 0;
	uint64_t moved[(GRD_NBUCKETS + 63) / 64] = { 0 };
	int me = lms.s_m->m_inst;

	thaw_recovery(members, gone);
	/*
	 * A change that comes before every member finished rebuilding for the
	 * previous one (overtaken): what moved then may not have reached its
	 * master.  So we send again, to the new masters, every bucket whose
	 * master changed on the way from the last membership every member
	 * rebuilt for (base) through the unfinished one (old) to the new; and
	 * take in what moved to us since our own last rebuild (local) -- the
	 * buckets we rebuilt are in our table, which is the truth, and copies
	 * sent again are ignored.
	 */
	overtaken = lms.rb.rm_base_inc != lms.rb.rm_inc;
	base = overtaken ? lms.rb.rm_base : old;
	local = lms_rebuilding() ? lms.rb.rm_local : old;
	if (overtaken)
		log_info(COMP, "membership changed again before every member had rebuilt the "
			 "GRD: buckets move from incarnation %llu's membership on",
			 (unsigned long long)lms.rb.rm_base_inc);
	bucketmap_moved(base, old, members, local, me, moved, lms.rb.rm_moved);
	thaw_settle(members, old, gone, inc);
	thaw_send_shadows(moved, base, members);
	thaw_send_table(moved, members, overtaken);
	thaw_done(members, old, inc);
}

/*
 * Every survivor's records are in (rb_check(), remaster.c): rebuild the
 * moved resources and go on -- REBUILDING -> RUNNING.
 */
void lms_rcfg_finish(void)
{
	struct rcfg_grd_counts gc;
	size_t nres, dubious;
	char why[64];

	rb_import(&nres, &dubious);
	rb_free(0, false);
	lms.rb.rm_local = lms.s_members;
	snprintf(why, sizeof(why), "GRD rebuilt for incarnation %u", lms.rb.rm_inc);
	change_state(LR_RUNNING, why);
	fin_note(lms.s_m->m_inst, lms.rb.rm_inc);
	rb_tell_members(LK_RB_DONE_FINISHED);
	/* LMON waits for these to write the reconfiguration's alert lines */
	gc = (struct rcfg_grd_counts){
		.gc_traversed = lms.rb.rm_traversed, .gc_replayed = lms.rb.rm_replayed,
		.gc_cancelled = lms.rb.rm_cancelled, .gc_rebuilt = (uint32_t)nres,
		.gc_dubious = lms.rb.rm_dubious + (uint32_t)dubious,
	};
	sga_count(&lms.s_m->m_sga, CNT_GES_REMASTERED, nres);
	freeze_end();
	rcfg_grd_done(SGA, (uint64_t)lms.rb.rm_inc, &gc);
	/* post SMON: instance recovery of the instances that left */
	if (lms.rc.rc_rec_insts) {
		rcfg_post_smon(SGA, (uint64_t)lms.rb.rm_inc, lms.rc.rc_rec_insts);
		lms.rc.rc_rec_posted = lms.rb.rm_inc;
	}
	replay_frozen();
	drain_events();
}

/*
 * Once a tick: our DONE if the fault hook held it back; the hand-over
 * (LMON hands over at step 7 with the new membership published), which
 * thaws from any state; then LMON's freeze step, as the state says.
 */
void lms_rcfg_tick(uint64_t now)
{
	if (lms.rc.rc_done_due_ns && now >= lms.rc.rc_done_due_ns)
		send_done();
	/* LMON hands over at step 7 with the new membership published */
	enum rcfg_lms_phase phase = rcfg_lms_phase(SGA);
	uint64_t members, inc;

	if (phase == RCFG_LMS_HANDOVER) {
		inc = rcfg_published(SGA, &members);
		if (members != lms.s_members || inc != lms.s_inc)
			thaw(members);
	}
	/* frozen from LMON's step 2 ("Global Resource Directory frozen") on */
	if (phase != RCFG_LMS_FROZEN)
		return;
	switch (lms.rc.rc_state) {
	case LR_RUNNING:
		freeze_begin();
		change_state(LR_FROZEN, "LMON froze the GRD");
		break;
	case LR_FROZEN:
		break;		/* since an earlier tick */
	case LR_REBUILDING:
		freeze_begin();	/* the next change: noted if this one's freeze went unseen */
		break;
	}
}

/* SMON has recovered the instances we hold locks for: release them */
void recovery_check(void)
{
	size_t released = 0;

	if (!lms.rc.rc_rec_insts || lms_rebuilding() || !rcfg_smon_finished(SGA, lms.rc.rc_rec_posted))
		return;
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct grd_drop d;

		if ((lms.rc.rc_rec_insts & (1ull << (i - 1))) &&
		    grd_drop_owner_instance(lms.s_grd, (unsigned)i, &d) == 0)
			released += d.dr_held;
	}
	log_info(COMP, "instance recovery done: %zu locks held for recovery released", released);
	lms.rc.rc_rec_insts = 0;
	rcfg_released(SGA, lms.rc.rc_rec_posted, (uint32_t)released);
	drain_events();
}
