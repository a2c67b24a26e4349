/*
 * racrt.c - the client API (include/racrt.h), and how LMS's answers move
 * requests along (client.h draws a request's life).
 *
 * Every call, synchronous or not, is a slot and one MSG_LK_REQUEST.  A
 * synchronous call then waits on its slot (req_wait), receiving whatever
 * comes meanwhile and delivering other requests' outcomes to their
 * callbacks, unless it was itself called from a callback: callbacks never
 * nest (r_depth).
 *
 * Where a reply or event lands:
 *
 *   REPLY   -> the slot named by lk_req (on_reply): done, or queued on
 *              its lock (lo_pending)
 *   GRANTED / TIMEDOUT / DEADLOCK -> the slot pending on lk_lkid
 *              (on_done_event); if none is pending yet, the event is kept
 *              a while (early_put) in case its reply is still on the way
 *   BLOCKING -> the blocking callback, if the lock is still ours
 *
 * LMS sends no event when a pending request is cancelled (racrt_cancel,
 * or racrt_unlock of its lock): the successful cancel or unlock reply
 * completes it here, with RACRT_ECANCELED.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client.h"

/* the public numbers are the wire's (msg.h; lms/grd.h checks LMS's): nothing to translate */
#define SAME(a, b) _Static_assert((int)(a) == (int)(b), #a " == " #b)
SAME(RACRT_IV, LK_IV);
SAME(RACRT_NL, LK_NL);
SAME(RACRT_CR, LK_CR);
SAME(RACRT_CW, LK_CW);
SAME(RACRT_PR, LK_PR);
SAME(RACRT_PW, LK_PW);
SAME(RACRT_EX, LK_EX);
SAME(RACRT_NOQUEUE, LK_NOQUEUE);
SAME(RACRT_NAME_MAX, LK_NAME_MAX);
SAME(RACRT_LVB_LEN, LK_LVB_LEN);
SAME(RACRT_EUNKNOWN, LK_EUNKNOWN);
SAME(RACRT_EBADMODE, LK_EBADMODE);
SAME(RACRT_ENAMELEN, LK_ENAMELEN);
SAME(RACRT_EBADOWNER, LK_EBADOWNER);
SAME(RACRT_EBADFLAGS, LK_EBADFLAGS);
SAME(RACRT_ENOTGRANTED, LK_ENOTGRANTED);
SAME(RACRT_ENOTPENDING, LK_ENOTPENDING);
SAME(RACRT_ENOTQUEUED, LK_ENOTQUEUED);
SAME(RACRT_EDEADLK, LK_EDEADLK);
SAME(RACRT_ETIMEDOUT, LK_ETIMEDOUT);
SAME(RACRT_EIMPORT, LK_EIMPORT);
SAME(RACRT_OP_LOCK, LK_OP_LOCK);
SAME(RACRT_OP_CONVERT, LK_OP_CONVERT);
SAME(RACRT_OP_UNLOCK, LK_OP_UNLOCK);
SAME(RACRT_OP_CANCEL, LK_OP_CANCEL);
SAME(RACRT_OP_LVB_READ, LK_OP_LVB_READ);

static bool mode_ok(int mode)
{
	return mode >= RACRT_NL && mode <= RACRT_EX;
}

static uint64_t ms_ns(unsigned ms)
{
	return (uint64_t)ms * 1000000ull;
}

static long ms_until(uint64_t deadline, uint64_t now)
{
	return deadline > now ? (long)((deadline - now + 999999) / 1000000ull) : 0;
}

/* ---- the SGA lock cache ----------------------------------------------------- */

/* internal answers of fast_lock(): ask LMS (with LK_FASTOK, or without) */
#define FAST_PASS	1
#define FAST_PASS_REVOKE	2

static struct fl_where fast_where(const struct cl_lock *lo)
{
	return (struct fl_where){ .fw_slot = (uint16_t)(lo->lo_fslot - 1),
				  .fw_entry = lo->lo_fent, .fw_lkid = lo->lo_lkid };
}

/* the lock is (or is about to be) in LMS's table, not in the cache */
static void fast_forget(struct racrt *r, uint64_t lkid)
{
	struct cl_lock *lo = lock_get(r, lkid);

	if (lo)
		lo->lo_fslot = 0;
}

/* let go of every lock of the handle in the cache (closing, or LMS lost) */
static void fast_release_all(struct racrt *r)
{
	for (uint32_t i = 0; r->r_fl.fc_a && i < r->r_lcap; i++) {
		struct cl_lock *lo = &r->r_locks[i];
		struct fl_where w;
		uint8_t lvb[FL_LVB_LEN];
		bool dub;

		if (!lo->lo_lkid || !lo->lo_fslot)
			continue;
		w = fast_where(lo);
		lo->lo_fslot = 0;
		if (fl_unlock(&r->r_fl, &w, NULL) == 0 ||
		    fl_cancel(&r->r_fl, &w, lvb, &dub) == FL_CANCELLED)
			lo->lo_releasing = 1;	/* else LMS has it: released as any other */
	}
}

static void fast_count(struct racrt *r, enum sga_counter c)
{
	sga_count(&r->r_sga, c, 1);
}

/* ---- outcomes ------------------------------------------------------------- */

/*
 * The request in slot idx has its outcome.  The synchronous caller takes
 * it, a callback gets it in order, or (abandoned) it is dropped, giving
 * back a lock granted to nobody.
 */
static void finish(struct racrt *r, int idx, int status, int mode, const struct msg_lk *lk)
{
	struct cl_slot *s = &r->r_slots[idx];
	struct cl_lock *lo;

	s->sl_res = (struct racrt_result){
		.rr_req = slot_req(r, idx),
		.rr_op = s->sl_op,
		.rr_status = status,
		.rr_mode = mode,
		.rr_lkid = s->sl_lkid,
	};
	if (lk && status == 0) {
		memcpy(s->sl_res.rr_lvb, lk->lk_lvb, RACRT_LVB_LEN);
		s->sl_res.rr_dubious = lk->lk_dubious != 0;
	}
	if (s->sl_flags & SLF_ABANDONED) {
		if (s->sl_op == LK_OP_LOCK && status == 0 && (lo = lock_get(r, s->sl_lkid)) &&
		    !lo->lo_releasing) {
			lo->lo_releasing = 1;
			todo_add(r, LK_OP_UNLOCK, s->sl_lkid);
		}
		slot_free(r, idx);
	} else if (s->sl_flags & SLF_SYNC) {
		s->sl_state = SL_DONE;
	} else if (s->sl_cb) {
		slot_done_push(r, idx);
	} else {
		slot_free(r, idx);
	}
}

