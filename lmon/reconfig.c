/*
 * reconfig.c - one reconfiguration, its seven steps top to bottom
 * (DESIGN §3), run by LMON on every member:
 *
 *   1 freeze the name service        no membership changes seen by others
 *   2 freeze the lock database       LMS queues requests (GRD)
 *   3 IMR                            vote, one writer, agreed result
 *   4 rebuild and verify the bitmap  the control file says what IMR said
 *   5 delete the dead                after they are fenced: death confirmed
 *                                    on the voting disks, or lease run out
 *   6 unfreeze the name service      publish the new membership
 *   7 hand over to GES/GCS           LMS rebuilds the GRD, SMON is posted
 *
 * run_once() lists the steps, each followed by the stage that does its work
 * (step 3 has three: imr, admit_or_exit, evict; steps 1 and 2 only tell LMS
 * through shm/handover.h).
 * A step that waits returns RAC_EBUSY when a newer event overtook it; the
 * whole run then starts over (counted), the history entry marked restarted.
 * Every step's start and duration go to the SGA for v$reconfig_steps.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_io.h"
#include "handover.h"
#include "errors.h"
#include "imr.h"
#include "lmon.h"
#include "log.h"

#define COMP "CGS"
#define MAX_RESTARTS 20

struct run {
	struct lmon *r_l;
	struct sga_reconfig *r_rec;
	uint32_t r_reason;
	uint32_t r_old_control;		/* the control node before this run */
	uint64_t r_seq;
	uint64_t r_candidates;
	uint64_t r_result;
	uint64_t r_new_inc;
	uint32_t r_control;
	uint64_t r_voters;		/* votes the IMR writer counted */
	uint64_t r_evicted;		/* left out by this run */
	uint64_t r_unconfirmed;		/* left out without having confirmed death */
	uint64_t r_step_ns;
	/*
	 * Each instance's life on the voting disks when the run was triggered,
	 * and what each of its slots held: the life a member ran in.  A later
	 * life of that number seen since (a restart right after a clean stop)
	 * is a joiner, not the member this run leaves out: it gets no kill
	 * block and its heartbeats do not hold up the fencing wait.
	 */
	uint64_t r_life[RAC_MAX_INST + 1];
	uint64_t r_slots[RAC_MAX_INST + 1][RAC_MAX_VOTING];
};

static struct sga_reconfig *new_record(struct lmon *l, uint32_t reason, const char *why)
{
	struct sga_cluster *cl = sga_cluster(&l->l_m->m_sga);
	uint64_t id = sga_load(&cl->cl_nrcfg) + 1;
	struct sga_reconfig *rec = &cl->cl_hist[(id - 1) % SGA_RCFG_HIST];

	memset(rec, 0, sizeof(*rec));
	rec->rc_id = id;
	rec->rc_old_inc = sga_load(&cl->cl_incarnation);
	rec->rc_reason = reason;
	rec->rc_before = sga_load(&cl->cl_members);
	rec->rc_start_us = rac_now_us();
	rac_strlcpy(rec->rc_detail, why, sizeof(rec->rc_detail));
	sga_store(&cl->cl_nrcfg, id);
	return rec;
}

static void step(struct run *r, uint32_t s)
{
	struct sga *sga = &r->r_l->l_m->m_sga;
	uint32_t old = rcfg_step(sga);
	uint64_t now = rac_now_mono_ns();

	if (old > RCFG_NONE && old < RCFG_NSTEPS)
		r->r_rec->rc_step_us[old] = (now - r->r_step_ns) / 1000;
	if (s < RCFG_NSTEPS)
		r->r_rec->rc_step_start_us[s] = rac_now_us();
	r->r_step_ns = now;
	rcfg_set_step(sga, s);
	log_change_state(COMP, sga_step_str(old), sga_step_str(s), NULL);
}

/* the head of the DESIGN §5 alert block, once the bitmap is verified (step 4) */
static void log_started(struct run *r)
{
	struct lmon *l = r->r_l;
	char list[160];

	imr_bitmap_str(r->r_result, list, sizeof(list));
	log_alert("Reconfiguration started (old inc %llu, new inc %llu)\n"
		  "List of instances:\n"
		  "%s (myinst: %d)\n"
		  " Global Resource Directory frozen\n"
		  " Communication channels reestablished",
		  (unsigned long long)r->r_rec->rc_old_inc, (unsigned long long)r->r_new_inc,
		  list, l->l_me);
}

