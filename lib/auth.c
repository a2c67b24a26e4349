/*
 * auth.c - the interconnect's CURVE keys and their ZAP handler; see auth.h.
 *
 * A key file is text, one "public = <Z85>" (and, in a .key file, one
 * "secret = <Z85>") per line; '#' starts a comment.  A .pub file may hold
 * several public keys: all are accepted, the first is the one the instance
 * uses now (docs/security.md: rotation).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "errors.h"

#define ZAP_VERSION "1.0"

void auth_path(const struct rac_config *cfg, int who, bool secret, char *buf, size_t len)
{
	if (who == AUTH_ADMIN)
		snprintf(buf, len, "%s/admin.%s", cfg->cf_key_dir, secret ? "key" : "pub");
	else
		snprintf(buf, len, "%s/inst%d.%s", cfg->cf_key_dir, who, secret ? "key" : "pub");
}

static const char *who_str(int who, char *buf, size_t len)
{
	if (who == AUTH_ADMIN)
		snprintf(buf, len, "the administrators");
	else
		snprintf(buf, len, "instance %d", who);
	return buf;
}

/* a Z85 key of 40 characters that decodes; its 32 bytes in bin if not NULL */
static bool key_ok(const char *z85, uint8_t *bin)
{
	uint8_t tmp[32];

	if (strlen(z85) != AUTH_Z85 - 1)
		return false;
	return zmq_z85_decode(bin ? bin : tmp, z85) != NULL;
}

int auth_read_file(const char *path, char pubs[][AUTH_Z85], int max, char *secret,
		   char *err, size_t errlen)
{
	char line[256];
	int n = 0, lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "cannot read key file %s: %s", path, strerror(errno));
		return -1;
	}
	if (secret)
		secret[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		char name[16], val[64];

		lineno++;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == 0)
			continue;
		if (sscanf(line, " %15[a-z] = %63s", name, val) != 2 || !key_ok(val, NULL) ||
		    (strcmp(name, "public") && strcmp(name, "secret"))) {
			snprintf(err, errlen, "key file %s, line %d: not 'public = <key>' or "
				 "'secret = <key>' with a 40-character Z85 key; make new keys "
				 "with racctl keygen --force", path, lineno);
			fclose(f);
			return -1;
		}
		if (!strcmp(name, "secret")) {
			if (secret)
				memcpy(secret, val, AUTH_Z85);
			continue;
		}
		if (n < max)
			memcpy(pubs[n++], val, AUTH_Z85);
	}
	fclose(f);
	return n;
}

/* a secret must be a regular file of ours that nobody else can read */
static int secret_mode_ok(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st)) {
		snprintf(err, errlen, "key file %s: %s; make the keys with racctl keygen (or "
			 "copy this host's key there)", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file %s is not a regular file", path);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "key file %s belongs to uid %u, not to the cluster's user "
			 "(uid %u): chown %u %s", path, (unsigned)st.st_uid, (unsigned)geteuid(),
			 (unsigned)geteuid(), path);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "key file %s is mode %04o: a secret key must be readable "
			 "by its owner only: chmod 600 %s", path, (unsigned)(st.st_mode & 07777),
			 path);
		return -1;
	}
	return 0;
}

int auth_load_keys(const struct rac_config *cfg, int self, struct auth_keys *k, char *err,
		   size_t errlen)
{
	char path[RAC_PATH_MAX + 16], who[32];
	char pubs[AUTH_ACCEPT_MAX][AUTH_Z85];
	int n;

	memset(k, 0, sizeof(*k));
	k->ak_self = self;
	if (!cfg->cf_auth)
		return 0;
	k->ak_on = true;
	rac_strlcpy(k->ak_dir, cfg->cf_key_dir, sizeof(k->ak_dir));

	/* our own pair */
	auth_path(cfg, self, true, path, sizeof(path));
	if (secret_mode_ok(path, err, errlen))
		return RAC_ECONFIG;
	n = auth_read_file(path, pubs, AUTH_ACCEPT_MAX, k->ak_secret, err, errlen);
	if (n < 0)
		return RAC_ECONFIG;
	if (!k->ak_secret[0]) {
		snprintf(err, errlen, "key file %s holds no 'secret = <key>' line; make new keys "
			 "for %s with racctl keygen --force", path, who_str(self, who, sizeof(who)));
		return RAC_ECONFIG;
	}
	if (zmq_curve_public(k->ak_public, k->ak_secret)) {
		snprintf(err, errlen, "key file %s: the secret key is not a CURVE key", path);
		return RAC_ECONFIG;
	}

	/* everyone's accepted public keys */
	for (int u = 0; u <= RAC_MAX_INST; u++) {
		if (u != AUTH_ADMIN && !config_inst(cfg, u))
			continue;
		auth_path(cfg, u, false, path, sizeof(path));
		if (u == AUTH_ADMIN && access(path, F_OK) && errno == ENOENT)
			continue;	/* no administrators over TCP */
		n = auth_read_file(path, pubs, AUTH_ACCEPT_MAX, NULL, err, errlen);
		if (n < 0) {
			if (errno == ENOENT)
				snprintf(err, errlen, "no public key of %s: %s is missing; copy it "
					 "from the host where racctl keygen made the keys",
					 who_str(u, who, sizeof(who)), path);
			return RAC_ECONFIG;
		}
		if (n == 0) {
			snprintf(err, errlen, "key file %s holds no 'public = <key>' line", path);
			return RAC_ECONFIG;
		}
		for (int i = 0; i < n; i++) {
			memcpy(k->ak_pub[u][i], pubs[i], AUTH_Z85);
			key_ok(pubs[i], k->ak_bin[u][i]);
		}
		k->ak_n[u] = n;
	}
	return 0;
}

