/*
 * lmon.c - LMON, the primary member of the instance's NM group.
 *
 * This step of racrt gives LMON its place in the group: it registers first
 * and obtains the member id, and it binds the interconnect endpoint so that
 * a taken port fails the start with a clear reason.  Heartbeats, voting
 * disks and reconfiguration (CSS and CGS) plug into the same loop.
 */
#include "log.h"
#include "member.h"

#define COMP "CGS"

static int lmon_init(struct member *m, char *err, size_t errlen)
{
	return member_bind_router(m, m->m_ic->ic_lmon_ep, "LMON endpoint", err, errlen);
}

/* Nothing speaks to LMON yet: whatever arrives is counted and dropped. */
static void lmon_ready(struct member *m, int item)
{
	member_drain_unknown(m, item, COMP);
}

static const struct member_ops lmon_ops = {
	.mo_init = lmon_init,
	.mo_ready = lmon_ready,
};

int main(int argc, char **argv)
{
	return member_main(argc, argv, RAC_ROLE_LMON, &lmon_ops);
}
