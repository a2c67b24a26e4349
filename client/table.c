/*
 * table.c - the client's bookkeeping; see client.h.
 *
 * Request slots: an array that doubles up to CL_MAX_SLOTS, with a free
 * list.  A request id is the slot index in the low CL_SLOT_BITS bits and
 * the slot's generation (bumped at every reuse, 1..0x7fff) above, so an id
 * is unique among the requests in flight, stays positive as an int, and a
 * late reply to a slot's previous request is recognised as stale.
 *
 * Locks: open addressing with linear probing by lock id (never 0), kept at
 * most 3/4 full, deletion by backward shift (no tombstones).  Grows with
 * the number of locks the handle holds, never beyond.
 *
 * Delivery: completed slots wait in a FIFO threaded through sl_next;
 * blocking notifications in a fixed ring.  Both carry a sequence number so
 * that req.c delivers them merged, in the order they came.
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define GEN_MAX 0x7fff

/* ---- request slots ----------------------------------------------------- */

static int slots_grow(struct racrt *r)
{
	uint32_t n = r->r_nslots ? r->r_nslots * 2 : 64;
	struct cl_slot *s;

	if (r->r_nslots >= CL_MAX_SLOTS)
		return RACRT_EAGAIN;
	if (n > CL_MAX_SLOTS)
		n = CL_MAX_SLOTS;
	s = realloc(r->r_slots, n * sizeof(*s));
	if (!s)
		return RACRT_ENOMEM;
	memset(s + r->r_nslots, 0, (n - r->r_nslots) * sizeof(*s));
	/* push the new slots so the lowest index comes out first */
	for (uint32_t i = n; i-- > r->r_nslots;) {
		s[i].sl_next = r->r_free;
		r->r_free = (int32_t)i;
	}
	r->r_slots = s;
	r->r_nslots = n;
	return 0;
}

int slot_alloc(struct racrt *r)
{
	struct cl_slot *s;
	uint16_t gen;
	int idx, rc;

	if (r->r_free < 0 && (rc = slots_grow(r)) != 0)
		return rc;
	idx = r->r_free;
	s = &r->r_slots[idx];
	r->r_free = s->sl_next;
	gen = s->sl_gen >= GEN_MAX ? 1 : (uint16_t)(s->sl_gen + 1);
	memset(s, 0, sizeof(*s));
	s->sl_gen = gen;
	s->sl_state = SL_NEW;
	s->sl_next = -1;
	s->sl_mode = RACRT_IV;
	r->r_active++;
	return idx;
}

void slot_free(struct racrt *r, int idx)
{
	struct cl_slot *s = &r->r_slots[idx];

	s->sl_state = SL_FREE;
	s->sl_cb = NULL;
	s->sl_arg = NULL;
	s->sl_next = r->r_free;
	r->r_free = idx;
	r->r_active--;
}

int slot_req(const struct racrt *r, int idx)
{
	return (int)((uint32_t)r->r_slots[idx].sl_gen << CL_SLOT_BITS | (uint32_t)idx);
}

int slot_by_req(const struct racrt *r, uint32_t req)
{
	uint32_t idx = req & (CL_MAX_SLOTS - 1), gen = req >> CL_SLOT_BITS;

	if (idx >= r->r_nslots || gen == 0 || gen > GEN_MAX)
		return -1;
	if (r->r_slots[idx].sl_gen != gen || r->r_slots[idx].sl_state == SL_FREE)
		return -1;
	return (int)idx;
}

void slot_done_push(struct racrt *r, int idx)
{
	struct cl_slot *s = &r->r_slots[idx];

	s->sl_state = SL_DONE;
	s->sl_done_seq = ++r->r_dseq;
	s->sl_next = -1;
	if (r->r_dtail >= 0)
		r->r_slots[r->r_dtail].sl_next = idx;
	else
		r->r_dhead = idx;
	r->r_dtail = idx;
}

int slot_done_pop(struct racrt *r)
{
	int idx = r->r_dhead;

	if (idx < 0)
		return -1;
	r->r_dhead = r->r_slots[idx].sl_next;
	if (r->r_dhead < 0)
		r->r_dtail = -1;
	return idx;
}

/* ---- locks by id ---------------------------------------------------------- */

