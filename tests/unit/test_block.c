/*
 * test_block.c - the shared-disk block codec, block I/O and the control
 * file: CRC-32C vectors, round trips of every record type, detection of
 * every kind of damage, cursor bounds, and format / check / dump on real
 * files in a temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/file.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl_area.h"
#include "ctl_io.h"
#include "disk.h"
#include "errors.h"
#include "racctl.h"

#include "unit_util.h"

/* ---- helpers ---------------------------------------------------------- */

static void set_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* store a fresh CRC, as a writer with a bug (not a torn write) would */
static void reseal(uint8_t blk[RAC_BLK_SIZE])
{
	set_le(blk + 32, blk_crc(blk), 4);
}

static void make_ckpt_block(uint8_t blk[RAC_BLK_SIZE])
{
	struct ctl_ckpt ck = {
		.ck_inst = 2, .ck_pid = 4242, .ck_count = 7,
		.ck_time_us = 1795000000000000ull, .ck_started_us = 1794999999000000ull,
	};
	struct blk_hdr h = {
		.bh_type = BLK_CKPT_PROGRESS, .bh_writer = 2,
		.bh_incarnation = 3, .bh_sequence = 99,
	};
	uint8_t p[RAC_BLK_PAYLOAD];

	assert_int_equal(blk_encode(blk, &h, p, ctl_ckpt_out(&ck, p)), 0);
}

/* ---- CRC-32C ----------------------------------------------------------- */

static void test_crc_vectors(void **state)
{
	uint8_t zero[32] = { 0 }, ones[32];

	(void)state;
	memset(ones, 0xff, sizeof(ones));
	assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
	assert_int_equal(crc32c(0, zero, sizeof(zero)), 0x8A9136AAu);
	assert_int_equal(crc32c(0, ones, sizeof(ones)), 0x62A8AB43u);
	assert_int_equal(crc32c(0, "", 0), 0);
}

static void test_crc_incremental(void **state)
{
	uint8_t buf[300];
	uint32_t whole;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	whole = crc32c(0, buf, sizeof(buf));
	/* every split point, so every tail length of the 8-byte loop is hit */
	for (size_t cut = 0; cut <= sizeof(buf); cut++)
		assert_int_equal(crc32c(crc32c(0, buf, cut), buf + cut,
					sizeof(buf) - cut), whole);
	/* unaligned start gives the same answer as aligned */
	{
		uint8_t shifted[sizeof(buf) + 3];

		memcpy(shifted + 3, buf, sizeof(buf));
		assert_int_equal(crc32c(0, shifted + 3, sizeof(buf)), whole);
	}
}

/* ---- cursor ------------------------------------------------------------ */

static void test_cursor_le_and_bounds(void **state)
{
	uint8_t buf[16];
	struct blk_cursor c;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	cur_init_write(&c, buf, 15);
	put_u8(&c, 0x01);
	put_u16(&c, 0x0302);
	put_u32(&c, 0x07060504);
	put_u64(&c, 0x0f0e0d0c0b0a0908ull);
	assert_int_equal(c.c_pos, 15);
	assert_int_equal(cur_end(&c), 0);
	for (int i = 0; i < 15; i++)
		assert_int_equal(buf[i], i + 1);

	/* write overrun: flagged, nothing written past the end */
	put_u8(&c, 0x55);
	assert_int_not_equal(c.c_err, 0);
	assert_int_equal(buf[15], 0xee);
	assert_int_equal(cur_end(&c), RAC_EBLK_LEN);

	cur_init_read(&c, buf, 15);
	assert_int_equal(get_u8(&c), 0x01);
	assert_int_equal(get_u16(&c), 0x0302);
	assert_int_equal(get_u32(&c), 0x07060504);
	assert_true(get_u64(&c) == 0x0f0e0d0c0b0a0908ull);
	assert_int_equal(cur_end(&c), 0);
}

