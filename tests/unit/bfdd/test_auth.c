/*
 * bfdd authentication (daemons/bfdd/auth.c), RFC 5880 §6.7: for each of the five types a
 * good packet, a wrong key, a wrong key id, the wrong type, A missing / unexpected, every
 * flipped bit; key length limits; digests against vectors computed outside keel (Python
 * hashlib, the §6.7.3/§6.7.4 procedure); the sequence windows at their edges, across the
 * 32-bit wrap, with the multiplier rule; replay; verification never changing state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/bfdd/bfdd.h"

static const char *const secrets[BFD_AUTH_TYPE_COUNT] = {
        [BFD_AUTH_SIMPLE] = "pass-word",           [BFD_AUTH_KEYED_MD5] = "keel-md5",
        [BFD_AUTH_MET_KEYED_MD5] = "keel-md5-met", [BFD_AUTH_KEYED_SHA1] = "keel-sha1-key-20byte",
        [BFD_AUTH_MET_KEYED_SHA1] = "s3cret",
};

static void auth_for(struct bfd_auth *a, enum bfd_auth_type t, uint8_t id, const char *secret)
{
	assert_int_equal(bfd_auth_init(a, t), 0);
	assert_int_equal(bfd_auth_add_key(a, id, secret, strlen(secret)), 0);
}

static void base(struct bfd_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->state = BFD_STATE_UP;
	p->detect_mult = 3;
	p->my_disc = 0x11223344;
	p->your_disc = 0x55667788;
	p->desired_min_tx = 300000;
	p->required_min_rx = 300000;
}

/* Builds and signs a packet with a's transmit key; returns its length. */
static size_t make(const struct bfd_auth *a, uint32_t seq, uint8_t mult, uint8_t *buf)
{
	struct bfd_pkt p;
	size_t n;

	base(&p);
	p.detect_mult = mult;
	assert_int_equal(bfd_auth_fill(a, seq, &p), 0);
	assert_int_equal(bfd_encode(&p, buf, BFD_PKT_MAX, &n), 0);
	assert_int_equal(bfd_auth_sign(a, buf, n), 0);
	return n;
}

static enum bfd_drop verify(const struct bfd_auth *a, const struct bfd_auth_rx *rx,
                            const uint8_t *buf, size_t n)
{
	struct bfd_pkt p;

	assert_int_equal(bfd_decode(buf, n, &p), BFD_DROP_NONE);
	return bfd_auth_verify(a, rx, 3, buf, &p);
}

/* Vectors from hashlib: the packet of base() with the key zero-padded in the digest field. */
static void test_known_digests(void **state)
{
	static const uint8_t md5[16] = {0x34, 0x35, 0x02, 0x72, 0x08, 0x79, 0x97, 0xee,
	                                0xfc, 0x0f, 0xbd, 0x54, 0x67, 0xbc, 0x35, 0x37};
	static const uint8_t sha1[20] = {0xf0, 0x74, 0x82, 0x97, 0x64, 0x56, 0x41,
	                                 0x7a, 0x1a, 0x92, 0x6e, 0x5a, 0xd0, 0xf1,
	                                 0x8f, 0x17, 0x4f, 0xc0, 0x9d, 0x61};
	struct bfd_auth a;
	uint8_t buf[BFD_PKT_MAX];
	size_t n;

	auth_for(&a, BFD_AUTH_KEYED_MD5, 1, "keel-md5");
	n = make(&a, 0x01020304, 3, buf);
	assert_int_equal(n, 48);
	assert_memory_equal(buf + 32, md5, 16);
	auth_for(&a, BFD_AUTH_MET_KEYED_SHA1, 7, "s3cret");
	n = make(&a, 0xfffffff0, 3, buf);
	assert_int_equal(n, 52);
	assert_memory_equal(buf + 32, sha1, 20);
	assert_int_equal(buf[26], 7);
}