int auth_load(const struct rac_config *cfg, int self, struct auth_keys *k, char *err,
	      size_t errlen)
{
	char key[RAC_PATH_MAX + 16], pub[RAC_PATH_MAX + 16];
	int rc = auth_load_keys(cfg, self, k, err, errlen);

	if (rc || !k->ak_on)
		return rc;
	/* our own public key must be among the accepted ones, or peers refuse us */
	for (int i = 0; i < k->ak_n[self]; i++)
		if (!strcmp(k->ak_pub[self][i], k->ak_public))
			return 0;
	if (self == AUTH_ADMIN && !k->ak_n[self])
		return 0;	/* a client only: the servers' admin.pub decides */
	auth_path(cfg, self, true, key, sizeof(key));
	auth_path(cfg, self, false, pub, sizeof(pub));
	snprintf(err, errlen, "the key in %s is not among the accepted keys in %s: the other "
		 "instances would refuse it; copy the matching .pub file here, or make new keys "
		 "with racctl keygen --force", key, pub);
	return RAC_ECONFIG;
}

static int write_file(const char *path, mode_t mode, const char *text, char *err, size_t errlen)
{
	if (rac_write_file(path, mode, text, strlen(text))) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return RAC_EIO;
	}
	return 0;
}

static int write_pub(const struct rac_config *cfg, int who, char keys[][AUTH_Z85], int n,
		     FILE *out, char *err, size_t errlen)
{
	char text[256 + AUTH_ACCEPT_MAX * 64], path[RAC_PATH_MAX + 16], name[32];
	int len;

	who_str(who, name, sizeof(name));
	len = snprintf(text, sizeof(text), "# accepted public keys of %s, cluster %s (the first "
		       "is the current one): copy to every host\n", name, cfg->cf_name);
	for (int i = 0; i < n && len < (int)sizeof(text); i++)
		len += snprintf(text + len, sizeof(text) - (size_t)len, "public = %s\n", keys[i]);
	auth_path(cfg, who, false, path, sizeof(path));
	if (write_file(path, 0644, text, err, errlen))
		return RAC_EIO;
	if (out)
		fprintf(out, "made %s\n", path);
	return 0;
}

/* a new key pair for `who` into its .key file (or .key.next) */
static int write_pair(const struct rac_config *cfg, int who, bool next, char *pub, FILE *out,
		      char *err, size_t errlen)
{
	char sec[AUTH_Z85], path[RAC_PATH_MAX + 32], name[32], text[512];
	int rc;

	if (zmq_curve_keypair(pub, sec)) {
		snprintf(err, errlen, "cannot make a CURVE key pair: %s (is libzmq built with "
			 "CURVE?)", zmq_strerror(errno));
		return RAC_ESYS;
	}
	who_str(who, name, sizeof(name));
	snprintf(text, sizeof(text), "# racrt CURVE key pair of %s, cluster %s: keep it on "
		 "its own host, mode 0600\npublic = %s\nsecret = %s\n", name, cfg->cf_name, pub,
		 sec);
	auth_path(cfg, who, true, path, sizeof(path));
	if (next)
		strncat(path, ".next", sizeof(path) - strlen(path) - 1);
	rc = write_file(path, 0600, text, err, errlen);
	memset(sec, 0, sizeof(sec));
	memset(text, 0, sizeof(text));
	if (!rc && out)
		fprintf(out, "made %s\n", path);
	return rc;
}

