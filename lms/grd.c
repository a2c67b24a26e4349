/*
 * grd.c - the lock table of the Global Resource Directory: its rules.
 *
 * The rules are in grd.h, the layout in grd_int.h, its memory in
 * grd_store.c.  Here: the requests (lock, convert, unlock, cancel, value
 * block), what they do to a resource's queues, the events the caller
 * drains, and the three ways a queued request or a lock ends against its
 * owner's will: the owner dies, the deadline passes, or it closes a
 * deadlock.
 *
 * Every change to a resource ends in res_settle(): grant what the rules
 * allow, then res_notify(): blocking notifications to the holders that
 * still block someone.
 */
#include <stdlib.h>
#include <string.h>

#include "grd_int.h"

/* ------------------------------------------------------------------ */
/* modes */
bool grd_mode_compat(int a, int b)
{
	return mode_ok(a) && mode_ok(b) && (compat[a] & MBIT(b));
}

const char *grd_mode_str(int mode)
{
	static const char *const names[GRD_NMODES] = { "NL", "CR", "CW", "PR", "PW", "EX" };

	if (mode == GRD_IV)
		return "IV";
	return mode_ok(mode) ? names[mode] : "?";
}


/* ------------------------------------------------------------------ */
/* events */

static int ev_grow(struct grd *g)
{
	size_t cap = g->g_ev_cap ? 2 * g->g_ev_cap : 64;
	struct grd_event *e = gs_alloc(g, cap * sizeof(*e), false);

	if (!e)
		return RAC_ENOMEM;
	for (size_t k = 0; k < g->g_ev_n; k++)
		e[k] = g->g_ev[(g->g_ev_head + k) & (g->g_ev_cap - 1)];
	gs_free(g, g->g_ev, g->g_ev_cap * sizeof(*e));
	g->g_ev = e;
	g->g_ev_cap = cap;
	g->g_ev_head = 0;
	return 0;
}

static void ev_push(struct grd *g, int type, const struct grd_lock *l, int mode, int status)
{
	struct grd_event *e;

	if (g->g_ev_n == g->g_ev_cap && ev_grow(g)) {
		g->g_stats.st_ev_lost++;
		return;
	}
	e = &g->g_ev[(g->g_ev_head + g->g_ev_n) & (g->g_ev_cap - 1)];
	memset(e, 0, sizeof(*e));
	e->ev_lkid = l->lk_id;
	e->ev_owner.ow_inst = l->lk_inst;
	e->ev_owner.ow_client = l->lk_client;
	e->ev_type = (uint8_t)type;
	e->ev_mode = (int8_t)mode;
	e->ev_status = status;
	if (type == GRD_EV_GRANTED) {
		memcpy(e->ev_lvb, res_lvb(g, l->lk_res), GRD_LVB_LEN);
		e->ev_dubious = l->lk_res->res_flags & RES_DUBIOUS;
	}
	g->g_ev_n++;
}

bool grd_next_event(struct grd *g, struct grd_event *ev)
{
	if (!g || !ev || !g->g_ev_n)
		return false;
	*ev = g->g_ev[g->g_ev_head];
	g->g_ev_head = (g->g_ev_head + 1) & (g->g_ev_cap - 1);
	g->g_ev_n--;
	/* a burst (a big drop, an import) should not pin its ring forever */
	if (!g->g_ev_n && g->g_ev_cap > 4096) {
		gs_free(g, g->g_ev, g->g_ev_cap * sizeof(*ev));
		g->g_ev = NULL;
		g->g_ev_cap = 0;
		g->g_ev_head = 0;
	}
	return true;
}

size_t grd_pending_events(const struct grd *g)
{
	return g ? g->g_ev_n : 0;
}

/* ------------------------------------------------------------------ */
/* grants, failures and blocking notifications on a resource */

static bool same_owner(const struct grd_lock *a, const struct grd_lock *b)
{
	return a->lk_inst == b->lk_inst && a->lk_client == b->lk_client;
}

static void queue_move(struct grd *g, uint32_t i, int to)
{
	struct grd_lock *l = L(g, i);
	struct grd_res *r = l->lk_res;

	list_del(g, &r->res_q[l->lk_state], i, LQ);
	l->lk_state = (uint8_t)to;
	list_add(g, &r->res_q[to], i, LQ);
}

