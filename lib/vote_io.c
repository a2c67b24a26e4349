/*
 * vote.c - heartbeat slots on the voting disks.
 *
 * Each instance owns one slot per voting disk (block VOTE_BLK_HB(inst)):
 * LMON rewrites it every disk_heartbeat_interval_ms with a counter that
 * only goes up; the others read it to tell a live instance from a dead one
 * when the network says nothing.  The guardian writes the slot's state
 * when the group ends, which is the instance confirming its own death: to
 * every disk in parallel, bounded by the I/O timeout (timeouts.h), so that
 * one hung disk delays neither the others nor the guardian's exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "aio.h"
#include "disk.h"
#include "errors.h"
#include "timeouts.h"

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

/* one disk's death mark, on its own worker: open, read our slot, rewrite it */
struct mark_op {
	const char *mo_path;
	int mo_inst;
	uint32_t mo_state;
	uint64_t mo_life;
};

static int mark_io(void *arg)
{
	struct mark_op *mo = arg;
	struct vote_hb hb = { 0 };
	struct blk_hdr h = { 0 };
	int fd = disk_open(mo->mo_path, 1), rc;

	if (fd < 0)
		return RAC_ESYS;
	if (vote_read_hb(fd, mo->mo_inst, &hb, &h) || hb.hb_life != mo->mo_life) {
		/* not a slot of this life (or unreadable): nothing of ours to confirm */
		close(fd);
		return RAC_EEXIST;
	}
	hb.hb_state = mo->mo_state;
	hb.hb_counter++;
	hb.hb_time_us = rac_now_us();
	rc = vote_write_hb(fd, mo->mo_inst, &hb, h.bh_incarnation, h.bh_sequence + 1);
	close(fd);
	return rc;
}

/*
 * Every disk at once, each on its own worker, with one deadline for all:
 * the I/O timeout.  A disk that does not answer by then is not marked (the
 * survivors wait out our lease on it, as for a disk that is gone) and
 * delays neither the others nor the caller; its worker finishes, or not,
 * on its own, and the ops stay allocated for it.
 */
int vote_mark_instance(const struct rac_config *cfg, int inst, uint32_t state, uint64_t life)
{
	struct rac_timeouts t;
	struct aio *w[RAC_MAX_VOTING] = { 0 };
	uint64_t id[RAC_MAX_VOTING], tmo_ns, deadline;
	struct mark_op *ops;
	int ok = 0, stuck = 0;

	timeouts_derive(cfg, &t);
	tmo_ns = (uint64_t)t.to_io_timeout_ms * 1000000ull;
	if (!(ops = calloc((size_t)cfg->cf_nvoting, sizeof(*ops))))
		return 0;
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		ops[d] = (struct mark_op){ .mo_path = cfg->cf_voting[d], .mo_inst = inst,
					   .mo_state = state, .mo_life = life };
		w[d] = aio_new("mark", 1, tmo_ns);
		if (w[d] && aio_submit(w[d], mark_io, &ops[d], &id[d]))
			aio_destroy(&w[d]);
	}
	deadline = rac_now_mono_ns() + tmo_ns;
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		uint64_t now = rac_now_mono_ns();
		int rc = -1;

		if (!w[d])
			continue;
		if (aio_wait(w[d], id[d], now < deadline ? (int)((deadline - now) / 1000000) + 1 : 0,
			     &rc, NULL) == 1 && rc == 0)
			ok++;
	}
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		if (w[d] && aio_outstanding(w[d]))
			stuck = 1;
		aio_destroy(&w[d]);
	}
	if (!stuck)
		free(ops);
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
