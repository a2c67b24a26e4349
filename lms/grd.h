/*
 * grd.h - the Global Resource Directory's lock table (the core of LMS).
 *
 * One table holds the resources one LMS masters and every lock on them.  It
 * is pure: single-threaded, no I/O, no clock, no globals besides constants.
 * The caller (LMS) turns what it does into messages:
 *
 *   client: lock/convert/unlock -> LMS: grd_lock()/grd_convert()/grd_unlock()
 *   LMS: grd_next_event() -> client: grant, blocking notification, timeout,
 *                                    deadlock
 *
 * Rules (VMS/Oracle DLM semantics):
 *
 *  - A resource is a byte string of 1..GRD_NAME_MAX bytes.  It exists while
 *    any lock is on it, or while its value block is dubious.  Holding an NL
 *    lock is the way to keep a value block across idle periods.
 *  - Every lock sits on one of its resource's three queues: the grant queue
 *    (GRANTED), the convert queue (CONVERTING: it still holds its granted
 *    mode while it waits for the requested one) or the wait queue (WAITING:
 *    a new request, holding nothing).
 *  - The granted mode of every GRANTED or CONVERTING lock is compatible
 *    with every other one (the matrix below), always.
 *  - A conversion is granted when its requested mode is compatible with the
 *    granted modes of all OTHER locks and with the requested modes of the
 *    conversions queued ahead of it.  A down-conversion (to a mode
 *    compatible with at least everything the old one was) is granted at
 *    once.
 *  - A new request is granted when it is at the head of the wait queue (the
 *    wait queue is strictly FIFO: nothing overtakes a waiter, so a stream
 *    of compatible requests cannot starve an incompatible one), compatible
 *    with every granted mode, and compatible with the requested mode of
 *    every queued conversion (conversions are served first).
 *  - After any change (release, cancel, down-conversion, timeout, ...) the
 *    resource is re-evaluated: conversions in queue order until none more
 *    can be granted, then the wait queue from its head.  Afterwards no
 *    queued request is grantable (no lost wake-up).
 *  - Blocking notification: a GRANTED or CONVERTING lock whose granted mode
 *    blocks a queued request of mode M is told "M is waiting for you" once;
 *    it is told again only for a higher M, or after its granted mode
 *    changed.
 *  - Value block (GRD_LVB_LEN bytes, zero when the resource is created):
 *    handed out with every grant; written by an unlock, or a conversion
 *    down (or to the same mode), of a lock granted in PW or EX when the
 *    caller passes one (otherwise it is left as it was).  Losing a PW or EX
 *    holder through grd_drop_owner*() marks it dubious until the next such
 *    write.
 *
 * Compatibility (1 = compatible):
 *
 *          NL CR CW PR PW EX
 *      NL   1  1  1  1  1  1
 *      CR   1  1  1  1  1  0
 *      CW   1  1  1  0  0  0
 *      PR   1  1  0  1  0  0
 *      PW   1  1  0  0  0  0
 *      EX   1  0  0  0  0  0
 *
 * Errors: functions return 0 (or a positive status / count) or a negative
 * code: a GRD_E* code below (band -500..-599) or RAC_ENOMEM / RAC_EINVAL /
 * RAC_ERANGE from errors.h.  Every bad request (unknown lock id, bad mode,
 * bad name, bad owner, bad flags, wrong state) is refused without any
 * change and counted in st_bad.
 *
 * Memory: a lock is 48 bytes in a slab, a resource 32..96 bytes (22 plus
 * its name, rounded up to 16) in another; each has an 8-byte slot in a
 * hash table kept at most 3/4 full.  A value block takes 32 bytes (in a
 * slab of its own) once something other than zeros is written to it, and
 * a queued request's deadline a 16-byte heap entry.  About 100-125 bytes
 * per lock when every lock has its own resource with a short name and an
 * unwritten value block.  Slabs and tables never shrink.
 */
#ifndef RAC_GRD_H
#define RAC_GRD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errors.h"
#include "rac.h"

#define GRD_NAME_MAX	64	/* resource name, bytes (no NUL needed) */
#define GRD_LVB_LEN	32	/* lock value block, bytes */
#define GRD_NBUCKETS	1024	/* hash buckets for mastering (power of two) */

