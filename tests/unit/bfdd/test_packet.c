/*
 * bfdd control packet codec (daemons/bfdd/packet.c): the wire example of packet.c byte for
 * byte, round trips with and without each authentication section, every drop reason of
 * RFC 5880 §6.8.6 that needs no session (and keel's structural ones), the RFC's check
 * order, truncations, trailing bytes, and an encoder that refuses what a receiver drops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/bfdd/bfdd.h"

static void fill(struct bfd_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->diag = BFD_DIAG_NONE;
	p->state = BFD_STATE_UP;
	p->detect_mult = 3;
	p->my_disc = 0x11223344;
	p->your_disc = 0x55667788;
	p->desired_min_tx = 300000;
	p->required_min_rx = 250000;
	p->required_min_echo_rx = 50000;
}

static size_t enc(const struct bfd_pkt *p, uint8_t *buf)
{
	size_t n = 0;

	assert_int_equal(bfd_encode(p, buf, BFD_PKT_MAX, &n), 0);
	return n;
}

/* packet.c's example: keel's first packet (Down, mult 3, 1 s tx, 300 ms rx). */
static void test_wire_example(void **state)
{
	static const uint8_t want[24] = {0x20, 0x40, 0x03, 0x18, 0xca, 0xfe, 0xba, 0xbe,
	                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x42, 0x40,
	                                 0x00, 0x04, 0x93, 0xe0, 0x00, 0x00, 0x00, 0x00};
	struct bfd_pkt p, q;
	uint8_t buf[BFD_PKT_MAX];

	memset(&p, 0, sizeof(p));
	p.state = BFD_STATE_DOWN;
	p.detect_mult = 3;
	p.my_disc = 0xcafebabe;
	p.desired_min_tx = 1000000;
	p.required_min_rx = 300000;
	assert_int_equal(enc(&p, buf), 24);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(bfd_decode(want, sizeof(want), &q), BFD_DROP_NONE);
	assert_int_equal(q.version, 1);
	assert_int_equal(q.state, BFD_STATE_DOWN);
	assert_int_equal(q.length, 24);
	assert_int_equal(q.my_disc, 0xcafebabe);
	assert_int_equal(q.your_disc, 0);
	assert_int_equal(q.desired_min_tx, 1000000);
	assert_int_equal(q.required_min_rx, 300000);
}

/* §4.1: every field survives encode -> decode, each flag bit separately. */
static void test_roundtrip_fields(void **state)
{
	static const uint8_t flags[] = {0,
	                                BFD_FLAG_POLL,
	                                BFD_FLAG_FINAL,
	                                BFD_FLAG_CPI,
	                                BFD_FLAG_DEMAND,
	                                BFD_FLAG_CPI | BFD_FLAG_DEMAND};
	uint8_t buf[BFD_PKT_MAX];
	struct bfd_pkt p, q;

	for (unsigned f = 0; f < sizeof(flags); f++)
		for (unsigned st = 0; st < BFD_STATE_COUNT; st++)
			for (unsigned d = 0; d < 32; d += 5) {
				fill(&p);
				p.flags = flags[f];
				p.state = (uint8_t)st;
				p.diag = (uint8_t)d;
				p.detect_mult = (uint8_t)(1 + d * 8);
				size_t n = enc(&p, buf);
				assert_int_equal(bfd_decode(buf, n, &q), BFD_DROP_NONE);
				assert_int_equal(q.flags, p.flags);
				assert_int_equal(q.state, p.state);
				assert_int_equal(q.diag, p.diag);
				assert_int_equal(q.detect_mult, p.detect_mult);
				assert_int_equal(q.my_disc, p.my_disc);
				assert_int_equal(q.your_disc, p.your_disc);
				assert_int_equal(q.desired_min_tx, p.desired_min_tx);
				assert_int_equal(q.required_min_rx, p.required_min_rx);
				assert_int_equal(q.required_min_echo_rx, p.required_min_echo_rx);
			}
}

