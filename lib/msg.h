/*
 * msg.h - the interconnect message catalogue: one header, one list of
 * types, one protocol version.
 *
 * Every message between processes and instances starts with the same
 * 40-byte header, little-endian like the disk (same cursor, disk.h):
 *
 *   offset size
 *        0    4  magic        RAC_MSG_MAGIC
 *        4    2  version      RAC_MSG_VERSION: bump on any change below
 *        6    2  type         enum rac_msg_type
 *        8    4  length       payload bytes after the header
 *       12    4  sender       sending instance number
 *       16    8  cluster      rac_msg_cluster_id(cluster name)
 *       24    8  incarnation  sender's cluster incarnation
 *       32    8  seq          sender's message sequence
 *       40    -  payload
 *
 * Bytes that do not decode (short, bad magic, other version, unknown type,
 * wrong length or a payload over RAC_MSG_MAX, trailing bytes) or that come from another cluster are
 * counted, logged and dropped by the receiver; they never reach a handler.
 */
#ifndef RAC_MSG_H
#define RAC_MSG_H

#include <stddef.h>
#include <stdint.h>

#define RAC_MSG_MAGIC	0x4D434152u	/* "RACM" little-endian */
#define RAC_MSG_VERSION	8
#define RAC_MSG_HDR	40
#define RAC_MSG_MAX	65536		/* largest message accepted */

/* Grouped by receiver. */
enum rac_msg_type {
	/* LMON <- LMON */
	MSG_HEARTBEAT = 1,		/* network heartbeat */

	/* LMON <- client (racsql); sender 0 is allowed for these */
	MSG_VIEW_REQUEST = 2,		/* send me a snapshot of your SGA */
	/* client <- LMON */
	MSG_VIEW_SNAPSHOT = 3,		/* payload: the SGA bytes, as mapped */

	/* LMS <- client (ipc://<local_dir>/lms.sock), sender 0; payload msg_lk */
	MSG_LK_REQUEST = 4,		/* lock, convert, unlock, cancel, value block */
	/* client <- LMS; payload msg_lk */
	MSG_LK_REPLY = 5,		/* the answer to one request (lk_req) */
	MSG_LK_EVENT = 6,		/* later: granted, blocking, timed out, deadlock */
	/* LMS <- LMS; payload msg_lk (lk_owner_client routes the answer back) */
	MSG_GRD_OP = 7,			/* a request for a resource this LMS masters */
	MSG_GRD_RESULT = 8,		/* its answer, back to the requester's LMS */
	MSG_GRD_EVENT = 9,		/* an event for a lock of the receiver's client */
	/*
	 * Remastering, LMS <- LMS, payload msg_lk with lk_req = the incarnation
	 * (low 32 bits) it belongs to.  A lock record: lk_op 1, name, lkid,
	 * owner instance in lk_flags (0: the sender) and client, lk_mode =
	 * granted mode (-1 none), lk_status = requested mode (-1 none),
	 * lk_event = state.  A resource record (from its old master, still
	 * alive): lk_op 2, name, value block and dubious flag.  struct
	 * msg_rb_lock / msg_rb_res / msg_rb_done below name these fields.
	 */
	MSG_GRD_REBUILD = 10,
	MSG_GRD_REBUILD_DONE = 11,	/* every record of the sender has been sent */

	/*
	 * LMS <- client (racsql's v$ges_* views), sender 0: one page of the
	 * resources or of the locks, from a position (struct msg_ges_req)
	 */
	MSG_GES_DUMP_REQUEST = 12,
	/*
	 * client <- LMS: a page of the resources this LMS masters, or of their
	 * locks, as far as they fit one message:  u32 nres, u32 nlocks, u8 more,
	 * u64 next (where the next page starts when more is 1), then per
	 * resource: u8 namelen, name, u32 granted, converting, waiting, u8
	 * dubious, 32-byte value block; per lock: u8 namelen, name, u64 lkid,
	 * u8 owner instance, u32 owner client, u32 owner pid, i8 granted mode,
	 * i8 requested mode, u8 state, u8 blocked, u8 blocker instance.
	 */
	MSG_GES_DUMP = 13,

	/*
	 * Deadlock detection across instances, LMS <- LMS: the coordinator (the
	 * lowest member) asks for every LMS's wait-for edges (payload msg_lk,
	 * lk_req = round); the answer is u32 round, u32 n, then per edge: u8
	 * waiter instance, u32 waiter client, u8 holder instance, u32 holder
	 * client, u64 waiting lock id.
	 */
	MSG_GRD_EDGES_REQUEST = 14,
	MSG_GRD_EDGES = 15,

