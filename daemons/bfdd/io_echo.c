/*
 * The echo function's packets (RFC 5880 §6.4, §6.8.9; RFC 5881 §4), single hop, IPv4 and
 * IPv6.
 *
 * Out: an echo packet is addressed to our own address (source and destination), UDP to
 * port 3785 from the session's source port, TTL / Hop Limit 255, and must leave towards the
 * peer: a UDP socket would loop it inside our own stack. So it goes out of an AF_PACKET
 * socket (SOCK_DGRAM: the kernel adds the Ethernet header) to the peer's MAC address,
 * looked up in the neighbour table (IPv4: SIOCGARP; IPv6: an RTM_GETNEIGH request; the
 * control packets keep the entry alive). The peer's kernel forwards it straight back to
 * us: the peer must forward the family (net.ipv4.ip_forward / net.ipv6.conf.*.forwarding)
 * and must not filter the packet by rp_filter (strict mode passes it, the source is
 * on-link).
 *
 * Back: the returning packet has our own address as its source, which our IP stack drops
 * as a martian (unless accept_local), so it is read before the stack: an AF_PACKET socket
 * per family (ETH_P_IP, ETH_P_IPV6) with a classic BPF filter passing only UDP to port 3785
 * (IPv4 unfragmented, IPv6 without extension headers; the process never sees other
 * traffic). A packet counts as ours only with TTL / Hop Limit 254 (exactly one forwarding
 * hop, the analogue of RFC 5881 §5's rule), source = destination = the session's address,
 * its source port, a known discriminator and its cookie (echo.c). The peer's own echo
 * packets pass through the same filter on their way through our forwarding: not ours,
 * counted and ignored.
 *
 * Looping the peer's echoes is our kernel's forwarding; we advertise Required Min Echo RX
 * only when forwarding is on for the session's interface and family (bfdd_echo_loops), as
 * §6.8.9 requires of a system that cannot loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemons/bfdd/bfdd_daemon.h"
#include "lib/log.h"

#define BFDD_ECHO_FRAME 128
#define BFDD_TOS_CS6    0xc0

/* Unfragmented IPv4 UDP to port 3785; the packet socket's data starts at the IP header. */
static struct sock_filter bfdd_echo_bpf[] = {
        {BPF_LD | BPF_B | BPF_ABS, 0, 0, 9}, /* protocol */
        {BPF_JMP | BPF_JEQ | BPF_K, 0, 6, IPPROTO_UDP},
        {BPF_LD | BPF_H | BPF_ABS, 0, 0, 6}, /* flags, fragment offset */
        {BPF_JMP | BPF_JSET | BPF_K, 4, 0, 0x3fff},
        {BPF_LDX | BPF_B | BPF_MSH, 0, 0, 0}, /* X = header length */
        {BPF_LD | BPF_H | BPF_IND, 0, 0, 2},  /* UDP destination port */
        {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, BFD_PORT_ECHO},
        {BPF_RET | BPF_K, 0, 0, 0xffff},
        {BPF_RET | BPF_K, 0, 0, 0},
};

/* IPv6 with UDP as the first Next Header, to port 3785. */
static struct sock_filter bfdd_echo_bpf6[] = {
        {BPF_LD | BPF_B | BPF_ABS, 0, 0, 6}, /* Next Header */
        {BPF_JMP | BPF_JEQ | BPF_K, 0, 3, IPPROTO_UDP},
        {BPF_LD | BPF_H | BPF_ABS, 0, 0, 42}, /* UDP destination port */
        {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, BFD_PORT_ECHO},
        {BPF_RET | BPF_K, 0, 0, 0xffff},
        {BPF_RET | BPF_K, 0, 0, 0},
};

static void bfdd_echo_read(evutil_socket_t fd, short what, void *arg)
{
	struct bfdd *b = arg;
	uint8_t buf[BFDD_ECHO_FRAME];

	(void)what;
	for (int i = 0; i < 256; i++) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t n =
		        recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&sll, &sl);

		if (n < 0)
			break;
		/* Frames we sent show up here too (PACKET_OUTGOING): only what came in. */
		if (sll.sll_pkttype != PACKET_HOST)
			continue;
		bfdd_echo_input(b, buf, (size_t)n, sll.sll_ifindex, mono_us());
	}
	bfdd_arm(b);
}

/* A filtered receive socket for one EtherType, watched by the loop. */
static int bfdd_echo_rx_open(struct bfdd *b, uint16_t proto, struct sock_filter *f, size_t nf,
                             struct event **ev)
{
	struct sock_fprog prog = {.len = (unsigned short)nf, .filter = f};
	uint8_t drain[BFDD_ECHO_FRAME];
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(proto));

	if (fd < 0) {
		log_warn("bfd: echo receive socket");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
		log_warn("bfd: echo receive filter");
		close(fd);
		return -1;
	}
	/* What arrived before the filter was attached is not filtered: throw it away. Not
	 * bound: every interface; the session's interface is checked per packet. */
	while (recv(fd, drain, sizeof(drain), MSG_DONTWAIT) >= 0)
		;
	*ev = event_new(b->base, fd, EV_READ | EV_PERSIST, bfdd_echo_read, b);
	if (!*ev || event_add(*ev, NULL) < 0) {
		if (*ev)
			event_free(*ev);
		*ev = NULL;
		close(fd);
		return -1;
	}
	return fd;
}

