/*
 * member.c - common runtime of the NM group members; see member.h.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "disk.h"
#include "errors.h"
#include "log.h"
#include "member.h"
#include "msg.h"

#define COMP "NM"
#define SOCKET_HWM 1000

void *member_socket(struct member *m, int type)
{
	void *s = zmq_socket(m->m_zctx, type);
	int linger = 0, hwm = SOCKET_HWM;

	if (!s)
		return NULL;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	return s;
}

/* rate-limited: the first few in full, then one in a hundred */
/*
 * The kinds of refusal, each with its own alert-log budget (the first ten,
 * then one in a hundred): a flood of one kind -- a port scanner speaking
 * plain ZeroMQ -- must not hide another, a key nobody knows.
 */
enum { REF_KEY, REF_PLAIN, REF_HANDSHAKE, REF_SENDER };

static bool refused_say(struct member *m, int kind)
{
	uint64_t n = ++m->m_refused_kind[kind];

	m->m_refused_logged++;
	return n <= 10 || n % 100 == 0;
}

/*
 * The keys, the ZAP handler (it must be there before the first CURVE
 * socket binds: without one libzmq lets every key in) and nothing else.
 */
static int auth_init(struct member *m, char *err, size_t errlen)
{
	void *zap;

	if (m->m_keys_loaded)
		return 0;
	if (auth_load(m->m_cfg, m->m_inst, &m->m_keys, err, errlen))
		return -1;
	m->m_keys_loaded = true;
	if (!m->m_keys.ak_on) {
		log_warn(COMP, "interconnect_auth = no: the interconnect is neither encrypted "
			 "nor authenticated; anyone who reaches its ports is a member");
		return 0;
	}
	zap = member_socket(m, ZMQ_REP);
	if (!zap || zmq_bind(zap, "inproc://zeromq.zap.01")) {
		snprintf(err, errlen, "cannot start the ZAP handler: %s", zmq_strerror(errno));
		if (zap)
			zmq_close(zap);
		return -1;
	}
	m->m_xitems[m->m_nxitems++] = (zmq_pollitem_t){ .socket = zap, .events = ZMQ_POLLIN };
	log_info(COMP, "interconnect authenticated with CURVE, keys in %s", m->m_keys.ak_dir);
	return 0;
}

static void serve_zap(struct member *m, void *rep)
{
	for (int budget = 64; budget > 0; budget--) {
		char addr[64];
		const char *why;
		int user = auth_zap_answer(rep, &m->m_keys, addr, sizeof(addr), &why);

		if (user == -2)
			return;
		if (user == AUTH_NOBODY && refused_say(m, REF_KEY))
			log_alert("Interconnect: refused a connection from %s: %s (%llu refused so far)",
				 addr[0] ? addr : "an unknown address", why,
				 (unsigned long long)m->m_refused_logged);
	}
}

/* a bound socket's failed handshakes, from its monitor */
static void serve_handshakes(struct member *m, void *pair)
{
	for (int budget = 64; budget > 0; budget--) {
		zmq_msg_t part;
		uint16_t event = 0;
		uint32_t value = 0;
		int more;
		char ep[128] = "";

		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, pair, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&part);
			return;
		}
		if (zmq_msg_size(&part) >= 6) {
			memcpy(&event, zmq_msg_data(&part), 2);
			memcpy(&value, (uint8_t *)zmq_msg_data(&part) + 2, 4);
		}
		more = zmq_msg_more(&part);
		zmq_msg_close(&part);
		while (more) {
			zmq_msg_init(&part);
			if (zmq_msg_recv(&part, pair, 0) < 0) {
				zmq_msg_close(&part);
				break;
			}
			if (zmq_msg_size(&part) < sizeof(ep)) {
				memcpy(ep, zmq_msg_data(&part), zmq_msg_size(&part));
				ep[zmq_msg_size(&part)] = 0;
			}
			more = zmq_msg_more(&part);
			zmq_msg_close(&part);
		}
		if (!(event & (ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
			       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
			       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)))
			continue;
		member_count(m, CNT_AUTH_REFUSED);
		if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
			continue;	/* the ZAP handler said who and why */
		if (!refused_say(m, value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH ? REF_PLAIN :
				 REF_HANDSHAKE))
			continue;
		if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
			log_alert("Interconnect: refused a connection to %s: the peer does not speak CURVE "
				 "(a stranger, or interconnect_auth = no on its host) (%llu refused "
				 "so far)", ep, (unsigned long long)m->m_refused_logged);
		else if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
			log_alert("Interconnect: refused a connection to %s: its CURVE handshake does not "
				 "decrypt (it holds another public key for this instance) (%llu "
				 "refused so far)", ep, (unsigned long long)m->m_refused_logged);
		else
			log_alert("Interconnect: refused a connection to %s: handshake failed (event 0x%x, "
				 "%s) (%llu refused so far)", ep, event,
				 event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ? strerror((int)value) :
				 "protocol error", (unsigned long long)m->m_refused_logged);
	}
}

