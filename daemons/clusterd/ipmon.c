/*
 * IP monitoring (ipmon.h has the model).
 *
 * Why AF_PACKET rather than a raw ICMP or ping socket: on the secondary node the reth is down
 * and holds no address, and the child carries none either (reth.c), so the kernel has no
 * route and no source for secondary-ip-address; a raw socket would need that address on some
 * interface, which then answers ARP and shows up in routing. Building the frames ourselves
 * (garp.c) lets the secondary probe from its child's MAC with secondary-ip-address and
 * nothing else on the wire. The same path serves the primary, from the reth's virtual MAC.
 *
 * Each probe: an ARP request "who has target, tell source" (it resolves the target's MAC and
 * refreshes the target's entry for our source, which on the secondary nobody else would
 * answer), then an ICMP echo as soon as the target's MAC is known. A probe still unanswered
 * when the next one is due counts as a failure (ipmon_counter_step). Targets must be on the
 * reth's subnet (the Junos use: the next-hop router); an off-link target never answers ARP
 * and turns unreachable.
 *
 * On the secondary with IP forwarding on, the kernel sees the echo reply to
 * secondary-ip-address (not a local address) on the child and may forward it along its
 * default route; harmless, and gone when the child is in no routing domain.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "daemons/clusterd/ipmon.h"
#include "lib/ev.h"
#include "lib/log.h"

#define IPMON_PAYLOAD 16

bool ipmon_counter_step(struct ipmon_counter *c, bool replied, unsigned retry_count)
{
	enum rg_ip_state old = c->state;

	if (retry_count == 0)
		retry_count = IPMON_RETRY_COUNT_DEF;
	/* notes cluster.md §5: unreachable after retry-count consecutive failures; one reply
	 * makes the target reachable again */
	if (replied) {
		c->fails = 0;
		c->state = RG_IP_REACHABLE;
	} else {
		if (c->fails < UINT32_MAX)
			c->fails++;
		if (c->fails >= retry_count)
			c->state = RG_IP_UNREACHABLE;
	}
	return c->state != old;
}

const char *ipmon_state_name(enum rg_ip_state st)
{
	switch (st) {
	case RG_IP_REACHABLE:
		return "Reachable";
	case RG_IP_UNREACHABLE:
		return "Unreachable";
	default:
		return "Unknown";
	}
}

struct ipmon_tgt {
	struct ipmon_target_cfg cfg;
	struct ipmon_counter c;
	uint64_t sent, replies;
	double last_rtt_ms;
	/* the probe in flight */
	bool outstanding;
	bool echo_sent;
	uint16_t seq;
	uint64_t sent_us;
	/* where it goes from */
	int ifindex;
	uint32_t src;
	uint8_t smac[6];
	uint8_t dmac[6];
	bool have_dmac;
};

struct ipmon_grp {
	struct ipmon *m;
	uint8_t rg;
	uint32_t interval_s;
	uint8_t retry_count;
	bool primary;
	size_t n;
	struct ipmon_tgt t[RG_MAX_IPMON];
	struct timer tick;
};

struct ipmon {
	struct event_base *base;
	struct reth_table *reths;
	ipmon_fn fn;
	void *arg;
	uint16_t id;
	int fd_arp, fd_ip;
	struct event *ev_arp, *ev_ip;
	size_t n;
	struct ipmon_grp *g[IPMON_MAX_RG];
	bool role[RETH_MAX_RG]; /* remembered for groups configured later */
};

static int dev_mac(int fd, int ifindex, uint8_t mac[6])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (!if_indextoname((unsigned)ifindex, ifr.ifr_name))
		return -errno;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* Where target t is probed from now: ifindex, source MAC and IP. false: not probing. */
