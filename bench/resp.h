/*
 * resp.h - just enough of the Redis protocol (RESP2) for the lock baseline
 * in bench_locks: start a redis-server on loopback, SET NX PX to lock, a
 * compare-and-delete script to unlock, synchronous or pipelined.
 *
 * This is the lock that users commonly take instead of a lock manager:
 *
 *   lock:    SET <key> <token> NX PX <ttl>           -> +OK, or nil when held
 *   unlock:  EVALSHA <sha> 1 <key> <token>           -> :1 when it was ours
 *            (if GET key == token then DEL key)
 *
 * A lock that is held is retried by the client after a short random pause:
 * Redis has no queue, so there is no order among waiters.
 */
#ifndef RAC_BENCH_RESP_H
#define RAC_BENCH_RESP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct resp {
	int rp_fd;
	char rp_sha[41];		/* the unlock script, loaded */
	char rp_in[65536];
	size_t rp_have, rp_off;
	char rp_out[65536];
	size_t rp_outlen;
};

/* reply kinds */
enum { RESP_OK = 1, RESP_NIL, RESP_INT, RESP_BULK, RESP_ERR };

/*
 * Start `server` (redis-server) on 127.0.0.1:port, without persistence;
 * waits (bounded, 5 s) until it answers.  Returns its pid, or -1.
 */
pid_t resp_server_start(const char *server, int port);
void resp_server_stop(pid_t pid);

/* connect and load the unlock script: 0, or -1 */
int resp_open(struct resp *r, int port);
void resp_close(struct resp *r);

/* queue commands (written by resp_flush) */
int resp_cmd_lock(struct resp *r, const char *key, const char *token, int ttl_ms);
int resp_cmd_unlock(struct resp *r, const char *key, const char *token);
int resp_flush(struct resp *r);

/*
 * The next reply: its kind (RESP_*), its integer for RESP_INT; blocks until
 * one is whole.  -1 on a broken connection or a reply it does not know.
 */
int resp_reply(struct resp *r, long long *val);

/* synchronous: 1 locked, 0 held by someone else, -1 error */
int resp_lock(struct resp *r, const char *key, const char *token, int ttl_ms);
/* synchronous: 0 released, -1 not ours or error */
int resp_unlock(struct resp *r, const char *key, const char *token);

#endif
