/*
 * The sync channel to the peer's clusterd (sync.h): frame codec, PSK derivation, TLS
 * contexts and the channel object.
 *
 * Wire format (all integers big-endian). Every frame:
 *
 *   u16 type      enum sync_type
 *   u16 flags     0 (anything else is refused: room for later versions)
 *   u32 length    of the body, <= SYNC_MAX_BODY
 *   body
 *
 * Bodies:
 *   HELLO    u8 version (1), u8 cluster id (1..255), u8 node id (0..1), u8 0   (4 bytes)
 *   REQUEST  u8 name length (1..31), name
 *   DATA     u8 kind (1 snapshot, 2 update), u8 name length, name, u32 transfer id,
 *            u32 total length (<= SYNC_MAX_BLOB), u32 offset, chunk (the rest of the body,
 *            1..SYNC_CHUNK bytes, offset + chunk <= total; empty only for an empty blob)
 *   ERROR    u8 name length, name, u8 retry (0/1), u16 text length (<= 255), text
 *
 * A transfer is the chunks of one transfer id in order from offset 0; the receiver
 * assembles it and hands the blob on when offset + chunk == total.
 *
 * The channel runs on a bufferevent_openssl (libevent): the handshake and every read and
 * write are non-blocking on the daemon's loop. A frame whose header is malformed or whose
 * body does not decode drops the connection: a peer that holds the key and still sends
 * garbage is broken, and resynchronising a byte stream is guesswork.
 */
#include "daemons/clusterd/sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#include "lib/ev.h"
#include "lib/log.h"

/* ------------------------------------------------------------ codec */

static const char *const sync_err_names[SYNC_ERR_COUNT] = {
        [SYNC_OK] = "ok",
        [SYNC_ERR_SHORT] = "truncated",
        [SYNC_ERR_TYPE] = "unknown type",
        [SYNC_ERR_FLAGS] = "flags not 0",
        [SYNC_ERR_LENGTH] = "bad length",
        [SYNC_ERR_NAME] = "bad participant name",
        [SYNC_ERR_FIELD] = "field out of range",
        [SYNC_ERR_NOSPACE] = "no space",
};

const char *sync_err_name(enum sync_err e)
{
	return (unsigned)e < SYNC_ERR_COUNT ? sync_err_names[e] : "?";
}

const char *sync_type_name(uint8_t t)
{
	switch (t) {
	case SYNC_MSG_HELLO:
		return "hello";
	case SYNC_MSG_REQUEST:
		return "request";
	case SYNC_MSG_DATA:
		return "data";
	case SYNC_MSG_ERROR:
		return "error";
	}
	return "?";
}

