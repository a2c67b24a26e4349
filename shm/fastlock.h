/*
 * fastlock.h - the SGA lock cache: resources LMS hands to shared memory so
 * that an instance's own clients lock and unlock them without a message.
 *
 * Why.  A lock passed from one local process to the next through LMS costs
 * two messages and two wake-ups per hand-over (the holder's release to
 * LMS, LMS's grant to the waiter).  When nobody outside the instance wants
 * a resource, LMS (its master) can instead hand the resource itself to the
 * SGA: the clients then queue on it in shared memory, and the releasing
 * client grants the next waiter and wakes it with a futex -- one wake-up
 * per hand-over.  Oracle serves local enqueues from the SGA the same way.
 *
 * Who owns what.  LMS stays the authority:
 *
 *   - LMS delegates a resource (fl_delegate) only when it masters it, the
 *     GRD holds nothing of it, the cluster is stable, and a local client
 *     asked for it saying it can use this path.  The resource then lives in
 *     exactly one slot (its name's hash picks the slot) and nowhere else.
 *   - LMS takes it back (fl_revoke) whenever anything else wants it: a
 *     request from another instance, a request of a kind this path does not
 *     serve (conversions, asynchronous calls, holders that want blocking
 *     notifications), a waiter that has waited FL_PATIENCE_NS (so that
 *     deadlock detection sees it), or a reconfiguration.  fl_revoke turns
 *     the slot into GRD records (grant queue then wait queue, in order,
 *     lock ids kept) for grd_import, and every client finds out on its next
 *     look that its lock has moved.
 *   - LMS drops the locks of clients that died (fl_drop_dead), marking the
 *     value block dubious where one held PW or EX, as the GRD does.
 *
 * Rules inside a slot are the GRD's, restricted to what a slot serves: new
 * requests in any mode, granted when compatible with every granted lock
 * and no one waits ahead (strict FIFO by ticket); NOQUEUE; timeouts;
 * release with a value block write from PW or EX.  The value block is
 * zeroed when the last lock goes and it is not dubious (a resource with no
 * lock does not exist in the GRD either).
 *
 * The gate.  A slot grants only while the instance is OPEN, its membership
 * STABLE and LMS has stamped fa_lease_ns within fa_lease_len_ns (at most
 * FL_LEASE_NS, and a quarter of the cluster's shortest failure timeout):
 * a client of a dead, hung or evicted instance can release but is granted
 * nothing new here.  The guardian marks a dying instance TERMINATING
 * before it tells the survivors, and an instance nobody marks (killed
 * whole, or stopped) is fenced only after its disk lease, four times
 * longer than ours.
 *
 * Concurrency.  Each slot has a latch: a process-shared robust mutex, held
 * for a few hundred instructions.  A process that dies holding it leaves
 * the slot consistent: its state is the entries alone, each written as a
 * whole before its state word changes, and the next holder repairs what a
 * death could leave half done (a grant not given) by re-evaluating.  Waiters
 * sleep on their entry's word (futex), which changes on every change of the
 * entry.  Readers outside the latch only take hints.
 */
#ifndef RAC_FASTLOCK_H
#define RAC_FASTLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timeouts.h"

#define FL_MAGIC	0x4b434c46u	/* "FLCK" */
#define FL_SLOTS	1024		/* power of two */
#define FL_ENTRIES	32		/* locks on one slot, at most */
#define FL_NAME_MAX	64
#define FL_LVB_LEN	32
#define FL_LEASE_NS	TO_FAST_LEASE_MAX_NS	/* LMS's stamp is good this long, at most */
#define FL_PATIENCE_NS	1000000000ull	/* a wait this long goes to the GRD */
#define FL_IDLE_NS	2000000000ull	/* an unused slot is taken back after */
/* lock ids of the cache: LMS's id space with this bit (grd ids never reach it) */
#define FL_ID_BIT	(1ull << 47)

enum fl_slot_state { FS_FREE = 0, FS_ACTIVE = 1 };
enum fl_entry_state { FE_FREE = 0, FE_WAITING = 1, FE_GRANTED = 2 };

