/*
 * bfdd's transport and clock.
 *
 * Receive (RFC 5881 §4, RFC 5883 §5): four sockets, UDP 3784 (single hop) and 4784
 * (multihop) for IPv4 and IPv6, each read with recvmmsg in batches of BFDD_RX_BATCH, with
 * the TTL / hop limit, the destination address and the arrival interface from ancillary
 * data (IP_RECVTTL, IP_PKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO). Per packet:
 *   1. single hop: TTL / hop limit must be 255 (RFC 5881 §5, the GTSM rule, checked before
 *      any crypto); 2. bfd_decode (the stateless §6.8.6 checks); 3. the session: by Your
 *   Discriminator, else by addresses (bfdd_sess_match); a single-hop session bound to an
 *   interface takes packets from that interface only; a multihop session takes none below
 *   its minimum TTL (RFC 5883 §5); 4. bfd_session_check (authentication); 5. bfd_session_rx.
 * Every drop is counted by reason, daemon-wide and, once the session is known, per session.
 *
 * Send: one UDP socket per session, bound to a source port of its own from 49152-65535
 * (RFC 5881 §4: constant per session), to the local address when configured (IP_FREEBIND:
 * the address may come later), to the interface (SO_BINDTODEVICE) for a single-hop session
 * that names one, connected to the peer; TTL / hop limit 255 (RFC 5881 §5; multihop too,
 * so a peer with a TTL floor sees the most we can give), TOS CS6 like FRR and BIRD. Packets
 * do not go out of it but, headers built here with the same port, TTL and TOS, through a
 * raw socket per family, all of one batch of work in one sendmmsg per family
 * (bfdd_io_flush, from bfdd_arm); the session socket remains as the fallback.
 *
 * Clock: every session deadline lives in the timer wheel (wheel.c); one libevent timer
 * (µs precision, lib/ev.h) is armed at the wheel's earliest deadline and re-armed after
 * every batch of work, so the loop wakes once per due instant however many sessions run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemons/bfdd/bfdd_daemon.h"
#include "lib/log.h"

#define BFDD_RX_BUF  128 /* BFD_PKT_MAX is 52; anything longer is read (and truncated) */
#define BFDD_CMSG    128
#define BFDD_TOS_CS6 0xc0

/* ------------------------------------------------------------ the clock */

static void bfdd_rx_drain(struct bfdd *b);

static void bfdd_wheel_fire(void *arg)
{
	struct bfdd *b = arg;
	uint64_t now = mono_us();

	/* Woken late (the process was not scheduled, or a long piece of work ran): packets
	 * that arrived meanwhile wait in the sockets, and running the detection deadlines
	 * first would declare their sessions down. Read them first. */
	if (b->armed_at && now > b->armed_at + BFDD_LATE_US)
		b->late_wakeups++;
	/* Late, or in poll mode (the receive sockets are out of the event loop, bfdd_arm):
	 * read what arrived before running deadlines. */
	if (b->rx_polling || (b->armed_at && now > b->armed_at + BFDD_LATE_US)) {
		bfdd_rx_drain(b);
		now = mono_us();
	}
	b->armed_at = 0;
	b->timer_runs++;
	b->last_run_us = now;
	wheel_run(&b->wheel, now);
	bfdd_arm(b);
}

/*
 * Poll mode: while the wheel wakes the loop every few hundred µs anyway (hundreds of fast
 * sessions), a wake-up per arriving packet batch only adds context switches (perf: half of
 * the CPU went to epoll_wait and its wake-ups at N=1000). Then the receive sockets leave the
 * event loop and every wheel run reads them first, so a packet waits at most
 * BFDD_RX_POLL_US; when the next deadline is further away they are watched again.
 */
static void bfdd_rx_poll_mode(struct bfdd *b, bool poll)
{
	if (poll == b->rx_polling)
		return;
	b->rx_polling = poll;
	for (int i = 0; i < 4; i++) {
		if (!b->rx[i].ev)
			continue;
		if (poll)
			event_del(b->rx[i].ev);
		else
			event_add(b->rx[i].ev, NULL);
	}
}

