/*
 * lms.c - LMS0: the Global Resource Directory service.
 *
 * LMS masters the resources whose hash bucket maps to this instance and
 * serves the instance's clients.  The lock table itself is grd.c; this file
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
 * that no longer has the resource goes back (ST_MOVED) and is routed anew;
 * one routed under a newer map than ours waits until we catch up.  Answers
 * of a departed master that come after we settled are void (its requests
 * were resubmitted), and so is anything a peer's socket kept for this
 * instance's previous life and delivers after a restart.
 */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"
#include "errors.h"
#include "fastlock.h"
#include "grd.h"
#include "log.h"
#include "member.h"
#include "msg.h"
#include "zmtp_srv.h"

#define COMP "GES"
#define LMS_TICK_MS 10
#define MAX_SESSIONS 4096
#define MAX_FROZEN 100000
#define PEER_HWM 100000
#define CLIENT_HWM 1000000
/* bytes waiting to one client, at most: CLIENT_HWM messages of a reply or two */
#define CLIENT_TX_MAX ((size_t)CLIENT_HWM * 128)
#define DEADLOCK_PERIOD_MS 1000
#define PARK_MAX 64			/* "queued" answers held back at once */
#define PARK_NS 5000000ull		/* ... for at most 5 ms (plus a tick) */
#define DEADLOCK_WAIT_MS 300	/* for the other LMSes' edges */
#define DL_CAND_MAX 64		/* longest cross-instance cycle broken */
#define RB_SENT_MAX 8		/* changes overtaking one another, at most */
#define EDGE_LEN (1 + 4 + 1 + 4 + 8)
#define ST_NOT_READY (-1)	/* answer while this instance is not in the cluster */
#define ST_MOVED (-2)		/* LMS to LMS: not mastered here any more; route again */

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
#define FLUSH_EVERY	64	/* messages served between flushes, at most */

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

struct lms {
	struct member *s_m;
	struct grd *s_grd;
	uint64_t s_cluster_id;
	uint64_t s_seq;
	int s_peer_item;			/* ROUTER on lms_endpoint */
	int s_client_item;			/* s_zs's descriptor in the poll items */
	struct zsrv *s_zs;			/* ROUTER on ipc://<local_dir>/lms.sock,
						 * served natively (zmtp_srv.h) */
	void *s_peer[RAC_MAX_INST + 1];		/* DEALER to each peer LMS */
	uint64_t s_members;			/* membership the bucket map is built on */
	uint64_t s_inc;
	uint64_t s_join_inc;			/* the incarnation we (re)joined in */
	struct session s_sess[MAX_SESSIONS];
	struct outq *s_outq;			/* OUTQ_N of them */
	uint8_t s_oq_used;			/* in use: 0 .. s_oq_used - 1 */
	uint8_t s_peer_oq[RAC_MAX_INST + 1];	/* peer -> bundle index + 1 */
	uint16_t s_sess_head[SESS_HASH];	/* identity hash -> slot + 1 */
	uint32_t s_next_gen;			/* session ids: generation << 12 | slot */
	struct frozen *s_frozen, **s_frozen_tail;
	struct inflight *s_inflight;		/* forwarded, unanswered (resubmitted if
						 * their master leaves) */
	size_t s_nfrozen;
	uint64_t s_next_reap_ns;
	char s_sock_path[RAC_PATH_MAX + 16];

	struct parked s_park[PARK_MAX];		/* "queued" answers held back */
	int s_npark;

	struct shadow *s_sh;			/* open addressing by lkid */
	size_t s_sh_cap, s_sh_n;

	struct { uint64_t key; pid_t pid; } s_pids[4096];	/* owner -> pid, for views */

	/* deadlock detection across instances (the lowest member coordinates) */
	uint64_t s_next_dl_ns;
	uint32_t s_dl_round;			/* 0: no round running */
	uint64_t s_dl_expect, s_dl_got;
	uint64_t s_dl_deadline_ns;
	struct grd_edge *s_dl_edges;
	size_t s_dl_n, s_dl_cap;
	struct grd_edge s_dl_cand[DL_CAND_MAX];	/* a cycle seen once, to be seen again */
	int s_dl_ncand, s_dl_ncand_was;

	int s_rebuilding;			/* waiting for the survivors' records */
	uint32_t s_rb_inc;			/* the incarnation being rebuilt */
	uint64_t s_rb_done;			/* survivors whose DONE is in */
	uint32_t s_rb_done_inc;			/* ... for this incarnation */
	uint64_t s_rb_base;			/* membership of the last rebuild that
						 * every member finished */
	uint64_t s_rb_base_inc;
	uint64_t s_rb_local;			/* ... that we finished */
	uint64_t s_fin_inc, s_fin_mask;		/* members that finished s_fin_inc */
	uint64_t s_rb_mid;			/* membership before this change */
	uint64_t s_rb_seq;			/* rebuild records received, ever */
	uint64_t s_rb_moved[(GRD_NBUCKETS + 63) / 64];	/* buckets we take in */
	struct grd_export s_rb_sent[RB_SENT_MAX];	/* our table's part of each change */
	int s_rb_nsent;				/* ... since s_rb_base */
	uint64_t s_rb_expect;			/* survivors that must send DONE */
	uint64_t s_done_due_ns;			/* fault injection: DONE held until then */
	struct rb_rec *s_rb;			/* records received */
	uint64_t s_rb_start_ns;
	uint32_t s_rb_traversed, s_rb_replayed, s_rb_cancelled, s_rb_dubious;

	/* instance recovery: locks of failed instances held until SMON is done */
	uint64_t s_rec_insts;			/* instances whose PW/EX locks we hold */
	uint64_t s_rec_posted;			/* incarnation SMON was posted for */
	uint64_t s_freeze_ns;			/* when the GRD froze, 0: not frozen */

	/* the SGA lock cache (shm/fastlock.h) */
	struct fl_area *s_fl;
	uint64_t s_next_sweep_ns;
	uint64_t s_fast_lease_ns;	/* the lock cache's lease (0: no cache) */
	bool s_lease_stale;		/* LMON's disk lease is old: nothing is granted */
};

static struct lms lms = { .s_frozen_tail = &lms.s_frozen };

static void rb_store(int from, const struct msg_lk *lk);
static void inflight_done(const struct msg_lk *lk);
static void rb_check(void);
static void fin_note(int who, uint64_t inc);
static void freeze_end(void);
static void dl_answer(int to, uint32_t round);
static void dl_receive(int from, const uint8_t *p, size_t len);

/* ---- shadows ---------------------------------------------------------------- */

static size_t sh_slot(uint64_t lkid, size_t cap)
{
	return (size_t)(lkid * 0x9e3779b97f4a7c15ull >> 17) & (cap - 1);
}

static const uint8_t *sh_name(const struct shadow *e)
{
	return e->sh_namelen > SH_INLINE ? e->sh_out : e->sh_in;
}

static void sh_name_free(struct shadow *e)
{
	if (e->sh_namelen > SH_INLINE)
		free(e->sh_out);
	e->sh_namelen = 0;
}

/* name the shadow; false (and no name) when a long name finds no memory */
static bool sh_name_set(struct shadow *e, const void *name, size_t len)
{
	uint8_t *copy = NULL;

	if (len > SH_INLINE && !(copy = malloc(len)))
		return false;
	sh_name_free(e);
	if (copy) {
		memcpy(copy, name, len);
		e->sh_out = copy;
	} else {
		memcpy(e->sh_in, name, len);
	}
	e->sh_namelen = (uint8_t)len;
	return true;
}

static struct shadow *sh_find(uint64_t lkid)
{
	if (!lms.s_sh || !lkid)
		return NULL;
	for (size_t i = sh_slot(lkid, lms.s_sh_cap);; i = (i + 1) & (lms.s_sh_cap - 1)) {
		if (lms.s_sh[i].sh_lkid == lkid)
			return &lms.s_sh[i];
		if (!lms.s_sh[i].sh_lkid)
			return NULL;
	}
}

/* the shadow of lkid, a new (nameless) one if it has none; NULL: no memory */
static struct shadow *sh_add(uint64_t lkid)
{
	struct shadow *e = sh_find(lkid);

	if (e)
		return e;
	if ((lms.s_sh_n + 1) * 4 > lms.s_sh_cap * 3) {	/* grow at 3/4 full */
		size_t cap = lms.s_sh_cap ? lms.s_sh_cap * 2 : 1024;
		struct shadow *old = lms.s_sh, *n = calloc(cap, sizeof(*n));

		if (!n)
			return NULL;
		for (size_t i = 0; old && i < lms.s_sh_cap; i++) {
			size_t j;

			if (!old[i].sh_lkid)
				continue;
			for (j = sh_slot(old[i].sh_lkid, cap); n[j].sh_lkid; j = (j + 1) & (cap - 1))
				;
			n[j] = old[i];
		}
		free(old);
		lms.s_sh = n;
		lms.s_sh_cap = cap;
	}
	for (size_t i = sh_slot(lkid, lms.s_sh_cap);; i = (i + 1) & (lms.s_sh_cap - 1))
		if (!lms.s_sh[i].sh_lkid) {
			memset(&lms.s_sh[i], 0, sizeof(lms.s_sh[i]));
			lms.s_sh[i].sh_lkid = lkid;
			lms.s_sh_n++;
			return &lms.s_sh[i];
		}
}

/* delete the shadow in slot i; another one may move into the slot */
static void sh_del_at(size_t i)
{
	size_t j;

	sh_name_free(&lms.s_sh[i]);
	lms.s_sh[i].sh_lkid = 0;
	lms.s_sh_n--;
	/* backward-shift deletion keeps every probe chain whole */
	for (j = (i + 1) & (lms.s_sh_cap - 1); lms.s_sh[j].sh_lkid; j = (j + 1) & (lms.s_sh_cap - 1)) {
		size_t home = sh_slot(lms.s_sh[j].sh_lkid, lms.s_sh_cap);

		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			lms.s_sh[i] = lms.s_sh[j];
			lms.s_sh[j].sh_lkid = 0;
			i = j;
		}
	}
}

static void sh_del(uint64_t lkid)
{
	struct shadow *e = sh_find(lkid);

	if (e)
		sh_del_at((size_t)(e - lms.s_sh));
}

/* the shadow of lock lkid of client; NULL (said in the log) out of memory */
static struct shadow *sh_make(uint64_t lkid, uint32_t client, const void *name, size_t namelen)
{
	struct shadow *e = sh_add(lkid);

	if (e && !sh_name_set(e, name, namelen)) {
		sh_del(lkid);
		e = NULL;
	}
	if (!e) {
		log_error(COMP, "out of memory keeping the shadow of lock 0x%016llx: it cannot "
			  "be converted or released", (unsigned long long)lkid);
		return NULL;
	}
	e->sh_client = client;
	return e;
}

/*
 * Keep the shadow of a lock of one of our clients up with what its master,
 * another LMS, answers or tells it.  (Answers and events of our own table
 * leave shadows alone: a lock mastered here has none.)
 */
static void sh_note(uint16_t type, const struct msg_lk *lk)
{
	struct shadow *e;

	if (type == MSG_LK_EVENT) {
		e = sh_find(lk->lk_lkid);
		if (!e || lk->lk_event == GRD_EV_BLOCKING)
			return;
		if (lk->lk_event != GRD_EV_GRANTED && lk->lk_mode == GRD_IV) {
			sh_del(lk->lk_lkid);	/* a new request that failed is gone */
			return;
		}
		e->sh_gr = (int8_t)lk->lk_mode;
		e->sh_rq = GRD_IV;
		e->sh_state = GRD_LK_GRANTED;
		return;
	}
	if (lk->lk_status < 0)
		return;
	switch (lk->lk_op) {
	case LK_OP_LOCK:
		e = sh_make(lk->lk_lkid, lk->lk_owner_client, lk->lk_name, lk->lk_namelen);
		if (!e)
			return;
		e->sh_gr = lk->lk_status == GRD_GRANTED ? (int8_t)lk->lk_mode : GRD_IV;
		e->sh_rq = lk->lk_status == GRD_GRANTED ? GRD_IV : (int8_t)lk->lk_mode;
		e->sh_state = lk->lk_status == GRD_GRANTED ? GRD_LK_GRANTED : GRD_LK_WAITING;
		return;
	case LK_OP_CONVERT:
		if (!(e = sh_find(lk->lk_lkid)))
			return;
		if (lk->lk_status == GRD_GRANTED) {
			e->sh_gr = (int8_t)lk->lk_mode;
			e->sh_rq = GRD_IV;
			e->sh_state = GRD_LK_GRANTED;
		} else {
			e->sh_rq = (int8_t)lk->lk_mode;
			e->sh_state = GRD_LK_CONVERTING;
		}
		return;
	case LK_OP_UNLOCK:
		sh_del(lk->lk_lkid);
		return;
	case LK_OP_CANCEL:
		if (!(e = sh_find(lk->lk_lkid)))
			return;
		if (e->sh_state == GRD_LK_WAITING) {
			sh_del(lk->lk_lkid);
		} else {
			e->sh_rq = GRD_IV;
			e->sh_state = GRD_LK_GRANTED;
		}
		return;
	}
}

