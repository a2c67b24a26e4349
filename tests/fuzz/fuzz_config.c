/*
 * fuzz_config.c - the configuration parser (lib/config.c:
 * config_parse_file) on a file made from the input.
 *
 * Input: the bytes of a configuration file (INI).
 * Properties: no crash, leak or undefined behaviour; a file that parses
 * gives a configuration within its own bounds (counts, instance numbers,
 * terminated strings); one that does not says why in the error buffer.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "errors.h"
#include "fuzz.h"

static char dir[64], path[128];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rac_config cfg;
	char err[2048];
	int fd, rc;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_config.XXXXXX");
		FUZZ_CHECK(mkdtemp(dir));
		snprintf(path, sizeof(path), "%s/racrt.ini", dir);
		atexit(cleanup);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	close(fd);

	rc = config_parse_file(path, &cfg, err, sizeof(err));
	FUZZ_CHECK(strnlen(err, sizeof(err)) < sizeof(err));
	if (rc) {
		FUZZ_CHECK(rc == RAC_ECONFIG && err[0]);
		return 0;
	}
	FUZZ_CHECK(cfg.cf_ninst >= 1 && cfg.cf_ninst <= RAC_MAX_INST);
	FUZZ_CHECK(cfg.cf_nvoting >= 0 && cfg.cf_nvoting <= RAC_MAX_VOTING);
	FUZZ_CHECK(strnlen(cfg.cf_name, sizeof(cfg.cf_name)) < sizeof(cfg.cf_name));
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		const struct rac_inst_cfg *ic = config_inst(&cfg, i);

		FUZZ_CHECK(!ic || ic->ic_number == i);
		if (ic)
			FUZZ_CHECK(strnlen(ic->ic_name, sizeof(ic->ic_name)) < sizeof(ic->ic_name));
	}
	return 0;
}
