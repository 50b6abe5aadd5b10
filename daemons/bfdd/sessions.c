/*
 * The session table. Two hashes: by local discriminator (every packet with Your
 * Discriminator set, RFC 5880 §6.8.6) and by peer address (the first packets, Your
 * Discriminator 0, demultiplexed by addresses: RFC 5881 §3 single hop by peer and
 * interface, RFC 5883 §4 multihop by source and destination address).
 *
 * Clients: a session exists while some client holds a claim on it. A claim is (connection,
 * client name) with a reference count and the client's own parameters; the configuration
 * is the claim (0, "config"). The session runs with the effective parameters: the config's
 * when it holds a claim (the operator decides), else the most demanding of the clients'
 * (shortest intervals, smallest multiplier, highest TTL floor, the first authentication).
 * A change of the effective parameters reaches the core through bfd_session_configure (a
 * poll sequence for intervals, RFC 5880 §6.8.3), never as a new session.
 *
 * Deletion: when the last claim goes, the session is not freed at once: it goes AdminDown
 * (diag 7) and keeps sending that, at its AdminDown rate, for the peer's Detection Time (at
 * least two packets) before it is freed (RFC 5880 §6.8.16, RFC 5882 §8), so the peer reads
 * a deliberate AdminDown rather than a failure (diag 1). A client that asks for the same
 * session meanwhile gets it back, Up again without a new discriminator.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemons/bfdd/bfdd_daemon.h"
#include "lib/crypto.h"
#include "lib/log.h"

static uint32_t bfdd_hash_disc(uint32_t d)
{
	return (d * 2654435761u) >> 20; /* 12 bits: BFDD_HASH */
}

static uint32_t bfdd_hash_ip(const struct bfdd_ip *ip, bool multihop)
{
	uint32_t h = 2166136261u ^ (multihop ? 0x5bd1e995u : 0);
	size_t n = ip->af == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++) {
		h ^= ip->a[i];
		h *= 16777619u;
	}
	return h % BFDD_HASH;
}

void bfdd_sessions_init(struct bfdd *b)
{
	memset(b->by_disc, 0, sizeof(b->by_disc));
	memset(b->by_peer, 0, sizeof(b->by_peer));
	b->head = b->tail = NULL;
	b->n_sess = 0;
}

struct bfdd_sess *bfdd_sess_by_disc(struct bfdd *b, uint32_t disc)
{
	for (struct bfdd_sess *x = b->by_disc[bfdd_hash_disc(disc)]; x; x = x->disc_next)
		if (x->s.local_disc == disc)
			return x;
	return NULL;
}

struct bfdd_sess *bfdd_sess_by_key(struct bfdd *b, const struct bfdd_key *k)
{
	for (struct bfdd_sess *x = b->by_peer[bfdd_hash_ip(&k->peer, k->multihop)]; x;
	     x = x->peer_next)
		if (bfdd_key_eq(&x->key, k))
			return x;
	return NULL;
}

struct bfdd_sess *bfdd_sess_match(struct bfdd *b, const struct bfdd_rxinfo *ri)
{
	struct bfdd_sess *best = NULL;
	int best_score = -1;

	for (struct bfdd_sess *x = b->by_peer[bfdd_hash_ip(&ri->src, ri->multihop)]; x;
	     x = x->peer_next) {
		int score = 0;

		if (x->key.multihop != ri->multihop || !bfdd_ip_eq(&x->key.peer, &ri->src))
			continue;
		if (x->key.local.af) {
			if (!bfdd_ip_eq(&x->key.local, &ri->dst))
				continue;
			score += 1;
		}
		if (x->key.ifname[0]) {
			if (x->ifindex == 0 || x->ifindex != ri->ifindex)
				continue;
			score += 2;
		}
		if (score > best_score) {
			best = x;
			best_score = score;
		}
	}
	return best;
}

/* ------------------------------------------------------------ parameters */

static bool bfdd_is_config(const struct bfdd_client *c)
{
	return c->conn_id == 0 && strcmp(c->name, BFDD_CLIENT_CONFIG) == 0;
}