/*
 * lock ids of one table: id_base + 1, id_base + 2, ... below id_base + 2^47;
 * the upper half of the 2^48 space is left to the caller (LMS gives it to
 * the SGA lock cache), and imported ids there do not move the counter
 */
#define GRD_ID_SPACE_BITS	48

enum grd_mode {
	GRD_IV = -1,		/* no mode (a waiting request holds none) */
	GRD_NL = 0,		/* null */
	GRD_CR,			/* concurrent read */
	GRD_CW,			/* concurrent write */
	GRD_PR,			/* protected read */
	GRD_PW,			/* protected write */
	GRD_EX,			/* exclusive */
	GRD_NMODES
};

/* positive results of grd_lock()/grd_convert() */
enum grd_status {
	GRD_GRANTED = 0,	/* granted now (no event follows) */
	GRD_QUEUED = 1,		/* queued: an event will say what became of it */
};

/* request flags */
#define GRD_NOQUEUE	0x1u	/* fail with GRD_ENOTQUEUED rather than wait */

/* where a lock is; also the index of its queue */
enum grd_lock_state {
	GRD_LK_GRANTED = 0,
	GRD_LK_CONVERTING = 1,
	GRD_LK_WAITING = 2,
};

enum grd_error {
	GRD_EUNKNOWN = -500,	/* no lock with that id (never was, or gone) */
	GRD_EBADMODE = -501,	/* mode outside NL..EX */
	GRD_ENAMELEN = -502,	/* resource name empty or longer than 64 bytes */
	GRD_EBADOWNER = -503,	/* instance outside 1..RAC_MAX_INST */
	GRD_EBADFLAGS = -504,	/* unknown flag bits */
	GRD_ENOTGRANTED = -505,	/* convert or value-block read of a lock that
				 * is waiting, or convert of a converting one */
	GRD_ENOTPENDING = -506,	/* cancel of a lock with no pending request */
	GRD_ENOTQUEUED = -507,	/* NOQUEUE request not grantable at once */
	GRD_EDEADLK = -508,	/* request chosen as a deadlock victim */
	GRD_ETIMEDOUT = -509,	/* request's deadline passed */
	GRD_EIMPORT = -510,	/* import records inconsistent or clashing */
	GRD_ELIMIT = -514,	/* a quota (grd_set_limits) is reached */
};

/*
 * A lock's owner: a client session on an instance.  ow_inst is 1..32,
 * ow_client a client id (or pid) unique on that instance.
 */
struct grd_owner {
	uint32_t ow_client;
	uint8_t ow_inst;
};

/*
 * Events the table records for the caller to deliver, in the order they
 * happened.  An event may name a lock that is gone by the time it is
 * drained (say, unlocked right after); the caller may drop those.
 */
enum grd_event_type {
	GRD_EV_GRANTED = 1,	/* a queued request (new or conversion) was granted */
	GRD_EV_BLOCKING,	/* this holder blocks a waiter of mode ev_mode */
	GRD_EV_TIMEDOUT,	/* the request's deadline passed; it failed */
	GRD_EV_DEADLOCK,	/* the request was a deadlock victim; it failed */
};

struct grd_event {
	uint64_t ev_lkid;
	struct grd_owner ev_owner;	/* whom to tell */
	uint8_t ev_type;		/* enum grd_event_type */
	/*
	 * GRANTED: the mode now granted.  BLOCKING: the blocked waiter's mode.
	 * TIMEDOUT/DEADLOCK: the mode the lock still holds: a failed conversion
	 * leaves the lock GRANTED in its old mode; a failed new request is
	 * gone (GRD_IV).
	 */
	int8_t ev_mode;
	bool ev_dubious;		/* GRANTED: the value block is dubious */
	int ev_status;			/* 0, or GRD_ETIMEDOUT / GRD_EDEADLK */
	uint8_t ev_lvb[GRD_LVB_LEN];	/* GRANTED: the value block */
};

