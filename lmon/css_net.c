/*
 * css_net.c - network heartbeats between LMONs.
 *
 *   LMON a: css_net_send_heartbeats -> DEALER(a->b) ~~> ROUTER(b) -> LMON b: css_net_receive
 *
 * Each LMON binds one ROUTER on its endpoint and connects one DEALER to
 * every peer.  The DEALERs carry heartbeats only, with a small high-water
 * mark and ZMQ_IMMEDIATE: a heartbeat for a peer that is unreachable or
 * behind is dropped (and counted), never queued, so a stale heartbeat can
 * never arrive late and make a dead peer look alive, and heartbeats never
 * wait behind other traffic.
 *
 * Whatever arrives is checked (msg_decode_hdr) before it is believed:
 * malformed bytes and other clusters' messages are counted and dropped.
 *
 * A socket monitor on each DEALER reports a lost TCP connection at once.
 * That is a hint, written to the trace and the alert log, never proof of
 * death: a peer is judged only by its heartbeats and the voting disks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "lmon.h"
#include "log.h"

#define COMP "CSS"
#define HB_SNDHWM 4
#define VIEW_SNDHWM 4	/* snapshots queued per view client */

/* a monitor of peer i's DEALER, in poll slot `slot` (-1: a new one at the end) */
static void add_monitor(struct lmon *l, int i, int slot)
{
	struct member *m = l->l_m;
	static unsigned gen;	/* a new name each time: an old one may still be closing */
	char ep[64];
	void *pair;

	snprintf(ep, sizeof(ep), "inproc://lmon-monitor-%d-%u", i, gen++);
	if ((slot < 0 && m->m_nitems >= MEMBER_MAX_ITEMS) ||
	    zmq_socket_monitor(l->l_peers[i].lp_sock, ep,
			       ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED))
		return;	/* a hint we can live without */
	pair = member_socket(m, ZMQ_PAIR);
	if (!pair || zmq_connect(pair, ep)) {
		if (pair)
			zmq_close(pair);
		return;
	}
	if (slot < 0)
		slot = m->m_nitems++;
	l->l_peers[i].lp_mon_item = slot;
	m->m_items[slot] = (zmq_pollitem_t){ .socket = pair, .events = ZMQ_POLLIN };
}

int css_net_monitor_ready(struct lmon *l, int item)
{
	struct member *m = l->l_m;

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct lmon_peer *p = &l->l_peers[i];

		if (!p->lp_inst || p->lp_mon_item != item)
			continue;
		for (int budget = 16; budget > 0; budget--) {
			zmq_msg_t part;
			uint16_t event = 0;
			int more;

			/* frame 1: event (u16) + value (u32); frame 2: the address */
			zmq_msg_init(&part);
			if (zmq_msg_recv(&part, m->m_items[item].socket, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&part);
				break;
			}
			if (zmq_msg_size(&part) >= 2)
				memcpy(&event, zmq_msg_data(&part), 2);
			more = zmq_msg_more(&part);
			zmq_msg_close(&part);
			while (more) {
				zmq_msg_init(&part);
				if (zmq_msg_recv(&part, m->m_items[item].socket, 0) < 0) {
					zmq_msg_close(&part);
					break;
				}
				more = zmq_msg_more(&part);
				zmq_msg_close(&part);
			}
			if (event == ZMQ_EVENT_DISCONNECTED && p->lp_connected) {
				p->lp_connected = 0;
				log_alert("Interconnect connection to instance %d lost (a hint "
					  "only: heartbeats and voting disks decide)", i);
			} else if (event == ZMQ_EVENT_CONNECTED && !p->lp_connected) {
				p->lp_connected = 1;
				log_info(COMP, "interconnect connection to instance %d up", i);
			}
		}
		return 1;
	}
	return 0;
}

