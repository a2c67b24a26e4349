/*
 * disk_block.c - the shared-disk block codec (layout in disk.h).
 *
 * Every integer goes through the cursor (cursor.c: put_u32(), get_u64(),
 * ...), which reads and writes little-endian byte by byte, so the code is
 * the same on any host and never makes an unaligned access.
 *
 * Decoding is defensive because the bytes come from a disk that other
 * processes, other hosts and crashes write to: a block is trusted only after
 * its magic, CRC, version, length and type have all been checked, and a
 * payload decoder must consume exactly the payload length (cur_end()).
 * Fields that callers use as array indices (instance and disk numbers) are
 * range-checked here, so a record that passed its CRC but holds a value no
 * writer could have produced is still refused rather than trusted.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include "disk.h"
#include "errors.h"

/* Header field offsets (disk.h); only the CRC offset is needed by name. */
#define BLK_OFF_CRC	32

static_assert(RAC_BLK_SIZE == 512 && RAC_BLK_HDR == 40,
	      "block and header sizes are part of the disk format");

/*
 * Fixed-width string field: the bytes up to the first NUL, zero-padded to
 * `width`.  On decode the result is always NUL-terminated; a field that is
 * not what put_str() writes (`width` non-NUL bytes, or bytes after the
 * NUL) is refused, so that whatever decodes encodes to the same bytes.
 */
static void put_str(struct blk_cursor *c, const char *s, size_t width)
{
	size_t n = strnlen(s, width);
	static const uint8_t zero[64];

	put_bytes(c, s, n);
	while (n < width) {
		size_t k = width - n < sizeof(zero) ? width - n : sizeof(zero);

		put_bytes(c, zero, k);
		n += k;
	}
}

static bool get_str(struct blk_cursor *c, char *s, size_t width)
{
	size_t n;

	get_bytes(c, s, width);
	n = strnlen(s, width);
	for (size_t i = n; i < width; i++)
		if (s[i])
			n = width;
	s[width - 1] = '\0';
	return n < width;
}

/* ---- block header ----------------------------------------------------- */

static void hdr_put(uint8_t blk[RAC_BLK_SIZE], const struct blk_hdr *h)
{
	struct blk_cursor c;

	cur_init_write(&c, blk, RAC_BLK_HDR);
	put_u32(&c, h->bh_magic);
	put_u16(&c, h->bh_type);
	put_u16(&c, h->bh_version);
	put_u32(&c, h->bh_writer);
	put_u32(&c, h->bh_length);
	put_u64(&c, h->bh_incarnation);
	put_u64(&c, h->bh_sequence);
	put_u32(&c, h->bh_crc);
	put_u32(&c, 0);		/* reserved */
	assert(c.c_pos == RAC_BLK_HDR && !c.c_err);
}

static void hdr_get(const uint8_t blk[RAC_BLK_SIZE], struct blk_hdr *h)
{
	struct blk_cursor c;

	cur_init_read(&c, blk, RAC_BLK_HDR);
	h->bh_magic = get_u32(&c);
	h->bh_type = get_u16(&c);
	h->bh_version = get_u16(&c);
	h->bh_writer = get_u32(&c);
	h->bh_length = get_u32(&c);
	h->bh_incarnation = get_u64(&c);
	h->bh_sequence = get_u64(&c);
	h->bh_crc = get_u32(&c);
	(void)get_u32(&c);	/* reserved: covered by the CRC, not checked */
	assert(cur_end(&c) == 0);
}

uint32_t blk_crc(const uint8_t blk[RAC_BLK_SIZE])
{
	static const uint8_t zero[4];
	uint32_t crc;

	/* chained, so the block need not be copied to blank its CRC field */
	crc = crc32c(0, blk, BLK_OFF_CRC);
	crc = crc32c(crc, zero, sizeof(zero));
	return crc32c(crc, blk + BLK_OFF_CRC + 4, RAC_BLK_SIZE - BLK_OFF_CRC - 4);
}

