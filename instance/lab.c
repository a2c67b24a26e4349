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

#include "disk.h"
#include "errors.h"
#include "lab.h"

/* ---- loop devices: each lab host its own block device per shared-disk file ---- */

/*
 * Run losetup with `argv` (no shell: the image paths come from the
 * configuration), its first output line into `out`: 0 or RAC_EIO with err.
 */
static int losetup(char *const argv[], char *out, size_t outlen, char *err, size_t errlen)
{
	char buf[512] = "";
	int pfd[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	if (pipe(pfd)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return RAC_EIO;
	}
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execvp("losetup", argv);
		_exit(127);
	}
	close(pfd[1]);
	while (pid > 0 && n + 1 < sizeof(buf) && (r = read(pfd[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	close(pfd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "'losetup %s %s' failed: %s", argv[1], argv[2] ? argv[2] : "",
			 buf[0] ? buf : "no output");
		return RAC_EIO;
	}
	if (out)
		snprintf(out, outlen, "%s", buf);
	return 0;
}

/* a loop device over `image`, direct I/O on, `sector` bytes per logical sector */
static int loop_attach(const char *image, int sector, char *dev, size_t len, char *err,
		       size_t errlen)
{
	char ss[16];
	char *argv[] = { "losetup", "-f", "--show", "--direct-io=on", "-b", ss, (char *)image,
			 NULL };

	snprintf(ss, sizeof(ss), "%d", sector);
	return losetup(argv, dev, len, err, errlen);
}

/* the image a loop device is attached to, "" when none */
static void loop_backing(const char *dev, char *buf, size_t len)
{
	char path[96];
	FILE *f;

	buf[0] = '\0';
	if (strncmp(dev, "/dev/loop", 9))
		return;
	snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", dev + 5);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* detach `dev` if it is a loop device over one of the lab's images */
static int loop_detach(const struct rac_config *cl, const char *dev, char *err, size_t errlen)
{
	char backing[RAC_PATH_MAX + 16], ctl[RAC_PATH_MAX + 16];
	char *argv[] = { "losetup", "-d", (char *)dev, NULL };
	bool ours;

	loop_backing(dev, backing, sizeof(backing));
	if (!backing[0])
		return 0;
	config_control_path(cl, ctl, sizeof(ctl));
	ours = !strcmp(backing, ctl);
	for (int d = 0; d < cl->cf_nvoting; d++)
		ours |= !strcmp(backing, cl->cf_voting[d]);
	return ours ? losetup(argv, NULL, 0, err, errlen) : 0;
}

/* the image files, created at their size if missing (a loop device needs one) */
static int make_image(const char *path, uint32_t nblocks, char *err, size_t errlen)
{
	char dir[RAC_PATH_MAX + 16];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int fd;

	if (stat(path, &st) == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 0, path);
	if (dir[0] && rac_mkdirs(dir)) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return RAC_EIO;
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)nblocks * RAC_SLOT_SIZE)) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return RAC_EIO;
	}
	close(fd);
	return 0;
}

/* each lab host's devices: [0] the control file, [1..] the voting disks */
struct lab_loops {
	char ll_dev[16][1 + RAC_MAX_VOTING][32];
	int ll_count;		/* instances */
	int ll_nfiles;
};

static void loops_detach(const struct rac_config *base, struct lab_loops *ll)
{
	char ignore[256];

	for (int i = 0; i < ll->ll_count; i++)
		for (int f = 0; f < ll->ll_nfiles; f++)
			if (ll->ll_dev[i][f][0])
				loop_detach(base, ll->ll_dev[i][f], ignore, sizeof(ignore));
}

static int loops_attach(const struct rac_config *base, int count, struct lab_loops *ll,
			char *err, size_t errlen)
{
	char ctl[RAC_PATH_MAX + 16];
	int rc;

	memset(ll, 0, sizeof(*ll));
	ll->ll_count = count;
	ll->ll_nfiles = 1 + base->cf_nvoting;
	config_control_path(base, ctl, sizeof(ctl));
	if ((rc = make_image(ctl, CTL_NBLOCKS, err, errlen)))
		return rc;
	for (int d = 0; d < base->cf_nvoting; d++)
		if ((rc = make_image(base->cf_voting[d], VOTE_NBLOCKS, err, errlen)))
			return rc;
	for (int i = 0; i < count; i++)
		for (int f = 0; f < ll->ll_nfiles; f++) {
			rc = loop_attach(f ? base->cf_voting[f - 1] : ctl, 512, ll->ll_dev[i][f],
					 sizeof(ll->ll_dev[i][f]), err, errlen);
			if (rc) {
				loops_detach(base, ll);
				return rc;
			}
		}
	return 0;
}

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

