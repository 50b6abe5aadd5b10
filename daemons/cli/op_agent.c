/*
 * show agent sensors [NAME]: from telemetryd ("show.sensors"). The layout is
 * Junos' (label column 40 wide after the indent, a "Profile Information"
 * block per sensor); keel adds the streaming server and export counters,
 * which Junos keeps in other commands. Dial-in gNMI subscriptions are listed
 * as Junos lists them (sensor_<id>_<n>, transport grpc) with the collector
 * as subscriber, followed by the gNMI server's counters and the ctl-socket
 * proxy's polls per rule (is the state a daemon does not publish being read).
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "daemons/cli/op_agent.h"
#include "lib/ctl.h"
#include "lib/pbjson.h"
#include "lib/proto/telemetryd.pb-c.h"

struct cli_agent_fetch {
	struct json_object *sensors;
	struct json_object *bus;
	struct json_object *gnmi;
	struct json_object *proxy;
};

static int cli_agent_part(const uint8_t *payload, size_t len, void *arg)
{
	struct cli_agent_fetch *f = arg;
	Keel__Telemetryd__SensorsReply *r =
	        keel__telemetryd__sensors_reply__unpack(NULL, len, payload);

	if (!r)
		return -1;
	if (r->item_case == KEEL__TELEMETRYD__SENSORS_REPLY__ITEM_SENSOR && r->sensor)
		json_object_array_add(f->sensors, pbjson_from_msg(&r->sensor->base));
	else if (r->item_case == KEEL__TELEMETRYD__SENSORS_REPLY__ITEM_BUS && r->bus) {
		json_object_put(f->bus);
		f->bus = pbjson_from_msg(&r->bus->base);
	} else if (r->item_case == KEEL__TELEMETRYD__SENSORS_REPLY__ITEM_GNMI && r->gnmi) {
		json_object_put(f->gnmi);
		f->gnmi = pbjson_from_msg(&r->gnmi->base);
	} else if (r->item_case == KEEL__TELEMETRYD__SENSORS_REPLY__ITEM_PROXY && r->proxy)
		json_object_array_add(f->proxy, pbjson_from_msg(&r->proxy->base));
	keel__telemetryd__sensors_reply__free_unpacked(r, NULL);
	return 0;
}

static struct json_object *cli_fetch_agent_sensors(struct cli *cli, const struct cli_argv *av,
                                                   char *err, size_t errlen)
{
	Keel__Telemetryd__ShowSensors req = KEEL__TELEMETRYD__SHOW_SENSORS__INIT;
	const char *name = cli_argv_value(av, "<sensor-name>");
	struct cli_agent_fetch f = {json_object_new_array(), NULL, NULL, json_object_new_array()};
	struct ctl_client *c = ctl_client_connect("telemetryd");
	struct json_object *o;
	int rc;

	if (!c) {
		snprintf(err, errlen,
		         "telemetryd is not running (no answer on its control socket)");
		json_object_put(f.sensors);
		return NULL;
	}
	req.name = (char *)(name ? name : "");
	rc = ctl_call(c, "show.sensors", &req.base, cli_agent_part, &f, cli->timeout_ms, err,
	              errlen);
	ctl_client_close(c);
	if (rc != 0) {
		if (rc < 0)
			snprintf(err, errlen, "telemetryd did not answer");
		json_object_put(f.sensors);
		json_object_put(f.bus);
		json_object_put(f.gnmi);
		json_object_put(f.proxy);
		return NULL;
	}
	if (name && json_object_array_length(f.sensors) == 0) {
		snprintf(err, errlen, "sensor %s not found", name);
		json_object_put(f.sensors);
		json_object_put(f.bus);
		json_object_put(f.gnmi);
		json_object_put(f.proxy);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, CLI_AGENT_SENSORS, f.sensors);
	if (f.bus)
		json_object_object_add(o, CLI_AGENT_BUS, f.bus);
	if (f.gnmi)
		json_object_object_add(o, CLI_AGENT_GNMI, f.gnmi);
	json_object_object_add(o, CLI_AGENT_PROXY, f.proxy);
	return o;
}

static const char *cli_ag_s(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_string(v)
	               ? json_object_get_string(v)
	               : "";
}

static uint64_t cli_ag_u(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (uint64_t)json_object_get_uint64(v) : 0;
}

static void cli_ag_upper(char *buf, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		buf[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 'a' + 'A') : s[i];
	buf[i] = '\0';
}

static void cli_render_sensor(struct json_object *s, FILE *out)
{
	struct json_object *comps;
	bool grpc = !strcmp(cli_ag_s(s, "transport"), "grpc");
	uint64_t ms;
	char fmt[16];
	size_t i;

	fprintf(out, "Sensor Information :\n");
	fprintf(out, "    %-40s: %s\n", "Name", cli_ag_s(s, "name"));
	fprintf(out, "    %-40s: %s\n", "Resource", cli_ag_s(s, "resource"));
	fprintf(out, "    %-40s: %s\n", "Version", cli_ag_s(s, "version"));
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Sensor-id", cli_ag_u(s, "sensor-id"));
	if (cli_ag_u(s, "subscription-id"))
		fprintf(out, "    %-40s: %" PRIu64 "\n", "Subscription-ID",
		        cli_ag_u(s, "subscription-id"));
	if (*cli_ag_s(s, "parent-sensor-name"))
		fprintf(out, "    %-40s: %s\n", "Parent-Sensor-Name",
		        cli_ag_s(s, "parent-sensor-name"));
	fprintf(out, "    %-40s: ", "Component(s)");
	if (json_object_object_get_ex(s, "components", &comps) &&
	    json_object_is_type(comps, json_type_array))
		for (i = 0; i < json_object_array_length(comps); i++)
			fprintf(out, "%s%s", i ? ", " : "",
			        json_object_get_string(json_object_array_get_idx(comps, i)));
	fputc('\n', out);
	fprintf(out, "    Profile Information :\n");
	fprintf(out, "        %-36s: %s\n", "Name", cli_ag_s(s, "profile-name"));
	ms = cli_ag_u(s, "reporting-interval-ms");
	if (grpc && ms % 1000)
		/* Junos prints seconds; a sub-second gNMI sample interval keeps its digits */
		fprintf(out, "        %-36s: %" PRIu64 ".%03" PRIu64 "\n", "Reporting-interval",
		        ms / 1000, ms % 1000);
	else
		fprintf(out, "        %-36s: %" PRIu64 "\n", "Reporting-interval",
		        cli_ag_u(s, "reporting-interval"));
	cli_ag_upper(fmt, sizeof(fmt), cli_ag_s(s, "format"));
	fprintf(out, "        %-36s: %s\n", "Format", fmt);
	if (*cli_ag_s(s, "transport"))
		fprintf(out, "        %-36s: %s\n", "Transport", cli_ag_s(s, "transport"));
	if (*cli_ag_s(s, "server-name")) {
		fprintf(out, "    Server Information :\n");
		fprintf(out, "        %-36s: %s\n", "Name", cli_ag_s(s, "server-name"));
		fprintf(out, "        %-36s: %s:%" PRIu64 "\n", "Address",
		        cli_ag_s(s, "server-address"), cli_ag_u(s, "server-port"));
		if (!strcmp(cli_ag_s(s, "transport"), "mqtt"))
			fprintf(out, "        %-36s: %s\n", "State",
			        json_object_get_boolean(
			                json_object_object_get(s, "server-connected"))
			                ? "Connected"
			                : "Not connected");
	}
	if (grpc) {
		/* a dial-in gNMI subscription: the collector is the subscriber */
		fprintf(out, "    Subscriber Information :\n");
		fprintf(out, "        %-36s: %s\n", "Address", cli_ag_s(s, "subscriber"));
		fprintf(out, "        %-36s: %s\n", "Mode", cli_ag_s(s, "mode"));
		if (cli_ag_u(s, "heartbeat-interval-ms"))
			fprintf(out, "        %-36s: %" PRIu64 " ms\n", "Heartbeat-interval",
			        cli_ag_u(s, "heartbeat-interval-ms"));
		fprintf(out, "        %-36s: %" PRIu64 "\n", "Queued", cli_ag_u(s, "pending"));
		fprintf(out, "        %-36s: %" PRIu64 "\n", "Coalesced",
		        cli_ag_u(s, "duplicates"));
		fprintf(out, "    %-40s: %" PRIu64 "\n", "Updates", cli_ag_u(s, "updates"));
		return;
	}
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Updates", cli_ag_u(s, "updates"));
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Messages-sent", cli_ag_u(s, "messages-sent"));
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Messages-dropped",
	        cli_ag_u(s, "messages-dropped"));
}

