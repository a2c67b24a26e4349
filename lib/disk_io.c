/*
 * disk_io.c - whole-block reads and writes on the shared disk.
 *
 * Every block lives at the start of a RAC_SLOT_SIZE (4 KiB) slot of its
 * own (disk.h), and every transfer is whole slots from a 4 KiB-aligned
 * buffer at a 4 KiB-aligned offset: what O_DIRECT asks for on 512-byte and
 * 4096-byte logical-sector devices alike.  Callers keep passing 512-byte
 * blocks; the slot around them is built and taken apart here, in an
 * aligned buffer of our own (on the stack, so any thread may call).
 *
 * Direct I/O, because a shared disk is shared between hosts: each host has
 * its own page cache, and a buffered read keeps returning the block this
 * host last saw while another host has long written a new one (a peer's
 * heartbeat would freeze, a kill block never arrive).  O_DIRECT reads go to
 * the device every time.
 *
 * Durable writes: writable descriptors are opened O_DSYNC, so when
 * disk_write_block() returns 0 the block is on stable storage, which is
 * what lets a caller act on it (a vote, a kill block, a heartbeat) without
 * a separate fdatasync.
 *
 * Where a file system refuses O_DIRECT (open() fails with EINVAL: tmpfs,
 * some FUSE file systems), the file is opened buffered instead.  That is
 * coherent only between processes of one kernel, so the first such open of
 * each file in a process writes one alert-log warning saying so.
 *
 * A block that was only partly written (a crash, a short write) is not
 * repaired here: its CRC no longer matches and readers report it corrupt.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "disk.h"
#include "errors.h"
#include "log.h"

static_assert(RAC_SLOT_SIZE % 4096 == 0 && RAC_SLOT_SIZE >= RAC_BLK_SIZE,
	      "a slot is whole 4 KiB sectors and holds a block");

/* ---- opening: direct, or buffered with one warning per file ---------------- */

#define WARNED_MAX	64

static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t warned[WARNED_MAX];	/* FNV-1a of the paths already warned about */
static int nwarned;
static _Atomic uint64_t buffered_opens;
static void (*buffered_fn)(const char *path);

uint64_t disk_io_buffered_opens(void)
{
	return atomic_load(&buffered_opens);
}

void disk_io_on_buffered(void (*fn)(const char *path))
{
	buffered_fn = fn;
}

static void fell_back(const char *path)
{
	uint64_t h = rac_fnv1a(path, strlen(path));
	int first = 1;

	atomic_fetch_add(&buffered_opens, 1);
	pthread_mutex_lock(&warned_lock);
	for (int i = 0; i < nwarned; i++)
		if (warned[i] == h)
			first = 0;
	if (first && nwarned < WARNED_MAX)
		warned[nwarned++] = h;
	pthread_mutex_unlock(&warned_lock);
	if (first)
		log_alert("WARNING: %s does not support direct I/O (O_DIRECT refused); using "
			  "buffered I/O on it. This is safe only when every instance of the "
			  "cluster runs on this host: another host's writes may not be seen "
			  "through this host's page cache", path);
	if (buffered_fn)
		buffered_fn(path);
}

/*
 * A symbolic link is followed only to a block device (/dev/disk/by-id/...,
 * a udev or multipath alias): one planted in a shared directory and
 * pointing at a file must not have us write over that file.
 */
int disk_open_no_link(const char *path, int flags, mode_t mode)
{
	struct stat st;
	int fd;

	do
		fd = open(path, flags | O_NOFOLLOW, mode);
	while (fd < 0 && errno == EINTR);
	if (fd >= 0 || errno != ELOOP)
		return fd;
	if (stat(path, &st) != 0 || !S_ISBLK(st.st_mode)) {
		errno = ELOOP;
		return -1;
	}
	do
		fd = open(path, flags & ~O_CREAT, mode);	/* the device exists */
	while (fd < 0 && errno == EINTR);
	return fd;
}

int disk_open(const char *path, int writable)
{
	int flags = O_CLOEXEC | (writable ? O_RDWR | O_DSYNC : O_RDONLY);
	int fd;

	fd = disk_open_no_link(path, flags | O_DIRECT, 0);
	if (fd < 0 && errno == EINVAL) {
		fd = disk_open_no_link(path, flags, 0);
		if (fd >= 0)
			fell_back(path);
	}
	return fd < 0 ? RAC_ESYS : fd;
}

int disk_fd_info(int fd, struct disk_info *di)
{
	struct stat st;
	int fl;

	memset(di, 0, sizeof(*di));
	if (fstat(fd, &st) < 0 || (fl = fcntl(fd, F_GETFL)) < 0)
		return RAC_ESYS;
	di->di_direct = (fl & O_DIRECT) ? 1 : 0;
	if (S_ISBLK(st.st_mode)) {
		uint64_t size = 0;
		int ss = 0;

		di->di_kind = DISK_KIND_BLOCK;
		if (ioctl(fd, BLKGETSIZE64, &size) == 0)
			di->di_size = size;
		if (ioctl(fd, BLKSSZGET, &ss) == 0 && ss > 0)
			di->di_sector = (uint32_t)ss;
	} else if (S_ISREG(st.st_mode)) {
		struct statx sx;

		di->di_kind = DISK_KIND_FILE;
		di->di_size = (uint64_t)st.st_size;
		/* the alignment the file system asks of direct I/O: its sector */
		if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 &&
		    (sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align)
			di->di_sector = sx.stx_dio_offset_align;
	} else {
		di->di_kind = DISK_KIND_OTHER;
	}
	return 0;
}