void bfdd_arm(struct bfdd *b)
{
	uint64_t next, now;

	bfdd_io_flush(b); /* the packets of the batch of work that just ended */
	next = wheel_next(&b->wheel);
	now = mono_us();

	/* Coalescing: never wake sooner than BFDD_WAKE_MIN_US after the previous run. With
	 * thousands of jittered sessions the deadlines lie tens of µs apart, and one wake-up
	 * (a context switch, most of the cost, perf says) per deadline would dominate; this
	 * way a deadline is met at most BFDD_WAKE_MIN_US late, and the loop wakes at most
	 * 1 / BFDD_WAKE_MIN_US times a second. A lone deadline is still met to the µs. */
	if (next && b->last_run_us && next < b->last_run_us + BFDD_WAKE_MIN_US)
		next = b->last_run_us + BFDD_WAKE_MIN_US;
	bfdd_rx_poll_mode(b, next != 0 && next <= now + BFDD_RX_POLL_US);
	if (next == b->armed_at && (next == 0 || timer_pending(&b->wheel_timer)))
		return;
	b->armed_at = next;
	if (next == 0) {
		timer_del(&b->wheel_timer);
		return;
	}
	timer_add_us(&b->wheel_timer, next > now ? next - now : 0);
}

/* ------------------------------------------------------------ after the core */

void bfdd_out(struct bfdd_sess *x, const struct bfd_out *o)
{
	struct wheel *w = &x->b->wheel;
	uint32_t txi;

	/* Cheap when unchanged (wheel_set returns at once): no need to trust TIMERS alone. */
	wheel_set(w, &x->t_tx, o->tx_at_us);
	wheel_set(w, &x->t_detect, o->detect_at_us);
	wheel_set(w, &x->t_echo, o->echo_tx_at_us);
	if (o->what & BFD_OUT_SEND)
		bfdd_io_send(x);
	if (o->what & BFD_OUT_SEND_ECHO)
		bfdd_echo_send(x);
	txi = bfd_session_tx_interval(&x->s);
	if (txi != x->last_tx_interval) {
		x->last_tx_interval = txi;
		x->tx_interval_changes++;
	}
	if (o->what & BFD_OUT_STATE)
		bfdd_sess_state_changed(x, o->from, o->to);
	if (x->eff.tx_thresh_us || x->eff.dt_thresh_us || x->thresh)
		bfdd_sess_thresholds(x);
}

/* ------------------------------------------------------------ send */

static void bfdd_sockaddr(const struct bfdd_ip *ip, uint16_t port, int ifindex,
                          struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (ip->af == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, ip->a, 16);
		if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
			s6->sin6_scope_id = (uint32_t)ifindex;
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, ip->a, 4);
		*len = sizeof(*s4);
	}
}

/* Binds fd to the next free source port of the RFC 5881 range. */
static int bfdd_bind_port(struct bfdd *b, int fd, const struct bfdd_ip *local, int af, int ifindex,
                          uint16_t *port)
{
	struct bfdd_ip any = {.af = (uint8_t)af};
	uint32_t range = BFDD_SPORT_MAX - BFDD_SPORT_MIN + 1;

	for (uint32_t i = 0; i < range; i++) {
		uint16_t p = b->next_port;
		struct sockaddr_storage ss;
		socklen_t len;

		b->next_port = p == BFDD_SPORT_MAX ? BFDD_SPORT_MIN : (uint16_t)(p + 1);
		bfdd_sockaddr(local->af ? local : &any, p, ifindex, &ss, &len);
		if (bind(fd, (struct sockaddr *)&ss, len) == 0) {
			*port = p;
			return 0;
		}
		if (errno != EADDRINUSE)
			return -1;
	}
	errno = EADDRINUSE;
	return -1;
}

/*
 * The raw send paths. One send() per packet per session socket cost a system call each;
 * the packets of one wheel run (or one receive batch) instead go out with a single sendmmsg
 * per family on a raw socket (IPv4: IPPROTO_RAW implies IP_HDRINCL; IPv6: IPPROTO_RAW with
 * IPV6_HDRINCL, Linux >= 4.5), headers built here: the session's own source port (RFC 5881
 * §4) and TTL / Hop Limit 255 (§5) in them, TOS / Traffic Class CS6. The session socket
 * stays open: it holds the port, finds the source address, and is the path for anything the
 * raw path cannot take (no CAP_NET_RAW, a kernel without IPV6_HDRINCL). Single hop bound to
 * an interface: a raw socket bound to it (SO_BINDTODEVICE), one per interface and family.
 */
