/*
 * RADIUS client codec (daemons/dot1xd/radius.c): RFC 2865 §7.1's example (User-Password
 * hiding, Response Authenticator), builders checked byte for byte against an independent
 * Python implementation, every reply rule keel applies against BlastRADIUS (CVE-2024-3596),
 * EAP-Message fragmentation and reassembly, RFC 2868 tunnel attributes, accounting and
 * CoA/Disconnect, and structural malformations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/dot1xd/dot1xd.h"

#define SECRET     "testing123"
#define SECRET_LEN (sizeof(SECRET) - 1)

/*
 * Known answers made once with Python 3.11's hmac and hashlib modules, independently of this
 * code: M-A = hmac.new(b"testing123", packet_with_zeroed_MA, hashlib.md5).digest(); reply
 * Response Authenticator = md5(packet_with_request_auth + secret); accounting authenticator
 * = md5(packet_with_zero_auth_and_MA_filled + secret); User-Password hidden per RFC 2865
 * §5.2. Request Authenticator 00 01 .. 0f, secret "testing123".
 *   kat_eap_request: id 7, M-A, User-Name "bob", NAS-Identifier "sw1", NAS-Port-Id
 *     "ge-0/0/1", NAS-Port-Type 15, Service-Type 2, Framed-MTU 1500, Called-Station-Id
 *     "02-00-00-00-00-FE", Calling-Station-Id "00-10-A4-23-19-C0", EAP-Message
 *     Response/Identity "bob" (02 01 00 08 01 62 6f 62)
 *   kat_mab_request: id 8, M-A, User-Name = User-Password = "001122334455", NAS-Identifier
 *     "sw1", NAS-Port-Type 15, Service-Type 10 (Call-Check), Calling-Station-Id
 *   kat_accept: Access-Accept id 7 to the request authenticator above: M-A, Tunnel-Type
 *     VLAN, Tunnel-Medium-Type 802, Tunnel-Private-Group-ID "100", Session-Timeout 3600,
 *     Termination-Action 1, Class "c1", EAP-Message Success (03 01 00 04)
 *   kat_acct_stop: Accounting-Request id 9: M-A, Acct-Status-Type Stop, Acct-Session-Id
 *     "s-1", User-Name "bob", NAS-Identifier "sw1", NAS-Port-Type 15, Calling-Station-Id,
 *     Acct-Delay-Time 0, Session-Time 60, octets 1000/2000, packets 10/20, Terminate-Cause 1
 */
/* 124 bytes */
static const uint8_t kat_eap_request[] = {
        0x01, 0x07, 0x00, 0x7c, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
        0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x50, 0x12, 0x77, 0xc0, 0x81, 0xa3, 0xe9, 0x45,
        0xb7, 0x5f, 0x4d, 0xf3, 0x11, 0xc5, 0x16, 0xbe, 0x36, 0x44, 0x01, 0x05, 0x62, 0x6f,
        0x62, 0x20, 0x05, 0x73, 0x77, 0x31, 0x57, 0x0a, 0x67, 0x65, 0x2d, 0x30, 0x2f, 0x30,
        0x2f, 0x31, 0x3d, 0x06, 0x00, 0x00, 0x00, 0x0f, 0x06, 0x06, 0x00, 0x00, 0x00, 0x02,
        0x0c, 0x06, 0x00, 0x00, 0x05, 0xdc, 0x1e, 0x13, 0x30, 0x32, 0x2d, 0x30, 0x30, 0x2d,
        0x30, 0x30, 0x2d, 0x30, 0x30, 0x2d, 0x30, 0x30, 0x2d, 0x46, 0x45, 0x1f, 0x13, 0x30,
        0x30, 0x2d, 0x31, 0x30, 0x2d, 0x41, 0x34, 0x2d, 0x32, 0x33, 0x2d, 0x31, 0x39, 0x2d,
        0x43, 0x30, 0x4f, 0x0a, 0x02, 0x01, 0x00, 0x08, 0x01, 0x62, 0x6f, 0x62};
/* 106 bytes */
static const uint8_t kat_mab_request[] = {
        0x01, 0x08, 0x00, 0x6a, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
        0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x50, 0x12, 0xa6, 0xcf, 0x70, 0x34, 0xcb, 0x1d,
        0xe5, 0xcc, 0xcc, 0xea, 0x6a, 0x04, 0xf3, 0x44, 0x56, 0x2e, 0x01, 0x0e, 0x30, 0x30,
        0x31, 0x31, 0x32, 0x32, 0x33, 0x33, 0x34, 0x34, 0x35, 0x35, 0x02, 0x12, 0xa6, 0xde,
        0x38, 0xfb, 0x46, 0xcf, 0x49, 0x29, 0x24, 0x72, 0x32, 0x11, 0x00, 0x14, 0x82, 0x8b,
        0x20, 0x05, 0x73, 0x77, 0x31, 0x3d, 0x06, 0x00, 0x00, 0x00, 0x0f, 0x06, 0x06, 0x00,
        0x00, 0x00, 0x0a, 0x1f, 0x13, 0x30, 0x30, 0x2d, 0x31, 0x31, 0x2d, 0x32, 0x32, 0x2d,
        0x33, 0x33, 0x2d, 0x34, 0x34, 0x2d, 0x35, 0x35};
/* 77 bytes */
static const uint8_t kat_accept[] = {
        0x02, 0x07, 0x00, 0x4d, 0x2b, 0x50, 0x46, 0xaf, 0x33, 0xe8, 0xe8, 0xa4, 0x6f,
        0x85, 0x12, 0x24, 0x4b, 0x8a, 0x78, 0x71, 0x50, 0x12, 0xed, 0x69, 0xb2, 0x2c,
        0x57, 0x9b, 0x03, 0x3f, 0x68, 0x4a, 0x0e, 0x8b, 0xe6, 0xed, 0x37, 0x9a, 0x40,
        0x06, 0x00, 0x00, 0x00, 0x0d, 0x41, 0x06, 0x00, 0x00, 0x00, 0x06, 0x51, 0x05,
        0x31, 0x30, 0x30, 0x1b, 0x06, 0x00, 0x00, 0x0e, 0x10, 0x1d, 0x06, 0x00, 0x00,
        0x00, 0x01, 0x19, 0x04, 0x63, 0x31, 0x4f, 0x06, 0x03, 0x01, 0x00, 0x04};
