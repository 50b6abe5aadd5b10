/*
 * The activeness probe (active.h has the model and why it exists).
 *
 * Why a raw ICMP socket and kernel routing, where IP monitoring (ipmon.c) builds whole frames
 * on AF_PACKET: ipmon probes through a reth, from its virtual MAC or from the child with a
 * configured secondary-ip-address, because the test is "does this reth reach its next hop".
 * The activeness probe asks whether this node, as a box, still reaches the rest of the network
 * (MNHA's question), and it has to work on a node that holds no reth at all; the node's own
 * addresses and routes (management or any non-reth interface) are the right source. The
 * frames still come from garp.c's builder and parser, which the fuzz target covers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "daemons/clusterd/active.h"
#include "daemons/clusterd/ipmon.h"
#include "daemons/clusterd/reth.h"
#include "lib/ev.h"
#include "lib/log.h"

#define ACTIVE_PAYLOAD  16
#define ACTIVE_IP4_HLEN 20
#define ACTIVE_RX_MAX   1500

bool active_verdict(const int *states, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (states[i] == RG_IP_REACHABLE)
			return true;
	return false;
}

size_t active_build_echo(uint8_t *buf, size_t cap, uint32_t dest, uint16_t id, uint16_t seq)
{
	static const uint8_t zero[6];
	uint8_t f[GARP_ETH_HLEN + ACTIVE_IP4_HLEN + 8 + ACTIVE_PAYLOAD];
	size_t n = garp_build_echo(f, sizeof(f), zero, zero, 0, dest, id, seq, ACTIVE_PAYLOAD);
	size_t off = GARP_ETH_HLEN + ACTIVE_IP4_HLEN;

	/* The kernel writes the IP header of a raw socket without IP_HDRINCL; the ICMP checksum
	 * covers the ICMP message only (RFC 792), so the part garp.c built is the message. */
	if (n <= off || cap < n - off)
		return 0;
	memcpy(buf, f + off, n - off);
	return n - off;
}

int active_parse_reply(const uint8_t *dgram, size_t len, uint32_t *src, uint16_t *id, uint16_t *seq)
{
	uint8_t f[GARP_ETH_HLEN + ACTIVE_RX_MAX];
	uint32_t dst;

	if (!dgram || len < ACTIVE_IP4_HLEN || len > ACTIVE_RX_MAX)
		return -EINVAL;
	/* garp_parse_echo_reply reads an Ethernet frame: give it an IPv4 one around the datagram.
	 * The kernel delivered the datagram to a local address, so its destination is ours. */
	memset(f, 0, GARP_ETH_HLEN);
	f[12] = 0x08;
	f[13] = 0x00;
	memcpy(f + GARP_ETH_HLEN, dgram, len);
	memcpy(&dst, dgram + 16, sizeof(dst));
	return garp_parse_echo_reply(f, GARP_ETH_HLEN + len, dst, src, id, seq);
}

struct active_tgt {
	uint32_t dest;
	struct ipmon_counter c;
	bool outstanding;
	uint16_t seq;
	uint64_t sent, replies;
};

struct active {
	struct event_base *base;
	active_fn fn;
	void *arg;
	uint16_t id;
	int fd;
	struct event *ev;
	struct timer tick;
	bool tick_init;
	uint32_t interval_ms;
	uint8_t retry_count;
	size_t n;
	struct active_tgt t[ACTIVE_MAX_DEST];
	bool reachable; /* last verdict reported */
};

static void active_judge(struct active *a)
{
	int st[ACTIVE_MAX_DEST];
	bool r;

	for (size_t i = 0; i < a->n; i++)
		st[i] = (int)a->t[i].c.state;
	r = active_verdict(st, a->n);
	if (r == a->reachable)
		return;
	a->reachable = r;
	log_info("activeness probe: %s", r ? "reachable" : "unreachable");
	if (a->fn)
		a->fn(a->arg, r);
}

static void active_result(struct active *a, struct active_tgt *t, bool replied)
{
	if (ipmon_counter_step(&t->c, replied, a->retry_count)) {
		char s[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &t->dest, s, sizeof(s));
		log_info("activeness probe %s: %s", s, ipmon_state_name(t->c.state));
	}
	active_judge(a);
}

