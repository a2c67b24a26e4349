/*
 * test_ctl_io.c - the control file's IMR records on a descriptor
 * (lib/ctl_io.c): round trips, the caller's write gate, a vote in another
 * instance's block, and which damaged blocks are reported.
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
	assert_int_equal(ctl_io_read_membership(fd, &back, &h), RAC_EBLK_ZERO);
	assert_int_equal(reports, 0);
	/* the caller says no: nothing written, EPERM */
	errno = 0;
	assert_int_equal(ctl_io_write_membership(fd, false, 2, &ms, 4), RAC_EIO);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ctl_io_read_membership(fd, &back, &h), RAC_EBLK_ZERO);

	assert_int_equal(ctl_io_write_membership(fd, true, 2, &ms, 4), 0);
	assert_int_equal(ctl_io_read_membership(fd, &back, &h), 0);
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
	assert_int_equal(ctl_io_write_cfvrr(fd, false, 1, &vr, 6, 30), RAC_EIO);
	assert_int_equal(ctl_io_write_cfvrr(fd, true, 1, &vr, 6, 30), 0);
	memset(&back, 0, sizeof(back));	/* the padding: nobody writes it */
	assert_int_equal(ctl_io_read_cfvrr(fd, &back, &h), 0);
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
	assert_int_equal(ctl_io_write_vote(fd, true, &v, 8, 1), 0);
	memset(&back, 0, sizeof(back));
	assert_int_equal(ctl_io_read_vote(fd, 2, &back), 0);
	assert_memory_equal(&v, &back, sizeof(v));
	assert_int_equal(ctl_io_read_vote(fd, 3, &back), RAC_EBLK_ZERO);
	/* instance 2's valid vote found in instance 3's block is not 3's */
	assert_int_equal(disk_read_block(fd, CTL_BLK_VOTE(2), blk), 0);
	assert_int_equal(disk_write_block(fd, CTL_BLK_VOTE(3), blk), 0);
	assert_int_equal(ctl_io_read_vote(fd, 3, &back), RAC_ERANGE);
	assert_int_equal(reports, 0);
}

static void test_damaged_block_reported(void **state)
{
	struct ctl_membership ms = { .ms_bitmap = 0x1, .ms_valid = 1, .ms_incarnation = 2,
				     .ms_control = 1 }, back;
	struct blk_hdr h;
	uint8_t b;

	(void)state;
	assert_int_equal(ctl_io_write_membership(fd, true, 1, &ms, 1), 0);
	assert_int_equal(byte_io(fd, &b, CTL_BLK_MEMBERSHIP * RAC_SLOT_SIZE + 41, 0), 1);
	b ^= 0x01;
	assert_int_equal(byte_io(fd, &b, CTL_BLK_MEMBERSHIP * RAC_SLOT_SIZE + 41, 1), 1);
	assert_int_equal(ctl_io_read_membership(fd, &back, &h), RAC_EBLK_CRC);
	assert_int_equal(reports, 1);
	assert_int_equal(rep_blkno, CTL_BLK_MEMBERSHIP);
	assert_int_equal(rep_type, BLK_MEMBERSHIP);
	assert_int_equal(rep_rc, RAC_EBLK_CRC);
	/* a sound block of another type where the membership should be */
	{
		struct ctl_vote v = { .cv_inst = 1, .cv_seq = 1 };
		uint8_t blk[RAC_BLK_SIZE];

		assert_int_equal(ctl_io_write_vote(fd, true, &v, 2, 1), 0);
		assert_int_equal(disk_read_block(fd, CTL_BLK_VOTE(1), blk), 0);
		assert_int_equal(disk_write_block(fd, CTL_BLK_MEMBERSHIP, blk), 0);
	}
	assert_int_equal(ctl_io_read_membership(fd, &back, &h), RAC_EBLK_TYPE);
	assert_int_equal(reports, 2);
	assert_int_equal(rep_rc, RAC_EBLK_TYPE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_membership_round_trip_behind_the_gate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cfvrr_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vote_in_its_own_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_block_reported, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