/* 126 bytes */
static const uint8_t kat_acct_stop[] = {
        0x04, 0x09, 0x00, 0x7e, 0xa0, 0x59, 0xea, 0xe7, 0x1d, 0x18, 0x88, 0xa0, 0x69, 0xd4,
        0x7f, 0xb8, 0x3d, 0x1a, 0x97, 0x3a, 0x50, 0x12, 0xf5, 0x8c, 0x81, 0xb5, 0x2f, 0x60,
        0x39, 0x2b, 0x25, 0xb4, 0x5b, 0xe3, 0xf9, 0xac, 0x5e, 0xc9, 0x28, 0x06, 0x00, 0x00,
        0x00, 0x02, 0x2c, 0x05, 0x73, 0x2d, 0x31, 0x01, 0x05, 0x62, 0x6f, 0x62, 0x20, 0x05,
        0x73, 0x77, 0x31, 0x3d, 0x06, 0x00, 0x00, 0x00, 0x0f, 0x1f, 0x13, 0x30, 0x30, 0x2d,
        0x31, 0x30, 0x2d, 0x41, 0x34, 0x2d, 0x32, 0x33, 0x2d, 0x31, 0x39, 0x2d, 0x43, 0x30,
        0x29, 0x06, 0x00, 0x00, 0x00, 0x00, 0x2e, 0x06, 0x00, 0x00, 0x00, 0x3c, 0x2a, 0x06,
        0x00, 0x00, 0x03, 0xe8, 0x2b, 0x06, 0x00, 0x00, 0x07, 0xd0, 0x2f, 0x06, 0x00, 0x00,
        0x00, 0x0a, 0x30, 0x06, 0x00, 0x00, 0x00, 0x14, 0x31, 0x06, 0x00, 0x00, 0x00, 0x01};

