/*
 * lms.c - LMS0: the Global Resource Directory service (lms.h says how it
 * works and which file holds what).  This file is the process: member_ops,
 * init and fini, and the tick that runs every chore in order.
 */
#include <errno.h>
#include <grp.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lms.h"
#include "log.h"
#include "zmtp_srv.h"

#define PEER_HWM 100000
#define CLIENT_HWM 1000000
/* bytes waiting to one client, at most: CLIENT_HWM messages of a reply or two */
#define CLIENT_TX_MAX ((size_t)CLIENT_HWM * 128)

struct lms lms = { .req.rq_frozen_tail = &lms.req.rq_frozen };

/* LMON's voting-disk lease went old, or was renewed: said in the alert log */
static void lease_watch(struct member *m, uint64_t now)
{
	if (lease_stale(now) != lms.s_lease_stale) {
		const struct sga_cluster *c = sga_cluster(&m->m_sga);

		lms.s_lease_stale = !lms.s_lease_stale;
		if (lms.s_lease_stale)
			log_alert("LMS 0: LMON's voting-disk lease not renewed for %llu ms "
				  "(disktimeout_ms = %llu): no lock is granted until it is",
				  (unsigned long long)((now - sga_load(&c->cl_lease_ns)) / 1000000),
				  (unsigned long long)(c->cl_lease_len_ns / 1000000));
		else
			log_alert("LMS 0: LMON's voting-disk lease renewed: granting again");
	}
}

static int lms_tick(struct member *m)
{
	uint64_t now = rac_now_mono_ns();

	lms_rcfg_tick(now);	/* the DONE held back, thaw, freeze */
	lease_watch(m, now);
	if (lms.req.rq_nfrozen && !frozen_now())
		replay_frozen();
	recovery_check();
	/* expiries and deadlock victims let others in: not while the lease is old */
	if (!lms.s_lease_stale && grd_next_deadline(lms.s_grd) &&
	    grd_next_deadline(lms.s_grd) <= now) {
		grd_expire(lms.s_grd, now);
		drain_events();
	}
	if (!lms.s_lease_stale)
		dl_tick(now);
	if (lms.fast.fc_fl && !frozen_now())
		fast_sweep(now);
	if (now >= lms.s_next_reap_ns) {
		reap_sessions();
		zsrv_expire_handshakes(lms.s_zs, MEMBER_HANDSHAKE_MS);
		lms.s_next_reap_ns = now + 200000000ull;
	}
	park_due(now);
	out_flush_all();
	return 0;
}

static int lms_period(const struct member *m)
{
	(void)m;
	return LMS_TICK_MS;
}

/*
 * client_group: its members may use the lock manager too.  The socket
 * becomes the group's (0660), the instance's local directory lets the
 * group through (0710: no listing); LMS checks every client's groups
 * (dispatch.c).  The SGA stays the cluster user's: such clients go
 * through LMS, never through the SGA lock cache.
 */
static int open_to_group(struct member *m, char *err, size_t errlen)
{
	const char *name = m->m_cfg->cf_client_group;
	struct group *gr;

	lms.s_client_gid = (gid_t)-1;
	lms.s_euid = geteuid();
	if (!name[0])
		return 0;
	gr = getgrnam(name);
	if (!gr) {
		snprintf(err, errlen, "client_group = %s: no such group on this host", name);
		return -1;
	}
	lms.s_client_gid = gr->gr_gid;
	if (chown(lms.s_sock_path, (uid_t)-1, gr->gr_gid) || chmod(lms.s_sock_path, 0660) ||
	    chown(m->m_ic->ic_local_dir, (uid_t)-1, gr->gr_gid) ||
	    chmod(m->m_ic->ic_local_dir, 0710)) {
		snprintf(err, errlen, "client_group = %s: cannot open %s to it: %s", name,
			 lms.s_sock_path, strerror(errno));
		return -1;
	}
	log_info(COMP, "client_group %s (gid %u) may use the lock manager", name,
		 (unsigned)gr->gr_gid);
	return 0;
}

