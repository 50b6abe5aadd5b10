/*
 * Fuzz target: lldp_frame_decode() (daemons/dot1xd/lldp.c), what dot1xd runs on every LLDP
 * frame of a port with lldp-med-bypass. Checks, for every input:
 *   - the result is one of the codec's reasons, and the frame's addresses are what it copied;
 *   - a group source address never decodes (no session is made for one);
 *   - a decoded LLDP-MED class is what the frame carries after an OUI 00-12-BB subtype 1 TLV;
 *   - decoding is a function of the bytes (twice, the same answer and fields).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/dot1xd/dot1xd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lldp_info a, b;
	enum lldp_err r = lldp_frame_decode(data, size, &a);

	if ((unsigned)r >= LLDP_ERR_COUNT)
		abort();
	if (lldp_frame_decode(data, size, &b) != r || memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	if (size < 14) {
		if (r != LLDP_ERR_SHORT)
			abort();
		return 0;
	}
	if (r == LLDP_ERR_ETHERTYPE)
		return 0;
	if (memcmp(a.dst, data, 6) != 0 || memcmp(a.src, data + 6, 6) != 0)
		abort();
	if (r == LLDP_OK && (data[6] & 1))
		abort();
	if (r == LLDP_OK && a.med) {
		/* The class byte sits 7 bytes into a TLV header fe 07 00 12 bb 01. */
		static const uint8_t hdr[6] = {0xfe, 0x07, 0x00, 0x12, 0xbb, 0x01};
		const uint8_t *p = data + 14;
		bool seen = false;

		while ((size_t)(p - data) + 9 <= size) {
			p = memmem(p, size - (size_t)(p - data), hdr, sizeof(hdr));
			if (!p || (size_t)(p - data) + 9 > size)
				break;
			if (p[8] == a.med_class)
				seen = true;
			p++;
		}
		if (!seen)
			abort();
	}
	if (r == LLDP_OK &&
	    lldp_med_endpoint(&a) != (a.med && a.med_class >= 1 && a.med_class <= 3))
		abort();
	if (lldp_err_name(r)[0] == '?')
		abort();
	return 0;
}
