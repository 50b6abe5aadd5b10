/*
 * clusterd's frame parsers for IP monitoring (daemons/clusterd/garp.c): ARP
 * replies and ICMP echo replies read off an AF_PACKET socket, i.e. whatever
 * any host on the segment sends. The first 4 input bytes choose `my_ip`, so
 * the fuzzer can reach the accepting paths too; a frame that parses must
 * report a plausible source and survive a second parse unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/clusterd/reth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t my_ip, sip = 0, sip2 = 0;
	uint8_t smac[6];
	uint16_t id = 0, seq = 0;

	if (size < 4)
		return 0;
	memcpy(&my_ip, data, 4);
	data += 4;
	size -= 4;

	if (garp_parse_arp_reply(data, size, my_ip, &sip, smac) == 0) {
		uint8_t smac2[6];

		if (garp_parse_arp_reply(data, size, my_ip, &sip2, smac2) != 0 || sip != sip2 ||
		    memcmp(smac, smac2, 6) != 0)
			abort();
	}
	if (garp_parse_echo_reply(data, size, my_ip, &sip, &id, &seq) == 0) {
		uint16_t id2, seq2;

		if (garp_parse_echo_reply(data, size, my_ip, &sip2, &id2, &seq2) != 0 ||
		    sip != sip2 || id != id2 || seq != seq2)
			abort();
	}
	return 0;
}
