/*
 * ctl_area.h - the control area's copies, read and written by majority.
 *
 * The control area (membership, CFVRR, votes, checkpoint progress records;
 * disk.h) has one copy on every voting disk, at VOTE_CTL_BASE, and the
 * control file is a copy too when the number of voting disks is even: the
 * number of copies is always odd (1 voting disk: 1 copy, 2: 3, 3: 3, 4: 5),
 * so one more copy never adds a way to fail without adding a loss the
 * majority survives.  The control file always keeps the header and the
 * format claim (racctl init, ctl_check()).
 *
 * A call (lib/ctl_call.h) goes to every copy, each on its own I/O worker
 * (lib/aio.h), so a copy that hangs costs that copy only:
 *   - a write succeeds when a strict majority of the copies took it
 *     durably within the I/O timeout; every copy is written, so one that
 *     fell behind (or holds a corrupt block) is brought up to date by it;
 *   - a read needs a strict majority of the copies to answer; a block that
 *     fails its checks or was never written is an answer that carries
 *     nothing; of the valid records, the one with the highest sequence is
 *     taken.  No valid record among the answers is an error (RAC_EBLK_ZERO
 *     when every answer was a block never written, else the first check
 *     that failed), never a zeroed record.
 * Each copy is opened afresh at least once a second (CTL_REOPEN_MS) and
 * after an I/O error, on its worker, as the voting disks are every round:
 * a copy that went away, came back or was replaced under its path is seen.
 *
 * The call returns once a majority has answered (and a short grace for
 * the rest has passed), or at once when a majority can no longer answer;
 * a copy whose op is still out sits the next calls out until it returns,
 * and counts as not answering.
 */
#ifndef RAC_CTL_AREA_H
#define RAC_CTL_AREA_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ctl_call.h"
#include "disk.h"

#define CTL_COPIES_MAX	(RAC_MAX_VOTING + 1)
#define CTL_REOPEN_MS	1000

struct aio;

struct ctl_copy {
	char cp_path[RAC_PATH_MAX + 16];
	uint32_t cp_base;		/* block of the area's block 0 in the file */
	int cp_disk;			/* voting disk 1..n; 0 the control file */
	int cp_writable;
	int cp_fd;			/* the worker's (inline: the caller's); -1 closed */
	uint64_t cp_opened_ns;		/* when cp_fd was opened (the worker's) */
	struct aio *cp_aio;		/* NULL: calls run on the caller's thread */
	struct ctl_call cp_call;	/* the op handed to the worker */
	uint64_t cp_id;
	int cp_busy;			/* handed over, not collected */
	uint64_t cp_since_ns;		/* when */
	int cp_hung;			/* reported as not answering */
	uint8_t cp_bad[CTL_NBLOCKS];	/* block reported corrupt on this copy */
};

enum ctl_copy_event {
	CTL_COPY_HUNG = 1,		/* an op outstanding past the I/O timeout */
	CTL_COPY_BACK,			/* that op returned: the copy answers again */
	CTL_COPY_CORRUPT,		/* block `blkno` failed its checks (rc) */
	CTL_COPY_VALID,			/* block `blkno` valid again (read or rewritten) */
};

/* on the caller's thread, inside ctl_area_call() */
typedef void ctl_area_event_fn(void *arg, const struct ctl_copy *cp, int event,
			       uint32_t blkno, int rc);
/* while a call waits for its copies: keep the caller's chores going ~ms */
typedef void ctl_area_pump_fn(void *arg, int ms);

struct ctl_area {
	int ca_n;
	uint64_t ca_timeout_ns;		/* the I/O timeout */
	struct ctl_copy ca_copy[CTL_COPIES_MAX];
	ctl_area_event_fn *ca_event;
	void *ca_event_arg;
	ctl_area_pump_fn *ca_pump;	/* NULL: just wait */
	void *ca_pump_arg;
	/*
	 * Rule 4 (LMON): the cluster shrinks to its lowest member because no
	 * member reaches a majority of the voting disks, and so of the copies;
	 * that member's calls then take the copies that answer as all there is
	 * (a read: the highest valid record among them; a write: one copy took
	 * it).  Its next write once a majority answers again brings every copy
	 * up to date, and its sequence is the highest.
	 */
	int ca_any;
};

/* the control file is a copy (the number of voting disks is even) */
bool ctl_file_is_copy(const struct rac_config *cfg);
/* how many copies the configuration has */
int ctl_copies(const struct rac_config *cfg);
/*
 * The copies of `cfg` (its paths in force: config_localize()), none open,
 * no worker: calls run on the caller's thread until ctl_area_start().
 * Returns the number of copies.
 */
int ctl_area_init(struct ctl_area *a, const struct rac_config *cfg, int writable,
		  uint64_t timeout_ns);
/* one worker per copy, named <name><k>: 0, or -1 with errno */
int ctl_area_start(struct ctl_area *a, const char *name);
/* the call on every copy, by majority (above): 0 or an error, errno set */
int ctl_area_call(struct ctl_area *a, struct ctl_call *cc);
/* workers stopped (a hung one left to finish), fds closed */
void ctl_area_close(struct ctl_area *a);
struct aio *ctl_area_worker(struct ctl_area *a, int k);	/* tests */
/* "voting disk 2 (/path)" or "control file (/path)" */
void ctl_copy_name(const struct ctl_copy *cp, char *buf, size_t len);
/* the record's block (CTL_BLK_*) a call reads or writes */
uint32_t ctl_call_blkno(const struct ctl_call *cc);

/*
 * The majority rule, pure.  rc[k] is copy k's result: 0 a valid record,
 * a block error (RAC_EBLK_ZERO, _MAGIC, _CRC, _VERSION, _TYPE, _LEN) or
 * RAC_ERANGE an answer that carries nothing, anything else (RAC_EIO,
 * RAC_ESYS, RAC_EBLK_SHORT, RAC_ETIMEDOUT: asked and not back) no answer.
 */
bool ctl_answered(int rc);
/*
 * Reads: 0 with *best the valid record of highest seq[]; two of one seq[]
 * that differ (sum[], the block checksums; NULL: not compared) go to the one
 * more answering copies hold, then to the lowest copy; without a strict majority of answers RAC_ETIMEDOUT if a copy
 * timed out, else the first failure; with one but no valid record the
 * first block error that is not RAC_EBLK_ZERO, else RAC_EBLK_ZERO.
 */
int ctl_merge_read(int n, const int *rc, const uint64_t *seq, const uint32_t *sum, int *best);
/* writes: 0 when a strict majority took it, else as a read without a majority */
int ctl_merge_write(int n, const int *rc);

#endif