/* step 3: agree on the membership */
static int imr(struct run *r)
{
	struct lmon *l = r->r_l;
	struct ctl_membership ms;
	struct ctl_cfvrr vr;
	struct blk_hdr h;
	uint64_t settle, begun;

	if (r->r_reason == RCFG_FORM) {
		/* form() wrote the bitmap with us alone under the claim */
		if (lctl_read_membership(l, &ms, &h))
			return RAC_EIO;
		r->r_result = ms.ms_bitmap;
		r->r_new_inc = ms.ms_incarnation;
		r->r_control = ms.ms_control;
		r->r_candidates = l->l_mybit;
		r->r_voters = l->l_mybit;
		return 0;
	}
	if (lctl_read_membership(l, &ms, &h))
		return RAC_EIO;
	imr_check_left_out(l, &ms);
	l->l_vote_base_inc = ms.ms_incarnation;
	r->r_candidates = ms.ms_bitmap | l->l_mybit;
	r->r_seq = l->l_seq_done + 1;
	if (lctl_read_cfvrr(l, &vr, &h) == 0 && vr.vr_seq + 1 > r->r_seq)
		r->r_seq = vr.vr_seq + 1;
	/* a vote already cast for a sequence we have not settled: join it */
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct ctl_vote v;

		if (i != l->l_me && (r->r_candidates & (1ull << (i - 1))) &&
		    lctl_read_vote(l, i, &v) == 0 && v.cv_seq > r->r_seq &&
		    v.cv_seq <= r->r_seq + 1)
			r->r_seq = v.cv_seq;
	}
	/*
	 * Hear every live candidate first (a joiner is new to us), bounded.  A
	 * joiner whose disk heartbeat we have not seen advance yet is judged
	 * on a read of the voting disks made after this vote began: peers'
	 * slots are read once per disk-heartbeat round, and a joiner that
	 * started writing just before it asked to join must not be voted out
	 * on the round before.
	 */
	begun = rac_now_mono_ns();
	settle = begun + (uint64_t)l->l_m->m_cfg->cf_misscount_ms * 1000000ull;
	for (;;) {
		uint64_t unheard = 0, members = sga_load(&sga_cluster(&l->l_m->m_sga)->cl_members);

		for (int i = 1; i <= RAC_MAX_INST; i++) {
			uint64_t bit = 1ull << (i - 1);

			if (i == l->l_me || !(r->r_candidates & bit))
				continue;
			if (css_disk_alive(l, i) &&
			    sga_load(&sga_peer(&l->l_m->m_sga, i)->pr_net_state) == PEER_UNKNOWN)
				unheard |= bit;
			if (!(members & bit) && !css_disk_alive(l, i) && l->l_disk_read_start_ns <= begun)
				unheard |= bit;
		}
		if (!unheard || rac_now_mono_ns() > settle)
			break;
		css_pump(l, 5);
	}
	return imr_agree(l, r->r_seq, r->r_candidates, &r->r_result, &r->r_new_inc,
			 &r->r_control, &r->r_voters);
}

/*
 * Still step 3: the result goes into the record of this run.  A joiner
 * whose request came after this vote began waits for the next vote; an
 * instance the result leaves out exits.
 */
static int admit_or_exit(struct run *r)
{
	struct lmon *l = r->r_l;
	struct ctl_membership ms;
	struct blk_hdr h;

	r->r_rec->rc_new_inc = r->r_new_inc;
	r->r_rec->rc_after = r->r_result;
	if (!(r->r_result & l->l_mybit) &&
	    sga_load(&sga_cluster(&l->l_m->m_sga)->cl_state) == CGS_RECONFIG &&
	    !(sga_load(&sga_cluster(&l->l_m->m_sga)->cl_members) & l->l_mybit) &&
	    lctl_read_membership(l, &ms, &h) == 0 && (ms.ms_bitmap & l->l_mybit)) {
		/* a joiner whose request came after this vote began: the next one */
		log_info(COMP, "vote sequence %llu was for the members before our join "
			 "request; waiting for the next", (unsigned long long)r->r_seq);
		l->l_seq_done = r->r_seq;
		return RAC_EBUSY;
	}
	if (!(r->r_result & l->l_mybit)) {
		char list[160];

		imr_bitmap_str(r->r_result, list, sizeof(list));
		r->r_rec->rc_done = 3;
		r->r_rec->rc_end_us = rac_now_us();
		log_alert("This instance (%d) is not in the new membership {%s } decided by IMR "
			  "(vote sequence %llu): evicted from the cluster", l->l_me, list,
			  (unsigned long long)r->r_seq);
		lmon_fence_exit(l, "evicted by IMR");
	}
	return 0;
}

