#!/usr/bin/python3
"""A gNMI collector for keel's topology tests (python3-grpcio, stubs from lib/proto/gnmi.proto).

Runs one RPC against a target and prints one JSON object per line, flushed, each
with its arrival time "t" (time.time()):
  caps                         {"caps": {...}}
  get PATH...                  {"notification": [...]}
  sub PATHSPEC...              {"sync": true} | {"ts": ns, "prefix": str, "updates": [...],
                               "deletes": [...]} ...
and at the end {"status": "OK"|code name, "details": str}.
A PATHSPEC is PATH[,MODE[,SAMPLE_MS[,HEARTBEAT_MS[,suppress]]]] with MODE
sample|on_change|target_defined. --stall S stops reading for S seconds after
the first update (the RPC stays open: a stalled collector).
"""

import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.environ.get("GNMI_STUBS", os.path.dirname(__file__)))

import grpc  # noqa: E402
import gnmi_pb2  # noqa: E402
import gnmi_pb2_grpc  # noqa: E402

ELEM = re.compile(r"([^/\[]+)((?:\[[^=\]]+=(?:\\.|[^\]\\])*\])*)")
KEY = re.compile(r"\[([^=\]]+)=((?:\\.|[^\]\\])*)\]")


def to_path(s, target=None, origin=None):
    p = gnmi_pb2.Path()
    if target:
        p.target = target
    if origin:
        p.origin = origin
    for m in ELEM.finditer(s.strip("/")):
        e = p.elem.add()
        e.name = m.group(1)
        for k, v in KEY.findall(m.group(2)):
            e.key[k] = re.sub(r"\\(.)", r"\1", v)
    return p


def path_str(p):
    out = ""
    for e in p.elem:
        out += "/" + e.name + "".join(f"[{k}={e.key[k]}]" for k in sorted(e.key))
    return out


def val(tv):
    kind = tv.WhichOneof("value")
    v = getattr(tv, kind) if kind else None
    if kind in ("json_val", "json_ietf_val"):
        return kind, json.loads(v)
    if kind == "bytes_val":
        return kind, v.decode(errors="replace")
    return kind, v


def notif(n):
    pfx = path_str(n.prefix)
    ups = []
    for u in n.update:
        kind, v = val(u.val)
        ups.append({"path": pfx + path_str(u.path), "rel": path_str(u.path), "kind": kind,
                    "val": v, "dup": u.duplicates})
    return {"ts": n.timestamp, "prefix": pfx, "target": n.prefix.target,
            "origin": n.prefix.origin, "updates": ups,
            "deletes": [pfx + path_str(d) for d in n.delete]}


def emit(o):
    o["t"] = time.time()
    print(json.dumps(o), flush=True)


def channel(a):
    opts = [("grpc.max_receive_message_length", 16 * 1024 * 1024)]
    if not a.tls:
        return grpc.insecure_channel(a.target, options=opts)
    rd = lambda f: open(f, "rb").read() if f else None  # noqa: E731
    creds = grpc.ssl_channel_credentials(rd(a.ca), rd(a.key), rd(a.cert))
    opts.append(("grpc.ssl_target_name_override", a.server_name))
    return grpc.secure_channel(a.target, creds, options=opts)


ENC = {"proto": gnmi_pb2.PROTO, "json_ietf": gnmi_pb2.JSON_IETF, "json": gnmi_pb2.JSON,
       "ascii": gnmi_pb2.ASCII}
MODES = {"sample": gnmi_pb2.SAMPLE, "on_change": gnmi_pb2.ON_CHANGE,
         "target_defined": gnmi_pb2.TARGET_DEFINED}
LMODES = {"stream": gnmi_pb2.SubscriptionList.STREAM, "once": gnmi_pb2.SubscriptionList.ONCE,
          "poll": gnmi_pb2.SubscriptionList.POLL}


