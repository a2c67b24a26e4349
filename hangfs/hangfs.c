/*
 * hangfs.c - rac_hangfs, the lab's hung-disk drill (racctl fault disk-hang).
 *
 * A disk that hangs does not fail: its I/O is simply never answered, as on
 * a lost SAN path, a hard NFS mount or a multipath device that queues I/O.
 * /dev/full (disk-off) cannot show that.  rac_hangfs is a FUSE file system
 * whose root is one regular file standing in for another (TARGET): reads and
 * writes pass through to TARGET at the same offsets, until it is told to
 * hang; then every request it receives (open, read, write, fsync, getattr,
 * release ...) waits, unanswered, and on resume the waiting requests are
 * answered in the order they came.
 *
 *   rac_hangfs [--hang] [--watch PID] [--ready-fd FD] DIR TARGET
 *
 * It works in the mount namespace it is started in (racctl enters the
 * instance's first): TARGET is opened, DIR/file is mounted with this file
 * system and bind-mounted over TARGET, so that whoever opens TARGET in that
 * namespace from then on reaches this file system; descriptors opened
 * before keep reaching the real file.  DIR is its private directory:
 *
 *   DIR/file    the FUSE mount point (an empty regular file underneath)
 *   DIR/pid     its pid while it runs
 *   DIR/state   "serving", "hung" or "retiring", and the requests waiting
 *   DIR/log     what it did (its stderr)
 *
 *   DIR/errors  byte ranges whose reads fail (disk-error), see below
 *
 * Bad sectors (racctl fault disk-error): DIR/errors holds a line "gen G"
 * and then one line "OFFSET LENGTH" (bytes) per bad range, at most
 * MAX_BAD.  A read that touches one of them fails with EIO, as a read
 * over a sector the drive cannot read does; the rest of the file reads as
 * before.  Writes pass through, bad range or not (a drive rewrites or
 * remaps the sector on a write), so an owner's next write of a record
 * lands, yet reads of it keep failing until the range is cleared: the
 * fault lasts as long as the drill.  DIR/errors is read at start and on
 * SIGWINCH; DIR/state then shows "errors N gen G" and "failed F" (reads
 * failed so far).
 *
 * Commands are signals:
 *   SIGUSR1   hang: requests wait unanswered from now on
 *   SIGUSR2   resume: the waiting requests are answered, new ones at once
 *   SIGWINCH  read DIR/errors again
 *   SIGTERM   resume and retire: TARGET is uncovered and DIR/file unmounted
 *             (both lazily); it exits when the kernel ends the file system,
 *             i.e. once the last descriptor open on it is closed
 *   SIGINT    stop now: waiting requests fail with ENOTCONN, the mounts are
 *             removed, it exits (so does SIGHUP, and the exit of --watch PID)
 * It also exits by itself when the file system is unmounted under it, and
 * retires when someone else uncovers TARGET.  Killed with SIGKILL, the
 * kernel fails every request in flight with ENOTCONN and the mounts go with
 * the mount namespace.
 *
 * Honest pass-through: each open reopens TARGET (through the descriptor
 * taken before it was covered) with the caller's access mode, O_DIRECT,
 * O_DSYNC and O_SYNC, so a synchronous or direct write here is one there;
 * fsync and fdatasync are done on that descriptor.  Every file handle is
 * direct_io, so O_DIRECT opens work and nothing is cached in this kernel's
 * page cache.  Buffers are 4 KiB aligned for TARGET's O_DIRECT.  Where
 * TARGET refuses O_DIRECT (tmpfs) it is opened without, and the log says so.
 *
 * Interrupts are ignored, as a hung device ignores them: a request already
 * read from the kernel keeps its caller waiting (in D state, even after
 * SIGKILL) until it is answered or this process ends.
 */
#define FUSE_USE_VERSION 35

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/fs.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#define ALIGN 4096
#define MAX_BAD 16

enum op { OP_GETATTR, OP_SETATTR, OP_OPEN, OP_READ, OP_WRITE, OP_FLUSH, OP_FSYNC,
	  OP_RELEASE, OP_STATFS, OP_ACCESS };