static void add_handshake_monitor(struct member *m, void *sock)
{
	char ep[64];
	void *pair;

	if (m->m_nxitems >= MEMBER_MAX_XITEMS)
		return;
	snprintf(ep, sizeof(ep), "inproc://member-handshakes-%d", m->m_nxitems);
	if (zmq_socket_monitor(sock, ep, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
			       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
			       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))
		return;	/* counting refusals is worth having, not worth failing for */
	pair = member_socket(m, ZMQ_PAIR);
	if (!pair || zmq_connect(pair, ep)) {
		if (pair)
			zmq_close(pair);
		return;
	}
	m->m_xitems[m->m_nxitems++] = (zmq_pollitem_t){ .socket = pair, .events = ZMQ_POLLIN };
}

/*
 * SIGHUP: read the key files again (racctl keys reload).  The accepted
 * keys take effect at once; a peer whose current key changed gets new
 * sockets (mo_rekey).  Our own pair stays the one we started with: our
 * bound sockets cannot change theirs without dropping every connection;
 * a promoted key of our own is used from the next start.
 */
static void reload_keys(struct member *m)
{
	struct auth_keys *k;
	char err[512];
	int changed = 0;

	if (!m->m_keys.ak_on)
		return;
	k = malloc(sizeof(*k));
	if (!k)
		return;
	if (auth_load_keys(m->m_cfg, m->m_inst, k, err, sizeof(err))) {
		log_alert("Interconnect keys not reloaded, the old ones stay in force: %s", err);
		free(k);
		return;
	}
	for (int u = 0; u <= RAC_MAX_INST; u++) {
		bool moved = k->ak_n[u] && m->m_keys.ak_n[u] &&
			     strcmp(k->ak_pub[u][0], m->m_keys.ak_pub[u][0]);

		memcpy(m->m_keys.ak_pub[u], k->ak_pub[u], sizeof(k->ak_pub[u]));
		memcpy(m->m_keys.ak_bin[u], k->ak_bin[u], sizeof(k->ak_bin[u]));
		m->m_keys.ak_n[u] = k->ak_n[u];
		if (moved && u != AUTH_ADMIN && u != m->m_inst) {
			changed++;
			if (m->m_ops->mo_rekey)
				m->m_ops->mo_rekey(m, u);
		}
	}
	if (strcmp(k->ak_public, m->m_keys.ak_public))
		log_alert("Interconnect: this instance's key pair changed on disk; the one it "
			  "started with stays in use until its next start");
	memset(k, 0, sizeof(*k));
	free(k);
	log_alert("Interconnect keys reloaded from %s (%d peer%s with a new current key)",
		  m->m_keys.ak_dir, changed, changed == 1 ? "" : "s");
}

/* one of the member's own poll items is ready */
static void serve_xitem(struct member *m, int x)
{
	if (x == 0)
		serve_zap(m, m->m_xitems[x].socket);
	else
		serve_handshakes(m, m->m_xitems[x].socket);
}

void member_serve_aux(struct member *m)
{
	zmq_pollitem_t items[MEMBER_MAX_XITEMS];

	if (!m->m_nxitems)
		return;
	memcpy(items, m->m_xitems, sizeof(items[0]) * (size_t)m->m_nxitems);
	if (zmq_poll(items, m->m_nxitems, 0) <= 0)
		return;
	for (int x = 0; x < m->m_nxitems; x++)
		if (items[x].revents & ZMQ_POLLIN)
			serve_xitem(m, x);
}

/* the bounds every interconnect socket gets before it binds or connects */
static int set_bounds(void *sock)
{
	int64_t maxmsg = RAC_MSG_MAX;
	int handshake_ms = MEMBER_HANDSHAKE_MS;

	return zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) ||
	       zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &handshake_ms, sizeof(handshake_ms));
}

static int bind_router(struct member *m, const char *ep, const char *what, int sndhwm,
		       bool tcp, char *err, size_t errlen);

