/*
 * zmtp_srv.c - a ZMTP 3.0 ROUTER served from the caller's thread; see
 * zmtp_srv.h.
 *
 * Connections wait their turn on a ready list: one that epoll said is
 * readable, or that still holds whole messages in its receive buffer.
 * zsrv_recv() takes one message from the connection at the head and moves
 * it to the tail, so that a busy peer does not starve the others; a read
 * happens only when the buffer has no whole message left, and takes as much
 * as fits (often many messages).  epoll is asked again when the list is
 * empty, or after every ZS_FAIR messages, for the connections that were not
 * on it.
 *
 * Wire format (RFC 23): a 64-byte greeting, then frames of one flags byte
 * (MORE 1, LONG 2, COMMAND 4), a size of one byte (or eight, big-endian,
 * with LONG), and the body.  With the NULL mechanism the first command
 * after the greeting is READY, whose body is the name ("\5READY") and
 * properties: a name of one length byte and a value of four.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "zmtp.h"
#include "zmtp_srv.h"

#define ZS_GREETING	64
#define ZS_MORE		0x01
#define ZS_LONG		0x02
#define ZS_COMMAND	0x04
#define ZS_HASH		1024		/* routing id buckets */
#define ZS_RX_MIN	8192		/* a connection's first receive buffer */
#define ZS_TX_KEEP	(1u << 20)	/* a larger send buffer is freed once empty */
#define ZS_EVENTS	64		/* epoll events taken at once */
#define ZS_FAIR		64		/* messages between looks at epoll, at most */
#define ZS_ACCEPT_MAX	256		/* connections accepted at one look */

enum zs_hs { HS_GREETING, HS_READY, HS_DONE };

struct zconn {
	int c_fd;
	enum zs_hs c_hs;
	bool c_hashed;		/* in the routing id table */
	bool c_ready;		/* on the ready list */
	bool c_readable;	/* the socket may have bytes for us */
	bool c_pollout;		/* EPOLLOUT is asked for */
	bool c_multi;		/* inside a message of several frames */
	uint8_t c_idlen;
	uint8_t c_id[ZSRV_ID_MAX];
	struct zconn *c_hnext;	/* routing id chain */
	struct zconn *c_rnext;	/* ready list */
	struct zconn *c_prev, *c_next;	/* every connection */
	uint8_t *c_rx;		/* bytes [c_rxoff, c_rxlen) not taken yet */
	size_t c_rxcap, c_rxoff, c_rxlen;
	uint8_t *c_tx;		/* bytes [c_txoff, c_txlen) not sent yet */
	size_t c_txcap, c_txoff, c_txlen;
	struct ucred c_cred;	/* the peer, as the kernel says (SO_PEERCRED) */
	uint64_t c_born_ns;	/* accepted at (CLOCK_MONOTONIC) */
};

struct zsrv {
	struct zsrv_opts s_o;
	int s_lfd;		/* listening socket */
	int s_ep;		/* epoll set: the listening socket, the kick, connections */
	int s_kick;		/* eventfd: messages wait in buffers (zsrv_yield) */
	bool s_kicked;
	struct ucred s_last_cred;	/* of the connection zsrv_recv() last took from */
	bool s_lpaused;		/* out of descriptors: the listening socket is out
				 * of the epoll set until a connection closes */
	uint32_t s_next_id;
	unsigned s_since_look;	/* messages since epoll was asked */
	bool s_fresh;		/* epoll was asked and told all: need not be again
				 * before the caller polls */
	struct zconn *s_rhead, *s_rtail;
	struct zconn *s_all;
	struct zconn *s_hash[ZS_HASH];
	struct zsrv_stats s_st;
};

/* ---- routing ids ------------------------------------------------------------ */

static unsigned id_hash(const uint8_t *id, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ id[i]) * 16777619u;
	return (h ^ (h >> 16)) & (ZS_HASH - 1);
}

static struct zconn *id_find(const struct zsrv *s, const uint8_t *id, size_t n)
{
	for (struct zconn *c = s->s_hash[id_hash(id, n)]; c; c = c->c_hnext)
		if (c->c_idlen == n && !memcmp(c->c_id, id, n))
			return c;
	return NULL;
}

static void id_set(struct zsrv *s, struct zconn *c, const uint8_t *id, size_t n)
{
	unsigned h = id_hash(id, n);

	memcpy(c->c_id, id, n);
	c->c_idlen = (uint8_t)n;
	c->c_hnext = s->s_hash[h];
	s->s_hash[h] = c;
	c->c_hashed = true;
}

