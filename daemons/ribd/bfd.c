/*
 * BFD-tracked static routes (see bfd.h).
 *
 * One tracked session per BFD peer (the `neighbor`, else the gateway) and
 * local address: every route and qualified next hop that names the peer
 * shares it, with the most aggressive parameters among them. ribd claims it
 * from bfdd as client "static" with "session.add" (bfdd refcounts claims per
 * connection and client, and drops them with the connection, so a crashed
 * ribd leaves nothing behind) and follows "bfd.session" events.
 *
 * A tracked next hop is usable only while its session is Up (and has stayed
 * Up for holddown-interval). Not Up yet, Down, AdminDown (RFC 5882 §3.2: a
 * client without its own liveness check treats it as Down), or bfdd not
 * reachable: unusable. That is what Junos does with a BFD-tracked static
 * route: it stays out of the forwarding table until the session is Up and is
 * withdrawn when it goes Down; RFC 5882 §5 asks the same of a peer known to
 * run BFD, which configuring BFD declares. When bfdd comes back, every
 * session is claimed again and the routes return as the sessions come Up.
 *
 * Restart without flap: bfdd drops a dead ribd's claims, so after a kill -9
 * the session starts again from Down. Lest the start-up sweep remove routes
 * that were fine, sessions configured while ribd restarts (keel routes found
 * in the kernel) keep their next hops usable until they are Up again or the
 * grace (ribd_bfd_set_grace) ends, whichever comes first.
 *
 * Speed: a state change re-resolves only the routes using the session
 * (rib_track_changed: the RIB's resolution groups naming its track id) and
 * schedules one rib_run + batched fib_flush; the time from the event to the
 * batch being sent is measured (ribd_bfd_ran). Each session also keeps the
 * list of its routes (rebuilt at each config apply) for counts and logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/ribd/bfd.h"
#include "lib/ctl.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/proto/bfdd.pb-c.h"

enum ribd_bfd_state {
	RIBD_BFD_STATE_UNREACHABLE,
	RIBD_BFD_STATE_ADMIN_DOWN,
	RIBD_BFD_STATE_DOWN,
	RIBD_BFD_STATE_INIT,
	RIBD_BFD_STATE_UP,
};

static const char *const ribd_bfd_state_names[] = {
        [RIBD_BFD_STATE_UNREACHABLE] = "Unreachable",
        [RIBD_BFD_STATE_ADMIN_DOWN] = "AdminDown",
        [RIBD_BFD_STATE_DOWN] = "Down",
        [RIBD_BFD_STATE_INIT] = "Init",
        [RIBD_BFD_STATE_UP] = "Up",
};

struct ribd_bfd_route {
	struct plat_prefix pfx;
	uint32_t pref;
};

struct ribd_bfd_trk {
	struct ribd_bfd *b;
	uint16_t id;
	uint32_t gen;              /* bumped when the slot is freed: late replies are ignored */
	bool used;                 /* the slot holds a session */
	bool want;                 /* named by the config being applied */
	bool claimed;              /* session.add answered on the current connection */
	bool adding;               /* session.add in flight */
	struct ribd_bfd_cfg cfg;   /* key (peer, local) and the parameters asked for */
	struct ribd_bfd_cfg next;  /* parameters gathered during a bind */
	enum ribd_bfd_state state; /* as bfdd last said */
	bool usable;
	bool multihop;     /* RFC 5883: the peer is not on a connected subnet */
	bool grace;        /* restart grace: usable until first Up or the grace ends */
	struct timer hold; /* holddown-interval after Up */
	struct ribd_bfd_route *routes;
	size_t n_routes, cap_routes;
};

struct ribd_bfd {
	struct event_base *base;
	struct rib *rib;
	ribd_bfd_kick_fn kick;
	void *kick_arg;
	struct ctl_aclient *ac;
	bool enabled; /* ribd_bfd_connect called: open ac with the first session */
	char *path;
	struct ribd_bfd_trk **trk; /* by id - 1 */
	size_t n_trk;
	uint16_t *map; /* bind: conf entry -> id */
	uint64_t t0_us;
	uint64_t pending_routes;
	struct timer grace; /* restart grace (ribd_bfd_set_grace) */
	bool in_grace;
	struct ribd_bfd_stats st;
};

/* A session.add in flight. */
struct ribd_bfd_call {
	struct ribd_bfd *b;
	uint16_t id;
	uint32_t gen;
	bool multihop;
	struct ribd_bfd_cfg cfg;
};

