/*
 * bfdd's control socket (lib/proto/bfdd.proto): show / clear for the CLI, session.add /
 * session.delete for client daemons (ribd's static routes, clusterd), and the
 * "bfd.session" event on every state change. A client's claims go away with its
 * connection (ctl_server_on_close), so a crashed client leaves no session behind.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/bfdd/bfdd_daemon.h"
#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/proto/bfdd.pb-c.h"

#define BFDD_PAGE 200 /* sessions per reply part: well under CTL_MAX_FRAME */

/* Storage for one Session message. */
struct bfdd_smsg {
	Keel__Bfdd__Session m;
	Keel__Bfdd__SessionKey k;
	char peer[INET6_ADDRSTRLEN], local[INET6_ADDRSTRLEN];
	char *clients[16];
	Keel__Bfdd__DropCount drop[BFD_DROP_COUNT];
	Keel__Bfdd__DropCount *dropp[BFD_DROP_COUNT];
};

static void bfdd_smsg_fill(const struct bfdd_sess *x, struct bfdd_smsg *o, uint8_t from)
{
	const struct bfd_session *s = &x->s;
	size_t n = 0;

	keel__bfdd__session__init(&o->m);
	keel__bfdd__session_key__init(&o->k);
	o->k.peer = (char *)bfdd_ip_str(&x->key.peer, o->peer, sizeof(o->peer));
	o->k.local_address = (char *)bfdd_ip_str(&x->key.local, o->local, sizeof(o->local));
	o->k.interface = (char *)x->key.ifname;
	o->k.multihop = x->key.multihop;
	o->m.key = &o->k;
	o->m.local_discriminator = s->local_disc;
	o->m.remote_discriminator = s->remote_disc;
	o->m.state = (char *)bfd_state_name(bfd_session_state(s));
	o->m.remote_state = (char *)bfd_state_name((enum bfd_state)s->remote_state);
	o->m.local_diagnostic = (char *)bfd_diag_name((enum bfd_diag)s->local_diag);
	o->m.remote_diagnostic = (char *)bfd_diag_name((enum bfd_diag)s->remote_diag);
	o->m.from_state = (char *)bfd_state_name((enum bfd_state)from);
	o->m.detection_time_us = (s->flags & BFD_SF_RX_SEEN) ? bfd_session_detect_time(s) : 0;
	o->m.transmit_interval_us = bfd_session_tx_interval(s);
	o->m.receive_interval_us =
	        s->remote_min_tx > s->act_rx ? s->remote_min_tx : s->act_rx; /* §6.8.4 */
	o->m.multiplier = s->detect_mult;
	o->m.remote_multiplier = s->remote_mult;
	o->m.desired_min_tx_us = s->adv_tx;
	o->m.required_min_rx_us = s->adv_rx;
	o->m.remote_min_tx_us = s->remote_min_tx;
	o->m.remote_min_rx_us = s->remote_min_rx;
	o->m.configured_min_tx_us = s->cfg_tx;
	o->m.configured_min_rx_us = s->cfg_rx;
	for (const struct bfdd_client *c = x->clients; c && n < 16; c = c->next)
		o->clients[n++] = (char *)c->name;
	o->m.clients = o->clients;
	o->m.n_clients = n;
	if (x->auth) {
		o->m.authentication = (char *)bfd_auth_type_name((enum bfd_auth_type)x->auth->type);
		o->m.auth_key_id = x->auth->keys[x->auth->tx_key].id;
	}
	o->m.last_change_ms = x->last_change_ms;
	o->m.up_since_ms = x->up_since_ms;
	o->m.up_transitions = x->up_transitions;
	o->m.failure_transitions = x->fail_transitions;
	o->m.packets_sent = x->tx;
	o->m.packets_received = x->rx;
	o->m.packets_dropped = x->dropped;
	n = 0;
	for (int d = 1; d < BFD_DROP_COUNT; d++) {
		if (!x->drops[d])
			continue;
		keel__bfdd__drop_count__init(&o->drop[n]);
		o->drop[n].reason = (char *)bfd_drop_name((enum bfd_drop)d);
		o->drop[n].count = x->drops[d];
		o->dropp[n] = &o->drop[n];
		n++;
	}
	o->m.drops = o->dropp;
	o->m.n_drops = n;
	o->m.poll_active = (s->flags & BFD_SF_POLL) != 0;
	o->m.minimum_ttl = x->key.multihop ? (x->eff.min_ttl ? x->eff.min_ttl : 1) : 255;
	o->m.source_port = x->sport;
	o->m.tx_interval_changes = x->tx_interval_changes;
	o->m.echo_active = bfd_session_echo_armed(s);
	o->m.echo_probing = (s->flags & BFD_SF_ECHO) && !bfd_session_echo_armed(s);
	o->m.echo_holddown_us = bfd_session_echo_holddown(s);
	o->m.echo_failures = s->echo_fails;
	o->m.echo_interval_us = x->eff.echo_us;
	o->m.echo_tx_interval_us = bfd_session_echo_interval(s);
	o->m.echo_detection_time_us = (uint64_t)s->detect_mult * bfd_session_echo_interval(s);
	o->m.required_min_echo_rx_us = s->cfg_echo_rx;
	o->m.remote_min_echo_rx_us = s->remote_min_echo_rx;
	o->m.echo_packets_sent = x->echo_tx;
	o->m.echo_packets_received = x->echo_rx;
	o->m.echo_rtt_us = x->echo_rtt_us;
	o->m.transmit_threshold_us = x->eff.tx_thresh_us;
	o->m.detection_threshold_us = x->eff.dt_thresh_us;
	o->m.transmit_threshold_exceeded = (x->thresh & BFDD_THRESH_TX) != 0;
	o->m.detection_threshold_exceeded = (x->thresh & BFDD_THRESH_DETECT) != 0;
	o->m.transmit_threshold_events = x->tx_thresh_events;
	o->m.detection_threshold_events = x->dt_thresh_events;
	o->m.deleting = x->dying;
	o->m.batched = x->raw != 0;
}

