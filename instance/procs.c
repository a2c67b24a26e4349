/*
 * procs.c - the process topology of an instance, in one table.
 *
 * The guardian starts the members in table order (LMON first: it is the NM
 * group's primary member and obtains the member id) and stops them in the
 * reverse order.  ps shows each as rac_<tag>_<INSTANCE>.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

#include "errors.h"
#include "procs.h"
#include "sga.h"

const struct rac_proc procs[RAC_NROLES] = {
	{ RAC_ROLE_LMON, "lmon", "LMON", "rac_lmon",
	  "primary NM member: heartbeats, voting disks, membership, reconfiguration" },
	{ RAC_ROLE_LMS, "lms0", "LMS0", "rac_lms",
	  "global resource directory: distributed lock manager" },
	{ RAC_ROLE_CKPT, "ckpt", "CKPT", "rac_ckpt",
	  "control-file heartbeat: checkpoint progress record" },
	{ RAC_ROLE_SMON, "smon", "SMON", "rac_smon",
	  "instance recovery and clean-up" },
};

const struct rac_proc *proc_by_role(enum rac_role role)
{
	if ((int)role < 0 || role >= RAC_NROLES)
		return NULL;
	return &procs[role];
}

const struct rac_proc *proc_by_tag(const char *tag)
{
	for (int i = 0; i < RAC_NROLES; i++) {
		const struct rac_proc *p = &procs[i];
		size_t n = strlen(p->pr_exe) - 4;	/* "lms" from "rac_lms" */

		if (!strcasecmp(tag, p->pr_tag) || !strcasecmp(tag, p->pr_name) ||
		    (strlen(tag) == n && !strncasecmp(tag, p->pr_exe + 4, n)))
			return p;
	}
	return NULL;
}

int proc_title(enum rac_role role, const char *inst, char *buf, size_t len)
{
	const struct rac_proc *p = proc_by_role(role);
	int n;

	if (!p)
		return RAC_EINVAL;
	n = snprintf(buf, len, "rac_%s_%s", p->pr_tag, inst);
	return (n < 0 || (size_t)n >= len) ? RAC_ETOOLONG : 0;
}

static int has_members(const char *dir)
{
	char path[PATH_MAX];

	for (int i = 0; i < RAC_NROLES; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, procs[i].pr_exe);
		if (access(path, X_OK))
			return 0;
	}
	return 1;
}

int proc_exe_dir(char *buf, size_t len)
{
	char self[PATH_MAX], cand[PATH_MAX];
	const char *env = getenv("RACRT_LIBEXEC");
	ssize_t n;
	char *slash;

	if (env && *env)
		return has_members(env) ? rac_strlcpy(buf, env, len) : RAC_ENOENT;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return RAC_ENOENT;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return RAC_ENOENT;
	*slash = '\0';
	if (has_members(self))
		return rac_strlcpy(buf, self, len);
	snprintf(cand, sizeof(cand), "%s/../libexec/racrt", self);
	if (has_members(cand))
		return rac_strlcpy(buf, cand, len);
	return RAC_ENOENT;
}

/* "ipc://<local_dir>/<name>", which must fit a Unix socket's sun_path */
static int local_ep(const char *local_dir, const char *name, char *ep, size_t eplen,
		    char *path, size_t pathlen)
{
	struct sockaddr_un sun;
	int n = snprintf(ep, eplen, "ipc://%s/%s", local_dir, name);

	/* a Unix socket path must fit sun_path, or it could not be bound */
	if (n < 0 || (size_t)n >= eplen || strlen(ep + 6) >= sizeof(sun.sun_path))
		return RAC_ETOOLONG;
	if (path && rac_strlcpy(path, ep + 6, pathlen))
		return RAC_ETOOLONG;
	return 0;
}

int proc_lms_client_ep(const char *local_dir, char *ep, size_t eplen, char *path,
		       size_t pathlen)
{
	return local_ep(local_dir, "lms.sock", ep, eplen, path, pathlen);
}

int proc_lmon_view_ep(const char *local_dir, char *ep, size_t eplen, char *path,
		      size_t pathlen)
{
	return local_ep(local_dir, "lmon.sock", ep, eplen, path, pathlen);
}

void proc_name_nm_slots(struct sga *s)
{
	for (int r = 0; r < RAC_NROLES; r++)
		rac_strlcpy(sga_nm(s, r)->nm_name, proc_by_role(r)->pr_name,
			    sizeof(sga_nm(s, r)->nm_name));
}
