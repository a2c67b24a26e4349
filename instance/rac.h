/*
 * rac.h - limits, roles and small helpers shared by every racrt program.
 *
 * The process topology lives in one table, procs[] (procs.c): which roles
 * an instance has, what each executable is called and how it shows in ps.
 * Nobody else builds a process or endpoint name.
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

struct rac_proc {
	enum rac_role pr_role;
	const char *pr_tag;	/* lower case, used in ps/trace: "lms0" */
	const char *pr_name;	/* as the alert log names it: "LMS0" */
	const char *pr_exe;	/* executable: "rac_lms" */
	const char *pr_what;	/* one line for --help and docs */
};

extern const struct rac_proc procs[RAC_NROLES];

/* procs.c */
const struct rac_proc *proc_by_role(enum rac_role role);
const struct rac_proc *proc_by_tag(const char *tag);	/* "lms", "lms0", "LMS" */
/* "rac_lms0_RAC1"; returns RAC_ETOOLONG if it does not fit */
int proc_title(enum rac_role role, const char *inst, char *buf, size_t len);
/*
 * LMS's client socket for an instance's local directory: the endpoint
 * "ipc://<local_dir>/lms.sock" into ep, and (if path is not NULL) the bare
 * socket path.  RAC_ETOOLONG if it does not fit, or is longer than a Unix
 * socket path may be.
 */
int proc_lms_client_ep(const char *local_dir, char *ep, size_t eplen, char *path,
		       size_t pathlen);
/* directory holding the member executables (next to racctl, or
 * $RACRT_LIBEXEC, or ../libexec/racrt); 0 or RAC_ENOENT */
int proc_exe_dir(char *buf, size_t len);

/* util.c */
uint64_t rac_now_mono_ns(void);		/* CLOCK_MONOTONIC */
uint64_t rac_now_us(void);		/* CLOCK_REALTIME, microseconds */
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
/* sleep until the monotonic deadline or a signal; returns after at most ms */
void rac_sleep_ms(unsigned ms);

#endif