static bool resolve_src(struct ipmon_grp *g, struct ipmon_tgt *t)
{
	char name[RETH_NAMSIZ];
	struct reth *r;

	snprintf(name, sizeof(name), "%s", t->cfg.iface);
	name[strcspn(name, ".")] = 0; /* rethX.0 -> rethX: unit 0 is the reth itself */
	r = reth_table_find(g->m->reths, name);
	if (!r)
		return false;
	if (g->primary) {
		if (!reth_is_active(r) || reth_ifindex(r) <= 0)
			return false;
		t->ifindex = reth_ifindex(r);
		memcpy(t->smac, reth_mac(r), 6);
		t->src = reth_ipv4_source(r, t->cfg.addr);
	} else {
		int idx = reth_child(r)[0] ? (int)if_nametoindex(reth_child(r)) : 0;
		if (idx <= 0 || dev_mac(g->m->fd_ip, idx, t->smac) < 0)
			return false;
		t->ifindex = idx;
		t->src = t->cfg.secondary_ip;
	}
	return t->src != 0;
}

static void send_frame(struct ipmon *m, int ifindex, const uint8_t *f, size_t len)
{
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, f, 6);
	if (sendto(m->fd_ip, f, len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		log_debug("ip monitoring: send on ifindex %d: %s", ifindex, strerror(errno));
}

static void send_echo(struct ipmon *m, struct ipmon_tgt *t)
{
	uint8_t f[GARP_FRAME_MAX];
	size_t n = garp_build_echo(f, sizeof(f), t->smac, t->dmac, t->src, t->cfg.addr, m->id,
	                           t->seq, IPMON_PAYLOAD);

	t->sent_us = mono_us();
	t->echo_sent = true;
	t->sent++;
	send_frame(m, t->ifindex, f, n);
}

static void tgt_result(struct ipmon_grp *g, struct ipmon_tgt *t, bool replied)
{
	if (ipmon_counter_step(&t->c, replied, g->retry_count)) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &t->cfg.addr, a, sizeof(a));
		log_info("ip monitoring: redundancy group %u target %s %s", g->rg, a,
		         ipmon_state_name(t->c.state));
		if (g->m->fn)
			g->m->fn(g->m->arg, g->rg, t->cfg.addr, t->c.state);
	}
}

static void probe(struct ipmon_grp *g)
{
	struct ipmon *m = g->m;

	for (size_t i = 0; i < g->n; i++) {
		struct ipmon_tgt *t = &g->t[i];
		uint8_t f[GARP_FRAME_MAX];
		int oldidx = t->ifindex;
		uint32_t oldsrc = t->src;

		if (t->outstanding)
			tgt_result(g, t, false);
		t->outstanding = false;
		if (m->fd_ip < 0 || !resolve_src(g, t)) {
			t->src = 0;
			continue;
		}
		if (t->ifindex != oldidx || t->src != oldsrc)
			t->have_dmac = false;
		t->seq++;
		t->outstanding = true;
		t->echo_sent = false;
		send_frame(m, t->ifindex, f,
		           garp_build_arp_request(f, sizeof(f), t->smac, t->src, t->cfg.addr));
		if (t->have_dmac)
			send_echo(m, t);
	}
	timer_add_ms(&g->tick, (uint64_t)g->interval_s * 1000);
}

static void tick_cb(void *arg)
{
	probe(arg);
}

/* ------------------------------------------------------------ receive */

static void on_frame(struct ipmon *m, const uint8_t *f, size_t len, int ifindex)
{
	for (size_t k = 0; k < m->n; k++) {
		struct ipmon_grp *g = m->g[k];
		for (size_t i = 0; i < g->n; i++) {
			struct ipmon_tgt *t = &g->t[i];
			uint32_t sip;
			uint16_t id, seq;
			uint8_t mac[6];

			if (!t->outstanding || t->ifindex != ifindex)
				continue;
			if (garp_parse_arp_reply(f, len, t->src, &sip, mac) == 0) {
				if (sip != t->cfg.addr)
					continue;
				memcpy(t->dmac, mac, 6);
				t->have_dmac = true;
				if (!t->echo_sent)
					send_echo(m, t);
			} else if (garp_parse_echo_reply(f, len, t->src, &sip, &id, &seq) == 0) {
				if (sip != t->cfg.addr || id != m->id || seq != t->seq)
					continue;
				t->outstanding = false;
				t->replies++;
				t->last_rtt_ms = (double)(mono_us() - t->sent_us) / 1000.0;
				tgt_result(g, t, true);
			}
		}
	}
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct ipmon *m = arg;
	uint8_t f[GARP_FRAME_MAX + 4];

	(void)what;
	for (int budget = 0; budget < 256; budget++) {
		struct sockaddr_ll sll;
		socklen_t sl = sizeof(sll);
		ssize_t n = recvfrom(fd, f, sizeof(f), MSG_TRUNC, (struct sockaddr *)&sll, &sl);
		if (n < 0)
			return;
		if (sll.sll_pkttype == PACKET_OUTGOING || (size_t)n > sizeof(f))
			continue;
		on_frame(m, f, (size_t)n, sll.sll_ifindex);
	}
}

