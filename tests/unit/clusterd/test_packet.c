/*
 * clusterd heartbeat codec and authentication (daemons/clusterd/packet.c, auth.c): round trips
 * with 0, 1 and 129 RGs, the wire example of packet.c byte for byte, every truncation, oversized
 * and padded datagrams, each malformed TLV, unknown TLVs skipped, duplicates rejected; HMAC with
 * the right key, a wrong key and every single flipped bit; the anti-replay rule (replay, window,
 * forged packets leave the state alone, peer restart, stale sessions), echo-based liveness and
 * key/no-key mismatch. Last a timing line: encode+sign and decode+verify per packet with 2 and
 * 129 RGs, beside the anchor (one-shot HMAC that re-keys per packet).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "daemons/clusterd/clusterd.h"
#include "lib/crypto.h"
#include "lib/log.h"

static const char key_a[] = "cluster-secret-1";
static const char key_b[] = "cluster-secret-2";

static void fill_pkt(struct hb_pkt *p, unsigned n_rg)
{
	memset(p, 0, sizeof(*p));
	p->type = HB_TYPE_CONTROL;
	p->version = HB_VERSION;
	p->cluster_id = 7;
	p->node_id = 1;
	p->link = 1;
	p->coldsync = CL_CS_IN_PROGRESS;
	p->flags = HB_F_CTL0_UP | HB_F_FAB_UP;
	p->seq = 0x0102030405060708ull;
	p->send_time_us = 0x1112131415161718ull;
	p->boot_time_ms = 1700000000000ull;
	p->echo_session = 0xfeedfacecafebeefull;
	p->n_rg = (uint8_t)n_rg;
	for (unsigned i = 0; i < n_rg; i++) {
		/* ids in a scrambled order: the codec must not assume sorted ids */
		p->rg[i] = (struct hb_rg){.id = (uint8_t)((i * 37) % CL_MAX_RG),
		                          .priority = (uint8_t)(1 + i % 254),
		                          .state = (uint8_t)(i % RG_STATE_COUNT),
		                          .weight = (uint8_t)(255 - i),
		                          .mon_fail = (uint16_t)(i * 0x101 & 0x7f),
		                          .flags = (uint8_t)(i & 3)};
	}
}

/* Compares what the wire carries (not the decode-only bookkeeping). */
static void assert_pkt_equal(const struct hb_pkt *a, const struct hb_pkt *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->cluster_id, b->cluster_id);
	assert_int_equal(a->node_id, b->node_id);
	assert_int_equal(a->link, b->link);
	assert_int_equal(a->coldsync, b->coldsync);
	assert_int_equal(a->flags, b->flags);
	assert_true(a->seq == b->seq);
	assert_true(a->send_time_us == b->send_time_us);
	assert_true(a->boot_time_ms == b->boot_time_ms);
	assert_true(a->echo_session == b->echo_session);
	assert_int_equal(a->n_rg, b->n_rg);
	for (unsigned i = 0; i < a->n_rg; i++) {
		assert_int_equal(a->rg[i].id, b->rg[i].id);
		assert_int_equal(a->rg[i].priority, b->rg[i].priority);
		assert_int_equal(a->rg[i].state, b->rg[i].state);
		assert_int_equal(a->rg[i].weight, b->rg[i].weight);
		assert_int_equal(a->rg[i].mon_fail, b->rg[i].mon_fail);
		assert_int_equal(a->rg[i].flags, b->rg[i].flags);
	}
}

/* Encodes p and, with a, signs it; returns the length. */
static size_t build(const struct hb_pkt *p, struct hb_auth *a, uint8_t *buf, size_t cap)
{
	size_t n;

	assert_int_equal(hb_encode(p, buf, cap, &n), HB_OK);
	if (a)
		assert_int_equal(hb_sign(a, buf, n, cap, &n), HB_OK);
	return n;
}

static void auth_init(struct hb_auth *a, const char *key, uint64_t session)
{
	assert_int_equal(hb_auth_init(a, key, key ? strlen(key) : 0, session), HB_OK);
}

/* decode + verify in one step, as the receive path does. */
static enum hb_err receive(const struct hb_auth *a, struct hb_replay *r, const uint8_t *buf,
                           size_t len, bool *live)
{
	struct hb_pkt p;
	enum hb_err e = hb_decode(buf, len, &p);

	if (e != HB_OK)
		return e;
	return hb_verify(a, r, buf, len, &p, live);
}

/* ------------------------------------------------------------------ round trips */

static void roundtrip(unsigned n_rg, uint8_t type, bool sign)
{
	struct hb_pkt p, q;
	struct hb_auth a;
	uint8_t buf[HB_PKT_MAX];
	size_t n;

	fill_pkt(&p, n_rg);
	p.type = type;
	auth_init(&a, sign ? key_a : NULL, 42);
	n = build(&p, &a, buf, sizeof(buf));
	assert_int_equal(hb_decode(buf, n, &q), HB_OK);
	assert_pkt_equal(&p, &q);
	assert_int_equal(q.has_hmac, sign);
	if (sign) {
		assert_true(q.session_id == 42);
		assert_true(q.counter == 1);
		assert_int_equal(q.hmac_off, n - HB_HMAC_LEN);
	}
	hb_auth_free(&a);
}

static void test_roundtrip(void **state)
{
	(void)state;
	for (int s = 0; s <= 1; s++) {
		roundtrip(0, HB_TYPE_CONTROL, s);
		roundtrip(1, HB_TYPE_CONTROL, s);
		roundtrip(CL_MAX_RG, HB_TYPE_CONTROL, s);
		roundtrip(0, HB_TYPE_FABRIC, s);
		roundtrip(2, HB_TYPE_FABRIC, s);
	}
}

/* HB_PKT_MAX is what the largest packet really takes. */
static void test_max_size(void **state)
{
	struct hb_pkt p;
	struct hb_auth a;
	uint8_t buf[HB_PKT_MAX + 16];

	(void)state;
	fill_pkt(&p, CL_MAX_RG);
	auth_init(&a, key_a, 1);
	assert_int_equal(build(&p, &a, buf, sizeof(buf)), HB_PKT_MAX);
	hb_auth_free(&a);
}