/* a queued request (new or conversion) is granted: tell its owner */
static void grant_queued(struct grd *g, uint32_t i)
{
	struct grd_lock *l = L(g, i);

	gs_heap_remove(g, i);
	l->lk_grmode = l->lk_rqmode;
	l->lk_bast = GRD_IV;
	queue_move(g, i, Q_GRANT);
	g->g_stats.st_grants++;
	ev_push(g, GRD_EV_GRANTED, l, l->lk_grmode, 0);
}

/* a conversion gives up: the lock keeps its granted mode */
static void conversion_revert(struct grd *g, uint32_t i)
{
	struct grd_lock *l = L(g, i);

	gs_heap_remove(g, i);
	l->lk_rqmode = l->lk_grmode;
	queue_move(g, i, Q_GRANT);
}

/* a queued request fails (timeout, deadlock): tell its owner */
static void request_fail(struct grd *g, uint32_t i, int type, int status)
{
	struct grd_lock *l = L(g, i);

	if (l->lk_state == Q_CONVERT) {
		conversion_revert(g, i);
		ev_push(g, type, l, l->lk_grmode, status);
	} else {
		ev_push(g, type, l, GRD_IV, status);
		gs_lock_destroy(g, i);
	}
}

/* modes held on r (GRANTED and CONVERTING), leaving out lock `skip` */
static unsigned held_modes(const struct grd *g, const struct grd_res *r, uint32_t skip)
{
	unsigned set = 0;

	for (int q = Q_GRANT; q <= Q_CONVERT; q++)
		FOR_QUEUE(g, r, q, i)
			if (i != skip)
				set |= MBIT(L(g, i)->lk_grmode);
	return set;
}

/* modes the queued conversions of r ask for */
static unsigned converting_modes(const struct grd *g, const struct grd_res *r)
{
	unsigned set = 0;

	FOR_QUEUE(g, r, Q_CONVERT, i)
		set |= MBIT(L(g, i)->lk_rqmode);
	return set;
}

static unsigned set_of(const uint32_t cnt[GRD_NMODES])
{
	unsigned set = 0;

	for (int m = 0; m < GRD_NMODES; m++)
		if (cnt[m])
			set |= MBIT(m);
	return set;
}

/*
 * Blocking notifications: every GRANTED or CONVERTING lock whose granted
 * mode blocks a queued request (other than its own conversion) hears of
 * the highest such mode, unless it already heard of that one or a higher.
 */
static void res_notify(struct grd *g, struct grd_res *r)
{
	uint32_t want[GRD_NMODES] = { 0 };

	if (!r->res_q[Q_CONVERT] && !r->res_q[Q_WAIT])
		return;
	for (int q = Q_CONVERT; q <= Q_WAIT; q++)
		FOR_QUEUE(g, r, q, i)
			want[L(g, i)->lk_rqmode]++;
	for (int q = Q_GRANT; q <= Q_CONVERT; q++) {
		FOR_QUEUE(g, r, q, i) {
			struct grd_lock *h = L(g, i);
			int own = q == Q_CONVERT ? h->lk_rqmode : GRD_IV;

			for (int m = GRD_EX; m > h->lk_bast && m > GRD_NL; m--) {
				if ((compat[h->lk_grmode] & MBIT(m)) || want[m] <= (m == own ? 1u : 0u))
					continue;
				h->lk_bast = (int8_t)m;
				g->g_stats.st_basts++;
				ev_push(g, GRD_EV_BLOCKING, h, m, 0);
				break;
			}
		}
	}
}

/*
 * Grant what can be granted: conversions in queue order (again and again
 * while one pass grants something: a granted lateral conversion can free
 * one ahead of it), then the wait queue from its head.
 */
