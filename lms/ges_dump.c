/*
 * ges_dump.c - the v$ges_* views: our table (and the SGA lock cache's
 * resources and locks, as the GRD's look), as rows, to racsql, a page at a
 * time (lib/msg.h, MSG_GES_DUMP).
 *
 * A page is as many rows as fit one message, from the position the request
 * names.  Positions are ours: the GRD's walk position (grd_walk_*), or,
 * with POS_FAST set, the lock cache's slot and the entry within it that
 * comes next.  The cache's rows follow the GRD's.
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

#define POS_FAST	(1ull << 62)		/* the lock cache's part */
#define FAST_POS(slot, k)	(POS_FAST | (uint64_t)(slot) << 16 | (uint64_t)(k))

/*
 * The resources (or the locks) of the SGA lock cache, as the GRD's look,
 * from position *pos on; a row that does not fit leaves *pos at itself,
 * the end sets it to 0.
 */
static void dump_fast(struct dump *d, bool locks, uint64_t *pos)
{
	static struct fl_slot sl;
	int first = (int)((*pos >> 16) & 0xffff);
	int skip = (int)(*pos & 0xffff);

	for (int i = first; lms.fast.fc_fl && i < FL_SLOTS; i++) {
		struct grd_res_info ri = { 0 };
		int k = 0;

		if (i != first)
			skip = 0;
		if (!fl_snapshot(lms.fast.fc_fl, i, &sl))
			continue;
		ri.ri_name = (const char *)sl.fs_name;
		ri.ri_namelen = sl.fs_namelen;
		ri.ri_lvb = sl.fs_lvb;
		ri.ri_dubious = sl.fs_dubious;
		for (int e = 0; e < FL_ENTRIES; e++) {
			uint32_t st = FE_STATE(sl.fs_e[e].fe_word);

			ri.ri_ngranted += st == FE_GRANTED;
			ri.ri_nwaiting += st == FE_WAITING;
		}
		if (!locks) {
			if ((ri.ri_ngranted + ri.ri_nwaiting || ri.ri_dubious) && dump_res(&ri, d)) {
				*pos = FAST_POS(i, 0);
				return;
			}
			continue;
		}
		/* grant queue, then the wait queue, each in order of arrival */
		for (int pass = FE_GRANTED; pass >= FE_WAITING; pass--) {
			const struct fl_entry *q[FL_ENTRIES];
			int n = 0;

			for (int e = 0; e < FL_ENTRIES; e++) {
				const struct fl_entry *x = &sl.fs_e[e];
				int j = n;

				if (FE_STATE(x->fe_word) != (uint32_t)pass)
					continue;
				n++;
				for (; j > 0 && q[j - 1]->fe_ticket > x->fe_ticket; j--)
					q[j] = q[j - 1];
				q[j] = x;
			}
			for (int j = 0; j < n; j++, k++) {
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

				if (k < skip)
					continue;
				pid_note(li.li_owner, (pid_t)e->fe_pid);
				if (dump_lock(&li, d)) {
					*pos = FAST_POS(i, k);
					return;
				}
			}
		}
	}
	*pos = 0;
}

/* a page of rows from position pos: the GRD's first, then the lock cache's */
static uint64_t dump_page(struct dump *d, bool locks, uint64_t pos)
{
	if (!(pos & POS_FAST)) {
		uint64_t gpos = pos;

		if (locks)
			grd_walk_locks(lms.s_grd, &gpos, dump_lock, d);
		else
			grd_walk_resources(lms.s_grd, &gpos, dump_res, d);
		if (d->d_full)
			return gpos;
		pos = FAST_POS(0, 0);
	}
	dump_fast(d, locks, &pos);
	return pos;
}

void send_dump(void *sock, const uint8_t *ident, size_t ident_len, const uint8_t *req,
	       size_t reqlen)
{
	static uint8_t body[DUMP_MAX], buf[RAC_MSG_HDR + DUMP_MAX];
	struct dump d = { .d_full = 0 };
	struct msg_hdr h = { .mh_sender = (uint32_t)lms.s_m->m_inst,
			     .mh_cluster = lms.s_cluster_id, .mh_seq = ++lms.s_seq };
	struct msg_ges_req q;
	uint64_t next;
	int n;

	if (msg_ges_req_in(req, reqlen, &q)) {
		lms_bad("a client", RAC_EMSG_LEN);
		return;
	}
	msg_ges_dump_begin(&d.d_g, body, DUMP_MAX);
	next = dump_page(&d, q.gq_what == GES_WANT_LOCKS, q.gq_pos);
	n = msg_encode_raw(buf, sizeof(buf), &h, MSG_GES_DUMP, body,
			   msg_ges_dump_finish(&d.d_g, next));
	if (n < 0)
		return;
	if (send_to(sock, ident, ident_len, buf, (size_t)n))
		sga_count(&lms.s_m->m_sga, CNT_GES_SEND_DROPPED, 1);
}
