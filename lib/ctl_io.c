/*
 * ctl_io.c - the control-file records members read and write: the
 * checkpoint progress record (CKPT writes its own, LMON reads every
 * instance's).
 */
#include <string.h>
#include "disk.h"
#include "errors.h"

int ctl_write_ckpt(int fd, const struct ctl_ckpt *ck, uint64_t incarnation, uint64_t seq)
{
	uint8_t p[RAC_BLK_PAYLOAD];

	if (ck->ck_inst < 1 || ck->ck_inst > RAC_MAX_INST)
		return RAC_EINVAL;
	return disk_write_rec(fd, CTL_BLK_CKPT(ck->ck_inst), BLK_CKPT_PROGRESS,
		       ck->ck_inst, incarnation, seq, p, ctl_ckpt_out(ck, p));
}

int ctl_read_ckpt(int fd, int inst, struct ctl_ckpt *ck, struct blk_hdr *h)
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
	if ((rc = disk_read_block(fd, (uint32_t)CTL_BLK_CKPT(inst), blk)))
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
