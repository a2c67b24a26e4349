/*
 * fuzz_disk.c - every disk record (lib/disk_block.c): blk_decode and each
 * payload's *_in, against blk_encode and *_out.
 *
 * Input: one mode byte, then
 *   0  a block as read from disk (cut or zero-padded to 512 bytes)
 *   1  the same, with its CRC set right by the harness (so that the
 *      fuzzer reaches the fields behind it)
 *   2  a type byte (BLK_*), then a payload for that type's decoder alone
 * Properties: a block that decodes re-encodes (blk_encode with its header
 * fields and payload) to exactly the input block; a payload that decodes
 * re-encodes to a payload that decodes to the same record, and to exactly
 * the input when it has the current length (an older, shorter form
 * re-encodes as the current one).
 */
#include <string.h>

#include "disk.h"
#include "errors.h"
#include "fuzz.h"

union rec {
	struct ctl_header ch;
	struct ctl_membership ms;
	struct ctl_cfvrr vr;
	struct ctl_ckpt ck;
	struct vote_header vh;
	struct vote_hb hb;
	struct vote_kill kb;
	struct ctl_vote cv;
	struct ctl_claim fc;
	struct ctl_config cg;
};

/* decode `p` as a payload of `type` into r: the decoder's result, or 1 for no such type */
static int rec_in(uint16_t type, const uint8_t *p, size_t len, union rec *r)
{
	memset(r, 0, sizeof(*r));
	switch (type) {
	case BLK_CTL_HEADER: return ctl_header_in(p, len, &r->ch);
	case BLK_MEMBERSHIP: return ctl_membership_in(p, len, &r->ms);
	case BLK_CFVRR: return ctl_cfvrr_in(p, len, &r->vr);
	case BLK_CKPT_PROGRESS: return ctl_ckpt_in(p, len, &r->ck);
	case BLK_VOTE_HEADER: return vote_header_in(p, len, &r->vh);
	case BLK_HEARTBEAT: return vote_hb_in(p, len, &r->hb);
	case BLK_KILL: return vote_kill_in(p, len, &r->kb);
	case BLK_VOTE: return ctl_vote_in(p, len, &r->cv);
	case BLK_FORMAT_CLAIM: return ctl_claim_in(p, len, &r->fc);
	case BLK_CLUSTER_CONFIG: return ctl_config_in(p, len, &r->cg);
	}
	return 1;
}

static size_t rec_out(uint16_t type, const union rec *r, uint8_t *p)
{
	switch (type) {
	case BLK_CTL_HEADER: return ctl_header_out(&r->ch, p);
	case BLK_MEMBERSHIP: return ctl_membership_out(&r->ms, p);
	case BLK_CFVRR: return ctl_cfvrr_out(&r->vr, p);
	case BLK_CKPT_PROGRESS: return ctl_ckpt_out(&r->ck, p);
	case BLK_VOTE_HEADER: return vote_header_out(&r->vh, p);
	case BLK_HEARTBEAT: return vote_hb_out(&r->hb, p);
	case BLK_KILL: return vote_kill_out(&r->kb, p);
	case BLK_VOTE: return ctl_vote_out(&r->cv, p);
	case BLK_FORMAT_CLAIM: return ctl_claim_out(&r->fc, p);
	case BLK_CLUSTER_CONFIG: return ctl_config_out(&r->cg, p);
	}
	return 0;
}

static void payload_round_trip(uint16_t type, const uint8_t *p, size_t len)
{
	uint8_t out[RAC_BLK_PAYLOAD];
	union rec r, back;
	size_t n;
	int rc;

	rc = rec_in(type, p, len, &r);
	if (rc)
		return;
	n = rec_out(type, &r, out);
	FUZZ_CHECK(n > 0 && n <= RAC_BLK_PAYLOAD);
	FUZZ_CHECK(rec_in(type, out, n, &back) == 0);
	FUZZ_CHECK(!memcmp(&r, &back, sizeof(r)));
	if (n == len)
		FUZZ_CHECK(!memcmp(out, p, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t blk[RAC_BLK_SIZE], again[RAC_BLK_SIZE];
	const uint8_t *p;
	struct blk_hdr h;
	char why[256];
	int rc;

	if (size < 1)
		return 0;
	if (data[0] == 2) {
		if (size < 2)
			return 0;
		payload_round_trip(data[1], data + 2, size - 2);
		return 0;
	}
	memset(blk, 0, sizeof(blk));
	memcpy(blk, data + 1, size - 1 < sizeof(blk) ? size - 1 : sizeof(blk));
	if (data[0] == 1) {
		uint32_t crc = blk_crc(blk);

		for (int i = 0; i < 4; i++)
			blk[32 + i] = (uint8_t)(crc >> (8 * i));
	}
	rc = blk_decode(blk, 0, &h, &p);
	blk_explain(blk, rc, 0, why, sizeof(why));
	if (rc)
		return 0;
	FUZZ_CHECK(p == blk + RAC_BLK_HDR && h.bh_length <= RAC_BLK_PAYLOAD);
	FUZZ_CHECK(blk_encode(again, &h, p, h.bh_length) == 0);
	FUZZ_CHECK(!memcmp(again, blk, sizeof(blk)));
	rc = rec_in(h.bh_type, p, h.bh_length, &(union rec){ 0 });
	blk_explain(blk, rc, h.bh_type, why, sizeof(why));
	payload_round_trip(h.bh_type, p, h.bh_length);
	return 0;
}