#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36 /* linux/in6.h, since 4.5 */
#endif

static int bfdd_raw_get(struct bfdd *b, int af, int ifindex, const char *ifname)
{
	int fd, one = 1, sndbuf = 1024 * 1024;

	for (unsigned i = 0; i < b->n_raw; i++)
		if (b->raw[i].af == af && b->raw[i].ifindex == ifindex)
			return (int)i;
	if (b->n_raw >= BFDD_RAW_MAX)
		return -1;
	fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -1; /* no CAP_NET_RAW: the session sockets do it all */
	if (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one)) < 0) {
		close(fd);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (ifindex &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0) {
		close(fd);
		return -1;
	}
	b->raw[b->n_raw].af = af;
	b->raw[b->n_raw].ifindex = ifindex;
	b->raw[b->n_raw].fd = fd;
	return (int)b->n_raw++;
}

/* The raw path for a session whose source address is known. */
static void bfdd_raw_attach(struct bfdd_sess *x, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int bound = !x->key.multihop && x->key.ifname[0] ? x->ifindex : 0;
	int af = x->key.peer.af, i;
	static const uint8_t zero[16];

	x->raw = 0;
	x->src4 = 0;
	memset(x->src6, 0, sizeof(x->src6));
	if (x->key.local.af == AF_INET)
		memcpy(&x->src4, x->key.local.a, 4);
	else if (x->key.local.af == AF_INET6)
		memcpy(x->src6, x->key.local.a, 16);
	else if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == af) {
		/* the route's source, chosen by connect() */
		if (af == AF_INET)
			x->src4 = ((struct sockaddr_in *)&ss)->sin_addr.s_addr;
		else
			memcpy(x->src6, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	}
	if (af == AF_INET ? x->src4 == 0 : memcmp(x->src6, zero, 16) == 0)
		return;
	/* A link-local peer needs its interface (the scope) on the raw socket as well. */
	if (af == AF_INET6 && !bound && IN6_IS_ADDR_LINKLOCAL((struct in6_addr *)x->key.peer.a))
		return;
	i = bfdd_raw_get(x->b, af, bound, x->key.ifname);
	if (i >= 0)
		x->raw = (uint8_t)(i + 1);
}

