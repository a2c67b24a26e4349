/*
 * lab_hang.c - the lab's hung-disk drill (racctl fault disk-hang /
 * disk-resume); the other lab faults are in lab.c, the layout in lab.h.
 *
 * A hung disk is one whose I/O is never answered: no error, the caller just
 * waits.  rac_hangfs (hangfs/hangfs.c) makes one: started inside instance
 * N's mount namespace, it covers the disk's path there with a FUSE file
 * that passes I/O through to the real one and, from the moment it is
 * ready, answers nothing.  Instance N's next open, read or write of that
 * path waits; every other instance, and N's descriptors opened before,
 * still reach the real file.
 *
 *   racctl: lab_hang()   -> fork, setsid, setns(N's mount namespace), fork,
 *                           exec rac_hangfs --hang --watch GUARDIAN DIR PATH
 *           rac_hangfs   -> covers PATH, hangs, writes "ok PID" on the pipe
 *   racctl: lab_resume() -> SIGTERM: rac_hangfs answers what waits, uncovers
 *                           PATH and exits once the last descriptor on it closes
 *
 * The bad-sector drill (racctl fault disk-error / disk-clear) is the same
 * daemon, serving instead of hanging, with byte ranges whose reads fail
 * with EIO (DIR/errors, re-read on SIGWINCH): lab_disk_error() starts one,
 * or adds the range to the one already there; lab_disk_clear() takes the
 * ranges away and retires a daemon that does not also hang.  A disk-hang
 * on a file that has bad ranges hangs the same daemon; a disk-resume
 * retires it, bad ranges and all.
 *
 * Each drill has a private directory, <local_dir>/hangfs/disk<K> or
 * .../control (its pid, state and log), so that racctl down and the tests'
 * clean-up find every daemon a drill left.  rac_hangfs also stops by itself
 * when the guardian it watches is gone; what waits then fails with ENOTCONN.
 *
 * This file is separate from lab.c so that the drill and changes to the lab
 * itself can be made side by side.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disk.h"
#include "errors.h"
#include "lab.h"
#include "procs.h"

#define HANG_READY_MS	5000	/* rac_hangfs mounts and covers in milliseconds */
#define HANG_RETIRE_MS	3000	/* a SIGTERM is acted on at its next loop turn */
#define HANG_STOP_MS	2000

static void hang_dir(const struct rac_inst_cfg *ic, int disk, char *buf, size_t len)
{
	if (disk == LAB_HANG_CONTROL)
		snprintf(buf, len, "%s/hangfs/control", ic->ic_local_dir);
	else
		snprintf(buf, len, "%s/hangfs/disk%d", ic->ic_local_dir, disk);
}

static void hang_what(const struct rac_config *lab, int disk, char *buf, size_t len)
{
	char ctl[RAC_PATH_MAX + 16];

	if (disk == LAB_HANG_CONTROL) {
		config_control_path(lab, ctl, sizeof(ctl));
		snprintf(buf, len, "the control file (%s)", ctl);
	} else {
		snprintf(buf, len, "voting disk %d (%s)", disk, lab->cf_voting[disk - 1]);
	}
}

/*
 * The pid of the rac_hangfs serving `dir`, or 0: its pid file names a live
 * process whose command line is rac_hangfs's and names `dir` (a recycled
 * pid is never signalled).
 */
static pid_t hang_pid(const char *dir)
{
	char path[RAC_PATH_MAX + 64], cmd[8192];
	ssize_t n;
	FILE *f;
	int pid = 0, fd;

	snprintf(path, sizeof(path), "%s/pid", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &pid) != 1)
		pid = 0;
	fclose(f);
	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	cmd[n] = '\0';
	/* argv[0] ends in rac_hangfs; DIR is one of the arguments */
	{
		const char *base = strrchr(cmd, '/');
		bool named = false;

		if (strcmp(base ? base + 1 : cmd, "rac_hangfs"))
			return 0;
		for (ssize_t i = 0; i < n; i += (ssize_t)strlen(cmd + i) + 1)
			named |= !strcmp(cmd + i, dir);
		if (!named)
			return 0;
	}
	/* a zombie has exited: its mounts are gone */
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f) {
		char state = 0;

		if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1 || state == 'Z')
			pid = 0;
		fclose(f);
	}
	return pid;
}

