/*
 * Crypto helpers on OpenSSL 3 (see crypto.h for the contract).
 *
 * Why the caching: in OpenSSL 3 every EVP_MAC_fetch()/EVP_MD_fetch() and
 * every EVP_MAC_init() that names a digest goes through the provider's
 * algorithm store (a locked lookup by name). Per packet that is most of the
 * cost of an HMAC over a short heartbeat. So the process fetches the HMAC
 * implementation and the three digests once, keeps one unkeyed HMAC context
 * per digest as a template (EVP_MAC_CTX_dup() copies it without a lookup),
 * and a keyed crypto_hmac_ctx re-initialises itself from the key schedule it
 * already holds (EVP_MAC_init() with a NULL key keeps the key, see
 * EVP_MAC_init(3)).
 */
#include "lib/crypto.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "lib/log.h"

struct crypto_alg {
	const char *name;    /* ours, for config and display */
	const char *ossl;    /* OpenSSL's algorithm name */
	size_t len;          /* output length */
	EVP_MD *md;          /* fetched once; NULL if the provider lacks it (e.g. MD5 under FIPS) */
	EVP_MAC_CTX *hmac_0; /* unkeyed HMAC template with this digest set */
};

static struct crypto_alg crypto_algs[CRYPTO_MD_MAX] = {
        [CRYPTO_MD_MD5] = {.name = "md5", .ossl = "MD5", .len = 16},
        [CRYPTO_MD_SHA1] = {.name = "sha1", .ossl = "SHA1", .len = 20},
        [CRYPTO_MD_SHA256] = {.name = "sha256", .ossl = "SHA256", .len = 32},
};

static EVP_MAC *crypto_mac;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

struct crypto_hmac_ctx {
	enum crypto_md md;
	EVP_MAC_CTX *mctx; /* keyed */
	bool fresh;        /* just keyed: the first run needs no re-init */
};

/* Logs the failed call with OpenSSL's reasons and empties its error queue. */
static void crypto_log_err(const char *what)
{
	unsigned long e;
	char buf[256];
	bool any = false;

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		log_warnx("crypto: %s: %s", what, buf);
		any = true;
	}
	if (!any)
		log_warnx("crypto: %s failed", what);
}

static void crypto_cleanup(void)
{
	for (int i = 0; i < CRYPTO_MD_MAX; i++) {
		EVP_MAC_CTX_free(crypto_algs[i].hmac_0);
		crypto_algs[i].hmac_0 = NULL;
		EVP_MD_free(crypto_algs[i].md);
		crypto_algs[i].md = NULL;
	}
	EVP_MAC_free(crypto_mac);
	crypto_mac = NULL;
}

static void crypto_init_once(void)
{
	crypto_mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (!crypto_mac)
		crypto_log_err("fetch HMAC");
	for (int i = 0; i < CRYPTO_MD_MAX; i++) {
		struct crypto_alg *a = &crypto_algs[i];

		a->md = EVP_MD_fetch(NULL, a->ossl, NULL);
		if (!a->md) {
			crypto_log_err(a->ossl);
			continue;
		}
		if (!crypto_mac)
			continue;
		OSSL_PARAM params[] = {
		        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)a->ossl, 0),
		        OSSL_PARAM_construct_end(),
		};
		a->hmac_0 = EVP_MAC_CTX_new(crypto_mac);
		if (!a->hmac_0 || !EVP_MAC_CTX_set_params(a->hmac_0, params)) {
			crypto_log_err("HMAC context");
			EVP_MAC_CTX_free(a->hmac_0);
			a->hmac_0 = NULL;
		}
	}
	/*
	 * The fetches above initialised OpenSSL, which registered its own exit
	 * handler first; ours therefore runs before it, while the objects can
	 * still be freed (keeps leak checkers quiet).
	 */
	atexit(crypto_cleanup);
}

static const struct crypto_alg *crypto_alg(enum crypto_md md)
{
	if ((unsigned)md >= CRYPTO_MD_MAX) {
		log_warnx("crypto: unknown digest %d", (int)md);
		return NULL;
	}
	pthread_once(&crypto_once, crypto_init_once);
	return &crypto_algs[md];
}

size_t crypto_md_len(enum crypto_md md)
{
	return (unsigned)md < CRYPTO_MD_MAX ? crypto_algs[md].len : 0;
}

const char *crypto_md_name(enum crypto_md md)
{
	return (unsigned)md < CRYPTO_MD_MAX ? crypto_algs[md].name : "?";
}

int crypto_md_from_name(const char *name, enum crypto_md *md)
{
	for (int i = 0; i < CRYPTO_MD_MAX; i++)
		if (strcasecmp(name, crypto_algs[i].name) == 0) {
			*md = (enum crypto_md)i;
			return 0;
		}
	return -1;
}

static bool crypto_outlen_ok(const struct crypto_alg *a, const size_t *outlen)
{
	if (*outlen < a->len) {
		log_warnx("crypto: %s output needs %zu bytes, buffer has %zu", a->name, a->len,
		          *outlen);
		return false;
	}
	return true;
}