/* ---- masters -------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* rendezvous: the member with the highest weight for the bucket masters it */
static int bucket_master(uint64_t members, unsigned bucket)
{
	uint64_t best = 0;
	int who = 0;

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		uint64_t w;

		if (!(members & (1ull << (i - 1))))
			continue;
		w = mix(((uint64_t)bucket << 8) | (uint64_t)i);
		if (!who || w > best) {
			best = w;
			who = i;
		}
	}
	return who;
}

/*
 * The master a client request goes to: by name; for a lock it has, by the
 * lock's shadow, or us when the lock is in our table (it has no shadow).
 */
static int master_of(const struct msg_lk *lk)
{
	const struct shadow *e;
	struct grd_owner o;

	if (lk->lk_op == LK_OP_LOCK)
		return bucket_master(lms.s_members, grd_bucket(lk->lk_name, lk->lk_namelen));
	e = sh_find(lk->lk_lkid);
	if (e)
		return e->sh_client == lk->lk_owner_client ?
		       bucket_master(lms.s_members, grd_bucket(sh_name(e), e->sh_namelen)) : -1;
	if (grd_lock_owner(lms.s_grd, lk->lk_lkid, &o) == 0 && o.ow_inst == lms.s_m->m_inst &&
	    o.ow_client == lk->lk_owner_client)
		return lms.s_m->m_inst;
	return -1;	/* not a lock of this client */
}

/* ---- sending -------------------------------------------------------------- */

static void send_fail(uint16_t type)
{
	sga_count(&lms.s_m->m_sga, CNT_GES_SEND_DROPPED, 1);
	log_warn(COMP, "cannot send %s: %s", msg_type_str(type), zmq_strerror(errno));
}

static struct session *session_at(int slot);

/*
 * One message to the sender of [ident]: a local client through our own
 * ROUTER (sock NULL), else on that ZeroMQ ROUTER.  0, or -1 (errno).
 */
static int send_to(void *sock, const uint8_t *ident, size_t ident_len, const void *buf, size_t n)
{
	if (!sock)
		return zsrv_send(lms.s_zs, ident, ident_len, buf, n);
	if (zmq_send(sock, ident, ident_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(sock, buf, n, ZMQ_DONTWAIT) < 0)
		return -1;
	return 0;
}

static void out_flush(struct outq *q)
{
	struct msg_hdr h = { .mh_sender = q->oq_peer > 0 ? (uint32_t)lms.s_m->m_inst : 0,
			     .mh_cluster = lms.s_cluster_id, .mh_incarnation = lms.s_inc,
			     .mh_seq = ++lms.s_seq };
	int n;

	if (!q->oq_b.mb_n)
		return;
	n = msg_bundle_seal(&q->oq_b, &h);
	if (q->oq_peer > 0) {
		void *sock = lms.s_peer[q->oq_peer];

		if (n < 0 || !sock || zmq_send(sock, q->oq_b.mb_buf, (size_t)n, ZMQ_DONTWAIT) < 0)
			send_fail(MSG_LK_BUNDLE);
	} else if (q->oq_slot >= 0) {
		struct session *se = session_at(q->oq_slot);

		/* a session that ended meanwhile: its answers have no one to go to */
		if (se && (n < 0 || zsrv_send(lms.s_zs, se->se_ident, se->se_ident_len,
					      q->oq_b.mb_buf, (size_t)n) < 0))
			send_fail(MSG_LK_BUNDLE);
	}
	msg_bundle_init(&q->oq_b);
}

/* send every bundle, and free them */
static void out_flush_all(void)
{
	for (unsigned i = 0; i < lms.s_oq_used; i++) {
		struct outq *q = &lms.s_outq[i];

		out_flush(q);
		if (q->oq_peer > 0)
			lms.s_peer_oq[q->oq_peer] = 0;
		else if (q->oq_slot >= 0)
			lms.s_sess[q->oq_slot].se_oq = 0;
	}
	lms.s_oq_used = 0;
}

static struct outq *out_get(uint8_t *ref, int peer, int slot)
{
	struct outq *q;

	if (*ref)
		return &lms.s_outq[*ref - 1];
	if (lms.s_oq_used == OUTQ_N)
		out_flush_all();
	q = &lms.s_outq[lms.s_oq_used++];
	q->oq_peer = peer;
	q->oq_slot = slot;
	msg_bundle_init(&q->oq_b);
	*ref = lms.s_oq_used;
	return q;
}

static void out_add(struct outq *q, uint16_t type, const struct msg_lk *lk)
{
	if (msg_bundle_add(&q->oq_b, type, lk) == 0)
		return;
	out_flush(q);	/* full: send what it has, start again */
	if (msg_bundle_add(&q->oq_b, type, lk))
		send_fail(type);
}

static void to_peer(int inst, uint16_t type, const struct msg_lk *lk)
{
	if (inst < 1 || inst > RAC_MAX_INST || !lms.s_peer[inst])
		return;
	out_add(out_get(&lms.s_peer_oq[inst], inst, 0), type, lk);
}

static struct session *session_by_id(uint32_t id)
{
	struct session *se = &lms.s_sess[SESS_SLOT(id)];

	return se->se_used && se->se_id == id ? se : NULL;
}

static struct session *session_at(int slot)
{
	return lms.s_sess[slot].se_used ? &lms.s_sess[slot] : NULL;
}

static unsigned ident_hash(const uint8_t *ident, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ ident[i]) * 0x100000001b3ull;
	return (unsigned)(h ^ h >> 29) & (SESS_HASH - 1);
}

/* a session ends: out of its identity chain, its slot free */
static void session_end(struct session *se)
{
	uint16_t *pp = &lms.s_sess_head[ident_hash(se->se_ident, se->se_ident_len)];
	uint16_t me = (uint16_t)(se - lms.s_sess + 1);

	for (; *pp; pp = &lms.s_sess[*pp - 1].se_next)
		if (*pp == me) {
			*pp = se->se_next;
			break;
		}
	se->se_next = 0;
	se->se_used = 0;
	if (se->se_oq) {	/* answers still gathered for it go nowhere */
		lms.s_outq[se->se_oq - 1].oq_slot = -1;
		se->se_oq = 0;
	}
}

static void client_out(struct session *se, uint16_t type, const struct msg_lk *lk)
{
	out_add(out_get(&se->se_oq, 0, (int)(se - lms.s_sess)), type, lk);
}

/*
 * Parked "queued" answers.  A request that has to wait is usually granted
 * soon after (a hot resource hands over every few hundred microseconds), and
 * then "queued" followed by "granted" costs the client two wake-ups where
 * one would do.  So a "queued" answer waits here for up to PARK_NS: if the
 * grant comes meanwhile, the client gets one answer, "granted"; otherwise
 * (or when anything else about that lock goes to the client) the "queued"
 * answer goes first, as it would have.  The client cannot tell the
 * difference, except that it hears less.
 */
static int park_find(uint32_t client, uint64_t lkid)
{
	for (int k = 0; k < lms.s_npark; k++)
		if (lms.s_park[k].pk_lk.lk_lkid == lkid && lms.s_park[k].pk_client == client)
			return k;
	return -1;
}

/* send parked answer k (if its client is still there) and forget it */
static void park_send(int k)
{
	struct session *se = session_by_id(lms.s_park[k].pk_client);

	if (se)
		client_out(se, MSG_LK_REPLY, &lms.s_park[k].pk_lk);
	lms.s_park[k] = lms.s_park[--lms.s_npark];
}

/* send the parked answers whose time is up */
static void park_due(uint64_t now)
{
	for (int k = 0; k < lms.s_npark;)
		if (lms.s_park[k].pk_due <= now)
			park_send(k);	/* moves the last one to k */
		else
			k++;
}

static void to_client(uint32_t id, uint16_t type, const struct msg_lk *lk)
{
	struct session *se = session_by_id(id);
	int k;

	if (!se)
		return;	/* gone: its locks are being released */
	if (type == MSG_LK_REPLY && (lk->lk_flags & LK_NOREPLY) && lk->lk_status >= 0)
		return;	/* it asked to hear only of a failure */
	if (lms.s_npark && (k = park_find(id, lk->lk_lkid)) >= 0) {
		if (type == MSG_LK_EVENT && lk->lk_event == GRD_EV_GRANTED) {
			struct msg_lk a = lms.s_park[k].pk_lk;	/* one answer: granted */

			a.lk_status = GRD_GRANTED;
			a.lk_has_lvb = lk->lk_has_lvb;
			a.lk_dubious = lk->lk_dubious;
			memcpy(a.lk_lvb, lk->lk_lvb, LK_LVB_LEN);
			lms.s_park[k] = lms.s_park[--lms.s_npark];
			client_out(se, MSG_LK_REPLY, &a);
			return;
		}
		park_send(k);	/* whatever else: "queued" goes first */
	}
	if (type == MSG_LK_REPLY && lk->lk_status == GRD_QUEUED && lk->lk_lkid &&
	    lms.s_npark < PARK_MAX) {
		lms.s_park[lms.s_npark++] = (struct parked){
			.pk_due = rac_now_mono_ns() + PARK_NS, .pk_client = id, .pk_lk = *lk };
		return;
	}
	client_out(se, type, lk);
}

/* ---- the table ------------------------------------------------------------- */

/* the pid behind an owner, as its requests said (a small cache, for views) */
static size_t pid_slot(uint64_t key)
{
	/* the product's top bits: they depend on the instance byte too */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 52) %
	       (sizeof(lms.s_pids) / sizeof(lms.s_pids[0]));
}

static void pid_note(struct grd_owner o, pid_t pid)
{
	uint64_t key = ((uint64_t)o.ow_inst << 32) | o.ow_client;
	size_t i = pid_slot(key);

	lms.s_pids[i].key = key;
	lms.s_pids[i].pid = pid;
}

static pid_t pid_of(struct grd_owner o)
{
	uint64_t key = ((uint64_t)o.ow_inst << 32) | o.ow_client;
	size_t i = pid_slot(key);

	return lms.s_pids[i].key == key ? lms.s_pids[i].pid : 0;
}

/* ---- views: the table, as rows, to racsql ------------------------------------ */

#define DUMP_MAX 60000

struct dump {
	struct blk_cursor d_c;
	uint32_t d_nres, d_nlocks;
	int d_full;
};

static int dump_res(const struct grd_res_info *ri, void *arg)
{
	struct dump *d = arg;

	if (d->d_c.c_pos + 1 + ri->ri_namelen + 12 + 1 + GRD_LVB_LEN > DUMP_MAX) {
		d->d_full = 1;
		return 1;
	}
	put_u8(&d->d_c, (uint8_t)ri->ri_namelen);
	put_bytes(&d->d_c, ri->ri_name, ri->ri_namelen);
	put_u32(&d->d_c, (uint32_t)ri->ri_ngranted);
	put_u32(&d->d_c, (uint32_t)ri->ri_nconverting);
	put_u32(&d->d_c, (uint32_t)ri->ri_nwaiting);
	put_u8(&d->d_c, ri->ri_dubious);
	put_bytes(&d->d_c, ri->ri_lvb, GRD_LVB_LEN);
	d->d_nres++;
	return 0;
}

static int dump_lock(const struct grd_lock_info *li, void *arg)
{
	struct dump *d = arg;

	if (d->d_c.c_pos + 1 + li->li_namelen + 8 + 1 + 8 + 5 > DUMP_MAX) {
		d->d_full = 1;
		return 1;
	}
	put_u8(&d->d_c, (uint8_t)li->li_namelen);
	put_bytes(&d->d_c, li->li_name, li->li_namelen);
	put_u64(&d->d_c, li->li_lkid);
	put_u8(&d->d_c, li->li_owner.ow_inst);
	put_u32(&d->d_c, li->li_owner.ow_client);
	put_u32(&d->d_c, (uint32_t)pid_of(li->li_owner));
	put_u8(&d->d_c, (uint8_t)(int8_t)li->li_grmode);
	put_u8(&d->d_c, (uint8_t)(int8_t)li->li_rqmode);
	put_u8(&d->d_c, (uint8_t)li->li_state);
	put_u8(&d->d_c, li->li_blocked);
	put_u8(&d->d_c, li->li_blocker.ow_inst);
	d->d_nlocks++;
	return 0;
}

