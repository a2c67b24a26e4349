/*
 * msg.c - encoding and checking of interconnect messages (catalogue in
 * msg.h).  Uses the little-endian cursor (cursor.c), so byte order is
 * converted in one place for the wire and the disk alike.
 */
#include <assert.h>
#include <string.h>

#include "cursor.h"
#include "errors.h"
#include "msg.h"
#include "rac.h"

static_assert(MSG_OFF_PAYLOAD == RAC_MSG_HDR && MSG_OFF_SEQ + 8 == RAC_MSG_HDR,
	      "the header is 40 bytes, fields in this order");
static_assert(MSG_LK_LEN == 144, "msg_lk is 144 bytes on the wire");
static_assert(MSG_EDGE_LEN == 18, "an edge is 18 bytes on the wire");

#define T(type, len, sender0, to) [MSG_##type] = { #type, len, sender0, to }

/* the catalogue (msg.h): sender 0 may send what clients and racsql send */
static const struct msg_type_info msg_types[MSG_TYPE_MAX] = {
	T(HEARTBEAT,		MSG_HEARTBEAT_LEN, 0, MSG_TO_LMON),
	T(VIEW_REQUEST,		0, 1, MSG_TO_LMON),
	T(VIEW_SNAPSHOT,	MSG_LEN_VARIABLE, 0, MSG_TO_CLIENT),
	T(LK_REQUEST,		MSG_LK_LEN, 1, MSG_TO_LMS),
	T(LK_REPLY,		MSG_LK_LEN, 1, MSG_TO_CLIENT),
	T(LK_EVENT,		MSG_LK_LEN, 1, MSG_TO_CLIENT),
	T(GRD_OP,		MSG_LK_LEN, 0, MSG_TO_LMS),
	T(GRD_RESULT,		MSG_LK_LEN, 0, MSG_TO_LMS),
	T(GRD_EVENT,		MSG_LK_LEN, 0, MSG_TO_LMS),
	T(GRD_REBUILD,		MSG_LK_LEN, 0, MSG_TO_LMS),
	T(GRD_REBUILD_DONE,	MSG_LK_LEN, 0, MSG_TO_LMS),
	T(GES_DUMP_REQUEST,	MSG_GES_REQ_LEN, 1, MSG_TO_LMS),
	T(GES_DUMP,		MSG_LEN_VARIABLE, 1, MSG_TO_CLIENT),
	T(GRD_EDGES_REQUEST,	MSG_LK_LEN, 0, MSG_TO_LMS),
	T(GRD_EDGES,		MSG_LEN_VARIABLE, 0, MSG_TO_LMS),
	T(LK_BUNDLE,		MSG_LEN_VARIABLE, 1, MSG_TO_ANY),
};

#undef T

const struct msg_type_info *msg_type_info(int type)
{
	if (type <= 0 || type >= MSG_TYPE_MAX || !msg_types[type].mt_name)
		return NULL;
	return &msg_types[type];
}

const char *msg_type_str(int type)
{
	const struct msg_type_info *t = msg_type_info(type);

	return t ? t->mt_name : "UNKNOWN";
}

uint64_t rac_msg_cluster_id(const char *name)
{
	return rac_fnv1a(name, strlen(name));
}

static void put_hdr(struct blk_cursor *c, const struct msg_hdr *h)
{
	put_u32(c, RAC_MSG_MAGIC);
	put_u16(c, RAC_MSG_VERSION);
	put_u16(c, h->mh_type);
	put_u32(c, h->mh_length);
	put_u32(c, h->mh_sender);
	put_u64(c, h->mh_cluster);
	put_u64(c, h->mh_incarnation);
	put_u64(c, h->mh_seq);
}

int msg_encode_heartbeat(uint8_t *buf, size_t len, struct msg_hdr *h,
			 const struct msg_heartbeat *hb)
{
	struct blk_cursor c;

	h->mh_magic = RAC_MSG_MAGIC;
	h->mh_version = RAC_MSG_VERSION;
	h->mh_type = MSG_HEARTBEAT;
	h->mh_length = MSG_HEARTBEAT_LEN;
	cur_init_write(&c, buf, len);
	put_hdr(&c, h);
	put_u32(&c, hb->hb_state);
	put_u64(&c, hb->hb_peers);
	put_u64(&c, hb->hb_members);
	put_u64(&c, hb->hb_sent_us);
	put_u32(&c, hb->hb_disks);
	return c.c_err ? RAC_ERANGE : (int)c.c_pos;
}

