/*
 * test_fastlock.c - the SGA lock cache: delegation and passing, the mode
 * matrix, strict FIFO, the value block and its dubious flag, the gate
 * (instance state, membership, LMS's lease), hand-over between processes,
 * cancel, revoke and its export order, dead clients, a latch left by a
 * dead holder, the sweep (idle slots, impatient waiters) and slots shared
 * by two names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "fastlock.h"
#include "sga.h"

enum { NL, CR, CW, PR, PW, EX };

#define SEC		1000000000ull
#define DEAD_PID	0x7ffffff0	/* a pid the tests' dead() calls dead */
#define SESSION		7u

/* the matrix, written out independently of fastlock.c */
static const int matrix[6][6] = {
	/*         NL CR CW PR PW EX */
	/* NL */ { 1, 1, 1, 1, 1, 1 },
	/* CR */ { 1, 1, 1, 1, 1, 0 },
	/* CW */ { 1, 1, 1, 0, 0, 0 },
	/* PR */ { 1, 1, 0, 1, 0, 0 },
	/* PW */ { 1, 1, 0, 0, 0, 0 },
	/* EX */ { 1, 0, 0, 0, 0, 0 },
};

static struct fl_area *fa;
static uint32_t inst_state, cl_state;
static struct fl_ctx ctx;

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static int setup(void **state)
{
	(void)state;
	fa = mmap(NULL, sizeof(*fa), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fa == MAP_FAILED)
		return -1;
	if (fl_init(fa, 0x0100000000000000ull, 500000000ull, true))
		return -1;
	fl_stamp(fa, mono());
	inst_state = INST_OPEN;
	cl_state = CGS_STABLE;
	ctx = (struct fl_ctx){ .fc_a = fa, .fc_inst_state = &inst_state,
			       .fc_cl_state = &cl_state };
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap(fa, sizeof(*fa));
	fa = NULL;
	return 0;
}

static int delegate(const char *name)
{
	int idx = fl_delegate(fa, name, strlen(name), mono());

	assert_int_equal(idx, (int)fl_slot_of(name, strlen(name)));
	return idx;
}

static int lock_full(const char *name, int mode, int32_t pid, bool noqueue, uint64_t deadline,
		     struct fl_where *w, uint8_t lvb[FL_LVB_LEN], bool *dub)
{
	struct fl_req rq = {
		.fr_name = name, .fr_namelen = strlen(name), .fr_mode = mode,
		.fr_noqueue = noqueue, .fr_deadline_ns = deadline, .fr_session = SESSION,
		.fr_pid = pid,
	};

	return fl_lock(&ctx, &rq, w, lvb, dub);
}

static struct fl_where take_as(const char *name, int mode, int32_t pid, int expect)
{
	struct fl_where w = { 0 };
	uint8_t lvb[FL_LVB_LEN];
	bool dub;

	assert_int_equal(lock_full(name, mode, pid, false, 0, &w, lvb, &dub), expect);
	return w;
}

static struct fl_where take(const char *name, int mode, int expect)
{
	return take_as(name, mode, getpid(), expect);
}

/* one look at a queued lock, without sleeping: until is already past */
static int look(const struct fl_where *w, uint8_t lvb[FL_LVB_LEN], bool *dub)
{
	return fl_wait(&ctx, w, mono(), lvb, dub);
}

static int look_(const struct fl_where *w)
{
	uint8_t lvb[FL_LVB_LEN];
	bool dub;

	return look(w, lvb, &dub);
}

static struct fl_slot snap(int idx)
{
	struct fl_slot s;

	assert_true(fl_snapshot(fa, idx, &s));
	return s;
}

static int nwaiting(int idx)
{
	struct fl_slot s;
	int n = 0;

	if (!fl_snapshot(fa, idx, &s))
		return -1;
	for (int k = 0; k < FL_ENTRIES; k++)
		n += FE_STATE(s.fs_e[k].fe_word) == FE_WAITING;
	return n;
}

/* poll (bounded) until slot idx has n waiters */
static bool await_waiters(int idx, int n)
{
	uint64_t end = mono() + 5 * SEC;

	while (mono() < end) {
		if (nwaiting(idx) == n)
			return true;
		sched_yield();
	}
	return false;
}

