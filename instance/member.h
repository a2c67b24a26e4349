/*
 * member.h - the runtime every NM group member (LMON, LMS, CKPT, SMON)
 * runs on.
 *
 * member_main() does what is common: checks it was started by its guardian,
 * takes its ps title, attaches the SGA, opens its trace file, lets the role
 * set itself up, registers in the NM group table (LMON as primary, taking
 * the member id; the others as slaves under it), then runs one loop:
 *
 *   zmq_poll(role's sockets + signalfd, timeout to the next chore)
 *     -> NM heartbeat in the slot every member_heartbeat_ms
 *     -> the role's tick when due
 *     -> the role's handler for ready sockets
 *     -> SIGTERM: the role's fini, then exit 0
 *
 * If the guardian dies the kernel kills the member (PR_SET_PDEATHSIG); the
 * loop also checks its parent as a second line.
 */
#ifndef RAC_MEMBER_H
#define RAC_MEMBER_H

#include <zmq.h>

#include "auth.h"
#include "config.h"
#include "procs.h"
#include "rac.h"
#include "sga.h"
#include "timeouts.h"

#define MEMBER_MAX_ITEMS (2 * RAC_MAX_INST + 4)
/* the member's own poll items beside the role's: the ZAP handler, one monitor per bound socket */
#define MEMBER_MAX_XITEMS 4
/* a connection that has not finished its handshake by then is dropped */
#define MEMBER_HANDSHAKE_MS 5000

struct member {
	enum rac_role m_role;
	const struct rac_proc *m_proc;
	int m_inst;
	struct sga m_sga;
	const struct rac_config *m_cfg;		/* the copy in the SGA */
	struct rac_timeouts m_to;		/* derived from it (timeouts.h) */
	const struct rac_inst_cfg *m_ic;
	struct sga_nm_slot *m_slot;
	pid_t m_guardian;
	int m_sigfd;
	int m_stop;				/* set to leave the loop */
	void *m_zctx;				/* created after exec, here */
	zmq_pollitem_t m_items[MEMBER_MAX_ITEMS];
	int m_nitems;				/* role items; signalfd is added last */
	void *m_role_data;
	/*
	 * The interconnect's keys (auth.h), loaded by the first
	 * member_bind_router(); with them the ZAP handler and a monitor of
	 * each bound socket's failed handshakes, served by the loop itself.
	 */
	bool m_keys_loaded;
	struct auth_keys m_keys;
	zmq_pollitem_t m_xitems[MEMBER_MAX_XITEMS];	/* [0] ZAP, then monitors */
	int m_nxitems;
	uint64_t m_refused_logged;	/* every refusal, whatever its kind */
	uint64_t m_refused_kind[4];	/* by kind (member.c): each has its own alert budget */
	const struct member_ops *m_ops;
};

struct member_ops {
	/* before registering: bind sockets, open files; err says why not */
	int (*mo_init)(struct member *m, char *err, size_t errlen);
	/* period of mo_tick in ms (0: no tick) */
	int (*mo_period_ms)(const struct member *m);
	int (*mo_tick)(struct member *m);
	/* one of m_items[0..m_nitems) is ready */
	void (*mo_ready)(struct member *m, int item);
	void (*mo_fini)(struct member *m);
	/*
	 * The key the interconnect uses for instance `peer` changed (keys
	 * reloaded on SIGHUP): make the sockets to it again.  NULL: no
	 * sockets to peers.
	 */
	void (*mo_rekey)(struct member *m, int peer);
};

int member_main(int argc, char **argv, enum rac_role role, const struct member_ops *ops);

/* A ZeroMQ socket with the house options: bounded HWM, linger 0. */
void *member_socket(struct member *m, int type);

/*
 * Bind a ROUTER socket on `ep` and add it to the poll items; `what` names
 * it in messages ("LMON endpoint").  0, or -1 with `err` set.
 */
int member_bind_router(struct member *m, const char *ep, const char *what, char *err,
		       size_t errlen);
/*
 * A ROUTER on a local (ipc://) endpoint: no keys, the directory's mode
 * guards it; messages from it carry no user (AUTH_NOBODY).
 */
int member_bind_local(struct member *m, const char *ep, const char *what, int sndhwm,
		      char *err, size_t errlen);
/* the same, with a send queue of `sndhwm` messages per connection */
int member_bind_router_hwm(struct member *m, const char *ep, const char *what, int sndhwm,
			   char *err, size_t errlen);

/*
 * Connect a DEALER (made by member_socket) to instance `peer`'s endpoint,
 * with the CURVE client keys when the interconnect is authenticated.
 */
int member_connect_peer(struct member *m, void *sock, int peer, const char *ep, char *err,
			size_t errlen);

/* a DEALER to instance `peer` at `ep`: member_socket + member_connect_peer */
void *member_dealer(struct member *m, int peer, const char *ep, int sndhwm, bool immediate,
		    char *err, size_t errlen);

/*
 * The user a message from a bound socket came from: an instance number or
 * AUTH_ADMIN; AUTH_NOBODY when the interconnect is not authenticated.
 */
static inline int member_user_of(const struct member *m, zmq_msg_t *msg)
{
	return m->m_keys.ak_on ? auth_user_of(msg) : AUTH_NOBODY;
}

/*
 * Serve the ZAP handler and the handshake monitors now, without waiting:
 * for a role's own inner waits (LMON's css_pump), so that a connection
 * being made meanwhile is not held up.
 */
void member_serve_aux(struct member *m);

/*
 * May a message from `user` name `sender` (an instance, or AUTH_ADMIN for a
 * view or dump request)?  Always yes when not authenticated.  A refusal is
 * counted and logged (rate-limited).
 */
bool member_sender_ok(struct member *m, int user, int sender, const char *what);

/* stamp this member's NM slot (the loop does it; long waits call it too) */
void member_heartbeat(struct member *m);

/* count a counter in this instance's SGA */
static inline void member_count(struct member *m, enum sga_counter c)
{
	sga_count(&m->m_sga, c, 1);
}

#endif
