/*
 * client.h - inside the racrt client library (include/racrt.h is the
 * public side).  Not installed.
 *
 * Five files, one concern each:
 *
 *   conn.c    the socket: connecting and the handshake of ZeroMQ's wire
 *             protocol (spoken here, without libzmq), sending a request,
 *             receiving and decoding what LMS sends, seeing LMS go
 *   table.c   the bookkeeping: request slots (the request id names the
 *             slot), the locks of the handle by lock id, the outcomes and
 *             blocking notifications waiting to be delivered, the
 *             follow-up requests the client sends on its own
 *   req.c     a request's way: sending it (within the window), waiting
 *             for it, how a reply or event changes the tables, delivering
 *             outcomes and blocking notifications to the callbacks
 *   fast.c    the SGA lock cache: locks taken, waited for, read and
 *             released in the instance's SGA without asking LMS
 *   racrt.c   the API: the calls, synchronous and asynchronous, checking
 *             their arguments and making their requests, racrt_poll(),
 *             open/close, the words
 *
 * A request's life (one slot):
 *
 *   client: req_start -> SL_SENT -> LMS: MSG_LK_REQUEST
 *   LMS: MSG_LK_REPLY  status 0 / < 0     -> SL_DONE (outcome known)
 *                      status 1 (queued)  -> SL_QUEUED, lock.lo_pending = slot
 *   LMS: MSG_LK_EVENT  GRANTED / TIMEDOUT / DEADLOCK on lo_pending -> SL_DONE
 *   client: SL_DONE -> the synchronous caller takes it, or the outcome is
 *           delivered to the callback in order of completion -> SL_FREE
 *
 * A request the client stops waiting for (reply or grant late beyond its
 * bound, or the handle closing) is "abandoned": it keeps its slot until
 * the answer comes, and a lock granted to it is released at once.
 */
#ifndef RAC_CLIENT_H
#define RAC_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "procs.h"
#include "fastlock.h"
#include "msg.h"
#include "racrt.h"
#include "sga.h"

#define CL_REPLY_MS	5000	/* default bound on any one reply */
#define CL_SLOT_BITS	16
#define CL_MAX_SLOTS	(1u << CL_SLOT_BITS)	/* requests in flight per handle */
#define CL_MAX_BASTS	1024	/* blocking notifications awaiting delivery */
#define CL_EARLY	16	/* events kept that came before their reply */
/*
 * Requests awaiting their reply, at most.  LMS's ROUTER drops (silently)
 * what does not fit a client's outgoing pipe (1000 messages): a window well
 * below it leaves room for events, so a burst of pipelined requests cannot
 * lose its own replies.  A request beyond the window waits for replies.
 */
#define CL_WINDOW	512

/* request slot states */
enum {
	SL_FREE = 0,
	SL_NEW,		/* allocated, being sent */
	SL_SENT,	/* waiting for the reply */
	SL_QUEUED,	/* LMS queued it: waiting for the event */
	SL_DONE,	/* outcome in sl_res, not yet taken or delivered */
};

/* slot flags */
#define SLF_SYNC	0x1u	/* a synchronous caller waits for it */
#define SLF_ABANDONED	0x2u	/* nobody waits: finish quietly */
#define SLF_FASTOK	0x4u	/* sent with LK_FASTOK: LK_ST_FAST is an answer */

struct cl_slot {
	uint8_t sl_state;
	uint8_t sl_op;		/* LK_OP_* */
	uint8_t sl_flags;
	int8_t sl_mode;		/* mode asked for (LOCK, CONVERT) */
	uint16_t sl_gen;	/* request id = sl_gen << CL_SLOT_BITS | index */
	int32_t sl_next;	/* free list, or delivery list; -1 ends */
	uint64_t sl_lkid;	/* the lock (known once LMS named it) */
	uint64_t sl_sent_ns;	/* monotonic: when it was sent */
	uint64_t sl_done_seq;	/* delivery order */
	uint32_t sl_nowait;	/* r_nw_sent when it was sent */
	racrt_cb sl_cb;
	void *sl_arg;
	struct racrt_result sl_res;
};

/* a lock of the handle (held, converting, or waiting to be granted) */
struct cl_lock {
	uint64_t lo_lkid;	/* 0: empty cell */
	int32_t lo_pending;	/* slot of its pending LOCK/CONVERT, -1 none */
	int8_t lo_mode;		/* granted mode, RACRT_IV while waiting */
	uint8_t lo_releasing;	/* the client sent an unlock of its own */
	uint16_t lo_fslot;	/* in the SGA lock cache: its slot + 1; 0 not (any more) */
	uint8_t lo_fent;	/* ... and entry */
};

