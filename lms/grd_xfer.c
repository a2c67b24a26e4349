/*
 * grd_xfer.c - remastering: the resources of some buckets out of one table
 * (grd_export), with every lock on them, and into another (grd_import).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "grd_int.h"

/* ------------------------------------------------------------------ */
/* remastering */

static bool bucket_in(const uint64_t *buckets, uint32_t h)
{
	unsigned b = hash_bucket(h);

	return !buckets || ((buckets[b / 64] >> (b % 64)) & 1);
}

static void export_res(const struct grd *g, const struct grd_res *r, struct grd_export *x)
{
	struct grd_xres *xr = &x->x_res[x->x_nres++];
	size_t first = x->x_nlocks;

	memset(xr, 0, sizeof(*xr));
	xr->xr_namelen = r->res_namelen;
	xr->xr_dubious = r->res_flags & RES_DUBIOUS;
	memcpy(xr->xr_name, r->res_name, r->res_namelen);
	memcpy(xr->xr_lvb, res_lvb(g, r), GRD_LVB_LEN);
	for (int q = Q_GRANT; q <= Q_WAIT; q++) {
		FOR_QUEUE(g, r, q, i) {
			const struct grd_lock *l = L(g, i);
			struct grd_xlock *xl = &x->x_locks[x->x_nlocks++];

			memset(xl, 0, sizeof(*xl));
			xl->xl_lkid = l->lk_id;
			xl->xl_deadline = lock_deadline(g, l);
			xl->xl_owner.ow_inst = l->lk_inst;
			xl->xl_owner.ow_client = l->lk_client;
			xl->xl_grmode = l->lk_grmode;
			xl->xl_rqmode = l->lk_rqmode;
			xl->xl_state = l->lk_state;
			xl->xl_bast = l->lk_bast;
		}
	}
	xr->xr_nlocks = (uint32_t)(x->x_nlocks - first);
}

/* the resource at index i of slab c if it is in use (and in the set), or NULL */
static struct grd_res *slab_res(const struct grd *g, unsigned c, uint32_t i, const uint64_t *buckets)
{
	struct grd_res *r;

	if (i >= g->g_rslab[c].rs_top)
		return NULL;
	r = res_at(g, (uint32_t)c << RH_CLASS_SHIFT | i);
	return r->res_namelen && bucket_in(buckets, r->res_hash) ? r : NULL;
}

/*
 * Export walks the resource slabs in memory order, not the name table: the
 * resources (and, as they were mostly made in the same order, their locks)
 * then stream through the cache instead of costing a miss each.  What a
 * move will delete (name-table and id-table slots) is prefetched a few
 * resources ahead.  It counts first (free for the whole table), so that
 * nothing can fail once resources start to leave; freeing a resource into
 * its slab does not disturb the walk.
 */
#define AHEAD 8

int grd_export(struct grd *g, const uint64_t *buckets, unsigned flags, struct grd_export *x)
{
	size_t nres = 0, nlocks = 0;
	bool move = flags & GRD_EXPORT_MOVE;

	if (!g)
		return RAC_EINVAL;
	if (!x)
		return bad(g, RAC_EINVAL);
	if (flags & ~GRD_EXPORT_MOVE)
		return bad(g, GRD_EBADFLAGS);
	memset(x, 0, sizeof(*x));
	if (!buckets) {
		nres = g->g_res_n;
		nlocks = g->g_nlocks;
	} else {
		for (unsigned c = 0; c < RCLASSES; c++) {
			for (uint32_t i = 1; i < g->g_rslab[c].rs_top; i++) {
				const struct grd_res *r = slab_res(g, c, i, buckets);

				if (!r)
					continue;
				nres++;
				for (int q = Q_GRANT; q <= Q_WAIT; q++)
					nlocks += queue_len(g, r, q);
			}
		}
	}
	if (!nres)
		return 0;
	x->x_res = malloc(nres * sizeof(*x->x_res));
	x->x_locks = nlocks ? malloc(nlocks * sizeof(*x->x_locks)) : NULL;
	if (!x->x_res || (nlocks && !x->x_locks)) {
		grd_export_free(x);
		return RAC_ENOMEM;
	}
	for (unsigned c = 0; c < RCLASSES; c++) {
		for (uint32_t i = 1; i < g->g_rslab[c].rs_top; i++) {
			struct grd_res *r = slab_res(g, c, i, buckets), *far, *near;

			if ((far = slab_res(g, c, i + 2 * AHEAD, buckets)) && far->res_q[Q_GRANT])
				__builtin_prefetch(L(g, far->res_q[Q_GRANT]));
			if (move && (near = slab_res(g, c, i + AHEAD, buckets)) != NULL) {
				__builtin_prefetch(&g->g_res[res_home(near->res_hash, g->g_res_bits)]);
				if (near->res_q[Q_GRANT])
					__builtin_prefetch(&g->g_ids[tag_home(id_tag(L(g, near->res_q[Q_GRANT])->lk_id),
									g->g_ids_bits)]);
			}
			if (!r)
				continue;
			export_res(g, r, x);
			if (move) {
				for (int q = Q_GRANT; q <= Q_WAIT; q++)
					while (r->res_q[q] != NIL)
						gs_lock_destroy(g, r->res_q[q]);
				gs_res_destroy(g, r);
			}
		}
	}
	assert(x->x_nres == nres && x->x_nlocks == nlocks);
	if (move)
		g->g_stats.st_exported += nlocks;
	return 0;
}

