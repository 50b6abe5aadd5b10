/*
 * Fuzz target: the RADIUS client codec (daemons/dot1xd/radius.c), what dot1xd runs on every
 * datagram from its servers (replies on 1812/1813, CoA/Disconnect on 3799).
 *
 * Input: one mode octet, then the message. Forged MACs never verify, so to reach the attribute
 * parsers the target re-signs a copy with the fixed secret when the mode asks: bit 0 as a
 * reply to FUZZ_RA (M-A if present, then the Response Authenticator), bit 1 as a
 * CoA/Disconnect request (M-A over zeros, then the Request Authenticator). Checks:
 *   - radius_decode's fields agree with an independent walk of the bytes;
 *   - the unsigned original is never accepted unless re-signing left it unchanged;
 *   - a re-signed message is never refused for its MACs, and a reply without M-A is refused;
 *   - an accepted reply's EAP-Message is one EAP packet; State and EAP echo into an
 *     Access-Request that decodes, keeps M-A first, verifies and carries the same EAP bytes;
 *   - User-Password hiding round-trips on the message bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/dot1xd/dot1xd.h"
#include "lib/crypto.h"

#define FUZZ_SECRET "fuzz-secret"
#define FUZZ_SLEN   (sizeof(FUZZ_SECRET) - 1)

static const uint8_t FUZZ_RA[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
static struct radius_reply reply;
static uint8_t signed_buf[RADIUS_MAX_LEN], req[RADIUS_MAX_LEN], eap[RADIUS_MAX_LEN];

static void check_structure(const uint8_t *m, size_t len, const struct radius_pkt *p)
{
	size_t off = RADIUS_HDR_LEN, n = 0, total = 0;
	struct radius_attr_iter it;
	const uint8_t *v;
	uint8_t t, l;

	if (p->length > len || p->length < RADIUS_HDR_LEN || p->length > RADIUS_MAX_LEN ||
	    p->code != m[0] || p->id != m[1] || p->auth != m + 4)
		abort();
	radius_attr_iter_init(&it, p);
	while (radius_attr_next(&it, &t, &v, &l)) {
		if (v != m + off + 2 || t != m[off] || l + 2 != m[off + 1])
			abort();
		if (t == RADIUS_ATTR_MESSAGE_AUTHENTICATOR &&
		    (p->ma_off != off + 2 || p->ma_index != n))
			abort();
		off += 2u + l;
		n++;
	}
	if (off != p->length || n != p->nattrs)
		abort();
	for (int i = 0; i < 256; i++)
		total += p->count[i];
	if (total != n || p->count[RADIUS_ATTR_MESSAGE_AUTHENTICATOR] != (p->ma_off ? 1u : 0u))
		abort();
}

/* Sign buf in place: auth16 = the authenticator the MACs cover (request's or zeros). */
static void sign(uint8_t *buf, const struct radius_pkt *p, const uint8_t auth16[16])
{
	uint8_t md[CRYPTO_MD_MAX_LEN];
	size_t n = sizeof(md);

	memcpy(buf + 4, auth16, 16);
	if (p->ma_off) {
		memset(buf + p->ma_off, 0, 16);
		if (crypto_hmac(CRYPTO_MD_MD5, FUZZ_SECRET, FUZZ_SLEN, buf, p->length, md, &n) != 0)
			abort();
		memcpy(buf + p->ma_off, md, 16);
	}
	n = sizeof(md);
	struct iovec iov[2] = {{.iov_base = buf, .iov_len = p->length},
	                       {.iov_base = (void *)FUZZ_SECRET, .iov_len = FUZZ_SLEN}};
	if (crypto_digestv(CRYPTO_MD_MD5, iov, 2, md, &n) != 0)
		abort();
	memcpy(buf + 4, md, 16);
}

static bool mac_err(enum radius_err e)
{
	return e == RADIUS_ERR_MA_BAD || e == RADIUS_ERR_AUTHENTICATOR || e == RADIUS_ERR_CRYPTO;
}

