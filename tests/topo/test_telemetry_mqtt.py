"""telemetryd: sensors from `services analytics`, the node bus, MQTT export.

One node `solo` (every daemon in the build, ifd publishing interface counters
to the node's bus every 500 ms) with eth0 to host h. An external mosquitto
broker runs inside h's namespace; a sensor on
/interfaces/interface/state/counters/ with reporting-rate 1 exports JSON to
it through an export-profile with transport mqtt. The test subscribes from h
with mosquitto_sub and checks that the node's interface counters arrive about
once per second, that `show agent sensors` reports the sensor, that a bad
resource fails the commit (schema check), and that when the node's bus dies
telemetryd keeps running and the export resumes once the bus is back. A
reporting-rate 0 (state) sensor with two server-names sends its whole state,
retained, to two brokers, so a late subscriber of either gets it at once;
sampled counters are never retained.
"""

import json
import sys
from pathlib import Path
import os
import signal
import subprocess
import time

import pytest
from conftest import BIN, poll, sh

TOPO = """
[node.solo]
[host.h]
addresses = { eth0 = ["10.77.0.2/24"] }
[[link]]
a = "solo:eth0"
b = "h:eth0"
"""

BROKER_PORT = 18830
COUNTER = "/interfaces/interface[name=eth0]/state/counters/in-octets"

BROKER_CONF = f"""listener {BROKER_PORT} 10.77.0.2
allow_anonymous true
persistence false
log_dest stderr
"""


def cli(bed, cmds, check=True):
    return bed.run("solo", [BIN / "cli", "-c", cmds], check=check, timeout=30)


class Sub:
    """mosquitto_sub in h's namespace, one JSON export per line with its arrival time."""

    def __init__(self, bed, tmp_path):
        self.path = tmp_path / "sub.out"
        self.f = open(self.path, "w")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", bed.ns("h"), "stdbuf", "-oL", "mosquitto_sub", "-h",
             "10.77.0.2", "-p", str(BROKER_PORT), "-V", "mqttv5", "-t", "keel/#", "-F",
             "%U %t E=%E C=%C %p"],
            stdout=self.f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def messages(self, topic_suffix="/ifc"):
        return [(t, topic, m) for t, topic, m, _ in self.messages_props(topic_suffix)]

    def messages_props(self, topic_suffix="/ifc"):
        """[(arrival, topic, json, {"expiry": str, "content-type": str})]"""
        out = []
        for ln in self.path.read_text().splitlines():
            parts = ln.split(" ", 4)
            if len(parts) < 5 or not parts[1].endswith(topic_suffix):
                continue
            try:
                props = {"expiry": parts[2][2:], "content-type": parts[3][2:]}
                out.append((float(parts[0]), parts[1], json.loads(parts[4]), props))
            except ValueError:
                continue
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=5)
        self.f.close()


@pytest.fixture
def bed(testbed, tmp_path, monkeypatch):
    for b in ("mgd", "ifd", "telemetryd", "cli"):
        if not os.access(BIN / b, os.X_OK):
            pytest.fail(f"{BIN}/{b} not built: the build is incomplete")
    for tool in ("mosquitto", "mosquitto_sub"):
        if sh(["which", tool], check=False).returncode:
            pytest.skip(f"{tool} not installed")
    # ifd samples counters every 500 ms so a 1 s window always has data
    monkeypatch.setenv("KEEL_IFD_SAMPLE_MS", "500")
    topo = tmp_path / "solo.toml"
    topo.write_text(TOPO)
    return testbed(str(topo), start_nodes=True)