int member_bind_router(struct member *m, const char *ep, const char *what, char *err,
		       size_t errlen)
{
	return member_bind_router_hwm(m, ep, what, SOCKET_HWM, err, errlen);
}

int member_bind_router_hwm(struct member *m, const char *ep, const char *what, int sndhwm,
			   char *err, size_t errlen)
{
	return bind_router(m, ep, what, sndhwm, true, err, errlen);
}

int member_bind_local(struct member *m, const char *ep, const char *what, int sndhwm,
		      char *err, size_t errlen)
{
	return bind_router(m, ep, what, sndhwm, false, err, errlen);
}

static int bind_router(struct member *m, const char *ep, const char *what, int sndhwm,
		       bool tcp, char *err, size_t errlen)
{
	void *sock;

	if (m->m_nitems >= MEMBER_MAX_ITEMS) {
		snprintf(err, errlen, "too many sockets");
		return -1;
	}
	if (auth_init(m, err, errlen))
		return -1;
	sock = member_socket(m, ZMQ_ROUTER);
	/* every bound applies only if set before the bind */
	if (sock && (set_bounds(sock) ||
		     zmq_setsockopt(sock, ZMQ_SNDHWM, &sndhwm, sizeof(sndhwm)) ||
		     (tcp && auth_server(sock, &m->m_keys)))) {
		snprintf(err, errlen, "cannot set the options of %s: %s", what,
			 zmq_strerror(errno));
		zmq_close(sock);
		return -1;
	}
	if (!sock || zmq_bind(sock, ep)) {
		snprintf(err, errlen, "cannot bind %s %s: %s", what, ep, zmq_strerror(errno));
		if (sock)
			zmq_close(sock);
		return -1;
	}
	if (tcp && m->m_keys.ak_on)
		add_handshake_monitor(m, sock);
	m->m_items[m->m_nitems++] = (zmq_pollitem_t){ .socket = sock, .events = ZMQ_POLLIN };
	log_info(COMP, "%s %s bound", what, ep);
	return 0;
}

int member_connect_peer(struct member *m, void *sock, int peer, const char *ep, char *err,
			size_t errlen)
{
	if (auth_init(m, err, errlen))
		return -1;
	if (set_bounds(sock) || auth_client(sock, &m->m_keys, peer)) {
		snprintf(err, errlen, "cannot set the options (bounds, CURVE keys) of the socket to instance %d: %s", peer,
			 zmq_strerror(errno));
		return -1;
	}
	if (zmq_connect(sock, ep)) {
		snprintf(err, errlen, "cannot connect to instance %d at %s: %s", peer, ep,
			 zmq_strerror(errno));
		return -1;
	}
	return 0;
}

void *member_dealer(struct member *m, int peer, const char *ep, int sndhwm, bool immediate,
		    char *err, size_t errlen)
{
	int one = 1;
	void *s = member_socket(m, ZMQ_DEALER);

	if (!s) {
		snprintf(err, errlen, "cannot create a socket for instance %d: %s", peer,
			 zmq_strerror(errno));
		return NULL;
	}
	zmq_setsockopt(s, ZMQ_SNDHWM, &sndhwm, sizeof(sndhwm));
	if (immediate)
		zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof(one));
	if (member_connect_peer(m, s, peer, ep, err, errlen)) {
		zmq_close(s);
		return NULL;
	}
	return s;
}

bool member_sender_ok(struct member *m, int user, int sender, const char *what)
{
	char ub[32];

	if (!m->m_keys.ak_on || user == sender)
		return true;
	member_count(m, CNT_AUTH_SENDER);
	if (refused_say(m, REF_SENDER))
		log_alert("Interconnect: dropped %s from %s claiming to be %s (%llu refused so far)", what,
			 auth_user_str(user, ub, sizeof(ub)),
			 sender == AUTH_ADMIN ? "an administrator" : "another instance",
			 (unsigned long long)m->m_refused_logged);
	return false;
}

static struct member *counted_member;

static void count_buffered(const char *path)
{
	(void)path;
	if (counted_member)
		member_count(counted_member, CNT_DISK_BUFFERED_OPENS);
}

static void usage_exit(const char *prog)
{
	fprintf(stderr, "%s: this is an instance member; it is started by 'racctl start', "
		"not by hand\n", prog);
	exit(2);
}

