/*
 * dispatch.c - what LMS receives, from both sockets: local clients on our
 * own ROUTER (zmtp_srv.c) and peer LMSes on a ZeroMQ ROUTER.  lms_serve()
 * takes what waits, decodes each header and hands every message to
 * dispatch(), the one switch over every type LMS accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lms.h"
#include "log.h"
#include "zmtp_srv.h"

#define FLUSH_EVERY	64	/* messages served between flushes, at most */

/* one message as it came: its socket, the sender's identity, its header */
struct rx {
	bool rx_client;			/* from a local client, else a peer LMS */
	void *rx_sock;			/* the peers' ROUTER (clients: our own, NULL) */
	const uint8_t *rx_ident;
	size_t rx_ident_len;
	const struct msg_hdr *rx_h;
	const uint8_t *rx_p;		/* its payload, rx_h->mh_length bytes */
	bool rx_decoded;		/* a lock message was decoded from it */
	unsigned rx_served;		/* lock messages served in this lms_serve() */
};

/*
 * receive [identity][message]; 0 when nothing waits.  *user: whose key the
 * connection proved (auth.h), AUTH_NOBODY without authentication.
 */
static int recv2(void *sock, uint8_t *ident, size_t *ident_len, uint8_t *buf, size_t *len,
		 int *user)
{
	zmq_msg_t part;
	int n, more;
	size_t sz = sizeof(more), got;

	n = zmq_recv(sock, ident, 255, ZMQ_DONTWAIT);
	if (n < 0)
		return 0;
	*ident_len = (size_t)(n > 255 ? 255 : n);
	*user = AUTH_NOBODY;
	zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
	if (!more) {
		*len = 0;
		return 1;
	}
	/* the message frame, not the ROUTER's identity frame, carries the metadata */
	zmq_msg_init(&part);
	if (zmq_msg_recv(&part, sock, 0) < 0) {
		zmq_msg_close(&part);
		*len = 0;
		return 1;
	}
	got = zmq_msg_size(&part);
	if (got > *len) {
		*len = *len + 1;	/* too long */
	} else {
		memcpy(buf, zmq_msg_data(&part), got);
		*len = got;
	}
	*user = member_user_of(lms.s_m, &part);
	more = zmq_msg_more(&part);
	zmq_msg_close(&part);
	while (more) {	/* extra frames: drain, the message is bad */
		uint8_t junk[64];

		zmq_recv(sock, junk, sizeof(junk), 0);
		zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
		*len = 0;
	}
	return 1;
}

/*
 * A client speaking another message version: an empty message in ours tells
 * a client library that knows this rule (RACRT_EVERSION) at once, instead
 * of its requests running into the reply bound one by one.
 */
static void refuse_version(void *sock, const uint8_t *ident, size_t ident_len, uint16_t theirs)
{
	struct msg_hdr h = { .mh_sender = (uint32_t)lms.s_m->m_inst, .mh_cluster = lms.s_cluster_id };
	uint8_t msg[RAC_MSG_HDR];
	int n = msg_encode_raw(msg, sizeof(msg), &h, MSG_LK_REPLY, NULL, 0);

	log_warn(COMP, "a client speaks message version %u, this LMS %u: told so", theirs,
		 RAC_MSG_VERSION);
	if (n < 0 || send_to(sock, ident, ident_len, msg, (size_t)n))
		sga_count(&lms.s_m->m_sga, CNT_GES_SEND_DROPPED, 1);
}

void lms_bad(const char *from, int rc)
{
	static uint64_t logged;

	sga_count(&lms.s_m->m_sga, rc == RAC_EMSG_CLUSTER ? CNT_MSG_FOREIGN : CNT_MSG_BAD, 1);
	/* as LMON's: the first few in full, then one in a hundred, so a flood cannot fill the disk */
	if (logged++ < 10 || logged % 100 == 0)
		log_warn(COMP, "dropped a message from %s: %s (%llu dropped so far)", from,
			 rac_strerror(rc), (unsigned long long)logged);
}

/*
 * An answer or event from the remote master of a client's lock: its shadow
 * first.  A session that has ended has no shadows: its locks are being
 * dropped on every master.
 */
static void from_master(uint16_t type, const struct msg_lk *lk)
{
	if (session_by_id(lk->lk_owner_client))
		sh_note(type, lk);
	to_client(lk->lk_owner_client, type, lk);
}

/*
 * May this client use us?  The kernel says who connected (SO_PEERCRED);
 * the cluster's user and root may.  lms.sock lives in a 0700 directory, so
 * anyone else got there through a directory opened by hand: told
 * RACRT_EPERM, counted, named (rate-limited), never a session.
 */
