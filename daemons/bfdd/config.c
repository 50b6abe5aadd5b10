/*
 * bfdd's configuration: `protocols bfd session ADDRESS { ... }` (yang/keel-protocols.yang)
 * with the keys of `security authentication-key-chains` (yang/keel-security.yang).
 *
 *   bfdd_conf_parse()   RFC 7951 JSON -> struct bfdd_conf (pure, unit-tested)
 *   apply               a diff against the previous conf: a session whose key (peer,
 *                       local-address, interface, multihop) is in both keeps running and only
 *                       gets the parameters that changed (bfdd_sess_update: intervals by a
 *                       poll sequence, never a flap); a removed one loses its "config" claim
 *                       (and goes when no client holds it); a new one starts. A changed key
 *                       chain re-keys the sessions that use it, also client sessions.
 *
 * Validation refuses what the YANG cannot express: a secret longer than the algorithm takes
 * (RFC 5880 §6.7.2-6.7.4), more than BFD_AUTH_MAX_KEYS keys in one chain, an interface on a
 * multihop session, a local address of the other family.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "daemons/bfdd/bfdd_daemon.h"
#include "lib/cfg.h"
#include "lib/daemon.h"
#include "lib/log.h"

/* ------------------------------------------------------------ addresses */

int bfdd_ip_parse(const char *s, struct bfdd_ip *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return -1;
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->af = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->af = AF_INET6;
		return 0;
	}
	return -1;
}

const char *bfdd_ip_str(const struct bfdd_ip *ip, char *buf, size_t len)
{
	if (!ip->af || !inet_ntop(ip->af, ip->a, buf, (socklen_t)len))
		snprintf(buf, len, "%s", "");
	return buf;
}

bool bfdd_ip_eq(const struct bfdd_ip *a, const struct bfdd_ip *b)
{
	if (a->af != b->af)
		return false;
	return memcmp(a->a, b->a, a->af == AF_INET ? 4 : a->af == AF_INET6 ? 16 : 0) == 0;
}

bool bfdd_key_eq(const struct bfdd_key *a, const struct bfdd_key *b)
{
	return a->multihop == b->multihop && bfdd_ip_eq(&a->peer, &b->peer) &&
	       bfdd_ip_eq(&a->local, &b->local) && strcmp(a->ifname, b->ifname) == 0;
}

/* ------------------------------------------------------------ authentication */

static const char *const bfdd_auth_names[BFD_AUTH_TYPE_COUNT] = {
        [BFD_AUTH_SIMPLE] = "simple-password",
        [BFD_AUTH_KEYED_MD5] = "keyed-md5",
        [BFD_AUTH_MET_KEYED_MD5] = "meticulous-keyed-md5",
        [BFD_AUTH_KEYED_SHA1] = "keyed-sha-1",
        [BFD_AUTH_MET_KEYED_SHA1] = "meticulous-keyed-sha-1",
};

int bfdd_auth_type_parse(const char *s)
{
	for (int t = BFD_AUTH_SIMPLE; s && t < BFD_AUTH_TYPE_COUNT; t++)
		if (strcmp(s, bfdd_auth_names[t]) == 0)
			return t;
	return -1;
}

const struct bfdd_chain *bfdd_conf_chain(const struct bfdd_conf *c, const char *name)
{
	for (size_t i = 0; c && i < c->n_chains; i++)
		if (strcmp(c->chains[i].name, name) == 0)
			return &c->chains[i];
	return NULL;
}

/* RFC 5880 §6.7.2: password 1..16; §6.7.3: MD5 key up to 16; §6.7.4: SHA1 key up to 20. */
static size_t bfdd_auth_max_secret(uint8_t type)
{
	return type == BFD_AUTH_KEYED_SHA1 || type == BFD_AUTH_MET_KEYED_SHA1 ? 20 : 16;
}

int bfdd_auth_build(const struct bfdd_conf *c, uint8_t type, const char *chain,
                    struct bfd_auth *out, char *err, size_t errlen)
{
	const struct bfdd_chain *ch = bfdd_conf_chain(c, chain);

