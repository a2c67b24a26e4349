/*
 * fuzz_gv.c - the gv$ payloads racsql decodes from other processes:
 *
 *   MSG_VIEW_SNAPSHOT  an instance's SGA image from its LMON: the checks
 *                      of admin/gather.c (ask_check: header, type, sender,
 *                      size, sga_validate_view, instance and cluster) and
 *                      the copy admin/views_snap.c makes of a good one
 *                      (snap_copy)
 *   MSG_GES_DUMP       an LMS's answer to v$ges_*: the header checks of
 *                      admin/ges.c (ges_fetch) and the reads of
 *                      admin/views_fill.c (fill_ges), rows before a bad
 *                      one kept
 *
 * ask_check and snap_copy are static, and their callers own sockets, so
 * this harness includes gather.c and views_snap.c.
 *
 * Input: one mode byte, then
 *   0  a whole snapshot message, as LMON sends it to instance 1's asker
 *   1  patches to a good snapshot of instance 1 made at start-up: triples
 *      of (u16 offset into the message, little-endian; u8 byte), so that
 *      short inputs reach every field of a 44 KB image
 *   2  a whole GES dump message from instance 1's LMS
 * Properties: no crash, leak or undefined behaviour; a copy is kept only
 * when it validated, and then every count a view loops over is in bounds.
 */
#include <unistd.h>

#include "gather.c"
#include "views_snap.c"

#include "fuzz.h"

static struct rac_config cfg;
static uint8_t *good;		/* a good snapshot message, instance 1 */
static size_t good_len;

/* a good SGA image of instance 1 of FUZZ_CLUSTER: made, copied, unlinked */
static void make_good(void)
{
	struct msg_hdr h = { .mh_sender = 1 };
	struct rac_config mk;
	struct sga s;
	pid_t stale;
	size_t view = sga_view_size();

	memset(&mk, 0, sizeof(mk));
	snprintf(mk.cf_name, sizeof(mk.cf_name), "fuzz%d", (int)getpid());
	mk.cf_ninst = 1;
	mk.cf_inst[1].ic_number = 1;
	snprintf(mk.cf_inst[1].ic_name, sizeof(mk.cf_inst[1].ic_name), "RAC1");
	snprintf(mk.cf_inst[1].ic_host, sizeof(mk.cf_inst[1].ic_host), "localhost");
	FUZZ_CHECK(sga_create(&mk, 1, &s, &stale) == 0);
	snprintf(sga_hdr(&s)->sh_cluster, sizeof(sga_hdr(&s)->sh_cluster), FUZZ_CLUSTER);
	good_len = RAC_MSG_HDR + view;
	good = malloc(good_len);
	FUZZ_CHECK(good);
	h.mh_cluster = rac_msg_cluster_id(FUZZ_CLUSTER);
	FUZZ_CHECK(msg_encode_raw(good, good_len, &h, MSG_VIEW_SNAPSHOT, s.sg_base, view) ==
		   (int)good_len);
	sga_unlink(&s);
	sga_detach(&s);

	snprintf(cfg.cf_name, sizeof(cfg.cf_name), FUZZ_CLUSTER);
	cfg.cf_ninst = 1;
	cfg.cf_inst[1].ic_number = 1;
}

static void snapshot(const uint8_t *msg, size_t len)
{
	struct gather g = { .ga_cfg = &cfg, .ga_cluster_id = rac_msg_cluster_id(FUZZ_CLUSTER) };
	struct ask a = { .as_inst = 1 };
	struct snap *sn;
	struct sga copy;

	ask_check(&g, &a, msg, len);
	if (!a.as_sga) {
		FUZZ_CHECK(a.as_why[0]);
		return;
	}
	FUZZ_CHECK(a.as_len == sga_view_size());
	memset(&copy, 0, sizeof(copy));
	copy.sg_fd = -1;
	copy.sg_base = a.as_sga;
	copy.sg_size = a.as_len;
	sn = calloc(1, sizeof(*sn));
	FUZZ_CHECK(sn);
	snap_reset(sn, 1);
	snap_copy(sn, &copy);
	FUZZ_CHECK(sn->sn_nnm >= 0 && sn->sn_nnm <= RAC_NROLES);
	FUZZ_CHECK(sn->sn_ncnt >= 0 && sn->sn_ncnt <= SGA_NCOUNTERS);
	FUZZ_CHECK(sn->sn_nrcfg >= 0 && sn->sn_nrcfg <= SGA_RCFG_HIST);
	FUZZ_CHECK(strnlen(sn->sn_inst_name, sizeof(sn->sn_inst_name)) < sizeof(sn->sn_inst_name));
	free(sn);
	free(a.as_sga);
}

/* what ges_fetch takes, read as fill_ges reads it for each of the two views */
static void ges_dump(const uint8_t *msg, size_t len)
{
	uint64_t cid = rac_msg_cluster_id(FUZZ_CLUSTER);
	struct msg_ges_iter it;
	struct msg_ges_res r;
	struct msg_ges_lock l;
	const uint8_t *p;
	struct msg_hdr h;
	uint8_t *copy;

	if (msg_decode_hdr(msg, len, cid, &h, &p) || h.mh_type != MSG_GES_DUMP || h.mh_sender != 1)
		return;
	copy = malloc(h.mh_length ? h.mh_length : 1);
	FUZZ_CHECK(copy);
	memcpy(copy, p, h.mh_length);
	if (msg_ges_dump_open(copy, h.mh_length, &it) == 0)
		while (msg_ges_dump_next_res(&it, &r) == 1)
			FUZZ_CHECK(r.gr_namelen >= 1 && r.gr_namelen <= LK_NAME_MAX);
	if (msg_ges_dump_open(copy, h.mh_length, &it) == 0)
		while (msg_ges_dump_next_lock(&it, &l) == 1)
			FUZZ_CHECK(msg_lk_mode_str(l.gl_grmode) || l.gl_grmode == LK_IV);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msg;

	if (!good)
		make_good();
	if (size < 1)
		return 0;
	switch (data[0]) {
	case 0:
		snapshot(data + 1, size - 1);
		break;
	case 1:
		msg = malloc(good_len);
		FUZZ_CHECK(msg);
		memcpy(msg, good, good_len);
		for (size_t i = 1; i + 3 <= size; i += 3)
			msg[(data[i] | (size_t)data[i + 1] << 8) % good_len] = data[i + 2];
		snapshot(msg, good_len);
		free(msg);
		break;
	case 2:
		ges_dump(data + 1, size - 1);
		break;
	}
	return 0;
}
