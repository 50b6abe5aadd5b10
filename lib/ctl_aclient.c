/*
 * Asynchronous ctl client on libevent (lib/ctl.h): how daemons follow each
 * other (ribd <- bfdd, vland <- dot1xd, everyone <- clusterd).
 *
 * States: down (reconnect timer armed, backoff 100 ms doubling to 5 s) ->
 * connected (socket open, the kept subscriptions being renewed with one
 * "subscribe") -> up (state callback true). Losing the socket fails every
 * call in flight with status -1, reports down if it was up, and arms the
 * timer again.
 *
 * User callbacks run only from libevent callbacks, never from inside
 * ctl_acall()/ctl_asubscribe(): a send that fails there only schedules the
 * teardown. ctl_aclient_close() from inside a callback is deferred until that
 * callback returns (the `busy` count).
 */
#include "lib/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/paths.h"

#define ACL_BACKOFF_MIN_MS 100
#define ACL_BACKOFF_MAX_MS 5000
#define ACL_READ_BURST     32

struct acall {
	TAILQ_ENTRY(acall) entry;
	uint32_t id;
	ctl_areply_fn fn;
	void *arg;
};

struct asub {
	TAILQ_ENTRY(asub) entry;
	char topic[CTL_MAX_METHOD + 1];
	ctl_event_fn fn;
	void *arg;
};

struct amsg {
	STAILQ_ENTRY(amsg) entry;
	size_t len;
	uint8_t data[];
};

struct ctl_aclient {
	struct event_base *base;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_astate_fn state_fn;
	void *arg;
	int fd;
	struct event *ev_read;
	struct event *ev_write;
	struct event *ev_timer; /* (re)connect */
	struct event *ev_lost;  /* teardown requested outside a libevent callback */
	bool connected;
	bool up;
	bool broken;
	bool closing;
	unsigned busy;
	uint64_t backoff_ms;
	uint32_t next_id;
	TAILQ_HEAD(, acall) calls;
	TAILQ_HEAD(, asub) subs;
	STAILQ_HEAD(, amsg) outq;
	size_t outq_bytes;
	uint8_t rbuf[CTL_MAX_FRAME + 1];
	uint8_t pbuf[CTL_MAX_FRAME];
	uint8_t wbuf[CTL_MAX_FRAME];
};

static void ac_free(struct ctl_aclient *ac);

static void ac_enter(struct ctl_aclient *ac)
{
	ac->busy++;
}

/* Returns true when ac was freed. */
static bool ac_leave(struct ctl_aclient *ac)
{
	if (--ac->busy == 0 && ac->closing) {
		ac_free(ac);
		return true;
	}
	return false;
}

static void ac_flush_outq(struct ctl_aclient *ac)
{
	struct amsg *m;

	while ((m = STAILQ_FIRST(&ac->outq))) {
		STAILQ_REMOVE_HEAD(&ac->outq, entry);
		free(m);
	}
	ac->outq_bytes = 0;
}

static void ac_fail_calls(struct ctl_aclient *ac, const char *why)
{
	struct acall *call;

	while ((call = TAILQ_FIRST(&ac->calls))) {
		TAILQ_REMOVE(&ac->calls, call, entry);
		call->fn(-1, true, NULL, 0, why, call->arg);
		free(call);
	}
}

static void ac_socket_close(struct ctl_aclient *ac)
{
	if (ac->ev_read)
		event_free(ac->ev_read);
	if (ac->ev_write)
		event_free(ac->ev_write);
	ac->ev_read = ac->ev_write = NULL;
	if (ac->fd >= 0)
		close(ac->fd);
	ac->fd = -1;
	ac->connected = ac->up = ac->broken = false;
	ac_flush_outq(ac);
}

static void ac_schedule(struct ctl_aclient *ac, uint64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
	                     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	event_add(ac->ev_timer, &tv);
}

/* Arms the reconnect timer: delays 100, 200, 400 ... 5000 ms. */
static void ac_retry(struct ctl_aclient *ac)
{
	ac_schedule(ac, ac->backoff_ms);
	ac->backoff_ms *= 2;
	if (ac->backoff_ms > ACL_BACKOFF_MAX_MS)
		ac->backoff_ms = ACL_BACKOFF_MAX_MS;
}

/* Must run inside ac_enter/ac_leave: it calls user callbacks. */
static void ac_lost(struct ctl_aclient *ac, const char *why)
{
	bool was_up = ac->up;

	if (!ac->connected)
		return;
	log_debug("ctl client %s: connection lost: %s", ac->path, why);
	ac_socket_close(ac);
	/* after being up the delay starts again at 100 ms (ac_go_up reset it);
	 * dropped before coming up (e.g. the daemon is at CTL_MAX_CLIENTS), it
	 * keeps growing as for a failed connect */
	ac_retry(ac);
	ac_fail_calls(ac, why);
	if (was_up && ac->state_fn && !ac->closing)
		ac->state_fn(false, ac->arg);
}

