#!/usr/bin/python3
"""Latency anchor for tests/bench/bench_telemetry.py: the broker alone (paho-mqtt).

mqtt_lat.py HOST PORT SECONDS WARM: subscribes to keel/# for SECONDS and, for every
SensorData from tests/bench/telemetry/pub.c (counters: each value is the send time in
microseconds), records arrival minus the first value, skipping the first WARM seconds
after the first message. Prints {"ready": t} once subscribed, then one JSON line
{"lat_us": [sample], "n": messages}.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.environ["SENSOR_STUBS"])

import paho.mqtt.client as mqtt  # noqa: E402
import sensor_pb2  # noqa: E402


def main():
    host, port, secs, warm = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
        float(sys.argv[4])
    st = {"n": 0, "first": None, "lat": []}

    def on_message(c, u, msg):
        now_us = time.time_ns() // 1000
        d = sensor_pb2.SensorData.FromString(msg.payload)
        if not d.kv:
            return
        st["n"] += 1
        if st["first"] is None:
            st["first"] = now_us
        if now_us - st["first"] >= warm * 1e6:
            st["lat"].append(now_us - d.kv[0].uint_value)

    def on_subscribe(c, u, mid, qos):
        print(json.dumps({"ready": time.time()}), flush=True)

    c = mqtt.Client(client_id=f"lat-{os.getpid()}")
    c.on_message = on_message
    c.on_subscribe = on_subscribe
    c.on_connect = lambda c, u, f, rc: c.subscribe("keel/#", qos=0)
    c.connect(host, port)
    end = time.time() + secs
    while time.time() < end:
        c.loop(timeout=0.1)
    c.disconnect()
    print(json.dumps({"lat_us": st["lat"][:50000], "n": st["n"]}), flush=True)


if __name__ == "__main__":
    main()
