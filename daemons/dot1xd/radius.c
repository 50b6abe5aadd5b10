/*
 * RADIUS client codec: message builder, Access-Request / Accounting-Request builders, reply
 * and CoA/Disconnect verification and parsing. Pure (no I/O, no globals, no logging); the
 * secret comes in with each call.
 *
 * WIRE FORMAT (RFC 2865 §3, §5)
 *
 *   off len field
 *     0   1 Code           enum radius_code
 *     1   1 Identifier     matches a reply to its request (per source port)
 *     2   2 Length         20..4096, the whole message; datagram bytes past it are padding
 *     4  16 Authenticator  see below
 *    20   n Attributes     Type(1) Length(1, >= 2, the whole attribute) Value(Length - 2)
 *
 *   Authenticators
 *     Access-Request, Status-Server   16 random octets (RFC 2865 §3)
 *     Accounting-, CoA-, Disconnect-  MD5(Code|ID|Length|16 zero octets|Attributes|Secret)
 *       Request                       (RFC 2866 §3, RFC 5176 §3.1)
 *     every reply                     MD5(Code|ID|Length|Request Auth|Attributes|Secret)
 *     Message-Authenticator (80, 18)  HMAC-MD5(Secret, the message with this value zeroed and
 *                                     the authenticator as above: the random one in an
 *                                     Access-Request, 16 zeros in the other requests, the
 *                                     request's in a reply) (RFC 3579 §3.2, RFC 5176 §3.1);
 *                                     computed before the (Response) Authenticator
 *
 *   BlastRADIUS (CVE-2024-3596; draft-ietf-radext-deprecating-radius): keel puts
 *   Message-Authenticator FIRST in every message it sends, MAC RADIUS (PAP) included, so that
 *   no attacker-chosen prefix precedes it, and drops every Access-Accept/Reject/Challenge
 *   without a valid one. Replies carrying Proxy-State are dropped: keel never sends one, and
 *   an echoed Proxy-State is where the collision blocks hide.
 *
 *   Attributes keel refuses twice in a reply (RFC 2865 §5.44 table: 0-1): User-Name, State,
 *   Session-Timeout, Idle-Timeout, Termination-Action, Acct-Interim-Interval,
 *   Message-Authenticator (RFC 3579 §3.2), and per tag each tunnel attribute (RFC 2868 §3).
 *   EAP-Message (79) may repeat: the values concatenate in order (RFC 3579 §3.1) and the
 *   result must be one EAP packet whose Length is exactly its size.
 *
 *   Tunnel attributes (RFC 2868 §3.1-3.6, RFC 3580 §3.31): Tunnel-Type 64 / Medium 65 are
 *   Tag(1, 0x00-0x1F) Value(3); Tunnel-Private-Group-ID 81 is [Tag] String where a first
 *   octet > 0x1F is string data. A VLAN is the lowest tag with Type VLAN (13), Medium 802 (6)
 *   and a group id: a number 1..4094 or a VLAN name.
 *
 * Example: keel's EAP Access-Request (id 7, M-A first), attributes in sending order:
 *   01 07 LL LL <16 random> | 50 12 <HMAC-MD5> | 01 05 "bob" | 20 ... NAS-Identifier |
 *   3d 06 00 00 00 0f | 57 .. "ax0" | 0c 06 00 00 05 dc | 1e 13 "02-00-00-00-00-FE" |
 *   1f 13 "02-00-00-00-00-01" | [18 .. State] | 4f .. EAP-Message ...
 */
#include <string.h>
#include <sys/uio.h>

#include "daemons/dot1xd/dot1xd.h"
#include "lib/buf.h"
#include "lib/crypto.h"

#define TUNNEL_TAGS 32

static const char *const radius_err_names[RADIUS_ERR_COUNT] = {
        [RADIUS_OK] = "ok",
        [RADIUS_ERR_SHORT] = "truncated",
        [RADIUS_ERR_LENGTH] = "bad length",
        [RADIUS_ERR_ATTR] = "bad attribute length",
        [RADIUS_ERR_CODE] = "unexpected code",
        [RADIUS_ERR_MA_MISSING] = "missing Message-Authenticator",
        [RADIUS_ERR_MA_LEN] = "bad Message-Authenticator length",
        [RADIUS_ERR_MA_BAD] = "bad Message-Authenticator",
        [RADIUS_ERR_AUTHENTICATOR] = "bad authenticator",
        [RADIUS_ERR_DUP] = "duplicate attribute",
        [RADIUS_ERR_PROXY_STATE] = "unexpected Proxy-State",
        [RADIUS_ERR_EAP] = "bad EAP-Message",
        [RADIUS_ERR_VALUE] = "bad attribute value",
        [RADIUS_ERR_NO_SPACE] = "no space",
        [RADIUS_ERR_ARG] = "bad argument",
        [RADIUS_ERR_CRYPTO] = "crypto failure",
};

const char *radius_err_name(enum radius_err e)
{
	return (unsigned)e < RADIUS_ERR_COUNT ? radius_err_names[e] : "?";
}

const char *radius_code_name(uint8_t code)
{
	switch (code) {
	case RADIUS_CODE_ACCESS_REQUEST:
		return "Access-Request";
	case RADIUS_CODE_ACCESS_ACCEPT:
		return "Access-Accept";
	case RADIUS_CODE_ACCESS_REJECT:
		return "Access-Reject";
	case RADIUS_CODE_ACCOUNTING_REQUEST:
		return "Accounting-Request";
	case RADIUS_CODE_ACCOUNTING_RESPONSE:
		return "Accounting-Response";
	case RADIUS_CODE_ACCESS_CHALLENGE:
		return "Access-Challenge";
	case RADIUS_CODE_STATUS_SERVER:
		return "Status-Server";
	case RADIUS_CODE_DISCONNECT_REQUEST:
		return "Disconnect-Request";
	case RADIUS_CODE_DISCONNECT_ACK:
		return "Disconnect-ACK";
	case RADIUS_CODE_DISCONNECT_NAK:
		return "Disconnect-NAK";
	case RADIUS_CODE_COA_REQUEST:
		return "CoA-Request";
	case RADIUS_CODE_COA_ACK:
		return "CoA-ACK";
	case RADIUS_CODE_COA_NAK:
		return "CoA-NAK";
	default:
		return "unknown";
	}
}