int bfdd_echo_open(struct bfdd *b)
{
	if (b->echo_tx_fd >= 0)
		return 0;
	/* Protocol 0: this one only sends, it receives nothing. */
	b->echo_tx_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->echo_tx_fd < 0) {
		log_warn("bfd: echo send socket (AF_PACKET; needs CAP_NET_RAW)");
		return -1;
	}
	b->echo_rx_fd =
	        bfdd_echo_rx_open(b, ETH_P_IP, bfdd_echo_bpf,
	                          sizeof(bfdd_echo_bpf) / sizeof(bfdd_echo_bpf[0]), &b->echo_ev);
	b->echo_rx6_fd =
	        bfdd_echo_rx_open(b, ETH_P_IPV6, bfdd_echo_bpf6,
	                          sizeof(bfdd_echo_bpf6) / sizeof(bfdd_echo_bpf6[0]), &b->echo_ev6);
	if (b->echo_rx_fd < 0 && b->echo_rx6_fd < 0) {
		close(b->echo_tx_fd);
		b->echo_tx_fd = -1;
		return -1;
	}
	log_info("bfd: echo function sockets open");
	return 0;
}

void bfdd_echo_close(struct bfdd *b)
{
	if (b->echo_ev)
		event_free(b->echo_ev);
	if (b->echo_ev6)
		event_free(b->echo_ev6);
	b->echo_ev = b->echo_ev6 = NULL;
	if (b->echo_rx_fd >= 0)
		close(b->echo_rx_fd);
	if (b->echo_rx6_fd >= 0)
		close(b->echo_rx6_fd);
	if (b->echo_tx_fd >= 0)
		close(b->echo_tx_fd);
	b->echo_rx_fd = b->echo_rx6_fd = b->echo_tx_fd = -1;
}

bool bfdd_echo_loops(const struct bfdd_sess *x)
{
	char path[128], v = '0';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/forwarding",
	         x->key.peer.af == AF_INET6 ? "ipv6" : "ipv4",
	         x->key.ifname[0] ? x->key.ifname : "all");
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fread(&v, 1, 1, f) != 1)
		v = '0';
	fclose(f);
	return v == '1';
}

/* IPv4: the ARP table (SIOCGARP), complete entries only. */
static bool bfdd_arp_get(const struct bfdd_sess *x, const char *ifname, uint8_t mac[6])
{
	struct arpreq ar;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ar.arp_pa;
	int fd = x->fd >= 0 ? x->fd : socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = false;

	if (fd < 0)
		return false;
	memset(&ar, 0, sizeof(ar));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, x->key.peer.a, 4);
	memcpy(ar.arp_dev, ifname, strlen(ifname) + 1);
	if (ioctl(fd, SIOCGARP, &ar) == 0 && (ar.arp_flags & ATF_COM)) {
		memcpy(mac, ar.arp_ha.sa_data, 6);
		ok = true;
	}
	if (fd != x->fd)
		close(fd);
	return ok;
}

/* IPv6: one RTM_GETNEIGH request for (interface, address) (Linux >= 5.0), answered with the
 * entry; a usable link-layer address in any state but INCOMPLETE / FAILED. */
static bool bfdd_nd_get(const struct bfdd_sess *x, uint8_t mac[6])
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg nd;
		struct rtattr ra;
		uint8_t dst[16];
	} req;
	uint8_t buf[1024];
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE);
	bool ok = false;
	ssize_t n;

	if (fd < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETNEIGH;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.nd.ndm_family = AF_INET6;
	req.nd.ndm_ifindex = x->echo_ifindex;
	req.ra.rta_type = NDA_DST;
	req.ra.rta_len = RTA_LENGTH(16);
	memcpy(req.dst, x->key.peer.a, 16);
	if (send(fd, &req, sizeof(req), 0) < 0)
		goto out;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct ndmsg)))
		goto out;
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		struct ndmsg *nd = NLMSG_DATA(h);
		int alen;

		if (h->nlmsg_type != RTM_NEWNEIGH ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ndmsg)))
			continue;
		if (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NONE))
			continue;
		alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
		for (struct rtattr *a = (struct rtattr *)((char *)nd + NLMSG_ALIGN(sizeof(*nd)));
		     RTA_OK(a, alen); a = RTA_NEXT(a, alen))
			if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
				memcpy(mac, RTA_DATA(a), 6);
				ok = true;
			}
	}
out:
	close(fd);
	return ok;
}