static void ribd_bfd_send_add(struct ribd_bfd_trk *t);

/* ------------------------------------------------------------ state */

static struct ribd_bfd_trk *ribd_bfd_get(const struct ribd_bfd *b, uint16_t id)
{
	struct ribd_bfd_trk *t = id && id <= b->n_trk ? b->trk[id - 1] : NULL;

	return t && t->used ? t : NULL;
}

bool ribd_bfd_track_usable(void *arg, uint16_t track)
{
	const struct ribd_bfd_trk *t = ribd_bfd_get(arg, track);

	return t && t->usable;
}

const char *ribd_bfd_track_state(const struct ribd_bfd *b, uint16_t track)
{
	const struct ribd_bfd_trk *t = b ? ribd_bfd_get(b, track) : NULL;

	if (!t)
		return "";
	if (t->state == RIBD_BFD_STATE_UP && !t->usable)
		return "Holddown";
	if (t->grace)
		return "Restarting";
	return ribd_bfd_state_names[t->state];
}

/* Re-resolves the session's routes; the run timer sends the FIB batch. The
 * RIB keeps routes with the same next hops in one resolution group, so this
 * queues the few groups naming the session rather than each route (10k
 * routes behind one next hop: 0.15 ms instead of 0.9 ms, test_bfd.c). */
static void ribd_bfd_reeval(struct ribd_bfd_trk *t)
{
	struct ribd_bfd *b = t->b;

	if (!b->t0_us)
		b->t0_us = mono_us();
	rib_track_changed(b->rib, t->id);
	b->pending_routes += t->n_routes;
	b->st.transitions++;
	if (b->kick)
		b->kick(b->kick_arg);
}

static void ribd_bfd_set_usable(struct ribd_bfd_trk *t, bool usable)
{
	char peer[64];

	if (t->usable == usable)
		return;
	t->usable = usable;
	log_info("bfd %s: next hop %s (%zu route%s)", plat_ip_str(&t->cfg.peer, peer, sizeof(peer)),
	         usable ? "usable" : "unusable", t->n_routes, t->n_routes == 1 ? "" : "s");
	ribd_bfd_reeval(t);
}

static void ribd_bfd_hold_done(void *arg)
{
	struct ribd_bfd_trk *t = arg;

	if (t->state == RIBD_BFD_STATE_UP)
		ribd_bfd_set_usable(t, true);
}

static void ribd_bfd_set_state(struct ribd_bfd_trk *t, enum ribd_bfd_state s)
{
	enum ribd_bfd_state was = t->state;

	t->state = s;
	if (s != RIBD_BFD_STATE_UP) {
		timer_del(&t->hold);
		if (!t->grace)
			ribd_bfd_set_usable(t, false);
		return;
	}
	if (t->grace) {
		t->grace = false; /* the session is back: no holddown for what never left */
		ribd_bfd_set_usable(t, true);
		return;
	}
	if (was == RIBD_BFD_STATE_UP)
		return;
	if (t->cfg.holddown_ms)
		timer_add_ms(&t->hold, t->cfg.holddown_ms);
	else
		ribd_bfd_set_usable(t, true);
}

static enum ribd_bfd_state ribd_bfd_state_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(ribd_bfd_state_names) / sizeof(ribd_bfd_state_names[0]); i++)
		if (s && strcmp(s, ribd_bfd_state_names[i]) == 0)
			return (enum ribd_bfd_state)i;
	return RIBD_BFD_STATE_DOWN;
}

static bool ribd_bfd_same_key(const struct ribd_bfd_cfg *a, const struct ribd_bfd_cfg *b)
{
	return plat_ip_equal(&a->peer, &b->peer) && a->local.family == b->local.family &&
	       (!a->local.family || plat_ip_equal(&a->local, &b->local));
}

static struct ribd_bfd_trk *ribd_bfd_find(const struct ribd_bfd *b, const struct ribd_bfd_cfg *k)
{
	for (size_t i = 0; i < b->n_trk; i++)
		if (b->trk[i] && b->trk[i]->used && ribd_bfd_same_key(&b->trk[i]->cfg, k))
			return b->trk[i];
	return NULL;
}