/* is gid among pid's groups?  /proc/<pid>/status "Groups:" */
static bool in_group(pid_t pid, gid_t gid)
{
	char path[64], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = line + 7, *end;

		if (strncmp(line, "Groups:", 7))
			continue;
		for (unsigned long g; (g = strtoul(p, &end, 10)), end != p; p = end)
			if ((gid_t)g == gid)
				found = true;
		break;
	}
	fclose(f);
	return found;
}

static bool uid_ok(const struct ucred *cr)
{
	if (cr->uid == lms.s_euid || cr->uid == 0)
		return true;
	if (lms.s_client_gid == (gid_t)-1)
		return false;
	if (cr->gid == lms.s_client_gid)
		return true;
	{
		/* the last answer per (pid, uid): not a /proc read per request */
		static struct { pid_t pid; uid_t uid; bool ok; } memo[64];
		unsigned k = (unsigned)cr->pid % 64;

		if (memo[k].pid != cr->pid || memo[k].uid != cr->uid) {
			memo[k].pid = cr->pid;
			memo[k].uid = cr->uid;
			memo[k].ok = in_group(cr->pid, lms.s_client_gid);
		}
		return memo[k].ok;
	}
}

static void refuse_user(const struct ucred *cr, const char *what)
{
	static uint64_t refused;

	sga_count(&lms.s_m->m_sga, CNT_CLIENT_REFUSED, 1);
	if (refused++ < 10 || refused % 100 == 0)
		log_alert("LMS 0: refused %s from pid %d, uid %u: not the cluster's user (uid %u) "
			  "nor of client_group (%llu refused so far)", what, (int)cr->pid, (unsigned)cr->uid,
			  (unsigned)lms.s_euid, (unsigned long long)refused);
}

static bool client_allowed(const struct rx *rx, struct msg_lk *lk, const struct ucred *cr)
{
	struct msg_hdr h = { .mh_sender = 0, .mh_cluster = lms.s_cluster_id,
			     .mh_incarnation = lms.s_inc, .mh_seq = ++lms.s_seq };
	uint8_t msg[RAC_MSG_HDR + 256];
	int n;

	if (uid_ok(cr))
		return true;
	refuse_user(cr, "a lock request");
	lk->lk_status = LK_EPERM;
	n = msg_encode_lk(msg, sizeof(msg), &h, MSG_LK_REPLY, lk);
	if (n < 0 || send_to(NULL, rx->rx_ident, rx->rx_ident_len, msg, (size_t)n))
		sga_count(&lms.s_m->m_sga, CNT_GES_SEND_DROPPED, 1);
	return false;
}

/* a client's lock message (lk_owner_client becomes its session) */
static void from_client(const struct rx *rx, struct msg_lk *lk)
{
	const struct ucred *cr = zsrv_last_cred(lms.s_zs);
	struct session *se;

	if (!client_allowed(rx, lk, cr))
		return;
	/* the pid is the kernel's, not the request's: a lie cannot keep locks past an exit */
	se = session_for(rx->rx_ident, rx->rx_ident_len, cr->pid);

	if (!se || lk->lk_op == LK_OP_DROP_OWNER || lk->lk_op == LK_OP_DEADLOCK_VICTIM) {
		lms_bad("a client", RAC_EMSG_TYPE);
		return;
	}
	lk->lk_owner_client = se->se_id;
	lk->lk_owner_pid = (uint32_t)se->se_pid;
	if (lk->lk_op == LK_OP_SYNC) {	/* everything before it is in */
		lk->lk_status = 0;
		to_client(se->se_id, MSG_LK_REPLY, lk);
		return;
	}
	sga_count(&lms.s_m->m_sga, CNT_GES_REQUESTS, 1);
	if (lk->lk_op == LK_OP_CONVERT)
		sga_count(&lms.s_m->m_sga, CNT_GES_CONVERTS, 1);
	client_request(lk);
}

/*
 * An answer or event of a master that has left, come after we settled
 * the new membership: its requests were resubmitted and its locks
 * rebuilt elsewhere, so what it says now is void (a grant heard now
 * would give the client a lock its new master never saw).  So is one
 * meant for this instance's previous life: a peer's socket keeps what
 * it could not deliver while we were down, and hands it to us now.
 */
