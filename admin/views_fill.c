/*
 * views_fill.c - the rows of every view, from a struct snap.
 *
 * A view's vd_fill (views.c) is one of the fill_*() functions here: it
 * binds each row's columns in order with put_*() and ends the row with
 * row_end().  The statement and the snapshot come in struct filler
 * (views_int.h); views_sql.c's refill() prepares the one and picks the
 * other.  v$ges_resource and v$ges_enqueue alone ask a process (LMS,
 * ges.c) rather than read the snapshot; v$alert_log reads the file.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rac.h"
#include "errors.h"
#include "config.h"
#include "log.h"
#include "sga.h"
#include "msg.h"
#include "views_int.h"

/* ---- rows ------------------------------------------------------------- */

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


/* the configuration in force for a snapshot: its SGA's copy while it runs */
static const struct rac_config *snap_cfg(const struct views *vw, const struct snap *sn)
{
	return sn->sn_cfg_sga ? &sn->sn_cfg : &vw->vw_cfg;
}

static const struct rac_config *cfg_in_force(const struct filler *f)
{
	return snap_cfg(f->fl_vw, f->fl_sn);
}

int fill_instance(struct filler *f)
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

int fill_process(struct filler *f)
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

int fill_parameter(struct filler *f)
{
	config_foreach_param(cfg_in_force(f), f->fl_sn->sn_inst, parameter_row, f);
	return f->fl_rc;
}

int fill_sysstat(struct filler *f)
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
int fill_ges_stats(struct filler *f)
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

/* a lock mode for a view: "NL".."EX", NULL for none */
static void put_mode(struct filler *f, int mode)
{
	const char *name = msg_lk_mode_str(mode);

	if (name)
		put_text(f, name);
	else
		put_null(f);
}

/* a resource name for a view: printable bytes as they are, others as \xNN */
static void put_name(struct filler *f, const uint8_t *name, size_t n)
{
	char buf[4 * LK_NAME_MAX + 1];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o,
				      name[i] >= 0x20 && name[i] < 0x7f && name[i] != '\\' ?
				      "%c" : "\\x%02x", name[i]);
	put_textn(f, buf, o);
}

/* one row of v$ges_resource */
static void put_ges_res(struct filler *f, const struct msg_ges_res *r)
{
	char hex[2 * LK_LVB_LEN + 1];

	for (int k = 0; k < LK_LVB_LEN; k++)
		snprintf(hex + 2 * k, 3, "%02x", r->gr_lvb[k]);
	put_name(f, r->gr_name, r->gr_namelen);
	put_int(f, f->fl_sn->sn_inst);
	put_int(f, r->gr_granted);
	put_int(f, r->gr_converting);
	put_int(f, r->gr_waiting);
	put_text(f, hex);
	put_text(f, r->gr_dubious ? "DUBIOUS" : "VALID");
	row_end(f);
}

/* one row of v$ges_enqueue */
static void put_ges_lock(struct filler *f, const struct msg_ges_lock *l)
{
	char id[24];

	snprintf(id, sizeof(id), "0x%016llx", (unsigned long long)l->gl_lkid);
	put_name(f, l->gl_name, l->gl_namelen);
	put_text(f, id);
	put_int(f, f->fl_sn->sn_inst);
	put_int(f, l->gl_owner_inst);
	if (l->gl_owner_pid)
		put_int(f, l->gl_owner_pid);
	else
		put_null(f);
	put_mode(f, l->gl_grmode);
	put_mode(f, l->gl_rqmode);
	put_text(f, l->gl_state == LK_STATE_GRANTED ? "GRANTED" :
		    l->gl_state == LK_STATE_CONVERTING ? "CONVERTING" : "WAITING");
	put_text(f, l->gl_blocked ? "YES" : "NO");
	if (l->gl_blocked && l->gl_blocker_inst)
		put_int(f, l->gl_blocker_inst);
	else
		put_null(f);
	row_end(f);
}

/* pages asked of one LMS for one view, at most (60,000 bytes each) */
#define GES_PAGES_MAX 200000