	/*
	 * Several lock messages in one (msg_bundle_*): whatever one LMS or
	 * client has for the same receiver at the end of a burst goes as one
	 * ZeroMQ message.  Payload: u16 count, then per record: u16 type (one
	 * of the msg_lk types above), then the msg_lk in compact form (the
	 * fixed fields, u16 namelen, the name's namelen bytes, u8 has_lvb, u8
	 * dubious, the value block only when has_lvb).  Records keep their
	 * order and are taken exactly as the same messages sent one by one.
	 */
	MSG_LK_BUNDLE = 16,

	MSG_TYPE_MAX
};

/*
 * The catalogue, one row per type (msg.c): its name for logs, its payload
 * length (MSG_LEN_VARIABLE: checked by its own decoder), whether sender 0
 * (a process outside the cluster: a client, racsql) may send it, and the
 * process that receives it.  msg_decode_hdr() judges every message by it.
 */
#define MSG_LEN_VARIABLE (-1)

enum msg_receiver { MSG_TO_LMON = 1, MSG_TO_LMS, MSG_TO_CLIENT, MSG_TO_ANY };

struct msg_type_info {
	const char *mt_name;		/* "HEARTBEAT" */
	int mt_len;			/* payload bytes, or MSG_LEN_VARIABLE */
	int mt_sender0;			/* 1: sender 0 is allowed */
	enum msg_receiver mt_to;
};
/* the row of `type`, or NULL for a type outside the catalogue */
const struct msg_type_info *msg_type_info(int type);

/* header field offsets on the wire (static_assert'ed against RAC_MSG_HDR) */
enum {
	MSG_OFF_MAGIC = 0, MSG_OFF_VERSION = 4, MSG_OFF_TYPE = 6, MSG_OFF_LENGTH = 8,
	MSG_OFF_SENDER = 12, MSG_OFF_CLUSTER = 16, MSG_OFF_INCARNATION = 24, MSG_OFF_SEQ = 32,
	MSG_OFF_PAYLOAD = 40,
};

struct msg_hdr {
	uint32_t mh_magic;
	uint16_t mh_version;
	uint16_t mh_type;
	uint32_t mh_length;
	uint32_t mh_sender;
	uint64_t mh_cluster;
	uint64_t mh_incarnation;
	uint64_t mh_seq;
};

/* MSG_HEARTBEAT: u32 state, u64 peers, u64 members, u64 sent_us, u32 disks */
#define MSG_HEARTBEAT_LEN (4 + 8 + 8 + 8 + 4)
struct msg_heartbeat {
	uint32_t hb_state;		/* sender's enum inst_state */
	uint64_t hb_peers;		/* bitmap of instances the sender hears */
	uint64_t hb_members;		/* membership as the sender sees it */
	uint64_t hb_sent_us;		/* sender's CLOCK_REALTIME */
	uint32_t hb_disks;		/* voting disks its last disk heartbeat reached */
};

/* lock operations (msg_lk.lk_op) */
enum { LK_OP_LOCK = 1, LK_OP_CONVERT, LK_OP_UNLOCK, LK_OP_CANCEL, LK_OP_LVB_READ };
/* LMS <- LMS only (MSG_GRD_OP) */
enum { LK_OP_DROP_OWNER = 6, LK_OP_DEADLOCK_VICTIM = 7 };
/*
 * LMS <- client: a barrier.  LMS answers it at once (status 0), frozen or
 * not: the answer says LMS has taken every request the client sent before.
 */
enum { LK_OP_SYNC = 8 };
#define LK_NAME_MAX	64
#define LK_LVB_LEN	32
#define LK_NOQUEUE	0x1u
/*
 * client -> LMS: answer this request only if it fails.  The client's LMS
 * honours it (a remote master answers that LMS as usual); the flag travels
 * in lk_flags, so it comes back with the answer.
 */
#define LK_NOREPLY	0x100u
/*
 * client -> LMS, on a LOCK: the client can use the SGA lock cache
 * (shm/fastlock.h).  LMS may then answer LK_ST_FAST instead: "the resource
 * is in the cache now; ask there".
 */
#define LK_FASTOK	0x200u
#define LK_ST_FAST	2

/*
 * Lock modes (msg_lk.lk_mode, the GES dump): the GRD's numbers, and the
 * public API's (lms/grd.h and client/racrt.c check both).
 */