/*
 * The caller supplies type, writer, incarnation and sequence; magic,
 * version, length and CRC are ours to set, so a caller cannot produce a
 * block that its own readers would refuse.
 */
int blk_encode(uint8_t blk[RAC_BLK_SIZE], const struct blk_hdr *h,
	       const void *payload, size_t len)
{
	struct blk_hdr hh;
	uint32_t crc;

	if (len > RAC_BLK_PAYLOAD)
		return RAC_EBLK_LEN;
	if (h->bh_type == 0 || (len && !payload))
		return RAC_EINVAL;

	hh = *h;
	hh.bh_magic = RAC_BLK_MAGIC;
	hh.bh_version = RAC_BLK_VERSION;
	hh.bh_length = (uint32_t)len;
	hh.bh_crc = 0;

	memset(blk, 0, RAC_BLK_SIZE);
	hdr_put(blk, &hh);
	if (len)
		memcpy(blk + RAC_BLK_HDR, payload, len);

	crc = blk_crc(blk);
	blk[BLK_OFF_CRC + 0] = (uint8_t)crc;
	blk[BLK_OFF_CRC + 1] = (uint8_t)(crc >> 8);
	blk[BLK_OFF_CRC + 2] = (uint8_t)(crc >> 16);
	blk[BLK_OFF_CRC + 3] = (uint8_t)(crc >> 24);
	return 0;
}

static int blk_is_zero(const uint8_t blk[RAC_BLK_SIZE])
{
	for (size_t i = 0; i < RAC_BLK_SIZE; i++)
		if (blk[i])
			return 0;
	return 1;
}

/*
 * The reserved header field and the bytes after a payload of `len` are
 * zero, as blk_encode() leaves them: a block with anything there is not
 * one our writers wrote, and would not re-encode to itself.
 */
static bool blk_tail_zero(const uint8_t blk[RAC_BLK_SIZE], uint32_t len)
{
	for (size_t i = BLK_OFF_CRC + 4; i < RAC_BLK_HDR; i++)
		if (blk[i])
			return false;
	for (size_t i = RAC_BLK_HDR + len; i < RAC_BLK_SIZE; i++)
		if (blk[i])
			return false;
	return true;
}

/*
 * The order of the checks matters for the reason reported: a never-written
 * block is not corruption; a bad magic means "not one of our blocks at
 * all"; only then is a CRC mismatch a torn or damaged block; and version,
 * length and type are only believed once the CRC says the bytes are the
 * ones a writer wrote.
 */
int blk_decode(const uint8_t blk[RAC_BLK_SIZE], uint16_t want_type,
	       struct blk_hdr *h, const uint8_t **payload)
{
	struct blk_hdr hh;

	if (!h)
		h = &hh;
	if (payload)
		*payload = NULL;
	memset(h, 0, sizeof(*h));

	if (blk_is_zero(blk))
		return RAC_EBLK_ZERO;
	hdr_get(blk, h);
	if (h->bh_magic != RAC_BLK_MAGIC)
		return RAC_EBLK_MAGIC;
	if (h->bh_crc != blk_crc(blk))
		return RAC_EBLK_CRC;
	if (h->bh_version != RAC_BLK_VERSION)
		return RAC_EBLK_VERSION;
	if (h->bh_length > RAC_BLK_PAYLOAD || !blk_tail_zero(blk, h->bh_length))
		return RAC_EBLK_LEN;
	if (h->bh_type == 0 || (want_type && h->bh_type != want_type))
		return RAC_EBLK_TYPE;
	if (payload)
		*payload = blk + RAC_BLK_HDR;
	return 0;
}

