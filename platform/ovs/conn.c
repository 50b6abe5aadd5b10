/*
 * The OVSDB connection on a libevent base: a bufferevent on the server's
 * unix socket, the byte stream split by ovsdb_stream, replies matched to
 * requests by integer id, "echo" answered (RFC 7047 §4.1.11, the server's
 * inactivity probe), one "monitor" whose updates feed the cache, and
 * waiters for Open_vSwitch.cur_cfg. A lost connection fails every pending
 * call and waiter, and is retried with exponential backoff; the monitor is
 * re-sent after each reconnect so the cache is rebuilt from scratch.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "platform/ovs/ovsdb.h"

#define OVSDB_BACKOFF_MIN_MS 100
#define OVSDB_BACKOFF_MAX_MS 5000
#define OVSDB_MONITOR_ID     "keel"

struct ovsdb_call {
	struct ovsdb_call *next;
	int64_t id;
	ovsdb_reply_fn fn;
	void *arg;
};

struct ovsdb_waiter {
	struct ovsdb_waiter *next;
	struct ovsdb_conn *conn;
	int64_t next_cfg;
	struct timer timer;
	ovsdb_done_fn fn;
	void *arg;
};

struct ovsdb_conn {
	struct event_base *base;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const struct ovsdb_conn_ops *ops;
	void *arg;
	struct bufferevent *bev;
	struct ovsdb_stream stream;
	struct ovsdb_cache cache;
	struct ovsdb_call *calls;
	struct ovsdb_waiter *waiters;
	struct timer retry;
	uint32_t backoff_ms;
	int64_t next_id;
	bool ready;
	uint64_t ready_ms; /* when the last monitor reply arrived */
	uint32_t fails;    /* failed attempts since the last monitor reply */
	char root[OVSDB_UUID_STRLEN];
	struct ovsdb_conn_stats stats;
};

#define OVSDB_FAILS_LOGGED 12 /* at the 5 s backoff ceiling: once a minute */

static const char *const mon_tables[] = {"Open_vSwitch", "Bridge", "Port", "Interface"};
static const char *const mon_ovs[] = {"cur_cfg", "next_cfg", "bridges", NULL};
static const char *const mon_br[] = {"name", "ports", "datapath_type", "fail_mode", NULL};
static const char *const mon_port[] = {"name", "interfaces", "tag", "trunks", "vlan_mode", NULL};
static const char *const mon_if[] = {"name", "type", "ofport", NULL};
static const char *const *const mon_cols[] = {mon_ovs, mon_br, mon_port, mon_if};

static void ovsdb_conn_connect(void *arg);

static void ovsdb_conn_check_waiters(struct ovsdb_conn *c, int err)
{
	struct ovsdb_waiter **pp = &c->waiters, *w;
	struct json_object *row =
	        c->root[0] ? ovsdb_cache_row(&c->cache, "Open_vSwitch", c->root) : NULL;
	struct json_object *v;
	int64_t cur = -1;

	if (row && json_object_object_get_ex(row, "cur_cfg", &v))
		ovsdb_int(v, &cur);
	while ((w = *pp)) {
		if (err || cur >= w->next_cfg) {
			*pp = w->next;
			timer_del(&w->timer);
			w->fn(w->arg, err);
			free(w);
			continue;
		}
		pp = &w->next;
	}
}

static void ovsdb_conn_down(struct ovsdb_conn *c, const char *why)
{
	struct ovsdb_call *calls = c->calls;
	bool was_ready = c->ready;

	/* A link that stayed up a while starts the backoff over; one that drops
	 * right after the monitor reply keeps backing off. */
	if (was_ready && mono_ms() - c->ready_ms >= OVSDB_BACKOFF_MAX_MS)
		c->backoff_ms = OVSDB_BACKOFF_MIN_MS;
	if (c->bev) {
		/* A server that stays away (a node without Open vSwitch) is
		 * reported at once and then once a minute, not every retry. */
		if (was_ready || c->fails++ % OVSDB_FAILS_LOGGED == 0)
			log_warnx("ovsdb %s: %s; reconnecting in %u ms", c->path, why,
			          c->backoff_ms);
		else
			log_debug("ovsdb %s: %s; reconnecting in %u ms", c->path, why,
			          c->backoff_ms);
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
	c->ready = false;
	c->calls = NULL;
	ovsdb_stream_reset(&c->stream);
	while (calls) {
		struct ovsdb_call *n = calls->next;

		if (calls->fn)
			calls->fn(calls->arg, -ECONNRESET, NULL, NULL);
		free(calls);
		calls = n;
	}
	ovsdb_conn_check_waiters(c, -ECONNRESET);
	timer_add_ms(&c->retry, c->backoff_ms);
	c->backoff_ms =
	        c->backoff_ms * 2 > OVSDB_BACKOFF_MAX_MS ? OVSDB_BACKOFF_MAX_MS : c->backoff_ms * 2;
	if (was_ready && c->ops && c->ops->down)
		c->ops->down(c->arg);
}

static int ovsdb_conn_send(struct ovsdb_conn *c, struct json_object *msg)
{
	size_t len;
	const char *s;
	int r;

	if (!msg)
		return -ENOMEM;
	if (!c->bev) {
		json_object_put(msg);
		return -ENOTCONN;
	}
	s = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN, &len);
	r = s ? bufferevent_write(c->bev, s, len) : -1;
	json_object_put(msg);
	if (r < 0)
		return -ENOMEM;
	c->stats.msgs_out++;
	return 0;
}