static int keygen_one(const struct rac_config *cfg, int who, FILE *out, char *err, size_t errlen)
{
	char pub[1][AUTH_Z85];
	int rc = write_pair(cfg, who, false, pub[0], out, err, errlen);

	return rc ? rc : write_pub(cfg, who, pub, 1, out, err, errlen);
}

int auth_rotate(const struct rac_config *cfg, int who, enum auth_rotate_step step, FILE *out,
		char *err, size_t errlen)
{
	char keys[AUTH_ACCEPT_MAX][AUTH_Z85], next[AUTH_ACCEPT_MAX][AUTH_Z85], sec[AUTH_Z85];
	char path[RAC_PATH_MAX + 16], npath[RAC_PATH_MAX + 32];
	int n, nn;

	auth_path(cfg, who, false, path, sizeof(path));
	n = auth_read_file(path, keys, AUTH_ACCEPT_MAX, NULL, err, errlen);
	if (n < 1) {
		if (n == 0)
			snprintf(err, errlen, "%s holds no public key", path);
		return RAC_ECONFIG;
	}
	auth_path(cfg, who, true, npath, sizeof(npath));
	strncat(npath, ".next", sizeof(npath) - strlen(npath) - 1);
	switch (step) {
	case AUTH_ROTATE_NEXT:
		if (n >= AUTH_ACCEPT_MAX) {
			snprintf(err, errlen, "%s already holds %d keys; retire the old ones first "
				 "(racctl keygen --retire)", path, n);
			return RAC_ECONFIG;
		}
		if (write_pair(cfg, who, true, keys[n], out, err, errlen))
			return RAC_EIO;
		return write_pub(cfg, who, keys, n + 1, out, err, errlen);
	case AUTH_ROTATE_PROMOTE: {
		int at = -1;

		nn = auth_read_file(npath, next, AUTH_ACCEPT_MAX, sec, err, errlen);
		if (nn < 1 || !sec[0]) {
			if (nn >= 0)
				snprintf(err, errlen, "%s holds no key pair", npath);
			return RAC_ECONFIG;
		}
		memset(sec, 0, sizeof(sec));
		for (int i = 0; i < n; i++)
			if (!strcmp(keys[i], next[0]))
				at = i;
		if (at < 0) {
			snprintf(err, errlen, "the new key in %s is not in %s: run racctl keygen "
				 "--next again", npath, path);
			return RAC_ECONFIG;
		}
		/* the new one first, the others after it, still accepted */
		memmove(keys[1], keys[0], (size_t)at * AUTH_Z85);
		memcpy(keys[0], next[0], AUTH_Z85);
		auth_path(cfg, who, true, path, sizeof(path));
		if (rename(npath, path)) {
			snprintf(err, errlen, "cannot rename %s to %s: %s", npath, path,
				 strerror(errno));
			return RAC_EIO;
		}
		if (out)
			fprintf(out, "made %s (from %s)\n", path, npath);
		return write_pub(cfg, who, keys, n, out, err, errlen);
	}
	case AUTH_ROTATE_RETIRE:
		if (access(npath, F_OK) == 0) {
			snprintf(err, errlen, "%s is still waiting to be promoted (racctl keygen "
				 "--promote) or removed", npath);
			return RAC_ECONFIG;
		}
		return write_pub(cfg, who, keys, 1, out, err, errlen);
	}
	return RAC_EINVAL;
}

int auth_keygen(const struct rac_config *cfg, int who, bool force, FILE *out, char *err,
		size_t errlen)
{
	struct stat st;

	if (rac_mkdirs(cfg->cf_key_dir) || chmod(cfg->cf_key_dir, 0700)) {
		snprintf(err, errlen, "cannot make the key directory %s: %s", cfg->cf_key_dir,
			 strerror(errno));
		return RAC_EIO;
	}
	if (stat(cfg->cf_key_dir, &st) == 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "key directory %s belongs to uid %u, not to the cluster's "
			 "user (uid %u)", cfg->cf_key_dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return RAC_ECONFIG;
	}
	for (int u = 0; u <= RAC_MAX_INST; u++) {
		char path[RAC_PATH_MAX + 16];
		int rc;

		if (u != AUTH_ADMIN && !config_inst(cfg, u))
			continue;
		if (who >= 0 && u != who)
			continue;
		auth_path(cfg, u, true, path, sizeof(path));
		if (!force && access(path, F_OK) == 0)
			continue;
		rc = keygen_one(cfg, u, out, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

static int set_keys(void *sock, const struct auth_keys *k)
{
	if (zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, k->ak_secret, AUTH_Z85 - 1) ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, k->ak_public, AUTH_Z85 - 1))
		return -1;
	return 0;
}

int auth_server(void *sock, const struct auth_keys *k)
{
	int one = 1;

	if (!k || !k->ak_on)
		return 0;
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) || set_keys(sock, k))
		return -1;
	return 0;
}

