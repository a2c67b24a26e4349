/*
 * lmon.h - LMON's state and the prototypes of its concerns, by file.
 *
 * The files call each other in layers, never upward, so each one links
 * (into a unit test, say) with only the files below it:
 *
 *   lmon.c       main, member_ops hooks, init/fini, the tick
 *     cgs.c        membership: form or join at start, the triggers of a
 *                  reconfiguration, leaving on a clean stop
 *       reconfig.c   reconfig_run(): the seven steps, top to bottom
 *         imr_vote.c   IMR: votes, the claim on the CFVRR, the result; our
 *                      vote's content; records through lib/ctl_io.c
 *           css_ctl.c    control-file calls on the control area's I/O
 *                        worker, pumping the chores while they wait
 *           css.c        the chores that never stop; css_pump() for every wait
 *             css_disk.c   disk heartbeats: this instance's slot on every
 *                          voting disk, the peers' slots read back; our lease
 *               css_net.c    network heartbeats: one DEALER per peer out,
 *                            ROUTER in
 *                 state.c      every LMON state change, the fenced exit
 *   imr.c        the pure IMR decision over a set of votes (no LMON state)
 *
 * A file may call any file below it and imr.c; the inlines here (our own
 * lease, the write gate) may be used by all.
 */
#ifndef LMON_H
#define LMON_H

#include <stdbool.h>

#include "ctl_area.h"
#include "ctl_call.h"
#include "disk.h"
#include "member.h"
#include "msg.h"
#include "ratelim.h"



struct lmon_peer {
	int lp_inst;			/* instance number; 0 = not a peer */
	void *lp_sock;			/* DEALER connected to its LMON endpoint */
	int lp_mon_item;		/* m_items index of its socket monitor, -1 none */
	int lp_connected;		/* last event the monitor reported */
};

struct lmon {
	struct member *l_m;
	int l_me;			/* our instance number */
	uint64_t l_mybit;
	uint64_t l_cluster_id;
	uint64_t l_seq;			/* message sequence */
	struct lmon_peer l_peers[RAC_MAX_INST + 1];
	uint64_t l_configured;		/* bitmap of configured instances */

	/* css_disk.c */
	struct css_disks *l_disks;	/* the voting disks' I/O workers and ops */
	uint64_t l_disk_counter;	/* our disk heartbeat counter */
	uint64_t l_disk_read_ns;	/* monotonic time of our last peer-slot read */
	uint64_t l_disk_read_start_ns;	/* when the latest peer-slot read was issued */
	uint64_t l_disk_seq[RAC_MAX_VOTING];
	uint64_t l_lease_ns;		/* start of the last round that reached a majority */
	uint64_t l_round;		/* disk-heartbeat rounds begun */
	uint64_t l_round_start_ns;	/* when the current one began */
	int l_round_open;		/* not judged yet */
	int l_round_written;		/* disks its heartbeat reached so far */
	int l_round_pending;		/* its I/Os not back yet */
	int l_no_majority;		/* the last round missed a strict majority */
	int l_disks_ok;			/* voting disks the last round reached */
	int l_rule4;			/* kept going as the lowest member under rule 4 */
	uint64_t l_next_net_ns, l_next_disk_ns;
	int l_router_item;		/* index in m_items of the ROUTER */
	int l_local_item;		/* of the local view ROUTER (lmon.sock), -1 none */
	char l_local_path[RAC_PATH_MAX];
	uint64_t l_bad_logged;		/* rate limit of bad-message warnings */

