/*
 * gen_corpus.c - writes the seed corpora of tests/fuzz/corpus/ (make
 * fuzz-corpus): a few valid encodings per harness, made by the encoders
 * themselves, and the hand-made bad inputs that once broke a decoder.
 * The files are checked in; run this again only when a format changes.
 *
 *   gen_corpus DIR     writes DIR/<harness>/<name>
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "disk.h"
#include "errors.h"
#include "msg.h"
#include "zmtp.h"

static const char *root;
static uint64_t cid;

static void put(const char *harness, const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, harness);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", root, harness, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* mode byte, then bytes */
static void put_mode(const char *harness, const char *name, uint8_t mode, const void *p, size_t n)
{
	static uint8_t b[65536 + 1];

	b[0] = mode;
	if (n)
		memcpy(b + 1, p, n);
	put(harness, name, b, n + 1);
}

static struct msg_lk lk_sample(uint32_t req, int lvb)
{
	struct msg_lk lk = { .lk_op = LK_OP_LOCK, .lk_req = req, .lk_mode = LK_PR,
			     .lk_flags = LK_FASTOK, .lk_timeout_ms = 1000, .lk_owner_client = 3,
			     .lk_owner_pid = 4242, .lk_lkid = 0x0100000000000007ull + req,
			     .lk_namelen = 6, .lk_has_lvb = (uint8_t)lvb };

	memcpy(lk.lk_name, "res-01", 6);
	if (lvb)
		memset(lk.lk_lvb, 0xab, LK_LVB_LEN);
	return lk;
}

/*
 * The bad bundle of issue 16, as a whole 184-byte MSG_LK_BUNDLE: two
 * answers, the second with dubious 2.  Made from a good bundle with the
 * byte set by hand, since msg_bundle_add no longer makes it.
 */
static size_t bad_bundle(uint8_t *out)
{
	static struct msg_bundle b;
	struct msg_hdr h = { .mh_sender = 2, .mh_cluster = cid, .mh_seq = 1 };
	struct msg_lk lk = lk_sample(1, 0);
	size_t rec2;
	int n;

	lk.lk_op = 0;
	lk.lk_namelen = 21;
	memcpy(lk.lk_name, "a-resource-of-21-byte", 21);
	msg_bundle_init(&b);
	msg_bundle_add(&b, MSG_LK_REPLY, &lk);
	rec2 = b.mb_len;
	lk.lk_req = 2;
	msg_bundle_add(&b, MSG_LK_REPLY, &lk);
	n = msg_bundle_seal(&b, &h);
	/* record 2: u16 type, 44 fixed bytes, u16 namelen, name, has_lvb, dubious */
	b.mb_buf[rec2 + 2 + 44 + 2 + 21 + 1] = 2;
	memcpy(out, b.mb_buf, (size_t)n);
	return (size_t)n;
}

static void gen_msg(void)
{
	uint8_t m[RAC_MSG_HDR + MSG_LK_LEN];
	struct msg_hdr h = { .mh_sender = 2, .mh_cluster = cid, .mh_incarnation = 3, .mh_seq = 9 };
	struct msg_heartbeat hb = { .hb_state = 3, .hb_peers = 3, .hb_members = 3,
				    .hb_sent_us = 1700000000000000ull, .hb_disks = 3 };
	struct msg_lk lk = lk_sample(7, 1);
	int n;

	n = msg_encode_heartbeat(m, sizeof(m), &h, &hb);
	put("fuzz_msg", "heartbeat", m, (size_t)n);
	n = msg_encode_lk(m, sizeof(m), &h, MSG_GRD_OP, &lk);
	put("fuzz_msg", "grd_op", m, (size_t)n);
	h.mh_sender = 0;
	n = msg_encode_lk(m, sizeof(m), &h, MSG_LK_REQUEST, &lk);
	put("fuzz_msg", "lk_request", m, (size_t)n);
	n = msg_encode_raw(m, sizeof(m), &h, MSG_VIEW_REQUEST, NULL, 0);
	put("fuzz_msg", "view_request", m, (size_t)n);
	/* issue 16: a 184-byte answer whose dubious flag is 2 */
	h.mh_sender = 2;
	lk.lk_status = LK_ST_GRANTED;
	lk.lk_dubious = 2;
	n = msg_encode_lk(m, sizeof(m), &h, MSG_GRD_RESULT, &lk);
	put("fuzz_msg", "bad_grd_result_dubious2_184", m, (size_t)n);
}

