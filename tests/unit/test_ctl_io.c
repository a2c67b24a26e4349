/*
 * test_ctl_io.c - the control file's IMR records on a descriptor
 * (lib/ctl_io.c): round trips, the caller's write gate, a vote in another
 * instance's block, and which damaged blocks are reported; the control
 * area's majority rule over its copies (lib/ctl_area.c): the pure merge,
 * and calls over three copies, one damaged, one behind, two missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl_area.h"
#include "ctl_io.h"
#include "errors.h"

#include "unit_util.h"

static char path[64];
static int fd = -1;
static int reports;
static uint32_t rep_blkno;
static uint16_t rep_type;
static int rep_rc;

static void on_corrupt(void *arg, uint32_t blkno, uint16_t type, int rc)
{
	assert_ptr_equal(arg, &reports);
	reports++;
	rep_blkno = blkno;
	rep_type = type;
	rep_rc = rc;
}

/* a fresh all-zero control file for every test */
static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/racrt-unit-ctl_io.%d", (int)getpid());
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, CTL_NBLOCKS * RAC_SLOT_SIZE))
		return -1;
	close(fd);
	fd = disk_open(path, 1);
	if (fd < 0)
		return -1;
	reports = 0;
	ctl_io_on_corrupt(on_corrupt, &reports);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ctl_io_on_corrupt(NULL, NULL);
	close(fd);
	unlink(path);
	return 0;
}

static void test_membership_round_trip_behind_the_gate(void **state)
{
	struct ctl_membership ms = { .ms_bitmap = 0x5, .ms_valid = 1, .ms_incarnation = 9,
				     .ms_control = 1 }, back;
	struct blk_hdr h;

	(void)state;
	/* never written: an error, but not a damaged block */
	assert_int_equal(ctl_io_read_membership(fd, 0, &back, &h), RAC_EBLK_ZERO);
	assert_int_equal(reports, 0);
	/* the caller says no: nothing written, EPERM */
	errno = 0;
	assert_int_equal(ctl_io_write_membership(fd, 0, false, 2, &ms, 4), RAC_EIO);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ctl_io_read_membership(fd, 0, &back, &h), RAC_EBLK_ZERO);

	assert_int_equal(ctl_io_write_membership(fd, 0, true, 2, &ms, 4), 0);
	assert_int_equal(ctl_io_read_membership(fd, 0, &back, &h), 0);
	/* field by field: the struct has padding, which nobody writes */
	assert_int_equal(back.ms_bitmap, ms.ms_bitmap);
	assert_int_equal(back.ms_valid, ms.ms_valid);
	assert_int_equal(back.ms_incarnation, ms.ms_incarnation);
	assert_int_equal(back.ms_control, ms.ms_control);
	assert_int_equal(h.bh_type, BLK_MEMBERSHIP);
	assert_int_equal(h.bh_writer, 2);
	assert_int_equal(h.bh_incarnation, 9);	/* the membership's own */
	assert_int_equal(h.bh_sequence, 4);
}

static void test_cfvrr_round_trip(void **state)
{
	struct ctl_cfvrr vr = { .vr_seq = 12, .vr_result = 0x3, .vr_result_writer = 1,
				.vr_incarnation = 7, .vr_control = 1, .vr_claim_inst = 2,
				.vr_claim_expires_us = 123456789 }, back;
	struct blk_hdr h;

	(void)state;
	vr.vr_vote[0] = 0x3;
	vr.vr_vote_seq[0] = 12;
	assert_int_equal(ctl_io_write_cfvrr(fd, 0, false, 1, &vr, 6, 30), RAC_EIO);
	assert_int_equal(ctl_io_write_cfvrr(fd, 0, true, 1, &vr, 6, 30), 0);
	memset(&back, 0, sizeof(back));	/* the padding: nobody writes it */
	assert_int_equal(ctl_io_read_cfvrr(fd, 0, &back, &h), 0);
	assert_memory_equal(&vr, &back, sizeof(vr));
	assert_int_equal(h.bh_incarnation, 6);	/* the caller's */
	assert_int_equal(h.bh_sequence, 30);
}