bool sync_name_valid(const char *name)
{
	size_t n = name ? strnlen(name, SYNC_NAME_MAX + 1) : 0;

	if (n == 0 || n > SYNC_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

enum sync_err sync_frame_len(const uint8_t *buf, size_t len, size_t *frame_len)
{
	uint16_t type, flags;
	uint32_t blen;

	if (len < SYNC_HDR_LEN)
		return SYNC_ERR_SHORT;
	type = rd16(buf);
	flags = rd16(buf + 2);
	blen = rd32(buf + 4);
	if (type == 0 || type > SYNC_MSG_MAX)
		return SYNC_ERR_TYPE;
	if (flags)
		return SYNC_ERR_FLAGS;
	if (blen > SYNC_MAX_BODY)
		return SYNC_ERR_LENGTH;
	*frame_len = SYNC_HDR_LEN + (size_t)blen;
	return SYNC_OK;
}

/* A length-prefixed name at *p (body end at end). */
static enum sync_err sync_get_name(const uint8_t **p, const uint8_t *end, char *name)
{
	size_t n;

	if (end - *p < 1)
		return SYNC_ERR_SHORT;
	n = **p;
	(*p)++;
	if (n == 0 || n > SYNC_NAME_MAX)
		return SYNC_ERR_NAME;
	if ((size_t)(end - *p) < n)
		return SYNC_ERR_SHORT;
	memcpy(name, *p, n);
	name[n] = '\0';
	*p += n;
	return sync_name_valid(name) && strlen(name) == n ? SYNC_OK : SYNC_ERR_NAME;
}

enum sync_err sync_msg_decode(const uint8_t *buf, size_t len, struct sync_msg *out)
{
	size_t flen;
	enum sync_err e;

	memset(out, 0, sizeof(*out));
	e = sync_frame_len(buf, len, &flen);
	if (e != SYNC_OK)
		return e;
	if (flen != len)
		return flen > len ? SYNC_ERR_SHORT : SYNC_ERR_LENGTH;
	out->type = (uint8_t)rd16(buf);
	const uint8_t *p = buf + SYNC_HDR_LEN, *end = buf + len;

	switch (out->type) {
	case SYNC_MSG_HELLO:
		if (end - p != 4)
			return SYNC_ERR_LENGTH;
		out->version = p[0];
		out->cluster_id = p[1];
		out->node_id = p[2];
		if (out->version != SYNC_VERSION || out->cluster_id == 0 || out->node_id > 1 ||
		    p[3] != 0)
			return SYNC_ERR_FIELD;
		return SYNC_OK;
	case SYNC_MSG_REQUEST:
		if ((e = sync_get_name(&p, end, out->name)) != SYNC_OK)
			return e;
		return p == end ? SYNC_OK : SYNC_ERR_LENGTH;
	case SYNC_MSG_DATA:
		if (end - p < 1)
			return SYNC_ERR_SHORT;
		out->kind = *p++;
		if (out->kind != SYNC_KIND_SNAPSHOT && out->kind != SYNC_KIND_UPDATE)
			return SYNC_ERR_FIELD;
		if ((e = sync_get_name(&p, end, out->name)) != SYNC_OK)
			return e;
		if (end - p < 12)
			return SYNC_ERR_SHORT;
		out->xfer = rd32(p);
		out->total = rd32(p + 4);
		out->offset = rd32(p + 8);
		p += 12;
		out->chunk = p;
		out->chunk_len = (size_t)(end - p);
		if (out->total > SYNC_MAX_BLOB || out->chunk_len > SYNC_CHUNK ||
		    out->offset > out->total || out->chunk_len > out->total - out->offset ||
		    (out->chunk_len == 0 && out->total != 0))
			return SYNC_ERR_FIELD;
		return SYNC_OK;
	case SYNC_MSG_ERROR: {
		if ((e = sync_get_name(&p, end, out->name)) != SYNC_OK)
			return e;
		if (end - p < 3)
			return SYNC_ERR_SHORT;
		if (p[0] > 1)
			return SYNC_ERR_FIELD;
		out->retry = p[0] == 1;
		size_t tl = rd16(p + 1);
		p += 3;
		if (tl > SYNC_TEXT_MAX)
			return SYNC_ERR_FIELD;
		if ((size_t)(end - p) != tl)
			return (size_t)(end - p) < tl ? SYNC_ERR_SHORT : SYNC_ERR_LENGTH;
		if (memchr(p, '\0', tl))
			return SYNC_ERR_FIELD;
		memcpy(out->text, p, tl);
		out->text[tl] = '\0';
		return SYNC_OK;
	}
	}
	return SYNC_ERR_TYPE;
}

enum sync_err sync_msg_encode(const struct sync_msg *m, uint8_t *buf, size_t cap, size_t *out_len)
{
	size_t nl = 0, body = 0, tl = 0;

	switch (m->type) {
	case SYNC_MSG_HELLO:
		if (m->version != SYNC_VERSION || m->cluster_id == 0 || m->node_id > 1)
			return SYNC_ERR_FIELD;
		body = 4;
		break;
	case SYNC_MSG_REQUEST:
	case SYNC_MSG_DATA:
	case SYNC_MSG_ERROR:
		if (!sync_name_valid(m->name))
			return SYNC_ERR_NAME;
		nl = strlen(m->name);
		body = 1 + nl;
		if (m->type == SYNC_MSG_DATA) {
			if (m->kind != SYNC_KIND_SNAPSHOT && m->kind != SYNC_KIND_UPDATE)
				return SYNC_ERR_FIELD;
			if (m->total > SYNC_MAX_BLOB || m->chunk_len > SYNC_CHUNK ||
			    m->offset > m->total || m->chunk_len > m->total - m->offset ||
			    (m->chunk_len == 0 && m->total != 0) || (m->chunk_len && !m->chunk))
				return SYNC_ERR_FIELD;
			body += 1 + 12 + m->chunk_len;
		} else if (m->type == SYNC_MSG_ERROR) {
			tl = strnlen(m->text, sizeof(m->text));
			if (tl > SYNC_TEXT_MAX)
				return SYNC_ERR_FIELD;
			body += 3 + tl;
		}
		break;
	default:
		return SYNC_ERR_TYPE;
	}
	if (cap < SYNC_HDR_LEN + body)
		return SYNC_ERR_NOSPACE;
	wr16(buf, m->type);
	wr16(buf + 2, 0);
	wr32(buf + 4, (uint32_t)body);
	uint8_t *p = buf + SYNC_HDR_LEN;
	switch (m->type) {
	case SYNC_MSG_HELLO:
		p[0] = m->version;
		p[1] = m->cluster_id;
		p[2] = m->node_id;
		p[3] = 0;
		break;
	default:
		if (m->type == SYNC_MSG_DATA)
			*p++ = m->kind;
		*p++ = (uint8_t)nl;
		memcpy(p, m->name, nl);
		p += nl;
		if (m->type == SYNC_MSG_DATA) {
			wr32(p, m->xfer);
			wr32(p + 4, m->total);
			wr32(p + 8, m->offset);
			p += 12;
			if (m->chunk_len)
				memcpy(p, m->chunk, m->chunk_len);
		} else if (m->type == SYNC_MSG_ERROR) {
			*p++ = m->retry ? 1 : 0;
			wr16(p, (uint16_t)tl);
			memcpy(p + 2, m->text, tl);
		}
		break;
	}
	*out_len = SYNC_HDR_LEN + body;
	return SYNC_OK;
}

/* ------------------------------------------------------------ PSK */

int sync_psk_derive(const void *key, size_t keylen, uint8_t cluster_id, uint8_t out[SYNC_PSK_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	uint8_t salt = cluster_id;
	static const char label[] = SYNC_PSK_LABEL;
	OSSL_PARAM params[5];
	int rc = -1;

	EVP_KDF_free(kdf);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	/* RFC 5869 §2.2: an empty IKM is allowed (no authentication-key configured). */
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	                                              keylen ? (void *)key : (void *)"", keylen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, &salt, 1);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)label,
	                                              sizeof(label) - 1);
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, SYNC_PSK_LEN, params) == 1)
		rc = 0;