static void test_cursor_overrun(void **state)
{
	uint8_t buf[6] = { 1, 2, 3, 4, 5, 6 };
	uint8_t out[4];
	struct blk_cursor c;

	(void)state;
	cur_init_read(&c, buf, sizeof(buf));
	assert_int_equal(get_u32(&c), 0x04030201);
	/* 2 bytes left: a u32 does not fit, returns 0 and poisons the cursor */
	assert_int_equal(get_u32(&c), 0);
	assert_int_equal(cur_end(&c), RAC_EBLK_LEN);
	/* a later read that would fit still fails: the cursor stays failed */
	assert_int_equal(get_u8(&c), 0);
	assert_int_equal(cur_end(&c), RAC_EBLK_LEN);

	cur_init_read(&c, buf, sizeof(buf));
	memset(out, 0xaa, sizeof(out));
	get_bytes(&c, out, 4);
	assert_int_equal(out[3], 4);
	get_bytes(&c, out, 4);		/* overrun: zeroed, not left stale */
	for (int i = 0; i < 4; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(cur_end(&c), RAC_EBLK_LEN);
}

static void test_cursor_trailing(void **state)
{
	uint8_t buf[8] = { 0 };
	struct blk_cursor c;

	(void)state;
	cur_init_read(&c, buf, sizeof(buf));
	(void)get_u32(&c);
	assert_int_equal(cur_end(&c), RAC_EBLK_LEN);	/* 4 bytes unread */
	(void)get_u32(&c);
	assert_int_equal(cur_end(&c), 0);
}

/* ---- block header ------------------------------------------------------ */

static void test_block_layout(void **state)
{
	uint8_t blk[RAC_BLK_SIZE];
	struct blk_hdr h;
	const uint8_t *p;

	(void)state;
	make_ckpt_block(blk);
	/* the layout in disk.h, byte by byte */
	assert_memory_equal(blk, "RBLK", 4);
	assert_int_equal(get_le(blk + 4, 2), BLK_CKPT_PROGRESS);
	assert_int_equal(get_le(blk + 6, 2), RAC_BLK_VERSION);
	assert_int_equal(get_le(blk + 8, 4), 2);
	assert_int_equal(get_le(blk + 12, 4), 32);
	assert_int_equal(get_le(blk + 16, 8), 3);
	assert_int_equal(get_le(blk + 24, 8), 99);
	assert_int_equal(get_le(blk + 32, 4), blk_crc(blk));
	assert_int_equal(get_le(blk + 36, 4), 0);
	for (int i = RAC_BLK_HDR + 32; i < RAC_BLK_SIZE; i++)
		assert_int_equal(blk[i], 0);

	assert_int_equal(blk_decode(blk, BLK_CKPT_PROGRESS, &h, &p), 0);
	assert_int_equal(h.bh_magic, RAC_BLK_MAGIC);
	assert_int_equal(h.bh_version, RAC_BLK_VERSION);
	assert_int_equal(h.bh_length, 32);
	assert_true(p == blk + RAC_BLK_HDR);
	/* 0 accepts any type */
	assert_int_equal(blk_decode(blk, 0, &h, &p), 0);
}

static void test_encode_limits(void **state)
{
	uint8_t blk[RAC_BLK_SIZE], p[RAC_BLK_PAYLOAD + 1] = { 0 };
	struct blk_hdr h = { .bh_type = BLK_KILL };

	(void)state;
	assert_int_equal(blk_encode(blk, &h, p, RAC_BLK_PAYLOAD + 1), RAC_EBLK_LEN);
	assert_int_equal(blk_encode(blk, &h, p, RAC_BLK_PAYLOAD), 0);
	assert_int_equal(blk_decode(blk, BLK_KILL, NULL, NULL), 0);
	h.bh_type = 0;
	assert_int_equal(blk_encode(blk, &h, p, 4), RAC_EINVAL);
}

static void test_type_str(void **state)
{
	(void)state;
	assert_string_equal(blk_type_str(BLK_CKPT_PROGRESS), "checkpoint progress record");
	assert_string_equal(blk_type_str(BLK_CFVRR), "vote result record (CFVRR)");
	assert_non_null(blk_type_str(999));
}

/* ---- payload round trips ---------------------------------------------- */

/*
 * Encode `v` with its _out, wrap it in a block, decode the block and the
 * payload with _in, and compare.  The structs are memset before filling, so
 * padding compares equal too.
 */
#define ROUND_TRIP(type, ctype, out_fn, in_fn, v) do {			\
	uint8_t p_[RAC_BLK_PAYLOAD], blk_[RAC_BLK_SIZE];		\
	struct blk_hdr h_ = { .bh_type = (type), .bh_writer = 5,	\
			      .bh_incarnation = 6, .bh_sequence = 7 };	\
	const uint8_t *pp_;						\
	ctype back_;							\
	size_t n_ = out_fn(&(v), p_);					\
	assert_true(n_ > 0 && n_ <= RAC_BLK_PAYLOAD);			\
	assert_int_equal(blk_encode(blk_, &h_, p_, n_), 0);		\
	memset(&h_, 0, sizeof(h_));					\
	assert_int_equal(blk_decode(blk_, (type), &h_, &pp_), 0);	\
	assert_int_equal(h_.bh_type, (type));				\
	assert_int_equal(h_.bh_writer, 5);				\
	assert_int_equal(h_.bh_incarnation, 6);				\
	assert_int_equal(h_.bh_sequence, 7);				\
	assert_int_equal(h_.bh_length, n_);				\
	memset(&back_, 0x5a, sizeof(back_));				\
	assert_int_equal(in_fn(pp_, h_.bh_length, &back_), 0);		\
	assert_memory_equal(&back_, &(v), sizeof(back_));		\
	/* one byte short and one byte long are both refused */	\
	assert_int_equal(in_fn(pp_, n_ - 1, &back_), RAC_EBLK_LEN);	\
	assert_int_equal(in_fn(pp_, n_ + 1, &back_), RAC_EBLK_LEN);	\
	assert_int_equal(in_fn(pp_, 0, &back_), RAC_EBLK_LEN);		\
} while (0)

static void test_roundtrip_ctl(void **state)
{
	struct ctl_header ch;
	struct ctl_membership ms;
	struct ctl_cfvrr vr;
	struct ctl_ckpt ck;

	(void)state;
	memset(&ch, 0, sizeof(ch));
	memset(ch.ch_cluster, 'c', sizeof(ch.ch_cluster) - 1);	/* longest name */
	ch.ch_max_inst = RAC_MAX_INST;
	ch.ch_ninst = 3;
	ch.ch_nvoting = 5;
	ch.ch_format_us = 0x0102030405060708ull;
	ch.ch_cluster_id = 0xfedcba9876543210ull;
	ROUND_TRIP(BLK_CTL_HEADER, struct ctl_header, ctl_header_out, ctl_header_in, ch);

	memset(&ms, 0, sizeof(ms));
	ms.ms_bitmap = 0x80000005ull;
	ms.ms_valid = 1;
	ms.ms_incarnation = 0xffffffffffffffffull;
	ROUND_TRIP(BLK_MEMBERSHIP, struct ctl_membership, ctl_membership_out, ctl_membership_in, ms);

	memset(&vr, 0, sizeof(vr));
	vr.vr_seq = 12345678901ull;
	for (int i = 0; i < RAC_MAX_INST; i++) {
		vr.vr_vote_seq[i] = 0x100000000ull + (uint64_t)i;
		vr.vr_vote[i] = (1ull << i) | 1u | (1ull << (RAC_MAX_INST - 1));
	}
	vr.vr_result = 0x3;
	vr.vr_result_writer = 1;
	vr.vr_claim_inst = RAC_MAX_INST;
	vr.vr_claim_expires_us = 1795000000123456ull;
	ROUND_TRIP(BLK_CFVRR, struct ctl_cfvrr, ctl_cfvrr_out, ctl_cfvrr_in, vr);

	memset(&ck, 0, sizeof(ck));
	ck.ck_inst = RAC_MAX_INST;
	ck.ck_pid = 0x7fffffff;
	ck.ck_count = 42;
	ck.ck_time_us = 1795000000000001ull;
	ck.ck_started_us = 1795000000000000ull;
	ROUND_TRIP(BLK_CKPT_PROGRESS, struct ctl_ckpt, ctl_ckpt_out, ctl_ckpt_in, ck);
}

