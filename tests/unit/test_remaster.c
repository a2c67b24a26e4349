/*
 * test_remaster.c - remastering between GRD tables (lms/remaster.c), in one
 * process: three instances, each with its own lock table (grd.c) and its
 * own `struct lms`, switched in and out of the global as the test acts for
 * one or another; a stub transport stands for out.c (to_peer queues, the
 * test delivers as dispatch.c would) and a stub lms_rcfg_finish() stands
 * for rcfg.c's (the import, then DONE op 1).
 *
 * Checked: a moved bucket's locks arrive intact at the new master -- grant,
 * convert and wait queues in order, modes, ids, the value block -- when the
 * old master is alive (it sends its table) and, dubious and in lock-id
 * order, when it died (the owners send theirs from shadows); shadows are
 * kept and dropped as the owners' locks move out of and into their tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lms.h"

#define NI 3
#define NW ((GRD_NBUCKETS + 63) / 64)
#define BIT(i) (1ull << ((i) - 1))
#define OW(inst, client) ((struct grd_owner){ .ow_client = (client), .ow_inst = (inst) })

struct lms lms;

static struct lms ctx[NI + 1];		/* each instance's, while another acts */
static int cur;				/* the instance in `lms` now (0: none) */
static struct member mem[NI + 1];
static union { struct sga_header h; uint8_t b[1 << 16]; } fake_sga;
static size_t finished[NI + 1];		/* resources imported by the last rebuild */

/* act as instance i */
static void use(int i)
{
	if (cur == i)
		return;
	if (cur)
		ctx[cur] = lms;
	lms = ctx[i];
	cur = i;
}

/* ---- the stub transport (out.c) and the finish (rcfg.c) ---------------- */

struct sent {
	int from, to;
	uint16_t type;
	struct msg_lk lk;
};
static struct sent q[4096];
static size_t qn, qhead;

void to_peer(int inst, uint16_t type, const struct msg_lk *lk)
{
	assert_true(qn < sizeof(q) / sizeof(q[0]));
	q[qn++] = (struct sent){ .from = cur, .to = inst, .type = type, .lk = *lk };
}

/* everything queued, in order, as dispatch.c hands it over */
static void deliver(void)
{
	while (qhead < qn) {
		struct sent *s = &q[qhead++];

		use(s->to);
		if (s->type == MSG_GRD_REBUILD)
			rb_store(s->from, &s->lk);
		else if (s->type == MSG_GRD_REBUILD_DONE)
			rb_done_in(s->from, &s->lk);
		else
			fail_msg("unexpected message type %u", s->type);
	}
	qn = qhead = 0;
}

void lms_rcfg_finish(void)
{
	size_t nres, dubious;

	rb_import(&nres, &dubious);
	finished[cur] = nres;
	rb_free(0, false);
	lms.rb.rm_local = lms.s_members;
	lms.rc.rc_state = LR_RUNNING;
	fin_note(lms.s_m->m_inst, lms.rb.rm_inc);
	rb_tell_members(1);
}

struct session *session_by_id(uint32_t id)
{
	(void)id;
	return NULL;
}

/* ---- the cluster ----------------------------------------------------------- */

static void setup_cluster(uint64_t members)
{
	memset(&fake_sga, 0, sizeof(fake_sga));
	fake_sga.h.sh_off_counters = 4096;
	cur = 0;
	for (int i = 1; i <= NI; i++) {
		memset(&ctx[i], 0, sizeof(ctx[i]));
		mem[i] = (struct member){ .m_inst = i, .m_sga = { .sg_base = fake_sga.b } };
		ctx[i].s_m = &mem[i];
		ctx[i].s_grd = grd_new(64, (uint64_t)i << 56);
		assert_non_null(ctx[i].s_grd);
		ctx[i].s_members = members;
		ctx[i].s_inc = 1;
		ctx[i].rb.rm_inc = 1;
		ctx[i].rb.rm_base = members;
		ctx[i].rb.rm_base_inc = 1;
		ctx[i].rb.rm_local = members;
		finished[i] = 0;
	}
}