/*
 * Still step 3: the instances left out, named in the alert log and killed
 * on the voting disks unless they confirmed their death; then the control
 * node line.
 */
static int evict(struct run *r)
{
	struct lmon *l = r->r_l;
	uint64_t evicted, kill;

	/* left out: members before, and voters the writer counted, not in the result */
	evicted = (r->r_rec->rc_before | r->r_voters) & ~r->r_result & ~l->l_mybit;
	r->r_evicted = evicted;
	r->r_rec->rc_evicted = evicted;
	r->r_unconfirmed = 0;
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if ((evicted & (1ull << (i - 1))) &&
		    sga_load(&sga_peer(&l->l_m->m_sga, i)->pr_disk_state) != PEER_DOWN &&
		    !css_disk_new_life(l, i, r->r_life[i], r->r_slots[i]))
			r->r_unconfirmed |= 1ull << (i - 1);
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (evicted & (1ull << (i - 1)))
			log_alert("Evicting instance %d from cluster", i);
	/*
	 * Rule 2: the survivors write kill blocks for the instances left out that
	 * had not confirmed their death -- one writer, the lowest survivor -- so
	 * an instance that never reads the result (hung, cut off from the disks'
	 * CFVRR) still stops.  A live instance reads the result within a few ms
	 * and its guardian confirms its death; the grace lets it, so that it need
	 * not stop unconfirmed on the kill block and make us wait out its lease.
	 * The block is written all the same: the record of who was killed.
	 */
	/*
	 * Voters left out (the losing side of a split) get their block even if
	 * they have confirmed their death by the time we read the result.
	 */
	kill = r->r_unconfirmed | (r->r_voters & evicted);
	if (kill && __builtin_ffsll((long long)r->r_result) == l->l_me) {
		uint64_t grace = rac_now_mono_ns() +
				 (uint64_t)l->l_m->m_to.to_kill_grace_ms * 1000000ull;

		while (rac_now_mono_ns() < grace) {
			uint64_t alive = 0;

			for (int i = 1; i <= RAC_MAX_INST; i++)
				if ((r->r_unconfirmed & (1ull << (i - 1))) && css_disk_alive(l, i) &&
				    !css_disk_new_life(l, i, r->r_life[i], r->r_slots[i]))
					alive |= 1ull << (i - 1);
			if (!alive)
				break;
			css_pump(l, 2);
		}
		for (int i = 1; i <= RAC_MAX_INST; i++)
			if (kill & (1ull << (i - 1))) {
				char why[64];

				snprintf(why, sizeof(why), "left out by IMR (incarnation %llu)",
					 (unsigned long long)r->r_new_inc);
				css_write_kill(l, i, r->r_life[i], why);
			}
		/* each disk's worker writes them; the alert once all answered (I/O timeout at most) */
		while (css_kill_pending(l))
			css_pump(l, 1);
	}
	/* before the DESIGN §5 block, which stays contiguous */
	if (r->r_control != r->r_old_control) {
		if (!r->r_old_control)
			log_alert("Instance %u is the control node", r->r_control);
		else
			log_alert("Control node moved from instance %u to instance %u "
				  "(instance %u left the cluster)", r->r_old_control, r->r_control,
				  r->r_old_control);
	}
	return 0;
}

/*
 * Step 4: the bitmap must be the one IMR wrote: same incarnation, every
 * member of the result in it (newer join requests may have been added on
 * top).
 */
static int verify_bitmap(struct run *r)
{
	struct lmon *l = r->r_l;
	struct ctl_membership ms;
	struct blk_hdr h;

	if (lctl_read_membership(l, &ms, &h) || ms.ms_incarnation != r->r_new_inc)
		return RAC_EBUSY;	/* the bitmap moved on under us */
	log_started(r);
	return 0;
}

/*
 * Step 5: nobody left out may still write when we go on (fencing first).
 * An evicted instance once seen stopped (death confirmed, or silent past
 * its lease) stays fenced for this wait: if it is restarted meanwhile, the
 * heartbeats of its new life are a joiner's, not the evicted life writing.
 */
