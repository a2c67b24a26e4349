/*
 * remaster.c - the mechanics of rebuilding the GRD after a membership
 * change (rcfg.c decides when).
 *
 * Every LMS drops the moved buckets from its table.  A living old master
 * sends each moved bucket's new master all it had there -- every owner's
 * locks, with the value blocks (rb_send_export; its own clients' locks get
 * a shadow); where the old master is gone, every owner sends its clients'
 * locks from its shadows (rb_send_lock).  Then a DONE:
 *
 *   old master or owner --MSG_GRD_REBUILD (op 2: a resource and its value
 *                         block; op 1: a lock)--> new master: rb_store()
 *                       --MSG_GRD_REBUILD_DONE (op 0)--> rb_done_in(), rb_check()
 *   new master: every survivor's DONE in -> rb_import() (lms_rcfg_finish())
 *               --MSG_GRD_REBUILD_DONE (op 1)--> every member: fin_note()
 *
 * A new master imports granted locks as granted, waiters in the old
 * master's queue order (in lock-id order when they come from shadows); the
 * shadows of its own clients' locks it imported go.  A bucket whose master
 * died comes back with its value blocks dubious; locks of instances that
 * left are gone.
 */
#include <stdlib.h>
#include <string.h>

#include "lms.h"
#include "log.h"

void rb_store(int from, const struct msg_lk *lk)
{
	struct rb_rec *r = calloc(1, sizeof(*r));

	if (!r) {
		log_error(COMP, "out of memory keeping a rebuild record: a lock may be lost");
		return;
	}
	r->rb_from = from;
	r->rb_seq = ++lms.rb.rm_seq;
	r->rb_lk = *lk;
	r->rb_next = lms.rb.rm_recs;
	lms.rb.rm_recs = r;
}

void rb_free(uint32_t keep_inc, bool keep)
{
	struct rb_rec **pp = &lms.rb.rm_recs;

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
 * REBUILD_DONE for this change to every other member: LK_RB_DONE_SENT, our
 * records have all been sent; LK_RB_DONE_FINISHED, we have finished
 * rebuilding.
 */
void rb_tell_members(uint32_t op)
{
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct msg_rb_done d = { .rd_inc = lms.rb.rm_inc, .rd_what = op };
		struct msg_lk done;

		msg_rb_done_to_lk(&d, &done);
		if (i != lms.s_m->m_inst && (lms.s_members & (1ull << (i - 1))))
			to_peer(i, MSG_GRD_REBUILD_DONE, &done);
	}
}

/*
 * Member `who` finished rebuilding for incarnation inc.  Once every member
 * has, that membership is the base a later change starts from, and what
 * our table handed over is in its new masters' tables for good.
 */
void fin_note(int who, uint64_t inc)
{
	if (inc < lms.rb.rm_fin_inc)
		return;
	if (inc > lms.rb.rm_fin_inc) {
		lms.rb.rm_fin_inc = inc;
		lms.rb.rm_fin_mask = 0;
	}
	lms.rb.rm_fin_mask |= 1ull << (who - 1);
	if (inc != lms.rb.rm_inc || lms_rebuilding() ||
	    (lms.rb.rm_fin_mask & lms.s_members) != lms.s_members)
		return;
	lms.rb.rm_base = lms.s_members;
	lms.rb.rm_base_inc = inc;
	while (lms.rb.rm_nsent > 0)
		grd_export_free(&lms.rb.rm_sent[--lms.rb.rm_nsent]);
}

