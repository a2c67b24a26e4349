/*
 * lab_clock.c - the lab's clock-skew drill: an offset to one instance's
 * wall clock, kept in <local_dir>/lab_clock_offset_us so that it applies
 * from the instance's next start too, and in its SGA header while it runs
 * (rac_clock_offset_from()).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "lab.h"

#define OFFSET_FILE "lab_clock_offset_us"

static void offset_path(const struct rac_inst_cfg *ic, char *buf, size_t len)
{
	snprintf(buf, len, "%s/" OFFSET_FILE, ic->ic_local_dir);
}

void lab_clock_offset_load(const struct rac_inst_cfg *ic, int64_t *dst)
{
	char path[RAC_PATH_MAX + 32], text[32] = "";
	long long v;
	char *end;
	ssize_t n;
	int fd;

	offset_path(ic, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return;
	text[n] = '\0';
	errno = 0;
	v = strtoll(text, &end, 10);
	/* within an hour either way, as racctl writes it; anything else is ignored */
	if (errno || end == text || (*end && *end != '\n') || v < -3600000000ll || v > 3600000000ll)
		return;
	__atomic_store_n(dst, (int64_t)v, __ATOMIC_RELAXED);
}

int lab_clock_offset_save(const struct rac_inst_cfg *ic, int64_t us, char *err, size_t errlen)
{
	char path[RAC_PATH_MAX + 32], text[32];
	int n;

	offset_path(ic, path, sizeof(path));
	if (!us) {
		if (unlink(path) && errno != ENOENT) {
			snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
			return RAC_ESYS;
		}
		return 0;
	}
	n = snprintf(text, sizeof(text), "%" PRId64 "\n", us);
	if (rac_write_file(path, 0600, text, (size_t)n)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return RAC_ESYS;
	}
	return 0;
}