static int reap(pid_t child)
{
	int st;

	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void fill(uint8_t lvb[FL_LVB_LEN], uint8_t v)
{
	memset(lvb, v, FL_LVB_LEN);
}

static bool dead(int32_t pid, void *arg)
{
	(void)arg;
	return pid == DEAD_PID;
}

static void test_undelegated_passes_delegated_is_served(void **state)
{
	struct fl_where w[5];
	int idx;

	(void)state;
	take("R", EX, FL_PASS);
	assert_int_equal(fl_find(fa, "R", 1), -1);
	idx = delegate("R");
	assert_int_equal(delegate("R"), idx);	/* again: the same slot, nothing lost */
	assert_int_equal(fl_find(fa, "R", 1), idx);
	assert_int_equal(fl_find(fa, "S", 1), -1);

	for (int i = 0; i < 5; i++) {
		w[i] = take("R", NL, FL_GRANTED);
		assert_int_equal(w[i].fw_slot, idx);
		assert_true(w[i].fw_lkid & FL_ID_BIT);
		assert_int_equal(fl_find_lkid(fa, w[i].fw_lkid), idx);
		for (int j = 0; j < i; j++)
			assert_true(w[i].fw_lkid != w[j].fw_lkid);
	}
	assert_true(fl_session_busy(fa, SESSION));
	assert_false(fl_session_busy(fa, SESSION + 1));
	/* ids not of the cache, or of another id space, are not looked for */
	assert_int_equal(fl_find_lkid(fa, w[0].fw_lkid & ~FL_ID_BIT), -1);
	assert_int_equal(fl_find_lkid(fa, w[0].fw_lkid ^ (1ull << 60)), -1);
	assert_int_equal(fl_find_lkid(fa, 0), -1);

	for (int i = 0; i < 5; i++)
		assert_int_equal(fl_unlock(&ctx, &w[i], NULL), 0);
	assert_false(fl_session_busy(fa, SESSION));
	assert_int_equal(fl_find_lkid(fa, w[0].fw_lkid), -1);
	assert_int_equal(snap(idx).fs_nused, 0);
	/* unused, it is still delegated */
	assert_int_equal(fl_find(fa, "R", 1), idx);
}

static void test_bad_requests_and_a_full_slot_pass_to_lms(void **state)
{
	struct fl_where w[FL_ENTRIES];

	(void)state;
	delegate("R");
	take("R", 6, FL_PASS_REVOKE);
	take("R", -1, FL_PASS_REVOKE);
	assert_int_equal(lock_full("", NL, 1, false, 0, &w[0], NULL, NULL), FL_PASS_REVOKE);
	for (int i = 0; i < FL_ENTRIES; i++)
		w[i] = take("R", NL, FL_GRANTED);
	take("R", NL, FL_PASS_REVOKE);
	for (int i = 0; i < FL_ENTRIES; i++)
		assert_int_equal(fl_unlock(&ctx, &w[i], NULL), 0);
}

static void test_compat_matrix_and_noqueue(void **state)
{
	int idx;

	(void)state;
	idx = delegate("R");
	for (int a = 0; a < 6; a++) {
		for (int b = 0; b < 6; b++) {
			struct fl_where h = take("R", a, FL_GRANTED), w;
			uint8_t lvb[FL_LVB_LEN];
			bool dub;
			int rc = lock_full("R", b, getpid(), true, 0, &w, lvb, &dub);

			assert_int_equal(rc, matrix[a][b] ? FL_GRANTED : FL_BUSY);
			/* BUSY takes no entry */
			assert_int_equal(snap(idx).fs_nused, matrix[a][b] ? 2 : 1);
			if (rc == FL_GRANTED)
				assert_int_equal(fl_unlock(&ctx, &w, NULL), 0);
			assert_int_equal(fl_unlock(&ctx, &h, NULL), 0);
		}
	}
	assert_int_equal(snap(idx).fs_nused, 0);
}

static void test_shared_modes_granted_together_ex_queues(void **state)
{
	struct fl_where p1, p2, x, cr, pw;
	int idx;

	(void)state;
	idx = delegate("R");
	p1 = take("R", PR, FL_GRANTED);
	p2 = take("R", PR, FL_GRANTED);
	x = take("R", EX, FL_QUEUED);
	assert_int_equal(nwaiting(idx), 1);
	assert_int_equal(look_(&x), FL_STILL);
	/* a NOQUEUE request behind a waiter is busy even when compatible */
	{
		struct fl_where w;
		uint8_t lvb[FL_LVB_LEN];
		bool dub;

		assert_int_equal(lock_full("R", NL, getpid(), true, 0, &w, lvb, &dub), FL_BUSY);
		assert_int_equal(snap(idx).fs_nused, 3);
	}
	assert_int_equal(fl_unlock(&ctx, &p1, NULL), 0);
	assert_int_equal(look_(&x), FL_STILL);
	assert_int_equal(fl_unlock(&ctx, &p2, NULL), 0);
	assert_int_equal(look_(&x), FL_GRANTED);
	assert_int_equal(fl_unlock(&ctx, &x, NULL), 0);

	/* CR and PW are compatible */
	pw = take("R", PW, FL_GRANTED);
	cr = take("R", CR, FL_GRANTED);
	take("R", PW, FL_QUEUED);	/* PW and PW are not */
	assert_int_equal(fl_unlock(&ctx, &pw, NULL), 0);
	assert_int_equal(fl_unlock(&ctx, &cr, NULL), 0);
}

static void test_fifo_grants_the_head_first(void **state)
{
	struct fl_where h, a, b, c;
	uint8_t lvb[FL_LVB_LEN];
	bool dub;
	int idx;

	(void)state;
	idx = delegate("R");
	h = take("R", EX, FL_GRANTED);
	a = take("R", EX, FL_QUEUED);
	b = take("R", PR, FL_QUEUED);
	c = take("R", PR, FL_QUEUED);
	assert_int_equal(nwaiting(idx), 3);

	assert_int_equal(fl_unlock(&ctx, &h, NULL), 0);
	assert_int_equal(look(&a, lvb, &dub), FL_GRANTED);
	assert_int_equal(look(&b, lvb, &dub), FL_STILL);
	assert_int_equal(fl_wait(&ctx, &c, mono() + 1000000, lvb, &dub), FL_STILL);
	/* a newcomer compatible with the holder still queues behind the waiters */
	{
		struct fl_where d = take("R", NL, FL_QUEUED);

		assert_int_equal(fl_unlock(&ctx, &a, NULL), 0);
		assert_int_equal(look(&b, lvb, &dub), FL_GRANTED);
		assert_int_equal(look(&c, lvb, &dub), FL_GRANTED);
		assert_int_equal(look(&d, lvb, &dub), FL_GRANTED);
		assert_int_equal(fl_unlock(&ctx, &d, NULL), 0);
	}
	assert_int_equal(nwaiting(idx), 0);
	/* unlocking a lock twice: it is not there any more */
	assert_int_equal(fl_unlock(&ctx, &b, NULL), 0);
	assert_int_equal(fl_unlock(&ctx, &b, NULL), FL_MOVED);
	assert_int_equal(fl_unlock(&ctx, &c, NULL), 0);
	assert_int_equal(snap(idx).fs_nused, 0);
}

static void test_value_block_written_from_pw_ex_handed_on_zeroed_at_last(void **state)
{
	struct fl_where nl, x, p, q;
	uint8_t lvb[FL_LVB_LEN], zero[FL_LVB_LEN] = { 0 };
	uint8_t l1[FL_LVB_LEN], l2[FL_LVB_LEN], l3[FL_LVB_LEN];
	bool dub = true;
	int idx;

	(void)state;
	fill(l1, 0x11);
	fill(l2, 0x22);
	fill(l3, 0x33);
	idx = delegate("R");
	/* an NL holder keeps the resource (and its value block) alive */
	nl = take("R", NL, FL_GRANTED);

	/* EX writes */
	assert_int_equal(lock_full("R", EX, getpid(), false, 0, &x, lvb, &dub), FL_GRANTED);
	assert_memory_equal(lvb, zero, FL_LVB_LEN);
	assert_false(dub);
	assert_int_equal(fl_unlock(&ctx, &x, l1), 0);
	assert_int_equal(lock_full("R", PR, getpid(), false, 0, &p, lvb, &dub), FL_GRANTED);
	assert_memory_equal(lvb, l1, FL_LVB_LEN);
	assert_int_equal(fl_lvb_read(&ctx, &p, lvb, &dub), 0);
	assert_memory_equal(lvb, l1, FL_LVB_LEN);

	/* PR does not */
	assert_int_equal(fl_unlock(&ctx, &p, l2), 0);
	assert_int_equal(lock_full("R", PW, getpid(), false, 0, &p, lvb, &dub), FL_GRANTED);
	assert_memory_equal(lvb, l1, FL_LVB_LEN);

	/* PW does, and the waiter granted then gets it through fl_wait */
	q = take("R", PR, FL_QUEUED);
	assert_int_equal(fl_unlock(&ctx, &p, l2), 0);
	fill(lvb, 0);
	assert_int_equal(look(&q, lvb, &dub), FL_GRANTED);
	assert_memory_equal(lvb, l2, FL_LVB_LEN);
	assert_false(dub);

	/* EX released without one leaves it as it is */
	assert_int_equal(fl_unlock(&ctx, &q, NULL), 0);
	assert_int_equal(lock_full("R", EX, getpid(), false, 0, &x, lvb, &dub), FL_GRANTED);
	assert_int_equal(fl_unlock(&ctx, &x, NULL), 0);
	assert_int_equal(fl_lvb_read(&ctx, &nl, lvb, &dub), 0);
	assert_memory_equal(lvb, l2, FL_LVB_LEN);

	/* the last lock gone, the value block goes with the resource */
	assert_int_equal(lock_full("R", EX, getpid(), false, 0, &x, lvb, &dub), FL_GRANTED);
	assert_int_equal(fl_unlock(&ctx, &nl, NULL), 0);
	assert_int_equal(fl_unlock(&ctx, &x, l3), 0);
	assert_memory_equal(snap(idx).fs_lvb, zero, FL_LVB_LEN);
	fill(lvb, 0xff);
	assert_int_equal(lock_full("R", PR, getpid(), false, 0, &p, lvb, &dub), FL_GRANTED);
	assert_memory_equal(lvb, zero, FL_LVB_LEN);
	assert_int_equal(fl_unlock(&ctx, &p, NULL), 0);
}

static void test_gate_shut_passes_releases_but_grants_nothing(void **state)
{
	struct fl_where h, w;
	uint8_t lvb[FL_LVB_LEN];
	bool dub;
	int idx;

	(void)state;
	idx = delegate("R");
	assert_true(fl_gate(&ctx, mono()));
	h = take("R", EX, FL_GRANTED);
	w = take("R", EX, FL_QUEUED);

	/* a reconfiguration: new requests go to LMS */
	cl_state = CGS_RECONFIG;
	assert_false(fl_gate(&ctx, mono()));
	take("R", NL, FL_PASS_REVOKE);
	/* a name not here is still simply not here */
	take("S", NL, FL_PASS);
	/* release works, but the waiter is not granted */
	assert_int_equal(fl_unlock(&ctx, &h, NULL), 0);
	assert_int_equal(look(&w, lvb, &dub), FL_STILL);
	assert_int_equal(nwaiting(idx), 1);

	/* the instance not open shuts it too */
	cl_state = CGS_STABLE;
	inst_state = INST_TERMINATING;
	assert_false(fl_gate(&ctx, mono()));
	take("R", NL, FL_PASS_REVOKE);
	assert_int_equal(look(&w, lvb, &dub), FL_STILL);
	inst_state = INST_OPEN;

	/* a stale lease shuts it */
	fl_stamp(fa, mono() - 2 * FL_LEASE_NS);
	assert_false(fl_gate(&ctx, mono()));
	take("R", NL, FL_PASS_REVOKE);
	assert_int_equal(look(&w, lvb, &dub), FL_STILL);

	/* LMS stamps again: the waiter out of time is granted by its own look */
	fl_stamp(fa, mono());
	assert_true(fl_gate(&ctx, mono()));
	assert_int_equal(look(&w, lvb, &dub), FL_GRANTED);
	assert_int_equal(nwaiting(idx), 0);
	assert_int_equal(fl_unlock(&ctx, &w, NULL), 0);

	/* a disabled cache serves nothing */
	fa->fa_enabled = 0;
	assert_false(fl_gate(&ctx, mono()));
	take("R", NL, FL_PASS_REVOKE);
}

/*
 * LMS may stamp between a client's clock reading and its look at the
 * stamp: a stamp a little ahead of the caller's `now` is fresh.
 */
static void test_gate_open_with_stamp_newer_than_now(void **state)
{
	struct fl_where h, w;
	uint64_t t = mono();

	(void)state;
	fl_stamp(fa, t);
	assert_true(fl_gate(&ctx, t - 1));
	assert_true(fl_gate(&ctx, t + FL_LEASE_NS));
	assert_false(fl_gate(&ctx, t + FL_LEASE_NS + 1));
	/* an unlock that reads its clock before the stamp still grants */
	delegate("R");
	h = take("R", EX, FL_GRANTED);
	w = take("R", EX, FL_QUEUED);
	fl_stamp(fa, mono() + 50000000ull);
	assert_int_equal(fl_unlock(&ctx, &h, NULL), 0);
	assert_int_equal(fl_wait(&ctx, &w, mono() + SEC, (uint8_t[FL_LVB_LEN]){ 0 },
				 &(bool){ false }), FL_GRANTED);
	assert_int_equal(fl_unlock(&ctx, &w, NULL), 0);
}

/*
 * In a forked child: queue a request for "R" in `mode` behind the parent's
 * lock and wait for it up to `secs`; the wait's outcome (the child exits
 * 10 + the outcome if the request was not queued).
 */
static int child_queue_and_wait(int mode, int secs, struct fl_where *w,
				uint8_t lvb[FL_LVB_LEN], bool *dub)
{
	int rc = lock_full("R", mode, getpid(), false, 0, w, lvb, dub);

	if (rc != FL_QUEUED)
		_exit(10 + rc);
	return fl_wait(&ctx, w, mono() + (uint64_t)secs * SEC, lvb, dub);
}

static void test_hand_over_to_another_process(void **state)
{
	struct fl_where h;
	uint8_t l1[FL_LVB_LEN];
	pid_t child;
	int idx;

	(void)state;
	fill(l1, 0x5a);
	idx = delegate("R");
	h = take("R", EX, FL_GRANTED);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct fl_where w;
		uint8_t lvb[FL_LVB_LEN];
		bool dub;
		int rc = child_queue_and_wait(EX, 5, &w, lvb, &dub);

		if (rc != FL_GRANTED)
			_exit(20 + rc);
		if (memcmp(lvb, l1, FL_LVB_LEN) || dub)
			_exit(30);
		_exit(fl_unlock(&ctx, &w, NULL) ? 31 : 0);
	}
	/* the child is queued (and, very likely, asleep on its word) */
	assert_true(await_waiters(idx, 1));
	assert_int_equal(fl_unlock(&ctx, &h, l1), 0);
	assert_int_equal(reap(child), 0);
	assert_int_equal(snap(idx).fs_nused, 0);
}