/* Each type: the right key passes, every other configuration is refused with its reason. */
static void test_types_good_and_bad(void **state)
{
	struct bfd_auth_rx rx = {0};

	for (unsigned t = BFD_AUTH_SIMPLE; t <= BFD_AUTH_MET_KEYED_SHA1; t++) {
		struct bfd_auth a, wrong_key, wrong_id, other_type;
		uint8_t buf[BFD_PKT_MAX];
		struct bfd_pkt p;
		size_t n;

		auth_for(&a, t, 9, secrets[t]);
		n = make(&a, 1000, 3, buf);
		assert_int_equal(verify(&a, &rx, buf, n), BFD_DROP_NONE);

		auth_for(&wrong_key, t, 9, "another-secret");
		assert_int_equal(verify(&wrong_key, &rx, buf, n), BFD_DROP_AUTH_FAIL);
		auth_for(&wrong_id, t, 10, secrets[t]);
		assert_int_equal(verify(&wrong_id, &rx, buf, n), BFD_DROP_AUTH_KEY_ID);
		auth_for(&other_type, t == BFD_AUTH_SIMPLE ? BFD_AUTH_KEYED_SHA1 : t - 1, 9,
		         "pass-word");
		assert_int_equal(verify(&other_type, &rx, buf, n), BFD_DROP_AUTH_MISMATCH);
		/* §6.8.6: A set without authentication configured. */
		assert_int_equal(verify(NULL, &rx, buf, n), BFD_DROP_AUTH_UNEXPECTED);

		/* A clear with authentication configured. */
		base(&p);
		assert_int_equal(bfd_encode(&p, buf, sizeof(buf), &n), 0);
		assert_int_equal(verify(&a, &rx, buf, n), BFD_DROP_AUTH_MISSING);
		assert_int_equal(verify(NULL, &rx, buf, n), BFD_DROP_NONE);
	}
}

/* Every single-bit change of a signed packet fails decode or verification. */
static void test_every_bit_flip(void **state)
{
	struct bfd_auth_rx rx = {0};

	for (unsigned t = BFD_AUTH_SIMPLE; t <= BFD_AUTH_MET_KEYED_SHA1; t++) {
		struct bfd_auth a;
		uint8_t buf[BFD_PKT_MAX];
		size_t n;

		auth_for(&a, t, 1, secrets[t]);
		n = make(&a, 77, 3, buf);
		for (size_t bit = 0; bit < n * 8; bit++) {
			struct bfd_pkt p;
			size_t byte = bit / 8;

			/* Simple passwords only cover the password: header changes are legal. */
			if (t == BFD_AUTH_SIMPLE && byte < 27)
				continue;
			buf[byte] ^= (uint8_t)(1u << (bit % 8));
			if (bfd_decode(buf, n, &p) == BFD_DROP_NONE)
				assert_int_not_equal(bfd_auth_verify(&a, &rx, 3, buf, &p),
				                     BFD_DROP_NONE);
			buf[byte] ^= (uint8_t)(1u << (bit % 8));
		}
		assert_int_equal(verify(&a, &rx, buf, n), BFD_DROP_NONE);
	}
}

/* §6.7.2: the password must match in length too (a prefix or an extension is wrong). */
static void test_simple_password_length(void **state)
{
	struct bfd_auth a, b;
	struct bfd_auth_rx rx = {0};
	uint8_t buf[BFD_PKT_MAX];
	size_t n;

	auth_for(&a, BFD_AUTH_SIMPLE, 1, "secret");
	auth_for(&b, BFD_AUTH_SIMPLE, 1, "secre");
	n = make(&b, 0, 3, buf);
	assert_int_equal(verify(&a, &rx, buf, n), BFD_DROP_AUTH_FAIL);
	auth_for(&b, BFD_AUTH_SIMPLE, 1, "secret!");
	n = make(&b, 0, 3, buf);
	assert_int_equal(verify(&a, &rx, buf, n), BFD_DROP_AUTH_FAIL);
	auth_for(&b, BFD_AUTH_SIMPLE, 1, "secret");
	n = make(&b, 0, 3, buf);
	assert_int_equal(n, 24 + 3 + 6);
	assert_int_equal(verify(&a, &rx, buf, n), BFD_DROP_NONE);
}

