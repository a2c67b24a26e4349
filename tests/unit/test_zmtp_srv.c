/*
 * test_zmtp_srv.c - LMS's native ZMTP ROUTER (lms/zmtp_srv.c) against real
 * libzmq DEALERs and hand-made byte streams.
 *
 * Checks: handshake with a libzmq DEALER and a message each way (short and
 * long frames); a DEALER's own routing id; a greeting and READY sent one
 * byte at a time; a message of several frames handed over empty; a peer
 * sending garbage (or bad frames) closed and counted while another
 * connection goes on working; sending to an unknown routing id, or to one
 * whose peer has gone, fails; a peer that does not read runs into the
 * send bound instead of growing the server.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include <cmocka.h>

#include "zmtp_srv.h"

struct fx {
	char dir[64];
	char path[128];
	char ep[160];
	void *ctx;
	struct zsrv *s;
	int bad;
	char why[128];
};

static void on_bad(void *arg, const char *why)
{
	struct fx *f = arg;

	f->bad++;
	snprintf(f->why, sizeof(f->why), "%s", why);
}

static int open_srv(struct fx *f, size_t tx_max)
{
	struct zsrv_opts o = { .zo_frame_max = 65536, .zo_tx_max = tx_max, .zo_on_bad = on_bad,
			       .zo_arg = f };

	return zsrv_open(&f->s, f->path, &o);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/zsrv.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/lms.sock", f->dir);
	snprintf(f->ep, sizeof(f->ep), "ipc://%s", f->path);
	f->ctx = zmq_ctx_new();
	assert_non_null(f->ctx);
	assert_int_equal(open_srv(f, 1 << 20), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	zsrv_close(f->s);
	zmq_ctx_term(f->ctx);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* serve until a message comes (1) or `ms` pass (0) */
static int srv_recv(struct fx *f, uint8_t *id, size_t *idlen, uint8_t *buf, size_t *len, int ms)
{
	long end = now_ms() + ms;
	size_t room = *len;

	for (;;) {
		struct pollfd pf = { .fd = zsrv_fd(f->s), .events = POLLIN };
		long left = end - now_ms();

		*len = room;
		if (zsrv_recv(f->s, id, idlen, buf, len))
			return 1;
		if (left <= 0)
			return 0;
		poll(&pf, 1, (int)left);
	}
}

/* serve for `ms`, taking (and counting) whatever comes */
static int srv_spin(struct fx *f, int ms)
{
	uint8_t id[ZSRV_ID_MAX], buf[70000];
	size_t idlen, len = sizeof(buf);
	int n = 0;
	long end = now_ms() + ms;

	while (now_ms() < end) {
		len = sizeof(buf);
		n += srv_recv(f, id, &idlen, buf, &len, (int)(end - now_ms()));
	}
	return n;
}

static void *dealer(struct fx *f, const char *ident)
{
	void *d = zmq_socket(f->ctx, ZMQ_DEALER);
	int zero = 0;

	assert_non_null(d);
	zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof(zero));
	if (ident)
		zmq_setsockopt(d, ZMQ_ROUTING_ID, ident, strlen(ident));
	assert_int_equal(zmq_connect(d, f->ep), 0);
	return d;
}

/* the dealer's next message, within 2 s: its length, or -1 */
static int dealer_recv(void *d, void *buf, size_t room)
{
	zmq_pollitem_t it = { .socket = d, .events = ZMQ_POLLIN };

	if (zmq_poll(&it, 1, 2000) <= 0)
		return -1;
	return zmq_recv(d, buf, room, 0);
}

