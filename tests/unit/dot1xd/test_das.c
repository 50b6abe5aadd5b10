/*
 * RFC 5176 Dynamic Authorization server (daemons/dot1xd/das.c) on 127.0.0.1: a CoA moves a
 * session (callback, signed ACK), a Disconnect for an unknown session is NAKed with
 * Error-Cause 503; forged requests (bad Request Authenticator, bad Message-Authenticator,
 * unknown client, wrong code) are dropped silently and counted; a replayed request gets the
 * cached answer without a second action; a stale Event-Timestamp is dropped; the
 * Message-Authenticator and Event-Timestamp requirements; unsupported and duplicate
 * attributes are NAKed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemons/dot1xd/das.h"
#include "lib/ev.h"

#define SECRET "coa-secret"

static struct event_base *base;
static struct das *das;
static int dac; /* the Dynamic Authorization Client's socket */

static int calls;
static struct radius_das_req last;
static uint32_t answer; /* what the callback returns */

static uint32_t das_handler(const struct radius_das_req *req, size_t client, void *arg)
{
	calls++;
	last = *req;
	return answer;
}

static void base_cfg(struct das_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1");
	c->ephemeral_port = true;
	snprintf(c->clients[0].addr, sizeof(c->clients[0].addr), "127.0.0.1");
	snprintf(c->clients[0].secret, sizeof(c->clients[0].secret), SECRET);
	c->n_clients = 1;
}

static int setup(void **state)
{
	struct das_cfg c;

	base = ev_base_new();
	base_cfg(&c);
	das = das_new(base, &c, das_handler, NULL);
	if (!das)
		return -1;
	dac = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	calls = 0;
	answer = 0;
	return dac >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
	close(dac);
	das_free(das);
	event_base_free(base);
	return 0;
}

enum {
	OPT_NO_MA = 1,
	OPT_NO_TS = 2,
	OPT_STALE = 4,
	OPT_UNSUPPORTED = 8,
	OPT_DUP = 16,
	OPT_VLAN = 32,
};

static size_t build(uint8_t code, uint8_t id, int opts, uint8_t *out)
{
	struct radius_msg m;
	size_t len;
	static const uint8_t tt[] = {0, 0, 0, RADIUS_TUNNEL_TYPE_VLAN};
	static const uint8_t tm[] = {0, 0, 0, RADIUS_TUNNEL_MEDIUM_802};

	radius_msg_begin(&m, out, RADIUS_MAX_LEN, code, id, NULL, !(opts & OPT_NO_MA));
	radius_msg_attr_str(&m, RADIUS_ATTR_CALLING_STATION_ID, "02-00-00-00-00-01");
	radius_msg_attr_str(&m, RADIUS_ATTR_NAS_PORT_ID, "ge-0/0/1");
	radius_msg_attr_str(&m, RADIUS_ATTR_USER_NAME, "bob");
	if (!(opts & OPT_NO_TS))
		radius_msg_attr_u32(&m, RADIUS_ATTR_EVENT_TIMESTAMP,
		                    (uint32_t)time(NULL) - (opts & OPT_STALE ? 1000 : 0));
	if (opts & OPT_VLAN) {
		radius_msg_attr(&m, RADIUS_ATTR_TUNNEL_TYPE, tt, 4);
		radius_msg_attr(&m, RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, tm, 4);
		radius_msg_attr_str(&m, RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID, "200");
	}
	if (opts & OPT_UNSUPPORTED)
		radius_msg_attr(&m, RADIUS_ATTR_FRAMED_IP_ADDRESS, "\x0a\x00\x00\x01", 4);
	if (opts & OPT_DUP)
		radius_msg_attr_str(&m, RADIUS_ATTR_USER_NAME, "eve");
	assert_int_equal(radius_msg_finish(&m, SECRET, strlen(SECRET), NULL, &len), RADIUS_OK);
	return len;
}

