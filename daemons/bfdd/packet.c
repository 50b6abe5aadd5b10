/*
 * BFD control packet codec: bytes in, struct bfd_pkt out, and back. Pure (no I/O, no
 * globals, no logging). Authentication (digests, passwords, sequence windows) is auth.c;
 * this file parses the authentication section and checks its shape only.
 *
 * WIRE FORMAT (RFC 5880 §4.1-4.4), carried in UDP to port 3784 (single hop, RFC 5881) or
 * 4784 (multihop, RFC 5883). Big endian.
 *
 *   off len field
 *     0   1 Vers (3 bits, = 1) | Diag (5 bits)
 *     1   1 Sta (2 bits) | P | F | C | A | D | M
 *     2   1 Detect Mult        (nonzero)
 *     3   1 Length             (whole packet, auth section included)
 *     4   4 My Discriminator   (nonzero)
 *     8   4 Your Discriminator (0 until learned; only in Down/AdminDown packets)
 *    12   4 Desired Min TX Interval (µs)
 *    16   4 Required Min RX Interval (µs; 0: send me no periodic packets)
 *    20   4 Required Min Echo RX Interval (µs; 0: I do not loop echo)
 *   Authentication section, present iff A is set:
 *    24   1 Auth Type   1 simple password, 2 keyed MD5, 3 meticulous keyed MD5,
 *                       4 keyed SHA1, 5 meticulous keyed SHA1
 *    25   1 Auth Len    simple: 3 + password (1..16) = 4..19; MD5: 24; SHA1: 28
 *    26   1 Auth Key ID
 *   simple (§4.2):       27 password (Auth Len - 3 bytes)
 *   MD5 / SHA1 (§4.3-4.4): 27 Reserved (0 sent, ignored), 28 Sequence Number (4),
 *                         32 digest (16 MD5 / 20 SHA1)
 *
 * Decode applies the §6.8.6 checks that need no session, in the RFC's order:
 *   version; Length >= 24 (>= 26 with A); Length <= payload; Detect Mult != 0; M == 0;
 *   My Discriminator != 0; Your Discriminator != 0 unless State is Down or AdminDown.
 * Then, keel's own structural checks (the RFC leaves them to "authentication"):
 *   P and F not both set (§6.5: a packet MUST NOT carry both; BIRD drops these too);
 *   A clear -> Length == 24 (nothing else can follow the mandatory section);
 *   A set   -> Auth Type 1..5, Auth Len as above and Length == 24 + Auth Len.
 * Example, keel's first packet (Down, mult 3, slow 1 s tx, 300 ms rx, no echo, no auth):
 *   20 40 03 18 | <my disc> | 00 00 00 00 | 00 0f 42 40 | 00 04 93 e0 | 00 00 00 00
 */
#include <string.h>

#include "daemons/bfdd/bfdd.h"
#include "lib/buf.h"

#define BFD_DIGEST_OFF 8 /* digest offset inside a keyed auth section */

static const char *const bfd_state_names[BFD_STATE_COUNT] = {
        [BFD_STATE_ADMIN_DOWN] = "AdminDown",
        [BFD_STATE_DOWN] = "Down",
        [BFD_STATE_INIT] = "Init",
        [BFD_STATE_UP] = "Up",
};

/* §4.1 wording, as Junos prints it in "show bfd session detail". */
static const char *const bfd_diag_names[BFD_DIAG_COUNT] = {
        [BFD_DIAG_NONE] = "None",
        [BFD_DIAG_DETECT_EXPIRED] = "Control Detection Time Expired",
        [BFD_DIAG_ECHO_FAILED] = "Echo Function Failed",
        [BFD_DIAG_NEIGHBOR_DOWN] = "Neighbor Signaled Session Down",
        [BFD_DIAG_FWD_PLANE_RESET] = "Forwarding Plane Reset",
        [BFD_DIAG_PATH_DOWN] = "Path Down",
        [BFD_DIAG_CONCAT_PATH_DOWN] = "Concatenated Path Down",
        [BFD_DIAG_ADMIN_DOWN] = "Administratively Down",
        [BFD_DIAG_REV_CONCAT_PATH_DOWN] = "Reverse Concatenated Path Down",
};

static const char *const bfd_drop_names[BFD_DROP_COUNT] = {
        [BFD_DROP_NONE] = "accepted",
        [BFD_DROP_TRUNCATED] = "truncated",
        [BFD_DROP_VERSION] = "bad version",
        [BFD_DROP_LENGTH] = "length too short",
        [BFD_DROP_LENGTH_PAYLOAD] = "length exceeds payload",
        [BFD_DROP_MULT_ZERO] = "detect multiplier zero",
        [BFD_DROP_MULTIPOINT] = "multipoint bit set",
        [BFD_DROP_MY_DISC_ZERO] = "my discriminator zero",
        [BFD_DROP_YOUR_DISC_ZERO] = "your discriminator zero",
        [BFD_DROP_POLL_FINAL] = "poll and final both set",
        [BFD_DROP_AUTH_LEN] = "bad authentication length",
        [BFD_DROP_AUTH_TYPE] = "bad authentication type",
        [BFD_DROP_NO_SESSION] = "no session",
        [BFD_DROP_AUTH_MISSING] = "authentication missing",
        [BFD_DROP_AUTH_UNEXPECTED] = "authentication unexpected",
        [BFD_DROP_AUTH_MISMATCH] = "authentication type mismatch",
        [BFD_DROP_AUTH_KEY_ID] = "unknown key id",
        [BFD_DROP_AUTH_SEQ] = "sequence number out of window",
        [BFD_DROP_AUTH_FAIL] = "authentication failed",
        [BFD_DROP_TTL] = "bad TTL",
};