/* LMON's DEALER to instance i, with the keys in force */
static int connect_peer(struct lmon *l, int i, char *err, size_t errlen)
{
	struct member *m = l->l_m;
	void *s = member_dealer(m, i, config_inst(m->m_cfg, i)->ic_lmon_ep, HB_SNDHWM, true,
				err, errlen);

	if (!s)
		return -1;
	l->l_peers[i].lp_inst = i;
	l->l_peers[i].lp_sock = s;
	return 0;
}

int css_net_init(struct lmon *l, char *err, size_t errlen)
{
	struct member *m = l->l_m;
	const struct rac_config *cfg = m->m_cfg;

	/*
	 * The size bound, the handshake bound and the keys: member_bind_router().
	 * What this ROUTER sends is view snapshots (57 KiB each): a client that
	 * asks and never reads gets a few queued, not a thousand.
	 */
	if (member_bind_router_hwm(m, m->m_ic->ic_lmon_ep, "LMON endpoint", VIEW_SNDHWM, err,
				   errlen))
		return -1;
	l->l_router_item = m->m_nitems - 1;
	/* this host's racsql asks here, without keys: only the cluster's user reaches it */
	l->l_local_item = -1;
	{
		char ep[RAC_PATH_MAX + 32];

		if (proc_lmon_view_ep(m->m_ic->ic_local_dir, ep, sizeof(ep), l->l_local_path,
				      sizeof(l->l_local_path))) {
			snprintf(err, errlen, "the view socket path under %s is too long for a "
				 "Unix socket; use a shorter local_dir", m->m_ic->ic_local_dir);
			return -1;
		}
		unlink(l->l_local_path);	/* left by a crashed LMON */
		if (member_bind_local(m, ep, "LMON view endpoint", VIEW_SNDHWM, err, errlen))
			return -1;
		l->l_local_item = m->m_nitems - 1;
	}

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		if (!config_inst(cfg, i) || i == m->m_inst)
			continue;
		l->l_peers[i].lp_mon_item = -1;
		if (connect_peer(l, i, err, errlen))
			return -1;
		add_monitor(l, i, -1);
	}
	return 0;
}

/*
 * Instance i's current key changed (keys reloaded): a new DEALER with it,
 * and a new monitor in the old one's poll slot.  Heartbeats queued on the
 * old socket go with it: they were for a peer we could not reach.
 */
void css_net_rekey(struct lmon *l, int i)
{
	struct member *m = l->l_m;
	struct lmon_peer *p = &l->l_peers[i];
	char err[256];

	if (!p->lp_inst)
		return;
	zmq_close(p->lp_sock);
	p->lp_sock = NULL;
	p->lp_inst = 0;
	if (connect_peer(l, i, err, sizeof(err))) {
		log_alert("Interconnect: no socket to instance %d with its new key: %s", i, err);
		return;
	}
	if (p->lp_mon_item >= 0) {
		int slot = p->lp_mon_item;

		/* the new monitor takes the old one's poll slot; idle if it cannot be made */
		zmq_close(m->m_items[slot].socket);
		m->m_items[slot] = (zmq_pollitem_t){ .socket = NULL, .fd = -1 };
		add_monitor(l, i, slot);
	}
	p->lp_connected = 0;
	log_info(COMP, "interconnect socket to instance %d made again with its new key", i);
}

uint64_t css_net_heard(const struct lmon *l)
{
	return css_net_heard_within(l, (uint64_t)l->l_m->m_cfg->cf_misscount_ms * 1000000ull);
}

uint64_t css_net_heard_within(const struct lmon *l, uint64_t limit)
{
	const struct member *m = l->l_m;
	uint64_t now = rac_now_mono_ns(), heard = 1ull << (m->m_inst - 1);

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		uint64_t last = sga_load(&sga_peer(&m->m_sga, i)->pr_net_last_ns);

		if (l->l_peers[i].lp_inst && last && now - last <= limit)
			heard |= 1ull << (i - 1);
	}
	return heard;
}