def sub_requests(a, polls):
    sl = gnmi_pb2.SubscriptionList(mode=LMODES[a.mode], encoding=ENC[a.encoding],
                                   updates_only=a.updates_only)
    if a.prefix or a.xtarget or a.origin:
        sl.prefix.CopyFrom(to_path(a.prefix or "", target=a.xtarget, origin=a.origin))
    for spec in a.paths:
        f = spec.split(",")
        s = sl.subscription.add()
        s.path.CopyFrom(to_path(f[0]))
        s.mode = MODES[f[1]] if len(f) > 1 and f[1] else gnmi_pb2.TARGET_DEFINED
        if len(f) > 2 and f[2]:
            s.sample_interval = int(float(f[2]) * 1000000)
        if len(f) > 3 and f[3]:
            s.heartbeat_interval = int(float(f[3]) * 1000000)
        s.suppress_redundant = len(f) > 4 and f[4] == "suppress"
    yield gnmi_pb2.SubscribeRequest(subscribe=sl)
    while True:
        item = polls.get()
        if item is None:
            return
        yield gnmi_pb2.SubscribeRequest(poll=gnmi_pb2.Poll())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--ca")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--server-name", default="keel-node")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--encoding", default="proto")
    ap.add_argument("--mode", default="stream")
    ap.add_argument("--prefix")
    ap.add_argument("--xtarget")
    ap.add_argument("--origin")
    ap.add_argument("--updates-only", action="store_true")
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--polls", type=int, default=0)
    ap.add_argument("--stall", type=float, default=0.0)
    ap.add_argument("cmd")
    ap.add_argument("paths", nargs="*")
    a = ap.parse_args()
    md = [("username", a.user), ("password", a.password)] if a.user else None
    stub = gnmi_pb2_grpc.gNMIStub(channel(a))
    try:
        if a.cmd == "caps":
            r = stub.Capabilities(gnmi_pb2.CapabilityRequest(), metadata=md, timeout=10)
            emit({"caps": {"version": r.gNMI_version,
                           "encodings": [gnmi_pb2.Encoding.Name(e) for e in r.supported_encodings],
                           "models": [[m.name, m.organization, m.version]
                                      for m in r.supported_models]}})
        elif a.cmd == "get":
            rq = gnmi_pb2.GetRequest(encoding=ENC[a.encoding])
            if a.prefix or a.xtarget or a.origin:
                rq.prefix.CopyFrom(to_path(a.prefix or "", target=a.xtarget, origin=a.origin))
            for p in a.paths:
                rq.path.add().CopyFrom(to_path(p))
            r = stub.Get(rq, metadata=md, timeout=10)
            emit({"notification": [notif(n) for n in r.notification]})
        elif a.cmd == "set":
            stub.Set(gnmi_pb2.SetRequest(), metadata=md, timeout=10)
        elif a.cmd == "sub":
            import queue
            import threading
            polls = queue.Queue()
            it = stub.Subscribe(sub_requests(a, polls), metadata=md)
            stop = time.time() + a.duration
            timer = threading.Timer(a.duration, it.cancel)
            timer.daemon = True
            timer.start()
            syncs = 0
            stalled = False
            try:
                for r in it:
                    kind = r.WhichOneof("response")
                    if kind == "sync_response":
                        emit({"sync": True})
                        syncs += 1
                        if syncs <= a.polls:
                            time.sleep(0.3)
                            polls.put(1)
                    elif kind == "update":
                        emit(notif(r.update))
                        if a.stall and not stalled:
                            stalled = True
                            emit({"stalling": a.stall})
                            time.sleep(a.stall)
                            emit({"resumed": True})
                    if time.time() > stop:
                        break
            finally:
                polls.put(None)
            it.cancel()
        emit({"status": "OK", "details": ""})
    except grpc.RpcError as e:
        code = e.code()
        emit({"status": code.name if code else "UNKNOWN", "details": e.details() or ""})


if __name__ == "__main__":
    main()
