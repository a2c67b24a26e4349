/*
 * racctl_fault.c - racctl fault: faults injected by the operator, each
 * written to the instance's alert log before it is done (after a kill the
 * instance may be gone before we could).
 *
 *   kill | hang | resume -i N [-p ROLE]    SIGKILL / SIGSTOP / SIGCONT one member
 *   net-cut | net-restore -i N             the lab: instance N's link down / up
 *   disk-off | disk-on -i N --disk K       the lab: voting disk K for N alone
 *   disk-hang | disk-resume -i N --disk K|control
 *   io-freeze | io-thaw -i N   every voting disk and the control file at once
 *                                          the lab: its I/O waits for N alone
 *   disk-error -i N --disk K|control --block B
 *   disk-clear -i N --disk K|control      the lab: reads of slot B fail (EIO)
 *                                          for N alone / read again
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "disk.h"
#include "lab.h"
#include "launch.h"
#include "procs.h"
#include "racctl.h"
#include "sga.h"

/* the record in slot `b` of the control file or a voting disk, for the messages */
static void slot_name(int control, int b, char *buf, size_t len)
{
	if (!control && b >= VOTE_CTL_BASE && b < VOTE_NBLOCKS) {
		char rec[80];

		slot_name(1, b - VOTE_CTL_BASE, rec, sizeof(rec));
		snprintf(buf, len, "control area copy: %s", rec);
	} else if (control && b == CTL_BLK_HEADER)
		snprintf(buf, len, "control file header");
	else if (control && b == CTL_BLK_MEMBERSHIP)
		snprintf(buf, len, "membership bitmap");
	else if (control && b == CTL_BLK_CFVRR)
		snprintf(buf, len, "CFVRR");
	else if (control && b == CTL_BLK_CLAIM)
		snprintf(buf, len, "format claim");
	else if (control && b >= CTL_BLK_CKPT(1) && b <= CTL_BLK_CKPT(RAC_MAX_INST))
		snprintf(buf, len, "checkpoint progress record of instance %d",
			 b - CTL_BLK_CKPT(1) + 1);
	else if (control && b >= CTL_BLK_VOTE(1) && b <= CTL_BLK_VOTE(RAC_MAX_INST))
		snprintf(buf, len, "IMR vote of instance %d", b - CTL_BLK_VOTE(1) + 1);
	else if (!control && b == VOTE_BLK_HEADER)
		snprintf(buf, len, "voting disk header");
	else if (!control && b >= VOTE_BLK_HB(1) && b <= VOTE_BLK_KILL(RAC_MAX_INST))
		snprintf(buf, len, "%s of instance %d", (b - VOTE_BLK_HB(1)) % 2 ? "kill block" :
			 "heartbeat slot", (b - VOTE_BLK_HB(1)) / 2 + 1);
	else
		snprintf(buf, len, "unused");
}

/*
 * disk-error, disk-clear: the same rac_hangfs, serving, with slots whose
 * reads fail (instance/lab_hang.c).  A clear, like a resume, needs no
 * running instance.
 */
static int cmd_error_fault(const struct rac_config *cfg, const struct opts *o, const char *what,
			   const struct rac_inst_cfg *ic, int disk, const char *name,
			   const char *target)
{
	char err[1024], rec[96];
	struct sga s;
	pid_t g;
	int rc;

	if (!strcmp(what, "disk-clear")) {
		if (o->o_block >= 0)
			racctl_usage("disk-clear takes no --block: every slot of it reads again");
		launch_alert_note(ic, "Fault injected by operator (racctl fault disk-clear): %s "
				  "reads again for this instance", name);
		rc = lab_disk_clear(cfg, ic, disk, err, sizeof(err));
		if (rc)
			return racctl_fail("%s", err);
		printf("%s\n", err);
		return 0;
	}
	if (o->o_block < 0)
		racctl_usage("disk-error needs --block B, the 4 KiB slot whose reads fail");
	if (disk == LAB_HANG_CONTROL && o->o_block >= CTL_NBLOCKS)
		racctl_usage("--block: the control file has slots 0 to %d, not %d", CTL_NBLOCKS - 1,
			     o->o_block);
	slot_name(disk == LAB_HANG_CONTROL, o->o_block, rec, sizeof(rec));
	if (launch_attach(cfg, o->o_inst, &s))
		return racctl_fail("instance %d (%s) is not running", o->o_inst, ic->ic_name);
	g = sga_hdr(&s)->sh_guardian_pid;
	sga_detach(&s);
	launch_alert_note(ic, "Fault injected by operator (racctl fault disk-error): reads of "
			  "slot %d (%s) of %s fail with I/O errors for this instance, as over a "
			  "bad sector, until 'racctl fault disk-clear'", o->o_block, rec, name);
	rc = lab_disk_error(cfg, ic, g, disk, target, (uint32_t)o->o_block, err, sizeof(err));
	if (rc)
		return racctl_fail("%s", err);
	if (disk == LAB_HANG_CONTROL)
		printf("Slot %d (%s) of the control file fails reads for instance %d (%s)\n",
		       o->o_block, rec, o->o_inst, ic->ic_name);
	else
		printf("Slot %d (%s) of voting disk %d fails reads for instance %d (%s)\n",
		       o->o_block, rec, disk, o->o_inst, ic->ic_name);
	return 0;
}

