/*
 * errors.c - text for every RAC_E* code.
 */
#include "errors.h"

#define CASE(code, text) case code: return text

const char *rac_strerror(int err)
{
	switch (err) {
	CASE(RAC_OK, "success");
	CASE(RAC_EINVAL, "invalid argument");
	CASE(RAC_ENOMEM, "out of memory");
	CASE(RAC_EIO, "I/O error");
	CASE(RAC_ETIMEDOUT, "timed out");
	CASE(RAC_EEXIST, "already exists");
	CASE(RAC_ENOENT, "not found");
	CASE(RAC_ERANGE, "value out of range");
	CASE(RAC_EBUSY, "busy");
	CASE(RAC_ESYS, "system call failed");
	CASE(RAC_ETOOLONG, "name or path too long");
	CASE(RAC_ECONFIG, "invalid configuration");
	CASE(RAC_EBLK_ZERO, "block never written");
	CASE(RAC_EBLK_MAGIC, "bad block magic");
	CASE(RAC_EBLK_CRC, "checksum mismatch");
	CASE(RAC_EBLK_VERSION, "unknown block format version");
	CASE(RAC_EBLK_TYPE, "unexpected block type");
	CASE(RAC_EBLK_LEN, "bad payload length");
	CASE(RAC_EBLK_SHORT, "file too short");
	CASE(RAC_EDISK_FORMATTED, "disk already formatted");
	CASE(RAC_EDISK_UNFORMATTED, "disk not formatted");
	CASE(RAC_EDISK_FOREIGN, "disk formatted for another cluster");
	CASE(RAC_EDISK_KIND, "neither a regular file nor a block device");
	CASE(RAC_EDISK_FS, "holds a file system");
	CASE(RAC_EDISK_LIVE, "an instance is alive on it");
	CASE(RAC_EDISK_BUSY, "another init is formatting it");
	CASE(RAC_ESGA_VERSION, "SGA of another layout version");
	CASE(RAC_ESGA_RUNNING, "instance already running");
	CASE(RAC_ESGA_CORRUPT, "SGA header corrupt");
	CASE(RAC_EMSG_SHORT, "message too short");
	CASE(RAC_EMSG_MAGIC, "bad message magic");
	CASE(RAC_EMSG_VERSION, "unknown protocol version");
	CASE(RAC_EMSG_TYPE, "unknown message type");
	CASE(RAC_EMSG_LEN, "bad message length");
	CASE(RAC_EMSG_CLUSTER, "message from another cluster");
	CASE(RAC_EMSG_TRAILING, "trailing bytes in message");
	CASE(RAC_EMSG_SENDER, "sender is not a configured instance");
	}
	return "unknown error";
}
