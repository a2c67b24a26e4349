/*
 * test_client.c - the racrt client library (include/racrt.h) and `racctl
 * lock` against a fake LMS: a ROUTER on ipc://<tmpdir>/lms.sock served by a
 * thread that answers by a script (grant, queue then grant, busy, queue
 * then time out, say nothing, send garbage, ...), records every request it
 * gets and the order in which it completed them.
 *
 * Checks: synchronous lock granted with its value block; queued then
 * granted by a later event; NOQUEUE busy; timeouts (LMS's, and the
 * client's own when LMS stays silent, which gives the lock back); no
 * reply; conversions granted and deadlocked; cancel; blocking
 * notifications; 1000 pipelined asynchronous requests whose callbacks come
 * in the order LMS completed them; malformed bytes ignored; LMS going away;
 * nothing listening; close releasing what the handle held (ASan checks
 * that it frees everything); racctl lock's exit statuses.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>
#include <cmocka.h>

#include "config.h"
#include "grd.h"
#include "msg.h"
#include "racctl.h"
#include "racrt.h"

#define CLUSTER "unitc"
#define MAXREQ 8192

enum script {
	S_GRANT = 1,		/* grant at once */
	S_QUEUE_GRANT,		/* queued, GRANTED 50 ms later */
	S_BUSY,			/* GRD_ENOTQUEUED */
	S_QUEUE_TIMEOUT,	/* queued, TIMEDOUT after the request's timeout */
	S_QUEUE_SILENT,		/* queued, and nothing more */
	S_SILENT,		/* no reply at all (kept for a late reply) */
	S_GARBAGE,		/* a volley of bad bytes, then grant */
	S_BURST,		/* by name: g* granted, b* busy, q* queued; all queued
				 * ones granted in reverse once f_burst_n have come */
	S_NOT_READY,		/* lk_status -1 */
	S_NOMEM,		/* lk_status LK_ENOMEM: the master is out of memory */
	S_VERSION,		/* an empty message in another message version */
};

struct sched {
	uint64_t sc_due;
	struct msg_lk sc_lk;
};

struct fake {
	pthread_t f_thread;
	char f_dir[64];
	char f_ep[128];
	uint64_t f_cluster;
	pthread_mutex_t f_mu;
	volatile int f_stop, f_die, f_ready;
	volatile int f_answer_late;	/* S_SILENT: grant what it kept now */
	int f_script;		/* for LOCK */
	int f_conv_script;	/* for CONVERT: S_GRANT, S_QUEUE_SILENT, or S_BUSY meaning
				 * queued then DEADLOCK */
	int f_nowait_fail;	/* LK_NOREPLY requests to refuse (not ready) */
	uint8_t f_ident[256];
	size_t f_identlen;
	int f_bundles, f_max_bundle;	/* messages received, most requests in one */
	uint64_t f_next_lkid;
	/* what it got, and the order it completed requests in */
	struct msg_lk f_got[MAXREQ];
	int f_ngot;
	uint32_t f_done[MAXREQ];
	int f_ndone;
	/* S_BURST */
	int f_burst_n, f_burst_seen;
	struct msg_lk f_queued[MAXREQ];
	int f_nqueued;
	/* S_SILENT: the requests it did not answer */
	struct msg_lk f_unanswered[64];
	int f_nunanswered;
	/* events to send later */
	struct sched f_sched[MAXREQ];
	int f_nsched;
};

static struct fake *F;

static uint64_t now_ns(void)
{
	return rac_now_mono_ns();
}

static void lvb_pattern(uint8_t *lvb, uint64_t seed)
{
	for (int i = 0; i < LK_LVB_LEN; i++)
		lvb[i] = (uint8_t)(seed * 7 + (uint64_t)i);
}

/* ---- the fake LMS ------------------------------------------------------------ */

static void fake_send_raw(struct fake *f, void *rt, const void *buf, size_t len, int more)
{
	zmq_send(rt, f->f_ident, f->f_identlen, ZMQ_SNDMORE);
	zmq_send(rt, buf, len, more ? ZMQ_SNDMORE : 0);
}

static void fake_send(struct fake *f, void *rt, uint16_t type, const struct msg_lk *lk)
{
	uint8_t buf[RAC_MSG_HDR + MSG_LK_LEN];
	struct msg_hdr h = { .mh_sender = 1, .mh_cluster = f->f_cluster, .mh_seq = 1 };
	int n = msg_encode_lk(buf, sizeof(buf), &h, type, lk);

	assert_true(n > 0);
	fake_send_raw(f, rt, buf, (size_t)n, 0);
}

static void reply(struct fake *f, void *rt, const struct msg_lk *rq, int status, uint64_t lkid)
{
	struct msg_lk a = { .lk_req = rq->lk_req, .lk_status = status, .lk_lkid = lkid,
			    .lk_op = rq->lk_op, .lk_flags = rq->lk_flags };

	if (status == 0) {
		lvb_pattern(a.lk_lvb, lkid);
		a.lk_dubious = rq->lk_op == LK_OP_LVB_READ;
	}
	if (status != 1 && f->f_ndone < MAXREQ)
		f->f_done[f->f_ndone++] = rq->lk_req;
	fake_send(f, rt, MSG_LK_REPLY, &a);
}

static void event(struct fake *f, void *rt, uint32_t ev, uint64_t lkid, int mode, uint32_t req)
{
	struct msg_lk e = { .lk_event = ev, .lk_lkid = lkid, .lk_mode = mode };

	if (ev == GRD_EV_GRANTED)
		lvb_pattern(e.lk_lvb, lkid);
	if (ev != GRD_EV_BLOCKING && f->f_ndone < MAXREQ)
		f->f_done[f->f_ndone++] = req;
	fake_send(f, rt, MSG_LK_EVENT, &e);
}

/* the test thread asks for an event in `ms` (under f_mu) */
static void fake_schedule(struct fake *f, int ms, uint32_t ev, uint64_t lkid, int mode)
{
	pthread_mutex_lock(&f->f_mu);
	f->f_sched[f->f_nsched++] = (struct sched){
		.sc_due = now_ns() + (uint64_t)ms * 1000000ull,
		.sc_lk = { .lk_event = ev, .lk_lkid = lkid, .lk_mode = mode },
	};
	pthread_mutex_unlock(&f->f_mu);
}

static void send_garbage(struct fake *f, void *rt, const struct msg_lk *rq)
{
	uint8_t buf[RAC_MSG_HDR + MSG_LK_LEN + 8];
	struct msg_hdr h = { .mh_sender = 1, .mh_cluster = f->f_cluster };
	struct msg_lk a = { .lk_req = rq->lk_req, .lk_status = 0, .lk_lkid = 99 };
	int n;

	fake_send_raw(f, rt, "xyz", 3, 0);				/* short */
	memset(buf, 0xAB, sizeof(buf));
	fake_send_raw(f, rt, buf, RAC_MSG_HDR + MSG_LK_LEN, 0);		/* bad magic */
	n = msg_encode_lk(buf, sizeof(buf), &h, MSG_LK_REPLY, &a);
	fake_send_raw(f, rt, buf, (size_t)n - 1, 0);			/* truncated */
	fake_send_raw(f, rt, buf, (size_t)n + 8, 0);			/* trailing bytes */
	fake_send_raw(f, rt, buf, (size_t)n, 1);			/* two frames */
	zmq_send(rt, buf, (size_t)n, 0);
	h.mh_cluster = rac_msg_cluster_id("another");
	n = msg_encode_lk(buf, sizeof(buf), &h, MSG_LK_REPLY, &a);
	fake_send_raw(f, rt, buf, (size_t)n, 0);			/* other cluster */
	h.mh_cluster = f->f_cluster;
	n = msg_encode_lk(buf, sizeof(buf), &h, MSG_LK_REQUEST, &a);
	fake_send_raw(f, rt, buf, (size_t)n, 0);			/* wrong type */
	a.lk_namelen = 200;
	n = msg_encode_lk(buf, sizeof(buf), &h, MSG_LK_REPLY, &a);
	fake_send_raw(f, rt, buf, (size_t)n, 0);			/* bad name length */
	a.lk_namelen = 0;
	a.lk_req = rq->lk_req + 1;
	n = msg_encode_lk(buf, sizeof(buf), &h, MSG_LK_REPLY, &a);
	fake_send_raw(f, rt, buf, (size_t)n, 0);			/* nobody's request */
	a = (struct msg_lk){ .lk_event = 77, .lk_lkid = 99 };
	n = msg_encode_lk(buf, sizeof(buf), &h, MSG_LK_EVENT, &a);
	fake_send_raw(f, rt, buf, (size_t)n, 0);			/* unknown event */
}

