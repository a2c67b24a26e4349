/*
 * views_snap.c - snapshots: what the views need, copied out of an SGA.
 *
 *   snap_take()   this instance's segment, attached read-only, checked
 *                 (layout, instance number, guardian alive), copied by
 *                 snap_copy(), detached
 *   gather_all()  every configured instance's copy, sent by its LMON
 *                 (gather.c), through the same snap_copy() in gathered()
 *
 * Numbers are read with sga_load() and strings terminated here, so that
 * the fillers (views_fill.c) can trust a struct snap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rac.h"
#include "errors.h"
#include "config.h"
#include "sga.h"
#include "views_int.h"

/* ---- snapshot --------------------------------------------------------- */

/* Force NUL termination of every string of a configuration read from
 * shared memory and clamp its counts: it must not be able to crash us. */
#define TERMINATE(a) ((a)[sizeof(a) - 1] = '\0')
static void config_sanitize(struct rac_config *c)
{
	TERMINATE(c->cf_path);
	TERMINATE(c->cf_name);
	TERMINATE(c->cf_shared_disk);
	if (c->cf_nvoting < 0 || c->cf_nvoting > RAC_MAX_VOTING)
		c->cf_nvoting = 0;
	for (int i = 0; i < RAC_MAX_VOTING; i++) {
		TERMINATE(c->cf_voting[i]);
		TERMINATE(c->cf_cl_voting[i]);
	}
	TERMINATE(c->cf_control);
	TERMINATE(c->cf_cl_control);
	if (c->cf_cl_nvoting < 0 || c->cf_cl_nvoting > RAC_MAX_VOTING)
		c->cf_cl_nvoting = 0;
	/* config_path() checks the instances' references against it */
	if (c->cf_paths_used > sizeof(c->cf_paths))
		c->cf_paths_used = sizeof(c->cf_paths);
	TERMINATE(c->cf_paths);
	if (c->cf_ninst < 0 || c->cf_ninst > RAC_MAX_INST)
		c->cf_ninst = 0;
	for (int i = 0; i <= RAC_MAX_INST; i++) {
		struct rac_inst_cfg *ic = &c->cf_inst[i];

		TERMINATE(ic->ic_name);
		TERMINATE(ic->ic_host);
		TERMINATE(ic->ic_lmon_ep);
		TERMINATE(ic->ic_lms_ep);
		TERMINATE(ic->ic_local_dir);
		for (size_t k = 0; k < sizeof(ic->ic_src); k++)
			if (ic->ic_src[k] > CFG_SRC_FILE)
				ic->ic_src[k] = CFG_SRC_DEFAULT;
		if (ic->ic_nvoting < 0 || ic->ic_nvoting > RAC_MAX_VOTING)
			ic->ic_nvoting = 0;
	}
	for (size_t k = 0; k < sizeof(c->cf_src); k++)
		if (c->cf_src[k] > CFG_SRC_FILE)
			c->cf_src[k] = CFG_SRC_DEFAULT;
}

static void copy_slot(struct sga_nm_slot *dst, struct sga_nm_slot *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->nm_role = sga_load(&src->nm_role);
	dst->nm_state = sga_load(&src->nm_state);
	dst->nm_pid = sga_load(&src->nm_pid);
	dst->nm_member_id = sga_load(&src->nm_member_id);
	dst->nm_primary = sga_load(&src->nm_primary);
	dst->nm_hb_mono_ns = sga_load(&src->nm_hb_mono_ns);
	dst->nm_hb_count = sga_load(&src->nm_hb_count);
	dst->nm_registered_us = sga_load(&src->nm_registered_us);
	memcpy(dst->nm_name, src->nm_name, sizeof(dst->nm_name));
	TERMINATE(dst->nm_name);
	if (!dst->nm_name[0] && dst->nm_role < RAC_NROLES) {
		const struct rac_proc *pr = proc_by_role((enum rac_role)dst->nm_role);

		if (pr && pr->pr_name)
			rac_strlcpy(dst->nm_name, pr->pr_name, sizeof(dst->nm_name));
	}
}

static void copy_peer(struct sga_peer *dst, struct sga_peer *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->pr_net_last_ns = sga_load(&src->pr_net_last_ns);
	dst->pr_net_count = sga_load(&src->pr_net_count);
	dst->pr_disk_last_ns = sga_load(&src->pr_disk_last_ns);
	dst->pr_disk_counter = sga_load(&src->pr_disk_counter);
	dst->pr_heard = sga_load(&src->pr_heard);
	dst->pr_net_state = sga_load(&src->pr_net_state);
	dst->pr_disk_state = sga_load(&src->pr_disk_state);
}

