/*
 * zsend.c - test tool: send raw messages to a ZeroMQ ROUTER endpoint, as a
 * misbehaving or foreign peer would.
 *
 *   zsend ENDPOINT KIND COUNT CLUSTER [reply]
 *
 * KIND: garbage (random bytes), short (10 bytes), magic (a heartbeat with a
 * bad magic), version, type, length, foreign (a valid heartbeat of another
 * cluster), trailing (a heartbeat with bytes after it), sender (sender 99).
 * CLUSTER is the receiver's cluster name: every kind but "foreign" carries
 * it, so each fails the check it is named after.
 * Sends COUNT messages (at most 100000) and exits; bounded by design.  With
 * "reply", waits up to 2 s for one answer and prints "reply version V type
 * T length L" (exit 0), or "no reply" (exit 1).
 *
 * More kinds: view (a gv$ view request), hb (a valid heartbeat), unlock (an
 * LMS's request to release lock ZSEND_LKID, hex, of client ZSEND_CLIENT),
 * rebuild (a rebuild record for incarnation ZSEND_INC), lockpid1 (a local
 * client's EX lock request on ZSEND_NAME that claims pid 1).  The
 * environment makes it a keyed peer (auth.h): ZSEND_KEY=<a .key file> and
 * ZSEND_SERVER=<the receiver's .pub file> connect with CURVE (ZSEND_KEY=new:
 * a fresh key pair nobody knows); ZSEND_SENDER=N names sender N in the
 * header (default 1), ZSEND_INC=I incarnation I.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "auth.h"
#include "msg.h"

int main(int argc, char **argv)
{
	uint8_t buf[RAC_MSG_HDR + 128], big[RAC_MSG_HDR + MSG_LK_LEN + 16], *out = buf;
	struct msg_heartbeat hb = { .hb_state = 3, .hb_peers = 1 };
	struct msg_hdr h = { .mh_sender = 1 };
	void *ctx, *s;
	int n, count, linger = 2000, rc = 0;
	const char *kind;

	if (argc < 5 || argc > 6 || (argc == 6 && strcmp(argv[5], "reply")) ||
	    (count = atoi(argv[3])) < 1 || count > 100000) {
		fprintf(stderr, "usage: zsend ENDPOINT KIND COUNT(1-100000) CLUSTER [reply]\n");
		return 2;
	}
	kind = argv[2];
	h.mh_cluster = rac_msg_cluster_id(strcmp(kind, "foreign") ? argv[4] : "another-cluster");
	if (getenv("ZSEND_SENDER"))
		h.mh_sender = (uint32_t)atoi(getenv("ZSEND_SENDER"));
	if (getenv("ZSEND_INC"))	/* the receiver's incarnation, as a member would know it */
		h.mh_incarnation = (uint32_t)atoi(getenv("ZSEND_INC"));
	ctx = zmq_ctx_new();
	s = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	if (getenv("ZSEND_KEY") && getenv("ZSEND_SERVER")) {
		char pub[AUTH_ACCEPT_MAX][AUTH_Z85], sec[AUTH_Z85], srv[AUTH_ACCEPT_MAX][AUTH_Z85];
		char err[512];

		if (!strcmp(getenv("ZSEND_KEY"), "new")) {
			zmq_curve_keypair(pub[0], sec);
		} else if (auth_read_file(getenv("ZSEND_KEY"), pub, AUTH_ACCEPT_MAX, sec, err,
					  sizeof(err)) < 1 || !sec[0]) {
			fprintf(stderr, "zsend: %s\n", sec[0] ? err : "no key pair in ZSEND_KEY");
			return 2;
		}
		if (auth_read_file(getenv("ZSEND_SERVER"), srv, AUTH_ACCEPT_MAX, NULL, err,
				   sizeof(err)) < 1) {
			fprintf(stderr, "zsend: %s\n", err);
			return 2;
		}
		zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub[0], AUTH_Z85 - 1);
		zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, AUTH_Z85 - 1);
		zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, srv[0], AUTH_Z85 - 1);
	}
	if (zmq_connect(s, argv[1])) {
		fprintf(stderr, "zsend: connect %s: %s\n", argv[1], zmq_strerror(zmq_errno()));
		return 1;
	}
	n = msg_encode_heartbeat(buf, sizeof(buf), &h, &hb);
	if (!strcmp(kind, "garbage")) {
		for (int i = 0; i < n; i++)
			buf[i] = (uint8_t)rand();
	} else if (!strcmp(kind, "short")) {
		n = 10;
	} else if (!strcmp(kind, "magic")) {
		buf[0] ^= 0xff;
	} else if (!strcmp(kind, "version")) {
		buf[4] = 99;
	} else if (!strcmp(kind, "type")) {
		buf[6] = 0xee;
	} else if (!strcmp(kind, "length")) {
		buf[8] = 3;
	} else if (!strcmp(kind, "foreign")) {
		/* valid, but another cluster's */
	} else if (!strcmp(kind, "trailing")) {
		buf[n++] = 0;
	} else if (!strcmp(kind, "sender")) {
		buf[12] = 99;
	} else if (!strcmp(kind, "hb")) {
		/* a valid heartbeat */
	} else if (!strcmp(kind, "view")) {
		n = msg_encode_raw(buf, sizeof(buf), &h, MSG_VIEW_REQUEST, NULL, 0);
	} else if (!strcmp(kind, "unlock")) {
		struct msg_lk lk = { .lk_op = LK_OP_UNLOCK, .lk_req = 1 };

		lk.lk_lkid = strtoull(getenv("ZSEND_LKID") ? getenv("ZSEND_LKID") : "0", NULL, 16);
		lk.lk_owner_client = (uint32_t)atoi(getenv("ZSEND_CLIENT") ? getenv("ZSEND_CLIENT") :
						    "1");
		n = msg_encode_lk(big, sizeof(big), &h, MSG_GRD_OP, &lk);
		out = big;
	} else if (!strcmp(kind, "rebuild")) {
		struct msg_rb_lock rl = { .rl_inc = h.mh_incarnation, .rl_lkid = 42,
					  .rl_granted = 5, .rl_requested = 5, .rl_namelen = 6,
					  .rl_name = (const uint8_t *)"forged" };
		struct msg_lk lk = { 0 };

		msg_rb_lock_to_lk(&rl, &lk);
		n = msg_encode_lk(big, sizeof(big), &h, MSG_GRD_REBUILD, &lk);
		out = big;
	} else if (!strcmp(kind, "lockpid1")) {
		const char *name = getenv("ZSEND_NAME") ? getenv("ZSEND_NAME") : "pid1";
		struct msg_lk lk = { .lk_op = LK_OP_LOCK, .lk_req = 1, .lk_mode = 5,
				     .lk_owner_pid = 1, .lk_namelen = (uint16_t)strlen(name) };

		memcpy(lk.lk_name, name, lk.lk_namelen < LK_NAME_MAX ? lk.lk_namelen : LK_NAME_MAX);
		n = msg_encode_lk(big, sizeof(big), &h, MSG_LK_REQUEST, &lk);
		out = big;
	} else {
		fprintf(stderr, "zsend: unknown kind '%s'\n", kind);
		return 2;
	}
	for (int i = 0; i < count; i++)
		zmq_send(s, out, (size_t)n, 0);
	if (argc == 6) {
		zmq_pollitem_t it = { .socket = s, .events = ZMQ_POLLIN };
		uint8_t in[RAC_MSG_HDR + 256];
		int got = zmq_poll(&it, 1, 2000) > 0 ? zmq_recv(s, in, sizeof(in), 0) : -1;

		if (got >= RAC_MSG_HDR)
			printf("reply version %u type %u length %u\n", in[4] | in[5] << 8,
			       in[6] | in[7] << 8, in[8] | in[9] << 8 | in[10] << 16 | (unsigned)in[11] << 24);
		else
			printf("no reply\n");
		rc = got >= RAC_MSG_HDR ? 0 : 1;
	}
	zmq_close(s);
	zmq_ctx_term(ctx);
	return rc;
}
