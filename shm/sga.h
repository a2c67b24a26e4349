/*
 * sga.h - the System Global Area: one POSIX shared-memory segment per
 * instance (mode 0600), created by the guardian, attached by every member
 * and read by racsql and racctl.
 *
 * Layout (version SGA_VERSION), all offsets from the start of the segment:
 *
 *   +---------------------------+ 0
 *   | struct sga_header         |  magic, version, sizes, section offsets,
 *   |                           |  instance identity and state
 *   +---------------------------+ sh_off_nm
 *   | struct sga_nm_slot[RAC_NROLES]   NM group table: one slot per member
 *   +---------------------------+ sh_off_counters
 *   | uint64_t[SGA_NCOUNTERS]   |  counters for the views
 *   +---------------------------+ sh_off_config
 *   | struct rac_config         |  configuration in force
 *   +---------------------------+ sh_off_peers
 *   | struct sga_peer[RAC_MAX_INST + 1]  heartbeat state per instance number
 *   +---------------------------+ sh_off_vdisks
 *   | struct sga_vdisk[RAC_MAX_VOTING]   state of each voting disk
 *   +---------------------------+ sh_off_cluster
 *   | struct sga_cluster        |  membership as this instance sees it,
 *   |                           |  reconfiguration status, history ring
 *   +---------------------------+ sh_off_fast
 *   | struct fl_area            |  the lock cache: resources LMS hands to
 *   |                           |  its local clients (fastlock.h)
 *   +---------------------------+ sh_size
 *
 * The segment holds offsets, never pointers: each process maps it at its own
 * address.  Fields written by one process and read by others are accessed
 * with __atomic builtins (sga_load/sga_store).  Ownership: the guardian
 * writes the header and frees slots; each member writes only its own slot;
 * counters are added to by anyone.
 */
#ifndef RAC_SGA_H
#define RAC_SGA_H

#include <assert.h>
#include <stdint.h>
#include "rac.h"
#include "config.h"
#include "fastlock.h"

#define SGA_MAGIC	0x41475352u	/* "RSGA" little-endian */
#define SGA_VERSION	11u

/* instance state, as v$instance.STATUS shows it */
enum inst_state {
	INST_DOWN = 0,		/* no segment / not running */
	INST_STARTED,		/* SGA created, members starting */
	INST_MOUNTED,		/* all members registered, control file open */
	INST_OPEN,		/* open for business */
	INST_SHUTDOWN,		/* clean shutdown in progress */
	INST_TERMINATING,	/* a member died or hung: group being killed */
};

/* instance role in the cluster, v$instance.ROLE */
enum inst_role { INST_ROLE_NORMAL = 0, INST_ROLE_CONTROL = 1 };

/* NM slot state, v$process.STATE */
enum nm_state {
	NM_FREE = 0,		/* no process */
	NM_STARTING,		/* forked, not yet registered */
	NM_REGISTERED,		/* registered and ready */
	NM_STOPPING,		/* asked to exit */
	NM_DEAD,		/* exited (the guardian saw it) */
	NM_FAILED,		/* could not start; nm_error says why */
};

struct sga_nm_slot {
	uint32_t nm_role;		/* enum rac_role */
	uint32_t nm_state;		/* enum nm_state */
	int32_t nm_pid;
	int32_t nm_member_id;		/* -1 until registered */
	uint32_t nm_primary;		/* 1 for LMON */
	uint32_t nm_pad0;
	uint64_t nm_hb_mono_ns;		/* last NM heartbeat, CLOCK_MONOTONIC */
	uint64_t nm_hb_count;
	uint64_t nm_registered_us;	/* CLOCK_REALTIME */
	char nm_name[16];		/* "LMS0" */
	char nm_error[192];		/* why it failed to start */
};
static_assert(sizeof(struct sga_nm_slot) == 256, "nm slot size");

/* what LMON makes of a peer, v$heartbeat */
enum peer_state {
	PEER_UNKNOWN = 0,	/* never heard */
	PEER_ALIVE,		/* heard within the timeout */
	PEER_SILENT,		/* silent for longer than the timeout */
	PEER_DOWN,		/* disk slot says it left or its death was confirmed */
};

