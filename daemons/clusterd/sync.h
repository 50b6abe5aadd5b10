/*
 * clusterd's TCP channel to the peer's clusterd (issue 4 items 1 and 6; notes §7, §8): TCP
 * port 62845 over the control links, TLS with a pre-shared key derived from the cluster's
 * authentication-key, carrying coldsync bulk data and config sync.
 *
 *   codec    sync_frame_len / sync_msg_decode / sync_msg_encode: pure, bounded, fuzzed
 *   PSK      sync_psk_derive: HKDF-SHA256 (RFC 5869) of the authentication-key
 *   TLS      sync_tls_new: client and server SSL_CTX keyed with that PSK
 *   channel  sync_chan_*: one TLS connection on a libevent bufferevent, framed messages
 *
 * The relay that uses the channel (who listens, who connects, which participant's data goes
 * where) is in relay.c.
 */
#ifndef KEEL_CLUSTERD_SYNC_H
#define KEEL_CLUSTERD_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#define SYNC_VERSION      1
#define SYNC_HDR_LEN      8                   /* u16 type, u16 flags (0), u32 body length */
#define SYNC_MAX_BODY     (64 * 1024)         /* one frame's body */
#define SYNC_CHUNK        (48 * 1024)         /* DATA bytes per frame (and per ctl request) */
#define SYNC_MAX_BLOB     (16u * 1024 * 1024) /* one participant transfer (mgd's MGD_MAX_LOAD) */
#define SYNC_NAME_MAX     31                  /* participant name (CL_PART_NAME_LEN - 1) */
#define SYNC_TEXT_MAX     255                 /* ERROR text */
#define SYNC_PSK_LEN      32
#define SYNC_PSK_LABEL    "keel cluster tls"
#define SYNC_MAX_QUEUE    (2 * SYNC_MAX_BLOB) /* bytes queued towards the peer */
#define SYNC_HANDSHAKE_MS 5000

enum sync_type {
	SYNC_MSG_HELLO = 1,   /* version, cluster id, node id: both ends, first frame */
	SYNC_MSG_REQUEST = 2, /* secondary -> primary: send participant NAME's snapshot */
	SYNC_MSG_DATA = 3,    /* a chunk of a participant's snapshot or update */
	SYNC_MSG_ERROR = 4,   /* a request could not be served (retry or not) */
	SYNC_MSG_MAX = SYNC_MSG_ERROR,
};

enum sync_kind {
	SYNC_KIND_SNAPSHOT = 1, /* coldsync: the answer to a REQUEST */
	SYNC_KIND_UPDATE = 2,   /* real-time sync: pushed by the primary (a commit) */
};

enum sync_err {
	SYNC_OK = 0,
	SYNC_ERR_SHORT,   /* fewer bytes than the header or the body needs */
	SYNC_ERR_TYPE,    /* unknown frame type */
	SYNC_ERR_FLAGS,   /* flags not 0 */
	SYNC_ERR_LENGTH,  /* body longer than SYNC_MAX_BODY, or not what the type needs */
	SYNC_ERR_NAME,    /* participant name empty, too long or not [A-Za-z0-9._-] */
	SYNC_ERR_FIELD,   /* a field out of range (version, kind, offsets, text) */
	SYNC_ERR_NOSPACE, /* encode: buffer too small */
	SYNC_ERR_COUNT,
};

/* A decoded frame. chunk points into the decoder's input. */
struct sync_msg {
	uint8_t type; /* enum sync_type */
	/* HELLO */
	uint8_t version, cluster_id, node_id;
	/* REQUEST, DATA, ERROR */
	char name[SYNC_NAME_MAX + 1];
	/* DATA */
	uint8_t kind;   /* enum sync_kind */
	uint32_t xfer;  /* transfer id, per sender */
	uint32_t total; /* the whole blob's length, <= SYNC_MAX_BLOB */
	uint32_t offset;
	const uint8_t *chunk;
	size_t chunk_len; /* 1..SYNC_CHUNK, offset + chunk_len <= total; 0 only when total is 0 */
	/* ERROR */
	bool retry;
	char text[SYNC_TEXT_MAX + 1];
};

