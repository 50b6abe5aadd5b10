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

#endif