/* The example in packet.c's header comment, byte for byte. */
static void test_wire_example(void **state)
{
	static const uint8_t hdr[] = {0xde, 0xad, 0x01, 0x01, 0x01, 0x01, 0x00, 0x52};
	static const uint8_t tail[] = {
	        0x00, 0x03, 0x00, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00, 0x01, 0x02, 0x00, 0x05, 0x00,
	        0x01, 0x00, 0x00, 0x06, 0x00, 0x08, 1,    2,    3,    4,    5,    6,    7,    8,
	        0x00, 0x07, 0x00, 0x0a, 0x01, 0x08, 0x00, 0x64, 0x02, 0xff, 0x00, 0x00, 0x00, 0x00};
	struct hb_pkt p = {
	        .type = HB_TYPE_CONTROL,
	        .cluster_id = 1,
	        .node_id = 1,
	        .link = 0,
	        .coldsync = CL_CS_DONE,
	        .flags = HB_F_CTL0_UP | HB_F_CTL1_UP,
	        .seq = 0x99,
	        .send_time_us = 0x55,
	        .boot_time_ms = 0x66,
	        .echo_session = 0x0102030405060708ull,
	        .n_rg = 1,
	        .rg = {{.id = 0, .priority = 100, .state = RG_STATE_PRIMARY, .weight = 255}}};
	uint8_t buf[HB_PKT_MAX];
	size_t n;

	(void)state;
	assert_int_equal(RG_STATE_PRIMARY, 2);
	assert_int_equal(hb_encode(&p, buf, sizeof(buf), &n), HB_OK);
	assert_int_equal(n, 82);
	assert_memory_equal(buf, hdr, sizeof(hdr));
	/* TIME and SEQ */
	assert_int_equal(buf[8], 0);
	assert_int_equal(buf[9], HB_TLV_TIME);
	assert_int_equal(buf[11], 16);
	assert_int_equal(buf[19], 0x55);
	assert_int_equal(buf[27], 0x66);
	assert_int_equal(buf[29], HB_TLV_SEQ);
	assert_int_equal(buf[39], 0x99);
	assert_memory_equal(buf + 40, tail, sizeof(tail));
}

/* ------------------------------------------------------------------ truncated, oversized */

static void test_truncated(void **state)
{
	struct hb_pkt p, q;
	struct hb_auth a;
	struct hb_replay r;
	uint8_t buf[HB_PKT_MAX], cut[HB_PKT_MAX];
	size_t n;

	(void)state;
	for (unsigned n_rg = 0; n_rg <= CL_MAX_RG; n_rg += 64) {
		fill_pkt(&p, n_rg);
		auth_init(&a, key_a, 9);
		n = build(&p, &a, buf, sizeof(buf));
		for (size_t l = 0; l < n; l++) {
			/* as cut by the network: the length field still says n */
			assert_int_equal(hb_decode(buf, l, &q), HB_ERR_SHORT);
			/* cut and the length field made to match: maybe well-formed (at a TLV
			 * boundary), but never authentic */
			memcpy(cut, buf, l);
			if (l >= HB_HDR_LEN) {
				cut[6] = (uint8_t)(l >> 8);
				cut[7] = (uint8_t)l;
			}
			memset(&r, 0, sizeof(r));
			assert_int_not_equal(receive(&a, &r, cut, l, NULL), HB_OK);
			assert_false(r.valid);
		}
		memset(&r, 0, sizeof(r));
		assert_int_equal(receive(&a, &r, buf, n, NULL), HB_OK);
		hb_auth_free(&a);
	}
}

static void test_oversized(void **state)
{
	static uint8_t big[70000];
	struct hb_pkt p, q;
	uint8_t buf[HB_PKT_MAX + 8];
	size_t n, m;

	(void)state;
	fill_pkt(&p, 3);
	n = build(&p, NULL, buf, sizeof(buf));
	/* trailing bytes the length field does not cover */
	buf[n] = 0;
	assert_int_equal(hb_decode(buf, n + 1, &q), HB_ERR_LENGTH);
	/* a length field shorter than the datagram */
	buf[7]--;
	assert_int_equal(hb_decode(buf, n, &q), HB_ERR_LENGTH);
	buf[7]++;
	/* a length field below the header */
	memcpy(big, buf, n);
	big[6] = 0;
	big[7] = 4;
	assert_int_equal(hb_decode(big, n, &q), HB_ERR_LENGTH);
	/* more than the 16-bit length field can describe */
	memcpy(big, buf, n);
	big[6] = big[7] = 0xff;
	assert_int_equal(hb_decode(big, sizeof(big), &q), HB_ERR_LENGTH);
	/* the largest describable datagram, filled with one unknown TLV, is fine */
	memcpy(big, buf, n);
	big[6] = big[7] = 0xff;
	big[n] = 0x12;
	big[n + 1] = 0x34;
	big[n + 2] = (uint8_t)((65535 - n - 4) >> 8);
	big[n + 3] = (uint8_t)(65535 - n - 4);
	assert_int_equal(hb_decode(big, 65535, &q), HB_OK);
	assert_pkt_equal(&p, &q);

	/* encode: every buffer one byte too small fails cleanly and writes nothing past cap */
	for (size_t cap = 0; cap < n; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		assert_int_equal(hb_encode(&p, buf, cap, &m), HB_ERR_NOSPACE);
		assert_int_equal(m, 0);
		assert_int_equal(buf[cap], 0xa5);
	}
}

/* ------------------------------------------------------------------ hand-built packets */

struct raw {
	uint8_t b[2048];
	size_t n;
};

static void raw_u8(struct raw *r, uint8_t v)
{
	assert_true(r->n < sizeof(r->b));
	r->b[r->n++] = v;
}

static void raw_u16(struct raw *r, uint16_t v)
{
	raw_u8(r, (uint8_t)(v >> 8));
	raw_u8(r, (uint8_t)v);
}

