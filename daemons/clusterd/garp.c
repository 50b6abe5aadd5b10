/*
 * Ethernet frame codecs for reths and IP monitoring, and the AF_PACKET send path.
 *
 * The builders and parsers are pure (bytes in, bytes out): they are unit-tested byte for byte
 * in tests/unit/clusterd/test_garp.c against frames the kernel and tcpdump agree on. Every
 * frame is untagged Ethernet II; the NIC (or nobody, on veth) pads to 60 bytes.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "daemons/clusterd/reth.h"

#define ETHERTYPE_ARP_      0x0806
#define ETHERTYPE_IP_       0x0800
#define ETHERTYPE_IP6_      0x86dd
#define ARP_HRD_ETHER       1
#define ARP_OP_REQUEST      1
#define ARP_OP_REPLY        2
#define IPPROTO_ICMP_       1
#define IPPROTO_ICMP6_      58
#define ICMP_ECHOREPLY_     0
#define ICMP_ECHO_          8
#define ND_NEIGHBOR_ADVERT  136
#define ND_OPT_TLLA         2
#define ND_NA_FLAG_OVERRIDE 0x20 /* first octet of the flags word: R 0x80, S 0x40, O 0x20 */
#define IP4_HLEN            20
#define ICMP_ECHO_HLEN      8

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* IPv4 addresses travel in network byte order inside a uint32_t: copy the bytes as they are. */
static void put_ip4(uint8_t *p, uint32_t ip)
{
	memcpy(p, &ip, 4);
}

static uint32_t get_ip4(const uint8_t *p)
{
	uint32_t ip;
	memcpy(&ip, p, 4);
	return ip;
}

static void put_eth(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	put16(p + 12, type);
}

uint16_t garp_csum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;

	/* RFC 1071 §4.1: 16-bit one's complement sum, odd trailing byte padded with zero. */
	for (; len > 1; p += 2, len -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		s += (uint32_t)(p[0] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Partial (not complemented) sum, to chain a pseudo-header into garp_csum(). */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	for (; len > 1; p += 2, len -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		s += (uint32_t)(p[0] << 8);
	return s;
}

static size_t build_arp(uint8_t *buf, size_t cap, const uint8_t dst[6], uint16_t op,
                        const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
	uint8_t *a = buf + GARP_ETH_HLEN;

	if (!buf || cap < GARP_ARP_LEN)
		return 0;
	put_eth(buf, dst, sha, ETHERTYPE_ARP_);
	/* RFC 826 packet layout for Ethernet / IPv4 */
	put16(a, ARP_HRD_ETHER);
	put16(a + 2, ETHERTYPE_IP_);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	put_ip4(a + 14, spa);
	memcpy(a + 18, tha, 6);
	put_ip4(a + 24, tpa);
	return GARP_ARP_LEN;
}

size_t garp_build_arp(uint8_t *buf, size_t cap, const uint8_t mac[6], uint32_t ip)
{
	static const uint8_t zero[6];

	/*
	 * RFC 5227 §3 (ARP Announcement): an ARP Request with sender and target protocol address
	 * both the announced address and a zero target hardware address. The request form is what
	 * every implementation accepts as an update (RFC 5227 §3 discusses why not the reply form).
	 */
	return build_arp(buf, cap, bcast, ARP_OP_REQUEST, mac, ip, zero, ip);
}

size_t garp_build_arp_request(uint8_t *buf, size_t cap, const uint8_t smac[6], uint32_t sip,
                              uint32_t tip)
{
	static const uint8_t zero[6];

	return build_arp(buf, cap, bcast, ARP_OP_REQUEST, smac, sip, zero, tip);
}

int garp_parse_arp_reply(const uint8_t *buf, size_t len, uint32_t my_ip, uint32_t *sip,
                         uint8_t smac[6])
{
	const uint8_t *a = buf + GARP_ETH_HLEN;

	if (!buf || len < GARP_ARP_LEN || get16(buf + 12) != ETHERTYPE_ARP_)
		return -EINVAL;
	if (get16(a) != ARP_HRD_ETHER || get16(a + 2) != ETHERTYPE_IP_ || a[4] != 6 || a[5] != 4 ||
	    get16(a + 6) != ARP_OP_REPLY || get_ip4(a + 24) != my_ip)
		return -EINVAL;
	if (a[8] & 1) /* a multicast sender hardware address is never a neighbour */
		return -EINVAL;
	*sip = get_ip4(a + 14);
	memcpy(smac, a + 8, 6);
	return 0;
}

size_t garp_build_na(uint8_t *buf, size_t cap, const uint8_t mac[6], const uint8_t target[16])
{
	/* ff02::1 and its Ethernet mapping 33:33:00:00:00:01 (RFC 2464 §7) */
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 0x01};
	uint8_t *ip6 = buf + GARP_ETH_HLEN;
	uint8_t *na = ip6 + 40;
	const size_t plen = 32; /* NA 24 + TLLA option 8 */
	uint32_t s;

	if (!buf || cap < GARP_NA_LEN)
		return 0;
	memset(buf, 0, GARP_NA_LEN);
	put_eth(buf, all_nodes_mac, mac, ETHERTYPE_IP6_);
	ip6[0] = 0x60;
	put16(ip6 + 4, (uint16_t)plen);
	ip6[6] = IPPROTO_ICMP6_;
	ip6[7] = 255; /* RFC 4861 §7.1.2: receivers drop NAs whose hop limit is not 255 */
	memcpy(ip6 + 8, target, 16);
	memcpy(ip6 + 24, all_nodes, 16);

	/*
	 * RFC 4861 §7.2.6: unsolicited NA to all-nodes, Solicited clear (§7.1.2 rejects S with a
	 * multicast destination), Override set so that caches replace the old link-layer address,
	 * with the Target Link-Layer Address option (§4.6.1, length 1 = 8 octets).
	 */
	na[0] = ND_NEIGHBOR_ADVERT;
	na[1] = 0;
	na[4] = ND_NA_FLAG_OVERRIDE;
	memcpy(na + 8, target, 16);
	na[24] = ND_OPT_TLLA;
	na[25] = 1;
	memcpy(na + 26, mac, 6);

	/* RFC 4443 §2.3 checksum over the RFC 8200 §8.1 pseudo-header */
	s = sum16(ip6 + 8, 32, 0);
	s += (uint32_t)plen;
	s += IPPROTO_ICMP6_;
	put16(na + 2, garp_csum(na, plen, s));
	return GARP_NA_LEN;
}

size_t garp_build_echo(uint8_t *buf, size_t cap, const uint8_t smac[6], const uint8_t dmac[6],
                       uint32_t sip, uint32_t dip, uint16_t id, uint16_t seq, size_t payload_len)
{
	size_t icmp_len = ICMP_ECHO_HLEN + payload_len;
	size_t total = IP4_HLEN + icmp_len;
	uint8_t *ip = buf + GARP_ETH_HLEN;
	uint8_t *icmp = ip + IP4_HLEN;

	if (!buf || payload_len > GARP_FRAME_MAX - GARP_ETH_HLEN - IP4_HLEN - ICMP_ECHO_HLEN ||
	    cap < GARP_ETH_HLEN + total)
		return 0;
	put_eth(buf, dmac, smac, ETHERTYPE_IP_);
	/* RFC 791 §3.1 header, no options */
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)total);
	put16(ip + 4, seq);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_ICMP_;
	put16(ip + 10, 0);
	put_ip4(ip + 12, sip);
	put_ip4(ip + 16, dip);
	put16(ip + 10, garp_csum(ip, IP4_HLEN, 0));
	/* RFC 792 Echo: type 8, code 0, checksum, identifier, sequence number, data */
	icmp[0] = ICMP_ECHO_;
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, id);
	put16(icmp + 6, seq);
	for (size_t i = 0; i < payload_len; i++)
		icmp[ICMP_ECHO_HLEN + i] = (uint8_t)(0x10 + i);
	put16(icmp + 2, garp_csum(icmp, icmp_len, 0));
	return GARP_ETH_HLEN + total;
}