static void check_reply(const struct radius_pkt *p)
{
	struct radius_access_req r;
	struct radius_attr_iter it;
	struct radius_pkt q;
	struct eap_pkt e;
	const uint8_t *v;
	uint8_t t, l;
	size_t n, got = 0;

	if (reply.code != p->code || !p->ma_off || p->count[RADIUS_ATTR_PROXY_STATE] ||
	    reply.nclass > RADIUS_CLASS_MAX || reply.eap_len > p->length)
		abort();
	if (reply.eap_len &&
	    (eap_decode(reply.eap, reply.eap_len, &e) != EAP_OK || e.length != reply.eap_len))
		abort();
	if (reply.vlan.present &&
	    (strlen(reply.vlan.name) == 0 || reply.vlan.tag > 0x1f || reply.vlan.vid > 4094))
		abort();

	/* Echo State and EAP into the next Access-Request, as the backend machine does. */
	memcpy(eap, reply.eap, reply.eap_len);
	memset(&r, 0, sizeof(r));
	r.id = p->id;
	memcpy(r.auth, FUZZ_RA, 16);
	r.user_name = (const uint8_t *)"fuzz";
	r.user_name_len = 4;
	r.state = reply.state.val;
	r.state_len = reply.state.len;
	r.eap = eap;
	r.eap_len = reply.eap_len;
	r.nas_port_id = "ge-0/0/0";
	r.framed_mtu = RADIUS_FRAMED_MTU_ETHERNET;
	enum radius_err x =
	        radius_access_request_encode(&r, FUZZ_SECRET, FUZZ_SLEN, req, sizeof(req), &n);
	if (x == RADIUS_ERR_NO_SPACE)
		return;
	if (x != RADIUS_OK || radius_decode(req, n, &q) != RADIUS_OK || q.ma_index != 0 ||
	    radius_verify_ma(&q, FUZZ_RA, FUZZ_SECRET, FUZZ_SLEN) != RADIUS_OK ||
	    q.count[RADIUS_ATTR_STATE] != (reply.state.len ? 1u : 0u))
		abort();
	radius_attr_iter_init(&it, &q);
	while (radius_attr_next(&it, &t, &v, &l))
		if (t == RADIUS_ATTR_EAP_MESSAGE) {
			if (got + l > reply.eap_len || memcmp(v, reply.eap + got, l))
				abort();
			got += l;
		}
	if (got != reply.eap_len)
		abort();
}

static void check_password(const uint8_t *m, size_t len)
{
	uint8_t hid[RADIUS_PASSWORD_MAX], back[RADIUS_PASSWORD_MAX];
	size_t n = len < RADIUS_PASSWORD_MAX ? len : RADIUS_PASSWORD_MAX, h, b;

	while (n > 0 && m[n - 1] == 0)
		n--;
	if (n == 0)
		return;
	if (radius_password_hide(FUZZ_SECRET, FUZZ_SLEN, FUZZ_RA, m, n, hid, &h) != RADIUS_OK ||
	    h % 16 || h < n ||
	    radius_password_unhide(FUZZ_SECRET, FUZZ_SLEN, FUZZ_RA, hid, h, back, &b) !=
	            RADIUS_OK ||
	    b != n || memcmp(back, m, n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[16];
	struct radius_das_req das;
	struct radius_pkt p, s;
	enum radius_err e;
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	check_password(data, size);
	e = radius_decode(data, size, &p);
	if (e >= RADIUS_ERR_COUNT || e == RADIUS_ERR_NO_SPACE || e == RADIUS_ERR_ARG)
		abort();
	if (e != RADIUS_OK)
		return 0;
	check_structure(data, size, &p);

	/* As received: whatever it says, the reasons are the codec's. */
	e = radius_reply_parse(&p, FUZZ_RA, FUZZ_SECRET, FUZZ_SLEN, &reply);
	if (e >= RADIUS_ERR_COUNT)
		abort();
	if (e == RADIUS_OK)
		check_reply(&p);
	e = radius_das_parse(&p, FUZZ_SECRET, FUZZ_SLEN, &das);
	if (e >= RADIUS_ERR_COUNT)
		abort();
	e = radius_acct_response_verify(&p, FUZZ_RA, FUZZ_SECRET, FUZZ_SLEN);
	if (e >= RADIUS_ERR_COUNT)
		abort();

	if (!(mode & 3))
		return 0;
	memcpy(signed_buf, data, p.length);
	sign(signed_buf, &p, (mode & 1) ? FUZZ_RA : zero);
	if (radius_decode(signed_buf, p.length, &s) != RADIUS_OK)
		abort();
	check_structure(signed_buf, p.length, &s);
	if (mode & 1) {
		bool same = memcmp(signed_buf, data, p.length) == 0;

		e = radius_reply_parse(&s, FUZZ_RA, FUZZ_SECRET, FUZZ_SLEN, &reply);
		if (!s.ma_off && e != RADIUS_ERR_MA_MISSING && e != RADIUS_ERR_CODE)
			abort();
		if (mac_err(e))
			abort();
		if (e == RADIUS_OK)
			check_reply(&s);
		/* The original differs somewhere the MACs cover: refused. */
		if (!same &&
		    radius_reply_parse(&p, FUZZ_RA, FUZZ_SECRET, FUZZ_SLEN, &reply) == RADIUS_OK)
			abort();
	} else {
		e = radius_das_parse(&s, FUZZ_SECRET, FUZZ_SLEN, &das);
		if (mac_err(e))
			abort();
		if (e == RADIUS_OK &&
		    (das.code != s.code || das.has_ma != (s.ma_off != 0) || das.vlan.vid > 4094))
			abort();
	}
	return 0;
}
