/*
 * css_disk.c - disk heartbeats on the voting disks, and our own lease.
 *
 * No shared-disk I/O runs on LMON's thread: each voting disk has its own
 * I/O worker (lib/aio.h), and LMON hands it the I/O and collects the
 * results on later ticks, so a disk that does not answer costs that disk,
 * never the network heartbeats, the NM slot or the decisions.
 *
 * Every disk_heartbeat_interval_ms a round begins: each disk's worker opens
 * the disk afresh (a disk that went away, or came back, under its path is
 * seen within one round, as on a real LUN), writes our slot (durable:
 * O_DSYNC) and reads every instance's heartbeat and kill blocks back in one
 * I/O.  A peer whose counter has not moved for disktimeout_ms has let its
 * lease run out; a peer whose slot says DOWN or DEAD has confirmed that it
 * is gone; a kill block addressed to us stops us (rule 3).
 *
 * An I/O outstanding longer than the I/O timeout (timeouts.h) has failed:
 * its disk is not accessible for the majority rule and shows HUNG, with the
 * age of its oldest I/O, until the I/O returns; its worker takes no new
 * I/O meanwhile, so the disk holds one thread and one op, however long it
 * hangs.
 *
 * Our own lease: the start of the last round whose heartbeat reached a
 * strict majority of the voting disks.  Once it is older than disktimeout_ms
 * the others may already treat us as dead and recover our work, so from
 * then on this instance writes nothing to the shared disk
 * (lmon_fence_exit()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aio.h"
#include "disk.h"
#include "errors.h"
#include "lmon.h"
#include "log.h"
#include "ratelim.h"

#define COMP "CSS"

/* a kill block on its way to one disk: the op's argument */
struct kill_op {
	struct css_vdisk *ko_vk;
	uint64_t ko_id;
	int ko_busy;			/* handed to the worker, not collected */
	int ko_counted;			/* its outcome is in the target's tally */
	struct vote_kill ko_kb;
	uint64_t ko_inc, ko_seq;
	uint64_t ko_start_ns;
	int ko_rc;			/* worker's */
	int ko_errno;
};

/* one voting disk: its worker, the fd only the worker touches, its ops */
struct css_vdisk {
	struct aio *vk_aio;		/* NULL: the thread could not start */
	const char *vk_path;
	int vk_fd;			/* the worker's; -1 closed */
	int vk_me;
	/* the first read of our own slot (css_disk_init) */
	uint64_t vk_init_id;
	int vk_init_rc;
	struct vote_hb vk_init_hb;
	struct blk_hdr vk_init_h;
	/* the round's op: open, write our slot, read the slot range */
	uint64_t vk_id;
	int vk_busy;
	uint64_t vk_round;		/* the round it belongs to */
	struct vote_hb vk_hb;		/* in: our heartbeat */
	uint64_t vk_inc, vk_seq;
	uint64_t vk_life;		/* in: this life of ours, for the kill block */
	int vk_ro;			/* in: read only (our lease lapsed) */
	int vk_killed;			/* out: a kill block for us: not written */
	uint32_t vk_first, vk_count;	/* in: the blocks read back */
	int vk_open_rc, vk_write_rc, vk_read_rc;	/* out */
	struct disk_info vk_di;		/* out: what the disk just opened is */
	int vk_di_ok;
	int vk_open_errno, vk_write_errno, vk_read_errno;
	uint64_t vk_read_ns, vk_read_us;	/* out: when the read came back */
	uint64_t vk_read_start_ns;	/* out: when it was issued */
	uint8_t (*vk_blks)[RAC_BLK_SIZE];	/* out: VOTE_SLOTS_END at most */
	int vk_blk_rc[VOTE_NBLOCKS];	/* out: each block's read error (a bad sector) */
	struct ratelim vk_bad[RAC_MAX_INST + 1];	/* a peer's slot that does not read */
	/* what the last good read showed, for kill blocks */
	int vk_seen[RAC_MAX_INST + 1];
	struct vote_hb vk_peer_hb[RAC_MAX_INST + 1];
	uint64_t vk_peer_inc[RAC_MAX_INST + 1];
	uint64_t vk_kill_seq[RAC_MAX_INST + 1];
	struct kill_op vk_kill[RAC_MAX_INST + 1];
};

/* a kill block for one target, written to every disk: one alert when all answered */
struct css_kill {
	int ck_pending;
	uint64_t ck_target_inc;
	int ck_written;
	char ck_why[64];
};

struct css_disks {
	struct css_vdisk cd_vk[RAC_MAX_VOTING];
	struct css_kill cd_kill[RAC_MAX_INST + 1];
};

static uint64_t io_timeout_ns(const struct lmon *l)
{
	return (uint64_t)l->l_m->m_to.to_io_timeout_ms * 1000000ull;
}

/* --- on the worker threads: I/O only, results into the op --- */

static int init_io(void *arg)
{
	struct css_vdisk *vk = arg;

	vk->vk_fd = disk_open(vk->vk_path, 1);
	if (vk->vk_fd < 0)
		return RAC_ESYS;
	vk->vk_di_ok = disk_fd_info(vk->vk_fd, &vk->vk_di) == 0;
	vk->vk_init_rc = vote_read_hb(vk->vk_fd, vk->vk_me, &vk->vk_init_hb, &vk->vk_init_h);
	return 0;
}

/* re-read our own slot on the fd init_io opened: is another life writing it? */
static int watch_io(void *arg)
{
	struct css_vdisk *vk = arg;

	if (vk->vk_fd < 0)
		return RAC_ESYS;
	vk->vk_init_rc = vote_read_hb(vk->vk_fd, vk->vk_me, &vk->vk_init_hb, &vk->vk_init_h);
	return 0;
}