/* The root Open_vSwitch row. A fresh database has none until `ovs-vsctl
 * init` (or ovs-vswitchd) inserts it, which may come as a later update, and a
 * replaced database has another one: looked up after every change. */
static void ovsdb_conn_find_root(struct ovsdb_conn *c)
{
	struct json_object *rows;

	c->root[0] = 0;
	if (json_object_object_get_ex(c->cache.tables, "Open_vSwitch", &rows)) {
		json_object_object_foreach(rows, uuid, row)
		{
			(void)row;
			snprintf(c->root, sizeof(c->root), "%s", uuid);
			break;
		}
	}
}

static void ovsdb_conn_monitor_reply(void *arg, int err, struct json_object *result,
                                     struct json_object *error)
{
	struct ovsdb_conn *c = arg;

	if (err)
		return;
	ovsdb_cache_clear(&c->cache);
	if (error || ovsdb_cache_update(&c->cache, result) < 0) {
		log_warnx("ovsdb %s: monitor refused: %s", c->path,
		          error ? json_object_to_json_string(error) : "bad reply");
		ovsdb_conn_down(c, "monitor failed");
		return;
	}
	ovsdb_conn_find_root(c);
	c->ready = true;
	c->fails = 0;
	c->ready_ms = mono_ms();
	log_info("ovsdb %s: connected, %zu bridges, %zu ports", c->path,
	         ovsdb_cache_count(&c->cache, "Bridge"), ovsdb_cache_count(&c->cache, "Port"));
	ovsdb_conn_check_waiters(c, 0);
	if (c->ops && c->ops->ready)
		c->ops->ready(c->arg);
}

static int ovsdb_conn_msg(void *arg, struct json_object *o)
{
	struct ovsdb_conn *c = arg;
	struct ovsdb_msg m;
	int64_t id;

	c->stats.msgs_in++;
	if (ovsdb_msg_decode(o, &m) < 0) {
		log_warnx("ovsdb %s: ignoring malformed message", c->path);
		return 0;
	}
	if (m.kind == OVSDB_MSG_REPLY) {
		struct ovsdb_call **pp = &c->calls, *call;

		if (ovsdb_msg_id(&m, &id) < 0)
			return 0; /* not one of ours */
		for (; (call = *pp); pp = &call->next)
			if (call->id == id)
				break;
		if (!call)
			return 0;
		*pp = call->next;
		if (call->fn)
			call->fn(call->arg, 0, m.result, m.error);
		free(call);
		return c->bev ? 0 : 1; /* the callback may have dropped the link */
	}
	if (m.kind == OVSDB_MSG_REQUEST) {
		if (!strcmp(m.method, "echo")) {
			c->stats.echoes++;
			ovsdb_conn_send(c, ovsdb_echo_reply(&m));
		}
		return 0;
	}
	/* RFC 7047 §4.1.6: "update" params are [<json-value> monitor id,
	 * <table-updates>]. */
	if (!strcmp(m.method, "update") && json_object_array_length(m.params) == 2 &&
	    !strcmp(json_object_get_string(json_object_array_get_idx(m.params, 0)),
	            OVSDB_MONITOR_ID)) {
		if (ovsdb_cache_update(&c->cache, json_object_array_get_idx(m.params, 1)) < 0) {
			ovsdb_conn_down(c, "malformed update");
			return 1;
		}
		c->stats.updates++;
		ovsdb_conn_find_root(c);
		ovsdb_conn_check_waiters(c, 0);
		if (c->ready && c->ops && c->ops->update)
			c->ops->update(c->arg);
	}
	return 0;
}

static void ovsdb_conn_read(struct bufferevent *bev, void *arg)
{
	struct ovsdb_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char buf[16384];
	int n;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0) {
		int r = ovsdb_stream_feed(&c->stream, buf, (size_t)n, ovsdb_conn_msg, c);

		if (r == -EPROTO) {
			ovsdb_conn_down(c, "protocol error in the JSON stream");
			return;
		}
		if (r || !c->bev)
			return;
	}
}

static void ovsdb_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct ovsdb_conn *c = arg;
	struct json_object *params;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		params = ovsdb_monitor_params(OVSDB_DB, OVSDB_MONITOR_ID, 4, mon_tables, mon_cols);
		if (ovsdb_conn_call(c, "monitor", params, ovsdb_conn_monitor_reply, c) < 0)
			ovsdb_conn_down(c, "cannot send monitor");
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		ovsdb_conn_down(c, (what & BEV_EVENT_EOF) ? "server closed the connection"
		                                          : "connection error");
}

