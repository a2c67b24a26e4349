/*
 * test_lmon.c - LMON's decisions without sockets: the content of our IMR
 * vote, the left-out check, the CSS rules judged from the SGA (a silent
 * peer is suspected, LMON's own stall is not held against the peers, our
 * own lease and write gate, a strict majority of the voting disks, a hung
 * voting disk) and a vote cast behind the gate.
 *
 * Links the real LMON files below cgs.c (state, css_net, css_disk, css,
 * imr, imr_vote) and librac; nothing is stubbed.  The SGA is a real one
 * (sga_create under a temporary directory), the voting disks and the
 * control file real files (ctl_format), each voting disk with its real I/O
 * worker; no socket is ever opened: the chores that would send or read are
 * scheduled past the end of the test.  A hung disk is a worker held inside
 * an op that waits on a condition variable, as a read on a lost SAN path
 * waits in the kernel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "aio.h"
#include "ctl_io.h"
#include "errors.h"
#include "lmon.h"

#include "unit_util.h"

#define B(i) (1ull << ((i) - 1))
#define MS 1000000ull

static struct rac_config cfg;	/* m_cfg: tests change timings and put them back */
static struct rac_config cfg0;
static char base[128];
static struct sga sga;
static struct member m;
static struct lmon l;

static int group_setup(void **state)
{
	char err[512];
	pid_t stale;

	(void)state;
	snprintf(base, sizeof(base), "/tmp/racrt-unit-lmon.%d", (int)getpid());
	if (config_default(base, &cfg, err, sizeof(err)) ||
	    sga_create(&cfg, 1, &sga, &stale) || ctl_format(&cfg, 1, err, sizeof(err)))
		return -1;
	cfg0 = cfg;
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[256];

	(void)state;
	sga_unlink(&sga);
	sga_detach(&sga);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) ? -1 : 0;
}

/* instance 1, peers 2..7, nothing heard yet; no chore due during the test */
static int setup(void **state)
{
	char err[256];

	(void)state;
	cfg = cfg0;
	memset(sga_cluster(&sga), 0, sizeof(struct sga_cluster));
	memset(sga_peer(&sga, 0), 0, sizeof(struct sga_peer) * (RAC_MAX_INST + 1));
	m = (struct member){ .m_role = RAC_ROLE_LMON, .m_inst = 1, .m_sga = sga, .m_cfg = &cfg,
			     .m_slot = sga_nm(&sga, RAC_ROLE_LMON) };
	timeouts_derive(&cfg, &m.m_to);
	l = (struct lmon){ .l_m = &m, .l_me = 1, .l_mybit = B(1), .l_configured = B(1) | B(2) | B(3),
			   .l_next_net_ns = UINT64_MAX, .l_next_disk_ns = UINT64_MAX };
	for (int i = 2; i <= 7; i++)
		l.l_peers[i].lp_inst = i;
	if (css_disk_init(&l, err, sizeof(err)))
		return -1;
	/* the control area's copies, calls inline */
	css_ctl_open(&l);
	return l.l_ctl.ca_n == 3 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	css_disk_fini(&l);
	css_ctl_fini(&l);
	return 0;
}

static uint64_t counter(enum sga_counter c)
{
	return sga_counters(&sga)[c];
}

/* instance i heard on the network `ago_ms` ago */
static void heard(int i, uint64_t ago_ms)
{
	struct sga_peer *p = sga_peer(&sga, i);

	sga_store(&p->pr_net_last_ns, rac_now_mono_ns() - ago_ms * MS);
	sga_store(&p->pr_net_state, (uint32_t)PEER_ALIVE);
}

/* instance i's disk heartbeat last moved `ago_ms` before our last read of the disks */
static void on_disk(int i, uint64_t ago_ms)
{
	struct sga_peer *p = sga_peer(&sga, i);

	l.l_disk_read_ns = rac_now_mono_ns();
	sga_store(&p->pr_disk_last_ns, l.l_disk_read_ns - ago_ms * MS);
	sga_store(&p->pr_disk_state, (uint32_t)PEER_ALIVE);
}

