/*
 * lmon.c - LMON, the primary member of the instance's NM group.
 *
 * LMON registers first and obtains the member id.  Its work runs on one
 * periodic tick:
 *
 *   css_chores()   heartbeats on the network and the voting disks, peer
 *                  ages -> states (css.c)
 *   cgs_tick()     form/join, triggers, reconfiguration (cgs.c)
 *
 * Messages are taken as they arrive (css_net_receive()).  A reconfiguration
 * runs inside the tick; its waits go through css_pump(), which keeps the
 * chores, the messages and our NM slot going, so no wait ever makes this
 * instance look dead to anyone.
 */
#include <stdio.h>

#include "lmon.h"
#include "log.h"

static struct lmon lmon;

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
		goto failed;
	/* our first disk heartbeat before anyone can see us join */
	css_disk_beat(l);
	css_disk_settle(l);
	/* from now on a control-file call that waits keeps the chores going */
	l->l_ctl_pump = 1;
	if (!css_lease_ok(l) || !l->l_lease_ns) {
		snprintf(err, errlen, "cannot write the disk heartbeat to a majority of the %d "
			 "voting disks", m->m_cfg->cf_nvoting);
		goto failed;
	}
	return 0;
failed:
	/* the I/O workers end with us, not under us */
	css_ctl_fini(l);
	css_disk_fini(l);
	return -1;
}

static int lmon_period(const struct member *m)
{
	(void)m;
	return LMON_TICK_MS;
}

static int lmon_tick(struct member *m)
{
	(void)m;
	css_chores(&lmon);
	cgs_tick(&lmon);
	return 0;
}

static void lmon_ready(struct member *m, int item)
{
	(void)m;
	if (item == lmon.l_router_item || item == lmon.l_local_item)
		css_net_receive(&lmon, item);
	else
		css_net_monitor_ready(&lmon, item);
}

static void lmon_fini(struct member *m)
{
	(void)m;
	cgs_leave(&lmon);
	css_net_fini(&lmon);
	css_ctl_fini(&lmon);
	css_disk_fini(&lmon);
}

static void lmon_rekey(struct member *m, int peer)
{
	(void)m;
	css_net_rekey(&lmon, peer);
}

static const struct member_ops lmon_ops = {
	.mo_init = lmon_init,
	.mo_period_ms = lmon_period,
	.mo_tick = lmon_tick,
	.mo_ready = lmon_ready,
	.mo_fini = lmon_fini,
	.mo_rekey = lmon_rekey,
};

int main(int argc, char **argv)
{
	return member_main(argc, argv, RAC_ROLE_LMON, &lmon_ops);
}