static bool gone_within(const char *dir, int ms)
{
	for (int t = 0; t < ms; t += 10) {
		if (!hang_pid(dir))
			return true;
		rac_sleep_ms(10);
	}
	return !hang_pid(dir);
}

/* the first word of DIR/state ("serving", "hung", "retiring"); "" if none */
static void hang_state(const char *dir, char *buf, size_t len)
{
	char path[RAC_PATH_MAX + 64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/state", dir);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* "gen G" from DIR/state's errors line: the DIR/errors it has read; 0 none */
static unsigned long long hang_errors_gen(const char *dir)
{
	char path[RAC_PATH_MAX + 64], line[128];
	unsigned long long gen = 0;
	int n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/state", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "errors %d gen %llu", &n, &gen) == 2)
			break;
	fclose(f);
	return gen;
}

static int check(const struct rac_config *lab, int disk, char *err, size_t errlen)
{
	if (!lab->cf_lab) {
		snprintf(err, errlen, "no lab is up: disk-hang, disk-resume, disk-error and "
			 "disk-clear need 'racctl up --lab'");
		return RAC_EINVAL;
	}
	if (getuid() != 0) {
		snprintf(err, errlen, "disk-hang and disk-error mount a file system in an "
			 "instance's mount namespace: run them as root");
		return RAC_EINVAL;
	}
	if (disk != LAB_HANG_CONTROL && (disk < 1 || disk > lab->cf_nvoting)) {
		snprintf(err, errlen, "--disk %d: there are %d voting disks", disk,
			 lab->cf_nvoting);
		return RAC_EINVAL;
	}
	return 0;
}

/* the grandchild: rac_hangfs in the instance's mount namespace */
static void __attribute__((noreturn)) start_daemon(int nsfd, int wr, const char *exe,
						   const char *dir, const char *target,
						   pid_t guardian, int hang)
{
	char logpath[RAC_PATH_MAX + 64], gbuf[16];
	int fd;

	if (setsid() < 0 || setns(nsfd, CLONE_NEWNS)) {
		dprintf(wr, "cannot enter the mount namespace of pid %d: %s\n", (int)guardian,
			strerror(errno));
		_exit(1);
	}
	if (fork() != 0)
		_exit(0);	/* rac_hangfs is re-parented: it outlives racctl */
	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, STDIN_FILENO);
	fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	if ((wr == 3 ? fcntl(3, F_SETFD, 0) : dup2(wr, 3)) < 0)
		_exit(1);
	snprintf(gbuf, sizeof(gbuf), "%d", (int)guardian);
	if (hang)
		execl(exe, "rac_hangfs", "--hang", "--watch", gbuf, "--ready-fd", "3", dir, target,
		      (char *)NULL);
	else
		execl(exe, "rac_hangfs", "--watch", gbuf, "--ready-fd", "3", dir, target,
		      (char *)NULL);
	dprintf(3, "cannot run %s: %s\n", exe, strerror(errno));
	_exit(127);
}

/*
 * DIR/errors: "gen G", then the ranges.  `keep` keeps the ranges already
 * there; `off`/`len` (len 0: none) is added.  The new generation, or 0.
 */
static unsigned long long write_errors(const char *dir, int keep, long long off, long long len)
{
	char path[RAC_PATH_MAX + 64], tmp[RAC_PATH_MAX + 80], line[256], ranges[4096] = "";
	unsigned long long gen = 0, g;
	size_t used = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/errors", dir);
	snprintf(tmp, sizeof(tmp), "%s/errors.tmp", dir);
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			long long o, n;

			if (sscanf(line, "gen %llu", &g) == 1)
				gen = g;
			else if (keep && sscanf(line, "%lld %lld", &o, &n) == 2 &&
				 !(o == off && n == len) && used < sizeof(ranges) - 64)
				used += (size_t)snprintf(ranges + used, sizeof(ranges) - used,
							 "%lld %lld\n", o, n);
		}
		fclose(f);
	}
	if (gen < hang_errors_gen(dir))
		gen = hang_errors_gen(dir);
	gen++;
	f = fopen(tmp, "w");
	if (!f)
		return 0;
	fprintf(f, "gen %llu\n%s", gen, ranges);
	if (len > 0)
		fprintf(f, "%lld %lld\n", off, len);
	if (fclose(f) || rename(tmp, path))
		return 0;
	return gen;
}

