/*
 * lab.h - the namespace lab (racctl up --lab): every instance a host of its
 * own, so that faults are real.
 *
 *   switch namespace racrt-<cluster>-sw:  bridge br0 (10.213.0.254/24)
 *        |-- rN  <veth>  eth0 (10.213.0.N/24) in racrt-<cluster>-N
 *
 * Each instance's guardian enters its network namespace and unshares a
 * private mount namespace, which its members inherit.  Every lab host has
 * its own block device for each shared-disk file: a loop device with direct
 * I/O over the one image file in the shared-disk directory (losetup -f
 * --direct-io=on), named in lab.ini by the instance's own control_file and
 * voting_disks, so each host has its own page cache as real hosts have, and
 * only what reaches the image is shared.  racctl down detaches them.
 *   net-cut N      rN down: instance N hears nobody and nobody hears it
 *   disk-off N K   /dev/full bind-mounted over voting disk K inside N's
 *                  mount namespace: writes fail, reads see nothing
 *   disk-hang N K  rac_hangfs (a FUSE file) covers voting disk K, or the
 *                  control file, inside N's mount namespace: its I/O waits,
 *                  unanswered, until disk-resume (lab_hang.c)
 *   disk-error N K B  the same daemon, serving, fails the reads of the 4 KiB
 *                  slot B of voting disk K or the control file with EIO,
 *                  inside N's mount namespace, until disk-clear
 */
#ifndef RAC_LAB_H
#define RAC_LAB_H

#include "config.h"

#define LAB_SUBNET	"10.213.0"
#define LAB_SWITCH_IP	LAB_SUBNET ".254"

/*
 * Write the lab configuration for `count` instances of `base` (endpoints on
 * the lab subnet, one network namespace each, one loop device per instance
 * and shared-disk file) to <shared_disk>/lab.ini, and create the
 * namespaces, the bridge, the links and the loop devices.  `err` says what
 * failed.
 */
int lab_create(const struct rac_config *base, int count, char *err, size_t errlen);
/* Detach the lab's loop devices, delete every namespace and lab.ini; 0 or RAC_EIO */
int lab_destroy(const struct rac_config *lab, char *err, size_t errlen);
/* Take instance `inst`'s link down (cut) or up (restore) */
int lab_link(const struct rac_config *lab, int inst, int up, char *err, size_t errlen);
/*
 * Make voting disk `disk` (1-based) fail for the instance whose guardian is
 * `guardian` (off), or give it back (on), inside that instance's mount
 * namespace only.
 */
int lab_disk(const struct rac_config *lab, pid_t guardian, int disk, int off, char *err,
	     size_t errlen);
/*
 * lab_clock.c: the clock-skew drill's offset (microseconds, 0 none) for
 * instance `ic`, kept under its local_dir so that a start applies it too;
 * load stores it into *dst and leaves *dst alone when there is none.
 */
int lab_clock_offset_save(const struct rac_inst_cfg *ic, int64_t us, char *err, size_t errlen);
void lab_clock_offset_load(const struct rac_inst_cfg *ic, int64_t *dst);
/* lab_hang.c: `disk` 1..nvoting names a voting disk, LAB_HANG_CONTROL the control file */
#define LAB_HANG_CONTROL 0
/*
 * Make `target` (voting disk `disk`, or the control file) hang for instance
 * `ic`, whose guardian is `guardian`, inside its mount namespace only:
 * from now on its I/O there waits, unanswered, until lab_resume().
 */
int lab_hang(const struct rac_config *lab, const struct rac_inst_cfg *ic, pid_t guardian,
	     int disk, const char *target, char *err, size_t errlen);
/*
 * Answer the I/O that waits and uncover the path; `msg` says what was done
 * or why not.  RAC_EINVAL when it does not hang.
 */
int lab_resume(const struct rac_config *lab, const struct rac_inst_cfg *ic, int disk,
	       char *msg, size_t msglen);
/*
 * Make the reads of 4 KiB slot `block` of `target` (voting disk `disk`, or
 * the control file) fail with EIO for instance `ic` alone, as a bad sector
 * under that record would; its writes still land.  Added to the ranges
 * already failing there.
 */
int lab_disk_error(const struct rac_config *lab, const struct rac_inst_cfg *ic, pid_t guardian,
		   int disk, const char *target, uint32_t block, char *err, size_t errlen);
/*
 * Every bad range of `disk` for instance `ic` reads again (the daemon is
 * retired unless it also hangs); RAC_EINVAL when it has none.
 */
int lab_disk_clear(const struct rac_config *lab, const struct rac_inst_cfg *ic, int disk,
		   char *msg, size_t msglen);
/*
 * Every drill of the lab's instances: resumed (stop 0: before the instances
 * are stopped, so that none waits on a hung disk), or ended (stop 1: what
 * still waits fails with ENOTCONN, the daemon is gone).  How many there were.
 */
int lab_hang_clear(const struct rac_config *lab, int stop);
/* Move the calling thread into network namespace `name`: 0 or RAC_ESYS */
int lab_enter_netns(const char *name);
/* Give this process a private mount namespace (mounts do not propagate back) */
int lab_private_mounts(void);

#endif
