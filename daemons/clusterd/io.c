/*
 * clusterd sockets and timers: heartbeats on the two control links, probes on the fabric.
 *
 * Control link L (issue 4 item 2): a raw IPv4 socket, protocol 250, bound to the link's device
 * (SO_BINDTODEVICE), member of 224.255.255.250 (link 0) / 239.255.255.251 (link 1) on that
 * device only, IP_MULTICAST_IF on it, TTL 1, multicast loop off. Fabric: raw protocol 254,
 * bound to this node's fabric member (fab<node-id>), unicast to the peer's fabric address.
 *
 * Addresses: raw IP needs a source and the probes a unicast destination, but neither the
 * testbed nor a fresh box puts an address on em0/em1 or the fabric port. clusterd therefore
 * gives each of them a link-local /30 of its own (cl_link_addr(): 169.254.<cluster-id>.
 * <4 * slot + node + 1>, slot 0/1 control links, 2 fabric), so the three point-to-point
 * links never share a subnet and two clusters never share an address. The other choice,
 * IP_HDRINCL with source 0.0.0.0, fails on receive: Linux drops a packet from 0.0.0.0 to a
 * group outside 224.0.0.0/24 as a martian. The address is added again when the device
 * reappears; one added by hand is left alone.
 *
 * Sending: one timer on CLOCK_MONOTONIC (lib/ev, precise timers) fires every
 * heartbeat-interval on an absolute schedule (next = previous + interval, so the rate does
 * not drift); a tick later than half an interval is a slip, counted per link (a starved
 * daemon looks like a dead peer to the other side: keepalived#2469, notes §12). Each tick
 * runs the engine's timers, then sends one heartbeat per control link and one probe, all
 * with the same sequence number (Junos: heartbeats and probes share one sequence space, the
 * control-link failure rule compares them; the copy on the second link is a duplicate).
 *
 * Receiving: hb_decode -> packet type of the socket -> hb_check_origin -> hb_verify (the
 * peer's replay state) -> rg_engine_rx. Every drop is counted by reason per link. Only a
 * packet that proves the peer alive now (hb_verify's `live`, auth.c) reaches the engine;
 * authentic packets of a session that has not echoed ours yet only teach us the session.
 * After each accepted packet a one-shot timer is set to the moment the peer would count as
 * lost (threshold x interval later), so detection does not wait for the next tick.
 *
 * Sockets bound with SO_BINDTODEVICE go deaf when their device is deleted and created again
 * (bpfrx's split brain, notes §12): the platform monitor's link events reopen them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemons/clusterd/clusterd.h"
#include "daemons/clusterd/rg.h"
#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/paths.h"

#define CL_RX_BUDGET  64   /* datagrams read per wake-up: a flood cannot starve the timers */
#define CL_RX_BUF     2048 /* HB_PKT_MAX + the largest IPv4 header, with room to spot more */
#define CL_IP_TOS     0xc0 /* CS6, network control (RFC 4594 §3.2) */
#define CL_LL_PREFIX  30
#define CL_BOOT_FILE  "clusterd.boot"
#define CL_SCOPE_LINK 253 /* RT_SCOPE_LINK */

struct in_addr cl_link_addr(uint8_t cluster_id, unsigned slot, uint8_t node)
{
	struct in_addr a;

	a.s_addr = htonl((169u << 24) | (254u << 16) | ((uint32_t)cluster_id << 8) |
	                 ((4u * slot + (node & 1u) + 1u) & 0xffu));
	return a;
}

static unsigned cl_link_slot(const struct cl_link *l)
{
	return l->kind == CL_LINK_CONTROL ? l->index : CL_LL_SLOT_FABRIC;
}

static const char *cl_link_label(const struct cl_link *l, char *buf, size_t len)
{
	if (l->kind == CL_LINK_CONTROL)
		snprintf(buf, len, "control link %u (%s)", l->index,
		         l->ifname[0] ? l->ifname : "-");
	else
		snprintf(buf, len, "fabric (%s)", l->ifname[0] ? l->ifname : "-");
	return buf;
}