static int held_mode(struct racrt *r, uint64_t lkid)
{
	struct cl_lock *lo = lock_get(r, lkid);

	return lo ? lo->lo_mode : RACRT_IV;
}

/* a lock LMS no longer has: its pending request, if any, is cancelled */
static void lock_gone(struct racrt *r, uint64_t lkid)
{
	struct cl_lock *lo = lock_get(r, lkid);
	int pend;

	if (!lo)
		return;
	pend = lo->lo_pending;
	lock_del(r, lkid);
	if (pend >= 0)
		finish(r, pend, RACRT_ECANCELED, RACRT_IV, NULL);
}

/* LMS cancelled the request pending on lo */
static void pending_cancelled(struct racrt *r, struct cl_lock *lo)
{
	int pend = lo->lo_pending, mode = lo->lo_mode;

	lo->lo_pending = -1;
	if (r->r_slots[pend].sl_op == LK_OP_LOCK) {
		lock_del(r, lo->lo_lkid);	/* a new request: the lock is gone */
		mode = RACRT_IV;
	}
	finish(r, pend, RACRT_ECANCELED, mode, NULL);
}

static int map_status(struct racrt *r, int32_t st)
{
	if (st <= RACRT_EUNKNOWN && st >= RACRT_EIMPORT)
		return st;
	if (st == LK_ST_NOT_READY)
		return RACRT_ENOTREADY;
	if (st == LK_ENOMEM)
		return RACRT_ENOMEM;	/* the master's table is full */
	if (st == LK_EINVAL)
		return RACRT_EINVAL;
	r->r_st.rs_bad++;
	return RACRT_EPROTO;
}

static void on_done_event(struct racrt *r, const struct msg_lk *ev);

/* LMS queued the request in slot idx on lock lo: an event will finish it */
static void queued(struct racrt *r, int idx, struct cl_lock *lo)
{
	uint64_t lkid = lo->lo_lkid;
	struct msg_lk ev;

	if (lo->lo_pending >= 0 && lo->lo_pending != idx) {
		/* LMS never queues two requests on one lock */
		r->r_st.rs_bad++;
		finish(r, idx, RACRT_EPROTO, lo->lo_mode, NULL);
		return;
	}
	lo->lo_pending = idx;
	r->r_slots[idx].sl_state = SL_QUEUED;
	if (!early_take(r, lkid, &ev))
		return;
	/* an event that overtook its reply must fit the request */
	if (ev.lk_event == LK_EV_GRANTED && ev.lk_mode != r->r_slots[idx].sl_mode) {
		r->r_st.rs_stale++;
		return;
	}
	on_done_event(r, &ev);
}

/*
 * An unlock sent with racrt_unlock_nowait() failed.  Unknown to LMS: the
 * lock is gone anyway (it timed out, say).  Otherwise (LMS could not take
 * it) the lock may still be held: release it again, as a request of the
 * client's own.
 */
static void nowait_failed(struct racrt *r, const struct msg_lk *lk)
{
	r->r_st.rs_nowait_failed++;
	if (lk->lk_op == LK_OP_UNLOCK && lk->lk_status != LK_EUNKNOWN)
		todo_add(r, LK_OP_UNLOCK, lk->lk_lkid);
}

static void on_reply(struct racrt *r, const struct msg_lk *lk)
{
	int idx = slot_by_req(r, lk->lk_req), st;
	struct cl_slot *s;
	struct cl_lock *lo;

	if (lk->lk_flags & LK_NOREPLY) {
		if (lk->lk_status < 0)
			nowait_failed(r, lk);
		else
			r->r_st.rs_bad++;	/* LMS should have kept it */
		return;
	}
	if (idx < 0 || r->r_slots[idx].sl_state != SL_SENT) {
		r->r_st.rs_stale++;
		return;
	}
	r->r_st.rs_replies++;
	r->r_nsent--;
	if (lk->lk_owner_client)
		r->r_session = lk->lk_owner_client;	/* LMS's name for us */
	s = &r->r_slots[idx];
	if ((int32_t)(s->sl_nowait - r->r_nw_taken) > 0)
		r->r_nw_taken = s->sl_nowait;	/* LMS took every unlock sent before */
	st = lk->lk_status;
	if (st == LK_ST_FAST && (s->sl_flags & SLF_FASTOK)) {
		finish(r, idx, LK_ST_FAST, RACRT_IV, NULL);	/* racrt_lock asks the cache */
		return;
	}
	if (st == LK_ST_QUEUED && s->sl_op != LK_OP_LOCK && s->sl_op != LK_OP_CONVERT)
		st = INT32_MIN;	/* only those two can wait: nonsense */
	if (st != LK_ST_GRANTED && st != LK_ST_QUEUED) {
		st = map_status(r, st);
		if (s->sl_op == LK_OP_UNLOCK && st == RACRT_EUNKNOWN)
			lock_gone(r, s->sl_lkid);
		finish(r, idx, st, s->sl_op == LK_OP_LOCK ? RACRT_IV : held_mode(r, s->sl_lkid),
		       NULL);
		return;
	}

	switch (s->sl_op) {
	case LK_OP_LOCK:
		if (!lk->lk_lkid) {
			r->r_st.rs_bad++;
			finish(r, idx, RACRT_EPROTO, RACRT_IV, NULL);
			return;
		}
		s->sl_lkid = lk->lk_lkid;
		lo = lock_add(r, lk->lk_lkid);
		if (!lo) {
			/* cannot keep track of it: give it back */
			todo_add(r, LK_OP_UNLOCK, lk->lk_lkid);
			finish(r, idx, RACRT_ENOMEM, RACRT_IV, NULL);
			return;
		}
		if ((s->sl_flags & SLF_ABANDONED) && !lo->lo_releasing) {
			lo->lo_releasing = 1;	/* the unlock cancels it if it waits */
			todo_add(r, LK_OP_UNLOCK, lk->lk_lkid);
		}
		if (st == LK_ST_GRANTED) {
			lo->lo_mode = s->sl_mode;
			finish(r, idx, 0, s->sl_mode, lk);
		} else {
			queued(r, idx, lo);
		}
		return;

	case LK_OP_CONVERT:
		lo = lock_add(r, s->sl_lkid);
		if (!lo) {
			if (st == LK_ST_QUEUED)
				todo_add(r, LK_OP_CANCEL, s->sl_lkid);
			finish(r, idx, st == LK_ST_GRANTED ? 0 : RACRT_ENOMEM, RACRT_IV, lk);
			return;
		}
		if (st == LK_ST_GRANTED) {
			lo->lo_mode = s->sl_mode;
			finish(r, idx, 0, s->sl_mode, lk);
		} else {
			queued(r, idx, lo);
		}
		return;

	case LK_OP_UNLOCK:
		lock_gone(r, s->sl_lkid);
		finish(r, idx, 0, RACRT_IV, NULL);
		return;

	case LK_OP_CANCEL:
		lo = lock_get(r, s->sl_lkid);
		if (lo && lo->lo_pending >= 0)
			pending_cancelled(r, lo);
		finish(r, idx, 0, held_mode(r, s->sl_lkid), NULL);
		return;

	default:	/* LK_OP_LVB_READ */
		finish(r, idx, 0, held_mode(r, s->sl_lkid), lk);
		return;
	}
}