static void test_revoke_wakes_a_sleeping_waiter(void **state)
{
	struct fl_xres x;
	struct fl_where h;
	pid_t child;
	uint64_t t0;
	int idx;

	(void)state;
	idx = delegate("R");
	h = take("R", EX, FL_GRANTED);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct fl_where w;
		uint8_t lvb[FL_LVB_LEN];
		bool dub;
		int rc = child_queue_and_wait(PR, 10, &w, lvb, &dub);

		_exit(rc == FL_MOVED ? 0 : 20 + rc);
	}
	assert_true(await_waiters(idx, 1));
	t0 = mono();
	assert_int_equal(fl_revoke(fa, idx, &x), 1);
	assert_int_equal(x.xr_nlocks, 2);
	assert_int_equal(reap(child), 0);
	assert_true(mono() - t0 < 5 * SEC);
	assert_int_equal(fl_unlock(&ctx, &h, NULL), FL_MOVED);
}

/* An entry a client scribbled over (a mode no one can ask for) never reaches the GRD. */
static void test_revoke_and_snapshot_drop_scribbled_entries(void **state)
{
	struct fl_xres x;
	struct fl_where h, p;
	static struct fl_slot copy;
	int idx, shown = 0;

	(void)state;
	idx = delegate("S");
	h = take("S", PR, FL_GRANTED);
	p = take("S", PR, FL_GRANTED);
	fa->fa_slot[idx].fs_e[p.fw_entry].fe_mode = 42;
	assert_true(fl_snapshot(fa, idx, &copy));
	for (int k = 0; k < FL_ENTRIES; k++)
		shown += FE_STATE(copy.fs_e[k].fe_word) != FE_FREE;
	assert_int_equal(shown, 1);
	assert_int_equal(fl_revoke(fa, idx, &x), 1);
	assert_int_equal(x.xr_nlocks, 1);
	assert_int_equal(x.xr_bad, 1);
	assert_int_equal(x.xr_locks[0].xl_lkid, h.fw_lkid);
	assert_int_equal(x.xr_namelen, 1);
}

