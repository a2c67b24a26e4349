/*
 * disk.h - records on the shared disk (DESIGN §2): the control file and the
 * voting disks.
 *
 * Every record is one 512-byte block, stored at the start of a 4096-byte
 * slot of its own: record (block number) N is at byte offset N * 4096, the
 * slot's other 3584 bytes are zero.  One record per 4 KiB means no two
 * writers ever share a sector, on a 512-byte or a 4096-byte logical-sector
 * device alike, so one host's write (or its page cache writing back a
 * whole page) can never revert another host's record.  It also makes every
 * I/O a 4 KiB-aligned 4 KiB transfer, which O_DIRECT accepts on both.
 * Format version 1 (racrt before the real-host storage work) packed the
 * 512-byte blocks back to back; such a disk is refused with the fix named.
 *
 * The block:
 *
 *   offset size
 *        0    4  magic      RAC_BLK_MAGIC
 *        4    2  type       enum blk_type
 *        6    2  version    RAC_BLK_VERSION
 *        8    4  writer     instance number that wrote it (0 = racctl init)
 *       12    4  length     payload bytes used (<= RAC_BLK_PAYLOAD)
 *       16    8  incarnation  writer's incarnation
 *       24    8  sequence   bumped on every write of this block
 *       32    4  crc32c     over the whole block with this field zero
 *       36    4  reserved   zero
 *       40  472  payload    type-specific, little-endian, zero-padded
 *
 * All integers are little-endian, converted in disk_block.c only.  A block
 * that fails any check is reported as corrupt (with the reason) and never
 * trusted.  Reads and writes go through disk_io.c: direct I/O (O_DIRECT,
 * 4 KiB-aligned buffers) so that a read sees what another host wrote, not
 * this host's page cache, and writes durable (O_DSYNC) before they return.
 * Each of the files may be a regular file or a block device (a LUN, a
 * partition, a loop device).
 *
 * Control file (control_file, default <shared_disk>/control.ctl), block
 * numbers (byte offset = number * RAC_SLOT_SIZE):
 *     0  CTL_HEADER       cluster name, instances, voting disks, format time
 *     1  MEMBERSHIP       membership bitmap, valid flag, cluster incarnation
 *     2  CFVRR            vote sequence, one vote bitmap per instance,
 *                         result bitmap, result writer, claim with lease
 *     3  FORMAT_CLAIM     racctl init's claim: format id, time, host, pid;
 *                         written first, re-read after a settle, so two
 *                         hosts formatting at once end with one format
 *   4-7  reserved
 *   8+i  CKPT_PROGRESS    checkpoint progress record of instance i+1
 *                         (i = 0 .. RAC_MAX_INST-1)
 *  40+i  VOTE             IMR vote of instance i+1: each member writes only
 *                         its own, so votes cast at once cannot overwrite
 *                         each other; the result writer copies them into
 *                         the CFVRR with the result
 *
 * Voting disk, block numbers:
 *     0  VOTE_HEADER      cluster name, disk index
 *   8+2i HEARTBEAT        disk heartbeat slot of instance i+1
 *   9+2i KILL             kill block addressed to instance i+1
 * 128+n  control area copy: control-file block n at VOTE_CTL_BASE + n
 *        (membership, CFVRR, votes, checkpoint records; its header and
 *        format-claim slots stay unused)
 *
 * The control area has one copy on every voting disk, and the control file
 * is a copy too when the number of voting disks is even, so that there is
 * always an odd number of copies (ctl_area.h).  Its records are written to
 * every copy and read from every copy, by strict majority; the control
 * file always keeps the header and the format claim.
 */
#ifndef RAC_DISK_H
#define RAC_DISK_H

#include <stdint.h>
#include <stdio.h>
#include "rac.h"
#include "config.h"
#include "cursor.h"

#define RAC_BLK_SIZE	512
#define RAC_BLK_HDR	40
#define RAC_BLK_PAYLOAD	(RAC_BLK_SIZE - RAC_BLK_HDR)
#define RAC_BLK_MAGIC	0x4B4C4252u	/* "RBLK" little-endian */
/* 2: one block per 4 KiB slot (1: blocks back to back, 512 bytes apart) */
#define RAC_BLK_VERSION	2
/* bytes between two blocks on disk, and the alignment of every I/O buffer */
#define RAC_SLOT_SIZE	4096