static bool cl_phys_up(const struct plat_link *pl)
{
	return pl->admin_up &&
	       (pl->oper == PLAT_OPER_UP || (pl->oper == PLAT_OPER_UNKNOWN && pl->carrier));
}

/* ------------------------------------------------------------ boot time */

uint64_t cl_io_boot_time(void)
{
	char path[512], tmp[520], buf[32];
	uint64_t now = wall_ms(), last = 0;
	FILE *f;

	if (keel_path(path, sizeof(path), KEEL_DIR_STATE, CL_BOOT_FILE) < 0)
		return now;
	f = fopen(path, "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			last = strtoull(buf, NULL, 10);
		fclose(f);
	}
	/* auth.c: the peer rejects a session whose boot time is not newer than the one it
	 * knows, so a wall clock stepped back must still give a larger value. */
	if (now <= last)
		now = last + 1;
	keel_mkdirs(KEEL_DIR_STATE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		log_warn("cannot write %s", tmp);
		return now;
	}
	fprintf(f, "%" PRIu64 "\n", now);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0) {
		log_warn("cannot write %s", tmp);
		unlink(tmp);
		return now;
	}
	if (rename(tmp, path) != 0)
		log_warn("cannot rename %s", tmp);
	return now;
}

/* ------------------------------------------------------------ counting */

static void cl_io_drop(struct cl_link *l, enum hb_err e)
{
	char lb[64];

	l->st.errors++;
	if ((unsigned)e < HB_ERR_COUNT)
		l->st.err[e]++;
	if (e == HB_ERR_HMAC || e == HB_ERR_AUTH_MISSING || e == HB_ERR_AUTH_UNEXPECTED)
		l->st.auth_failures++;
	if (e == HB_ERR_REPLAY || e == HB_ERR_SESSION)
		l->st.replays++;
	log_debugf(CL_DEBUG_IO, "%s: dropped: %s", cl_link_label(l, lb, sizeof(lb)),
	           hb_err_name(e));
}

void cl_io_clear_stats(struct clusterd *cl)
{
	for (unsigned i = 0; i < 2; i++) {
		uint64_t s = cl->ctl[i].st.last_seq_sent, r = cl->ctl[i].st.last_seq_received;
		memset(&cl->ctl[i].st, 0, sizeof(cl->ctl[i].st));
		/* Sequence numbers are state, not counters. */
		cl->ctl[i].st.last_seq_sent = s;
		cl->ctl[i].st.last_seq_received = r;
	}
	uint64_t s = cl->fab.st.last_seq_sent, r = cl->fab.st.last_seq_received;
	memset(&cl->fab.st, 0, sizeof(cl->fab.st));
	cl->fab.st.last_seq_sent = s;
	cl->fab.st.last_seq_received = r;
	cl->probes_dropped_ctl_down = 0;
}

/* ------------------------------------------------------------ receive */

static void cl_io_detect_arm(struct clusterd *cl)
{
	/* The engine counts whole milliseconds: a heartbeat heard during
	 * millisecond T is stale from millisecond T + detect + 1 on (strictly
	 * more than threshold x interval: three heartbeats really lost). Fire
	 * at that boundary, not a flat detect + 1 ms later, which wasted up to
	 * a millisecond (bench_failover: keepalived was ahead by that much). */
	uint64_t now_us = mono_us();
	uint64_t due_us = (now_us / 1000 + rg_engine_detect_ms(cl->engine) + 1) * 1000;

	timer_add_us(&cl->detect_timer, due_us - now_us);
}

