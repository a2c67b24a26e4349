/*
 * test_grd.c - the GRD lock table: the compatibility matrix, queue order
 * and starvation, conversions, NOQUEUE, cancel, timeouts, value blocks and
 * their dubious flag, blocking notifications, deadlocks (one table and a
 * merged cross-instance edge list), bad requests, dead owners, owner
 * look-ups, export and import, memory per lock, remastering time, and a
 * randomized model check of the two invariants: no conflicting grants, no
 * grantable waiter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <malloc.h>
#include <cmocka.h>

#include "grd.h"

#define OW(inst, client) ((struct grd_owner){ .ow_client = (client), .ow_inst = (inst) })

static const struct grd_owner A = { .ow_client = 100, .ow_inst = 1 };
static const struct grd_owner B = { .ow_client = 200, .ow_inst = 2 };
static const struct grd_owner C = { .ow_client = 300, .ow_inst = 3 };
static const struct grd_owner D = { .ow_client = 400, .ow_inst = 1 };
static const struct grd_owner E = { .ow_client = 500, .ow_inst = 2 };
static const struct grd_owner F = { .ow_client = 600, .ow_inst = 3 };

/* the matrix, written out independently of grd.c */
static const int matrix[GRD_NMODES][GRD_NMODES] = {
	/*         NL CR CW PR PW EX */
	/* NL */ { 1, 1, 1, 1, 1, 1 },
	/* CR */ { 1, 1, 1, 1, 1, 0 },
	/* CW */ { 1, 1, 1, 0, 0, 0 },
	/* PR */ { 1, 1, 0, 1, 0, 0 },
	/* PW */ { 1, 1, 0, 0, 0, 0 },
	/* EX */ { 1, 0, 0, 0, 0, 0 },
};

static struct grd *new_grd(void)
{
	struct grd *g = grd_new(0, 0);

	assert_non_null(g);
	return g;
}

static uint64_t take_dl(struct grd *g, const char *name, struct grd_owner o, int mode,
			uint64_t deadline, int expect)
{
	uint64_t id = 0;

	assert_int_equal(grd_lock(g, name, strlen(name), o, mode, 0, deadline, &id), expect);
	assert_true(id != 0);
	return id;
}

static uint64_t take(struct grd *g, const char *name, struct grd_owner o, int mode, int expect)
{
	return take_dl(g, name, o, mode, 0, expect);
}

static struct grd_event expect_ev(struct grd *g, int type, uint64_t lkid, int mode)
{
	struct grd_event ev;

	assert_true(grd_next_event(g, &ev));
	assert_int_equal(ev.ev_type, type);
	assert_int_equal(ev.ev_lkid, lkid);
	assert_int_equal(ev.ev_mode, mode);
	return ev;
}

static void expect_none(struct grd *g)
{
	struct grd_event ev;

	assert_false(grd_next_event(g, &ev));
}

static void drain(struct grd *g)
{
	struct grd_event ev;

	while (grd_next_event(g, &ev))
		;
}

static struct grd_lock_info info(struct grd *g, uint64_t lkid)
{
	struct grd_lock_info li;

	assert_int_equal(grd_lock_query(g, lkid, &li), 0);
	return li;
}

static uint64_t nlocks(const struct grd *g)
{
	struct grd_stats st;

	grd_stats(g, &st);
	return st.st_locks;
}

static void test_compat_matrix(void **state)
{
	(void)state;
	for (int a = 0; a < GRD_NMODES; a++) {
		for (int b = 0; b < GRD_NMODES; b++) {
			struct grd *g = new_grd();
			uint64_t id;
			int rc;

			assert_int_equal(grd_mode_compat(a, b), matrix[a][b]);
			assert_int_equal(matrix[a][b], matrix[b][a]);
			take(g, "R", A, a, GRD_GRANTED);
			rc = grd_lock(g, "R", 1, B, b, GRD_NOQUEUE, 0, &id);
			assert_int_equal(rc, matrix[a][b] ? GRD_GRANTED : GRD_ENOTQUEUED);
			grd_destroy(&g);
			assert_null(g);
		}
	}
	assert_false(grd_mode_compat(GRD_IV, GRD_NL));
	assert_false(grd_mode_compat(GRD_NL, GRD_NMODES));
	assert_string_equal(grd_mode_str(GRD_PW), "PW");
	assert_string_equal(grd_mode_str(GRD_IV), "IV");
}

static void test_fifo_no_starvation(void **state)
{
	struct grd *g = new_grd();
	uint64_t a, b, c;

	(void)state;
	a = take(g, "R", A, GRD_PR, GRD_GRANTED);
	b = take(g, "R", B, GRD_EX, GRD_QUEUED);
	/* compatible with the holder, but an EX waits ahead: it waits too */
	c = take(g, "R", C, GRD_PR, GRD_QUEUED);
	expect_ev(g, GRD_EV_BLOCKING, a, GRD_EX);
	expect_none(g);
	struct grd_lock_info li = info(g, c);
	assert_int_equal(li.li_state, GRD_LK_WAITING);
	assert_true(li.li_blocked);
	assert_int_equal(li.li_blocker.ow_client, B.ow_client);

	assert_int_equal(grd_unlock(g, a, NULL), 0);
	expect_ev(g, GRD_EV_GRANTED, b, GRD_EX);
	expect_ev(g, GRD_EV_BLOCKING, b, GRD_PR);
	expect_none(g);
	assert_int_equal(info(g, c).li_state, GRD_LK_WAITING);
	assert_int_equal(grd_unlock(g, b, NULL), 0);
	expect_ev(g, GRD_EV_GRANTED, c, GRD_PR);
	expect_none(g);
	grd_destroy(&g);
}

static void test_grant_order_group(void **state)
{
	struct grd *g = new_grd();
	uint64_t x, p1, p2, e, p3;

	(void)state;
	x = take(g, "R", A, GRD_EX, GRD_GRANTED);
	p1 = take(g, "R", B, GRD_PR, GRD_QUEUED);
	p2 = take(g, "R", C, GRD_PR, GRD_QUEUED);
	e = take(g, "R", D, GRD_EX, GRD_QUEUED);
	p3 = take(g, "R", E, GRD_PR, GRD_QUEUED);
	expect_ev(g, GRD_EV_BLOCKING, x, GRD_PR);
	expect_ev(g, GRD_EV_BLOCKING, x, GRD_EX);	/* a higher mode: told again */
	expect_none(g);

	/* the two readers at the head go together; EX and the reader behind wait */
	assert_int_equal(grd_unlock(g, x, NULL), 0);
	expect_ev(g, GRD_EV_GRANTED, p1, GRD_PR);
	expect_ev(g, GRD_EV_GRANTED, p2, GRD_PR);
	expect_ev(g, GRD_EV_BLOCKING, p1, GRD_EX);
	expect_ev(g, GRD_EV_BLOCKING, p2, GRD_EX);
	expect_none(g);
	assert_int_equal(info(g, p3).li_state, GRD_LK_WAITING);

	assert_int_equal(grd_unlock(g, p1, NULL), 0);
	expect_none(g);
	assert_int_equal(grd_unlock(g, p2, NULL), 0);
	expect_ev(g, GRD_EV_GRANTED, e, GRD_EX);
	expect_ev(g, GRD_EV_BLOCKING, e, GRD_PR);
	expect_none(g);
	assert_int_equal(grd_unlock(g, e, NULL), 0);
	expect_ev(g, GRD_EV_GRANTED, p3, GRD_PR);
	expect_none(g);
	grd_destroy(&g);
}

static void test_conversions(void **state)
{
	struct grd *g = new_grd();
	uint64_t a, b, c, a2, b2;
	struct grd_lock_info li;

	(void)state;
	a = take(g, "R", A, GRD_PR, GRD_GRANTED);
	b = take(g, "R", B, GRD_PR, GRD_GRANTED);
	/* up: queued behind the other reader, still holding PR */
	assert_int_equal(grd_convert(g, a, GRD_EX, 0, 0, NULL), GRD_QUEUED);
	expect_ev(g, GRD_EV_BLOCKING, b, GRD_EX);
	expect_none(g);
	li = info(g, a);
	assert_int_equal(li.li_state, GRD_LK_CONVERTING);
	assert_int_equal(li.li_grmode, GRD_PR);
	assert_int_equal(li.li_rqmode, GRD_EX);
	assert_int_equal(li.li_blocker.ow_client, B.ow_client);

	/* conversions are served first: CR fits the holders, not the EX asked */
	c = take(g, "R", C, GRD_CR, GRD_QUEUED);
	expect_none(g);

	/* down: granted at once; it frees the conversion, which blocks CR */
	assert_int_equal(grd_convert(g, b, GRD_NL, 0, 0, NULL), GRD_GRANTED);
	expect_ev(g, GRD_EV_GRANTED, a, GRD_EX);
	expect_ev(g, GRD_EV_BLOCKING, a, GRD_CR);
	expect_none(g);
	assert_int_equal(info(g, b).li_grmode, GRD_NL);
	assert_int_equal(grd_convert(g, a, GRD_PR, 0, 0, NULL), GRD_GRANTED);
	expect_ev(g, GRD_EV_GRANTED, c, GRD_CR);
	expect_none(g);
	/* same mode: nothing to wait for */
	assert_int_equal(grd_convert(g, a, GRD_PR, 0, 0, NULL), GRD_GRANTED);

	/* a conversion is granted when the other holder leaves */
	a2 = take(g, "S", A, GRD_PR, GRD_GRANTED);
	b2 = take(g, "S", B, GRD_PR, GRD_GRANTED);
	assert_int_equal(grd_convert(g, a2, GRD_EX, 0, 0, NULL), GRD_QUEUED);
	drain(g);
	assert_int_equal(grd_unlock(g, b2, NULL), 0);
	expect_ev(g, GRD_EV_GRANTED, a2, GRD_EX);
	expect_none(g);

	/* sideways CW -> PR when that is grantable, and it lets a PR waiter in */
	uint64_t w = take(g, "T", A, GRD_CW, GRD_GRANTED);
	uint64_t r = take(g, "T", B, GRD_PR, GRD_QUEUED);
	drain(g);
	assert_int_equal(grd_convert(g, w, GRD_PR, 0, 0, NULL), GRD_GRANTED);
	expect_ev(g, GRD_EV_GRANTED, r, GRD_PR);
	expect_none(g);

	struct grd_stats st;
	grd_stats(g, &st);
	assert_int_equal(st.st_conversions, 6);
	assert_int_equal(st.st_bad, 0);
	grd_destroy(&g);
}