static const uint8_t ra_seq[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t called[6] = {0x02, 0, 0, 0, 0, 0xfe};
static const uint8_t calling[6] = {0x00, 0x10, 0xa4, 0x23, 0x19, 0xc0};

/* RFC 2865 §7.1: "nemo"/"arctangent", secret "xyzzy5461", NAS 192.168.1.16 port 3. */
static const uint8_t rfc_ra[16] = {0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57,
                                   0xbd, 0x83, 0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a};
static const uint8_t rfc_request[56] = {
        0x01, 0x00, 0x00, 0x38, 0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57, 0xbd, 0x83,
        0xd5, 0xcb, 0x98, 0xf4, 0x22, 0x7a, 0x01, 0x06, 0x6e, 0x65, 0x6d, 0x6f, 0x02, 0x12,
        0x0d, 0xbe, 0x70, 0x8d, 0x93, 0xd4, 0x13, 0xce, 0x31, 0x96, 0xe4, 0x3f, 0x78, 0x2a,
        0x0a, 0xee, 0x04, 0x06, 0xc0, 0xa8, 0x01, 0x10, 0x05, 0x06, 0x00, 0x00, 0x00, 0x03};
static const uint8_t rfc_accept[38] = {0x02, 0x00, 0x00, 0x26, 0x86, 0xfe, 0x22, 0x0e, 0x76, 0x24,
                                       0xba, 0x2a, 0x10, 0x05, 0xf6, 0xbf, 0x9b, 0x55, 0xe0, 0xb2,
                                       0x06, 0x06, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x06, 0x00, 0x00,
                                       0x00, 0x00, 0x0e, 0x06, 0xc0, 0xa8, 0x01, 0x03};

static struct radius_reply reply; /* 4 KB of EAP: keep it off the stack */

static void test_rfc2865_example(void **state)
{
	uint8_t out[RADIUS_PASSWORD_MAX], pw[RADIUS_PASSWORD_MAX];
	size_t n, m;
	struct radius_pkt p;
	struct radius_msg msg;
	uint8_t buf[128];

	(void)state;
	assert_int_equal(radius_password_hide("xyzzy5461", 9, rfc_ra, (const uint8_t *)"arctangent",
	                                      10, out, &n),
	                 RADIUS_OK);
	assert_int_equal(n, 16);
	assert_memory_equal(out, rfc_request + 28, 16);
	assert_int_equal(
	        radius_password_unhide("xyzzy5461", 9, rfc_ra, rfc_request + 28, 16, pw, &m),
	        RADIUS_OK);
	assert_int_equal(m, 10);
	assert_memory_equal(pw, "arctangent", 10);

	/* The same request through the builder (without M-A, as the RFC predates it). */
	radius_msg_begin(&msg, buf, sizeof(buf), RADIUS_CODE_ACCESS_REQUEST, 0, rfc_ra, false);
	radius_msg_attr(&msg, RADIUS_ATTR_USER_NAME, "nemo", 4);
	radius_msg_attr_password(&msg, "xyzzy5461", 9, (const uint8_t *)"arctangent", 10);
	radius_msg_attr(&msg, RADIUS_ATTR_NAS_IP_ADDRESS, "\xc0\xa8\x01\x10", 4);
	radius_msg_attr_u32(&msg, RADIUS_ATTR_NAS_PORT, 3);
	assert_int_equal(radius_msg_finish(&msg, "xyzzy5461", 9, NULL, &n), RADIUS_OK);
	assert_int_equal(n, sizeof(rfc_request));
	assert_memory_equal(buf, rfc_request, n);

	/* The RFC's Accept has a valid Response Authenticator but no M-A: keel drops it. */
	assert_int_equal(radius_decode(rfc_accept, sizeof(rfc_accept), &p), RADIUS_OK);
	assert_int_equal(radius_verify_response_auth(&p, rfc_ra, "xyzzy5461", 9), RADIUS_OK);
	assert_int_equal(radius_verify_response_auth(&p, ra_seq, "xyzzy5461", 9),
	                 RADIUS_ERR_AUTHENTICATOR);
	assert_int_equal(radius_reply_parse(&p, rfc_ra, "xyzzy5461", 9, &reply),
	                 RADIUS_ERR_MA_MISSING);
}

static void eap_req(struct radius_access_req *r, const uint8_t *eap, size_t eap_len)
{
	memset(r, 0, sizeof(*r));
	r->id = 7;
	memcpy(r->auth, ra_seq, 16);
	r->user_name = (const uint8_t *)"bob";
	r->user_name_len = 3;
	r->nas_identifier = "sw1";
	r->nas_port_id = "ge-0/0/1";
	r->service_type = RADIUS_SERVICE_TYPE_FRAMED;
	r->framed_mtu = RADIUS_FRAMED_MTU_ETHERNET;
	r->has_called = true;
	memcpy(r->called_mac, called, 6);
	r->has_calling = true;
	memcpy(r->calling_mac, calling, 6);
	r->eap = eap;
	r->eap_len = eap_len;
}

static void test_access_request_kat(void **state)
{
	static const uint8_t eap[] = {0x02, 0x01, 0x00, 0x08, 0x01, 'b', 'o', 'b'};
	struct radius_access_req r;
	struct radius_pkt p;
	uint8_t buf[RADIUS_MAX_LEN];
	size_t n;

	(void)state;
	eap_req(&r, eap, sizeof(eap));
	assert_int_equal(radius_access_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_OK);
	assert_int_equal(n, sizeof(kat_eap_request));
	assert_memory_equal(buf, kat_eap_request, n);
	/* M-A is the first attribute and verifies over the request's own authenticator. */
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(p.ma_index, 0);
	assert_int_equal(p.ma_off, 22);
	assert_int_equal(radius_verify_ma(&p, ra_seq, SECRET, SECRET_LEN), RADIUS_OK);
	assert_int_equal(radius_verify_ma(&p, ra_seq, "testing124", SECRET_LEN), RADIUS_ERR_MA_BAD);

	/* MAC RADIUS (PAP): M-A first too (CVE-2024-3596), password hidden. */
	memset(&r, 0, sizeof(r));
	r.id = 8;
	memcpy(r.auth, ra_seq, 16);
	r.user_name = (const uint8_t *)"001122334455";
	r.user_name_len = 12;
	r.password = r.user_name;
	r.password_len = 12;
	r.nas_identifier = "sw1";
	r.service_type = RADIUS_SERVICE_TYPE_CALL_CHECK;
	r.has_calling = true;
	memcpy(r.calling_mac, (const uint8_t[]){0, 0x11, 0x22, 0x33, 0x44, 0x55}, 6);
	assert_int_equal(radius_access_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_OK);
	assert_int_equal(n, sizeof(kat_mab_request));
	assert_memory_equal(buf, kat_mab_request, n);
}

static void test_access_request_args(void **state)
{
	static uint8_t big[RADIUS_MAX_LEN];
	struct radius_access_req r;
	uint8_t buf[RADIUS_MAX_LEN];
	size_t n = 99;

	(void)state;
	eap_req(&r, big, 4000); /* 20 + 18 + other attrs + 16 EAP-Message headers > 4096 */
	assert_int_equal(radius_access_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_ERR_NO_SPACE);
	assert_int_equal(n, 0);
	eap_req(&r, big, 3900); /* fits: 16 EAP-Message attributes, 4046 bytes in all */
	assert_int_equal(radius_access_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_OK);
	assert_int_equal(n, 4046);
	eap_req(&r, big, 100);
	assert_int_equal(radius_access_request_encode(&r, SECRET, SECRET_LEN, buf, 100, &n),
	                 RADIUS_ERR_NO_SPACE);
	r.password = (const uint8_t *)"x";
	r.password_len = 1; /* RFC 3579 §3.3: not with EAP-Message */
	assert_int_equal(radius_access_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_ERR_ARG);
	eap_req(&r, NULL, 0);
	r.user_name_len = 0;
	assert_int_equal(radius_access_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_ERR_ARG);
	r.user_name_len = 254;
	assert_int_equal(radius_access_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_ERR_ARG);
	eap_req(&r, NULL, 0);
	r.password = big;
	r.password_len = 129;
	assert_int_equal(radius_access_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_ERR_ARG);
	r.password_len = 128;
	assert_int_equal(radius_access_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_OK);
}

/* EAP-Message split at 253 (RFC 3579 §3.1) and reassembled from a Challenge. */
static void test_eap_fragmentation(void **state)
{
	static uint8_t eap[600], buf[RADIUS_MAX_LEN], rep[RADIUS_MAX_LEN];
	struct radius_access_req r;
	struct radius_attr_iter it;
	struct radius_pkt p;
	struct radius_msg m;
	const uint8_t *v;
	uint8_t type, len, lens[8];
	size_t n, k = 0, total = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(eap); i++)
		eap[i] = (uint8_t)(i * 7);
	eap[0] = EAP_CODE_RESPONSE;
	eap[2] = sizeof(eap) >> 8;
	eap[3] = sizeof(eap) & 0xff;
	eap_req(&r, eap, sizeof(eap));
	r.state = (const uint8_t *)"st";
	r.state_len = 2;
	assert_int_equal(radius_access_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_OK);
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(p.count[RADIUS_ATTR_EAP_MESSAGE], 3);
	assert_int_equal(p.count[RADIUS_ATTR_STATE], 1);
	radius_attr_iter_init(&it, &p);
	while (radius_attr_next(&it, &type, &v, &len))
		if (type == RADIUS_ATTR_EAP_MESSAGE) {
			assert_memory_equal(v, eap + total, len);
			total += len;
			lens[k++] = len;
		}
	assert_int_equal(total, sizeof(eap));
	assert_int_equal(lens[0], 253);
	assert_int_equal(lens[1], 253);
	assert_int_equal(lens[2], 94);

	eap[0] = EAP_CODE_REQUEST;
	radius_msg_begin(&m, rep, sizeof(rep), RADIUS_CODE_ACCESS_CHALLENGE, 7, NULL, true);
	radius_msg_attr_eap(&m, eap, sizeof(eap));
	radius_msg_attr(&m, RADIUS_ATTR_STATE, "next", 4);
	radius_msg_attr_u32(&m, RADIUS_ATTR_SESSION_TIMEOUT, 30);
	assert_int_equal(radius_msg_finish(&m, SECRET, SECRET_LEN, ra_seq, &n), RADIUS_OK);
	assert_int_equal(radius_decode(rep, n, &p), RADIUS_OK);
	assert_int_equal(radius_reply_parse(&p, ra_seq, SECRET, SECRET_LEN, &reply), RADIUS_OK);
	assert_int_equal(reply.code, RADIUS_CODE_ACCESS_CHALLENGE);
	assert_int_equal(reply.eap_len, sizeof(eap));
	assert_memory_equal(reply.eap, eap, sizeof(eap));
	assert_int_equal(reply.state.len, 4);
	assert_memory_equal(reply.state.val, "next", 4);
	assert_true(reply.has_session_timeout);
	assert_int_equal(reply.session_timeout, 30);
	assert_false(reply.vlan.present);
}

