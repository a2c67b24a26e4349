/*
 * ctl_io.c - the control file's records on an open descriptor (see
 * ctl_io.h): one block read and decoded, or encoded and written, per call.
 * The IMR records (membership, CFVRR, votes) and the checkpoint progress
 * record CKPT writes.
 */
#include <errno.h>
#include <string.h>

#include "ctl_io.h"
#include "errors.h"

static ctl_io_corrupt_fn *corrupt_fn;
static void *corrupt_arg;

void ctl_io_on_corrupt(ctl_io_corrupt_fn *fn, void *arg)
{
	corrupt_fn = fn;
	corrupt_arg = arg;
}

static int read_rec(int fd, uint32_t base, uint32_t blkno, uint16_t type, struct blk_hdr *h,
		    const uint8_t **payload, uint8_t blk[RAC_BLK_SIZE])
{
	int rc = disk_read_block(fd, base + blkno, blk);

	if (rc)
		return rc;
	rc = blk_decode(blk, type, h, payload);
	if (rc && rc != RAC_EBLK_ZERO && corrupt_fn)
		corrupt_fn(corrupt_arg, blkno, type, rc);
	return rc;
}

static int write_rec(int fd, uint32_t base, bool may_write, int writer, uint32_t blkno,
		     uint16_t type,
		     uint64_t inc, uint64_t seq, const uint8_t *payload, size_t len)
{
	uint8_t blk[RAC_BLK_SIZE];
	struct blk_hdr h = { .bh_type = type, .bh_writer = (uint32_t)writer,
			     .bh_incarnation = inc, .bh_sequence = seq };
	int rc;

	/* a fenced instance writes nothing, whatever the caller thinks */
	if (!may_write) {
		errno = EPERM;
		return RAC_EIO;
	}
	rc = blk_encode(blk, &h, payload, len);
	return rc ? rc : disk_write_block(fd, base + blkno, blk);
}

int ctl_io_read_membership(int fd, uint32_t base, struct ctl_membership *ms, struct blk_hdr *h)
{
	uint8_t blk[RAC_BLK_SIZE];
	const uint8_t *p;
	int rc = read_rec(fd, base, CTL_BLK_MEMBERSHIP, BLK_MEMBERSHIP, h, &p, blk);

	return rc ? rc : ctl_membership_in(p, h->bh_length, ms);
}

int ctl_io_write_membership(int fd, uint32_t base, bool may_write, int writer,
			    const struct ctl_membership *ms, uint64_t seq)
{
	uint8_t p[RAC_BLK_PAYLOAD];

	return write_rec(fd, base, may_write, writer, CTL_BLK_MEMBERSHIP, BLK_MEMBERSHIP,
			 ms->ms_incarnation, seq, p, ctl_membership_out(ms, p));
}

int ctl_io_read_cfvrr(int fd, uint32_t base, struct ctl_cfvrr *vr, struct blk_hdr *h)
{
	uint8_t blk[RAC_BLK_SIZE];
	const uint8_t *p;
	int rc = read_rec(fd, base, CTL_BLK_CFVRR, BLK_CFVRR, h, &p, blk);

	return rc ? rc : ctl_cfvrr_in(p, h->bh_length, vr);
}

int ctl_io_write_cfvrr(int fd, uint32_t base, bool may_write, int writer, const struct ctl_cfvrr *vr,
		       uint64_t inc, uint64_t seq)
{
	uint8_t p[RAC_BLK_PAYLOAD];

	return write_rec(fd, base, may_write, writer, CTL_BLK_CFVRR, BLK_CFVRR, inc, seq, p,
			 ctl_cfvrr_out(vr, p));
}

int ctl_io_read_vote(int fd, uint32_t base, int inst, struct ctl_vote *v, struct blk_hdr *h)
{
	uint8_t blk[RAC_BLK_SIZE];
	const uint8_t *p;
	struct blk_hdr hh;
	int rc;

	if (!h)
		h = &hh;
	rc = read_rec(fd, base, CTL_BLK_VOTE(inst), BLK_VOTE, h, &p, blk);
	if (rc == 0)
		rc = ctl_vote_in(p, h->bh_length, v);
	if (rc == 0 && v->cv_inst != (uint32_t)inst)
		rc = RAC_ERANGE;
	return rc;
}

int ctl_io_write_vote(int fd, uint32_t base, bool may_write, const struct ctl_vote *v, uint64_t inc,
		      uint64_t seq)
{
	uint8_t p[RAC_BLK_PAYLOAD];

	return write_rec(fd, base, may_write, (int)v->cv_inst, CTL_BLK_VOTE(v->cv_inst),
			 BLK_VOTE, inc, seq, p, ctl_vote_out(v, p));
}

/* ---- the checkpoint progress record (CKPT writes its own) ------------------------ */

int ctl_write_ckpt(int fd, uint32_t base, const struct ctl_ckpt *ck, uint64_t incarnation, uint64_t seq)
{
	uint8_t p[RAC_BLK_PAYLOAD];

	if (ck->ck_inst < 1 || ck->ck_inst > RAC_MAX_INST)
		return RAC_EINVAL;
	return disk_write_rec(fd, base + CTL_BLK_CKPT(ck->ck_inst), BLK_CKPT_PROGRESS,
		       ck->ck_inst, incarnation, seq, p, ctl_ckpt_out(ck, p));
}

int ctl_read_ckpt(int fd, uint32_t base, int inst, struct ctl_ckpt *ck, struct blk_hdr *h)
{
	uint8_t blk[RAC_BLK_SIZE];
	const uint8_t *p;
	struct blk_hdr hh;
	int rc;

	if (!h)
		h = &hh;
	memset(ck, 0, sizeof(*ck));
	if (inst < 1 || inst > RAC_MAX_INST)
		return RAC_EINVAL;
	if ((rc = disk_read_block(fd, base + (uint32_t)CTL_BLK_CKPT(inst), blk)))
		return rc;
	if ((rc = blk_decode(blk, BLK_CKPT_PROGRESS, h, &p)))
		return rc;
	if ((rc = ctl_ckpt_in(p, h->bh_length, ck)))
		return rc;
	/* a valid record in another instance's slot is not this one's progress */
	if (ck->ck_inst != (uint32_t)inst)
		return RAC_ERANGE;
	return 0;
}