static int write_config(const struct rac_config *base, int count, const struct lab_loops *ll,
			char *err, size_t errlen)
{
	char path[RAC_PATH_MAX + 16], tmp[RAC_PATH_MAX + 32], ctl[RAC_PATH_MAX + 16];
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
	config_control_path(base, ctl, sizeof(ctl));
	fprintf(f, "\ncontrol_file = %s", ctl);
	fprintf(f, "\nheartbeat_interval_ms = %d\nmisscount_ms = %d\n"
		"disk_heartbeat_interval_ms = %d\ndisktimeout_ms = %d\nckpt_interval_ms = %d\n"
		"ckpt_timeout_ms = %d\nimr_splitbrain_res_wait_ms = %d\nmember_heartbeat_ms = %d\n"
		"member_hang_timeout_ms = %d\nstart_timeout_ms = %d\nstop_timeout_ms = %d\n"
		"lab = yes\ninterconnect_auth = %s\nkey_dir = %s\n", base->cf_heartbeat_interval_ms, base->cf_misscount_ms,
		base->cf_disk_heartbeat_interval_ms, base->cf_disktimeout_ms,
		base->cf_ckpt_interval_ms, base->cf_ckpt_timeout_ms,
		base->cf_imr_splitbrain_res_wait_ms, base->cf_member_heartbeat_ms,
		base->cf_member_hang_timeout_ms, base->cf_start_timeout_ms,
		base->cf_stop_timeout_ms, base->cf_auth ? "yes" : "no", base->cf_key_dir);
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
		/* this lab host's own block devices over the shared images */
		fprintf(f, "control_file = %s\nvoting_disks = ", ll->ll_dev[i - 1][0]);
		for (int d = 1; d < ll->ll_nfiles; d++)
			fprintf(f, "%s%s", d > 1 ? ", " : "", ll->ll_dev[i - 1][d]);
		fprintf(f, "\n");
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
	{
		struct lab_loops *ll = calloc(1, sizeof(*ll));

		if (!ll) {
			snprintf(err, errlen, "out of memory");
			return RAC_EIO;
		}
		rc = loops_attach(base, count, ll, err, errlen);
		if (rc == 0 && (rc = write_config(base, count, ll, err, errlen)))
			loops_detach(base, ll);
		free(ll);
	}
	return rc;
}

int lab_destroy(const struct rac_config *lab, char *err, size_t errlen)
{
	char sw[96], path[RAC_PATH_MAX + 16];
	struct rac_config *cl = malloc(sizeof(*cl));
	int rc = 0;

	/* every lab host's loop devices (only those over the lab's images) */
	if (cl) {
		memcpy(cl, lab, sizeof(*cl));
		config_localize(cl, 0);
		for (int i = 1; i <= RAC_MAX_INST; i++) {
			const struct rac_inst_cfg *ic = config_inst(cl, i);
			const char *dev;

			if (!ic)
				continue;
			for (int d = 0; d < ic->ic_nvoting; d++)
				if ((dev = config_path(cl, ic->ic_voting[d])) &&
				    loop_detach(cl, dev, err, errlen))
					rc = RAC_EIO;
			if ((dev = config_path(cl, ic->ic_control)) && loop_detach(cl, dev, err, errlen))
				rc = RAC_EIO;
		}
		free(cl);
	}

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		const struct rac_inst_cfg *ic = config_inst(lab, i);

		if (ic && ic->ic_netns[0] && safe(ic->ic_netns) && netns_exists(ic->ic_netns) &&
		    run(err, errlen, "ip netns del %s 2>&1", ic->ic_netns))
			rc = RAC_EIO;
		/* the clock-skew drill ends with the lab */
		if (ic && lab_clock_offset_save(ic, 0, err, errlen))
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
