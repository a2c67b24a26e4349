/*
 * errors.h - racrt error codes.
 *
 * Every function that can fail returns 0 or a negative RAC_E* code.  The
 * codes are banded by subsystem so that a number in a trace file says where
 * it came from.  rac_strerror() gives the text for any of them.
 */
#ifndef RAC_ERRORS_H
#define RAC_ERRORS_H

enum rac_error {
	RAC_OK = 0,

	/* general: -1 .. -99 */
	RAC_EINVAL = -1,	/* bad argument */
	RAC_ENOMEM = -2,	/* out of memory */
	RAC_EIO = -3,		/* I/O error (see errno in the message) */
	RAC_ETIMEDOUT = -4,	/* a bounded wait ran out */
	RAC_EEXIST = -5,	/* already exists / already running */
	RAC_ENOENT = -6,	/* not found / not running */
	RAC_ERANGE = -7,	/* value out of range */
	RAC_EBUSY = -8,		/* resource busy */
	RAC_ESYS = -9,		/* a system call failed (see errno) */
	RAC_ETOOLONG = -10,	/* name or path too long */

	/* configuration: -100 .. -199 */
	RAC_ECONFIG = -100,	/* invalid configuration (message says why) */

	/* shared disk blocks: -200 .. -299 */
	RAC_EBLK_ZERO = -200,	/* block never written (all zero) */
	RAC_EBLK_MAGIC = -201,	/* bad magic */
	RAC_EBLK_CRC = -202,	/* checksum mismatch: torn or corrupt */
	RAC_EBLK_VERSION = -203,	/* unknown format version */
	RAC_EBLK_TYPE = -204,	/* block of another type than expected */
	RAC_EBLK_LEN = -205,	/* payload length out of bounds */
	RAC_EBLK_SHORT = -206,	/* short read: file too small */
	RAC_EDISK_FORMATTED = -207,	/* disk already formatted */
	RAC_EDISK_UNFORMATTED = -208,	/* disk not formatted */
	RAC_EDISK_FOREIGN = -209,	/* disk formatted for another cluster */
	RAC_EDISK_KIND = -210,	/* neither a regular file nor a block device */
	RAC_EDISK_FS = -211,	/* holds a file system or partition table */
	RAC_EDISK_LIVE = -212,	/* an instance is alive on it */
	RAC_EDISK_BUSY = -213,	/* another racctl init is formatting it */

	/* SGA: -300 .. -399 */
	RAC_ESGA_VERSION = -300,	/* segment of another layout version */
	RAC_ESGA_RUNNING = -301,	/* the instance owning it is alive */
	RAC_ESGA_CORRUPT = -302,	/* segment header does not make sense */

	/* messages: -400 .. -499 (interconnect) */
	RAC_EMSG_SHORT = -400,
	RAC_EMSG_MAGIC = -401,
	RAC_EMSG_VERSION = -402,
	RAC_EMSG_TYPE = -403,
	RAC_EMSG_LEN = -404,
	RAC_EMSG_CLUSTER = -405,
	RAC_EMSG_TRAILING = -406,
	RAC_EMSG_SENDER = -407,

	/* -500 .. -599: the lock manager (lms/grd.h, GRD_E*) */
	/* -600 .. -699: the client library (include/racrt.h, RACRT_E*) */
};

const char *rac_strerror(int err);

#endif