void grd_export_free(struct grd_export *x)
{
	if (!x)
		return;
	free(x->x_res);
	free(x->x_locks);
	memset(x, 0, sizeof(*x));
}

/* one record as it must be to be imported; adds to the held-mode set */
static bool xlock_ok(const struct grd_xlock *xl, unsigned *held)
{
	if (!xl->xl_lkid || !owner_ok(xl->xl_owner))
		return false;
	if (xl->xl_bast != GRD_IV && !mode_ok(xl->xl_bast))
		return false;
	switch (xl->xl_state) {
	case GRD_LK_GRANTED:
	case GRD_LK_CONVERTING:
		if (!mode_ok(xl->xl_grmode) || !compat_all(xl->xl_grmode, *held))
			return false;
		if (xl->xl_state == GRD_LK_CONVERTING && !mode_ok(xl->xl_rqmode))
			return false;
		*held |= MBIT(xl->xl_grmode);
		return true;
	case GRD_LK_WAITING:
		return mode_ok(xl->xl_rqmode);
	}
	return false;
}

static void import_lock(struct grd *g, struct grd_res *r, const struct grd_xlock *xl,
			struct grd_islot *it)
{
	uint32_t i = gs_lock_create(g, r, xl->xl_lkid, xl->xl_owner, it);
	struct grd_lock *l = L(g, i);

	l->lk_state = xl->xl_state;
	l->lk_rqmode = xl->xl_rqmode;
	l->lk_grmode = xl->xl_state == GRD_LK_WAITING ? GRD_IV : xl->xl_grmode;
	if (xl->xl_state == GRD_LK_GRANTED)
		l->lk_rqmode = l->lk_grmode;
	l->lk_bast = xl->xl_bast;
	list_add(g, &r->res_q[l->lk_state], i, LQ);
	if (l->lk_state != Q_GRANT && xl->xl_deadline)
		gs_heap_insert(g, i, xl->xl_deadline);
	/* an id of our own range from an earlier table: never hand it out */
	if (xl->xl_lkid >= g->g_id_next && xl->xl_lkid < g->g_id_end && xl->xl_lkid > g->g_id_base)
		g->g_id_next = xl->xl_lkid + 1;
}

