/*
 * test_aio.c - the I/O worker (lib/aio.c): ops run in order on the worker,
 * the caller never waits longer than it asks, a worker whose op is stuck
 * is hung and takes nothing new until the op returns, the queue is bounded,
 * an abandoned op is forgotten when it returns, and destroying a worker
 * with an op stuck in it does not wait for the op.
 *
 * A stuck op is a "gate": it blocks on a condition variable until the test
 * opens it, so nothing here depends on a sleep being long enough.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <cmocka.h>

#include "aio.h"
#include "errors.h"
#include "rac.h"

#include "unit_util.h"

#define MS 1000000ull

static int order[8], norder;

static int record_op(void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
	return (int)(intptr_t)arg;
}

static void test_ops_run_in_order(void **state)
{
	struct aio *a = aio_new("t", 4, 1000 * MS);
	uint64_t id[3];
	int rc, err;

	(void)state;
	assert_non_null(a);
	norder = 0;
	for (int i = 0; i < 3; i++)
		assert_int_equal(aio_submit(a, record_op, (void *)(intptr_t)(i + 1), &id[i]), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(aio_wait(a, id[i], 5000, &rc, &err), 1);
		assert_int_equal(rc, i + 1);
	}
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[2], 3);
	/* polled once: forgotten */
	assert_int_equal(aio_poll(a, id[0], &rc, &err), RAC_ENOENT);
	assert_int_equal(aio_outstanding(a), 0);
	assert_int_equal(aio_age_ns(a), 0);
	aio_destroy(&a);
	assert_null(a);
}

static void test_stuck_op_makes_the_worker_hung(void **state)
{
	struct aio *a = aio_new("t", 2, 50 * MS);
	struct gate g;
	uint64_t id, id2;
	uint64_t t0;
	int rc = 0, err = 0;

	(void)state;
	gate_init(&g, 7);
	assert_int_equal(aio_submit(a, gate_op, &g, &id), 0);
	gate_wait_entered(&g);

	/* the caller waits only as long as it asks */
	t0 = rac_now_mono_ns();
	assert_int_equal(aio_poll(a, id, &rc, &err), 0);
	assert_int_equal(aio_wait(a, id, 20, &rc, &err), 0);
	assert_true(rac_now_mono_ns() - t0 < 2000 * MS);
	assert_int_equal(aio_outstanding(a), 1);

	/* within the timeout: not hung yet, one more op may queue behind */
	t0 = rac_now_mono_ns();
	while (!aio_hung(a)) {
		assert_true(rac_now_mono_ns() - t0 < 10000 * MS);
		aio_wait(a, id, 5, NULL, NULL);
	}
	assert_true(aio_age_ns(a) > 50 * MS);
	/* hung: nothing new is taken */
	assert_int_equal(aio_submit(a, record_op, (void *)1, &id2), RAC_ETIMEDOUT);

	/* it returns by itself: done, with its errno, and no longer hung */
	gate_open(&g);
	assert_int_equal(aio_wait(a, id, 5000, &rc, &err), 1);
	assert_int_equal(rc, 7);
	assert_int_equal(err, EIO);
	assert_false(aio_hung(a));
	assert_int_equal(aio_age_ns(a), 0);
	assert_int_equal(aio_submit(a, record_op, (void *)2, &id2), 0);
	assert_int_equal(aio_wait(a, id2, 5000, &rc, NULL), 1);
	assert_int_equal(rc, 2);
	aio_destroy(&a);
}

static void test_queue_is_bounded(void **state)
{
	struct aio *a = aio_new("t", 2, 60000 * MS);
	struct gate g;
	uint64_t id, id2, id3;
	int rc;

	(void)state;
	gate_init(&g, 0);
	assert_int_equal(aio_submit(a, gate_op, &g, &id), 0);
	assert_int_equal(aio_submit(a, record_op, (void *)5, &id2), 0);
	assert_int_equal(aio_submit(a, record_op, (void *)6, &id3), RAC_EBUSY);
	assert_int_equal(aio_outstanding(a), 2);
	gate_open(&g);
	assert_int_equal(aio_wait(a, id2, 5000, &rc, NULL), 1);
	assert_int_equal(rc, 5);
	assert_int_equal(aio_wait(a, id, 5000, &rc, NULL), 1);
	aio_destroy(&a);
}

static void test_abandoned_op_is_forgotten_when_it_returns(void **state)
{
	struct aio *a = aio_new("t", 1, 60000 * MS);
	struct gate g;
	uint64_t id, id2;
	int rc;

	(void)state;
	gate_init(&g, 0);
	assert_int_equal(aio_submit(a, gate_op, &g, &id), 0);
	gate_wait_entered(&g);
	aio_abandon(a, id);
	assert_int_equal(aio_poll(a, id, &rc, NULL), RAC_ENOENT);
	/* it still holds the worker */
	assert_int_equal(aio_outstanding(a), 1);
	assert_int_equal(aio_submit(a, record_op, (void *)1, &id2), RAC_EBUSY);
	gate_open(&g);
	while (aio_outstanding(a))
		aio_wait(a, id, 5, NULL, NULL);
	assert_int_equal(aio_submit(a, record_op, (void *)3, &id2), 0);
	assert_int_equal(aio_wait(a, id2, 5000, &rc, NULL), 1);
	assert_int_equal(rc, 3);
	aio_destroy(&a);
}

static void test_destroy_does_not_wait_for_a_stuck_op(void **state)
{
	static struct gate g;	/* outlives the test: the worker still uses it */
	struct aio *a = aio_new("t", 1, 10 * MS);
	uint64_t id;

	(void)state;
	gate_init(&g, 0);
	assert_int_equal(aio_submit(a, gate_op, &g, &id), 0);
	gate_wait_entered(&g);
	aio_destroy(&a);	/* returns although the op is still blocked */
	assert_null(a);
	gate_open(&g);		/* the thread finishes and frees the worker */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ops_run_in_order),
		cmocka_unit_test(test_stuck_op_makes_the_worker_hung),
		cmocka_unit_test(test_queue_is_bounded),
		cmocka_unit_test(test_abandoned_op_is_forgotten_when_it_returns),
		cmocka_unit_test(test_destroy_does_not_wait_for_a_stuck_op),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
