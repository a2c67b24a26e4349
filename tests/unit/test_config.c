/*
 * test_config.c - the configuration table: defaults, parsing, every class
 * of mistake reported with file, line, key and fix, values in force.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "errors.h"

static char dir[] = "/tmp/racrt-unit-config.XXXXXX";
static char path[512];
static struct rac_config cfg;
static char err[4096];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/rac.ini", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static int load(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return config_parse_file(path, &cfg, err, sizeof(err));
}

#define GOOD_INST \
	"[instance1]\nlmon_endpoint = tcp://127.0.0.1:7101\nlms_endpoint = tcp://127.0.0.1:7201\n"

static void test_builtin_default_cluster(void **state)
{
	(void)state;
	assert_int_equal(config_default("/base", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.cf_name, "demo");
	assert_int_equal(cfg.cf_ninst, 3);
	assert_string_equal(cfg.cf_shared_disk, "/base/racdata");
	assert_int_equal(cfg.cf_nvoting, 3);
	assert_string_equal(cfg.cf_voting[2], "/base/racdata/vote3.dsk");
	assert_string_equal(config_inst(&cfg, 2)->ic_name, "RAC2");
	assert_string_equal(config_inst(&cfg, 2)->ic_lmon_ep, "tcp://127.0.0.1:7102");
	assert_string_equal(config_inst(&cfg, 3)->ic_local_dir, "/base/racdata/RAC3");
	assert_null(config_inst(&cfg, 4));
	assert_true(cfg.cf_misscount_ms > cfg.cf_heartbeat_interval_ms);
}

static void test_minimal_file_takes_defaults(void **state)
{
	(void)state;
	assert_int_equal(load("[cluster]\n" GOOD_INST), 0);
	assert_string_equal(cfg.cf_name, "demo");
	assert_int_equal(cfg.cf_heartbeat_interval_ms, 100);
	assert_string_equal(config_inst(&cfg, 1)->ic_name, "RAC1");
	assert_string_equal(config_inst(&cfg, 1)->ic_host, "localhost");
}

static void test_values_and_relative_paths(void **state)
{
	char want[600];

	(void)state;
	assert_int_equal(load("[cluster]\nname = prod ; the cluster\nshared_disk = d\n"
			      "voting_disks = d/a.dsk,  /abs/b.dsk , d/c.dsk\n"
			      "heartbeat_interval_ms = 50\nmisscount_ms = 1000\n"
			      "[instance2]\nname = ORCL2\nlmon_endpoint = tcp://127.0.0.1:7102\n"
			      "lms_endpoint = ipc:///tmp/x.sock\nlocal_dir = ./loc\n"), 0);
	assert_string_equal(cfg.cf_name, "prod");
	snprintf(want, sizeof(want), "%s/d", dir);
	assert_string_equal(cfg.cf_shared_disk, want);
	assert_string_equal(cfg.cf_voting[1], "/abs/b.dsk");
	snprintf(want, sizeof(want), "%s/d/c.dsk", dir);
	assert_string_equal(cfg.cf_voting[2], want);
	assert_int_equal(cfg.cf_heartbeat_interval_ms, 50);
	assert_null(config_inst(&cfg, 1));
	assert_string_equal(config_inst_by_name(&cfg, "orcl2")->ic_lms_ep, "ipc:///tmp/x.sock");
	snprintf(want, sizeof(want), "%s/loc", dir);
	assert_string_equal(config_inst(&cfg, 2)->ic_local_dir, want);
}

static void test_unknown_key_names_line_and_suggests(void **state)
{
	(void)state;
	assert_int_equal(load("[cluster]\n\nmiscount_ms = 3000\n" GOOD_INST), RAC_ECONFIG);
	assert_non_null(strstr(err, "rac.ini:3: unknown key 'miscount_ms' in [cluster]; "
				    "did you mean 'misscount_ms'?"));
}

static void test_bad_number_and_range(void **state)
{
	(void)state;
	assert_int_equal(load("[cluster]\nheartbeat_interval_ms = fast\n" GOOD_INST), RAC_ECONFIG);
	assert_non_null(strstr(err, ":2: [cluster] heartbeat_interval_ms = 'fast' is not a whole number"));
	assert_int_equal(load("[cluster]\nheartbeat_interval_ms = 1\n" GOOD_INST), RAC_ECONFIG);
	assert_non_null(strstr(err, "out of range; use a value between 10 and 10000"));
	assert_int_equal(load("[cluster]\nheartbeat_interval_ms = 99999999999999999999\n" GOOD_INST),
			 RAC_ECONFIG);
}

static void test_missing_endpoint_and_duplicates(void **state)
{
	(void)state;
	assert_int_equal(load("[cluster]\n[instance3]\nlms_endpoint = tcp://h:1\n"), RAC_ECONFIG);
	assert_non_null(strstr(err, "[instance3] has no lmon_endpoint"));
	assert_int_equal(load("[cluster]\n" GOOD_INST "[instance2]\nname = rac1\n"
			      "lmon_endpoint = tcp://127.0.0.1:7201\nlms_endpoint = tcp://127.0.0.1:7202\n"),
			 RAC_ECONFIG);
	assert_non_null(strstr(err, "both named 'RAC1'"));
	assert_non_null(strstr(err, "both use endpoint tcp://127.0.0.1:7201"));
}

static void test_missing_sections(void **state)
{
	(void)state;
	assert_int_equal(load(GOOD_INST), RAC_ECONFIG);
	assert_non_null(strstr(err, "no [cluster] section"));
	assert_int_equal(load("[cluster]\nname = x\n"), RAC_ECONFIG);
	assert_non_null(strstr(err, "no instance configured"));
	assert_int_equal(load("[cluster]\n" GOOD_INST "[instance99]\n"), RAC_ECONFIG);
	assert_non_null(strstr(err, "instance numbers go from 1 to 32"));
}

static void test_bad_names_endpoints_and_lists(void **state)
{
	(void)state;
	assert_int_equal(load("[cluster]\nname = 9lives\n" GOOD_INST), RAC_ECONFIG);
	assert_non_null(strstr(err, "is not a valid name"));
	assert_int_equal(load("[cluster]\n[instance1]\nlmon_endpoint = udp://x:1\n"
			      "lms_endpoint = tcp://127.0.0.1:7201\n"), RAC_ECONFIG);
	assert_non_null(strstr(err, "use tcp://HOST:PORT"));
	assert_int_equal(load("[cluster]\nvoting_disks = a, b, a\n" GOOD_INST), RAC_ECONFIG);
	assert_non_null(strstr(err, "names 'a' twice"));
	assert_int_equal(load("[cluster]\nvoting_disks = ,\n" GOOD_INST), RAC_ECONFIG);
	assert_non_null(strstr(err, "list at least one voting disk"));
}

static void test_timings_must_fit_together(void **state)
{
	(void)state;
	assert_int_equal(load("[cluster]\nckpt_interval_ms = 1000\nckpt_timeout_ms = 2000\n"
			      GOOD_INST), RAC_ECONFIG);
	assert_non_null(strstr(err, "ckpt_timeout_ms = 2000 must be at least 3 times "
				    "ckpt_interval_ms (1000)"));
}

static void test_every_mistake_reported_at_once(void **state)
{
	int lines = 0;

	(void)state;
	assert_int_equal(load("[cluster]\nfoo = 1\nbar = 2\nmisscount_ms = x\n" GOOD_INST),
			 RAC_ECONFIG);
	for (char *p = err; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 3);
}

static void test_syntax_error_and_missing_file(void **state)
{
	(void)state;
	assert_int_equal(load("[cluster\n"), RAC_ECONFIG);
	assert_non_null(strstr(err, "syntax error"));
	assert_int_equal(config_parse_file("/nonexistent/x.ini", &cfg, err, sizeof(err)),
			 RAC_ECONFIG);
	assert_non_null(strstr(err, "/nonexistent/x.ini: cannot read the configuration file"));
}

struct seen {
	int n, file, cluster, inst;
	char hb_value[32];
};

static void count_param(const struct cfg_param *p, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->file += !strcmp(p->p_source, "file");
	s->cluster += !strcmp(p->p_section, "cluster");
	s->inst += !strcmp(p->p_section, "instance1");
	if (!strcmp(p->p_name, "heartbeat_interval_ms")) {
		snprintf(s->hb_value, sizeof(s->hb_value), "%s", p->p_value);
		assert_string_equal(p->p_default, "100");
	}
}

/* a section twice, or two names of one instance, would merge silently */
static void test_duplicate_sections_are_refused_with_their_lines(void **state)
{
	(void)state;
	assert_int_equal(load("[cluster]\n" GOOD_INST "[instance1]\nname = other\n"), RAC_ECONFIG);
	assert_non_null(strstr(err, ":5: [instance1] is given again (first at line 2)"));
	assert_int_equal(load("[cluster]\n" GOOD_INST "[instance01]\nname = other\n"), RAC_ECONFIG);
	assert_non_null(strstr(err, ":5: [instance01] names instance 1, as [instance1] at line 2"));
	assert_int_equal(load("[cluster]\nname = a\n" GOOD_INST "[cluster]\nname = b\n"),
			 RAC_ECONFIG);
	assert_non_null(strstr(err, "[cluster] is given again (first at line 1)"));
}

