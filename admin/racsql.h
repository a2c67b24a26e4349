/*
 * racsql.h - one racsql session: the in-memory database, the views of one
 * instance and the output format (racsql.c).  The shell (shell.c) does not
 * see it: it runs each text through the function shell_run() is given.
 *
 *   main: options -> config_load -> views_create -> racsql_snapshot
 *         -> racsql_exec(-e SQL)  or  shell_run(exec, rs) -> racsql_exec per input
 */
#ifndef RACSQL_H
#define RACSQL_H

#include <stdbool.h>
#include <sqlite3.h>

#include "rac.h"
#include "output.h"
#include "views.h"

struct racsql {
	sqlite3 *rs_db;
	struct views *rs_views;
	enum out_format rs_format;
	int rs_inst;
	char rs_inst_name[RAC_NAME_MAX];
	bool rs_refresh_each;	/* new snapshot before every statement (shell) */
	bool rs_printed;	/* a result was printed already */
	bool rs_snapped;	/* at least one snapshot taken */
	bool rs_was_up;		/* instance running at the last snapshot */
};

/* racsql.c */
/* New snapshot; says on stderr when the instance is (newly) found down. */
void racsql_snapshot(struct racsql *rs);
/*
 * Run every statement of `sql` in order, printing results on stdout.  On
 * the first error prints "racsql: <why>" on stderr, stops and returns -1;
 * else 0.
 */
int racsql_exec(struct racsql *rs, const char *sql);

#endif
