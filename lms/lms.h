/*
 * lms.h - LMS0, the Global Resource Directory service: its private header.
 *
 * LMS masters the resources whose hash bucket maps to this instance and
 * serves the instance's clients.  The lock table itself is grd*.c (grd.h); LMS
 * moves requests, answers and events between clients, LMSes and the table:
 *
 *   client --MSG_LK_REQUEST--> LMS (client socket, ipc://<local_dir>/lms.sock:
 *                                   a ZMTP ROUTER served in LMS's thread, zmtp_srv.c)
 *     master here:   grd_*() on our table       --MSG_LK_REPLY--> client
 *     master remote: --MSG_GRD_OP--> master LMS: grd_*()
 *                    <--MSG_GRD_RESULT--          --MSG_LK_REPLY--> client
 *   events of a master's table (granted later, blocking, timed out,
 *   deadlock) go to the owner: --MSG_LK_EVENT--> client, through the
 *   owner's LMS (--MSG_GRD_EVENT-->) when it lives elsewhere.
 *   A request flagged LK_NOREPLY (racrt_unlock_nowait) is answered to the
 *   client only if it fails; LK_OP_SYNC is answered at once, as a barrier.
 *
 * Masters.  A resource's bucket (grd_bucket(), 1024 of them) is mastered by
 * the member that wins a rendezvous hash of (bucket, instance): when
 * membership changes, only the buckets of departed or joining instances
 * change master.  A lock id carries the instance whose table gave it out in
 * its top byte (and a start stamp in the next), so that ids stay unique as
 * locks move; where a lock is mastered now is known from its shadow or our
 * table (below).
 *
 * Freezing.  While LMON reconfigures (cl_state RECONFIG) requests wait in a
 * queue -- they are not failed -- and are replayed once the membership is
 * settled.  Locks owned by instances that left are dropped from our table
 * (marking value blocks dubious where they held PW or EX).
 *
 * Dead clients.  A client's session is its socket identity and pid; a
 * session whose pid is gone has its locks released on every master.
 *
 * Shadows and remastering.  Each lock our clients hold or wait for is in
 * our table (we master it) or has a shadow here (name, id, granted and
 * requested mode; another LMS masters it), kept up from that master's
 * answers and events.  Converts and unlocks are routed by the shadow's
 * name, or to our table when the lock is there.  When membership changes,
 * every LMS drops the moved buckets from its table.  A living old master
 * sends each moved bucket's new master all it had there -- every owner's
 * locks, with the value blocks (its own clients' locks get a shadow); where
 * the old master is gone, every owner sends its clients' locks from its
 * shadows.  Then a DONE.  A new master imports once every survivor's DONE
 * is in: granted locks as granted, waiters in the old master's queue order
 * (in lock-id order when they come from shadows); the shadows of its own
 * clients' locks it imported go.  A bucket whose master died comes
 * back with its value blocks dubious; locks of instances that left are gone.
 *
 * Crossing a reconfiguration.  Every LMS to LMS message carries the
 * sender's incarnation.  A request routed under an older map to a master
 * that no longer has the resource goes back (LK_ST_MOVED) and is routed anew;
 * one routed under a newer map than ours waits until we catch up.  Answers
 * of a departed master that come after we settled are void (its requests
 * were resubmitted), and so is anything a peer's socket kept for this
 * instance's previous life and delivers after a restart.
 *
 * The files, one concern each, all sharing `struct lms` below (one
 * sub-struct per file):
 *   lms.c        main, member_ops, init/fini, lms_tick(): the chores in order
 *   dispatch.c   receiving from both sockets, ONE switch over every type
 *   request.c    routing (master_of), client and peer requests, apply(), the
 *                frozen queue, requests in flight, dead clients
 *   out.c        output bundles, to_client/to_peer, parked "queued" answers,
 *                drain_events
 *   session.c    client sessions, identity hash, the pid table
 *   shadow.c     the shadow table
 *   bucketmap.c  the rendezvous hash and the bucket-map diff of a change
 *   fastcache.c  the SGA lock cache, from LMS's side
 *   remaster.c   rebuild mechanics: sending, storing, sorting, importing
 *   rcfg.c       LMS's side of a reconfiguration, as one state machine
 *   deadlock.c   the cross-instance deadlock coordinator
 *   ges_dump.c   the v$ges_* dump
 *   grd.c grd_cycle.c  the lock table;  zmtp_srv.c  the clients' ROUTER
 */