static void ovsdb_conn_connect(void *arg)
{
	struct ovsdb_conn *c = arg;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	c->stats.reconnects++;
	c->bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		ovsdb_conn_down(c, "out of memory");
		return;
	}
	bufferevent_setcb(c->bev, ovsdb_conn_read, NULL, ovsdb_conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	memcpy(sun.sun_path, c->path, strlen(c->path) + 1);
	/* On failure libevent has already freed nothing; the error event may or
	 * may not be delivered, so handle it here. */
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		ovsdb_conn_down(c, "connect failed");
}

struct ovsdb_conn *ovsdb_conn_open(struct event_base *base, const char *path,
                                   const struct ovsdb_conn_ops *ops, void *arg)
{
	struct ovsdb_conn *c;
	struct sigaction sa;

	if (strlen(path) >= sizeof(c->path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	/* bufferevent writes with writev(), which cannot pass MSG_NOSIGNAL: a
	 * server that went away must cost a reconnect, not the process (as
	 * lib/mqtt.c does; lib/daemon.c ignores SIGPIPE already). */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (ovsdb_stream_init(&c->stream) < 0) {
		free(c);
		return NULL;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->base = base;
	c->ops = ops;
	c->arg = arg;
	c->next_id = 1;
	c->backoff_ms = OVSDB_BACKOFF_MIN_MS;
	ovsdb_cache_init(&c->cache);
	timer_init(&c->retry, base, ovsdb_conn_connect, c);
	c->stats.reconnects = (uint64_t)-1; /* the first connect is not a reconnect */
	ovsdb_conn_connect(c);
	return c;
}

void ovsdb_conn_close(struct ovsdb_conn *c)
{
	if (!c)
		return;
	c->ops = NULL;
	if (c->bev)
		bufferevent_free(c->bev);
	c->bev = NULL;
	c->backoff_ms = OVSDB_BACKOFF_MIN_MS;
	ovsdb_conn_down(c, "closed");
	timer_del(&c->retry);
	ovsdb_stream_free(&c->stream);
	ovsdb_cache_free(&c->cache);
	free(c);
}

bool ovsdb_conn_is_ready(const struct ovsdb_conn *c)
{
	return c->ready;
}

const struct ovsdb_cache *ovsdb_conn_cache(const struct ovsdb_conn *c)
{
	return &c->cache;
}

const char *ovsdb_conn_root(const struct ovsdb_conn *c)
{
	return c->root[0] ? c->root : NULL;
}

void ovsdb_conn_get_stats(const struct ovsdb_conn *c, struct ovsdb_conn_stats *out)
{
	*out = c->stats;
}

int ovsdb_conn_call(struct ovsdb_conn *c, const char *method, struct json_object *params,
                    ovsdb_reply_fn fn, void *arg)
{
	struct ovsdb_call *call;
	int64_t id;
	int r;

	if (!c->bev) {
		json_object_put(params);
		return -ENOTCONN;
	}
	call = calloc(1, sizeof(*call));
	if (!call) {
		json_object_put(params);
		return -ENOMEM;
	}
	id = c->next_id++;
	r = ovsdb_conn_send(c, ovsdb_request_new(method, params, id));
	if (r < 0) {
		free(call);
		return r;
	}
	call->id = id;
	call->fn = fn;
	call->arg = arg;
	call->next = c->calls;
	c->calls = call;
	return 0;
}

int ovsdb_transact(struct ovsdb_conn *c, struct json_object *ops, ovsdb_reply_fn fn, void *arg)
{
	struct json_object *params = json_object_new_array();
	size_t n = ops ? json_object_array_length(ops) : 0;

	if (!params || !ops) {
		json_object_put(params);
		json_object_put(ops);
		return -ENOMEM;
	}
	/* RFC 7047 §4.1.3: params are [<db-name>, <operation>*]. */
	json_object_array_add(params, json_object_new_string(OVSDB_DB));
	for (size_t i = 0; i < n; i++)
		json_object_array_add(params, json_object_get(json_object_array_get_idx(ops, i)));
	json_object_put(ops);
	c->stats.transacts++;
	return ovsdb_conn_call(c, "transact", params, fn, arg);
}

static void ovsdb_waiter_timeout(void *arg)
{
	struct ovsdb_waiter *w = arg, **pp;
	struct ovsdb_conn *c = w->conn;

	for (pp = &c->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->fn(w->arg, -ETIMEDOUT);
	free(w);
}

int ovsdb_wait_cfg(struct ovsdb_conn *c, int64_t next_cfg, uint32_t timeout_ms, ovsdb_done_fn fn,
                   void *arg)
{
	struct ovsdb_waiter *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->conn = c;
	w->next_cfg = next_cfg;
	w->fn = fn;
	w->arg = arg;
	timer_init(&w->timer, c->base, ovsdb_waiter_timeout, w);
	timer_add_ms(&w->timer, timeout_ms);
	w->next = c->waiters;
	c->waiters = w;
	ovsdb_conn_check_waiters(c, c->bev ? 0 : -ECONNRESET);
	return 0;
}