/* a plain Unix socket connected to the server */
static int raw_connect(struct fx *f)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sun.sun_path, f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* a DEALER's greeting and READY, as bytes */
static size_t raw_hello(uint8_t *b)
{
	uint8_t *p = b;

	memset(p, 0, 64);
	p[0] = 0xff;
	p[9] = 0x7f;
	p[10] = 3;
	p[11] = 1;
	memcpy(p + 12, "NULL", 4);
	p += 64;
	*p++ = 0x04;
	*p++ = 1 + 5 + 1 + 11 + 4 + 6;
	*p++ = 5;
	memcpy(p, "READY", 5);
	p += 5;
	*p++ = 11;
	memcpy(p, "Socket-Type", 11);
	p += 11;
	*p++ = 0, *p++ = 0, *p++ = 0, *p++ = 6;
	memcpy(p, "DEALER", 6);
	p += 6;
	return (size_t)(p - b);
}

/* the peer's side of a closed connection: end of file within 2 s */
static int raw_sees_eof(int fd)
{
	uint8_t junk[4096];
	long end = now_ms() + 2000;

	while (now_ms() < end) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return 1;
	}
	return 0;
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_dealer_handshake_and_a_message_each_way(void **state)
{
	struct fx *f = *state;
	uint8_t id[ZSRV_ID_MAX], buf[70000], big[3000];
	size_t idlen, len = sizeof(buf);
	void *d = dealer(f, NULL);
	struct zsrv_stats st;
	int n;

	assert_int_equal(zmq_send(d, "hello", 5, 0), 5);
	assert_int_equal(srv_recv(f, id, &idlen, buf, &len, 2000), 1);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(idlen, 5);	/* ours: 0x00 and a counter */
	assert_int_equal(id[0], 0);

	assert_int_equal(zsrv_send(f->s, id, idlen, "world", 5), 0);
	n = dealer_recv(d, buf, sizeof(buf));
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "world", 5);

	/* long frames (size > 255) both ways */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	assert_int_equal(zmq_send(d, big, sizeof(big), 0), (int)sizeof(big));
	len = sizeof(buf);
	assert_int_equal(srv_recv(f, id, &idlen, buf, &len, 2000), 1);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(buf, big, sizeof(big));
	assert_int_equal(zsrv_send(f->s, id, idlen, big, sizeof(big)), 0);
	assert_int_equal(dealer_recv(d, buf, sizeof(buf)), (int)sizeof(big));
	assert_memory_equal(buf, big, sizeof(big));

	/* too long for the caller's room: room + 1, the connection goes on */
	assert_int_equal(zmq_send(d, big, sizeof(big), 0), (int)sizeof(big));
	len = 100;
	assert_int_equal(srv_recv(f, id, &idlen, buf, &len, 2000), 1);
	assert_int_equal(len, 101);

	/* many at once, in order */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(zmq_send(d, &i, sizeof(i), 0), (int)sizeof(i));
	for (int i = 0; i < 1000; i++) {
		len = sizeof(buf);
		assert_int_equal(srv_recv(f, id, &idlen, buf, &len, 2000), 1);
		assert_int_equal(len, sizeof(i));
		assert_memory_equal(buf, &i, sizeof(i));
	}
	zsrv_stats(f->s, &st);
	assert_int_equal(st.zs_open, 1);
	assert_int_equal(st.zs_bad, 0);
	assert_int_equal(f->bad, 0);
	zmq_close(d);
}

static void test_dealer_identity_is_its_routing_id(void **state)
{
	struct fx *f = *state;
	uint8_t id[ZSRV_ID_MAX], buf[256];
	size_t idlen, len = sizeof(buf);
	void *d = dealer(f, "client-A");

	assert_int_equal(zmq_send(d, "x", 1, 0), 1);
	assert_int_equal(srv_recv(f, id, &idlen, buf, &len, 2000), 1);
	assert_int_equal(idlen, 8);
	assert_memory_equal(id, "client-A", 8);
	assert_int_equal(zsrv_send(f->s, (const uint8_t *)"client-A", 8, "y", 1), 0);
	assert_int_equal(dealer_recv(d, buf, sizeof(buf)), 1);
	zmq_close(d);
}