enum blk_type {
	BLK_CTL_HEADER = 1,
	BLK_MEMBERSHIP = 2,
	BLK_CFVRR = 3,
	BLK_CKPT_PROGRESS = 4,
	BLK_VOTE_HEADER = 5,
	BLK_HEARTBEAT = 6,
	BLK_KILL = 7,
	BLK_VOTE = 8,
	BLK_FORMAT_CLAIM = 9,
	BLK_CLUSTER_CONFIG = 10,
};

#define CTL_BLK_HEADER		0
#define CTL_BLK_MEMBERSHIP	1
#define CTL_BLK_CFVRR		2
#define CTL_BLK_CLAIM		3
#define CTL_BLK_CONFIG		4	/* the cluster-wide keys, as racctl init saw them */
#define CTL_BLK_CKPT(inst)	(8 + (inst) - 1)	/* inst 1..RAC_MAX_INST */
#define CTL_BLK_VOTE(inst)	(8 + RAC_MAX_INST + (inst) - 1)
#define CTL_NBLOCKS		(8 + 2 * RAC_MAX_INST)

#define VOTE_BLK_HEADER		0
#define VOTE_BLK_HB(inst)	(8 + 2 * ((inst) - 1))
#define VOTE_BLK_KILL(inst)	(9 + 2 * ((inst) - 1))
/* the heartbeat and kill slots end here */
#define VOTE_SLOTS_END		(8 + 2 * RAC_MAX_INST)
/* block of the control area's block 0 on a voting disk (its copy) */
#define VOTE_CTL_BASE		128
#define VOTE_NBLOCKS		(VOTE_CTL_BASE + CTL_NBLOCKS)

struct blk_hdr {
	uint32_t bh_magic;
	uint16_t bh_type;
	uint16_t bh_version;
	uint32_t bh_writer;
	uint32_t bh_length;
	uint64_t bh_incarnation;
	uint64_t bh_sequence;
	uint32_t bh_crc;
};

/* crc32c.c: CRC-32C (Castagnoli), init 0, as iSCSI/ext4 use it */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* disk_block.c: the block codec */
/*
 * Fill `blk` from header fields and payload.  Only type (non-zero), writer,
 * incarnation and sequence are taken from `h`; magic, version, length and
 * CRC are set here.  RAC_EBLK_LEN if len > RAC_BLK_PAYLOAD.
 */
int blk_encode(uint8_t blk[RAC_BLK_SIZE], const struct blk_hdr *h,
	       const void *payload, size_t len);
/*
 * Check and decode a block.  `want_type` 0 accepts any type but 0.  Returns
 * 0, or RAC_EBLK_ZERO / _MAGIC / _CRC / _VERSION / _TYPE / _LEN (also for
 * bytes after the payload, or in the reserved header field, that are not
 * zero); the header is filled as far as it could be read.  A block that
 * decodes is exactly what blk_encode() makes of its fields and payload.
 */
int blk_decode(const uint8_t blk[RAC_BLK_SIZE], uint16_t want_type,
	       struct blk_hdr *h, const uint8_t **payload);
const char *blk_type_str(uint16_t type);	/* "checkpoint progress record" */
/* The CRC a block should carry: over the block with its CRC field as zero. */
uint32_t blk_crc(const uint8_t blk[RAC_BLK_SIZE]);
/*
 * One line on why blk_decode() (or a payload decoder) returned `err` for this
 * block: rac_strerror(err) plus the values involved ("stored 0x..,
 * computed 0x.."), for logs and dumps.
 */
void blk_explain(const uint8_t blk[RAC_BLK_SIZE], int err, uint16_t want_type,
		 char *buf, size_t len);


/* Payloads, decoded */
struct ctl_header {
	char ch_cluster[RAC_CLUSTER_MAX];
	uint32_t ch_max_inst;		/* RAC_MAX_INST at format time */
	uint32_t ch_ninst;		/* instances configured */
	uint32_t ch_nvoting;
	uint64_t ch_format_us;		/* when racctl init ran */
	uint64_t ch_cluster_id;		/* random at format time */
};