static void test_cancel_lets_the_next_waiter_in(void **state)
{
	struct fl_where h, x, p;
	uint8_t l1[FL_LVB_LEN], lvb[FL_LVB_LEN];
	bool dub = true;
	int idx;

	(void)state;
	fill(l1, 0x42);
	idx = delegate("R");
	h = take("R", PW, FL_GRANTED);
	assert_int_equal(fl_unlock(&ctx, &h, NULL), 0);
	h = take("R", PR, FL_GRANTED);
	x = take("R", EX, FL_QUEUED);
	p = take("R", PR, FL_QUEUED);

	/* the head gives up: the PR behind it is compatible with the holder */
	assert_int_equal(fl_cancel(&ctx, &x, lvb, &dub), FL_CANCELLED);
	assert_int_equal(look_(&x), FL_MOVED);
	assert_int_equal(fl_unlock(&ctx, &x, NULL), FL_MOVED);
	assert_int_equal(nwaiting(idx), 0);
	/* cancelling a lock granted meanwhile: it is held, with its value block */
	assert_int_equal(fl_cancel(&ctx, &p, lvb, &dub), FL_GRANTED);
	assert_false(dub);
	assert_int_equal(look_(&p), FL_GRANTED);
	assert_int_equal(fl_unlock(&ctx, &p, NULL), 0);
	assert_int_equal(fl_cancel(&ctx, &p, lvb, &dub), FL_MOVED);

	/* cancelling the last waiter behind an EX changes nothing else */
	assert_int_equal(fl_unlock(&ctx, &h, NULL), 0);
	h = take("R", EX, FL_GRANTED);
	x = take("R", PR, FL_QUEUED);
	assert_int_equal(fl_cancel(&ctx, &x, lvb, &dub), FL_CANCELLED);
	assert_int_equal(snap(idx).fs_nused, 1);
	assert_int_equal(fl_unlock(&ctx, &h, l1), 0);
	assert_int_equal(snap(idx).fs_nused, 0);
}