/* fe_word: state in the low byte, a change count above (the futex word) */
#define FE_STATE(w)	((w) & 0xffu)

struct fl_entry {
	uint32_t fe_word;
	uint32_t fe_session;		/* LMS's client session id of the owner */
	uint64_t fe_lkid;
	uint64_t fe_ticket;		/* order of arrival on the slot */
	uint64_t fe_since_ns;		/* monotonic: queued (or granted) at */
	uint64_t fe_deadline_ns;	/* monotonic: give up then; 0 never */
	int32_t fe_pid;
	int8_t fe_mode;
	uint8_t fe_dubious;		/* granted: the value block was dubious */
	uint8_t fe_pad[2];
	uint8_t fe_lvb[FL_LVB_LEN];	/* granted: the value block, as granted */
};

struct fl_slot {
	pthread_mutex_t fs_latch;
	uint32_t fs_state;		/* enum fl_slot_state (hint outside the latch) */
	uint32_t fs_nused;		/* entries not free */
	uint64_t fs_next_ticket;
	uint64_t fs_idle_ns;		/* monotonic: when it last became unused */
	uint8_t fs_namelen;
	uint8_t fs_dubious;
	uint8_t fs_pad[6];
	uint8_t fs_name[FL_NAME_MAX];
	uint8_t fs_lvb[FL_LVB_LEN];
	struct fl_entry fs_e[FL_ENTRIES];
};

struct fl_area {
	uint32_t fa_magic;		/* FL_MAGIC once LMS has made the latches */
	uint32_t fa_enabled;		/* lock_fast_path */
	uint64_t fa_id_base;		/* lock ids: fa_id_base + (++fa_next_id) */
	uint64_t fa_next_id;
	uint64_t fa_lease_ns;		/* LMS's last stamp (monotonic) */
	uint64_t fa_lease_len_ns;	/* ... good for this long */
	uint64_t fa_pad[3];
	struct fl_slot fa_slot[FL_SLOTS];
};

/*
 * What a process needs: the area and the two words of the gate (in the
 * SGA: sh_state and cl_state).  Plain pointers, valid in this process.
 */
struct fl_ctx {
	struct fl_area *fc_a;
	const uint32_t *fc_inst_state;	/* must be INST_OPEN */
	const uint32_t *fc_cl_state;	/* must be CGS_STABLE */
};

/* results */
enum fl_result {
	FL_GRANTED = 0,
	FL_QUEUED = 1,		/* waiting in the slot: fl_wait() */
	FL_BUSY = 2,		/* NOQUEUE and not grantable */
	FL_PASS = 3,		/* not here: ask LMS (it may delegate the resource) */
	FL_PASS_REVOKE = 4,	/* here but not servable now: ask LMS, which takes it back */
	FL_MOVED = 5,		/* the lock is not in the slot any more: LMS has it */
	FL_STILL = 6,		/* fl_wait(): still waiting at `until` */
	FL_CANCELLED = 7,	/* fl_cancel(): the wait is given up */
};

/* the slot of a name (the same hash everywhere) */
unsigned fl_slot_of(const void *name, size_t namelen);
/* is the gate open now? */
bool fl_gate(const struct fl_ctx *c, uint64_t now_ns);

/* ---- clients ---- */

struct fl_req {
	const void *fr_name;
	size_t fr_namelen;
	int fr_mode;
	bool fr_noqueue;
	uint64_t fr_deadline_ns;	/* 0: none */
	uint32_t fr_session;
	int32_t fr_pid;
};

/* where a lock of the cache is: slot and entry (its id tells it apart) */
struct fl_where {
	uint16_t fw_slot;
	uint8_t fw_entry;
	uint64_t fw_lkid;
};

/*
 * Ask for a lock.  FL_GRANTED (lvb and dubious filled), FL_QUEUED (call
 * fl_wait), FL_BUSY, FL_PASS or FL_PASS_REVOKE.  *w names the lock for
 * FL_GRANTED and FL_QUEUED.
 */
