/*
 * aio.c - the I/O worker (see aio.h): one thread, a fixed array of op
 * slots, one mutex and two condition variables (work queued; an op done).
 *
 * A slot is FREE, QUEUED, RUNNING or DONE.  The worker takes the QUEUED
 * slot with the lowest id (submission order), runs it without the lock and
 * marks it DONE -- or FREE when the caller abandoned it.  The age of the
 * oldest outstanding op is what makes a worker hung; a hung worker refuses
 * new ops, so a disk that does not answer holds one op, not a queue of
 * them.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aio.h"
#include "errors.h"
#include "rac.h"

enum { SLOT_FREE = 0, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE };

struct aio_slot {
	int as_state;
	int as_abandoned;
	aio_fn *as_fn;
	void *as_arg;
	uint64_t as_id;
	uint64_t as_submit_ns;
	int as_rc;
	int as_errno;
};

struct aio {
	char a_name[32];
	pthread_t a_thread;
	pthread_mutex_t a_mu;
	pthread_cond_t a_work;		/* an op queued, or stop */
	pthread_cond_t a_done;		/* an op returned */
	unsigned a_depth;
	uint64_t a_timeout_ns;
	uint64_t a_next_id;
	int a_stop;
	int a_orphan;			/* destroyed while an op ran: the thread frees */
	struct aio_slot a_slots[AIO_DEPTH_MAX];
};

static void aio_free(struct aio *a)
{
	pthread_cond_destroy(&a->a_work);
	pthread_cond_destroy(&a->a_done);
	pthread_mutex_destroy(&a->a_mu);
	free(a);
}

static struct aio_slot *next_queued(struct aio *a)
{
	struct aio_slot *best = NULL;

	for (unsigned i = 0; i < a->a_depth; i++) {
		struct aio_slot *s = &a->a_slots[i];

		if (s->as_state == SLOT_QUEUED && (!best || s->as_id < best->as_id))
			best = s;
	}
	return best;
}

static void *worker(void *arg)
{
	struct aio *a = arg;

	pthread_mutex_lock(&a->a_mu);
	for (;;) {
		struct aio_slot *s = NULL;
		int rc, err;

		while (!a->a_stop && !(s = next_queued(a)))
			pthread_cond_wait(&a->a_work, &a->a_mu);
		if (a->a_stop)
			break;
		s->as_state = SLOT_RUNNING;
		pthread_mutex_unlock(&a->a_mu);
		errno = 0;
		rc = s->as_fn(s->as_arg);
		err = errno;
		pthread_mutex_lock(&a->a_mu);
		s->as_rc = rc;
		s->as_errno = err;
		s->as_state = s->as_abandoned ? SLOT_FREE : SLOT_DONE;
		pthread_cond_broadcast(&a->a_done);
	}
	if (a->a_orphan) {
		pthread_mutex_unlock(&a->a_mu);
		aio_free(a);
		return NULL;
	}
	pthread_mutex_unlock(&a->a_mu);
	return NULL;
}

struct aio *aio_new(const char *name, unsigned depth, uint64_t timeout_ns)
{
	struct aio *a;
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	if (depth < 1 || depth > AIO_DEPTH_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if (!(a = calloc(1, sizeof(*a))))
		return NULL;
	rac_strlcpy(a->a_name, name, sizeof(a->a_name));
	a->a_depth = depth;
	a->a_timeout_ns = timeout_ns;
	a->a_next_id = 1;
	pthread_mutex_init(&a->a_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->a_work, &ca);
	pthread_cond_init(&a->a_done, &ca);
	pthread_condattr_destroy(&ca);
	/* the thread inherits the mask: no signal is ever delivered to it */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&a->a_thread, NULL, worker, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		aio_free(a);
		errno = rc;
		return NULL;
	}
	return a;
}

void aio_destroy(struct aio **pa)
{
	struct aio *a = *pa;
	int running = 0;

	if (!a)
		return;
	*pa = NULL;
	pthread_mutex_lock(&a->a_mu);
	a->a_stop = 1;
	for (unsigned i = 0; i < a->a_depth; i++)
		if (a->a_slots[i].as_state == SLOT_RUNNING)
			running = 1;
	a->a_orphan = running;
	pthread_cond_broadcast(&a->a_work);
	pthread_mutex_unlock(&a->a_mu);
	if (running) {
		/* stuck in the kernel: it frees the worker when the op returns */
		pthread_detach(a->a_thread);
		return;
	}
	pthread_join(a->a_thread, NULL);
	aio_free(a);
}