static void raw_u64(struct raw *r, uint64_t v)
{
	for (int i = 56; i >= 0; i -= 8)
		raw_u8(r, (uint8_t)(v >> i));
}

static void raw_hdr(struct raw *r, uint8_t type)
{
	r->n = 0;
	raw_u16(r, HB_MAGIC);
	raw_u8(r, HB_VERSION);
	raw_u8(r, type);
	raw_u8(r, 7);
	raw_u8(r, 0);
	raw_u16(r, 0);
}

static void raw_tlv(struct raw *r, uint16_t type, uint16_t len)
{
	raw_u16(r, type);
	raw_u16(r, len);
}

static void raw_time(struct raw *r)
{
	raw_tlv(r, HB_TLV_TIME, 16);
	raw_u64(r, 1);
	raw_u64(r, 2);
}

static void raw_seq(struct raw *r)
{
	raw_tlv(r, HB_TLV_SEQ, 8);
	raw_u64(r, 3);
}

/* An RG list of n entries of size esz with ids from ids[]. */
static void raw_rg(struct raw *r, uint16_t tlvlen, uint8_t n, uint8_t esz, const uint8_t *ids,
                   uint8_t state)
{
	raw_tlv(r, HB_TLV_RG, tlvlen);
	raw_u8(r, n);
	raw_u8(r, esz);
	for (unsigned i = 0; i < n; i++) {
		raw_u8(r, ids[i]);
		raw_u8(r, 100);
		raw_u8(r, state);
		raw_u8(r, 200);
		raw_u16(r, CL_MON_IF);
		raw_u8(r, HB_RG_F_PREEMPT);
		for (unsigned k = 7; k < esz; k++)
			raw_u8(r, 0xee);
	}
}

static enum hb_err raw_decode(struct raw *r, struct hb_pkt *out)
{
	r->b[6] = (uint8_t)(r->n >> 8);
	r->b[7] = (uint8_t)r->n;
	return hb_decode(r->b, r->n, out);
}

/* A minimal valid heartbeat: TIME, SEQ, RG with ids 0 and 5. */
static void raw_min(struct raw *r)
{
	static const uint8_t ids[] = {0, 5};

	raw_hdr(r, HB_TYPE_CONTROL);
	raw_time(r);
	raw_seq(r);
	raw_rg(r, 2 + 2 * 8, 2, 8, ids, RG_STATE_SECONDARY);
}

static void test_minimal_and_defaults(void **state)
{
	struct raw r;
	struct hb_pkt q;

	(void)state;
	raw_min(&r);
	assert_int_equal(raw_decode(&r, &q), HB_OK);
	assert_true(q.send_time_us == 1 && q.boot_time_ms == 2 && q.seq == 3);
	assert_int_equal(q.flags, 0);
	assert_int_equal(q.coldsync, 0);
	assert_int_equal(q.link, 0);
	assert_true(q.echo_session == 0);
	assert_false(q.has_hmac);
	assert_int_equal(q.n_rg, 2);
	assert_int_equal(q.rg[1].id, 5);
	assert_int_equal(q.rg[1].mon_fail, CL_MON_IF);
	assert_int_equal(q.rg[1].flags, HB_RG_F_PREEMPT);

	/* a fabric probe needs no RG list */
	raw_hdr(&r, HB_TYPE_FABRIC);
	raw_seq(&r);
	raw_time(&r);
	assert_int_equal(raw_decode(&r, &q), HB_OK);
	assert_int_equal(q.n_rg, 0);
}

static void test_header_errors(void **state)
{
	struct raw r;
	struct hb_pkt q;

	(void)state;
	raw_min(&r);
	r.b[0] = 0xbe;
	assert_int_equal(raw_decode(&r, &q), HB_ERR_MAGIC);
	raw_min(&r);
	r.b[2] = HB_VERSION + 1;
	assert_int_equal(raw_decode(&r, &q), HB_ERR_VERSION);
	raw_min(&r);
	r.b[2] = 0;
	assert_int_equal(raw_decode(&r, &q), HB_ERR_VERSION);
	for (unsigned t = 0; t < 256; t++) {
		raw_min(&r);
		r.b[3] = (uint8_t)t;
		assert_int_equal(raw_decode(&r, &q),
		                 t == HB_TYPE_CONTROL || t == HB_TYPE_FABRIC ? HB_OK : HB_ERR_TYPE);
	}
	raw_min(&r);
	r.b[4] = 0;
	assert_int_equal(raw_decode(&r, &q), HB_ERR_HEADER);
	raw_min(&r);
	r.b[4] = 255;
	assert_int_equal(raw_decode(&r, &q), HB_OK);
	raw_min(&r);
	r.b[5] = 2;
	assert_int_equal(raw_decode(&r, &q), HB_ERR_HEADER);
}

/* Each fixed-size TLV with one byte too few / too many. */
static void test_tlv_lengths(void **state)
{
	static const struct {
		uint16_t type, len;
	} fixed[] = {{HB_TLV_TIME, 16},         {HB_TLV_SEQ, 8},  {HB_TLV_FLAGS, 2},
	             {HB_TLV_COLDSYNC, 1},      {HB_TLV_LINK, 1}, {HB_TLV_ECHO, 8},
	             {HB_TLV_AUTH, HB_AUTH_LEN}};
	struct raw r;
	struct hb_pkt q;

	(void)state;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		for (int d = -1; d <= 1; d += 2) {
			uint16_t len = (uint16_t)(fixed[i].len + d);

			raw_hdr(&r, HB_TYPE_FABRIC);
			if (fixed[i].type != HB_TLV_TIME)
				raw_time(&r);
			if (fixed[i].type != HB_TLV_SEQ)
				raw_seq(&r);
			raw_tlv(&r, fixed[i].type, len);
			for (unsigned k = 0; k < len; k++)
				raw_u8(&r, 0);
			assert_int_equal(raw_decode(&r, &q), HB_ERR_TLV);
		}
	}
	/* TLV type 0 */
	raw_min(&r);
	raw_tlv(&r, 0, 0);
	assert_int_equal(raw_decode(&r, &q), HB_ERR_TLV);
	/* a TLV value running past the end */
	raw_min(&r);
	raw_tlv(&r, 99, 4);
	raw_u16(&r, 0);
	assert_int_equal(raw_decode(&r, &q), HB_ERR_SHORT);
	/* a TLV header cut short: 1, 2, 3 bytes left */
	for (int k = 1; k <= 3; k++) {
		raw_min(&r);
		for (int j = 0; j < k; j++)
			raw_u8(&r, 0);
		assert_int_equal(raw_decode(&r, &q), HB_ERR_SHORT);
	}
}

