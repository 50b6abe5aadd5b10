/*
 * What ribd publishes on the node's bus, sensor "route-summary" (topic
 * keel/ribd/route-summary): every RIBD_SAMPLE_MS, and RIBD_CHANGE_MS after
 * the routing table changed (several changes make one message).
 *
 * OpenConfig AFT summary (openconfig-aft-summary, shared/notes/telemetry.md §8),
 * FIB entries (active routes) per origin protocol; Direct and Local routes
 * are both DIRECTLY_CONNECTED, Kernel routes have no OpenConfig identity:
 *   /network-instances/network-instance[name=DEFAULT]/afts/aft-summaries/
 *     ipv4-unicast|ipv6-unicast/protocols/protocol[origin-protocol=STATIC]/state/counters/aft-entries
 * keel's own paths, with the Junos table and protocol names:
 *   /routing/tables/table[name=inet.0]/state/{destinations,routes,active,hidden}
 *   /routing/tables/table[name=inet.0]/protocols/protocol[name=Static]/state/{routes,active}
 *   /routing/fib/state/{installed,stale,adds,replaces,deletes,errors,batches}
 *   /routing/bfd/state/{sessions,up,routes,transitions,last-reaction-us,max-reaction-us}
 */
#include <stdlib.h>
#include <sys/socket.h>

#include "daemons/ribd/ribd.h"
#include "lib/log.h"
#include "lib/sensor.h"

#define RIBD_SAMPLE_MS 10000
#define RIBD_CHANGE_MS 1000
#define RIBD_OC_AFT    "/network-instances/network-instance[name=DEFAULT]/afts/aft-summaries/%s/"
#define RIBD_TABLE     "/routing/tables/table[name=%s]/"

struct ribd_sensors {
	struct ribd *r;
	struct sensor_bus *bus;
	struct timer sample;
	struct timer change;
};

static void ribd_sensor_table(struct sensor_msg *m, struct ribd *r, int family)
{
	const char *table = family == AF_INET ? "inet.0" : "inet6.0";
	const char *afi = family == AF_INET ? "ipv4-unicast" : "ipv6-unicast";
	struct rib_stats st;
	uint64_t connected;

	rib_stats(r->rib, family, &st);
	sensor_msg_addf_u64(m, st.dests, RIBD_TABLE "state/destinations", table);
	sensor_msg_addf_u64(m, st.routes, RIBD_TABLE "state/routes", table);
	sensor_msg_addf_u64(m, st.active, RIBD_TABLE "state/active", table);
	sensor_msg_addf_u64(m, st.hidden, RIBD_TABLE "state/hidden", table);
	for (int p = 0; p < RIB_PROTO_COUNT; p++) {
		const char *name = rib_proto_name((enum rib_proto)p);

		sensor_msg_addf_u64(m, st.routes_by_proto[p],
		                    RIBD_TABLE "protocols/protocol[name=%s]/state/routes", table,
		                    name);
		sensor_msg_addf_u64(m, st.active_by_proto[p],
		                    RIBD_TABLE "protocols/protocol[name=%s]/state/active", table,
		                    name);
	}
	connected = st.active_by_proto[RIB_PROTO_DIRECT] + st.active_by_proto[RIB_PROTO_LOCAL];
	sensor_msg_addf_u64(m, connected,
	                    RIBD_OC_AFT "protocols/protocol[origin-protocol=DIRECTLY_CONNECTED]"
	                                "/state/counters/aft-entries",
	                    afi);
	sensor_msg_addf_u64(m, st.active_by_proto[RIB_PROTO_STATIC],
	                    RIBD_OC_AFT "protocols/protocol[origin-protocol=STATIC]"
	                                "/state/counters/aft-entries",
	                    afi);
}

static void ribd_sensor_publish(struct ribd_sensors *s)
{
	struct ribd *r = s->r;
	struct sensor_msg *m;
	struct fib_stats fs;
	struct ribd_bfd_stats bs;

	if (!sensor_bus_connected(s->bus))
		return;
	m = sensor_msg_new("route-summary");
	if (!m)
		return;
	ribd_sensor_table(m, r, AF_INET);
	ribd_sensor_table(m, r, AF_INET6);
	fib_get_stats(r->fib, &fs);
	sensor_msg_add_u64(m, "/routing/fib/state/installed", fs.installed);
	sensor_msg_add_u64(m, "/routing/fib/state/stale", fs.stale);
	sensor_msg_add_u64(m, "/routing/fib/state/adds", fs.adds);
	sensor_msg_add_u64(m, "/routing/fib/state/replaces", fs.replaces);
	sensor_msg_add_u64(m, "/routing/fib/state/deletes", fs.deletes);
	sensor_msg_add_u64(m, "/routing/fib/state/errors", fs.errors);
	sensor_msg_add_u64(m, "/routing/fib/state/batches", fs.batches);
	ribd_bfd_get_stats(r->bfd, &bs);
	sensor_msg_add_u64(m, "/routing/bfd/state/sessions", bs.sessions);
	sensor_msg_add_u64(m, "/routing/bfd/state/up", bs.up);
	sensor_msg_add_u64(m, "/routing/bfd/state/routes", bs.routes);
	sensor_msg_add_u64(m, "/routing/bfd/state/transitions", bs.transitions);
	sensor_msg_add_u64(m, "/routing/bfd/state/last-reaction-us", bs.last_react_us);
	sensor_msg_add_u64(m, "/routing/bfd/state/max-reaction-us", bs.max_react_us);
	sensor_msg_set_eom(m, true);
	sensor_publish(s->bus, m);
}

static void ribd_sensor_sample(void *arg)
{
	struct ribd_sensors *s = arg;

	timer_add_ms(&s->sample, RIBD_SAMPLE_MS);
	ribd_sensor_publish(s);
}

static void ribd_sensor_change(void *arg)
{
	ribd_sensor_publish(arg);
}

void ribd_sensors_changed(struct ribd_sensors *s)
{
	if (s && !timer_pending(&s->change))
		timer_add_ms(&s->change, RIBD_CHANGE_MS);
}

struct ribd_sensors *ribd_sensors_start(struct ribd *r)
{
	struct ribd_sensors *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->r = r;
	s->bus = sensor_bus_open(r->d->base, "ribd");
	if (!s->bus) {
		log_warnx("no sensor bus: routing telemetry is off");
		free(s);
		return NULL;
	}
	timer_init(&s->sample, r->d->base, ribd_sensor_sample, s);
	timer_init(&s->change, r->d->base, ribd_sensor_change, s);
	timer_add_ms(&s->sample, RIBD_SAMPLE_MS);
	/* A first sample soon after start, when the bus has connected. */
	timer_add_ms(&s->change, 2 * RIBD_CHANGE_MS);
	return s;
}

void ribd_sensors_stop(struct ribd_sensors *s)
{
	if (!s)
		return;
	timer_del(&s->sample);
	timer_del(&s->change);
	sensor_bus_close(s->bus);
	free(s);
}
