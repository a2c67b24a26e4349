/*
 * config.h - the cluster configuration (DESIGN §8).
 *
 * The INI file is read through one table of keys (config.c: cfg_keys[]):
 * name, section, type, default, bounds and the field it fills.  Parsing,
 * validation, the built-in default cluster, the "values in force" block of
 * the alert log and v$parameter all come from that table.
 *
 * struct rac_config is plain data with fixed-size fields and no pointers,
 * so the guardian can copy it into the SGA and every member and racsql
 * reads the configuration in force from there.
 */
#ifndef RAC_CONFIG_H
#define RAC_CONFIG_H

#include <stdio.h>
#include "rac.h"

enum cfg_source {
	CFG_SRC_DEFAULT = 0,	/* built-in default */
	CFG_SRC_FILE,		/* set in the file */
};

struct rac_inst_cfg {
	int32_t ic_number;	/* 1..RAC_MAX_INST; 0 = not configured */
	char ic_name[RAC_NAME_MAX];
	char ic_host[RAC_HOST_MAX];
	char ic_lmon_ep[RAC_EP_MAX];
	char ic_lms_ep[RAC_EP_MAX];
	char ic_local_dir[RAC_PATH_MAX];	/* absolute */
	char ic_netns[RAC_NAME_MAX * 3];	/* network namespace (lab mode), "" none */
	uint8_t ic_src[8];	/* enum cfg_source per instance key */
	/*
	 * This host's names of the shared-disk files (the same LUN may be
	 * /dev/sdb on one host and /dev/sdc on another), as offsets + 1 into
	 * cf_paths (config_path()); 0 = the cluster's.  In force through
	 * config_localize().
	 */
	int32_t ic_nvoting;
	uint16_t ic_voting[RAC_MAX_VOTING];
	uint16_t ic_control;
};

#define CFG_MAX_KEYS 64
/*
 * Room for the instances' own paths of the shared-disk files, packed (the
 * whole configuration travels in an SGA snapshot of at most 64 KiB)
 */
#define CFG_PATHS_MAX 8192

struct rac_config {
	char cf_path[RAC_PATH_MAX];	/* absolute path of the file; "" = built-in */
	char cf_name[RAC_CLUSTER_MAX];	/* cluster name */
	char cf_shared_disk[RAC_PATH_MAX];	/* absolute */
	int32_t cf_nvoting;
	char cf_voting[RAC_MAX_VOTING][RAC_PATH_MAX];	/* absolute */

	/* timings, milliseconds; see timeouts.c for how they fit together */
	int32_t cf_heartbeat_interval_ms;
	int32_t cf_misscount_ms;
	int32_t cf_disk_heartbeat_interval_ms;
	int32_t cf_disktimeout_ms;
	int32_t cf_ckpt_interval_ms;
	int32_t cf_ckpt_timeout_ms;
	int32_t cf_imr_splitbrain_res_wait_ms;
	int32_t cf_member_heartbeat_ms;	/* NM slot update period */
	int32_t cf_member_hang_timeout_ms;	/* NM slot silence = member dead */
	int32_t cf_start_timeout_ms;	/* racctl start: bound on reaching OPEN */
	int32_t cf_stop_timeout_ms;	/* clean stop: bound per member */
	int32_t cf_lab;			/* 1: written by racctl up --lab */
	int32_t cf_lock_fast_path;	/* 1: LMS may hand resources to the SGA lock cache */

	int32_t cf_ninst;		/* instances configured */
	struct rac_inst_cfg cf_inst[RAC_MAX_INST + 1];	/* by number; [0] unused */
	uint8_t cf_src[CFG_MAX_KEYS];	/* enum cfg_source per cluster key */
	char cf_control[RAC_PATH_MAX];	/* control file, absolute */
	int32_t cf_local_inst;		/* instance whose paths are in force, 0 the cluster's */
	/* the cluster's own paths while an instance's are in force (v$parameter) */
	int32_t cf_cl_nvoting;
	char cf_cl_voting[RAC_MAX_VOTING][RAC_PATH_MAX];
	char cf_cl_control[RAC_PATH_MAX];
	uint32_t cf_paths_used;
	char cf_paths[CFG_PATHS_MAX];	/* NUL-terminated paths the instances name */
	int32_t cf_auth;		/* 1: CURVE on every TCP socket (auth.h) */
	char cf_key_dir[RAC_PATH_MAX];	/* the CURVE keys, absolute */
	int32_t cf_max_locks_per_client;	/* quota per client, on each master */
	int32_t cf_max_locks;		/* quota per master (LMS) */
	char cf_client_group[32];	/* a group whose members may use LMS too; "" none */
};