void ribd_bfd_session_state(struct ribd_bfd *b, const char *peer, const char *local,
                            const char *ifname, bool multihop, const char *state, bool deleted)
{
	struct ribd_bfd_cfg k;
	struct ribd_bfd_trk *t;

	memset(&k, 0, sizeof(k));
	/* We never bind to an interface: a session that is bound is someone else's. */
	if (ifname && *ifname)
		return;
	if (!peer || plat_ip_parse(peer, &k.peer) < 0)
		return;
	if (local && *local && plat_ip_parse(local, &k.local) < 0)
		return;
	t = ribd_bfd_find(b, &k);
	if (!t || multihop != t->multihop)
		return;
	if (deleted) {
		/* Our claim keeps it alive, so bfdd lost it: claim it again. */
		t->claimed = false;
		ribd_bfd_set_state(t, RIBD_BFD_STATE_DOWN);
		ribd_bfd_send_add(t);
		return;
	}
	ribd_bfd_set_state(t, ribd_bfd_state_parse(state));
}

/* ------------------------------------------------------------ bfdd */

static void ribd_bfd_req(const struct ribd_bfd_cfg *c, bool multihop, Keel__Bfdd__SessionRequest *q,
                         Keel__Bfdd__SessionKey *k, char *peer, char *local, size_t len)
{
	keel__bfdd__session_request__init(q);
	keel__bfdd__session_key__init(k);
	k->peer = (char *)plat_ip_str(&c->peer, peer, len);
	local[0] = 0;
	if (c->local.family)
		plat_ip_str(&c->local, local, len);
	k->local_address = local;
	k->interface = "";
	k->multihop = multihop;
	q->key = k;
	q->client = RIBD_BFD_CLIENT;
	q->min_tx_ms = c->tx_ms;
	q->min_rx_ms = c->rx_ms;
	q->minimum_interval_ms = c->rx_ms < c->tx_ms ? c->rx_ms : c->tx_ms;
	q->multiplier = c->mult;
	q->auth_algorithm = (char *)c->auth_algorithm;
	q->key_chain = (char *)c->key_chain;
	q->transmit_threshold_ms = c->tx_threshold_ms;
	q->detection_threshold_ms = c->detect_threshold_ms;
	/* RFC 5883 §3: no echo over several hops. Whether a gateway is one hop away is ribd's
	 * call (ribd_bfd_multihop), so the operator's echo-interval applies where it can and is
	 * left out where it cannot, instead of bfdd refusing the whole session. */
	q->echo_interval_ms = multihop ? 0 : c->echo_ms;
}

static void ribd_bfd_deleted(int status, bool done, const uint8_t *payload, size_t len,
                             const char *error, void *arg)
{
	(void)payload;
	(void)len;
	(void)arg;
	if (done && status > 0)
		log_warnx("bfd: session.delete refused: %s", error ? error : "?");
}

static void ribd_bfd_send_delete(struct ribd_bfd *b, const struct ribd_bfd_cfg *c, bool multihop)
{
	Keel__Bfdd__SessionRequest q;
	Keel__Bfdd__SessionKey k;
	char peer[64], local[64];

	if (!b->ac || !ctl_aclient_up(b->ac))
		return; /* the claim went with the connection */
	ribd_bfd_req(c, multihop, &q, &k, peer, local, sizeof(peer));
	if (ctl_acall(b->ac, "session.delete", &q.base, ribd_bfd_deleted, NULL) < 0)
		log_warn("bfd: session.delete %s", peer);
}

static void ribd_bfd_added(int status, bool done, const uint8_t *payload, size_t len,
                           const char *error, void *arg)
{
	struct ribd_bfd_call *c = arg;
	struct ribd_bfd_trk *t = ribd_bfd_get(c->b, c->id);
	Keel__Bfdd__Session *s;
	char peer[64];

	if (t && t->gen != c->gen)
		t = NULL;
	if (!done) {
		s = keel__bfdd__session__unpack(NULL, len, payload);
		if (s && t)
			ribd_bfd_set_state(t, ribd_bfd_state_parse(s->state));
		if (s)
			keel__bfdd__session__free_unpacked(s, NULL);
		return;
	}
	if (t)
		t->adding = false;
	if (status == 0 && !t)
		ribd_bfd_send_delete(c->b, &c->cfg, c->multihop); /* unconfigured meanwhile */
	else if (status == 0)
		t->claimed = true;
	else if (status > 0)
		log_warnx("bfd %s: bfdd refused the session: %s",
		          plat_ip_str(&c->cfg.peer, peer, sizeof(peer)), error ? error : "?");
	free(c);
}

/* Claims the session with its current parameters (again, for a change: bfdd
 * replaces our parameters and counts one more claim, which the caller drops). */
