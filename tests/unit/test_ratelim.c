/*
 * test_ratelim.c - how often a repeating fault is said (lib/ratelim.c): the
 * first few of a streak, then one in RATELIM_EVERY; the start flagged once;
 * a good read ends the streak once, and the next failure starts a new one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ratelim.h"

static void test_first_few_then_one_in_every(void **state)
{
	struct ratelim rl = { 0 };
	int said = 0, started = 0;

	(void)state;
	for (int n = 1; n <= 1000; n++) {
		bool say = ratelim_hit(&rl, 1000 + (uint64_t)n);

		said += say;
		started += rl.rl_started;
		if (n <= RATELIM_FIRST || n % RATELIM_EVERY == 0)
			assert_true(say);
		else
			assert_false(say);
	}
	/* 3 at the start, then the 100th, 200th, ... 1000th */
	assert_int_equal(said, RATELIM_FIRST + 1000 / RATELIM_EVERY);
	assert_int_equal(started, 1);
	assert_int_equal(rl.rl_count, 1000);
	assert_int_equal(rl.rl_since_ns, 1001);
	assert_true(rl.rl_active);
}

static void test_clear_ends_the_streak_once(void **state)
{
	struct ratelim rl = { 0 };

	(void)state;
	/* nothing to clear: no line */
	assert_false(ratelim_clear(&rl));
	assert_true(ratelim_hit(&rl, 5));
	assert_true(rl.rl_started);
	assert_true(ratelim_hit(&rl, 6));
	assert_false(rl.rl_started);
	assert_true(ratelim_clear(&rl));
	/* what the "reads again" line says is still there */
	assert_int_equal(rl.rl_count, 2);
	assert_int_equal(rl.rl_since_ns, 5);
	assert_false(ratelim_clear(&rl));
	/* a new streak: started again, counted afresh, said again */
	assert_true(ratelim_hit(&rl, 50));
	assert_true(rl.rl_started);
	assert_int_equal(rl.rl_count, 1);
	assert_int_equal(rl.rl_since_ns, 50);
	assert_int_equal(rl.rl_total, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_few_then_one_in_every),
		cmocka_unit_test(test_clear_ends_the_streak_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