out:
	if (rc < 0)
		log_warnx("sync: HKDF-SHA256 failed: %s", ERR_reason_error_string(ERR_get_error()));
	EVP_KDF_CTX_free(ctx);
	return rc;
}

/* ------------------------------------------------------------ TLS */

struct sync_tls {
	SSL_CTX *srv, *cli;
	uint8_t psk[SYNC_PSK_LEN];
	char identity[32];
};

static struct sync_tls *sync_tls_of(SSL *ssl)
{
	return SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
}

static unsigned int sync_psk_client_cb(SSL *ssl, const char *hint, char *identity,
                                       unsigned int max_identity_len, unsigned char *psk,
                                       unsigned int max_psk_len)
{
	struct sync_tls *t = sync_tls_of(ssl);
	size_t il = strlen(t->identity);

	(void)hint;
	if (il + 1 > max_identity_len || max_psk_len < SYNC_PSK_LEN)
		return 0;
	memcpy(identity, t->identity, il + 1);
	memcpy(psk, t->psk, SYNC_PSK_LEN);
	return SYNC_PSK_LEN;
}

static unsigned int sync_psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
                                       unsigned int max_psk_len)
{
	struct sync_tls *t = sync_tls_of(ssl);

	/* Another cluster's node (or not a keel node): no key for it. */
	if (!identity || strcmp(identity, t->identity) != 0 || max_psk_len < SYNC_PSK_LEN)
		return 0;
	memcpy(psk, t->psk, SYNC_PSK_LEN);
	return SYNC_PSK_LEN;
}

