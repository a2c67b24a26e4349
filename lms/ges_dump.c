/*
 * ges_dump.c - the v$ges_* views: our table (and the SGA lock cache's
 * resources and locks, as the GRD's look), as rows, to racsql.
 */
#include <string.h>

#include "lms.h"

#define DUMP_MAX 60000		/* payload bytes, head included */

/* the rows go through lib/msg.c's codec; a row that does not fit ends the dump */
struct dump {
	struct msg_ges_dump d_g;
	int d_full;
};

static int dump_res(const struct grd_res_info *ri, void *arg)
{
	struct dump *d = arg;
	struct msg_ges_res r = {
		.gr_namelen = (uint8_t)ri->ri_namelen,
		.gr_granted = (uint32_t)ri->ri_ngranted,
		.gr_converting = (uint32_t)ri->ri_nconverting,
		.gr_waiting = (uint32_t)ri->ri_nwaiting,
		.gr_dubious = ri->ri_dubious,
	};

	memcpy(r.gr_name, ri->ri_name, ri->ri_namelen);
	memcpy(r.gr_lvb, ri->ri_lvb, GRD_LVB_LEN);
	if (msg_ges_dump_add_res(&d->d_g, &r)) {
		d->d_full = 1;
		return 1;
	}
	return 0;
}

static int dump_lock(const struct grd_lock_info *li, void *arg)
{
	struct dump *d = arg;
	struct msg_ges_lock l = {
		.gl_namelen = (uint8_t)li->li_namelen,
		.gl_lkid = li->li_lkid,
		.gl_owner_inst = li->li_owner.ow_inst,
		.gl_owner_client = li->li_owner.ow_client,
		.gl_owner_pid = (uint32_t)pid_of(li->li_owner),
		.gl_grmode = (int8_t)li->li_grmode,
		.gl_rqmode = (int8_t)li->li_rqmode,
		.gl_state = (uint8_t)li->li_state,
		.gl_blocked = li->li_blocked,
		.gl_blocker_inst = li->li_blocker.ow_inst,
	};

	memcpy(l.gl_name, li->li_name, li->li_namelen);
	if (msg_ges_dump_add_lock(&d->d_g, &l)) {
		d->d_full = 1;
		return 1;
	}
	return 0;
}

/* the resources (or the locks) of the SGA lock cache, as the GRD's look */
static void dump_fast(struct dump *d, bool locks)
{
	static struct fl_slot sl;

	for (int i = 0; lms.fast.fc_fl && i < FL_SLOTS && !d->d_full; i++) {
		struct grd_res_info ri = { 0 };

		if (!fl_snapshot(lms.fast.fc_fl, i, &sl))
			continue;
		ri.ri_name = (const char *)sl.fs_name;
		ri.ri_namelen = sl.fs_namelen;
		ri.ri_lvb = sl.fs_lvb;
		ri.ri_dubious = sl.fs_dubious;
		for (int k = 0; k < FL_ENTRIES; k++) {
			uint32_t st = FE_STATE(sl.fs_e[k].fe_word);

			ri.ri_ngranted += st == FE_GRANTED;
			ri.ri_nwaiting += st == FE_WAITING;
		}
		if (!locks) {
			if (ri.ri_ngranted + ri.ri_nwaiting || ri.ri_dubious)
				dump_res(&ri, d);
			continue;
		}
		/* grant queue, then the wait queue, each in order of arrival */
		for (int pass = FE_GRANTED; pass >= FE_WAITING; pass--) {
			const struct fl_entry *q[FL_ENTRIES];
			int n = 0;

			for (int k = 0; k < FL_ENTRIES; k++) {
				const struct fl_entry *x = &sl.fs_e[k];
				int j = n;

				if (FE_STATE(x->fe_word) != (uint32_t)pass)
					continue;
				n++;
				for (; j > 0 && q[j - 1]->fe_ticket > x->fe_ticket; j--)
					q[j] = q[j - 1];
				q[j] = x;
			}
			for (int j = 0; j < n && !d->d_full; j++) {
				const struct fl_entry *e = q[j];
				bool waits = pass == FE_WAITING;
				struct grd_lock_info li = {
					.li_name = ri.ri_name, .li_namelen = ri.ri_namelen,
					.li_lkid = e->fe_lkid,
					.li_owner = { .ow_client = e->fe_session,
						      .ow_inst = (uint8_t)lms.s_m->m_inst },
					.li_grmode = waits ? GRD_IV : e->fe_mode,
					.li_rqmode = e->fe_mode,
					.li_state = waits ? GRD_LK_WAITING : GRD_LK_GRANTED,
					.li_blocked = waits,
					.li_blocker = { .ow_inst = waits ? (uint8_t)lms.s_m->m_inst : 0 } };

				pid_note(li.li_owner, (pid_t)e->fe_pid);
				dump_lock(&li, d);
			}
		}
	}
}

void send_dump(void *sock, const uint8_t *ident, size_t ident_len)
{
	static uint8_t body[DUMP_MAX], buf[RAC_MSG_HDR + DUMP_MAX];
	struct dump d = { .d_full = 0 };
	struct msg_hdr h = { .mh_sender = (uint32_t)lms.s_m->m_inst,
			     .mh_cluster = lms.s_cluster_id, .mh_seq = ++lms.s_seq };
	int n;

	msg_ges_dump_begin(&d.d_g, body, DUMP_MAX);
	grd_foreach_resource(lms.s_grd, dump_res, &d);
	dump_fast(&d, false);
	if (!d.d_full)
		grd_foreach_lock(lms.s_grd, dump_lock, &d);
	dump_fast(&d, true);
	n = msg_encode_raw(buf, sizeof(buf), &h, MSG_GES_DUMP, body, msg_ges_dump_finish(&d.d_g));
	if (n < 0)
		return;
	if (send_to(sock, ident, ident_len, buf, (size_t)n))
		sga_count(&lms.s_m->m_sga, CNT_GES_SEND_DROPPED, 1);
}