/* a REBUILD_DONE from `from`: it finished, or all its records are sent */
void rb_done_in(int from, const struct msg_lk *lk)
{
	struct msg_rb_done d;

	msg_rb_done_from_lk(lk, &d);
	if (d.rd_what == LK_RB_DONE_FINISHED) {	/* it has finished its rebuild */
		fin_note(from, d.rd_inc);
		return;
	}
	if (lms.rb.rm_done_inc != d.rd_inc) {
		lms.rb.rm_done_inc = d.rd_inc;
		lms.rb.rm_done = 0;
	}
	lms.rb.rm_done |= 1ull << (from - 1);
	rb_check();
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
	int mid = bucket_master(lms.rb.rm_mid, bucket), src = 0;

	for (size_t j = i; j < end && v[j]->rb_lk.lk_op == LK_RB_RES; j++)
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

/*
 * One moved resource's records, v[i..end), into x as one resource: from
 * its source (rb_source), each lock checked.  Adds 1 to *dubious if its
 * value block is.
 */
static void rb_import_res(struct rb_rec **v, size_t i, size_t end, unsigned bucket,
			  struct grd_export *x, size_t *dubious)
{
	const struct msg_lk *first = &v[i]->rb_lk;
	struct grd_xres *xr = &x->x_res[x->x_nres];
	unsigned held = 0;
	int src = rb_source(v, i, end, bucket);
	size_t j;

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
		if (l->lk_op == LK_RB_RES) {
			memcpy(xr->xr_lvb, l->lk_lvb, LK_LVB_LEN);
			xr->xr_dubious = l->lk_dubious;
			continue;
		}
		if (l->lk_op != LK_RB_LOCK)
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
		xl = &x->x_locks[x->x_nlocks++];
		xl->xl_lkid = l->lk_lkid;
		xl->xl_owner = (struct grd_owner){ .ow_client = l->lk_owner_client,
						   .ow_inst = (uint8_t)(l->lk_flags ?
							l->lk_flags : (uint32_t)v[j]->rb_from) };
		/* a failed instance's lock its old master held for recovery */
		if (l->lk_flags >= 1 && l->lk_flags <= RAC_MAX_INST &&
		    !(lms.s_members & (1ull << (l->lk_flags - 1))))
			lms.rc.rc_rec_insts |= 1ull << (l->lk_flags - 1);
		xl->xl_grmode = (int8_t)l->lk_mode;
		xl->xl_rqmode = (int8_t)l->lk_status;
		xl->xl_state = (uint8_t)l->lk_event;
		xl->xl_bast = GRD_IV;
		xr->xr_nlocks++;
	}
	*dubious += xr->xr_dubious;
	if (xr->xr_nlocks)
		x->x_nres++;
}

/*
 * Every survivor's records are in: rebuild the moved resources into our
 * table.  *nres: the resources rebuilt, *ndubious: of them, with their
 * value block dubious.  (lms_rcfg_finish(), rcfg.c, goes on from here.)
 */
void rb_import(size_t *nres, size_t *ndubious)
{
	struct grd_export x = { 0 };
	struct rb_rec **v;
	size_t n = 0, k = 0, dubious = 0;
	int rc = 0;

	for (struct rb_rec *r = lms.rb.rm_recs; r; r = r->rb_next)
		n += r->rb_lk.lk_req == lms.rb.rm_inc;
	v = calloc(n ? n : 1, sizeof(*v));
	x.x_res = calloc(n ? n : 1, sizeof(*x.x_res));
	x.x_locks = calloc(n ? n : 1, sizeof(*x.x_locks));
	if (!v || !x.x_res || !x.x_locks) {
		rc = GRD_EIMPORT;
		goto out;
	}
	for (struct rb_rec *r = lms.rb.rm_recs; r; r = r->rb_next)
		if (r->rb_lk.lk_req == lms.rb.rm_inc)
			v[k++] = r;
	qsort(v, n, sizeof(*v), rb_cmp);
	for (size_t i = 0; i < n;) {
		const struct msg_lk *first = &v[i]->rb_lk;
		unsigned bucket = grd_bucket(first->lk_name, first->lk_namelen);
		size_t end = i;

		while (end < n && v[end]->rb_lk.lk_namelen == first->lk_namelen &&
		       !memcmp(v[end]->rb_lk.lk_name, first->lk_name, LK_NAME_MAX))
			end++;
		if (!(lms.rb.rm_moved[bucket / 64] & (1ull << (bucket % 64))) ||
		    grd_has_resource(lms.s_grd, first->lk_name, first->lk_namelen)) {
			i = end;	/* we have it already: our table is the truth */
			continue;
		}
		rb_import_res(v, i, end, bucket, &x, &dubious);
		i = end;
	}
	if (x.x_nres)
		rc = grd_import(lms.s_grd, &x);
	if (rc == GRD_EIMPORT)
		rc = rb_import_each(&x);
	/* our clients' locks rebuilt here are in our table now: no shadows for them */
	for (k = 0; rc == 0 && k < n; k++)
		if (v[k]->rb_lk.lk_op == LK_RB_LOCK && (v[k]->rb_lk.lk_flags ? v[k]->rb_lk.lk_flags :
		    (uint32_t)v[k]->rb_from) == (uint32_t)lms.s_m->m_inst)
			sh_del(v[k]->rb_lk.lk_lkid);
out:
	if (rc)
		log_alert("LMS 0: rebuilding %zu resources from shadows failed: %s; their locks "
			  "are lost", x.x_nres, grd_strerror(rc));
	else if (x.x_nres)	/* the trace: the alert block carries the counts */
		log_info(COMP, "%zu resources (%zu locks) remastered here from shadows in %.3f ms, "
			 "%zu value blocks dubious", x.x_nres, x.x_nlocks,
			  (double)(rac_now_mono_ns() - lms.rb.rm_start_ns) / 1e6, dubious);
	free(v);
	free(x.x_res);
	free(x.x_locks);
	*nres = x.x_nres;
	*ndubious = dubious;
}