/* SIGWINCH, and wait for the daemon to say it read DIR/errors `gen` */
static int reload_errors(const char *dir, pid_t pid, unsigned long long gen, char *err,
			 size_t errlen)
{
	if (kill(pid, SIGWINCH)) {
		snprintf(err, errlen, "cannot signal rac_hangfs (pid %d): %s", (int)pid,
			 strerror(errno));
		return RAC_ESYS;
	}
	for (int t = 0; hang_errors_gen(dir) < gen; t += 10) {
		if (t >= HANG_READY_MS || !hang_pid(dir)) {
			snprintf(err, errlen, "rac_hangfs (pid %d) did not take the bad ranges "
				 "within %d ms; see %s/log", (int)pid, HANG_READY_MS, dir);
			return RAC_EIO;
		}
		rac_sleep_ms(10);
	}
	return 0;
}

/* rac_hangfs over `target` in the guardian's mount namespace, hung or serving */
static int start(const struct rac_config *lab, const struct rac_inst_cfg *ic, pid_t guardian,
		 int disk, const char *target, int hang, char *err, size_t errlen)
{
	char dir[RAC_PATH_MAX + 32], exe[PATH_MAX + 16], what[RAC_PATH_MAX + 48],
		ns[64], line[512] = "";
	int nsfd, pfd[2], status;
	size_t got = 0;
	pid_t child, pid;

	hang_dir(ic, disk, dir, sizeof(dir));
	hang_what(lab, disk, what, sizeof(what));
	if (proc_exe_dir(exe, sizeof(exe) - 16)) {
		snprintf(err, errlen, "cannot find the directory of the member executables");
		return RAC_ENOENT;
	}
	strcat(exe, "/rac_hangfs");
	if (access(exe, X_OK)) {
		snprintf(err, errlen, "cannot run %s: %s (is it built? 'make')", exe,
			 strerror(errno));
		return RAC_ENOENT;
	}
	if (rac_mkdirs(dir)) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return RAC_EIO;
	}
	snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)guardian);
	nsfd = open(ns, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", ns, strerror(errno));
		return RAC_ESYS;
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		close(nsfd);
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return RAC_ESYS;
	}
	child = fork();
	if (child == 0) {
		close(pfd[0]);
		start_daemon(nsfd, pfd[1], exe, dir, target, guardian, hang);
	}
	close(nsfd);
	close(pfd[1]);
	if (child < 0) {
		close(pfd[0]);
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return RAC_ESYS;
	}
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	/* one line: "ok PID" once the path is covered and hangs, or why not */
	for (int64_t end = (int64_t)(rac_now_mono_ns() / 1000000) + HANG_READY_MS;
	     got < sizeof(line) - 1 && !memchr(line, '\n', got);) {
		int64_t left = end - (int64_t)(rac_now_mono_ns() / 1000000);
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = read(pfd[0], line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		line[got] = '\0';
	}
	close(pfd[0]);
	line[strcspn(line, "\n")] = '\0';
	if (!strncmp(line, "ok ", 3))
		return 0;
	/* not ready in time, or failed: nothing of it may stay */
	if ((pid = hang_pid(dir))) {
		kill(pid, SIGINT);
		if (!gone_within(dir, HANG_STOP_MS))
			kill(pid, SIGKILL);
	}
	snprintf(err, errlen, "cannot %s %s%s for instance %d: %s", hang ? "make" : "give", what,
		 hang ? " hang" : " bad sectors", ic->ic_number,
		 line[0] ? line : "rac_hangfs did not get ready in time");
	return RAC_EIO;
}

