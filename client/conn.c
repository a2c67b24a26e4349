/*
 * conn.c - the client's socket to LMS; see client.h.
 *
 *   client: DEALER --ipc://<local_dir>/lms.sock--> LMS: ROUTER
 *
 * One frame per message each way: the 40-byte header and a struct msg_lk
 * (msg.h), or a bundle of them (MSG_LK_BUNDLE), sender 0, our cluster's
 * id, our own sequence.
 *
 * The client speaks ZeroMQ's wire protocol itself (ZMTP 3.0 with the NULL
 * mechanism, as a DEALER: RFC 23/ZMTP) on a plain non-blocking socket,
 * rather than through libzmq.  LMS serves it with a ROUTER of its own that
 * speaks the same (lms/zmtp_srv.c), and libzmq DEALERs (racsql) alike.  Why: libzmq moves every message through an I/O thread
 * of its own, so a synchronous request cost the client two thread
 * wake-ups and some fifteen system calls (mailbox eventfd, poll after
 * poll); measured with 16 clients, the client processes took twice the
 * CPU per lock+unlock pair that LMS did.  Here a request is one send(), its
 * answer one poll() and one recv(), as with any plain socket.
 *
 *   connect     socket(), connect(); refused or nobody there: at once
 *               RACRT_ECONNECT
 *   handshake   we send our greeting and READY (Socket-Type DEALER, an
 *               empty Identity: LMS's ROUTER names us) at once; LMS's
 *               greeting and READY (Socket-Type ROUTER) must come within
 *               the reply bound
 *   messages    frames: flags (MORE 1, LONG 2, COMMAND 4), a size of one
 *               byte or of eight (big-endian), the body.  A message of
 *               several frames is not ours: counted bad and dropped.
 *               Commands after the handshake (a PING, were LMS ever to
 *               ask for heartbeats) are ignored.
 *   broken      end of file or an error on the socket, or bytes that are
 *               not ZMTP: LMS is gone, and with it every lock of the
 *               handle; the handle is finished (on_lost) and the socket
 *               closed, never reconnected to whatever LMS comes next,
 *               which would not know our locks.
 *
 * Sending never blocks: what the kernel does not take waits in r_tx, and
 * the next request waits (bounded) for room, receiving meanwhile.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "errors.h"
#include "zmtp.h"

#define ZMTP_HDR_MAX	9	/* flags and a long size */
/* received bytes: room for the largest frame and then some */
#define CL_RX_CAP	(2 * RAC_MSG_MAX)

/* ---- connecting ---------------------------------------------------------- */

int conn_lms_endpoint(const struct rac_inst_cfg *ic, char *buf, size_t len)
{
	return proc_lms_client_ep(ic->ic_local_dir, buf, len, NULL, 0) ? RACRT_ECONFIG : 0;
}

/* "ipc://path" (or "ipc://@name", abstract) or "tcp://host:port": a socket connecting */
static int ep_connect(const char *ep, int *fdp)
{
	int fd, one = 1;

	if (!strncmp(ep, "ipc://", 6)) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		size_t n = strlen(ep + 6);
		socklen_t len;

		if (n == 0 || n >= sizeof(sun.sun_path))
			return RACRT_EINVAL;
		memcpy(sun.sun_path, ep + 6, n);
		if (sun.sun_path[0] == '@')
			sun.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
				  (sun.sun_path[0] ? 1 : 0));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return RACRT_ENOMEM;
		*fdp = fd;
		if (connect(fd, (struct sockaddr *)&sun, len) && errno != EINPROGRESS)
			return RACRT_ECONNECT;	/* refused, or no socket there */
		return 0;
	}
	if (!strncmp(ep, "tcp://", 6)) {
		struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
		struct addrinfo *ai;
		char host[256];
		const char *colon = strrchr(ep + 6, ':');
		size_t hl;
		int rc;

		if (!colon || (hl = (size_t)(colon - (ep + 6))) == 0 || hl >= sizeof(host))
			return RACRT_EINVAL;
		memcpy(host, ep + 6, hl);
		host[hl] = '\0';
		if (host[0] == '[' && host[hl - 1] == ']') {	/* [v6 address] */
			memmove(host, host + 1, hl - 2);
			host[hl - 2] = '\0';
		}
		if (getaddrinfo(host, colon + 1, &hints, &ai) || !ai)
			return RACRT_EINVAL;
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			freeaddrinfo(ai);
			return RACRT_ENOMEM;
		}
		*fdp = fd;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		rc = connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS;
		freeaddrinfo(ai);
		return rc ? RACRT_ECONNECT : 0;
	}
	return RACRT_EINVAL;
}

