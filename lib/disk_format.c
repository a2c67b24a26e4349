/*
 * ctlfile.c - the control file and the voting disks as a whole: format
 * them (racctl init), check them against the configuration (start), dump
 * them for operators (racctl dump control / vote), and the checkpoint
 * progress record that CKPT writes.
 *
 * Formatting writes every record a reader will look for first and the
 * header blocks last, the control file header after all voting disks: until
 * it is on disk, ctl_check() reads the shared disk as unformatted, so a
 * format interrupted half way never passes for a complete one and no
 * instance starts on it.  (Running init again then needs --force if some
 * voting disk was already finished: a valid voting disk header is refused
 * without it, because it may belong to a live cluster.)
 *
 * All files are fixed-size (CTL_NBLOCKS / VOTE_NBLOCKS blocks); a block
 * nobody has written yet reads as zeros, which blk_decode() reports as
 * RAC_EBLK_ZERO and the dump shows as "never written", not as corruption.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "disk.h"
#include "errors.h"

/* ---- small helpers ---------------------------------------------------- */

/* a full-length shared-disk path plus "/control.ctl" */
#define CTL_PATH_LEN	(RAC_PATH_MAX + 16)

static void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int inst_configured(const struct rac_config *cfg, int i)
{
	return i >= 1 && i <= RAC_MAX_INST && cfg->cf_inst[i].ic_number != 0;
}

/* highest configured instance number: the width of printed bitmaps */
static int inst_width(const struct rac_config *cfg)
{
	int w = 1;

	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (inst_configured(cfg, i))
			w = i;
	return w;
}

static int cfg_sane(const struct rac_config *cfg, char *err, size_t errlen)
{
	if (!cfg->cf_name[0] || !cfg->cf_shared_disk[0]) {
		errf(err, errlen, "configuration names no cluster or no shared disk");
		return RAC_EINVAL;
	}
	if (cfg->cf_nvoting < 0 || cfg->cf_nvoting > RAC_MAX_VOTING ||
	    cfg->cf_ninst < 0 || cfg->cf_ninst > RAC_MAX_INST) {
		errf(err, errlen, "configuration has %d instances and %d voting disks (at most %d and %d)",
		     cfg->cf_ninst, cfg->cf_nvoting, RAC_MAX_INST, RAC_MAX_VOTING);
		return RAC_EINVAL;
	}
	return 0;
}

static void fmt_time(uint64_t us, char *buf, size_t len)
{
	if (us)
		rac_fmt_iso(us, buf, len);
	else
		snprintf(buf, len, "-");
}