static void res_settle(struct grd *g, struct grd_res *r)
{
	uint32_t cnt[GRD_NMODES] = { 0 };
	unsigned convset;
	bool again;

	if (!r->res_q[Q_CONVERT] && !r->res_q[Q_WAIT])
		return;
	for (int q = Q_GRANT; q <= Q_CONVERT; q++)
		FOR_QUEUE(g, r, q, i)
			cnt[L(g, i)->lk_grmode]++;
	do {
		unsigned ahead = 0;
		uint32_t next;

		again = false;
		for (uint32_t i = r->res_q[Q_CONVERT]; i != NIL; i = next) {
			struct grd_lock *l = L(g, i);

			next = list_next(g, r->res_q[Q_CONVERT], i, LQ);
			cnt[l->lk_grmode]--;
			if (compat_all(l->lk_rqmode, set_of(cnt)) && compat_all(l->lk_rqmode, ahead)) {
				cnt[l->lk_rqmode]++;
				grant_queued(g, i);
				again = true;
			} else {
				cnt[l->lk_grmode]++;
				ahead |= MBIT(l->lk_rqmode);
			}
		}
	} while (again);
	convset = converting_modes(g, r);
	for (uint32_t i; (i = r->res_q[Q_WAIT]) != NIL;) {
		int m = L(g, i)->lk_rqmode;

		if (!compat_all(m, set_of(cnt)) || !compat_all(m, convset))
			break;
		cnt[m]++;
		grant_queued(g, i);
	}
	res_notify(g, r);
}

/* a change that may free others: settle, then drop r if nothing is left */
void gs_res_changed(struct grd *g, struct grd_res *r)
{
	res_settle(g, r);
	gs_res_maybe_free(g, r);
}

/* ------------------------------------------------------------------ */
/* requests */

int grd_lock(struct grd *g, const void *name, size_t namelen, struct grd_owner owner,
	     int mode, unsigned flags, uint64_t deadline_ns, uint64_t *lkid)
{
	struct grd_rslot *slot;
	struct grd_res *r;
	struct grd_lock *l;
	bool grantable;
	uint32_t i;
	int rc;

	if (!g)
		return RAC_EINVAL;
	if (!lkid || (!name && namelen))
		return bad(g, RAC_EINVAL);
	if (!namelen || namelen > GRD_NAME_MAX)
		return bad(g, GRD_ENAMELEN);
	if (!mode_ok(mode))
		return bad(g, GRD_EBADMODE);
	if (!owner_ok(owner))
		return bad(g, GRD_EBADOWNER);
	if (flags & ~GRD_NOQUEUE)
		return bad(g, GRD_EBADFLAGS);
	if (g->g_max_locks && g->g_nlocks >= g->g_max_locks)
		return bad(g, GRD_ELIMIT);
	if (g->g_max_per_owner) {
		const struct grd_orec *o = own_find(g, owner.ow_inst, owner.ow_client);

		if (o && o->or_nlocks >= g->g_max_per_owner)
			return bad(g, GRD_ELIMIT);
	}
	if (g->g_id_next >= g->g_id_end)
		return RAC_ERANGE;
	if ((rc = gs_reserve(g, 1, 1, 1, deadline_ns ? 1 : 0)) ||
	    (rc = gs_rslab_reserve(g, res_class(namelen), 1)))
		return rc;

	uint32_t h = gs_name_hash(name, namelen);

	slot = res_slot(g, h, name, namelen);
	r = slot->rt_res ? res_at(g, slot->rt_res) : gs_res_create(g, slot, h, name, namelen);
	g->g_stats.st_requests++;
	grantable = !r->res_q[Q_WAIT] && compat_all(mode, held_modes(g, r, NIL)) &&
		    compat_all(mode, converting_modes(g, r));
	if (!grantable && (flags & GRD_NOQUEUE)) {
		g->g_stats.st_noqueue++;
		gs_res_maybe_free(g, r);
		return GRD_ENOTQUEUED;
	}
	i = gs_lock_create(g, r, g->g_id_next++, owner, NULL);
	l = L(g, i);
	l->lk_rqmode = (int8_t)mode;
	*lkid = l->lk_id;
	if (grantable) {
		/* compatible with every holder and every conversion: blocks no one new */
		l->lk_grmode = (int8_t)mode;
		l->lk_state = Q_GRANT;
		list_add(g, &r->res_q[Q_GRANT], i, LQ);
		g->g_stats.st_grants++;
		return GRD_GRANTED;
	}
	l->lk_state = Q_WAIT;
	list_add(g, &r->res_q[Q_WAIT], i, LQ);
	if (deadline_ns)
		gs_heap_insert(g, i, deadline_ns);
	g->g_stats.st_queued++;
	res_notify(g, r);
	return GRD_QUEUED;
}