static void ac_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_aclient *ac = arg;
	struct amsg *m;

	while ((m = STAILQ_FIRST(&ac->outq))) {
		if (send(ac->fd, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			ac_enter(ac);
			ac_lost(ac, strerror(errno));
			ac_leave(ac);
			return;
		}
		STAILQ_REMOVE_HEAD(&ac->outq, entry);
		ac->outq_bytes -= m->len;
		free(m);
	}
	event_del(ac->ev_write);
}

/* Sends or queues one frame. Never calls user callbacks: a hard error marks
 * the connection broken and lets ev_lost tear it down from the loop. -1 with
 * ENOBUFS only when the output queue is full. */
static int ac_send(struct ctl_aclient *ac, const uint8_t *data, size_t len)
{
	struct amsg *m;

	if (ac->broken)
		return 0;
	if (STAILQ_EMPTY(&ac->outq)) {
		if (send(ac->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			ac->broken = true;
			event_active(ac->ev_lost, EV_TIMEOUT, 0);
			return 0;
		}
	}
	if (ac->outq_bytes + len > CTL_MAX_QUEUE) {
		errno = ENOBUFS;
		return -1;
	}
	m = malloc(sizeof(*m) + len);
	if (!m)
		return -1;
	m->len = len;
	memcpy(m->data, data, len);
	STAILQ_INSERT_TAIL(&ac->outq, m, entry);
	ac->outq_bytes += len;
	if (!event_pending(ac->ev_write, EV_WRITE, NULL))
		event_add(ac->ev_write, NULL);
	return 0;
}

/* Encodes and sends a REQUEST, registering fn for its answer. */
static int ac_request(struct ctl_aclient *ac, const char *method, const uint8_t *payload,
                      size_t len, ctl_areply_fn fn, void *arg)
{
	struct ctl_frame f;
	struct acall *call;
	ssize_t n;

	memset(&f, 0, sizeof(f));
	if (++ac->next_id == 0)
		ac->next_id = 1;
	f.id = ac->next_id;
	f.kind = CTL_FRAME_REQUEST;
	snprintf(f.method, sizeof(f.method), "%s", method);
	f.payload = payload;
	f.payload_len = len;
	n = ctl_frame_encode(&f, ac->wbuf, sizeof(ac->wbuf));
	if (n < 0) {
		errno = EMSGSIZE;
		return -1;
	}
	call = calloc(1, sizeof(*call));
	if (!call)
		return -1;
	call->id = f.id;
	call->fn = fn;
	call->arg = arg;
	if (ac_send(ac, ac->wbuf, (size_t)n) < 0) {
		free(call);
		return -1;
	}
	TAILQ_INSERT_TAIL(&ac->calls, call, entry);
	return 0;
}

static int ac_request_msg(struct ctl_aclient *ac, const char *method, const ProtobufCMessage *msg,
                          ctl_areply_fn fn, void *arg)
{
	size_t n = 0;

	if (msg) {
		n = protobuf_c_message_get_packed_size(msg);
		if (n > sizeof(ac->pbuf)) {
			errno = EMSGSIZE;
			return -1;
		}
		n = protobuf_c_message_pack(msg, ac->pbuf);
	}
	return ac_request(ac, method, n ? ac->pbuf : NULL, n, fn, arg);
}

static void ac_go_up(struct ctl_aclient *ac)
{
	ac->up = true;
	ac->backoff_ms = ACL_BACKOFF_MIN_MS;
	log_debug("ctl client %s: up", ac->path);
	if (ac->state_fn)
		ac->state_fn(true, ac->arg);
}

static void ac_resubscribed(int status, bool done, const uint8_t *payload, size_t len,
                            const char *error, void *arg)
{
	struct ctl_aclient *ac = arg;

	if (!done || status == -1)
		return; /* -1: the connection went away again; the timer is armed */
	if (status != 0)
		log_warnx("ctl client %s: renewing subscriptions failed: %s", ac->path,
		          error ? error : ctl_err_name(status));
	ac_go_up(ac);
}

static void ac_subscribed(int status, bool done, const uint8_t *payload, size_t len,
                          const char *error, void *arg)
{
	struct ctl_aclient *ac = arg;

	if (done && status > 0)
		log_warnx("ctl client %s: subscribe failed: %s", ac->path,
		          error ? error : ctl_err_name(status));
}

/* One "subscribe" naming every distinct topic kept (ctl_asubscribe bounds them
 * by CTL_MAX_TOPICS, the server's limit). */
static int ac_send_subscriptions(struct ctl_aclient *ac)
{
	Keel__Ctl__Subscribe s = KEEL__CTL__SUBSCRIBE__INIT;
	char *topics[CTL_MAX_TOPICS];
	struct asub *sub;

	TAILQ_FOREACH(sub, &ac->subs, entry)
	{
		bool dup = false;

		for (size_t i = 0; i < s.n_topics && !dup; i++)
			dup = strcmp(topics[i], sub->topic) == 0;
		if (!dup && s.n_topics < CTL_MAX_TOPICS)
			topics[s.n_topics++] = sub->topic;
	}
	s.topics = topics;
	return ac_request_msg(ac, "subscribe", &s.base, ac_resubscribed, ac);
}

static void ac_dispatch(struct ctl_aclient *ac, const struct ctl_frame *f)
{
	struct acall *call;
	struct asub *sub;

	if (f->kind == CTL_FRAME_EVENT) {
		TAILQ_FOREACH(sub, &ac->subs, entry)
		if (ctl_topic_match(sub->topic, f->method) && !ac->closing)
			sub->fn(f->method, f->payload, f->payload_len, sub->arg);
		return;
	}
	TAILQ_FOREACH(call, &ac->calls, entry)
	if (call->id == f->id)
		break;
	if (!call) {
		log_debug("ctl client %s: %s frame for unknown id %u", ac->path,
		          ctl_frame_kind_name(f->kind), f->id);
		return;
	}
	switch (f->kind) {
	case CTL_FRAME_REPLY:
		call->fn(0, false, f->payload, f->payload_len, NULL, call->arg);
		break;
	case CTL_FRAME_END:
	case CTL_FRAME_ERROR:
		TAILQ_REMOVE(&ac->calls, call, entry);
		if (f->kind == CTL_FRAME_END)
			call->fn(0, true, NULL, 0, NULL, call->arg);
		else
			call->fn(f->code ? (int)f->code : CTL_ERR_FAILED, true, NULL, 0, f->error,
			         call->arg);
		free(call);
		break;
	default:
		break;
	}
}

static void ac_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_aclient *ac = arg;

	ac_enter(ac);
	for (int i = 0; i < ACL_READ_BURST && ac->connected && !ac->closing; i++) {
		ssize_t n = recv(ac->fd, ac->rbuf, sizeof(ac->rbuf), MSG_DONTWAIT | MSG_TRUNC);
		struct ctl_frame f;

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				ac_lost(ac, strerror(errno));
			break;
		}
		if (n == 0) {
			struct pollfd p = {.fd = ac->fd, .events = POLLRDHUP};

			if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
				ac_lost(ac, "closed by the daemon");
				break;
			}
		}
		if (ctl_frame_decode(ac->rbuf,
		                     (size_t)n < sizeof(ac->rbuf) ? (size_t)n : sizeof(ac->rbuf),
		                     &f) != 0) {
			log_warnx("ctl client %s: undecodable frame of %zd bytes", ac->path, n);
			continue;
		}
		ac_dispatch(ac, &f);
	}
	ac_leave(ac);
}