/* One per instance number, written by LMON only (ages are derived by readers). */
struct sga_peer {
	uint64_t pr_net_last_ns;	/* CLOCK_MONOTONIC of its last heartbeat, 0 = never */
	uint64_t pr_net_count;		/* heartbeats received */
	uint64_t pr_disk_last_ns;	/* when its disk counter was last seen to move */
	uint64_t pr_disk_counter;	/* its disk heartbeat counter, as last read */
	uint64_t pr_heard;		/* instances it hears (its heartbeat); bit i-1 = instance i */
	uint32_t pr_net_state;		/* enum peer_state */
	uint32_t pr_disk_state;		/* enum peer_state */
	uint32_t pr_disks;		/* voting disks it reaches (its heartbeat) */
	uint32_t pr_pad;
};
static_assert(sizeof(struct sga_peer) == 56, "peer size");

/* HUNG: an I/O on it has not completed within the I/O timeout (timeouts.h) */
enum vdisk_state { VDISK_UNKNOWN = 0, VDISK_ONLINE, VDISK_OFFLINE, VDISK_HUNG };
/* what a shared-disk file is (v$voting_disk.KIND) */
enum vdisk_kind { VDISK_KIND_UNKNOWN = 0, VDISK_KIND_FILE, VDISK_KIND_BLOCK };

/* One per configured voting disk, written by LMON only. */
struct sga_vdisk {
	char vd_path[RAC_PATH_MAX];
	uint32_t vd_state;		/* enum vdisk_state */
	uint32_t vd_pad;
	uint64_t vd_last_read_us;	/* CLOCK_REALTIME of the last good read */
	uint64_t vd_last_write_us;	/* ... and write */
	uint64_t vd_read_errors;
	uint64_t vd_write_errors;
	uint64_t vd_corrupt;		/* blocks that failed their checks */
	uint32_t vd_kind;		/* enum vdisk_kind */
	uint32_t vd_sector_size;	/* logical sector size in bytes, 0 unknown */
	uint32_t vd_direct;		/* 1: direct I/O in force, 0: buffered */
	uint32_t vd_io_age_ms;		/* HUNG: age of its oldest outstanding I/O */
};

/* CGS state, v$cluster.STATUS */
enum cgs_state {
	CGS_DOWN = 0,		/* not in the cluster yet */
	CGS_JOINING,		/* asked to join, waiting for the reconfiguration */
	CGS_STABLE,		/* member of an agreed membership */
	CGS_RECONFIG,		/* reconfiguration running */
	CGS_EVICTED,		/* left out by IMR or fenced: exiting */
	CGS_LEAVING,		/* clean stop in progress */
};

/* reconfiguration steps (DESIGN §3), v$cluster.SUB_STATUS and v$reconfig_steps */
enum rcfg_step {
	RCFG_NONE = 0,
	RCFG_FREEZE_NAME_SERVICE,	/* 1 */
	RCFG_FREEZE_LOCK_DB,		/* 2 */
	RCFG_IMR,			/* 3 determine and validate membership */
	RCFG_REBUILD_BITMAP,		/* 4 */
	RCFG_DELETE_DEAD,		/* 5 */
	RCFG_UNFREEZE_NAME_SERVICE,	/* 6 */
	RCFG_HANDOVER_GES,		/* 7 */
	RCFG_NSTEPS
};

enum rcfg_reason { RCFG_JOIN = 1, RCFG_LEAVE, RCFG_CRASH, RCFG_NETWORK, RCFG_CKPT, RCFG_FORM };

#define SGA_RCFG_HIST 32

struct sga_reconfig {
	uint64_t rc_id;			/* 1, 2, ... on this instance */
	uint64_t rc_old_inc, rc_new_inc;
	uint32_t rc_reason;		/* enum rcfg_reason */
	uint32_t rc_done;		/* 1 complete, 2 restarted (overtaken), 3 evicted */
	uint64_t rc_before, rc_after, rc_evicted;	/* bitmaps */
	uint64_t rc_start_us, rc_end_us;
	uint64_t rc_step_start_us[RCFG_NSTEPS];
	uint64_t rc_step_us[RCFG_NSTEPS];	/* duration of each step */
	char rc_detail[96];
};