static const char *op_names[] = { "getattr", "setattr", "open", "read", "write", "flush",
				  "fsync", "release", "statfs", "access" };

/* one request, as received; parked ones are copies (their data too) */
struct job {
	struct job *j_next;
	fuse_req_t j_req;
	enum op j_op;
	struct fuse_file_info j_fi;
	int j_has_fi;
	size_t j_size;
	off_t j_off;
	int j_datasync;
	struct stat j_attr;
	int j_to_set;
	void *j_data;		/* write: ALIGN-aligned copy */
};

static struct hangfs {
	char *h_dir;
	char *h_target;
	char h_mnt[4096];		/* DIR/file */
	int h_path_fd;			/* O_PATH on TARGET, taken before covering it */
	int h_hang_on_start;
	int h_hung;
	int h_bound;			/* TARGET covered by us */
	int h_retiring;
	int h_direct_refused;
	struct { long long b_off, b_len; } h_bad[MAX_BAD];
	int h_nbad;
	unsigned long long h_bad_gen, h_failed;
	struct job *h_head, **h_tail;
	unsigned h_waiting;
	unsigned long long h_served, h_parked;
	struct fuse_session *h_se;
} H = { .h_path_fd = -1 };

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ rac_hangfs[%d] ",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void dir_file(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", H.h_dir, name);
}

/* DIR/state, replaced whole so a reader never sees half of it */
static void write_state(void)
{
	char path[4200], tmp[4210];
	FILE *f;

	dir_file("state", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%s\nwaiting %u\nserved %llu\nparked %llu\nerrors %d gen %llu\nfailed %llu\n",
		H.h_retiring ? "retiring" : H.h_hung ? "hung" : "serving", H.h_waiting,
		H.h_served, H.h_parked, H.h_nbad, H.h_bad_gen, H.h_failed);
	if (fclose(f) == 0)
		rename(tmp, path);
}

/* ---- bad ranges ------------------------------------------------------------- */

/* DIR/errors, read afresh: a missing file clears every range */
static void load_errors(void)
{
	char path[4200], line[256];
	unsigned long long gen = 0;
	int n = 0;
	FILE *f;

	dir_file("errors", path, sizeof(path));
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			long long off, len;

			if (sscanf(line, "gen %llu", &gen) == 1)
				continue;
			if (sscanf(line, "%lld %lld", &off, &len) == 2 && off >= 0 && len > 0 &&
			    n < MAX_BAD) {
				H.h_bad[n].b_off = off;
				H.h_bad[n].b_len = len;
				n++;
			}
		}
		fclose(f);
	}
	H.h_nbad = n;
	H.h_bad_gen = gen;
	for (int i = 0; i < n; i++)
		say("bad range: reads of bytes %lld..%lld fail with EIO", H.h_bad[i].b_off,
		    H.h_bad[i].b_off + H.h_bad[i].b_len - 1);
	say("%d bad range%s in force (gen %llu)", n, n == 1 ? "" : "s", gen);
}

/* a read of [off, off + size) touches a bad range */
static bool read_is_bad(off_t off, size_t size)
{
	for (int i = 0; i < H.h_nbad; i++)
		if ((long long)off < H.h_bad[i].b_off + H.h_bad[i].b_len &&
		    H.h_bad[i].b_off < (long long)off + (long long)size)
			return true;
	return false;
}

/* ---- TARGET ---------------------------------------------------------------- */