/*
 * A lock granted at once reports, like one granted after a wait, the value
 * block it was granted with -- not what its entry held for an earlier lock.
 */
static void test_cancel_of_a_lock_granted_at_once_reports_its_value_block(void **state)
{
	struct fl_where nl, x, p, c;
	uint8_t l1[FL_LVB_LEN], l2[FL_LVB_LEN], lvb[FL_LVB_LEN];
	bool dub;
	int idx;

	(void)state;
	fill(l1, 0x61);
	fill(l2, 0x62);
	idx = delegate("R");
	nl = take("R", NL, FL_GRANTED);		/* entry 0 */
	x = take("R", EX, FL_GRANTED);		/* entry 1 */
	p = take("R", PR, FL_QUEUED);		/* entry 2 */
	assert_int_equal(fl_unlock(&ctx, &x, l1), 0);
	assert_int_equal(look(&p, lvb, &dub), FL_GRANTED);
	assert_memory_equal(lvb, l1, FL_LVB_LEN);
	assert_int_equal(fl_unlock(&ctx, &p, NULL), 0);
	/* entry 2 now holds l1 from that grant; a PW writes l2 from there */
	c = take("R", CR, FL_GRANTED);		/* entry 1 */
	x = take("R", PW, FL_GRANTED);		/* entry 2 */
	assert_int_equal(x.fw_entry, 2);
	assert_int_equal(fl_unlock(&ctx, &x, l2), 0);
	assert_int_equal(lock_full("R", PR, getpid(), false, 0, &p, lvb, &dub), FL_GRANTED);
	assert_int_equal(p.fw_entry, 2);
	assert_memory_equal(lvb, l2, FL_LVB_LEN);
	fill(lvb, 0);
	assert_int_equal(fl_cancel(&ctx, &p, lvb, &dub), FL_GRANTED);
	assert_memory_equal(lvb, l2, FL_LVB_LEN);
	assert_memory_equal(snap(idx).fs_e[p.fw_entry].fe_lvb, l2, FL_LVB_LEN);
	assert_int_equal(fl_unlock(&ctx, &p, NULL), 0);
	assert_int_equal(fl_unlock(&ctx, &c, NULL), 0);
	assert_int_equal(fl_unlock(&ctx, &nl, NULL), 0);
}