/* GRANTED, TIMEDOUT or DEADLOCK: the end of the request pending on lk_lkid */
static void on_done_event(struct racrt *r, const struct msg_lk *ev)
{
	struct cl_lock *lo = lock_get(r, ev->lk_lkid);
	struct cl_slot *s;
	int idx, status, mode;

	if (!lo || lo->lo_pending < 0) {
		early_put(r, ev);	/* its reply may not be here yet */
		return;
	}
	idx = lo->lo_pending;
	s = &r->r_slots[idx];
	if (ev->lk_event == LK_EV_GRANTED) {
		lo->lo_pending = -1;
		lo->lo_mode = s->sl_mode;
		finish(r, idx, 0, s->sl_mode, ev);
		return;
	}
	status = ev->lk_event == LK_EV_TIMEDOUT ? RACRT_ETIMEDOUT : RACRT_EDEADLK;
	lo->lo_pending = -1;
	if (s->sl_op == LK_OP_LOCK) {
		lock_del(r, ev->lk_lkid);	/* a failed new request leaves no lock */
		mode = RACRT_IV;
	} else {
		if (mode_ok(ev->lk_mode))
			lo->lo_mode = (int8_t)ev->lk_mode;
		mode = lo->lo_mode;	/* a failed conversion keeps the old mode */
	}
	finish(r, idx, status, mode, NULL);
}

static void on_blocking(struct racrt *r, const struct msg_lk *ev)
{
	struct cl_lock *lo = lock_get(r, ev->lk_lkid);

	if (!lo || lo->lo_releasing || !mode_ok(ev->lk_mode)) {
		r->r_st.rs_stale++;
		return;
	}
	if (!r->r_bast_cb || bast_push(r, ev->lk_lkid, ev->lk_mode))
		r->r_st.rs_basts_dropped++;
}

/* conn_ops.on_message: a reply or an event from LMS */
static void cl_receive(void *arg, int type, const struct msg_lk *lk)
{
	struct racrt *r = arg;

	if (type == MSG_LK_REPLY) {
		on_reply(r, lk);
		return;
	}
	r->r_st.rs_events++;
	switch (lk->lk_event) {
	case LK_EV_GRANTED:
	case LK_EV_TIMEDOUT:
	case LK_EV_DEADLOCK:
		on_done_event(r, lk);
		break;
	case LK_EV_BLOCKING:
		on_blocking(r, lk);
		break;
	default:
		r->r_st.rs_bad++;
		break;
	}
}

/* conn_ops.on_lost: LMS is gone and so is every lock of the handle. */
static void cl_lost(void *arg)
{
	struct racrt *r = arg;

	fast_release_all(r);
	r->r_state = CL_LOST;
	r->r_nsent = 0;
	for (uint32_t i = 0; i < r->r_nslots; i++)
		if (r->r_slots[i].sl_state == SL_SENT || r->r_slots[i].sl_state == SL_QUEUED)
			finish(r, (int)i, cl_closed_rc(r), RACRT_IV, NULL);
	if (r->r_locks)
		memset(r->r_locks, 0, r->r_lcap * sizeof(*r->r_locks));
	r->r_lcount = 0;
	r->r_ntodo = 0;
	r->r_blen = 0;
	memset(r->r_early, 0, sizeof(r->r_early));
}

/* what conn.c calls back, with the handle as its argument */
static const struct conn_ops cl_ops = { .on_message = cl_receive, .on_lost = cl_lost };

/* ---- sending, waiting, delivering ------------------------------------------------ */

/*
 * The window is full: receive (delivering nothing) until a reply frees a
 * place, at most the reply bound.
 */
static int window_wait(struct racrt *r)
{
	uint64_t deadline = rac_now_mono_ns() + ms_ns((unsigned)r->r_reply_ms);

	while (r->r_nsent >= CL_WINDOW) {
		uint64_t now = rac_now_mono_ns();

		if (r->r_state != CL_OPEN)
			return cl_closed_rc(r);
		if (now >= deadline)
			return RACRT_ENOREPLY;
		conn_pump(r, ms_until(deadline, now), false);
	}
	return r->r_state == CL_OPEN ? 0 : cl_closed_rc(r);
}

/* send the request in lk from a new slot; returns the slot or a negative code */
static int req_start(struct racrt *r, struct msg_lk *lk, unsigned flags, racrt_cb cb, void *arg)
{
	struct cl_slot *s;
	int idx, rc;

	if (r->r_state != CL_OPEN)
		return cl_closed_rc(r);
	if (r->r_nsent >= CL_WINDOW && (rc = window_wait(r)) != 0)
		return rc;
	if (lk->lk_op != LK_OP_LOCK && lk->lk_lkid)
		fast_forget(r, lk->lk_lkid);	/* LMS takes it out of the cache first */
	idx = slot_alloc(r);
	if (idx < 0)
		return idx;
	s = &r->r_slots[idx];
	s->sl_op = (uint8_t)lk->lk_op;
	s->sl_flags = (uint8_t)flags;
	s->sl_mode = (int8_t)(lk->lk_op == LK_OP_LOCK || lk->lk_op == LK_OP_CONVERT ?
			      lk->lk_mode : RACRT_IV);
	s->sl_lkid = lk->lk_lkid;
	s->sl_cb = cb;
	s->sl_arg = arg;
	lk->lk_req = (uint32_t)slot_req(r, idx);
	lk->lk_owner_pid = r->r_pid;
	s->sl_nowait = r->r_nw_sent;
	rc = conn_send(r, lk, false);
	if (rc) {
		slot_free(r, idx);
		return rc;
	}
	s = &r->r_slots[idx];
	s->sl_state = SL_SENT;
	s->sl_sent_ns = rac_now_mono_ns();
	r->r_nsent++;
	return idx;
}

