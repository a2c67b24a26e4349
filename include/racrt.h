/*
 * racrt.h - the racrt client library: cluster-wide locks through the LMS
 * of a local instance.
 *
 * A program on a host where a racrt instance runs opens a handle on that
 * instance's LMS (lock manager server) and asks it for locks on named
 * resources.  The locks are cluster-wide: a lock granted here is honoured by
 * every instance of the cluster.  Link with `pkg-config --cflags --libs
 * racrt` (libracrt.so or libracrt.a).
 *
 * Resources and modes
 *
 *   A resource is named by 1..RACRT_NAME_MAX bytes (any bytes; printable
 *   names read best in the views).  A lock is held in one of six modes:
 *
 *       mode  means                 compatible with
 *       NL    null (holds nothing)  NL CR CW PR PW EX
 *       CR    concurrent read       NL CR CW PR PW
 *       CW    concurrent write      NL CR CW
 *       PR    protected read        NL CR PR
 *       PW    protected write       NL CR
 *       EX    exclusive             NL
 *
 *   A request that cannot be granted at once waits in a queue (FIFO; held
 *   locks asking for a conversion go first) unless it carries
 *   RACRT_NOQUEUE, in which case it fails with RACRT_ENOTQUEUED.  A waiting
 *   request can carry a timeout; it can also be chosen as a deadlock victim.
 *   Down-conversions are granted at once.
 *
 * Value blocks
 *
 *   Every resource has a RACRT_LVB_LEN-byte value block (zero when the
 *   resource is created), handed out with every grant.  It is written by
 *   racrt_unlock() or a down-conversion of a lock held in PW or EX when the
 *   caller passes one.  When an instance dies holding PW or EX, the value
 *   block is marked dubious until the next such write: grants then report
 *   `dubious` so the reader knows to rebuild it.  Holding an NL lock keeps a
 *   resource, and its value block, alive while nobody uses it.
 *
 * Two styles of call
 *
 *   Synchronous calls (racrt_lock, racrt_convert, racrt_unlock, racrt_cancel,
 *   racrt_lvb_read) send one request and return its final outcome: granted
 *   (or done), or failed.  A lock request that has to wait keeps the call
 *   waiting until it is granted, times out, is cancelled or is chosen as a
 *   deadlock victim.
 *
 *   Asynchronous calls (the *_async variants) send the request and return at
 *   once with a request handle (> 0).  The final outcome comes later to the
 *   callback, as a struct racrt_result, from racrt_poll() -- or from inside
 *   a synchronous call that is waiting, which also delivers the outcomes of
 *   other requests while it waits.  Many requests may be in flight at once;
 *   outcomes are delivered in the order they became known.  Callbacks never
 *   run nested: a callback may call any racrt function on its handle
 *   (including synchronous ones, which then deliver nothing themselves)
 *   except racrt_close().
 *
 *   racrt_on_blocking() registers the blocking notification: LMS tells a
 *   holder that its lock is in the way of a waiter, so the holder can
 *   release it or convert it down.
 *
 * Failure and bounds
 *
 *   Nothing waits without bound for LMS except a granted-or-failed decision
 *   on a request that was accepted into a queue with no timeout (LMS said
 *   "queued"): every reply is awaited at most the reply bound (5 s by
 *   default, racrt_set_reply_timeout()), else the call fails with
 *   RACRT_ENOREPLY.  If the connection to LMS breaks (the instance stopped
 *   or died), every request in flight fails with RACRT_ECLOSED and the
 *   handle is finished: the locks it held are gone (LMS releases the locks
 *   of a client it loses, and the cluster releases those of a dead
 *   instance).  If the client process dies, LMS releases its locks.  An LMS
 *   of another racrt release, whose messages this library cannot read,
 *   says so: the handle is finished the same way, with RACRT_EVERSION.
 *
 * Threads
 *
 *   A handle is NOT thread-safe: use it from one thread at a time (a handle
 *   per thread is fine; each has a socket of its own, and the library
 *   starts no thread).  A handle does not survive fork(): use it in the
 *   process that opened it.
 *
 * Errors
 *
 *   Functions return 0 (or a positive count / handle) on success and a
 *   negative RACRT_E* code on failure; racrt_strerror() gives its text.  The
 *   codes that LMS returns keep LMS's numbers (-500..-510), the client's own
 *   are -600..-699.
 */