static void test_my_vote_names_who_we_can_work_with(void **state)
{
	uint64_t now = rac_now_mono_ns();

	(void)state;
	for (int i = 2; i <= 7; i++) {
		heard(i, 10);
		on_disk(i, 10);
		l.l_ckpt_moved_ns[i] = now;
	}
	/* 3's lease ran out; 4 was heard within misscount but not just now */
	on_disk(3, (uint64_t)cfg.cf_disktimeout_ms + 500);
	heard(4, 1000);
	/* 5 confirmed its death; 6's control-file heartbeat stalled */
	sga_store(&sga_peer(&sga, 5)->pr_disk_state, (uint32_t)PEER_DOWN);
	l.l_ckpt_moved_ns[6] = now - ((uint64_t)cfg.cf_ckpt_timeout_ms + 1000) * MS;
	/* 7 is fine but no candidate */
	assert_int_equal(imr_my_vote(&l, B(1) | B(2) | B(3) | B(4) | B(5) | B(6)), B(1) | B(2));
	/* we are always in our own vote; a CKPT never seen moving is not held against it */
	l.l_ckpt_moved_ns[7] = 0;
	assert_int_equal(imr_my_vote(&l, B(7)), B(1) | B(7));
	assert_int_equal(imr_my_vote(&l, 0), B(1));
}

static void test_my_vote_window(void **state)
{
	(void)state;
	/* heard within five heartbeats, at least 500 ms, at most misscount */
	heard(2, 400);
	on_disk(2, 10);
	assert_int_equal(imr_my_vote(&l, B(2)), B(1) | B(2));	/* 5 * 100 */
	cfg.cf_heartbeat_interval_ms = 20;			/* 5 * 20, raised to 500 */
	timeouts_derive(&cfg, &m.m_to);
	assert_int_equal(imr_my_vote(&l, B(2)), B(1) | B(2));
	heard(2, 600);
	assert_int_equal(imr_my_vote(&l, B(2)), B(1));
	cfg.cf_heartbeat_interval_ms = 150;			/* 750 */
	timeouts_derive(&cfg, &m.m_to);
	assert_int_equal(imr_my_vote(&l, B(2)), B(1) | B(2));
	cfg.cf_misscount_ms = 300;				/* but never past misscount */
	timeouts_derive(&cfg, &m.m_to);
	assert_int_equal(imr_my_vote(&l, B(2)), B(1));
	heard(2, 200);
	assert_int_equal(imr_my_vote(&l, B(2)), B(1) | B(2));
}

/* run imr_check_left_out in a child: its exit status, or -1 if it returned */
static int left_out_child(const struct ctl_membership *ms)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		imr_check_left_out(&l, ms);
		_exit(100);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st) == 100 ? -1 : WEXITSTATUS(st);
}

static void test_left_out_only_by_a_newer_membership(void **state)
{
	struct sga_cluster *cl = sga_cluster(&sga);
	struct ctl_membership ms = { .ms_bitmap = B(2), .ms_valid = 1, .ms_incarnation = 5 };
	uint64_t left_out = counter(CNT_IMR_LEFT_OUT);

	(void)state;
	sga_store(&cl->cl_incarnation, 5ull);
	sga_store(&cl->cl_members, B(1) | B(2));
	l.l_lease_ns = rac_now_mono_ns();
	sga_store(&cl->cl_lease_ns, l.l_lease_ns);
	/* the same incarnation, or a newer one with us in it: nothing to do */
	imr_check_left_out(&l, &ms);
	ms = (struct ctl_membership){ .ms_bitmap = B(1) | B(2), .ms_incarnation = 6 };
	imr_check_left_out(&l, &ms);
	/* not a member yet (joining), or of no incarnation: not ours to judge */
	ms = (struct ctl_membership){ .ms_bitmap = B(2), .ms_incarnation = 6 };
	sga_store(&cl->cl_members, B(2));
	imr_check_left_out(&l, &ms);
	sga_store(&cl->cl_members, B(1) | B(2));
	sga_store(&cl->cl_incarnation, 0ull);
	imr_check_left_out(&l, &ms);
	assert_int_equal(counter(CNT_IMR_LEFT_OUT), left_out);
	assert_int_equal(sga_load(&cl->cl_state), 0);

	/* a newer incarnation without us: out, with the lease still ours */
	sga_store(&cl->cl_incarnation, 5ull);
	assert_int_equal(left_out_child(&ms), 3);
	assert_int_equal(sga_load(&cl->cl_state), CGS_EVICTED);
	assert_int_equal(counter(CNT_IMR_LEFT_OUT), left_out + 1);
	assert_int_equal(sga_load(&cl->cl_no_disk_writes), 0);	/* the guardian may confirm */

	/* the same with our lease lapsed: nobody in the instance writes again */
	l.l_lease_ns = rac_now_mono_ns() - ((uint64_t)cfg.cf_disktimeout_ms + 100) * MS;
	assert_int_equal(left_out_child(&ms), 3);
	assert_int_equal(sga_load(&cl->cl_no_disk_writes), 1);
}

