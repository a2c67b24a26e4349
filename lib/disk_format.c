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
 * All files are fixed-size (CTL_NBLOCKS / VOTE_NBLOCKS slots of
 * RAC_SLOT_SIZE bytes); a block nobody has written yet reads as zeros, which
 * blk_decode() reports as RAC_EBLK_ZERO and the dump shows as "never
 * written", not as corruption.
 *
 * Each file may be a regular file (created, sized with ftruncate) or a
 * block device (a LUN, a partition, a loop device: never truncated, its
 * size from BLKGETSIZE64, its slots zeroed by writing); anything else is
 * refused.  A disk of format version 1 (512-byte records back to back) is
 * refused at start and by init without --force, with the fix named.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <blkid.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ctl_area.h"
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
	struct stat st;
	int fd, rc = 0;

	/* a device node is not created by us: its directory entry is not ours to sync */
	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode))
		return 0;
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
	struct disk_info di;
	int fd, rc;

	struct stat st;

	memset(hi, 0, sizeof(*hi));
	memset(blk, 0, RAC_BLK_SIZE);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return RAC_EDISK_KIND;
	fd = disk_open(path, 0);
	if (fd < 0)
		return errno == ENOENT ? RAC_ENOENT : fd;
	if (disk_fd_info(fd, &di) == 0) {
		hi->hi_size = (off_t)di.di_size;
		hi->hi_kind = di.di_kind;
		hi->hi_sector = di.di_sector;
	}
	if (hi->hi_kind == DISK_KIND_OTHER) {
		close(fd);
		return RAC_EDISK_KIND;
	}
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
 * Create (or with force reuse) a file of `nblocks` zero slots, mode 0600,
 * and open it for durable direct writes.  Truncating a file to 0 first
 * clears every record of a previous format, so nothing stale survives a
 * forced re-format; a block device cannot be truncated, so its slots are
 * written with zeros instead (its size is whatever the device is).
 */
static int zero_slots(int fd, uint32_t nblocks, int keep)
{
	static const uint8_t zero[RAC_BLK_SIZE];
	int rc = 0;

	for (uint32_t b = 0; b < nblocks && rc == 0; b++)
		if ((int)b != keep)
			rc = disk_write_block(fd, b, zero);
	return rc;
}

