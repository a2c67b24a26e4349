/*
 * grd_view.c - the lock table as its caller sees it: every resource, every
 * lock (with who it waits for), one lock, an owner's count, the counters.
 * Nothing here changes the table.
 */
#include <string.h>

#include "grd_int.h"

/* ------------------------------------------------------------------ */
/* views */

/*
 * For the "blocker" column: per requested mode, the first two held locks
 * (grant then convert queue) that block it, and the first conversion whose
 * requested mode does; so a whole resource costs O(locks) to show.
 */
struct res_scan {
	uint32_t sc_held[GRD_NMODES][2];
	uint32_t sc_conv[GRD_NMODES];
};

static void res_scan(const struct grd *g, const struct grd_res *r, struct res_scan *sc)
{
	memset(sc, 0, sizeof(*sc));
	for (int q = Q_GRANT; q <= Q_CONVERT; q++) {
		FOR_QUEUE(g, r, q, i) {
			const struct grd_lock *l = L(g, i);

			for (int m = 0; m < GRD_NMODES; m++) {
				if (compat[m] & MBIT(l->lk_grmode))
					continue;
				if (!sc->sc_held[m][0])
					sc->sc_held[m][0] = i;
				else if (!sc->sc_held[m][1])
					sc->sc_held[m][1] = i;
			}
			if (q == Q_CONVERT)
				for (int m = 0; m < GRD_NMODES; m++)
					if (!(compat[m] & MBIT(l->lk_rqmode)) && !sc->sc_conv[m])
						sc->sc_conv[m] = i;
		}
	}
}

/* who a queued request waits for first: a holder, a conversion, the one ahead */
static uint32_t lock_blocker(const struct grd *g, const struct grd_res *r,
			     const struct res_scan *sc, uint32_t i)
{
	const struct grd_lock *l = L(g, i);
	const uint32_t *held = sc->sc_held[l->lk_rqmode];

	if (held[0] && held[0] != i)
		return held[0];
	if (held[1])
		return held[1];
	if (l->lk_state == Q_CONVERT) {
		FOR_QUEUE(g, r, Q_CONVERT, j) {
			if (j == i)
				break;
			if (!grd_mode_compat(l->lk_rqmode, L(g, j)->lk_rqmode))
				return j;
		}
		return NIL;
	}
	if (sc->sc_conv[l->lk_rqmode])
		return sc->sc_conv[l->lk_rqmode];
	return r->res_q[Q_WAIT] != i ? l->lk_q.ln_prev : NIL;
}

static void lock_info(const struct grd *g, const struct grd_res *r, const struct res_scan *sc,
		      uint32_t i, struct grd_lock_info *li)
{
	const struct grd_lock *l = L(g, i);

	memset(li, 0, sizeof(*li));
	li->li_name = r->res_name;
	li->li_namelen = r->res_namelen;
	li->li_lkid = l->lk_id;
	li->li_owner.ow_inst = l->lk_inst;
	li->li_owner.ow_client = l->lk_client;
	li->li_grmode = l->lk_grmode;
	li->li_rqmode = l->lk_rqmode;
	li->li_state = l->lk_state;
	li->li_deadline = lock_deadline(g, l);
	if (l->lk_state != Q_GRANT) {
		uint32_t b = lock_blocker(g, r, sc, i);

		li->li_blocked = true;
		if (b) {
			li->li_blocker.ow_inst = L(g, b)->lk_inst;
			li->li_blocker.ow_client = L(g, b)->lk_client;
		}
	}
}

/*
 * A walk's position: the resource slot in the high bits and, for locks, how
 * many of that resource's locks (grant, convert, wait queue in order) come
 * before the one to start at.
 */
#define POS_LOCK_BITS	24
#define POS_SLOT(p)	((size_t)((p) >> POS_LOCK_BITS))
#define POS_LOCK(p)	((uint32_t)((p) & ((1u << POS_LOCK_BITS) - 1)))
#define POS(s, k)	((uint64_t)(s) << POS_LOCK_BITS | (k))