/* send the requests the client owes of its own accord (abandoned locks) */
static void flush_todo(struct racrt *r)
{
	if (r->r_flushing)
		return;
	r->r_flushing = true;
	while (r->r_ntodo && r->r_state == CL_OPEN) {
		struct cl_todo td = r->r_todo[--r->r_ntodo];
		struct msg_lk lk = { .lk_op = td.td_op, .lk_lkid = td.td_lkid };
		int rc = req_start(r, &lk, SLF_ABANDONED, NULL, NULL);

		if (rc == RACRT_EAGAIN || rc == RACRT_ENOREPLY) {
			todo_add(r, td.td_op, td.td_lkid);	/* later */
			break;
		}
	}
	r->r_flushing = false;
}

/* run the callbacks of what completed, in order; never nested */
static int deliver(struct racrt *r)
{
	int n = 0;

	if (r->r_depth)
		return 0;
	r->r_depth++;
	for (;;) {
		struct cl_bast bn;
		bool have_bast = bast_peek(r, &bn);
		int idx = r->r_dhead;

		if (idx < 0 && !have_bast)
			break;
		if (idx >= 0 && (!have_bast || r->r_slots[idx].sl_done_seq < bn.bn_seq)) {
			struct racrt_result res = r->r_slots[idx].sl_res;
			racrt_cb cb = r->r_slots[idx].sl_cb;
			void *arg = r->r_slots[idx].sl_arg;

			slot_done_pop(r);
			slot_free(r, idx);	/* before: the callback may start requests */
			cb(r, &res, arg);
			n++;
		} else {
			struct cl_lock *lo = lock_get(r, bn.bn_lkid);

			bast_pop(r);
			if (lo && !lo->lo_releasing && r->r_bast_cb) {
				r->r_bast_cb(r, bn.bn_lkid, bn.bn_mode, r->r_bast_arg);
				n++;
			} else {
				r->r_st.rs_basts_dropped++;
			}
		}
	}
	r->r_depth--;
	return n;
}

/* a synchronous caller stops waiting for slot idx */
static void abandon(struct racrt *r, int idx)
{
	struct cl_slot *s = &r->r_slots[idx];
	struct cl_lock *lo;

	s->sl_flags = (uint8_t)((s->sl_flags & ~SLF_SYNC) | SLF_ABANDONED);
	r->r_st.rs_abandoned++;
	if (s->sl_state != SL_QUEUED)
		return;	/* no reply yet: on_reply gives back what it brings */
	if (s->sl_op == LK_OP_LOCK) {
		lo = lock_get(r, s->sl_lkid);
		if (lo && !lo->lo_releasing) {
			lo->lo_releasing = 1;
			todo_add(r, LK_OP_UNLOCK, s->sl_lkid);
		}
	} else {
		todo_add(r, LK_OP_CANCEL, s->sl_lkid);
	}
	flush_todo(r);
}

/*
 * Wait for the outcome of slot idx: the reply within the reply bound,
 * then (queued) the event within timeout_ms plus the reply bound, or for
 * ever when timeout_ms is 0.
 */
static int req_wait(struct racrt *r, int idx, unsigned timeout_ms, struct racrt_result *res)
{
	uint64_t reply_ns = ms_ns((unsigned)r->r_reply_ms);

	for (;;) {
		struct cl_slot *s = &r->r_slots[idx];
		uint64_t now = rac_now_mono_ns(), deadline = 0;
		int fail = 0;

		if (s->sl_state == SL_DONE) {
			*res = s->sl_res;
			slot_free(r, idx);
			return res->rr_status;
		}
		if (s->sl_state == SL_SENT) {
			deadline = s->sl_sent_ns + reply_ns;
			fail = RACRT_ENOREPLY;
		} else if (timeout_ms) {
			deadline = s->sl_sent_ns + ms_ns(timeout_ms) + reply_ns;
			fail = RACRT_ETIMEDOUT;	/* LMS should have said so by now */
		}
		if (deadline && now >= deadline) {
			abandon(r, idx);
			return fail;
		}
		conn_pump(r, deadline ? ms_until(deadline, now) : -1, false);
		deliver(r);
		flush_todo(r);
	}
}

static int call_sync_flags(struct racrt *r, struct msg_lk *lk, unsigned timeout_ms,
			   struct racrt_result *res, unsigned flags)
{
	int idx = req_start(r, lk, SLF_SYNC | flags, NULL, NULL);

	if (idx < 0)
		return idx;
	return req_wait(r, idx, timeout_ms, res);
}

static int call_sync(struct racrt *r, struct msg_lk *lk, unsigned timeout_ms,
		     struct racrt_result *res)
{
	return call_sync_flags(r, lk, timeout_ms, res, 0);
}

static int call_async(struct racrt *r, struct msg_lk *lk, racrt_cb cb, void *arg)
{
	int idx = req_start(r, lk, 0, cb, arg);

	return idx < 0 ? idx : slot_req(r, idx);
}

static void give_lvb(const struct racrt_result *res, uint8_t *lvb_out, int *dubious)
{
	if (lvb_out)
		memcpy(lvb_out, res->rr_lvb, RACRT_LVB_LEN);
	if (dubious)
		*dubious = res->rr_dubious;
}

/* ---- requests -------------------------------------------------------------------- */

static int make_lock(struct msg_lk *lk, const void *name, size_t namelen, int mode,
		     unsigned flags, unsigned timeout_ms)
{
	if (!name || namelen == 0 || namelen > RACRT_NAME_MAX)
		return RACRT_ENAMELEN;
	if (!mode_ok(mode))
		return RACRT_EBADMODE;
	if (flags & ~RACRT_NOQUEUE)
		return RACRT_EBADFLAGS;
	memset(lk, 0, sizeof(*lk));
	lk->lk_op = LK_OP_LOCK;
	lk->lk_mode = mode;
	lk->lk_flags = flags;
	lk->lk_timeout_ms = timeout_ms;
	lk->lk_namelen = (uint16_t)namelen;
	memcpy(lk->lk_name, name, namelen);
	return 0;
}

