/*
 * Crypto helpers on OpenSSL 3: HMAC and plain digests over scatter-gather
 * buffers, a reusable keyed HMAC context for per-packet work, constant-time
 * comparison and the RNG.
 *
 * Who uses what:
 *   clusterd heartbeats   HMAC-SHA256 over header + payload pieces, with a
 *                         struct crypto_hmac_ctx per configured key (hot path);
 *   bfdd                  keyed MD5 / SHA1 (RFC 5880 §6.7.3, §6.7.4) are
 *                         plain digests over the packet with the key in place:
 *                         crypto_digestv();
 *   RADIUS                MD5 (RFC 2865 §3) and HMAC-MD5 for
 *                         Message-Authenticator (RFC 3579 §3.2);
 *   everyone              crypto_memeq() to compare MACs, crypto_random_*()
 *                         for session ids, discriminators and authenticators.
 *
 * Functions return 0 on success and -1 on failure (logged with OpenSSL's
 * reason); none of them exits the process. The algorithm objects are fetched
 * from the provider once per process, not per call.
 *
 * *outlen is in/out everywhere: on entry the size of out, on return the
 * number of bytes written. An out buffer smaller than the algorithm's output
 * is an error, never a silent truncation; CRYPTO_MD_MAX_LEN always fits.
 */
#ifndef KEEL_CRYPTO_H
#define KEEL_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

enum crypto_md {
	CRYPTO_MD_MD5,
	CRYPTO_MD_SHA1,
	CRYPTO_MD_SHA256,
	CRYPTO_MD_MAX,
};

/* The largest output of any enum crypto_md (SHA-256). */
#define CRYPTO_MD_MAX_LEN 32

/* Output length in bytes; 0 for an unknown md. */
size_t crypto_md_len(enum crypto_md md);
/* "md5", "sha1", "sha256"; "?" for an unknown md. */
const char *crypto_md_name(enum crypto_md md);
/* The reverse of crypto_md_name() (case-insensitive); -1 when unknown. */
int crypto_md_from_name(const char *name, enum crypto_md *md);

/* Plain digest over n pieces (pieces of length 0 may have a NULL base). */
int crypto_digestv(enum crypto_md md, const struct iovec *iov, size_t n, uint8_t *out,
                   size_t *outlen);
int crypto_digest(enum crypto_md md, const void *data, size_t len, uint8_t *out, size_t *outlen);

/* HMAC (RFC 2104) in one call. keylen may be 0. */
int crypto_hmac(enum crypto_md md, const void *key, size_t keylen, const void *data, size_t len,
                uint8_t *out, size_t *outlen);
int crypto_hmacv(enum crypto_md md, const void *key, size_t keylen, const struct iovec *iov,
                 size_t n, uint8_t *out, size_t *outlen);

/*
 * A keyed HMAC context for hot paths: the key schedule (the inner and outer
 * padded-key hashes) is computed once in _new and every _run starts from it.
 * One context per key; a context is not safe to share between threads. _free
 * wipes the key material. _new returns NULL on failure.
 */
struct crypto_hmac_ctx;
struct crypto_hmac_ctx *crypto_hmac_ctx_new(enum crypto_md md, const void *key, size_t keylen);
int crypto_hmac_ctx_run(struct crypto_hmac_ctx *ctx, const struct iovec *iov, size_t n,
                        uint8_t *out, size_t *outlen);
enum crypto_md crypto_hmac_ctx_md(const struct crypto_hmac_ctx *ctx);
void crypto_hmac_ctx_free(struct crypto_hmac_ctx *ctx);

/* Constant-time in len (for MACs and authenticators): true when equal. */
bool crypto_memeq(const void *a, const void *b, size_t len);

/* Cryptographically strong random bytes; -1 when the RNG fails (never exits). */
int crypto_random(void *buf, size_t len);
int crypto_random_u32(uint32_t *v);
int crypto_random_u64(uint64_t *v);

#endif
