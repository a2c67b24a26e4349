/*
 * views.h - the status views of racsql (DESIGN §7) as SQLite tables.
 *
 * Every view is a real table in racsql's in-memory database.  A snapshot
 * attaches the instance's SGA read-only, copies what the views need out of
 * it (the segment keeps changing under us: numbers are read with
 * sga_load()) and detaches.  The tables are filled from the snapshot on
 * demand: an authorizer notes which views a statement reads while it is
 * prepared, and views_fill() refills just those that are older than the
 * snapshot.
 *
 *   views_new -> views_create(db)
 *     -> views_snapshot  (once for -e, before every statement in the shell)
 *     -> per statement: views_reads_reset, sqlite3_prepare, views_fill, step
 *   -> views_destroy
 *
 * The gv$ views hold the rows of the same views for every configured
 * instance, INST_ID first.  Their rows come from copies of each instance's
 * SGA sent by its LMON over the interconnect (gather.c), gathered once per
 * snapshot and only when a statement reads a gv$ view.
 *
 * The tables are read-only for the user: the same authorizer refuses to
 * write, alter, index, drop or put triggers on them.
 */
#ifndef RACSQL_VIEWS_H
#define RACSQL_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>

#include "config.h"
#include "procs.h"

struct views;

/* views.c; views_create, views_fill and views_denied are in views_sql.c */
/* Views of instance `inst` of `cfg` (copied); NULL when out of memory. */
struct views *views_new(const struct rac_config *cfg, int inst);
void views_destroy(struct views **vw);
/* Create the tables and install the authorizer: 0 or a RAC_E* code. */
int views_create(struct views *vw, sqlite3 *db, char *err, size_t errlen);
/* Copy the instance's state out of its SGA now. */
void views_snapshot(struct views *vw);
/* Was the instance running at the last snapshot? */
bool views_instance_up(const struct views *vw);
/* When it was not: NULL if its SGA is just absent, stale or invalid, else
 * why it could not be read (permissions). */
const char *views_down_reason(const struct views *vw);
/* Forget which views were read: call before preparing a statement. */
void views_reads_reset(struct views *vw);
/*
 * Fill the tables that the statement prepared since views_reads_reset()
 * reads, from the last snapshot.  0 or a RAC_E* code with the reason in
 * `err`.
 */
int views_fill(struct views *vw, sqlite3 *db, char *err, size_t errlen);
/* Why the last statement was refused by the authorizer, or NULL. */
const char *views_denied(const struct views *vw);
/* The n-th name for completion (views, then their columns), NULL past the end. */
const char *views_word(size_t n);
/* One paragraph per view with its columns, for --help. */
void views_describe(FILE *fp);

/* gather.c */
struct sga;
struct gather;
/* Gathers for the instances of `cfg`, which must outlive it; NULL when out
 * of memory.  No socket or ZeroMQ context is made before gather_run(). */
struct gather *gather_new(const struct rac_config *cfg);
void gather_destroy(struct gather **g);
/*
 * Called once per configured instance, in instance order: `sga` is a
 * checked private copy of its SGA (valid during the call only) that
 * arrived at `at_ns` (CLOCK_MONOTONIC here), or NULL and `why` says what
 * went wrong ("did not answer within 500 ms").
 */
typedef void (*gather_fn)(int inst, const struct sga *sga, uint64_t at_ns, const char *why,
			  void *arg);
/*
 * Ask every configured instance's LMON for a copy of its SGA and wait for
 * the replies, all together, for at most 500 ms ($RACSQL_GV_TIMEOUT_MS,
 * read by gather_new(), overrides).  0, or a RAC_E* code with the reason
 * in `err` when nobody could be asked at all.
 */
int gather_run(struct gather *g, gather_fn fn, void *arg, char *err, size_t errlen);

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

/*
 * ges.c: one page of instance `inst`'s lock manager's resources or locks
 * (what: GES_WANT_*) from position `pos` (0: the start), as a MSG_GES_DUMP
 * payload the caller frees
 */
int ges_fetch(const struct rac_config *cfg, int inst, uint32_t what, uint64_t pos,
	      uint8_t **out, size_t *outlen, char *err, size_t errlen);
void ges_done(void);

#endif
