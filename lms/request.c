/*
 * request.c - routing and serving lock requests.
 *
 *   client --MSG_LK_REQUEST--> LMS: client_request()
 *     master here:   apply() on our table       --MSG_LK_REPLY--> client
 *     master remote: --MSG_GRD_OP--> master LMS: peer_request(), apply()
 *                    <--MSG_GRD_RESULT--          --MSG_LK_REPLY--> client
 *
 * While the GRD is frozen (frozen_now(), rcfg.c) requests wait in the
 * frozen queue and are replayed once the membership is settled.  Requests
 * forwarded to another master stay in flight until answered, and are
 * resubmitted if that master leaves.  Clients whose process is gone have
 * their locks released on every master (reap_sessions).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "lms.h"
#include "log.h"

#define MAX_FROZEN 100000

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

/* Apply one request to our table for `owner`; fills the answer into `out`. */
/*
 * Only its owner converts, releases, cancels or reads the value block of a
 * lock: the instance (told by its key, lib/auth.h) and, on it, the client
 * session.  An id learnt from a dump, or guessed, is of no use to anyone
 * else.  A refusal is counted and said, rate-limited.
 */
static bool owner_ok(const struct msg_lk *lk, struct grd_owner asker)
{
	static const char *const what[] = { [LK_OP_CONVERT] = "a conversion",
					    [LK_OP_UNLOCK] = "a release",
					    [LK_OP_CANCEL] = "a cancel",
					    [LK_OP_LVB_READ] = "a value-block read" };
	static uint64_t refused;
	struct grd_owner o;

	if (lk->lk_op != LK_OP_CONVERT && lk->lk_op != LK_OP_UNLOCK &&
	    lk->lk_op != LK_OP_CANCEL && lk->lk_op != LK_OP_LVB_READ)
		return true;
	if (grd_lock_owner(lms.s_grd, lk->lk_lkid, &o) ||
	    (o.ow_inst == asker.ow_inst && o.ow_client == asker.ow_client))
		return true;	/* unknown ids get the table's own answer */
	sga_count(&lms.s_m->m_sga, CNT_GES_NOT_OWNER, 1);
	if (refused++ < 10 || refused % 100 == 0)
		log_alert("LMS 0: refused %s of lock 0x%016llx from instance %u client %u: it "
			  "belongs to instance %u client %u (%llu refused so far)",
			  what[lk->lk_op], (unsigned long long)lk->lk_lkid,
			  (unsigned)asker.ow_inst, (unsigned)asker.ow_client, (unsigned)o.ow_inst,
			  (unsigned)o.ow_client, (unsigned long long)refused);
	return false;
}

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
	if (!owner_ok(lk, owner)) {
		out->lk_status = LK_EPERM;
		return;
	}
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
	if (rc == GRD_ELIMIT) {
		static uint64_t limited;

		sga_count(&lms.s_m->m_sga, CNT_GES_LIMITED, 1);
		if (limited++ < 10 || limited % 100 == 0)
			log_alert("LMS 0: refused a lock to instance %u client %u: quota reached "
				  "(max_locks_per_client %d, max_locks %d) (%llu refused so far)",
				  (unsigned)owner.ow_inst, (unsigned)owner.ow_client,
				  lms.s_m->m_cfg->cf_max_locks_per_client,
				  lms.s_m->m_cfg->cf_max_locks, (unsigned long long)limited);
	} else if (rc < 0 && rc != GRD_ENOTQUEUED) {
		sga_count(&lms.s_m->m_sga, CNT_GES_BAD, 1);
	}
	out->lk_dubious = dubious;
	out->lk_status = msg_lk_status_of(rc);
}

/* a held request, not yet queued; NULL (the client told "not ready") when full */
static struct frozen *frozen_new(int from, uint32_t inc, const struct msg_lk *lk)
{
	struct frozen *f;

	if (lms.req.rq_nfrozen >= MAX_FROZEN || !(f = calloc(1, sizeof(*f)))) {
		struct msg_lk out = *lk;

		out.lk_status = LK_ST_NOT_READY;
		if (!from)
			to_client(lk->lk_owner_client, MSG_LK_REPLY, &out);
		return NULL;
	}
	f->fr_from = from;
	f->fr_inc = inc;
	f->fr_lk = *lk;
	lms.req.rq_nfrozen++;
	sga_count(&lms.s_m->m_sga, CNT_GES_FROZEN, 1);
	return f;
}

static void hold(int from, uint32_t inc, const struct msg_lk *lk)
{
	struct frozen *f = frozen_new(from, inc, lk);

	if (f) {
		*lms.req.rq_frozen_tail = f;
		lms.req.rq_frozen_tail = &f->fr_next;
	}
}

/* a request from one of our clients (lk_owner_client is its session) */
void client_request(const struct msg_lk *lk)
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
		out.lk_status = master < 0 ? GRD_EUNKNOWN : LK_ST_NOT_READY;
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
			f->if_next = lms.req.rq_inflight;
			lms.req.rq_inflight = f;
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
void peer_request(int from, uint32_t inc, const struct msg_lk *lk)
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
	/*
	 * Not mastered here: a request sent under an older map goes back to be
	 * routed again.  A new lock under the current map can only be a lie
	 * (both ends route by the same map): bounced the same way, never
	 * taken into a table that is not its resource's master.
	 */
	if ((inc < lms.s_inc || lk->lk_op == LK_OP_LOCK) && !masters_now(lk)) {
		if (lk->lk_op == LK_OP_DROP_OWNER || lk->lk_op == LK_OP_DEADLOCK_VICTIM)
			return;
		out = *lk;
		out.lk_status = LK_ST_MOVED;
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

void replay_frozen(void)
{
	struct frozen *f = lms.req.rq_frozen;

	lms.req.rq_frozen = NULL;
	lms.req.rq_frozen_tail = &lms.req.rq_frozen;
	lms.req.rq_nfrozen = 0;
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
 * Clients whose process is gone: release their locks on every master.  Not
 * while the GRD is frozen: their locks may be on the way to a new master
 * (here too, from shadows), and would come back after the drop.
 */
void reap_sessions(void)
{
	bool ended = false;

	if (frozen_now())
		return;
	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *se = &lms.sess.ss_tab[i];
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

/*
 * The answer to a request in flight.  A release that does not wait for its
 * answer has no request id (0), and several may be out at once: those are
 * told apart by their lock id.
 */
void inflight_done(const struct msg_lk *lk)
{
	for (struct inflight **pp = &lms.req.rq_inflight; *pp; pp = &(*pp)->if_next)
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
void inflight_resubmit(uint64_t gone)
{
	struct inflight **pp = &lms.req.rq_inflight;
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
		last->fr_next = lms.req.rq_frozen;
		if (!lms.req.rq_frozen)
			lms.req.rq_frozen_tail = &last->fr_next;
		lms.req.rq_frozen = first;
	}
	if (n)
		log_info(COMP, "%zu requests in flight to departed masters resubmitted", n);
}
