/*
 * conn.c - the client's socket to LMS; see client.h.
 *
 *   client: DEALER --ipc://<local_dir>/lms.sock--> LMS: ROUTER
 *
 * One frame per message each way: the 40-byte header and a struct msg_lk
 * (msg.h), or a bundle of them (MSG_LK_BUNDLE), sender 0, our cluster's
 * id, our own sequence.  The DEALER has
 * ZMQ_IMMEDIATE set, so a request is never queued towards a connection
 * that is not made: sending blocks (bounded) instead.
 *
 * A socket monitor on the DEALER tells us what ZeroMQ otherwise hides:
 * that the connection is made (racrt_open waits for it), that nothing
 * listens at the endpoint (CONNECT_RETRIED: racrt_open fails at once
 * rather than after the reply bound), and that an established connection
 * broke (DISCONNECTED: LMS is gone, and with it every lock of the handle;
 * the handle is finished, and we stop ZeroMQ from reconnecting to
 * whatever LMS comes next, which would not know our locks).
 *
 * All handles of a process share one ZeroMQ context, made by the first
 * racrt_open() and terminated with the last racrt_close().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <zmq.h>

#include "client.h"

static pthread_mutex_t ctx_mu = PTHREAD_MUTEX_INITIALIZER;
static void *ctx_shared;
static unsigned ctx_refs;
static unsigned mon_serial;

static void *ctx_get(unsigned *serial)
{
	void *ctx;

	pthread_mutex_lock(&ctx_mu);
	if (!ctx_shared && (ctx_shared = zmq_ctx_new()) != NULL)
		zmq_ctx_set(ctx_shared, ZMQ_BLOCKY, 0);
	if (ctx_shared)
		ctx_refs++;
	ctx = ctx_shared;
	*serial = ++mon_serial;
	pthread_mutex_unlock(&ctx_mu);
	return ctx;
}

static void ctx_put(void)
{
	pthread_mutex_lock(&ctx_mu);
	if (ctx_shared && --ctx_refs == 0) {
		zmq_ctx_term(ctx_shared);
		ctx_shared = NULL;
	}
	pthread_mutex_unlock(&ctx_mu);
}

static void *sock_new(void *ctx, int type)
{
	void *s = zmq_socket(ctx, type);
	int linger = 0, hwm = CL_HWM;

	if (!s)
		return NULL;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	return s;
}

int conn_lms_endpoint(const struct rac_inst_cfg *ic, char *buf, size_t len)
{
	return proc_lms_client_ep(ic->ic_local_dir, buf, len, NULL, 0) ? RACRT_ECONFIG : 0;
}

/* the next monitor event, -1 if none */
static int mon_recv(struct racrt *r)
{
	zmq_msg_t m;
	uint16_t ev = 0;
	int more;

	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, r->r_mon, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&m);
		return -1;
	}
	if (zmq_msg_size(&m) >= 6)
		memcpy(&ev, zmq_msg_data(&m), sizeof(ev));	/* host order, by ZeroMQ */
	more = zmq_msg_more(&m);
	zmq_msg_close(&m);
	while (more) {		/* the endpoint frame: parts of a message come together */
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, r->r_mon, ZMQ_DONTWAIT) < 0)
			more = 0;
		else
			more = zmq_msg_more(&m);
		zmq_msg_close(&m);
	}
	return ev;
}