static void test_tlv_values(void **state)
{
	struct raw r;
	struct hb_pkt q;

	(void)state;
	for (unsigned v = 0; v < 256; v++) {
		raw_min(&r);
		raw_tlv(&r, HB_TLV_COLDSYNC, 1);
		raw_u8(&r, (uint8_t)v);
		assert_int_equal(raw_decode(&r, &q), v <= CL_CS_FAILED ? HB_OK : HB_ERR_TLV);
		raw_min(&r);
		raw_tlv(&r, HB_TLV_LINK, 1);
		raw_u8(&r, (uint8_t)v);
		assert_int_equal(raw_decode(&r, &q), v <= 1 ? HB_OK : HB_ERR_TLV);
	}
}

static void test_rg_list(void **state)
{
	uint8_t ids[CL_MAX_RG + 2];
	struct raw r;
	struct hb_pkt q;

	(void)state;
	for (unsigned i = 0; i < sizeof(ids); i++)
		ids[i] = (uint8_t)(i % CL_MAX_RG);

	/* 129 RGs in 12-byte entries: the 4 extra bytes of each are skipped */
	raw_hdr(&r, HB_TYPE_CONTROL);
	raw_time(&r);
	raw_seq(&r);
	raw_rg(&r, 2 + CL_MAX_RG * 12, CL_MAX_RG, 12, ids, RG_STATE_HOLD);
	assert_int_equal(raw_decode(&r, &q), HB_OK);
	assert_int_equal(q.n_rg, CL_MAX_RG);
	assert_int_equal(q.rg[128].id, 128);
	assert_int_equal(q.rg[128].weight, 200);

	/* entry size below 8 */
	raw_hdr(&r, HB_TYPE_CONTROL);
	raw_time(&r);
	raw_seq(&r);
	raw_tlv(&r, HB_TLV_RG, 2 + 7);
	raw_u8(&r, 1);
	raw_u8(&r, 7);
	for (int k = 0; k < 7; k++)
		raw_u8(&r, 0);
	assert_int_equal(raw_decode(&r, &q), HB_ERR_TLV);

	/* TLV length disagreeing with the count: one more, one less */
	for (int d = -1; d <= 1; d += 2) {
		raw_hdr(&r, HB_TYPE_CONTROL);
		raw_time(&r);
		raw_seq(&r);
		raw_rg(&r, (uint16_t)(2 + 3 * 8 + d), 3, 8, ids, 0);
		if (d > 0)
			raw_u8(&r, 0);
		else
			r.n--;
		assert_int_equal(raw_decode(&r, &q), HB_ERR_TLV);
	}
	/* an RG list value of 0 or 1 byte */
	for (int l = 0; l <= 1; l++) {
		raw_hdr(&r, HB_TYPE_CONTROL);
		raw_time(&r);
		raw_seq(&r);
		raw_tlv(&r, HB_TLV_RG, (uint16_t)l);
		if (l)
			raw_u8(&r, 0);
		assert_int_equal(raw_decode(&r, &q), HB_ERR_TLV);
	}

	/* 130 RGs (the ids repeat, but the count is what is refused) */
	raw_hdr(&r, HB_TYPE_CONTROL);
	raw_time(&r);
	raw_seq(&r);
	raw_rg(&r, 2 + 130 * 8, 130, 8, ids, 0);
	assert_int_equal(raw_decode(&r, &q), HB_ERR_RG);

	/* RG id 129 and 255 */
	for (unsigned bad = 129; bad < 256; bad += 126) {
		uint8_t one[1] = {(uint8_t)bad};

		raw_hdr(&r, HB_TYPE_CONTROL);
		raw_time(&r);
		raw_seq(&r);
		raw_rg(&r, 2 + 8, 1, 8, one, 0);
		assert_int_equal(raw_decode(&r, &q), HB_ERR_RG);
	}
	/* a duplicate id, also far apart */
	{
		uint8_t dup[4] = {3, 128, 64, 128};

		raw_hdr(&r, HB_TYPE_CONTROL);
		raw_time(&r);
		raw_seq(&r);
		raw_rg(&r, 2 + 4 * 8, 4, 8, dup, 0);
		assert_int_equal(raw_decode(&r, &q), HB_ERR_RG);
	}
	/* an unknown RG state */
	raw_hdr(&r, HB_TYPE_CONTROL);
	raw_time(&r);
	raw_seq(&r);
	raw_rg(&r, 2 + 8, 1, 8, ids, RG_STATE_COUNT);
	assert_int_equal(raw_decode(&r, &q), HB_ERR_RG);
}

static void test_missing(void **state)
{
	static const uint8_t ids[] = {1};
	struct raw r;
	struct hb_pkt q;

	(void)state;
	raw_hdr(&r, HB_TYPE_CONTROL); /* no TIME */
	raw_seq(&r);
	raw_rg(&r, 10, 1, 8, ids, 0);
	assert_int_equal(raw_decode(&r, &q), HB_ERR_TLV_MISSING);
	raw_hdr(&r, HB_TYPE_CONTROL); /* no SEQ */
	raw_time(&r);
	raw_rg(&r, 10, 1, 8, ids, 0);
	assert_int_equal(raw_decode(&r, &q), HB_ERR_TLV_MISSING);
	raw_hdr(&r, HB_TYPE_CONTROL); /* a heartbeat without an RG list */
	raw_time(&r);
	raw_seq(&r);
	assert_int_equal(raw_decode(&r, &q), HB_ERR_TLV_MISSING);
	raw_hdr(&r, HB_TYPE_CONTROL); /* nothing at all */
	assert_int_equal(raw_decode(&r, &q), HB_ERR_TLV_MISSING);
}