static void cl_io_input(struct cl_link *l, const uint8_t *buf, size_t n, size_t cap)
{
	struct clusterd *cl = l->cl;
	struct rg_engine *e = cl->engine;
	struct hb_pkt *pkt;
	const uint8_t *p;
	size_t ihl, plen;
	enum hb_err err;
	bool live = false;

	if (n > cap) {
		cl_io_drop(l, HB_ERR_LENGTH); /* larger than any packet keel sends */
		return;
	}
	/* A raw IPv4 socket hands over the IP header: skip it (the kernel checked it). */
	if (n < 20 || (buf[0] >> 4) != 4 || (ihl = (size_t)(buf[0] & 0x0f) * 4) < 20 || ihl > n) {
		cl_io_drop(l, HB_ERR_SHORT);
		return;
	}
	p = buf + ihl;
	plen = n - ihl;
	pkt = malloc(sizeof(*pkt));
	if (!pkt)
		return;
	err = hb_decode(p, plen, pkt);
	if (err == HB_OK &&
	    pkt->type != (l->kind == CL_LINK_CONTROL ? HB_TYPE_CONTROL : HB_TYPE_FABRIC))
		err = HB_ERR_TYPE;
	if (err == HB_OK)
		err = hb_check_origin(pkt, cl->id.cluster_id, cl->id.node_id);
	if (err == HB_OK)
		err = hb_verify(&cl->auth, &cl->replay, p, plen, pkt, &live);
	if (err != HB_OK) {
		cl_io_drop(l, err);
		goto out;
	}
	if (!live) {
		/* Authentic, but older than our session's first echo: it cannot prove the peer
		 * alive now (auth.c LIVENESS). It taught us the session to echo. */
		l->st.not_live++;
		goto out;
	}
	uint64_t now = mono_ms();
	uint64_t dup = e->stats.hb_duplicates;
	/* The engine's per-link liveness is about what arrives on this port; a crossed cable
	 * (the peer's link 1 on our link 0) still tells that this port carries heartbeats. */
	if (l->kind == CL_LINK_CONTROL)
		pkt->link = (uint8_t)l->index;
	cl->peer_boot_ms = pkt->boot_time_ms;
	rg_engine_rx(e, pkt, now);
	l->st.received++;
	if (e->stats.hb_duplicates != dup)
		l->st.duplicates++;
	l->st.last_seq_received = pkt->seq;
	cl_io_detect_arm(cl);
	cl_drain(cl);
out:
	free(pkt);
}

static void cl_io_read(evutil_socket_t fd, short what, void *arg)
{
	struct cl_link *l = arg;
	uint8_t buf[CL_RX_BUF];

	(void)what;
	for (int i = 0; i < CL_RX_BUDGET && l->fd == fd; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				char lb[64];
				log_warn("%s: recv", cl_link_label(l, lb, sizeof(lb)));
			}
			return;
		}
		cl_io_input(l, buf, (size_t)n, sizeof(buf));
	}
}

/* ------------------------------------------------------------ sockets */

static void cl_io_close(struct cl_link *l)
{
	if (l->ev) {
		event_free(l->ev);
		l->ev = NULL;
	}
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->ifindex = 0;
}

void cl_io_close_all(struct clusterd *cl)
{
	cl_io_close(&cl->ctl[0]);
	cl_io_close(&cl->ctl[1]);
	cl_io_close(&cl->fab);
}

static int cl_sockopt(int fd, int level, int opt, const void *v, socklen_t len, const char *what,
                      const struct cl_link *l)
{
	char lb[64];

	if (setsockopt(fd, level, opt, v, len) == 0)
		return 0;
	log_warn("%s: %s", cl_link_label(l, lb, sizeof(lb)), what);
	return -1;
}

/* Gives the device our link-local address (-EEXIST: it has it already). */
static void cl_io_addr(struct clusterd *cl, struct cl_link *l, int ifindex)
{
	struct plat_prefix p;
	char lb[64];
	int rc;

	memset(&p, 0, sizeof(p));
	p.ip.family = AF_INET;
	memcpy(p.ip.bytes, &l->local.s_addr, 4);
	p.len = CL_LL_PREFIX;
	rc = cl->pd->addr_add(cl, ifindex, &p);
	if (rc < 0 && rc != -EEXIST)
		log_warnx("%s: cannot add %s/%d: %s", cl_link_label(l, lb, sizeof(lb)),
		          inet_ntoa(l->local), CL_LL_PREFIX, strerror(-rc));
}