struct grd_stats {
	uint64_t st_requests;		/* new lock requests (valid ones) */
	uint64_t st_conversions;	/* conversion requests (valid ones) */
	uint64_t st_grants;		/* grants, at once or after waiting */
	uint64_t st_queued;		/* requests that had to wait */
	uint64_t st_releases;		/* unlocks of granted/converting locks */
	uint64_t st_cancels;		/* cancelled requests (cancel or unlock) */
	uint64_t st_noqueue;		/* NOQUEUE requests refused */
	uint64_t st_basts;		/* blocking notifications */
	uint64_t st_deadlocks;		/* deadlock victims */
	uint64_t st_timeouts;		/* requests timed out */
	uint64_t st_bad;		/* bad requests refused */
	uint64_t st_owner_drops;	/* dead owners whose locks were dropped */
	uint64_t st_dropped_locks;	/* locks those drops released */
	uint64_t st_exported;		/* locks exported with GRD_EXPORT_MOVE */
	uint64_t st_imported;		/* locks imported */
	uint64_t st_ev_lost;		/* events lost to out-of-memory */
	uint64_t st_resources;		/* now */
	uint64_t st_locks;		/* now */
};

/* what the table holds from malloc (for the memory budget) */
struct grd_mem {
	size_t gm_bytes;	/* bytes requested */
	size_t gm_allocs;	/* live allocations */
};

struct grd;

/*
 * capacity_hint: expected number of locks (sizes the tables; 0 is fine).
 * id_base: a multiple of 2^GRD_ID_SPACE_BITS chosen by the caller so that
 * the ids of every table in the cluster, in every incarnation, differ
 * (e.g. instance number and incarnation in the top 16 bits): ids survive
 * remastering into another table.  NULL on out-of-memory or a bad id_base.
 */
struct grd *grd_new(size_t capacity_hint, uint64_t id_base);
void grd_destroy(struct grd **gp);

/*
 * Quotas on new locks (grd_lock): at most per_owner locks of one owner, and
 * at most total locks, in this table; 0 is no quota.  A request past one
 * gets GRD_ELIMIT and changes nothing.  Locks already held, and imports
 * (remastering), are never refused.
 */
void grd_set_limits(struct grd *g, size_t per_owner, size_t total);

/*
 * Request a lock of `mode` on a resource.  deadline_ns: monotonic ns after
 * which a queued request fails at the next grd_expire() (0: none).
 * Returns GRD_GRANTED or GRD_QUEUED with *lkid set, or an error (nothing
 * changed; *lkid untouched).
 */
int grd_lock(struct grd *g, const void *name, size_t namelen, struct grd_owner owner,
	     int mode, unsigned flags, uint64_t deadline_ns, uint64_t *lkid);

/*
 * Convert a GRANTED lock to `mode`.  A down-conversion (or same mode) is
 * granted at once and, from PW or EX, writes lvb_in if given.  Otherwise
 * GRD_GRANTED if grantable now, GRD_ENOTQUEUED with NOQUEUE, else
 * GRD_QUEUED (the lock keeps its granted mode while it waits).
 */
int grd_convert(struct grd *g, uint64_t lkid, int mode, unsigned flags,
		uint64_t deadline_ns, const uint8_t *lvb_in);

/*
 * Release a lock (GRANTED, or CONVERTING: the pending conversion goes with
 * it), writing lvb_in (GRD_LVB_LEN bytes, may be NULL) if it was granted
 * in PW or EX; or cancel a WAITING request.  The id is dead afterwards.
 */
int grd_unlock(struct grd *g, uint64_t lkid, const uint8_t *lvb_in);

/*
 * Cancel a pending request: a conversion (the lock stays GRANTED in its
 * old mode) or a new request (the lock is gone).  GRD_ENOTPENDING on a
 * GRANTED lock.
 */
int grd_cancel(struct grd *g, uint64_t lkid);

/* copy the value block of a GRANTED or CONVERTING lock's resource */
int grd_lvb_read(struct grd *g, uint64_t lkid, uint8_t out[GRD_LVB_LEN], bool *dubious);