static void test_revoke_exports_granted_then_waiting_in_order(void **state)
{
	struct fl_where h, p1, p2, p3, q1, q2, q3, q4, d;
	struct fl_xres x;
	struct fl_drop dr;
	uint8_t l1[FL_LVB_LEN], lvb[FL_LVB_LEN];
	bool dub;
	int idx;

	(void)state;
	fill(l1, 0x77);
	idx = delegate("RES");
	h = take("RES", NL, FL_GRANTED);			/* entry 0 */
	d = take("RES", EX, FL_GRANTED);			/* entry 1 */
	assert_int_equal(fl_unlock(&ctx, &d, l1), 0);
	d = take_as("RES", EX, DEAD_PID, FL_GRANTED);		/* entry 1 */
	fl_drop_dead(fa, dead, NULL, &dr);			/* dubious now */
	assert_int_equal(dr.fd_dubious, 1);

	/* granted: index order differs from ticket order */
	p1 = take("RES", PR, FL_GRANTED);			/* entry 1 */
	p2 = take("RES", PR, FL_GRANTED);			/* entry 2 */
	assert_int_equal(fl_unlock(&ctx, &p1, NULL), 0);
	p3 = take("RES", CR, FL_GRANTED);			/* entry 1 */
	/* waiting: likewise */
	{
		struct fl_req rq = { .fr_name = "RES", .fr_namelen = 3, .fr_mode = EX,
				     .fr_deadline_ns = 12345, .fr_session = 99, .fr_pid = 4242 };

		assert_int_equal(fl_lock(&ctx, &rq, &q1, lvb, &dub), FL_QUEUED);	/* entry 3 */
	}
	q2 = take("RES", PR, FL_QUEUED);			/* entry 4 */
	q3 = take("RES", PR, FL_QUEUED);			/* entry 5 */
	assert_int_equal(fl_cancel(&ctx, &q2, lvb, &dub), FL_CANCELLED);
	q4 = take("RES", CW, FL_QUEUED);			/* entry 4 */
	assert_int_equal(p3.fw_entry, 1);
	assert_int_equal(q4.fw_entry, 4);

	assert_int_equal(fl_revoke(fa, idx, &x), 1);
	assert_int_equal(x.xr_namelen, 3);
	assert_memory_equal(x.xr_name, "RES", 3);
	assert_memory_equal(x.xr_lvb, l1, FL_LVB_LEN);
	assert_true(x.xr_dubious);
	assert_int_equal(x.xr_nlocks, 6);
	{
		const struct fl_where *want[6] = { &h, &p2, &p3, &q1, &q3, &q4 };
		const int modes[6] = { NL, PR, CR, EX, PR, CW };

		for (int k = 0; k < 6; k++) {
			assert_int_equal(x.xr_locks[k].xl_lkid, want[k]->fw_lkid);
			assert_int_equal(x.xr_locks[k].xl_mode, modes[k]);
			assert_int_equal(x.xr_locks[k].xl_granted, k < 3);
		}
	}
	assert_int_equal(x.xr_locks[3].xl_deadline_ns, 12345);
	assert_int_equal(x.xr_locks[3].xl_session, 99);
	assert_int_equal(x.xr_locks[3].xl_pid, 4242);
	assert_int_equal(x.xr_locks[0].xl_session, SESSION);
	assert_int_equal(x.xr_locks[0].xl_pid, getpid());

	/* the slot is free; every lock has moved */
	assert_int_equal(fl_find(fa, "RES", 3), -1);
	take("RES", NL, FL_PASS);
	assert_int_equal(look_(&q1), FL_MOVED);
	assert_int_equal(fl_wait(&ctx, &q3, mono() + SEC, lvb, &dub), FL_MOVED);
	assert_int_equal(fl_cancel(&ctx, &q4, lvb, &dub), FL_MOVED);
	assert_int_equal(fl_unlock(&ctx, &p2, NULL), FL_MOVED);
	assert_int_equal(fl_lvb_read(&ctx, &h, lvb, &dub), FL_MOVED);
	assert_int_equal(fl_find_lkid(fa, h.fw_lkid), -1);
	assert_false(fl_session_busy(fa, SESSION));
	/* twice: nothing there */
	assert_int_equal(fl_revoke(fa, idx, &x), 0);
	assert_int_equal(x.xr_nlocks, 0);
	assert_int_equal(fl_revoke(fa, -1, &x), 0);

	/* delegated again, it starts clean, and old locks stay moved */
	assert_int_equal(delegate("RES"), idx);
	d = take("RES", EX, FL_GRANTED);
	assert_int_equal(fl_lvb_read(&ctx, &d, lvb, &dub), 0);
	assert_false(dub);
	assert_int_equal(fl_unlock(&ctx, &h, NULL), FL_MOVED);
	assert_int_equal(fl_unlock(&ctx, &d, NULL), 0);
}