static void test_roundtrip_vote(void **state)
{
	struct vote_header vh;
	struct vote_hb hb;
	struct vote_kill kb;

	(void)state;
	memset(&vh, 0, sizeof(vh));
	strcpy(vh.vh_cluster, "demo");
	vh.vh_disk = RAC_MAX_VOTING;
	vh.vh_format_us = 1;
	vh.vh_cluster_id = 0x8000000000000001ull;
	ROUND_TRIP(BLK_VOTE_HEADER, struct vote_header, vote_header_out, vote_header_in, vh);

	memset(&hb, 0, sizeof(hb));
	hb.hb_inst = 3;
	hb.hb_state = 2;
	hb.hb_counter = 1000000;
	hb.hb_time_us = 1795000000000000ull;
	hb.hb_peers = 0xffffffffffffffffull;
	hb.hb_life = 1795000000123456ull;
	ROUND_TRIP(BLK_HEARTBEAT, struct vote_hb, vote_hb_out, vote_hb_in, hb);

	memset(&kb, 0, sizeof(kb));
	kb.kb_target = 3;
	kb.kb_issuer = 1;
	kb.kb_target_inc = 9;
	kb.kb_time_us = 77;
	memset(kb.kb_reason, 'r', sizeof(kb.kb_reason) - 1);
	kb.kb_target_life = 1795000000123456ull;
	ROUND_TRIP(BLK_KILL, struct vote_kill, vote_kill_out, vote_kill_in, kb);
}

/* Heartbeat and kill blocks written before the life field still decode, life 0. */
static void test_vote_blocks_without_life_decode(void **state)
{
	struct vote_hb hb = { .hb_inst = 2, .hb_state = 1, .hb_counter = 5, .hb_life = 42 }, back;
	struct vote_kill kb = { .kb_target = 2, .kb_issuer = 1, .kb_target_inc = 7,
				.kb_target_life = 42 }, kback;
	uint8_t p[RAC_BLK_PAYLOAD];
	size_t n;

	(void)state;
	n = vote_hb_out(&hb, p);
	assert_int_equal(vote_hb_in(p, n - 8, &back), 0);
	assert_int_equal(back.hb_counter, 5);
	assert_int_equal(back.hb_life, 0);
	assert_int_not_equal(vote_hb_in(p, n - 4, &back), 0);
	n = vote_kill_out(&kb, p);
	assert_int_equal(vote_kill_in(p, n - 8, &kback), 0);
	assert_int_equal(kback.kb_target_inc, 7);
	assert_int_equal(kback.kb_target_life, 0);
	assert_int_not_equal(vote_kill_in(p, n + 8, &kback), 0);
}

/* A string field with no NUL on disk still decodes NUL-terminated. */
/*
 * A text field is what put_str() writes: its bytes, then zeros to the end.
 * One with no NUL, or with bytes after it, would not re-encode to itself
 * (found by tests/fuzz/fuzz_disk): refused.
 */
static void test_string_not_padded(void **state)
{
	struct ctl_header ch;
	struct vote_kill kb = { .kb_target = 1, .kb_issuer = 2 };
	uint8_t p[RAC_BLK_PAYLOAD];
	size_t n;

	(void)state;
	memset(&ch, 0, sizeof(ch));
	strcpy(ch.ch_cluster, "x");
	n = ctl_header_out(&ch, p);
	assert_int_equal(ctl_header_in(p, n, &ch), 0);
	assert_string_equal(ch.ch_cluster, "x");
	memset(p, 'Z', RAC_CLUSTER_MAX);	/* overwrite the whole field */
	assert_int_equal(ctl_header_in(p, n, &ch), RAC_ERANGE);
	assert_true(strlen(ch.ch_cluster) < RAC_CLUSTER_MAX);
	p[1] = '\0';				/* "Z", then a stray byte */
	memset(p + 2, 0, RAC_CLUSTER_MAX - 3);
	assert_int_equal(ctl_header_in(p, n, &ch), RAC_ERANGE);
	p[RAC_CLUSTER_MAX - 1] = '\0';
	assert_int_equal(ctl_header_in(p, n, &ch), 0);
	assert_string_equal(ch.ch_cluster, "Z");

	strcpy(kb.kb_reason, "why");
	n = vote_kill_out(&kb, p);
	p[2 * 4 + 2 * 8 + 10] = 'x';		/* after the reason's NUL */
	assert_int_equal(vote_kill_in(p, n, &kb), RAC_ERANGE);
}

/*
 * What follows a block's payload, and the reserved header field, are zero
 * as blk_encode() leaves them; and no block has type 0.  Anything else
 * would not re-encode to itself (found by tests/fuzz/fuzz_disk).
 */
static void test_block_tail(void **state)
{
	struct blk_hdr h = { .bh_type = BLK_CKPT_PROGRESS, .bh_writer = 1 };
	struct ctl_ckpt ck = { .ck_inst = 1, .ck_pid = 5 };
	uint8_t blk[RAC_BLK_SIZE], p[RAC_BLK_PAYLOAD];
	char why[256];
	size_t n;

	(void)state;
	n = ctl_ckpt_out(&ck, p);
	assert_int_equal(blk_encode(blk, &h, p, n), 0);
	assert_int_equal(blk_decode(blk, BLK_CKPT_PROGRESS, NULL, NULL), 0);
	blk[RAC_BLK_HDR + n] = 1;		/* past the payload */
	reseal(blk);
	assert_int_equal(blk_decode(blk, BLK_CKPT_PROGRESS, NULL, NULL), RAC_EBLK_LEN);
	blk_explain(blk, RAC_EBLK_LEN, BLK_CKPT_PROGRESS, why, sizeof(why));
	assert_non_null(strstr(why, "are not zero"));
	blk[RAC_BLK_HDR + n] = 0;
	blk[37] = 1;				/* the reserved header field */
	reseal(blk);
	assert_int_equal(blk_decode(blk, 0, NULL, NULL), RAC_EBLK_LEN);
	blk[37] = 0;
	blk[4] = blk[5] = 0;			/* type 0 */
	reseal(blk);
	assert_int_equal(blk_decode(blk, 0, NULL, NULL), RAC_EBLK_TYPE);
}