/* Sends, runs the loop, returns the answer's length (0: none within 200 ms). */
static size_t exchange(const uint8_t *req, size_t len, uint8_t *resp)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                         .sin_port = htons(das_port(das))};
	uint64_t end = mono_ms() + 200;

	assert_int_equal(sendto(dac, req, len, 0, (struct sockaddr *)&to, sizeof(to)),
	                 (ssize_t)len);
	while (mono_ms() < end) {
		struct timeval tv = {0, 5000};

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
		ssize_t n = recv(dac, resp, RADIUS_MAX_LEN, 0);

		if (n > 0)
			return (size_t)n;
	}
	return 0;
}

/* A signed answer to req: returns its code and Error-Cause. */
static uint8_t check_answer(const uint8_t *req, const uint8_t *resp, size_t n, uint32_t *cause)
{
	struct radius_pkt p;
	struct radius_attr_iter it;
	const uint8_t *v;
	uint8_t t, l;

	assert_int_equal(radius_decode(resp, n, &p), RADIUS_OK);
	assert_int_equal(p.id, req[1]);
	assert_int_equal(radius_verify_response_auth(&p, req + 4, SECRET, strlen(SECRET)),
	                 RADIUS_OK);
	assert_true(p.ma_off != 0);
	assert_int_equal(radius_verify_ma(&p, req + 4, SECRET, strlen(SECRET)), RADIUS_OK);
	*cause = 0;
	radius_attr_iter_init(&it, &p);
	while (radius_attr_next(&it, &t, &v, &l))
		if (t == RADIUS_ATTR_ERROR_CAUSE && l == 4)
			*cause = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 |
			         v[3];
	return p.code;
}

static void test_coa_ack(void **state)
{
	uint8_t req[RADIUS_MAX_LEN], resp[RADIUS_MAX_LEN];
	size_t len = build(RADIUS_CODE_COA_REQUEST, 7, OPT_VLAN, req);
	size_t n = exchange(req, len, resp);
	uint32_t cause;

	assert_true(n > 0);
	assert_int_equal(check_answer(req, resp, n, &cause), RADIUS_CODE_COA_ACK);
	assert_int_equal(cause, 0);
	assert_int_equal(calls, 1);
	assert_int_equal(last.code, RADIUS_CODE_COA_REQUEST);
	assert_true(last.has_calling);
	assert_memory_equal(last.calling_mac, "\x02\x00\x00\x00\x00\x01", 6);
	assert_true(last.has_nas_port_id);
	assert_memory_equal(last.nas_port_id.val, "ge-0/0/1", 8);
	assert_true(last.vlan.present);
	assert_int_equal(last.vlan.vid, 200);

	struct das_stats st;

	das_stats(das, &st);
	assert_int_equal(st.coa_requests, 1);
	assert_int_equal(st.coa_acks, 1);
}

static void test_disconnect_nak(void **state)
{
	uint8_t req[RADIUS_MAX_LEN], resp[RADIUS_MAX_LEN];
	size_t len = build(RADIUS_CODE_DISCONNECT_REQUEST, 8, 0, req);
	uint32_t cause;

	answer = DAS_ERROR_SESSION_NOT_FOUND;
	size_t n = exchange(req, len, resp);

	assert_true(n > 0);
	assert_int_equal(check_answer(req, resp, n, &cause), RADIUS_CODE_DISCONNECT_NAK);
	assert_int_equal(cause, 503);
	struct das_stats st;

	das_stats(das, &st);
	assert_int_equal(st.disconnect_naks, 1);
}

