/*
 * RADIUS client transport (see radclient.h for the contract, radclient_priv.h for the
 * objects): Identifier pools, requests (encode, retransmit with backoff, fail over,
 * complete), the per-server window, receiving and verifying replies.
 * radclient_server.c holds the servers' state, configuration and counters.
 */
#include "daemons/dot1xd/radclient_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/crypto.h"
#include "lib/log.h"

/* ------------------------------------------------------------------ names */

static const char *const result_names[RADCLIENT_RESULT_COUNT] = {
        [RADCLIENT_RESULT_REPLY] = "reply",
        [RADCLIENT_RESULT_TIMEOUT] = "timeout",
        [RADCLIENT_RESULT_ALL_DEAD] = "all-servers-dead",
        [RADCLIENT_RESULT_ERROR] = "error",
};

static const char *const drop_names[RADCLIENT_DROP_COUNT] = {
        [RADCLIENT_DROP_MALFORMED] = "malformed",
        [RADCLIENT_DROP_UNKNOWN_ID] = "unknown-id",
        [RADCLIENT_DROP_WRONG_SOURCE] = "wrong-source",
        [RADCLIENT_DROP_CODE] = "unexpected-code",
        [RADCLIENT_DROP_NO_MA] = "no-message-authenticator",
        [RADCLIENT_DROP_BAD_MA] = "bad-message-authenticator",
        [RADCLIENT_DROP_BAD_AUTH] = "bad-response-authenticator",
        [RADCLIENT_DROP_DUPLICATE] = "duplicate-attribute",
        [RADCLIENT_DROP_PROXY_STATE] = "proxy-state",
};

const char *radclient_result_name(enum radclient_result r)
{
	return (unsigned)r < RADCLIENT_RESULT_COUNT ? result_names[r] : "?";
}

const char *radclient_drop_name(enum radclient_drop d)
{
	return (unsigned)d < RADCLIENT_DROP_COUNT ? drop_names[d] : "?";
}

/* ------------------------------------------------------------------ helpers */

