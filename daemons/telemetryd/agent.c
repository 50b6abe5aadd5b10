/*
 * telemetryd at run time: bus messages go into the sensor table, a tick
 * closes the windows that are due and hands their pairs to the sensor's
 * exporter in the profile's format. Everything runs on the daemon's libevent
 * loop; no call here blocks (lib/mqtt.c publishes are non-blocking, and an
 * exporter drops rather than queues without bound).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemons/telemetryd/telemetryd.h"
#include "lib/daemon.h"
#include "lib/ev.h"
#include "lib/log.h"
#include "lib/sensor.h"

struct tm_exporter *tm_agent_exporter(struct telemetryd *t, const struct tm_sensor *s)
{
	const struct tm_profile *p;
	size_t i;

	if (!s->n_servers || !s->export_name[0] || !t->exp)
		return NULL;
	p = tm_table_profile(&t->table, s->export_name);
	if (!p || (p->transport != TM_TRANSPORT_MQTT && p->transport != TM_TRANSPORT_UDP))
		return NULL;
	for (i = 0; i < t->table.n_server; i++)
		if (!strcmp(t->table.server[i].name, s->servers[0]))
			return t->exp[i];
	return NULL;
}

static void tm_agent_export(struct telemetryd *t, struct tm_sensor *s, uint64_t now)
{
	struct tm_window w;

	tm_sensor_take(s, now, &w);
	/* a sensor without a server only feeds local consumers */
	tm_export_window(t, s, &w);
	tm_window_free(&w);
}

static void tm_agent_tick(evutil_socket_t fd, short what, void *arg)
{
	struct telemetryd *t = arg;
	uint64_t now = mono_ms();
	size_t i;

	for (i = 0; i < t->table.n_sensor; i++) {
		struct tm_sensor *s = &t->table.sensor[i];

		if (s->win.n)
			tm_sensor_arm(s, now);
		if (tm_sensor_due(s, now))
			tm_agent_export(t, s, now);
	}
}

static void tm_agent_deliver(void *arg, const Keel__Sensor__SensorData *d)
{
	struct telemetryd *t = arg;
	uint64_t now;
	size_t i;

	/* deletes first: a message that deletes a subtree and sets keys in it
	 * leaves the new keys */
	if (d->n_delete_paths)
		tm_export_deletes(t, d);
	if (!tm_table_feed(&t->table, d))
		return;
	now = mono_ms();
	for (i = 0; i < t->table.n_sensor; i++) {
		struct tm_sensor *s = &t->table.sensor[i];

		if (s->win.n)
			tm_sensor_arm(s, now);
		/* rate 0 (on change) does not wait for the tick */
		if (s->rate_s == 0 && tm_sensor_due(s, now))
			tm_agent_export(t, s, now);
	}
}

static void tm_node_name(char *buf, size_t len)
{
	const char *env = getenv("KEEL_NODE_NAME");
	char host[256] = "";
	size_t n = 0;

	if (env && *env)
		snprintf(host, sizeof(host), "%s", env);
	else if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	/* a topic level: no '/', '+', '#' */
	for (const char *p = host; *p && n + 1 < len; p++)
		buf[n++] = (*p == '/' || *p == '+' || *p == '#') ? '_' : *p;
	buf[n] = '\0';
	if (!n)
		snprintf(buf, len, "local");
}

int tm_agent_start(struct telemetryd *t)
{
	struct timeval tv = {0, TM_TICK_MS * 1000};

	tm_node_name(t->node, sizeof(t->node));
	t->bus = tm_bus_open(t->d->base, tm_agent_deliver, t);
	t->tick = event_new(t->d->base, -1, EV_PERSIST, tm_agent_tick, t);
	if (!t->bus || !t->tick)
		return -1;
	event_add(t->tick, &tv);
	return 0;
}

static void tm_agent_free_exporters(struct telemetryd *t)
{
	size_t i;

	if (!t->exp)
		return;
	for (i = 0; i < t->table.n_server; i++)
		tm_exporter_free(t->exp[i]);
	free(t->exp);
	t->exp = NULL;
}

void tm_agent_stop(struct telemetryd *t)
{
	if (t->tick)
		event_free(t->tick);
	t->tick = NULL;
	tm_bus_close(t->bus);
	t->bus = NULL;
	tm_agent_free_exporters(t);
	tm_table_free(&t->table);
}

/* The transports sensors of table nt export over to server i (1 << tm_transport). */
static unsigned tm_server_transports(const struct tm_table *nt, size_t i)
{
	unsigned m = 0;
	size_t j;

	for (j = 0; j < nt->n_sensor; j++) {
		const struct tm_sensor *s = &nt->sensor[j];
		const struct tm_profile *p =
		        s->export_name[0] ? tm_table_profile(nt, s->export_name) : NULL;

		if (!p || (p->transport != TM_TRANSPORT_MQTT && p->transport != TM_TRANSPORT_UDP))
			continue;
		for (unsigned k = 0; k < s->n_servers; k++)
			if (!strcmp(s->servers[k], nt->server[i].name))
				m |= 1u << p->transport;
	}
	return m;
}

void tm_agent_install(struct telemetryd *t, struct tm_table *nt)
{
	struct tm_exporter **exp = calloc(nt->n_server ? nt->n_server : 1, sizeof(*exp));
	size_t i, j;

	tm_table_carry(&t->table, nt);
	for (i = 0; exp && i < nt->n_server; i++) {
		unsigned tr = tm_server_transports(nt, i);

		if (!tr)
			continue;
		/* an unchanged server keeps its connection */
		for (j = 0; t->exp && j < t->table.n_server; j++)
			if (t->exp[j] && tm_exporter_same(t->exp[j], &nt->server[i], tr)) {
				exp[i] = t->exp[j];
				t->exp[j] = NULL;
				break;
			}
		if (!exp[i] && !(exp[i] = tm_exporter_new(t->d->base, &nt->server[i], tr)))
			log_warnx("streaming-server %s: cannot create the exporter",
			          nt->server[i].name);
	}
	tm_agent_free_exporters(t);
	tm_table_free(&t->table);
	t->table = *nt;
	t->exp = exp;
	memset(nt, 0, sizeof(*nt));
	log_info("%zu sensor(s), %zu export profile(s), %zu streaming server(s)", t->table.n_sensor,
	         t->table.n_profile, t->table.n_server);
}
