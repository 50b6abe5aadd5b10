/*
 * Export to streaming servers: what a sensor's window becomes on the wire and
 * where it goes.
 *
 * One exporter per streaming server, holding what the profiles that name it
 * need:
 *  - transport mqtt: a lib/mqtt.c client to the server as broker,
 *    reconnecting with backoff. Exports go out at QoS 0 and are dropped, never
 *    queued, while the broker is away: a sample delivered after an outage is
 *    stale. At most TM_EXPORT_QUEUE_MSGS messages wait unwritten in
 *    libmosquitto (a QoS 0 publish reports its last byte written through
 *    on_publish, so handed-over minus written is exact). With an MQTT v5 broker
 *    each sampled export carries a Message Expiry Interval of two reporting
 *    periods, so the broker never hands a stale sample to a late subscriber
 *    (telemetry.md §7); a 3.1.1 broker gets plain publishes.
 *  - transport udp (Junos native sensors): each export is one datagram
 *    (GPB or JSON, as the profile says) to remote-address:remote-port from a
 *    connected non-blocking socket; a full socket buffer drops the export. A
 *    window too big for one datagram is split into several, each a complete
 *    message (the last one carries eom).
 *
 * Retained messages only for state: a sensor with reporting-rate 0 (on
 * change) publishes the full current state of its resource (every key's last
 * value, kept here between exports) as a retained message without expiry, so
 * a collector that subscribes later gets the whole state at once, not just the
 * last change. Sampled sensors (counters) are never retained: a retained
 * counter would be stale by the time anyone reads it. A bus delete takes the
 * deleted keys out of that state and republishes it, so the retained message
 * never holds keys that are gone (tm_export_deletes).
 *
 * transport udp binds the export socket to the profile's local-address /
 * local-port (the udp profiles naming one server must agree, sensor.c);
 * transports mqtt and grpc refuse them at commit.
 *
 * A sensor may name several streaming servers (server-name is a leaf-list);
 * each gets every export. transport grpc (Junos' gRPC dial-out to a
 * streaming-server) is refused by the commit check (sensor.c): keel's gNMI
 * collectors dial in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netdb.h>
#include <sys/socket.h>

#include "daemons/telemetryd/telemetryd.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/mqtt.h"

struct tm_exporter {
	struct mqtt_client *c; /* transport mqtt, else NULL */
	int udp;               /* transport udp: connected socket, else -1 */
	unsigned transports;   /* 1 << enum tm_transport */
	struct tm_server srv;
	struct tm_exporter_stats st;
};

static void tm_exporter_published(void *arg, int mid)
{
	struct tm_exporter *x = arg;

	(void)mid;
	if (x->st.queued)
		x->st.queued--;
}

static void tm_exporter_disconnected(void *arg)
{
	struct tm_exporter *x = arg;

	/* libmosquitto discards unwritten packets when it reconnects */
	x->st.dropped += x->st.queued;
	x->st.queued = 0;
}

/* The export-profile's local-address / local-port as the socket's source (sensor.c checked the
 * family). */
static int tm_udp_bind(int fd, const struct tm_server *srv, int family)
{
	struct addrinfo hints = {.ai_family = family,
	                         .ai_socktype = SOCK_DGRAM,
	                         .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE},
	                *ai = NULL;
	char port[8];
	int one = 1, rc = -1;

	if (!srv->local_address[0] && !srv->local_port)
		return 0;
	snprintf(port, sizeof(port), "%u", srv->local_port);
	if (getaddrinfo(srv->local_address[0] ? srv->local_address : NULL, port, &hints, &ai) ||
	    !ai) {
		log_warnx("streaming-server %s: bad local-address %s", srv->name,
		          srv->local_address);
		return -1;
	}
	/* a fixed source port survives an exporter re-created by a commit while
	 * the old socket is still open */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		log_warn("streaming-server %s: udp bind to local-address %s local-port %u",
		         srv->name, srv->local_address[0] ? srv->local_address : "*",
		         srv->local_port);
	else
		rc = 0;
	freeaddrinfo(ai);
	return rc;
}

static int tm_udp_open(const struct tm_server *srv)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST}, *ai = NULL;
	char port[8];
	int fd;

	snprintf(port, sizeof(port), "%u", srv->port);
	if (getaddrinfo(srv->address, port, &hints, &ai) || !ai)
		return -1;
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && tm_udp_bind(fd, srv, ai->ai_family) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		log_warn("streaming-server %s: udp connect", srv->name);
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