/*
 * Is the kill block read back addressed to this life of ours?  Pure, so
 * the worker can ask before it writes.  "Us" is explained at check_kill().
 */
static bool kill_for_us(const uint8_t *blk, int me, uint64_t inc, uint64_t life,
			struct vote_kill *kb)
{
	const uint8_t *payload;
	struct blk_hdr h;

	if (!inc || !blk)
		return false;	/* not a member of any incarnation yet */
	if (blk_decode(blk, BLK_KILL, &h, &payload) || vote_kill_in(payload, h.bh_length, kb))
		return false;
	if (kb->kb_target != (uint32_t)me)
		return false;
	return kb->kb_target_life ? kb->kb_target_life == life : kb->kb_target_inc == inc;
}

static const uint8_t *blk_of(const struct css_vdisk *vk, uint32_t blkno)
{
	if (blkno < vk->vk_first || blkno >= vk->vk_first + vk->vk_count ||
	    vk->vk_blk_rc[blkno - vk->vk_first])
		return NULL;
	return vk->vk_blks[blkno - vk->vk_first];
}

/*
 * The slots are read first and our own written after, unless the read
 * shows a kill block addressed to us: an instance the cluster went on
 * without writes nothing more (rule 3), not even the heartbeat of the
 * round in which it learns it.
 */
static int round_io(void *arg)
{
	struct css_vdisk *vk = arg;
	struct vote_kill kb;

	vk->vk_write_rc = vk->vk_read_rc = RAC_EIO;
	vk->vk_write_errno = vk->vk_read_errno = 0;
	vk->vk_killed = 0;
	if (vk->vk_fd >= 0 && !vk->vk_ro) {
		close(vk->vk_fd);
		vk->vk_fd = -1;
	}
	if (vk->vk_fd < 0)
		vk->vk_fd = disk_open(vk->vk_path, 1);
	vk->vk_open_rc = vk->vk_fd < 0 ? RAC_ESYS : 0;
	vk->vk_open_errno = errno;
	if (vk->vk_fd < 0)
		return vk->vk_open_rc;
	vk->vk_di_ok = disk_fd_info(vk->vk_fd, &vk->vk_di) == 0;
	vk->vk_read_start_ns = rac_now_mono_ns();
	vk->vk_read_rc = disk_read_blocks_each(vk->vk_fd, vk->vk_first, vk->vk_count, vk->vk_blks,
					       vk->vk_blk_rc);
	vk->vk_read_errno = errno;
	vk->vk_read_ns = rac_now_mono_ns();
	vk->vk_read_us = rac_now_us();
	if (vk->vk_ro)
		return 0;
	if (vk->vk_read_rc == 0 && kill_for_us(blk_of(vk, VOTE_BLK_KILL(vk->vk_me)), vk->vk_me,
					       vk->vk_inc, vk->vk_life, &kb)) {
		vk->vk_killed = 1;
		vk->vk_write_errno = EPERM;
		return 0;
	}
	vk->vk_write_rc = vote_write_hb(vk->vk_fd, vk->vk_me, &vk->vk_hb, vk->vk_inc, vk->vk_seq);
	vk->vk_write_errno = errno;
	return 0;
}

static int kill_io(void *arg)
{
	struct kill_op *ko = arg;

	if (ko->ko_vk->vk_fd < 0) {
		errno = EBADF;
		return RAC_EIO;
	}
	ko->ko_rc = vote_write_kill(ko->ko_vk->vk_fd, &ko->ko_kb, ko->ko_inc, ko->ko_seq);
	return ko->ko_rc;
}

/* --- on LMON's thread --- */

/* what the disk just opened is: v$voting_disk's KIND, SECTOR_SIZE, DIRECT_IO */
static void vdisk_opened(struct lmon *l, int d)
{
	struct css_vdisk *vk = &l->l_disks->cd_vk[d];
	struct sga_vdisk *v = sga_vdisk(&l->l_m->m_sga, d);
	const struct disk_info *di = &vk->vk_di;

	if (!vk->vk_di_ok)
		return;
	sga_store(&v->vd_kind, di->di_kind == DISK_KIND_BLOCK ? (uint32_t)VDISK_KIND_BLOCK :
		  di->di_kind == DISK_KIND_FILE ? (uint32_t)VDISK_KIND_FILE :
		  (uint32_t)VDISK_KIND_UNKNOWN);
	sga_store(&v->vd_sector_size, di->di_sector);
	sga_store(&v->vd_direct, di->di_direct);
}

/*
 * One life per instance number: our slot still says ALIVE for another life
 * (another start of this number, on another host, or a life that died
 * without confirming).  The number is a lease on the voting disks: we take
 * it only once its counter has stood still for disktimeout_ms (plus the I/O
 * timeout) on our clock.  A counter that moves meanwhile is a live instance
 * with our number: this start is refused and writes nothing.
 */