static int target_stat(struct stat *st)
{
	struct stat real;

	if (fstat(H.h_path_fd, &real))
		return -errno;
	*st = real;
	/* a block device stands in as a regular file of the device's size */
	if (S_ISBLK(real.st_mode)) {
		char self[64];
		uint64_t bytes = 0;
		int fd;

		snprintf(self, sizeof(self), "/proc/self/fd/%d", H.h_path_fd);
		fd = open(self, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (ioctl(fd, BLKGETSIZE64, &bytes)) {
			int e = errno;

			close(fd);
			return -e;
		}
		close(fd);
		st->st_size = (off_t)bytes;
		st->st_blocks = (blkcnt_t)(bytes / 512);
	}
	st->st_mode = S_IFREG | (real.st_mode & 07777);
	st->st_nlink = 1;
	st->st_ino = FUSE_ROOT_ID;
	st->st_blksize = ALIGN;
	return 0;
}

/*
 * A descriptor on TARGET with the caller's flags.  /proc/self/fd/N of the
 * O_PATH descriptor reaches the file itself, not the mount over its path.
 */
static int target_reopen(int flags)
{
	char self[64];
	int want = (flags & (O_ACCMODE | O_DIRECT | O_DSYNC | O_SYNC)) | O_CLOEXEC;
	int fd;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", H.h_path_fd);
	fd = open(self, want);
	if (fd < 0 && errno == EINVAL && (want & O_DIRECT)) {
		if (!H.h_direct_refused)
			say("%s refuses O_DIRECT; passing direct opens through without it",
			    H.h_target);
		H.h_direct_refused = 1;
		fd = open(self, want & ~O_DIRECT);
	}
	return fd < 0 ? -errno : fd;
}

/* ---- answering a request ----------------------------------------------------- */

static void reply_attr(fuse_req_t req)
{
	struct stat st;
	int rc = target_stat(&st);

	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, 0.0);	/* never cached: a hang reaches getattr too */
}

static void run_job(struct job *j)
{
	fuse_req_t req = j->j_req;
	int fd = j->j_has_fi ? (int)j->j_fi.fh : -1;

	H.h_served++;
	switch (j->j_op) {
	case OP_GETATTR:
		reply_attr(req);
		break;
	case OP_SETATTR:
		if (j->j_to_set & FUSE_SET_ATTR_SIZE) {
			int tfd = fd >= 0 ? fd : target_reopen(O_WRONLY);
			int rc = tfd < 0 ? tfd : ftruncate(tfd, j->j_attr.st_size) ? -errno : 0;

			if (tfd >= 0 && tfd != fd)
				close(tfd);
			if (rc) {
				fuse_reply_err(req, -rc);
				break;
			}
		}
		/* mode, owner and times stay TARGET's: this file only stands in for it */
		reply_attr(req);
		break;
	case OP_OPEN: {
		struct fuse_file_info fi = j->j_fi;
		int nfd = target_reopen(fi.flags);

		if (nfd < 0) {
			fuse_reply_err(req, -nfd);
			break;
		}
		fi.fh = (uint64_t)nfd;
		fi.direct_io = 1;
		fi.keep_cache = 0;
		if (fuse_reply_open(req, &fi) == -ENOENT)
			close(nfd);	/* the caller is gone: no release will come */
		break;
	}
	case OP_READ: {
		void *buf = NULL;
		ssize_t n;

		if (read_is_bad(j->j_off, j->j_size)) {
			H.h_failed++;
			if (H.h_failed <= 3 || H.h_failed % 100 == 0)
				say("read of %zu bytes at %lld touches a bad range: EIO (%llu failed)",
				    j->j_size, (long long)j->j_off, H.h_failed);
			fuse_reply_err(req, EIO);
			if (H.h_failed <= 3 || H.h_failed % 100 == 0)
				write_state();
			break;
		}

		if (posix_memalign(&buf, ALIGN, j->j_size ? j->j_size : 1)) {
			fuse_reply_err(req, ENOMEM);
			break;
		}
		do
			n = pread(fd, buf, j->j_size, j->j_off);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			fuse_reply_err(req, errno);
		else
			fuse_reply_buf(req, buf, (size_t)n);
		free(buf);
		break;
	}
	case OP_WRITE: {
		ssize_t n;

		do
			n = pwrite(fd, j->j_data, j->j_size, j->j_off);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			fuse_reply_err(req, errno);
		else
			fuse_reply_write(req, (size_t)n);
		break;
	}
	case OP_FLUSH:
		/* close(2) promises nothing about durability: fsync does */
		fuse_reply_err(req, 0);
		break;
	case OP_FSYNC:
		fuse_reply_err(req, (j->j_datasync ? fdatasync(fd) : fsync(fd)) ? errno : 0);
		break;
	case OP_RELEASE:
		close(fd);
		fuse_reply_err(req, 0);
		break;
	case OP_STATFS: {
		struct statvfs sv;

		if (fstatvfs(H.h_path_fd, &sv))
			fuse_reply_err(req, errno);
		else
			fuse_reply_statfs(req, &sv);
		break;
	}
	case OP_ACCESS:
		fuse_reply_err(req, 0);
		break;
	}
}