/* a blocking notification awaiting delivery */
struct cl_bast {
	uint64_t bn_lkid;
	uint64_t bn_seq;
	int8_t bn_mode;
};

/* an event whose lock had nothing pending when it came */
struct cl_early {
	struct msg_lk ea_lk;
	uint64_t ea_ns;		/* when it came; 0: empty */
};

/* a request the client sends on its own (releasing what it abandoned) */
struct cl_todo {
	uint64_t td_lkid;
	uint8_t td_op;		/* LK_OP_UNLOCK or LK_OP_CANCEL */
};

enum cl_state { CL_OPEN = 1, CL_LOST };

/* the ZMTP handshake (conn.c): LMS's greeting, then its READY */
enum cl_hs { HS_GREETING = 0, HS_READY, HS_DONE };

struct racrt {
	/* conn.c */
	int r_sock;		/* the socket to LMS (ZMTP, as a DEALER); -1 none */
	int r_hs;		/* enum cl_hs: where the handshake is */
	bool r_rx_skip;		/* in a message of several frames: dropping it */
	bool r_broken;		/* a send failed: LMS is gone */
	uint8_t *r_rx;		/* bytes received, not yet a whole frame */
	size_t r_rxlen;
	uint8_t *r_tx;		/* a frame the kernel has not taken all of */
	size_t r_txlen, r_txoff;
	uint64_t r_cluster;
	uint64_t r_seq;
	uint32_t r_pid;		/* lk_owner_pid */
	int r_state;		/* enum cl_state */
	int r_lost_rc;		/* why the handle ended: 0 RACRT_ECLOSED, or RACRT_EVERSION */
	int r_reply_ms;
	int r_epfd;		/* racrt_fd(), made on first use; -1 none */
	struct msg_bundle *r_out;	/* requests not sent yet (conn_send) */
	const struct conn_ops *r_ops;	/* where replies, events and the end go */
	void *r_ops_arg;
	/*
	 * Unlocks sent without a reply (racrt_unlock_nowait), and how many of
	 * them LMS is known to have taken: a reply to any later request says
	 * so.  racrt_close() makes sure of the rest with an LK_OP_SYNC before
	 * the socket (linger 0) goes.
	 */
	uint32_t r_nw_sent, r_nw_taken;

	/* table.c */
	struct cl_slot *r_slots;
	uint32_t r_nslots;	/* allocated */
	int32_t r_free;		/* free list head */
	uint32_t r_active;	/* slots not free */
	uint32_t r_nsent;	/* slots in SL_SENT (the window) */
	int32_t r_dhead, r_dtail;	/* outcomes to deliver, in order */
	uint64_t r_dseq;
	struct cl_lock *r_locks;	/* open addressing by lock id */
	uint32_t r_lcap, r_lcount;
	struct cl_bast *r_basts;	/* ring of CL_MAX_BASTS, made on first use */
	uint32_t r_bhead, r_blen;
	struct cl_early r_early[CL_EARLY];
	uint32_t r_early_next;
	struct cl_todo *r_todo;
	uint32_t r_ntodo, r_todocap;
	bool r_flushing;

	/*
	 * fast.c: the SGA lock cache (shm/fastlock.h): the instance's SGA, mapped when
	 * the handle was opened by configuration (same user as the instance),
	 * and our session id as LMS's answers name it.
	 */
	struct sga r_sga;
	struct fl_ctx r_fl;	/* fc_a NULL: not used */
	uint32_t r_session;

	/* req.c, racrt.c */
	unsigned r_depth;	/* > 0 while callbacks run: no nesting */
	racrt_blocking_cb r_bast_cb;
	void *r_bast_arg;
	struct racrt_stats r_st;
};

/* conn.c */
/*
 * What conn.c hands up, and to whom (req.c's cl_ops, given at conn_open):
 * every reply or event it decodes, and the end of the connection.
 */
struct conn_ops {
	void (*on_message)(void *arg, int type, const struct msg_lk *lk);
	void (*on_lost)(void *arg);	/* LMS is gone: once, after the last message */
};
int conn_open(struct racrt *r, const char *endpoint, const char *cluster_name,
	      const struct conn_ops *ops, void *arg);
void conn_close(struct racrt *r);
/*
 * Send one request, waiting (at most the reply bound) while LMS's queue is
 * full.  Requests go in bundles: while other requests await their reply
 * (r_nsent > 0), a request waits in r_out for the next conn_pump(), which
 * every wait for an answer goes through, so that a pipelining caller sends
 * one message per burst; otherwise, or with `now`, it goes at once.
 */
