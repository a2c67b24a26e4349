/*
 * imr_vote.c - IMR: votes, the claim on the CFVRR, the result.
 *
 * Every member writes its vote (the bitmap of candidates it can work with)
 * for vote sequence S into its own vote block of the control file.  Exactly
 * one member writes the result: the one holding the claim on the CFVRR.
 *
 * The claim is a lease on the disk, not an fcntl lock a stopped process
 * would keep: {holder, expiry} in the CFVRR block.  To take it, read the
 * block; if it is free or expired, write ourselves in, wait the claim's settle time (timeouts.h)
 * (longer than any competitor's read-to-write gap), read again: if we are
 * still there, it is ours.  A holder that hangs loses it at expiry.
 *
 *   member: imr_cast(S) ------------------------------> vote block (own)
 *   writer: imr_claim -> wait for the votes of every candidate alive on the
 *           disks (at most the vote timeout) -> imr_result() -> membership
 *           block {result, valid, inc+1, control} -> CFVRR {S, votes,
 *           result, writer}, claim released
 *   others: poll the CFVRR until it holds the result for S
 *
 * A vote for a sequence newer than S means the world moved on: return
 * RAC_EBUSY and the caller starts over with the newer sequence.
 *
 * The records are read and written through lib/ctl_io.c, every write
 * behind LMON's gate css_may_write().
 */
#include <stdio.h>
#include <string.h>

#include "ctl_io.h"
#include "errors.h"
#include "imr.h"
#include "lmon.h"
#include "log.h"

#define COMP "IMR"

/* a control-file block that fails its checks: counted, and named (rate-limited) */
static void corrupt_block(void *arg, uint32_t blkno, uint16_t type, int rc)
{
	lctl_bad_block(arg, blkno, type, rc);
}

void imr_init(struct lmon *l)
{
	ctl_call_on_corrupt(corrupt_block, l);
}

static int write_cfvrr(struct lmon *l, const struct ctl_cfvrr *vr, uint64_t seq)
{
	return lctl_write_cfvrr(l, css_may_write(l), l->l_me, vr,
				  sga_load(&sga_cluster(&l->l_m->m_sga)->cl_incarnation), seq);
}

void imr_set_cause(struct lmon *l, uint32_t reason, int break_inst)
{
	l->l_cause_reason = reason;
	l->l_cause_inst = break_inst;
}

/*
 * Our vote: the candidates we can work with -- ourselves, and every other
 * candidate we hear on the network, whose lease is running and whose
 * control-file heartbeat moves.
 */
uint64_t imr_my_vote(struct lmon *l, uint64_t candidates)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	uint64_t now = rac_now_mono_ns(), vote = l->l_mybit;
	/*
	 * "Can talk to now": heard within five heartbeats (at least 500 ms), not
	 * within misscount.  When one member's misscount runs out and it starts
	 * a vote, the others' own timers may not have run out yet; with a fresh
	 * window every member's vote says the same about a peer that went quiet
	 * seconds ago, while a healthy peer is heard every heartbeat interval.
	 */
	uint64_t window = l->l_m->m_to.to_vote_window_ms;
	uint64_t heard;

	heard = css_net_heard_within(l, window * 1000000ull);

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		uint64_t bit = 1ull << (i - 1);

		if (i == l->l_me || !(candidates & bit) || !(heard & bit) || !css_disk_alive(l, i))
			continue;
		if (l->l_ckpt_moved_ns[i] &&
		    now - l->l_ckpt_moved_ns[i] > (uint64_t)cfg->cf_ckpt_timeout_ms * 1000000ull)
			continue;
		vote |= bit;
	}
	return vote;
}

/*
 * A membership on the control file newer than ours that leaves us out: the
 * others voted and went on while we were not looking (LMON stopped, or not
 * scheduled).  Whether or not a kill block reached us, we are out -- and a
 * vote of ours now, with old candidates and none of their votes, could
 * only claim the cluster for a lone member and evict the majority.
 */
