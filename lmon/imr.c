/*
 * imr.c - the IMR decision over a set of votes.
 *
 * Example from the articles: three instances, instance 3's LMON broken,
 * votes 110/110/001 (instance 1 and 2 see each other, 3 sees only itself):
 * the groups {1,2} and {3} are fully connected; {1,2} is larger and wins,
 * instance 3 is evicted.  With votes 10/01 (two instances that cannot talk)
 * both groups have one member; the one holding instance 1 wins.
 *
 * The search is Bron-Kerbosch with pivoting over at most RAC_MAX_INST
 * voters: exact, and instant for the sizes a cluster has.
 */
#include <stdio.h>
#include <string.h>

#include "imr.h"

struct search {
	uint64_t adj[RAC_MAX_INST];	/* mutual connections of each voter */
	uint64_t best;
};

static int lowest(uint64_t set)
{
	return set ? __builtin_ctzll(set) : 64;
}

/*
 * better: larger; at equal size, the group holding the lowest instance
 * number where the two differ (so the order is total and every member
 * computes the same result from the same votes)
 */
static int better(uint64_t a, uint64_t b)
{
	int na = __builtin_popcountll(a), nb = __builtin_popcountll(b);

	if (na != nb)
		return na > nb;
	return a != b && ((a ^ b) & (1ull << lowest(a ^ b)) & a);
}

static void expand(struct search *s, uint64_t r, uint64_t p, uint64_t x)
{
	uint64_t pivot_nb, cand;
	int u;

	if (!p && !x) {
		if (better(r, s->best))
			s->best = r;
		return;
	}
	/* no group through here can beat the best: prune */
	if (__builtin_popcountll(r | p) < __builtin_popcountll(s->best) && s->best)
		return;
	u = lowest(p | x);
	pivot_nb = s->adj[u];
	cand = p & ~pivot_nb;
	while (cand) {
		int v = lowest(cand);
		uint64_t bit = 1ull << v;

		expand(s, r | bit, p & s->adj[v], x & s->adj[v]);
		p &= ~bit;
		x |= bit;
		cand &= ~bit;
	}
}

uint64_t imr_result(const uint64_t votes[RAC_MAX_INST], uint64_t voters)
{
	struct search s = { .best = 0 };

	voters &= (RAC_MAX_INST >= 64) ? ~0ull : ((1ull << RAC_MAX_INST) - 1);
	for (int i = 0; i < RAC_MAX_INST; i++) {
		if (!(voters & (1ull << i)))
			continue;
		for (int j = 0; j < RAC_MAX_INST; j++)
			if (i != j && (voters & (1ull << j)) && (votes[i] & (1ull << j)) &&
			    (votes[j] & (1ull << i)))
				s.adj[i] |= 1ull << j;
	}
	expand(&s, 0, voters, 0);
	return s.best;
}

int imr_split_brain(const uint64_t votes[RAC_MAX_INST], uint64_t voters)
{
	uint64_t best = imr_result(votes, voters), rest = voters & ~best;
	uint64_t again[RAC_MAX_INST];

	if (!rest)
		return 0;
	/* a second group of two or more that sees itself is a split brain */
	memcpy(again, votes, sizeof(again));
	return __builtin_popcountll(imr_result(again, rest)) >= 2;
}

void imr_bitmap_str(uint64_t bitmap, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < RAC_MAX_INST && used < len; i++)
		if (bitmap & (1ull << i)) {
			int n = snprintf(buf + used, len - used, " %d", i + 1);

			if (n < 0)
				break;
			used += (size_t)n;
		}
}