static void gen_bundle(void)
{
	static struct msg_bundle b;
	struct msg_hdr h = { .mh_sender = 1, .mh_cluster = cid };
	uint8_t bad[256];
	size_t n;

	msg_bundle_init(&b);
	msg_bundle_seal(&b, &h);
	put("fuzz_bundle", "empty", b.mb_buf + RAC_MSG_HDR, b.mb_len - RAC_MSG_HDR);
	for (uint32_t i = 0; i < 3; i++) {
		struct msg_lk lk = lk_sample(i, (int)(i & 1));

		msg_bundle_add(&b, i == 2 ? MSG_LK_EVENT : MSG_LK_REPLY, &lk);
	}
	msg_bundle_seal(&b, &h);
	put("fuzz_bundle", "three", b.mb_buf + RAC_MSG_HDR, b.mb_len - RAC_MSG_HDR);
	n = bad_bundle(bad);
	put("fuzz_bundle", "bad_dubious2_184", bad + RAC_MSG_HDR, n - RAC_MSG_HDR);
	put("fuzz_msg", "bad_bundle_184", bad, n);
}

static void gen_edges(void)
{
	struct msg_edge e[2] = { { 1, 10, 2, 20, 0x0100000000000001ull },
				 { 2, 21, 1, 10, 0x0200000000000002ull } };
	uint8_t b[64];
	int n = msg_edges_out(b, sizeof(b), 5, e, 2);

	put("fuzz_edges", "two", b, (size_t)n);
	n = msg_edges_out(b, sizeof(b), 6, e, 0);
	put("fuzz_edges", "none", b, (size_t)n);
	n = msg_edges_out(b, sizeof(b), 5, e, 2);
	b[8] = 0;	/* a waiter that is no instance: refused */
	put("fuzz_edges", "refused_waiter_inst_0", b, (size_t)n);
}

static size_t ges_sample(uint8_t *b, size_t max, bool trunc)
{
	struct msg_ges_dump d;
	struct msg_ges_res r = { .gr_namelen = 6, .gr_granted = 1, .gr_waiting = 1, .gr_dubious = 1 };
	struct msg_ges_lock l = { .gl_namelen = 6, .gl_lkid = 0x0100000000000001ull,
				  .gl_owner_inst = 1, .gl_owner_client = 3, .gl_owner_pid = 99,
				  .gl_grmode = LK_EX, .gl_rqmode = LK_EX };

	memcpy(r.gr_name, "res-01", 6);
	memcpy(l.gl_name, "res-01", 6);
	msg_ges_dump_begin(&d, b, max);
	msg_ges_dump_add_res(&d, &r);
	r.gr_name[5] = '2';
	r.gr_dubious = 0;
	msg_ges_dump_add_res(&d, &r);
	msg_ges_dump_add_lock(&d, &l);
	l.gl_lkid++;
	l.gl_owner_inst = 2;
	l.gl_grmode = LK_IV;
	l.gl_rqmode = LK_PR;
	l.gl_state = LK_STATE_WAITING;
	l.gl_blocked = 1;
	l.gl_blocker_inst = 1;
	msg_ges_dump_add_lock(&d, &l);
	if (trunc)
		d.gd_truncated = 1;
	return msg_ges_dump_finish(&d, trunc ? 0x4000000000000012ull : 0);
}

static void gen_ges(void)
{
	uint8_t b[1024], m[RAC_MSG_HDR + 1024];
	struct msg_hdr h = { .mh_sender = 1, .mh_cluster = cid };
	size_t n = ges_sample(b, sizeof(b), false);
	int k;

	put("fuzz_ges", "two_and_two", b, n);
	put("fuzz_ges", "truncated", b, ges_sample(b, sizeof(b), true));
	n = ges_sample(b, sizeof(b), false);
	k = msg_encode_raw(m, sizeof(m), &h, MSG_GES_DUMP, b, n);
	put_mode("fuzz_gv", "ges_dump", 2, m, (size_t)k);
}