static uint32_t bfdd_sum16(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t bfdd_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* UDP header (RFC 768) at udp before the BFD packet; sum: the pseudo-header's sum. */
static void bfdd_udp_header(const struct bfdd_sess *x, uint8_t *udp, uint16_t ulen, uint32_t sum)
{
	uint16_t dport = x->key.multihop ? BFD_PORT_MULTIHOP : BFD_PORT_SINGLEHOP, ck;

	udp[0] = (uint8_t)(x->sport >> 8);
	udp[1] = (uint8_t)x->sport;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	udp[6] = udp[7] = 0;
	ck = bfdd_fold(bfdd_sum16(sum, udp, ulen));
	if (ck == 0)
		ck = 0xffff; /* RFC 768 (and RFC 8200 §8.1: IPv6 never sends 0) */
	udp[6] = (uint8_t)(ck >> 8);
	udp[7] = (uint8_t)ck;
}

/* IPv4 header (RFC 791) + UDP header before the BFD packet already at pkt + 28. */
static void bfdd_raw_headers(const struct bfdd_sess *x, uint8_t *pkt, size_t bfd_len)
{
	uint16_t ulen = (uint16_t)(8 + bfd_len), tot = (uint16_t)(20 + ulen);
	uint8_t *ip = pkt;
	uint32_t sum;

	ip[0] = 0x45; /* version 4, 5 words */
	ip[1] = BFDD_TOS_CS6;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	memset(ip + 4, 0, 4); /* identification 0: the kernel picks one (raw(7)) */
	ip[6] = 0x40;         /* DF, as the UDP sockets send */
	ip[8] = 255;          /* RFC 5881 §5 (and RFC 5883 for what a TTL floor sees) */
	ip[9] = IPPROTO_UDP;
	ip[10] = ip[11] = 0; /* the kernel fills the header checksum in */
	memcpy(ip + 12, &x->src4, 4);
	memcpy(ip + 16, x->key.peer.a, 4);
	sum = bfdd_sum16(0, ip + 12, 8); /* pseudo-header: addresses, protocol, length */
	sum += IPPROTO_UDP + ulen;
	bfdd_udp_header(x, ip + 20, ulen, sum);
}

/* IPv6 header (RFC 8200 §3) + UDP header before the BFD packet already at pkt + 48. */
static void bfdd_raw_headers6(const struct bfdd_sess *x, uint8_t *pkt, size_t bfd_len)
{
	uint16_t ulen = (uint16_t)(8 + bfd_len);
	uint8_t *ip = pkt;
	uint32_t sum;

	/* version 6, traffic class CS6, flow label 0 */
	ip[0] = (uint8_t)(0x60 | BFDD_TOS_CS6 >> 4);
	ip[1] = (uint8_t)((BFDD_TOS_CS6 & 0x0f) << 4);
	ip[2] = ip[3] = 0;
	ip[4] = (uint8_t)(ulen >> 8); /* payload length */
	ip[5] = (uint8_t)ulen;
	ip[6] = IPPROTO_UDP;
	ip[7] = 255; /* RFC 5881 §5: Hop Limit 255 */
	memcpy(ip + 8, x->src6, 16);
	memcpy(ip + 24, x->key.peer.a, 16);
	/* pseudo-header (RFC 8200 §8.1): addresses, upper-layer length, next header */
	sum = bfdd_sum16(0, ip + 8, 32);
	sum += ulen + IPPROTO_UDP;
	bfdd_udp_header(x, ip + 40, ulen, sum);
}

static void bfdd_txq_flush(struct bfdd *b, struct bfdd_txq *q, socklen_t salen)
{
	struct mmsghdr mm[BFDD_TX_BATCH];
	struct iovec iov[BFDD_TX_BATCH];
	unsigned off = 0;

	if (q->n == 0)
		return;
	for (unsigned i = 0; i < q->n; i++) {
		iov[i].iov_base = q->pkt[i];
		iov[i].iov_len = q->len[i];
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_name = &q->dst[i];
		mm[i].msg_hdr.msg_namelen = salen;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	while (off < q->n) {
		int r = sendmmsg(q->fd, mm + off, q->n - off, MSG_DONTWAIT);
		struct bfdd_sess *x;

		b->tx_batches++;
		if (r > 0) {
			off += (unsigned)r;
			continue;
		}
		/* The first one failed (no route, a full buffer): counted on its session, the
		 * rest go on. */
		x = bfdd_sess_by_disc(b, q->disc[off]);
		if (x) {
			x->tx--;
			x->tx_errors++;
		}
		off++;
	}
	q->n = 0;
}

void bfdd_io_flush(struct bfdd *b)
{
	bfdd_txq_flush(b, &b->txq, sizeof(struct sockaddr_in));
	bfdd_txq_flush(b, &b->txq6, sizeof(struct sockaddr_in6));
}

static void bfdd_raw_send(struct bfdd_sess *x)
{
	struct bfdd *b = x->b;
	bool v6 = x->key.peer.af == AF_INET6;
	struct bfdd_txq *q = v6 ? &b->txq6 : &b->txq;
	size_t hl = v6 ? 48 : 28, len;
	int fd = b->raw[x->raw - 1].fd;

	if (q->n && (q->fd != fd || q->n == BFDD_TX_BATCH))
		bfdd_txq_flush(b, q, v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	if (bfd_session_build(&x->s, q->pkt[q->n] + hl, BFDD_TX_PKT - hl, &len) != 0) {
		x->tx_errors++;
		return;
	}
	memset(&q->dst[q->n], 0, sizeof(q->dst[q->n]));
	if (v6) {
		bfdd_raw_headers6(x, q->pkt[q->n], len);
		/* sin6_port stays 0: on a raw socket it would be the protocol (raw(7)). */
		q->dst[q->n].v6.sin6_family = AF_INET6;
		memcpy(&q->dst[q->n].v6.sin6_addr, x->key.peer.a, 16);
		if (IN6_IS_ADDR_LINKLOCAL(&q->dst[q->n].v6.sin6_addr))
			q->dst[q->n].v6.sin6_scope_id = (uint32_t)x->ifindex;
	} else {
		bfdd_raw_headers(x, q->pkt[q->n], len);
		q->dst[q->n].v4.sin_family = AF_INET;
		memcpy(&q->dst[q->n].v4.sin_addr, x->key.peer.a, 4);
	}
	q->fd = fd;
	q->disc[q->n] = x->s.local_disc;
	q->len[q->n] = (uint16_t)(hl + len);
	q->n++;
	x->tx++;
}

int bfdd_io_sess_open(struct bfdd_sess *x)
{
	int af = x->key.peer.af, one = 1, ttl = 255, tos = BFDD_TOS_CS6, fd;
	struct sockaddr_storage ss;
	socklen_t len;

	if (x->fd >= 0)
		return 0;
	if (x->key.ifname[0]) {
		x->ifindex = (int)if_nametoindex(x->key.ifname);
		if (x->ifindex == 0)
			return -1; /* not there (yet): housekeeping retries */
	}
	fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0) {
		log_warn("bfd: send socket");
		return -1;
	}
	if (af == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) < 0)
			goto fail;
		setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl)) < 0)
			goto fail;
		setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
	}
	if (x->key.ifname[0] && !x->key.multihop &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, x->key.ifname,
	               (socklen_t)strlen(x->key.ifname)) < 0)
		goto fail;
	if (bfdd_bind_port(x->b, fd, &x->key.local, af, x->ifindex, &x->sport) < 0)
		goto fail;
	bfdd_sockaddr(&x->key.peer, x->key.multihop ? BFD_PORT_MULTIHOP : BFD_PORT_SINGLEHOP,
	              x->ifindex, &ss, &len);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != ENETUNREACH &&
	    errno != EHOSTUNREACH)
		goto fail;
	x->fd = fd;
	bfdd_raw_attach(x, fd);
	return 0;
