/*
 * ratelim.h - how often a fault that repeats is said.
 *
 * A bad sector under a record is read, and fails, on every round that reads
 * the record: every disk-heartbeat round, every control-file poll.  Said
 * each time, it would bury the trace.  A struct ratelim follows one such
 * streak (one record on one disk, as one reader sees it):
 *
 *   ratelim_hit()    a failed read.  True for the first RATELIM_FIRST of a
 *                    streak, then for every RATELIM_EVERY-th, so the trace
 *                    shows the start and a running count, not every round.
 *                    rl_started is set on the first: the caller writes its
 *                    one alert line then.
 *   ratelim_clear()  a good read.  True once, when it ends a streak: the
 *                    caller writes the "readable again" alert line, with
 *                    rl_count and rl_since_ns, read before the next hit.
 *
 * Pure: no clock but the caller's, no I/O, no logging.
 */
#ifndef RAC_RATELIM_H
#define RAC_RATELIM_H

#include <stdbool.h>
#include <stdint.h>

#define RATELIM_FIRST	3	/* warnings at the start of a streak */
#define RATELIM_EVERY	100	/* then one in this many, with the count */

struct ratelim {
	uint64_t rl_count;		/* failed reads in this streak */
	uint64_t rl_since_ns;		/* when the streak began */
	uint64_t rl_total;		/* failed reads ever */
	bool rl_active;			/* a streak is running */
	bool rl_started;		/* the last hit began the streak */
};

/* a failed read at now_ns: true if this one is to be logged */
bool ratelim_hit(struct ratelim *rl, uint64_t now_ns);
/* a good read: true if it ends a streak (rl_count, rl_since_ns still tell it) */
bool ratelim_clear(struct ratelim *rl);

#endif