static void test_conversion_order(void **state)
{
	struct grd *g = new_grd();
	uint64_t a, b, c, e, x;

	(void)state;
	/* a conversion does not overtake an incompatible one queued ahead */
	a = take(g, "R", A, GRD_NL, GRD_GRANTED);
	b = take(g, "R", B, GRD_PR, GRD_GRANTED);
	c = take(g, "R", C, GRD_NL, GRD_GRANTED);
	e = take(g, "R", D, GRD_NL, GRD_GRANTED);
	assert_int_equal(grd_convert(g, a, GRD_EX, 0, 0, NULL), GRD_QUEUED);
	/* PR fits every holder, but A asked for EX first */
	assert_int_equal(grd_convert(g, c, GRD_PR, 0, 0, NULL), GRD_QUEUED);
	assert_int_equal(info(g, c).li_blocker.ow_client, A.ow_client);
	drain(g);
	assert_int_equal(grd_unlock(g, e, NULL), 0);	/* any re-evaluation */
	expect_none(g);
	assert_int_equal(info(g, c).li_state, GRD_LK_CONVERTING);
	assert_int_equal(grd_unlock(g, b, NULL), 0);
	expect_ev(g, GRD_EV_GRANTED, a, GRD_EX);
	drain(g);
	assert_int_equal(grd_unlock(g, a, NULL), 0);
	expect_ev(g, GRD_EV_GRANTED, c, GRD_PR);
	expect_none(g);
	assert_int_equal(grd_unlock(g, c, NULL), 0);

	/*
	 * A later conversion granted sideways can free an earlier one: CR->PR
	 * waits for CW->PR behind it, both wait for the other CW.
	 */
	a = take(g, "S", A, GRD_CR, GRD_GRANTED);
	b = take(g, "S", B, GRD_CW, GRD_GRANTED);
	x = take(g, "S", C, GRD_CW, GRD_GRANTED);
	assert_int_equal(grd_convert(g, a, GRD_PR, 0, 0, NULL), GRD_QUEUED);
	assert_int_equal(grd_convert(g, b, GRD_PR, 0, 0, NULL), GRD_QUEUED);
	drain(g);
	assert_int_equal(grd_unlock(g, x, NULL), 0);
	expect_ev(g, GRD_EV_GRANTED, b, GRD_PR);
	expect_ev(g, GRD_EV_GRANTED, a, GRD_PR);
	expect_none(g);
	grd_destroy(&g);
}

static void test_noqueue(void **state)
{
	struct grd *g = new_grd();
	uint64_t id = 0, x, b, c;
	struct grd_stats st;

	(void)state;
	x = take(g, "R", A, GRD_EX, GRD_GRANTED);
	assert_int_equal(grd_lock(g, "R", 1, B, GRD_PR, GRD_NOQUEUE, 0, &id), GRD_ENOTQUEUED);
	assert_int_equal(id, 0);
	expect_none(g);		/* a refused NOQUEUE request notifies no one */
	assert_int_equal(grd_lock(g, "Q", 1, B, GRD_EX, GRD_NOQUEUE, 0, &id), GRD_GRANTED);
	assert_int_equal(nlocks(g), 2);

	/* FIFO: compatible with the holder, but someone waits */
	assert_int_equal(grd_convert(g, x, GRD_PR, 0, 0, NULL), GRD_GRANTED);
	take(g, "R", B, GRD_EX, GRD_QUEUED);
	assert_int_equal(grd_lock(g, "R", 1, C, GRD_PR, GRD_NOQUEUE, 0, &id), GRD_ENOTQUEUED);

	/* conversions */
	b = take(g, "S", B, GRD_PR, GRD_GRANTED);
	c = take(g, "S", C, GRD_PR, GRD_GRANTED);
	assert_int_equal(grd_convert(g, b, GRD_EX, GRD_NOQUEUE, 0, NULL), GRD_ENOTQUEUED);
	assert_int_equal(info(g, b).li_state, GRD_LK_GRANTED);
	assert_int_equal(info(g, b).li_grmode, GRD_PR);
	assert_int_equal(grd_unlock(g, c, NULL), 0);
	assert_int_equal(grd_convert(g, b, GRD_EX, GRD_NOQUEUE, 0, NULL), GRD_GRANTED);

	grd_stats(g, &st);
	assert_int_equal(st.st_noqueue, 3);
	assert_int_equal(st.st_bad, 0);
	grd_destroy(&g);
}

static void test_cancel(void **state)
{
	struct grd *g = new_grd();
	uint64_t x, b, c, d, e, p, y, z;
	struct grd_stats st;

	(void)state;
	x = take(g, "R", A, GRD_EX, GRD_GRANTED);
	b = take(g, "R", B, GRD_PR, GRD_QUEUED);
	assert_int_equal(grd_cancel(g, b), 0);
	assert_int_equal(grd_unlock(g, b, NULL), GRD_EUNKNOWN);	/* gone */
	c = take(g, "R", C, GRD_PR, GRD_QUEUED);
	assert_int_equal(grd_unlock(g, c, NULL), 0);			/* unlock cancels */
	assert_int_equal(nlocks(g), 1);
	assert_int_equal(grd_cancel(g, x), GRD_ENOTPENDING);

	/* a cancelled conversion leaves the lock granted in its old mode */
	d = take(g, "S", A, GRD_PR, GRD_GRANTED);
	e = take(g, "S", B, GRD_PR, GRD_GRANTED);
	assert_int_equal(grd_convert(g, d, GRD_EX, 0, 0, NULL), GRD_QUEUED);
	assert_int_equal(grd_cancel(g, d), 0);
	assert_int_equal(info(g, d).li_state, GRD_LK_GRANTED);
	assert_int_equal(info(g, d).li_grmode, GRD_PR);
	(void)e;

	/* cancelling the request at the head lets the compatible one behind in */
	p = take(g, "T", A, GRD_PR, GRD_GRANTED);
	y = take(g, "T", B, GRD_EX, GRD_QUEUED);
	z = take(g, "T", C, GRD_PR, GRD_QUEUED);
	drain(g);
	assert_int_equal(grd_cancel(g, y), 0);
	expect_ev(g, GRD_EV_GRANTED, z, GRD_PR);
	expect_none(g);
	(void)p;

	grd_stats(g, &st);
	assert_int_equal(st.st_cancels, 4);
	assert_int_equal(st.st_bad, 2);		/* the unknown id and the granted lock */
	grd_destroy(&g);
}

static int not_due(const struct grd_lock_info *li, void *arg)
{
	assert_true(li->li_deadline == 0 || li->li_deadline > *(uint64_t *)arg);
	return 0;
}

static void test_timeouts(void **state)
{
	struct grd *g = new_grd();
	uint64_t a, b, c, p, q, w, n;
	struct grd_event ev;
	struct grd_stats st;

	(void)state;
	a = take(g, "R", A, GRD_EX, GRD_GRANTED);
	b = take_dl(g, "R", B, GRD_PR, 1000, GRD_QUEUED);
	c = take(g, "R", C, GRD_PR, GRD_QUEUED);
	assert_int_equal(grd_next_deadline(g), 1000);
	drain(g);
	assert_int_equal(grd_expire(g, 999), 0);
	expect_none(g);
	assert_int_equal(grd_expire(g, 1000), 1);
	ev = expect_ev(g, GRD_EV_TIMEDOUT, b, GRD_IV);
	assert_int_equal(ev.ev_status, GRD_ETIMEDOUT);
	assert_int_equal(ev.ev_owner.ow_client, B.ow_client);
	expect_none(g);
	assert_int_equal(grd_unlock(g, b, NULL), GRD_EUNKNOWN);
	assert_int_equal(info(g, c).li_state, GRD_LK_WAITING);
	assert_int_equal(grd_next_deadline(g), 0);
	(void)a;

	/* a timed-out conversion falls back to its granted mode */
	p = take(g, "S", A, GRD_PR, GRD_GRANTED);
	q = take(g, "S", B, GRD_PR, GRD_GRANTED);
	assert_int_equal(grd_convert(g, p, GRD_EX, 0, 500, NULL), GRD_QUEUED);
	w = take(g, "S", C, GRD_CR, GRD_QUEUED);	/* behind the EX conversion */
	drain(g);
	assert_int_equal(grd_expire(g, 600), 1);
	ev = expect_ev(g, GRD_EV_TIMEDOUT, p, GRD_PR);
	assert_int_equal(ev.ev_status, GRD_ETIMEDOUT);
	expect_ev(g, GRD_EV_GRANTED, w, GRD_CR);
	expect_none(g);
	assert_int_equal(info(g, p).li_state, GRD_LK_GRANTED);
	(void)q;

	/* a request granted at once has nothing to time out */
	n = take_dl(g, "U", A, GRD_NL, 10, GRD_GRANTED);
	assert_int_equal(grd_next_deadline(g), 0);
	assert_int_equal(grd_expire(g, 1000000), 0);
	assert_int_equal(info(g, n).li_state, GRD_LK_GRANTED);

	/* several deadlines, in deadline order */
	uint64_t h = take(g, "V", A, GRD_EX, GRD_GRANTED);
	uint64_t t3 = take_dl(g, "V", B, GRD_EX, 3000, GRD_QUEUED);
	uint64_t t2 = take_dl(g, "V", C, GRD_EX, 2000, GRD_QUEUED);
	drain(g);
	assert_int_equal(grd_next_deadline(g), 2000);
	assert_int_equal(grd_expire(g, 5000), 2);
	expect_ev(g, GRD_EV_TIMEDOUT, t2, GRD_IV);
	expect_ev(g, GRD_EV_TIMEDOUT, t3, GRD_IV);
	expect_none(g);
	(void)h;

	/* many deadlines, given in random order, fail in deadline order */
	unsigned seed = 5;
	uint64_t dl[300], last = 0, first = 0;
	for (int k = 0; k < 300; k++) {
		uint64_t id;

		dl[k] = 10000 + (uint64_t)(rand_r(&seed) % 5000);
		id = take_dl(g, "W", OW(1 + k % 3, (uint32_t)k), GRD_EX, dl[k], k ? GRD_QUEUED : GRD_GRANTED);
		if (!k)
			first = id;
		assert_int_equal(id, first + (uint64_t)k);
	}
	/* out of the middle of the heap, and fewer steps than deadlines */
	int cancelled = 0;
	for (int k = 1; k < 300; k++) {
		if (rand_r(&seed) % 2)
			continue;
		assert_int_equal(grd_cancel(g, first + (uint64_t)k), 0);
		cancelled++;
	}
	drain(g);
	for (uint64_t now = 10000; now <= 15037; now += 37) {
		grd_expire(g, now);
		while (grd_next_event(g, &ev)) {
			if (ev.ev_type != GRD_EV_TIMEDOUT)
				continue;
			assert_true(ev.ev_lkid > 0);
			uint64_t d = dl[ev.ev_lkid - first];
			assert_true(d <= now && d >= last);
			last = d;
		}
		assert_true(grd_next_deadline(g) == 0 || grd_next_deadline(g) > now);
		assert_int_equal(grd_foreach_lock(g, not_due, &now), 0);
	}
	assert_int_equal(info(g, first).li_state, GRD_LK_GRANTED);

	grd_stats(g, &st);
	assert_int_equal(st.st_timeouts, 4 + 299 - (uint64_t)cancelled);
	grd_destroy(&g);
}