void bfdd_params_effective(const struct bfdd_client *list, struct bfdd_params *out)
{
	bool first = true;

	memset(out, 0, sizeof(*out));
	for (const struct bfdd_client *c = list; c; c = c->next)
		if (bfdd_is_config(c)) {
			*out = c->p;
			return;
		}
	for (const struct bfdd_client *c = list; c; c = c->next) {
		if (first) {
			*out = c->p;
			out->admin_down = false;
			first = false;
			continue;
		}
		if (c->p.tx_us < out->tx_us)
			out->tx_us = c->p.tx_us;
		if (c->p.rx_us < out->rx_us)
			out->rx_us = c->p.rx_us;
		if (c->p.mult < out->mult)
			out->mult = c->p.mult;
		if (c->p.min_ttl > out->min_ttl)
			out->min_ttl = c->p.min_ttl;
		/* Echo and thresholds: the fastest echo and the tightest threshold asked for. */
		if (c->p.echo_us && (!out->echo_us || c->p.echo_us < out->echo_us))
			out->echo_us = c->p.echo_us;
		if (c->p.tx_thresh_us &&
		    (!out->tx_thresh_us || c->p.tx_thresh_us < out->tx_thresh_us))
			out->tx_thresh_us = c->p.tx_thresh_us;
		if (c->p.dt_thresh_us &&
		    (!out->dt_thresh_us || c->p.dt_thresh_us < out->dt_thresh_us))
			out->dt_thresh_us = c->p.dt_thresh_us;
		if (!out->auth_type && c->p.auth_type) {
			out->auth_type = c->p.auth_type;
			memcpy(out->key_chain, c->p.key_chain, sizeof(out->key_chain));
		}
	}
}

unsigned bfdd_sess_n_clients(const struct bfdd_sess *x)
{
	unsigned n = 0;

	for (const struct bfdd_client *c = x->clients; c; c = c->next)
		n++;
	return n;
}

/*
 * The core's configuration. Echo (echo-interval) runs on single-hop sessions when the
 * packet sockets open (io_echo.c); Required Min Echo RX is advertised only while our
 * interface forwards the session's family, i.e. while the kernel will loop the peer's
 * echoes (RFC 5880 §6.8.9: a system that cannot loop advertises 0). Refreshes x->echo_loop.
 */
static void bfdd_core_cfg(struct bfdd_sess *x, const struct bfd_auth *auth,
                          struct bfd_session_cfg *cfg)
{
	bool echo = x->eff.echo_us && !x->key.multihop;

	memset(cfg, 0, sizeof(*cfg));
	cfg->desired_min_tx = x->eff.tx_us;
	cfg->required_min_rx = x->eff.rx_us;
	cfg->detect_mult = x->eff.mult;
	cfg->multihop = x->key.multihop;
	if (echo && bfdd_echo_open(x->b) < 0)
		echo = false;
	x->echo_loop = echo && bfdd_echo_loops(x);
	cfg->echo_tx = echo ? x->eff.echo_us : 0;
	cfg->required_min_echo_rx = x->echo_loop ? x->eff.echo_us : 0;
	cfg->auth = auth;
}

void bfdd_sess_echo_recheck(struct bfdd_sess *x)
{
	struct bfd_session_cfg cfg;
	struct bfd_out out;
	char peer[INET6_ADDRSTRLEN];
	bool was = x->echo_loop;

	if (!x->clients)
		return;
	bfdd_core_cfg(x, x->auth, &cfg);
	if (was == x->echo_loop || bfd_session_configure(&x->s, &cfg, mono_us(), &out) != 0)
		return;
	log_info("bfd session %s: %s forwarding %s: Required Min Echo RX now %u ms",
	         bfdd_ip_str(&x->key.peer, peer, sizeof(peer)),
	         x->key.peer.af == AF_INET6 ? "IPv6" : "IPv4", x->echo_loop ? "on" : "off",
	         cfg.required_min_echo_rx / 1000);
	bfdd_out(x, &out);
}

uint8_t bfdd_thresh_eval(uint8_t *bits, uint32_t tx_us, uint64_t detect_us, uint32_t tx_thresh_us,
                         uint32_t dt_thresh_us, uint8_t *cleared)
{
	uint8_t now = 0, was = *bits;

	if (tx_thresh_us && tx_us > tx_thresh_us)
		now |= BFDD_THRESH_TX;
	if (dt_thresh_us && detect_us > dt_thresh_us)
		now |= BFDD_THRESH_DETECT;
	*bits = now;
	*cleared = (uint8_t)(was & ~now);
	return (uint8_t)(now & ~was);
}

