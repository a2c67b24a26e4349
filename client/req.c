/*
 * req.c - a request's way through the handle (client.h draws its life):
 * sending it, waiting for it, how LMS's answers move it along, and
 * delivering its outcome.
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
#include <string.h>

#include "client.h"

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
	if (st == LK_EPERM || st == LK_ELIMIT)
		return st;	/* the same numbers */
	r->r_st.rs_bad++;
	return RACRT_EPROTO;
}

static void on_done_event(struct racrt *r, const struct msg_lk *ev);

/* LMS queued the request in slot idx on lock lo: an event will finish it */
void req_queued(struct racrt *r, int idx, struct cl_lock *lo)
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
			req_queued(r, idx, lo);
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
			req_queued(r, idx, lo);
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
const struct conn_ops cl_ops = { .on_message = cl_receive, .on_lost = cl_lost };

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
int req_start(struct racrt *r, struct msg_lk *lk, unsigned flags, racrt_cb cb, void *arg)
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
void flush_todo(struct racrt *r)
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
int req_deliver(struct racrt *r)
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
int req_wait(struct racrt *r, int idx, unsigned timeout_ms, struct racrt_result *res)
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
		req_deliver(r);
		flush_todo(r);
	}
}

int call_sync_flags(struct racrt *r, struct msg_lk *lk, unsigned timeout_ms,
		    struct racrt_result *res, unsigned flags)
{
	int idx = req_start(r, lk, SLF_SYNC | flags, NULL, NULL);

	if (idx < 0)
		return idx;
	return req_wait(r, idx, timeout_ms, res);
}

int call_sync(struct racrt *r, struct msg_lk *lk, unsigned timeout_ms,
	      struct racrt_result *res)
{
	return call_sync_flags(r, lk, timeout_ms, res, 0);
}

int call_async(struct racrt *r, struct msg_lk *lk, racrt_cb cb, void *arg)
{
	int idx = req_start(r, lk, 0, cb, arg);

	return idx < 0 ? idx : slot_req(r, idx);
}
