/*
 * session.c - our clients' sessions, and the pid behind each owner.
 *
 * A client's session is its socket identity and pid: found by identity
 * (a hash of chains), given out by slot, with an id that carries the slot
 * in its low bits and a generation above.  A session whose pid is gone has
 * its locks released on every master (reap_sessions, request.c).
 */
#include <string.h>

#include "lms.h"
#include "log.h"

struct session *session_by_id(uint32_t id)
{
	struct session *se = &lms.sess.ss_tab[SESS_SLOT(id)];

	return se->se_used && se->se_id == id ? se : NULL;
}

struct session *session_at(int slot)
{
	return lms.sess.ss_tab[slot].se_used ? &lms.sess.ss_tab[slot] : NULL;
}

static unsigned ident_hash(const uint8_t *ident, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ ident[i]) * 0x100000001b3ull;
	return (unsigned)(h ^ h >> 29) & (SESS_HASH - 1);
}

/* a session ends: out of its identity chain, its slot free */
void session_end(struct session *se)
{
	uint16_t *pp = &lms.sess.ss_head[ident_hash(se->se_ident, se->se_ident_len)];
	uint16_t me = (uint16_t)(se - lms.sess.ss_tab + 1);

	for (; *pp; pp = &lms.sess.ss_tab[*pp - 1].se_next)
		if (*pp == me) {
			*pp = se->se_next;
			break;
		}
	se->se_next = 0;
	se->se_used = 0;
	if (se->se_oq) {	/* answers still gathered for it go nowhere */
		lms.out.ou_q[se->se_oq - 1].oq_slot = -1;
		se->se_oq = 0;
	}
}

/*
 * The table is full: a session that owns no lock (none in our table, no
 * shadow names it) can go; its process may come back, as a new session.
 * Rare, so a plain scan.
 */
static struct session *session_reclaim(void)
{
	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *se = &lms.sess.ss_tab[i];
		struct grd_owner o = { .ow_client = se->se_id, .ow_inst = (uint8_t)lms.s_m->m_inst };
		bool owns = grd_owner_locks(lms.s_grd, o) > 0 ||
			    (lms.fast.fc_fl && fl_session_busy(lms.fast.fc_fl, se->se_id));

		for (size_t k = 0; k < lms.sh.st_cap && !owns; k++)
			owns = lms.sh.st_tab[k].sh_lkid && lms.sh.st_tab[k].sh_client == se->se_id;
		if (!owns) {
			log_info(COMP, "client session %u (pid %d) owns no lock: reclaimed",
				 se->se_id, (int)se->se_pid);
			session_end(se);
			return se;
		}
	}
	return NULL;
}

struct session *session_for(const uint8_t *ident, size_t len, pid_t pid)
{
	struct session *free_slot = NULL;
	unsigned h = ident_hash(ident, len);

	for (uint16_t k = lms.sess.ss_head[h]; k; k = lms.sess.ss_tab[k - 1].se_next) {
		struct session *se = &lms.sess.ss_tab[k - 1];

		if (se->se_ident_len == len && !memcmp(se->se_ident, ident, len))
			return se;
	}
	if (len > sizeof(free_slot->se_ident))
		return NULL;
	/* a new session: the next free slot after the last one given out */
	for (int i = 0; i < MAX_SESSIONS && !free_slot; i++) {
		struct session *se = &lms.sess.ss_tab[(lms.sess.ss_next_gen + (unsigned)i) & (MAX_SESSIONS - 1)];

		if (!se->se_used)
			free_slot = se;
	}
	if (!free_slot)
		free_slot = session_reclaim();
	if (!free_slot)
		return NULL;
	memcpy(free_slot->se_ident, ident, len);
	free_slot->se_ident_len = (uint8_t)len;
	/* never 0, never the id of a session this slot had lately */
	if (!(++lms.sess.ss_next_gen & 0xfffffu))
		lms.sess.ss_next_gen++;
	free_slot->se_id = (lms.sess.ss_next_gen & 0xfffffu) << 12 | (uint32_t)(free_slot - lms.sess.ss_tab);
	free_slot->se_pid = pid;
	free_slot->se_used = 1;
	free_slot->se_next = lms.sess.ss_head[h];
	lms.sess.ss_head[h] = (uint16_t)(free_slot - lms.sess.ss_tab + 1);
	log_info(COMP, "client session %u (pid %d) opened", free_slot->se_id, (int)pid);
	return free_slot;
}

/* the pid behind an owner, as its requests said (a small cache, for views) */
static size_t pid_slot(uint64_t key)
{
	/* the product's top bits: they depend on the instance byte too */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 52) %
	       (sizeof(lms.sess.ss_pids) / sizeof(lms.sess.ss_pids[0]));
}

void pid_note(struct grd_owner o, pid_t pid)
{
	uint64_t key = ((uint64_t)o.ow_inst << 32) | o.ow_client;
	size_t i = pid_slot(key);

	lms.sess.ss_pids[i].key = key;
	lms.sess.ss_pids[i].pid = pid;
}

pid_t pid_of(struct grd_owner o)
{
	uint64_t key = ((uint64_t)o.ow_inst << 32) | o.ow_client;
	size_t i = pid_slot(key);

	return lms.sess.ss_pids[i].key == key ? lms.sess.ss_pids[i].pid : 0;
}
