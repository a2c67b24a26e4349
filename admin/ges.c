/*
 * ges.c - the lock manager's table for v$ges_resource and v$ges_enqueue.
 *
 *   racsql: ges_fetch -> DEALER --MSG_GES_DUMP_REQUEST (what, pos)--> LMS
 *   LMS:    send_dump --MSG_GES_DUMP (a page of rows, more?, next)--> racsql
 *
 * A page at a time: the caller asks again from the page's next position
 * while the page says more (views_fill.c).
 *
 * Each instance's LMS is asked on its client socket, ipc://<local_dir>/
 * lms.sock: a pathname socket, reachable from this host whatever network
 * namespace the instance runs in.  One bounded wait; an instance that does
 * not answer has no rows.  The answer is checked like any bytes from
 * outside before it is parsed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "errors.h"
#include "msg.h"
#include "views.h"

#define GES_TIMEOUT_MS 500

static void *ges_ctx;

int ges_fetch(const struct rac_config *cfg, int inst, uint32_t what, uint64_t pos,
	      uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
	const struct rac_inst_cfg *ic = config_inst(cfg, inst);
	struct msg_hdr h = { .mh_sender = 0, .mh_cluster = rac_msg_cluster_id(cfg->cf_name) };
	struct msg_ges_req q = { .gq_what = what, .gq_pos = pos };
	uint8_t req[RAC_MSG_HDR + MSG_GES_REQ_LEN], body[MSG_GES_REQ_LEN];
	char ep[RAC_PATH_MAX + 32];
	int zero = 0, n, rc = RAC_ETIMEDOUT;
	int64_t maxmsg = RAC_MSG_HDR + 65536;
	zmq_pollitem_t item;
	void *s;

	*out = NULL;
	*outlen = 0;
	if (!ic)
		return RAC_EINVAL;
	if (!ges_ctx && !(ges_ctx = zmq_ctx_new())) {
		snprintf(err, errlen, "cannot make a ZeroMQ context: %s", zmq_strerror(errno));
		return RAC_ESYS;
	}
	if (proc_lms_client_ep(ic->ic_local_dir, ep, sizeof(ep), NULL, 0))
		return RAC_ETOOLONG;
	s = zmq_socket(ges_ctx, ZMQ_DEALER);
	if (!s)
		return RAC_ESYS;
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg));
	msg_ges_req_out(&q, body);
	n = msg_encode_raw(req, sizeof(req), &h, MSG_GES_DUMP_REQUEST, body, sizeof(body));
	if (zmq_connect(s, ep) || n < 0 || zmq_send(s, req, (size_t)n, ZMQ_DONTWAIT) < 0) {
		snprintf(err, errlen, "cannot ask the lock manager of instance %d: %s", inst,
			 zmq_strerror(errno));
		zmq_close(s);
		return RAC_EIO;
	}
	item = (zmq_pollitem_t){ .socket = s, .events = ZMQ_POLLIN };
	if (zmq_poll(&item, 1, GES_TIMEOUT_MS) > 0) {
		zmq_msg_t m;
		const uint8_t *p;
		struct msg_hdr rh;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, ZMQ_DONTWAIT) >= 0) {
			rc = msg_decode_hdr(zmq_msg_data(&m), zmq_msg_size(&m), h.mh_cluster, &rh, &p);
			if (rc == 0 && (rh.mh_type != MSG_GES_DUMP || rh.mh_sender != (uint32_t)inst))
				rc = RAC_EMSG_TYPE;
			if (rc == 0 && (*out = malloc(rh.mh_length ? rh.mh_length : 1))) {
				memcpy(*out, p, rh.mh_length);
				*outlen = rh.mh_length;
			} else if (rc == 0) {
				rc = RAC_ENOMEM;
			}
		}
		zmq_msg_close(&m);
	}
	if (rc == RAC_ETIMEDOUT)
		snprintf(err, errlen, "the lock manager of instance %d did not answer within %d ms",
			 inst, GES_TIMEOUT_MS);
	else if (rc)
		snprintf(err, errlen, "bad answer from the lock manager of instance %d: %s", inst,
			 rac_strerror(rc));
	zmq_close(s);
	return rc;
}

void ges_done(void)
{
	if (ges_ctx)
		zmq_ctx_term(ges_ctx);
	ges_ctx = NULL;
}