enum {
	LK_IV = -1,		/* no mode: a waiting request holds none */
	LK_NL = 0,		/* null */
	LK_CR,			/* concurrent read */
	LK_CW,			/* concurrent write */
	LK_PR,			/* protected read */
	LK_PW,			/* protected write */
	LK_EX,			/* exclusive */
	LK_NMODES
};
/* where a lock is (the GES dump, rebuild records): the GRD's queue */
enum { LK_STATE_GRANTED = 0, LK_STATE_CONVERTING = 1, LK_STATE_WAITING = 2 };
/* "NL".."EX" for LK_NL..LK_EX, NULL for anything else (LK_IV too) */
const char *msg_lk_mode_str(int mode);
/* what happened to a lock (msg_lk.lk_event of MSG_LK_EVENT, MSG_GRD_EVENT) */
enum {
	LK_EV_GRANTED = 1,	/* a queued request (new or conversion) was granted */
	LK_EV_BLOCKING,		/* this holder blocks a waiter of mode lk_mode */
	LK_EV_TIMEDOUT,		/* the request's deadline passed; it failed */
	LK_EV_DEADLOCK,		/* the request was a deadlock victim; it failed */
};
/*
 * msg_lk.lk_status of an answer, in three value spaces that never overlap:
 *   0 .. 2       LK_ST_GRANTED, LK_ST_QUEUED (an event will say what became
 *                of it), LK_ST_FAST (above)
 *   -1 .. -99    LMS's own answers: LK_ST_NOT_READY, LK_ST_MOVED
 *   -500 .. -599 the lock table's refusals, LK_E* (the public API passes
 *                these on as they are: include/racrt.h has the same numbers)
 * A RAC_E* code never travels in lk_status: msg_lk_status_of() maps what a
 * lock-table call returned into these spaces before it is answered.
 */
enum {
	LK_ST_GRANTED = 0,
	LK_ST_QUEUED = 1,
	LK_ST_NOT_READY = -1,	/* this instance is not in the cluster, or frozen */
	LK_ST_MOVED = -2,	/* LMS <- LMS: not mastered here any more; route again */
};
enum {
	LK_EUNKNOWN = -500,	/* no lock with that id (never was, or gone) */
	LK_EBADMODE = -501,	/* mode outside NL..EX */
	LK_ENAMELEN = -502,	/* resource name empty or longer than LK_NAME_MAX */
	LK_EBADOWNER = -503,	/* owner's instance outside 1..RAC_MAX_INST */
	LK_EBADFLAGS = -504,	/* unknown flag bits */
	LK_ENOTGRANTED = -505,	/* convert or value-block read of a lock that is
				 * waiting, or convert of a converting one */
	LK_ENOTPENDING = -506,	/* cancel of a lock with no pending request */
	LK_ENOTQUEUED = -507,	/* LK_NOQUEUE request not grantable at once */
	LK_EDEADLK = -508,	/* request chosen as a deadlock victim */
	LK_ETIMEDOUT = -509,	/* request's deadline passed */
	LK_EIMPORT = -510,	/* remastering records inconsistent or clashing */
	LK_ENOMEM = -511,	/* the master's table could not take it: out of memory
				 * or of lock ids */
	LK_EINVAL = -512,	/* the master's table refused the request as malformed */
	LK_EPERM = -513,	/* the client's user may not use this lock manager */
	LK_ELIMIT = -514,	/* a lock quota is reached */
};
/* the lk_status to answer for what a lock-table call returned */
int32_t msg_lk_status_of(int rc);

/*
 * One payload for every lock message, fixed size.  Requests fill op, req,
 * mode, flags, timeout, name or lkid, lvb; answers fill req, status, lkid,
 * lvb, dubious; events fill event, lkid, mode, lvb, dubious.  Between LMSes
 * the owner (instance in the header's sender, client id here) travels too.
 */
struct msg_lk {
	uint32_t lk_op;			/* LK_OP_* (requests) */
	uint32_t lk_req;		/* requester's id, echoed in the answer */
	int32_t lk_mode;		/* 0 NL .. 5 EX */
	uint32_t lk_flags;		/* LK_NOQUEUE, LK_NOREPLY */
	uint32_t lk_timeout_ms;		/* 0: wait for ever */
	int32_t lk_status;		/* answers: 0 granted, 1 queued, < 0 error */
	uint32_t lk_event;		/* events: GRD_EV_* */
	uint32_t lk_owner_client;	/* client id (session) of the owner */
	uint32_t lk_owner_pid;		/* the client process, for views */
	uint64_t lk_lkid;
	uint16_t lk_namelen;
	uint8_t lk_name[LK_NAME_MAX];
	uint8_t lk_has_lvb;
	uint8_t lk_dubious;
	uint8_t lk_lvb[LK_LVB_LEN];
};
#define MSG_LK_LEN	(9 * 4 + 8 + 2 + LK_NAME_MAX + 2 + LK_LVB_LEN)

