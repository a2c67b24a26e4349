/*
 * css.c - the CSS chores that never stop, and the pump every wait goes
 * through.
 *
 *   every heartbeat_interval_ms       css_net_send_heartbeats()
 *   every disk_heartbeat_interval_ms  css_disk_beat()    (and lease check)
 *   every tick                        css_disk_poll(): the disk workers' results
 *                                     (kill block, peers' slots, HUNG disks),
 *                                     peer ages -> states
 *
 * None of them does shared-disk I/O itself: each voting disk has its worker
 * (css_disk.c), so a disk that hangs never holds the chores up.
 *
 * css_chores() runs them from LMON's tick; a reconfiguration (or a start)
 * that waits calls css_pump(), which runs them too and takes the messages
 * as they arrive, so no wait ever makes this instance look dead to anyone.
 */
#include <stdio.h>

#include "lmon.h"
#include "log.h"

static uint64_t last_nm_ns, last_chores_ns;

static void check_ages(struct lmon *l)
{
	struct member *m = l->l_m;
	uint64_t now = rac_now_mono_ns();
	uint64_t miss = (uint64_t)m->m_cfg->cf_misscount_ms * 1000000ull;
	uint64_t disk = (uint64_t)m->m_cfg->cf_disktimeout_ms * 1000000ull;
	char why[96];

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct sga_peer *p = sga_peer(&m->m_sga, i);
		uint64_t net_last = sga_load(&p->pr_net_last_ns);
		uint64_t disk_last = sga_load(&p->pr_disk_last_ns);

		if (!l->l_peers[i].lp_inst)
			continue;
		if (net_last && now - net_last > miss && sga_load(&p->pr_net_state) == PEER_ALIVE) {
			snprintf(why, sizeof(why), "silent for %llu ms (misscount_ms = %d)",
				 (unsigned long long)((now - net_last) / 1000000),
				 m->m_cfg->cf_misscount_ms);
			css_peer_state(l, i, 1, PEER_SILENT, why);
		}
		if (disk_last && now - disk_last > disk &&
		    sga_load(&p->pr_disk_state) == PEER_ALIVE) {
			snprintf(why, sizeof(why), "counter still for %llu ms (disktimeout_ms = %d)",
				 (unsigned long long)((now - disk_last) / 1000000),
				 m->m_cfg->cf_disktimeout_ms);
			css_peer_state(l, i, 0, PEER_SILENT, why);
		}
	}
}

/*
 * The next deadline of a periodic chore: from the previous deadline, so
 * tick jitter does not stretch the period; from now after a long stall, so
 * missed rounds are not sent in a burst.
 */
static uint64_t next_due(uint64_t prev, uint64_t now, int period_ms)
{
	uint64_t period = (uint64_t)period_ms * 1000000ull, next = prev + period;

	return next > now ? next : now + period;
}

/*
 * LMON itself did not run for a while (stopped, starved of CPU).  The peers'
 * heartbeats of that time wait unread in our socket, so their network ages
 * say nothing about them: start those clocks again rather than suspect every
 * peer at once and call a vote the others are not in.  Whatever the others
 * decided meanwhile reaches us through the disk: the kill block just read,
 * or a newer membership (imr_check_left_out()).
 */
static void own_stall(struct lmon *l, uint64_t now)
{
	struct member *m = l->l_m;
	uint64_t gap = last_chores_ns ? now - last_chores_ns : 0;

	last_chores_ns = now;
	if (gap <= (uint64_t)m->m_cfg->cf_misscount_ms * 1000000ull / 2)
		return;
	member_count(m, CNT_LMON_STALLS);
	log_alert("LMON did not run for %llu ms (stopped, starved of CPU or blocked on I/O; "
		  "more than half of misscount_ms = %d): the stall is not counted against the "
		  "peers' network heartbeats", (unsigned long long)(gap / 1000000),
		  m->m_cfg->cf_misscount_ms);
	/* the stall is taken off the ages of peers we heard until it began */
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct sga_peer *p = sga_peer(&m->m_sga, i);
		uint64_t last = sga_load(&p->pr_net_last_ns);

		if (i != l->l_me && last && last < now - gap + 1 &&
		    now - gap - last <= (uint64_t)m->m_cfg->cf_misscount_ms * 1000000ull)
			sga_store(&p->pr_net_last_ns, last + gap);
	}
}

/* the CSS chores that must never stop, reconfiguration or not */
void css_chores(struct lmon *l)
{
	struct member *m = l->l_m;
	uint64_t now = rac_now_mono_ns();

	/* before anything is written: are we still allowed to be here? (rule 3) */
	css_disk_poll(l);
	own_stall(l, now);
	if (now - last_nm_ns >= (uint64_t)m->m_cfg->cf_member_heartbeat_ms * 1000000ull) {
		member_heartbeat(m);
		last_nm_ns = now;
	}
	if (now >= l->l_next_disk_ns) {
		css_disk_beat(l);
		l->l_next_disk_ns = next_due(l->l_next_disk_ns, now,
					     m->m_cfg->cf_disk_heartbeat_interval_ms);
	}
	if (now >= l->l_next_net_ns) {
		css_net_send_heartbeats(l);
		l->l_next_net_ns = next_due(l->l_next_net_ns, now,
					    m->m_cfg->cf_heartbeat_interval_ms);
	}
	check_ages(l);
}

void css_pump(struct lmon *l, int ms)
{
	uint64_t end = rac_now_mono_ns() + (uint64_t)ms * 1000000ull;
	void *router = l->l_m->m_items[l->l_router_item].socket;

	for (;;) {
		uint64_t now = rac_now_mono_ns();
		/* the peers' heartbeats, and this host's view requests: racsql waits on them */
		zmq_pollitem_t items[2] = { { .socket = router, .events = ZMQ_POLLIN },
					    { .socket = l->l_local_item >= 0 ?
							l->l_m->m_items[l->l_local_item].socket : NULL,
					      .fd = -1, .events = ZMQ_POLLIN } };
		long left;

		css_chores(l);
		member_serve_aux(l->l_m);
		if (now >= end)
			return;
		left = (long)((end - now) / 1000000);
		if (zmq_poll(items, 2, left < 2 ? left : 2) > 0) {
			if (items[0].revents & ZMQ_POLLIN)
				css_net_receive(l, l->l_router_item);
			if (items[1].revents & ZMQ_POLLIN)
				css_net_receive(l, l->l_local_item);
		}
	}
}
