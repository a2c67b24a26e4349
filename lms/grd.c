/*
 * grd.c - the lock table of the Global Resource Directory.
 *
 * The rules are in grd.h.  How the table is laid out, and why:
 *
 *  - Locks live in a slab pool (chunks of 4096) and are named inside the
 *    table by a 32-bit pool index, so that every link is 4 bytes: a lock is
 *    48 bytes, with no malloc header.  Index 0 is never used (NIL).
 *  - The three queues of a resource and the list of an owner's locks are
 *    circular doubly linked lists of pool indexes; a list is its head
 *    index (the tail is head->prev).
 *  - Resources live in slabs too, one per size class (32..96 bytes, by
 *    name length), and are named by a 32-bit handle (class, index).  A
 *    value block is all zeros until a holder writes something else, and
 *    most never are written: it takes room (32 bytes, in a slab of its
 *    own) only from then on, until its resource goes.
 *  - Names map to resources, and lock ids to locks, through open-addressing
 *    tables (linear probing, deletion by backward shift, so no tombstones)
 *    whose 8-byte slots hold a 32-bit hash next to the 32-bit handle: a
 *    probe compares hashes inside the table and touches a resource or a
 *    lock only when they match, and moving or rehashing slots never touches
 *    them at all.  That is what keeps inserting a million resources (a
 *    remaster) from costing a cache miss per probe.  Owners (instance,
 *    client) map to their lock lists through a third, small table.
 *  - Queued requests with a deadline sit in a binary heap of (deadline,
 *    lock) entries; the lock keeps only its heap position.  grd_expire()
 *    costs O(expired * log n).
 *  - Anything that can run out of memory is reserved before the first
 *    change, so a request either happens entirely or not at all.
 *
 * Every change to a resource ends in res_settle(): grant what the rules
 * allow, then res_notify(): blocking notifications to the holders that
 * still block someone.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "grd.h"

#define NIL 0u
#define POOL_SHIFT 12
#define POOL_CHUNK (1u << POOL_SHIFT)
#define POOL_MAX_CHUNKS ((UINT32_MAX >> POOL_SHIFT) - 1)
#define RCLASSES 5		/* resource sizes 32, 48, 64, 80, 96 */
#define LVB_SLAB RCLASSES	/* then one slab of value blocks */
#define RSLAB_SHIFT 10
#define RSLAB_CHUNK (1u << RSLAB_SHIFT)
#define RH_CLASS_SHIFT 28	/* handle: class in the top 4 bits */
#define RH_INDEX ((1u << RH_CLASS_SHIFT) - 1)
#define RSLAB_MAX_CHUNKS ((RH_INDEX >> RSLAB_SHIFT) - 1)
#define MIN_BITS 4		/* smallest hash table: 16 slots */
#define GOLDEN64 0x9e3779b97f4a7c15ull
#define GOLDEN32 0x9e3779b1u
#define MBIT(m) (1u << (m))

static_assert((GRD_NBUCKETS & (GRD_NBUCKETS - 1)) == 0, "buckets: a power of two");
static_assert(GRD_NBUCKETS >= 64 && GRD_NBUCKETS <= (1u << 16), "buckets: 64..65536");

enum { Q_GRANT = GRD_LK_GRANTED, Q_CONVERT = GRD_LK_CONVERTING, Q_WAIT = GRD_LK_WAITING, NQUEUES };
enum { LQ, LO };		/* which links of a lock a list uses */

#define RES_DUBIOUS 0x1u	/* value block lost with a PW/EX holder */
#define RES_TOUCHED 0x2u	/* on a to-do list of an owner drop */

struct grd_link {
	uint32_t ln_prev, ln_next;
};

struct grd_lock {
	uint64_t lk_id;			/* 0 while the slot is free */
	struct grd_res *lk_res;
	struct grd_link lk_q;		/* on one of the resource's queues */
	struct grd_link lk_o;		/* on its owner's list; free list */
	uint32_t lk_heap;		/* its deadline's heap position, 0: none */
	uint32_t lk_client;
	uint8_t lk_inst;
	int8_t lk_grmode;		/* GRD_IV while waiting */
	int8_t lk_rqmode;		/* = lk_grmode when granted */
	uint8_t lk_state;		/* enum grd_lock_state = its queue */
	int8_t lk_bast;			/* highest mode notified, GRD_IV none */
};
static_assert(sizeof(struct grd_lock) == 48, "keep the lock at 48 bytes");