#ifndef RAC_LMS_H
#define RAC_LMS_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fastlock.h"
#include "grd.h"
#include "member.h"
#include "msg.h"
#include "rac.h"
#include "sga.h"

#define COMP "GES"
#define MAX_SESSIONS 4096
#define PARK_MAX 64			/* "queued" answers held back at once */
#define DL_CAND_MAX 64		/* longest cross-instance cycle broken */
#define RB_SENT_MAX 8		/* changes overtaking one another, at most */

struct session {
	uint8_t se_ident[32];
	uint8_t se_ident_len;
	uint32_t se_id;		/* client id: owner (our instance, se_id); its low
				 * bits are the slot (SESS_SLOT) */
	pid_t se_pid;
	int se_used;
	uint16_t se_next;	/* next in its identity chain, slot + 1; 0: none */
	uint8_t se_oq;		/* its output bundle, index + 1; 0: none */
};

/*
 * Output bundles.  What a burst of work produces for one receiver (a peer
 * LMS or a client session) is gathered in one MSG_LK_BUNDLE and sent when
 * the burst ends (out_flush_all), or when the bundle is full: one ZeroMQ
 * message instead of one per answer.
 */
#define OUTQ_N		64

struct outq {
	int oq_peer;		/* > 0: that instance's LMS */
	int oq_slot;		/* else: the session in this slot */
	struct msg_bundle oq_b;
};

#define SESS_SLOT(id)	((id) & (MAX_SESSIONS - 1))
#define SESS_HASH	(2 * MAX_SESSIONS)

/* a request forwarded to another master, not answered yet */
struct inflight {
	struct inflight *if_next;
	int if_master;
	struct msg_lk if_lk;
};

/* a request held while the GRD is frozen */
struct frozen {
	struct frozen *fr_next;
	int fr_from;		/* 0: a local client (se_id in lk), else the instance */
	uint32_t fr_inc;	/* from an instance: the incarnation it routed by */
	struct msg_lk fr_lk;
};

/*
 * A shadow is 32 bytes: there is one for each lock of our clients, so it is
 * most of LMS's memory after the lock table.  Names of up to SH_INLINE
 * bytes (the common case) are kept in the entry, longer ones in a copy of
 * their own that the entry owns (freed when it is deleted or renamed).
 */
#define SH_INLINE 16

struct shadow {
	uint64_t sh_lkid;		/* 0: free slot */
	uint32_t sh_client;
	int8_t sh_gr, sh_rq;		/* granted / requested mode, GRD_IV none */
	uint8_t sh_state;		/* enum grd_lock_state */
	uint8_t sh_namelen;
	union {
		uint8_t sh_in[SH_INLINE];	/* sh_namelen <= SH_INLINE */
		uint8_t *sh_out;		/* else: malloc'ed */
	};
};
static_assert(sizeof(struct shadow) == 32, "keep the shadow at 32 bytes");

/* a "queued" answer held back for a moment (to_client) */
struct parked {
	uint64_t pk_due;		/* monotonic ns: send it then */
	uint32_t pk_client;
	struct msg_lk pk_lk;
};

/* a record received for the rebuild of a resource we now master */
struct rb_rec {
	struct rb_rec *rb_next;
	int rb_from;			/* instance that sent it */
	uint64_t rb_seq;		/* order of arrival */
	struct msg_lk rb_lk;
};

/*
 * LMS's side of a reconfiguration (rcfg.c).  FROZEN: LMON froze the GRD
 * (requests wait); REBUILDING: the membership settled and we wait for the
 * survivors' rebuild records.  A change that comes while REBUILDING
 * overtakes it (REBUILDING again).
 */
enum lms_rc {
	LR_RUNNING,
	LR_FROZEN,		/* rc_freeze_ns != 0, not rebuilding */
	LR_REBUILDING,
};

struct zsrv;