static void ribd_bfd_send_add(struct ribd_bfd_trk *t)
{
	struct ribd_bfd *b = t->b;
	Keel__Bfdd__SessionRequest q;
	Keel__Bfdd__SessionKey k;
	struct ribd_bfd_call *c;
	char peer[64], local[64];

	if (!b->ac || !ctl_aclient_up(b->ac))
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_warnx("bfd: out of memory");
		return;
	}
	c->b = b;
	c->id = t->id;
	c->gen = t->gen;
	c->cfg = t->cfg;
	c->multihop = t->multihop;
	ribd_bfd_req(&t->cfg, t->multihop, &q, &k, peer, local, sizeof(peer));
	if (ctl_acall(b->ac, "session.add", &q.base, ribd_bfd_added, c) < 0) {
		log_warn("bfd: session.add %s", peer);
		free(c);
		return;
	}
	t->adding = true;
}

static void ribd_bfd_event(const char *topic, const uint8_t *payload, size_t len, void *arg)
{
	struct ribd_bfd *b = arg;
	Keel__Bfdd__Session *s = keel__bfdd__session__unpack(NULL, len, payload);

	(void)topic;
	if (!s)
		return;
	if (s->key)
		ribd_bfd_session_state(b, s->key->peer, s->key->local_address, s->key->interface,
		                       s->key->multihop, s->state, s->deleted);
	keel__bfdd__session__free_unpacked(s, NULL);
}

static void ribd_bfd_conn(bool up, void *arg)
{
	struct ribd_bfd *b = arg;

	b->st.connected = up;
	log_info("bfd: bfdd %s", up ? "connected: claiming the sessions again" : "unreachable");
	for (size_t i = 0; i < b->n_trk; i++) {
		struct ribd_bfd_trk *t = b->trk[i];

		if (!t || !t->used)
			continue;
		t->claimed = t->adding = false;
		if (up)
			ribd_bfd_send_add(t);
		else
			ribd_bfd_set_state(t, RIBD_BFD_STATE_UNREACHABLE);
	}
}

/* Opened with the first tracked session: a ribd without BFD routes neither
 * connects to bfdd nor hears its events. */
static int ribd_bfd_open(struct ribd_bfd *b)
{
	if (b->ac || !b->enabled)
		return 0;
	b->ac = b->path ? ctl_aclient_open_path(b->base, b->path, ribd_bfd_conn, b)
	                : ctl_aclient_open(b->base, "bfdd", ribd_bfd_conn, b);
	if (!b->ac || ctl_asubscribe(b->ac, "bfd.session", ribd_bfd_event, b) < 0) {
		log_warnx("bfd: cannot follow bfdd: BFD-tracked next hops stay unusable");
		ctl_aclient_close(b->ac);
		b->ac = NULL;
		return -1;
	}
	return 0;
}

int ribd_bfd_connect(struct ribd_bfd *b, const char *path)
{
	if (path) {
		b->path = strdup(path);
		if (!b->path)
			return -1;
	}
	b->enabled = true;
	for (size_t i = 0; i < b->n_trk; i++)
		if (b->trk[i]->used)
			return ribd_bfd_open(b);
	return 0;
}

/* ------------------------------------------------------------ config */

/* Single hop (RFC 5881) to a gateway on a connected subnet, multihop (RFC
 * 5883) otherwise, which bfdd runs only with a local address. Decided when
 * the session is created, from the RIB as it is then. */
static bool ribd_bfd_multihop(const struct ribd_bfd *b, const struct ribd_bfd_cfg *c)
{
	const struct rib_dest *d;

	if (!c->local.family)
		return false;
	d = rib_lookup(b->rib, &c->peer);
	return !(d && d->active && rib_dest_best(d)->proto == RIB_PROTO_DIRECT);
}

static struct ribd_bfd_trk *ribd_bfd_alloc(struct ribd_bfd *b, const struct ribd_bfd_cfg *cfg)
{
	struct ribd_bfd_trk *t;
	size_t i;

