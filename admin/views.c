/*
 * views.c - fill racsql's tables from a snapshot of one instance.
 *
 * Two stages:
 *   views_snapshot()  attach the SGA read-only, check it (layout, instance
 *                     number, guardian alive), copy the header fields, the
 *                     NM slots, the counters, the peers, the voting disks
 *                     and the configuration in force, detach.  Anything
 *                     wrong means "instance down".
 *   views_fill()      refill, from that copy only, the tables that the
 *                     statement just prepared reads (the authorizer saw
 *                     them) and that are older than the snapshot, inside
 *                     one savepoint so that a failure leaves the old rows.
 *                     The alert log is read again only when the file
 *                     changed.
 * Copying first keeps the time the segment is mapped short and makes the
 * views of one snapshot agree with each other; filling on demand keeps a
 * query on v$instance from paying for a long alert log.
 *
 * Columns are listed once, in views[]; CREATE TABLE, the INSERT and
 * --help are all made from that list.
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
#include "views.h"

/* What a snapshot copied out of the SGA. */
struct snap {
	bool sn_up;			/* running: segment valid, guardian alive */
	char sn_why[128];		/* down, but not simply absent: why */
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
	uint64_t sn_now_ns;		/* CLOCK_MONOTONIC after the slots were read */
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
	struct snap vw_snap;
	uint64_t vw_gen;		/* snapshots taken */
	uint64_t vw_filled[VIEWS_MAX];	/* snapshot each table was filled from, 0 none */
	struct alert_key vw_alert;	/* the file v$alert_log was filled from */
	uint32_t vw_reads;		/* views the statement being prepared reads */
	bool vw_internal;		/* our own statements: authorizer lets them write */
	char vw_denied[128];
};

/* ---- rows ------------------------------------------------------------- */

/* One INSERT statement and the column being bound. */
struct filler {
	struct views *fl_vw;
	sqlite3_stmt *fl_st;
	int fl_col;
	int fl_rc;			/* first SQLite error */
};
/* A fill_*() function binds the columns of a row in order with put_*(),
 * then row_end(); it returns fl_rc. */

static void put_int(struct filler *f, int64_t v)
{
	int rc = sqlite3_bind_int64(f->fl_st, ++f->fl_col, v);

	if (rc != SQLITE_OK && f->fl_rc == SQLITE_OK)
		f->fl_rc = rc;
}