int grd_convert(struct grd *g, uint64_t lkid, int mode, unsigned flags,
		uint64_t deadline_ns, const uint8_t *lvb_in)
{
	struct grd_lock *l;
	struct grd_res *r;
	uint32_t i;
	int old, rc;

	if (!g)
		return RAC_EINVAL;
	if ((i = id_find(g, lkid)) == NIL)
		return bad(g, GRD_EUNKNOWN);
	if (!mode_ok(mode))
		return bad(g, GRD_EBADMODE);
	if (flags & ~GRD_NOQUEUE)
		return bad(g, GRD_EBADFLAGS);
	l = L(g, i);
	if (l->lk_state != Q_GRANT)
		return bad(g, GRD_ENOTGRANTED);
	r = l->lk_res;
	old = l->lk_grmode;
	if (deadline_ns && (rc = gs_heap_reserve(g, 1)))
		return rc;
	if (lvb_in && old >= GRD_PW && is_down(old, mode) && (rc = gs_lvb_reserve(g, r, lvb_in)))
		return rc;
	g->g_stats.st_conversions++;

	if (is_down(old, mode)) {
		if (lvb_in && old >= GRD_PW)
			gs_lvb_write(g, r, lvb_in);
		g->g_stats.st_grants++;
		if (mode != old) {
			l->lk_grmode = l->lk_rqmode = (int8_t)mode;
			l->lk_bast = GRD_IV;
			res_settle(g, r);
		}
		return GRD_GRANTED;
	}
	/* up or sideways: every queued conversion is ahead of this one */
	if (compat_all(mode, held_modes(g, r, i)) && compat_all(mode, converting_modes(g, r))) {
		l->lk_grmode = l->lk_rqmode = (int8_t)mode;
		l->lk_bast = GRD_IV;
		g->g_stats.st_grants++;
		res_settle(g, r);	/* CW -> PR may let a PR waiter in */
		return GRD_GRANTED;
	}
	if (flags & GRD_NOQUEUE) {
		g->g_stats.st_noqueue++;
		return GRD_ENOTQUEUED;
	}
	l->lk_rqmode = (int8_t)mode;
	queue_move(g, i, Q_CONVERT);
	if (deadline_ns)
		gs_heap_insert(g, i, deadline_ns);
	g->g_stats.st_queued++;
	res_notify(g, r);
	return GRD_QUEUED;
}

int grd_unlock(struct grd *g, uint64_t lkid, const uint8_t *lvb_in)
{
	struct grd_lock *l;
	struct grd_res *r;
	uint32_t i;
	int rc;

	if (!g)
		return RAC_EINVAL;
	if ((i = id_find(g, lkid)) == NIL)
		return bad(g, GRD_EUNKNOWN);
	l = L(g, i);
	r = l->lk_res;
	if (l->lk_state != Q_WAIT && lvb_in && l->lk_grmode >= GRD_PW &&
	    (rc = gs_lvb_reserve(g, r, lvb_in)))
		return rc;
	if (l->lk_state == Q_WAIT) {
		g->g_stats.st_cancels++;
	} else {
		if (lvb_in && l->lk_grmode >= GRD_PW)
			gs_lvb_write(g, r, lvb_in);
		g->g_stats.st_releases++;
	}
	gs_lock_destroy(g, i);
	gs_res_changed(g, r);
	return 0;
}

int grd_cancel(struct grd *g, uint64_t lkid)
{
	struct grd_lock *l;
	struct grd_res *r;
	uint32_t i;

	if (!g)
		return RAC_EINVAL;
	if ((i = id_find(g, lkid)) == NIL)
		return bad(g, GRD_EUNKNOWN);
	l = L(g, i);
	r = l->lk_res;
	if (l->lk_state == Q_GRANT)
		return bad(g, GRD_ENOTPENDING);
	g->g_stats.st_cancels++;
	if (l->lk_state == Q_CONVERT)
		conversion_revert(g, i);
	else
		gs_lock_destroy(g, i);
	gs_res_changed(g, r);
	return 0;
}