static void active_probe(void *arg)
{
	struct active *a = arg;

	for (size_t i = 0; i < a->n; i++) {
		struct active_tgt *t = &a->t[i];
		struct sockaddr_in sin;
		uint8_t m[64];
		size_t len;

		if (t->outstanding)
			active_result(a, t, false);
		t->seq++;
		len = active_build_echo(m, sizeof(m), t->dest, a->id, t->seq);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = t->dest;
		t->outstanding = true;
		t->sent++;
		/* No route (the cut side) is a failed probe like a lost one. */
		if (sendto(a->fd, m, len, 0, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			log_debug("activeness probe: send: %s", strerror(errno));
	}
	timer_add_ms(&a->tick, a->interval_ms);
}

static void active_read(evutil_socket_t fd, short what, void *arg)
{
	struct active *a = arg;
	uint8_t buf[ACTIVE_RX_MAX];

	(void)what;
	for (int budget = 0; budget < 64; budget++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		uint32_t src;
		uint16_t id, seq;

		if (n < 0)
			return;
		if ((size_t)n > sizeof(buf) ||
		    active_parse_reply(buf, (size_t)n, &src, &id, &seq) < 0 || id != a->id)
			continue;
		for (size_t i = 0; i < a->n; i++) {
			struct active_tgt *t = &a->t[i];
			if (t->dest != src || !t->outstanding || seq != t->seq)
				continue;
			t->outstanding = false;
			t->replies++;
			active_result(a, t, true);
		}
	}
}

static int active_open(struct active *a)
{
	/* ICMP_FILTER (raw(7)): a bit set drops that type; only echo replies wake us. */
	struct icmp_filter flt = {.data = ~(1u << ICMP_ECHOREPLY)};

	if (a->fd >= 0)
		return 0;
	a->fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (a->fd < 0)
		return -errno;
	if (setsockopt(a->fd, SOL_RAW, ICMP_FILTER, &flt, sizeof(flt)) < 0)
		log_warn("activeness probe: ICMP_FILTER");
	a->ev = event_new(a->base, a->fd, EV_READ | EV_PERSIST, active_read, a);
	if (!a->ev || event_add(a->ev, NULL) < 0) {
		int e = errno ? errno : ENOMEM;
		if (a->ev)
			event_free(a->ev);
		a->ev = NULL;
		close(a->fd);
		a->fd = -1;
		return -e;
	}
	return 0;
}

static void active_close(struct active *a)
{
	if (a->tick_init)
		timer_del(&a->tick);
	if (a->ev)
		event_free(a->ev);
	a->ev = NULL;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

struct active *active_new(struct event_base *base, active_fn fn, void *arg)
{
	struct active *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->base = base;
	a->fn = fn;
	a->arg = arg;
	a->fd = -1;
	/* tells our replies from other pingers' (ipmon's, ping's) on this host */
	a->id = (uint16_t)(getpid() ^ (mono_ns() >> 12) ^ 0xac7e);
	timer_init(&a->tick, base, active_probe, a);
	a->tick_init = true;
	return a;
}

void active_free(struct active *a)
{
	if (!a)
		return;
	active_close(a);
	free(a);
}

int active_update(struct active *a, const struct active_cfg *cfg, char *err, size_t errlen)
{
	struct active_tgt next[ACTIVE_MAX_DEST];
	uint32_t interval = cfg->interval_ms ? cfg->interval_ms : ACTIVE_INTERVAL_DEF;
	uint8_t retry = cfg->retry_count ? cfg->retry_count : ACTIVE_RETRY_DEF;
	bool fresh = a->n == 0;

	if (cfg->n > ACTIVE_MAX_DEST || interval < 100 || interval > 10000 || retry > 10) {
		snprintf(err, errlen,
		         "activeness-probe: at most %d dest-ip, interval 100..10000 ms, "
		         "retry-count 1..10",
		         ACTIVE_MAX_DEST);
		return -1;
	}
	for (size_t i = 0; i < cfg->n; i++)
		if (!cfg->dest[i]) {
			snprintf(err, errlen, "activeness-probe: dest-ip 0.0.0.0");
			return -1;
		}
	if (!cfg->n) {
		active_close(a);
		a->n = 0;
		a->reachable = false;
		return 0;
	}
	int e = active_open(a);
	if (e < 0) {
		snprintf(err, errlen, "activeness-probe: raw ICMP socket: %s", strerror(-e));
		return -1;
	}
	memset(next, 0, sizeof(next));
	for (size_t i = 0; i < cfg->n; i++) {
		next[i].dest = cfg->dest[i];
		for (size_t j = 0; j < a->n; j++)
			if (a->t[j].dest == cfg->dest[i])
				next[i] = a->t[j]; /* counter, stats and the probe in flight stay */
	}
	memcpy(a->t, next, sizeof(next));
	a->n = cfg->n;
	a->interval_ms = interval;
	a->retry_count = retry;
	if (fresh)
		timer_add_ms(&a->tick, 0);
	active_judge(a);
	return 0;
}

bool active_reachable(const struct active *a)
{
	return a->reachable;
}

size_t active_status(const struct active *a, struct active_status *out, size_t max)
{
	size_t i;

	for (i = 0; i < a->n && i < max; i++) {
		out[i].dest = a->t[i].dest;
		out[i].state = (int)a->t[i].c.state;
		out[i].fails = a->t[i].c.fails;
		out[i].sent = a->t[i].sent;
		out[i].replies = a->t[i].replies;
	}
	return a->n;
}