/* the resources (or the locks) of the SGA lock cache, as the GRD's look */
static void dump_fast(struct dump *d, bool locks)
{
	static struct fl_slot sl;

	for (int i = 0; lms.s_fl && i < FL_SLOTS && !d->d_full; i++) {
		struct grd_res_info ri = { 0 };

		if (!fl_snapshot(lms.s_fl, i, &sl))
			continue;
		ri.ri_name = (const char *)sl.fs_name;
		ri.ri_namelen = sl.fs_namelen;
		ri.ri_lvb = sl.fs_lvb;
		ri.ri_dubious = sl.fs_dubious;
		for (int k = 0; k < FL_ENTRIES; k++) {
			uint32_t st = FE_STATE(sl.fs_e[k].fe_word);

			ri.ri_ngranted += st == FE_GRANTED;
			ri.ri_nwaiting += st == FE_WAITING;
		}
		if (!locks) {
			if (ri.ri_ngranted + ri.ri_nwaiting || ri.ri_dubious)
				dump_res(&ri, d);
			continue;
		}
		/* grant queue, then the wait queue, each in order of arrival */
		for (int pass = FE_GRANTED; pass >= FE_WAITING; pass--) {
			const struct fl_entry *q[FL_ENTRIES];
			int n = 0;

			for (int k = 0; k < FL_ENTRIES; k++) {
				const struct fl_entry *x = &sl.fs_e[k];
				int j = n;

				if (FE_STATE(x->fe_word) != (uint32_t)pass)
					continue;
				n++;
				for (; j > 0 && q[j - 1]->fe_ticket > x->fe_ticket; j--)
					q[j] = q[j - 1];
				q[j] = x;
			}
			for (int j = 0; j < n && !d->d_full; j++) {
				const struct fl_entry *e = q[j];
				bool waits = pass == FE_WAITING;
				struct grd_lock_info li = {
					.li_name = ri.ri_name, .li_namelen = ri.ri_namelen,
					.li_lkid = e->fe_lkid,
					.li_owner = { .ow_client = e->fe_session,
						      .ow_inst = (uint8_t)lms.s_m->m_inst },
					.li_grmode = waits ? GRD_IV : e->fe_mode,
					.li_rqmode = e->fe_mode,
					.li_state = waits ? GRD_LK_WAITING : GRD_LK_GRANTED,
					.li_blocked = waits,
					.li_blocker = { .ow_inst = waits ? (uint8_t)lms.s_m->m_inst : 0 } };

				pid_note(li.li_owner, (pid_t)e->fe_pid);
				dump_lock(&li, d);
			}
		}
	}
}

static void send_dump(void *sock, const uint8_t *ident, size_t ident_len)
{
	static uint8_t body[DUMP_MAX + 16], buf[RAC_MSG_HDR + DUMP_MAX + 16];
	struct dump d = { .d_full = 0 };
	struct blk_cursor head;
	struct msg_hdr h = { .mh_sender = (uint32_t)lms.s_m->m_inst,
			     .mh_cluster = lms.s_cluster_id, .mh_seq = ++lms.s_seq };
	int n;

	cur_init_write(&d.d_c, body, sizeof(body));
	put_u32(&d.d_c, 0);
	put_u32(&d.d_c, 0);
	put_u8(&d.d_c, 0);
	grd_foreach_resource(lms.s_grd, dump_res, &d);
	dump_fast(&d, false);
	if (!d.d_full)
		grd_foreach_lock(lms.s_grd, dump_lock, &d);
	dump_fast(&d, true);
	cur_init_write(&head, body, 9);
	put_u32(&head, d.d_nres);
	put_u32(&head, d.d_nlocks);
	put_u8(&head, (uint8_t)d.d_full);
	n = msg_encode_raw(buf, sizeof(buf), &h, MSG_GES_DUMP, body, d.d_c.c_pos);
	if (n < 0)
		return;
	if (send_to(sock, ident, ident_len, buf, (size_t)n))
		sga_count(&lms.s_m->m_sga, CNT_GES_SEND_DROPPED, 1);
}

/* Apply one request to our table for `owner`; fills the answer into `out`. */
static void apply(const struct msg_lk *lk, struct grd_owner owner, struct msg_lk *out)
{
	struct grd *g = lms.s_grd;
	uint64_t deadline = lk->lk_timeout_ms ?
		rac_now_mono_ns() + (uint64_t)lk->lk_timeout_ms * 1000000ull : 0;
	const uint8_t *lvb = lk->lk_has_lvb ? lk->lk_lvb : NULL;
	unsigned flags = lk->lk_flags & LK_NOQUEUE ? GRD_NOQUEUE : 0;
	bool dubious = false;
	int rc;

	*out = *lk;
	out->lk_has_lvb = 0;
	out->lk_dubious = 0;
	if (lk->lk_owner_pid)
		pid_note(owner, (pid_t)lk->lk_owner_pid);
	switch (lk->lk_op) {
	case LK_OP_LOCK:
		rc = grd_lock(g, lk->lk_name, lk->lk_namelen, owner, lk->lk_mode, flags, deadline,
			      &out->lk_lkid);
		break;
	case LK_OP_CONVERT:
		rc = grd_convert(g, lk->lk_lkid, lk->lk_mode, flags, deadline, lvb);
		break;
	case LK_OP_UNLOCK:
		rc = grd_unlock(g, lk->lk_lkid, lvb);
		break;
	case LK_OP_CANCEL:
		rc = grd_cancel(g, lk->lk_lkid);
		break;
	case LK_OP_LVB_READ:
		rc = grd_lvb_read(g, lk->lk_lkid, out->lk_lvb, &dubious);
		out->lk_has_lvb = rc == 0;
		break;
	case LK_OP_DEADLOCK_VICTIM:
		rc = grd_fail_deadlock(g, lk->lk_lkid);
		if (rc == 0)
			log_info(COMP, "lock 0x%016llx failed as the victim of a deadlock across "
				 "instances", (unsigned long long)lk->lk_lkid);
		break;
	case LK_OP_DROP_OWNER: {
		struct grd_drop d;

		rc = grd_drop_owner(g, owner, &d);
		if (rc == 0)
			sga_count(&lms.s_m->m_sga, CNT_GES_CLIENT_LOCKS_FREED, d.dr_held + d.dr_waiting);
		break;
	}
	default:
		rc = GRD_EBADFLAGS;
	}
	/* granted now: the value block goes with the answer */
	if (rc == GRD_GRANTED && (lk->lk_op == LK_OP_LOCK || lk->lk_op == LK_OP_CONVERT)) {
		if (grd_lvb_read(g, out->lk_lkid, out->lk_lvb, &dubious) == 0)
			out->lk_has_lvb = 1;
		sga_count(&lms.s_m->m_sga, CNT_GES_GRANTS, 1);
	}
	if (rc < 0 && rc != GRD_ENOTQUEUED)
		sga_count(&lms.s_m->m_sga, CNT_GES_BAD, 1);
	out->lk_dubious = dubious;
	out->lk_status = rc;
}

/* Deliver every event the table has for its owners, wherever they are. */
static void drain_events(void)
{
	struct grd_event ev;

	while (grd_next_event(lms.s_grd, &ev)) {
		struct msg_lk lk = { .lk_event = ev.ev_type, .lk_lkid = ev.ev_lkid,
				     .lk_mode = ev.ev_mode, .lk_status = ev.ev_status,
				     .lk_dubious = ev.ev_dubious, .lk_has_lvb = 1,
				     .lk_owner_client = ev.ev_owner.ow_client };

		memcpy(lk.lk_lvb, ev.ev_lvb, LK_LVB_LEN);
		if (ev.ev_type == GRD_EV_GRANTED)
			sga_count(&lms.s_m->m_sga, CNT_GES_GRANTS, 1);
		else if (ev.ev_type == GRD_EV_BLOCKING)
			sga_count(&lms.s_m->m_sga, CNT_GES_BASTS, 1);
		else if (ev.ev_type == GRD_EV_DEADLOCK)
			sga_count(&lms.s_m->m_sga, CNT_GES_DEADLOCKS, 1);
		if (ev.ev_owner.ow_inst == (uint8_t)lms.s_m->m_inst)
			to_client(ev.ev_owner.ow_client, MSG_LK_EVENT, &lk);
		else
			to_peer(ev.ev_owner.ow_inst, MSG_GRD_EVENT, &lk);
	}
}

/* ---- the SGA lock cache ----------------------------------------------------- */

/*
 * LMS hands a resource to the SGA (shm/fastlock.h) when one of our clients
 * asks for it, we master it, the GRD has nothing of it and nothing is
 * frozen; and takes it back into the GRD whenever anything else wants it.
 */
static bool fast_on(void)
{
	return lms.s_fl && __atomic_load_n(&lms.s_fl->fa_enabled, __ATOMIC_RELAXED);
}

/* take slot idx back: its resource and queues go into the GRD as they are */
static void fast_take_back(int idx)
{
	struct fl_xres x;
	struct grd_xres xr;
	struct grd_xlock xl[FL_ENTRIES];
	struct grd_export ex = { .x_res = &xr, .x_nres = 1, .x_locks = xl };
	int rc;

	if (!fl_revoke(lms.s_fl, idx, &x))
		return;
	sga_count(&lms.s_m->m_sga, CNT_GES_FAST_REVOKED, 1);
	if (x.xr_bad) {
		sga_count(&lms.s_m->m_sga, CNT_GES_BAD, (uint64_t)x.xr_bad);
		log_warn(COMP, "SGA lock cache: %d entr%s of resource %.*s held a mode no client "
			 "can ask for (scribbled memory); dropped", x.xr_bad,
			 x.xr_bad == 1 ? "y" : "ies", (int)x.xr_namelen, (const char *)x.xr_name);
	}
	if (!x.xr_nlocks && !x.xr_dubious)
		return;	/* nothing there: no resource */
	memset(&xr, 0, sizeof(xr));
	xr.xr_nlocks = (uint32_t)x.xr_nlocks;
	xr.xr_namelen = x.xr_namelen;
	xr.xr_dubious = x.xr_dubious;
	memcpy(xr.xr_name, x.xr_name, sizeof(xr.xr_name));
	memcpy(xr.xr_lvb, x.xr_lvb, sizeof(xr.xr_lvb));
	for (int k = 0; k < x.xr_nlocks; k++) {
		const struct fl_xlock *f = &x.xr_locks[k];
		struct grd_owner o = { .ow_client = f->xl_session,
				       .ow_inst = (uint8_t)lms.s_m->m_inst };

		xl[k] = (struct grd_xlock){
			.xl_lkid = f->xl_lkid, .xl_owner = o,
			.xl_deadline = f->xl_granted ? 0 : f->xl_deadline_ns,
			.xl_grmode = f->xl_granted ? f->xl_mode : GRD_IV, .xl_rqmode = f->xl_mode,
			.xl_state = f->xl_granted ? GRD_LK_GRANTED : GRD_LK_WAITING,
			.xl_bast = GRD_IV };
		pid_note(o, (pid_t)f->xl_pid);
	}
	ex.x_nlocks = (size_t)x.xr_nlocks;
	rc = grd_import(lms.s_grd, &ex);
	if (rc)	/* cannot happen: a delegated resource is nowhere else */
		log_error(COMP, "cannot take resource %.*s back from the SGA lock cache: %s "
			  "(%d locks lost)", (int)x.xr_namelen, (const char *)x.xr_name,
			  grd_strerror(rc), x.xr_nlocks);
}

static void fast_take_back_all(void)
{
	if (!lms.s_fl)
		return;
	for (int i = 0; i < FL_SLOTS; i++)
		if (__atomic_load_n(&lms.s_fl->fa_slot[i].fs_state, __ATOMIC_RELAXED) == FS_ACTIVE)
			fast_take_back(i);
}

/* before the GRD serves a request about this name: take it out of the cache */
static void fast_release_name(const struct msg_lk *lk)
{
	int idx;

	if (lms.s_fl && lk->lk_op == LK_OP_LOCK &&
	    (idx = fl_find(lms.s_fl, lk->lk_name, lk->lk_namelen)) >= 0)
		fast_take_back(idx);
}

/* ... or about this lock id (a conversion, say, of a lock taken in the cache) */
static void fast_release_lkid(uint64_t lkid)
{
	int idx;

	if (lms.s_fl && (lkid & FL_ID_BIT) && (idx = fl_find_lkid(lms.s_fl, lkid)) >= 0)
		fast_take_back(idx);
}

/*
 * A client that can use the cache asks for a resource we master: hand it
 * over (or it is there already) and say so.  False: the GRD serves it.
 */