static void gen_gv(void)
{
	static const uint8_t patch[] = { 0x30, 0x00, 0x02, 0x44, 0x00, 0xff };

	put_mode("fuzz_gv", "good_snapshot", 1, NULL, 0);
	put_mode("fuzz_gv", "patched_snapshot", 1, patch, sizeof(patch));
}

static void block(uint8_t *blk, uint16_t type, const void *rec, size_t (*out)(const void *, uint8_t *))
{
	struct blk_hdr h = { .bh_type = type, .bh_writer = 1, .bh_incarnation = 3, .bh_sequence = 7 };
	uint8_t p[RAC_BLK_PAYLOAD];
	size_t n = out(rec, p);

	blk_encode(blk, &h, p, n);
}

#define OUT(fn) ((size_t (*)(const void *, uint8_t *))(fn))

static void gen_disk(void)
{
	static uint8_t ctl[7][RAC_BLK_SIZE], vote[5][RAC_BLK_SIZE];
	struct ctl_header ch = { .ch_max_inst = RAC_MAX_INST, .ch_ninst = 2, .ch_nvoting = 1,
				 .ch_format_us = 1700000000000000ull, .ch_cluster_id = 0x1234 };
	struct ctl_membership ms = { .ms_bitmap = 3, .ms_valid = 1, .ms_incarnation = 3,
				     .ms_control = 1 };
	struct ctl_cfvrr vr = { .vr_seq = 4, .vr_result = 3, .vr_result_writer = 1,
				.vr_incarnation = 3, .vr_control = 1 };
	struct ctl_ckpt ck = { .ck_inst = 1, .ck_pid = 100, .ck_count = 5,
			       .ck_time_us = 1700000000000000ull };
	struct ctl_vote cv = { .cv_inst = 1, .cv_seq = 4, .cv_bitmap = 3,
			       .cv_time_us = 1700000000000000ull, .cv_break = 2 };
	struct vote_header vh = { .vh_disk = 1, .vh_format_us = 1700000000000000ull,
				  .vh_cluster_id = 0x1234 };
	struct vote_hb hb = { .hb_inst = 1, .hb_state = 1, .hb_counter = 9,
			      .hb_time_us = 1700000000000000ull, .hb_peers = 3, .hb_life = 77 };
	struct vote_kill kb = { .kb_target = 2, .kb_issuer = 1, .kb_target_inc = 3,
				.kb_time_us = 1700000000000000ull, .kb_target_life = 78 };
	static const char *names[] = { "ctl_header", "membership", "cfvrr", "ckpt1", "ckpt2",
				       "vote1", "vote2" };
	uint8_t p[RAC_BLK_PAYLOAD + 1];
	uint8_t all[7 * RAC_BLK_SIZE];
	size_t n;

	strcpy(ch.ch_cluster, "demo");
	strcpy(vh.vh_cluster, "demo");
	strcpy(kb.kb_reason, "missed network heartbeats");
	vr.vr_vote_seq[0] = vr.vr_vote_seq[1] = 4;
	vr.vr_vote[0] = vr.vr_vote[1] = 3;
	block(ctl[0], BLK_CTL_HEADER, &ch, OUT(ctl_header_out));
	block(ctl[1], BLK_MEMBERSHIP, &ms, OUT(ctl_membership_out));
	block(ctl[2], BLK_CFVRR, &vr, OUT(ctl_cfvrr_out));
	block(ctl[3], BLK_CKPT_PROGRESS, &ck, OUT(ctl_ckpt_out));
	ck.ck_inst = 2;
	block(ctl[4], BLK_CKPT_PROGRESS, &ck, OUT(ctl_ckpt_out));
	block(ctl[5], BLK_VOTE, &cv, OUT(ctl_vote_out));
	cv.cv_inst = 2;
	block(ctl[6], BLK_VOTE, &cv, OUT(ctl_vote_out));
	block(vote[0], BLK_VOTE_HEADER, &vh, OUT(vote_header_out));
	block(vote[1], BLK_HEARTBEAT, &hb, OUT(vote_hb_out));
	block(vote[2], BLK_KILL, &kb, OUT(vote_kill_out));
	hb.hb_inst = 2;
	block(vote[3], BLK_HEARTBEAT, &hb, OUT(vote_hb_out));
	kb.kb_target = 0;
	block(vote[4], BLK_KILL, &kb, OUT(vote_kill_out));

	for (int i = 0; i < 7; i++)
		put_mode("fuzz_disk", names[i], 0, ctl[i], RAC_BLK_SIZE);
	put_mode("fuzz_disk", "vote_header", 0, vote[0], RAC_BLK_SIZE);
	put_mode("fuzz_disk", "heartbeat", 0, vote[1], RAC_BLK_SIZE);
	put_mode("fuzz_disk", "kill", 0, vote[2], RAC_BLK_SIZE);
	/* a heartbeat of the older, shorter form: decodes with life 0 */
	p[0] = BLK_HEARTBEAT;
	n = vote_hb_out(&hb, p + 1);
	put_mode("fuzz_disk", "payload_heartbeat_v1", 2, p, 1 + n - 8);
	p[0] = BLK_KILL;
	n = vote_kill_out(&kb, p + 1);
	put_mode("fuzz_disk", "payload_kill", 2, p, 1 + n);

	/* regressions: what fuzz_disk found would not re-encode to itself */
	p[0] = BLK_CTL_HEADER;
	n = ctl_header_out(&ch, p + 1);
	memset(p + 1, 'Z', RAC_CLUSTER_MAX);
	put_mode("fuzz_disk", "regress_header_name_unterminated", 2, p, 1 + n);
	p[0] = BLK_KILL;
	n = vote_kill_out(&kb, p + 1);
	p[1 + 2 * 4 + 2 * 8 + 40] = 'x';	/* after the reason's NUL */
	put_mode("fuzz_disk", "regress_kill_reason_stray_byte", 2, p, 1 + n);
	memcpy(all, ctl[3], RAC_BLK_SIZE);
	all[RAC_BLK_HDR + 40] = 1;		/* after the checkpoint payload */
	put_mode("fuzz_disk", "regress_block_tail_not_zero", 1, all, RAC_BLK_SIZE);
	memcpy(all, ctl[3], RAC_BLK_SIZE);
	all[36] = 1;				/* the reserved header field */
	put_mode("fuzz_disk", "regress_block_reserved_not_zero", 1, all, RAC_BLK_SIZE);
	memcpy(all, ctl[3], RAC_BLK_SIZE);
	all[4] = 0;				/* type 0 */
	put_mode("fuzz_disk", "regress_block_type_0", 1, all, RAC_BLK_SIZE);

	memcpy(all, ctl, sizeof(all));
	put_mode("fuzz_ctl_dump", "control_good", 0, all, sizeof(all));
	all[3 * RAC_BLK_SIZE + 100] ^= 1;	/* a bad CRC in checkpoint record 1 */
	put_mode("fuzz_ctl_dump", "control_bad_crc", 0, all, sizeof(all));
	put_mode("fuzz_ctl_dump", "control_short", 4, all, 2 * RAC_BLK_SIZE + 100);
	memcpy(all, vote, sizeof(vote));
	put_mode("fuzz_ctl_dump", "vote_good", 2, all, sizeof(vote));
}

