/*
 * Fuzz target: the sync channel's frame codec (daemons/clusterd/sync.c), what clusterd runs
 * on every frame from the peer's TLS channel. Checks, for every input:
 *   - sync_frame_len never claims more than a header plus SYNC_MAX_BODY;
 *   - a decoded frame holds only in-range fields (name, kind, offsets inside the blob);
 *   - whatever decodes re-encodes to the same bytes (the format has one encoding).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemons/clusterd/sync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[SYNC_HDR_LEN + SYNC_MAX_BODY];
	struct sync_msg m;
	size_t flen = 0, n = 0;

	if (sync_frame_len(data, size, &flen) == SYNC_OK && flen > SYNC_HDR_LEN + SYNC_MAX_BODY)
		abort();
	if (sync_msg_decode(data, size, &m) != SYNC_OK)
		return 0;
	if (m.type < SYNC_MSG_HELLO || m.type > SYNC_MSG_MAX)
		abort();
	if (m.type != SYNC_MSG_HELLO && !sync_name_valid(m.name))
		abort();
	if (m.type == SYNC_MSG_DATA &&
	    (m.total > SYNC_MAX_BLOB || m.offset > m.total || m.chunk_len > m.total - m.offset ||
	     m.chunk_len > SYNC_CHUNK || m.chunk < data || m.chunk + m.chunk_len > data + size))
		abort();
	if (sync_msg_encode(&m, out, sizeof(out), &n) != SYNC_OK || n != size ||
	    memcmp(out, data, size) != 0)
		abort();
	return 0;
}