int radclient_parse_addr(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	if (inet_pton(AF_INET, s, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

static bool same_sockaddr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static uint32_t rc_rand(struct radclient *rc)
{
	/* xorshift64: jitter only, never security. */
	rc->rng ^= rc->rng << 13;
	rc->rng ^= rc->rng >> 7;
	rc->rng ^= rc->rng << 17;
	return (uint32_t)(rc->rng >> 32);
}

/* Junos gives a server timeout x (retry + 1) before failing over: RFC 5080's MRD. */
static uint64_t budget_us(const struct rc_server *s)
{
	return (uint64_t)s->cfg.timeout_ms * 1000 * ((uint64_t)s->cfg.retry + 1);
}

/*
 * RFC 5080 §2.2.1: the wait doubles per retransmission up to MRT (backoff_max), with a random
 * factor so a burst of requests does not retransmit in lock step (here +-1/8), and the last
 * one ends with the server's budget (MRD).
 */
static uint64_t wait_ms(struct radclient_req *q)
{
	struct radclient *rc = q->rc;
	uint64_t t = q->srv->cfg.timeout_ms;
	uint64_t cap = rc->cfg.backoff_max_ms > t ? rc->cfg.backoff_max_ms : t;

	for (uint32_t i = 1; i < q->tries_on_srv && t < cap; i++)
		t *= 2;
	if (t > cap)
		t = cap;
	uint64_t j = t / 4;

	if (j)
		t = t - j / 2 + rc_rand(rc) % (j + 1);
	uint64_t used_ms = (mono_us() - q->srv_start_us) / 1000;
	uint64_t budget_ms = budget_us(q->srv) / 1000;

	if (used_ms + t > budget_ms)
		t = budget_ms > used_ms ? budget_ms - used_ms : 0;
	return t ? t : 1;
}

static void count_drop(struct radclient *rc, struct rc_server *s, enum radclient_drop d)
{
	rc->st.drops[d]++;
	if (s)
		s->st.drops[d]++;
	log_debug("radius: reply from %s dropped: %s", s ? s->cfg.addr : "unknown source",
	          drop_names[d]);
}

static struct rc_server *server_by_addr(struct radclient *rc, const struct sockaddr_storage *ss)
{
	for (size_t i = 0; i < rc->n_auth; i++)
		if (same_sockaddr(&rc->auth[i]->sa, ss))
			return rc->auth[i];
	for (size_t i = 0; i < rc->n_acct; i++)
		if (same_sockaddr(&rc->acct[i]->sa, ss))
			return rc->acct[i];
	return NULL;
}

/* -------------------------------------------------------------------- pools */

static void sock_read(evutil_socket_t fd, short what, void *arg);

void radclient_pool_free(struct rc_pool *p)
{
	for (size_t i = 0; i < p->nsocks; i++) {
		event_del(&p->socks[i].ev);
		close(p->socks[i].fd);
	}
	free(p->socks);
	free(p);
}

struct rc_pool *radclient_pool_get(struct radclient *rc, int family, const char *source)
{
	for (size_t i = 0; i < rc->npools; i++)
		if (rc->pools[i]->family == family && strcmp(rc->pools[i]->source, source) == 0)
			return rc->pools[i];
	if (rc->npools == RC_MAX_POOLS)
		return NULL;

	struct rc_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->rc = rc;
	p->family = family;
	snprintf(p->source, sizeof(p->source), "%s", source);
	TAILQ_INIT(&p->queue);
	p->socks = calloc(rc->cfg.nsockets, sizeof(*p->socks));
	if (!p->socks) {
		free(p);
		return NULL;
	}
	struct sockaddr_storage bind_sa;
	socklen_t bind_len;

	if (source[0]) {
		if (radclient_parse_addr(source, 0, &bind_sa, &bind_len) != 0 ||
		    bind_sa.ss_family != family)
			goto fail;
	} else {
		memset(&bind_sa, 0, sizeof(bind_sa));
		bind_sa.ss_family = (sa_family_t)family;
		bind_len = family == AF_INET ? sizeof(struct sockaddr_in)
		                             : sizeof(struct sockaddr_in6);
	}
	for (size_t i = 0; i < rc->cfg.nsockets; i++) {
		struct rc_sock *k = &p->socks[i];
		int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
		int buf = RC_RCVBUF;

		if (fd < 0) {
			log_warn("radius: socket");
			goto fail;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		/* Port 0: each socket gets its own source port, its own Identifier space. */
		if (bind(fd, (struct sockaddr *)&bind_sa, bind_len) != 0) {
			log_warn("radius: bind %s", source[0] ? source : "(any)");
			close(fd);
			goto fail;
		}
		k->fd = fd;
		k->pool = p;
		event_assign(&k->ev, rc->base, fd, EV_READ | EV_PERSIST, sock_read, k);
		event_add(&k->ev, NULL);
		p->nsocks++;
		rc->st.slots += 256;
	}
	rc->pools[rc->npools++] = p;
	return p;
fail:
	rc->st.slots -= (uint32_t)(256 * p->nsocks);
	radclient_pool_free(p);
	return NULL;
}

/* Takes the next free Identifier, round robin over the sockets; false when all are in use. */
static bool slot_take(struct rc_pool *p, struct radclient_req *q)
{
	for (size_t n = 0; n < p->nsocks; n++) {
		struct rc_sock *k = &p->socks[(p->next_sock + n) % p->nsocks];

		if (k->used >= 256)
			continue;
		/* Rotate, so a just-freed Identifier is the last to be reused. */
		for (int i = 0; i < 256; i++) {
			uint8_t id = (uint8_t)(k->next_id + i);

			if (k->slot[id])
				continue;
			k->slot[id] = q;
			k->used++;
			k->next_id = (uint8_t)(id + 1);
			q->sock = k;
			q->id = id;
			p->next_sock = (p->next_sock + n + 1) % p->nsocks;
			q->rc->st.in_flight++;
			return true;
		}
	}
	return false;
}

static void pool_pump(struct rc_pool *p)
{
	struct radclient_req *q;

	while ((q = TAILQ_FIRST(&p->queue)) != NULL) {
		if (!slot_take(p, q))
			return;
		TAILQ_REMOVE(&p->queue, q, qlink);
		q->queued = false;
		p->nqueued--;
		p->rc->st.queued--;
		radclient_req_start(q);
	}
}

static void slot_release(struct radclient_req *q)
{
	if (q->id < 0)
		return;
	struct rc_sock *k = q->sock;

	k->slot[q->id] = NULL;
	k->used--;
	q->id = -1;
	q->sock = NULL;
	q->rc->st.in_flight--;
}

void radclient_req_unqueue(struct radclient_req *q)
{
	if (q->srv_waiting) {
		TAILQ_REMOVE(&q->srv->wait, q, qlink);
		q->srv_waiting = false;
		q->srv->st.waiting--;
		q->rc->st.queued--;
		return;
	}
	if (!q->queued)
		return;
	struct rc_pool *p = q->srv->pool;

	TAILQ_REMOVE(&p->queue, q, qlink);
	q->queued = false;
	p->nqueued--;
	q->rc->st.queued--;
}

/* ----------------------------------------------------------------- requests */

void radclient_req_free(struct radclient_req *q)
{
	struct radclient *rc = q->rc;
	struct rc_pool *pool = q->sock ? q->sock->pool : NULL;

	timer_del(&q->timer);
	radclient_req_unqueue(q);
	slot_release(q);
	TAILQ_REMOVE(&rc->all, q, allink);
	if (q->kind == RC_REQ_PROBE && q->srv && q->srv->probe == q)
		q->srv->probe = NULL;
	free(q->pkt);
	free(q->blob);
	free(q);
	if (pool)
		pool_pump(pool);
}

static void req_complete(struct radclient_req *q, enum radclient_result res, uint8_t code,
                         const struct radius_reply *reply, uint32_t rtt_us)
{
	struct radclient_done d = {
	        .result = res,
	        .reply = reply,
	        .code = code,
	        .server = res == RADCLIENT_RESULT_REPLY && q->srv ? q->srv->index : -1,
	        .rtt_us = rtt_us,
	        .transmissions = q->transmissions,
	};

	struct rc_pool *pool = q->sock ? q->sock->pool : NULL;

	q->done = true;
	if (q->kind != RC_REQ_PROBE)
		q->rc->st.completed[res]++;
	/* Free the slot first so the callback's own new requests can use it. */
	timer_del(&q->timer);
	slot_release(q);
	if (q->cb)
		q->cb(q, &d, q->arg);
	radclient_req_free(q);
	if (pool)
		pool_pump(pool);
}

/* The next server in configured order that is neither dead nor tried by this request. */
static struct rc_server *pick_server(struct radclient_req *q)
{
	struct radclient *rc = q->rc;
	struct rc_server **list = q->kind == RC_REQ_ACCT ? rc->acct : rc->auth;
	size_t n = q->kind == RC_REQ_ACCT ? rc->n_acct : rc->n_auth;

	for (size_t i = 0; i < n; i++)
		if (!radclient_server_dead(list[i]) && !(q->tried & (1u << i)))
			return list[i];
	return NULL;
}

static int req_encode(struct radclient_req *q)
{
	struct radclient *rc = q->rc;
	struct rc_server *s = q->srv;
	size_t secret_len = strlen(s->cfg.secret);
	size_t len = 0;
	enum radius_err e;

	switch (q->kind) {
	case RC_REQ_ACCESS:
		/* RFC 2865 §3: a new, unpredictable authenticator for every new request. */
		if (crypto_random(q->auth, sizeof(q->auth)) != 0)
			return -1;
		q->access.id = (uint8_t)q->id;
		memcpy(q->access.auth, q->auth, RADIUS_AUTH_LEN);
		e = radius_access_request_encode(&q->access, s->cfg.secret, secret_len, rc->scratch,
		                                 sizeof(rc->scratch), &len);
		break;
	case RC_REQ_ACCT:
		q->acct.id = (uint8_t)q->id;
		/* RFC 2866 §5.2: the time this record has been waiting, set per new datagram. */
		q->acct.delay_time =
		        q->delay_base + (uint32_t)((mono_us() - q->submitted_us) / 1000000);
		e = radius_acct_request_encode(&q->acct, s->cfg.secret, secret_len, rc->scratch,
		                               sizeof(rc->scratch), &len);
		if (e == RADIUS_OK)
			memcpy(q->auth, rc->scratch + 4, RADIUS_AUTH_LEN);
		break;
	default:
		if (crypto_random(q->auth, sizeof(q->auth)) != 0)
			return -1;
		e = radius_status_server_encode(
		        (uint8_t)q->id, q->auth,
		        rc->cfg.nas_identifier[0] ? rc->cfg.nas_identifier : NULL, s->cfg.secret,
		        secret_len, rc->scratch, sizeof(rc->scratch), &len);
		break;
	}
	if (e != RADIUS_OK) {
		log_warnx("radius: cannot encode request for %s: %s", s->cfg.addr,
		          radius_err_name(e));
		return -1;
	}
	uint8_t *pkt = realloc(q->pkt, len);

	if (!pkt)
		return -1;
	memcpy(pkt, rc->scratch, len);
	q->pkt = pkt;
	q->pkt_len = len;
	return 0;
}

static void req_transmit(struct radclient_req *q)
{
	struct rc_server *s = q->srv;

	q->tries_on_srv++;
	q->transmissions++;
	if (q->tries_on_srv == 1)
		q->srv_start_us = mono_us();
	/* Status-Server probes have their own counters. */
	if (q->kind != RC_REQ_PROBE) {
		if (q->tries_on_srv == 1)
			s->st.requests++;
		else
			s->st.retransmissions++;
	}
	if (sendto(q->sock->fd, q->pkt, q->pkt_len, 0, (struct sockaddr *)&s->sa, s->salen) < 0) {
		/* The timer retransmits: a full socket buffer is a loss like any other. */
		q->rc->st.send_errors++;
		log_debug("radius: sendto %s: %s", s->cfg.addr, strerror(errno));
	}
	timer_add_ms(&q->timer, wait_ms(q));
}

/*
 * q->srv is set; wait for the server's window, take a slot in its pool (or queue), encode
 * and send.
 */
void radclient_req_start(struct radclient_req *q)
{
	struct rc_server *s = q->srv;
	struct rc_pool *p = s->pool;
	struct rc_pool *old = NULL;

	q->tries_on_srv = 0;
	if (q->id >= 0 && (q->sock->pool != p || s->outstanding >= s->cfg.max_outstanding)) {
		old = q->sock->pool;
		slot_release(q);
	}
	/*
	 * A burst beyond what the server's socket buffer holds is lost there and comes back as
	 * retransmissions seconds later (FreeRADIUS: about 200 datagrams); waiting here costs
	 * microseconds. Probes skip the window: they go to dead servers only.
	 */
	if (s->outstanding >= s->cfg.max_outstanding && q->kind != RC_REQ_PROBE) {
		TAILQ_INSERT_TAIL(&s->wait, q, qlink);
		q->srv_waiting = true;
		s->st.waiting++;
		q->rc->st.queued++;
		q->rc->st.queued_total++;
		if (old)
			pool_pump(old);
		return;
	}
	q->srv->st.pending++;
	if (q->id < 0 && !slot_take(p, q)) {
		q->srv->st.pending--;
		TAILQ_INSERT_TAIL(&p->queue, q, qlink);
		q->queued = true;
		p->nqueued++;
		q->rc->st.queued++;
		q->rc->st.queued_total++;
	} else if (req_encode(q) != 0) {
		q->srv->st.pending--;
		req_complete(q, RADCLIENT_RESULT_ERROR, 0, NULL, 0);
	} else {
		s->outstanding++;
		q->counted = true;
		req_transmit(q);
	}
	if (old)
		pool_pump(old);
}

static void req_leave_server(struct radclient_req *q)
{
	if (!q->srv)
		return;
	if (q->counted) {
		q->srv->outstanding--;
		q->counted = false;
	}
	if (!q->queued && !q->srv_waiting && q->srv->st.pending)
		q->srv->st.pending--;
}

/* Requests waiting for the server's window, as far as it has room now. */
void radclient_server_pump(struct rc_server *s)
{
	struct radclient_req *q;

	while (s->outstanding < s->cfg.max_outstanding && (q = TAILQ_FIRST(&s->wait)) != NULL) {
		TAILQ_REMOVE(&s->wait, q, qlink);
		q->srv_waiting = false;
		s->st.waiting--;
		q->rc->st.queued--;
		radclient_req_start(q);
	}
}

static void req_deferred_cb(void *arg)
{
	struct radclient_req *q = arg;

	req_complete(q, q->deferred, 0, NULL, 0);
}

/* Go to the next usable server, or finish with `none` when there is none. */
void radclient_req_next_server(struct radclient_req *q, enum radclient_result none)
{
	struct rc_server *s = q->kind == RC_REQ_PROBE ? NULL : pick_server(q);

	if (!s) {
		req_complete(q, none, 0, NULL, 0);
		return;
	}
	q->srv = s;
	q->tried |= 1u << s->index;
	radclient_req_start(q);
}

static void req_timeout(void *arg)
{
	struct radclient_req *q = arg;
	struct rc_server *s = q->srv;

	/* RFC 5080 §2.2.1: retransmit until MRC (retry) or MRD (the budget) is reached. */
	if (q->tries_on_srv <= s->cfg.retry && mono_us() - q->srv_start_us + 1000 < budget_us(s)) {
		req_transmit(q);
		return;
	}
	if (q->kind != RC_REQ_PROBE)
		s->st.timeouts++;
	req_leave_server(q);
	/*
	 * Junos: a server that does not answer is marked unreachable. Only when it stayed
	 * silent for this whole request: one lost datagram on a busy server proves nothing.
	 */
	if (s->last_answer_us < q->srv_start_us)
		radclient_server_fsm(s, RC_SRV_EVT_SILENT);
	radclient_req_next_server(q, RADCLIENT_RESULT_TIMEOUT);
	radclient_server_pump(s);
}

struct radclient_req *radclient_req_new(struct radclient *rc, int kind, radclient_cb cb, void *arg)
{
	struct radclient_req *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->rc = rc;
	q->kind = kind;
	q->cb = cb;
	q->arg = arg;
	q->id = -1;
	q->submitted_us = mono_us();
	timer_init(&q->timer, rc->base, req_timeout, q);
	TAILQ_INSERT_TAIL(&rc->all, q, allink);
	return q;
}

static struct radclient_req *req_submit(struct radclient_req *q)
{
	struct radclient *rc = q->rc;
	struct rc_server *s = pick_server(q);

	rc->st.requests++;
	if (!s) {
		/* Server-fail without waiting; the callback runs from the loop, not from here. */
		q->deferred = RADCLIENT_RESULT_ALL_DEAD;
		timer_init(&q->timer, rc->base, req_deferred_cb, q);
		timer_add_ms(&q->timer, 0);
		return q;
	}
	q->srv = s;
	q->tried |= 1u << s->index;
	radclient_req_start(q);
	return q;
}

/* Copies n bytes into the blob at *off; returns the copy (NULL for n == 0). */
static const void *blob_put(uint8_t *blob, size_t *off, const void *src, size_t n)
{
	if (!n || !src)
		return NULL;
	void *dst = blob + *off;

	memcpy(dst, src, n);
	*off += n;
	return dst;
}

static const char *blob_str(uint8_t *blob, size_t *off, const char *s)
{
	if (!s)
		return NULL;
	return blob_put(blob, off, s, strnlen(s, RADIUS_ATTR_MAX) + 1);
}

static size_t str_size(const char *s)
{
	return s ? strnlen(s, RADIUS_ATTR_MAX) + 1 : 0;
}

struct radclient_req *radclient_access(struct radclient *rc, const struct radius_access_req *r,
                                       radclient_cb cb, void *arg)
{
	size_t len;

	/* Refuse what radius.c would refuse now, not on some later failover. */
	if (radius_access_request_encode(r, "x", 1, rc->scratch, sizeof(rc->scratch), &len) !=
	    RADIUS_OK) {
		log_warnx("radius: access request refused (bad attributes)");
		return NULL;
	}
	if (rc->st.queued >= rc->cfg.max_queued) {
		rc->st.queue_full++;
		return NULL;
	}
	struct radclient_req *q = radclient_req_new(rc, RC_REQ_ACCESS, cb, arg);

	if (!q)
		return NULL;
	size_t need = r->user_name_len + r->password_len + r->eap_len + r->state_len +
	              str_size(r->nas_identifier) + str_size(r->nas_port_id) +
	              str_size(r->acct_session_id) + 1;
	size_t off = 0;

	q->blob = malloc(need);
	if (!q->blob) {
		radclient_req_free(q);
		return NULL;
	}
	q->access = *r;
	q->access.user_name = blob_put(q->blob, &off, r->user_name, r->user_name_len);
	q->access.password = blob_put(q->blob, &off, r->password, r->password_len);
	q->access.eap = blob_put(q->blob, &off, r->eap, r->eap_len);
	q->access.state = blob_put(q->blob, &off, r->state, r->state_len);
	q->access.nas_identifier = blob_str(q->blob, &off, r->nas_identifier);
	q->access.nas_port_id = blob_str(q->blob, &off, r->nas_port_id);
	q->access.acct_session_id = blob_str(q->blob, &off, r->acct_session_id);
	return req_submit(q);
}

struct radclient_req *radclient_acct(struct radclient *rc, const struct radius_acct_req *r,
                                     radclient_cb cb, void *arg)
{
	size_t len;

	if (radius_acct_request_encode(r, "x", 1, rc->scratch, sizeof(rc->scratch), &len) !=
	    RADIUS_OK) {
		log_warnx("radius: accounting request refused (bad attributes)");
		return NULL;
	}
	if (rc->st.queued >= rc->cfg.max_queued) {
		rc->st.queue_full++;
		return NULL;
	}
	struct radclient_req *q = radclient_req_new(rc, RC_REQ_ACCT, cb, arg);

	if (!q)
		return NULL;
	size_t need = str_size(r->session_id) + r->user_name_len + str_size(r->nas_identifier) +
	              str_size(r->nas_port_id) + r->nclass * sizeof(struct radius_bytes) + 1;
	size_t off = 0;

	q->blob = malloc(need);
	if (!q->blob) {
		radclient_req_free(q);
		return NULL;
	}
	q->acct = *r;
	q->delay_base = r->delay_time;
	q->acct.session_id = blob_str(q->blob, &off, r->session_id);
	q->acct.user_name = blob_put(q->blob, &off, r->user_name, r->user_name_len);
	q->acct.nas_identifier = blob_str(q->blob, &off, r->nas_identifier);
	q->acct.nas_port_id = blob_str(q->blob, &off, r->nas_port_id);
	q->acct.class_ = blob_put(q->blob, &off, r->class_, r->nclass * sizeof(*r->class_));
	return req_submit(q);
}

void radclient_cancel(struct radclient_req *q)
{
	if (!q || q->done)
		return;
	struct rc_server *s = q->srv;

	q->rc->st.cancelled++;
	req_leave_server(q);
	radclient_req_free(q);
	if (s)
		radclient_server_pump(s);
}

/* ---------------------------------------------------------------- receiving */

static enum radclient_drop drop_for(enum radius_err e)
{
	switch (e) {
	case RADIUS_ERR_MA_MISSING:
		return RADCLIENT_DROP_NO_MA;
	case RADIUS_ERR_MA_LEN:
	case RADIUS_ERR_MA_BAD:
		return RADCLIENT_DROP_BAD_MA;
	case RADIUS_ERR_AUTHENTICATOR:
		return RADCLIENT_DROP_BAD_AUTH;
	case RADIUS_ERR_DUP:
		return RADCLIENT_DROP_DUPLICATE;
	case RADIUS_ERR_PROXY_STATE:
		return RADCLIENT_DROP_PROXY_STATE;
	case RADIUS_ERR_CODE:
		return RADCLIENT_DROP_CODE;
	default:
		return RADCLIENT_DROP_MALFORMED;
	}
}

static bool code_answers(const struct radclient_req *q, uint8_t code)
{
	switch (q->kind) {
	case RC_REQ_ACCESS:
		return code == RADIUS_CODE_ACCESS_ACCEPT || code == RADIUS_CODE_ACCESS_REJECT ||
		       code == RADIUS_CODE_ACCESS_CHALLENGE;
	case RC_REQ_ACCT:
		return code == RADIUS_CODE_ACCOUNTING_RESPONSE;
	default:
		/* RFC 5997 §3: Access-Accept from an auth port, Accounting-Response from acct. */
		return code ==
		       (q->srv->acct ? RADIUS_CODE_ACCOUNTING_RESPONSE : RADIUS_CODE_ACCESS_ACCEPT);
	}
}

static void rx_one(struct rc_sock *k, const uint8_t *buf, size_t n,
                   const struct sockaddr_storage *from)
{
	struct radclient *rc = k->pool->rc;
	struct radius_pkt pkt;
	struct radclient_req *q;
	enum radius_err e;

	if (radius_decode(buf, n, &pkt) != RADIUS_OK) {
		count_drop(rc, server_by_addr(rc, from), RADCLIENT_DROP_MALFORMED);
		return;
	}
	q = k->slot[pkt.id];
	if (!q) {
		count_drop(rc, server_by_addr(rc, from), RADCLIENT_DROP_UNKNOWN_ID);
		return;
	}
	struct rc_server *s = q->srv;

	/* RFC 2865 §3: a reply is matched on source address and port as well. */
	if (!same_sockaddr(from, &s->sa)) {
		count_drop(rc, server_by_addr(rc, from), RADCLIENT_DROP_WRONG_SOURCE);
		return;
	}
	if (!code_answers(q, pkt.code)) {
		count_drop(rc, s, RADCLIENT_DROP_CODE);
		return;
	}
	size_t secret_len = strlen(s->cfg.secret);

	if (pkt.code == RADIUS_CODE_ACCOUNTING_RESPONSE) {
		e = radius_acct_response_verify(&pkt, q->auth, s->cfg.secret, secret_len);
	} else if (q->kind == RC_REQ_PROBE) {
		/*
		 * RFC 5997 §3 wants M-A in the answer, but FreeRADIUS 3.2.1 answers Status-Server
		 * with a bare 20-byte Access-Accept (verified). A probe answer grants no access,
		 * it only says the server is back: the Response Authenticator is enough, M-A is
		 * checked when present.
		 */
		e = pkt.ma_off ? radius_verify_ma(&pkt, q->auth, s->cfg.secret, secret_len)
		               : RADIUS_OK;
		if (e == RADIUS_OK)
			e = radius_verify_response_auth(&pkt, q->auth, s->cfg.secret, secret_len);
	} else {
		e = radius_reply_parse(&pkt, q->auth, s->cfg.secret, secret_len, &rc->reply);
	}
	if (e != RADIUS_OK) {
		count_drop(rc, s, drop_for(e));
		return;
	}
	uint64_t now = mono_us();
	uint32_t rtt = (uint32_t)(now - q->srv_start_us);

	s->last_answer_us = now;
	s->st.rtt_last_us = rtt;
	s->st.rtt_avg_us =
	        s->st.rtt_avg_us ? s->st.rtt_avg_us - s->st.rtt_avg_us / 8 + rtt / 8 : rtt;
	switch (pkt.code) {
	case RADIUS_CODE_ACCESS_ACCEPT:
		if (q->kind != RC_REQ_PROBE)
			s->st.accepts++;
		break;
	case RADIUS_CODE_ACCESS_REJECT:
		s->st.rejects++;
		break;
	case RADIUS_CODE_ACCESS_CHALLENGE:
		s->st.challenges++;
		break;
	default:
		if (q->kind != RC_REQ_PROBE)
			s->st.acct_responses++;
		break;
	}
	radclient_server_fsm(s, RC_SRV_EVT_ANSWER);
	req_leave_server(q);
	req_complete(q, RADCLIENT_RESULT_REPLY, pkt.code,
	             pkt.code == RADIUS_CODE_ACCOUNTING_RESPONSE ? NULL : &rc->reply, rtt);
	radclient_server_pump(s);
}

static void sock_read(evutil_socket_t fd, short what, void *arg)
{
	struct rc_sock *k = arg;
	uint8_t buf[RADIUS_MAX_LEN + 1];

	for (int i = 0; i < RC_RX_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("radius: recvfrom");
			return;
		}
		rx_one(k, buf, (size_t)n, &from);
	}
}