fail:
	log_debug("bfd: send socket for discriminator %u: %s", x->s.local_disc, strerror(errno));
	close(fd);
	return -1;
}

void bfdd_io_sess_close(struct bfdd_sess *x)
{
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	x->raw = 0;
}

void bfdd_io_send(struct bfdd_sess *x)
{
	uint8_t buf[BFD_PKT_MAX];
	size_t len;

	if (x->raw) {
		bfdd_raw_send(x);
		return;
	}
	if (bfd_session_build(&x->s, buf, sizeof(buf), &len) != 0) {
		x->tx_errors++;
		return;
	}
	if (x->fd < 0) {
		x->tx_errors++;
		return;
	}
	if (send(x->fd, buf, len, MSG_DONTWAIT) < 0) {
		x->tx_errors++;
		/* A socket connected before the route existed keeps failing: reopen later. */
		if (errno == ENETUNREACH || errno == EDESTADDRREQ || errno == ENOTCONN)
			bfdd_io_sess_close(x);
		return;
	}
	x->tx++;
}

/* ------------------------------------------------------------ receive */

static void bfdd_drop(struct bfdd *b, struct bfdd_sess *x, enum bfd_drop d)
{
	b->drops[d]++;
	if (x) {
		x->drops[d]++;
		x->dropped++;
	}
	if (log_debug_on(BFDD_DEBUG_PACKET))
		log_debugf(BFDD_DEBUG_PACKET, "bfd: packet dropped: %s%s", bfd_drop_name(d),
		           x ? "" : " (no session)");
}