static void fake_lock(struct fake *f, void *rt, const struct msg_lk *rq)
{
	uint64_t lkid = ++f->f_next_lkid;

	switch (f->f_script) {
	case S_GRANT:
		reply(f, rt, rq, 0, lkid);
		break;
	case S_BUSY:
		reply(f, rt, rq, GRD_ENOTQUEUED, 0);
		break;
	case S_NOT_READY:
		reply(f, rt, rq, -1, 0);
		break;
	case S_NOMEM:
		reply(f, rt, rq, LK_ENOMEM, 0);
		break;
	case S_QUEUE_GRANT:
	case S_QUEUE_TIMEOUT:
		reply(f, rt, rq, 1, lkid);
		f->f_sched[f->f_nsched++] = (struct sched){
			.sc_due = now_ns() + (f->f_script == S_QUEUE_GRANT ? 50 : rq->lk_timeout_ms) *
					     1000000ull,
			.sc_lk = { .lk_req = rq->lk_req, .lk_lkid = lkid,
				   .lk_event = f->f_script == S_QUEUE_GRANT ? GRD_EV_GRANTED :
									     GRD_EV_TIMEDOUT,
				   .lk_mode = f->f_script == S_QUEUE_GRANT ? rq->lk_mode : GRD_IV },
		};
		break;
	case S_QUEUE_SILENT:
		reply(f, rt, rq, 1, lkid);
		break;
	case S_SILENT:
		if (f->f_nunanswered < 64)
			f->f_unanswered[f->f_nunanswered++] = *rq;
		break;
	case S_GARBAGE:
		send_garbage(f, rt, rq);
		reply(f, rt, rq, 0, lkid);
		break;
	case S_VERSION: {
		/* what LMS sends a client whose message version it does not speak */
		uint8_t buf[RAC_MSG_HDR];
		struct msg_hdr h = { .mh_sender = 1, .mh_cluster = f->f_cluster };
		int n = msg_encode_raw(buf, sizeof(buf), &h, MSG_LK_REPLY, NULL, 0);

		buf[4] ^= 0x40;	/* the version field */
		fake_send_raw(f, rt, buf, (size_t)n, 0);
		break;
	}
	case S_BURST:
		if (rq->lk_name[0] == 'g') {
			reply(f, rt, rq, 0, lkid);
		} else if (rq->lk_name[0] == 'b') {
			reply(f, rt, rq, GRD_ENOTQUEUED, 0);
		} else {
			reply(f, rt, rq, 1, lkid);
			f->f_queued[f->f_nqueued] = *rq;
			f->f_queued[f->f_nqueued++].lk_lkid = lkid;
		}
		if (++f->f_burst_seen == f->f_burst_n) {
			while (f->f_nqueued--) {
				const struct msg_lk *q = &f->f_queued[f->f_nqueued];

				event(f, rt, GRD_EV_GRANTED, q->lk_lkid, q->lk_mode, q->lk_req);
			}
		}
		break;
	}
}

static void fake_request(struct fake *f, void *rt, const struct msg_lk *rq)
{
	if (f->f_ngot < MAXREQ)
		f->f_got[f->f_ngot++] = *rq;
	switch (rq->lk_op) {
	case LK_OP_LOCK:
		fake_lock(f, rt, rq);
		break;
	case LK_OP_CONVERT:
		if (f->f_conv_script == S_GRANT) {
			reply(f, rt, rq, 0, rq->lk_lkid);
		} else {
			reply(f, rt, rq, 1, rq->lk_lkid);
			if (f->f_conv_script == S_BUSY)
				f->f_sched[f->f_nsched++] = (struct sched){
					.sc_due = now_ns() + 20000000ull,
					.sc_lk = { .lk_req = rq->lk_req, .lk_lkid = rq->lk_lkid,
						   .lk_event = GRD_EV_DEADLOCK, .lk_mode = GRD_PR },
				};
		}
		break;
	default:	/* UNLOCK, CANCEL, LVB_READ, SYNC */
		if (!(rq->lk_flags & LK_NOREPLY))
			reply(f, rt, rq, 0, rq->lk_lkid);
		else if (f->f_nowait_fail > 0 && f->f_nowait_fail--)
			reply(f, rt, rq, -1, rq->lk_lkid);	/* as LMS: only a failure */
		break;
	}
}