static void test_accept_kat(void **state)
{
	struct radius_pkt p;

	(void)state;
	assert_int_equal(radius_decode(kat_accept, sizeof(kat_accept), &p), RADIUS_OK);
	assert_int_equal(radius_reply_parse(&p, ra_seq, SECRET, SECRET_LEN, &reply), RADIUS_OK);
	assert_int_equal(reply.code, RADIUS_CODE_ACCESS_ACCEPT);
	assert_int_equal(reply.id, 7);
	assert_true(reply.vlan.present);
	assert_int_equal(reply.vlan.tag, 0);
	assert_int_equal(reply.vlan.vid, 100);
	assert_string_equal(reply.vlan.name, "100");
	assert_true(reply.has_session_timeout);
	assert_int_equal(reply.session_timeout, 3600);
	assert_true(reply.has_termination_action);
	assert_int_equal(reply.termination_action, RADIUS_TERMINATION_RADIUS_REQUEST);
	assert_int_equal(reply.nclass, 1);
	assert_int_equal(reply.class_[0].len, 2);
	assert_memory_equal(reply.class_[0].val, "c1", 2);
	assert_int_equal(reply.eap_len, 4);
	assert_memory_equal(reply.eap, "\x03\x01\x00\x04", 4);
	/* Another request's authenticator, another secret: both refused. */
	assert_int_equal(radius_reply_parse(&p, rfc_ra, SECRET, SECRET_LEN, &reply),
	                 RADIUS_ERR_MA_BAD);
	assert_int_equal(radius_reply_parse(&p, ra_seq, "x", 1, &reply), RADIUS_ERR_MA_BAD);
}

/* A reply built by the test (the builder's signing is pinned by the KATs above). */
struct attr_spec {
	uint8_t type;
	uint8_t len;
	const char *val;
};

static size_t mk_reply(uint8_t *buf, uint8_t code, bool ma, const struct attr_spec *a, size_t n)
{
	struct radius_msg m;
	size_t len;

	radius_msg_begin(&m, buf, RADIUS_MAX_LEN, code, 7, NULL, ma);
	for (size_t i = 0; i < n; i++)
		radius_msg_attr(&m, a[i].type, a[i].val, a[i].len);
	assert_int_equal(radius_msg_finish(&m, SECRET, SECRET_LEN, ra_seq, &len), RADIUS_OK);
	return len;
}

static enum radius_err parse(const uint8_t *buf, size_t n)
{
	struct radius_pkt p;
	enum radius_err e = radius_decode(buf, n, &p);

	return e != RADIUS_OK ? e : radius_reply_parse(&p, ra_seq, SECRET, SECRET_LEN, &reply);
}

#define T(t, s)                                                                                    \
	{                                                                                          \
		t, sizeof(s) - 1, s                                                                \
	}

static void test_reply_blastradius(void **state)
{
	static uint8_t buf[RADIUS_MAX_LEN];
	static const struct attr_spec none[] = {T(RADIUS_ATTR_REPLY_MESSAGE, "hi")};
	static const struct attr_spec proxy[] = {T(RADIUS_ATTR_PROXY_STATE, "ps")};
	size_t n;

	(void)state;
	/* A Reject without M-A (what FreeRADIUS 3.2.1 sends for PAP): dropped. */
	n = mk_reply(buf, RADIUS_CODE_ACCESS_REJECT, false, none, 1);
	assert_int_equal(parse(buf, n), RADIUS_ERR_MA_MISSING);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_REJECT, true, none, 1);
	assert_int_equal(parse(buf, n), RADIUS_OK);
	assert_int_equal(reply.reply_message.len, 2);
	/* Each code keel takes; a request code is refused. */
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, none, 1);
	assert_int_equal(parse(buf, n), RADIUS_OK);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_REQUEST, true, none, 1);
	assert_int_equal(parse(buf, n), RADIUS_ERR_CODE);
	/* Any flipped bit in M-A or attributes: MA_BAD; in the authenticator: AUTHENTICATOR. */
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, none, 1);
	buf[25] ^= 1;
	assert_int_equal(parse(buf, n), RADIUS_ERR_MA_BAD);
	buf[25] ^= 1;
	buf[n - 1] ^= 0x20;
	assert_int_equal(parse(buf, n), RADIUS_ERR_MA_BAD);
	buf[n - 1] ^= 0x20;
	buf[1] ^= 1;
	assert_int_equal(parse(buf, n), RADIUS_ERR_MA_BAD);
	buf[1] ^= 1;
	buf[10] ^= 1;
	assert_int_equal(parse(buf, n), RADIUS_ERR_AUTHENTICATOR);
	buf[10] ^= 1;
	assert_int_equal(parse(buf, n), RADIUS_OK);
	/* Proxy-State in a reply to a request that had none. */
	n = mk_reply(buf, RADIUS_CODE_ACCESS_REJECT, true, proxy, 1);
	assert_int_equal(parse(buf, n), RADIUS_ERR_PROXY_STATE);
}

