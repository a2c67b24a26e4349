/*
 * deadlock.c - deadlocks across instances.  Each table finds the cycles
 * inside itself; the lowest member gathers every table's wait-for edges
 * once a period and breaks a cycle through several masters:
 *
 *   coordinator --MSG_GRD_EDGES_REQUEST--> every other LMS: dl_answer()
 *               <--MSG_GRD_EDGES--         dl_receive()
 *   dl_evaluate(): the victim's master --MSG_GRD_OP (DEADLOCK_VICTIM)-->
 */
#include <stdlib.h>

#include "disk.h"
#include "lms.h"
#include "log.h"

#define EDGES_MAX 4096		/* edges one LMS answers with, at most */

static void dl_add(const struct grd_edge *e, int master)
{
	if (lms.dl.dl_n == lms.dl.dl_cap) {
		size_t cap = lms.dl.dl_cap ? lms.dl.dl_cap * 2 : 64;
		struct grd_edge *n = realloc(lms.dl.dl_edges, cap * sizeof(*n));

		if (!n)
			return;
		lms.dl.dl_edges = n;
		lms.dl.dl_cap = cap;
	}
	lms.dl.dl_edges[lms.dl.dl_n] = *e;
	lms.dl.dl_edges[lms.dl.dl_n++].ed_master = (uint8_t)master;
}

/* our table's edges, to the coordinator */
void dl_answer(int to, uint32_t round)
{
	static uint8_t body[8 + EDGES_MAX * MSG_EDGE_LEN], buf[RAC_MSG_HDR + sizeof(body)];
	static struct msg_edge me[EDGES_MAX];
	struct msg_hdr h = { .mh_sender = (uint32_t)lms.s_m->m_inst,
			     .mh_cluster = lms.s_cluster_id, .mh_seq = ++lms.s_seq };
	struct grd_edge *e = NULL;
	size_t n = 0;
	int len;

	grd_waitfor_edges(lms.s_grd, &e, &n);
	if (n > EDGES_MAX)
		n = EDGES_MAX;
	for (size_t i = 0; i < n; i++)
		me[i] = (struct msg_edge){ .me_waiter_inst = e[i].ed_waiter.ow_inst,
					   .me_waiter_client = e[i].ed_waiter.ow_client,
					   .me_holder_inst = e[i].ed_holder.ow_inst,
					   .me_holder_client = e[i].ed_holder.ow_client,
					   .me_lkid = e[i].ed_lkid };
	free(e);
	len = msg_edges_out(body, sizeof(body), round, me, n);
	if (len > 0)
		len = msg_encode_raw(buf, sizeof(buf), &h, MSG_GRD_EDGES, body, (size_t)len);
	if (len > 0 && lms.s_peer[to])
		zmq_send(lms.s_peer[to], buf, (size_t)len, ZMQ_DONTWAIT);
}

void dl_receive(int from, const uint8_t *p, size_t len)
{
	uint32_t round, n;

	if (msg_edges_open(p, len, &round, &n) || round != lms.dl.dl_round)
		return;	/* late, or not what it says */
	for (uint32_t i = 0; i < n; i++) {
		struct msg_edge me;
		struct grd_edge e = { 0 };

		msg_edges_get(p, i, &me);
		e.ed_waiter.ow_inst = me.me_waiter_inst;
		e.ed_waiter.ow_client = me.me_waiter_client;
		e.ed_holder.ow_inst = me.me_holder_inst;
		e.ed_holder.ow_client = me.me_holder_client;
		e.ed_lkid = me.me_lkid;
		dl_add(&e, from);
	}
	lms.dl.dl_got |= 1ull << (from - 1);
}

/* is every edge of the candidate cycle in this round's edges too? */
static bool dl_confirmed(void)
{
	if (!lms.dl.dl_ncand)
		return false;
	for (int k = 0; k < lms.dl.dl_ncand; k++) {
		const struct grd_edge *c = &lms.dl.dl_cand[k];
		bool found = false;

		for (size_t i = 0; i < lms.dl.dl_n && !found; i++) {
			const struct grd_edge *e = &lms.dl.dl_edges[i];

			found = e->ed_lkid == c->ed_lkid && e->ed_holder.ow_inst == c->ed_holder.ow_inst &&
				e->ed_holder.ow_client == c->ed_holder.ow_client;
		}
		if (!found)
			return false;
	}
	return true;
}

/*
 * Every edge is in (or the wait is over): break one cycle through several
 * masters.  The tables answer at slightly different moments, so a cycle
 * made of waits that never overlapped (a phantom: A waited for B on one
 * master, then B for A on another) can show up.  A cycle is broken only
 * when the next round, gathered after this one, still has each of its
 * waits: a request that waits in both rounds has waited throughout.
 */