static bool fast_offer(const struct msg_lk *lk)
{
	struct msg_lk out;

	if (!(lk->lk_flags & LK_FASTOK) || lk->lk_op != LK_OP_LOCK || !fast_on())
		return false;
	if (fl_find(lms.s_fl, lk->lk_name, lk->lk_namelen) < 0) {
		if (grd_has_resource(lms.s_grd, lk->lk_name, lk->lk_namelen) ||
		    fl_delegate(lms.s_fl, lk->lk_name, lk->lk_namelen, rac_now_mono_ns()) < 0)
			return false;
		sga_count(&lms.s_m->m_sga, CNT_GES_FAST_DELEGATED, 1);
	}
	out = *lk;
	out.lk_status = LK_ST_FAST;
	to_client(lk->lk_owner_client, MSG_LK_REPLY, &out);
	return true;
}

static bool pid_dead(int32_t pid, void *arg)
{
	(void)arg;
	return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

/* clients that died with locks in the cache */
static void fast_reap(void)
{
	struct fl_drop d;

	if (!lms.s_fl)
		return;
	fl_drop_dead(lms.s_fl, pid_dead, NULL, &d);
	if (d.fd_held + d.fd_waiting) {
		sga_count(&lms.s_m->m_sga, CNT_GES_CLIENT_LOCKS_FREED, d.fd_held + d.fd_waiting);
		log_info(COMP, "SGA lock cache: %zu locks and %zu waits of dead clients released "
			 "(%zu value blocks marked dubious)", d.fd_held, d.fd_waiting, d.fd_dubious);
	}
}

/* waits out of patience and dubious idle resources go to the GRD; idle ones go */
static void fast_sweep(uint64_t now)
{
	int from = 0, idx;

	fl_stamp(lms.s_fl, now);
	if (now < lms.s_next_sweep_ns)
		return;
	lms.s_next_sweep_ns = now + 100000000ull;
	while ((idx = fl_sweep(lms.s_fl, now, from)) >= 0) {
		fast_take_back(idx);
		from = idx + 1;
	}
	drain_events();
}

/* ---- requests -------------------------------------------------------------- */

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
static bool lease_stale(uint64_t now)
{
	const struct sga_cluster *cl = sga_cluster(&lms.s_m->m_sga);
	uint64_t lease = sga_load(&cl->cl_lease_ns), len = cl->cl_lease_len_ns;
	uint64_t allowed = len - len / 8 - lms.s_fast_lease_ns;

	if (!lease || !len || lms.s_fast_lease_ns >= len - len / 8)
		return false;	/* no lease yet */
	return now > lease && now - lease > allowed;
}

static bool frozen_now(void)
{
	struct sga_cluster *cl = sga_cluster(&lms.s_m->m_sga);

	return lms.s_rebuilding || lease_stale(rac_now_mono_ns()) ||
	       sga_load(&cl->cl_state) != CGS_STABLE ||
	       sga_load(&cl->cl_members) != lms.s_members ||
	       sga_load(&cl->cl_incarnation) != lms.s_inc;
}

/* a held request, not yet queued; NULL (the client told "not ready") when full */
static struct frozen *frozen_new(int from, uint32_t inc, const struct msg_lk *lk)
{
	struct frozen *f;

	if (lms.s_nfrozen >= MAX_FROZEN || !(f = calloc(1, sizeof(*f)))) {
		struct msg_lk out = *lk;

		out.lk_status = ST_NOT_READY;
		if (!from)
			to_client(lk->lk_owner_client, MSG_LK_REPLY, &out);
		return NULL;
	}
	f->fr_from = from;
	f->fr_inc = inc;
	f->fr_lk = *lk;
	lms.s_nfrozen++;
	sga_count(&lms.s_m->m_sga, CNT_GES_FROZEN, 1);
	return f;
}

static void hold(int from, uint32_t inc, const struct msg_lk *lk)
{
	struct frozen *f = frozen_new(from, inc, lk);

	if (f) {
		*lms.s_frozen_tail = f;
		lms.s_frozen_tail = &f->fr_next;
	}
}

/* a request from one of our clients (lk_owner_client is its session) */
static void client_request(const struct msg_lk *lk)
{
	struct msg_lk out;
	int master;

	if (frozen_now()) {
		hold(0, 0, lk);
		return;
	}
	if (lk->lk_op == LK_OP_LOCK) {
		if (bucket_master(lms.s_members, grd_bucket(lk->lk_name, lk->lk_namelen)) ==
		    lms.s_m->m_inst) {
			if (fast_offer(lk))
				return;
			fast_release_name(lk);
		}
	} else {
		fast_release_lkid(lk->lk_lkid);
	}
	master = master_of(lk);
	if (master <= 0 || !(lms.s_members & (1ull << (master - 1)))) {
		out = *lk;
		out.lk_status = master < 0 ? GRD_EUNKNOWN : ST_NOT_READY;
		if (master < 0)
			sga_count(&lms.s_m->m_sga, CNT_GES_BAD, 1);
		to_client(lk->lk_owner_client, MSG_LK_REPLY, &out);
		return;
	}
	if (master != lms.s_m->m_inst) {
		struct inflight *f = calloc(1, sizeof(*f));

		if (f) {
			f->if_master = master;
			f->if_lk = *lk;
			f->if_next = lms.s_inflight;
			lms.s_inflight = f;
		}
		to_peer(master, MSG_GRD_OP, lk);
		sga_count(&lms.s_m->m_sga, CNT_GES_REMOTE_SENT, 1);
		return;
	}
	apply(lk, (struct grd_owner){ .ow_client = lk->lk_owner_client,
				      .ow_inst = (uint8_t)lms.s_m->m_inst }, &out);
	to_client(lk->lk_owner_client, MSG_LK_REPLY, &out);
	drain_events();
}

/* do we master what this request is about, under the membership in force? */
static bool masters_now(const struct msg_lk *lk)
{
	struct grd_owner o;

	switch (lk->lk_op) {
	case LK_OP_LOCK:
		return bucket_master(lms.s_members, grd_bucket(lk->lk_name, lk->lk_namelen)) ==
		       lms.s_m->m_inst;
	case LK_OP_DROP_OWNER:
	case LK_OP_DEADLOCK_VICTIM:
		return true;
	default:
		return grd_lock_owner(lms.s_grd, lk->lk_lkid, &o) == 0;
	}
}

/*
 * A request another LMS sends us as master, routed by the bucket map of its
 * incarnation `inc`.  Sent under a newer map than ours: we are behind, it
 * waits until we have caught up.  Sent under an older one (it crossed a
 * reconfiguration on the way) about a resource that has left us: we must
 * not take it up again -- its new master has it -- so it goes back to be
 * routed anew.
 */
static void peer_request(int from, uint32_t inc, const struct msg_lk *lk)
{
	struct msg_lk out;

	if (frozen_now() || inc > lms.s_inc) {
		hold(from, inc, lk);
		return;
	}
	if (inc < lms.s_join_inc) {	/* sent to this instance's previous life */
		sga_count(&lms.s_m->m_sga, CNT_GES_STALE_DROPPED, 1);
		return;
	}
	if (inc < lms.s_inc && !masters_now(lk)) {
		if (lk->lk_op == LK_OP_DROP_OWNER || lk->lk_op == LK_OP_DEADLOCK_VICTIM)
			return;
		out = *lk;
		out.lk_status = ST_MOVED;
		sga_count(&lms.s_m->m_sga, CNT_GES_MOVED_BOUNCED, 1);
		to_peer(from, MSG_GRD_RESULT, &out);
		return;
	}
	fast_release_name(lk);	/* another instance wants it: the cache gives it up */
	apply(lk, (struct grd_owner){ .ow_client = lk->lk_owner_client, .ow_inst = (uint8_t)from },
	      &out);
	sga_count(&lms.s_m->m_sga, CNT_GES_REMOTE_SERVED, 1);
	if (lk->lk_op != LK_OP_DROP_OWNER && lk->lk_op != LK_OP_DEADLOCK_VICTIM)
		to_peer(from, MSG_GRD_RESULT, &out);
	drain_events();
}

static void replay_frozen(void)
{
	struct frozen *f = lms.s_frozen;

	lms.s_frozen = NULL;
	lms.s_frozen_tail = &lms.s_frozen;
	lms.s_nfrozen = 0;
	while (f) {
		struct frozen *next = f->fr_next;

		if (f->fr_from)
			peer_request(f->fr_from, f->fr_inc, &f->fr_lk);
		else
			client_request(&f->fr_lk);
		free(f);
		f = next;
	}
}

/*
 * The table is full: a session that owns no lock (none in our table, no
 * shadow names it) can go; its process may come back, as a new session.
 * Rare, so a plain scan.
 */
static struct session *session_reclaim(void)
{
	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *se = &lms.s_sess[i];
		struct grd_owner o = { .ow_client = se->se_id, .ow_inst = (uint8_t)lms.s_m->m_inst };
		bool owns = grd_owner_locks(lms.s_grd, o) > 0 ||
			    (lms.s_fl && fl_session_busy(lms.s_fl, se->se_id));

		for (size_t k = 0; k < lms.s_sh_cap && !owns; k++)
			owns = lms.s_sh[k].sh_lkid && lms.s_sh[k].sh_client == se->se_id;
		if (!owns) {
			log_info(COMP, "client session %u (pid %d) owns no lock: reclaimed",
				 se->se_id, (int)se->se_pid);
			session_end(se);
			return se;
		}
	}
	return NULL;
}

static struct session *session_for(const uint8_t *ident, size_t len, pid_t pid)
{
	struct session *free_slot = NULL;
	unsigned h = ident_hash(ident, len);

	for (uint16_t k = lms.s_sess_head[h]; k; k = lms.s_sess[k - 1].se_next) {
		struct session *se = &lms.s_sess[k - 1];

		if (se->se_ident_len == len && !memcmp(se->se_ident, ident, len))
			return se;
	}
	if (len > sizeof(free_slot->se_ident))
		return NULL;
	/* a new session: the next free slot after the last one given out */
	for (int i = 0; i < MAX_SESSIONS && !free_slot; i++) {
		struct session *se = &lms.s_sess[(lms.s_next_gen + (unsigned)i) & (MAX_SESSIONS - 1)];

		if (!se->se_used)
			free_slot = se;
	}
	if (!free_slot)
		free_slot = session_reclaim();
	if (!free_slot)
		return NULL;
	memcpy(free_slot->se_ident, ident, len);
	free_slot->se_ident_len = (uint8_t)len;
	/* never 0, never the id of a session this slot had lately */
	if (!(++lms.s_next_gen & 0xfffffu))
		lms.s_next_gen++;
	free_slot->se_id = (lms.s_next_gen & 0xfffffu) << 12 | (uint32_t)(free_slot - lms.s_sess);
	free_slot->se_pid = pid;
	free_slot->se_used = 1;
	free_slot->se_next = lms.s_sess_head[h];
	lms.s_sess_head[h] = (uint16_t)(free_slot - lms.s_sess + 1);
	log_info(COMP, "client session %u (pid %d) opened", free_slot->se_id, (int)pid);
	return free_slot;
}

/* ---- sockets ----------------------------------------------------------------- */

/* receive [identity][message]; 0 when nothing waits */
static int recv2(void *sock, uint8_t *ident, size_t *ident_len, uint8_t *buf, size_t *len)
{
	int n = zmq_recv(sock, ident, 255, ZMQ_DONTWAIT), more;
	size_t sz = sizeof(more);

	if (n < 0)
		return 0;
	*ident_len = (size_t)(n > 255 ? 255 : n);
	zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
	if (!more) {
		*len = 0;
		return 1;
	}
	n = zmq_recv(sock, buf, *len, 0);
	*len = n < 0 ? 0 : (size_t)n > *len ? *len + 1 : (size_t)n;	/* + 1: too long */
	zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
	while (more) {	/* extra frames: drain, the message is bad */
		uint8_t junk[64];

		zmq_recv(sock, junk, sizeof(junk), 0);
		zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
		*len = 0;
	}
	return 1;
}

/*
 * A client speaking another message version: an empty message in ours tells
 * a client library that knows this rule (RACRT_EVERSION) at once, instead
 * of its requests running into the reply bound one by one.
 */
static void refuse_version(void *sock, const uint8_t *ident, size_t ident_len, uint16_t theirs)
{
	struct msg_hdr h = { .mh_sender = (uint32_t)lms.s_m->m_inst, .mh_cluster = lms.s_cluster_id };
	uint8_t msg[RAC_MSG_HDR];
	int n = msg_encode_raw(msg, sizeof(msg), &h, MSG_LK_REPLY, NULL, 0);

	log_warn(COMP, "a client speaks message version %u, this LMS %u: told so", theirs,
		 RAC_MSG_VERSION);
	if (n < 0 || send_to(sock, ident, ident_len, msg, (size_t)n))
		sga_count(&lms.s_m->m_sga, CNT_GES_SEND_DROPPED, 1);
}

