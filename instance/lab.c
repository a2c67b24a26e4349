/*
 * lab.c - the namespace lab; layout and faults in lab.h.
 *
 * Links and namespaces are made with iproute2's `ip`, run as a child with
 * its output kept for the error message: the commands an operator would
 * type, so what racctl did can be repeated and inspected by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "lab.h"

/* run argv; 0, or RAC_EIO with the command and its output in err */
static int run(char *err, size_t errlen, const char *fmt, ...)
{
	char cmd[512], out[256] = "";
	va_list ap;
	FILE *p;
	int status;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	/* the command line is built here from checked names only, never from input */
	p = popen(cmd, "r");
	if (!p) {
		snprintf(err, errlen, "cannot run '%s': %s", cmd, strerror(errno));
		return RAC_EIO;
	}
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	status = pclose(p);
	if (status != 0) {
		snprintf(err, errlen, "'%s' failed: %s", cmd, out[0] ? out : "no output");
		return RAC_EIO;
	}
	return 0;
}

static bool safe(const char *s)
{
	for (; *s; s++)
		if (!(*s == '-' || *s == '_' || *s == '.' || (*s >= '0' && *s <= '9') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

static bool netns_exists(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	return access(path, F_OK) == 0;
}

static int write_config(const struct rac_config *base, int count, char *err, size_t errlen)
{
	char path[RAC_PATH_MAX + 16], tmp[RAC_PATH_MAX + 32];
	FILE *f;

	if (rac_mkdirs(base->cf_shared_disk)) {
		snprintf(err, errlen, "cannot create %s: %s", base->cf_shared_disk, strerror(errno));
		return RAC_EIO;
	}
	config_lab_path(base, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		return RAC_EIO;
	}
	fprintf(f, "; written by racctl up --lab; removed by racctl down\n[cluster]\n");
	fprintf(f, "name = %s\nshared_disk = %s\nvoting_disks = ", base->cf_name,
		base->cf_shared_disk);
	for (int d = 0; d < base->cf_nvoting; d++)
		fprintf(f, "%s%s", d ? ", " : "", base->cf_voting[d]);
	fprintf(f, "\nheartbeat_interval_ms = %d\nmisscount_ms = %d\n"
		"disk_heartbeat_interval_ms = %d\ndisktimeout_ms = %d\nckpt_interval_ms = %d\n"
		"ckpt_timeout_ms = %d\nimr_splitbrain_res_wait_ms = %d\nmember_heartbeat_ms = %d\n"
		"member_hang_timeout_ms = %d\nstart_timeout_ms = %d\nstop_timeout_ms = %d\n"
		"lab = yes\n", base->cf_heartbeat_interval_ms, base->cf_misscount_ms,
		base->cf_disk_heartbeat_interval_ms, base->cf_disktimeout_ms,
		base->cf_ckpt_interval_ms, base->cf_ckpt_timeout_ms,
		base->cf_imr_splitbrain_res_wait_ms, base->cf_member_heartbeat_ms,
		base->cf_member_hang_timeout_ms, base->cf_start_timeout_ms,
		base->cf_stop_timeout_ms);
	for (int i = 1; i <= count; i++) {
		const struct rac_inst_cfg *ic = config_inst(base, i);
		char name[RAC_NAME_MAX];

		snprintf(name, sizeof(name), "RAC%d", i);
		fprintf(f, "\n[instance%d]\nname = %s\nhost = localhost\n"
			"lmon_endpoint = tcp://%s.%d:7101\nlms_endpoint = tcp://%s.%d:7201\n"
			"netns = racrt-%s-%d\n", i, ic ? ic->ic_name : name, LAB_SUBNET, i,
			LAB_SUBNET, i, base->cf_name, i);
		if (ic)
			fprintf(f, "local_dir = %s\n", ic->ic_local_dir);
		else
			fprintf(f, "local_dir = %s/%s\n", base->cf_shared_disk, name);
	}
	if (fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, path)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return RAC_EIO;
	}
	return 0;
}

/* undo a lab_create() that failed half way: the namespaces it made go */
static void remove_namespaces(const char *cluster, int count)
{
	char ns[96], ignore[256];

	for (int i = 1; i <= count; i++) {
		snprintf(ns, sizeof(ns), "racrt-%s-%d", cluster, i);
		if (netns_exists(ns))
			run(ignore, sizeof(ignore), "ip netns del %s 2>&1", ns);
	}
	snprintf(ns, sizeof(ns), "racrt-%s-sw", cluster);
	if (netns_exists(ns))
		run(ignore, sizeof(ignore), "ip netns del %s 2>&1", ns);
}

static int create(const struct rac_config *base, int count, char *err, size_t errlen);

int lab_create(const struct rac_config *base, int count, char *err, size_t errlen)
{
	int rc = create(base, count, err, errlen);

	if (rc && rc != RAC_EINVAL)
		remove_namespaces(base->cf_name, count);
	return rc;
}

static int create(const struct rac_config *base, int count, char *err, size_t errlen)
{
	char sw[96];
	int rc;

	if (getuid() != 0) {
		snprintf(err, errlen, "lab mode makes network and mount namespaces: run it as root");
		return RAC_EINVAL;
	}
	if (count < 1 || count > 16) {
		snprintf(err, errlen, "-n %d: a lab holds 1 to 16 instances", count);
		return RAC_EINVAL;
	}
	if (!safe(base->cf_name)) {
		snprintf(err, errlen, "cluster name '%s' cannot name a namespace", base->cf_name);
		return RAC_EINVAL;
	}
	config_lab_switch(base, sw, sizeof(sw));
	if (!netns_exists(sw)) {
		if ((rc = run(err, errlen, "ip netns add %s 2>&1", sw)) ||
		    (rc = run(err, errlen, "ip -n %s link set lo up 2>&1", sw)) ||
		    (rc = run(err, errlen, "ip -n %s link add br0 type bridge 2>&1", sw)) ||
		    (rc = run(err, errlen, "ip -n %s addr add %s/24 dev br0 2>&1", sw,
			      LAB_SWITCH_IP)) ||
		    (rc = run(err, errlen, "ip -n %s link set br0 up 2>&1", sw)))
			return rc;
	}
	for (int i = 1; i <= count; i++) {
		char ns[96];

		snprintf(ns, sizeof(ns), "racrt-%s-%d", base->cf_name, i);
		if (netns_exists(ns))
			continue;
		if ((rc = run(err, errlen, "ip netns add %s 2>&1", ns)) ||
		    (rc = run(err, errlen, "ip -n %s link set lo up 2>&1", ns)) ||
		    (rc = run(err, errlen, "ip -n %s link add r%d type veth peer name eth0 "
			      "netns %s 2>&1", sw, i, ns)) ||
		    (rc = run(err, errlen, "ip -n %s link set r%d master br0 up 2>&1", sw, i)) ||
		    (rc = run(err, errlen, "ip -n %s addr add %s.%d/24 dev eth0 2>&1", ns,
			      LAB_SUBNET, i)) ||
		    (rc = run(err, errlen, "ip -n %s link set eth0 up 2>&1", ns)))
			return rc;
	}
	return write_config(base, count, err, errlen);
}

int lab_destroy(const struct rac_config *lab, char *err, size_t errlen)
{
	char sw[96], path[RAC_PATH_MAX + 16];
	int rc = 0;

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		const struct rac_inst_cfg *ic = config_inst(lab, i);

		if (ic && ic->ic_netns[0] && safe(ic->ic_netns) && netns_exists(ic->ic_netns) &&
		    run(err, errlen, "ip netns del %s 2>&1", ic->ic_netns))
			rc = RAC_EIO;
	}
	config_lab_switch(lab, sw, sizeof(sw));
	if (netns_exists(sw) && run(err, errlen, "ip netns del %s 2>&1", sw))
		rc = RAC_EIO;
	config_lab_path(lab, path, sizeof(path));
	if (unlink(path) && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
		rc = RAC_EIO;
	}
	return rc;
}

int lab_link(const struct rac_config *lab, int inst, int up, char *err, size_t errlen)
{
	char sw[96];

	if (!lab->cf_lab) {
		snprintf(err, errlen, "no lab is up: net-cut and net-restore need "
			 "'racctl up --lab'");
		return RAC_EINVAL;
	}
	config_lab_switch(lab, sw, sizeof(sw));
	return run(err, errlen, "ip -n %s link set r%d %s 2>&1", sw, inst, up ? "up" : "down");
}

int lab_enter_netns(const char *name)
{
	char path[128];
	int fd, rc;

	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return RAC_ESYS;
	rc = setns(fd, CLONE_NEWNET);
	close(fd);
	return rc ? RAC_ESYS : 0;
}

int lab_private_mounts(void)
{
	if (unshare(CLONE_NEWNS))
		return RAC_ESYS;
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return RAC_ESYS;
	return 0;
}

int lab_disk(const struct rac_config *lab, pid_t guardian, int disk, int off, char *err,
	     size_t errlen)
{
	char path[64];
	const char *target;
	int fd, status;
	pid_t pid;

	if (!lab->cf_lab) {
		snprintf(err, errlen, "no lab is up: disk-off and disk-on need 'racctl up --lab'");
		return RAC_EINVAL;
	}
	if (disk < 1 || disk > lab->cf_nvoting) {
		snprintf(err, errlen, "--disk %d: there are %d voting disks", disk,
			 lab->cf_nvoting);
		return RAC_EINVAL;
	}
	target = lab->cf_voting[disk - 1];
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)guardian);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return RAC_ESYS;
	}
	/* a child enters the instance's mount namespace; racctl stays where it is */
	pid = fork();
	if (pid == 0) {
		if (setns(fd, CLONE_NEWNS))
			_exit(10);
		if (off)
			_exit(mount("/dev/full", target, NULL, MS_BIND, NULL) ? 11 : 0);
		_exit(umount2(target, MNT_DETACH) ? (errno == EINVAL ? 13 : 12) : 0);
	}
	close(fd);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		snprintf(err, errlen, "cannot enter the mount namespace of pid %d", (int)guardian);
		return RAC_ESYS;
	}
	switch (WEXITSTATUS(status)) {
	case 0:
		return 0;
	case 10:
		snprintf(err, errlen, "cannot enter the mount namespace of pid %d", (int)guardian);
		return RAC_ESYS;
	case 13:
		snprintf(err, errlen, "voting disk %d was not taken away from this instance",
			 disk);
		return RAC_EINVAL;
	default:
		snprintf(err, errlen, "cannot %s %s in the instance's mount namespace",
			 off ? "cover" : "uncover", target);
		return RAC_ESYS;
	}
}