struct grd_res {
	uint32_t res_hash;		/* free: next free index of its slab */
	uint32_t res_q[NQUEUES];	/* queue heads */
	uint32_t res_lvb;		/* value block handle, 0: all zeros */
	uint8_t res_namelen;		/* 0 while free in its slab */
	uint8_t res_flags;
	char res_name[];		/* res_namelen bytes */
};
#define RES_HDR offsetof(struct grd_res, res_name)
static_assert(RES_HDR == 22, "resource header");
static_assert(RES_HDR + GRD_NAME_MAX <= (RCLASSES + 1) * 16, "largest name fits the largest class");

/* a slot of the name table (rt_res 0: empty) or of the id table (it_lock 0) */
struct grd_rslot {
	uint32_t rt_hash;
	uint32_t rt_res;		/* resource handle */
};

struct grd_islot {
	uint32_t it_lock;		/* pool index */
	uint32_t it_tag;		/* id_tag() of its id */
};

struct grd_rslab {
	uint8_t **rs_chunks;
	uint32_t rs_nchunks, rs_cap;
	uint32_t rs_top;		/* first never-used index (0 never is) */
	uint32_t rs_free;		/* free list, through an entry's first 4 bytes
					 * (a resource's res_hash) */
	uint32_t rs_nfree;
};

/* a queued request's deadline */
struct grd_hent {
	uint64_t he_deadline;		/* monotonic ns */
	uint32_t he_lock;		/* pool index */
};

struct grd_orec {
	uint32_t or_client;
	uint8_t or_inst;		/* 0: empty slot */
	uint32_t or_head;		/* its locks */
	uint32_t or_nlocks;
};

struct grd {
	uint64_t g_id_next, g_id_end;	/* next lock id; end of the range */
	uint64_t g_id_base;

	struct grd_lock **g_chunks;	/* lock pool */
	uint32_t g_nchunks, g_chunks_cap;
	uint32_t g_top;			/* first never-used index */
	uint32_t g_free;		/* free list, through lk_o.ln_next */
	uint32_t g_nfree;
	size_t g_nlocks;

	struct grd_islot *g_ids;	/* lock id -> pool index */
	unsigned g_ids_bits;
	size_t g_ids_n;

	struct grd_rslab g_rslab[RCLASSES + 1];	/* resources, value blocks */
	struct grd_rslot *g_res;	/* name -> resource */
	unsigned g_res_bits;
	size_t g_res_n;

	struct grd_orec *g_own;		/* owner -> its locks */
	unsigned g_own_bits;
	size_t g_own_n;

	struct grd_hent *g_heap;	/* deadlines; [0] unused */
	size_t g_heap_n, g_heap_cap;

	struct grd_event *g_ev;		/* ring of events */
	size_t g_ev_head, g_ev_n, g_ev_cap;

	struct grd_stats g_stats;
	size_t g_mem_bytes, g_mem_allocs;
};

/* ------------------------------------------------------------------ */
/* memory, counted so that the budget per lock can be measured */

static void *g_alloc(struct grd *g, size_t n, bool zero)
{
	void *p = zero ? calloc(1, n) : malloc(n);

	if (p) {
		g->g_mem_bytes += n;
		g->g_mem_allocs++;
	}
	return p;
}

static void g_free(struct grd *g, void *p, size_t n)
{
	if (!p)
		return;
	free(p);
	g->g_mem_bytes -= n;
	g->g_mem_allocs--;
}

/* ------------------------------------------------------------------ */
/* modes */

/* compat[m]: the modes compatible with m, as a bit set */
static const uint8_t compat[GRD_NMODES] = {
	[GRD_NL] = 0x3f,	/* NL CR CW PR PW EX */
	[GRD_CR] = 0x1f,	/* NL CR CW PR PW */
	[GRD_CW] = 0x07,	/* NL CR CW */
	[GRD_PR] = 0x0b,	/* NL CR PR */
	[GRD_PW] = 0x03,	/* NL CR */
	[GRD_EX] = 0x01,	/* NL */
};

static bool mode_ok(int m)
{
	return m >= GRD_NL && m < GRD_NMODES;
}

/* m compatible with every mode in the set */
static bool compat_all(int m, unsigned set)
{
	return (set & ~(unsigned)compat[m]) == 0;
}

/* to is compatible with at least everything from was: granted at once */
static bool is_down(int from, int to)
{
	return (compat[to] & compat[from]) == compat[from];
}

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

