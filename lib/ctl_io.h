/*
 * ctl_io.h - the control file's IMR records, read and written on an open
 * descriptor: the membership bitmap, the CFVRR (claim and result) and each
 * instance's vote.  Block layout and payloads are in disk.h.
 *
 * A write happens only when the caller says it may (`may_write`); when it
 * may not, nothing is written and the call fails with RAC_EIO, errno EPERM.
 * The gate is the caller's to judge: LMON's is its own lease and the fence
 * flag (lmon.h css_may_write()), which is not sga_may_write_disk().
 *
 * Every call works on one copy of the control area (ctl_area.h): `base` is
 * the block of that copy's block 0 in the file -- 0 in the control file,
 * VOTE_CTL_BASE on a voting disk.  Block numbers reported (the corrupt
 * handler) are the record's own (CTL_BLK_*), whatever the copy.
 */
#ifndef RAC_CTL_IO_H
#define RAC_CTL_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "disk.h"

/*
 * Called for a block that fails its checks on a read (bad magic, CRC,
 * version, type, length); a block never written is not reported.  One per
 * process; none until set.
 */
typedef void ctl_io_corrupt_fn(void *arg, uint32_t blkno, uint16_t type, int rc);
void ctl_io_on_corrupt(ctl_io_corrupt_fn *fn, void *arg);

/* reads: 0, or a block or I/O error (RAC_EBLK_ZERO: never written) */
int ctl_io_read_membership(int fd, uint32_t base, struct ctl_membership *ms, struct blk_hdr *h);
int ctl_io_read_cfvrr(int fd, uint32_t base, struct ctl_cfvrr *vr, struct blk_hdr *h);
/* instance `inst`'s vote; RAC_ERANGE if the block holds another's; h may be NULL */
int ctl_io_read_vote(int fd, uint32_t base, int inst, struct ctl_vote *v, struct blk_hdr *h);

/*
 * writes, durable on return: `writer` and `seq` go into the block header
 * with the incarnation (the membership's own; the caller's for the others)
 */
int ctl_io_write_membership(int fd, uint32_t base, bool may_write, int writer,
			    const struct ctl_membership *ms, uint64_t seq);
int ctl_io_write_cfvrr(int fd, uint32_t base, bool may_write, int writer, const struct ctl_cfvrr *vr,
		       uint64_t inc, uint64_t seq);
/* our vote, into the block of v->cv_inst, written by it */
int ctl_io_write_vote(int fd, uint32_t base, bool may_write, const struct ctl_vote *v, uint64_t inc,
		      uint64_t seq);

/* the checkpoint progress record */
/*
 * CKPT: write this instance's checkpoint progress record.  `seq` is the
 * block sequence (caller keeps it).  Durable on return.
 */
int ctl_write_ckpt(int fd, uint32_t base, const struct ctl_ckpt *ck, uint64_t incarnation, uint64_t seq);
/* read one checkpoint record: 0 or a block error */
int ctl_read_ckpt(int fd, uint32_t base, int inst, struct ctl_ckpt *ck, struct blk_hdr *h);

#endif