/* §4.2-4.4 key lengths; key chains: several ids, tx key selection, replacement. */
static void test_keys(void **state)
{
	static const char k21[] = "123456789012345678901";
	struct bfd_auth a;

	for (unsigned t = BFD_AUTH_SIMPLE; t <= BFD_AUTH_MET_KEYED_SHA1; t++) {
		size_t max = t >= BFD_AUTH_KEYED_SHA1 ? 20 : 16;

		assert_int_equal(bfd_auth_init(&a, t), 0);
		assert_int_equal(bfd_auth_add_key(&a, 1, k21, 0), -1);
		assert_int_equal(bfd_auth_add_key(&a, 1, k21, max + 1), -1);
		assert_int_equal(bfd_auth_add_key(&a, 1, k21, max), 0);
	}
	assert_int_equal(bfd_auth_init(&a, BFD_AUTH_NONE), -1);
	assert_int_equal(bfd_auth_init(&a, BFD_AUTH_TYPE_COUNT), -1);

	auth_for(&a, BFD_AUTH_KEYED_SHA1, 1, "one");
	for (uint8_t id = 2; id <= BFD_AUTH_MAX_KEYS; id++)
		assert_int_equal(bfd_auth_add_key(&a, id, "more", 4), 0);
	assert_int_equal(bfd_auth_add_key(&a, 99, "full", 4), -1);
	assert_int_equal(bfd_auth_add_key(&a, 1, "uno", 3), 0); /* replace */
	assert_int_equal(a.n_keys, BFD_AUTH_MAX_KEYS);
	assert_int_equal(bfd_auth_set_tx_key(&a, 77), -1);
	assert_int_equal(bfd_auth_set_tx_key(&a, 3), 0);

	/* A packet sent with key 3 verifies against a chain that also holds it. */
	struct bfd_auth rxa;
	struct bfd_auth_rx rx = {0};
	uint8_t buf[BFD_PKT_MAX];
	size_t n = make(&a, 5, 3, buf);

	assert_int_equal(buf[26], 3);
	auth_for(&rxa, BFD_AUTH_KEYED_SHA1, 1, "uno");
	assert_int_equal(verify(&rxa, &rx, buf, n), BFD_DROP_AUTH_KEY_ID);
	assert_int_equal(bfd_auth_add_key(&rxa, 3, "more", 4), 0);
	assert_int_equal(verify(&rxa, &rx, buf, n), BFD_DROP_NONE);
}

