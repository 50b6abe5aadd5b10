/*
 * BFD authentication (RFC 5880 §6.7): simple password, keyed MD5, meticulous keyed MD5,
 * keyed SHA1, meticulous keyed SHA1. Pure: keys come in as a struct bfd_auth (a Junos key
 * chain, shared by the sessions that use it), the receive sequence state as a struct
 * bfd_auth_rx the caller owns.
 *
 * Verification never writes: bfd_auth_verify() reads the packet, the key chain and the
 * sequence state and returns a verdict; only after BFD_DROP_NONE does the session commit
 * the sequence number (bfd_auth_rx_commit, from bfd_session_rx). A forged or replayed packet
 * therefore cannot move the window, reset AuthSeqKnown or touch any timer.
 *
 * Transmit sequence policy (session.c, bfd_session_build): meticulous types increment
 * bfd.XmitAuthSeq on every packet (§6.7.3 MUST); keyed types increment it whenever the
 * packet's content differs from the previous packet (§6.7.3 "MAY ... at any time", and
 * content changes are where a stale packet could be replayed to effect). Keeping the number
 * still otherwise keeps a keyed session inside every peer's window however many packets are
 * lost: BIRD checks (seq - last) <= 3 x its own multiplier, which a per-packet counter would
 * exceed after 3 x mult losses even when the peer's Detection Time has not passed.
 */
#include <string.h>

#include "daemons/bfdd/bfdd.h"
#include "lib/crypto.h"

#define BFD_DIGEST_OFF 32 /* digest offset in the packet: 24 + type, len, key id, rsvd, seq */

bool bfd_auth_is_meticulous(enum bfd_auth_type t)
{
	return t == BFD_AUTH_MET_KEYED_MD5 || t == BFD_AUTH_MET_KEYED_SHA1;
}

bool bfd_auth_has_seq(enum bfd_auth_type t)
{
	return t >= BFD_AUTH_KEYED_MD5 && t <= BFD_AUTH_MET_KEYED_SHA1;
}

static bool bfd_auth_is_md5(enum bfd_auth_type t)
{
	return t == BFD_AUTH_KEYED_MD5 || t == BFD_AUTH_MET_KEYED_MD5;
}

/* The digest and padded-key length of a keyed type: 16 (MD5) or 20 (SHA1). */
static size_t bfd_auth_digest_len(enum bfd_auth_type t)
{
	return bfd_auth_is_md5(t) ? 16 : 20;
}

/* Longest secret per type: §4.2 password 1..16, §4.3 MD5 key up to 16, §4.4 SHA1 up to 20. */
static size_t bfd_auth_secret_max(enum bfd_auth_type t)
{
	return t == BFD_AUTH_KEYED_SHA1 || t == BFD_AUTH_MET_KEYED_SHA1 ? 20 : 16;
}

int bfd_auth_init(struct bfd_auth *a, enum bfd_auth_type type)
{
	memset(a, 0, sizeof(*a));
	if (type == BFD_AUTH_NONE || type >= BFD_AUTH_TYPE_COUNT)
		return -1;
	a->type = (uint8_t)type;
	return 0;
}

static const struct bfd_auth_key *bfd_auth_find(const struct bfd_auth *a, uint8_t id)
{
	for (unsigned i = 0; i < a->n_keys && i < BFD_AUTH_MAX_KEYS; i++)
		if (a->keys[i].id == id)
			return &a->keys[i];
	return NULL;
}

int bfd_auth_add_key(struct bfd_auth *a, uint8_t id, const void *secret, size_t len)
{
	struct bfd_auth_key *k = (struct bfd_auth_key *)bfd_auth_find(a, id);

	if (len == 0 || len > bfd_auth_secret_max((enum bfd_auth_type)a->type))
		return -1;
	if (!k) {
		if (a->n_keys >= BFD_AUTH_MAX_KEYS)
			return -1;
		k = &a->keys[a->n_keys++];
	}
	memset(k, 0, sizeof(*k));
	a->rx_keys |= (uint8_t)(1u << (k - a->keys));
	k->id = id;
	k->len = (uint8_t)len;
	memcpy(k->secret, secret, len);
	return 0;
}

int bfd_auth_set_tx_key(struct bfd_auth *a, uint8_t id)
{
	const struct bfd_auth_key *k = bfd_auth_find(a, id);

	if (!k)
		return -1;
	a->tx_key = (uint8_t)(k - a->keys);
	return 0;
}

bool bfd_auth_seq_ok(enum bfd_auth_type t, const struct bfd_auth_rx *rx, uint32_t seq,
                     uint32_t window)
{
	/* Unsigned subtraction is the 32-bit circular distance the RFC asks for. */
	uint32_t ahead = seq - rx->seq;

	if (!rx->known)
		return true;
	if (bfd_auth_is_meticulous(t)) /* §6.7.3/§6.7.4: [RcvAuthSeq + 1, RcvAuthSeq + 3M] */
		return ahead >= 1 && ahead <= window;
	return ahead <= window; /* [RcvAuthSeq, RcvAuthSeq + 3M] */
}

/* §6.7.2: Key ID and password must match; the comparison does not leak the position of the
 * first wrong byte (both sides zero padded to the longest password, lengths compared too). */
static bool bfd_auth_password_ok(const struct bfd_auth_key *k, const struct bfd_pkt *p)
{
	uint8_t want[16] = {0}, got[16] = {0};
	bool eq;

	memcpy(want, k->secret, k->len <= sizeof(want) ? k->len : sizeof(want));
	memcpy(got, p->auth_data, p->auth_data_len <= sizeof(got) ? p->auth_data_len : sizeof(got));
	eq = crypto_memeq(want, got, sizeof(want));
	return eq & (k->len == p->auth_data_len);
}