/* Values no writer could produce are refused even under a good CRC. */
static void test_payload_ranges(void **state)
{
	uint8_t p[RAC_BLK_PAYLOAD];
	struct ctl_ckpt ck = { .ck_inst = 0 };
	struct vote_hb hb = { .hb_inst = RAC_MAX_INST + 1 };
	struct vote_kill kb = { .kb_target = 1, .kb_issuer = RAC_MAX_INST + 1 };
	struct vote_header vh = { .vh_disk = 0 };
	struct ctl_membership ms = { .ms_valid = 2 };
	size_t n;

	(void)state;
	n = ctl_ckpt_out(&ck, p);
	assert_int_equal(ctl_ckpt_in(p, n, &ck), RAC_ERANGE);
	n = vote_hb_out(&hb, p);
	assert_int_equal(vote_hb_in(p, n, &hb), RAC_ERANGE);
	n = vote_kill_out(&kb, p);
	assert_int_equal(vote_kill_in(p, n, &kb), RAC_ERANGE);
	n = vote_header_out(&vh, p);
	assert_int_equal(vote_header_in(p, n, &vh), RAC_ERANGE);
	n = ctl_membership_out(&ms, p);
	assert_int_equal(ctl_membership_in(p, n, &ms), RAC_ERANGE);
}

/* ---- damage ------------------------------------------------------------ */

static void test_zero_block(void **state)
{
	uint8_t blk[RAC_BLK_SIZE] = { 0 };
	struct blk_hdr h;

	(void)state;
	assert_int_equal(blk_decode(blk, 0, &h, NULL), RAC_EBLK_ZERO);
	assert_int_equal(blk_decode(blk, BLK_MEMBERSHIP, &h, NULL), RAC_EBLK_ZERO);
}

static void test_every_bit_flip(void **state)
{
	uint8_t good[RAC_BLK_SIZE], blk[RAC_BLK_SIZE];

	(void)state;
	make_ckpt_block(good);
	for (int bit = 0; bit < RAC_BLK_SIZE * 8; bit++) {
		int rc;

		memcpy(blk, good, sizeof(blk));
		blk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		rc = blk_decode(blk, BLK_CKPT_PROGRESS, NULL, NULL);
		if (bit < 32)
			assert_int_equal(rc, RAC_EBLK_MAGIC);
		else
			assert_int_equal(rc, RAC_EBLK_CRC);
	}
}

static void test_torn_write(void **state)
{
	uint8_t a[RAC_BLK_SIZE], b[RAC_BLK_SIZE];
	struct ctl_ckpt ck = { .ck_inst = 1, .ck_count = 1 };
	struct blk_hdr h = { .bh_type = BLK_CKPT_PROGRESS, .bh_sequence = 1 };
	uint8_t p[RAC_BLK_PAYLOAD];

	(void)state;
	assert_int_equal(blk_encode(a, &h, p, ctl_ckpt_out(&ck, p)), 0);
	ck.ck_count = 2;
	h.bh_sequence = 2;
	assert_int_equal(blk_encode(b, &h, p, ctl_ckpt_out(&ck, p)), 0);
	/* the new header (its CRC included) landed, the new payload did not */
	memcpy(a, b, RAC_BLK_HDR);
	assert_memory_not_equal(a, b, RAC_BLK_SIZE);
	assert_int_equal(blk_decode(a, BLK_CKPT_PROGRESS, NULL, NULL), RAC_EBLK_CRC);
}

static void test_bad_version(void **state)
{
	uint8_t blk[RAC_BLK_SIZE];

	(void)state;
	make_ckpt_block(blk);
	set_le(blk + 6, RAC_BLK_VERSION + 1, 2);
	assert_int_equal(blk_decode(blk, BLK_CKPT_PROGRESS, NULL, NULL), RAC_EBLK_CRC);
	reseal(blk);
	assert_int_equal(blk_decode(blk, BLK_CKPT_PROGRESS, NULL, NULL), RAC_EBLK_VERSION);
}

static void test_bad_length(void **state)
{
	uint8_t blk[RAC_BLK_SIZE];
	const uint8_t *p;
	struct blk_hdr h;
	struct ctl_ckpt ck;

	(void)state;
	make_ckpt_block(blk);
	set_le(blk + 12, RAC_BLK_PAYLOAD + 1, 4);
	reseal(blk);
	assert_int_equal(blk_decode(blk, BLK_CKPT_PROGRESS, &h, NULL), RAC_EBLK_LEN);
	set_le(blk + 12, 0xffffffffu, 4);
	reseal(blk);
	assert_int_equal(blk_decode(blk, BLK_CKPT_PROGRESS, &h, NULL), RAC_EBLK_LEN);

	/* a length that fits the block but not the record: the payload decoder says so */
	make_ckpt_block(blk);
	set_le(blk + 12, 31, 4);
	reseal(blk);
	assert_int_equal(blk_decode(blk, BLK_CKPT_PROGRESS, &h, &p), 0);
	assert_int_equal(ctl_ckpt_in(p, h.bh_length, &ck), RAC_EBLK_LEN);
	set_le(blk + 12, RAC_BLK_PAYLOAD, 4);
	reseal(blk);
	assert_int_equal(blk_decode(blk, BLK_CKPT_PROGRESS, &h, &p), 0);
	assert_int_equal(ctl_ckpt_in(p, h.bh_length, &ck), RAC_EBLK_LEN);
}

