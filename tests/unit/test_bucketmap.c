/*
 * test_bucketmap.c - LMS's bucket map (lms/bucketmap.c): the rendezvous
 * hash that says which member masters a bucket, and bucketmap_moved(), the
 * diff of a membership change that thaw() acts on -- a join, a clean
 * leave, a death, and changes that overtake an unfinished rebuild.
 *
 * What must hold: only buckets of departed or joining instances move; what
 * an instance takes in is what it masters now and did not before; and an
 * overtaken change sends again everything that moved since the last
 * membership every member finished rebuilding for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lms.h"

#define NW ((GRD_NBUCKETS + 63) / 64)
#define SET(...) set_of((int[]){ __VA_ARGS__, 0 })
#define BIT(i) (1ull << ((i) - 1))

static uint64_t set_of(const int *insts)
{
	uint64_t m = 0;

	for (; *insts; insts++)
		m |= BIT(*insts);
	return m;
}

static bool has(const uint64_t *map, unsigned b)
{
	return map[b / 64] & (1ull << (b % 64));
}

static unsigned count(const uint64_t *map)
{
	unsigned n = 0;

	for (int w = 0; w < NW; w++)
		n += (unsigned)__builtin_popcountll(map[w]);
	return n;
}

/* a plain change: base = old = local (every member finished the last rebuild) */
static void plain(uint64_t old, uint64_t members, int me, uint64_t *send, uint64_t *take)
{
	bucketmap_moved(old, old, members, old, me, send, take);
}

static void test_master_is_a_member(void **state)
{
	(void)state;
	for (unsigned b = 0; b < GRD_NBUCKETS; b++) {
		int m = bucket_master(SET(2, 5, 9), b);

		assert_int_equal(bucket_master(0, b), 0);
		assert_int_equal(bucket_master(SET(7), b), 7);
		assert_true(m == 2 || m == 5 || m == 9);
		/* the same answer every time, and on every instance */
		assert_int_equal(bucket_master(SET(2, 5, 9), b), m);
	}
	assert_int_equal(bucket_master(BIT(RAC_MAX_INST), 3), RAC_MAX_INST);
}

static void test_master_spread(void **state)
{
	unsigned n[5] = { 0 };

	(void)state;
	for (unsigned b = 0; b < GRD_NBUCKETS; b++)
		n[bucket_master(SET(1, 2, 3, 4), b)]++;
	for (int i = 1; i <= 4; i++) {	/* 256 each on average */
		assert_true(n[i] > 180);
		assert_true(n[i] < 340);
	}
}

/* a joining instance takes buckets from the others; nothing moves between them */
static void test_master_stable_on_join_and_leave(void **state)
{
	(void)state;
	for (uint64_t m = 1; m < 64; m++)
		for (int j = 1; j <= 7; j++) {
			uint64_t with = m | BIT(j), without = m & ~BIT(j);

			if (!without)
				continue;
			for (unsigned b = 0; b < GRD_NBUCKETS; b++) {
				int a = bucket_master(without, b), c = bucket_master(with, b);

				assert_true(a == c || c == j);
			}
		}
}

static void test_join(void **state)
{
	uint64_t send[NW], take[NW], old = SET(1, 2), members = SET(1, 2, 3);
	unsigned of3 = 0;

	(void)state;
	plain(old, members, 1, send, take);
	for (unsigned b = 0; b < GRD_NBUCKETS; b++) {
		bool to3 = bucket_master(members, b) == 3;

		of3 += to3;
		/* exactly the buckets the new instance wins move */
		assert_int_equal(has(send, b), to3);
		assert_false(has(take, b));	/* instance 1 gains nothing */
	}
	assert_true(of3 > 0);
	assert_int_equal(count(send), of3);
	/* the joiner: it masters nothing yet under the old map */
	plain(old, members, 3, send, take);
	for (unsigned b = 0; b < GRD_NBUCKETS; b++)
		assert_int_equal(has(take, b), bucket_master(members, b) == 3);
	assert_int_equal(count(take), of3);
}

/* the instance itself joins: it had no map (old membership 0) and takes all it masters */
static void test_join_from_nothing(void **state)
{
	uint64_t send[NW], take[NW], members = SET(1, 2, 3);

	(void)state;
	bucketmap_moved(0, 0, members, 0, 3, send, take);
	assert_int_equal(count(send), GRD_NBUCKETS);
	for (unsigned b = 0; b < GRD_NBUCKETS; b++)
		assert_int_equal(has(take, b), bucket_master(members, b) == 3);
}

/* a leave and a death move the same buckets: those of the instance gone */
static void check_gone(uint64_t old, uint64_t members, int gone)
{
	uint64_t send[NW], take[NW], all_take = 0;

	for (int me = 1; me <= RAC_MAX_INST; me++) {
		if (!(members & BIT(me)))
			continue;
		plain(old, members, me, send, take);
		for (unsigned b = 0; b < GRD_NBUCKETS; b++) {
			bool moves = bucket_master(old, b) == gone;

			assert_int_equal(has(send, b), moves);
			/* what `me` takes: the gone instance's buckets that are now its own */
			assert_int_equal(has(take, b), moves && bucket_master(members, b) == me);
			/* the old master of what moves is not a member any more: so its
			 * locks come from the owners' shadows when it died */
			if (moves)
				assert_false(members & BIT(bucket_master(old, b)));
		}
		all_take += count(take);
	}
	/* every bucket that moved has exactly one new master taking it in */
	plain(old, members, 0, send, take);
	assert_int_equal(all_take, count(send));
	assert_int_equal(count(take), 0);
}