static void test_reply_duplicates_and_values(void **state)
{
	static uint8_t buf[RADIUS_MAX_LEN];
	static const struct attr_spec two_ma[] = {
	        T(RADIUS_ATTR_MESSAGE_AUTHENTICATOR, "0123456789abcdef")};
	static const struct attr_spec short_ma[] = {
	        T(RADIUS_ATTR_MESSAGE_AUTHENTICATOR, "0123456789abcde")};
	static const struct attr_spec two_state[] = {T(RADIUS_ATTR_STATE, "a"),
	                                             T(RADIUS_ATTR_STATE, "b")};
	static const struct attr_spec two_st[] = {T(RADIUS_ATTR_SESSION_TIMEOUT, "\0\0\0\1"),
	                                          T(RADIUS_ATTR_SESSION_TIMEOUT, "\0\0\0\2")};
	static const struct attr_spec two_ta[] = {T(RADIUS_ATTR_TERMINATION_ACTION, "\0\0\0\1"),
	                                          T(RADIUS_ATTR_TERMINATION_ACTION, "\0\0\0\1")};
	static const struct attr_spec st3[] = {T(RADIUS_ATTR_SESSION_TIMEOUT, "\0\0\1")};
	static const struct attr_spec dup_tun[] = {T(RADIUS_ATTR_TUNNEL_TYPE, "\0\0\0\x0d"),
	                                           T(RADIUS_ATTR_TUNNEL_TYPE, "\0\0\0\x0d")};
	static const struct attr_spec dup_pgid[] = {T(RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID, "10"),
	                                            T(RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID, "20")};
	static const struct attr_spec bad_tag[] = {T(RADIUS_ATTR_TUNNEL_TYPE, "\x20\0\0\x0d")};
	static const struct attr_spec eap_long[] = {T(RADIUS_ATTR_EAP_MESSAGE, "\x03\x01\x00\x05")};
	static const struct attr_spec eap_pad[] = {
	        T(RADIUS_ATTR_EAP_MESSAGE, "\x03\x01\x00\x04\0")};
	static const struct attr_spec eap_short[] = {T(RADIUS_ATTR_EAP_MESSAGE, "\x03\x01")};
	static const struct attr_spec two_class[] = {T(RADIUS_ATTR_CLASS, "a"),
	                                             T(RADIUS_ATTR_CLASS, "bc")};
	size_t n;

	(void)state;
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, two_ma, 1);
	assert_int_equal(parse(buf, n), RADIUS_ERR_DUP);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, short_ma, 1);
	assert_int_equal(parse(buf, n), RADIUS_ERR_MA_LEN);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_CHALLENGE, true, two_state, 2);
	assert_int_equal(parse(buf, n), RADIUS_ERR_DUP);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, two_st, 2);
	assert_int_equal(parse(buf, n), RADIUS_ERR_DUP);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, two_ta, 2);
	assert_int_equal(parse(buf, n), RADIUS_ERR_DUP);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, st3, 1);
	assert_int_equal(parse(buf, n), RADIUS_ERR_VALUE);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, dup_tun, 2);
	assert_int_equal(parse(buf, n), RADIUS_ERR_DUP);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, dup_pgid, 2);
	assert_int_equal(parse(buf, n), RADIUS_ERR_DUP);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, bad_tag, 1);
	assert_int_equal(parse(buf, n), RADIUS_ERR_VALUE);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, eap_long, 1);
	assert_int_equal(parse(buf, n), RADIUS_ERR_EAP);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, eap_pad, 1);
	assert_int_equal(parse(buf, n), RADIUS_ERR_EAP);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, eap_short, 1);
	assert_int_equal(parse(buf, n), RADIUS_ERR_EAP);
	/* Class may repeat (RFC 2865 §5.25): kept in order. */
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, two_class, 2);
	assert_int_equal(parse(buf, n), RADIUS_OK);
	assert_int_equal(reply.nclass, 2);
	assert_int_equal(reply.class_[1].len, 2);
	assert_memory_equal(reply.class_[1].val, "bc", 2);
}