/* `keep`: a block that survives (the control file's format claim), -1 none */
static int create_file(const char *path, uint32_t nblocks, int keep, char *err, size_t errlen)
{
	char dir[CTL_PATH_LEN];
	struct stat st;
	struct disk_info di;
	int fd, rc;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		errf(err, errlen, "%s is neither a regular file nor a block device: a shared-disk "
		     "file must be one of the two", path);
		return RAC_EDISK_KIND;
	}
	if (stat(path, &st) == 0 && S_ISBLK(st.st_mode)) {
		fd = disk_open(path, 1);
		if (fd < 0) {
			errf(err, errlen, "cannot open device %s: %s", path, strerror(errno));
			return RAC_ESYS;
		}
		if (disk_fd_info(fd, &di) == 0 &&
		    di.di_size < (uint64_t)nblocks * RAC_SLOT_SIZE) {
			errf(err, errlen, "device %s holds %llu bytes, a shared-disk file needs %llu",
			     path, (unsigned long long)di.di_size,
			     (unsigned long long)nblocks * RAC_SLOT_SIZE);
			close(fd);
			return RAC_EBLK_SHORT;
		}
		if ((rc = zero_slots(fd, nblocks, keep))) {
			errf(err, errlen, "cannot clear device %s: %s", path, strerror(errno));
			close(fd);
			return rc;
		}
		return fd;
	}

	parent_dir(path, dir, sizeof(dir));
	if ((rc = rac_mkdirs(dir)) != 0) {
		errf(err, errlen, "cannot create directory %s: %s", dir,
		     rc == RAC_ESYS ? strerror(errno) : rac_strerror(rc));
		return rc;
	}
	/* a new file is ours alone (O_EXCL); an existing one is opened, never a link */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		errf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return RAC_ESYS;
	}
	if ((keep < 0 && ftruncate(fd, 0) < 0) ||
	    ftruncate(fd, (off_t)nblocks * RAC_SLOT_SIZE) < 0) {
		errf(err, errlen, "cannot size %s: %s", path, strerror(errno));
		close(fd);
		return RAC_ESYS;
	}
	close(fd);
	/* the records go out the way members will read them: direct */
	fd = disk_open(path, 1);
	if (fd < 0) {
		errf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return RAC_ESYS;
	}
	if (keep >= 0 && (rc = zero_slots(fd, nblocks, keep))) {
		errf(err, errlen, "cannot clear %s: %s", path, strerror(errno));
		close(fd);
		return rc;
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

static int header_failed(int rc, const char *what, const char *path,
			 const uint8_t blk[RAC_BLK_SIZE], uint16_t type,
			 char *err, size_t errlen);

/* ---- ctl_format ------------------------------------------------------- */

/*
 * Does `path` hold a file system or a partition table?  libblkid's probe,
 * as wipefs and mkfs use it: "" when nothing was found, else its type.
 */
static void probe_fs(const char *path, char *type, size_t len)
{
	blkid_probe pr;
	const char *val = NULL;

	type[0] = '\0';
	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	if (blkid_do_safeprobe(pr) == 0) {
		if (blkid_probe_lookup_value(pr, "TYPE", &val, NULL) == 0 && val)
			snprintf(type, len, "a file system (%s)", val);
		else if (blkid_probe_lookup_value(pr, "PTTYPE", &val, NULL) == 0 && val)
			snprintf(type, len, "a partition table (%s)", val);
	}
	blkid_free_probe(pr);
}

static int read_claim(int fd, struct ctl_claim *fc)
{
	uint8_t blk[RAC_BLK_SIZE];
	const uint8_t *p;
	struct blk_hdr h;
	int rc = disk_read_block(fd, CTL_BLK_CLAIM, blk);

	memset(fc, 0, sizeof(*fc));
	if (rc == 0)
		rc = blk_decode(blk, BLK_FORMAT_CLAIM, &h, &p);
	return rc ? rc : ctl_claim_in(p, h.bh_length, fc);
}

static int claim_still_ours(int fd, uint64_t id, const char *path, char *err, size_t errlen)
{
	struct ctl_claim fc;

	if (read_claim(fd, &fc) == 0 && fc.fc_id == id)
		return 0;
	errf(err, errlen, "another 'racctl init' (%s, pid %d) is formatting %s at the same time "
	     "(format id 0x%016" PRIx64 "): this one gives way; check with 'racctl dump control' "
	     "once it is done", fc.fc_host[0] ? fc.fc_host : "unknown host", (int)fc.fc_pid,
	     path, fc.fc_id);
	return RAC_EDISK_BUSY;
}

/* a claim younger than this, whose format has not written its header, is in progress */
#define CLAIM_FRESH_US	(30ull * 1000000)

/*
 * Another init's claim is in progress while its racctl lives (this host)
 * or, from another host, while it is fresh: an init that died half way does
 * not block the next one longer than that.
 */
static bool claim_in_progress(const struct ctl_claim *fc, const struct ctl_claim *ours)
{
	if (!strcmp(fc->fc_host, ours->fc_host))
		return fc->fc_pid > 0 && fc->fc_pid != ours->fc_pid && kill(fc->fc_pid, 0) == 0;
	return fc->fc_time_us + CLAIM_FRESH_US > ours->fc_time_us;
}

/*
 * Claim the disks for this format: refuse while another host's claim is in
 * progress, write ours first, let it settle, read it back.  Two hosts that
 * start at once both write; the later write wins and the earlier writer,
 * reading back a claim not its own, gives way before it has written any
 * record.  The claim lives in the control file's block 3, which the
 * format keeps (create_file()).
 */
static int claim_format(const char *ctl, uint64_t id, int settle_ms, char *err, size_t errlen)
{
	struct ctl_claim fc, ours = { .fc_id = id, .fc_time_us = rac_now_us(),
				      .fc_pid = (int32_t)getpid() };
	struct disk_hdr_info hi;
	uint8_t blk[RAC_BLK_SIZE], p[RAC_BLK_PAYLOAD];
	struct stat st;
	int fd, rc;

	gethostname(ours.fc_host, sizeof(ours.fc_host) - 1);
	if (stat(ctl, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size < (off_t)CTL_NBLOCKS * RAC_SLOT_SIZE && truncate(ctl, (off_t)CTL_NBLOCKS * RAC_SLOT_SIZE)) {
		errf(err, errlen, "cannot size %s: %s", ctl, strerror(errno));
		return RAC_ESYS;
	}
	fd = disk_open(ctl, 1);
	if (fd < 0) {
		errf(err, errlen, "cannot open %s: %s", ctl, strerror(errno));
		return RAC_ESYS;
	}
	if (read_claim(fd, &fc) == 0 && fc.fc_id && claim_in_progress(&fc, &ours) &&
	    !(disk_read_header(ctl, 1, blk, &hi) == 0 && hi.hi_ctl.ch_cluster_id == fc.fc_id)) {
		errf(err, errlen, "another 'racctl init' (%s, pid %d) began formatting %s %llu ms ago "
		     "(format id 0x%016" PRIx64 "): wait for it to finish", fc.fc_host,
		     (int)fc.fc_pid, ctl,
		     (unsigned long long)(ours.fc_time_us - fc.fc_time_us) / 1000, fc.fc_id);
		close(fd);
		return RAC_EDISK_BUSY;
	}
	rc = disk_write_rec(fd, CTL_BLK_CLAIM, BLK_FORMAT_CLAIM, 0, 0, 1, p,
			    ctl_claim_out(&ours, p));
	if (rc) {
		errf(err, errlen, "cannot write %s: %s", ctl, strerror(errno));
		close(fd);
		return rc;
	}
	usleep((useconds_t)settle_ms * 1000);
	rc = claim_still_ours(fd, id, ctl, err, errlen);
	close(fd);
	return rc;
}

/*
 * --force under a running cluster would pull the disks from under it: read
 * every heartbeat slot twice, `gap_ms` apart (two disk-heartbeat periods);
 * a live instance's counter moves.  Returns the first instance seen alive,
 * 0 none.
 */
static int live_instance(const struct rac_config *cfg, int gap_ms, const char **disk)
{
	static uint64_t first[RAC_MAX_VOTING][RAC_MAX_INST + 1];
	int fds[RAC_MAX_VOTING], alive = 0;

	for (int pass = 0; pass < 2 && !alive; pass++) {
		if (pass)
			usleep((useconds_t)gap_ms * 1000);
		for (int d = 0; d < cfg->cf_nvoting && !alive; d++) {
			if (!pass)
				fds[d] = disk_open(cfg->cf_voting[d], 0);
			if (fds[d] < 0)
				continue;
			for (int i = 1; i <= RAC_MAX_INST && !alive; i++) {
				struct vote_hb hb;
				struct blk_hdr h;

				if (vote_read_hb(fds[d], i, &hb, &h)) {
					if (!pass)
						first[d][i] = UINT64_MAX;
					continue;
				}
				if (!pass)
					first[d][i] = hb.hb_counter;
				else if (first[d][i] != UINT64_MAX && hb.hb_counter != first[d][i] &&
					 hb.hb_state == HB_STATE_ALIVE) {
					alive = i;
					*disk = cfg->cf_voting[d];
				}
			}
		}
	}
	for (int d = 0; d < cfg->cf_nvoting; d++)
		if (fds[d] >= 0)
			close(fds[d]);
	return alive;
}

/*
 * A copy of the control area's records as a fresh format has them (base:
 * the copy's block 0, ctl_area.h): a valid membership of incarnation 0 and
 * no member, an empty CFVRR, and an empty checkpoint record and vote of
 * every configured instance, all of sequence 1.
 */
static int format_ctl_records(const struct rac_config *cfg, int fd, uint32_t base)
{
	uint8_t p[RAC_BLK_PAYLOAD];
	struct ctl_membership ms = { .ms_valid = 1 };
	struct ctl_cfvrr vr;
	int rc;

	memset(&vr, 0, sizeof(vr));
	rc = disk_write_rec(fd, base + CTL_BLK_MEMBERSHIP, BLK_MEMBERSHIP, 0, 0, 1,
		     p, ctl_membership_out(&ms, p));
	if (rc == 0)
		rc = disk_write_rec(fd, base + CTL_BLK_CFVRR, BLK_CFVRR, 0, 0, 1,
			     p, ctl_cfvrr_out(&vr, p));
	for (int i = 1; i <= RAC_MAX_INST && rc == 0; i++) {
		struct ctl_ckpt ck = { .ck_inst = (uint32_t)i };
		struct ctl_vote cv = { .cv_inst = (uint32_t)i };

		if (inst_configured(cfg, i))
			rc = disk_write_rec(fd, base + CTL_BLK_CKPT(i), BLK_CKPT_PROGRESS, 0, 0, 1,
				     p, ctl_ckpt_out(&ck, p));
		if (rc == 0 && inst_configured(cfg, i))
			rc = disk_write_rec(fd, base + CTL_BLK_VOTE(i), BLK_VOTE, 0, 0, 1,
				     p, ctl_vote_out(&cv, p));
	}
	return rc;
}

static int format_voting(const struct rac_config *cfg, int disk, uint64_t id,
			 uint64_t now, char *err, size_t errlen)
{
	const char *path = cfg->cf_voting[disk - 1];
	uint8_t p[RAC_BLK_PAYLOAD];
	int fd, rc = 0;

	fd = create_file(path, VOTE_NBLOCKS, -1, err, errlen);
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
	/* its copy of the control area */
	if (rc == 0)
		rc = format_ctl_records(cfg, fd, VOTE_CTL_BASE);
	if (rc)
		errf(err, errlen, "cannot write voting disk %s: %s (%s)", path,
		     rac_strerror(rc), strerror(errno));
	return finish_file(fd, path, rc, err, errlen);
}

/* the cluster-wide keys of `cfg` (config.h) as the control file records them */
static void cluster_config_of(const struct rac_config *cfg, struct ctl_config *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->cg_n = (uint32_t)config_cluster_nkeys();
	for (int k = 0; k < config_cluster_nkeys() && k < CTL_CONFIG_MAX; k++)
		cg->cg_val[k] = config_cluster_value(cfg, k);
}

static int write_cluster_config(const struct rac_config *cfg, int fd, uint64_t seq)
{
	uint8_t p[RAC_BLK_PAYLOAD];
	struct ctl_config cg;

	cluster_config_of(cfg, &cg);
	return disk_write_rec(fd, CTL_BLK_CONFIG, BLK_CLUSTER_CONFIG, 0, 0, seq, p,
			      ctl_config_out(&cg, p));
}

static int format_control(const struct rac_config *cfg, const char *path,
			  uint64_t id, uint64_t now, char *err, size_t errlen)
{
	uint8_t p[RAC_BLK_PAYLOAD];
	int fd, rc = 0;

	fd = create_file(path, CTL_NBLOCKS, CTL_BLK_CLAIM, err, errlen);
	if (fd < 0)
		return fd;

	/* the records, when the control file is one of the copies (ctl_area.h) */
	if (ctl_file_is_copy(cfg))
		rc = format_ctl_records(cfg, fd, 0);
	/* the cluster-wide keys every start compares its own with */
	if (rc == 0)
		rc = write_cluster_config(cfg, fd, 1);
	/* the claim is still ours, or another init took over: then no header */
	if (rc == 0 && (rc = claim_still_ours(fd, id, path, err, errlen))) {
		close(fd);
		return rc;
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

static int format_locked(const struct rac_config *cfg, const char *ctl, int force,
			 char *err, size_t errlen);

/* flock on the control file (created empty if missing): fd, or RAC_EDISK_BUSY / RAC_ESYS */
static int lock_control(const char *ctl, char *err, size_t errlen)
{
	char dir[CTL_PATH_LEN];
	struct stat st;
	int fd, rc;

	if (stat(ctl, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		errf(err, errlen, "control file %s is neither a regular file nor a block device: a "
		     "shared-disk file must be one of the two", ctl);
		return RAC_EDISK_KIND;
	}
	parent_dir(ctl, dir, sizeof(dir));
	if ((rc = rac_mkdirs(dir)) != 0) {
		errf(err, errlen, "cannot create directory %s: %s", dir,
		     rc == RAC_ESYS ? strerror(errno) : rac_strerror(rc));
		return rc;
	}
	fd = disk_open_no_link(ctl, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ELOOP) {
		errf(err, errlen, "control file %s is a symbolic link to something other than "
		     "a block device: name a regular file itself, or a block device (a link "
		     "is followed only to a block device)", ctl);
		return RAC_EDISK_KIND;
	}
	if (fd < 0) {
		errf(err, errlen, "cannot open %s: %s", ctl, strerror(errno));
		return RAC_ESYS;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		errf(err, errlen, "another 'racctl init' on this host is formatting %s (it holds a "
		     "lock on it): wait for it to finish", ctl);
		close(fd);
		return errno == EWOULDBLOCK ? RAC_EDISK_BUSY : RAC_ESYS;
	}
	return fd;
}

int ctl_format(const struct rac_config *cfg, int force, char *err, size_t errlen)
{
	char ctl[CTL_PATH_LEN];
	int rc, lockfd;

	if ((rc = cfg_sane(cfg, err, errlen)))
		return rc;
	config_control_path(cfg, ctl, sizeof(ctl));
	/* one init at a time on this host: the lock is on the control file itself */
	lockfd = lock_control(ctl, err, errlen);
	if (lockfd < 0)
		return lockfd;
	rc = format_locked(cfg, ctl, force, err, errlen);
	close(lockfd);
	return rc;
}

/*
 * An existing file or device whose first slot is neither all zero nor a
 * racrt block: somebody's data.  (A racrt header was judged before.)
 */
static bool foreign_data(const char *path)
{
	uint8_t blk[RAC_BLK_SIZE] = { 0 };
	struct blk_hdr h;
	int fd = disk_open_no_link(path, O_RDONLY | O_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0)
		return false;	/* not there yet, or said when it is opened to format */
	n = pread(fd, blk, sizeof(blk), 0);
	close(fd);
	if (n <= 0)
		return false;	/* empty: nothing to lose */
	/* a short file too: what it holds is somebody's */
	return blk_decode(blk, 0, &h, NULL) == RAC_EBLK_MAGIC;
}

static int format_locked(const struct rac_config *cfg, const char *ctl, int force,
			 char *err, size_t errlen)
{
	uint8_t blk[RAC_BLK_SIZE];
	struct disk_hdr_info hi;
	uint64_t id, now;
	int rc, live;

	/*
	 * A shared-disk file is a regular file or a block device: refuse
	 * anything else first.  A symbolic link is taken only to a block
	 * device (a udev or multipath alias); one to a file could have been
	 * planted in a shared directory, and --force does not change that.
	 */
	for (int d = 0; d <= cfg->cf_nvoting; d++) {
		const char *path = d ? cfg->cf_voting[d - 1] : ctl;
		const char *what = d ? "voting disk" : "control file";
		struct stat st, lst;

		if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) &&
		    (stat(path, &st) != 0 || !S_ISBLK(st.st_mode))) {
			errf(err, errlen, "%s %s is a symbolic link to something other than a block "
			     "device: name a regular file itself, or a block device (a link is "
			     "followed only to a block device)", what, path);
			return RAC_EDISK_KIND;
		}
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
			errf(err, errlen, "%s %s is neither a regular file nor a block device: a "
			     "shared-disk file must be one of the two", what, path);
			return RAC_EDISK_KIND;
		}
	}

	/* refuse before touching anything, so a refusal changes nothing */
	if (!force) {
		rc = disk_read_header(ctl, 1, blk, &hi);
		if (rc == 0) {
			errf(err, errlen, "control file %s is already formatted for cluster '%s' (use --force to overwrite)",
			     ctl, hi.hi_ctl.ch_cluster);
			return RAC_EDISK_FORMATTED;
		}
		if (rc == RAC_EBLK_VERSION || rc == RAC_EDISK_KIND)
			return header_failed(rc, "control file", ctl, blk, BLK_CTL_HEADER, err, errlen);
		for (int d = 1; d <= cfg->cf_nvoting; d++) {
			const char *vp = cfg->cf_voting[d - 1];

			rc = disk_read_header(vp, 0, blk, &hi);
			if (rc == 0) {
				errf(err, errlen, "voting disk %s is already formatted for cluster '%s' (use --force to overwrite)",
				     vp, hi.hi_vote.vh_cluster);
				return RAC_EDISK_FORMATTED;
			}
			if (rc == RAC_EBLK_VERSION || rc == RAC_EDISK_KIND)
				return header_failed(rc, "voting disk", vp, blk, BLK_VOTE_HEADER,
						     err, errlen);
		}
		/* a file system, or a partition table: somebody's data, not ours to wipe */
		for (int d = 0; d <= cfg->cf_nvoting; d++) {
			const char *path = d ? cfg->cf_voting[d - 1] : ctl;
			char type[96];

			probe_fs(path, type, sizeof(type));
			if (!type[0] && foreign_data(path))
				snprintf(type, sizeof(type), "data that is not a racrt disk (its first "
					 "4 KiB are neither zero nor a racrt block)");
			if (type[0]) {
				errf(err, errlen, "%s %s holds %s: refusing to format it (use --force "
				     "to overwrite it)", d ? "voting disk" : "control file", path, type);
				return RAC_EDISK_FS;
			}
		}
	} else {
		const char *disk = NULL;

		live = live_instance(cfg, 2 * cfg->cf_disk_heartbeat_interval_ms, &disk);
		if (live) {
			const struct rac_inst_cfg *ic = config_inst(cfg, live);

			errf(err, errlen, "instance %d%s%s%s is alive on voting disk %s (its disk "
			     "heartbeat moves): stop every instance of the cluster before 'racctl "
			     "init --force'", live, ic ? " (" : "", ic ? ic->ic_name : "", ic ? ")" : "",
			     disk);
			return RAC_EDISK_LIVE;
		}
	}

	if (random_id(&id)) {
		errf(err, errlen, "cannot get a random cluster id: %s", strerror(errno));
		return RAC_ESYS;
	}
	now = rac_now_us();
	/* the settle outlasts a disk-heartbeat period, at least half a second */
	if ((rc = claim_format(ctl, id, cfg->cf_disk_heartbeat_interval_ms > 500 ?
			       cfg->cf_disk_heartbeat_interval_ms : 500, err, errlen)))
		return rc;

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
	case RAC_EBLK_VERSION:
		errf(err, errlen, "%s %s was formatted by an earlier racrt (512-byte records): stop "
		     "the cluster cleanly and run 'racctl init --force'", what, path);
		return rc;
	case RAC_EDISK_KIND:
		errf(err, errlen, "%s %s is neither a regular file nor a block device: a "
		     "shared-disk file must be one of the two", what, path);
		return rc;
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
	if (size >= (off_t)nblocks * RAC_SLOT_SIZE)
		return 0;
	errf(err, errlen, "%s %s is truncated: %lld bytes, want %lld (run 'racctl init --force')",
	     what, path, (long long)size, (long long)nblocks * RAC_SLOT_SIZE);
	return RAC_EBLK_SHORT;
}

/*
 * A voting disk large enough but formatted before the control area had
 * copies (a block device, which is never truncated) has nothing at
 * VOTE_CTL_BASE.  When not one voting disk holds its copy's membership
 * record, the disks are of that format: say so, rather than leave LMON
 * to wait for a majority that was never written.
 */
static int copies_formatted(const struct rac_config *cfg, char *err, size_t errlen)
{
	uint8_t blk[RAC_BLK_SIZE];
	struct blk_hdr h;
	int zero = 0;

	for (int d = 1; d <= cfg->cf_nvoting; d++) {
		int fd = disk_open(cfg->cf_voting[d - 1], 0);

		if (fd < 0)
			return 0;	/* said by the caller's own checks, or by LMON */
		if (disk_read_block(fd, VOTE_CTL_BASE + CTL_BLK_MEMBERSHIP, blk) == 0 &&
		    blk_decode(blk, BLK_MEMBERSHIP, &h, NULL) == RAC_EBLK_ZERO)
			zero++;
		close(fd);
	}
	if (zero < cfg->cf_nvoting)
		return 0;
	errf(err, errlen, "voting disks %s... hold no copy of the control area: they were "
	     "formatted by an earlier racrt; stop the cluster cleanly and run 'racctl init --force'",
	     cfg->cf_voting[0]);
	return RAC_EBLK_VERSION;
}

/*
 * One configuration for the cluster: this host's cluster-wide keys against
 * those racctl init (or config push) recorded.  Every key that differs is
 * named, with both values and the way to change it for everyone.
 */
static int cluster_config_same(const struct rac_config *cfg, const char *ctl, char *err,
			       size_t errlen)
{
	uint8_t blk[RAC_BLK_SIZE];
	const uint8_t *p;
	struct blk_hdr h;
	struct ctl_config rec, mine;
	size_t off = 0;
	int fd = disk_open(ctl, 0), rc;

	if (fd < 0) {
		errf(err, errlen, "cannot open control file %s: %s", ctl, strerror(errno));
		return RAC_ESYS;
	}
	rc = disk_read_block(fd, CTL_BLK_CONFIG, blk);
	close(fd);
	if (rc == 0)
		rc = blk_decode(blk, BLK_CLUSTER_CONFIG, &h, &p);
	if (rc == 0)
		rc = ctl_config_in(p, h.bh_length, &rec);
	if (rc) {
		errf(err, errlen, "control file %s holds no valid record of the cluster-wide "
		     "configuration (%s): with every instance stopped, run 'racctl config push' "
		     "from a host whose configuration is the cluster's", ctl, rac_strerror(rc));
		return rc == RAC_EBLK_ZERO ? RAC_ECONFIG : rc;
	}
	cluster_config_of(cfg, &mine);
	for (int k = 0; k < config_cluster_nkeys() && k < CTL_CONFIG_MAX; k++) {
		int n;

		if (k >= (int)rec.cg_n || rec.cg_val[k] == mine.cg_val[k])
			continue;	/* a key added since the record: not compared */
		n = snprintf(err + off, off < errlen ? errlen - off : 0, "%s%s = %d here, %d in "
			     "the cluster", off ? "; " : "this host's configuration differs from the "
			     "cluster's (recorded in the control file by racctl init or config "
			     "push): ", config_cluster_key(k), mine.cg_val[k], rec.cg_val[k]);
		if (n > 0)
			off += (size_t)n;
	}
	if (!off)
		return 0;
	if (off < errlen)
		snprintf(err + off, errlen - off, ". Use the cluster's values, or change them for "
			 "every host at once: stop every instance, edit the configuration on every "
			 "host, then 'racctl config push'");
	return RAC_ECONFIG;
}

/* the configuration is sane and the control file holds this cluster's header */
static int own_control(const struct rac_config *cfg, char *ctl, struct disk_hdr_info *hi,
		       char *err, size_t errlen)
{
	uint8_t blk[RAC_BLK_SIZE];
	int rc;

	if ((rc = cfg_sane(cfg, err, errlen)))
		return rc;
	config_control_path(cfg, ctl, CTL_PATH_LEN);
	rc = disk_read_header(ctl, 1, blk, hi);
	if (rc)
		return header_failed(rc, "control file", ctl, blk, BLK_CTL_HEADER, err, errlen);
	if (strcmp(hi->hi_ctl.ch_cluster, cfg->cf_name) != 0) {
		errf(err, errlen, "control file %s is formatted for cluster '%s', not '%s'",
		     ctl, hi->hi_ctl.ch_cluster, cfg->cf_name);
		return RAC_EDISK_FOREIGN;
	}
	return 0;
}

int ctl_check(const struct rac_config *cfg, char *err, size_t errlen)
{
	char ctl[CTL_PATH_LEN];
	uint8_t blk[RAC_BLK_SIZE];
	struct disk_hdr_info hi;
	struct ctl_header ch;
	int rc;

	if ((rc = own_control(cfg, ctl, &hi, err, errlen)))
		return rc;
	ch = hi.hi_ctl;
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
	if ((rc = copies_formatted(cfg, err, errlen)))
		return rc;
	return cluster_config_same(cfg, ctl, err, errlen);
}

int ctl_config_push(const struct rac_config *cfg, char *err, size_t errlen)
{
	char ctl[CTL_PATH_LEN];
	uint8_t blk[RAC_BLK_SIZE];
	struct disk_hdr_info hi;
	const char *disk = NULL;
	struct blk_hdr h;
	uint64_t seq = 1;
	int fd, rc, live;

	if ((rc = own_control(cfg, ctl, &hi, err, errlen)))
		return rc;
	/* never two values in force at once: only with the whole cluster down */
	live = live_instance(cfg, 2 * cfg->cf_disk_heartbeat_interval_ms, &disk);
	if (live) {
		const struct rac_inst_cfg *ic = config_inst(cfg, live);

		errf(err, errlen, "instance %d%s%s%s is alive on voting disk %s (its disk heartbeat "
		     "moves): stop every instance of the cluster before 'racctl config push'", live,
		     ic ? " (" : "", ic ? ic->ic_name : "", ic ? ")" : "", disk);
		return RAC_EDISK_LIVE;
	}
	fd = disk_open(ctl, 1);
	if (fd < 0) {
		errf(err, errlen, "cannot open control file %s: %s", ctl, strerror(errno));
		return RAC_ESYS;
	}
	if (disk_read_block(fd, CTL_BLK_CONFIG, blk) == 0 &&
	    blk_decode(blk, BLK_CLUSTER_CONFIG, &h, NULL) == 0)
		seq = h.bh_sequence + 1;
	rc = write_cluster_config(cfg, fd, seq);
	close(fd);
	if (rc)
		errf(err, errlen, "cannot write control file %s: %s (%s)", ctl, rac_strerror(rc),
		     strerror(errno));
	return rc;
}
