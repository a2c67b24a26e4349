/*
 * grd_int.h - the lock table's layout, shared by the files that make it.
 * Private to lms/grd*.c; everyone else sees grd.h only.
 *
 * How the table is laid out, and why:
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
 * The files:
 *
 *   grd_int.h    this layout, and what only reads it (the look-ups, the
 *                lists, the mode sets) as static inline functions
 *   grd_store.c  memory: the pool, the slabs, the tables, the heap, a lock
 *                in and out of all of them, gs_reserve(), grd_new/destroy
 *   grd.c        the rules: requests, grants, blocking notifications,
 *                events, dead owners, timeouts, deadlocks
 *   grd_view.c   the views: resources and locks as the caller sees them
 *   grd_xfer.c   remastering: export and import
 *   grd_cycle.c  a cycle in a wait-for graph (knows nothing of the table)
 *
 * The functions one file defines for another carry gs_ ("grd, shared"),
 * so that they cannot be taken for LMS's or the public grd_ ones.
 */
#ifndef RAC_GRD_INT_H
#define RAC_GRD_INT_H

#include <assert.h>
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
	size_t g_max_per_owner, g_max_locks;	/* grd_set_limits(); 0: none */

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

static inline bool mode_ok(int m)
{
	return m >= GRD_NL && m < GRD_NMODES;
}

/* m compatible with every mode in the set */
static inline bool compat_all(int m, unsigned set)
{
	return (set & ~(unsigned)compat[m]) == 0;
}

/* to is compatible with at least everything from was: granted at once */
static inline bool is_down(int from, int to)
{
	return (compat[to] & compat[from]) == compat[from];
}

static inline bool owner_ok(struct grd_owner o)
{
	return o.ow_inst >= 1 && o.ow_inst <= RAC_MAX_INST;
}

static inline int bad(struct grd *g, int err)
{
	g->g_stats.st_bad++;
	return err;
}

/* ------------------------------------------------------------------ */
/* the bucket of a name hash (gs_name_hash, grd_store.c) */

/* bucket from the top bits; table slots from a remix of all bits */
static inline unsigned hash_bucket(uint32_t h)
{
	return h >> (32 - __builtin_ctz(GRD_NBUCKETS));
}

/* ------------------------------------------------------------------ */
/* lock pool */

static inline struct grd_lock *L(const struct grd *g, uint32_t i)
{
	return &g->g_chunks[i >> POOL_SHIFT][i & (POOL_CHUNK - 1)];
}

/* ------------------------------------------------------------------ */
/* open-addressing tables */

static inline size_t slot_next(size_t i, unsigned bits)
{
	return (i + 1) & (((size_t)1 << bits) - 1);
}

/* ------------------------------------------------------------------ */
/* lock id -> pool index (3/4 full at most) */

/* ids are sequential: a multiplicative hash spreads them; home = top bits */
static inline uint32_t id_tag(uint64_t id)
{
	return (uint32_t)((id * GOLDEN64) >> 32);
}

static inline size_t tag_home(uint32_t tag, unsigned bits)
{
	return tag >> (32 - bits);
}

/* the slot holding id, or the empty slot where it would go */
static inline struct grd_islot *id_slot(const struct grd *g, uint64_t id)
{
	uint32_t tag = id_tag(id);

	for (size_t s = tag_home(tag, g->g_ids_bits);; s = slot_next(s, g->g_ids_bits)) {
		struct grd_islot *it = &g->g_ids[s];

		if (it->it_lock == NIL || (it->it_tag == tag && L(g, it->it_lock)->lk_id == id))
			return it;
	}
}

static inline uint32_t id_find(const struct grd *g, uint64_t id)
{
	return id ? id_slot(g, id)->it_lock : NIL;
}

/* ------------------------------------------------------------------ */
/*
 * resource and value-block slabs: a handle is (class << 28 | index), index 0
 * never used, so no handle is 0
 */

static inline unsigned res_class(size_t namelen)
{
	return (unsigned)((RES_HDR + namelen + 15) / 16 - 2);
}

static inline size_t class_size(unsigned c)
{
	return c == LVB_SLAB ? GRD_LVB_LEN : (c + 2) * 16;
}

static inline uint8_t *slab_at(const struct grd *g, uint32_t h)
{
	unsigned c = h >> RH_CLASS_SHIFT;
	uint32_t i = h & RH_INDEX;

	return g->g_rslab[c].rs_chunks[i >> RSLAB_SHIFT] +
	       (size_t)(i & (RSLAB_CHUNK - 1)) * class_size(c);
}

static inline struct grd_res *res_at(const struct grd *g, uint32_t h)
{
	return (struct grd_res *)(void *)slab_at(g, h);
}

/* ------------------------------------------------------------------ */
/* name -> resource (3/4 full at most) */

static inline size_t res_home(uint32_t h, unsigned bits)
{
	return (size_t)((uint32_t)(h * GOLDEN32) >> (32 - bits));
}

