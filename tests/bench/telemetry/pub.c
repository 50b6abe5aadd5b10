/*
 * Bus load generator for tests/bench/bench_telemetry.py: publishes
 * keel.sensor.SensorData (lib/proto/sensor.proto) at QoS 0 on a node's bus,
 * as a daemon publishing through lib/sensor.c would, but as fast as asked.
 *
 *   pub HOST PORT COMPONENT IFACES RATE SECONDS counters|events
 *
 * counters: each message carries IFACES x 4 interface counters
 *   /interfaces/interface[name=COMPONENT-i]/state/counters/{in,out}-{octets,pkts}
 *   whose value is the wall-clock time of the send in microseconds (a growing
 *   counter that doubles as a latency probe).
 * events: each message carries one oper-status (UP/DOWN alternating) of
 *   interface COMPONENT-0, sent on a millisecond boundary with that
 *   millisecond as SensorData.timestamp (gNMI's Notification.timestamp).
 * RATE is messages per second, 0 = as fast as the broker takes them (the
 * publisher waits for its socket to drain: TCP back-pressure, bounded
 * memory). Prints "sent N" at the end. Built by the bench with cc and
 * pkg-config (libmosquitto, libprotobuf-c) against the generated sensor.pb-c.c.
 * PUB_NODELAY=1 sets TCP_NODELAY on the publisher's socket.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "lib/proto/sensor.pb-c.h"

#define PUB_LEAVES 4

static const char *const leaf_names[PUB_LEAVES] = {"in-octets", "out-octets", "in-pkts",
                                                   "out-pkts"};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_until_us(uint64_t t)
{
	uint64_t n = now_us();

	if (t > n) {
		struct timespec ts = {(time_t)((t - n) / 1000000u),
		                      (long)((t - n) % 1000000u) * 1000};

		nanosleep(&ts, NULL);
	}
}

/* Hands queued bytes to the broker; waits while the socket is full. */
static int drain(struct mosquitto *m)
{
	struct pollfd p = {.fd = mosquitto_socket(m), .events = POLLOUT};

	while (mosquitto_want_write(m)) {
		if (poll(&p, 1, 1000) < 0)
			return -1;
		if (mosquitto_loop_write(m, 1) != MOSQ_ERR_SUCCESS)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	Keel__Sensor__SensorData d = KEEL__SENSOR__SENSOR_DATA__INIT;
	Keel__Sensor__KeyValue *kv, **kvp;
	struct mosquitto *m;
	char topic[160], **keys;
	uint8_t *buf;
	uint64_t t0, end, n = 0;
	size_t nk, i, cap;
	unsigned ifaces;
	double rate;
	bool events;

	if (argc != 8) {
		fprintf(stderr,
		        "usage: pub HOST PORT COMPONENT IFACES RATE SECONDS counters|events\n");
		return 2;
	}
	ifaces = (unsigned)atoi(argv[4]);
	rate = atof(argv[5]);
	events = !strcmp(argv[7], "events");
	nk = events ? 1 : (size_t)ifaces * PUB_LEAVES;
	if (!nk || nk > 4096)
		return 2;
	kv = calloc(nk, sizeof(*kv));
	kvp = calloc(nk, sizeof(*kvp));
	keys = calloc(nk, sizeof(*keys));
	cap = 64 + nk * 128;
	buf = malloc(cap);
	if (!kv || !kvp || !keys || !buf)
		return 1;
	for (i = 0; i < nk; i++) {
		char k[128];

		keel__sensor__key_value__init(&kv[i]);
		if (events)
			snprintf(k, sizeof(k), "/interfaces/interface[name=%s-0]/state/oper-status",
			         argv[3]);
		else
			snprintf(k, sizeof(k),
			         "/interfaces/interface[name=%s-%zu]/state/counters/%s", argv[3],
			         i / PUB_LEAVES, leaf_names[i % PUB_LEAVES]);
		keys[i] = strdup(k);
		kv[i].key = keys[i];
		kv[i].value_case = events ? KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE
		                          : KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE;
		kvp[i] = &kv[i];
	}
	d.component = argv[3];
	d.node = "bench";
	d.sensor = events ? "events" : "counters";
	d.kv = kvp;
	d.n_kv = nk;
	d.eom = true;
	snprintf(topic, sizeof(topic), "keel/%s/%s", argv[3], d.sensor);

	mosquitto_lib_init();
	m = mosquitto_new(NULL, true, NULL);
	/* PUB_NODELAY=1: no Nagle on the publisher's socket (what lib/mqtt.c does not set) */
	if (m && getenv("PUB_NODELAY") && !strcmp(getenv("PUB_NODELAY"), "1"))
		mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
	if (!m || mosquitto_connect(m, argv[1], atoi(argv[2]), 30) != MOSQ_ERR_SUCCESS) {
		fprintf(stderr, "pub: cannot connect to %s:%s\n", argv[1], argv[2]);
		return 1;
	}
	/* CONNACK before the first publish */
	for (i = 0; i < 20 && mosquitto_loop(m, 50, 1) == MOSQ_ERR_SUCCESS; i++)
		;
	t0 = now_us();
	end = t0 + (uint64_t)(atof(argv[6]) * 1e6);
	while (now_us() < end) {
		uint64_t t;
		size_t len;

		n++;
		if (rate > 0)
			sleep_until_us(t0 + (uint64_t)((double)n * 1e6 / rate));
		if (events) {
			/* on a millisecond boundary: the ms timestamp is then exact */
			sleep_until_us((now_us() / 1000 + 1) * 1000);
			kv[0].str_value = (n & 1) ? "UP" : "DOWN";
		}
		t = now_us();
		for (i = 0; !events && i < nk; i++)
			kv[i].uint_value = t;
		d.sequence = n;
		d.timestamp = t / 1000;
		len = keel__sensor__sensor_data__get_packed_size(&d);
		if (len > cap)
			return 1;
		keel__sensor__sensor_data__pack(&d, buf);
		if (mosquitto_publish(m, NULL, topic, (int)len, buf, 0, false) !=
		            MOSQ_ERR_SUCCESS ||
		    drain(m) < 0) {
			fprintf(stderr, "pub: broker connection lost after %llu\n",
			        (unsigned long long)n);
			break;
		}
		if (!(n % 256))
			mosquitto_loop_read(m, 1); /* PINGRESP and the like; never blocks long */
	}
	printf("sent %llu\n", (unsigned long long)n);
	mosquitto_disconnect(m);
	mosquitto_loop(m, 100, 1);
	mosquitto_destroy(m);
	mosquitto_lib_cleanup();
	for (i = 0; i < nk; i++)
		free(keys[i]);
	free(keys);
	free(kv);
	free(kvp);
	free(buf);
	return 0;
}
