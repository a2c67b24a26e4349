/*
 * bucketmap.c - which member masters a bucket, and what a change moves.
 *
 * A resource's bucket (grd_bucket(), 1024 of them) is mastered by the
 * member that wins a rendezvous hash of (bucket, instance): when membership
 * changes, only the buckets of departed or joining instances change master.
 * Pure: no I/O, no clock, no globals.
 */
#include <string.h>

#include "lms.h"

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* rendezvous: the member with the highest weight for the bucket masters it */
int bucket_master(uint64_t members, unsigned bucket)
{
	uint64_t best = 0;
	int who = 0;

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		uint64_t w;

		if (!(members & (1ull << (i - 1))))
			continue;
		w = mix(((uint64_t)bucket << 8) | (uint64_t)i);
		if (!who || w > best) {
			best = w;
			who = i;
		}
	}
	return who;
}

/*
 * The buckets a membership change moves (thaw(), rcfg.c).  `old` is the
 * membership in force until now, `members` the new one; `base` the last
 * membership every member finished rebuilding for, and `local` the last
 * this instance (`me`) finished rebuilding for -- both `old` unless a
 * change overtook the previous rebuild.
 *
 * send: what we send -- anything that moved since the base, i.e. every
 * bucket whose master changed on the way base -> old -> members;
 * take: what we take in -- the buckets `me` masters now that moved since
 * our own last rebuild.  Both are bitmaps of GRD_NBUCKETS bits, cleared
 * first.
 */
void bucketmap_moved(uint64_t base, uint64_t old, uint64_t members, uint64_t local, int me,
		     uint64_t *send, uint64_t *take)
{
	memset(send, 0, (GRD_NBUCKETS + 63) / 64 * sizeof(*send));
	memset(take, 0, (GRD_NBUCKETS + 63) / 64 * sizeof(*take));
	for (unsigned b = 0; b < GRD_NBUCKETS; b++) {
		int mb = bucket_master(base, b), mo = bucket_master(old, b),
		    mn = bucket_master(members, b), ml = bucket_master(local, b);

		/* what we send: anything that moved since the base */
		if (mb != mn || mo != mn || mb != mo)
			send[b / 64] |= 1ull << (b % 64);
		/* what we take in: what moved since our own last rebuild */
		if (mn == me && (ml != mn || mo != mn))
			take[b / 64] |= 1ull << (b % 64);
	}
}
