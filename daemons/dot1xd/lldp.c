/*
 * LLDP decoding for `lldp-med-bypass`: what dot1xd needs to know of an LLDPDU (IEEE 802.1AB
 * §8, ANSI/TIA-1057 §10.2.1). Pure (no I/O, no globals, no logging).
 *
 * WIRE FORMAT
 *
 *   Ethernet   DA(6) SA(6) EtherType(2) = 0x88CC; DA 01:80:C2:00:00:0E (nearest bridge),
 *              01:80:C2:00:00:03 or 01:80:C2:00:00:00 (802.1AB §7.1); any is accepted
 *   TLV        off len field
 *                0   2 Type (high 7 bits) | Length (low 9 bits)
 *                2   n Value (Length bytes)
 *   LLDPDU     Chassis ID (1), Port ID (2), Time To Live (3) first and in that order, then
 *              optional TLVs, then End Of LLDPDU (0, length 0); frames are padded to 60
 *              octets, so bytes after End are ignored. A missing End is tolerated when the
 *              TLVs fill the frame exactly (some senders omit it; 802.1AB-2016 made it
 *              optional).
 *   Chassis/Port ID: subtype(1) + 1..255 bytes of ID (length 2..256).
 *   TTL: 2 bytes, seconds; 0 = the sender is going away (shutdown LLDPDU).
 *   Organizationally specific (127): OUI(3) + subtype(1) + data. LLDP-MED is OUI 00-12-BB;
 *              subtype 1 = LLDP-MED Capabilities: capabilities(2) + Device Type(1):
 *              0 not defined, 1 Endpoint Class I, 2 Class II, 3 Class III (phones),
 *              4 Network Connectivity device; more than one Capabilities TLV is an error.
 *
 * Example: a class III phone 02:00:00:00:00:0b, TTL 120:
 *   01 80 c2 00 00 0e 02 00 00 00 00 0b 88 cc | 02 07 04 02 00 00 00 00 0b | 04 02 07 31 |
 *   06 02 00 78 | fe 07 00 12 bb 01 00 33 03 | 00 00
 */
#include <string.h>

#include "daemons/dot1xd/dot1xd.h"

#define LLDP_TLV_END      0
#define LLDP_TLV_CHASSIS  1
#define LLDP_TLV_PORT     2
#define LLDP_TLV_TTL      3
#define LLDP_TLV_ORG      127
#define LLDP_MED_CAPS_SUB 1

static const uint8_t lldp_med_oui[3] = {0x00, 0x12, 0xbb};

enum lldp_err lldp_frame_decode(const uint8_t *frame, size_t len, struct lldp_info *out)
{
	size_t off = 14;
	unsigned n = 0;
	bool caps = false;

	memset(out, 0, sizeof(*out));
	if (len < off)
		return LLDP_ERR_SHORT;
	if (frame[12] != 0x88 || frame[13] != 0xcc)
		return LLDP_ERR_ETHERTYPE;
	memcpy(out->dst, frame, 6);
	memcpy(out->src, frame + 6, 6);
	if (frame[6] & 1)
		return LLDP_ERR_SRC;
	for (;; n++) {
		unsigned type, tlen;
		const uint8_t *v;

		if (off == len && n >= 3)
			return LLDP_OK; /* filled exactly, no End */
		if (len - off < 2)
			return LLDP_ERR_SHORT;
		type = frame[off] >> 1;
		tlen = (unsigned)(frame[off] & 1) << 8 | frame[off + 1];
		off += 2;
		if (len - off < tlen)
			return LLDP_ERR_TLV_LEN;
		v = frame + off;
		off += tlen;
		/* The three mandatory TLVs come first, in order (802.1AB §8.2). */
		if (n < 3 && type != n + 1)
			return LLDP_ERR_MANDATORY;
		switch (type) {
		case LLDP_TLV_END:
			return tlen == 0 ? LLDP_OK : LLDP_ERR_TLV_LEN;
		case LLDP_TLV_CHASSIS:
		case LLDP_TLV_PORT:
			if (n >= 3)
				return LLDP_ERR_MANDATORY; /* a second one */
			if (tlen < 2 || tlen > 256)
				return LLDP_ERR_TLV_LEN;
			break;
		case LLDP_TLV_TTL:
			if (n >= 3)
				return LLDP_ERR_MANDATORY;
			if (tlen < 2)
				return LLDP_ERR_TLV_LEN;
			out->ttl = (uint16_t)(v[0] << 8 | v[1]);
			break;
		case LLDP_TLV_ORG:
			if (tlen < 4)
				return LLDP_ERR_TLV_LEN;
			if (memcmp(v, lldp_med_oui, 3) != 0 || v[3] != LLDP_MED_CAPS_SUB)
				break;
			if (caps)
				return LLDP_ERR_MED; /* TIA-1057 §10.2.2.3: one per LLDPDU */
			if (tlen != 7)
				return LLDP_ERR_TLV_LEN;
			caps = true;
			out->med = true;
			out->med_caps = (uint16_t)(v[4] << 8 | v[5]);
			out->med_class = v[6];
			break;
		default:
			break;
		}
	}
}

bool lldp_med_endpoint(const struct lldp_info *l)
{
	return l->med && l->med_class >= LLDP_MED_CLASS_I && l->med_class <= LLDP_MED_CLASS_III;
}

const char *lldp_err_name(enum lldp_err e)
{
	static const char *const names[LLDP_ERR_COUNT] = {"ok",
	                                                  "short frame",
	                                                  "not LLDP",
	                                                  "group source address",
	                                                  "bad TLV length",
	                                                  "mandatory TLV missing or repeated",
	                                                  "bad LLDP-MED TLV"};

	return (unsigned)e < LLDP_ERR_COUNT ? names[e] : "?";
}