int garp_parse_echo_reply(const uint8_t *buf, size_t len, uint32_t my_ip, uint32_t *sip,
                          uint16_t *id, uint16_t *seq)
{
	const uint8_t *ip = buf + GARP_ETH_HLEN;
	size_t ihl, total;
	const uint8_t *icmp;

	if (!buf || len < GARP_ETH_HLEN + IP4_HLEN + ICMP_ECHO_HLEN ||
	    get16(buf + 12) != ETHERTYPE_IP_)
		return -EINVAL;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	total = get16(ip + 2);
	/* RFC 1122 §3.2.1: version 4, IHL >= 5, total length within what arrived */
	if ((ip[0] >> 4) != 4 || ihl < IP4_HLEN || total < ihl + ICMP_ECHO_HLEN ||
	    total > len - GARP_ETH_HLEN)
		return -EINVAL;
	if (garp_csum(ip, ihl, 0) != 0)
		return -EINVAL;
	if ((get16(ip + 6) & 0x3fff) != 0) /* a fragment (MF or offset): not ours to reassemble */
		return -EINVAL;
	if (ip[9] != IPPROTO_ICMP_ || get_ip4(ip + 16) != my_ip)
		return -EINVAL;
	icmp = ip + ihl;
	if (icmp[0] != ICMP_ECHOREPLY_ || icmp[1] != 0 || garp_csum(icmp, total - ihl, 0) != 0)
		return -EINVAL;
	*sip = get_ip4(ip + 12);
	*id = get16(icmp + 4);
	*seq = get16(icmp + 6);
	return 0;
}

int garp_socket(int ifindex)
{
	struct sockaddr_ll sll;
	int fd;

	/* Protocol 0: the socket receives nothing, it only sends (packet(7)). */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int garp_send(int fd, int ifindex, const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll;
	ssize_t n;

	if (len < GARP_ETH_HLEN)
		return -EINVAL;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, frame, 6);
	n = sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}
