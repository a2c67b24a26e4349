/*
 * sga.c - create, attach, validate and remove the SGA segment.
 *
 * A segment belongs to the guardian recorded in its header (pid and /proc
 * start time, so a recycled pid is not mistaken for the owner).  When
 * sga_create() finds a segment whose owner is gone, the instance died
 * without cleaning up: the segment is removed and made anew.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "sga.h"

#define ALIGN(x) (((x) + 63u) & ~63u)

static uint32_t off_nm(void) { return ALIGN((uint32_t)sizeof(struct sga_header)); }
static uint32_t off_counters(void)
{
	return ALIGN(off_nm() + RAC_NROLES * (uint32_t)sizeof(struct sga_nm_slot));
}
static uint32_t off_config(void)
{
	return ALIGN(off_counters() + SGA_NCOUNTERS * (uint32_t)sizeof(uint64_t));
}

static uint32_t off_peers(void)
{
	return ALIGN(off_config() + (uint32_t)sizeof(struct rac_config));
}
static uint32_t off_vdisks(void)
{
	return ALIGN(off_peers() + (RAC_MAX_INST + 1) * (uint32_t)sizeof(struct sga_peer));
}

static uint32_t off_cluster(void)
{
	return ALIGN(off_vdisks() + RAC_MAX_VOTING * (uint32_t)sizeof(struct sga_vdisk));
}

static uint32_t off_fast(void)
{
	return ALIGN(off_cluster() + (uint32_t)sizeof(struct sga_cluster));
}

size_t sga_layout_size(void)
{
	return (ALIGN(off_fast() + (uint32_t)sizeof(struct fl_area)) + 4095u) & ~4095u;
}

static int map(struct sga *s, int fd, size_t size, int writable, const char *name)
{
	void *p = mmap(NULL, size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return RAC_ESYS;
	s->sg_fd = fd;
	s->sg_base = p;
	s->sg_size = size;
	s->sg_writable = writable;
	rac_strlcpy(s->sg_name, name, sizeof(s->sg_name));
	return 0;
}

int sga_attach(const char *name, int writable, struct sga *s)
{
	struct stat st;
	int fd, rc;

	memset(s, 0, sizeof(*s));
	s->sg_fd = -1;
	fd = shm_open(name, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
	if (fd < 0)
		return errno == ENOENT ? RAC_ENOENT : RAC_ESYS;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(struct sga_header)) {
		close(fd);
		return RAC_ESGA_CORRUPT;
	}
	rc = map(s, fd, (size_t)st.st_size, writable, name);
	if (rc) {
		close(fd);
		return rc;
	}
	return 0;
}

void sga_detach(struct sga *s)
{
	if (s->sg_base)
		munmap(s->sg_base, s->sg_size);
	if (s->sg_fd >= 0)
		close(s->sg_fd);
	s->sg_base = NULL;
	s->sg_fd = -1;
}

int sga_unlink(struct sga *s)
{
	if (shm_unlink(s->sg_name) && errno != ENOENT)
		return RAC_ESYS;
	return 0;
}

static int validate(const struct sga *s, bool view)
{
	const struct sga_header *h = sga_hdr(s);

	if (s->sg_size < sizeof(*h) || h->sh_magic != SGA_MAGIC)
		return RAC_ESGA_CORRUPT;
	if (h->sh_version != SGA_VERSION)
		return RAC_ESGA_VERSION;
	if (view && s->sg_size != off_fast())
		return RAC_ESGA_CORRUPT;
	if ((!view && h->sh_size != s->sg_size) || h->sh_hdr_size != sizeof(*h) ||
	    h->sh_off_nm != off_nm() || h->sh_nm_count != RAC_NROLES ||
	    h->sh_off_counters != off_counters() || h->sh_ncounters != SGA_NCOUNTERS ||
	    h->sh_off_config != off_config() || h->sh_config_size != sizeof(struct rac_config) ||
	    h->sh_off_peers != off_peers() || h->sh_npeers != RAC_MAX_INST + 1 ||
	    h->sh_off_vdisks != off_vdisks() || h->sh_nvdisks != RAC_MAX_VOTING ||
	    h->sh_off_cluster != off_cluster() ||
	    h->sh_cluster_size != sizeof(struct sga_cluster) ||
	    (size_t)h->sh_off_cluster + h->sh_cluster_size > s->sg_size ||
	    h->sh_off_fast != off_fast() || h->sh_fast_size != sizeof(struct fl_area) ||
	    (!view && (size_t)h->sh_off_fast + h->sh_fast_size > s->sg_size) ||
	    (size_t)h->sh_off_config + h->sh_config_size > s->sg_size)
		return RAC_ESGA_CORRUPT;
	return 0;
}

int sga_validate(const struct sga *s)
{
	return validate(s, false);
}

int sga_validate_view(const struct sga *s)
{
	return validate(s, true);
}

size_t sga_view_size(void)
{
	return off_fast();
}

bool sga_owner_alive(const struct sga *s)
{
	const struct sga_header *h = sga_hdr(s);
	uint64_t start;

	if (s->sg_size < sizeof(*h) || h->sh_magic != SGA_MAGIC || h->sh_guardian_pid <= 0)
		return false;
	start = rac_proc_starttime(h->sh_guardian_pid);
	return start && start == h->sh_guardian_start;
}

int sga_create(const struct rac_config *cfg, int inst, struct sga *s, pid_t *stale_pid)
{
	const struct rac_inst_cfg *ic = config_inst(cfg, inst);
	char name[96];
	size_t size = sga_layout_size();
	struct sga old;
	struct sga_header *h;
	int fd, rc;

	*stale_pid = 0;
	if (!ic)
		return RAC_EINVAL;
	config_sga_name(cfg, inst, name, sizeof(name));

	/* a segment already there: alive owner, or left by a crash? */
	if (sga_attach(name, 0, &old) == 0) {
		bool alive = sga_owner_alive(&old);

		if (old.sg_size >= sizeof(struct sga_header) && sga_hdr(&old)->sh_magic == SGA_MAGIC)
			*stale_pid = sga_hdr(&old)->sh_guardian_pid;
		if (!*stale_pid)
			*stale_pid = -1;	/* unreadable header: stale all the same */
		sga_detach(&old);
		if (alive) {
			*stale_pid = 0;
			return RAC_ESGA_RUNNING;
		}
		shm_unlink(name);
	}

	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? RAC_ESGA_RUNNING : RAC_ESYS;
	fchmod(fd, 0600);	/* whatever the umask */
	if (ftruncate(fd, (off_t)size)) {
		close(fd);
		shm_unlink(name);
		return RAC_ESYS;
	}
	rc = map(s, fd, size, 1, name);
	if (rc) {
		close(fd);
		shm_unlink(name);
		return rc;
	}
	h = sga_hdr(s);
	memset(s->sg_base, 0, size);
	h->sh_version = SGA_VERSION;
	h->sh_size = (uint32_t)size;
	h->sh_hdr_size = sizeof(*h);
	h->sh_off_nm = off_nm();
	h->sh_nm_count = RAC_NROLES;
	h->sh_off_counters = off_counters();
	h->sh_ncounters = SGA_NCOUNTERS;
	h->sh_off_config = off_config();
	h->sh_config_size = sizeof(struct rac_config);
	h->sh_off_peers = off_peers();
	h->sh_npeers = RAC_MAX_INST + 1;
	h->sh_off_vdisks = off_vdisks();
	h->sh_nvdisks = RAC_MAX_VOTING;
	h->sh_off_cluster = off_cluster();
	h->sh_cluster_size = sizeof(struct sga_cluster);
	h->sh_off_fast = off_fast();
	h->sh_fast_size = sizeof(struct fl_area);
	h->sh_inst_no = inst;
	h->sh_member_id = -1;
	rac_strlcpy(h->sh_cluster, cfg->cf_name, sizeof(h->sh_cluster));
	rac_strlcpy(h->sh_inst_name, ic->ic_name, sizeof(h->sh_inst_name));
	rac_strlcpy(h->sh_host, ic->ic_host, sizeof(h->sh_host));
	h->sh_guardian_pid = (int32_t)getpid();
	h->sh_guardian_start = rac_proc_starttime(getpid());
	h->sh_startup_us = rac_now_us();
	h->sh_state = INST_STARTED;
	memcpy(sga_config(s), cfg, sizeof(*cfg));
	/* this host's names of the shared-disk files, for every process of the instance */
	config_localize(sga_config(s), inst);
	for (int d = 0; d < sga_config(s)->cf_nvoting; d++)
		rac_strlcpy(sga_vdisk(s, d)->vd_path, sga_config(s)->cf_voting[d], RAC_PATH_MAX);
	for (int r = 0; r < RAC_NROLES; r++) {
		struct sga_nm_slot *slot = sga_nm(s, r);

		slot->nm_role = (uint32_t)r;
		slot->nm_member_id = -1;
	}
	/* magic last: a reader that sees it sees a complete header */
	__atomic_store_n(&h->sh_magic, SGA_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

const char *sga_state_str(uint32_t state)
{
	static const char *names[] = { "DOWN", "STARTED", "MOUNTED", "OPEN", "SHUTDOWN",
				       "TERMINATING" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "UNKNOWN";
}

const char *sga_role_str(uint32_t role)
{
	return role == INST_ROLE_CONTROL ? "CONTROL NODE" : "NORMAL NODE";
}

const char *sga_nm_state_str(uint32_t state)
{
	static const char *names[] = { "FREE", "STARTING", "REGISTERED", "STOPPING", "DEAD",
				       "FAILED" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "UNKNOWN";
}

const char *sga_counter_name(int c)
{
	static const char *names[SGA_NCOUNTERS_USED] = {
		[CNT_NM_HEARTBEATS] = "nm heartbeats",
		[CNT_CKPT_WRITES] = "checkpoint progress writes",
		[CNT_CKPT_WRITE_ERRORS] = "checkpoint progress write errors",
		[CNT_CKPT_CORRUPT_REPAIRED] = "checkpoint records repaired",
		[CNT_DISK_BLOCKS_CORRUPT] = "corrupt disk blocks read",
		[CNT_MEMBER_DEATHS] = "member deaths",
		[CNT_MEMBER_HANGS] = "member hangs",
		[CNT_MSG_RECEIVED] = "messages received",
		[CNT_MSG_BAD] = "malformed messages dropped",
		[CNT_MSG_FOREIGN] = "foreign-cluster messages dropped",
		[CNT_STATE_CHANGES] = "state changes",
		[CNT_HB_SENT] = "network heartbeats sent",
		[CNT_HB_SEND_DROPPED] = "network heartbeats dropped",
		[CNT_DISK_HB_WRITES] = "disk heartbeats written",
		[CNT_DISK_IO_ERRORS] = "voting disk I/O errors",
		[CNT_RECONFIGS] = "reconfigurations",
		[CNT_RECONFIG_RESTARTS] = "reconfigurations restarted",
		[CNT_IMR_VOTES] = "IMR votes cast",
		[CNT_IMR_LEFT_OUT] = "IMR newer incarnations found leaving us out",
		[CNT_LMON_STALLS] = "LMON rounds late past half of misscount",
		[CNT_DISK_BUFFERED_OPENS] = "shared-disk opens without direct I/O",
		[CNT_IMR_RESULTS_WRITTEN] = "IMR results written",
		[CNT_IMR_RESULT_RACES] = "IMR results found written by another writer",
		[CNT_CKPT_UNREADABLE] = "checkpoint records of other instances unreadable",
		[CNT_NUMBER_IN_USE] = "starts refused: instance number in use by another life",
		[CNT_AUTH_REFUSED] = "interconnect connections refused",
		[CNT_AUTH_SENDER] = "messages refused: key of another sender",
		[CNT_CLIENT_REFUSED] = "local lock requests refused: not the cluster's user",
		[CNT_GES_NOT_OWNER] = "lock requests refused: another owner's lock",
		[CNT_CLIENT_CONN_REFUSED] = "local client connections refused",
		[CNT_GES_LIMITED] = "lock requests refused: quota reached",
		[CNT_GES_REQUESTS] = "ges requests",
		[CNT_GES_GRANTS] = "ges grants",
		[CNT_GES_REMOTE_SENT] = "ges remote requests sent",
		[CNT_GES_REMOTE_SERVED] = "ges remote requests served",
		[CNT_GES_BASTS] = "ges blocking notifications",
		[CNT_GES_DEADLOCKS] = "ges deadlocks",
		[CNT_GES_BAD] = "ges bad requests",
		[CNT_GES_CLIENT_DROPS] = "ges dead clients cleaned up",
		[CNT_GES_CLIENT_LOCKS_FREED] = "ges locks of dead clients released",
		[CNT_GES_FROZEN] = "ges requests held while frozen",
		[CNT_GES_SEND_DROPPED] = "ges messages that could not be sent",
		[CNT_GES_CONVERTS] = "ges conversions",
		[CNT_GES_REMASTERED] = "ges resources remastered",
		[CNT_GES_RECOVERY_HELD] = "ges locks held for recovery",
		[CNT_GES_FREEZES] = "ges reconfigurations frozen",
		[CNT_GES_FREEZE_US_TOTAL] = "ges freeze time total (us)",
		[CNT_GES_FREEZE_US_LAST] = "ges freeze time last reconfiguration (us)",
		[CNT_SMON_RECOVERIES] = "smon instance recoveries",
		[CNT_GES_MOVED_BOUNCED] = "ges requests rerouted after remastering",
		[CNT_GES_DEADLOCK_UNCONFIRMED] = "ges deadlock candidates not confirmed",
		[CNT_GES_STALE_DROPPED] = "ges stale messages dropped",
		[CNT_GES_FAST_REQUESTS] = "ges requests served in the sga",
		[CNT_GES_FAST_DELEGATED] = "ges resources handed to the sga",
		[CNT_GES_FAST_REVOKED] = "ges resources taken back from the sga",
	};

	return c >= 0 && c < SGA_NCOUNTERS_USED ? names[c] : NULL;
}

const char *sga_peer_state_str(uint32_t state)
{
	static const char *names[] = { "UNKNOWN", "ALIVE", "SILENT", "DOWN" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "INVALID";
}

const char *sga_vdisk_state_str(uint32_t state)
{
	static const char *names[] = { "UNKNOWN", "ONLINE", "OFFLINE", "HUNG" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "INVALID";
}

const char *sga_cgs_state_str(uint32_t state)
{
	static const char *names[] = { "DOWN", "JOINING", "STABLE", "RECONFIG", "EVICTED",
				       "LEAVING" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "INVALID";
}

const char *sga_step_str(uint32_t step)
{
	static const char *names[] = { "NONE", "FREEZE_NAME_SERVICE", "FREEZE_LOCK_DB",
				       "IMR", "REBUILD_BITMAP", "DELETE_DEAD",
				       "UNFREEZE_NAME_SERVICE", "HANDOVER_GES" };

	return step < sizeof(names) / sizeof(names[0]) ? names[step] : "INVALID";
}

const char *sga_reason_str(uint32_t reason)
{
	static const char *names[] = { "NONE", "JOIN", "LEAVE", "CRASH", "NETWORK", "CKPT",
				       "FORM" };

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "INVALID";
}