/* uint64 counters: SQLite integers are signed 64-bit */
static void put_u64(struct filler *f, uint64_t v)
{
	put_int(f, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

static void put_text(struct filler *f, const char *s)
{
	int rc = s ? sqlite3_bind_text(f->fl_st, ++f->fl_col, s, -1, SQLITE_TRANSIENT)
		   : sqlite3_bind_null(f->fl_st, ++f->fl_col);

	if (rc != SQLITE_OK && f->fl_rc == SQLITE_OK)
		f->fl_rc = rc;
}

static void put_textn(struct filler *f, const char *s, size_t n)
{
	int rc = sqlite3_bind_text64(f->fl_st, ++f->fl_col, s, n, SQLITE_TRANSIENT, SQLITE_UTF8);

	if (rc != SQLITE_OK && f->fl_rc == SQLITE_OK)
		f->fl_rc = rc;
}

static void put_null(struct filler *f)
{
	put_text(f, NULL);
}

/* milliseconds since a CLOCK_MONOTONIC stamp; NULL for "never" (0) */
static void put_age(struct filler *f, uint64_t then_ns)
{
	uint64_t now = f->fl_vw->vw_snap.sn_now_ns;

	if (then_ns == 0)
		put_null(f);
	else if (then_ns >= now)
		put_int(f, 0);
	else
		put_u64(f, (now - then_ns) / 1000000u);
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

struct view_def {
	const char *vd_name;
	const char *vd_what;
	const struct view_col *vd_cols;
	int (*vd_fill)(struct filler *f);
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

static const struct view_col alert_cols[] = {
	{ "RECORD_ID", "INTEGER" },
	{ "ORIGINATING_TIMESTAMP", "TEXT" },
	{ "MESSAGE_TEXT", "TEXT" },
	{ NULL, NULL }
};

/* the configuration in force: the SGA's copy while the instance runs */
static const struct rac_config *cfg_in_force(const struct views *vw)
{
	return vw->vw_snap.sn_cfg_sga ? &vw->vw_snap.sn_cfg : &vw->vw_cfg;
}

static int fill_instance(struct filler *f)
{
	const struct views *vw = f->fl_vw;
	const struct snap *sn = &vw->vw_snap;

	if (!sn->sn_up) {
		/* down: what the configuration knows, NULL for the rest */
		const struct rac_inst_cfg *ic = config_inst(cfg_in_force(vw), vw->vw_inst);

		put_int(f, vw->vw_inst);
		put_text(f, ic ? ic->ic_name : NULL);
		put_text(f, ic ? ic->ic_host : NULL);
		put_text(f, "DOWN");
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
	put_u64(f, sn->sn_incarnation);
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
	const struct snap *sn = &f->fl_vw->vw_snap;

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
		put_u64(f, nm->nm_hb_count);
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
	config_foreach_param(cfg_in_force(f->fl_vw), f->fl_vw->vw_inst, parameter_row, f);
	return f->fl_rc;
}

static int fill_sysstat(struct filler *f)
{
	const struct snap *sn = &f->fl_vw->vw_snap;

	for (int c = 0; c < sn->sn_ncnt && f->fl_rc == SQLITE_OK; c++) {
		const char *name = sga_counter_name(c);

		if (!name)
			continue;
		put_text(f, name);
		put_u64(f, sn->sn_cnt[c]);
		row_end(f);
	}
	return f->fl_rc;
}

/* one row per other configured instance, as this instance's LMON sees it */
static int fill_heartbeat(struct filler *f)
{
	const struct views *vw = f->fl_vw;
	const struct snap *sn = &vw->vw_snap;
	const struct rac_config *cfg = cfg_in_force(vw);

	for (int n = 1; n < sn->sn_npeer && f->fl_rc == SQLITE_OK; n++) {
		const struct rac_inst_cfg *ic = config_inst(cfg, n);
		const struct sga_peer *p = &sn->sn_peer[n];
		char hears[3 * RAC_MAX_INST + 1];
		size_t len = 0;

		if (!ic || n == vw->vw_inst)
			continue;
		hears[0] = '\0';
		for (int k = 1; k <= RAC_MAX_INST && k < 64; k++)
			if (p->pr_heard & (1ull << k))
				len += (size_t)snprintf(hears + len, sizeof hears - len, "%s%d",
							len ? " " : "", k);
		put_int(f, n);
		put_text(f, ic->ic_name);
		put_text(f, sga_peer_state_str(p->pr_net_state));
		put_age(f, p->pr_net_last_ns);
		put_u64(f, p->pr_net_count);
		put_text(f, sga_peer_state_str(p->pr_disk_state));
		put_age(f, p->pr_disk_last_ns);
		put_u64(f, p->pr_disk_counter);
		put_text(f, p->pr_net_last_ns ? hears : NULL);
		row_end(f);
	}
	return f->fl_rc;
}

/* one row per configured voting disk */
static int fill_vdisk(struct filler *f)
{
	const struct snap *sn = &f->fl_vw->vw_snap;
	int ndisk = cfg_in_force(f->fl_vw)->cf_nvoting;

	for (int d = 0; d < ndisk && d < sn->sn_nvdisk && f->fl_rc == SQLITE_OK; d++) {
		const struct sga_vdisk *v = &sn->sn_vdisk[d];

		put_int(f, d + 1);
		put_text(f, v->vd_path);
		put_text(f, sga_vdisk_state_str(v->vd_state));
		put_time(f, v->vd_last_read_us);
		put_time(f, v->vd_last_write_us);
		put_u64(f, v->vd_read_errors);
		put_u64(f, v->vd_write_errors);
		put_u64(f, v->vd_corrupt);
		row_end(f);
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
	const struct rac_inst_cfg *ic = config_inst(cfg_in_force(vw), vw->vw_inst);

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
	{ "v$instance", "instance (this one; STATUS DOWN when not running)",
	  instance_cols, fill_instance },
	{ "v$process", "member process of the NM group",
	  process_cols, fill_process },
	{ "v$parameter", "parameter in force, with default and source",
	  parameter_cols, fill_parameter },
	{ "v$sysstat", "instance counter",
	  sysstat_cols, fill_sysstat },
	{ "v$heartbeat", "other instance: its heartbeats as seen here",
	  heartbeat_cols, fill_heartbeat },
	{ "v$voting_disk", "voting disk: state, last I/O, errors",
	  vdisk_cols, fill_vdisk },
	{ "v$alert_log", "alert log entry",
	  alert_cols, fill_alert },
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
		for (const struct view_col *c = views[i].vd_cols; c->vc_name; c++, n--)
			if (n == 0)
				return c->vc_name;
	}
	return NULL;
}

void views_describe(FILE *fp)
{
	for (size_t i = 0; i < NVIEWS; i++) {
		const struct view_def *v = &views[i];
		int col = 4;

		fprintf(fp, "  %-14s one row per %s\n   ", v->vd_name, v->vd_what);
		for (const struct view_col *c = v->vd_cols; c->vc_name; c++) {
			int w = (int)strlen(c->vc_name) + 1;

			if (col + w > 78) {
				fputs("\n   ", fp);
				col = 4;
			}
			fprintf(fp, " %s", c->vc_name);
			col += w;
		}
		putc('\n', fp);
	}
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

static void snap_copy(struct views *vw, const struct sga *sga)
{
	struct snap *sn = &vw->vw_snap;
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
	/* after the stamps were read, so that no age comes out negative */
	sn->sn_now_ns = rac_now_mono_ns();

	if (h->sh_config_size == sizeof(struct rac_config)) {
		memcpy(&sn->sn_cfg, sga_config(sga), sizeof(sn->sn_cfg));
		config_sanitize(&sn->sn_cfg);
		sn->sn_cfg_sga = config_inst(&sn->sn_cfg, vw->vw_inst) != NULL;
	}
}

static void snap_take(struct views *vw)
{
	struct snap *sn = &vw->vw_snap;
	char name[128];
	struct sga sga;
	int rc;

	sn->sn_up = false;
	sn->sn_cfg_sga = false;
	sn->sn_nnm = 0;
	sn->sn_ncnt = 0;
	sn->sn_npeer = 0;
	sn->sn_nvdisk = 0;
	config_sga_name(&vw->vw_cfg, vw->vw_inst, name, sizeof name);
	sn->sn_why[0] = '\0';
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
	snap_copy(vw, &sga);
	sn->sn_up = true;
out:
	sga_detach(&sga);
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
	return vw;
}

void views_destroy(struct views **vwp)
{
	if (!vwp || !*vwp)
		return;
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

	if (create) {
		sqlite3_str_appendf(s, "CREATE TABLE %s (", v->vd_name);
		for (const struct view_col *c = v->vd_cols; c->vc_name; c++)
			sqlite3_str_appendf(s, "%s%s %s", c == v->vd_cols ? "" : ", ",
					    c->vc_name, c->vc_type);
	} else {
		sqlite3_str_appendf(s, "INSERT INTO %s VALUES (", v->vd_name);
		for (const struct view_col *c = v->vd_cols; c->vc_name; c++)
			sqlite3_str_appendf(s, "%s?", c == v->vd_cols ? "" : ", ");
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
	rc = v->vd_fill(&f);
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
	bool any = false;
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
	}
	if (!any)
		return 0;

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