static void id_unset(struct zsrv *s, struct zconn *c)
{
	if (!c->c_hashed)
		return;
	for (struct zconn **pp = &s->s_hash[id_hash(c->c_id, c->c_idlen)]; *pp;
	     pp = &(*pp)->c_hnext) {
		if (*pp == c) {
			*pp = c->c_hnext;
			break;
		}
	}
	c->c_hashed = false;
}

/* one of ours: a zero byte and a counter, as libzmq names its peers */
static void id_make(struct zsrv *s, struct zconn *c)
{
	uint8_t id[5];

	do {
		uint32_t v = s->s_next_id++;

		id[0] = 0;
		id[1] = (uint8_t)(v >> 24);
		id[2] = (uint8_t)(v >> 16);
		id[3] = (uint8_t)(v >> 8);
		id[4] = (uint8_t)v;
	} while (id_find(s, id, sizeof(id)));
	id_set(s, c, id, sizeof(id));
}

/* ---- the ready list ----------------------------------------------------------- */

static void ready_push(struct zsrv *s, struct zconn *c)
{
	if (c->c_ready)
		return;
	c->c_ready = true;
	c->c_rnext = NULL;
	if (s->s_rtail)
		s->s_rtail->c_rnext = c;
	else
		s->s_rhead = c;
	s->s_rtail = c;
}

static struct zconn *ready_pop(struct zsrv *s)
{
	struct zconn *c = s->s_rhead;

	if (!c)
		return NULL;
	s->s_rhead = c->c_rnext;
	if (!s->s_rhead)
		s->s_rtail = NULL;
	c->c_ready = false;
	c->c_rnext = NULL;
	return c;
}

static void ready_unlink(struct zsrv *s, struct zconn *c)
{
	struct zconn *prev = NULL;

	if (!c->c_ready)
		return;
	for (struct zconn *x = s->s_rhead; x; prev = x, x = x->c_rnext) {
		if (x != c)
			continue;
		if (prev)
			prev->c_rnext = c->c_rnext;
		else
			s->s_rhead = c->c_rnext;
		if (s->s_rtail == c)
			s->s_rtail = prev;
		break;
	}
	c->c_ready = false;
	c->c_rnext = NULL;
}

/* ---- connections ---------------------------------------------------------------- */

static void conn_free(struct zsrv *s, struct zconn *c)
{
	ready_unlink(s, c);
	id_unset(s, c);
	if (c->c_prev)
		c->c_prev->c_next = c->c_next;
	else
		s->s_all = c->c_next;
	if (c->c_next)
		c->c_next->c_prev = c->c_prev;
	close(c->c_fd);	/* leaves the epoll set with it */
	free(c->c_rx);
	free(c->c_tx);
	free(c);
	s->s_st.zs_open--;
	if (s->s_lpaused) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->s_lfd };

		if (epoll_ctl(s->s_ep, EPOLL_CTL_ADD, s->s_lfd, &ev) == 0)
			s->s_lpaused = false;
	}
}

static void conn_bad(struct zsrv *s, struct zconn *c, const char *why)
{
	s->s_st.zs_bad++;
	if (s->s_o.zo_on_bad)
		s->s_o.zo_on_bad(s->s_o.zo_arg, why);
	conn_free(s, c);
}

static int want_out(struct zsrv *s, struct zconn *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };

	if (c->c_pollout == on)
		return 0;
	if (epoll_ctl(s->s_ep, EPOLL_CTL_MOD, c->c_fd, &ev))
		return -1;
	c->c_pollout = on;
	return 0;
}

/* room for `more` bytes after c_txlen */
static int tx_room(struct zconn *c, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (c->c_txoff && c->c_txlen + more > c->c_txcap) {
		memmove(c->c_tx, c->c_tx + c->c_txoff, c->c_txlen - c->c_txoff);
		c->c_txlen -= c->c_txoff;
		c->c_txoff = 0;
	}
	if (c->c_txlen + more <= c->c_txcap)
		return 0;
	cap = c->c_txcap ? c->c_txcap : 4096;
	while (cap < c->c_txlen + more)
		cap *= 2;
	p = realloc(c->c_tx, cap);
	if (!p)
		return -1;
	c->c_tx = p;
	c->c_txcap = cap;
	return 0;
}