int conn_open(struct racrt *r, const char *endpoint, const char *cluster_name)
{
	char monep[64];
	int imm = 1, events = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_CONNECT_RETRIED |
			      ZMQ_EVENT_DISCONNECTED;
	int64_t maxmsg = RAC_MSG_MAX;
	unsigned serial;
	uint64_t deadline;

	if (rac_strlcpy(r->r_ep, endpoint, sizeof(r->r_ep)))
		return RACRT_EINVAL;
	r->r_out = malloc(sizeof(*r->r_out));
	if (!r->r_out)
		return RACRT_ENOMEM;
	msg_bundle_init(r->r_out);
	r->r_cluster = rac_msg_cluster_id(cluster_name);
	r->r_ctx = ctx_get(&serial);
	if (!r->r_ctx)
		return RACRT_ENOMEM;
	r->r_sock = sock_new(r->r_ctx, ZMQ_DEALER);
	r->r_mon = sock_new(r->r_ctx, ZMQ_PAIR);
	if (!r->r_sock || !r->r_mon)
		return RACRT_ENOMEM;
	zmq_setsockopt(r->r_sock, ZMQ_IMMEDIATE, &imm, sizeof(imm));
	zmq_setsockopt(r->r_sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));

	/* the monitor first: events before its reader connects would be lost */
	snprintf(monep, sizeof(monep), "inproc://racrt-monitor-%u", serial);
	if (zmq_socket_monitor(r->r_sock, monep, events) || zmq_connect(r->r_mon, monep))
		return RACRT_ENOMEM;
	if (zmq_connect(r->r_sock, endpoint))
		return errno == ENAMETOOLONG || errno == EINVAL || errno == EPROTONOSUPPORT ?
			RACRT_EINVAL : RACRT_ECONNECT;

	deadline = rac_now_mono_ns() + (uint64_t)r->r_reply_ms * 1000000ull;
	for (;;) {
		zmq_pollitem_t it = { .socket = r->r_mon, .events = ZMQ_POLLIN };
		uint64_t now = rac_now_mono_ns();
		int ev;

		while ((ev = mon_recv(r)) >= 0) {
			if (ev == ZMQ_EVENT_CONNECTED)
				return 0;
			if (ev == ZMQ_EVENT_CONNECT_RETRIED || ev == ZMQ_EVENT_DISCONNECTED)
				return RACRT_ECONNECT;	/* refused, or no socket there */
		}
		if (now >= deadline)
			return RACRT_ECONNECT;
		zmq_poll(&it, 1, (long)((deadline - now) / 1000000ull) + 1);
	}
}

void conn_close(struct racrt *r)
{
	if (r->r_epfd >= 0)
		close(r->r_epfd);
	r->r_epfd = -1;
	if (r->r_sock)
		zmq_socket_monitor(r->r_sock, NULL, 0);
	if (r->r_mon)
		zmq_close(r->r_mon);
	if (r->r_sock)
		zmq_close(r->r_sock);
	r->r_mon = r->r_sock = NULL;
	if (r->r_ctx)
		ctx_put();
	r->r_ctx = NULL;
	free(r->r_out);
	r->r_out = NULL;
}

static void rx_drain(struct racrt *r);

/* send what r_out holds: 0 (or nothing to send), 1 LMS's queue is full, < 0 */
static int out_try(struct racrt *r)
{
	struct msg_hdr h = { .mh_sender = 0, .mh_cluster = r->r_cluster, .mh_seq = r->r_seq + 1 };
	int n;

	if (!r->r_out || !r->r_out->mb_n)
		return 0;
	if (r->r_state != CL_OPEN)
		return RACRT_ECLOSED;
	n = msg_bundle_seal(r->r_out, &h);
	if (n < 0)
		return RACRT_EINVAL;
	if (zmq_send(r->r_sock, r->r_out->mb_buf, (size_t)n, ZMQ_DONTWAIT) == n) {
		r->r_seq++;
		msg_bundle_init(r->r_out);
		return 0;
	}
	return errno == EAGAIN || errno == EINTR ? 1 : RACRT_ECLOSED;
}

/* send what r_out holds, waiting (bounded) while LMS's queue is full */
static int out_flush(struct racrt *r)
{
	uint64_t deadline = 0;
	int rc;

	while ((rc = out_try(r)) == 1) {
		uint64_t now = rac_now_mono_ns();

		if (!deadline)
			deadline = now + (uint64_t)r->r_reply_ms * 1000000ull;
		if (now >= deadline)
			return RACRT_ENOREPLY;
		conn_pump(r, (long)((deadline - now) / 1000000ull) + 1, true);
	}
	return rc;
}

int conn_flush(struct racrt *r)
{
	return out_flush(r);
}

