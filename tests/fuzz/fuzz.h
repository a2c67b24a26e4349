/*
 * fuzz.h - what every libFuzzer harness in tests/fuzz/ shares.
 *
 * A harness feeds one input to one decoder of outside bytes and checks,
 * besides "no crash, no leak, no undefined behaviour" (ASan, UBSan), the
 * property every decoder owes: what it accepts it can re-encode, to the
 * same bytes where the format has one encoding.  A broken property is a
 * crash (FUZZ_CHECK aborts), so libFuzzer keeps the input that shows it.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined (Makefile: make
 * fuzz); run by tests/fuzz/run.sh.
 */
#ifndef RAC_FUZZ_H
#define RAC_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__,	\
				__LINE__, #cond);				\
			abort();						\
		}								\
	} while (0)

/* the cluster every harness's messages belong to (the seeds use it too) */
#define FUZZ_CLUSTER "demo"

#ifdef RAC_MSG_H
#include <string.h>
/* two msg_lk the same, field by field (the struct has padding), as a bundle carries them */
static inline bool fuzz_lk_same(const struct msg_lk *a, const struct msg_lk *b)
{
	return a->lk_op == b->lk_op && a->lk_req == b->lk_req && a->lk_mode == b->lk_mode &&
	       a->lk_flags == b->lk_flags && a->lk_timeout_ms == b->lk_timeout_ms &&
	       a->lk_status == b->lk_status && a->lk_event == b->lk_event &&
	       a->lk_owner_client == b->lk_owner_client && a->lk_owner_pid == b->lk_owner_pid &&
	       a->lk_lkid == b->lk_lkid && a->lk_namelen == b->lk_namelen &&
	       a->lk_namelen <= LK_NAME_MAX && !memcmp(a->lk_name, b->lk_name, a->lk_namelen) &&
	       a->lk_has_lvb == b->lk_has_lvb && a->lk_dubious == b->lk_dubious &&
	       (!a->lk_has_lvb || !memcmp(a->lk_lvb, b->lk_lvb, LK_LVB_LEN));
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