/* LMS's greeting: ZMTP 3 or later, NULL mechanism */
static int greeting_ok(const uint8_t *g)
{
	static const uint8_t null_mech[20] = "NULL";

	return g[0] == 0xff && (g[9] & 1) && g[10] >= 3 && !memcmp(g + 12, null_mech, 20);
}

/* LMS's READY: its properties must say ROUTER */
static int ready_ok(const uint8_t *p, size_t n)
{
	if (n < 6 || p[0] != 5 || memcmp(p + 1, "READY", 5))
		return 0;
	for (size_t i = 6; i < n;) {
		size_t nl = p[i], vl;

		if (i + 1 + nl + 4 > n)
			return 0;
		vl = (size_t)p[i + 1 + nl] << 24 | (size_t)p[i + 2 + nl] << 16 |
		     (size_t)p[i + 3 + nl] << 8 | p[i + 4 + nl];
		if (vl > n - (i + 5 + nl))
			return 0;
		if (nl == 11 && !strncasecmp((const char *)p + i + 1, "Socket-Type", 11))
			return vl == 6 && !memcmp(p + i + 5 + nl, "ROUTER", 6);
		i += 5 + nl + vl;
	}
	return 0;
}

/* ---- receiving ------------------------------------------------------------- */

/* one message of one frame: a reply, an event, or a bundle of them */
static void rx_message(struct racrt *r, const uint8_t *buf, size_t len)
{
	struct msg_hdr h;
	struct msg_lk lk;
	const uint8_t *p;

	int rc = msg_decode_hdr(buf, len, r->r_cluster, &h, &p);

	if (rc == RAC_EMSG_VERSION) {
		/*
		 * LMS answers a request in a message version it does not speak
		 * with an empty message in its own: waiting would only end in
		 * RACRT_ENOREPLY, one request at a time.  The handle is done.
		 */
		r->r_st.rs_bad++;
		r->r_lost_rc = RACRT_EVERSION;
		r->r_broken = true;	/* conn_pump finishes the handle */
	} else if (rc) {
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
				r->r_ops->on_message(r->r_ops_arg, type, &lk);
		}
		if (rc)
			r->r_st.rs_bad++;	/* the rest of the bundle */
	} else if ((h.mh_type != MSG_LK_REPLY && h.mh_type != MSG_LK_EVENT) ||
		   msg_decode_lk(p, h.mh_length, &lk)) {
		r->r_st.rs_bad++;
	} else {
		r->r_ops->on_message(r->r_ops_arg, h.mh_type, &lk);
	}
}

/*
 * Take every whole frame from r_rx: the greeting and READY first, then
 * messages.  Returns the number of messages taken, or -1 when the bytes
 * are not ZMTP (or not from a ROUTER).
 */
static int rx_parse(struct racrt *r)
{
	size_t off = 0;
	int n = 0;

	if (r->r_hs == HS_GREETING) {
		if (r->r_rxlen < ZMTP_GREETING)
			return 0;
		if (!greeting_ok(r->r_rx))
			return -1;
		off = ZMTP_GREETING;
		r->r_hs = HS_READY;
	}
	for (;;) {
		const uint8_t *f = r->r_rx + off;
		size_t have = r->r_rxlen - off, hl, len;

		if (have < 2)
			break;
		if (f[0] & ZMTP_LONG) {
			if (have < 9)
				break;
			len = 0;
			for (int i = 1; i <= 8; i++)
				len = len << 8 | f[i];
			hl = 9;
		} else {
			len = f[1];
			hl = 2;
		}
		if (len > RAC_MSG_MAX)
			return -1;	/* what libzmq's ZMQ_MAXMSGSIZE did */
		if (have < hl + len)
			break;
		off += hl + len;
		if (r->r_hs == HS_READY) {
			if (!(f[0] & ZMTP_COMMAND) || !ready_ok(f + hl, len))
				return -1;
			r->r_hs = HS_DONE;
		} else if (f[0] & ZMTP_COMMAND) {
			continue;
		} else if (r->r_rx_skip || (f[0] & ZMTP_MORE)) {
			if (!r->r_rx_skip)
				r->r_st.rs_bad++;	/* once per message */
			r->r_rx_skip = (f[0] & ZMTP_MORE) != 0;
		} else {
			rx_message(r, f + hl, len);
			n++;
		}
	}
	if (off) {
		r->r_rxlen -= off;
		memmove(r->r_rx, r->r_rx + off, r->r_rxlen);
	}
	return n;
}