void bfdd_io_input(struct bfdd *b, const uint8_t *buf, size_t len, const struct bfdd_rxinfo *ri,
                   uint64_t now_us)
{
	struct bfd_pkt p;
	struct bfd_rx ok;
	struct bfd_out out;
	struct bfdd_sess *x;
	enum bfd_drop d;

	b->rx_packets++;
	/* RFC 5881 §5: single hop, "MUST be discarded" unless 255, before anything else. */
	if (!ri->multihop && ri->ttl != 255) {
		bfdd_drop(b, NULL, BFD_DROP_TTL);
		return;
	}
	d = bfd_decode(buf, len, &p);
	if (d != BFD_DROP_NONE) {
		bfdd_drop(b, NULL, d);
		return;
	}
	x = p.your_disc ? bfdd_sess_by_disc(b, p.your_disc) : bfdd_sess_match(b, ri);
	if (!x || x->key.multihop != ri->multihop) {
		bfdd_drop(b, NULL, BFD_DROP_NO_SESSION);
		return;
	}
	if (!x->key.multihop && x->key.ifname[0] && ri->ifindex && x->ifindex != ri->ifindex) {
		bfdd_drop(b, x, BFD_DROP_NO_SESSION); /* the session is bound elsewhere */
		return;
	}
	if (x->key.multihop && ri->ttl >= 0 && ri->ttl < (x->eff.min_ttl ? x->eff.min_ttl : 1)) {
		bfdd_drop(b, x, BFD_DROP_TTL); /* RFC 5883 §5 */
		return;
	}
	d = bfd_session_check(&x->s, buf, &p, &ok);
	if (d != BFD_DROP_NONE) {
		bfdd_drop(b, x, d);
		return;
	}
	x->rx++;
	/* Echo leaves where the control packets come from (an unbound session's interface). */
	if (!x->key.ifname[0] && ri->ifindex && ri->ifindex != x->echo_ifindex) {
		x->echo_ifindex = ri->ifindex;
		x->mac_ok = false;
	}
	bfd_session_rx(&x->s, &ok, now_us, &out);
	bfdd_out(x, &out);
}

static void bfdd_ip_from(const struct sockaddr_storage *ss, struct bfdd_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (ss->ss_family == AF_INET) {
		ip->af = AF_INET;
		memcpy(ip->a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		ip->af = AF_INET6;
		memcpy(ip->a, a, 16);
	}
}

static void bfdd_parse_cmsg(struct msghdr *mh, struct bfdd_rxinfo *ri)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			ri->ttl = v;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		           c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ri->ifindex = pi.ipi_ifindex;
			ri->dst.af = AF_INET;
			memcpy(ri->dst.a, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT &&
		           c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			ri->ttl = v;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		           c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ri->ifindex = (int)pi.ipi6_ifindex;
			ri->dst.af = AF_INET6;
			memcpy(ri->dst.a, &pi.ipi6_addr, 16);
		}
	}
}

static void bfdd_rx_read(struct bfdd_rxsock *rs, int max_rounds);

static void bfdd_rx_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	bfdd_rx_read(arg, 4); /* a burst is drained without starving timers */
	bfdd_arm(((struct bfdd_rxsock *)arg)->owner);
}

static void bfdd_rx_drain(struct bfdd *b)
{
	for (int i = 0; i < 4; i++)
		if (b->rx[i].fd >= 0)
			bfdd_rx_read(&b->rx[i], 256); /* all of it: up to 16k packets */
}

