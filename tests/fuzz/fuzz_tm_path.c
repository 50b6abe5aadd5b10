/*
 * Fuzz target: tm_path_parse() and tm_path_match(), what telemetryd runs on
 * every key read from the node's bus and on every configured resource. A
 * parsed path stays within its bounds, and every path matches itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/telemetryd/telemetryd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[TM_PATH_MAX + 16];
	struct tm_path p;
	unsigned i;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	if (tm_path_parse(s, &p, NULL, 0) != 0)
		return 0;
	if (p.n_elem > TM_PATH_MAX_ELEMS)
		abort();
	for (i = 0; i < p.n_elem; i++)
		if (p.elem[i].n_keys > TM_PATH_MAX_KEYS || !p.elem[i].name[0])
			abort();
	if (!tm_path_match(&p, &p) || !tm_path_match_str(&p, s))
		abort();
	return 0;
}
