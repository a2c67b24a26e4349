/*
 * output.c - print the rows of one statement as a table, CSV or JSON.
 *
 * CSV and JSON stream row by row.  The table needs every row before it can
 * size its columns, so it copies the values first (sqlite3_column_text()
 * pointers die with the next step) and prints at the end.  Values are
 * printed as SQLite gives them; only the table replaces control characters,
 * so that a stray byte cannot move the cursor of the operator's terminal.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

int out_parse_format(const char *name, enum out_format *fmt)
{
	if (strcmp(name, "table") == 0)
		*fmt = OUT_TABLE;
	else if (strcmp(name, "csv") == 0)
		*fmt = OUT_CSV;
	else if (strcmp(name, "json") == 0)
		*fmt = OUT_JSON;
	else
		return -1;
	return 0;
}

static const char *col_name(sqlite3_stmt *st, int i)
{
	const char *n = sqlite3_column_name(st, i);

	return n ? n : "";
}

/* A BLOB is shown as its bytes in hex: nothing else prints safely. */
static char *blob_hex(const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *s = malloc(2 * n + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = hex[p[i] >> 4];
		s[2 * i + 1] = hex[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

/*
 * The text of column i of the current row.  *owned is set when the result
 * was allocated here (BLOB); NULL means SQL NULL, or no memory when *oom.
 */
static const char *value_text(sqlite3_stmt *st, int i, size_t *len, char **owned, bool *oom)
{
	*owned = NULL;
	*oom = false;
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		*len = 0;
		return NULL;
	case SQLITE_BLOB: {
		const unsigned char *p = sqlite3_column_blob(st, i);
		size_t n = (size_t)sqlite3_column_bytes(st, i);

		*owned = blob_hex(p ? p : (const unsigned char *)"", p ? n : 0);
		if (!*owned) {
			*oom = true;
			return NULL;
		}
		*len = strlen(*owned);
		return *owned;
	}
	default: {
		const unsigned char *t = sqlite3_column_text(st, i);

		if (!t) {
			*oom = true;	/* only NULL values give NULL text */
			return NULL;
		}
		*len = (size_t)sqlite3_column_bytes(st, i);
		return (const char *)t;
	}
	}
}

/* ---- CSV -------------------------------------------------------------- */

static void csv_field(FILE *fp, const char *s, size_t n)
{
	bool quote = false;

	for (size_t i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') {
			quote = true;
			break;
		}
	if (!quote) {
		fwrite(s, 1, n, fp);
		return;
	}
	putc('"', fp);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			putc('"', fp);
		putc(s[i], fp);
	}
	putc('"', fp);
}

static int csv_statement(sqlite3_stmt *st, int ncol, FILE *fp)
{
	int rc;

	for (int i = 0; i < ncol; i++) {
		const char *n = col_name(st, i);

		if (i)
			putc(',', fp);
		csv_field(fp, n, strlen(n));
	}
	putc('\n', fp);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < ncol; i++) {
			size_t len;
			char *owned;
			bool oom;
			const char *v = value_text(st, i, &len, &owned, &oom);

			if (oom)
				return SQLITE_NOMEM;
			if (i)
				putc(',', fp);
			if (v)
				csv_field(fp, v, len);
			free(owned);
		}
		putc('\n', fp);
	}
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- JSON ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;	/* overlong, out of range or a surrogate */
	return len;
}

/* A JSON string; bytes that are not UTF-8 become U+FFFD. */
static void json_string(FILE *fp, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	putc('"', fp);
	while (i < n) {
		unsigned char c = s[i];
		size_t len;

		switch (c) {
		case '"': fputs("\\\"", fp); i++; continue;
		case '\\': fputs("\\\\", fp); i++; continue;
		case '\n': fputs("\\n", fp); i++; continue;
		case '\r': fputs("\\r", fp); i++; continue;
		case '\t': fputs("\\t", fp); i++; continue;
		case '\b': fputs("\\b", fp); i++; continue;
		case '\f': fputs("\\f", fp); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(fp, "\\u%04x", c);
			i++;
			continue;
		}
		len = utf8_seq(s + i, n - i);
		if (len == 0) {
			fputs("\\ufffd", fp);
			i++;
			continue;
		}
		fwrite(s + i, 1, len, fp);
		i += len;
	}
	putc('"', fp);
}

