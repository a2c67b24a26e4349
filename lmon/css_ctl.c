/*
 * css_ctl.c - LMON's control-area I/O: every call on every copy of the
 * control area (lib/ctl_area.h), each copy on its own I/O worker, by
 * majority.
 *
 * CGS, IMR and the reconfiguration read and write the control area as
 * before, one call at a time, but the call runs on the copies' workers
 * while LMON keeps pumping (css_pump()): the heartbeats, our NM slot and
 * the voting disks go on however long the copies take.  The call returns
 * once a strict majority of the copies answered; a copy that does not
 * answer within the I/O timeout is HUNG (an alert line), sits the next
 * calls out until its op returns (another alert line), and costs nothing
 * else.  Without a majority the call fails with RAC_ETIMEDOUT (errno
 * ETIMEDOUT), which every caller already takes as a failed read or write.
 *
 * Before LMON's first disk heartbeat (lmon_init()) there is nothing to
 * pump yet: the call waits for the workers, bounded all the same.
 *
 * A record that does not read in a strict majority of the copies -- a bad sector under it, a corrupt record --
 * fails that record's reads and nothing else (in one copy it is just a
 * copy that answered nothing).  It is read again, and fails
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

/* what a copy did, in the alert log: it hangs, answers again, holds a bad block */
static void copy_event(void *arg, const struct ctl_copy *cp, int ev, uint32_t blkno, int rc)
{
	struct lmon *l = arg;
	char name[RAC_PATH_MAX + 48];
	uint16_t type = blkno == CTL_BLK_MEMBERSHIP ? BLK_MEMBERSHIP :
			blkno == CTL_BLK_CFVRR ? BLK_CFVRR :
			blkno >= CTL_BLK_VOTE(1) ? BLK_VOTE : BLK_CKPT_PROGRESS;

	ctl_copy_name(cp, name, sizeof(name));
	switch (ev) {
	case CTL_COPY_HUNG:
		member_count(l->l_m, CNT_DISK_IO_ERRORS);
		log_alert("Control area copy on %s is HUNG: I/O outstanding for more than %u ms "
			  "(I/O timeout); the other copies' majority is used until it answers",
			  name, l->l_m->m_to.to_io_timeout_ms);
		break;
	case CTL_COPY_BACK:
		log_alert("Control area copy on %s is ONLINE again: its I/O returned after %d ms",
			  name, rc);
		break;
	case CTL_COPY_CORRUPT:
		member_count(l->l_m, CNT_DISK_BLOCKS_CORRUPT);
		log_alert("Control area copy on %s: %s (block %u) is CORRUPT (%s); the other "
			  "copies' majority is used until it is rewritten", name, blk_type_str(type),
			  blkno, rac_strerror(rc));
		break;
	case CTL_COPY_VALID:
		log_alert("Control area copy on %s: %s (block %u) is valid again", name,
			  blk_type_str(type), blkno);
		break;
	}
}

static void pump(void *arg, int ms)
{
	struct lmon *l = arg;

	if (l->l_ctl_pump)
		css_pump(l, ms);
	else
		rac_sleep_ms((unsigned)ms);
}

void css_ctl_open(struct lmon *l)
{
	ctl_area_close(&l->l_ctl);
	ctl_area_init(&l->l_ctl, l->l_m->m_cfg, 1,
		      (uint64_t)l->l_m->m_to.to_io_timeout_ms * 1000000ull);
	l->l_ctl.ca_event = copy_event;
	l->l_ctl.ca_event_arg = l;
}

int css_ctl_init(struct lmon *l, char *err, size_t errlen)
{
	char copies[512] = "";
	size_t off = 0;

	css_ctl_open(l);
	if (ctl_area_start(&l->l_ctl, "ctl")) {
		snprintf(err, errlen, "cannot start the control area's I/O workers");
		return -1;
	}
	l->l_ctl.ca_pump = pump;
	l->l_ctl.ca_pump_arg = l;
	for (int k = 0; k < l->l_ctl.ca_n && off < sizeof(copies); k++) {
		int n = snprintf(copies + off, sizeof(copies) - off, "%s%s", k ? ", " : "",
				 l->l_ctl.ca_copy[k].cp_path);

		if (n > 0)
			off += (size_t)n;
	}
	log_info(COMP, "control area: %d copies, read and written by majority: %s",
		 l->l_ctl.ca_n, copies);
	return 0;
}

void css_ctl_fini(struct lmon *l)
{
	ctl_area_close(&l->l_ctl);
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
		log_alert("Control area: block %u (%s) is unreadable in a majority of the copies (%s)%s",
			  blkno, what, rac_strerror(rc), cost);
	if (say)
		log_warn(COMP, "control area block %u (%s): %s (%llu failed read%s in a row)", blkno,
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
	log_alert("Control area: block %u (%s) reads again (%llu failed reads over %llu ms)",
		  blkno, what, (unsigned long long)rl->rl_count,
		  (unsigned long long)((rac_now_mono_ns() - rl->rl_since_ns) / 1000000));
}

static int run(struct lmon *l, struct ctl_call *cc)
{
	int rc = ctl_area_call(&l->l_ctl, cc);
	int e = errno;

	note_read(l, cc);
	errno = e;
	return rc;
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
	/* each copy is reopened every second and after an I/O error (ctl_area.h) */
	struct ctl_call cc = { .cc_op = CTL_CALL_READ_CKPT, .cc_inst = inst };
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