void grd_set_limits(struct grd *g, size_t per_owner, size_t total)
{
	if (!g)
		return;
	g->g_max_per_owner = per_owner;
	g->g_max_locks = total;
}

int grd_lvb_read(struct grd *g, uint64_t lkid, uint8_t out[GRD_LVB_LEN], bool *dubious)
{
	struct grd_lock *l;
	uint32_t i;

	if (!g)
		return RAC_EINVAL;
	if ((i = id_find(g, lkid)) == NIL)
		return bad(g, GRD_EUNKNOWN);
	if (!out)
		return bad(g, RAC_EINVAL);
	l = L(g, i);
	if (l->lk_state == Q_WAIT)
		return bad(g, GRD_ENOTGRANTED);
	memcpy(out, res_lvb(g, l->lk_res), GRD_LVB_LEN);
	if (dubious)
		*dubious = l->lk_res->res_flags & RES_DUBIOUS;
	return 0;
}

/* ------------------------------------------------------------------ */
/* dead owners */

/*
 * Release every lock of the owners in keys[] (nlocks in all) before
 * re-evaluating anything, so that nothing is granted to a dead owner on the
 * way; then settle each resource touched once.
 */
static int drop_owners(struct grd *g, const uint64_t *keys, size_t nkeys, size_t nlocks,
		       bool keep_pw_ex, struct grd_drop *d)
{
	struct grd_res **touched = nlocks ? malloc(nlocks * sizeof(*touched)) : NULL;
	uint32_t *mine = keep_pw_ex && nlocks ? malloc(nlocks * sizeof(*mine)) : NULL;
	size_t nt = 0;

	if (nlocks && (!touched || (keep_pw_ex && !mine))) {
		free(touched);
		free(mine);
		return RAC_ENOMEM;
	}
	for (size_t k = 0; k < nkeys; k++) {
		uint8_t inst = (uint8_t)(keys[k] >> 32);
		uint32_t client = (uint32_t)keys[k];
		struct grd_orec *o = own_find(g, inst, client);
		size_t n = 0;

		if (!o)
			continue;
		d->dr_owners++;
		g->g_stats.st_owner_drops++;
		if (keep_pw_ex) {
			/* walk the owner's list first: what stays keeps its record */
			uint32_t i = o->or_head;

			do {
				mine[n++] = i;
				i = LN(g, i, LO)->ln_next;
			} while (i != o->or_head && n < o->or_nlocks);
		}
		for (size_t m = 0;; m++) {
			uint32_t i;
			struct grd_lock *l;
			struct grd_res *r;

			if (keep_pw_ex) {
				if (m == n)
					break;
				i = mine[m];
			} else {
				/* the record goes with the owner's last lock: look it up each time */
				if ((o = own_find(g, inst, client)) == NULL)
					break;
				i = o->or_head;
			}
			l = L(g, i);
			r = l->lk_res;
			if (l->lk_state != Q_WAIT && l->lk_grmode >= GRD_PW &&
			    !(r->res_flags & RES_DUBIOUS)) {
				r->res_flags |= RES_DUBIOUS;
				d->dr_dubious++;
			}
			if (keep_pw_ex && l->lk_state != Q_WAIT && l->lk_grmode >= GRD_PW) {
				d->dr_kept++;
				continue;
			}
			if (l->lk_state == Q_WAIT)
				d->dr_waiting++;
			else
				d->dr_held++;
			if (!(r->res_flags & RES_TOUCHED)) {
				r->res_flags |= RES_TOUCHED;
				touched[nt++] = r;
			}
			gs_lock_destroy(g, i);
			g->g_stats.st_dropped_locks++;
		}
	}
	for (size_t k = 0; k < nt; k++) {
		touched[k]->res_flags &= (uint8_t)~RES_TOUCHED;
		gs_res_changed(g, touched[k]);
	}
	free(touched);
	free(mine);
	return 0;
}

