/*
 * MQTT export to an external broker (export-profile transport mqtt, the
 * streaming-server as broker): one lib/mqtt.c client per streaming server,
 * reconnecting with backoff. Exports go out at QoS 0 and are dropped, never
 * queued, while the broker is away: a sample delivered after an outage is
 * stale. With an MQTT v5 broker each export also carries a Message Expiry
 * Interval (the caller's: two reporting periods), so the broker does not
 * hand a stale sample to a late subscriber either (telemetry.md §7); a 3.1.1
 * broker gets plain publishes. At most
 * TM_EXPORT_QUEUE_MSGS messages wait unwritten in libmosquitto; a QoS 0
 * publish reports its last byte written through on_publish, so the count of
 * handed-over minus written messages is exact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemons/telemetryd/telemetryd.h"
#include "lib/log.h"
#include "lib/mqtt.h"

struct tm_exporter {
	struct mqtt_client *c;
	struct tm_server srv;
	struct tm_exporter_stats st;
};

static void tm_exporter_published(void *arg, int mid)
{
	struct tm_exporter *x = arg;

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

struct tm_exporter *tm_exporter_new(struct event_base *base, const struct tm_server *srv)
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
	snprintf(id, sizeof(id), "keel-telemetryd-%s-%ld", srv->name, (long)getpid());
	x->c = mqtt_client_new(base, id, srv->address, srv->port, &ops, x);
	if (!x->c) {
		free(x);
		return NULL;
	}
	mqtt_client_prefer_v5(x->c);
	return x;
}

void tm_exporter_free(struct tm_exporter *x)
{
	if (!x)
		return;
	mqtt_client_free(x->c);
	free(x);
}

bool tm_exporter_same(const struct tm_exporter *x, const struct tm_server *srv)
{
	return !strcmp(x->srv.name, srv->name) && !strcmp(x->srv.address, srv->address) &&
	       x->srv.port == srv->port;
}

int tm_exporter_send(struct tm_exporter *x, const char *topic, const uint8_t *buf, size_t len,
                     uint32_t expiry_s, const char *content_type)
{
	if (!mqtt_client_connected(x->c) || x->st.queued >= TM_EXPORT_QUEUE_MSGS) {
		x->st.dropped++;
		return -1;
	}
	/* counted first: on_publish may run inside the publish call */
	x->st.queued++;
	if (mqtt_client_publish_v5(x->c, topic, buf, len, 0, false, expiry_s, content_type, NULL)) {
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
	mqtt_client_stats(x->c, &cs);
	out->connects = cs.connects;
	out->connected = cs.connected;
}
