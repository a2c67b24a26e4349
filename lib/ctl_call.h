/*
 * ctl_call.h - one control-file call (lib/ctl_io.h) packed into a struct,
 * so that it can run on an I/O worker (lib/aio.h) while the caller goes on
 * heartbeating: the caller fills the inputs, hands ctl_call_io() and the
 * struct to the worker, and reads the outputs once the op is done.
 *
 * A block that fails its checks on the worker is not reported there (the
 * handler logs and counts, which only the caller's thread may do): it is
 * kept in the struct and ctl_call_report() hands it to the handler set
 * with ctl_call_on_corrupt() on the caller's thread.  A call made directly
 * on the caller's thread reports at once, as before.
 */
#ifndef RAC_CTL_CALL_H
#define RAC_CTL_CALL_H

#include "ctl_io.h"

enum ctl_call_op {
	CTL_CALL_READ_MEMBERSHIP = 1,
	CTL_CALL_READ_CFVRR,
	CTL_CALL_READ_VOTE,
	CTL_CALL_READ_CKPT,
	CTL_CALL_WRITE_MEMBERSHIP,
	CTL_CALL_WRITE_CFVRR,
	CTL_CALL_WRITE_VOTE,
	CTL_CALL_WRITE_CKPT,
};

struct ctl_call {
	/* in */
	int cc_op;			/* enum ctl_call_op */
	int cc_fd;
	/*
	 * A read on a descriptor of its own: non-NULL, the call opens this path
	 * (read-only) for itself and closes it after, so that it reaches what
	 * the path leads to now (a device re-presented under it, the lab's
	 * disk-error drill), not what cc_fd was opened on.  RAC_ESYS (errno
	 * kept) if it cannot be opened.
	 */
	const char *cc_path;
	uint32_t cc_base;		/* the copy's block 0 in that file (ctl_io.h) */
	bool cc_may_write;
	int cc_writer;
	int cc_inst;			/* READ_VOTE, READ_CKPT */
	uint64_t cc_inc, cc_seq;	/* writes */
	/* in (writes) or out (reads) */
	struct ctl_membership cc_ms;
	struct ctl_cfvrr cc_vr;
	struct ctl_vote cc_vote;
	struct ctl_ckpt cc_ck;
	struct blk_hdr cc_h;
	/* out */
	int cc_rc;
	int cc_errno;
	int cc_corrupt_rc;		/* a block that failed its checks, 0 none */
	uint32_t cc_corrupt_blk;
	uint16_t cc_corrupt_type;
};

/* the aio_fn: runs the call; 0 or the call's error, also in cc_rc */
int ctl_call_io(void *arg);
/* the handler for corrupt blocks (ctl_io_on_corrupt's), relayed as above */
void ctl_call_on_corrupt(ctl_io_corrupt_fn *fn, void *arg);
/* on the caller's thread, once the call is done: the corrupt block, if any */
void ctl_call_report(const struct ctl_call *cc);
/*
 * The block a read call reads (and its type): true for a read, false for a
 * write or an unknown op.
 */
bool ctl_call_read_blk(const struct ctl_call *cc, uint32_t *blkno, uint16_t *type);

#endif
