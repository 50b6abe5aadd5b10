/*
 * clusterd's sync channel (daemons/clusterd/sync.c): the frame codec (good, truncated,
 * oversized, malformed), the PSK derivation against vectors computed independently (Python
 * hmac/hashlib HKDF per RFC 5869), and TLS over a socketpair: the same key completes the
 * handshake and carries frames both ways, including a 16 MiB transfer in chunks; a wrong key,
 * another cluster id, or a peer that is not TLS never complete it.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemons/clusterd/sync.h"
#include "lib/ev.h"

/* ------------------------------------------------------------ codec */

static size_t enc(const struct sync_msg *m, uint8_t *buf, size_t cap)
{
	size_t n = 0;

	assert_int_equal(sync_msg_encode(m, buf, cap, &n), SYNC_OK);
	return n;
}

static void test_hello_roundtrip(void **state)
{
	struct sync_msg m = {.type = SYNC_MSG_HELLO, .version = 1, .cluster_id = 7, .node_id = 1},
	                d;
	uint8_t buf[64];
	size_t n, fl;

	(void)state;
	n = enc(&m, buf, sizeof(buf));
	assert_int_equal(n, SYNC_HDR_LEN + 4);
	static const uint8_t want[] = {0, 1, 0, 0, 0, 0, 0, 4, 1, 7, 1, 0};
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(sync_frame_len(buf, n, &fl), SYNC_OK);
	assert_int_equal(fl, n);
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_OK);
	assert_int_equal(d.type, SYNC_MSG_HELLO);
	assert_int_equal(d.cluster_id, 7);
	assert_int_equal(d.node_id, 1);
	/* every truncation is SHORT, one byte more is a LENGTH error */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(sync_msg_decode(buf, k, &d), SYNC_ERR_SHORT);
	assert_int_equal(sync_msg_decode(buf, n + 1, &d), SYNC_ERR_LENGTH);
	buf[9] = 0; /* cluster id 0 */
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_ERR_FIELD);
	buf[9] = 7;
	buf[10] = 2; /* node 2 */
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_ERR_FIELD);
	buf[10] = 1;
	buf[8] = 2; /* version 2 */
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_ERR_FIELD);
	m.node_id = 2;
	assert_int_equal(sync_msg_encode(&m, buf, sizeof(buf), &n), SYNC_ERR_FIELD);
}

static void test_header_bounds(void **state)
{
	uint8_t h[SYNC_HDR_LEN] = {0, 3, 0, 0, 0, 1, 0, 0}; /* DATA, 65536 bytes: the maximum */
	size_t fl = 0;

	(void)state;
	assert_int_equal(sync_frame_len(h, sizeof(h), &fl), SYNC_OK);
	assert_int_equal(fl, SYNC_HDR_LEN + SYNC_MAX_BODY);
	h[7] = 1; /* one byte over */
	assert_int_equal(sync_frame_len(h, sizeof(h), &fl), SYNC_ERR_LENGTH);
	h[4] = 0xff; /* 4 GiB */
	assert_int_equal(sync_frame_len(h, sizeof(h), &fl), SYNC_ERR_LENGTH);
	h[4] = 0;
	h[5] = 0;
	h[7] = 0;
	h[1] = 0; /* type 0 */
	assert_int_equal(sync_frame_len(h, sizeof(h), &fl), SYNC_ERR_TYPE);
	h[1] = 5; /* unknown type */
	assert_int_equal(sync_frame_len(h, sizeof(h), &fl), SYNC_ERR_TYPE);
	h[1] = 1;
	h[3] = 1; /* flags */
	assert_int_equal(sync_frame_len(h, sizeof(h), &fl), SYNC_ERR_FLAGS);
	assert_int_equal(sync_frame_len(h, SYNC_HDR_LEN - 1, &fl), SYNC_ERR_SHORT);
}