static void test_tunnel_vlan(void **state)
{
	static uint8_t buf[RADIUS_MAX_LEN];
	/* Tag 1 carries a VLAN name; tag 2 a non-VLAN tunnel; untagged group id string. */
	static const struct attr_spec tagged[] = {
	        T(RADIUS_ATTR_TUNNEL_TYPE, "\x02\0\0\x03"),
	        T(RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, "\x02\0\0\x01"),
	        T(RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID, "\x02x"),
	        T(RADIUS_ATTR_TUNNEL_TYPE, "\x01\0\0\x0d"),
	        T(RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, "\x01\0\0\x06"),
	        T(RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID, "\x01voice"),
	};
	static const struct attr_spec untagged[] = {
	        T(RADIUS_ATTR_TUNNEL_TYPE, "\0\0\0\x0d"),
	        T(RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, "\0\0\0\x06"),
	        T(RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID, "4094"),
	};
	static const struct attr_spec out_of_range[] = {
	        T(RADIUS_ATTR_TUNNEL_TYPE, "\0\0\0\x0d"),
	        T(RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, "\0\0\0\x06"),
	        T(RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID, "4095"),
	};
	static const struct attr_spec incomplete[] = {
	        T(RADIUS_ATTR_TUNNEL_TYPE, "\0\0\0\x0d"),
	        T(RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID, "10"),
	};
	static const struct attr_spec mixed_tags[] = {
	        T(RADIUS_ATTR_TUNNEL_TYPE, "\x01\0\0\x0d"),
	        T(RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, "\0\0\0\x06"),
	        T(RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID, "\x01"
	                                               "10"),
	};
	static const struct attr_spec empty_group[] = {
	        T(RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID, "\x01")};
	size_t n;

	(void)state;
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, tagged, 6);
	assert_int_equal(parse(buf, n), RADIUS_OK);
	assert_true(reply.vlan.present);
	assert_int_equal(reply.vlan.tag, 1);
	assert_int_equal(reply.vlan.vid, 0);
	assert_string_equal(reply.vlan.name, "voice");
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, untagged, 3);
	assert_int_equal(parse(buf, n), RADIUS_OK);
	assert_int_equal(reply.vlan.vid, 4094);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, out_of_range, 3);
	assert_int_equal(parse(buf, n), RADIUS_OK);
	assert_true(reply.vlan.present);
	assert_int_equal(reply.vlan.vid, 0); /* a name lookup that fails: the caller rejects */
	assert_string_equal(reply.vlan.name, "4095");
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, incomplete, 2);
	assert_int_equal(parse(buf, n), RADIUS_OK);
	assert_false(reply.vlan.present);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, mixed_tags, 3);
	assert_int_equal(parse(buf, n), RADIUS_OK);
	assert_false(reply.vlan.present);
	n = mk_reply(buf, RADIUS_CODE_ACCESS_ACCEPT, true, empty_group, 1);
	assert_int_equal(parse(buf, n), RADIUS_ERR_VALUE);
}

static void test_decode_structure(void **state)
{
	static uint8_t buf[RADIUS_MAX_LEN + 8];
	struct radius_pkt p;

	(void)state;
	memcpy(buf, rfc_accept, sizeof(rfc_accept));
	assert_int_equal(radius_decode(buf, 19, &p), RADIUS_ERR_SHORT);
	assert_int_equal(radius_decode(buf, sizeof(rfc_accept) - 1, &p), RADIUS_ERR_LENGTH);
	/* Padding past Length is ignored (RFC 2865 §3). */
	assert_int_equal(radius_decode(buf, sizeof(rfc_accept) + 5, &p), RADIUS_OK);
	assert_int_equal(p.length, sizeof(rfc_accept));
	assert_int_equal(p.nattrs, 3);
	buf[3] = 19;
	assert_int_equal(radius_decode(buf, sizeof(buf), &p), RADIUS_ERR_LENGTH);
	buf[2] = 0x10;
	buf[3] = 0x01; /* 4097 */
	assert_int_equal(radius_decode(buf, sizeof(buf), &p), RADIUS_ERR_LENGTH);
	buf[2] = 0;
	buf[3] = sizeof(rfc_accept) - 1; /* cuts the last attribute */
	assert_int_equal(radius_decode(buf, sizeof(buf), &p), RADIUS_ERR_ATTR);
	buf[3] = sizeof(rfc_accept);
	buf[21] = 1;
	assert_int_equal(radius_decode(buf, sizeof(buf), &p), RADIUS_ERR_ATTR);
	buf[21] = 0;
	assert_int_equal(radius_decode(buf, sizeof(buf), &p), RADIUS_ERR_ATTR);
	buf[21] = 6;
	buf[3] = 21; /* one stray octet */
	assert_int_equal(radius_decode(buf, sizeof(buf), &p), RADIUS_ERR_ATTR);
	buf[3] = 20; /* no attributes at all */
	assert_int_equal(radius_decode(buf, sizeof(buf), &p), RADIUS_OK);
	assert_int_equal(p.nattrs, 0);
}

static void test_accounting(void **state)
{
	struct radius_acct_req r;
	struct radius_bytes cls = {.len = 2, .val = "c1"};
	struct radius_pkt p;
	struct radius_msg m;
	uint8_t buf[RADIUS_MAX_LEN], rep[64], auth[16];
	size_t n, k;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.id = 9;
	r.status_type = RADIUS_ACCT_STOP;
	r.session_id = "s-1";
	r.user_name = (const uint8_t *)"bob";
	r.user_name_len = 3;
	r.nas_identifier = "sw1";
	r.has_calling = true;
	memcpy(r.calling_mac, calling, 6);
	r.session_time = 60;
	r.has_traffic = true;
	r.in_octets = 1000;
	r.out_octets = 2000;
	r.in_packets = 10;
	r.out_packets = 20;
	r.terminate_cause = RADIUS_TERM_USER_REQUEST;
	assert_int_equal(radius_acct_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_OK);
	assert_int_equal(n, sizeof(kat_acct_stop));
	assert_memory_equal(buf, kat_acct_stop, n);
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(radius_verify_request_auth(&p, SECRET, SECRET_LEN), RADIUS_OK);
	assert_int_equal(radius_verify_request_auth(&p, "x", 1), RADIUS_ERR_MA_BAD);
	memcpy(auth, buf + 4, 16);

	/* Accounting-Response: Response Authenticator over the request's. */
	radius_msg_begin(&m, rep, sizeof(rep), RADIUS_CODE_ACCOUNTING_RESPONSE, 9, NULL, false);
	assert_int_equal(radius_msg_finish(&m, SECRET, SECRET_LEN, auth, &k), RADIUS_OK);
	assert_int_equal(radius_decode(rep, k, &p), RADIUS_OK);
	assert_int_equal(radius_acct_response_verify(&p, auth, SECRET, SECRET_LEN), RADIUS_OK);
	assert_int_equal(radius_acct_response_verify(&p, ra_seq, SECRET, SECRET_LEN),
	                 RADIUS_ERR_AUTHENTICATOR);

	/* Start: no counters, no cause; Class echoed; gigawords on Interim past 4 GiB. */
	r.status_type = RADIUS_ACCT_START;
	r.class_ = &cls;
	r.nclass = 1;
	assert_int_equal(radius_acct_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_OK);
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(p.count[RADIUS_ATTR_ACCT_TERMINATE_CAUSE], 0);
	assert_int_equal(p.count[RADIUS_ATTR_ACCT_SESSION_TIME], 0);
	assert_int_equal(p.count[RADIUS_ATTR_CLASS], 1);
	assert_int_equal(p.ma_index, 0);
	r.status_type = RADIUS_ACCT_INTERIM;
	r.in_octets = 0x100000005ull;
	assert_int_equal(radius_acct_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_OK);
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(p.count[RADIUS_ATTR_ACCT_INPUT_GIGAWORDS], 1);
	assert_int_equal(p.count[RADIUS_ATTR_ACCT_OUTPUT_GIGAWORDS], 0);
	assert_int_equal(p.count[RADIUS_ATTR_ACCT_TERMINATE_CAUSE], 0);
	/* Counters not known: Session-Time alone, never zeros that look measured. */
	r.has_traffic = false;
	assert_int_equal(radius_acct_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_OK);
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(p.count[RADIUS_ATTR_ACCT_SESSION_TIME], 1);
	assert_int_equal(p.count[RADIUS_ATTR_ACCT_INPUT_OCTETS], 0);
	assert_int_equal(p.count[RADIUS_ATTR_ACCT_OUTPUT_PACKETS], 0);
	assert_int_equal(p.count[RADIUS_ATTR_ACCT_INPUT_GIGAWORDS], 0);
	r.has_traffic = true;
	r.status_type = 4;
	assert_int_equal(radius_acct_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_ERR_ARG);
	r.status_type = RADIUS_ACCT_STOP;
	r.session_id = NULL;
	assert_int_equal(radius_acct_request_encode(&r, SECRET, SECRET_LEN, buf, sizeof(buf), &n),
	                 RADIUS_ERR_ARG);
}

