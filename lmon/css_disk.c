/*
 * css_disk.c - disk heartbeats on the voting disks, and our own lease.
 *
 * Every disk_heartbeat_interval_ms LMON writes its slot on each voting disk
 * (durable: O_DSYNC).  Every tick it reads the peers' slots back (cheap:
 * page cache), so a death confirmed by a peer's guardian is seen within a
 * tick, not a heartbeat period.  A peer whose counter has not moved for
 * disktimeout_ms has let its lease run out; a peer whose slot says DOWN or
 * DEAD has confirmed that it is gone.
 *
 * Our own lease: the last time a heartbeat reached a strict majority of the
 * voting disks.  Once it is older than disktimeout_ms the others may already
 * treat us as dead and recover our work, so from then on this instance
 * writes nothing to the shared disk (lmon_fence_exit()).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"
#include "errors.h"
#include "lmon.h"
#include "log.h"

#define COMP "CSS"

int css_disk_init(struct lmon *l, char *err, size_t errlen)
{
	const struct rac_config *cfg = l->l_m->m_cfg;

	(void)err;
	(void)errlen;
	for (int d = 0; d < RAC_MAX_VOTING; d++)
		l->l_vfd[d] = -1;
	sga_store(&sga_cluster(&l->l_m->m_sga)->cl_lease_len_ns,
		  (uint64_t)cfg->cf_disktimeout_ms * 1000000ull);
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct vote_hb hb;
		struct blk_hdr h;

		l->l_vfd[d] = disk_open(cfg->cf_voting[d], 1);
		if (l->l_vfd[d] < 0) {
			/* a missing disk is for the voting rules to judge, not a start failure */
			vdisk_state(l, d, VDISK_OFFLINE, strerror(errno));
			continue;
		}
		/* carry our counter on, so it never goes back */
		if (vote_read_hb(l->l_vfd[d], l->l_me, &hb, &h) == 0) {
			if (hb.hb_counter > l->l_disk_counter)
				l->l_disk_counter = hb.hb_counter;
			l->l_disk_seq[d] = h.bh_sequence;
		}
	}
	return 0;
}

static void read_peer(struct lmon *l, int d, int i, uint64_t now_ns, uint64_t now_us)
{
	struct member *m = l->l_m;
	struct sga_vdisk *v = sga_vdisk(&m->m_sga, d);
	struct sga_peer *p = sga_peer(&m->m_sga, i);
	struct vote_hb hb;
	struct blk_hdr h;
	int rc = vote_read_hb(l->l_vfd[d], i, &hb, &h);

	if (rc == RAC_EIO || rc == RAC_EBLK_SHORT) {
		v->vd_read_errors++;
		member_count(m, CNT_DISK_IO_ERRORS);
		vdisk_state(l, d, VDISK_OFFLINE, rac_strerror(rc));
		return;
	}
	sga_store(&v->vd_last_read_us, now_us);
	if (now_ns > l->l_disk_read_ns)
		l->l_disk_read_ns = now_ns;
	if (rc) {
		if (rc != RAC_EBLK_ZERO) {
			v->vd_corrupt++;
			member_count(m, CNT_DISK_BLOCKS_CORRUPT);
			log_warn(COMP, "voting disk %d: heartbeat slot of instance %d: %s", d + 1, i,
				 rac_strerror(rc));
		}
		return;
	}
	if (hb.hb_counter > sga_load(&p->pr_disk_counter)) {
		/* age by the writer's clock, so an old slot is not taken as fresh */
		uint64_t age_ns = now_us > hb.hb_time_us ? (now_us - hb.hb_time_us) * 1000 : 0;

		if (age_ns > now_ns)
			age_ns = now_ns;
		sga_store(&p->pr_disk_counter, hb.hb_counter);
		sga_store(&p->pr_disk_last_ns, now_ns - age_ns);
		if (hb.hb_state == HB_STATE_ALIVE &&
		    age_ns <= (uint64_t)m->m_cfg->cf_disktimeout_ms * 1000000ull)
			css_peer_state(l, i, 0, PEER_ALIVE, "disk heartbeat advancing");
	}
	if (hb.hb_state != HB_STATE_ALIVE && sga_load(&p->pr_disk_counter) == hb.hb_counter)
		css_peer_state(l, i, 0, PEER_DOWN, hb.hb_state == HB_STATE_DEAD ?
				"death confirmed on the voting disk" :
				"left the cluster (voting disk)");
}

void css_disk_read(struct lmon *l)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	uint64_t now_ns = rac_now_mono_ns(), now_us = rac_now_us();

	for (int d = 0; d < cfg->cf_nvoting; d++) {
		if (l->l_vfd[d] < 0)
			continue;
		for (int i = 1; i <= RAC_MAX_INST; i++)
			if (l->l_peers[i].lp_inst)
				read_peer(l, d, i, now_ns, now_us);
	}
}

