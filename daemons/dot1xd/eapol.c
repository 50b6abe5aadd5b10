/*
 * EAPOL and EAP codecs: bytes in, struct out, and back. Pure (no I/O, no globals, no logging).
 *
 * WIRE FORMAT (IEEE 802.1X-2010 §11.3, RFC 3748 §4)
 *
 *   Ethernet   DA(6) SA(6) EtherType(2) = 0x888E; DA is the PAE group address
 *              01:80:C2:00:00:03 (or another 01:80:C2:00:00:0X, §11.1.1) or the port's MAC
 *   EAPOL      off len field
 *                0   1 Protocol Version  1, 2 or 3 (2001/2004/2010); any value is accepted
 *                                        because supplicants send what they like (hostapd
 *                                        even offers eapol_version=1 for old clients)
 *                1   1 Packet Type       0 EAP-Packet, 1 Start, 2 Logoff; 3 Key, 4 ASF-Alert,
 *                                        5 MKA, 6-8 Announcements are dropped (no MACsec)
 *                2   2 Body Length       bytes of body; trusted (frames are padded to 60
 *                                        octets, the padding is not body) but bounded by
 *                                        the frame
 *                4   n Body
 *   EAP        off len field
 *                0   1 Code        1 Request, 2 Response, 3 Success, 4 Failure
 *                1   1 Identifier
 *                2   2 Length      the whole EAP packet, >= 4, bounded by what carries it
 *                4   1 Type        Request/Response only (1 Identity, 3 Nak, 4 MD5, ...)
 *                5   n Type-Data
 *
 *   - Success/Failure are exactly 4 bytes (RFC 3748 §4.2); a Request/Response needs a Type.
 *   - EAP-MD5 Type-Data (RFC 3748 §5.4): Value-Size(1) >= 1, Value, Name (the rest).
 *   - A Nak (RFC 3748 §5.3.1) lists desired types, one per octet; 0 means "none".
 *
 * Example: EAPOL-Start from 02:00:00:00:00:01, version 1, padded to 60 bytes:
 *   01 80 c2 00 00 03 02 00 00 00 00 01 88 8e | 01 01 00 00 | 42 zero bytes
 * Request/Identity, id 1: 02 00 00 05 | 01 01 00 05 01
 */
#include <string.h>
#include <sys/uio.h>

#include "daemons/dot1xd/dot1xd.h"
#include "lib/buf.h"
#include "lib/crypto.h"

#define EAPOL_MIN_FRAME 60 /* Ethernet minimum without FCS */

static const char *const eapol_err_names[EAPOL_ERR_COUNT] = {
        [EAPOL_OK] = "ok",
        [EAPOL_ERR_SHORT] = "truncated",
        [EAPOL_ERR_BODY_LEN] = "body length past frame",
        [EAPOL_ERR_IGNORED] = "ignored packet type",
        [EAPOL_ERR_ETHERTYPE] = "not EAPOL",
        [EAPOL_ERR_SRC] = "group source address",
        [EAPOL_ERR_EAP] = "malformed EAP",
        [EAPOL_ERR_NO_SPACE] = "no space",
        [EAPOL_ERR_ARG] = "bad argument",
};

static const char *const eap_err_names[EAP_ERR_COUNT] = {
        [EAP_OK] = "ok",
        [EAP_ERR_SHORT] = "truncated",
        [EAP_ERR_LENGTH] = "bad length",
        [EAP_ERR_CODE] = "bad code",
        [EAP_ERR_NO_TYPE] = "missing type",
        [EAP_ERR_SUCCESS] = "bad success/failure length",
        [EAP_ERR_NOT_TYPE] = "unexpected code or type",
        [EAP_ERR_MD5] = "bad MD5-Challenge",
        [EAP_ERR_NO_SPACE] = "no space",
        [EAP_ERR_ARG] = "bad argument",
};

const char *eapol_err_name(enum eapol_err e)
{
	return (unsigned)e < EAPOL_ERR_COUNT ? eapol_err_names[e] : "?";
}

const char *eap_err_name(enum eap_err e)
{
	return (unsigned)e < EAP_ERR_COUNT ? eap_err_names[e] : "?";
}