static void fill(uint8_t lvb[GRD_LVB_LEN], int seed)
{
	for (int k = 0; k < GRD_LVB_LEN; k++)
		lvb[k] = (uint8_t)(seed * 31 + k);
}

static void test_lvb(void **state)
{
	struct grd *g = new_grd();
	uint8_t v1[GRD_LVB_LEN], v2[GRD_LVB_LEN], v3[GRD_LVB_LEN], out[GRD_LVB_LEN];
	uint8_t zero[GRD_LVB_LEN] = { 0 };
	uint64_t keeper, x, p, q, y, w;
	struct grd_event ev;
	bool dubious = true;

	(void)state;
	fill(v1, 1);
	fill(v2, 2);
	fill(v3, 3);
	keeper = take(g, "L", A, GRD_NL, GRD_GRANTED);	/* keeps the resource */
	x = take(g, "L", B, GRD_EX, GRD_GRANTED);
	assert_int_equal(grd_lvb_read(g, x, out, &dubious), 0);
	assert_memory_equal(out, zero, GRD_LVB_LEN);
	assert_false(dubious);

	/* written on release from EX */
	assert_int_equal(grd_unlock(g, x, v1), 0);
	p = take(g, "L", C, GRD_PR, GRD_GRANTED);
	assert_int_equal(grd_lvb_read(g, p, out, NULL), 0);
	assert_memory_equal(out, v1, GRD_LVB_LEN);

	/* not written on release from PR */
	assert_int_equal(grd_unlock(g, p, v2), 0);
	q = take(g, "L", D, GRD_PR, GRD_GRANTED);
	assert_int_equal(grd_lvb_read(g, q, out, NULL), 0);
	assert_memory_equal(out, v1, GRD_LVB_LEN);

	/* read on grant: the event carries it */
	y = take(g, "L", B, GRD_EX, GRD_QUEUED);
	w = take(g, "L", C, GRD_PR, GRD_QUEUED);
	assert_int_equal(grd_lvb_read(g, y, out, NULL), GRD_ENOTGRANTED);
	drain(g);
	assert_int_equal(grd_unlock(g, q, NULL), 0);
	ev = expect_ev(g, GRD_EV_GRANTED, y, GRD_EX);
	assert_memory_equal(ev.ev_lvb, v1, GRD_LVB_LEN);
	assert_false(ev.ev_dubious);
	drain(g);

	/* written on down-conversion from EX; the waiter gets the new value */
	assert_int_equal(grd_convert(g, y, GRD_NL, 0, 0, v3), GRD_GRANTED);
	ev = expect_ev(g, GRD_EV_GRANTED, w, GRD_PR);
	assert_memory_equal(ev.ev_lvb, v3, GRD_LVB_LEN);
	assert_int_equal(grd_unlock(g, w, NULL), 0);

	/* an up-conversion does not write; a release without one leaves it */
	assert_int_equal(grd_convert(g, keeper, GRD_EX, 0, 0, v2), GRD_GRANTED);
	assert_int_equal(grd_lvb_read(g, keeper, out, NULL), 0);
	assert_memory_equal(out, v3, GRD_LVB_LEN);
	assert_int_equal(grd_convert(g, keeper, GRD_NL, 0, 0, NULL), GRD_GRANTED);
	assert_int_equal(grd_lvb_read(g, keeper, out, NULL), 0);
	assert_memory_equal(out, v3, GRD_LVB_LEN);

	/* the value block goes with the last lock */
	assert_int_equal(grd_unlock(g, keeper, NULL), 0);
	assert_int_equal(grd_unlock(g, y, NULL), 0);
	assert_int_equal(nlocks(g), 0);
	x = take(g, "L", A, GRD_EX, GRD_GRANTED);
	assert_int_equal(grd_lvb_read(g, x, out, NULL), 0);
	assert_memory_equal(out, zero, GRD_LVB_LEN);
	grd_destroy(&g);
}

/* a value block takes room once something other than zeros is written, until its resource goes */
static void test_lvb_room(void **state)
{
	enum { N = 3000 };
	struct grd *g = new_grd(), *z = new_grd();
	uint8_t v[GRD_LVB_LEN], zero[GRD_LVB_LEN] = { 0 }, out[GRD_LVB_LEN];
	struct grd_mem mg, mz, m;
	uint64_t keep[N], x;
	char name[16];

	(void)state;
	fill(v, 7);
	/* the same resources in two tables: values written in one, zeros in the other */
	for (int k = 0; k < N; k++) {
		snprintf(name, sizeof(name), "v%d", k);
		keep[k] = take(g, name, A, GRD_NL, GRD_GRANTED);
		x = take(g, name, B, GRD_EX, GRD_GRANTED);
		assert_int_equal(grd_unlock(g, x, v), 0);
		take(z, name, A, GRD_NL, GRD_GRANTED);
		x = take(z, name, B, GRD_EX, GRD_GRANTED);
		assert_int_equal(grd_unlock(z, x, zero), 0);
	}
	grd_mem(g, &mg);
	grd_mem(z, &mz);
	assert_true(mg.gm_bytes >= mz.gm_bytes + (size_t)N * GRD_LVB_LEN);

	/* zeros over a value: read back as zeros */
	x = take(g, "v0", B, GRD_EX, GRD_GRANTED);
	assert_int_equal(grd_unlock(g, x, zero), 0);
	assert_int_equal(grd_lvb_read(g, keep[0], out, NULL), 0);
	assert_memory_equal(out, zero, GRD_LVB_LEN);

	/* resources and their value blocks go and come back: no more room than before */
	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < N; k++)
			assert_int_equal(grd_unlock(g, keep[k], NULL), 0);
		assert_int_equal(nlocks(g), 0);
		for (int k = 0; k < N; k++) {
			snprintf(name, sizeof(name), "v%d", k);
			keep[k] = take(g, name, A, GRD_NL, GRD_GRANTED);
			assert_int_equal(grd_lvb_read(g, keep[k], out, NULL), 0);
			assert_memory_equal(out, zero, GRD_LVB_LEN);
			x = take(g, name, B, GRD_EX, GRD_GRANTED);
			assert_int_equal(grd_unlock(g, x, v), 0);
		}
		grd_mem(g, &m);
		assert_int_equal(m.gm_bytes, mg.gm_bytes);
	}
	assert_int_equal(grd_lvb_read(g, keep[N - 1], out, NULL), 0);
	assert_memory_equal(out, v, GRD_LVB_LEN);
	grd_destroy(&g);
	grd_destroy(&z);
}

struct res_find {
	const char *name;
	struct grd_res_info ri;
	int found;
};

static int find_res(const struct grd_res_info *ri, void *arg)
{
	struct res_find *f = arg;

	if (ri->ri_namelen == strlen(f->name) && !memcmp(ri->ri_name, f->name, ri->ri_namelen)) {
		f->ri = *ri;
		f->found++;
	}
	return 0;
}

/*
 * A failed instance's PW and EX locks are held for recovery: they keep
 * blocking until SMON has recovered it, while its lesser locks and its
 * waiters go at once.
 */
static void test_hold_for_recovery(void **state)
{
	struct grd *g = new_grd();
	uint64_t pr_waiter, ex_waiter, w2, j_waiter;
	struct grd_drop d;
	struct grd_event ev;
	int granted = 0;

	(void)state;
	take(g, "H", OW(2, 7), GRD_EX, GRD_GRANTED);		/* held for recovery */
	take(g, "I", OW(2, 7), GRD_PR, GRD_GRANTED);		/* released at once */
	take(g, "J", OW(2, 8), GRD_PW, GRD_GRANTED);		/* held */
	take(g, "I", OW(1, 1), GRD_PR, GRD_GRANTED);
	w2 = take(g, "I", OW(2, 9), GRD_EX, GRD_QUEUED);	/* its waiter: cancelled */
	ex_waiter = take(g, "I", OW(3, 1), GRD_EX, GRD_QUEUED);
	pr_waiter = take(g, "H", OW(3, 2), GRD_PR, GRD_QUEUED);
	drain(g);
	(void)w2;

	assert_int_equal(grd_hold_for_recovery(g, 2, &d), 0);
	assert_int_equal(d.dr_kept, 2);
	assert_int_equal(d.dr_held, 1);
	assert_int_equal(d.dr_waiting, 1);
	assert_int_equal(d.dr_dubious, 2);	/* H and J, marked now */
	expect_none(g);		/* I: instance 1's PR still blocks the EX waiter */
	assert_int_equal(nlocks(g), 5);	/* H, J held; I: 1's PR, 3's EX; H: 3's PR */
	/* nothing new gets past a lock held for recovery */
	take(g, "J", OW(1, 1), GRD_NL, GRD_GRANTED);
	j_waiter = take(g, "J", OW(1, 2), GRD_PR, GRD_QUEUED);
	drain(g);

	/* recovery done: the rest goes, and the waiters are granted, told dubious */
	assert_int_equal(grd_drop_owner_instance(g, 2, &d), 0);
	assert_int_equal(d.dr_held, 2);
	assert_int_equal(d.dr_dubious, 0);	/* already */
	while (grd_next_event(g, &ev)) {
		assert_int_equal(ev.ev_type, GRD_EV_GRANTED);
		assert_true(ev.ev_lkid == pr_waiter || ev.ev_lkid == j_waiter);
		assert_true(ev.ev_dubious);
		granted++;
	}
	assert_int_equal(granted, 2);
	(void)ex_waiter;
	grd_destroy(&g);
}

