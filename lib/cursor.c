/*
 * cursor.c - the little-endian cursor every codec of racrt uses: disk
 * blocks (disk_block.c) and interconnect messages (msg.c) alike.  It is the
 * only code that knows the byte order of the disk and the wire.
 *
 * Integers are read and written byte by byte, so the code is the same on
 * any host and never makes an unaligned access.  A cursor that overruns its
 * buffer is marked failed and stays failed: a codec issues all its calls
 * and checks once, with cur_end().
 */
#include <string.h>
#include "cursor.h"
#include "errors.h"

void cur_init_write(struct blk_cursor *c, uint8_t *buf, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->c_buf = buf;
	c->c_len = len;
}

void cur_init_read(struct blk_cursor *c, const uint8_t *buf, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->c_rbuf = buf;
	c->c_len = len;
}

/*
 * Reserve n bytes at the cursor: returns their offset, or marks the cursor
 * failed.  Once failed, a cursor stays failed, so a codec can issue all its
 * calls and check once at the end.  c_pos <= c_len always holds, so the
 * subtraction cannot wrap.
 */
static int cur_take(struct blk_cursor *c, size_t n, size_t *off)
{
	if (c->c_err || n > c->c_len - c->c_pos) {
		c->c_err = 1;
		return 0;
	}
	*off = c->c_pos;
	c->c_pos += n;
	return 1;
}

/* little-endian: byte i holds bits 8i..8i+7 */
static void put_le(struct blk_cursor *c, uint64_t v, size_t n)
{
	size_t off;

	if (!c->c_buf) {
		c->c_err = 1;
		return;
	}
	if (!cur_take(c, n, &off))
		return;
	for (size_t i = 0; i < n; i++)
		c->c_buf[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(struct blk_cursor *c, size_t n)
{
	uint64_t v = 0;
	size_t off;

	if (!c->c_rbuf) {
		c->c_err = 1;
		return 0;
	}
	if (!cur_take(c, n, &off))
		return 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)c->c_rbuf[off + i] << (8 * i);
	return v;
}

void put_u8(struct blk_cursor *c, uint8_t v) { put_le(c, v, 1); }
void put_u16(struct blk_cursor *c, uint16_t v) { put_le(c, v, 2); }
void put_u32(struct blk_cursor *c, uint32_t v) { put_le(c, v, 4); }
void put_u64(struct blk_cursor *c, uint64_t v) { put_le(c, v, 8); }
uint8_t get_u8(struct blk_cursor *c) { return (uint8_t)get_le(c, 1); }
uint16_t get_u16(struct blk_cursor *c) { return (uint16_t)get_le(c, 2); }
uint32_t get_u32(struct blk_cursor *c) { return (uint32_t)get_le(c, 4); }
uint64_t get_u64(struct blk_cursor *c) { return get_le(c, 8); }

void put_bytes(struct blk_cursor *c, const void *p, size_t n)
{
	size_t off;

	if (!c->c_buf) {
		c->c_err = 1;
		return;
	}
	if (cur_take(c, n, &off) && n)
		memcpy(c->c_buf + off, p, n);
}

/* On overrun `p` is zeroed, so a caller never sees uninitialised bytes. */
void get_bytes(struct blk_cursor *c, void *p, size_t n)
{
	size_t off;

	if (c->c_rbuf && cur_take(c, n, &off)) {
		if (n)
			memcpy(p, c->c_rbuf + off, n);
		return;
	}
	c->c_err = 1;
	if (n)
		memset(p, 0, n);
}

/*
 * Reading: every get fitted and all `len` bytes were consumed (trailing
 * bytes mean the record is not what we think it is).  Writing: every put
 * fitted; a payload need not fill its buffer.
 */
int cur_end(const struct blk_cursor *c)
{
	if (c->c_err)
		return RAC_EBLK_LEN;
	if (c->c_rbuf && c->c_pos != c->c_len)
		return RAC_EBLK_LEN;
	return 0;
}
