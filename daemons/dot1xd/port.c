/*
 * 802.1X ports: one AF_PACKET socket per port for EtherType 0x888E, bound to the interface,
 * member of the PAE group 01:80:C2:00:00:03 (PACKET_ADD_MEMBERSHIP, like hostapd's wired
 * driver), and, while mac-radius is on, a second one for every frame so that silent hosts'
 * MACs are learned. Frames are decoded (eapol.c) and handed to the supplicant's session:
 *   single, single-secure  the port's one instance, bound to the first MAC heard;
 *   multiple               one instance per MAC, created on its first frame.
 * A port whose interface does not exist yet (or went away) is retried once a second.
 *
 * The EAPOL socket receives through a PACKET_RX_RING (TPACKET_V2, D1X_RING_FRAMES slots of
 * 256 bytes, 1 MiB, no capability beyond CAP_NET_RAW): a burst of Starts from a thousand
 * supplicants overflowed the default socket buffer (about 200 frames), and every frame lost
 * there is a session that waits out a supplicant retransmission. Start, Logoff and the
 * Identity and MD5 Responses fit a slot; a longer frame (TLS fragments) is left truncated in
 * its slot with TP_STATUS_COPY and queued whole on the socket (PACKET_COPY_THRESH), where
 * recv() fetches it. Each wake-up drains the ring; what the kernel still drops (ring full)
 * is read with PACKET_STATISTICS and shown in `show dot1x statistics`. Multiple-mode sessions are
 * found by MAC in a per-port hash.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemons/dot1xd/dot1xd_daemon.h"
#include "lib/crypto.h"
#include "lib/log.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* Sessions per port in multiple mode: bounds what a MAC flood can allocate (about 7 KiB
 * each, see d1x_sess_size()). */
#define D1X_MAX_SESS_PER_PORT 32768
/* Receive ring: a slot holds about 190 bytes of frame behind the tpacket2 header. */
#define D1X_RING_FRAME_SIZE 256
#define D1X_RING_BLOCK_SIZE (64 * 1024)
#define D1X_RING_FRAMES     4096
/* A multiple-mode session with no access and no frame for this long is dropped. */
#define D1X_IDLE_ROUNDS 3

static const uint8_t d1x_group[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x03};

struct d1x_port *d1x_port_find(struct dot1xd *dx, const char *name)
{
	struct d1x_port *pt;

	TAILQ_FOREACH(pt, &dx->ports, entry)
	if (strcmp(pt->c.name, name) == 0)
		return pt;
	return NULL;
}

