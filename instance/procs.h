/*
 * procs.h - the process topology of an instance, in one table.
 *
 * procs[] (procs.c) names every role of an instance: what its executable
 * is called, how it shows in ps and in the alert log, and where LMS's
 * client socket is.  Nobody else builds a process or endpoint name.
 */
#ifndef RAC_PROCS_H
#define RAC_PROCS_H

#include "rac.h"

struct sga;

struct rac_proc {
	enum rac_role pr_role;
	const char *pr_tag;	/* lower case, used in ps/trace: "lms0" */
	const char *pr_name;	/* as the alert log names it: "LMS0" */
	const char *pr_exe;	/* executable: "rac_lms" */
	const char *pr_what;	/* one line for --help and docs */
};

extern const struct rac_proc procs[RAC_NROLES];

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
/*
 * LMON's local view endpoint, "ipc://<local_dir>/lmon.sock": gv$ view
 * requests from this host, without keys (the 0700 directory guards it).
 */
int proc_lmon_view_ep(const char *local_dir, char *ep, size_t eplen, char *path,
		      size_t pathlen);
int proc_lms_client_ep(const char *local_dir, char *ep, size_t eplen, char *path,
		       size_t pathlen);
/* directory holding the member executables (next to racctl, or
 * $RACRT_LIBEXEC, or ../libexec/racrt); 0 or RAC_ENOENT */
int proc_exe_dir(char *buf, size_t len);

/* name the NM group slots of a new SGA after the roles ("LMS0") */
void proc_name_nm_slots(struct sga *s);

#endif
