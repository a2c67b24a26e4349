/*
 * test_imr.c - the IMR decision: the articles' examples, ties, disjoint
 * groups, missing votes, and agreement with a brute-force search.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "imr.h"

#define B(i) (1ull << ((i) - 1))

static void test_article_example_evicts_broken_lmon(void **state)
{
	uint64_t v[RAC_MAX_INST] = { B(1) | B(2), B(1) | B(2), B(3) };

	(void)state;
	assert_int_equal(imr_result(v, B(1) | B(2) | B(3)), B(1) | B(2));
	assert_false(imr_split_brain(v, B(1) | B(2) | B(3)));
}

static void test_tie_goes_to_lowest_instance(void **state)
{
	uint64_t v[RAC_MAX_INST] = { B(1) | B(2), B(1) | B(2), B(3) | B(4), B(3) | B(4) };

	(void)state;
	assert_int_equal(imr_result(v, B(1) | B(2) | B(3) | B(4)), B(1) | B(2));
	assert_true(imr_split_brain(v, B(1) | B(2) | B(3) | B(4)));
	uint64_t w[RAC_MAX_INST] = { 0, B(2), B(3) };
	assert_int_equal(imr_result(w, B(2) | B(3)), B(2));
}

static void test_connection_must_be_mutual(void **state)
{
	/* 1 claims to see 2, 2 does not see 1: {1,3} and {2,3} tie, 1 is lowest */
	uint64_t v[RAC_MAX_INST] = { B(1) | B(2) | B(3), B(2) | B(3), B(1) | B(2) | B(3) };

	(void)state;
	assert_int_equal(imr_result(v, B(1) | B(2) | B(3)), B(1) | B(3));
}

static void test_non_voters_are_left_out(void **state)
{
	uint64_t v[RAC_MAX_INST] = { B(1) | B(2) | B(3), B(1) | B(2) | B(3), B(1) | B(2) | B(3) };

	(void)state;
	assert_int_equal(imr_result(v, B(1) | B(2)), B(1) | B(2));
	assert_int_equal(imr_result(v, 0), 0);
}

static void test_everyone_connected(void **state)
{
	uint64_t v[RAC_MAX_INST];
	uint64_t all = (1ull << RAC_MAX_INST) - 1;

	(void)state;
	for (int i = 0; i < RAC_MAX_INST; i++)
		v[i] = all;
	assert_int_equal(imr_result(v, all), all);
}

/* brute force over every subset of up to 10 voters */
static uint64_t brute(const uint64_t *v, int n)
{
	uint64_t best = 0;

	for (uint64_t set = 1; set < (1ull << n); set++) {
		int ok = 1;

		for (int i = 0; i < n && ok; i++)
			for (int j = 0; j < n && ok; j++)
				if (i != j && (set & (1ull << i)) && (set & (1ull << j)) &&
				    !((v[i] & (1ull << j)) && (v[j] & (1ull << i))))
					ok = 0;
		if (!ok)
			continue;
		int a = __builtin_popcountll(set), b = __builtin_popcountll(best);
		uint64_t d = set ^ best;
		if (a > b || (a == b && d && (set & (d & -d))))
			best = set;
	}
	return best;
}

static void test_matches_brute_force(void **state)
{
	unsigned seed = 7;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		int n = 1 + rand_r(&seed) % 10;
		uint64_t v[RAC_MAX_INST] = { 0 };

		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++)
				if (i == j || rand_r(&seed) % 3)
					v[i] |= 1ull << j;
		assert_int_equal(imr_result(v, (1ull << n) - 1), brute(v, n));
	}
}

static void test_bitmap_str(void **state)
{
	char buf[64];

	(void)state;
	imr_bitmap_str(B(1) | B(3) | B(32), buf, sizeof(buf));
	assert_string_equal(buf, " 1 3 32");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_article_example_evicts_broken_lmon),
		cmocka_unit_test(test_tie_goes_to_lowest_instance),
		cmocka_unit_test(test_connection_must_be_mutual),
		cmocka_unit_test(test_non_voters_are_left_out),
		cmocka_unit_test(test_everyone_connected),
		cmocka_unit_test(test_matches_brute_force),
		cmocka_unit_test(test_bitmap_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
