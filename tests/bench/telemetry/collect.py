#!/usr/bin/python3
"""gNMI collector for tests/bench/bench_telemetry.py (python3-grpcio, stubs from lib/proto/gnmi.proto).

collect.py TARGET SECONDS KIND WARM PATH...: one Subscribe STREAM RPC with an
ON_CHANGE subscription per PATH (PROTO encoding) for SECONDS, then one JSON line:
  {"sync": t, "buckets": {second: updates}, "nbuckets": {second: notifications}, "dups": n,
   "lat_us": [sample], "n_lat": n}
KIND counters: the latency of an update is its arrival time minus its uint value (the
publisher's send time in microseconds, tests/bench/telemetry/pub.c); events: arrival
minus Notification.timestamp (the publisher sends on a millisecond boundary). Only
updates arriving WARM seconds after the sync_response count for latency; at most 20000
latencies are kept (every k-th) so the list stays small.
"""

import json
import os
import sys
import threading
import time

sys.path.insert(0, os.environ["GNMI_STUBS"])

import grpc  # noqa: E402
import gnmi_pb2  # noqa: E402
import gnmi_pb2_grpc  # noqa: E402

LAT_KEEP = 20000


def path(s):
    p = gnmi_pb2.Path()
    for part in s.strip("/").split("/"):
        e = p.elem.add()
        if "[" in part:
            name, rest = part.split("[", 1)
            e.name = name
            k, v = rest.rstrip("]").split("=", 1)
            e.key[k] = v
        else:
            e.name = part
    return p


def main():
    target, secs, kind, warm = sys.argv[1], float(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    lat_after = float("inf")
    sl = gnmi_pb2.SubscriptionList(mode=gnmi_pb2.SubscriptionList.STREAM,
                                   encoding=gnmi_pb2.PROTO)
    for p in sys.argv[5:]:
        sl.subscription.add(path=path(p), mode=gnmi_pb2.ON_CHANGE)
    ch = grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", 64 << 20)])
    stub = gnmi_pb2_grpc.gNMIStub(ch)
    call = stub.Subscribe(iter([gnmi_pb2.SubscribeRequest(subscribe=sl)]),
                          metadata=[("username", "bench"), ("password", "bench")])
    threading.Timer(secs, call.cancel).start()
    buckets, nbuckets, dups, lat, n_lat, every, sync = {}, {}, 0, [], 0, 1, None
    try:
        for r in call:
            now = time.time()
            if r.HasField("sync_response"):
                sync = now
                lat_after = now + warm
                print(json.dumps({"ready": now}), flush=True)
                continue
            ups = r.update.update
            sec = int(now)
            buckets[sec] = buckets.get(sec, 0) + len(ups)
            nbuckets[sec] = nbuckets.get(sec, 0) + 1
            if sync is None or now < lat_after:
                continue
            for u in ups:
                dups += u.duplicates
            now_us = time.time_ns() // 1000
            if kind == "events":
                vals = [now_us - r.update.timestamp // 1000]
            else:
                vals = [now_us - u.val.uint_val for u in ups]
            for v in vals:
                n_lat += 1
                if n_lat % every == 0:
                    lat.append(v)
            if len(lat) >= LAT_KEEP:
                lat, every = lat[::2], every * 2
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.CANCELLED:
            print(json.dumps({"error": str(e.code()), "details": e.details()}), flush=True)
    print(json.dumps({"sync": sync, "buckets": buckets, "nbuckets": nbuckets, "dups": dups, "lat_us": lat,
                      "n_lat": n_lat}), flush=True)


if __name__ == "__main__":
    main()