	/* cgs.c, imr_vote.c; css_ctl.c */
	struct ctl_area l_ctl;		/* the control area's copies, one worker each */
	int l_ctl_pump;			/* calls pump the chores while they wait */
	struct ratelim l_ctl_bad[CTL_NBLOCKS];	/* a control-file block that does not read */
	uint64_t l_seq_done;		/* last vote sequence whose result we applied */
	uint64_t l_vote_base_inc;	/* membership incarnation when this vote began */
	/* another's IMR claim as we first saw it: its expiry is timed on our clock */
	uint32_t l_claim_seen_inst;
	uint64_t l_claim_seen_seq;
	uint64_t l_claim_seen_ns;
	uint64_t l_ckpt_count[RAC_MAX_INST + 1];
	uint64_t l_ckpt_moved_ns[RAC_MAX_INST + 1];
	uint64_t l_next_ckpt_ns;
	uint64_t l_next_ctl_poll_ns;	/* membership and votes read again (to_ctl_poll_ms) */
	int l_started;			/* formed or asked to join */
	uint64_t l_join_deadline_ns;
	uint64_t l_form_after_ns;	/* not before: lets a lower instance form */
	uint32_t l_cause_reason;	/* of the reconfiguration running */
	int l_cause_inst;
};

/* state.c */
void cgs_set_state(struct lmon *l, uint32_t st, const char *why);
void css_peer_state(struct lmon *l, int inst, int net, uint32_t state, const char *why);
void vdisk_state(struct lmon *l, int d, uint32_t st, const char *why);
/* the instance is fenced or evicted: stop, writing nothing more to the shared disk */
void lmon_fence_exit(struct lmon *l, const char *why) __attribute__((noreturn));

/* css_net.c */
int css_net_init(struct lmon *l, char *err, size_t errlen);
void css_net_send_heartbeats(struct lmon *l);
void css_net_receive(struct lmon *l, int item);
int css_net_monitor_ready(struct lmon *l, int item);	/* 1 if it was a monitor's */
uint64_t css_net_heard(const struct lmon *l);	/* peers heard within misscount */
uint64_t css_net_heard_within(const struct lmon *l, uint64_t ns);
void css_net_fini(struct lmon *l);
/* instance i's current key changed: new sockets to it (keys reloaded) */
void css_net_rekey(struct lmon *l, int i);

/* css_disk.c */
/* one I/O worker per voting disk; our counter carried on from our slot */
int css_disk_init(struct lmon *l, char *err, size_t errlen);
/* a round: our slot written and every slot read back, by each disk's worker */
void css_disk_beat(struct lmon *l);
/*
 * Every tick: collect what the workers finished (the peers' slots, a kill
 * block addressed to us -- rule 3, exits), mark overdue disks HUNG, judge
 * the round once every disk answered or the I/O timeout passed.
 */
void css_disk_poll(struct lmon *l);
void css_disk_read(struct lmon *l);		/* the same: the latest the disks gave */
/* wait (at most the I/O timeout from the round's start) for the round, and judge it */
void css_disk_settle(struct lmon *l);
bool css_disk_alive(const struct lmon *l, int inst);	/* lease running, not DOWN/DEAD */
/* the life of inst's freshest heartbeat on the voting disks (0: none seen) */
uint64_t css_disk_peer_life(const struct lmon *l, int inst);
/* the life in inst's slot on each voting disk, as last read (0: none) */
void css_disk_slot_lives(const struct lmon *l, int inst, uint64_t lives[RAC_MAX_VOTING]);
/*
 * Has a later life than `life` written inst's slot since `before`
 * (css_disk_slot_lives()) on any voting disk?
 */
bool css_disk_new_life(const struct lmon *l, int inst, uint64_t life,
		       const uint64_t before[RAC_MAX_VOTING]);
/*
 * rule 2: a kill block for an instance left out that still writes, addressed
 * to its life `life` (0: the one it runs in now), handed to every disk's worker; returns the disks it went to.  The alert says on
 * how many it was written once each answered or is overdue:
 * css_kill_pending() is true until then.
 */
int css_write_kill(struct lmon *l, int target, uint64_t life, const char *why);
bool css_kill_pending(struct lmon *l);
struct aio *css_disk_worker(struct lmon *l, int d);	/* voting disk d's (tests) */
void css_disk_fini(struct lmon *l);

/* our own lease (css_disk.c keeps it) */
static inline bool css_lease_ok(const struct lmon *l)
{
	return rac_now_mono_ns() - l->l_lease_ns <=
		(uint64_t)l->l_m->m_cfg->cf_disktimeout_ms * 1000000ull;
}