struct sga_cluster {
	uint32_t cl_state;		/* enum cgs_state */
	uint32_t cl_step;		/* enum rcfg_step while reconfiguring */
	uint32_t cl_control;		/* control node instance number, 0 none */
	uint32_t cl_break_inst;		/* instance whose change started the reconfiguration */
	uint32_t cl_recover_inst;	/* instance being recovered, 0 none */
	uint32_t cl_n_ok;		/* members in the current membership */
	uint64_t cl_members;		/* membership bitmap (bit i-1 = instance i) */
	uint64_t cl_incarnation;
	uint32_t cl_joined;		/* LMON is in the cluster: the guardian may open */
	uint32_t cl_no_disk_writes;	/* own lease expired or fenced: nobody writes */
	uint64_t cl_lease_ns;		/* CLOCK_MONOTONIC start of the last disk heartbeat
					 * round that reached a majority; 0 = none yet */
	uint64_t cl_lease_len_ns;	/* disktimeout: the lease runs to cl_lease_ns + this */
	uint64_t cl_nrcfg;		/* reconfigurations so far (history ring index) */
	/* LMS's part of the hand-over (step 7), for the alert lines */
	uint64_t cl_grd_inc;		/* incarnation LMS finished rebuilding for */
	uint32_t cl_grd_traversed;	/* shadows LMS looked at */
	uint32_t cl_grd_replayed;	/* shadows sent to new masters */
	uint32_t cl_grd_cancelled;	/* locks of departed instances dropped */
	uint32_t cl_grd_rebuilt;	/* resources rebuilt here from shadows */
	uint32_t cl_grd_dubious;	/* value blocks marked dubious */
	uint32_t cl_grd_pad;
	/*
	 * Instance recovery: LMS posts SMON (cl_smon_insts, then cl_smon_post =
	 * the incarnation); SMON recovers and says so (cl_smon_done); LMS then
	 * releases what it held for recovery (cl_grd_released, then
	 * cl_grd_released_inc) and SMON records the end of the recovery.
	 */
	uint64_t cl_smon_insts;		/* instances to recover, bitmap */
	uint64_t cl_smon_post;
	uint64_t cl_smon_done;
	uint64_t cl_grd_released_inc;
	uint32_t cl_grd_released;	/* locks released when recovery was done */
	uint32_t cl_grd_pad2;
	struct sga_reconfig cl_hist[SGA_RCFG_HIST];
};