/* counts returned by the owner drops */
struct grd_drop {
	size_t dr_owners;	/* owners that had locks here */
	size_t dr_held;		/* GRANTED/CONVERTING locks released */
	size_t dr_waiting;	/* WAITING requests cancelled */
	size_t dr_dubious;	/* resources whose value block became dubious */
	size_t dr_kept;		/* PW/EX locks kept, held for recovery */
};

/*
 * A client died: release all its locks at once, mark the value block of
 * every resource where it held PW or EX dubious, then re-evaluate those
 * resources (grants go to survivors only).  counts may be NULL.
 */
int grd_drop_owner(struct grd *g, struct grd_owner owner, struct grd_drop *counts);

/* the same for every owner of a departed instance */
int grd_drop_owner_instance(struct grd *g, unsigned inst, struct grd_drop *counts);

/*
 * An instance failed: drop its waiting requests and its locks below PW,
 * but keep its PW and EX locks, held for recovery, their value blocks
 * marked dubious now (dr_kept counts them).  They block what conflicts
 * with them until grd_drop_owner_instance() releases them, once SMON has
 * recovered the instance.
 */
int grd_hold_for_recovery(struct grd *g, unsigned inst, struct grd_drop *counts);

/*
 * Fail every queued request whose deadline is <= now_ns (event TIMEDOUT)
 * and re-evaluate its resource.  Returns how many timed out.
 */
int grd_expire(struct grd *g, uint64_t now_ns);

/* the earliest deadline of a queued request, 0 if none */
uint64_t grd_next_deadline(const struct grd *g);

/* take the oldest event; false when there is none */
bool grd_next_event(struct grd *g, struct grd_event *ev);
size_t grd_pending_events(const struct grd *g);

/*
 * Deadlock detection.
 *
 * The wait-for graph is between owners: waiter -> holder when a queued
 * request of the waiter is blocked by the holder: by a lock the holder has
 * granted (or converting) in a mode incompatible with the request, by a
 * conversion queued ahead of it that asks for an incompatible mode, or (the
 * wait queue being FIFO) by the request right ahead of it.  Queue-order
 * edges between requests of one owner are left out (an owner is not stuck
 * behind itself); a lock it holds is not (waiting for yourself is a
 * self-deadlock).  The graph is as coarse as the owners: an owner with
 * several requests in flight at once may show a cycle that would resolve.
 */
struct grd_edge {
	struct grd_owner ed_waiter;
	struct grd_owner ed_holder;
	uint64_t ed_lkid;	/* the waiting request (lock id) */
	uint8_t ed_master;	/* 0 from this table; a merger may set the master */
};

/*
 * All edges of this table, in a malloc'ed array the caller frees (NULL and
 * 0 when there is none).
 */
int grd_waitfor_edges(struct grd *g, struct grd_edge **edges, size_t *n);

/*
 * Find one cycle in any edge list (this table's, or several tables' merged).
 * Fills cycle[0..len-1] with edge indexes such that the holder of each is
 * the waiter of the next and the holder of the last is the waiter of the
 * first; returns len (a self-edge is a cycle of 1), 0 if the graph has no
 * cycle, RAC_ERANGE if len > max, RAC_ENOMEM.  Deterministic: the same
 * list gives the same cycle.  (grd_cycle.c)
 */
int grd_cycle_find(const struct grd_edge *edges, size_t n, size_t *cycle, size_t max);

/*
 * Find cycles in this table's graph and break each: the victim is the
 * request of the youngest lock (highest id) in the cycle; it fails with
 * event DEADLOCK (status GRD_EDEADLK) and its resource is re-evaluated.
 * Repeats until no cycle is left.  Returns the number of victims, their
 * ids in victims[0..max-1] (victims may be NULL).
 */
int grd_deadlock_find(struct grd *g, uint64_t *victims, size_t max);

/*
 * Fail the pending request of lock `lkid` as a deadlock victim chosen
 * elsewhere (a cycle through several masters): event DEADLOCK, status
 * GRD_EDEADLK, the resource re-evaluated.  0, GRD_EUNKNOWN or
 * GRD_ENOTPENDING (nothing pending: the cycle already broke).
 */
int grd_fail_deadlock(struct grd *g, uint64_t lkid);

/*
 * Views and remastering.
 */

