/*
 * crc32c.c - CRC-32C (Castagnoli), the checksum of every shared-disk block.
 *
 * Reflected polynomial 0x82F63B78, register preset to all ones and inverted
 * at the end, as iSCSI, ext4 and btrfs use it.  Because the inversion is
 * applied on the way in and the way out, a running value can be passed
 * back in: crc32c(crc32c(0, a), b) == crc32c(0, a || b).  blk_encode()
 * relies on that to checksum a block around its own CRC field without
 * copying it.
 *
 * Slicing-by-8 tables, built once on first use.  Blocks are 512 bytes and
 * written a few times a second, so a hardware (SSE4.2) path would add a
 * second implementation to test for no measurable gain.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "disk.h"

#define CRC32C_POLY 0x82F63B78u

/*
 * crc_tab[0] is the classic byte-at-a-time table; crc_tab[k][b] is the CRC
 * of byte b followed by k zero bytes, which lets one step fold in 8 bytes
 * with 8 independent look-ups.
 */
static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init_tables(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t r = b;

		for (int i = 0; i < 8; i++)
			r = (r & 1) ? (r >> 1) ^ CRC32C_POLY : r >> 1;
		crc_tab[0][b] = r;
	}
	for (uint32_t b = 0; b < 256; b++)
		for (int k = 1; k < 8; k++)
			crc_tab[k][b] = (crc_tab[k - 1][b] >> 8) ^
				crc_tab[0][crc_tab[k - 1][b] & 0xff];
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	pthread_once(&crc_once, crc_init_tables);
	crc = ~crc;

	/*
	 * Assemble the words byte by byte: the CRC is defined on the byte
	 * stream, so this stays correct whatever the host byte order and
	 * whatever the alignment of `buf`.
	 */
	while (len >= 8) {
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
				     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
			(uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;

		crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
			crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
			crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
			crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];

	return ~crc;
}