int grd_walk_resources(const struct grd *g, uint64_t *pos, grd_res_fn fn, void *arg)
{
	if (!g || !fn || !pos)
		return RAC_EINVAL;
	for (size_t s = *pos == GRD_POS_END ? res_slots(g) : POS_SLOT(*pos); s < res_slots(g); s++) {
		const struct grd_res *r = res_in(g, s);
		struct grd_res_info ri;
		int rc;

		if (!r)
			continue;
		ri.ri_name = r->res_name;
		ri.ri_namelen = r->res_namelen;
		ri.ri_bucket = hash_bucket(r->res_hash);
		ri.ri_ngranted = queue_len(g, r, Q_GRANT);
		ri.ri_nconverting = queue_len(g, r, Q_CONVERT);
		ri.ri_nwaiting = queue_len(g, r, Q_WAIT);
		ri.ri_lvb = res_lvb(g, r);
		ri.ri_dubious = r->res_flags & RES_DUBIOUS;
		if ((rc = fn(&ri, arg))) {
			*pos = POS(s, 0);
			return rc;
		}
	}
	*pos = GRD_POS_END;
	return 0;
}

int grd_walk_locks(const struct grd *g, uint64_t *pos, grd_lock_fn fn, void *arg)
{
	size_t s0;
	uint32_t skip;

	if (!g || !fn || !pos)
		return RAC_EINVAL;
	s0 = *pos == GRD_POS_END ? res_slots(g) : POS_SLOT(*pos);
	skip = *pos == GRD_POS_END ? 0 : POS_LOCK(*pos);
	for (size_t s = s0; s < res_slots(g); s++) {
		const struct grd_res *r = res_in(g, s);
		struct res_scan sc;
		uint32_t k = 0;

		if (!r || res_empty(r))
			continue;
		res_scan(g, r, &sc);
		for (int q = Q_GRANT; q <= Q_WAIT; q++) {
			FOR_QUEUE(g, r, q, i) {
				struct grd_lock_info li;
				int rc;

				if (s == s0 && k < skip) {
					k++;
					continue;
				}
				lock_info(g, r, &sc, i, &li);
				if ((rc = fn(&li, arg))) {
					*pos = k < (1u << POS_LOCK_BITS) ? POS(s, k) : POS(s + 1, 0);
					return rc;
				}
				k++;
			}
		}
	}
	*pos = GRD_POS_END;
	return 0;
}

int grd_foreach_resource(const struct grd *g, grd_res_fn fn, void *arg)
{
	uint64_t pos = 0;

	return grd_walk_resources(g, &pos, fn, arg);
}

int grd_foreach_lock(const struct grd *g, grd_lock_fn fn, void *arg)
{
	uint64_t pos = 0;

	return grd_walk_locks(g, &pos, fn, arg);
}

int grd_lock_query(struct grd *g, uint64_t lkid, struct grd_lock_info *li)
{
	struct res_scan sc;
	uint32_t i;

	if (!g)
		return RAC_EINVAL;
	if ((i = id_find(g, lkid)) == NIL)
		return bad(g, GRD_EUNKNOWN);
	if (!li)
		return bad(g, RAC_EINVAL);
	res_scan(g, L(g, i)->lk_res, &sc);
	lock_info(g, L(g, i)->lk_res, &sc, i, li);
	return 0;
}

int grd_lock_owner(const struct grd *g, uint64_t lkid, struct grd_owner *owner)
{
	uint32_t i;

	if (!g || !owner)
		return RAC_EINVAL;
	if ((i = id_find(g, lkid)) == NIL)
		return GRD_EUNKNOWN;
	owner->ow_inst = L(g, i)->lk_inst;
	owner->ow_client = L(g, i)->lk_client;
	return 0;
}

size_t grd_owner_locks(const struct grd *g, struct grd_owner owner)
{
	const struct grd_orec *o;

	if (!g || !owner_ok(owner))
		return 0;
	o = own_find(g, owner.ow_inst, owner.ow_client);
	return o ? o->or_nlocks : 0;
}

/* ------------------------------------------------------------------ */
/* counters */
void grd_stats(const struct grd *g, struct grd_stats *st)
{
	if (!g || !st)
		return;
	*st = g->g_stats;
	st->st_resources = g->g_res_n;
	st->st_locks = g->g_nlocks;
}
