/*
 * views.h - the status views of racsql (DESIGN §7) as SQLite tables.
 *
 * Every view is a real table in racsql's in-memory database.  A refresh
 * attaches the instance's SGA read-only, copies what it needs out of it
 * (the segment keeps changing under us: numbers are read with sga_load()),
 * detaches, and refills every table from that copy inside one savepoint.
 * The alert log is re-read only when the file changed.
 *
 *   views_new -> views_create(db) -> views_refresh(db) ... -> views_destroy
 *
 * The tables are read-only for the user: an authorizer refuses to write,
 * alter or drop them (views_authorize), while the refresh itself may.
 */
#ifndef RACSQL_VIEWS_H
#define RACSQL_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sqlite3.h>

#include "config.h"

struct views;

/* views.c */
/* Views of instance `inst` of `cfg` (copied); NULL when out of memory. */
struct views *views_new(const struct rac_config *cfg, int inst);
void views_destroy(struct views **vw);
/* Create the tables and install the authorizer: 0 or a RAC_E* code. */
int views_create(struct views *vw, sqlite3 *db, char *err, size_t errlen);
/*
 * Take a new snapshot and refill every table.  0 or a RAC_E* code with the
 * reason in `err`.  Whether the instance was found running is told by
 * views_instance_up() afterwards.
 */
int views_refresh(struct views *vw, sqlite3 *db, char *err, size_t errlen);
bool views_instance_up(const struct views *vw);
/* Why the last statement was refused by the authorizer, or NULL. */
const char *views_denied(const struct views *vw);
/* One paragraph per view with its columns, for --help. */
void views_describe(FILE *fp);

/* alert_log.c */
/* true when `line` (without its newline) is exactly an alert-log timestamp */
bool alertlog_is_timestamp(const char *line, size_t len);

typedef int (*alertlog_fn)(long record_id, const char *timestamp, const char *text,
			   size_t textlen, void *arg);
/*
 * Call `fn` for every entry of the alert log at `path`, in file order.
 * A missing file has no entries.  Returns 0, the first non-zero value `fn`
 * returned, or RAC_EIO / RAC_ENOMEM with the reason in `err`.
 */
int alertlog_foreach(const char *path, alertlog_fn fn, void *arg, char *err, size_t errlen);

#endif
