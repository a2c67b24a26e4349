/*
 * out.c - what LMS sends: output bundles per receiver, answers and events
 * to a client (to_client) or a peer LMS (to_peer), parked "queued" answers,
 * and the events of our table (drain_events).
 */
#include <errno.h>
#include <string.h>

#include "lms.h"
#include "log.h"
#include "zmtp_srv.h"

#define PARK_NS 5000000ull		/* ... for at most 5 ms (plus a tick) */

static void send_fail(uint16_t type)
{
	sga_count(&lms.s_m->m_sga, CNT_GES_SEND_DROPPED, 1);
	log_warn(COMP, "cannot send %s: %s", msg_type_str(type), zmq_strerror(errno));
}

/*
 * One message to the sender of [ident]: a local client through our own
 * ROUTER (sock NULL), else on that ZeroMQ ROUTER.  0, or -1 (errno).
 */
int send_to(void *sock, const uint8_t *ident, size_t ident_len, const void *buf, size_t n)
{
	if (!sock)
		return zsrv_send(lms.s_zs, ident, ident_len, buf, n);
	if (zmq_send(sock, ident, ident_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(sock, buf, n, ZMQ_DONTWAIT) < 0)
		return -1;
	return 0;
}

static void out_flush(struct outq *q)
{
	struct msg_hdr h = { .mh_sender = q->oq_peer > 0 ? (uint32_t)lms.s_m->m_inst : 0,
			     .mh_cluster = lms.s_cluster_id, .mh_incarnation = lms.s_inc,
			     .mh_seq = ++lms.s_seq };
	int n;

	if (!q->oq_b.mb_n)
		return;
	n = msg_bundle_seal(&q->oq_b, &h);
	if (q->oq_peer > 0) {
		void *sock = lms.s_peer[q->oq_peer];

		if (n < 0 || !sock || zmq_send(sock, q->oq_b.mb_buf, (size_t)n, ZMQ_DONTWAIT) < 0)
			send_fail(MSG_LK_BUNDLE);
	} else if (q->oq_slot >= 0) {
		struct session *se = session_at(q->oq_slot);

		/* a session that ended meanwhile: its answers have no one to go to */
		if (se && (n < 0 || zsrv_send(lms.s_zs, se->se_ident, se->se_ident_len,
					      q->oq_b.mb_buf, (size_t)n) < 0))
			send_fail(MSG_LK_BUNDLE);
	}
	msg_bundle_init(&q->oq_b);
}

/* send every bundle, and free them */
void out_flush_all(void)
{
	for (unsigned i = 0; i < lms.out.ou_used; i++) {
		struct outq *q = &lms.out.ou_q[i];

		out_flush(q);
		if (q->oq_peer > 0)
			lms.out.ou_peer[q->oq_peer] = 0;
		else if (q->oq_slot >= 0)
			lms.sess.ss_tab[q->oq_slot].se_oq = 0;
	}
	lms.out.ou_used = 0;
}

static struct outq *out_get(uint8_t *ref, int peer, int slot)
{
	struct outq *q;

	if (*ref)
		return &lms.out.ou_q[*ref - 1];
	if (lms.out.ou_used == OUTQ_N)
		out_flush_all();
	q = &lms.out.ou_q[lms.out.ou_used++];
	q->oq_peer = peer;
	q->oq_slot = slot;
	msg_bundle_init(&q->oq_b);
	*ref = lms.out.ou_used;
	return q;
}

static void out_add(struct outq *q, uint16_t type, const struct msg_lk *lk)
{
	int rc = msg_bundle_add(&q->oq_b, type, lk);

	if (rc == 0)
		return;
	if (rc == RAC_ERANGE) {
		out_flush(q);	/* full: send what it has, start again */
		rc = msg_bundle_add(&q->oq_b, type, lk);
	}
	if (rc)
		send_fail(type);	/* or a record no reader would take */
}

void to_peer(int inst, uint16_t type, const struct msg_lk *lk)
{
	if (inst < 1 || inst > RAC_MAX_INST || !lms.s_peer[inst])
		return;
	out_add(out_get(&lms.out.ou_peer[inst], inst, 0), type, lk);
}

static void client_out(struct session *se, uint16_t type, const struct msg_lk *lk)
{
	out_add(out_get(&se->se_oq, 0, (int)(se - lms.sess.ss_tab)), type, lk);
}

/*
 * Parked "queued" answers.  A request that has to wait is usually granted
 * soon after (a hot resource hands over every few hundred microseconds), and
 * then "queued" followed by "granted" costs the client two wake-ups where
 * one would do.  So a "queued" answer waits here for up to PARK_NS: if the
 * grant comes meanwhile, the client gets one answer, "granted"; otherwise
 * (or when anything else about that lock goes to the client) the "queued"
 * answer goes first, as it would have.  The client cannot tell the
 * difference, except that it hears less.
 */
static int park_find(uint32_t client, uint64_t lkid)
{
	for (int k = 0; k < lms.out.ou_npark; k++)
		if (lms.out.ou_park[k].pk_lk.lk_lkid == lkid && lms.out.ou_park[k].pk_client == client)
			return k;
	return -1;
}

/* send parked answer k (if its client is still there) and forget it */
static void park_send(int k)
{
	struct session *se = session_by_id(lms.out.ou_park[k].pk_client);

	if (se)
		client_out(se, MSG_LK_REPLY, &lms.out.ou_park[k].pk_lk);
	lms.out.ou_park[k] = lms.out.ou_park[--lms.out.ou_npark];
}

/* send the parked answers whose time is up */
void park_due(uint64_t now)
{
	for (int k = 0; k < lms.out.ou_npark;)
		if (lms.out.ou_park[k].pk_due <= now)
			park_send(k);	/* moves the last one to k */
		else
			k++;
}

void to_client(uint32_t id, uint16_t type, const struct msg_lk *lk)
{
	struct session *se = session_by_id(id);
	int k;

	if (!se)
		return;	/* gone: its locks are being released */
	if (type == MSG_LK_REPLY && (lk->lk_flags & LK_NOREPLY) && lk->lk_status >= 0)
		return;	/* it asked to hear only of a failure */
	if (lms.out.ou_npark && (k = park_find(id, lk->lk_lkid)) >= 0) {
		if (type == MSG_LK_EVENT && lk->lk_event == GRD_EV_GRANTED) {
			struct msg_lk a = lms.out.ou_park[k].pk_lk;	/* one answer: granted */

			a.lk_status = GRD_GRANTED;
			a.lk_has_lvb = lk->lk_has_lvb;
			a.lk_dubious = lk->lk_dubious;
			memcpy(a.lk_lvb, lk->lk_lvb, LK_LVB_LEN);
			lms.out.ou_park[k] = lms.out.ou_park[--lms.out.ou_npark];
			client_out(se, MSG_LK_REPLY, &a);
			return;
		}
		park_send(k);	/* whatever else: "queued" goes first */
	}
	if (type == MSG_LK_REPLY && lk->lk_status == GRD_QUEUED && lk->lk_lkid &&
	    lms.out.ou_npark < PARK_MAX) {
		lms.out.ou_park[lms.out.ou_npark++] = (struct parked){
			.pk_due = rac_now_mono_ns() + PARK_NS, .pk_client = id, .pk_lk = *lk };
		return;
	}
	client_out(se, type, lk);
}

/* Deliver every event the table has for its owners, wherever they are. */
void drain_events(void)
{
	struct grd_event ev;

	while (grd_next_event(lms.s_grd, &ev)) {
		struct msg_lk lk = { .lk_event = ev.ev_type, .lk_lkid = ev.ev_lkid,
				     .lk_mode = ev.ev_mode, .lk_status = ev.ev_status,
				     .lk_dubious = ev.ev_dubious, .lk_has_lvb = 1,
				     .lk_owner_client = ev.ev_owner.ow_client };

		memcpy(lk.lk_lvb, ev.ev_lvb, LK_LVB_LEN);
		if (ev.ev_type == GRD_EV_GRANTED)
			sga_count(&lms.s_m->m_sga, CNT_GES_GRANTS, 1);
		else if (ev.ev_type == GRD_EV_BLOCKING)
			sga_count(&lms.s_m->m_sga, CNT_GES_BASTS, 1);
		else if (ev.ev_type == GRD_EV_DEADLOCK)
			sga_count(&lms.s_m->m_sga, CNT_GES_DEADLOCKS, 1);
		if (ev.ev_owner.ow_inst == (uint8_t)lms.s_m->m_inst)
			to_client(ev.ev_owner.ow_client, MSG_LK_EVENT, &lk);
		else
			to_peer(ev.ev_owner.ow_inst, MSG_GRD_EVENT, &lk);
	}
}
