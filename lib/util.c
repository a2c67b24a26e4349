/*
 * util.c - clocks, time formats, /proc and string helpers used everywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "rac.h"

uint64_t rac_now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const int64_t *clock_offset_us;

void rac_clock_offset_from(const int64_t *offset_us)
{
	clock_offset_us = offset_us;
}

uint64_t rac_now_us(void)
{
	struct timespec ts;
	uint64_t us;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
	if (clock_offset_us)
		us += (uint64_t)__atomic_load_n(clock_offset_us, __ATOMIC_RELAXED);
	return us;
}

static void fmt_time(uint64_t us, char *buf, size_t len, int iso)
{
	time_t secs = (time_t)(us / 1000000);
	unsigned frac = (unsigned)(us % 1000000);
	struct tm tm;
	char date[32], zone[8] = "+00:00";

	localtime_r(&secs, &tm);
	strftime(date, sizeof(date), iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
	if (!iso) {
		snprintf(buf, len, "%s.%06u", date, frac);
		return;
	}
	/* %z gives +0100; ISO-8601 extended wants +01:00 */
	long off = tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	snprintf(zone, sizeof(zone), "%c%02ld:%02ld", sign, (off / 3600) % 100, (off / 60) % 60);
	snprintf(buf, len, "%s.%06u%s", date, frac, zone);
}

void rac_fmt_iso(uint64_t us, char *buf, size_t len)
{
	fmt_time(us, buf, len, 1);
}

void rac_fmt_trace(uint64_t us, char *buf, size_t len)
{
	fmt_time(us, buf, len, 0);
}

uint64_t rac_proc_starttime(pid_t pid)
{
	char path[64], buf[1024];
	FILE *f;
	size_t n;
	char *p;
	unsigned long long start = 0;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces and ')'; fields resume after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* after ") " come: state(3) ppid(4) ... starttime is field 22 */
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p || sscanf(p, "%llu", &start) != 1)
		return 0;
	/* a zombie has not gone yet, but it is dead for our purposes */
	{
		char *st = strrchr(buf, ')');
		if (st && st[1] == ' ' && (st[2] == 'Z' || st[2] == 'X'))
			return 0;
	}
	return start ? start : 1;
}

int rac_strlcpy(char *dst, const char *src, size_t len)
{
	size_t n = strlen(src);

	if (len == 0)
		return RAC_ETOOLONG;
	if (n >= len) {
		memcpy(dst, src, len - 1);
		dst[len - 1] = '\0';
		return RAC_ETOOLONG;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

uint64_t rac_fnv1a(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 1469598103934665603ull;

	while (n--) {
		h ^= *c++;
		h *= 1099511628211ull;
	}
	return h;
}

int rac_mkdirs(const char *path)
{
	char buf[RAC_PATH_MAX * 2];

	if (rac_strlcpy(buf, path, sizeof(buf)))
		return RAC_ETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return RAC_ESYS;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return RAC_ESYS;
	return 0;
}

int rac_write_file(const char *path, mode_t mode, const void *text, size_t len)
{
	char tmp[RAC_PATH_MAX + 16];
	int fd, ok, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return RAC_ESYS;
	}
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return RAC_ESYS;
	ok = fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
	saved = errno;
	if (close(fd) && ok) {
		ok = 0;
		saved = errno;
	}
	if (ok && rename(tmp, path) == 0)
		return 0;
	if (ok)
		saved = errno;
	unlink(tmp);
	errno = saved;
	return RAC_ESYS;
}

void rac_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}