int grd_drop_owner(struct grd *g, struct grd_owner owner, struct grd_drop *counts)
{
	struct grd_drop d = { 0 };
	struct grd_orec *o;
	int rc = 0;

	if (!g)
		return RAC_EINVAL;
	if (!owner_ok(owner))
		return bad(g, GRD_EBADOWNER);
	if ((o = own_find(g, owner.ow_inst, owner.ow_client)) != NULL) {
		uint64_t key = owner_key(owner.ow_inst, owner.ow_client);

		rc = drop_owners(g, &key, 1, o->or_nlocks, false, &d);
	}
	if (counts)
		*counts = d;
	return rc;
}

static int drop_instance(struct grd *g, unsigned inst, bool keep_pw_ex, struct grd_drop *counts)
{
	struct grd_drop d = { 0 };
	size_t n = 0, nlocks = 0, size;
	uint64_t *keys;
	int rc;

	if (!g)
		return RAC_EINVAL;
	if (inst < 1 || inst > RAC_MAX_INST)
		return bad(g, GRD_EBADOWNER);
	size = (size_t)1 << g->g_own_bits;
	for (size_t s = 0; s < size; s++)
		if (g->g_own[s].or_inst == inst)
			n++;
	keys = malloc((n ? n : 1) * sizeof(*keys));
	if (!keys)
		return RAC_ENOMEM;
	n = 0;
	for (size_t s = 0; s < size; s++) {
		const struct grd_orec *o = &g->g_own[s];

		if (o->or_inst == inst) {
			keys[n++] = owner_key(o->or_inst, o->or_client);
			nlocks += o->or_nlocks;
		}
	}
	rc = drop_owners(g, keys, n, nlocks, keep_pw_ex, &d);
	free(keys);
	if (counts)
		*counts = d;
	return rc;
}

int grd_drop_owner_instance(struct grd *g, unsigned inst, struct grd_drop *counts)
{
	return drop_instance(g, inst, false, counts);
}

int grd_hold_for_recovery(struct grd *g, unsigned inst, struct grd_drop *counts)
{
	return drop_instance(g, inst, true, counts);
}

/* ------------------------------------------------------------------ */
/* timeouts */

int grd_expire(struct grd *g, uint64_t now_ns)
{
	int n = 0;

	if (!g)
		return RAC_EINVAL;
	while (g->g_heap_n && g->g_heap[1].he_deadline <= now_ns) {
		uint32_t i = g->g_heap[1].he_lock;
		struct grd_res *r = L(g, i)->lk_res;

		request_fail(g, i, GRD_EV_TIMEDOUT, GRD_ETIMEDOUT);
		g->g_stats.st_timeouts++;
		n++;
		gs_res_changed(g, r);
	}
	return n;
}

uint64_t grd_next_deadline(const struct grd *g)
{
	return g && g->g_heap_n ? g->g_heap[1].he_deadline : 0;
}

/* ------------------------------------------------------------------ */
/* deadlocks */

struct edges {
	struct grd_edge *e;
	size_t n, cap;
	int err;
};

static void edge_add(struct edges *b, const struct grd_lock *w, const struct grd_lock *h)
{
	struct grd_edge *e;

	if (b->err)
		return;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct grd_edge *ne = realloc(b->e, cap * sizeof(*ne));

		if (!ne) {
			b->err = RAC_ENOMEM;
			return;
		}
		b->e = ne;
		b->cap = cap;
	}
	e = &b->e[b->n++];
	memset(e, 0, sizeof(*e));
	e->ed_waiter.ow_inst = w->lk_inst;
	e->ed_waiter.ow_client = w->lk_client;
	e->ed_holder.ow_inst = h->lk_inst;
	e->ed_holder.ow_client = h->lk_client;
	e->ed_lkid = w->lk_id;
}

/* the edges of one queued request (see grd.h for which) */
static void request_edges(const struct grd *g, const struct grd_res *r, uint32_t i,
			  struct edges *b)
{
	const struct grd_lock *w = L(g, i);