static int make_convert(struct msg_lk *lk, uint64_t lkid, int mode, unsigned flags,
			unsigned timeout_ms, const uint8_t *lvb_in)
{
	if (!mode_ok(mode))
		return RACRT_EBADMODE;
	if (flags & ~RACRT_NOQUEUE)
		return RACRT_EBADFLAGS;
	memset(lk, 0, sizeof(*lk));
	lk->lk_op = LK_OP_CONVERT;
	lk->lk_lkid = lkid;
	lk->lk_mode = mode;
	lk->lk_flags = flags;
	lk->lk_timeout_ms = timeout_ms;
	if (lvb_in) {
		lk->lk_has_lvb = 1;
		memcpy(lk->lk_lvb, lvb_in, RACRT_LVB_LEN);
	}
	return 0;
}

static void make_simple(struct msg_lk *lk, int op, uint64_t lkid, const uint8_t *lvb_in)
{
	memset(lk, 0, sizeof(*lk));
	lk->lk_op = (uint32_t)op;
	lk->lk_lkid = lkid;
	lk->lk_mode = RACRT_IV;
	if (lvb_in) {
		lk->lk_has_lvb = 1;
		memcpy(lk->lk_lvb, lvb_in, RACRT_LVB_LEN);
	}
}

/*
 * A lock of the cache that LMS took back while we waited for it: it waits
 * in LMS's table now, under the same id.  Wait for it there, as if LMS had
 * queued it, from the moment we asked (timeout_ms counts from then).
 */
static int fast_moved(struct racrt *r, uint64_t lkid, int mode, uint64_t asked_ns,
		      unsigned timeout_ms, struct racrt_result *res)
{
	struct cl_lock *lo = lock_get(r, lkid);
	int idx = slot_alloc(r);

	if (idx < 0 || !lo) {
		if (idx >= 0)
			slot_free(r, idx);
		todo_add(r, LK_OP_UNLOCK, lkid);	/* cannot follow it: give it up */
		flush_todo(r);
		return idx < 0 ? idx : RACRT_ENOMEM;
	}
	r->r_slots[idx].sl_op = LK_OP_LOCK;
	r->r_slots[idx].sl_flags = SLF_SYNC;
	r->r_slots[idx].sl_mode = (int8_t)mode;
	r->r_slots[idx].sl_lkid = lkid;
	r->r_slots[idx].sl_sent_ns = asked_ns;
	lo->lo_fslot = 0;
	queued(r, idx, lo);
	return req_wait(r, idx, timeout_ms, res);
}

/*
 * A lock through the cache: FAST_PASS or FAST_PASS_REVOKE when LMS must
 * serve it, else the outcome, as racrt_lock's (res filled on success).
 */
static int fast_lock(struct racrt *r, const struct msg_lk *lk, struct racrt_result *res)
{
	uint64_t asked = rac_now_mono_ns();
	struct fl_req rq = { .fr_name = lk->lk_name, .fr_namelen = lk->lk_namelen,
			     .fr_mode = lk->lk_mode, .fr_noqueue = (lk->lk_flags & LK_NOQUEUE) != 0,
			     .fr_deadline_ns = lk->lk_timeout_ms ?
					       asked + ms_ns(lk->lk_timeout_ms) : 0,
			     .fr_session = r->r_session, .fr_pid = (int32_t)r->r_pid };
	struct fl_where w;
	struct cl_lock *lo;
	bool dub = false;
	int rc = fl_lock(&r->r_fl, &rq, &w, res->rr_lvb, &dub);

	switch (rc) {
	case FL_PASS:
		return FAST_PASS;
	case FL_GRANTED:
	case FL_QUEUED:
		break;
	case FL_BUSY:
		fast_count(r, CNT_GES_REQUESTS);
		fast_count(r, CNT_GES_FAST_REQUESTS);
		return RACRT_ENOTQUEUED;
	default:
		return FAST_PASS_REVOKE;
	}
	fast_count(r, CNT_GES_REQUESTS);
	fast_count(r, CNT_GES_FAST_REQUESTS);
	lo = lock_add(r, w.fw_lkid);
	if (!lo) {
		if (fl_unlock(&r->r_fl, &w, NULL) == FL_MOVED &&
		    fl_cancel(&r->r_fl, &w, res->rr_lvb, &dub) == FL_GRANTED)
			fl_unlock(&r->r_fl, &w, NULL);
		return RACRT_ENOMEM;
	}
	lo->lo_fslot = (uint16_t)(w.fw_slot + 1);
	lo->lo_fent = w.fw_entry;
	while (rc == FL_QUEUED) {
		uint64_t now = rac_now_mono_ns(), until = now + 20000000ull;

		if (rq.fr_deadline_ns && rq.fr_deadline_ns < until)
			until = rq.fr_deadline_ns;
		rc = fl_wait(&r->r_fl, &w, until, res->rr_lvb, &dub);
		if (rc == FL_STILL) {
			/* keep up with LMS meanwhile: answers and events for other requests */
			conn_pump(r, 0, false);
			deliver(r);
			flush_todo(r);
			if (r->r_state != CL_OPEN) {
				rc = fl_cancel(&r->r_fl, &w, res->rr_lvb, &dub);
				if (rc == FL_GRANTED)
					fl_unlock(&r->r_fl, &w, NULL);
				lock_del(r, w.fw_lkid);
				return cl_closed_rc(r);
			}
			if (rq.fr_deadline_ns && rac_now_mono_ns() >= rq.fr_deadline_ns) {
				rc = fl_cancel(&r->r_fl, &w, res->rr_lvb, &dub);
				if (rc == FL_CANCELLED) {
					lock_del(r, w.fw_lkid);
					return RACRT_ETIMEDOUT;
				}
			} else {
				rc = FL_QUEUED;
			}
		}
		if (rc == FL_MOVED)
			return fast_moved(r, w.fw_lkid, lk->lk_mode, asked, lk->lk_timeout_ms, res);
	}
	lo = lock_get(r, w.fw_lkid);
	if (lo)
		lo->lo_mode = (int8_t)lk->lk_mode;
	fast_count(r, CNT_GES_GRANTS);
	res->rr_status = 0;
	res->rr_lkid = w.fw_lkid;
	res->rr_mode = lk->lk_mode;
	res->rr_dubious = dub;
	return 0;
}