/* The Junos algorithm names (security authentication-key-chains / bfd authentication). */
static const char *const bfd_auth_type_names[BFD_AUTH_TYPE_COUNT] = {
        [BFD_AUTH_NONE] = "none",
        [BFD_AUTH_SIMPLE] = "simple-password",
        [BFD_AUTH_KEYED_MD5] = "keyed-md5",
        [BFD_AUTH_MET_KEYED_MD5] = "meticulous-keyed-md5",
        [BFD_AUTH_KEYED_SHA1] = "keyed-sha-1",
        [BFD_AUTH_MET_KEYED_SHA1] = "meticulous-keyed-sha-1",
};

const char *bfd_state_name(enum bfd_state s)
{
	return (unsigned)s < BFD_STATE_COUNT ? bfd_state_names[s] : "?";
}

const char *bfd_diag_name(enum bfd_diag d)
{
	return (unsigned)d < BFD_DIAG_COUNT ? bfd_diag_names[d] : "?";
}

const char *bfd_drop_name(enum bfd_drop d)
{
	return (unsigned)d < BFD_DROP_COUNT && bfd_drop_names[d] ? bfd_drop_names[d] : "?";
}

const char *bfd_auth_type_name(enum bfd_auth_type t)
{
	return (unsigned)t < BFD_AUTH_TYPE_COUNT ? bfd_auth_type_names[t] : "?";
}

size_t bfd_auth_section_len(enum bfd_auth_type t, size_t password_len)
{
	switch (t) {
	case BFD_AUTH_SIMPLE: /* §4.2: 1..16 byte password */
		return password_len >= 1 && password_len <= 16 ? 3 + password_len : 0;
	case BFD_AUTH_KEYED_MD5:
	case BFD_AUTH_MET_KEYED_MD5: /* §4.3 */
		return 24;
	case BFD_AUTH_KEYED_SHA1:
	case BFD_AUTH_MET_KEYED_SHA1: /* §4.4 */
		return 28;
	default:
		return 0;
	}
}

/* Digest length of the keyed types, 0 for the others. */
static size_t bfd_digest_len(uint8_t t)
{
	size_t n = bfd_auth_section_len((enum bfd_auth_type)t, 0);

	return n ? n - BFD_DIGEST_OFF : 0;
}

/* Reads the authentication section (r is positioned at byte 24, Length - 24 bytes left). */
static enum bfd_drop bfd_decode_auth(struct rbuf *r, uint8_t length, struct bfd_pkt *out)
{
	uint8_t reserved;

	rbuf_u8(r, &out->auth_type);
	rbuf_u8(r, &out->auth_len);
	if (out->auth_type == BFD_AUTH_NONE || out->auth_type >= BFD_AUTH_TYPE_COUNT)
		return BFD_DROP_AUTH_TYPE;
	/* The section must fill the packet exactly: Length == 24 + Auth Len. */
	if ((size_t)out->auth_len != (size_t)length - BFD_HDR_LEN)
		return BFD_DROP_AUTH_LEN;
	if (out->auth_type == BFD_AUTH_SIMPLE) {
		if (out->auth_len < 3 + 1 || out->auth_len > 3 + 16) /* §4.2: 1..16 bytes */
			return BFD_DROP_AUTH_LEN;
		out->auth_data_len = (uint8_t)(out->auth_len - 3);
		rbuf_u8(r, &out->auth_key_id);
		rbuf_bytes(r, out->auth_data, out->auth_data_len);
		return rbuf_ok(r) ? BFD_DROP_NONE : BFD_DROP_AUTH_LEN;
	}
	if (out->auth_len != bfd_auth_section_len(out->auth_type, 0))
		return BFD_DROP_AUTH_LEN;
	out->auth_data_len = (uint8_t)bfd_digest_len(out->auth_type);
	rbuf_u8(r, &out->auth_key_id);
	rbuf_u8(r, &reserved); /* §4.3: ignored on receipt */
	rbuf_u32(r, &out->auth_seq);
	rbuf_bytes(r, out->auth_data, out->auth_data_len);
	return rbuf_ok(r) ? BFD_DROP_NONE : BFD_DROP_AUTH_LEN;
}