int msg_encode_lk(uint8_t *buf, size_t len, struct msg_hdr *h, uint16_t type,
		  const struct msg_lk *lk);
int msg_decode_lk(const uint8_t *p, size_t len, struct msg_lk *lk);

/*
 * MSG_GRD_REBUILD records travel as a msg_lk whose fields mean other
 * things (the wire layout is msg_lk's).  These are the two records with
 * their own names; msg_rb_*_to_lk / _from_lk are the only code that knows
 * which msg_lk field carries what.
 */
enum { LK_RB_LOCK = 1, LK_RB_RES = 2 };	/* lk_op of a rebuild record */

/* a lock of a moved resource: one owner's lock, granted and/or requested */
struct msg_rb_lock {
	uint32_t rl_inc;		/* the incarnation it belongs to (low 32 bits) */
	uint64_t rl_lkid;
	uint32_t rl_owner_inst;		/* owner's instance; 0: the sender's */
	uint32_t rl_owner_client;	/* ... and client (session) there */
	int32_t rl_granted;		/* mode, -1 none */
	int32_t rl_requested;		/* mode, -1 none */
	uint32_t rl_state;		/* the lock's state in the old master's table */
	uint16_t rl_namelen;
	const uint8_t *rl_name;
};
/* a moved resource's value block, from its old master (still alive) */
struct msg_rb_res {
	uint32_t rr_inc;
	uint16_t rr_namelen;
	const uint8_t *rr_name;
	uint8_t rr_dubious;
	const uint8_t *rr_lvb;		/* LK_LVB_LEN bytes */
};
/* MSG_GRD_REBUILD_DONE: every record sent (op 0), or the rebuild finished (op 1) */
enum { LK_RB_DONE_SENT = 0, LK_RB_DONE_FINISHED = 1 };
struct msg_rb_done {
	uint32_t rd_inc;
	uint32_t rd_what;		/* LK_RB_DONE_* */
};
void msg_rb_done_to_lk(const struct msg_rb_done *r, struct msg_lk *lk);
void msg_rb_done_from_lk(const struct msg_lk *lk, struct msg_rb_done *r);
/* 0, or RAC_ETOOLONG for a name longer than LK_NAME_MAX */
int msg_rb_lock_to_lk(const struct msg_rb_lock *r, struct msg_lk *lk);
int msg_rb_res_to_lk(const struct msg_rb_res *r, struct msg_lk *lk);
/* views into `lk` (names and value blocks point into it) */
void msg_rb_lock_from_lk(const struct msg_lk *lk, struct msg_rb_lock *r);
void msg_rb_res_from_lk(const struct msg_lk *lk, struct msg_rb_res *r);

/*
 * MSG_GRD_EDGES: u32 round, u32 n, then n edges of MSG_EDGE_LEN bytes:
 * u8 waiter instance, u32 waiter client, u8 holder instance, u32 holder
 * client, u64 waiting lock id.
 */
#define MSG_EDGE_LEN (1 + 4 + 1 + 4 + 8)
struct msg_edge {
	uint8_t me_waiter_inst;
	uint32_t me_waiter_client;
	uint8_t me_holder_inst;
	uint32_t me_holder_client;
	uint64_t me_lkid;
};
/*
 * Payload of n edges into body: its length, RAC_ERANGE if it does not fit,
 * or RAC_EINVAL for an edge whose waiter or holder instance is outside
 * 1..RAC_MAX_INST (which msg_edges_open refuses).
 */
int msg_edges_out(uint8_t *body, size_t len, uint32_t round, const struct msg_edge *e, size_t n);
/*
 * Check a payload: 0 with round and count, or RAC_EMSG_LEN when it is not
 * what it says (its length, or an instance outside 1..RAC_MAX_INST).
 */
int msg_edges_open(const uint8_t *p, size_t len, uint32_t *round, uint32_t *n);
/* edge i of a checked payload */
void msg_edges_get(const uint8_t *p, uint32_t i, struct msg_edge *e);

/* ---- bundles (MSG_LK_BUNDLE) ---- */
#define MSG_BUNDLE_MAX	32768		/* payload bytes */

