/*
 * bfdd's echo packets (daemons/bfdd/echo.c; RFC 5880 §6.4, RFC 5881 §4): the payload codec
 * (good, truncated, oversized, bad magic, discriminator 0), the IPv4 + UDP headers against a
 * known-answer packet built by scapy (header and UDP checksums), and every refusal of the
 * header parser (version, header length, lengths, fragments, protocol, checksums); then the
 * daemon's input path (daemons/bfdd/io_echo.c) counting what is not ours.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemons/bfdd/bfdd_daemon.h"

/* scapy: IP(src=dst=10.99.0.1, ttl=255, tos=0xc0, DF, id 0) / UDP(49152 -> 3785) / payload
 * (disc 0x11223344, cookie 0xdeadbeef, seq 7, time 123456789). */
static const uint8_t known[] = {
        0x45, 0xc0, 0x00, 0x34, 0x00, 0x00, 0x40, 0x00, 0xff, 0x11, 0x66, 0x31, 0x0a,
        0x63, 0x00, 0x01, 0x0a, 0x63, 0x00, 0x01, 0xc0, 0x00, 0x0e, 0xc9, 0x00, 0x20,
        0x95, 0x0d, 0x6b, 0x62, 0x65, 0x31, 0x11, 0x22, 0x33, 0x44, 0xde, 0xad, 0xbe,
        0xef, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x07, 0x5b, 0xcd, 0x15,
};

static const struct bfd_echo known_echo = {
        .disc = 0x11223344, .cookie = 0xdeadbeef, .seq = 7, .tx_us = 123456789};

static struct bfd_ip4_udp known_hdr(void)
{
	struct bfd_ip4_udp h = {.sport = 49152, .dport = BFD_PORT_ECHO, .ttl = 255, .tos = 0xc0};

	inet_pton(AF_INET, "10.99.0.1", &h.src);
	h.dst = h.src;
	return h;
}

static void test_payload(void **state)
{
	uint8_t buf[64];
	struct bfd_echo e;

	(void)state;
	assert_int_equal(bfd_echo_encode(&known_echo, buf, sizeof(buf)), BFD_ECHO_LEN);
	assert_memory_equal(buf, known + 28, BFD_ECHO_LEN);
	assert_int_equal(bfd_echo_decode(buf, BFD_ECHO_LEN, &e), 0);
	assert_memory_equal(&e, &known_echo, sizeof(e));
	assert_int_equal(bfd_echo_encode(&known_echo, buf, BFD_ECHO_LEN - 1), 0); /* no room */
	assert_int_equal(bfd_echo_encode(&known_echo, buf, sizeof(buf)), BFD_ECHO_LEN);
	assert_int_equal(bfd_echo_decode(buf, BFD_ECHO_LEN - 1, &e), -1); /* truncated */
	assert_int_equal(bfd_echo_decode(buf, BFD_ECHO_LEN + 1, &e), -1); /* oversized */
	assert_int_equal(bfd_echo_decode(buf, 0, &e), -1);
	buf[0] ^= 1; /* someone else's echo format (FRR's, say) */
	assert_int_equal(bfd_echo_decode(buf, BFD_ECHO_LEN, &e), -1);
	buf[0] ^= 1;
	memset(buf + 4, 0, 4); /* discriminator 0 never names a session */
	assert_int_equal(bfd_echo_decode(buf, BFD_ECHO_LEN, &e), -1);
}

static void test_headers_known_answer(void **state)
{
	struct bfd_ip4_udp h = known_hdr(), got;
	uint8_t pl[BFD_ECHO_LEN], buf[128];
	const uint8_t *p;
	size_t n, plen;

	(void)state;
	bfd_echo_encode(&known_echo, pl, sizeof(pl));
	n = bfd_ip4_udp_encode(&h, pl, sizeof(pl), buf, sizeof(buf));
	assert_int_equal(n, sizeof(known));
	assert_memory_equal(buf, known, sizeof(known));
	assert_int_equal(bfd_ip4_udp_encode(&h, pl, sizeof(pl), buf, sizeof(known) - 1), 0);
	assert_int_equal(bfd_ip4_udp_decode(known, sizeof(known), &got, &p, &plen), 0);
	assert_memory_equal(&got, &h, sizeof(h));
	assert_int_equal(plen, BFD_ECHO_LEN);
	assert_ptr_equal(p, known + 28);
	/* Trailing bytes (Ethernet padding) beyond Total Length are ignored. */
	memcpy(buf, known, sizeof(known));
	memset(buf + sizeof(known), 0xee, 8);
	assert_int_equal(bfd_ip4_udp_decode(buf, sizeof(known) + 8, &got, &p, &plen), 0);
	assert_int_equal(plen, BFD_ECHO_LEN);
}

