/*
 * Fuzz target: the chassis EEPROM decoder. Whatever it accepts must encode
 * back to the same bytes (the format has one encoding per identity).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "platform/chassis/chassis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chassis_id id;
	uint8_t again[EEPROM_RECORD_LEN];
	size_t len = 0;

	if (eeprom_decode(data, size, &id) != EEPROM_OK)
		return 0;
	if (eeprom_encode(&id, again, sizeof(again), &len) != EEPROM_OK || len != size ||
	    memcmp(again, data, size) != 0)
		abort();
	return 0;
}
