/*
 * racrt.c - the client API (include/racrt.h): the calls, synchronous and
 * asynchronous, racrt_poll() and the other knobs of a handle, opening and
 * closing one, and the words (errors, modes).
 *
 * A call checks its arguments, makes its MSG_LK_REQUEST (make_lock,
 * make_convert, make_simple) and hands it to req.c: call_sync() waits for
 * the outcome, call_async() returns the request id.  racrt_lock, the
 * unlocks and racrt_lvb_read try the SGA lock cache first (fast.c).
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

/* ---- requests -------------------------------------------------------------------- */

static void give_lvb(const struct racrt_result *res, uint8_t *lvb_out, int *dubious)
{
	if (lvb_out)
		memcpy(lvb_out, res->rr_lvb, RACRT_LVB_LEN);
	if (dubious)
		*dubious = res->rr_dubious;
}

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
		n = req_deliver(r);
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
	CASE(RACRT_EPERM, "not permitted: this user may not use the instance's lock manager "
			  "(run as the cluster's user), or the lock is not this handle's");
	CASE(RACRT_ELIMIT, "lock quota reached (max_locks_per_client)");
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