static void test_data_roundtrip_and_bounds(void **state)
{
	static uint8_t chunk[SYNC_CHUNK + 1];
	static uint8_t buf[SYNC_HDR_LEN + SYNC_MAX_BODY + 16];
	struct sync_msg m = {.type = SYNC_MSG_DATA,
	                     .kind = SYNC_KIND_SNAPSHOT,
	                     .xfer = 0x01020304,
	                     .total = 100000,
	                     .offset = 100000 - SYNC_CHUNK,
	                     .chunk = chunk,
	                     .chunk_len = SYNC_CHUNK},
	                d;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)(i * 7);
	snprintf(m.name, sizeof(m.name), "mgd");
	n = enc(&m, buf, sizeof(buf));
	assert_int_equal(n, SYNC_HDR_LEN + 1 + 1 + 3 + 12 + SYNC_CHUNK);
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_OK);
	assert_string_equal(d.name, "mgd");
	assert_int_equal(d.kind, SYNC_KIND_SNAPSHOT);
	assert_int_equal(d.xfer, 0x01020304);
	assert_int_equal(d.total, 100000);
	assert_int_equal(d.offset, 100000 - SYNC_CHUNK);
	assert_int_equal(d.chunk_len, SYNC_CHUNK);
	assert_memory_equal(d.chunk, chunk, SYNC_CHUNK);
	/* too small a buffer */
	assert_int_equal(sync_msg_encode(&m, buf, n - 1, &n), SYNC_ERR_NOSPACE);
	/* a chunk past the total, a chunk too big, a blob too big, empty chunk of a blob */
	m.offset = 100000 - SYNC_CHUNK + 1;
	assert_int_equal(sync_msg_encode(&m, buf, sizeof(buf), &n), SYNC_ERR_FIELD);
	m.offset = 0;
	m.chunk_len = SYNC_CHUNK + 1;
	assert_int_equal(sync_msg_encode(&m, buf, sizeof(buf), &n), SYNC_ERR_FIELD);
	m.chunk_len = 10;
	m.total = SYNC_MAX_BLOB + 1;
	assert_int_equal(sync_msg_encode(&m, buf, sizeof(buf), &n), SYNC_ERR_FIELD);
	m.total = 10;
	m.chunk_len = 0;
	assert_int_equal(sync_msg_encode(&m, buf, sizeof(buf), &n), SYNC_ERR_FIELD);
	/* an empty blob is one empty chunk */
	m.total = 0;
	n = enc(&m, buf, sizeof(buf));
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_OK);
	assert_int_equal(d.total, 0);
	assert_int_equal(d.chunk_len, 0);

	/* malformed on the wire: bad kind, a chunk beyond total, bad names */
	m.total = 20;
	m.chunk_len = 20;
	n = enc(&m, buf, sizeof(buf));
	buf[SYNC_HDR_LEN] = 3;
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_ERR_FIELD);
	buf[SYNC_HDR_LEN] = SYNC_KIND_UPDATE;
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_OK);
	assert_int_equal(d.kind, SYNC_KIND_UPDATE);
	buf[SYNC_HDR_LEN + 1 + 1 + 3 + 7] = 19; /* total 19 < 20 bytes of chunk */
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_ERR_FIELD);
	buf[SYNC_HDR_LEN + 1 + 1 + 3 + 7] = 20;
	buf[SYNC_HDR_LEN + 2] = '/'; /* "/gd" */
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_ERR_NAME);
	buf[SYNC_HDR_LEN + 2] = 'm';
	buf[SYNC_HDR_LEN + 1] = 0; /* empty name */
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_ERR_NAME);
	buf[SYNC_HDR_LEN + 1] = 40; /* name longer than 31 */
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_ERR_NAME);
	buf[SYNC_HDR_LEN + 1] = 3;
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_OK);
	/* a body shorter than the fixed fields */
	uint8_t shortb[SYNC_HDR_LEN + 8] = {0, 3, 0, 0, 0, 0, 0, 8, 1, 3, 'm', 'g', 'd', 0, 0, 0};
	assert_int_equal(sync_msg_decode(shortb, sizeof(shortb), &d), SYNC_ERR_SHORT);
}

