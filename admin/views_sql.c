/*
 * views_sql.c - the views as SQLite tables.
 *
 *   views_create()  CREATE TABLE for every view (text made from views[] by
 *                   view_sql()) and the authorizer
 *   views_authorize()  while a statement is prepared: which views it
 *                   reads, and no writes to them
 *   views_fill()    refill, inside one savepoint, the tables the statement
 *                   reads that are older than the snapshot (refill(): one
 *                   DELETE, then the INSERT of view_sql() per row)
 */
#include <string.h>

#include "errors.h"
#include "views_int.h"

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