@pytest.fixture
def broker(bed, tmp_path):
    conf = tmp_path / "broker.conf"
    conf.write_text(BROKER_CONF)
    log = open(tmp_path / "broker.log", "w")
    p = subprocess.Popen(["ip", "netns", "exec", bed.ns("h"), "mosquitto", "-c", str(conf)],
                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def accepts():
        return bed.run("h", ["bash", "-c", f"exec 3<>/dev/tcp/10.77.0.2/{BROKER_PORT}"],
                       check=False).returncode == 0

    try:
        poll(accepts, timeout=5, what="external broker listening in h")
        yield p
    finally:
        p.terminate()
        p.wait(timeout=5)
        log.close()


def configure(bed, rate=1):
    cli(bed, "configure; "
             "set interfaces eth0 unit 0 family inet address 10.77.0.1/24; "
             f"set services analytics streaming-server col remote-address 10.77.0.2 "
             f"remote-port {BROKER_PORT}; "
             "set services analytics export-profile mq reporting-rate 5 format json "
             "transport mqtt topic-prefix keel; "
             "set services analytics sensor ifc resource /interfaces/interface/state/counters/; "
             "set services analytics sensor ifc export-name mq; "
             "set services analytics sensor ifc server-name col; "
             f"set services analytics sensor ifc reporting-rate {rate}; commit")


def sensors_json(bed):
    out = cli(bed, "show agent sensors | display json").stdout
    return json.loads(out)


def telemetryd_pid(bed):
    return int((bed.node_root("solo") / "run" / "keel" / "telemetryd.pid").read_text().split()[0])


def test_mqtt_export_once_per_second(bed, broker, tmp_path):
    sub = Sub(bed, tmp_path)
    try:
        configure(bed)
        poll(lambda: len(sub.messages()) >= 6, timeout=15, interval=0.2,
             what="6 exports of sensor ifc at the external broker")
        msgs = sub.messages()
        for _, topic, m in msgs:
            assert topic.startswith("keel/") and topic.endswith("/ifc"), topic
            assert m["sensor"] == "ifc", m
            # only the sensor's subtree: counters, never oper-status
            assert all("/state/counters/" in k for k in m["values"]), m
        assert any(COUNTER in m["values"] for _, _, m in msgs), msgs[-1]
        # counters of the node's interfaces, and they are live numbers
        last = msgs[-1][2]["values"]
        assert "/interfaces/interface[name=lo]/state/counters/in-octets" in last, last
        assert isinstance(last[COUNTER], int), last
        # about once per second: reporting-rate 1 overrides the profile's 5
        times = [t for t, _, _ in msgs[1:]]
        gaps = [b - a for a, b in zip(times, times[1:])]
        gaps.sort()
        median = gaps[len(gaps) // 2]
        assert 0.8 <= median <= 1.3, gaps
        assert max(gaps) < 2.5, gaps
        print(f"export intervals (s): median {median:.3f} min {gaps[0]:.3f} max {gaps[-1]:.3f} "
              f"n={len(gaps)}")
        # MQTT v5: stale samples expire after two reporting periods
        for _, _, _, props in sub.messages_props():
            assert props["content-type"] == "application/json", props
            assert props["expiry"] in ("1", "2"), props

        js = sensors_json(bed)
        s = js["sensor-information"][0]
        assert s["name"] == "ifc" and s["resource"] == "/interfaces/interface/state/counters/"
        assert s["reporting-interval"] == 1 and s["format"] == "json", s
        assert s["transport"] == "mqtt" and s["server-connected"] is True, s
        assert "ifd" in s["components"], s
        assert s["messages-sent"] >= 6, s
        assert js["bus-information"]["connected"] is True, js
        text = cli(bed, "show agent sensors").stdout
        assert "Sensor Information :" in text and "Reporting-interval" in text, text
        assert "/interfaces/interface/state/counters/" in text, text
        assert "JSON" in text and "Component(s)" in text, text
    finally:
        sub.stop()


def test_bad_resource_fails_commit(bed):
    p = cli(bed, "configure; set services analytics sensor bad resource /interfaces/nosuch/; "
                 "commit", check=False)
    assert p.returncode != 0, p.stdout
    assert "nosuch" in (p.stdout + p.stderr), p.stdout + p.stderr
    js = sensors_json(bed)
    assert js["sensor-information"] == [], js


def test_bus_down_and_back(bed, broker, tmp_path):
    sub = Sub(bed, tmp_path)
    run = bed.node_root("solo") / "run" / "keel"
    restarted = None
    try:
        configure(bed)
        poll(lambda: len(sub.messages()) >= 2, timeout=15, interval=0.2, what="exports flowing")
        pid = telemetryd_pid(bed)
        bus_pid = int((run / "mosquitto.pid").read_text().split()[0])
        os.kill(bus_pid, signal.SIGTERM)
        poll(lambda: not os.path.exists(f"/proc/{bus_pid}"), timeout=5, what="bus stopped")
        # telemetryd keeps running and answering while the bus is gone
        poll(lambda: sensors_json(bed)["bus-information"]["connected"] is False, timeout=5,
             what="telemetryd sees the bus down")
        time.sleep(1.5)  # a window with no data: nothing must break
        assert telemetryd_pid(bed) == pid and os.path.exists(f"/proc/{pid}")
        n_before = len(sub.messages())
        # bring the node's bus back with the launcher's own config
        log = open(tmp_path / "bus2.log", "w")
        restarted = subprocess.Popen(
            ["ip", "netns", "exec", bed.ns("solo"), "mosquitto", "-c", str(run / "mosquitto.conf")],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        (run / "mosquitto.pid").write_text(f"{restarted.pid}\n")
        poll(lambda: len(sub.messages()) >= n_before + 3, timeout=20, interval=0.2,
             what="exports resume after the bus restart")
        assert telemetryd_pid(bed) == pid
        assert sensors_json(bed)["bus-information"]["connected"] is True
    finally:
        sub.stop()
        if restarted:
            restarted.terminate()
            restarted.wait(timeout=5)


def test_gpb_export(bed, broker, tmp_path):
    """format gpb: each export is a keel.sensor.SensorData (lib/proto/sensor.proto)."""
    if sh(["which", "protoc"], check=False).returncode:
        pytest.skip("protoc not installed")
    proto_dir = Path(__file__).resolve().parents[2]
    sh(["protoc", f"-I{proto_dir}", f"--python_out={tmp_path}", "lib/proto/sensor.proto"])
    sys.path.insert(0, str(tmp_path))
    try:
        from lib.proto import sensor_pb2  # noqa: E402
    finally:
        sys.path.pop(0)
    out = tmp_path / "gpb.out"
    f = open(out, "w")
    sub = subprocess.Popen(
        ["ip", "netns", "exec", bed.ns("h"), "mosquitto_sub", "-h", "10.77.0.2", "-p",
         str(BROKER_PORT), "-t", "keel/+/gpbs", "-C", "2", "-F", "%x"],
        stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        cli(bed, "configure; "
                 "set interfaces eth0 unit 0 family inet address 10.77.0.1/24; "
                 f"set services analytics streaming-server col remote-address 10.77.0.2 "
                 f"remote-port {BROKER_PORT}; "
                 "set services analytics export-profile pb reporting-rate 1 format gpb "
                 "transport mqtt; "
                 "set services analytics sensor gpbs resource "
                 "/interfaces/interface[name=eth0]/state/; "
                 "set services analytics sensor gpbs export-name pb; "
                 "set services analytics sensor gpbs server-name col; commit")
        sub.wait(timeout=15)
    finally:
        if sub.poll() is None:
            sub.kill()
        f.close()
    lines = [ln for ln in out.read_text().split() if ln]
    assert len(lines) == 2, out.read_text()
    seqs = []
    for ln in lines:
        d = sensor_pb2.SensorData.FromString(bytes.fromhex(ln))
        assert d.component == "telemetryd" and d.sensor == "gpbs" and d.eom, d
        keys = {kv.key: kv for kv in d.kv}
        # only eth0, the whole state subtree (counters and oper-status)
        assert all(k.startswith("/interfaces/interface[name=eth0]/state/") for k in keys), keys
        assert COUNTER in keys and keys[COUNTER].WhichOneof("value") == "uint_value", keys
        assert "/interfaces/interface[name=eth0]/state/oper-status" in keys, keys
        seqs.append(d.sequence)
    assert seqs[1] > seqs[0], seqs


def test_state_retained_counters_not_and_two_servers(bed, broker, tmp_path):
    """reporting-rate 0 (state): the whole state, retained, to both server-names; a late
    subscriber gets it at once. Sampled counters are never retained."""
    port2 = BROKER_PORT + 1
    conf = tmp_path / "broker2.conf"
    conf.write_text(BROKER_CONF.replace(f"listener {BROKER_PORT} ", f"listener {port2} "))
    log = open(tmp_path / "broker2.log", "w")
    b2 = subprocess.Popen(["ip", "netns", "exec", bed.ns("h"), "mosquitto", "-c", str(conf)],
                          stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    state_key = "/interfaces/interface[name=eth0]/state/oper-status"

    def late(port, topic, extra=()):
        return bed.run("h", ["mosquitto_sub", "-h", "10.77.0.2", "-p", str(port), "-V", "mqttv5",
                             "-t", topic, "-W", "3", "-F", "%r %p", *extra],
                       check=False, timeout=15).stdout

    try:
        poll(lambda: bed.run("h", ["bash", "-c", f"exec 3<>/dev/tcp/10.77.0.2/{port2}"],
                             check=False).returncode == 0, timeout=5, what="second broker")
        configure(bed)
        cli(bed, "configure; "
                 f"set services analytics streaming-server col2 remote-address 10.77.0.2 "
                 f"remote-port {port2}; "
                 f"set services analytics sensor st resource {state_key}; "
                 "set services analytics sensor st export-name mq; "
                 "set services analytics sensor st server-name col; "
                 "set services analytics sensor st server-name col2; "
                 "set services analytics sensor st reporting-rate 0; commit")
        js = sensors_json(bed)
        st = [s for s in js["sensor-information"] if s["name"] == "st"][0]
        assert st["server-name"] == "col,col2", st

        def retained(port):
            out = late(port, "keel/+/st", ["-C", "1"])
            for ln in out.splitlines():
                flag, _, payload = ln.partition(" ")
                try:
                    m = json.loads(payload)
                except ValueError:
                    continue
                if flag == "1" and state_key in m["values"]:
                    return m
            return None

        # a subscriber arriving after the export gets the state at once, from either server
        for port in (BROKER_PORT, port2):
            m = poll(lambda: retained(port), timeout=15, interval=0.5,
                     what=f"retained state of sensor st on broker port {port}")
            assert m["values"][state_key] in ("UP", "DOWN", "up", "down"), m
            assert list(m["values"]) == [state_key], m
        # counters (sensor ifc, reporting-rate 1) are never retained
        poll(lambda: late(BROKER_PORT, "keel/+/ifc", ["-C", "1"]).strip() != "",
             timeout=10, interval=0.5, what="ifc exports flowing")
        assert late(BROKER_PORT, "keel/+/ifc", ["--retained-only"]).strip() == ""
        st = [s for s in sensors_json(bed)["sensor-information"] if s["name"] == "st"][0]
        assert st["messages-sent"] >= 2, st
    finally:
        b2.terminate()
        b2.wait(timeout=5)
        log.close()