/* Digest of the packet with the key (zero padded) in place of the digest (§6.7.3, §6.7.4). */
static int bfd_auth_digest(const struct bfd_auth_key *k, enum bfd_auth_type t, const uint8_t *buf,
                           uint8_t *out)
{
	uint8_t padded[BFD_AUTH_SECRET_MAX] = {0};
	size_t dlen = bfd_auth_digest_len(t), outlen = CRYPTO_MD_MAX_LEN;
	struct iovec iov[2] = {
	        {.iov_base = (void *)buf, .iov_len = BFD_DIGEST_OFF},
	        {.iov_base = padded, .iov_len = dlen},
	};

	memcpy(padded, k->secret, k->len <= dlen ? k->len : dlen);
	if (crypto_digestv(bfd_auth_is_md5(t) ? CRYPTO_MD_MD5 : CRYPTO_MD_SHA1, iov, 2, out,
	                   &outlen) != 0 ||
	    outlen != dlen)
		return -1;
	return 0;
}

enum bfd_drop bfd_auth_verify(const struct bfd_auth *a, const struct bfd_auth_rx *rx,
                              uint8_t local_mult, const uint8_t *buf, const struct bfd_pkt *p)
{
	static const struct bfd_auth_rx unknown = {0};
	uint8_t digest[CRYPTO_MD_MAX_LEN];
	const struct bfd_auth_key *k;
	enum bfd_auth_type t;
	uint32_t mult;

	/* §6.8.6: A and the configuration must agree. */
	if (!(p->flags & BFD_FLAG_AUTH))
		return a ? BFD_DROP_AUTH_MISSING : BFD_DROP_NONE;
	if (!a)
		return BFD_DROP_AUTH_UNEXPECTED;
	t = (enum bfd_auth_type)p->auth_type;
	if (t != a->type)
		return BFD_DROP_AUTH_MISMATCH;
	k = bfd_auth_find(a, p->auth_key_id);
	if (!k || !(a->rx_keys & (1u << (k - a->keys)))) /* unknown, or outside its time */
		return BFD_DROP_AUTH_KEY_ID;
	if (t == BFD_AUTH_SIMPLE)
		return bfd_auth_password_ok(k, p) ? BFD_DROP_NONE : BFD_DROP_AUTH_FAIL;

	/* §6.7.3/§6.7.4: the sequence window is checked before the (costlier) digest. */
	mult = local_mult > p->detect_mult ? local_mult : p->detect_mult;
	if (!bfd_auth_seq_ok(t, rx ? rx : &unknown, p->auth_seq, 3 * mult))
		return BFD_DROP_AUTH_SEQ;
	if (p->length != BFD_DIGEST_OFF + bfd_auth_digest_len(t) ||
	    p->auth_data_len != bfd_auth_digest_len(t))
		return BFD_DROP_AUTH_LEN; /* bfd_decode never yields this; a hand-made p might */
	if (bfd_auth_digest(k, t, buf, digest) != 0)
		return BFD_DROP_AUTH_FAIL;
	return crypto_memeq(digest, p->auth_data, bfd_auth_digest_len(t)) ? BFD_DROP_NONE
	                                                                  : BFD_DROP_AUTH_FAIL;
}

void bfd_auth_rx_commit(struct bfd_auth_rx *rx, const struct bfd_pkt *p)
{
	/* §6.7.3: "set bfd.AuthSeqKnown to 1 and bfd.RcvAuthSeq to the received number". */
	if ((p->flags & BFD_FLAG_AUTH) && bfd_auth_has_seq((enum bfd_auth_type)p->auth_type)) {
		rx->seq = p->auth_seq;
		rx->known = true;
	}
}

int bfd_auth_fill(const struct bfd_auth *a, uint32_t seq, struct bfd_pkt *p)
{
	const struct bfd_auth_key *k;
	enum bfd_auth_type t = (enum bfd_auth_type)a->type;

	if (a->n_keys == 0 || a->tx_key >= a->n_keys || t == BFD_AUTH_NONE ||
	    t >= BFD_AUTH_TYPE_COUNT)
		return -1;
	k = &a->keys[a->tx_key];
	p->flags |= BFD_FLAG_AUTH;
	p->auth_type = a->type;
	p->auth_key_id = k->id;
	memset(p->auth_data, 0, sizeof(p->auth_data));
	if (t == BFD_AUTH_SIMPLE) {
		p->auth_seq = 0;
		p->auth_data_len = k->len;
		memcpy(p->auth_data, k->secret, k->len);
	} else {
		p->auth_seq = seq;
		p->auth_data_len = (uint8_t)bfd_auth_digest_len(t);
	}
	p->auth_len = (uint8_t)bfd_auth_section_len(t, p->auth_data_len);
	return 0;
}

int bfd_auth_sign(const struct bfd_auth *a, uint8_t *buf, size_t len)
{
	enum bfd_auth_type t = (enum bfd_auth_type)a->type;
	uint8_t digest[CRYPTO_MD_MAX_LEN];
	size_t dlen;

	if (t == BFD_AUTH_SIMPLE)
		return 0;
	if (!bfd_auth_has_seq(t) || a->tx_key >= a->n_keys)
		return -1;
	dlen = bfd_auth_digest_len(t);
	/* Only a packet bfd_encode wrote for this type: A set, Length and Auth Type agree. */
	if (len != BFD_DIGEST_OFF + dlen || !(buf[1] & BFD_FLAG_AUTH) || buf[3] != len ||
	    buf[BFD_HDR_LEN] != t)
		return -1;
	if (bfd_auth_digest(&a->keys[a->tx_key], t, buf, digest) != 0)
		return -1;
	memcpy(buf + BFD_DIGEST_OFF, digest, dlen);
	return 0;
}