static void test_vote_in_its_own_block(void **state)
{
	struct ctl_vote v = { .cv_inst = 2, .cv_seq = 5, .cv_bitmap = 0x7, .cv_time_us = 42,
			      .cv_reason = 4, .cv_break = 3 }, back;
	uint8_t blk[RAC_BLK_SIZE];

	(void)state;
	assert_int_equal(ctl_io_write_vote(fd, 0, true, &v, 8, 1), 0);
	memset(&back, 0, sizeof(back));
	assert_int_equal(ctl_io_read_vote(fd, 0, 2, &back, NULL), 0);
	assert_memory_equal(&v, &back, sizeof(v));
	assert_int_equal(ctl_io_read_vote(fd, 0, 3, &back, NULL), RAC_EBLK_ZERO);
	/* instance 2's valid vote found in instance 3's block is not 3's */
	assert_int_equal(disk_read_block(fd, CTL_BLK_VOTE(2), blk), 0);
	assert_int_equal(disk_write_block(fd, CTL_BLK_VOTE(3), blk), 0);
	assert_int_equal(ctl_io_read_vote(fd, 0, 3, &back, NULL), RAC_ERANGE);
	assert_int_equal(reports, 0);
}

static void test_damaged_block_reported(void **state)
{
	struct ctl_membership ms = { .ms_bitmap = 0x1, .ms_valid = 1, .ms_incarnation = 2,
				     .ms_control = 1 }, back;
	struct blk_hdr h;
	uint8_t b;

	(void)state;
	assert_int_equal(ctl_io_write_membership(fd, 0, true, 1, &ms, 1), 0);
	assert_int_equal(byte_io(fd, &b, CTL_BLK_MEMBERSHIP * RAC_SLOT_SIZE + 41, 0), 1);
	b ^= 0x01;
	assert_int_equal(byte_io(fd, &b, CTL_BLK_MEMBERSHIP * RAC_SLOT_SIZE + 41, 1), 1);
	assert_int_equal(ctl_io_read_membership(fd, 0, &back, &h), RAC_EBLK_CRC);
	assert_int_equal(reports, 1);
	assert_int_equal(rep_blkno, CTL_BLK_MEMBERSHIP);
	assert_int_equal(rep_type, BLK_MEMBERSHIP);
	assert_int_equal(rep_rc, RAC_EBLK_CRC);
	/* a sound block of another type where the membership should be */
	{
		struct ctl_vote v = { .cv_inst = 1, .cv_seq = 1 };
		uint8_t blk[RAC_BLK_SIZE];

		assert_int_equal(ctl_io_write_vote(fd, 0, true, &v, 2, 1), 0);
		assert_int_equal(disk_read_block(fd, CTL_BLK_VOTE(1), blk), 0);
		assert_int_equal(disk_write_block(fd, CTL_BLK_MEMBERSHIP, blk), 0);
	}
	assert_int_equal(ctl_io_read_membership(fd, 0, &back, &h), RAC_EBLK_TYPE);
	assert_int_equal(reports, 2);
	assert_int_equal(rep_rc, RAC_EBLK_TYPE);
}

/* ---- the majority rule (pure) ---- */

#define T RAC_ETIMEDOUT
#define Z RAC_EBLK_ZERO

