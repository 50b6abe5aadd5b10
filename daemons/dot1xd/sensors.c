/*
 * dot1xd on the telemetry bus (DESIGN.md §3 "Telemetry"):
 *   dot1x-state     per supplicant, on change: state, method, VLAN, user (a gone session
 *                   is published as a delete of its path)
 *   dot1x-counters  every 10 s: per-port EAPOL counters (with the kernel's drops on the
 *                   port's socket, RxKernelDrops) and the RADIUS client's counters
 *                   (with the kernel's drops on its sockets)
 */
#include <stdio.h>
#include <string.h>

#include "daemons/dot1xd/dot1xd_daemon.h"
#include "daemons/dot1xd/radclient.h"
#include "lib/log.h"
#include "lib/sensor.h"

#define D1X_SAMPLE_MS 10000
#define D1X_P         "/dot1x/interfaces/interface[name=%s]/supplicants/supplicant[mac=%s]"

static uint64_t d1x_sig(const struct d1x_sess *s)
{
	/* FNV-1a over what the state sensor carries. */
	uint64_t h = 1469598103934665603ULL;
	const char *parts[] = {d1x_sess_state(s), d1x_method_name(s->method), d1x_sess_vlan(s),
	                       s->user};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (const char *c = parts[i]; *c; c++)
			h = (h ^ (uint8_t)*c) * 1099511628211ULL;
	return h ^ (d1x_sess_authorized(s) ? 1 : 0);
}

void d1x_sensors_sess(struct dot1xd *dx, const struct d1x_sess *s, bool gone)
{
	struct d1x_sess *w = (struct d1x_sess *)s;
	struct sensor_msg *m;
	char mac[18], path[160];
	uint64_t sig;

	if (!dx->bus || !s->has_mac)
		return;
	sig = gone ? 0 : d1x_sig(s);
	if (!gone && sig == s->sensor_sig)
		return;
	w->sensor_sig = sig;
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", s->mac[0], s->mac[1], s->mac[2],
	         s->mac[3], s->mac[4], s->mac[5]);
	snprintf(path, sizeof(path), D1X_P, s->port->c.name, mac);
	m = sensor_msg_new("dot1x-state");
	if (!m)
		return;
	if (gone) {
		sensor_msg_add_delete(m, path);
	} else {
		sensor_msg_addf_str(m, d1x_sess_state(s), "%s/state/state", path);
		sensor_msg_addf_str(m, d1x_method_name(s->method), "%s/state/method", path);
		sensor_msg_addf_str(m, d1x_sess_vlan(s), "%s/state/vlan", path);
		sensor_msg_addf_str(m, s->user, "%s/state/user-name", path);
		sensor_msg_addf_bool(m, d1x_sess_authorized(s), "%s/state/authorized", path);
	}
	sensor_msg_set_eom(m, true);
	sensor_publish(dx->bus, m);
}

