/*
 * protobuf-c message -> json-c object, by reflection over the descriptor.
 *
 * The CLI's `| display json` and telemetryd's JSON export use it so that no
 * daemon reply needs a hand-written JSON form. Field names keep their proto
 * spelling with '_' turned into '-' (Junos style: "local-discriminator").
 * Enum values become their short names, bytes become lowercase hex, unset
 * proto3 scalars are emitted (zero values are data too), unset submessages
 * are left out.
 */
#ifndef KEEL_PBJSON_H
#define KEEL_PBJSON_H

#include <json-c/json.h>
#include <protobuf-c/protobuf-c.h>

struct json_object *pbjson_from_msg(const ProtobufCMessage *msg);

/* The pieces of the reflection other walkers share (telemetryd's ctl proxy): a field name in
 * keel's spelling ("local_discriminator" -> "local-discriminator", cut to len - 1), and the
 * size of one element of a repeated field's array. */
void pbjson_key(const char *name, char *buf, size_t len);
size_t pbjson_elem_size(const ProtobufCFieldDescriptor *fd);

#endif