static void test_request_error(void **state)
{
	struct sync_msg m = {.type = SYNC_MSG_REQUEST}, d;
	uint8_t buf[512];
	size_t n;

	(void)state;
	snprintf(m.name, sizeof(m.name), "mgd");
	n = enc(&m, buf, sizeof(buf));
	assert_int_equal(n, SYNC_HDR_LEN + 4);
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_OK);
	assert_string_equal(d.name, "mgd");
	snprintf(m.name, sizeof(m.name), "a b");
	assert_int_equal(sync_msg_encode(&m, buf, sizeof(buf), &n), SYNC_ERR_NAME);

	m.type = SYNC_MSG_ERROR;
	snprintf(m.name, sizeof(m.name), "flowd");
	m.retry = true;
	snprintf(m.text, sizeof(m.text), "participant flowd is not registered on node0");
	n = enc(&m, buf, sizeof(buf));
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_OK);
	assert_true(d.retry);
	assert_string_equal(d.text, m.text);
	buf[SYNC_HDR_LEN + 6] = 2; /* retry must be 0/1 */
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_ERR_FIELD);
	buf[SYNC_HDR_LEN + 6] = 0;
	buf[SYNC_HDR_LEN + 9] = '\0'; /* a NUL inside the text */
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_ERR_FIELD);
	buf[SYNC_HDR_LEN + 8]++; /* text length one more than the bytes there */
	assert_int_equal(sync_msg_decode(buf, n, &d), SYNC_ERR_SHORT);
}

/* ------------------------------------------------------------ PSK */

static void test_psk_known_answer(void **state)
{
	/* Python: HKDF-SHA256(ikm, salt=bytes([cluster_id]), info=b"keel cluster tls", L=32),
	 * written out from RFC 5869 §2.2-2.3 with hmac/hashlib. */
	static const uint8_t want1[SYNC_PSK_LEN] = {0x7f, 0x80, 0xcc, 0x38, 0x86, 0x89, 0xe6, 0xf1,
	                                            0x83, 0x61, 0x06, 0xe7, 0xf5, 0x10, 0x5a, 0x13,
	                                            0x23, 0xb8, 0xd1, 0xa6, 0x13, 0xee, 0x5d, 0x1e,
	                                            0x5c, 0x68, 0xe0, 0x43, 0x1c, 0xd3, 0x8a, 0x0f};
	static const uint8_t want_empty7[SYNC_PSK_LEN] = {
	        0x00, 0x90, 0xaa, 0x4a, 0x9a, 0x52, 0x52, 0xaa, 0xfc, 0xb1, 0xec,
	        0xe7, 0xc6, 0x9e, 0x01, 0x98, 0xfa, 0x10, 0x6d, 0xc0, 0x28, 0xdb,
	        0x26, 0x4f, 0xb4, 0x11, 0xd0, 0xe0, 0x2a, 0x52, 0x5a, 0x3c};
	static const char key[] = "keel-topo-test-heartbeat-key-0123";
	uint8_t out[SYNC_PSK_LEN], out2[SYNC_PSK_LEN];

	(void)state;
	assert_int_equal(sync_psk_derive(key, strlen(key), 1, out), 0);
	assert_memory_equal(out, want1, sizeof(out));
	assert_int_equal(sync_psk_derive(NULL, 0, 7, out), 0);
	assert_memory_equal(out, want_empty7, sizeof(out));
	/* the cluster id is the salt: another cluster, another key */
	assert_int_equal(sync_psk_derive(key, strlen(key), 2, out2), 0);
	assert_memory_not_equal(out2, want1, sizeof(out2));
}

/* ------------------------------------------------------------ TLS over a socketpair */

struct end {
	struct sync_chan *ch;
	int ups, downs, msgs;
	enum sync_down why;
	char detail[256];
	struct sync_msg last;
	uint8_t *blob; /* DATA assembled */
	size_t blob_len;
	bool blob_done;
	struct event_base *base;
	struct end *other;
};

static void e_up(struct sync_chan *ch, void *arg)
{
	struct end *e = arg;

	(void)ch;
	e->ups++;
}

