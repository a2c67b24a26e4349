/*
 * config.c - the configuration table, INI parsing and validation.
 *
 * cfg_keys[] is the one list of keys: what section a key lives in, its
 * type, default, bounds, the field it fills and one line of description.
 * Everything else here is driven by it:
 *
 *   config_load()            file (or $RACRT_CONFIG, or the built-in
 *                            cluster) -> struct rac_config
 *   validate_*()             every mistake becomes one line naming the file,
 *                            line, key and the fix; all are reported at once
 *   config_foreach_param()   the values in force: alert log and v$parameter
 *
 * iniparser reads the file; it lower-cases sections and keys and does not
 * keep line numbers, so scan_lines() makes a small (section, key) -> line
 * index of its own for the messages.
 */
#include <assert.h>
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <iniparser/iniparser.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "errors.h"

enum cfg_scope { SC_CLUSTER, SC_INST };
/* T_IPATH: an instance's own path, kept in cf_paths (ic_control) */
enum cfg_type { T_NAME, T_STR, T_PATH, T_PATHLIST, T_INT, T_ENDPOINT, T_BOOL, T_IPATH };

struct cfg_key {
	const char *k_name;
	enum cfg_scope k_scope;
	enum cfg_type k_type;
	const char *k_default;	/* NULL: required (instance keys) or derived */
	long k_min, k_max;	/* T_INT bounds; T_NAME/T_STR max length */
	size_t k_off;		/* offset in rac_config or rac_inst_cfg */
	size_t k_size;		/* size of a string field */
	const char *k_desc;
};

#define CK(f) offsetof(struct rac_config, f), sizeof(((struct rac_config *)0)->f)

/* append only: the control file records the values in this order */
static const struct {
	const char *name;
	size_t off;
} cluster_wide[] = {
	{ "heartbeat_interval_ms", offsetof(struct rac_config, cf_heartbeat_interval_ms) },
	{ "misscount_ms", offsetof(struct rac_config, cf_misscount_ms) },
	{ "disk_heartbeat_interval_ms", offsetof(struct rac_config, cf_disk_heartbeat_interval_ms) },
	{ "disktimeout_ms", offsetof(struct rac_config, cf_disktimeout_ms) },
	{ "ckpt_interval_ms", offsetof(struct rac_config, cf_ckpt_interval_ms) },
	{ "ckpt_timeout_ms", offsetof(struct rac_config, cf_ckpt_timeout_ms) },
	{ "imr_splitbrain_res_wait_ms", offsetof(struct rac_config, cf_imr_splitbrain_res_wait_ms) },
	{ "member_heartbeat_ms", offsetof(struct rac_config, cf_member_heartbeat_ms) },
	{ "member_hang_timeout_ms", offsetof(struct rac_config, cf_member_hang_timeout_ms) },
	{ "lock_fast_path", offsetof(struct rac_config, cf_lock_fast_path) },
	{ "interconnect_auth", offsetof(struct rac_config, cf_auth) },
};

int config_cluster_nkeys(void)
{
	return (int)(sizeof(cluster_wide) / sizeof(cluster_wide[0]));
}

const char *config_cluster_key(int k)
{
	return k >= 0 && k < config_cluster_nkeys() ? cluster_wide[k].name : "?";
}

int32_t config_cluster_value(const struct rac_config *cfg, int k)
{
	int32_t v;

	if (k < 0 || k >= config_cluster_nkeys())
		return 0;
	memcpy(&v, (const char *)cfg + cluster_wide[k].off, sizeof(v));
	return v;
}
#define IK(f) offsetof(struct rac_inst_cfg, f), sizeof(((struct rac_inst_cfg *)0)->f)

/*
 * The defaults of the timings are explained, with the failure timelines they
 * produce and the measurements behind them, in docs/timeouts.md; keep the
 * two in step.
 */