static int until_fenced(struct run *r, uint64_t evicted)
{
	struct lmon *l = r->r_l;
	uint64_t deadline = rac_now_mono_ns() +
		((uint64_t)l->l_m->m_cfg->cf_disktimeout_ms + l->l_m->m_to.to_fence_slack_ms) * 1000000ull;
	uint64_t fenced = 0;

	/*
	 * r_life: the life each evicted instance ran in.  A later life of the
	 * same number writes the slot only once that life's counter stood still
	 * for a whole lease (one life per number, css_disk.c): its heartbeats
	 * mean the evicted life is over, not that it still writes.
	 */
	for (;;) {
		uint64_t writing = 0;

		for (int i = 1; i <= RAC_MAX_INST; i++) {
			uint64_t bit = 1ull << (i - 1);

			if (!(evicted & bit) || (fenced & bit))
				continue;
			if (css_disk_alive(l, i) && !css_disk_new_life(l, i, r->r_life[i], r->r_slots[i]))
				writing |= bit;
			else
				fenced |= bit;
		}
		if (!writing)
			return 0;
		if (rac_now_mono_ns() > deadline)
			return RAC_ETIMEDOUT;
		css_pump(l, 2);
	}
}

/* Step 5: the evicted fenced (until_fenced()), then forgotten by CSS */
static int wait_fenced(struct run *r)
{
	struct lmon *l = r->r_l;
	uint64_t evicted = r->r_evicted;

	if (evicted)
		sga_store(&sga_cluster(&l->l_m->m_sga)->cl_recover_inst,
			  (uint32_t)__builtin_ffsll((long long)evicted));
	if (until_fenced(r, evicted)) {
		log_alert("Evicted instances still write to the voting disks %d ms after the "
			  "vote; starting over",
			  l->l_m->m_cfg->cf_disktimeout_ms + (int)l->l_m->m_to.to_fence_slack_ms);
		return RAC_EBUSY;
	}
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (evicted & (1ull << (i - 1))) {
			struct sga_peer *p = sga_peer(&l->l_m->m_sga, i);

			sga_store(&p->pr_net_state, (uint32_t)PEER_UNKNOWN);
			sga_store(&p->pr_net_last_ns, 0);
			l->l_ckpt_moved_ns[i] = 0;
		}
	return 0;
}

/* Step 6: the new membership, where every member of this instance reads it */
static int publish(struct run *r)
{
	struct lmon *l = r->r_l;
	struct sga_cluster *cl = sga_cluster(&l->l_m->m_sga);
	struct sga_header *h = sga_hdr(&l->l_m->m_sga);

	sga_store(&cl->cl_members, r->r_result);
	sga_store(&cl->cl_incarnation, r->r_new_inc);
	sga_store(&cl->cl_control, r->r_control);
	sga_store(&cl->cl_n_ok, (uint32_t)__builtin_popcountll(r->r_result));
	sga_store(&h->sh_incarnation, r->r_new_inc);
	sga_store(&h->sh_role, r->r_control == (uint32_t)l->l_me ? (uint32_t)INST_ROLE_CONTROL :
		  (uint32_t)INST_ROLE_NORMAL);
	return 0;
}

/*
 * The GRD's part: step 7 hands over to LMS, which drops the departed
 * instances' locks and rebuilds the moved buckets from shadows; its counts
 * go into the lines (cancelled: locks of departed instances; traversed:
 * shadows looked at; replayed: shadows sent to new masters).
 */