/*
 * disk-hang, disk-resume: rac_hangfs covers the path inside the instance's
 * mount namespace (instance/lab_hang.c).  A resume needs no running
 * instance: it also cleans up after one that left or was evicted.
 */
static int cmd_hang_fault(const struct rac_config *cfg, const struct opts *o, const char *what,
			  const struct rac_inst_cfg *ic)
{
	int hang = !strcmp(what, "disk-hang");
	int disk = o->o_control ? LAB_HANG_CONTROL : o->o_disk;
	char err[1024], target[RAC_PATH_MAX + 16], name[RAC_PATH_MAX + 48];
	struct sga s;
	pid_t g;
	int rc;

	if (!o->o_control && !o->o_disk)
		racctl_usage("%s needs --disk K (a voting disk) or --disk control", what);
	if (!cfg->cf_lab)
		return racctl_fail("no lab is up: '%s' needs 'racctl up --lab'", what);
	if (disk != LAB_HANG_CONTROL && disk > cfg->cf_nvoting)
		return racctl_fail("--disk %d: there are %d voting disks", disk, cfg->cf_nvoting);
	if (disk == LAB_HANG_CONTROL)
		config_control_path(cfg, target, sizeof(target));
	else
		snprintf(target, sizeof(target), "%s", cfg->cf_voting[disk - 1]);
	if (disk == LAB_HANG_CONTROL)
		snprintf(name, sizeof(name), "the control file (%s)", target);
	else
		snprintf(name, sizeof(name), "voting disk %d (%s)", disk, target);
	if (!strcmp(what, "disk-error") || !strcmp(what, "disk-clear"))
		return cmd_error_fault(cfg, o, what, ic, disk, name, target);
	if (o->o_block >= 0)
		racctl_usage("--block goes with 'fault disk-error'");
	if (!hang) {
		launch_alert_note(ic, "Fault injected by operator (racctl fault disk-resume): I/O on "
				  "%s answered again for this instance", name);
		rc = lab_resume(cfg, ic, disk, err, sizeof(err));
		if (rc)
			return racctl_fail("%s", err);
		printf("%s\n", err);
		return 0;
	}
	if (launch_attach(cfg, o->o_inst, &s))
		return racctl_fail("instance %d (%s) is not running", o->o_inst, ic->ic_name);
	g = sga_hdr(&s)->sh_guardian_pid;
	sga_detach(&s);
	launch_alert_note(ic, "Fault injected by operator (racctl fault disk-hang): %s hangs for "
			  "this instance: its I/O waits, unanswered, until 'racctl fault "
			  "disk-resume'", name);
	rc = lab_hang(cfg, ic, g, disk, target, err, sizeof(err));
	if (rc)
		return racctl_fail("%s", err);
	if (disk == LAB_HANG_CONTROL)
		printf("The control file hangs for instance %d (%s)\n", o->o_inst, ic->ic_name);
	else
		printf("Voting disk %d hangs for instance %d (%s)\n", disk, o->o_inst, ic->ic_name);
	return 0;
}

/*
 * io-freeze, io-thaw: every shared-disk file of instance N hangs (or answers
 * again) at once -- the host whose I/O is held by its storage, its
 * processes in the D state, as a whole.
 */