static bool owner_ok(struct grd_owner o)
{
	return o.ow_inst >= 1 && o.ow_inst <= RAC_MAX_INST;
}

static int bad(struct grd *g, int err)
{
	g->g_stats.st_bad++;
	return err;
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

static uint32_t name_hash(const void *name, size_t len)
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

/* bucket from the top bits; table slots from a remix of all bits */
static unsigned hash_bucket(uint32_t h)
{
	return h >> (32 - __builtin_ctz(GRD_NBUCKETS));
}

unsigned grd_bucket(const void *name, size_t namelen)
{
	return hash_bucket(name_hash(name, namelen));
}

/* ------------------------------------------------------------------ */
/* lock pool */

static inline struct grd_lock *L(const struct grd *g, uint32_t i)
{
	return &g->g_chunks[i >> POOL_SHIFT][i & (POOL_CHUNK - 1)];
}

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
			struct grd_lock **c = g_alloc(g, cap * sizeof(*c), false);

			if (!c)
				return RAC_ENOMEM;
			if (g->g_nchunks)
				memcpy(c, g->g_chunks, g->g_nchunks * sizeof(*c));
			g_free(g, g->g_chunks, g->g_chunks_cap * sizeof(*c));
			g->g_chunks = c;
			g->g_chunks_cap = cap;
		}
		g->g_chunks[g->g_nchunks] = g_alloc(g, POOL_CHUNK * sizeof(struct grd_lock), false);
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

static size_t slot_next(size_t i, unsigned bits)
{
	return (i + 1) & (((size_t)1 << bits) - 1);
}

/* is k (a home slot) cyclically outside (hole, j]? then j may move to hole */
static bool may_fill(size_t hole, size_t j, size_t k)
{
	return hole <= j ? (k <= hole || k > j) : (k <= hole && k > j);
}

/* ------------------------------------------------------------------ */
/* lock id -> pool index (3/4 full at most) */

/* ids are sequential: a multiplicative hash spreads them; home = top bits */
static uint32_t id_tag(uint64_t id)
{
	return (uint32_t)((id * GOLDEN64) >> 32);
}

static size_t tag_home(uint32_t tag, unsigned bits)
{
	return tag >> (32 - bits);
}

/* the slot holding id, or the empty slot where it would go */
static struct grd_islot *id_slot(const struct grd *g, uint64_t id)
{
	uint32_t tag = id_tag(id);

	for (size_t s = tag_home(tag, g->g_ids_bits);; s = slot_next(s, g->g_ids_bits)) {
		struct grd_islot *it = &g->g_ids[s];

		if (it->it_lock == NIL || (it->it_tag == tag && L(g, it->it_lock)->lk_id == id))
			return it;
	}
}

static uint32_t id_find(const struct grd *g, uint64_t id)
{
	return id ? id_slot(g, id)->it_lock : NIL;
}

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
	tab = g_alloc(g, ((size_t)1 << bits) * sizeof(*tab), true);
	if (!tab)
		return RAC_ENOMEM;
	if (g->g_ids) {
		for (size_t s = 0; s < ((size_t)1 << g->g_ids_bits); s++)
			if (g->g_ids[s].it_lock != NIL)
				id_put(tab, bits, g->g_ids[s].it_tag, g->g_ids[s].it_lock);
		g_free(g, g->g_ids, ((size_t)1 << g->g_ids_bits) * sizeof(*tab));
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

static unsigned res_class(size_t namelen)
{
	return (unsigned)((RES_HDR + namelen + 15) / 16 - 2);
}

static size_t class_size(unsigned c)
{
	return c == LVB_SLAB ? GRD_LVB_LEN : (c + 2) * 16;
}

static uint8_t *slab_at(const struct grd *g, uint32_t h)
{
	unsigned c = h >> RH_CLASS_SHIFT;
	uint32_t i = h & RH_INDEX;

	return g->g_rslab[c].rs_chunks[i >> RSLAB_SHIFT] +
	       (size_t)(i & (RSLAB_CHUNK - 1)) * class_size(c);
}

static struct grd_res *res_at(const struct grd *g, uint32_t h)
{
	return (struct grd_res *)(void *)slab_at(g, h);
}

static int rslab_reserve(struct grd *g, unsigned c, size_t n)
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
			uint8_t **ch = g_alloc(g, ncap * sizeof(*ch), false);

			if (!ch)
				return RAC_ENOMEM;
			if (sl->rs_nchunks)
				memcpy(ch, sl->rs_chunks, sl->rs_nchunks * sizeof(*ch));
			g_free(g, sl->rs_chunks, sl->rs_cap * sizeof(*ch));
			sl->rs_chunks = ch;
			sl->rs_cap = ncap;
		}
		sl->rs_chunks[sl->rs_nchunks] = g_alloc(g, RSLAB_CHUNK * class_size(c), false);
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