#define CASE(t, s) case t: return s
const char *blk_type_str(uint16_t type)
{
	switch (type) {
	CASE(BLK_CTL_HEADER, "control file header");
	CASE(BLK_MEMBERSHIP, "membership");
	CASE(BLK_CFVRR, "vote result record (CFVRR)");
	CASE(BLK_CKPT_PROGRESS, "checkpoint progress record");
	CASE(BLK_VOTE_HEADER, "voting disk header");
	CASE(BLK_HEARTBEAT, "disk heartbeat");
	CASE(BLK_KILL, "kill block");
	CASE(BLK_VOTE, "IMR vote");
	CASE(BLK_FORMAT_CLAIM, "format claim");
	CASE(BLK_CLUSTER_CONFIG, "cluster configuration");
	}
	return "unknown block type";
}
#undef CASE

/* ---- payloads --------------------------------------------------------- */

/*
 * Every *_out() writes into a buffer of RAC_BLK_PAYLOAD bytes and returns
 * the length used.  The sizes are fixed per type and checked against the
 * payload size at compile time, so an encoder cannot overrun.
 */
#define CTL_HEADER_LEN		(RAC_CLUSTER_MAX + 3 * 4 + 2 * 8)
#define CTL_MEMBERSHIP_LEN	(8 + 4 + 8 + 4)
#define CTL_VOTE_LEN		(4 + 3 * 8 + 4 + 4)
/*
 * The CFVRR holds a vote sequence and a vote bitmap per possible instance;
 * with 64-bit bitmaps that is 544 bytes and does not fit one block.  On disk
 * its bitmaps are therefore 32 bits wide, which holds every instance as long
 * as RAC_MAX_INST <= 32 (pinned below); the vote sequences stay 64-bit.
 */
#define CTL_CFVRR_LEN		(8 + RAC_MAX_INST * (8 + 4) + 4 + 4 + 4 + 8 + 8 + 4)
#define CTL_CKPT_LEN		(4 + 4 + 3 * 8)
#define CTL_CLAIM_LEN		(8 + 8 + 4 + CTL_CLAIM_HOST)
#define CTL_CONFIG_LEN		(4 + 4 * CTL_CONFIG_MAX)
#define VOTE_HEADER_LEN		(RAC_CLUSTER_MAX + 4 + 2 * 8)
/*
 * Heartbeat and kill blocks grew a trailing life field; a block written
 * before that (the _V1 length) still decodes, with life 0.
 */
#define VOTE_HB_LEN_V1		(2 * 4 + 3 * 8)
#define VOTE_HB_LEN		(VOTE_HB_LEN_V1 + 8)
#define VOTE_KILL_LEN_V1	(2 * 4 + 2 * 8 + 64)
#define VOTE_KILL_LEN		(VOTE_KILL_LEN_V1 + 8)

static_assert(RAC_MAX_INST <= 32, "CFVRR bitmaps are 32 bits on disk");
static_assert(CTL_HEADER_LEN <= RAC_BLK_PAYLOAD, "ctl header fits a block");
static_assert(CTL_CFVRR_LEN <= RAC_BLK_PAYLOAD, "CFVRR fits a block");
static_assert(VOTE_KILL_LEN <= RAC_BLK_PAYLOAD, "kill block fits a block");
static_assert(sizeof(((struct vote_kill *)0)->kb_reason) == 64, "kill reason width");

static int inst_ok(uint32_t n, int allow_zero)
{
	return (allow_zero && n == 0) || (n >= 1 && n <= RAC_MAX_INST);
}

size_t ctl_header_out(const struct ctl_header *v, uint8_t *p)
{
	struct blk_cursor c;

	cur_init_write(&c, p, RAC_BLK_PAYLOAD);
	put_str(&c, v->ch_cluster, sizeof(v->ch_cluster));
	put_u32(&c, v->ch_max_inst);
	put_u32(&c, v->ch_ninst);
	put_u32(&c, v->ch_nvoting);
	put_u64(&c, v->ch_format_us);
	put_u64(&c, v->ch_cluster_id);
	assert(!c.c_err && c.c_pos == CTL_HEADER_LEN);
	return c.c_pos;
}