struct tm_exporter *tm_exporter_new(struct event_base *base, const struct tm_server *srv,
                                    unsigned transports)
{
	static const struct mqtt_client_ops ops = {
	        .disconnected = tm_exporter_disconnected,
	        .published = tm_exporter_published,
	};
	struct tm_exporter *x = calloc(1, sizeof(*x));
	char id[TM_NAME_MAX + 48];

	if (!x)
		return NULL;
	x->srv = *srv;
	x->udp = -1;
	x->transports = transports;
	if (transports & (1u << TM_TRANSPORT_MQTT)) {
		snprintf(id, sizeof(id), "keel-telemetryd-%s-%ld", srv->name, (long)getpid());
		x->c = mqtt_client_new(base, id, srv->address, srv->port, &ops, x);
		if (!x->c)
			goto fail;
		mqtt_client_prefer_v5(x->c);
	}
	if ((transports & (1u << TM_TRANSPORT_UDP)) && (x->udp = tm_udp_open(srv)) < 0)
		goto fail;
	return x;
fail:
	tm_exporter_free(x);
	return NULL;
}

void tm_exporter_free(struct tm_exporter *x)
{
	if (!x)
		return;
	mqtt_client_free(x->c);
	if (x->udp >= 0)
		close(x->udp);
	free(x);
}

bool tm_exporter_same(const struct tm_exporter *x, const struct tm_server *srv, unsigned transports)
{
	return !strcmp(x->srv.name, srv->name) && !strcmp(x->srv.address, srv->address) &&
	       x->srv.port == srv->port && !strcmp(x->srv.local_address, srv->local_address) &&
	       x->srv.local_port == srv->local_port && x->transports == transports;
}

int tm_exporter_send(struct tm_exporter *x, enum tm_transport tr, const char *topic,
                     const uint8_t *buf, size_t len, uint32_t expiry_s, const char *content_type,
                     bool retain)
{
	if (tr == TM_TRANSPORT_UDP) {
		if (x->udp < 0 || len > TM_EXPORT_UDP_MAX || send(x->udp, buf, len, 0) < 0) {
			x->st.dropped++;
			return -1;
		}
		x->st.sent++;
		return 0;
	}
	if (tr != TM_TRANSPORT_MQTT || !x->c || !mqtt_client_connected(x->c) ||
	    x->st.queued >= TM_EXPORT_QUEUE_MSGS) {
		x->st.dropped++;
		return -1;
	}
	/* counted first: on_publish may run inside the publish call */
	x->st.queued++;
	if (mqtt_client_publish_v5(x->c, topic, buf, len, 0, retain, expiry_s, content_type,
	                           NULL)) {
		if (x->st.queued)
			x->st.queued--;
		x->st.dropped++;
		return -1;
	}
	x->st.sent++;
	return 0;
}

void tm_exporter_stats(const struct tm_exporter *x, struct tm_exporter_stats *out)
{
	struct mqtt_client_stats cs;

	*out = x->st;
	if (x->c) {
		mqtt_client_stats(x->c, &cs);
		out->connects = cs.connects;
		out->connected = cs.connected;
	} else {
		out->connects = x->udp >= 0;
		out->connected = x->udp >= 0;
	}
}

/* ---- what a sensor's window becomes */

static int tm_entry_key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tm_entry *)a)->kv.key, ((const struct tm_entry *)b)->kv.key);
}

int tm_export_state_merge(struct tm_sensor *s, const struct tm_window *w)
{
	int refused = 0;

	for (size_t i = 0; i < w->n; i++)
		if (tm_window_put(&s->state, &w->e[i].kv, w->e[i].timestamp) < 0)
			refused++;
	return refused ? -1 : 0;
}

size_t tm_window_delete(struct tm_window *w, const char *path)
{
	struct tm_path *del = malloc(sizeof(*del)), *k = malloc(sizeof(*k));
	struct tm_window nw;
	size_t gone = 0;

	tm_window_init(&nw);
	if (!del || !k || !w->n || tm_path_parse(path, del, NULL, 0))
		goto out;
	/* rebuilt rather than unlinked in place: the hash chains index e[] */
	for (size_t i = 0; i < w->n; i++) {
		if (!tm_path_parse(w->e[i].kv.key, k, NULL, 0) && tm_path_match(del, k))
			gone++;
		else if (tm_window_put(&nw, &w->e[i].kv, w->e[i].timestamp) < 0)
			nw.overflow++;
	}
	if (gone) {
		nw.overflow += w->overflow;
		tm_window_free(w);
		*w = nw;
		tm_window_init(&nw);
	}
out:
	tm_window_free(&nw);
	free(del);
	free(k);
	return gone;
}

size_t tm_export_deletes(struct telemetryd *t, const Keel__Sensor__SensorData *d)
{
	size_t total = 0;

	for (size_t i = 0; i < t->table.n_sensor; i++) {
		struct tm_sensor *s = &t->table.sensor[i];
		size_t gone = 0;

		for (size_t j = 0; j < d->n_delete_paths; j++) {
			if (!d->delete_paths[j])
				continue;
			/* a pending sample of a deleted key is not exported after its delete */
			gone += tm_window_delete(&s->win, d->delete_paths[j]);
			gone += tm_window_delete(&s->state, d->delete_paths[j]);
		}
		total += gone;
		if (gone && s->rate_s == 0) {
			struct tm_window none;

			/* the retained state without the deleted keys replaces the old one */
			tm_window_init(&none);
			tm_export_window(t, s, &none);
		}
	}
	return total;
}