static bool number_is_free(struct lmon *l, char *err, size_t errlen)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	struct css_disks *cd = l->l_disks;
	uint64_t life = sga_hdr(&l->l_m->m_sga)->sh_startup_us, seen = 0, other = 0, end, id;
	int held = 0;

	for (int d = 0; d < cfg->cf_nvoting; d++) {
		const struct css_vdisk *vk = &cd->cd_vk[d];

		if (vk->vk_fd >= 0 && vk->vk_init_rc == 0 &&
		    vk->vk_init_hb.hb_state == HB_STATE_ALIVE && vk->vk_init_hb.hb_life != life) {
			held = 1;
			other = vk->vk_init_hb.hb_life;
			if (vk->vk_init_hb.hb_counter > seen)
				seen = vk->vk_init_hb.hb_counter;
		}
	}
	if (!held)
		return true;
	log_info(COMP, "our slot says ALIVE for another life of instance %d (counter %llu): "
		 "waiting up to %d ms for it to stand still", l->l_me, (unsigned long long)seen,
		 cfg->cf_disktimeout_ms + (int)l->l_m->m_to.to_io_timeout_ms);
	end = rac_now_mono_ns() + (uint64_t)cfg->cf_disktimeout_ms * 1000000ull + io_timeout_ns(l);
	while (rac_now_mono_ns() < end) {
		rac_sleep_ms(cfg->cf_disk_heartbeat_interval_ms / 2 + 1);
		for (int d = 0; d < cfg->cf_nvoting; d++) {
			struct css_vdisk *vk = &cd->cd_vk[d];
			int rc = 0;

			if (!vk->vk_aio || vk->vk_fd < 0 || aio_outstanding(vk->vk_aio) ||
			    aio_submit(vk->vk_aio, watch_io, vk, &id))
				continue;
			if (aio_wait(vk->vk_aio, id, (int)l->l_m->m_to.to_io_timeout_ms, &rc, NULL) != 1) {
				aio_abandon(vk->vk_aio, id);
				continue;
			}
			if (vk->vk_init_rc || vk->vk_init_hb.hb_life == life)
				continue;
			if (vk->vk_init_hb.hb_state != HB_STATE_ALIVE)
				return true;	/* it confirmed its end meanwhile */
			if (vk->vk_init_hb.hb_counter > seen) {
				char when[40];

				member_count(l->l_m, CNT_NUMBER_IN_USE);
				rac_fmt_iso(other, when, sizeof(when));
				snprintf(err, errlen, "instance number %d is in use: its heartbeat on "
					 "voting disk %d moves (a live instance, started %s by its "
					 "host's clock); this start writes nothing", l->l_me, d + 1,
					 when);
				log_alert("Start refused: %s", err);
				sga_store(&sga_cluster(&l->l_m->m_sga)->cl_no_disk_writes, 1u);
				return false;
			}
		}
	}
	log_info(COMP, "the other life's counter stood still for the lease: the number is ours");
	return true;
}

int css_disk_init(struct lmon *l, char *err, size_t errlen)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	struct css_disks *cd = calloc(1, sizeof(*cd));
	uint64_t deadline;

	if (!cd) {
		snprintf(err, errlen, "out of memory for the voting disks");
		return -1;
	}
	l->l_disks = cd;
	sga_store(&sga_cluster(&l->l_m->m_sga)->cl_lease_len_ns,
		  (uint64_t)cfg->cf_disktimeout_ms * 1000000ull);
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct css_vdisk *vk = &cd->cd_vk[d];
		char name[16];

		snprintf(name, sizeof(name), "vdisk%d", d + 1);
		vk->vk_path = cfg->cf_voting[d];
		vk->vk_fd = -1;
		vk->vk_me = l->l_me;
		/* aligned for direct I/O, whatever the sector size */
		if (posix_memalign((void **)&vk->vk_blks, 4096, (size_t)VOTE_SLOTS_END * RAC_BLK_SIZE))
			vk->vk_blks = NULL;
		vk->vk_aio = aio_new(name, AIO_DEPTH_MAX, io_timeout_ns(l));
		if (!vk->vk_blks || !vk->vk_aio) {
			snprintf(err, errlen, "cannot start the I/O worker of voting disk %d: %s",
				 d + 1, strerror(errno));
			return -1;
		}
		if (aio_submit(vk->vk_aio, init_io, vk, &vk->vk_init_id))
			vk->vk_init_id = 0;
	}
	/* our counter carries on, so it never goes back: each disk answers within the I/O timeout */
	deadline = rac_now_mono_ns() + io_timeout_ns(l);
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct css_vdisk *vk = &cd->cd_vk[d];
		uint64_t now = rac_now_mono_ns();
		int rc = RAC_ETIMEDOUT, e = 0, done;

		if (!vk->vk_init_id)
			continue;
		done = aio_wait(vk->vk_aio, vk->vk_init_id,
				now < deadline ? (int)((deadline - now) / 1000000) + 1 : 0, &rc, &e);
		if (done != 1) {
			/* still running: the round rules will see the disk HUNG */
			aio_abandon(vk->vk_aio, vk->vk_init_id);
			vk->vk_init_id = 0;
			continue;
		}
		vk->vk_init_id = 0;
		if (rc) {
			/* a missing disk is for the voting rules to judge, not a start failure */
			vdisk_state(l, d, VDISK_OFFLINE, strerror(e));
			continue;
		}
		vdisk_opened(l, d);
		if (vk->vk_init_rc == 0) {
			if (vk->vk_init_hb.hb_counter > l->l_disk_counter)
				l->l_disk_counter = vk->vk_init_hb.hb_counter;
			l->l_disk_seq[d] = vk->vk_init_h.bh_sequence;
		}
	}
	return number_is_free(l, err, errlen) ? 0 : -1;
}

/* decode instance i's heartbeat slot from a block read back */
static int decode_hb(const uint8_t *blk, int i, struct vote_hb *hb, struct blk_hdr *h)
{
	const uint8_t *payload;
	int rc = blk_decode(blk, BLK_HEARTBEAT, h, &payload);

	if (rc)
		return rc;
	rc = vote_hb_in(payload, h->bh_length, hb);
	if (rc == 0 && hb->hb_inst != (uint32_t)i)
		rc = RAC_ERANGE;
	return rc;
}

/*
 * Instance i's slot on disk d does not read (a bad sector, a corrupt
 * block): what this disk says of it is unknown, nothing more.  Its lease
 * runs on what the other disks show (pr_disk_counter is the highest any of
 * them shows), so one bad slot evicts nobody.  Counted every time; one alert
 * line when it starts, one when it reads again; the trace rate-limited.
 */
