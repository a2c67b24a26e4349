/*
 * output.h - how racsql prints the rows of one statement.
 *
 * Three formats, chosen with --format:
 *   table  for people: column names, a line of dashes, left-aligned padded
 *          columns (a value with line breaks takes several lines), NULL as
 *          blank, then "N rows selected." the way SQL*Plus says it
 *   csv    RFC 4180 fields (header line first, NULL as an empty field),
 *          lines ended by LF
 *   json   one array of objects per statement, keys = column names,
 *          integers and reals as numbers, NULL as null
 *
 * out_statement() steps the prepared statement itself, so the caller only
 * prepares and reports errors.  A statement without result columns (CREATE,
 * INSERT, ...) prints nothing in any format.
 */
#ifndef RACSQL_OUTPUT_H
#define RACSQL_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include <sqlite3.h>

enum out_format { OUT_TABLE = 0, OUT_CSV, OUT_JSON };

/* "table", "csv", "json" -> 0, else -1 */
int out_parse_format(const char *name, enum out_format *fmt);

/*
 * Run `st` to completion and print its rows to `fp`.  `*printed` tells
 * whether an earlier statement already printed a result (table mode then
 * separates the two with a blank line); it is set when this one prints.
 * Returns SQLITE_OK, or the SQLite error code of the failing step
 * (sqlite3_errmsg() of the statement's connection says why), or
 * SQLITE_NOMEM when the table could not be buffered.
 */
int out_statement(sqlite3_stmt *st, enum out_format fmt, FILE *fp, bool *printed);

#endif
