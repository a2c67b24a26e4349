/*
 * fuzz_ges.c - the GES dump (MSG_GES_DUMP, lib/msg.c): msg_ges_dump_open,
 * _next_res and _next_lock, against _begin, _add_res, _add_lock, _finish.
 *
 * Input: a dump's payload.
 * Properties: every row the reader gives, the writer takes; the rows
 * read as racsql's two views read them (v$ges_resource: resources only;
 * v$ges_enqueue: locks, the resources skipped) agree with one full read;
 * and a page read to its end without error re-encodes to exactly the
 * input, its more flag and next position included.
 */
#include <string.h>

#include "errors.h"
#include "fuzz.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_ges_iter it, it2;
	struct msg_ges_dump d;
	struct msg_ges_res r;
	struct msg_ges_lock l;
	uint32_t nres = 0, nlocks = 0, nlocks2 = 0;
	uint8_t *out;
	int rc, rc2;

	if (msg_ges_dump_open(data, size, &it))
		return 0;
	out = malloc(size > MSG_GES_DUMP_HEAD ? size : MSG_GES_DUMP_HEAD);
	FUZZ_CHECK(out);
	msg_ges_dump_begin(&d, out, size);
	while ((rc = msg_ges_dump_next_res(&it, &r)) == 1) {
		FUZZ_CHECK(r.gr_namelen >= 1 && r.gr_namelen <= LK_NAME_MAX && r.gr_dubious <= 1);
		FUZZ_CHECK(msg_ges_dump_add_res(&d, &r) == 0);
		nres++;
	}
	if (rc == 0) {
		while ((rc = msg_ges_dump_next_lock(&it, &l)) == 1) {
			FUZZ_CHECK(msg_ges_dump_add_lock(&d, &l) == 0);
			nlocks++;
		}
	}
	FUZZ_CHECK(rc <= 0 && nres <= it.gi_nres && nlocks <= it.gi_nlocks);
	if (rc == 0) {
		FUZZ_CHECK(nres == it.gi_nres && nlocks == it.gi_nlocks);
		d.gd_truncated = it.gi_more;
		FUZZ_CHECK(msg_ges_dump_finish(&d, it.gi_next) == size);
		FUZZ_CHECK(!memcmp(out, data, size));
	}

	/* v$ges_enqueue's read: straight to the locks */
	FUZZ_CHECK(msg_ges_dump_open(data, size, &it2) == 0);
	while ((rc2 = msg_ges_dump_next_lock(&it2, &l)) == 1)
		nlocks2++;
	FUZZ_CHECK(nlocks2 == nlocks);
	FUZZ_CHECK((rc == 0) == (rc2 == 0));
	free(out);
	return 0;
}
