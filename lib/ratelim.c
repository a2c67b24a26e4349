/*
 * ratelim.c - how often a fault that repeats is said (see ratelim.h).
 */
#include "ratelim.h"

bool ratelim_hit(struct ratelim *rl, uint64_t now_ns)
{
	rl->rl_started = !rl->rl_active;
	if (rl->rl_started) {
		rl->rl_active = true;
		rl->rl_count = 0;
		rl->rl_since_ns = now_ns;
	}
	rl->rl_count++;
	rl->rl_total++;
	return rl->rl_count <= RATELIM_FIRST || rl->rl_count % RATELIM_EVERY == 0;
}

bool ratelim_clear(struct ratelim *rl)
{
	bool was = rl->rl_active;

	rl->rl_active = false;
	rl->rl_started = false;
	return was;
}