/* ------------------------------------------------------------------ MACs */

void radius_mac_format(const uint8_t mac[6], char out[RADIUS_MAC_STR_LEN])
{
	static const char hex[] = "0123456789ABCDEF";

	for (int i = 0; i < 6; i++) {
		out[i * 3] = hex[mac[i] >> 4];
		out[i * 3 + 1] = hex[mac[i] & 15];
		out[i * 3 + 2] = i < 5 ? '-' : '\0';
	}
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool radius_mac_parse(const uint8_t *s, size_t len, uint8_t mac[6])
{
	size_t nd = 0;

	memset(mac, 0, 6);
	for (size_t i = 0; i < len; i++) {
		int v = hexval(s[i]);

		if (v < 0) {
			if (s[i] != '-' && s[i] != ':' && s[i] != '.')
				return false;
			continue;
		}
		if (nd == 12)
			return false;
		mac[nd / 2] = (uint8_t)(mac[nd / 2] << 4 | v);
		nd++;
	}
	return nd == 12;
}

/* ---------------------------------------------------- RFC 2865 §5.2 */

/* One 16-byte keystream block of User-Password hiding (RFC 2865 §5.2):
 * MD5(secret + previous), previous = the Request Authenticator or the last
 * ciphertext block. */
static int radius_pw_block(const void *secret, size_t secret_len, const uint8_t *prev,
                           uint8_t b[16])
{
	struct iovec iov[2] = {{.iov_base = (void *)secret, .iov_len = secret_len},
	                       {.iov_base = (void *)prev, .iov_len = 16}};
	size_t n = 16;

	return crypto_digestv(CRYPTO_MD_MD5, iov, 2, b, &n);
}

enum radius_err radius_password_hide(const void *secret, size_t secret_len,
                                     const uint8_t auth[RADIUS_AUTH_LEN], const uint8_t *pw,
                                     size_t pw_len, uint8_t *out, size_t *out_len)
{
	size_t padded = (pw_len + 15) / 16 * 16;
	const uint8_t *prev = auth;

	*out_len = 0;
	if (pw_len == 0 || pw_len > RADIUS_PASSWORD_MAX || !pw)
		return RADIUS_ERR_ARG;
	/* b1 = MD5(S + RA), c1 = p1 ^ b1; bi = MD5(S + c(i-1)), ci = pi ^ bi. */
	for (size_t off = 0; off < padded; off += 16) {
		uint8_t b[16];

		if (radius_pw_block(secret, secret_len, prev, b) != 0)
			return RADIUS_ERR_CRYPTO;
		for (size_t i = 0; i < 16; i++)
			out[off + i] = (off + i < pw_len ? pw[off + i] : 0) ^ b[i];
		prev = out + off;
	}
	*out_len = padded;
	return RADIUS_OK;
}

enum radius_err radius_password_unhide(const void *secret, size_t secret_len,
                                       const uint8_t auth[RADIUS_AUTH_LEN], const uint8_t *in,
                                       size_t in_len, uint8_t *out, size_t *out_len)
{
	const uint8_t *prev = auth;

	*out_len = 0;
	if (in_len == 0 || in_len % 16 || in_len > RADIUS_PASSWORD_MAX)
		return RADIUS_ERR_VALUE;
	for (size_t off = 0; off < in_len; off += 16) {
		uint8_t b[16];

		if (radius_pw_block(secret, secret_len, prev, b) != 0)
			return RADIUS_ERR_CRYPTO;
		for (size_t i = 0; i < 16; i++)
			out[off + i] = in[off + i] ^ b[i];
		prev = in + off;
	}
	/* The padding is NULs (§5.2); the password ends before them. */
	*out_len = in_len;
	while (*out_len > 0 && out[*out_len - 1] == 0)
		(*out_len)--;
	return RADIUS_OK;
}

/* ---------------------------------------------------------------- decode */

enum radius_err radius_decode(const uint8_t *buf, size_t len, struct radius_pkt *out)
{
	size_t off;

	memset(out, 0, sizeof(*out));
	if (len < RADIUS_HDR_LEN)
		return RADIUS_ERR_SHORT;
	out->length = (uint16_t)(buf[2] << 8 | buf[3]);
	/* RFC 2865 §3: shorter than Length is discarded, longer is padding. */
	if (out->length < RADIUS_HDR_LEN || out->length > RADIUS_MAX_LEN || out->length > len)
		return RADIUS_ERR_LENGTH;
	out->buf = buf;
	out->code = buf[0];
	out->id = buf[1];
	out->auth = buf + 4;
	for (off = RADIUS_HDR_LEN; off < out->length;) {
		uint8_t t, l;

		if (out->length - off < 2)
			return RADIUS_ERR_ATTR;
		t = buf[off];
		l = buf[off + 1];
		if (l < 2 || l > out->length - off)
			return RADIUS_ERR_ATTR;
		if (t == RADIUS_ATTR_MESSAGE_AUTHENTICATOR) {
			/* RFC 3579 §3.2: exactly 16 octets, at most once. */
			if (l != RADIUS_MA_ATTR_LEN)
				return RADIUS_ERR_MA_LEN;
			if (out->ma_off)
				return RADIUS_ERR_DUP;
			out->ma_off = (uint16_t)(off + 2);
			out->ma_index = out->nattrs;
		}
		out->count[t]++;
		out->nattrs++;
		off += l;
	}
	return RADIUS_OK;
}

void radius_attr_iter_init(struct radius_attr_iter *it, const struct radius_pkt *p)
{
	it->p = p;
	it->off = RADIUS_HDR_LEN;
}

bool radius_attr_next(struct radius_attr_iter *it, uint8_t *type, const uint8_t **val, uint8_t *len)
{
	const struct radius_pkt *p = it->p;

	/* radius_decode() proved the walk sound; re-check anyway so a misuse cannot overrun. */
	if (!p->buf || it->off + 2 > p->length)
		return false;
	*type = p->buf[it->off];
	*len = (uint8_t)(p->buf[it->off + 1] - 2);
	if (p->buf[it->off + 1] < 2 || it->off + 2 + *len > p->length)
		return false;
	*val = p->buf + it->off + 2;
	it->off += 2u + *len;
	return true;
}

/* --------------------------------------------------------- verification */

enum radius_err radius_verify_ma(const struct radius_pkt *p, const uint8_t auth16[16],
                                 const void *secret, size_t secret_len)
{
	static const uint8_t zero[16];
	uint8_t mac[CRYPTO_MD_MAX_LEN];
	size_t n = sizeof(mac);

	if (!p->ma_off)
		return RADIUS_ERR_MA_MISSING;
	struct iovec iov[5] = {
	        {.iov_base = (void *)p->buf, .iov_len = 4},
	        {.iov_base = (void *)auth16, .iov_len = 16},
	        {.iov_base = (void *)(p->buf + RADIUS_HDR_LEN),
	         .iov_len = p->ma_off - RADIUS_HDR_LEN},
	        {.iov_base = (void *)zero, .iov_len = 16},
	        {.iov_base = (void *)(p->buf + p->ma_off + 16),
	         .iov_len = (size_t)p->length - p->ma_off - 16},
	};
	if (crypto_hmacv(CRYPTO_MD_MD5, secret, secret_len, iov, 5, mac, &n) != 0 || n != 16)
		return RADIUS_ERR_CRYPTO;
	return crypto_memeq(mac, p->buf + p->ma_off, 16) ? RADIUS_OK : RADIUS_ERR_MA_BAD;
}

static enum radius_err check_md5_auth(const struct radius_pkt *p, const uint8_t auth16[16],
                                      const void *secret, size_t secret_len)
{
	uint8_t md[CRYPTO_MD_MAX_LEN];
	size_t n = sizeof(md);
	struct iovec iov[4] = {
	        {.iov_base = (void *)p->buf, .iov_len = 4},
	        {.iov_base = (void *)auth16, .iov_len = 16},
	        {.iov_base = (void *)(p->buf + RADIUS_HDR_LEN),
	         .iov_len = (size_t)p->length - RADIUS_HDR_LEN},
	        {.iov_base = (void *)secret, .iov_len = secret_len},
	};

	if (crypto_digestv(CRYPTO_MD_MD5, iov, 4, md, &n) != 0 || n != 16)
		return RADIUS_ERR_CRYPTO;
	return crypto_memeq(md, p->auth, 16) ? RADIUS_OK : RADIUS_ERR_AUTHENTICATOR;
}

enum radius_err radius_verify_response_auth(const struct radius_pkt *p,
                                            const uint8_t req_auth[RADIUS_AUTH_LEN],
                                            const void *secret, size_t secret_len)
{
	return check_md5_auth(p, req_auth, secret, secret_len);
}

enum radius_err radius_verify_request_auth(const struct radius_pkt *p, const void *secret,
                                           size_t secret_len)
{
	static const uint8_t zero[16];
	enum radius_err e;

	/* RFC 5176 §3.1: the M-A is computed over a zero authenticator, before it is set. */
	if (p->ma_off && (e = radius_verify_ma(p, zero, secret, secret_len)) != RADIUS_OK)
		return e;
	return check_md5_auth(p, zero, secret, secret_len);
}

enum radius_err radius_acct_response_verify(const struct radius_pkt *p,
                                            const uint8_t req_auth[RADIUS_AUTH_LEN],
                                            const void *secret, size_t secret_len)
{
	enum radius_err e;

	if (p->code != RADIUS_CODE_ACCOUNTING_RESPONSE)
		return RADIUS_ERR_CODE;
	if (p->ma_off && (e = radius_verify_ma(p, req_auth, secret, secret_len)) != RADIUS_OK)
		return e;
	if (p->count[RADIUS_ATTR_PROXY_STATE])
		return RADIUS_ERR_PROXY_STATE;
	return check_md5_auth(p, req_auth, secret, secret_len);
}

/* ---------------------------------------------------------------- parse */

struct tunnels {
	uint32_t seen_type, seen_medium, seen_group; /* bit per tag */
	uint32_t type[TUNNEL_TAGS];
	uint32_t medium[TUNNEL_TAGS];
	uint8_t group_len[TUNNEL_TAGS];
	const uint8_t *group[TUNNEL_TAGS];
};

/* RFC 2868 §3.1/3.2 (Tag, 3-octet value) and §3.6 (optional Tag, string). */
static enum radius_err tunnel_attr(struct tunnels *t, uint8_t type, const uint8_t *v, uint8_t len)
{
	if (type == RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID) {
		uint8_t tag = 0;

		if (len >= 1 && v[0] <= 0x1f) {
			tag = v[0];
			v++;
			len--;
		}
		if (len == 0 || memchr(v, 0, len))
			return RADIUS_ERR_VALUE;
		if (t->seen_group & (1u << tag))
			return RADIUS_ERR_DUP;
		t->seen_group |= 1u << tag;
		t->group[tag] = v;
		t->group_len[tag] = len;
		return RADIUS_OK;
	}
	if (len != 4 || v[0] > 0x1f)
		return RADIUS_ERR_VALUE;
	uint8_t tag = v[0];
	uint32_t val = (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
	uint32_t *seen = type == RADIUS_ATTR_TUNNEL_TYPE ? &t->seen_type : &t->seen_medium;

	if (*seen & (1u << tag))
		return RADIUS_ERR_DUP;
	*seen |= 1u << tag;
	(type == RADIUS_ATTR_TUNNEL_TYPE ? t->type : t->medium)[tag] = val;
	return RADIUS_OK;
}

static void tunnel_vlan(const struct tunnels *t, struct radius_vlan *vlan)
{
	memset(vlan, 0, sizeof(*vlan));
	for (unsigned tag = 0; tag < TUNNEL_TAGS; tag++) {
		uint32_t bit = 1u << tag;

		if (!(t->seen_type & t->seen_medium & t->seen_group & bit) ||
		    t->type[tag] != RADIUS_TUNNEL_TYPE_VLAN ||
		    t->medium[tag] != RADIUS_TUNNEL_MEDIUM_802)
			continue;
		vlan->present = true;
		vlan->tag = (uint8_t)tag;
		memcpy(vlan->name, t->group[tag], t->group_len[tag]);
		vlan->name[t->group_len[tag]] = '\0';
		/* RFC 3580 §3.31: the VLAN ID as a string; anything else is a VLAN name. */
		uint32_t vid = 0;
		size_t i;

		for (i = 0; i < t->group_len[tag] && i < 5; i++) {
			if (t->group[tag][i] < '0' || t->group[tag][i] > '9')
				break;
			vid = vid * 10 + (uint32_t)(t->group[tag][i] - '0');
		}
		if (i == t->group_len[tag] && vid >= 1 && vid <= 4094)
			vlan->vid = (uint16_t)vid;
		return;
	}
}

static enum radius_err get_u32(const uint8_t *v, uint8_t len, uint32_t *out)
{
	if (len != 4)
		return RADIUS_ERR_VALUE;
	*out = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
	return RADIUS_OK;
}

static void put_bytes(struct radius_bytes *b, const uint8_t *v, uint8_t len)
{
	b->len = len;
	memcpy(b->val, v, len);
}

/* The attributes RFC 2865 §5.44 allows at most once in Accept/Challenge. */
static bool single_dup(const struct radius_pkt *p)
{
	static const uint8_t once[] = {
	        RADIUS_ATTR_USER_NAME,          RADIUS_ATTR_STATE,
	        RADIUS_ATTR_SESSION_TIMEOUT,    RADIUS_ATTR_IDLE_TIMEOUT,
	        RADIUS_ATTR_TERMINATION_ACTION, RADIUS_ATTR_ACCT_INTERIM_INTERVAL};

	for (size_t i = 0; i < sizeof(once); i++)
		if (p->count[once[i]] > 1)
			return true;
	return false;
}

enum radius_err radius_reply_parse(const struct radius_pkt *p,
                                   const uint8_t req_auth[RADIUS_AUTH_LEN], const void *secret,
                                   size_t secret_len, struct radius_reply *out)
{
	struct radius_attr_iter it;
	struct tunnels tun;
	const uint8_t *v;
	uint8_t type, len;
	enum radius_err e;

	memset(out, 0, offsetof(struct radius_reply, eap));
	out->eap_len = 0;
	memset(&out->state, 0, sizeof(*out) - offsetof(struct radius_reply, state));
	if (p->code != RADIUS_CODE_ACCESS_ACCEPT && p->code != RADIUS_CODE_ACCESS_REJECT &&
	    p->code != RADIUS_CODE_ACCESS_CHALLENGE)
		return RADIUS_ERR_CODE;
	/* CVE-2024-3596: required in every reply, not only those with EAP-Message (RFC 3579). */
	if (!p->ma_off)
		return RADIUS_ERR_MA_MISSING;
	if ((e = radius_verify_ma(p, req_auth, secret, secret_len)) != RADIUS_OK)
		return e;
	if ((e = radius_verify_response_auth(p, req_auth, secret, secret_len)) != RADIUS_OK)
		return e;
	if (p->count[RADIUS_ATTR_PROXY_STATE])
		return RADIUS_ERR_PROXY_STATE;
	if (single_dup(p))
		return RADIUS_ERR_DUP;
	out->code = p->code;
	out->id = p->id;
	memset(&tun, 0, sizeof(tun));
	radius_attr_iter_init(&it, p);
	while (radius_attr_next(&it, &type, &v, &len)) {
		e = RADIUS_OK;
		switch (type) {
		case RADIUS_ATTR_EAP_MESSAGE:
			/* RFC 3579 §3.1: concatenate in order; bounded by the 4096-byte message. */
			memcpy(out->eap + out->eap_len, v, len);
			out->eap_len += len;
			break;
		case RADIUS_ATTR_STATE:
			put_bytes(&out->state, v, len);
			break;
		case RADIUS_ATTR_CLASS:
			/* Kept up to RADIUS_CLASS_MAX; a server sending more is unusual. */
			if (out->nclass < RADIUS_CLASS_MAX)
				put_bytes(&out->class_[out->nclass++], v, len);
			break;
		case RADIUS_ATTR_SESSION_TIMEOUT:
			e = get_u32(v, len, &out->session_timeout);
			out->has_session_timeout = true;
			break;
		case RADIUS_ATTR_TERMINATION_ACTION:
			e = get_u32(v, len, &out->termination_action);
			out->has_termination_action = true;
			break;
		case RADIUS_ATTR_IDLE_TIMEOUT:
			e = get_u32(v, len, &out->idle_timeout);
			out->has_idle_timeout = true;
			break;
		case RADIUS_ATTR_ACCT_INTERIM_INTERVAL:
			e = get_u32(v, len, &out->interim_interval);
			out->has_interim_interval = true;
			break;
		case RADIUS_ATTR_REPLY_MESSAGE:
			if (!out->reply_message.len)
				put_bytes(&out->reply_message, v, len);
			break;
		case RADIUS_ATTR_USER_NAME:
			put_bytes(&out->user_name, v, len);
			out->has_user_name = true;
			break;
		case RADIUS_ATTR_TUNNEL_TYPE:
		case RADIUS_ATTR_TUNNEL_MEDIUM_TYPE:
		case RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID:
			e = tunnel_attr(&tun, type, v, len);
			break;
		default:
			break;
		}
		if (e != RADIUS_OK)
			return e;
	}
	if (out->eap_len) {
		struct eap_pkt ep;

		if (eap_decode(out->eap, out->eap_len, &ep) != EAP_OK || ep.length != out->eap_len)
			return RADIUS_ERR_EAP;
	}
	tunnel_vlan(&tun, &out->vlan);
	return RADIUS_OK;
}

static bool das_understood(uint8_t type)
{
	switch (type) {
	case RADIUS_ATTR_USER_NAME:
	case RADIUS_ATTR_NAS_IP_ADDRESS:
	case RADIUS_ATTR_STATE:
	case RADIUS_ATTR_SESSION_TIMEOUT:
	case RADIUS_ATTR_TERMINATION_ACTION:
	case RADIUS_ATTR_CALLED_STATION_ID:
	case RADIUS_ATTR_CALLING_STATION_ID:
	case RADIUS_ATTR_NAS_IDENTIFIER:
	case RADIUS_ATTR_ACCT_SESSION_ID:
	case RADIUS_ATTR_EVENT_TIMESTAMP:
	case RADIUS_ATTR_NAS_PORT_TYPE:
	case RADIUS_ATTR_TUNNEL_TYPE:
	case RADIUS_ATTR_TUNNEL_MEDIUM_TYPE:
	case RADIUS_ATTR_MESSAGE_AUTHENTICATOR:
	case RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID:
	case RADIUS_ATTR_NAS_PORT_ID:
		return true;
	default:
		return false;
	}
}

enum radius_err radius_das_parse(const struct radius_pkt *p, const void *secret, size_t secret_len,
                                 struct radius_das_req *out)
{
	static const uint8_t once[] = {RADIUS_ATTR_USER_NAME,
	                               RADIUS_ATTR_NAS_IP_ADDRESS,
	                               RADIUS_ATTR_STATE,
	                               RADIUS_ATTR_SESSION_TIMEOUT,
	                               RADIUS_ATTR_TERMINATION_ACTION,
	                               RADIUS_ATTR_CALLING_STATION_ID,
	                               RADIUS_ATTR_NAS_IDENTIFIER,
	                               RADIUS_ATTR_ACCT_SESSION_ID,
	                               RADIUS_ATTR_EVENT_TIMESTAMP,
	                               RADIUS_ATTR_NAS_PORT_ID};
	struct radius_attr_iter it;
	struct tunnels tun;
	const uint8_t *v;
	uint8_t type, len;
	enum radius_err e;

	memset(out, 0, sizeof(*out));
	if (p->code != RADIUS_CODE_COA_REQUEST && p->code != RADIUS_CODE_DISCONNECT_REQUEST)
		return RADIUS_ERR_CODE;
	if ((e = radius_verify_request_auth(p, secret, secret_len)) != RADIUS_OK)
		return e;
	/* keel's DAS takes requests from its servers directly: nothing to echo. */
	if (p->count[RADIUS_ATTR_PROXY_STATE])
		return RADIUS_ERR_PROXY_STATE;
	for (size_t i = 0; i < sizeof(once); i++)
		if (p->count[once[i]] > 1)
			return RADIUS_ERR_DUP;
	out->code = p->code;
	out->id = p->id;
	memcpy(out->auth, p->auth, RADIUS_AUTH_LEN);
	out->has_ma = p->ma_off != 0;
	memset(&tun, 0, sizeof(tun));
	radius_attr_iter_init(&it, p);
	while (radius_attr_next(&it, &type, &v, &len)) {
		e = RADIUS_OK;
		switch (type) {
		case RADIUS_ATTR_USER_NAME:
			put_bytes(&out->user_name, v, len);
			out->has_user_name = true;
			break;
		case RADIUS_ATTR_CALLING_STATION_ID:
			if (!radius_mac_parse(v, len, out->calling_mac))
				e = RADIUS_ERR_VALUE;
			out->has_calling = true;
			break;
		case RADIUS_ATTR_NAS_PORT_ID:
			put_bytes(&out->nas_port_id, v, len);
			out->has_nas_port_id = true;
			break;
		case RADIUS_ATTR_ACCT_SESSION_ID:
			put_bytes(&out->acct_session_id, v, len);
			out->has_acct_session_id = true;
			break;
		case RADIUS_ATTR_NAS_IDENTIFIER:
			put_bytes(&out->nas_identifier, v, len);
			out->has_nas_identifier = true;
			break;
		case RADIUS_ATTR_NAS_IP_ADDRESS:
			if (len != 4)
				e = RADIUS_ERR_VALUE;
			else
				memcpy(out->nas_ip, v, 4);
			out->has_nas_ip = true;
			break;
		case RADIUS_ATTR_EVENT_TIMESTAMP:
			e = get_u32(v, len, &out->event_timestamp);
			out->has_event_timestamp = true;
			break;
		case RADIUS_ATTR_SESSION_TIMEOUT:
			e = get_u32(v, len, &out->session_timeout);
			out->has_session_timeout = true;
			break;
		case RADIUS_ATTR_TERMINATION_ACTION:
			e = get_u32(v, len, &out->termination_action);
			out->has_termination_action = true;
			break;
		case RADIUS_ATTR_STATE:
			put_bytes(&out->state, v, len);
			out->has_state = true;
			break;
		case RADIUS_ATTR_TUNNEL_TYPE:
		case RADIUS_ATTR_TUNNEL_MEDIUM_TYPE:
		case RADIUS_ATTR_TUNNEL_PRIVATE_GROUP_ID:
			e = tunnel_attr(&tun, type, v, len);
			break;
		default:
			/* RFC 5176 §3.5: the caller NAKs with Error-Cause 401 Unsupported
			 * Attribute. */
			if (!das_understood(type) && !out->unsupported_attr)
				out->unsupported_attr = type;
			break;
		}
		if (e != RADIUS_OK)
			return e;
	}
	tunnel_vlan(&tun, &out->vlan);
	return RADIUS_OK;
}

/* -------------------------------------------------------------- builder */

void radius_msg_begin(struct radius_msg *m, uint8_t *buf, size_t cap, uint8_t code, uint8_t id,
                      const uint8_t auth[RADIUS_AUTH_LEN], bool with_ma)
{
	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->cap = cap < RADIUS_MAX_LEN ? cap : RADIUS_MAX_LEN;
	if (m->cap < RADIUS_HDR_LEN + (with_ma ? RADIUS_MA_ATTR_LEN : 0)) {
		m->err = true;
		return;
	}
	buf[0] = code;
	buf[1] = id;
	buf[2] = buf[3] = 0;
	if (auth)
		memcpy(buf + 4, auth, RADIUS_AUTH_LEN);
	else
		memset(buf + 4, 0, RADIUS_AUTH_LEN);
	m->len = RADIUS_HDR_LEN;
	if (with_ma) {
		/* First, so no attacker-influenced attribute precedes it (CVE-2024-3596). */
		buf[m->len] = RADIUS_ATTR_MESSAGE_AUTHENTICATOR;
		buf[m->len + 1] = RADIUS_MA_ATTR_LEN;
		memset(buf + m->len + 2, 0, 16);
		m->ma_off = m->len + 2;
		m->len += RADIUS_MA_ATTR_LEN;
	}
}

void radius_msg_attr(struct radius_msg *m, uint8_t type, const void *val, size_t len)
{
	if (m->err)
		return;
	if (len > RADIUS_ATTR_MAX || (len && !val) || len + 2 > m->cap - m->len) {
		m->err = true;
		return;
	}
	m->buf[m->len] = type;
	m->buf[m->len + 1] = (uint8_t)(len + 2);
	if (len)
		memcpy(m->buf + m->len + 2, val, len);
	m->len += len + 2;
}

void radius_msg_attr_u32(struct radius_msg *m, uint8_t type, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	radius_msg_attr(m, type, b, sizeof(b));
}

void radius_msg_attr_str(struct radius_msg *m, uint8_t type, const char *s)
{
	/* RFC 2865 §5: text attributes are never empty. */
	size_t n = strnlen(s, RADIUS_ATTR_MAX + 1);

	if (n == 0)
		m->err = true;
	radius_msg_attr(m, type, s, n);
}

void radius_msg_attr_eap(struct radius_msg *m, const uint8_t *eap, size_t len)
{
	for (size_t off = 0; off < len && !m->err; off += RADIUS_ATTR_MAX) {
		size_t n = len - off < RADIUS_ATTR_MAX ? len - off : RADIUS_ATTR_MAX;

		radius_msg_attr(m, RADIUS_ATTR_EAP_MESSAGE, eap + off, n);
	}
}

void radius_msg_attr_password(struct radius_msg *m, const void *secret, size_t secret_len,
                              const uint8_t *pw, size_t pw_len)
{
	uint8_t hidden[RADIUS_PASSWORD_MAX];
	size_t n;

	if (m->err)
		return;
	if (radius_password_hide(secret, secret_len, m->buf + 4, pw, pw_len, hidden, &n) !=
	    RADIUS_OK) {
		m->err = true;
		return;
	}
	radius_msg_attr(m, RADIUS_ATTR_USER_PASSWORD, hidden, n);
}

static enum radius_err fill_ma(struct radius_msg *m, const void *secret, size_t secret_len)
{
	uint8_t mac[CRYPTO_MD_MAX_LEN];
	size_t n = sizeof(mac);

	if (!m->ma_off)
		return RADIUS_OK;
	memset(m->buf + m->ma_off, 0, 16);
	if (crypto_hmac(CRYPTO_MD_MD5, secret, secret_len, m->buf, m->len, mac, &n) != 0 || n != 16)
		return RADIUS_ERR_CRYPTO;
	memcpy(m->buf + m->ma_off, mac, 16);
	return RADIUS_OK;
}

enum radius_err radius_msg_finish(struct radius_msg *m, const void *secret, size_t secret_len,
                                  const uint8_t req_auth[RADIUS_AUTH_LEN], size_t *outlen)
{
	uint8_t md[CRYPTO_MD_MAX_LEN];
	size_t n = sizeof(md);
	enum radius_err e;

	*outlen = 0;
	if (m->err)
		return RADIUS_ERR_NO_SPACE;
	m->buf[2] = (uint8_t)(m->len >> 8);
	m->buf[3] = (uint8_t)m->len;
	switch (m->buf[0]) {
	case RADIUS_CODE_ACCESS_REQUEST:
	case RADIUS_CODE_STATUS_SERVER:
		/* RFC 3579 §3.2: over the random Request Authenticator already in place. */
		if ((e = fill_ma(m, secret, secret_len)) != RADIUS_OK)
			return e;
		*outlen = m->len;
		return RADIUS_OK;
	case RADIUS_CODE_ACCOUNTING_REQUEST:
	case RADIUS_CODE_COA_REQUEST:
	case RADIUS_CODE_DISCONNECT_REQUEST:
		/* RFC 2866 §3, RFC 5176 §3.1: M-A over zeros, then MD5 over the result. */
		memset(m->buf + 4, 0, RADIUS_AUTH_LEN);
		break;
	default:
		if (!req_auth)
			return RADIUS_ERR_ARG;
		memcpy(m->buf + 4, req_auth, RADIUS_AUTH_LEN);
		break;
	}
	if ((e = fill_ma(m, secret, secret_len)) != RADIUS_OK)
		return e;
	struct iovec iov[2] = {{.iov_base = m->buf, .iov_len = m->len},
	                       {.iov_base = (void *)secret, .iov_len = secret_len}};
	if (crypto_digestv(CRYPTO_MD_MD5, iov, 2, md, &n) != 0 || n != 16)
		return RADIUS_ERR_CRYPTO;
	memcpy(m->buf + 4, md, RADIUS_AUTH_LEN);
	*outlen = m->len;
	return RADIUS_OK;
}

static void put_station_ids(struct radius_msg *m, bool has_called, const uint8_t called[6],
                            bool has_calling, const uint8_t calling[6])
{
	char s[RADIUS_MAC_STR_LEN];

	/* RFC 3580 §3.20, §3.21: upper-case hex octets separated by '-'. */
	if (has_called) {
		radius_mac_format(called, s);
		radius_msg_attr(m, RADIUS_ATTR_CALLED_STATION_ID, s, RADIUS_MAC_STR_LEN - 1);
	}
	if (has_calling) {
		radius_mac_format(calling, s);
		radius_msg_attr(m, RADIUS_ATTR_CALLING_STATION_ID, s, RADIUS_MAC_STR_LEN - 1);
	}
}

enum radius_err radius_access_request_encode(const struct radius_access_req *r, const void *secret,
                                             size_t secret_len, uint8_t *buf, size_t cap,
                                             size_t *outlen)
{
	struct radius_msg m;

	*outlen = 0;
	if (!r->user_name || r->user_name_len == 0 || r->user_name_len > RADIUS_ATTR_MAX ||
	    r->password_len > RADIUS_PASSWORD_MAX || r->state_len > RADIUS_ATTR_MAX ||
	    (r->state_len && !r->state) || (r->eap_len && !r->eap) ||
	    (r->password_len && !r->password))
		return RADIUS_ERR_ARG;
	/* RFC 3579 §3.3: EAP-Message never travels with User-Password. */
	if (r->password_len && r->eap_len)
		return RADIUS_ERR_ARG;
	radius_msg_begin(&m, buf, cap, RADIUS_CODE_ACCESS_REQUEST, r->id, r->auth, true);
	radius_msg_attr(&m, RADIUS_ATTR_USER_NAME, r->user_name, r->user_name_len);
	if (r->password_len)
		radius_msg_attr_password(&m, secret, secret_len, r->password, r->password_len);
	if (r->has_nas_ip)
		radius_msg_attr(&m, RADIUS_ATTR_NAS_IP_ADDRESS, r->nas_ip, 4);
	if (r->has_nas_ipv6)
		radius_msg_attr(&m, RADIUS_ATTR_NAS_IPV6_ADDRESS, r->nas_ipv6, 16);
	if (r->nas_identifier)
		radius_msg_attr_str(&m, RADIUS_ATTR_NAS_IDENTIFIER, r->nas_identifier);
	if (r->has_nas_port)
		radius_msg_attr_u32(&m, RADIUS_ATTR_NAS_PORT, r->nas_port);
	if (r->nas_port_id)
		radius_msg_attr_str(&m, RADIUS_ATTR_NAS_PORT_ID, r->nas_port_id);
	radius_msg_attr_u32(&m, RADIUS_ATTR_NAS_PORT_TYPE, RADIUS_NAS_PORT_TYPE_ETHERNET);
	if (r->service_type)
		radius_msg_attr_u32(&m, RADIUS_ATTR_SERVICE_TYPE, r->service_type);
	if (r->framed_mtu)
		radius_msg_attr_u32(&m, RADIUS_ATTR_FRAMED_MTU, r->framed_mtu);
	put_station_ids(&m, r->has_called, r->called_mac, r->has_calling, r->calling_mac);
	if (r->acct_session_id)
		radius_msg_attr_str(&m, RADIUS_ATTR_ACCT_SESSION_ID, r->acct_session_id);
	if (r->state_len)
		radius_msg_attr(&m, RADIUS_ATTR_STATE, r->state, r->state_len);
	radius_msg_attr_eap(&m, r->eap, r->eap_len);
	return radius_msg_finish(&m, secret, secret_len, NULL, outlen);
}

enum radius_err radius_status_server_encode(uint8_t id, const uint8_t auth[RADIUS_AUTH_LEN],
                                            const char *nas_identifier, const void *secret,
                                            size_t secret_len, uint8_t *buf, size_t cap,
                                            size_t *outlen)
{
	struct radius_msg m;

	*outlen = 0;
	radius_msg_begin(&m, buf, cap, RADIUS_CODE_STATUS_SERVER, id, auth, true);
	if (nas_identifier)
		radius_msg_attr_str(&m, RADIUS_ATTR_NAS_IDENTIFIER, nas_identifier);
	return radius_msg_finish(&m, secret, secret_len, NULL, outlen);
}

enum radius_err radius_acct_request_encode(const struct radius_acct_req *r, const void *secret,
                                           size_t secret_len, uint8_t *buf, size_t cap,
                                           size_t *outlen)
{
	struct radius_msg m;
	bool counters = r->status_type == RADIUS_ACCT_INTERIM || r->status_type == RADIUS_ACCT_STOP;

	*outlen = 0;
	if ((r->status_type < RADIUS_ACCT_START || r->status_type > RADIUS_ACCT_INTERIM) &&
	    r->status_type != RADIUS_ACCT_ON && r->status_type != RADIUS_ACCT_OFF)
		return RADIUS_ERR_ARG;
	if (!r->session_id || r->user_name_len > RADIUS_ATTR_MAX ||
	    (r->user_name_len && !r->user_name) || (r->nclass && !r->class_))
		return RADIUS_ERR_ARG;
	radius_msg_begin(&m, buf, cap, RADIUS_CODE_ACCOUNTING_REQUEST, r->id, NULL, true);
	radius_msg_attr_u32(&m, RADIUS_ATTR_ACCT_STATUS_TYPE, r->status_type);
	radius_msg_attr_str(&m, RADIUS_ATTR_ACCT_SESSION_ID, r->session_id);
	if (r->user_name_len)
		radius_msg_attr(&m, RADIUS_ATTR_USER_NAME, r->user_name, r->user_name_len);
	if (r->has_nas_ip)
		radius_msg_attr(&m, RADIUS_ATTR_NAS_IP_ADDRESS, r->nas_ip, 4);
	if (r->nas_identifier)
		radius_msg_attr_str(&m, RADIUS_ATTR_NAS_IDENTIFIER, r->nas_identifier);
	if (r->has_nas_port)
		radius_msg_attr_u32(&m, RADIUS_ATTR_NAS_PORT, r->nas_port);
	if (r->nas_port_id)
		radius_msg_attr_str(&m, RADIUS_ATTR_NAS_PORT_ID, r->nas_port_id);
	radius_msg_attr_u32(&m, RADIUS_ATTR_NAS_PORT_TYPE, RADIUS_NAS_PORT_TYPE_ETHERNET);
	put_station_ids(&m, r->has_called, r->called_mac, r->has_calling, r->calling_mac);
	/* RFC 2865 §5.25: Class is sent back unmodified, in order. */
	for (size_t i = 0; i < r->nclass; i++)
		radius_msg_attr(&m, RADIUS_ATTR_CLASS, r->class_[i].val, r->class_[i].len);
	if (r->acct_authentic)
		radius_msg_attr_u32(&m, RADIUS_ATTR_ACCT_AUTHENTIC, r->acct_authentic);
	radius_msg_attr_u32(&m, RADIUS_ATTR_ACCT_DELAY_TIME, r->delay_time);
	if (r->event_timestamp)
		radius_msg_attr_u32(&m, RADIUS_ATTR_EVENT_TIMESTAMP, r->event_timestamp);
	if (counters) {
		/* RFC 2866 §5.3-5.8, RFC 2869 §5.1-5.2: octets as low 32 bits + gigawords. */
		radius_msg_attr_u32(&m, RADIUS_ATTR_ACCT_SESSION_TIME, r->session_time);
	}
	if (counters && r->has_traffic) {
		radius_msg_attr_u32(&m, RADIUS_ATTR_ACCT_INPUT_OCTETS, (uint32_t)r->in_octets);
		radius_msg_attr_u32(&m, RADIUS_ATTR_ACCT_OUTPUT_OCTETS, (uint32_t)r->out_octets);
		if (r->in_octets >> 32)
			radius_msg_attr_u32(&m, RADIUS_ATTR_ACCT_INPUT_GIGAWORDS,
			                    (uint32_t)(r->in_octets >> 32));
		if (r->out_octets >> 32)
			radius_msg_attr_u32(&m, RADIUS_ATTR_ACCT_OUTPUT_GIGAWORDS,
			                    (uint32_t)(r->out_octets >> 32));
		radius_msg_attr_u32(&m, RADIUS_ATTR_ACCT_INPUT_PACKETS, r->in_packets);
		radius_msg_attr_u32(&m, RADIUS_ATTR_ACCT_OUTPUT_PACKETS, r->out_packets);
	}
	if (r->status_type == RADIUS_ACCT_STOP && r->terminate_cause)
		radius_msg_attr_u32(&m, RADIUS_ATTR_ACCT_TERMINATE_CAUSE, r->terminate_cause);
	return radius_msg_finish(&m, secret, secret_len, NULL, outlen);
}

enum radius_err radius_das_response_encode(uint8_t code, uint8_t id,
                                           const uint8_t req_auth[RADIUS_AUTH_LEN],
                                           uint32_t error_cause, const void *secret,
                                           size_t secret_len, uint8_t *buf, size_t cap,
                                           size_t *outlen)
{
	struct radius_msg m;

	*outlen = 0;
	if (code != RADIUS_CODE_COA_ACK && code != RADIUS_CODE_COA_NAK &&
	    code != RADIUS_CODE_DISCONNECT_ACK && code != RADIUS_CODE_DISCONNECT_NAK)
		return RADIUS_ERR_ARG;
	radius_msg_begin(&m, buf, cap, code, id, NULL, true);
	if (error_cause)
		radius_msg_attr_u32(&m, RADIUS_ATTR_ERROR_CAUSE, error_cause);
	return radius_msg_finish(&m, secret, secret_len, req_auth, outlen);
}