static void test_forged_dropped(void **state)
{
	uint8_t req[RADIUS_MAX_LEN], resp[RADIUS_MAX_LEN];
	size_t len;
	struct das_stats st;

	/* Request Authenticator wrong. */
	len = build(RADIUS_CODE_COA_REQUEST, 9, 0, req);
	req[10] ^= 1;
	assert_int_equal(exchange(req, len, resp), 0);
	/* Message-Authenticator wrong, Request Authenticator right for the bytes sent. */
	len = build(RADIUS_CODE_COA_REQUEST, 10, 0, req);
	req[RADIUS_HDR_LEN + 2] ^= 1;
	{
		/* Re-sign the authenticator over the damaged packet (RFC 5176 §3.1). */
		struct radius_msg m = {.buf = req, .cap = RADIUS_MAX_LEN, .len = len, .ma_off = 0};
		size_t l2;

		assert_int_equal(radius_msg_finish(&m, SECRET, strlen(SECRET), NULL, &l2),
		                 RADIUS_OK);
		assert_int_equal(l2, len);
	}
	assert_int_equal(exchange(req, len, resp), 0);
	/* Not a DAS code. */
	len = build(RADIUS_CODE_ACCOUNTING_REQUEST, 11, 0, req);
	assert_int_equal(exchange(req, len, resp), 0);
	/* Truncated. */
	len = build(RADIUS_CODE_COA_REQUEST, 12, 0, req);
	assert_int_equal(exchange(req, 19, resp), 0);
	assert_int_equal(calls, 0);
	das_stats(das, &st);
	assert_int_equal(st.drops[DAS_DROP_BAD_AUTH], 1);
	assert_int_equal(st.drops[DAS_DROP_BAD_MA], 1);
	assert_int_equal(st.drops[DAS_DROP_CODE], 1);
	assert_int_equal(st.drops[DAS_DROP_MALFORMED], 1);

	/* Only configured clients are heard. */
	struct das_cfg c;

	base_cfg(&c);
	snprintf(c.clients[0].addr, sizeof(c.clients[0].addr), "127.0.0.2");
	assert_int_equal(das_configure(das, &c), 0);
	len = build(RADIUS_CODE_COA_REQUEST, 13, 0, req);
	assert_int_equal(exchange(req, len, resp), 0);
	das_stats(das, &st);
	assert_int_equal(st.drops[DAS_DROP_UNKNOWN_CLIENT], 1);
	assert_int_equal(calls, 0);
}

static void test_replay(void **state)
{
	uint8_t req[RADIUS_MAX_LEN], resp[RADIUS_MAX_LEN], resp2[RADIUS_MAX_LEN];
	size_t len = build(RADIUS_CODE_DISCONNECT_REQUEST, 20, 0, req);
	size_t n = exchange(req, len, resp);
	struct das_stats st;

	assert_true(n > 0);
	assert_int_equal(calls, 1);
	/* The same datagram again: the cached answer, the session is not hit twice. */
	size_t n2 = exchange(req, len, resp2);

	assert_int_equal(n2, n);
	assert_memory_equal(resp, resp2, n);
	assert_int_equal(calls, 1);
	das_stats(das, &st);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.disconnect_requests, 1);

	/* An old request (Event-Timestamp outside the window): dropped. */
	len = build(RADIUS_CODE_DISCONNECT_REQUEST, 21, OPT_STALE, req);
	assert_int_equal(exchange(req, len, resp), 0);
	assert_int_equal(calls, 1);
	das_stats(das, &st);
	assert_int_equal(st.drops[DAS_DROP_STALE], 1);

	/* A wider window takes the same age. */
	struct das_cfg c;

	base_cfg(&c);
	c.time_window_s = 2000;
	assert_int_equal(das_configure(das, &c), 0);
	len = build(RADIUS_CODE_DISCONNECT_REQUEST, 22, OPT_STALE, req);
	assert_true(exchange(req, len, resp) > 0);
	assert_int_equal(calls, 2);
}

static void test_requirements(void **state)
{
	uint8_t req[RADIUS_MAX_LEN], resp[RADIUS_MAX_LEN];
	size_t len;
	struct das_stats st;
	struct das_cfg c;

	/* Defaults: neither M-A nor Event-Timestamp required (hostapd's defaults). */
	len = build(RADIUS_CODE_COA_REQUEST, 30, OPT_NO_MA | OPT_NO_TS, req);
	assert_true(exchange(req, len, resp) > 0);
	assert_int_equal(calls, 1);

	base_cfg(&c);
	c.require_ma = true;
	c.require_event_timestamp = true;
	assert_int_equal(das_configure(das, &c), 0);
	len = build(RADIUS_CODE_COA_REQUEST, 31, OPT_NO_MA, req);
	assert_int_equal(exchange(req, len, resp), 0);
	len = build(RADIUS_CODE_COA_REQUEST, 32, OPT_NO_TS, req);
	assert_int_equal(exchange(req, len, resp), 0);
	das_stats(das, &st);
	assert_int_equal(st.drops[DAS_DROP_NO_MA], 1);
	assert_int_equal(st.drops[DAS_DROP_NO_TIMESTAMP], 1);
	assert_int_equal(calls, 1);
	len = build(RADIUS_CODE_COA_REQUEST, 33, 0, req);
	assert_true(exchange(req, len, resp) > 0);
	assert_int_equal(calls, 2);
}