static void test_dubious_after_instance_drop(void **state)
{
	struct grd *g = new_grd();
	uint8_t v[GRD_LVB_LEN], out[GRD_LVB_LEN];
	uint64_t keeper, waiter, w, f;
	struct grd_drop d;
	struct grd_event ev;
	struct grd_stats st;
	struct res_find rf = { .name = "F" };
	bool dubious = false;

	(void)state;
	fill(v, 9);
	keeper = take(g, "D", OW(1, 1), GRD_NL, GRD_GRANTED);
	take(g, "D", OW(2, 7), GRD_EX, GRD_GRANTED);		/* instance 2: EX */
	take(g, "E", OW(2, 7), GRD_PR, GRD_GRANTED);		/* PR: no harm */
	take(g, "F", OW(2, 7), GRD_PW, GRD_GRANTED);		/* PW, alone */
	take(g, "G", OW(1, 1), GRD_EX, GRD_GRANTED);
	take(g, "G", OW(2, 8), GRD_EX, GRD_QUEUED);		/* only waiting */
	waiter = take(g, "D", OW(3, 9), GRD_PR, GRD_QUEUED);
	drain(g);

	assert_int_equal(grd_drop_owner_instance(g, 2, &d), 0);
	assert_int_equal(d.dr_owners, 2);
	assert_int_equal(d.dr_held, 3);
	assert_int_equal(d.dr_waiting, 1);
	assert_int_equal(d.dr_dubious, 2);
	ev = expect_ev(g, GRD_EV_GRANTED, waiter, GRD_PR);
	assert_true(ev.ev_dubious);
	expect_none(g);
	assert_int_equal(grd_lvb_read(g, keeper, out, &dubious), 0);
	assert_true(dubious);

	/* a dubious value block outlives its last lock */
	assert_int_equal(grd_foreach_resource(g, find_res, &rf), 0);
	assert_int_equal(rf.found, 1);
	assert_true(rf.ri.ri_dubious);
	assert_int_equal(rf.ri.ri_ngranted + rf.ri.ri_nconverting + rf.ri.ri_nwaiting, 0);

	/* the next write from EX clears it */
	assert_int_equal(grd_unlock(g, waiter, NULL), 0);
	w = take(g, "D", OW(1, 2), GRD_EX, GRD_GRANTED);
	assert_int_equal(grd_lvb_read(g, w, out, &dubious), 0);
	assert_true(dubious);
	assert_int_equal(grd_unlock(g, w, NULL), 0);		/* no value: still dubious */
	assert_int_equal(grd_lvb_read(g, keeper, out, &dubious), 0);
	assert_true(dubious);
	w = take(g, "D", OW(1, 2), GRD_EX, GRD_GRANTED);
	assert_int_equal(grd_unlock(g, w, v), 0);
	assert_int_equal(grd_lvb_read(g, keeper, out, &dubious), 0);
	assert_false(dubious);
	assert_memory_equal(out, v, GRD_LVB_LEN);

	/* and the lock-less one: rewritten by recovery from PW, then it goes */
	f = take(g, "F", OW(1, 3), GRD_PW, GRD_GRANTED);
	assert_int_equal(grd_lvb_read(g, f, out, &dubious), 0);
	assert_true(dubious);
	grd_stats(g, &st);
	assert_int_equal(st.st_resources, 3);	/* D, F, G: E went with its lock */
	assert_int_equal(grd_unlock(g, f, v), 0);
	rf.found = 0;
	assert_int_equal(grd_foreach_resource(g, find_res, &rf), 0);
	assert_int_equal(rf.found, 0);

	grd_stats(g, &st);
	assert_int_equal(st.st_owner_drops, 2);
	assert_int_equal(st.st_dropped_locks, 4);
	grd_destroy(&g);
}

static void test_drop_owner(void **state)
{
	struct grd *g = new_grd();
	struct grd_owner dead = OW(1, 77);
	struct grd_drop d;
	struct grd_event ev;
	uint64_t other;

	(void)state;
	take(g, "a", dead, GRD_EX, GRD_GRANTED);
	take(g, "b", dead, GRD_PR, GRD_GRANTED);
	take(g, "c", OW(2, 5), GRD_EX, GRD_GRANTED);
	take(g, "c", dead, GRD_EX, GRD_QUEUED);
	other = take(g, "a", OW(1, 78), GRD_PR, GRD_QUEUED);
	/* the dead owner's second request on "a" must not be granted on the way */
	take(g, "a", dead, GRD_PR, GRD_QUEUED);
	drain(g);

	assert_int_equal(grd_drop_owner(g, dead, &d), 0);
	assert_int_equal(d.dr_owners, 1);
	assert_int_equal(d.dr_held, 2);
	assert_int_equal(d.dr_waiting, 2);
	assert_int_equal(d.dr_dubious, 1);
	ev = expect_ev(g, GRD_EV_GRANTED, other, GRD_PR);
	assert_true(ev.ev_dubious);
	assert_int_equal(ev.ev_owner.ow_client, 78);
	expect_none(g);
	assert_int_equal(nlocks(g), 2);

	/* nobody: nothing, and no error */
	assert_int_equal(grd_drop_owner(g, dead, &d), 0);
	assert_int_equal(d.dr_owners + d.dr_held + d.dr_waiting, 0);
	grd_destroy(&g);
}

/* the look-ups LMS routes by: a lock's owner, an owner's count; never "bad" */
static void test_owner_lookups(void **state)
{
	struct grd *g = new_grd();
	struct grd_owner o = { 0 };
	struct grd_stats st;
	struct grd_export x;
	uint64_t a, b, c, w;

	(void)state;
	assert_int_equal(grd_owner_locks(g, A), 0);
	a = take(g, "a", A, GRD_EX, GRD_GRANTED);
	b = take(g, "b", A, GRD_PR, GRD_GRANTED);
	c = take(g, "c", B, GRD_EX, GRD_GRANTED);
	w = take(g, "c", A, GRD_PR, GRD_QUEUED);	/* waiting counts too */
	drain(g);
	assert_int_equal(grd_owner_locks(g, A), 3);
	assert_int_equal(grd_owner_locks(g, B), 1);
	assert_int_equal(grd_owner_locks(g, D), 0);	/* same instance, other client */
	assert_int_equal(grd_owner_locks(g, OW(0, 100)), 0);	/* bad owner: none */
	assert_int_equal(grd_lock_owner(g, w, &o), 0);
	assert_int_equal(o.ow_inst, A.ow_inst);
	assert_int_equal(o.ow_client, A.ow_client);
	assert_int_equal(grd_lock_owner(g, c, &o), 0);
	assert_int_equal(o.ow_client, B.ow_client);
	assert_int_equal(grd_lock_owner(g, c + 1000, &o), GRD_EUNKNOWN);
	assert_int_equal(grd_lock_owner(g, 0, &o), GRD_EUNKNOWN);
	assert_int_equal(grd_lock_owner(g, a, NULL), RAC_EINVAL);
	assert_int_equal(grd_lock_owner(NULL, a, &o), RAC_EINVAL);
	assert_int_equal(grd_owner_locks(NULL, A), 0);

	/* gone with an unlock, an owner drop and a move */
	assert_int_equal(grd_unlock(g, a, NULL), 0);
	assert_int_equal(grd_lock_owner(g, a, &o), GRD_EUNKNOWN);
	assert_int_equal(grd_owner_locks(g, A), 2);
	assert_int_equal(grd_drop_owner(g, B, NULL), 0);
	drain(g);
	assert_int_equal(grd_owner_locks(g, B), 0);
	assert_int_equal(grd_export(g, NULL, GRD_EXPORT_MOVE, &x), 0);
	assert_int_equal(grd_owner_locks(g, A), 0);
	assert_int_equal(grd_lock_owner(g, b, &o), GRD_EUNKNOWN);
	/* and back with an import */
	assert_int_equal(grd_import(g, &x), 0);
	drain(g);
	assert_int_equal(grd_owner_locks(g, A), 2);
	assert_int_equal(grd_lock_owner(g, b, &o), 0);
	assert_int_equal(o.ow_client, A.ow_client);
	grd_export_free(&x);
	grd_stats(g, &st);
	assert_int_equal(st.st_bad, 0);
	grd_destroy(&g);
}

static void test_blocking_notifications(void **state)
{
	struct grd *g = new_grd();
	uint64_t a, b, c, d, e, f;
	struct grd_stats st;

	(void)state;
	a = take(g, "R", A, GRD_PR, GRD_GRANTED);
	b = take(g, "R", B, GRD_PR, GRD_GRANTED);
	c = take(g, "R", C, GRD_NL, GRD_GRANTED);
	d = take(g, "R", D, GRD_EX, GRD_QUEUED);
	/* the two readers block EX; NL blocks nobody */
	expect_ev(g, GRD_EV_BLOCKING, a, GRD_EX);
	expect_ev(g, GRD_EV_BLOCKING, b, GRD_EX);
	expect_none(g);
	/* more waiters of that mode or lower: no flood */
	e = take(g, "R", E, GRD_EX, GRD_QUEUED);
	f = take(g, "R", F, GRD_PW, GRD_QUEUED);
	expect_none(g);
	/* a holder that steps down to NL blocks no one any more */
	assert_int_equal(grd_convert(g, a, GRD_NL, 0, 0, NULL), GRD_GRANTED);
	expect_none(g);
	assert_int_equal(grd_unlock(g, b, NULL), 0);
	expect_ev(g, GRD_EV_GRANTED, d, GRD_EX);
	expect_ev(g, GRD_EV_BLOCKING, d, GRD_EX);	/* the new holder blocks e and f */
	expect_none(g);
	/* a holder whose mode changed hears again, if it still blocks */
	uint64_t s1 = take(g, "S", A, GRD_PR, GRD_GRANTED);
	take(g, "S", B, GRD_EX, GRD_QUEUED);
	expect_ev(g, GRD_EV_BLOCKING, s1, GRD_EX);
	assert_int_equal(grd_convert(g, s1, GRD_CR, 0, 0, NULL), GRD_GRANTED);
	expect_ev(g, GRD_EV_BLOCKING, s1, GRD_EX);
	expect_none(g);
	(void)c;
	(void)e;
	(void)f;
	grd_stats(g, &st);
	assert_int_equal(st.st_basts, 5);
	grd_destroy(&g);
}