/* After the peer's forwarding: TTL 254, header checksum updated (RFC 1624 style by the
 * kernel; here recomputed by encoding with ttl 254). */
static void test_headers_forwarded(void **state)
{
	struct bfd_ip4_udp h = known_hdr(), got;
	uint8_t pl[BFD_ECHO_LEN], buf[128];
	const uint8_t *p;
	size_t n, plen;

	(void)state;
	h.ttl = BFD_ECHO_RX_TTL;
	bfd_echo_encode(&known_echo, pl, sizeof(pl));
	n = bfd_ip4_udp_encode(&h, pl, sizeof(pl), buf, sizeof(buf));
	assert_int_equal(bfd_ip4_udp_decode(buf, n, &got, &p, &plen), 0);
	assert_int_equal(got.ttl, 254);
	/* The same TTL change without a checksum update is refused. */
	memcpy(buf, known, sizeof(known));
	buf[8] = 254;
	assert_int_equal(bfd_ip4_udp_decode(buf, sizeof(known), &got, &p, &plen), -1);
}

static void expect_bad(const uint8_t *pkt, size_t len)
{
	struct bfd_ip4_udp got;
	const uint8_t *p;
	size_t plen;

	assert_int_equal(bfd_ip4_udp_decode(pkt, len, &got, &p, &plen), -1);
	assert_null(p);
	assert_int_equal(plen, 0);
}