int msg_encode_raw(uint8_t *buf, size_t len, struct msg_hdr *h, uint16_t type,
		   const void *payload, size_t plen)
{
	struct blk_cursor c;

	if (plen > RAC_MSG_MAX)
		return RAC_ERANGE;
	h->mh_magic = RAC_MSG_MAGIC;
	h->mh_version = RAC_MSG_VERSION;
	h->mh_type = type;
	h->mh_length = (uint32_t)plen;
	cur_init_write(&c, buf, len);
	put_hdr(&c, h);
	if (plen)
		put_bytes(&c, payload, plen);
	return c.c_err ? RAC_ERANGE : (int)c.c_pos;
}

int msg_decode_hdr(const uint8_t *buf, size_t len, uint64_t cluster, struct msg_hdr *h,
		   const uint8_t **payload)
{
	const struct msg_type_info *t;
	struct blk_cursor c;

	memset(h, 0, sizeof(*h));
	if (len < RAC_MSG_HDR)
		return RAC_EMSG_SHORT;
	cur_init_read(&c, buf, RAC_MSG_HDR);
	h->mh_magic = get_u32(&c);
	h->mh_version = get_u16(&c);
	h->mh_type = get_u16(&c);
	h->mh_length = get_u32(&c);
	h->mh_sender = get_u32(&c);
	h->mh_cluster = get_u64(&c);
	h->mh_incarnation = get_u64(&c);
	h->mh_seq = get_u64(&c);
	if (h->mh_magic != RAC_MSG_MAGIC)
		return RAC_EMSG_MAGIC;
	if (h->mh_version != RAC_MSG_VERSION)
		return RAC_EMSG_VERSION;
	if (h->mh_cluster != cluster)
		return RAC_EMSG_CLUSTER;
	t = msg_type_info(h->mh_type);
	if (!t)
		return RAC_EMSG_TYPE;
	if ((size_t)h->mh_length != len - RAC_MSG_HDR || h->mh_length > RAC_MSG_MAX ||
	    (t->mt_len != MSG_LEN_VARIABLE && h->mh_length != (uint32_t)t->mt_len))
		return RAC_EMSG_LEN;
	if (h->mh_sender > RAC_MAX_INST || (h->mh_sender == 0 && !t->mt_sender0))
		return RAC_EMSG_SENDER;
	*payload = buf + RAC_MSG_HDR;
	return 0;
}

int msg_decode_heartbeat(const uint8_t *p, size_t len, struct msg_heartbeat *hb)
{
	struct blk_cursor c;

	cur_init_read(&c, p, len);
	hb->hb_state = get_u32(&c);
	hb->hb_peers = get_u64(&c);
	hb->hb_members = get_u64(&c);
	hb->hb_sent_us = get_u64(&c);
	hb->hb_disks = get_u32(&c);
	if (c.c_err)
		return RAC_EMSG_LEN;
	return c.c_pos == len ? 0 : RAC_EMSG_TRAILING;
}

/*
 * What both forms accept of a msg_lk's own fields: a name of at most
 * LK_NAME_MAX bytes, and flags that are 0 or 1.  A decoder refuses
 * anything else and an encoder will not emit it, so that whatever one
 * end decodes it can send on in either form (a bundle's reader refuses a
 * flag of 2 and every record after it).
 */
static bool lk_fields_ok(const struct msg_lk *lk)
{
	return lk->lk_namelen <= LK_NAME_MAX && lk->lk_has_lvb <= 1 && lk->lk_dubious <= 1;
}

/* a msg_lk's fixed fields, lk_op .. lk_namelen: the same in both forms */
static void put_lk_head(struct blk_cursor *c, const struct msg_lk *lk)
{
	put_u32(c, lk->lk_op);
	put_u32(c, lk->lk_req);
	put_u32(c, (uint32_t)lk->lk_mode);
	put_u32(c, lk->lk_flags);
	put_u32(c, lk->lk_timeout_ms);
	put_u32(c, (uint32_t)lk->lk_status);
	put_u32(c, lk->lk_event);
	put_u32(c, lk->lk_owner_client);
	put_u32(c, lk->lk_owner_pid);
	put_u64(c, lk->lk_lkid);
	put_u16(c, lk->lk_namelen);
}