	memset(out, 0, sizeof(*out)); /* compared with memcmp to detect a change */
	if (!ch) {
		snprintf(err, errlen, "key-chain %s: not configured", chain);
		return -1;
	}
	if (ch->n_keys == 0) {
		snprintf(err, errlen, "key-chain %s: has no key", chain);
		return -1;
	}
	if (bfd_auth_init(out, (enum bfd_auth_type)type) != 0) {
		snprintf(err, errlen, "authentication algorithm %u: not supported", type);
		return -1;
	}
	for (uint8_t i = 0; i < ch->n_keys; i++) {
		if (ch->keys[i].len > bfdd_auth_max_secret(type)) {
			snprintf(err, errlen,
			         "key-chain %s key %u: secret of %u bytes, %s takes at most %zu "
			         "(RFC 5880 section 6.7)",
			         chain, ch->keys[i].id, ch->keys[i].len, bfdd_auth_names[type],
			         bfdd_auth_max_secret(type));
			return -1;
		}
		if (bfd_auth_add_key(out, ch->keys[i].id, ch->keys[i].secret, ch->keys[i].len) !=
		    0) {
			snprintf(err, errlen, "key-chain %s key %u: refused", chain,
			         ch->keys[i].id);
			return -1;
		}
	}
	bfd_auth_set_tx_key(out, ch->keys[ch->tx_key].id);
	out->rx_keys = ch->rx_keys; /* keys were added in the chain's order */
	return 0;
}

/* ------------------------------------------------------------ parsing */

void bfdd_conf_free(struct bfdd_conf *c)
{
	free(c->sess);
	free(c->chains);
	memset(c, 0, sizeof(*c));
}

static struct json_object *bfdd_list(struct json_object *o, const char *name)
{
	struct json_object *l = o ? cfg_get(o, name) : NULL;

	return l && json_object_is_type(l, json_type_array) ? l : NULL;
}

/* A number leaf; RFC 7951 §6.1 writes uint8..uint32 as numbers; accept strings too. */
static bool bfdd_num(struct json_object *o, const char *name, int64_t *v)
{
	struct json_object *x = o ? cfg_get(o, name) : NULL;

	if (!x)
		return false;
	if (json_object_is_type(x, json_type_int)) {
		*v = json_object_get_int64(x);
		return true;
	}
	if (json_object_is_type(x, json_type_string)) {
		char *end;
		long long n = strtoll(json_object_get_string(x), &end, 10);

		if (*end == '\0') {
			*v = n;
			return true;
		}
	}
	*v = -1;
	return true;
}

