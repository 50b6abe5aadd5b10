/*
 * libmosquitto inside a libevent loop; see lib/mqtt.h: a read event on
 * mosquitto_socket(), a one-shot write event while mosquitto_want_write(),
 * loop_misc each second and a retry timer for connects. lib/sensor.c's bus
 * publisher and telemetryd's subscriber and exporter all use it.
 */
#include "lib/mqtt.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "lib/ev.h"
#include "lib/log.h"

struct mqtt_client {
	struct event_base *base;
	struct mosquitto *mosq;
	char host[256];
	int port;
	int fd; /* registered socket, -1 when none */
	struct event *ev_read;
	struct event *ev_write;
	struct timer misc_timer;
	struct timer retry_timer;
	uint32_t backoff_ms;
	bool connected;
	bool closing;
	bool want_v5;  /* ask for v5 on connect */
	bool pub_down; /* the last publish failed for want of a connection */
	struct mqtt_client_ops ops;
	void *arg;
	struct mqtt_client_stats st;
};

static void mqtt_watch(struct mqtt_client *c);

static void mqtt_lost(struct mqtt_client *c)
{
	if (!c->connected)
		return;
	c->connected = false;
	c->st.disconnects++;
	if (!c->closing) {
		log_info("mqtt: disconnected from %s:%d", c->host, c->port);
		if (c->ops.disconnected)
			c->ops.disconnected(c->arg);
	}
}

static void mqtt_on_connect(struct mosquitto *mosq, void *arg, int rc)
{
	struct mqtt_client *c = arg;

	if (rc != 0) {
		/* MQTT 3.1.1 §3.2.2.3: the server closes the connection after a refusal */
		c->st.refused++;
		/* MQTT 5.0 §3.1.2.2: a server without v5 answers 132 (or the 3.1.1
		 * code 1); speak 3.1.1 to it from the next attempt on */
		if (c->want_v5 && (rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION ||
		                   rc == CONNACK_REFUSED_PROTOCOL_VERSION)) {
			c->want_v5 = false;
			mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION,
			                     MQTT_PROTOCOL_V311);
			log_info("mqtt: %s:%d has no MQTT v5, using 3.1.1", c->host, c->port);
		}
		log_warnx("mqtt: %s:%d refused the connection: %s", c->host, c->port,
		          mosquitto_connack_string(rc));
		return;
	}
	c->connected = true;
	c->st.v5 = c->want_v5;
	c->backoff_ms = MQTT_BACKOFF_MIN_MS;
	c->st.connects++;
	log_info("mqtt: connected to %s:%d", c->host, c->port);
	if (c->ops.connected)
		c->ops.connected(c->arg);
}

static void mqtt_on_disconnect(struct mosquitto *mosq, void *arg, int rc)
{
	mqtt_lost(arg);
}

static void mqtt_on_publish(struct mosquitto *mosq, void *arg, int mid)
{
	struct mqtt_client *c = arg;

	if (c->ops.published)
		c->ops.published(c->arg, mid);
}

static void mqtt_on_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *m)
{
	struct mqtt_client *c = arg;

	if (c->ops.message && m->topic && m->payloadlen >= 0)
		c->ops.message(c->arg, m->topic, m->payload, (size_t)m->payloadlen);
}

static void mqtt_retry_cb(void *arg)
{
	struct mqtt_client *c = arg;
	int rc;

	if (c->closing)
		return;
	/* connect_async re-inits host/port and closes any stale socket first */
	rc = mosquitto_connect_async(c->mosq, c->host, c->port, MQTT_KEEPALIVE_S);
	if (rc != MOSQ_ERR_SUCCESS)
		log_debug("mqtt: connect %s:%d: %s", c->host, c->port,
		          rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
	mqtt_watch(c);
}

static void mqtt_schedule_retry(struct mqtt_client *c)
{
	if (c->closing || timer_pending(&c->retry_timer))
		return;
	timer_add_ms(&c->retry_timer, c->backoff_ms);
	c->backoff_ms *= 2;
	if (c->backoff_ms > MQTT_BACKOFF_MAX_MS)
		c->backoff_ms = MQTT_BACKOFF_MAX_MS;
}

static void mqtt_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mqtt_client *c = arg;

	mosquitto_loop_read(c->mosq, 1);
	mqtt_watch(c);
}

static void mqtt_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mqtt_client *c = arg;

	mosquitto_loop_write(c->mosq, 1);
	mqtt_watch(c);
}

static void mqtt_misc_cb(void *arg)
{
	struct mqtt_client *c = arg;

	mosquitto_loop_misc(c->mosq);
	mqtt_watch(c);
	timer_add_ms(&c->misc_timer, 1000);
}

static void mqtt_unwatch(struct mqtt_client *c)
{
	if (c->ev_read)
		event_free(c->ev_read);
	if (c->ev_write)
		event_free(c->ev_write);
	c->ev_read = c->ev_write = NULL;
	c->fd = -1;
}