#ifndef RACRT_H
#define RACRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An open handle on one instance's LMS (opaque). */
typedef struct racrt racrt_t;

#define RACRT_NAME_MAX	64	/* resource name, bytes */
#define RACRT_LVB_LEN	32	/* value block, bytes */

/* Lock modes. */
enum racrt_mode {
	RACRT_IV = -1,		/* no mode: the lock holds nothing (gone or never granted) */
	RACRT_NL = 0,		/* null */
	RACRT_CR = 1,		/* concurrent read */
	RACRT_CW = 2,		/* concurrent write */
	RACRT_PR = 3,		/* protected read */
	RACRT_PW = 4,		/* protected write */
	RACRT_EX = 5,		/* exclusive */
};

/* Request flags. */
#define RACRT_NOQUEUE	0x1u	/* fail with RACRT_ENOTQUEUED rather than wait */

/* Error codes. */
enum racrt_error {
	RACRT_OK = 0,

	/* from LMS, with LMS's numbers */
	RACRT_EUNKNOWN = -500,		/* no lock with that id (never was, or gone) */
	RACRT_EBADMODE = -501,		/* mode outside NL..EX */
	RACRT_ENAMELEN = -502,		/* resource name empty or longer than RACRT_NAME_MAX */
	RACRT_EBADOWNER = -503,		/* LMS refused the owner of the request */
	RACRT_EBADFLAGS = -504,		/* unknown flag bits */
	RACRT_ENOTGRANTED = -505,	/* convert or value-block read of a lock that is not
					 * granted yet, or convert of one already converting */
	RACRT_ENOTPENDING = -506,	/* cancel of a lock with no pending request */
	RACRT_ENOTQUEUED = -507,	/* RACRT_NOQUEUE request not grantable at once (busy) */
	RACRT_EDEADLK = -508,		/* request chosen as a deadlock victim */
	RACRT_ETIMEDOUT = -509,		/* request not granted within its timeout_ms */
	RACRT_EIMPORT = -510,		/* (LMS internal: remastering records clashed) */
	RACRT_EPERM = -513,		/* this process's user may not use the instance's lock
					 * manager (not the cluster's user), or the lock
					 * is another owner's */
	RACRT_ELIMIT = -514,		/* a lock quota is reached (max_locks_per_client) */

	/* the client's own */
	RACRT_EINVAL = -600,		/* bad argument */
	RACRT_ENOMEM = -601,		/* out of memory (here, or in the master's lock table) */
	RACRT_ECONFIG = -602,		/* configuration unreadable, or no such instance */
	RACRT_ECONNECT = -603,		/* cannot connect to LMS (nothing listens there) */
	RACRT_ENOREPLY = -604,		/* LMS did not answer within the reply bound */
	RACRT_ECLOSED = -605,		/* the connection to LMS broke: the handle is
					 * finished and its locks are gone */
	RACRT_ENOTREADY = -606,		/* LMS is not ready (starting, or frozen) */
	RACRT_ECANCELED = -607,		/* the request was cancelled (racrt_cancel, or
					 * racrt_unlock of its lock) */
	RACRT_EAGAIN = -608,		/* too many requests in flight on this handle */
	RACRT_EPROTO = -609,		/* LMS answered something this client cannot read */
	RACRT_EVERSION = -610,		/* LMS speaks another message version than this
					 * library: the handle is finished */
};

/* Request kinds, as reported in struct racrt_result. */
enum racrt_op {
	RACRT_OP_LOCK = 1,
	RACRT_OP_CONVERT = 2,
	RACRT_OP_UNLOCK = 3,
	RACRT_OP_CANCEL = 4,
	RACRT_OP_LVB_READ = 5,
};