static size_t mk_das(uint8_t *buf, uint8_t code, bool ma, const struct attr_spec *a, size_t n)
{
	struct radius_msg m;
	size_t len;

	radius_msg_begin(&m, buf, RADIUS_MAX_LEN, code, 33, NULL, ma);
	for (size_t i = 0; i < n; i++)
		radius_msg_attr(&m, a[i].type, a[i].val, a[i].len);
	assert_int_equal(radius_msg_finish(&m, SECRET, SECRET_LEN, NULL, &len), RADIUS_OK);
	return len;
}

static void test_das(void **state)
{
	static uint8_t buf[RADIUS_MAX_LEN];
	static const struct attr_spec coa[] = {
	        T(RADIUS_ATTR_CALLING_STATION_ID, "00:10:a4:23:19:c0"),
	        T(RADIUS_ATTR_NAS_PORT_ID, "ge-0/0/1"),
	        T(RADIUS_ATTR_EVENT_TIMESTAMP, "\x60\0\0\1"),
	        T(RADIUS_ATTR_TUNNEL_TYPE, "\0\0\0\x0d"),
	        T(RADIUS_ATTR_TUNNEL_MEDIUM_TYPE, "\0\0\0\x06"),
	        T(RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID, "200"),
	        T(RADIUS_ATTR_VENDOR_SPECIFIC, "\0\0\0\x09xx"),
	};
	static const struct attr_spec bad_mac[] = {T(RADIUS_ATTR_CALLING_STATION_ID, "zz")};
	static const struct attr_spec two_user[] = {T(RADIUS_ATTR_USER_NAME, "a"),
	                                            T(RADIUS_ATTR_USER_NAME, "b")};
	static const struct attr_spec user[] = {T(RADIUS_ATTR_USER_NAME, "bob"),
	                                        T(RADIUS_ATTR_PROXY_STATE, "p")};
	struct radius_das_req d;
	struct radius_pkt p;
	uint8_t rep[64];
	size_t n, k;

	(void)state;
	n = mk_das(buf, RADIUS_CODE_COA_REQUEST, true, coa, 7);
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(radius_das_parse(&p, SECRET, SECRET_LEN, &d), RADIUS_OK);
	assert_int_equal(d.code, RADIUS_CODE_COA_REQUEST);
	assert_int_equal(d.id, 33);
	assert_true(d.has_ma);
	assert_true(d.has_calling);
	assert_memory_equal(d.calling_mac, calling, 6);
	assert_true(d.has_nas_port_id);
	assert_memory_equal(d.nas_port_id.val, "ge-0/0/1", 8);
	assert_int_equal(d.event_timestamp, 0x60000001);
	assert_int_equal(d.vlan.vid, 200);
	assert_int_equal(d.unsupported_attr, RADIUS_ATTR_VENDOR_SPECIFIC);
	assert_int_equal(radius_das_parse(&p, "other", 5, &d), RADIUS_ERR_MA_BAD);

	/* The ACK, signed over the request's authenticator, verifies as a response. */
	assert_int_equal(radius_das_response_encode(RADIUS_CODE_COA_ACK, 33, p.auth, 0, SECRET,
	                                            SECRET_LEN, rep, sizeof(rep), &k),
	                 RADIUS_OK);
	struct radius_pkt q;
	assert_int_equal(radius_decode(rep, k, &q), RADIUS_OK);
	assert_int_equal(q.code, RADIUS_CODE_COA_ACK);
	assert_int_equal(radius_verify_response_auth(&q, p.auth, SECRET, SECRET_LEN), RADIUS_OK);
	assert_int_equal(radius_verify_ma(&q, p.auth, SECRET, SECRET_LEN), RADIUS_OK);
	assert_int_equal(radius_das_response_encode(RADIUS_CODE_DISCONNECT_NAK, 33, p.auth, 503,
	                                            SECRET, SECRET_LEN, rep, sizeof(rep), &k),
	                 RADIUS_OK);
	assert_int_equal(radius_decode(rep, k, &q), RADIUS_OK);
	assert_int_equal(q.count[RADIUS_ATTR_ERROR_CAUSE], 1);
	assert_int_equal(radius_das_response_encode(RADIUS_CODE_COA_REQUEST, 33, p.auth, 0, SECRET,
	                                            SECRET_LEN, rep, sizeof(rep), &k),
	                 RADIUS_ERR_ARG);

	/* Without M-A the Request Authenticator alone protects it (RFC 5176 §3). */
	n = mk_das(buf, RADIUS_CODE_DISCONNECT_REQUEST, false, coa, 1);
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(radius_das_parse(&p, SECRET, SECRET_LEN, &d), RADIUS_OK);
	assert_false(d.has_ma);
	buf[n - 1] ^= 1;
	assert_int_equal(radius_das_parse(&p, SECRET, SECRET_LEN, &d), RADIUS_ERR_AUTHENTICATOR);
	n = mk_das(buf, RADIUS_CODE_COA_REQUEST, true, bad_mac, 1);
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(radius_das_parse(&p, SECRET, SECRET_LEN, &d), RADIUS_ERR_VALUE);
	n = mk_das(buf, RADIUS_CODE_COA_REQUEST, true, two_user, 2);
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(radius_das_parse(&p, SECRET, SECRET_LEN, &d), RADIUS_ERR_DUP);
	n = mk_das(buf, RADIUS_CODE_COA_REQUEST, true, user, 2);
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(radius_das_parse(&p, SECRET, SECRET_LEN, &d), RADIUS_ERR_PROXY_STATE);
	n = mk_das(buf, RADIUS_CODE_ACCOUNTING_REQUEST, true, user, 1);
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(radius_das_parse(&p, SECRET, SECRET_LEN, &d), RADIUS_ERR_CODE);
}

