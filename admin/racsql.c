/*
 * racsql.c - SQL over the status views of one racrt instance (DESIGN §6-7).
 *
 *   racsql [-c FILE] [-i N] [-e SQL] [--format table|csv|json]
 *
 * The views are tables of an in-memory SQLite database, filled from a copy
 * of the instance's SGA (views.c); the user's SQL then runs on them.  With
 * -e the statements run once on one snapshot; without it the shell
 * (shell.c) takes a new snapshot before every statement.  A stopped
 * instance is not an error: v$instance says DOWN and the memory views are
 * empty, while v$parameter and v$alert_log still answer from the files.
 * The gv$ views ask every instance over the interconnect (gather.c); one
 * that does not answer is named on stderr, not an error either.
 *
 * Exit status: 0 success, 1 the operation failed (configuration, SQL,
 * output), 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rac.h"
#include "errors.h"
#include "config.h"
#include "racsql.h"
#include "shell.h"

#define EXIT_USAGE 2

static void usage(FILE *fp)
{
	fputs("Usage: racsql [-c FILE] [-i N] [-e SQL] [--format table|csv|json]\n"
	      "SQL over the status views of one racrt instance (v$) or of all (gv$).\n"
	      "\n"
	      "  -c, --config FILE   cluster configuration (default: $RACRT_CONFIG, else the\n"
	      "                      built-in default cluster)\n"
	      "  -i, --instance N    instance number (default: the lowest-numbered instance\n"
	      "                      configured on this host)\n"
	      "  -e, --execute SQL   run SQL (statements separated by ';') and exit; may be\n"
	      "                      given more than once\n"
	      "      --format FMT    how rows are printed: table (default), csv or json\n"
	      "  -h, --help          print this help and exit\n"
	      "\n"
	      "Without -e, racsql reads statements from the terminal (prompt \"SQL> \", end a\n"
	      "statement with ';', leave with exit, quit or Ctrl-D; history in\n"
	      "~/.racsql_history), or from standard input when it is not a terminal.\n"
	      "Each statement sees a fresh snapshot of the instance.  When the instance\n"
	      "is not running, v$instance shows STATUS DOWN and the memory views are\n"
	      "empty; v$parameter and v$alert_log still answer.\n"
	      "\n"
	      "A gv$ view holds the rows of its v$ view for every configured instance,\n"
	      "INST_ID first.  A statement that reads one asks every instance's LMON for\n"
	      "a copy of its SGA over the interconnect (this instance's too) and waits\n"
	      "for all of them together at most 500 ms (RACSQL_GV_TIMEOUT_MS overrides).\n"
	      "An instance that does not answer in time is named on stderr; gv$instance\n"
	      "shows it as UNREACHABLE and the other gv$ views have no rows for it.\n"
	      "\n"
	      "Views (names may be typed unquoted, e.g. select * from v$process):\n",
	      fp);
	views_describe(fp);
	fputs("\n"
	      "Exit status: 0 success, 1 failure (configuration, SQL error), 2 bad usage.\n",
	      fp);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("racsql: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'racsql --help'.\n", stderr);
	return EXIT_USAGE;
}

/* ---- running SQL ------------------------------------------------------ */

static void sql_error(struct racsql *rs, int rc)
{
	const char *why;

	if (rc == SQLITE_AUTH && views_denied(rs->rs_views))
		why = views_denied(rs->rs_views);
	else if (rc == SQLITE_NOMEM)
		why = "out of memory";
	else
		why = sqlite3_errmsg(rs->rs_db);
	fflush(stdout);
	fprintf(stderr, "racsql: %s\n", why);
}

void racsql_snapshot(struct racsql *rs)
{
	bool up;

	views_snapshot(rs->rs_views);
	up = views_instance_up(rs->rs_views);
	if (!up && (!rs->rs_snapped || rs->rs_was_up)) {
		const char *why = views_down_reason(rs->rs_views);

		fflush(stdout);
		if (why)
			fprintf(stderr, "racsql: instance %d (%s): %s; memory views are empty\n",
				rs->rs_inst, rs->rs_inst_name, why);
		else
			fprintf(stderr,
				"racsql: instance %d (%s) is not running; memory views are empty\n",
				rs->rs_inst, rs->rs_inst_name);
	}
	rs->rs_was_up = up;
	rs->rs_snapped = true;
}

int racsql_exec(struct racsql *rs, const char *sql)
{
	const char *tail = sql;

	while (tail && *tail) {
		sqlite3_stmt *st = NULL;
		const char *next = NULL;
		char err[512];
		int rc;

		views_reads_reset(rs->rs_views);
		rc = sqlite3_prepare_v2(rs->rs_db, tail, -1, &st, &next);
		if (rc != SQLITE_OK) {
			sql_error(rs, rc);
			return -1;
		}
		tail = next;
		if (!st)
			continue;	/* only blanks or a comment */
		/* the shell shows the instance as it is now, -e as it was at start */
		if (rs->rs_refresh_each)
			racsql_snapshot(rs);
		err[0] = '\0';
		if (views_fill(rs->rs_views, rs->rs_db, err, sizeof err) != 0) {
			fflush(stdout);
			fprintf(stderr, "racsql: cannot fill the views: %s\n", err);
			sqlite3_finalize(st);
			return -1;
		}
		rc = out_statement(st, rs->rs_format, stdout, &rs->rs_printed);
		if (rc != SQLITE_OK) {
			sql_error(rs, rc);
			sqlite3_finalize(st);
			return -1;
		}
		sqlite3_finalize(st);
	}
	return 0;
}