/* ---- handles ---------------------------------------------------------- */

/*
 * Open a handle on the LMS of instance `instance` (its number, 1..32) of the
 * cluster described by the racrt configuration file `config_path`; NULL
 * means $RACRT_CONFIG, else the built-in default cluster (paths relative to
 * the current directory).  The instance must run on this host.
 *
 * Waits (at most the reply bound) until the connection is made.  Returns
 * NULL on failure with *err (if err is not NULL) set to RACRT_ECONFIG,
 * RACRT_ECONNECT (the instance is not running, or not on this host),
 * RACRT_ENOREPLY, RACRT_ENOMEM or RACRT_EINVAL.
 */
racrt_t *racrt_open(const char *config_path, int instance, int *err);

/*
 * The same for an explicit ZeroMQ endpoint ("ipc://<dir>/lms.sock",
 * normally) and the name of its cluster (every message carries a cluster
 * id derived from it; messages of another cluster are dropped).
 */
racrt_t *racrt_open_endpoint(const char *endpoint, const char *cluster_name, int *err);

/*
 * Close a handle and set *r to NULL (NULL or *r == NULL: nothing to do).
 * Locks still held through the handle are released first (their unlocks are
 * sent and their replies awaited, at most the reply bound), without value
 * blocks.  Requests still in flight are abandoned: their callbacks do not
 * run.  Everything the handle allocated is freed.  Must not be called from
 * a callback.
 */
void racrt_close(racrt_t **r);

/*
 * Bound on the wait for any single reply from LMS, milliseconds (default
 * 5000; values < 1 restore the default).
 */
void racrt_set_reply_timeout(racrt_t *r, int ms);

/* ---- synchronous calls ----------------------------------------------- */

/*
 * Lock the resource `name` (`namelen` bytes) in `mode` (RACRT_NL..RACRT_EX).
 * flags: 0 or RACRT_NOQUEUE.  timeout_ms: how long the request may wait in
 * the queue, 0 = for ever.
 *
 * Returns 0 when granted, with *lkid the new lock's id, lvb_out (if not
 * NULL) the resource's value block and *dubious (if not NULL) 1 if that
 * value block is dubious.  Otherwise a negative code, and no lock is held:
 * RACRT_ENOTQUEUED (busy, with RACRT_NOQUEUE), RACRT_ETIMEDOUT,
 * RACRT_EDEADLK, RACRT_ECANCELED, RACRT_ENAMELEN, RACRT_EBADMODE,
 * RACRT_ENOTREADY, RACRT_ENOREPLY, RACRT_ECLOSED, ...
 *
 * If the reply or the grant is late beyond its bound (RACRT_ENOREPLY, or
 * RACRT_ETIMEDOUT noticed by the client rather than LMS), the request is
 * abandoned: should LMS grant it after all, the client releases it again.
 */
int racrt_lock(racrt_t *r, const void *name, size_t namelen, int mode, unsigned flags,
	       unsigned timeout_ms, uint64_t *lkid, uint8_t lvb_out[RACRT_LVB_LEN],
	       int *dubious);

/*
 * Convert the granted lock `lkid` to `mode`, up or down.  flags and
 * timeout_ms as for racrt_lock().  lvb_in (RACRT_LVB_LEN bytes, may be NULL)
 * is written to the value block when the lock was held in PW or EX and the
 * conversion is down or to the same mode.  Returns 0 when the lock holds the
 * new mode, with the value block in lvb_out and its dubious flag in *dubious
 * (both may be NULL); otherwise a negative code and the lock keeps its old
 * mode (a conversion abandoned by the client, as above, may still be
 * granted later: the lock then holds the stronger mode, which is safe).
 */
int racrt_convert(racrt_t *r, uint64_t lkid, int mode, unsigned flags, unsigned timeout_ms,
		  const uint8_t *lvb_in, uint8_t *lvb_out, int *dubious);