int fl_lock(const struct fl_ctx *c, const struct fl_req *rq, struct fl_where *w,
	    uint8_t lvb[FL_LVB_LEN], bool *dubious);
/*
 * Wait for a queued lock until `until_ns` (monotonic): FL_GRANTED (lvb,
 * dubious), FL_MOVED (now in LMS's GRD, still waiting there) or FL_STILL.
 */
int fl_wait(const struct fl_ctx *c, const struct fl_where *w, uint64_t until_ns,
	    uint8_t lvb[FL_LVB_LEN], bool *dubious);
/* give up a queued lock: FL_CANCELLED, FL_GRANTED (just granted: it is held) or FL_MOVED */
int fl_cancel(const struct fl_ctx *c, const struct fl_where *w, uint8_t lvb[FL_LVB_LEN],
	      bool *dubious);
/* release a granted lock, writing lvb_in (may be NULL) from PW/EX: 0 or FL_MOVED */
int fl_unlock(const struct fl_ctx *c, const struct fl_where *w, const uint8_t *lvb_in);
/* the value block of a granted lock: 0 or FL_MOVED */
int fl_lvb_read(const struct fl_ctx *c, const struct fl_where *w, uint8_t lvb[FL_LVB_LEN],
		bool *dubious);

/* ---- LMS ---- */

/* make the latches and open the area (LMS, once, before any client) */
int fl_init(struct fl_area *a, uint64_t id_base, uint64_t lease_len_ns, bool enabled);
/* LMS is alive: stamp the lease */
void fl_stamp(struct fl_area *a, uint64_t now_ns);
/* the slot holding this resource, or -1 */
int fl_find(struct fl_area *a, const void *name, size_t namelen);
/* the slot holding the lock with this id, or -1 (a scan: rare paths only) */
int fl_find_lkid(struct fl_area *a, uint64_t lkid);
/*
 * Hand a resource to its slot: the slot index, or -1 if the slot holds
 * another resource that is in use (or dubious).  An unused one is replaced.
 */
int fl_delegate(struct fl_area *a, const void *name, size_t namelen, uint64_t now_ns);

/* one lock taken back, for grd_import (queues in order: granted first) */
struct fl_xlock {
	uint64_t xl_lkid;
	uint64_t xl_deadline_ns;
	uint32_t xl_session;
	int32_t xl_pid;
	int8_t xl_mode;
	bool xl_granted;
};

struct fl_xres {
	uint8_t xr_namelen;
	uint8_t xr_name[FL_NAME_MAX];
	uint8_t xr_lvb[FL_LVB_LEN];
	bool xr_dubious;
	int xr_nlocks;
	int xr_bad;		/* entries no writer could have made (a client scribbled): dropped */
	struct fl_xlock xr_locks[FL_ENTRIES];
};

/*
 * Take slot `idx` back: its resource and locks into *x, the slot freed and
 * its waiters woken (they find their lock moved).  Returns 1 if the slot
 * held a resource, 0 if it was free.
 */
int fl_revoke(struct fl_area *a, int idx, struct fl_xres *x);

/* counts of fl_drop_dead */
struct fl_drop {
	size_t fd_held, fd_waiting, fd_dubious;
};
/*
 * Drop the locks of processes for which dead(pid, arg) says so; value
 * blocks of PW/EX holders marked dubious; waiters behind them granted.
 */
void fl_drop_dead(struct fl_area *a, bool (*dead)(int32_t pid, void *arg), void *arg,
		  struct fl_drop *d);
/* does this session have locks in the cache? */
bool fl_session_busy(struct fl_area *a, uint32_t session);

/*
 * Periodic work (LMS's tick): returns the index of a slot to take back (a
 * waiter out of patience, or unused for FL_IDLE_NS while dubious), -1 for
 * none; slots unused for FL_IDLE_NS and not dubious are freed here.
 * `from` lets the caller go on scanning after the returned slot.
 */
int fl_sweep(struct fl_area *a, uint64_t now_ns, int from);

/* a consistent copy of slot idx for the views: false if free */
bool fl_snapshot(struct fl_area *a, int idx, struct fl_slot *copy);

#endif