static void ac_lost_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_aclient *ac = arg;

	ac_enter(ac);
	ac_lost(ac, "send failed");
	ac_leave(ac);
}

static int ac_connect(struct ctl_aclient *ac)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ac->path);
	ac->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ac->fd < 0)
		return -1;
	/* AF_UNIX connects at once; EAGAIN means a full backlog: retry later */
	if (connect(ac->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		goto fail;
	ac->ev_read = event_new(ac->base, ac->fd, EV_READ | EV_PERSIST, ac_read_cb, ac);
	ac->ev_write = event_new(ac->base, ac->fd, EV_WRITE | EV_PERSIST, ac_write_cb, ac);
	if (!ac->ev_read || !ac->ev_write || event_add(ac->ev_read, NULL) < 0)
		goto fail;
	ac->connected = true;
	return 0;
fail:
	ac_socket_close(ac);
	return -1;
}

static void ac_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_aclient *ac = arg;

	if (ac->connected)
		return;
	if (ac_connect(ac) < 0) {
		log_debug("ctl client %s: connect: %s (retry in %llu ms)", ac->path,
		          strerror(errno), (unsigned long long)ac->backoff_ms);
		ac_retry(ac);
		return;
	}
	ac_enter(ac);
	if (TAILQ_EMPTY(&ac->subs))
		ac_go_up(ac);
	else if (ac_send_subscriptions(ac) < 0)
		ac_lost(ac, "cannot renew subscriptions");
	ac_leave(ac);
}