static void bad_slot(struct lmon *l, int d, int i, int rc, uint64_t now_ns)
{
	struct css_vdisk *vk = &l->l_disks->cd_vk[d];
	struct sga_vdisk *v = sga_vdisk(&l->l_m->m_sga, d);
	struct ratelim *rl = &vk->vk_bad[i];
	bool say = ratelim_hit(rl, now_ns);

	if (rc == RAC_EIO) {
		v->vd_read_errors++;
		member_count(l->l_m, CNT_DISK_IO_ERRORS);
	} else {
		v->vd_corrupt++;
		member_count(l->l_m, CNT_DISK_BLOCKS_CORRUPT);
	}
	if (rl->rl_started)
		log_alert("Voting disk %d (%s): heartbeat slot of instance %d is unreadable (%s); "
			  "instance %d is judged by the other voting disks until it reads again",
			  d + 1, v->vd_path, i, rac_strerror(rc), i);
	if (say)
		log_warn(COMP, "voting disk %d: heartbeat slot of instance %d: %s (%llu failed "
			 "read%s in a row)", d + 1, i, rac_strerror(rc),
			 (unsigned long long)rl->rl_count, rl->rl_count == 1 ? "" : "s");
}

static void slot_readable(struct lmon *l, int d, int i, uint64_t now_ns)
{
	struct css_vdisk *vk = &l->l_disks->cd_vk[d];
	struct ratelim *rl = &vk->vk_bad[i];

	if (ratelim_clear(rl))
		log_alert("Voting disk %d (%s): heartbeat slot of instance %d reads again (%llu "
			  "failed reads over %llu ms)", d + 1, sga_vdisk(&l->l_m->m_sga, d)->vd_path,
			  i, (unsigned long long)rl->rl_count,
			  (unsigned long long)((now_ns - rl->rl_since_ns) / 1000000));
}

static void read_peer(struct lmon *l, int d, int i, uint64_t now_ns, uint64_t now_us)
{
	struct member *m = l->l_m;
	struct css_vdisk *vk = &l->l_disks->cd_vk[d];
	struct sga_vdisk *v = sga_vdisk(&m->m_sga, d);
	struct sga_peer *p = sga_peer(&m->m_sga, i);
	uint32_t blkno = VOTE_BLK_HB(i);
	const uint8_t *blk = blk_of(vk, blkno);
	struct vote_hb hb;
	struct blk_hdr h;
	int rc;

	if (blkno < vk->vk_first || blkno >= vk->vk_first + vk->vk_count)
		return;
	rc = blk ? decode_hb(blk, i, &hb, &h) : vk->vk_blk_rc[blkno - vk->vk_first];
	sga_store(&v->vd_last_read_us, now_us);
	if (now_ns > l->l_disk_read_ns)
		l->l_disk_read_ns = now_ns;
	if (rc) {
		vk->vk_seen[i] = 0;
		if (rc != RAC_EBLK_ZERO)
			bad_slot(l, d, i, rc, now_ns);
		else
			slot_readable(l, d, i, now_ns);
		return;
	}
	slot_readable(l, d, i, now_ns);
	vk->vk_seen[i] = 1;
	vk->vk_peer_hb[i] = hb;
	vk->vk_peer_inc[i] = h.bh_incarnation;
	/*
	 * A delta lease, judged on our own clock: the peer is alive while its
	 * counter moves, and for disktimeout_ms after we last saw it move.  The
	 * time it wrote (hb_time_us, its wall clock) is for people to read; no
	 * decision compares it with ours.  A counter seen for the first time
	 * may be an old slot of a dead instance, or a live one: it counts as
	 * moving now, so a dead peer's stale slot costs one lease of waiting,
	 * never a live peer taken for dead.
	 */
	if (hb.hb_counter > sga_load(&p->pr_disk_counter)) {
		sga_store(&p->pr_disk_counter, hb.hb_counter);
		sga_store(&p->pr_disk_last_ns, now_ns);
		if (hb.hb_state == HB_STATE_ALIVE)
			css_peer_state(l, i, 0, PEER_ALIVE, "disk heartbeat advancing");
	}
	if (hb.hb_state != HB_STATE_ALIVE && sga_load(&p->pr_disk_counter) == hb.hb_counter)
		css_peer_state(l, i, 0, PEER_DOWN, hb.hb_state == HB_STATE_DEAD ?
				"death confirmed on the voting disk" :
				"left the cluster (voting disk)");
}

uint64_t css_disk_peer_life(const struct lmon *l, int inst)
{
	uint64_t best = 0, life = 0;
	bool found = false;

	if (!l->l_disks)
		return 0;
	for (int d = 0; d < l->l_m->m_cfg->cf_nvoting; d++) {
		const struct css_vdisk *vk = &l->l_disks->cd_vk[d];

		if (vk->vk_seen[inst] && (!found || vk->vk_peer_hb[inst].hb_counter > best)) {
			best = vk->vk_peer_hb[inst].hb_counter;
			life = vk->vk_peer_hb[inst].hb_life;
			found = true;
		}
	}
	return life;
}

void css_disk_slot_lives(const struct lmon *l, int inst, uint64_t lives[RAC_MAX_VOTING])
{
	for (int d = 0; d < RAC_MAX_VOTING; d++)
		lives[d] = 0;
	if (!l->l_disks)
		return;
	for (int d = 0; d < l->l_m->m_cfg->cf_nvoting; d++)
		if (l->l_disks->cd_vk[d].vk_seen[inst])
			lives[d] = l->l_disks->cd_vk[d].vk_peer_hb[inst].hb_life;
}