/* write what waits: 0 (all of it, or the kernel is full), -1 the peer is gone */
static int tx_flush(struct zsrv *s, struct zconn *c)
{
	while (c->c_txoff < c->c_txlen) {
		ssize_t n = send(c->c_fd, c->c_tx + c->c_txoff, c->c_txlen - c->c_txoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->c_txoff += (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return want_out(s, c, true);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			return -1;
		}
	}
	c->c_txoff = c->c_txlen = 0;
	if (c->c_txcap > ZS_TX_KEEP) {
		free(c->c_tx);
		c->c_tx = NULL;
		c->c_txcap = 0;
	}
	return want_out(s, c, false);
}

/*
 * Send a frame header and a body: at once when nothing waits before them,
 * the rest (or all) into the buffer.  0, or -1 (errno) with the connection
 * still open when the buffer would pass the bound, gone (ECONNRESET) when
 * the socket failed.
 */
static int tx_put(struct zsrv *s, struct zconn *c, const uint8_t *hdr, size_t hl,
		  const void *body, size_t len)
{
	size_t total = hl + len, done = 0;

	if (c->c_txlen - c->c_txoff + total > s->s_o.zo_tx_max) {
		errno = EAGAIN;
		return -1;
	}
	if (c->c_txoff == c->c_txlen) {
		struct iovec iov[2] = { { (void *)hdr, hl }, { (void *)body, len } };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
		ssize_t n;

		do
			n = sendmsg(c->c_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			conn_free(s, c);
			errno = ECONNRESET;
			return -1;
		}
		done = n > 0 ? (size_t)n : 0;
		if (done == total)
			return 0;
	}
	if (tx_room(c, total - done)) {
		conn_free(s, c);	/* part of the frame may be out: the stream is lost */
		errno = ENOMEM;
		return -1;
	}
	if (done < hl) {
		memcpy(c->c_tx + c->c_txlen, hdr + done, hl - done);
		c->c_txlen += hl - done;
		done = hl;
	}
	memcpy(c->c_tx + c->c_txlen, (const uint8_t *)body + (done - hl), total - done);
	c->c_txlen += total - done;
	if (want_out(s, c, true)) {
		conn_free(s, c);
		errno = ECONNRESET;
		return -1;
	}
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void refused(struct zsrv *s, const char *why)
{
	s->s_st.zs_refused++;
	if (s->s_o.zo_on_refused)
		s->s_o.zo_on_refused(s->s_o.zo_arg, why);
}

static void accept_all(struct zsrv *s)
{
	for (int i = 0; i < ZS_ACCEPT_MAX; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		uint8_t hi[ZMTP_HELLO_MAX];
		struct zconn *c;
		int fd = accept4(s->s_lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/*
			 * Out of descriptors (or memory): the pending connection
			 * would keep the set readable, and us spinning.  Stop
			 * listening until one of ours closes.
			 */
			if (errno != EAGAIN && errno != EWOULDBLOCK && s->s_all &&
			    epoll_ctl(s->s_ep, EPOLL_CTL_DEL, s->s_lfd, NULL) == 0) {
				s->s_lpaused = true;
				refused(s, errno == EMFILE || errno == ENFILE ?
					"out of file descriptors: new clients wait until one "
					"closes" : "accept failed: new clients wait");
			}
			return;
		}
		if (s->s_o.zo_max_conns && s->s_st.zs_open >= s->s_o.zo_max_conns) {
			close(fd);	/* the client sees its connection closed at once */
			refused(s, "too many client connections open");
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c)
			c->c_rx = malloc(ZS_RX_MIN);
		ev.data.ptr = c;
		if (!c || !c->c_rx || epoll_ctl(s->s_ep, EPOLL_CTL_ADD, fd, &ev)) {
			if (c)
				free(c->c_rx);
			free(c);
			close(fd);
			continue;
		}
		c->c_fd = fd;
		c->c_rxcap = ZS_RX_MIN;
		c->c_born_ns = mono_ns();
		{
			socklen_t cl = sizeof(c->c_cred);

			/* who connected: never what its messages claim */
			if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->c_cred, &cl))
				c->c_cred = (struct ucred){ .pid = 0, .uid = (uid_t)-1,
							    .gid = (gid_t)-1 };
		}
		c->c_next = s->s_all;
		if (s->s_all)
			s->s_all->c_prev = c;
		s->s_all = c;
		s->s_st.zs_accepted++;
		s->s_st.zs_open++;
		tx_put(s, c, hi, zmtp_hello(hi, "ROUTER", false), NULL, 0);	/* on failure c is gone */
	}
}

