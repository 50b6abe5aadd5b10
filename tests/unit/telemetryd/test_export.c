/*
 * Export to streaming servers (daemons/telemetryd/export.c and the config
 * checks it relies on): several server-names per sensor, transport grpc
 * refused at commit, UDP export to loopback receivers (one datagram per
 * export, split when too big), and the whole-state window of reporting-rate 0
 * sensors with bus deletes taken out of it, local-address / local-port as the
 * datagrams' source (and refused where they cannot apply). MQTT retained
 * messages need a broker: tests/topo/test_telemetry_mqtt.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <event2/event.h>

#include "daemons/telemetryd/telemetryd.h"
#include "lib/daemon.h"
#include "lib/ev.h"
#include "lib/sensor.h"

#define SVC "{\"keel-services:services\":{\"analytics\":{"

static int table(const char *json, struct tm_table *t, char *err, size_t errlen)
{
	struct json_object *o = json_tokener_parse(json);
	int rc;

	assert_non_null(o);
	rc = tm_table_from_json(o, NULL, t, err, errlen);
	json_object_put(o);
	return rc;
}

static void test_server_names(void **state)
{
	struct tm_table t;
	struct tm_sensor *s;
	char err[300] = "";

	(void)state;
	assert_int_equal(
	        table(SVC "\"streaming-server\":[{\"name\":\"a\",\"remote-address\":\"10.0.0.1\","
	                  "\"remote-port\":1883},{\"name\":\"b\",\"remote-address\":\"10.0.0.2\","
	                  "\"remote-port\":1883}],\"export-profile\":[{\"name\":\"mq\","
	                  "\"reporting-rate\":5,\"transport\":\"mqtt\"}],\"sensor\":[{\"name\":"
	                  "\"s\",\"resource\":\"/interfaces/\",\"export-name\":\"mq\","
	                  "\"server-name\":[\"a\",\"b\"]}]}}}",
	              &t, err, sizeof(err)),
	        0);
	s = tm_table_sensor(&t, "s");
	assert_non_null(s);
	assert_int_equal(s->n_servers, 2);
	assert_string_equal(s->servers[0], "a");
	assert_string_equal(s->servers[1], "b");
	assert_string_equal(s->server_name, "a");
	tm_table_free(&t);

	/* the second name must exist too */
	assert_int_not_equal(
	        table(SVC "\"streaming-server\":[{\"name\":\"a\",\"remote-address\":\"10.0.0.1\","
	                  "\"remote-port\":1883}],\"export-profile\":[{\"name\":\"mq\","
	                  "\"reporting-rate\":5,\"transport\":\"mqtt\"}],\"sensor\":[{\"name\":"
	                  "\"s\",\"resource\":\"/interfaces/\",\"export-name\":\"mq\","
	                  "\"server-name\":[\"a\",\"zz\"]}]}}}",
	              &t, err, sizeof(err)),
	        0);
	assert_non_null(strstr(err, "zz"));
}

static const char *grpc_cfg(const char *transport, bool server)
{
	static char buf[600];

	snprintf(buf, sizeof(buf),
	         SVC "\"streaming-server\":[{\"name\":\"a\",\"remote-address\":\"10.0.0.1\","
	             "\"remote-port\":50051}],\"export-profile\":[{\"name\":\"p\","
	             "\"reporting-rate\":5,\"transport\":\"%s\"}],\"sensor\":[{\"name\":"
	             "\"s\",\"resource\":\"/interfaces/\",\"export-name\":\"p\"%s}]}}}",
	         transport, server ? ",\"server-name\":[\"a\"]" : "");
	return buf;
}

static void test_transport_grpc_refused(void **state)
{
	struct tm_table t;
	char err[300] = "";

	(void)state;
	/* gRPC dial-out to a streaming-server: refused, saying why */
	assert_int_not_equal(table(grpc_cfg("grpc", true), &t, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "not supported"));
	assert_non_null(strstr(err, "dial"));
	/* a grpc profile without a server only feeds local consumers (gNMI dial-in) */
	assert_int_equal(table(grpc_cfg("grpc", false), &t, err, sizeof(err)), 0);
	tm_table_free(&t);
	/* udp to a server is exported */
	assert_int_equal(table(grpc_cfg("udp", true), &t, err, sizeof(err)), 0);
	tm_table_free(&t);
}