struct ctl_membership {
	uint64_t ms_bitmap;		/* bit i-1 = instance i is a member */
	uint32_t ms_valid;		/* 0 while a reconfiguration is pending */
	uint64_t ms_incarnation;	/* cluster incarnation */
	uint32_t ms_control;		/* control node instance number, 0 none */
};

struct ctl_vote {
	uint32_t cv_inst;
	uint64_t cv_seq;		/* vote sequence it was cast for */
	uint64_t cv_bitmap;		/* instances this one can talk to */
	uint64_t cv_time_us;
	uint32_t cv_reason;		/* enum rcfg_reason that started it */
	uint32_t cv_break;		/* instance whose change started it */
};

/*
 * On disk the CFVRR's bitmaps (vr_vote[], vr_result) are 32 bits wide: with
 * 64-bit ones the record would not fit one block.  That holds every instance
 * while RAC_MAX_INST <= 32 (a static_assert in disk_block.c pins it).
 */
struct ctl_cfvrr {
	uint64_t vr_seq;			/* vote sequence */
	uint64_t vr_vote_seq[RAC_MAX_INST];	/* seq each vote was cast for */
	uint64_t vr_vote[RAC_MAX_INST];		/* bitmap each instance sees */
	uint64_t vr_result;			/* result bitmap, 0 = none yet */
	uint32_t vr_result_writer;		/* instance that wrote it */
	uint32_t vr_claim_inst;			/* holder of the write claim, 0 none */
	uint64_t vr_claim_expires_us;		/* claim lease end, CLOCK_REALTIME */
	uint64_t vr_incarnation;		/* incarnation the result starts */
	uint32_t vr_control;			/* control node of the result */
};

struct ctl_ckpt {
	uint32_t ck_inst;
	int32_t ck_pid;			/* CKPT's pid */
	uint64_t ck_count;		/* progress: bumped on every write */
	uint64_t ck_time_us;		/* CLOCK_REALTIME of this write */
	uint64_t ck_started_us;		/* when this CKPT started */
};

/*
 * The cluster-wide keys (config.h: config_cluster_keys[], in that order),
 * recorded in the control file by racctl init or racctl config push: every
 * start compares its own with them and refuses to run with other values.
 */
#define CTL_CONFIG_MAX	32
struct ctl_config {
	uint32_t cg_n;			/* values recorded */
	int32_t cg_val[CTL_CONFIG_MAX];
};

#define CTL_CLAIM_HOST	64
struct ctl_claim {
	uint64_t fc_id;			/* the format id (the cluster id it will carry) */
	uint64_t fc_time_us;		/* when the claim was written */
	int32_t fc_pid;			/* racctl init's pid, on fc_host */
	char fc_host[CTL_CLAIM_HOST];
};

struct vote_header {
	char vh_cluster[RAC_CLUSTER_MAX];
	uint32_t vh_disk;		/* index 1..nvoting */
	uint64_t vh_format_us;
	uint64_t vh_cluster_id;
};

struct vote_hb {
	uint32_t hb_inst;
	uint32_t hb_state;		/* 0 down/never, 1 alive, 2 dead (confirmed) */
	uint64_t hb_counter;
	uint64_t hb_time_us;
	uint64_t hb_peers;		/* peers heard on the network */
	uint64_t hb_life;		/* this life of the instance: its start time, us */
};

struct vote_kill {
	uint32_t kb_target;		/* instance to kill, 0 = none */
	uint32_t kb_issuer;
	uint64_t kb_target_inc;		/* incarnation its heartbeat showed (the record) */
	uint64_t kb_time_us;
	char kb_reason[64];
	uint64_t kb_target_life;	/* the life it applies to (hb_life), 0 = any */
};

/*
 * payload codecs (disk_block.c): encode writes into RAC_BLK_PAYLOAD bytes and
 * returns the payload length; decode returns 0, RAC_EBLK_LEN (short or
 * trailing bytes) or RAC_ERANGE (an instance or disk number, state or flag
 * out of range under a good CRC, or a text field that is not NUL-padded).
 * Strings always come back NUL-terminated.  What decodes re-encodes to the
 * same bytes (a shorter, older form to the current one).
 */
