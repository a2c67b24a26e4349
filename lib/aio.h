/*
 * aio.h - an I/O worker: one thread that runs the functions handed to it,
 * one at a time, in the order they were submitted, so that the caller never
 * waits on the disk longer than it chooses.
 *
 * The caller submits an op (a function and its argument), goes on with its
 * own work and polls for the result.  An op stuck in the kernel (a lost SAN
 * path, a hard NFS mount, a FUSE file system that does not answer) cannot
 * be cancelled: the worker is then "hung" -- its oldest outstanding op has
 * waited longer than the worker's timeout -- and it takes no new op until
 * that one returns.  The queue is bounded (depth ops at most, queued or
 * running) and there is exactly one thread per worker, whatever the disk
 * does: a hung disk costs one blocked thread, never a growing number.
 *
 * The argument belongs to the caller, who must keep it valid until the op
 * is no longer outstanding (aio_poll() said done, or aio_outstanding() is
 * 0 after an abandon).  The function runs on the worker thread: it must not
 * log, touch LMON's state or call anything that is not thread-safe; it
 * does the I/O and leaves the results in its argument.  The worker keeps
 * errno as the function left it, for the caller's messages.
 *
 * Every worker thread blocks all signals, so a signal meant for the process
 * (SIGTERM, SIGCHLD) is taken by its main thread as before.
 */
#ifndef RAC_AIO_H
#define RAC_AIO_H

#include <stdbool.h>
#include <stdint.h>

#define AIO_DEPTH_MAX	8

typedef int aio_fn(void *arg);

struct aio;

/*
 * A worker named `name` (for the caller's logs) with room for `depth` ops
 * (1..AIO_DEPTH_MAX), hung when an op has been outstanding longer than
 * `timeout_ns`.  NULL when the thread cannot be started (errno set).
 */
struct aio *aio_new(const char *name, unsigned depth, uint64_t timeout_ns);
/*
 * Stop the worker.  Ops still queued are dropped.  If an op is running (a
 * hung disk), the thread is left to finish it and frees the worker itself
 * afterwards; the caller does not wait.  Clears *pa.
 */
void aio_destroy(struct aio **pa);
const char *aio_name(const struct aio *a);

/*
 * Queue fn(arg).  0 with *id set; RAC_ETIMEDOUT when the worker is hung
 * (nothing queued), RAC_EBUSY when the queue is full.
 */
int aio_submit(struct aio *a, aio_fn *fn, void *arg, uint64_t *id);
/*
 * Has op `id` completed?  1: yes, *rc and *err (errno) filled and the op
 * forgotten; 0: still queued or running; RAC_ENOENT: no such op (already
 * polled, abandoned or never submitted).  rc or err may be NULL.
 */
int aio_poll(struct aio *a, uint64_t id, int *rc, int *err);
/* as aio_poll(), but wait up to timeout_ms for it (0: do not wait) */
int aio_wait(struct aio *a, uint64_t id, int timeout_ms, int *rc, int *err);
/*
 * The caller will not poll op `id`: it is forgotten once it returns (at
 * once if it has).  It keeps its place in the queue and still counts as
 * outstanding until it returns.
 */
void aio_abandon(struct aio *a, uint64_t id);

/* ops queued or running, abandoned ones included */
unsigned aio_outstanding(struct aio *a);
/* how long the oldest outstanding op has waited, ns; 0 when none */
uint64_t aio_age_ns(struct aio *a);
/* its oldest outstanding op has waited longer than the worker's timeout */
bool aio_hung(struct aio *a);

#endif
