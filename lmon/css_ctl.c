/*
 * css_ctl.c - LMON's control-file I/O, on the control area's I/O worker.
 *
 * CGS, IMR and the reconfiguration read and write the control file as
 * before, one call at a time, but the call runs on a worker thread while
 * LMON keeps pumping (css_pump()): the heartbeats, our NM slot and the
 * voting disks go on however long the control file takes.  A call not
 * back within the I/O timeout fails with RAC_ETIMEDOUT (errno ETIMEDOUT),
 * which every caller already takes as a failed read or write; until that
 * call returns, the worker is hung and every further call fails at once.
 *
 * Before LMON's first disk heartbeat (lmon_init()) there is nothing to
 * pump yet: the call waits for the worker, bounded all the same.
 *
 * A block that does not read -- a bad sector under it, a corrupt record --
 * fails that block's reads and nothing else.  It is read again, and fails
 * again, every time its record is wanted (a vote polled every few ms, a
 * checkpoint record every half interval): counted each time, said in the
 * trace at the start of the streak and then one time in RATELIM_EVERY, and
 * in the alert log once when it starts and once when it reads again.
 */
#include <errno.h>
#include <stdio.h>

#include "aio.h"
#include "ctl_call.h"
#include "errors.h"
#include "lmon.h"
#include "log.h"

#define COMP "CGS"

int css_ctl_init(struct lmon *l, char *err, size_t errlen)
{
	config_control_path(l->l_m->m_cfg, l->l_ctl_path, sizeof(l->l_ctl_path));
	l->l_ctl_aio = aio_new("control", 2, (uint64_t)l->l_m->m_to.to_io_timeout_ms * 1000000ull);
	if (!l->l_ctl_aio) {
		snprintf(err, errlen, "cannot start the control file's I/O worker");
		return -1;
	}
	return 0;
}

void css_ctl_fini(struct lmon *l)
{
	aio_destroy(&l->l_ctl_aio);
}

/* a failed read that says nothing of the block: the file hung, or could not be opened */
static bool block_fault(int rc)
{
	return rc && rc != RAC_EBLK_ZERO && rc != RAC_ETIMEDOUT && rc != RAC_ESYS &&
	       rc != RAC_EINVAL;
}

/* the record a block holds, and what its not reading costs, for the alert line */
static void block_what(uint32_t blkno, uint16_t type, char *what, size_t wlen, char *cost,
		       size_t clen)
{
	cost[0] = '\0';
	if (blkno >= CTL_BLK_CKPT(1) && blkno <= CTL_BLK_CKPT(RAC_MAX_INST)) {
		int i = (int)blkno - CTL_BLK_CKPT(1) + 1;

		snprintf(what, wlen, "checkpoint progress record of instance %d", i);
		snprintf(cost, clen, "; its progress is unknown, not stalled: instance %d is judged "
			 "by its network and disk heartbeats until it reads again", i);
	} else if (blkno >= CTL_BLK_VOTE(1) && blkno <= CTL_BLK_VOTE(RAC_MAX_INST)) {
		int i = (int)blkno - CTL_BLK_VOTE(1) + 1;

		snprintf(what, wlen, "IMR vote of instance %d", i);
		snprintf(cost, clen, "; a vote of instance %d is not counted until it reads again", i);
	} else {
		snprintf(what, wlen, "%s", blk_type_str(type));
	}
}

void lctl_bad_block(struct lmon *l, uint32_t blkno, uint16_t type, int rc)
{
	struct ratelim *rl;
	char what[96], cost[160];
	bool say;

	if (blkno >= CTL_NBLOCKS)
		return;
	rl = &l->l_ctl_bad[blkno];
	say = ratelim_hit(rl, rac_now_mono_ns());
	member_count(l->l_m, rc == RAC_EIO || rc == RAC_EBLK_SHORT ? CNT_DISK_IO_ERRORS :
		     CNT_DISK_BLOCKS_CORRUPT);
	block_what(blkno, type, what, sizeof(what), cost, sizeof(cost));
	if (rl->rl_started)
		log_alert("Control file %s: block %u (%s) is unreadable (%s)%s", l->l_ctl_path,
			  blkno, what, rac_strerror(rc), cost);
	if (say)
		log_warn(COMP, "control file block %u (%s): %s (%llu failed read%s in a row)", blkno,
			 what, rac_strerror(rc), (unsigned long long)rl->rl_count,
			 rl->rl_count == 1 ? "" : "s");
}

/* a read call came back: a fault the corrupt-block handler was not told of, or a good read */
static void note_read(struct lmon *l, const struct ctl_call *cc)
{
	uint32_t blkno;
	uint16_t type;
	struct ratelim *rl;
	char what[96], cost[160];

	if (!ctl_call_read_blk(cc, &blkno, &type) || blkno >= CTL_NBLOCKS)
		return;
	if (block_fault(cc->cc_rc)) {
		if (!cc->cc_corrupt_rc)
			lctl_bad_block(l, blkno, type, cc->cc_rc);
		return;
	}
	if (cc->cc_rc && cc->cc_rc != RAC_EBLK_ZERO)
		return;	/* hung or not opened: nothing learnt of the block */
	rl = &l->l_ctl_bad[blkno];
	if (!ratelim_clear(rl))
		return;
	block_what(blkno, type, what, sizeof(what), cost, sizeof(cost));
	log_alert("Control file %s: block %u (%s) reads again (%llu failed reads over %llu ms)",
		  l->l_ctl_path, blkno, what, (unsigned long long)rl->rl_count,
		  (unsigned long long)((rac_now_mono_ns() - rl->rl_since_ns) / 1000000));
}