static void test_deadlock_two_owners(void **state)
{
	struct grd *g = new_grd();
	uint64_t a1, b2, a2, b1, v[4] = { 0 };
	struct grd_edge *e = NULL;
	struct grd_event ev;
	struct grd_stats st;
	size_t n = 0;

	(void)state;
	a1 = take(g, "r1", A, GRD_EX, GRD_GRANTED);
	b2 = take(g, "r2", B, GRD_EX, GRD_GRANTED);
	a2 = take(g, "r2", A, GRD_EX, GRD_QUEUED);
	b1 = take(g, "r1", B, GRD_EX, GRD_QUEUED);
	drain(g);

	assert_int_equal(grd_waitfor_edges(g, &e, &n), 0);
	assert_int_equal(n, 2);
	for (size_t k = 0; k < n; k++) {
		if (e[k].ed_lkid == a2) {
			assert_int_equal(e[k].ed_waiter.ow_client, A.ow_client);
			assert_int_equal(e[k].ed_holder.ow_client, B.ow_client);
		} else {
			assert_int_equal(e[k].ed_lkid, b1);
			assert_int_equal(e[k].ed_waiter.ow_client, B.ow_client);
			assert_int_equal(e[k].ed_holder.ow_client, A.ow_client);
		}
	}
	free(e);

	assert_int_equal(grd_deadlock_find(g, v, 4), 1);
	assert_int_equal(v[0], b1);		/* the younger request */
	ev = expect_ev(g, GRD_EV_DEADLOCK, b1, GRD_IV);
	assert_int_equal(ev.ev_status, GRD_EDEADLK);
	assert_int_equal(ev.ev_owner.ow_client, B.ow_client);
	expect_none(g);
	assert_int_equal(info(g, a2).li_state, GRD_LK_WAITING);
	assert_int_equal(grd_deadlock_find(g, NULL, 0), 0);

	/* B, told, gives up r2: A gets it */
	assert_int_equal(grd_unlock(g, b2, NULL), 0);
	expect_ev(g, GRD_EV_GRANTED, a2, GRD_EX);
	expect_none(g);
	(void)a1;
	grd_stats(g, &st);
	assert_int_equal(st.st_deadlocks, 1);
	grd_destroy(&g);
}

static void test_deadlock_conversion_and_self(void **state)
{
	struct grd *g = new_grd();
	uint64_t a, b, x, y, v[2];

	(void)state;
	/* two readers both converting up: the classic conversion deadlock */
	a = take(g, "R", A, GRD_PR, GRD_GRANTED);
	b = take(g, "R", B, GRD_PR, GRD_GRANTED);
	assert_int_equal(grd_convert(g, a, GRD_EX, 0, 0, NULL), GRD_QUEUED);
	assert_int_equal(grd_convert(g, b, GRD_EX, 0, 0, NULL), GRD_QUEUED);
	drain(g);
	assert_int_equal(grd_deadlock_find(g, v, 2), 1);
	assert_int_equal(v[0], b);
	expect_ev(g, GRD_EV_DEADLOCK, b, GRD_PR);	/* still holds PR */
	expect_none(g);
	assert_int_equal(info(g, b).li_state, GRD_LK_GRANTED);
	assert_int_equal(grd_unlock(g, b, NULL), 0);
	expect_ev(g, GRD_EV_GRANTED, a, GRD_EX);

	/* an owner waiting for its own lock */
	x = take(g, "S", C, GRD_EX, GRD_GRANTED);
	y = take(g, "S", C, GRD_PR, GRD_QUEUED);
	drain(g);
	assert_int_equal(grd_deadlock_find(g, v, 2), 1);
	assert_int_equal(v[0], y);
	(void)x;

	/* but not an owner queued behind its own request */
	take(g, "T", A, GRD_EX, GRD_GRANTED);
	take(g, "T", D, GRD_PR, GRD_QUEUED);
	take(g, "T", D, GRD_PR, GRD_QUEUED);
	assert_int_equal(grd_deadlock_find(g, v, 2), 0);
	grd_destroy(&g);
}

static struct grd_edge edge(struct grd_owner w, struct grd_owner h, uint64_t lkid, int master)
{
	struct grd_edge e = { .ed_waiter = w, .ed_holder = h, .ed_lkid = lkid,
			      .ed_master = (uint8_t)master };

	return e;
}

static void assert_is_cycle(const struct grd_edge *e, const size_t *cyc, int len)
{
	for (int k = 0; k < len; k++) {
		const struct grd_edge *x = &e[cyc[k]], *y = &e[cyc[(k + 1) % len]];

		assert_int_equal(x->ed_holder.ow_inst, y->ed_waiter.ow_inst);
		assert_int_equal(x->ed_holder.ow_client, y->ed_waiter.ow_client);
	}
}

/* brute force: some owner reaches itself */
static bool has_cycle(const struct grd_edge *e, size_t n, int nodes)
{
	bool reach[16][16] = { { false } };

	for (size_t k = 0; k < n; k++)
		reach[e[k].ed_waiter.ow_client][e[k].ed_holder.ow_client] = true;
	for (int m = 0; m < nodes; m++)
		for (int i = 0; i < nodes; i++)
			for (int j = 0; j < nodes; j++)
				if (reach[i][m] && reach[m][j])
					reach[i][j] = true;
	for (int i = 0; i < nodes; i++)
		if (reach[i][i])
			return true;
	return false;
}

static void test_cycle_find_cross_instance(void **state)
{
	/* three LMSes' edges merged: 1 -> 2 (on 1), 2 -> 3 (on 2), 3 -> 1 (on 3) */
	struct grd_edge e[5] = {
		edge(OW(1, 10), OW(2, 20), 1001, 1),
		edge(OW(2, 20), OW(4, 40), 2001, 2),	/* 4 waits for nobody */
		edge(OW(3, 30), OW(1, 10), 3001, 3),
		edge(OW(2, 20), OW(3, 30), 2002, 2),
		edge(OW(5, 50), OW(1, 10), 1002, 1),	/* 5 is only a waiter */
	};
	size_t cyc[32];
	int len;

	(void)state;
	len = grd_cycle_find(e, 5, cyc, 8);
	assert_int_equal(len, 3);
	assert_is_cycle(e, cyc, len);
	bool seen[5] = { false };
	for (int k = 0; k < len; k++)
		seen[cyc[k]] = true;
	assert_true(seen[0] && seen[2] && seen[3]);
	assert_int_equal(grd_cycle_find(e, 5, cyc, 2), RAC_ERANGE);

	/* without 3 -> 1 there is none */
	struct grd_edge acyclic[4] = { e[0], e[1], e[3], e[4] };
	assert_int_equal(grd_cycle_find(acyclic, 4, cyc, 8), 0);
	assert_int_equal(grd_cycle_find(NULL, 0, cyc, 8), 0);

	/* waiting for oneself */
	struct grd_edge self = edge(OW(7, 1), OW(7, 1), 5, 7);
	assert_int_equal(grd_cycle_find(&self, 1, cyc, 8), 1);
	assert_int_equal(cyc[0], 0);

	/* random graphs against a brute-force closure */
	unsigned seed = 42;
	for (int round = 0; round < 500; round++) {
		struct grd_edge r[24];
		size_t n = (size_t)(rand_r(&seed) % 24);
		int nodes = 2 + rand_r(&seed) % 8;

		for (size_t k = 0; k < n; k++)
			r[k] = edge(OW(1, (uint32_t)(rand_r(&seed) % nodes)),
				    OW(1, (uint32_t)(rand_r(&seed) % nodes)), k + 1, 1);
		len = grd_cycle_find(r, n, cyc, 32);
		assert_true(len >= 0);
		assert_int_equal(len > 0, has_cycle(r, n, nodes));
		if (len > 0)
			assert_is_cycle(r, cyc, len);
	}
}