struct msg_bundle {
	size_t mb_len;			/* bytes used in mb_buf, header included */
	uint16_t mb_n;			/* records */
	uint8_t mb_buf[RAC_MSG_HDR + MSG_BUNDLE_MAX];
};

void msg_bundle_init(struct msg_bundle *b);
/*
 * Append a record: 0; RAC_ERANGE when it does not fit (send, then init);
 * RAC_EINVAL for a type that is not a msg_lk's, or a record that
 * msg_bundle_next() would refuse (a name longer than LK_NAME_MAX, a flag
 * other than 0 or 1): sending again will not help.
 */
int msg_bundle_add(struct msg_bundle *b, uint16_t type, const struct msg_lk *lk);
/* write the header (type, length set here): returns the message's length */
int msg_bundle_seal(struct msg_bundle *b, struct msg_hdr *h);

struct msg_bundle_iter {
	const uint8_t *bi_p;
	size_t bi_len, bi_off;
	uint16_t bi_left;
};
/* open a bundle's payload: 0, or RAC_EMSG_LEN */
int msg_bundle_open(const uint8_t *p, size_t len, struct msg_bundle_iter *it);
/*
 * The next record: 1 and its type and contents, 0 at the end, or a negative
 * RAC_EMSG_* when the rest of the bundle is bad (records before it stand).
 */
int msg_bundle_next(struct msg_bundle_iter *it, uint16_t *type, struct msg_lk *lk);

/* ---- the GES dump (MSG_GES_DUMP) ---- */
/*
 * One LMS's resources or their locks, for racsql's v$ges_* views, a page
 * at a time, so that every resource and every lock appears however many
 * there are:
 *
 *   racsql: MSG_GES_DUMP_REQUEST (what, pos) -> LMS: msg_ges_dump_begin,
 *           _add_res per resource or _add_lock per lock until one does not
 *           fit, _finish(next) -> MSG_GES_DUMP
 *   racsql: msg_ges_dump_open, _next_res / _next_lock per row; while the
 *           page says more, ask again from its next position
 *
 * Request: u32 what (GES_WANT_RESOURCES or GES_WANT_LOCKS), u32 0, u64 pos
 * (0: from the start; else the `next` of the page before).  A position is
 * LMS's own: the client only hands it back.
 *
 * Payload: u32 nres, u32 nlocks, u8 more (1: rows were left for a later
 * page), u64 next (where that page starts), then nres resource rows, then
 * nlocks lock rows:
 *
 *   resource  u8 namelen, name, u32 granted, u32 converting, u32 waiting,
 *             u8 dubious, LK_LVB_LEN bytes of value block
 *   lock      u8 namelen, name, u64 lkid, u8 owner instance, u32 owner
 *             client, u32 owner pid, i8 granted mode, i8 requested mode,
 *             u8 state, u8 blocked, u8 blocker instance
 */
#define MSG_GES_DUMP_HEAD	(4 + 4 + 1 + 8)
#define MSG_GES_REQ_LEN		(4 + 4 + 8)

enum { GES_WANT_RESOURCES = 1, GES_WANT_LOCKS = 2 };
struct msg_ges_req {
	uint32_t gq_what;		/* GES_WANT_* */
	uint64_t gq_pos;		/* 0, or a page's next */
};
/* the request's payload into p (MSG_GES_REQ_LEN bytes) */
void msg_ges_req_out(const struct msg_ges_req *q, uint8_t p[MSG_GES_REQ_LEN]);
/* 0, or RAC_EMSG_LEN for a payload that is not a request */
int msg_ges_req_in(const uint8_t *p, size_t len, struct msg_ges_req *q);
#define MSG_GES_RES_LEN(namelen)	(1 + (size_t)(namelen) + 3 * 4 + 1 + LK_LVB_LEN)
#define MSG_GES_LOCK_LEN(namelen)	(1 + (size_t)(namelen) + 8 + 1 + 4 + 4 + 5)

struct msg_ges_res {
	uint8_t gr_namelen;		/* 1..LK_NAME_MAX */
	uint8_t gr_name[LK_NAME_MAX];
	uint32_t gr_granted;		/* locks on each queue */
	uint32_t gr_converting;
	uint32_t gr_waiting;
	uint8_t gr_dubious;		/* 1: the value block is dubious */
	uint8_t gr_lvb[LK_LVB_LEN];
};

