/*
 * shadow.c - the shadows of our clients' locks that another LMS masters.
 *
 * Each lock our clients hold or wait for is in our table (we master it) or
 * has a shadow here: its name, id, granted and requested mode, kept up from
 * that master's answers and events (sh_note).  Converts and unlocks are
 * routed by the shadow's name; when the master of a moved bucket is gone,
 * the shadows are what its locks are rebuilt from (remaster.c).  The table
 * is open addressing by lock id.
 */
#include <stdlib.h>
#include <string.h>

#include "lms.h"
#include "log.h"

static size_t sh_slot(uint64_t lkid, size_t cap)
{
	return (size_t)(lkid * 0x9e3779b97f4a7c15ull >> 17) & (cap - 1);
}

const uint8_t *sh_name(const struct shadow *e)
{
	return e->sh_namelen > SH_INLINE ? e->sh_out : e->sh_in;
}

void sh_name_free(struct shadow *e)
{
	if (e->sh_namelen > SH_INLINE)
		free(e->sh_out);
	e->sh_namelen = 0;
}

/* name the shadow; false (and no name) when a long name finds no memory */
static bool sh_name_set(struct shadow *e, const void *name, size_t len)
{
	uint8_t *copy = NULL;

	if (len > SH_INLINE && !(copy = malloc(len)))
		return false;
	sh_name_free(e);
	if (copy) {
		memcpy(copy, name, len);
		e->sh_out = copy;
	} else {
		memcpy(e->sh_in, name, len);
	}
	e->sh_namelen = (uint8_t)len;
	return true;
}

struct shadow *sh_find(uint64_t lkid)
{
	if (!lms.sh.st_tab || !lkid)
		return NULL;
	for (size_t i = sh_slot(lkid, lms.sh.st_cap);; i = (i + 1) & (lms.sh.st_cap - 1)) {
		if (lms.sh.st_tab[i].sh_lkid == lkid)
			return &lms.sh.st_tab[i];
		if (!lms.sh.st_tab[i].sh_lkid)
			return NULL;
	}
}

/* the shadow of lkid, a new (nameless) one if it has none; NULL: no memory */
static struct shadow *sh_add(uint64_t lkid)
{
	struct shadow *e = sh_find(lkid);

	if (e)
		return e;
	if ((lms.sh.st_n + 1) * 4 > lms.sh.st_cap * 3) {	/* grow at 3/4 full */
		size_t cap = lms.sh.st_cap ? lms.sh.st_cap * 2 : 1024;
		struct shadow *old = lms.sh.st_tab, *n = calloc(cap, sizeof(*n));

		if (!n)
			return NULL;
		for (size_t i = 0; old && i < lms.sh.st_cap; i++) {
			size_t j;

			if (!old[i].sh_lkid)
				continue;
			for (j = sh_slot(old[i].sh_lkid, cap); n[j].sh_lkid; j = (j + 1) & (cap - 1))
				;
			n[j] = old[i];
		}
		free(old);
		lms.sh.st_tab = n;
		lms.sh.st_cap = cap;
	}
	for (size_t i = sh_slot(lkid, lms.sh.st_cap);; i = (i + 1) & (lms.sh.st_cap - 1))
		if (!lms.sh.st_tab[i].sh_lkid) {
			memset(&lms.sh.st_tab[i], 0, sizeof(lms.sh.st_tab[i]));
			lms.sh.st_tab[i].sh_lkid = lkid;
			lms.sh.st_n++;
			return &lms.sh.st_tab[i];
		}
}

/* delete the shadow in slot i; another one may move into the slot */
static void sh_del_at(size_t i)
{
	size_t j;

	sh_name_free(&lms.sh.st_tab[i]);
	lms.sh.st_tab[i].sh_lkid = 0;
	lms.sh.st_n--;
	/* backward-shift deletion keeps every probe chain whole */
	for (j = (i + 1) & (lms.sh.st_cap - 1); lms.sh.st_tab[j].sh_lkid; j = (j + 1) & (lms.sh.st_cap - 1)) {
		size_t home = sh_slot(lms.sh.st_tab[j].sh_lkid, lms.sh.st_cap);

		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			lms.sh.st_tab[i] = lms.sh.st_tab[j];
			lms.sh.st_tab[j].sh_lkid = 0;
			i = j;
		}
	}
}