static const struct cfg_key cfg_keys[] = {
	{ "name", SC_CLUSTER, T_NAME, "demo", 1, RAC_CLUSTER_MAX - 1, CK(cf_name),
	  "cluster name; every instance and disk record carries it" },
	{ "shared_disk", SC_CLUSTER, T_PATH, "racdata", 0, 0, CK(cf_shared_disk),
	  "directory of the control file (a shared mount on a real cluster)" },
	{ "voting_disks", SC_CLUSTER, T_PATHLIST,
	  "racdata/vote1.dsk, racdata/vote2.dsk, racdata/vote3.dsk", 1, RAC_MAX_VOTING, 0, 0,
	  "comma-separated voting disks (files or block devices); use an odd number" },
	{ "control_file", SC_CLUSTER, T_PATH, NULL, 0, 0, CK(cf_control),
	  "control file, a file or a block device (default <shared_disk>/control.ctl)" },
	{ "heartbeat_interval_ms", SC_CLUSTER, T_INT, "100", 10, 10000,
	  CK(cf_heartbeat_interval_ms), "network heartbeat period" },
	{ "misscount_ms", SC_CLUSTER, T_INT, "3000", 100, 600000,
	  CK(cf_misscount_ms), "network silence before a peer is suspected" },
	{ "disk_heartbeat_interval_ms", SC_CLUSTER, T_INT, "200", 10, 10000,
	  CK(cf_disk_heartbeat_interval_ms), "voting-disk heartbeat period" },
	{ "disktimeout_ms", SC_CLUSTER, T_INT, "2000", 100, 600000,
	  CK(cf_disktimeout_ms), "voting-disk silence before a peer is dead (its lease)" },
	{ "ckpt_interval_ms", SC_CLUSTER, T_INT, "1000", 10, 60000,
	  CK(cf_ckpt_interval_ms), "control-file heartbeat period (CKPT)" },
	{ "ckpt_timeout_ms", SC_CLUSTER, T_INT, "6000", 100, 3600000,
	  CK(cf_ckpt_timeout_ms), "control-file heartbeat silence that triggers IMR" },
	{ "imr_splitbrain_res_wait_ms", SC_CLUSTER, T_INT, "600", 0, 60000,
	  CK(cf_imr_splitbrain_res_wait_ms), "IMR wait for CSS to settle a split brain" },
	{ "member_heartbeat_ms", SC_CLUSTER, T_INT, "100", 10, 10000,
	  CK(cf_member_heartbeat_ms), "period of a member's NM slot update in the SGA" },
	{ "member_hang_timeout_ms", SC_CLUSTER, T_INT, "5000", 100, 600000,
	  CK(cf_member_hang_timeout_ms), "NM slot silence after which a member is hung and the instance terminated" },
	{ "start_timeout_ms", SC_CLUSTER, T_INT, "30000", 1000, 600000,
	  CK(cf_start_timeout_ms), "bound on racctl start reaching OPEN" },
	{ "stop_timeout_ms", SC_CLUSTER, T_INT, "5000", 100, 600000,
	  CK(cf_stop_timeout_ms), "bound on each member's exit during a clean stop" },
	{ "lab", SC_CLUSTER, T_BOOL, "no", 0, 1, CK(cf_lab),
	  "yes in the configuration racctl up --lab writes (namespaces per instance)" },
	{ "lock_fast_path", SC_CLUSTER, T_BOOL, "yes", 0, 1, CK(cf_lock_fast_path),
	  "local locks of resources no other instance uses are served in the SGA" },
	{ "interconnect_auth", SC_CLUSTER, T_BOOL, "yes", 0, 1, CK(cf_auth),
	  "CURVE encryption and keys on every TCP socket between instances (docs/security.md)" },
	{ "key_dir", SC_CLUSTER, T_PATH, "rackeys", 0, 0, CK(cf_key_dir),
	  "directory of the interconnect's CURVE keys (racctl keygen makes them)" },
	{ "max_locks_per_client", SC_CLUSTER, T_INT, "1000000", 1, 100000000,
	  CK(cf_max_locks_per_client), "locks one client may hold on each master (RACRT_ELIMIT)" },
	{ "client_group", SC_CLUSTER, T_STR, "", 0, 31, CK(cf_client_group),
	  "a group whose members may use the lock manager beside the cluster's user" },
	{ "max_locks", SC_CLUSTER, T_INT, "10000000", 1000, 1000000000, CK(cf_max_locks),
	  "locks each instance's LMS masters at most (RACRT_ELIMIT past it)" },

	{ "name", SC_INST, T_NAME, NULL, 1, RAC_NAME_MAX - 1, IK(ic_name),
	  "instance name (default RAC<N>)" },
	{ "host", SC_INST, T_STR, "localhost", 1, RAC_HOST_MAX - 1, IK(ic_host),
	  "host the instance runs on" },
	{ "lmon_endpoint", SC_INST, T_ENDPOINT, NULL, 0, 0, IK(ic_lmon_ep),
	  "ZeroMQ endpoint of LMON (membership traffic)" },
	{ "lms_endpoint", SC_INST, T_ENDPOINT, NULL, 0, 0, IK(ic_lms_ep),
	  "ZeroMQ endpoint of LMS (lock traffic)" },
	{ "local_dir", SC_INST, T_PATH, NULL, 0, 0, IK(ic_local_dir),
	  "alert log, trace files and sockets (default racdata/<NAME>)" },
	{ "netns", SC_INST, T_STR, "", 0, RAC_NAME_MAX * 3 - 1, IK(ic_netns),
	  "network namespace the instance runs in (lab mode); empty: the host's" },
	{ "voting_disks", SC_INST, T_PATHLIST, NULL, 1, RAC_MAX_VOTING, 0, 0,
	  "this host's paths of the voting disks, in the cluster's order (default the cluster's)" },
	{ "control_file", SC_INST, T_IPATH, NULL, 0, 0, IK(ic_control),
	  "this host's path of the control file (default the cluster's)" },
};
#define NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))
static_assert(NKEYS <= CFG_MAX_KEYS, "grow CFG_MAX_KEYS");

#define CFG_FILE_MAX (1 << 20)	/* bytes a configuration file may have */

/* index of an instance key among the instance keys (for ic_src) */
static int inst_key_index(const struct cfg_key *k)
{
	int n = 0;

	for (size_t i = 0; i < NKEYS; i++) {
		if (cfg_keys[i].k_scope != SC_INST)
			continue;
		if (&cfg_keys[i] == k)
			return n;
		n++;
	}
	return -1;
}

/* ---- error collection ---------------------------------------------------- */

struct errbuf {
	char *eb_buf;
	size_t eb_len;
	size_t eb_used;
	int eb_count;
	const char *eb_file;	/* "" for the built-in configuration */
};