void imr_check_left_out(struct lmon *l, const struct ctl_membership *ms)
{
	struct sga_cluster *cl = sga_cluster(&l->l_m->m_sga);
	uint64_t inc = sga_load(&cl->cl_incarnation);
	char why[192];

	if (!inc || !(sga_load(&cl->cl_members) & l->l_mybit) ||
	    ms->ms_incarnation <= inc || (ms->ms_bitmap & l->l_mybit))
		return;
	member_count(l->l_m, CNT_IMR_LEFT_OUT);
	snprintf(why, sizeof(why), "Membership incarnation %llu on the control file leaves "
		 "this instance out (it was in incarnation %llu): evicted while LMON was not "
		 "running", (unsigned long long)ms->ms_incarnation, (unsigned long long)inc);
	/* with the lease still ours the guardian confirms the death, so they need not wait */
	lmon_fence_exit(l, why);
}

int imr_cast(struct lmon *l, uint64_t seq, uint64_t bitmap)
{
	struct ctl_vote v = { .cv_inst = (uint32_t)l->l_me, .cv_seq = seq, .cv_bitmap = bitmap,
			      .cv_time_us = rac_now_us(), .cv_reason = l->l_cause_reason,
			      .cv_break = (uint32_t)l->l_cause_inst };
	char who[128];
	int rc;

	rc = lctl_write_vote(l, css_may_write(l), &v,
			       sga_load(&sga_cluster(&l->l_m->m_sga)->cl_incarnation), seq);
	if (rc == 0) {
		member_count(l->l_m, CNT_IMR_VOTES);
		imr_bitmap_str(bitmap, who, sizeof(who));
		log_info(COMP, "vote for sequence %llu cast: can talk to%s",
			 (unsigned long long)seq, who);
	}
	return rc;
}

int imr_claim(struct lmon *l)
{
	struct ctl_cfvrr vr;
	struct blk_hdr h;
	uint64_t now = rac_now_us(), t0, settle_ms;

	if (lctl_read_cfvrr(l, &vr, &h)) {
		memset(&vr, 0, sizeof(vr));
		memset(&h, 0, sizeof(h));
	}
	/*
	 * Another's claim is held until it has stood unchanged (same holder,
	 * same block sequence) for the claim lease on OUR clock since we first
	 * saw it; the expiry it wrote is in its wall clock, for people only.
	 * The holder's own lease began before our first sight, so it runs out
	 * on its side first.
	 */
	if (vr.vr_claim_inst && vr.vr_claim_inst != (uint32_t)l->l_me) {
		uint64_t mono = rac_now_mono_ns();

		if (l->l_claim_seen_inst != vr.vr_claim_inst ||
		    l->l_claim_seen_seq != h.bh_sequence) {
			l->l_claim_seen_inst = vr.vr_claim_inst;
			l->l_claim_seen_seq = h.bh_sequence;
			l->l_claim_seen_ns = mono;
			return 0;
		}
		if (mono - l->l_claim_seen_ns < l->l_m->m_to.to_claim_lease_us * 1000ull)
			return 0;
		log_info(COMP, "claim of instance %u unchanged for the claim lease (%llu ms) on "
			 "this host's clock: taken as expired", vr.vr_claim_inst,
			 (unsigned long long)(l->l_m->m_to.to_claim_lease_us / 1000));
	}
	vr.vr_claim_inst = (uint32_t)l->l_me;
	vr.vr_claim_expires_us = now + l->l_m->m_to.to_claim_lease_us;
	t0 = rac_now_mono_ns();
	if (write_cfvrr(l, &vr, h.bh_sequence + 1))
		return 0;
	/*
	 * Another claimant that read the block before our write landed writes
	 * its claim within about one such I/O of ours: wait out twice what
	 * ours took (at least the settle time) before reading back.
	 */
	settle_ms = (rac_now_mono_ns() - t0) * 2 / 1000000;
	if (settle_ms < l->l_m->m_to.to_claim_settle_ms)
		settle_ms = l->l_m->m_to.to_claim_settle_ms;
	if (settle_ms > l->l_m->m_to.to_io_timeout_ms)
		settle_ms = l->l_m->m_to.to_io_timeout_ms;
	css_pump(l, (int)settle_ms);
	if (lctl_read_cfvrr(l, &vr, &h))
		return 0;
	if (vr.vr_claim_inst != (uint32_t)l->l_me)
		return 0;
	log_debug(COMP, "CFVRR claim taken");
	return 1;
}

void imr_unclaim(struct lmon *l)
{
	struct ctl_cfvrr vr;
	struct blk_hdr h;

	if (lctl_read_cfvrr(l, &vr, &h) || vr.vr_claim_inst != (uint32_t)l->l_me)
		return;
	vr.vr_claim_inst = 0;
	vr.vr_claim_expires_us = 0;
	write_cfvrr(l, &vr, h.bh_sequence + 1);
}

