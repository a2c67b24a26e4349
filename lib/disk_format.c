/*
 * disk_format.c - the control file and the voting disks as a whole: format
 * them (racctl init) and check them against the configuration (start).
 * racctl's dumps are admin/racctl_dump.c; the records members read and
 * write are ctl_io.c and vote_io.c.
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
int ctl_inst_width(const struct rac_config *cfg)
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

/* the header block of a control file or voting disk, checked (disk.h) */
int disk_read_header(const char *path, int is_ctl, uint8_t blk[RAC_BLK_SIZE],
		     struct disk_hdr_info *hi)
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
		rc = disk_write_rec(fd, VOTE_BLK_HB(i), BLK_HEARTBEAT, 0, 0, 1,
			     p, vote_hb_out(&hb, p));
		if (rc == 0)
			rc = disk_write_rec(fd, VOTE_BLK_KILL(i), BLK_KILL, 0, 0, 1,
				     p, vote_kill_out(&kb, p));
	}
	if (rc == 0) {
		struct vote_header vh = {
			.vh_disk = (uint32_t)disk,
			.vh_format_us = now,
			.vh_cluster_id = id,
		};

		rac_strlcpy(vh.vh_cluster, cfg->cf_name, sizeof(vh.vh_cluster));
		rc = disk_write_rec(fd, VOTE_BLK_HEADER, BLK_VOTE_HEADER, 0, 0, 1,
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
	rc = disk_write_rec(fd, CTL_BLK_MEMBERSHIP, BLK_MEMBERSHIP, 0, 0, 1,
		     p, ctl_membership_out(&ms, p));
	if (rc == 0)
		rc = disk_write_rec(fd, CTL_BLK_CFVRR, BLK_CFVRR, 0, 0, 1,
			     p, ctl_cfvrr_out(&vr, p));
	for (int i = 1; i <= RAC_MAX_INST && rc == 0; i++) {
		struct ctl_ckpt ck = { .ck_inst = (uint32_t)i };

		struct ctl_vote cv = { .cv_inst = (uint32_t)i };

		if (inst_configured(cfg, i))
			rc = disk_write_rec(fd, CTL_BLK_CKPT(i), BLK_CKPT_PROGRESS, 0, 0, 1,
				     p, ctl_ckpt_out(&ck, p));
		if (rc == 0 && inst_configured(cfg, i))
			rc = disk_write_rec(fd, CTL_BLK_VOTE(i), BLK_VOTE, 0, 0, 1,
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
		rc = disk_write_rec(fd, CTL_BLK_HEADER, BLK_CTL_HEADER, 0, 0, 1,
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
	struct disk_hdr_info hi;
	uint64_t id, now;
	int rc;

	if ((rc = cfg_sane(cfg, err, errlen)))
		return rc;
	config_control_path(cfg, ctl, sizeof(ctl));

	/* refuse before touching anything, so a refusal changes nothing */
	if (!force) {
		if (disk_read_header(ctl, 1, blk, &hi) == 0) {
			errf(err, errlen, "control file %s is already formatted for cluster '%s' (use --force to overwrite)",
			     ctl, hi.hi_ctl.ch_cluster);
			return RAC_EDISK_FORMATTED;
		}
		for (int d = 1; d <= cfg->cf_nvoting; d++) {
			if (disk_read_header(cfg->cf_voting[d - 1], 0, blk, &hi) == 0) {
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

/* common failures of disk_read_header(), as the one-line message and code */
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
	struct disk_hdr_info hi;
	struct ctl_header ch;
	int rc;

	if ((rc = cfg_sane(cfg, err, errlen)))
		return rc;
	config_control_path(cfg, ctl, sizeof(ctl));

	rc = disk_read_header(ctl, 1, blk, &hi);
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

		rc = disk_read_header(vp, 0, blk, &hi);
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