static void test_handshake_in_single_bytes_and_multiframe_message(void **state)
{
	struct fx *f = *state;
	uint8_t hi[128], id[ZSRV_ID_MAX], buf[256], in[256];
	size_t n = raw_hello(hi), idlen, len;
	int fd = raw_connect(f);
	static const uint8_t msg[] = { 0x00, 3, 'a', 'b', 'c' };
	static const uint8_t two[] = { 0x01, 1, 'x', 0x00, 1, 'y' };	/* two frames */
	static const uint8_t ping[] = { 0x04, 5, 4, 'P', 'I', 'N', 'G' };
	ssize_t got = 0;

	for (size_t i = 0; i < n; i++) {
		assert_int_equal(send(fd, hi + i, 1, 0), 1);
		srv_spin(f, 2);
	}
	assert_int_equal(send(fd, two, sizeof(two), 0), (ssize_t)sizeof(two));
	assert_int_equal(send(fd, ping, sizeof(ping), 0), (ssize_t)sizeof(ping));
	for (size_t i = 0; i < sizeof(msg); i++)
		assert_int_equal(send(fd, msg + i, 1, 0), 1);
	len = sizeof(buf);
	assert_int_equal(srv_recv(f, id, &idlen, buf, &len, 2000), 1);
	assert_int_equal(len, 0);	/* several frames: handed over empty */
	len = sizeof(buf);
	assert_int_equal(srv_recv(f, id, &idlen, buf, &len, 2000), 1);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "abc", 3);

	/* the server's greeting and READY (ROUTER), then our answer */
	assert_int_equal(zsrv_send(f->s, id, idlen, "ok", 2), 0);
	while (got < 64 + 2 + 28 + 4) {
		ssize_t r = recv(fd, in + got, sizeof(in) - (size_t)got, 0);

		assert_true(r > 0);
		got += r;
	}
	assert_int_equal(in[0], 0xff);
	assert_int_equal(in[9], 0x7f);
	assert_int_equal(in[10], 3);
	assert_memory_equal(in + 12, "NULL\0", 5);
	assert_int_equal(in[64], 0x04);
	assert_memory_equal(in + 66, "\5READY\13Socket-Type\0\0\0\6ROUTER", 28);
	assert_memory_equal(in + 64 + 2 + 28, "\0\2ok", 4);
	assert_int_equal(f->bad, 0);
	close(fd);
}

static void test_garbage_peer_is_closed_others_go_on(void **state)
{
	struct fx *f = *state;
	uint8_t id[ZSRV_ID_MAX], buf[256], hi[128];
	size_t idlen, len = sizeof(buf), n;
	void *d = dealer(f, NULL);
	int g1, g2, g3;
	struct zsrv_stats st;
	static const uint8_t badflags[] = { 0x40, 1, 'z' };
	static const uint8_t huge[] = { 0x02, 0, 0, 0, 0, 0x10, 0, 0, 0 };	/* 256 MB */

	assert_int_equal(zmq_send(d, "one", 3, 0), 3);
	assert_int_equal(srv_recv(f, id, &idlen, buf, &len, 2000), 1);

	/* not ZMTP at all */
	g1 = raw_connect(f);
	assert_int_equal(send(g1, "GET / HTTP/1.0\r\n\r\n", 18, 0), 18);
	/* a good handshake, then a frame with reserved flags */
	g2 = raw_connect(f);
	n = raw_hello(hi);
	assert_int_equal(send(g2, hi, n, 0), (ssize_t)n);
	assert_int_equal(send(g2, badflags, sizeof(badflags), 0), (ssize_t)sizeof(badflags));
	/* a good handshake, then a frame too large */
	g3 = raw_connect(f);
	assert_int_equal(send(g3, hi, n, 0), (ssize_t)n);
	assert_int_equal(send(g3, huge, sizeof(huge), 0), (ssize_t)sizeof(huge));

	assert_int_equal(srv_spin(f, 300), 0);
	assert_int_equal(f->bad, 3);
	assert_true(raw_sees_eof(g1));
	assert_true(raw_sees_eof(g2));
	assert_true(raw_sees_eof(g3));
	zsrv_stats(f->s, &st);
	assert_int_equal(st.zs_bad, 3);
	assert_int_equal(st.zs_open, 1);

	/* the DEALER did not notice */
	assert_int_equal(zsrv_send(f->s, id, idlen, "two", 3), 0);
	assert_int_equal(dealer_recv(d, buf, sizeof(buf)), 3);
	assert_int_equal(zmq_send(d, "three", 5, 0), 5);
	len = sizeof(buf);
	assert_int_equal(srv_recv(f, id, &idlen, buf, &len, 2000), 1);
	assert_int_equal(len, 5);
	close(g1);
	close(g2);
	close(g3);
	zmq_close(d);
}

