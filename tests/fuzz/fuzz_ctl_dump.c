/*
 * fuzz_ctl_dump.c - racctl's dumps of a corrupt control file or voting disk
 * (admin/racctl_dump.c: ctl_dump, ctl_dump_vote), in process, on a file
 * made from the input.
 *
 * Input: one mode byte, then up to seven 512-byte chunks, each the block at
 * the start of its record's 4 KiB slot.
 *   bit 0  set every chunk's CRC right (so the fuzzer reaches its fields)
 *   bit 1  a voting disk (ctl_dump_vote) instead of the control file
 *   bit 2  the file ends after the last chunk given (a short file)
 * The chunks land in the blocks the dump reads for a two-instance
 * cluster: control file header, membership, CFVRR, checkpoint records 1
 * and 2, votes 1 and 2; or voting disk header, heartbeat and kill blocks
 * of instances 1 and 2.  Every other block is zero (never written).
 * Property: any bytes at all give a dump, with every block shown, and no
 * crash, leak or undefined behaviour.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "disk.h"
#include "errors.h"
#include "fuzz.h"
#include "racctl.h"

static char dir[64];
static struct rac_config cfg;
static FILE *devnull;

static void cleanup_files(void)
{
	char path[RAC_PATH_MAX + 16];

	config_control_path(&cfg, path, sizeof(path));
	unlink(path);
	unlink(cfg.cf_voting[0]);
	unlink(cfg.cf_voting[1]);
}

static void cleanup(void)
{
	cleanup_files();
	rmdir(dir);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fuzz_ctl_dump.XXXXXX");
	FUZZ_CHECK(mkdtemp(dir));
	snprintf(cfg.cf_name, sizeof(cfg.cf_name), FUZZ_CLUSTER);
	snprintf(cfg.cf_shared_disk, sizeof(cfg.cf_shared_disk), "%s", dir);
	/* two voting disks: the control file is a copy of the control area (ctl_area.h) */
	cfg.cf_nvoting = 2;
	snprintf(cfg.cf_voting[0], sizeof(cfg.cf_voting[0]), "%s/vd1", dir);
	snprintf(cfg.cf_voting[1], sizeof(cfg.cf_voting[1]), "%s/vd2", dir);
	cfg.cf_ninst = 2;
	for (int i = 1; i <= 2; i++) {
		cfg.cf_inst[i].ic_number = i;
		snprintf(cfg.cf_inst[i].ic_name, sizeof(cfg.cf_inst[i].ic_name), "RAC%d", i);
	}
	devnull = fopen("/dev/null", "w");
	FUZZ_CHECK(devnull);
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t ctl_blocks[] = { CTL_BLK_HEADER, CTL_BLK_MEMBERSHIP, CTL_BLK_CFVRR,
		CTL_BLK_CKPT(1), CTL_BLK_CKPT(2), CTL_BLK_VOTE(1), CTL_BLK_VOTE(2) };
	static const uint32_t vote_blocks[] = { VOTE_BLK_HEADER, VOTE_BLK_HB(1),
		VOTE_BLK_KILL(1), VOTE_BLK_HB(2), VOTE_BLK_KILL(2) };
	/* a file of 4 KiB slots, each record's block at the start of its slot */
	static uint8_t file[VOTE_NBLOCKS * RAC_SLOT_SIZE];
	char path[RAC_PATH_MAX + 16];
	const uint32_t *blocks;
	size_t nblocks, nchunks, flen;
	int mode, fd, ncorrupt = -1, rc;

	if (!devnull)
		setup();
	if (size < 1)
		return 0;
	mode = data[0];
	data++, size--;
	blocks = mode & 2 ? vote_blocks : ctl_blocks;
	nblocks = mode & 2 ? sizeof(vote_blocks) / sizeof(vote_blocks[0])
			   : sizeof(ctl_blocks) / sizeof(ctl_blocks[0]);
	nchunks = (size + RAC_BLK_SIZE - 1) / RAC_BLK_SIZE;
	if (nchunks > nblocks)
		nchunks = nblocks;
	memset(file, 0, sizeof(file));
	flen = (size_t)(mode & 2 ? VOTE_NBLOCKS : CTL_NBLOCKS) * RAC_SLOT_SIZE;
	for (size_t i = 0; i < nchunks; i++) {
		uint8_t *b = file + (size_t)blocks[i] * RAC_SLOT_SIZE;
		size_t off = i * RAC_BLK_SIZE, n = size - off < RAC_BLK_SIZE ? size - off : RAC_BLK_SIZE;

		memcpy(b, data + off, n);
		if (mode & 1) {
			uint32_t crc = blk_crc(b);

			for (int k = 0; k < 4; k++)
				b[32 + k] = (uint8_t)(crc >> (8 * k));
		}
		if ((mode & 4) && i == nchunks - 1)
			flen = (size_t)blocks[i] * RAC_SLOT_SIZE + n;
	}

	/* only this input's file: nothing left from an earlier input */
	cleanup_files();
	if (mode & 2)
		snprintf(path, sizeof(path), "%s", cfg.cf_voting[0]);
	else
		config_control_path(&cfg, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, file, flen) == (ssize_t)flen);
	close(fd);

	if (mode & 2)
		rc = ctl_dump_vote(&cfg, 0, devnull, &ncorrupt);
	else
		rc = ctl_dump(&cfg, devnull, &ncorrupt);
	/* the control dump: the header, then per record the majority and each of 3 copies */
	FUZZ_CHECK(rc == 0 && ncorrupt >= 0 && ncorrupt <= (int)(mode & 2 ? 10 : 1 + 6 * 4));
	return 0;
}
