/*
 * ctl_area.c - the control area's copies, by majority (see ctl_area.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "aio.h"
#include "ctl_area.h"
#include "errors.h"

bool ctl_file_is_copy(const struct rac_config *cfg)
{
	return cfg->cf_nvoting % 2 == 0;
}

int ctl_copies(const struct rac_config *cfg)
{
	return cfg->cf_nvoting + (ctl_file_is_copy(cfg) ? 1 : 0);
}

bool ctl_answered(int rc)
{
	switch (rc) {
	case 0:
	case RAC_EBLK_ZERO:
	case RAC_EBLK_MAGIC:
	case RAC_EBLK_CRC:
	case RAC_EBLK_VERSION:
	case RAC_EBLK_TYPE:
	case RAC_EBLK_LEN:
	case RAC_ERANGE:
		return true;
	default:
		return false;
	}
}

/* no strict majority: why, as one error (a copy that timed out first) */
static int no_majority(int n, const int *rc, bool write)
{
	int fail = 0;

	for (int k = 0; k < n; k++) {
		if (rc[k] == RAC_ETIMEDOUT)
			return RAC_ETIMEDOUT;
		if (!fail && rc[k] && (write || !ctl_answered(rc[k])))
			fail = rc[k];
	}
	return fail ? fail : RAC_EIO;
}

/* the answering copies that hold copy k's record (same sequence, same block checksum) */
static int holders(int n, const int *rc, const uint64_t *seq, const uint32_t *sum, int k)
{
	int c = 0;

	for (int j = 0; j < n; j++)
		c += rc[j] == 0 && seq[j] == seq[k] && (!sum || sum[j] == sum[k]);
	return c;
}

int ctl_merge_read(int n, const int *rc, const uint64_t *seq, const uint32_t *sum, int *best)
{
	int answered = 0, found = -1, content = 0;

	if (n <= 0)
		return RAC_EINVAL;
	for (int k = 0; k < n; k++) {
		if (!ctl_answered(rc[k]))
			continue;
		answered++;
		if (rc[k] == 0) {
			/*
			 * Two records of one sequence that differ: a write that
			 * reached a minority (an I/O that landed late) and the next
			 * writer's, which did not see it.  The one more copies hold
			 * wins; on a tie, the lowest copy.
			 */
			if (found < 0 || seq[k] > seq[found] ||
			    (seq[k] == seq[found] && sum && sum[k] != sum[found] &&
			     holders(n, rc, seq, sum, k) > holders(n, rc, seq, sum, found)))
				found = k;
		} else if (rc[k] != RAC_EBLK_ZERO && !content) {
			content = rc[k];
		}
	}
	if (answered * 2 <= n)
		return no_majority(n, rc, false);
	if (found < 0)
		return content ? content : RAC_EBLK_ZERO;
	*best = found;
	return 0;
}

int ctl_merge_write(int n, const int *rc)
{
	int acks = 0;

	if (n <= 0)
		return RAC_EINVAL;
	for (int k = 0; k < n; k++)
		acks += rc[k] == 0;
	return acks * 2 > n ? 0 : no_majority(n, rc, true);
}

uint32_t ctl_call_blkno(const struct ctl_call *cc)
{
	switch (cc->cc_op) {
	case CTL_CALL_READ_MEMBERSHIP:
	case CTL_CALL_WRITE_MEMBERSHIP:
		return CTL_BLK_MEMBERSHIP;
	case CTL_CALL_READ_CFVRR:
	case CTL_CALL_WRITE_CFVRR:
		return CTL_BLK_CFVRR;
	case CTL_CALL_READ_VOTE:
		return cc->cc_inst >= 1 && cc->cc_inst <= RAC_MAX_INST ?
			(uint32_t)CTL_BLK_VOTE(cc->cc_inst) : CTL_BLK_HEADER;
	case CTL_CALL_WRITE_VOTE:
		return cc->cc_vote.cv_inst >= 1 && cc->cc_vote.cv_inst <= RAC_MAX_INST ?
			(uint32_t)CTL_BLK_VOTE(cc->cc_vote.cv_inst) : CTL_BLK_HEADER;
	case CTL_CALL_READ_CKPT:
		return cc->cc_inst >= 1 && cc->cc_inst <= RAC_MAX_INST ?
			(uint32_t)CTL_BLK_CKPT(cc->cc_inst) : CTL_BLK_HEADER;
	case CTL_CALL_WRITE_CKPT:
		return cc->cc_ck.ck_inst >= 1 && cc->cc_ck.ck_inst <= RAC_MAX_INST ?
			(uint32_t)CTL_BLK_CKPT(cc->cc_ck.ck_inst) : CTL_BLK_HEADER;
	}
	return CTL_BLK_HEADER;
}