static void test_leave(void **state)
{
	(void)state;
	check_gone(SET(1, 2, 3), SET(1, 2), 3);
	check_gone(SET(1, 2, 3, 4), SET(2, 3, 4), 1);
}

static void test_death(void **state)
{
	(void)state;
	check_gone(SET(1, 2, 3), SET(1, 3), 2);
	check_gone(SET(1, 2), SET(1), 2);
	check_gone(SET(1, 4, 7, 8), SET(1, 7, 8), 4);
}

/*
 * 3 joined (old {1,2,3}), and before every member had rebuilt for that,
 * 3 died and 4 came (new {1,2,4}).  Base is {1,2}.  Sent again: every
 * bucket 3 took, and every bucket 4 takes now.
 */
static void test_overtaken_join_then_death(void **state)
{
	uint64_t base = SET(1, 2), old = SET(1, 2, 3), members = SET(1, 2, 4);
	uint64_t send[NW], take[NW];

	(void)state;
	/* instance 1 had not finished its own rebuild: local is still base */
	bucketmap_moved(base, old, members, base, 1, send, take);
	for (unsigned b = 0; b < GRD_NBUCKETS; b++) {
		int mb = bucket_master(base, b), mo = bucket_master(old, b),
		    mn = bucket_master(members, b);
		bool expect = mo == 3 || mn == 4;

		assert_int_equal(has(send, b), expect);
		/* only buckets of the instances that came or went */
		if (has(send, b))
			assert_true(mo == 3 || mn == 4 || mb == 3 || mb == 4);
		else
			assert_true(mb == mo && mo == mn);
		/* 1 takes back what 3 had taken from it, and nothing else */
		assert_int_equal(has(take, b), mn == 1 && mo == 3);
	}
	/* the same, had 1 finished rebuilding for {1,2,3} (local = old) */
	bucketmap_moved(base, old, members, old, 1, send, take);
	for (unsigned b = 0; b < GRD_NBUCKETS; b++)
		assert_int_equal(has(take, b), bucket_master(members, b) == 1 &&
				 bucket_master(old, b) != 1);
	/* the newcomer takes all it masters */
	bucketmap_moved(base, old, members, 0, 4, send, take);
	for (unsigned b = 0; b < GRD_NBUCKETS; b++)
		assert_int_equal(has(take, b), bucket_master(members, b) == 4);
}

/*
 * 4 joined ({1,2,3,4}, unfinished), then died: back to {1,2,3}.  Buckets 4
 * had taken go back to their masters under the base -- sent again, since
 * they may never have reached 4 -- and nothing else moves.
 */
static void test_overtaken_join_then_gone_again(void **state)
{
	uint64_t base = SET(1, 2, 3), old = SET(1, 2, 3, 4), members = SET(1, 2, 3);
	uint64_t send[NW], take[NW];

	(void)state;
	bucketmap_moved(base, old, members, base, 2, send, take);
	for (unsigned b = 0; b < GRD_NBUCKETS; b++) {
		int mb = bucket_master(base, b), mo = bucket_master(old, b),
		    mn = bucket_master(members, b);

		assert_int_equal(mb, mn);	/* the same membership, the same map */
		assert_int_equal(has(send, b), mo == 4);
		assert_int_equal(has(take, b), mo == 4 && mn == 2);
	}
	/* not overtaken (base = old): the plain leave of 4 sends the same */
	{
		uint64_t send2[NW], take2[NW];

		plain(old, members, 2, send2, take2);
		assert_memory_equal(send, send2, sizeof(send));
		assert_memory_equal(take, take2, sizeof(take));
	}
}

/*
 * Random memberships: the diff is what it says, whatever the order of
 * changes.  A bucket moves iff a master changed on base -> old -> members;
 * a moved bucket involves an instance that came or went; what `me` takes
 * it masters now.
 */
static void test_random_changes(void **state)
{
	uint64_t send[NW], take[NW];

	(void)state;
	srand(42);
	for (int round = 0; round < 300; round++) {
		uint64_t base = (uint64_t)rand() & 0xff, old = base ^ (1ull << (rand() % 8));
		uint64_t members = old ^ (1ull << (rand() % 8)), local, changed;
		int me = 1 + rand() % 8;

		if (rand() % 3 == 0)
			base = old;	/* not overtaken */
		local = rand() % 2 ? base : old;
		changed = (base ^ old) | (old ^ members);
		bucketmap_moved(base, old, members, local, me, send, take);
		for (unsigned b = 0; b < GRD_NBUCKETS; b++) {
			int mb = bucket_master(base, b), mo = bucket_master(old, b),
			    mn = bucket_master(members, b), ml = bucket_master(local, b);
			bool moved = mb != mo || mo != mn || mb != mn;

			assert_int_equal(has(send, b), moved);
			if (moved)
				assert_true((mb && (changed & BIT(mb))) || (mo && (changed & BIT(mo))) ||
					    (mn && (changed & BIT(mn))));
			if (has(take, b))
				assert_int_equal(mn, me);
			assert_int_equal(has(take, b), mn == me && (ml != mn || mo != mn));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_master_is_a_member),
		cmocka_unit_test(test_master_spread),
		cmocka_unit_test(test_master_stable_on_join_and_leave),
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_join_from_nothing),
		cmocka_unit_test(test_leave),
		cmocka_unit_test(test_death),
		cmocka_unit_test(test_overtaken_join_then_death),
		cmocka_unit_test(test_overtaken_join_then_gone_again),
		cmocka_unit_test(test_random_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