/* the file must be a regular file of bounded size: a directory or a device is named */
static void test_config_must_be_a_regular_file(void **state)
{
	char big[512];
	FILE *f;

	(void)state;
	assert_int_equal(config_parse_file(dir, &cfg, err, sizeof(err)), RAC_ECONFIG);
	assert_non_null(strstr(err, "is a directory, not a configuration file"));
	assert_null(strstr(err, "no [cluster] section"));
	assert_int_equal(config_parse_file("/dev/zero", &cfg, err, sizeof(err)), RAC_ECONFIG);
	assert_non_null(strstr(err, "/dev/zero: is not a regular file"));
	snprintf(big, sizeof(big), "%s/big.ini", dir);
	f = fopen(big, "w");
	assert_non_null(f);
	assert_int_equal(fseek(f, 2 << 20, SEEK_SET), 0);
	fputc('\n', f);
	fclose(f);
	assert_int_equal(config_parse_file(big, &cfg, err, sizeof(err)), RAC_ECONFIG);
	assert_non_null(strstr(err, "a configuration file is at most 1048576"));
	unlink(big);
}

/* a bad endpoint is one mistake, not two */
static void test_bad_endpoint_named_once(void **state)
{
	(void)state;
	assert_int_equal(load("[cluster]\n[instance1]\nlmon_endpoint = udp://x:1\n"
			      "lms_endpoint = tcp://127.0.0.1:7201\n"), RAC_ECONFIG);
	assert_non_null(strstr(err, "use tcp://HOST:PORT"));
	assert_null(strstr(err, "has no lmon_endpoint"));
}

