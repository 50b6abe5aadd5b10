#include "lib/pbjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pbjson_key(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = name[i] == '_' ? '-' : name[i];
	buf[i] = '\0';
}

static const char *pbjson_enum_name(const ProtobufCEnumDescriptor *ed, int value)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, value);

	return ev ? ev->name : NULL;
}

static struct json_object *pbjson_value(const ProtobufCFieldDescriptor *fd, const void *p)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_object_new_int(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_object_new_int64(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_object_new_int64(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return json_object_new_uint64(*(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return json_object_new_double(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_object_new_double(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_object_new_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM: {
		int v = *(const int *)p;
		const char *name = pbjson_enum_name(fd->descriptor, v);

		return name ? json_object_new_string(name) : json_object_new_int(v);
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;

		return json_object_new_string(s ? s : "");
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		static const char hex[] = "0123456789abcdef";
		char *buf = malloc(b->len * 2 + 1);
		struct json_object *o;

		if (!buf)
			return NULL;
		for (size_t i = 0; i < b->len; i++) {
			buf[2 * i] = hex[b->data[i] >> 4];
			buf[2 * i + 1] = hex[b->data[i] & 0xf];
		}
		buf[b->len * 2] = '\0';
		o = json_object_new_string(buf);
		free(buf);
		return o;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *m = *(ProtobufCMessage *const *)p;

		return m ? pbjson_from_msg(m) : NULL;
	}
	}
	return NULL;
}

size_t pbjson_elem_size(const ProtobufCFieldDescriptor *fd)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

struct json_object *pbjson_from_msg(const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *md = msg->descriptor;
	struct json_object *obj = json_object_new_object();

	for (unsigned i = 0; i < md->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &md->fields[i];
		const char *base = (const char *)msg;
		const void *field = base + fd->offset;
		struct json_object *v = NULL;
		char key[128];

		pbjson_key(fd->name, key, sizeof(key));
		if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + fd->quantifier_offset);
			const char *arr = *(char *const *)field;
			size_t sz = pbjson_elem_size(fd);

			v = json_object_new_array_ext((int)n);
			for (size_t k = 0; k < n; k++) {
				struct json_object *e = pbjson_value(fd, arr + k * sz);

				if (e)
					json_object_array_add(v, e);
			}
		} else {
			if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
				uint32_t which = *(const uint32_t *)(base + fd->quantifier_offset);

				if (which != fd->id)
					continue;
			} else if (fd->label == PROTOBUF_C_LABEL_OPTIONAL &&
			           fd->quantifier_offset && fd->type != PROTOBUF_C_TYPE_MESSAGE &&
			           fd->type != PROTOBUF_C_TYPE_STRING &&
			           !*(const protobuf_c_boolean *)(base + fd->quantifier_offset)) {
				continue;
			}
			v = pbjson_value(fd, field);
		}
		if (v)
			json_object_object_add(obj, key, v);
	}
	return obj;
}
