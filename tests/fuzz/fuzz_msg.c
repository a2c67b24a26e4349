/*
 * fuzz_msg.c - the message header and the fixed-size payloads (lib/msg.c):
 * msg_decode_hdr, msg_decode_lk, msg_decode_heartbeat.
 *
 * Input: one whole message as a receiver gets it (header and payload).
 * Property: a header that decodes re-encodes (msg_encode_raw) to the same
 * bytes; a msg_lk or heartbeat payload that decodes re-encodes
 * (msg_encode_lk, msg_encode_heartbeat) to the same message; and a msg_lk
 * that decodes is one a bundle takes and gives back unchanged.
 */
#include <string.h>

#include "errors.h"
#include "msg.h"
#include "fuzz.h"

static void lk_round_trip(const uint8_t *data, size_t size, const struct msg_hdr *h,
			  const uint8_t *p)
{
	static struct msg_bundle b;
	uint8_t out[RAC_MSG_HDR + MSG_LK_LEN];
	struct msg_hdr eh = *h, bh = *h, g;
	struct msg_bundle_iter it;
	struct msg_lk lk, back;
	const uint8_t *bp;
	uint16_t type;
	int n;

	if (msg_decode_lk(p, h->mh_length, &lk))
		return;
	n = msg_encode_lk(out, sizeof(out), &eh, h->mh_type, &lk);
	FUZZ_CHECK(n == (int)size && !memcmp(out, data, size));

	/* the compact form of a bundle carries what matters of it */
	msg_bundle_init(&b);
	FUZZ_CHECK(msg_bundle_add(&b, h->mh_type, &lk) == 0);
	n = msg_bundle_seal(&b, &bh);
	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(msg_decode_hdr(b.mb_buf, (size_t)n, h->mh_cluster, &g, &bp) == 0);
	FUZZ_CHECK(msg_bundle_open(bp, g.mh_length, &it) == 0);
	FUZZ_CHECK(msg_bundle_next(&it, &type, &back) == 1);
	FUZZ_CHECK(type == h->mh_type);
	FUZZ_CHECK(fuzz_lk_same(&back, &lk));
	FUZZ_CHECK(msg_bundle_next(&it, &type, &back) == 0);
}

static void hb_round_trip(const uint8_t *data, size_t size, const struct msg_hdr *h,
			  const uint8_t *p)
{
	uint8_t out[RAC_MSG_HDR + MSG_HEARTBEAT_LEN];
	struct msg_heartbeat hb;
	struct msg_hdr eh = *h;
	int n;

	if (msg_decode_heartbeat(p, h->mh_length, &hb))
		return;
	n = msg_encode_heartbeat(out, sizeof(out), &eh, &hb);
	FUZZ_CHECK(n == (int)size && !memcmp(out, data, size));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t cid;
	const struct msg_type_info *t;
	const uint8_t *p;
	struct msg_hdr h, eh;
	uint8_t *out;
	int n;

	if (!cid)
		cid = rac_msg_cluster_id(FUZZ_CLUSTER);
	if (msg_decode_hdr(data, size, cid, &h, &p))
		return 0;
	t = msg_type_info(h.mh_type);
	FUZZ_CHECK(t && p == data + RAC_MSG_HDR && h.mh_length <= RAC_MSG_MAX);

	out = malloc(size);
	FUZZ_CHECK(out);
	eh = h;
	n = msg_encode_raw(out, size, &eh, h.mh_type, p, h.mh_length);
	FUZZ_CHECK(n == (int)size && !memcmp(out, data, size));
	free(out);

	if (t->mt_len == MSG_LK_LEN)
		lk_round_trip(data, size, &h, p);
	else if (h.mh_type == MSG_HEARTBEAT)
		hb_round_trip(data, size, &h, p);
	return 0;
}
