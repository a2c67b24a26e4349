/*
 * views.c - fill racsql's tables from snapshots of the instances.
 *
 * Two stages:
 *   views_snapshot()  attach this instance's SGA read-only, check it
 *                     (layout, instance number, guardian alive), copy the
 *                     header fields, the NM slots, the counters, the peers,
 *                     the voting disks, the membership and reconfiguration
 *                     history and the configuration in force, detach.
 *                     Anything wrong means "instance down".
 *   views_fill()      refill, from copies only, the tables that the
 *                     statement just prepared reads (the authorizer saw
 *                     them) and that are older than the snapshot, inside
 *                     one savepoint so that a failure leaves the old rows.
 *                     The alert log is read again only when the file
 *                     changed.  When a gv$ table is among them and the
 *                     cluster was not gathered for this snapshot yet, every
 *                     configured instance is asked for a copy of its SGA
 *                     first (gather.c) and each copy goes through the same
 *                     snap_copy() as the local segment.
 * Copying first keeps the time the segment is mapped short and makes the
 * views of one snapshot agree with each other; filling on demand keeps a
 * query on v$instance from paying for a long alert log or for a round
 * trip to every instance.
 *
 * Columns are listed once, in views[]; CREATE TABLE, the INSERT and
 * --help are all made from that list.  A gv$ table is its v$ twin's
 * columns after INST_ID, filled by the same function once per instance
 * (struct filler names the snapshot and the INST_ID).
 *
 * This file holds that list and the life cycle; views_int.h says which
 * file holds the rest.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "views_int.h"

/* ---- the views -------------------------------------------------------- */

static const struct view_col instance_cols[] = {
	{ "INSTANCE_NUMBER", "INTEGER" },
	{ "INSTANCE_NAME", "TEXT" },
	{ "HOST_NAME", "TEXT" },
	{ "STATUS", "TEXT" },
	{ "STARTUP_TIME", "TEXT" },
	{ "ROLE", "TEXT" },
	{ "INCARNATION", "INTEGER" },
	{ "MEMBER_ID", "INTEGER" },
	{ "GUARDIAN_PID", "INTEGER" },
	{ NULL, NULL }
};

static const struct view_col process_cols[] = {
	{ "ROLE", "TEXT" },
	{ "NAME", "TEXT" },
	{ "PID", "INTEGER" },
	{ "MEMBER_ID", "INTEGER" },
	{ "STATE", "TEXT" },
	{ "HEARTBEAT_AGE_MS", "INTEGER" },
	{ "HEARTBEATS", "INTEGER" },
	{ "PROGRAM", "TEXT" },
	{ NULL, NULL }
};

static const struct view_col parameter_cols[] = {
	{ "NAME", "TEXT" },
	{ "VALUE", "TEXT" },
	{ "DEFAULT_VALUE", "TEXT" },
	{ "ISDEFAULT", "TEXT" },
	{ "SOURCE", "TEXT" },
	{ "SECTION", "TEXT" },
	{ "DESCRIPTION", "TEXT" },
	{ NULL, NULL }
};

static const struct view_col ges_res_cols[] = {
	{ "RESOURCE_NAME", "TEXT" },
	{ "MASTER", "INTEGER" },
	{ "GRANTED", "INTEGER" },
	{ "CONVERTING", "INTEGER" },
	{ "WAITING", "INTEGER" },
	{ "VALUE_BLOCK", "TEXT" },
	{ "VALUE_BLOCK_STATE", "TEXT" },
	{ NULL, NULL }
};

static const struct view_col ges_lock_cols[] = {
	{ "RESOURCE_NAME", "TEXT" },
	{ "LOCK_ID", "TEXT" },
	{ "MASTER", "INTEGER" },
	{ "OWNER_INSTANCE", "INTEGER" },
	{ "OWNER_PID", "INTEGER" },
	{ "GRANTED_MODE", "TEXT" },
	{ "REQUESTED_MODE", "TEXT" },
	{ "STATE", "TEXT" },
	{ "BLOCKED", "TEXT" },
	{ "BLOCKER_INSTANCE", "INTEGER" },
	{ NULL, NULL }
};

static const struct view_col sysstat_cols[] = {
	{ "NAME", "TEXT" },
	{ "VALUE", "INTEGER" },
	{ NULL, NULL }
};

static const struct view_col heartbeat_cols[] = {
	{ "INSTANCE_NUMBER", "INTEGER" },
	{ "INSTANCE_NAME", "TEXT" },
	{ "NET_STATE", "TEXT" },
	{ "NET_HEARTBEAT_AGE_MS", "INTEGER" },
	{ "NET_HEARTBEATS", "INTEGER" },
	{ "DISK_STATE", "TEXT" },
	{ "DISK_HEARTBEAT_AGE_MS", "INTEGER" },
	{ "DISK_COUNTER", "INTEGER" },
	{ "HEARS", "TEXT" },
	{ NULL, NULL }
};

