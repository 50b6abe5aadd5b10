"""A client of ribd's bulk route API (lib/proto/ribd.proto), for tests and benchmarks.

ribd's messages are compiled at run time with `protoc --python_out` (as
mgd_client.py does), so the Python side always matches the .proto.

    with RibdApi(sock_path) as api:
        api.add("loader", [(0x0a000000, 24), ...], [{"gateway": "10.99.0.2"}])
        api.delete("loader", [(0x0a000000, 24), ...])
        api.flush("loader")

Routes travel in frames of up to BATCH routes; up to WINDOW requests are in
flight at once so that encoding the next frame overlaps ribd's work.
"""

import importlib
import ipaddress
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "init"))

from testbed.ctl import (  # noqa: E402
    CTL_MAX_FRAME,
    FRAME_END,
    FRAME_ERROR,
    FRAME_EVENT,
    FRAME_REPLY,
    FRAME_REQUEST,
    CtlError,
    decode_frame,
    encode_frame,
)

BATCH = 12000  # IPv4 routes per frame: 5 bytes each, well inside 64 KiB
WINDOW = 4

_pb = None


def pb():
    """The generated ribd_pb2 module (compiled once per process)."""
    global _pb
    if _pb is None:
        out = tempfile.mkdtemp(prefix="keel-ribd-pb-")
        subprocess.run(["protoc", f"-I{REPO}/lib/proto", f"--python_out={out}",
                        str(REPO / "lib/proto/ribd.proto")], check=True)
        sys.path.insert(0, out)
        _pb = importlib.import_module("ribd_pb2")
    return _pb


def v4(prefix):
    """'10.0.0.0/24' -> (0x0a000000, 24)."""
    n = ipaddress.ip_network(prefix, strict=False)
    return int(n.network_address), n.prefixlen


class RibdApi:
    def __init__(self, sock_path, timeout=60.0):
        self.path = str(sock_path)
        self.timeout = timeout
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(timeout)
        self.s.connect(self.path)
        self.fid = 0

    def close(self):
        self.s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _send(self, method, payload):
        self.fid += 1
        self.s.send(encode_frame(self.fid, FRAME_REQUEST, method, payload))
        return self.fid

    def _wait(self, fid):
        parts = []
        deadline = time.monotonic() + self.timeout
        while True:
            self.s.settimeout(max(0.01, deadline - time.monotonic()))
            buf = self.s.recv(CTL_MAX_FRAME + 1)
            if not buf:
                raise ConnectionError(f"{self.path}: closed")
            f = decode_frame(buf)
            if f["kind"] == FRAME_EVENT or f["id"] != fid:
                continue
            if f["kind"] == FRAME_REPLY:
                parts.append(f["payload"])
            elif f["kind"] == FRAME_END:
                return parts
            elif f["kind"] == FRAME_ERROR:
                raise CtlError(f["code"], f["error"])

    def call(self, method, msg, reply_type):
        parts = self._wait(self._send(method, msg.SerializeToString() if msg else b""))
        out = []
        for p in parts:
            r = reply_type()
            r.ParseFromString(p)
            out.append(r)
        return out

    @staticmethod
    def _sets(nh_sets):
        out = []
        for s in nh_sets:
            m = pb().ApiNextHopSet(type=s.get("type", ""), resolve=s.get("resolve", False))
            for h in s.get("next_hops", [s] if ("gateway" in s or "interface" in s) else []):
                m.next_hops.add(gateway=h.get("gateway", ""), interface=h.get("interface", ""))
            out.append(m)
        return out

    def _batches(self, method, client, routes, nh_sets, preference, metric, set_index):
        """routes: [(v4 number, length)]; set_index: None (all set 0) or a list."""
        total = pb().RouteBatchResult()
        pending = []
        sets = self._sets(nh_sets) if nh_sets else []

        def collect(fid):
            r = pb().RouteBatchResult()
            r.ParseFromString(self._wait(fid)[0])
            total.done += r.done
            total.failed += r.failed
            total.fib_failed += r.fib_failed
            total.client_routes = r.client_routes
            if r.first_error and not total.first_error:
                total.first_error = r.first_error

        for i in range(0, len(routes), BATCH):
            chunk = routes[i:i + BATCH]
            m = pb().RouteBatch(client=client, preference=preference, metric=metric)
            m.nh_sets.extend(sets)
            m.v4_prefix.extend([p for p, _ in chunk])
            m.v4_length = bytes(n for _, n in chunk)
            if set_index is not None:
                m.v4_nh_set.extend(set_index[i:i + BATCH])
            pending.append(self._send(method, m.SerializeToString()))
            if len(pending) >= WINDOW:
                collect(pending.pop(0))
        while pending:
            collect(pending.pop(0))
        return total

    def add(self, client, routes, nh_sets, preference=0, metric=0, set_index=None):
        return self._batches("route.add", client, routes, nh_sets, preference, metric, set_index)

    def delete(self, client, routes):
        return self._batches("route.delete", client, routes, None, 0, 0, None)

    def flush(self, client):
        return self.call("route.flush", pb().RouteFlush(client=client), pb().RouteBatchResult)[0]

    def clients(self):
        return {c.name: c.routes for c in self.call("route.clients", None, pb().ApiClient)}

    def lookup_bench(self, lookups=1000000):
        return self.call("route.lookup-bench", pb().LookupBench(lookups=lookups),
                         pb().LookupBenchResult)[0]

    def summary(self):
        return self.call("show.route.summary", None, pb().RouteSummary)[0]