static void test_silent_peer_is_suspected(void **state)
{
	(void)state;
	css_chores(&l);		/* LMON ran just now: no stall */
	heard(2, (uint64_t)cfg.cf_misscount_ms + 500);
	heard(3, 100);
	heard(4, 100);
	on_disk(4, (uint64_t)cfg.cf_disktimeout_ms + 500);
	on_disk(3, 100);
	css_chores(&l);
	assert_int_equal(sga_load(&sga_peer(&sga, 2)->pr_net_state), PEER_SILENT);
	assert_int_equal(sga_load(&sga_peer(&sga, 3)->pr_net_state), PEER_ALIVE);
	assert_int_equal(sga_load(&sga_peer(&sga, 3)->pr_disk_state), PEER_ALIVE);
	assert_int_equal(sga_load(&sga_peer(&sga, 4)->pr_net_state), PEER_ALIVE);
	assert_int_equal(sga_load(&sga_peer(&sga, 4)->pr_disk_state), PEER_SILENT);
	/* never heard: nothing to suspect */
	assert_int_equal(sga_load(&sga_peer(&sga, 5)->pr_net_state), PEER_UNKNOWN);
	/* a heartbeat brings it back */
	css_peer_state(&l, 2, 1, PEER_ALIVE, "heartbeat received");
	assert_int_equal(sga_load(&sga_peer(&sga, 2)->pr_net_state), PEER_ALIVE);
}

static void test_own_stall_not_held_against_peers(void **state)
{
	uint64_t stalls = counter(CNT_LMON_STALLS);

	(void)state;
	cfg.cf_misscount_ms = 300;
	css_chores(&l);
	heard(2, 50);		/* heard just before we stalled */
	heard(3, 1000);		/* already silent before: the stall changes nothing */
	usleep(400 * 1000);	/* LMON does not run for more than misscount */
	css_chores(&l);
	assert_int_equal(counter(CNT_LMON_STALLS), stalls + 1);
	assert_int_equal(sga_load(&sga_peer(&sga, 2)->pr_net_state), PEER_ALIVE);
	assert_int_equal(sga_load(&sga_peer(&sga, 3)->pr_net_state), PEER_SILENT);
}

static void test_own_lease_and_write_gate(void **state)
{
	struct sga_cluster *cl = sga_cluster(&sga);
	uint64_t lapsed = rac_now_mono_ns() - ((uint64_t)cfg.cf_disktimeout_ms + 10) * MS;

	(void)state;
	/* before the first lease LMON may not write; sga_may_write_disk() says yes */
	assert_false(css_lease_ok(&l));
	assert_false(css_may_write(&l));
	assert_true(sga_may_write_disk(&sga));

	l.l_lease_ns = rac_now_mono_ns();
	sga_store(&cl->cl_lease_ns, l.l_lease_ns);
	assert_true(css_lease_ok(&l));
	assert_true(css_may_write(&l));
	/* fenced: no write, lease or not */
	sga_store(&cl->cl_no_disk_writes, 1u);
	assert_false(css_may_write(&l));
	assert_false(sga_may_write_disk(&sga));
	sga_store(&cl->cl_no_disk_writes, 0u);
	/* lapsed */
	l.l_lease_ns = lapsed;
	sga_store(&cl->cl_lease_ns, lapsed);
	assert_false(css_lease_ok(&l));
	assert_false(css_may_write(&l));
	assert_false(sga_may_write_disk(&sga));
}

