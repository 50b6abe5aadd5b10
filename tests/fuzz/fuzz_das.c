/*
 * Fuzz target: the Dynamic Authorization server's datagram path (daemons/dot1xd/das.c,
 * das_input), what dot1xd runs on every datagram to UDP 3799: client lookup, decode, code,
 * authenticators, Message-Authenticator and Event-Timestamp policies, duplicate cache,
 * callback, ACK/NAK encoding.
 *
 * Input: one mode octet, then the datagram. Forged authenticators never verify, so with bit 0
 * the target signs a copy as its client would (M-A over zeros if present, then the Request
 * Authenticator, RFC 5176 §3.1). Bit 1 picks the strict server (M-A and Event-Timestamp
 * required, 300 s window) instead of the lenient one (nothing required, any timestamp).
 * Checks:
 *   - an answer decodes, answers this Identifier with the right code family, and carries a
 *     valid Message-Authenticator and Response Authenticator for the request;
 *   - an unsigned datagram is never answered unless signing would not have changed it;
 *   - the same datagram again gets byte-identical bytes and never reaches the callback twice;
 *   - the strict server never answers what lacks M-A or Event-Timestamp.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/dot1xd/das.h"
#include "lib/ev.h"
#include "lib/log.h"

#define FUZZ_SECRET "fuzz-das"
#define FUZZ_SLEN   (sizeof(FUZZ_SECRET) - 1)

static struct event_base *base;
static struct das *lenient, *strict;
static int calls;

static uint32_t handler(const struct radius_das_req *req, size_t client, void *arg)
{
	calls++;
	/* Exercise both answers: NAK when the user name starts with 'n'. */
	return req->has_user_name && req->user_name.len && req->user_name.val[0] == 'n'
	               ? DAS_ERROR_SESSION_NOT_FOUND
	               : 0;
}

static struct das *make(bool strict_cfg)
{
	struct das_cfg c = {0};

	snprintf(c.listen, sizeof(c.listen), "127.0.0.1");
	c.ephemeral_port = true;
	snprintf(c.clients[0].addr, sizeof(c.clients[0].addr), "127.0.0.1");
	snprintf(c.clients[0].secret, sizeof(c.clients[0].secret), FUZZ_SECRET);
	c.n_clients = 1;
	if (strict_cfg) {
		c.require_ma = true;
		c.require_event_timestamp = true;
	} else {
		c.time_window_s = UINT32_MAX;
	}
	struct das *d = das_new(base, &c, handler, NULL);

	if (!d)
		abort();
	return d;
}

static bool has_timestamp(const struct radius_pkt *p)
{
	struct radius_attr_iter it;
	const uint8_t *v;
	uint8_t type, len;

	radius_attr_iter_init(&it, p);
	while (radius_attr_next(&it, &type, &v, &len))
		if (type == RADIUS_ATTR_EVENT_TIMESTAMP && len == 4)
			return true;
	return false;
}

static void check_answer(const uint8_t *req, size_t req_len, const uint8_t *out, size_t n)
{
	struct radius_pkt p, q;

	if (radius_decode(out, n, &p) != RADIUS_OK || radius_decode(req, req_len, &q) != RADIUS_OK)
		abort();
	if (p.id != q.id || !p.ma_off)
		abort();
	if (q.code == RADIUS_CODE_COA_REQUEST && p.code != RADIUS_CODE_COA_ACK &&
	    p.code != RADIUS_CODE_COA_NAK)
		abort();
	if (q.code == RADIUS_CODE_DISCONNECT_REQUEST && p.code != RADIUS_CODE_DISCONNECT_ACK &&
	    p.code != RADIUS_CODE_DISCONNECT_NAK)
		abort();
	if (radius_verify_ma(&p, q.auth, FUZZ_SECRET, FUZZ_SLEN) != RADIUS_OK ||
	    radius_verify_response_auth(&p, q.auth, FUZZ_SECRET, FUZZ_SLEN) != RADIUS_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[RADIUS_MAX_LEN + 1], signed_msg[RADIUS_MAX_LEN + 1];
	uint8_t out[DAS_REPLY_MAX], out2[DAS_REPLY_MAX];
	struct sockaddr_in from = {.sin_family = AF_INET,
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct radius_pkt p;

	if (!base) {
		log_init("fuzz_das", true, false);
		base = ev_base_new();
		lenient = make(false);
		strict = make(true);
	}
	if (size < 1 || size - 1 > sizeof(msg))
		return 0;
	uint8_t mode = data[0];
	size_t len = size - 1;
	bool resigned_same = true;

	memcpy(msg, data + 1, len);
	memcpy(signed_msg, data + 1, len);
	if (radius_decode(signed_msg, len, &p) == RADIUS_OK &&
	    (p.code == RADIUS_CODE_COA_REQUEST || p.code == RADIUS_CODE_DISCONNECT_REQUEST)) {
		/* As a DAC signs CoA/Disconnect-Requests. */
		struct radius_msg m = {
		        .buf = signed_msg, .cap = p.length, .len = p.length, .ma_off = p.ma_off};
		size_t l2;

		if (radius_msg_finish(&m, FUZZ_SECRET, FUZZ_SLEN, NULL, &l2) != RADIUS_OK)
			abort();
		resigned_same = memcmp(signed_msg, msg, p.length) == 0;
	}
	if (mode & 1)
		memcpy(msg, signed_msg, len);
	struct das *d = (mode & 2) ? strict : lenient;
	int before_calls = calls;
	size_t n = das_input(d, msg, len, (struct sockaddr *)&from, out, sizeof(out));

	if (n) {
		check_answer(msg, len, out, n);
		if (!(mode & 1) && !resigned_same)
			abort();
		if (d == strict && radius_decode(msg, len, &p) == RADIUS_OK &&
		    (!p.ma_off || !has_timestamp(&p)))
			abort();
	}
	int after_first = calls;
	size_t n2 = das_input(d, msg, len, (struct sockaddr *)&from, out2, sizeof(out2));

	/* A copy is answered from the cache (or dropped again), never acted on twice. */
	if (calls != after_first || after_first - before_calls > 1)
		abort();
	if (n2 != n || (n && memcmp(out, out2, n) != 0))
		abort();
	return 0;
}
