/*
 * disk_io.c - whole-block reads and writes on the shared disk.
 *
 * Blocks are read and written with one pread/pwrite of RAC_BLK_SIZE bytes at
 * a sector-aligned offset, so a block is the unit other instances see
 * change.  Writable descriptors are opened O_DSYNC: when
 * disk_write_block() returns 0 the block is on stable storage, which is
 * what lets a caller act on it (a vote, a kill block, a heartbeat) without
 * a separate fdatasync.
 *
 * A block that was only partly written (a crash, a short write) is not
 * repaired here: its CRC no longer matches and readers report it corrupt.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "disk.h"
#include "errors.h"

int disk_open(const char *path, int writable)
{
	int flags = O_CLOEXEC | (writable ? O_RDWR | O_DSYNC : O_RDONLY);
	int fd;

	do
		fd = open(path, flags);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? RAC_ESYS : fd;
}

static off_t blk_off(uint32_t blkno)
{
	return (off_t)blkno * RAC_BLK_SIZE;
}

int disk_read_block(int fd, uint32_t blkno, uint8_t blk[RAC_BLK_SIZE])
{
	size_t got = 0;

	/*
	 * A regular file returns the whole block in one call unless it ends
	 * first; the loop is for the rare partial read (a signal, a network
	 * file system), and a zero return means end of file.
	 */
	while (got < RAC_BLK_SIZE) {
		ssize_t n = pread(fd, blk + got, RAC_BLK_SIZE - got,
				  blk_off(blkno) + (off_t)got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return RAC_EIO;
		}
		if (n == 0)
			return RAC_EBLK_SHORT;
		got += (size_t)n;
	}
	return 0;
}

int disk_read_blocks(int fd, uint32_t first, uint32_t count, uint8_t (*blks)[RAC_BLK_SIZE])
{
	int rc = 0;

	for (uint32_t i = 0; i < count && rc == 0; i++)
		rc = disk_read_block(fd, first + i, blks[i]);
	return rc;
}

int disk_write_block(int fd, uint32_t blkno, const uint8_t blk[RAC_BLK_SIZE])
{
	ssize_t n;

	do
		n = pwrite(fd, blk, RAC_BLK_SIZE, blk_off(blkno));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return RAC_EIO;
	if (n != RAC_BLK_SIZE) {
		/*
		 * On a regular file a short write means the file system is
		 * full or a limit was hit; retrying the tail would only hide
		 * that.  The block is torn now (readers see a CRC mismatch),
		 * and the caller either rewrites it whole or gives up.
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