static void test_send_to_unknown_or_gone_peer_fails(void **state)
{
	struct fx *f = *state;
	uint8_t id[ZSRV_ID_MAX], buf[256];
	size_t idlen, len = sizeof(buf);
	static const uint8_t nobody[5] = { 0, 1, 2, 3, 4 };
	void *d = dealer(f, NULL);
	int rc = 0;

	errno = 0;
	assert_int_equal(zsrv_send(f->s, nobody, sizeof(nobody), "x", 1), -1);
	assert_int_equal(errno, EHOSTUNREACH);

	assert_int_equal(zmq_send(d, "hi", 2, 0), 2);
	assert_int_equal(srv_recv(f, id, &idlen, buf, &len, 2000), 1);
	zmq_close(d);
	/* once the server has seen it go, its id is unknown */
	for (long end = now_ms() + 2000; now_ms() < end;) {
		srv_spin(f, 20);
		if ((rc = zsrv_send(f->s, id, idlen, "x", 1)) < 0)
			break;
	}
	assert_int_equal(rc, -1);
	assert_true(errno == EHOSTUNREACH || errno == ECONNRESET);
	assert_int_equal(zsrv_send(f->s, id, idlen, "x", 1), -1);
	assert_int_equal(errno, EHOSTUNREACH);
	assert_int_equal(f->bad, 0);
}

static void test_peer_that_does_not_read_hits_the_bound(void **state)
{
	struct fx *f = *state;
	uint8_t id[ZSRV_ID_MAX], buf[256], hi[128], chunk[4000];
	size_t idlen, len = sizeof(buf), n;
	static const uint8_t msg[] = { 0x00, 1, 'q' };
	int fd, i, rc = 0;

	zsrv_close(f->s);
	unlink(f->path);
	assert_int_equal(open_srv(f, 256 << 10), 0);	/* 256 KB per peer */
	fd = raw_connect(f);
	n = raw_hello(hi);
	assert_int_equal(send(fd, hi, n, 0), (ssize_t)n);
	assert_int_equal(send(fd, msg, sizeof(msg), 0), (ssize_t)sizeof(msg));
	assert_int_equal(srv_recv(f, id, &idlen, buf, &len, 2000), 1);
	memset(chunk, 'z', sizeof(chunk));
	for (i = 0; i < 100000 && (rc = zsrv_send(f->s, id, idlen, chunk, sizeof(chunk))) == 0; i++)
		;
	assert_int_equal(rc, -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(i > 10);	/* the kernel's buffer and ours */
	/* it reads at last: what waited goes out, and sending works again */
	for (long got = 0, end = now_ms() + 3000; got < (long)i * 4003 && now_ms() < end;) {
		ssize_t r = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);

		if (r > 0)
			got += r;
		srv_spin(f, 1);
	}
	assert_int_equal(zsrv_send(f->s, id, idlen, "x", 1), 0);
	close(fd);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_dealer_handshake_and_a_message_each_way),
		T(test_dealer_identity_is_its_routing_id),
		T(test_handshake_in_single_bytes_and_multiframe_message),
		T(test_garbage_peer_is_closed_others_go_on),
		T(test_send_to_unknown_or_gone_peer_fails),
		T(test_peer_that_does_not_read_hits_the_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