struct ctl_aclient *ctl_aclient_open_path(struct event_base *base, const char *path,
                                          ctl_astate_fn state, void *arg)
{
	struct ctl_aclient *ac;

	if (strlen(path) >= sizeof(ac->path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	ac = calloc(1, sizeof(*ac));
	if (!ac)
		return NULL;
	ac->base = base;
	snprintf(ac->path, sizeof(ac->path), "%s", path);
	ac->state_fn = state;
	ac->arg = arg;
	ac->fd = -1;
	ac->backoff_ms = ACL_BACKOFF_MIN_MS;
	TAILQ_INIT(&ac->calls);
	TAILQ_INIT(&ac->subs);
	STAILQ_INIT(&ac->outq);
	ac->ev_timer = evtimer_new(base, ac_timer_cb, ac);
	ac->ev_lost = event_new(base, -1, 0, ac_lost_cb, ac);
	if (!ac->ev_timer || !ac->ev_lost) {
		ac_free(ac);
		errno = ENOMEM;
		return NULL;
	}
	/* first attempt from the loop, so no callback runs before open returns */
	ac_schedule(ac, 0);
	return ac;
}

struct ctl_aclient *ctl_aclient_open(struct event_base *base, const char *name, ctl_astate_fn state,
                                     void *arg)
{
	char file[NAME_MAX + 1], path[PATH_MAX];
	int n = snprintf(file, sizeof(file), "%s.ctl", name);

	if (!*name || strchr(name, '/') || n < 0 || (size_t)n >= sizeof(file)) {
		errno = EINVAL;
		return NULL;
	}
	if (keel_path(path, sizeof(path), KEEL_DIR_RUN, file) < 0)
		return NULL;
	return ctl_aclient_open_path(base, path, state, arg);
}

static void ac_free(struct ctl_aclient *ac)
{
	struct asub *sub;

	ac->closing = true;
	ac->busy++; /* a close from the callbacks below is a no-op */
	ac_socket_close(ac);
	ac_fail_calls(ac, "client closed");
	while ((sub = TAILQ_FIRST(&ac->subs))) {
		TAILQ_REMOVE(&ac->subs, sub, entry);
		free(sub);
	}
	if (ac->ev_timer)
		event_free(ac->ev_timer);
	if (ac->ev_lost)
		event_free(ac->ev_lost);
	free(ac);
}

void ctl_aclient_close(struct ctl_aclient *ac)
{
	if (!ac)
		return;
	if (ac->busy) {
		ac->closing = true;
		return;
	}
	ac_free(ac);
}

bool ctl_aclient_up(const struct ctl_aclient *ac)
{
	return ac->up && !ac->broken && !ac->closing;
}

int ctl_acall(struct ctl_aclient *ac, const char *method, const ProtobufCMessage *req,
              ctl_areply_fn fn, void *arg)
{
	if (!ctl_aclient_up(ac)) {
		errno = ENOTCONN;
		return -1;
	}
	if (!ctl_name_valid(method) || !fn) {
		errno = EINVAL;
		return -1;
	}
	return ac_request_msg(ac, method, req, fn, arg);
}

int ctl_asubscribe(struct ctl_aclient *ac, const char *topic, ctl_event_fn fn, void *arg)
{
	Keel__Ctl__Subscribe s = KEEL__CTL__SUBSCRIBE__INIT;
	char *one[1];
	unsigned distinct = 0;
	bool known = false;
	struct asub *sub;

	if (ac->closing || !ctl_topic_pattern_valid(topic) || !fn) {
		errno = EINVAL;
		return -1;
	}
	TAILQ_FOREACH(sub, &ac->subs, entry)
	{
		bool seen = false;

		if (strcmp(sub->topic, topic) == 0)
			known = true;
		for (struct asub *o = TAILQ_FIRST(&ac->subs); o != sub && !seen;
		     o = TAILQ_NEXT(o, entry))
			seen = strcmp(o->topic, sub->topic) == 0;
		distinct += !seen;
	}
	if (!known && distinct >= CTL_MAX_TOPICS) {
		errno = ENOSPC;
		return -1;
	}
	sub = calloc(1, sizeof(*sub));
	if (!sub)
		return -1;
	snprintf(sub->topic, sizeof(sub->topic), "%s", topic);
	sub->fn = fn;
	sub->arg = arg;
	TAILQ_INSERT_TAIL(&ac->subs, sub, entry);
	/* Down: the next connect sends it with the others. Connected: tell the
	 * daemon now (also while the renewal is in flight: it predates this). */
	if (ac->connected && !ac->broken && !known) {
		one[0] = sub->topic;
		s.n_topics = 1;
		s.topics = one;
		if (ac_request_msg(ac, "subscribe", &s.base, ac_subscribed, ac) < 0)
			log_warnx("ctl client %s: subscribe %s: %s", ac->path, topic,
			          strerror(errno));
	}
	return 0;
}