static void teardown_cluster(void)
{
	use(0);
	for (int i = 1; i <= NI; i++) {
		lms = ctx[i];
		rb_free(0, false);
		while (lms.rb.rm_nsent > 0)
			grd_export_free(&lms.rb.rm_sent[--lms.rb.rm_nsent]);
		for (size_t k = 0; k < lms.sh.st_cap; k++)
			if (lms.sh.st_tab[k].sh_lkid)
				sh_name_free(&lms.sh.st_tab[k]);
		free(lms.sh.st_tab);
		grd_destroy(&lms.s_grd);
	}
	memset(&lms, 0, sizeof(lms));
}

/*
 * What thaw() (rcfg.c) does for remastering, for every member of the new
 * membership: the bucket diff, the shadows of locks whose master is gone,
 * its own table's part, DONE; then everything is delivered.
 */
static void change(uint64_t members, uint32_t inc)
{
	for (int me = 1; me <= NI; me++) {
		uint64_t moved[NW], old;
		struct grd_export x;

		if (!(members & BIT(me)))
			continue;
		use(me);
		old = lms.s_members;
		bucketmap_moved(old, old, members, old, me, moved, lms.rb.rm_moved);
		lms.s_members = members;
		lms.s_inc = inc;
		lms.rb.rm_mid = old;
		lms.rb.rm_inc = inc;
		lms.rb.rm_done_inc = inc;
		lms.rb.rm_done = 0;
		lms.rb.rm_start_ns = rac_now_mono_ns();
		rb_free(inc, true);
		/* as thaw_send_shadows() */
		for (size_t i = 0; i < lms.sh.st_cap; i++) {
			const struct shadow *e = &lms.sh.st_tab[i];
			unsigned b;
			int om;

			if (!e->sh_lkid)
				continue;
			b = grd_bucket(sh_name(e), e->sh_namelen);
			om = bucket_master(old, b);
			if (!(moved[b / 64] & (1ull << (b % 64))) || (om && (members & BIT(om))))
				continue;
			struct grd_xlock xl = { .xl_lkid = e->sh_lkid, .xl_owner.ow_client = e->sh_client,
						.xl_owner.ow_inst = (uint8_t)me, .xl_grmode = e->sh_gr,
						.xl_rqmode = e->sh_rq, .xl_state = e->sh_state };

			rb_send_lock(bucket_master(members, b), &xl, sh_name(e), e->sh_namelen);
		}
		/* as thaw_send_table() */
		for (unsigned b = 0; b < GRD_NBUCKETS; b++)
			if (bucket_master(members, b) == me)
				moved[b / 64] &= ~(1ull << (b % 64));
		assert_int_equal(grd_export(lms.s_grd, moved, GRD_EXPORT_MOVE, &x), 0);
		rb_send_export(&x, members, true);
		lms.rb.rm_sent[lms.rb.rm_nsent++] = x;
		send_done();
		lms.rb.rm_expect = members & ~BIT(me);
		lms.rc.rc_state = LR_REBUILDING;
	}
	deliver();
	for (int me = 1; me <= NI; me++)
		if (members & BIT(me)) {
			use(me);
			rb_check();	/* the only member left: nothing to wait for */
			assert_int_equal(lms.rc.rc_state, LR_RUNNING);
			/* every member finished: the new membership is the base */
			assert_int_equal(lms.rb.rm_base, members);
			assert_int_equal(lms.rb.rm_nsent, 0);
		}
	deliver();
}

/* a name whose bucket `from` masters under `was` and `to` under `now` */
static void name_moving(uint64_t was, int from, uint64_t now, int to, char *name)
{
	for (int n = 0; n < 100000; n++) {
		unsigned b;

		snprintf(name, GRD_NAME_MAX, "res-%d", n);
		b = grd_bucket(name, strlen(name));
		if (bucket_master(was, b) == from && bucket_master(now, b) == to)
			return;
	}
	fail_msg("no name moves from %d to %d", from, to);
}

struct seen {
	const char *name;
	int n;
	struct grd_lock_info li[16];
};