static void get_lk_head(struct blk_cursor *c, struct msg_lk *lk)
{
	lk->lk_op = get_u32(c);
	lk->lk_req = get_u32(c);
	lk->lk_mode = (int32_t)get_u32(c);
	lk->lk_flags = get_u32(c);
	lk->lk_timeout_ms = get_u32(c);
	lk->lk_status = (int32_t)get_u32(c);
	lk->lk_event = get_u32(c);
	lk->lk_owner_client = get_u32(c);
	lk->lk_owner_pid = get_u32(c);
	lk->lk_lkid = get_u64(c);
	lk->lk_namelen = get_u16(c);
}

int msg_encode_lk(uint8_t *buf, size_t len, struct msg_hdr *h, uint16_t type,
		  const struct msg_lk *lk)
{
	struct blk_cursor c;

	h->mh_magic = RAC_MSG_MAGIC;
	h->mh_version = RAC_MSG_VERSION;
	h->mh_type = type;
	h->mh_length = MSG_LK_LEN;
	cur_init_write(&c, buf, len);
	put_hdr(&c, h);
	put_lk_head(&c, lk);
	put_bytes(&c, lk->lk_name, LK_NAME_MAX);
	put_u8(&c, lk->lk_has_lvb);
	put_u8(&c, lk->lk_dubious);
	put_bytes(&c, lk->lk_lvb, LK_LVB_LEN);
	return c.c_err ? RAC_ERANGE : (int)c.c_pos;
}

int msg_decode_lk(const uint8_t *p, size_t len, struct msg_lk *lk)
{
	struct blk_cursor c;

	cur_init_read(&c, p, len);
	get_lk_head(&c, lk);
	get_bytes(&c, lk->lk_name, LK_NAME_MAX);
	lk->lk_has_lvb = get_u8(&c);
	lk->lk_dubious = get_u8(&c);
	get_bytes(&c, lk->lk_lvb, LK_LVB_LEN);
	if (c.c_err)
		return RAC_EMSG_LEN;
	if (c.c_pos != len)
		return RAC_EMSG_TRAILING;
	if (!lk_fields_ok(lk))
		return RAC_EMSG_LEN;
	return 0;
}

/* ---- bundles ---------------------------------------------------------------- */

#define LK_FIXED	(9 * 4 + 8)	/* lk_op .. lk_lkid */

/* a bundle carries msg_lk messages only */
static bool bundle_type_ok(uint16_t type)
{
	const struct msg_type_info *t = msg_type_info(type);

	return t && t->mt_len == MSG_LK_LEN;
}

void msg_bundle_init(struct msg_bundle *b)
{
	b->mb_len = RAC_MSG_HDR + 2;
	b->mb_n = 0;
}

int msg_bundle_add(struct msg_bundle *b, uint16_t type, const struct msg_lk *lk)
{
	struct blk_cursor c;
	size_t need = 2 + LK_FIXED + 2 + lk->lk_namelen + 2 + (lk->lk_has_lvb ? LK_LVB_LEN : 0);

	if (!bundle_type_ok(type) || !lk_fields_ok(lk))
		return RAC_EINVAL;	/* msg_bundle_next() would refuse it, and the rest */
	if (b->mb_n == UINT16_MAX || b->mb_len + need > sizeof(b->mb_buf))
		return RAC_ERANGE;
	cur_init_write(&c, b->mb_buf + b->mb_len, need);
	put_u16(&c, type);
	put_lk_head(&c, lk);
	put_bytes(&c, lk->lk_name, lk->lk_namelen);
	put_u8(&c, lk->lk_has_lvb);
	put_u8(&c, lk->lk_dubious);
	if (lk->lk_has_lvb)
		put_bytes(&c, lk->lk_lvb, LK_LVB_LEN);
	if (c.c_err || c.c_pos != need)
		return RAC_ERANGE;
	b->mb_len += need;
	b->mb_n++;
	return 0;
}