static bool stale(const struct rx *rx)
{
	int sender = (int)rx->rx_h->mh_sender;
	/* compared in 32 bits, as peer_request() takes it */
	uint32_t inc = (uint32_t)rx->rx_h->mh_incarnation;

	if (!(lms.s_members & (1ull << (sender - 1))) || inc < lms.s_join_inc) {
		sga_count(&lms.s_m->m_sga, CNT_GES_STALE_DROPPED, 1);
		return true;
	}
	return false;
}

/*
 * Phase 2's gate, which every lock message passes: a whole message must
 * come from a sender we know (a client, or a peer LMS we have a socket to)
 * and decode, into `one`; a client may send requests only.  Counted as
 * received.  NULL: refused (said and counted).
 */
static struct msg_lk *accept_lk(struct rx *rx, uint16_t type, struct msg_lk *lk,
				struct msg_lk *one)
{
	const struct msg_hdr *h = rx->rx_h;
	int rc;

	if (!lk) {
		if (!rx->rx_client && (h->mh_sender < 1 || !lms.s_peer[h->mh_sender])) {
			lms_bad("an LMS", RAC_EMSG_SENDER);
			return NULL;
		}
		rc = msg_decode_lk(rx->rx_p, h->mh_length, one);
		if (rc) {
			lms_bad(rx->rx_client ? "a client" : "an LMS", rc);
			return NULL;
		}
		lk = one;
		rx->rx_decoded = true;
	}
	if (rx->rx_client && type != MSG_LK_REQUEST) {
		lms_bad("a client", RAC_EMSG_TYPE);
		return NULL;
	}
	sga_count(&lms.s_m->m_sga, CNT_MSG_RECEIVED, 1);
	return lk;
}

static void dispatch(struct rx *rx, uint16_t type, struct msg_lk *lk);

/*
 * A rebuild record is kept only for a rebuild to come (an incarnation this
 * LMS has not begun to rebuild: the sender may be ahead of us) or for the
 * one running, from a member of its membership.  Records of a rebuild that
 * is over, or from outside it, would be kept until the next one: dropped,
 * counted, said (rate-limited).
 */
static bool rebuild_expected(int sender, const struct msg_lk *lk)
{
	static uint64_t dropped;

	if (lk->lk_req > lms.rb.rm_inc ||
	    (lk->lk_req == lms.rb.rm_inc && lms_rebuilding() &&
	     (lms.s_members & (1ull << (sender - 1)))))
		return true;
	sga_count(&lms.s_m->m_sga, CNT_GES_STALE_DROPPED, 1);
	if (dropped++ < 10 || dropped % 100 == 0)
		log_warn(COMP, "dropped a rebuild record from instance %d for incarnation %u: "
			 "no such rebuild runs here (rebuilt %u, %s) (%llu dropped so far)", sender,
			 (unsigned)lk->lk_req, (unsigned)lms.rb.rm_inc,
			 lms_rebuilding() ? "rebuilding" : "running", (unsigned long long)dropped);
	return false;
}

/* a bundle's lock messages, each through dispatch() in turn */
static void unbundle(struct rx *rx)
{
	struct msg_bundle_iter it;
	struct msg_lk lk;
	uint16_t type;
	int rc;

	rc = msg_bundle_open(rx->rx_p, rx->rx_h->mh_length, &it);
	while (rc == 0 && (rc = msg_bundle_next(&it, &type, &lk)) == 1) {
		dispatch(rx, type, &lk);
		rc = 0;
		if (++rx->rx_served % FLUSH_EVERY == 0)
			out_flush_all();
	}
	if (rc)
		lms_bad(rx->rx_client ? "a client" : "an LMS", rc);
}

/*
 * One message LMS accepts: a whole one (lk NULL, its payload not decoded
 * yet) or a lock message out of a bundle (lk).  The one switch runs in two
 * phases, in the order the checks have always run:
 *
 *   phase 1, on the header alone and before the sender is checked: a
 *     GES dump request (racsql asks any LMS) and a peer LMS's wait-for
 *     edges (to us as the deadlock coordinator);
 *   phase 2, every lock message, whole or bundled, once accept_lk() has
 *     checked its sender and decoded it.  Anything else, and a phase 1
 *     type that does not qualify, is refused there as a lock message of
 *     no known type.
 */
