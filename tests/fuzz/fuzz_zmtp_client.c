/*
 * fuzz_zmtp_client.c - the client's ZMTP framer (client/conn.c, the DEALER
 * side): LMS's greeting, its READY, then frames, each message decoded as
 * the client does (msg_decode_hdr, msg_decode_lk, bundles).
 *
 * conn.c's parser (rx_parse) is static and works on the handle's receive
 * buffer, so this harness includes conn.c and drives rx_parse as
 * rx_drain does, with no socket: the input arrives in pieces, each
 * appended to r_rx and parsed.
 *
 * Input: one byte for the piece size (1 + byte; 0: all at once), then the
 * bytes LMS would send.
 * Properties: no crash, leak or undefined behaviour; the receive buffer
 * never grows past its bound; every message handed to the handle is a
 * reply or an event whose fields the codec accepts (a bundle's records
 * one by one).
 */
#include "conn.c"

#include "fuzz.h"

static int taken;

static void on_message(void *arg, int type, const struct msg_lk *lk)
{
	(void)arg;
	FUZZ_CHECK(type == MSG_LK_REPLY || type == MSG_LK_EVENT);
	FUZZ_CHECK(lk->lk_namelen <= LK_NAME_MAX && lk->lk_has_lvb <= 1 && lk->lk_dubious <= 1);
	taken++;
}

static void on_lost(void *arg)
{
	(void)arg;
	FUZZ_CHECK(0);	/* never: there is no socket to lose */
}

static const struct conn_ops fuzz_ops = { on_message, on_lost };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct racrt r;
	size_t piece, off = 0;
	int n;

	if (size < 1)
		return 0;
	piece = data[0] ? (size_t)data[0] + 1 : CL_RX_CAP;
	data++, size--;
	if (!r.r_rx) {
		r.r_rx = malloc(CL_RX_CAP);
		FUZZ_CHECK(r.r_rx);
		r.r_cluster = rac_msg_cluster_id(FUZZ_CLUSTER);
	}
	r.r_ops = &fuzz_ops;
	r.r_sock = -1;
	r.r_epfd = -1;
	r.r_hs = HS_GREETING;
	r.r_rxlen = 0;
	r.r_rx_skip = false;
	r.r_broken = false;
	taken = 0;
	while (off < size) {
		size_t room = CL_RX_CAP - r.r_rxlen, k = size - off;

		if (k > piece)
			k = piece;
		if (k > room)
			k = room;
		FUZZ_CHECK(k > 0);	/* rx_parse always leaves room for a frame */
		memcpy(r.r_rx + r.r_rxlen, data + off, k);
		r.r_rxlen += k;
		off += k;
		n = rx_parse(&r);
		if (n < 0)
			break;	/* not ZMTP: the connection is dropped */
		FUZZ_CHECK(r.r_rxlen <= CL_RX_CAP);
	}
	return 0;
}