static void test_unknown_skipped(void **state)
{
	struct raw r, plain;
	struct hb_pkt q, q0;

	(void)state;
	raw_min(&plain);
	assert_int_equal(raw_decode(&plain, &q0), HB_OK);
	/* unknown TLVs first, between and last; empty and non-empty; the highest type */
	raw_hdr(&r, HB_TYPE_CONTROL);
	raw_tlv(&r, HB_TLV_MAX + 1, 0);
	raw_time(&r);
	raw_tlv(&r, 0xffff, 3);
	raw_u8(&r, HB_TLV_SEQ); /* looks like a TLV, but is inside the unknown value */
	raw_u16(&r, 8);
	raw_seq(&r);
	{
		static const uint8_t ids[] = {0, 5};

		raw_rg(&r, 2 + 2 * 8, 2, 8, ids, RG_STATE_SECONDARY);
	}
	raw_tlv(&r, 0x1234, 5);
	for (int k = 0; k < 5; k++)
		raw_u8(&r, 0xff);
	assert_int_equal(raw_decode(&r, &q), HB_OK);
	assert_pkt_equal(&q0, &q);
}

static void test_duplicate(void **state)
{
	static const uint16_t types[] = {HB_TLV_TIME, HB_TLV_SEQ,  HB_TLV_FLAGS, HB_TLV_COLDSYNC,
	                                 HB_TLV_LINK, HB_TLV_ECHO, HB_TLV_RG};
	struct hb_pkt p, q;
	uint8_t buf[HB_PKT_MAX + 64], dup[HB_PKT_MAX + 64];
	size_t n;

	(void)state;
	fill_pkt(&p, 2);
	n = build(&p, NULL, buf, sizeof(buf));
	/* Append a second copy of each TLV as the encoder wrote it. */
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t off = HB_HDR_LEN, tl = 0;

		while (off < n) {
			tl = HB_TLV_HDR_LEN + ((size_t)buf[off + 2] << 8 | buf[off + 3]);
			if (((uint16_t)buf[off] << 8 | buf[off + 1]) == types[i])
				break;
			off += tl;
		}
		assert_true(off < n);
		memcpy(dup, buf, n);
		memcpy(dup + n, buf + off, tl);
		dup[6] = (uint8_t)((n + tl) >> 8);
		dup[7] = (uint8_t)(n + tl);
		assert_int_equal(hb_decode(dup, n + tl, &q), HB_ERR_TLV_DUP);
	}
}

/* The auth TLV must be last; two of them are a duplicate. */
static void test_auth_position(void **state)
{
	struct hb_pkt p, q;
	struct hb_auth a;
	uint8_t buf[HB_PKT_MAX + 64];
	size_t n;

	(void)state;
	fill_pkt(&p, 1);
	auth_init(&a, key_a, 5);
	n = build(&p, &a, buf, sizeof(buf));
	/* an unknown TLV after it */
	memcpy(buf + n, "\x12\x34\x00\x00", 4);
	buf[6] = (uint8_t)((n + 4) >> 8);
	buf[7] = (uint8_t)(n + 4);
	assert_int_equal(hb_decode(buf, n + 4, &q), HB_ERR_AUTH_POS);
	/* a second auth TLV */
	memcpy(buf + n, buf + n - HB_TLV_HDR_LEN - HB_AUTH_LEN, HB_TLV_HDR_LEN + HB_AUTH_LEN);
	n += HB_TLV_HDR_LEN + HB_AUTH_LEN;
	buf[6] = (uint8_t)(n >> 8);
	buf[7] = (uint8_t)n;
	assert_int_equal(hb_decode(buf, n, &q), HB_ERR_AUTH_POS);
	/* the auth TLV before the others: signed by hand, still refused */
	{
		struct raw r;

		raw_hdr(&r, HB_TYPE_FABRIC);
		raw_tlv(&r, HB_TLV_AUTH, HB_AUTH_LEN);
		for (int k = 0; k < HB_AUTH_LEN; k++)
			raw_u8(&r, 0);
		raw_time(&r);
		raw_seq(&r);
		assert_int_equal(raw_decode(&r, &q), HB_ERR_AUTH_POS);
	}
	hb_auth_free(&a);
}

static void test_encode_invalid(void **state)
{
	struct hb_pkt p;
	uint8_t buf[HB_PKT_MAX];
	size_t n;

	(void)state;
#define BAD(stmt)                                                                                  \
	do {                                                                                       \
		fill_pkt(&p, 3);                                                                   \
		stmt;                                                                              \
		assert_int_equal(hb_encode(&p, buf, sizeof(buf), &n), HB_ERR_INVAL);               \
	} while (0)
	BAD(p.type = 0);
	BAD(p.type = 3);
	BAD(p.cluster_id = 0);
	BAD(p.node_id = 2);
	BAD(p.link = 2);
	BAD(p.coldsync = CL_CS_FAILED + 1);
	BAD(p.n_rg = CL_MAX_RG + 1);
	BAD(p.rg[2].id = p.rg[0].id);
	BAD(p.rg[1].id = CL_MAX_RG);
	BAD(p.rg[0].state = RG_STATE_COUNT);
#undef BAD
}

/* ------------------------------------------------------------------ authentication */

