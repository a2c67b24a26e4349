/*
 * state.c - every change of LMON's state, in one place: the CGS state of
 * the instance, a peer's network and disk states as CSS judges them, a
 * voting disk's state, and the exit of a fenced or evicted instance.
 *
 * Each setter stores the new value in the SGA (where the views and the
 * other members read it), writes the trace line "status change from (A)
 * to (B)" and, where DESIGN §5 asks for it, an alert line.  Nothing here
 * calls another LMON file: every other file may call these.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lmon.h"
#include "log.h"

void cgs_set_state(struct lmon *l, uint32_t st, const char *why)
{
	struct sga_cluster *cl = sga_cluster(&l->l_m->m_sga);
	uint32_t old = sga_load(&cl->cl_state);

	if (old == st)
		return;
	sga_store(&cl->cl_state, st);
	member_count(l->l_m, CNT_STATE_CHANGES);
	log_change_state("CGS", sga_cgs_state_str(old), sga_cgs_state_str(st), why);
}

void css_peer_state(struct lmon *l, int inst, int net, uint32_t state, const char *why)
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
	log_change_state("CSS", from, to, why);
	if (state == PEER_SILENT && old == PEER_ALIVE)
		log_alert("%s heartbeat of instance %d missing: %s", net ? "Network" : "Disk",
			  inst, why);
	else if (state == PEER_ALIVE && old == PEER_SILENT)
		log_alert("%s heartbeat of instance %d back", net ? "Network" : "Disk", inst);
}

void vdisk_state(struct lmon *l, int d, uint32_t st, const char *why)
{
	struct sga_vdisk *v = sga_vdisk(&l->l_m->m_sga, d);
	uint32_t old = sga_load(&v->vd_state);

	if (old == st)
		return;
	sga_store(&v->vd_state, st);
	if (st == VDISK_OFFLINE)
		log_alert("Voting disk %d (%s) is OFFLINE: %s", d + 1, v->vd_path, why);
	else if (st == VDISK_HUNG)
		log_alert("Voting disk %d (%s) is HUNG: %s; it does not count towards the "
			  "majority until it answers", d + 1, v->vd_path, why);
	else if (old == VDISK_OFFLINE || old == VDISK_HUNG)
		log_alert("Voting disk %d (%s) is ONLINE again", d + 1, v->vd_path);
	log_change_state("CSS", sga_vdisk_state_str(old), sga_vdisk_state_str(st), why);
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