struct lms {
	/* shared by every file */
	struct member *s_m;
	struct grd *s_grd;
	uint64_t s_cluster_id;
	uint64_t s_seq;
	int s_peer_item;			/* ROUTER on lms_endpoint */
	int s_client_item;			/* s_zs's descriptor in the poll items */
	struct zsrv *s_zs;			/* ROUTER on ipc://<local_dir>/lms.sock,
						 * served natively (zmtp_srv.h) */
	char s_sock_path[RAC_PATH_MAX + 16];
	void *s_peer[RAC_MAX_INST + 1];		/* DEALER to each peer LMS */
	uint64_t s_members;			/* membership the bucket map is built on */
	gid_t s_client_gid;			/* client_group's gid, (gid_t)-1 none */
	uid_t s_euid;				/* the cluster's user: ours */
	uint64_t s_inc;
	uint64_t s_join_inc;			/* the incarnation we (re)joined in */

	/* lms.c: the tick's own */
	uint64_t s_next_reap_ns;
	bool s_lease_stale;		/* LMON's disk lease is old: nothing is granted */

	/* session.c */
	struct {
		struct session ss_tab[MAX_SESSIONS];
		uint16_t ss_head[SESS_HASH];		/* identity hash -> slot + 1 */
		uint32_t ss_next_gen;			/* session ids: generation << 12 | slot */
		struct { uint64_t key; pid_t pid; } ss_pids[4096];	/* owner -> pid, for views */
	} sess;

	/* out.c */
	struct {
		struct outq *ou_q;			/* OUTQ_N of them */
		uint8_t ou_used;			/* in use: 0 .. ou_used - 1 */
		uint8_t ou_peer[RAC_MAX_INST + 1];	/* peer -> bundle index + 1 */
		struct parked ou_park[PARK_MAX];	/* "queued" answers held back */
		int ou_npark;
	} out;

	/* request.c */
	struct {
		struct frozen *rq_frozen, **rq_frozen_tail;
		size_t rq_nfrozen;
		struct inflight *rq_inflight;		/* forwarded, unanswered (resubmitted if
							 * their master leaves) */
	} req;

	/* shadow.c */
	struct {
		struct shadow *st_tab;			/* open addressing by lkid */
		size_t st_cap, st_n;
	} sh;

	/* deadlock.c: deadlock detection across instances (the lowest member coordinates) */
	struct {
		uint64_t dl_next_ns;
		uint32_t dl_round;			/* 0: no round running */
		uint64_t dl_expect, dl_got;
		uint64_t dl_deadline_ns;
		struct grd_edge *dl_edges;
		size_t dl_n, dl_cap;
		struct grd_edge dl_cand[DL_CAND_MAX];	/* a cycle seen once, to be seen again */
		int dl_ncand, dl_ncand_was;
	} dl;

	/* remaster.c */
	struct {
		uint32_t rm_inc;			/* the incarnation being rebuilt */
		uint64_t rm_done;			/* survivors whose DONE is in */
		uint32_t rm_done_inc;			/* ... for this incarnation */
		uint64_t rm_base;			/* membership of the last rebuild that
							 * every member finished */
		uint64_t rm_base_inc;
		uint64_t rm_local;			/* ... that we finished */
		uint64_t rm_fin_inc, rm_fin_mask;	/* members that finished rm_fin_inc */
		uint64_t rm_mid;			/* membership before this change */
		uint64_t rm_seq;			/* rebuild records received, ever */
		uint64_t rm_moved[(GRD_NBUCKETS + 63) / 64];	/* buckets we take in */
		struct grd_export rm_sent[RB_SENT_MAX];	/* our table's part of each change */
		int rm_nsent;				/* ... since rm_base */
		uint64_t rm_expect;			/* survivors that must send DONE */
		struct rb_rec *rm_recs;			/* records received */
		uint64_t rm_start_ns;
		uint32_t rm_traversed, rm_replayed, rm_cancelled, rm_dubious;
	} rb;

	/* rcfg.c */
	struct {
		enum lms_rc rc_state;
		uint64_t rc_freeze_ns;			/* when the GRD froze, 0: not frozen */
		uint64_t rc_done_due_ns;		/* fault injection: DONE held until then */
		/* instance recovery: locks of failed instances held until SMON is done */
		uint64_t rc_rec_insts;			/* instances whose PW/EX locks we hold */
		uint64_t rc_rec_posted;			/* incarnation SMON was posted for */
	} rc;

	/* fastcache.c: the SGA lock cache (shm/fastlock.h) */
	struct {
		struct fl_area *fc_fl;
		uint64_t fc_next_sweep_ns;
		uint64_t fc_lease_ns;	/* the lock cache's lease (0: no cache) */
	} fast;
};

