/*
 * imr.h - the IMR decision, as a pure function over the votes.
 */
#ifndef RAC_IMR_H
#define RAC_IMR_H

#include <stdint.h>

#include "rac.h"

/*
 * votes[i-1] is the bitmap instance i says it can talk to; `voters` the
 * bitmap of instances that voted.  Two voters are connected when each names
 * the other.  The result is the largest group of voters that are all
 * connected to each other; among groups of that size the one holding the
 * lowest instance number wins (where two groups share their lowest, the
 * next instance where they differ decides).  Returns the result bitmap (0 if no voter).
 */
uint64_t imr_result(const uint64_t votes[RAC_MAX_INST], uint64_t voters);

/* true when the votes fall into two or more disjoint groups (split brain) */
int imr_split_brain(const uint64_t votes[RAC_MAX_INST], uint64_t voters);

/* " 1 2 3" for a bitmap */
void imr_bitmap_str(uint64_t bitmap, char *buf, size_t len);

#endif