void d1x_sensors_counters(struct dot1xd *dx)
{
	struct sensor_msg *m;
	struct d1x_port *pt;

	if (!dx->bus || !sensor_bus_connected(dx->bus))
		return;
	m = sensor_msg_new("dot1x-counters");
	if (!m)
		return;
	TAILQ_FOREACH(pt, &dx->ports, entry)
	{
		uint64_t rx = pt->gone.eapol_rx, tx = pt->gone.eapol_tx, ok = pt->gone.auth_success,
		         fail = pt->gone.auth_fail;
		struct d1x_sess *s;

		TAILQ_FOREACH(s, &pt->sessions, entry)
		{
			rx += s->pae.c.eapol_rx;
			tx += s->pae.c.eapol_tx;
			ok += s->pae.c.auth_success;
			fail += s->pae.c.auth_fail;
		}
		sensor_msg_addf_u64(m, rx, "/dot1x/interfaces/interface[name=%s]/state/eapol-rx",
		                    pt->c.name);
		sensor_msg_addf_u64(m, tx, "/dot1x/interfaces/interface[name=%s]/state/eapol-tx",
		                    pt->c.name);
		sensor_msg_addf_u64(m, ok,
		                    "/dot1x/interfaces/interface[name=%s]/state/auth-success",
		                    pt->c.name);
		sensor_msg_addf_u64(m, fail, "/dot1x/interfaces/interface[name=%s]/state/auth-fail",
		                    pt->c.name);
		sensor_msg_addf_u64(m, pt->rx_invalid,
		                    "/dot1x/interfaces/interface[name=%s]/state/eapol-invalid",
		                    pt->c.name);
		/* `show dot1x statistics` RxKernelDrops: EAPOL frames the kernel dropped
		 * on the port's socket (ring or receive buffer full) before dot1xd saw
		 * them; a collector sees loss that no session counter can show */
		sensor_msg_addf_u64(m, d1x_port_kernel_drops(pt),
		                    "/dot1x/interfaces/interface[name=%s]/state/kernel-drops-rx",
		                    pt->c.name);
		sensor_msg_addf_u64(m, pt->rx_sess_limit,
		                    "/dot1x/interfaces/interface[name=%s]/state/session-limit-rx",
		                    pt->c.name);
	}
	for (size_t i = 0; dx->rc && i < radclient_server_count(dx->rc); i++) {
		struct radclient_server_stats ss;
		uint64_t drops = 0;

		if (!radclient_server_stats(dx->rc, i, &ss))
			continue;
		for (int k = 0; k < RADCLIENT_DROP_COUNT; k++)
			drops += ss.drops[k];
#define D1X_RP "/access/radius-servers/radius-server[name=%s][port=%u]/state/"
		sensor_msg_addf_str(m, ss.state == RADCLIENT_SERVER_DEAD ? "dead" : "up",
		                    D1X_RP "status", ss.addr, ss.port);
		sensor_msg_addf_u64(m, ss.requests, D1X_RP "requests", ss.addr, ss.port);
		sensor_msg_addf_u64(m, ss.retransmissions, D1X_RP "retransmissions", ss.addr,
		                    ss.port);
		sensor_msg_addf_u64(m, ss.accepts, D1X_RP "accepts", ss.addr, ss.port);
		sensor_msg_addf_u64(m, ss.rejects, D1X_RP "rejects", ss.addr, ss.port);
		sensor_msg_addf_u64(m, ss.challenges, D1X_RP "challenges", ss.addr, ss.port);
		sensor_msg_addf_u64(m, ss.timeouts, D1X_RP "timeouts", ss.addr, ss.port);
		sensor_msg_addf_u64(m, drops, D1X_RP "dropped", ss.addr, ss.port);
#undef D1X_RP
	}
	if (dx->rc)
		/* replies lost in the RADIUS sockets' receive buffers (they look like timeouts) */
		sensor_msg_addf_u64(m, radclient_kernel_drops(dx->rc),
		                    "/access/radius-client/state/kernel-drops-rx");
	if (sensor_msg_count(m) == 0) {
		sensor_msg_free(m);
		return;
	}
	sensor_msg_set_eom(m, true);
	sensor_publish(dx->bus, m);
}

static void d1x_sample(void *arg)
{
	struct dot1xd *dx = arg;

	d1x_sensors_counters(dx);
	timer_add_ms(&dx->sample, D1X_SAMPLE_MS);
}

void d1x_sensors_start(struct dot1xd *dx)
{
	dx->bus = sensor_bus_open(dx->base, "dot1xd");
	if (!dx->bus) {
		log_warnx("no sensor bus: 802.1X telemetry is off");
		return;
	}
	timer_init(&dx->sample, dx->base, d1x_sample, dx);
	timer_add_ms(&dx->sample, D1X_SAMPLE_MS);
}

void d1x_sensors_stop(struct dot1xd *dx)
{
	if (!dx->bus)
		return;
	timer_del(&dx->sample);
	sensor_bus_close(dx->bus);
	dx->bus = NULL;
}