void sh_del(uint64_t lkid)
{
	struct shadow *e = sh_find(lkid);

	if (e)
		sh_del_at((size_t)(e - lms.sh.st_tab));
}

/* the shadow of lock lkid of client; NULL (said in the log) out of memory */
struct shadow *sh_make(uint64_t lkid, uint32_t client, const void *name, size_t namelen)
{
	struct shadow *e = sh_add(lkid);

	if (e && !sh_name_set(e, name, namelen)) {
		sh_del(lkid);
		e = NULL;
	}
	if (!e) {
		log_error(COMP, "out of memory keeping the shadow of lock 0x%016llx: it cannot "
			  "be converted or released", (unsigned long long)lkid);
		return NULL;
	}
	e->sh_client = client;
	return e;
}

/*
 * Keep the shadow of a lock of one of our clients up with what its master,
 * another LMS, answers or tells it.  (Answers and events of our own table
 * leave shadows alone: a lock mastered here has none.)
 */
void sh_note(uint16_t type, const struct msg_lk *lk)
{
	struct shadow *e;

	if (type == MSG_LK_EVENT) {
		e = sh_find(lk->lk_lkid);
		if (!e || lk->lk_event == GRD_EV_BLOCKING)
			return;
		if (lk->lk_event != GRD_EV_GRANTED && lk->lk_mode == GRD_IV) {
			sh_del(lk->lk_lkid);	/* a new request that failed is gone */
			return;
		}
		e->sh_gr = (int8_t)lk->lk_mode;
		e->sh_rq = GRD_IV;
		e->sh_state = GRD_LK_GRANTED;
		return;
	}
	if (lk->lk_status < 0)
		return;
	switch (lk->lk_op) {
	case LK_OP_LOCK:
		e = sh_make(lk->lk_lkid, lk->lk_owner_client, lk->lk_name, lk->lk_namelen);
		if (!e)
			return;
		e->sh_gr = lk->lk_status == GRD_GRANTED ? (int8_t)lk->lk_mode : GRD_IV;
		e->sh_rq = lk->lk_status == GRD_GRANTED ? GRD_IV : (int8_t)lk->lk_mode;
		e->sh_state = lk->lk_status == GRD_GRANTED ? GRD_LK_GRANTED : GRD_LK_WAITING;
		return;
	case LK_OP_CONVERT:
		if (!(e = sh_find(lk->lk_lkid)))
			return;
		if (lk->lk_status == GRD_GRANTED) {
			e->sh_gr = (int8_t)lk->lk_mode;
			e->sh_rq = GRD_IV;
			e->sh_state = GRD_LK_GRANTED;
		} else {
			e->sh_rq = (int8_t)lk->lk_mode;
			e->sh_state = GRD_LK_CONVERTING;
		}
		return;
	case LK_OP_UNLOCK:
		sh_del(lk->lk_lkid);
		return;
	case LK_OP_CANCEL:
		if (!(e = sh_find(lk->lk_lkid)))
			return;
		if (e->sh_state == GRD_LK_WAITING) {
			sh_del(lk->lk_lkid);
		} else {
			e->sh_rq = GRD_IV;
			e->sh_state = GRD_LK_GRANTED;
		}
		return;
	}
}

/*
 * Shadows whose session has ended: their locks were dropped.  Deleting may
 * move a later shadow into slot i, so the slot is looked at again; nothing
 * moves behind the scan.
 */
void sh_prune(void)
{
	for (size_t i = 0; i < lms.sh.st_cap; i++)
		while (lms.sh.st_tab[i].sh_lkid && !session_by_id(lms.sh.st_tab[i].sh_client))
			sh_del_at(i);
}