static int see(const struct grd_lock_info *li, void *arg)
{
	struct seen *s = arg;

	if (li->li_namelen == strlen(s->name) && !memcmp(li->li_name, s->name, li->li_namelen) &&
	    s->n < 16)
		s->li[s->n++] = *li;
	return 0;
}

static struct seen locks_of(int inst, const char *name)
{
	struct seen s = { .name = name };

	use(inst);
	grd_foreach_lock(lms.s_grd, see, &s);
	return s;
}

static uint64_t lock(int inst, const char *name, struct grd_owner o, int mode, int expect)
{
	uint64_t id = 0;

	use(inst);
	assert_int_equal(grd_lock(lms.s_grd, name, strlen(name), o, mode, 0, 0, &id), expect);
	return id;
}

/* a remote owner's lock: its shadow on the owner's instance, as sh_note would keep it */
static void shadow_of(int owner, uint64_t lkid, uint32_t client, const char *name, int gr, int rq,
		      int state)
{
	struct shadow *e;

	use(owner);
	e = sh_make(lkid, client, name, strlen(name));
	assert_non_null(e);
	e->sh_gr = (int8_t)gr;
	e->sh_rq = (int8_t)rq;
	e->sh_state = (uint8_t)state;
}

/*
 * 3 joins {1,2}: a bucket 1 mastered moves to 3.  1 is alive and sends its
 * table: every queue arrives in order, with its modes, ids and value block.
 */
static void test_join_old_master_alive(void **state)
{
	uint64_t old = BIT(1) | BIT(2), members = old | BIT(3);
	char name[GRD_NAME_MAX];
	uint8_t lvb[GRD_LVB_LEN] = "value-1", got[GRD_LVB_LEN];
	uint64_t a, e;
	struct seen before, after;
	bool dubious = true;

	(void)state;
	setup_cluster(old);
	name_moving(old, 1, members, 3, name);
	/* on master 1: A (1) and E (2) hold PR, E converts to EX; B, C, D wait */
	a = lock(1, name, OW(1, 100), GRD_EX, GRD_GRANTED);
	assert_int_equal(grd_convert(lms.s_grd, a, GRD_PR, 0, 0, lvb), GRD_GRANTED);
	e = lock(1, name, OW(2, 500), GRD_PR, GRD_GRANTED);
	lock(1, name, OW(2, 200), GRD_EX, GRD_QUEUED);
	lock(1, name, OW(1, 300), GRD_PW, GRD_QUEUED);
	lock(1, name, OW(1, 400), GRD_PR, GRD_QUEUED);
	assert_int_equal(grd_convert(lms.s_grd, e, GRD_EX, 0, 0, NULL), GRD_QUEUED);
	before = locks_of(1, name);
	assert_int_equal(before.n, 5);

	change(members, 2);

	assert_int_equal(finished[3], 1);
	assert_int_equal(locks_of(1, name).n, 0);	/* gone from the old master */
	after = locks_of(3, name);
	assert_int_equal(after.n, before.n);
	for (int k = 0; k < before.n; k++) {
		assert_int_equal(after.li[k].li_lkid, before.li[k].li_lkid);
		assert_int_equal(after.li[k].li_owner.ow_inst, before.li[k].li_owner.ow_inst);
		assert_int_equal(after.li[k].li_owner.ow_client, before.li[k].li_owner.ow_client);
		assert_int_equal(after.li[k].li_grmode, before.li[k].li_grmode);
		assert_int_equal(after.li[k].li_rqmode, before.li[k].li_rqmode);
		assert_int_equal(after.li[k].li_state, before.li[k].li_state);
	}
	use(3);
	assert_int_equal(grd_lvb_read(lms.s_grd, a, got, &dubious), 0);
	assert_memory_equal(got, lvb, GRD_LVB_LEN);
	assert_false(dubious);
	/* the old master keeps a shadow of its own clients' locks, the new one none */
	use(1);
	assert_non_null(sh_find(a));
	assert_int_equal(sh_find(a)->sh_gr, GRD_PR);
	assert_null(sh_find(e));
	use(3);
	assert_null(sh_find(a));
	teardown_cluster();
}