/* Opens the socket of l on its device, if the device exists. */
static void cl_io_open(struct clusterd *cl, struct cl_link *l)
{
	struct plat_link pl;
	int fd, zero = 0, ttl = 1, tos = CL_IP_TOS;
	char lb[64];
	uint8_t node = cl->id.node_id;

	cl_io_close(l);
	l->phys_up = false;
	if (!l->ifname[0] || cl->pd->link_get(cl, l->ifname, &pl) < 0)
		return; /* not configured, or no such device yet: the monitor tells when it comes */
	l->local = cl_link_addr(cl->id.cluster_id, cl_link_slot(l), node);
	if (l->kind == CL_LINK_CONTROL)
		inet_pton(AF_INET, l->index ? CL_MCAST_CTL1 : CL_MCAST_CTL0, &l->dst);
	else
		l->dst = cl_link_addr(cl->id.cluster_id, CL_LL_SLOT_FABRIC, node ^ 1);
	cl_io_addr(cl, l, pl.ifindex);

	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	            l->kind == CL_LINK_CONTROL ? CL_PROTO_CONTROL : CL_PROTO_FABRIC);
	if (fd < 0) {
		log_warn("%s: raw socket", cl_link_label(l, lb, sizeof(lb)));
		return;
	}
	if (cl_sockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, l->ifname, (socklen_t)strlen(l->ifname),
	               "SO_BINDTODEVICE", l) < 0 ||
	    cl_sockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl), "IP_TTL", l) < 0 ||
	    cl_sockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos), "IP_TOS", l) < 0)
		goto fail;
	if (l->kind == CL_LINK_CONTROL) {
		struct ip_mreqn mr;
		memset(&mr, 0, sizeof(mr));
		mr.imr_multiaddr = l->dst;
		mr.imr_ifindex = pl.ifindex;
		if (cl_sockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr), "IP_MULTICAST_IF",
		               l) < 0 ||
		    cl_sockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl),
		               "IP_MULTICAST_TTL", l) < 0 ||
		    cl_sockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero),
		               "IP_MULTICAST_LOOP", l) < 0 ||
		    cl_sockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr),
		               "IP_ADD_MEMBERSHIP", l) < 0)
			goto fail;
	}
	l->ev = event_new(cl->d->base, fd, EV_READ | EV_PERSIST, cl_io_read, l);
	if (!l->ev || event_add(l->ev, NULL) < 0) {
		log_warnx("%s: cannot add the read event", cl_link_label(l, lb, sizeof(lb)));
		goto fail;
	}
	l->fd = fd;
	l->ifindex = pl.ifindex;
	l->phys_up = cl_phys_up(&pl);
	log_info("%s: open, %s, source %s", cl_link_label(l, lb, sizeof(lb)),
	         l->phys_up ? "up" : "down", inet_ntoa(l->local));
	return;
fail:
	if (l->ev) {
		event_free(l->ev);
		l->ev = NULL;
	}
	close(fd);
}

/* Tells the engine what the ports can carry. */
static void cl_io_engine_phys(struct clusterd *cl)
{
	uint64_t now = mono_ms();
	struct rg_engine *e = cl->engine;

	for (unsigned i = 0; i < 2; i++) {
		bool up = cl->ctl[i].fd >= 0 && cl->ctl[i].phys_up;
		if (e->ctl_phys_up[i] != up)
			rg_engine_ctl_link_state(e, i, up, now);
	}
	bool fup = cl->fab.fd >= 0 && cl->fab.phys_up;
	if (e->fab_phys_up != fup)
		rg_engine_fabric_state(e, fup, now);
}

