/*
 * RFC 5176 Dynamic Authorization server (see das.h for the contract).
 *
 * One UDP socket. A datagram goes through: client lookup by source address, radius_decode,
 * code check, radius_das_parse (Request Authenticator, Message-Authenticator), the
 * Message-Authenticator and Event-Timestamp policies, the duplicate cache, then the
 * daemon's callback; the ACK/NAK is encoded by radius.c, sent and cached.
 */
#include "daemons/dot1xd/das.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "daemons/dot1xd/radclient.h"
#include "lib/ev.h"
#include "lib/log.h"

#define DAS_RESP_MAX DAS_REPLY_MAX

struct das_client {
	struct das_client_cfg cfg;
	struct sockaddr_storage sa; /* address only, the port is the DAC's choice */
};

/* A request answered recently: its copies get the same answer (RFC 5080 §2.2.2). */
struct das_cache_ent {
	bool used;
	uint8_t client;
	uint8_t id;
	uint8_t auth[RADIUS_AUTH_LEN];
	uint64_t at_ms;
	uint8_t resp[DAS_RESP_MAX];
	uint8_t resp_len;
};

struct das {
	struct event_base *base;
	struct das_cfg cfg;
	struct das_client clients[DAS_MAX_CLIENTS];
	size_t n_clients;
	int fd;
	uint16_t bound_port;
	struct event ev;
	das_cb cb;
	void *arg;
	struct das_cache_ent cache[DAS_CACHE_MAX];
	size_t cache_next; /* ring: the oldest entry is overwritten first */
	struct das_stats st;
};

static const char *const drop_names[DAS_DROP_COUNT] = {
        [DAS_DROP_UNKNOWN_CLIENT] = "unknown-client",
        [DAS_DROP_MALFORMED] = "malformed",
        [DAS_DROP_CODE] = "unexpected-code",
        [DAS_DROP_BAD_AUTH] = "bad-request-authenticator",
        [DAS_DROP_BAD_MA] = "bad-message-authenticator",
        [DAS_DROP_NO_MA] = "no-message-authenticator",
        [DAS_DROP_NO_TIMESTAMP] = "no-event-timestamp",
        [DAS_DROP_STALE] = "stale-event-timestamp",
};

const char *das_drop_name(enum das_drop d)
{
	return (unsigned)d < DAS_DROP_COUNT ? drop_names[d] : "?";
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

	/* A listener on "::" sees IPv4 clients as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). */
	if (a->ss_family == AF_INET && b->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&b6->sin6_addr))
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		              &b6->sin6_addr.s6_addr[12], 4) == 0;
	if (a->ss_family != b->sa_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &b6->sin6_addr,
	              sizeof(struct in6_addr)) == 0;
}

static void drop(struct das *d, enum das_drop why, const char *who)
{
	d->st.drops[why]++;
	log_debug("das: request from %s dropped: %s", who, drop_names[why]);
}

static struct das_cache_ent *cache_find(struct das *d, size_t client, const struct radius_pkt *p,
                                        uint64_t now)
{
	uint64_t life = (uint64_t)d->cfg.time_window_s * 1000;

	for (size_t i = 0; i < DAS_CACHE_MAX; i++) {
		struct das_cache_ent *c = &d->cache[i];

		if (c->used && c->client == client && c->id == p->id &&
		    memcmp(c->auth, p->auth, RADIUS_AUTH_LEN) == 0 && now - c->at_ms <= life)
			return c;
	}
	return NULL;
}

static void cache_put(struct das *d, size_t client, const struct radius_pkt *p, const uint8_t *resp,
                      size_t len, uint64_t now)
{
	struct das_cache_ent *c = &d->cache[d->cache_next];

	if (len > DAS_RESP_MAX)
		return;
	d->cache_next = (d->cache_next + 1) % DAS_CACHE_MAX;
	c->used = true;
	c->client = (uint8_t)client;
	c->id = p->id;
	memcpy(c->auth, p->auth, RADIUS_AUTH_LEN);
	c->at_ms = now;
	memcpy(c->resp, resp, len);
	c->resp_len = (uint8_t)len;
}

/* The first Event-Timestamp (RFC 2869 §5.3) of a well-formed length. */
static bool event_timestamp(const struct radius_pkt *p, uint32_t *ts)
{
	struct radius_attr_iter it;
	const uint8_t *v;
	uint8_t type, len;

	radius_attr_iter_init(&it, p);
	while (radius_attr_next(&it, &type, &v, &len)) {
		if (type == RADIUS_ATTR_EVENT_TIMESTAMP && len == 4) {
			*ts = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 |
			      v[3];
			return true;
		}
	}
	return false;
}

/* RFC 5176 §3.6 for requests that verified but cannot be acted on. */
static uint32_t cause_for(enum radius_err e)
{
	switch (e) {
	case RADIUS_ERR_VALUE:
		return DAS_ERROR_INVALID_ATTRIBUTE_VALUE;
	case RADIUS_ERR_PROXY_STATE:
		return DAS_ERROR_PROXY_ERROR;
	default:
		return DAS_ERROR_INVALID_REQUEST;
	}
}