static void e_msg(struct sync_chan *ch, const struct sync_msg *m, void *arg)
{
	struct end *e = arg;

	(void)ch;
	e->msgs++;
	e->last = *m;
	if (m->type == SYNC_MSG_DATA) {
		if (!e->blob)
			e->blob = malloc(m->total ? m->total : 1);
		assert_non_null(e->blob);
		assert_int_equal(m->offset, e->blob_len);
		memcpy(e->blob + m->offset, m->chunk, m->chunk_len);
		e->blob_len += m->chunk_len;
		if (e->blob_len == m->total) {
			e->blob_done = true;
			event_base_loopbreak(e->base);
		}
	} else {
		event_base_loopbreak(e->base);
	}
}

static void e_down(struct sync_chan *ch, enum sync_down why, const char *detail, void *arg)
{
	struct end *e = arg;

	e->downs++;
	e->why = why;
	snprintf(e->detail, sizeof(e->detail), "%s", detail);
	sync_chan_free(ch);
	e->ch = NULL;
}

static const struct sync_chan_cbs cbs = {.up = e_up, .msg = e_msg, .down = e_down};

/* Runs the loop until cond holds or 3 s pass. */
static bool run_until(struct event_base *base, bool (*cond)(struct end *, struct end *),
                      struct end *a, struct end *b)
{
	uint64_t t0 = mono_ms();
	struct timeval tv = {0, 10000};

	while (!cond(a, b) && mono_ms() - t0 < 3000) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return cond(a, b);
}

static bool both_up(struct end *a, struct end *b)
{
	return a->ups && b->ups;
}

static bool both_down(struct end *a, struct end *b)
{
	return a->downs && b->downs;
}

static bool b_has_blob(struct end *a, struct end *b)
{
	(void)a;
	return b->blob_done;
}

static bool a_has_msg(struct end *a, struct end *b)
{
	(void)b;
	return a->msgs > 0;
}

static void pair(struct event_base *base, struct sync_tls *srv, struct sync_tls *cli, struct end *a,
                 struct end *b)
{
	int sv[2];

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->base = b->base = base;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	a->ch = sync_chan_new(base, srv, sv[0], true, &cbs, a);
	b->ch = sync_chan_new(base, cli, sv[1], false, &cbs, b);
	assert_non_null(a->ch);
	assert_non_null(b->ch);
}

static struct sync_tls *tls_for(const char *key, uint8_t cluster)
{
	uint8_t psk[SYNC_PSK_LEN];

	assert_int_equal(sync_psk_derive(key, strlen(key), cluster, psk), 0);
	return sync_tls_new(psk, cluster);
}