/*
 * LMS is gone (or spoke nonsense): take what it sent before, finish the
 * handle, close the socket.  The racrt_fd() descriptor stays, never
 * readable again.
 */
static void conn_broken(struct racrt *r)
{
	if (r->r_sock < 0)
		return;
	if (r->r_epfd >= 0)
		epoll_ctl(r->r_epfd, EPOLL_CTL_DEL, r->r_sock, NULL);
	close(r->r_sock);
	r->r_sock = -1;
	r->r_txlen = r->r_txoff = 0;
	if (r->r_state == CL_OPEN)
		r->r_ops->on_lost(r->r_ops_arg);
}

/*
 * Receive what there is and take every whole message; returns how many.
 * A read that does not fill the room left means the socket is empty: no
 * further read to hear that it is.
 */
static int rx_drain(struct racrt *r)
{
	int n = 0, m;

	while (r->r_sock >= 0) {
		size_t room = CL_RX_CAP - r->r_rxlen;
		ssize_t got = recv(r->r_sock, r->r_rx + r->r_rxlen, room, MSG_DONTWAIT);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (got <= 0) {
			conn_broken(r);	/* end of file, or reset */
			break;
		}
		r->r_rxlen += (size_t)got;
		if ((m = rx_parse(r)) < 0) {
			conn_broken(r);
			break;
		}
		n += m;
		if ((size_t)got < room)
			break;
	}
	return n;
}

/* ---- opening and closing --------------------------------------------------- */

int conn_open(struct racrt *r, const char *endpoint, const char *cluster_name,
	      const struct conn_ops *ops, void *arg)
{
	uint8_t hi[ZMTP_GREETING + 64];
	size_t hlen, sent = 0;
	uint64_t deadline;
	int rc;

	r->r_ops = ops;
	r->r_ops_arg = arg;
	r->r_sock = -1;
	r->r_out = malloc(sizeof(*r->r_out));
	r->r_rx = malloc(CL_RX_CAP);
	r->r_tx = malloc(ZMTP_HDR_MAX + RAC_MSG_HDR + MSG_BUNDLE_MAX);
	if (!r->r_out || !r->r_rx || !r->r_tx)
		return RACRT_ENOMEM;
	msg_bundle_init(r->r_out);
	r->r_cluster = rac_msg_cluster_id(cluster_name);
	r->r_hs = HS_GREETING;
	if ((rc = ep_connect(endpoint, &r->r_sock)) != 0)
		return rc;

	/* connected (or, over TCP, on the way): say hello, hear LMS's */
	hlen = zmtp_hello(hi, "DEALER", true);	/* LMS names us */
	deadline = rac_now_mono_ns() + (uint64_t)r->r_reply_ms * 1000000ull;
	while (r->r_hs != HS_DONE) {
		struct pollfd pf = { .fd = r->r_sock, .events = POLLIN };
		uint64_t now = rac_now_mono_ns();

		if (sent < hlen) {
			ssize_t n = send(r->r_sock, hi + sent, hlen - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n > 0)
				sent += (size_t)n;
			else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
				 errno != ENOTCONN)
				return RACRT_ECONNECT;	/* refused (TCP) */
			if (sent < hlen)
				pf.events |= POLLOUT;
		}
		if (now >= deadline)
			return RACRT_ECONNECT;
		if (poll(&pf, 1, (int)((deadline - now) / 1000000ull) + 1) < 0 && errno != EINTR)
			return RACRT_ECONNECT;
		if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
			rx_drain(r);
			if (r->r_sock < 0)
				return RACRT_ECONNECT;	/* refused, closed, or not ZMTP */
		}
	}
	return 0;
}

void conn_close(struct racrt *r)
{
	if (r->r_epfd >= 0)
		close(r->r_epfd);
	r->r_epfd = -1;
	if (r->r_sock >= 0)
		close(r->r_sock);
	r->r_sock = -1;
	free(r->r_out);
	free(r->r_rx);
	free(r->r_tx);
	r->r_out = NULL;
	r->r_rx = r->r_tx = NULL;
}

/* ---- sending --------------------------------------------------------------- */

/* write what r_tx holds: 0 all of it, 1 not all (no room), < 0 broken */
static int tx_write(struct racrt *r)
{
	while (r->r_txoff < r->r_txlen) {
		ssize_t n = send(r->r_sock, r->r_tx + r->r_txoff, r->r_txlen - r->r_txoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			r->r_txoff += (size_t)n;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			return 1;
		} else if (errno != EINTR) {
			r->r_broken = true;	/* conn_pump finishes the handle */
			return cl_closed_rc(r);
		}
	}
	r->r_txoff = r->r_txlen = 0;
	return 0;
}

