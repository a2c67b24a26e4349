/*
 * test_sga.c - the SGA layout: fixed offsets, creation, validation, the
 * running-owner check and removal of a segment left by a dead instance.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "errors.h"
#include "procs.h"
#include "sga.h"

static struct rac_config cfg;
static char base[64];

static int setup(void **state)
{
	char err[512];

	(void)state;
	snprintf(base, sizeof(base), "/tmp/racrt-unit-sga.%d", (int)getpid());
	return config_default(base, &cfg, err, sizeof(err));
}

static void test_layout_is_fixed(void **state)
{
	(void)state;
	/* the header layout is part of the version: these must not drift */
	assert_int_equal(offsetof(struct sga_header, sh_magic), 0);
	assert_int_equal(offsetof(struct sga_header, sh_version), 4);
	assert_int_equal(offsetof(struct sga_header, sh_inst_no), 40);
	assert_int_equal(sizeof(struct sga_nm_slot), 256);
	assert_true(sga_layout_size() % 4096 == 0);
	assert_true(sga_layout_size() >= sizeof(struct sga_header) + RAC_NROLES * 256 +
		    SGA_NCOUNTERS * 8 + sizeof(struct rac_config));
	assert_true(SGA_NCOUNTERS_USED <= SGA_NCOUNTERS);
	for (int c = 0; c < SGA_NCOUNTERS_USED; c++)
		assert_non_null(sga_counter_name(c));
}

static void test_create_attach_validate(void **state)
{
	struct sga s, r;
	pid_t stale;
	struct stat st;

	(void)state;
	assert_int_equal(sga_create(&cfg, 1, &s, &stale), 0);
	assert_int_equal(stale, 0);
	proc_name_nm_slots(&s);
	assert_int_equal(sga_validate(&s), 0);
	assert_true(sga_owner_alive(&s));
	assert_int_equal(fstat(s.sg_fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sga_hdr(&s)->sh_inst_no, 1);
	assert_string_equal(sga_hdr(&s)->sh_inst_name, "RAC1");
	assert_int_equal(sga_hdr(&s)->sh_state, INST_STARTED);
	assert_string_equal(sga_nm(&s, RAC_ROLE_LMS)->nm_name, "LMS0");
	assert_int_equal(sga_nm(&s, RAC_ROLE_SMON)->nm_member_id, -1);
	assert_memory_equal(sga_config(&s), &cfg, sizeof(cfg));

	/* a reader sees the same, through its own mapping */
	assert_int_equal(sga_attach(s.sg_name, 0, &r), 0);
	assert_int_equal(sga_validate(&r), 0);
	sga_count(&s, CNT_MSG_BAD, 3);
	assert_int_equal(sga_counters(&r)[CNT_MSG_BAD], 3);
	sga_detach(&r);

	/* a second instance of the same name cannot be created while we live */
	assert_int_equal(sga_create(&cfg, 1, &r, &stale), RAC_ESGA_RUNNING);

	/* a newer layout version is refused, not misread */
	sga_hdr(&s)->sh_version = SGA_VERSION + 1;
	assert_int_equal(sga_validate(&s), RAC_ESGA_VERSION);
	sga_hdr(&s)->sh_version = SGA_VERSION;
	sga_hdr(&s)->sh_off_config += 8;
	assert_int_equal(sga_validate(&s), RAC_ESGA_CORRUPT);
	sga_unlink(&s);
	sga_detach(&s);
	assert_int_equal(sga_attach(s.sg_name, 0, &r), RAC_ENOENT);
}

static void test_stale_segment_of_dead_owner_is_replaced(void **state)
{
	struct sga s;
	pid_t child, stale;
	int fds[2];
	char c;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	child = fork();
	if (child == 0) {
		struct sga cs;
		pid_t st;

		if (sga_create(&cfg, 2, &cs, &st))
			_exit(1);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(fds[0], &c, 1), 1);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);

	assert_int_equal(sga_create(&cfg, 2, &s, &stale), 0);
	assert_int_equal(stale, child);
	assert_int_equal(sga_hdr(&s)->sh_guardian_pid, getpid());
	sga_unlink(&s);
	sga_detach(&s);
	close(fds[0]);
	close(fds[1]);
}

static void test_garbage_segment_is_rejected(void **state)
{
	struct sga s;
	char name[96];
	int fd;

	(void)state;
	config_sga_name(&cfg, 3, name, sizeof(name));
	fd = shm_open(name, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8192), 0);
	close(fd);
	assert_int_equal(sga_attach(name, 0, &s), 0);
	assert_int_equal(sga_validate(&s), RAC_ESGA_CORRUPT);
	assert_false(sga_owner_alive(&s));
	sga_detach(&s);
	shm_unlink(name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_is_fixed),
		cmocka_unit_test(test_create_attach_validate),
		cmocka_unit_test(test_stale_segment_of_dead_owner_is_replaced),
		cmocka_unit_test(test_garbage_segment_is_rejected),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