enum sga_counter {
	CNT_NM_HEARTBEATS = 0,		/* NM slot updates, all members */
	CNT_CKPT_WRITES,		/* checkpoint progress records written */
	CNT_CKPT_WRITE_ERRORS,		/* ... that failed */
	CNT_CKPT_CORRUPT_REPAIRED,	/* own record found corrupt and rewritten */
	CNT_DISK_BLOCKS_CORRUPT,	/* corrupt blocks seen on read */
	CNT_MEMBER_DEATHS,		/* members that died unexpectedly */
	CNT_MEMBER_HANGS,		/* members declared hung */
	CNT_MSG_RECEIVED,		/* interconnect messages accepted */
	CNT_MSG_BAD,			/* malformed messages dropped */
	CNT_MSG_FOREIGN,		/* other cluster's messages dropped */
	CNT_STATE_CHANGES,		/* state-machine transitions */
	CNT_HB_SENT,			/* network heartbeats sent */
	CNT_HB_SEND_DROPPED,		/* ... dropped: peer queue full or unreachable */
	CNT_DISK_HB_WRITES,		/* disk heartbeats written (all disks) */
	CNT_DISK_IO_ERRORS,		/* voting-disk reads or writes that failed */
	CNT_RECONFIGS,			/* reconfigurations completed */
	CNT_RECONFIG_RESTARTS,		/* ... overtaken by a newer event and restarted */
	CNT_IMR_VOTES,			/* votes cast */
	CNT_IMR_RESULTS_WRITTEN,	/* vote results written by this instance */
	CNT_GES_REQUESTS,		/* lock requests from local clients */
	CNT_GES_GRANTS,			/* grants by this LMS as master */
	CNT_GES_REMOTE_SENT,		/* requests forwarded to another master */
	CNT_GES_REMOTE_SERVED,		/* requests served for another instance */
	CNT_GES_BASTS,			/* blocking notifications delivered */
	CNT_GES_DEADLOCKS,		/* requests failed as deadlock victims */
	CNT_GES_BAD,			/* bad lock requests refused */
	CNT_GES_CLIENT_DROPS,		/* dead clients whose locks were released */
	CNT_GES_CLIENT_LOCKS_FREED,	/* locks those releases freed */
	CNT_GES_FROZEN,			/* requests held while the GRD was frozen */
	CNT_GES_SEND_DROPPED,		/* answers or events that could not be sent */
	CNT_GES_CONVERTS,		/* conversions requested by local clients */
	CNT_GES_REMASTERED,		/* resources rebuilt here as their new master */
	CNT_GES_RECOVERY_HELD,		/* locks of failed instances held for recovery */
	CNT_GES_FREEZES,		/* reconfigurations the GRD was frozen for */
	CNT_GES_FREEZE_US_TOTAL,	/* microseconds frozen, all of them */
	CNT_GES_FREEZE_US_LAST,		/* microseconds frozen, the last one */
	CNT_SMON_RECOVERIES,		/* instance recoveries completed by SMON */
	CNT_GES_MOVED_BOUNCED,		/* requests sent back: their resource had moved */
	CNT_GES_DEADLOCK_UNCONFIRMED,	/* cross-instance cycles gone when checked again */
	CNT_GES_STALE_DROPPED,		/* from departed masters, or to our previous life */
	CNT_GES_FAST_REQUESTS,		/* lock requests served in the SGA lock cache */
	CNT_GES_FAST_DELEGATED,		/* resources LMS handed to the lock cache */
	CNT_GES_FAST_REVOKED,		/* resources LMS took back into the GRD */
	CNT_IMR_LEFT_OUT,		/* found left out of a newer incarnation on disk */
	CNT_LMON_STALLS,		/* LMON rounds late past half of misscount */
	CNT_DISK_BUFFERED_OPENS,	/* shared-disk opens without direct I/O (refused) */
	CNT_IMR_RESULT_RACES,		/* another writer's result found before ours was written */
	CNT_CKPT_UNREADABLE,		/* reads of a peer's checkpoint record that failed */
	CNT_NUMBER_IN_USE,		/* starts refused: another life holds our number */
	CNT_AUTH_REFUSED,		/* interconnect connections refused (key, mechanism) */
	CNT_AUTH_SENDER,		/* messages whose key is not their sender's */
	CNT_CLIENT_REFUSED,		/* local lock requests refused: not the cluster's user */
	CNT_GES_NOT_OWNER,		/* lock requests refused: another owner's lock */
	CNT_CLIENT_CONN_REFUSED,	/* local client connections refused (cap, descriptors) */
	CNT_GES_LIMITED,		/* lock requests refused: a quota */
	SGA_NCOUNTERS_USED,
	SGA_NCOUNTERS = 64		/* room kept for later counters */
};

struct sga_header {
	uint32_t sh_magic;
	uint32_t sh_version;
	uint32_t sh_size;		/* whole segment */
	uint32_t sh_hdr_size;
	uint32_t sh_off_nm;
	uint32_t sh_nm_count;
	uint32_t sh_off_counters;
	uint32_t sh_ncounters;
	uint32_t sh_off_config;
	uint32_t sh_config_size;

	int32_t sh_inst_no;
	int32_t sh_member_id;		/* set when LMON registers */
	char sh_cluster[RAC_CLUSTER_MAX];
	char sh_inst_name[RAC_NAME_MAX];
	char sh_host[RAC_HOST_MAX];

	int32_t sh_guardian_pid;
	uint32_t sh_pad0;
	uint64_t sh_guardian_start;	/* /proc starttime of the guardian */
	uint64_t sh_startup_us;		/* CLOCK_REALTIME */
	uint64_t sh_open_us;		/* when it reached OPEN, 0 before */

	uint32_t sh_state;		/* enum inst_state */
	uint32_t sh_role;		/* enum inst_role */
	uint64_t sh_incarnation;	/* cluster incarnation as seen here */
	char sh_reason[128];		/* why the state last changed (terminating) */
	uint32_t sh_off_peers;
	uint32_t sh_npeers;		/* RAC_MAX_INST + 1, by instance number */
	uint32_t sh_off_vdisks;
	uint32_t sh_nvdisks;		/* RAC_MAX_VOTING */
	uint32_t sh_off_cluster;
	uint32_t sh_cluster_size;
	uint32_t sh_off_fast;
	uint32_t sh_fast_size;
	int64_t sh_clock_offset_us;	/* lab drill: added to this host's wall clock */
	uint8_t sh_reserved[216];	/* grows here in later versions */
};

struct sga {
	int sg_fd;
	void *sg_base;
	size_t sg_size;
	int sg_writable;
	char sg_name[96];
};

