/*
 * telemetryd — sensor provisioning, the node bus subscription, MQTT export
 * and the gNMI server (Junos agentd + na-grpcd + the namqtd client role).
 *
 *   main.c      start-up: YANG schema, bus, export tick, ctl methods, config
 *   telemetryd.h types
 *   sensor.c    the sensor table (pure): config -> sensors, path matcher,
 *               reporting-rate windows, export payloads (JSON, GPB)
 *   schema.c    sensor resources checked against yang/ with libyang, once
 *   bus.c       subscriber to keel/# on the node's bus, per-publisher gaps
 *   export.c    one MQTT client per streaming server, bounded, never blocks
 *   agent.c     bus -> table -> due windows -> exporters, on one loop
 *   config.c    `services analytics` validate/apply (lib/cfg)
 *   ctl.c       "show.sensors"
 *   proxy.c     state no daemon publishes, read from its ctl socket at the
 *               wanted rate and published on the bus (xmlproxyd)
 *   gnmi*.c     gNMI over gRPC (gnmi.h): a value cache fed from bus.c from start-up, a
 *               listener only when `system services extension-service
 *               request-response grpc` is configured
 *
 * Environment: KEEL_YANG_DIR (modules; default: the tree a build/bin or
 * build/NAME/bin binary came from, then the installed copy), KEEL_BUS_HOST,
 * KEEL_BUS_PORT, KEEL_NODE_NAME, KEEL_GNMI_STALL_MS (gNMI stall bound).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemons/telemetryd/gnmi.h"
#include "daemons/telemetryd/proxy.h"
#include "daemons/telemetryd/telemetryd.h"
#include "lib/daemon.h"
#include "lib/log.h"
#include "lib/paths.h"

static const char *const tm_debug_flags[] = {"bus", "export", "ctl", NULL};

static int tm_init(struct daemon *d)
{
	struct telemetryd *t = calloc(1, sizeof(*t));
	char dir[PATH_MAX], err[256] = "";

	if (!t)
		return -1;
	d->priv = t;
	t->d = d;
	/* Without the schema telemetryd still runs (the control plane never
	 * depends on telemetry); config.c then refuses sensors. */
	if (keel_yang_dir(dir, sizeof(dir)) < 0 ||
	    !(t->schema = tm_schema_open(dir, err, sizeof(err))))
		log_warnx("YANG modules not loaded (%s): sensors cannot be provisioned", err);
	if (tm_agent_start(t)) {
		log_warnx("cannot start the bus subscription");
		return -1;
	}
	/* gNMI is optional: without it sensors and MQTT export still run */
	/* gNMI's value cache shares the agent's bus connection (one client id,
	 * each message decoded once) */
	if (!(t->gnmi = gnmi_new(d->base, t->schema)))
		log_warnx("gnmi: cannot start the value cache: gNMI is off");
	else if (tm_bus_consumer_add(t->bus, gnmi_bus_deliver, t->gnmi))
		log_warnx("gnmi: cannot attach the value cache to the bus");
	if (!(t->proxy = tm_proxy_new(t)))
		log_warnx("proxy: out of memory: ctl-socket sensors are off");
	return 0;
}

static void tm_shutdown(struct daemon *d)
{
	struct telemetryd *t = d->priv;

	if (!t)
		return;
	tm_proxy_free(t->proxy); /* reads t->table and t->gnmi */
	if (t->bus && t->gnmi)
		tm_bus_consumer_del(t->bus, gnmi_bus_deliver, t->gnmi);
	gnmi_free(t->gnmi);
	tm_agent_stop(t);
	tm_schema_close(t->schema);
	free(t);
	d->priv = NULL;
}

static const struct daemon_desc tm_desc = {
        .name = "telemetryd",
        .debug_flags = tm_debug_flags,
        .methods = tm_ctl_methods,
        .init = tm_init,
        .shutdown = tm_shutdown,
        .cfg = &tm_cfg_ops,
};

int main(int argc, char **argv)
{
	struct daemon_desc desc = tm_desc;

	desc.n_methods = tm_ctl_n_methods;
	return daemon_main(&desc, argc, argv);
}