/* may this lock go through the cache? */
static bool fast_usable(const struct racrt *r)
{
	return r->r_fl.fc_a && !r->r_bast_cb && r->r_state == CL_OPEN;
}

int racrt_lock(racrt_t *r, const void *name, size_t namelen, int mode, unsigned flags,
	       unsigned timeout_ms, uint64_t *lkid, uint8_t lvb_out[RACRT_LVB_LEN], int *dubious)
{
	struct racrt_result res;
	struct msg_lk lk;
	int rc;

	if (!r || !lkid)
		return RACRT_EINVAL;
	rc = make_lock(&lk, name, namelen, mode, flags, timeout_ms);
	/*
	 * Through the SGA lock cache when LMS has the resource there; else LMS
	 * serves it, and may put it there (LK_ST_FAST: ask the cache again).
	 * Twice at most, then LMS decides alone.
	 */
	for (int tries = 0; rc == 0; tries++) {
		unsigned sf = 0;

		memset(&res, 0, sizeof(res));
		if (fast_usable(r) && tries < 3) {
			if (r->r_session) {
				rc = fast_lock(r, &lk, &res);
				if (rc != FAST_PASS && rc != FAST_PASS_REVOKE)
					break;
			} else {
				rc = FAST_PASS;	/* LMS's first answer names our session */
			}
			if (rc == FAST_PASS && tries < 2)
				sf = SLF_FASTOK;
		}
		lk.lk_flags = (lk.lk_flags & ~LK_FASTOK) | (sf ? LK_FASTOK : 0);
		rc = call_sync_flags(r, &lk, timeout_ms, &res, sf);
		if (rc != LK_ST_FAST)
			break;
		rc = 0;
	}
	if (rc == 0) {
		*lkid = res.rr_lkid;
		give_lvb(&res, lvb_out, dubious);
	}
	return rc;
}

int racrt_convert(racrt_t *r, uint64_t lkid, int mode, unsigned flags, unsigned timeout_ms,
		  const uint8_t *lvb_in, uint8_t *lvb_out, int *dubious)
{
	struct racrt_result res;
	struct msg_lk lk;
	int rc;

	if (!r || !lkid)
		return RACRT_EINVAL;
	rc = make_convert(&lk, lkid, mode, flags, timeout_ms, lvb_in);
	if (rc == 0)
		rc = call_sync(r, &lk, timeout_ms, &res);
	if (rc == 0)
		give_lvb(&res, lvb_out, dubious);
	return rc;
}

static int simple_sync(racrt_t *r, int op, uint64_t lkid, const uint8_t *lvb_in,
		       uint8_t *lvb_out, int *dubious)
{
	struct racrt_result res;
	struct msg_lk lk;
	int rc;

	if (!r || !lkid)
		return RACRT_EINVAL;
	make_simple(&lk, op, lkid, lvb_in);
	rc = call_sync(r, &lk, 0, &res);
	if (rc == 0)
		give_lvb(&res, lvb_out, dubious);
	return rc;
}

/*
 * Release (or read the value block of) a granted lock of the cache there:
 * 0 done, 1 not in the cache (any more): ask LMS.
 */
static int fast_simple(struct racrt *r, int op, uint64_t lkid, const uint8_t *lvb_in,
		       uint8_t *lvb_out, int *dubious)
{
	struct cl_lock *lo = r && lkid ? lock_get(r, lkid) : NULL;
	struct fl_where w;
	uint8_t lvb[FL_LVB_LEN];
	bool dub;

	if (!lo || !lo->lo_fslot || lo->lo_pending >= 0 || lo->lo_releasing ||
	    r->r_state != CL_OPEN)
		return 1;
	w = fast_where(lo);
	if (op == LK_OP_UNLOCK && fl_unlock(&r->r_fl, &w, lvb_in) == 0) {
		lock_del(r, lkid);
		return 0;
	}
	if (op == LK_OP_LVB_READ && fl_lvb_read(&r->r_fl, &w, lvb, &dub) == 0) {
		if (lvb_out)
			memcpy(lvb_out, lvb, RACRT_LVB_LEN);
		if (dubious)
			*dubious = dub;
		return 0;
	}
	lo->lo_fslot = 0;	/* moved: LMS has it */
	return 1;
}

int racrt_unlock(racrt_t *r, uint64_t lkid, const uint8_t *lvb_in)
{
	if (fast_simple(r, LK_OP_UNLOCK, lkid, lvb_in, NULL, NULL) == 0)
		return 0;
	return simple_sync(r, LK_OP_UNLOCK, lkid, lvb_in, NULL, NULL);
}

int racrt_unlock_nowait(racrt_t *r, uint64_t lkid, const uint8_t *lvb_in)
{
	struct cl_lock *lo;
	struct msg_lk lk;
	int rc;

	if (!r || !lkid)
		return RACRT_EINVAL;
	if (r->r_state != CL_OPEN)
		return cl_closed_rc(r);
	if (fast_simple(r, LK_OP_UNLOCK, lkid, lvb_in, NULL, NULL) == 0)
		return 0;
	lo = lock_get(r, lkid);
	if (!lo || lo->lo_releasing)
		return RACRT_EUNKNOWN;
	if (lo->lo_pending >= 0)	/* a request to cancel with it: wait for it all */
		return racrt_unlock(r, lkid, lvb_in);
	/* what waits goes first, so that a failure below leaves ours queued */
	if ((rc = conn_flush(r)) != 0)
		return rc;
	make_simple(&lk, LK_OP_UNLOCK, lkid, lvb_in);
	lk.lk_flags = LK_NOREPLY;
	lk.lk_owner_pid = r->r_pid;
	rc = conn_send(r, &lk, true);
	if (rc && rc != RACRT_ENOREPLY)
		return rc;	/* not sent, nor queued */
	r->r_nw_sent++;	/* sent, or queued for the next call that sends */
	lock_del(r, lkid);
	return rc;
}

int racrt_cancel(racrt_t *r, uint64_t lkid)
{
	return simple_sync(r, LK_OP_CANCEL, lkid, NULL, NULL, NULL);
}

