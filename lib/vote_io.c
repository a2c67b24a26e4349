/*
 * vote.c - heartbeat slots on the voting disks.
 *
 * Each instance owns one slot per voting disk (block VOTE_BLK_HB(inst)):
 * LMON rewrites it every disk_heartbeat_interval_ms with a counter that
 * only goes up; the others read it to tell a live instance from a dead one
 * when the network says nothing.  The guardian writes the slot's state
 * when the group ends, which is the instance confirming its own death.
 */
#include <stdio.h>
#include <unistd.h>

#include "disk.h"
#include "errors.h"

int vote_write_hb(int fd, int inst, const struct vote_hb *hb, uint64_t incarnation,
		  uint64_t seq)
{
	uint8_t payload[RAC_BLK_PAYLOAD], blk[RAC_BLK_SIZE];
	struct blk_hdr h = { .bh_type = BLK_HEARTBEAT, .bh_writer = (uint32_t)inst,
			     .bh_incarnation = incarnation, .bh_sequence = seq };
	size_t n = vote_hb_out(hb, payload);
	int rc = blk_encode(blk, &h, payload, n);

	if (rc)
		return rc;
	return disk_write_block(fd, VOTE_BLK_HB(inst), blk);
}

int vote_read_hb(int fd, int inst, struct vote_hb *hb, struct blk_hdr *h)
{
	uint8_t blk[RAC_BLK_SIZE];
	const uint8_t *payload;
	int rc = disk_read_block(fd, VOTE_BLK_HB(inst), blk);

	if (rc)
		return rc;
	rc = blk_decode(blk, BLK_HEARTBEAT, h, &payload);
	if (rc)
		return rc;
	rc = vote_hb_in(payload, h->bh_length, hb);
	if (rc == 0 && hb->hb_inst != (uint32_t)inst)
		rc = RAC_ERANGE;
	return rc;
}

int vote_mark_instance(const struct rac_config *cfg, int inst, uint32_t state)
{
	int ok = 0;

	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct vote_hb hb = { 0 };
		struct blk_hdr h = { 0 };
		int fd = disk_open(cfg->cf_voting[d], 1);

		if (fd < 0)
			continue;
		if (vote_read_hb(fd, inst, &hb, &h)) {
			hb = (struct vote_hb){ .hb_inst = (uint32_t)inst };
			h.bh_sequence = 0;
		}
		hb.hb_state = state;
		hb.hb_counter++;
		hb.hb_time_us = rac_now_us();
		if (vote_write_hb(fd, inst, &hb, h.bh_incarnation, h.bh_sequence + 1) == 0)
			ok++;
		close(fd);
	}
	return ok;
}

int vote_write_kill(int fd, const struct vote_kill *kb, uint64_t incarnation, uint64_t seq)
{
	uint8_t payload[RAC_BLK_PAYLOAD], blk[RAC_BLK_SIZE];
	struct blk_hdr h = { .bh_type = BLK_KILL, .bh_writer = kb->kb_issuer,
			     .bh_incarnation = incarnation, .bh_sequence = seq };
	size_t n = vote_kill_out(kb, payload);
	int rc = blk_encode(blk, &h, payload, n);

	if (rc)
		return rc;
	return disk_write_block(fd, VOTE_BLK_KILL(kb->kb_target), blk);
}

int vote_read_kill(int fd, int inst, struct vote_kill *kb, struct blk_hdr *h)
{
	uint8_t blk[RAC_BLK_SIZE];
	const uint8_t *payload;
	int rc = disk_read_block(fd, VOTE_BLK_KILL(inst), blk);

	if (rc)
		return rc;
	rc = blk_decode(blk, BLK_KILL, h, &payload);
	return rc ? rc : vote_kill_in(payload, h->bh_length, kb);
}
