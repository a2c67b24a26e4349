/*
 * test_timeouts.c - the derived timings' golden values (lib/timeouts.c):
 * the defaults give the numbers docs/timeouts.md explains, and each formula
 * follows its keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "timeouts.h"

static void test_defaults(void **state)
{
	struct rac_config cfg;
	struct rac_timeouts t;
	char err[256];

	(void)state;

	assert_int_equal(config_default("/tmp", &cfg, err, sizeof(err)), 0);
	timeouts_derive(&cfg, &t);
	assert_int_equal(t.to_vote_ms, 500);
	assert_int_equal(t.to_claim_lease_us, 2100000);	/* 500 + 600 + 1000 ms */
	assert_int_equal(t.to_claim_settle_ms, 15);
	assert_int_equal(t.to_vote_window_ms, 500);
	assert_int_equal(t.to_form_window_ms, 500);
	assert_int_equal(t.to_rule4_window_ms, 500);
	assert_int_equal(t.to_io_timeout_ms, 500);		/* 2000 / 4 */
	assert_int_equal(t.to_kill_grace_ms, 100);
	assert_int_equal(t.to_fence_slack_ms, 1000);
	assert_int_equal(t.to_grd_handover_ms, 2000);
	assert_int_equal(t.to_fast_lease_ns, 500000000ull);	/* 2000 / 4 */
	assert_int_equal(t.to_lms_lease_ns, 1250000000ull);	/* 1750 - 500 */
	assert_int_equal(t.to_deadlock_period_ms, 1000);
	assert_int_equal(t.to_deadlock_wait_ms, 300);
	assert_int_equal(t.to_release_wait_ms, 2000);
	assert_int_equal(t.to_start_all_ms, (uint32_t)cfg.cf_start_timeout_ms * 5 + 2000);
	assert_int_equal(t.to_stop_all_ms, (uint32_t)cfg.cf_stop_timeout_ms * 5 + 2000);
}

static void test_formulas_follow_their_keys(void **state)
{
	struct rac_config cfg;
	struct rac_timeouts t;
	char err[256];

	(void)state;

	assert_int_equal(config_default("/tmp", &cfg, err, sizeof(err)), 0);
	cfg.cf_disk_heartbeat_interval_ms = 400;
	cfg.cf_heartbeat_interval_ms = 300;
	cfg.cf_misscount_ms = 1200;
	cfg.cf_disktimeout_ms = 4000;
	cfg.cf_imr_splitbrain_res_wait_ms = 100;
	timeouts_derive(&cfg, &t);
	assert_int_equal(t.to_vote_ms, 800);			/* 2 x disk heartbeat */
	assert_int_equal(t.to_claim_lease_us, 1900000);		/* 800 + 100 + 1000 */
	assert_int_equal(t.to_vote_window_ms, 1200);		/* 1500, cut to misscount */
	assert_int_equal(t.to_rule4_window_ms, 1500);		/* 5 heartbeats, uncut */
	assert_int_equal(t.to_fast_lease_ns, 300000000ull);	/* min(1200, 4000) / 4 */
	assert_int_equal(t.to_io_timeout_ms, 1000);		/* disktimeout / 4 */
	assert_int_equal(t.to_lms_lease_ns, 3500000000ull - 300000000ull);

	/* the cache's lease is capped; LMS's allowance is 0 when the cache's is too long */
	cfg.cf_misscount_ms = 30000;
	cfg.cf_disktimeout_ms = 30000;
	timeouts_derive(&cfg, &t);
	assert_int_equal(t.to_fast_lease_ns, TO_FAST_LEASE_MAX_NS);
	assert_int_equal(timeouts_lms_allowed_ns(0, 0), 0);
	assert_int_equal(timeouts_lms_allowed_ns(800, 700), 0);
	assert_int_equal(timeouts_lms_allowed_ns(800, 600), 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_formulas_follow_their_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