static const struct view_col vdisk_cols[] = {
	{ "DISK_NUMBER", "INTEGER" },
	{ "PATH", "TEXT" },
	{ "STATE", "TEXT" },
	{ "LAST_READ", "TEXT" },
	{ "LAST_WRITE", "TEXT" },
	{ "READ_ERRORS", "INTEGER" },
	{ "WRITE_ERRORS", "INTEGER" },
	{ "CORRUPT_BLOCKS", "INTEGER" },
	{ "KIND", "TEXT" },		/* FILE, BLOCK */
	{ "SECTOR_SIZE", "INTEGER" },
	{ "DIRECT_IO", "TEXT" },	/* YES, NO */
	{ "IO_AGE_MS", "INTEGER" },	/* HUNG: age of the oldest outstanding I/O */
	{ NULL, NULL }
};

static const struct view_col cluster_cols[] = {
	{ "STATUS", "TEXT" },
	{ "SUB_STATUS", "TEXT" },
	{ "CONTROL_NODE", "INTEGER" },
	{ "BREAK_INST", "INTEGER" },
	{ "RECOVER_INST", "INTEGER" },
	{ "N_OK", "INTEGER" },
	{ "INCARNATION", "INTEGER" },
	{ "MEMBERS", "TEXT" },
	{ NULL, NULL }
};

static const struct view_col active_cols[] = {
	{ "INST_NUMBER", "INTEGER" },
	{ "INST_NAME", "TEXT" },
	{ NULL, NULL }
};

static const struct view_col history_cols[] = {
	{ "RECONFIG_ID", "INTEGER" },
	{ "OLD_INCARNATION", "INTEGER" },
	{ "NEW_INCARNATION", "INTEGER" },
	{ "REASON", "TEXT" },
	{ "STATUS", "TEXT" },
	{ "MEMBERS_BEFORE", "TEXT" },
	{ "MEMBERS_AFTER", "TEXT" },
	{ "EVICTED", "TEXT" },
	{ "START_TIME", "TEXT" },
	{ "END_TIME", "TEXT" },
	{ "DURATION_MS", "REAL" },
	{ "DETAIL", "TEXT" },
	{ NULL, NULL }
};

static const struct view_col steps_cols[] = {
	{ "RECONFIG_ID", "INTEGER" },
	{ "STEP", "INTEGER" },
	{ "NAME", "TEXT" },
	{ "START_TIME", "TEXT" },
	{ "DURATION_MS", "REAL" },
	{ NULL, NULL }
};

static const struct view_col alert_cols[] = {
	{ "RECORD_ID", "INTEGER" },
	{ "ORIGINATING_TIMESTAMP", "TEXT" },
	{ "MESSAGE_TEXT", "TEXT" },
	{ NULL, NULL }
};

const struct view_def views[] = {
	{ "v$instance", "instance (this one; DOWN when not running)",
	  instance_cols, fill_instance, 0 },
	{ "v$process", "member process of the NM group",
	  process_cols, fill_process, 0 },
	{ "v$parameter", "parameter in force, with default and source",
	  parameter_cols, fill_parameter, 0 },
	{ "v$sysstat", "instance counter",
	  sysstat_cols, fill_sysstat, 0 },
	{ "v$ges_resource", "resource this instance's LMS masters: queue lengths, value "
	  "block and whether it is dubious", ges_res_cols, fill_ges_resource, 0 },
	{ "v$ges_enqueue", "lock on a resource this instance's LMS masters: owner "
	  "instance and pid, granted and requested mode, state, blocker",
	  ges_lock_cols, fill_ges_enqueue, 0 },
	{ "v$ges_statistics", "lock manager counter (requests, grants, conversions, remote "
	  "messages, blocking notifications, deadlocks, bad requests, dead clients, frozen "
	  "requests, remastered resources, freeze time)",
	  sysstat_cols, fill_ges_stats, 0 },
	{ "v$heartbeat", "other instance: its heartbeats as seen here",
	  heartbeat_cols, fill_heartbeat, 0 },
	{ "v$voting_disk", "voting disk: state, last I/O, errors",
	  vdisk_cols, fill_vdisk, 0 },
	{ "v$cluster", "instance: membership, reconfiguration status",
	  cluster_cols, fill_cluster, 0 },
	{ "v$active_instances", "member of the current membership",
	  active_cols, fill_active, 0 },
	{ "v$reconfig_history", "reconfiguration seen here (the last 32)",
	  history_cols, fill_history, 0 },
	{ "v$reconfig_steps", "step 1-7 of each of those reconfigurations",
	  steps_cols, fill_steps, 0 },
	{ "v$alert_log", "alert log entry",
	  alert_cols, fill_alert, 0 },
	/* gv$: INST_ID and the v$ twin's columns (views_describe() says so) */
	{ "gv$instance", NULL, instance_cols, fill_instance, VD_GLOBAL | VD_DOWN_ROW },
	{ "gv$process", NULL, process_cols, fill_process, VD_GLOBAL },
	{ "gv$parameter", NULL, parameter_cols, fill_parameter, VD_GLOBAL },
	{ "gv$sysstat", NULL, sysstat_cols, fill_sysstat, VD_GLOBAL },
	{ "gv$ges_statistics", NULL, sysstat_cols, fill_ges_stats, VD_GLOBAL },
	{ "gv$ges_resource", NULL, ges_res_cols, fill_ges_resource, VD_GLOBAL },
	{ "gv$ges_enqueue", NULL, ges_lock_cols, fill_ges_enqueue, VD_GLOBAL },
	{ "gv$heartbeat", NULL, heartbeat_cols, fill_heartbeat, VD_GLOBAL },
	{ "gv$voting_disk", NULL, vdisk_cols, fill_vdisk, VD_GLOBAL },
	{ "gv$cluster", NULL, cluster_cols, fill_cluster, VD_GLOBAL },
	{ "gv$active_instances", NULL, active_cols, fill_active, VD_GLOBAL },
	{ "gv$reconfig_history", NULL, history_cols, fill_history, VD_GLOBAL },
	{ "gv$reconfig_steps", NULL, steps_cols, fill_steps, VD_GLOBAL },
};
static_assert(sizeof(views) / sizeof(views[0]) == NVIEWS, "NVIEWS (views_int.h) counts views[]");