static bool bfdd_addr_match(const struct bfdd_sess *x, const char *addr)
{
	struct bfdd_ip ip;

	if (!addr || !*addr)
		return true;
	return bfdd_ip_parse(addr, &ip) == 0 && bfdd_ip_eq(&ip, &x->key.peer);
}

static Keel__Bfdd__ShowSessions *bfdd_show_req(struct ctl_req *req)
{
	Keel__Bfdd__ShowSessions *q;

	if (!req->payload_len)
		return NULL;
	q = keel__bfdd__show_sessions__unpack(NULL, req->payload_len, req->payload);
	if (!q)
		ctl_error(req, CTL_ERR_INVALID, "bad ShowSessions request");
	return q;
}

static void bfdd_show_sessions(struct ctl_req *req, void *arg)
{
	struct bfdd *b = ((struct daemon *)arg)->priv;
	Keel__Bfdd__ShowSessions *q = bfdd_show_req(req);
	Keel__Bfdd__SessionPage page = KEEL__BFDD__SESSION_PAGE__INIT;
	Keel__Bfdd__Summary sum = KEEL__BFDD__SUMMARY__INIT;
	Keel__Bfdd__DropCount drop[BFD_DROP_COUNT], *dropp[BFD_DROP_COUNT];
	struct bfdd_smsg *msgs = calloc(BFDD_PAGE, sizeof(*msgs));
	Keel__Bfdd__Session **ptrs = calloc(BFDD_PAGE, sizeof(*ptrs));
	const char *addr = q ? q->address : NULL;
	double txr = 0, rxr = 0;
	unsigned clients = 0, nsess = 0;
	size_t n = 0;

	if (req->payload_len && !q)
		goto out;
	if (!msgs || !ptrs) {
		ctl_error(req, CTL_ERR_FAILED, "out of memory");
		goto out;
	}
	for (struct bfdd_sess *x = b->head; x; x = x->next) {
		if (!bfdd_addr_match(x, addr))
			continue;
		nsess++;
		clients += bfdd_sess_n_clients(x);
		/* Rates as Junos sums them: what every session sends and expects per second. */
		if (x->s.tx_at_us)
			txr += 1e6 / bfd_session_tx_interval(&x->s);
		if (x->s.flags & BFD_SF_RX_SEEN && x->s.remote_mult) {
			uint32_t r =
			        x->s.remote_min_tx > x->s.act_rx ? x->s.remote_min_tx : x->s.act_rx;
			if (r)
				rxr += 1e6 / r;
		}
		bfdd_smsg_fill(x, &msgs[n], (uint8_t)bfd_session_state(&x->s));
		ptrs[n] = &msgs[n].m;
		n++;
		if (n == BFDD_PAGE) {
			page.sessions = ptrs;
			page.n_sessions = n;
			if (ctl_reply(req, &page.base) < 0)
				goto out;
			n = 0;
		}
	}
	sum.sessions = nsess;
	sum.clients = clients;
	sum.transmit_pps = txr;
	sum.receive_pps = rxr;
	sum.n_drops = 0;
	for (int d = 1; d < BFD_DROP_COUNT; d++) {
		if (!b->drops[d])
			continue;
		keel__bfdd__drop_count__init(&drop[sum.n_drops]);
		drop[sum.n_drops].reason = (char *)bfd_drop_name((enum bfd_drop)d);
		drop[sum.n_drops].count = b->drops[d];
		dropp[sum.n_drops] = &drop[sum.n_drops];
		sum.n_drops++;
	}
	sum.drops = dropp;
	sum.packets_received = b->rx_packets;
	sum.rx_batches = b->rx_batches;
	sum.timer_runs = b->timer_runs;
	sum.timer_late_max_us = b->wheel.late_max_us;
	sum.late_wakeups = b->late_wakeups;
	sum.echo_packets_received = b->echo_rx_packets;
	sum.echo_packets_foreign = b->echo_foreign;
	sum.tx_batches = b->tx_batches;
	page.sessions = ptrs;
	page.n_sessions = n;
	page.summary = &sum;
	ctl_reply(req, &page.base);
	ctl_end(req);
out:
	free(msgs);
	free(ptrs);
	if (q)
		keel__bfdd__show_sessions__free_unpacked(q, NULL);
}

