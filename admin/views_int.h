/*
 * views_int.h - inside racsql's views (views.h is the outside).  Not for
 * other files of admin/.
 *
 * Four files, one concern each:
 *
 *   views.c       the catalogue (views[] and the columns of every view),
 *                 --help and completion words, and the life cycle
 *   views_snap.c  struct snap: copying an SGA (this instance's, mapped, or
 *                 a gathered copy) into one, and the gv$ gathering glue
 *   views_fill.c  the fill_*() functions that turn a snap into rows, and
 *                 the put_*() helpers that bind their columns
 *   views_sql.c   the SQLite side: the authorizer, CREATE TABLE and INSERT
 *                 text made from views[], refilling a table, views_fill()
 */
#ifndef RACSQL_VIEWS_INT_H
#define RACSQL_VIEWS_INT_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "rac.h"
#include "config.h"
#include "sga.h"
#include "views.h"

/* What a snapshot copied out of one instance's SGA. */
struct snap {
	int sn_inst;			/* the instance it is of */
	bool sn_up;			/* running: segment valid, guardian alive */
	char sn_why[192];		/* down, but not simply absent: why */
	int32_t sn_inst_no;
	int32_t sn_member_id;
	int32_t sn_guardian_pid;
	char sn_inst_name[RAC_NAME_MAX];
	char sn_host[RAC_HOST_MAX];
	uint64_t sn_startup_us;
	uint64_t sn_incarnation;
	uint32_t sn_state;
	uint32_t sn_role;
	int sn_nnm;
	struct sga_nm_slot sn_nm[RAC_NROLES];
	int sn_ncnt;
	uint64_t sn_cnt[SGA_NCOUNTERS_USED];
	int sn_npeer;
	struct sga_peer sn_peer[RAC_MAX_INST + 1];	/* by instance number */
	int sn_nvdisk;
	struct sga_vdisk sn_vdisk[RAC_MAX_VOTING];
	/* struct sga_cluster: membership as the instance sees it */
	uint32_t sn_cl_state;		/* enum cgs_state */
	uint32_t sn_cl_step;		/* enum rcfg_step */
	uint32_t sn_cl_control;
	uint32_t sn_cl_break_inst;
	uint32_t sn_cl_recover_inst;
	uint32_t sn_cl_n_ok;
	uint64_t sn_cl_members;
	uint64_t sn_cl_incarnation;
	int sn_nrcfg;			/* entries of sn_rcfg, oldest first */
	struct sga_reconfig sn_rcfg[SGA_RCFG_HIST];
	uint64_t sn_now_ns;		/* CLOCK_MONOTONIC "now" the ages count from */
	bool sn_cfg_sga;		/* sn_cfg is the copy from the SGA */
	struct rac_config sn_cfg;
};

/* the file behind the rows of v$alert_log, to skip re-reading it */
struct alert_key {
	bool ak_valid;
	bool ak_exists;
	char ak_path[RAC_PATH_MAX + 64];
	dev_t ak_dev;
	ino_t ak_ino;
	off_t ak_size;
	struct timespec ak_mtime;
};

#define VIEWS_MAX 32	/* bits of vw_reads */

struct views {
	struct rac_config vw_cfg;	/* as loaded by racsql */
	int vw_inst;
	struct snap vw_snap;		/* vw_inst, from its own SGA */
	uint64_t vw_gen;		/* snapshots taken */
	uint64_t vw_filled[VIEWS_MAX];	/* snapshot each table was filled from, 0 none */
	struct alert_key vw_alert;	/* the file v$alert_log was filled from */
	uint32_t vw_reads;		/* views the statement being prepared reads */
	bool vw_internal;		/* our own statements: authorizer lets them write */
	char vw_denied[128];
	/* gv$: every configured instance, made on the first gv$ read */
	struct gather *vw_gather;
	struct snap *vw_all;		/* [RAC_MAX_INST + 1], by instance number */
	uint64_t vw_all_gen;		/* snapshot vw_all was gathered for, 0 none */
	uint64_t vw_unreachable;	/* bit n-1: instance n did not answer last time */
};

/* ---- rows ------------------------------------------------------------- */

/* One INSERT statement, the snapshot its rows come from, the column being bound. */
struct filler {
	struct views *fl_vw;
	const struct snap *fl_sn;
	int fl_inst_id;			/* gv$: bound first in every row; 0 for v$ */
	sqlite3_stmt *fl_st;
	int fl_col;
	int fl_rc;			/* first SQLite error */
};
/* A fill_*() function binds the columns of a row in order with put_*(),
 * then row_end(); it returns fl_rc.  It reads only f->fl_sn and the
 * configuration, never the views' own state, so that v$ and gv$ share it. */

/* ---- the views -------------------------------------------------------- */

struct view_col {
	const char *vc_name;
	const char *vc_type;
};

/* what a view_def's flags say */
#define VD_GLOBAL	0x1	/* gv$: INST_ID first, a run of rows per instance */
#define VD_DOWN_ROW	0x2	/* gv$: a row even for an instance that did not answer */

struct view_def {
	const char *vd_name;
	const char *vd_what;
	const struct view_col *vd_cols;
	int (*vd_fill)(struct filler *f);
	unsigned vd_flags;
};

/* views.c: the catalogue, views[NVIEWS] (views.c checks the count) */
#define NVIEWS 27
static_assert(NVIEWS <= VIEWS_MAX, "views[] outgrew vw_reads");
extern const struct view_def views[];
const struct view_def *view_by_name(const char *name);	/* NULL: not a view */

/* views_snap.c */
/* Nothing known yet about instance `inst`. */
void snap_reset(struct snap *sn, int inst);
/* Attach instance `inst`'s SGA (named from `cfg`) and copy it into `sn`. */
void snap_take(struct snap *sn, const struct rac_config *cfg, int inst);
/* Ask every configured instance for its SGA, for the current snapshot. */
int gather_all(struct views *vw, char *err, size_t errlen);

/* views_fill.c: the rows of each view (struct view_def.vd_fill) */
int fill_instance(struct filler *f);
int fill_process(struct filler *f);
int fill_parameter(struct filler *f);
int fill_sysstat(struct filler *f);
int fill_ges_stats(struct filler *f);
int fill_ges_resource(struct filler *f);
int fill_ges_enqueue(struct filler *f);
int fill_heartbeat(struct filler *f);
int fill_vdisk(struct filler *f);
int fill_cluster(struct filler *f);
int fill_active(struct filler *f);
int fill_history(struct filler *f);
int fill_steps(struct filler *f);
int fill_alert(struct filler *f);
/* the file behind v$alert_log now, and whether it is the one filled from */
void alert_key_now(const struct views *vw, struct alert_key *k);
bool alert_key_same(const struct alert_key *a, const struct alert_key *b);

#endif