bool css_disk_alive(const struct lmon *l, int inst)
{
	const struct member *m = l->l_m;
	const struct sga_peer *p = sga_peer(&m->m_sga, inst);
	uint64_t last = sga_load(&p->pr_disk_last_ns);

	if (inst == l->l_me)
		return true;
	if (sga_load(&p->pr_disk_state) == PEER_DOWN || !last)
		return false;
	/*
	 * Silent for disktimeout as of our last read of the disks, not as of
	 * now: an LMON that stalled between reading and judging must not take
	 * a peer for dead on what it saw before the stall.
	 */
	return l->l_disk_read_ns <= last ||
	       l->l_disk_read_ns - last <= (uint64_t)m->m_cfg->cf_disktimeout_ms * 1000000ull;
}

/*
 * Rule 4: every member hears every other on the network, yet none reaches a
 * strict majority of the voting disks.  The cluster then shrinks to its
 * lowest member -- a one-member cluster cannot split -- and the others leave
 * by rule 1.  The lowest member keeps its lease on the strength of the
 * network: all the others have told it, in heartbeats heard just now, that
 * they lack a majority too, so none of them can be writing as a cluster.
 */
static bool rule4_keeps_us(struct lmon *l)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	struct sga_cluster *cl = sga_cluster(&l->l_m->m_sga);
	uint64_t members = sga_load(&cl->cl_members), others = members & ~l->l_mybit;
	uint64_t window = (uint64_t)l->l_m->m_to.to_rule4_window_ms * 1000000ull;

	uint64_t heard = css_net_heard_within(l, window);

	if (!(members & l->l_mybit) || __builtin_ffsll((long long)members) != l->l_me)
		return false;
	/*
	 * To enter rule 4 we must hear everyone.  Once in it, members that fall
	 * silent are leaving by rule 1 (they lack a majority: their own lease
	 * stops them), so only one heard with a majority ends it.
	 */
	if (!l->l_rule4 && (heard & others) != others)
		return false;
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if ((others & heard & (1ull << (i - 1))) &&
		    sga_load(&sga_peer(&l->l_m->m_sga, i)->pr_disks) * 2 > (uint32_t)cfg->cf_nvoting)
			return false;	/* someone still has a majority: rule 1 for us */
	if (!l->l_rule4) {
		log_alert("Rule 4: every member hears every other but none reaches a strict "
			  "majority of the voting disks; the cluster shrinks to its lowest member, "
			  "this instance (%d), and the others leave", l->l_me);
		l->l_rule4 = 1;
	}
	return true;
}

void css_disk_beat(struct lmon *l)
{
	struct member *m = l->l_m;
	const struct rac_config *cfg = m->m_cfg;
	uint64_t start = rac_now_mono_ns();
	struct vote_hb hb = {
		.hb_inst = (uint32_t)l->l_me,
		.hb_state = HB_STATE_ALIVE,
		.hb_counter = ++l->l_disk_counter,
		.hb_time_us = rac_now_us(),
		.hb_peers = css_net_heard(l),
		.hb_life = sga_hdr(&m->m_sga)->sh_startup_us,
	};
	uint64_t inc = sga_load(&sga_cluster(&m->m_sga)->cl_incarnation);
	int written = 0;

	/* a lapsed lease is final: not one more write */
	if (l->l_lease_ns && !css_lease_ok(l))
		lmon_fence_exit(l, l->l_no_majority ?
				"own voting-disk lease expired: no strict majority of the voting "
				"disks reachable for disktimeout_ms" :
				"own voting-disk lease expired (no heartbeat reached a "
				"majority of the voting disks within disktimeout_ms)");
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct sga_vdisk *v = sga_vdisk(&m->m_sga, d);
		int rc;

		/*
		 * Open afresh every round: a disk that went away (or came back) under
		 * its path is seen within one heartbeat period, as on a real LUN.
		 */
		if (l->l_vfd[d] >= 0)
			close(l->l_vfd[d]);
		l->l_vfd[d] = disk_open(cfg->cf_voting[d], 1);
		if (l->l_vfd[d] < 0) {
			v->vd_write_errors++;
			member_count(m, CNT_DISK_IO_ERRORS);
			vdisk_state(l, d, VDISK_OFFLINE, strerror(errno));
			continue;
		}
		rc = vote_write_hb(l->l_vfd[d], l->l_me, &hb, inc, ++l->l_disk_seq[d]);
		if (rc) {
			v->vd_write_errors++;
			member_count(m, CNT_DISK_IO_ERRORS);
			vdisk_state(l, d, VDISK_OFFLINE, strerror(errno));
			continue;
		}
		written++;
		sga_store(&v->vd_last_write_us, rac_now_us());
		member_count(m, CNT_DISK_HB_WRITES);
		vdisk_state(l, d, VDISK_ONLINE, "heartbeat written");
	}
	l->l_disks_ok = written;
	/* the lease runs from when the round began: the safe side */
	if (written * 2 > cfg->cf_nvoting || rule4_keeps_us(l)) {
		l->l_lease_ns = start;
		sga_store(&sga_cluster(&m->m_sga)->cl_lease_ns, start);
		if (l->l_no_majority && written * 2 > cfg->cf_nvoting) {
			log_alert("A strict majority of the voting disks is reachable again "
				  "(%d of %d)", written, cfg->cf_nvoting);
			l->l_no_majority = 0;
			l->l_rule4 = 0;
		}
	} else if (!l->l_no_majority) {
		/* rule 1: without a majority the lease runs out and we leave by ourselves */
		log_alert("Only %d of %d voting disks reachable: no strict majority; this "
			  "instance leaves the cluster in %d ms (disktimeout_ms) unless a majority "
			  "comes back", written, cfg->cf_nvoting, cfg->cf_disktimeout_ms);
		l->l_no_majority = 1;
	}
}

