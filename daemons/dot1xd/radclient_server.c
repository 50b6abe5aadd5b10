/*
 * RADIUS client servers (see radclient.h for the contract, radclient_priv.h for the
 * objects): the up/dead state machine with revert-interval and Status-Server (RFC 5997)
 * probes, configuration as a diff (servers kept with their state and counters), life cycle
 * of the client, counters.
 */
#include "daemons/dot1xd/radclient_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/sock_diag.h>
#include <sys/socket.h>

#include "lib/crypto.h"
#include "lib/log.h"

static const char *const server_state_names[] = {
        [RADCLIENT_SERVER_UP] = "up",
        [RADCLIENT_SERVER_DEAD] = "dead",
};

const char *radclient_server_state_name(enum radclient_server_state s)
{
	return (unsigned)s <= RADCLIENT_SERVER_DEAD ? server_state_names[s] : "?";
}

/* ----------------------------------------------------- server state machine */

static const char *const srv_event_names[RC_SRV_EVT_MAX] = {
        [RC_SRV_EVT_SILENT] = "silent",
        [RC_SRV_EVT_ANSWER] = "answer",
        [RC_SRV_EVT_REVERT] = "revert",
};

static int srv_act_dead(void *obj, int event, void *arg)
{
	struct rc_server *s = obj;

	s->st.dead_marks++;
	s->dead_since_ms = mono_ms();
	timer_add_ms(&s->revert_timer, (uint64_t)s->rc->cfg.revert_interval_s * 1000);
	/* The state is still UP inside the action: arm directly. */
	if (s->rc->cfg.status_server)
		timer_add_ms(&s->probe_timer, s->rc->cfg.probe_interval_ms);
	log_warnx("radius server %s port %u: no answer, marked dead for %u s", s->cfg.addr,
	          s->cfg.port, s->rc->cfg.revert_interval_s);
	return FSM_KEEP;
}

static int srv_act_up(void *obj, int event, void *arg)
{
	struct rc_server *s = obj;

	timer_del(&s->revert_timer);
	timer_del(&s->probe_timer);
	log_info("radius server %s port %u: back (%s)", s->cfg.addr, s->cfg.port,
	         srv_event_names[event]);
	return FSM_KEEP;
}

static const struct fsm_row srv_rows[] = {
        {RADCLIENT_SERVER_UP, RC_SRV_EVT_SILENT, srv_act_dead, RADCLIENT_SERVER_DEAD},
        {RADCLIENT_SERVER_UP, RC_SRV_EVT_ANSWER, NULL, FSM_SAME},
        {RADCLIENT_SERVER_DEAD, RC_SRV_EVT_ANSWER, srv_act_up, RADCLIENT_SERVER_UP},
        {RADCLIENT_SERVER_DEAD, RC_SRV_EVT_REVERT, srv_act_up, RADCLIENT_SERVER_UP},
        {RADCLIENT_SERVER_DEAD, RC_SRV_EVT_SILENT, NULL, FSM_SAME},
};

static void srv_label(const void *obj, char *buf, size_t len)
{
	const struct rc_server *s = obj;

	snprintf(buf, len, "%s:%u", s->cfg.addr, s->cfg.port);
}

static const struct fsm_def srv_fsm_def = {
        .name = "radius-server",
        .rows = srv_rows,
        .n_rows = FSM_NROWS(srv_rows),
        .state_names = server_state_names,
        .n_states = 2,
        .event_names = srv_event_names,
        .n_events = RC_SRV_EVT_MAX,
        .debug_bit = 0,
        .label = srv_label,
};

void radclient_server_fsm(struct rc_server *s, enum rc_srv_event ev)
{
	fsm_dispatch(&srv_fsm_def, &s->fsm, (int)ev, s, NULL);
}

bool radclient_server_dead(const struct rc_server *s)
{
	return s->fsm.state == RADCLIENT_SERVER_DEAD;
}

/* ------------------------------------------------------------ Status-Server */

static void srv_probe_arm(struct rc_server *s);

static void probe_done(struct radclient_req *q, const struct radclient_done *d, void *arg)
{
	struct rc_server *s = arg;

	s->probe = NULL;
	if (d->result == RADCLIENT_RESULT_REPLY) {
		s->st.probe_answers++;
		return; /* the answer already revived it (rx path) */
	}
	if (radclient_server_dead(s))
		srv_probe_arm(s);
}

static void probe_fire(void *arg)
{
	struct rc_server *s = arg;
	struct radclient *rc = s->rc;

	if (!radclient_server_dead(s) || s->probe)
		return;
	struct radclient_req *q = radclient_req_new(rc, RC_REQ_PROBE, probe_done, s);

	if (!q)
		return;
	s->probe = q;
	s->st.probes++;
	q->srv = s;
	radclient_req_start(q);
}

