/*
 * racctl.h - what racctl's files share: the dumps (racctl_dump.c) and
 * `racctl lock` (racctl_lock.c).
 */
#ifndef RAC_RACCTL_H
#define RAC_RACCTL_H

#include <stdbool.h>
#include <stdio.h>
#include "config.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* racctl.c: the command line */
struct opts {
	const char *o_config;
	int o_inst;
	const char *o_role;
	int o_follow;
	int o_force;
	int o_abort;
	int o_disk;
	int o_ms_set;			/* --ms given */
	long o_ms;			/* --ms D: clock-skew offset */
	int o_control;		/* --disk control: the control file, for disk-hang/resume/error/clear */
	int o_block;		/* --block B: the 4 KiB slot for disk-error; -1 none */
	int o_lab;
	int o_count;
	int o_rotate;		/* keygen: 1 --next, 2 --promote, 3 --retire */
};
/* "racctl: <why>" on stderr; returns EXIT_FAIL */
int racctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "racctl: <why>" and a hint on stderr; exits EXIT_USAGE */
void racctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* the instance -i names, or a usage error */
const struct rac_inst_cfg *racctl_need_inst(const struct rac_config *cfg, const struct opts *o);

/* racctl_fault.c */
int cmd_fault(const struct rac_config *cfg, const struct opts *o, const char *what);

/* racctl_dump.c */
/*
 * racctl dump control: every record in plain text, by majority over the
 * control area's copies (each copy that differs named); a block that fails its
 * checks is printed as CORRUPT with the reason.  *ncorrupt gets the count.
 */
int ctl_dump(const struct rac_config *cfg, FILE *out, int *ncorrupt);
/*
 * racctl dump vote [--disk K]: the same for voting disk K (1..nvoting), or
 * for every voting disk when `disk` is 0.
 */
int ctl_dump_vote(const struct rac_config *cfg, int disk, FILE *out, int *ncorrupt);

/* racctl_lock.c: `racctl lock` parses its own command line (CMD follows --) */
bool racctl_lock_argv(int argc, char **argv);
int racctl_lock_cmd(int argc, char **argv);
/* lock NAME in MODE through instance `inst` while CMD runs: CMD's status */
int racctl_lock_main(const struct rac_config *cfg, int inst, const char *mode, int nowait,
		     int timeout_ms, const char *name, char **cmd);

#endif