static int handover(struct run *r)
{
	struct lmon *l = r->r_l;
	struct sga *sga = &l->l_m->m_sga;
	struct rcfg_grd_counts gc;
	uint64_t deadline = rac_now_mono_ns() +
			    (uint64_t)l->l_m->m_to.to_grd_handover_ms * 1000000ull;

	/*
	 * LMS rebuilds the GRD for the new membership: wait for its counts --
	 * unless this instance is shutting down, when LMS stops before LMON
	 * and no rebuild is coming (a stop would otherwise take this long).
	 */
	while (!rcfg_grd_is_done(sga, r->r_new_inc) &&
	       sga_load(&sga_hdr(sga)->sh_state) != INST_SHUTDOWN &&
	       rac_now_mono_ns() < deadline)
		css_pump(l, 2);
	if (!rcfg_grd_is_done(sga, r->r_new_inc) &&
	    sga_load(&sga_hdr(sga)->sh_state) != INST_SHUTDOWN)
		log_warn(COMP, "LMS did not finish the GRD rebuild within %d ms; the alert lines "
			 "show what it reported last", l->l_m->m_to.to_grd_handover_ms);
	rcfg_grd_counts(sga, &gc);
	log_alert(" Master broadcasted resource hash value bitmaps\n"
		  " Non-local Process blocks cleaned out\n"
		  " LMS 0: %u GCS shadows cancelled, 0 closed\n"
		  " Set master node info\n"
		  " Submitted all remote-enqueue requests\n"
		  " Dwn-cvts replayed, VALBLKs dubious\n"
		  " All grantable enqueues granted\n"
		  " Post SMON to start 1st pass IR\n"
		  " LMS 0: %u GCS shadows traversed, %u replayed\n"
		  " Submitted all GCS remote-cache requests\n"
		  " Fix write in gcs resources", gc.gc_cancelled, gc.gc_traversed,
		  gc.gc_replayed);
	return 0;
}

/* one attempt: the seven steps and their stages, in order */
static int run_once(struct run *r)
{
	int rc;

	r->r_old_control = sga_load(&sga_cluster(&r->r_l->l_m->m_sga)->cl_control);
	step(r, RCFG_FREEZE_NAME_SERVICE);
	step(r, RCFG_FREEZE_LOCK_DB);
	step(r, RCFG_IMR);
	rc = imr(r);
	if (rc)
		return rc;
	rc = admit_or_exit(r);
	if (rc)
		return rc;
	rc = evict(r);
	if (rc)
		return rc;
	step(r, RCFG_REBUILD_BITMAP);
	rc = verify_bitmap(r);
	if (rc)
		return rc;
	step(r, RCFG_DELETE_DEAD);
	rc = wait_fenced(r);
	if (rc)
		return rc;
	step(r, RCFG_UNFREEZE_NAME_SERVICE);
	rc = publish(r);
	if (rc)
		return rc;
	step(r, RCFG_HANDOVER_GES);
	return handover(r);
}

int reconfig_run(struct lmon *l, uint32_t reason, int break_inst, const char *why)
{
	struct sga_cluster *cl = sga_cluster(&l->l_m->m_sga);
	struct run r = { .r_l = l, .r_reason = reason };
	uint64_t t0 = rac_now_mono_ns();
	int rc = 0;

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		r.r_life[i] = css_disk_peer_life(l, i);
		css_disk_slot_lives(l, i, r.r_slots[i]);
	}

	log_alert("Reconfiguration triggered (reason %s): %s", sga_reason_str(reason), why);
	sga_store(&cl->cl_break_inst, (uint32_t)break_inst);
	imr_set_cause(l, reason, break_inst);
	cgs_set_state(l, CGS_RECONFIG, why);
	for (int attempt = 0; attempt < MAX_RESTARTS; attempt++) {
		r.r_rec = new_record(l, reason, why);
		rc = run_once(&r);
		if (rc == 0)
			break;
		r.r_rec->rc_done = 2;
		r.r_rec->rc_end_us = rac_now_us();
		member_count(l->l_m, CNT_RECONFIG_RESTARTS);
		log_info(COMP, "reconfiguration %llu overtaken (%s); starting over",
			 (unsigned long long)r.r_rec->rc_id, rac_strerror(rc));
		step(&r, RCFG_NONE);	/* closes the interrupted step's duration */
		css_pump(l, 5);
	}
	if (rc)
		lmon_fence_exit(l, "reconfiguration could not complete");

	step(&r, RCFG_NONE);
	sga_store(&cl->cl_recover_inst, 0u);
	r.r_rec->rc_done = 1;
	r.r_rec->rc_end_us = rac_now_us();
	if (r.r_seq > l->l_seq_done)
		l->l_seq_done = r.r_seq;
	sga_store(&cl->cl_break_inst, 0u);
	member_count(l->l_m, CNT_RECONFIGS);
	/* the block's last line before STABLE: SMON writes only after it */
	log_alert("Reconfiguration complete (total time %.3f secs)",
		  (double)(rac_now_mono_ns() - t0) / 1e9);
	cgs_set_state(l, CGS_STABLE, "reconfiguration complete");
	sga_store(&cl->cl_joined, 1u);
	return 0;
}
