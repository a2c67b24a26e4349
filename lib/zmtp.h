/*
 * zmtp.h - what both ends of racrt's own ZMTP 3.0 speak (RFC 23/ZMTP, NULL
 * mechanism): the client library (client/conn.c, a DEALER) and LMS's client
 * socket (lms/zmtp_srv.c, a ROUTER).
 */
#ifndef RAC_ZMTP_H
#define RAC_ZMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ZMTP_GREETING	64
#define ZMTP_MORE	0x01
#define ZMTP_LONG	0x02
#define ZMTP_COMMAND	0x04
/* room zmtp_hello() needs */
#define ZMTP_HELLO_MAX	(ZMTP_GREETING + 64)

/* one READY property: a name of one length byte, a value of four */
static inline uint8_t *zmtp_prop(uint8_t *p, const char *name, const void *val, size_t vlen)
{
	size_t nl = strlen(name);

	*p++ = (uint8_t)nl;
	memcpy(p, name, nl);
	p += nl;
	*p++ = (uint8_t)(vlen >> 24), *p++ = (uint8_t)(vlen >> 16);
	*p++ = (uint8_t)(vlen >> 8), *p++ = (uint8_t)vlen;
	if (vlen)
		memcpy(p, val, vlen);
	return p + vlen;
}

/*
 * Our greeting (signature, version 3.0, NULL, zero filler) and READY with
 * Socket-Type `type` -- and an empty Identity when `empty_identity` (a
 * DEALER that lets the ROUTER name it) -- in one piece: NULL waits for
 * nothing in between.  Returns the length (at most ZMTP_HELLO_MAX).
 */
static inline size_t zmtp_hello(uint8_t *b, const char *type, bool empty_identity)
{
	uint8_t *p = b;

	memset(p, 0, ZMTP_GREETING);
	p[0] = 0xff;		/* signature: 0xff, eight bytes of padding, 0x7f */
	p[9] = 0x7f;
	p[10] = 3;		/* version 3.0 */
	memcpy(p + 12, "NULL", 4);	/* mechanism, zero-padded to 20 bytes */
	p += ZMTP_GREETING;
	*p++ = ZMTP_COMMAND;
	*p++ = 0;		/* the size, below */
	*p++ = 5;
	memcpy(p, "READY", 5);
	p += 5;
	p = zmtp_prop(p, "Socket-Type", type, strlen(type));
	if (empty_identity)
		p = zmtp_prop(p, "Identity", NULL, 0);
	b[ZMTP_GREETING + 1] = (uint8_t)(p - b - ZMTP_GREETING - 2);
	return (size_t)(p - b);
}

#endif
