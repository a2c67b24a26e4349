/*
 * gather.c - a copy of every instance's SGA, over the interconnect, for
 * the gv$ views.
 *
 *   racsql: gather_run -> DEALER(n) --MSG_VIEW_REQUEST--> ROUTER of LMON n
 *   LMON n: send_snapshot --MSG_VIEW_SNAPSHOT (header + SGA bytes)--> DEALER(n)
 *
 * Every configured instance is asked the same way, this host's too (over
 * its LMON's Unix socket, lmon.sock, without keys; the others over TCP with
 * the administrators' CURVE key, docs/security.md), so that all rows of a
 * gv$ view come from copies taken within the same short window.  One fresh DEALER per instance and per gather:
 * a late reply to an earlier gather can then never be taken for a new one
 * (LMON does not echo our sequence).  All requests go out first, then all
 * sockets are polled together against one deadline, so a gather never
 * takes longer than that deadline, however many instances are down.
 *
 * A reply is bytes from the network, not an SGA: it is believed only after
 * its header decodes for our cluster, its type and sender are the ones
 * asked for, and a private, aligned copy of its payload passes
 * sga_validate_view() and names the right instance.  Anything else counts as no
 * answer, with the reason.
 *
 * The ZeroMQ context is made on the first gather, so a racsql that never
 * reads a gv$ view starts no I/O thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zmq.h>

#include "auth.h"
#include "errors.h"
#include "lab.h"
#include "msg.h"
#include "procs.h"
#include "sga.h"
#include "views.h"

/*
 * How long a gather waits for all replies together.  An LMON answers
 * within its tick (a few ms); a busy one within a heartbeat interval.  Half
 * a second keeps the shell responsive when instances are down, and is
 * still far above a live instance's answer time.
 */
#define GATHER_TIMEOUT_MS	500
#define GATHER_TIMEOUT_ENV	"RACSQL_GV_TIMEOUT_MS"
#define GATHER_TIMEOUT_MAX	60000
#define GATHER_RCVHWM		4	/* one reply is expected */
#define GATHER_SNDHWM		1	/* one request is sent */

struct gather {
	const struct rac_config *ga_cfg;
	uint64_t ga_cluster_id;
	int ga_timeout_ms;
	uint64_t ga_seq;
	void *ga_zctx;			/* made on the first gather */
	struct auth_keys ga_keys;	/* the administrators' key (auth.h) */
	int ga_keys_state;		/* 0 not read yet, 1 read, -1 unreadable */
	char ga_keys_err[160];		/* why not */
};

/* One instance being asked. */
struct ask {
	int as_inst;
	void *as_sock;
	bool as_waiting;		/* request sent, no reply yet */
	void *as_sga;			/* the validated private copy */
	size_t as_len;
	uint64_t as_at_ns;		/* CLOCK_MONOTONIC when it arrived */
	char as_why[192];		/* no usable reply: why */
};

static int timeout_from_env(void)
{
	const char *s = getenv(GATHER_TIMEOUT_ENV);
	char *end;
	long v;

	if (!s || !*s)
		return GATHER_TIMEOUT_MS;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > GATHER_TIMEOUT_MAX) {
		fprintf(stderr, "racsql: ignoring %s=%s (1 to %d ms); using %d ms\n",
			GATHER_TIMEOUT_ENV, s, GATHER_TIMEOUT_MAX, GATHER_TIMEOUT_MS);
		return GATHER_TIMEOUT_MS;
	}
	return (int)v;
}

struct gather *gather_new(const struct rac_config *cfg)
{
	struct gather *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->ga_cfg = cfg;
	g->ga_cluster_id = rac_msg_cluster_id(cfg->cf_name);
	g->ga_timeout_ms = timeout_from_env();
	return g;
}

void gather_destroy(struct gather **gp)
{
	struct gather *g;

	if (!gp || !*gp)
		return;
	g = *gp;
	memset(&g->ga_keys, 0, sizeof(g->ga_keys));
	if (g->ga_zctx)
		zmq_ctx_term(g->ga_zctx);	/* every socket is closed, with linger 0 */
	free(g);
	*gp = NULL;
}