/* Junos start-time "YYYY-MM-DD.HH:MM[:SS]", local time; -1 when it does not parse. */
static time_t bfdd_start_time(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d.%H:%M", &tm);
	if (!end)
		return -1;
	if (*end == ':' && !(end = strptime(end, ":%S", &tm)))
		return -1;
	if (*end)
		return -1;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

static int bfdd_parse_chain(struct json_object *o, struct bfdd_chain *ch, time_t now, char *err,
                            size_t errlen)
{
	const char *name = cfg_get_str(o, "name");
	struct json_object *keys = bfdd_list(o, "key");

	memset(ch, 0, sizeof(*ch));
	if (!name || !*name || strlen(name) >= sizeof(ch->name)) {
		snprintf(err, errlen, "security authentication-key-chains key-chain: bad name");
		return -1;
	}
	memcpy(ch->name, name, strlen(name) + 1);
	/* The YANG (and Junos) default; keel-types seconds is a uint32. */
	if (!bfdd_num(o, "tolerance", &ch->tolerance))
		ch->tolerance = 3600;
	if (ch->tolerance < 0 || ch->tolerance > UINT32_MAX) {
		snprintf(err, errlen, "key-chain %s: tolerance out of range", name);
		return -1;
	}
	for (size_t i = 0; keys && i < json_object_array_length(keys); i++) {
		struct json_object *k = json_object_array_get_idx(keys, i);
		const char *secret = cfg_get_str(k, "secret");
		const char *start = cfg_get_str(k, "start-time");
		int64_t id;
		time_t t = 0;

		if (!bfdd_num(k, "name", &id) || id < 0 || id > 255 || !secret || !*secret) {
			snprintf(err, errlen, "key-chain %s: a key without id or secret", name);
			return -1;
		}
		if (strlen(secret) > BFD_AUTH_SECRET_MAX) {
			snprintf(err, errlen,
			         "key-chain %s key %lld: secret longer than %d bytes, the most any "
			         "BFD algorithm takes (RFC 5880 section 6.7)",
			         name, (long long)id, BFD_AUTH_SECRET_MAX);
			return -1;
		}
		if (ch->n_keys == BFD_AUTH_MAX_KEYS) {
			snprintf(err, errlen, "key-chain %s: bfdd keeps at most %d keys per chain",
			         name, BFD_AUTH_MAX_KEYS);
			return -1;
		}
		if (start && (t = bfdd_start_time(start)) < 0) {
			snprintf(err, errlen, "key-chain %s key %lld start-time %s: not a time",
			         name, (long long)id, start);
			return -1;
		}
		ch->keys[ch->n_keys].id = (uint8_t)id;
		ch->keys[ch->n_keys].len = (uint8_t)strlen(secret);
		memcpy(ch->keys[ch->n_keys].secret, secret, strlen(secret));
		ch->start[ch->n_keys] = t;
		ch->n_keys++;
	}
	bfdd_chain_select(ch, now);
	return 0;
}

bool bfdd_chain_select(struct bfdd_chain *ch, int64_t now)
{
	uint8_t was = ch->tx_key, pick = 0;
	bool have = false;
	int64_t best = 0;

	/* Send with the key whose start-time came last; every key is accepted. */
	for (uint8_t i = 0; i < ch->n_keys; i++)
		if (ch->start[i] <= now && (!have || ch->start[i] >= best)) {
			best = ch->start[i];
			have = true;
			pick = i;
		}
	ch->tx_key = pick;
	uint8_t rx = bfdd_chain_rx_keys(ch, now), rx_was = ch->rx_keys;

	ch->rx_keys = rx;
	return pick != was || rx != rx_was;
}

/*
 * Junos key-chain tolerance (RFC 8177 §3.1 models the same as send and accept lifetimes):
 * around a rollover both ends switch their transmit key at the new key's start-time by their
 * own clocks, so a receiver accepts the new key `tolerance` seconds early and keeps the
 * previous key for `tolerance` seconds after. A key is superseded by the next start-time
 * after its own; keys with the same start-time live together.
 */
uint8_t bfdd_chain_rx_keys(const struct bfdd_chain *ch, int64_t now)
{
	uint8_t set = 0;

	for (uint8_t i = 0; i < ch->n_keys && i < BFD_AUTH_MAX_KEYS; i++) {
		int64_t next = 0;

		if (ch->start[i] && now < ch->start[i] - ch->tolerance)
			continue; /* not yet, even for a clock that runs ahead */
		for (uint8_t j = 0; j < ch->n_keys && j < BFD_AUTH_MAX_KEYS; j++)
			if (ch->start[j] > ch->start[i] && (!next || ch->start[j] < next))
				next = ch->start[j];
		if (next && now >= next + ch->tolerance)
			continue; /* superseded, and the grace for lagging clocks is over */
		set |= (uint8_t)(1u << i);
	}
	if (ch->n_keys)
		set |= (uint8_t)(1u << ch->tx_key); /* what we send, we accept (a stepped clock) */
	return set;
}

int64_t bfdd_conf_next_start(const struct bfdd_conf *c, int64_t now)
{
	int64_t next = 0;

	for (size_t i = 0; c && i < c->n_chains; i++)
		for (uint8_t k = 0; k < c->chains[i].n_keys; k++) {
			const struct bfdd_chain *ch = &c->chains[i];
			int64_t edge[3] = {ch->start[k] - ch->tolerance, ch->start[k],
			                   ch->start[k] + ch->tolerance};

			if (!ch->start[k])
				continue;
			for (int e = 0; e < 3; e++)
				if (edge[e] > now && (!next || edge[e] < next))
					next = edge[e];
		}
	return next;
}

static int bfdd_ms(struct json_object *o, const char *name, uint32_t *us, const char *peer,
                   char *err, size_t errlen)
{
	int64_t v;

	if (!bfdd_num(o, name, &v))
		return 0;
	if (v < 1 || v > 255000) {
		snprintf(err, errlen, "protocols bfd session %s %s: not in 1..255000 ms", peer,
		         name);
		return -1;
	}
	*us = (uint32_t)v * 1000u;
	return 0;
}

static int bfdd_parse_sess(struct json_object *o, struct bfdd_conf_sess *cs, char *err,
                           size_t errlen)
{
	const char *peer = cfg_get_str(o, "name");
	const char *local = cfg_get_str(o, "local-address");
	const char *ifname = cfg_get_str(o, "interface");
	struct json_object *txi = cfg_get(o, "transmit-interval");
	struct json_object *auth = cfg_get(o, "authentication");
	uint32_t both = 0, tx = 0, rx = 0;
	int64_t mult = BFD_DETECT_MULT_DEF;

	memset(cs, 0, sizeof(*cs));
	if (bfdd_ip_parse(peer, &cs->key.peer) < 0) {
		snprintf(err, errlen, "protocols bfd session %s: not an IP address",
		         peer ? peer : "(none)");
		return -1;
	}
	if (local && bfdd_ip_parse(local, &cs->key.local) < 0) {
		snprintf(err, errlen, "protocols bfd session %s local-address %s: not an address",
		         peer, local);
		return -1;
	}
	if (local && cs->key.local.af != cs->key.peer.af) {
		snprintf(err, errlen,
		         "protocols bfd session %s: local-address %s is of the other family", peer,
		         local);
		return -1;
	}
	cs->key.multihop = cfg_get_bool(o, "multihop");
	if (ifname) {
		if (cs->key.multihop) {
			snprintf(err, errlen,
			         "protocols bfd session %s: a multihop session is not bound to an "
			         "interface",
			         peer);
			return -1;
		}
		if (!*ifname || strlen(ifname) >= sizeof(cs->key.ifname)) {
			snprintf(err, errlen, "protocols bfd session %s interface %s: bad name",
			         peer, ifname);
			return -1;
		}
		memcpy(cs->key.ifname, ifname, strlen(ifname) + 1);
	}
	if (cs->key.multihop && !cs->key.local.af) {
		snprintf(err, errlen,
		         "protocols bfd session %s: a multihop session needs local-address", peer);
		return -1;
	}
	if (bfdd_ms(o, "minimum-interval", &both, peer, err, errlen) < 0 ||
	    bfdd_ms(o, "minimum-receive-interval", &rx, peer, err, errlen) < 0 ||
	    (txi && bfdd_ms(txi, "minimum-interval", &tx, peer, err, errlen) < 0))
		return -1;
	cs->p.tx_us = tx ? tx : both;
	cs->p.rx_us = rx ? rx : both;
	if (!cs->p.tx_us || !cs->p.rx_us) {
		snprintf(err, errlen,
		         "protocols bfd session %s: needs minimum-interval, or both "
		         "minimum-receive-interval and transmit-interval minimum-interval",
		         peer);
		return -1;
	}
	if (bfdd_num(o, "multiplier", &mult) && (mult < 1 || mult > 255)) {
		snprintf(err, errlen, "protocols bfd session %s multiplier: not in 1..255", peer);
		return -1;
	}
	cs->p.mult = (uint8_t)mult;
	cs->p.min_ttl = BFDD_MH_MIN_TTL_DEF;
	int64_t ttl;

	if (bfdd_num(o, "minimum-ttl", &ttl)) {
		/* YANG allows it only with multihop; single-hop always demands 255. */
		if (!cs->key.multihop || ttl < 1 || ttl > 255) {
			snprintf(err, errlen,
			         "protocols bfd session %s minimum-ttl: multihop only, 1..255",
			         peer);
			return -1;
		}
		cs->p.min_ttl = (uint8_t)ttl;
	}
	cs->p.admin_down = cfg_get_bool(o, "disable");
	if (bfdd_ms(o, "echo-interval", &cs->p.echo_us, peer, err, errlen) < 0)
		return -1;
	if (cs->p.echo_us && cs->key.multihop) {
		snprintf(err, errlen,
		         "protocols bfd session %s echo-interval: single-hop sessions only "
		         "(RFC 5883 section 3: no echo on multihop)",
		         peer);
		return -1;
	}
	struct json_object *dtc = cfg_get(o, "detection-time");
	int64_t th;

	if (txi && bfdd_num(txi, "threshold", &th)) {
		if (th < 1 || th > 4294967) {
			snprintf(err, errlen,
			         "protocols bfd session %s transmit-interval threshold: bad value",
			         peer);
			return -1;
		}
		cs->p.tx_thresh_us = (uint32_t)th * 1000u;
	}
	if (dtc && bfdd_num(dtc, "threshold", &th)) {
		if (th < 1 || th > 4294967) {
			snprintf(err, errlen,
			         "protocols bfd session %s detection-time threshold: bad value",
			         peer);
			return -1;
		}
		cs->p.dt_thresh_us = (uint32_t)th * 1000u;
	}
	if (auth && json_object_is_type(auth, json_type_object)) {
		const char *alg = cfg_get_str(auth, "algorithm");
		const char *chain = cfg_get_str(auth, "key-chain");
		int t = bfdd_auth_type_parse(alg);

		if (t < 0 || !chain || strlen(chain) >= sizeof(cs->p.key_chain)) {
			snprintf(err, errlen,
			         "protocols bfd session %s authentication: needs algorithm and "
			         "key-chain",
			         peer);
			return -1;
		}
		/* Accepting unauthenticated packets would need a hole in the core's §6.8.6
		 * checks; refused rather than silently ignored. */
		if (cfg_get_bool(auth, "loose-check")) {
			snprintf(
			        err, errlen,
			        "protocols bfd session %s authentication loose-check: not supported "
			        "by bfdd",
			        peer);
			return -1;
		}
		cs->p.auth_type = (uint8_t)t;
		memcpy(cs->p.key_chain, chain, strlen(chain) + 1);
	}
	return 0;
}

int bfdd_conf_parse(struct json_object *cfg, struct bfdd_conf *out, char *err, size_t errlen)
{
	struct json_object *proto = cfg ? cfg_get(cfg, "protocols") : NULL;
	struct json_object *bfd = proto ? cfg_get(proto, "bfd") : NULL;
	struct json_object *sec = cfg ? cfg_get(cfg, "security") : NULL;
	struct json_object *akc = sec ? cfg_get(sec, "authentication-key-chains") : NULL;
	struct json_object *sessions = bfdd_list(bfd, "session");
	struct json_object *chains = bfdd_list(akc, "key-chain");
	size_t ns = sessions ? json_object_array_length(sessions) : 0;
	size_t nc = chains ? json_object_array_length(chains) : 0;
	time_t now = time(NULL);

	memset(out, 0, sizeof(*out));
	if ((ns && !(out->sess = calloc(ns, sizeof(*out->sess)))) ||
	    (nc && !(out->chains = calloc(nc, sizeof(*out->chains))))) {
		snprintf(err, errlen, "protocols bfd: out of memory");
		bfdd_conf_free(out);
		return -1;
	}
	for (size_t i = 0; i < nc; i++) {
		if (bfdd_parse_chain(json_object_array_get_idx(chains, i), &out->chains[i], now,
		                     err, errlen) < 0)
			goto fail;
		out->n_chains++;
	}
	for (size_t i = 0; i < ns; i++) {
		struct bfdd_conf_sess *cs = &out->sess[out->n_sess];
		struct bfd_auth a;

		if (bfdd_parse_sess(json_object_array_get_idx(sessions, i), cs, err, errlen) < 0)
			goto fail;
		if (cs->p.auth_type &&
		    bfdd_auth_build(out, cs->p.auth_type, cs->p.key_chain, &a, err, errlen) < 0) {
			char msg[256];
			char peer[INET6_ADDRSTRLEN];

			snprintf(msg, sizeof(msg), "%s", err);
			snprintf(err, errlen, "protocols bfd session %s authentication: %s",
			         bfdd_ip_str(&cs->key.peer, peer, sizeof(peer)), msg);
			goto fail;
		}
		for (size_t k = 0; k < out->n_sess; k++)
			if (bfdd_key_eq(&out->sess[k].key, &cs->key)) {
				char peer[INET6_ADDRSTRLEN];

				snprintf(err, errlen, "protocols bfd session %s: configured twice",
				         bfdd_ip_str(&cs->key.peer, peer, sizeof(peer)));
				goto fail;
			}
		out->n_sess++;
	}
	return 0;
fail:
	bfdd_conf_free(out);
	return -1;
}

/* ------------------------------------------------------------ apply */

static int bfdd_cfg_validate(void *arg, struct json_object *cfg, char *err, size_t errlen)
{
	struct bfdd_conf c;

	(void)arg;
	if (bfdd_conf_parse(cfg, &c, err, errlen) < 0)
		return -1;
	bfdd_conf_free(&c);
	return 0;
}

static const struct bfdd_conf_sess *bfdd_conf_find(const struct bfdd_conf *c,
                                                   const struct bfdd_key *k)
{
	for (size_t i = 0; i < c->n_sess; i++)
		if (bfdd_key_eq(&c->sess[i].key, k))
			return &c->sess[i];
	return NULL;
}

/*
 * Key-chain start-time: a key whose start-time lies in the future becomes the transmit key
 * when that time comes, without a commit: one timer at the earliest future start-time
 * (re-checked at least hourly, the wall clock may be stepped), or one tolerance before or
 * after it, when the receive set changes. Sessions using a chain whose transmit key or
 * receive set changed are re-keyed (bfdd_sess_update: no flap).
 */
static void bfdd_key_timer_arm(struct bfdd *b);

static void bfdd_key_timer_fire(void *arg)
{
	struct bfdd *b = arg;
	int64_t now = (int64_t)time(NULL);
	bool changed = false;
	char e[256];

	for (size_t i = 0; i < b->conf.n_chains; i++)
		if (bfdd_chain_select(&b->conf.chains[i], now)) {
			changed = true;
			log_info("key-chain %s: transmit key %u, receive key set 0x%x (start-time, "
			         "tolerance %llds)",
			         b->conf.chains[i].name,
			         b->conf.chains[i].keys[b->conf.chains[i].tx_key].id,
			         b->conf.chains[i].rx_keys, (long long)b->conf.chains[i].tolerance);
		}
	if (changed) {
		for (struct bfdd_sess *x = b->head; x; x = x->next)
			if (x->eff.auth_type && bfdd_sess_update(x, e, sizeof(e)) < 0)
				log_warnx("bfd session: %s", e);
		bfdd_arm(b);
	}
	bfdd_key_timer_arm(b);
}

static void bfdd_key_timer_arm(struct bfdd *b)
{
	int64_t now = (int64_t)time(NULL), next = bfdd_conf_next_start(&b->conf, now);
	uint64_t ms;

	if (!b->key_timer.init)
		timer_init(&b->key_timer, b->base, bfdd_key_timer_fire, b);
	if (!next) {
		timer_del(&b->key_timer);
		return;
	}
	ms = (uint64_t)(next - now) * 1000u;
	timer_add_ms(&b->key_timer, ms > 3600000u ? 3600000u : ms);
}

static int bfdd_cfg_apply(void *arg, struct json_object *old, struct json_object *cfg, char *err,
                          size_t errlen)
{
	struct bfdd *b = arg;
	struct bfdd_conf n, o;
	struct bfdd_sess *x, *nx;
	char e[256];
	int rc = 0;

	(void)old; /* the previous config is b->conf, as applied */
	if (bfdd_conf_parse(cfg, &n, err, errlen) < 0)
		return -1;
	o = b->conf;
	b->conf = n; /* key chains are looked up here from now on */
	/* Sessions the config no longer holds lose its claim. */
	for (x = b->head; x; x = nx) {
		nx = x->next;
		if (!bfdd_conf_find(&n, &x->key))
			bfdd_sess_unref(b, x, 0, BFDD_CLIENT_CONFIG, true);
	}
	/* New and kept sessions: bfdd_sess_ref replaces the config's parameters; unchanged
	 * ones end up with the same effective parameters and are not touched. */
	for (size_t i = 0; i < n.n_sess; i++) {
		const struct bfdd_conf_sess *cs = &n.sess[i];
		const struct bfdd_conf_sess *was = bfdd_conf_find(&o, &cs->key);
		struct bfdd_sess *s = bfdd_sess_by_key(b, &cs->key);
		bool have = false;

		for (struct bfdd_client *c = s ? s->clients : NULL; c; c = c->next)
			if (c->conn_id == 0 && strcmp(c->name, BFDD_CLIENT_CONFIG) == 0)
				have = true;
		if (have && was && memcmp(&was->p, &cs->p, sizeof(cs->p)) == 0)
			continue; /* untouched by this commit (key chains: below) */
		if (have) {
			for (struct bfdd_client *c = s->clients; c; c = c->next)
				if (c->conn_id == 0 && strcmp(c->name, BFDD_CLIENT_CONFIG) == 0)
					c->p = cs->p;
			if (bfdd_sess_update(s, e, sizeof(e)) < 0) {
				snprintf(err, errlen, "%s", e);
				rc = -1;
			}
			continue;
		}
		if (!bfdd_sess_ref(b, &cs->key, 0, BFDD_CLIENT_CONFIG, &cs->p, e, sizeof(e))) {
			snprintf(err, errlen, "%s", e);
			rc = -1;
		}
	}
	/* Key chains may have changed under sessions whose own config did not: re-derive the
	 * authentication of every session (no change, no effect). */
	for (x = b->head; x; x = x->next)
		if (x->eff.auth_type && bfdd_sess_update(x, e, sizeof(e)) < 0) {
			log_warnx("bfd session: %s", e);
			snprintf(err, errlen, "%s", e);
			rc = -1;
		}
	bfdd_conf_free(&o);
	bfdd_key_timer_arm(b);
	bfdd_arm(b);
	log_info("protocols bfd: %zu configured sessions, %zu key chains, %u sessions in all",
	         n.n_sess, n.n_chains, b->n_sess);
	return rc;
}

const struct cfg_ops bfdd_cfg_ops = {
        .validate = bfdd_cfg_validate,
        .apply = bfdd_cfg_apply,
};
