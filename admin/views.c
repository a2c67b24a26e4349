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
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rac.h"
#include "errors.h"
#include "config.h"
#include "log.h"
#include "sga.h"
#include "disk.h"
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

static void note_rc(struct filler *f, int rc)
{
	if (rc != SQLITE_OK && f->fl_rc == SQLITE_OK)
		f->fl_rc = rc;
}

/* the column to bind next; a gv$ row starts with its INST_ID */
static int next_col(struct filler *f)
{
	if (f->fl_col == 0 && f->fl_inst_id > 0)
		note_rc(f, sqlite3_bind_int(f->fl_st, ++f->fl_col, f->fl_inst_id));
	return ++f->fl_col;
}

static void put_int(struct filler *f, int64_t v)
{
	note_rc(f, sqlite3_bind_int64(f->fl_st, next_col(f), v));
}

/* uint64 counters: SQLite integers are signed 64-bit */
static void put_uint(struct filler *f, uint64_t v)
{
	put_int(f, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

static void put_real(struct filler *f, double v)
{
	note_rc(f, sqlite3_bind_double(f->fl_st, next_col(f), v));
}

static void put_text(struct filler *f, const char *s)
{
	int col = next_col(f);

	note_rc(f, s ? sqlite3_bind_text(f->fl_st, col, s, -1, SQLITE_TRANSIENT)
		     : sqlite3_bind_null(f->fl_st, col));
}

static void put_textn(struct filler *f, const char *s, size_t n)
{
	note_rc(f, sqlite3_bind_text64(f->fl_st, next_col(f), s, n, SQLITE_TRANSIENT,
				       SQLITE_UTF8));
}

static void put_null(struct filler *f)
{
	put_text(f, NULL);
}

/* an instance number, NULL for "none" (0) */
static void put_inst(struct filler *f, uint32_t inst)
{
	if (inst == 0)
		put_null(f);
	else
		put_int(f, inst);
}

/* milliseconds since a CLOCK_MONOTONIC stamp; NULL for "never" (0) */
static void put_age(struct filler *f, uint64_t then_ns)
{
	uint64_t now = f->fl_sn->sn_now_ns;

	if (then_ns == 0)
		put_null(f);
	else if (then_ns >= now)
		put_int(f, 0);
	else
		put_uint(f, (now - then_ns) / 1000000u);
}

/* an ISO timestamp, NULL for 0 */
static void put_time(struct filler *f, uint64_t us)
{
	char when[64];

	if (us == 0) {
		put_null(f);
		return;
	}
	rac_fmt_iso(us, when, sizeof when);
	put_text(f, when);
}

/* "1 2 3" for a bitmap of instances (bit n-1 = instance n), "" when empty */
static void bitmap_text(uint64_t bits, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int n = 1; n <= RAC_MAX_INST && used < len; n++)
		if (bits & (1ull << (n - 1)))
			used += (size_t)snprintf(buf + used, len - used, "%s%d", used ? " " : "", n);
}

static void put_bitmap(struct filler *f, uint64_t bits)
{
	char text[3 * RAC_MAX_INST + 1];

	bitmap_text(bits, text, sizeof text);
	put_text(f, text);
}

static void row_end(struct filler *f)
{
	if (f->fl_rc == SQLITE_OK) {
		int rc = sqlite3_step(f->fl_st);

		if (rc != SQLITE_DONE)
			f->fl_rc = rc;
	}
	sqlite3_reset(f->fl_st);
	sqlite3_clear_bindings(f->fl_st);
	f->fl_col = 0;
}

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

/* the configuration in force for a snapshot: its SGA's copy while it runs */
static const struct rac_config *snap_cfg(const struct views *vw, const struct snap *sn)
{
	return sn->sn_cfg_sga ? &sn->sn_cfg : &vw->vw_cfg;
}

static const struct rac_config *cfg_in_force(const struct filler *f)
{
	return snap_cfg(f->fl_vw, f->fl_sn);
}

static int fill_instance(struct filler *f)
{
	const struct snap *sn = f->fl_sn;

	if (!sn->sn_up) {
		/* what the configuration knows, NULL for the rest */
		const struct rac_inst_cfg *ic = config_inst(cfg_in_force(f), sn->sn_inst);

		put_int(f, sn->sn_inst);
		put_text(f, ic ? ic->ic_name : NULL);
		put_text(f, ic ? ic->ic_host : NULL);
		/* gv$: no answer over the interconnect is not proof that it is down */
		put_text(f, f->fl_inst_id ? "UNREACHABLE" : "DOWN");
		for (int i = 0; i < 5; i++)
			put_null(f);
		row_end(f);
		return f->fl_rc;
	}
	put_int(f, sn->sn_inst_no);
	put_text(f, sn->sn_inst_name);
	put_text(f, sn->sn_host);
	put_text(f, sga_state_str(sn->sn_state));
	put_time(f, sn->sn_startup_us);
	put_text(f, sga_role_str(sn->sn_role));
	put_uint(f, sn->sn_incarnation);
	if (sn->sn_member_id >= 0)
		put_int(f, sn->sn_member_id);
	else
		put_null(f);	/* LMON has not registered yet */
	put_int(f, sn->sn_guardian_pid);
	row_end(f);
	return f->fl_rc;
}

static int fill_process(struct filler *f)
{
	const struct snap *sn = f->fl_sn;

	for (int i = 0; i < sn->sn_nnm && f->fl_rc == SQLITE_OK; i++) {
		const struct sga_nm_slot *nm = &sn->sn_nm[i];
		char title[64];

		if (nm->nm_state == NM_FREE)
			continue;
		put_text(f, nm->nm_primary ? "PRIMARY" : "SLAVE");
		put_text(f, nm->nm_name);
		put_int(f, nm->nm_pid);
		if (nm->nm_member_id >= 0)
			put_int(f, nm->nm_member_id);
		else
			put_null(f);
		put_text(f, sga_nm_state_str(nm->nm_state));
		put_age(f, nm->nm_hb_mono_ns);
		put_uint(f, nm->nm_hb_count);
		if (nm->nm_role < RAC_NROLES &&
		    proc_title((enum rac_role)nm->nm_role, sn->sn_inst_name, title, sizeof title) == 0)
			put_text(f, title);
		else
			put_null(f);
		row_end(f);
	}
	return f->fl_rc;
}

static void parameter_row(const struct cfg_param *p, void *arg)
{
	struct filler *f = arg;

	if (f->fl_rc != SQLITE_OK)
		return;
	put_text(f, p->p_name);
	put_text(f, p->p_value);
	put_text(f, p->p_default && p->p_default[0] ? p->p_default : NULL);
	put_text(f, p->p_source && strcmp(p->p_source, "default") == 0 ? "TRUE" : "FALSE");
	put_text(f, p->p_source);
	put_text(f, p->p_section);
	put_text(f, p->p_description);
	row_end(f);
}

static int fill_parameter(struct filler *f)
{
	config_foreach_param(cfg_in_force(f), f->fl_sn->sn_inst, parameter_row, f);
	return f->fl_rc;
}

static int fill_sysstat(struct filler *f)
{
	const struct snap *sn = f->fl_sn;

	for (int c = 0; c < sn->sn_ncnt && f->fl_rc == SQLITE_OK; c++) {
		const char *name = sga_counter_name(c);

		if (!name)
			continue;
		put_text(f, name);
		put_uint(f, sn->sn_cnt[c]);
		row_end(f);
	}
	return f->fl_rc;
}

/* the lock manager's counters: the "ges ..." counters, named without the prefix */
static int fill_ges_stats(struct filler *f)
{
	const struct snap *sn = f->fl_sn;

	for (int c = 0; c < sn->sn_ncnt && f->fl_rc == SQLITE_OK; c++) {
		const char *name = sga_counter_name(c);

		if (!name || strncmp(name, "ges ", 4))
			continue;
		put_text(f, name + 4);
		put_uint(f, sn->sn_cnt[c]);
		row_end(f);
	}
	return f->fl_rc;
}

static const char *mode_name(int m)
{
	static const char *names[] = { "NL", "CR", "CW", "PR", "PW", "EX" };

	return m >= 0 && m < 6 ? names[m] : NULL;
}

/* a resource name for a view: printable bytes as they are, others as \xNN */
static void put_name(struct filler *f, const uint8_t *name, size_t n)
{
	char buf[4 * 64 + 1];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o,
				      name[i] >= 0x20 && name[i] < 0x7f && name[i] != '\\' ?
				      "%c" : "\\x%02x", name[i]);
	put_textn(f, buf, o);
}