void bfdd_sess_thresholds(struct bfdd_sess *x)
{
	bool up = bfd_session_state(&x->s) == BFD_STATE_UP;
	/* Junos compares the values negotiated in Up; a session not Up exceeds nothing. */
	uint32_t tx = up ? bfd_session_tx_interval(&x->s) : 0;
	uint64_t dt = up && (x->s.flags & BFD_SF_RX_SEEN) ? bfd_session_detect_time(&x->s) : 0;
	uint8_t cleared, raised;
	char peer[INET6_ADDRSTRLEN];

	raised = bfdd_thresh_eval(&x->thresh, tx, dt, x->eff.tx_thresh_us, x->eff.dt_thresh_us,
	                          &cleared);
	if (!raised && !cleared)
		return;
	bfdd_ip_str(&x->key.peer, peer, sizeof(peer));
	if (raised & BFDD_THRESH_TX) {
		x->tx_thresh_events++;
		log_warnx("bfd session %s: transmit interval %u ms exceeds the threshold %u ms "
		          "(jnxBfdSessTxIntervalHigh)",
		          peer, tx / 1000, x->eff.tx_thresh_us / 1000);
	}
	if (raised & BFDD_THRESH_DETECT) {
		x->dt_thresh_events++;
		log_warnx("bfd session %s: detection time %llu ms exceeds the threshold %u ms "
		          "(jnxBfdSessDetectionTimeHigh)",
		          peer, (unsigned long long)(dt / 1000), x->eff.dt_thresh_us / 1000);
	}
	if (cleared && up)
		log_info("bfd session %s: back within the %s threshold", peer,
		         cleared == BFDD_THRESH_TX       ? "transmit-interval"
		         : cleared == BFDD_THRESH_DETECT ? "detection-time"
		                                         : "transmit-interval and detection-time");
	bfdd_ctl_event(x, (uint8_t)bfd_session_state(&x->s), false);
	bfdd_sensors_state(x);
}

