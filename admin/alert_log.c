/*
 * alert_log.c - split an alert log file into entries for v$alert_log.
 *
 * The alert log (DESIGN §5, log.h) is a sequence of entries; an entry is a
 * timestamp line such as
 *     2026-11-22T10:15:03.123456+00:00
 * followed by its message lines, up to the next timestamp line.  Lines
 * before the first timestamp (a file cut by hand, say) belong to no entry
 * and are skipped.
 *
 * The file is written by other processes and may be edited by people, so
 * nothing in it is trusted: a line longer than ALERT_LINE_MAX is cut there,
 * an entry longer than ALERT_TEXT_MAX keeps its first lines, NUL bytes are
 * dropped.  Memory stays bounded whatever the file holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "views.h"

#define ALERT_LINE_MAX	4096		/* bytes kept of one line */
#define ALERT_TEXT_MAX	(64 * 1024)	/* bytes kept of one entry's message */
#define ALERT_TS_LEN	32		/* "2026-11-22T10:15:03.123456+00:00" */

/* n decimal digits at s, as a number; -1 if one is not a digit */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool alertlog_is_timestamp(const char *s, size_t len)
{
	int mon, day, hour, min, sec, zh, zm;

	if (len != ALERT_TS_LEN)
		return false;
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != '.' || (s[26] != '+' && s[26] != '-') || s[29] != ':')
		return false;
	if (digits(s, 4) < 0 || digits(s + 20, 6) < 0)
		return false;
	mon = digits(s + 5, 2);
	day = digits(s + 8, 2);
	hour = digits(s + 11, 2);
	min = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	zh = digits(s + 27, 2);
	zm = digits(s + 30, 2);
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hour >= 0 && hour <= 23 &&
	       min >= 0 && min <= 59 && sec >= 0 && sec <= 60 && zh >= 0 && zh <= 23 &&
	       zm >= 0 && zm <= 59;
}

/*
 * Read one line into buf (at most cap-1 bytes kept, the rest of a longer
 * line skipped), without its newline.  Returns false at end of file when
 * nothing was read; *ioerr is set on a read error.
 */
static bool read_line(FILE *fp, char *buf, size_t cap, size_t *len, bool *ioerr)
{
	size_t n = 0;
	bool any = false;
	int c;

	while ((c = getc_unlocked(fp)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0')
			continue;
		if (n < cap - 1)
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	*len = n;
	if (c == EOF && ferror(fp))
		*ioerr = true;
	return any;
}

struct entry {
	char en_ts[ALERT_TS_LEN + 1];
	char *en_text;
	size_t en_len;
	size_t en_lines;	/* message lines so far */
	bool en_open;		/* a timestamp was seen */
	bool en_full;		/* later lines dropped */
};

static void entry_add_line(struct entry *e, const char *line, size_t len)
{
	size_t need = len + (e->en_lines ? 1 : 0);

	if (e->en_full || e->en_len + need > ALERT_TEXT_MAX) {
		e->en_full = true;
		return;
	}
	if (e->en_lines++)
		e->en_text[e->en_len++] = '\n';
	memcpy(e->en_text + e->en_len, line, len);
	e->en_len += len;
}

/* hand the finished entry to fn, trailing empty lines dropped */
static int entry_flush(struct entry *e, long *id, alertlog_fn fn, void *arg)
{
	int rc;

	if (!e->en_open)
		return 0;
	while (e->en_len && e->en_text[e->en_len - 1] == '\n')
		e->en_len--;
	e->en_text[e->en_len] = '\0';
	rc = fn(++*id, e->en_ts, e->en_text, e->en_len, arg);
	e->en_len = 0;
	e->en_lines = 0;
	e->en_full = false;
	e->en_open = false;
	return rc;
}

int alertlog_foreach(const char *path, alertlog_fn fn, void *arg, char *err, size_t errlen)
{
	struct entry e = { .en_len = 0 };
	char *line = NULL;
	size_t len;
	long id = 0;
	bool ioerr = false;
	FILE *fp;
	int rc = 0;

	fp = fopen(path, "re");
	if (!fp) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;	/* no log yet: no entries */
		snprintf(err, errlen, "cannot read alert log %s: %s", path, strerror(errno));
		return RAC_EIO;
	}
	line = malloc(ALERT_LINE_MAX);
	e.en_text = malloc(ALERT_TEXT_MAX + 1);
	if (!line || !e.en_text) {
		snprintf(err, errlen, "out of memory reading %s", path);
		rc = RAC_ENOMEM;
		goto out;
	}
	while (read_line(fp, line, ALERT_LINE_MAX, &len, &ioerr)) {
		if (alertlog_is_timestamp(line, len)) {
			rc = entry_flush(&e, &id, fn, arg);
			if (rc)
				goto out;
			memcpy(e.en_ts, line, ALERT_TS_LEN + 1);
			e.en_open = true;
		} else if (e.en_open) {
			entry_add_line(&e, line, len);
		}
	}
	if (ioerr) {
		snprintf(err, errlen, "error reading alert log %s: %s", path, strerror(errno));
		rc = RAC_EIO;
		goto out;
	}
	rc = entry_flush(&e, &id, fn, arg);
out:
	free(line);
	free(e.en_text);
	fclose(fp);
	return rc;
}