static int cmd_freeze_fault(const struct rac_config *cfg, const struct opts *o, const char *what,
			    const struct rac_inst_cfg *ic)
{
	const char *each = strcmp(what, "io-freeze") ? "disk-resume" : "disk-hang";
	int failed = 0;

	if (o->o_disk || o->o_control || o->o_block >= 0)
		racctl_usage("%s takes no --disk or --block: it is every shared-disk file", what);
	for (int d = 0; d <= cfg->cf_nvoting; d++) {
		struct opts one = *o;

		one.o_disk = d;
		one.o_control = d == 0;
		failed |= cmd_hang_fault(cfg, &one, each, ic) != 0;
	}
	return failed ? EXIT_FAIL : 0;
}

/* net-cut, net-restore, disk-off, disk-on, disk-hang, disk-resume, disk-error, disk-clear */
static int cmd_lab_fault(const struct rac_config *cfg, const struct opts *o, const char *what)
{
	const struct rac_inst_cfg *ic;
	char err[512];
	int rc, net = !strncmp(what, "net-", 4);
	int on = !strcmp(what, "net-restore") || !strcmp(what, "disk-on");

	if (strcmp(what, "net-cut") && strcmp(what, "net-restore") && strcmp(what, "disk-off") &&
	    strcmp(what, "disk-on") && strcmp(what, "disk-hang") && strcmp(what, "disk-resume") &&
	    strcmp(what, "disk-error") && strcmp(what, "disk-clear") && strcmp(what, "io-freeze") &&
	    strcmp(what, "io-thaw"))
		racctl_usage("unknown fault '%s'; use net-cut, net-restore, disk-off, disk-on, "
			     "disk-hang, disk-resume, disk-error, disk-clear, io-freeze or io-thaw", what);
	ic = racctl_need_inst(cfg, o);
	if (!strcmp(what, "io-freeze") || !strcmp(what, "io-thaw"))
		return cmd_freeze_fault(cfg, o, what, ic);
	if (!strcmp(what, "disk-hang") || !strcmp(what, "disk-resume") ||
	    !strcmp(what, "disk-error") || !strcmp(what, "disk-clear"))
		return cmd_hang_fault(cfg, o, what, ic);
	if (o->o_block >= 0)
		racctl_usage("--block goes with 'fault disk-error'");
	if (o->o_control)
		racctl_usage("%s takes a voting disk (--disk K); 'control' goes with disk-hang, "
			     "disk-resume, disk-error and disk-clear", what);
	if (!net && !o->o_disk)
		racctl_usage("%s needs --disk K", what);
	if (!cfg->cf_lab)
		return racctl_fail("no lab is up: '%s' needs 'racctl up --lab'", what);
	if (net) {
		launch_alert_note(ic, "Fault injected by operator (racctl fault %s): interconnect link of "
			   "instance %d %s", what, o->o_inst, on ? "up" : "down");
		rc = lab_link(cfg, o->o_inst, on, err, sizeof(err));
		if (rc)
			return racctl_fail("%s", err);
		printf("Interconnect link of instance %d (%s) %s\n", o->o_inst, ic->ic_name,
		       on ? "restored" : "cut");
		return 0;
	}
	struct sga s;
	pid_t g;

	if (launch_attach(cfg, o->o_inst, &s))
		return racctl_fail("instance %d (%s) is not running", o->o_inst, ic->ic_name);
	g = sga_hdr(&s)->sh_guardian_pid;
	sga_detach(&s);
	launch_alert_note(ic, "Fault injected by operator (racctl fault %s): voting disk %d (%s) %s for "
		   "this instance", what, o->o_disk, cfg->cf_voting[o->o_disk - 1],
		   on ? "given back" : "fails with I/O errors");
	rc = lab_disk(cfg, g, o->o_disk, !on, err, sizeof(err));
	if (rc)
		return racctl_fail("%s", err);
	printf("Voting disk %d %s for instance %d (%s)\n", o->o_disk,
	       on ? "given back" : "taken away", o->o_inst, ic->ic_name);
	return 0;
}

/*
 * clock-skew: every process of the instance adds the offset to its wall
 * clock (rac_clock_offset_from(), the SGA header's field), at once and while
 * it runs -- as a host whose clock is wrong.  Monotonic time is untouched.
 */
