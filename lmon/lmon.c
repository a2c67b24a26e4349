/*
 * lmon.c - LMON, the primary member of the instance's NM group.
 *
 * LMON registers first and obtains the member id.  Its work runs on one
 * periodic tick with chores gated by their own periods:
 *
 *   every heartbeat_interval_ms       css_net_send_heartbeats()
 *   every disk_heartbeat_interval_ms  css_disk_beat()    (and lease check)
 *   every tick                        css_disk_read(), peer ages -> states,
 *                                     cgs_tick(): form/join, triggers,
 *                                     reconfiguration
 *
 * Messages are taken as they arrive (css_net_receive()).  A reconfiguration
 * runs inside the tick; its waits go through lmon_pump(), which keeps the
 * chores, the messages and our NM slot going, so no wait ever makes this
 * instance look dead to anyone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmon.h"
#include "log.h"

#define COMP "CSS"
#define LMON_TICK_MS 10

static struct lmon lmon;
static uint64_t last_nm_ns, last_chores_ns;

void lmon_peer_state(struct lmon *l, int inst, int net, uint32_t state, const char *why)
{
	struct sga_peer *p = sga_peer(&l->l_m->m_sga, inst);
	uint32_t *field = net ? &p->pr_net_state : &p->pr_disk_state;
	uint32_t old = sga_load(field);
	char from[48], to[48];

	if (old == state)
		return;
	sga_store(field, state);
	snprintf(from, sizeof(from), "instance %d %s %s", inst, net ? "net" : "disk",
		 sga_peer_state_str(old));
	snprintf(to, sizeof(to), "instance %d %s %s", inst, net ? "net" : "disk",
		 sga_peer_state_str(state));
	log_change_state(COMP, from, to, why);
	if (state == PEER_SILENT && old == PEER_ALIVE)
		log_alert("%s heartbeat of instance %d missing: %s", net ? "Network" : "Disk",
			  inst, why);
	else if (state == PEER_ALIVE && old == PEER_SILENT)
		log_alert("%s heartbeat of instance %d back", net ? "Network" : "Disk", inst);
}

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
			lmon_peer_state(l, i, 1, PEER_SILENT, why);
		}
		if (disk_last && now - disk_last > disk &&
		    sga_load(&p->pr_disk_state) == PEER_ALIVE) {
			snprintf(why, sizeof(why), "counter still for %llu ms (disktimeout_ms = %d)",
				 (unsigned long long)((now - disk_last) / 1000000),
				 m->m_cfg->cf_disktimeout_ms);
			lmon_peer_state(l, i, 0, PEER_SILENT, why);
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
 * or a newer membership (cgs_check_left_out()).
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
static void chores(struct lmon *l)
{
	struct member *m = l->l_m;
	uint64_t now = rac_now_mono_ns();

	/* before anything is written: are we still allowed to be here? */
	css_check_kill(l);
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
	if (now >= l->l_next_read_ns) {
		css_disk_read(l);
		l->l_next_read_ns = now + LMON_TICK_MS * 1000000ull;
	}
	check_ages(l);
}

void lmon_pump(struct lmon *l, int ms)
{
	uint64_t end = rac_now_mono_ns() + (uint64_t)ms * 1000000ull;
	void *router = l->l_m->m_items[l->l_router_item].socket;

	for (;;) {
		uint64_t now = rac_now_mono_ns();
		zmq_pollitem_t item = { .socket = router, .events = ZMQ_POLLIN };
		long left;

		chores(l);
		if (now >= end)
			return;
		left = (long)((end - now) / 1000000);
		if (zmq_poll(&item, 1, left < 2 ? left : 2) > 0)
			css_net_receive(l);
	}
}

void lmon_fence_exit(struct lmon *l, const char *why)
{
	struct sga_cluster *cl = sga_cluster(&l->l_m->m_sga);
	int lapsed = !css_lease_ok(l) && l->l_lease_ns;

	/*
	 * With our lease lapsed the survivors may already be recovering our work:
	 * nobody in this instance writes to the shared disk again, not even the
	 * guardian's confirmation.  Evicted with the lease still ours, the
	 * guardian's confirmation lets the survivors go on at once.
	 */
	if (lapsed || !sga_may_write_disk(&l->l_m->m_sga))
		sga_store(&cl->cl_no_disk_writes, 1u);
	cgs_set_state(l, CGS_EVICTED, why);
	log_alert("%s; LMON exits and the instance with it%s", why,
		  lapsed ? " (no further shared-disk writes)" : "");
	exit(3);
}

static int lmon_init(struct member *m, char *err, size_t errlen)
{
	struct lmon *l = &lmon;

	l->l_m = m;
	l->l_me = m->m_inst;
	l->l_mybit = 1ull << (m->m_inst - 1);
	l->l_cluster_id = rac_msg_cluster_id(m->m_cfg->cf_name);
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (config_inst(m->m_cfg, i))
			l->l_configured |= 1ull << (i - 1);
	if (css_net_init(l, err, errlen) || css_disk_init(l, err, errlen) ||
	    cgs_init(l, err, errlen))
		return -1;
	/* our first disk heartbeat before anyone can see us join */
	css_disk_beat(l);
	if (!css_lease_ok(l) || !l->l_lease_ns) {
		snprintf(err, errlen, "cannot write the disk heartbeat to a majority of the %d "
			 "voting disks", m->m_cfg->cf_nvoting);
		return -1;
	}
	return 0;
}

static int lmon_period(const struct member *m)
{
	(void)m;
	return LMON_TICK_MS;
}

static int lmon_tick(struct member *m)
{
	(void)m;
	chores(&lmon);
	cgs_tick(&lmon);
	return 0;
}

static void lmon_ready(struct member *m, int item)
{
	(void)m;
	if (item == lmon.l_router_item)
		css_net_receive(&lmon);
	else
		css_net_monitor_ready(&lmon, item);
}

static void lmon_fini(struct member *m)
{
	(void)m;
	cgs_leave(&lmon);
	css_net_fini(&lmon);
	css_disk_fini(&lmon);
}

static const struct member_ops lmon_ops = {
	.mo_init = lmon_init,
	.mo_period_ms = lmon_period,
	.mo_tick = lmon_tick,
	.mo_ready = lmon_ready,
	.mo_fini = lmon_fini,
};

int main(int argc, char **argv)
{
	return member_main(argc, argv, RAC_ROLE_LMON, &lmon_ops);
}