size_t ctl_header_out(const struct ctl_header *v, uint8_t *p);
int ctl_header_in(const uint8_t *p, size_t len, struct ctl_header *v);
size_t ctl_membership_out(const struct ctl_membership *v, uint8_t *p);
int ctl_membership_in(const uint8_t *p, size_t len, struct ctl_membership *v);
size_t ctl_cfvrr_out(const struct ctl_cfvrr *v, uint8_t *p);
int ctl_cfvrr_in(const uint8_t *p, size_t len, struct ctl_cfvrr *v);
size_t ctl_vote_out(const struct ctl_vote *v, uint8_t *p);
int ctl_vote_in(const uint8_t *p, size_t len, struct ctl_vote *v);
size_t ctl_ckpt_out(const struct ctl_ckpt *v, uint8_t *p);
int ctl_ckpt_in(const uint8_t *p, size_t len, struct ctl_ckpt *v);
size_t ctl_claim_out(const struct ctl_claim *v, uint8_t *p);
size_t ctl_config_out(const struct ctl_config *v, uint8_t *p);
int ctl_config_in(const uint8_t *p, size_t len, struct ctl_config *v);
int ctl_claim_in(const uint8_t *p, size_t len, struct ctl_claim *v);
size_t vote_header_out(const struct vote_header *v, uint8_t *p);
int vote_header_in(const uint8_t *p, size_t len, struct vote_header *v);
size_t vote_hb_out(const struct vote_hb *v, uint8_t *p);
int vote_hb_in(const uint8_t *p, size_t len, struct vote_hb *v);
size_t vote_kill_out(const struct vote_kill *v, uint8_t *p);
int vote_kill_in(const uint8_t *p, size_t len, struct vote_kill *v);

/* disk_io.c: block I/O */
/*
 * Open for read/write with O_DSYNC (or read-only), with O_DIRECT.  A
 * symbolic link is followed only to a block device (else ELOOP).  Where the
 * file system refuses O_DIRECT (EINVAL: tmpfs, some FUSE file systems) the
 * file is opened buffered instead, with one alert-log warning per process
 * and file (safe only while every instance runs on this host), counted by
 * disk_io_buffered_opens().  Returns fd or RAC_ESYS (errno kept).
 */
int disk_open(const char *path, int writable);
/*
 * open(2) by that rule: a symbolic link is followed only to a block device,
 * else -1 with ELOOP.  For every shared-disk path (disk_open, racctl init).
 */
int disk_open_no_link(const char *path, int flags, mode_t mode);
/* 0, RAC_EBLK_SHORT, or RAC_EIO (errno kept) */
int disk_read_block(int fd, uint32_t blkno, uint8_t blk[RAC_BLK_SIZE]);
/*
 * `count` consecutive blocks from `first` into blks[0..count): 0, or the
 * error of the first one that failed.  A caller that reads many blocks of
 * one file per round (the peers' heartbeat slots) asks once: one I/O.
 */
int disk_read_blocks(int fd, uint32_t first, uint32_t count, uint8_t (*blks)[RAC_BLK_SIZE]);
/*
 * The same, for a disk that may have a bad sector under one record: when the
 * one I/O fails with an I/O error, each block is read alone.  rcs[k] gets
 * block first+k's error (0: read; a block that failed is left zero).
 * Returns 0 when at least one block was read, else the first error (errno
 * kept): only a disk that reads nothing at all has failed as a whole.
 */
int disk_read_blocks_each(int fd, uint32_t first, uint32_t count,
			  uint8_t (*blks)[RAC_BLK_SIZE], int *rcs);
/* durable before return: 0 or RAC_EIO */
int disk_write_block(int fd, uint32_t blkno, const uint8_t blk[RAC_BLK_SIZE]);
/* encode one record (header fields as given) and write it durably */
int disk_write_rec(int fd, uint32_t blkno, uint16_t type, uint32_t writer,
		   uint64_t inc, uint64_t seq, const uint8_t *payload, size_t len);

/* what an open shared-disk file is (same numbers as shm's enum vdisk_kind) */
enum disk_kind { DISK_KIND_UNKNOWN = 0, DISK_KIND_FILE = 1, DISK_KIND_BLOCK = 2,
		 DISK_KIND_OTHER = 3 };
