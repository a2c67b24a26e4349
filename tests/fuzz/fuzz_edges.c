/*
 * fuzz_edges.c - wait-for edges (MSG_GRD_EDGES, lib/msg.c): msg_edges_open
 * and msg_edges_get, against msg_edges_out.
 *
 * Input: an edges payload (u32 round, u32 n, n edges).
 * Property: a payload that opens gives n edges, each between two
 * instances, that re-encode to exactly the input.
 */
#include <string.h>

#include "errors.h"
#include "fuzz.h"
#include "msg.h"
#include "rac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_edge *e;
	uint32_t round, n;
	uint8_t *out;
	int len;

	if (msg_edges_open(data, size, &round, &n))
		return 0;
	FUZZ_CHECK((size_t)n * MSG_EDGE_LEN + 8 == size);
	e = calloc(n ? n : 1, sizeof(*e));
	out = malloc(size);
	FUZZ_CHECK(e && out);
	for (uint32_t i = 0; i < n; i++) {
		msg_edges_get(data, i, &e[i]);
		FUZZ_CHECK(e[i].me_waiter_inst >= 1 && e[i].me_waiter_inst <= RAC_MAX_INST);
		FUZZ_CHECK(e[i].me_holder_inst >= 1 && e[i].me_holder_inst <= RAC_MAX_INST);
	}
	len = msg_edges_out(out, size, round, e, n);
	FUZZ_CHECK(len == (int)size && !memcmp(out, data, size));
	free(e);
	free(out);
	return 0;
}