/* FNV-1a over the MAC, seeded per port so that a MAC flood cannot aim at one chain. */
static uint32_t d1x_mac_hash(const struct d1x_port *pt, const uint8_t mac[6])
{
	uint32_t h = 2166136261u ^ pt->hseed;

	for (int i = 0; i < 6; i++) {
		h ^= mac[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

static void d1x_port_hash_grow(struct d1x_port *pt)
{
	uint32_t nsize = pt->hsize ? pt->hsize * 2 : 64;
	struct d1x_sess **nt = calloc(nsize, sizeof(*nt));

	if (!nt)
		return; /* longer chains, still correct */
	for (uint32_t i = 0; i < pt->hsize; i++) {
		struct d1x_sess *s = pt->htab[i], *next;

		for (; s; s = next) {
			uint32_t b = d1x_mac_hash(pt, s->mac) & (nsize - 1);

			next = s->hnext;
			s->hnext = nt[b];
			nt[b] = s;
		}
	}
	free(pt->htab);
	pt->htab = nt;
	pt->hsize = nsize;
}

void d1x_port_hash_add(struct d1x_port *pt, struct d1x_sess *s)
{
	uint32_t b;

	if (!s->has_mac)
		return;
	if (pt->nsess >= pt->hsize)
		d1x_port_hash_grow(pt);
	if (!pt->hsize)
		return;
	b = d1x_mac_hash(pt, s->mac) & (pt->hsize - 1);
	s->hnext = pt->htab[b];
	pt->htab[b] = s;
}

void d1x_port_hash_del(struct d1x_port *pt, struct d1x_sess *s)
{
	struct d1x_sess **pp;

	if (!s->has_mac || !pt->hsize)
		return;
	for (pp = &pt->htab[d1x_mac_hash(pt, s->mac) & (pt->hsize - 1)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			s->hnext = NULL;
			return;
		}
	}
}

struct d1x_sess *d1x_sess_find(struct d1x_port *pt, const uint8_t mac[6])
{
	struct d1x_sess *s;

	if (!pt->hsize)
		return NULL;
	for (s = pt->htab[d1x_mac_hash(pt, mac) & (pt->hsize - 1)]; s; s = s->hnext)
		if (memcmp(s->mac, mac, 6) == 0)
			return s;
	return NULL;
}

uint64_t d1x_port_kernel_drops(struct d1x_port *pt)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	/* PACKET_STATISTICS returns the counts since the last read and resets them. */
	if (pt->fd >= 0 && getsockopt(pt->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		pt->rx_kernel_drops += st.tp_drops;
	return pt->rx_kernel_drops;
}

/* Link state and MAC of the interface; false when it does not exist. */
static bool d1x_port_probe(struct d1x_port *pt, bool *up)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok = false;

	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", pt->c.name);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) == 0) {
		pt->ifindex = ifr.ifr_ifindex;
		if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
			memcpy(pt->mac, ifr.ifr_hwaddr.sa_data, 6);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
			*up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
			ok = true;
		}
	}
	close(fd);
	return ok;
}

static int d1x_packet_socket(struct d1x_port *pt, uint16_t proto)
{
	struct sockaddr_ll sll;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(proto));

	if (fd < 0) {
		log_warn("dot1x %s: socket(AF_PACKET)", pt->c.name);
		return -1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(proto);
	sll.sll_ifindex = pt->ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		log_warn("dot1x %s: bind(AF_PACKET)", pt->c.name);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * PACKET_RX_RING, TPACKET_V2: one wake-up per frame burst, no copy per frame, and room for
 * D1X_RING_FRAMES frames where the default receive buffer held a couple of hundred.
 * V2 rather than V3: a V3 block is handed over when full or at its retire timeout, which
 * would add that timeout to every lone EAPOL exchange.
 */
static void d1x_port_ring(struct d1x_port *pt)
{
	struct tpacket_req req;
	int v = TPACKET_V2, one = 1;
	void *m;

	memset(&req, 0, sizeof(req));
	req.tp_block_size = D1X_RING_BLOCK_SIZE;
	req.tp_frame_size = D1X_RING_FRAME_SIZE;
	req.tp_block_nr = D1X_RING_FRAMES / (D1X_RING_BLOCK_SIZE / D1X_RING_FRAME_SIZE);
	req.tp_frame_nr = D1X_RING_FRAMES;
	if (setsockopt(pt->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0 ||
	    setsockopt(pt->fd, SOL_PACKET, PACKET_COPY_THRESH, &one, sizeof(one)) < 0 ||
	    setsockopt(pt->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
		log_warn("dot1x %s: PACKET_RX_RING, receiving with recv()", pt->c.name);
		return;
	}
	m = mmap(NULL, (size_t)req.tp_block_size * req.tp_block_nr, PROT_READ | PROT_WRITE,
	         MAP_SHARED, pt->fd, 0);
	if (m == MAP_FAILED) {
		log_warn("dot1x %s: mmap(PACKET_RX_RING), receiving with recv()", pt->c.name);
		return;
	}
	pt->ring = m;
	pt->ring_len = (size_t)req.tp_block_size * req.tp_block_nr;
	pt->ring_frames = req.tp_frame_nr;
	pt->ring_next = 0;
}

static void d1x_port_close(struct d1x_port *pt)
{
	if (pt->ring) {
		d1x_port_kernel_drops(pt);
		munmap(pt->ring, pt->ring_len);
	}
	pt->ring = NULL;
	pt->ring_len = 0;
	if (pt->ev)
		event_free(pt->ev);
	if (pt->ev_mab)
		event_free(pt->ev_mab);
	if (pt->ev_lldp)
		event_free(pt->ev_lldp);
	pt->ev = pt->ev_mab = pt->ev_lldp = NULL;
	if (pt->fd >= 0)
		close(pt->fd);
	if (pt->fd_mab >= 0)
		close(pt->fd_mab);
	if (pt->fd_lldp >= 0)
		close(pt->fd_lldp);
	pt->fd = pt->fd_mab = pt->fd_lldp = -1;
}

/* The session a frame from `src` belongs to (NULL: not one we serve). */
static struct d1x_sess *d1x_port_sess_for(struct d1x_port *pt, const uint8_t src[6])
{
	struct d1x_sess *s;

	if (pt->c.mode == D1X_MODE_MULTIPLE) {
		s = d1x_sess_find(pt, src);
		if (s)
			return s;
		if (pt->nsess >= D1X_MAX_SESS_PER_PORT) {
			pt->rx_ignored++;
			pt->rx_sess_limit++;
			return NULL;
		}
		return d1x_sess_new(pt, src, false);
	}
	s = pt->psess;
	if (!s)
		return NULL;
	if (!s->has_mac || memcmp(s->mac, src, 6) == 0) {
		d1x_sess_bind(s, src);
		return s;
	}
	/* Another host on a single-supplicant port: it takes over only an idle port. */
	if (!d1x_sess_authorized(s) && s->pae.pae_sm.state != PAE_STATE_AUTHENTICATING &&
	    s->pae.pae_sm.state != PAE_STATE_HELD) {
		d1x_sess_bind(s, src);
		return s;
	}
	pt->rx_ignored++;
	return NULL;
}

static void d1x_port_frame(struct d1x_port *pt, const uint8_t *buf, size_t len)
{
	struct eapol_frame f;
	struct d1x_sess *s;
	enum eapol_err e = eapol_frame_decode(buf, len, &f);

	if (e == EAPOL_ERR_IGNORED) {
		pt->rx_ignored++;
		return;
	}
	if (e != EAPOL_OK) {
		if (e == EAPOL_ERR_BODY_LEN)
			pt->rx_len_error++;
		pt->rx_invalid++;
		return;
	}
	/* 802.1X-2010 §11.1.1: the PAE group addresses or our own MAC. */
	if (!f.pae_group && memcmp(f.dst, pt->mac, 6) != 0) {
		pt->rx_ignored++;
		return;
	}
	if (pt->c.mac_radius && pt->c.mac_restrict) {
		/* mac-radius restrict: 802.1X is not offered on this port. */
		pt->rx_ignored++;
		return;
	}
	s = d1x_port_sess_for(pt, f.src);
	if (!s)
		return;
	s->last_seen_ms = mono_ms();
	if (s->block_until_ms && mono_ms() < s->block_until_ms) {
		/* server-reject-vlan eapol-block: the rejected host stays where it is. */
		pt->rx_ignored++;
		return;
	}
	switch (f.pkt.type) {
	case EAPOL_TYPE_START:
		pae_rx_start(&s->pae);
		break;
	case EAPOL_TYPE_LOGOFF:
		s->pae.logoff_removes = d1x_sess_logoff_removes(s);
		pae_rx_logoff(&s->pae);
		break;
	case EAPOL_TYPE_EAP:
		pae_rx_eap(&s->pae, f.pkt.body, f.pkt.body_len);
		break;
	default:
		break;
	}
	d1x_sess_after(s);
	if (s->gone)
		d1x_sess_free(s, RADIUS_TERM_USER_REQUEST);
}

/* Frames the ring could not hold whole (TP_STATUS_COPY) and rings we could not set up. */
static void d1x_port_recv(struct d1x_port *pt, int fd, int max)
{
	uint8_t buf[2048];

	for (int i = 0; i < max; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("dot1x %s: recv", pt->c.name);
			return;
		}
		d1x_port_frame(pt, buf, (size_t)n);
	}
}

static void d1x_port_read(evutil_socket_t fd, short what, void *arg)
{
	struct d1x_port *pt = arg;
	bool copied = false;

	(void)what;
	if (!pt->ring) {
		d1x_port_recv(pt, fd, 64);
		return;
	}
	/* Drain the whole ring (at most one lap): what is left would be dropped next burst. */
	for (uint32_t i = 0; i < pt->ring_frames; i++) {
		struct tpacket2_hdr *h =
		        (struct tpacket2_hdr *)(pt->ring +
		                                (size_t)pt->ring_next * D1X_RING_FRAME_SIZE);
		uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);

		if (!(st & TP_STATUS_USER))
			break;
		if (st & TP_STATUS_COPY)
			copied = true; /* truncated here, whole on the socket queue */
		else if (h->tp_snaplen < h->tp_len)
			pt->rx_kernel_drops++; /* too long for a slot and no room for the copy */
		else if (h->tp_mac + h->tp_snaplen <= D1X_RING_FRAME_SIZE)
			d1x_port_frame(pt, (const uint8_t *)h + h->tp_mac, h->tp_snaplen);
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		pt->ring_next = (pt->ring_next + 1) % pt->ring_frames;
	}
	if (copied)
		d1x_port_recv(pt, fd, 64);
}

/* The session of a host heard in a non-EAPOL frame: a new one in multiple mode, the port's
 * own in single modes while it has no host or has this one; NULL otherwise. */
static struct d1x_sess *d1x_port_host(struct d1x_port *pt, const uint8_t src[6])
{
	struct d1x_sess *s;

	if (pt->c.mode == D1X_MODE_MULTIPLE) {
		s = d1x_sess_find(pt, src);
		if (!s && pt->nsess < D1X_MAX_SESS_PER_PORT)
			s = d1x_sess_new(pt, src, false);
		return s;
	}
	s = pt->psess;
	if (s && !s->has_mac)
		d1x_sess_bind(s, src);
	else if (s && memcmp(s->mac, src, 6) != 0)
		s = NULL;
	return s;
}

/* MAC learning for MAC RADIUS: the source of any non-EAPOL frame. */
static void d1x_port_read_mab(evutil_socket_t fd, short what, void *arg)
{
	struct d1x_port *pt = arg;
	uint8_t buf[64];

	(void)what;
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		struct d1x_sess *s;
		const uint8_t *src = buf + 6;

		if (n < 0)
			return;
		if (n < 14 || (src[0] & 1) || memcmp(src, pt->mac, 6) == 0 ||
		    (buf[12] == 0x88 && buf[13] == 0x8e))
			continue;
		s = d1x_port_host(pt, src);
		if (!s)
			continue;
		s->last_seen_ms = mono_ms();
		/* restrict (or mac-radius first): no 802.1X round before MAC RADIUS. */
		if (pt->c.mac_radius && (pt->c.mac_restrict || pt->c.mac_first) && !s->mab_req &&
		    !d1x_sess_authorized(s) &&
		    (!s->mab_tried ||
		     mono_ms() - s->mab_at_ms >= (uint64_t)pt->c.t.quiet_period * 1000))
			d1x_sess_mab_start(s);
	}
}

/* Receives a group address on the port's packet socket fd (PACKET_ADD_MEMBERSHIP). */
static void d1x_port_join(struct d1x_port *pt, int fd, const uint8_t group[6])
{
	struct packet_mreq mr;

	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = pt->ifindex;
	mr.mr_type = PACKET_MR_MULTICAST;
	mr.mr_alen = 6;
	memcpy(mr.mr_address, group, 6);
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
		log_warn("dot1x %s: PACKET_ADD_MEMBERSHIP %02x:%02x:%02x:%02x:%02x:%02x",
		         pt->c.name, group[0], group[1], group[2], group[3], group[4], group[5]);
}

/* lldp-med-bypass: LLDPDUs from LLDP-MED endpoints admit their source. */
static void d1x_port_read_lldp(evutil_socket_t fd, short what, void *arg)
{
	struct d1x_port *pt = arg;
	uint8_t buf[1600];

	(void)what;
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct lldp_info l;
		struct d1x_sess *s;
		enum lldp_err e;

		if (n < 0)
			return;
		e = lldp_frame_decode(buf, (size_t)n, &l);
		if (e != LLDP_OK) {
			pt->rx_invalid++;
			log_debugf(D1X_DEBUG_PACKET, "dot1x %s: LLDP frame dropped: %s", pt->c.name,
			           lldp_err_name(e));
			continue;
		}
		if (!lldp_med_endpoint(&l) || memcmp(l.src, pt->mac, 6) == 0) {
			pt->rx_ignored++;
			continue;
		}
		s = d1x_port_host(pt, l.src);
		if (!s) {
			pt->rx_ignored++;
			continue;
		}
		s->last_seen_ms = mono_ms();
		d1x_sess_lldp_med(s, l.ttl);
	}
}