int grd_import(struct grd *g, const struct grd_export *x)
{
	size_t nd = 0, k = 0, nheap = 0, per_class[RCLASSES + 1] = { 0 };
	struct grd_res **done;
	int rc;

	if (!g)
		return RAC_EINVAL;
	if (!x || (x->x_nres && !x->x_res) || (x->x_nlocks && !x->x_locks))
		return bad(g, RAC_EINVAL);
	/* the records on their own, before anything changes */
	for (size_t n = 0; n < x->x_nres; n++) {
		const struct grd_xres *xr = &x->x_res[n];
		unsigned held = 0;

		if (!xr->xr_namelen || xr->xr_namelen > GRD_NAME_MAX || xr->xr_nlocks > x->x_nlocks - k)
			return bad(g, GRD_EIMPORT);
		per_class[res_class(xr->xr_namelen)]++;
		per_class[LVB_SLAB] += memcmp(xr->xr_lvb, lvb_zero, GRD_LVB_LEN) != 0;
		for (size_t j = k; j < k + xr->xr_nlocks; j++) {
			if (!xlock_ok(&x->x_locks[j], &held))
				return bad(g, GRD_EIMPORT);
			if (x->x_locks[j].xl_state != GRD_LK_GRANTED && x->x_locks[j].xl_deadline)
				nheap++;
		}
		k += xr->xr_nlocks;
	}
	if (k != x->x_nlocks)
		return bad(g, GRD_EIMPORT);
	if (!x->x_nres)
		return 0;
	if ((rc = gs_reserve(g, x->x_nres, x->x_nlocks, 0, nheap)))
		return rc;
	for (unsigned c = 0; c <= LVB_SLAB; c++)
		if ((rc = gs_rslab_reserve(g, c, per_class[c])))
			return rc;
	if (!(done = malloc(x->x_nres * sizeof(*done))))
		return RAC_ENOMEM;

	/*
	 * Then in, undone if a name or an id is here already.  The hashes are
	 * computed AHEAD records early and their table slots prefetched, so
	 * that the misses of several records overlap.
	 */
	uint32_t hashes[2 * AHEAD];	/* a ring: written AHEAD ahead of reading */
	size_t ahead_lock = 0;

	k = 0;
	for (size_t n = 0; n < x->x_nres + AHEAD; n++) {
		if (n < x->x_nres) {
			const struct grd_xres *xa = &x->x_res[n];
			uint32_t ha = gs_name_hash(xa->xr_name, xa->xr_namelen);

			hashes[n % (2 * AHEAD)] = ha;
			__builtin_prefetch(&g->g_res[res_home(ha, g->g_res_bits)]);
			if (xa->xr_nlocks)
				__builtin_prefetch(&g->g_ids[tag_home(id_tag(x->x_locks[ahead_lock].xl_lkid),
								g->g_ids_bits)]);
			ahead_lock += xa->xr_nlocks;
		}
		if (n < AHEAD)
			continue;

		const struct grd_xres *xr = &x->x_res[n - AHEAD];
		uint32_t h = hashes[(n - AHEAD) % (2 * AHEAD)];
		struct grd_rslot *rt = res_slot(g, h, xr->xr_name, xr->xr_namelen);
		struct grd_res *r;

		if (rt->rt_res) {
			rc = GRD_EIMPORT;
			goto undo;
		}
		r = gs_res_create(g, rt, h, xr->xr_name, xr->xr_namelen);
		done[nd++] = r;
		gs_lvb_write(g, r, xr->xr_lvb);
		if (xr->xr_dubious)
			r->res_flags |= RES_DUBIOUS;
		for (uint32_t j = 0; j < xr->xr_nlocks; j++) {
			const struct grd_xlock *xl = &x->x_locks[k++];
			struct grd_islot *it = id_slot(g, xl->xl_lkid);

			if (it->it_lock != NIL) {
				rc = GRD_EIMPORT;
				goto undo;
			}
			if ((rc = gs_own_reserve(g, 1)))
				goto undo;
			import_lock(g, r, xl, it);
		}
	}
	for (size_t n = 0; n < nd; n++)
		gs_res_changed(g, done[n]);
	g->g_stats.st_imported += x->x_nlocks;
	free(done);
	return 0;

undo:
	while (nd) {
		struct grd_res *r = done[--nd];

		for (int q = Q_GRANT; q <= Q_WAIT; q++)
			while (r->res_q[q] != NIL)
				gs_lock_destroy(g, r->res_q[q]);
		gs_res_destroy(g, r);
	}
	free(done);
	return rc == GRD_EIMPORT ? bad(g, rc) : rc;
}

bool grd_has_resource(const struct grd *g, const void *name, size_t namelen)
{
	if (!g || !name || !namelen || namelen > GRD_NAME_MAX)
		return false;
	return res_slot(g, gs_name_hash(name, namelen), name, namelen)->rt_res != 0;
}