/* Re-syncs our events with libmosquitto's socket after every call into it. */
static void mqtt_watch(struct mqtt_client *c)
{
	int fd = mosquitto_socket(c->mosq);

	if (fd != c->fd) {
		mqtt_unwatch(c);
		if (fd >= 0) {
			c->ev_read = event_new(c->base, fd, EV_READ | EV_PERSIST, mqtt_read_cb, c);
			c->ev_write = event_new(c->base, fd, EV_WRITE, mqtt_write_cb, c);
			if (!c->ev_read || !c->ev_write) {
				/* no way to drive this socket: drop it and retry later */
				mqtt_unwatch(c);
				mosquitto_disconnect(c->mosq);
				mqtt_lost(c);
				mqtt_schedule_retry(c);
				return;
			}
			c->fd = fd;
			event_add(c->ev_read, NULL);
		}
	}
	if (c->fd < 0) {
		mqtt_lost(c);
		mqtt_schedule_retry(c);
		return;
	}
	if (mosquitto_want_write(c->mosq))
		event_add(c->ev_write, NULL);
}

struct mqtt_client *mqtt_client_new(struct event_base *base, const char *id, const char *host,
                                    int port, const struct mqtt_client_ops *ops, void *arg)
{
	static bool lib_ready;
	struct mqtt_client *c;
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	if (!lib_ready) {
		mosquitto_lib_init();
		lib_ready = true;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->base = base;
	c->fd = -1;
	c->port = port;
	c->backoff_ms = MQTT_BACKOFF_MIN_MS;
	snprintf(c->host, sizeof(c->host), "%s", host);
	if (ops)
		c->ops = *ops;
	c->arg = arg;
	c->mosq = mosquitto_new(id, true, c);
	if (!c->mosq) {
		free(c);
		return NULL;
	}
	/* Sensor messages are small and latency matters (gNMI ON_CHANGE): with Nagle a publish
	 * waits up to an ACK round for the previous one (bench_telemetry: p99 25 ms -> 1 ms). */
	mosquitto_int_option(c->mosq, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_connect_callback_set(c->mosq, mqtt_on_connect);
	mosquitto_disconnect_callback_set(c->mosq, mqtt_on_disconnect);
	mosquitto_publish_callback_set(c->mosq, mqtt_on_publish);
	mosquitto_message_callback_set(c->mosq, mqtt_on_message);
	timer_init(&c->misc_timer, base, mqtt_misc_cb, c);
	timer_init(&c->retry_timer, base, mqtt_retry_cb, c);
	timer_add_ms(&c->misc_timer, 1000);
	mqtt_retry_cb(c);
	return c;
}

void mqtt_client_prefer_v5(struct mqtt_client *c)
{
	c->want_v5 = mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) ==
	             MOSQ_ERR_SUCCESS;
}

void mqtt_client_free(struct mqtt_client *c)
{
	if (!c)
		return;
	c->closing = true;
	timer_del(&c->misc_timer);
	timer_del(&c->retry_timer);
	if (c->connected)
		mosquitto_disconnect(c->mosq); /* best effort: one non-blocking write */
	mqtt_unwatch(c);
	mosquitto_destroy(c->mosq);
	free(c);
}

bool mqtt_client_connected(const struct mqtt_client *c)
{
	return c->connected;
}

void mqtt_client_stats(const struct mqtt_client *c, struct mqtt_client_stats *out)
{
	*out = c->st;
	out->connected = c->connected;
}

bool mqtt_client_publish_down(const struct mqtt_client *c)
{
	return c->pub_down;
}

const char *mqtt_client_host(const struct mqtt_client *c)
{
	return c->host;
}

int mqtt_client_port(const struct mqtt_client *c)
{
	return c->port;
}

int mqtt_client_subscribe(struct mqtt_client *c, const char *pattern, int qos)
{
	int rc;

	if (!c->connected)
		return -1;
	rc = mosquitto_subscribe(c->mosq, NULL, pattern, qos);
	mqtt_watch(c);
	return rc == MOSQ_ERR_SUCCESS ? 0 : -1;
}

int mqtt_client_publish(struct mqtt_client *c, const char *topic, const void *payload, size_t len,
                        int qos, bool retain, int *mid)
{
	return mqtt_client_publish_v5(c, topic, payload, len, qos, retain, 0, NULL, mid);
}

int mqtt_client_publish_v5(struct mqtt_client *c, const char *topic, const void *payload,
                           size_t len, int qos, bool retain, uint32_t expiry_s,
                           const char *content_type, int *mid)
{
	mosquitto_property *props = NULL;
	int rc;

	c->pub_down = !c->connected;
	if (!c->connected || len > INT32_MAX)
		return -1;
	if (c->st.v5 && expiry_s &&
	    mosquitto_property_add_int32(&props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, expiry_s))
		goto nomem;
	if (c->st.v5 && content_type &&
	    mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE, content_type))
		goto nomem;
	rc = mosquitto_publish_v5(c->mosq, mid, topic, (int)len, payload, qos, retain, props);
	mosquitto_property_free_all(&props);
	c->pub_down = rc == MOSQ_ERR_NO_CONN;
	if (rc == MOSQ_ERR_ERRNO || rc == MOSQ_ERR_CONN_LOST)
		/* a write error leaves the socket open; let the loop meet it and
		 * report the disconnect */
		mosquitto_loop_write(c->mosq, 1);
	mqtt_watch(c);
	return rc == MOSQ_ERR_SUCCESS ? 0 : -1;
nomem:
	mosquitto_property_free_all(&props);
	return -1;
}