void css_net_send_heartbeats(struct lmon *l)
{
	struct member *m = l->l_m;
	struct sga_header *h = sga_hdr(&m->m_sga);
	struct msg_heartbeat hb = {
		.hb_state = sga_load(&h->sh_state),
		.hb_peers = css_net_heard(l),
		.hb_members = sga_load(&sga_cluster(&m->m_sga)->cl_members),
		.hb_sent_us = rac_now_us(),
		.hb_disks = (uint32_t)l->l_disks_ok,
	};
	uint8_t buf[RAC_MSG_HDR + 64];

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct lmon_peer *p = &l->l_peers[i];
		struct msg_hdr mh = { .mh_sender = (uint32_t)m->m_inst,
				      .mh_cluster = l->l_cluster_id,
				      .mh_incarnation = sga_load(&sga_cluster(&m->m_sga)->cl_incarnation),
				      .mh_seq = ++l->l_seq };
		int n;

		if (!p->lp_inst)
			continue;
		n = msg_encode_heartbeat(buf, sizeof(buf), &mh, &hb);
		if (n < 0)
			continue;
		if (zmq_send(p->lp_sock, buf, (size_t)n, ZMQ_DONTWAIT) == n)
			member_count(m, CNT_HB_SENT);
		else
			member_count(m, CNT_HB_SEND_DROPPED);
	}
}

static void bad_message(struct lmon *l, int rc, size_t len, const struct msg_hdr *h)
{
	struct member *m = l->l_m;

	member_count(m, rc == RAC_EMSG_CLUSTER ? CNT_MSG_FOREIGN : CNT_MSG_BAD);
	/* the first few in full, then one in a hundred: a flood must not fill the disk */
	if (l->l_bad_logged++ < 10 || l->l_bad_logged % 100 == 0)
		log_warn(COMP, "dropped a %zu-byte message (type %u %s, sender %u): %s "
			 "(%llu dropped so far)", len, h->mh_type, msg_type_str(h->mh_type),
			 h->mh_sender, rac_strerror(rc), (unsigned long long)l->l_bad_logged);
}

/*
 * racsql's gv$ views: a copy of our SGA, as it is now, to whoever asked.
 *   racsql: MSG_VIEW_REQUEST -> LMON ROUTER: send_snapshot -> racsql DEALER
 */
