/*
 * lib/crypto: HMAC against the published test vectors (RFC 4231 for
 * HMAC-SHA256, RFC 2202 for HMAC-SHA1 and HMAC-MD5), digests against
 * RFC 1321 / FIPS 180-2 known answers, iovec splits, context reuse and
 * isolation, output-buffer checks, memeq, the RNG, names; then a throughput
 * line: HMAC-SHA256 over a 100-byte packet through a keyed context vs the
 * one-shot call vs OpenSSL's own one-shot EVP_Q_mac() (the anchor).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/evp.h>

#include "lib/crypto.h"
#include "lib/log.h"

/* Hex string -> bytes; returns the length. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	assert_true(strlen(hex) % 2 == 0);
	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned int b;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
	return n;
}

static void fill(uint8_t *buf, uint8_t v, size_t n)
{
	memset(buf, v, n);
}

struct hmac_vec {
	const char *name;
	uint8_t key[131];
	size_t keylen;
	uint8_t data[160];
	size_t datalen;
	const char *mac;  /* hex, possibly truncated (RFC 4231 test 5, RFC 2202 test 5) */
	bool full_prefix; /* mac is a prefix of the full output */
};

/* Builds the RFC 2202 / RFC 4231 test cases 1-7 for an HMAC of key size `ksz` (block-size tests use
 * `bigk`). */
static void vectors(struct hmac_vec *v, size_t ksz, size_t bigk, const char *const macs[7],
                    const char *data7)
{
	static const char big6[] = "Test Using Larger Than Block-Size Key - Hash Key First";

	memset(v, 0, 7 * sizeof(*v));
	/* 1: key = 0x0b * ksz, "Hi There" */
	fill(v[0].key, 0x0b, ksz);
	v[0].keylen = ksz;
	memcpy(v[0].data, "Hi There", 8);
	v[0].datalen = 8;
	/* 2: key "Jefe", "what do ya want for nothing?" */
	memcpy(v[1].key, "Jefe", 4);
	v[1].keylen = 4;
	memcpy(v[1].data, "what do ya want for nothing?", 28);
	v[1].datalen = 28;
	/* 3: key = 0xaa * ksz, data = 0xdd * 50 */
	fill(v[2].key, 0xaa, ksz);
	v[2].keylen = ksz;
	fill(v[2].data, 0xdd, 50);
	v[2].datalen = 50;
	/* 4: key = 0x01..0x19, data = 0xcd * 50 */
	for (int i = 0; i < 25; i++)
		v[3].key[i] = (uint8_t)(i + 1);
	v[3].keylen = 25;
	fill(v[3].data, 0xcd, 50);
	v[3].datalen = 50;
	/* 5: key = 0x0c * ksz, "Test With Truncation" (truncated output) */
	fill(v[4].key, 0x0c, ksz);
	v[4].keylen = ksz;
	memcpy(v[4].data, "Test With Truncation", 20);
	v[4].datalen = 20;
	v[4].full_prefix = true;
	/* 6: key = 0xaa * bigk (larger than the block), hashed first */
	fill(v[5].key, 0xaa, bigk);
	v[5].keylen = bigk;
	memcpy(v[5].data, big6, strlen(big6));
	v[5].datalen = strlen(big6);
	/* 7: same key, larger than one block of data */
	fill(v[6].key, 0xaa, bigk);
	v[6].keylen = bigk;
	memcpy(v[6].data, data7, strlen(data7));
	v[6].datalen = strlen(data7);
	for (int i = 0; i < 7; i++)
		v[i].mac = macs[i];
}

static void check_vectors(enum crypto_md md, const struct hmac_vec *v, int nv)
{
	for (int i = 0; i < nv; i++) {
		uint8_t want[CRYPTO_MD_MAX_LEN], got[CRYPTO_MD_MAX_LEN];
		size_t wlen = unhex(v[i].mac, want, sizeof(want));
		size_t glen = sizeof(got);

		assert_int_equal(
		        crypto_hmac(md, v[i].key, v[i].keylen, v[i].data, v[i].datalen, got, &glen),
		        0);
		assert_int_equal(glen, crypto_md_len(md));
		if (!v[i].full_prefix)
			assert_int_equal(wlen, glen);
		if (memcmp(got, want, wlen) != 0)
			fail_msg("%s HMAC-%s test case %d mismatch", v[i].name, crypto_md_name(md),
			         i + 1);

		/* Same through a keyed context, run twice (the second run re-initialises). */
		struct crypto_hmac_ctx *ctx = crypto_hmac_ctx_new(md, v[i].key, v[i].keylen);
		assert_non_null(ctx);
		struct iovec iov = {.iov_base = (void *)v[i].data, .iov_len = v[i].datalen};
		for (int rep = 0; rep < 2; rep++) {
			memset(got, 0, sizeof(got));
			glen = sizeof(got);
			assert_int_equal(crypto_hmac_ctx_run(ctx, &iov, 1, got, &glen), 0);
			assert_int_equal(glen, crypto_md_len(md));
			assert_memory_equal(got, want, wlen);
		}
		crypto_hmac_ctx_free(ctx);
	}
}