static void err_add(struct errbuf *e, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_add(struct errbuf *e, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	e->eb_count++;
	if (!e->eb_buf || e->eb_used + 2 >= e->eb_len)
		return;
	if (line > 0)
		n = snprintf(e->eb_buf + e->eb_used, e->eb_len - e->eb_used, "%s:%d: ",
			     e->eb_file, line);
	else
		n = snprintf(e->eb_buf + e->eb_used, e->eb_len - e->eb_used, "%s: ",
			     *e->eb_file ? e->eb_file : "built-in configuration");
	if (n > 0)
		e->eb_used = e->eb_used + (size_t)n < e->eb_len ? e->eb_used + (size_t)n : e->eb_len - 1;
	va_start(ap, fmt);
	n = vsnprintf(e->eb_buf + e->eb_used, e->eb_len - e->eb_used, fmt, ap);
	va_end(ap);
	if (n > 0)
		e->eb_used = e->eb_used + (size_t)n < e->eb_len ? e->eb_used + (size_t)n : e->eb_len - 1;
	if (e->eb_used + 1 < e->eb_len) {
		e->eb_buf[e->eb_used++] = '\n';
		e->eb_buf[e->eb_used] = '\0';
	}
}

/* ---- line index ---------------------------------------------------------- */

struct line_ref {
	char lr_section[40];
	char lr_key[48];	/* "" for the section header itself */
	int lr_line;
};

struct line_index {
	struct line_ref *li_refs;
	int li_n;
	int li_cap;
};

static void trim(char *s)
{
	char *p = s, *end;

	while (isspace((unsigned char)*p))
		p++;
	memmove(s, p, strlen(p) + 1);
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void scan_lines(const char *path, struct line_index *li)
{
	FILE *f = fopen(path, "re");
	char line[1024], section[40] = "";
	int lineno = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		struct line_ref *r;
		char *eq;

		lineno++;
		trim(line);
		if (!*line || *line == ';' || *line == '#')
			continue;
		if (li->li_n == li->li_cap) {
			int cap = li->li_cap ? li->li_cap * 2 : 64;
			struct line_ref *n = realloc(li->li_refs, (size_t)cap * sizeof(*n));

			if (!n)
				break;
			li->li_refs = n;
			li->li_cap = cap;
		}
		r = &li->li_refs[li->li_n];
		memset(r, 0, sizeof(*r));
		r->lr_line = lineno;
		if (*line == '[') {
			char *close = strchr(line, ']');

			if (close)
				*close = '\0';
			snprintf(section, sizeof(section), "%s", line + 1);
			trim(section);
			lower(section);
			snprintf(r->lr_section, sizeof(r->lr_section), "%s", section);
			li->li_n++;
			continue;
		}
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		trim(line);
		lower(line);
		snprintf(r->lr_section, sizeof(r->lr_section), "%s", section);
		snprintf(r->lr_key, sizeof(r->lr_key), "%s", line);
		li->li_n++;
	}
	fclose(f);
}

static int line_of(const struct line_index *li, const char *section, const char *key)
{
	for (int i = 0; i < li->li_n; i++)
		if (!strcmp(li->li_refs[i].lr_section, section) &&
		    !strcmp(li->li_refs[i].lr_key, key ? key : ""))
			return li->li_refs[i].lr_line;
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static int edit_distance(const char *a, const char *b)
{
	int la = (int)strlen(a), lb = (int)strlen(b);
	int prev[64], cur[64];

	if (la > 62 || lb > 62)
		return 99;
	for (int j = 0; j <= lb; j++)
		prev[j] = j;
	for (int i = 1; i <= la; i++) {
		cur[0] = i;
		for (int j = 1; j <= lb; j++) {
			int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			int del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
	}
	return prev[lb];
}

static const struct cfg_key *find_key(enum cfg_scope scope, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (cfg_keys[i].k_scope == scope && !strcmp(cfg_keys[i].k_name, name))
			return &cfg_keys[i];
	return NULL;
}

static const char *closest_key(enum cfg_scope scope, const char *name)
{
	const char *best = NULL;
	int bestd = 4;

	for (size_t i = 0; i < NKEYS; i++) {
		int d;

		if (cfg_keys[i].k_scope != scope)
			continue;
		d = edit_distance(name, cfg_keys[i].k_name);
		if (d < bestd) {
			bestd = d;
			best = cfg_keys[i].k_name;
		}
	}
	return best;
}

/* absolute path of `p` relative to `base` (a directory) */
static int resolve_path(const char *base, const char *p, char *out, size_t len)
{
	char tmp[PATH_MAX + RAC_PATH_MAX];
	size_t n;

	if (p[0] == '/')
		snprintf(tmp, sizeof(tmp), "%s", p);
	else
		snprintf(tmp, sizeof(tmp), "%s/%s", base, p);
	/* tidy "/./" and trailing "/" so equal paths compare equal */
	for (char *s; (s = strstr(tmp, "/./"));)
		memmove(s, s + 2, strlen(s + 2) + 1);
	n = strlen(tmp);
	while (n > 1 && tmp[n - 1] == '/')
		tmp[--n] = '\0';
	if (n > 2 && !strcmp(tmp + n - 2, "/."))
		tmp[n - 2] = '\0';
	return rac_strlcpy(out, tmp, len);
}

static bool valid_name(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* "tcp://HOST:PORT" or "ipc://PATH"; returns NULL if fine, else the fix */
static const char *endpoint_problem(const char *ep)
{
	if (!strncmp(ep, "ipc://", 6))
		return ep[6] ? NULL : "an ipc:// endpoint needs a path";
	if (strncmp(ep, "tcp://", 6))
		return "use tcp://HOST:PORT (or ipc://PATH)";
	const char *colon = strrchr(ep + 6, ':');
	if (!colon || colon == ep + 6)
		return "use tcp://HOST:PORT, e.g. tcp://127.0.0.1:7101";
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 1 || port > 65535)
		return "the port must be a number between 1 and 65535";
	return NULL;
}

static void set_string(void *base, const struct cfg_key *k, const char *v)
{
	rac_strlcpy((char *)base + k->k_off, v, k->k_size);
}

/* ---- parsing -------------------------------------------------------------- */

struct parse {
	struct rac_config *p_cfg;
	struct errbuf *p_err;
	struct line_index p_lines;
	char p_base[PATH_MAX];	/* directory relative paths resolve against */
};

static int key_line(struct parse *ps, const char *section, const struct cfg_key *k)
{
	return line_of(&ps->p_lines, section, k ? k->k_name : NULL);
}

/* keep an instance's path in cf_paths: its reference (offset + 1), 0 when full */
static uint16_t keep_path(struct rac_config *cfg, const char *path)
{
	size_t n = strlen(path) + 1;

	if (cfg->cf_paths_used + n > sizeof(cfg->cf_paths))
		return 0;
	memcpy(cfg->cf_paths + cfg->cf_paths_used, path, n);
	cfg->cf_paths_used += (uint32_t)n;
	return (uint16_t)(cfg->cf_paths_used - n + 1);
}

const char *config_path(const struct rac_config *cfg, uint16_t ref)
{
	size_t used = cfg->cf_paths_used < sizeof(cfg->cf_paths) ? cfg->cf_paths_used :
		      sizeof(cfg->cf_paths);

	/* a copy read from an SGA is not trusted to be terminated */
	if (!ref || ref > used || !memchr(cfg->cf_paths + ref - 1, '\0', used - ref + 1))
		return NULL;
	return cfg->cf_paths + ref - 1;
}

/* Store one value; `section` is for messages ("cluster", "instance2"). */
static void apply_value(struct parse *ps, void *base, const struct cfg_key *k,
			const char *section, const char *raw, int from_file)
{
	struct rac_config *cfg = ps->p_cfg;
	int line = from_file ? key_line(ps, section, k) : 0;
	char val[1024];

	rac_strlcpy(val, raw, sizeof(val));
	trim(val);
	/* iniparser keeps quotes only when unbalanced; strip a balanced pair */
	if (val[0] == '"' && strlen(val) >= 2 && val[strlen(val) - 1] == '"') {
		memmove(val, val + 1, strlen(val));
		val[strlen(val) - 1] = '\0';
	}

	switch (k->k_type) {
	case T_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(val, &end, 10);
		if (!*val || *end || errno) {
			err_add(ps->p_err, line, "[%s] %s = '%s' is not a whole number; "
				"use a number of milliseconds between %ld and %ld",
				section, k->k_name, val, k->k_min, k->k_max);
			return;
		}
		if (v < k->k_min || v > k->k_max) {
			err_add(ps->p_err, line, "[%s] %s = %ld is out of range; "
				"use a value between %ld and %ld",
				section, k->k_name, v, k->k_min, k->k_max);
			return;
		}
		*(int32_t *)((char *)base + k->k_off) = (int32_t)v;
		return;
	}
	case T_BOOL:
		if (!strcasecmp(val, "yes") || !strcasecmp(val, "true") || !strcmp(val, "1")) {
			*(int32_t *)((char *)base + k->k_off) = 1;
		} else if (!strcasecmp(val, "no") || !strcasecmp(val, "false") || !strcmp(val, "0")) {
			*(int32_t *)((char *)base + k->k_off) = 0;
		} else {
			err_add(ps->p_err, line, "[%s] %s = '%s' is not yes or no", section,
				k->k_name, val);
		}
		return;
	case T_NAME:
	case T_STR:
		if ((long)strlen(val) < k->k_min || (long)strlen(val) > k->k_max) {
			err_add(ps->p_err, line, "[%s] %s = '%s' must be %ld to %ld characters long",
				section, k->k_name, val, k->k_min, k->k_max);
			return;
		}
		if (k->k_type == T_NAME && !valid_name(val)) {
			err_add(ps->p_err, line, "[%s] %s = '%s' is not a valid name; "
				"use a letter followed by letters, digits, '_' or '-'",
				section, k->k_name, val);
			return;
		}
		set_string(base, k, val);
		return;
	case T_ENDPOINT: {
		const char *why = endpoint_problem(val);

		if (why) {
			err_add(ps->p_err, line, "[%s] %s = '%s' is not a valid endpoint: %s",
				section, k->k_name, val, why);
			return;
		}
		if (strlen(val) >= k->k_size) {
			err_add(ps->p_err, line, "[%s] %s is longer than %zu characters",
				section, k->k_name, k->k_size - 1);
			return;
		}
		set_string(base, k, val);
		return;
	}
	case T_PATH:
		if (!*val) {
			err_add(ps->p_err, line, "[%s] %s is empty; give a path",
				section, k->k_name);
			return;
		}
		if (resolve_path(ps->p_base, val, (char *)base + k->k_off, k->k_size))
			err_add(ps->p_err, line, "[%s] %s = '%s' is longer than %zu characters "
				"once made absolute; use a shorter path", section, k->k_name, val,
				k->k_size - 1);
		return;
	case T_IPATH: {
		char abs[RAC_PATH_MAX];
		uint16_t ref;

		if (!*val) {
			err_add(ps->p_err, line, "[%s] %s is empty; give a path", section, k->k_name);
			return;
		}
		if (resolve_path(ps->p_base, val, abs, sizeof(abs))) {
			err_add(ps->p_err, line, "[%s] %s = '%s' is longer than %zu characters "
				"once made absolute; use a shorter path", section, k->k_name, val,
				sizeof(abs) - 1);
			return;
		}
		if (!(ref = keep_path(cfg, abs))) {
			err_add(ps->p_err, line, "[%s] %s: the instances' own paths take more "
				"than %d bytes together; use shorter paths", section, k->k_name,
				CFG_PATHS_MAX);
			return;
		}
		*(uint16_t *)((char *)base + k->k_off) = ref;
		return;
	}
	case T_PATHLIST: {
		/* the cluster's list, or an instance's own names of the same disks */
		struct rac_inst_cfg *ic = base == (void *)cfg ? NULL : base;
		char list[RAC_MAX_VOTING][RAC_PATH_MAX];
		char *save = NULL, *tok;
		int n = 0;

		for (tok = strtok_r(val, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			trim(tok);
			if (!*tok)
				continue;
			if (n == RAC_MAX_VOTING) {
				err_add(ps->p_err, line, "[%s] %s lists more than %d disks; "
					"use at most %d", section, k->k_name, RAC_MAX_VOTING,
					RAC_MAX_VOTING);
				return;
			}
			if (resolve_path(ps->p_base, tok, list[n], RAC_PATH_MAX)) {
				err_add(ps->p_err, line, "[%s] %s: path '%s' is too long",
					section, k->k_name, tok);
				return;
			}
			for (int j = 0; j < n; j++)
				if (!strcmp(list[j], list[n])) {
					err_add(ps->p_err, line, "[%s] %s names '%s' twice; "
						"each voting disk must be a different file",
						section, k->k_name, tok);
					return;
				}
			n++;
		}
		if (n == 0) {
			err_add(ps->p_err, line, "[%s] %s is empty; list at least one voting "
				"disk (three is usual)", section, k->k_name);
			return;
		}
		if (!ic) {
			memcpy(cfg->cf_voting, list, sizeof(list));
			cfg->cf_nvoting = n;
			return;
		}
		for (int j = 0; j < n; j++)
			if (!(ic->ic_voting[j] = keep_path(cfg, list[j]))) {
				err_add(ps->p_err, line, "[%s] %s: the instances' own paths take "
					"more than %d bytes together; use shorter paths", section,
					k->k_name, CFG_PATHS_MAX);
				return;
			}
		ic->ic_nvoting = n;
		return;
	}
	}
}

static void apply_cluster_defaults(struct parse *ps)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (cfg_keys[i].k_scope == SC_CLUSTER && cfg_keys[i].k_default)
			apply_value(ps, ps->p_cfg, &cfg_keys[i], "cluster",
				    cfg_keys[i].k_default, 0);
}

/* defaults of an instance that depend on its number and name */
static void apply_inst_defaults(struct parse *ps, struct rac_inst_cfg *ic)
{
	char dflt[64];

	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->k_scope == SC_INST && k->k_default && ic->ic_src[inst_key_index(k)] ==
		    CFG_SRC_DEFAULT)
			apply_value(ps, ic, k, "instance", k->k_default, 0);
	}
	if (!ic->ic_name[0]) {
		snprintf(dflt, sizeof(dflt), "RAC%d", ic->ic_number);
		rac_strlcpy(ic->ic_name, dflt, sizeof(ic->ic_name));
	}
	if (!ic->ic_local_dir[0]) {
		char rel[RAC_PATH_MAX + 32];

		snprintf(rel, sizeof(rel), "racdata/%s", ic->ic_name);
		resolve_path(ps->p_base, rel, ic->ic_local_dir, sizeof(ic->ic_local_dir));
	}
}

