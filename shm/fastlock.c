/*
 * fastlock.c - the SGA lock cache (fastlock.h explains the design).
 *
 * Everything that changes a slot runs under its latch; wake-ups are given
 * after the latch is let go, so a woken waiter does not sleep on it again.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fastlock.h"
#include "sga.h"

/* NL CR CW PR PW EX, as the lock table's (lms/grd_int.h) */
static const uint8_t compat[6] = {
	0x3f,	/* NL: everything */
	0x1f,	/* CR: all but EX */
	0x07,	/* CW: NL CR CW */
	0x0b,	/* PR: NL CR PR */
	0x03,	/* PW: NL CR */
	0x01,	/* EX: NL */
};

static bool compatible(int a, int b)
{
	return a >= 0 && a < 6 && b >= 0 && b < 6 && (compat[a] >> b & 1);
}

/* a mode a client could have left in an entry, checked before LMS trusts it */
static bool mode_ok(int m)
{
	return m >= 0 && m < 6;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

unsigned fl_slot_of(const void *name, size_t namelen)
{
	const uint8_t *p = name;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < namelen; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	h ^= h >> 31;
	return (unsigned)h & (FL_SLOTS - 1);
}

bool fl_gate(const struct fl_ctx *c, uint64_t now_ns)
{
	uint64_t lease = __atomic_load_n(&c->fc_a->fa_lease_ns, __ATOMIC_ACQUIRE);
	uint64_t len = c->fc_a->fa_lease_len_ns;

	/* LMS may stamp after the caller read its clock: a stamp ahead is fresh */
	return __atomic_load_n(&c->fc_a->fa_enabled, __ATOMIC_ACQUIRE) && lease &&
	       (now_ns - lease <= len || lease - now_ns <= len) &&
	       __atomic_load_n(c->fc_inst_state, __ATOMIC_ACQUIRE) == INST_OPEN &&
	       __atomic_load_n(c->fc_cl_state, __ATOMIC_ACQUIRE) == CGS_STABLE;
}

/* ---- the latch and the words ---------------------------------------------- */

static void latch(struct fl_slot *s)
{
	int rc = pthread_mutex_lock(&s->fs_latch);

	/*
	 * Its last holder died inside: the entries are whole (each is written
	 * before its word), and the grants it may not have given are given by
	 * whoever re-evaluates next -- every change ends with that.  The count
	 * of entries is not an entry: it may be one off (counted, entry not
	 * written; entry freed, not uncounted), so it is counted again.
	 */
	if (rc == EOWNERDEAD) {
		uint32_t n = 0;

		for (int i = 0; i < FL_ENTRIES; i++)
			n += FE_STATE(s->fs_e[i].fe_word) != FE_FREE;
		if (n == 0 && s->fs_nused != 0) {
			s->fs_idle_ns = mono_ns();
			if (!s->fs_dubious)
				memset(s->fs_lvb, 0, sizeof(s->fs_lvb));
		}
		s->fs_nused = n;
		pthread_mutex_consistent(&s->fs_latch);
	}
}

static void unlatch(struct fl_slot *s)
{
	pthread_mutex_unlock(&s->fs_latch);
}

static uint32_t word(const struct fl_entry *e)
{
	return __atomic_load_n(&e->fe_word, __ATOMIC_ACQUIRE);
}

/* new state, and a new change count, so that a sleeper on the old word wakes */
static void set_state(struct fl_entry *e, uint32_t st)
{
	uint32_t w = e->fe_word;

	__atomic_store_n(&e->fe_word, ((w & ~0xffu) + 0x100u) | st, __ATOMIC_RELEASE);
}

static void wake(struct fl_entry *e)
{
	syscall(SYS_futex, &e->fe_word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static void sleep_on(struct fl_entry *e, uint32_t w, uint64_t until_ns, uint64_t now)
{
	struct timespec ts;
	uint64_t d = until_ns > now ? until_ns - now : 0;

	ts.tv_sec = (time_t)(d / 1000000000ull);
	ts.tv_nsec = (long)(d % 1000000000ull);
	syscall(SYS_futex, &e->fe_word, FUTEX_WAIT, w, &ts, NULL, 0);
}

static bool name_is(const struct fl_slot *s, const void *name, size_t namelen)
{
	return s->fs_state == FS_ACTIVE && s->fs_namelen == namelen &&
	       !memcmp(s->fs_name, name, namelen);
}

/* the entry of lock w in its slot (latch held), or NULL if it has moved */
static struct fl_entry *entry_of(struct fl_slot *s, const struct fl_where *w)
{
	struct fl_entry *e;

	if (w->fw_entry >= FL_ENTRIES || s->fs_state != FS_ACTIVE)
		return NULL;
	e = &s->fs_e[w->fw_entry];
	return e->fe_lkid == w->fw_lkid && FE_STATE(e->fe_word) != FE_FREE ? e : NULL;
}

static void entry_free(struct fl_slot *s, struct fl_entry *e, uint64_t now)
{
	e->fe_lkid = 0;
	set_state(e, FE_FREE);
	if (--s->fs_nused == 0) {
		s->fs_idle_ns = now;
		if (!s->fs_dubious)	/* no lock, no resource: its value block goes */
			memset(s->fs_lvb, 0, sizeof(s->fs_lvb));
	}
}

/*
 * Grant what can be granted, FIFO: the oldest waiter, while it is
 * compatible with every granted lock.  Entries granted are marked in
 * *woken (a bit each) for wake() after the latch goes.  Nothing is granted
 * while the gate is shut.
 */
static void regrant(struct fl_slot *s, bool gate, uint32_t *woken)
{
	while (gate) {
		struct fl_entry *head = NULL;
		bool ok = true;

		for (int i = 0; i < FL_ENTRIES; i++) {
			struct fl_entry *e = &s->fs_e[i];

			if (FE_STATE(e->fe_word) == FE_WAITING &&
			    (!head || e->fe_ticket < head->fe_ticket))
				head = e;
		}
		if (!head)
			return;
		for (int i = 0; i < FL_ENTRIES && ok; i++)
			if (FE_STATE(s->fs_e[i].fe_word) == FE_GRANTED)
				ok = compatible(head->fe_mode, s->fs_e[i].fe_mode);
		if (!ok)
			return;
		memcpy(head->fe_lvb, s->fs_lvb, FL_LVB_LEN);
		head->fe_dubious = s->fs_dubious;
		head->fe_since_ns = 0;
		set_state(head, FE_GRANTED);
		*woken |= 1u << (head - s->fs_e);
	}
}

static void wake_all(struct fl_slot *s, uint32_t woken)
{
	for (int i = 0; woken; i++, woken >>= 1)
		if (woken & 1)
			wake(&s->fs_e[i]);
}

/* ---- clients ----------------------------------------------------------------- */

int fl_lock(const struct fl_ctx *c, const struct fl_req *rq, struct fl_where *w,
	    uint8_t lvb[FL_LVB_LEN], bool *dubious)
{
	struct fl_area *a = c->fc_a;
	unsigned idx;
	struct fl_slot *s;
	struct fl_entry *e = NULL;
	bool grantable = true;
	uint32_t woken = 0;
	int rc;
	uint64_t now;

	if (__atomic_load_n(&a->fa_magic, __ATOMIC_ACQUIRE) != FL_MAGIC ||
	    rq->fr_namelen == 0 || rq->fr_namelen > FL_NAME_MAX || rq->fr_mode < 0 ||
	    rq->fr_mode > 5)
		return FL_PASS_REVOKE;	/* LMS says what is wrong */
	idx = fl_slot_of(rq->fr_name, rq->fr_namelen);
	s = &a->fa_slot[idx];
	/* a hint without the latch: most names are not here */
	if (__atomic_load_n(&s->fs_state, __ATOMIC_RELAXED) != FS_ACTIVE)
		return FL_PASS;
	latch(s);
	if (!name_is(s, rq->fr_name, rq->fr_namelen)) {
		unlatch(s);
		return FL_PASS;
	}
	now = mono_ns();
	if (!fl_gate(c, now)) {
		unlatch(s);
		return FL_PASS_REVOKE;
	}
	/* a grant held back (gate shut a moment, a holder died inside) goes first */
	regrant(s, true, &woken);
	for (int i = 0; i < FL_ENTRIES; i++) {
		struct fl_entry *x = &s->fs_e[i];
		uint32_t st = FE_STATE(x->fe_word);

		if (st == FE_FREE) {
			if (!e)
				e = x;
		} else if (st == FE_WAITING ||
			   (st == FE_GRANTED && !compatible(rq->fr_mode, x->fe_mode))) {
			grantable = false;
		}
	}
	if (!e || (!grantable && rq->fr_noqueue)) {
		unlatch(s);
		wake_all(s, woken);
		return e ? FL_BUSY : FL_PASS_REVOKE;	/* full: the GRD has no such bound */
	}
	e->fe_lkid = a->fa_id_base + __atomic_add_fetch(&a->fa_next_id, 1, __ATOMIC_RELAXED);
	e->fe_session = rq->fr_session;
	e->fe_pid = rq->fr_pid;
	e->fe_mode = (int8_t)rq->fr_mode;
	e->fe_ticket = s->fs_next_ticket++;
	e->fe_deadline_ns = rq->fr_deadline_ns;
	e->fe_since_ns = grantable ? 0 : now;
	s->fs_nused++;
	w->fw_slot = (uint16_t)idx;
	w->fw_entry = (uint8_t)(e - s->fs_e);
	w->fw_lkid = e->fe_lkid;
	if (grantable) {
		memcpy(e->fe_lvb, s->fs_lvb, FL_LVB_LEN);
		e->fe_dubious = s->fs_dubious;
		memcpy(lvb, e->fe_lvb, FL_LVB_LEN);
		*dubious = e->fe_dubious;
		set_state(e, FE_GRANTED);
	} else {
		set_state(e, FE_WAITING);
	}
	rc = grantable ? FL_GRANTED : FL_QUEUED;
	unlatch(s);
	wake_all(s, woken);
	return rc;
}

/* a granted entry's value block to its owner; under the latch */
static int take_grant(const struct fl_entry *e, uint8_t lvb[FL_LVB_LEN], bool *dubious)
{
	memcpy(lvb, e->fe_lvb, FL_LVB_LEN);
	*dubious = e->fe_dubious;
	return FL_GRANTED;
}

int fl_wait(const struct fl_ctx *c, const struct fl_where *w, uint64_t until_ns,
	    uint8_t lvb[FL_LVB_LEN], bool *dubious)
{
	struct fl_slot *s = &c->fc_a->fa_slot[w->fw_slot % FL_SLOTS];
	struct fl_entry *e = &s->fs_e[w->fw_entry % FL_ENTRIES];

	for (;;) {
		uint32_t v = word(e);
		uint64_t now;
		int rc;

		if (FE_STATE(v) == FE_WAITING &&
		    __atomic_load_n(&e->fe_lkid, __ATOMIC_ACQUIRE) == w->fw_lkid) {
			now = mono_ns();
			if (now >= until_ns)
				break;
			sleep_on(e, v, until_ns, now);
			continue;
		}
		/* granted, or gone: decide under the latch */
		latch(s);
		e = entry_of(s, w);
		if (!e) {
			rc = FL_MOVED;
		} else if (FE_STATE(e->fe_word) == FE_GRANTED) {
			rc = take_grant(e, lvb, dubious);
		} else {
			rc = -1;	/* still waiting: a change of count only */
		}
		unlatch(s);
		if (rc >= 0)
			return rc;
		e = &s->fs_e[w->fw_entry % FL_ENTRIES];
	}
	/*
	 * Out of time.  A grant the gate held back (LMS was late with its
	 * stamp) is given now if the gate has opened again.
	 */
	{
		uint32_t woken = 0;
		int rc = FL_STILL;

		latch(s);
		e = entry_of(s, w);
		if (!e) {
			rc = FL_MOVED;
		} else {
			regrant(s, fl_gate(c, mono_ns()), &woken);
			if (FE_STATE(e->fe_word) == FE_GRANTED) {
				rc = take_grant(e, lvb, dubious);
				woken &= ~(1u << w->fw_entry);
			}
		}
		unlatch(s);
		wake_all(s, woken);
		return rc;
	}
}

int fl_cancel(const struct fl_ctx *c, const struct fl_where *w, uint8_t lvb[FL_LVB_LEN],
	      bool *dubious)
{
	struct fl_slot *s = &c->fc_a->fa_slot[w->fw_slot % FL_SLOTS];
	struct fl_entry *e;
	uint32_t woken = 0;
	int rc;

	latch(s);
	e = entry_of(s, w);
	if (!e) {
		rc = FL_MOVED;
	} else if (FE_STATE(e->fe_word) == FE_GRANTED) {
		rc = take_grant(e, lvb, dubious);
	} else {
		entry_free(s, e, mono_ns());
		regrant(s, fl_gate(c, mono_ns()), &woken);	/* it may have been the head */
		rc = FL_CANCELLED;
	}
	unlatch(s);
	wake_all(s, woken);
	return rc;
}

int fl_unlock(const struct fl_ctx *c, const struct fl_where *w, const uint8_t *lvb_in)
{
	struct fl_slot *s = &c->fc_a->fa_slot[w->fw_slot % FL_SLOTS];
	struct fl_entry *e;
	uint32_t woken = 0;
	uint64_t now;

	latch(s);
	e = entry_of(s, w);
	if (!e || FE_STATE(e->fe_word) != FE_GRANTED) {
		unlatch(s);
		return FL_MOVED;
	}
	if (lvb_in && e->fe_mode >= 4) {	/* PW, EX */
		memcpy(s->fs_lvb, lvb_in, FL_LVB_LEN);
		s->fs_dubious = 0;
	}
	now = mono_ns();
	entry_free(s, e, now);
	regrant(s, fl_gate(c, now), &woken);
	unlatch(s);
	wake_all(s, woken);
	return 0;
}

int fl_lvb_read(const struct fl_ctx *c, const struct fl_where *w, uint8_t lvb[FL_LVB_LEN],
		bool *dubious)
{
	struct fl_slot *s = &c->fc_a->fa_slot[w->fw_slot % FL_SLOTS];
	struct fl_entry *e;
	int rc = FL_MOVED;

	latch(s);
	e = entry_of(s, w);
	if (e && FE_STATE(e->fe_word) == FE_GRANTED) {
		memcpy(lvb, s->fs_lvb, FL_LVB_LEN);
		*dubious = s->fs_dubious;
		rc = 0;
	}
	unlatch(s);
	return rc;
}

/* ---- LMS ---------------------------------------------------------------------- */

int fl_init(struct fl_area *a, uint64_t id_base, uint64_t lease_len_ns, bool enabled)
{
	pthread_mutexattr_t at;
	int rc;

	if ((rc = pthread_mutexattr_init(&at)) != 0)
		return -rc;
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < FL_SLOTS && !rc; i++)
		rc = pthread_mutex_init(&a->fa_slot[i].fs_latch, &at);
	pthread_mutexattr_destroy(&at);
	if (rc)
		return -rc;
	a->fa_id_base = id_base | FL_ID_BIT;
	a->fa_enabled = enabled;
	a->fa_lease_len_ns = lease_len_ns < FL_LEASE_NS ? lease_len_ns : FL_LEASE_NS;
	__atomic_store_n(&a->fa_magic, FL_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

void fl_stamp(struct fl_area *a, uint64_t now_ns)
{
	__atomic_store_n(&a->fa_lease_ns, now_ns, __ATOMIC_RELEASE);
}

int fl_find(struct fl_area *a, const void *name, size_t namelen)
{
	unsigned idx;
	struct fl_slot *s;
	bool here;

	if (namelen == 0 || namelen > FL_NAME_MAX)
		return -1;
	idx = fl_slot_of(name, namelen);
	s = &a->fa_slot[idx];
	if (__atomic_load_n(&s->fs_state, __ATOMIC_RELAXED) != FS_ACTIVE)
		return -1;
	latch(s);
	here = name_is(s, name, namelen);
	unlatch(s);
	return here ? (int)idx : -1;
}

int fl_find_lkid(struct fl_area *a, uint64_t lkid)
{
	if (!lkid || (lkid & ~((FL_ID_BIT << 1) - 1)) != (a->fa_id_base & ~((FL_ID_BIT << 1) - 1)) ||
	    !(lkid & FL_ID_BIT))
		return -1;
	for (int i = 0; i < FL_SLOTS; i++) {
		struct fl_slot *s = &a->fa_slot[i];
		bool here = false;

		if (__atomic_load_n(&s->fs_state, __ATOMIC_RELAXED) != FS_ACTIVE)
			continue;
		latch(s);
		for (int k = 0; k < FL_ENTRIES && !here; k++)
			here = s->fs_state == FS_ACTIVE && s->fs_e[k].fe_lkid == lkid &&
			       FE_STATE(s->fs_e[k].fe_word) != FE_FREE;
		unlatch(s);
		if (here)
			return i;
	}
	return -1;
}

int fl_delegate(struct fl_area *a, const void *name, size_t namelen, uint64_t now_ns)
{
	unsigned idx;
	struct fl_slot *s;
	int rc = -1;

	if (namelen == 0 || namelen > FL_NAME_MAX)
		return -1;
	idx = fl_slot_of(name, namelen);
	s = &a->fa_slot[idx];
	latch(s);
	if (name_is(s, name, namelen)) {
		rc = (int)idx;
	} else if (s->fs_state == FS_FREE || (s->fs_nused == 0 && !s->fs_dubious)) {
		/* entries are all free; their words keep counting (no lost wake-up) */
		memset(s->fs_lvb, 0, sizeof(s->fs_lvb));
		memset(s->fs_name, 0, sizeof(s->fs_name));
		memcpy(s->fs_name, name, namelen);
		s->fs_namelen = (uint8_t)namelen;
		s->fs_dubious = 0;
		s->fs_nused = 0;
		s->fs_idle_ns = now_ns;
		__atomic_store_n(&s->fs_state, FS_ACTIVE, __ATOMIC_RELEASE);
		rc = (int)idx;
	}
	unlatch(s);
	return rc;
}

static int by_ticket(const struct fl_entry *a, const struct fl_entry *b)
{
	return a->fe_ticket < b->fe_ticket ? -1 : a->fe_ticket > b->fe_ticket;
}

int fl_revoke(struct fl_area *a, int idx, struct fl_xres *x)
{
	struct fl_slot *s;
	struct fl_entry *order[FL_ENTRIES];
	uint32_t woken = 0;
	int n = 0;

	memset(x, 0, offsetof(struct fl_xres, xr_locks));
	if (idx < 0 || idx >= FL_SLOTS)
		return 0;
	s = &a->fa_slot[idx];
	latch(s);
	if (s->fs_state != FS_ACTIVE) {
		unlatch(s);
		return 0;
	}
	/*
	 * Clients write entries and value blocks: what they could have
	 * scribbled is checked before it reaches the GRD (a name length only
	 * LMS writes is clamped all the same).
	 */
	x->xr_namelen = s->fs_namelen && s->fs_namelen <= FL_NAME_MAX ? s->fs_namelen :
			FL_NAME_MAX;
	memcpy(x->xr_name, s->fs_name, FL_NAME_MAX);
	memcpy(x->xr_lvb, s->fs_lvb, FL_LVB_LEN);
	x->xr_dubious = s->fs_dubious;
	/* granted first, then waiting; each in order of arrival (insertion sort) */
	for (int pass = FE_GRANTED; pass >= FE_WAITING; pass--)
		for (int i = 0; i < FL_ENTRIES; i++) {
			struct fl_entry *e = &s->fs_e[i];
			int k = n;

			if (FE_STATE(e->fe_word) != (uint32_t)pass)
				continue;
			if (!mode_ok(e->fe_mode)) {
				x->xr_bad++;
				continue;
			}
			while (k > 0 && FE_STATE(order[k - 1]->fe_word) == (uint32_t)pass &&
			       by_ticket(order[k - 1], e) > 0) {
				order[k] = order[k - 1];
				k--;
			}
			order[k] = e;
			n++;
		}
	for (int k = 0; k < n; k++) {
		struct fl_entry *e = order[k];

		x->xr_locks[k] = (struct fl_xlock){
			.xl_lkid = e->fe_lkid, .xl_deadline_ns = e->fe_deadline_ns,
			.xl_session = e->fe_session, .xl_pid = e->fe_pid, .xl_mode = e->fe_mode,
			.xl_granted = FE_STATE(e->fe_word) == FE_GRANTED };
	}
	x->xr_nlocks = n;
	for (int i = 0; i < FL_ENTRIES; i++) {
		struct fl_entry *e = &s->fs_e[i];

		if (FE_STATE(e->fe_word) == FE_WAITING)
			woken |= 1u << i;
		if (FE_STATE(e->fe_word) != FE_FREE) {
			e->fe_lkid = 0;
			set_state(e, FE_FREE);
		}
	}
	s->fs_nused = 0;
	__atomic_store_n(&s->fs_state, FS_FREE, __ATOMIC_RELEASE);
	unlatch(s);
	wake_all(s, woken);
	return 1;
}

void fl_drop_dead(struct fl_area *a, bool (*dead)(int32_t pid, void *arg), void *arg,
		  struct fl_drop *d)
{
	uint64_t now = mono_ns();

	memset(d, 0, sizeof(*d));
	for (int i = 0; i < FL_SLOTS; i++) {
		struct fl_slot *s = &a->fa_slot[i];
		uint32_t woken = 0;

		if (__atomic_load_n(&s->fs_state, __ATOMIC_RELAXED) != FS_ACTIVE)
			continue;
		latch(s);
		for (int k = 0; k < FL_ENTRIES && s->fs_state == FS_ACTIVE; k++) {
			struct fl_entry *e = &s->fs_e[k];
			uint32_t st = FE_STATE(e->fe_word);

			if (st == FE_FREE || !dead(e->fe_pid, arg))
				continue;
			if (st == FE_GRANTED) {
				d->fd_held++;
				if (e->fe_mode >= 4 && !s->fs_dubious) {
					s->fs_dubious = 1;
					d->fd_dubious++;
				}
			} else {
				d->fd_waiting++;
			}
			entry_free(s, e, now);
		}
		/* always: a grant a dead latch holder left undone is given here too */
		if (s->fs_state == FS_ACTIVE)
			regrant(s, true, &woken);
		unlatch(s);
		wake_all(s, woken);
	}
}

bool fl_session_busy(struct fl_area *a, uint32_t session)
{
	for (int i = 0; i < FL_SLOTS; i++) {
		struct fl_slot *s = &a->fa_slot[i];

		if (__atomic_load_n(&s->fs_state, __ATOMIC_RELAXED) != FS_ACTIVE)
			continue;
		for (int k = 0; k < FL_ENTRIES; k++)
			if (FE_STATE(word(&s->fs_e[k])) != FE_FREE &&
			    __atomic_load_n(&s->fs_e[k].fe_session, __ATOMIC_RELAXED) == session)
				return true;
	}
	return false;
}

int fl_sweep(struct fl_area *a, uint64_t now_ns, int from)
{
	for (int i = from < 0 ? 0 : from; i < FL_SLOTS; i++) {
		struct fl_slot *s = &a->fa_slot[i];
		int verdict = 0;	/* 1: take back, 2: free */

		if (__atomic_load_n(&s->fs_state, __ATOMIC_RELAXED) != FS_ACTIVE)
			continue;
		latch(s);
		if (s->fs_state == FS_ACTIVE) {
			/* a time after now_ns (set while we scanned) is not old */
			if (s->fs_nused == 0 && now_ns >= s->fs_idle_ns + FL_IDLE_NS)
				verdict = s->fs_dubious ? 1 : 2;
			for (int k = 0; k < FL_ENTRIES && !verdict; k++) {
				const struct fl_entry *e = &s->fs_e[k];

				if (FE_STATE(e->fe_word) == FE_WAITING && e->fe_since_ns &&
				    now_ns >= e->fe_since_ns + FL_PATIENCE_NS)
					verdict = 1;
			}
			if (verdict == 2)
				__atomic_store_n(&s->fs_state, FS_FREE, __ATOMIC_RELEASE);
		}
		unlatch(s);
		if (verdict == 1)
			return i;
	}
	return -1;
}

bool fl_snapshot(struct fl_area *a, int idx, struct fl_slot *copy)
{
	struct fl_slot *s;
	bool active;

	if (idx < 0 || idx >= FL_SLOTS)
		return false;
	s = &a->fa_slot[idx];
	if (__atomic_load_n(&s->fs_state, __ATOMIC_RELAXED) != FS_ACTIVE)
		return false;
	latch(s);
	active = s->fs_state == FS_ACTIVE;
	if (active)
		memcpy(copy, s, sizeof(*copy));
	unlatch(s);
	if (!active)
		return false;
	/* for the views: nothing a client scribbled is shown as a lock */
	if (!copy->fs_namelen || copy->fs_namelen > FL_NAME_MAX)
		copy->fs_namelen = FL_NAME_MAX;
	for (int k = 0; k < FL_ENTRIES; k++)
		if (!mode_ok(copy->fs_e[k].fe_mode))
			copy->fs_e[k].fe_word = FE_FREE;
	return true;
}