static void copy_vdisk(struct sga_vdisk *dst, struct sga_vdisk *src)
{
	memset(dst, 0, sizeof(*dst));
	memcpy(dst->vd_path, src->vd_path, sizeof(dst->vd_path));
	TERMINATE(dst->vd_path);
	dst->vd_state = sga_load(&src->vd_state);
	dst->vd_last_read_us = sga_load(&src->vd_last_read_us);
	dst->vd_last_write_us = sga_load(&src->vd_last_write_us);
	dst->vd_read_errors = sga_load(&src->vd_read_errors);
	dst->vd_write_errors = sga_load(&src->vd_write_errors);
	dst->vd_corrupt = sga_load(&src->vd_corrupt);
	dst->vd_kind = sga_load(&src->vd_kind);
	dst->vd_sector_size = sga_load(&src->vd_sector_size);
	dst->vd_direct = sga_load(&src->vd_direct);
	dst->vd_io_age_ms = sga_load(&src->vd_io_age_ms);
}

/*
 * The membership and the reconfigurations still in the ring, oldest first.
 * An entry whose id is not the one expected is being rewritten by LMON
 * (or the copy is garbage): it is skipped, not shown half-written.
 */
static void copy_cluster(struct snap *sn, struct sga_cluster *cl)
{
	uint64_t nrcfg, kept, first;

	sn->sn_cl_state = sga_load(&cl->cl_state);
	sn->sn_cl_step = sga_load(&cl->cl_step);
	sn->sn_cl_control = sga_load(&cl->cl_control);
	sn->sn_cl_break_inst = sga_load(&cl->cl_break_inst);
	sn->sn_cl_recover_inst = sga_load(&cl->cl_recover_inst);
	sn->sn_cl_n_ok = sga_load(&cl->cl_n_ok);
	sn->sn_cl_members = sga_load(&cl->cl_members);
	sn->sn_cl_incarnation = sga_load(&cl->cl_incarnation);

	nrcfg = sga_load(&cl->cl_nrcfg);
	kept = nrcfg < SGA_RCFG_HIST ? nrcfg : SGA_RCFG_HIST;
	first = nrcfg - kept + 1;
	sn->sn_nrcfg = 0;
	for (uint64_t k = 0; k < kept; k++) {
		uint64_t id = first + k;
		struct sga_reconfig *dst = &sn->sn_rcfg[sn->sn_nrcfg];

		memcpy(dst, &cl->cl_hist[(id - 1) % SGA_RCFG_HIST], sizeof(*dst));
		if (dst->rc_id != id)
			continue;
		TERMINATE(dst->rc_detail);
		sn->sn_nrcfg++;
	}
}

/* Copy what the views need out of a checked SGA (mapped, or a private copy). */
static void snap_copy(struct snap *sn, const struct sga *sga)
{
	struct sga_header *h = sga_hdr(sga);

	sn->sn_inst_no = sga_load(&h->sh_inst_no);
	sn->sn_member_id = sga_load(&h->sh_member_id);
	sn->sn_guardian_pid = sga_load(&h->sh_guardian_pid);
	memcpy(sn->sn_inst_name, h->sh_inst_name, sizeof(sn->sn_inst_name));
	TERMINATE(sn->sn_inst_name);
	memcpy(sn->sn_host, h->sh_host, sizeof(sn->sn_host));
	TERMINATE(sn->sn_host);
	sn->sn_startup_us = sga_load(&h->sh_startup_us);
	sn->sn_incarnation = sga_load(&h->sh_incarnation);
	sn->sn_state = sga_load(&h->sh_state);
	sn->sn_role = sga_load(&h->sh_role);

	sn->sn_nnm = h->sh_nm_count < RAC_NROLES ? (int)h->sh_nm_count : RAC_NROLES;
	for (int i = 0; i < sn->sn_nnm; i++)
		copy_slot(&sn->sn_nm[i], sga_nm(sga, i));
	sn->sn_ncnt = h->sh_ncounters < SGA_NCOUNTERS_USED ? (int)h->sh_ncounters
							   : SGA_NCOUNTERS_USED;
	for (int c = 0; c < sn->sn_ncnt; c++)
		sn->sn_cnt[c] = sga_load(&sga_counters(sga)[c]);
	sn->sn_npeer = h->sh_npeers < RAC_MAX_INST + 1 ? (int)h->sh_npeers : RAC_MAX_INST + 1;
	for (int n = 0; n < sn->sn_npeer; n++)
		copy_peer(&sn->sn_peer[n], sga_peer(sga, n));
	sn->sn_nvdisk = h->sh_nvdisks < RAC_MAX_VOTING ? (int)h->sh_nvdisks : RAC_MAX_VOTING;
	for (int d = 0; d < sn->sn_nvdisk; d++)
		copy_vdisk(&sn->sn_vdisk[d], sga_vdisk(sga, d));
	copy_cluster(sn, sga_cluster(sga));

	if (h->sh_config_size == sizeof(struct rac_config)) {
		memcpy(&sn->sn_cfg, sga_config(sga), sizeof(sn->sn_cfg));
		config_sanitize(&sn->sn_cfg);
		sn->sn_cfg_sga = config_inst(&sn->sn_cfg, sn->sn_inst) != NULL;
	}
}