static void bad(const char *from, int rc)
{
	sga_count(&lms.s_m->m_sga, rc == RAC_EMSG_CLUSTER ? CNT_MSG_FOREIGN : CNT_MSG_BAD, 1);
	log_warn(COMP, "dropped a message from %s: %s", from, rac_strerror(rc));
}

/*
 * An answer or event from the remote master of a client's lock: its shadow
 * first.  A session that has ended has no shadows: its locks are being
 * dropped on every master.
 */
static void from_master(uint16_t type, const struct msg_lk *lk)
{
	if (session_by_id(lk->lk_owner_client))
		sh_note(type, lk);
	to_client(lk->lk_owner_client, type, lk);
}

/* one lock message, alone or out of a bundle, from a client or a peer LMS */
static void handle(bool client, const uint8_t *ident, size_t ident_len, uint16_t type,
		   int sender, uint32_t inc, struct msg_lk *lk)
{
	if (client && type != MSG_LK_REQUEST) {
		bad("a client", RAC_EMSG_TYPE);
		return;
	}
	sga_count(&lms.s_m->m_sga, CNT_MSG_RECEIVED, 1);
	if (client) {
		struct session *se = session_for(ident, ident_len, (pid_t)lk->lk_owner_pid);

		if (!se || lk->lk_op == LK_OP_DROP_OWNER || lk->lk_op == LK_OP_DEADLOCK_VICTIM) {
			bad("a client", RAC_EMSG_TYPE);
			return;
		}
		lk->lk_owner_client = se->se_id;
		lk->lk_owner_pid = (uint32_t)se->se_pid;
		if (lk->lk_op == LK_OP_SYNC) {	/* everything before it is in */
			lk->lk_status = 0;
			to_client(se->se_id, MSG_LK_REPLY, lk);
			return;
		}
		sga_count(&lms.s_m->m_sga, CNT_GES_REQUESTS, 1);
		if (lk->lk_op == LK_OP_CONVERT)
			sga_count(&lms.s_m->m_sga, CNT_GES_CONVERTS, 1);
		client_request(lk);
		return;
	}
	/*
	 * An answer or event of a master that has left, come after we settled
	 * the new membership: its requests were resubmitted and its locks
	 * rebuilt elsewhere, so what it says now is void (a grant heard now
	 * would give the client a lock its new master never saw).  So is one
	 * meant for this instance's previous life: a peer's socket keeps what
	 * it could not deliver while we were down, and hands it to us now.
	 */
	if ((type == MSG_GRD_RESULT || type == MSG_GRD_EVENT) &&
	    (!(lms.s_members & (1ull << (sender - 1))) || inc < lms.s_join_inc)) {
		sga_count(&lms.s_m->m_sga, CNT_GES_STALE_DROPPED, 1);
		return;
	}
	switch (type) {
	case MSG_GRD_OP:
		peer_request(sender, inc, lk);
		break;
	case MSG_GRD_RESULT:
		inflight_done(lk);
		if (lk->lk_status == ST_MOVED)	/* its master changed meanwhile */
			client_request(lk);
		else
			from_master(MSG_LK_REPLY, lk);
		break;
	case MSG_GRD_EVENT:
		from_master(MSG_LK_EVENT, lk);
		break;
	case MSG_GRD_REBUILD:
		rb_store(sender, lk);
		break;
	case MSG_GRD_EDGES_REQUEST:
		dl_answer(sender, lk->lk_req);
		break;
	case MSG_GRD_REBUILD_DONE:
		if (lk->lk_op == 1) {	/* it has finished its rebuild */
			fin_note(sender, lk->lk_req);
			break;
		}
		if (lms.s_rb_done_inc != lk->lk_req) {
			lms.s_rb_done_inc = lk->lk_req;
			lms.s_rb_done = 0;
		}
		lms.s_rb_done |= 1ull << (sender - 1);
		rb_check();
		break;
	default:
		bad("an LMS", RAC_EMSG_TYPE);
	}
}

static void serve(int item)
{
	static uint8_t buf[RAC_MSG_HDR + MSG_BUNDLE_MAX];
	void *sock = lms.s_m->m_items[item].socket;
	bool client = item == lms.s_client_item;
	unsigned served = 0;

	for (int budget = 512; budget > 0; budget--) {
		uint8_t ident[256];
		size_t ident_len, len = sizeof(buf);
		const uint8_t *p;
		struct msg_hdr h;
		struct msg_lk lk;
		int rc;

		if (!(client ? zsrv_recv(lms.s_zs, ident, &ident_len, buf, &len) :
		      recv2(sock, ident, &ident_len, buf, &len)))
			return;
		rc = msg_decode_hdr(buf, len, lms.s_cluster_id, &h, &p);
		if (rc == RAC_EMSG_VERSION && client)
			refuse_version(sock, ident, ident_len, h.mh_version);
		if (rc == 0 && h.mh_type == MSG_GES_DUMP_REQUEST) {
			send_dump(sock, ident, ident_len);
			continue;
		}
		if (rc == 0 && h.mh_type == MSG_GRD_EDGES && !client && h.mh_sender >= 1 &&
		    lms.s_peer[h.mh_sender]) {
			dl_receive((int)h.mh_sender, p, h.mh_length);
			continue;
		}
		if (rc == 0 && !client && (h.mh_sender < 1 || !lms.s_peer[h.mh_sender]))
			rc = RAC_EMSG_SENDER;
		if (rc == 0 && h.mh_type == MSG_LK_BUNDLE) {
			struct msg_bundle_iter it;
			uint16_t type;

			rc = msg_bundle_open(p, h.mh_length, &it);
			while (rc == 0 && (rc = msg_bundle_next(&it, &type, &lk)) == 1) {
				handle(client, ident, ident_len, type, (int)h.mh_sender, h.mh_incarnation, &lk);
				rc = 0;
				if (++served % FLUSH_EVERY == 0)
					out_flush_all();
			}
			if (rc)
				bad(client ? "a client" : "an LMS", rc);
			continue;
		}
		if (rc == 0)
			rc = msg_decode_lk(p, h.mh_length, &lk);
		if (rc) {
			bad(client ? "a client" : "an LMS", rc);
			continue;
		}
		handle(client, ident, ident_len, h.mh_type, (int)h.mh_sender, h.mh_incarnation,
		       &lk);
		if (++served % FLUSH_EVERY == 0)
			out_flush_all();
	}
	if (client)
		zsrv_yield(lms.s_zs);	/* the rest next time round */
}

/* ---- deadlocks across instances -------------------------------------------- */

static void dl_add(const struct grd_edge *e, int master)
{
	if (lms.s_dl_n == lms.s_dl_cap) {
		size_t cap = lms.s_dl_cap ? lms.s_dl_cap * 2 : 64;
		struct grd_edge *n = realloc(lms.s_dl_edges, cap * sizeof(*n));

		if (!n)
			return;
		lms.s_dl_edges = n;
		lms.s_dl_cap = cap;
	}
	lms.s_dl_edges[lms.s_dl_n] = *e;
	lms.s_dl_edges[lms.s_dl_n++].ed_master = (uint8_t)master;
}

/* our table's edges, to the coordinator */
static void dl_answer(int to, uint32_t round)
{
	static uint8_t body[8 + 4096 * EDGE_LEN], buf[RAC_MSG_HDR + sizeof(body)];
	struct msg_hdr h = { .mh_sender = (uint32_t)lms.s_m->m_inst,
			     .mh_cluster = lms.s_cluster_id, .mh_seq = ++lms.s_seq };
	struct grd_edge *e = NULL;
	struct blk_cursor c;
	size_t n = 0;
	int len;

	grd_waitfor_edges(lms.s_grd, &e, &n);
	if (n > 4096)
		n = 4096;
	cur_init_write(&c, body, sizeof(body));
	put_u32(&c, round);
	put_u32(&c, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		put_u8(&c, e[i].ed_waiter.ow_inst);
		put_u32(&c, e[i].ed_waiter.ow_client);
		put_u8(&c, e[i].ed_holder.ow_inst);
		put_u32(&c, e[i].ed_holder.ow_client);
		put_u64(&c, e[i].ed_lkid);
	}
	free(e);
	len = msg_encode_raw(buf, sizeof(buf), &h, MSG_GRD_EDGES, body, c.c_pos);
	if (len > 0 && lms.s_peer[to])
		zmq_send(lms.s_peer[to], buf, (size_t)len, ZMQ_DONTWAIT);
}

static void dl_receive(int from, const uint8_t *p, size_t len)
{
	struct blk_cursor c;
	uint32_t round, n;

	cur_init_read(&c, p, len);
	round = get_u32(&c);
	n = get_u32(&c);
	if (c.c_err || round != lms.s_dl_round || (size_t)n * EDGE_LEN + 8 != len)
		return;	/* late, or not what it says */
	for (uint32_t i = 0; i < n; i++) {
		struct grd_edge e = { 0 };

		e.ed_waiter.ow_inst = get_u8(&c);
		e.ed_waiter.ow_client = get_u32(&c);
		e.ed_holder.ow_inst = get_u8(&c);
		e.ed_holder.ow_client = get_u32(&c);
		e.ed_lkid = get_u64(&c);
		dl_add(&e, from);
	}
	lms.s_dl_got |= 1ull << (from - 1);
}

/* is every edge of the candidate cycle in this round's edges too? */
static bool dl_confirmed(void)
{
	if (!lms.s_dl_ncand)
		return false;
	for (int k = 0; k < lms.s_dl_ncand; k++) {
		const struct grd_edge *c = &lms.s_dl_cand[k];
		bool found = false;

		for (size_t i = 0; i < lms.s_dl_n && !found; i++) {
			const struct grd_edge *e = &lms.s_dl_edges[i];

			found = e->ed_lkid == c->ed_lkid && e->ed_holder.ow_inst == c->ed_holder.ow_inst &&
				e->ed_holder.ow_client == c->ed_holder.ow_client;
		}
		if (!found)
			return false;
	}
	return true;
}

/*
 * Every edge is in (or the wait is over): break one cycle through several
 * masters.  The tables answer at slightly different moments, so a cycle
 * made of waits that never overlapped (a phantom: A waited for B on one
 * master, then B for A on another) can show up.  A cycle is broken only
 * when the next round, gathered after this one, still has each of its
 * waits: a request that waits in both rounds has waited throughout.
 */
static void dl_evaluate(void)
{
	size_t *cyc = lms.s_dl_n ? malloc(lms.s_dl_n * sizeof(*cyc)) : NULL;
	int len = cyc ? grd_cycle_find(lms.s_dl_edges, lms.s_dl_n, cyc, lms.s_dl_n) : 0;
	const struct grd_edge *victim = NULL;

	if (dl_confirmed()) {
		for (int k = 0; k < lms.s_dl_ncand; k++)
			if (!victim || lms.s_dl_cand[k].ed_lkid > victim->ed_lkid)
				victim = &lms.s_dl_cand[k];
		len = lms.s_dl_ncand_was = lms.s_dl_ncand;
		lms.s_dl_ncand = 0;
	} else {
		if (lms.s_dl_ncand)
			sga_count(&lms.s_m->m_sga, CNT_GES_DEADLOCK_UNCONFIRMED, 1);
		lms.s_dl_ncand = 0;
		for (int k = 0; k < len && k < DL_CAND_MAX; k++)
			lms.s_dl_cand[lms.s_dl_ncand++] = lms.s_dl_edges[cyc[k]];
		if (len > 0 && len <= DL_CAND_MAX)
			lms.s_next_dl_ns = 0;	/* look again at once */
		else
			lms.s_dl_ncand = 0;
	}
	if (victim) {
		struct msg_lk lk = { .lk_op = LK_OP_DEADLOCK_VICTIM, .lk_lkid = victim->ed_lkid };

		log_alert("LMS 0: deadlock across %d locks on several instances; the request of "
			  "lock 0x%016llx (instance %u) fails", len,
			  (unsigned long long)victim->ed_lkid, victim->ed_waiter.ow_inst);
		for (int k = 0; k < lms.s_dl_ncand_was; k++) {
			const struct grd_edge *e = &lms.s_dl_cand[k];

			log_info(COMP, "deadlock cycle: lock 0x%016llx of client %u on instance %u "
				 "(master %u) waits for client %u on instance %u",
				 (unsigned long long)e->ed_lkid, e->ed_waiter.ow_client,
				 e->ed_waiter.ow_inst, e->ed_master, e->ed_holder.ow_client,
				 e->ed_holder.ow_inst);
		}
		if (victim->ed_master == lms.s_m->m_inst) {
			grd_fail_deadlock(lms.s_grd, victim->ed_lkid);
			drain_events();
		} else {
			to_peer(victim->ed_master, MSG_GRD_OP, &lk);
		}
	}
	free(cyc);
	lms.s_dl_n = 0;
	lms.s_dl_round = 0;
}