/* answer now, or park a copy while hung */
static void take(struct job *j, const void *data)
{
	struct job *p;
	void *copy = NULL;

	if (j->j_op == OP_WRITE) {
		/* the caller's buffer is libfuse's and unaligned: TARGET may be O_DIRECT */
		if (posix_memalign(&copy, ALIGN, j->j_size ? j->j_size : 1)) {
			fuse_reply_err(j->j_req, ENOMEM);
			return;
		}
		memcpy(copy, data, j->j_size);
		j->j_data = copy;
	}
	if (!H.h_hung) {
		run_job(j);
		free(copy);
		return;
	}
	p = malloc(sizeof(*p));
	if (!p) {
		/* cannot even wait: answering is the lesser lie */
		run_job(j);
		free(copy);
		return;
	}
	*p = *j;
	p->j_next = NULL;
	*H.h_tail = p;
	H.h_tail = &p->j_next;
	H.h_waiting++;
	H.h_parked++;
	if (H.h_waiting == 1 || H.h_waiting % 100 == 0)
		say("hung: %s request parked (%u waiting)", op_names[j->j_op], H.h_waiting);
	write_state();
}

static struct job *pop(void)
{
	struct job *j = H.h_head;

	if (j) {
		H.h_head = j->j_next;
		if (!H.h_head)
			H.h_tail = &H.h_head;
		H.h_waiting--;
	}
	return j;
}

static void resume(void)
{
	unsigned n = H.h_waiting;
	struct job *j;

	H.h_hung = 0;
	while ((j = pop())) {
		run_job(j);
		free(j->j_data);
		free(j);
	}
	say("resumed: %u waiting request%s answered", n, n == 1 ? "" : "s");
	write_state();
}

/* stop now: what waits fails as it would if this process had died */
static void fail_waiting(void)
{
	unsigned n = H.h_waiting;
	struct job *j;

	while ((j = pop())) {
		if (j->j_op == OP_RELEASE)
			close((int)j->j_fi.fh);
		fuse_reply_err(j->j_req, ENOTCONN);
		free(j->j_data);
		free(j);
	}
	if (n)
		say("stopping: %u waiting request%s failed with ENOTCONN", n, n == 1 ? "" : "s");
}

/* ---- the file system's operations ---------------------------------------------- */

static void hf_init(void *ud, struct fuse_conn_info *conn)
{
	(void)ud;
	/* every byte goes to TARGET when the caller writes it, never later */
	conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
}

static void hf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent;
	(void)name;
	fuse_reply_err(req, ENOTDIR);	/* the root is a file: nothing to look up */
}

static void hf_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct job j = { .j_req = req, .j_op = OP_GETATTR };

	(void)ino;
	(void)fi;
	take(&j, NULL);
}

static void hf_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct job j = { .j_req = req, .j_op = OP_SETATTR, .j_attr = *attr,
			 .j_to_set = to_set, .j_has_fi = fi != NULL };

	(void)ino;
	if (fi)
		j.j_fi = *fi;
	take(&j, NULL);
}

static void hf_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct job j = { .j_req = req, .j_op = OP_OPEN, .j_fi = *fi, .j_has_fi = 1 };

	(void)ino;
	take(&j, NULL);
}

static void hf_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct job j = { .j_req = req, .j_op = OP_READ, .j_fi = *fi, .j_has_fi = 1,
			 .j_size = size, .j_off = off };

	(void)ino;
	take(&j, NULL);
}

static void hf_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct job j = { .j_req = req, .j_op = OP_WRITE, .j_fi = *fi, .j_has_fi = 1,
			 .j_size = size, .j_off = off };

	(void)ino;
	take(&j, buf);
}

static void hf_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct job j = { .j_req = req, .j_op = OP_FLUSH, .j_fi = *fi, .j_has_fi = 1 };

	(void)ino;
	take(&j, NULL);
}

