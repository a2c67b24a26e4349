/*
 * fastcache.c - the SGA lock cache (shm/fastlock.h), from LMS's side:
 * offer a resource to it, take one back into the GRD, sweep and reap.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "lms.h"
#include "log.h"

/*
 * LMS hands a resource to the SGA (shm/fastlock.h) when one of our clients
 * asks for it, we master it, the GRD has nothing of it and nothing is
 * frozen; and takes it back into the GRD whenever anything else wants it.
 */
static bool fast_on(void)
{
	return lms.fast.fc_fl && __atomic_load_n(&lms.fast.fc_fl->fa_enabled, __ATOMIC_RELAXED);
}

/* take slot idx back: its resource and queues go into the GRD as they are */
static void fast_take_back(int idx)
{
	struct fl_xres x;
	struct grd_xres xr;
	struct grd_xlock xl[FL_ENTRIES];
	struct grd_export ex = { .x_res = &xr, .x_nres = 1, .x_locks = xl };
	int rc;

	if (!fl_revoke(lms.fast.fc_fl, idx, &x))
		return;
	sga_count(&lms.s_m->m_sga, CNT_GES_FAST_REVOKED, 1);
	if (x.xr_bad) {
		sga_count(&lms.s_m->m_sga, CNT_GES_BAD, (uint64_t)x.xr_bad);
		log_warn(COMP, "SGA lock cache: %d entr%s of resource %.*s held a mode no client "
			 "can ask for (scribbled memory); dropped", x.xr_bad,
			 x.xr_bad == 1 ? "y" : "ies", (int)x.xr_namelen, (const char *)x.xr_name);
	}
	if (!x.xr_nlocks && !x.xr_dubious)
		return;	/* nothing there: no resource */
	memset(&xr, 0, sizeof(xr));
	xr.xr_nlocks = (uint32_t)x.xr_nlocks;
	xr.xr_namelen = x.xr_namelen;
	xr.xr_dubious = x.xr_dubious;
	memcpy(xr.xr_name, x.xr_name, sizeof(xr.xr_name));
	memcpy(xr.xr_lvb, x.xr_lvb, sizeof(xr.xr_lvb));
	for (int k = 0; k < x.xr_nlocks; k++) {
		const struct fl_xlock *f = &x.xr_locks[k];
		struct grd_owner o = { .ow_client = f->xl_session,
				       .ow_inst = (uint8_t)lms.s_m->m_inst };

		xl[k] = (struct grd_xlock){
			.xl_lkid = f->xl_lkid, .xl_owner = o,
			.xl_deadline = f->xl_granted ? 0 : f->xl_deadline_ns,
			.xl_grmode = f->xl_granted ? f->xl_mode : GRD_IV, .xl_rqmode = f->xl_mode,
			.xl_state = f->xl_granted ? GRD_LK_GRANTED : GRD_LK_WAITING,
			.xl_bast = GRD_IV };
		pid_note(o, (pid_t)f->xl_pid);
	}
	ex.x_nlocks = (size_t)x.xr_nlocks;
	rc = grd_import(lms.s_grd, &ex);
	if (rc)	/* cannot happen: a delegated resource is nowhere else */
		log_error(COMP, "cannot take resource %.*s back from the SGA lock cache: %s "
			  "(%d locks lost)", (int)x.xr_namelen, (const char *)x.xr_name,
			  grd_strerror(rc), x.xr_nlocks);
}

void fast_take_back_all(void)
{
	if (!lms.fast.fc_fl)
		return;
	for (int i = 0; i < FL_SLOTS; i++)
		if (__atomic_load_n(&lms.fast.fc_fl->fa_slot[i].fs_state, __ATOMIC_RELAXED) == FS_ACTIVE)
			fast_take_back(i);
}

/* before the GRD serves a request about this name: take it out of the cache */
void fast_release_name(const struct msg_lk *lk)
{
	int idx;

	if (lms.fast.fc_fl && lk->lk_op == LK_OP_LOCK &&
	    (idx = fl_find(lms.fast.fc_fl, lk->lk_name, lk->lk_namelen)) >= 0)
		fast_take_back(idx);
}

/* ... or about this lock id (a conversion, say, of a lock taken in the cache) */
void fast_release_lkid(uint64_t lkid)
{
	int idx;

	if (lms.fast.fc_fl && (lkid & FL_ID_BIT) && (idx = fl_find_lkid(lms.fast.fc_fl, lkid)) >= 0)
		fast_take_back(idx);
}

/*
 * A client that can use the cache asks for a resource we master: hand it
 * over (or it is there already) and say so.  False: the GRD serves it.
 */
bool fast_offer(const struct msg_lk *lk)
{
	struct msg_lk out;

	if (!(lk->lk_flags & LK_FASTOK) || lk->lk_op != LK_OP_LOCK || !fast_on())
		return false;
	if (fl_find(lms.fast.fc_fl, lk->lk_name, lk->lk_namelen) < 0) {
		if (grd_has_resource(lms.s_grd, lk->lk_name, lk->lk_namelen) ||
		    fl_delegate(lms.fast.fc_fl, lk->lk_name, lk->lk_namelen, rac_now_mono_ns()) < 0)
			return false;
		sga_count(&lms.s_m->m_sga, CNT_GES_FAST_DELEGATED, 1);
	}
	out = *lk;
	out.lk_status = LK_ST_FAST;
	to_client(lk->lk_owner_client, MSG_LK_REPLY, &out);
	return true;
}

static bool pid_dead(int32_t pid, void *arg)
{
	(void)arg;
	return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

/* clients that died with locks in the cache */
void fast_reap(void)
{
	struct fl_drop d;

	if (!lms.fast.fc_fl)
		return;
	fl_drop_dead(lms.fast.fc_fl, pid_dead, NULL, &d);
	if (d.fd_held + d.fd_waiting) {
		sga_count(&lms.s_m->m_sga, CNT_GES_CLIENT_LOCKS_FREED, d.fd_held + d.fd_waiting);
		log_info(COMP, "SGA lock cache: %zu locks and %zu waits of dead clients released "
			 "(%zu value blocks marked dubious)", d.fd_held, d.fd_waiting, d.fd_dubious);
	}
}

/* waits out of patience and dubious idle resources go to the GRD; idle ones go */
void fast_sweep(uint64_t now)
{
	int from = 0, idx;

	fl_stamp(lms.fast.fc_fl, now);
	if (now < lms.fast.fc_next_sweep_ns)
		return;
	lms.fast.fc_next_sweep_ns = now + 100000000ull;
	while ((idx = fl_sweep(lms.fast.fc_fl, now, from)) >= 0) {
		fast_take_back(idx);
		from = idx + 1;
	}
	drain_events();
}
