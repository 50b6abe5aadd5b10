/*
 * lib/sensor: builder + decoder (pure), and the bus against a private
 * mosquitto broker on a random loopback port: publish/receive, broker killed
 * (publishes dropped and counted, each call < 1 ms), broker restarted (the bus
 * reconnects by itself, sequence numbers never reused), and the bounded output
 * queue against a fake broker that stops reading.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "lib/ev.h"
#include "lib/log.h"
#include "lib/sensor.h"

#define IN_OCTETS "/interfaces/interface[name=%s]/state/counters/in-octets"

/* ------------------------------------------------------------ broker */

struct broker {
	char dir[64];
	int port;
	pid_t pid;
};

static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static bool port_accepts(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                         .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

	close(fd);
	return ok;
}

static void broker_start(struct broker *b)
{
	char conf[128], log[128];
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/mosquitto.conf", b->dir);
	snprintf(log, sizeof(log), "%s/mosquitto.log", b->dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f,
	        "listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
	        "log_dest stderr\n",
	        b->port);
	fclose(f);
	b->pid = fork();
	assert_true(b->pid >= 0);
	if (b->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(fd, 2);
		dup2(fd, 1);
		execlp("mosquitto", "mosquitto", "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && !port_accepts(b->port); i++)
		usleep(10000);
	assert_true(port_accepts(b->port));
}

static void broker_kill(struct broker *b)
{
	if (b->pid <= 0)
		return;
	kill(b->pid, SIGKILL);
	waitpid(b->pid, NULL, 0);
	b->pid = -1;
}

static void broker_setup(struct broker *b)
{
	char env[16];

	snprintf(b->dir, sizeof(b->dir), "/tmp/test_sensor.XXXXXX");
	assert_non_null(mkdtemp(b->dir));
	b->port = free_port();
	broker_start(b);
	snprintf(env, sizeof(env), "%d", b->port);
	setenv("KEEL_BUS_PORT", env, 1);
	setenv("KEEL_BUS_HOST", "127.0.0.1", 1);
	setenv("KEEL_NODE_NAME", "node0", 1);
}

static void broker_teardown(struct broker *b)
{
	char path[128];

	broker_kill(b);
	snprintf(path, sizeof(path), "%s/mosquitto.conf", b->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/mosquitto.log", b->dir);
	unlink(path);
	rmdir(b->dir);
}

/* -------------------------------------------------------- subscriber */

#define SUB_MAX 4096

struct sub {
	struct mosquitto *mosq;
	bool subscribed;
	size_t n;
	uint64_t seq[SUB_MAX];
	int bad;
	Keel__Sensor__SensorData *first;
};

static void sub_on_connect(struct mosquitto *mosq, void *arg, int rc)
{
	if (rc == 0)
		mosquitto_subscribe(mosq, NULL, SENSOR_TOPIC_ALL, 0);
}

static void sub_on_subscribe(struct mosquitto *mosq, void *arg, int mid, int n, const int *q)
{
	((struct sub *)arg)->subscribed = true;
}

static void sub_on_message(struct mosquitto *mosq, void *arg, const struct mosquitto_message *msg)
{
	struct sub *s = arg;
	Keel__Sensor__SensorData *d;
	char comp[SENSOR_MAX_NAME + 1], sensor[SENSOR_MAX_NAME + 1];

	if (sensor_msg_decode(msg->payload, (size_t)msg->payloadlen, &d) != SENSOR_ERR_NONE ||
	    sensor_topic_parse(msg->topic, comp, sizeof(comp), sensor, sizeof(sensor)) < 0 ||
	    strcmp(comp, d->component) != 0 || strcmp(sensor, d->sensor) != 0) {
		s->bad++;
		return;
	}
	if (s->n < SUB_MAX)
		s->seq[s->n] = d->sequence;
	s->n++;
	if (!s->first)
		s->first = d;
	else
		sensor_data_free(d);
}

static void sub_open(struct sub *s, int port)
{
	memset(s, 0, sizeof(*s));
	s->mosq = mosquitto_new(NULL, true, s);
	assert_non_null(s->mosq);
	mosquitto_connect_callback_set(s->mosq, sub_on_connect);
	mosquitto_subscribe_callback_set(s->mosq, sub_on_subscribe);
	mosquitto_message_callback_set(s->mosq, sub_on_message);
	assert_int_equal(mosquitto_connect(s->mosq, "127.0.0.1", port, 10), MOSQ_ERR_SUCCESS);
}

static void sub_close(struct sub *s)
{
	mosquitto_destroy(s->mosq);
	sensor_data_free(s->first);
	s->first = NULL;
}

/* ---------------------------------------------------------- pumping */

/* Runs the bus's loop (and the subscriber's) until cond() or timeout. */
static bool pump_until(struct event_base *base, struct sub *s, bool (*cond)(void *), void *arg,
                       int timeout_ms)
{
	uint64_t end = mono_ms() + (uint64_t)timeout_ms;

	do {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (s)
			mosquitto_loop(s->mosq, 1, 10);
		else
			usleep(1000);
		if (cond(arg))
			return true;
	} while (mono_ms() < end);
	return cond(arg);
}

static bool bus_up(void *arg)
{
	return sensor_bus_connected(arg);
}

static bool bus_down(void *arg)
{
	return !sensor_bus_connected(arg);
}

static bool sub_ready(void *arg)
{
	return ((struct sub *)arg)->subscribed;
}

struct want {
	struct sub *s;
	size_t n;
};

static bool sub_has(void *arg)
{
	struct want *w = arg;

	return w->s->n >= w->n;
}

static struct sensor_msg *sample(const char *ifname, uint64_t v)
{
	struct sensor_msg *m = sensor_msg_new("interfaces");

	assert_non_null(m);
	assert_int_equal(sensor_msg_addf_u64(m, v, IN_OCTETS, ifname), 0);
	assert_int_equal(sensor_msg_addf_str(m, "UP",
	                                     "/interfaces/interface[name=%s]/state/oper-status",
	                                     ifname),
	                 0);
	return m;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t publish_timed(struct sensor_bus *bus, struct sensor_msg *m, int *rc)
{
	uint64_t t0 = mono_ns();

	*rc = sensor_publish(bus, m);
	return mono_ns() - t0;
}

/* -------------------------------------------------------------- tests */

static void test_publish_receive(void **state)
{
	struct broker b;
	struct event_base *base = ev_base_new();
	struct sensor_bus *bus;
	struct sensor_bus_stats st;
	struct sub s;
	struct want w = {&s, 200};

	broker_setup(&b);
	bus = sensor_bus_open(base, "ifd");
	assert_non_null(bus);
	assert_true(pump_until(base, NULL, bus_up, bus, 3000));
	sub_open(&s, b.port);
	assert_true(pump_until(base, &s, sub_ready, &s, 3000));

	for (int i = 0; i < 200; i++)
		assert_int_equal(sensor_publish(bus, sample("eth0", 1000 + (uint64_t)i)), 0);
	assert_true(pump_until(base, &s, sub_has, &w, 5000));
	assert_int_equal(s.n, 200);
	assert_int_equal(s.bad, 0);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(s.seq[i], i + 1);

	/* the first message, field by field */
	assert_string_equal(s.first->component, "ifd");
	assert_string_equal(s.first->node, "node0");
	assert_string_equal(s.first->sensor, "interfaces");
	assert_int_equal(s.first->n_kv, 2);
	assert_string_equal(s.first->kv[0]->key,
	                    "/interfaces/interface[name=eth0]/state/counters/in-octets");
	assert_int_equal(s.first->kv[0]->value_case, KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE);
	assert_int_equal(s.first->kv[0]->uint_value, 1000);
	assert_string_equal(s.first->kv[1]->str_value, "UP");
	assert_true(s.first->timestamp > 1600000000000ull && s.first->timestamp <= wall_ms());

	sensor_bus_stats(bus, &st);
	assert_int_equal(st.published, 200);
	assert_int_equal(st.written, 200);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.reconnects, 0);
	assert_int_equal(st.sequence, 200);
	assert_int_equal(st.queued_msgs, 0);
	assert_true(st.connected);

	sub_close(&s);
	sensor_bus_close(bus);
	event_base_free(base);
	broker_teardown(&b);
}

static void test_broker_restart(void **state)
{
	struct broker b;
	struct event_base *base = ev_base_new();
	struct sensor_bus *bus;
	struct sensor_bus_stats st, st2;
	struct sub s;
	struct want w = {&s, 20};
	uint64_t worst = 0, last_before, ns_all[1100];
	size_t n_ns = 0;
	int rc;

	broker_setup(&b);
	bus = sensor_bus_open(base, "bfdd");
	assert_true(pump_until(base, NULL, bus_up, bus, 3000));
	for (int i = 0; i < 10; i++)
		assert_int_equal(sensor_publish(bus, sample("eth1", (uint64_t)i)), 0);
	event_base_loop(base, EVLOOP_NONBLOCK);

	/*
	 * Kill the broker. Publishing before the loop notices must not block
	 * (the write fails or lands in a dead socket), and after it notices
	 * every publish is dropped and counted.
	 */
	broker_kill(&b);
	for (int i = 0; i < 100; i++) {
		uint64_t ns = publish_timed(bus, sample("eth1", 1), &rc);

		ns_all[n_ns++] = ns;
		worst = ns > worst ? ns : worst;
	}
	assert_true(pump_until(base, NULL, bus_down, bus, 3000));
	for (int i = 0; i < 1000; i++) {
		uint64_t ns = publish_timed(bus, sample("eth1", 2), &rc);

		assert_int_equal(rc, -1);
		ns_all[n_ns++] = ns;
		worst = ns > worst ? ns : worst;
	}
	/*
	 * Never blocks: 99% of the calls well under 1 ms; the worst one may
	 * include a preemption on a loaded test machine, but never a timeout.
	 */
	qsort(ns_all, n_ns, sizeof(ns_all[0]), cmp_u64);
	print_message(
	        "sensor_publish() with the broker gone: median %lu ns, p99 %lu ns, worst %lu ns\n",
	        (unsigned long)ns_all[n_ns / 2], (unsigned long)ns_all[n_ns * 99 / 100],
	        (unsigned long)worst);
	assert_true(ns_all[n_ns * 99 / 100] < 1000000);
	assert_true(worst < 100000000);
	sensor_bus_stats(bus, &st);
	assert_false(st.connected);
	assert_true(st.dropped_down >= 1000);
	assert_int_equal(st.dropped,
	                 st.dropped_down + st.dropped_full + st.dropped_lost + st.dropped_error);
	/* every message produced is accounted for: written, dropped */
	assert_int_equal(st.sequence, 1110);
	assert_int_equal(st.written + st.dropped, st.sequence);
	last_before = st.sequence;

	/* the loop keeps running while the broker is down (retries, no spin-out) */
	pump_until(base, NULL, bus_up, bus, 1500);
	assert_false(sensor_bus_connected(bus));

	/* restart on the same port: the bus reconnects by itself */
	broker_start(&b);
	assert_true(pump_until(base, NULL, bus_up, bus, 15000));
	sensor_bus_stats(bus, &st2);
	assert_int_equal(st2.connects, 2);
	assert_int_equal(st2.reconnects, 1);

	sub_open(&s, b.port);
	assert_true(pump_until(base, &s, sub_ready, &s, 3000));
	for (int i = 0; i < 20; i++)
		assert_int_equal(sensor_publish(bus, sample("eth1", 100 + (uint64_t)i)), 0);
	assert_true(pump_until(base, &s, sub_has, &w, 5000));
	assert_int_equal(s.bad, 0);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(s.seq[i], last_before + 1 + i); /* fresh numbers, in order */
	sensor_bus_stats(bus, &st2);
	assert_int_equal(st2.dropped, st.dropped);

	sub_close(&s);
	sensor_bus_close(bus);
	event_base_free(base);
	broker_teardown(&b);
}

/* A "broker" that accepts, answers CONNECT with a CONNACK, then never reads. */
struct stuck {
	int lfd, cfd;
	bool acked;
};

static bool stuck_acked(void *arg)
{
	struct stuck *k = arg;
	uint8_t buf[256];

	if (k->cfd < 0)
		k->cfd = accept4(k->lfd, NULL, NULL, SOCK_NONBLOCK);
	if (k->cfd >= 0 && !k->acked && read(k->cfd, buf, sizeof(buf)) > 0 && buf[0] == 0x10) {
		/* MQTT 3.1.1 §3.2: CONNACK, session present 0, return code 0 */
		static const uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};

		k->acked = write(k->cfd, connack, sizeof(connack)) == sizeof(connack);
	}
	return k->acked;
}

static void test_queue_bound(void **state)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	struct stuck k = {.cfd = -1};
	struct event_base *base = ev_base_new();
	struct sensor_bus *bus;
	struct sensor_bus_stats st, st2;
	static uint8_t blob[SENSOR_MAX_STR];
	int small = 4096, rc;
	uint64_t worst = 0;
	char env[16];

	k.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(k.lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	assert_int_equal(bind(k.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(k.lfd, 4), 0);
	getsockname(k.lfd, (struct sockaddr *)&sa, &sl);
	snprintf(env, sizeof(env), "%d", ntohs(sa.sin_port));
	setenv("KEEL_BUS_PORT", env, 1);

	bus = sensor_bus_open(base, "vland");
	sensor_bus_set_limits(bus, 8, 1024 * 1024);
	for (uint64_t end = mono_ms() + 3000; mono_ms() < end && !sensor_bus_connected(bus);) {
		stuck_acked(&k);
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	assert_true(sensor_bus_connected(bus));

	/* 256 KiB messages: the socket buffers fill after a few, then the queue bound */
	for (int i = 0; i < 200; i++) {
		struct sensor_msg *m = sensor_msg_new("mac-table");

		for (int j = 0; j < 64; j++)
			assert_int_equal(
			        sensor_msg_addf_bool(m, true, "/vlans/vlan[id=%d]/x", j) |
			                sensor_msg_add_bytes(m, "/blob", blob, sizeof(blob)),
			        0);
		uint64_t ns = publish_timed(bus, m, &rc);

		worst = ns > worst ? ns : worst;
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	sensor_bus_stats(bus, &st);
	print_message("stuck broker: published %lu written %lu dropped_full %lu queued %u (%u B), "
	              "worst publish %.1f us\n",
	              (unsigned long)st.published, (unsigned long)st.written,
	              (unsigned long)st.dropped_full, st.queued_msgs, st.queued_bytes,
	              worst / 1000.0);
	assert_true(st.connected);
	assert_true(st.queued_msgs <= 8);
	assert_true(st.dropped_full > 0);
	assert_int_equal(st.published + st.dropped, 200);
	assert_int_equal(st.sequence, 200);
	assert_int_equal(st.published, st.written + st.queued_msgs);
	/* the message-count bound, independent of bytes */
	sensor_bus_set_limits(bus, st.queued_msgs, UINT32_MAX);
	assert_int_equal(sensor_publish(bus, sample("eth2", 1)), -1);
	sensor_bus_stats(bus, &st2);
	assert_int_equal(st2.dropped_full, st.dropped_full + 1);
	assert_int_equal(st2.queued_msgs, st.queued_msgs);

	/* the broker goes away: whatever was queued is counted lost */
	close(k.cfd);
	assert_true(pump_until(base, NULL, bus_down, bus, 3000));
	sensor_bus_stats(bus, &st);
	assert_int_equal(st.queued_msgs, 0);
	assert_int_equal(st.queued_bytes, 0);
	assert_int_equal(st.published, st.written + st.dropped_lost);
	assert_true(st.dropped_lost > 0);

	sensor_bus_close(bus);
	event_base_free(base);
	close(k.lfd);
}

static void test_bus_bad_name(void **state)
{
	struct event_base *base = ev_base_new();

	assert_null(sensor_bus_open(base, "a/b"));
	assert_null(sensor_bus_open(base, ""));
	assert_null(sensor_bus_open(base, "keel+"));
	event_base_free(base);
}

/* ------------------------------------------------------- builder/codec */

static uint8_t *pack_full(size_t *len)
{
	struct sensor_msg *m = sensor_msg_new("bfd");
	static const uint8_t raw[] = {0, 1, 2, 0xff};
	uint8_t *buf;

	assert_int_equal(sensor_msg_add_u64(m, "/a/u", UINT64_MAX), 0);
	assert_int_equal(sensor_msg_add_i64(m, "/a/i", INT64_MIN), 0);
	assert_int_equal(sensor_msg_add_double(m, "/a/d", 2.5), 0);
	assert_int_equal(sensor_msg_add_bool(m, "/a/b", true), 0);
	assert_int_equal(sensor_msg_add_str(m, "/a/s", "h\xc3\xa9llo"), 0);
	assert_int_equal(sensor_msg_add_bytes(m, "/a/y", raw, sizeof(raw)), 0);
	assert_int_equal(sensor_msg_add_delete(m, "/bfd/peers/peer[local-discriminator=7]"), 0);
	sensor_msg_set_eom(m, true);
	assert_int_equal(sensor_msg_count(m), 6);
	buf = sensor_msg_pack(m, "bfdd", "node1", 42, 1700000000123ull, len);
	sensor_msg_free(m);
	assert_non_null(buf);
	return buf;
}

static void test_decode_good(void **state)
{
	Keel__Sensor__SensorData *d;
	size_t len;
	uint8_t *buf = pack_full(&len);

	assert_int_equal(sensor_msg_decode(buf, len, &d), SENSOR_ERR_NONE);
	assert_string_equal(d->component, "bfdd");
	assert_string_equal(d->node, "node1");
	assert_string_equal(d->sensor, "bfd");
	assert_int_equal(d->sequence, 42);
	assert_int_equal(d->timestamp, 1700000000123ull);
	assert_true(d->eom);
	assert_int_equal(d->n_kv, 6);
	assert_int_equal(d->kv[0]->uint_value, UINT64_MAX);
	assert_int_equal(d->kv[1]->int_value, INT64_MIN);
	assert_true(d->kv[2]->double_value == 2.5);
	assert_true(d->kv[3]->bool_value);
	assert_string_equal(d->kv[4]->str_value, "h\xc3\xa9llo");
	assert_int_equal(d->kv[5]->bytes_value.len, 4);
	assert_int_equal(d->kv[5]->bytes_value.data[3], 0xff);
	assert_int_equal(d->n_delete_paths, 1);
	assert_string_equal(d->delete_paths[0], "/bfd/peers/peer[local-discriminator=7]");
	sensor_data_free(d);
	free(buf);
}

static void test_decode_truncated(void **state)
{
	Keel__Sensor__SensorData *d;
	size_t len;
	uint8_t *buf = pack_full(&len);

	/* the last field is eom (tag, value): cutting one byte leaves a bare tag */
	assert_int_equal(sensor_msg_decode(buf, len - 1, &d), SENSOR_ERR_MALFORMED);
	assert_null(d);
	/* every prefix: never a crash, and a cut inside a field is never accepted */
	for (size_t n = 0; n < len; n++) {
		enum sensor_err e = sensor_msg_decode(buf, n, &d);

		if (e == SENSOR_ERR_NONE) {
			assert_non_null(d);
			sensor_data_free(d);
		} else {
			assert_null(d);
		}
	}
	/* empty: no names */
	assert_int_equal(sensor_msg_decode(buf, 0, &d), SENSOR_ERR_BAD_NAME);
	free(buf);
}

static void test_decode_oversized(void **state)
{
	Keel__Sensor__SensorData *d;
	size_t len = SENSOR_MAX_MSG + 1, pos = 0;
	uint8_t *buf = calloc(1, len);
	static const uint8_t head[] = {0x0a, 0x01, 'c', 0x12, 0x01, 'n', 0x1a, 0x01, 's'};

	assert_int_equal(sensor_msg_decode(buf, len, &d), SENSOR_ERR_TOO_BIG);
	/* SENSOR_MAX_KV + 1 empty pairs (tag 6, length 0) */
	memcpy(buf, head, sizeof(head));
	pos = sizeof(head);
	for (int i = 0; i <= SENSOR_MAX_KV; i++) {
		buf[pos++] = 0x32;
		buf[pos++] = 0x00;
	}
	assert_int_equal(sensor_msg_decode(buf, pos, &d), SENSOR_ERR_TOO_MANY);
	assert_null(d);
	/* exactly SENSOR_MAX_KV passes the count, then fails on the empty keys */
	assert_int_equal(sensor_msg_decode(buf, pos - 2, &d), SENSOR_ERR_BAD_KEY);
	/* SENSOR_MAX_DELETE + 1 delete paths */
	pos = sizeof(head);
	for (int i = 0; i <= SENSOR_MAX_DELETE; i++) {
		buf[pos++] = 0x3a;
		buf[pos++] = 0x01;
		buf[pos++] = '/';
	}
	assert_int_equal(sensor_msg_decode(buf, pos, &d), SENSOR_ERR_TOO_MANY);
	assert_int_equal(sensor_msg_decode(buf, pos - 3, &d), SENSOR_ERR_NONE);
	sensor_data_free(d);
	free(buf);
}

/* Packs a hand-made SensorData with one pair. */
static uint8_t *pack_raw(const char *comp, const char *node, const char *key,
                         Keel__Sensor__KeyValue__ValueCase vc, const char *str, size_t *len)
{
	Keel__Sensor__SensorData d = KEEL__SENSOR__SENSOR_DATA__INIT;
	Keel__Sensor__KeyValue kv = KEEL__SENSOR__KEY_VALUE__INIT, *kvp = &kv;
	uint8_t *buf;

	d.component = (char *)comp;
	d.node = (char *)node;
	d.sensor = "s";
	kv.key = (char *)key;
	kv.value_case = vc;
	if (vc == KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE)
		kv.str_value = (char *)str;
	else
		kv.uint_value = 1;
	d.kv = &kvp;
	d.n_kv = 1;
	*len = keel__sensor__sensor_data__get_packed_size(&d);
	buf = malloc(*len);
	keel__sensor__sensor_data__pack(&d, buf);
	return buf;
}

static enum sensor_err decode_raw(const char *comp, const char *node, const char *key,
                                  Keel__Sensor__KeyValue__ValueCase vc, const char *str)
{
	Keel__Sensor__SensorData *d;
	size_t len;
	uint8_t *buf = pack_raw(comp, node, key, vc, str, &len);
	enum sensor_err e = sensor_msg_decode(buf, len, &d);

	sensor_data_free(d);
	free(buf);
	return e;
}

static void test_decode_malformed(void **state)
{
	const Keel__Sensor__KeyValue__ValueCase U = KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE;
	const Keel__Sensor__KeyValue__ValueCase S = KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE;
	Keel__Sensor__SensorData *d;
	char longkey[SENSOR_MAX_KEY + 2];
	static const uint8_t field0[] = {0x00, 0x01};
	static const uint8_t group[] = {0x0b, 0x0c};
	static const uint8_t badlen[] = {0x0a, 0x7f, 'x'};
	static const uint8_t longvar[] = {0x20, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                  0xff, 0xff, 0xff, 0xff, 0xff, 0x01};

	assert_int_equal(decode_raw("c", "n", "/k", U, NULL), SENSOR_ERR_NONE);
	assert_int_equal(sensor_msg_decode(field0, sizeof(field0), &d), SENSOR_ERR_MALFORMED);
	assert_int_equal(sensor_msg_decode(group, sizeof(group), &d), SENSOR_ERR_MALFORMED);
	assert_int_equal(sensor_msg_decode(badlen, sizeof(badlen), &d), SENSOR_ERR_MALFORMED);
	assert_int_equal(sensor_msg_decode(longvar, sizeof(longvar), &d), SENSOR_ERR_MALFORMED);
	assert_int_equal(decode_raw("a/b", "n", "/k", U, NULL), SENSOR_ERR_BAD_NAME);
	assert_int_equal(decode_raw("c", "", "/k", U, NULL), SENSOR_ERR_BAD_NAME);
	assert_int_equal(decode_raw("c", "n", "k", U, NULL), SENSOR_ERR_BAD_KEY);
	assert_int_equal(decode_raw("c", "n", "", U, NULL), SENSOR_ERR_BAD_KEY);
	assert_int_equal(decode_raw("c", "n", "/a\nb", U, NULL), SENSOR_ERR_BAD_KEY);
	assert_int_equal(decode_raw("c", "n", "/\xc0\xaf", U, NULL), SENSOR_ERR_BAD_KEY);
	memset(longkey, 'a', sizeof(longkey) - 1);
	longkey[0] = '/';
	longkey[sizeof(longkey) - 1] = '\0';
	assert_int_equal(decode_raw("c", "n", longkey, U, NULL), SENSOR_ERR_BAD_KEY);
	longkey[SENSOR_MAX_KEY] = '\0';
	assert_int_equal(decode_raw("c", "n", longkey, U, NULL), SENSOR_ERR_NONE);
	assert_int_equal(decode_raw("c", "n", "/k", KEEL__SENSOR__KEY_VALUE__VALUE__NOT_SET, NULL),
	                 SENSOR_ERR_BAD_VALUE);
	/* an invalid UTF-8 string value is refused (by protobuf-c or by us) */
	assert_int_not_equal(decode_raw("c", "n", "/k", S, "\xed\xa0\x80"), SENSOR_ERR_NONE);
	assert_int_equal(decode_raw("c", "n", "/k", S, "ok \xe2\x82\xac"), SENSOR_ERR_NONE);
	assert_string_equal(sensor_err_name(SENSOR_ERR_TOO_MANY), "too many pairs");
}

static void test_builder_bounds(void **state)
{
	struct sensor_msg *m;
	char big[SENSOR_MAX_STR + 2];

	assert_null(sensor_msg_new(""));
	assert_null(sensor_msg_new("a/b"));
	assert_null(sensor_msg_new("#"));
	assert_null(sensor_msg_new(
	        "0123456789012345678901234567890123456789012345678901234567890123x"));
	m = sensor_msg_new("t");
	assert_int_equal(sensor_msg_add_u64(m, "relative/key", 1), -1);
	assert_int_equal(sensor_msg_add_u64(m, "", 1), -1);
	assert_int_equal(sensor_msg_addf_u64(m, 1, "/%0600d", 1), -1); /* key too long */
	assert_int_equal(sensor_msg_add_str(m, "/k", "\xff"), -1);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(sensor_msg_add_str(m, "/k", big), -1);
	assert_int_equal(sensor_msg_add_bytes(m, "/k", big, SENSOR_MAX_STR + 1), -1);
	assert_int_equal(sensor_msg_add_delete(m, "x"), -1);
	assert_int_equal(sensor_msg_count(m), 0);
	for (int i = 0; i < SENSOR_MAX_KV; i++)
		assert_int_equal(sensor_msg_addf_i64(m, -i, "/k[i=%d]", i), 0);
	assert_int_equal(sensor_msg_addf_double(m, 1.0, "/k[i=%d]", -1), -1);
	assert_int_equal(sensor_msg_count(m), SENSOR_MAX_KV);
	sensor_msg_free(m);
}

static void test_topic(void **state)
{
	char buf[SENSOR_MAX_TOPIC], c[SENSOR_MAX_NAME + 1], s[SENSOR_MAX_NAME + 1];

	assert_int_equal(sensor_topic(buf, sizeof(buf), "ifd", "interfaces"), 0);
	assert_string_equal(buf, "keel/ifd/interfaces");
	assert_int_equal(sensor_topic(buf, 8, "ifd", "interfaces"), -1);
	assert_int_equal(sensor_topic(buf, sizeof(buf), "if+d", "x"), -1);
	assert_int_equal(sensor_topic_parse("keel/ifd/interfaces", c, sizeof(c), s, sizeof(s)), 0);
	assert_string_equal(c, "ifd");
	assert_string_equal(s, "interfaces");
	assert_int_equal(sensor_topic_parse("keel/ifd/a/b", c, sizeof(c), s, sizeof(s)), -1);
	assert_int_equal(sensor_topic_parse("keel//x", c, sizeof(c), s, sizeof(s)), -1);
	assert_int_equal(sensor_topic_parse("keel/ifd/", c, sizeof(c), s, sizeof(s)), -1);
	assert_int_equal(sensor_topic_parse("kool/ifd/x", c, sizeof(c), s, sizeof(s)), -1);
	assert_int_equal(sensor_topic_parse("keel/ifd", c, sizeof(c), s, sizeof(s)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_topic),
	        cmocka_unit_test(test_builder_bounds),
	        cmocka_unit_test(test_decode_good),
	        cmocka_unit_test(test_decode_truncated),
	        cmocka_unit_test(test_decode_oversized),
	        cmocka_unit_test(test_decode_malformed),
	        cmocka_unit_test(test_bus_bad_name),
	        cmocka_unit_test(test_publish_receive),
	        cmocka_unit_test(test_broker_restart),
	        cmocka_unit_test(test_queue_bound),
	};

	log_init("test_sensor", true, false);
	mosquitto_lib_init();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
