/*
 * fast.c - locks through the SGA lock cache (shm/fastlock.h): a lock LMS
 * has put in the instance's SGA is taken, waited for, read and released
 * there, without a message; anything else (the resource not there, taken
 * back meanwhile, a handle with a blocking callback) goes to LMS.
 *
 *   racrt_lock:   fast_lock  -> FL_GRANTED / FL_QUEUED ... granted
 *                            -> FAST_PASS / FAST_PASS_REVOKE: ask LMS
 *                            -> FL_MOVED while waiting: fast_moved, then
 *                               wait in LMS's table as a queued request
 *   racrt_unlock, racrt_lvb_read: fast_simple, else ask LMS
 *   a request to LMS about a cached lock: fast_forget (LMS takes it back)
 *
 * The cache is mapped by fast_attach() when a handle is opened by
 * configuration, and let go by fast_release_all() when it closes or LMS
 * is lost.
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* ---- the handle's locks in the cache ---------------------------------------- */

static struct fl_where fast_where(const struct cl_lock *lo)
{
	return (struct fl_where){ .fw_slot = (uint16_t)(lo->lo_fslot - 1),
				  .fw_entry = lo->lo_fent, .fw_lkid = lo->lo_lkid };
}

/* the lock is (or is about to be) in LMS's table, not in the cache */
void fast_forget(struct racrt *r, uint64_t lkid)
{
	struct cl_lock *lo = lock_get(r, lkid);

	if (lo)
		lo->lo_fslot = 0;
}

/* let go of every lock of the handle in the cache (closing, or LMS lost) */
void fast_release_all(struct racrt *r)
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

/* ---- lock, unlock, value block ----------------------------------------------- */

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
	req_queued(r, idx, lo);
	return req_wait(r, idx, timeout_ms, res);
}

/*
 * A lock through the cache: FAST_PASS or FAST_PASS_REVOKE when LMS must
 * serve it, else the outcome, as racrt_lock's (res filled on success).
 */
int fast_lock(struct racrt *r, const struct msg_lk *lk, struct racrt_result *res)
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
			req_deliver(r);
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
bool fast_usable(const struct racrt *r)
{
	return r->r_fl.fc_a && !r->r_bast_cb && r->r_state == CL_OPEN;
}

/*
 * Release (or read the value block of) a granted lock of the cache there:
 * 0 done, 1 not in the cache (any more): ask LMS.
 */
int fast_simple(struct racrt *r, int op, uint64_t lkid, const uint8_t *lvb_in,
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

/* ---- mapping the SGA ---------------------------------------------------------- */

/*
 * Map the instance's SGA for the lock cache.  Anything amiss (another
 * user's instance, another layout, RACRT_FAST_PATH=0 in the environment)
 * leaves the handle without it: every lock then goes through LMS.
 */
void fast_attach(struct racrt *r, const struct rac_config *cfg, int inst)
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