/* Connect a DEALER to the instance's LMON and send the request. */
static void ask_send(struct gather *g, struct ask *a)
{
	const struct rac_inst_cfg *ic = config_inst(g->ga_cfg, a->as_inst);
	int zero = 0, rcvhwm = GATHER_RCVHWM, sndhwm = GATHER_SNDHWM;
	int64_t maxmsg = RAC_MSG_HDR + RAC_MSG_MAX;
	struct msg_hdr h = { .mh_sender = 0, .mh_cluster = g->ga_cluster_id,
			     .mh_seq = ++g->ga_seq };
	uint8_t req[RAC_MSG_HDR];
	char ep[RAC_PATH_MAX + 32], path[RAC_PATH_MAX];
	struct stat st;
	int n;

	a->as_sock = zmq_socket(g->ga_zctx, ZMQ_DEALER);
	if (!a->as_sock) {
		snprintf(a->as_why, sizeof a->as_why, "could not be asked (socket: %s)",
			 zmq_strerror(errno));
		return;
	}
	zmq_setsockopt(a->as_sock, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(a->as_sock, ZMQ_SNDHWM, &sndhwm, sizeof(sndhwm));
	zmq_setsockopt(a->as_sock, ZMQ_RCVHWM, &rcvhwm, sizeof(rcvhwm));
	/* a peer that is not an LMON must not make us buffer gigabytes */
	zmq_setsockopt(a->as_sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	/*
	 * An instance of this host is asked over its local socket (no key: its
	 * 0700 directory lets only the cluster's user in); any other over TCP,
	 * with the administrators' key.
	 */
	if (config_inst_is_local(ic) &&
	    proc_lmon_view_ep(ic->ic_local_dir, ep, sizeof(ep), path, sizeof(path)) == 0 &&
	    stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		/* this host's: its Unix socket */
	} else {
		rac_strlcpy(ep, ic->ic_lmon_ep, sizeof(ep));
		if (g->ga_keys_state == 0)
			g->ga_keys_state = auth_load(g->ga_cfg, AUTH_ADMIN, &g->ga_keys,
						     g->ga_keys_err, sizeof(g->ga_keys_err)) ? -1 : 1;
		if (g->ga_keys_state < 0) {
			snprintf(a->as_why, sizeof a->as_why, "could not be asked (%s)",
				 g->ga_keys_err);
			return;
		}
		if (auth_client(a->as_sock, &g->ga_keys, a->as_inst)) {
			snprintf(a->as_why, sizeof a->as_why, "could not be asked (no public key "
				 "of instance %d in %s)", a->as_inst, g->ga_keys.ak_dir);
			return;
		}
	}
	if (zmq_connect(a->as_sock, ep)) {
		snprintf(a->as_why, sizeof a->as_why, "could not be asked (connect to %s: %s)",
			 ep, zmq_strerror(errno));
		return;
	}
	n = msg_encode_raw(req, sizeof req, &h, MSG_VIEW_REQUEST, NULL, 0);
	if (n < 0) {
		snprintf(a->as_why, sizeof a->as_why, "could not be asked (%s)", rac_strerror(n));
		return;
	}
	/* queued until the connection is up; dropped at close if it never is */
	if (zmq_send(a->as_sock, req, (size_t)n, ZMQ_DONTWAIT) != n) {
		snprintf(a->as_why, sizeof a->as_why, "could not be asked (send: %s)",
			 zmq_strerror(errno));
		return;
	}
	a->as_waiting = true;
}

/* Check one reply; keep a private copy of the SGA when it is good. */
static void ask_check(struct gather *g, struct ask *a, const uint8_t *buf, size_t len)
{
	struct msg_hdr h;
	const uint8_t *payload;
	struct sga copy;
	int rc = msg_decode_hdr(buf, len, g->ga_cluster_id, &h, &payload);

	if (rc) {
		snprintf(a->as_why, sizeof a->as_why, "sent a malformed reply (%s)",
			 rac_strerror(rc));
		return;
	}
	if (h.mh_type != MSG_VIEW_SNAPSHOT) {
		snprintf(a->as_why, sizeof a->as_why, "sent a %s message instead of a snapshot",
			 msg_type_str(h.mh_type));
		return;
	}
	if (h.mh_sender != (uint32_t)a->as_inst) {
		snprintf(a->as_why, sizeof a->as_why, "answered as instance %u", h.mh_sender);
		return;
	}
	if (h.mh_length < sizeof(struct sga_header)) {
		snprintf(a->as_why, sizeof a->as_why, "sent a snapshot of only %u bytes",
			 h.mh_length);
		return;
	}
	/* the message buffer has no alignment promise; sga_load() needs one */
	a->as_sga = malloc(h.mh_length);
	if (!a->as_sga) {
		snprintf(a->as_why, sizeof a->as_why, "sent a snapshot racsql has no memory for");
		return;
	}
	memcpy(a->as_sga, payload, h.mh_length);
	a->as_len = h.mh_length;
	memset(&copy, 0, sizeof copy);
	copy.sg_fd = -1;
	copy.sg_base = a->as_sga;
	copy.sg_size = a->as_len;
	rc = sga_validate_view(&copy);
	if (rc == 0 && sga_hdr(&copy)->sh_inst_no != a->as_inst) {
		snprintf(a->as_why, sizeof a->as_why, "sent the SGA of instance %d",
			 (int)sga_hdr(&copy)->sh_inst_no);
	} else if (rc == 0 && strncmp(sga_hdr(&copy)->sh_cluster, g->ga_cfg->cf_name,
				      sizeof(sga_hdr(&copy)->sh_cluster)) != 0) {
		snprintf(a->as_why, sizeof a->as_why, "sent the SGA of another cluster");
	} else if (rc) {
		snprintf(a->as_why, sizeof a->as_why, "sent an unusable SGA copy (%s)",
			 rac_strerror(rc));
	} else {
		return;		/* good */
	}
	free(a->as_sga);
	a->as_sga = NULL;
	a->as_len = 0;
}

/* Take the reply waiting on the socket: the first message decides. */
static void ask_receive(struct gather *g, struct ask *a)
{
	zmq_msg_t msg;
	bool more;

	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, a->as_sock, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&msg);
		if (errno != EAGAIN && errno != EINTR) {
			snprintf(a->as_why, sizeof a->as_why, "could not be read from (%s)",
				 zmq_strerror(errno));
			a->as_waiting = false;
		}
		return;
	}
	more = zmq_msg_more(&msg);
	a->as_at_ns = rac_now_mono_ns();
	a->as_waiting = false;
	if (more)
		snprintf(a->as_why, sizeof a->as_why, "sent a reply of several frames");
	else
		ask_check(g, a, zmq_msg_data(&msg), zmq_msg_size(&msg));
	zmq_msg_close(&msg);
}

