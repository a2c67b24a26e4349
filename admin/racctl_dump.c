/*
 * racctl_dump.c - racctl dump control / dump vote: every record of the
 * control area and the voting disks in plain text, one block a line.  The
 * control area is shown as its readers see it, by majority over its copies
 * (lib/ctl_area.h), each copy that differs named under the record.  A
 * block that fails its checks is shown as CORRUPT with the reason and
 * counted; one never written is shown as such, not as corruption.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>

#include "ctl_area.h"
#include "disk.h"
#include "errors.h"
#include "racctl.h"

/* a full-length shared-disk path plus "/control.ctl" */
#define CTL_PATH_LEN	(RAC_PATH_MAX + 16)

static void fmt_time(uint64_t us, char *buf, size_t len)
{
	if (us)
		rac_fmt_iso(us, buf, len);
	else
		snprintf(buf, len, "-");
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
	int width = ctl_inst_width(cfg);
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
	case BLK_CLUSTER_CONFIG: {
		struct ctl_config v;

		if ((rc = ctl_config_in(p, h->bh_length, &v)))
			return rc;
		for (int k = 0; k < (int)v.cg_n; k++)
			lputf(l, "%s%s=%d", k ? " " : "", config_cluster_key(k), v.cg_val[k]);
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
			if (!config_inst(cfg, i))
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
			if (config_inst(cfg, i))
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
 * One block's bytes, one line: "<prefix>block N  <type>  seq .. writer ..
 * inc ..  <fields>", or "never written", or "CORRUPT (<reason>)".  `rrc` is
 * the read's result (errno kept for RAC_EIO).  Returns 1 if the block
 * counts as corrupt.
 */
static int dump_bytes(FILE *out, const struct rac_config *cfg, const uint8_t *blk, int rrc,
		      uint32_t blkno, uint16_t type)
{
	const uint8_t *p;
	struct blk_hdr h;
	struct line l = { .l_len = 0 };
	char why[200];
	int rc;

	lputf(&l, "block %-2u %-26s ", blkno, blk_type_str(type));
	if (rrc == RAC_EIO) {
		lputf(&l, "CORRUPT (%s: %s)", rac_strerror(rrc), strerror(errno));
		goto corrupt;
	}
	if (rrc) {
		lputf(&l, "CORRUPT (%s)", rac_strerror(rrc));
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

static int dump_block(FILE *out, const struct rac_config *cfg, int fd,
		      uint32_t blkno, uint16_t type)
{
	uint8_t blk[RAC_BLK_SIZE];
	int rc = disk_read_block(fd, blkno, blk);

	return dump_bytes(out, cfg, blk, rc, blkno, type);
}

/*
 * One copy of the control area, read whole by a child process of its own,
 * so that a copy that hangs (a lost path, a disk-hang drill) costs the dump
 * that copy and the wait, never the dump: a thread stuck in the kernel on
 * a hung disk would keep racctl from exiting (a process exits only once
 * every thread has), a child stuck there is simply left behind, killed,
 * to go when its I/O returns.  The image comes back over a pipe.
 */
struct area_image {
	char ai_path[RAC_PATH_MAX + 16];
	uint32_t ai_base;
	uint8_t ai_blks[CTL_NBLOCKS][RAC_BLK_SIZE];
	int ai_rcs[CTL_NBLOCKS];
	int ai_rc, ai_err;		/* the open, or a copy that read nothing */
	int ai_busy;			/* still out when the dump gave up on it */
};

static int image_io(struct area_image *im)
{
	int fd = disk_open(im->ai_path, 0);

	if (fd < 0) {
		im->ai_err = errno;
		return im->ai_rc = RAC_ESYS;
	}
	im->ai_rc = disk_read_blocks_each(fd, im->ai_base, CTL_NBLOCKS, im->ai_blks, im->ai_rcs);
	im->ai_err = errno;
	close(fd);
	return im->ai_rc;
}

/* the child: read the image, hand it to the parent, exit without the parent's atexit work */
static void image_child(struct area_image *im, int wfd)
{
	const uint8_t *p = (const uint8_t *)im;
	size_t off = 0;
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* a child left behind must not hold the caller's output open (a pipe's EOF) */
	if (nul >= 0) {
		dup2(nul, STDIN_FILENO);
		dup2(nul, STDOUT_FILENO);
		dup2(nul, STDERR_FILENO);
	}
	image_io(im);
	while (off < sizeof(*im)) {
		ssize_t n = write(wfd, p + off, sizeof(*im) - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	_exit(off == sizeof(*im) ? 0 : 1);
}

/* every image (path and base filled in), in parallel, each bounded by `wait_ms` */
static void read_images(int n, struct area_image *img, int wait_ms)
{
	uint64_t end = rac_now_mono_ns() + (uint64_t)wait_ms * 1000000ull;
	int fds[CTL_COPIES_MAX + 1];
	pid_t pids[CTL_COPIES_MAX + 1];
	size_t got[CTL_COPIES_MAX + 1];

	for (int k = 0; k < n; k++) {
		int pfd[2];

		fds[k] = -1;
		pids[k] = -1;
		got[k] = 0;
		fflush(NULL);	/* nothing buffered to be written twice */
		if (pipe2(pfd, O_CLOEXEC) == 0 && (pids[k] = fork()) == 0) {
			close(pfd[0]);
			image_child(&img[k], pfd[1]);
		}
		if (pids[k] <= 0) {
			if (pids[k] < 0 && pfd[0] >= 0) {
				close(pfd[0]);
				close(pfd[1]);
			}
			image_io(&img[k]);	/* no child: read it here */
			continue;
		}
		close(pfd[1]);
		fds[k] = pfd[0];
		img[k].ai_busy = 1;
	}
	for (;;) {
		struct pollfd pf[CTL_COPIES_MAX + 1];
		int map[CTL_COPIES_MAX + 1], m = 0;
		uint64_t now = rac_now_mono_ns();

		for (int k = 0; k < n; k++)
			if (fds[k] >= 0) {
				pf[m] = (struct pollfd){ .fd = fds[k], .events = POLLIN };
				map[m++] = k;
			}
		if (!m || now >= end)
			break;
		if (poll(pf, (nfds_t)m, (int)((end - now) / 1000000ull) + 1) < 0 && errno != EINTR)
			break;
		for (int j = 0; j < m; j++) {
			int k = map[j];
			ssize_t r;

			if (!(pf[j].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(fds[k], (uint8_t *)&img[k] + got[k], sizeof(img[k]) - got[k]);
			if (r > 0)
				got[k] += (size_t)r;
			if (r > 0 && got[k] < sizeof(img[k]))
				continue;
			close(fds[k]);
			fds[k] = -1;
			img[k].ai_busy = 0;
			if (got[k] != sizeof(img[k])) {
				img[k].ai_rc = RAC_EIO;	/* the child died: nothing read */
				img[k].ai_err = EIO;
			}
			waitpid(pids[k], NULL, 0);
			pids[k] = -1;
		}
	}
	/* a child still out is stuck in the kernel: killed, it goes when its I/O does */
	for (int k = 0; k < n; k++)
		if (fds[k] >= 0) {
			close(fds[k]);
			kill(pids[k], SIGKILL);
			img[k].ai_busy = 1;
		}
}

/* a copy's block checked as the control area's readers check it: 0 or why not */
static int rec_check(const struct rac_config *cfg, const uint8_t *blk, uint16_t type,
		     uint64_t *seq, uint32_t *sum)
{
	const uint8_t *p;
	struct blk_hdr h;
	struct line pl = { .l_len = 0 };
	int rc = blk_decode(blk, type, &h, &p);

	if (rc == 0)
		rc = lput_payload(&pl, cfg, &h, p);
	*seq = rc ? 0 : h.bh_sequence;
	*sum = rc ? 0 : h.bh_crc;
	return rc;
}

/*
 * One record of the control area: the majority view (lib/ctl_area.h) as
 * the line, then every copy that does not hold that record, and why.
 * Returns the corrupt blocks: the record's, if no majority gives one, and
 * every copy's that fails its checks.
 */
static int dump_rec(FILE *out, const struct rac_config *cfg, const struct ctl_area *a,
		    struct area_image *img, uint32_t blkno, uint16_t type)
{
	static uint8_t blks[CTL_COPIES_MAX][RAC_BLK_SIZE];
	int rc[CTL_COPIES_MAX], errs[CTL_COPIES_MAX], best = 0, r, bad = 0;
	uint64_t seq[CTL_COPIES_MAX];
	uint32_t sum[CTL_COPIES_MAX] = { 0 };

	for (int k = 0; k < a->ca_n; k++) {
		const struct area_image *im = &img[k];

		memset(blks[k], 0, RAC_BLK_SIZE);
		seq[k] = 0;
		if (im->ai_busy || im->ai_rc) {
			rc[k] = im->ai_busy ? RAC_ETIMEDOUT : im->ai_rc;
			errs[k] = im->ai_busy ? ETIMEDOUT : im->ai_err;
		} else {
			memcpy(blks[k], im->ai_blks[blkno], RAC_BLK_SIZE);
			rc[k] = im->ai_rcs[blkno];
			errs[k] = im->ai_rcs[blkno] ? EIO : 0;
		}
		if (rc[k] == 0)
			rc[k] = rec_check(cfg, blks[k], type, &seq[k], &sum[k]);
	}
	r = ctl_merge_read(a->ca_n, rc, seq, sum, &best);
	if (r == 0) {
		bad += dump_bytes(out, cfg, blks[best], 0, blkno, type);
	} else if (r == RAC_EBLK_ZERO) {
		fprintf(out, "block %-2u %-26s never written\n", blkno, blk_type_str(type));
	} else {
		fprintf(out, "block %-2u %-26s CORRUPT (%s: %s)\n", blkno, blk_type_str(type),
			ctl_answered(r) ? "no valid record in the copies that answered" :
			"no strict majority of the copies answered", rac_strerror(r));
		bad++;
	}
	for (int k = 0; k < a->ca_n; k++) {
		char name[RAC_PATH_MAX + 48], why[200];

		if (r == 0 && rc[k] == 0 && seq[k] == seq[best])
			continue;
		if (r == RAC_EBLK_ZERO && rc[k] == RAC_EBLK_ZERO)
			continue;
		ctl_copy_name(&a->ca_copy[k], name, sizeof(name));
		if (rc[k] == 0) {
			fprintf(out, "    copy on %s: behind (seq %" PRIu64 "), brought up to date "
				"by the next write\n", name, seq[k]);
		} else if (!ctl_answered(rc[k])) {
			fprintf(out, "    copy on %s: unreadable (%s%s%s)\n", name,
				rac_strerror(rc[k]), rc[k] == RAC_EIO || rc[k] == RAC_ESYS ? ": " : "",
				rc[k] == RAC_EIO || rc[k] == RAC_ESYS ? strerror(errs[k]) : "");
		} else if (rc[k] == RAC_EBLK_ZERO) {
			fprintf(out, "    copy on %s: never written\n", name);
		} else {
			blk_explain(blks[k], rc[k], type, why, sizeof(why));
			fprintf(out, "    copy on %s: CORRUPT (%s)\n", name, why);
			bad++;
		}
	}
	return bad;
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
	struct disk_hdr_info hi;
	struct ctl_area a;
	struct area_image *img;
	int fd, rc, bad = 0, wait_ms;

	if (ncorrupt)
		*ncorrupt = 0;
	config_control_path(cfg, ctl, sizeof(ctl));
	wait_ms = cfg->cf_disktimeout_ms > 1000 ? cfg->cf_disktimeout_ms : 1000;
	/* the control file first, bounded: a hung one is said, not waited for */
	img = calloc(1, sizeof(*img));
	if (!img)
		return RAC_ENOMEM;
	snprintf(img->ai_path, sizeof(img->ai_path), "%s", ctl);
	read_images(1, img, wait_ms);
	if (img->ai_busy) {
		free(img);
		fprintf(out, "control file %s: HUNG: no answer within %d ms\n", ctl, wait_ms);
	} else {
		bool gone = img->ai_rc == RAC_ESYS && img->ai_err == ENOENT;

		free(img);
		fd = gone ? -1 : disk_open(ctl, 0);
		if (fd < 0)
			return gone || errno == ENOENT ? RAC_EDISK_UNFORMATTED : fd;
		rc = disk_read_header(ctl, 1, blk, &hi);
		dump_title(out, "control file", ctl, rc, hi.hi_ctl.ch_cluster,
			   hi.hi_ctl.ch_cluster_id, hi.hi_ctl.ch_format_us);
		bad += dump_block(out, cfg, fd, CTL_BLK_HEADER, BLK_CTL_HEADER);
		bad += dump_block(out, cfg, fd, CTL_BLK_CONFIG, BLK_CLUSTER_CONFIG);
		close(fd);
	}

	ctl_area_init(&a, cfg, 0, 0);
	fprintf(out, "control area: %d cop%s, read by majority (a strict majority must answer; "
		"of the valid records the highest sequence is shown)\n", a.ca_n,
		a.ca_n == 1 ? "y" : "ies");
	img = calloc((size_t)a.ca_n, sizeof(*img));
	if (!img)
		return RAC_ENOMEM;
	for (int k = 0; k < a.ca_n; k++) {
		snprintf(img[k].ai_path, sizeof(img[k].ai_path), "%s", a.ca_copy[k].cp_path);
		img[k].ai_base = a.ca_copy[k].cp_base;
	}
	read_images(a.ca_n, img, wait_ms);
	for (int k = 0; k < a.ca_n; k++) {
		char name[RAC_PATH_MAX + 48];

		ctl_copy_name(&a.ca_copy[k], name, sizeof(name));
		if (img[k].ai_busy)
			fprintf(out, "  copy %d on %s: HUNG: no answer within %d ms\n", k + 1, name,
				wait_ms);
		else if (img[k].ai_rc == RAC_ESYS)
			fprintf(out, "  copy %d on %s: cannot open: %s\n", k + 1, name,
				strerror(img[k].ai_err));
		else
			fprintf(out, "  copy %d on %s, from block %u\n", k + 1, name,
				a.ca_copy[k].cp_base);
	}
	bad += dump_rec(out, cfg, &a, img, CTL_BLK_MEMBERSHIP, BLK_MEMBERSHIP);
	bad += dump_rec(out, cfg, &a, img, CTL_BLK_CFVRR, BLK_CFVRR);
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (config_inst(cfg, i))
			bad += dump_rec(out, cfg, &a, img, CTL_BLK_CKPT(i), BLK_CKPT_PROGRESS);
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (config_inst(cfg, i))
			bad += dump_rec(out, cfg, &a, img, CTL_BLK_VOTE(i), BLK_VOTE);
	free(img);

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
	struct disk_hdr_info hi;
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
		rc = disk_read_header(path, 0, blk, &hi);
		dump_title(out, what, path, rc, hi.hi_vote.vh_cluster,
			   hi.hi_vote.vh_cluster_id, hi.hi_vote.vh_format_us);
		bad += dump_block(out, cfg, fd, VOTE_BLK_HEADER, BLK_VOTE_HEADER);
		for (int i = 1; i <= RAC_MAX_INST; i++) {
			if (!config_inst(cfg, i))
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
