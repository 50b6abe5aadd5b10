/*
 * active.c's pure parts (the activeness probe's echo, its reply parser over garp.c's, the
 * verdict) and fence.c's MAC rule. The datagrams are built here field by field (RFC 791 /
 * RFC 792) with the RFC 1071 checksum, as a raw ICMP socket returns them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "daemons/clusterd/active.h"
#include "daemons/clusterd/fence.h"
#include "daemons/clusterd/reth.h"
#include "daemons/clusterd/rg.h"

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* An IPv4 datagram src -> dst holding an ICMP message of `type` with id/seq; returns its length. */
static size_t dgram(uint8_t *d, uint8_t type, uint32_t src, uint32_t dst, uint16_t id, uint16_t seq)
{
	size_t icmp_len = 8 + 16, total = 20 + icmp_len;
	uint8_t *icmp = d + 20;
	uint16_t c;

	memset(d, 0, total);
	d[0] = 0x45;
	d[2] = (uint8_t)(total >> 8);
	d[3] = (uint8_t)total;
	d[8] = 64;
	d[9] = 1; /* ICMP */
	memcpy(d + 12, &src, 4);
	memcpy(d + 16, &dst, 4);
	c = garp_csum(d, 20, 0);
	d[10] = (uint8_t)(c >> 8);
	d[11] = (uint8_t)c;
	icmp[0] = type;
	icmp[4] = (uint8_t)(id >> 8);
	icmp[5] = (uint8_t)id;
	icmp[6] = (uint8_t)(seq >> 8);
	icmp[7] = (uint8_t)seq;
	for (size_t i = 8; i < icmp_len; i++)
		icmp[i] = (uint8_t)i;
	c = garp_csum(icmp, icmp_len, 0);
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	return total;
}

static void test_build_echo(void **state)
{
	uint8_t m[64];
	size_t n = active_build_echo(m, sizeof(m), ip4("10.2.0.20"), 0x1234, 7);

	(void)state;
	assert_int_equal(n, 8 + 16);
	assert_int_equal(m[0], 8); /* echo request */
	assert_int_equal(m[1], 0);
	assert_int_equal(m[4] << 8 | m[5], 0x1234);
	assert_int_equal(m[6] << 8 | m[7], 7);
	assert_int_equal(garp_csum(m, n, 0), 0); /* RFC 1071: a correct sum verifies to 0 */
	assert_int_equal(active_build_echo(m, n - 1, ip4("10.2.0.20"), 1, 1), 0);
}

static void test_parse_reply(void **state)
{
	uint8_t d[2048];
	uint32_t src;
	uint16_t id, seq;
	size_t n = dgram(d, 0, ip4("10.2.0.20"), ip4("10.2.0.3"), 0xac7e, 42);

	(void)state;
	assert_int_equal(active_parse_reply(d, n, &src, &id, &seq), 0);
	assert_int_equal(src, ip4("10.2.0.20"));
	assert_int_equal(id, 0xac7e);
	assert_int_equal(seq, 42);
	/* truncated: shorter than an IP header, shorter than its total length */
	assert_int_equal(active_parse_reply(d, 19, &src, &id, &seq), -EINVAL);
	assert_int_equal(active_parse_reply(d, n - 1, &src, &id, &seq), -EINVAL);
	/* oversized for a probe reply */
	assert_int_equal(active_parse_reply(d, 1501, &src, &id, &seq), -EINVAL);
	assert_int_equal(active_parse_reply(NULL, n, &src, &id, &seq), -EINVAL);
	/* an echo request (our own probe looped back) is no reply */
	n = dgram(d, 8, ip4("10.2.0.20"), ip4("10.2.0.3"), 1, 1);
	assert_int_equal(active_parse_reply(d, n, &src, &id, &seq), -EINVAL);
	/* a broken ICMP checksum */
	n = dgram(d, 0, ip4("10.2.0.20"), ip4("10.2.0.3"), 1, 1);
	d[30] ^= 1;
	assert_int_equal(active_parse_reply(d, n, &src, &id, &seq), -EINVAL);
	/* a broken IP header checksum */
	n = dgram(d, 0, ip4("10.2.0.20"), ip4("10.2.0.3"), 1, 1);
	d[8] = 63;
	assert_int_equal(active_parse_reply(d, n, &src, &id, &seq), -EINVAL);
}

static void test_verdict(void **state)
{
	int none[] = {RG_IP_UNKNOWN, RG_IP_UNREACHABLE};
	int one[] = {RG_IP_UNREACHABLE, RG_IP_REACHABLE, RG_IP_UNKNOWN};

	(void)state;
	assert_false(active_verdict(none, 2));
	assert_false(active_verdict(none, 0));
	assert_true(active_verdict(one, 3)); /* any one target answering is enough */
	assert_false(active_verdict(one, 1));
}

static void test_fence_mac(void **state)
{
	uint8_t m[6];

	(void)state;
	reth_vmac(1, 5, m);
	assert_true(cl_fence_mac_match(m, 6, 1));
	assert_false(cl_fence_mac_match(m, 6, 2)); /* another cluster's reth: not ours to fence */
	assert_false(cl_fence_mac_match(m, 5, 1));
	assert_false(cl_fence_mac_match(NULL, 6, 1));
	reth_vmac(0x21, 127, m);
	assert_true(cl_fence_mac_match(m, 6, 0x21));
	m[3] = 0xfe;
	assert_false(cl_fence_mac_match(m, 6, 0x21));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_build_echo),
	        cmocka_unit_test(test_parse_reply),
	        cmocka_unit_test(test_verdict),
	        cmocka_unit_test(test_fence_mac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
