/*
 * Fuzz target: eapol_frame_decode(), eapol_decode() and eap_decode() (daemons/dot1xd/eapol.c),
 * what dot1xd runs on every frame its AF_PACKET sockets read. Checks, for every input:
 *   - a reason is one of the codec's; a decoded body lies inside the input;
 *   - whatever decodes re-encodes to the same bytes (EAPOL header + body, the EAP packet,
 *     an MD5-Challenge), and the re-encoding decodes to the same fields;
 *   - the same bytes as a bare EAPOL PDU and as a bare EAP packet obey the same rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/dot1xd/dot1xd.h"

static void check_eap(const uint8_t *data, size_t size)
{
	uint8_t buf[70000];
	struct eap_pkt e, f;
	const uint8_t *v, *name;
	size_t vl, nl, n;
	enum eap_err r = eap_decode(data, size, &e);

	if (r >= EAP_ERR_COUNT)
		abort();
	if (r != EAP_OK)
		return;
	if (e.length < EAP_HDR_LEN || e.length > size || e.code < EAP_CODE_REQUEST ||
	    e.code > EAP_CODE_FAILURE)
		abort();
	if (eap_encode(e.code, e.id, e.type, e.data, e.data_len, buf, sizeof(buf), &n) != EAP_OK ||
	    n != e.length || memcmp(buf, data, n) != 0)
		abort();
	if (eap_decode(buf, n, &f) != EAP_OK || f.type != e.type || f.data_len != e.data_len)
		abort();
	if (eap_identity_parse(&e, &v, &vl) == EAP_OK &&
	    (v != e.data || vl > e.data_len || memchr(v, 0, vl)))
		abort();
	r = eap_md5_parse(&e, &v, &vl, &name, &nl);
	if (r == EAP_OK) {
		if (vl == 0 || 1 + vl + nl != e.data_len || v != e.data + 1)
			abort();
		if (eap_md5_encode(e.code, e.id, v, vl, name, nl, buf, sizeof(buf), &n) != EAP_OK ||
		    n != e.length || memcmp(buf, data, n) != 0)
			abort();
	} else if (r != EAP_ERR_NOT_TYPE && r != EAP_ERR_MD5) {
		abort();
	}
}

static void check_eapol(const uint8_t *data, size_t size, const struct eapol_pkt *p,
                        enum eapol_err r)
{
	uint8_t buf[70000];
	size_t n;

	if (r >= EAPOL_ERR_COUNT)
		abort();
	if (r != EAPOL_OK && r != EAPOL_ERR_IGNORED && r != EAPOL_ERR_EAP)
		return;
	if (p->body != data + EAPOL_HDR_LEN || (size_t)EAPOL_HDR_LEN + p->body_len > size)
		abort();
	if ((r == EAPOL_ERR_IGNORED) != (p->type > EAPOL_TYPE_LOGOFF))
		abort();
	if (r == EAPOL_ERR_EAP && p->type != EAPOL_TYPE_EAP)
		abort();
	if (eapol_encode(p->version, p->type, p->body, p->body_len, buf, sizeof(buf), &n) !=
	            EAPOL_OK ||
	    n != EAPOL_HDR_LEN + (size_t)p->body_len || memcmp(buf, data, n) != 0)
		abort();
	if (p->type == EAPOL_TYPE_EAP) {
		struct eap_pkt e;

		if ((eap_decode(p->body, p->body_len, &e) == EAP_OK) != (r == EAPOL_OK))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eapol_frame f;
	struct eapol_pkt p;
	enum eapol_err r;

	r = eapol_frame_decode(data, size, &f);
	if (r >= EAPOL_ERR_COUNT || r == EAPOL_ERR_NO_SPACE || r == EAPOL_ERR_ARG)
		abort();
	if (size < EAPOL_ETH_LEN) {
		if (r != EAPOL_ERR_SHORT)
			abort();
	} else if (r != EAPOL_ERR_ETHERTYPE) {
		if (memcmp(f.dst, data, 6) || memcmp(f.src, data + 6, 6) ||
		    data[12] != (EAPOL_ETHERTYPE >> 8) || data[13] != (EAPOL_ETHERTYPE & 0xff))
			abort();
		if ((r == EAPOL_ERR_SRC) != ((data[6] & 1) != 0))
			abort();
		if (r != EAPOL_ERR_SRC)
			check_eapol(data + EAPOL_ETH_LEN, size - EAPOL_ETH_LEN, &f.pkt, r);
	}
	r = eapol_decode(data, size, &p);
	check_eapol(data, size, &p, r);
	check_eap(data, size);
	return 0;
}