/* votes cast for `seq` by candidates; RAC_EBUSY if one is for a newer sequence */
static int collect(struct lmon *l, uint64_t seq, uint64_t candidates, uint64_t votes[],
		   uint64_t *voters)
{
	*voters = 0;
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct ctl_vote v;
		uint64_t bit = 1ull << (i - 1);

		votes[i - 1] = 0;
		if (!(l->l_configured & bit) || lctl_read_vote(l, i, &v))
			continue;
		if (v.cv_seq > seq && (candidates & bit))
			return RAC_EBUSY;
		if (v.cv_seq == seq && (candidates & bit)) {
			votes[i - 1] = v.cv_bitmap & candidates;
			*voters |= bit;
		}
	}
	return 0;
}

static void votes_str(const uint64_t votes[], uint64_t voters, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 1; i <= RAC_MAX_INST && used < len; i++) {
		char b[128];
		int n;

		if (!(voters & (1ull << (i - 1))))
			continue;
		imr_bitmap_str(votes[i - 1], b, sizeof(b));
		n = snprintf(buf + used, len - used, "%s%d:{%s }", used ? " " : "", i, b);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* We hold the claim: gather the votes, decide, write membership then result. */
static int write_result(struct lmon *l, uint64_t seq, uint64_t candidates, uint64_t *result,
			uint64_t *new_inc, uint32_t *control, uint64_t *counted)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	uint64_t votes[RAC_MAX_INST], voters = 0, expected = 0;
	uint64_t deadline = rac_now_mono_ns() + (uint64_t)l->l_m->m_to.to_vote_ms * 1000000ull;
	struct ctl_membership ms;
	struct ctl_cfvrr vr;
	struct blk_hdr mh, vh;
	uint64_t pending, bitmap;
	char vs[512], rs[128];
	int rc;

	for (;;) {
		expected = 0;
		for (int i = 1; i <= RAC_MAX_INST; i++)
			if ((candidates & (1ull << (i - 1))) && css_disk_alive(l, i))
				expected |= 1ull << (i - 1);
		rc = collect(l, seq, candidates, votes, &voters);
		if (rc)
			return rc;
		if ((voters & expected) == expected || rac_now_mono_ns() > deadline)
			break;
		css_pump(l, 2);
	}
	if (imr_split_brain(votes, voters)) {
		votes_str(votes, voters, vs, sizeof(vs));
		log_alert("IMR: votes for sequence %llu show disjoint groups (%s): split brain; "
			  "waiting %d ms (imr_splitbrain_res_wait_ms) for CSS to resolve it",
			  (unsigned long long)seq, vs, cfg->cf_imr_splitbrain_res_wait_ms);
		css_pump(l, cfg->cf_imr_splitbrain_res_wait_ms);
		if ((rc = collect(l, seq, candidates, votes, &voters)))
			return rc;
	}
	*result = imr_result(votes, voters);
	*counted = voters;
	/*
	 * The new incarnation is the one read plus one: never derived from a
	 * record that could not be read from a majority of the copies (it
	 * could go back), nor written with a sequence that is not above theirs.
	 */
	if ((rc = lctl_read_membership(l, &ms, &mh))) {
		log_warn(COMP, "vote sequence %llu: membership unreadable from a majority of the "
			 "control area's copies: %s; not writing a result", (unsigned long long)seq,
			 rac_strerror(rc));
		return rc == RAC_ETIMEDOUT ? rc : RAC_EIO;
	}
	/*
	 * A membership newer than the incarnation this vote started from was
	 * written by another writer of this vote (a claim taken alongside ours:
	 * the claim is only as exclusive as shared-disk I/O is short).  Writing
	 * ours on top would give the cluster two incarnations; its result
	 * follows on the CFVRR block, and we take that one.
	 */
	if (ms.ms_incarnation > l->l_vote_base_inc) {
		member_count(l->l_m, CNT_IMR_RESULT_RACES);
		log_info(COMP, "vote sequence %llu: membership incarnation %llu already written "
			 "by another writer; taking its result", (unsigned long long)seq,
			 (unsigned long long)ms.ms_incarnation);
		return RAC_EEXIST;
	}
	*new_inc = ms.ms_incarnation + 1;
	*control = ms.ms_control && (*result & (1ull << (ms.ms_control - 1))) ? ms.ms_control :
		(uint32_t)__builtin_ffsll((long long)*result);
	/*
	 * Requests that came in after this vote began (a second joiner, a
	 * leaver) are kept, not overwritten: the bitmap then stays invalid and
	 * the members run one more reconfiguration for them.
	 */
	pending = ms.ms_bitmap & ~candidates;
	bitmap = (*result & (ms.ms_bitmap | ~candidates)) | pending;
	ms = (struct ctl_membership){ .ms_bitmap = bitmap, .ms_valid = bitmap == *result,
				      .ms_incarnation = *new_inc, .ms_control = *control };
	if ((rc = lctl_write_membership(l, css_may_write(l), l->l_me,
					  &ms, mh.bh_sequence + 1)))
		return rc;

	if ((rc = lctl_read_cfvrr(l, &vr, &vh))) {
		log_warn(COMP, "vote sequence %llu: CFVRR unreadable from a majority of the control "
			 "area's copies: %s; not writing the result", (unsigned long long)seq,
			 rac_strerror(rc));
		return rc == RAC_ETIMEDOUT ? rc : RAC_EIO;
	}
	vr.vr_seq = seq;
	for (int i = 0; i < RAC_MAX_INST; i++) {
		vr.vr_vote[i] = votes[i];
		vr.vr_vote_seq[i] = (voters & (1ull << i)) ? seq : 0;
	}
	vr.vr_result = *result;
	vr.vr_result_writer = (uint32_t)l->l_me;
	vr.vr_incarnation = *new_inc;
	vr.vr_control = *control;
	vr.vr_claim_inst = 0;
	vr.vr_claim_expires_us = 0;
	if ((rc = write_cfvrr(l, &vr, vh.bh_sequence + 1)))
		return rc;
	member_count(l->l_m, CNT_IMR_RESULTS_WRITTEN);
	votes_str(votes, voters, vs, sizeof(vs));
	imr_bitmap_str(*result, rs, sizeof(rs));
	log_alert("IMR vote sequence %llu: votes %s; result {%s } written by instance %d",
		  (unsigned long long)seq, vs, rs, l->l_me);
	return 0;
}

