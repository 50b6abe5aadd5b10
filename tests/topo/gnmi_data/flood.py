#!/usr/bin/python3
"""Publishes keel.sensor.SensorData on a node's bus as fast as asked (paho-mqtt).

flood.py HOST PORT KEYS RATE SECONDS [delete]: RATE messages per second, each with KEYS
interface counters /interfaces/interface[name=flN] ($FLOOD_PREFIX instead of fl)/state/counters/in-octets whose
values all grow by one per message; with "delete", one last message deletes every
/interfaces/interface[name=flN] (SensorData.delete_paths). Prints the number of
messages sent.
"""

import os
import sys
import time

sys.path.insert(0, os.environ.get("GNMI_STUBS", os.path.dirname(__file__)))

import paho.mqtt.client as mqtt  # noqa: E402
import sensor_pb2  # noqa: E402

PFX = os.environ.get("FLOOD_PREFIX", "fl")  # interface names PFX0, PFX1, ...


def main():
    host, port, keys, rate, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        float(sys.argv[4]), float(sys.argv[5])
    c = mqtt.Client(client_id=f"flood-{os.getpid()}")
    c.connect(host, port)
    c.loop_start()
    names = [f"/interfaces/interface[name={PFX}{k}]/state/counters/in-octets"
             for k in range(keys)]
    t0 = time.time()
    n = 0
    while time.time() - t0 < secs:
        n += 1
        d = sensor_pb2.SensorData(component="flood", node="solo", sensor="flood", sequence=n,
                                  timestamp=int(time.time() * 1000))
        for k in names:
            d.kv.add(key=k, uint_value=n)
        c.publish("keel/flood/flood", d.SerializeToString(), qos=0)
        nxt = t0 + n / rate
        time.sleep(max(0.0, nxt - time.time()))
    if len(sys.argv) > 6 and sys.argv[6] == "delete":
        n += 1
        d = sensor_pb2.SensorData(component="flood", node="solo", sensor="flood", sequence=n,
                                  timestamp=int(time.time() * 1000))
        d.delete_paths.extend(f"/interfaces/interface[name={PFX}{k}]" for k in range(keys))
        c.publish("keel/flood/flood", d.SerializeToString(), qos=0).wait_for_publish(5)
    c.loop_stop()
    c.disconnect()
    print(n, flush=True)


if __name__ == "__main__":
    main()
