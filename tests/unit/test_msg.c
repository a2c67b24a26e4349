/*
 * test_msg.c - the message catalogue: round trip, and every class of bad
 * bytes refused with its own code before any handler could see it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "errors.h"
#include "msg.h"

static uint8_t buf[256];
static uint64_t cid;

static int make(void)
{
	struct msg_hdr h = { .mh_sender = 3, .mh_cluster = cid, .mh_incarnation = 7,
			     .mh_seq = 42 };
	struct msg_heartbeat hb = { .hb_state = 3, .hb_peers = 0x7, .hb_members = 0x5,
				    .hb_sent_us = 123456789 };

	return msg_encode_heartbeat(buf, sizeof(buf), &h, &hb);
}

static int setup(void **state)
{
	(void)state;
	cid = rac_msg_cluster_id("demo");
	return 0;
}

static void test_round_trip(void **state)
{
	struct msg_hdr h;
	struct msg_heartbeat hb;
	const uint8_t *p;
	int n = make();

	(void)state;
	assert_int_equal(n, RAC_MSG_HDR + 32);
	assert_int_equal(msg_decode_hdr(buf, (size_t)n, cid, &h, &p), 0);
	assert_int_equal(h.mh_type, MSG_HEARTBEAT);
	assert_int_equal(h.mh_sender, 3);
	assert_int_equal(h.mh_incarnation, 7);
	assert_int_equal(h.mh_seq, 42);
	assert_int_equal(msg_decode_heartbeat(p, h.mh_length, &hb), 0);
	assert_int_equal(hb.hb_peers, 0x7);
	assert_int_equal(hb.hb_members, 0x5);
	assert_int_equal(hb.hb_sent_us, 123456789);
	assert_string_equal(msg_type_str(MSG_HEARTBEAT), "HEARTBEAT");
	assert_string_equal(msg_type_str(999), "UNKNOWN");
}

static void test_little_endian_on_the_wire(void **state)
{
	(void)state;
	make();
	assert_memory_equal(buf, "RACM", 4);
	assert_int_equal(buf[4], RAC_MSG_VERSION);
	assert_int_equal(buf[5], 0);
	assert_int_equal(buf[12], 3);	/* sender */
}

static void test_bad_bytes_refused(void **state)
{
	struct msg_hdr h;
	const uint8_t *p;
	int n;

	(void)state;
	n = make();
	assert_int_equal(msg_decode_hdr(buf, 10, cid, &h, &p), RAC_EMSG_SHORT);
	assert_int_equal(msg_decode_hdr(buf, (size_t)n, cid + 1, &h, &p), RAC_EMSG_CLUSTER);
	assert_int_equal(msg_decode_hdr(buf, (size_t)n - 1, cid, &h, &p), RAC_EMSG_LEN);
	buf[0] ^= 1;
	assert_int_equal(msg_decode_hdr(buf, (size_t)n, cid, &h, &p), RAC_EMSG_MAGIC);
	make();
	buf[4] = 9;
	assert_int_equal(msg_decode_hdr(buf, (size_t)n, cid, &h, &p), RAC_EMSG_VERSION);
	make();
	buf[6] = 0x77;
	assert_int_equal(msg_decode_hdr(buf, (size_t)n, cid, &h, &p), RAC_EMSG_TYPE);
	make();
	buf[12] = 0;
	assert_int_equal(msg_decode_hdr(buf, (size_t)n, cid, &h, &p), RAC_EMSG_SENDER);
	make();
	buf[12] = 33;
	assert_int_equal(msg_decode_hdr(buf, (size_t)n, cid, &h, &p), RAC_EMSG_SENDER);
	/* a length field that lies about the bytes that follow */
	make();
	buf[n] = 0;
	assert_int_equal(msg_decode_hdr(buf, (size_t)n + 1, cid, &h, &p), RAC_EMSG_LEN);
}

static void test_payload_decoder_bounds(void **state)
{
	struct msg_heartbeat hb;
	uint8_t p[64] = { 0 };

	(void)state;
	assert_int_equal(msg_decode_heartbeat(p, 31, &hb), RAC_EMSG_LEN);
	assert_int_equal(msg_decode_heartbeat(p, 33, &hb), RAC_EMSG_TRAILING);
	assert_int_equal(msg_decode_heartbeat(p, 32, &hb), 0);
}

static void test_random_bytes_never_crash(void **state)
{
	struct msg_hdr h;
	const uint8_t *p;
	unsigned seed = 1;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof(buf));

		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (i % 3 == 0 && n >= 8)
			memcpy(buf, "RACM\x04\x00", 6);	/* get past magic and version */
		if (msg_decode_hdr(buf, n, cid, &h, &p) == 0) {
			struct msg_heartbeat hb;

			(void)msg_decode_heartbeat(p, h.mh_length, &hb);
		}
	}
}