/*
 * v$ges_resource and v$ges_enqueue: asked of the instance's LMS, which knows
 * the resources it masters and every lock on them.
 */
static int fill_ges(struct filler *f, bool locks)
{
	const struct snap *sn = f->fl_sn;
	uint8_t *p = NULL, name[64];
	size_t len = 0;
	char err[256];
	struct blk_cursor c;
	uint32_t nres, nlocks;

	if (!sn->sn_up || ges_fetch(cfg_in_force(f), sn->sn_inst, &p, &len, err, sizeof(err)))
		return f->fl_rc;	/* down or silent: no rows */
	cur_init_read(&c, p, len);
	nres = get_u32(&c);
	nlocks = get_u32(&c);
	(void)get_u8(&c);
	for (uint32_t i = 0; i < nres && !c.c_err && f->fl_rc == SQLITE_OK; i++) {
		uint8_t nl = get_u8(&c), lvb[32];
		uint32_t g, cv, w;
		uint8_t dub;
		char hex[65];

		get_bytes(&c, name, nl > 64 ? 64 : nl);
		g = get_u32(&c);
		cv = get_u32(&c);
		w = get_u32(&c);
		dub = get_u8(&c);
		get_bytes(&c, lvb, sizeof(lvb));
		if (locks || c.c_err || nl > 64)
			continue;
		for (int k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", lvb[k]);
		put_name(f, name, nl);
		put_int(f, sn->sn_inst);
		put_int(f, g);
		put_int(f, cv);
		put_int(f, w);
		put_text(f, hex);
		put_text(f, dub ? "DUBIOUS" : "VALID");
		row_end(f);
	}
	for (uint32_t i = 0; locks && i < nlocks && !c.c_err && f->fl_rc == SQLITE_OK; i++) {
		uint8_t nl = get_u8(&c), oinst, st, blocked, binst;
		uint64_t lkid;
		uint32_t pid;
		int8_t gr, rq;
		char id[24];

		get_bytes(&c, name, nl > 64 ? 64 : nl);
		lkid = get_u64(&c);
		oinst = get_u8(&c);
		(void)get_u32(&c);
		pid = get_u32(&c);
		gr = (int8_t)get_u8(&c);
		rq = (int8_t)get_u8(&c);
		st = get_u8(&c);
		blocked = get_u8(&c);
		binst = get_u8(&c);
		if (c.c_err || nl > 64)
			break;
		snprintf(id, sizeof(id), "0x%016llx", (unsigned long long)lkid);
		put_name(f, name, nl);
		put_text(f, id);
		put_int(f, sn->sn_inst);
		put_int(f, oinst);
		if (pid)
			put_int(f, pid);
		else
			put_null(f);
		if (mode_name(gr))
			put_text(f, mode_name(gr));
		else
			put_null(f);
		if (mode_name(rq))
			put_text(f, mode_name(rq));
		else
			put_null(f);
		put_text(f, st == 0 ? "GRANTED" : st == 1 ? "CONVERTING" : "WAITING");
		put_text(f, blocked ? "YES" : "NO");
		if (blocked && binst)
			put_int(f, binst);
		else
			put_null(f);
		row_end(f);
	}
	free(p);
	return f->fl_rc;
}

static int fill_ges_resource(struct filler *f)
{
	return fill_ges(f, false);
}

static int fill_ges_enqueue(struct filler *f)
{
	return fill_ges(f, true);
}

/* one row per other configured instance, as this instance's LMON sees it */
static int fill_heartbeat(struct filler *f)
{
	const struct snap *sn = f->fl_sn;
	const struct rac_config *cfg = cfg_in_force(f);

	for (int n = 1; n < sn->sn_npeer && f->fl_rc == SQLITE_OK; n++) {
		const struct rac_inst_cfg *ic = config_inst(cfg, n);
		const struct sga_peer *p = &sn->sn_peer[n];
		char hears[3 * RAC_MAX_INST + 1];

		if (!ic || n == sn->sn_inst)
			continue;
		/* pr_heard is the peer's own heartbeat bitmap: bit k-1 = instance k */
		bitmap_text(p->pr_heard, hears, sizeof hears);
		put_int(f, n);
		put_text(f, ic->ic_name);
		put_text(f, sga_peer_state_str(p->pr_net_state));
		put_age(f, p->pr_net_last_ns);
		put_uint(f, p->pr_net_count);
		put_text(f, sga_peer_state_str(p->pr_disk_state));
		put_age(f, p->pr_disk_last_ns);
		put_uint(f, p->pr_disk_counter);
		put_text(f, p->pr_net_last_ns ? hears : NULL);
		row_end(f);
	}
	return f->fl_rc;
}

/* one row per configured voting disk */
static int fill_vdisk(struct filler *f)
{
	const struct snap *sn = f->fl_sn;
	int ndisk = cfg_in_force(f)->cf_nvoting;

	for (int d = 0; d < ndisk && d < sn->sn_nvdisk && f->fl_rc == SQLITE_OK; d++) {
		const struct sga_vdisk *v = &sn->sn_vdisk[d];

		put_int(f, d + 1);
		put_text(f, v->vd_path);
		put_text(f, sga_vdisk_state_str(v->vd_state));
		put_time(f, v->vd_last_read_us);
		put_time(f, v->vd_last_write_us);
		put_uint(f, v->vd_read_errors);
		put_uint(f, v->vd_write_errors);
		put_uint(f, v->vd_corrupt);
		row_end(f);
	}
	return f->fl_rc;
}

/* one row: the membership and reconfiguration status as this instance sees it */
static int fill_cluster(struct filler *f)
{
	const struct snap *sn = f->fl_sn;

	if (!sn->sn_up)
		return SQLITE_OK;
	put_text(f, sga_cgs_state_str(sn->sn_cl_state));
	put_text(f, sga_step_str(sn->sn_cl_step));
	put_inst(f, sn->sn_cl_control);
	put_inst(f, sn->sn_cl_break_inst);
	put_inst(f, sn->sn_cl_recover_inst);
	put_int(f, sn->sn_cl_n_ok);
	put_uint(f, sn->sn_cl_incarnation);
	put_bitmap(f, sn->sn_cl_members);
	row_end(f);
	return f->fl_rc;
}

/* one row per member of the current membership */
static int fill_active(struct filler *f)
{
	const struct snap *sn = f->fl_sn;
	const struct rac_config *cfg = cfg_in_force(f);

	if (!sn->sn_up)
		return SQLITE_OK;
	for (int n = 1; n <= RAC_MAX_INST && f->fl_rc == SQLITE_OK; n++) {
		const struct rac_inst_cfg *ic = config_inst(cfg, n);

		if (!(sn->sn_cl_members & (1ull << (n - 1))))
			continue;
		put_int(f, n);
		put_text(f, ic ? ic->ic_name : NULL);
		row_end(f);
	}
	return f->fl_rc;
}

/* struct sga_reconfig.rc_done */
static const char *rcfg_status_str(uint32_t done)
{
	static const char *names[] = { "IN PROGRESS", "COMPLETE", "RESTARTED", "EVICTED" };

	return done < sizeof(names) / sizeof(names[0]) ? names[done] : "INVALID";
}

/* one row per reconfiguration still in the ring */
static int fill_history(struct filler *f)
{
	const struct snap *sn = f->fl_sn;

	for (int i = 0; i < sn->sn_nrcfg && f->fl_rc == SQLITE_OK; i++) {
		const struct sga_reconfig *rc = &sn->sn_rcfg[i];

		put_uint(f, rc->rc_id);
		put_uint(f, rc->rc_old_inc);
		if (rc->rc_new_inc)
			put_uint(f, rc->rc_new_inc);
		else
			put_null(f);	/* IMR has not decided yet */
		put_text(f, sga_reason_str(rc->rc_reason));
		put_text(f, rcfg_status_str(rc->rc_done));
		put_bitmap(f, rc->rc_before);
		put_bitmap(f, rc->rc_after);
		put_bitmap(f, rc->rc_evicted);
		put_time(f, rc->rc_start_us);
		put_time(f, rc->rc_end_us);
		if (rc->rc_end_us && rc->rc_start_us)
			put_real(f, ((double)rc->rc_end_us - (double)rc->rc_start_us) / 1000.0);
		else
			put_null(f);	/* still running */
		put_text(f, rc->rc_detail);
		row_end(f);
	}
	return f->fl_rc;
}

/* one row per step of each reconfiguration still in the ring */
static int fill_steps(struct filler *f)
{
	const struct snap *sn = f->fl_sn;

	for (int i = 0; i < sn->sn_nrcfg && f->fl_rc == SQLITE_OK; i++) {
		const struct sga_reconfig *rc = &sn->sn_rcfg[i];
		uint32_t last = 0;	/* the last step that started */

		for (uint32_t s = RCFG_NONE + 1; s < RCFG_NSTEPS; s++)
			if (rc->rc_step_start_us[s])
				last = s;
		for (uint32_t s = RCFG_NONE + 1; s < RCFG_NSTEPS && f->fl_rc == SQLITE_OK; s++) {
			put_uint(f, rc->rc_id);
			put_int(f, s);
			put_text(f, sga_step_str(s));
			put_time(f, rc->rc_step_start_us[s]);
			/*
			 * A step's duration is written when the next one starts:
			 * none for a step that never ran, nor for the one still
			 * running or cut short by a restart.
			 */
			if (!rc->rc_step_start_us[s] ||
			    (s == last && rc->rc_done != 1 && rc->rc_step_us[s] == 0))
				put_null(f);
			else
				put_real(f, (double)rc->rc_step_us[s] / 1000.0);
			row_end(f);
		}
	}
	return f->fl_rc;
}

static int alert_row(long id, const char *ts, const char *text, size_t len, void *arg)
{
	struct filler *f = arg;

	put_int(f, id);
	put_text(f, ts);
	put_textn(f, text, len);
	row_end(f);
	return f->fl_rc;
}

static void alert_path(const struct views *vw, char *buf, size_t len)
{
	const struct rac_inst_cfg *ic = config_inst(snap_cfg(vw, &vw->vw_snap), vw->vw_inst);

	if (ic)
		log_alert_path(ic->ic_local_dir, ic->ic_name, buf, len);
	else
		buf[0] = '\0';
}

static void alert_key_now(const struct views *vw, struct alert_key *k)
{
	struct stat st;

	memset(k, 0, sizeof(*k));
	alert_path(vw, k->ak_path, sizeof k->ak_path);
	k->ak_valid = true;
	if (k->ak_path[0] && stat(k->ak_path, &st) == 0) {
		k->ak_exists = true;
		k->ak_dev = st.st_dev;
		k->ak_ino = st.st_ino;
		k->ak_size = st.st_size;
		k->ak_mtime = st.st_mtim;
	}
}

static bool alert_key_same(const struct alert_key *a, const struct alert_key *b)
{
	return a->ak_valid && b->ak_valid && strcmp(a->ak_path, b->ak_path) == 0 &&
	       a->ak_exists == b->ak_exists && a->ak_dev == b->ak_dev && a->ak_ino == b->ak_ino &&
	       a->ak_size == b->ak_size && a->ak_mtime.tv_sec == b->ak_mtime.tv_sec &&
	       a->ak_mtime.tv_nsec == b->ak_mtime.tv_nsec;
}

static int fill_alert(struct filler *f)
{
	char err[RAC_PATH_MAX + 128];
	char path[RAC_PATH_MAX + 64];
	int rc;

	alert_path(f->fl_vw, path, sizeof path);
	if (!path[0])
		return SQLITE_OK;
	err[0] = '\0';
	rc = alertlog_foreach(path, alert_row, f, err, sizeof err);
	if (rc < 0) {
		/* an unreadable log leaves the view empty, with a word why */
		fflush(stdout);
		fprintf(stderr, "racsql: %s\n", err);
		return SQLITE_OK;
	}
	return f->fl_rc;
}

static const struct view_def views[] = {
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
#define NVIEWS (sizeof(views) / sizeof(views[0]))
static_assert(NVIEWS <= VIEWS_MAX, "views[] outgrew vw_reads");

static const struct view_def *view_by_name(const char *name)
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
	for (int i = 0; i < RAC_MAX_VOTING; i++)
		TERMINATE(c->cf_voting[i]);
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

/* Nothing known yet about instance `inst`. */
static void snap_reset(struct snap *sn, int inst)
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

static void snap_take(struct views *vw)
{
	struct snap *sn = &vw->vw_snap;
	char name[128];
	struct sga sga;
	int rc;

	snap_reset(sn, vw->vw_inst);
	config_sga_name(&vw->vw_cfg, vw->vw_inst, name, sizeof name);
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
	if (sga_hdr(&sga)->sh_inst_no != vw->vw_inst)
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

/* Ask every configured instance for its SGA, for the current snapshot. */
static int gather_all(struct views *vw, char *err, size_t errlen)
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

/* ---- authorizer ------------------------------------------------------- */

/*
 * Notes which views a statement reads, for views_fill().
 * The views are read-only: refuse statements that would write, drop,
 * alter, index or put triggers on them (a trigger or a unique index could
 * make the next refresh fail).  Our own refresh statements run with
 * vw_internal set.
 */
static int views_authorize(void *arg, int action, const char *a1, const char *a2,
			   const char *dbname, const char *trigger)
{
	struct views *vw = arg;
	const struct view_def *v = NULL;

	(void)dbname;
	(void)trigger;
	if (vw->vw_internal)
		return SQLITE_OK;
	switch (action) {
	case SQLITE_READ:
		/* remember which views the statement needs filled */
		if ((v = view_by_name(a1)) != NULL)
			vw->vw_reads |= 1u << (v - views);
		return SQLITE_OK;
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
	case SQLITE_DROP_TABLE:
	case SQLITE_DROP_TEMP_TABLE:
		v = view_by_name(a1);
		break;
	case SQLITE_ALTER_TABLE:
	case SQLITE_CREATE_INDEX:
	case SQLITE_CREATE_TEMP_INDEX:
	case SQLITE_CREATE_TRIGGER:
	case SQLITE_CREATE_TEMP_TRIGGER:
		v = view_by_name(a2);
		break;
	default:
		break;
	}
	if (!v)
		return SQLITE_OK;
	snprintf(vw->vw_denied, sizeof vw->vw_denied, "%s is a read-only view", v->vd_name);
	return SQLITE_DENY;
}

const char *views_denied(const struct views *vw)
{
	return vw->vw_denied[0] ? vw->vw_denied : NULL;
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

static int exec_sql(sqlite3 *db, const char *sql, const char *what, char *err, size_t errlen)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
	return RAC_EIO;
}

/* "CREATE TABLE name (A INTEGER, ...)" or "INSERT INTO name VALUES (?, ...)" */
static char *view_sql(const struct view_def *v, bool create)
{
	sqlite3_str *s = sqlite3_str_new(NULL);

	bool first = true;

	if (create) {
		sqlite3_str_appendf(s, "CREATE TABLE %s (", v->vd_name);
		if (v->vd_flags & VD_GLOBAL) {
			sqlite3_str_appendall(s, "INST_ID INTEGER");
			first = false;
		}
		for (const struct view_col *c = v->vd_cols; c->vc_name; c++, first = false)
			sqlite3_str_appendf(s, "%s%s %s", first ? "" : ", ", c->vc_name, c->vc_type);
	} else {
		sqlite3_str_appendf(s, "INSERT INTO %s VALUES (", v->vd_name);
		if (v->vd_flags & VD_GLOBAL) {
			sqlite3_str_appendall(s, "?");
			first = false;
		}
		for (const struct view_col *c = v->vd_cols; c->vc_name; c++, first = false)
			sqlite3_str_appendf(s, "%s?", first ? "" : ", ");
	}
	sqlite3_str_appendall(s, ")");
	return sqlite3_str_finish(s);	/* NULL when out of memory */
}

int views_create(struct views *vw, sqlite3 *db, char *err, size_t errlen)
{
	int rc = 0;

	for (size_t i = 0; i < NVIEWS && rc == 0; i++) {
		char *sql = view_sql(&views[i], true);

		if (!sql) {
			snprintf(err, errlen, "out of memory");
			return RAC_ENOMEM;
		}
		rc = exec_sql(db, sql, views[i].vd_name, err, errlen);
		sqlite3_free(sql);
	}
	if (rc == 0 && sqlite3_set_authorizer(db, views_authorize, vw) != SQLITE_OK) {
		snprintf(err, errlen, "cannot install the authorizer: %s", sqlite3_errmsg(db));
		rc = RAC_EIO;
	}
	return rc;
}

/* Empty one table and fill it again. */
static int refill(struct views *vw, sqlite3 *db, const struct view_def *v, char *err, size_t errlen)
{
	struct filler f = { .fl_vw = vw, .fl_rc = SQLITE_OK };
	char del[64];
	char *sql;
	int rc;

	snprintf(del, sizeof del, "DELETE FROM %s", v->vd_name);
	rc = exec_sql(db, del, v->vd_name, err, errlen);
	if (rc)
		return rc;
	sql = view_sql(v, false);
	if (!sql) {
		snprintf(err, errlen, "out of memory");
		return RAC_ENOMEM;
	}
	rc = sqlite3_prepare_v2(db, sql, -1, &f.fl_st, NULL);
	sqlite3_free(sql);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", v->vd_name, sqlite3_errmsg(db));
		return RAC_EIO;
	}
	if (v->vd_flags & VD_GLOBAL) {
		/* a run of rows per configured instance, from what it sent */
		rc = SQLITE_OK;
		for (int inst = 1; inst <= RAC_MAX_INST && rc == SQLITE_OK; inst++) {
			const struct snap *sn = &vw->vw_all[inst];

			if (!config_inst(&vw->vw_cfg, inst) ||
			    (!sn->sn_up && !(v->vd_flags & VD_DOWN_ROW)))
				continue;
			f.fl_sn = sn;
			f.fl_inst_id = inst;
			rc = v->vd_fill(&f);
		}
	} else {
		f.fl_sn = &vw->vw_snap;
		rc = v->vd_fill(&f);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", v->vd_name,
			 rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
		rc = RAC_EIO;
	}
	sqlite3_finalize(f.fl_st);
	return rc;
}

void views_snapshot(struct views *vw)
{
	snap_take(vw);
	vw->vw_gen++;
}

void views_reads_reset(struct views *vw)
{
	vw->vw_reads = 0;
}

/* Does the statement prepared since views_reads_reset() read view i? */
static bool view_read(const struct views *vw, size_t i)
{
	/*
	 * Before 3.40 (the oldest version this was checked with) SQLite may
	 * not report the tables of count(*) to the authorizer: fill them all.
	 */
	if (sqlite3_libversion_number() < 3040000)
		return true;
	return vw->vw_reads & (1u << i);
}

int views_fill(struct views *vw, sqlite3 *db, char *err, size_t errlen)
{
	/*
	 * Inside the user's own transaction the rows may yet be rolled back,
	 * so what is filled there is not remembered as filled.
	 */
	bool in_txn = !sqlite3_get_autocommit(db);
	struct alert_key key;
	bool todo[NVIEWS];
	bool any = false, global = false;
	int rc;

	for (size_t i = 0; i < NVIEWS; i++) {
		todo[i] = false;
		if (!view_read(vw, i))
			continue;
		if (views[i].vd_fill == fill_alert) {
			/* the file, not the SGA, says whether it changed */
			alert_key_now(vw, &key);
			todo[i] = !alert_key_same(&key, &vw->vw_alert);
		} else {
			todo[i] = vw->vw_filled[i] != vw->vw_gen;
		}
		any |= todo[i];
		global |= todo[i] && (views[i].vd_flags & VD_GLOBAL);
	}
	if (!any)
		return 0;
	/* before the savepoint: it waits on the network, not on the database */
	if (global && vw->vw_all_gen != vw->vw_gen) {
		rc = gather_all(vw, err, errlen);
		if (rc)
			return rc;
	}

	vw->vw_internal = true;
	rc = exec_sql(db, "SAVEPOINT views_fill", "refresh", err, errlen);
	if (rc)
		goto out;
	for (size_t i = 0; i < NVIEWS && rc == 0; i++)
		if (todo[i])
			rc = refill(vw, db, &views[i], err, errlen);
	if (rc) {
		sqlite3_exec(db, "ROLLBACK TO views_fill", NULL, NULL, NULL);
		sqlite3_exec(db, "RELEASE views_fill", NULL, NULL, NULL);
		goto out;
	}
	rc = exec_sql(db, "RELEASE views_fill", "refresh", err, errlen);
	if (rc)
		goto out;
	for (size_t i = 0; i < NVIEWS; i++) {
		if (!todo[i])
			continue;
		if (views[i].vd_fill == fill_alert) {
			vw->vw_alert = key;
			vw->vw_alert.ak_valid = !in_txn;
		} else {
			vw->vw_filled[i] = in_txn ? 0 : vw->vw_gen;
		}
	}
out:
	if (rc) {
		/* the rows are what they were before: unknown, fill next time */
		memset(vw->vw_filled, 0, sizeof(vw->vw_filled));
		vw->vw_alert.ak_valid = false;
	}
	vw->vw_internal = false;
	return rc;
}