/* ---- receiving ------------------------------------------------------------------- */

/* the peer's READY: 0, or why not */
static const char *ready_take(struct zsrv *s, struct zconn *c, const uint8_t *p, size_t n)
{
	const uint8_t *ident = NULL;
	size_t identlen = 0;
	bool typed = false;

	if (n < 6 || p[0] != 5 || memcmp(p + 1, "READY", 5))
		return "no READY command after the greeting";
	for (size_t i = 6; i < n;) {
		size_t nl = p[i], vl;
		const uint8_t *name = p + i + 1, *val;

		if (n - i < 1 + nl + 4)
			return "a malformed READY property";
		vl = (size_t)p[i + 1 + nl] << 24 | (size_t)p[i + 2 + nl] << 16 |
		     (size_t)p[i + 3 + nl] << 8 | p[i + 4 + nl];
		val = p + i + 5 + nl;
		if (vl > n - (i + 5 + nl))
			return "a malformed READY property";
		if (nl == 11 && !strncasecmp((const char *)name, "Socket-Type", 11)) {
			if (!((vl == 6 && (!memcmp(val, "DEALER", 6) || !memcmp(val, "ROUTER", 6))) ||
			      (vl == 3 && !memcmp(val, "REQ", 3))))
				return "a peer socket type that cannot talk to a ROUTER";
			typed = true;
		} else if (nl == 8 && !strncasecmp((const char *)name, "Identity", 8)) {
			if (vl > ZSRV_ID_MAX)
				return "an identity longer than 255 bytes";
			ident = val;
			identlen = vl;
		}
		i += 5 + nl + vl;
	}
	if (!typed)
		return "no Socket-Type in READY";
	if (identlen && ident[0] != 0) {
		if (id_find(s, ident, identlen))
			return "an identity another connection has";
		id_set(s, c, ident, identlen);
	} else {
		id_make(s, c);
	}
	return NULL;
}

/* room in c_rx for `need` bytes from c_rxoff on */
static int rx_room(struct zsrv *s, struct zconn *c, size_t need)
{
	size_t cap;
	uint8_t *p;

	if (c->c_rxoff) {
		memmove(c->c_rx, c->c_rx + c->c_rxoff, c->c_rxlen - c->c_rxoff);
		c->c_rxlen -= c->c_rxoff;
		c->c_rxoff = 0;
	}
	if (need <= c->c_rxcap)
		return 0;
	cap = c->c_rxcap * 2;
	if (cap < need)
		cap = need;
	if (cap > s->s_o.zo_frame_max + 16 && need <= s->s_o.zo_frame_max + 16)
		cap = s->s_o.zo_frame_max + 16;
	p = realloc(c->c_rx, cap);
	if (!p)
		return -1;
	c->c_rx = p;
	c->c_rxcap = cap;
	return 0;
}

/*
 * The next message in c's buffer: 1 (given to the caller), 0 (no whole one),
 * -1 (not ZMTP: *why says how).
 */