/* shell_run()'s exec: one text typed or piped in */
static int shell_exec(void *arg, const char *sql)
{
	return racsql_exec(arg, sql);
}

/* ---- start-up --------------------------------------------------------- */

/* 1..RAC_MAX_INST, or -1 */
static int parse_inst(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > RAC_MAX_INST)
		return -1;
	return (int)v;
}

/* -i default: the lowest-numbered instance on this host, else 1 */
static int default_inst(const struct rac_config *cfg)
{
	for (int n = 1; n <= RAC_MAX_INST; n++) {
		const struct rac_inst_cfg *ic = config_inst(cfg, n);

		if (ic && config_inst_is_local(ic))
			return n;
	}
	return 1;
}

static int open_db(sqlite3 **dbp)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "racsql: cannot open the in-memory database: %s\n",
			db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	/*
	 * Operators write like "name like "%ms"": let double-quoted words that
	 * name no column be strings, whatever the library was built with.
	 * Defensive mode keeps PRAGMA writable_schema and friends from
	 * corrupting the schema the views live in.
	 */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 1, (int *)NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 1, (int *)NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	*dbp = db;
	return 0;
}

/* print config_load's message, one or more lines, ending in a newline */
static void print_config_error(const char *err)
{
	size_t n = strlen(err);

	if (n == 0)
		err = "racsql: invalid configuration";
	fputs(err, stderr);
	if (n == 0 || err[n - 1] != '\n')
		putc('\n', stderr);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "instance", required_argument, NULL, 'i' },
		{ "execute", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct racsql rs = { .rs_format = OUT_TABLE };
	struct rac_config *cfg = NULL;
	const struct rac_inst_cfg *ic;
	const char *cfg_path = NULL;
	const char **exec = NULL;
	char err[4096];
	int nexec = 0, inst = 0, opt, status = 1;

	exec = calloc((size_t)argc + 1, sizeof(*exec));
	if (!exec) {
		fputs("racsql: out of memory\n", stderr);
		return 1;
	}
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:i:e:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cfg_path = optarg;
			break;
		case 'i':
			inst = parse_inst(optarg);
			if (inst < 0) {
				status = usage_error("invalid instance number '%s' (1 to %d)", optarg,
						     RAC_MAX_INST);
				goto out;
			}
			break;
		case 'e':
			exec[nexec++] = optarg;
			break;
		case 'F':
			if (out_parse_format(optarg, &rs.rs_format) != 0) {
				status = usage_error("unknown format '%s' (table, csv or json)", optarg);
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			status = 0;
			if (fflush(stdout) != 0 || ferror(stdout)) {
				fprintf(stderr, "racsql: cannot write the output: %s\n", strerror(errno));
				status = 1;
			}
			goto out;
		case ':':
			status = usage_error("option '%s' needs an argument", argv[optind - 1]);
			goto out;
		case '?':
		default:
			if (optopt) {
				char o[3] = { '-', (char)optopt, '\0' };

				status = usage_error("unknown option '%s'", o);
			} else {
				status = usage_error("unknown option '%s'", argv[optind - 1]);
			}
			goto out;
		}
	}
	if (optind < argc) {
		status = usage_error("unexpected argument '%s' (SQL goes after -e)", argv[optind]);
		goto out;
	}

	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		fputs("racsql: out of memory\n", stderr);
		goto out;
	}
	err[0] = '\0';
	if (config_load(cfg_path, cfg, err, sizeof err) != 0) {
		print_config_error(err);
		goto out;
	}
	if (inst == 0)
		inst = default_inst(cfg);
	ic = config_inst(cfg, inst);
	if (!ic) {
		fprintf(stderr, "racsql: instance %d is not configured in %s\n", inst,
			cfg->cf_path[0] ? cfg->cf_path : "the built-in default cluster");
		status = EXIT_USAGE;
		goto out;
	}
	rs.rs_inst = inst;
	rac_strlcpy(rs.rs_inst_name, ic->ic_name, sizeof rs.rs_inst_name);

	if (open_db(&rs.rs_db) != 0)
		goto out;
	rs.rs_views = views_new(cfg, inst);
	if (!rs.rs_views) {
		fputs("racsql: out of memory\n", stderr);
		goto out;
	}
	if (views_create(rs.rs_views, rs.rs_db, err, sizeof err) != 0) {
		fprintf(stderr, "racsql: cannot create the views: %s\n", err);
		goto out;
	}
	racsql_snapshot(&rs);

	if (nexec) {
		status = 0;
		for (int i = 0; i < nexec && status == 0; i++)
			if (racsql_exec(&rs, exec[i]) != 0)
				status = 1;
	} else {
		rs.rs_refresh_each = true;
		status = shell_run(shell_exec, &rs);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "racsql: cannot write the output: %s\n", strerror(errno));
		status = 1;
	}
out:
	if (rs.rs_db) {
		sqlite3_set_authorizer(rs.rs_db, NULL, NULL);
		sqlite3_close(rs.rs_db);
	}
	views_destroy(&rs.rs_views);
	free(cfg);
	free(exec);
	return status;
}
