/*
 * lmon.h - LMON's state and the prototypes of its concerns.
 *
 *   lmon.c       member_main() hooks, the periodic tick and its chores
 *   css_net.c    network heartbeats: one DEALER per peer out, ROUTER in
 *   css_disk.c   disk heartbeats: this instance's slot on every voting disk,
 *                the peers' slots read back
 */
#ifndef LMON_H
#define LMON_H

#include "member.h"
#include "msg.h"

struct lmon_peer {
	int lp_inst;			/* instance number; 0 = not a peer */
	void *lp_sock;			/* DEALER connected to its LMON endpoint */
};

struct lmon {
	struct member *l_m;
	uint64_t l_cluster_id;
	uint64_t l_seq;			/* message sequence */
	struct lmon_peer l_peers[RAC_MAX_INST + 1];
	int l_vfd[RAC_MAX_VOTING];	/* voting disk descriptors, -1 closed */
	uint64_t l_disk_counter;	/* our disk heartbeat counter */
	uint64_t l_disk_seq[RAC_MAX_VOTING];
	uint64_t l_next_net_ns, l_next_disk_ns;
	int l_router_item;		/* index in m_items of the ROUTER */
	uint64_t l_bad_logged;		/* rate limit of bad-message warnings */
};

/* css_net.c */
int css_net_init(struct lmon *l, char *err, size_t errlen);
void css_net_send_heartbeats(struct lmon *l);
void css_net_receive(struct lmon *l);
uint64_t css_net_heard(const struct lmon *l);	/* peers heard within misscount */
void css_net_fini(struct lmon *l);

/* css_disk.c */
int css_disk_init(struct lmon *l, char *err, size_t errlen);
void css_disk_beat(struct lmon *l);		/* write ours, read theirs */
void css_disk_fini(struct lmon *l);

/* lmon.c */
void lmon_peer_state(struct lmon *l, int inst, int net, uint32_t state, const char *why);

#endif
