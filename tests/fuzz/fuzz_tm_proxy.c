/*
 * Fuzz target: telemetryd's ctl-socket proxy on one reply part, as it runs
 * on every part a daemon sends (daemons/telemetryd/proxy.c): the first byte
 * picks the rule, the rest is the part, unpacked with the rule's descriptor
 * and flattened by reflection. Every pair lands under the rule's root, the
 * message packs and decodes back with the bus decoder (keys are valid bus
 * paths), and the count returned is what the message holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/telemetryd/proxy.h"
#include "lib/sensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct tm_proxy_rule *r;
	ProtobufCMessage *msg;
	struct sensor_msg *m;
	Keel__Sensor__SensorData *d = NULL;
	uint64_t hash = 0;
	uint8_t *buf;
	size_t len, rl;
	int n;

	if (size < 1 || !tm_proxy_n_rules)
		return 0;
	r = &tm_proxy_rules[data[0] % tm_proxy_n_rules];
	msg = protobuf_c_message_unpack(r->reply, NULL, size - 1, data + 1);
	if (!msg)
		return 0;
	m = sensor_msg_new(r->sensor);
	if (!m)
		abort();
	n = tm_proxy_flatten(r, msg, m, &hash);
	protobuf_c_message_free_unpacked(msg, NULL);
	if (n >= 0 && (size_t)n != sensor_msg_count(m))
		abort();
	buf = sensor_msg_pack(m, "fuzz-proxy", "n0", 1, 1, &len);
	sensor_msg_free(m);
	if (!buf)
		return 0; /* over SENSOR_MAX_MSG: the proxy drops such a part */
	if (sensor_msg_decode(buf, len, &d) != SENSOR_ERR_NONE)
		abort();
	rl = strlen(r->root);
	for (size_t i = 0; i < d->n_kv; i++)
		if (strncmp(d->kv[i]->key, r->root, rl) || d->kv[i]->key[rl] != '/')
			abort();
	sensor_data_free(d);
	free(buf);
	return 0;
}
