/*
 * Fuzz target: the OpenFlow 1.3 decoder, fed a byte stream the way
 * openflow_conn.c's reader feeds it (message after message). Every accepted
 * message must lie within the input, its views (echo payload, error data,
 * multipart body) within the message, and every PORT_DESC entry must
 * decode; HELLO negotiation must answer a version keel offered or -1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "platform/ovs/openflow.h"

static void within(const uint8_t *msg, size_t len, const uint8_t *p, size_t n)
{
	if (n && (p < msg || p > msg + len || n > (size_t)(msg + len - p)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		struct ovs_of_msg m;
		struct ovs_of_port_desc d;
		const uint8_t *msg = data + off;
		int r = ovs_of_decode(msg, size - off, &m);
		size_t i;

		if (r <= 0)
			break;
		if ((size_t)r > size - off || r < OVS_OF_HDR_LEN || m.length != r)
			abort();
		switch (m.type) {
		case OVS_OF_T_HELLO:
			r = ovs_of_negotiate(1u << OVS_OF_VERSION, &m);
			if (r != -1 && r != OVS_OF_VERSION)
				abort();
			r = m.length;
			break;
		case OVS_OF_T_ERROR:
			within(msg, m.length, m.u.error.data, m.u.error.data_len);
			break;
		case OVS_OF_T_ECHO_REQUEST:
		case OVS_OF_T_ECHO_REPLY:
			within(msg, m.length, m.u.echo.data, m.u.echo.data_len);
			break;
		case OVS_OF_T_MULTIPART_REPLY:
			within(msg, m.length, m.u.multipart.body, m.u.multipart.body_len);
			for (i = 0; i < m.u.multipart.n_ports; i++)
				if (ovs_of_port_desc_at(&m, i, &d) != 0 || strlen(d.name) > 16)
					abort();
			break;
		case OVS_OF_T_FLOW_REMOVED:
			if (m.version == OVS_OF_VERSION && m.length < 48 + 4)
				abort();
			if (m.version == OVS_OF_VERSION && !m.u.flow_removed.other_fields) {
				/* every match keel decodes, VLAN and masked
				 * destination included, encodes back */
				struct ovs_of_flow f = m.u.flow_removed.flow;
				static uint8_t fm[512];

				f.cmd = OVS_OF_FC_DELETE_STRICT;
				if (ovs_of_encode_flow_mod(fm, sizeof(fm), 1, &f) <= 0)
					abort();
			}
			break;
		case OVS_OF_T_PORT_STATUS:
			if (m.version == OVS_OF_VERSION && strlen(m.u.port_status.desc.name) > 16)
				abort();
			break;
		default:
			break;
		}
		off += (size_t)m.length;
	}
	return 0;
}