static SSL_CTX *sync_ctx_new(struct sync_tls *t, bool server)
{
	SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	if (!c)
		return NULL;
	/* TLS 1.3 only: PSK with (EC)DHE (psk_dhe_ke) gives forward secrecy, and the legacy PSK
	 * callbacks use SHA-256, so the one suite is TLS_AES_128_GCM_SHA256 (SSL_CTX_set_psk_
	 * client_callback(3): "TLSv1.3 ... SHA-256 ... ciphersuite"). */
	if (SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(c, "TLS_AES_128_GCM_SHA256") != 1) {
		SSL_CTX_free(c);
		return NULL;
	}
	/* No session tickets: every connection proves the PSK again. */
	SSL_CTX_set_num_tickets(c, 0);
	SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_app_data(c, t);
	if (server)
		SSL_CTX_set_psk_server_callback(c, sync_psk_server_cb);
	else
		SSL_CTX_set_psk_client_callback(c, sync_psk_client_cb);
	return c;
}

struct sync_tls *sync_tls_new(const uint8_t psk[SYNC_PSK_LEN], uint8_t cluster_id)
{
	struct sync_tls *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	memcpy(t->psk, psk, SYNC_PSK_LEN);
	snprintf(t->identity, sizeof(t->identity), "keel-cluster-%u", cluster_id);
	t->srv = sync_ctx_new(t, true);
	t->cli = sync_ctx_new(t, false);
	if (!t->srv || !t->cli) {
		log_warnx("sync: cannot make the TLS contexts: %s",
		          ERR_reason_error_string(ERR_get_error()));
		sync_tls_free(t);
		return NULL;
	}
	return t;
}

void sync_tls_free(struct sync_tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->srv);
	SSL_CTX_free(t->cli);
	OPENSSL_cleanse(t->psk, sizeof(t->psk));
	free(t);
}

/* ------------------------------------------------------------ the channel */

static const char *const sync_down_names[SYNC_DOWN_COUNT] = {
        [SYNC_DOWN_HANDSHAKE] = "TLS handshake failed",
        [SYNC_DOWN_TIMEOUT] = "TLS handshake timed out",
        [SYNC_DOWN_EOF] = "closed by the peer",
        [SYNC_DOWN_IO] = "I/O error",
        [SYNC_DOWN_PROTO] = "protocol error",
};

const char *sync_down_name(enum sync_down d)
{
	return (unsigned)d < SYNC_DOWN_COUNT ? sync_down_names[d] : "?";
}

struct sync_chan {
	struct bufferevent *bev;
	struct timer hs_timer;
	const struct sync_chan_cbs *cbs;
	void *arg;
	bool up;
	bool failed; /* sync_chan_fail from a msg callback */
	bool dead;   /* down reported: no more callbacks */
	char fail_detail[128];
	char cipher[64];
};

static void sync_chan_down(struct sync_chan *ch, enum sync_down why, const char *detail)
{
	if (ch->dead)
		return;
	ch->dead = true;
	timer_del(&ch->hs_timer);
	bufferevent_disable(ch->bev, EV_READ | EV_WRITE);
	ch->cbs->down(ch, why, detail ? detail : "", ch->arg);
}

static void sync_chan_read(struct bufferevent *bev, void *arg)
{
	struct sync_chan *ch = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (!ch->dead) {
		uint8_t hdr[SYNC_HDR_LEN];
		size_t have = evbuffer_get_length(in), flen;
		struct sync_msg m;
		enum sync_err e;

		if (have < SYNC_HDR_LEN)
			return;
		evbuffer_copyout(in, hdr, sizeof(hdr));
		e = sync_frame_len(hdr, sizeof(hdr), &flen);
		if (e != SYNC_OK) {
			sync_chan_down(ch, SYNC_DOWN_PROTO, sync_err_name(e));
			return;
		}
		if (have < flen)
			return;
		const uint8_t *buf = evbuffer_pullup(in, (ev_ssize_t)flen);
		if (!buf) {
			sync_chan_down(ch, SYNC_DOWN_IO, "out of memory");
			return;
		}
		e = sync_msg_decode(buf, flen, &m);
		if (e != SYNC_OK) {
			sync_chan_down(ch, SYNC_DOWN_PROTO, sync_err_name(e));
			return;
		}
		ch->cbs->msg(ch, &m, ch->arg);
		evbuffer_drain(in, flen);
		if (ch->failed) {
			/* down may free ch: nothing after it */
			sync_chan_down(ch, SYNC_DOWN_PROTO, ch->fail_detail);
			return;
		}
	}
}