const struct view_def *view_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < NVIEWS; i++)
		if (sqlite3_stricmp(name, views[i].vd_name) == 0)
			return &views[i];
	return NULL;
}

const char *views_word(size_t n)
{
	for (size_t i = 0; i < NVIEWS; i++) {
		if (n == 0)
			return views[i].vd_name;
		n--;
		if (views[i].vd_flags & VD_GLOBAL) {
			if (n == 0)
				return "INST_ID";
			n--;
		}
		for (const struct view_col *c = views[i].vd_cols; c->vc_name; c++, n--)
			if (n == 0)
				return c->vc_name;
	}
	return NULL;
}

/* `word` at *col on a line of at most 78 columns, wrapping with an indent */
static void describe_word(FILE *fp, const char *word, int *col)
{
	int w = (int)strlen(word) + 1;

	if (*col + w > 78) {
		fputs("\n   ", fp);
		*col = 4;
	}
	fprintf(fp, " %s", word);
	*col += w;
}

void views_describe(FILE *fp)
{
	int col;

	for (size_t i = 0; i < NVIEWS; i++) {
		const struct view_def *v = &views[i];

		if (v->vd_flags & VD_GLOBAL)
			continue;
		fprintf(fp, "  %-18s one row per %s\n   ", v->vd_name, v->vd_what);
		col = 4;
		for (const struct view_col *c = v->vd_cols; c->vc_name; c++)
			describe_word(fp, c->vc_name, &col);
		putc('\n', fp);
	}
	/* the gv$ views: their v$ twin's columns, so just their names */
	fputs(" ", fp);
	col = 1;
	for (size_t i = 0; i < NVIEWS; i++)
		if (views[i].vd_flags & VD_GLOBAL)
			describe_word(fp, views[i].vd_name, &col);
	fputs("\n    INST_ID, then the columns of the v$ view, with the rows of every\n"
	      "    configured instance; gv$instance has STATUS UNREACHABLE (and NULLs) for\n"
	      "    an instance that did not answer, the others have no rows for it\n", fp);
}


/* ---- life cycle ------------------------------------------------------- */

struct views *views_new(const struct rac_config *cfg, int inst)
{
	struct views *vw = calloc(1, sizeof(*vw));

	if (!vw)
		return NULL;
	vw->vw_cfg = *cfg;
	vw->vw_inst = inst;
	snap_reset(&vw->vw_snap, inst);
	return vw;
}

void views_destroy(struct views **vwp)
{
	if (!vwp || !*vwp)
		return;
	gather_destroy(&(*vwp)->vw_gather);
	ges_done();
	free((*vwp)->vw_all);
	free(*vwp);
	*vwp = NULL;
}

bool views_instance_up(const struct views *vw)
{
	return vw->vw_snap.sn_up;
}

const char *views_down_reason(const struct views *vw)
{
	return !vw->vw_snap.sn_up && vw->vw_snap.sn_why[0] ? vw->vw_snap.sn_why : NULL;
}

void views_snapshot(struct views *vw)
{
	snap_take(&vw->vw_snap, &vw->vw_cfg, vw->vw_inst);
	vw->vw_gen++;
}

void views_reads_reset(struct views *vw)
{
	vw->vw_reads = 0;
}
