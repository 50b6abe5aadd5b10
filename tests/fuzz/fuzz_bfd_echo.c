/*
 * Fuzz target: bfd_ip4_udp_decode(), bfd_ip6_udp_decode() and bfd_echo_decode()
 * (daemons/bfdd/echo.c), what bfdd runs on every frame its echo packet sockets pass (UDP to
 * port 3785). Checks, for every input:
 *   - an accepted IPv4/UDP or IPv6/UDP packet has its payload inside the input, and
 *     re-encoding the parsed header fields with the same payload gives a packet that parses
 *     to the same fields (checksums recomputed);
 *   - an accepted echo payload is exactly BFD_ECHO_LEN bytes, has a nonzero discriminator
 *     and re-encodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/bfdd/bfdd.h"

static void check_echo(const uint8_t *p, size_t n)
{
	struct bfd_echo e;
	uint8_t buf[BFD_ECHO_LEN];

	if (bfd_echo_decode(p, n, &e) != 0)
		return;
	if (n != BFD_ECHO_LEN || e.disc == 0)
		abort();
	if (bfd_echo_encode(&e, buf, sizeof(buf)) != BFD_ECHO_LEN || memcmp(buf, p, n) != 0)
		abort();
}

static void check_ip6(const uint8_t *data, size_t size)
{
	struct bfd_ip6_udp h, h2;
	const uint8_t *p, *p2;
	size_t plen, plen2, n;
	static uint8_t buf[65536 + 64];

	if (bfd_ip6_udp_decode(data, size, &h, &p, &plen) != 0)
		return;
	if (!p || p < data || p + plen > data + size)
		abort();
	n = bfd_ip6_udp_encode(&h, p, plen, buf, sizeof(buf));
	if (n != 48 + plen)
		abort();
	if (bfd_ip6_udp_decode(buf, n, &h2, &p2, &plen2) != 0 || plen2 != plen ||
	    memcmp(&h, &h2, sizeof(h)) != 0 || memcmp(p, p2, plen) != 0)
		abort();
	check_echo(p, plen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bfd_ip4_udp h, h2;
	const uint8_t *p, *p2;
	size_t plen, plen2, n;
	static uint8_t buf[65536 + 64];

	check_echo(data, size);
	check_ip6(data, size);
	if (bfd_ip4_udp_decode(data, size, &h, &p, &plen) != 0)
		return 0;
	if (!p || p < data || p + plen > data + size)
		abort();
	n = bfd_ip4_udp_encode(&h, p, plen, buf, sizeof(buf));
	if (n != 28 + plen)
		abort();
	if (bfd_ip4_udp_decode(buf, n, &h2, &p2, &plen2) != 0 || plen2 != plen ||
	    memcmp(&h, &h2, sizeof(h)) != 0 || memcmp(p, p2, plen) != 0)
		abort();
	check_echo(p, plen);
	return 0;
}
