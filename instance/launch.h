/*
 * launch.h - start, stop and look at one instance (launch.c), for racctl.
 */
#ifndef RAC_LAUNCH_H
#define RAC_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"
#include "sga.h"

/*
 * Attach instance `inst`'s SGA read-only.  Returns 0 if the instance is
 * running (owner alive), RAC_ENOENT if there is no segment, RAC_ESGA_* if a
 * segment exists but its owner is dead (stale) or it cannot be read.
 */
int launch_attach(const struct rac_config *cfg, int inst, struct sga *s);
/* racctl start -i N: 0 once it is OPEN, else 1; one line in msg either way */
int launch_start(const struct rac_config *cfg, int inst, char *msg, size_t len);
/* racctl stop -i N [--abort]: 0 once it is gone, else 1; one line in msg */
int launch_stop(const struct rac_config *cfg, int inst, int abort_it, char *msg, size_t len);
/* append one entry to an instance's alert log from racctl */
void launch_alert_note(const struct rac_inst_cfg *ic, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
