/*
 * telemetryd's control-socket methods: "show.sensors" (`show agent sensors`):
 * one SensorsReply{sensor} per provisioned sensor, then one per subscription
 * of every live gNMI Subscribe RPC (named as Junos names the sensors a gNMI
 * subscription creates: sensor_<subscription-id>_<n>, parent
 * sensor_<subscription-id>, profile export_<subscription-id>;
 * telemetry.md §5), then one SensorsReply{bus} with the bus subscription and
 * its publishers, one SensorsReply{gnmi} with the server's counters and one
 * SensorsReply{proxy} per ctl-socket proxy rule (polls, errors, last poll).
 */
#include <stdlib.h>
#include <string.h>

#include "daemons/telemetryd/gnmi.h"
#include "daemons/telemetryd/proxy.h"
#include "daemons/telemetryd/telemetryd.h"
#include "lib/daemon.h"
#include "lib/proto/telemetryd.pb-c.h"

static int tm_ctl_sensor(struct ctl_req *req, struct telemetryd *t, struct tm_sensor *s)
{
	Keel__Telemetryd__SensorsReply r = KEEL__TELEMETRYD__SENSORS_REPLY__INIT;
	Keel__Telemetryd__Sensor m = KEEL__TELEMETRYD__SENSOR__INIT;
	char *comps[TM_MAX_COMPONENTS];
	char servers[TM_MAX_SERVERS * TM_NAME_MAX] = "";
	const struct tm_profile *p =
	        s->export_name[0] ? tm_table_profile(&t->table, s->export_name) : NULL;
	const struct tm_server *srv =
	        s->server_name[0] ? tm_table_server(&t->table, s->server_name) : NULL;
	struct tm_exporter *x = tm_agent_exporter(t, s);
	unsigned i;

	m.name = s->name;
	m.resource = s->resource;
	m.version = "1.0";
	m.sensor_id = s->sensor_id;
	m.parent_sensor_name = "";
	for (i = 0; i < s->n_components; i++)
		comps[i] = s->components[i];
	m.components = comps;
	m.n_components = s->n_components;
	m.profile_name = s->export_name;
	m.reporting_interval = s->rate_s;
	m.format = (char *)(p ? tm_format_name(p->format) : "");
	m.transport = (char *)(p ? tm_transport_name(p->transport) : "");
	/* every server-name, comma-separated (the address is the first one's) */
	for (i = 0; i < s->n_servers; i++) {
		size_t used = strlen(servers);

		snprintf(servers + used, sizeof(servers) - used, "%s%s", i ? "," : "",
		         s->servers[i]);
	}
	m.server_name = servers;
	m.server_address = (char *)(srv ? srv->address : "");
	m.server_port = srv ? srv->port : 0;
	if (x) {
		struct tm_exporter_stats xs;

		tm_exporter_stats(x, &xs);
		m.server_connected = xs.connected;
	}
	m.updates = s->updates;
	m.messages_sent = s->sent;
	m.messages_dropped = s->dropped;
	m.pending = (uint32_t)s->win.n;
	r.item_case = KEEL__TELEMETRYD__SENSORS_REPLY__ITEM_SENSOR;
	r.sensor = &m;
	return ctl_reply(req, &r.base);
}