static int open_sock(uint16_t proto)
{
	int one = 1;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(proto));

	if (fd < 0)
		return -1;
	/* our own probes are not replies (Linux 4.20) */
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	return fd;
}

static int sockets_open(struct ipmon *m)
{
	if (m->fd_ip >= 0)
		return 0;
	m->fd_arp = open_sock(ETH_P_ARP);
	m->fd_ip = open_sock(ETH_P_IP);
	if (m->fd_arp < 0 || m->fd_ip < 0) {
		int e = errno;
		log_warn("ip monitoring: packet sockets");
		if (m->fd_arp >= 0)
			close(m->fd_arp);
		if (m->fd_ip >= 0)
			close(m->fd_ip);
		m->fd_arp = m->fd_ip = -1;
		return -e;
	}
	if (m->base) {
		m->ev_arp = event_new(m->base, m->fd_arp, EV_READ | EV_PERSIST, on_read, m);
		m->ev_ip = event_new(m->base, m->fd_ip, EV_READ | EV_PERSIST, on_read, m);
		if (m->ev_arp)
			event_add(m->ev_arp, NULL);
		if (m->ev_ip)
			event_add(m->ev_ip, NULL);
	}
	return 0;
}

/* ------------------------------------------------------------ API */

struct ipmon *ipmon_new(struct event_base *base, struct reth_table *reths, ipmon_fn fn, void *arg)
{
	struct ipmon *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->base = base;
	m->reths = reths;
	m->fn = fn;
	m->arg = arg;
	m->fd_arp = m->fd_ip = -1;
	/* tells our replies from other pingers' on the same segment */
	m->id = (uint16_t)(getpid() ^ (mono_ns() >> 10));
	return m;
}

static void grp_free(struct ipmon_grp *g)
{
	if (g->m->base)
		timer_del(&g->tick);
	free(g);
}

void ipmon_free(struct ipmon *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		grp_free(m->g[i]);
	if (m->ev_arp)
		event_free(m->ev_arp);
	if (m->ev_ip)
		event_free(m->ev_ip);
	if (m->fd_arp >= 0)
		close(m->fd_arp);
	if (m->fd_ip >= 0)
		close(m->fd_ip);
	free(m);
}

