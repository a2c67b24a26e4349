/*
 * guardian.h - the instance guardian (see guardian.c).
 */
#ifndef RAC_GUARDIAN_H
#define RAC_GUARDIAN_H

#include "config.h"

/*
 * Run instance `inst` until it stops or dies.  The outcome of the start is
 * written as one line to `notify_fd` ("OK <pid>" or "ERR <reason>"), which
 * is then closed.  Returns the process exit code: 0 after a clean stop.
 */
int guardian_run(const struct rac_config *cfg, int inst, int notify_fd);

#endif
