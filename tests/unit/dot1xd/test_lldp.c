/*
 * LLDP decoding for lldp-med-bypass (daemons/dot1xd/lldp.c): lldp.c's wire example byte for
 * byte (a class III phone), padding after End, a frame without End, the mandatory TLVs' order,
 * TLV lengths against the frame and against their types, LLDP-MED Capabilities (once, 7 bytes),
 * other organisations' TLVs skipped, a network device is not an endpoint, TTL 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/dot1xd/dot1xd.h"

/* lldp.c's example, padded to 60 bytes. */
static const uint8_t phone[60] = {
        0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b,
        0x88, 0xcc, 0x02, 0x07, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, /* Chassis ID: MAC */
        0x04, 0x02, 0x07, 0x31,                                           /* Port ID: local "1" */
        0x06, 0x02, 0x00, 0x78,                                           /* TTL 120 */
        0xfe, 0x07, 0x00, 0x12, 0xbb, 0x01, 0x00, 0x33, 0x03,             /* MED caps, class III */
        0x00, 0x00,                                                       /* End */
};
#define PHONE_END 42 /* bytes up to and including End */

static void test_phone_example(void **state)
{
	struct lldp_info l;

	(void)state;
	assert_int_equal(lldp_frame_decode(phone, sizeof(phone), &l), LLDP_OK);
	assert_int_equal(l.src[5], 0x0b);
	assert_int_equal(l.dst[5], 0x0e);
	assert_int_equal(l.ttl, 120);
	assert_true(l.med);
	assert_int_equal(l.med_caps, 0x0033);
	assert_int_equal(l.med_class, LLDP_MED_CLASS_III);
	assert_true(lldp_med_endpoint(&l));
	/* Exactly up to End, and without End when the TLVs fill the frame. */
	assert_int_equal(lldp_frame_decode(phone, PHONE_END, &l), LLDP_OK);
	assert_int_equal(lldp_frame_decode(phone, PHONE_END - 2, &l), LLDP_OK);
	assert_true(l.med);
	/* Cut inside a TLV or its header. */
	assert_int_equal(lldp_frame_decode(phone, PHONE_END - 3, &l), LLDP_ERR_TLV_LEN);
	assert_int_equal(lldp_frame_decode(phone, 15, &l), LLDP_ERR_SHORT);
	assert_int_equal(lldp_frame_decode(phone, 13, &l), LLDP_ERR_SHORT);
	/* Mandatory TLVs only, then End: no MED. */
	assert_int_equal(lldp_frame_decode(phone, 31, &l), LLDP_OK);
	assert_false(l.med);
	assert_false(lldp_med_endpoint(&l));
}

static void test_header_rules(void **state)
{
	uint8_t f[60];
	struct lldp_info l;

	(void)state;
	memcpy(f, phone, sizeof(f));
	f[13] = 0x8e;
	assert_int_equal(lldp_frame_decode(f, sizeof(f), &l), LLDP_ERR_ETHERTYPE);
	memcpy(f, phone, sizeof(f));
	f[6] = 0x03; /* group source */
	assert_int_equal(lldp_frame_decode(f, sizeof(f), &l), LLDP_ERR_SRC);
	/* Port ID before Chassis ID. */
	memcpy(f, phone, sizeof(f));
	f[14] = 0x04;
	assert_int_equal(lldp_frame_decode(f, sizeof(f), &l), LLDP_ERR_MANDATORY);
	/* End before TTL. */
	memcpy(f, phone, sizeof(f));
	memset(f + 27, 0, sizeof(f) - 27);
	assert_int_equal(lldp_frame_decode(f, sizeof(f), &l), LLDP_ERR_MANDATORY);
	/* A TTL of one byte; a Chassis ID of one byte; an End with a length. */
	memcpy(f, phone, sizeof(f));
	f[28] = 0x01;
	assert_int_equal(lldp_frame_decode(f, sizeof(f), &l), LLDP_ERR_TLV_LEN);
	memcpy(f, phone, sizeof(f));
	f[15] = 0x01;
	assert_int_equal(lldp_frame_decode(f, sizeof(f), &l), LLDP_ERR_TLV_LEN);
	memcpy(f, phone, sizeof(f));
	f[41] = 0x01;
	assert_int_equal(lldp_frame_decode(f, sizeof(f), &l), LLDP_ERR_TLV_LEN);
	/* The 9-bit length: 0x1ff bytes claimed in a 60-byte frame. */
	memcpy(f, phone, sizeof(f));
	f[27] = 0x06 | 1;
	f[28] = 0xff;
	assert_int_equal(lldp_frame_decode(f, sizeof(f), &l), LLDP_ERR_TLV_LEN);
}

static void test_med_tlv(void **state)
{
	uint8_t f[80];
	struct lldp_info l;

	(void)state;
	/* TTL 0 (the phone is leaving) still decodes. */
	memcpy(f, phone, sizeof(phone));
	f[29] = f[30] = 0;
	assert_int_equal(lldp_frame_decode(f, sizeof(phone), &l), LLDP_OK);
	assert_int_equal(l.ttl, 0);
	assert_true(lldp_med_endpoint(&l));
	/* A network connectivity device (class 4) and "not defined" (0) are no endpoints. */
	f[29] = 0;
	f[30] = 0x78;
	f[39] = 4;
	assert_int_equal(lldp_frame_decode(f, sizeof(phone), &l), LLDP_OK);
	assert_true(l.med);
	assert_false(lldp_med_endpoint(&l));
	f[39] = 0;
	assert_int_equal(lldp_frame_decode(f, sizeof(phone), &l), LLDP_OK);
	assert_false(lldp_med_endpoint(&l));
	/* Capabilities with 6 bytes: wrong length. */
	memcpy(f, phone, sizeof(phone));
	f[32] = 0x06;
	f[39] = 0x00;
	f[40] = 0x00;
	assert_int_equal(lldp_frame_decode(f, sizeof(phone), &l), LLDP_ERR_TLV_LEN);
	/* Two Capabilities TLVs. */
	memset(f, 0, sizeof(f));
	memcpy(f, phone, 40);
	memcpy(f + 40, phone + 31, 9);
	assert_int_equal(lldp_frame_decode(f, sizeof(f), &l), LLDP_ERR_MED);
	/* Another organisation's TLV with MED's subtype is skipped; so is a MED Network Policy. */
	memcpy(f, phone, sizeof(phone));
	f[35] = 0x80;
	assert_int_equal(lldp_frame_decode(f, sizeof(phone), &l), LLDP_OK);
	assert_false(l.med);
	memcpy(f, phone, sizeof(phone));
	f[36] = 0x02;
	assert_int_equal(lldp_frame_decode(f, sizeof(phone), &l), LLDP_OK);
	assert_false(l.med);
	/* An organisation TLV shorter than OUI + subtype. */
	f[32] = 0x03;
	assert_int_equal(lldp_frame_decode(f, sizeof(phone), &l), LLDP_ERR_TLV_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_phone_example),
	        cmocka_unit_test(test_header_rules),
	        cmocka_unit_test(test_med_tlv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