/* Builds the authentication the effective parameters ask for (NULL: none). */
static int bfdd_sess_auth(struct bfdd_sess *x, struct bfd_auth **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!x->eff.auth_type)
		return 0;
	*out = calloc(1, sizeof(**out));
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (bfdd_auth_build(&x->b->conf, x->eff.auth_type, x->eff.key_chain, *out, err, errlen) <
	    0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int bfdd_sess_update(struct bfdd_sess *x, char *err, size_t errlen)
{
	struct bfdd_params was = x->eff;
	struct bfd_session_cfg cfg;
	struct bfd_auth *auth;
	struct bfd_out out;
	bool auth_same;

	if (!x->clients)
		return 0; /* being deleted (AdminDown hold): nothing to apply */
	bfdd_params_effective(x->clients, &x->eff);
	if (bfdd_sess_auth(x, &auth, err, errlen) < 0) {
		x->eff = was;
		return -1;
	}
	auth_same = (!auth && !x->auth) ||
	            (auth && x->auth && memcmp(auth, x->auth, sizeof(*auth)) == 0);
	if (auth_same) {
		free(auth);
		auth = x->auth;
	}
	if (auth_same && memcmp(&was, &x->eff, sizeof(was)) == 0)
		return 0; /* nothing changed: the session is not touched */
	bfdd_core_cfg(x, auth, &cfg);
	if (bfd_session_configure(&x->s, &cfg, mono_us(), &out) != 0) {
		if (!auth_same)
			free(auth);
		x->eff = was;
		snprintf(err, errlen, "parameters refused by the session");
		return -1;
	}
	if (!auth_same) {
		free(x->auth);
		x->auth = auth;
	}
	if (was.admin_down != x->eff.admin_down) {
		struct bfd_out o2;

		bfdd_out(x, &out);
		if (x->eff.admin_down)
			bfd_session_admin_down(&x->s, BFD_DIAG_ADMIN_DOWN, mono_us(), &o2);
		else
			bfd_session_admin_up(&x->s, mono_us(), &o2);
		out = o2;
	}
	bfdd_out(x, &out);
	return 0;
}

/* ------------------------------------------------------------ create / delete */

static uint32_t bfdd_new_disc(struct bfdd *b)
{
	uint32_t d = 0;

	/* §6.8.1: nonzero, unique; random so that a restarted daemon does not reuse the old
	 * value the peer may still hold. */
	while (d == 0 || bfdd_sess_by_disc(b, d)) {
		if (crypto_random_u32(&d) != 0)
			d = (uint32_t)mono_us() ^ 0x5a5a5a5au;
	}
	return d;
}

static void bfdd_tx_fire(struct wheel_timer *t, uint64_t now)
{
	struct bfdd_sess *x = (struct bfdd_sess *)((char *)t - offsetof(struct bfdd_sess, t_tx));
	struct bfd_out out;

	bfd_session_tx_timer(&x->s, now, &out);
	bfdd_out(x, &out);
}

static void bfdd_detect_fire(struct wheel_timer *t, uint64_t now)
{
	struct bfdd_sess *x =
	        (struct bfdd_sess *)((char *)t - offsetof(struct bfdd_sess, t_detect));
	struct bfd_out out;

	bfd_session_detect_timer(&x->s, now, &out);
	bfdd_out(x, &out);
}

static void bfdd_echo_fire(struct wheel_timer *t, uint64_t now)
{
	struct bfdd_sess *x = (struct bfdd_sess *)((char *)t - offsetof(struct bfdd_sess, t_echo));
	struct bfd_out out;

	bfd_session_echo_timer(&x->s, now, &out);
	bfdd_out(x, &out);
}

static void bfdd_sess_destroy(struct bfdd *b, struct bfdd_sess *x);

static void bfdd_hold_fire(struct wheel_timer *t, uint64_t now)
{
	struct bfdd_sess *x = (struct bfdd_sess *)((char *)t - offsetof(struct bfdd_sess, t_hold));

	(void)now;
	bfdd_sess_destroy(x->b, x);
}

static void bfdd_link(struct bfdd *b, struct bfdd_sess *x)
{
	uint32_t hd = bfdd_hash_disc(x->s.local_disc);
	uint32_t hp = bfdd_hash_ip(&x->key.peer, x->key.multihop);

	x->disc_next = b->by_disc[hd];
	b->by_disc[hd] = x;
	x->peer_next = b->by_peer[hp];
	b->by_peer[hp] = x;
	x->prev = b->tail;
	x->next = NULL;
	if (b->tail)
		b->tail->next = x;
	else
		b->head = x;
	b->tail = x;
	b->n_sess++;
}

static void bfdd_unlink(struct bfdd *b, struct bfdd_sess *x)
{
	struct bfdd_sess **pp;

	for (pp = &b->by_disc[bfdd_hash_disc(x->s.local_disc)]; *pp; pp = &(*pp)->disc_next)
		if (*pp == x) {
			*pp = x->disc_next;
			break;
		}
	for (pp = &b->by_peer[bfdd_hash_ip(&x->key.peer, x->key.multihop)]; *pp;
	     pp = &(*pp)->peer_next)
		if (*pp == x) {
			*pp = x->peer_next;
			break;
		}
	if (x->prev)
		x->prev->next = x->next;
	else
		b->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	else
		b->tail = x->prev;
	b->n_sess--;
}

static struct bfdd_sess *bfdd_sess_create(struct bfdd *b, const struct bfdd_key *k,
                                          struct bfdd_client *c, char *err, size_t errlen)
{
	struct bfdd_sess *x = calloc(1, sizeof(*x));
	struct bfd_session_cfg cfg;
	struct bfd_out out;
	uint64_t rnd = 0;
	char peer[INET6_ADDRSTRLEN];

	if (!x) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	x->b = b;
	x->key = *k;
	x->fd = -1;
	x->clients = c;
	wheel_timer_init(&x->t_tx, bfdd_tx_fire);
	wheel_timer_init(&x->t_detect, bfdd_detect_fire);
	wheel_timer_init(&x->t_echo, bfdd_echo_fire);
	wheel_timer_init(&x->t_hold, bfdd_hold_fire);
	bfdd_params_effective(x->clients, &x->eff);
	if (bfdd_sess_auth(x, &x->auth, err, errlen) < 0) {
		free(x);
		return NULL;
	}
	if (crypto_random_u64(&rnd) != 0)
		rnd = mono_ns();
	if (crypto_random_u32(&x->echo_cookie) != 0)
		x->echo_cookie = (uint32_t)(rnd >> 16);
	bfdd_core_cfg(x, x->auth, &cfg);
	if (bfd_session_init(&x->s, &cfg, bfdd_new_disc(b), rnd, x->eff.admin_down, mono_us(),
	                     &out) != 0) {
		snprintf(err, errlen, "invalid session parameters");
		free(x->auth);
		free(x);
		return NULL;
	}
	x->last_change_ms = wall_ms();
	bfdd_link(b, x);
	if (bfdd_io_sess_open(x) < 0)
		log_debug("bfd session %s: send socket not open yet (retried every second)",
		          bfdd_ip_str(&k->peer, peer, sizeof(peer)));
	bfdd_out(x, &out);
	log_info("bfd session %s%s%s%s: created (local discriminator %u, client %s)",
	         bfdd_ip_str(&k->peer, peer, sizeof(peer)), k->ifname[0] ? " interface " : "",
	         k->ifname, k->multihop ? " multihop" : "", x->s.local_disc, c->name);
	bfdd_ctl_event(x, (uint8_t)bfd_session_state(&x->s), false);
	return x;
}

static void bfdd_sess_destroy(struct bfdd *b, struct bfdd_sess *x)
{
	char peer[INET6_ADDRSTRLEN];
	struct bfd_out out;

	/* RFC 5882 §8: tell the peer before going away, so that it reads AdminDown (diag 7)
	 * rather than a failure. */
	if (bfd_session_state(&x->s) != BFD_STATE_ADMIN_DOWN) {
		bfd_session_admin_down(&x->s, BFD_DIAG_ADMIN_DOWN, mono_us(), &out);
		if (x->fd >= 0)
			bfdd_io_send(x);
	}
	log_info("bfd session %s: deleted (local discriminator %u)",
	         bfdd_ip_str(&x->key.peer, peer, sizeof(peer)), x->s.local_disc);
	bfdd_ctl_event(x, (uint8_t)bfd_session_state(&x->s), true);
	wheel_cancel(&b->wheel, &x->t_tx);
	wheel_cancel(&b->wheel, &x->t_detect);
	wheel_cancel(&b->wheel, &x->t_echo);
	wheel_cancel(&b->wheel, &x->t_hold);
	bfdd_unlink(b, x);
	bfdd_io_sess_close(x);
	while (x->clients) {
		struct bfdd_client *c = x->clients;

		x->clients = c->next;
		free(c);
	}
	free(x->auth);
	free(x);
}

/*
 * The last claim went: AdminDown (diag 7) now, freed after the hold (top of the file). A
 * session the peer never answered, or one already AdminDown (`disable`: the peer knows),
 * goes at once.
 */
static void bfdd_sess_retire(struct bfdd *b, struct bfdd_sess *x)
{
	uint64_t now = mono_us(), hold, peer_dt, two;
	char peer[INET6_ADDRSTRLEN];
	struct bfd_out out;

	if (bfd_session_state(&x->s) == BFD_STATE_ADMIN_DOWN || x->s.remote_disc == 0) {
		bfdd_sess_destroy(b, x);
		return;
	}
	/* The peer times us with our multiplier and the interval we were sending at. */
	peer_dt = (uint64_t)x->s.detect_mult * bfd_session_tx_interval(&x->s);
	bfd_session_admin_down(&x->s, BFD_DIAG_ADMIN_DOWN, now, &out);
	x->dying = true;
	bfdd_out(x, &out); /* the first AdminDown packet goes now */
	two = 2ull * bfd_session_tx_interval(&x->s);
	hold = peer_dt > two ? peer_dt : two;
	wheel_set(&b->wheel, &x->t_hold, now + hold);
	log_info("bfd session %s: deleted, AdminDown for %llu ms before it goes (RFC 5880 "
	         "section 6.8.16)",
	         bfdd_ip_str(&x->key.peer, peer, sizeof(peer)), (unsigned long long)(hold / 1000));
}

/* A client asks for a session being deleted: it stays, and comes back from AdminDown. */
static void bfdd_sess_revive(struct bfdd_sess *x)
{
	struct bfd_out out;

	x->dying = false;
	wheel_cancel(&x->b->wheel, &x->t_hold);
	if (!x->eff.admin_down) {
		bfd_session_admin_up(&x->s, mono_us(), &out);
		bfdd_out(x, &out);
	}
}

struct bfdd_sess *bfdd_sess_ref(struct bfdd *b, const struct bfdd_key *k, uint64_t conn_id,
                                const char *name, const struct bfdd_params *p, char *err,
                                size_t errlen)
{
	struct bfdd_sess *x = bfdd_sess_by_key(b, k);
	struct bfdd_client *c;

	if (!name || !*name || strlen(name) >= BFDD_NAME_MAX) {
		snprintf(err, errlen, "bad client name");
		return NULL;
	}
	if (!p->tx_us || !p->rx_us || !p->mult) {
		snprintf(err, errlen, "intervals and multiplier must be at least 1");
		return NULL;
	}
	if (p->auth_type && !bfdd_conf_chain(&b->conf, p->key_chain)) {
		snprintf(err, errlen, "key-chain %s: not configured", p->key_chain);
		return NULL;
	}
	for (c = x ? x->clients : NULL; c; c = c->next)
		if (c->conn_id == conn_id && strcmp(c->name, name) == 0)
			break;
	if (c) {
		struct bfdd_params was = c->p;

		c->refs++;
		c->p = *p;
		if (bfdd_sess_update(x, err, errlen) < 0) {
			c->refs--;
			c->p = was;
			return NULL;
		}
		return x;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->conn_id = conn_id;
	memcpy(c->name, name, strlen(name) + 1);
	c->refs = 1;
	c->p = *p;
	if (!x) {
		x = bfdd_sess_create(b, k, c, err, errlen);
		if (!x)
			free(c);
		return x;
	}
	c->next = x->clients;
	x->clients = c;
	if (bfdd_sess_update(x, err, errlen) < 0) {
		x->clients = c->next;
		free(c);
		return NULL;
	}
	if (x->dying)
		bfdd_sess_revive(x);
	return x;
}

int bfdd_sess_unref(struct bfdd *b, struct bfdd_sess *x, uint64_t conn_id, const char *name,
                    bool all_refs)
{
	struct bfdd_client **pp, *c;
	char err[256];

	for (pp = &x->clients; (c = *pp) != NULL; pp = &c->next)
		if (c->conn_id == conn_id && strcmp(c->name, name) == 0)
			break;
	if (!c)
		return -1;
	if (!all_refs && --c->refs > 0)
		return 0;
	*pp = c->next;
	free(c);
	if (!x->clients) {
		bfdd_sess_retire(b, x);
		return 0;
	}
	if (bfdd_sess_update(x, err, sizeof(err)) < 0)
		log_warnx("bfd session: remaining clients' parameters: %s", err);
	return 0;
}

void bfdd_sess_drop_conn(struct bfdd *b, uint64_t conn_id)
{
	struct bfdd_sess *x, *nx;

	for (x = b->head; x; x = nx) {
		struct bfdd_client *c;

		nx = x->next;
	again:
		for (c = x->clients; c; c = c->next)
			if (c->conn_id == conn_id && conn_id != 0) {
				char name[BFDD_NAME_MAX];
				bool last = !x->clients->next;

				memcpy(name, c->name, sizeof(name));
				bfdd_sess_unref(b, x, conn_id, name, true);
				if (last)
					break; /* x is gone */
				goto again;
			}
	}
	bfdd_arm(b);
}

void bfdd_sess_clear(struct bfdd_sess *x)
{
	struct bfd_out out;

	if (bfd_session_state(&x->s) == BFD_STATE_ADMIN_DOWN)
		return;
	bfd_session_admin_down(&x->s, BFD_DIAG_ADMIN_DOWN, mono_us(), &out);
	bfdd_out(x, &out);
	bfd_session_admin_up(&x->s, mono_us(), &out);
	bfdd_out(x, &out);
}

void bfdd_sess_state_changed(struct bfdd_sess *x, uint8_t from, uint8_t to)
{
	char peer[INET6_ADDRSTRLEN];

	x->last_change_ms = wall_ms();
	if (to == BFD_STATE_UP) {
		x->up_transitions++;
		x->up_since_ms = x->last_change_ms;
	} else {
		x->up_since_ms = 0;
	}
	if (from == BFD_STATE_UP && to == BFD_STATE_DOWN)
		x->fail_transitions++;
	log_info("bfd session %s%s%s: %s -> %s (%s)", bfdd_ip_str(&x->key.peer, peer, sizeof(peer)),
	         x->key.ifname[0] ? " on " : "", x->key.ifname, bfd_state_name(from),
	         bfd_state_name(to), bfd_diag_name(x->s.local_diag));
	bfdd_ctl_event(x, from, false);
	bfdd_sensors_state(x);
}

void bfdd_sessions_free(struct bfdd *b)
{
	while (b->head) {
		struct bfdd_sess *x = b->head;

		while (x->clients) {
			struct bfdd_client *c = x->clients;

			x->clients = c->next;
			free(c);
		}
		wheel_cancel(&b->wheel, &x->t_tx);
		wheel_cancel(&b->wheel, &x->t_detect);
		wheel_cancel(&b->wheel, &x->t_echo);
		wheel_cancel(&b->wheel, &x->t_hold);
		bfdd_unlink(b, x);
		bfdd_io_sess_close(x);
		free(x->auth);
		free(x);
	}
}