/* ---- UDP export to loopback receivers */

static int udp_listener(uint16_t *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int big = 4 << 20;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Every datagram waiting on fd, decoded; returns how many, summing their pairs in *pairs. */
static int drain(int fd, size_t *pairs, const char *must_key, bool *seen)
{
	static uint8_t buf[70000];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int n = 0;

	*pairs = 0;
	while (poll(&p, 1, 200) == 1) {
		Keel__Sensor__SensorData *d = NULL;
		ssize_t len = recv(fd, buf, sizeof(buf), 0);

		assert_true(len > 0 && len <= TM_EXPORT_UDP_MAX);
		assert_int_equal(sensor_msg_decode(buf, (size_t)len, &d), SENSOR_ERR_NONE);
		assert_string_equal(d->component, "telemetryd");
		assert_string_equal(d->sensor, "u");
		for (size_t i = 0; i < d->n_kv; i++)
			if (must_key && !strcmp(d->kv[i]->key, must_key))
				*seen = true;
		*pairs += d->n_kv;
		sensor_data_free(d);
		n++;
	}
	return n;
}

struct udp_env {
	struct daemon d;
	struct telemetryd t;
	int fd[2];
	uint16_t port[2];
};

static void udp_setup(struct udp_env *e, int rate)
{
	struct tm_table nt;
	char json[900], err[300] = "";

	memset(e, 0, sizeof(*e));
	e->d.base = ev_base_new();
	e->t.d = &e->d;
	snprintf(e->t.node, sizeof(e->t.node), "n0");
	for (int i = 0; i < 2; i++)
		e->fd[i] = udp_listener(&e->port[i]);
	snprintf(json, sizeof(json),
	         SVC
	         "\"streaming-server\":[{\"name\":\"a\",\"remote-address\":\"127.0.0.1\","
	         "\"remote-port\":%u},{\"name\":\"b\",\"remote-address\":\"127.0.0.1\","
	         "\"remote-port\":%u}],\"export-profile\":[{\"name\":\"p\","
	         "\"reporting-rate\":5,\"format\":\"gpb\",\"transport\":\"udp\"}],"
	         "\"sensor\":[{\"name\":\"u\",\"resource\":\"/interfaces/interface/state/\","
	         "\"export-name\":\"p\",\"server-name\":[\"a\",\"b\"],\"reporting-rate\":%d}]}}}",
	         e->port[0], e->port[1], rate);
	assert_int_equal(table(json, &nt, err, sizeof(err)), 0);
	tm_agent_install(&e->t, &nt);
	assert_non_null(e->t.exp);
	assert_non_null(e->t.exp[0]);
	assert_non_null(e->t.exp[1]);
}

static void udp_teardown(struct udp_env *e)
{
	tm_agent_stop(&e->t);
	close(e->fd[0]);
	close(e->fd[1]);
	event_base_free(e->d.base);
}

static void feed(struct tm_sensor *s, const char *key, const char *str, uint64_t u)
{
	Keel__Sensor__KeyValue kv = KEEL__SENSOR__KEY_VALUE__INIT;

	kv.key = (char *)key;
	if (str) {
		kv.value_case = KEEL__SENSOR__KEY_VALUE__VALUE_STR_VALUE;
		kv.str_value = (char *)str;
	} else {
		kv.value_case = KEEL__SENSOR__KEY_VALUE__VALUE_UINT_VALUE;
		kv.uint_value = u;
	}
	assert_int_equal(tm_sensor_feed(s, "ifd", &kv, 1000), 1);
}

static void export_now(struct udp_env *e, struct tm_sensor *s)
{
	struct tm_window w;

	tm_sensor_take(s, mono_ms(), &w);
	tm_export_window(&e->t, s, &w);
	tm_window_free(&w);
}

static void test_udp_two_servers(void **state)
{
	struct udp_env e;
	struct tm_sensor *s;
	size_t pairs;
	bool seen = false;

	(void)state;
	udp_setup(&e, 1);
	s = tm_table_sensor(&e.t.table, "u");
	feed(s, "/interfaces/interface[name=eth0]/state/counters/in-octets", NULL, 42);
	feed(s, "/interfaces/interface[name=eth0]/state/oper-status", "UP", 0);
	export_now(&e, s);
	for (int i = 0; i < 2; i++) {
		seen = false;
		assert_int_equal(drain(e.fd[i], &pairs,
		                       "/interfaces/interface[name=eth0]/state/oper-status", &seen),
		                 1);
		assert_int_equal(pairs, 2);
		assert_true(seen);
	}
	assert_int_equal(s->sent, 2);
	assert_int_equal(s->dropped, 0);
	udp_teardown(&e);
}

static void test_udp_split(void **state)
{
	struct udp_env e;
	struct tm_sensor *s;
	char big[2001], key[128];
	size_t pairs;
	bool seen = false;
	int n;

	(void)state;
	udp_setup(&e, 1);
	s = tm_table_sensor(&e.t.table, "u");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* 200 x 2 kB: about 400 kB, at least 7 datagrams of at most 64 KiB */
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "/interfaces/interface[name=e%d]/state/description", i);
		feed(s, key, big, 0);
	}
	export_now(&e, s);
	n = drain(e.fd[0], &pairs, "/interfaces/interface[name=e199]/state/description", &seen);
	assert_true(n >= 7);
	assert_int_equal(pairs, 200); /* every pair in exactly one datagram */
	assert_true(seen);
	udp_teardown(&e);
}

