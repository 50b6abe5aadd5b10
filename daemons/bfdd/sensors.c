/*
 * What bfdd publishes on the node's bus, under the OpenConfig BFD paths
 * (openconfig-bfd, shared/notes/telemetry.md §8):
 *   /bfd/interfaces/interface[id=IF]/peers/peer[local-discriminator=D]/state/...
 * IF is the session's interface, "multihop" for multihop sessions and "any" for single-hop
 * sessions not bound to one.
 *   sensor "bfd-state"     at once on every state change of a session
 *   sensor "bfd-counters"  every BFDD_SAMPLE_MS: state and counters of every session, split
 *                          into messages of BFDD_SENSOR_PER_MSG sessions, eom on the last
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/bfdd/bfdd_daemon.h"
#include "lib/log.h"
#include "lib/sensor.h"

#define BFDD_SENSOR_PER_MSG 64
#define BFDD_SENSOR_FLUSH   256
#define BFDD_P              "/bfd/interfaces/interface[id=%s]/peers/peer[local-discriminator=%u]/state/"

static const char *bfdd_oc_state(uint8_t s)
{
	static const char *const n[] = {"ADMIN_DOWN", "DOWN", "INIT", "UP"};

	return s < 4 ? n[s] : "DOWN";
}

static const char *bfdd_oc_diag(uint8_t d)
{
	static const char *const n[] = {
	        "NO_DIAGNOSTIC",          "DETECTION_TIMEOUT", "ECHO_FAILED",
	        "NEIGHBOR_SIGNALED_DOWN", "FORWARDING_RESET",  "PATH_DOWN",
	        "CONCATENATED_PATH_DOWN", "ADMIN_DOWN",        "REVERSE_CONCATENATED_PATH_DOWN"};

	return d < sizeof(n) / sizeof(n[0]) ? n[d] : "NO_DIAGNOSTIC";
}

static const char *bfdd_oc_if(const struct bfdd_sess *x)
{
	return x->key.multihop ? "multihop" : x->key.ifname[0] ? x->key.ifname : "any";
}

static void bfdd_sensor_state(struct sensor_msg *m, const struct bfdd_sess *x)
{
	const char *id = bfdd_oc_if(x);
	uint32_t d = x->s.local_disc;
	char a[INET6_ADDRSTRLEN], rd[16];

	sensor_msg_addf_str(m, bfdd_oc_state((uint8_t)bfd_session_state(&x->s)),
	                    BFDD_P "session-state", id, d);
	sensor_msg_addf_str(m, bfdd_oc_state(x->s.remote_state), BFDD_P "remote-session-state", id,
	                    d);
	sensor_msg_addf_str(m, bfdd_ip_str(&x->key.peer, a, sizeof(a)), BFDD_P "remote-address", id,
	                    d);
	if (x->key.local.af)
		sensor_msg_addf_str(m, bfdd_ip_str(&x->key.local, a, sizeof(a)),
		                    BFDD_P "local-address", id, d);
	snprintf(rd, sizeof(rd), "%u", x->s.local_disc);
	sensor_msg_addf_str(m, rd, BFDD_P "local-discriminator", id, d);
	snprintf(rd, sizeof(rd), "%u", x->s.remote_disc);
	sensor_msg_addf_str(m, rd, BFDD_P "remote-discriminator", id, d);
	sensor_msg_addf_str(m, bfdd_oc_diag(x->s.local_diag), BFDD_P "local-diagnostic-code", id,
	                    d);
	sensor_msg_addf_str(m, bfdd_oc_diag(x->s.remote_diag), BFDD_P "remote-diagnostic-code", id,
	                    d);
	sensor_msg_addf_u64(m, x->s.remote_min_rx, BFDD_P "remote-minimum-receive-interval", id, d);
	sensor_msg_addf_bool(m, (x->s.flags & BFD_SF_REMOTE_DEMAND) != 0,
	                     BFDD_P "demand-mode-requested", id, d);
	sensor_msg_addf_u64(m, x->up_transitions, BFDD_P "up-transitions", id, d);
	sensor_msg_addf_u64(m, x->fail_transitions, BFDD_P "failure-transitions", id, d);
	sensor_msg_addf_u64(m, x->last_change_ms * 1000000ull, BFDD_P "last-state-change", id, d);
	/* openconfig-bfd echo/active; the thresholds are keel's (Junos transmit-interval /
	 * detection-time threshold; OpenConfig has no leaf for them). */
	sensor_msg_addf_bool(m, bfd_session_echo_armed(&x->s), BFDD_P "echo/active", id, d);
	if (x->eff.tx_thresh_us)
		sensor_msg_addf_bool(m, (x->thresh & BFDD_THRESH_TX) != 0,
		                     BFDD_P "keel-transmit-interval-threshold-exceeded", id, d);
	if (x->eff.dt_thresh_us)
		sensor_msg_addf_bool(m, (x->thresh & BFDD_THRESH_DETECT) != 0,
		                     BFDD_P "keel-detection-time-threshold-exceeded", id, d);
}