void bfdd_echo_resolve(struct bfdd_sess *x)
{
	char ifname[IF_NAMESIZE];

	x->mac_ok = false;
	if (x->echo_ifindex <= 0 || !if_indextoname((unsigned)x->echo_ifindex, ifname))
		return;
	if (x->key.peer.af == AF_INET)
		x->mac_ok = bfdd_arp_get(x, ifname, x->peer_mac);
	else if (x->key.peer.af == AF_INET6)
		x->mac_ok = bfdd_nd_get(x, x->peer_mac);
}

/* The session's own address, as its control packets carry it. */
static bool bfdd_echo_src_known(const struct bfdd_sess *x)
{
	static const uint8_t zero[16];

	return x->key.peer.af == AF_INET ? x->src4 != 0 : memcmp(x->src6, zero, 16) != 0;
}

void bfdd_echo_send(struct bfdd_sess *x)
{
	struct bfdd *b = x->b;
	struct bfd_echo e = {.disc = x->s.local_disc, .cookie = x->echo_cookie};
	bool v6 = x->key.peer.af == AF_INET6;
	uint8_t payload[BFD_ECHO_LEN], frame[BFDD_ECHO_FRAME];
	struct sockaddr_ll sll;
	size_t n;

	if (x->ifindex)
		x->echo_ifindex = x->ifindex;
	if (!x->mac_ok)
		bfdd_echo_resolve(x);
	if (b->echo_tx_fd < 0 || !bfdd_echo_src_known(x) || !x->mac_ok) {
		x->echo_tx_errors++; /* and the echo detection time will tell */
		return;
	}
	e.seq = ++x->echo_seq;
	e.tx_us = mono_us();
	n = bfd_echo_encode(&e, payload, sizeof(payload));
	if (n && v6) {
		struct bfd_ip6_udp h = {.sport = x->sport,
		                        .dport = BFD_PORT_ECHO,
		                        .hlim = BFD_ECHO_TTL,
		                        .tclass = BFDD_TOS_CS6};

		memcpy(h.src, x->src6, 16);
		memcpy(h.dst, x->src6, 16);
		n = bfd_ip6_udp_encode(&h, payload, n, frame, sizeof(frame));
	} else if (n) {
		struct bfd_ip4_udp h = {.src = x->src4,
		                        .dst = x->src4,
		                        .sport = x->sport,
		                        .dport = BFD_PORT_ECHO,
		                        .ttl = BFD_ECHO_TTL,
		                        .tos = BFDD_TOS_CS6};

		n = bfd_ip4_udp_encode(&h, payload, n, frame, sizeof(frame));
	}
	if (!n) {
		x->echo_tx_errors++;
		return;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);
	sll.sll_ifindex = x->echo_ifindex;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, x->peer_mac, 6);
	if (sendto(b->echo_tx_fd, frame, n, MSG_DONTWAIT, (struct sockaddr *)&sll, sizeof(sll)) <
	    0) {
		x->echo_tx_errors++;
		x->mac_ok = false; /* look it up again next time */
		return;
	}
	x->echo_tx++;
}

void bfdd_echo_input(struct bfdd *b, const uint8_t *pkt, size_t len, int ifindex, uint64_t now_us)
{
	struct bfd_echo e;
	const uint8_t *pl = NULL;
	size_t plen = 0;
	struct bfdd_sess *x;
	struct bfd_out out;
	uint8_t src[16];
	uint16_t sport = 0;
	int af;

	b->echo_rx_packets++;
	if (len && (pkt[0] >> 4) == 6) {
		struct bfd_ip6_udp h;

		af = AF_INET6;
		if (bfd_ip6_udp_decode(pkt, len, &h, &pl, &plen) < 0 || h.dport != BFD_PORT_ECHO ||
		    h.hlim != BFD_ECHO_RX_TTL || memcmp(h.src, h.dst, 16) != 0)
			goto foreign;
		memcpy(src, h.src, 16);
		sport = h.sport;
	} else {
		struct bfd_ip4_udp h;

		af = AF_INET;
		if (bfd_ip4_udp_decode(pkt, len, &h, &pl, &plen) < 0 || h.dport != BFD_PORT_ECHO ||
		    h.ttl != BFD_ECHO_RX_TTL || h.src != h.dst)
			goto foreign;
		memcpy(src, &h.src, 4);
		sport = h.sport;
	}
	if (bfd_echo_decode(pl, plen, &e) < 0)
		goto foreign;
	x = bfdd_sess_by_disc(b, e.disc);
	if (!x || x->key.peer.af != af || e.cookie != x->echo_cookie || sport != x->sport ||
	    memcmp(src, af == AF_INET ? (const void *)&x->src4 : (const void *)x->src6,
	           af == AF_INET ? 4 : 16) != 0 ||
	    (x->echo_ifindex && ifindex != x->echo_ifindex))
		goto foreign;
	x->echo_rx++;
	if (now_us >= e.tx_us)
		x->echo_rtt_us = now_us - e.tx_us;
	bfd_session_echo_rx(&x->s, now_us, &out);
	bfdd_out(x, &out);
	return;
foreign:
	b->echo_foreign++;
}