static void sync_ssl_errors(struct bufferevent *bev, char *buf, size_t len)
{
	unsigned long e;
	size_t off = 0;

	buf[0] = '\0';
	while ((e = bufferevent_get_openssl_error(bev)) != 0 && off + 2 < len) {
		char one[160];
		ERR_error_string_n(e, one, sizeof(one));
		int n = snprintf(buf + off, len - off, "%s%s", off ? "; " : "", one);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!buf[0] && errno)
		snprintf(buf, len, "%s", strerror(errno));
}

static void sync_chan_event(struct bufferevent *bev, short what, void *arg)
{
	struct sync_chan *ch = arg;
	char detail[256];

	if (what & BEV_EVENT_CONNECTED) {
		SSL *ssl = bufferevent_openssl_get_ssl(bev);
		timer_del(&ch->hs_timer);
		ch->up = true;
		snprintf(ch->cipher, sizeof(ch->cipher), "%s %s", SSL_get_version(ssl),
		         SSL_get_cipher_name(ssl));
		ch->cbs->up(ch, ch->arg);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		sync_ssl_errors(bev, detail, sizeof(detail));
		if (!ch->up)
			sync_chan_down(ch, SYNC_DOWN_HANDSHAKE, detail[0] ? detail : "closed");
		else
			sync_chan_down(ch, (what & BEV_EVENT_EOF) ? SYNC_DOWN_EOF : SYNC_DOWN_IO,
			               detail);
	}
}

static void sync_chan_hs_timeout(void *arg)
{
	struct sync_chan *ch = arg;

	if (!ch->up)
		sync_chan_down(ch, SYNC_DOWN_TIMEOUT, "");
}

struct sync_chan *sync_chan_new(struct event_base *base, struct sync_tls *tls, int fd, bool server,
                                const struct sync_chan_cbs *cbs, void *arg)
{
	struct sync_chan *ch = calloc(1, sizeof(*ch));
	SSL *ssl = ch ? SSL_new(server ? tls->srv : tls->cli) : NULL;

	if (!ssl) {
		free(ch);
		close(fd);
		return NULL;
	}
	ch->bev = bufferevent_openssl_socket_new(
	        base, fd, ssl, server ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_CONNECTING,
	        BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!ch->bev) {
		SSL_free(ssl);
		free(ch);
		close(fd);
		return NULL;
	}
	/* A peer that closes without close_notify is an EOF, not an attack on the data we got
	 * (every frame is length-checked anyway). */
	bufferevent_openssl_set_allow_dirty_shutdown(ch->bev, 1);
	ch->cbs = cbs;
	ch->arg = arg;
	timer_init(&ch->hs_timer, base, sync_chan_hs_timeout, ch);
	timer_add_ms(&ch->hs_timer, SYNC_HANDSHAKE_MS);
	bufferevent_setcb(ch->bev, sync_chan_read, NULL, sync_chan_event, ch);
	bufferevent_enable(ch->bev, EV_READ | EV_WRITE);
	return ch;
}

void sync_chan_free(struct sync_chan *ch)
{
	if (!ch)
		return;
	timer_del(&ch->hs_timer);
	bufferevent_free(ch->bev); /* closes the SSL and the socket */
	free(ch);
}

bool sync_chan_is_up(const struct sync_chan *ch)
{
	return ch && ch->up && !ch->dead;
}

int sync_chan_send(struct sync_chan *ch, const struct sync_msg *m)
{
	uint8_t *buf;
	size_t n;
	int rc = -1;

	if (!sync_chan_is_up(ch) || sync_chan_queued(ch) > SYNC_MAX_QUEUE)
		return -1;
	buf = malloc(SYNC_HDR_LEN + SYNC_MAX_BODY);
	if (!buf)
		return -1;
	if (sync_msg_encode(m, buf, SYNC_HDR_LEN + SYNC_MAX_BODY, &n) == SYNC_OK &&
	    bufferevent_write(ch->bev, buf, n) == 0)
		rc = 0;
	free(buf);
	return rc;
}

void sync_chan_fail(struct sync_chan *ch, const char *detail)
{
	ch->failed = true;
	snprintf(ch->fail_detail, sizeof(ch->fail_detail), "%s", detail ? detail : "");
}

size_t sync_chan_queued(const struct sync_chan *ch)
{
	return ch ? evbuffer_get_length(bufferevent_get_output(ch->bev)) : 0;
}

const char *sync_chan_cipher(const struct sync_chan *ch)
{
	return ch ? ch->cipher : "";
}