static int tm_ctl_bus(struct ctl_req *req, struct telemetryd *t)
{
	Keel__Telemetryd__SensorsReply r = KEEL__TELEMETRYD__SENSORS_REPLY__INIT;
	Keel__Telemetryd__BusInfo b = KEEL__TELEMETRYD__BUS_INFO__INIT;
	Keel__Telemetryd__Publisher *pubs = NULL, **pp = NULL;
	struct tm_bus_stats st;
	const struct tm_pubs *tp;
	size_t i;
	int rc;

	if (t->bus) {
		tm_bus_stats(t->bus, &st);
		b.connected = st.connected;
		b.connects = st.connects;
		b.messages = st.msgs;
		b.malformed = st.bad;
		b.lost = st.lost;
		tp = tm_bus_pubs(t->bus);
		if (tp->n) {
			pubs = calloc(tp->n, sizeof(*pubs));
			pp = calloc(tp->n, sizeof(*pp));
		}
		for (i = 0; pubs && pp && i < tp->n; i++) {
			keel__telemetryd__publisher__init(&pubs[i]);
			pubs[i].node = (char *)tp->p[i].node;
			pubs[i].component = (char *)tp->p[i].component;
			pubs[i].messages = tp->p[i].msgs;
			pubs[i].lost = tp->p[i].lost;
			pubs[i].restarts = tp->p[i].restarts;
			pp[i] = &pubs[i];
			b.n_publishers++;
		}
		b.publishers = pp;
	}
	r.item_case = KEEL__TELEMETRYD__SENSORS_REPLY__ITEM_BUS;
	r.bus = &b;
	rc = ctl_reply(req, &r.base);
	free(pubs);
	free(pp);
	return rc;
}

struct tm_ctl_gnmi {
	struct ctl_req *req;
	const char *filter; /* NULL or "": all */
	int rc;
};

/* "ipv4:10.0.0.2:5000" -> "10.0.0.2:5000", "ipv6:[::1]:5000" -> "[::1]:5000" (gRPC URI peers). */
static const char *tm_ctl_peer(const char *peer)
{
	if (!strncmp(peer, "ipv4:", 5) || !strncmp(peer, "ipv6:", 5))
		return peer + 5;
	return peer;
}

static void tm_ctl_gnmi_sub(void *arg, const struct gnmi_sub_info *si)
{
	struct tm_ctl_gnmi *x = arg;
	Keel__Telemetryd__SensorsReply r = KEEL__TELEMETRYD__SENSORS_REPLY__INIT;
	Keel__Telemetryd__Sensor m = KEEL__TELEMETRYD__SENSOR__INIT;
	char name[TM_NAME_MAX], parent[TM_NAME_MAX], profile[TM_NAME_MAX];
	bool sample = si->list_mode == GNMI__SUBSCRIPTION_LIST__MODE__STREAM &&
	              si->mode == GNMI__SUBSCRIPTION_MODE__SAMPLE;

	snprintf(name, sizeof(name), "sensor_%u_%u", si->call_id, si->index);
	snprintf(parent, sizeof(parent), "sensor_%u", si->call_id);
	snprintf(profile, sizeof(profile), "export_%u", si->call_id);
	if (x->rc ||
	    (x->filter && x->filter[0] && strcmp(x->filter, name) && strcmp(x->filter, parent)))
		return;
	m.name = name;
	m.resource = (char *)si->path;
	m.version = "1.0";
	m.sensor_id = tm_sensor_hash(name);
	m.subscription_id = si->call_id;
	m.parent_sensor_name = parent;
	m.profile_name = profile;
	/* Junos reports whole seconds; the exact interval is in reporting_interval_ms */
	m.reporting_interval = sample ? (uint32_t)(si->sample_ms / 1000) : 0;
	m.reporting_interval_ms = sample ? (uint32_t)si->sample_ms : 0;
	m.heartbeat_interval_ms = (uint32_t)si->heartbeat_ms;
	m.format = (char *)gnmi_encoding_name(si->encoding);
	m.transport = "grpc";
	m.server_name = "";
	m.server_address = "";
	m.subscriber = (char *)tm_ctl_peer(si->peer);
	m.mode = (char *)gnmi_mode_name(si->list_mode, si->mode);
	m.updates = si->updates;
	m.duplicates = si->duplicates;
	m.pending = (uint32_t)si->queued;
	r.item_case = KEEL__TELEMETRYD__SENSORS_REPLY__ITEM_SENSOR;
	r.sensor = &m;
	x->rc = ctl_reply(x->req, &r.base);
}

