/*
 * fuzz_bundle.c - bundles (MSG_LK_BUNDLE, lib/msg.c): msg_bundle_open and
 * msg_bundle_next, against msg_bundle_add and msg_bundle_seal.
 *
 * Input: a bundle's payload (u16 count, then the records).
 * Properties: every record msg_bundle_next gives, msg_bundle_add takes
 * (what one end decodes it can pass on: the bug where one record's flag
 * of 2 cost the rest of the bundle); the records given re-encode into a
 * bundle that gives the same records back; and a bundle read to its end
 * without error re-encodes to exactly the input.
 */
#include <string.h>

#include "errors.h"
#include "msg.h"
#include "fuzz.h"

#define MAXREC 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct msg_bundle b;
	static struct msg_lk recs[MAXREC];
	static uint16_t types[MAXREC];
	struct msg_hdr h = { .mh_sender = 1 }, g;
	struct msg_bundle_iter it;
	struct msg_lk lk;
	const uint8_t *p;
	uint16_t type;
	int rc, n = 0, k = 0, len;

	if (msg_bundle_open(data, size, &it))
		return 0;
	msg_bundle_init(&b);
	while ((rc = msg_bundle_next(&it, &type, &lk)) == 1) {
		FUZZ_CHECK(lk.lk_namelen <= LK_NAME_MAX);
		FUZZ_CHECK(msg_bundle_add(&b, type, &lk) == 0);
		if (n < MAXREC) {
			recs[n] = lk;
			types[n] = type;
		}
		n++;
	}
	FUZZ_CHECK(rc <= 0);
	h.mh_cluster = rac_msg_cluster_id(FUZZ_CLUSTER);
	len = msg_bundle_seal(&b, &h);
	FUZZ_CHECK(len >= RAC_MSG_HDR + 2);
	if (rc == 0) {
		/* the whole bundle was good: one encoding, the input's */
		FUZZ_CHECK((size_t)len - RAC_MSG_HDR == size);
		FUZZ_CHECK(!memcmp(b.mb_buf + RAC_MSG_HDR, data, size));
	}
	FUZZ_CHECK(msg_decode_hdr(b.mb_buf, (size_t)len, h.mh_cluster, &g, &p) == 0);
	FUZZ_CHECK(msg_bundle_open(p, g.mh_length, &it) == 0);
	while ((rc = msg_bundle_next(&it, &type, &lk)) == 1) {
		FUZZ_CHECK(k >= MAXREC || (type == types[k] && fuzz_lk_same(&lk, &recs[k])));
		k++;
	}
	FUZZ_CHECK(rc == 0 && k == n);
	return 0;
}
