/*
 * What vland publishes on the node's bus (sensor "vlans", every
 * VLAND_SENSOR_MS while the bus is up), OpenConfig-style paths after
 * openconfig-network-instance's vlans and fdb:
 *   /vlans/vlan[vlan-id=N]/state/name
 *   /vlans/vlan[vlan-id=N]/state/member-count        switch ports in the VLAN
 *   /vlans/vlan[vlan-id=N]/state/mac-count           learned MACs in the VLAN
 *   /vlans/vlan[vlan-id=N]/members/member[interface=IF]/state/tagged
 *   /fdb/state/mac-table-size                          MACs on the bridge
 * and once more shortly after every reconcile that converged on a change.
 * Nothing is published on a node without switch config.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/vland/vland_daemon.h"
#include "lib/log.h"
#include "lib/sensor.h"

#define VLAND_SP "/vlans/vlan[vlan-id=%u]/"

static void vland_sensor_fdb(void *arg, const struct vland_fdb_entry *fdb, size_t nfdb, int err)
{
	struct vland *v = arg;
	const struct vlan_model *m = &v->model;
	struct sensor_msg *msg;

	if (err || !v->bus)
		return;
	msg = sensor_msg_new("vlans");
	if (!msg)
		return;
	for (size_t i = 0; i < m->n_vlans; i++) {
		const struct vlan_def *d = &m->vlans[i];
		uint64_t members = 0, macs = 0;

		for (size_t j = 0; j < m->n_ports; j++) {
			const struct vlan_port *p = &m->ports[j];
			bool in, tagged = false;

			if (p->mode == VLAN_PORT_MODE_ACCESS) {
				in = vland_port_vlan(&v->auths, p) == d->id;
			} else {
				in = ovs_vlan_set_has(&p->vlans, d->id) || p->native == d->id;
				tagged = p->native != d->id;
			}
			if (!in)
				continue;
			members++;
			sensor_msg_addf_bool(msg, tagged,
			                     VLAND_SP "members/member[interface=%s]/state/tagged",
			                     d->id, p->name);
		}
		for (size_t j = 0; j < nfdb; j++)
			macs += fdb[j].vlan == d->id;
		sensor_msg_addf_str(msg, d->name, VLAND_SP "state/name", d->id);
		sensor_msg_addf_u64(msg, members, VLAND_SP "state/member-count", d->id);
		sensor_msg_addf_u64(msg, macs, VLAND_SP "state/mac-count", d->id);
	}
	sensor_msg_add_u64(msg, "/fdb/state/mac-table-size", nfdb);
	sensor_publish(v->bus, msg);
}

static void vland_sensor_tick(void *arg)
{
	struct vland *v = arg;

	timer_add_ms(&v->sensor, VLAND_SENSOR_MS);
	if (!v->bus || !sensor_bus_connected(v->bus) || (!v->model.n_vlans && !v->model.n_ports))
		return;
	vland_fdb_fetch(v, vland_sensor_fdb, v);
}

void vland_sensors_start(struct vland *v)
{
	v->bus = sensor_bus_open(v->d->base, "vland");
	if (!v->bus)
		log_warnx("telemetry bus: cannot open (sensors off)");
	timer_init(&v->sensor, v->d->base, vland_sensor_tick, v);
	timer_add_ms(&v->sensor, VLAND_SENSOR_MS);
}

void vland_sensors_kick(struct vland *v)
{
	/* Membership changed: publish soon (the tick re-arms the period). */
	timer_del(&v->sensor);
	timer_add_ms(&v->sensor, 100);
}

void vland_sensors_stop(struct vland *v)
{
	timer_del(&v->sensor);
	if (v->bus)
		sensor_bus_close(v->bus);
	v->bus = NULL;
}
