/*
 * ctl_call.c - a control-file call as a struct (see ctl_call.h).
 */
#include <errno.h>
#include <unistd.h>

#include "ctl_call.h"
#include "errors.h"

static ctl_io_corrupt_fn *report_fn;
static void *report_arg;
/* the call running on this thread, if it is a worker's */
static __thread struct ctl_call *running;

static void relay(void *arg, uint32_t blkno, uint16_t type, int rc)
{
	(void)arg;
	if (running) {
		running->cc_corrupt_rc = rc;
		running->cc_corrupt_blk = blkno;
		running->cc_corrupt_type = type;
	} else if (report_fn) {
		report_fn(report_arg, blkno, type, rc);
	}
}

void ctl_call_on_corrupt(ctl_io_corrupt_fn *fn, void *arg)
{
	report_fn = fn;
	report_arg = arg;
	ctl_io_on_corrupt(fn ? relay : NULL, NULL);
}

void ctl_call_report(const struct ctl_call *cc)
{
	if (cc->cc_corrupt_rc && report_fn)
		report_fn(report_arg, cc->cc_corrupt_blk, cc->cc_corrupt_type, cc->cc_corrupt_rc);
}

bool ctl_call_read_blk(const struct ctl_call *cc, uint32_t *blkno, uint16_t *type)
{
	bool inst_ok = cc->cc_inst >= 1 && cc->cc_inst <= RAC_MAX_INST;

	switch (cc->cc_op) {
	case CTL_CALL_READ_MEMBERSHIP:
		*blkno = CTL_BLK_MEMBERSHIP;
		*type = BLK_MEMBERSHIP;
		return true;
	case CTL_CALL_READ_CFVRR:
		*blkno = CTL_BLK_CFVRR;
		*type = BLK_CFVRR;
		return true;
	case CTL_CALL_READ_VOTE:
		*blkno = (uint32_t)CTL_BLK_VOTE(cc->cc_inst);
		*type = BLK_VOTE;
		return inst_ok;
	case CTL_CALL_READ_CKPT:
		*blkno = (uint32_t)CTL_BLK_CKPT(cc->cc_inst);
		*type = BLK_CKPT_PROGRESS;
		return inst_ok;
	}
	return false;
}

int ctl_call_io(void *arg)
{
	struct ctl_call *cc = arg;
	int rc;

	int fd = cc->cc_fd;

	running = cc;
	cc->cc_corrupt_rc = 0;
	errno = 0;
	if (cc->cc_path) {
		cc->cc_fd = disk_open(cc->cc_path, 0);
		if (cc->cc_fd < 0) {
			cc->cc_fd = fd;
			cc->cc_rc = RAC_ESYS;
			cc->cc_errno = errno;
			running = NULL;
			return RAC_ESYS;
		}
	}
	switch (cc->cc_op) {
	case CTL_CALL_READ_MEMBERSHIP:
		rc = ctl_io_read_membership(cc->cc_fd, cc->cc_base, &cc->cc_ms, &cc->cc_h);
		break;
	case CTL_CALL_READ_CFVRR:
		rc = ctl_io_read_cfvrr(cc->cc_fd, cc->cc_base, &cc->cc_vr, &cc->cc_h);
		break;
	case CTL_CALL_READ_VOTE:
		rc = ctl_io_read_vote(cc->cc_fd, cc->cc_base, cc->cc_inst, &cc->cc_vote,
				      &cc->cc_h);
		break;
	case CTL_CALL_READ_CKPT:
		rc = ctl_read_ckpt(cc->cc_fd, cc->cc_base, cc->cc_inst, &cc->cc_ck, &cc->cc_h);
		break;
	case CTL_CALL_WRITE_MEMBERSHIP:
		rc = ctl_io_write_membership(cc->cc_fd, cc->cc_base, cc->cc_may_write,
					     cc->cc_writer, &cc->cc_ms, cc->cc_seq);
		break;
	case CTL_CALL_WRITE_CFVRR:
		rc = ctl_io_write_cfvrr(cc->cc_fd, cc->cc_base, cc->cc_may_write, cc->cc_writer,
					&cc->cc_vr, cc->cc_inc, cc->cc_seq);
		break;
	case CTL_CALL_WRITE_VOTE:
		rc = ctl_io_write_vote(cc->cc_fd, cc->cc_base, cc->cc_may_write, &cc->cc_vote,
				       cc->cc_inc, cc->cc_seq);
		break;
	case CTL_CALL_WRITE_CKPT:
		rc = ctl_write_ckpt(cc->cc_fd, cc->cc_base, &cc->cc_ck, cc->cc_inc, cc->cc_seq);
		break;
	default:
		rc = RAC_EINVAL;
		break;
	}
	cc->cc_rc = rc;
	cc->cc_errno = errno;
	if (cc->cc_path) {
		close(cc->cc_fd);
		cc->cc_fd = fd;
	}
	running = NULL;
	return rc;
}