static void d1x_port_open_lldp(struct d1x_port *pt)
{
	static const uint8_t lldp_group[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e};
	int one = 1;

	pt->fd_lldp = d1x_packet_socket(pt, ETH_P_LLDP);
	if (pt->fd_lldp < 0)
		return;
	setsockopt(pt->fd_lldp, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	d1x_port_join(pt, pt->fd_lldp, lldp_group);
	pt->ev_lldp =
	        event_new(pt->dx->base, pt->fd_lldp, EV_READ | EV_PERSIST, d1x_port_read_lldp, pt);
	event_add(pt->ev_lldp, NULL);
}

/* Static bypass entries that may apply here need the hosts' MACs learned too. */
static bool d1x_port_has_statics(const struct d1x_port *pt)
{
	const struct d1x_conf *c = &pt->dx->conf;

	for (size_t i = 0; i < c->n_statics; i++)
		if (!c->statics[i].ifname[0] || strcmp(c->statics[i].ifname, pt->c.name) == 0)
			return true;
	return false;
}

static void d1x_port_open(struct d1x_port *pt)
{
	bool up = false;

	if (pt->fd >= 0 || !d1x_port_probe(pt, &up))
		return;
	pt->fd = d1x_packet_socket(pt, ETH_P_PAE);
	if (pt->fd < 0)
		return;
	d1x_port_ring(pt);
	d1x_port_join(pt, pt->fd, d1x_group);
	pt->ev = event_new(pt->dx->base, pt->fd, EV_READ | EV_PERSIST, d1x_port_read, pt);
	event_add(pt->ev, NULL);
	if (pt->c.mac_radius || d1x_port_has_statics(pt)) {
		int one = 1;

		pt->fd_mab = d1x_packet_socket(pt, ETH_P_ALL);
		if (pt->fd_mab >= 0) {
			setsockopt(pt->fd_mab, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
			           sizeof(one));
			pt->ev_mab = event_new(pt->dx->base, pt->fd_mab, EV_READ | EV_PERSIST,
			                       d1x_port_read_mab, pt);
			event_add(pt->ev_mab, NULL);
		}
	}
	if (pt->c.lldp_med_bypass)
		d1x_port_open_lldp(pt);
	log_info("dot1x %s: 802.1X on ifindex %d (%s)", pt->c.name, pt->ifindex,
	         d1x_mode_name(pt->c.mode));
}

int d1x_port_send_eap(struct d1x_port *pt, const uint8_t dst[6], const uint8_t *eap, size_t len)
{
	uint8_t frame[PAE_EAP_MAX + 64];
	size_t n;

	if (pt->fd < 0)
		return -1;
	if (eapol_frame_encode(dst, pt->mac, EAPOL_VERSION, EAPOL_TYPE_EAP, eap, len, frame,
	                       sizeof(frame), &n) != EAPOL_OK) {
		pt->tx_errors++;
		return -1;
	}
	if (send(pt->fd, frame, n, 0) < 0) {
		pt->tx_errors++;
		log_debugf(D1X_DEBUG_PACKET, "dot1x %s: send: %s", pt->c.name, strerror(errno));
		return -1;
	}
	return 0;
}

static void d1x_port_sessions_reset(struct d1x_port *pt, uint32_t cause)
{
	struct d1x_sess *s, *t;

	TAILQ_FOREACH_SAFE(s, &pt->sessions, entry, t)
	d1x_sess_free(s, cause);
	pt->psess = NULL;
	if (pt->dx->enf)
		d1x_enforce_set(pt->dx->enf, pt->c.name, NULL, 1, "");
	/* The port's own instance: group Request/Identity, bound to a MAC in single modes. */
	pt->psess = d1x_sess_new(pt, NULL, true);
}

/* How long a flap-on-disconnect keeps the link down: long enough for a host's NIC to see
 * the carrier go and start over (DHCP, 802.1X), short enough to be a flap. */
#define D1X_FLAP_MS 1000

static void d1x_port_flap_done(void *arg)
{
	struct d1x_port *pt = arg;
	int rc = pt->dx->plat ? plat_link_set_admin(pt->dx->plat, pt->ifindex, true) : 0;

	if (rc < 0)
		log_warn("dot1x %s: flap-on-disconnect: cannot bring the link up again: %s %s",
		         pt->c.name, strerror(-rc), plat_errmsg(pt->dx->plat));
}

/* mac-radius flap-on-disconnect (Junos): a Disconnect-Request for a host of the port bounces
 * the link, so every host on it starts over and sees the carrier go (and renews its address
 * in whatever VLAN it is put in next). */
void d1x_port_flap(struct d1x_port *pt)
{
	int rc;

	log_info("dot1x %s: flap on disconnect: link down for %d ms", pt->c.name, D1X_FLAP_MS);
	pt->flaps++;
	d1x_port_sessions_reset(pt, RADIUS_TERM_ADMIN_RESET);
	rc = pt->dx->plat ? plat_link_set_admin(pt->dx->plat, pt->ifindex, false) : -ENOTSUP;
	if (rc < 0) {
		log_warn("dot1x %s: flap-on-disconnect: cannot take the link down: %s %s",
		         pt->c.name, strerror(-rc), pt->dx->plat ? plat_errmsg(pt->dx->plat) : "");
		return;
	}
	timer_add_ms(&pt->flap, D1X_FLAP_MS);
}

struct d1x_port *d1x_port_add(struct dot1xd *dx, const struct d1x_if_conf *c)
{
	struct d1x_port *pt = calloc(1, sizeof(*pt));

	if (!pt)
		return NULL;
	pt->dx = dx;
	pt->c = *c;
	pt->fd = pt->fd_mab = pt->fd_lldp = -1;
	TAILQ_INIT(&pt->sessions);
	timer_init(&pt->flap, dx->base, d1x_port_flap_done, pt);
	crypto_random(&pt->hseed, sizeof(pt->hseed));
	TAILQ_INSERT_TAIL(&dx->ports, pt, entry);
	d1x_port_probe(pt, &pt->up);
	d1x_port_open(pt);
	d1x_port_sessions_reset(pt, RADIUS_TERM_PORT_REINIT);
	return pt;
}

void d1x_port_update(struct d1x_port *pt, const struct d1x_if_conf *c)
{
	bool restart = pt->c.mode != c->mode || pt->c.mac_radius != c->mac_radius ||
	               pt->c.lldp_med_bypass != c->lldp_med_bypass ||
	               (pt->fd_mab >= 0) != (c->mac_radius || d1x_port_has_statics(pt));
	struct d1x_sess *s;

	if (!restart && memcmp(&pt->c, c, sizeof(*c)) == 0)
		return;
	pt->c = *c;
	if (restart) {
		/* Another supplicant mode or MAC learning: sessions start over. */
		d1x_port_close(pt);
		d1x_port_open(pt);
		d1x_port_sessions_reset(pt, RADIUS_TERM_PORT_REINIT);
		return;
	}
	/* New timers reach running sessions without a flap (a RADIUS Session-Timeout set on an
	 * authorized session keeps its period until the next Accept). */
	TAILQ_FOREACH(s, &pt->sessions, entry)
	{
		uint32_t reauth = s->pae.t.reauth_period;
		bool en = s->pae.t.reauth_enabled;

		s->pae.t = c->t;
		if (s->pae.authorized && s->method == D1X_METHOD_RADIUS) {
			s->pae.t.reauth_period = reauth;
			s->pae.t.reauth_enabled = en;
		}
	}
}

void d1x_port_del(struct d1x_port *pt)
{
	struct dot1xd *dx = pt->dx;
	struct d1x_sess *s, *t;

	/* A port deleted mid-flap is left up: it is no longer ours to keep down. */
	if (timer_pending(&pt->flap)) {
		timer_del(&pt->flap);
		d1x_port_flap_done(pt);
	}
	TAILQ_FOREACH_SAFE(s, &pt->sessions, entry, t)
	d1x_sess_free(s, RADIUS_TERM_ADMIN_RESET);
	if (dx->enf)
		d1x_enforce_set(dx->enf, pt->c.name, NULL, 0, "");
	d1x_port_close(pt);
	TAILQ_REMOVE(&dx->ports, pt, entry);
	free(pt->htab);
	free(pt);
}

/* `clear dot1x interface`: every session of the port starts over. */
void d1x_port_clear(struct d1x_port *pt)
{
	d1x_port_sessions_reset(pt, RADIUS_TERM_ADMIN_RESET);
}

void d1x_port_tick(struct d1x_port *pt, uint64_t now_ms)
{
	struct d1x_sess *s, *t;
	bool up = false;
	bool exists = d1x_port_probe(pt, &up);

	if (!exists && pt->fd >= 0) {
		log_info("dot1x %s: interface gone", pt->c.name);
		d1x_port_close(pt);
	} else if (exists && pt->fd < 0) {
		d1x_port_open(pt);
	}
	if (up != pt->up) {
		log_info("dot1x %s: link %s", pt->c.name, up ? "up" : "down");
		pt->up = up;
		TAILQ_FOREACH(s, &pt->sessions, entry)
		{
			if (!s->hold_until_ms)
				pae_set_port_enabled(&s->pae, up);
			if (!up) {
				/* portEnabled FALSE ends every policy access too (Lost-Carrier). */
				s->overlay = false;
				s->method = D1X_METHOD_NONE;
			}
			d1x_sess_after(s);
		}
	}
	TAILQ_FOREACH_SAFE(s, &pt->sessions, entry, t)
	{
		uint64_t idle =
		        (uint64_t)pt->c.t.tx_period * pt->c.t.max_req * 1000 * D1X_IDLE_ROUNDS;

		if (!s->port_sess && !d1x_sess_authorized(s) && !s->mab_req && !s->req &&
		    now_ms - s->last_seen_ms > idle) {
			d1x_sess_free(s, RADIUS_TERM_LOST_CARRIER);
			continue;
		}
		d1x_sess_tick(s, now_ms);
		if (s->gone)
			d1x_sess_free(s, RADIUS_TERM_USER_REQUEST);
	}
	d1x_port_kernel_drops(pt);
}