int conn_send(struct racrt *r, const struct msg_lk *lk, bool now)
{
	int rc;

	/*
	 * Take in what LMS sent first: a caller pipelining many requests
	 * without polling must not let answers pile up until some are dropped.
	 */
	rx_drain(r);
	if (r->r_state != CL_OPEN)
		return RACRT_ECLOSED;
	if (msg_bundle_add(r->r_out, MSG_LK_REQUEST, lk)) {
		/* full: send it, then start the next */
		if ((rc = out_flush(r)) != 0)
			return rc;
		if (msg_bundle_add(r->r_out, MSG_LK_REQUEST, lk))
			return RACRT_EINVAL;
	}
	r->r_st.rs_requests++;
	if (r->r_nsent == 0 || now)
		return out_flush(r);
	return 0;
}

/* receive every message there is; each one frame, else it is dropped */
static void rx_drain(struct racrt *r)
{
	for (;;) {
		zmq_msg_t m;
		struct msg_hdr h;
		struct msg_lk lk;
		const uint8_t *p;
		int more;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, r->r_sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return;
		}
		more = zmq_msg_more(&m);
		if (more) {
			r->r_st.rs_bad++;
			while (more) {
				zmq_msg_close(&m);
				zmq_msg_init(&m);
				more = zmq_msg_recv(&m, r->r_sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&m);
			}
		} else if (msg_decode_hdr(zmq_msg_data(&m), zmq_msg_size(&m), r->r_cluster, &h, &p)) {
			r->r_st.rs_bad++;
		} else if (h.mh_type == MSG_LK_BUNDLE) {
			struct msg_bundle_iter it;
			uint16_t type;
			int rc = msg_bundle_open(p, h.mh_length, &it);

			while (rc == 0 && (rc = msg_bundle_next(&it, &type, &lk)) == 1) {
				rc = 0;
				if (type != MSG_LK_REPLY && type != MSG_LK_EVENT)
					r->r_st.rs_bad++;
				else
					cl_receive(r, type, &lk);
			}
			if (rc)
				r->r_st.rs_bad++;	/* the rest of the bundle */
		} else if ((h.mh_type != MSG_LK_REPLY && h.mh_type != MSG_LK_EVENT) ||
			   msg_decode_lk(p, h.mh_length, &lk)) {
			r->r_st.rs_bad++;
		} else {
			cl_receive(r, h.mh_type, &lk);
		}
		zmq_msg_close(&m);
	}
}

int conn_pump(struct racrt *r, long timeout_ms, bool want_out)
{
	zmq_pollitem_t it[2] = {
		{ .socket = r->r_sock, .events = (short)(ZMQ_POLLIN | (want_out ? ZMQ_POLLOUT : 0)) },
		{ .socket = r->r_mon, .events = ZMQ_POLLIN },
	};
	bool broken = false;
	int ev, out = out_try(r);

	if (out == 1)
		it[0].events |= ZMQ_POLLOUT;	/* to send what waits, when there is room */
	if (zmq_poll(it, 2, out == 1 && timeout_ms < 0 ? 100 : timeout_ms) < 0)
		it[0].revents = 0;	/* EINTR: the caller recomputes its wait */
	rx_drain(r);
	while ((ev = mon_recv(r)) >= 0)
		broken |= ev == ZMQ_EVENT_DISCONNECTED;
	if (broken && r->r_state == CL_OPEN) {
		rx_drain(r);	/* what LMS sent before it went */
		zmq_disconnect(r->r_sock, r->r_ep);
		cl_lost(r);
	}
	return (it[0].revents & ZMQ_POLLOUT) != 0;
}

/*
 * One descriptor for both sockets: an epoll set holding the DEALER's and
 * the monitor's ZMQ_FD, readable when either is.
 */
int conn_fd(struct racrt *r)
{
	int fds[2];
	size_t len;
	void *socks[2] = { r->r_sock, r->r_mon };

	if (r->r_epfd >= 0)
		return r->r_epfd;
	r->r_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->r_epfd < 0)
		return RACRT_ENOMEM;
	for (int i = 0; i < 2; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		len = sizeof(fds[i]);
		if (zmq_getsockopt(socks[i], ZMQ_FD, &fds[i], &len) ||
		    epoll_ctl(r->r_epfd, EPOLL_CTL_ADD, fds[i], &ev)) {
			close(r->r_epfd);
			r->r_epfd = -1;
			return RACRT_ENOMEM;
		}
	}
	return r->r_epfd;
}