	for (i = 0; i < b->n_trk; i++)
		if (!b->trk[i]->used)
			break;
	if (i == b->n_trk) {
		struct ribd_bfd_trk **p;

		if (b->n_trk == RIBD_BFD_MAX)
			return NULL;
		p = reallocarray(b->trk, b->n_trk + 1, sizeof(*p));
		if (!p)
			return NULL;
		b->trk = p;
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		t->b = b;
		t->id = (uint16_t)(i + 1);
		timer_init(&t->hold, b->base, ribd_bfd_hold_done, t);
		b->trk[b->n_trk++] = t;
	}
	t = b->trk[i];
	t->used = true;
	t->claimed = t->adding = t->usable = false;
	t->state =
	        b->ac && ctl_aclient_up(b->ac) ? RIBD_BFD_STATE_DOWN : RIBD_BFD_STATE_UNREACHABLE;
	t->cfg = *cfg;
	t->multihop = ribd_bfd_multihop(b, cfg);
	t->n_routes = 0;
	/* Restart: the routes in the kernel stay while the session comes back. */
	t->grace = t->usable = b->in_grace;
	return t;
}

/* Several routes name one peer: the shortest detection time wins, holddown
 * the longest, echo the fastest asked for (as bfdd merges its clients). */
static void ribd_bfd_merge(struct ribd_bfd_cfg *into, const struct ribd_bfd_cfg *c)
{
	uint64_t a = (uint64_t)into->rx_ms * into->mult, n = (uint64_t)c->rx_ms * c->mult;
	uint32_t hold = into->holddown_ms > c->holddown_ms ? into->holddown_ms : c->holddown_ms;
	uint32_t echo = !into->echo_ms || (c->echo_ms && c->echo_ms < into->echo_ms)
	                        ? c->echo_ms
	                        : into->echo_ms;

	if (n < a || (n == a && c->tx_ms < into->tx_ms))
		*into = *c;
	into->holddown_ms = hold;
	into->echo_ms = echo;
}

int ribd_bfd_conf_bind(struct ribd_bfd *b, struct ribd_conf *c)
{
	uint16_t *map = c->n_bfd ? calloc(c->n_bfd, sizeof(*map)) : NULL;

	if (c->n_bfd && !map)
		return -1;
	free(b->map);
	b->map = map;
	for (size_t i = 0; i < b->n_trk; i++)
		if (b->trk[i]->used)
			b->trk[i]->want = false;
	for (size_t i = 0; i < c->n_bfd; i++) {
		struct ribd_bfd_trk *t = ribd_bfd_find(b, &c->bfd[i]);

		if (!t) {
			t = ribd_bfd_alloc(b, &c->bfd[i]);
			if (!t)
				return -1;
		}
		if (!t->want)
			t->next = c->bfd[i];
		else
			ribd_bfd_merge(&t->next, &c->bfd[i]);
		t->want = true;
		map[i] = t->id;
	}
	for (size_t r = 0; r < c->n; r++)
		for (size_t k = 0; k < c->routes[r].n_nh; k++) {
			uint16_t *tr = &c->routes[r].nh[k].track;

			*tr = *tr && *tr <= c->n_bfd ? map[*tr - 1] : 0;
		}
	return 0;
}

static int ribd_bfd_index(struct ribd_bfd_trk *t, const struct ribd_static *s)
{
	if (t->n_routes && t->routes[t->n_routes - 1].pref == s->pref &&
	    t->routes[t->n_routes - 1].pfx.len == s->pfx.len &&
	    plat_ip_equal(&t->routes[t->n_routes - 1].pfx.ip, &s->pfx.ip))
		return 0; /* two tracked next hops of one route */
	if (t->n_routes == t->cap_routes) {
		size_t cap = t->cap_routes ? t->cap_routes * 2 : 16;
		struct ribd_bfd_route *p = reallocarray(t->routes, cap, sizeof(*p));

		if (!p)
			return -1;
		t->routes = p;
		t->cap_routes = cap;
	}
	t->routes[t->n_routes++] = (struct ribd_bfd_route){.pfx = s->pfx, .pref = s->pref};
	return 0;
}