/* RFC 4231 §4.2-4.8 */
static void test_hmac_sha256_rfc4231(void **state)
{
	static const char *const macs[7] = {
	        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
	        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
	        "a3b6167473100ee06e0c796c2955552b",
	        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
	};
	struct hmac_vec v[7];

	vectors(v, 20, 131, macs,
	        "This is a test using a larger than block-size key and a larger than block-size "
	        "data. The key needs to be hashed before being used by the HMAC algorithm.");
	for (int i = 0; i < 7; i++)
		v[i].name = "RFC 4231";
	check_vectors(CRYPTO_MD_SHA256, v, 7);
}

/* RFC 2202 §3 */
static void test_hmac_md5_rfc2202(void **state)
{
	static const char *const macs[7] = {
	        "9294727a3638bb1c13f48ef8158bfc9d", "750c783e6ab0b503eaa86e310a5db738",
	        "56be34521d144c88dbb8c733f0e8b3f6", "697eaf0aca3a3aea3a75164746ffaa79",
	        "56461ef2342edc00f9bab995690efd4c", "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd",
	        "6f630fad67cda0ee1fb1f562db3aa53e",
	};
	struct hmac_vec v[7];

	vectors(v, 16, 80, macs,
	        "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data");
	for (int i = 0; i < 7; i++)
		v[i].name = "RFC 2202";
	v[4].full_prefix = false; /* RFC 2202 gives the full value and the 96-bit prefix */
	check_vectors(CRYPTO_MD_MD5, v, 7);
}

/* RFC 2202 §3 */
static void test_hmac_sha1_rfc2202(void **state)
{
	static const char *const macs[7] = {
	        "b617318655057264e28bc0b6fb378c8ef146be00",
	        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
	        "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
	        "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
	        "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
	        "aa4ae5e15272d00e95705637ce8a3b55ed402112",
	        "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
	};
	struct hmac_vec v[7];

	vectors(v, 20, 80, macs,
	        "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data");
	for (int i = 0; i < 7; i++)
		v[i].name = "RFC 2202";
	v[4].full_prefix = false;
	check_vectors(CRYPTO_MD_SHA1, v, 7);
}