/*
 * Release the lock `lkid`, writing lvb_in (may be NULL) to the value block
 * if the lock was held in PW or EX.  A request pending on the lock (a
 * waiting new lock, or a conversion) is cancelled with it and completes with
 * RACRT_ECANCELED.  Returns 0, or RACRT_EUNKNOWN, RACRT_ENOREPLY, ...
 */
int racrt_unlock(racrt_t *r, uint64_t lkid, const uint8_t *lvb_in);

/*
 * Release the lock `lkid` without waiting for LMS's answer, as DLM unlocks
 * are: the release is on its way when the call returns, and LMS applies it
 * after every request this handle sent before (so a later lock of the same
 * resource by this handle waits for it).  Another process that asks for the
 * resource right after may still find it held for the moment the message
 * takes (a NOQUEUE request may then fail).  Returns 0, or RACRT_EUNKNOWN
 * (not a lock of this handle), RACRT_ECLOSED, RACRT_ENOREPLY (LMS took no
 * message for the reply bound: the release waits in the handle and goes
 * with its next call that sends).  Should LMS refuse the release, the
 * handle counts it (rs_nowait_failed) and releases the lock again on its
 * own.  A lock with a request pending on it is released as by
 * racrt_unlock(), waiting.  racrt_close() makes sure LMS took every such
 * release before the handle goes.
 */
int racrt_unlock_nowait(racrt_t *r, uint64_t lkid, const uint8_t *lvb_in);

/*
 * Cancel the request pending on lock `lkid`: a waiting new lock (the lock
 * is gone) or a conversion (the lock keeps its old mode).  The cancelled
 * request completes with RACRT_ECANCELED.  Returns 0, or RACRT_ENOTPENDING
 * if nothing was pending (it may just have been granted), ...
 */
int racrt_cancel(racrt_t *r, uint64_t lkid);

/* Read the value block of the resource of the granted lock `lkid`. */
int racrt_lvb_read(racrt_t *r, uint64_t lkid, uint8_t lvb_out[RACRT_LVB_LEN], int *dubious);

/* ---- asynchronous calls ---------------------------------------------- */

/* The final outcome of an asynchronous request. */
struct racrt_result {
	int rr_req;		/* the handle its *_async call returned */
	int rr_op;		/* enum racrt_op */
	int rr_status;		/* 0: granted / done; else a RACRT_E* code */
	int rr_mode;		/* the mode the lock holds now; RACRT_IV if none */
	uint64_t rr_lkid;	/* the lock (0 if LMS never named one) */
	int rr_dubious;		/* 1: the value block below is dubious */
	uint8_t rr_lvb[RACRT_LVB_LEN];	/* value block: LOCK/CONVERT granted, LVB_READ */
};

/*
 * Called once per asynchronous request with its outcome.  `res` is valid
 * during the call only.
 */
typedef void (*racrt_cb)(racrt_t *r, const struct racrt_result *res, void *arg);

/*
 * The asynchronous forms of the calls above: same arguments, plus the
 * callback (may be NULL: nobody is told) and its argument.  They send the
 * request and return its handle (> 0, unique among the handle's requests in
 * flight), or a negative code if it could not be sent (then the callback
 * will not run): RACRT_EINVAL, RACRT_EAGAIN (too many in flight: call
 * racrt_poll()), RACRT_ECLOSED, RACRT_ENOREPLY (LMS took no request, or
 * answered none, for the reply bound), RACRT_ENOMEM.  The callback never runs from inside the
 * *_async call itself.  At most 512 requests await their reply at a time
 * (LMS would drop answers beyond what it can queue): a call beyond that
 * first receives, at most the reply bound, until a reply frees a place.
 */
int racrt_lock_async(racrt_t *r, const void *name, size_t namelen, int mode, unsigned flags,
		     unsigned timeout_ms, racrt_cb cb, void *arg);