static void test_state_window(void **state)
{
	struct udp_env e;
	struct tm_sensor *s;
	const struct tm_entry *en;
	size_t pairs;
	bool seen = false;

	(void)state;
	udp_setup(&e, 0); /* reporting-rate 0: on change, whole state per export */
	s = tm_table_sensor(&e.t.table, "u");
	feed(s, "/interfaces/interface[name=eth0]/state/oper-status", "UP", 0);
	export_now(&e, s);
	assert_int_equal(drain(e.fd[0], &pairs, NULL, &seen), 1);
	assert_int_equal(pairs, 1);
	drain(e.fd[1], &pairs, NULL, &seen);

	/* a change of another key: the export holds both */
	feed(s, "/interfaces/interface[name=eth1]/state/oper-status", "DOWN", 0);
	export_now(&e, s);
	assert_int_equal(
	        drain(e.fd[0], &pairs, "/interfaces/interface[name=eth0]/state/oper-status", &seen),
	        1);
	assert_int_equal(pairs, 2);
	assert_true(seen);

	/* the newest value wins */
	feed(s, "/interfaces/interface[name=eth0]/state/oper-status", "DOWN", 0);
	export_now(&e, s);
	en = tm_window_find(&s->state, "/interfaces/interface[name=eth0]/state/oper-status");
	assert_non_null(en);
	assert_string_equal(en->kv.str_value, "DOWN");
	assert_int_equal(s->state.n, 2);

	/* a commit that does not touch the sensor keeps its state */
	{
		struct tm_table nt;
		char err[300] = "";
		struct json_object *o;
		char json[900];

		snprintf(
		        json, sizeof(json),
		        SVC
		        "\"streaming-server\":[{\"name\":\"a\",\"remote-address\":\"127.0.0.1\","
		        "\"remote-port\":%u},{\"name\":\"b\",\"remote-address\":\"127.0.0.1\","
		        "\"remote-port\":%u}],\"export-profile\":[{\"name\":\"p\","
		        "\"reporting-rate\":5,\"format\":\"gpb\",\"transport\":\"udp\"}],"
		        "\"sensor\":[{\"name\":\"u\",\"resource\":\"/interfaces/interface/state/\","
		        "\"export-name\":\"p\",\"server-name\":[\"a\",\"b\"],"
		        "\"reporting-rate\":0}]}}}",
		        e.port[0], e.port[1]);
		o = json_tokener_parse(json);
		assert_int_equal(tm_table_from_json(o, NULL, &nt, err, sizeof(err)), 0);
		json_object_put(o);
		tm_agent_install(&e.t, &nt);
		s = tm_table_sensor(&e.t.table, "u");
		assert_int_equal(s->state.n, 2);
	}
	udp_teardown(&e);
}