int racrt_lvb_read(racrt_t *r, uint64_t lkid, uint8_t lvb_out[RACRT_LVB_LEN], int *dubious)
{
	if (fast_simple(r, LK_OP_LVB_READ, lkid, NULL, lvb_out, dubious) == 0)
		return 0;
	return simple_sync(r, LK_OP_LVB_READ, lkid, NULL, lvb_out, dubious);
}

int racrt_lock_async(racrt_t *r, const void *name, size_t namelen, int mode, unsigned flags,
		     unsigned timeout_ms, racrt_cb cb, void *arg)
{
	struct msg_lk lk;
	int rc;

	if (!r)
		return RACRT_EINVAL;
	rc = make_lock(&lk, name, namelen, mode, flags, timeout_ms);
	return rc ? rc : call_async(r, &lk, cb, arg);
}

int racrt_convert_async(racrt_t *r, uint64_t lkid, int mode, unsigned flags,
			unsigned timeout_ms, const uint8_t *lvb_in, racrt_cb cb, void *arg)
{
	struct msg_lk lk;
	int rc;

	if (!r || !lkid)
		return RACRT_EINVAL;
	rc = make_convert(&lk, lkid, mode, flags, timeout_ms, lvb_in);
	return rc ? rc : call_async(r, &lk, cb, arg);
}

static int simple_async(racrt_t *r, int op, uint64_t lkid, const uint8_t *lvb_in, racrt_cb cb,
			void *arg)
{
	struct msg_lk lk;

	if (!r || !lkid)
		return RACRT_EINVAL;
	make_simple(&lk, op, lkid, lvb_in);
	return call_async(r, &lk, cb, arg);
}

int racrt_unlock_async(racrt_t *r, uint64_t lkid, const uint8_t *lvb_in, racrt_cb cb, void *arg)
{
	return simple_async(r, LK_OP_UNLOCK, lkid, lvb_in, cb, arg);
}

int racrt_cancel_async(racrt_t *r, uint64_t lkid, racrt_cb cb, void *arg)
{
	return simple_async(r, LK_OP_CANCEL, lkid, NULL, cb, arg);
}

int racrt_lvb_read_async(racrt_t *r, uint64_t lkid, racrt_cb cb, void *arg)
{
	return simple_async(r, LK_OP_LVB_READ, lkid, NULL, cb, arg);
}

int racrt_request_lkid(racrt_t *r, int req, uint64_t *lkid)
{
	int idx;

	if (!r || !lkid || req <= 0)
		return RACRT_EINVAL;
	idx = slot_by_req(r, (uint32_t)req);
	if (idx < 0 || r->r_slots[idx].sl_op != LK_OP_LOCK ||
	    (r->r_slots[idx].sl_flags & SLF_ABANDONED))
		return RACRT_EINVAL;
	if (!r->r_slots[idx].sl_lkid)
		return RACRT_EAGAIN;
	*lkid = r->r_slots[idx].sl_lkid;
	return 0;
}

int racrt_poll(racrt_t *r, int timeout_ms)
{
	uint64_t deadline;
	long wait = 0;

	if (!r)
		return RACRT_EINVAL;
	if (r->r_depth) {
		conn_pump(r, 0, false);	/* from a callback: receive, deliver later */
		return 0;
	}
	deadline = rac_now_mono_ns() + (timeout_ms > 0 ? ms_ns((unsigned)timeout_ms) : 0);
	for (;;) {
		uint64_t now;
		int n;

		conn_pump(r, wait, false);
		flush_todo(r);
		n = deliver(r);
		if (n)
			return n;
		if (r->r_state != CL_OPEN)
			return cl_closed_rc(r);
		if (timeout_ms == 0)
			return 0;
		now = rac_now_mono_ns();
		if (timeout_ms > 0 && now >= deadline)
			return 0;
		wait = timeout_ms < 0 ? -1 : ms_until(deadline, now);
	}
}

int racrt_fd(racrt_t *r)
{
	return r ? conn_fd(r) : RACRT_EINVAL;
}

void racrt_on_blocking(racrt_t *r, racrt_blocking_cb cb, void *arg)
{
	if (!r)
		return;
	r->r_bast_cb = cb;
	r->r_bast_arg = arg;
	/*
	 * Waiters in the SGA lock cache notify nobody: locks the handle holds
	 * there go to LMS's table, where they will be told (asking LMS about a
	 * lock of the cache makes LMS take its resource back).
	 */
	for (uint32_t i = 0; cb && i < r->r_lcap; i++) {
		struct cl_lock *lo = &r->r_locks[i];
		uint8_t lvb[RACRT_LVB_LEN];
		int dub;

		if (lo->lo_lkid && lo->lo_fslot && !lo->lo_releasing && lo->lo_pending < 0) {
			lo->lo_fslot = 0;
			simple_sync(r, LK_OP_LVB_READ, lo->lo_lkid, NULL, lvb, &dub);
			i = UINT32_MAX;	/* the table may have moved: from the start */
		}
	}
}

void racrt_set_reply_timeout(racrt_t *r, int ms)
{
	if (r)
		r->r_reply_ms = ms > 0 ? ms : CL_REPLY_MS;
}

void racrt_get_stats(const racrt_t *r, struct racrt_stats *st)
{
	if (!r || !st)
		return;
	*st = r->r_st;
	st->rs_inflight = 0;
	for (uint32_t i = 0; i < r->r_nslots; i++)
		if (r->r_slots[i].sl_state == SL_SENT || r->r_slots[i].sl_state == SL_QUEUED)
			st->rs_inflight++;
	st->rs_locks = r->r_lcount;
}

/* ---- handles ----------------------------------------------------------------------- */

racrt_t *racrt_open_endpoint(const char *endpoint, const char *cluster_name, int *err)
{
	struct racrt *r;
	int rc;

	if (!endpoint || !cluster_name) {
		if (err)
			*err = RACRT_EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		if (err)
			*err = RACRT_ENOMEM;
		return NULL;
	}
	r->r_free = r->r_dhead = r->r_dtail = -1;
	r->r_epfd = -1;
	r->r_reply_ms = CL_REPLY_MS;
	r->r_pid = (uint32_t)getpid();	/* a handle does not cross fork() */
	rc = conn_open(r, endpoint, cluster_name, &cl_ops, r);
	if (rc) {
		conn_close(r);
		free(r);
		if (err)
			*err = rc;
		return NULL;
	}
	r->r_state = CL_OPEN;
	if (err)
		*err = 0;
	return r;
}