/* send what r_out holds: 0 (or nothing to send), 1 LMS's queue is full, < 0 */
static int out_try(struct racrt *r)
{
	struct msg_hdr h = { .mh_sender = 0, .mh_cluster = r->r_cluster, .mh_seq = r->r_seq + 1 };
	uint8_t *p;
	int n, rc;

	if (!r->r_out || (!r->r_out->mb_n && r->r_txoff == r->r_txlen))
		return 0;
	if (r->r_state != CL_OPEN || r->r_sock < 0 || r->r_broken)
		return cl_closed_rc(r);
	if (r->r_txoff < r->r_txlen && (rc = tx_write(r)) != 0)
		return rc;	/* the frame before first */
	if (!r->r_out->mb_n)
		return 0;
	n = msg_bundle_seal(r->r_out, &h);
	if (n < 0)
		return RACRT_EINVAL;
	p = r->r_tx;
	if (n > 255) {
		*p++ = ZMTP_LONG;
		for (int i = 7; i >= 0; i--)
			*p++ = (uint8_t)((uint64_t)n >> (8 * i));
	} else {
		*p++ = 0;
		*p++ = (uint8_t)n;
	}
	memcpy(p, r->r_out->mb_buf, (size_t)n);
	r->r_txoff = 0;
	r->r_txlen = (size_t)(p - r->r_tx) + (size_t)n;
	r->r_seq++;
	msg_bundle_init(r->r_out);
	rc = tx_write(r);
	return rc < 0 ? rc : 0;	/* all sent, or the rest goes before the next */
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
	 * Only while other requests are about (r_active counts the one being
	 * sent): a lone synchronous call has nothing to take in, and would pay
	 * a read for it.
	 */
	if (r->r_nsent || r->r_active > 1)
		rx_drain(r);
	if (r->r_state != CL_OPEN)
		return cl_closed_rc(r);
	rc = msg_bundle_add(r->r_out, MSG_LK_REQUEST, lk);
	if (rc == RAC_ERANGE) {
		/* full: send it, then start the next */
		if ((rc = out_flush(r)) != 0)
			return rc;
		rc = msg_bundle_add(r->r_out, MSG_LK_REQUEST, lk);
	}
	if (rc)
		return RACRT_EINVAL;
	r->r_st.rs_requests++;
	if (r->r_nsent == 0 || now)
		return out_flush(r);
	return 0;
}

/* ---- waiting --------------------------------------------------------------- */

/*
 * A plain level-triggered poll(2): what is there already wakes it at once,
 * so there is no read before it.
 */
int conn_pump(struct racrt *r, long timeout_ms, bool want_out)
{
	struct pollfd pf;
	int out = out_try(r);

	if (r->r_broken) {
		rx_drain(r);	/* what LMS sent before it went */
		conn_broken(r);
	}
	if (r->r_sock < 0)
		return 0;
	pf = (struct pollfd){ .fd = r->r_sock, .events = POLLIN };
	if (want_out || out == 1)
		pf.events |= POLLOUT;
	if (out == 1 && timeout_ms < 0)
		timeout_ms = 100;	/* to send what waits, when there is room */
	if (poll(&pf, 1, timeout_ms < 0 ? -1 : timeout_ms > INT32_MAX ? INT32_MAX :
		 (int)timeout_ms) <= 0)
		return 0;	/* nothing, or EINTR: the caller recomputes its wait */
	if (pf.revents & (POLLIN | POLLHUP | POLLERR))
		rx_drain(r);
	if (r->r_sock < 0)
		return 0;
	if ((pf.revents & POLLOUT) && r->r_txoff < r->r_txlen)
		out_try(r);
	return (pf.revents & POLLOUT) != 0;
}

/*
 * The caller's descriptor: an epoll set holding the socket, so that it
 * stays the same descriptor, never readable again, once the socket is
 * closed (LMS gone).
 */
int conn_fd(struct racrt *r)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (r->r_epfd >= 0)
		return r->r_epfd;
	r->r_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->r_epfd < 0)
		return RACRT_ENOMEM;
	if (r->r_sock >= 0 && epoll_ctl(r->r_epfd, EPOLL_CTL_ADD, r->r_sock, &ev)) {
		close(r->r_epfd);
		r->r_epfd = -1;
		return RACRT_ENOMEM;
	}
	return r->r_epfd;
}