static void bfdd_clear_sessions(struct ctl_req *req, void *arg)
{
	struct bfdd *b = ((struct daemon *)arg)->priv;
	Keel__Bfdd__ShowSessions *q = bfdd_show_req(req);
	Keel__Bfdd__ClearReply r = KEEL__BFDD__CLEAR_REPLY__INIT;

	if (req->payload_len && !q)
		return;
	for (struct bfdd_sess *x = b->head; x; x = x->next)
		if (bfdd_addr_match(x, q ? q->address : NULL)) {
			bfdd_sess_clear(x);
			r.cleared++;
		}
	bfdd_arm(b);
	if (q)
		keel__bfdd__show_sessions__free_unpacked(q, NULL);
	ctl_reply(req, &r.base);
	ctl_end(req);
}

/* SessionRequest -> key + parameters; -1 with an error answered. */
static int bfdd_req_parse(struct ctl_req *req, struct bfdd *b, Keel__Bfdd__SessionRequest **out,
                          struct bfdd_key *k, struct bfdd_params *p)
{
	Keel__Bfdd__SessionRequest *q =
	        keel__bfdd__session_request__unpack(NULL, req->payload_len, req->payload);
	const char *why = NULL;

	*out = q;
	memset(k, 0, sizeof(*k));
	memset(p, 0, sizeof(*p));
	if (!q || !q->key) {
		ctl_error(req, CTL_ERR_INVALID, "bad SessionRequest");
		return -1;
	}
	if (!q->client || !*q->client || strlen(q->client) >= BFDD_NAME_MAX ||
	    strcmp(q->client, BFDD_CLIENT_CONFIG) == 0)
		why = "client: a name other than \"config\" is required";
	else if (bfdd_ip_parse(q->key->peer, &k->peer) < 0)
		why = "peer: not an IP address";
	else if (q->key->local_address && *q->key->local_address &&
	         (bfdd_ip_parse(q->key->local_address, &k->local) < 0 || k->local.af != k->peer.af))
		why = "local-address: not an address of the peer's family";
	else if (q->key->interface && strlen(q->key->interface) >= sizeof(k->ifname))
		why = "interface: name too long";
	else if (q->key->multihop && q->key->interface && *q->key->interface)
		why = "a multihop session is not bound to an interface";
	else if (q->key->multihop && !k->local.af)
		why = "a multihop session needs local-address";
	if (why) {
		ctl_error(req, CTL_ERR_INVALID, "%s", why);
		return -1;
	}
	if (q->key->interface)
		memcpy(k->ifname, q->key->interface, strlen(q->key->interface) + 1);
	k->multihop = q->key->multihop;
	p->tx_us = (q->min_tx_ms ? q->min_tx_ms : q->minimum_interval_ms) * 1000u;
	p->rx_us = (q->min_rx_ms ? q->min_rx_ms : q->minimum_interval_ms) * 1000u;
	p->mult = (uint8_t)(q->multiplier ? q->multiplier : BFD_DETECT_MULT_DEF);
	p->min_ttl = (uint8_t)(q->minimum_ttl ? (q->minimum_ttl > 255 ? 255 : q->minimum_ttl)
	                                      : BFDD_MH_MIN_TTL_DEF);
	if ((q->minimum_interval_ms == 0 && (!q->min_tx_ms || !q->min_rx_ms)) ||
	    q->minimum_interval_ms > 255000 || q->min_tx_ms > 255000 || q->min_rx_ms > 255000 ||
	    q->multiplier > 255 || q->echo_interval_ms > 255000 ||
	    q->transmit_threshold_ms > 4294967 || q->detection_threshold_ms > 4294967) {
		ctl_error(req, CTL_ERR_INVALID, "intervals 1..255000 ms and multiplier 1..255");
		return -1;
	}
	if (q->echo_interval_ms && k->multihop) {
		ctl_error(req, CTL_ERR_INVALID,
		          "echo: single-hop sessions only (RFC 5883 section 3)");
		return -1;
	}
	p->echo_us = q->echo_interval_ms * 1000u;
	p->tx_thresh_us = q->transmit_threshold_ms * 1000u;
	p->dt_thresh_us = q->detection_threshold_ms * 1000u;
	if (q->auth_algorithm && *q->auth_algorithm) {
		int t = bfdd_auth_type_parse(q->auth_algorithm);

		if (t < 0 || !q->key_chain || strlen(q->key_chain) >= sizeof(p->key_chain)) {
			ctl_error(req, CTL_ERR_INVALID,
			          "authentication: unknown algorithm %s or "
			          "no key-chain",
			          q->auth_algorithm);
			return -1;
		}
		p->auth_type = (uint8_t)t;
		memcpy(p->key_chain, q->key_chain, strlen(q->key_chain) + 1);
	}
	(void)b;
	return 0;
}