/*
 * 2 dies out of {1,2,3}: a bucket 2 mastered moves to 3.  Its table is
 * lost; 1 and 3 send their clients' locks from shadows.  They come back
 * granted as granted, waiters in lock-id order, the value block dubious;
 * the new master's own clients' shadows go.
 */
static void test_death_old_master_gone(void **state)
{
	uint64_t old = BIT(1) | BIT(2) | BIT(3), members = BIT(1) | BIT(3);
	uint64_t id = (2ull << 56) + 10;
	char name[GRD_NAME_MAX];
	uint8_t got[GRD_LVB_LEN];
	struct seen after;
	bool dubious = false;

	(void)state;
	setup_cluster(old);
	name_moving(old, 2, members, 3, name);
	/* granted: 1's PR and 3's CR; waiting: 3's EX (id+3) before 1's PW (id+4) */
	shadow_of(1, id + 1, 100, name, GRD_PR, GRD_IV, GRD_LK_GRANTED);
	shadow_of(3, id + 2, 300, name, GRD_CR, GRD_IV, GRD_LK_GRANTED);
	shadow_of(1, id + 4, 101, name, GRD_IV, GRD_PW, GRD_LK_WAITING);
	shadow_of(3, id + 3, 301, name, GRD_IV, GRD_EX, GRD_LK_WAITING);

	change(members, 2);

	assert_int_equal(finished[3], 1);
	after = locks_of(3, name);
	assert_int_equal(after.n, 4);
	assert_int_equal(after.li[0].li_state, GRD_LK_GRANTED);
	assert_int_equal(after.li[1].li_state, GRD_LK_GRANTED);
	assert_int_equal(after.li[0].li_lkid + after.li[1].li_lkid, 2 * id + 3);
	assert_int_equal(after.li[2].li_lkid, id + 3);	/* waiters by lock id */
	assert_int_equal(after.li[2].li_rqmode, GRD_EX);
	assert_int_equal(after.li[2].li_owner.ow_inst, 3);
	assert_int_equal(after.li[3].li_lkid, id + 4);
	assert_int_equal(after.li[3].li_rqmode, GRD_PW);
	assert_int_equal(after.li[3].li_owner.ow_inst, 1);
	assert_int_equal(after.li[3].li_owner.ow_client, 101);
	use(3);
	assert_int_equal(grd_lvb_read(lms.s_grd, id + 1, got, &dubious), 0);
	assert_true(dubious);	/* no old master to say what the value was */
	/* 3's clients' locks are in its table now: no shadows; 1 keeps its own */
	assert_null(sh_find(id + 2));
	assert_null(sh_find(id + 3));
	use(1);
	assert_non_null(sh_find(id + 1));
	assert_non_null(sh_find(id + 4));
	teardown_cluster();
}

/*
 * A bucket that does not move stays where it is, untouched; a lock record
 * that makes no sense (a granted mode clashing with one granted before it)
 * is dropped alone.
 */
static void test_unmoved_and_bad_record(void **state)
{
	uint64_t old = BIT(1) | BIT(2) | BIT(3), members = BIT(1) | BIT(3);
	uint64_t id = (2ull << 56) + 50;
	char stay[GRD_NAME_MAX], name[GRD_NAME_MAX];

	(void)state;
	setup_cluster(old);
	name_moving(old, 1, members, 1, stay);
	lock(1, stay, OW(3, 7), GRD_EX, GRD_GRANTED);
	name_moving(old, 2, members, 1, name);
	shadow_of(1, id + 1, 100, name, GRD_EX, GRD_IV, GRD_LK_GRANTED);
	shadow_of(3, id + 2, 300, name, GRD_EX, GRD_IV, GRD_LK_GRANTED);	/* clashes */

	change(members, 2);

	assert_int_equal(locks_of(1, stay).n, 1);
	{
		struct seen s = locks_of(1, name);

		assert_int_equal(s.n, 1);
		assert_int_equal(s.li[0].li_state, GRD_LK_GRANTED);
		assert_int_equal(s.li[0].li_grmode, GRD_EX);
	}
	teardown_cluster();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join_old_master_alive),
		cmocka_unit_test(test_death_old_master_gone),
		cmocka_unit_test(test_unmoved_and_bad_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