static void test_wrong_type(void **state)
{
	uint8_t blk[RAC_BLK_SIZE];
	struct blk_hdr h;

	(void)state;
	make_ckpt_block(blk);
	assert_int_equal(blk_decode(blk, BLK_MEMBERSHIP, &h, NULL), RAC_EBLK_TYPE);
	assert_int_equal(h.bh_type, BLK_CKPT_PROGRESS);	/* filled as far as read */
	/* a type renumbered under a good CRC is still a type mismatch */
	set_le(blk + 4, BLK_KILL, 2);
	reseal(blk);
	assert_int_equal(blk_decode(blk, BLK_CKPT_PROGRESS, &h, NULL), RAC_EBLK_TYPE);
}

static void test_explain(void **state)
{
	uint8_t blk[RAC_BLK_SIZE];
	char why[200];
	char want[64];
	int rc;

	(void)state;
	make_ckpt_block(blk);
	blk[100] ^= 1;
	rc = blk_decode(blk, BLK_CKPT_PROGRESS, NULL, NULL);
	blk_explain(blk, rc, BLK_CKPT_PROGRESS, why, sizeof(why));
	snprintf(want, sizeof(want), "stored 0x%08x, computed 0x%08x",
		 (unsigned)get_le(blk + 32, 4), blk_crc(blk));
	assert_non_null(strstr(why, want));

	make_ckpt_block(blk);
	rc = blk_decode(blk, BLK_HEARTBEAT, NULL, NULL);
	blk_explain(blk, rc, BLK_HEARTBEAT, why, sizeof(why));
	assert_non_null(strstr(why, "checkpoint progress record"));
	assert_non_null(strstr(why, "disk heartbeat"));
}

/* ---- files: block I/O, format, check, dump ----------------------------- */

static char tmpdir[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int files_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_block.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int files_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_config(struct rac_config *cfg, const char *name)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->cf_name, sizeof(cfg->cf_name), "%s", name);
	snprintf(cfg->cf_shared_disk, sizeof(cfg->cf_shared_disk), "%s/shared/data", tmpdir);
	cfg->cf_nvoting = 3;
	for (int d = 0; d < 3; d++)
		snprintf(cfg->cf_voting[d], sizeof(cfg->cf_voting[d]), "%s/vote/vd%d", tmpdir, d + 1);
	cfg->cf_ninst = 2;
	for (int i = 1; i <= 2; i++) {
		cfg->cf_inst[i].ic_number = i;
		snprintf(cfg->cf_inst[i].ic_name, sizeof(cfg->cf_inst[i].ic_name), "RAC%d", i);
	}
}

static void test_disk_io(void **state)
{
	char path[128];
	uint8_t blk[RAC_BLK_SIZE], back[RAC_BLK_SIZE];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/io", tmpdir);
	assert_int_equal(disk_open(path, 0), RAC_ESYS);
	assert_int_equal(errno, ENOENT);

	fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 2 * RAC_SLOT_SIZE + 100), 0);
	close(fd);

	fd = disk_open(path, 1);
	assert_true(fd >= 0);
	make_ckpt_block(blk);
	assert_int_equal(disk_write_block(fd, 1, blk), 0);
	assert_int_equal(disk_read_block(fd, 1, back), 0);
	assert_memory_equal(blk, back, RAC_BLK_SIZE);
	assert_int_equal(disk_read_block(fd, 0, back), 0);
	assert_int_equal(blk_decode(back, 0, NULL, NULL), RAC_EBLK_ZERO);
	/* block 2 is only partly there, block 9 not at all */
	assert_int_equal(disk_read_block(fd, 2, back), RAC_EBLK_SHORT);
	assert_int_equal(disk_read_block(fd, 9, back), RAC_EBLK_SHORT);
	close(fd);

	fd = disk_open(path, 0);
	assert_true(fd >= 0);
	assert_int_equal(disk_write_block(fd, 0, blk), RAC_EIO);	/* read-only */
	assert_int_equal(errno, EBADF);
	assert_int_equal(disk_read_block(fd, 1, back), 0);
	close(fd);
	unlink(path);
}

static int count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static char *dump_to_string(const struct rac_config *cfg, int vote, int *ncorrupt)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	if (vote)
		assert_int_equal(ctl_dump_vote(cfg, 0, f, ncorrupt), 0);
	else
		assert_int_equal(ctl_dump(cfg, f, ncorrupt), 0);
	fclose(f);
	return text;
}

