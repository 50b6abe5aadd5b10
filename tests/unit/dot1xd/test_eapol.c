/*
 * EAPOL and EAP codecs (daemons/dot1xd/eapol.c): eapol.c's wire examples byte for byte, any
 * EAPOL version accepted, Body Length trusted over padding but bounded by the frame, ignored
 * packet types, EAP header rules (RFC 3748 §4), MD5-Challenge parse/encode with an RFC 1994
 * response value checked against Python's hashlib, Nak.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/dot1xd/dot1xd.h"

static const uint8_t pae[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x03};
static const uint8_t sup[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

static void test_start_frame_example(void **state)
{
	uint8_t want[60] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x03, 0x02, 0x00, 0x00,
	                    0x00, 0x00, 0x01, 0x88, 0x8e, 0x01, 0x01, 0x00, 0x00};
	uint8_t buf[64];
	struct eapol_frame f;
	size_t n;

	(void)state;
	assert_int_equal(
	        eapol_frame_encode(pae, sup, 1, EAPOL_TYPE_START, NULL, 0, buf, sizeof(buf), &n),
	        EAPOL_OK);
	assert_int_equal(n, 60);
	assert_memory_equal(buf, want, 60);
	assert_int_equal(eapol_frame_decode(want, sizeof(want), &f), EAPOL_OK);
	assert_true(f.pae_group);
	assert_memory_equal(f.src, sup, 6);
	assert_int_equal(f.pkt.version, 1);
	assert_int_equal(f.pkt.type, EAPOL_TYPE_START);
	assert_int_equal(f.pkt.body_len, 0);
	/* Unicast destination (multiple-supplicant mode), group source, other EtherType. */
	want[0] = 0x02;
	assert_int_equal(eapol_frame_decode(want, sizeof(want), &f), EAPOL_OK);
	assert_false(f.pae_group);
	want[0] = 0x01;
	want[5] = 0x10;
	assert_int_equal(eapol_frame_decode(want, sizeof(want), &f), EAPOL_OK);
	assert_false(f.pae_group);
	want[5] = 0x00; /* 802.1X-2010 bridge group address */
	assert_int_equal(eapol_frame_decode(want, sizeof(want), &f), EAPOL_OK);
	assert_true(f.pae_group);
	want[6] = 0x01;
	assert_int_equal(eapol_frame_decode(want, sizeof(want), &f), EAPOL_ERR_SRC);
	want[6] = 0x02;
	want[13] = 0x8f;
	assert_int_equal(eapol_frame_decode(want, sizeof(want), &f), EAPOL_ERR_ETHERTYPE);
	assert_int_equal(eapol_frame_decode(want, 17, &f), EAPOL_ERR_ETHERTYPE);
	assert_int_equal(eapol_frame_decode(want, 13, &f), EAPOL_ERR_SHORT);
	want[13] = 0x8e;
	assert_int_equal(eapol_frame_decode(want, 17, &f), EAPOL_ERR_SHORT);
	assert_int_equal(eapol_frame_encode(pae, sup, 1, EAPOL_TYPE_START, NULL, 0, buf, 59, &n),
	                 EAPOL_ERR_NO_SPACE);
}

static void test_request_identity_example(void **state)
{
	static const uint8_t want[9] = {0x02, 0x00, 0x00, 0x05, 0x01, 0x01, 0x00, 0x05, 0x01};
	uint8_t eap[16], buf[32];
	struct eapol_pkt p;
	struct eap_pkt e;
	size_t n, m;

	(void)state;
	assert_int_equal(
	        eap_encode(EAP_CODE_REQUEST, 1, EAP_TYPE_IDENTITY, NULL, 0, eap, sizeof(eap), &n),
	        EAP_OK);
	assert_int_equal(eapol_encode(EAPOL_VERSION, EAPOL_TYPE_EAP, eap, n, buf, sizeof(buf), &m),
	                 EAPOL_OK);
	assert_int_equal(m, sizeof(want));
	assert_memory_equal(buf, want, m);
	assert_int_equal(eapol_decode(want, sizeof(want), &p), EAPOL_OK);
	assert_int_equal(p.body_len, 5);
	assert_int_equal(eap_decode(p.body, p.body_len, &e), EAP_OK);
	assert_int_equal(e.code, EAP_CODE_REQUEST);
	assert_int_equal(e.id, 1);
	assert_int_equal(e.type, EAP_TYPE_IDENTITY);
	assert_int_equal(e.data_len, 0);
	assert_int_equal(eapol_encode(2, 0, eap, n, buf, 8, &m), EAPOL_ERR_NO_SPACE);
}

