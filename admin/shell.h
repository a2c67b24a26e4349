/*
 * shell.h - racsql's interactive side (shell.c): it gathers statements
 * and hands each complete text to the caller, which runs it.
 *
 *   racsql.c: shell_run(racsql's exec, session) -> per text: exec(arg, sql)
 */
#ifndef RACSQL_SHELL_H
#define RACSQL_SHELL_H

/*
 * Run `sql` (one or more statements): 0, or non-zero after reporting the
 * error itself on stderr.
 */
typedef int (*shell_exec_fn)(void *arg, const char *sql);

/* Read statements from the terminal (or from stdin when it is not one),
 * running each complete text through exec(arg, text); returns the exit
 * status. */
int shell_run(shell_exec_fn exec, void *arg);

#endif