static void test_bad_requests(void **state)
{
	struct grd *g = new_grd();
	char long_name[GRD_NAME_MAX + 1];
	uint8_t out[GRD_LVB_LEN];
	uint64_t id = 0, x, y, p, q;
	struct grd_stats st;
	struct grd_drop d;
	int nbad = 0;

	(void)state;
	memset(long_name, 'n', sizeof(long_name));
	x = take(g, "R", A, GRD_EX, GRD_GRANTED);
	y = take(g, "R", B, GRD_PR, GRD_QUEUED);
	p = take(g, "S", A, GRD_PR, GRD_GRANTED);
	q = take(g, "S", B, GRD_PR, GRD_GRANTED);
	assert_int_equal(grd_convert(g, p, GRD_EX, 0, 0, NULL), GRD_QUEUED);
	drain(g);

#define BAD(call, code) do { \
		assert_int_equal((call), (code)); \
		grd_stats(g, &st); \
		assert_int_equal(st.st_bad, ++nbad); \
	} while (0)

	BAD(grd_convert(g, 12345, GRD_PR, 0, 0, NULL), GRD_EUNKNOWN);
	BAD(grd_convert(g, 0, GRD_PR, 0, 0, NULL), GRD_EUNKNOWN);
	BAD(grd_unlock(g, 12345, NULL), GRD_EUNKNOWN);
	BAD(grd_cancel(g, 12345), GRD_EUNKNOWN);
	BAD(grd_lvb_read(g, 12345, out, NULL), GRD_EUNKNOWN);
	BAD(grd_lock_query(g, 12345, &(struct grd_lock_info){ 0 }), GRD_EUNKNOWN);
	BAD(grd_lock(g, "R", 1, A, 99, 0, 0, &id), GRD_EBADMODE);
	BAD(grd_lock(g, "R", 1, A, GRD_IV, 0, 0, &id), GRD_EBADMODE);
	BAD(grd_convert(g, x, 99, 0, 0, NULL), GRD_EBADMODE);
	BAD(grd_lock(g, long_name, GRD_NAME_MAX + 1, A, GRD_PR, 0, 0, &id), GRD_ENAMELEN);
	BAD(grd_lock(g, "", 0, A, GRD_PR, 0, 0, &id), GRD_ENAMELEN);
	BAD(grd_lock(g, "R", 1, OW(0, 1), GRD_PR, 0, 0, &id), GRD_EBADOWNER);
	BAD(grd_lock(g, "R", 1, OW(RAC_MAX_INST + 1, 1), GRD_PR, 0, 0, &id), GRD_EBADOWNER);
	BAD(grd_lock(g, "R", 1, A, GRD_PR, 0x80, 0, &id), GRD_EBADFLAGS);
	BAD(grd_lock(g, "R", 1, A, GRD_PR, 0, 0, NULL), RAC_EINVAL);
	BAD(grd_convert(g, y, GRD_NL, 0, 0, NULL), GRD_ENOTGRANTED);	/* waiting */
	BAD(grd_convert(g, p, GRD_NL, 0, 0, NULL), GRD_ENOTGRANTED);	/* converting */
	BAD(grd_lvb_read(g, y, out, NULL), GRD_ENOTGRANTED);
	BAD(grd_cancel(g, x), GRD_ENOTPENDING);
	BAD(grd_drop_owner(g, OW(0, 1), &d), GRD_EBADOWNER);
	BAD(grd_drop_owner_instance(g, 0, &d), GRD_EBADOWNER);
	BAD(grd_drop_owner_instance(g, RAC_MAX_INST + 1, &d), GRD_EBADOWNER);
	BAD(grd_export(g, NULL, 0x40, &(struct grd_export){ 0 }), GRD_EBADFLAGS);
	assert_int_equal(grd_unlock(g, q, NULL), 0);
	BAD(grd_unlock(g, q, NULL), GRD_EUNKNOWN);		/* double unlock */
	/* (unlocking q let p's conversion through) */
	expect_ev(g, GRD_EV_GRANTED, p, GRD_EX);

	/* nothing changed on the way */
	assert_int_equal(nlocks(g), 3);
	assert_int_equal(info(g, x).li_state, GRD_LK_GRANTED);
	assert_int_equal(info(g, y).li_state, GRD_LK_WAITING);
	grd_stats(g, &st);
	assert_int_equal(st.st_requests, 4);

	assert_string_equal(grd_strerror(GRD_EUNKNOWN), "unknown lock id");
	assert_string_equal(grd_strerror(GRD_EDEADLK), "deadlock victim");
	assert_string_equal(grd_strerror(RAC_ENOMEM), "out of memory");
	assert_null(grd_new(0, 12345));		/* id base off the 2^48 grid */
	grd_destroy(&g);
#undef BAD
}

/* ------------------------------------------------------------------ */
/* export and import */

struct snap_lock {
	char name[GRD_NAME_MAX + 1];
	int pos;			/* place in the resource's visit order */
	struct grd_lock_info li;
};

struct snap {
	struct snap_lock *l;
	size_t n, cap;
};

static int snap_fn(const struct grd_lock_info *li, void *arg)
{
	struct snap *s = arg;
	struct snap_lock *sl;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->l = realloc(s->l, s->cap * sizeof(*s->l));
		assert_non_null(s->l);
	}
	sl = &s->l[s->n];
	memset(sl, 0, sizeof(*sl));
	memcpy(sl->name, li->li_name, li->li_namelen);
	sl->pos = s->n && !strcmp(s->l[s->n - 1].name, sl->name) ? s->l[s->n - 1].pos + 1 : 0;
	sl->li = *li;
	sl->li.li_name = NULL;
	s->n++;
	return 0;
}

static int snap_cmp(const void *a, const void *b)
{
	const struct snap_lock *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->pos - y->pos;
}

static struct snap snapshot(const struct grd *g)
{
	struct snap s = { 0 };

	assert_int_equal(grd_foreach_lock(g, snap_fn, &s), 0);
	if (s.n)
		qsort(s.l, s.n, sizeof(*s.l), snap_cmp);
	return s;
}

static void assert_same(const struct snap *a, const struct snap *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t k = 0; k < a->n; k++) {
		const struct grd_lock_info *x = &a->l[k].li, *y = &b->l[k].li;

		assert_string_equal(a->l[k].name, b->l[k].name);
		assert_int_equal(a->l[k].pos, b->l[k].pos);
		assert_int_equal(x->li_lkid, y->li_lkid);
		assert_int_equal(x->li_owner.ow_inst, y->li_owner.ow_inst);
		assert_int_equal(x->li_owner.ow_client, y->li_owner.ow_client);
		assert_int_equal(x->li_grmode, y->li_grmode);
		assert_int_equal(x->li_rqmode, y->li_rqmode);
		assert_int_equal(x->li_state, y->li_state);
		assert_int_equal(x->li_blocked, y->li_blocked);
		assert_int_equal(x->li_blocker.ow_client, y->li_blocker.ow_client);
		assert_int_equal(x->li_deadline, y->li_deadline);
	}
}

/* a busy table built through the API: every queue shape occurs */
static struct grd *busy_table(unsigned seed, int nres, int nops)
{
	struct grd *g = new_grd();
	uint64_t ids[4096];
	int n = 0;
	char name[32];
	uint8_t v[GRD_LVB_LEN];

	for (int k = 0; k < nops; k++) {
		int op = rand_r(&seed) % 10;

		if (op < 6 || !n) {
			int len = snprintf(name, sizeof(name), "rt-%03d", rand_r(&seed) % nres);
			uint64_t dl = rand_r(&seed) % 4 ? 0 : 1000 + (uint64_t)(rand_r(&seed) % 1000);
			uint64_t id;
			int rc = grd_lock(g, name, (size_t)len, OW(1 + rand_r(&seed) % 3, rand_r(&seed) % 4),
					  rand_r(&seed) % GRD_NMODES, 0, dl, &id);

			assert_true(rc == GRD_GRANTED || rc == GRD_QUEUED);
			if (n < 4096)
				ids[n++] = id;
		} else if (op < 9) {
			grd_convert(g, ids[rand_r(&seed) % n], rand_r(&seed) % GRD_NMODES, 0,
				    rand_r(&seed) % 2 ? 5000 : 0, NULL);
		} else {
			int j = rand_r(&seed) % n;

			fill(v, k);
			grd_unlock(g, ids[j], v);
			ids[j] = ids[--n];
		}
	}
	/* some dubious value blocks, some with no lock left */
	take(g, "rt-dub-1", OW(9, 1), GRD_EX, GRD_GRANTED);
	take(g, "rt-dub-2", OW(9, 1), GRD_PW, GRD_GRANTED);
	take(g, "rt-dub-2", OW(1, 1), GRD_NL, GRD_GRANTED);
	assert_int_equal(grd_drop_owner_instance(g, 9, NULL), 0);
	drain(g);
	return g;
}

struct res_snap {
	char name[GRD_NAME_MAX + 1];
	uint8_t lvb[GRD_LVB_LEN];
	bool dubious;
	size_t q[3];
	unsigned bucket;
};

struct res_list {
	struct res_snap r[1024];
	size_t n;
};

static int res_fn(const struct grd_res_info *ri, void *arg)
{
	struct res_list *l = arg;
	struct res_snap *r = &l->r[l->n++];

	memset(r, 0, sizeof(*r));
	memcpy(r->name, ri->ri_name, ri->ri_namelen);
	memcpy(r->lvb, ri->ri_lvb, GRD_LVB_LEN);
	r->dubious = ri->ri_dubious;
	r->q[0] = ri->ri_ngranted;
	r->q[1] = ri->ri_nconverting;
	r->q[2] = ri->ri_nwaiting;
	r->bucket = ri->ri_bucket;
	assert_int_equal(r->bucket, grd_bucket(ri->ri_name, ri->ri_namelen));
	return 0;
}

static int res_cmp(const void *a, const void *b)
{
	return strcmp(((const struct res_snap *)a)->name, ((const struct res_snap *)b)->name);
}

static struct res_list *res_snapshot(const struct grd *g)
{
	struct res_list *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	assert_int_equal(grd_foreach_resource(g, res_fn, l), 0);
	qsort(l->r, l->n, sizeof(l->r[0]), res_cmp);
	return l;
}

