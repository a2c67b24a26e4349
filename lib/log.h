/*
 * log.h - the two logs an instance writes (DESIGN §5).
 *
 * The alert log (<local_dir>/alert_<INST>.log) is for operators.  One entry
 * is an ISO-8601 timestamp line with microseconds and zone, then the
 * message lines.  It records what an operator must know: start, open,
 * shutdown, the parameters in force, a member's death, reconfigurations,
 * evictions, faults injected by hand.  Every process of the instance
 * appends to it with one write(2) per entry (O_APPEND), so entries of
 * different processes never interleave.
 *
 * The trace file (<local_dir>/trace/<INST>_<role>_<pid>.trc) is for
 * engineers: one line per event,
 *   2026-11-22 10:15:03.123456 [INFO] lmon P0000012345 T0000012345 [CGS]: text
 * Levels:
 *   ERROR  something failed and the process or instance is affected
 *   WARN   something unexpected that the process handled (bad input, retry)
 *   INFO   a normal but notable event (state change, registration)
 *   DEBUG  detail for following a flow; off unless RACRT_DEBUG=1
 * Everything written to the alert log is also written to the trace file.
 * State machines write their transitions as
 *   status change from (A) to (B)
 * through log_change_state().
 */
#ifndef RAC_LOG_H
#define RAC_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/*
 * Open the alert log and, if `role` is not NULL, this process's trace file.
 * `local_dir` is created if missing.  Without log_open() the functions below
 * write to stderr only.
 */
int log_open(const char *local_dir, const char *inst_name, const char *role);
void log_close(void);
/* also copy trace lines at or above `lvl` to stderr (racctl in foreground) */
void log_set_stderr(int lvl);
/* path of the alert log of an instance */
void log_alert_path(const char *local_dir, const char *inst_name, char *buf, size_t len);

void log_alert(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_valert(const char *fmt, va_list ap);
void log_trace(enum log_level lvl, const char *comp, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(comp, ...) log_trace(LOG_ERROR, comp, __VA_ARGS__)
#define log_warn(comp, ...)  log_trace(LOG_WARN, comp, __VA_ARGS__)
#define log_info(comp, ...)  log_trace(LOG_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...) log_trace(LOG_DEBUG, comp, __VA_ARGS__)

/* trace: "status change from (A) to (B)" [+ " : why"] */
void log_change_state(const char *comp, const char *from, const char *to, const char *why);

#endif