/* every survivor's DONE is in (or none is awaited): finish the rebuild */
void rb_check(void)
{
	if (lms_rebuilding() && lms.rb.rm_done_inc == lms.rb.rm_inc &&
	    (lms.rb.rm_done & lms.rb.rm_expect) == lms.rb.rm_expect)
		lms_rcfg_finish();
	else if (lms_rebuilding() && !lms.rb.rm_expect)
		lms_rcfg_finish();
}

/*
 * A lock in a moved bucket, to its new master nm (us too): its rebuild
 * record, naming the owner's instance.  A waiter holds no mode; a
 * granted lock asks for none.
 */
void rb_send_lock(int nm, const struct grd_xlock *xl, const void *name, size_t namelen)
{
	struct msg_rb_lock rl = {
		.rl_inc = lms.rb.rm_inc, .rl_lkid = xl->xl_lkid,
		.rl_owner_inst = xl->xl_owner.ow_inst, .rl_owner_client = xl->xl_owner.ow_client,
		.rl_granted = xl->xl_grmode,
		.rl_requested = xl->xl_state == GRD_LK_GRANTED ? GRD_IV : xl->xl_rqmode,
		.rl_state = xl->xl_state, .rl_namelen = (uint16_t)namelen, .rl_name = name,
	};
	struct msg_lk lk;

	msg_rb_lock_to_lk(&rl, &lk);	/* GRD names fit LK_NAME_MAX */
	if (nm == lms.s_m->m_inst)
		rb_store(nm, &lk);
	else if (nm)
		to_peer(nm, MSG_GRD_REBUILD, &lk);
	lms.rb.rm_replayed++;
}

/* our rebuild records have all gone: tell every other member */
void send_done(void)
{
	rb_tell_members(LK_RB_DONE_SENT);
	lms.rc.rc_done_due_ns = 0;
}

/*
 * Send an export of our table to the new masters of its buckets (us too),
 * value blocks first; `shadows`: keep a shadow of our own clients' locks
 * (the first time only).
 */
void rb_send_export(const struct grd_export *x, uint64_t members, bool shadows)
{
	const struct grd_xlock *xl = x->x_locks;
	int me = lms.s_m->m_inst;

	for (size_t r = 0; r < x->x_nres; r++) {
		const struct grd_xres *xr = &x->x_res[r];
		struct msg_rb_res rr = { .rr_inc = lms.rb.rm_inc, .rr_namelen = xr->xr_namelen,
					 .rr_name = (const uint8_t *)xr->xr_name,
					 .rr_dubious = xr->xr_dubious, .rr_lvb = xr->xr_lvb };
		int nm = bucket_master(members, grd_bucket(xr->xr_name, xr->xr_namelen));
		struct msg_lk lk;

		msg_rb_res_to_lk(&rr, &lk);
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