static void test_eapol_versions_and_lengths(void **state)
{
	/* Response/Identity "bob", version 3, padded with 10 zero bytes. */
	uint8_t f[] = {0x03, 0x00, 0x00, 0x08, 0x02, 0x07, 0x00, 0x08, 0x01, 'b', 'o',
	               'b',  0,    0,    0,    0,    0,    0,    0,    0,    0,   0};
	struct eapol_pkt p;
	struct eap_pkt e;
	const uint8_t *id;
	size_t idlen;

	(void)state;
	for (int v = 0; v < 256; v += 51) {
		f[0] = (uint8_t)v;
		assert_int_equal(eapol_decode(f, sizeof(f), &p), EAPOL_OK);
		assert_int_equal(p.version, v);
	}
	assert_int_equal(p.body_len, 8);
	assert_int_equal(eap_decode(p.body, p.body_len, &e), EAP_OK);
	assert_int_equal(e.id, 7);
	assert_int_equal(e.data_len, 3);
	assert_memory_equal(e.data, "bob", 3);
	assert_int_equal(eap_identity_parse(&e, &id, &idlen), EAP_OK);
	assert_int_equal(idlen, 3);
	assert_memory_equal(id, "bob", 3);
	f[10] = 0; /* "b\0b": cut at the NUL */
	assert_int_equal(eapol_decode(f, sizeof(f), &p), EAPOL_OK);
	assert_int_equal(eap_decode(p.body, p.body_len, &e), EAP_OK);
	assert_int_equal(eap_identity_parse(&e, &id, &idlen), EAP_OK);
	assert_int_equal(idlen, 1);
	f[10] = 'o';
	f[4] = EAP_CODE_REQUEST; /* a Request/Identity is not an identity */
	assert_int_equal(eap_decode(p.body, p.body_len, &e), EAP_OK);
	assert_int_equal(eap_identity_parse(&e, &id, &idlen), EAP_ERR_NOT_TYPE);
	f[4] = EAP_CODE_RESPONSE;
	/* Body Length past the frame; fewer than 4 bytes. */
	assert_int_equal(eapol_decode(f, 11, &p), EAPOL_ERR_BODY_LEN);
	assert_int_equal(p.body_len, 0);
	assert_int_equal(eapol_decode(f, 3, &p), EAPOL_ERR_SHORT);
	assert_int_equal(eapol_decode(NULL, 0, &p), EAPOL_ERR_SHORT);
	/* EAP length beyond Body Length (inside the padding) is malformed. */
	f[7] = 0x09;
	assert_int_equal(eapol_decode(f, sizeof(f), &p), EAPOL_ERR_EAP);
	f[7] = 0x08;
	/* Key, ASF-Alert, MKA, announcements, unknown: decoded but ignored. */
	for (int t = EAPOL_TYPE_KEY; t < 256; t += 17) {
		f[1] = (uint8_t)t;
		assert_int_equal(eapol_decode(f, sizeof(f), &p), EAPOL_ERR_IGNORED);
		assert_int_equal(p.type, t);
	}
	/* Start and Logoff may carry a body (ignored by the PAE, still bounded). */
	f[1] = EAPOL_TYPE_LOGOFF;
	assert_int_equal(eapol_decode(f, sizeof(f), &p), EAPOL_OK);
	f[1] = EAPOL_TYPE_START;
	f[3] = 0x20;
	assert_int_equal(eapol_decode(f, sizeof(f), &p), EAPOL_ERR_BODY_LEN);
	assert_string_equal(eapol_type_name(EAPOL_TYPE_MKA), "MKA");
	assert_string_equal(eapol_type_name(200), "unknown");
	assert_string_equal(eapol_err_name(EAPOL_ERR_IGNORED), "ignored packet type");
}