bool css_disk_new_life(const struct lmon *l, int inst, uint64_t life,
		       const uint64_t before[RAC_MAX_VOTING])
{
	if (!l->l_disks || !life)
		return false;
	for (int d = 0; d < l->l_m->m_cfg->cf_nvoting; d++) {
		const struct css_vdisk *vk = &l->l_disks->cd_vk[d];
		uint64_t now = vk->vk_seen[inst] ? vk->vk_peer_hb[inst].hb_life : 0;

		/*
		 * Written over, since `before`, by neither that life nor what
		 * the slot held: a later life.  A slot that still holds an
		 * older life (a disk that life could not reach) proves nothing.
		 */
		if (now && now != life && now != before[d])
			return true;
	}
	return false;
}

bool css_disk_alive(const struct lmon *l, int inst)
{
	const struct member *m = l->l_m;
	const struct sga_peer *p = sga_peer(&m->m_sga, inst);
	uint64_t last = sga_load(&p->pr_disk_last_ns);

	if (inst == l->l_me)
		return true;
	if (sga_load(&p->pr_disk_state) == PEER_DOWN || !last)
		return false;
	/*
	 * Silent for disktimeout as of our last read of the disks, not as of
	 * now: an LMON that stalled between reading and judging must not take
	 * a peer for dead on what it saw before the stall.
	 */
	return l->l_disk_read_ns <= last ||
	       l->l_disk_read_ns - last <= (uint64_t)m->m_cfg->cf_disktimeout_ms * 1000000ull;
}

/*
 * Rule 4: every member hears every other on the network, yet none reaches a
 * strict majority of the voting disks.  The cluster then shrinks to its
 * lowest member -- a one-member cluster cannot split -- and the others leave
 * by rule 1.  The lowest member keeps its lease on the strength of the
 * network: all the others have told it, in heartbeats heard just now, that
 * they lack a majority too, so none of them can be writing as a cluster.
 */
static bool rule4_keeps_us(struct lmon *l)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	struct sga_cluster *cl = sga_cluster(&l->l_m->m_sga);
	uint64_t members = sga_load(&cl->cl_members), others = members & ~l->l_mybit;
	uint64_t window = (uint64_t)l->l_m->m_to.to_rule4_window_ms * 1000000ull;

	uint64_t heard = css_net_heard_within(l, window);

	if (!(members & l->l_mybit) || __builtin_ffsll((long long)members) != l->l_me)
		return false;
	/*
	 * To enter rule 4 we must hear everyone.  Once in it, members that fall
	 * silent are leaving by rule 1 (they lack a majority: their own lease
	 * stops them), so only one heard with a majority ends it.
	 */
	if (!l->l_rule4 && (heard & others) != others)
		return false;
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if ((others & heard & (1ull << (i - 1))) &&
		    sga_load(&sga_peer(&l->l_m->m_sga, i)->pr_disks) * 2 > (uint32_t)cfg->cf_nvoting)
			return false;	/* someone still has a majority: rule 1 for us */
	if (!l->l_rule4) {
		log_alert("Rule 4: every member hears every other but none reaches a strict "
			  "majority of the voting disks; the cluster shrinks to its lowest member, "
			  "this instance (%d), and the others leave", l->l_me);
		l->l_rule4 = 1;
		l->l_ctl.ca_any = 1;	/* the control area: the copies we reach (ctl_area.h) */
	}
	return true;
}

/*
 * Rule 3: a kill block addressed to us means the cluster went on without us.
 * Nothing more is written to the shared disk -- not by LMON, not by CKPT,
 * not by the guardian -- and the instance goes at once.
 *
 * "Us" is this life of the instance (its start time, which every heartbeat
 * carries), not the incarnation the writer saw in our last heartbeat: that
 * heartbeat may predate our last reconfiguration (we stopped right after a
 * join), and a block addressed to an incarnation we have since left would
 * be ignored by exactly the instance it is meant to stop.  A block from a
 * writer that knew no lives falls back to the incarnation.
 *
 * The kill blocks come back with the round's read, once per round.
 */
static void check_kill(struct lmon *l, int d)
{
	struct css_vdisk *vk = &l->l_disks->cd_vk[d];
	struct sga_cluster *cl = sga_cluster(&l->l_m->m_sga);
	uint64_t inc = sga_load(&cl->cl_incarnation);
	uint64_t life = sga_hdr(&l->l_m->m_sga)->sh_startup_us;
	struct vote_kill kb;
	char why[256];

	if (!kill_for_us(blk_of(vk, VOTE_BLK_KILL(l->l_me)), l->l_me, inc, life, &kb))
		return;
	sga_store(&cl->cl_no_disk_writes, 1u);
	snprintf(why, sizeof(why), "Kill block read on voting disk %d: instance %u evicted "
		 "this instance (incarnation %llu): %s; stopping all shared-disk I/O", d + 1,
		 kb.kb_issuer, (unsigned long long)inc, kb.kb_reason);
	lmon_fence_exit(l, why);
}

/* the sequence each kill block carries, for the next write of it */
static void note_kill_seqs(struct css_vdisk *vk)
{
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		const uint8_t *blk = blk_of(vk, VOTE_BLK_KILL(i)), *payload;
		struct blk_hdr h;

		if (blk && blk_decode(blk, BLK_KILL, &h, &payload) == 0)
			vk->vk_kill_seq[i] = h.bh_sequence;
		else if (blk)
			vk->vk_kill_seq[i] = 0;
	}
}