enum bfd_drop bfd_decode(const uint8_t *buf, size_t len, struct bfd_pkt *out)
{
	struct rbuf r;
	uint8_t b0, b1;

	memset(out, 0, sizeof(*out));
	if (len < 4)
		return BFD_DROP_TRUNCATED;
	rbuf_init(&r, buf, len);
	rbuf_u8(&r, &b0);
	rbuf_u8(&r, &b1);
	rbuf_u8(&r, &out->detect_mult);
	rbuf_u8(&r, &out->length);
	out->version = b0 >> 5;
	out->diag = b0 & 0x1f;
	out->state = b1 >> 6;
	out->flags = b1 & 0x3f;

	/* RFC 5880 §6.8.6, in order. */
	if (out->version != BFD_VERSION)
		return BFD_DROP_VERSION;
	if (out->length < BFD_HDR_LEN + ((out->flags & BFD_FLAG_AUTH) ? BFD_AUTH_HDR_LEN : 0))
		return BFD_DROP_LENGTH;
	if (out->length > len)
		return BFD_DROP_LENGTH_PAYLOAD;
	/* Length <= payload: every later read stays within the packet. */
	rbuf_init(&r, buf, out->length);
	rbuf_skip(&r, 4);
	rbuf_u32(&r, &out->my_disc);
	rbuf_u32(&r, &out->your_disc);
	rbuf_u32(&r, &out->desired_min_tx);
	rbuf_u32(&r, &out->required_min_rx);
	rbuf_u32(&r, &out->required_min_echo_rx);
	if (out->detect_mult == 0)
		return BFD_DROP_MULT_ZERO;
	if (out->flags & BFD_FLAG_MULTIPOINT)
		return BFD_DROP_MULTIPOINT;
	if (out->my_disc == 0)
		return BFD_DROP_MY_DISC_ZERO;
	if (out->your_disc == 0 && out->state != BFD_STATE_DOWN &&
	    out->state != BFD_STATE_ADMIN_DOWN)
		return BFD_DROP_YOUR_DISC_ZERO;
	/* keel's structural checks (see the top of this file). */
	if ((out->flags & (BFD_FLAG_POLL | BFD_FLAG_FINAL)) == (BFD_FLAG_POLL | BFD_FLAG_FINAL))
		return BFD_DROP_POLL_FINAL;
	if (!(out->flags & BFD_FLAG_AUTH))
		return out->length == BFD_HDR_LEN ? BFD_DROP_NONE : BFD_DROP_AUTH_LEN;
	return bfd_decode_auth(&r, out->length, out);
}

int bfd_encode(const struct bfd_pkt *p, uint8_t *buf, size_t cap, size_t *out_len)
{
	bool auth = p->flags & BFD_FLAG_AUTH;
	size_t alen = 0;
	struct wbuf w;

	*out_len = 0;
	/* What decode would drop is never sent. */
	if (p->diag > 0x1f || p->state >= BFD_STATE_COUNT || (p->flags & ~0x3f) ||
	    (p->flags & BFD_FLAG_MULTIPOINT) || p->detect_mult == 0 || p->my_disc == 0 ||
	    (p->your_disc == 0 && p->state != BFD_STATE_DOWN && p->state != BFD_STATE_ADMIN_DOWN) ||
	    (p->flags & (BFD_FLAG_POLL | BFD_FLAG_FINAL)) == (BFD_FLAG_POLL | BFD_FLAG_FINAL))
		return -1;
	if (auth) {
		size_t dlen = p->auth_type == BFD_AUTH_SIMPLE ? p->auth_data_len
		                                              : bfd_digest_len(p->auth_type);

		alen = bfd_auth_section_len(p->auth_type, p->auth_data_len);
		if (alen == 0 || p->auth_data_len != dlen)
			return -1;
	}

	wbuf_init(&w, buf, cap);
	wbuf_u8(&w, (uint8_t)(BFD_VERSION << 5 | p->diag));
	wbuf_u8(&w, (uint8_t)(p->state << 6 | p->flags));
	wbuf_u8(&w, p->detect_mult);
	wbuf_u8(&w, (uint8_t)(BFD_HDR_LEN + alen));
	wbuf_u32(&w, p->my_disc);
	wbuf_u32(&w, p->your_disc);
	wbuf_u32(&w, p->desired_min_tx);
	wbuf_u32(&w, p->required_min_rx);
	wbuf_u32(&w, p->required_min_echo_rx);
	if (auth) {
		wbuf_u8(&w, p->auth_type);
		wbuf_u8(&w, (uint8_t)alen);
		wbuf_u8(&w, p->auth_key_id);
		if (p->auth_type != BFD_AUTH_SIMPLE) {
			wbuf_u8(&w, 0); /* Reserved (§4.3, §4.4) */
			wbuf_u32(&w, p->auth_seq);
		}
		wbuf_bytes(&w, p->auth_data, p->auth_data_len);
	}
	if (!wbuf_ok(&w))
		return -1;
	*out_len = wbuf_len(&w);
	return 0;
}