int msg_bundle_seal(struct msg_bundle *b, struct msg_hdr *h)
{
	struct blk_cursor c;

	h->mh_magic = RAC_MSG_MAGIC;
	h->mh_version = RAC_MSG_VERSION;
	h->mh_type = MSG_LK_BUNDLE;
	h->mh_length = (uint32_t)(b->mb_len - RAC_MSG_HDR);
	cur_init_write(&c, b->mb_buf, RAC_MSG_HDR + 2);
	put_hdr(&c, h);
	put_u16(&c, b->mb_n);
	return c.c_err ? RAC_ERANGE : (int)b->mb_len;
}

int msg_bundle_open(const uint8_t *p, size_t len, struct msg_bundle_iter *it)
{
	struct blk_cursor c;

	cur_init_read(&c, p, len);
	it->bi_left = get_u16(&c);
	if (c.c_err)
		return RAC_EMSG_LEN;
	it->bi_p = p;
	it->bi_len = len;
	it->bi_off = 2;
	return 0;
}

int msg_bundle_next(struct msg_bundle_iter *it, uint16_t *type, struct msg_lk *lk)
{
	struct blk_cursor c;

	if (!it->bi_left)
		return it->bi_off == it->bi_len ? 0 : RAC_EMSG_TRAILING;
	cur_init_read(&c, it->bi_p + it->bi_off, it->bi_len - it->bi_off);
	memset(lk, 0, sizeof(*lk));
	*type = get_u16(&c);
	get_lk_head(&c, lk);
	if (c.c_err || lk->lk_namelen > LK_NAME_MAX || !bundle_type_ok(*type)) {
		it->bi_left = 0;
		return c.c_err || lk->lk_namelen > LK_NAME_MAX ? RAC_EMSG_LEN : RAC_EMSG_TYPE;
	}
	get_bytes(&c, lk->lk_name, lk->lk_namelen);
	lk->lk_has_lvb = get_u8(&c);
	lk->lk_dubious = get_u8(&c);
	if (lk->lk_has_lvb > 1 || lk->lk_dubious > 1) {
		it->bi_left = 0;
		return RAC_EMSG_LEN;
	}
	if (lk->lk_has_lvb)
		get_bytes(&c, lk->lk_lvb, LK_LVB_LEN);
	if (c.c_err) {
		it->bi_left = 0;
		return RAC_EMSG_LEN;
	}
	it->bi_off += c.c_pos;
	it->bi_left--;
	return 1;
}

/* ---- rebuild records (MSG_GRD_REBUILD) --------------------------------------- */

/*
 * Where a rebuild record's fields travel in a msg_lk: a lock record has
 * lk_op LK_RB_LOCK, lk_req the incarnation, lk_flags the owner's instance,
 * lk_mode the granted mode, lk_status the requested mode, lk_event the
 * state; a resource record has lk_op LK_RB_RES and the value block with
 * its dubious flag; a DONE has lk_op what is done and lk_req the
 * incarnation.
 */
static int rb_name(struct msg_lk *lk, const uint8_t *name, uint16_t namelen)
{
	if (namelen > LK_NAME_MAX)
		return RAC_ETOOLONG;
	lk->lk_namelen = namelen;
	memcpy(lk->lk_name, name, namelen);
	return 0;
}

int msg_rb_lock_to_lk(const struct msg_rb_lock *r, struct msg_lk *lk)
{
	memset(lk, 0, sizeof(*lk));
	lk->lk_op = LK_RB_LOCK;
	lk->lk_req = r->rl_inc;
	lk->lk_lkid = r->rl_lkid;
	lk->lk_flags = r->rl_owner_inst;
	lk->lk_owner_client = r->rl_owner_client;
	lk->lk_mode = r->rl_granted;
	lk->lk_status = r->rl_requested;
	lk->lk_event = r->rl_state;
	return rb_name(lk, r->rl_name, r->rl_namelen);
}

int msg_rb_res_to_lk(const struct msg_rb_res *r, struct msg_lk *lk)
{
	memset(lk, 0, sizeof(*lk));
	lk->lk_op = LK_RB_RES;
	lk->lk_req = r->rr_inc;
	lk->lk_has_lvb = 1;
	lk->lk_dubious = r->rr_dubious;
	memcpy(lk->lk_lvb, r->rr_lvb, LK_LVB_LEN);
	return rb_name(lk, r->rr_name, r->rr_namelen);
}

