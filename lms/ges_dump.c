/*
 * ges_dump.c - the v$ges_* views: our table (and the SGA lock cache's
 * resources and locks, as the GRD's look), as rows, to racsql.
 */
#include "disk.h"
#include "lms.h"

#define DUMP_MAX 60000

struct dump {
	struct blk_cursor d_c;
	uint32_t d_nres, d_nlocks;
	int d_full;
};

static int dump_res(const struct grd_res_info *ri, void *arg)
{
	struct dump *d = arg;

	if (d->d_c.c_pos + 1 + ri->ri_namelen + 12 + 1 + GRD_LVB_LEN > DUMP_MAX) {
		d->d_full = 1;
		return 1;
	}
	put_u8(&d->d_c, (uint8_t)ri->ri_namelen);
	put_bytes(&d->d_c, ri->ri_name, ri->ri_namelen);
	put_u32(&d->d_c, (uint32_t)ri->ri_ngranted);
	put_u32(&d->d_c, (uint32_t)ri->ri_nconverting);
	put_u32(&d->d_c, (uint32_t)ri->ri_nwaiting);
	put_u8(&d->d_c, ri->ri_dubious);
	put_bytes(&d->d_c, ri->ri_lvb, GRD_LVB_LEN);
	d->d_nres++;
	return 0;
}

static int dump_lock(const struct grd_lock_info *li, void *arg)
{
	struct dump *d = arg;

	if (d->d_c.c_pos + 1 + li->li_namelen + 8 + 1 + 8 + 5 > DUMP_MAX) {
		d->d_full = 1;
		return 1;
	}
	put_u8(&d->d_c, (uint8_t)li->li_namelen);
	put_bytes(&d->d_c, li->li_name, li->li_namelen);
	put_u64(&d->d_c, li->li_lkid);
	put_u8(&d->d_c, li->li_owner.ow_inst);
	put_u32(&d->d_c, li->li_owner.ow_client);
	put_u32(&d->d_c, (uint32_t)pid_of(li->li_owner));
	put_u8(&d->d_c, (uint8_t)(int8_t)li->li_grmode);
	put_u8(&d->d_c, (uint8_t)(int8_t)li->li_rqmode);
	put_u8(&d->d_c, (uint8_t)li->li_state);
	put_u8(&d->d_c, li->li_blocked);
	put_u8(&d->d_c, li->li_blocker.ow_inst);
	d->d_nlocks++;
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
	static uint8_t body[DUMP_MAX + 16], buf[RAC_MSG_HDR + DUMP_MAX + 16];
	struct dump d = { .d_full = 0 };
	struct blk_cursor head;
	struct msg_hdr h = { .mh_sender = (uint32_t)lms.s_m->m_inst,
			     .mh_cluster = lms.s_cluster_id, .mh_seq = ++lms.s_seq };
	int n;

	cur_init_write(&d.d_c, body, sizeof(body));
	put_u32(&d.d_c, 0);
	put_u32(&d.d_c, 0);
	put_u8(&d.d_c, 0);
	grd_foreach_resource(lms.s_grd, dump_res, &d);
	dump_fast(&d, false);
	if (!d.d_full)
		grd_foreach_lock(lms.s_grd, dump_lock, &d);
	dump_fast(&d, true);
	cur_init_write(&head, body, 9);
	put_u32(&head, d.d_nres);
	put_u32(&head, d.d_nlocks);
	put_u8(&head, (uint8_t)d.d_full);
	n = msg_encode_raw(buf, sizeof(buf), &h, MSG_GES_DUMP, body, d.d_c.c_pos);
	if (n < 0)
		return;
	if (send_to(sock, ident, ident_len, buf, (size_t)n))
		sga_count(&lms.s_m->m_sga, CNT_GES_SEND_DROPPED, 1);
}