/* sga.c */
/* Layout size for this version. */
size_t sga_layout_size(void);
/*
 * Create the segment for instance `inst` of `cfg`.  A segment left by a dead
 * instance (its guardian gone) is removed first and *stale_pid set to the
 * dead guardian's pid (0 if there was none).  Returns RAC_ESGA_RUNNING when
 * the instance is alive.
 */
int sga_create(const struct rac_config *cfg, int inst, struct sga *s, pid_t *stale_pid);
/* Attach an existing segment by name (read-only unless `writable`). */
int sga_attach(const char *name, int writable, struct sga *s);
void sga_detach(struct sga *s);
/* Remove the segment name (the mapping stays valid until detach). */
int sga_unlink(struct sga *s);
/* Is the guardian recorded in the header alive (same pid and start time)? */
bool sga_owner_alive(const struct sga *s);
/* Check magic, version and that every offset fits: 0 or RAC_ESGA_* */
int sga_validate(const struct sga *s);
/*
 * The part of the segment the gv$ views copy over the interconnect: all of
 * it but the lock cache (whose locks LMS shows itself).  sga_validate_view
 * checks such a copy.
 */
size_t sga_view_size(void);
int sga_validate_view(const struct sga *s);

static inline struct sga_header *sga_hdr(const struct sga *s)
{
	return (struct sga_header *)s->sg_base;
}
static inline struct sga_nm_slot *sga_nm(const struct sga *s, int role)
{
	return (struct sga_nm_slot *)((char *)s->sg_base + sga_hdr(s)->sh_off_nm) + role;
}
static inline uint64_t *sga_counters(const struct sga *s)
{
	return (uint64_t *)((char *)s->sg_base + sga_hdr(s)->sh_off_counters);
}
static inline struct rac_config *sga_config(const struct sga *s)
{
	return (struct rac_config *)((char *)s->sg_base + sga_hdr(s)->sh_off_config);
}

static inline struct sga_peer *sga_peer(const struct sga *s, int inst)
{
	return (struct sga_peer *)((char *)s->sg_base + sga_hdr(s)->sh_off_peers) + inst;
}
static inline struct sga_vdisk *sga_vdisk(const struct sga *s, int disk)
{
	return (struct sga_vdisk *)((char *)s->sg_base + sga_hdr(s)->sh_off_vdisks) + disk;
}

static inline struct sga_cluster *sga_cluster(const struct sga *s)
{
	return (struct sga_cluster *)((char *)s->sg_base + sga_hdr(s)->sh_off_cluster);
}

static inline struct fl_area *sga_fast(const struct sga *s)
{
	return (struct fl_area *)((char *)s->sg_base + sga_hdr(s)->sh_off_fast);
}

/*
 * May this instance write to the shared disk?  Not once fenced, and not once
 * LMON's lease has lapsed -- even if LMON is stopped and cannot say so
 * itself: every writer (CKPT, the guardian) checks before each write.
 */
static inline bool sga_may_write_disk(const struct sga *s)
{
	const struct sga_cluster *cl = sga_cluster(s);
	uint64_t lease = __atomic_load_n(&cl->cl_lease_ns, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&cl->cl_no_disk_writes, __ATOMIC_ACQUIRE))
		return false;
	return !lease || rac_now_mono_ns() - lease <= cl->cl_lease_len_ns;
}

#define sga_load(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define sga_store(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

static inline void sga_count(const struct sga *s, enum sga_counter c, uint64_t n)
{
	__atomic_add_fetch(&sga_counters(s)[c], n, __ATOMIC_RELAXED);
}

const char *sga_state_str(uint32_t state);	/* "OPEN" */
const char *sga_role_str(uint32_t role);	/* "CONTROL NODE" */
const char *sga_nm_state_str(uint32_t state);	/* "REGISTERED" */
const char *sga_counter_name(int c);		/* "ckpt writes" or NULL */
const char *sga_peer_state_str(uint32_t state);	/* "ALIVE" */
const char *sga_vdisk_state_str(uint32_t state);	/* "ONLINE" */
const char *sga_cgs_state_str(uint32_t state);		/* "STABLE" */
const char *sga_step_str(uint32_t step);		/* "FREEZE_NAME_SERVICE" */
const char *sga_reason_str(uint32_t reason);		/* "CRASH" */

#endif