/* a bundle gives back every record, in order, exactly as it went in */
static void test_bundle_round_trip(void **state)
{
	static struct msg_bundle b;
	struct msg_hdr h = { .mh_sender = 2, .mh_cluster = cid, .mh_seq = 9 }, g;
	struct msg_bundle_iter it;
	const uint8_t *p;
	struct msg_lk lk, out;
	uint16_t type;
	int n, k = 0;

	(void)state;
	msg_bundle_init(&b);
	for (int i = 0; i < 300; i++) {
		memset(&lk, 0, sizeof(lk));
		lk.lk_op = 1 + i % 5;
		lk.lk_req = (uint32_t)i;
		lk.lk_mode = i % 6;
		lk.lk_status = -(i % 3);
		lk.lk_lkid = 0x0100000000000000ull + (uint64_t)i;
		lk.lk_namelen = (uint16_t)(i % (LK_NAME_MAX + 1));
		memset(lk.lk_name, 'a' + i % 26, lk.lk_namelen);
		lk.lk_has_lvb = i % 2;
		if (lk.lk_has_lvb)
			memset(lk.lk_lvb, i, LK_LVB_LEN);
		lk.lk_dubious = i % 4 == 1;
		assert_int_equal(msg_bundle_add(&b, i % 2 ? MSG_GRD_OP : MSG_LK_REPLY, &lk), 0);
	}
	n = msg_bundle_seal(&b, &h);
	assert_true(n > 0 && n < 300 * (RAC_MSG_HDR + MSG_LK_LEN) * 2 / 3);
	assert_int_equal(msg_decode_hdr(b.mb_buf, (size_t)n, cid, &g, &p), 0);
	assert_int_equal(g.mh_type, MSG_LK_BUNDLE);
	assert_int_equal(msg_bundle_open(p, g.mh_length, &it), 0);
	while (msg_bundle_next(&it, &type, &out) == 1) {
		assert_int_equal(type, k % 2 ? MSG_GRD_OP : MSG_LK_REPLY);
		assert_int_equal(out.lk_req, k);
		assert_int_equal(out.lk_status, -(k % 3));
		assert_int_equal(out.lk_namelen, k % (LK_NAME_MAX + 1));
		assert_int_equal(out.lk_has_lvb, k % 2);
		if (out.lk_has_lvb)
			assert_int_equal(out.lk_lvb[LK_LVB_LEN - 1], (uint8_t)k);
		k++;
	}
	assert_int_equal(k, 300);
	assert_int_equal(msg_bundle_next(&it, &type, &out), 0);
}

/* a full bundle says so; a cut, padded or lying bundle is refused, never overrun */
static void test_bundle_bad(void **state)
{
	static struct msg_bundle b;
	static uint8_t copy[RAC_MSG_HDR + MSG_BUNDLE_MAX];
	struct msg_hdr h = { .mh_sender = 1, .mh_cluster = cid };
	struct msg_bundle_iter it;
	struct msg_lk lk = { .lk_op = 1, .lk_namelen = LK_NAME_MAX, .lk_has_lvb = 1 }, out;
	uint16_t type;
	unsigned seed = 7;
	int n, rc, full = 0;

	(void)state;
	msg_bundle_init(&b);
	assert_int_equal(msg_bundle_add(&b, MSG_HEARTBEAT, &lk), RAC_ERANGE);
	while ((rc = msg_bundle_add(&b, MSG_LK_EVENT, &lk)) == 0)
		full++;
	assert_int_equal(rc, RAC_ERANGE);
	assert_true(full > 100);
	n = msg_bundle_seal(&b, &h);
	/* cut anywhere: the records before the cut decode, then an error */
	for (int cut = 0; cut < 2000; cut += 7) {
		int got = 0;

		if (msg_bundle_open(b.mb_buf + RAC_MSG_HDR, (size_t)cut, &it))
			continue;
		while ((rc = msg_bundle_next(&it, &type, &out)) == 1)
			got++;
		assert_true(rc < 0);
		assert_true(got < full);
	}
	/* trailing bytes after the last record */
	memcpy(copy, b.mb_buf, (size_t)n);
	assert_int_equal(msg_bundle_open(copy + RAC_MSG_HDR, (size_t)n - RAC_MSG_HDR + 1, &it), 0);
	while ((rc = msg_bundle_next(&it, &type, &out)) == 1)
		;
	assert_int_equal(rc, RAC_EMSG_TRAILING);
	/* random bytes: any outcome but a crash */
	for (int i = 0; i < 5000; i++) {
		size_t len = (size_t)(rand_r(&seed) % 600);

		for (size_t j = 0; j < len; j++)
			copy[j] = (uint8_t)rand_r(&seed);
		if (i % 2 && len > 4) {
			copy[0] = 0;
			copy[1] = 3;
			copy[2] = 0;
			copy[3] = MSG_GRD_OP;	/* plausible type, either byte order */
		}
		if (msg_bundle_open(copy, len, &it) == 0)
			while (msg_bundle_next(&it, &type, &out) == 1)
				;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_little_endian_on_the_wire),
		cmocka_unit_test(test_bad_bytes_refused),
		cmocka_unit_test(test_payload_decoder_bounds),
		cmocka_unit_test(test_random_bytes_never_crash),
		cmocka_unit_test(test_bundle_round_trip),
		cmocka_unit_test(test_bundle_bad),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