static int tm_ctl_gnmi(struct ctl_req *req, struct telemetryd *t)
{
	Keel__Telemetryd__SensorsReply r = KEEL__TELEMETRYD__SENSORS_REPLY__INIT;
	Keel__Telemetryd__GnmiInfo gi = KEEL__TELEMETRYD__GNMI_INFO__INIT;
	struct gnmi_stats st;

	gnmi_stats(t->gnmi, &st);
	gi.listening = st.listening;
	gi.port = st.port;
	gi.calls = st.calls;
	gi.active = st.active;
	gi.updates = st.updates;
	gi.duplicates = st.duplicates;
	gi.exhausted = st.exhausted;
	gi.cache_keys = st.cache_keys;
	r.item_case = KEEL__TELEMETRYD__SENSORS_REPLY__ITEM_GNMI;
	r.gnmi = &gi;
	return ctl_reply(req, &r.base);
}

/* One SensorsReply{proxy} per ctl-socket proxy rule: is it polled, and does it answer. */
static int tm_ctl_proxy(struct ctl_req *req, struct telemetryd *t)
{
	for (size_t i = 0; t->proxy && i < tm_proxy_n_rules; i++) {
		Keel__Telemetryd__SensorsReply r = KEEL__TELEMETRYD__SENSORS_REPLY__INIT;
		Keel__Telemetryd__ProxyInfo pi = KEEL__TELEMETRYD__PROXY_INFO__INIT;
		const struct tm_proxy_rule *rule = &tm_proxy_rules[i];
		struct tm_proxy_stats st;

		if (tm_proxy_stats(t->proxy, i, &st))
			break;
		pi.daemon = (char *)rule->daemon;
		pi.method = (char *)rule->method;
		pi.root = (char *)rule->root;
		pi.period_ms = st.period_ms;
		pi.connected = st.connected;
		pi.polls = st.polls;
		pi.replies = st.replies;
		pi.errors = st.errors;
		pi.published = st.published;
		pi.unchanged = st.unchanged;
		pi.last_poll_ms = st.last_poll_ms;
		r.item_case = KEEL__TELEMETRYD__SENSORS_REPLY__ITEM_PROXY;
		r.proxy = &pi;
		if (ctl_reply(req, &r.base))
			return -1;
	}
	return 0;
}

static void tm_show_sensors(struct ctl_req *req, void *arg)
{
	struct telemetryd *t = ((struct daemon *)arg)->priv;
	Keel__Telemetryd__ShowSensors *q = NULL;
	size_t i;

	if (req->payload_len) {
		q = keel__telemetryd__show_sensors__unpack(NULL, req->payload_len, req->payload);
		if (!q) {
			ctl_error(req, CTL_ERR_INVALID, "show.sensors: bad request");
			return;
		}
	}
	for (i = 0; t && i < t->table.n_sensor; i++) {
		struct tm_sensor *s = &t->table.sensor[i];

		if (q && q->name && q->name[0] && strcmp(q->name, s->name))
			continue;
		if (tm_ctl_sensor(req, t, s))
			break;
	}
	if (t && t->gnmi) {
		struct tm_ctl_gnmi x = {req, q ? q->name : NULL, 0};

		gnmi_subscriptions(t->gnmi, tm_ctl_gnmi_sub, &x);
	}
	if (t && !tm_ctl_bus(req, t) && (!t->gnmi || !tm_ctl_gnmi(req, t)))
		tm_ctl_proxy(req, t);
	if (q)
		keel__telemetryd__show_sensors__free_unpacked(q, NULL);
	ctl_end(req);
}

const struct ctl_method tm_ctl_methods[] = {
        {.name = "show.sensors",
         .fn = tm_show_sensors,
         .help = "Provisioned sensors and the bus (ShowSensors -> SensorsReply*)"},
};
const size_t tm_ctl_n_methods = sizeof(tm_ctl_methods) / sizeof(tm_ctl_methods[0]);