static void test_nak_unsupported(void **state)
{
	uint8_t req[RADIUS_MAX_LEN], resp[RADIUS_MAX_LEN];
	uint32_t cause;
	size_t len = build(RADIUS_CODE_COA_REQUEST, 40, OPT_UNSUPPORTED, req);
	size_t n = exchange(req, len, resp);

	assert_true(n > 0);
	assert_int_equal(check_answer(req, resp, n, &cause), RADIUS_CODE_COA_NAK);
	assert_int_equal(cause, DAS_ERROR_UNSUPPORTED_ATTRIBUTE);
	assert_int_equal(calls, 0);

	len = build(RADIUS_CODE_DISCONNECT_REQUEST, 41, OPT_DUP, req);
	n = exchange(req, len, resp);
	assert_true(n > 0);
	assert_int_equal(check_answer(req, resp, n, &cause), RADIUS_CODE_DISCONNECT_NAK);
	assert_int_equal(cause, DAS_ERROR_INVALID_REQUEST);
	assert_int_equal(calls, 0);
	/* Its copy gets the same NAK from the cache. */
	uint8_t resp2[RADIUS_MAX_LEN];

	assert_int_equal(exchange(req, len, resp2), n);
	assert_memory_equal(resp, resp2, n);
	/* A stale one gets nothing, NAK or not. */
	len = build(RADIUS_CODE_DISCONNECT_REQUEST, 42, OPT_DUP | OPT_STALE, req);
	assert_int_equal(exchange(req, len, resp), 0);
	struct das_stats st;

	das_stats(das, &st);
	assert_int_equal(st.coa_naks, 1);
	assert_int_equal(st.disconnect_naks, 1);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.drops[DAS_DROP_STALE], 1);
	das_stats_clear(das);
	das_stats(das, &st);
	assert_int_equal(st.coa_naks, 0);
}

static void test_dual_stack(void **state)
{
	struct das_cfg c;
	uint8_t req[RADIUS_MAX_LEN], resp[RADIUS_MAX_LEN];
	size_t len;

	/* Listening on "::": the IPv4 client arrives v4-mapped and is still recognised. */
	base_cfg(&c);
	snprintf(c.listen, sizeof(c.listen), "::");
	assert_int_equal(das_configure(das, &c), 0);
	len = build(RADIUS_CODE_COA_REQUEST, 60, 0, req);
	assert_true(exchange(req, len, resp) > 0);
	assert_int_equal(calls, 1);
}

static void test_config_errors(void **state)
{
	struct das_cfg c;

	base_cfg(&c);
	snprintf(c.clients[0].addr, sizeof(c.clients[0].addr), "bogus");
	assert_int_equal(das_configure(das, &c), -1);
	base_cfg(&c);
	c.clients[0].secret[0] = '\0';
	assert_int_equal(das_configure(das, &c), -1);
	base_cfg(&c);
	snprintf(c.listen, sizeof(c.listen), "nope");
	assert_int_equal(das_configure(das, &c), -1);
	/* Still serving with the old config. */
	uint8_t req[RADIUS_MAX_LEN], resp[RADIUS_MAX_LEN];
	size_t len = build(RADIUS_CODE_COA_REQUEST, 50, 0, req);

	assert_true(exchange(req, len, resp) > 0);
	assert_string_equal(das_drop_name(DAS_DROP_STALE), "stale-event-timestamp");
	assert_string_equal(das_drop_name(DAS_DROP_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_coa_ack, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_disconnect_nak, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_forged_dropped, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_requirements, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_nak_unsupported, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dual_stack, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
