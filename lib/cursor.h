/*
 * cursor.h - the little-endian cursor over a disk block's payload or a
 * message (cursor.c).  Any overrun marks the cursor failed (c_err).
 */
#ifndef RAC_CURSOR_H
#define RAC_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct blk_cursor {
	uint8_t *c_buf;		/* writing */
	const uint8_t *c_rbuf;	/* reading */
	size_t c_len;
	size_t c_pos;
	int c_err;
};
void cur_init_write(struct blk_cursor *c, uint8_t *buf, size_t len);
void cur_init_read(struct blk_cursor *c, const uint8_t *buf, size_t len);
void put_u8(struct blk_cursor *c, uint8_t v);
void put_u16(struct blk_cursor *c, uint16_t v);
void put_u32(struct blk_cursor *c, uint32_t v);
void put_u64(struct blk_cursor *c, uint64_t v);
void put_bytes(struct blk_cursor *c, const void *p, size_t n);
uint8_t get_u8(struct blk_cursor *c);
uint16_t get_u16(struct blk_cursor *c);
uint32_t get_u32(struct blk_cursor *c);
uint64_t get_u64(struct blk_cursor *c);
void get_bytes(struct blk_cursor *c, void *p, size_t n);
/* reading: 0 if every read fitted and the cursor is at `len`, else RAC_EBLK_LEN;
 * writing: 0 if every put fitted */
int cur_end(const struct blk_cursor *c);

#endif