void ribd_bfd_conf_done(struct ribd_bfd *b, const struct ribd_conf *c)
{
	char peer[64];

	for (size_t i = 0; i < b->n_trk; i++)
		b->trk[i]->n_routes = 0;
	for (size_t r = 0; r < c->n; r++)
		for (size_t k = 0; k < c->routes[r].n_nh; k++) {
			struct ribd_bfd_trk *t = ribd_bfd_get(b, c->routes[r].nh[k].track);

			if (t && ribd_bfd_index(t, &c->routes[r]) < 0)
				log_warnx("bfd: out of memory indexing routes");
		}
	b->st.routes = 0;
	for (size_t i = 0; i < b->n_trk; i++) {
		struct ribd_bfd_trk *t = b->trk[i];

		if (!t->used)
			continue;
		if (!t->want) {
			/* RFC 5882 §8 would hold AdminDown first; bfdd does that when the
			 * last client goes. */
			log_info("bfd %s: no longer tracked",
			         plat_ip_str(&t->cfg.peer, peer, sizeof(peer)));
			if (t->claimed)
				ribd_bfd_send_delete(b, &t->cfg, t->multihop);
			timer_del(&t->hold);
			t->used = false;
			t->gen++;
			free(t->routes);
			t->routes = NULL;
			t->n_routes = t->cap_routes = 0;
			continue;
		}
		b->st.routes += (uint32_t)t->n_routes;
		if (memcmp(&t->next, &t->cfg, sizeof(t->cfg)) != 0) {
			t->cfg = t->next;
			if (t->claimed) {
				/* New parameters: claim again with them, then drop the extra claim.
				 */
				ribd_bfd_send_add(t);
				ribd_bfd_send_delete(b, &t->cfg, t->multihop);
			}
		}
		if (!b->ac)
			ribd_bfd_open(b); /* says up later: ribd_bfd_conn claims everything */
		else if (!t->claimed && !t->adding)
			ribd_bfd_send_add(t);
	}
	free(b->map);
	b->map = NULL;
	/* Only the config ribd restarted with gets the grace, not later commits. */
	b->in_grace = false;
}

static void ribd_bfd_grace_end(void *arg)
{
	struct ribd_bfd *b = arg;

	b->in_grace = false;
	for (size_t i = 0; i < b->n_trk; i++) {
		struct ribd_bfd_trk *t = b->trk[i];

		if (!t->used || !t->grace)
			continue;
		t->grace = false;
		if (t->state != RIBD_BFD_STATE_UP)
			ribd_bfd_set_usable(t, false);
	}
}

void ribd_bfd_set_grace(struct ribd_bfd *b, uint32_t ms)
{
	b->in_grace = true;
	timer_add_ms(&b->grace, ms);
}

/* ------------------------------------------------------------ life */

struct ribd_bfd *ribd_bfd_new(struct event_base *base, struct rib *rib, ribd_bfd_kick_fn kick,
                              void *arg)
{
	struct ribd_bfd *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->base = base;
	b->rib = rib;
	b->kick = kick;
	b->kick_arg = arg;
	timer_init(&b->grace, base, ribd_bfd_grace_end, b);
	rib_set_nh_usable(rib, ribd_bfd_track_usable, b);
	return b;
}

void ribd_bfd_free(struct ribd_bfd *b)
{
	if (!b)
		return;
	/* First: failing the calls in flight frees their contexts, which name b. */
	ctl_aclient_close(b->ac);
	timer_del(&b->grace);
	rib_set_nh_usable(b->rib, NULL, NULL);
	for (size_t i = 0; i < b->n_trk; i++) {
		timer_del(&b->trk[i]->hold);
		free(b->trk[i]->routes);
		free(b->trk[i]);
	}
	free(b->trk);
	free(b->map);
	free(b->path);
	free(b);
}

static double ribd_bfd_ms_since(uint64_t t0, uint64_t t)
{
	return t > t0 ? (double)(t - t0) / 1000.0 : 0.0;
}

void ribd_bfd_ran(struct ribd_bfd *b, uint64_t run_us, uint64_t rib_done_us)
{
	char us[32], rib[64];

	if (!b || !b->t0_us)
		return;
	b->st.last_react_us = mono_us() - b->t0_us;
	snprintf(rib, sizeof(rib), "run at %.3f, RIB done at %.3f",
	         ribd_bfd_ms_since(b->t0_us, run_us), ribd_bfd_ms_since(b->t0_us, rib_done_us));
	b->st.last_routes = b->pending_routes;
	if (b->st.last_react_us > b->st.max_react_us)
		b->st.max_react_us = b->st.last_react_us;
	snprintf(us, sizeof(us), "%.3f", (double)b->st.last_react_us / 1000.0);
	log_info("bfd: %llu route%s re-evaluated, FIB batch sent %s ms after the event (%s)",
	         (unsigned long long)b->pending_routes, b->pending_routes == 1 ? "" : "s", us, rib);
	b->t0_us = 0;
	b->pending_routes = 0;
}

void ribd_bfd_get_stats(const struct ribd_bfd *b, struct ribd_bfd_stats *out)
{
	*out = b->st;
	out->sessions = out->up = 0;
	for (size_t i = 0; i < b->n_trk; i++) {
		if (!b->trk[i]->used)
			continue;
		out->sessions++;
		if (b->trk[i]->usable)
			out->up++;
	}
}