static void test_hmac(void **state)
{
	struct hb_pkt p;
	struct hb_auth a, b, none;
	struct hb_replay r;
	uint8_t buf[HB_PKT_MAX];
	size_t n;
	bool live;

	(void)state;
	fill_pkt(&p, 2);
	auth_init(&a, key_a, 0x1111);
	auth_init(&b, key_b, 0x2222);
	auth_init(&none, NULL, 0x3333);
	n = build(&p, &a, buf, sizeof(buf));

	memset(&r, 0, sizeof(r));
	assert_int_equal(receive(&b, &r, buf, n, &live), HB_ERR_HMAC);
	assert_false(live);
	assert_false(r.valid);
	assert_int_equal(receive(&a, &r, buf, n, &live), HB_OK);
	assert_true(r.valid);

	/* HMAC-SHA256 over everything before the HMAC value, with the key bytes as configured */
	{
		uint8_t mac[HB_HMAC_LEN];
		size_t ml = sizeof(mac);

		assert_int_equal(crypto_hmac(CRYPTO_MD_SHA256, key_a, strlen(key_a), buf,
		                             n - HB_HMAC_LEN, mac, &ml),
		                 0);
		assert_memory_equal(mac, buf + n - HB_HMAC_LEN, HB_HMAC_LEN);
	}

	/* a signed packet without key, an unsigned one with a key: refused both ways */
	memset(&r, 0, sizeof(r));
	assert_int_equal(receive(&none, &r, buf, n, &live), HB_ERR_AUTH_UNEXPECTED);
	assert_false(live);
	n = build(&p, &none, buf, sizeof(buf));
	assert_int_equal(receive(&a, &r, buf, n, &live), HB_ERR_AUTH_MISSING);
	assert_false(live);
	assert_false(r.valid);
	/* no key on either side: accepted, live, no replay state */
	assert_int_equal(receive(&none, &r, buf, n, &live), HB_OK);
	assert_true(live);
	assert_false(r.valid);
	/* hb_sign without a key appends nothing */
	{
		size_t m;

		assert_int_equal(hb_sign(&none, buf, n, sizeof(buf), &m), HB_OK);
		assert_int_equal(m, n);
	}
	hb_auth_free(&a);
	hb_auth_free(&b);
	hb_auth_free(&none);
}