/* the round's tally is complete: the majority rule */
static void round_end(struct lmon *l)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	int written = l->l_round_written;

	if (!l->l_round_open)
		return;
	l->l_round_open = 0;
	l->l_disks_ok = written;
	if (written * 2 > cfg->cf_nvoting || rule4_keeps_us(l)) {
		/* the lease runs from when the round began: the safe side */
		if (l->l_round_start_ns > l->l_lease_ns) {
			l->l_lease_ns = l->l_round_start_ns;
			sga_store(&sga_cluster(&l->l_m->m_sga)->cl_lease_ns, l->l_lease_ns);
		}
		if (l->l_no_majority && written * 2 > cfg->cf_nvoting) {
			log_alert("A strict majority of the voting disks is reachable again "
				  "(%d of %d)", written, cfg->cf_nvoting);
			l->l_no_majority = 0;
			l->l_rule4 = 0;
			l->l_ctl.ca_any = 0;
		}
	} else if (!l->l_no_majority) {
		/* rule 1: without a majority the lease runs out and we leave by ourselves */
		log_alert("Only %d of %d voting disks reachable: no strict majority; this "
			  "instance leaves the cluster in %d ms (disktimeout_ms) unless a majority "
			  "comes back", written, cfg->cf_nvoting, cfg->cf_disktimeout_ms);
		l->l_no_majority = 1;
	}
}

/* a disk's share of a round failed (or never ran): counted and shown */
static void disk_failed(struct lmon *l, int d, int write, const char *why)
{
	struct sga_vdisk *v = sga_vdisk(&l->l_m->m_sga, d);

	if (write)
		v->vd_write_errors++;
	else
		v->vd_read_errors++;
	member_count(l->l_m, CNT_DISK_IO_ERRORS);
	vdisk_state(l, d, VDISK_OFFLINE, why);
}

/* the round's op on disk d came back: its write, then what it read */
static void round_done(struct lmon *l, int d)
{
	struct member *m = l->l_m;
	struct css_vdisk *vk = &l->l_disks->cd_vk[d];
	struct sga_vdisk *v = sga_vdisk(&m->m_sga, d);
	int current = vk->vk_round == l->l_round && l->l_round_open;
	int read_ok = !vk->vk_open_rc && !vk->vk_read_rc;

	vk->vk_busy = 0;
	if (current)
		l->l_round_pending--;
	if (vk->vk_open_rc) {
		disk_failed(l, d, 1, strerror(vk->vk_open_errno));
		return;
	}
	vdisk_opened(l, d);
	/* before anything else is judged: are we still allowed to be here? */
	if (read_ok)
		check_kill(l, d);
	if (vk->vk_ro || vk->vk_killed) {
		/* nothing was to be written */
	} else if (vk->vk_write_rc) {
		disk_failed(l, d, 1, strerror(vk->vk_write_errno));
	} else {
		if (current)
			l->l_round_written++;
		sga_store(&v->vd_last_write_us, rac_now_us());
		member_count(m, CNT_DISK_HB_WRITES);
		vdisk_state(l, d, VDISK_ONLINE, "heartbeat written");
	}
	if (vk->vk_read_rc == RAC_EIO || vk->vk_read_rc == RAC_EBLK_SHORT) {
		disk_failed(l, d, 0, rac_strerror(vk->vk_read_rc));
		return;
	}
	if (!read_ok)
		return;
	note_kill_seqs(vk);
	if (vk->vk_read_start_ns > l->l_disk_read_start_ns)
		l->l_disk_read_start_ns = vk->vk_read_start_ns;
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (l->l_peers[i].lp_inst)
			read_peer(l, d, i, vk->vk_read_ns, vk->vk_read_us);
}

/* the kill block on disk d for one target came back */
static void kill_done(struct lmon *l, struct kill_op *ko, int rc)
{
	struct css_kill *ck = &l->l_disks->cd_kill[ko->ko_kb.kb_target];

	ko->ko_busy = 0;
	if (ko->ko_counted)
		return;
	ko->ko_counted = 1;
	if (rc == 0) {
		ck->ck_written++;
		ko->ko_vk->vk_kill_seq[ko->ko_kb.kb_target] = ko->ko_seq;
	}
}

/* collect whatever disk d's worker finished, waiting up to `ms` for it */
static void collect(struct lmon *l, int d, int ms)
{
	struct css_vdisk *vk = &l->l_disks->cd_vk[d];
	int rc;

	if (!vk->vk_aio)
		return;
	if (vk->vk_busy && aio_wait(vk->vk_aio, vk->vk_id, ms, &rc, NULL) == 1)
		round_done(l, d);
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct kill_op *ko = &vk->vk_kill[i];

		if (ko->ko_busy && aio_poll(vk->vk_aio, ko->ko_id, &rc, NULL) == 1)
			kill_done(l, ko, rc);
	}
}

/* a disk whose oldest I/O is overdue is HUNG; every tick, its age in the view */
static void watch_hung(struct lmon *l, int d)
{
	struct css_vdisk *vk = &l->l_disks->cd_vk[d];
	struct sga_vdisk *v = sga_vdisk(&l->l_m->m_sga, d);
	uint64_t age = vk->vk_aio ? aio_age_ns(vk->vk_aio) : 0;
	char why[96];

	sga_store(&v->vd_io_age_ms, (uint32_t)(age / 1000000));
	if (age <= io_timeout_ns(l))
		return;
	snprintf(why, sizeof(why), "I/O outstanding for %llu ms (I/O timeout %u ms)",
		 (unsigned long long)(age / 1000000), l->l_m->m_to.to_io_timeout_ms);
	vdisk_state(l, d, VDISK_HUNG, why);
}