int ctl_header_in(const uint8_t *p, size_t len, struct ctl_header *v)
{
	struct blk_cursor c;
	bool str_ok;
	int rc;

	memset(v, 0, sizeof(*v));
	cur_init_read(&c, p, len);
	str_ok = get_str(&c, v->ch_cluster, sizeof(v->ch_cluster));
	v->ch_max_inst = get_u32(&c);
	v->ch_ninst = get_u32(&c);
	v->ch_nvoting = get_u32(&c);
	v->ch_format_us = get_u64(&c);
	v->ch_cluster_id = get_u64(&c);
	/* counts are compared with the configuration by ctl_check() */
	if ((rc = cur_end(&c)))
		return rc;
	return str_ok ? 0 : RAC_ERANGE;
}

size_t ctl_membership_out(const struct ctl_membership *v, uint8_t *p)
{
	struct blk_cursor c;

	cur_init_write(&c, p, RAC_BLK_PAYLOAD);
	put_u64(&c, v->ms_bitmap);
	put_u32(&c, v->ms_valid);
	put_u64(&c, v->ms_incarnation);
	put_u32(&c, v->ms_control);
	assert(!c.c_err && c.c_pos == CTL_MEMBERSHIP_LEN);
	return c.c_pos;
}

int ctl_membership_in(const uint8_t *p, size_t len, struct ctl_membership *v)
{
	struct blk_cursor c;
	int rc;

	memset(v, 0, sizeof(*v));
	cur_init_read(&c, p, len);
	v->ms_bitmap = get_u64(&c);
	v->ms_valid = get_u32(&c);
	v->ms_incarnation = get_u64(&c);
	v->ms_control = get_u32(&c);
	if ((rc = cur_end(&c)))
		return rc;
	if (v->ms_valid > 1 || v->ms_control > RAC_MAX_INST)
		return RAC_ERANGE;
	return 0;
}

size_t ctl_vote_out(const struct ctl_vote *v, uint8_t *p)
{
	struct blk_cursor c;

	cur_init_write(&c, p, RAC_BLK_PAYLOAD);
	put_u32(&c, v->cv_inst);
	put_u64(&c, v->cv_seq);
	put_u64(&c, v->cv_bitmap);
	put_u64(&c, v->cv_time_us);
	put_u32(&c, v->cv_reason);
	put_u32(&c, v->cv_break);
	assert(!c.c_err && c.c_pos == CTL_VOTE_LEN);
	return c.c_pos;
}

int ctl_vote_in(const uint8_t *p, size_t len, struct ctl_vote *v)
{
	struct blk_cursor c;
	int rc;

	memset(v, 0, sizeof(*v));
	cur_init_read(&c, p, len);
	v->cv_inst = get_u32(&c);
	v->cv_seq = get_u64(&c);
	v->cv_bitmap = get_u64(&c);
	v->cv_time_us = get_u64(&c);
	v->cv_reason = get_u32(&c);
	v->cv_break = get_u32(&c);
	if ((rc = cur_end(&c)))
		return rc;
	if (v->cv_inst < 1 || v->cv_inst > RAC_MAX_INST || v->cv_break > RAC_MAX_INST)
		return RAC_ERANGE;
	return 0;
}

/* bits that can name an instance (RAC_MAX_INST <= 32, pinned above) */
#define INST_MASK ((1ull << RAC_MAX_INST) - 1)

size_t ctl_cfvrr_out(const struct ctl_cfvrr *v, uint8_t *p)
{
	struct blk_cursor c;

	cur_init_write(&c, p, RAC_BLK_PAYLOAD);
	put_u64(&c, v->vr_seq);
	for (int i = 0; i < RAC_MAX_INST; i++) {
		put_u64(&c, v->vr_vote_seq[i]);
		/* a bit above RAC_MAX_INST names no instance: dropped */
		put_u32(&c, (uint32_t)(v->vr_vote[i] & INST_MASK));
	}
	put_u32(&c, (uint32_t)(v->vr_result & INST_MASK));
	put_u32(&c, v->vr_result_writer);
	put_u32(&c, v->vr_claim_inst);
	put_u64(&c, v->vr_claim_expires_us);
	put_u64(&c, v->vr_incarnation);
	put_u32(&c, v->vr_control);
	assert(!c.c_err && c.c_pos == CTL_CFVRR_LEN);
	return c.c_pos;
}