static void send_snapshot(struct lmon *l, void *sock, const uint8_t *ident, size_t ident_len)
{
	struct member *m = l->l_m;
	size_t size = sga_view_size();	/* the lock cache stays home */
	size_t need = RAC_MSG_HDR + size;
	struct msg_hdr mh = { .mh_sender = (uint32_t)m->m_inst, .mh_cluster = l->l_cluster_id,
			      .mh_incarnation =
				      sga_load(&sga_cluster(&m->m_sga)->cl_incarnation),
			      .mh_seq = ++l->l_seq };
	zmq_msg_t reply;
	int n;

	if (size > RAC_MSG_MAX) {
		/* the SGA outgrew the largest message: say so, once */
		static int told;

		if (!told++)
			log_error(COMP, "SGA of %zu bytes is larger than a message may be (%d): "
				  "gv$ views cannot see this instance", size,
				  RAC_MSG_MAX);
		return;
	}
	if (zmq_msg_init_size(&reply, need))
		return;
	n = msg_encode_raw(zmq_msg_data(&reply), need, &mh, MSG_VIEW_SNAPSHOT,
			   m->m_sga.sg_base, size);
	if (n < 0 || zmq_send(sock, ident, ident_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_msg_send(&reply, sock, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&reply);
		return;
	}
}

static void handle(struct lmon *l, void *sock, bool local, const uint8_t *buf, size_t len,
		   const uint8_t *ident, size_t ident_len, int user)
{
	struct member *m = l->l_m;
	struct msg_hdr h;
	const uint8_t *payload;
	int rc = msg_decode_hdr(buf, len, l->l_cluster_id, &h, &payload);

	if (rc == 0 && h.mh_type != MSG_VIEW_REQUEST &&
	    (h.mh_sender == (uint32_t)m->m_inst || !l->l_peers[h.mh_sender].lp_inst))
		rc = RAC_EMSG_SENDER;
	if (rc) {
		bad_message(l, rc, len, &h);
		return;
	}
	/*
	 * The local socket serves views and nothing else; over TCP the key
	 * decides who it is: views for administrators, the rest for its sender.
	 */
	if (local && h.mh_type != MSG_VIEW_REQUEST) {
		bad_message(l, RAC_EMSG_TYPE, len, &h);
		return;
	}
	if (!local && !member_sender_ok(m, user, h.mh_type == MSG_VIEW_REQUEST ? AUTH_ADMIN :
					(int)h.mh_sender, msg_type_str(h.mh_type)))
		return;
	switch (h.mh_type) {
	case MSG_HEARTBEAT: {
		struct msg_heartbeat hb;
		struct sga_peer *p = sga_peer(&m->m_sga, (int)h.mh_sender);

		rc = msg_decode_heartbeat(payload, h.mh_length, &hb);
		if (rc) {
			bad_message(l, rc, len, &h);
			return;
		}
		member_count(m, CNT_MSG_RECEIVED);
		sga_store(&p->pr_net_last_ns, rac_now_mono_ns());
		__atomic_add_fetch(&p->pr_net_count, 1, __ATOMIC_RELAXED);
		sga_store(&p->pr_heard, hb.hb_peers);
		sga_store(&p->pr_disks, hb.hb_disks);
		css_peer_state(l, (int)h.mh_sender, 1, PEER_ALIVE, "heartbeat received");
		return;
	}
	case MSG_VIEW_REQUEST:
		member_count(m, CNT_MSG_RECEIVED);
		send_snapshot(l, sock, ident, ident_len);
		return;
	default:
		/* decoded but no handler here: a catalogue/dispatch mismatch */
		bad_message(l, RAC_EMSG_TYPE, len, &h);
		return;
	}
}

void css_net_receive(struct lmon *l, int item)
{
	void *sock = l->l_m->m_items[item].socket;
	bool local = item == l->l_local_item;

	/* bounded per call so the tick keeps its period under a flood */
	for (int budget = 256; budget > 0; budget--) {
		zmq_msg_t part;
		int nparts = 0, more;
		uint8_t buf[RAC_MSG_HDR + 1024], ident[256];
		size_t len = 0, ident_len = 0;
		int oversize = 0, user = AUTH_NOBODY;

		do {
			zmq_msg_init(&part);
			if (zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) < 0) {
				zmq_msg_close(&part);
				return;
			}
			more = zmq_msg_more(&part);
			/* frame 0 is the ROUTER's peer identity; frame 1 the message */
			if (nparts == 0 && zmq_msg_size(&part) <= sizeof(ident)) {
				ident_len = zmq_msg_size(&part);
				memcpy(ident, zmq_msg_data(&part), ident_len);
			}
			if (nparts == 1) {
				user = member_user_of(l->l_m, &part);
				len = zmq_msg_size(&part);
				if (len > sizeof(buf))
					oversize = 1;
				else
					memcpy(buf, zmq_msg_data(&part), len);
			}
			nparts++;
			zmq_msg_close(&part);
		} while (more);
		if (nparts != 2 || oversize) {
			struct msg_hdr none = { 0 };

			bad_message(l, nparts != 2 ? RAC_EMSG_SHORT : RAC_EMSG_LEN, len, &none);
			continue;
		}
		handle(l, sock, local, buf, len, ident, ident_len, user);
	}
}

void css_net_fini(struct lmon *l)
{
	if (l->l_local_path[0])
		unlink(l->l_local_path);
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (l->l_peers[i].lp_sock) {
			zmq_close(l->l_peers[i].lp_sock);
			l->l_peers[i].lp_sock = NULL;
		}
}
