"""telemetryd's ctl-socket proxy (xmlproxyd): state no daemon publishes on the bus.

One node `solo` (mgd, ifd, ribd, telemetryd) with eth0 to host h, an external
mosquitto broker in h. A sensor on keel's YANG route-table state
(/routing-options/state/rib[name=inet.0]/, which ribd does not publish on the
bus) exports JSON over MQTT at reporting-rate 1: telemetryd reads ribd's
"show.route.summary" over its control socket, and the exports carry ribd's
numbers (the same as `show route summary`), following a commit that adds a
static route. `show agent sensors` names the producer "ribd-proxy". With no
sensor at all, a gNMI ON_CHANGE subscription on the same subtree is what makes
telemetryd poll ribd, and the collector sees the count change after a commit.
With neither, a gNMI Get on the subtree makes telemetryd poll ribd once and
answers when that poll's values are in (about 1 s at most, else UNAVAILABLE).
"""

import json
import os
import subprocess
import sys

import pytest
from conftest import BIN, REPO, poll, sh

sys.path.insert(0, str(REPO / "tests" / "topo" / "gnmi_data"))
from harness import Collector, stubs  # noqa: E402

TOPO = """
[node.solo]
[host.h]
addresses = { eth0 = ["10.77.0.2/24"] }
[[link]]
a = "solo:eth0"
b = "h:eth0"
"""

BROKER_PORT = 18831
RIB = "/routing-options/state/rib[name=inet.0]"
STATIC_ACTIVE = RIB + "/protocol[name=static]/active-routes"


def cli(bed, cmds, check=True):
    return bed.run("solo", [BIN / "cli", "-c", cmds], check=check, timeout=30)


@pytest.fixture
def bed(testbed, tmp_path, monkeypatch):
    for b in ("mgd", "ifd", "ribd", "telemetryd", "cli"):
        if not os.access(BIN / b, os.X_OK):
            pytest.fail(f"{BIN}/{b} not built: the build is incomplete")
    for tool in ("mosquitto", "mosquitto_sub"):
        if sh(["which", tool], check=False).returncode:
            pytest.skip(f"{tool} not installed")
    monkeypatch.setenv("KEEL_DAEMONS", "mgd ifd ribd telemetryd")
    topo = tmp_path / "solo.toml"
    topo.write_text(TOPO)
    return testbed(str(topo), start_nodes=True)