int ipmon_update(struct ipmon *m, const struct ipmon_rg_cfg *cfg, size_t n, char *err,
                 size_t errlen)
{
	struct ipmon_grp *next[IPMON_MAX_RG];
	bool used[IPMON_MAX_RG] = {false};

	if (n > IPMON_MAX_RG) {
		snprintf(err, errlen, "ip-monitoring in more than %d redundancy groups",
		         IPMON_MAX_RG);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ipmon_rg_cfg *c = &cfg[i];
		if (c->rg >= RETH_MAX_RG || c->n_target > RG_MAX_IPMON ||
		    (c->retry_interval_s &&
		     (c->retry_interval_s < 1 || c->retry_interval_s > 30)) ||
		    (c->retry_count && (c->retry_count < 5 || c->retry_count > 15))) {
			snprintf(err, errlen,
			         "redundancy-group %u ip-monitoring: retry-interval 1..30, "
			         "retry-count 5..15, at most %d targets",
			         c->rg, RG_MAX_IPMON);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (cfg[j].rg == c->rg) {
				snprintf(err, errlen, "redundancy-group %u twice", c->rg);
				return -1;
			}
		for (size_t k = 0; k < c->n_target; k++)
			if (!c->target[k].addr || !c->target[k].iface[0]) {
				snprintf(
				        err, errlen,
				        "redundancy-group %u ip-monitoring: a target needs an address and "
				        "an interface",
				        c->rg);
				return -1;
			}
	}
	if (n && sockets_open(m) < 0) {
		snprintf(err, errlen, "ip monitoring: cannot open packet sockets (CAP_NET_RAW?)");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ipmon_rg_cfg *c = &cfg[i];
		struct ipmon_grp *old = NULL, *g = calloc(1, sizeof(*g));
		if (!g) {
			for (size_t k = 0; k < i; k++)
				free(next[k]);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (size_t j = 0; j < m->n && !old; j++)
			if (!used[j] && m->g[j]->rg == c->rg) {
				old = m->g[j];
				used[j] = true;
			}
		g->m = m;
		g->rg = c->rg;
		g->interval_s =
		        c->retry_interval_s ? c->retry_interval_s : IPMON_RETRY_INTERVAL_DEF;
		g->retry_count = c->retry_count ? c->retry_count : IPMON_RETRY_COUNT_DEF;
		g->primary = m->role[c->rg];
		g->n = c->n_target;
		for (size_t k = 0; k < g->n; k++) {
			g->t[k].cfg = c->target[k];
			for (size_t j = 0; old && j < old->n; j++)
				if (old->t[j].cfg.addr == c->target[k].addr) {
					/* same target: counter, stats and the probe in flight stay
					 */
					struct ipmon_target_cfg tc = g->t[k].cfg;
					g->t[k] = old->t[j];
					g->t[k].cfg = tc;
					break;
				}
		}
		next[i] = g;
	}
	/* the old groups' timers go; the new ones start (a kept group keeps its phase) */
	for (size_t i = 0; i < n; i++) {
		struct ipmon_grp *g = next[i];
		struct ipmon_grp *old = NULL;
		for (size_t j = 0; j < m->n && !old; j++)
			if (used[j] && m->g[j]->rg == g->rg)
				old = m->g[j];
		if (m->base)
			timer_init(&g->tick, m->base, tick_cb, g);
		/* a kept group goes on at its interval (its probe in flight is judged then); a new
		 * one probes at once */
		if (m->base)
			timer_add_ms(&g->tick, old ? (uint64_t)g->interval_s * 1000 : 0);
	}
	for (size_t j = 0; j < m->n; j++)
		grp_free(m->g[j]);
	memcpy(m->g, next, n * sizeof(next[0]));
	m->n = n;
	return 0;
}

void ipmon_set_role(struct ipmon *m, uint8_t rg, bool primary)
{
	if (rg >= RETH_MAX_RG)
		return;
	m->role[rg] = primary;
	for (size_t i = 0; i < m->n; i++) {
		struct ipmon_grp *g = m->g[i];
		if (g->rg != rg || g->primary == primary)
			continue;
		g->primary = primary;
		for (size_t k = 0; k < g->n; k++) {
			/* the probe in flight left from the other source: no verdict on it */
			g->t[k].outstanding = false;
			g->t[k].have_dmac = false;
			g->t[k].c.fails = 0;
		}
		if (m->base)
			timer_add_ms(&g->tick, 0);
	}
}

size_t ipmon_status(const struct ipmon *m, struct ipmon_status *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct ipmon_grp *g = m->g[i];
		for (size_t k = 0; k < g->n; k++, n++) {
			const struct ipmon_tgt *t = &g->t[k];
			struct ipmon_status *s;
			if (n >= max)
				continue;
			s = &out[n];
			memset(s, 0, sizeof(*s));
			s->rg = g->rg;
			s->addr = t->cfg.addr;
			s->weight = t->cfg.weight;
			snprintf(s->iface, sizeof(s->iface), "%s", t->cfg.iface);
			s->secondary_ip = t->cfg.secondary_ip;
			s->state = t->c.state;
			s->primary_role = g->primary;
			s->source = t->src;
			s->fails = t->c.fails;
			s->sent = t->sent;
			s->replies = t->replies;
			s->last_rtt_ms = t->last_rtt_ms;
		}
	}
	return n;
}