void msg_rb_lock_from_lk(const struct msg_lk *lk, struct msg_rb_lock *r)
{
	r->rl_inc = lk->lk_req;
	r->rl_lkid = lk->lk_lkid;
	r->rl_owner_inst = lk->lk_flags;
	r->rl_owner_client = lk->lk_owner_client;
	r->rl_granted = lk->lk_mode;
	r->rl_requested = lk->lk_status;
	r->rl_state = lk->lk_event;
	r->rl_namelen = lk->lk_namelen;
	r->rl_name = lk->lk_name;
}

void msg_rb_res_from_lk(const struct msg_lk *lk, struct msg_rb_res *r)
{
	r->rr_inc = lk->lk_req;
	r->rr_namelen = lk->lk_namelen;
	r->rr_name = lk->lk_name;
	r->rr_dubious = lk->lk_dubious;
	r->rr_lvb = lk->lk_lvb;
}

void msg_rb_done_to_lk(const struct msg_rb_done *r, struct msg_lk *lk)
{
	memset(lk, 0, sizeof(*lk));
	lk->lk_op = r->rd_what;
	lk->lk_req = r->rd_inc;
}

void msg_rb_done_from_lk(const struct msg_lk *lk, struct msg_rb_done *r)
{
	r->rd_inc = lk->lk_req;
	r->rd_what = lk->lk_op;
}

/* ---- wait-for edges (MSG_GRD_EDGES) ------------------------------------------ */

/* an edge's owners are instances (the lock table refuses any other owner) */
static bool edge_ok(const struct msg_edge *e)
{
	return e->me_waiter_inst >= 1 && e->me_waiter_inst <= RAC_MAX_INST &&
	       e->me_holder_inst >= 1 && e->me_holder_inst <= RAC_MAX_INST;
}

int msg_edges_out(uint8_t *body, size_t len, uint32_t round, const struct msg_edge *e, size_t n)
{
	struct blk_cursor c;

	for (size_t i = 0; i < n; i++)
		if (!edge_ok(&e[i]))
			return RAC_EINVAL;
	cur_init_write(&c, body, len);
	put_u32(&c, round);
	put_u32(&c, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		put_u8(&c, e[i].me_waiter_inst);
		put_u32(&c, e[i].me_waiter_client);
		put_u8(&c, e[i].me_holder_inst);
		put_u32(&c, e[i].me_holder_client);
		put_u64(&c, e[i].me_lkid);
	}
	return c.c_err ? RAC_ERANGE : (int)c.c_pos;
}

int msg_edges_open(const uint8_t *p, size_t len, uint32_t *round, uint32_t *n)
{
	struct blk_cursor c;

	cur_init_read(&c, p, len);
	*round = get_u32(&c);
	*n = get_u32(&c);
	if (c.c_err || (size_t)*n * MSG_EDGE_LEN + 8 != len)
		return RAC_EMSG_LEN;
	for (uint32_t i = 0; i < *n; i++) {
		struct msg_edge e;

		msg_edges_get(p, i, &e);
		if (!edge_ok(&e))
			return RAC_EMSG_LEN;
	}
	return 0;
}

void msg_edges_get(const uint8_t *p, uint32_t i, struct msg_edge *e)
{
	struct blk_cursor c;

	cur_init_read(&c, p + 8 + (size_t)i * MSG_EDGE_LEN, MSG_EDGE_LEN);
	e->me_waiter_inst = get_u8(&c);
	e->me_waiter_client = get_u32(&c);
	e->me_holder_inst = get_u8(&c);
	e->me_holder_client = get_u32(&c);
	e->me_lkid = get_u64(&c);
}

/* ---- lock constants ---------------------------------------------------------- */

int32_t msg_lk_status_of(int rc)
{
	if (rc >= 0 || (rc <= LK_EUNKNOWN && rc > -600))
		return rc;	/* a result, or the table's own refusal */
	/* a RAC_E* code: never in lk_status, where -1 and -2 mean other things */
	return rc == RAC_ENOMEM || rc == RAC_ERANGE ? LK_ENOMEM : LK_EINVAL;
}

const char *msg_lk_mode_str(int mode)
{
	static const char *const names[LK_NMODES] = { "NL", "CR", "CW", "PR", "PW", "EX" };

	return mode >= LK_NL && mode < LK_NMODES ? names[mode] : NULL;
}

/* ---- the GES dump ------------------------------------------------------------ */

