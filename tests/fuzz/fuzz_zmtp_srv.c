/*
 * fuzz_zmtp_srv.c - LMS's ZMTP framer (lms/zmtp_srv.c, the ROUTER side),
 * through its own interface over a real Unix socket: a peer's greeting,
 * READY (Socket-Type, Identity), then frames.
 *
 * The server listens on an abstract socket of this process; each input is
 * one connection that writes the input (in pieces), then shuts its side
 * down, while the harness serves with zsrv_recv() and echoes every message
 * it takes with zsrv_send().  Bounded: at most FZ_ROUNDS rounds of serving.
 *
 * Input: one byte for the piece size (1 + byte; 0: 64 KiB), then the
 * bytes a peer would send.
 * Properties: no crash, leak or undefined behaviour; a message handed
 * over fits the caller's room (or says it did not); and the connection is
 * gone by the end (the peer's end of file closes it).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz.h"
#include "msg.h"
#include "zmtp_srv.h"

#define FZ_ROUNDS	20000
#define FZ_ROOM		RAC_MSG_MAX

static struct zsrv *srv;
static char name[64];

static void on_bad(void *arg, const char *why)
{
	(void)arg;
	FUZZ_CHECK(why && *why);
}

static void setup(void)
{
	struct zsrv_opts o = { .zo_frame_max = RAC_MSG_MAX, .zo_tx_max = 1 << 20,
			       .zo_on_bad = on_bad };

	snprintf(name, sizeof(name), "@racrt-fuzz-zsrv-%d", (int)getpid());
	FUZZ_CHECK(zsrv_open(&srv, name, &o) == 0);
}

static int peer_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = strlen(name + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	FUZZ_CHECK(fd >= 0);
	memcpy(sun.sun_path + 1, name + 1, n);
	FUZZ_CHECK(connect(fd, (struct sockaddr *)&sun,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) == 0);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[FZ_ROOM], sink[65536];
	uint8_t id[ZSRV_ID_MAX];
	struct zsrv_stats st;
	size_t piece, off = 0;
	bool shut = false;
	uint64_t before;
	int fd;

	if (size < 1)
		return 0;
	if (!srv)
		setup();
	piece = data[0] ? (size_t)data[0] + 1 : 65536;
	data++, size--;
	zsrv_stats(srv, &st);
	before = st.zs_accepted;
	fd = peer_connect();
	for (int round = 0; round < FZ_ROUNDS; round++) {
		size_t idlen, len = sizeof(buf);
		bool busy = false;
		int got;

		if (off < size) {
			size_t k = size - off < piece ? size - off : piece;
			ssize_t w = send(fd, data + off, k, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w > 0)
				off += (size_t)w, busy = true;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				off = size;	/* the server closed it */
		}
		if (off == size && !shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			busy = true;
		while ((got = zsrv_recv(srv, id, &idlen, buf, &len)) == 1) {
			FUZZ_CHECK(idlen >= 1 && idlen <= ZSRV_ID_MAX && len <= sizeof(buf) + 1);
			if (len <= sizeof(buf))
				zsrv_send(srv, id, idlen, buf, len);
			len = sizeof(buf);
			busy = true;
		}
		zsrv_stats(srv, &st);
		if (shut && st.zs_accepted > before && st.zs_open == 0)
			break;
		if (!busy) {
			struct pollfd pf = { .fd = zsrv_fd(srv), .events = POLLIN };

			poll(&pf, 1, 1);
		}
	}
	close(fd);
	zsrv_stats(srv, &st);
	FUZZ_CHECK(st.zs_open == 0);
	return 0;
}