/* directory part of `path` ("." when it has none) */
static void parent_dir(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

static int fsync_dir(const char *path, char *err, size_t errlen)
{
	char dir[CTL_PATH_LEN];
	int fd, rc = 0;

	parent_dir(path, dir, sizeof(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		errf(err, errlen, "cannot sync directory %s: %s", dir, strerror(errno));
		rc = RAC_ESYS;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* encode one record and write it durably */
static int put_rec(int fd, uint32_t blkno, uint16_t type, uint32_t writer,
		   uint64_t inc, uint64_t seq, const uint8_t *payload, size_t len)
{
	uint8_t blk[RAC_BLK_SIZE];
	struct blk_hdr h = {
		.bh_type = type,
		.bh_writer = writer,
		.bh_incarnation = inc,
		.bh_sequence = seq,
	};
	int rc;

	if ((rc = blk_encode(blk, &h, payload, len)))
		return rc;
	return disk_write_block(fd, blkno, blk);
}

struct hdr_info {
	struct ctl_header hi_ctl;	/* control file */
	struct vote_header hi_vote;	/* voting disk */
	off_t hi_size;			/* file size, to catch truncation */
};

/*
 * Read and check the header block of a control file (is_ctl) or voting
 * disk.  Returns 0 with `hi` filled when it is valid; RAC_ENOENT when the
 * file does not exist; RAC_ESYS / RAC_EIO with errno; or the block or
 * payload error, with the block left in `blk` for blk_explain().
 */

static int read_header(const char *path, int is_ctl, uint8_t blk[RAC_BLK_SIZE],
		       struct hdr_info *hi)
{
	const uint8_t *p;
	struct blk_hdr h;
	struct stat st;
	int fd, rc;

	memset(hi, 0, sizeof(*hi));
	memset(blk, 0, RAC_BLK_SIZE);
	fd = disk_open(path, 0);
	if (fd < 0)
		return errno == ENOENT ? RAC_ENOENT : fd;
	if (fstat(fd, &st) == 0)
		hi->hi_size = st.st_size;
	rc = disk_read_block(fd, is_ctl ? CTL_BLK_HEADER : VOTE_BLK_HEADER, blk);
	close(fd);
	if (rc)
		return rc;
	rc = blk_decode(blk, is_ctl ? BLK_CTL_HEADER : BLK_VOTE_HEADER, &h, &p);
	if (rc)
		return rc;
	return is_ctl ? ctl_header_in(p, h.bh_length, &hi->hi_ctl) :
		vote_header_in(p, h.bh_length, &hi->hi_vote);
}

/*
 * Create (or with force reuse) a file of `nblocks` zero blocks, mode 0600,
 * open for durable writes.  Truncating to 0 first clears every record of a
 * previous format, so nothing stale survives a forced re-format.
 */
static int create_file(const char *path, uint32_t nblocks, char *err, size_t errlen)
{
	char dir[CTL_PATH_LEN];
	int fd, rc;

	parent_dir(path, dir, sizeof(dir));
	if ((rc = rac_mkdirs(dir)) != 0) {
		errf(err, errlen, "cannot create directory %s: %s", dir,
		     rc == RAC_ESYS ? strerror(errno) : rac_strerror(rc));
		return rc;
	}
	fd = open(path, O_RDWR | O_CREAT | O_DSYNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		errf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return RAC_ESYS;
	}
	if (ftruncate(fd, 0) < 0 ||
	    ftruncate(fd, (off_t)nblocks * RAC_BLK_SIZE) < 0) {
		errf(err, errlen, "cannot size %s: %s", path, strerror(errno));
		close(fd);
		return RAC_ESYS;
	}
	return fd;
}

static int finish_file(int fd, const char *path, int rc, char *err, size_t errlen)
{
	if (rc == 0 && fsync(fd) < 0) {
		errf(err, errlen, "cannot sync %s: %s", path, strerror(errno));
		rc = RAC_ESYS;
	}
	close(fd);
	return rc;
}

/* ---- ctl_format ------------------------------------------------------- */

static int format_voting(const struct rac_config *cfg, int disk, uint64_t id,
			 uint64_t now, char *err, size_t errlen)
{
	const char *path = cfg->cf_voting[disk - 1];
	uint8_t p[RAC_BLK_PAYLOAD];
	int fd, rc = 0;

	fd = create_file(path, VOTE_NBLOCKS, err, errlen);
	if (fd < 0)
		return fd;

	for (int i = 1; i <= RAC_MAX_INST && rc == 0; i++) {
		struct vote_hb hb = { .hb_inst = (uint32_t)i };
		struct vote_kill kb = { .kb_target = 0 };

		if (!inst_configured(cfg, i))
			continue;
		rc = put_rec(fd, VOTE_BLK_HB(i), BLK_HEARTBEAT, 0, 0, 1,
			     p, vote_hb_out(&hb, p));
		if (rc == 0)
			rc = put_rec(fd, VOTE_BLK_KILL(i), BLK_KILL, 0, 0, 1,
				     p, vote_kill_out(&kb, p));
	}
	if (rc == 0) {
		struct vote_header vh = {
			.vh_disk = (uint32_t)disk,
			.vh_format_us = now,
			.vh_cluster_id = id,
		};

		rac_strlcpy(vh.vh_cluster, cfg->cf_name, sizeof(vh.vh_cluster));
		rc = put_rec(fd, VOTE_BLK_HEADER, BLK_VOTE_HEADER, 0, 0, 1,
			     p, vote_header_out(&vh, p));
	}
	if (rc)
		errf(err, errlen, "cannot write voting disk %s: %s (%s)", path,
		     rac_strerror(rc), strerror(errno));
	return finish_file(fd, path, rc, err, errlen);
}

static int format_control(const struct rac_config *cfg, const char *path,
			  uint64_t id, uint64_t now, char *err, size_t errlen)
{
	uint8_t p[RAC_BLK_PAYLOAD];
	struct ctl_membership ms = { .ms_valid = 1 };
	struct ctl_cfvrr vr;
	int fd, rc;

	fd = create_file(path, CTL_NBLOCKS, err, errlen);
	if (fd < 0)
		return fd;

	memset(&vr, 0, sizeof(vr));
	rc = put_rec(fd, CTL_BLK_MEMBERSHIP, BLK_MEMBERSHIP, 0, 0, 1,
		     p, ctl_membership_out(&ms, p));
	if (rc == 0)
		rc = put_rec(fd, CTL_BLK_CFVRR, BLK_CFVRR, 0, 0, 1,
			     p, ctl_cfvrr_out(&vr, p));
	for (int i = 1; i <= RAC_MAX_INST && rc == 0; i++) {
		struct ctl_ckpt ck = { .ck_inst = (uint32_t)i };

		struct ctl_vote cv = { .cv_inst = (uint32_t)i };

		if (inst_configured(cfg, i))
			rc = put_rec(fd, CTL_BLK_CKPT(i), BLK_CKPT_PROGRESS, 0, 0, 1,
				     p, ctl_ckpt_out(&ck, p));
		if (rc == 0 && inst_configured(cfg, i))
			rc = put_rec(fd, CTL_BLK_VOTE(i), BLK_VOTE, 0, 0, 1,
				     p, ctl_vote_out(&cv, p));
	}
	if (rc == 0) {
		struct ctl_header ch = {
			.ch_max_inst = RAC_MAX_INST,
			.ch_ninst = (uint32_t)cfg->cf_ninst,
			.ch_nvoting = (uint32_t)cfg->cf_nvoting,
			.ch_format_us = now,
			.ch_cluster_id = id,
		};

		rac_strlcpy(ch.ch_cluster, cfg->cf_name, sizeof(ch.ch_cluster));
		rc = put_rec(fd, CTL_BLK_HEADER, BLK_CTL_HEADER, 0, 0, 1,
			     p, ctl_header_out(&ch, p));
	}
	if (rc)
		errf(err, errlen, "cannot write control file %s: %s (%s)", path,
		     rac_strerror(rc), strerror(errno));
	return finish_file(fd, path, rc, err, errlen);
}

static int random_id(uint64_t *id)
{
	uint8_t *p = (uint8_t *)id;
	size_t got = 0;

	while (got < sizeof(*id)) {
		ssize_t n = getrandom(p + got, sizeof(*id) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return RAC_ESYS;
		}
		got += (size_t)n;
	}
	return 0;
}

int ctl_format(const struct rac_config *cfg, int force, char *err, size_t errlen)
{
	char ctl[CTL_PATH_LEN];
	uint8_t blk[RAC_BLK_SIZE];
	struct hdr_info hi;
	uint64_t id, now;
	int rc;

	if ((rc = cfg_sane(cfg, err, errlen)))
		return rc;
	config_control_path(cfg, ctl, sizeof(ctl));

	/* refuse before touching anything, so a refusal changes nothing */
	if (!force) {
		if (read_header(ctl, 1, blk, &hi) == 0) {
			errf(err, errlen, "control file %s is already formatted for cluster '%s' (use --force to overwrite)",
			     ctl, hi.hi_ctl.ch_cluster);
			return RAC_EDISK_FORMATTED;
		}
		for (int d = 1; d <= cfg->cf_nvoting; d++) {
			if (read_header(cfg->cf_voting[d - 1], 0, blk, &hi) == 0) {
				errf(err, errlen, "voting disk %s is already formatted for cluster '%s' (use --force to overwrite)",
				     cfg->cf_voting[d - 1], hi.hi_vote.vh_cluster);
				return RAC_EDISK_FORMATTED;
			}
		}
	}

	if (random_id(&id)) {
		errf(err, errlen, "cannot get a random cluster id: %s", strerror(errno));
		return RAC_ESYS;
	}
	now = rac_now_us();

	for (int d = 1; d <= cfg->cf_nvoting; d++)
		if ((rc = format_voting(cfg, d, id, now, err, errlen)))
			return rc;
	if ((rc = format_control(cfg, ctl, id, now, err, errlen)))
		return rc;

	/* the files' directory entries must be durable too */
	for (int d = 1; d <= cfg->cf_nvoting; d++)
		if ((rc = fsync_dir(cfg->cf_voting[d - 1], err, errlen)))
			return rc;
	return fsync_dir(ctl, err, errlen);
}

/* ---- ctl_check -------------------------------------------------------- */

/* common failures of read_header(), as the one-line message and code */
static int header_failed(int rc, const char *what, const char *path,
			 const uint8_t blk[RAC_BLK_SIZE], uint16_t type,
			 char *err, size_t errlen)
{
	char why[160];

	switch (rc) {
	case RAC_ENOENT:
		errf(err, errlen, "shared disk not formatted: run 'racctl init' (%s %s does not exist)",
		     what, path);
		return RAC_EDISK_UNFORMATTED;
	case RAC_EBLK_ZERO:
	case RAC_EBLK_SHORT:
		errf(err, errlen, "shared disk not formatted: run 'racctl init' (%s %s has no header)",
		     what, path);
		return RAC_EDISK_UNFORMATTED;
	case RAC_ESYS:
	case RAC_EIO:
		errf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
		return rc;
	}
	blk_explain(blk, rc, type, why, sizeof(why));
	errf(err, errlen, "%s %s: header block is corrupt: %s", what, path, why);
	return rc;
}

static int check_size(const char *what, const char *path, off_t size,
		      uint32_t nblocks, char *err, size_t errlen)
{
	if (size >= (off_t)nblocks * RAC_BLK_SIZE)
		return 0;
	errf(err, errlen, "%s %s is truncated: %lld bytes, want %lld (run 'racctl init --force')",
	     what, path, (long long)size, (long long)nblocks * RAC_BLK_SIZE);
	return RAC_EBLK_SHORT;
}

int ctl_check(const struct rac_config *cfg, char *err, size_t errlen)
{
	char ctl[CTL_PATH_LEN];
	uint8_t blk[RAC_BLK_SIZE];
	struct hdr_info hi;
	struct ctl_header ch;
	int rc;

	if ((rc = cfg_sane(cfg, err, errlen)))
		return rc;
	config_control_path(cfg, ctl, sizeof(ctl));

	rc = read_header(ctl, 1, blk, &hi);
	if (rc)
		return header_failed(rc, "control file", ctl, blk, BLK_CTL_HEADER, err, errlen);
	ch = hi.hi_ctl;
	if (strcmp(ch.ch_cluster, cfg->cf_name) != 0) {
		errf(err, errlen, "control file %s is formatted for cluster '%s', not '%s'",
		     ctl, ch.ch_cluster, cfg->cf_name);
		return RAC_EDISK_FOREIGN;
	}
	/* the block numbers depend on RAC_MAX_INST */
	if (ch.ch_max_inst != RAC_MAX_INST) {
		errf(err, errlen, "control file %s was formatted for up to %u instances, this build has %d: run 'racctl init --force'",
		     ctl, ch.ch_max_inst, RAC_MAX_INST);
		return RAC_EBLK_VERSION;
	}
	if (ch.ch_ninst != (uint32_t)cfg->cf_ninst ||
	    ch.ch_nvoting != (uint32_t)cfg->cf_nvoting) {
		errf(err, errlen, "control file %s was formatted for %u instances and %u voting disks, the configuration has %d and %d: run 'racctl init --force'",
		     ctl, ch.ch_ninst, ch.ch_nvoting, cfg->cf_ninst, cfg->cf_nvoting);
		return RAC_ECONFIG;
	}
	if ((rc = check_size("control file", ctl, hi.hi_size, CTL_NBLOCKS, err, errlen)))
		return rc;

	for (int d = 1; d <= cfg->cf_nvoting; d++) {
		const char *vp = cfg->cf_voting[d - 1];
		struct vote_header *vh = &hi.hi_vote;

		rc = read_header(vp, 0, blk, &hi);
		if (rc)
			return header_failed(rc, "voting disk", vp, blk, BLK_VOTE_HEADER, err, errlen);
		if (strcmp(vh->vh_cluster, cfg->cf_name) != 0) {
			errf(err, errlen, "voting disk %s is formatted for cluster '%s', not '%s'",
			     vp, vh->vh_cluster, cfg->cf_name);
			return RAC_EDISK_FOREIGN;
		}
		/* a leftover from an earlier format of the same cluster */
		if (vh->vh_cluster_id != ch.ch_cluster_id) {
			errf(err, errlen, "voting disk %s belongs to another format of cluster '%s' (id 0x%016" PRIx64 ", control file has 0x%016" PRIx64 "): run 'racctl init --force'",
			     vp, vh->vh_cluster, vh->vh_cluster_id, ch.ch_cluster_id);
			return RAC_EDISK_FOREIGN;
		}
		/* also catches one file configured twice (a link, a bind mount) */
		if (vh->vh_disk != (uint32_t)d) {
			errf(err, errlen, "voting disk %s was formatted as disk %u but is configured as disk %d",
			     vp, vh->vh_disk, d);
			return RAC_ECONFIG;
		}
		if ((rc = check_size("voting disk", vp, hi.hi_size, VOTE_NBLOCKS, err, errlen)))
			return rc;
	}
	return 0;
}

/* ---- dumps ------------------------------------------------------------ */

/* bounded appender for one dump line */
struct line {
	char l_buf[1024];
	size_t l_len;
};

static void lputf(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void lputf(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->l_len >= sizeof(l->l_buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->l_buf + l->l_len, sizeof(l->l_buf) - l->l_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->l_len += (size_t)n;
	if (l->l_len >= sizeof(l->l_buf))
		l->l_len = sizeof(l->l_buf) - 1;
}

/* "110": instance 1 first, as the articles write votes */
static void lput_votes(struct line *l, uint64_t bm, int width)
{
	for (int i = 1; i <= width; i++)
		lputf(l, "%c", (bm >> (i - 1)) & 1 ? '1' : '0');
}

/* "(1 2)" */
static void lput_list(struct line *l, uint64_t bm)
{
	int first = 1;

	lputf(l, "(");
	for (int i = 1; i <= 64; i++) {
		if ((bm >> (i - 1)) & 1) {
			lputf(l, first ? "%d" : " %d", i);
			first = 0;
		}
	}
	lputf(l, first ? "none)" : ")");
}

/* "bitmap=0b011 (1 2)": a binary number, highest instance first */
static void lput_bitmap(struct line *l, const char *key, uint64_t bm, int width)
{
	lputf(l, "%s=0b", key);
	for (int i = width; i >= 1; i--)
		lputf(l, "%c", (bm >> (i - 1)) & 1 ? '1' : '0');
	/* bits beyond the configured instances would be hidden otherwise */
	if (width < 64 && bm >> width)
		lputf(l, "+0x%" PRIx64, bm >> width << width);
	lputf(l, " ");
	lput_list(l, bm);
}

static const char *hb_state_str(uint32_t s)
{
	switch (s) {
	case 0: return "down";
	case 1: return "alive";
	case 2: return "dead";
	}
	return "?";
}

/* the payload of a valid block, decoded and printed; 0 or the decode error */
static int lput_payload(struct line *l, const struct rac_config *cfg,
			const struct blk_hdr *h, const uint8_t *p)
{
	char t1[64], t2[64];
	int width = inst_width(cfg);
	int rc;

	switch (h->bh_type) {
	case BLK_CTL_HEADER: {
		struct ctl_header v;

		if ((rc = ctl_header_in(p, h->bh_length, &v)))
			return rc;
		lputf(l, "cluster=%s instances=%u voting_disks=%u max_inst=%u",
		      v.ch_cluster, v.ch_ninst, v.ch_nvoting, v.ch_max_inst);
		return 0;
	}
	case BLK_MEMBERSHIP: {
		struct ctl_membership v;

		if ((rc = ctl_membership_in(p, h->bh_length, &v)))
			return rc;
		lput_bitmap(l, "bitmap", v.ms_bitmap, width);
		lputf(l, " valid=%s incarnation=%" PRIu64 " control=%u",
		      v.ms_valid ? "yes" : "no", v.ms_incarnation, v.ms_control);
		return 0;
	}
	case BLK_VOTE: {
		struct ctl_vote v;

		if ((rc = ctl_vote_in(p, h->bh_length, &v)))
			return rc;
		lputf(l, "inst=%u vote_seq=%" PRIu64 " vote=", v.cv_inst, v.cv_seq);
		lput_votes(l, v.cv_bitmap, width);
		return 0;
	}
	case BLK_CFVRR: {
		struct ctl_cfvrr v;

		if ((rc = ctl_cfvrr_in(p, h->bh_length, &v)))
			return rc;
		lputf(l, "vote_seq=%" PRIu64 " votes:", v.vr_seq);
		for (int i = 1; i <= RAC_MAX_INST; i++) {
			if (!inst_configured(cfg, i))
				continue;
			lputf(l, " %d:", i);
			lput_votes(l, v.vr_vote[i - 1], width);
		}
		lputf(l, " result=");
		lput_votes(l, v.vr_result, width);
		lputf(l, " writer=%u incarnation=%" PRIu64 " control=%u", v.vr_result_writer,
		      v.vr_incarnation, v.vr_control);
		if (v.vr_claim_inst) {
			fmt_time(v.vr_claim_expires_us, t1, sizeof(t1));
			lputf(l, " claim=%u until %s", v.vr_claim_inst, t1);
		} else {
			lputf(l, " claim=none");
		}
		/* which vote sequence each vote was cast for */
		lputf(l, " cast_for:");
		for (int i = 1; i <= RAC_MAX_INST; i++)
			if (inst_configured(cfg, i))
				lputf(l, " %d:%" PRIu64, i, v.vr_vote_seq[i - 1]);
		return 0;
	}
	case BLK_CKPT_PROGRESS: {
		struct ctl_ckpt v;

		if ((rc = ctl_ckpt_in(p, h->bh_length, &v)))
			return rc;
		fmt_time(v.ck_time_us, t1, sizeof(t1));
		fmt_time(v.ck_started_us, t2, sizeof(t2));
		lputf(l, "inst=%u pid=%d count=%" PRIu64 " time=%s started=%s",
		      v.ck_inst, v.ck_pid, v.ck_count, t1, t2);
		return 0;
	}
	case BLK_VOTE_HEADER: {
		struct vote_header v;

		if ((rc = vote_header_in(p, h->bh_length, &v)))
			return rc;
		lputf(l, "cluster=%s disk=%u", v.vh_cluster, v.vh_disk);
		return 0;
	}
	case BLK_HEARTBEAT: {
		struct vote_hb v;

		if ((rc = vote_hb_in(p, h->bh_length, &v)))
			return rc;
		fmt_time(v.hb_time_us, t1, sizeof(t1));
		lputf(l, "inst=%u state=%s counter=%" PRIu64 " time=%s peers=",
		      v.hb_inst, hb_state_str(v.hb_state), v.hb_counter, t1);
		lput_list(l, v.hb_peers);
		if (v.hb_life)
			lputf(l, " life=%" PRIu64, v.hb_life);
		return 0;
	}
	case BLK_KILL: {
		struct vote_kill v;

		if ((rc = vote_kill_in(p, h->bh_length, &v)))
			return rc;
		if (!v.kb_target) {
			lputf(l, "target=none");
			return 0;
		}
		fmt_time(v.kb_time_us, t1, sizeof(t1));
		lputf(l, "target=%u target_inc=%" PRIu64 " target_life=%" PRIu64
		      " issuer=%u time=%s reason=\"%s\"", v.kb_target, v.kb_target_inc,
		      v.kb_target_life, v.kb_issuer, t1, v.kb_reason);
		return 0;
	}
	}
	return RAC_EBLK_TYPE;
}

/*
 * One block, one line: "block N  <type>  seq .. writer .. inc ..  <fields>",
 * or "never written", or "CORRUPT (<reason>)".  Returns 1 if the block
 * counts as corrupt.
 */
static int dump_block(FILE *out, const struct rac_config *cfg, int fd,
		      uint32_t blkno, uint16_t type)
{
	uint8_t blk[RAC_BLK_SIZE];
	const uint8_t *p;
	struct blk_hdr h;
	struct line l = { .l_len = 0 };
	char why[200];
	int rc;

	lputf(&l, "block %-2u %-26s ", blkno, blk_type_str(type));
	rc = disk_read_block(fd, blkno, blk);
	if (rc == RAC_EIO) {
		lputf(&l, "CORRUPT (%s: %s)", rac_strerror(rc), strerror(errno));
		goto corrupt;
	}
	if (rc) {
		lputf(&l, "CORRUPT (%s)", rac_strerror(rc));
		goto corrupt;
	}
	rc = blk_decode(blk, type, &h, &p);
	if (rc == RAC_EBLK_ZERO) {
		fprintf(out, "%snever written\n", l.l_buf);
		return 0;
	}
	if (rc == 0) {
		struct line pl = { .l_len = 0 };

		rc = lput_payload(&pl, cfg, &h, p);
		if (rc == 0) {
			lputf(&l, "seq %" PRIu64 "  writer %u  inc %" PRIu64 "  %s",
			      h.bh_sequence, h.bh_writer, h.bh_incarnation, pl.l_buf);
			fprintf(out, "%s\n", l.l_buf);
			return 0;
		}
	}
	blk_explain(blk, rc, type, why, sizeof(why));
	lputf(&l, "CORRUPT (%s)", why);
corrupt:
	fprintf(out, "%s\n", l.l_buf);
	return 1;
}

/* "(cluster demo, id 0x..., formatted ...)" or why there is none */
static void dump_title(FILE *out, const char *what, const char *path, int rc,
		       const char *cluster, uint64_t id, uint64_t format_us)
{
	char t[64];

	if (rc == 0) {
		fmt_time(format_us, t, sizeof(t));
		fprintf(out, "%s %s (cluster %s, id 0x%016" PRIx64 ", formatted %s)\n",
			what, path, cluster, id, t);
	} else if (rc == RAC_EBLK_ZERO || rc == RAC_EBLK_SHORT) {
		fprintf(out, "%s %s (not formatted)\n", what, path);
	} else {
		fprintf(out, "%s %s (header unreadable: %s)\n", what, path,
			rac_strerror(rc));
	}
}

int ctl_dump(const struct rac_config *cfg, FILE *out, int *ncorrupt)
{
	char ctl[CTL_PATH_LEN];
	uint8_t blk[RAC_BLK_SIZE];
	struct hdr_info hi;
	int fd, rc, bad = 0;

	if (ncorrupt)
		*ncorrupt = 0;
	config_control_path(cfg, ctl, sizeof(ctl));
	fd = disk_open(ctl, 0);
	if (fd < 0)
		return errno == ENOENT ? RAC_EDISK_UNFORMATTED : fd;

	rc = read_header(ctl, 1, blk, &hi);
	dump_title(out, "control file", ctl, rc, hi.hi_ctl.ch_cluster,
		   hi.hi_ctl.ch_cluster_id, hi.hi_ctl.ch_format_us);

	bad += dump_block(out, cfg, fd, CTL_BLK_HEADER, BLK_CTL_HEADER);
	bad += dump_block(out, cfg, fd, CTL_BLK_MEMBERSHIP, BLK_MEMBERSHIP);
	bad += dump_block(out, cfg, fd, CTL_BLK_CFVRR, BLK_CFVRR);
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (inst_configured(cfg, i))
			bad += dump_block(out, cfg, fd, CTL_BLK_CKPT(i), BLK_CKPT_PROGRESS);
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (inst_configured(cfg, i))
			bad += dump_block(out, cfg, fd, CTL_BLK_VOTE(i), BLK_VOTE);
	close(fd);

	if (ncorrupt)
		*ncorrupt = bad;
	return 0;
}

/*
 * With `disk` 0 every voting disk is dumped, and one that cannot be opened
 * (missing, or taken away by a fault) is reported and counted but does not
 * stop the others: that is exactly the situation an operator dumps for.
 */
int ctl_dump_vote(const struct rac_config *cfg, int disk, FILE *out, int *ncorrupt)
{
	uint8_t blk[RAC_BLK_SIZE];
	struct hdr_info hi;
	int first = disk ? disk : 1, last = disk ? disk : cfg->cf_nvoting;
	int bad = 0, opened = 0, rc = 0;

	if (ncorrupt)
		*ncorrupt = 0;
	if (disk < 0 || disk > cfg->cf_nvoting || cfg->cf_nvoting > RAC_MAX_VOTING)
		return RAC_EINVAL;

	for (int d = first; d <= last; d++) {
		const char *path = cfg->cf_voting[d - 1];
		char what[32];
		int fd = disk_open(path, 0);
		int e = errno;

		snprintf(what, sizeof(what), "voting disk %d", d);
		if (fd < 0) {
			rc = e == ENOENT ? RAC_EDISK_UNFORMATTED : fd;
			fprintf(out, "%s %s UNREADABLE (%s)\n", what, path, strerror(e));
			bad++;
			continue;
		}
		opened++;
		rc = read_header(path, 0, blk, &hi);
		dump_title(out, what, path, rc, hi.hi_vote.vh_cluster,
			   hi.hi_vote.vh_cluster_id, hi.hi_vote.vh_format_us);
		bad += dump_block(out, cfg, fd, VOTE_BLK_HEADER, BLK_VOTE_HEADER);
		for (int i = 1; i <= RAC_MAX_INST; i++) {
			if (!inst_configured(cfg, i))
				continue;
			bad += dump_block(out, cfg, fd, VOTE_BLK_HB(i), BLK_HEARTBEAT);
			bad += dump_block(out, cfg, fd, VOTE_BLK_KILL(i), BLK_KILL);
		}
		close(fd);
	}
	if (ncorrupt)
		*ncorrupt = bad;
	return opened ? 0 : rc;
}

/* ---- checkpoint progress record --------------------------------------- */

int ctl_write_ckpt(int fd, const struct ctl_ckpt *ck, uint64_t incarnation, uint64_t seq)
{
	uint8_t p[RAC_BLK_PAYLOAD];

	if (ck->ck_inst < 1 || ck->ck_inst > RAC_MAX_INST)
		return RAC_EINVAL;
	return put_rec(fd, CTL_BLK_CKPT(ck->ck_inst), BLK_CKPT_PROGRESS,
		       ck->ck_inst, incarnation, seq, p, ctl_ckpt_out(ck, p));
}

int ctl_read_ckpt(int fd, int inst, struct ctl_ckpt *ck, struct blk_hdr *h)
{
	uint8_t blk[RAC_BLK_SIZE];
	const uint8_t *p;
	struct blk_hdr hh;
	int rc;

	if (!h)
		h = &hh;
	memset(ck, 0, sizeof(*ck));
	if (inst < 1 || inst > RAC_MAX_INST)
		return RAC_EINVAL;
	if ((rc = disk_read_block(fd, (uint32_t)CTL_BLK_CKPT(inst), blk)))
		return rc;
	if ((rc = blk_decode(blk, BLK_CKPT_PROGRESS, h, &p)))
		return rc;
	if ((rc = ctl_ckpt_in(p, h->bh_length, ck)))
		return rc;
	/* a valid record in another instance's slot is not this one's progress */
	if (ck->ck_inst != (uint32_t)inst)
		return RAC_ERANGE;
	return 0;
}