/*
 * Rule 3: a kill block addressed to us means the cluster went on without us.
 * Nothing more is written to the shared disk -- not by LMON, not by CKPT,
 * not by the guardian -- and the instance goes at once.
 *
 * "Us" is this life of the instance (its start time, which every heartbeat
 * carries), not the incarnation the writer saw in our last heartbeat: that
 * heartbeat may predate our last reconfiguration (we stopped right after a
 * join), and a block addressed to an incarnation we have since left would
 * be ignored by exactly the instance it is meant to stop.  A block from a
 * writer that knew no lives falls back to the incarnation.
 */
void css_check_kill(struct lmon *l)
{
	struct sga_cluster *cl = sga_cluster(&l->l_m->m_sga);
	uint64_t inc = sga_load(&cl->cl_incarnation);
	uint64_t life = sga_hdr(&l->l_m->m_sga)->sh_startup_us;

	if (!inc)
		return;	/* not a member of any incarnation yet */
	for (int d = 0; d < l->l_m->m_cfg->cf_nvoting; d++) {
		struct vote_kill kb;
		struct blk_hdr h;
		char why[256];

		if (l->l_vfd[d] < 0 || vote_read_kill(l->l_vfd[d], l->l_me, &kb, &h))
			continue;
		if (kb.kb_target != (uint32_t)l->l_me)
			continue;
		if (kb.kb_target_life ? kb.kb_target_life != life : kb.kb_target_inc != inc)
			continue;
		sga_store(&cl->cl_no_disk_writes, 1u);
		snprintf(why, sizeof(why), "Kill block read on voting disk %d: instance %u evicted "
			 "this instance (incarnation %llu): %s; stopping all shared-disk I/O", d + 1,
			 kb.kb_issuer, (unsigned long long)inc, kb.kb_reason);
		lmon_fence_exit(l, why);
	}
}

int css_write_kill(struct lmon *l, int target, const char *why)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	struct vote_kill kb = { .kb_target = (uint32_t)target, .kb_issuer = (uint32_t)l->l_me,
				.kb_time_us = rac_now_us() };
	uint64_t inc = sga_load(&sga_cluster(&l->l_m->m_sga)->cl_incarnation), best = 0;
	int found = 0, written = 0;

	if (!sga_may_write_disk(&l->l_m->m_sga))
		return 0;
	/*
	 * Addressed to the life the target runs in, which its freshest heartbeat
	 * names (with the incarnation it had then, for the record).  A heartbeat
	 * written before the target joined carries incarnation 0 but its life all
	 * the same.
	 */
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct vote_hb hb;
		struct blk_hdr h;

		if (l->l_vfd[d] >= 0 && vote_read_hb(l->l_vfd[d], target, &hb, &h) == 0 &&
		    (!found || hb.hb_counter > best)) {
			kb.kb_target_inc = h.bh_incarnation;
			kb.kb_target_life = hb.hb_life;
			best = hb.hb_counter;
			found = 1;
		}
	}
	if (!found || (!kb.kb_target_inc && !kb.kb_target_life)) {
		log_warn(COMP, "no kill block for instance %d: no heartbeat of it on the voting "
			 "disks names its life", target);
		return 0;
	}
	rac_strlcpy(kb.kb_reason, why, sizeof(kb.kb_reason));
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct vote_kill old;
		struct blk_hdr h = { 0 };

		if (l->l_vfd[d] < 0)
			continue;
		if (vote_read_kill(l->l_vfd[d], target, &old, &h))
			h.bh_sequence = 0;
		if (vote_write_kill(l->l_vfd[d], &kb, inc, h.bh_sequence + 1) == 0)
			written++;
	}
	log_alert("Kill block written for instance %d (incarnation %llu) on %d of %d voting "
		  "disks: %s", target, (unsigned long long)kb.kb_target_inc, written,
		  cfg->cf_nvoting, why);
	return written;
}

void css_disk_fini(struct lmon *l)
{
	for (int d = 0; d < RAC_MAX_VOTING; d++)
		if (l->l_vfd[d] >= 0) {
			close(l->l_vfd[d]);
			l->l_vfd[d] = -1;
		}
}