/* Patches the IPv4 header checksum after an edit, so that the refusal tested is the edit's. */
static void fix_ip_sum(uint8_t *b)
{
	uint32_t sum = 0;
	size_t ihl = (size_t)(b[0] & 0x0f) * 4;

	b[10] = b[11] = 0;
	for (size_t i = 0; i < ihl; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	b[10] = (uint8_t)(~sum >> 8);
	b[11] = (uint8_t)~sum;
}

static void test_headers_refused(void **state)
{
	uint8_t b[128];

	(void)state;
	expect_bad(known, 0);
	expect_bad(known, 19);                /* shorter than a header */
	expect_bad(known, sizeof(known) - 1); /* Total Length beyond the frame */
	memcpy(b, known, sizeof(known));
	b[0] = 0x65; /* version 6 */
	fix_ip_sum(b);
	expect_bad(b, sizeof(known));
	memcpy(b, known, sizeof(known));
	b[0] = 0x44; /* header length 16 */
	expect_bad(b, sizeof(known));
	memcpy(b, known, sizeof(known));
	b[0] = 0x4f; /* header length 60: past the UDP header */
	fix_ip_sum(b);
	expect_bad(b, sizeof(known));
	memcpy(b, known, sizeof(known));
	b[6] = 0x20; /* MF: a first fragment */
	fix_ip_sum(b);
	expect_bad(b, sizeof(known));
	memcpy(b, known, sizeof(known));
	b[7] = 0x01; /* a later fragment */
	fix_ip_sum(b);
	expect_bad(b, sizeof(known));
	memcpy(b, known, sizeof(known));
	b[9] = 6; /* TCP */
	fix_ip_sum(b);
	expect_bad(b, sizeof(known));
	memcpy(b, known, sizeof(known));
	b[11] ^= 0xff; /* header checksum */
	expect_bad(b, sizeof(known));
	memcpy(b, known, sizeof(known));
	b[25] = 0x21; /* UDP length 33 > 32 available */
	expect_bad(b, sizeof(known));
	memcpy(b, known, sizeof(known));
	b[25] = 0x07; /* UDP length 7 < 8 */
	expect_bad(b, sizeof(known));
	memcpy(b, known, sizeof(known));
	b[40] ^= 0x01; /* payload changed: the UDP checksum no longer matches */
	expect_bad(b, sizeof(known));
	/* ... unless there is no UDP checksum (0: none, RFC 768). */
	b[26] = b[27] = 0;
	struct bfd_ip4_udp got;
	const uint8_t *p;
	size_t plen;

	assert_int_equal(bfd_ip4_udp_decode(b, sizeof(known), &got, &p, &plen), 0);
}

/* scapy: IPv6(src=dst=fd00:99::1, hlim=255, tc=0xc0) / UDP(49152 -> 3785) / the payload. */
static const uint8_t known6[] = {
        0x6c, 0x00, 0x00, 0x00, 0x00, 0x20, 0x11, 0xff, 0xfd, 0x00, 0x00, 0x99, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfd, 0x00, 0x00, 0x99, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0, 0x00, 0x0e, 0xc9, 0x00,
        0x20, 0xae, 0x9f, 0x6b, 0x62, 0x65, 0x31, 0x11, 0x22, 0x33, 0x44, 0xde, 0xad, 0xbe, 0xef,
        0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x07, 0x5b, 0xcd, 0x15,
};

static void test_headers6(void **state)
{
	struct bfd_ip6_udp h = {.sport = 49152,
	                        .dport = BFD_PORT_ECHO,
	                        .hlim = 255,
	                        .tclass = 0xc0},
	                   got;
	uint8_t pl[BFD_ECHO_LEN], b[128];
	const uint8_t *p;
	size_t n, plen;

	(void)state;
	inet_pton(AF_INET6, "fd00:99::1", h.src);
	memcpy(h.dst, h.src, 16);
	bfd_echo_encode(&known_echo, pl, sizeof(pl));
	n = bfd_ip6_udp_encode(&h, pl, sizeof(pl), b, sizeof(b));
	assert_int_equal(n, sizeof(known6));
	assert_memory_equal(b, known6, sizeof(known6));
	assert_int_equal(bfd_ip6_udp_encode(&h, pl, sizeof(pl), b, sizeof(known6) - 1), 0);
	assert_int_equal(bfd_ip6_udp_decode(known6, sizeof(known6), &got, &p, &plen), 0);
	assert_memory_equal(&got, &h, sizeof(h));
	assert_ptr_equal(p, known6 + 48);
	assert_int_equal(plen, BFD_ECHO_LEN);
	/* Refusals: short, version, an extension header, lengths, checksums (0 is no option). */
	assert_int_equal(bfd_ip6_udp_decode(known6, 47, &got, &p, &plen), -1);
	assert_int_equal(bfd_ip6_udp_decode(known6, sizeof(known6) - 1, &got, &p, &plen), -1);
	memcpy(b, known6, sizeof(known6));
	b[0] = 0x4c;
	assert_int_equal(bfd_ip6_udp_decode(b, sizeof(known6), &got, &p, &plen), -1);
	memcpy(b, known6, sizeof(known6));
	b[6] = 0; /* hop-by-hop options first */
	assert_int_equal(bfd_ip6_udp_decode(b, sizeof(known6), &got, &p, &plen), -1);
	memcpy(b, known6, sizeof(known6));
	b[45] = 0x21; /* UDP length beyond the payload */
	assert_int_equal(bfd_ip6_udp_decode(b, sizeof(known6), &got, &p, &plen), -1);
	memcpy(b, known6, sizeof(known6));
	b[7] = 254; /* the hop limit is not in the checksum: a forwarded packet still parses */
	assert_int_equal(bfd_ip6_udp_decode(b, sizeof(known6), &got, &p, &plen), 0);
	assert_int_equal(got.hlim, 254);
	b[60] ^= 1;
	assert_int_equal(bfd_ip6_udp_decode(b, sizeof(known6), &got, &p, &plen), -1);
	memcpy(b, known6, sizeof(known6));
	b[46] = b[47] = 0;
	assert_int_equal(bfd_ip6_udp_decode(b, sizeof(known6), &got, &p, &plen), -1);
}

/* The daemon's input: anything not one of our sessions' echoes is counted and ignored. */
static void test_input_foreign(void **state)
{
	struct bfdd *b = calloc(1, sizeof(*b));
	uint8_t buf[128];
	struct bfd_ip4_udp h = known_hdr();
	uint8_t pl[BFD_ECHO_LEN];
	size_t n;

	(void)state;
	assert_non_null(b);
	bfdd_sessions_init(b);
	wheel_init(&b->wheel, 1);
	bfdd_echo_input(b, known, sizeof(known), 1, 5); /* TTL 255: never forwarded */
	assert_int_equal(b->echo_foreign, 1);
	h.ttl = BFD_ECHO_RX_TTL;
	bfd_echo_encode(&known_echo, pl, sizeof(pl));
	n = bfd_ip4_udp_encode(&h, pl, sizeof(pl), buf, sizeof(buf));
	bfdd_echo_input(b, buf, n, 1, 5); /* TTL right, no such session */
	assert_int_equal(b->echo_foreign, 2);
	inet_pton(AF_INET, "10.99.0.2", &h.dst); /* the peer's echo on its way through us */
	n = bfd_ip4_udp_encode(&h, pl, sizeof(pl), buf, sizeof(buf));
	bfdd_echo_input(b, buf, n, 1, 5);
	assert_int_equal(b->echo_foreign, 3);
	bfdd_echo_input(b, buf, 10, 1, 5);
	assert_int_equal(b->echo_foreign, 4);
	assert_int_equal(b->echo_rx_packets, 4);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_payload),
	        cmocka_unit_test(test_headers_known_answer),
	        cmocka_unit_test(test_headers_forwarded),
	        cmocka_unit_test(test_headers_refused),
	        cmocka_unit_test(test_headers6),
	        cmocka_unit_test(test_input_foreign),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
