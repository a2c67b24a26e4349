/*
 * handover.h - the reconfiguration hand-over between an instance's
 * members, drawn once.  LMON drives it, LMS rebuilds the GRD, SMON
 * recovers; they talk through fields of the SGA's sga_cluster, and these
 * accessors (handover.c) are the only code that reads or writes those
 * fields, so the sequence below is the whole protocol:
 *
 *   LMON: rcfg_set_step(FREEZE_LOCK_DB)    -> LMS:  rcfg_lms_phase() == FROZEN:
 *                                                   requests are queued
 *   LMON: members/incarnation published,
 *         rcfg_set_step(HANDOVER_GES)      -> LMS:  rcfg_lms_phase() == HANDOVER:
 *                                                   thaw, send, DONE to the others
 *   LMS:  rcfg_grd_done(inc, counts)       -> LMON: rcfg_wait_grd() returns; the
 *                                                   GRD alert lines, STABLE
 *   LMS:  rcfg_post_smon(inc, insts)       -> SMON: rcfg_smon_take(): "Beginning
 *                                                   instance recovery of ..."
 *   SMON: rcfg_smon_done(inc)              -> LMS:  rcfg_smon_finished(inc):
 *                                                   PW/EX held for recovery released
 *   LMS:  rcfg_released(inc, n)            -> SMON: rcfg_released_since(inc):
 *                                                   "Completed instance recovery ..."
 *
 * Each side polls on its own tick; a field is written by one side only
 * (the writer is named on each accessor), with sga_store's release order,
 * so a reader that sees a new incarnation also sees what was stored
 * before it.
 */
#ifndef RAC_HANDOVER_H
#define RAC_HANDOVER_H

#include <stdbool.h>
#include <stdint.h>
#include "sga.h"

/* LMON: the reconfiguration step now running (enum rcfg_step); returns the old one */
uint32_t rcfg_set_step(struct sga *s, uint32_t step);
uint32_t rcfg_step(const struct sga *s);

/* LMON's published membership: its incarnation, and the members if asked */
uint64_t rcfg_published(const struct sga *s, uint64_t *members);
/* is LMON settled (CGS_STABLE) on it? */
bool rcfg_stable(const struct sga *s);

/* what the hand-over asks of LMS now */
enum rcfg_lms_phase {
	RCFG_LMS_RUN,		/* no reconfiguration, or before the lock database freezes */
	RCFG_LMS_FROZEN,	/* steps 2-6: hold every request */
	RCFG_LMS_HANDOVER,	/* step 7, or STABLE: rebuild for the published membership */
};
enum rcfg_lms_phase rcfg_lms_phase(const struct sga *s);

/* LMS: the GRD is rebuilt for incarnation `inc`, with these counts for LMON's lines */
struct rcfg_grd_counts {
	uint32_t gc_traversed, gc_replayed, gc_cancelled, gc_rebuilt, gc_dubious;
};
void rcfg_grd_done(struct sga *s, uint64_t inc, const struct rcfg_grd_counts *c);
/* LMON: has LMS rebuilt for `inc` (low 32 bits compared, as the steps do)? */
bool rcfg_grd_is_done(const struct sga *s, uint64_t inc);
void rcfg_grd_counts(const struct sga *s, struct rcfg_grd_counts *c);

/* LMS: post SMON to recover `insts` (bitmap) after the rebuild for `inc` */
void rcfg_post_smon(struct sga *s, uint64_t inc, uint64_t insts);
/* SMON: the newest post (0: none) and the instances it names */
uint64_t rcfg_smon_post(const struct sga *s, uint64_t *insts);
/* SMON: recovery for post `inc` is done */
void rcfg_smon_done(struct sga *s, uint64_t inc);
/* LMS: has SMON finished recovering for post `inc`? */
bool rcfg_smon_finished(const struct sga *s, uint64_t inc);
/* LMS: what was held for recovery after post `inc` is released: `n` locks */
void rcfg_released(struct sga *s, uint64_t inc, uint32_t n);
/* SMON: released for post `inc` or a later one?  *n gets the count */
bool rcfg_released_since(const struct sga *s, uint64_t inc, uint32_t *n);

#endif