int conn_send(struct racrt *r, const struct msg_lk *lk, bool now);
/* send what waits in r_out, waiting (at most the reply bound) for room */
int conn_flush(struct racrt *r);
/*
 * Wait up to timeout_ms (-1: for ever) for input (and, with want_out, for
 * room to send), then receive everything there is: each decoded reply or
 * event goes to ops->on_message, a broken connection to ops->on_lost
 * (the conn_ops given to conn_open).  Returns 1
 * if there is room to send, else 0.
 */
int conn_pump(struct racrt *r, long timeout_ms, bool want_out);
int conn_fd(struct racrt *r);
/* the endpoint of instance ic's LMS for local clients */
int conn_lms_endpoint(const struct rac_inst_cfg *ic, char *buf, size_t len);

/* table.c */
int slot_alloc(struct racrt *r);
void slot_free(struct racrt *r, int idx);
int slot_req(const struct racrt *r, int idx);
int slot_by_req(const struct racrt *r, uint32_t req);	/* -1 if not in flight */
void slot_done_push(struct racrt *r, int idx);
int slot_done_pop(struct racrt *r);
struct cl_lock *lock_get(struct racrt *r, uint64_t lkid);
struct cl_lock *lock_add(struct racrt *r, uint64_t lkid);	/* NULL: no memory */
void lock_del(struct racrt *r, uint64_t lkid);
int bast_push(struct racrt *r, uint64_t lkid, int mode);
bool bast_peek(const struct racrt *r, struct cl_bast *bn);
void bast_pop(struct racrt *r);
void early_put(struct racrt *r, const struct msg_lk *lk);
bool early_take(struct racrt *r, uint64_t lkid, struct msg_lk *lk);
void todo_add(struct racrt *r, int op, uint64_t lkid);
void table_free(struct racrt *r);

/* req.c */
extern const struct conn_ops cl_ops;	/* what conn.c calls back, the handle as argument */
/* send the request in lk from a new slot; returns the slot or a negative code */
int req_start(struct racrt *r, struct msg_lk *lk, unsigned flags, racrt_cb cb, void *arg);
/* LMS queued the request in slot idx on lock lo: an event will finish it */
void req_queued(struct racrt *r, int idx, struct cl_lock *lo);
/* wait for the outcome of slot idx (its reply, then its event if queued) */
int req_wait(struct racrt *r, int idx, unsigned timeout_ms, struct racrt_result *res);
/* run the callbacks of what completed, in order; never nested */
int req_deliver(struct racrt *r);
/* send the requests the client owes of its own accord (abandoned locks) */
void flush_todo(struct racrt *r);
int call_sync_flags(struct racrt *r, struct msg_lk *lk, unsigned timeout_ms,
		    struct racrt_result *res, unsigned flags);
int call_sync(struct racrt *r, struct msg_lk *lk, unsigned timeout_ms,
	      struct racrt_result *res);
int call_async(struct racrt *r, struct msg_lk *lk, racrt_cb cb, void *arg);	/* request id */

/* fast.c */
/* internal answers of fast_lock(): ask LMS (with LK_FASTOK, or without) */
#define FAST_PASS	1
#define FAST_PASS_REVOKE	2
void fast_forget(struct racrt *r, uint64_t lkid);
void fast_release_all(struct racrt *r);
int fast_lock(struct racrt *r, const struct msg_lk *lk, struct racrt_result *res);
bool fast_usable(const struct racrt *r);
int fast_simple(struct racrt *r, int op, uint64_t lkid, const uint8_t *lvb_in,
		uint8_t *lvb_out, int *dubious);
void fast_attach(struct racrt *r, const struct rac_config *cfg, int inst);

/* racrt.c */
/* open on an instance of an already loaded configuration (racctl) */
racrt_t *client_open_cfg(const struct rac_config *cfg, int inst, int *err);

/* what a call on a handle that has ended returns */
static inline int cl_closed_rc(const struct racrt *r)
{
	return r->r_lost_rc ? r->r_lost_rc : RACRT_ECLOSED;
}

static inline bool mode_ok(int mode)
{
	return mode >= RACRT_NL && mode <= RACRT_EX;
}

static inline uint64_t ms_ns(unsigned ms)
{
	return (uint64_t)ms * 1000000ull;
}

static inline long ms_until(uint64_t deadline, uint64_t now)
{
	return deadline > now ? (long)((deadline - now + 999999) / 1000000ull) : 0;
}

#endif