static void bfdd_sensor_counters(struct sensor_msg *m, const struct bfdd_sess *x)
{
	const char *id = bfdd_oc_if(x);
	uint32_t d = x->s.local_disc;

	bfdd_sensor_state(m, x);
	sensor_msg_addf_u64(m, x->tx, BFDD_P "async/transmitted-packets", id, d);
	sensor_msg_addf_u64(m, x->rx, BFDD_P "async/received-packets", id, d);
	sensor_msg_addf_u64(m, x->dropped, BFDD_P "async/dropped-packets", id, d);
	if (x->eff.echo_us) {
		sensor_msg_addf_u64(m, x->echo_tx, BFDD_P "echo/transmitted-packets", id, d);
		sensor_msg_addf_u64(m, x->echo_rx, BFDD_P "echo/received-packets", id, d);
	}
}

/* State changes are queued by discriminator and published together on the next loop turn:
 * a mass failure (a link with thousands of sessions) must not spend the detection time of
 * the later sessions building messages. A session deleted meanwhile is skipped. */
static void bfdd_state_flush(void *arg)
{
	struct bfdd *b = arg;
	struct sensor_msg *m = NULL;
	unsigned n = 0;
	size_t i;

	/* At most BFDD_SENSOR_FLUSH per turn: the loop goes back to packets and timers in
	 * between. */
	for (i = 0; i < b->sens_n && i < BFDD_SENSOR_FLUSH; i++) {
		struct bfdd_sess *x = bfdd_sess_by_disc(b, b->sens_pending[i]);

		if (!x)
			continue;
		x->sens_queued = false;
		if (m && n == BFDD_SENSOR_PER_MSG) {
			sensor_publish(b->bus, m);
			m = NULL;
		}
		if (!m) {
			m = sensor_msg_new("bfd-state");
			n = 0;
			if (!m)
				break;
		}
		bfdd_sensor_state(m, x);
		n++;
	}
	if (m)
		sensor_publish(b->bus, m);
	memmove(b->sens_pending, b->sens_pending + i, (b->sens_n - i) * sizeof(*b->sens_pending));
	b->sens_n -= i;
	if (b->sens_n)
		timer_add_us(&b->sens_flush, 0);
}

void bfdd_sensors_state(struct bfdd_sess *x)
{
	struct bfdd *b = x->b;

	if (!b->bus || x->sens_queued || !sensor_bus_connected(b->bus))
		return;
	if (b->sens_n == b->sens_cap) {
		size_t cap = b->sens_cap ? b->sens_cap * 2 : 64;
		uint32_t *p = reallocarray(b->sens_pending, cap, sizeof(*p));

		if (!p)
			return;
		b->sens_pending = p;
		b->sens_cap = cap;
	}
	b->sens_pending[b->sens_n++] = x->s.local_disc;
	x->sens_queued = true;
	if (!timer_pending(&b->sens_flush))
		timer_add_us(&b->sens_flush, 0);
}

static void bfdd_sample(void *arg)
{
	struct bfdd *b = arg;
	struct sensor_msg *m = NULL;
	unsigned n = 0;

	timer_add_ms(&b->sample, BFDD_SAMPLE_MS);
	for (struct bfdd_sess *x = b->head; x; x = x->next) {
		if (m && n == BFDD_SENSOR_PER_MSG) {
			sensor_publish(b->bus, m);
			m = NULL;
		}
		if (!m) {
			m = sensor_msg_new("bfd-counters");
			n = 0;
			if (!m)
				return;
		}
		bfdd_sensor_counters(m, x);
		n++;
	}
	if (m) {
		sensor_msg_set_eom(m, true);
		sensor_publish(b->bus, m);
	}
}

void bfdd_sensors_start(struct bfdd *b)
{
	b->bus = sensor_bus_open(b->base, "bfdd");
	if (!b->bus) {
		log_warnx("no sensor bus: BFD telemetry is off");
		return;
	}
	timer_init(&b->sample, b->base, bfdd_sample, b);
	timer_add_ms(&b->sample, BFDD_SAMPLE_MS);
	timer_init(&b->sens_flush, b->base, bfdd_state_flush, b);
}

void bfdd_sensors_stop(struct bfdd *b)
{
	if (!b->bus)
		return;
	timer_del(&b->sample);
	timer_del(&b->sens_flush);
	free(b->sens_pending);
	b->sens_pending = NULL;
	b->sens_n = b->sens_cap = 0;
	sensor_bus_close(b->bus);
	b->bus = NULL;
}