static void srv_probe_arm(struct rc_server *s)
{
	if (s->rc->cfg.status_server && radclient_server_dead(s))
		timer_add_ms(&s->probe_timer, s->rc->cfg.probe_interval_ms);
}

static void srv_revert(void *arg)
{
	radclient_server_fsm(arg, RC_SRV_EVT_REVERT);
}

/* ------------------------------------------------------------ configuration */

static void resolve_cfg(struct radclient_cfg *c)
{
	if (!c->revert_interval_s)
		c->revert_interval_s = RADCLIENT_DEF_REVERT_S;
	if (!c->backoff_max_ms)
		c->backoff_max_ms = RADCLIENT_DEF_BACKOFF_MAX_MS;
	if (!c->nsockets)
		c->nsockets = RADCLIENT_DEF_NSOCKETS;
	if (c->nsockets > RADCLIENT_MAX_SOCKETS)
		c->nsockets = RADCLIENT_MAX_SOCKETS;
	if (!c->max_queued)
		c->max_queued = RADCLIENT_DEF_MAX_QUEUED;
	if (!c->probe_interval_ms)
		c->probe_interval_ms = RADCLIENT_DEF_PROBE_INTERVAL_MS;
	if (c->n_auth > RADCLIENT_MAX_SERVERS)
		c->n_auth = RADCLIENT_MAX_SERVERS;
	if (c->n_acct > RADCLIENT_MAX_SERVERS)
		c->n_acct = RADCLIENT_MAX_SERVERS;
}

static bool same_server(const struct radclient_server_cfg *a, const struct radclient_server_cfg *b)
{
	return strcmp(a->addr, b->addr) == 0 && a->port == b->port &&
	       strcmp(a->secret, b->secret) == 0 && strcmp(a->source, b->source) == 0;
}

/* Validates and resolves one server; NULL (logged) when the addresses do not parse. */
static struct rc_server *server_new(struct radclient *rc, const struct radclient_server_cfg *c,
                                    bool acct, int index)
{
	struct rc_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->rc = rc;
	s->cfg = *c;
	s->cfg.addr[sizeof(s->cfg.addr) - 1] = '\0';
	s->cfg.secret[sizeof(s->cfg.secret) - 1] = '\0';
	s->cfg.source[sizeof(s->cfg.source) - 1] = '\0';
	if (!s->cfg.port)
		s->cfg.port = acct ? RADIUS_PORT_ACCT : RADIUS_PORT_AUTH;
	if (!s->cfg.timeout_ms)
		s->cfg.timeout_ms = RADCLIENT_DEF_TIMEOUT_MS;
	if (!s->cfg.retry)
		s->cfg.retry = RADCLIENT_DEF_RETRY;
	if (!s->cfg.max_outstanding)
		s->cfg.max_outstanding = RADCLIENT_DEF_MAX_OUTSTANDING;
	TAILQ_INIT(&s->wait);
	s->acct = acct;
	s->index = index;
	struct sockaddr_storage src;
	socklen_t srclen;

	if (radclient_parse_addr(s->cfg.addr, s->cfg.port, &s->sa, &s->salen) != 0 ||
	    (s->cfg.source[0] && (radclient_parse_addr(s->cfg.source, 0, &src, &srclen) != 0 ||
	                          src.ss_family != s->sa.ss_family))) {
		log_warnx("radius: bad server address %s (source %s)", s->cfg.addr,
		          s->cfg.source[0] ? s->cfg.source : "any");
		free(s);
		return NULL;
	}
	if (!s->cfg.secret[0]) {
		log_warnx("radius: server %s has no secret", s->cfg.addr);
		free(s);
		return NULL;
	}
	fsm_inst_init(&srv_fsm_def, &s->fsm, RADCLIENT_SERVER_UP, NULL);
	timer_init(&s->revert_timer, rc->base, srv_revert, s);
	timer_init(&s->probe_timer, rc->base, probe_fire, s);
	return s;
}

static void server_free(struct rc_server *s)
{
	timer_del(&s->revert_timer);
	timer_del(&s->probe_timer);
	free(s);
}

