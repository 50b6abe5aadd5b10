/*
 * garp.c frame codecs, byte for byte. The expected frames were built independently with scapy
 * (python3-scapy: Ether/ARP, Ether/IPv6/ICMPv6ND_NA/ICMPv6NDOptDstLLAddr, Ether/IP/ICMP), which
 * computes its own checksums; test_reth_netns.c also sends them through the kernel and reads
 * them back on the other end of a veth.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "daemons/clusterd/reth.h"

static const uint8_t vmac[6] = {0x00, 0x10, 0xdb, 0xff, 0x10, 0x00};
static const uint8_t hmac_[6] = {0x02, 0, 0, 0, 0, 0x02};

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] && s[1] && n < cap) {
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* scapy: Ether(dst=bcast, src=vmac)/ARP(op=1, hwsrc=vmac, psrc=A, hwdst=0, pdst=A) */
static const char *garp_hex = "ffffffffffff0010dbff1000080600010800060400010010dbff1000c0000201"
                              "000000000000c0000201";
/* scapy: Ether()/IPv6(src=T, dst=ff02::1, hlim=255)/ICMPv6ND_NA(O=1, tgt=T)/DstLLAddr(vmac) */
static const char *na_hex = "3333000000010010dbff100086dd6000000000203aff20010db8000000000000"
                            "000000000001ff02000000000000000000000000000188000f1c200000002001"
                            "0db800000000000000000000000102010010dbff1000";
/* scapy: Ether()/IP(id=7, DF, ttl 64)/ICMP(echo, id 0x1234, seq 7)/bytes 0x10..0x1f */
static const char *echo_hex = "0200000000020010dbff100008004500002c000740004001b664c0000201c0000"
                              "26408002d0412340007101112131415161718191a1b1c1d1e1f";
static const char *reply_hex = "0010dbff100002000000000208004500002c006300004001f608c0000264c000"
                               "02010000350412340007101112131415161718191a1b1c1d1e1f";
static const char *arp_reply_hex = "0010dbff100002000000000208060001080006040002020000000002c00002"
                                   "640010dbff1000c0000201";

static void test_vmac(void **state)
{
	uint8_t m[6];

	(void)state;
	/* cluster.md §1: cluster 1 reth0 -> 00:10:db:ff:10:00, cluster 2 reth3 -> ...:20:03 */
	reth_vmac(1, 0, m);
	assert_memory_equal(m, vmac, 6);
	reth_vmac(2, 3, m);
	assert_memory_equal(m, ((uint8_t[]){0x00, 0x10, 0xdb, 0xff, 0x20, 0x03}), 6);
	reth_vmac(0x4a, 127, m);
	assert_int_equal(m[4], 0xa4);
	assert_int_equal(m[5], 127);
	reth_vmac(255, 1, m);
	assert_int_equal(m[4], 0xff);
}

static void test_garp_arp(void **state)
{
	uint8_t want[64], got[64];
	size_t n = unhex(garp_hex, want, sizeof(want));

	(void)state;
	assert_int_equal(n, GARP_ARP_LEN);
	assert_int_equal(garp_build_arp(got, sizeof(got), vmac, ip4("192.0.2.1")), GARP_ARP_LEN);
	assert_memory_equal(got, want, n);
	assert_int_equal(garp_build_arp(got, GARP_ARP_LEN - 1, vmac, ip4("192.0.2.1")), 0);
}

static void test_garp_na(void **state)
{
	uint8_t want[128], got[128], t[16];
	size_t n = unhex(na_hex, want, sizeof(want));

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", t), 1);
	assert_int_equal(n, GARP_NA_LEN);
	assert_int_equal(garp_build_na(got, sizeof(got), vmac, t), GARP_NA_LEN);
	assert_memory_equal(got, want, n);
	/* checksum verifies: the ICMPv6 sum over pseudo-header + message is 0xffff */
	assert_int_equal(garp_build_na(got, GARP_NA_LEN - 1, vmac, t), 0);
}

static void test_echo(void **state)
{
	uint8_t want[128], got[128];
	size_t n = unhex(echo_hex, want, sizeof(want));

	(void)state;
	assert_int_equal(garp_build_echo(got, sizeof(got), vmac, hmac_, ip4("192.0.2.1"),
	                                 ip4("192.0.2.100"), 0x1234, 7, 16),
	                 n);
	assert_memory_equal(got, want, n);
	assert_int_equal(garp_build_echo(got, n - 1, vmac, hmac_, 1, 2, 1, 1, 16), 0);
	assert_int_equal(garp_build_echo(got, sizeof(got), vmac, hmac_, 1, 2, 1, 1, 2000), 0);
}