/* a local connection refused at accept: said, rate-limited, with the real reason */
static void client_refused(void *arg, const char *why)
{
	static uint64_t n;

	(void)arg;
	sga_count(&lms.s_m->m_sga, CNT_CLIENT_CONN_REFUSED, 1);
	if (n++ < 10 || n % 100 == 0)
		log_alert("LMS 0: refused a local client connection: %s (%llu refused so far)",
			  why, (unsigned long long)n);
}

/* a local connection spoke no ZMTP (or not as a DEALER): closed */
static void client_bad(void *arg, const char *why)
{
	(void)arg;
	sga_count(&lms.s_m->m_sga, CNT_MSG_BAD, 1);
	log_warn(COMP, "closed a client connection: %s", why);
}

/* the SGA lock cache, with its lease (lib/timeouts.h) */
static void init_fast(struct member *m, uint64_t id_base)
{
	const struct rac_config *cf = m->m_cfg;

	lms.fast.fc_fl = sga_fast(&m->m_sga);
	if (fl_init(lms.fast.fc_fl, id_base, timeouts_fast_lease_ns(cf), cf->cf_lock_fast_path != 0)) {
		log_warn(COMP, "SGA lock cache unavailable: every lock goes through LMS");
		lms.fast.fc_fl = NULL;
	}
	if (lms.fast.fc_fl) {
		lms.fast.fc_lease_ns = lms.fast.fc_fl->fa_lease_len_ns;
		fl_stamp(lms.fast.fc_fl, rac_now_mono_ns());
	}
}

/* our clients' socket, ipc://<local_dir>/lms.sock */
static int init_clients(struct member *m, char *err, size_t errlen)
{
	char ep[RAC_PATH_MAX + 32];

	if (proc_lms_client_ep(m->m_ic->ic_local_dir, ep, sizeof(ep), lms.s_sock_path,
			       sizeof(lms.s_sock_path))) {
		snprintf(err, errlen, "the client socket path under %s is too long for a Unix "
			 "socket; use a shorter local_dir", m->m_ic->ic_local_dir);
		return -1;
	}
	unlink(lms.s_sock_path);	/* left by a crashed LMS */
	{
		/*
		 * Local clients: a ROUTER of our own, served in this thread (no
		 * libzmq I/O thread between a client and us).  Answers and events
		 * must not be dropped: a client pipelines, and a burst of grants
		 * can follow one release.  A deep queue per client, and a send
		 * that still fails (client gone, or stuck) is seen.
		 */
		struct zsrv_opts zo = { .zo_frame_max = RAC_MSG_MAX, .zo_tx_max = CLIENT_TX_MAX,
					.zo_on_bad = client_bad,
					.zo_max_conns = MAX_SESSIONS,
					.zo_on_refused = client_refused };

		if (m->m_nitems >= MEMBER_MAX_ITEMS) {
			snprintf(err, errlen, "too many sockets");
			return -1;
		}
		if (zsrv_open(&lms.s_zs, lms.s_sock_path, &zo)) {
			snprintf(err, errlen, "cannot bind client endpoint %s: %s", ep,
				 strerror(errno));
			return -1;
		}
		lms.s_client_item = m->m_nitems;
		m->m_items[m->m_nitems++] = (zmq_pollitem_t){ .socket = NULL,
							      .fd = zsrv_fd(lms.s_zs),
							      .events = ZMQ_POLLIN };
		if (open_to_group(m, err, errlen))
			return -1;
		log_info(COMP, "client endpoint %s bound", ep);
	}
	return 0;
}

/* a DEALER to instance i's LMS, with the keys in force */
static int connect_peer(struct member *m, int i, char *err, size_t errlen)
{
	lms.s_peer[i] = member_dealer(m, i, config_inst(m->m_cfg, i)->ic_lms_ep, PEER_HWM, false,
				      err, errlen);
	return lms.s_peer[i] ? 0 : -1;
}

