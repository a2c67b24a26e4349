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
			memcpy(buf, "RACM\x01\x00", 6);	/* get past magic and version */
		if (msg_decode_hdr(buf, n, cid, &h, &p) == 0) {
			struct msg_heartbeat hb;

			(void)msg_decode_heartbeat(p, h.mh_length, &hb);
		}
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
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