static void dl_evaluate(void)
{
	size_t *cyc = lms.dl.dl_n ? malloc(lms.dl.dl_n * sizeof(*cyc)) : NULL;
	int len = cyc ? grd_cycle_find(lms.dl.dl_edges, lms.dl.dl_n, cyc, lms.dl.dl_n) : 0;
	const struct grd_edge *victim = NULL;

	if (dl_confirmed()) {
		for (int k = 0; k < lms.dl.dl_ncand; k++)
			if (!victim || lms.dl.dl_cand[k].ed_lkid > victim->ed_lkid)
				victim = &lms.dl.dl_cand[k];
		len = lms.dl.dl_ncand_was = lms.dl.dl_ncand;
		lms.dl.dl_ncand = 0;
	} else {
		if (lms.dl.dl_ncand)
			sga_count(&lms.s_m->m_sga, CNT_GES_DEADLOCK_UNCONFIRMED, 1);
		lms.dl.dl_ncand = 0;
		for (int k = 0; k < len && k < DL_CAND_MAX; k++)
			lms.dl.dl_cand[lms.dl.dl_ncand++] = lms.dl.dl_edges[cyc[k]];
		if (len > 0 && len <= DL_CAND_MAX)
			lms.dl.dl_next_ns = 0;	/* look again at once */
		else
			lms.dl.dl_ncand = 0;
	}
	if (victim) {
		struct msg_lk lk = { .lk_op = LK_OP_DEADLOCK_VICTIM, .lk_lkid = victim->ed_lkid };

		log_alert("LMS 0: deadlock across %d locks on several instances; the request of "
			  "lock 0x%016llx (instance %u) fails", len,
			  (unsigned long long)victim->ed_lkid, victim->ed_waiter.ow_inst);
		for (int k = 0; k < lms.dl.dl_ncand_was; k++) {
			const struct grd_edge *e = &lms.dl.dl_cand[k];

			log_info(COMP, "deadlock cycle: lock 0x%016llx of client %u on instance %u "
				 "(master %u) waits for client %u on instance %u",
				 (unsigned long long)e->ed_lkid, e->ed_waiter.ow_client,
				 e->ed_waiter.ow_inst, e->ed_master, e->ed_holder.ow_client,
				 e->ed_holder.ow_inst);
		}
		if (victim->ed_master == lms.s_m->m_inst) {
			grd_fail_deadlock(lms.s_grd, victim->ed_lkid);
			drain_events();
		} else {
			to_peer(victim->ed_master, MSG_GRD_OP, &lk);
		}
	}
	free(cyc);
	lms.dl.dl_n = 0;
	lms.dl.dl_round = 0;
}

void dl_tick(uint64_t now)
{
	int me = lms.s_m->m_inst;

	if (lms.dl.dl_round && ((lms.dl.dl_got & lms.dl.dl_expect) == lms.dl.dl_expect ||
			       now > lms.dl.dl_deadline_ns))
		dl_evaluate();
	if (now < lms.dl.dl_next_ns)
		return;
	lms.dl.dl_next_ns = now + (uint64_t)lms.s_m->m_to.to_deadlock_period_ms * 1000000ull;
	/* cycles inside our own table first: no one else can see them whole */
	if (grd_deadlock_find(lms.s_grd, NULL, 0) > 0)
		drain_events();
	/* the lowest member gathers every table's edges */
	if (lms.dl.dl_round || lms_rebuilding() || __builtin_ffsll((long long)lms.s_members) != me ||
	    !(lms.s_members & ~(1ull << (me - 1))))
		return;
	{
		struct grd_edge *e = NULL;
		size_t n = 0;
		struct msg_lk rq = { .lk_req = ++lms.s_seq & 0x7fffffff };

		grd_waitfor_edges(lms.s_grd, &e, &n);
		lms.dl.dl_n = 0;
		for (size_t i = 0; i < n; i++)
			dl_add(&e[i], me);
		free(e);
		if (!rq.lk_req)
			rq.lk_req = 1;
		lms.dl.dl_round = rq.lk_req;
		lms.dl.dl_expect = lms.s_members & ~(1ull << (me - 1));
		lms.dl.dl_got = 0;
		lms.dl.dl_deadline_ns = now + (uint64_t)lms.s_m->m_to.to_deadlock_wait_ms * 1000000ull;
		for (int i = 1; i <= RAC_MAX_INST; i++)
			if (lms.dl.dl_expect & (1ull << (i - 1)))
				to_peer(i, MSG_GRD_EDGES_REQUEST, &rq);
	}
}