static void cli_render_gnmi(struct json_object *gnmi, FILE *out);

/* One line per proxy rule; times in UTC so the output does not depend on the TZ. */
static void cli_render_proxy(struct json_object *arr, FILE *out)
{
	fprintf(out, "\nProxy Information :\n");
	fprintf(out, "    %-28s %-8s %8s %8s %8s  %s\n", "Source", "Period", "Polls", "Replies",
	        "Errors", "Last poll");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *p = json_object_array_get_idx(arr, i);
		uint64_t last = cli_ag_u(p, "last-poll-ms"), per = cli_ag_u(p, "period-ms");
		char src[64], period[32], when[32] = "never";
		time_t sec = (time_t)(last / 1000);
		struct tm tm;

		snprintf(src, sizeof(src), "%s %s", cli_ag_s(p, "daemon"), cli_ag_s(p, "method"));
		if (per)
			snprintf(period, sizeof(period), "%" PRIu64 " ms", per);
		else
			snprintf(period, sizeof(period), "idle");
		if (last && gmtime_r(&sec, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		fprintf(out, "    %-28s %-8s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "  %s\n", src,
		        period, cli_ag_u(p, "polls"), cli_ag_u(p, "replies"), cli_ag_u(p, "errors"),
		        when);
	}
}

void cli_render_agent_sensors(struct cli *cli, const struct cli_argv *av, struct json_object *data,
                              FILE *out)
{
	struct json_object *arr, *bus, *gnmi, *proxy;
	size_t i;

	if (!json_object_object_get_ex(data, CLI_AGENT_SENSORS, &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return;
	for (i = 0; i < json_object_array_length(arr); i++) {
		if (i)
			fputc('\n', out);
		cli_render_sensor(json_object_array_get_idx(arr, i), out);
	}
	if ((av && cli_argv_value(av, "<sensor-name>")) ||
	    !json_object_object_get_ex(data, CLI_AGENT_BUS, &bus))
		return;
	if (i)
		fputc('\n', out);
	fprintf(out, "Bus Information :\n");
	fprintf(out, "    %-40s: %s\n", "State",
	        json_object_get_boolean(json_object_object_get(bus, "connected"))
	                ? "Connected"
	                : "Not connected");
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Messages", cli_ag_u(bus, "messages"));
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Malformed", cli_ag_u(bus, "malformed"));
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Lost (sequence gaps)", cli_ag_u(bus, "lost"));
	if (json_object_object_get_ex(data, CLI_AGENT_GNMI, &gnmi))
		cli_render_gnmi(gnmi, out);
	if (json_object_object_get_ex(data, CLI_AGENT_PROXY, &proxy) &&
	    json_object_is_type(proxy, json_type_array) && json_object_array_length(proxy))
		cli_render_proxy(proxy, out);
}

static void cli_render_gnmi(struct json_object *gnmi, FILE *out)
{
	fprintf(out, "\ngNMI Information :\n");
	if (json_object_get_boolean(json_object_object_get(gnmi, "listening")))
		fprintf(out, "    %-40s: Listening on port %" PRIu64 "\n", "State",
		        cli_ag_u(gnmi, "port"));
	else
		fprintf(out, "    %-40s: Not listening\n", "State");
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Calls", cli_ag_u(gnmi, "calls"));
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Active calls", cli_ag_u(gnmi, "active"));
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Updates sent", cli_ag_u(gnmi, "updates"));
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Coalesced", cli_ag_u(gnmi, "duplicates"));
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Stalled collectors dropped",
	        cli_ag_u(gnmi, "exhausted"));
	fprintf(out, "    %-40s: %" PRIu64 "\n", "Cached paths", cli_ag_u(gnmi, "cache-keys"));
}

static const struct cli_node cli_show_agent_sensors[] = {
        {.arg = "<sensor-name>",
         .help = "Name of sensor",
         .fetch = cli_fetch_agent_sensors,
         .render = cli_render_agent_sensors},
        {0},
};

const struct cli_node cli_show_agent[] = {
        {.name = "sensors",
         .help = "Show sensor information",
         .fetch = cli_fetch_agent_sensors,
         .render = cli_render_agent_sensors,
         .children = cli_show_agent_sensors},
        {0},
};