extern struct lms lms;

/* waiting for the survivors' rebuild records (rcfg.c) */
static inline bool lms_rebuilding(void)
{
	return lms.rc.rc_state == LR_REBUILDING;
}

/*
 * LMON's voting-disk lease is what lets this instance act for the cluster.
 * Not renewed for most of disktimeout (LMON stopped, starved, or cut off
 * from the disks), it may soon let the others evict us and take over the
 * resources we master -- while nobody here has told LMS.  So LMS grants
 * nothing more, and stops stamping the lock cache's lease (which closes it
 * within its own lease), a margin before the others may act: they wait for
 * the lease to run out from when they saw our last heartbeat, which is
 * after it started.
 */
static inline bool lease_stale(uint64_t now)
{
	const struct sga_cluster *cl = sga_cluster(&lms.s_m->m_sga);
	uint64_t lease = sga_load(&cl->cl_lease_ns);
	uint64_t allowed = timeouts_lms_allowed_ns(cl->cl_lease_len_ns, lms.fast.fc_lease_ns);

	if (!lease || !allowed)
		return false;	/* no lease yet */
	return now > lease && now - lease > allowed;
}

/* dispatch.c */
void lms_serve(int item);
void lms_bad(const char *from, int rc);

/* request.c */
void client_request(const struct msg_lk *lk);
void peer_request(int from, uint32_t inc, const struct msg_lk *lk);
void replay_frozen(void);
void reap_sessions(void);
void inflight_done(const struct msg_lk *lk);
void inflight_resubmit(uint64_t gone);

/* out.c */
int send_to(void *sock, const uint8_t *ident, size_t ident_len, const void *buf, size_t n);
void out_flush_all(void);
void to_peer(int inst, uint16_t type, const struct msg_lk *lk);
void to_client(uint32_t id, uint16_t type, const struct msg_lk *lk);
void park_due(uint64_t now);
void drain_events(void);

/* session.c */
struct session *session_by_id(uint32_t id);
struct session *session_at(int slot);
struct session *session_for(const uint8_t *ident, size_t len, pid_t pid);
void session_end(struct session *se);
void pid_note(struct grd_owner o, pid_t pid);
pid_t pid_of(struct grd_owner o);

/* shadow.c */
const uint8_t *sh_name(const struct shadow *e);
void sh_name_free(struct shadow *e);
struct shadow *sh_find(uint64_t lkid);
void sh_del(uint64_t lkid);
struct shadow *sh_make(uint64_t lkid, uint32_t client, const void *name, size_t namelen);
void sh_note(uint16_t type, const struct msg_lk *lk);
void sh_prune(void);

/* bucketmap.c */
int bucket_master(uint64_t members, unsigned bucket);
void bucketmap_moved(uint64_t base, uint64_t old, uint64_t members, uint64_t local, int me,
		     uint64_t *send, uint64_t *take);

/* fastcache.c */
void fast_take_back_all(void);
void fast_release_name(const struct msg_lk *lk);
void fast_release_lkid(uint64_t lkid);
bool fast_offer(const struct msg_lk *lk);
void fast_reap(void);
void fast_sweep(uint64_t now);

/* remaster.c */
void rb_store(int from, const struct msg_lk *lk);
void rb_free(uint32_t keep_inc, bool keep);
void rb_done_in(int from, const struct msg_lk *lk);
void rb_tell_members(uint32_t op);
void fin_note(int who, uint64_t inc);
void rb_import(size_t *nres, size_t *ndubious);
void rb_check(void);
void rb_send_lock(int nm, const struct grd_xlock *xl, const void *name, size_t namelen);
void rb_send_export(const struct grd_export *x, uint64_t members, bool shadows);
void send_done(void);

/* rcfg.c */
bool frozen_now(void);
void lms_rcfg_tick(uint64_t now);
void lms_rcfg_finish(void);
void recovery_check(void);

/* deadlock.c */
void dl_answer(int to, uint32_t round);
void dl_receive(int from, const uint8_t *p, size_t len);
void dl_tick(uint64_t now);

/* ges_dump.c */
void send_dump(void *sock, const uint8_t *ident, size_t ident_len, const uint8_t *req,
	       size_t reqlen);

#endif
