/*
 * telemetryd's subscription to the node's bus (DESIGN.md §3 "Telemetry"):
 * every daemon publishes keel.sensor.SensorData on keel/<component>/<sensor>;
 * we subscribe to keel/#, decode each payload with the bounded pure decoder
 * once and hand it to every consumer (the sensor table, the gNMI value
 * cache) over this one connection. Publishers stamp a per-bus sequence
 * number that also advances for messages they dropped, and the broker drops
 * silently when a consumer lags (telemetry.md §7), so gaps are counted per
 * publisher here.
 *
 * The connection is lib/mqtt.c's (reconnect with backoff on the daemon's
 * loop); the subscription is renewed on every connect, since a clean session
 * forgets it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemons/telemetryd/telemetryd.h"
#include "lib/log.h"
#include "lib/mqtt.h"
#include "lib/sensor.h"

uint64_t tm_pubs_account(struct tm_pubs *t, const char *node, const char *component, uint64_t seq)
{
	struct tm_pub *p = NULL;
	uint64_t lost = 0;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->p[i].node, node) && !strcmp(t->p[i].component, component)) {
			p = &t->p[i];
			break;
		}
	if (!p) {
		if (t->n >= TM_MAX_PUBS || strlen(node) >= TM_NAME_MAX ||
		    strlen(component) >= TM_NAME_MAX) {
			t->untracked++;
			return 0;
		}
		p = &t->p[t->n++];
		memset(p, 0, sizeof(*p));
		snprintf(p->node, sizeof(p->node), "%s", node);
		snprintf(p->component, sizeof(p->component), "%s", component);
		/* the first message seen sets the baseline: what came before
		 * telemetryd started is not a loss */
	} else if (seq > p->last_seq + 1) {
		lost = seq - p->last_seq - 1;
	} else if (seq <= p->last_seq) {
		p->restarts++;
	}
	p->lost += lost;
	p->msgs++;
	p->last_seq = seq;
	return lost;
}

struct tm_bus_consumer {
	tm_bus_fn fn;
	void *arg;
};

struct tm_bus {
	struct mqtt_client *c;
	struct tm_bus_consumer con[TM_BUS_MAX_CONSUMERS];
	size_t n_con;
	struct tm_pubs pubs;
	struct tm_bus_stats st;
};

static void tm_bus_connected(void *arg)
{
	struct tm_bus *b = arg;

	/* QoS 0: a sample that arrives late is worth less than the next one */
	if (mqtt_client_subscribe(b->c, SENSOR_TOPIC_ALL, 0))
		log_warnx("bus: subscribe %s failed", SENSOR_TOPIC_ALL);
}

void tm_bus_dispatch(struct tm_bus *b, const Keel__Sensor__SensorData *d)
{
	b->st.msgs++;
	b->st.lost += tm_pubs_account(&b->pubs, d->node, d->component, d->sequence);
	for (size_t i = 0; i < b->n_con; i++)
		b->con[i].fn(b->con[i].arg, d);
}

static void tm_bus_message(void *arg, const char *topic, const void *payload, size_t len)
{
	struct tm_bus *b = arg;
	Keel__Sensor__SensorData *d = NULL;
	enum sensor_err e = sensor_msg_decode(payload, len, &d);

	if (e != SENSOR_ERR_NONE) {
		b->st.bad++;
		log_debug("bus: %s: %s", topic, sensor_err_name(e));
		return;
	}
	/* decoded once for every consumer: the decode is most of the per-message cost */
	tm_bus_dispatch(b, d);
	sensor_data_free(d);
}

int tm_bus_consumer_add(struct tm_bus *b, tm_bus_fn fn, void *arg)
{
	if (!fn || b->n_con >= TM_BUS_MAX_CONSUMERS)
		return -1;
	b->con[b->n_con++] = (struct tm_bus_consumer){fn, arg};
	return 0;
}

void tm_bus_consumer_del(struct tm_bus *b, tm_bus_fn fn, void *arg)
{
	for (size_t i = 0; i < b->n_con; i++)
		if (b->con[i].fn == fn && b->con[i].arg == arg) {
			memmove(&b->con[i], &b->con[i + 1], (b->n_con - i - 1) * sizeof(b->con[0]));
			b->n_con--;
			return;
		}
}

struct tm_bus *tm_bus_open(struct event_base *base, tm_bus_fn fn, void *arg)
{
	static const struct mqtt_client_ops ops = {
	        .connected = tm_bus_connected,
	        .message = tm_bus_message,
	};
	struct tm_bus *b = calloc(1, sizeof(*b));
	const char *env = getenv("KEEL_BUS_HOST");
	const char *host = env && *env ? env : SENSOR_BUS_HOST;
	int port = SENSOR_BUS_PORT;
	char id[64];

	if (!b)
		return NULL;
	env = getenv("KEEL_BUS_PORT");
	if (env && *env) {
		char *end;
		long p = strtol(env, &end, 10);

		if (*end == '\0' && p > 0 && p <= 65535)
			port = (int)p;
		else
			log_warnx("bus: ignoring KEEL_BUS_PORT=%s", env);
	}
	if (fn)
		tm_bus_consumer_add(b, fn, arg);
	snprintf(id, sizeof(id), "keel-telemetryd-sub-%ld", (long)getpid());
	b->c = mqtt_client_new(base, id, host, port, &ops, b);
	if (!b->c) {
		free(b);
		return NULL;
	}
	return b;
}

void tm_bus_close(struct tm_bus *b)
{
	if (!b)
		return;
	mqtt_client_free(b->c);
	free(b);
}

void tm_bus_stats(const struct tm_bus *b, struct tm_bus_stats *out)
{
	struct mqtt_client_stats cs;

	*out = b->st;
	mqtt_client_stats(b->c, &cs);
	out->connects = cs.connects;
	out->connected = cs.connected;
}

const struct tm_pubs *tm_bus_pubs(const struct tm_bus *b)
{
	return &b->pubs;
}