static void fake_receive(struct fake *f, void *rt)
{
	for (;;) {
		static uint8_t buf[RAC_MSG_HDR + MSG_BUNDLE_MAX];
		struct msg_bundle_iter it;
		struct msg_hdr h;
		struct msg_lk rq;
		const uint8_t *p;
		uint16_t type;
		int n = zmq_recv(rt, f->f_ident, sizeof(f->f_ident), ZMQ_DONTWAIT), k = 0;

		if (n < 0)
			return;
		f->f_identlen = (size_t)n;
		n = zmq_recv(rt, buf, sizeof(buf), 0);
		assert_int_equal(msg_decode_hdr(buf, (size_t)n, f->f_cluster, &h, &p), 0);
		assert_int_equal(h.mh_sender, 0);
		/* the library sends its requests in bundles, one or more each */
		assert_int_equal(h.mh_type, MSG_LK_BUNDLE);
		assert_int_equal(msg_bundle_open(p, h.mh_length, &it), 0);
		while ((n = msg_bundle_next(&it, &type, &rq)) == 1) {
			assert_int_equal(type, MSG_LK_REQUEST);
			assert_int_equal(rq.lk_owner_pid, (uint32_t)getpid());
			pthread_mutex_lock(&f->f_mu);
			fake_request(f, rt, &rq);
			pthread_mutex_unlock(&f->f_mu);
			k++;
		}
		assert_int_equal(n, 0);
		assert_true(k >= 1);
		pthread_mutex_lock(&f->f_mu);
		f->f_bundles++;
		if (k > f->f_max_bundle)
			f->f_max_bundle = k;
		pthread_mutex_unlock(&f->f_mu);
	}
}

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	void *ctx = zmq_ctx_new(), *rt = zmq_socket(ctx, ZMQ_ROUTER);
	int linger = 0, hwm = 100000;

	zmq_setsockopt(rt, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(rt, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(rt, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	assert_int_equal(zmq_bind(rt, f->f_ep), 0);
	f->f_ready = 1;
	while (!f->f_stop) {
		zmq_pollitem_t it = { .socket = rt, .events = ZMQ_POLLIN };

		if (f->f_die && rt) {
			zmq_close(rt);	/* LMS dies: the connection breaks */
			rt = NULL;
		}
		if (!rt) {
			usleep(2000);
			continue;
		}
		zmq_poll(&it, 1, 2);
		fake_receive(f, rt);
		pthread_mutex_lock(&f->f_mu);
		if (f->f_answer_late) {
			for (int i = 0; i < f->f_nunanswered; i++)
				reply(f, rt, &f->f_unanswered[i], 0, ++f->f_next_lkid);
			f->f_nunanswered = 0;
			f->f_answer_late = 0;
		}
		for (int i = 0; i < f->f_nsched;) {
			struct sched *s = &f->f_sched[i];

			if (s->sc_due > now_ns()) {
				i++;
				continue;
			}
			event(f, rt, s->sc_lk.lk_event, s->sc_lk.lk_lkid, s->sc_lk.lk_mode,
			      s->sc_lk.lk_req);
			*s = f->f_sched[--f->f_nsched];
		}
		pthread_mutex_unlock(&f->f_mu);
	}
	if (rt)
		zmq_close(rt);
	zmq_ctx_term(ctx);
	return NULL;
}

static int setup(void **state)
{
	sigset_t all, old;

	(void)state;
	F = calloc(1, sizeof(*F));
	if (!F)
		return -1;
	snprintf(F->f_dir, sizeof(F->f_dir), "/tmp/racrt-unit-client.XXXXXX");
	if (!mkdtemp(F->f_dir))
		return -1;
	snprintf(F->f_ep, sizeof(F->f_ep), "ipc://%s/lms.sock", F->f_dir);
	F->f_cluster = rac_msg_cluster_id(CLUSTER);
	F->f_script = S_GRANT;
	F->f_conv_script = S_GRANT;
	pthread_mutex_init(&F->f_mu, NULL);
	/* signals are for the test thread (racctl lock waits on a signalfd) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_create(&F->f_thread, NULL, fake_run, F);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	while (!F->f_ready)
		usleep(1000);
	return 0;
}

static int teardown(void **state)
{
	char path[160];

	(void)state;
	F->f_stop = 1;
	pthread_join(F->f_thread, NULL);
	snprintf(path, sizeof(path), "%s/lms.sock", F->f_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ran", F->f_dir);
	unlink(path);
	rmdir(F->f_dir);
	pthread_mutex_destroy(&F->f_mu);
	free(F);
	F = NULL;
	return 0;
}

static void set_script(int lock, int conv)
{
	pthread_mutex_lock(&F->f_mu);
	F->f_script = lock;
	if (conv)
		F->f_conv_script = conv;
	pthread_mutex_unlock(&F->f_mu);
}

static racrt_t *open_fake(void)
{
	int err = 12345;
	racrt_t *r = racrt_open_endpoint(F->f_ep, CLUSTER, &err);

	assert_non_null(r);
	assert_int_equal(err, 0);
	return r;
}

/* requests of op (and lkid, if not 0) the fake has got */
static int got(int op, uint64_t lkid)
{
	int n = 0;

	pthread_mutex_lock(&F->f_mu);
	for (int i = 0; i < F->f_ngot; i++)
		if ((int)F->f_got[i].lk_op == op && (!lkid || F->f_got[i].lk_lkid == lkid))
			n++;
	pthread_mutex_unlock(&F->f_mu);
	return n;
}

/* let the handle receive for a while (abandoned requests finish meanwhile) */
static void settle(racrt_t *r, int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000ull;

	while (now_ns() < end)
		racrt_poll(r, 5);
}

/* ---- callbacks ----------------------------------------------------------------- */

struct rec {
	int n;
	struct racrt_result res[MAXREQ];
};

static void record(racrt_t *r, const struct racrt_result *res, void *arg)
{
	struct rec *rc = arg;

	(void)r;
	if (rc->n < MAXREQ)
		rc->res[rc->n++] = *res;
}

struct bast_rec {
	int n;
	uint64_t lkid;
	int mode;
};

static void on_bast(racrt_t *r, uint64_t lkid, int mode, void *arg)
{
	struct bast_rec *b = arg;

	(void)r;
	b->n++;
	b->lkid = lkid;
	b->mode = mode;
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_sync_lock_granted(void **state)
{
	racrt_t *r = open_fake();
	uint8_t lvb[RACRT_LVB_LEN], want[RACRT_LVB_LEN];
	uint64_t lkid = 0;
	int dubious = -1;

	(void)state;
	assert_int_equal(racrt_lock(r, "res-a", 5, RACRT_EX, 0, 0, &lkid, lvb, &dubious), 0);
	assert_true(lkid != 0);
	lvb_pattern(want, lkid);
	assert_memory_equal(lvb, want, RACRT_LVB_LEN);
	assert_int_equal(dubious, 0);
	assert_int_equal(F->f_got[0].lk_op, LK_OP_LOCK);
	assert_int_equal(F->f_got[0].lk_mode, RACRT_EX);
	assert_int_equal(F->f_got[0].lk_namelen, 5);
	assert_memory_equal(F->f_got[0].lk_name, "res-a", 5);

	assert_int_equal(racrt_lvb_read(r, lkid, lvb, &dubious), 0);
	assert_int_equal(dubious, 1);
	memset(want, 0x5A, sizeof(want));
	assert_int_equal(racrt_unlock(r, lkid, want), 0);
	assert_int_equal(F->f_got[2].lk_op, LK_OP_UNLOCK);
	assert_int_equal(F->f_got[2].lk_has_lvb, 1);
	assert_memory_equal(F->f_got[2].lk_lvb, want, RACRT_LVB_LEN);

	struct racrt_stats st;
	racrt_get_stats(r, &st);
	assert_int_equal(st.rs_requests, 3);
	assert_int_equal(st.rs_replies, 3);
	assert_int_equal(st.rs_locks, 0);
	assert_int_equal(st.rs_inflight, 0);
	racrt_close(&r);
	assert_null(r);
	racrt_close(&r);	/* twice: nothing */
}

static void test_bad_arguments(void **state)
{
	racrt_t *r = open_fake();
	uint64_t lkid;

	(void)state;
	assert_int_equal(racrt_lock(r, "", 0, RACRT_EX, 0, 0, &lkid, NULL, NULL), RACRT_ENAMELEN);
	assert_int_equal(racrt_lock(r, "x", 65, RACRT_EX, 0, 0, &lkid, NULL, NULL),
			 RACRT_ENAMELEN);
	assert_int_equal(racrt_lock(r, "x", 1, 6, 0, 0, &lkid, NULL, NULL), RACRT_EBADMODE);
	assert_int_equal(racrt_lock(r, "x", 1, RACRT_PR, 0x10, 0, &lkid, NULL, NULL),
			 RACRT_EBADFLAGS);
	assert_int_equal(racrt_lock(NULL, "x", 1, RACRT_PR, 0, 0, &lkid, NULL, NULL),
			 RACRT_EINVAL);
	assert_int_equal(racrt_unlock(r, 0, NULL), RACRT_EINVAL);
	assert_int_equal(racrt_mode_parse("pw"), RACRT_PW);
	assert_int_equal(racrt_mode_parse("Ex"), RACRT_EX);
	assert_int_equal(racrt_mode_parse("XX"), RACRT_EINVAL);
	assert_string_equal(racrt_mode_str(RACRT_CR), "CR");
	assert_string_equal(racrt_strerror(RACRT_ENOTQUEUED), "resource busy (no-queue request)");
	assert_int_equal(F->f_ngot, 0);	/* nothing was sent */
	racrt_close(&r);
}

static void test_sync_lock_queued_then_granted(void **state)
{
	racrt_t *r = open_fake();
	struct bast_rec b = { 0 };
	uint8_t lvb[RACRT_LVB_LEN], want[RACRT_LVB_LEN];
	uint64_t t0 = now_ns(), lkid = 0, held;

	(void)state;
	set_script(S_GRANT, 0);
	assert_int_equal(racrt_lock(r, "held", 4, RACRT_PR, 0, 0, &held, NULL, NULL), 0);
	racrt_on_blocking(r, on_bast, &b);
	/* a blocking notification for the held lock arrives while we wait */
	fake_schedule(F, 10, GRD_EV_BLOCKING, held, RACRT_EX);
	set_script(S_QUEUE_GRANT, 0);
	assert_int_equal(racrt_lock(r, "res-q", 5, RACRT_PW, 0, 0, &lkid, lvb, NULL), 0);
	assert_true(now_ns() - t0 >= 45000000ull);	/* it did wait for the event */
	lvb_pattern(want, lkid);
	assert_memory_equal(lvb, want, RACRT_LVB_LEN);
	assert_int_equal(b.n, 1);	/* delivered from inside the waiting call */
	assert_int_equal(b.lkid, held);
	assert_int_equal(b.mode, RACRT_EX);

	/* a notification for a lock that is not ours is dropped */
	fake_schedule(F, 0, GRD_EV_BLOCKING, 424242, RACRT_EX);
	settle(r, 30);
	assert_int_equal(b.n, 1);
	racrt_close(&r);
}

static void test_noqueue_busy(void **state)
{
	racrt_t *r = open_fake();
	uint64_t lkid = 77;

	(void)state;
	set_script(S_BUSY, 0);
	assert_int_equal(racrt_lock(r, "busy", 4, RACRT_EX, RACRT_NOQUEUE, 0, &lkid, NULL, NULL),
			 RACRT_ENOTQUEUED);
	assert_int_equal(lkid, 77);	/* untouched */
	assert_int_equal(F->f_got[0].lk_flags, LK_NOQUEUE);
	set_script(S_NOT_READY, 0);
	assert_int_equal(racrt_lock(r, "busy", 4, RACRT_EX, 0, 0, &lkid, NULL, NULL),
			 RACRT_ENOTREADY);
	racrt_close(&r);
}

/* a master whose table could not take the lock: out of memory, told so */
static void test_master_out_of_memory(void **state)
{
	racrt_t *r = open_fake();
	struct racrt_stats st;
	uint64_t lkid = 77;

	(void)state;
	set_script(S_NOMEM, 0);
	assert_int_equal(racrt_lock(r, "full", 4, RACRT_EX, 0, 0, &lkid, NULL, NULL),
			 RACRT_ENOMEM);
	racrt_get_stats(r, &st);
	assert_int_equal(st.rs_bad, 0);		/* a real answer, not a protocol error */
	racrt_close(&r);
}

static void test_timeout_from_lms(void **state)
{
	racrt_t *r = open_fake();
	struct racrt_stats st;
	uint64_t lkid;

	(void)state;
	set_script(S_QUEUE_TIMEOUT, 0);
	assert_int_equal(racrt_lock(r, "slow", 4, RACRT_EX, 0, 100, &lkid, NULL, NULL),
			 RACRT_ETIMEDOUT);
	assert_int_equal(F->f_got[0].lk_timeout_ms, 100);
	racrt_get_stats(r, &st);
	assert_int_equal(st.rs_locks, 0);	/* a failed new lock leaves nothing */
	racrt_close(&r);
	assert_int_equal(got(LK_OP_UNLOCK, 0), 0);
}

static void test_timeout_client_side(void **state)
{
	racrt_t *r = open_fake();
	uint64_t t0 = now_ns(), lkid, ms;
	struct racrt_stats st;

	(void)state;
	set_script(S_QUEUE_SILENT, 0);
	racrt_set_reply_timeout(r, 200);
	assert_int_equal(racrt_lock(r, "lost", 4, RACRT_EX, 0, 100, &lkid, NULL, NULL),
			 RACRT_ETIMEDOUT);
	ms = (now_ns() - t0) / 1000000ull;
	assert_true(ms >= 300 && ms < 2000);	/* timeout + reply bound */
	/* the abandoned request is given back: an unlock cancels it at LMS */
	settle(r, 50);
	assert_int_equal(got(LK_OP_UNLOCK, 1), 1);	/* the fake's first lock id */
	racrt_get_stats(r, &st);
	assert_int_equal(st.rs_abandoned, 1);
	assert_int_equal(st.rs_locks, 0);
	assert_int_equal(st.rs_inflight, 0);
	racrt_close(&r);
}

static void test_no_reply_then_late_grant(void **state)
{
	racrt_t *r = open_fake();
	uint64_t t0 = now_ns(), lkid;
	struct racrt_stats st;

	(void)state;
	set_script(S_SILENT, 0);
	racrt_set_reply_timeout(r, 150);
	assert_int_equal(racrt_lock(r, "mute", 4, RACRT_EX, 0, 0, &lkid, NULL, NULL),
			 RACRT_ENOREPLY);
	assert_true(now_ns() - t0 >= 150000000ull);
	/* the reply comes after all, granted: the client gives the lock back */
	set_script(S_GRANT, 0);
	F->f_answer_late = 1;
	while (got(LK_OP_UNLOCK, 0) == 0 && now_ns() - t0 < 5000000000ull)
		racrt_poll(r, 5);
	assert_int_equal(got(LK_OP_UNLOCK, 2), 1);	/* the late grant's lock id */
	settle(r, 20);
	racrt_get_stats(r, &st);
	assert_int_equal(st.rs_abandoned, 1);
	assert_int_equal(st.rs_locks, 0);
	assert_int_equal(st.rs_inflight, 0);
	racrt_close(&r);
}

static void test_convert(void **state)
{
	racrt_t *r = open_fake();
	struct rec rc = { 0 };
	uint8_t in[RACRT_LVB_LEN];
	uint64_t lkid;
	int req;

	(void)state;
	set_script(S_GRANT, S_GRANT);
	assert_int_equal(racrt_lock(r, "conv", 4, RACRT_EX, 0, 0, &lkid, NULL, NULL), 0);
	memset(in, 0x33, sizeof(in));
	assert_int_equal(racrt_convert(r, lkid, RACRT_PR, 0, 0, in, NULL, NULL), 0);
	assert_int_equal(F->f_got[1].lk_op, LK_OP_CONVERT);
	assert_int_equal(F->f_got[1].lk_mode, RACRT_PR);
	assert_int_equal(F->f_got[1].lk_has_lvb, 1);
	assert_memory_equal(F->f_got[1].lk_lvb, in, RACRT_LVB_LEN);

	/* up again: queued, then a deadlock victim; the lock keeps PR */
	set_script(S_GRANT, S_BUSY);
	assert_int_equal(racrt_convert(r, lkid, RACRT_EX, 0, 0, NULL, NULL, NULL), RACRT_EDEADLK);

	/* asynchronously: queued, then cancelled */
	set_script(S_GRANT, S_QUEUE_SILENT);
	req = racrt_convert_async(r, lkid, RACRT_EX, 0, 0, NULL, record, &rc);
	assert_true(req > 0);
	while (got(LK_OP_CONVERT, lkid) < 3)
		racrt_poll(r, 5);
	settle(r, 20);
	assert_int_equal(racrt_cancel(r, lkid), 0);
	assert_int_equal(rc.n, 1);	/* delivered from inside racrt_cancel's wait */
	assert_int_equal(rc.res[0].rr_req, req);
	assert_int_equal(rc.res[0].rr_op, RACRT_OP_CONVERT);
	assert_int_equal(rc.res[0].rr_status, RACRT_ECANCELED);
	assert_int_equal(rc.res[0].rr_mode, RACRT_PR);
	assert_int_equal(racrt_unlock(r, lkid, NULL), 0);
	racrt_close(&r);
}

static void test_async_cancel_new_lock(void **state)
{
	racrt_t *r = open_fake();
	struct rec rc = { 0 };
	struct racrt_stats st;
	uint64_t lkid = 0;
	int req;

	(void)state;
	set_script(S_QUEUE_SILENT, 0);
	req = racrt_lock_async(r, "wait", 4, RACRT_EX, 0, 0, record, &rc);
	assert_true(req > 0);
	assert_int_equal(rc.n, 0);
	while (racrt_request_lkid(r, req, &lkid) == RACRT_EAGAIN)
		assert_true(racrt_poll(r, 10) >= 0);
	assert_true(lkid != 0);
	assert_int_equal(racrt_cancel(r, lkid), 0);
	assert_int_equal(rc.n, 1);
	assert_int_equal(rc.res[0].rr_status, RACRT_ECANCELED);
	assert_int_equal(rc.res[0].rr_mode, RACRT_IV);
	assert_int_equal(rc.res[0].rr_lkid, lkid);
	racrt_get_stats(r, &st);
	assert_int_equal(st.rs_locks, 0);
	assert_int_equal(racrt_request_lkid(r, req, &lkid), RACRT_EINVAL);
	racrt_close(&r);
}

struct nested {
	int calls, unlock_rc, poll_rc, depth, max_depth;
};

/* a callback may call synchronous functions; callbacks never nest */
static void unlock_in_callback(racrt_t *r, const struct racrt_result *res, void *arg)
{
	struct nested *n = arg;

	n->calls++;
	if (++n->depth > n->max_depth)
		n->max_depth = n->depth;
	n->poll_rc = racrt_poll(r, -1);	/* would block for ever if it waited */
	n->unlock_rc = racrt_unlock(r, res->rr_lkid, NULL);
	n->depth--;
}

static void test_callback_calls_sync(void **state)
{
	racrt_t *r = open_fake();
	struct nested n = { 0 };
	struct racrt_stats st;

	(void)state;
	set_script(S_GRANT, 0);
	for (int i = 0; i < 5; i++)
		assert_true(racrt_lock_async(r, "n", 1, RACRT_PR, 0, 0, unlock_in_callback, &n) > 0);
	while (n.calls < 5)
		assert_true(racrt_poll(r, 1000) > 0);
	assert_int_equal(n.max_depth, 1);
	assert_int_equal(n.poll_rc, 0);
	assert_int_equal(n.unlock_rc, 0);
	racrt_get_stats(r, &st);
	assert_int_equal(st.rs_locks, 0);
	racrt_close(&r);
}

static void test_burst_pipelined(void **state)
{
	enum { N = 1000 };
	racrt_t *r = open_fake();
	static struct rec rc;
	char name[16];
	int reqs[N], fd, ndone;

	(void)state;
	memset(&rc, 0, sizeof(rc));
	pthread_mutex_lock(&F->f_mu);
	F->f_script = S_BURST;
	F->f_burst_n = N;
	pthread_mutex_unlock(&F->f_mu);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "%c%d", i % 7 == 0 ? 'b' : i % 3 == 0 ? 'q' : 'g', i);
		reqs[i] = racrt_lock_async(r, name, strlen(name), RACRT_PR,
					   name[0] == 'b' ? RACRT_NOQUEUE : 0, 0, record, &rc);
		assert_true(reqs[i] > 0);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(reqs[j], reqs[i]);
		if (i % 100 == 0)
			assert_int_equal(rc.n, 0);	/* never from inside the call */
	}
	/* drive it through the event-loop descriptor */
	fd = racrt_fd(r);
	assert_true(fd >= 0);
	assert_int_equal(racrt_fd(r), fd);
	for (uint64_t end = now_ns() + 10000000000ull; rc.n < N && now_ns() < end;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		racrt_poll(r, 0);
		if (rc.n < N)
			poll(&p, 1, 100);
	}
	assert_int_equal(rc.n, N);
	pthread_mutex_lock(&F->f_mu);
	ndone = F->f_ndone;
	pthread_mutex_unlock(&F->f_mu);
	assert_int_equal(ndone, N);
	/* pipelined requests went several to a message */
	pthread_mutex_lock(&F->f_mu);
	assert_true(F->f_max_bundle > 1);
	assert_true(F->f_bundles < N);
	pthread_mutex_unlock(&F->f_mu);
	/* callbacks in the order LMS completed the requests */
	for (int i = 0; i < N; i++)
		assert_int_equal((uint32_t)rc.res[i].rr_req, F->f_done[i]);
	for (int i = 0; i < N; i++) {
		const struct racrt_result *res = &rc.res[i];

		assert_int_equal(res->rr_op, RACRT_OP_LOCK);
		if (res->rr_status == 0) {
			assert_true(res->rr_lkid != 0);
			assert_int_equal(res->rr_mode, RACRT_PR);
		} else {
			assert_int_equal(res->rr_status, RACRT_ENOTQUEUED);
			assert_int_equal(res->rr_mode, RACRT_IV);
		}
	}
	struct racrt_stats st;
	racrt_get_stats(r, &st);
	assert_int_equal(st.rs_inflight, 0);
	assert_int_equal(st.rs_locks, N - (N + 6) / 7);
	racrt_close(&r);
	/* close gave back every lock */
	assert_int_equal(got(LK_OP_UNLOCK, 0), N - (N + 6) / 7);
}

static void test_malformed_ignored(void **state)
{
	racrt_t *r = open_fake();
	struct racrt_stats st;
	uint64_t lkid = 0;

	(void)state;
	set_script(S_GARBAGE, 0);
	assert_int_equal(racrt_lock(r, "junk", 4, RACRT_CR, 0, 0, &lkid, NULL, NULL), 0);
	assert_int_equal(lkid, 1);	/* the real reply, not the garbage one (99) */
	racrt_get_stats(r, &st);
	assert_int_equal(st.rs_bad, 9);
	assert_int_equal(st.rs_stale, 1);
	assert_int_equal(st.rs_replies, 1);
	racrt_close(&r);
}

/* LMS says it speaks another message version: the handle ends at once */
static void test_version_refused(void **state)
{
	racrt_t *r = open_fake();
	uint64_t lkid = 0, t0;

	(void)state;
	set_script(S_VERSION, 0);
	t0 = now_ns();
	assert_int_equal(racrt_lock(r, "v", 1, RACRT_EX, 0, 0, &lkid, NULL, NULL), RACRT_EVERSION);
	assert_true(now_ns() - t0 < 2000000000ull);	/* not the 5 s reply bound */
	assert_int_equal(racrt_lock(r, "w", 1, RACRT_EX, 0, 0, &lkid, NULL, NULL), RACRT_EVERSION);
	assert_non_null(strstr(racrt_strerror(RACRT_EVERSION), "message version"));
	racrt_close(&r);
}

static void test_lms_goes_away(void **state)
{
	racrt_t *r = open_fake();
	struct rec rc = { 0 };
	uint64_t lkid, t0;
	int rv;

	(void)state;
	set_script(S_GRANT, 0);
	assert_int_equal(racrt_lock(r, "a", 1, RACRT_EX, 0, 0, &lkid, NULL, NULL), 0);
	set_script(S_QUEUE_SILENT, 0);
	assert_true(racrt_lock_async(r, "b", 1, RACRT_EX, 0, 0, record, &rc) > 0);
	settle(r, 20);
	F->f_die = 1;
	t0 = now_ns();
	/* a synchronous wait that would be for ever ends: the connection broke */
	assert_int_equal(racrt_lock(r, "c", 1, RACRT_EX, 0, 0, &lkid, NULL, NULL), RACRT_ECLOSED);
	assert_true(now_ns() - t0 < 3000000000ull);
	/* the queued async request failed too; its callback ran inside the
	 * racrt_lock above or runs now */
	rv = racrt_poll(r, 0);
	assert_true(rv == 1 || rv == RACRT_ECLOSED);
	assert_int_equal(rc.n, 1);
	assert_int_equal(rc.res[0].rr_status, RACRT_ECLOSED);
	assert_int_equal(racrt_poll(r, 0), RACRT_ECLOSED);
	assert_int_equal(racrt_unlock(r, lkid, NULL), RACRT_ECLOSED);
	assert_int_equal(racrt_lock_async(r, "d", 1, RACRT_EX, 0, 0, record, &rc), RACRT_ECLOSED);
	racrt_close(&r);
}

static void test_nothing_listens(void **state)
{
	char ep[160], path[160];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint64_t t0 = now_ns();
	int err = 0, s;

	(void)state;
	snprintf(ep, sizeof(ep), "ipc://%s/none.sock", F->f_dir);
	assert_null(racrt_open_endpoint(ep, CLUSTER, &err));
	assert_int_equal(err, RACRT_ECONNECT);
	/* a stale socket file (its LMS was killed) */
	snprintf(path, sizeof(path), "%s/stale.sock", F->f_dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(s);
	snprintf(ep, sizeof(ep), "ipc://%s", path);
	assert_null(racrt_open_endpoint(ep, CLUSTER, &err));
	assert_int_equal(err, RACRT_ECONNECT);
	unlink(path);
	assert_true(now_ns() - t0 < 2000000000ull);	/* at once, not after the bound */
	assert_null(racrt_open_endpoint(NULL, CLUSTER, &err));
	assert_int_equal(err, RACRT_EINVAL);
	assert_null(racrt_open("/nonexistent/racrt.ini", 1, &err));
	assert_int_equal(err, RACRT_ECONFIG);
}

/*
 * A server that is not LMS: accepts one connection, writes what it is
 * given, then waits for the client to go.
 */
struct raw_server {
	int rs_fd;
	const uint8_t *rs_out;
	size_t rs_len;
};

static void *raw_serve(void *arg)
{
	struct raw_server *rs = arg;
	uint8_t junk[256];
	int c = accept(rs->rs_fd, NULL, NULL);

	if (c >= 0) {
		struct pollfd pf = { .fd = c, .events = POLLIN };

		if (write(c, rs->rs_out, rs->rs_len) != (ssize_t)rs->rs_len)
			fprintf(stderr, "raw server: short write\n");
		/* until the client closes, 10 s at most */
		for (int i = 0; i < 100 && poll(&pf, 1, 100) >= 0; i++)
			if ((pf.revents & POLLIN) && read(c, junk, sizeof(junk)) <= 0)
				break;
		close(c);
	}
	return NULL;
}

/* ZMTP 3.0, NULL: a server's greeting and a READY naming socket type `type` */
static size_t zmtp_hello(uint8_t *b, const char *type)
{
	size_t n = 64, tl = strlen(type);

	memset(b, 0, 64);
	b[0] = 0xff;
	b[9] = 0x7f;
	b[10] = 3;
	memcpy(b + 12, "NULL", 4);
	b[n++] = 0x04;
	b[n++] = (uint8_t)(6 + 1 + 11 + 4 + tl);
	b[n++] = 5;
	memcpy(b + n, "READY", 5);
	n += 5;
	b[n++] = 11;
	memcpy(b + n, "Socket-Type", 11);
	n += 11;
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = (uint8_t)tl;
	memcpy(b + n, type, tl);
	return n + tl;
}

/* open against a raw server that sends `out`: the handle, or NULL with *err */
static racrt_t *open_raw(const char *name, const uint8_t *out, size_t len, int *err,
			 pthread_t *th, struct raw_server *rs)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char ep[200];

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", F->f_dir, name);
	rs->rs_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(rs->rs_fd >= 0);
	assert_int_equal(bind(rs->rs_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(rs->rs_fd, 1), 0);
	rs->rs_out = out;
	rs->rs_len = len;
	assert_int_equal(pthread_create(th, NULL, raw_serve, rs), 0);
	snprintf(ep, sizeof(ep), "ipc://%s", sun.sun_path);
	return racrt_open_endpoint(ep, CLUSTER, err);
}

static void raw_done(pthread_t th, struct raw_server *rs, const char *name)
{
	char path[200];

	pthread_join(th, NULL);
	close(rs->rs_fd);
	snprintf(path, sizeof(path), "%s/%s", F->f_dir, name);
	unlink(path);
}

/*
 * The client speaks ZMTP itself: a peer that does not (bytes that are no
 * greeting, a READY from the wrong socket type, a frame longer than any
 * message) is refused or ends the handle, never crashes it.
 */
static void test_peer_not_zmtp(void **state)
{
	uint8_t out[256];
	struct raw_server rs;
	pthread_t th;
	racrt_t *r;
	uint64_t lkid;
	size_t n;
	int err = 0;

	(void)state;
	memset(out, 'x', 80);
	assert_null(open_raw("junk.sock", out, 80, &err, &th, &rs));
	assert_int_equal(err, RACRT_ECONNECT);
	raw_done(th, &rs, "junk.sock");

	n = zmtp_hello(out, "PUB");
	assert_null(open_raw("pub.sock", out, n, &err, &th, &rs));
	assert_int_equal(err, RACRT_ECONNECT);
	raw_done(th, &rs, "pub.sock");

	/* a good handshake, then a frame of 2^32 bytes: refused, or the handle ends */
	n = zmtp_hello(out, "ROUTER");
	out[n++] = 0x02;
	for (int i = 7; i >= 0; i--)
		out[n++] = i == 4 ? 1 : 0;
	r = open_raw("long.sock", out, n, &err, &th, &rs);
	if (r)	/* the frame came after the handshake was taken */
		assert_int_equal(racrt_lock(r, "a", 1, RACRT_EX, 0, 2000, &lkid, NULL, NULL),
				 RACRT_ECLOSED);
	else
		assert_int_equal(err, RACRT_ECONNECT);
	racrt_close(&r);
	raw_done(th, &rs, "long.sock");
}

static void test_close_releases_and_frees(void **state)
{
	racrt_t *r = open_fake(), *r2 = open_fake();
	struct rec rc = { 0 };
	char name[16];
	int nlock;

	(void)state;
	/* half granted, half queued, some not even answered when we close */
	pthread_mutex_lock(&F->f_mu);
	F->f_script = S_BURST;
	F->f_burst_n = 1 << 30;
	pthread_mutex_unlock(&F->f_mu);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "%c%d", i % 2 ? 'q' : 'g', i);
		assert_true(racrt_lock_async(r, name, strlen(name), RACRT_EX, 0, 0, record, &rc) > 0);
	}
	racrt_on_blocking(r, on_bast, NULL);
	assert_true(racrt_fd(r) >= 0);
	racrt_close(&r);
	assert_int_equal(rc.n, 0);	/* no callback from close */
	nlock = got(LK_OP_LOCK, 0);
	assert_int_equal(nlock, 200);
	assert_int_equal(got(LK_OP_UNLOCK, 0), 200);	/* granted and queued alike */
	/* the other handle is unaffected */
	set_script(S_GRANT, 0);
	uint64_t lkid;
	assert_int_equal(racrt_lock(r2, "x", 1, RACRT_NL, 0, 0, &lkid, NULL, NULL), 0);
	racrt_close(&r2);
}

/* ---- unlocks that do not wait ------------------------------------------------------ */

/* the requests of op the fake got, with their flags, in order */
static int got_flags(int op, uint32_t flags)
{
	int n = 0;

	pthread_mutex_lock(&F->f_mu);
	for (int i = 0; i < F->f_ngot; i++)
		if ((int)F->f_got[i].lk_op == op && (F->f_got[i].lk_flags & LK_NOREPLY) == flags)
			n++;
	pthread_mutex_unlock(&F->f_mu);
	return n;
}

static int got_index(int op)
{
	int at = -1;

	pthread_mutex_lock(&F->f_mu);
	for (int i = 0; i < F->f_ngot && at < 0; i++)
		if ((int)F->f_got[i].lk_op == op)
			at = i;
	pthread_mutex_unlock(&F->f_mu);
	return at;
}

/* poll until the fake got `n` requests of op/flags, at most 5 s */
static void await_got(racrt_t *r, int op, uint32_t flags, int n)
{
	uint64_t end = now_ns() + 5000000000ull;

	while (got_flags(op, flags) < n && now_ns() < end)
		racrt_poll(r, 10);
	assert_int_equal(got_flags(op, flags), n);
}

static void test_unlock_nowait(void **state)
{
	racrt_t *r = open_fake();
	struct racrt_stats st;
	uint64_t lkid;

	(void)state;
	set_script(S_GRANT, 0);
	assert_int_equal(racrt_lock(r, "nw", 2, RACRT_EX, 0, 0, &lkid, NULL, NULL), 0);
	/* returns without an answer (the fake gives none), the lock forgotten */
	assert_int_equal(racrt_unlock_nowait(r, lkid, NULL), 0);
	racrt_get_stats(r, &st);
	assert_int_equal(st.rs_locks, 0);
	assert_int_equal(st.rs_inflight, 0);
	assert_int_equal(racrt_unlock_nowait(r, lkid, NULL), RACRT_EUNKNOWN);
	assert_int_equal(racrt_unlock_nowait(r, 777, NULL), RACRT_EUNKNOWN);
	assert_int_equal(racrt_unlock_nowait(NULL, lkid, NULL), RACRT_EINVAL);
	assert_int_equal(racrt_unlock_nowait(r, 0, NULL), RACRT_EINVAL);
	await_got(r, LK_OP_UNLOCK, LK_NOREPLY, 1);
	assert_int_equal(got(LK_OP_UNLOCK, lkid), 1);
	/* nothing answered since: close makes sure LMS took it, with a barrier after it */
	racrt_close(&r);
	assert_int_equal(got(LK_OP_SYNC, 0), 1);
	assert_true(got_index(LK_OP_SYNC) > got_index(LK_OP_UNLOCK));
}

static void test_unlock_nowait_then_answer_no_barrier(void **state)
{
	racrt_t *r = open_fake();
	uint64_t a, b;

	(void)state;
	set_script(S_GRANT, 0);
	assert_int_equal(racrt_lock(r, "a", 1, RACRT_EX, 0, 0, &a, NULL, NULL), 0);
	assert_int_equal(racrt_unlock_nowait(r, a, NULL), 0);
	/* an answer to a later request says LMS took the unlock: no barrier at close */
	assert_int_equal(racrt_lock(r, "b", 1, RACRT_EX, 0, 0, &b, NULL, NULL), 0);
	assert_int_equal(racrt_unlock(r, b, NULL), 0);
	racrt_close(&r);
	assert_int_equal(got(LK_OP_SYNC, 0), 0);
	assert_int_equal(got_flags(LK_OP_UNLOCK, LK_NOREPLY), 1);
	assert_int_equal(got_flags(LK_OP_UNLOCK, 0), 1);
}

static void test_unlock_nowait_refused(void **state)
{
	racrt_t *r = open_fake();
	struct racrt_stats st;
	uint64_t lkid, end;

	(void)state;
	set_script(S_GRANT, 0);
	pthread_mutex_lock(&F->f_mu);
	F->f_nowait_fail = 1;
	pthread_mutex_unlock(&F->f_mu);
	assert_int_equal(racrt_lock(r, "nr", 2, RACRT_EX, 0, 0, &lkid, NULL, NULL), 0);
	assert_int_equal(racrt_unlock_nowait(r, lkid, NULL), 0);
	/* the refusal is counted and the lock released again, as a request with an answer */
	await_got(r, LK_OP_UNLOCK, 0, 1);
	end = now_ns() + 5000000000ull;
	do {
		racrt_poll(r, 10);
		racrt_get_stats(r, &st);
	} while (st.rs_inflight && now_ns() < end);
	assert_int_equal(st.rs_nowait_failed, 1);
	assert_int_equal(st.rs_inflight, 0);
	assert_int_equal(got(LK_OP_UNLOCK, lkid), 2);
	racrt_close(&r);
}

static void test_unlock_nowait_with_pending_conversion(void **state)
{
	racrt_t *r = open_fake();
	struct rec rc = { 0 };
	uint64_t lkid;
	int req;

	(void)state;
	set_script(S_GRANT, S_QUEUE_SILENT);
	assert_int_equal(racrt_lock(r, "pc", 2, RACRT_PR, 0, 0, &lkid, NULL, NULL), 0);
	req = racrt_convert_async(r, lkid, RACRT_EX, 0, 0, NULL, record, &rc);
	assert_true(req > 0);
	settle(r, 50);	/* the conversion is queued */
	/* a request to cancel with it: released as racrt_unlock() does, answer awaited */
	assert_int_equal(racrt_unlock_nowait(r, lkid, NULL), 0);
	assert_int_equal(got_flags(LK_OP_UNLOCK, 0), 1);
	assert_int_equal(got_flags(LK_OP_UNLOCK, LK_NOREPLY), 0);
	racrt_poll(r, 0);
	assert_int_equal(rc.n, 1);
	assert_int_equal(rc.res[0].rr_status, RACRT_ECANCELED);
	racrt_close(&r);
}

/* ---- racctl lock ------------------------------------------------------------------- */

static struct rac_config *fake_cfg(void)
{
	struct rac_config *cfg = calloc(1, sizeof(*cfg));
	char err[1024];

	assert_non_null(cfg);
	assert_int_equal(config_default(F->f_dir, cfg, err, sizeof(err)), 0);
	snprintf(cfg->cf_name, sizeof(cfg->cf_name), "%s", CLUSTER);
	snprintf(cfg->cf_inst[1].ic_local_dir, sizeof(cfg->cf_inst[1].ic_local_dir), "%s",
		 F->f_dir);
	return cfg;
}

static void test_racctl_lock(void **state)
{
	struct rac_config *cfg = fake_cfg();
	char ran[160];
	char *exit3[] = { "sh", "-c", "exit 3", NULL };
	char *killed[] = { "sh", "-c", "kill -9 $$", NULL };
	char *touch[] = { "touch", ran, NULL };
	char *nosuch[] = { "/nonexistent/cmd", NULL };
	char *ok[] = { "true", NULL };
	int unlocks;

	(void)state;
	snprintf(ran, sizeof(ran), "%s/ran", F->f_dir);
	set_script(S_GRANT, 0);
	assert_int_equal(racctl_lock_main(cfg, 1, "ex", 0, 0, "job", exit3), 3);
	assert_int_equal(F->f_got[0].lk_op, LK_OP_LOCK);
	assert_int_equal(F->f_got[0].lk_mode, RACRT_EX);
	assert_memory_equal(F->f_got[0].lk_name, "job", 3);
	assert_int_equal(F->f_got[1].lk_op, LK_OP_UNLOCK);
	assert_int_equal(F->f_got[1].lk_lkid, 1);
	assert_int_equal(racctl_lock_main(cfg, 1, "PR", 0, 0, "job", killed), 128 + 9);
	assert_int_equal(racctl_lock_main(cfg, 1, "cr", 0, 0, "job", nosuch), 127);
	unlocks = got(LK_OP_UNLOCK, 0);
	assert_int_equal(unlocks, 3);	/* released every time */

	/* busy with --nowait, and a timeout: CMD does not run */
	set_script(S_BUSY, 0);
	assert_int_equal(racctl_lock_main(cfg, 1, "EX", 1, 0, "job", touch), 1);
	assert_int_equal(F->f_got[F->f_ngot - 1].lk_flags, LK_NOQUEUE);
	set_script(S_QUEUE_TIMEOUT, 0);
	assert_int_equal(racctl_lock_main(cfg, 1, "EX", 0, 80, "job", touch), 1);
	assert_int_equal(access(ran, F_OK), -1);

	/* queued, then granted: runs */
	set_script(S_QUEUE_GRANT, 0);
	assert_int_equal(racctl_lock_main(cfg, 1, "EX", 0, 0, "job", touch), 0);
	assert_int_equal(access(ran, F_OK), 0);

	/* usage and unreachable instances */
	assert_int_equal(racctl_lock_main(cfg, 1, "XX", 0, 0, "job", ok), 2);
	assert_int_equal(racctl_lock_main(cfg, 7, "EX", 0, 0, "job", ok), 2);
	assert_int_equal(racctl_lock_main(cfg, 1, "EX", 0, 0,
					  "0123456789012345678901234567890123456789"
					  "0123456789012345678901234", ok), 2);
	assert_int_equal(racctl_lock_main(cfg, 2, "EX", 0, 0, "job", ok), 1);
	free(cfg);
}

static void *later_sigterm(void *arg)
{
	(void)arg;
	usleep(200000);
	kill(getpid(), SIGTERM);	/* as `kill <racctl pid>` would */
	return NULL;
}

static void *later_lms_dies(void *arg)
{
	(void)arg;
	usleep(200000);
	F->f_die = 1;
	return NULL;
}

static void later(void *(*fn)(void *))
{
	sigset_t all, old;
	pthread_t t;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_create(&t, NULL, fn, NULL);
	pthread_detach(t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void test_racctl_lock_while_cmd_runs(void **state)
{
	struct rac_config *cfg = fake_cfg();
	char *sleeper[] = { "sleep", "10", NULL };
	uint64_t t0 = now_ns();

	(void)state;
	set_script(S_GRANT, 0);
	/* racctl outlives a kill: CMD gets the signal, then the lock goes */
	later(later_sigterm);
	assert_int_equal(racctl_lock_main(cfg, 1, "EX", 0, 0, "job", sleeper), 128 + SIGTERM);
	assert_true(now_ns() - t0 < 5000000000ull);
	assert_int_equal(got(LK_OP_UNLOCK, 0), 1);

	/* the instance goes away while CMD runs: CMD is stopped, racctl fails */
	t0 = now_ns();
	later(later_lms_dies);
	assert_int_equal(racctl_lock_main(cfg, 1, "EX", 0, 0, "job", sleeper), 1);
	assert_true(now_ns() - t0 < 5000000000ull);
	free(cfg);
}

static int run_cmd(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	assert_true(racctl_lock_argv(argc, argv));
	return racctl_lock_cmd(argc, argv);
}

static void test_racctl_lock_command_line(void **state)
{
	char ini[160], text[512];
	FILE *f;

	(void)state;
	snprintf(ini, sizeof(ini), "%s/rac.ini", F->f_dir);
	snprintf(text, sizeof(text),
		 "[cluster]\nname = %s\nshared_disk = %s/shared\n[instance1]\n"
		 "lmon_endpoint = tcp://127.0.0.1:7101\nlms_endpoint = tcp://127.0.0.1:7201\n"
		 "local_dir = %s\n", CLUSTER, F->f_dir, F->f_dir);
	f = fopen(ini, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	set_script(S_GRANT, 0);

	{
		char *v[] = { "racctl", "-c", ini, "lock", "-i", "1", "-m", "pw", "job", "--",
			      "sh", "-c", "exit 5", NULL };
		assert_int_equal(run_cmd(v), 5);
		assert_int_equal(F->f_got[0].lk_mode, RACRT_PW);
		assert_int_equal(F->f_got[0].lk_flags, 0);
		assert_int_equal(F->f_got[0].lk_timeout_ms, 0);
	}
	{
		/* options after NAME, long forms; CMD's own options stay CMD's */
		char *v[] = { "racctl", "lock", "job", "--config", ini, "--instance=1", "--mode",
			      "CR", "--nowait", "--timeout", "250", "--", "sh", "-c", "exit 0",
			      "-m", NULL };
		assert_int_equal(run_cmd(v), 0);
		assert_int_equal(F->f_got[2].lk_mode, RACRT_CR);
		assert_int_equal(F->f_got[2].lk_flags, LK_NOQUEUE);
		assert_int_equal(F->f_got[2].lk_timeout_ms, 250);
	}
	{
		char *v[] = { "racctl", "-c", ini, "lock", "-i", "1", "-m", "EX", "job", "true", NULL };
		assert_int_equal(run_cmd(v), 2);	/* no "--" */
	}
	{
		char *v[] = { "racctl", "-c", ini, "lock", "-i", "1", "job", "--", "true", NULL };
		assert_int_equal(run_cmd(v), 2);	/* no mode */
	}
	{
		char *v[] = { "racctl", "-c", ini, "lock", "-m", "EX", "job", "--", "true", NULL };
		assert_int_equal(run_cmd(v), 2);	/* no instance */
	}
	{
		char *v[] = { "racctl", "-c", ini, "lock", "-i", "1", "-m", "EX", "--", "true", NULL };
		assert_int_equal(run_cmd(v), 2);	/* no name */
	}
	{
		char *v[] = { "racctl", "lock", "-i", "1", "-m", "EX", "--timeout", "soon", "job",
			      "--", "true", NULL };
		assert_int_equal(run_cmd(v), 2);
	}
	{
		char *v[] = { "racctl", "-c", ini, "lock", "-i", "1", "-m", "EX", "job", "--", NULL };
		assert_int_equal(run_cmd(v), 2);	/* no command */
	}
	{
		char *v[] = { "racctl", "lock", "--help", NULL };
		assert_int_equal(run_cmd(v), 0);
	}
	{
		char *v[] = { "racctl", "-c", "/nonexistent.ini", "lock", "-i", "1", "-m", "EX", "j",
			      "--", "true", NULL };
		assert_int_equal(run_cmd(v), 1);	/* configuration unreadable */
	}
	assert_int_equal(got(LK_OP_LOCK, 0), 2);

	/* which argv are lock commands */
	{
		char *a[] = { "racctl", "-i", "lock", "status", NULL };
		char *b[] = { "racctl", "status", "lock", NULL };
		char *c[] = { "racctl", "-c", "f", "-f", "lock", NULL };
		char *d[] = { "racctl", "--", "lock", NULL };

		assert_false(racctl_lock_argv(4, a));
		assert_false(racctl_lock_argv(3, b));
		assert_true(racctl_lock_argv(5, c));
		assert_false(racctl_lock_argv(3, d));
	}
	unlink(ini);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_sync_lock_granted),
		T(test_bad_arguments),
		T(test_sync_lock_queued_then_granted),
		T(test_noqueue_busy),
		T(test_master_out_of_memory),
		T(test_timeout_from_lms),
		T(test_timeout_client_side),
		T(test_no_reply_then_late_grant),
		T(test_convert),
		T(test_async_cancel_new_lock),
		T(test_callback_calls_sync),
		T(test_burst_pipelined),
		T(test_malformed_ignored),
		T(test_version_refused),
		T(test_lms_goes_away),
		T(test_nothing_listens),
		T(test_peer_not_zmtp),
		T(test_close_releases_and_frees),
		T(test_unlock_nowait),
		T(test_unlock_nowait_then_answer_no_barrier),
		T(test_unlock_nowait_refused),
		T(test_unlock_nowait_with_pending_conversion),
		T(test_racctl_lock),
		T(test_racctl_lock_command_line),
		T(test_racctl_lock_while_cmd_runs),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