const char *aio_name(const struct aio *a)
{
	return a->a_name;
}

static uint64_t age_locked(const struct aio *a, uint64_t now)
{
	uint64_t oldest = 0;

	for (unsigned i = 0; i < a->a_depth; i++) {
		const struct aio_slot *s = &a->a_slots[i];

		if ((s->as_state == SLOT_QUEUED || s->as_state == SLOT_RUNNING) &&
		    (!oldest || s->as_submit_ns < oldest))
			oldest = s->as_submit_ns;
	}
	return oldest && now > oldest ? now - oldest : 0;
}

int aio_submit(struct aio *a, aio_fn *fn, void *arg, uint64_t *id)
{
	uint64_t now = rac_now_mono_ns();
	int rc = RAC_EBUSY;

	pthread_mutex_lock(&a->a_mu);
	if (age_locked(a, now) > a->a_timeout_ns) {
		rc = RAC_ETIMEDOUT;
		goto out;
	}
	for (unsigned i = 0; i < a->a_depth; i++) {
		struct aio_slot *s = &a->a_slots[i];

		if (s->as_state != SLOT_FREE)
			continue;
		*s = (struct aio_slot){ .as_state = SLOT_QUEUED, .as_fn = fn, .as_arg = arg,
					.as_id = a->a_next_id++, .as_submit_ns = now };
		*id = s->as_id;
		pthread_cond_signal(&a->a_work);
		rc = 0;
		break;
	}
out:
	pthread_mutex_unlock(&a->a_mu);
	return rc;
}

static struct aio_slot *find_locked(struct aio *a, uint64_t id)
{
	for (unsigned i = 0; i < a->a_depth; i++) {
		struct aio_slot *s = &a->a_slots[i];

		if (s->as_state != SLOT_FREE && !s->as_abandoned && s->as_id == id)
			return s;
	}
	return NULL;
}

/* with the lock: 1 done (slot freed), 0 outstanding, RAC_ENOENT */
static int take_locked(struct aio *a, uint64_t id, int *rc, int *err)
{
	struct aio_slot *s = find_locked(a, id);

	if (!s)
		return RAC_ENOENT;
	if (s->as_state != SLOT_DONE)
		return 0;
	if (rc)
		*rc = s->as_rc;
	if (err)
		*err = s->as_errno;
	s->as_state = SLOT_FREE;
	return 1;
}

int aio_poll(struct aio *a, uint64_t id, int *rc, int *err)
{
	int r;

	pthread_mutex_lock(&a->a_mu);
	r = take_locked(a, id, rc, err);
	pthread_mutex_unlock(&a->a_mu);
	return r;
}

int aio_wait(struct aio *a, uint64_t id, int timeout_ms, int *rc, int *err)
{
	struct timespec ts;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&a->a_mu);
	while ((r = take_locked(a, id, rc, err)) == 0 && timeout_ms > 0)
		if (pthread_cond_timedwait(&a->a_done, &a->a_mu, &ts) == ETIMEDOUT) {
			r = take_locked(a, id, rc, err);
			break;
		}
	pthread_mutex_unlock(&a->a_mu);
	return r;
}

void aio_abandon(struct aio *a, uint64_t id)
{
	struct aio_slot *s;

	pthread_mutex_lock(&a->a_mu);
	if ((s = find_locked(a, id))) {
		if (s->as_state == SLOT_DONE)
			s->as_state = SLOT_FREE;
		else
			s->as_abandoned = 1;
	}
	pthread_mutex_unlock(&a->a_mu);
}

unsigned aio_outstanding(struct aio *a)
{
	unsigned n = 0;

	pthread_mutex_lock(&a->a_mu);
	for (unsigned i = 0; i < a->a_depth; i++)
		if (a->a_slots[i].as_state == SLOT_QUEUED || a->a_slots[i].as_state == SLOT_RUNNING)
			n++;
	pthread_mutex_unlock(&a->a_mu);
	return n;
}

uint64_t aio_age_ns(struct aio *a)
{
	uint64_t age;

	pthread_mutex_lock(&a->a_mu);
	age = age_locked(a, rac_now_mono_ns());
	pthread_mutex_unlock(&a->a_mu);
	return age;
}

bool aio_hung(struct aio *a)
{
	return aio_age_ns(a) > a->a_timeout_ns;
}