static size_t res_home(uint32_t h, unsigned bits)
{
	return (size_t)((uint32_t)(h * GOLDEN32) >> (32 - bits));
}

/* the slot holding the name, or the empty slot where it would go */
static struct grd_rslot *res_slot(const struct grd *g, uint32_t h, const void *name, size_t len)
{
	for (size_t s = res_home(h, g->g_res_bits);; s = slot_next(s, g->g_res_bits)) {
		struct grd_rslot *rt = &g->g_res[s];

		if (!rt->rt_res)
			return rt;
		if (rt->rt_hash == h) {
			const struct grd_res *r = res_at(g, rt->rt_res);

			if (r->res_namelen == len && memcmp(r->res_name, name, len) == 0)
				return rt;
		}
	}
}

/* the resource in slot s, or NULL */
static struct grd_res *res_in(const struct grd *g, size_t s)
{
	return g->g_res[s].rt_res ? res_at(g, g->g_res[s].rt_res) : NULL;
}

static size_t res_slots(const struct grd *g)
{
	return (size_t)1 << g->g_res_bits;
}

static int res_reserve(struct grd *g, size_t more)
{
	unsigned bits;
	struct grd_rslot *tab;

	if (g->g_res && fits(g->g_res_n + more, g->g_res_bits, 3, 4))
		return 0;
	bits = bits_for(g->g_res_n + more, 3, 4);
	if (bits > 32)
		return RAC_ENOMEM;
	tab = g_alloc(g, ((size_t)1 << bits) * sizeof(*tab), true);
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
		g_free(g, g->g_res, res_slots(g) * sizeof(*tab));
	}
	g->g_res = tab;
	g->g_res_bits = bits;
	return 0;
}