/* ZMTP: greeting and READY, then `msgs` as frames (a long frame past 255 bytes) */
static size_t zmtp_stream(uint8_t *b, const char *type, bool empty_id, const char *ident,
			  const uint8_t *const *msgs, const size_t *lens, int n)
{
	size_t off = zmtp_hello(b, type, empty_id);

	if (ident) {
		/* replace the READY with one that carries an Identity */
		uint8_t *p = b + ZMTP_GREETING;

		p[0] = ZMTP_COMMAND;
		p[2] = 5;
		memcpy(p + 3, "READY", 5);
		uint8_t *q = zmtp_prop(p + 8, "Socket-Type", type, strlen(type));
		q = zmtp_prop(q, "Identity", ident, strlen(ident));
		p[1] = (uint8_t)(q - p - 2);
		off = (size_t)(q - b);
	}
	for (int i = 0; i < n; i++) {
		if (lens[i] > 255) {
			b[off++] = ZMTP_LONG;
			for (int k = 7; k >= 0; k--)
				b[off++] = (uint8_t)((uint64_t)lens[i] >> (8 * k));
		} else {
			b[off++] = 0;
			b[off++] = (uint8_t)lens[i];
		}
		memcpy(b + off, msgs[i], lens[i]);
		off += lens[i];
	}
	return off;
}