/* Shortest of %.15g/%.17g that reads back as the same double. */
static const char *real_text(double d, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", d);
	if (strtod(buf, NULL) != d)
		snprintf(buf, len, "%.17g", d);
	return buf;
}

static int json_value(sqlite3_stmt *st, int i, FILE *fp)
{
	char buf[40];
	size_t len;
	char *owned;
	bool oom;
	const char *v;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		fputs("null", fp);
		return SQLITE_OK;
	case SQLITE_INTEGER:
		fprintf(fp, "%lld", (long long)sqlite3_column_int64(st, i));
		return SQLITE_OK;
	case SQLITE_FLOAT: {
		double d = sqlite3_column_double(st, i);

		if (!isfinite(d)) {	/* JSON has no Inf */
			fputs("null", fp);
			return SQLITE_OK;
		}
		fputs(real_text(d, buf, sizeof buf), fp);
		return SQLITE_OK;
	}
	default:
		v = value_text(st, i, &len, &owned, &oom);
		if (oom)
			return SQLITE_NOMEM;
		json_string(fp, v ? v : "", len);
		free(owned);
		return SQLITE_OK;
	}
}

static int json_statement(sqlite3_stmt *st, int ncol, FILE *fp)
{
	long nrow = 0;
	int rc;

	putc('[', fp);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fputs(nrow++ ? ",\n  {" : "\n  {", fp);
		for (int i = 0; i < ncol; i++) {
			const char *n = col_name(st, i);

			if (i)
				putc(',', fp);
			json_string(fp, n, strlen(n));
			putc(':', fp);
			if (json_value(st, i, fp) != SQLITE_OK) {
				rc = SQLITE_NOMEM;
				break;
			}
		}
		if (rc != SQLITE_ROW)
			break;
		putc('}', fp);
	}
	/* close the array even after an error, so what was printed still parses */
	fputs(nrow ? "\n]\n" : "]\n", fp);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- table ------------------------------------------------------------ */

struct table {
	int tb_ncol;
	size_t tb_nrow;
	size_t tb_cap;		/* rows allocated */
	char **tb_cells;	/* tb_nrow * tb_ncol, NULL for SQL NULL */
	size_t *tb_width;	/* per column, in characters */
};

/* Characters (not bytes) of s[0..n): UTF-8 continuation bytes do not count. */
static size_t disp_width(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

/* Widest line of a value that may hold line breaks. */
static size_t cell_width(const char *s)
{
	size_t w = 0;

	while (s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		size_t lw = disp_width(s, len);

		if (lw > w)
			w = lw;
		s = nl ? nl + 1 : NULL;
	}
	return w;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->tb_nrow * (size_t)t->tb_ncol; i++)
		free(t->tb_cells[i]);
	free(t->tb_cells);
	free(t->tb_width);
}

/* Copy the current row into the table. */
static int table_add_row(struct table *t, sqlite3_stmt *st)
{
	size_t base;

	if (t->tb_nrow == t->tb_cap) {
		size_t cap = t->tb_cap ? 2 * t->tb_cap : 64;
		char **cells = realloc(t->tb_cells, cap * (size_t)t->tb_ncol * sizeof(*cells));

		if (!cells)
			return SQLITE_NOMEM;
		t->tb_cells = cells;
		t->tb_cap = cap;
	}
	base = t->tb_nrow * (size_t)t->tb_ncol;
	for (int i = 0; i < t->tb_ncol; i++)
		t->tb_cells[base + i] = NULL;
	t->tb_nrow++;	/* counted now so that table_free() frees a partial row */
	for (int i = 0; i < t->tb_ncol; i++) {
		size_t len;
		char *owned;
		bool oom;
		const char *v = value_text(st, i, &len, &owned, &oom);
		char *copy;

		if (oom)
			return SQLITE_NOMEM;
		if (!v)
			continue;
		if (owned) {
			copy = owned;
		} else {
			copy = malloc(len + 1);
			if (!copy)
				return SQLITE_NOMEM;
			memcpy(copy, v, len);
			copy[len] = '\0';	/* an embedded NUL ends the value here */
		}
		t->tb_cells[base + i] = copy;
		size_t w = cell_width(copy);
		if (w > t->tb_width[i])
			t->tb_width[i] = w;
	}
	return SQLITE_OK;
}