static void test_drop_dead_marks_dubious_and_grants_behind(void **state)
{
	struct fl_where n, h, a, z, b, x;
	struct fl_drop dr;
	uint8_t l1[FL_LVB_LEN], lvb[FL_LVB_LEN];
	bool dub;
	int idx;

	(void)state;
	fill(l1, 0x3c);
	idx = delegate("R");
	n = take_as("R", NL, DEAD_PID, FL_GRANTED);
	x = take("R", EX, FL_GRANTED);
	assert_int_equal(fl_unlock(&ctx, &x, l1), 0);
	h = take_as("R", EX, DEAD_PID, FL_GRANTED);
	a = take("R", PR, FL_QUEUED);
	z = take_as("R", EX, DEAD_PID, FL_QUEUED);
	b = take("R", PR, FL_QUEUED);

	fl_drop_dead(fa, dead, NULL, &dr);
	assert_int_equal(dr.fd_held, 2);
	assert_int_equal(dr.fd_waiting, 1);
	assert_int_equal(dr.fd_dubious, 1);
	assert_int_equal(fl_unlock(&ctx, &n, NULL), FL_MOVED);
	assert_int_equal(fl_unlock(&ctx, &h, NULL), FL_MOVED);
	assert_int_equal(look_(&z), FL_MOVED);

	/* both readers are granted, told the value block is dubious */
	dub = false;
	assert_int_equal(look(&a, lvb, &dub), FL_GRANTED);
	assert_true(dub);
	assert_memory_equal(lvb, l1, FL_LVB_LEN);
	dub = false;
	assert_int_equal(look(&b, lvb, &dub), FL_GRANTED);
	assert_true(dub);
	dub = false;
	assert_int_equal(fl_lvb_read(&ctx, &a, lvb, &dub), 0);
	assert_true(dub);
	/* again: nobody left to drop */
	fl_drop_dead(fa, dead, NULL, &dr);
	assert_int_equal(dr.fd_held + dr.fd_waiting + dr.fd_dubious, 0);

	/* unused and dubious: its value block is kept, for LMS to take back */
	assert_int_equal(fl_unlock(&ctx, &a, NULL), 0);
	assert_int_equal(fl_unlock(&ctx, &b, NULL), 0);
	assert_true(snap(idx).fs_dubious);
	assert_memory_equal(snap(idx).fs_lvb, l1, FL_LVB_LEN);
	assert_int_equal(fl_sweep(fa, snap(idx).fs_idle_ns + FL_IDLE_NS, 0), idx);
	assert_int_equal(fl_find(fa, "R", 1), idx);

	/* a writer clears it */
	assert_int_equal(lock_full("R", EX, getpid(), false, 0, &x, lvb, &dub), FL_GRANTED);
	assert_true(dub);
	assert_int_equal(fl_unlock(&ctx, &x, l1), 0);
	assert_false(snap(idx).fs_dubious);
	/* a dead reader leaves it clean */
	take_as("R", PR, DEAD_PID, FL_GRANTED);
	fl_drop_dead(fa, dead, NULL, &dr);
	assert_int_equal(dr.fd_held, 1);
	assert_int_equal(dr.fd_dubious, 0);
	assert_false(snap(idx).fs_dubious);
}

static void test_latch_of_a_dead_holder_is_recovered(void **state)
{
	struct fl_where h, w;
	pid_t child;
	int idx;

	(void)state;
	idx = delegate("R");
	h = take("R", EX, FL_GRANTED);
	w = take("R", EX, FL_QUEUED);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (pthread_mutex_lock(&fa->fa_slot[idx].fs_latch))
			_exit(1);
		_exit(0);	/* dies holding it */
	}
	assert_int_equal(reap(child), 0);

	/* the next operation on the slot goes through, and the one after */
	assert_int_equal(fl_unlock(&ctx, &h, NULL), 0);
	assert_int_equal(look_(&w), FL_GRANTED);
	take("R", PR, FL_QUEUED);
	assert_int_equal(fl_find(fa, "R", 1), idx);
	/* the latch is consistent again, not merely taken over */
	assert_int_equal(pthread_mutex_trylock(&fa->fa_slot[idx].fs_latch), 0);
	assert_int_equal(pthread_mutex_unlock(&fa->fa_slot[idx].fs_latch), 0);
}

/*
 * A holder that dies inside fl_lock after counting its entry but before
 * writing the entry's word leaves the count one too high; the next holder
 * of the latch must not inherit it (the slot would never be unused again).
 */
static void test_death_mid_lock_leaks_no_entry(void **state)
{
	struct fl_where h;
	pid_t child;
	int idx;

	(void)state;
	idx = delegate("R");
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (pthread_mutex_lock(&fa->fa_slot[idx].fs_latch))
			_exit(1);
		fa->fa_slot[idx].fs_nused++;	/* counted, entry not written */
		_exit(0);
	}
	assert_int_equal(reap(child), 0);
	h = take("R", EX, FL_GRANTED);
	assert_int_equal(snap(idx).fs_nused, 1);
	assert_int_equal(fl_unlock(&ctx, &h, NULL), 0);
	assert_int_equal(snap(idx).fs_nused, 0);
	assert_int_equal(fl_sweep(fa, snap(idx).fs_idle_ns + FL_IDLE_NS, 0), -1);
	assert_int_equal(fl_find(fa, "R", 1), -1);
}

static void test_sweep_frees_idle_slots_and_returns_impatient_ones(void **state)
{
	struct fl_where h, w;
	uint64_t t, since;
	int idx, idx2;

	(void)state;
	t = mono();
	idx = fl_delegate(fa, "R", 1, t);
	assert_true(idx >= 0);
	assert_int_equal(fl_sweep(fa, t + FL_IDLE_NS - 1, 0), -1);
	assert_int_equal(fl_find(fa, "R", 1), idx);
	assert_int_equal(fl_sweep(fa, t + FL_IDLE_NS, 0), -1);
	assert_int_equal(fa->fa_slot[idx].fs_state, FS_FREE);
	assert_int_equal(fl_find(fa, "R", 1), -1);
	take("R", NL, FL_PASS);

	/* in use, however long, it stays */
	idx2 = delegate("SS");
	h = take("SS", EX, FL_GRANTED);
	assert_int_equal(fl_sweep(fa, mono() + 10 * FL_IDLE_NS, 0), -1);
	assert_int_equal(fl_find(fa, "SS", 2), idx2);

	/* a waiter out of patience sends the slot back to LMS */
	w = take("SS", EX, FL_QUEUED);
	since = snap(idx2).fs_e[w.fw_entry].fe_since_ns;
	assert_true(since != 0);
	assert_int_equal(fl_sweep(fa, since + FL_PATIENCE_NS - 1, 0), -1);
	assert_int_equal(fl_sweep(fa, since + FL_PATIENCE_NS, 0), idx2);
	assert_int_equal(fl_sweep(fa, since + FL_PATIENCE_NS, idx2 + 1), -1);
	/* it is LMS that takes it back: the sweep leaves it as it is */
	assert_int_equal(fl_find(fa, "SS", 2), idx2);
	assert_int_equal(nwaiting(idx2), 1);
	/* granted, it no longer counts */
	assert_int_equal(fl_unlock(&ctx, &h, NULL), 0);
	assert_int_equal(look_(&w), FL_GRANTED);
	assert_int_equal(fl_sweep(fa, since + FL_PATIENCE_NS, 0), -1);
	assert_int_equal(fl_unlock(&ctx, &w, NULL), 0);
}