/* the mastering bucket of a name: 0..GRD_NBUCKETS-1, the same everywhere */
unsigned grd_bucket(const void *name, size_t namelen);

struct grd_res_info {
	const char *ri_name;	/* not NUL-terminated */
	size_t ri_namelen;
	unsigned ri_bucket;
	size_t ri_ngranted, ri_nconverting, ri_nwaiting;
	const uint8_t *ri_lvb;	/* GRD_LVB_LEN bytes */
	bool ri_dubious;
};

struct grd_lock_info {
	const char *li_name;	/* resource, not NUL-terminated */
	size_t li_namelen;
	uint64_t li_lkid;
	struct grd_owner li_owner;
	int li_grmode;		/* GRD_IV while waiting */
	int li_rqmode;		/* requested (= granted when GRANTED) */
	int li_state;		/* enum grd_lock_state */
	bool li_blocked;	/* queued (CONVERTING or WAITING) */
	struct grd_owner li_blocker;	/* who it waits for first (see edges) */
	uint64_t li_deadline;
};

/*
 * Callbacks get each resource / lock; a non-zero return stops the walk and
 * is returned.  They must not change the table.  grd_foreach_lock visits
 * one resource at a time, its grant, convert and wait queues in order.
 */
typedef int (*grd_res_fn)(const struct grd_res_info *ri, void *arg);
typedef int (*grd_lock_fn)(const struct grd_lock_info *li, void *arg);
int grd_foreach_resource(const struct grd *g, grd_res_fn fn, void *arg);
int grd_foreach_lock(const struct grd *g, grd_lock_fn fn, void *arg);
/*
 * The same walks, resumable, for a view read in pages: they start at *pos
 * (0: the beginning).  When a callback returns non-zero the walk stops and
 * *pos names the resource (or lock) that callback refused, so that the next
 * walk from *pos starts with it; a walk that reaches the end sets *pos to
 * GRD_POS_END.  The table may change between two walks: a resource added
 * or removed meanwhile may be seen or not, as in any live view, but nothing
 * is visited twice within a walk and the walk always ends.
 */
#define GRD_POS_END	UINT64_MAX
int grd_walk_resources(const struct grd *g, uint64_t *pos, grd_res_fn fn, void *arg);
int grd_walk_locks(const struct grd *g, uint64_t *pos, grd_lock_fn fn, void *arg);

/* one lock, as grd_foreach_lock would show it */
int grd_lock_query(struct grd *g, uint64_t lkid, struct grd_lock_info *li);

/*
 * Look-ups for the caller's routing and bookkeeping, cheaper than a query
 * and not requests: an unknown id or owner is not counted as bad.  The
 * owner of lock `lkid` (0, or GRD_EUNKNOWN); how many locks, in any state,
 * `owner` has in this table.
 */
int grd_lock_owner(const struct grd *g, uint64_t lkid, struct grd_owner *owner);
size_t grd_owner_locks(const struct grd *g, struct grd_owner owner);

/*
 * Remastering records.  Each resource is followed (in x_locks) by its
 * xr_nlocks locks: its grant, convert and wait queues, each in order.
 */
struct grd_xres {
	uint32_t xr_nlocks;
	uint8_t xr_namelen;
	bool xr_dubious;
	char xr_name[GRD_NAME_MAX];
	uint8_t xr_lvb[GRD_LVB_LEN];
};

struct grd_xlock {
	uint64_t xl_lkid;
	uint64_t xl_deadline;
	struct grd_owner xl_owner;
	int8_t xl_grmode;	/* GRD_IV when waiting */
	int8_t xl_rqmode;
	uint8_t xl_state;	/* enum grd_lock_state */
	int8_t xl_bast;		/* highest mode already notified, GRD_IV none */
};

struct grd_export {
	struct grd_xres *x_res;
	size_t x_nres;
	struct grd_xlock *x_locks;
	size_t x_nlocks;
};

#define GRD_EXPORT_MOVE	0x1u	/* remove what is exported from the table */