int auth_client(void *sock, const struct auth_keys *k, int peer)
{
	if (!k || !k->ak_on)
		return 0;
	if (peer < 1 || peer > RAC_MAX_INST || !k->ak_n[peer]) {
		errno = ENOENT;
		return -1;
	}
	if (set_keys(sock, k) ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, k->ak_pub[peer][0], AUTH_Z85 - 1))
		return -1;
	return 0;
}

int auth_lookup(const struct auth_keys *k, const uint8_t key[32])
{
	for (int u = 0; u <= RAC_MAX_INST; u++)
		for (int i = 0; i < k->ak_n[u]; i++)
			if (!memcmp(k->ak_bin[u][i], key, 32))
				return u;
	return AUTH_NOBODY;
}

/* one frame into buf (NUL-terminated, cut to len - 1); its size, -1 on error */
static int frame(void *rep, char *buf, size_t len, int *more)
{
	zmq_msg_t m;
	size_t n;

	zmq_msg_init(&m);
	if (zmq_msg_recv(&m, rep, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(&m);
		return -1;
	}
	n = zmq_msg_size(&m);
	if (len) {
		size_t c = n < len - 1 ? n : len - 1;

		memcpy(buf, zmq_msg_data(&m), c);
		buf[c] = 0;
	}
	*more = zmq_msg_more(&m);
	zmq_msg_close(&m);
	return (int)n;
}

int auth_zap_answer(void *rep, const struct auth_keys *k, char *addr, size_t addrlen,
		    const char **why)
{
	/* version, request id, domain, address, routing id, mechanism, credentials */
	char part[7][64];
	int sizes[7] = { 0 }, nparts = 0, more = 1, user = AUTH_NOBODY;
	char uid[16];
	const char *status = "400", *text = "unknown key";

	*why = "unknown key";
	if (addrlen)
		addr[0] = 0;
	while (more) {
		char junk[1];
		int n = nparts < 7 ? frame(rep, part[nparts], sizeof(part[0]), &more) :
				     frame(rep, junk, 0, &more);

		if (n < 0)
			return nparts ? AUTH_NOBODY : -2;
		if (nparts < 7)
			sizes[nparts] = n;
		nparts++;
	}
	if (nparts >= 4 && addrlen)
		snprintf(addr, addrlen, "%s", part[3]);
	if (nparts < 6 || strcmp(part[0], ZAP_VERSION)) {
		*why = "malformed ZAP request";
		text = "malformed request";
		status = "500";
	} else if (strcmp(part[5], "CURVE") || nparts != 7 || sizes[6] != 32) {
		*why = "not CURVE";
		text = "CURVE only";
	} else {
		/* frame() NUL-terminated a copy; the 32 key bytes are intact before it */
		user = auth_lookup(k, (const uint8_t *)part[6]);
		if (user != AUTH_NOBODY) {
			status = "200";
			text = "OK";
		}
	}
	snprintf(uid, sizeof(uid), "%d", user == AUTH_NOBODY ? -1 : user);
	zmq_send(rep, ZAP_VERSION, 3, ZMQ_SNDMORE);
	zmq_send(rep, part[1], (size_t)(sizes[1] < 63 ? sizes[1] : 63), ZMQ_SNDMORE);
	zmq_send(rep, status, 3, ZMQ_SNDMORE);
	zmq_send(rep, text, strlen(text), ZMQ_SNDMORE);
	zmq_send(rep, uid, user == AUTH_NOBODY ? 0 : strlen(uid), ZMQ_SNDMORE);
	zmq_send(rep, "", 0, 0);
	return user;
}

int auth_user_of(zmq_msg_t *msg)
{
	const char *u = zmq_msg_gets(msg, "User-Id");
	char *end;
	long v;

	if (!u || !*u)
		return AUTH_NOBODY;
	v = strtol(u, &end, 10);
	if (*end || v < 0 || v > RAC_MAX_INST)
		return AUTH_NOBODY;
	return (int)v;
}

const char *auth_user_str(int user, char *buf, size_t len)
{
	if (user == AUTH_NOBODY)
		snprintf(buf, len, "no key");
	else if (user == AUTH_ADMIN)
		snprintf(buf, len, "an administrator");
	else
		snprintf(buf, len, "instance %d", user);
	return buf;
}