static void dl_tick(uint64_t now)
{
	int me = lms.s_m->m_inst;

	if (lms.s_dl_round && ((lms.s_dl_got & lms.s_dl_expect) == lms.s_dl_expect ||
			       now > lms.s_dl_deadline_ns))
		dl_evaluate();
	if (now < lms.s_next_dl_ns)
		return;
	lms.s_next_dl_ns = now + DEADLOCK_PERIOD_MS * 1000000ull;
	/* cycles inside our own table first: no one else can see them whole */
	if (grd_deadlock_find(lms.s_grd, NULL, 0) > 0)
		drain_events();
	/* the lowest member gathers every table's edges */
	if (lms.s_dl_round || lms.s_rebuilding || __builtin_ffsll((long long)lms.s_members) != me ||
	    !(lms.s_members & ~(1ull << (me - 1))))
		return;
	{
		struct grd_edge *e = NULL;
		size_t n = 0;
		struct msg_lk rq = { .lk_req = ++lms.s_seq & 0x7fffffff };

		grd_waitfor_edges(lms.s_grd, &e, &n);
		lms.s_dl_n = 0;
		for (size_t i = 0; i < n; i++)
			dl_add(&e[i], me);
		free(e);
		if (!rq.lk_req)
			rq.lk_req = 1;
		lms.s_dl_round = rq.lk_req;
		lms.s_dl_expect = lms.s_members & ~(1ull << (me - 1));
		lms.s_dl_got = 0;
		lms.s_dl_deadline_ns = now + DEADLOCK_WAIT_MS * 1000000ull;
		for (int i = 1; i <= RAC_MAX_INST; i++)
			if (lms.s_dl_expect & (1ull << (i - 1)))
				to_peer(i, MSG_GRD_EDGES_REQUEST, &rq);
	}
}

/* ---- housekeeping ------------------------------------------------------------ */

/*
 * Shadows whose session has ended: their locks were dropped.  Deleting may
 * move a later shadow into slot i, so the slot is looked at again; nothing
 * moves behind the scan.
 */
static void sh_prune(void)
{
	for (size_t i = 0; i < lms.s_sh_cap; i++)
		while (lms.s_sh[i].sh_lkid && !session_by_id(lms.s_sh[i].sh_client))
			sh_del_at(i);
}

/*
 * Clients whose process is gone: release their locks on every master.  Not
 * while the GRD is frozen: their locks may be on the way to a new master
 * (here too, from shadows), and would come back after the drop.
 */
static void reap_sessions(void)
{
	bool ended = false;

	if (frozen_now())
		return;
	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *se = &lms.s_sess[i];
		struct msg_lk lk = { .lk_op = LK_OP_DROP_OWNER };
		struct msg_lk out;

		if (!se->se_used || se->se_pid <= 0 || kill(se->se_pid, 0) == 0 || errno != ESRCH)
			continue;
		lk.lk_owner_client = se->se_id;
		log_info(COMP, "client session %u (pid %d) is gone: releasing its locks",
			 se->se_id, (int)se->se_pid);
		apply(&lk, (struct grd_owner){ .ow_client = se->se_id,
					       .ow_inst = (uint8_t)lms.s_m->m_inst }, &out);
		for (int p = 1; p <= RAC_MAX_INST; p++)
			if (lms.s_peer[p] && (lms.s_members & (1ull << (p - 1))))
				to_peer(p, MSG_GRD_OP, &lk);
		sga_count(&lms.s_m->m_sga, CNT_GES_CLIENT_DROPS, 1);
		session_end(se);
		ended = true;
		drain_events();
	}
	if (ended)
		sh_prune();
	fast_reap();
}

/* ---- requests in flight to another master ------------------------------------ */

/*
 * The answer to a request in flight.  A release that does not wait for its
 * answer has no request id (0), and several may be out at once: those are
 * told apart by their lock id.
 */
static void inflight_done(const struct msg_lk *lk)
{
	for (struct inflight **pp = &lms.s_inflight; *pp; pp = &(*pp)->if_next)
		if ((*pp)->if_lk.lk_owner_client == lk->lk_owner_client &&
		    (*pp)->if_lk.lk_req == lk->lk_req && (*pp)->if_lk.lk_op == lk->lk_op &&
		    (lk->lk_op == LK_OP_LOCK || (*pp)->if_lk.lk_lkid == lk->lk_lkid)) {
			struct inflight *f = *pp;

			*pp = f->if_next;
			free(f);
			return;
		}
}

/*
 * Requests sent to a master that has left will never be answered: submit
 * them again, to the new master, once the GRD is rebuilt (they wait with
 * the frozen ones).  A lock the dead master granted but never confirmed
 * died with it: it is not in any shadow, so asking again is right.
 */
static void inflight_resubmit(uint64_t gone)
{
	struct inflight **pp = &lms.s_inflight;
	struct frozen *first = NULL, *last = NULL;
	size_t n = 0;

	/*
	 * The in-flight list is newest first; the requests go back in the order
	 * they were made, and ahead of those that came during the freeze, so
	 * that a resource's waiters stay first come, first served.
	 */
	while (*pp) {
		struct inflight *f = *pp;
		struct frozen *h;

		if (!(gone & (1ull << (f->if_master - 1)))) {
			pp = &f->if_next;
			continue;
		}
		*pp = f->if_next;
		if ((h = frozen_new(0, 0, &f->if_lk))) {
			h->fr_next = first;	/* each older one goes in front */
			first = h;
			if (!last)
				last = h;
		}
		free(f);
		n++;
	}
	if (first) {
		last->fr_next = lms.s_frozen;
		if (!lms.s_frozen)
			lms.s_frozen_tail = &last->fr_next;
		lms.s_frozen = first;
	}
	if (n)
		log_info(COMP, "%zu requests in flight to departed masters resubmitted", n);
}

/* ---- remastering ----------------------------------------------------------- */

static void rb_store(int from, const struct msg_lk *lk)
{
	struct rb_rec *r = calloc(1, sizeof(*r));

	if (!r) {
		log_error(COMP, "out of memory keeping a rebuild record: a lock may be lost");
		return;
	}
	r->rb_from = from;
	r->rb_seq = ++lms.s_rb_seq;
	r->rb_lk = *lk;
	r->rb_next = lms.s_rb;
	lms.s_rb = r;
}

static void rb_free(uint32_t keep_inc, bool keep)
{
	struct rb_rec **pp = &lms.s_rb;

	while (*pp) {
		struct rb_rec *r = *pp;

		if (keep && r->rb_lk.lk_req == keep_inc) {
			pp = &r->rb_next;
			continue;
		}
		*pp = r->rb_next;
		free(r);
	}
}

static int rb_cmp(const void *a, const void *b)
{
	const struct rb_rec *x = *(const struct rb_rec *const *)a;
	const struct rb_rec *y = *(const struct rb_rec *const *)b;
	int n = memcmp(x->rb_lk.lk_name, y->rb_lk.lk_name, LK_NAME_MAX);

	if (n || x->rb_lk.lk_namelen != y->rb_lk.lk_namelen)
		return n ? n : (int)x->rb_lk.lk_namelen - (int)y->rb_lk.lk_namelen;
	if (x->rb_lk.lk_op != y->rb_lk.lk_op)
		return (int)y->rb_lk.lk_op - (int)x->rb_lk.lk_op;	/* resource record first */
	if (x->rb_lk.lk_event != y->rb_lk.lk_event)
		return (int)x->rb_lk.lk_event - (int)y->rb_lk.lk_event;	/* queue order */
	return x->rb_lk.lk_lkid < y->rb_lk.lk_lkid ? -1 : x->rb_lk.lk_lkid > y->rb_lk.lk_lkid;
}

/*
 * REBUILD_DONE for this change to every other member: op 0, our records
 * have all been sent; op 1, we have finished rebuilding.
 */
static void rb_tell_members(uint32_t op)
{
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct msg_lk done = { .lk_op = op, .lk_req = lms.s_rb_inc };

		if (i != lms.s_m->m_inst && (lms.s_members & (1ull << (i - 1))))
			to_peer(i, MSG_GRD_REBUILD_DONE, &done);
	}
}

/*
 * Member `who` finished rebuilding for incarnation inc.  Once every member
 * has, that membership is the base a later change starts from, and what
 * our table handed over is in its new masters' tables for good.
 */
static void fin_note(int who, uint64_t inc)
{
	if (inc < lms.s_fin_inc)
		return;
	if (inc > lms.s_fin_inc) {
		lms.s_fin_inc = inc;
		lms.s_fin_mask = 0;
	}
	lms.s_fin_mask |= 1ull << (who - 1);
	if (inc != lms.s_rb_inc || lms.s_rebuilding ||
	    (lms.s_fin_mask & lms.s_members) != lms.s_members)
		return;
	lms.s_rb_base = lms.s_members;
	lms.s_rb_base_inc = inc;
	while (lms.s_rb_nsent > 0)
		grd_export_free(&lms.s_rb_sent[--lms.s_rb_nsent]);
}

/*
 * Whose records of one resource (v[i..end)) to rebuild it from.  A living
 * old master sends its table, value block first: that is the truth.  When
 * a change overtook the previous rebuild, the same locks can come twice --
 * from the master of the unfinished change, if it had taken them, and from
 * the one before, which sends again what it handed over -- and the later
 * master wins.  No value-block record: the old master is gone, and every
 * owner's shadow counts (0).
 */
static int rb_source(struct rb_rec **v, size_t i, size_t end, unsigned bucket)
{
	int mid = bucket_master(lms.s_rb_mid, bucket), src = 0;

	for (size_t j = i; j < end && v[j]->rb_lk.lk_op == 2; j++)
		if (!src || v[j]->rb_from == mid)
			src = v[j]->rb_from;
	return src;
}

/*
 * One resource's records, in the order its old master sent them (its
 * queues in order, first come first served), its value block first.
 */
static int rb_cmp_sent(const void *a, const void *b)
{
	const struct rb_rec *x = *(const struct rb_rec *const *)a;
	const struct rb_rec *y = *(const struct rb_rec *const *)b;

	if (x->rb_lk.lk_op != y->rb_lk.lk_op)
		return (int)y->rb_lk.lk_op - (int)x->rb_lk.lk_op;
	if (x->rb_from != y->rb_from)
		return x->rb_from - y->rb_from;
	if (x->rb_lk.lk_event != y->rb_lk.lk_event)
		return (int)x->rb_lk.lk_event - (int)y->rb_lk.lk_event;
	return x->rb_seq < y->rb_seq ? -1 : x->rb_seq > y->rb_seq;
}

/*
 * A lock's rebuild record makes sense: its id, owner, modes and state, and
 * a granted mode compatible with those granted before it (`held`, a bit
 * per mode).  A bad one is dropped alone, not with everything rebuilt.
 */
static bool rb_lock_ok(const struct msg_lk *l, unsigned *held)
{
	int gr = l->lk_mode, rq = l->lk_status;
	uint32_t inst = l->lk_flags;

	if (!l->lk_lkid || inst > RAC_MAX_INST)
		return false;
	switch (l->lk_event) {
	case GRD_LK_GRANTED:
	case GRD_LK_CONVERTING:
		if (gr < GRD_NL || gr > GRD_EX ||
		    (l->lk_event == GRD_LK_CONVERTING && (rq < GRD_NL || rq > GRD_EX)))
			return false;
		for (int m = GRD_NL; m <= GRD_EX; m++)
			if ((*held & (1u << m)) && !grd_mode_compat(gr, m))
				return false;
		*held |= 1u << gr;
		return true;
	case GRD_LK_WAITING:
		return rq >= GRD_NL && rq <= GRD_EX;
	}
	return false;
}

/*
 * The rebuild as a whole did not go in (a record clashing with another, or
 * with our table): resource by resource, so that one bad resource loses
 * only itself.  Returns 0; what failed is said in the alert log.
 */
static int rb_import_each(const struct grd_export *x)
{
	const struct grd_xlock *xl = x->x_locks;
	size_t lost = 0;

	for (size_t r = 0; r < x->x_nres; xl += x->x_res[r].xr_nlocks, r++) {
		struct grd_export one = { .x_res = (struct grd_xres *)&x->x_res[r], .x_nres = 1,
					  .x_locks = (struct grd_xlock *)xl,
					  .x_nlocks = x->x_res[r].xr_nlocks };

		if (grd_import(lms.s_grd, &one)) {
			lost++;
			log_warn(COMP, "resource %.*s could not be rebuilt here: %u locks lost",
				 (int)x->x_res[r].xr_namelen, (const char *)x->x_res[r].xr_name,
				 x->x_res[r].xr_nlocks);
		}
	}
	if (lost)
		log_alert("LMS 0: %zu of %zu resources could not be rebuilt; their locks are lost",
			  lost, x->x_nres);
	return 0;
}