static int build_list(struct radclient *rc, const struct radclient_server_cfg *cfgs, size_t n,
                      bool acct, struct rc_server **old, size_t nold, struct rc_server **out,
                      bool *kept)
{
	for (size_t i = 0; i < n; i++) {
		out[i] = NULL;
		for (size_t j = 0; j < nold; j++) {
			if (!kept[j] && old[j] && same_server(&old[j]->cfg, &cfgs[i])) {
				/* Keep state and counters; timers may change. */
				struct rc_server *tmp = server_new(rc, &cfgs[i], acct, (int)i);

				if (!tmp)
					return -1;
				old[j]->cfg.timeout_ms = tmp->cfg.timeout_ms;
				old[j]->cfg.retry = tmp->cfg.retry;
				old[j]->cfg.max_outstanding = tmp->cfg.max_outstanding;
				old[j]->index = (int)i;
				server_free(tmp);
				out[i] = old[j];
				kept[j] = true;
				break;
			}
		}
		if (!out[i] && !(out[i] = server_new(rc, &cfgs[i], acct, (int)i)))
			return -1;
	}
	return 0;
}

static int attach_pools(struct radclient *rc, struct rc_server **list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (list[i]->pool)
			continue;
		list[i]->pool = radclient_pool_get(rc, list[i]->sa.ss_family, list[i]->cfg.source);
		if (!list[i]->pool)
			return -1;
	}
	return 0;
}

int radclient_configure(struct radclient *rc, const struct radclient_cfg *cfg_in)
{
	static const struct radclient_cfg none;
	/* NULL: the profile went away; every pending request ends as server-fail. */
	struct radclient_cfg cfg = cfg_in ? *cfg_in : none;
	struct rc_server *na[RADCLIENT_MAX_SERVERS] = {0}, *nc[RADCLIENT_MAX_SERVERS] = {0};
	bool kept_a[RADCLIENT_MAX_SERVERS] = {0}, kept_c[RADCLIENT_MAX_SERVERS] = {0};

	resolve_cfg(&cfg);
	cfg.nas_identifier[sizeof(cfg.nas_identifier) - 1] = '\0';
	if (build_list(rc, cfg.auth, cfg.n_auth, false, rc->auth, rc->n_auth, na, kept_a) != 0 ||
	    build_list(rc, cfg.acct, cfg.n_acct, true, rc->acct, rc->n_acct, nc, kept_c) != 0)
		goto fail;
	/* The socket count is fixed once pools exist (slots are held by pending requests). */
	if (rc->npools)
		cfg.nsockets = rc->cfg.nsockets;
	rc->cfg = cfg;
	if (attach_pools(rc, na, cfg.n_auth) != 0 || attach_pools(rc, nc, cfg.n_acct) != 0)
		goto fail_pools;

	/* Requests on a server that goes away restart on the new list. */
	struct rc_server *gone[2 * RADCLIENT_MAX_SERVERS];
	size_t ngone = 0;

	for (size_t j = 0; j < rc->n_auth; j++)
		if (!kept_a[j])
			gone[ngone++] = rc->auth[j];
	for (size_t j = 0; j < rc->n_acct; j++)
		if (!kept_c[j])
			gone[ngone++] = rc->acct[j];
	memcpy(rc->auth, na, sizeof(na));
	rc->n_auth = cfg.n_auth;
	memcpy(rc->acct, nc, sizeof(nc));
	rc->n_acct = cfg.n_acct;

	struct radclient_req *q, *tmp;

	for (q = TAILQ_FIRST(&rc->all); q; q = tmp) {
		tmp = TAILQ_NEXT(q, allink);
		bool moved = false;

		for (size_t g = 0; g < ngone; g++)
			moved |= q->srv == gone[g];
		if (q->done || !q->srv)
			continue;
		/* Server indexes changed: what was tried is forgotten except the current one. */
		q->tried = moved ? 0 : 1u << q->srv->index;
		if (!moved)
			continue;
		timer_del(&q->timer);
		if (q->kind == RC_REQ_PROBE) {
			q->srv = NULL;
			radclient_req_free(q);
			continue;
		}
		radclient_req_unqueue(q);
		/* The server goes with its window: nothing to give back. */
		q->counted = false;
		q->srv = NULL;
		radclient_req_next_server(q, RADCLIENT_RESULT_ALL_DEAD);
	}
	for (size_t g = 0; g < ngone; g++)
		server_free(gone[g]);
	for (size_t i = 0; i < rc->n_auth; i++)
		radclient_server_pump(rc->auth[i]);
	for (size_t i = 0; i < rc->n_acct; i++)
		radclient_server_pump(rc->acct[i]);
	return 0;
fail_pools:
	/* Keep the old servers; the new pools stay open (reused on the next attempt). */
fail:
	for (size_t i = 0; i < RADCLIENT_MAX_SERVERS; i++) {
		bool old_a = false, old_c = false;

		for (size_t j = 0; j < rc->n_auth; j++)
			old_a |= na[i] == rc->auth[j];
		for (size_t j = 0; j < rc->n_acct; j++)
			old_c |= nc[i] == rc->acct[j];
		if (na[i] && !old_a)
			server_free(na[i]);
		if (nc[i] && !old_c)
			server_free(nc[i]);
	}
	/* Indexes of kept servers were rewritten: put them back. */
	for (size_t j = 0; j < rc->n_auth; j++)
		rc->auth[j]->index = (int)j;
	for (size_t j = 0; j < rc->n_acct; j++)
		rc->acct[j]->index = (int)j;
	return -1;
}