static void test_export_import_roundtrip(void **state)
{
	struct grd *g = busy_table(7, 150, 3000), *g2, *g3;
	struct grd_export x, y;
	struct snap s1, s2, s3;
	struct res_list *r1, *r2;
	uint64_t half[GRD_NBUCKETS / 64];
	size_t queued = 0;

	(void)state;
	s1 = snapshot(g);
	r1 = res_snapshot(g);
	for (size_t k = 0; k < s1.n; k++)
		queued += s1.l[k].li.li_state != GRD_LK_GRANTED;
	assert_true(queued > 50);		/* the shapes are there */
	assert_true(r1->n > 100);

	/* copy everything into another table: the same queues, in order */
	assert_int_equal(grd_export(g, NULL, 0, &x), 0);
	assert_int_equal(x.x_nlocks, s1.n);
	g2 = grd_new(0, (uint64_t)1 << GRD_ID_SPACE_BITS);
	assert_non_null(g2);
	assert_int_equal(grd_import(g2, &x), 0);
	expect_none(g2);			/* nothing grantable, nobody to tell again */
	s2 = snapshot(g2);
	assert_same(&s1, &s2);
	r2 = res_snapshot(g2);
	assert_int_equal(r1->n, r2->n);
	assert_memory_equal(r1->r, r2->r, r1->n * sizeof(r1->r[0]));
	assert_int_equal(grd_next_deadline(g2), grd_next_deadline(g));
	free(r2);

	/* a clash (the same again) changes nothing */
	assert_int_equal(grd_import(g2, &x), GRD_EIMPORT);
	free(s2.l);
	s2 = snapshot(g2);
	assert_same(&s1, &s2);
	free(s2.l);

	/* conflicting granted modes are refused */
	struct grd_xres bad_res = { .xr_nlocks = 2, .xr_namelen = 3, .xr_name = "bad" };
	struct grd_xlock bad_locks[2] = {
		{ .xl_lkid = 77, .xl_owner = OW(1, 1), .xl_grmode = GRD_EX, .xl_rqmode = GRD_EX,
		  .xl_state = GRD_LK_GRANTED, .xl_bast = GRD_IV },
		{ .xl_lkid = 78, .xl_owner = OW(1, 2), .xl_grmode = GRD_PR, .xl_rqmode = GRD_PR,
		  .xl_state = GRD_LK_GRANTED, .xl_bast = GRD_IV },
	};
	struct grd_export bad_x = { &bad_res, 1, bad_locks, 2 };
	assert_int_equal(grd_import(g2, &bad_x), GRD_EIMPORT);
	bad_locks[1].xl_grmode = bad_locks[1].xl_rqmode = GRD_NL;
	bad_locks[1].xl_lkid = x.x_locks[0].xl_lkid;	/* an id g2 has */
	assert_int_equal(grd_import(g2, &bad_x), GRD_EIMPORT);
	assert_int_equal(nlocks(g2), s1.n);

	/* ids handed out afterwards are g2's own */
	uint64_t fresh = take(g2, "fresh", A, GRD_NL, GRD_GRANTED);
	assert_true(fresh > ((uint64_t)1 << GRD_ID_SPACE_BITS));

	/* move the even buckets out of g into g3 */
	for (int b = 0; b < GRD_NBUCKETS / 64; b++)
		half[b] = 0x5555555555555555ull;
	assert_int_equal(grd_export(g, half, GRD_EXPORT_MOVE, &y), 0);
	assert_true(y.x_nres > 0 && y.x_nres < x.x_nres);
	g3 = grd_new(0, (uint64_t)2 << GRD_ID_SPACE_BITS);
	assert_non_null(g3);
	assert_int_equal(grd_import(g3, &y), 0);
	expect_none(g3);
	assert_int_equal(nlocks(g) + nlocks(g3), s1.n);
	s2 = snapshot(g);
	s3 = snapshot(g3);
	for (size_t k = 0; k < s2.n; k++)
		assert_true(grd_bucket(s2.l[k].name, strlen(s2.l[k].name)) % 2 == 1);
	for (size_t k = 0; k < s3.n; k++) {
		assert_true(grd_bucket(s3.l[k].name, strlen(s3.l[k].name)) % 2 == 0);
		/* the ids live on in the new master */
		assert_int_equal(grd_lock_query(g, s3.l[k].li.li_lkid, &(struct grd_lock_info){ 0 }),
				 GRD_EUNKNOWN);
	}
	for (size_t k = 0; k < s3.n; k++)
		assert_int_equal(grd_unlock(g3, s3.l[k].li.li_lkid, NULL), 0);
	assert_int_equal(nlocks(g3), 0);

	grd_export_free(&x);
	grd_export_free(&y);
	free(s1.l);
	free(s2.l);
	free(s3.l);
	free(r1);
	grd_destroy(&g);
	grd_destroy(&g2);
	grd_destroy(&g3);
}

static double secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_memory_per_lock(void **state)
{
	enum { N = 100000 };
	char name[GRD_NAME_MAX + 1];
	struct grd_mem m0, m1;

	(void)state;
	for (int wide = 0; wide < 2; wide++) {
		struct grd *g = new_grd();
#ifndef __SANITIZE_ADDRESS__
		struct mallinfo2 mi0 = mallinfo2();
#endif
		grd_mem(g, &m0);
		for (int k = 0; k < N; k++) {
			uint64_t id;
			int len = wide ? snprintf(name, sizeof(name), "%064d", k)
				       : snprintf(name, sizeof(name), "res-%06d", k);

			assert_int_equal(grd_lock(g, name, (size_t)len, OW(1 + k % 3, (uint32_t)k % 50),
						  k % 2 ? GRD_EX : GRD_PR, 0, 0, &id), GRD_GRANTED);
		}
		grd_mem(g, &m1);

		size_t bytes = m1.gm_bytes - m0.gm_bytes, allocs = m1.gm_allocs - m0.gm_allocs;
		double req = (double)bytes / N;
		/* what malloc adds: a header and rounding, about 16 bytes a block */
		double est = (double)(bytes + 16 * allocs) / N;

		print_message("grd: %d locks on distinct resources, %s names: %.1f bytes/lock "
			      "requested, %.1f with malloc overhead\n", N,
			      wide ? "64-byte" : "10-byte", req, est);
#ifndef __SANITIZE_ADDRESS__
		struct mallinfo2 mi1 = mallinfo2();
		/* small blocks, plus the big ones malloc maps on their own */
		double mi = ((double)(mi1.uordblks + mi1.hblkhd) - (double)(mi0.uordblks + mi0.hblkhd)) / N;

		/* only when the malloc in use is the one mallinfo2 reports on */
		if (mi > req / 2) {
			print_message("grd: mallinfo2 says %.1f bytes/lock\n", mi);
			if (!wide)
				assert_true(mi < 200);
		}
#endif
		if (!wide)
			assert_true(est < 200);
		grd_destroy(&g);
	}
}

static void test_remaster_speed(void **state)
{
	enum { NRES = 100000 };
	struct grd *g = grd_new(2 * NRES, 0), *g2;
	struct grd_export x;
	struct grd_stats st;
	char name[32];
	double t0, t1, t2;

	(void)state;
	assert_non_null(g);
	for (int k = 0; k < NRES; k++) {
		int len = snprintf(name, sizeof(name), "blk-%07d", k);
		uint64_t id;

		assert_int_equal(grd_lock(g, name, (size_t)len, OW(1, (uint32_t)k % 64), GRD_EX, 0, 0, &id),
				 GRD_GRANTED);
		assert_int_equal(grd_lock(g, name, (size_t)len, OW(2, (uint32_t)k % 64), GRD_PR, 0, 0, &id),
				 GRD_QUEUED);
	}
	drain(g);
	g2 = grd_new(0, (uint64_t)1 << GRD_ID_SPACE_BITS);
	assert_non_null(g2);
	t0 = secs();
	assert_int_equal(grd_export(g, NULL, GRD_EXPORT_MOVE, &x), 0);
	t1 = secs();
	assert_int_equal(grd_import(g2, &x), 0);
	t2 = secs();
	print_message("grd: remastered %zu locks on %zu resources: export %.0f ms, import %.0f ms "
		      "(%.0f ms per million locks)\n", x.x_nlocks, x.x_nres, (t1 - t0) * 1e3,
		      (t2 - t1) * 1e3, (t2 - t0) * 1e3 * 1e6 / (double)x.x_nlocks);
	assert_int_equal(x.x_nlocks, 2 * NRES);
	assert_int_equal(nlocks(g), 0);
	grd_stats(g2, &st);
	assert_int_equal(st.st_locks, 2 * NRES);
	assert_int_equal(st.st_resources, NRES);
	assert_int_equal(grd_pending_events(g2), 0);
	grd_export_free(&x);
	grd_destroy(&g);
	grd_destroy(&g2);
}

/* ------------------------------------------------------------------ */
/* randomized model check */

#define MRES 8
#define MOWN 6
#define MMAX 64

struct mlock {
	uint64_t id;
	int own, res;
	int state, gr, rq;
};

struct model {
	struct grd *g;
	struct mlock l[4 * MMAX];
	int n;
	uint64_t dead[16];
	int ndead;
	uint64_t now;
	uint64_t expired;		/* the last grd_expire() time */
	unsigned gen;
	long sum_locks, sum_queued;	/* over all steps, for the summary */
};

static const struct grd_owner mown[MOWN] = {
	{ .ow_client = 1, .ow_inst = 1 }, { .ow_client = 2, .ow_inst = 1 },
	{ .ow_client = 1, .ow_inst = 2 }, { .ow_client = 2, .ow_inst = 2 },
	{ .ow_client = 1, .ow_inst = 3 }, { .ow_client = 2, .ow_inst = 3 },
};

static struct mlock *m_find(struct model *m, uint64_t id)
{
	for (int k = 0; k < m->n; k++)
		if (m->l[k].id == id)
			return &m->l[k];
	return NULL;
}

static void m_remove(struct model *m, struct mlock *l)
{
	m->dead[m->ndead++ % 16] = l->id;
	*l = m->l[--m->n];
}

static bool down(int from, int to)
{
	for (int k = 0; k < GRD_NMODES; k++)
		if (matrix[from][k] && !matrix[to][k])
			return false;
	return true;
}

static void m_events(struct model *m)
{
	struct grd_event ev;

	while (grd_next_event(m->g, &ev)) {
		struct mlock *l = m_find(m, ev.ev_lkid);

		assert_non_null(l);
		assert_int_equal(ev.ev_owner.ow_inst, mown[l->own].ow_inst);
		assert_int_equal(ev.ev_owner.ow_client, mown[l->own].ow_client);
		switch (ev.ev_type) {
		case GRD_EV_GRANTED:
			assert_int_not_equal(l->state, GRD_LK_GRANTED);
			assert_int_equal(ev.ev_mode, l->rq);
			l->state = GRD_LK_GRANTED;
			l->gr = l->rq;
			break;
		case GRD_EV_BLOCKING:
			assert_int_not_equal(l->state, GRD_LK_WAITING);
			assert_false(matrix[l->gr][ev.ev_mode]);
			break;
		case GRD_EV_TIMEDOUT:
		case GRD_EV_DEADLOCK:
			assert_int_not_equal(l->state, GRD_LK_GRANTED);
			assert_int_equal(ev.ev_status,
					 ev.ev_type == GRD_EV_TIMEDOUT ? GRD_ETIMEDOUT : GRD_EDEADLK);
			if (l->state == GRD_LK_WAITING) {
				assert_int_equal(ev.ev_mode, GRD_IV);
				m_remove(m, l);
			} else {
				assert_int_equal(ev.ev_mode, l->gr);
				l->state = GRD_LK_GRANTED;
				l->rq = l->gr;
			}
			break;
		default:
			fail();
		}
	}
}