int racrt_convert_async(racrt_t *r, uint64_t lkid, int mode, unsigned flags,
			unsigned timeout_ms, const uint8_t *lvb_in, racrt_cb cb, void *arg);
int racrt_unlock_async(racrt_t *r, uint64_t lkid, const uint8_t *lvb_in, racrt_cb cb,
		       void *arg);
int racrt_cancel_async(racrt_t *r, uint64_t lkid, racrt_cb cb, void *arg);
int racrt_lvb_read_async(racrt_t *r, uint64_t lkid, racrt_cb cb, void *arg);

/*
 * The lock id of the asynchronous LOCK request `req` once LMS has answered
 * (it is then waiting in a queue; pass the id to racrt_cancel() to give
 * up).  Returns 0 with *lkid set, RACRT_EAGAIN if LMS has not answered yet,
 * RACRT_EINVAL if `req` is not a LOCK request in flight.
 */
int racrt_request_lkid(racrt_t *r, int req, uint64_t *lkid);

/*
 * Receive what LMS sent and run the callbacks it completes.  Waits at most
 * timeout_ms (0: not at all, -1: for ever) for at least one callback.
 * Returns the number of callbacks run (completions and blocking
 * notifications), or RACRT_ECLOSED once the handle is finished (the
 * requests in flight then have had their callbacks, with RACRT_ECLOSED).
 * Called from a callback, it only receives, without waiting, and returns 0:
 * what it completes is delivered after the callback returns.
 */
int racrt_poll(racrt_t *r, int timeout_ms);

/*
 * A file descriptor for the caller's event loop (poll, select, epoll):
 * when it is readable, call racrt_poll(r, 0).  It signals that something
 * MAY have arrived, and only what arrived since the last racrt call: after
 * calling any racrt function, call racrt_poll(r, 0) before going back to
 * sleep on it.  Owned by the handle (do not close it).  Negative on error.
 */
int racrt_fd(racrt_t *r);

/* ---- blocking notifications ------------------------------------------ */

/*
 * `lkid`, held by this handle, blocks a request of `waiter_mode` (by
 * another client, or another handle): release it or convert it down when
 * you can.  Told once per waiter mode (again for a stronger one, or after
 * the lock's mode changed).
 */
typedef void (*racrt_blocking_cb)(racrt_t *r, uint64_t lkid, int waiter_mode, void *arg);

/*
 * Register (cb not NULL) or remove (NULL) the blocking-notification
 * callback.  It runs from racrt_poll() and waiting synchronous calls, like
 * the completion callbacks.  Without one, notifications are dropped.
 */
void racrt_on_blocking(racrt_t *r, racrt_blocking_cb cb, void *arg);

/* ---- helpers ---------------------------------------------------------- */

const char *racrt_strerror(int err);
const char *racrt_mode_str(int mode);		/* "NL".."EX", "IV", "?" */
/* "nl".."EX", any case, to a mode; RACRT_EINVAL if it is none */
int racrt_mode_parse(const char *s);

/* Counters of one handle. */
struct racrt_stats {
	uint64_t rs_requests;	/* requests sent */
	uint64_t rs_replies;	/* replies matched to a request */
	uint64_t rs_events;	/* events received (grants, blocking, failures) */
	uint64_t rs_bad;	/* messages dropped: did not decode, or made no sense */
	uint64_t rs_stale;	/* answers for no request or lock of this handle */
	uint64_t rs_basts_dropped;	/* blocking notifications not delivered */
	uint64_t rs_abandoned;	/* requests given up by the client (late answers) */
	uint64_t rs_nowait_failed;	/* racrt_unlock_nowait() releases LMS refused */
	uint32_t rs_inflight;	/* requests awaiting their reply or event, now */
	uint32_t rs_locks;	/* locks (held or waiting) known to the handle, now */
};
void racrt_get_stats(const racrt_t *r, struct racrt_stats *st);

#ifdef __cplusplus
}
#endif

#endif