/* the slot holding the name, or the empty slot where it would go */
static inline struct grd_rslot *res_slot(const struct grd *g, uint32_t h,
					 const void *name, size_t len)
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
static inline struct grd_res *res_in(const struct grd *g, size_t s)
{
	return g->g_res[s].rt_res ? res_at(g, g->g_res[s].rt_res) : NULL;
}

static inline size_t res_slots(const struct grd *g)
{
	return (size_t)1 << g->g_res_bits;
}

static inline bool res_empty(const struct grd_res *r)
{
	return !r->res_q[Q_GRANT] && !r->res_q[Q_CONVERT] && !r->res_q[Q_WAIT];
}

static const uint8_t lvb_zero[GRD_LVB_LEN];

static inline const uint8_t *res_lvb(const struct grd *g, const struct grd_res *r)
{
	return r->res_lvb ? slab_at(g, r->res_lvb) : lvb_zero;
}

/* ------------------------------------------------------------------ */
/* owner -> lock list (1/2 full at most) */

static inline uint64_t owner_key(uint8_t inst, uint32_t client)
{
	return (uint64_t)inst << 32 | client;
}

static inline size_t own_home(uint64_t key, unsigned bits)
{
	return (size_t)((key * GOLDEN64) >> (64 - bits));
}

static inline struct grd_orec *own_slot(const struct grd *g, uint8_t inst, uint32_t client)
{
	uint64_t key = owner_key(inst, client);

	for (size_t s = own_home(key, g->g_own_bits);; s = slot_next(s, g->g_own_bits)) {
		struct grd_orec *o = &g->g_own[s];

		if (!o->or_inst || (o->or_inst == inst && o->or_client == client))
			return o;
	}
}

static inline struct grd_orec *own_find(const struct grd *g, uint8_t inst, uint32_t client)
{
	struct grd_orec *o = own_slot(g, inst, client);

	return o->or_inst ? o : NULL;
}

/* ------------------------------------------------------------------ */
/* intrusive circular lists of pool indexes */

static inline struct grd_link *LN(const struct grd *g, uint32_t i, int kind)
{
	struct grd_lock *l = L(g, i);

	return kind == LQ ? &l->lk_q : &l->lk_o;
}

static inline void list_add(struct grd *g, uint32_t *head, uint32_t i, int kind)
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

static inline void list_del(struct grd *g, uint32_t *head, uint32_t i, int kind)
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
static inline uint32_t list_next(const struct grd *g, uint32_t head, uint32_t i, int kind)
{
	uint32_t n = LN(g, i, kind)->ln_next;

	return n == head ? NIL : n;
}

#define FOR_QUEUE(g, r, q, i) \
	for (uint32_t i = (r)->res_q[q]; i != NIL; i = list_next(g, (r)->res_q[q], i, LQ))

static inline size_t queue_len(const struct grd *g, const struct grd_res *r, int q)
{
	size_t n = 0;

	FOR_QUEUE(g, r, q, i)
		n++;
	return n;
}

/* ------------------------------------------------------------------ */
/* deadline heap (grd_store.c) */

/* a queued request's deadline, 0 if none */
static inline uint64_t lock_deadline(const struct grd *g, const struct grd_lock *l)
{
	return l->lk_heap ? g->g_heap[l->lk_heap].he_deadline : 0;
}

/* ------------------------------------------------------------------ */
/* grd_store.c */

void *gs_alloc(struct grd *g, size_t n, bool zero);
void gs_free(struct grd *g, void *p, size_t n);
uint32_t gs_name_hash(const void *name, size_t len);
int gs_rslab_reserve(struct grd *g, unsigned c, size_t n);
struct grd_res *gs_res_create(struct grd *g, struct grd_rslot *rt, uint32_t h,
			      const void *name, size_t len);
void gs_res_destroy(struct grd *g, struct grd_res *r);
void gs_res_maybe_free(struct grd *g, struct grd_res *r);
int gs_lvb_reserve(struct grd *g, const struct grd_res *r, const uint8_t *lvb);
void gs_lvb_write(struct grd *g, struct grd_res *r, const uint8_t *lvb);
int gs_own_reserve(struct grd *g, size_t more);
int gs_heap_reserve(struct grd *g, size_t more);
void gs_heap_insert(struct grd *g, uint32_t i, uint64_t deadline);
void gs_heap_remove(struct grd *g, uint32_t i);
uint32_t gs_lock_create(struct grd *g, struct grd_res *r, uint64_t id, struct grd_owner ow,
			struct grd_islot *it);
void gs_lock_destroy(struct grd *g, uint32_t i);
int gs_reserve(struct grd *g, size_t nres, size_t nlocks, size_t nowners, size_t nheap);

/* grd.c */

void gs_res_changed(struct grd *g, struct grd_res *r);

#endif /* RAC_GRD_INT_H */