/* §4.2-4.4: each authentication section type and its exact length. */
static void test_roundtrip_auth(void **state)
{
	uint8_t buf[BFD_PKT_MAX];
	struct bfd_pkt p, q;

	for (unsigned pw = 1; pw <= 16; pw++) {
		fill(&p);
		p.flags = BFD_FLAG_AUTH;
		p.auth_type = BFD_AUTH_SIMPLE;
		p.auth_key_id = (uint8_t)pw;
		p.auth_data_len = (uint8_t)pw;
		memset(p.auth_data, 'a' + (int)pw, pw);
		size_t n = enc(&p, buf);
		assert_int_equal(n, 24 + 3 + pw);
		assert_int_equal(buf[25], 3 + pw);
		assert_int_equal(bfd_decode(buf, n, &q), BFD_DROP_NONE);
		assert_int_equal(q.auth_type, BFD_AUTH_SIMPLE);
		assert_int_equal(q.auth_key_id, pw);
		assert_int_equal(q.auth_data_len, pw);
		assert_memory_equal(q.auth_data, p.auth_data, pw);
	}
	for (unsigned t = BFD_AUTH_KEYED_MD5; t <= BFD_AUTH_MET_KEYED_SHA1; t++) {
		size_t dlen = t <= BFD_AUTH_MET_KEYED_MD5 ? 16 : 20;

		fill(&p);
		p.flags = BFD_FLAG_AUTH;
		p.auth_type = (uint8_t)t;
		p.auth_key_id = 200;
		p.auth_seq = 0xdeadbeef;
		p.auth_data_len = (uint8_t)dlen;
		for (size_t i = 0; i < dlen; i++)
			p.auth_data[i] = (uint8_t)(i * 7 + t);
		size_t n = enc(&p, buf);
		assert_int_equal(n, 24 + 8 + dlen);
		assert_int_equal(buf[3], n);
		assert_int_equal(buf[27], 0); /* reserved */
		assert_int_equal(bfd_decode(buf, n, &q), BFD_DROP_NONE);
		assert_int_equal(q.auth_type, t);
		assert_int_equal(q.auth_len, 8 + dlen);
		assert_int_equal(q.auth_key_id, 200);
		assert_int_equal(q.auth_seq, 0xdeadbeef);
		assert_int_equal(q.auth_data_len, dlen);
		assert_memory_equal(q.auth_data, p.auth_data, dlen);
		/* §4.3: Reserved is ignored on receipt. */
		buf[27] = 0xff;
		assert_int_equal(bfd_decode(buf, n, &q), BFD_DROP_NONE);
	}
}

static enum bfd_drop dec(const uint8_t *buf, size_t n)
{
	struct bfd_pkt q;

	return bfd_decode(buf, n, &q);
}

/* A valid no-auth packet in buf; returns 24. */
static size_t good(uint8_t *buf, uint8_t state)
{
	struct bfd_pkt p;

	fill(&p);
	p.state = state;
	return enc(&p, buf);
}

/* A valid keyed-SHA1 packet in buf; returns 52. */
static size_t good_sha1(uint8_t *buf)
{
	struct bfd_pkt p;

	fill(&p);
	p.flags = BFD_FLAG_AUTH;
	p.auth_type = BFD_AUTH_KEYED_SHA1;
	p.auth_data_len = 20;
	return enc(&p, buf);
}

static void test_drop_truncated(void **state)
{
	uint8_t buf[BFD_PKT_MAX];

	good(buf, BFD_STATE_UP);
	for (size_t n = 0; n < 4; n++)
		assert_int_equal(dec(buf, n), BFD_DROP_TRUNCATED);
	assert_int_equal(dec(NULL, 0), BFD_DROP_TRUNCATED);
}

/* §6.8.6: "If the version number is not correct (1), the packet MUST be discarded." */
static void test_drop_version(void **state)
{
	uint8_t buf[BFD_PKT_MAX];

	for (unsigned v = 0; v < 8; v++) {
		size_t n = good(buf, BFD_STATE_UP);

		buf[0] = (uint8_t)(v << 5 | (buf[0] & 0x1f));
		assert_int_equal(dec(buf, n), v == 1 ? BFD_DROP_NONE : BFD_DROP_VERSION);
	}
}

/* §6.8.6: Length < 24 (A clear) or < 26 (A set); Length > payload. */
static void test_drop_length(void **state)
{
	uint8_t buf[BFD_PKT_MAX];
	size_t n;

	for (unsigned l = 0; l < 24; l++) {
		n = good(buf, BFD_STATE_UP);
		buf[3] = (uint8_t)l;
		assert_int_equal(dec(buf, n), BFD_DROP_LENGTH);
	}
	/* With A set, 24 and 25 are too short to hold Auth Type and Auth Len. */
	for (unsigned l = 24; l < 26; l++) {
		n = good_sha1(buf);
		buf[3] = (uint8_t)l;
		assert_int_equal(dec(buf, n), BFD_DROP_LENGTH);
	}
	n = good(buf, BFD_STATE_UP);
	assert_int_equal(dec(buf, n - 1), BFD_DROP_LENGTH_PAYLOAD);
	buf[3] = 25;
	assert_int_equal(dec(buf, 24), BFD_DROP_LENGTH_PAYLOAD);
	n = good_sha1(buf);
	for (size_t cut = 4; cut < n; cut++)
		assert_int_equal(dec(buf, cut), BFD_DROP_LENGTH_PAYLOAD);
	buf[3] = 255;
	assert_int_equal(dec(buf, n), BFD_DROP_LENGTH_PAYLOAD);
}