static int rx_take(struct zsrv *s, struct zconn *c, uint8_t *id, size_t *idlen, uint8_t *buf,
		   size_t *len, const char **why)
{
	static const uint8_t null_mech[20] = "NULL";

	for (;;) {
		const uint8_t *p = c->c_rx + c->c_rxoff, *body;
		size_t have = c->c_rxlen - c->c_rxoff, hl, n;
		uint8_t flags;

		if (c->c_hs == HS_GREETING) {
			/* refuse what is not ZMTP as soon as it shows */
			if ((have >= 1 && p[0] != 0xff) || (have >= 10 && !(p[9] & 1)) ||
			    (have >= 11 && p[10] < 3)) {
				*why = "not a ZMTP 3 greeting";
				return -1;
			}
			if (have < ZS_GREETING)
				return 0;
			if (memcmp(p + 12, null_mech, sizeof(null_mech))) {
				*why = "a security mechanism other than NULL";
				return -1;
			}
			c->c_rxoff += ZS_GREETING;
			c->c_hs = HS_READY;
			continue;
		}
		if (have < 2)
			return 0;
		flags = p[0];
		if (flags & ~(ZS_MORE | ZS_LONG | ZS_COMMAND)) {
			*why = "a frame with reserved flags set";
			return -1;
		}
		if (flags & ZS_LONG) {
			if (have < 9)
				return 0;
			n = 0;
			for (int i = 1; i <= 8; i++) {
				if (n >> 56)
					break;
				n = n << 8 | p[i];
			}
			hl = 9;
		} else {
			n = p[1];
			hl = 2;
		}
		if (n > s->s_o.zo_frame_max) {
			*why = "a frame larger than allowed";
			return -1;
		}
		if (have < hl + n) {
			if (hl + n > c->c_rxcap - c->c_rxoff && rx_room(s, c, hl + n)) {
				*why = "out of memory for a frame";
				return -1;
			}
			return 0;
		}
		body = p + hl;
		c->c_rxoff += hl + n;
		if (c->c_hs == HS_READY) {
			if (!(flags & ZS_COMMAND) || (flags & ZS_MORE)) {
				*why = "no READY command after the greeting";
				return -1;
			}
			if ((*why = ready_take(s, c, body, n)) != NULL)
				return -1;
			c->c_hs = HS_DONE;
			continue;
		}
		if (flags & ZS_COMMAND) {
			if (flags & ZS_MORE) {
				*why = "a command frame with MORE";
				return -1;
			}
			continue;	/* PING and the like: nothing we need */
		}
		if (flags & ZS_MORE) {
			c->c_multi = true;	/* more frames: the message is not ours */
			continue;
		}
		memcpy(id, c->c_id, c->c_idlen);
		*idlen = c->c_idlen;
		if (c->c_multi) {
			c->c_multi = false;
			*len = 0;
		} else if (n > *len) {
			*len = *len + 1;
		} else {
			memcpy(buf, body, n);
			*len = n;
		}
		if (c->c_rxoff == c->c_rxlen)
			c->c_rxoff = c->c_rxlen = 0;
		return 1;
	}
}

/* read what the socket has: 1 bytes came, 0 none, -1 the peer is gone */
static int rx_fill(struct zsrv *s, struct zconn *c)
{
	size_t room;
	ssize_t got;

	if (c->c_rxoff == c->c_rxlen)
		c->c_rxoff = c->c_rxlen = 0;
	else if (c->c_rxoff && c->c_rxcap - c->c_rxlen < c->c_rxcap / 4 && rx_room(s, c, 0))
		return -1;
	room = c->c_rxcap - c->c_rxlen;
	if (!room) {
		c->c_readable = false;	/* cannot be: rx_take made room for the frame */
		return 0;
	}
	do
		got = recv(c->c_fd, c->c_rx + c->c_rxlen, room, MSG_DONTWAIT);
	while (got < 0 && errno == EINTR);
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->c_readable = false;
		return 0;
	}
	if (got <= 0)
		return -1;	/* end of file, or reset */
	c->c_rxlen += (size_t)got;
	if ((size_t)got < room)
		c->c_readable = false;	/* it had no more: epoll says when it has */
	return 1;
}

/* ask epoll what is ready: accept, write, and list the readable */
static void look(struct zsrv *s)
{
	struct epoll_event ev[ZS_EVENTS];
	int n = epoll_wait(s->s_ep, ev, ZS_EVENTS, 0);

	s->s_since_look = 0;
	s->s_fresh = n < ZS_EVENTS;
	for (int i = 0; i < n; i++) {
		void *tag = ev[i].data.ptr;
		struct zconn *c = tag;

		if (tag == &s->s_lfd) {
			accept_all(s);
			continue;
		}
		if (tag == &s->s_kick) {
			uint64_t v;

			if (read(s->s_kick, &v, sizeof(v)) < 0 && errno != EAGAIN)
				continue;
			s->s_kicked = false;
			continue;
		}
		if ((ev[i].events & EPOLLOUT) && tx_flush(s, c)) {
			conn_free(s, c);
			continue;
		}
		if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
			c->c_readable = true;
			ready_push(s, c);
		}
	}
}