static void gen_zmtp(void)
{
	static struct msg_bundle bb;
	static uint8_t s[8192];
	uint8_t reply[RAC_MSG_HDR + MSG_LK_LEN], req[RAC_MSG_HDR + MSG_LK_LEN], bad[256];
	struct msg_hdr h = { .mh_sender = 0, .mh_cluster = cid };
	struct msg_lk lk = lk_sample(1, 1);
	const uint8_t *msgs[3];
	size_t lens[3], n;

	lens[0] = (size_t)msg_encode_lk(reply, sizeof(reply), &h, MSG_LK_REPLY, &lk);
	msg_bundle_init(&bb);
	msg_bundle_add(&bb, MSG_LK_REPLY, &lk);
	lk.lk_event = LK_EV_BLOCKING;
	msg_bundle_add(&bb, MSG_LK_EVENT, &lk);
	lens[1] = (size_t)msg_bundle_seal(&bb, &h);
	lens[2] = bad_bundle(bad);
	msgs[0] = reply;
	msgs[1] = bb.mb_buf;
	msgs[2] = bad;
	n = zmtp_stream(s, "ROUTER", false, NULL, msgs, lens, 3);
	put_mode("fuzz_zmtp_client", "lms_stream", 0, s, n);
	put_mode("fuzz_zmtp_client", "lms_stream_pieces", 6, s, n);

	lens[0] = (size_t)msg_encode_lk(req, sizeof(req), &h, MSG_LK_REQUEST, &lk);
	msgs[0] = req;
	n = zmtp_stream(s, "DEALER", true, NULL, msgs, lens, 2);
	put_mode("fuzz_zmtp_srv", "dealer_stream", 0, s, n);
	put_mode("fuzz_zmtp_srv", "dealer_stream_pieces", 6, s, n);
	n = zmtp_stream(s, "DEALER", false, "client-7", msgs, lens, 1);
	put_mode("fuzz_zmtp_srv", "dealer_identity", 0, s, n);
}

static void gen_config(void)
{
	static const char ini[] =
		"[cluster]\n"
		"name = demo ; the cluster\n"
		"shared_disk = racdata/shared\n"
		"heartbeat_interval_ms = 100\n"
		"\n"
		"[instance1]\n"
		"lmon_endpoint = tcp://127.0.0.1:7101\n"
		"lms_endpoint = tcp://127.0.0.1:7201\n"
		"\n"
		"[instance2]\n"
		"name = rac2\n"
		"lmon_endpoint = tcp://127.0.0.1:7102\n"
		"lms_endpoint = tcp://127.0.0.1:7202\n";
	static const char dup[] =
		"[cluster]\n"
		"[instance1]\nlmon_endpoint = tcp://127.0.0.1:7101\nlms_endpoint = tcp://127.0.0.1:7201\n"
		"[instance01]\nlmon_endpoint = tcp://127.0.0.1:7102\nlms_endpoint = tcp://127.0.0.1:7202\n";

	put("fuzz_config", "two_instances", ini, sizeof(ini) - 1);
	put("fuzz_config", "same_instance_twice", dup, sizeof(dup) - 1);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	root = argv[1];
	mkdir(root, 0755);
	cid = rac_msg_cluster_id("demo");
	gen_msg();
	gen_bundle();
	gen_edges();
	gen_ges();
	gen_gv();
	gen_disk();
	gen_zmtp();
	gen_config();
	return 0;
}