/* Encodes, counts and caches the ACK/NAK; its length in out (0: could not encode). */
static size_t respond(struct das *d, size_t ci, const struct radius_pkt *p, uint32_t cause,
                      uint8_t *out, size_t cap, uint64_t now)
{
	const struct das_client *c = &d->clients[ci];
	bool coa = p->code == RADIUS_CODE_COA_REQUEST;
	uint8_t code = coa ? (cause ? RADIUS_CODE_COA_NAK : RADIUS_CODE_COA_ACK)
	                   : (cause ? RADIUS_CODE_DISCONNECT_NAK : RADIUS_CODE_DISCONNECT_ACK);
	size_t len;
	enum radius_err e;

	e = radius_das_response_encode(code, p->id, p->auth, cause, c->cfg.secret,
	                               strlen(c->cfg.secret), out, cap, &len);
	if (e != RADIUS_OK) {
		log_warnx("das: cannot encode %s: %s", radius_code_name(code), radius_err_name(e));
		return 0;
	}
	if (coa && cause)
		d->st.coa_naks++;
	else if (coa)
		d->st.coa_acks++;
	else if (cause)
		d->st.disconnect_naks++;
	else
		d->st.disconnect_acks++;
	cache_put(d, ci, p, out, len, now);
	return len;
}

size_t das_input(struct das *d, const uint8_t *buf, size_t n, const struct sockaddr *from,
                 uint8_t *out, size_t cap)
{
	struct radius_pkt p;
	struct radius_das_req req;
	size_t ci;
	uint64_t now = mono_ms();
	enum radius_err e;
	struct das_cache_ent *hit;

	for (ci = 0; ci < d->n_clients && !same_host(&d->clients[ci].sa, from); ci++)
		;
	if (ci == d->n_clients) {
		drop(d, DAS_DROP_UNKNOWN_CLIENT, "an unknown client");
		return 0;
	}
	const struct das_client *c = &d->clients[ci];

	if (radius_decode(buf, n, &p) != RADIUS_OK) {
		drop(d, DAS_DROP_MALFORMED, c->cfg.addr);
		return 0;
	}
	if (p.code != RADIUS_CODE_COA_REQUEST && p.code != RADIUS_CODE_DISCONNECT_REQUEST) {
		drop(d, DAS_DROP_CODE, c->cfg.addr);
		return 0;
	}
	e = radius_das_parse(&p, c->cfg.secret, strlen(c->cfg.secret), &req);
	switch (e) {
	case RADIUS_OK:
	case RADIUS_ERR_DUP:
	case RADIUS_ERR_VALUE:
	case RADIUS_ERR_PROXY_STATE:
	case RADIUS_ERR_EAP:
		/* Authentic: radius_das_parse verifies before it looks at attributes. */
		break;
	case RADIUS_ERR_AUTHENTICATOR:
		/* RFC 5176 §3: silently discarded, no NAK to an unauthenticated sender. */
		drop(d, DAS_DROP_BAD_AUTH, c->cfg.addr);
		return 0;
	case RADIUS_ERR_MA_BAD:
	case RADIUS_ERR_MA_LEN:
		drop(d, DAS_DROP_BAD_MA, c->cfg.addr);
		return 0;
	default:
		drop(d, DAS_DROP_MALFORMED, c->cfg.addr);
		return 0;
	}
	if (d->cfg.require_ma && !p.ma_off) {
		drop(d, DAS_DROP_NO_MA, c->cfg.addr);
		return 0;
	}
	/* A copy of a request answered within the window: same answer, no second action. */
	hit = cache_find(d, ci, &p, now);
	if (hit) {
		d->st.duplicates++;
		if (hit->resp_len > cap)
			return 0;
		memcpy(out, hit->resp, hit->resp_len);
		return hit->resp_len;
	}
	/*
	 * RFC 5176 §3.4 / RFC 5080 §2.2.2: Event-Timestamp bounds the replay window. Read from
	 * the message itself: a request radius_das_parse refused still has to be fresh to get
	 * its NAK.
	 */
	uint32_t ts;

	if (event_timestamp(&p, &ts)) {
		int64_t skew = (int64_t)time(NULL) - (int64_t)ts;

		if (skew > (int64_t)d->cfg.time_window_s || -skew > (int64_t)d->cfg.time_window_s) {
			drop(d, DAS_DROP_STALE, c->cfg.addr);
			return 0;
		}
	} else if (d->cfg.require_event_timestamp) {
		drop(d, DAS_DROP_NO_TIMESTAMP, c->cfg.addr);
		return 0;
	}
	if (e != RADIUS_OK)
		return respond(d, ci, &p, cause_for(e), out, cap, now);
	if (p.code == RADIUS_CODE_COA_REQUEST)
		d->st.coa_requests++;
	else
		d->st.disconnect_requests++;
	uint32_t cause;

	if (req.unsupported_attr) {
		/* RFC 5176 §3.5: an attribute keel cannot act on makes the whole request fail. */
		cause = DAS_ERROR_UNSUPPORTED_ATTRIBUTE;
	} else {
		cause = d->cb ? d->cb(&req, ci, d->arg) : DAS_ERROR_SESSION_NOT_FOUND;
	}
	return respond(d, ci, &p, cause, out, cap, now);
}

