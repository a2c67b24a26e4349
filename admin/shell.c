/*
 * shell.c - racsql without -e: statements typed at "SQL> " or piped in.
 *
 * Lines are gathered until they make complete SQL (sqlite3_complete(): the
 * last statement ends with ';' outside any string or comment), then the
 * whole text runs through the caller's exec function (racsql_exec(),
 * which takes a fresh snapshot before each statement).  "exit" or "quit"
 * (with or without ';') on a fresh line, or end of input, leaves.
 *
 * On a terminal the lines come from libedit (line editing, history in
 * ~/.racsql_history, continuation prompt "  2> "); an SQL error is shown
 * and the session goes on, exit status 0.  From a pipe or a file there are
 * no prompts, text left without ';' at the end still runs, and the exit
 * status is 1 when any statement failed.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <editline/readline.h>

#include <sqlite3.h>

#include "shell.h"
#include "views.h"

#define HISTORY_MAX 1000

/* The statement being typed. */
struct sqlbuf {
	char *sb_text;
	size_t sb_len;
	size_t sb_cap;
	int sb_lines;
};

static int sqlbuf_add(struct sqlbuf *b, const char *line, size_t len)
{
	if (b->sb_len + len + 2 > b->sb_cap) {
		size_t cap = b->sb_cap ? b->sb_cap : 256;
		char *p;

		while (cap < b->sb_len + len + 2)
			cap *= 2;
		p = realloc(b->sb_text, cap);
		if (!p)
			return -1;
		b->sb_text = p;
		b->sb_cap = cap;
	}
	memcpy(b->sb_text + b->sb_len, line, len);
	b->sb_len += len;
	b->sb_text[b->sb_len++] = '\n';
	b->sb_text[b->sb_len] = '\0';
	b->sb_lines++;
	return 0;
}

static void sqlbuf_clear(struct sqlbuf *b)
{
	b->sb_len = 0;
	b->sb_lines = 0;
	if (b->sb_text)
		b->sb_text[0] = '\0';
}

static bool blank(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* "exit", "quit", "EXIT;", "  quit ; " */
static bool is_leave(const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n && s[n - 1] == ';')
		n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return n == 4 && (strncasecmp(s, "exit", 4) == 0 || strncasecmp(s, "quit", 4) == 0);
}

/* ---- completion ------------------------------------------------------- */

/*
 * Tab completes view names, their columns and SQL keywords.  '$' must not
 * break words, or "v$pro" would complete "pro".
 */

/* The n-th candidate, false past the last. */
static bool candidate(size_t n, char *buf, size_t len)
{
	static size_t nviews = (size_t)-1;
	const char *w;
	int wlen;

	if (nviews == (size_t)-1)
		for (nviews = 0; views_word(nviews); nviews++)
			;
	if (n < nviews) {
		snprintf(buf, len, "%s", views_word(n));
		return true;
	}
	n -= nviews;
	if (n >= (size_t)sqlite3_keyword_count() ||
	    sqlite3_keyword_name((int)n, &w, &wlen) != SQLITE_OK)
		return false;
	snprintf(buf, len, "%.*s", wlen, w);
	return true;
}

static char *complete_word(const char *text, int state)
{
	static size_t next;
	size_t tlen = strlen(text);
	char word[64], prev[64];

	if (state == 0)
		next = 0;
	while (candidate(next++, word, sizeof word)) {
		bool seen = false;

		if (strncasecmp(word, text, tlen) != 0)
			continue;
		/* a column of several views is offered once */
		for (size_t j = 0; j + 1 < next && !seen; j++)
			seen = candidate(j, prev, sizeof prev) && strcasecmp(prev, word) == 0;
		if (seen)
			continue;
		/* answer in the case the user types in */
		if (tlen && islower((unsigned char)text[0]))
			for (char *p = word; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		return strdup(word);
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	(void)start;
	(void)end;
	rl_attempted_completion_over = 1;	/* never file names */
	return rl_completion_matches(text, complete_word);
}

/* ---- terminal --------------------------------------------------------- */

/* one history entry per statement, on one line */
static void remember(const char *sql, const char *histfile)
{
	char *h = strdup(sql);
	size_t n;

	if (!h)
		return;
	for (char *p = h; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	n = strlen(h);
	while (n && h[n - 1] == ' ')
		h[--n] = '\0';
	if (n)
		add_history(h);
	free(h);
	if (histfile)
		write_history(histfile);	/* each time: Ctrl-C must not lose it */
}

static int shell_terminal(shell_exec_fn exec, void *arg)
{
	struct sqlbuf b = { .sb_text = NULL };
	char histfile[4096];
	const char *home = getenv("HOME");
	const char *hist = NULL;
	char prompt[32];

	if (home && home[0] &&
	    (size_t)snprintf(histfile, sizeof histfile, "%s/.racsql_history", home) <
		    sizeof histfile)
		hist = histfile;
	rl_readline_name = "racsql";
	rl_basic_word_break_characters = " \t\n\"'`@><=;|&{(,";
	rl_completer_word_break_characters = (char *)rl_basic_word_break_characters;
	rl_attempted_completion_function = complete;
	using_history();
	stifle_history(HISTORY_MAX);
	if (hist)
		read_history(hist);	/* none yet is fine */

	for (;;) {
		char *line;

		if (b.sb_lines == 0)
			snprintf(prompt, sizeof prompt, "SQL> ");
		else
			snprintf(prompt, sizeof prompt, "%3d> ", b.sb_lines + 1);
		fflush(stdout);
		line = readline(prompt);
		if (!line) {
			putchar('\n');	/* Ctrl-D: leave the cursor on a new line */
			break;
		}
		if (b.sb_lines == 0 && is_leave(line)) {
			free(line);
			break;
		}
		if (b.sb_lines == 0 && blank(line)) {
			free(line);
			continue;
		}
		if (sqlbuf_add(&b, line, strlen(line)) != 0) {
			fputs("racsql: out of memory\n", stderr);
			free(line);
			sqlbuf_clear(&b);
			continue;
		}
		free(line);
		if (!sqlite3_complete(b.sb_text))
			continue;
		remember(b.sb_text, hist);
		exec(arg, b.sb_text);	/* it reports its own errors */
		sqlbuf_clear(&b);
	}
	if (hist)
		write_history(hist);
	free(b.sb_text);
	return 0;
}

/* ---- pipe or file ----------------------------------------------------- */

static int shell_stream(shell_exec_fn exec, void *arg, FILE *in)
{
	struct sqlbuf b = { .sb_text = NULL };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int status = 0;

	while ((n = getline(&line, &cap, in)) >= 0) {
		size_t len = (size_t)n;

		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (b.sb_lines == 0 && is_leave(line))
			goto out;
		if (b.sb_lines == 0 && blank(line))
			continue;
		if (sqlbuf_add(&b, line, len) != 0) {
			fputs("racsql: out of memory\n", stderr);
			status = 1;
			goto out;
		}
		if (!sqlite3_complete(b.sb_text))
			continue;
		if (exec(arg, b.sb_text) != 0)
			status = 1;
		sqlbuf_clear(&b);
	}
	if (ferror(in)) {
		perror("racsql: reading standard input");
		status = 1;
	}
	/* the last statement may lack its ';' */
	if (b.sb_lines && !blank(b.sb_text) && exec(arg, b.sb_text) != 0)
		status = 1;
out:
	free(line);
	free(b.sb_text);
	return status;
}

int shell_run(shell_exec_fn exec, void *arg)
{
	if (isatty(STDIN_FILENO))
		return shell_terminal(exec, arg);
	return shell_stream(exec, arg, stdin);
}