/*
 * Export every resource whose bucket is set in `buckets` (a bitmap of
 * GRD_NBUCKETS bits, bit b in buckets[b / 64]; NULL: all) with its locks
 * into *x (freed with grd_export_free).  With GRD_EXPORT_MOVE they leave
 * the table, silently (no events).
 */
int grd_export(struct grd *g, const uint64_t *buckets, unsigned flags, struct grd_export *x);
void grd_export_free(struct grd_export *x);

/*
 * Rebuild exported resources in this table: queues in their original
 * order, lock ids, owners, modes, deadlines, value blocks and dubious
 * flags kept; then each resource is re-evaluated (nothing is granted for a
 * consistent export).  All or nothing: GRD_EIMPORT (bad record, granted
 * modes in conflict, a resource or lock id already here) leaves the table
 * as it was.
 */
int grd_import(struct grd *g, const struct grd_export *x);

/* is there a resource of that name in this table? */
bool grd_has_resource(const struct grd *g, const void *name, size_t namelen);

/* counters and memory */
void grd_stats(const struct grd *g, struct grd_stats *st);
void grd_mem(const struct grd *g, struct grd_mem *m);

/* helpers */
bool grd_mode_compat(int a, int b);	/* false for bad modes */
const char *grd_mode_str(int mode);	/* "NL".."EX", "IV", "?" */
const char *grd_strerror(int err);	/* GRD codes, else rac_strerror() */

/*
 * The wire's numbers (instance/msg.h) are the table's: LMS puts modes,
 * lock states, events, results and refusals into messages as they are,
 * and the client checks the public API against the wire alone.
 */
#include "msg.h"
#define GRD_WIRE(a, b) _Static_assert((int)(a) == (int)(b), #a " == " #b)
GRD_WIRE(GRD_IV, LK_IV);
GRD_WIRE(GRD_NL, LK_NL);
GRD_WIRE(GRD_CR, LK_CR);
GRD_WIRE(GRD_CW, LK_CW);
GRD_WIRE(GRD_PR, LK_PR);
GRD_WIRE(GRD_PW, LK_PW);
GRD_WIRE(GRD_EX, LK_EX);
GRD_WIRE(GRD_NMODES, LK_NMODES);
GRD_WIRE(GRD_NAME_MAX, LK_NAME_MAX);
GRD_WIRE(GRD_LVB_LEN, LK_LVB_LEN);
GRD_WIRE(GRD_NOQUEUE, LK_NOQUEUE);
GRD_WIRE(GRD_GRANTED, LK_ST_GRANTED);
GRD_WIRE(GRD_QUEUED, LK_ST_QUEUED);
GRD_WIRE(GRD_LK_GRANTED, LK_STATE_GRANTED);
GRD_WIRE(GRD_LK_CONVERTING, LK_STATE_CONVERTING);
GRD_WIRE(GRD_LK_WAITING, LK_STATE_WAITING);
GRD_WIRE(GRD_EV_GRANTED, LK_EV_GRANTED);
GRD_WIRE(GRD_EV_BLOCKING, LK_EV_BLOCKING);
GRD_WIRE(GRD_EV_TIMEDOUT, LK_EV_TIMEDOUT);
GRD_WIRE(GRD_EV_DEADLOCK, LK_EV_DEADLOCK);
GRD_WIRE(GRD_EUNKNOWN, LK_EUNKNOWN);
GRD_WIRE(GRD_EBADMODE, LK_EBADMODE);
GRD_WIRE(GRD_ENAMELEN, LK_ENAMELEN);
GRD_WIRE(GRD_EBADOWNER, LK_EBADOWNER);
GRD_WIRE(GRD_EBADFLAGS, LK_EBADFLAGS);
GRD_WIRE(GRD_ENOTGRANTED, LK_ENOTGRANTED);
GRD_WIRE(GRD_ENOTPENDING, LK_ENOTPENDING);
GRD_WIRE(GRD_ENOTQUEUED, LK_ENOTQUEUED);
GRD_WIRE(GRD_EDEADLK, LK_EDEADLK);
GRD_WIRE(GRD_ETIMEDOUT, LK_ETIMEDOUT);
GRD_WIRE(GRD_EIMPORT, LK_EIMPORT);
#undef GRD_WIRE

#endif