static int run(struct lmon *l, struct ctl_call *in)
{
	struct ctl_call *cc = &l->l_ctl_call;
	uint64_t deadline;
	int done;

	in->cc_fd = l->l_ctl_fd;
	if (!l->l_ctl_aio) {
		/* no worker (a unit test): on this thread */
		ctl_call_io(in);
		ctl_call_report(in);
		note_read(l, in);
		errno = in->cc_errno;
		return in->cc_rc;
	}
	if (l->l_ctl_busy) {
		if (aio_poll(l->l_ctl_aio, l->l_ctl_id, NULL, NULL) != 1) {
			errno = ETIMEDOUT;
			return RAC_ETIMEDOUT;
		}
		l->l_ctl_busy = 0;
		log_info(COMP, "control file I/O returned after %llu ms; control-file I/O resumes",
			 (unsigned long long)((rac_now_mono_ns() - l->l_ctl_since_ns) / 1000000));
		log_alert("Control file %s is ONLINE again", l->l_ctl_path);
	}
	*cc = *in;
	if (aio_submit(l->l_ctl_aio, ctl_call_io, cc, &l->l_ctl_id)) {
		errno = ETIMEDOUT;
		return RAC_ETIMEDOUT;
	}
	l->l_ctl_busy = 1;
	l->l_ctl_since_ns = rac_now_mono_ns();
	deadline = l->l_ctl_since_ns + (uint64_t)l->l_m->m_to.to_io_timeout_ms * 1000000ull;
	/* the usual case: back within a couple of ms, nothing to pump */
	done = aio_wait(l->l_ctl_aio, l->l_ctl_id, l->l_ctl_pump ? 2 :
			(int)l->l_m->m_to.to_io_timeout_ms, NULL, NULL);
	while (done != 1 && rac_now_mono_ns() < deadline) {
		if (l->l_ctl_pump)
			css_pump(l, 1);
		done = aio_wait(l->l_ctl_aio, l->l_ctl_id, l->l_ctl_pump ? 0 : 1, NULL, NULL);
	}
	if (done != 1) {
		member_count(l->l_m, CNT_DISK_IO_ERRORS);
		log_warn(COMP, "control file I/O not back within the I/O timeout (%u ms): taken as "
			 "failed; no control-file I/O until it returns", l->l_m->m_to.to_io_timeout_ms);
		log_alert("Control file %s is HUNG: I/O outstanding for %u ms (I/O timeout); its "
			  "reads and writes count as failed until it answers", l->l_ctl_path,
			  l->l_m->m_to.to_io_timeout_ms);
		errno = ETIMEDOUT;
		return RAC_ETIMEDOUT;
	}
	l->l_ctl_busy = 0;
	*in = *cc;
	ctl_call_report(cc);
	note_read(l, cc);
	errno = cc->cc_errno;
	return cc->cc_rc;
}

int lctl_read_membership(struct lmon *l, struct ctl_membership *ms, struct blk_hdr *h)
{
	struct ctl_call cc = { .cc_op = CTL_CALL_READ_MEMBERSHIP };
	int rc = run(l, &cc);

	*ms = cc.cc_ms;
	*h = cc.cc_h;
	return rc;
}

int lctl_read_cfvrr(struct lmon *l, struct ctl_cfvrr *vr, struct blk_hdr *h)
{
	struct ctl_call cc = { .cc_op = CTL_CALL_READ_CFVRR };
	int rc = run(l, &cc);

	*vr = cc.cc_vr;
	*h = cc.cc_h;
	return rc;
}

int lctl_read_vote(struct lmon *l, int inst, struct ctl_vote *v)
{
	struct ctl_call cc = { .cc_op = CTL_CALL_READ_VOTE, .cc_inst = inst };
	int rc = run(l, &cc);

	*v = cc.cc_vote;
	return rc;
}

int lctl_read_ckpt(struct lmon *l, int inst, struct ctl_ckpt *ck, struct blk_hdr *h)
{
	/*
	 * On a descriptor of its own, as each voting-disk round opens its disk
	 * afresh: what the path leads to now is read (the lab's disk-error drill
	 * covers the path, not descriptors already open).
	 */
	struct ctl_call cc = { .cc_op = CTL_CALL_READ_CKPT, .cc_inst = inst,
			       .cc_path = l->l_ctl_path[0] ? l->l_ctl_path : NULL };
	int rc = run(l, &cc);

	*ck = cc.cc_ck;
	if (h)
		*h = cc.cc_h;
	return rc;
}

int lctl_write_membership(struct lmon *l, bool may_write, int writer,
			  const struct ctl_membership *ms, uint64_t seq)
{
	struct ctl_call cc = { .cc_op = CTL_CALL_WRITE_MEMBERSHIP, .cc_may_write = may_write,
			       .cc_writer = writer, .cc_ms = *ms, .cc_seq = seq };

	return run(l, &cc);
}

int lctl_write_cfvrr(struct lmon *l, bool may_write, int writer, const struct ctl_cfvrr *vr,
		     uint64_t inc, uint64_t seq)
{
	struct ctl_call cc = { .cc_op = CTL_CALL_WRITE_CFVRR, .cc_may_write = may_write,
			       .cc_writer = writer, .cc_vr = *vr, .cc_inc = inc, .cc_seq = seq };

	return run(l, &cc);
}

int lctl_write_vote(struct lmon *l, bool may_write, const struct ctl_vote *v, uint64_t inc,
		    uint64_t seq)
{
	struct ctl_call cc = { .cc_op = CTL_CALL_WRITE_VOTE, .cc_may_write = may_write,
			       .cc_vote = *v, .cc_inc = inc, .cc_seq = seq };

	return run(l, &cc);
}