/* a kill write overdue counts as not written; the alert once every disk has answered */
static void kill_tally(struct lmon *l)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	uint64_t now = rac_now_mono_ns();

	for (int t = 1; t <= RAC_MAX_INST; t++) {
		struct css_kill *ck = &l->l_disks->cd_kill[t];
		int open = 0;

		if (!ck->ck_pending)
			continue;
		for (int d = 0; d < cfg->cf_nvoting; d++) {
			struct kill_op *ko = &l->l_disks->cd_vk[d].vk_kill[t];

			if (ko->ko_counted)
				continue;
			if (now - ko->ko_start_ns > io_timeout_ns(l))
				ko->ko_counted = 1;
			else
				open = 1;
		}
		if (open)
			continue;
		ck->ck_pending = 0;
		log_alert("Kill block written for instance %d (incarnation %llu) on %d of %d voting "
			  "disks: %s", t, (unsigned long long)ck->ck_target_inc, ck->ck_written,
			  cfg->cf_nvoting, ck->ck_why);
	}
}

void css_disk_poll(struct lmon *l)
{
	const struct rac_config *cfg = l->l_m->m_cfg;

	if (!l->l_disks)
		return;
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		collect(l, d, 0);
		watch_hung(l, d);
	}
	kill_tally(l);
	/* every disk answered, or the rest are overdue: the round is judged */
	if (l->l_round_open && (l->l_round_pending <= 0 ||
				rac_now_mono_ns() - l->l_round_start_ns > io_timeout_ns(l)))
		round_end(l);
}

void css_disk_settle(struct lmon *l)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	uint64_t end = l->l_round_start_ns + io_timeout_ns(l);

	if (!l->l_disks)
		return;
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		uint64_t now = rac_now_mono_ns();

		collect(l, d, now < end ? (int)((end - now) / 1000000) + 1 : 0);
	}
	css_disk_poll(l);
	round_end(l);
}

void css_disk_read(struct lmon *l)
{
	css_disk_poll(l);
}

/* every instance's heartbeat and kill blocks: the range one read per disk covers */
static void slot_range(const struct lmon *l, uint32_t *first, uint32_t *last)
{
	int hi = l->l_me;

	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (l->l_peers[i].lp_inst && i > hi)
			hi = i;
	*first = VOTE_BLK_HB(1) < VOTE_BLK_KILL(1) ? VOTE_BLK_HB(1) : VOTE_BLK_KILL(1);
	*last = VOTE_BLK_HB(hi) > VOTE_BLK_KILL(hi) ? VOTE_BLK_HB(hi) : VOTE_BLK_KILL(hi);
}

/*
 * Our lease lapsed (LMON was stopped, say): before we go, one last read of
 * the disks, bounded by twice the I/O timeout, so that an eviction the
 * cluster decided meanwhile is obeyed and named (rule 3) rather than taken
 * for a plain lapse.  Nothing is written.
 */
static void last_look(struct lmon *l)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	uint64_t end = rac_now_mono_ns() + io_timeout_ns(l);
	uint32_t first, last;
	int asked[RAC_MAX_VOTING] = { 0 };

	if (!l->l_disks)
		return;
	/*
	 * An I/O still out may have read the disk before we stopped: let it
	 * finish (within the I/O timeout), then read every disk that answers
	 * afresh, with one more I/O timeout for those reads alone.
	 */
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		uint64_t now = rac_now_mono_ns();

		if (l->l_disks->cd_vk[d].vk_busy)
			collect(l, d, now < end ? (int)((end - now) / 1000000) + 1 : 0);
	}
	slot_range(l, &first, &last);
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct css_vdisk *vk = &l->l_disks->cd_vk[d];

		if (vk->vk_busy || !vk->vk_aio)
			continue;
		vk->vk_ro = 1;
		vk->vk_first = first;
		vk->vk_count = last - first + 1;
		vk->vk_round = 0;
		if (aio_submit(vk->vk_aio, round_io, vk, &vk->vk_id) == 0)
			vk->vk_busy = asked[d] = 1;
	}
	end = rac_now_mono_ns() + io_timeout_ns(l);
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		uint64_t now = rac_now_mono_ns();

		if (asked[d])
			collect(l, d, now < end ? (int)((end - now) / 1000000) + 1 : 0);
	}
}

void css_disk_beat(struct lmon *l)
{
	struct member *m = l->l_m;
	const struct rac_config *cfg = m->m_cfg;
	uint64_t start = rac_now_mono_ns();
	struct vote_hb hb = {
		.hb_inst = (uint32_t)l->l_me,
		.hb_state = HB_STATE_ALIVE,
		.hb_counter = ++l->l_disk_counter,
		.hb_time_us = rac_now_us(),
		.hb_peers = css_net_heard(l),
		.hb_life = sga_hdr(&m->m_sga)->sh_startup_us,
	};
	uint64_t inc = sga_load(&sga_cluster(&m->m_sga)->cl_incarnation);
	uint32_t first, last;

	/* a lapsed lease is final: not one more write */
	if (l->l_lease_ns && !css_lease_ok(l)) {
		last_look(l);
		lmon_fence_exit(l, l->l_no_majority ?
				"own voting-disk lease expired: no strict majority of the voting "
				"disks reachable for disktimeout_ms" :
				"own voting-disk lease expired (no heartbeat reached a "
				"majority of the voting disks within disktimeout_ms)");
	}
	if (!l->l_disks)
		return;
	/* what came back of the last round, which is judged now, answered or not */
	css_disk_poll(l);
	round_end(l);

	slot_range(l, &first, &last);

	l->l_round++;
	l->l_round_start_ns = start;
	l->l_round_open = 1;
	l->l_round_written = 0;
	l->l_round_pending = 0;
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct css_vdisk *vk = &l->l_disks->cd_vk[d];
		int rc;

		if (vk->vk_busy) {
			/* last round's I/O still out: this disk sits this round out */
			watch_hung(l, d);
			continue;
		}
		vk->vk_hb = hb;
		vk->vk_inc = inc;
		vk->vk_life = hb.hb_life;
		vk->vk_ro = 0;
		vk->vk_seq = ++l->l_disk_seq[d];
		vk->vk_first = first;
		vk->vk_count = last - first + 1;
		vk->vk_round = l->l_round;
		rc = vk->vk_aio ? aio_submit(vk->vk_aio, round_io, vk, &vk->vk_id) : RAC_EINVAL;
		if (rc == RAC_ETIMEDOUT) {
			watch_hung(l, d);
			continue;
		}
		if (rc) {
			disk_failed(l, d, 1, rac_strerror(rc));
			continue;
		}
		vk->vk_busy = 1;
		l->l_round_pending++;
	}
}