int zsrv_recv(struct zsrv *s, uint8_t *id, size_t *idlen, uint8_t *buf, size_t *len)
{
	bool looked = false;

	if (s->s_since_look >= ZS_FAIR) {
		look(s);
		looked = true;
	}
	for (;;) {
		struct zconn *c = ready_pop(s);
		const char *why = NULL;
		size_t room = *len;
		int r;

		if (!c) {
			/*
			 * Nothing more from what epoll told.  What came since makes
			 * zsrv_fd() readable: the caller's poll sees it, and the next
			 * call asks epoll.
			 */
			if (looked || s->s_fresh) {
				s->s_fresh = false;
				return 0;
			}
			look(s);
			looked = true;
			continue;
		}
		r = rx_take(s, c, id, idlen, buf, len, &why);
		while (r == 0 && c->c_readable) {
			int f = rx_fill(s, c);

			if (f < 0)
				break;
			if (f > 0)
				r = rx_take(s, c, id, idlen, buf, len, &why);
		}
		if (r < 0) {
			conn_bad(s, c, why);
			continue;
		}
		if (r == 1) {
			s->s_last_cred = c->c_cred;
			ready_push(s, c);	/* it may have more: after the others */
			s->s_since_look++;
			return 1;
		}
		*len = room;
		if (c->c_readable)
			conn_free(s, c);	/* end of file or an error (what it left is not whole) */
		/* else nothing whole and the socket empty: epoll tells when it has more */
	}
}

void zsrv_yield(struct zsrv *s)
{
	uint64_t one = 1;

	if (!s->s_rhead || s->s_kicked)
		return;
	if (write(s->s_kick, &one, sizeof(one)) == sizeof(one))
		s->s_kicked = true;
}

int zsrv_send(struct zsrv *s, const uint8_t *id, size_t idlen, const void *buf, size_t len)
{
	struct zconn *c = idlen <= ZSRV_ID_MAX ? id_find(s, id, idlen) : NULL;
	uint8_t hdr[9];
	size_t hl;

	if (!c) {
		errno = EHOSTUNREACH;
		return -1;
	}
	if (len > 255) {
		hdr[0] = ZS_LONG;
		for (int i = 0; i < 8; i++)
			hdr[1 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
		hl = 9;
	} else {
		hdr[0] = 0;
		hdr[1] = (uint8_t)len;
		hl = 2;
	}
	return tx_put(s, c, hdr, hl, buf, len);
}

/* ---- the server ---------------------------------------------------------------- */

int zsrv_expire_handshakes(struct zsrv *s, unsigned ms)
{
	uint64_t now = mono_ns(), limit = (uint64_t)ms * 1000000ull;
	int n = 0;

	for (struct zconn *c = s->s_all, *next; c; c = next) {
		next = c->c_next;
		if (c->c_hs != HS_DONE && now - c->c_born_ns > limit) {
			conn_bad(s, c, "no ZMTP handshake in time");
			n++;
		}
	}
	return n;
}

const struct ucred *zsrv_last_cred(const struct zsrv *s)
{
	return &s->s_last_cred;
}

int zsrv_fd(const struct zsrv *s)
{
	return s->s_ep;
}

void zsrv_stats(const struct zsrv *s, struct zsrv_stats *st)
{
	*st = s->s_st;
}

int zsrv_open(struct zsrv **sp, const char *path, const struct zsrv_opts *o)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	socklen_t alen;
	struct zsrv *s;
	struct epoll_event ev = { .events = EPOLLIN };
	int e;

	*sp = NULL;
	if (n == 0 || n >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, n);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract */
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (sun.sun_path[0] ? 1 : 0));
	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->s_o = *o;
	s->s_lfd = s->s_ep = s->s_kick = -1;
	/* ids not to meet a previous LMS's, as libzmq starts at a random one */
	s->s_next_id = (uint32_t)time(NULL) * 2654435761u ^ (uint32_t)getpid() << 16;
	s->s_lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->s_lfd < 0 || bind(s->s_lfd, (struct sockaddr *)&sun, alen) ||
	    listen(s->s_lfd, SOMAXCONN))
		goto fail;
	s->s_ep = epoll_create1(EPOLL_CLOEXEC);
	s->s_kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->s_ep < 0 || s->s_kick < 0)
		goto fail;
	ev.data.ptr = &s->s_lfd;
	if (epoll_ctl(s->s_ep, EPOLL_CTL_ADD, s->s_lfd, &ev))
		goto fail;
	ev.data.ptr = &s->s_kick;
	if (epoll_ctl(s->s_ep, EPOLL_CTL_ADD, s->s_kick, &ev))
		goto fail;
	*sp = s;
	return 0;
fail:
	e = errno;
	zsrv_close(s);
	errno = e;
	return -1;
}

void zsrv_close(struct zsrv *s)
{
	if (!s)
		return;
	while (s->s_all)
		conn_free(s, s->s_all);
	if (s->s_lfd >= 0)
		close(s->s_lfd);
	if (s->s_ep >= 0)
		close(s->s_ep);
	if (s->s_kick >= 0)
		close(s->s_kick);
	free(s);
}