/*
 * v$ges_resource and v$ges_enqueue: asked of the instance's LMS, which knows
 * the resources it masters and every lock on them (its MSG_GES_DUMP,
 * decoded by msg.c), a page at a time until the last.  Rows are never
 * left out silently: an LMS that stops answering, or a bad page, after
 * the first is named on stderr with how many rows the view holds.  An
 * instance whose LMS does not answer at all has no rows, as before.
 */
static int fill_ges(struct filler *f, bool locks)
{
	const struct snap *sn = f->fl_sn;
	const char *view = locks ? "v$ges_enqueue" : "v$ges_resource";
	uint64_t pos = 0, rows = 0;
	char err[256] = "";
	int pages = 0;

	if (!sn->sn_up)
		return f->fl_rc;
	while (f->fl_rc == SQLITE_OK) {
		struct msg_ges_iter it;
		struct msg_ges_res r;
		struct msg_ges_lock l;
		uint8_t *p = NULL;
		size_t len = 0;
		int rc = 0;

		if (pages == GES_PAGES_MAX) {
			snprintf(err, sizeof(err), "more than %d pages", GES_PAGES_MAX);
			break;
		}
		if (ges_fetch(cfg_in_force(f), sn->sn_inst, locks ? GES_WANT_LOCKS :
			      GES_WANT_RESOURCES, pos, &p, &len, err, sizeof(err))) {
			if (!pages)
				return f->fl_rc;	/* down or silent: no rows */
			break;
		}
		pages++;
		if (msg_ges_dump_open(p, len, &it)) {
			free(p);
			snprintf(err, sizeof(err), "a page that does not decode");
			break;
		}
		while (!locks && f->fl_rc == SQLITE_OK && (rc = msg_ges_dump_next_res(&it, &r)) == 1) {
			put_ges_res(f, &r);
			rows++;
		}
		while (locks && f->fl_rc == SQLITE_OK && (rc = msg_ges_dump_next_lock(&it, &l)) == 1) {
			put_ges_lock(f, &l);
			rows++;
		}
		free(p);
		if (f->fl_rc != SQLITE_OK)
			return f->fl_rc;
		if (rc < 0) {
			snprintf(err, sizeof(err), "a page with a bad row");
			break;
		}
		if (!it.gi_more)
			return f->fl_rc;	/* every row is in */
		pos = it.gi_next;
	}
	fprintf(stderr, "racsql: instance %d: %s holds only the first %llu rows: %s\n",
		sn->sn_inst, view, (unsigned long long)rows, err);
	return f->fl_rc;
}

int fill_ges_resource(struct filler *f)
{
	return fill_ges(f, false);
}

int fill_ges_enqueue(struct filler *f)
{
	return fill_ges(f, true);
}

/* one row per other configured instance, as this instance's LMON sees it */
int fill_heartbeat(struct filler *f)
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
int fill_vdisk(struct filler *f)
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
		put_text(f, v->vd_kind == VDISK_KIND_BLOCK ? "BLOCK" :
			    v->vd_kind == VDISK_KIND_FILE ? "FILE" : "UNKNOWN");
		put_uint(f, v->vd_sector_size);
		put_text(f, v->vd_direct ? "YES" : "NO");
		put_uint(f, v->vd_state == VDISK_HUNG ? v->vd_io_age_ms : 0);
		row_end(f);
	}
	return f->fl_rc;
}

/* one row: the membership and reconfiguration status as this instance sees it */
int fill_cluster(struct filler *f)
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
int fill_active(struct filler *f)
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
int fill_history(struct filler *f)
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
int fill_steps(struct filler *f)
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

void alert_key_now(const struct views *vw, struct alert_key *k)
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

bool alert_key_same(const struct alert_key *a, const struct alert_key *b)
{
	return a->ak_valid && b->ak_valid && strcmp(a->ak_path, b->ak_path) == 0 &&
	       a->ak_exists == b->ak_exists && a->ak_dev == b->ak_dev && a->ak_ino == b->ak_ino &&
	       a->ak_size == b->ak_size && a->ak_mtime.tv_sec == b->ak_mtime.tv_sec &&
	       a->ak_mtime.tv_nsec == b->ak_mtime.tv_nsec;
}

int fill_alert(struct filler *f)
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