static bool is_write(int op)
{
	return op == CTL_CALL_WRITE_MEMBERSHIP || op == CTL_CALL_WRITE_CFVRR ||
	       op == CTL_CALL_WRITE_VOTE || op == CTL_CALL_WRITE_CKPT;
}

void ctl_copy_name(const struct ctl_copy *cp, char *buf, size_t len)
{
	if (cp->cp_disk)
		snprintf(buf, len, "voting disk %d (%s)", cp->cp_disk, cp->cp_path);
	else
		snprintf(buf, len, "control file (%s)", cp->cp_path);
}

int ctl_area_init(struct ctl_area *a, const struct rac_config *cfg, int writable,
		  uint64_t timeout_ns)
{
	int n = 0;

	memset(a, 0, sizeof(*a));
	a->ca_timeout_ns = timeout_ns;
	if (ctl_file_is_copy(cfg)) {
		config_control_path(cfg, a->ca_copy[n].cp_path, sizeof(a->ca_copy[n].cp_path));
		a->ca_copy[n].cp_base = 0;
		n++;
	}
	for (int d = 0; d < cfg->cf_nvoting && n < CTL_COPIES_MAX; d++, n++) {
		rac_strlcpy(a->ca_copy[n].cp_path, cfg->cf_voting[d], sizeof(a->ca_copy[n].cp_path));
		a->ca_copy[n].cp_base = VOTE_CTL_BASE;
		a->ca_copy[n].cp_disk = d + 1;
	}
	for (int k = 0; k < n; k++) {
		a->ca_copy[k].cp_fd = -1;
		a->ca_copy[k].cp_writable = writable;
	}
	a->ca_n = n;
	return n;
}

int ctl_area_start(struct ctl_area *a, const char *name)
{
	for (int k = 0; k < a->ca_n; k++) {
		char nm[32];

		snprintf(nm, sizeof(nm), "%s%d", name, k + 1);
		a->ca_copy[k].cp_aio = aio_new(nm, 2, a->ca_timeout_ns);
		if (!a->ca_copy[k].cp_aio)
			return -1;
	}
	return 0;
}

struct aio *ctl_area_worker(struct ctl_area *a, int k)
{
	return k >= 0 && k < a->ca_n ? a->ca_copy[k].cp_aio : NULL;
}

/* on the copy's worker: open (afresh after an I/O error or a second), then the call */
static int copy_io(void *arg)
{
	struct ctl_copy *cp = arg;
	struct ctl_call *cc = &cp->cp_call;

	uint64_t now = rac_now_mono_ns();

	if (cp->cp_fd >= 0 && now - cp->cp_opened_ns > CTL_REOPEN_MS * 1000000ull) {
		close(cp->cp_fd);
		cp->cp_fd = -1;
	}
	if (cp->cp_fd < 0) {
		cp->cp_fd = disk_open(cp->cp_path, cp->cp_writable);
		cp->cp_opened_ns = now;
	}
	if (cp->cp_fd < 0) {
		cc->cc_rc = RAC_ESYS;
		cc->cc_errno = errno;
		cc->cc_corrupt_rc = 0;
		return RAC_ESYS;
	}
	cc->cc_fd = cp->cp_fd;
	cc->cc_base = cp->cp_base;
	ctl_call_io(cc);
	if (cc->cc_rc == RAC_EIO || cc->cc_rc == RAC_EBLK_SHORT) {
		close(cp->cp_fd);
		cp->cp_fd = -1;
	}
	return cc->cc_rc;
}

static void event(struct ctl_area *a, struct ctl_copy *cp, int ev, uint32_t blkno, int rc)
{
	if (a->ca_event)
		a->ca_event(a->ca_event_arg, cp, ev, blkno, rc);
}