static void test_echo_reply(void **state)
{
	uint8_t f[128];
	size_t n = unhex(reply_hex, f, sizeof(f));
	uint32_t sip = 0;
	uint16_t id = 0, seq = 0;

	(void)state;
	assert_int_equal(garp_parse_echo_reply(f, n, ip4("192.0.2.1"), &sip, &id, &seq), 0);
	assert_int_equal(sip, ip4("192.0.2.100"));
	assert_int_equal(id, 0x1234);
	assert_int_equal(seq, 7);
	/* not to us */
	assert_int_equal(garp_parse_echo_reply(f, n, ip4("192.0.2.2"), &sip, &id, &seq), -EINVAL);
	/* every truncation fails */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(garp_parse_echo_reply(f, k, ip4("192.0.2.1"), &sip, &id, &seq),
		                 -EINVAL);
	/* a flipped bit anywhere in IP or ICMP breaks a checksum or a field */
	for (size_t k = GARP_ETH_HLEN; k < n; k++) {
		uint8_t g[128];
		memcpy(g, f, n);
		g[k] ^= 0x01;
		assert_int_equal(garp_parse_echo_reply(g, n, ip4("192.0.2.1"), &sip, &id, &seq),
		                 -EINVAL);
	}
	/* our own request is not a reply */
	n = unhex(echo_hex, f, sizeof(f));
	assert_int_equal(garp_parse_echo_reply(f, n, ip4("192.0.2.100"), &sip, &id, &seq), -EINVAL);
	/* a fragment: MF set (checksum fixed up) */
	n = unhex(reply_hex, f, sizeof(f));
	f[GARP_ETH_HLEN + 6] |= 0x20;
	f[GARP_ETH_HLEN + 10] = f[GARP_ETH_HLEN + 11] = 0;
	{
		uint16_t c = garp_csum(f + GARP_ETH_HLEN, 20, 0);
		f[GARP_ETH_HLEN + 10] = (uint8_t)(c >> 8);
		f[GARP_ETH_HLEN + 11] = (uint8_t)c;
	}
	assert_int_equal(garp_csum(f + GARP_ETH_HLEN, 20, 0), 0);
	assert_int_equal(garp_parse_echo_reply(f, n, ip4("192.0.2.1"), &sip, &id, &seq), -EINVAL);
}

static void test_arp_request_reply(void **state)
{
	uint8_t f[64], mac[6];
	size_t n;
	uint32_t sip;

	(void)state;
	n = garp_build_arp_request(f, sizeof(f), vmac, ip4("192.0.2.1"), ip4("192.0.2.100"));
	assert_int_equal(n, GARP_ARP_LEN);
	assert_memory_equal(f, "\xff\xff\xff\xff\xff\xff", 6);
	assert_int_equal(f[21], 1); /* request */
	assert_memory_equal(f + 38, "\xc0\x00\x02\x64", 4);
	/* a request is not a reply */
	assert_int_equal(garp_parse_arp_reply(f, n, ip4("192.0.2.1"), &sip, mac), -EINVAL);

	n = unhex(arp_reply_hex, f, sizeof(f));
	assert_int_equal(garp_parse_arp_reply(f, n, ip4("192.0.2.1"), &sip, mac), 0);
	assert_int_equal(sip, ip4("192.0.2.100"));
	assert_memory_equal(mac, hmac_, 6);
	assert_int_equal(garp_parse_arp_reply(f, n, ip4("192.0.2.9"), &sip, mac), -EINVAL);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(garp_parse_arp_reply(f, k, ip4("192.0.2.1"), &sip, mac), -EINVAL);
	f[22] |= 1; /* multicast sender MAC */
	assert_int_equal(garp_parse_arp_reply(f, n, ip4("192.0.2.1"), &sip, mac), -EINVAL);
}

static void test_csum(void **state)
{
	/* RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, complement 220d */
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	(void)state;
	assert_int_equal(garp_csum(b, sizeof(b), 0), 0x220d);
	/* odd length: the last byte is padded with zero */
	assert_int_equal(garp_csum((const uint8_t[]){0x01}, 1, 0), (uint16_t)~0x0100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vmac),       cmocka_unit_test(test_garp_arp),
	        cmocka_unit_test(test_garp_na),    cmocka_unit_test(test_echo),
	        cmocka_unit_test(test_echo_reply), cmocka_unit_test(test_arp_request_reply),
	        cmocka_unit_test(test_csum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