static void bfdd_session_add(struct ctl_req *req, void *arg)
{
	struct bfdd *b = ((struct daemon *)arg)->priv;
	Keel__Bfdd__SessionRequest *q;
	struct bfdd_key k;
	struct bfdd_params p;
	struct bfdd_sess *x;
	struct bfdd_smsg *m;
	char err[256];

	if (bfdd_req_parse(req, b, &q, &k, &p) < 0)
		goto out;
	x = bfdd_sess_ref(b, &k, req->conn_id, q->client, &p, err, sizeof(err));
	if (!x) {
		ctl_error(req, CTL_ERR_INVALID, "%s", err);
		goto out;
	}
	bfdd_arm(b);
	m = calloc(1, sizeof(*m));
	if (m) {
		bfdd_smsg_fill(x, m, (uint8_t)bfd_session_state(&x->s));
		ctl_reply(req, &m->m.base);
		free(m);
	}
	ctl_end(req);
out:
	if (q)
		keel__bfdd__session_request__free_unpacked(q, NULL);
}

static void bfdd_session_delete(struct ctl_req *req, void *arg)
{
	struct bfdd *b = ((struct daemon *)arg)->priv;
	Keel__Bfdd__SessionRequest *q;
	struct bfdd_key k;
	struct bfdd_params p;
	struct bfdd_sess *x;

	if (bfdd_req_parse(req, b, &q, &k, &p) < 0)
		goto out;
	x = bfdd_sess_by_key(b, &k);
	if (!x || bfdd_sess_unref(b, x, req->conn_id, q->client, false) < 0) {
		ctl_error(req, CTL_ERR_INVALID, "no such session held by client %s", q->client);
		goto out;
	}
	bfdd_arm(b);
	ctl_end(req);
out:
	if (q)
		keel__bfdd__session_request__free_unpacked(q, NULL);
}