/* Every single bit flipped anywhere in a signed packet: never accepted, state untouched. */
static void test_bitflips(void **state)
{
	struct hb_pkt p;
	struct hb_auth a;
	struct hb_replay r, zero;
	uint8_t buf[HB_PKT_MAX];
	size_t n;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	for (unsigned n_rg = 2; n_rg <= CL_MAX_RG; n_rg += CL_MAX_RG - 2) {
		fill_pkt(&p, n_rg);
		auth_init(&a, key_a, 77);
		n = build(&p, &a, buf, sizeof(buf));
		for (size_t bit = 0; bit < n * 8; bit++) {
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			memset(&r, 0, sizeof(r));
			assert_int_not_equal(receive(&a, &r, buf, n, NULL), HB_OK);
			assert_memory_equal(&r, &zero, sizeof(r));
			buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		memset(&r, 0, sizeof(r));
		assert_int_equal(receive(&a, &r, buf, n, NULL), HB_OK);
		hb_auth_free(&a);
	}
}

static void test_sign_errors(void **state)
{
	struct hb_pkt p;
	struct hb_auth a;
	uint8_t buf[HB_PKT_MAX];
	size_t n, m;

	(void)state;
	assert_int_equal(hb_auth_init(&a, key_a, strlen(key_a), 0), HB_ERR_INVAL);
	auth_init(&a, key_a, 3);
	fill_pkt(&p, 1);
	assert_int_equal(hb_encode(&p, buf, sizeof(buf), &n), HB_OK);
	/* no room for the auth TLV: nothing changes, the counter is not used up */
	assert_int_equal(hb_sign(&a, buf, n, n + HB_TLV_HDR_LEN + HB_AUTH_LEN - 1, &m),
	                 HB_ERR_NOSPACE);
	assert_true(a.counter == 0);
	/* not an hb_encode output: length field disagrees, shorter than a header, len > cap */
	assert_int_equal(hb_sign(&a, buf, n - 1, sizeof(buf), &m), HB_ERR_INVAL);
	assert_int_equal(hb_sign(&a, buf, 4, sizeof(buf), &m), HB_ERR_INVAL);
	assert_int_equal(hb_sign(&a, buf, n, n - 1, &m), HB_ERR_INVAL);
	/* counters go up by one per packet */
	assert_int_equal(hb_sign(&a, buf, n, sizeof(buf), &m), HB_OK);
	assert_true(a.counter == 1);
	assert_int_equal(hb_encode(&p, buf, sizeof(buf), &n), HB_OK);
	assert_int_equal(hb_sign(&a, buf, n, sizeof(buf), &m), HB_OK);
	assert_true(a.counter == 2);
	/* the last counter of a session is never wrapped */
	a.counter = UINT64_MAX;
	assert_int_equal(hb_encode(&p, buf, sizeof(buf), &n), HB_OK);
	assert_int_equal(hb_sign(&a, buf, n, sizeof(buf), &m), HB_ERR_INVAL);
	hb_auth_free(&a);
}

/* A peer: its auth state and the packet it sends next. */
struct peer {
	struct hb_auth a;
	struct hb_pkt p;
};

static void peer_init(struct peer *x, uint64_t session, uint64_t boot)
{
	auth_init(&x->a, key_a, session);
	fill_pkt(&x->p, 2);
	x->p.boot_time_ms = boot;
	x->p.echo_session = 0;
}

static size_t peer_send(struct peer *x, uint8_t *buf)
{
	x->p.seq++;
	return build(&x->p, &x->a, buf, HB_PKT_MAX);
}

static void test_replay(void **state)
{
	struct peer b;
	struct hb_auth me;
	struct hb_replay r, before;
	uint8_t pk[100][HB_PKT_MAX];
	size_t len[100];

	(void)state;
	auth_init(&me, key_a, 0xaaaa);
	peer_init(&b, 0xbbbb, 1000);
	for (int i = 0; i < 100; i++)
		len[i] = peer_send(&b, pk[i]); /* counters 1..100 */
	memset(&r, 0, sizeof(r));

	assert_int_equal(receive(&me, &r, pk[9], len[9], NULL), HB_OK); /* 10 */
	/* the same packet again */
	assert_int_equal(receive(&me, &r, pk[9], len[9], NULL), HB_ERR_REPLAY);
	/* in order */
	assert_int_equal(receive(&me, &r, pk[10], len[10], NULL), HB_OK); /* 11 */
	/* reordered within the window: accepted once */
	assert_int_equal(receive(&me, &r, pk[4], len[4], NULL), HB_OK); /* 5 */
	assert_int_equal(receive(&me, &r, pk[4], len[4], NULL), HB_ERR_REPLAY);
	/* a jump forward, then an old one far below the window */
	assert_int_equal(receive(&me, &r, pk[89], len[89], NULL), HB_OK); /* 90 */
	assert_int_equal(receive(&me, &r, pk[10], len[10], NULL), HB_ERR_REPLAY);
	assert_int_equal(receive(&me, &r, pk[20], len[20], NULL), HB_ERR_REPLAY); /* 21: 69 below */
	/* the oldest counter still inside the window, and its neighbour just outside */
	assert_int_equal(
	        receive(&me, &r, pk[89 - HB_REPLAY_WINDOW], len[89 - HB_REPLAY_WINDOW], NULL),
	        HB_ERR_REPLAY);
	assert_int_equal(
	        receive(&me, &r, pk[90 - HB_REPLAY_WINDOW], len[90 - HB_REPLAY_WINDOW], NULL),
	        HB_OK);
	assert_int_equal(
	        receive(&me, &r, pk[90 - HB_REPLAY_WINDOW], len[90 - HB_REPLAY_WINDOW], NULL),
	        HB_ERR_REPLAY);
	/* a packet accepted before the jump is still remembered as seen */
	assert_int_equal(receive(&me, &r, pk[89], len[89], NULL), HB_ERR_REPLAY);
	assert_true(r.top == 90);

	/* forged: a far higher counter under a wrong HMAC leaves the state exactly as it was */
	{
		struct hb_auth evil;
		struct hb_pkt q;
		uint8_t f[HB_PKT_MAX];
		size_t fl;

		auth_init(&evil, key_b, 0xbbbb); /* the peer's session id, the wrong key */
		evil.counter = 1000000;
		fl = build(&b.p, &evil, f, sizeof(f));
		before = r;
		assert_int_equal(receive(&me, &r, f, fl, NULL), HB_ERR_HMAC);
		assert_memory_equal(&r, &before, sizeof(r));
		/* the right packet with its counter raised by hand: HMAC fails, no change */
		memcpy(f, pk[99], len[99]);
		f[len[99] - HB_HMAC_LEN - 1] ^= 0x80;
		assert_int_equal(hb_decode(f, len[99], &q), HB_OK);
		assert_int_equal(hb_verify(&me, &r, f, len[99], &q, NULL), HB_ERR_HMAC);
		assert_memory_equal(&r, &before, sizeof(r));
		/* the next real packet is still accepted */
		assert_int_equal(receive(&me, &r, pk[90], len[90], NULL), HB_OK); /* 91 */
		hb_auth_free(&evil);
	}
	hb_auth_free(&b.a);
	hb_auth_free(&me);
}

static void test_peer_restart(void **state)
{
	struct peer b1, b2, b0;
	struct hb_auth me;
	struct hb_replay r, before;
	uint8_t old[HB_PKT_MAX], buf[HB_PKT_MAX];
	size_t oldlen, n;
	bool restarted_live;

	(void)state;
	auth_init(&me, key_a, 0xaaaa);
	peer_init(&b0, 0x1000, 500);  /* an earlier boot of the peer */
	peer_init(&b1, 0x2000, 1000); /* the current one */
	peer_init(&b2, 0x3000, 2000); /* the peer after a restart */
	oldlen = peer_send(&b0, old);
	memset(&r, 0, sizeof(r));

	for (int i = 0; i < 5; i++) {
		n = peer_send(&b1, buf);
		assert_int_equal(receive(&me, &r, buf, n, NULL), HB_OK);
	}
	/* a recording of an older boot: refused */
	assert_int_equal(receive(&me, &r, old, oldlen, NULL), HB_ERR_SESSION);
	/* the same session id with another boot time: refused */
	b1.p.boot_time_ms++;
	n = peer_send(&b1, buf);
	assert_int_equal(receive(&me, &r, buf, n, NULL), HB_ERR_SESSION);
	b1.p.boot_time_ms--;
	/* a new session with the same boot time: refused (not newer) */
	{
		struct peer same;

		peer_init(&same, 0x2001, 1000);
		n = peer_send(&same, buf);
		before = r;
		assert_int_equal(receive(&me, &r, buf, n, NULL), HB_ERR_SESSION);
		assert_memory_equal(&r, &before, sizeof(r));
		hb_auth_free(&same.a);
	}
	/* the peer restarts: new session, newer boot time, counter from 1 */
	n = peer_send(&b2, buf);
	assert_int_equal(receive(&me, &r, buf, n, &restarted_live), HB_OK);
	assert_false(restarted_live); /* it has not echoed our session yet */
	assert_true(r.session_id == 0x3000 && r.top == 1);
	assert_true(hb_replay_echo(&r) == 0x3000);
	/* the previous session is now the stale one */
	n = peer_send(&b1, buf);
	assert_int_equal(receive(&me, &r, buf, n, NULL), HB_ERR_SESSION);
	hb_auth_free(&b0.a);
	hb_auth_free(&b1.a);
	hb_auth_free(&b2.a);
	hb_auth_free(&me);
}

/* Liveness: only packets made after the peer heard our current session. */
static void test_liveness_echo(void **state)
{
	struct peer b;
	struct hb_auth me, me_later;
	struct hb_replay r;
	uint8_t rec[3][HB_PKT_MAX], buf[HB_PKT_MAX];
	size_t reclen[3], n;
	bool live;

	(void)state;
	auth_init(&me, key_a, 0xaaaa);
	peer_init(&b, 0xbbbb, 1000);
	memset(&r, 0, sizeof(r));
	assert_true(hb_replay_echo(&r) == 0);

	/* the peer does not know us yet: authentic, learnt, not live */
	n = peer_send(&b, buf);
	assert_int_equal(receive(&me, &r, buf, n, &live), HB_OK);
	assert_false(live);
	n = peer_send(&b, buf);
	assert_int_equal(receive(&me, &r, buf, n, &live), HB_OK);
	assert_false(live);
	/* a packet made before the echo, delivered late (within the window) */
	reclen[0] = peer_send(&b, rec[0]); /* counter 3 */
	/* it has heard us: live from here on */
	b.p.echo_session = 0xaaaa;
	n = peer_send(&b, buf); /* 4 */
	assert_int_equal(receive(&me, &r, buf, n, &live), HB_OK);
	assert_true(live);
	assert_int_equal(receive(&me, &r, rec[0], reclen[0], &live), HB_OK);
	assert_false(live); /* older than the first echo */
	/* once fresh, a later packet of the session is live even with a stale echo field */
	b.p.echo_session = 0;
	n = peer_send(&b, buf); /* 5 */
	assert_int_equal(receive(&me, &r, buf, n, &live), HB_OK);
	assert_true(live);
	/* record a few packets that echo our session 0xaaaa */
	b.p.echo_session = 0xaaaa;
	for (int i = 0; i < 3; i++)
		reclen[i] = peer_send(&b, rec[i]);

	/* We restart (new session 0xcccc, empty state) and the peer is dead; an attacker plays
	 * the recording: authentic and unseen, but never live. */
	auth_init(&me_later, key_a, 0xcccc);
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(receive(&me_later, &r, rec[i], reclen[i], &live), HB_OK);
		assert_false(live);
	}
	/* the real peer, alive, hears our new session and echoes it */
	b.p.echo_session = 0xcccc;
	n = peer_send(&b, buf);
	assert_int_equal(receive(&me_later, &r, buf, n, &live), HB_OK);
	assert_true(live);
	hb_auth_free(&b.a);
	hb_auth_free(&me);
	hb_auth_free(&me_later);
}