/* Bytes after Length are not part of the packet (§6.8.6 only bounds Length by the payload). */
static void test_trailing_ignored(void **state)
{
	uint8_t buf[BFD_PKT_MAX + 16];
	size_t n;

	memset(buf, 0xee, sizeof(buf));
	n = good(buf, BFD_STATE_UP);
	assert_int_equal(dec(buf, n + 16), BFD_DROP_NONE);
	n = good_sha1(buf);
	assert_int_equal(dec(buf, n + 16), BFD_DROP_NONE);
}

/* §6.8.6: Detect Mult zero; Multipoint set; My Discriminator zero. */
static void test_drop_mult_m_mydisc(void **state)
{
	uint8_t buf[BFD_PKT_MAX];
	size_t n;

	n = good(buf, BFD_STATE_UP);
	buf[2] = 0;
	assert_int_equal(dec(buf, n), BFD_DROP_MULT_ZERO);
	n = good(buf, BFD_STATE_UP);
	buf[1] |= BFD_FLAG_MULTIPOINT;
	assert_int_equal(dec(buf, n), BFD_DROP_MULTIPOINT);
	n = good(buf, BFD_STATE_UP);
	memset(buf + 4, 0, 4);
	assert_int_equal(dec(buf, n), BFD_DROP_MY_DISC_ZERO);
}

/* §6.8.6: Your Discriminator zero only when State is Down or AdminDown. */
static void test_drop_your_disc_zero(void **state)
{
	uint8_t buf[BFD_PKT_MAX];

	for (unsigned st = 0; st < BFD_STATE_COUNT; st++) {
		size_t n = good(buf, BFD_STATE_DOWN);

		buf[1] = (uint8_t)(st << 6 | (buf[1] & 0x3f));
		memset(buf + 8, 0, 4);
		assert_int_equal(dec(buf, n), st == BFD_STATE_INIT || st == BFD_STATE_UP
		                                      ? BFD_DROP_YOUR_DISC_ZERO
		                                      : BFD_DROP_NONE);
	}
}

/* §6.5: a packet MUST NOT have both P and F. */
static void test_drop_poll_final(void **state)
{
	uint8_t buf[BFD_PKT_MAX];
	size_t n = good(buf, BFD_STATE_UP);

	buf[1] |= BFD_FLAG_POLL | BFD_FLAG_FINAL;
	assert_int_equal(dec(buf, n), BFD_DROP_POLL_FINAL);
}

/* A bit <-> authentication section: type known, Auth Len per type, Length = 24 + Auth Len. */
static void test_drop_auth_shape(void **state)
{
	uint8_t buf[BFD_PKT_MAX + 8];
	size_t n;

	/* A clear but more than the mandatory section in Length. */
	n = good_sha1(buf);
	buf[1] &= (uint8_t)~BFD_FLAG_AUTH;
	assert_int_equal(dec(buf, n), BFD_DROP_AUTH_LEN);
	/* Unknown types. */
	for (unsigned t = 0; t < 256; t++) {
		if (t >= BFD_AUTH_SIMPLE && t <= BFD_AUTH_MET_KEYED_SHA1)
			continue;
		n = good_sha1(buf);
		buf[24] = (uint8_t)t;
		assert_int_equal(dec(buf, n), BFD_DROP_AUTH_TYPE);
	}
	/* Every Auth Len against every type, with Length kept consistent. */
	for (unsigned t = BFD_AUTH_SIMPLE; t <= BFD_AUTH_MET_KEYED_SHA1; t++)
		for (unsigned al = 2; al <= 28; al++) {
			bool ok = t == BFD_AUTH_SIMPLE          ? al >= 4 && al <= 19
			          : t <= BFD_AUTH_MET_KEYED_MD5 ? al == 24
			                                        : al == 28;

			n = good_sha1(buf);
			buf[24] = (uint8_t)t;
			buf[25] = (uint8_t)al;
			buf[3] = (uint8_t)(24 + al);
			assert_int_equal(dec(buf, 24 + al), ok ? BFD_DROP_NONE : BFD_DROP_AUTH_LEN);
		}
	/* Auth Len disagreeing with Length. */
	n = good_sha1(buf);
	buf[25] = 24;
	assert_int_equal(dec(buf, n), BFD_DROP_AUTH_LEN);
	n = good_sha1(buf);
	buf[25] = 29;
	assert_int_equal(dec(buf, n), BFD_DROP_AUTH_LEN);
}