struct seen {
	uint64_t now;
	struct grd_lock_info li[4 * MMAX];
	int res[4 * MMAX];
	int n;
};

static int seen_fn(const struct grd_lock_info *li, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 4 * MMAX);
	assert_int_equal(li->li_namelen, 2);
	/* grd_expire(now) ran: no queued request is past its deadline */
	assert_true(li->li_deadline == 0 || li->li_deadline > s->now);
	s->res[s->n] = li->li_name[1] - '0';
	s->li[s->n++] = *li;
	return 0;
}

/* no two granted modes in conflict; no queued request the rules would grant */
static void m_check(struct model *m)
{
	struct seen s = { .n = 0, .now = m->expired };

	assert_int_equal(grd_foreach_lock(m->g, seen_fn, &s), 0);
	assert_int_equal(s.n, m->n);
	m->sum_locks += s.n;
	for (int k = 0; k < s.n; k++) {
		struct mlock *l = m_find(m, s.li[k].li_lkid);

		m->sum_queued += s.li[k].li_state != GRD_LK_GRANTED;
		assert_non_null(l);
		assert_int_equal(s.li[k].li_state, l->state);
		assert_int_equal(s.li[k].li_rqmode, l->rq);
		if (l->state != GRD_LK_WAITING)
			assert_int_equal(s.li[k].li_grmode, l->gr);
		assert_int_equal(s.li[k].li_blocked, l->state != GRD_LK_GRANTED);
	}
	for (int r = 0; r < MRES; r++) {
		const struct grd_lock_info *q[4 * MMAX];
		int n = 0, last = 0;
		bool head_seen = false;

		for (int k = 0; k < s.n; k++)
			if (s.res[k] == r)
				q[n++] = &s.li[k];
		for (int a = 0; a < n; a++) {
			assert_true(q[a]->li_state >= last);	/* grant, convert, wait */
			last = q[a]->li_state;
			for (int b = 0; b < a; b++)
				if (q[a]->li_state != GRD_LK_WAITING && q[b]->li_state != GRD_LK_WAITING)
					assert_true(matrix[q[a]->li_grmode][q[b]->li_grmode]);
		}
		for (int a = 0; a < n; a++) {
			bool grantable = true;

			if (q[a]->li_state == GRD_LK_GRANTED)
				continue;
			if (q[a]->li_state == GRD_LK_WAITING) {
				if (head_seen)
					continue;	/* FIFO: only the head could go */
				head_seen = true;
			}
			for (int b = 0; b < n; b++) {
				if (b == a)
					continue;
				if (q[b]->li_state != GRD_LK_WAITING &&
				    !matrix[q[a]->li_rqmode][q[b]->li_grmode])
					grantable = false;
				/* conversions ahead (all of them, for a new request) */
				if (q[b]->li_state == GRD_LK_CONVERTING &&
				    (q[a]->li_state == GRD_LK_WAITING || b < a) &&
				    !matrix[q[a]->li_rqmode][q[b]->li_rqmode])
					grantable = false;
			}
			assert_false(grantable);	/* a lost wake-up otherwise */
		}
	}
}

static struct mlock *m_pick(struct model *m, unsigned *seed)
{
	return m->n ? &m->l[rand_r(seed) % m->n] : NULL;
}

static void m_drop(struct model *m, int inst, int own)
{
	for (int k = 0; k < m->n;) {
		struct mlock *l = &m->l[k];

		if ((own >= 0 && l->own == own) || (own < 0 && mown[l->own].ow_inst == inst))
			m_remove(m, l);
		else
			k++;
	}
}

static void test_model_random(void **state)
{
	static struct model m;
	unsigned seed = 20240611;
	uint8_t v[GRD_LVB_LEN];
	struct grd_stats st;
	int steps = 20000, victims = 0, timeouts = 0;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.g = new_grd();
	for (int step = 0; step < steps; step++) {
		int op = rand_r(&seed) % 100;
		struct mlock *l = m_pick(&m, &seed);
		int mode = rand_r(&seed) % GRD_NMODES, rc;
		unsigned flags = rand_r(&seed) % 8 == 0 ? GRD_NOQUEUE : 0;
		uint64_t dl = rand_r(&seed) % 3 == 0 ? m.now + 1 + (uint64_t)(rand_r(&seed) % 60) : 0;

		fill(v, step);
		if (m.n >= MMAX && op < 36)
			op = 60;		/* unlock: keep the queues short enough to read */
		if (op < 36 || !l) {
			char name[3] = { 'M', (char)('0' + rand_r(&seed) % MRES), 0 };
			int own = rand_r(&seed) % MOWN;
			uint64_t id = 0;

			rc = grd_lock(m.g, name, 2, mown[own], mode, flags, dl, &id);
			if (rc == GRD_ENOTQUEUED) {
				assert_true(flags & GRD_NOQUEUE);
			} else {
				assert_true(rc == GRD_GRANTED || rc == GRD_QUEUED);
				m.l[m.n++] = (struct mlock){ .id = id, .own = own, .res = name[1] - '0',
							    .state = rc == GRD_GRANTED ? GRD_LK_GRANTED
										       : GRD_LK_WAITING,
							    .gr = rc == GRD_GRANTED ? mode : GRD_IV,
							    .rq = mode };
			}
		} else if (op < 56) {
			rc = grd_convert(m.g, l->id, mode, flags, dl, rand_r(&seed) % 2 ? v : NULL);
			if (l->state != GRD_LK_GRANTED) {
				assert_int_equal(rc, GRD_ENOTGRANTED);
			} else if (rc == GRD_GRANTED) {
				l->gr = l->rq = mode;
			} else if (rc == GRD_QUEUED) {
				assert_false(down(l->gr, mode));
				l->state = GRD_LK_CONVERTING;
				l->rq = mode;
			} else {
				assert_int_equal(rc, GRD_ENOTQUEUED);
				assert_true(flags & GRD_NOQUEUE);
				assert_false(down(l->gr, mode));
			}
		} else if (op < 70) {
			assert_int_equal(grd_unlock(m.g, l->id, rand_r(&seed) % 2 ? v : NULL), 0);
			m_remove(&m, l);
		} else if (op < 74) {
			rc = grd_cancel(m.g, l->id);
			if (l->state == GRD_LK_GRANTED) {
				assert_int_equal(rc, GRD_ENOTPENDING);
			} else {
				assert_int_equal(rc, 0);
				if (l->state == GRD_LK_WAITING) {
					m_remove(&m, l);
				} else {
					l->state = GRD_LK_GRANTED;
					l->rq = l->gr;
				}
			}
		} else if (op < 82) {
			m.now += (uint64_t)(rand_r(&seed) % 30);
			rc = grd_expire(m.g, m.now);
			m.expired = m.now;
			assert_true(rc >= 0);
			timeouts += rc;
		} else if (op < 88) {
			rc = grd_deadlock_find(m.g, NULL, 0);
			assert_true(rc >= 0);
			victims += rc;
		} else if (op < 89) {
			int own = rand_r(&seed) % MOWN;

			assert_int_equal(grd_drop_owner(m.g, mown[own], NULL), 0);
			m_drop(&m, 0, own);
		} else if (op < 90 && rand_r(&seed) % 2) {
			int inst = 1 + rand_r(&seed) % 3;

			assert_int_equal(grd_drop_owner_instance(m.g, (unsigned)inst, NULL), 0);
			m_drop(&m, inst, -1);
		} else if (op < 94) {
			if (m.ndead)
				assert_int_equal(grd_unlock(m.g, m.dead[rand_r(&seed) % (m.ndead < 16 ? m.ndead : 16)],
							    NULL), GRD_EUNKNOWN);
		} else if (op < 95) {
			/* remaster everything into a fresh table and carry on there */
			struct grd_export x;
			struct grd *g2 = grd_new(0, (uint64_t)++m.gen << GRD_ID_SPACE_BITS);

			assert_non_null(g2);
			m_events(&m);
			assert_int_equal(grd_export(m.g, NULL, GRD_EXPORT_MOVE, &x), 0);
			assert_int_equal(grd_import(g2, &x), 0);
			grd_export_free(&x);
			grd_destroy(&m.g);
			m.g = g2;
		} else {
			uint8_t out[GRD_LVB_LEN];

			rc = grd_lvb_read(m.g, l->id, out, NULL);
			assert_int_equal(rc, l->state == GRD_LK_WAITING ? GRD_ENOTGRANTED : 0);
		}
		m_events(&m);
		m_check(&m);
	}
	grd_stats(m.g, &st);
	print_message("grd: model check: %d steps (%u remasters), %.1f locks and %.1f queued requests "
		      "on average, %d timeouts, %d deadlock victims\n", steps, m.gen,
		      (double)m.sum_locks / steps, (double)m.sum_queued / steps, timeouts, victims);
	assert_true(timeouts > 0 && victims > 0 && m.sum_queued > steps);
	assert_int_equal(st.st_locks, (uint64_t)m.n);
	grd_destroy(&m.g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compat_matrix),
		cmocka_unit_test(test_fifo_no_starvation),
		cmocka_unit_test(test_grant_order_group),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_conversion_order),
		cmocka_unit_test(test_noqueue),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_lvb),
		cmocka_unit_test(test_lvb_room),
		cmocka_unit_test(test_dubious_after_instance_drop),
		cmocka_unit_test(test_drop_owner),
		cmocka_unit_test(test_hold_for_recovery),
		cmocka_unit_test(test_owner_lookups),
		cmocka_unit_test(test_blocking_notifications),
		cmocka_unit_test(test_deadlock_two_owners),
		cmocka_unit_test(test_deadlock_conversion_and_self),
		cmocka_unit_test(test_cycle_find_cross_instance),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_export_import_roundtrip),
		cmocka_unit_test(test_memory_per_lock),
		cmocka_unit_test(test_remaster_speed),
		cmocka_unit_test(test_model_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