/* This node's fabric port: the first member of fab<node-id> that exists (else the first). */
static const char *cl_io_fab_member(struct clusterd *cl)
{
	const struct cl_conf *c = &cl->conf;
	uint8_t node = cl->id.node_id;
	struct plat_link pl;

	for (unsigned i = 0; i < c->n_fab[node]; i++)
		if (cl->pd->link_get(cl, c->fab[node][i], &pl) == 0)
			return c->fab[node][i];
	return c->n_fab[node] ? c->fab[node][0] : "";
}

static void cl_io_want(struct clusterd *cl, struct cl_link *l, const char *want)
{
	if (strcmp(l->ifname, want) == 0 && (l->fd >= 0 || !want[0]))
		return;
	snprintf(l->ifname, sizeof(l->ifname), "%s", want);
	if (want[0])
		cl_io_open(cl, l);
	else
		cl_io_close(l);
}

void cl_io_verify(struct clusterd *cl)
{
	struct cl_link *links[3] = {&cl->ctl[0], &cl->ctl[1], &cl->fab};
	struct plat_link pl;

	if (!cl->enabled)
		return;
	for (unsigned i = 0; i < 3; i++) {
		struct cl_link *l = links[i];
		if (!l->ifname[0])
			continue;
		if (cl->pd->link_get(cl, l->ifname, &pl) < 0) {
			cl_io_close(l);
			l->phys_up = false;
		} else if (l->fd < 0 || pl.ifindex != l->ifindex) {
			cl_io_open(cl, l);
		} else {
			l->phys_up = cl_phys_up(&pl);
		}
	}
	cl_io_engine_phys(cl);
	cl_drain(cl);
}

void cl_io_reconcile(struct clusterd *cl)
{
	if (!cl->enabled)
		return;
	for (unsigned i = 0; i < 2; i++)
		cl_io_want(cl, &cl->ctl[i], cl->conf.ctl_cfg[i] ? cl->conf.ctl_if[i] : "");
	cl_io_want(cl, &cl->fab, cl_io_fab_member(cl));
	cl_io_engine_phys(cl);
}

static bool cl_io_is_fab_member(const struct clusterd *cl, const char *name)
{
	uint8_t node = cl->id.node_id;

	for (unsigned i = 0; i < cl->conf.n_fab[node]; i++)
		if (strcmp(cl->conf.fab[node][i], name) == 0)
			return true;
	return false;
}

void cl_io_link_event(struct clusterd *cl, enum plat_ev ev, const struct plat_link *pl)
{
	struct cl_link *links[3] = {&cl->ctl[0], &cl->ctl[1], &cl->fab};
	char lb[64];

	if (!cl->enabled)
		return;
	for (unsigned i = 0; i < 3; i++) {
		struct cl_link *l = links[i];
		if (!l->ifname[0] || strcmp(l->ifname, pl->name) != 0) {
			/* A fabric member appearing while the fabric has none open. */
			if (l == &cl->fab && l->fd < 0 && ev == PLAT_EV_NEW &&
			    cl_io_is_fab_member(cl, pl->name))
				cl_io_want(cl, l, pl->name);
			continue;
		}
		if (ev == PLAT_EV_DEL) {
			if (l->fd >= 0 && l->ifindex == pl->ifindex) {
				log_warnx("%s: device deleted", cl_link_label(l, lb, sizeof(lb)));
				cl_io_close(l);
			}
			l->phys_up = false;
			continue;
		}
		if (l->fd < 0 || l->ifindex != pl->ifindex) {
			/* New or re-created device: a socket bound to the old one hears nothing. */
			cl_io_open(cl, l);
			continue;
		}
		bool up = cl_phys_up(pl);
		if (up != l->phys_up)
			log_info("%s: %s", cl_link_label(l, lb, sizeof(lb)), up ? "up" : "down");
		l->phys_up = up;
	}
	cl_io_engine_phys(cl);
	cl_drain(cl);
}

/* ------------------------------------------------------------ send */