static void test_values_in_force(void **state)
{
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(load("[cluster]\nheartbeat_interval_ms = 200\nmisscount_ms = 3000\n"
			      GOOD_INST), 0);
	config_foreach_param(&cfg, 1, count_param, &s);
	assert_int_equal(s.cluster, 22);
	assert_int_equal(s.inst, 8);
	assert_int_equal(s.file, 4);	/* two cluster keys, two endpoints */
	assert_string_equal(s.hb_value, "200");
}

struct one_param {
	const char *op_section, *op_name;
	char op_value[2048];
};

static void find_param(const struct cfg_param *p, void *arg)
{
	struct one_param *o = arg;

	if (!strcmp(p->p_section, o->op_section) && !strcmp(p->p_name, o->op_name))
		snprintf(o->op_value, sizeof(o->op_value), "%s", p->p_value);
}

static const char *param(int inst, const char *section, const char *name)
{
	static struct one_param o;

	o.op_section = section;
	o.op_name = name;
	o.op_value[0] = '\0';
	config_foreach_param(&cfg, inst, find_param, &o);
	return o.op_value;
}

/* each host may name the same LUNs by its own paths */
static void test_control_file_and_per_instance_paths(void **state)
{
	char want[600], ctl[600];

	(void)state;
	assert_int_equal(load("[cluster]\nshared_disk = d\n" GOOD_INST), 0);
	snprintf(want, sizeof(want), "%s/d/control.ctl", dir);
	config_control_path(&cfg, ctl, sizeof(ctl));
	assert_string_equal(ctl, want);
	assert_string_equal(param(1, "cluster", "control_file"), want);
	assert_string_equal(param(1, "instance1", "control_file"), want);

	assert_int_equal(load("[cluster]\ncontrol_file = /dev/sdb\n"
			      "voting_disks = /dev/sdc, /dev/sdd, /dev/sde\n" GOOD_INST
			      "voting_disks = /dev/loop3, /dev/loop4, /dev/loop5\n"
			      "control_file = /dev/loop2\n"
			      "[instance2]\nlmon_endpoint = tcp://127.0.0.1:7102\n"
			      "lms_endpoint = tcp://127.0.0.1:7202\n"), 0);
	assert_string_equal(param(1, "instance1", "voting_disks"),
			    "/dev/loop3, /dev/loop4, /dev/loop5");
	assert_string_equal(param(2, "instance2", "voting_disks"), "/dev/sdc, /dev/sdd, /dev/sde");
	config_localize(&cfg, 1);
	assert_string_equal(cfg.cf_voting[1], "/dev/loop4");
	config_control_path(&cfg, ctl, sizeof(ctl));
	assert_string_equal(ctl, "/dev/loop2");
	/* the cluster's row still shows the cluster's */
	assert_string_equal(param(1, "cluster", "voting_disks"), "/dev/sdc, /dev/sdd, /dev/sde");
	assert_string_equal(param(1, "cluster", "control_file"), "/dev/sdb");
	assert_string_equal(param(1, "instance1", "control_file"), "/dev/loop2");
	/* another instance, then none: the cluster's come back */
	config_localize(&cfg, 2);
	assert_string_equal(cfg.cf_voting[1], "/dev/sdd");
	config_localize(&cfg, 1);
	config_localize(&cfg, 0);
	assert_string_equal(cfg.cf_voting[0], "/dev/sdc");
	config_control_path(&cfg, ctl, sizeof(ctl));
	assert_string_equal(ctl, "/dev/sdb");

	/* the same disks, so the same number of them */
	assert_int_equal(load("[cluster]\n" GOOD_INST "voting_disks = /dev/loop3\n"), RAC_ECONFIG);
	assert_non_null(strstr(err, "[instance1] voting_disks lists 1 disk, [cluster] voting_disks 3"));
}