static int parse_inst_section(const char *sec)
{
	char *end;
	long n;

	if (strncmp(sec, "instance", 8) || !isdigit((unsigned char)sec[8]))
		return 0;
	n = strtol(sec + 8, &end, 10);
	if (*end || n < 1 || n > RAC_MAX_INST)
		return -1;
	return (int)n;
}

static void read_file(struct parse *ps, dictionary *d)
{
	struct rac_config *cfg = ps->p_cfg;
	int nsec = iniparser_getnsec(d);
	bool have_cluster = false;

	for (int s = 0; s < nsec; s++) {
		const char *sec = iniparser_getsecname(d, s);
		int nkeys = iniparser_getsecnkeys(d, sec);
		const char **keys;
		enum cfg_scope scope;
		void *base;
		int inst = 0;

		if (!strcmp(sec, "cluster")) {
			have_cluster = true;
			scope = SC_CLUSTER;
			base = cfg;
		} else if ((inst = parse_inst_section(sec)) > 0) {
			scope = SC_INST;
			base = &cfg->cf_inst[inst];
			cfg->cf_inst[inst].ic_number = inst;
		} else {
			if (inst < 0)
				err_add(ps->p_err, line_of(&ps->p_lines, sec, NULL),
					"section [%s]: instance numbers go from 1 to %d",
					sec, RAC_MAX_INST);
			else
				err_add(ps->p_err, line_of(&ps->p_lines, sec, NULL),
					"unknown section [%s]; use [cluster] and [instance1], "
					"[instance2], ...", sec);
			continue;
		}
		if (nkeys <= 0)
			continue;
		keys = calloc((size_t)nkeys, sizeof(*keys));
		if (!keys)
			continue;
		if (iniparser_getseckeys(d, sec, keys)) {
			for (int i = 0; i < nkeys; i++) {
				const char *key = strchr(keys[i], ':');
				const struct cfg_key *k;

				key = key ? key + 1 : keys[i];
				k = find_key(scope, key);
				if (!k) {
					const char *near = closest_key(scope, key);
					int line = line_of(&ps->p_lines, sec, key);

					if (near)
						err_add(ps->p_err, line, "unknown key '%s' in [%s]; "
							"did you mean '%s'?", key, sec, near);
					else
						err_add(ps->p_err, line, "unknown key '%s' in [%s]; "
							"see docs/configuration.md for the keys",
							key, sec);
					continue;
				}
				apply_value(ps, base, k, sec, iniparser_getstring(d, keys[i], ""), 1);
				if (scope == SC_CLUSTER)
					cfg->cf_src[k - cfg_keys] = CFG_SRC_FILE;
				else
					cfg->cf_inst[inst].ic_src[inst_key_index(k)] = CFG_SRC_FILE;
			}
		}
		free(keys);
	}
	if (!have_cluster)
		err_add(ps->p_err, 0, "no [cluster] section; add one (it may be empty to "
			"take every default, e.g. '[cluster]' then 'name = demo')");
}

