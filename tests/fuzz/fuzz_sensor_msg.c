/*
 * Fuzz target: sensor_msg_decode(), what telemetryd runs on every payload read
 * from the node's bus. A decoded message must hold only in-bounds fields, and
 * re-packing it must decode to the same pairs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Keel__Sensor__SensorData *d, *d2;
	uint8_t *buf;
	size_t len;

	if (sensor_msg_decode(data, size, &d) != SENSOR_ERR_NONE) {
		if (d)
			abort();
		return 0;
	}
	if (d->n_kv > SENSOR_MAX_KV || d->n_delete_paths > SENSOR_MAX_DELETE ||
	    !sensor_name_valid(d->component) || !sensor_name_valid(d->sensor))
		abort();
	for (size_t i = 0; i < d->n_kv; i++)
		if (strlen(d->kv[i]->key) > SENSOR_MAX_KEY || d->kv[i]->key[0] != '/')
			abort();
	len = keel__sensor__sensor_data__get_packed_size(d);
	buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	keel__sensor__sensor_data__pack(d, buf);
	if (sensor_msg_decode(buf, len, &d2) != SENSOR_ERR_NONE || d2->n_kv != d->n_kv ||
	    d2->sequence != d->sequence)
		abort();
	for (size_t i = 0; i < d->n_kv; i++)
		if (strcmp(d->kv[i]->key, d2->kv[i]->key) != 0 ||
		    d->kv[i]->value_case != d2->kv[i]->value_case)
			abort();
	sensor_data_free(d2);
	sensor_data_free(d);
	free(buf);
	return 0;
}