static int cmd_clock_skew(const struct rac_config *cfg, const struct opts *o)
{
	const struct rac_inst_cfg *ic = racctl_need_inst(cfg, o);
	char name[96], err[RAC_PATH_MAX + 96];
	struct sga s = { .sg_fd = -1 };

	if (!o->o_ms_set)
		racctl_usage("clock-skew needs --ms D (milliseconds; negative: behind)");
	if (!cfg->cf_lab)
		return racctl_fail("no lab is up: 'clock-skew' needs 'racctl up --lab'");
	/* for its next start, and at once if it runs */
	if (lab_clock_offset_save(ic, (int64_t)o->o_ms * 1000, err, sizeof(err)))
		return racctl_fail("%s", err);
	config_sga_name(cfg, o->o_inst, name, sizeof(name));
	if (sga_attach(name, 1, &s) == 0 && sga_validate(&s) == 0 && sga_owner_alive(&s))
		__atomic_store_n(&sga_hdr(&s)->sh_clock_offset_us, (int64_t)o->o_ms * 1000,
				 __ATOMIC_RELAXED);
	sga_detach(&s);
	launch_alert_note(ic, "Fault injected by operator (racctl fault clock-skew): this host's "
			  "wall clock is now %ld ms %s", labs(o->o_ms), o->o_ms < 0 ? "behind" : "ahead");
	printf("Wall clock of instance %d (%s) set %ld ms %s\n", o->o_inst, ic->ic_name,
	       labs(o->o_ms), o->o_ms < 0 ? "behind" : "ahead");
	return 0;
}

int cmd_fault(const struct rac_config *cfg, const struct opts *o, const char *what)
{
	const struct rac_inst_cfg *ic;
	const struct rac_proc *p;
	struct sga s;
	int sig;
	const char *signame;
	pid_t pid;

	if (!what)
		racctl_usage("fault needs a kind: kill, hang, resume, net-cut, net-restore, "
			  "disk-off, disk-on, disk-hang, disk-resume, disk-error or disk-clear");
	if (!strncmp(what, "net-", 4) || !strncmp(what, "disk-", 5) || !strncmp(what, "io-", 3))
		return cmd_lab_fault(cfg, o, what);
	if (!strcmp(what, "clock-skew"))
		return cmd_clock_skew(cfg, o);
	if (!strcmp(what, "kill")) {
		sig = SIGKILL;
		signame = "SIGKILL";
	} else if (!strcmp(what, "hang")) {
		sig = SIGSTOP;
		signame = "SIGSTOP";
	} else if (!strcmp(what, "resume")) {
		sig = SIGCONT;
		signame = "SIGCONT";
	} else {
		racctl_usage("unknown fault '%s'; use kill, hang, resume, net-cut, net-restore, "
			  "disk-off, disk-on, disk-hang, disk-resume, disk-error, disk-clear, "
			  "io-freeze or io-thaw", what);
	}
	ic = racctl_need_inst(cfg, o);
	p = proc_by_tag(o->o_role ? o->o_role : "lmon");
	if (!p)
		racctl_usage("unknown process '%s'; use lmon, lms, ckpt or smon", o->o_role);
	if (launch_attach(cfg, o->o_inst, &s))
		return racctl_fail("instance %d (%s) is not running", o->o_inst, ic->ic_name);
	pid = sga_load(&sga_nm(&s, p->pr_role)->nm_pid);
	if (pid <= 0 || !rac_proc_starttime(pid)) {
		sga_detach(&s);
		return racctl_fail("%s of instance %d is not running", p->pr_name, o->o_inst);
	}
	/* written first: after a kill the instance may be gone before we could */
	launch_alert_note(ic, "Fault injected by operator (racctl fault %s): %s to %s (ospid: %d)",
		   what, signame, p->pr_name, (int)pid);
	if (kill(pid, sig)) {
		sga_detach(&s);
		return racctl_fail("cannot signal %s (pid %d): %s", p->pr_name, (int)pid, strerror(errno));
	}
	sga_detach(&s);
	printf("%s sent to %s (pid %d) of instance %d (%s)\n", signame, p->pr_name, (int)pid,
	       o->o_inst, ic->ic_name);
	return 0;
}