@pytest.fixture
def sub(bed, tmp_path):
    """An external broker in h and mosquitto_sub on it: one JSON export per line."""
    conf = tmp_path / "broker.conf"
    conf.write_text(f"listener {BROKER_PORT} 10.77.0.2\nallow_anonymous true\n"
                    "persistence false\nlog_dest stderr\n")
    blog = open(tmp_path / "broker.log", "w")
    broker = subprocess.Popen(["ip", "netns", "exec", bed.ns("h"), "mosquitto", "-c", str(conf)],
                              stdout=blog, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    out = tmp_path / "sub.out"
    f = open(out, "w")
    proc = None
    try:
        poll(lambda: bed.run("h", ["bash", "-c", f"exec 3<>/dev/tcp/10.77.0.2/{BROKER_PORT}"],
                             check=False).returncode == 0, timeout=5, what="broker in h")
        proc = subprocess.Popen(
            ["ip", "netns", "exec", bed.ns("h"), "stdbuf", "-oL", "mosquitto_sub", "-h",
             "10.77.0.2", "-p", str(BROKER_PORT), "-t", "keel/+/routes", "-F", "%p"],
            stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        yield out
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=5)
        broker.terminate()
        broker.wait(timeout=5)
        f.close()
        blog.close()


def exports(path):
    out = []
    for ln in path.read_text().splitlines():
        try:
            out.append(json.loads(ln))
        except ValueError:
            continue
    return out


def last_value(path, key):
    for m in reversed(exports(path)):
        if key in m["values"]:
            return m["values"][key]
    return None


def find_static_active(js):
    """Static active routes of inet.0 in `show route summary | display json`."""
    if isinstance(js, dict):
        if js.get("name") == "inet.0" and "protocols" in js:
            return sum(p["active"] for p in js["protocols"] if p["name"] == "Static")
        for v in js.values():
            r = find_static_active(v)
            if r is not None:
                return r
    if isinstance(js, list):
        for v in js:
            r = find_static_active(v)
            if r is not None:
                return r
    return None


def test_route_counts_from_ribd_over_mqtt(bed, sub):
    cli(bed, "configure; "
             "set interfaces eth0 unit 0 family inet address 10.77.0.1/24; "
             f"set services analytics streaming-server col remote-address 10.77.0.2 "
             f"remote-port {BROKER_PORT}; "
             "set services analytics export-profile mq reporting-rate 5 format json transport mqtt "
             "topic-prefix keel; "
             f"set services analytics sensor routes resource {RIB}/; "
             "set services analytics sensor routes export-name mq; "
             "set services analytics sensor routes server-name col; "
             "set services analytics sensor routes reporting-rate 1; "
             "set routing-options static route 10.99.0.0/24 next-hop 10.77.0.2; commit")
    poll(lambda: last_value(sub, STATIC_ACTIVE) == 1, timeout=15, interval=0.2,
         what="route-count export with 1 active static route")
    js = json.loads(cli(bed, "show route summary | display json").stdout)
    assert find_static_active(js) == 1, js
    msgs = exports(sub)
    # only the sensor's subtree, ribd's numbers under keel's YANG names
    for m in msgs:
        assert m["sensor"] == "routes", m
        assert all(k.startswith(RIB + "/") for k in m["values"]), m
    last = msgs[-1]["values"]
    assert last[RIB + "/name"] == "inet.0", last
    assert last[RIB + "/active-routes"] >= 3, last  # direct + local + static
    assert RIB + "/protocol[name=direct]/active-routes" in last, last

    # a commit changes ribd's table: the next exports follow
    cli(bed, "configure; set routing-options static route 10.98.0.0/24 next-hop 10.77.0.2; "
             "commit")
    poll(lambda: last_value(sub, STATIC_ACTIVE) == 2, timeout=10, interval=0.2,
         what="route-count export with 2 active static routes")

    js = json.loads(cli(bed, "show agent sensors | display json").stdout)
    s = js["sensor-information"][0]
    assert s["name"] == "routes" and "ribd-proxy" in s["components"], s
    assert s["messages-sent"] >= 2 and s["server-connected"] is True, s
    pubs = {p["component"] for p in js["bus-information"].get("publishers", [])}
    assert "ribd-proxy" in pubs, js


def test_gnmi_subscription_drives_the_proxy(bed, tmp_path):
    port = 32767
    cli(bed, "configure; set interfaces eth0 unit 0 family inet address 10.77.0.1/24; "
             f"set system services extension-service request-response grpc clear-text port {port}; "
             "set system services extension-service request-response grpc skip-authentication; "
             "set routing-options static route 10.99.0.0/24 next-hop 10.77.0.2; commit")
    poll(lambda: str(port) in bed.run("solo", ["ss", "-Hltn", f"sport = :{port}"],
                                      check=False).stdout, timeout=10, what="gNMI listening")
    poll(lambda: bed.ping("h", "10.77.0.1"), timeout=10, what="h reaches solo")
    c = Collector(bed.ns("h"), stubs(tmp_path / "stubs"), f"10.77.0.1:{port}",
                  ["--duration", "12", "sub", f"{STATIC_ACTIVE},on_change"], tmp_path / "c.out")

    def values():
        return [u["val"] for m in c.updates() for u in m["updates"]
                if u["path"] == STATIC_ACTIVE]

    try:
        poll(lambda: 1 in values(), timeout=8, interval=0.2,
             what="gNMI update of the static route count (1) from ribd via the proxy")
        cli(bed, "configure; set routing-options static route 10.98.0.0/24 next-hop 10.77.0.2; "
                 "commit")
        poll(lambda: values() and values()[-1] == 2, timeout=8, interval=0.2,
             what="gNMI update after the commit (2)")
    finally:
        c.wait(20)
    assert c.status()["status"] in ("OK", "CANCELLED"), c.lines()


def test_gnmi_get_polls_the_proxy_once(bed, tmp_path):
    """No sensor, no subscription: a Get on ribd's route counts makes telemetryd poll ribd
    once and answers with the fresh value (not a stale cached one), within about 1 s."""
    port = 32767
    cli(bed, "configure; set interfaces eth0 unit 0 family inet address 10.77.0.1/24; "
             f"set system services extension-service request-response grpc clear-text port {port}; "
             "set system services extension-service request-response grpc skip-authentication; "
             "set routing-options static route 10.99.0.0/24 next-hop 10.77.0.2; commit")
    poll(lambda: str(port) in bed.run("solo", ["ss", "-Hltn", f"sport = :{port}"],
                                      check=False).stdout, timeout=10, what="gNMI listening")
    poll(lambda: bed.ping("h", "10.77.0.1"), timeout=10, what="h reaches solo")
    st = stubs(tmp_path / "stubs")
    n = [0]

    def get():
        n[0] += 1
        c = Collector(bed.ns("h"), st, f"10.77.0.1:{port}", ["get", STATIC_ACTIVE],
                      tmp_path / f"get{n[0]}.out")
        lines = c.wait(20)
        notif = [m for m in lines if "notification" in m]
        if not notif:
            return None
        return [u["val"] for x in notif[0]["notification"] for u in x["updates"]
                if u["path"] == STATIC_ACTIVE]

    assert poll(lambda: get() == [1], timeout=15, interval=0.5,
                what="Get of the static route count (1) through a one-shot proxy poll")
    # still nobody polls ribd: the next Get sees the commit, it does not answer from a stale cache
    cli(bed, "configure; set routing-options static route 10.98.0.0/24 next-hop 10.77.0.2; "
             "commit")
    assert poll(lambda: get() == [2], timeout=10, interval=0.5,
                what="Get after the commit (2)")
    js = json.loads(cli(bed, "show agent sensors | display json").stdout)
    rib = [p for p in js.get("proxy-information", []) if p["daemon"] == "ribd"]
    assert rib and rib[0]["polls"] >= 2 and rib[0].get("last-poll-ms", 0) > 0, js
    assert rib[0].get("period-ms", 0) == 0, rib  # polled for the Gets only, not periodically
    out = cli(bed, "show agent sensors").stdout
    assert "Proxy Information :" in out and "ribd show.route.summary" in out, out