/* Every survivor's records are in: rebuild the moved resources and go on. */
static void rb_finish(void)
{
	struct grd_export x = { 0 };
	struct rb_rec **v;
	size_t n = 0, k = 0, dubious = 0;
	int rc = 0;

	for (struct rb_rec *r = lms.s_rb; r; r = r->rb_next)
		n += r->rb_lk.lk_req == lms.s_rb_inc;
	v = calloc(n ? n : 1, sizeof(*v));
	x.x_res = calloc(n ? n : 1, sizeof(*x.x_res));
	x.x_locks = calloc(n ? n : 1, sizeof(*x.x_locks));
	if (!v || !x.x_res || !x.x_locks) {
		rc = GRD_EIMPORT;
		goto out;
	}
	for (struct rb_rec *r = lms.s_rb; r; r = r->rb_next)
		if (r->rb_lk.lk_req == lms.s_rb_inc)
			v[k++] = r;
	qsort(v, n, sizeof(*v), rb_cmp);
	for (size_t i = 0; i < n;) {
		const struct msg_lk *first = &v[i]->rb_lk;
		struct grd_xres *xr = &x.x_res[x.x_nres];
		unsigned bucket = grd_bucket(first->lk_name, first->lk_namelen);
		size_t end = i, j;
		unsigned held;
		int src = 0;

		while (end < n && v[end]->rb_lk.lk_namelen == first->lk_namelen &&
		       !memcmp(v[end]->rb_lk.lk_name, first->lk_name, LK_NAME_MAX))
			end++;
		if (!(lms.s_rb_moved[bucket / 64] & (1ull << (bucket % 64))) ||
		    grd_has_resource(lms.s_grd, first->lk_name, first->lk_namelen)) {
			i = end;	/* we have it already: our table is the truth */
			continue;
		}
		held = 0;
		src = rb_source(v, i, end, bucket);
		if (src)	/* its table's queues, in the order it sent them */
			qsort(v + i, end - i, sizeof(*v), rb_cmp_sent);
		memset(xr, 0, sizeof(*xr));
		xr->xr_namelen = (uint8_t)first->lk_namelen;
		memcpy(xr->xr_name, first->lk_name, first->lk_namelen);
		xr->xr_dubious = true;	/* no old master's record: the value is lost */
		for (j = i; j < end; j++) {
			const struct msg_lk *l = &v[j]->rb_lk;
			struct grd_xlock *xl;

			if (src && v[j]->rb_from != src)
				continue;	/* the same locks, as another member saw them */
			if (l->lk_op == 2) {
				memcpy(xr->xr_lvb, l->lk_lvb, LK_LVB_LEN);
				xr->xr_dubious = l->lk_dubious;
				continue;
			}
			if (l->lk_op != 1)
				continue;
			if (!rb_lock_ok(l, &held)) {
				sga_count(&lms.s_m->m_sga, CNT_MSG_BAD, 1);
				log_warn(COMP, "dropped a rebuild record from instance %d: lock "
					 "0x%016llx of %.*s makes no sense (state %u, modes %d/%d, "
					 "owner %u)", v[j]->rb_from, (unsigned long long)l->lk_lkid,
					 (int)l->lk_namelen, (const char *)l->lk_name, l->lk_event,
					 l->lk_mode, l->lk_status, l->lk_flags);
				continue;
			}
			xl = &x.x_locks[x.x_nlocks++];
			xl->xl_lkid = l->lk_lkid;
			xl->xl_owner = (struct grd_owner){ .ow_client = l->lk_owner_client,
							   .ow_inst = (uint8_t)(l->lk_flags ?
								l->lk_flags : (uint32_t)v[j]->rb_from) };
			/* a failed instance's lock its old master held for recovery */
			if (l->lk_flags >= 1 && l->lk_flags <= RAC_MAX_INST &&
			    !(lms.s_members & (1ull << (l->lk_flags - 1))))
				lms.s_rec_insts |= 1ull << (l->lk_flags - 1);
			xl->xl_grmode = (int8_t)l->lk_mode;
			xl->xl_rqmode = (int8_t)l->lk_status;
			xl->xl_state = (uint8_t)l->lk_event;
			xl->xl_bast = GRD_IV;
			xr->xr_nlocks++;
		}
		dubious += xr->xr_dubious;
		if (xr->xr_nlocks)
			x.x_nres++;
		i = end;
	}
	if (x.x_nres)
		rc = grd_import(lms.s_grd, &x);
	if (rc == GRD_EIMPORT)
		rc = rb_import_each(&x);
	/* our clients' locks rebuilt here are in our table now: no shadows for them */
	for (k = 0; rc == 0 && k < n; k++)
		if (v[k]->rb_lk.lk_op == 1 && (v[k]->rb_lk.lk_flags ? v[k]->rb_lk.lk_flags :
		    (uint32_t)v[k]->rb_from) == (uint32_t)lms.s_m->m_inst)
			sh_del(v[k]->rb_lk.lk_lkid);
out:
	if (rc)
		log_alert("LMS 0: rebuilding %zu resources from shadows failed: %s; their locks "
			  "are lost", x.x_nres, grd_strerror(rc));
	else if (x.x_nres)	/* the trace: the alert block carries the counts */
		log_info(COMP, "%zu resources (%zu locks) remastered here from shadows in %.3f ms, "
			 "%zu value blocks dubious", x.x_nres, x.x_nlocks,
			  (double)(rac_now_mono_ns() - lms.s_rb_start_ns) / 1e6, dubious);
	free(v);
	free(x.x_res);
	free(x.x_locks);
	rb_free(0, false);
	lms.s_rb_local = lms.s_members;
	lms.s_rebuilding = 0;
	fin_note(lms.s_m->m_inst, lms.s_rb_inc);
	rb_tell_members(1);
	{
		/* LMON waits for these to write the reconfiguration's alert lines */
		struct sga_cluster *cl = sga_cluster(&lms.s_m->m_sga);

		cl->cl_grd_traversed = lms.s_rb_traversed;
		cl->cl_grd_replayed = lms.s_rb_replayed;
		cl->cl_grd_cancelled = lms.s_rb_cancelled;
		cl->cl_grd_rebuilt = (uint32_t)x.x_nres;
		cl->cl_grd_dubious = lms.s_rb_dubious + (uint32_t)dubious;
		sga_count(&lms.s_m->m_sga, CNT_GES_REMASTERED, x.x_nres);
		freeze_end();
		sga_store(&cl->cl_grd_inc, (uint64_t)lms.s_rb_inc);
		/* post SMON: instance recovery of the instances that left */
		if (lms.s_rec_insts) {
			sga_store(&cl->cl_smon_insts, lms.s_rec_insts);
			sga_store(&cl->cl_smon_post, (uint64_t)lms.s_rb_inc);
			lms.s_rec_posted = lms.s_rb_inc;
		}
	}
	replay_frozen();
	drain_events();
}

/* the GRD froze (a reconfiguration began): note when */
static void freeze_begin(void)
{
	if (!lms.s_freeze_ns) {
		lms.s_freeze_ns = rac_now_mono_ns();
		fast_take_back_all();	/* the rebuild sees every lock in the GRD */
	}
}

/* the GRD thaws: how long it was frozen goes to v$ges_statistics */
static void freeze_end(void)
{
	uint64_t us;

	if (!lms.s_freeze_ns)
		lms.s_freeze_ns = lms.s_rb_start_ns;
	us = (rac_now_mono_ns() - lms.s_freeze_ns) / 1000;
	lms.s_freeze_ns = 0;
	sga_count(&lms.s_m->m_sga, CNT_GES_FREEZES, 1);
	sga_count(&lms.s_m->m_sga, CNT_GES_FREEZE_US_TOTAL, us);
	sga_counters(&lms.s_m->m_sga)[CNT_GES_FREEZE_US_LAST] = us;
}

/* SMON has recovered the instances we hold locks for: release them */
static void recovery_check(void)
{
	struct sga_cluster *cl = sga_cluster(&lms.s_m->m_sga);
	size_t released = 0;

	if (!lms.s_rec_insts || lms.s_rebuilding ||
	    sga_load(&cl->cl_smon_done) < lms.s_rec_posted)
		return;
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct grd_drop d;

		if ((lms.s_rec_insts & (1ull << (i - 1))) &&
		    grd_drop_owner_instance(lms.s_grd, (unsigned)i, &d) == 0)
			released += d.dr_held;
	}
	log_info(COMP, "instance recovery done: %zu locks held for recovery released", released);
	lms.s_rec_insts = 0;
	cl->cl_grd_released = (uint32_t)released;
	sga_store(&cl->cl_grd_released_inc, lms.s_rec_posted);
	drain_events();
}

static void rb_check(void)
{
	if (lms.s_rebuilding && lms.s_rb_done_inc == lms.s_rb_inc &&
	    (lms.s_rb_done & lms.s_rb_expect) == lms.s_rb_expect)
		rb_finish();
	else if (lms.s_rebuilding && !lms.s_rb_expect)
		rb_finish();
}

/*
 * A lock in a moved bucket, to its new master nm (us too): its rebuild
 * record, lk_flags naming the owner's instance.  A waiter holds no mode; a
 * granted lock asks for none.
 */