/*
 * Map the instance's SGA for the lock cache.  Anything amiss (another
 * user's instance, another layout, RACRT_FAST_PATH=0 in the environment)
 * leaves the handle without it: every lock then goes through LMS.
 */
static void fast_attach(struct racrt *r, const struct rac_config *cfg, int inst)
{
	const char *env = getenv("RACRT_FAST_PATH");
	char name[128];

	if (env && !strcmp(env, "0"))
		return;
	config_sga_name(cfg, inst, name, sizeof(name));
	if (sga_attach(name, 1, &r->r_sga))
		return;
	if (sga_validate(&r->r_sga)) {
		sga_detach(&r->r_sga);
		return;
	}
	r->r_fl.fc_a = sga_fast(&r->r_sga);
	r->r_fl.fc_inst_state = &sga_hdr(&r->r_sga)->sh_state;
	r->r_fl.fc_cl_state = &sga_cluster(&r->r_sga)->cl_state;
}

racrt_t *client_open_cfg(const struct rac_config *cfg, int inst, int *err)
{
	const struct rac_inst_cfg *ic = config_inst(cfg, inst);
	char ep[RAC_PATH_MAX + 32];	/* "ipc://<local_dir>/lms.sock" */
	racrt_t *r;
	int rc;

	rc = ic ? conn_lms_endpoint(ic, ep, sizeof(ep)) : RACRT_ECONFIG;
	if (rc) {
		if (err)
			*err = rc;
		return NULL;
	}
	r = racrt_open_endpoint(ep, cfg->cf_name, err);
	if (r)
		fast_attach(r, cfg, inst);
	return r;
}

racrt_t *racrt_open(const char *config_path, int instance, int *err)
{
	struct rac_config *cfg = calloc(1, sizeof(*cfg));
	char why[1024];
	racrt_t *r = NULL;

	if (!cfg) {
		if (err)
			*err = RACRT_ENOMEM;
		return NULL;
	}
	if (config_load(config_path, cfg, why, sizeof(why))) {
		if (err)
			*err = RACRT_ECONFIG;
	} else {
		r = client_open_cfg(cfg, instance, err);
	}
	free(cfg);
	return r;
}

void racrt_close(racrt_t **rp)
{
	struct racrt *r = rp ? *rp : NULL;
	int idx;

	if (!r)
		return;
	*rp = NULL;
	r->r_depth++;	/* no callback runs from here on */
	while ((idx = slot_done_pop(r)) >= 0)
		slot_free(r, idx);
	r->r_blen = 0;
	if (r->r_state == CL_OPEN) {
		uint64_t deadline = rac_now_mono_ns() + ms_ns((unsigned)r->r_reply_ms);

		/* abandon what is in flight, give back every lock, await the replies */
		for (uint32_t i = 0; i < r->r_nslots; i++)
			if (r->r_slots[i].sl_state != SL_FREE)
				r->r_slots[i].sl_flags = SLF_ABANDONED;
		fast_release_all(r);
		for (uint32_t i = 0; i < r->r_lcap; i++) {
			struct cl_lock *lo = &r->r_locks[i];

			if (lo->lo_lkid && !lo->lo_releasing) {
				lo->lo_releasing = 1;
				todo_add(r, LK_OP_UNLOCK, lo->lo_lkid);
			}
		}
		if (r->r_nw_taken != r->r_nw_sent) {	/* unlocks still on their way */
			struct msg_lk lk = { .lk_op = LK_OP_SYNC };

			req_start(r, &lk, SLF_ABANDONED, NULL, NULL);
		}
		for (;;) {
			uint64_t now;

			flush_todo(r);
			now = rac_now_mono_ns();
			if (!r->r_active || r->r_state != CL_OPEN || now >= deadline)
				break;
			conn_pump(r, ms_until(deadline, now), false);
		}
	}
	conn_close(r);
	if (r->r_fl.fc_a)
		sga_detach(&r->r_sga);
	table_free(r);
	free(r);
}

/* ---- words ------------------------------------------------------------------------- */

#define CASE(code, text) case code: return text

const char *racrt_strerror(int err)
{
	switch (err) {
	CASE(RACRT_OK, "success");
	CASE(RACRT_EUNKNOWN, "no such lock");
	CASE(RACRT_EBADMODE, "bad lock mode");
	CASE(RACRT_ENAMELEN, "resource name empty or too long");
	CASE(RACRT_EBADOWNER, "request owner refused by LMS");
	CASE(RACRT_EBADFLAGS, "unknown request flags");
	CASE(RACRT_ENOTGRANTED, "lock not granted (or already converting)");
	CASE(RACRT_ENOTPENDING, "no request pending on the lock");
	CASE(RACRT_ENOTQUEUED, "resource busy (no-queue request)");
	CASE(RACRT_EDEADLK, "chosen as a deadlock victim");
	CASE(RACRT_ETIMEDOUT, "not granted within the timeout");
	CASE(RACRT_EIMPORT, "LMS remastering records clashed");
	CASE(RACRT_EINVAL, "invalid argument");
	CASE(RACRT_ENOMEM, "out of memory");
	CASE(RACRT_ECONFIG, "configuration unreadable, or no such instance");
	CASE(RACRT_ECONNECT, "cannot connect to LMS (is the instance running on this host?)");
	CASE(RACRT_ENOREPLY, "LMS did not answer in time");
	CASE(RACRT_ECLOSED, "connection to LMS lost: the handle's locks are gone");
	CASE(RACRT_ENOTREADY, "LMS is not ready (starting or reconfiguring)");
	CASE(RACRT_ECANCELED, "request cancelled");
	CASE(RACRT_EAGAIN, "too many requests in flight");
	CASE(RACRT_EPROTO, "LMS answered something this client cannot read");
	CASE(RACRT_EVERSION, "LMS speaks another message version than this client library: "
			     "link the library of the racrt that runs the instance");
	}
	return "unknown error";
}

static const char *const mode_names[] = { "NL", "CR", "CW", "PR", "PW", "EX" };

const char *racrt_mode_str(int mode)
{
	if (mode == RACRT_IV)
		return "IV";
	return mode_ok(mode) ? mode_names[mode] : "?";
}

int racrt_mode_parse(const char *s)
{
	for (int m = RACRT_NL; s && m <= RACRT_EX; m++)
		if (!strcasecmp(s, mode_names[m]))
			return m;
	return RACRT_EINVAL;
}