/* an op of an earlier call, still out: collected if it returned, else watched */
static void collect_old(struct ctl_area *a, struct ctl_copy *cp, uint64_t now)
{
	if (!cp->cp_busy)
		return;
	if (aio_poll(cp->cp_aio, cp->cp_id, NULL, NULL) == 1) {
		cp->cp_busy = 0;
		if (cp->cp_hung) {
			cp->cp_hung = 0;
			event(a, cp, CTL_COPY_BACK, ctl_call_blkno(&cp->cp_call),
			      (int)((now - cp->cp_since_ns) / 1000000));
		}
		return;
	}
	if (!cp->cp_hung && now - cp->cp_since_ns > a->ca_timeout_ns) {
		cp->cp_hung = 1;
		event(a, cp, CTL_COPY_HUNG, ctl_call_blkno(&cp->cp_call), 0);
	}
}

/* copy k's op of this call came back: its result, and what it says of the copy */
static void finish(struct ctl_area *a, int k, int *rc, uint64_t *seq, uint32_t *sum)
{
	struct ctl_copy *cp = &a->ca_copy[k];
	struct ctl_call *cc = &cp->cp_call;
	uint32_t blkno = ctl_call_blkno(cc);

	rc[k] = cc->cc_rc;
	seq[k] = cc->cc_h.bh_sequence;
	sum[k] = cc->cc_h.bh_crc;
	/* a bad block in one copy is that copy's only (the event below); a
	 * majority's is the call's, reported after the merge */
	if (blkno >= CTL_NBLOCKS)
		return;
	if (rc[k] == 0 && cp->cp_bad[blkno]) {
		cp->cp_bad[blkno] = 0;
		event(a, cp, CTL_COPY_VALID, blkno, 0);
	} else if (rc[k] && rc[k] != RAC_EBLK_ZERO && ctl_answered(rc[k]) && !cp->cp_bad[blkno]) {
		cp->cp_bad[blkno] = 1;
		event(a, cp, CTL_COPY_CORRUPT, blkno, rc[k]);
	}
}

/* a call waits this long on its copies' workers before it pumps the caller's chores */
#define CTL_QUIET_NS	2000000ull

static uint64_t grace_ns(const struct ctl_area *a)
{
	uint64_t g = a->ca_timeout_ns / 20;

	return g < 5000000ull ? 5000000ull : g > 50000000ull ? 50000000ull : g;
}

/* rule 4 (ctl_area.h): the copies that answered, or took the write, are all there is */
static int merge_any(int n, const int *rc, const uint64_t *seq, const uint32_t *sum, bool write,
		     int *best, int r)
{
	int rc2[CTL_COPIES_MAX], map[CTL_COPIES_MAX], m = 0, b = 0, r2;
	uint64_t seq2[CTL_COPIES_MAX];
	uint32_t sum2[CTL_COPIES_MAX];

	for (int k = 0; k < n; k++) {
		if (write ? rc[k] != 0 : !ctl_answered(rc[k]))
			continue;
		rc2[m] = rc[k];
		seq2[m] = seq[k];
		sum2[m] = sum[k];
		map[m++] = k;
	}
	if (!m)
		return r;
	if (write)
		return 0;
	r2 = ctl_merge_read(m, rc2, seq2, sum2, &b);
	if (r2 == 0)
		*best = map[b];
	return r2;
}