const char *eapol_type_name(uint8_t type)
{
	static const char *const names[] = {"EAP-Packet",
	                                    "Start",
	                                    "Logoff",
	                                    "Key",
	                                    "ASF-Alert",
	                                    "MKA",
	                                    "Announcement-Generic",
	                                    "Announcement-Specific",
	                                    "Announcement-Req"};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

const char *eap_code_name(uint8_t code)
{
	static const char *const names[] = {"?", "Request", "Response", "Success", "Failure"};

	return code < sizeof(names) / sizeof(names[0]) ? names[code] : "?";
}

enum eapol_err eapol_decode(const uint8_t *buf, size_t len, struct eapol_pkt *out)
{
	struct rbuf r;

	memset(out, 0, sizeof(*out));
	rbuf_init(&r, buf, len);
	rbuf_u8(&r, &out->version);
	rbuf_u8(&r, &out->type);
	rbuf_u16(&r, &out->body_len);
	if (!rbuf_ok(&r))
		return EAPOL_ERR_SHORT;
	/* 802.1X-2010 §11.3.4: the body is Body Length octets; what follows is padding. */
	out->body = rbuf_ptr(&r, out->body_len);
	if (!out->body) {
		out->body_len = 0;
		return EAPOL_ERR_BODY_LEN;
	}
	if (out->type > EAPOL_TYPE_LOGOFF)
		return EAPOL_ERR_IGNORED;
	if (out->type == EAPOL_TYPE_EAP) {
		struct eap_pkt e;

		if (eap_decode(out->body, out->body_len, &e) != EAP_OK)
			return EAPOL_ERR_EAP;
	}
	return EAPOL_OK;
}

enum eapol_err eapol_frame_decode(const uint8_t *frame, size_t len, struct eapol_frame *out)
{
	static const uint8_t pae_prefix[5] = {0x01, 0x80, 0xc2, 0x00, 0x00};
	struct rbuf r;
	uint16_t et;

	memset(out, 0, sizeof(*out));
	rbuf_init(&r, frame, len);
	rbuf_bytes(&r, out->dst, 6);
	rbuf_bytes(&r, out->src, 6);
	rbuf_u16(&r, &et);
	if (!rbuf_ok(&r))
		return EAPOL_ERR_SHORT;
	if (et != EAPOL_ETHERTYPE)
		return EAPOL_ERR_ETHERTYPE;
	/* A supplicant is identified by its unicast source address (802.1X-2010 §11.1.1). */
	if (out->src[0] & 1)
		return EAPOL_ERR_SRC;
	out->pae_group = memcmp(out->dst, pae_prefix, 5) == 0 && out->dst[5] <= 0x0f;
	return eapol_decode(frame + EAPOL_ETH_LEN, len - EAPOL_ETH_LEN, &out->pkt);
}

enum eapol_err eapol_encode(uint8_t version, uint8_t type, const uint8_t *body, size_t body_len,
                            uint8_t *buf, size_t cap, size_t *outlen)
{
	struct wbuf w;

	*outlen = 0;
	if (body_len > UINT16_MAX || (body_len && !body))
		return EAPOL_ERR_ARG;
	wbuf_init(&w, buf, cap);
	wbuf_u8(&w, version);
	wbuf_u8(&w, type);
	wbuf_u16(&w, (uint16_t)body_len);
	wbuf_bytes(&w, body, body_len);
	if (!wbuf_ok(&w))
		return EAPOL_ERR_NO_SPACE;
	*outlen = wbuf_len(&w);
	return EAPOL_OK;
}

enum eapol_err eapol_frame_encode(const uint8_t dst[6], const uint8_t src[6], uint8_t version,
                                  uint8_t type, const uint8_t *body, size_t body_len, uint8_t *buf,
                                  size_t cap, size_t *outlen)
{
	struct wbuf w;
	size_t n;
	enum eapol_err e;

	*outlen = 0;
	wbuf_init(&w, buf, cap);
	wbuf_bytes(&w, dst, 6);
	wbuf_bytes(&w, src, 6);
	wbuf_u16(&w, EAPOL_ETHERTYPE);
	if (!wbuf_ok(&w))
		return EAPOL_ERR_NO_SPACE;
	e = eapol_encode(version, type, body, body_len, buf + EAPOL_ETH_LEN, cap - EAPOL_ETH_LEN,
	                 &n);
	if (e != EAPOL_OK)
		return e;
	n += EAPOL_ETH_LEN;
	if (n < EAPOL_MIN_FRAME) {
		/* Pad here: a veth or tap hands short frames on as they are. */
		if (cap < EAPOL_MIN_FRAME)
			return EAPOL_ERR_NO_SPACE;
		memset(buf + n, 0, EAPOL_MIN_FRAME - n);
		n = EAPOL_MIN_FRAME;
	}
	*outlen = n;
	return EAPOL_OK;
}

enum eap_err eap_decode(const uint8_t *buf, size_t len, struct eap_pkt *out)
{
	struct rbuf r;

	memset(out, 0, sizeof(*out));
	rbuf_init(&r, buf, len);
	rbuf_u8(&r, &out->code);
	rbuf_u8(&r, &out->id);
	rbuf_u16(&r, &out->length);
	if (!rbuf_ok(&r))
		return EAP_ERR_SHORT;
	/* RFC 3748 §4.1: Length covers the packet; bytes past it are link padding. */
	if (out->length < EAP_HDR_LEN || out->length > len)
		return EAP_ERR_LENGTH;
	switch (out->code) {
	case EAP_CODE_REQUEST:
	case EAP_CODE_RESPONSE:
		if (out->length < EAP_HDR_LEN + 1)
			return EAP_ERR_NO_TYPE;
		out->type = buf[EAP_HDR_LEN];
		out->data = buf + EAP_HDR_LEN + 1;
		out->data_len = out->length - EAP_HDR_LEN - 1u;
		return EAP_OK;
	case EAP_CODE_SUCCESS:
	case EAP_CODE_FAILURE:
		/* RFC 3748 §4.2: Length is 4; no Data. */
		if (out->length != EAP_HDR_LEN)
			return EAP_ERR_SUCCESS;
		return EAP_OK;
	default:
		return EAP_ERR_CODE;
	}
}

enum eap_err eap_encode(uint8_t code, uint8_t id, uint8_t type, const uint8_t *data,
                        size_t data_len, uint8_t *buf, size_t cap, size_t *outlen)
{
	bool typed = code == EAP_CODE_REQUEST || code == EAP_CODE_RESPONSE;
	size_t n = EAP_HDR_LEN + (typed ? 1 + data_len : 0);
	struct wbuf w;

	*outlen = 0;
	if (code < EAP_CODE_REQUEST || code > EAP_CODE_FAILURE || n > UINT16_MAX ||
	    (typed && data_len && !data))
		return EAP_ERR_ARG;
	wbuf_init(&w, buf, cap);
	wbuf_u8(&w, code);
	wbuf_u8(&w, id);
	wbuf_u16(&w, (uint16_t)n);
	if (typed) {
		wbuf_u8(&w, type);
		wbuf_bytes(&w, data, data_len);
	}
	if (!wbuf_ok(&w))
		return EAP_ERR_NO_SPACE;
	*outlen = n;
	return EAP_OK;
}

enum eap_err eap_identity_parse(const struct eap_pkt *p, const uint8_t **identity, size_t *len)
{
	const uint8_t *nul;

	*identity = NULL;
	*len = 0;
	if (p->code != EAP_CODE_RESPONSE || p->type != EAP_TYPE_IDENTITY)
		return EAP_ERR_NOT_TYPE;
	*identity = p->data;
	*len = p->data_len;
	if (p->data_len && (nul = memchr(p->data, 0, p->data_len)) != NULL)
		*len = (size_t)(nul - p->data);
	return EAP_OK;
}

enum eap_err eap_md5_parse(const struct eap_pkt *p, const uint8_t **value, size_t *value_len,
                           const uint8_t **name, size_t *name_len)
{
	*value = *name = NULL;
	*value_len = *name_len = 0;
	if ((p->code != EAP_CODE_REQUEST && p->code != EAP_CODE_RESPONSE) ||
	    p->type != EAP_TYPE_MD5)
		return EAP_ERR_NOT_TYPE;
	/* RFC 3748 §5.4 / RFC 1994 §4.1: Value-Size >= 1 and within the data. */
	if (p->data_len < 1 || p->data[0] == 0 || p->data[0] > p->data_len - 1)
		return EAP_ERR_MD5;
	*value = p->data + 1;
	*value_len = p->data[0];
	*name = p->data + 1 + p->data[0];
	*name_len = p->data_len - 1 - p->data[0];
	return EAP_OK;
}

enum eap_err eap_md5_encode(uint8_t code, uint8_t id, const uint8_t *value, size_t value_len,
                            const uint8_t *name, size_t name_len, uint8_t *buf, size_t cap,
                            size_t *outlen)
{
	struct wbuf w;
	size_t n = EAP_HDR_LEN + 2 + value_len + name_len;

	*outlen = 0;
	if ((code != EAP_CODE_REQUEST && code != EAP_CODE_RESPONSE) || value_len == 0 ||
	    value_len > 255 || n > UINT16_MAX || !value || (name_len && !name))
		return EAP_ERR_ARG;
	wbuf_init(&w, buf, cap);
	wbuf_u8(&w, code);
	wbuf_u8(&w, id);
	wbuf_u16(&w, (uint16_t)n);
	wbuf_u8(&w, EAP_TYPE_MD5);
	wbuf_u8(&w, (uint8_t)value_len);
	wbuf_bytes(&w, value, value_len);
	wbuf_bytes(&w, name, name_len);
	if (!wbuf_ok(&w))
		return EAP_ERR_NO_SPACE;
	*outlen = n;
	return EAP_OK;
}

int eap_md5_response_value(uint8_t id, const void *secret, size_t secret_len,
                           const uint8_t *challenge, size_t challenge_len, uint8_t out[16])
{
	struct iovec iov[3] = {
	        {.iov_base = &id, .iov_len = 1},
	        {.iov_base = (void *)secret, .iov_len = secret_len},
	        {.iov_base = (void *)challenge, .iov_len = challenge_len},
	};
	size_t n = 16;

	return crypto_digestv(CRYPTO_MD_MD5, iov, 3, out, &n);
}

enum eap_err eap_nak_encode(uint8_t id, const uint8_t *types, size_t n, uint8_t *buf, size_t cap,
                            size_t *outlen)
{
	static const uint8_t none = 0;

	/* RFC 3748 §5.3.1: at least one octet; 0 alone means no alternative. */
	if (n == 0)
		return eap_encode(EAP_CODE_RESPONSE, id, EAP_TYPE_NAK, &none, 1, buf, cap, outlen);
	for (size_t i = 0; i < n; i++)
		if (types[i] < EAP_TYPE_MD5 && types[i] != 0) {
			*outlen = 0;
			return EAP_ERR_ARG; /* 1-3 are not authentication types */
		}
	return eap_encode(EAP_CODE_RESPONSE, id, EAP_TYPE_NAK, types, n, buf, cap, outlen);
}