/* a new resource in the empty slot res_slot() gave; slab room reserved */
static struct grd_res *res_create(struct grd *g, struct grd_rslot *rt, uint32_t h,
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

static void res_destroy(struct grd *g, struct grd_res *r)
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

static bool res_empty(const struct grd_res *r)
{
	return !r->res_q[Q_GRANT] && !r->res_q[Q_CONVERT] && !r->res_q[Q_WAIT];
}

/* a resource goes with its last lock, unless its value block is dubious */
static void res_maybe_free(struct grd *g, struct grd_res *r)
{
	if (res_empty(r) && !(r->res_flags & RES_DUBIOUS))
		res_destroy(g, r);
}

static const uint8_t lvb_zero[GRD_LVB_LEN];

static const uint8_t *res_lvb(const struct grd *g, const struct grd_res *r)
{
	return r->res_lvb ? slab_at(g, r->res_lvb) : lvb_zero;
}

/* room for the value block writing lvb to r may need: before the first change */
static int lvb_reserve(struct grd *g, const struct grd_res *r, const uint8_t *lvb)
{
	return r->res_lvb || !memcmp(lvb, lvb_zero, GRD_LVB_LEN) ? 0 : rslab_reserve(g, LVB_SLAB, 1);
}

/* room reserved (zeros need none) */
static void lvb_write(struct grd *g, struct grd_res *r, const uint8_t *lvb)
{
	if (!r->res_lvb && memcmp(lvb, lvb_zero, GRD_LVB_LEN))
		r->res_lvb = rslab_get(g, LVB_SLAB);
	if (r->res_lvb)
		memcpy(slab_at(g, r->res_lvb), lvb, GRD_LVB_LEN);
	r->res_flags &= (uint8_t)~RES_DUBIOUS;
}

/* ------------------------------------------------------------------ */
/* owner -> lock list (1/2 full at most) */

static uint64_t owner_key(uint8_t inst, uint32_t client)
{
	return (uint64_t)inst << 32 | client;
}

static size_t own_home(uint64_t key, unsigned bits)
{
	return (size_t)((key * GOLDEN64) >> (64 - bits));
}

static struct grd_orec *own_slot(const struct grd *g, uint8_t inst, uint32_t client)
{
	uint64_t key = owner_key(inst, client);

	for (size_t s = own_home(key, g->g_own_bits);; s = slot_next(s, g->g_own_bits)) {
		struct grd_orec *o = &g->g_own[s];

		if (!o->or_inst || (o->or_inst == inst && o->or_client == client))
			return o;
	}
}

static struct grd_orec *own_find(const struct grd *g, uint8_t inst, uint32_t client)
{
	struct grd_orec *o = own_slot(g, inst, client);

	return o->or_inst ? o : NULL;
}

static int own_reserve(struct grd *g, size_t more)
{
	unsigned bits;
	struct grd_orec *tab;

	if (g->g_own && fits(g->g_own_n + more, g->g_own_bits, 1, 2))
		return 0;
	bits = bits_for(g->g_own_n + more, 1, 2);
	tab = g_alloc(g, ((size_t)1 << bits) * sizeof(*tab), true);
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
		g_free(g, g->g_own, ((size_t)1 << g->g_own_bits) * sizeof(*tab));
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
/* intrusive circular lists of pool indexes */

static struct grd_link *LN(const struct grd *g, uint32_t i, int kind)
{
	struct grd_lock *l = L(g, i);

	return kind == LQ ? &l->lk_q : &l->lk_o;
}

static void list_add(struct grd *g, uint32_t *head, uint32_t i, int kind)
{
	struct grd_link *n = LN(g, i, kind);

	if (*head == NIL) {
		n->ln_prev = n->ln_next = i;
		*head = i;
		return;
	}
	struct grd_link *h = LN(g, *head, kind);
	uint32_t tail = h->ln_prev;

	n->ln_prev = tail;
	n->ln_next = *head;
	LN(g, tail, kind)->ln_next = i;
	h->ln_prev = i;
}

static void list_del(struct grd *g, uint32_t *head, uint32_t i, int kind)
{
	struct grd_link *n = LN(g, i, kind);

	if (n->ln_next == i) {
		*head = NIL;
	} else {
		LN(g, n->ln_prev, kind)->ln_next = n->ln_next;
		LN(g, n->ln_next, kind)->ln_prev = n->ln_prev;
		if (*head == i)
			*head = n->ln_next;
	}
	n->ln_prev = n->ln_next = NIL;
}

/* the one after i, NIL at the end; safe to take before i is removed */
static uint32_t list_next(const struct grd *g, uint32_t head, uint32_t i, int kind)
{
	uint32_t n = LN(g, i, kind)->ln_next;

	return n == head ? NIL : n;
}

#define FOR_QUEUE(g, r, q, i) \
	for (uint32_t i = (r)->res_q[q]; i != NIL; i = list_next(g, (r)->res_q[q], i, LQ))

static size_t queue_len(const struct grd *g, const struct grd_res *r, int q)
{
	size_t n = 0;

	FOR_QUEUE(g, r, q, i)
		n++;
	return n;
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

static int heap_reserve(struct grd *g, size_t more)
{
	size_t need = g->g_heap_n + more + 1, cap;
	struct grd_hent *h;

	if (need <= g->g_heap_cap)
		return 0;
	for (cap = g->g_heap_cap ? g->g_heap_cap : 64; cap < need; cap *= 2)
		;
	h = g_alloc(g, cap * sizeof(*h), false);
	if (!h)
		return RAC_ENOMEM;
	if (g->g_heap)
		memcpy(h, g->g_heap, (g->g_heap_n + 1) * sizeof(*h));
	g_free(g, g->g_heap, g->g_heap_cap * sizeof(*h));
	g->g_heap = h;
	g->g_heap_cap = cap;
	return 0;
}

static void heap_insert(struct grd *g, uint32_t i, uint64_t deadline)
{
	g->g_heap_n++;
	heap_set(g, g->g_heap_n, (struct grd_hent){ .he_deadline = deadline, .he_lock = i });
	heap_up(g, g->g_heap_n);
}

static void heap_remove(struct grd *g, uint32_t i)
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

/* a queued request's deadline, 0 if none */
static uint64_t lock_deadline(const struct grd *g, const struct grd_lock *l)
{
	return l->lk_heap ? g->g_heap[l->lk_heap].he_deadline : 0;
}

/* ------------------------------------------------------------------ */
/* events */

static int ev_grow(struct grd *g)
{
	size_t cap = g->g_ev_cap ? 2 * g->g_ev_cap : 64;
	struct grd_event *e = g_alloc(g, cap * sizeof(*e), false);

	if (!e)
		return RAC_ENOMEM;
	for (size_t k = 0; k < g->g_ev_n; k++)
		e[k] = g->g_ev[(g->g_ev_head + k) & (g->g_ev_cap - 1)];
	g_free(g, g->g_ev, g->g_ev_cap * sizeof(*e));
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
		g_free(g, g->g_ev, g->g_ev_cap * sizeof(*ev));
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
/* locks in and out of the table */

static bool same_owner(const struct grd_lock *a, const struct grd_lock *b)
{
	return a->lk_inst == b->lk_inst && a->lk_client == b->lk_client;
}

/*
 * A lock with its id, owner and resource set; room reserved everywhere.
 * `it`: the empty id slot the caller found for it (import), or NULL.
 */
static uint32_t lock_create(struct grd *g, struct grd_res *r, uint64_t id, struct grd_owner ow,
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
static void lock_destroy(struct grd *g, uint32_t i)
{
	struct grd_lock *l = L(g, i);
	struct grd_orec *o = own_find(g, l->lk_inst, l->lk_client);

	list_del(g, &l->lk_res->res_q[l->lk_state], i, LQ);
	heap_remove(g, i);
	list_del(g, &o->or_head, i, LO);
	if (--o->or_nlocks == 0)
		own_delete(g, o);
	id_delete(g, i);
	pool_put(g, i);
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

	heap_remove(g, i);
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

	heap_remove(g, i);
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
		lock_destroy(g, i);
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
static void res_changed(struct grd *g, struct grd_res *r)
{
	res_settle(g, r);
	res_maybe_free(g, r);
}

/* everything one request may need, before the first change */
static int reserve(struct grd *g, size_t nres, size_t nlocks, size_t nowners, size_t nheap)
{
	int rc;

	if ((rc = res_reserve(g, nres)) || (rc = id_reserve(g, nlocks)) ||
	    (rc = pool_reserve(g, nlocks)) || (rc = own_reserve(g, nowners)) ||
	    (rc = heap_reserve(g, nheap)))
		return rc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the table */

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
	if (reserve(g, capacity_hint, capacity_hint, 16, 0)) {
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
	if (g->g_id_next >= g->g_id_end)
		return RAC_ERANGE;
	if ((rc = reserve(g, 1, 1, 1, deadline_ns ? 1 : 0)) ||
	    (rc = rslab_reserve(g, res_class(namelen), 1)))
		return rc;

	uint32_t h = name_hash(name, namelen);

	slot = res_slot(g, h, name, namelen);
	r = slot->rt_res ? res_at(g, slot->rt_res) : res_create(g, slot, h, name, namelen);
	g->g_stats.st_requests++;
	grantable = !r->res_q[Q_WAIT] && compat_all(mode, held_modes(g, r, NIL)) &&
		    compat_all(mode, converting_modes(g, r));
	if (!grantable && (flags & GRD_NOQUEUE)) {
		g->g_stats.st_noqueue++;
		res_maybe_free(g, r);
		return GRD_ENOTQUEUED;
	}
	i = lock_create(g, r, g->g_id_next++, owner, NULL);
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
		heap_insert(g, i, deadline_ns);
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
	if (deadline_ns && (rc = heap_reserve(g, 1)))
		return rc;
	if (lvb_in && old >= GRD_PW && is_down(old, mode) && (rc = lvb_reserve(g, r, lvb_in)))
		return rc;
	g->g_stats.st_conversions++;

	if (is_down(old, mode)) {
		if (lvb_in && old >= GRD_PW)
			lvb_write(g, r, lvb_in);
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
		heap_insert(g, i, deadline_ns);
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
	    (rc = lvb_reserve(g, r, lvb_in)))
		return rc;
	if (l->lk_state == Q_WAIT) {
		g->g_stats.st_cancels++;
	} else {
		if (lvb_in && l->lk_grmode >= GRD_PW)
			lvb_write(g, r, lvb_in);
		g->g_stats.st_releases++;
	}
	lock_destroy(g, i);
	res_changed(g, r);
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
		lock_destroy(g, i);
	res_changed(g, r);
	return 0;
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
			lock_destroy(g, i);
			g->g_stats.st_dropped_locks++;
		}
	}
	for (size_t k = 0; k < nt; k++) {
		touched[k]->res_flags &= (uint8_t)~RES_TOUCHED;
		res_changed(g, touched[k]);
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
		res_changed(g, r);
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
		res_changed(g, r);
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
	res_changed(g, r);
	return 0;
}

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

int grd_foreach_resource(const struct grd *g, grd_res_fn fn, void *arg)
{
	if (!g || !fn)
		return RAC_EINVAL;
	for (size_t s = 0; s < res_slots(g); s++) {
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
		if ((rc = fn(&ri, arg)))
			return rc;
	}
	return 0;
}

int grd_foreach_lock(const struct grd *g, grd_lock_fn fn, void *arg)
{
	if (!g || !fn)
		return RAC_EINVAL;
	for (size_t s = 0; s < res_slots(g); s++) {
		const struct grd_res *r = res_in(g, s);
		struct res_scan sc;

		if (!r || res_empty(r))
			continue;
		res_scan(g, r, &sc);
		for (int q = Q_GRANT; q <= Q_WAIT; q++) {
			FOR_QUEUE(g, r, q, i) {
				struct grd_lock_info li;
				int rc;

				lock_info(g, r, &sc, i, &li);
				if ((rc = fn(&li, arg)))
					return rc;
			}
		}
	}
	return 0;
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
						lock_destroy(g, r->res_q[q]);
				res_destroy(g, r);
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
	uint32_t i = lock_create(g, r, xl->xl_lkid, xl->xl_owner, it);
	struct grd_lock *l = L(g, i);

	l->lk_state = xl->xl_state;
	l->lk_rqmode = xl->xl_rqmode;
	l->lk_grmode = xl->xl_state == GRD_LK_WAITING ? GRD_IV : xl->xl_grmode;
	if (xl->xl_state == GRD_LK_GRANTED)
		l->lk_rqmode = l->lk_grmode;
	l->lk_bast = xl->xl_bast;
	list_add(g, &r->res_q[l->lk_state], i, LQ);
	if (l->lk_state != Q_GRANT && xl->xl_deadline)
		heap_insert(g, i, xl->xl_deadline);
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
	if ((rc = reserve(g, x->x_nres, x->x_nlocks, 0, nheap)))
		return rc;
	for (unsigned c = 0; c <= LVB_SLAB; c++)
		if ((rc = rslab_reserve(g, c, per_class[c])))
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
			uint32_t ha = name_hash(xa->xr_name, xa->xr_namelen);

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
		r = res_create(g, rt, h, xr->xr_name, xr->xr_namelen);
		done[nd++] = r;
		lvb_write(g, r, xr->xr_lvb);
		if (xr->xr_dubious)
			r->res_flags |= RES_DUBIOUS;
		for (uint32_t j = 0; j < xr->xr_nlocks; j++) {
			const struct grd_xlock *xl = &x->x_locks[k++];
			struct grd_islot *it = id_slot(g, xl->xl_lkid);

			if (it->it_lock != NIL) {
				rc = GRD_EIMPORT;
				goto undo;
			}
			if ((rc = own_reserve(g, 1)))
				goto undo;
			import_lock(g, r, xl, it);
		}
	}
	for (size_t n = 0; n < nd; n++)
		res_changed(g, done[n]);
	g->g_stats.st_imported += x->x_nlocks;
	free(done);
	return 0;

undo:
	while (nd) {
		struct grd_res *r = done[--nd];

		for (int q = Q_GRANT; q <= Q_WAIT; q++)
			while (r->res_q[q] != NIL)
				lock_destroy(g, r->res_q[q]);
		res_destroy(g, r);
	}
	free(done);
	return rc == GRD_EIMPORT ? bad(g, rc) : rc;
}

bool grd_has_resource(const struct grd *g, const void *name, size_t namelen)
{
	if (!g || !name || !namelen || namelen > GRD_NAME_MAX)
		return false;
	return res_slot(g, name_hash(name, namelen), name, namelen)->rt_res != 0;
}

/* ------------------------------------------------------------------ */
/* counters and names */

void grd_stats(const struct grd *g, struct grd_stats *st)
{
	if (!g || !st)
		return;
	*st = g->g_stats;
	st->st_resources = g->g_res_n;
	st->st_locks = g->g_nlocks;
}

void grd_mem(const struct grd *g, struct grd_mem *m)
{
	if (!g || !m)
		return;
	m->gm_bytes = g->g_mem_bytes;
	m->gm_allocs = g->g_mem_allocs;
}

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