static void dispatch(struct rx *rx, uint16_t type, struct msg_lk *lk)
{
	const struct msg_hdr *h = rx->rx_h;
	int sender = (int)h->mh_sender;
	struct msg_lk one;

	switch (type) {
	/* ---- phase 1: whole messages, on the header alone ---- */
	case MSG_GES_DUMP_REQUEST:
		if (lk)
			break;
		send_dump(rx->rx_sock, rx->rx_ident, rx->rx_ident_len, rx->rx_p, h->mh_length);
		return;
	case MSG_GRD_EDGES:
		if (lk || rx->rx_client || h->mh_sender < 1 || !lms.s_peer[h->mh_sender])
			break;
		dl_receive(sender, rx->rx_p, h->mh_length);
		return;
	/* ---- phase 2: lock messages ---- */
	case MSG_LK_BUNDLE:
		if (lk)
			break;
		if (!rx->rx_client && (h->mh_sender < 1 || !lms.s_peer[h->mh_sender])) {
			lms_bad("an LMS", RAC_EMSG_SENDER);
			return;
		}
		unbundle(rx);
		return;
	case MSG_LK_REQUEST:
		if (!(lk = accept_lk(rx, type, lk, &one)))
			return;
		if (rx->rx_client)
			from_client(rx, lk);
		else
			lms_bad("an LMS", RAC_EMSG_TYPE);
		return;
	case MSG_GRD_OP:
		if ((lk = accept_lk(rx, type, lk, &one)))
			peer_request(sender, h->mh_incarnation, lk);
		return;
	case MSG_GRD_RESULT:
		if (!(lk = accept_lk(rx, type, lk, &one)) || stale(rx))
			return;
		inflight_done(lk);
		if (lk->lk_status == LK_ST_MOVED)	/* its master changed meanwhile */
			client_request(lk);
		else
			from_master(MSG_LK_REPLY, lk);
		return;
	case MSG_GRD_EVENT:
		if ((lk = accept_lk(rx, type, lk, &one)) && !stale(rx))
			from_master(MSG_LK_EVENT, lk);
		return;
	case MSG_GRD_REBUILD:
		if ((lk = accept_lk(rx, type, lk, &one)) && rebuild_expected(sender, lk))
			rb_store(sender, lk);
		return;
	case MSG_GRD_EDGES_REQUEST:
		if ((lk = accept_lk(rx, type, lk, &one)))
			dl_answer(sender, lk->lk_req);
		return;
	case MSG_GRD_REBUILD_DONE:
		if ((lk = accept_lk(rx, type, lk, &one)))
			rb_done_in(sender, lk);
		return;
	}
	if (accept_lk(rx, type, lk, &one))
		lms_bad("an LMS", RAC_EMSG_TYPE);
}

/* serve what waits on poll item `item` (the clients' ROUTER or the peers') */
void lms_serve(int item)
{
	static uint8_t buf[RAC_MSG_HDR + MSG_BUNDLE_MAX];
	void *sock = lms.s_m->m_items[item].socket;
	bool client = item == lms.s_client_item;
	struct rx rx = { .rx_client = client, .rx_sock = sock };

	for (int budget = 512; budget > 0; budget--) {
		uint8_t ident[256];
		size_t ident_len, len = sizeof(buf);
		struct msg_hdr h;
		int rc, user = AUTH_NOBODY;

		if (!(client ? zsrv_recv(lms.s_zs, ident, &ident_len, buf, &len) :
		      recv2(sock, ident, &ident_len, buf, &len, &user)))
			return;
		rc = msg_decode_hdr(buf, len, lms.s_cluster_id, &h, &rx.rx_p);
		if (rc == RAC_EMSG_VERSION && client)
			refuse_version(sock, ident, ident_len, h.mh_version);
		if (rc) {
			lms_bad(client ? "a client" : "an LMS", rc);
			continue;
		}
		/* over TCP the key decides: dumps for administrators, the rest its sender's */
		if (!client && !member_sender_ok(lms.s_m, user, h.mh_type == MSG_GES_DUMP_REQUEST ?
						 AUTH_ADMIN : (int)h.mh_sender,
						 msg_type_str(h.mh_type)))
			continue;
		/* a local client of another user: lock requests are told so, the rest dropped */
		if (client && h.mh_type != MSG_LK_REQUEST && h.mh_type != MSG_LK_BUNDLE &&
		    !uid_ok(zsrv_last_cred(lms.s_zs))) {
			refuse_user(zsrv_last_cred(lms.s_zs), msg_type_str(h.mh_type));
			continue;
		}
		rx.rx_ident = ident;
		rx.rx_ident_len = ident_len;
		rx.rx_h = &h;
		rx.rx_decoded = false;
		dispatch(&rx, h.mh_type, NULL);
		if (rx.rx_decoded && ++rx.rx_served % FLUSH_EVERY == 0)
			out_flush_all();
	}
	if (client)
		zsrv_yield(lms.s_zs);	/* the rest next time round */
}