const char *sync_err_name(enum sync_err e);
const char *sync_type_name(uint8_t t);
bool sync_name_valid(const char *name);
/* Stream framing: with at least SYNC_HDR_LEN bytes, checks the header and sets *frame_len
 * (header + body); SYNC_ERR_SHORT when fewer bytes than a header are there. */
enum sync_err sync_frame_len(const uint8_t *buf, size_t len, size_t *frame_len);
/* One whole frame (header + body, exactly len bytes). out is zeroed first. */
enum sync_err sync_msg_decode(const uint8_t *buf, size_t len, struct sync_msg *out);
/* Validates m as sync_msg_decode would, writes header + body; *out_len its length. */
enum sync_err sync_msg_encode(const struct sync_msg *m, uint8_t *buf, size_t cap, size_t *out_len);

/*
 * The PSK: HKDF-SHA256 (RFC 5869) with IKM = the configured authentication-key (may be empty),
 * salt = the cluster id as one octet, info = "keel cluster tls", L = 32. Only this derived
 * key is used by TLS, never the configured one, so the raw key never goes on the wire nor
 * into a TLS key schedule shared with anything else. 0, or -1 when OpenSSL fails.
 */
int sync_psk_derive(const void *key, size_t keylen, uint8_t cluster_id, uint8_t out[SYNC_PSK_LEN]);

/*
 * TLS contexts: TLS 1.3 only, external PSK through OpenSSL's PSK callbacks (on 3.0 the
 * client/server callbacks serve TLS 1.3 with a SHA-256 suite: TLS_AES_128_GCM_SHA256, the
 * psk_dhe_ke mode, so each connection also has fresh (EC)DHE keys). No certificates: a peer
 * that does not hold the same PSK fails the binder check and never completes the handshake.
 * The PSK identity is "keel-cluster-<id>"; the server refuses any other.
 */
struct sync_tls;
struct sync_tls *sync_tls_new(const uint8_t psk[SYNC_PSK_LEN], uint8_t cluster_id);
void sync_tls_free(struct sync_tls *t);

/* Why a channel went down. */
enum sync_down {
	SYNC_DOWN_HANDSHAKE, /* TLS handshake failed: a wrong key, or not TLS at all */
	SYNC_DOWN_TIMEOUT,   /* handshake not finished in SYNC_HANDSHAKE_MS */
	SYNC_DOWN_EOF,       /* the peer closed */
	SYNC_DOWN_IO,        /* socket or TLS error after the handshake */
	SYNC_DOWN_PROTO,     /* a malformed frame, or the owner called sync_chan_fail */
	SYNC_DOWN_COUNT,
};
const char *sync_down_name(enum sync_down d);

struct sync_chan;

struct sync_chan_cbs {
	/* The handshake completed. */
	void (*up)(struct sync_chan *ch, void *arg);
	/* One frame; may call sync_chan_send and sync_chan_fail, not sync_chan_free. */
	void (*msg)(struct sync_chan *ch, const struct sync_msg *m, void *arg);
	/* The last callback: the owner frees the channel (here or later). */
	void (*down)(struct sync_chan *ch, enum sync_down why, const char *detail, void *arg);
};

/* Takes fd (a connected stream socket, non-blocking); server: accept side. NULL on failure
 * (fd closed). */
struct sync_chan *sync_chan_new(struct event_base *base, struct sync_tls *tls, int fd, bool server,
                                const struct sync_chan_cbs *cbs, void *arg);
/* Frees without calling down. */
void sync_chan_free(struct sync_chan *ch);
bool sync_chan_is_up(const struct sync_chan *ch);
/* Queues one frame (only once up). -1: not up, invalid message, or the queue is full. */
int sync_chan_send(struct sync_chan *ch, const struct sync_msg *m);
/* From a msg callback: drop the channel (down with SYNC_DOWN_PROTO and detail). */
void sync_chan_fail(struct sync_chan *ch, const char *detail);
size_t sync_chan_queued(const struct sync_chan *ch);
/* The cipher suite after the handshake ("" before). */
const char *sync_chan_cipher(const struct sync_chan *ch);

#endif
