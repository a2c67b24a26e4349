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
#include "rac.h"

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

/*
 * A header that decodes is one msg_encode_raw() makes: a payload longer
 * than RAC_MSG_MAX, which no sender can encode, is refused.
 */
static void test_payload_over_max(void **state)
{
	size_t len = RAC_MSG_HDR + RAC_MSG_MAX + 1;
	uint8_t *m = calloc(1, len), *body = calloc(1, len);
	struct msg_hdr h = { .mh_sender = 1, .mh_cluster = cid }, g;
	const uint8_t *p;

	(void)state;
	assert_non_null(m);
	assert_non_null(body);
	assert_int_equal(msg_encode_raw(m, len, &h, MSG_VIEW_SNAPSHOT, body, RAC_MSG_MAX + 1),
			 RAC_ERANGE);
	assert_int_equal(msg_encode_raw(m, len, &h, MSG_VIEW_SNAPSHOT, body, RAC_MSG_MAX),
			 (int)len - 1);
	assert_int_equal(msg_decode_hdr(m, len - 1, cid, &g, &p), 0);
	m[MSG_OFF_LENGTH] = 1;		/* length RAC_MSG_MAX + 1: 0x00010001 */
	assert_int_equal(msg_decode_hdr(m, len, cid, &g, &p), RAC_EMSG_LEN);
	free(m);
	free(body);
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
	assert_int_equal(msg_bundle_add(&b, MSG_HEARTBEAT, &lk), RAC_EINVAL);
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

/*
 * One odd answer costs nothing else: a 184-byte MSG_GRD_RESULT (header and
 * msg_lk) whose dubious (or has_lvb) flag is 2 is refused when decoded, and
 * a bundle will not take such a record, so that the answers queued with it
 * still reach their client.  Before, the decoder took the 2, LMS put it in
 * the client's bundle as it was, and the client's reader refused that
 * record and every one after it.
 */
static void test_lk_flags_refused(void **state)
{
	static struct msg_bundle b;
	struct msg_hdr h = { .mh_sender = 2, .mh_cluster = cid, .mh_seq = 5 }, g;
	struct msg_lk lk = { .lk_req = 11, .lk_namelen = 3, .lk_name = "abc", .lk_lkid = 9 };
	struct msg_lk good = lk, odd, out;
	struct msg_bundle_iter it;
	uint8_t m[RAC_MSG_HDR + MSG_LK_LEN];
	const uint8_t *p;
	uint16_t type;
	int n, k = 0;

	(void)state;
	for (int which = 0; which < 2; which++) {
		lk.lk_dubious = which == 0 ? 2 : 0;
		lk.lk_has_lvb = which == 1 ? 2 : 0;
		n = msg_encode_lk(m, sizeof(m), &h, MSG_GRD_RESULT, &lk);
		assert_int_equal(n, 184);
		assert_int_equal(msg_decode_hdr(m, (size_t)n, cid, &g, &p), 0);
		assert_int_equal(msg_decode_lk(p, g.mh_length, &out), RAC_EMSG_LEN);
		lk.lk_dubious = lk.lk_has_lvb = 1;
		n = msg_encode_lk(m, sizeof(m), &h, MSG_GRD_RESULT, &lk);
		assert_int_equal(msg_decode_lk(m + RAC_MSG_HDR, MSG_LK_LEN, &out), 0);
	}

	odd = good;
	odd.lk_dubious = 2;
	msg_bundle_init(&b);
	assert_int_equal(msg_bundle_add(&b, MSG_LK_REPLY, &good), 0);
	assert_int_equal(msg_bundle_add(&b, MSG_LK_REPLY, &odd), RAC_EINVAL);
	odd.lk_dubious = 0;
	odd.lk_has_lvb = 2;
	assert_int_equal(msg_bundle_add(&b, MSG_LK_EVENT, &odd), RAC_EINVAL);
	good.lk_req = 12;
	assert_int_equal(msg_bundle_add(&b, MSG_LK_EVENT, &good), 0);
	n = msg_bundle_seal(&b, &h);
	assert_int_equal(msg_decode_hdr(b.mb_buf, (size_t)n, cid, &g, &p), 0);
	assert_int_equal(msg_bundle_open(p, g.mh_length, &it), 0);
	while (msg_bundle_next(&it, &type, &out) == 1)
		assert_int_equal(out.lk_req, 11 + k++);
	assert_int_equal(k, 2);
	assert_int_equal(msg_bundle_next(&it, &type, &out), 0);
}

/*
 * A writer refuses what its reader refuses: an edge whose owner is not an
 * instance, a GES dump row with a flag, mode, state or instance out of its
 * range.  Otherwise one bad row would cost every row after it.
 */
static void test_writers_refuse_what_readers_refuse(void **state)
{
	struct msg_edge e[2] = { { 1, 10, 2, 20, 7 }, { 0, 11, 1, 10, 8 } };
	struct msg_ges_res r = { .gr_namelen = 1, .gr_name = "r", .gr_dubious = 2 };
	struct msg_ges_lock l = { .gl_namelen = 1, .gl_name = "r", .gl_owner_inst = 1,
				  .gl_grmode = LK_EX, .gl_rqmode = LK_EX, .gl_state = 3 };
	struct msg_ges_dump d;
	uint8_t b[256];
	uint32_t round, n;
	int len;

	(void)state;
	assert_int_equal(msg_edges_out(b, sizeof(b), 1, e, 2), RAC_EINVAL);
	len = msg_edges_out(b, sizeof(b), 1, e, 1);
	assert_int_equal(len, 8 + MSG_EDGE_LEN);
	assert_int_equal(msg_edges_open(b, (size_t)len, &round, &n), 0);
	b[8] = 0;				/* the waiter's instance */
	assert_int_equal(msg_edges_open(b, (size_t)len, &round, &n), RAC_EMSG_LEN);
	b[8] = RAC_MAX_INST + 1;
	assert_int_equal(msg_edges_open(b, (size_t)len, &round, &n), RAC_EMSG_LEN);

	msg_ges_dump_begin(&d, b, sizeof(b));
	assert_int_equal(msg_ges_dump_add_res(&d, &r), RAC_EINVAL);
	r.gr_dubious = 1;
	assert_int_equal(msg_ges_dump_add_res(&d, &r), 0);
	assert_int_equal(msg_ges_dump_add_lock(&d, &l), RAC_EINVAL);
	l.gl_state = LK_STATE_GRANTED;
	l.gl_owner_inst = 0;
	assert_int_equal(msg_ges_dump_add_lock(&d, &l), RAC_EINVAL);
	l.gl_owner_inst = 2;
	l.gl_rqmode = LK_NMODES;
	assert_int_equal(msg_ges_dump_add_lock(&d, &l), RAC_EINVAL);
	l.gl_rqmode = LK_EX;
	l.gl_blocked = 2;
	assert_int_equal(msg_ges_dump_add_lock(&d, &l), RAC_EINVAL);
	l.gl_blocked = 0;
	assert_int_equal(msg_ges_dump_add_lock(&d, &l), 0);
	assert_false(d.gd_truncated);
}

/* ---- the GES dump ---- */

/* golden bytes, written out by the layout of msg.h by hand, not by the cursor */
struct golden {
	uint8_t g_b[512];
	size_t g_n;
};

static void g_u8(struct golden *g, uint8_t v)
{
	g->g_b[g->g_n++] = v;
}

static void g_le(struct golden *g, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		g_u8(g, (uint8_t)(v >> (8 * i)));
}

static void g_raw(struct golden *g, const void *p, size_t n)
{
	memcpy(g->g_b + g->g_n, p, n);
	g->g_n += n;
}

static void ges_rows(struct msg_ges_res *r, struct msg_ges_lock *l1, struct msg_ges_lock *l2)
{
	memset(r, 0, sizeof(*r));
	r->gr_namelen = 5;
	memcpy(r->gr_name, "res_1", 5);
	r->gr_granted = 2;
	r->gr_converting = 0x01020304;
	r->gr_waiting = 7;
	r->gr_dubious = 1;
	for (int k = 0; k < LK_LVB_LEN; k++)
		r->gr_lvb[k] = (uint8_t)(0xa0 + k);
	memset(l1, 0, sizeof(*l1));
	l1->gl_namelen = 5;
	memcpy(l1->gl_name, "res_1", 5);
	l1->gl_lkid = 0x0102030405060708ull;
	l1->gl_owner_inst = 3;
	l1->gl_owner_client = 0xdeadbeef;
	l1->gl_owner_pid = 4242;
	l1->gl_grmode = LK_EX;
	l1->gl_rqmode = LK_EX;
	l1->gl_state = LK_STATE_GRANTED;
	*l2 = *l1;
	l2->gl_namelen = LK_NAME_MAX;
	memset(l2->gl_name, 'z', LK_NAME_MAX);
	l2->gl_lkid = 9;
	l2->gl_owner_pid = 0;
	l2->gl_grmode = LK_IV;
	l2->gl_rqmode = LK_PR;
	l2->gl_state = LK_STATE_WAITING;
	l2->gl_blocked = 1;
	l2->gl_blocker_inst = 32;
}

static void g_lock(struct golden *g, const struct msg_ges_lock *l)
{
	g_u8(g, l->gl_namelen);
	g_raw(g, l->gl_name, l->gl_namelen);
	g_le(g, l->gl_lkid, 8);
	g_u8(g, l->gl_owner_inst);
	g_le(g, l->gl_owner_client, 4);
	g_le(g, l->gl_owner_pid, 4);
	g_u8(g, (uint8_t)l->gl_grmode);
	g_u8(g, (uint8_t)l->gl_rqmode);
	g_u8(g, l->gl_state);
	g_u8(g, l->gl_blocked);
	g_u8(g, l->gl_blocker_inst);
}

/* the encoder writes exactly the documented bytes; the decoder gives the rows back */
static void test_ges_dump_bytes(void **state)
{
	static uint8_t out[1024];
	struct msg_ges_res r, rr;
	struct msg_ges_lock l1, l2, ll;
	struct msg_ges_dump d;
	struct msg_ges_iter it;
	struct golden g = { .g_n = 0 };
	size_t n;

	(void)state;
	ges_rows(&r, &l1, &l2);
	msg_ges_dump_begin(&d, out, sizeof(out));
	assert_int_equal(msg_ges_dump_add_res(&d, &r), 0);
	assert_int_equal(msg_ges_dump_add_lock(&d, &l1), 0);
	assert_int_equal(msg_ges_dump_add_lock(&d, &l2), 0);
	n = msg_ges_dump_finish(&d, 0x1234);	/* nothing left out: next is 0 */

	g_le(&g, 1, 4);			/* nres */
	g_le(&g, 2, 4);			/* nlocks */
	g_u8(&g, 0);			/* more */
	g_le(&g, 0, 8);			/* next */
	g_u8(&g, 5);
	g_raw(&g, "res_1", 5);
	g_raw(&g, "\x02\0\0\0" "\x04\x03\x02\x01" "\x07\0\0\0", 12);
	g_u8(&g, 1);
	g_raw(&g, r.gr_lvb, LK_LVB_LEN);
	g_u8(&g, 5);
	g_raw(&g, "res_1", 5);
	g_raw(&g, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
	g_u8(&g, 3);
	g_raw(&g, "\xef\xbe\xad\xde", 4);
	g_raw(&g, "\x92\x10\0\0", 4);	/* 4242 */
	g_raw(&g, "\x05\x05\x00\x00\x00", 5);
	g_lock(&g, &l2);
	assert_int_equal(g.g_n, MSG_GES_DUMP_HEAD + MSG_GES_RES_LEN(5) + MSG_GES_LOCK_LEN(5) +
			 MSG_GES_LOCK_LEN(LK_NAME_MAX));
	assert_int_equal(n, g.g_n);
	assert_memory_equal(out, g.g_b, g.g_n);
	assert_int_equal(out[n - 5], 0xff);	/* LK_IV as i8 */

	assert_int_equal(msg_ges_dump_open(out, n, &it), 0);
	assert_int_equal(it.gi_nres, 1);
	assert_int_equal(it.gi_nlocks, 2);
	assert_int_equal(it.gi_more, 0);
	assert_int_equal(it.gi_next, 0);
	assert_int_equal(msg_ges_dump_next_res(&it, &rr), 1);
	assert_memory_equal(&rr, &r, sizeof(r));
	assert_int_equal(msg_ges_dump_next_res(&it, &rr), 0);
	assert_int_equal(msg_ges_dump_next_lock(&it, &ll), 1);
	assert_memory_equal(&ll, &l1, sizeof(l1));
	assert_int_equal(msg_ges_dump_next_lock(&it, &ll), 1);
	assert_memory_equal(&ll, &l2, sizeof(l2));
	assert_int_equal(msg_ges_dump_next_lock(&it, &ll), 0);

	/* the locks without reading the resources: they are skipped */
	assert_int_equal(msg_ges_dump_open(out, n, &it), 0);
	assert_int_equal(msg_ges_dump_next_lock(&it, &ll), 1);
	assert_int_equal(ll.gl_lkid, l1.gl_lkid);

	/* an empty dump is its head alone */
	msg_ges_dump_begin(&d, out, sizeof(out));
	assert_int_equal(msg_ges_dump_finish(&d, 0), MSG_GES_DUMP_HEAD);
	assert_memory_equal(out, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", MSG_GES_DUMP_HEAD);
	assert_int_equal(msg_ges_dump_open(out, MSG_GES_DUMP_HEAD, &it), 0);
	assert_int_equal(msg_ges_dump_next_lock(&it, &ll), 0);

	assert_string_equal(msg_lk_mode_str(LK_NL), "NL");
	assert_string_equal(msg_lk_mode_str(LK_PW), "PW");
	assert_string_equal(msg_lk_mode_str(LK_EX), "EX");
	assert_null(msg_lk_mode_str(LK_IV));
	assert_null(msg_lk_mode_str(LK_NMODES));
}

/* a full page keeps a prefix and says where the next starts; bad rows are refused, never overrun */
static void test_ges_dump_bad(void **state)
{
	static uint8_t out[600], copy[600];
	struct msg_ges_res r, rr;
	struct msg_ges_lock l1, l2, ll;
	struct msg_ges_dump d;
	struct msg_ges_iter it;
	unsigned seed = 11;
	size_t n, lock_at;
	int nres = 0, rc;

	(void)state;
	ges_rows(&r, &l1, &l2);
	/* the limit counts the head: the row that does not fit, and all after it, are left out */
	msg_ges_dump_begin(&d, out, MSG_GES_DUMP_HEAD + 3 * MSG_GES_RES_LEN(5) + MSG_GES_LOCK_LEN(5));
	while ((rc = msg_ges_dump_add_res(&d, &r)) == 0)
		nres++;
	assert_int_equal(rc, RAC_ERANGE);
	assert_int_equal(nres, 3);
	/* room for a lock is left, but the page is full already */
	assert_int_equal(msg_ges_dump_add_lock(&d, &l1), RAC_ERANGE);
	n = msg_ges_dump_finish(&d, 0x0102030405060708ull);
	assert_int_equal(n, MSG_GES_DUMP_HEAD + 3 * MSG_GES_RES_LEN(5));
	assert_memory_equal(out, "\x03\0\0\0\0\0\0\0\x01\x08\x07\x06\x05\x04\x03\x02\x01",
			    MSG_GES_DUMP_HEAD);
	assert_int_equal(msg_ges_dump_open(out, n, &it), 0);
	assert_int_equal(it.gi_more, 1);
	assert_int_equal(it.gi_next, 0x0102030405060708ull);

	/* a resource after a lock, or a bad name length, is a caller's mistake */
	msg_ges_dump_begin(&d, out, sizeof(out));
	assert_int_equal(msg_ges_dump_add_lock(&d, &l1), 0);
	assert_int_equal(msg_ges_dump_add_res(&d, &r), RAC_EINVAL);
	l1.gl_namelen = 0;
	assert_int_equal(msg_ges_dump_add_lock(&d, &l1), RAC_EINVAL);
	l1.gl_namelen = LK_NAME_MAX + 1;
	assert_int_equal(msg_ges_dump_add_lock(&d, &l1), RAC_EINVAL);
	l1.gl_namelen = 5;

	/* one resource and one lock, then each field set out of its range */
	msg_ges_dump_begin(&d, out, sizeof(out));
	assert_int_equal(msg_ges_dump_add_res(&d, &r), 0);
	assert_int_equal(msg_ges_dump_add_lock(&d, &l1), 0);
	n = msg_ges_dump_finish(&d, 0);
	lock_at = MSG_GES_DUMP_HEAD + MSG_GES_RES_LEN(5);
	{
		static const struct { size_t off; uint8_t v; } bad[] = {
			{ 8, 2 },				/* more */
			{ 9, 1 },				/* a next without more */
			{ MSG_GES_DUMP_HEAD, 0 },		/* resource name empty */
			{ MSG_GES_DUMP_HEAD, LK_NAME_MAX + 1 },	/* ... too long */
			{ MSG_GES_DUMP_HEAD + 1 + 5 + 12, 2 },	/* dubious */
		};
		static const struct { size_t off; uint8_t v; } badlk[] = {
			{ 0, 0 }, { 0, LK_NAME_MAX + 1 },	/* name length */
			{ 1 + 5 + 8, 0 }, { 1 + 5 + 8, RAC_MAX_INST + 1 },	/* owner */
			{ 1 + 5 + 17, 6 }, { 1 + 5 + 17, 0xfe },	/* granted mode */
			{ 1 + 5 + 18, 6 },			/* requested mode */
			{ 1 + 5 + 19, 3 },			/* state */
			{ 1 + 5 + 20, 2 },			/* blocked */
			{ 1 + 5 + 21, RAC_MAX_INST + 1 },	/* blocker */
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memcpy(copy, out, n);
			copy[bad[i].off] = bad[i].v;
			rc = msg_ges_dump_open(copy, n, &it);
			if (rc == 0)
				rc = msg_ges_dump_next_res(&it, &rr);
			assert_int_equal(rc, RAC_EMSG_LEN);
			assert_int_equal(msg_ges_dump_next_lock(&it, &ll), 0);
		}
		for (size_t i = 0; i < sizeof(badlk) / sizeof(badlk[0]); i++) {
			memcpy(copy, out, n);
			copy[lock_at + badlk[i].off] = badlk[i].v;
			assert_int_equal(msg_ges_dump_open(copy, n, &it), 0);
			assert_int_equal(msg_ges_dump_next_res(&it, &rr), 1);
			assert_int_equal(msg_ges_dump_next_lock(&it, &ll), RAC_EMSG_LEN);
			assert_int_equal(msg_ges_dump_next_lock(&it, &ll), 0);
		}
	}
	/* cut anywhere: an error, never a row read past the end */
	for (size_t cut = 0; cut < n; cut++) {
		int got = 0;

		if (msg_ges_dump_open(out, cut, &it))
			continue;
		while ((rc = msg_ges_dump_next_lock(&it, &ll)) == 1)
			got++;
		assert_int_equal(rc, RAC_EMSG_LEN);
		assert_int_equal(got, 0);
	}
	/* trailing bytes after the last lock */
	memcpy(copy, out, n);
	assert_int_equal(msg_ges_dump_open(copy, n + 1, &it), 0);
	assert_int_equal(msg_ges_dump_next_lock(&it, &ll), 1);
	assert_int_equal(msg_ges_dump_next_lock(&it, &ll), RAC_EMSG_TRAILING);
	/* random bytes: any outcome but a crash */
	for (int i = 0; i < 5000; i++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(copy));

		for (size_t j = 0; j < len; j++)
			copy[j] = (uint8_t)rand_r(&seed);
		if (len > 8) {
			copy[0] = (uint8_t)(i % 3);
			copy[1] = copy[2] = copy[3] = 0;
			copy[4] = (uint8_t)(i % 5);
			copy[5] = copy[6] = copy[7] = 0;
			copy[8] = 0;
		}
		if (msg_ges_dump_open(copy, len, &it) == 0)
			while (msg_ges_dump_next_lock(&it, &ll) == 1)
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
		cmocka_unit_test(test_payload_over_max),
		cmocka_unit_test(test_random_bytes_never_crash),
		cmocka_unit_test(test_bundle_round_trip),
		cmocka_unit_test(test_bundle_bad),
		cmocka_unit_test(test_lk_flags_refused),
		cmocka_unit_test(test_writers_refuse_what_readers_refuse),
		cmocka_unit_test(test_ges_dump_bytes),
		cmocka_unit_test(test_ges_dump_bad),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