/*
 * LMON's gate for every control-file write (lib/ctl_io.c): not fenced, and
 * our lease running.  Not sga_may_write_disk(): the two differ before the
 * first lease (css_disk.c css_disk_beat(), sga.h).
 */
static inline bool css_may_write(const struct lmon *l)
{
	return !sga_load(&sga_cluster(&l->l_m->m_sga)->cl_no_disk_writes) && css_lease_ok(l);
}

/* css.c */
void css_chores(struct lmon *l);	/* the CSS chores that must never stop */
/* keep heartbeats and messages going for `ms` (waits inside a reconfiguration) */
void css_pump(struct lmon *l, int ms);

/*
 * css_ctl.c: as lib/ctl_io.h, on every copy of the control area by majority
 * (lib/ctl_area.h), each copy on its own worker; RAC_ETIMEDOUT when no
 * majority answered within the I/O timeout.  css_ctl_open() sets up the
 * copies with calls inline (no worker: unit tests), css_ctl_init() with
 * the workers.
 */
void css_ctl_open(struct lmon *l);
int css_ctl_init(struct lmon *l, char *err, size_t errlen);
void css_ctl_fini(struct lmon *l);
int lctl_read_membership(struct lmon *l, struct ctl_membership *ms, struct blk_hdr *h);
int lctl_read_cfvrr(struct lmon *l, struct ctl_cfvrr *vr, struct blk_hdr *h);
int lctl_read_vote(struct lmon *l, int inst, struct ctl_vote *v);
/* a peer's checkpoint record, read on a descriptor opened for the read */
int lctl_read_ckpt(struct lmon *l, int inst, struct ctl_ckpt *ck, struct blk_hdr *h);
/*
 * A control-file block that did not read (I/O error, short, or failing its
 * checks): counted every time, the trace rate-limited (lib/ratelim.h), one
 * alert line when its streak starts.  Reads made through the calls above
 * report themselves; this is also the corrupt-block handler's (imr_vote.c).
 */
void lctl_bad_block(struct lmon *l, uint32_t blkno, uint16_t type, int rc);
int lctl_write_membership(struct lmon *l, bool may_write, int writer,
			  const struct ctl_membership *ms, uint64_t seq);
int lctl_write_cfvrr(struct lmon *l, bool may_write, int writer, const struct ctl_cfvrr *vr,
		     uint64_t inc, uint64_t seq);
int lctl_write_vote(struct lmon *l, bool may_write, const struct ctl_vote *v, uint64_t inc,
		    uint64_t seq);

/* imr_vote.c */
/* control-file blocks that fail their checks are counted and logged (before any read) */
void imr_init(struct lmon *l);
uint64_t imr_my_vote(struct lmon *l, uint64_t candidates);	/* our vote */
/* a newer membership on the control file leaves us out: exits */
void imr_check_left_out(struct lmon *l, const struct ctl_membership *ms);
int imr_claim(struct lmon *l);			/* 1 held, 0 not */
void imr_unclaim(struct lmon *l);
int imr_cast(struct lmon *l, uint64_t seq, uint64_t bitmap);
/* why the current reconfiguration runs: recorded with our vote */
void imr_set_cause(struct lmon *l, uint32_t reason, int break_inst);
/*
 * Agree on the membership for vote sequence `seq` among `candidates`: vote,
 * and either write the result (holding the claim) or wait for it.  Returns
 * 0 with *result, *new_inc, *control and *voters (the votes the writer
 * counted), or RAC_EBUSY when overtaken by a newer
 * sequence (start over), or RAC_ETIMEDOUT.
 */
int imr_agree(struct lmon *l, uint64_t seq, uint64_t candidates, uint64_t *result,
	      uint64_t *new_inc, uint32_t *control, uint64_t *voters);

/* reconfig.c */
/* run a reconfiguration; returns 0 when complete */
int reconfig_run(struct lmon *l, uint32_t reason, int break_inst, const char *why);

/* cgs.c */
int cgs_init(struct lmon *l, char *err, size_t errlen);
void cgs_tick(struct lmon *l);
void cgs_leave(struct lmon *l);

#endif
