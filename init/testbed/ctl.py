"""A small blocking client for the daemons' ctl sockets (lib/ctl.h, lib/proto/ctl.proto).

One keel.ctl.Frame per SOCK_SEQPACKET datagram. The few proto3 fields are
encoded by hand (varint and length-delimited wire types) so that the tests
and the demo need nothing beyond the standard library.

    ctl_call("/run/keel-testbed/ID/node0/run/keel/ifd.ctl", "daemon.info")
        -> [payload bytes of each REPLY frame] (raises CtlError on an ERROR frame)
    daemon_info(sock_path) -> dict with the DaemonInfo fields
"""

import socket
import time

FRAME_REQUEST, FRAME_REPLY, FRAME_END, FRAME_ERROR, FRAME_EVENT = range(5)
CTL_MAX_FRAME = 64 * 1024

WT_VARINT, WT_I64, WT_LEN, WT_I32 = 0, 1, 2, 5


class CtlError(Exception):
    """An ERROR frame: .code is a CtlErr value, the message the daemon's text."""

    def __init__(self, code, text):
        super().__init__(f"ctl error {code}: {text}")
        self.code = code
        self.text = text


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, wt, value):
    key = _varint((num << 3) | wt)
    if wt == WT_VARINT:
        return key + _varint(value)
    return key + _varint(len(value)) + value


def decode_fields(buf):
    """Yields (field number, wire type, value) for a protobuf message; ValueError if malformed."""
    i, n = 0, len(buf)

    def varint():
        nonlocal i
        shift = val = 0
        while True:
            if i >= n or shift > 63:
                raise ValueError("truncated varint")
            b = buf[i]
            i += 1
            val |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return val

    while i < n:
        key = varint()
        num, wt = key >> 3, key & 7
        if wt == WT_VARINT:
            yield num, wt, varint()
        elif wt == WT_LEN:
            ln = varint()
            if i + ln > n:
                raise ValueError("truncated field")
            yield num, wt, bytes(buf[i : i + ln])
            i += ln
        elif wt == WT_I64:
            if i + 8 > n:
                raise ValueError("truncated fixed64")
            yield num, wt, int.from_bytes(buf[i : i + 8], "little")
            i += 8
        elif wt == WT_I32:
            if i + 4 > n:
                raise ValueError("truncated fixed32")
            yield num, wt, int.from_bytes(buf[i : i + 4], "little")
            i += 4
        else:
            raise ValueError(f"wire type {wt}")


def encode_frame(fid, kind, method="", payload=b"", code=0, error=""):
    out = b""
    if fid:
        out += _field(1, WT_VARINT, fid)
    if kind:
        out += _field(2, WT_VARINT, kind)
    if method:
        out += _field(3, WT_LEN, method.encode())
    if payload:
        out += _field(4, WT_LEN, payload)
    if code:
        out += _field(5, WT_VARINT, code)
    if error:
        out += _field(6, WT_LEN, error.encode())
    return out


def decode_frame(buf):
    f = {"id": 0, "kind": 0, "method": "", "payload": b"", "code": 0, "error": ""}
    names = {1: "id", 2: "kind", 3: "method", 4: "payload", 5: "code", 6: "error"}
    for num, wt, val in decode_fields(buf):
        name = names.get(num)
        if name is None:
            continue
        if name in ("method", "error"):
            val = val.decode(errors="replace")
        f[name] = val
    return f


def ctl_call(sock_path, method, payload=b"", timeout=2.0):
    """Sends one request; returns the REPLY payloads (plus a non-empty END payload)."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        fid = 1
        s.send(encode_frame(fid, FRAME_REQUEST, method, payload))
        parts = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{sock_path}: no END for {method} within {timeout}s")
            s.settimeout(left)
            buf = s.recv(CTL_MAX_FRAME + 1)
            if not buf:
                raise ConnectionError(f"{sock_path}: closed before END for {method}")
            f = decode_frame(buf)
            if f["kind"] == FRAME_EVENT or f["id"] not in (fid, 0):
                continue
            if f["kind"] == FRAME_REPLY:
                parts.append(f["payload"])
            elif f["kind"] == FRAME_END:
                if f["payload"]:
                    parts.append(f["payload"])
                return parts
            elif f["kind"] == FRAME_ERROR:
                raise CtlError(f["code"], f["error"])


DAEMON_INFO_FIELDS = {
    1: ("name", "str"),
    2: ("pid", "int"),
    3: ("version", "str"),
    4: ("start_time", "int"),
    5: ("uptime_ms", "int"),
    6: ("debug_flags", "list"),
    7: ("debug_on", "list"),
    8: ("clients", "int"),
    9: ("requests", "int"),
    10: ("errors", "int"),
    11: ("root", "str"),
    12: ("rss_kb", "int"),
    13: ("cpu_ms", "int"),
}


def decode_daemon_info(buf):
    info = {name: ([] if t == "list" else "" if t == "str" else 0)
            for name, t in DAEMON_INFO_FIELDS.values()}
    for num, wt, val in decode_fields(buf):
        if num not in DAEMON_INFO_FIELDS:
            continue
        name, t = DAEMON_INFO_FIELDS[num]
        if t == "int":
            info[name] = val
        elif t == "str":
            info[name] = val.decode(errors="replace")
        else:
            info[name].append(val.decode(errors="replace"))
    return info


def daemon_info(sock_path, timeout=2.0):
    parts = ctl_call(sock_path, "daemon.info", timeout=timeout)
    if len(parts) != 1:
        raise ValueError(f"{sock_path}: daemon.info answered {len(parts)} parts, expected 1")
    return decode_daemon_info(parts[0])