struct disk_info {
	uint32_t di_kind;		/* enum disk_kind */
	uint32_t di_sector;		/* logical sector size, 0 unknown */
	uint32_t di_direct;		/* 1: opened O_DIRECT */
	uint64_t di_size;		/* bytes: BLKGETSIZE64 or st_size */
};
/*
 * Kind, logical sector size (BLKSSZGET on a device, the file system's
 * direct-I/O alignment on a file), size and whether O_DIRECT is in force
 * on `fd`: 0 or RAC_ESYS.
 */
int disk_fd_info(int fd, struct disk_info *di);
const char *disk_kind_str(uint32_t kind);	/* "FILE", "BLOCK", ... */
/* opens (all files) that fell back to buffered I/O in this process */
uint64_t disk_io_buffered_opens(void);
/* called (with the path) on every open that fell back; NULL: none */
void disk_io_on_buffered(void (*fn)(const char *path));

/* disk_format.c: the control file and voting disks as a whole */
/*
 * racctl init: create and format the control file and every voting disk.
 * Refuses (RAC_EDISK_FORMATTED) if any of them already holds a valid header
 * or a file system (RAC_EDISK_FS), unless `force`; with `force`, refuses
 * while an instance's heartbeat still moves on a voting disk
 * (RAC_EDISK_LIVE); refuses while another init formats them, on this host
 * (flock) or another (the format claim): RAC_EDISK_BUSY.  `err` gets one
 * line on failure.
 */
int ctl_format(const struct rac_config *cfg, int force, char *err, size_t errlen);
/*
 * Check the control file header against the configuration (start): 0,
 * RAC_EDISK_UNFORMATTED, RAC_EDISK_FOREIGN or a block error, with `err`.
 */
int ctl_check(const struct rac_config *cfg, char *err, size_t errlen);
/*
 * racctl config push: record this host's cluster-wide keys in the control
 * file as the cluster's.  Refused while any instance is alive on the disks.
 */
int ctl_config_push(const struct rac_config *cfg, char *err, size_t errlen);
struct disk_hdr_info {
	struct ctl_header hi_ctl;	/* control file */
	struct vote_header hi_vote;	/* voting disk */
	off_t hi_size;			/* file or device size, to catch truncation */
	uint32_t hi_kind;		/* enum disk_kind */
	uint32_t hi_sector;		/* logical sector size, 0 unknown */
};
/*
 * Read and check the header block of a control file (is_ctl) or voting
 * disk.  Returns 0 with `hi` filled when it is valid; RAC_ENOENT when the
 * file does not exist; RAC_EDISK_KIND when it is neither a regular file nor
 * a block device; RAC_EBLK_VERSION for an earlier racrt's format (512-byte
 * records); RAC_ESYS / RAC_EIO with errno; or the block or
 * payload error, with the block left in `blk` for blk_explain().
 */
int disk_read_header(const char *path, int is_ctl, uint8_t blk[RAC_BLK_SIZE],
		     struct disk_hdr_info *hi);
/* highest configured instance number: the width of printed bitmaps */
int ctl_inst_width(const struct rac_config *cfg);


/* vote.c: heartbeat slots on the voting disks */
enum { HB_STATE_DOWN = 0, HB_STATE_ALIVE = 1, HB_STATE_DEAD = 2 };
/* write instance `inst`'s heartbeat slot on an open voting disk */
int vote_write_hb(int fd, int inst, const struct vote_hb *hb, uint64_t incarnation,
		  uint64_t seq);
/* read and check instance `inst`'s heartbeat slot: 0 or a block error */
int vote_read_hb(int fd, int inst, struct vote_hb *hb, struct blk_hdr *h);
/*
 * Mark instance `inst` DOWN (clean stop) or DEAD (its group was killed) in
 * its slot on every voting disk it can reach, keeping its counter.  Used by
 * the guardian, so survivors need not wait out the lease.  Only a slot this
 * life wrote is marked (its hb_life is `life`): a start that never got as
 * far as a heartbeat, or one refused because another life holds the
 * number, confirms nothing and leaves the slot alone.  Returns how many
 * disks took the write.
 */
int vote_mark_instance(const struct rac_config *cfg, int inst, uint32_t state, uint64_t life);
/* write the kill block addressed to kb->kb_target; read instance `inst`'s */
int vote_write_kill(int fd, const struct vote_kill *kb, uint64_t incarnation, uint64_t seq);
int vote_read_kill(int fd, int inst, struct vote_kill *kb, struct blk_hdr *h);

#endif
