/*
 * auth.h - who is at the other end of an interconnect socket (CURVE keys).
 *
 * Every TCP socket between instances (LMON to LMON, LMS to LMS, racsql and
 * racctl to either) runs libzmq's CURVE: encrypted, and each end proves it
 * holds the secret half of a key the other end knows.  The keys live in
 * the cluster's key directory, key_dir (docs/security.md):
 *
 *   inst<N>.key   instance N's key pair        mode 0600, only on N's host
 *   inst<N>.pub   instance N's accepted public keys, the first one current
 *   admin.key     the administrators' key pair  mode 0600, where racsql runs
 *   admin.pub     the administrators' accepted public keys
 *
 * A listening socket (auth_server) is answered by a ZAP handler
 * (auth_zap_answer) that maps the client's public key to one user: an
 * instance number 1..RAC_MAX_INST or AUTH_ADMIN.  Every message that comes
 * over that connection carries the user as its "User-Id" (auth_user_of);
 * the receiver drops a message whose header names another sender.  An
 * unknown key is refused before the first message is read.
 *
 * A connecting socket (auth_client) proves its own key and checks the
 * server's: the first key of the peer's inst<N>.pub.
 */
#ifndef RAC_AUTH_H
#define RAC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <zmq.h>

#include "config.h"

#define AUTH_Z85	41	/* a Z85 key and its NUL */
#define AUTH_ACCEPT_MAX	4	/* accepted public keys per user (rotation) */
#define AUTH_ADMIN	0	/* the administrators' user id */
#define AUTH_NOBODY	(-1)	/* no key: plain socket, or none presented */

struct auth_keys {
	bool ak_on;				/* interconnect_auth = yes */
	int ak_self;				/* whose key pair we hold; AUTH_ADMIN */
	char ak_public[AUTH_Z85];
	char ak_secret[AUTH_Z85];
	/* [0] the administrators, [N] instance N; each key also in binary */
	int ak_n[RAC_MAX_INST + 1];
	char ak_pub[RAC_MAX_INST + 1][AUTH_ACCEPT_MAX][AUTH_Z85];
	uint8_t ak_bin[RAC_MAX_INST + 1][AUTH_ACCEPT_MAX][32];
	char ak_dir[RAC_PATH_MAX];
};

/* <key_dir>/inst<N>.key|pub, admin.key|pub (who: N or AUTH_ADMIN) */
void auth_path(const struct rac_config *cfg, int who, bool secret, char *buf, size_t len);

/*
 * Load the keys `self` needs: its own pair (self = N or AUTH_ADMIN) and
 * every configured instance's accepted public keys (the administrators'
 * too; missing ones mean no administrator can connect).  With
 * interconnect_auth = no, nothing is read and ak_on is false.  A missing
 * file, a secret readable by others or owned by another user, or a
 * malformed key: RAC_ECONFIG, with the file and the fix in err.
 */
int auth_load(const struct rac_config *cfg, int self, struct auth_keys *k, char *err,
	      size_t errlen);
/* the same without the last check (a reload: our own pair stays the one in use) */
int auth_load_keys(const struct rac_config *cfg, int self, struct auth_keys *k, char *err,
		   size_t errlen);

/*
 * Make the key pairs that are missing (every configured instance and the
 * administrators), or, with force, new ones for `who` (-1 every one).
 * Creates key_dir (0700).  Writes one line per file made to out.
 */
int auth_keygen(const struct rac_config *cfg, int who, bool force, FILE *out, char *err,
		size_t errlen);

/*
 * Read one key file: its "public = K" lines into pubs (at most max; the
 * count is returned) and, if secret is not NULL, its "secret = K" line
 * ("" if none).  -1 with err set (errno kept) when it cannot be read or a
 * line is not a key.
 */
int auth_read_file(const char *path, char pubs[][AUTH_Z85], int max, char *secret,
		   char *err, size_t errlen);

/*
 * Key rotation, one step at a time (docs/security.md):
 *   NEXT     a new pair into <who>.key.next; its public key added, after
 *            the current one, to <who>.pub: accepted, not yet used
 *   PROMOTE  <who>.key.next becomes <who>.key; its public key goes first
 *            in <who>.pub (the old one still accepted)
 *   RETIRE   <who>.pub keeps its first key only
 */
enum auth_rotate_step { AUTH_ROTATE_NEXT, AUTH_ROTATE_PROMOTE, AUTH_ROTATE_RETIRE };
int auth_rotate(const struct rac_config *cfg, int who, enum auth_rotate_step step, FILE *out,
		char *err, size_t errlen);

/* ZMQ_CURVE_SERVER options on a socket about to bind (no-op when off) */
int auth_server(void *sock, const struct auth_keys *k);
/* CURVE client options on a socket about to connect to instance `peer` */
int auth_client(void *sock, const struct auth_keys *k, int peer);

/* the user a public key (32 bytes) belongs to, or AUTH_NOBODY */
int auth_lookup(const struct auth_keys *k, const uint8_t key[32]);

/*
 * Serve one ZAP request waiting on `rep` (a REP socket bound at
 * inproc://zeromq.zap.01).  Returns the user granted, or AUTH_NOBODY when
 * refused (then `addr` holds the client's address and `why` the reason);
 * -2 when nothing could be read.
 */
int auth_zap_answer(void *rep, const struct auth_keys *k, char *addr, size_t addrlen,
		    const char **why);

/* the user a received message came from ("User-Id"), AUTH_NOBODY if none */
int auth_user_of(zmq_msg_t *msg);

/* "instance 3", "an administrator", "no key" */
const char *auth_user_str(int user, char *buf, size_t len);

#endif
