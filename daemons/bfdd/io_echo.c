/*
 * The echo function's packets (RFC 5880 §6.4, §6.8.9; RFC 5881 §4), single-hop IPv4.
 *
 * Out: an echo packet is addressed to our own address (source and destination), UDP to
 * port 3785 from the session's source port, TTL 255, and must leave towards the peer: a
 * UDP socket would loop it inside our own stack. So it goes out of an AF_PACKET socket
 * (SOCK_DGRAM: the kernel adds the Ethernet header) to the peer's MAC address, looked up
 * in the neighbour table (SIOCGARP; the control packets keep that entry alive). The peer's
 * kernel forwards it straight back to us: the peer must have IPv4 forwarding enabled (and
 * must not filter the packet by rp_filter; strict mode passes it, the source is on-link).
 *
 * Back: the returning packet has our own address as its source, which our IP stack drops
 * as a martian (unless accept_local), so it is read before the stack: an AF_PACKET socket
 * for ETH_P_IP with a classic BPF filter passing only unfragmented UDP to port 3785 (the
 * process never sees other traffic). A packet counts as ours only with TTL 254 (exactly one
 * forwarding hop, the analogue of RFC 5881 §5's TTL rule), source = destination = the
 * session's address, a known discriminator and its cookie (echo.c). The peer's own echo
 * packets pass through the same filter on their way through our forwarding: not ours,
 * counted and ignored.
 *
 * Looping the peer's echoes is our kernel's forwarding; we advertise Required Min Echo RX
 * only when IPv4 forwarding is on for the session's interface (bfdd_echo_loops), as §6.8.9
 * requires of a system that cannot loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
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

int bfdd_echo_open(struct bfdd *b)
{
	struct sock_fprog prog = {.len = sizeof(bfdd_echo_bpf) / sizeof(bfdd_echo_bpf[0]),
	                          .filter = bfdd_echo_bpf};
	uint8_t drain[BFDD_ECHO_FRAME];
	int fd;

	if (b->echo_rx_fd >= 0 && b->echo_tx_fd >= 0)
		return 0;
	/* Protocol 0: this one only sends, it receives nothing. */
	b->echo_tx_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->echo_tx_fd < 0) {
		log_warn("bfd: echo send socket (AF_PACKET; needs CAP_NET_RAW)");
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0) {
		log_warn("bfd: echo receive socket");
		goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
		log_warn("bfd: echo receive filter");
		close(fd);
		goto fail;
	}
	/* What arrived before the filter was attached is not filtered: throw it away. */
	while (recv(fd, drain, sizeof(drain), MSG_DONTWAIT) >= 0)
		;
	/* Not bound: every interface; the session's interface is checked per packet. */
	b->echo_ev = event_new(b->base, fd, EV_READ | EV_PERSIST, bfdd_echo_read, b);
	if (!b->echo_ev || event_add(b->echo_ev, NULL) < 0) {
		if (b->echo_ev)
			event_free(b->echo_ev);
		b->echo_ev = NULL;
		close(fd);
		goto fail;
	}
	b->echo_rx_fd = fd;
	log_info("bfd: echo function sockets open");
	return 0;
fail:
	close(b->echo_tx_fd);
	b->echo_tx_fd = -1;
	return -1;
}

void bfdd_echo_close(struct bfdd *b)
{
	if (b->echo_ev)
		event_free(b->echo_ev);
	b->echo_ev = NULL;
	if (b->echo_rx_fd >= 0)
		close(b->echo_rx_fd);
	if (b->echo_tx_fd >= 0)
		close(b->echo_tx_fd);
	b->echo_rx_fd = b->echo_tx_fd = -1;
}

bool bfdd_echo_loops(const struct bfdd_sess *x)
{
	char path[128], v = '0';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding",
	         x->key.ifname[0] ? x->key.ifname : "all");
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fread(&v, 1, 1, f) != 1)
		v = '0';
	fclose(f);
	return v == '1';
}

void bfdd_echo_resolve(struct bfdd_sess *x)
{
	struct arpreq ar;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ar.arp_pa;
	char ifname[IF_NAMESIZE];
	int fd;

	x->mac_ok = false;
	if (x->key.peer.af != AF_INET || x->echo_ifindex <= 0 ||
	    !if_indextoname((unsigned)x->echo_ifindex, ifname))
		return;
	memset(&ar, 0, sizeof(ar));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, x->key.peer.a, 4);
	memcpy(ar.arp_dev, ifname, strlen(ifname) + 1);
	fd = x->fd >= 0 ? x->fd : socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (ioctl(fd, SIOCGARP, &ar) == 0 && (ar.arp_flags & ATF_COM)) {
		memcpy(x->peer_mac, ar.arp_ha.sa_data, 6);
		x->mac_ok = true;
	}
	if (fd != x->fd)
		close(fd);
}

void bfdd_echo_send(struct bfdd_sess *x)
{
	struct bfdd *b = x->b;
	struct bfd_echo e = {.disc = x->s.local_disc, .cookie = x->echo_cookie};
	struct bfd_ip4_udp h = {.src = x->src4,
	                        .dst = x->src4,
	                        .sport = x->sport,
	                        .dport = BFD_PORT_ECHO,
	                        .ttl = BFD_ECHO_TTL,
	                        .tos = BFDD_TOS_CS6};
	uint8_t payload[BFD_ECHO_LEN], frame[BFDD_ECHO_FRAME];
	struct sockaddr_ll sll;
	size_t n;

	if (x->ifindex)
		x->echo_ifindex = x->ifindex;
	if (!x->mac_ok)
		bfdd_echo_resolve(x);
	if (b->echo_tx_fd < 0 || !x->src4 || !x->mac_ok) {
		x->echo_tx_errors++; /* and the echo detection time will tell */
		return;
	}
	e.seq = ++x->echo_seq;
	e.tx_us = mono_us();
	n = bfd_echo_encode(&e, payload, sizeof(payload));
	n = n ? bfd_ip4_udp_encode(&h, payload, n, frame, sizeof(frame)) : 0;
	if (!n) {
		x->echo_tx_errors++;
		return;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
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
	struct bfd_ip4_udp h;
	struct bfd_echo e;
	const uint8_t *pl;
	size_t plen;
	struct bfdd_sess *x;
	struct bfd_out out;

	b->echo_rx_packets++;
	if (bfd_ip4_udp_decode(pkt, len, &h, &pl, &plen) < 0 || h.dport != BFD_PORT_ECHO ||
	    h.ttl != BFD_ECHO_RX_TTL || h.src != h.dst || bfd_echo_decode(pl, plen, &e) < 0) {
		b->echo_foreign++;
		return;
	}
	x = bfdd_sess_by_disc(b, e.disc);
	if (!x || e.cookie != x->echo_cookie || h.src != x->src4 || h.sport != x->sport ||
	    (x->echo_ifindex && ifindex != x->echo_ifindex)) {
		b->echo_foreign++;
		return;
	}
	x->echo_rx++;
	if (now_us >= e.tx_us)
		x->echo_rtt_us = now_us - e.tx_us;
	bfd_session_echo_rx(&x->s, now_us, &out);
	bfdd_out(x, &out);
}
