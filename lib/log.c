/*
 * log.c - alert log and trace files (see log.h for what goes where).
 *
 * Each entry is formatted into one buffer and written with a single
 * write(2) on an O_APPEND descriptor, so the guardian and the members can
 * share one alert log without their entries interleaving.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "rac.h"

static int alert_fd = -1;
static int trace_fd = -1;
static int stderr_level = -1;
static char log_role[16] = "racctl";
static int debug_on = -1;

static const char *level_str[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void log_alert_path(const char *local_dir, const char *inst_name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/alert_%s.log", local_dir, inst_name);
}

int log_open(const char *local_dir, const char *inst_name, const char *role)
{
	char path[RAC_PATH_MAX + 64];

	log_close();
	if (rac_mkdirs(local_dir))
		return RAC_ESYS;
	log_alert_path(local_dir, inst_name, path, sizeof(path));
	alert_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (alert_fd < 0)
		return RAC_ESYS;
	if (role) {
		snprintf(log_role, sizeof(log_role), "%s", role);
		snprintf(path, sizeof(path), "%s/trace", local_dir);
		if (rac_mkdirs(path))
			return RAC_ESYS;
		snprintf(path, sizeof(path), "%s/trace/%s_%s_%d.trc", local_dir, inst_name,
			 role, (int)getpid());
		trace_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (trace_fd < 0)
			return RAC_ESYS;
	}
	return 0;
}

void log_close(void)
{
	if (alert_fd >= 0)
		close(alert_fd);
	if (trace_fd >= 0)
		close(trace_fd);
	alert_fd = trace_fd = -1;
}

void log_set_stderr(int lvl)
{
	stderr_level = lvl;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;	/* a log that cannot be written must not stop the instance */
		buf += n;
		len -= (size_t)n;
	}
}

static void vtrace(enum log_level lvl, const char *comp, const char *fmt, va_list ap)
{
	char line[4096], ts[40];
	int n, m;

	if (debug_on < 0) {
		const char *d = getenv("RACRT_DEBUG");
		debug_on = d && *d && strcmp(d, "0");
	}
	if (lvl == LOG_DEBUG && !debug_on)
		return;
	rac_fmt_trace(rac_now_us(), ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s [%s] %s P%010d T%010d [%s]: ", ts,
		     level_str[lvl], log_role, (int)getpid(), (int)syscall(SYS_gettid), comp);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n = (size_t)(n + m) < sizeof(line) - 1 ? n + m : (int)sizeof(line) - 2;
	/* one event, one line */
	for (int i = 0; i < n; i++)
		if (line[i] == '\n')
			line[i] = ' ';
	line[n++] = '\n';
	if (trace_fd >= 0)
		write_all(trace_fd, line, (size_t)n);
	if ((trace_fd < 0 && alert_fd < 0) || (int)lvl <= stderr_level)
		write_all(2, line, (size_t)n);
}

void log_trace(enum log_level lvl, const char *comp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtrace(lvl, comp, fmt, ap);
	va_end(ap);
}

void log_valert(const char *fmt, va_list ap)
{
	char buf[16384], ts[48];
	int n, m;
	va_list copy;

	va_copy(copy, ap);
	rac_fmt_iso(rac_now_us(), ts, sizeof(ts));
	n = snprintf(buf, sizeof(buf), "%s\n", ts);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	n = (size_t)(n + m) < sizeof(buf) - 1 ? n + m : (int)sizeof(buf) - 2;
	if (buf[n - 1] != '\n')
		buf[n++] = '\n';
	if (alert_fd >= 0)
		write_all(alert_fd, buf, (size_t)n);
	/* every alert entry is also an event in this process's trace */
	vtrace(LOG_INFO, "ALERT", fmt, copy);
	va_end(copy);
}

void log_alert(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_valert(fmt, ap);
	va_end(ap);
}

void log_change_state(const char *comp, const char *from, const char *to, const char *why)
{
	if (why && *why)
		log_trace(LOG_INFO, comp, "status change from (%s) to (%s) : %s", from, to, why);
	else
		log_trace(LOG_INFO, comp, "status change from (%s) to (%s)", from, to);
}