/* ---- validation of the whole ---------------------------------------------- */

static void validate(struct parse *ps)
{
	struct rac_config *cfg = ps->p_cfg;

	if (!cfg->cf_control[0] && cfg->cf_shared_disk[0])
		snprintf(cfg->cf_control, sizeof(cfg->cf_control), "%.*s/control.ctl",
			 (int)sizeof(cfg->cf_control) - 13, cfg->cf_shared_disk);
	cfg->cf_ninst = 0;
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct rac_inst_cfg *ic = &cfg->cf_inst[i];
		char sec[24];

		if (!ic->ic_number)
			continue;
		cfg->cf_ninst++;
		snprintf(sec, sizeof(sec), "instance%d", i);
		apply_inst_defaults(ps, ic);
		/* an endpoint given but refused was named already: once is enough */
		if (!ic->ic_lmon_ep[0] && !line_of(&ps->p_lines, sec, "lmon_endpoint"))
			err_add(ps->p_err, line_of(&ps->p_lines, sec, NULL),
				"[%s] has no lmon_endpoint; add e.g. 'lmon_endpoint = "
				"tcp://127.0.0.1:%d'", sec, 7100 + i);
		if (!ic->ic_lms_ep[0] && !line_of(&ps->p_lines, sec, "lms_endpoint"))
			err_add(ps->p_err, line_of(&ps->p_lines, sec, NULL),
				"[%s] has no lms_endpoint; add e.g. 'lms_endpoint = "
				"tcp://127.0.0.1:%d'", sec, 7200 + i);
		if (ic->ic_nvoting && ic->ic_nvoting != cfg->cf_nvoting)
			err_add(ps->p_err, line_of(&ps->p_lines, sec, "voting_disks"),
				"[%s] voting_disks lists %d disk%s, [cluster] voting_disks %d; "
				"list the same disks, in the same order, by this host's paths",
				sec, ic->ic_nvoting, ic->ic_nvoting == 1 ? "" : "s",
				cfg->cf_nvoting);
	}
	if (cfg->cf_ninst == 0)
		err_add(ps->p_err, 0, "no instance configured; add an [instance1] section "
			"with lmon_endpoint and lms_endpoint");

	/* uniqueness across instances: names, endpoints, local directories */
	for (int i = 1; i <= RAC_MAX_INST; i++) {
		struct rac_inst_cfg *a = &cfg->cf_inst[i];

		if (!a->ic_number)
			continue;
		if (a->ic_lmon_ep[0] && !strcmp(a->ic_lmon_ep, a->ic_lms_ep))
			err_add(ps->p_err, 0, "[instance%d] uses %s for both lmon_endpoint and "
				"lms_endpoint; give LMS a port of its own", i, a->ic_lmon_ep);
		for (int j = i + 1; j <= RAC_MAX_INST; j++) {
			struct rac_inst_cfg *b = &cfg->cf_inst[j];
			const char *eps_a[2] = { a->ic_lmon_ep, a->ic_lms_ep };
			const char *eps_b[2] = { b->ic_lmon_ep, b->ic_lms_ep };

			if (!b->ic_number)
				continue;
			if (!strcasecmp(a->ic_name, b->ic_name))
				err_add(ps->p_err, 0, "[instance%d] and [instance%d] are both named "
					"'%s'; instance names must be unique", i, j, a->ic_name);
			for (int x = 0; x < 2; x++)
				for (int y = 0; y < 2; y++)
					if (eps_a[x][0] && !strcmp(eps_a[x], eps_b[y]))
						err_add(ps->p_err, 0, "[instance%d] and [instance%d] "
							"both use endpoint %s; give each instance "
							"its own port", i, j, eps_a[x]);
			if (!strcmp(a->ic_local_dir, b->ic_local_dir))
				err_add(ps->p_err, 0, "[instance%d] and [instance%d] share local_dir "
					"%s; give each instance its own directory", i, j,
					a->ic_local_dir);
		}
	}

	/* timings that only make sense together */
	struct rel { int32_t a; int32_t b; int times; const char *an, *bn; } rels[] = {
		{ cfg->cf_misscount_ms, cfg->cf_heartbeat_interval_ms, 3,
		  "misscount_ms", "heartbeat_interval_ms" },
		{ cfg->cf_disktimeout_ms, cfg->cf_disk_heartbeat_interval_ms, 3,
		  "disktimeout_ms", "disk_heartbeat_interval_ms" },
		{ cfg->cf_ckpt_timeout_ms, cfg->cf_ckpt_interval_ms, 3,
		  "ckpt_timeout_ms", "ckpt_interval_ms" },
		{ cfg->cf_member_hang_timeout_ms, cfg->cf_member_heartbeat_ms, 3,
		  "member_hang_timeout_ms", "member_heartbeat_ms" },
	};
	for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++)
		if (rels[i].a < (int64_t)rels[i].b * rels[i].times)
			err_add(ps->p_err, key_line(ps, "cluster", find_key(SC_CLUSTER, rels[i].an)),
				"%s = %d must be at least %d times %s (%d), or one late "
				"heartbeat would count as a failure; raise %s to %d or more",
				rels[i].an, rels[i].a, rels[i].times, rels[i].bn, rels[i].b,
				rels[i].an, rels[i].b * rels[i].times);
}