static void test_status_server(void **state)
{
	uint8_t buf[64];
	struct radius_pkt p;
	size_t n;

	(void)state;
	assert_int_equal(radius_status_server_encode(3, ra_seq, "sw1", SECRET, SECRET_LEN, buf,
	                                             sizeof(buf), &n),
	                 RADIUS_OK);
	assert_int_equal(n, 20 + 18 + 5);
	assert_int_equal(radius_decode(buf, n, &p), RADIUS_OK);
	assert_int_equal(p.code, RADIUS_CODE_STATUS_SERVER);
	assert_memory_equal(p.auth, ra_seq, 16); /* random, untouched by signing */
	assert_int_equal(p.ma_index, 0);
	assert_int_equal(radius_verify_ma(&p, ra_seq, SECRET, SECRET_LEN), RADIUS_OK);
	assert_int_equal(
	        radius_status_server_encode(3, ra_seq, NULL, SECRET, SECRET_LEN, buf, 37, &n),
	        RADIUS_ERR_NO_SPACE);
}

static void test_mac_and_password(void **state)
{
	char s[RADIUS_MAC_STR_LEN];
	uint8_t mac[6], hidden[RADIUS_PASSWORD_MAX], pw[RADIUS_PASSWORD_MAX];
	uint8_t long_pw[RADIUS_PASSWORD_MAX];
	size_t n, m;

	(void)state;
	radius_mac_format(calling, s);
	assert_string_equal(s, "00-10-A4-23-19-C0");
	assert_true(radius_mac_parse((const uint8_t *)"00-10-A4-23-19-C0", 17, mac));
	assert_memory_equal(mac, calling, 6);
	assert_true(radius_mac_parse((const uint8_t *)"0010.a423.19c0", 14, mac));
	assert_memory_equal(mac, calling, 6);
	assert_true(radius_mac_parse((const uint8_t *)"0010a42319c0", 12, mac));
	assert_memory_equal(mac, calling, 6);
	assert_false(radius_mac_parse((const uint8_t *)"0010a42319c", 11, mac));
	assert_false(radius_mac_parse((const uint8_t *)"0010a42319c0f", 13, mac));
	assert_false(radius_mac_parse((const uint8_t *)"00 10a42319c0", 13, mac));

	/* 128 bytes: eight chained blocks, and back. */
	for (size_t i = 0; i < sizeof(long_pw); i++)
		long_pw[i] = (uint8_t)('a' + i % 26);
	assert_int_equal(radius_password_hide(SECRET, SECRET_LEN, ra_seq, long_pw, sizeof(long_pw),
	                                      hidden, &n),
	                 RADIUS_OK);
	assert_int_equal(n, 128);
	assert_int_equal(radius_password_unhide(SECRET, SECRET_LEN, ra_seq, hidden, n, pw, &m),
	                 RADIUS_OK);
	assert_int_equal(m, 128);
	assert_memory_equal(pw, long_pw, 128);
	assert_int_equal(radius_password_hide(SECRET, SECRET_LEN, ra_seq, long_pw, 0, hidden, &n),
	                 RADIUS_ERR_ARG);
	assert_int_equal(radius_password_unhide(SECRET, SECRET_LEN, ra_seq, hidden, 17, pw, &m),
	                 RADIUS_ERR_VALUE);
	assert_string_equal(radius_err_name(RADIUS_ERR_MA_MISSING),
	                    "missing Message-Authenticator");
	assert_string_equal(radius_err_name(RADIUS_ERR_COUNT), "?");
	assert_string_equal(radius_code_name(RADIUS_CODE_COA_NAK), "CoA-NAK");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc2865_example),
	        cmocka_unit_test(test_access_request_kat),
	        cmocka_unit_test(test_access_request_args),
	        cmocka_unit_test(test_eap_fragmentation),
	        cmocka_unit_test(test_accept_kat),
	        cmocka_unit_test(test_reply_blastradius),
	        cmocka_unit_test(test_reply_duplicates_and_values),
	        cmocka_unit_test(test_tunnel_vlan),
	        cmocka_unit_test(test_decode_structure),
	        cmocka_unit_test(test_accounting),
	        cmocka_unit_test(test_das),
	        cmocka_unit_test(test_status_server),
	        cmocka_unit_test(test_mac_and_password),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