/* Print n bytes of s, control characters made harmless. */
static void put_clean(FILE *fp, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t')
			c = ' ';
		else if (c < 0x20 || c == 0x7f)
			c = '?';
		putc(c, fp);
	}
}

static void pad(FILE *fp, size_t n)
{
	while (n--)
		putc(' ', fp);
}

/* One output line of every cell of a row: line `k` of each value. */
static bool table_print_line(FILE *fp, const struct table *t, const char *const *cells, size_t k)
{
	bool more = false;
	size_t owed = 0;	/* padding not yet written: no trailing blanks */

	for (int i = 0; i < t->tb_ncol; i++) {
		const char *s = cells[i];
		size_t len = 0, w;

		for (size_t j = 0; s && j < k; j++) {
			s = strchr(s, '\n');
			if (s)
				s++;
		}
		if (s) {
			const char *nl = strchr(s, '\n');

			len = nl ? (size_t)(nl - s) : strlen(s);
			if (nl)
				more = true;
		}
		if (i)
			owed++;
		if (len) {
			pad(fp, owed);
			put_clean(fp, s, len);
			owed = 0;
		}
		w = s ? disp_width(s, len) : 0;
		owed += t->tb_width[i] - w;
	}
	putc('\n', fp);
	return more;
}

static int table_statement(sqlite3_stmt *st, int ncol, FILE *fp, bool *printed)
{
	struct table t = { .tb_ncol = ncol };
	const char **names;
	int rc;

	t.tb_width = calloc((size_t)ncol, sizeof(*t.tb_width));
	if (!t.tb_width)
		return SQLITE_NOMEM;
	for (int i = 0; i < ncol; i++)
		t.tb_width[i] = cell_width(col_name(st, i));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = table_add_row(&t, st);
		if (rc != SQLITE_OK)
			goto out;
	}
	if (rc != SQLITE_DONE)
		goto out;
	rc = SQLITE_OK;

	if (*printed)
		putc('\n', fp);
	*printed = true;
	if (t.tb_nrow == 0) {
		fputs("no rows selected\n", fp);
		goto out;
	}
	names = malloc((size_t)ncol * sizeof(*names));
	if (!names) {
		rc = SQLITE_NOMEM;
		goto out;
	}
	for (int i = 0; i < ncol; i++)
		names[i] = col_name(st, i);
	for (size_t k = 0; table_print_line(fp, &t, names, k); k++)
		;
	free(names);
	for (int i = 0; i < ncol; i++) {
		if (i)
			putc(' ', fp);
		for (size_t j = 0; j < t.tb_width[i]; j++)
			putc('-', fp);
	}
	putc('\n', fp);
	for (size_t r = 0; r < t.tb_nrow; r++) {
		const char *const *cells = (const char *const *)(t.tb_cells + r * (size_t)ncol);

		for (size_t k = 0; table_print_line(fp, &t, cells, k); k++)
			;
	}
	if (t.tb_nrow == 1)
		fputs("\n1 row selected.\n", fp);
	else
		fprintf(fp, "\n%zu rows selected.\n", t.tb_nrow);
out:
	table_free(&t);
	return rc;
}

int out_statement(sqlite3_stmt *st, enum out_format fmt, FILE *fp, bool *printed)
{
	int ncol = sqlite3_column_count(st);
	int rc;

	if (ncol == 0) {
		/* CREATE, INSERT, ...: run it, print nothing */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		return rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	switch (fmt) {
	case OUT_CSV:
		*printed = true;
		return csv_statement(st, ncol, fp);
	case OUT_JSON:
		*printed = true;
		return json_statement(st, ncol, fp);
	case OUT_TABLE:
	default:
		return table_statement(st, ncol, fp, printed);
	}
}