void msg_ges_dump_begin(struct msg_ges_dump *d, uint8_t *buf, size_t max)
{
	d->gd_buf = buf;
	d->gd_max = max;
	d->gd_len = MSG_GES_DUMP_HEAD;	/* the counts, written by _finish */
	d->gd_nres = 0;
	d->gd_nlocks = 0;
	d->gd_truncated = max < MSG_GES_DUMP_HEAD;
}

/*
 * What a row may hold, for the writer and the reader alike: the writer
 * refuses a row the reader would refuse (and with it every row after it).
 */
static bool ges_mode_ok(int8_t mode)
{
	return mode >= LK_IV && mode < LK_NMODES;
}

static bool ges_res_ok(const struct msg_ges_res *r)
{
	return r->gr_namelen >= 1 && r->gr_namelen <= LK_NAME_MAX && r->gr_dubious <= 1;
}

static bool ges_lock_ok(const struct msg_ges_lock *l)
{
	return l->gl_namelen >= 1 && l->gl_namelen <= LK_NAME_MAX && l->gl_owner_inst >= 1 &&
	       l->gl_owner_inst <= RAC_MAX_INST && ges_mode_ok(l->gl_grmode) &&
	       ges_mode_ok(l->gl_rqmode) && l->gl_state <= LK_STATE_WAITING &&
	       l->gl_blocked <= 1 && l->gl_blocker_inst <= RAC_MAX_INST;
}

/* room for `need` more bytes? if not, the dump is truncated from here on */
static bool ges_room(struct msg_ges_dump *d, size_t need)
{
	if (!d->gd_truncated && d->gd_len + need <= d->gd_max)
		return true;
	d->gd_truncated = 1;
	return false;
}

int msg_ges_dump_add_res(struct msg_ges_dump *d, const struct msg_ges_res *r)
{
	size_t need = MSG_GES_RES_LEN(r->gr_namelen);
	struct blk_cursor c;

	if (!ges_res_ok(r) || d->gd_nlocks)
		return RAC_EINVAL;
	if (!ges_room(d, need))
		return RAC_ERANGE;
	cur_init_write(&c, d->gd_buf + d->gd_len, need);
	put_u8(&c, r->gr_namelen);
	put_bytes(&c, r->gr_name, r->gr_namelen);
	put_u32(&c, r->gr_granted);
	put_u32(&c, r->gr_converting);
	put_u32(&c, r->gr_waiting);
	put_u8(&c, r->gr_dubious);
	put_bytes(&c, r->gr_lvb, LK_LVB_LEN);
	d->gd_len += need;
	d->gd_nres++;
	return 0;
}

int msg_ges_dump_add_lock(struct msg_ges_dump *d, const struct msg_ges_lock *l)
{
	size_t need = MSG_GES_LOCK_LEN(l->gl_namelen);
	struct blk_cursor c;

	if (!ges_lock_ok(l))
		return RAC_EINVAL;
	if (!ges_room(d, need))
		return RAC_ERANGE;
	cur_init_write(&c, d->gd_buf + d->gd_len, need);
	put_u8(&c, l->gl_namelen);
	put_bytes(&c, l->gl_name, l->gl_namelen);
	put_u64(&c, l->gl_lkid);
	put_u8(&c, l->gl_owner_inst);
	put_u32(&c, l->gl_owner_client);
	put_u32(&c, l->gl_owner_pid);
	put_u8(&c, (uint8_t)l->gl_grmode);
	put_u8(&c, (uint8_t)l->gl_rqmode);
	put_u8(&c, l->gl_state);
	put_u8(&c, l->gl_blocked);
	put_u8(&c, l->gl_blocker_inst);
	d->gd_len += need;
	d->gd_nlocks++;
	return 0;
}

size_t msg_ges_dump_finish(struct msg_ges_dump *d, uint64_t next)
{
	struct blk_cursor c;

	if (d->gd_max < MSG_GES_DUMP_HEAD)
		return 0;
	cur_init_write(&c, d->gd_buf, MSG_GES_DUMP_HEAD);
	put_u32(&c, d->gd_nres);
	put_u32(&c, d->gd_nlocks);
	put_u8(&c, d->gd_truncated);
	put_u64(&c, d->gd_truncated ? next : 0);
	return d->gd_len;
}

