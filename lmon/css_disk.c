/*
 * css_disk.c - disk heartbeats on the voting disks.
 *
 * Every disk_heartbeat_interval_ms LMON writes its slot on each voting disk
 * (durable: O_DSYNC) and reads every peer's slot back.  A peer whose counter
 * has not moved for disktimeout_ms has let its lease run out; a peer whose
 * slot says DOWN or DEAD has confirmed that it is gone.  Per-disk results
 * (state, last read and write, errors) go to the SGA for v$voting_disk.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"
#include "errors.h"
#include "lmon.h"
#include "log.h"

#define COMP "CSS"

static void vdisk_state(struct lmon *l, int d, uint32_t st, const char *why)
{
	struct sga_vdisk *v = sga_vdisk(&l->l_m->m_sga, d);
	uint32_t old = sga_load(&v->vd_state);

	if (old == st)
		return;
	sga_store(&v->vd_state, st);
	if (st == VDISK_OFFLINE)
		log_alert("Voting disk %d (%s) is OFFLINE: %s", d + 1, v->vd_path, why);
	else if (old == VDISK_OFFLINE)
		log_alert("Voting disk %d (%s) is ONLINE again", d + 1, v->vd_path);
	log_change_state(COMP, sga_vdisk_state_str(old), sga_vdisk_state_str(st), why);
}

int css_disk_init(struct lmon *l, char *err, size_t errlen)
{
	const struct rac_config *cfg = l->l_m->m_cfg;

	for (int d = 0; d < RAC_MAX_VOTING; d++)
		l->l_vfd[d] = -1;
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct vote_hb hb;
		struct blk_hdr h;

		l->l_vfd[d] = disk_open(cfg->cf_voting[d], 1);
		if (l->l_vfd[d] < 0) {
			/* a missing disk is for the voting rules to judge, not a start failure */
			vdisk_state(l, d, VDISK_OFFLINE, strerror(errno));
			continue;
		}
		/* carry our counter on, so it never goes back */
		if (vote_read_hb(l->l_vfd[d], l->l_m->m_inst, &hb, &h) == 0) {
			if (hb.hb_counter > l->l_disk_counter)
				l->l_disk_counter = hb.hb_counter;
			l->l_disk_seq[d] = h.bh_sequence;
		}
	}
	(void)err;
	(void)errlen;
	return 0;
}

static void read_peers(struct lmon *l, int d, uint64_t now)
{
	struct member *m = l->l_m;
	struct sga_vdisk *v = sga_vdisk(&m->m_sga, d);

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct sga_peer *p = sga_peer(&m->m_sga, i);
		struct vote_hb hb;
		struct blk_hdr h;
		int rc;

		if (!l->l_peers[i].lp_inst)
			continue;
		rc = vote_read_hb(l->l_vfd[d], i, &hb, &h);
		if (rc == RAC_EIO || rc == RAC_EBLK_SHORT) {
			v->vd_read_errors++;
			member_count(m, CNT_DISK_IO_ERRORS);
			vdisk_state(l, d, VDISK_OFFLINE, rac_strerror(rc));
			return;
		}
		sga_store(&v->vd_last_read_us, rac_now_us());
		if (rc) {
			if (rc != RAC_EBLK_ZERO) {
				v->vd_corrupt++;
				member_count(m, CNT_DISK_BLOCKS_CORRUPT);
				log_warn(COMP, "voting disk %d: heartbeat slot of instance %d: %s",
					 d + 1, i, rac_strerror(rc));
			}
			continue;
		}
		if (hb.hb_counter > sga_load(&p->pr_disk_counter)) {
			sga_store(&p->pr_disk_counter, hb.hb_counter);
			sga_store(&p->pr_disk_last_ns, now);
			if (hb.hb_state == HB_STATE_ALIVE)
				lmon_peer_state(l, i, 0, PEER_ALIVE, "disk heartbeat advancing");
		}
		if (hb.hb_state != HB_STATE_ALIVE && sga_load(&p->pr_disk_counter) == hb.hb_counter)
			lmon_peer_state(l, i, 0, PEER_DOWN, hb.hb_state == HB_STATE_DEAD ?
					"death confirmed on the voting disk" :
					"left the cluster (voting disk)");
	}
}

void css_disk_beat(struct lmon *l)
{
	struct member *m = l->l_m;
	const struct rac_config *cfg = m->m_cfg;
	uint64_t now = rac_now_mono_ns();
	struct vote_hb hb = {
		.hb_inst = (uint32_t)m->m_inst,
		.hb_state = HB_STATE_ALIVE,
		.hb_counter = ++l->l_disk_counter,
		.hb_time_us = rac_now_us(),
		.hb_peers = css_net_heard(l),
	};
	uint64_t inc = sga_load(&sga_hdr(&m->m_sga)->sh_incarnation);

	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct sga_vdisk *v = sga_vdisk(&m->m_sga, d);
		int rc;

		if (l->l_vfd[d] < 0) {
			l->l_vfd[d] = disk_open(cfg->cf_voting[d], 1);
			if (l->l_vfd[d] < 0)
				continue;
		}
		rc = vote_write_hb(l->l_vfd[d], m->m_inst, &hb, inc, ++l->l_disk_seq[d]);
		if (rc) {
			v->vd_write_errors++;
			member_count(m, CNT_DISK_IO_ERRORS);
			vdisk_state(l, d, VDISK_OFFLINE, strerror(errno));
			continue;
		}
		sga_store(&v->vd_last_write_us, rac_now_us());
		member_count(m, CNT_DISK_HB_WRITES);
		vdisk_state(l, d, VDISK_ONLINE, "heartbeat written");
		read_peers(l, d, now);
	}
}

void css_disk_fini(struct lmon *l)
{
	for (int d = 0; d < RAC_MAX_VOTING; d++)
		if (l->l_vfd[d] >= 0) {
			close(l->l_vfd[d]);
			l->l_vfd[d] = -1;
		}
}
