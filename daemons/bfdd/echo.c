/*
 * Echo packets (RFC 5880 §6.4, RFC 5881 §4): codec, pure (no I/O, no globals).
 *
 * An echo packet is addressed to ourselves: IP source = destination = our address, UDP
 * destination port 3785, source port the session's own (RFC 5881 §4: 49152-65535), sent at
 * layer 2 to the peer's MAC address. The peer's IP forwarding sends it straight back, so
 * it tests the peer's forwarding path without its BFD implementation. Its payload is a
 * local matter (RFC 5880 §6.4: "the payload ... is a local matter"); keel's, 24 bytes:
 *
 *   off len field
 *     0   4 magic "kbe1"
 *     4   4 My Discriminator of the sending session (demultiplexing)
 *     8   4 cookie: random per session, so that a packet must have been seen to be forged
 *    12   4 sequence number (counts up)
 *    16   8 transmit time, µs on the sender's monotonic clock (round-trip time for show)
 *
 * The IPv4 + UDP headers are built here too (an AF_PACKET socket takes the IP packet as is:
 * the header checksum is ours to compute, RFC 791) and parsed back from what the packet
 * socket delivers: version 4, header length, total length within the frame, not a fragment,
 * UDP, UDP length within the IP packet, and the UDP checksum when one is present (RFC 768).
 * IPv6 likewise (RFC 8200): version 6, Next Header UDP directly (no extension headers: we
 * send none), payload length within the frame, UDP length within the payload, and the UDP
 * checksum, which IPv6 makes mandatory (RFC 8200 §8.1: a zero checksum is refused).
 */
#include <string.h>

#include "daemons/bfdd/bfdd.h"
#include "lib/buf.h"

#define BFD_ECHO_MAGIC 0x6b626531u /* "kbe1" */

size_t bfd_echo_encode(const struct bfd_echo *e, uint8_t *buf, size_t cap)
{
	struct wbuf w;

	wbuf_init(&w, buf, cap);
	wbuf_u32(&w, BFD_ECHO_MAGIC);
	wbuf_u32(&w, e->disc);
	wbuf_u32(&w, e->cookie);
	wbuf_u32(&w, e->seq);
	wbuf_u64(&w, e->tx_us);
	return wbuf_ok(&w) ? wbuf_len(&w) : 0;
}

int bfd_echo_decode(const uint8_t *buf, size_t len, struct bfd_echo *out)
{
	struct rbuf r;
	uint32_t magic = 0;

	memset(out, 0, sizeof(*out));
	if (len != BFD_ECHO_LEN)
		return -1;
	rbuf_init(&r, buf, len);
	rbuf_u32(&r, &magic);
	rbuf_u32(&r, &out->disc);
	rbuf_u32(&r, &out->cookie);
	rbuf_u32(&r, &out->seq);
	rbuf_u64(&r, &out->tx_us);
	if (!rbuf_ok(&r) || magic != BFD_ECHO_MAGIC || out->disc == 0)
		return -1;
	return 0;
}

static uint32_t bfd_sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t bfd_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The UDP checksum over the pseudo-header (RFC 768 for IPv4, RFC 8200 §8.1 for IPv6): the
 * source and destination addresses (addrs, alen bytes as they stand in the IP header), the
 * protocol and the UDP length; udp[6..7] taken as they are. */
static uint16_t bfd_udp_sum(const uint8_t *addrs, size_t alen, const uint8_t *udp, uint16_t ulen)
{
	uint32_t sum = bfd_sum16(0, addrs, alen);

	sum += IPPROTO_UDP_NUM + ulen;
	return bfd_fold(bfd_sum16(sum, udp, ulen));
}

/* The UDP header and payload at udp (ulen = 8 + plen), checksummed over addrs. */
static void bfd_udp_put(uint8_t *udp, uint16_t sport, uint16_t dport, const uint8_t *payload,
                        size_t plen, const uint8_t *addrs, size_t alen)
{
	size_t ulen = 8 + plen;
	uint16_t ck;

	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, payload, plen);
	ck = bfd_udp_sum(addrs, alen, udp, (uint16_t)ulen);
	if (ck == 0)
		ck = 0xffff; /* RFC 768, RFC 8200 §8.1: a computed 0 is sent as all ones */
	udp[6] = (uint8_t)(ck >> 8);
	udp[7] = (uint8_t)ck;
}