static void test_merge_read_takes_highest_valid_of_a_majority(void **state)
{
	int best = -1;

	(void)state;
	/* every copy valid: the highest sequence, the lowest copy on a tie */
	assert_int_equal(ctl_merge_read(3, (int[]){ 0, 0, 0 }, (uint64_t[]){ 5, 7, 6 },
					NULL, &best), 0);
	assert_int_equal(best, 1);
	assert_int_equal(ctl_merge_read(3, (int[]){ 0, 0, 0 }, (uint64_t[]){ 7, 7, 6 },
					NULL, &best), 0);
	assert_int_equal(best, 0);
	/* a corrupt or zeroed block is an answer that carries nothing */
	assert_int_equal(ctl_merge_read(3, (int[]){ RAC_EBLK_CRC, 0, 0 }, (uint64_t[]){ 99, 4, 4 },
					NULL, &best), 0);
	assert_int_equal(best, 1);
	assert_int_equal(ctl_merge_read(3, (int[]){ T, RAC_EBLK_CRC, 0 }, (uint64_t[]){ 0, 0, 3 },
					NULL, &best), 0);
	assert_int_equal(best, 2);
	assert_int_equal(ctl_merge_read(3, (int[]){ Z, 0, T }, (uint64_t[]){ 0, 2, 0 },
					NULL, &best), 0);
	assert_int_equal(best, 1);
	/* one valid copy is enough when a majority answered; the stale one loses */
	assert_int_equal(ctl_merge_read(5, (int[]){ 0, T, RAC_ERANGE, 0, T }, (uint64_t[]){ 8, 0, 0, 9, 0 },
					NULL, &best), 0);
	assert_int_equal(best, 3);
	assert_int_equal(ctl_merge_read(1, (int[]){ 0 }, (uint64_t[]){ 1 }, NULL, &best), 0);
	assert_int_equal(best, 0);
	/*
	 * One sequence, two records: a minority write landed late on copy 0
	 * after the next writer wrote copies 1 and 2.  The record more copies
	 * hold wins, wherever it is; an even split goes to the lowest copy.
	 */
	assert_int_equal(ctl_merge_read(3, (int[]){ 0, 0, 0 }, (uint64_t[]){ 5, 5, 5 },
					(uint32_t[]){ 0xa, 0xb, 0xb }, &best), 0);
	assert_int_equal(best, 1);
	assert_int_equal(ctl_merge_read(3, (int[]){ 0, 0, 0 }, (uint64_t[]){ 5, 5, 4 },
					(uint32_t[]){ 0xa, 0xb, 0xc }, &best), 0);
	assert_int_equal(best, 0);
	assert_int_equal(ctl_merge_read(5, (int[]){ 0, 0, 0, 0, T }, (uint64_t[]){ 5, 5, 5, 6, 0 },
					(uint32_t[]){ 0xa, 0xb, 0xb, 0xd, 0 }, &best), 0);
	assert_int_equal(best, 3);	/* a higher sequence still wins outright */
}

static void test_merge_read_fails_without_a_majority_or_a_record(void **state)
{
	int best = 7;

	(void)state;
	/* no strict majority answered: the one valid copy is not enough */
	assert_int_equal(ctl_merge_read(3, (int[]){ T, T, 0 }, (uint64_t[]){ 0, 0, 9 },
					NULL, &best), T);
	assert_int_equal(ctl_merge_read(3, (int[]){ RAC_EIO, RAC_EIO, 0 }, (uint64_t[]){ 0, 0, 9 },
					NULL, &best), RAC_EIO);
	assert_int_equal(ctl_merge_read(3, (int[]){ RAC_EIO, T, 0 }, (uint64_t[]){ 0, 0, 9 },
					NULL, &best), T);
	assert_int_equal(ctl_merge_read(3, (int[]){ RAC_ESYS, RAC_EBLK_SHORT, Z }, (uint64_t[]){ 0 },
					NULL, &best), RAC_ESYS);
	assert_int_equal(ctl_merge_read(4, (int[]){ 0, 0, T, T }, (uint64_t[]){ 1, 1, 0, 0 }, NULL,
					&best), T);
	assert_int_equal(ctl_merge_read(1, (int[]){ RAC_EIO }, (uint64_t[]){ 0 },
					NULL, &best), RAC_EIO);
	/* a majority answered, no valid record: an error, never a zeroed record */
	assert_int_equal(ctl_merge_read(3, (int[]){ Z, Z, Z }, (uint64_t[]){ 0 }, NULL, &best), Z);
	assert_int_equal(ctl_merge_read(3, (int[]){ Z, T, Z }, (uint64_t[]){ 0 }, NULL, &best), Z);
	assert_int_equal(ctl_merge_read(3, (int[]){ Z, RAC_EBLK_CRC, RAC_EBLK_MAGIC }, (uint64_t[]){ 0 },
					NULL, &best), RAC_EBLK_CRC);
	assert_int_equal(ctl_merge_read(1, (int[]){ RAC_EBLK_TYPE }, (uint64_t[]){ 0 },
					NULL, &best),
			 RAC_EBLK_TYPE);
	assert_int_equal(best, 7);	/* untouched on failure */
	assert_int_equal(ctl_merge_read(0, NULL, NULL, NULL, &best), RAC_EINVAL);
}