void msg_ges_req_out(const struct msg_ges_req *q, uint8_t p[MSG_GES_REQ_LEN])
{
	struct blk_cursor c;

	cur_init_write(&c, p, MSG_GES_REQ_LEN);
	put_u32(&c, q->gq_what);
	put_u32(&c, 0);
	put_u64(&c, q->gq_pos);
}

int msg_ges_req_in(const uint8_t *p, size_t len, struct msg_ges_req *q)
{
	struct blk_cursor c;
	uint32_t zero;

	cur_init_read(&c, p, len);
	q->gq_what = get_u32(&c);
	zero = get_u32(&c);
	q->gq_pos = get_u64(&c);
	if (cur_end(&c) || zero ||
	    (q->gq_what != GES_WANT_RESOURCES && q->gq_what != GES_WANT_LOCKS))
		return RAC_EMSG_LEN;
	return 0;
}

int msg_ges_dump_open(const uint8_t *p, size_t len, struct msg_ges_iter *it)
{
	struct blk_cursor c;

	memset(it, 0, sizeof(*it));
	cur_init_read(&c, p, len);
	it->gi_nres = get_u32(&c);
	it->gi_nlocks = get_u32(&c);
	it->gi_more = get_u8(&c);
	it->gi_next = get_u64(&c);
	if (c.c_err || it->gi_more > 1 || (!it->gi_more && it->gi_next)) {
		it->gi_nres = it->gi_nlocks = 0;
		return RAC_EMSG_LEN;
	}
	it->gi_p = p;
	it->gi_len = len;
	it->gi_off = c.c_pos;
	it->gi_res_left = it->gi_nres;
	it->gi_locks_left = it->gi_nlocks;
	return 0;
}

/* the rest of the dump is bad: no more rows */
static int ges_bad(struct msg_ges_iter *it)
{
	it->gi_res_left = 0;
	it->gi_locks_left = 0;
	it->gi_off = it->gi_len;
	return RAC_EMSG_LEN;
}

int msg_ges_dump_next_res(struct msg_ges_iter *it, struct msg_ges_res *r)
{
	struct blk_cursor c;

	if (!it->gi_res_left)
		return 0;
	cur_init_read(&c, it->gi_p + it->gi_off, it->gi_len - it->gi_off);
	memset(r, 0, sizeof(*r));
	r->gr_namelen = get_u8(&c);
	if (c.c_err || !r->gr_namelen || r->gr_namelen > LK_NAME_MAX)
		return ges_bad(it);
	get_bytes(&c, r->gr_name, r->gr_namelen);
	r->gr_granted = get_u32(&c);
	r->gr_converting = get_u32(&c);
	r->gr_waiting = get_u32(&c);
	r->gr_dubious = get_u8(&c);
	get_bytes(&c, r->gr_lvb, LK_LVB_LEN);
	if (c.c_err || !ges_res_ok(r))
		return ges_bad(it);
	it->gi_off += c.c_pos;
	it->gi_res_left--;
	return 1;
}

int msg_ges_dump_next_lock(struct msg_ges_iter *it, struct msg_ges_lock *l)
{
	struct msg_ges_res skip;
	struct blk_cursor c;
	int rc;

	while ((rc = msg_ges_dump_next_res(it, &skip)) == 1)
		;
	if (rc < 0)
		return rc;
	if (!it->gi_locks_left)
		return it->gi_off == it->gi_len ? 0 : RAC_EMSG_TRAILING;
	cur_init_read(&c, it->gi_p + it->gi_off, it->gi_len - it->gi_off);
	memset(l, 0, sizeof(*l));
	l->gl_namelen = get_u8(&c);
	if (c.c_err || !l->gl_namelen || l->gl_namelen > LK_NAME_MAX)
		return ges_bad(it);
	get_bytes(&c, l->gl_name, l->gl_namelen);
	l->gl_lkid = get_u64(&c);
	l->gl_owner_inst = get_u8(&c);
	l->gl_owner_client = get_u32(&c);
	l->gl_owner_pid = get_u32(&c);
	l->gl_grmode = (int8_t)get_u8(&c);
	l->gl_rqmode = (int8_t)get_u8(&c);
	l->gl_state = get_u8(&c);
	l->gl_blocked = get_u8(&c);
	l->gl_blocker_inst = get_u8(&c);
	if (c.c_err || !ges_lock_ok(l))
		return ges_bad(it);
	it->gi_off += c.c_pos;
	it->gi_locks_left--;
	return 1;
}