static int finish(struct parse *ps, struct errbuf *eb)
{
	free(ps->p_lines.li_refs);
	ps->p_lines.li_refs = NULL;
	return eb->eb_count ? RAC_ECONFIG : 0;
}

static char *ini_errors;	/* iniparser reports syntax errors through a callback */
static size_t ini_errors_len;

/*
 * A section given twice, or two sections that name one instance
 * ([instance1] and [instance01]), would merge silently, the last value of a
 * key winning: refuse them, naming both lines.
 */
static void check_sections(struct parse *ps)
{
	const struct line_index *li = &ps->p_lines;

	for (int i = 0; i < li->li_n; i++) {
		const struct line_ref *a = &li->li_refs[i];
		int na;

		if (a->lr_key[0])
			continue;
		na = parse_inst_section(a->lr_section);
		for (int j = i + 1; j < li->li_n; j++) {
			const struct line_ref *b = &li->li_refs[j];

			if (b->lr_key[0])
				continue;
			if (!strcmp(a->lr_section, b->lr_section))
				err_add(ps->p_err, b->lr_line, "[%s] is given again (first at line "
					"%d); put its keys in one section", b->lr_section,
					a->lr_line);
			else if (na > 0 && parse_inst_section(b->lr_section) == na)
				err_add(ps->p_err, b->lr_line, "[%s] names instance %d, as [%s] at "
					"line %d does; put its keys in one section", b->lr_section,
					na, a->lr_section, a->lr_line);
		}
	}
}

static int ini_error_cb(const char *fmt, ...)
{
	va_list ap;
	char line[512];
	size_t n;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	char *grown = realloc(ini_errors, ini_errors_len + n + 1);
	if (!grown)
		return 0;
	ini_errors = grown;
	memcpy(ini_errors + ini_errors_len, line, n + 1);
	ini_errors_len += n;
	return (int)n;
}