	for (int q = Q_GRANT; q <= Q_CONVERT; q++)
		FOR_QUEUE(g, r, q, j)
			if (j != i && !grd_mode_compat(w->lk_rqmode, L(g, j)->lk_grmode))
				edge_add(b, w, L(g, j));
	FOR_QUEUE(g, r, Q_CONVERT, j) {
		const struct grd_lock *a = L(g, j);

		if (j == i)
			break;		/* only conversions ahead of a conversion */
		if (!same_owner(w, a) && !grd_mode_compat(w->lk_rqmode, a->lk_rqmode))
			edge_add(b, w, a);
	}
	if (w->lk_state == Q_WAIT && r->res_q[Q_WAIT] != i) {
		const struct grd_lock *ahead = L(g, w->lk_q.ln_prev);

		if (!same_owner(w, ahead))
			edge_add(b, w, ahead);
	}
}

int grd_waitfor_edges(struct grd *g, struct grd_edge **edges, size_t *n)
{
	struct edges b = { 0 };

	if (!g || !edges || !n)
		return RAC_EINVAL;
	for (size_t s = 0; s < res_slots(g); s++) {
		const struct grd_res *r = res_in(g, s);

		if (!r)
			continue;
		for (int q = Q_CONVERT; q <= Q_WAIT; q++)
			FOR_QUEUE(g, r, q, i)
				request_edges(g, r, i, &b);
	}
	if (b.err) {
		free(b.e);
		return b.err;
	}
	*edges = b.e;
	*n = b.n;
	return 0;
}

int grd_deadlock_find(struct grd *g, uint64_t *victims, size_t max)
{
	int nv = 0;

	if (!g)
		return RAC_EINVAL;
	for (;;) {
		struct grd_edge *e = NULL;
		size_t n = 0, *cyc;
		uint64_t victim = 0;
		int len, rc;

		if ((rc = grd_waitfor_edges(g, &e, &n)))
			return rc;
		if (!n)
			break;
		cyc = malloc(n * sizeof(*cyc));
		len = cyc ? grd_cycle_find(e, n, cyc, n) : RAC_ENOMEM;
		for (int k = 0; k < len; k++)
			if (e[cyc[k]].ed_lkid > victim)
				victim = e[cyc[k]].ed_lkid;
		free(cyc);
		free(e);
		if (len < 0)
			return len;
		if (len == 0)
			break;

		uint32_t i = id_find(g, victim);
		struct grd_res *r = L(g, i)->lk_res;

		request_fail(g, i, GRD_EV_DEADLOCK, GRD_EDEADLK);
		g->g_stats.st_deadlocks++;
		gs_res_changed(g, r);
		if (victims && (size_t)nv < max)
			victims[nv] = victim;
		nv++;
	}
	return nv;
}

int grd_fail_deadlock(struct grd *g, uint64_t lkid)
{
	uint32_t i;
	struct grd_res *r;

	if (!g)
		return RAC_EINVAL;
	i = id_find(g, lkid);
	if (i == NIL)
		return GRD_EUNKNOWN;
	if (L(g, i)->lk_state == GRD_LK_GRANTED)
		return GRD_ENOTPENDING;
	r = L(g, i)->lk_res;
	request_fail(g, i, GRD_EV_DEADLOCK, GRD_EDEADLK);
	g->g_stats.st_deadlocks++;
	gs_res_changed(g, r);
	return 0;
}

/* ------------------------------------------------------------------ */
/* names */
#define CASE(code, text) case code: return text

const char *grd_strerror(int err)
{
	switch (err) {
	CASE(GRD_EUNKNOWN, "unknown lock id");
	CASE(GRD_EBADMODE, "bad lock mode");
	CASE(GRD_ENAMELEN, "resource name empty or longer than 64 bytes");
	CASE(GRD_EBADOWNER, "bad owner instance");
	CASE(GRD_EBADFLAGS, "unknown request flags");
	CASE(GRD_ENOTGRANTED, "lock not granted");
	CASE(GRD_ENOTPENDING, "no pending request to cancel");
	CASE(GRD_ENOTQUEUED, "not grantable at once (NOQUEUE)");
	CASE(GRD_EDEADLK, "deadlock victim");
	CASE(GRD_ETIMEDOUT, "lock request timed out");
	CASE(GRD_EIMPORT, "inconsistent or clashing import");
	}
	return rac_strerror(err);
}