/* §6.7.3/§6.7.4 windows: keyed [last, last+3M], meticulous [last+1, last+3M], mod 2^32. */
static void test_seq_window_edges(void **state)
{
	static const uint32_t lasts[] = {100, 0, 0x7fffffff, 0xfffffffe, 0xffffffff};

	for (unsigned i = 0; i < sizeof(lasts) / sizeof(lasts[0]); i++) {
		struct bfd_auth_rx rx = {.seq = lasts[i], .known = true};
		uint32_t l = lasts[i];

		assert_true(bfd_auth_seq_ok(BFD_AUTH_KEYED_MD5, &rx, l, 9));
		assert_true(bfd_auth_seq_ok(BFD_AUTH_KEYED_SHA1, &rx, l + 9, 9));
		assert_false(bfd_auth_seq_ok(BFD_AUTH_KEYED_SHA1, &rx, l + 10, 9));
		assert_false(bfd_auth_seq_ok(BFD_AUTH_KEYED_SHA1, &rx, l - 1, 9));
		assert_false(bfd_auth_seq_ok(BFD_AUTH_KEYED_SHA1, &rx, l + 0x80000000u, 9));

		assert_false(bfd_auth_seq_ok(BFD_AUTH_MET_KEYED_MD5, &rx, l, 9));
		assert_true(bfd_auth_seq_ok(BFD_AUTH_MET_KEYED_MD5, &rx, l + 1, 9));
		assert_true(bfd_auth_seq_ok(BFD_AUTH_MET_KEYED_SHA1, &rx, l + 9, 9));
		assert_false(bfd_auth_seq_ok(BFD_AUTH_MET_KEYED_SHA1, &rx, l + 10, 9));
		assert_false(bfd_auth_seq_ok(BFD_AUTH_MET_KEYED_SHA1, &rx, l - 1, 9));
	}
	/* Concrete wrap: last 0xfffffffe, window 9 reaches 7. */
	struct bfd_auth_rx rx = {.seq = 0xfffffffe, .known = true};

	assert_true(bfd_auth_seq_ok(BFD_AUTH_KEYED_MD5, &rx, 7, 9));
	assert_false(bfd_auth_seq_ok(BFD_AUTH_KEYED_MD5, &rx, 8, 9));
	assert_true(bfd_auth_seq_ok(BFD_AUTH_MET_KEYED_MD5, &rx, 0, 9));
	/* Not yet known: any number is taken (the first packet sets bfd.RcvAuthSeq). */
	rx.known = false;
	assert_true(bfd_auth_seq_ok(BFD_AUTH_MET_KEYED_MD5, &rx, 0xfffffffe, 9));
	assert_true(bfd_auth_seq_ok(BFD_AUTH_KEYED_MD5, &rx, 12345, 9));
}

/* Through bfd_auth_verify: window is 3 x max(local, received Detect Mult). */
static void test_seq_window_multiplier(void **state)
{
	struct bfd_auth a;
	struct bfd_auth_rx rx = {.seq = 1000, .known = true};
	uint8_t buf[BFD_PKT_MAX];
	struct bfd_pkt p;
	size_t n;

	auth_for(&a, BFD_AUTH_MET_KEYED_SHA1, 1, "s3cret");
	/* local 1, received 3: 9 ahead passes, 10 does not. */
	n = make(&a, 1009, 3, buf);
	assert_int_equal(bfd_decode(buf, n, &p), BFD_DROP_NONE);
	assert_int_equal(bfd_auth_verify(&a, &rx, 1, buf, &p), BFD_DROP_NONE);
	n = make(&a, 1010, 3, buf);
	assert_int_equal(bfd_decode(buf, n, &p), BFD_DROP_NONE);
	assert_int_equal(bfd_auth_verify(&a, &rx, 1, buf, &p), BFD_DROP_AUTH_SEQ);
	/* local 5, received 1: 15 ahead passes (BIRD's rule, its own multiplier), 16 not. */
	n = make(&a, 1015, 1, buf);
	assert_int_equal(bfd_decode(buf, n, &p), BFD_DROP_NONE);
	assert_int_equal(bfd_auth_verify(&a, &rx, 5, buf, &p), BFD_DROP_NONE);
	n = make(&a, 1016, 1, buf);
	assert_int_equal(bfd_decode(buf, n, &p), BFD_DROP_NONE);
	assert_int_equal(bfd_auth_verify(&a, &rx, 5, buf, &p), BFD_DROP_AUTH_SEQ);
}