/* Poll every socket still waiting until all answered or the deadline passed. */
static void wait_replies(struct gather *g, struct ask *asks, int nask)
{
	uint64_t deadline = rac_now_mono_ns() + (uint64_t)g->ga_timeout_ms * 1000000ull;

	for (;;) {
		zmq_pollitem_t items[RAC_MAX_INST];
		struct ask *owner[RAC_MAX_INST];
		uint64_t now = rac_now_mono_ns();
		long left_ms;
		int n = 0, rc;

		for (int i = 0; i < nask; i++)
			if (asks[i].as_waiting) {
				items[n] = (zmq_pollitem_t){ .socket = asks[i].as_sock,
							     .events = ZMQ_POLLIN };
				owner[n++] = &asks[i];
			}
		if (n == 0 || now >= deadline)
			return;
		/* round up: never spin on a sub-millisecond remainder */
		left_ms = (long)((deadline - now + 999999) / 1000000);
		rc = zmq_poll(items, n, left_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			for (int k = 0; k < n; k++) {
				snprintf(owner[k]->as_why, sizeof owner[k]->as_why,
					 "could not be waited for (poll: %s)", zmq_strerror(errno));
				owner[k]->as_waiting = false;
			}
			return;
		}
		for (int k = 0; k < n; k++)
			if (items[k].revents & ZMQ_POLLIN)
				ask_receive(g, owner[k]);
	}
}

int gather_run(struct gather *g, gather_fn fn, void *arg, char *err, size_t errlen)
{
	struct ask *asks;
	int nask = 0;

	if (!g->ga_zctx) {
		/*
		 * In a lab the instances live on the lab's subnet: talk to them from
		 * the switch namespace, whose bridge holds an address there.  The
		 * context's I/O thread, made next, inherits the namespace.
		 */
		if (g->ga_cfg->cf_lab) {
			char sw[96];

			config_lab_switch(g->ga_cfg, sw, sizeof(sw));
			if (lab_enter_netns(sw)) {
				snprintf(err, errlen, "cannot enter the lab's network namespace %s: "
					 "%s (gv$ views of a lab need root)", sw, strerror(errno));
				return RAC_ESYS;
			}
		}
		g->ga_zctx = zmq_ctx_new();
		if (!g->ga_zctx) {
			snprintf(err, errlen, "cannot make a ZeroMQ context: %s",
				 zmq_strerror(errno));
			return RAC_ESYS;
		}
	}
	asks = calloc(RAC_MAX_INST, sizeof(*asks));
	if (!asks) {
		snprintf(err, errlen, "out of memory");
		return RAC_ENOMEM;
	}
	for (int inst = 1; inst <= RAC_MAX_INST; inst++)
		if (config_inst(g->ga_cfg, inst)) {
			asks[nask].as_inst = inst;
			ask_send(g, &asks[nask++]);
		}
	wait_replies(g, asks, nask);

	for (int i = 0; i < nask; i++) {
		struct ask *a = &asks[i];

		if (a->as_sga) {
			struct sga copy = { .sg_fd = -1, .sg_base = a->as_sga,
					    .sg_size = a->as_len };

			fn(a->as_inst, &copy, a->as_at_ns, NULL, arg);
		} else {
			if (!a->as_why[0])
				snprintf(a->as_why, sizeof a->as_why,
					 "did not answer within %d ms", g->ga_timeout_ms);
			fn(a->as_inst, NULL, 0, a->as_why, arg);
		}
		free(a->as_sga);
		if (a->as_sock)
			zmq_close(a->as_sock);
	}
	free(asks);
	return 0;
}
