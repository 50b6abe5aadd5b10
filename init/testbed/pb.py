"""A small schema-driven protobuf reader/writer for tests (no generated code).

A schema maps message names to {field number: (name, kind)}; kind is U (varint),
B (bool), D (double), S (string) or the name of another message in the schema.
Fields named in `repeated` decode to lists. Enough for the ctl messages the
topology tests and benchmarks read (lib/proto/*.proto), with nothing beyond
the standard library.
"""

import struct

from .ctl import decode_fields

U, S, B, D = "u", "s", "b", "d"


def varint(n):
    """Varint encoding; negative int32/int64 become 10-byte two's complement (proto3)."""
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field_str(num, text):
    b = text.encode()
    return varint(num << 3 | 2) + varint(len(b)) + b


def field_u(num, v):
    """A varint field; 0 is the proto3 default and is left out."""
    return varint(num << 3) + varint(v) if v else b""


def field_bool(num, v):
    return varint(num << 3) + b"\x01" if v else b""


def decode(schema, repeated, name, buf, msg_default=None):
    """A dict of message `name`'s known fields; repeated ones as lists, absent ones
    defaulted (0, "", False-y 0 for bools, msg_default for submessages)."""
    fields = schema[name]
    out = {}
    for fname, kind in fields.values():
        if fname in repeated:
            out[fname] = []
        elif kind == S:
            out[fname] = ""
        elif kind in schema:
            out[fname] = msg_default
        else:
            out[fname] = 0
    for num, _wt, val in decode_fields(buf):
        if num not in fields:
            continue
        fname, kind = fields[num]
        if kind == U:
            v = val
        elif kind == B:
            v = bool(val)
        elif kind == D:
            v = struct.unpack("<d", val.to_bytes(8, "little"))[0]
        elif kind == S:
            v = bytes(val).decode()
        else:
            v = decode(schema, repeated, kind, bytes(val), msg_default)
        if fname in repeated:
            out[fname].append(v)
        else:
            out[fname] = v
    return out
