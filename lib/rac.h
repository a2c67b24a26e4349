/*
 * rac.h - limits, roles and small helpers shared by every racrt program.
 *
 * The roles are numbered here because the SGA's NM group table has one
 * slot per role; what each role's executable is called and how it shows in
 * ps is the process table, instance/procs.h.
 */
#ifndef RAC_H
#define RAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RAC_MAX_INST	32	/* instances per cluster (bitmaps are u64) */
#define RAC_MAX_VOTING	15	/* voting disks per cluster */
#define RAC_NAME_MAX	16	/* instance name, with its NUL */
#define RAC_CLUSTER_MAX	32	/* cluster name, with its NUL */
#define RAC_HOST_MAX	64
#define RAC_EP_MAX	128	/* ZeroMQ endpoint */
#define RAC_PATH_MAX	256

/* Members of an instance's NM group, in start order. */
enum rac_role {
	RAC_ROLE_LMON = 0,	/* primary member */
	RAC_ROLE_LMS,
	RAC_ROLE_CKPT,
	RAC_ROLE_SMON,
	RAC_NROLES
};

/* util.c */
uint64_t rac_now_mono_ns(void);		/* CLOCK_MONOTONIC */
uint64_t rac_now_us(void);		/* CLOCK_REALTIME, microseconds */
/*
 * The lab's clock-skew drill: from now on rac_now_us() adds *offset_us
 * (read at every call, so a change applies while the process runs).  NULL
 * stops it.  Only wall-clock readings move; monotonic time never does.
 */
void rac_clock_offset_from(const int64_t *offset_us);
/* "2026-11-22T10:15:03.123456+00:00" */
void rac_fmt_iso(uint64_t us, char *buf, size_t len);
/* "2026-11-22 10:15:03.123456" */
void rac_fmt_trace(uint64_t us, char *buf, size_t len);
/* /proc/PID/stat start time in clock ticks, 0 if no such process */
uint64_t rac_proc_starttime(pid_t pid);
/* copy with truncation check: 0 or RAC_ETOOLONG */
int rac_strlcpy(char *dst, const char *src, size_t len);
uint64_t rac_fnv1a(const void *p, size_t n);
/* mkdir -p, mode 0700 for what it creates */
int rac_mkdirs(const char *path);
/*
 * Replace `path` with `len` bytes of `text`, durably and at once: written to
 * <path>.tmp (mode `mode`, never through a link), fsynced, renamed over it.
 * 0, or RAC_ESYS with errno set (the temporary file is gone).
 */
int rac_write_file(const char *path, mode_t mode, const void *text, size_t len);
/* sleep until the monotonic deadline or a signal; returns after at most ms */
void rac_sleep_ms(unsigned ms);

#endif