static void hf_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct job j = { .j_req = req, .j_op = OP_FSYNC, .j_fi = *fi, .j_has_fi = 1,
			 .j_datasync = datasync };

	(void)ino;
	take(&j, NULL);
}

static void hf_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct job j = { .j_req = req, .j_op = OP_RELEASE, .j_fi = *fi, .j_has_fi = 1 };

	(void)ino;
	take(&j, NULL);
}

static void hf_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct job j = { .j_req = req, .j_op = OP_STATFS };

	(void)ino;
	take(&j, NULL);
}

static void hf_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct job j = { .j_req = req, .j_op = OP_ACCESS };

	(void)ino;
	(void)mask;
	take(&j, NULL);
}

static void hf_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, ENOTDIR);
}

static const struct fuse_lowlevel_ops hf_ops = {
	.init = hf_init,
	.lookup = hf_lookup,
	.getattr = hf_getattr,
	.setattr = hf_setattr,
	.open = hf_open,
	.read = hf_read,
	.write = hf_write,
	.flush = hf_flush,
	.fsync = hf_fsync,
	.release = hf_release,
	.statfs = hf_statfs,
	.access = hf_access,
	.opendir = hf_opendir,
};

/* ---- mounts ------------------------------------------------------------------ */

/* unescape a mountinfo field in place (\040 for a space, ...) */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/*
 * The device (major:minor) of the topmost mount at `path` in this mount
 * namespace, from /proc/self/mountinfo: reading it never asks a file
 * system anything, so it cannot hang on us.  1 found, 0 not a mount point.
 */
static int top_mount(const char *path, char *dev, size_t devlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[8192];
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *fld[5];
		int i;

		fld[0] = strtok_r(line, " ", &save);
		for (i = 1; i < 5 && fld[i - 1]; i++)
			fld[i] = strtok_r(NULL, " ", &save);
		if (i < 5 || !fld[4])
			continue;
		unescape(fld[4]);
		if (!strcmp(fld[4], path)) {
			snprintf(dev, devlen, "%s", fld[2]);
			found = 1;	/* later lines are mounted on top of earlier ones */
		}
	}
	fclose(f);
	return found;
}

/* TARGET's topmost mount is our file system (not one stacked on it later) */
static int target_is_ours(void)
{
	char ours[64], top[64];

	return top_mount(H.h_mnt, ours, sizeof(ours)) && top_mount(H.h_target, top, sizeof(top)) &&
	       !strcmp(ours, top);
}

/* lazy unmounts never ask the file system anything: safe while hung */
static void uncover_target(void)
{
	if (H.h_bound && target_is_ours()) {
		if (umount2(H.h_target, MNT_DETACH | UMOUNT_NOFOLLOW))
			say("cannot uncover %s: %s", H.h_target, strerror(errno));
		else
			say("%s uncovered", H.h_target);
	} else if (H.h_bound) {
		say("%s is no longer covered by this file system; left as it is", H.h_target);
	}
	H.h_bound = 0;
}

/*
 * Retiring: TARGET uncovered and DIR/file unmounted, lazily.  The file
 * system lives on while a descriptor is open on it; when the last one is
 * closed the kernel ends it and the loop sees the end of the connection.
 */
static void retire(void)
{
	char dev[64];

	if (H.h_hung)
		resume();
	H.h_retiring = 1;
	uncover_target();
	if (top_mount(H.h_mnt, dev, sizeof(dev)) && umount2(H.h_mnt, MNT_DETACH | UMOUNT_NOFOLLOW))
		say("cannot unmount %s: %s", H.h_mnt, strerror(errno));
	write_state();
}

/*
 * The bind mount is made by a thread while the loop keeps answering: should
 * the kernel ask this file system anything while resolving DIR/file, the
 * answer comes.  It writes its errno (0: done) to a pipe the loop polls.
 */
static int bind_pipe[2] = { -1, -1 };

static void *binder(void *arg)
{
	int e = mount(H.h_mnt, H.h_target, NULL, MS_BIND, NULL) ? errno : 0;

	(void)arg;
	if (write(bind_pipe[1], &e, sizeof(e)) != sizeof(e))
		abort();
	return NULL;
}