static void test_ctlfile(void **state)
{
	struct rac_config cfg, other;
	char err[512], ctl[RAC_PATH_MAX + 16], *text;
	struct stat st;
	int fd, ncorrupt = -1;

	(void)state;
	make_config(&cfg, "demo");
	config_control_path(&cfg, ctl, sizeof(ctl));

	/* nothing there yet */
	err[0] = '\0';
	assert_int_equal(ctl_check(&cfg, err, sizeof(err)), RAC_EDISK_UNFORMATTED);
	assert_non_null(strstr(err, "run 'racctl init'"));
	{
		FILE *f = fopen("/dev/null", "w");

		assert_int_equal(ctl_dump(&cfg, f, &ncorrupt), RAC_EDISK_UNFORMATTED);
		fclose(f);
	}

	/* format, with parent directories created on the way */
	assert_int_equal(ctl_format(&cfg, 0, err, sizeof(err)), 0);
	assert_int_equal(ctl_check(&cfg, err, sizeof(err)), 0);
	assert_int_equal(stat(ctl, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, CTL_NBLOCKS * RAC_SLOT_SIZE);
	assert_int_equal(stat(cfg.cf_voting[2], &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, VOTE_NBLOCKS * RAC_SLOT_SIZE);

	/* a second format is refused and says why; --force goes through */
	err[0] = '\0';
	assert_int_equal(ctl_format(&cfg, 0, err, sizeof(err)), RAC_EDISK_FORMATTED);
	assert_non_null(strstr(err, "already formatted for cluster 'demo'"));
	assert_non_null(strstr(err, "--force"));
	/* a formatted voting disk alone is enough to refuse */
	unlink(ctl);
	assert_int_equal(ctl_format(&cfg, 0, err, sizeof(err)), RAC_EDISK_FORMATTED);
	assert_non_null(strstr(err, "voting disk"));
	assert_int_equal(ctl_format(&cfg, 1, err, sizeof(err)), 0);
	assert_int_equal(ctl_check(&cfg, err, sizeof(err)), 0);

	/* another cluster's configuration on this disk */
	make_config(&other, "other");
	err[0] = '\0';
	assert_int_equal(ctl_check(&other, err, sizeof(err)), RAC_EDISK_FOREIGN);
	assert_non_null(strstr(err, "'demo'"));

	/* a fresh dump: nothing corrupt, every configured record present */
	text = dump_to_string(&cfg, 0, &ncorrupt);
	assert_int_equal(ncorrupt, 0);
	assert_int_equal(count_lines(text, "CORRUPT"), 0);
	assert_non_null(strstr(text, "cluster=demo instances=2 voting_disks=3"));
	assert_non_null(strstr(text, "valid=yes"));
	assert_non_null(strstr(text, "votes: 1:00 2:00 result=00"));
	assert_non_null(strstr(text, "inst=1 pid=0 count=0"));
	assert_non_null(strstr(text, "inst=2 pid=0 count=0"));
	free(text);

	text = dump_to_string(&cfg, 1, &ncorrupt);
	assert_int_equal(ncorrupt, 0);
	assert_int_equal(count_lines(text, "cluster=demo disk="), 3);
	assert_int_equal(count_lines(text, "target=none"), 6);
	free(text);

	/* the control file holds the header and the claim only: three voting disks, three copies */
	{
		uint8_t blk[RAC_BLK_SIZE];
		const uint8_t *pp;
		struct blk_hdr hh;

		fd = disk_open(ctl, 1);
		assert_true(fd >= 0);
		assert_int_equal(disk_read_block(fd, CTL_BLK_MEMBERSHIP, blk), 0);
		assert_int_equal(blk_decode(blk, BLK_MEMBERSHIP, &hh, &pp), RAC_EBLK_ZERO);
		close(fd);
	}
	assert_int_equal(ctl_copies(&cfg), 3);
	assert_false(ctl_file_is_copy(&cfg));

	/* CKPT's record on one copy (voting disk 1's): write, read back */
	fd = disk_open(cfg.cf_voting[0], 1);
	assert_true(fd >= 0);
	{
		struct ctl_ckpt ck = {
			.ck_inst = 2, .ck_pid = 4321, .ck_count = 42,
			.ck_time_us = 1795000000000000ull,
			.ck_started_us = 1794999000000000ull,
		}, back;
		struct blk_hdr h;

		assert_int_equal(ctl_write_ckpt(fd, VOTE_CTL_BASE, &ck, 6, 42), 0);
		assert_int_equal(ctl_read_ckpt(fd, VOTE_CTL_BASE, 2, &back, &h), 0);
		assert_memory_equal(&ck, &back, sizeof(ck));
		assert_int_equal(h.bh_writer, 2);
		assert_int_equal(h.bh_incarnation, 6);
		assert_int_equal(h.bh_sequence, 42);
		assert_int_equal(ctl_read_ckpt(fd, VOTE_CTL_BASE, 1, &back, &h), 0);
		assert_int_equal(back.ck_count, 0);
		assert_int_equal(ctl_read_ckpt(fd, VOTE_CTL_BASE, 0, &back, &h), RAC_EINVAL);
		ck.ck_inst = 0;
		assert_int_equal(ctl_write_ckpt(fd, VOTE_CTL_BASE, &ck, 6, 43), RAC_EINVAL);
	}

	/*
	 * damage one byte of instance 2's record on this copy: exactly one
	 * CORRUPT line, the copy's; the majority still gives the record
	 */
	{
		uint8_t b;

		assert_int_equal(byte_io(fd, &b, (VOTE_CTL_BASE + CTL_BLK_CKPT(2)) * RAC_SLOT_SIZE + 50, 0), 1);
		b ^= 0x40;
		assert_int_equal(byte_io(fd, &b, (VOTE_CTL_BASE + CTL_BLK_CKPT(2)) * RAC_SLOT_SIZE + 50, 1), 1);
	}
	text = dump_to_string(&cfg, 0, &ncorrupt);
	assert_int_equal(ncorrupt, 1);
	assert_int_equal(count_lines(text, "CORRUPT"), 1);
	assert_non_null(strstr(text, "CORRUPT (checksum mismatch"));
	assert_non_null(strstr(text, "stored 0x"));
	assert_non_null(strstr(text, "copy on voting disk 1"));
	assert_non_null(strstr(text, "inst=2 pid=0 count=0"));
	{
		struct ctl_ckpt back;

		assert_int_equal(ctl_read_ckpt(fd, VOTE_CTL_BASE, 2, &back, NULL), RAC_EBLK_CRC);
	}
	free(text);

	/* a never-written block in one copy is reported as such and is not corruption */
	{
		uint8_t zero[RAC_BLK_SIZE] = { 0 };

		assert_int_equal(disk_write_block(fd, VOTE_CTL_BASE + CTL_BLK_CKPT(2), zero), 0);
	}
	text = dump_to_string(&cfg, 0, &ncorrupt);
	assert_int_equal(ncorrupt, 0);
	assert_int_equal(count_lines(text, "never written"), 1);
	free(text);

	/* a damaged header: ctl_check gives the block error and the reason */
	close(fd);
	fd = disk_open(ctl, 1);
	assert_true(fd >= 0);
	{
		uint8_t b = 0xff;

		assert_int_equal(byte_io(fd, &b, 45, 1), 1);
	}
	err[0] = '\0';
	assert_int_equal(ctl_check(&cfg, err, sizeof(err)), RAC_EBLK_CRC);
	assert_non_null(strstr(err, "checksum mismatch"));
	/* the voting disks still hold valid headers: no format without --force */
	close(fd);
	assert_int_equal(ctl_format(&cfg, 0, err, sizeof(err)), RAC_EDISK_FORMATTED);
	assert_non_null(strstr(err, "voting disk"));

	/* a voting disk from another format of the same cluster */
	{
		struct rac_config two = cfg;

		snprintf(two.cf_voting[0], sizeof(two.cf_voting[0]), "%s/vote/vd1", tmpdir);
		two.cf_nvoting = 1;
		snprintf(two.cf_shared_disk, sizeof(two.cf_shared_disk), "%s/shared2", tmpdir);
		assert_int_equal(ctl_format(&two, 1, err, sizeof(err)), 0);
		assert_int_equal(ctl_check(&two, err, sizeof(err)), 0);
	}
	assert_int_equal(ctl_format(&cfg, 1, err, sizeof(err)), 0);
	assert_int_equal(ctl_check(&cfg, err, sizeof(err)), 0);
	{
		struct rac_config two = cfg;

		two.cf_nvoting = 1;
		snprintf(two.cf_shared_disk, sizeof(two.cf_shared_disk), "%s/shared2", tmpdir);
		err[0] = '\0';
		assert_int_equal(ctl_check(&two, err, sizeof(err)), RAC_EDISK_FOREIGN);
		assert_non_null(strstr(err, "another format"));
	}
}

/*
 * Format version 2 (disk.h): one block per 4 KiB slot, the rest of the slot
 * zero; a version 1 disk (512-byte records) is refused with the fix named;
 * a shared-disk file is a regular file or a block device, nothing else.
 */
static void test_slots_and_old_format(void **state)
{
	struct rac_config cfg;
	char err[512], ctl[RAC_PATH_MAX + 16];
	uint8_t slot[RAC_SLOT_SIZE], blk[RAC_BLK_SIZE];
	struct disk_info di;
	struct blk_hdr h;
	uint32_t crc;
	int fd;

	(void)state;
	make_config(&cfg, "demo");
	config_control_path(&cfg, ctl, sizeof(ctl));
	assert_int_equal(ctl_format(&cfg, 1, err, sizeof(err)), 0);

	/* instance 2's heartbeat: block 10 at byte 10 * 4096, alone in its slot */
	fd = open(cfg.cf_voting[0], O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, slot, sizeof(slot), (off_t)VOTE_BLK_HB(2) * 4096), 4096);
	assert_int_equal(blk_decode(slot, BLK_HEARTBEAT, &h, NULL), 0);
	assert_int_equal(h.bh_version, 2);
	for (size_t i = RAC_BLK_SIZE; i < sizeof(slot); i++)
		assert_int_equal(slot[i], 0);
	close(fd);

	/* opened direct, and it says so */
	fd = disk_open(cfg.cf_voting[0], 0);
	assert_true(fd >= 0);
	assert_int_equal(disk_fd_info(fd, &di), 0);
	assert_int_equal(di.di_kind, DISK_KIND_FILE);
	assert_int_equal(di.di_direct, 1);
	assert_int_equal(di.di_size, VOTE_NBLOCKS * 4096);
	assert_string_equal(disk_kind_str(di.di_kind), "FILE");
	/* one I/O for consecutive blocks gives what one read each gives */
	{
		uint8_t many[4][RAC_BLK_SIZE];

		uint8_t each[4][RAC_BLK_SIZE];
		int rcs[4] = { -1, -1, -1, -1 };

		assert_int_equal(disk_read_blocks(fd, VOTE_BLK_HB(1), 4, many), 0);
		assert_int_equal(disk_read_block(fd, VOTE_BLK_KILL(2), blk), 0);
		assert_memory_equal(many[3], blk, RAC_BLK_SIZE);
		/* the salvaging read: the same blocks, each marked read */
		assert_int_equal(disk_read_blocks_each(fd, VOTE_BLK_HB(1), 4, each, rcs), 0);
		assert_memory_equal(each, many, sizeof(many));
		for (int i = 0; i < 4; i++)
			assert_int_equal(rcs[i], 0);
		/* past the end is short, not a bad sector: no block-by-block retry */
		assert_int_equal(disk_read_blocks_each(fd, VOTE_NBLOCKS - 2, 4, each, rcs),
				 RAC_EBLK_SHORT);
	}
	close(fd);

	/* a control file header as racrt 1 wrote it: version 1 under a good CRC */
	fd = open(ctl, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, blk, sizeof(blk), 0), RAC_BLK_SIZE);
	blk[6] = 1;
	memset(blk + 32, 0, 4);
	crc = blk_crc(blk);
	memcpy(blk + 32, (uint8_t[4]){ (uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
				       (uint8_t)(crc >> 24) }, 4);
	assert_int_equal(pwrite(fd, blk, sizeof(blk), 0), RAC_BLK_SIZE);
	assert_int_equal(fsync(fd), 0);
	close(fd);
	err[0] = '\0';
	assert_int_equal(ctl_check(&cfg, err, sizeof(err)), RAC_EBLK_VERSION);
	assert_non_null(strstr(err, "formatted by an earlier racrt (512-byte records)"));
	assert_non_null(strstr(err, "stop the cluster cleanly and run 'racctl init --force'"));
	err[0] = '\0';
	assert_int_equal(ctl_format(&cfg, 0, err, sizeof(err)), RAC_EBLK_VERSION);
	assert_non_null(strstr(err, "racctl init --force"));
	assert_int_equal(ctl_format(&cfg, 1, err, sizeof(err)), 0);
	assert_int_equal(ctl_check(&cfg, err, sizeof(err)), 0);

	/* neither a file nor a block device: refused before anything is written */
	snprintf(cfg.cf_voting[2], sizeof(cfg.cf_voting[2]), "%s", tmpdir);
	err[0] = '\0';
	assert_int_equal(ctl_check(&cfg, err, sizeof(err)), RAC_EDISK_KIND);
	assert_non_null(strstr(err, "neither a regular file nor a block device"));
	err[0] = '\0';
	assert_int_equal(ctl_format(&cfg, 1, err, sizeof(err)), RAC_EDISK_KIND);
	assert_non_null(strstr(err, tmpdir));
	make_config(&cfg, "demo");
	assert_int_equal(ctl_check(&cfg, err, sizeof(err)), 0);
}

/* racctl init's safety: a lock per host, a claim across hosts, no format under a live instance */
static void test_init_safety(void **state)
{
	struct rac_config cfg;
	char err[512], ctl[RAC_PATH_MAX + 16];
	uint8_t p[RAC_BLK_PAYLOAD];
	struct ctl_claim fc = { .fc_id = 0x1234, .fc_pid = 1 };
	int fd, lk;
	pid_t child;

	(void)state;
	make_config(&cfg, "demo");
	config_control_path(&cfg, ctl, sizeof(ctl));
	assert_int_equal(ctl_format(&cfg, 1, err, sizeof(err)), 0);

	/* another init on this host holds the lock */
	lk = open(ctl, O_RDONLY);
	assert_true(lk >= 0);
	assert_int_equal(flock(lk, LOCK_EX), 0);
	child = fork();
	if (child == 0)
		_exit(ctl_format(&cfg, 1, err, sizeof(err)) == RAC_EDISK_BUSY ? 0 : 1);
	{
		int status;

		assert_int_equal(waitpid(child, &status, 0), child);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(lk);

	/* another host began a format a moment ago and has not finished it */
	fd = disk_open(ctl, 1);
	assert_true(fd >= 0);
	snprintf(fc.fc_host, sizeof(fc.fc_host), "some-other-host");
	fc.fc_time_us = rac_now_us();
	assert_int_equal(disk_write_rec(fd, CTL_BLK_CLAIM, BLK_FORMAT_CLAIM, 0, 0, 1, p,
					ctl_claim_out(&fc, p)), 0);
	err[0] = '\0';
	assert_int_equal(ctl_format(&cfg, 1, err, sizeof(err)), RAC_EDISK_BUSY);
	assert_non_null(strstr(err, "some-other-host"));
	/* a stale one (long ago) does not block */
	fc.fc_time_us -= 60ull * 1000000;
	assert_int_equal(disk_write_rec(fd, CTL_BLK_CLAIM, BLK_FORMAT_CLAIM, 0, 0, 1, p,
					ctl_claim_out(&fc, p)), 0);
	close(fd);
	assert_int_equal(ctl_format(&cfg, 1, err, sizeof(err)), 0);
	assert_int_equal(ctl_check(&cfg, err, sizeof(err)), 0);

	/* an instance whose disk heartbeat moves: no --force under it */
	cfg.cf_disk_heartbeat_interval_ms = 100;
	child = fork();
	if (child == 0) {
		int vfd = disk_open(cfg.cf_voting[1], 1);
		struct vote_hb hb = { .hb_inst = 2, .hb_state = HB_STATE_ALIVE };

		for (uint64_t n = 1;; n++) {
			hb.hb_counter = n;
			vote_write_hb(vfd, 2, &hb, 1, n);
			usleep(20000);
		}
	}
	usleep(100000);
	err[0] = '\0';
	assert_int_equal(ctl_format(&cfg, 1, err, sizeof(err)), RAC_EDISK_LIVE);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_non_null(strstr(err, "instance 2 (RAC2) is alive on voting disk"));
	assert_int_equal(ctl_format(&cfg, 1, err, sizeof(err)), 0);
}

static int buffered_calls;

static void on_buffered(const char *path)
{
	(void)path;
	buffered_calls++;
}

/* tmpfs refuses O_DIRECT: buffered instead, counted, the same blocks */
static void test_buffered_fallback(void **state)
{
	char path[64];
	uint8_t blk[RAC_BLK_SIZE], back[RAC_BLK_SIZE];
	struct disk_info di;
	uint64_t before = disk_io_buffered_opens();
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/dev/shm/racrt-unit-block.%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		skip();
	assert_int_equal(ftruncate(fd, 4 * RAC_SLOT_SIZE), 0);
	close(fd);
	disk_io_on_buffered(on_buffered);
	for (int i = 0; i < 2; i++) {
		fd = disk_open(path, 1);
		assert_true(fd >= 0);
		assert_int_equal(disk_fd_info(fd, &di), 0);
		if (di.di_direct) {	/* a tmpfs that takes O_DIRECT (newer kernels) */
			close(fd);
			break;
		}
		make_ckpt_block(blk);
		assert_int_equal(disk_write_block(fd, 3, blk), 0);
		assert_int_equal(disk_read_block(fd, 3, back), 0);
		assert_memory_equal(blk, back, RAC_BLK_SIZE);
		close(fd);
		assert_int_equal(disk_io_buffered_opens(), before + (uint64_t)i + 1);
		assert_int_equal(buffered_calls, i + 1);
	}
	disk_io_on_buffered(NULL);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_crc_vectors),
		cmocka_unit_test(test_crc_incremental),
		cmocka_unit_test(test_cursor_le_and_bounds),
		cmocka_unit_test(test_cursor_overrun),
		cmocka_unit_test(test_cursor_trailing),
		cmocka_unit_test(test_block_layout),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_type_str),
		cmocka_unit_test(test_roundtrip_ctl),
		cmocka_unit_test(test_roundtrip_vote),
		cmocka_unit_test(test_vote_blocks_without_life_decode),
		cmocka_unit_test(test_string_not_padded),
		cmocka_unit_test(test_block_tail),
		cmocka_unit_test(test_payload_ranges),
		cmocka_unit_test(test_zero_block),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_torn_write),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_bad_length),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_disk_io),
		cmocka_unit_test(test_ctlfile),
		cmocka_unit_test(test_slots_and_old_format),
		cmocka_unit_test(test_buffered_fallback),
		cmocka_unit_test(test_init_safety),
	};

	return cmocka_run_group_tests(pure, files_setup, files_teardown);
}
