/*
 * smon.c - SMON, instance recovery and clean-up.
 *
 * SMON is posted by LMS at the end of a reconfiguration to recover what a
 * failed instance left behind, and cleans up locks of dead local clients.
 * In this step it holds its slave slot in the NM group and keeps its
 * heartbeat; recovery plugs into its tick.
 */
#include "log.h"
#include "member.h"

static const struct member_ops smon_ops = { 0 };

int main(int argc, char **argv)
{
	return member_main(argc, argv, RAC_ROLE_SMON, &smon_ops);
}