/* A bus delete takes the keys out of a rate 0 sensor's state, which goes out again without them. */
static void test_state_delete(void **state)
{
	Keel__Sensor__SensorData d = KEEL__SENSOR__SENSOR_DATA__INIT;
	char *del[1];
	struct udp_env e;
	struct tm_sensor *s;
	size_t pairs;
	bool seen = false;

	(void)state;
	udp_setup(&e, 0);
	s = tm_table_sensor(&e.t.table, "u");
	feed(s, "/interfaces/interface[name=eth0]/state/oper-status", "UP", 0);
	feed(s, "/interfaces/interface[name=eth1]/state/oper-status", "UP", 0);
	feed(s, "/interfaces/interface[name=eth1]/state/mtu", NULL, 1500);
	export_now(&e, s);
	assert_int_equal(drain(e.fd[0], &pairs, NULL, &seen), 1);
	assert_int_equal(pairs, 3);
	drain(e.fd[1], &pairs, NULL, &seen);

	/* eth1 goes: both of its keys leave the state, one export per server */
	d.component = "ifd";
	d.n_delete_paths = 1;
	d.delete_paths = del;
	del[0] = "/interfaces/interface[name=eth1]";
	assert_int_equal(tm_export_deletes(&e.t, &d), 2);
	assert_int_equal(s->state.n, 1);
	assert_null(tm_window_find(&s->state, "/interfaces/interface[name=eth1]/state/mtu"));
	assert_non_null(
	        tm_window_find(&s->state, "/interfaces/interface[name=eth0]/state/oper-status"));
	seen = false;
	assert_int_equal(
	        drain(e.fd[0], &pairs, "/interfaces/interface[name=eth0]/state/oper-status", &seen),
	        1);
	assert_int_equal(pairs, 1);
	assert_true(seen);
	seen = false;
	assert_int_equal(
	        drain(e.fd[1], &pairs, "/interfaces/interface[name=eth1]/state/mtu", &seen), 1);
	assert_false(seen);

	/* a delete of nothing held: no export; a bad path removes nothing */
	del[0] = "/interfaces/interface[name=eth7]";
	assert_int_equal(tm_export_deletes(&e.t, &d), 0);
	del[0] = "/interfaces/interface[name=eth0";
	assert_int_equal(tm_export_deletes(&e.t, &d), 0);
	assert_int_equal(drain(e.fd[0], &pairs, NULL, &seen), 0);

	/* a pending sample of a deleted key is dropped too, and the state can empty */
	feed(s, "/interfaces/interface[name=eth0]/state/mtu", NULL, 9000);
	del[0] = "/interfaces";
	assert_int_equal(tm_export_deletes(&e.t, &d), 2);
	assert_int_equal(s->win.n, 0);
	assert_int_equal(s->state.n, 0);
	assert_int_equal(drain(e.fd[0], &pairs, NULL, &seen), 1);
	assert_int_equal(pairs, 0);
	udp_teardown(&e);
}

