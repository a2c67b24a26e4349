/*
 * zmtp_srv.h - a small ZeroMQ ROUTER, spoken natively: ZMTP 3.0 with the
 * NULL mechanism (RFC 23/ZMTP) on a Unix stream socket, served from the
 * caller's own thread.
 *
 * LMS serves its local clients with it.  The peers are DEALERs: the racrt
 * client library (client/conn.c, which speaks ZMTP itself) and libzmq
 * sockets (racsql's dump request, test tools).  Unlike a libzmq ROUTER
 * there is no I/O thread: a message received is one recv() (often several
 * messages are), a message sent one send(), in the thread that calls
 * zsrv_recv() and zsrv_send().
 *
 *   listening   a pathname (or "@name": abstract) Unix socket, non-blocking
 *   poll item   zsrv_fd(): one epoll descriptor holding the listening socket
 *               and every connection; readable when there is anything to
 *               do (a connection to accept, bytes to read, room to write
 *               what waits, messages already read but not yet taken)
 *   handshake   our greeting and READY (Socket-Type ROUTER) go at once; the
 *               peer's greeting (3.0 or later, NULL) and READY (Socket-Type
 *               DEALER, REQ or ROUTER; an optional Identity) may arrive in
 *               any pieces
 *   routing id  the peer's Identity when it gave a non-empty one that no
 *               other connection has (and that does not start with a zero
 *               byte, reserved as in libzmq), else 5 bytes: 0x00 and a
 *               32-bit counter
 *   messages    one frame each way.  A message of several frames is handed
 *               over empty (the caller drops it as malformed); commands
 *               after the handshake are ignored
 *   closing     end of file, a socket error, or bytes that are not ZMTP
 *               (counted by the on_bad callback): that connection only;
 *               its routing id is then unknown, and what it had not
 *               received is lost
 *
 * Sending never blocks: what the kernel does not take waits in the
 * connection's buffer, bounded by zo_tx_max bytes.
 */
#ifndef RAC_ZMTP_SRV_H
#define RAC_ZMTP_SRV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ZSRV_ID_MAX 255

struct zsrv;

struct zsrv_opts {
	size_t zo_frame_max;	/* longest frame accepted; longer: the peer is closed */
	size_t zo_tx_max;	/* bytes waiting to one peer, at most */
	/* a connection broke the protocol and was closed (may be NULL) */
	void (*zo_on_bad)(void *arg, const char *why);
	void *zo_arg;
	size_t zo_max_conns;	/* open connections at most; more are closed at once (0: no cap) */
	/* a connection refused (the cap, or out of descriptors); may be NULL */
	void (*zo_on_refused)(void *arg, const char *why);
};

/* Listen on the Unix socket `path`.  0, or -1 with errno set. */
int zsrv_open(struct zsrv **sp, const char *path, const struct zsrv_opts *o);
void zsrv_close(struct zsrv *s);

/* the descriptor to poll for reading */
int zsrv_fd(const struct zsrv *s);

/*
 * The peer of the message zsrv_recv() returned last, as the kernel told at
 * its connect (SO_PEERCRED): pid, uid, gid.  uid (uid_t)-1 when unknown.
 */
const struct ucred *zsrv_last_cred(const struct zsrv *s);

/*
 * Close every connection that has not finished its ZMTP handshake within
 * `ms` of its accept, as a protocol violation (on_bad): a peer that
 * connects and says nothing holds a descriptor for no one.  The caller
 * calls it now and then (LMS: every reap).  Returns how many it closed.
 */
int zsrv_expire_handshakes(struct zsrv *s, unsigned ms);

/*
 * The next whole message: its routing id into id[ZSRV_ID_MAX] (*idlen),
 * its body into buf (*len: the room on entry, the length on return; room +
 * 1 when the message was longer, its bytes then lost).  1: a message;
 * 0: nothing more just now.
 */
int zsrv_recv(struct zsrv *s, uint8_t *id, size_t *idlen, uint8_t *buf, size_t *len);

/*
 * The caller stops taking messages before zsrv_recv() returned 0: keep
 * zsrv_fd() readable while messages wait in our buffers.
 */
void zsrv_yield(struct zsrv *s);

/*
 * Send one message to the peer with that routing id.  0; or -1 with errno
 * EHOSTUNREACH (no such peer, as ROUTER_MANDATORY), EAGAIN (its buffer is
 * at zo_tx_max), EMSGSIZE, or ECONNRESET (the peer went as we wrote; it is
 * closed).
 */
int zsrv_send(struct zsrv *s, const uint8_t *id, size_t idlen, const void *buf, size_t len);

struct zsrv_stats {
	uint64_t zs_accepted;	/* connections */
	uint64_t zs_open;	/* now */
	uint64_t zs_bad;	/* closed for a protocol violation */
	uint64_t zs_refused;	/* closed at accept: the cap, or out of descriptors */
};
void zsrv_stats(const struct zsrv *s, struct zsrv_stats *st);

#endif