/*
 * The sweep reads its clock once, then scans: a slot that became unused,
 * or a waiter that queued, after that reading is neither idle nor
 * impatient.
 */
static void test_sweep_ignores_times_after_its_now(void **state)
{
	struct fl_where h, w;
	uint64_t t, since;
	int idx;

	(void)state;
	t = mono();
	idx = fl_delegate(fa, "R", 1, t);
	assert_true(idx >= 0);
	assert_int_equal(fl_sweep(fa, t - 1, 0), -1);
	assert_int_equal(fl_find(fa, "R", 1), idx);

	h = take("R", EX, FL_GRANTED);
	w = take("R", EX, FL_QUEUED);
	since = snap(idx).fs_e[w.fw_entry].fe_since_ns;
	assert_int_equal(fl_sweep(fa, since - 1, 0), -1);
	assert_int_equal(fl_unlock(&ctx, &h, NULL), 0);
	assert_int_equal(look_(&w), FL_GRANTED);
	assert_int_equal(fl_unlock(&ctx, &w, NULL), 0);
	assert_int_equal(fl_sweep(fa, snap(idx).fs_idle_ns - 1, 0), -1);
	assert_int_equal(fl_find(fa, "R", 1), idx);
}

static void test_delegate_replaces_only_an_unused_slot(void **state)
{
	char n1[16], n2[16];
	struct fl_where h;
	struct fl_drop dr;
	int idx;

	(void)state;
	/* two names of one slot */
	snprintf(n1, sizeof(n1), "N0");
	for (unsigned i = 1;; i++) {
		assert_true(i < 1000000);
		snprintf(n2, sizeof(n2), "N%u", i);
		if (fl_slot_of(n2, strlen(n2)) == fl_slot_of(n1, strlen(n1)))
			break;
	}
	idx = delegate(n1);

	/* unused: replaced */
	assert_int_equal(delegate(n2), idx);
	assert_int_equal(fl_find(fa, n1, strlen(n1)), -1);
	assert_int_equal(fl_find(fa, n2, strlen(n2)), idx);
	take(n1, NL, FL_PASS);

	/* in use: kept */
	h = take(n2, PR, FL_GRANTED);
	assert_int_equal(fl_delegate(fa, n1, strlen(n1), mono()), -1);
	assert_int_equal(fl_find(fa, n2, strlen(n2)), idx);
	assert_int_equal(fl_unlock(&ctx, &h, NULL), 0);
	assert_int_equal(delegate(n1), idx);
	assert_int_equal(fl_find(fa, n2, strlen(n2)), -1);

	/* unused but dubious: kept too (its value block must reach the GRD) */
	take_as(n1, PW, DEAD_PID, FL_GRANTED);
	fl_drop_dead(fa, dead, NULL, &dr);
	assert_int_equal(dr.fd_dubious, 1);
	assert_int_equal(snap(idx).fs_nused, 0);
	assert_int_equal(fl_delegate(fa, n2, strlen(n2), mono()), -1);
	assert_int_equal(fl_find(fa, n1, strlen(n1)), idx);

	/* bad names */
	assert_int_equal(fl_delegate(fa, "", 0, mono()), -1);
	assert_int_equal(fl_delegate(fa, n1, FL_NAME_MAX + 1, mono()), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_undelegated_passes_delegated_is_served),
		T(test_bad_requests_and_a_full_slot_pass_to_lms),
		T(test_compat_matrix_and_noqueue),
		T(test_shared_modes_granted_together_ex_queues),
		T(test_fifo_grants_the_head_first),
		T(test_value_block_written_from_pw_ex_handed_on_zeroed_at_last),
		T(test_gate_shut_passes_releases_but_grants_nothing),
		T(test_gate_open_with_stamp_newer_than_now),
		T(test_hand_over_to_another_process),
		T(test_revoke_wakes_a_sleeping_waiter),
		T(test_revoke_and_snapshot_drop_scribbled_entries),
		T(test_cancel_lets_the_next_waiter_in),
		T(test_cancel_of_a_lock_granted_at_once_reports_its_value_block),
		T(test_revoke_exports_granted_then_waiting_in_order),
		T(test_drop_dead_marks_dubious_and_grants_behind),
		T(test_latch_of_a_dead_holder_is_recovered),
		T(test_death_mid_lock_leaks_no_entry),
		T(test_sweep_frees_idle_slots_and_returns_impatient_ones),
		T(test_sweep_ignores_times_after_its_now),
		T(test_delegate_replaces_only_an_unused_slot),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