static void test_sga_name_is_per_instance_and_directory(void **state)
{
	char a[96], b[96];
	struct rac_config other;

	(void)state;
	config_default("/one", &cfg, err, sizeof(err));
	config_default("/two", &other, err, sizeof(err));
	config_sga_name(&cfg, 1, a, sizeof(a));
	assert_int_equal(strncmp(a, "/racrt.demo.RAC1.", 17), 0);
	config_sga_name(&other, 1, b, sizeof(b));
	assert_string_not_equal(a, b);
	config_sga_name(&cfg, 2, b, sizeof(b));
	assert_string_not_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_default_cluster),
		cmocka_unit_test(test_control_file_and_per_instance_paths),
		cmocka_unit_test(test_minimal_file_takes_defaults),
		cmocka_unit_test(test_values_and_relative_paths),
		cmocka_unit_test(test_unknown_key_names_line_and_suggests),
		cmocka_unit_test(test_bad_number_and_range),
		cmocka_unit_test(test_missing_endpoint_and_duplicates),
		cmocka_unit_test(test_missing_sections),
		cmocka_unit_test(test_bad_names_endpoints_and_lists),
		cmocka_unit_test(test_timings_must_fit_together),
		cmocka_unit_test(test_every_mistake_reported_at_once),
		cmocka_unit_test(test_syntax_error_and_missing_file),
		cmocka_unit_test(test_duplicate_sections_are_refused_with_their_lines),
		cmocka_unit_test(test_config_must_be_a_regular_file),
		cmocka_unit_test(test_bad_endpoint_named_once),
		cmocka_unit_test(test_values_in_force),
		cmocka_unit_test(test_sga_name_is_per_instance_and_directory),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