static void test_disk_alive_as_of_last_read(void **state)
{
	(void)state;
	assert_true(css_disk_alive(&l, 1));		/* ourselves */
	assert_false(css_disk_alive(&l, 2));		/* never seen */
	on_disk(2, 100);
	assert_true(css_disk_alive(&l, 2));
	on_disk(2, (uint64_t)cfg.cf_disktimeout_ms + 100);
	assert_false(css_disk_alive(&l, 2));
	/* LMON stalled since its last read: judged on what it read, not on now */
	on_disk(2, 100);
	l.l_disk_read_ns -= 5000 * MS;
	assert_true(css_disk_alive(&l, 2));
	on_disk(2, 100);
	sga_store(&sga_peer(&sga, 2)->pr_disk_state, (uint32_t)PEER_DOWN);
	assert_false(css_disk_alive(&l, 2));
}

static void make_disk(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT, 0600);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, VOTE_NBLOCKS * RAC_SLOT_SIZE), 0);
	close(fd);
}

/* one round, judged: every disk answered or the I/O timeout passed */
static void beat(void)
{
	css_disk_beat(&l);
	css_disk_settle(&l);
}

static void test_lease_needs_strict_majority(void **state)
{
	uint64_t lease, writes;
	int st;
	pid_t pid;

	(void)state;
	assert_int_equal(cfg.cf_nvoting, 3);
	beat();
	assert_int_equal(l.l_disks_ok, 3);
	assert_true(l.l_lease_ns != 0);
	assert_true(css_lease_ok(&l));
	assert_int_equal(sga_load(&sga_cluster(&sga)->cl_lease_ns), l.l_lease_ns);
	for (int d = 0; d < 3; d++)
		assert_int_equal(sga_load(&sga_vdisk(&sga, d)->vd_state), VDISK_ONLINE);

	/* one disk of three: no strict majority, the lease is not renewed */
	lease = l.l_lease_ns;
	unlink(cfg.cf_voting[1]);
	unlink(cfg.cf_voting[2]);
	beat();
	assert_int_equal(l.l_disks_ok, 1);
	assert_true(l.l_no_majority);
	assert_int_equal(l.l_lease_ns, lease);
	assert_int_equal(sga_load(&sga_vdisk(&sga, 1)->vd_state), VDISK_OFFLINE);

	/* two of three again: renewed */
	make_disk(cfg.cf_voting[1]);
	beat();
	assert_int_equal(l.l_disks_ok, 2);
	assert_false(l.l_no_majority);
	assert_true(l.l_lease_ns > lease);
	assert_int_equal(sga_load(&sga_vdisk(&sga, 1)->vd_state), VDISK_ONLINE);
	make_disk(cfg.cf_voting[2]);

	/* a lapsed lease is final: the instance exits before one more write */
	l.l_lease_ns = rac_now_mono_ns() - ((uint64_t)cfg.cf_disktimeout_ms + 100) * MS;
	writes = counter(CNT_DISK_HB_WRITES);
	pid = fork();
	if (pid == 0) {
		css_disk_beat(&l);
		_exit(100);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	assert_int_equal(counter(CNT_DISK_HB_WRITES), writes);
	assert_int_equal(sga_load(&sga_cluster(&sga)->cl_state), CGS_EVICTED);
}

/* a disk that does not answer: gate_op holds its worker until the gate opens */
static void hang_worker(struct aio *a, struct gate *g)
{
	uint64_t id;

	gate_init(g, 0);
	assert_int_equal(aio_submit(a, gate_op, g, &id), 0);
	aio_abandon(a, id);
	gate_wait_entered(g);
}

static void resume_worker(struct aio *a, struct gate *g)
{
	gate_open(g);
	while (aio_outstanding(a))
		aio_wait(a, 0, 5, NULL, NULL);
}

/* voting disk d (0-based) hangs, and answers again */
static void hang(int d, struct gate *g)
{
	hang_worker(css_disk_worker(&l, d), g);
}

static void resume(int d, struct gate *g)
{
	resume_worker(css_disk_worker(&l, d), g);
}

static void test_hung_disk_is_a_lost_disk(void **state)
{
	static struct gate g1, g2;	/* static: a worker may hold one past the test */
	struct sga_vdisk *v2 = sga_vdisk(&sga, 1);
	char err[256];
	uint64_t lease, t0;
	int st;
	pid_t pid;

	(void)state;
	/* disktimeout 400 ms: the I/O timeout is 100 ms */
	css_disk_fini(&l);
	cfg.cf_disktimeout_ms = 400;
	timeouts_derive(&cfg, &m.m_to);
	assert_int_equal(m.m_to.to_io_timeout_ms, 100);
	assert_int_equal(css_disk_init(&l, err, sizeof(err)), 0);
	beat();
	assert_int_equal(l.l_disks_ok, 3);

	/* disk 2 hangs: the round is judged without it within the I/O timeout */
	hang(1, &g2);
	lease = l.l_lease_ns;
	t0 = rac_now_mono_ns();
	beat();
	assert_true(rac_now_mono_ns() - t0 < 1000 * MS);	/* bounded, not hung */
	assert_int_equal(l.l_disks_ok, 2);
	assert_false(l.l_no_majority);
	assert_true(l.l_lease_ns > lease);
	css_disk_poll(&l);
	assert_int_equal(sga_load(&v2->vd_state), VDISK_HUNG);
	assert_true(sga_load(&v2->vd_io_age_ms) >= 100);
	/* it sits the next rounds out, taking no new I/O; the lease goes on */
	lease = l.l_lease_ns;
	beat();
	assert_int_equal(l.l_disks_ok, 2);
	assert_true(l.l_lease_ns > lease);
	assert_true(aio_outstanding(css_disk_worker(&l, 1)) <= 2);
	assert_int_equal(sga_load(&sga_vdisk(&sga, 0)->vd_state), VDISK_ONLINE);

	/* it answers: ONLINE again by itself */
	resume(1, &g2);
	beat();
	assert_int_equal(l.l_disks_ok, 3);
	assert_int_equal(sga_load(&v2->vd_state), VDISK_ONLINE);
	assert_int_equal(sga_load(&v2->vd_io_age_ms), 0);

	/* disks 1 and 2 hang: no strict majority, the lease is not renewed ... */
	hang(0, &g1);
	hang(1, &g2);
	lease = l.l_lease_ns;
	while (css_lease_ok(&l)) {
		beat();
		assert_int_equal(l.l_disks_ok, 1);
		assert_true(l.l_no_majority);
		assert_int_equal(l.l_lease_ns, lease);
	}
	/* ... and once it lapses the instance leaves before one more write */
	pid = fork();
	if (pid == 0) {
		css_disk_beat(&l);
		_exit(100);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	resume(0, &g1);
	resume(1, &g2);
}

static void test_hung_control_copy_costs_that_copy_only(void **state)
{
	static struct gate g1, g2;	/* static: a worker may hold one past the test */
	struct ctl_membership ms;
	struct blk_hdr h;
	char err[256];
	uint64_t t0;
	int rc0;

	(void)state;
	cfg.cf_disktimeout_ms = 400;	/* I/O timeout 100 ms */
	timeouts_derive(&cfg, &m.m_to);
	assert_int_equal(css_ctl_init(&l, err, sizeof(err)), 0);
	assert_int_equal(l.l_ctl.ca_n, 3);	/* three voting disks: a copy on each */
	rc0 = lctl_read_membership(&l, &ms, &h);
	assert_int_equal(rc0, 0);

	/* one copy stops answering: the others' majority answers, well within the timeout */
	hang_worker(ctl_area_worker(&l.l_ctl, 1), &g1);
	t0 = rac_now_mono_ns();
	assert_int_equal(lctl_read_membership(&l, &ms, &h), 0);
	assert_int_equal(lctl_write_membership(&l, true, 1, &ms, h.bh_sequence + 1), 0);
	assert_true(rac_now_mono_ns() - t0 < 100 * MS);

	/* a second one: no majority, the call fails, bounded by the I/O timeout */
	hang_worker(ctl_area_worker(&l.l_ctl, 2), &g2);
	t0 = rac_now_mono_ns();
	errno = 0;
	assert_int_equal(lctl_read_membership(&l, &ms, &h), RAC_ETIMEDOUT);
	assert_int_equal(errno, ETIMEDOUT);
	assert_true(rac_now_mono_ns() - t0 >= 100 * MS);
	assert_true(rac_now_mono_ns() - t0 < 2000 * MS);
	/* until they return every call fails at once, without waiting again */
	t0 = rac_now_mono_ns();
	assert_int_equal(lctl_write_membership(&l, true, 1, &ms, 1), RAC_ETIMEDOUT);
	assert_true(rac_now_mono_ns() - t0 < 100 * MS);

	/* they answer: calls work again, and the copy that missed a write catches up */
	resume_worker(ctl_area_worker(&l.l_ctl, 1), &g1);
	resume_worker(ctl_area_worker(&l.l_ctl, 2), &g2);
	t0 = rac_now_mono_ns();
	while (lctl_read_membership(&l, &ms, &h) && rac_now_mono_ns() - t0 < 2000 * MS)
		rac_sleep_ms(5);
	assert_int_equal(lctl_read_membership(&l, &ms, &h), 0);
	assert_int_equal(lctl_write_membership(&l, true, 1, &ms, h.bh_sequence + 1), 0);
	css_ctl_fini(&l);
	assert_null(ctl_area_worker(&l.l_ctl, 0));
	css_ctl_open(&l);
}

static void test_vote_cast_behind_the_gate(void **state)
{
	struct ctl_vote v;
	uint64_t corrupt = counter(CNT_DISK_BLOCKS_CORRUPT);
	uint8_t b;
	int fd = disk_open(cfg.cf_voting[0], 1);	/* the copy on voting disk 1 */

	(void)state;
	assert_true(fd >= 0);
	imr_init(&l);
	l.l_lease_ns = rac_now_mono_ns();
	sga_store(&sga_cluster(&sga)->cl_incarnation, 4ull);
	imr_set_cause(&l, RCFG_NETWORK, 3);
	assert_int_equal(imr_cast(&l, 7, B(1) | B(2)), 0);
	assert_int_equal(ctl_io_read_vote(fd, VOTE_CTL_BASE, 1, &v, NULL), 0);
	assert_int_equal(v.cv_inst, 1);
	assert_int_equal(v.cv_seq, 7);
	assert_int_equal(v.cv_bitmap, B(1) | B(2));
	assert_int_equal(v.cv_reason, RCFG_NETWORK);
	assert_int_equal(v.cv_break, 3);

	/* fenced: the vote is refused and the block keeps the last one */
	sga_store(&sga_cluster(&sga)->cl_no_disk_writes, 1u);
	errno = 0;
	assert_int_equal(imr_cast(&l, 8, B(1)), RAC_EIO);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ctl_io_read_vote(fd, VOTE_CTL_BASE, 1, &v, NULL), 0);
	assert_int_equal(v.cv_seq, 7);

	/* a damaged block is counted (and named in the trace) by LMON */
	assert_int_equal(byte_io(fd, &b, (VOTE_CTL_BASE + CTL_BLK_VOTE(1)) * RAC_SLOT_SIZE + 40,
				 0), 1);
	b ^= 0x10;
	assert_int_equal(byte_io(fd, &b, (VOTE_CTL_BASE + CTL_BLK_VOTE(1)) * RAC_SLOT_SIZE + 40,
				 1), 1);
	assert_int_equal(ctl_io_read_vote(fd, VOTE_CTL_BASE, 1, &v, NULL), RAC_EBLK_CRC);
	assert_int_equal(counter(CNT_DISK_BLOCKS_CORRUPT), corrupt + 1);
	/* ... and the majority of the copies still gives the vote */
	memset(&v, 0, sizeof(v));
	assert_int_equal(lctl_read_vote(&l, 1, &v), 0);
	assert_int_equal(v.cv_seq, 7);
	ctl_io_on_corrupt(NULL, NULL);
	close(fd);
}

/* flip one byte of block `blkno` in copies [from, to) of the control area */
static void damage_copies(uint32_t blkno, int from, int to)
{
	for (int k = from; k < to; k++) {
		struct ctl_copy *cp = &l.l_ctl.ca_copy[k];
		off_t off = (off_t)(cp->cp_base + blkno) * RAC_SLOT_SIZE + 40;
		int fd = open(cp->cp_path, O_RDWR);
		uint8_t b;

		assert_true(fd >= 0);
		assert_int_equal(byte_io(fd, &b, off, 0), 1);
		b ^= 0x40;
		assert_int_equal(byte_io(fd, &b, off, 1), 1);
		close(fd);
	}
}

/*
 * A control-area block with no valid record among the copies' answers is
 * counted on every read, once per read whichever way it is reported (the
 * corrupt-block handler, or the call's own error), and its streak ends at
 * the first good read.  While one copy still holds it valid, it costs
 * nothing but the damaged copies.
 */
static void test_bad_control_block_counted_streak_ends(void **state)
{
	struct ctl_ckpt ck = { .ck_inst = 2, .ck_pid = 1234, .ck_count = 5 }, back;
	struct ctl_vote v;
	struct blk_hdr h;
	struct ratelim *rl = &l.l_ctl_bad[CTL_BLK_CKPT(2)];
	struct ctl_call cc;
	uint64_t corrupt;

	(void)state;
	imr_init(&l);
	cc = (struct ctl_call){ .cc_op = CTL_CALL_WRITE_CKPT, .cc_may_write = true, .cc_ck = ck,
				.cc_inc = 1, .cc_seq = 1 };
	assert_int_equal(ctl_area_call(&l.l_ctl, &cc), 0);
	assert_int_equal(lctl_read_ckpt(&l, 2, &back, &h), 0);
	assert_int_equal(back.ck_count, 5);
	assert_false(rl->rl_active);

	/* damaged in two copies: the answers still hold one valid record, no streak */
	damage_copies(CTL_BLK_CKPT(2), 0, 2);
	assert_int_equal(lctl_read_ckpt(&l, 2, &back, &h), 0);
	assert_int_equal(back.ck_count, 5);
	assert_false(rl->rl_active);

	/* damaged in every copy: each read fails and is counted; one streak */
	damage_copies(CTL_BLK_CKPT(2), 2, 3);
	corrupt = counter(CNT_DISK_BLOCKS_CORRUPT);
	for (int n = 0; n < 250; n++)
		assert_int_not_equal(lctl_read_ckpt(&l, 2, &back, &h), 0);
	/* 250 failed reads, and copy 3 turning corrupt (once, the copy's alert line) */
	assert_int_equal(counter(CNT_DISK_BLOCKS_CORRUPT), corrupt + 251);
	assert_true(rl->rl_active);
	assert_int_equal(rl->rl_count, 250);

	/* rewritten by its owner: the streak ends at the next read */
	cc = (struct ctl_call){ .cc_op = CTL_CALL_WRITE_CKPT, .cc_may_write = true, .cc_ck = ck,
				.cc_inc = 1, .cc_seq = 2 };
	assert_int_equal(ctl_area_call(&l.l_ctl, &cc), 0);
	assert_int_equal(lctl_read_ckpt(&l, 2, &back, &h), 0);
	assert_false(rl->rl_active);
	assert_int_equal(rl->rl_total, 250);

	/* a vote damaged in a majority: counted on each read */
	rl = &l.l_ctl_bad[CTL_BLK_VOTE(3)];
	v = (struct ctl_vote){ .cv_inst = 3, .cv_seq = 1, .cv_bitmap = B(3) };
	assert_int_equal(lctl_write_vote(&l, true, &v, 1, 1), 0);
	damage_copies(CTL_BLK_VOTE(3), 0, 3);
	corrupt = counter(CNT_DISK_BLOCKS_CORRUPT);
	for (int n = 0; n < 4; n++)
		assert_int_not_equal(lctl_read_vote(&l, 3, &v), 0);
	assert_int_equal(counter(CNT_DISK_BLOCKS_CORRUPT), corrupt + 4 + 3);
	assert_int_equal(rl->rl_count, 4);
	ctl_io_on_corrupt(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_my_vote_names_who_we_can_work_with, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_my_vote_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_left_out_only_by_a_newer_membership, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_silent_peer_is_suspected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_stall_not_held_against_peers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_own_lease_and_write_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_alive_as_of_last_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lease_needs_strict_majority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hung_disk_is_a_lost_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hung_control_copy_costs_that_copy_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vote_cast_behind_the_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_control_block_counted_streak_ends, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
