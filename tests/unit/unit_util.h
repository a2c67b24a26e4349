/*
 * unit_util.h - helpers the unit tests share: a byte through the page cache
 * on an O_DIRECT descriptor, and a gate that holds an I/O worker (lib/aio.h)
 * inside one op, as a disk that does not answer holds it.
 */
#ifndef RAC_UNIT_UTIL_H
#define RAC_UNIT_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

/* one byte in or out through the page cache: the descriptor is O_DIRECT */
static inline ssize_t byte_io(int fd, uint8_t *b, off_t off, int write)
{
	int fl = fcntl(fd, F_GETFL);
	ssize_t n;

	fcntl(fd, F_SETFL, fl & ~O_DIRECT);
	n = write ? pwrite(fd, b, 1, off) : pread(fd, b, 1, off);
	fcntl(fd, F_SETFL, fl);
	return n;
}

struct gate {
	pthread_mutex_t g_mu;
	pthread_cond_t g_cv;
	int g_open;
	int g_entered;		/* the op started: it is RUNNING, not queued */
	int g_rc;		/* what the op returns once the gate opens (errno EIO if not 0) */
};

static inline void gate_init(struct gate *g, int rc)
{
	pthread_mutex_init(&g->g_mu, NULL);
	pthread_cond_init(&g->g_cv, NULL);
	g->g_open = 0;
	g->g_entered = 0;
	g->g_rc = rc;
}

static inline void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->g_mu);
	g->g_open = 1;
	pthread_cond_broadcast(&g->g_cv);
	pthread_mutex_unlock(&g->g_mu);
}

/* wait until the worker is inside the op */
static inline void gate_wait_entered(struct gate *g)
{
	pthread_mutex_lock(&g->g_mu);
	while (!g->g_entered)
		pthread_cond_wait(&g->g_cv, &g->g_mu);
	pthread_mutex_unlock(&g->g_mu);
}

/* an aio_fn that blocks until its gate opens, as I/O on a disk that does not answer */
static inline int gate_op(void *arg)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->g_mu);
	g->g_entered = 1;
	pthread_cond_broadcast(&g->g_cv);
	while (!g->g_open)
		pthread_cond_wait(&g->g_cv, &g->g_mu);
	pthread_mutex_unlock(&g->g_mu);
	if (g->g_rc)
		errno = EIO;
	return g->g_rc;
}

#endif