static uint32_t lock_home(uint64_t lkid, uint32_t cap)
{
	return (uint32_t)((lkid * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

struct cl_lock *lock_get(struct racrt *r, uint64_t lkid)
{
	if (!r->r_lcap || !lkid)
		return NULL;
	for (uint32_t i = lock_home(lkid, r->r_lcap);; i = (i + 1) & (r->r_lcap - 1)) {
		if (r->r_locks[i].lo_lkid == lkid)
			return &r->r_locks[i];
		if (!r->r_locks[i].lo_lkid)
			return NULL;
	}
}

static int locks_grow(struct racrt *r)
{
	uint32_t cap = r->r_lcap ? r->r_lcap * 2 : 64;
	struct cl_lock *old = r->r_locks, *t;

	if (cap < r->r_lcap)
		return RACRT_ENOMEM;
	t = calloc(cap, sizeof(*t));
	if (!t)
		return RACRT_ENOMEM;
	for (uint32_t j = 0; j < r->r_lcap; j++) {
		uint32_t i;

		if (!old[j].lo_lkid)
			continue;
		for (i = lock_home(old[j].lo_lkid, cap); t[i].lo_lkid; i = (i + 1) & (cap - 1))
			;
		t[i] = old[j];
	}
	free(old);
	r->r_locks = t;
	r->r_lcap = cap;
	return 0;
}

struct cl_lock *lock_add(struct racrt *r, uint64_t lkid)
{
	struct cl_lock *lo = lock_get(r, lkid);
	uint32_t i;

	if (lo)
		return lo;
	if (!lkid)
		return NULL;
	if ((r->r_lcount + 1) * 4 > r->r_lcap * 3 && locks_grow(r))
		return NULL;
	for (i = lock_home(lkid, r->r_lcap); r->r_locks[i].lo_lkid; i = (i + 1) & (r->r_lcap - 1))
		;
	lo = &r->r_locks[i];
	lo->lo_lkid = lkid;
	lo->lo_pending = -1;
	lo->lo_mode = RACRT_IV;
	lo->lo_releasing = 0;
	lo->lo_fslot = 0;
	lo->lo_fent = 0;
	r->r_lcount++;
	return lo;
}

void lock_del(struct racrt *r, uint64_t lkid)
{
	struct cl_lock *lo = lock_get(r, lkid);
	uint32_t mask, i, j;

	if (!lo)
		return;
	mask = r->r_lcap - 1;
	i = (uint32_t)(lo - r->r_locks);
	/* backward shift: pull later cells of the run into the hole */
	for (j = i;;) {
		uint32_t k;

		j = (j + 1) & mask;
		if (!r->r_locks[j].lo_lkid)
			break;
		k = lock_home(r->r_locks[j].lo_lkid, r->r_lcap);
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;	/* its home is between the hole and it: stays */
		r->r_locks[i] = r->r_locks[j];
		i = j;
	}
	memset(&r->r_locks[i], 0, sizeof(r->r_locks[i]));
	r->r_lcount--;
}

/* ---- blocking notifications ------------------------------------------------ */

int bast_push(struct racrt *r, uint64_t lkid, int mode)
{
	struct cl_bast *bn;

	if (!r->r_basts && !(r->r_basts = calloc(CL_MAX_BASTS, sizeof(*r->r_basts))))
		return RACRT_ENOMEM;
	if (r->r_blen >= CL_MAX_BASTS)
		return RACRT_EAGAIN;
	bn = &r->r_basts[(r->r_bhead + r->r_blen) % CL_MAX_BASTS];
	bn->bn_lkid = lkid;
	bn->bn_mode = (int8_t)mode;
	bn->bn_seq = ++r->r_dseq;
	r->r_blen++;
	return 0;
}

bool bast_peek(const struct racrt *r, struct cl_bast *bn)
{
	if (!r->r_blen)
		return false;
	*bn = r->r_basts[r->r_bhead];
	return true;
}

void bast_pop(struct racrt *r)
{
	if (!r->r_blen)
		return;
	r->r_bhead = (r->r_bhead + 1) % CL_MAX_BASTS;
	r->r_blen--;
}

/* ---- events that came early -------------------------------------------------- */

void early_put(struct racrt *r, const struct msg_lk *lk)
{
	struct cl_early *e = &r->r_early[r->r_early_next++ % CL_EARLY];

	e->ea_lk = *lk;
	e->ea_ns = rac_now_mono_ns();
}

/* the oldest kept event of lkid younger than the reply bound */
bool early_take(struct racrt *r, uint64_t lkid, struct msg_lk *lk)
{
	uint64_t now = rac_now_mono_ns(), bound = (uint64_t)r->r_reply_ms * 1000000ull;
	struct cl_early *best = NULL;

	for (int i = 0; i < CL_EARLY; i++) {
		struct cl_early *e = &r->r_early[i];

		if (!e->ea_ns)
			continue;
		if (now - e->ea_ns > bound) {
			e->ea_ns = 0;
			continue;
		}
		if (e->ea_lk.lk_lkid == lkid && (!best || e->ea_ns < best->ea_ns))
			best = e;
	}
	if (!best)
		return false;
	*lk = best->ea_lk;
	best->ea_ns = 0;
	return true;
}

/* ---- requests of the client's own --------------------------------------------- */

void todo_add(struct racrt *r, int op, uint64_t lkid)
{
	if (r->r_ntodo == r->r_todocap) {
		uint32_t cap = r->r_todocap ? r->r_todocap * 2 : 16;
		struct cl_todo *t = realloc(r->r_todo, cap * sizeof(*t));

		if (!t)
			return;	/* the lock stays until the process ends */
		r->r_todo = t;
		r->r_todocap = cap;
	}
	r->r_todo[r->r_ntodo++] = (struct cl_todo){ .td_lkid = lkid, .td_op = (uint8_t)op };
}

void table_free(struct racrt *r)
{
	free(r->r_slots);
	free(r->r_locks);
	free(r->r_basts);
	free(r->r_todo);
	r->r_slots = NULL;
	r->r_locks = NULL;
	r->r_basts = NULL;
	r->r_todo = NULL;
	r->r_nslots = r->r_lcap = r->r_lcount = r->r_ntodo = r->r_todocap = 0;
	r->r_free = r->r_dhead = r->r_dtail = -1;
}