static void bfdd_rx_read(struct bfdd_rxsock *rs, int max_rounds)
{
	int fd = rs->fd;
	static uint8_t bufs[BFDD_RX_BATCH][BFDD_RX_BUF];
	static uint8_t cbufs[BFDD_RX_BATCH][BFDD_CMSG];
	static struct sockaddr_storage from[BFDD_RX_BATCH];
	struct mmsghdr mm[BFDD_RX_BATCH];
	struct iovec iov[BFDD_RX_BATCH];
	int n, rounds = 0;

	do {
		uint64_t now;

		for (int i = 0; i < BFDD_RX_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_name = &from[i];
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = cbufs[i];
			mm[i].msg_hdr.msg_controllen = sizeof(cbufs[i]);
		}
		n = recvmmsg(fd, mm, BFDD_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		rs->owner->rx_batches++;
		now = mono_us();
		for (int i = 0; i < n; i++) {
			struct bfdd_rxinfo ri = {.ttl = -1, .multihop = rs->multihop};
			size_t len = mm[i].msg_len;

			bfdd_ip_from(&from[i], &ri.src);
			bfdd_parse_cmsg(&mm[i].msg_hdr, &ri);
			/* A v4-mapped source cannot happen (IPV6_V6ONLY); an unknown family is
			 * dropped by the lookup. */
			bfdd_io_input(rs->owner, bufs[i], len > BFDD_RX_BUF ? BFDD_RX_BUF : len,
			              &ri, now);
		}
	} while (n == BFDD_RX_BATCH && ++rounds < max_rounds);
}

static int bfdd_rx_open(struct bfdd *b, struct bfdd_rxsock *rs, int af, bool multihop)
{
	int one = 1, fd;
	uint16_t port = multihop ? BFD_PORT_MULTIHOP : BFD_PORT_SINGLEHOP;
	struct bfdd_ip any = {.af = (uint8_t)af};
	struct sockaddr_storage ss;
	socklen_t len;
	int rcvbuf = 4 * 1024 * 1024;

	rs->fd = -1;
	rs->af = af;
	rs->multihop = multihop;
	rs->owner = b;
	fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* 4000 sessions at 50 ms are 80k packets/s: room for a scheduling hiccup. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (af == AF_INET) {
		if (setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
			goto fail;
	} else {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
			goto fail;
	}
	bfdd_sockaddr(&any, port, 0, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail;
	rs->ev = event_new(b->base, fd, EV_READ | EV_PERSIST, bfdd_rx_cb, rs);
	if (!rs->ev || event_add(rs->ev, NULL) < 0)
		goto fail;
	rs->fd = fd;
	return 0;
fail:
	log_warn("bfd: cannot listen on UDP %u (%s)", port, af == AF_INET ? "IPv4" : "IPv6");
	if (rs->ev)
		event_free(rs->ev);
	rs->ev = NULL;
	close(fd);
	return -1;
}

/* Once a second: open send sockets that could not be opened (interface or address not
 * there yet) or were closed after a send error. */
static void bfdd_housekeeping(void *arg)
{
	struct bfdd *b = arg;

	for (struct bfdd_sess *x = b->head; x; x = x->next) {
		if (x->fd < 0)
			bfdd_io_sess_open(x);
		/* Echo: keep the peer's MAC fresh, follow the forwarding sysctl (whether we may
		 * advertise Required Min Echo RX). */
		if (x->eff.echo_us && !x->key.multihop) {
			bfdd_echo_resolve(x);
			if (bfdd_echo_loops(x) != x->echo_loop)
				bfdd_sess_echo_recheck(x);
		}
	}
	bfdd_arm(b);
	timer_add_ms(&b->housekeeping, 1000);
}

int bfdd_io_start(struct bfdd *b)
{
	int ok = 0;

	wheel_init(&b->wheel, mono_us());
	timer_init(&b->wheel_timer, b->base, bfdd_wheel_fire, b);
	timer_init(&b->housekeeping, b->base, bfdd_housekeeping, b);
	timer_add_ms(&b->housekeeping, 1000);
	b->next_port = BFDD_SPORT_MIN;
	b->echo_tx_fd = b->echo_rx_fd = b->echo_rx6_fd = -1;
	ok += bfdd_rx_open(b, &b->rx[0], AF_INET, false) == 0;
	ok += bfdd_rx_open(b, &b->rx[1], AF_INET6, false) == 0;
	ok += bfdd_rx_open(b, &b->rx[2], AF_INET, true) == 0;
	ok += bfdd_rx_open(b, &b->rx[3], AF_INET6, true) == 0;
	/* IPv6 may be disabled in a namespace; IPv4 alone is a working daemon. */
	return ok ? 0 : -1;
}

void bfdd_io_stop(struct bfdd *b)
{
	bfdd_io_flush(b);
	for (unsigned i = 0; i < b->n_raw; i++)
		close(b->raw[i].fd);
	b->n_raw = 0;
	for (struct bfdd_sess *x = b->head; x; x = x->next)
		x->raw = 0;
	b->rx_polling = false;
	for (int i = 0; i < 4; i++) {
		if (b->rx[i].ev)
			event_free(b->rx[i].ev);
		b->rx[i].ev = NULL;
		if (b->rx[i].fd >= 0)
			close(b->rx[i].fd);
		b->rx[i].fd = -1;
	}
	bfdd_echo_close(b);
	timer_del(&b->key_timer);
	timer_del(&b->wheel_timer);
	timer_del(&b->housekeeping);
}