static void test_merge_write_needs_a_strict_majority(void **state)
{
	(void)state;
	assert_int_equal(ctl_merge_write(3, (int[]){ 0, 0, 0 }), 0);
	assert_int_equal(ctl_merge_write(3, (int[]){ 0, T, 0 }), 0);
	assert_int_equal(ctl_merge_write(3, (int[]){ RAC_EIO, 0, 0 }), 0);
	assert_int_equal(ctl_merge_write(3, (int[]){ 0, T, RAC_EIO }), T);
	assert_int_equal(ctl_merge_write(3, (int[]){ 0, RAC_EIO, RAC_ESYS }), RAC_EIO);
	assert_int_equal(ctl_merge_write(4, (int[]){ 0, 0, T, T }), T);
	assert_int_equal(ctl_merge_write(5, (int[]){ 0, 0, 0, T, T }), 0);
	assert_int_equal(ctl_merge_write(1, (int[]){ 0 }), 0);
	assert_int_equal(ctl_merge_write(1, (int[]){ RAC_EIO }), RAC_EIO);
}

/* ---- calls over three copies, inline ---- */

static struct rac_config acfg;
static int events[8];
static uint32_t ev_blkno;

static void on_event(void *arg, const struct ctl_copy *cp, int ev, uint32_t blkno, int rc)
{
	(void)arg;
	(void)cp;
	(void)rc;
	events[ev]++;
	ev_blkno = blkno;
}

static int area_setup(void **state)
{
	(void)state;
	memset(&acfg, 0, sizeof(acfg));
	acfg.cf_nvoting = 3;
	for (int d = 0; d < 3; d++) {
		int f;

		snprintf(acfg.cf_voting[d], sizeof(acfg.cf_voting[d]), "/tmp/racrt-unit-ctl_area.%d.%d",
			 (int)getpid(), d + 1);
		unlink(acfg.cf_voting[d]);
		f = open(acfg.cf_voting[d], O_RDWR | O_CREAT | O_EXCL, 0600);
		if (f < 0 || ftruncate(f, VOTE_NBLOCKS * RAC_SLOT_SIZE))
			return -1;
		close(f);
	}
	memset(events, 0, sizeof(events));
	reports = 0;
	ctl_call_on_corrupt(on_corrupt, &reports);
	return 0;
}

static int area_teardown(void **state)
{
	(void)state;
	ctl_call_on_corrupt(NULL, NULL);
	for (int d = 0; d < 3; d++)
		unlink(acfg.cf_voting[d]);
	return 0;
}

static int copy_fd(int d)
{
	int f = disk_open(acfg.cf_voting[d], 1);

	assert_true(f >= 0);
	return f;
}