int ctl_cfvrr_in(const uint8_t *p, size_t len, struct ctl_cfvrr *v)
{
	struct blk_cursor c;
	int rc;

	memset(v, 0, sizeof(*v));
	cur_init_read(&c, p, len);
	v->vr_seq = get_u64(&c);
	for (int i = 0; i < RAC_MAX_INST; i++) {
		v->vr_vote_seq[i] = get_u64(&c);
		v->vr_vote[i] = get_u32(&c);
	}
	v->vr_result = get_u32(&c);
	v->vr_result_writer = get_u32(&c);
	v->vr_claim_inst = get_u32(&c);
	v->vr_claim_expires_us = get_u64(&c);
	v->vr_incarnation = get_u64(&c);
	v->vr_control = get_u32(&c);
	if ((rc = cur_end(&c)))
		return rc;
	if (!inst_ok(v->vr_result_writer, 1) || !inst_ok(v->vr_claim_inst, 1))
		return RAC_ERANGE;
	return 0;
}

size_t ctl_ckpt_out(const struct ctl_ckpt *v, uint8_t *p)
{
	struct blk_cursor c;

	cur_init_write(&c, p, RAC_BLK_PAYLOAD);
	put_u32(&c, v->ck_inst);
	put_u32(&c, (uint32_t)v->ck_pid);
	put_u64(&c, v->ck_count);
	put_u64(&c, v->ck_time_us);
	put_u64(&c, v->ck_started_us);
	assert(!c.c_err && c.c_pos == CTL_CKPT_LEN);
	return c.c_pos;
}

size_t ctl_claim_out(const struct ctl_claim *v, uint8_t *p)
{
	struct blk_cursor c;

	cur_init_write(&c, p, RAC_BLK_PAYLOAD);
	put_u64(&c, v->fc_id);
	put_u64(&c, v->fc_time_us);
	put_u32(&c, (uint32_t)v->fc_pid);
	put_str(&c, v->fc_host, CTL_CLAIM_HOST);
	assert(!c.c_err && c.c_pos == CTL_CLAIM_LEN);
	return c.c_pos;
}

size_t ctl_config_out(const struct ctl_config *v, uint8_t *p)
{
	struct blk_cursor c;

	cur_init_write(&c, p, RAC_BLK_PAYLOAD);
	put_u32(&c, v->cg_n);
	for (int i = 0; i < CTL_CONFIG_MAX; i++)
		put_u32(&c, (uint32_t)v->cg_val[i]);
	assert(!c.c_err && c.c_pos == CTL_CONFIG_LEN);
	return c.c_pos;
}

int ctl_config_in(const uint8_t *p, size_t len, struct ctl_config *v)
{
	struct blk_cursor c;
	int rc;

	memset(v, 0, sizeof(*v));
	cur_init_read(&c, p, len);
	v->cg_n = get_u32(&c);
	for (int i = 0; i < CTL_CONFIG_MAX; i++)
		v->cg_val[i] = (int32_t)get_u32(&c);
	if ((rc = cur_end(&c)))
		return rc;
	return v->cg_n > CTL_CONFIG_MAX ? RAC_ERANGE : 0;
}

int ctl_claim_in(const uint8_t *p, size_t len, struct ctl_claim *v)
{
	struct blk_cursor c;
	bool str_ok;
	int rc;

	memset(v, 0, sizeof(*v));
	cur_init_read(&c, p, len);
	v->fc_id = get_u64(&c);
	v->fc_time_us = get_u64(&c);
	v->fc_pid = (int32_t)get_u32(&c);
	str_ok = get_str(&c, v->fc_host, CTL_CLAIM_HOST);
	if ((rc = cur_end(&c)))
		return rc;
	return !str_ok || v->fc_pid < 0 ? RAC_ERANGE : 0;
}