struct radclient *radclient_new(struct event_base *base, const struct radclient_cfg *cfg)
{
	struct radclient *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return NULL;
	rc->base = base;
	TAILQ_INIT(&rc->all);
	if (crypto_random(&rc->rng, sizeof(rc->rng)) != 0 || !rc->rng)
		rc->rng = 0x9e3779b97f4a7c15ull;
	if (radclient_configure(rc, cfg) != 0) {
		radclient_free(rc);
		return NULL;
	}
	return rc;
}

void radclient_free(struct radclient *rc)
{
	struct radclient_req *q;

	if (!rc)
		return;
	while ((q = TAILQ_FIRST(&rc->all)) != NULL) {
		q->done = true;
		q->sock = NULL; /* pools go below: do not pump */
		q->id = -1;
		q->queued = false;
		timer_del(&q->timer);
		TAILQ_REMOVE(&rc->all, q, allink);
		free(q->pkt);
		free(q->blob);
		free(q);
	}
	for (size_t i = 0; i < rc->n_auth; i++)
		server_free(rc->auth[i]);
	for (size_t i = 0; i < rc->n_acct; i++)
		server_free(rc->acct[i]);
	for (size_t i = 0; i < rc->npools; i++)
		radclient_pool_free(rc->pools[i]);
	free(rc);
}

/* -------------------------------------------------------------------- stats */

void radclient_stats(const struct radclient *rc, struct radclient_stats *out)
{
	*out = rc->st;
}

uint64_t radclient_kernel_drops(const struct radclient *rc)
{
	uint64_t n = 0;

	for (size_t i = 0; rc && i < rc->npools; i++)
		for (size_t j = 0; j < rc->pools[i]->nsocks; j++) {
			uint32_t mi[SK_MEMINFO_VARS];
			socklen_t len = sizeof(mi);

			if (rc->pools[i]->socks[j].fd >= 0 &&
			    getsockopt(rc->pools[i]->socks[j].fd, SOL_SOCKET, SO_MEMINFO, mi,
			               &len) == 0 &&
			    len > SK_MEMINFO_DROPS * sizeof(mi[0]))
				n += mi[SK_MEMINFO_DROPS];
		}
	return n;
}

size_t radclient_server_count(const struct radclient *rc)
{
	return rc->n_auth + rc->n_acct;
}

bool radclient_server_stats(const struct radclient *rc, size_t i,
                            struct radclient_server_stats *out)
{
	const struct rc_server *s;

	if (i < rc->n_auth)
		s = rc->auth[i];
	else if (i < rc->n_auth + rc->n_acct)
		s = rc->acct[i - rc->n_auth];
	else
		return false;
	*out = s->st;
	snprintf(out->addr, sizeof(out->addr), "%s", s->cfg.addr);
	out->port = s->cfg.port;
	out->accounting = s->acct;
	out->state = (enum radclient_server_state)s->fsm.state;
	out->outstanding = s->outstanding;
	out->max_outstanding = s->cfg.max_outstanding;
	out->dead_for_s =
	        radclient_server_dead(s) ? (uint32_t)((mono_ms() - s->dead_since_ms) / 1000) : 0;
	return true;
}

static void clear_server(struct rc_server *s)
{
	uint32_t pending = s->st.pending, waiting = s->st.waiting;

	memset(&s->st, 0, sizeof(s->st));
	s->st.pending = pending;
	s->st.waiting = waiting;
}

void radclient_stats_clear(struct radclient *rc)
{
	uint32_t in_flight = rc->st.in_flight, queued = rc->st.queued, slots = rc->st.slots;

	memset(&rc->st, 0, sizeof(rc->st));
	rc->st.in_flight = in_flight;
	rc->st.queued = queued;
	rc->st.slots = slots;
	for (size_t i = 0; i < rc->n_auth; i++)
		clear_server(rc->auth[i]);
	for (size_t i = 0; i < rc->n_acct; i++)
		clear_server(rc->acct[i]);
}