struct msg_ges_lock {
	uint8_t gl_namelen;		/* its resource: 1..LK_NAME_MAX */
	uint8_t gl_name[LK_NAME_MAX];
	uint64_t gl_lkid;
	uint8_t gl_owner_inst;		/* 1..RAC_MAX_INST */
	uint32_t gl_owner_client;	/* the owner's session on that instance */
	uint32_t gl_owner_pid;		/* 0: not known */
	int8_t gl_grmode;		/* LK_IV while waiting */
	int8_t gl_rqmode;		/* requested (= granted when GRANTED) */
	uint8_t gl_state;		/* LK_STATE_* */
	uint8_t gl_blocked;		/* 1: queued (CONVERTING or WAITING) */
	uint8_t gl_blocker_inst;	/* who it waits for first; 0 none */
};

/* the payload being made, in the caller's buffer */
struct msg_ges_dump {
	uint8_t *gd_buf;
	size_t gd_max;			/* payload bytes at most, head included */
	size_t gd_len;			/* bytes used, head included */
	uint32_t gd_nres, gd_nlocks;
	uint8_t gd_truncated;		/* a row did not fit: more follow */
};

/* Start a payload of at most `max` bytes (>= MSG_GES_DUMP_HEAD) in buf. */
void msg_ges_dump_begin(struct msg_ges_dump *d, uint8_t *buf, size_t max);
/*
 * Append a row: 0; RAC_ERANGE when it does not fit, which marks the dump
 * truncated and refuses every later row, so that the rows sent are always
 * a prefix; RAC_EINVAL for a row the reader would refuse (a name length,
 * flag, mode, state or instance out of its range), or a resource after a
 * lock.
 */
int msg_ges_dump_add_res(struct msg_ges_dump *d, const struct msg_ges_res *r);
int msg_ges_dump_add_lock(struct msg_ges_dump *d, const struct msg_ges_lock *l);
/*
 * Write the counts at the head, and `next`, where the page after this one
 * starts (kept only when a row did not fit): returns the payload's length.
 */
size_t msg_ges_dump_finish(struct msg_ges_dump *d, uint64_t next);

struct msg_ges_iter {
	const uint8_t *gi_p;
	size_t gi_len, gi_off;
	uint32_t gi_nres, gi_nlocks;	/* rows, as the head says */
	uint8_t gi_more;		/* 1: ask again from gi_next */
	uint64_t gi_next;
	uint32_t gi_res_left, gi_locks_left;
};
/* open a payload: 0, or RAC_EMSG_LEN when its head is short or bad */
int msg_ges_dump_open(const uint8_t *p, size_t len, struct msg_ges_iter *it);
/*
 * The next resource: 1 and its row, 0 after the last one, or RAC_EMSG_LEN
 * when the rest is bad (short, or a field out of its range): rows before
 * it stand.
 */
int msg_ges_dump_next_res(struct msg_ges_iter *it, struct msg_ges_res *r);
/*
 * The next lock, after any resources not read yet (checked all the same):
 * 1 and its row; 0 after the last one; RAC_EMSG_TRAILING when bytes follow
 * it; RAC_EMSG_LEN when the rest is bad.
 */
int msg_ges_dump_next_lock(struct msg_ges_iter *it, struct msg_ges_lock *l);

uint64_t rac_msg_cluster_id(const char *cluster_name);
const char *msg_type_str(int type);	/* "HEARTBEAT", or "UNKNOWN" */

/*
 * Encode header + payload into buf; returns the total length, or a negative
 * RAC_E* if it does not fit.  mh_magic, mh_version, mh_length are set here.
 */
int msg_encode_heartbeat(uint8_t *buf, size_t len, struct msg_hdr *h,
			 const struct msg_heartbeat *hb);

/*
 * Check and decode a header: 0, or RAC_EMSG_SHORT / _MAGIC / _VERSION /
 * _TYPE / _LEN / _CLUSTER.  `*payload` points after the header.
 */
int msg_decode_hdr(const uint8_t *buf, size_t len, uint64_t cluster, struct msg_hdr *h,
		   const uint8_t **payload);
/*
 * Any message with a raw payload (MSG_VIEW_REQUEST: none; MSG_VIEW_SNAPSHOT:
 * the SGA bytes).  Returns the total length or a negative RAC_E*.
 */
int msg_encode_raw(uint8_t *buf, size_t len, struct msg_hdr *h, uint16_t type,
		   const void *payload, size_t plen);

/* payload decoders: 0 or RAC_EMSG_LEN / RAC_EMSG_TRAILING */
int msg_decode_heartbeat(const uint8_t *p, size_t len, struct msg_heartbeat *hb);

#endif