static void test_handshake_good_key(void **state)
{
	struct event_base *base = ev_base_new();
	struct sync_tls *t0 = tls_for("secret-key", 1), *t1 = tls_for("secret-key", 1);
	struct end a, b;
	struct sync_msg m = {.type = SYNC_MSG_HELLO, .version = 1, .cluster_id = 1, .node_id = 0};

	(void)state;
	pair(base, t0, t1, &a, &b);
	assert_false(sync_chan_is_up(a.ch));
	assert_int_equal(sync_chan_send(a.ch, &m), -1); /* not before the handshake */
	assert_true(run_until(base, both_up, &a, &b));
	assert_string_equal(sync_chan_cipher(a.ch), "TLSv1.3 TLS_AES_128_GCM_SHA256");
	assert_string_equal(sync_chan_cipher(b.ch), "TLSv1.3 TLS_AES_128_GCM_SHA256");

	/* client -> server: a hello */
	m.node_id = 1;
	assert_int_equal(sync_chan_send(b.ch, &m), 0);
	assert_true(run_until(base, a_has_msg, &a, &b));
	assert_int_equal(a.last.type, SYNC_MSG_HELLO);
	assert_int_equal(a.last.node_id, 1);

	/* server -> client: a 16 MiB blob (the largest transfer) in SYNC_CHUNK pieces */
	uint8_t *blob = malloc(SYNC_MAX_BLOB);
	assert_non_null(blob);
	for (size_t i = 0; i < SYNC_MAX_BLOB; i++)
		blob[i] = (uint8_t)(i * 31 + (i >> 12));
	struct sync_msg d = {.type = SYNC_MSG_DATA, .kind = SYNC_KIND_SNAPSHOT, .xfer = 9};
	snprintf(d.name, sizeof(d.name), "mgd");
	d.total = SYNC_MAX_BLOB;
	for (size_t off = 0; off < SYNC_MAX_BLOB; off += SYNC_CHUNK) {
		d.offset = (uint32_t)off;
		d.chunk = blob + off;
		d.chunk_len = SYNC_MAX_BLOB - off < SYNC_CHUNK ? SYNC_MAX_BLOB - off : SYNC_CHUNK;
		assert_int_equal(sync_chan_send(a.ch, &d), 0);
	}
	assert_true(sync_chan_queued(a.ch) > 0);
	assert_true(run_until(base, b_has_blob, &a, &b));
	assert_int_equal(b.blob_len, SYNC_MAX_BLOB);
	assert_memory_equal(b.blob, blob, SYNC_MAX_BLOB);
	free(blob);
	free(b.blob);
	assert_int_equal(a.downs + b.downs, 0);

	/* one side goes away: the other sees EOF */
	sync_chan_free(b.ch);
	b.ch = NULL;
	b.downs = 1;
	assert_true(run_until(base, both_down, &a, &b));
	assert_true(a.why == SYNC_DOWN_EOF || a.why == SYNC_DOWN_IO);
	sync_tls_free(t0);
	sync_tls_free(t1);
	event_base_free(base);
}

static void expect_no_handshake(struct sync_tls *srv, struct sync_tls *cli)
{
	struct event_base *base = ev_base_new();
	struct end a, b;

	pair(base, srv, cli, &a, &b);
	assert_true(run_until(base, both_down, &a, &b));
	assert_int_equal(a.ups + b.ups, 0);
	assert_int_equal(a.why, SYNC_DOWN_HANDSHAKE);
	assert_int_equal(b.why, SYNC_DOWN_HANDSHAKE);
	event_base_free(base);
}

static void test_handshake_wrong_key(void **state)
{
	struct sync_tls *t0 = tls_for("secret-key", 1), *t1 = tls_for("secret-kez", 1);
	struct sync_tls *t2 = tls_for("secret-key", 2);

	(void)state;
	expect_no_handshake(t0, t1); /* another key */
	expect_no_handshake(t1, t0);
	expect_no_handshake(t0, t2); /* another cluster: identity and salt differ */
	sync_tls_free(t0);
	sync_tls_free(t1);
	sync_tls_free(t2);
}

/* A peer that speaks something else than TLS, and one that says nothing. */
static void test_not_tls(void **state)
{
	struct event_base *base = ev_base_new();
	struct sync_tls *t0 = tls_for("secret-key", 1);
	struct end a;
	int sv[2];
	static const char junk[] = "GET / HTTP/1.0\r\n\r\n";

	(void)state;
	memset(&a, 0, sizeof(a));
	a.base = base;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	a.ch = sync_chan_new(base, t0, sv[0], true, &cbs, &a);
	assert_int_equal(write(sv[1], junk, sizeof(junk) - 1), (ssize_t)(sizeof(junk) - 1));
	struct end dummy = {.downs = 1};
	assert_true(run_until(base, both_down, &a, &dummy));
	assert_int_equal(a.ups, 0);
	assert_int_equal(a.why, SYNC_DOWN_HANDSHAKE);
	close(sv[1]);
	event_base_free(base);
	sync_tls_free(t0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hello_roundtrip),
	        cmocka_unit_test(test_header_bounds),
	        cmocka_unit_test(test_data_roundtrip_and_bounds),
	        cmocka_unit_test(test_request_error),
	        cmocka_unit_test(test_psk_known_answer),
	        cmocka_unit_test(test_handshake_good_key),
	        cmocka_unit_test(test_handshake_wrong_key),
	        cmocka_unit_test(test_not_tls),
	};

	/* As the daemon skeleton does: a write to a closed peer is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