static void test_origin_and_names(void **state)
{
	struct hb_pkt p;

	(void)state;
	fill_pkt(&p, 0);
	assert_int_equal(hb_check_origin(&p, 7, 0), HB_OK);
	assert_int_equal(hb_check_origin(&p, 8, 0), HB_ERR_CLUSTER);
	assert_int_equal(hb_check_origin(&p, 7, 1), HB_ERR_NODE);
	for (int e = 0; e < HB_ERR_COUNT; e++) {
		assert_string_not_equal(hb_err_name((enum hb_err)e), "?");
		for (int f = 0; f < e; f++)
			assert_string_not_equal(hb_err_name((enum hb_err)e),
			                        hb_err_name((enum hb_err)f));
	}
	assert_string_equal(hb_err_name(HB_ERR_COUNT), "?");
	assert_string_equal(hb_err_name(HB_ERR_REPLAY), "replayed counter");
}

/* ------------------------------------------------------------------ timing */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void timing(unsigned n_rg)
{
	enum { ITER = 20000 };
	struct hb_pkt p, q;
	struct hb_auth a;
	struct hb_replay r;
	uint8_t buf[HB_PKT_MAX], mac[HB_HMAC_LEN];
	size_t n = 0, ml;
	double t0, enc, dec, anchor;
	unsigned ok = 0;

	fill_pkt(&p, n_rg);
	auth_init(&a, key_a, 99);
	t0 = now_ns();
	for (int i = 0; i < ITER; i++) {
		p.seq++;
		if (hb_encode(&p, buf, sizeof(buf), &n) == HB_OK &&
		    hb_sign(&a, buf, n, sizeof(buf), &n) == HB_OK)
			ok++;
	}
	enc = (now_ns() - t0) / ITER;
	t0 = now_ns();
	for (int i = 0; i < ITER; i++) {
		memset(&r, 0, sizeof(r)); /* each time a first packet, so no replay refusal */
		if (hb_decode(buf, n, &q) == HB_OK && hb_verify(&a, &r, buf, n, &q, NULL) == HB_OK)
			ok++;
	}
	dec = (now_ns() - t0) / ITER;
	/* anchor: the HMAC alone, keyed from scratch per packet (what the keyed context avoids) */
	t0 = now_ns();
	for (int i = 0; i < ITER; i++) {
		ml = sizeof(mac);
		if (crypto_hmac(CRYPTO_MD_SHA256, key_a, strlen(key_a), buf, n - HB_HMAC_LEN, mac,
		                &ml) == 0)
			ok++;
	}
	anchor = (now_ns() - t0) / ITER;
	assert_int_equal(ok, 3 * ITER);
	printf("hb %3u RGs (%4zu B): encode+sign %.0f ns/pkt, decode+verify %.0f ns/pkt; "
	       "anchor one-shot HMAC (re-keyed) %.0f ns/pkt; ratio encode+sign/anchor %.2f, "
	       "decode+verify/anchor %.2f\n",
	       n_rg, n, enc, dec, anchor, enc / anchor, dec / anchor);
	hb_auth_free(&a);
}

static void test_timing(void **state)
{
	(void)state;
	timing(2);
	timing(CL_MAX_RG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roundtrip),      cmocka_unit_test(test_max_size),
	        cmocka_unit_test(test_wire_example),   cmocka_unit_test(test_truncated),
	        cmocka_unit_test(test_oversized),      cmocka_unit_test(test_minimal_and_defaults),
	        cmocka_unit_test(test_header_errors),  cmocka_unit_test(test_tlv_lengths),
	        cmocka_unit_test(test_tlv_values),     cmocka_unit_test(test_rg_list),
	        cmocka_unit_test(test_missing),        cmocka_unit_test(test_unknown_skipped),
	        cmocka_unit_test(test_duplicate),      cmocka_unit_test(test_auth_position),
	        cmocka_unit_test(test_encode_invalid), cmocka_unit_test(test_hmac),
	        cmocka_unit_test(test_bitflips),       cmocka_unit_test(test_sign_errors),
	        cmocka_unit_test(test_replay),         cmocka_unit_test(test_peer_restart),
	        cmocka_unit_test(test_liveness_echo),  cmocka_unit_test(test_origin_and_names),
	        cmocka_unit_test(test_timing),
	};

	log_init("test_packet", true, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