static void test_area_majority_over_copies(void **state)
{
	struct ctl_area a;
	struct ctl_membership ms = { .ms_bitmap = 0x3, .ms_valid = 1, .ms_incarnation = 10,
				     .ms_control = 1 };
	struct ctl_call cc;
	uint8_t junk[RAC_BLK_SIZE];
	int f;

	(void)state;
	assert_int_equal(ctl_copies(&acfg), 3);
	assert_int_equal(ctl_area_init(&a, &acfg, 1, 100000000ull), 3);
	a.ca_event = on_event;
	for (int k = 0; k < 3; k++)
		assert_int_equal(a.ca_copy[k].cp_base, VOTE_CTL_BASE);

	/* never written anywhere: an error, not a zeroed record of incarnation 0 */
	cc = (struct ctl_call){ .cc_op = CTL_CALL_READ_MEMBERSHIP };
	assert_int_equal(ctl_area_call(&a, &cc), RAC_EBLK_ZERO);

	/* fenced: nothing written on any copy */
	cc = (struct ctl_call){ .cc_op = CTL_CALL_WRITE_MEMBERSHIP, .cc_ms = ms, .cc_seq = 1 };
	errno = 0;
	assert_int_equal(ctl_area_call(&a, &cc), RAC_EIO);
	assert_int_equal(errno, EPERM);

	/* written to every copy */
	cc = (struct ctl_call){ .cc_op = CTL_CALL_WRITE_MEMBERSHIP, .cc_may_write = true,
				.cc_writer = 1, .cc_ms = ms, .cc_seq = 1 };
	assert_int_equal(ctl_area_call(&a, &cc), 0);
	for (int d = 0; d < 3; d++) {
		struct ctl_membership back;
		struct blk_hdr h;

		f = copy_fd(d);
		assert_int_equal(ctl_io_read_membership(f, VOTE_CTL_BASE, &back, &h), 0);
		assert_int_equal(back.ms_incarnation, 10);
		close(f);
	}

	/* one copy's block is garbage: the others' majority reads, the copy is named once */
	memset(junk, 0xa5, sizeof(junk));
	f = copy_fd(1);
	assert_int_equal(disk_write_block(f, VOTE_CTL_BASE + CTL_BLK_MEMBERSHIP, junk), 0);
	close(f);
	for (int i = 0; i < 2; i++) {
		cc = (struct ctl_call){ .cc_op = CTL_CALL_READ_MEMBERSHIP };
		assert_int_equal(ctl_area_call(&a, &cc), 0);
		assert_int_equal(cc.cc_ms.ms_incarnation, 10);
		assert_int_equal(cc.cc_h.bh_sequence, 1);
	}
	assert_int_equal(events[CTL_COPY_CORRUPT], 1);
	assert_int_equal(ev_blkno, CTL_BLK_MEMBERSHIP);
	assert_int_equal(reports, 0);	/* the record read: the copy's event, not a bad record */

	/* one copy ahead (a write that reached it alone): the highest sequence wins */
	f = copy_fd(2);
	ms.ms_incarnation = 11;
	assert_int_equal(ctl_io_write_membership(f, VOTE_CTL_BASE, true, 1, &ms, 2), 0);
	close(f);
	cc = (struct ctl_call){ .cc_op = CTL_CALL_READ_MEMBERSHIP };
	assert_int_equal(ctl_area_call(&a, &cc), 0);
	assert_int_equal(cc.cc_ms.ms_incarnation, 11);
	assert_int_equal(cc.cc_h.bh_sequence, 2);

	/* the next write brings every copy up to date, the damaged one too */
	ms.ms_incarnation = 12;
	cc = (struct ctl_call){ .cc_op = CTL_CALL_WRITE_MEMBERSHIP, .cc_may_write = true,
				.cc_writer = 1, .cc_ms = ms, .cc_seq = 3 };
	assert_int_equal(ctl_area_call(&a, &cc), 0);
	assert_int_equal(events[CTL_COPY_VALID], 1);
	for (int d = 0; d < 3; d++) {
		struct ctl_membership back;
		struct blk_hdr h;

		f = copy_fd(d);
		assert_int_equal(ctl_io_read_membership(f, VOTE_CTL_BASE, &back, &h), 0);
		assert_int_equal(back.ms_incarnation, 12);
		assert_int_equal(h.bh_sequence, 3);
		close(f);
	}
	ctl_area_close(&a);

	/* two copies gone: no majority, neither to read nor to write */
	unlink(acfg.cf_voting[0]);
	unlink(acfg.cf_voting[2]);
	assert_int_equal(ctl_area_init(&a, &acfg, 1, 100000000ull), 3);
	cc = (struct ctl_call){ .cc_op = CTL_CALL_READ_MEMBERSHIP };
	assert_int_equal(ctl_area_call(&a, &cc), RAC_ESYS);
	assert_int_equal(errno, ENOENT);
	cc = (struct ctl_call){ .cc_op = CTL_CALL_WRITE_MEMBERSHIP, .cc_may_write = true,
				.cc_writer = 1, .cc_ms = ms, .cc_seq = 4 };
	assert_int_equal(ctl_area_call(&a, &cc), RAC_ESYS);
	ctl_area_close(&a);
}

static void test_copies_are_odd(void **state)
{
	struct rac_config c;
	struct ctl_area a;

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(c.cf_shared_disk, sizeof(c.cf_shared_disk), "/tmp/x");
	for (int n = 1; n <= 6; n++) {
		c.cf_nvoting = n;
		assert_int_equal(ctl_copies(&c) % 2, 1);
		assert_int_equal(ctl_file_is_copy(&c), n % 2 == 0);
		assert_int_equal(ctl_area_init(&a, &c, 0, 1), ctl_copies(&c));
		/* the control file first, when it is one, at block 0 */
		assert_int_equal(a.ca_copy[0].cp_disk, n % 2 == 0 ? 0 : 1);
		assert_int_equal(a.ca_copy[0].cp_base, n % 2 == 0 ? 0u : (uint32_t)VOTE_CTL_BASE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_membership_round_trip_behind_the_gate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cfvrr_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vote_in_its_own_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_block_reported, setup, teardown),
		cmocka_unit_test(test_merge_read_takes_highest_valid_of_a_majority),
		cmocka_unit_test(test_merge_read_fails_without_a_majority_or_a_record),
		cmocka_unit_test(test_merge_write_needs_a_strict_majority),
		cmocka_unit_test_setup_teardown(test_area_majority_over_copies, area_setup,
						area_teardown),
		cmocka_unit_test(test_copies_are_odd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