/* The udp profile's local-address / local-port are the datagrams' source. */
static void test_udp_local_bind(void **state)
{
	struct daemon d = {0};
	struct telemetryd t = {0};
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	struct tm_table nt;
	struct tm_sensor *s;
	char json[900], err[300] = "", buf[2048];
	uint16_t port, lport;
	int fd, probe;

	(void)state;
	d.base = ev_base_new();
	t.d = &d;
	snprintf(t.node, sizeof(t.node), "n0");
	fd = udp_listener(&port);
	/* a free local port: bind one, note it, close it */
	probe = udp_listener(&lport);
	close(probe);
	snprintf(json, sizeof(json),
	         SVC "\"streaming-server\":[{\"name\":\"a\",\"remote-address\":\"127.0.0.1\","
	             "\"remote-port\":%u}],\"export-profile\":[{\"name\":\"p\","
	             "\"local-address\":\"127.0.0.1\",\"local-port\":%u,"
	             "\"reporting-rate\":5,\"format\":\"gpb\",\"transport\":\"udp\"}],"
	             "\"sensor\":[{\"name\":\"u\",\"resource\":\"/interfaces/interface/state/\","
	             "\"export-name\":\"p\",\"server-name\":[\"a\"],\"reporting-rate\":1}]}}}",
	         port, lport);
	assert_int_equal(table(json, &nt, err, sizeof(err)), 0);
	assert_string_equal(nt.server[0].local_address, "127.0.0.1");
	assert_int_equal(nt.server[0].local_port, lport);
	tm_agent_install(&t, &nt);
	assert_non_null(t.exp[0]);
	s = tm_table_sensor(&t.table, "u");
	feed(s, "/interfaces/interface[name=eth0]/state/mtu", NULL, 1500);
	{
		struct tm_window w;

		tm_sensor_take(s, mono_ms(), &w);
		tm_export_window(&t, s, &w);
		tm_window_free(&w);
	}
	assert_true(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) > 0);
	assert_int_equal(ntohs(from.sin_port), lport);
	assert_int_equal(ntohl(from.sin_addr.s_addr), INADDR_LOOPBACK);
	tm_agent_stop(&t);
	close(fd);
	event_base_free(d.base);
}

static const char *local_cfg(const char *p2_local, const char *transport, const char *raddr)
{
	static char buf[1200];

	snprintf(buf, sizeof(buf),
	         SVC
	         "\"streaming-server\":[{\"name\":\"a\",\"remote-address\":\"%s\","
	         "\"remote-port\":50051}],\"export-profile\":[{\"name\":\"p1\","
	         "\"local-address\":\"10.0.0.9\",\"reporting-rate\":5,\"transport\":\"%s\"},"
	         "{\"name\":\"p2\",%s\"reporting-rate\":5,\"transport\":\"udp\"}],"
	         "\"sensor\":[{\"name\":\"s1\",\"resource\":\"/interfaces/\","
	         "\"export-name\":\"p1\",\"server-name\":[\"a\"]},{\"name\":\"s2\","
	         "\"resource\":\"/system/\",\"export-name\":\"p2\",\"server-name\":[\"a\"]}]}}}",
	         raddr, transport, p2_local);
	return buf;
}

/* Refused at commit, saying why: local-* on mqtt, disagreeing profiles, mixed families. */
static void test_local_refused(void **state)
{
	struct tm_table t;
	char err[300] = "";

	(void)state;
	/* two udp profiles to one server from the same source: fine */
	assert_int_equal(table(local_cfg("\"local-address\":\"10.0.0.9\",", "udp", "10.0.0.1"), &t,
	                       err, sizeof(err)),
	                 0);
	assert_string_equal(t.server[0].local_address, "10.0.0.9");
	tm_table_free(&t);
	/* ...from different sources: one socket per server cannot do both */
	assert_int_not_equal(
	        table(local_cfg("\"local-port\":2000,", "udp", "10.0.0.1"), &t, err, sizeof(err)),
	        0);
	assert_non_null(strstr(err, "different local-address/local-port"));
	/* mqtt: not silently ignored */
	assert_int_not_equal(table(local_cfg("", "mqtt", "10.0.0.1"), &t, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "transport udp only"));
	/* an IPv4 source for an IPv6 collector */
	assert_int_not_equal(table(local_cfg("", "udp", "2001:db8::1"), &t, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "address families"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_server_names),
	        cmocka_unit_test(test_transport_grpc_refused),
	        cmocka_unit_test(test_udp_two_servers),
	        cmocka_unit_test(test_udp_split),
	        cmocka_unit_test(test_state_window),
	        cmocka_unit_test(test_state_delete),
	        cmocka_unit_test(test_udp_local_bind),
	        cmocka_unit_test(test_local_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