int config_parse_file(const char *path, struct rac_config *cfg, char *err, size_t errlen)
{
	struct errbuf eb = { err, errlen, 0, 0, path };
	struct parse ps = { .p_cfg = cfg, .p_err = &eb };
	char abs[PATH_MAX];
	struct stat st;
	dictionary *d;
	FILE *probe;

	if (err && errlen)
		err[0] = '\0';
	memset(cfg, 0, sizeof(*cfg));
	if (!realpath(path, abs)) {
		err_add(&eb, 0, "cannot read the configuration file: %s", strerror(errno));
		return RAC_ECONFIG;
	}
	if (stat(abs, &st)) {
		err_add(&eb, 0, "cannot read the configuration file: %s", strerror(errno));
		return RAC_ECONFIG;
	}
	if (S_ISDIR(st.st_mode)) {
		err_add(&eb, 0, "is a directory, not a configuration file; name the .ini file in it");
		return RAC_ECONFIG;
	}
	if (!S_ISREG(st.st_mode)) {
		err_add(&eb, 0, "is not a regular file (a device, a pipe or a socket); name an "
			"INI file");
		return RAC_ECONFIG;
	}
	if (st.st_size > CFG_FILE_MAX) {
		err_add(&eb, 0, "is %lld bytes; a configuration file is at most %d",
			(long long)st.st_size, CFG_FILE_MAX);
		return RAC_ECONFIG;
	}
	probe = fopen(abs, "re");
	if (!probe) {
		err_add(&eb, 0, "cannot read the configuration file: %s", strerror(errno));
		return RAC_ECONFIG;
	}
	fclose(probe);
	if (rac_strlcpy(cfg->cf_path, abs, sizeof(cfg->cf_path))) {
		err_add(&eb, 0, "path is longer than %d characters", RAC_PATH_MAX - 1);
		return RAC_ECONFIG;
	}
	rac_strlcpy(ps.p_base, abs, sizeof(ps.p_base));
	*strrchr(ps.p_base, '/') = '\0';
	if (!ps.p_base[0])
		strcpy(ps.p_base, "/");

	scan_lines(abs, &ps.p_lines);
	check_sections(&ps);
	apply_cluster_defaults(&ps);

	free(ini_errors);
	ini_errors = NULL;
	ini_errors_len = 0;
	iniparser_set_error_callback(ini_error_cb);
	d = iniparser_load(abs);
	iniparser_set_error_callback(NULL);
	if (ini_errors) {
		/* "iniparser: syntax error in F (N):\n-> text\n": keep it, one line */
		for (char *p = ini_errors; *p; p++)
			if (*p == '\n')
				*p = ' ';
		err_add(&eb, 0, "%s; fix the line (a section is '[name]', a setting "
			"'key = value')", ini_errors);
		free(ini_errors);
		ini_errors = NULL;
		ini_errors_len = 0;
	}
	if (!d) {
		if (!eb.eb_count)
			err_add(&eb, 0, "cannot parse the configuration file");
		return finish(&ps, &eb);
	}
	read_file(&ps, d);
	iniparser_freedict(d);
	validate(&ps);
	return finish(&ps, &eb);
}

int config_default(const char *basedir, struct rac_config *cfg, char *err, size_t errlen)
{
	struct errbuf eb = { err, errlen, 0, 0, "" };
	struct parse ps = { .p_cfg = cfg, .p_err = &eb };

	if (err && errlen)
		err[0] = '\0';
	memset(cfg, 0, sizeof(*cfg));
	rac_strlcpy(ps.p_base, basedir, sizeof(ps.p_base));
	apply_cluster_defaults(&ps);
	for (int i = 1; i <= 3; i++) {
		struct rac_inst_cfg *ic = &cfg->cf_inst[i];

		ic->ic_number = i;
		snprintf(ic->ic_lmon_ep, sizeof(ic->ic_lmon_ep), "tcp://127.0.0.1:%d", 7100 + i);
		snprintf(ic->ic_lms_ep, sizeof(ic->ic_lms_ep), "tcp://127.0.0.1:%d", 7200 + i);
	}
	validate(&ps);
	return finish(&ps, &eb);
}

static int load_base(const char *path, struct rac_config *cfg, char *err, size_t errlen)
{
	char cwd[PATH_MAX];

	if (!path || !*path)
		path = getenv("RACRT_CONFIG");
	if (path && *path)
		return config_parse_file(path, cfg, err, errlen);
	if (!getcwd(cwd, sizeof(cwd))) {
		snprintf(err, errlen, "built-in configuration: cannot get the current "
			 "directory: %s\n", strerror(errno));
		return RAC_ECONFIG;
	}
	return config_default(cwd, cfg, err, errlen);
}

int config_load(const char *path, struct rac_config *cfg, char *err, size_t errlen)
{
	char lab[RAC_PATH_MAX + 16];
	int rc = load_base(path, cfg, err, errlen);

	/* a lab is up on this cluster's shared disk: its configuration is in force */
	if (rc == 0 && !cfg->cf_lab) {
		config_lab_path(cfg, lab, sizeof(lab));
		if (access(lab, R_OK) == 0)
			rc = config_parse_file(lab, cfg, err, errlen);
	}
	return rc;
}

void config_lab_path(const struct rac_config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/lab.ini", cfg->cf_shared_disk);
}

void config_lab_switch(const struct rac_config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "racrt-%s-sw", cfg->cf_name);
}

/* ---- lookups --------------------------------------------------------------- */

const struct rac_inst_cfg *config_inst(const struct rac_config *cfg, int number)
{
	if (number < 1 || number > RAC_MAX_INST || !cfg->cf_inst[number].ic_number)
		return NULL;
	return &cfg->cf_inst[number];
}

const struct rac_inst_cfg *config_inst_by_name(const struct rac_config *cfg, const char *name)
{
	for (int i = 1; i <= RAC_MAX_INST; i++)
		if (cfg->cf_inst[i].ic_number && !strcasecmp(cfg->cf_inst[i].ic_name, name))
			return &cfg->cf_inst[i];
	return NULL;
}

bool config_inst_is_local(const struct rac_inst_cfg *ic)
{
	char host[256];

	if (!strcasecmp(ic->ic_host, "localhost") || !strncmp(ic->ic_host, "127.", 4) ||
	    !strcmp(ic->ic_host, "::1"))
		return true;
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		if (!strcasecmp(host, ic->ic_host))
			return true;
	}
	return false;
}

void config_sga_name(const struct rac_config *cfg, int inst, char *buf, size_t len)
{
	const struct rac_inst_cfg *ic = config_inst(cfg, inst);
	const char *dir = ic ? ic->ic_local_dir : "";

	snprintf(buf, len, "/racrt.%s.%s.%08x", cfg->cf_name, ic ? ic->ic_name : "?",
		 (unsigned)(rac_fnv1a(dir, strlen(dir)) & 0xffffffffu));
}