static uint8_t *tm_export_encode(const struct tm_profile *p, const struct tm_sensor *s,
                                 const struct tm_window *w, struct telemetryd *t, size_t *len)
{
	if (p->format == TM_FORMAT_JSON)
		return tm_export_json(s, w, t->node, wall_ms(), len);
	/* gpb and gpb-sdm: keel.sensor.SensorData is self-describing (path keys,
	 * typed values), which is what gpb-sdm asks of a payload */
	return tm_export_gpb(s, w, t->node, ++t->seq, wall_ms(), len);
}

/* One window as datagrams: halves until each encodes within TM_EXPORT_UDP_MAX. */
static void tm_export_udp(struct telemetryd *t, const struct tm_profile *p, struct tm_sensor *s,
                          const struct tm_window *w, struct tm_exporter *x, unsigned depth)
{
	size_t len = 0;
	uint8_t *buf = tm_export_encode(p, s, w, t, &len);

	if ((!buf || len > TM_EXPORT_UDP_MAX) && w->n > 1 && depth < 24) {
		struct tm_window a = *w, b = *w;

		free(buf);
		a.n = w->n / 2;
		b.e = w->e + a.n;
		b.n = w->n - a.n;
		tm_export_udp(t, p, s, &a, x, depth + 1);
		tm_export_udp(t, p, s, &b, x, depth + 1);
		return;
	}
	if (buf && tm_exporter_send(x, TM_TRANSPORT_UDP, NULL, buf, len, 0, NULL, false) == 0)
		s->sent++;
	else
		s->dropped++;
	free(buf);
}

static struct tm_exporter *tm_export_find(struct telemetryd *t, const char *server)
{
	for (size_t i = 0; t->exp && i < t->table.n_server; i++)
		if (!strcmp(t->table.server[i].name, server))
			return t->exp[i];
	return NULL;
}

void tm_export_window(struct telemetryd *t, struct tm_sensor *s, const struct tm_window *w)
{
	const struct tm_profile *p =
	        s->export_name[0] ? tm_table_profile(&t->table, s->export_name) : NULL;
	char topic[TM_TOPIC_PREFIX_MAX + 2 * TM_NAME_MAX + 4];
	struct tm_window sorted = *w;
	bool state = s->rate_s == 0;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (!p || !s->n_servers ||
	    (p->transport != TM_TRANSPORT_MQTT && p->transport != TM_TRANSPORT_UDP))
		return; /* no server: the sensor only feeds local consumers */
	if (state) {
		/* the whole state, sorted like a taken window (stable payloads) */
		if (tm_export_state_merge(s, w))
			log_warnx("sensor %s: state over %d keys: newest keys not exported",
			          s->name, TM_WINDOW_MAX_KEYS);
		sorted.e = malloc((s->state.n ? s->state.n : 1) * sizeof(*sorted.e));
		if (!sorted.e) {
			s->dropped += s->n_servers;
			return;
		}
		if (s->state.n) /* an empty state may have no array at all (memcpy from NULL is UB)
		                 */
			memcpy(sorted.e, s->state.e, s->state.n * sizeof(*sorted.e));
		sorted.n = s->state.n;
		qsort(sorted.e, sorted.n, sizeof(*sorted.e), tm_entry_key_cmp);
	}
	if (p->transport == TM_TRANSPORT_MQTT)
		buf = tm_export_encode(p, s, &sorted, t, &len);
	/* keel-services topic-prefix: TOPIC-PREFIX/HOST-NAME/SENSOR-NAME */
	snprintf(topic, sizeof(topic), "%s/%s/%s", p->topic_prefix, t->node, s->name);
	for (unsigned i = 0; i < s->n_servers; i++) {
		struct tm_exporter *x = tm_export_find(t, s->servers[i]);

		if (!x) {
			s->dropped++;
			continue;
		}
		if (p->transport == TM_TRANSPORT_UDP) {
			tm_export_udp(t, p, s, &sorted, x, 0);
			continue;
		}
		/* state: retained, no expiry (valid until it changes); a sample older
		 * than two reporting periods has been superseded */
		if (buf && tm_exporter_send(x, TM_TRANSPORT_MQTT, topic, buf, len,
		                            state ? 0 : 2 * s->rate_s,
		                            p->format == TM_FORMAT_JSON ? "application/json"
		                                                        : "application/x-protobuf",
		                            state) == 0)
			s->sent++;
		else
			s->dropped++;
	}
	free(buf);
	if (state)
		free(sorted.e);
}