static void rb_send_lock(int nm, const struct grd_xlock *xl, const void *name, size_t namelen)
{
	struct msg_lk lk = { .lk_op = 1, .lk_req = lms.s_rb_inc, .lk_lkid = xl->xl_lkid,
			     .lk_owner_client = xl->xl_owner.ow_client,
			     .lk_flags = xl->xl_owner.ow_inst, .lk_mode = xl->xl_grmode,
			     .lk_status = xl->xl_state == GRD_LK_GRANTED ? GRD_IV : xl->xl_rqmode,
			     .lk_event = xl->xl_state, .lk_namelen = (uint16_t)namelen };

	memcpy(lk.lk_name, name, namelen);
	if (nm == lms.s_m->m_inst)
		rb_store(nm, &lk);
	else if (nm)
		to_peer(nm, MSG_GRD_REBUILD, &lk);
	lms.s_rb_replayed++;
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

/* our rebuild records have all gone: tell every other member */
static void send_done(void)
{
	rb_tell_members(0);
	lms.s_done_due_ns = 0;
}

/*
 * The membership settled.  Drop the locks of instances that left; hand the
 * moved buckets to their new masters: a living old master sends its whole
 * table there (every owner's locks, and the value blocks), which is the
 * truth -- an owner's shadow may lag behind an answer still on its way;
 * where the old master is gone, every owner sends its clients' locks from
 * its shadows.  Then wait for every survivor's records.
 */
/*
 * Send an export of our table to the new masters of its buckets (us too),
 * value blocks first; `shadows`: keep a shadow of our own clients' locks
 * (the first time only).
 */
static void rb_send_export(const struct grd_export *x, uint64_t members, bool shadows)
{
	const struct grd_xlock *xl = x->x_locks;
	int me = lms.s_m->m_inst;

	for (size_t r = 0; r < x->x_nres; r++) {
		const struct grd_xres *xr = &x->x_res[r];
		struct msg_lk lk = { .lk_op = 2, .lk_req = lms.s_rb_inc, .lk_namelen = xr->xr_namelen,
				     .lk_has_lvb = 1, .lk_dubious = xr->xr_dubious };
		int nm = bucket_master(members, grd_bucket(xr->xr_name, xr->xr_namelen));

		memcpy(lk.lk_name, xr->xr_name, xr->xr_namelen);
		memcpy(lk.lk_lvb, xr->xr_lvb, LK_LVB_LEN);
		if (nm == me)
			rb_store(me, &lk);
		else if (nm)
			to_peer(nm, MSG_GRD_REBUILD, &lk);
		for (uint32_t k = 0; k < xr->xr_nlocks; k++, xl++) {
			struct shadow *e;

			rb_send_lock(nm, xl, xr->xr_name, xr->xr_namelen);
			if (!shadows || xl->xl_owner.ow_inst != me)
				continue;
			e = sh_make(xl->xl_lkid, xl->xl_owner.ow_client, xr->xr_name,
				    xr->xr_namelen);
			if (e) {
				e->sh_gr = xl->xl_grmode;
				e->sh_rq = xl->xl_state == GRD_LK_GRANTED ? GRD_IV : xl->xl_rqmode;
				e->sh_state = xl->xl_state;
			}
		}
	}
}

static void thaw(uint64_t members)
{
	uint64_t old = lms.s_members, gone = old & ~members, base, local;
	bool overtaken;
	uint32_t inc = (uint32_t)sga_load(&sga_cluster(&lms.s_m->m_sga)->cl_incarnation);

	fast_take_back_all();	/* if the freeze went unseen */
	lms.s_rb_traversed = (uint32_t)lms.s_sh_n;
	lms.s_rb_replayed = lms.s_rb_cancelled = lms.s_rb_dubious = 0;
	uint64_t moved[(GRD_NBUCKETS + 63) / 64] = { 0 };
	int me = lms.s_m->m_inst;
	struct grd_export x;

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		uint64_t bit = 1ull << (i - 1);
		struct grd_drop d;

		/* back before its recovery was done: what it held goes now */
		if ((members & bit) && (lms.s_rec_insts & bit)) {
			lms.s_rec_insts &= ~bit;
			if (grd_drop_owner_instance(lms.s_grd, (unsigned)i, &d) == 0 && d.dr_held)
				log_info(COMP, "instance %d is back: its %zu locks held for recovery "
					 "released", i, d.dr_held);
		}
		/* gone: its PW and EX locks are held until SMON has recovered it */
		if ((gone & bit) && grd_hold_for_recovery(lms.s_grd, (unsigned)i, &d) == 0) {
			lms.s_rb_cancelled += (uint32_t)(d.dr_held + d.dr_waiting);
			lms.s_rb_dubious += (uint32_t)d.dr_dubious;
			lms.s_rec_insts |= bit;
			sga_count(&lms.s_m->m_sga, CNT_GES_RECOVERY_HELD, d.dr_kept);
		}
	}
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
	overtaken = lms.s_rb_base_inc != lms.s_rb_inc;
	base = overtaken ? lms.s_rb_base : old;
	local = lms.s_rebuilding ? lms.s_rb_local : old;
	if (overtaken)
		log_info(COMP, "membership changed again before every member had rebuilt the "
			 "GRD: buckets move from incarnation %llu's membership on",
			 (unsigned long long)lms.s_rb_base_inc);
	memset(lms.s_rb_moved, 0, sizeof(lms.s_rb_moved));
	for (unsigned b = 0; b < GRD_NBUCKETS; b++) {
		int mb = bucket_master(base, b), mo = bucket_master(old, b),
		    mn = bucket_master(members, b), ml = bucket_master(local, b);

		/* what we send: anything that moved since the base */
		if (mb != mn || mo != mn || mb != mo)
			moved[b / 64] |= 1ull << (b % 64);
		/* what we take in: what moved since our own last rebuild */
		if (mn == me && (ml != mn || mo != mn))
			lms.s_rb_moved[b / 64] |= 1ull << (b % 64);
	}
	inflight_resubmit(gone);
	if ((members & (1ull << (me - 1))) && !(old & (1ull << (me - 1))))
		lms.s_join_inc = inc;
	lms.s_members = members;
	lms.s_inc = sga_load(&sga_cluster(&lms.s_m->m_sga)->cl_incarnation);
	lms.s_rb_mid = old;
	lms.s_rb_inc = inc;
	lms.s_rb_start_ns = rac_now_mono_ns();
	if (lms.s_rb_done_inc != inc) {
		lms.s_rb_done_inc = inc;
		lms.s_rb_done = 0;
	}
	rb_free(inc, true);	/* records of an older change are void */

	/*
	 * Our clients' locks in moved buckets whose master (as of base) is
	 * gone: from shadows.  A living one sends its table, now or again.
	 */
	for (size_t i = 0; i < lms.s_sh_cap; i++) {
		const struct shadow *e = &lms.s_sh[i];
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
	/* what our table handed over in the unfinished changes, to the new masters */
	for (int k = 0; overtaken && k < lms.s_rb_nsent; k++)
		rb_send_export(&lms.s_rb_sent[k], members, false);
	if (!overtaken)
		while (lms.s_rb_nsent > 0)
			grd_export_free(&lms.s_rb_sent[--lms.s_rb_nsent]);
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
		if (lms.s_rb_nsent < RB_SENT_MAX) {
			lms.s_rb_sent[lms.s_rb_nsent++] = x;
		} else {
			log_error(COMP, "too many membership changes overtaking one another: "
				  "locks handed over may be lost if another one comes");
			grd_export_free(&x);
		}
	}
	lms.s_done_due_ns = members & ~old ? fault_done_delay_ns() : 0;
	if (lms.s_done_due_ns) {
		log_info(COMP, "fault injection: rebuild DONE held back %llu ms",
			 (unsigned long long)(lms.s_done_due_ns / 1000000));
		lms.s_done_due_ns += rac_now_mono_ns();
	} else {
		send_done();
	}
	log_info(COMP, "membership changed (incarnation %u): %u of our locks sent for "
		 "remastering", inc, lms.s_rb_replayed);
	lms.s_rb_expect = members & ~(1ull << (me - 1));
	lms.s_rebuilding = 1;
	rb_check();
}

static int lms_tick(struct member *m)
{
	struct sga_cluster *cl = sga_cluster(&m->m_sga);
	uint64_t now = rac_now_mono_ns();

	if (lms.s_done_due_ns && now >= lms.s_done_due_ns)
		send_done();
	/* LMON hands over at step 7 with the new membership published */
	if ((sga_load(&cl->cl_state) == CGS_STABLE ||
	     sga_load(&cl->cl_step) == RCFG_HANDOVER_GES) &&
	    (sga_load(&cl->cl_members) != lms.s_members ||
	     sga_load(&cl->cl_incarnation) != lms.s_inc))
		thaw(sga_load(&cl->cl_members));
	/* frozen from LMON's step 2 ("Global Resource Directory frozen") on */
	if (sga_load(&cl->cl_state) == CGS_RECONFIG && sga_load(&cl->cl_step) >= RCFG_FREEZE_LOCK_DB &&
	    sga_load(&cl->cl_step) < RCFG_HANDOVER_GES)
		freeze_begin();
	if (lease_stale(now) != lms.s_lease_stale) {
		const struct sga_cluster *c = sga_cluster(&m->m_sga);

		lms.s_lease_stale = !lms.s_lease_stale;
		if (lms.s_lease_stale)
			log_alert("LMS 0: LMON's voting-disk lease not renewed for %llu ms "
				  "(disktimeout_ms = %llu): no lock is granted until it is",
				  (unsigned long long)((now - sga_load(&c->cl_lease_ns)) / 1000000),
				  (unsigned long long)(c->cl_lease_len_ns / 1000000));
		else
			log_alert("LMS 0: LMON's voting-disk lease renewed: granting again");
	}
	if (lms.s_nfrozen && !frozen_now())
		replay_frozen();
	recovery_check();
	/* expiries and deadlock victims let others in: not while the lease is old */
	if (!lms.s_lease_stale && grd_next_deadline(lms.s_grd) &&
	    grd_next_deadline(lms.s_grd) <= now) {
		grd_expire(lms.s_grd, now);
		drain_events();
	}
	if (!lms.s_lease_stale)
		dl_tick(now);
	if (lms.s_fl && !frozen_now())
		fast_sweep(now);
	if (now >= lms.s_next_reap_ns) {
		reap_sessions();
		lms.s_next_reap_ns = now + 200000000ull;
	}
	park_due(now);
	out_flush_all();
	return 0;
}

static int lms_period(const struct member *m)
{
	(void)m;
	return LMS_TICK_MS;
}

/* a local connection spoke no ZMTP (or not as a DEALER): closed */
static void client_bad(void *arg, const char *why)
{
	(void)arg;
	sga_count(&lms.s_m->m_sga, CNT_MSG_BAD, 1);
	log_warn(COMP, "closed a client connection: %s", why);
}

static int lms_init(struct member *m, char *err, size_t errlen)
{
	char ep[RAC_PATH_MAX + 32];
	uint64_t id_base;

	lms.s_m = m;
	lms.s_cluster_id = rac_msg_cluster_id(m->m_cfg->cf_name);
	/* lock ids: master instance in the top byte, a start stamp in the next */
	id_base = ((uint64_t)m->m_inst << 56) | ((rac_now_us() / 1000000 & 0xff) << 48);
	lms.s_grd = grd_new(1024, id_base);
	lms.s_outq = calloc(OUTQ_N, sizeof(*lms.s_outq));
	{
		/* the lock cache's lease: a quarter of the shortest failure timeout */
		const struct rac_config *cf = m->m_cfg;
		int32_t t = cf->cf_misscount_ms < cf->cf_disktimeout_ms ? cf->cf_misscount_ms :
			    cf->cf_disktimeout_ms;

		lms.s_fl = sga_fast(&m->m_sga);
		if (fl_init(lms.s_fl, id_base, (uint64_t)t * 250000ull, cf->cf_lock_fast_path != 0)) {
			log_warn(COMP, "SGA lock cache unavailable: every lock goes through LMS");
			lms.s_fl = NULL;
		}
		if (lms.s_fl) {
			lms.s_fast_lease_ns = lms.s_fl->fa_lease_len_ns;
			fl_stamp(lms.s_fl, rac_now_mono_ns());
		}
	}
	if (!lms.s_grd || !lms.s_outq) {
		snprintf(err, errlen, "cannot make the lock table: out of memory");
		return -1;
	}
	if (member_bind_router(m, m->m_ic->ic_lms_ep, "LMS endpoint", err, errlen))
		return -1;
	lms.s_peer_item = m->m_nitems - 1;
	if (proc_lms_client_ep(m->m_ic->ic_local_dir, ep, sizeof(ep), lms.s_sock_path,
			       sizeof(lms.s_sock_path))) {
		snprintf(err, errlen, "the client socket path under %s is too long for a Unix "
			 "socket; use a shorter local_dir", m->m_ic->ic_local_dir);
		return -1;
	}
	unlink(lms.s_sock_path);	/* left by a crashed LMS */
	{
		/*
		 * Local clients: a ROUTER of our own, served in this thread (no
		 * libzmq I/O thread between a client and us).  Answers and events
		 * must not be dropped: a client pipelines, and a burst of grants
		 * can follow one release.  A deep queue per client, and a send
		 * that still fails (client gone, or stuck) is seen.
		 */
		struct zsrv_opts zo = { .zo_frame_max = RAC_MSG_MAX, .zo_tx_max = CLIENT_TX_MAX,
					.zo_on_bad = client_bad };

		if (m->m_nitems >= MEMBER_MAX_ITEMS) {
			snprintf(err, errlen, "too many sockets");
			return -1;
		}
		if (zsrv_open(&lms.s_zs, lms.s_sock_path, &zo)) {
			snprintf(err, errlen, "cannot bind client endpoint %s: %s", ep,
				 strerror(errno));
			return -1;
		}
		lms.s_client_item = m->m_nitems;
		m->m_items[m->m_nitems++] = (zmq_pollitem_t){ .socket = NULL,
							      .fd = zsrv_fd(lms.s_zs),
							      .events = ZMQ_POLLIN };
		log_info(COMP, "client endpoint %s bound", ep);
	}
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		const struct rac_inst_cfg *ic = config_inst(m->m_cfg, i);
		int hwm = PEER_HWM;
		void *s;

		if (!ic || i == m->m_inst)
			continue;
		s = member_socket(m, ZMQ_DEALER);
		if (!s)
			continue;
		zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
		if (zmq_connect(s, ic->ic_lms_ep)) {
			snprintf(err, errlen, "cannot connect to LMS of instance %d at %s: %s", i,
				 ic->ic_lms_ep, zmq_strerror(errno));
			zmq_close(s);
			return -1;
		}
		lms.s_peer[i] = s;
	}
	return 0;
}

static void lms_ready(struct member *m, int item)
{
	(void)m;
	serve(item);
	if (lms.s_npark)
		park_due(rac_now_mono_ns());
	out_flush_all();
}

static void lms_fini(struct member *m)
{
	(void)m;
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (lms.s_peer[i])
			zmq_close(lms.s_peer[i]);
	while (lms.s_frozen) {
		struct frozen *f = lms.s_frozen;

		lms.s_frozen = f->fr_next;
		free(f);
	}
	while (lms.s_inflight) {
		struct inflight *f = lms.s_inflight;

		lms.s_inflight = f->if_next;
		free(f);
	}
	grd_destroy(&lms.s_grd);
	free(lms.s_outq);
	rb_free(0, false);
	for (size_t i = 0; i < lms.s_sh_cap; i++)
		if (lms.s_sh[i].sh_lkid)
			sh_name_free(&lms.s_sh[i]);
	free(lms.s_sh);
	free(lms.s_dl_edges);
	zsrv_close(lms.s_zs);
	lms.s_zs = NULL;
	unlink(lms.s_sock_path);
}

static const struct member_ops lms_ops = {
	.mo_init = lms_init,
	.mo_period_ms = lms_period,
	.mo_tick = lms_tick,
	.mo_ready = lms_ready,
	.mo_fini = lms_fini,
};

int main(int argc, char **argv)
{
	return member_main(argc, argv, RAC_ROLE_LMS, &lms_ops);
}