/*
 * Load the configuration: from `path` if not NULL, else from $RACRT_CONFIG
 * if set, else the built-in default cluster (relative paths then resolve
 * against the current directory).  While a lab is up (racctl up --lab wrote
 * <shared_disk>/lab.ini), the lab's configuration is loaded instead.  On error returns RAC_ECONFIG and writes
 * one or more lines to `err`, each naming the file, line or key, and the fix.
 */
int config_load(const char *path, struct rac_config *cfg, char *err, size_t errlen);
/*
 * The cluster-wide keys every host must hold with one value (the timings
 * the fencing rules rest on, and what the members must agree on), in the
 * order the control file records them (disk.h: struct ctl_config; append
 * only).  config_cluster_value() is key k's value in `cfg`.
 */
int config_cluster_nkeys(void);
const char *config_cluster_key(int k);
int32_t config_cluster_value(const struct rac_config *cfg, int k);

/* Parse one INI file (config_load() without the fallbacks). */
int config_parse_file(const char *path, struct rac_config *cfg, char *err, size_t errlen);

/* Built-in default cluster with paths relative to `basedir`. */
int config_default(const char *basedir, struct rac_config *cfg, char *err, size_t errlen);

/* the instance by number, or NULL */
const struct rac_inst_cfg *config_inst(const struct rac_config *cfg, int number);
/* the instance by name (case-insensitive), or NULL */
const struct rac_inst_cfg *config_inst_by_name(const struct rac_config *cfg, const char *name);
/* true when the instance's host is this machine (localhost, 127.x, hostname) */
bool config_inst_is_local(const struct rac_inst_cfg *ic);

/*
 * Every parameter in force for instance `inst` (cluster keys, then that
 * instance's keys), one callback per key.  Drives the alert-log dump at
 * start and v$parameter.
 */
struct cfg_param {
	const char *p_name;
	const char *p_value;
	const char *p_default;	/* "" when the key has no default */
	const char *p_source;	/* "default", "file" */
	const char *p_section;	/* "cluster" or "instance<N>" */
	const char *p_description;
};
typedef void (*cfg_param_fn)(const struct cfg_param *p, void *arg);
void config_foreach_param(const struct rac_config *cfg, int inst, cfg_param_fn fn, void *arg);

/* Write "name = value" of every parameter in force to a FILE (for tests/racctl). */
void config_print(const struct rac_config *cfg, int inst, FILE *out);

/* Name of the instance's SGA segment: "/racrt.<cluster>.<INST>.<hash>" */
void config_sga_name(const struct rac_config *cfg, int inst, char *buf, size_t len);
/* The lab configuration written by racctl up --lab: <shared_disk>/lab.ini */
void config_lab_path(const struct rac_config *cfg, char *buf, size_t len);
/* The lab's switch namespace (holds the bridge): "racrt-<cluster>-sw" */
void config_lab_switch(const struct rac_config *cfg, char *buf, size_t len);

/* The control file path in force: control_file (default <shared_disk>/control.ctl) */
void config_control_path(const struct rac_config *cfg, char *buf, size_t len);

/*
 * Put instance `inst`'s own names of the shared-disk files in force
 * ([instanceN] voting_disks, control_file): cf_voting[] and the control
 * path become that host's, so everything that opens them needs nothing
 * else.  0 (or an instance without overrides) puts the cluster's back.
 * The guardian does it for its instance (sga_create()), racctl for -i N
 * or the first instance on this host.
 */
void config_localize(struct rac_config *cfg, int inst);
/* a path an instance names (ic_voting[], ic_control), or NULL for 0 */
const char *config_path(const struct rac_config *cfg, uint16_t ref);

#endif