int ctl_ckpt_in(const uint8_t *p, size_t len, struct ctl_ckpt *v)
{
	struct blk_cursor c;
	int rc;

	memset(v, 0, sizeof(*v));
	cur_init_read(&c, p, len);
	v->ck_inst = get_u32(&c);
	v->ck_pid = (int32_t)get_u32(&c);
	v->ck_count = get_u64(&c);
	v->ck_time_us = get_u64(&c);
	v->ck_started_us = get_u64(&c);
	if ((rc = cur_end(&c)))
		return rc;
	if (!inst_ok(v->ck_inst, 0) || v->ck_pid < 0)
		return RAC_ERANGE;
	return 0;
}

size_t vote_header_out(const struct vote_header *v, uint8_t *p)
{
	struct blk_cursor c;

	cur_init_write(&c, p, RAC_BLK_PAYLOAD);
	put_str(&c, v->vh_cluster, sizeof(v->vh_cluster));
	put_u32(&c, v->vh_disk);
	put_u64(&c, v->vh_format_us);
	put_u64(&c, v->vh_cluster_id);
	assert(!c.c_err && c.c_pos == VOTE_HEADER_LEN);
	return c.c_pos;
}

int vote_header_in(const uint8_t *p, size_t len, struct vote_header *v)
{
	struct blk_cursor c;
	bool str_ok;
	int rc;

	memset(v, 0, sizeof(*v));
	cur_init_read(&c, p, len);
	str_ok = get_str(&c, v->vh_cluster, sizeof(v->vh_cluster));
	v->vh_disk = get_u32(&c);
	v->vh_format_us = get_u64(&c);
	v->vh_cluster_id = get_u64(&c);
	if ((rc = cur_end(&c)))
		return rc;
	if (!str_ok || v->vh_disk < 1 || v->vh_disk > RAC_MAX_VOTING)
		return RAC_ERANGE;
	return 0;
}

size_t vote_hb_out(const struct vote_hb *v, uint8_t *p)
{
	struct blk_cursor c;

	cur_init_write(&c, p, RAC_BLK_PAYLOAD);
	put_u32(&c, v->hb_inst);
	put_u32(&c, v->hb_state);
	put_u64(&c, v->hb_counter);
	put_u64(&c, v->hb_time_us);
	put_u64(&c, v->hb_peers);
	put_u64(&c, v->hb_life);
	assert(!c.c_err && c.c_pos == VOTE_HB_LEN);
	return c.c_pos;
}

int vote_hb_in(const uint8_t *p, size_t len, struct vote_hb *v)
{
	struct blk_cursor c;
	int rc;

	memset(v, 0, sizeof(*v));
	cur_init_read(&c, p, len);
	v->hb_inst = get_u32(&c);
	v->hb_state = get_u32(&c);
	v->hb_counter = get_u64(&c);
	v->hb_time_us = get_u64(&c);
	v->hb_peers = get_u64(&c);
	if (len > VOTE_HB_LEN_V1)
		v->hb_life = get_u64(&c);
	if ((rc = cur_end(&c)))
		return rc;
	if (!inst_ok(v->hb_inst, 0) || v->hb_state > 2)
		return RAC_ERANGE;
	return 0;
}

size_t vote_kill_out(const struct vote_kill *v, uint8_t *p)
{
	struct blk_cursor c;

	cur_init_write(&c, p, RAC_BLK_PAYLOAD);
	put_u32(&c, v->kb_target);
	put_u32(&c, v->kb_issuer);
	put_u64(&c, v->kb_target_inc);
	put_u64(&c, v->kb_time_us);
	put_str(&c, v->kb_reason, sizeof(v->kb_reason));
	put_u64(&c, v->kb_target_life);
	assert(!c.c_err && c.c_pos == VOTE_KILL_LEN);
	return c.c_pos;
}

