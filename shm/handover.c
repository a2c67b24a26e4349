/*
 * handover.c - the accessors of the reconfiguration hand-over (the
 * sequence is drawn in handover.h).  The same loads and stores the members
 * made on sga_cluster before they had names.
 */
#include "handover.h"

static struct sga_cluster *cl_of(const struct sga *s)
{
	return sga_cluster(s);
}

uint32_t rcfg_set_step(struct sga *s, uint32_t step)
{
	struct sga_cluster *cl = cl_of(s);
	uint32_t old = sga_load(&cl->cl_step);

	sga_store(&cl->cl_step, step);
	return old;
}

uint32_t rcfg_step(const struct sga *s)
{
	return sga_load(&cl_of(s)->cl_step);
}

uint64_t rcfg_published(const struct sga *s, uint64_t *members)
{
	const struct sga_cluster *cl = cl_of(s);

	if (members)
		*members = sga_load(&cl->cl_members);
	return sga_load(&cl->cl_incarnation);
}

bool rcfg_stable(const struct sga *s)
{
	return sga_load(&cl_of(s)->cl_state) == CGS_STABLE;
}

enum rcfg_lms_phase rcfg_lms_phase(const struct sga *s)
{
	const struct sga_cluster *cl = cl_of(s);
	uint32_t state = sga_load(&cl->cl_state), step = sga_load(&cl->cl_step);

	/* LMON hands over at step 7 with the new membership published */
	if (state == CGS_STABLE || step == RCFG_HANDOVER_GES)
		return RCFG_LMS_HANDOVER;
	/* frozen from LMON's step 2 ("Global Resource Directory frozen") on */
	if (state == CGS_RECONFIG && step >= RCFG_FREEZE_LOCK_DB && step < RCFG_HANDOVER_GES)
		return RCFG_LMS_FROZEN;
	return RCFG_LMS_RUN;
}

void rcfg_grd_done(struct sga *s, uint64_t inc, const struct rcfg_grd_counts *c)
{
	struct sga_cluster *cl = cl_of(s);

	cl->cl_grd_traversed = c->gc_traversed;
	cl->cl_grd_replayed = c->gc_replayed;
	cl->cl_grd_cancelled = c->gc_cancelled;
	cl->cl_grd_rebuilt = c->gc_rebuilt;
	cl->cl_grd_dubious = c->gc_dubious;
	sga_store(&cl->cl_grd_inc, inc);
}

bool rcfg_grd_is_done(const struct sga *s, uint64_t inc)
{
	return (uint32_t)sga_load(&cl_of(s)->cl_grd_inc) == (uint32_t)inc;
}

void rcfg_grd_counts(const struct sga *s, struct rcfg_grd_counts *c)
{
	const struct sga_cluster *cl = cl_of(s);

	c->gc_traversed = cl->cl_grd_traversed;
	c->gc_replayed = cl->cl_grd_replayed;
	c->gc_cancelled = cl->cl_grd_cancelled;
	c->gc_rebuilt = cl->cl_grd_rebuilt;
	c->gc_dubious = cl->cl_grd_dubious;
}

void rcfg_post_smon(struct sga *s, uint64_t inc, uint64_t insts)
{
	struct sga_cluster *cl = cl_of(s);

	sga_store(&cl->cl_smon_insts, insts);
	sga_store(&cl->cl_smon_post, inc);
}

uint64_t rcfg_smon_post(const struct sga *s, uint64_t *insts)
{
	const struct sga_cluster *cl = cl_of(s);
	uint64_t post = sga_load(&cl->cl_smon_post);

	if (insts)
		*insts = sga_load(&cl->cl_smon_insts);
	return post;
}

void rcfg_smon_done(struct sga *s, uint64_t inc)
{
	sga_store(&cl_of(s)->cl_smon_done, inc);
}

bool rcfg_smon_finished(const struct sga *s, uint64_t inc)
{
	return sga_load(&cl_of(s)->cl_smon_done) >= inc;
}

void rcfg_released(struct sga *s, uint64_t inc, uint32_t n)
{
	struct sga_cluster *cl = cl_of(s);

	cl->cl_grd_released = n;
	sga_store(&cl->cl_grd_released_inc, inc);
}

bool rcfg_released_since(const struct sga *s, uint64_t inc, uint32_t *n)
{
	const struct sga_cluster *cl = cl_of(s);

	if (sga_load(&cl->cl_grd_released_inc) < inc)
		return false;
	if (n)
		*n = sga_load(&cl->cl_grd_released);
	return true;
}