/* HMAC with an empty key and empty data (a key of length 0 is legal, RFC 2104 §2). */
static void test_hmac_empty(void **state)
{
	static const struct {
		enum crypto_md md;
		const char *mac;
	} k[] = {
	        {CRYPTO_MD_MD5, "74e6f7298a9c2d168935f58c001bad88"},
	        {CRYPTO_MD_SHA1, "fbdb1d1b18aa6c08324b7d64b71fb76370690e1d"},
	        {CRYPTO_MD_SHA256,
	         "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		uint8_t want[CRYPTO_MD_MAX_LEN], got[CRYPTO_MD_MAX_LEN];
		size_t wlen = unhex(k[i].mac, want, sizeof(want)), glen = sizeof(got);

		assert_int_equal(crypto_hmac(k[i].md, NULL, 0, NULL, 0, got, &glen), 0);
		assert_int_equal(glen, wlen);
		assert_memory_equal(got, want, wlen);
		struct crypto_hmac_ctx *ctx = crypto_hmac_ctx_new(k[i].md, "", 0);
		assert_non_null(ctx);
		glen = sizeof(got);
		assert_int_equal(crypto_hmac_ctx_run(ctx, NULL, 0, got, &glen), 0);
		assert_memory_equal(got, want, wlen);
		crypto_hmac_ctx_free(ctx);
	}
}

/* RFC 1321 §A.5 (MD5) and FIPS 180-2 appendices A/B (SHA-1, SHA-256). */
static void test_digest_known_answers(void **state)
{
	static const struct {
		enum crypto_md md;
		const char *msg;
		const char *hex;
	} k[] = {
	        {CRYPTO_MD_MD5, "", "d41d8cd98f00b204e9800998ecf8427e"},
	        {CRYPTO_MD_MD5, "a", "0cc175b9c0f1b6a831c399e269772661"},
	        {CRYPTO_MD_MD5, "abc", "900150983cd24fb0d6963f7d28e17f72"},
	        {CRYPTO_MD_MD5, "message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
	        {CRYPTO_MD_MD5, "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
	        {CRYPTO_MD_SHA1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
	        {CRYPTO_MD_SHA1, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	         "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
	        {CRYPTO_MD_SHA256, "",
	         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	        {CRYPTO_MD_SHA256, "abc",
	         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	        {CRYPTO_MD_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		uint8_t want[CRYPTO_MD_MAX_LEN], got[CRYPTO_MD_MAX_LEN];
		size_t wlen = unhex(k[i].hex, want, sizeof(want)), glen = sizeof(got);

		assert_int_equal(crypto_digest(k[i].md, k[i].msg, strlen(k[i].msg), got, &glen), 0);
		assert_int_equal(glen, wlen);
		if (memcmp(got, want, wlen) != 0)
			fail_msg("%s(\"%s\") mismatch", crypto_md_name(k[i].md), k[i].msg);
	}
}

/* Any split of the input into pieces (empty ones included) gives the same result. */
static void test_iovec_split(void **state)
{
	uint8_t pkt[200], key[32];
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i);

	for (int md = 0; md < CRYPTO_MD_MAX; md++) {
		uint8_t ref_mac[CRYPTO_MD_MAX_LEN], ref_dig[CRYPTO_MD_MAX_LEN];
		size_t rml = sizeof(ref_mac), rdl = sizeof(ref_dig);
		struct crypto_hmac_ctx *ctx = crypto_hmac_ctx_new(md, key, sizeof(key));

		assert_non_null(ctx);
		assert_int_equal(crypto_hmac(md, key, sizeof(key), pkt, sizeof(pkt), ref_mac, &rml),
		                 0);
		assert_int_equal(crypto_digest(md, pkt, sizeof(pkt), ref_dig, &rdl), 0);

		static const size_t cuts[][2] = {{0, 0},   {1, 1},    {24, 24},   {24, 56},
		                                 {63, 64}, {64, 128}, {199, 200}, {200, 200}};
		for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
			size_t a = cuts[c][0], b = cuts[c][1];
			struct iovec iov[4] = {
			        {.iov_base = pkt, .iov_len = a},
			        {.iov_base = NULL, .iov_len = 0},
			        {.iov_base = pkt + a, .iov_len = b - a},
			        {.iov_base = pkt + b, .iov_len = sizeof(pkt) - b},
			};
			uint8_t out[CRYPTO_MD_MAX_LEN];
			size_t len;

			len = sizeof(out);
			assert_int_equal(crypto_hmacv(md, key, sizeof(key), iov, 4, out, &len), 0);
			assert_int_equal(len, rml);
			assert_memory_equal(out, ref_mac, rml);
			len = sizeof(out);
			assert_int_equal(crypto_hmac_ctx_run(ctx, iov, 4, out, &len), 0);
			assert_memory_equal(out, ref_mac, rml);
			len = sizeof(out);
			assert_int_equal(crypto_digestv(md, iov, 4, out, &len), 0);
			assert_int_equal(len, rdl);
			assert_memory_equal(out, ref_dig, rdl);
		}
		crypto_hmac_ctx_free(ctx);
	}
}

/* Contexts keep their own key: interleaved runs on two keys and a changing packet stay right. */
static void test_ctx_reuse(void **state)
{
	static const uint8_t k1[] = "first key", k2[] = "second key, longer than the first";
	struct crypto_hmac_ctx *c1 = crypto_hmac_ctx_new(CRYPTO_MD_SHA256, k1, sizeof(k1));
	struct crypto_hmac_ctx *c2 = crypto_hmac_ctx_new(CRYPTO_MD_SHA256, k2, sizeof(k2));
	uint8_t pkt[100];

	assert_non_null(c1);
	assert_non_null(c2);
	assert_int_equal(crypto_hmac_ctx_md(c2), CRYPTO_MD_SHA256);
	for (int i = 0; i < 50; i++) {
		uint8_t a[CRYPTO_MD_MAX_LEN], b[CRYPTO_MD_MAX_LEN], ref[CRYPTO_MD_MAX_LEN];
		size_t al = sizeof(a), bl = sizeof(b), rl = sizeof(ref);
		struct iovec iov = {.iov_base = pkt, .iov_len = sizeof(pkt)};

		memset(pkt, i, sizeof(pkt));
		assert_int_equal(crypto_hmac_ctx_run(c1, &iov, 1, a, &al), 0);
		assert_int_equal(crypto_hmac_ctx_run(c2, &iov, 1, b, &bl), 0);
		assert_false(crypto_memeq(a, b, al));
		assert_int_equal(
		        crypto_hmac(CRYPTO_MD_SHA256, k1, sizeof(k1), pkt, sizeof(pkt), ref, &rl),
		        0);
		assert_memory_equal(a, ref, rl);
		rl = sizeof(ref);
		assert_int_equal(
		        crypto_hmac(CRYPTO_MD_SHA256, k2, sizeof(k2), pkt, sizeof(pkt), ref, &rl),
		        0);
		assert_memory_equal(b, ref, rl);
	}
	crypto_hmac_ctx_free(c1);
	crypto_hmac_ctx_free(c2);
	crypto_hmac_ctx_free(NULL);
}

/* Output too small is an error (nothing truncated); bad md values are refused. */
static void test_errors(void **state)
{
	uint8_t out[CRYPTO_MD_MAX_LEN];
	size_t len = 31;

	assert_int_equal(crypto_hmac(CRYPTO_MD_SHA256, "k", 1, "d", 1, out, &len), -1);
	len = 19;
	assert_int_equal(crypto_digest(CRYPTO_MD_SHA1, "d", 1, out, &len), -1);
	len = 16;
	assert_int_equal(crypto_digest(CRYPTO_MD_MD5, "d", 1, out, &len), 0);
	assert_int_equal(len, 16);

	struct crypto_hmac_ctx *ctx = crypto_hmac_ctx_new(CRYPTO_MD_SHA1, "k", 1);
	struct iovec iov = {.iov_base = "d", .iov_len = 1};
	len = 10;
	assert_int_equal(crypto_hmac_ctx_run(ctx, &iov, 1, out, &len), -1);
	len = sizeof(out);
	assert_int_equal(crypto_hmac_ctx_run(ctx, &iov, 1, out, &len), 0);
	assert_int_equal(len, 20);
	crypto_hmac_ctx_free(ctx);

	len = sizeof(out);
	assert_int_equal(crypto_hmac(CRYPTO_MD_MAX, "k", 1, "d", 1, out, &len), -1);
	assert_int_equal(crypto_digest((enum crypto_md) - 1, "d", 1, out, &len), -1);
	assert_null(crypto_hmac_ctx_new(CRYPTO_MD_MAX, "k", 1));
}

static void test_names(void **state)
{
	enum crypto_md md;

	assert_int_equal(crypto_md_len(CRYPTO_MD_MD5), 16);
	assert_int_equal(crypto_md_len(CRYPTO_MD_SHA1), 20);
	assert_int_equal(crypto_md_len(CRYPTO_MD_SHA256), 32);
	assert_int_equal(crypto_md_len(CRYPTO_MD_MAX), 0);
	assert_string_equal(crypto_md_name(CRYPTO_MD_MD5), "md5");
	assert_string_equal(crypto_md_name(CRYPTO_MD_SHA1), "sha1");
	assert_string_equal(crypto_md_name(CRYPTO_MD_SHA256), "sha256");
	assert_string_equal(crypto_md_name(CRYPTO_MD_MAX), "?");
	assert_int_equal(crypto_md_from_name("SHA256", &md), 0);
	assert_int_equal(md, CRYPTO_MD_SHA256);
	assert_int_equal(crypto_md_from_name("md5", &md), 0);
	assert_int_equal(md, CRYPTO_MD_MD5);
	assert_int_equal(crypto_md_from_name("sha512", &md), -1);
	for (int i = 0; i < CRYPTO_MD_MAX; i++)
		assert_true(crypto_md_len(i) <= CRYPTO_MD_MAX_LEN);
}

static void test_memeq(void **state)
{
	uint8_t a[32], b[32];

	memset(a, 0x5c, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(crypto_memeq(a, b, sizeof(a)));
	assert_true(crypto_memeq(a, b, 0));
	/* A difference in any byte, including the first and the last, is seen. */
	for (size_t i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x01;
		assert_false(crypto_memeq(a, b, sizeof(a)));
		b[i] ^= 0x81;
		assert_false(crypto_memeq(a, b, sizeof(a)));
		b[i] ^= 0x80;
	}
	assert_true(crypto_memeq(a, b, sizeof(a)));
}

static void test_random(void **state)
{
	uint8_t a[64], b[64];
	uint32_t u1 = 0, u2 = 0;
	uint64_t w1 = 0, w2 = 0;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_int_equal(crypto_random(a, sizeof(a)), 0);
	assert_int_equal(crypto_random(b, sizeof(b)), 0);
	/* Two 512-bit draws colliding, or a draw being all zero, has probability ~2^-512. */
	assert_false(memcmp(a, b, sizeof(a)) == 0);
	memset(b, 0, sizeof(b));
	assert_false(memcmp(a, b, sizeof(a)) == 0);
	assert_int_equal(crypto_random(a, 0), 0);
	/* u32/u64: four draws of 32 bits all equal has probability 2^-96. */
	uint32_t u3 = 0, u4 = 0;
	assert_int_equal(crypto_random_u32(&u1), 0);
	assert_int_equal(crypto_random_u32(&u2), 0);
	assert_int_equal(crypto_random_u32(&u3), 0);
	assert_int_equal(crypto_random_u32(&u4), 0);
	assert_false(u1 == u2 && u2 == u3 && u3 == u4);
	assert_int_equal(crypto_random_u64(&w1), 0);
	assert_int_equal(crypto_random_u64(&w2), 0);
	assert_false(w1 == w2);
}

/* ---------------------------------------------------------------- throughput */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define BENCH_SECONDS 0.25

/*
 * Not an assertion on speed (machines differ, sanitizers slow everything):
 * it prints the rates side by side with OpenSSL's own one-shot as the anchor,
 * and checks that all three paths agree on the MAC.
 */
static void test_hmac_throughput(void **state)
{
	static const uint8_t key[32] = "0123456789abcdef0123456789abcdef";
	uint8_t pkt[100], out[CRYPTO_MD_MAX_LEN], out2[CRYPTO_MD_MAX_LEN], out3[EVP_MAX_MD_SIZE];
	struct iovec iov = {.iov_base = pkt, .iov_len = sizeof(pkt)};
	struct crypto_hmac_ctx *ctx = crypto_hmac_ctx_new(CRYPTO_MD_SHA256, key, sizeof(key));
	double rate[3];
	size_t len, len3 = 0;

	assert_non_null(ctx);
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)i;

	for (int path = 0; path < 3; path++) {
		uint64_t n = 0;
		double t0 = now_s(), t;
		do {
			for (int k = 0; k < 256; k++) {
				pkt[0] = (uint8_t)n++;
				len = sizeof(out);
				if (path == 0)
					assert_int_equal(
					        crypto_hmac_ctx_run(ctx, &iov, 1, out, &len), 0);
				else if (path == 1)
					assert_int_equal(crypto_hmac(CRYPTO_MD_SHA256, key,
					                             sizeof(key), pkt, sizeof(pkt),
					                             out, &len),
					                 0);
				else
					assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256",
					                          NULL, key, sizeof(key), pkt,
					                          sizeof(pkt), out3, sizeof(out3),
					                          &len3));
			}
			t = now_s() - t0;
		} while (t < BENCH_SECONDS);
		rate[path] = (double)n / t;
	}

	pkt[0] = 0x42;
	len = sizeof(out);
	assert_int_equal(crypto_hmac_ctx_run(ctx, &iov, 1, out, &len), 0);
	len = sizeof(out2);
	assert_int_equal(
	        crypto_hmac(CRYPTO_MD_SHA256, key, sizeof(key), pkt, sizeof(pkt), out2, &len), 0);
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, sizeof(key), pkt,
	                          sizeof(pkt), out3, sizeof(out3), &len3));
	assert_int_equal(len3, 32);
	assert_memory_equal(out, out2, 32);
	assert_memory_equal(out, out3, 32);
	crypto_hmac_ctx_free(ctx);

	printf("hmac-sha256 100B: ctx %.0f/s, one-shot %.0f/s, EVP_Q_mac (anchor) %.0f/s; "
	       "ctx/one-shot %.2fx, ctx/anchor %.2fx\n",
	       rate[0], rate[1], rate[2], rate[0] / rate[1], rate[0] / rate[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hmac_sha256_rfc4231),
	        cmocka_unit_test(test_hmac_md5_rfc2202),
	        cmocka_unit_test(test_hmac_sha1_rfc2202),
	        cmocka_unit_test(test_hmac_empty),
	        cmocka_unit_test(test_digest_known_answers),
	        cmocka_unit_test(test_iovec_split),
	        cmocka_unit_test(test_ctx_reuse),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_names),
	        cmocka_unit_test(test_memeq),
	        cmocka_unit_test(test_random),
	        cmocka_unit_test(test_hmac_throughput),
	};

	log_init("test_crypto", true, false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