const char *disk_kind_str(uint32_t kind)
{
	switch (kind) {
	case DISK_KIND_FILE: return "FILE";
	case DISK_KIND_BLOCK: return "BLOCK";
	case DISK_KIND_OTHER: return "OTHER";
	}
	return "UNKNOWN";
}

/* ---- slots ------------------------------------------------------------------ */

static off_t slot_off(uint32_t blkno)
{
	return (off_t)blkno * RAC_SLOT_SIZE;
}

/*
 * Read `len` bytes (whole slots) at `off` into the aligned `buf`.  A file
 * returns it in one call unless it ends first; the loop is for the rare
 * partial read (a signal, a network file system), and goes on only while
 * the rest stays aligned, as direct I/O needs.  A zero return means end of
 * file.
 */
static int read_slots(int fd, off_t off, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, off + (off_t)got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return RAC_EIO;
		}
		if (n == 0)
			return RAC_EBLK_SHORT;
		got += (size_t)n;
		if (got < len && got % RAC_SLOT_SIZE)
			return RAC_EBLK_SHORT;
	}
	return 0;
}

int disk_read_block(int fd, uint32_t blkno, uint8_t blk[RAC_BLK_SIZE])
{
	_Alignas(RAC_SLOT_SIZE) uint8_t slot[RAC_SLOT_SIZE];
	int rc = read_slots(fd, slot_off(blkno), slot, sizeof(slot));

	if (rc == 0)
		memcpy(blk, slot, RAC_BLK_SIZE);
	return rc;
}

int disk_read_blocks(int fd, uint32_t first, uint32_t count, uint8_t (*blks)[RAC_BLK_SIZE])
{
	uint8_t *buf = NULL;
	int rc = 0;

	if (count == 0)
		return 0;
	if (count == 1)
		return disk_read_block(fd, first, blks[0]);
	/* one I/O for the lot; without the memory, one I/O per block */
	if (posix_memalign((void **)&buf, RAC_SLOT_SIZE, (size_t)count * RAC_SLOT_SIZE)) {
		for (uint32_t i = 0; i < count && rc == 0; i++)
			rc = disk_read_block(fd, first + i, blks[i]);
		return rc;
	}
	rc = read_slots(fd, slot_off(first), buf, (size_t)count * RAC_SLOT_SIZE);
	if (rc == 0)
		for (uint32_t i = 0; i < count; i++)
			memcpy(blks[i], buf + (size_t)i * RAC_SLOT_SIZE, RAC_BLK_SIZE);
	free(buf);
	return rc;
}

int disk_read_blocks_each(int fd, uint32_t first, uint32_t count,
			  uint8_t (*blks)[RAC_BLK_SIZE], int *rcs)
{
	int rc = disk_read_blocks(fd, first, count, blks), first_rc = 0, good = 0;

	for (uint32_t i = 0; i < count; i++)
		rcs[i] = 0;
	if (rc != RAC_EIO || count < 2)
		return rc;
	/*
	 * One bad sector fails the whole transfer: read the slots one by one,
	 * so that it costs the records over it and no others.
	 */
	for (uint32_t i = 0; i < count; i++) {
		rcs[i] = disk_read_block(fd, first + i, blks[i]);
		if (rcs[i]) {
			memset(blks[i], 0, RAC_BLK_SIZE);
			if (!first_rc)
				first_rc = rcs[i];
		} else {
			good++;
		}
	}
	if (!good)
		errno = EIO;
	return good ? 0 : first_rc;
}

int disk_write_block(int fd, uint32_t blkno, const uint8_t blk[RAC_BLK_SIZE])
{
	_Alignas(RAC_SLOT_SIZE) uint8_t slot[RAC_SLOT_SIZE];
	ssize_t n;

	memcpy(slot, blk, RAC_BLK_SIZE);
	memset(slot + RAC_BLK_SIZE, 0, sizeof(slot) - RAC_BLK_SIZE);
	do
		n = pwrite(fd, slot, sizeof(slot), slot_off(blkno));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return RAC_EIO;
	if (n != (ssize_t)sizeof(slot)) {
		/*
		 * On a regular file a short write means the file system is
		 * full or a limit was hit; on a device, its end.  Retrying the
		 * tail would only hide that.  The block may be torn now
		 * (readers see a CRC mismatch), and the caller either rewrites
		 * it whole or gives up.
		 */
		errno = EIO;
		return RAC_EIO;
	}
	return 0;
}

int disk_write_rec(int fd, uint32_t blkno, uint16_t type, uint32_t writer,
		   uint64_t inc, uint64_t seq, const uint8_t *payload, size_t len)
{
	uint8_t blk[RAC_BLK_SIZE];
	struct blk_hdr h = {
		.bh_type = type,
		.bh_writer = writer,
		.bh_incarnation = inc,
		.bh_sequence = seq,
	};
	int rc;

	if ((rc = blk_encode(blk, &h, payload, len)))
		return rc;
	return disk_write_block(fd, blkno, blk);
}
