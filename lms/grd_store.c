/*
 * grd_store.c - the lock table's memory: the lock pool, the resource and
 * value-block slabs, the id, name and owner tables, the deadline heap.
 *
 * The layout and why it is so are in grd_int.h.  Everything here either
 * makes room (the *_reserve() functions, gathered by gs_reserve(), called
 * before a request changes anything) or uses room already made, and so
 * cannot fail: a lock in (gs_lock_create) and out (gs_lock_destroy) of
 * the pool, the id table, its owner's list; a resource in and out of its
 * slab and the name table.  Every block comes from gs_alloc(), which counts
 * it for grd_mem().
 */
#include <stdlib.h>
#include <string.h>

#include "grd_int.h"

/* ------------------------------------------------------------------ */
/* memory, counted so that the budget per lock can be measured */

void *gs_alloc(struct grd *g, size_t n, bool zero)
{
	void *p = zero ? calloc(1, n) : malloc(n);

	if (p) {
		g->g_mem_bytes += n;
		g->g_mem_allocs++;
	}
	return p;
}

void gs_free(struct grd *g, void *p, size_t n)
{
	if (!p)
		return;
	free(p);
	g->g_mem_bytes -= n;
	g->g_mem_allocs--;
}


/* ------------------------------------------------------------------ */
/* the name hash: stable across instances (it decides the master) */

static uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t load_le(const unsigned char *p, size_t n)
{
	uint64_t w = 0;

	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

uint32_t gs_name_hash(const void *name, size_t len)
{
	const unsigned char *p = name;
	uint64_t h = GOLDEN64 ^ ((uint64_t)len * 0xc2b2ae3d27d4eb4full);
	size_t n = len;

	while (n) {
		size_t k = n < 8 ? n : 8;
		uint64_t w = load_le(p, k);

		w *= 0x87c37b91114253d5ull;
		w = rotl64(w, 31);
		w *= 0x4cf5ad432745937full;
		h ^= w;
		h = rotl64(h, 27) * 5 + 0x52dce729;
		p += k;
		n -= k;
	}
	return (uint32_t)(fmix64(h ^ len) >> 32);
}


unsigned grd_bucket(const void *name, size_t namelen)
{
	return hash_bucket(gs_name_hash(name, namelen));
}

/* ------------------------------------------------------------------ */
/* lock pool */

static size_t pool_room(const struct grd *g)
{
	size_t cap = (size_t)g->g_nchunks * POOL_CHUNK;

	/* g_top starts at 1 (NIL) before the first chunk exists */
	return (cap > g->g_top ? cap - g->g_top : 0) + g->g_nfree;
}

static int pool_reserve(struct grd *g, size_t n)
{
	while (pool_room(g) < n) {
		if (g->g_nchunks >= POOL_MAX_CHUNKS)
			return RAC_ENOMEM;
		if (g->g_nchunks == g->g_chunks_cap) {
			uint32_t cap = g->g_chunks_cap ? 2 * g->g_chunks_cap : 16;
			struct grd_lock **c = gs_alloc(g, cap * sizeof(*c), false);

			if (!c)
				return RAC_ENOMEM;
			if (g->g_nchunks)
				memcpy(c, g->g_chunks, g->g_nchunks * sizeof(*c));
			gs_free(g, g->g_chunks, g->g_chunks_cap * sizeof(*c));
			g->g_chunks = c;
			g->g_chunks_cap = cap;
		}
		g->g_chunks[g->g_nchunks] = gs_alloc(g, POOL_CHUNK * sizeof(struct grd_lock), false);
		if (!g->g_chunks[g->g_nchunks])
			return RAC_ENOMEM;
		g->g_nchunks++;
	}
	return 0;
}

/* a zeroed lock; room reserved */
static uint32_t pool_get(struct grd *g)
{
	uint32_t i;

	if (g->g_free) {
		i = g->g_free;
		g->g_free = L(g, i)->lk_o.ln_next;
		g->g_nfree--;
	} else {
		i = g->g_top++;
	}
	memset(L(g, i), 0, sizeof(struct grd_lock));
	g->g_nlocks++;
	return i;
}

static void pool_put(struct grd *g, uint32_t i)
{
	struct grd_lock *l = L(g, i);

	l->lk_id = 0;
	l->lk_o.ln_next = g->g_free;
	g->g_free = i;
	g->g_nfree++;
	g->g_nlocks--;
}

/* ------------------------------------------------------------------ */
/* sizing of the open-addressing tables */

/* do n entries fit in 2^bits slots at most num/den full? */
static bool fits(size_t n, unsigned bits, unsigned num, unsigned den)
{
	return n * den <= ((size_t)1 << bits) * num;
}

/* smallest bits with n entries at most num/den full */
static unsigned bits_for(size_t n, unsigned num, unsigned den)
{
	unsigned bits = MIN_BITS;

	while (!fits(n, bits, num, den))
		bits++;
	return bits;
}

/* is k (a home slot) cyclically outside (hole, j]? then j may move to hole */
static bool may_fill(size_t hole, size_t j, size_t k)
{
	return hole <= j ? (k <= hole || k > j) : (k <= hole && k > j);
}

/* ------------------------------------------------------------------ */
/* lock id -> pool index (3/4 full at most) */

static void id_put(struct grd_islot *tab, unsigned bits, uint32_t tag, uint32_t i)
{
	size_t s = tag_home(tag, bits);

	while (tab[s].it_lock != NIL)
		s = slot_next(s, bits);
	tab[s].it_lock = i;
	tab[s].it_tag = tag;
}

/* a lock whose id is known to be new */
static void id_insert(struct grd *g, uint32_t i)
{
	id_put(g->g_ids, g->g_ids_bits, id_tag(L(g, i)->lk_id), i);
	g->g_ids_n++;
}

static void id_delete(struct grd *g, uint32_t i)
{
	unsigned bits = g->g_ids_bits;
	size_t hole = tag_home(id_tag(L(g, i)->lk_id), bits);

	while (g->g_ids[hole].it_lock != i)
		hole = slot_next(hole, bits);
	g->g_ids[hole].it_lock = NIL;
	for (size_t j = slot_next(hole, bits); g->g_ids[j].it_lock != NIL; j = slot_next(j, bits)) {
		if (may_fill(hole, j, tag_home(g->g_ids[j].it_tag, bits))) {
			g->g_ids[hole] = g->g_ids[j];
			g->g_ids[j].it_lock = NIL;
			hole = j;
		}
	}
	g->g_ids_n--;
}

static int id_reserve(struct grd *g, size_t more)
{
	unsigned bits;
	struct grd_islot *tab;

	if (g->g_ids && fits(g->g_ids_n + more, g->g_ids_bits, 3, 4))
		return 0;
	bits = bits_for(g->g_ids_n + more, 3, 4);
	if (bits > 32)
		return RAC_ENOMEM;
	tab = gs_alloc(g, ((size_t)1 << bits) * sizeof(*tab), true);
	if (!tab)
		return RAC_ENOMEM;
	if (g->g_ids) {
		for (size_t s = 0; s < ((size_t)1 << g->g_ids_bits); s++)
			if (g->g_ids[s].it_lock != NIL)
				id_put(tab, bits, g->g_ids[s].it_tag, g->g_ids[s].it_lock);
		gs_free(g, g->g_ids, ((size_t)1 << g->g_ids_bits) * sizeof(*tab));
	}
	g->g_ids = tab;
	g->g_ids_bits = bits;
	return 0;
}

/* ------------------------------------------------------------------ */
/*
 * resource and value-block slabs: a handle is (class << 28 | index), index 0
 * never used, so no handle is 0
 */

int gs_rslab_reserve(struct grd *g, unsigned c, size_t n)
{
	struct grd_rslab *sl = &g->g_rslab[c];

	for (;;) {
		size_t cap = (size_t)sl->rs_nchunks * RSLAB_CHUNK;
		size_t room = (cap > sl->rs_top ? cap - sl->rs_top : 0) + sl->rs_nfree;

		if (room >= n)
			return 0;
		if (sl->rs_nchunks >= RSLAB_MAX_CHUNKS)
			return RAC_ENOMEM;
		if (sl->rs_nchunks == sl->rs_cap) {
			uint32_t ncap = sl->rs_cap ? 2 * sl->rs_cap : 16;
			uint8_t **ch = gs_alloc(g, ncap * sizeof(*ch), false);

			if (!ch)
				return RAC_ENOMEM;
			if (sl->rs_nchunks)
				memcpy(ch, sl->rs_chunks, sl->rs_nchunks * sizeof(*ch));
			gs_free(g, sl->rs_chunks, sl->rs_cap * sizeof(*ch));
			sl->rs_chunks = ch;
			sl->rs_cap = ncap;
		}
		sl->rs_chunks[sl->rs_nchunks] = gs_alloc(g, RSLAB_CHUNK * class_size(c), false);
		if (!sl->rs_chunks[sl->rs_nchunks])
			return RAC_ENOMEM;
		if (!sl->rs_top)
			sl->rs_top = 1;
		sl->rs_nchunks++;
	}
}

/* room reserved */
static uint32_t rslab_get(struct grd *g, unsigned c)
{
	struct grd_rslab *sl = &g->g_rslab[c];
	uint32_t i;

	if (sl->rs_free) {
		i = sl->rs_free;
		memcpy(&sl->rs_free, slab_at(g, (uint32_t)c << RH_CLASS_SHIFT | i), sizeof(uint32_t));
		sl->rs_nfree--;
	} else {
		i = sl->rs_top++;
	}
	return (uint32_t)c << RH_CLASS_SHIFT | i;
}

static void rslab_put(struct grd *g, uint32_t h)
{
	struct grd_rslab *sl = &g->g_rslab[h >> RH_CLASS_SHIFT];

	memcpy(slab_at(g, h), &sl->rs_free, sizeof(uint32_t));
	sl->rs_free = h & RH_INDEX;
	sl->rs_nfree++;
}

/* ------------------------------------------------------------------ */
/* name -> resource (3/4 full at most) */

static int res_reserve(struct grd *g, size_t more)
{
	unsigned bits;
	struct grd_rslot *tab;

	if (g->g_res && fits(g->g_res_n + more, g->g_res_bits, 3, 4))
		return 0;
	bits = bits_for(g->g_res_n + more, 3, 4);
	if (bits > 32)
		return RAC_ENOMEM;
	tab = gs_alloc(g, ((size_t)1 << bits) * sizeof(*tab), true);
	if (!tab)
		return RAC_ENOMEM;
	if (g->g_res) {
		for (size_t s = 0; s < res_slots(g); s++) {
			size_t t;

			if (!g->g_res[s].rt_res)
				continue;
			for (t = res_home(g->g_res[s].rt_hash, bits); tab[t].rt_res; t = slot_next(t, bits))
				;
			tab[t] = g->g_res[s];
		}
		gs_free(g, g->g_res, res_slots(g) * sizeof(*tab));
	}
	g->g_res = tab;
	g->g_res_bits = bits;
	return 0;
}

/* a new resource in the empty slot res_slot() gave; slab room reserved */
struct grd_res *gs_res_create(struct grd *g, struct grd_rslot *rt, uint32_t h,
			      const void *name, size_t len)
{
	uint32_t hnd = rslab_get(g, res_class(len));
	struct grd_res *r = res_at(g, hnd);

	memset(r, 0, RES_HDR);
	r->res_hash = h;
	r->res_namelen = (uint8_t)len;
	memcpy(r->res_name, name, len);
	rt->rt_hash = h;
	rt->rt_res = hnd;
	g->g_res_n++;
	return r;
}

/* empty slot `hole` of the name table, closing the gap behind it */
static void res_unslot(struct grd *g, size_t hole)
{
	unsigned bits = g->g_res_bits;

	g->g_res[hole].rt_res = 0;
	for (size_t j = slot_next(hole, bits); g->g_res[j].rt_res; j = slot_next(j, bits)) {
		if (may_fill(hole, j, res_home(g->g_res[j].rt_hash, bits))) {
			g->g_res[hole] = g->g_res[j];
			g->g_res[j].rt_res = 0;
			hole = j;
		}
	}
	g->g_res_n--;
}

void gs_res_destroy(struct grd *g, struct grd_res *r)
{
	size_t s = res_home(r->res_hash, g->g_res_bits);
	uint32_t hnd;

	while (!g->g_res[s].rt_res || res_at(g, g->g_res[s].rt_res) != r)
		s = slot_next(s, g->g_res_bits);
	hnd = g->g_res[s].rt_res;
	res_unslot(g, s);
	if (r->res_lvb)
		rslab_put(g, r->res_lvb);
	r->res_namelen = 0;	/* free, for the export's walk of the slab */
	rslab_put(g, hnd);
}


/* a resource goes with its last lock, unless its value block is dubious */
void gs_res_maybe_free(struct grd *g, struct grd_res *r)
{
	if (res_empty(r) && !(r->res_flags & RES_DUBIOUS))
		gs_res_destroy(g, r);
}

/* room for the value block writing lvb to r may need: before the first change */
int gs_lvb_reserve(struct grd *g, const struct grd_res *r, const uint8_t *lvb)
{
	return r->res_lvb || !memcmp(lvb, lvb_zero, GRD_LVB_LEN) ? 0 : gs_rslab_reserve(g, LVB_SLAB, 1);
}

/* room reserved (zeros need none) */
void gs_lvb_write(struct grd *g, struct grd_res *r, const uint8_t *lvb)
{
	if (!r->res_lvb && memcmp(lvb, lvb_zero, GRD_LVB_LEN))
		r->res_lvb = rslab_get(g, LVB_SLAB);
	if (r->res_lvb)
		memcpy(slab_at(g, r->res_lvb), lvb, GRD_LVB_LEN);
	r->res_flags &= (uint8_t)~RES_DUBIOUS;
}

/* ------------------------------------------------------------------ */
/* owner -> lock list (1/2 full at most) */

int gs_own_reserve(struct grd *g, size_t more)
{
	unsigned bits;
	struct grd_orec *tab;

	if (g->g_own && fits(g->g_own_n + more, g->g_own_bits, 1, 2))
		return 0;
	bits = bits_for(g->g_own_n + more, 1, 2);
	tab = gs_alloc(g, ((size_t)1 << bits) * sizeof(*tab), true);
	if (!tab)
		return RAC_ENOMEM;
	if (g->g_own) {
		for (size_t s = 0; s < ((size_t)1 << g->g_own_bits); s++) {
			struct grd_orec *o = &g->g_own[s];
			size_t t;

			if (!o->or_inst)
				continue;
			t = own_home(owner_key(o->or_inst, o->or_client), bits);
			while (tab[t].or_inst)
				t = slot_next(t, bits);
			tab[t] = *o;
		}
		gs_free(g, g->g_own, ((size_t)1 << g->g_own_bits) * sizeof(*tab));
	}
	g->g_own = tab;
	g->g_own_bits = bits;
	return 0;
}

static void own_delete(struct grd *g, struct grd_orec *o)
{
	unsigned bits = g->g_own_bits;
	size_t hole = (size_t)(o - g->g_own);

	memset(o, 0, sizeof(*o));
	for (size_t j = slot_next(hole, bits); g->g_own[j].or_inst; j = slot_next(j, bits)) {
		struct grd_orec *x = &g->g_own[j];

		if (may_fill(hole, j, own_home(owner_key(x->or_inst, x->or_client), bits))) {
			g->g_own[hole] = *x;
			memset(x, 0, sizeof(*x));
			hole = j;
		}
	}
	g->g_own_n--;
}

/* ------------------------------------------------------------------ */
/*
 * deadline heap (1-based), ordered by deadline, then lock id.  An entry
 * holds the deadline, so that the lock does not: few locks ever wait with
 * one, and every lock would pay for it.
 */

static bool heap_less(const struct grd *g, const struct grd_hent *a, const struct grd_hent *b)
{
	return a->he_deadline < b->he_deadline ||
	       (a->he_deadline == b->he_deadline && L(g, a->he_lock)->lk_id < L(g, b->he_lock)->lk_id);
}

static void heap_set(struct grd *g, size_t pos, struct grd_hent e)
{
	g->g_heap[pos] = e;
	L(g, e.he_lock)->lk_heap = (uint32_t)pos;
}

static void heap_up(struct grd *g, size_t pos)
{
	struct grd_hent e = g->g_heap[pos];

	while (pos > 1 && heap_less(g, &e, &g->g_heap[pos / 2])) {
		heap_set(g, pos, g->g_heap[pos / 2]);
		pos /= 2;
	}
	heap_set(g, pos, e);
}

static void heap_down(struct grd *g, size_t pos)
{
	struct grd_hent e = g->g_heap[pos];

	for (;;) {
		size_t c = 2 * pos;

		if (c > g->g_heap_n)
			break;
		if (c + 1 <= g->g_heap_n && heap_less(g, &g->g_heap[c + 1], &g->g_heap[c]))
			c++;
		if (!heap_less(g, &g->g_heap[c], &e))
			break;
		heap_set(g, pos, g->g_heap[c]);
		pos = c;
	}
	heap_set(g, pos, e);
}

int gs_heap_reserve(struct grd *g, size_t more)
{
	size_t need = g->g_heap_n + more + 1, cap;
	struct grd_hent *h;

	if (need <= g->g_heap_cap)
		return 0;
	for (cap = g->g_heap_cap ? g->g_heap_cap : 64; cap < need; cap *= 2)
		;
	h = gs_alloc(g, cap * sizeof(*h), false);
	if (!h)
		return RAC_ENOMEM;
	if (g->g_heap)
		memcpy(h, g->g_heap, (g->g_heap_n + 1) * sizeof(*h));
	gs_free(g, g->g_heap, g->g_heap_cap * sizeof(*h));
	g->g_heap = h;
	g->g_heap_cap = cap;
	return 0;
}

void gs_heap_insert(struct grd *g, uint32_t i, uint64_t deadline)
{
	g->g_heap_n++;
	heap_set(g, g->g_heap_n, (struct grd_hent){ .he_deadline = deadline, .he_lock = i });
	heap_up(g, g->g_heap_n);
}

void gs_heap_remove(struct grd *g, uint32_t i)
{
	size_t pos = L(g, i)->lk_heap;
	struct grd_hent last;

	if (!pos)
		return;
	last = g->g_heap[g->g_heap_n--];
	L(g, i)->lk_heap = 0;
	if (pos <= g->g_heap_n) {
		heap_set(g, pos, last);
		heap_up(g, pos);
		heap_down(g, L(g, last.he_lock)->lk_heap);
	}
}

/* ------------------------------------------------------------------ */
/* locks in and out of the table */

/*
 * A lock with its id, owner and resource set; room reserved everywhere.
 * `it`: the empty id slot the caller found for it (import), or NULL.
 */
uint32_t gs_lock_create(struct grd *g, struct grd_res *r, uint64_t id, struct grd_owner ow,
			struct grd_islot *it)
{
	uint32_t i = pool_get(g);
	struct grd_lock *l = L(g, i);
	struct grd_orec *o = own_slot(g, ow.ow_inst, ow.ow_client);

	l->lk_id = id;
	l->lk_res = r;
	l->lk_inst = ow.ow_inst;
	l->lk_client = ow.ow_client;
	l->lk_grmode = l->lk_rqmode = l->lk_bast = GRD_IV;
	if (it) {
		it->it_lock = i;
		it->it_tag = id_tag(id);
		g->g_ids_n++;
	} else {
		id_insert(g, i);
	}
	if (!o->or_inst) {
		o->or_inst = ow.ow_inst;
		o->or_client = ow.ow_client;
		g->g_own_n++;
	}
	list_add(g, &o->or_head, i, LO);
	o->or_nlocks++;
	return i;
}

/* out of its queue, the heap, its owner's list, the id table and the pool */
void gs_lock_destroy(struct grd *g, uint32_t i)
{
	struct grd_lock *l = L(g, i);
	struct grd_orec *o = own_find(g, l->lk_inst, l->lk_client);

	list_del(g, &l->lk_res->res_q[l->lk_state], i, LQ);
	gs_heap_remove(g, i);
	list_del(g, &o->or_head, i, LO);
	if (--o->or_nlocks == 0)
		own_delete(g, o);
	id_delete(g, i);
	pool_put(g, i);
}

/* everything one request may need, before the first change */
int gs_reserve(struct grd *g, size_t nres, size_t nlocks, size_t nowners, size_t nheap)
{
	int rc;

	if ((rc = res_reserve(g, nres)) || (rc = id_reserve(g, nlocks)) ||
	    (rc = pool_reserve(g, nlocks)) || (rc = gs_own_reserve(g, nowners)) ||
	    (rc = gs_heap_reserve(g, nheap)))
		return rc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the table: made and freed */

struct grd *grd_new(size_t capacity_hint, uint64_t id_base)
{
	struct grd *g;

	if (id_base & (((uint64_t)1 << GRD_ID_SPACE_BITS) - 1))
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->g_mem_bytes = sizeof(*g);
	g->g_mem_allocs = 1;
	g->g_id_base = id_base;
	g->g_id_next = id_base + 1;
	/* the upper half of the space is the caller's (LMS's lock cache) */
	g->g_id_end = id_base + ((uint64_t)1 << (GRD_ID_SPACE_BITS - 1));
	g->g_top = 1;				/* index 0 is NIL */
	if (gs_reserve(g, capacity_hint, capacity_hint, 16, 0)) {
		grd_destroy(&g);
		return NULL;
	}
	return g;
}

void grd_destroy(struct grd **gp)
{
	struct grd *g;

	if (!gp || !*gp)
		return;
	g = *gp;
	for (unsigned c = 0; c <= LVB_SLAB; c++) {
		for (uint32_t k = 0; k < g->g_rslab[c].rs_nchunks; k++)
			free(g->g_rslab[c].rs_chunks[k]);
		free(g->g_rslab[c].rs_chunks);
	}
	for (uint32_t c = 0; c < g->g_nchunks; c++)
		free(g->g_chunks[c]);
	free(g->g_chunks);
	free(g->g_res);
	free(g->g_ids);
	free(g->g_own);
	free(g->g_heap);
	free(g->g_ev);
	free(g);
	*gp = NULL;
}

/* ------------------------------------------------------------------ */
/* memory counters (the budget per lock) */

void grd_mem(const struct grd *g, struct grd_mem *m)
{
	if (!g || !m)
		return;
	m->gm_bytes = g->g_mem_bytes;
	m->gm_allocs = g->g_mem_allocs;
}