int css_write_kill(struct lmon *l, int target, uint64_t life, const char *why)
{
	const struct rac_config *cfg = l->l_m->m_cfg;
	struct vote_kill kb = { .kb_target = (uint32_t)target, .kb_issuer = (uint32_t)l->l_me,
				.kb_time_us = rac_now_us() };
	uint64_t inc = sga_load(&sga_cluster(&l->l_m->m_sga)->cl_incarnation), best = 0;
	int found = 0, submitted = 0;
	struct css_kill *ck;

	if (!sga_may_write_disk(&l->l_m->m_sga) || !l->l_disks)
		return 0;
	css_disk_poll(l);
	/*
	 * Addressed to the life left out (`life`, as the caller saw it when the
	 * reconfiguration began; 0: the one the target runs in now), which a
	 * heartbeat names with the incarnation it had then, for the record: the
	 * freshest such heartbeat, as the last round read it.  A heartbeat
	 * written before the target joined carries incarnation 0 but its life
	 * all the same.  A later life of that number, started meanwhile, is not
	 * the one left out and is not addressed.
	 */
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct css_vdisk *vk = &l->l_disks->cd_vk[d];

		if (life && vk->vk_seen[target] && vk->vk_peer_hb[target].hb_life != life)
			continue;
		if (vk->vk_seen[target] && (!found || vk->vk_peer_hb[target].hb_counter > best)) {
			kb.kb_target_inc = vk->vk_peer_inc[target];
			kb.kb_target_life = vk->vk_peer_hb[target].hb_life;
			best = vk->vk_peer_hb[target].hb_counter;
			found = 1;
		}
	}
	if (!found && life) {
		/* no slot holds that life any more: the block still names it */
		kb.kb_target_life = life;
		found = 1;
	}
	if (!found || (!kb.kb_target_inc && !kb.kb_target_life)) {
		log_warn(COMP, "no kill block for instance %d: no heartbeat of it on the voting "
			 "disks names its life", target);
		return 0;
	}
	rac_strlcpy(kb.kb_reason, why, sizeof(kb.kb_reason));
	ck = &l->l_disks->cd_kill[target];
	*ck = (struct css_kill){ .ck_pending = 1, .ck_target_inc = kb.kb_target_inc };
	rac_strlcpy(ck->ck_why, why, sizeof(ck->ck_why));
	for (int d = 0; d < cfg->cf_nvoting; d++) {
		struct css_vdisk *vk = &l->l_disks->cd_vk[d];
		struct kill_op *ko = &vk->vk_kill[target];

		if (ko->ko_busy) {
			/* the last one is still out on this disk: not written */
			ko->ko_counted = 1;
			continue;
		}
		*ko = (struct kill_op){ .ko_vk = vk, .ko_kb = kb, .ko_inc = inc,
					.ko_seq = vk->vk_kill_seq[target] + 1,
					.ko_start_ns = rac_now_mono_ns() };
		if (!vk->vk_aio || aio_submit(vk->vk_aio, kill_io, ko, &ko->ko_id)) {
			ko->ko_counted = 1;
			continue;
		}
		ko->ko_busy = 1;
		submitted++;
	}
	kill_tally(l);
	return submitted;
}

struct aio *css_disk_worker(struct lmon *l, int d)
{
	return l->l_disks ? l->l_disks->cd_vk[d].vk_aio : NULL;
}

bool css_kill_pending(struct lmon *l)
{
	if (!l->l_disks)
		return false;
	for (int t = 1; t <= RAC_MAX_INST; t++)
		if (l->l_disks->cd_kill[t].ck_pending)
			return true;
	return false;
}

/* what a disk stuck in the kernel at exit keeps: reachable, not leaked */
static struct css_disks *stuck_disks;

void css_disk_fini(struct lmon *l)
{
	struct css_disks *cd = l->l_disks;
	uint64_t deadline;
	int stuck = 0;

	if (!cd)
		return;
	l->l_disks = NULL;
	/* the round in flight at a clean stop comes back within the I/O timeout */
	deadline = rac_now_mono_ns() + io_timeout_ns(l);
	for (int d = 0; d < RAC_MAX_VOTING; d++)
		while (cd->cd_vk[d].vk_aio && aio_outstanding(cd->cd_vk[d].vk_aio) &&
		       rac_now_mono_ns() < deadline && !aio_hung(cd->cd_vk[d].vk_aio))
			usleep(1000);
	for (int d = 0; d < RAC_MAX_VOTING; d++) {
		struct css_vdisk *vk = &cd->cd_vk[d];

		if (vk->vk_aio && aio_outstanding(vk->vk_aio)) {
			/* an I/O stuck in the kernel keeps the disk's memory and fd */
			aio_destroy(&vk->vk_aio);
			stuck = 1;
			continue;
		}
		aio_destroy(&vk->vk_aio);
		if (vk->vk_fd >= 0)
			close(vk->vk_fd);
		free(vk->vk_blks);
	}
	if (!stuck)
		free(cd);
	else
		stuck_disks = cd;
}