/* ---- main ----------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: rac_hangfs [--hang] [--watch PID] [--ready-fd FD] DIR TARGET\n");
	exit(2);
}

static void ready(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ready(int fd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fd < 0)
		return;
	strncat(msg, "\n", sizeof(msg) - strlen(msg) - 1);
	n = write(fd, msg, strlen(msg));
	(void)n;
	close(fd);
}

int main(int argc, char **argv)
{
	char *fuse_argv[] = { argv[0], "-o",
			      "fsname=rac_hangfs,subtype=rac_hangfs,allow_other", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fuse_argv);
	struct fuse_buf fbuf = { .mem = NULL };
	int ready_fd = -1, watch_fd = -1, sig_fd, mnt_fd, status = 1, binding = 0;
	char path[4200];
	long long checked_ms = 0;
	pid_t watch = 0;
	sigset_t sigs;
	pthread_t bt;
	FILE *f;
	int a;

	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--hang"))
			H.h_hang_on_start = 1;
		else if (!strcmp(argv[a], "--watch") && a + 1 < argc)
			watch = (pid_t)atoi(argv[++a]);
		else if (!strcmp(argv[a], "--ready-fd") && a + 1 < argc)
			ready_fd = atoi(argv[++a]);
		else
			usage();
	}
	if (argc - a != 2)
		usage();
	/* absolute and without symbolic links: as /proc/self/mountinfo names them */
	H.h_dir = realpath(argv[a], NULL);
	H.h_target = realpath(argv[a + 1], NULL);
	if (!H.h_dir || !H.h_target) {
		ready(ready_fd, "cannot find %s: %s", H.h_dir ? argv[a + 1] : argv[a],
		      strerror(errno));
		return 1;
	}
	H.h_tail = &H.h_head;
	dir_file("file", H.h_mnt, sizeof(H.h_mnt));
	signal(SIGPIPE, SIG_IGN);

	/* commands arrive as signals, read in the loop */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGWINCH);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sig_fd < 0) {
		ready(ready_fd, "signalfd: %s", strerror(errno));
		return 1;
	}
	if (watch > 0) {
		watch_fd = (int)syscall(SYS_pidfd_open, watch, 0);
		if (watch_fd < 0) {
			ready(ready_fd, "process %d to watch: %s", (int)watch, strerror(errno));
			return 1;
		}
	}
	H.h_path_fd = open(H.h_target, O_PATH | O_CLOEXEC);
	if (H.h_path_fd < 0) {
		ready(ready_fd, "cannot open %s: %s", H.h_target, strerror(errno));
		return 1;
	}
	{
		struct stat st;

		if (fstat(H.h_path_fd, &st) || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
			ready(ready_fd, "%s is neither a file nor a block device", H.h_target);
			return 1;
		}
	}
	/* the mount point: an empty regular file, so the root is one */
	mnt_fd = open(H.h_mnt, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (mnt_fd < 0) {
		ready(ready_fd, "cannot create %s: %s", H.h_mnt, strerror(errno));
		return 1;
	}
	close(mnt_fd);

	H.h_se = fuse_session_new(&args, &hf_ops, sizeof(hf_ops), NULL);
	fuse_opt_free_args(&args);
	if (!H.h_se) {
		ready(ready_fd, "cannot make a FUSE session (see %s/log)", H.h_dir);
		return 1;
	}
	if (fuse_session_mount(H.h_se, H.h_mnt)) {
		ready(ready_fd, "cannot mount FUSE on %s (see %s/log)", H.h_mnt, H.h_dir);
		fuse_session_destroy(H.h_se);
		unlink(H.h_mnt);
		return 1;
	}
	dir_file("pid", path, sizeof(path));
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	if (pipe2(bind_pipe, O_CLOEXEC) || pthread_create(&bt, NULL, binder, NULL)) {
		ready(ready_fd, "cannot start the bind-mount thread: %s", strerror(errno));
		goto out;
	}
	binding = 1;
	load_errors();
	say("serving %s over %s%s", H.h_mnt, H.h_target, H.h_hang_on_start ? ", hang once covered" : "");
	write_state();

	for (;;) {
		struct pollfd p[4] = {
			{ .fd = fuse_session_fd(H.h_se), .events = POLLIN },
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = binding ? bind_pipe[0] : -1, .events = POLLIN },
			{ .fd = watch_fd, .events = POLLIN },
		};
		int n = poll(p, 4, 500);

		if (n < 0 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			break;
		}
		if (p[2].revents & POLLIN) {
			int e = EIO;

			if (read(bind_pipe[0], &e, sizeof(e)) != sizeof(e))
				e = EIO;
			pthread_join(bt, NULL);
			binding = 0;
			if (e) {
				say("cannot bind-mount %s over %s: %s", H.h_mnt, H.h_target, strerror(e));
				ready(ready_fd, "cannot cover %s: %s", H.h_target, strerror(e));
				ready_fd = -1;
				break;
			}
			H.h_bound = 1;
			if (H.h_hang_on_start) {
				H.h_hung = 1;
				say("hung: requests on %s wait unanswered", H.h_target);
			}
			write_state();
			ready(ready_fd, "ok %d", (int)getpid());
			ready_fd = -1;
			status = 0;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			int stop = 0;

			while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
				switch (si.ssi_signo) {
				case SIGUSR1:
					if (!H.h_hung && !H.h_retiring) {
						H.h_hung = 1;
						say("hung: requests on %s wait unanswered", H.h_target);
						write_state();
					}
					break;
				case SIGUSR2:
					if (H.h_hung)
						resume();
					break;
				case SIGWINCH:
					load_errors();
					write_state();
					break;
				case SIGTERM:
					if (H.h_hung)
						resume();
					if (!H.h_retiring && !binding) {
						say("retiring: exits once the last descriptor on it is closed");
						retire();
					}
					break;
				default:
					say("stop (signal %d)", (int)si.ssi_signo);
					stop = 1;
				}
				struct pollfd again = { .fd = sig_fd, .events = POLLIN };
				if (poll(&again, 1, 0) <= 0)
					break;
			}
			if (stop)
				break;
		}
		if (p[3].revents & POLLIN) {
			say("process %d is gone: stop", (int)watch);
			break;
		}
		if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			say("the file system was unmounted");
			break;
		}
		if (p[0].revents & POLLIN) {
			int res = fuse_session_receive_buf(H.h_se, &fbuf);

			if (res == -EINTR || res == -EAGAIN)
				continue;
			if (res <= 0) {
				say("the file system was unmounted");
				break;
			}
			fuse_session_process_buf(H.h_se, &fbuf);
			if (fuse_session_exited(H.h_se)) {
				say("the file system was unmounted");
				break;
			}
		}
		/*
		 * Someone else took our cover off TARGET: the drill is over.
		 * Looked at twice a second, not on every request.
		 */
		if (H.h_bound && !H.h_retiring && mono_ms() - checked_ms >= 500 &&
		    (checked_ms = mono_ms(), !target_is_ours())) {
			say("%s was uncovered by someone else: retiring", H.h_target);
			H.h_bound = 0;
			retire();
		}
	}
out:
	ready(ready_fd, "stopped before it was ready (see %s/log)", H.h_dir);
	fail_waiting();
	if (binding) {
		/* a bind still in flight: let it land, so uncover() sees it */
		int e;

		if (read(bind_pipe[0], &e, sizeof(e)) == sizeof(e) && e == 0)
			H.h_bound = 1;
		pthread_join(bt, NULL);
	}
	uncover_target();
	/* closes the connection first (what is in flight fails with ENOTCONN), then unmounts */
	fuse_session_unmount(H.h_se);
	fuse_session_destroy(H.h_se);
	free(fbuf.mem);
	unlink(H.h_mnt);
	dir_file("pid", path, sizeof(path));
	unlink(path);
	dir_file("state", path, sizeof(path));
	unlink(path);
	say("exit; %llu requests answered, %llu parked while hung", H.h_served, H.h_parked);
	free(H.h_dir);
	free(H.h_target);
	return status;
}