static void das_read(evutil_socket_t fd, short what, void *arg)
{
	struct das *d = arg;
	uint8_t buf[RADIUS_MAX_LEN + 1];

	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("das: recvfrom");
			return;
		}
		uint8_t out[DAS_RESP_MAX];
		size_t len =
		        das_input(d, buf, (size_t)n, (struct sockaddr *)&from, out, sizeof(out));

		if (len && sendto(fd, out, len, 0, (struct sockaddr *)&from, fl) < 0)
			log_warn("das: sendto");
	}
}

static int open_socket(const struct das_cfg *cfg, uint16_t *bound)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int one = 1;
	uint16_t port = cfg->ephemeral_port ? 0 : (cfg->port ? cfg->port : RADIUS_PORT_DAS);

	if (radclient_parse_addr(cfg->listen[0] ? cfg->listen : "0.0.0.0", port, &sa, &len) != 0) {
		log_warnx("das: bad listen address %s", cfg->listen);
		return -1;
	}
	int fd = socket(sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);

	if (fd < 0) {
		log_warn("das: socket");
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, len) != 0) {
		log_warn("das: bind %s port %u", cfg->listen[0] ? cfg->listen : "0.0.0.0", port);
		close(fd);
		return -1;
	}
	len = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		log_warn("das: getsockname");
		close(fd);
		return -1;
	}
	*bound = ntohs(sa.ss_family == AF_INET ? ((struct sockaddr_in *)&sa)->sin_port
	                                       : ((struct sockaddr_in6 *)&sa)->sin6_port);
	return fd;
}

static int load_clients(const struct das_cfg *cfg, struct das_client *out, size_t *n)
{
	socklen_t len;

	if (cfg->n_clients > DAS_MAX_CLIENTS) {
		log_warnx("das: more than %d clients", DAS_MAX_CLIENTS);
		return -1;
	}
	for (size_t i = 0; i < cfg->n_clients; i++) {
		out[i].cfg = cfg->clients[i];
		out[i].cfg.addr[sizeof(out[i].cfg.addr) - 1] = '\0';
		out[i].cfg.secret[sizeof(out[i].cfg.secret) - 1] = '\0';
		if (radclient_parse_addr(out[i].cfg.addr, 0, &out[i].sa, &len) != 0 ||
		    !out[i].cfg.secret[0]) {
			log_warnx("das: bad client %s (address or empty secret)", out[i].cfg.addr);
			return -1;
		}
	}
	*n = cfg->n_clients;
	return 0;
}

int das_configure(struct das *d, const struct das_cfg *cfg_in)
{
	struct das_cfg cfg = *cfg_in;
	struct das_client clients[DAS_MAX_CLIENTS];
	size_t n;

	cfg.listen[sizeof(cfg.listen) - 1] = '\0';
	if (!cfg.time_window_s)
		cfg.time_window_s = DAS_DEF_WINDOW_S;
	if (load_clients(&cfg, clients, &n) != 0)
		return -1;
	bool rebind = d->fd < 0 || strcmp(cfg.listen, d->cfg.listen) != 0 ||
	              cfg.port != d->cfg.port || cfg.ephemeral_port != d->cfg.ephemeral_port;

	if (rebind) {
		uint16_t bound;
		int fd = open_socket(&cfg, &bound);

		if (fd < 0)
			return -1;
		if (d->fd >= 0) {
			event_del(&d->ev);
			close(d->fd);
		}
		d->fd = fd;
		d->bound_port = bound;
		event_assign(&d->ev, d->base, fd, EV_READ | EV_PERSIST, das_read, d);
		event_add(&d->ev, NULL);
	}
	d->cfg = cfg;
	memcpy(d->clients, clients, sizeof(clients[0]) * n);
	d->n_clients = n;
	/* Cached answers are keyed by client index and signed with the old secrets. */
	memset(d->cache, 0, sizeof(d->cache));
	return 0;
}

struct das *das_new(struct event_base *base, const struct das_cfg *cfg, das_cb cb, void *arg)
{
	struct das *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->base = base;
	d->fd = -1;
	d->cb = cb;
	d->arg = arg;
	if (das_configure(d, cfg) != 0) {
		free(d);
		return NULL;
	}
	return d;
}

void das_free(struct das *d)
{
	if (!d)
		return;
	if (d->fd >= 0) {
		event_del(&d->ev);
		close(d->fd);
	}
	free(d);
}

uint16_t das_port(const struct das *d)
{
	return d->bound_port;
}

void das_stats(const struct das *d, struct das_stats *out)
{
	*out = d->st;
}

void das_stats_clear(struct das *d)
{
	memset(&d->st, 0, sizeof(d->st));
}