int ctl_area_call(struct ctl_area *a, struct ctl_call *cc)
{
	int rc[CTL_COPIES_MAX], asked[CTL_COPIES_MAX] = { 0 };
	uint64_t seq[CTL_COPIES_MAX] = { 0 };
	uint32_t sum[CTL_COPIES_MAX] = { 0 };
	int n = a->ca_n, need = a->ca_any ? 1 : a->ca_n / 2 + 1, out = 0, r, best = 0;
	bool write = is_write(cc->cc_op);
	uint64_t start = rac_now_mono_ns(), majority_ns = 0;

	if (n <= 0) {
		errno = EINVAL;
		return RAC_EINVAL;
	}
	/* a fenced caller writes nothing, on no copy */
	if (write && cc->cc_op != CTL_CALL_WRITE_CKPT && !cc->cc_may_write) {
		errno = EPERM;
		return RAC_EIO;
	}
	for (int k = 0; k < n; k++) {
		struct ctl_copy *cp = &a->ca_copy[k];

		rc[k] = RAC_ETIMEDOUT;
		collect_old(a, cp, start);
		if (cp->cp_busy)
			continue;	/* still out: sits this call out */
		cp->cp_call = *cc;
		if (!cp->cp_aio) {
			copy_io(cp);
			finish(a, k, rc, seq, sum);
			continue;
		}
		if (aio_submit(cp->cp_aio, copy_io, cp, &cp->cp_id))
			continue;
		cp->cp_busy = asked[k] = 1;
		cp->cp_since_ns = start;
		out++;
	}
	while (out > 0) {
		uint64_t now;
		int good = 0, lost = 0, first = -1;

		for (int k = 0; k < n; k++) {
			struct ctl_copy *cp = &a->ca_copy[k];

			if (asked[k] && cp->cp_busy &&
			    aio_poll(cp->cp_aio, cp->cp_id, NULL, NULL) == 1) {
				cp->cp_busy = asked[k] = 0;
				out--;
				finish(a, k, rc, seq, sum);
			}
			if (asked[k] && first < 0)
				first = k;
			if (asked[k])
				continue;
			if (write ? rc[k] == 0 : ctl_answered(rc[k]))
				good++;
			else
				lost++;
		}
		if (!out || n - lost < need)
			break;	/* all back, or a majority can no longer answer */
		now = rac_now_mono_ns();
		if (good >= need && !majority_ns)
			majority_ns = now;
		if (majority_ns && now - majority_ns >= grace_ns(a))
			break;
		if (now - start >= a->ca_timeout_ns)
			break;
		/*
		 * The usual case is every copy back within a couple of ms: wait
		 * for it on the worker, which costs no CPU, and pump the caller's
		 * chores (heartbeats, NM slot) only once the call takes longer.
		 */
		if (a->ca_pump && now - start >= CTL_QUIET_NS) {
			a->ca_pump(a->ca_pump_arg, 1);
		} else if (aio_wait(a->ca_copy[first].cp_aio, a->ca_copy[first].cp_id, 1,
				    NULL, NULL) == 1) {
			a->ca_copy[first].cp_busy = asked[first] = 0;
			out--;
			finish(a, first, rc, seq, sum);
		}
	}
	/* an op still out is left to its worker: collected by a later call */
	r = write ? ctl_merge_write(n, rc) : ctl_merge_read(n, rc, seq, sum, &best);
	if (r && a->ca_any)
		r = merge_any(n, rc, seq, sum, write, &best, r);
	if (r == 0) {
		if (!write) {
			int op = cc->cc_op;

			*cc = a->ca_copy[best].cp_call;
			cc->cc_op = op;
		}
		cc->cc_rc = 0;
		errno = 0;
		return 0;
	}
	errno = r == RAC_ETIMEDOUT ? ETIMEDOUT : EIO;
	cc->cc_rc = r;
	cc->cc_corrupt_rc = 0;
	for (int k = 0; k < n; k++)
		if (rc[k] == r && r != RAC_ETIMEDOUT && !a->ca_copy[k].cp_busy) {
			const struct ctl_call *kc = &a->ca_copy[k].cp_call;

			errno = kc->cc_errno;
			cc->cc_corrupt_rc = kc->cc_corrupt_rc;
			cc->cc_corrupt_blk = kc->cc_corrupt_blk;
			cc->cc_corrupt_type = kc->cc_corrupt_type;
			break;
		}
	{
		int e = errno;

		/* the record failed its checks in a majority: once, for the call */
		ctl_call_report(cc);
		errno = e;
	}
	return r;
}

void ctl_area_close(struct ctl_area *a)
{
	for (int k = 0; k < a->ca_n; k++) {
		struct ctl_copy *cp = &a->ca_copy[k];

		if (cp->cp_aio && aio_outstanding(cp->cp_aio)) {
			/* an op stuck in the kernel keeps its fd */
			aio_destroy(&cp->cp_aio);
			continue;
		}
		aio_destroy(&cp->cp_aio);
		if (cp->cp_fd >= 0)
			close(cp->cp_fd);
		cp->cp_fd = -1;
	}
}