/* §6.8.6 order: the first failing rule is the one counted. */
static void test_check_order(void **state)
{
	uint8_t buf[BFD_PKT_MAX];
	size_t n = good(buf, BFD_STATE_UP);

	buf[0] = 0x40;                 /* version 2 */
	buf[1] |= BFD_FLAG_MULTIPOINT; /* and M */
	buf[2] = 0;                    /* and mult 0 */
	buf[3] = 10;                   /* and short */
	assert_int_equal(dec(buf, n), BFD_DROP_VERSION);
	buf[0] = 0x20;
	assert_int_equal(dec(buf, n), BFD_DROP_LENGTH);
	buf[3] = 24;
	assert_int_equal(dec(buf, n), BFD_DROP_MULT_ZERO);
	buf[2] = 3;
	memset(buf + 4, 0, 8); /* my and your discriminator 0 */
	assert_int_equal(dec(buf, n), BFD_DROP_MULTIPOINT);
	buf[1] &= (uint8_t)~BFD_FLAG_MULTIPOINT;
	assert_int_equal(dec(buf, n), BFD_DROP_MY_DISC_ZERO);
	buf[4] = 1;
	assert_int_equal(dec(buf, n), BFD_DROP_YOUR_DISC_ZERO);
}

/* The encoder refuses what a receiver would drop. */
static void test_encode_refuses(void **state)
{
	uint8_t buf[BFD_PKT_MAX];
	struct bfd_pkt p;
	size_t n;

	fill(&p);
	assert_int_equal(bfd_encode(&p, buf, 23, &n), -1);
	assert_int_equal(n, 0);
	fill(&p);
	p.detect_mult = 0;
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), -1);
	fill(&p);
	p.my_disc = 0;
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), -1);
	fill(&p);
	p.your_disc = 0;
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), -1);
	p.state = BFD_STATE_DOWN;
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), 0);
	fill(&p);
	p.flags = BFD_FLAG_MULTIPOINT;
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), -1);
	fill(&p);
	p.flags = BFD_FLAG_POLL | BFD_FLAG_FINAL;
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), -1);
	fill(&p);
	p.diag = 32;
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), -1);
	fill(&p);
	p.flags = BFD_FLAG_AUTH;
	p.auth_type = BFD_AUTH_SIMPLE;
	p.auth_data_len = 17;
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), -1);
	p.auth_data_len = 0;
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), -1);
	p.auth_type = BFD_AUTH_KEYED_MD5;
	p.auth_data_len = 20;
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), -1);
	p.auth_type = 6;
	assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), -1);
	p.auth_type = BFD_AUTH_MET_KEYED_SHA1;
	assert_int_equal(bfd_encode(&p, buf, 51, &n), -1);
	assert_int_equal(bfd_encode(&p, buf, 52, &n), 0);
	assert_int_equal(n, 52);
}

static void test_names(void **state)
{
	for (int d = 0; d < BFD_DROP_COUNT; d++)
		assert_string_not_equal(bfd_drop_name((enum bfd_drop)d), "?");
	for (int d = 0; d < BFD_DIAG_COUNT; d++)
		assert_string_not_equal(bfd_diag_name((enum bfd_diag)d), "?");
	assert_string_equal(bfd_state_name(BFD_STATE_ADMIN_DOWN), "AdminDown");
	assert_string_equal(bfd_state_name(BFD_STATE_UP), "Up");
	assert_string_equal(bfd_state_name(BFD_STATE_COUNT), "?");
	assert_string_equal(bfd_auth_type_name(BFD_AUTH_MET_KEYED_SHA1), "meticulous-keyed-sha-1");
	assert_string_equal(bfd_drop_name(BFD_DROP_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_wire_example),
	        cmocka_unit_test(test_roundtrip_fields),
	        cmocka_unit_test(test_roundtrip_auth),
	        cmocka_unit_test(test_drop_truncated),
	        cmocka_unit_test(test_drop_version),
	        cmocka_unit_test(test_drop_length),
	        cmocka_unit_test(test_trailing_ignored),
	        cmocka_unit_test(test_drop_mult_m_mydisc),
	        cmocka_unit_test(test_drop_your_disc_zero),
	        cmocka_unit_test(test_drop_poll_final),
	        cmocka_unit_test(test_drop_auth_shape),
	        cmocka_unit_test(test_check_order),
	        cmocka_unit_test(test_encode_refuses),
	        cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