void snap_reset(struct snap *sn, int inst)
{
	sn->sn_inst = inst;
	sn->sn_up = false;
	sn->sn_why[0] = '\0';
	sn->sn_cfg_sga = false;
	sn->sn_nnm = 0;
	sn->sn_ncnt = 0;
	sn->sn_npeer = 0;
	sn->sn_nvdisk = 0;
	sn->sn_nrcfg = 0;
	sn->sn_cl_members = 0;
	sn->sn_now_ns = 0;
}

/*
 * The latest CLOCK_MONOTONIC stamp an instance wrote: its LMON's NM slot
 * moves every member heartbeat, so this trails the instance's "now" by
 * about that period at most.
 */
static uint64_t snap_newest_stamp(const struct snap *sn)
{
	uint64_t newest = 0;

	for (int i = 0; i < sn->sn_nnm; i++)
		if (sn->sn_nm[i].nm_hb_mono_ns > newest)
			newest = sn->sn_nm[i].nm_hb_mono_ns;
	for (int n = 0; n < sn->sn_npeer; n++) {
		if (sn->sn_peer[n].pr_net_last_ns > newest)
			newest = sn->sn_peer[n].pr_net_last_ns;
		if (sn->sn_peer[n].pr_disk_last_ns > newest)
			newest = sn->sn_peer[n].pr_disk_last_ns;
	}
	return newest;
}

void snap_take(struct snap *sn, const struct rac_config *cfg, int inst)
{
	char name[128];
	struct sga sga;
	int rc;

	snap_reset(sn, inst);
	config_sga_name(cfg, inst, name, sizeof name);
	memset(&sga, 0, sizeof sga);
	rc = sga_attach(name, 0, &sga);
	if (rc == RAC_ESYS && errno == EACCES) {
		/* someone else's instance: say so rather than "not running" */
		snprintf(sn->sn_why, sizeof sn->sn_why, "cannot read its SGA %s: %s", name,
			 strerror(errno));
		return;
	}
	if (rc != 0)
		return;		/* no segment: not running */
	if (sga.sg_size < sizeof(struct sga_header) || !sga_owner_alive(&sga))
		goto out;	/* left by a dead instance, or still being made */
	rc = sga_validate(&sga);
	if (rc != 0) {
		/* alive, but laid out otherwise: a racsql of another version */
		snprintf(sn->sn_why, sizeof sn->sn_why, "cannot use its SGA %s: %s", name,
			 rac_strerror(rc));
		goto out;
	}
	if (sga_hdr(&sga)->sh_inst_no != inst)
		goto out;
	snap_copy(sn, &sga);
	/* after the stamps were read, so that no age comes out negative */
	sn->sn_now_ns = rac_now_mono_ns();
	sn->sn_up = true;
out:
	sga_detach(&sga);
}

/* ---- gv$: every instance ---------------------------------------------- */

/* gather_run() callback: one instance's copy, or why there is none */
static void gathered(int inst, const struct sga *sga, uint64_t at_ns, const char *why, void *arg)
{
	struct views *vw = arg;
	struct snap *sn = &vw->vw_all[inst];
	const struct rac_inst_cfg *ic = config_inst(&vw->vw_cfg, inst);
	uint64_t bit = 1ull << (inst - 1);

	snap_reset(sn, inst);
	if (sga) {
		snap_copy(sn, sga);
		/*
		 * Ages count from when the copy arrived, on the same clock when
		 * the instance runs on this machine; from another machine's
		 * stamps, only its own newest stamp means anything.
		 */
		sn->sn_now_ns = ic && config_inst_is_local(ic) ? at_ns : snap_newest_stamp(sn);
		sn->sn_up = true;
		vw->vw_unreachable &= ~bit;
		return;
	}
	rac_strlcpy(sn->sn_why, why, sizeof sn->sn_why);
	/* said once, when it stops answering, not before every statement */
	if (!(vw->vw_unreachable & bit)) {
		fflush(stdout);
		fprintf(stderr, "racsql: instance %d (%s) %s; its gv$ rows are missing\n", inst,
			ic ? ic->ic_name : "?", why);
	}
	vw->vw_unreachable |= bit;
}

int gather_all(struct views *vw, char *err, size_t errlen)
{
	int rc;

	if (!vw->vw_gather)
		vw->vw_gather = gather_new(&vw->vw_cfg);
	if (!vw->vw_all)
		vw->vw_all = calloc(RAC_MAX_INST + 1, sizeof(*vw->vw_all));
	if (!vw->vw_gather || !vw->vw_all) {
		snprintf(err, errlen, "out of memory");
		return RAC_ENOMEM;
	}
	rc = gather_run(vw->vw_gather, gathered, vw, err, errlen);
	if (rc == 0)
		vw->vw_all_gen = vw->vw_gen;
	return rc;
}