size_t bfd_ip4_udp_encode(const struct bfd_ip4_udp *h, const uint8_t *payload, size_t plen,
                          uint8_t *buf, size_t cap)
{
	size_t ulen = 8 + plen, tot = 20 + ulen;
	uint8_t *ip = buf, *udp = buf + 20;
	uint16_t ck;

	if (tot > cap || tot > 0xffff)
		return 0;
	ip[0] = 0x45; /* version 4, 5 words */
	ip[1] = h->tos;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	memset(ip + 4, 0, 4);
	ip[6] = 0x40; /* DF */
	ip[8] = h->ttl;
	ip[9] = IPPROTO_UDP_NUM;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &h->src, 4);
	memcpy(ip + 16, &h->dst, 4);
	ck = bfd_fold(bfd_sum16(0, ip, 20));
	ip[10] = (uint8_t)(ck >> 8);
	ip[11] = (uint8_t)ck;
	bfd_udp_put(udp, h->sport, h->dport, payload, plen, ip + 12, 8);
	return tot;
}

int bfd_ip4_udp_decode(const uint8_t *buf, size_t len, struct bfd_ip4_udp *out,
                       const uint8_t **payload, size_t *plen)
{
	size_t ihl, tot, ulen;
	const uint8_t *udp;

	memset(out, 0, sizeof(*out));
	*payload = NULL;
	*plen = 0;
	if (len < 20 || (buf[0] >> 4) != 4)
		return -1;
	ihl = (size_t)(buf[0] & 0x0f) * 4;
	tot = (size_t)buf[2] << 8 | buf[3];
	if (ihl < 20 || tot < ihl + 8 || tot > len)
		return -1;
	if (((buf[6] & 0x3f) | buf[7]) != 0) /* MF or a fragment offset: not ours */
		return -1;
	if (buf[9] != IPPROTO_UDP_NUM || bfd_fold(bfd_sum16(0, buf, ihl)) != 0)
		return -1;
	udp = buf + ihl;
	ulen = (size_t)udp[4] << 8 | udp[5];
	if (ulen < 8 || ulen > tot - ihl)
		return -1;
	if ((udp[6] | udp[7]) && bfd_udp_sum(buf + 12, 8, udp, (uint16_t)ulen) != 0)
		return -1;
	out->tos = buf[1];
	out->ttl = buf[8];
	memcpy(&out->src, buf + 12, 4);
	memcpy(&out->dst, buf + 16, 4);
	out->sport = (uint16_t)(udp[0] << 8 | udp[1]);
	out->dport = (uint16_t)(udp[2] << 8 | udp[3]);
	*payload = udp + 8;
	*plen = ulen - 8;
	return 0;
}

size_t bfd_ip6_udp_encode(const struct bfd_ip6_udp *h, const uint8_t *payload, size_t plen,
                          uint8_t *buf, size_t cap)
{
	size_t ulen = 8 + plen, tot = 40 + ulen;
	uint8_t *ip = buf, *udp = buf + 40;

	if (tot > cap || ulen > 0xffff)
		return 0;
	ip[0] = (uint8_t)(0x60 | h->tclass >> 4); /* version 6, traffic class, flow label 0 */
	ip[1] = (uint8_t)((h->tclass & 0x0f) << 4);
	ip[2] = ip[3] = 0;
	ip[4] = (uint8_t)(ulen >> 8);
	ip[5] = (uint8_t)ulen;
	ip[6] = IPPROTO_UDP_NUM;
	ip[7] = h->hlim;
	memcpy(ip + 8, h->src, 16);
	memcpy(ip + 24, h->dst, 16);
	bfd_udp_put(udp, h->sport, h->dport, payload, plen, ip + 8, 32);
	return tot;
}

int bfd_ip6_udp_decode(const uint8_t *buf, size_t len, struct bfd_ip6_udp *out,
                       const uint8_t **payload, size_t *plen)
{
	size_t pl, ulen;
	const uint8_t *udp = buf + 40;

	memset(out, 0, sizeof(*out));
	*payload = NULL;
	*plen = 0;
	if (len < 48 || (buf[0] >> 4) != 6)
		return -1;
	pl = (size_t)buf[4] << 8 | buf[5];
	if (buf[6] != IPPROTO_UDP_NUM || pl < 8 || pl > len - 40)
		return -1;
	ulen = (size_t)udp[4] << 8 | udp[5];
	if (ulen < 8 || ulen > pl)
		return -1;
	if ((udp[6] | udp[7]) == 0 || bfd_udp_sum(buf + 8, 32, udp, (uint16_t)ulen) != 0)
		return -1;
	out->tclass = (uint8_t)((buf[0] & 0x0f) << 4 | buf[1] >> 4);
	out->hlim = buf[7];
	memcpy(out->src, buf + 8, 16);
	memcpy(out->dst, buf + 24, 16);
	out->sport = (uint16_t)(udp[0] << 8 | udp[1]);
	out->dport = (uint16_t)(udp[2] << 8 | udp[3]);
	*payload = udp + 8;
	*plen = ulen - 8;
	return 0;
}