int vote_kill_in(const uint8_t *p, size_t len, struct vote_kill *v)
{
	struct blk_cursor c;
	bool str_ok;
	int rc;

	memset(v, 0, sizeof(*v));
	cur_init_read(&c, p, len);
	v->kb_target = get_u32(&c);
	v->kb_issuer = get_u32(&c);
	v->kb_target_inc = get_u64(&c);
	v->kb_time_us = get_u64(&c);
	str_ok = get_str(&c, v->kb_reason, sizeof(v->kb_reason));
	if (len > VOTE_KILL_LEN_V1)
		v->kb_target_life = get_u64(&c);
	if ((rc = cur_end(&c)))
		return rc;
	if (!str_ok || !inst_ok(v->kb_target, 1) || !inst_ok(v->kb_issuer, 1))
		return RAC_ERANGE;
	return 0;
}

/* payload length a well-formed block of `type` carries, 0 if unknown */
static size_t payload_len(uint16_t type)
{
	switch (type) {
	case BLK_CTL_HEADER: return CTL_HEADER_LEN;
	case BLK_MEMBERSHIP: return CTL_MEMBERSHIP_LEN;
	case BLK_CFVRR: return CTL_CFVRR_LEN;
	case BLK_CKPT_PROGRESS: return CTL_CKPT_LEN;
	case BLK_FORMAT_CLAIM: return CTL_CLAIM_LEN;
	case BLK_CLUSTER_CONFIG: return CTL_CONFIG_LEN;
	case BLK_VOTE_HEADER: return VOTE_HEADER_LEN;
	case BLK_HEARTBEAT: return VOTE_HB_LEN;
	case BLK_KILL: return VOTE_KILL_LEN;
	case BLK_VOTE: return CTL_VOTE_LEN;
	}
	return 0;
}

void blk_explain(const uint8_t blk[RAC_BLK_SIZE], int err, uint16_t want_type,
		 char *buf, size_t len)
{
	const char *why = rac_strerror(err);
	struct blk_hdr h;

	if (!len)
		return;
	memset(&h, 0, sizeof(h));
	if (!blk_is_zero(blk))
		hdr_get(blk, &h);

	switch (err) {
	case RAC_EBLK_MAGIC:
		snprintf(buf, len, "%s: found 0x%08x, want 0x%08x", why,
			 h.bh_magic, RAC_BLK_MAGIC);
		break;
	case RAC_EBLK_CRC:
		snprintf(buf, len, "%s: stored 0x%08x, computed 0x%08x", why,
			 h.bh_crc, blk_crc(blk));
		break;
	case RAC_EBLK_VERSION:
		snprintf(buf, len, "%s: found %u, want %u", why,
			 h.bh_version, RAC_BLK_VERSION);
		break;
	case RAC_EBLK_LEN:
		if (h.bh_length > RAC_BLK_PAYLOAD)
			snprintf(buf, len, "%s: length %u > %u", why,
				 h.bh_length, RAC_BLK_PAYLOAD);
		else if (!blk_tail_zero(blk, h.bh_length))
			snprintf(buf, len, "%s: bytes after the %u-byte %s payload (or in the "
				 "reserved header field) are not zero", why, h.bh_length,
				 blk_type_str(h.bh_type));
		else
			/* the header was fine: the payload did not decode */
			snprintf(buf, len, "%s: %s payload of %u bytes, want %zu",
				 why, blk_type_str(h.bh_type), h.bh_length,
				 payload_len(h.bh_type));
		break;
	case RAC_EBLK_TYPE:
		snprintf(buf, len, "%s: found %s (%u), want %s (%u)", why,
			 blk_type_str(h.bh_type), h.bh_type,
			 blk_type_str(want_type), want_type);
		break;
	case RAC_ERANGE:
		/* a number out of its range, or a text field not NUL-padded */
		snprintf(buf, len, "%s in a %s", why, blk_type_str(h.bh_type));
		break;
	default:
		snprintf(buf, len, "%s", why);
		break;
	}
}