/* Replay: verify never writes; commit moves the window; meticulous refuses the same number. */
static void test_replay(void **state)
{
	for (unsigned t = BFD_AUTH_KEYED_MD5; t <= BFD_AUTH_MET_KEYED_SHA1; t++) {
		struct bfd_auth a;
		struct bfd_auth_rx rx = {0}, before;
		uint8_t buf[BFD_PKT_MAX], old[BFD_PKT_MAX];
		struct bfd_pkt p;
		size_t n, n_old;

		auth_for(&a, t, 4, secrets[t]);
		n_old = make(&a, 0xfffffffd, 3, old);
		assert_int_equal(bfd_decode(old, n_old, &p), BFD_DROP_NONE);
		before = rx;
		assert_int_equal(bfd_auth_verify(&a, &rx, 3, old, &p), BFD_DROP_NONE);
		assert_memory_equal(&rx, &before, sizeof(rx));
		bfd_auth_rx_commit(&rx, &p);
		assert_true(rx.known);
		assert_int_equal(rx.seq, 0xfffffffd);
		/* The same packet again. */
		assert_int_equal(bfd_auth_verify(&a, &rx, 3, old, &p),
		                 bfd_auth_is_meticulous(t) ? BFD_DROP_AUTH_SEQ : BFD_DROP_NONE);
		/* Across the wrap, then the old packet is behind the window for both kinds. */
		n = make(&a, 2, 3, buf);
		assert_int_equal(bfd_decode(buf, n, &p), BFD_DROP_NONE);
		assert_int_equal(bfd_auth_verify(&a, &rx, 3, buf, &p), BFD_DROP_NONE);
		bfd_auth_rx_commit(&rx, &p);
		assert_int_equal(bfd_decode(old, n_old, &p), BFD_DROP_NONE);
		before = rx;
		assert_int_equal(bfd_auth_verify(&a, &rx, 3, old, &p), BFD_DROP_AUTH_SEQ);
		assert_memory_equal(&rx, &before, sizeof(rx));
		/* A forged packet far ahead is refused before any digest and moves nothing. */
		n = make(&a, 2 + 1000, 3, buf);
		buf[40] ^= 1;
		assert_int_equal(verify(&a, &rx, buf, n), BFD_DROP_AUTH_SEQ);
		n = make(&a, 3, 3, buf);
		buf[40] ^= 1;
		assert_int_equal(verify(&a, &rx, buf, n), BFD_DROP_AUTH_FAIL);
		assert_memory_equal(&rx, &before, sizeof(rx));
	}
}

/* Simple password has no sequence: commit leaves the state alone. */
static void test_commit_simple(void **state)
{
	struct bfd_auth a;
	struct bfd_auth_rx rx = {0};
	uint8_t buf[BFD_PKT_MAX];
	struct bfd_pkt p;
	size_t n;

	auth_for(&a, BFD_AUTH_SIMPLE, 1, "pw");
	n = make(&a, 55, 3, buf);
	assert_int_equal(bfd_decode(buf, n, &p), BFD_DROP_NONE);
	bfd_auth_rx_commit(&rx, &p);
	assert_false(rx.known);
	assert_false(bfd_auth_has_seq(BFD_AUTH_SIMPLE));
	assert_true(bfd_auth_has_seq(BFD_AUTH_KEYED_MD5));
}

/* Signing refuses a buffer that is not a packet of its type. */
static void test_sign_refuses(void **state)
{
	struct bfd_auth a, md5;
	uint8_t buf[BFD_PKT_MAX];
	size_t n;

	auth_for(&a, BFD_AUTH_KEYED_SHA1, 1, "k");
	auth_for(&md5, BFD_AUTH_KEYED_MD5, 1, "k");
	n = make(&a, 1, 3, buf);
	assert_int_equal(bfd_auth_sign(&md5, buf, n), -1);
	assert_int_equal(bfd_auth_sign(&a, buf, n - 1), -1);
	assert_int_equal(bfd_auth_sign(&a, buf, n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_known_digests),
	        cmocka_unit_test(test_types_good_and_bad),
	        cmocka_unit_test(test_every_bit_flip),
	        cmocka_unit_test(test_simple_password_length),
	        cmocka_unit_test(test_keys),
	        cmocka_unit_test(test_seq_window_edges),
	        cmocka_unit_test(test_seq_window_multiplier),
	        cmocka_unit_test(test_replay),
	        cmocka_unit_test(test_commit_simple),
	        cmocka_unit_test(test_sign_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