int imr_agree(struct lmon *l, uint64_t seq, uint64_t candidates, uint64_t *result,
	      uint64_t *new_inc, uint32_t *control, uint64_t *counted)
{
	uint64_t start = rac_now_mono_ns();
	uint64_t give_up = start + 3 * l->l_m->m_to.to_claim_lease_us * 1000ull;
	uint64_t my_vote = imr_my_vote(l, candidates), votes[RAC_MAX_INST], voters;
	int rc;

	if ((rc = imr_cast(l, seq, my_vote)))
		return rc;
	for (;;) {
		struct ctl_cfvrr vr;
		struct blk_hdr h;
		/*
		 * Who writes is judged afresh each time round: a peer in our vote
		 * whose death the voting disks confirm a moment later does not
		 * keep the pen for the whole claim lease.
		 */
		int lowest = __builtin_ffsll((long long)imr_my_vote(l, candidates));

		if (lctl_read_cfvrr(l, &vr, &h) == 0 && vr.vr_seq >= seq && vr.vr_result) {
			if (vr.vr_seq > seq)
				return RAC_EBUSY;
			*result = vr.vr_result;
			*new_inc = vr.vr_incarnation;
			*control = vr.vr_control;
			*counted = 0;
			for (int i = 0; i < RAC_MAX_INST; i++)
				if (vr.vr_vote_seq[i] == seq)
					*counted |= 1ull << i;
			return 0;
		}
		if ((rc = collect(l, seq, candidates, votes, &voters)))
			return rc;
		/* the lowest instance we can talk to writes; anyone, once that stalls */
		if (lowest == l->l_me ||
		    rac_now_mono_ns() - start > l->l_m->m_to.to_claim_lease_us * 1000ull) {
			if (imr_claim(l)) {
				rc = write_result(l, seq, candidates, result, new_inc, control,
						  counted);
				if (rc)
					imr_unclaim(l);
				if (rc != RAC_EEXIST)
					return rc;
				/* another writer's result is on its way: read it */
			}
		}
		if (rac_now_mono_ns() > give_up)
			return RAC_ETIMEDOUT;
		css_pump(l, 2);
	}
}