int lab_hang(const struct rac_config *lab, const struct rac_inst_cfg *ic, pid_t guardian,
	     int disk, const char *target, char *err, size_t errlen)
{
	char dir[RAC_PATH_MAX + 32], what[RAC_PATH_MAX + 48], state[32];
	int rc;
	pid_t pid;

	if ((rc = check(lab, disk, err, errlen)))
		return rc;
	hang_dir(ic, disk, dir, sizeof(dir));
	hang_what(lab, disk, what, sizeof(what));
	if ((pid = hang_pid(dir))) {
		hang_state(dir, state, sizeof(state));
		if (strcmp(state, "serving")) {
			snprintf(err, errlen, "%s already hangs for instance %d (rac_hangfs pid %d); "
				 "'racctl fault disk-resume' first", what, ic->ic_number, (int)pid);
			return RAC_EINVAL;
		}
		/* the bad-sector drill's daemon: it hangs too, from now on */
		kill(pid, SIGUSR1);
		for (int t = 0; strcmp(state, "hung"); t += 10) {
			if (t >= HANG_READY_MS) {
				snprintf(err, errlen, "rac_hangfs (pid %d) did not hang within %d ms; "
					 "see %s/log", (int)pid, HANG_READY_MS, dir);
				return RAC_EIO;
			}
			rac_sleep_ms(10);
			hang_state(dir, state, sizeof(state));
		}
		return 0;
	}
	if (rac_mkdirs(dir)) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return RAC_EIO;
	}
	write_errors(dir, 0, 0, 0);	/* a new drill: no bad ranges left from an old one */
	return start(lab, ic, guardian, disk, target, 1, err, errlen);
}

int lab_disk_error(const struct rac_config *lab, const struct rac_inst_cfg *ic, pid_t guardian,
		   int disk, const char *target, uint32_t block, char *err, size_t errlen)
{
	char dir[RAC_PATH_MAX + 32];
	unsigned long long gen;
	int rc;
	pid_t pid;

	if ((rc = check(lab, disk, err, errlen)))
		return rc;
	hang_dir(ic, disk, dir, sizeof(dir));
	if (rac_mkdirs(dir)) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return RAC_EIO;
	}
	pid = hang_pid(dir);
	gen = write_errors(dir, pid != 0, (long long)block * RAC_SLOT_SIZE, RAC_SLOT_SIZE);
	if (!gen) {
		snprintf(err, errlen, "cannot write %s/errors: %s", dir, strerror(errno));
		return RAC_EIO;
	}
	if (pid)
		return reload_errors(dir, pid, gen, err, errlen);
	return start(lab, ic, guardian, disk, target, 0, err, errlen);
}

/*
 * The drill running for instance `ic` on `disk`: its directory, what the
 * disk is called, the daemon's pid; RAC_EINVAL with "<what> <none> for
 * instance N" in msg when there is none.
 */
static int find_drill(const struct rac_config *lab, const struct rac_inst_cfg *ic, int disk,
		      const char *none, char dir[RAC_PATH_MAX + 32], char what[RAC_PATH_MAX + 48],
		      pid_t *pid, char *msg, size_t msglen)
{
	int rc;

	if ((rc = check(lab, disk, msg, msglen)))
		return rc;
	hang_dir(ic, disk, dir, RAC_PATH_MAX + 32);
	hang_what(lab, disk, what, RAC_PATH_MAX + 48);
	*pid = hang_pid(dir);
	if (!*pid) {
		snprintf(msg, msglen, "%s %s for instance %d", what, none, ic->ic_number);
		return RAC_EINVAL;
	}
	return 0;
}