int crypto_digestv(enum crypto_md md, const struct iovec *iov, size_t n, uint8_t *out,
                   size_t *outlen)
{
	const struct crypto_alg *a = crypto_alg(md);
	unsigned int len = 0;
	int rc = -1;

	if (!a || !crypto_outlen_ok(a, outlen))
		return -1;
	if (!a->md) {
		log_warnx("crypto: %s not available", a->name);
		return -1;
	}
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || !EVP_DigestInit_ex2(c, a->md, NULL))
		goto err;
	for (size_t i = 0; i < n; i++)
		if (iov[i].iov_len && !EVP_DigestUpdate(c, iov[i].iov_base, iov[i].iov_len))
			goto err;
	if (!EVP_DigestFinal_ex(c, out, &len))
		goto err;
	*outlen = len;
	rc = 0;
err:
	if (rc)
		crypto_log_err("digest");
	EVP_MD_CTX_free(c);
	return rc;
}

int crypto_digest(enum crypto_md md, const void *data, size_t len, uint8_t *out, size_t *outlen)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};

	return crypto_digestv(md, &iov, 1, out, outlen);
}

static int crypto_mac_update_final(EVP_MAC_CTX *c, const struct iovec *iov, size_t n, uint8_t *out,
                                   size_t *outlen)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++)
		if (iov[i].iov_len && !EVP_MAC_update(c, iov[i].iov_base, iov[i].iov_len))
			return -1;
	if (!EVP_MAC_final(c, out, &len, *outlen))
		return -1;
	*outlen = len;
	return 0;
}

/*
 * A fresh keyed context from the digest's template. To EVP_MAC_init() a NULL
 * key means "keep the current key", so an empty key (legal: RFC 2104 §2 pads
 * the key with zeros to the block size) is passed as a zero-length non-NULL one.
 */
static EVP_MAC_CTX *crypto_hmac_keyed(const struct crypto_alg *a, const void *key, size_t keylen)
{
	static const unsigned char nokey[1];

	if (!a->hmac_0) {
		log_warnx("crypto: HMAC-%s not available", a->name);
		return NULL;
	}
	EVP_MAC_CTX *c = EVP_MAC_CTX_dup(a->hmac_0);
	if (!c || !EVP_MAC_init(c, keylen ? key : nokey, keylen, NULL)) {
		crypto_log_err("HMAC key");
		EVP_MAC_CTX_free(c);
		return NULL;
	}
	return c;
}

int crypto_hmacv(enum crypto_md md, const void *key, size_t keylen, const struct iovec *iov,
                 size_t n, uint8_t *out, size_t *outlen)
{
	const struct crypto_alg *a = crypto_alg(md);

	if (!a || !crypto_outlen_ok(a, outlen))
		return -1;
	EVP_MAC_CTX *c = crypto_hmac_keyed(a, key, keylen);
	if (!c)
		return -1;
	int rc = crypto_mac_update_final(c, iov, n, out, outlen);
	if (rc)
		crypto_log_err("HMAC");
	EVP_MAC_CTX_free(c);
	return rc;
}

int crypto_hmac(enum crypto_md md, const void *key, size_t keylen, const void *data, size_t len,
                uint8_t *out, size_t *outlen)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};

	return crypto_hmacv(md, key, keylen, &iov, 1, out, outlen);
}

struct crypto_hmac_ctx *crypto_hmac_ctx_new(enum crypto_md md, const void *key, size_t keylen)
{
	const struct crypto_alg *a = crypto_alg(md);
	struct crypto_hmac_ctx *ctx;

	if (!a)
		return NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		log_warn("crypto: HMAC context");
		return NULL;
	}
	ctx->md = md;
	ctx->mctx = crypto_hmac_keyed(a, key, keylen);
	if (!ctx->mctx) {
		free(ctx);
		return NULL;
	}
	ctx->fresh = true;
	return ctx;
}

int crypto_hmac_ctx_run(struct crypto_hmac_ctx *ctx, const struct iovec *iov, size_t n,
                        uint8_t *out, size_t *outlen)
{
	const struct crypto_alg *a = &crypto_algs[ctx->md];

	if (!crypto_outlen_ok(a, outlen))
		return -1;
	/* Back to the state right after keying: NULL key = keep the key (EVP_MAC_init(3)). */
	if (!ctx->fresh && !EVP_MAC_init(ctx->mctx, NULL, 0, NULL)) {
		crypto_log_err("HMAC re-init");
		return -1;
	}
	ctx->fresh = false;
	if (crypto_mac_update_final(ctx->mctx, iov, n, out, outlen)) {
		crypto_log_err("HMAC");
		return -1;
	}
	return 0;
}

enum crypto_md crypto_hmac_ctx_md(const struct crypto_hmac_ctx *ctx)
{
	return ctx->md;
}

void crypto_hmac_ctx_free(struct crypto_hmac_ctx *ctx)
{
	if (!ctx)
		return;
	/* EVP_MAC_CTX_free() cleanses the key and the padded-key state. */
	EVP_MAC_CTX_free(ctx->mctx);
	free(ctx);
}

bool crypto_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

int crypto_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	/* RAND_bytes() takes an int length. */
	while (len) {
		int chunk = len > INT_MAX ? INT_MAX : (int)len;
		if (RAND_bytes(p, chunk) != 1) {
			crypto_log_err("RAND_bytes");
			return -1;
		}
		p += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

int crypto_random_u32(uint32_t *v)
{
	return crypto_random(v, sizeof(*v));
}

int crypto_random_u64(uint64_t *v)
{
	return crypto_random(v, sizeof(*v));
}
