/*
 * lms.c - LMS0, the Global Resource Directory.
 *
 * This step gives LMS its slave slot in the NM group and its own
 * interconnect endpoint (lock traffic never shares LMON's sockets, so it
 * can never delay a heartbeat).  The lock manager plugs into this loop.
 */
#include "log.h"
#include "member.h"

#define COMP "GES"

static int lms_init(struct member *m, char *err, size_t errlen)
{
	return member_bind_router(m, m->m_ic->ic_lms_ep, "LMS endpoint", err, errlen);
}

/* Nothing speaks to LMS yet: whatever arrives is counted and dropped. */
static void lms_ready(struct member *m, int item)
{
	member_drain_unknown(m, item, COMP);
}

static const struct member_ops lms_ops = {
	.mo_init = lms_init,
	.mo_ready = lms_ready,
};

int main(int argc, char **argv)
{
	return member_main(argc, argv, RAC_ROLE_LMS, &lms_ops);
}