void config_control_path(const struct rac_config *cfg, char *buf, size_t len)
{
	if (cfg->cf_control[0])
		snprintf(buf, len, "%s", cfg->cf_control);
	else	/* a configuration made by hand (tests) */
		snprintf(buf, len, "%s/control.ctl", cfg->cf_shared_disk);
}

void config_localize(struct rac_config *cfg, int inst)
{
	const struct rac_inst_cfg *ic;

	if (cfg->cf_local_inst) {
		/* the cluster's paths back first */
		cfg->cf_nvoting = cfg->cf_cl_nvoting;
		memcpy(cfg->cf_voting, cfg->cf_cl_voting, sizeof(cfg->cf_voting));
		memcpy(cfg->cf_control, cfg->cf_cl_control, sizeof(cfg->cf_control));
		cfg->cf_local_inst = 0;
	}
	ic = config_inst(cfg, inst);
	if (!ic || (!ic->ic_nvoting && !ic->ic_control))
		return;
	cfg->cf_cl_nvoting = cfg->cf_nvoting;
	memcpy(cfg->cf_cl_voting, cfg->cf_voting, sizeof(cfg->cf_cl_voting));
	memcpy(cfg->cf_cl_control, cfg->cf_control, sizeof(cfg->cf_cl_control));
	if (ic->ic_nvoting == cfg->cf_nvoting)
		for (int d = 0; d < ic->ic_nvoting; d++)
			rac_strlcpy(cfg->cf_voting[d], config_path(cfg, ic->ic_voting[d]),
				    sizeof(cfg->cf_voting[d]));
	if (config_path(cfg, ic->ic_control))
		rac_strlcpy(cfg->cf_control, config_path(cfg, ic->ic_control),
			    sizeof(cfg->cf_control));
	cfg->cf_local_inst = inst;
}

/* ---- values in force ------------------------------------------------------- */

static void format_value(const void *base, const struct cfg_key *k, char *out, size_t len);

/* the voting disks one row of v$parameter shows */
struct path_list {
	int pl_n;
	const char *pl_path[RAC_MAX_VOTING];
};

/*
 * The shared-disk paths: the cluster's row shows the cluster's (even where
 * an instance's own are in force), an instance's row the paths that
 * instance opens, its own or the cluster's.
 */
static void shared_paths(const struct rac_config *cfg, const struct rac_inst_cfg *ic,
			 const struct cfg_key *k, char *out, size_t len)
{
	bool local = cfg->cf_local_inst != 0;
	struct path_list pl = { .pl_n = local ? cfg->cf_cl_nvoting : cfg->cf_nvoting };
	const char *ctl = local ? cfg->cf_cl_control : cfg->cf_control;

	for (int d = 0; d < pl.pl_n; d++)
		pl.pl_path[d] = local ? cfg->cf_cl_voting[d] : cfg->cf_voting[d];
	if (ic && ic->ic_nvoting == pl.pl_n)
		for (int d = 0; d < pl.pl_n; d++)
			pl.pl_path[d] = config_path(cfg, ic->ic_voting[d]);
	if (ic && config_path(cfg, ic->ic_control))
		ctl = config_path(cfg, ic->ic_control);
	if (k->k_type == T_PATHLIST)
		format_value(&pl, k, out, len);
	else
		snprintf(out, len, "%s", ctl);
}

static void format_value(const void *base, const struct cfg_key *k, char *out, size_t len)
{
	switch (k->k_type) {
	case T_INT:
		snprintf(out, len, "%d", *(const int32_t *)((const char *)base + k->k_off));
		return;
	case T_BOOL:
		snprintf(out, len, "%s", *(const int32_t *)((const char *)base + k->k_off) ? "yes" :
			 "no");
		return;
	case T_PATHLIST: {
		const struct path_list *pl = base;	/* see shared_paths() */
		size_t used = 0;

		out[0] = '\0';
		for (int i = 0; i < pl->pl_n && used < len; i++) {
			int n = snprintf(out + used, len - used, "%s%s", i ? ", " : "",
					 pl->pl_path[i]);
			if (n < 0)
				break;
			used += (size_t)n;
		}
		return;
	}
	default:
		snprintf(out, len, "%s", (const char *)base + k->k_off);
		return;
	}
}

void config_foreach_param(const struct rac_config *cfg, int inst, cfg_param_fn fn, void *arg)
{
	const struct rac_inst_cfg *ic = config_inst(cfg, inst);
	char value[RAC_MAX_VOTING * (RAC_PATH_MAX + 2)];
	char section[24];

	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		struct cfg_param p = { .p_name = k->k_name, .p_value = value,
				       .p_default = k->k_default ? k->k_default : "",
				       .p_description = k->k_desc };
		const void *base;
		int src;

		if (k->k_scope == SC_CLUSTER) {
			base = cfg;
			src = cfg->cf_src[i];
			p.p_section = "cluster";
		} else {
			if (!ic)
				continue;
			base = ic;
			src = ic->ic_src[inst_key_index(k)];
			snprintf(section, sizeof(section), "instance%d", inst);
			p.p_section = section;
		}
		if (!strcmp(k->k_name, "voting_disks") || !strcmp(k->k_name, "control_file"))
			shared_paths(cfg, k->k_scope == SC_INST ? ic : NULL, k, value, sizeof(value));
		else
			format_value(base, k, value, sizeof(value));
		p.p_source = src == CFG_SRC_FILE ? "file" : "default";
		fn(&p, arg);
	}
}

static void print_param(const struct cfg_param *p, void *arg)
{
	fprintf((FILE *)arg, "[%s] %s = %s%s\n", p->p_section, p->p_name, p->p_value,
		strcmp(p->p_source, "default") ? "" : "  (default)");
}

void config_print(const struct rac_config *cfg, int inst, FILE *out)
{
	config_foreach_param(cfg, inst, print_param, out);
}