void bfdd_ctl_event(struct bfdd_sess *x, uint8_t from, bool deleted)
{
	struct ctl_server *srv = x->b->d ? x->b->d->ctl : NULL;
	struct bfdd_smsg *m;

	if (!srv || !ctl_server_has_subscribers(srv, "bfd.session"))
		return;
	m = calloc(1, sizeof(*m));
	if (!m)
		return;
	bfdd_smsg_fill(x, m, from);
	m->m.deleted = deleted;
	ctl_server_publish(srv, "bfd.session", &m->m.base);
	free(m);
}

struct bfdd_closed {
	struct bfdd *b;
	uint64_t conn_id;
};

static void bfdd_conn_dropped(evutil_socket_t fd, short what, void *arg)
{
	struct bfdd_closed *c = arg;

	(void)fd;
	(void)what;
	bfdd_sess_drop_conn(c->b, c->conn_id);
	free(c);
}

/* Runs inside the ctl server's close (maybe inside a reply to that very connection):
 * deleting sessions publishes events, so it happens on the next loop turn instead. */
static void bfdd_conn_closed(uint64_t conn_id, void *arg)
{
	struct bfdd *b = arg;
	struct bfdd_closed *c = malloc(sizeof(*c));
	struct timeval now = {0, 0};

	if (!c)
		return;
	c->b = b;
	c->conn_id = conn_id;
	if (event_base_once(b->base, -1, EV_TIMEOUT, bfdd_conn_dropped, c, &now) < 0) {
		free(c);
		bfdd_sess_drop_conn(b, conn_id);
	}
}

void bfdd_ctl_start(struct bfdd *b)
{
	if (b->d && b->d->ctl)
		ctl_server_on_close(b->d->ctl, bfdd_conn_closed, b);
}

const struct ctl_method bfdd_ctl_methods[] = {
        {.name = "show.sessions",
         .fn = bfdd_show_sessions,
         .help = "BFD sessions (ShowSessions -> SessionPage*)"},
        {.name = "clear.sessions",
         .fn = bfdd_clear_sessions,
         .flags = CTL_F_WRITE,
         .help = "Take sessions down and start them again (ShowSessions -> ClearReply)"},
        {.name = "session.add",
         .fn = bfdd_session_add,
         .flags = CTL_F_WRITE,
         .help = "A client claims a session (SessionRequest -> Session)"},
        {.name = "session.delete",
         .fn = bfdd_session_delete,
         .flags = CTL_F_WRITE,
         .help = "A client drops a claim (SessionRequest)"},
};
const size_t bfdd_ctl_n_methods = sizeof(bfdd_ctl_methods) / sizeof(bfdd_ctl_methods[0]);