int lab_disk_clear(const struct rac_config *lab, const struct rac_inst_cfg *ic, int disk,
		   char *msg, size_t msglen)
{
	char dir[RAC_PATH_MAX + 32], what[RAC_PATH_MAX + 48], state[32];
	unsigned long long gen;
	int rc;
	pid_t pid;

	if ((rc = find_drill(lab, ic, disk, "has no bad sectors", dir, what, &pid, msg, msglen)))
		return rc;
	gen = write_errors(dir, 0, 0, 0);
	if (!gen) {
		snprintf(msg, msglen, "cannot write %s/errors: %s", dir, strerror(errno));
		return RAC_EIO;
	}
	if ((rc = reload_errors(dir, pid, gen, msg, msglen)))
		return rc;
	hang_state(dir, state, sizeof(state));
	if (!strcmp(state, "hung")) {
		snprintf(msg, msglen, "%s reads again for instance %d (%s); it still hangs "
			 "until 'racctl fault disk-resume'", what, ic->ic_number, ic->ic_name);
		return 0;
	}
	/* nothing else to do for it: retired, as on disk-resume */
	if ((rc = lab_resume(lab, ic, disk, msg, msglen)))
		return rc;
	snprintf(msg, msglen, "%s reads again for instance %d (%s)", what, ic->ic_number,
		 ic->ic_name);
	return 0;
}

int lab_resume(const struct rac_config *lab, const struct rac_inst_cfg *ic, int disk,
	       char *msg, size_t msglen)
{
	char dir[RAC_PATH_MAX + 32], what[RAC_PATH_MAX + 48], state[32];
	int rc;
	pid_t pid;

	if ((rc = find_drill(lab, ic, disk, "does not hang", dir, what, &pid, msg, msglen)))
		return rc;
	if (kill(pid, SIGTERM)) {
		snprintf(msg, msglen, "cannot signal rac_hangfs (pid %d): %s", (int)pid,
			 strerror(errno));
		return RAC_ESYS;
	}
	/* answered and uncovered once it says "retiring" (or is gone) */
	for (int t = 0;; t += 10) {
		hang_state(dir, state, sizeof(state));
		if (!hang_pid(dir) || !strcmp(state, "retiring"))
			break;
		if (t >= HANG_RETIRE_MS) {
			snprintf(msg, msglen, "rac_hangfs (pid %d) did not resume within %d ms; "
				 "see %s/log", (int)pid, HANG_RETIRE_MS, dir);
			return RAC_EIO;
		}
		rac_sleep_ms(10);
	}
	if (gone_within(dir, 200))
		snprintf(msg, msglen, "I/O on %s answered again for instance %d (%s)", what,
			 ic->ic_number, ic->ic_name);
	else
		snprintf(msg, msglen, "I/O on %s answered again for instance %d (%s); rac_hangfs "
			 "(pid %d) passes I/O through until the instance closes the file",
			 what, ic->ic_number, ic->ic_name, (int)pid);
	return 0;
}

int lab_hang_clear(const struct rac_config *lab, int stop)
{
	int n = 0;

	for (int i = 1; i <= RAC_MAX_INST; i++) {
		const struct rac_inst_cfg *ic = config_inst(lab, i);

		if (!ic)
			continue;
		for (int d = 0; d <= lab->cf_nvoting; d++) {
			char dir[RAC_PATH_MAX + 32];
			pid_t pid;

			hang_dir(ic, d, dir, sizeof(dir));
			if (!(pid = hang_pid(dir)))
				continue;
			n++;
			if (!stop) {
				kill(pid, SIGTERM);
				continue;
			}
			kill(pid, SIGINT);
			if (!gone_within(dir, HANG_STOP_MS))
				kill(pid, SIGKILL);
		}
	}
	return n;
}