static void test_eap_header(void **state)
{
	uint8_t b[8] = {EAP_CODE_SUCCESS, 9, 0, 4, 0, 0, 0, 0};
	struct eap_pkt e;
	size_t n;
	uint8_t out[8];

	(void)state;
	assert_int_equal(eap_decode(b, 8, &e), EAP_OK); /* trailing padding ignored */
	assert_int_equal(e.length, 4);
	assert_int_equal(e.type, 0);
	b[0] = EAP_CODE_FAILURE;
	assert_int_equal(eap_decode(b, 4, &e), EAP_OK);
	b[3] = 5;
	assert_int_equal(eap_decode(b, 8, &e), EAP_ERR_SUCCESS);
	b[3] = 3;
	assert_int_equal(eap_decode(b, 8, &e), EAP_ERR_LENGTH);
	b[3] = 9;
	assert_int_equal(eap_decode(b, 8, &e), EAP_ERR_LENGTH);
	b[0] = EAP_CODE_REQUEST;
	b[3] = 4;
	assert_int_equal(eap_decode(b, 8, &e), EAP_ERR_NO_TYPE);
	b[0] = 0;
	assert_int_equal(eap_decode(b, 8, &e), EAP_ERR_CODE);
	b[0] = 5;
	assert_int_equal(eap_decode(b, 8, &e), EAP_ERR_CODE);
	assert_int_equal(eap_decode(b, 3, &e), EAP_ERR_SHORT);
	assert_int_equal(
	        eap_encode(EAP_CODE_FAILURE, 9, 77, (const uint8_t *)"x", 1, out, sizeof(out), &n),
	        EAP_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(out, "\x04\x09\x00\x04", 4);
	assert_int_equal(eap_encode(0, 9, 1, NULL, 0, out, sizeof(out), &n), EAP_ERR_ARG);
	assert_int_equal(
	        eap_encode(EAP_CODE_RESPONSE, 9, 1, (const uint8_t *)"abcd", 4, out, 8, &n),
	        EAP_ERR_NO_SPACE);
	assert_string_equal(eap_code_name(EAP_CODE_SUCCESS), "Success");
	assert_string_equal(eap_err_name(EAP_ERR_MD5), "bad MD5-Challenge");
}

static void test_md5_challenge(void **state)
{
	/* hashlib.md5(bytes([1]) + b"hello" + bytes(range(16, 32))).digest() in Python 3.11. */
	static const uint8_t want[16] = {0x28, 0x54, 0x6d, 0xa3, 0x53, 0x57, 0x1e, 0x48,
	                                 0xaa, 0x89, 0x4e, 0xcc, 0x92, 0xb9, 0xb3, 0x6b};
	uint8_t chal[16], resp[16], buf[64];
	const uint8_t *v, *name;
	size_t vl, nl, n;
	struct eap_pkt e;

	(void)state;
	for (int i = 0; i < 16; i++)
		chal[i] = (uint8_t)(16 + i);
	assert_int_equal(eap_md5_response_value(1, "hello", 5, chal, 16, resp), 0);
	assert_memory_equal(resp, want, 16);

	assert_int_equal(eap_md5_encode(EAP_CODE_REQUEST, 1, chal, 16, (const uint8_t *)"sw1", 3,
	                                buf, sizeof(buf), &n),
	                 EAP_OK);
	assert_int_equal(n, 4 + 1 + 1 + 16 + 3);
	assert_int_equal(buf[4], EAP_TYPE_MD5);
	assert_int_equal(buf[5], 16);
	assert_int_equal(eap_decode(buf, n, &e), EAP_OK);
	assert_int_equal(eap_md5_parse(&e, &v, &vl, &name, &nl), EAP_OK);
	assert_int_equal(vl, 16);
	assert_memory_equal(v, chal, 16);
	assert_int_equal(nl, 3);
	assert_memory_equal(name, "sw1", 3);
	/* Value-Size 0, past the data; not MD5 at all. */
	buf[5] = 0;
	assert_int_equal(eap_decode(buf, n, &e), EAP_OK);
	assert_int_equal(eap_md5_parse(&e, &v, &vl, &name, &nl), EAP_ERR_MD5);
	buf[5] = 20;
	assert_int_equal(eap_md5_parse(&e, &v, &vl, &name, &nl), EAP_ERR_MD5);
	buf[5] = 19; /* exactly the rest: no name */
	assert_int_equal(eap_md5_parse(&e, &v, &vl, &name, &nl), EAP_OK);
	assert_int_equal(nl, 0);
	buf[4] = EAP_TYPE_IDENTITY;
	assert_int_equal(eap_decode(buf, n, &e), EAP_OK);
	assert_int_equal(eap_md5_parse(&e, &v, &vl, &name, &nl), EAP_ERR_NOT_TYPE);
	assert_int_equal(
	        eap_md5_encode(EAP_CODE_SUCCESS, 1, chal, 16, NULL, 0, buf, sizeof(buf), &n),
	        EAP_ERR_ARG);
	assert_int_equal(
	        eap_md5_encode(EAP_CODE_RESPONSE, 1, chal, 0, NULL, 0, buf, sizeof(buf), &n),
	        EAP_ERR_ARG);
}

static void test_nak(void **state)
{
	static const uint8_t want[6] = {0x02, 0x04, 0x00, 0x06, 0x03, 0x04};
	static const uint8_t md5 = EAP_TYPE_MD5, bad = EAP_TYPE_NAK;
	uint8_t buf[16];
	size_t n;

	(void)state;
	assert_int_equal(eap_nak_encode(4, &md5, 1, buf, sizeof(buf), &n), EAP_OK);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, n);
	assert_int_equal(eap_nak_encode(4, NULL, 0, buf, sizeof(buf), &n), EAP_OK);
	assert_int_equal(n, 6);
	assert_int_equal(buf[5], 0);
	assert_int_equal(eap_nak_encode(4, &bad, 1, buf, sizeof(buf), &n), EAP_ERR_ARG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_start_frame_example),
	        cmocka_unit_test(test_request_identity_example),
	        cmocka_unit_test(test_eapol_versions_and_lengths),
	        cmocka_unit_test(test_eap_header),
	        cmocka_unit_test(test_md5_challenge),
	        cmocka_unit_test(test_nak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