static void cl_io_send(struct clusterd *cl, struct cl_link *l, struct hb_pkt *pkt)
{
	uint8_t buf[HB_PKT_MAX];
	size_t n;
	enum hb_err err;
	struct sockaddr_in to;
	char lb[64];

	if (l->fd < 0)
		return;
	err = hb_encode(pkt, buf, sizeof(buf), &n);
	if (err == HB_OK)
		err = hb_sign(&cl->auth, buf, n, sizeof(buf), &n);
	if (err != HB_OK) {
		l->st.send_errors++;
		log_warnx("%s: cannot build a heartbeat: %s", cl_link_label(l, lb, sizeof(lb)),
		          hb_err_name(err));
		return;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr = l->dst;
	if (sendto(l->fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		/* ENETDOWN / ENOBUFS while the port is down: counted, not logged each tick. */
		l->st.send_errors++;
		log_debugf(CL_DEBUG_IO, "%s: sendto: %s", cl_link_label(l, lb, sizeof(lb)),
		           strerror(errno));
		return;
	}
	l->st.sent++;
	l->st.last_seq_sent = pkt->seq;
}

static void cl_io_send_all(struct clusterd *cl, uint64_t now_ms)
{
	struct hb_pkt *pkt = calloc(1, sizeof(*pkt));

	if (!pkt)
		return;
	cl->seq++;
	pkt->version = HB_VERSION;
	pkt->cluster_id = cl->id.cluster_id;
	pkt->node_id = cl->id.node_id;
	pkt->seq = cl->seq;
	pkt->send_time_us = mono_us();
	pkt->boot_time_ms = cl->boot_time_ms;
	pkt->echo_session = hb_replay_echo(&cl->replay);
	rg_engine_advertise(cl->engine, now_ms, pkt);
	pkt->type = HB_TYPE_CONTROL;
	for (unsigned i = 0; i < 2; i++) {
		pkt->link = (uint8_t)i;
		cl_io_send(cl, &cl->ctl[i], pkt);
	}
	pkt->type = HB_TYPE_FABRIC;
	pkt->link = 0;
	cl_io_send(cl, &cl->fab, pkt);
	free(pkt);
}

static void cl_io_tick(void *arg)
{
	struct clusterd *cl = arg;
	uint64_t now_us = mono_us();
	uint64_t iv = (uint64_t)cl->conf.hb_interval_ms * 1000u;

	if (now_us > cl->next_tick_us + iv / 2) {
		for (unsigned i = 0; i < 2; i++)
			if (cl->ctl[i].fd >= 0)
				cl->ctl[i].st.slips++;
		if (cl->fab.fd >= 0)
			cl->fab.st.slips++;
		log_debugf(CL_DEBUG_IO, "heartbeat %" PRIu64 " us late", now_us - cl->next_tick_us);
	}
	/* Absolute schedule; after a long stall start afresh instead of sending a burst. */
	cl->next_tick_us += iv;
	if (cl->next_tick_us <= now_us)
		cl->next_tick_us = now_us + iv;
	timer_add_us(&cl->hb_timer, cl->next_tick_us - now_us);

	uint64_t now = now_us / 1000u;
	rg_engine_tick(cl->engine, now);
	cl_drain(cl);
	cl_io_send_all(cl, now);
}

static void cl_io_detect(void *arg)
{
	struct clusterd *cl = arg;

	rg_engine_tick(cl->engine, mono_ms());
	cl_drain(cl);
}

void cl_io_rearm(struct clusterd *cl)
{
	if (!cl->enabled)
		return;
	if (!cl->hb_timer.init) {
		timer_init(&cl->hb_timer, cl->d->base, cl_io_tick, cl);
		timer_init(&cl->detect_timer, cl->d->base, cl_io_detect, cl);
	}
	/* First heartbeat at once, so a commit that changes the interval is visible at once. */
	cl->next_tick_us = mono_us();
	timer_add_us(&cl->hb_timer, 0);
}