static void fail_start(struct member *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Tell the guardian why this member could not start, then exit. */
static void fail_start(struct member *m, const char *fmt, ...)
{
	char why[sizeof(m->m_slot->nm_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_error(COMP, "%s could not start: %s", m->m_proc->pr_name, why);
	if (m->m_slot) {
		memcpy(m->m_slot->nm_error, why, sizeof(why));
		sga_store(&m->m_slot->nm_state, (uint32_t)NM_FAILED);
	}
	exit(1);
}

void member_heartbeat(struct member *m)
{
	sga_store(&m->m_slot->nm_hb_mono_ns, rac_now_mono_ns());
	__atomic_add_fetch(&m->m_slot->nm_hb_count, 1, __ATOMIC_RELAXED);
	member_count(m, CNT_NM_HEARTBEATS);
}

/*
 * LMON registers first and obtains the member id (the internal member
 * number, instance number - 1); slaves wait for it and register under
 * the same id.
 */
static void nm_register(struct member *m)
{
	struct sga_header *h = sga_hdr(&m->m_sga);
	int member_id;

	if (m->m_role == RAC_ROLE_LMON) {
		member_id = m->m_inst - 1;
		sga_store(&h->sh_member_id, member_id);
		m->m_slot->nm_primary = 1;
	} else {
		uint64_t deadline = rac_now_mono_ns() +
			(uint64_t)m->m_cfg->cf_start_timeout_ms * 1000000ull;

		while ((member_id = sga_load(&h->sh_member_id)) < 0) {
			if (rac_now_mono_ns() > deadline)
				fail_start(m, "the primary member (LMON) never registered");
			rac_sleep_ms(5);
		}
	}
	m->m_slot->nm_member_id = member_id;
	m->m_slot->nm_registered_us = rac_now_us();
	member_heartbeat(m);
	sga_store(&m->m_slot->nm_state, (uint32_t)NM_REGISTERED);
	if (m->m_role == RAC_ROLE_LMON)
		log_alert("%s registered with NM - instance number %d (internal mem no %d)",
			  m->m_proc->pr_tag, m->m_inst, member_id);
	log_change_state(COMP, "STARTING", "REGISTERED",
			 m->m_role == RAC_ROLE_LMON ? "primary member" : "slave member");
}

int member_main(int argc, char **argv, enum rac_role role, const struct member_ops *ops)
{
	static const struct option opts[] = {
		{ "sga", required_argument, NULL, 's' },
		{ "inst", required_argument, NULL, 'i' },
		{ "guardian", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct member mb = { .m_role = role, .m_sigfd = -1, .m_ops = ops };
	struct member *m = &mb;
	const char *sga_name = NULL;
	char title[64], err[sizeof(m->m_slot->nm_error)] = "";
	sigset_t mask;
	uint64_t next_hb = 0, next_tick = 0;
	int c, rc;

	m->m_proc = proc_by_role(role);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': sga_name = optarg; break;
		case 'i': m->m_inst = atoi(optarg); break;
		case 'g': m->m_guardian = (pid_t)atoi(optarg); break;
		default: usage_exit(argv[0]);
		}
	}
	if (!sga_name || m->m_inst < 1 || m->m_guardian <= 0)
		usage_exit(argv[0]);

	/* die with the guardian; if it is already gone, do not start at all */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != m->m_guardian)
		return 1;

	rc = sga_attach(sga_name, 1, &m->m_sga);
	if (rc == 0)
		rc = sga_validate(&m->m_sga);
	if (rc) {
		fprintf(stderr, "%s: cannot attach SGA %s: %s\n", argv[0], sga_name,
			rac_strerror(rc));
		return 1;
	}
	m->m_cfg = sga_config(&m->m_sga);
	rac_clock_offset_from(&sga_hdr(&m->m_sga)->sh_clock_offset_us);
	m->m_ic = config_inst(m->m_cfg, m->m_inst);
	m->m_slot = sga_nm(&m->m_sga, role);
	if (!m->m_ic)
		fail_start(m, "instance %d is not in the configuration in force", m->m_inst);
	proc_title(role, m->m_ic->ic_name, title, sizeof(title));
	prctl(PR_SET_NAME, title);
	if (log_open(m->m_ic->ic_local_dir, m->m_ic->ic_name, m->m_proc->pr_tag))
		fail_start(m, "cannot open the trace file under %s: %s", m->m_ic->ic_local_dir,
			   strerror(errno));
	log_info(COMP, "%s starting (pid %d, guardian %d, SGA %s)", title, (int)getpid(),
		 (int)m->m_guardian, sga_name);
	timeouts_derive(m->m_cfg, &m->m_to);
	timeouts_log(m->m_cfg, COMP);
	/* a shared-disk file opened without direct I/O is counted (disk_io.c warns) */
	counted_member = m;
	disk_io_on_buffered(count_buffered);

	/* signals arrive as readable events on a descriptor, handled in the loop */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	m->m_sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->m_sigfd < 0)
		fail_start(m, "signalfd: %s", strerror(errno));

	/*
	 * Every descriptor the host allows us: a stranger's half-open
	 * connections (closed after MEMBER_HANDSHAKE_MS) then need far more
	 * than a burst to crowd out local clients and peers.
	 */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}

	/* a ZeroMQ context only now, after exec: never carried across fork */
	m->m_zctx = zmq_ctx_new();
	if (!m->m_zctx)
		fail_start(m, "zmq_ctx_new: %s", zmq_strerror(errno));

	/* the keys before anything else: a bad key file fails the start before any thread runs */
	if ((role == RAC_ROLE_LMON || role == RAC_ROLE_LMS) && auth_init(m, err, sizeof(err)))
		fail_start(m, "%s", err);
	if (ops->mo_init && ops->mo_init(m, err, sizeof(err)))
		fail_start(m, "%s", err[0] ? err : "initialisation failed");
	nm_register(m);

	while (!m->m_stop) {
		zmq_pollitem_t items[MEMBER_MAX_ITEMS + 1 + MEMBER_MAX_XITEMS];
		uint64_t now = rac_now_mono_ns(), wake;
		int period = ops->mo_period_ms ? ops->mo_period_ms(m) : 0;
		long timeout;
		int n = m->m_nitems;

		if (now >= next_hb) {
			member_heartbeat(m);
			next_hb = now + (uint64_t)m->m_cfg->cf_member_heartbeat_ms * 1000000ull;
			/* second line behind PR_SET_PDEATHSIG */
			if (getppid() != m->m_guardian) {
				log_error(COMP, "guardian %d is gone; exiting", (int)m->m_guardian);
				break;
			}
		}
		if (period > 0 && now >= next_tick) {
			next_tick = now + (uint64_t)period * 1000000ull;
			if (ops->mo_tick && ops->mo_tick(m))
				break;
		}
		wake = next_hb;
		if (period > 0 && next_tick < wake)
			wake = next_tick;
		now = rac_now_mono_ns();
		timeout = wake > now ? (long)((wake - now + 999999) / 1000000) : 0;

		memcpy(items, m->m_items, sizeof(zmq_pollitem_t) * (size_t)n);
		memcpy(items + n + 1, m->m_xitems, sizeof(zmq_pollitem_t) * (size_t)m->m_nxitems);
		items[n] = (zmq_pollitem_t){ .socket = NULL, .fd = m->m_sigfd, .events = ZMQ_POLLIN };
		rc = zmq_poll(items, n + 1 + m->m_nxitems, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			log_error(COMP, "zmq_poll: %s", zmq_strerror(errno));
			break;
		}
		if (items[n].revents & ZMQ_POLLIN) {
			struct signalfd_siginfo si;

			while (read(m->m_sigfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					log_info(COMP, "SIGHUP from pid %d: reloading the keys",
						 (int)si.ssi_pid);
					reload_keys(m);
					continue;
				}
				log_info(COMP, "signal %d from pid %d: stopping", (int)si.ssi_signo,
					 (int)si.ssi_pid);
				m->m_stop = 1;
			}
		}
		/* the ZAP handler first: a handshake waits on it */
		for (int x = 0; x < m->m_nxitems; x++)
			if (items[n + 1 + x].revents & ZMQ_POLLIN)
				serve_xitem(m, x);
		for (int i = 0; i < n && !m->m_stop; i++)
			if ((items[i].revents & ZMQ_POLLIN) && ops->mo_ready)
				ops->mo_ready(m, i);
	}

	sga_store(&m->m_slot->nm_state, (uint32_t)NM_STOPPING);
	log_change_state(COMP, "REGISTERED", "STOPPING", "shutdown");
	if (ops->mo_fini)
		ops->mo_fini(m);
	for (int i = 0; i < m->m_nitems; i++)
		if (m->m_items[i].socket)
			zmq_close(m->m_items[i].socket);
	for (int x = 0; x < m->m_nxitems; x++)
		zmq_close(m->m_xitems[x].socket);
	memset(&m->m_keys, 0, sizeof(m->m_keys));	/* no secret left in a core */
	zmq_ctx_term(m->m_zctx);
	close(m->m_sigfd);
	log_info(COMP, "%s exiting", title);
	log_close();
	sga_detach(&m->m_sga);
	return 0;
}