/* a DEALER to every other instance's LMS */
static int init_peers(struct member *m, char *err, size_t errlen)
{
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (config_inst(m->m_cfg, i) && i != m->m_inst && connect_peer(m, i, err, errlen))
			return -1;
	return 0;
}

/*
 * Instance i's current key changed (keys reloaded): a new DEALER with it.
 * What waited in the old one's queue goes with it, as it would had the
 * peer died; the GRD's own resends and reconfigurations cover both.
 */
static void lms_rekey(struct member *m, int i)
{
	char err[256];

	if (!lms.s_peer[i])
		return;
	zmq_close(lms.s_peer[i]);
	lms.s_peer[i] = NULL;
	if (connect_peer(m, i, err, sizeof(err)))
		log_alert("Interconnect: no socket to LMS of instance %d with its new key: %s", i,
			  err);
	else
		log_info(COMP, "interconnect socket to LMS of instance %d made again with its "
			 "new key", i);
}

static int lms_init(struct member *m, char *err, size_t errlen)
{
	uint64_t id_base;

	lms.s_m = m;
	lms.s_cluster_id = rac_msg_cluster_id(m->m_cfg->cf_name);
	/* lock ids: master instance in the top byte, a start stamp in the next */
	id_base = ((uint64_t)m->m_inst << 56) | ((rac_now_us() / 1000000 & 0xff) << 48);
	lms.s_grd = grd_new(1024, id_base);
	grd_set_limits(lms.s_grd, (size_t)m->m_cfg->cf_max_locks_per_client,
		       (size_t)m->m_cfg->cf_max_locks);
	lms.out.ou_q = calloc(OUTQ_N, sizeof(*lms.out.ou_q));
	init_fast(m, id_base);
	if (!lms.s_grd || !lms.out.ou_q) {
		snprintf(err, errlen, "cannot make the lock table: out of memory");
		return -1;
	}
	if (member_bind_router(m, m->m_ic->ic_lms_ep, "LMS endpoint", err, errlen))
		return -1;
	lms.s_peer_item = m->m_nitems - 1;
	if (init_clients(m, err, errlen))
		return -1;
	return init_peers(m, err, errlen);
}

static void lms_ready(struct member *m, int item)
{
	(void)m;
	lms_serve(item);
	if (lms.out.ou_npark)
		park_due(rac_now_mono_ns());
	out_flush_all();
}

static void lms_fini(struct member *m)
{
	(void)m;
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (lms.s_peer[i])
			zmq_close(lms.s_peer[i]);
	while (lms.req.rq_frozen) {
		struct frozen *f = lms.req.rq_frozen;

		lms.req.rq_frozen = f->fr_next;
		free(f);
	}
	while (lms.req.rq_inflight) {
		struct inflight *f = lms.req.rq_inflight;

		lms.req.rq_inflight = f->if_next;
		free(f);
	}
	grd_destroy(&lms.s_grd);
	free(lms.out.ou_q);
	rb_free(0, false);
	for (size_t i = 0; i < lms.sh.st_cap; i++)
		if (lms.sh.st_tab[i].sh_lkid)
			sh_name_free(&lms.sh.st_tab[i]);
	free(lms.sh.st_tab);
	free(lms.dl.dl_edges);
	zsrv_close(lms.s_zs);
	lms.s_zs = NULL;
	unlink(lms.s_sock_path);
}

static const struct member_ops lms_ops = {
	.mo_init = lms_init,
	.mo_period_ms = lms_period,
	.mo_tick = lms_tick,
	.mo_ready = lms_ready,
	.mo_fini = lms_fini,
	.mo_rekey = lms_rekey,
};

int main(int argc, char **argv)
{
	return member_main(argc, argv, RAC_ROLE_LMS, &lms_ops);
}
