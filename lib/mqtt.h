/*
 * A libmosquitto client driven from a libevent loop (no thread, no blocking
 * call), with reconnect and exponential backoff: what telemetryd's bus
 * subscriber and its external-broker exporter share (telemetry.md §7).
 *
 * libmosquitto only reconnects by itself in loop_forever()/loop_start(), so
 * the client re-connects from a retry timer, watches whatever socket
 * libmosquitto holds after every call into it (the fd changes on reconnect),
 * and runs mosquitto_loop_misc() once a second for keepalive PINGs.
 * Subscriptions are not remembered across connects by a clean session: the
 * owner subscribes again from its `connected` callback.
 */
#ifndef KEEL_MQTT_H
#define KEEL_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#define MQTT_BACKOFF_MIN_MS 250
#define MQTT_BACKOFF_MAX_MS 10000
#define MQTT_KEEPALIVE_S    10

struct mqtt_client;

struct mqtt_client_ops {
	void (*connected)(void *arg);    /* CONNACK accepted: (re)subscribe here */
	void (*disconnected)(void *arg); /* connection lost; retries follow */
	void (*message)(void *arg, const char *topic, const void *payload, size_t len);
	void (*published)(void *arg, int mid); /* QoS 0: last byte written */
};

struct mqtt_client_stats {
	uint64_t connects; /* CONNACKs accepted */
	uint64_t disconnects;
	uint64_t refused; /* CONNACKs refusing us */
	bool connected;
	bool v5; /* the current session speaks MQTT v5 */
};

/*
 * Starts connecting to host:port (non-blocking) and returns at once; NULL on
 * out of memory. `id` must be unique per broker (the broker drops the older
 * of two equal client ids). SIGPIPE is set to SIG_IGN if it is SIG_DFL.
 */
struct mqtt_client *mqtt_client_new(struct event_base *base, const char *id, const char *host,
                                    int port, const struct mqtt_client_ops *ops, void *arg);
/*
 * Asks for MQTT v5 on the next connects (call right after mqtt_client_new);
 * a broker that refuses the protocol version gets MQTT 3.1.1 from then on.
 */
void mqtt_client_prefer_v5(struct mqtt_client *c);
/* Disconnects (best effort, non-blocking) and frees; NULL is fine. */
void mqtt_client_free(struct mqtt_client *c);
bool mqtt_client_connected(const struct mqtt_client *c);
void mqtt_client_stats(const struct mqtt_client *c, struct mqtt_client_stats *out);
const char *mqtt_client_host(const struct mqtt_client *c);
int mqtt_client_port(const struct mqtt_client *c);
/* 0, or -1 when not connected or refused by libmosquitto. */
int mqtt_client_subscribe(struct mqtt_client *c, const char *pattern, int qos);
/*
 * After a failed publish: true when it failed for want of a connection (not
 * connected, or libmosquitto held no socket), false for any other refusal.
 */
bool mqtt_client_publish_down(const struct mqtt_client *c);
/*
 * Hands one message to libmosquitto (never blocks); *mid (may be NULL) gets
 * its message id. 0, or -1 when not connected or refused.
 */
int mqtt_client_publish(struct mqtt_client *c, const char *topic, const void *payload, size_t len,
                        int qos, bool retain, int *mid);

/*
 * The same with MQTT v5 properties when the session has v5 (ignored
 * otherwise): Message Expiry Interval (MQTT 5.0 §3.3.2.3.3, 0 = none) so a
 * broker never delivers a stale sample late, and Content Type (§3.3.2.3.9,
 * NULL = none).
 */
int mqtt_client_publish_v5(struct mqtt_client *c, const char *topic, const void *payload,
                           size_t len, int qos, bool retain, uint32_t expiry_s,
                           const char *content_type, int *mid);

#endif
