"""telemetryd's gNMI server, seen by a Python collector (python3-grpcio).

One node `solo` (ifd publishing interface counters every 500 ms) with eth0 to
host h; the collector (tests/topo/gnmi_data/collector.py, stubs generated here
from lib/proto/gnmi.proto with protoc + grpc_python_plugin) runs in h's
namespace against 10.77.0.1:32767 (clear text, skip-authentication).
Capabilities; Get of interface counters (PROTO and JSON_IETF, target echo);
Subscribe STREAM SAMPLE at 1 s while h pings the node (in-octets grows about
once per second); ONCE; POLL; errors (bad path, bad interval: INVALID_ARGUMENT;
Set, ASCII: UNIMPLEMENTED); the node's bus restarted mid-stream (the RPC stays
open, fresh values within 2 s of the bus coming back); without grpc config
nothing listens.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import BIN, REPO, poll, sh

TOPO = """
[node.solo]
[host.h]
addresses = { eth0 = ["10.77.0.2/24"] }
[[link]]
a = "solo:eth0"
b = "h:eth0"
"""

PORT = 32767
STALL_MS = 3000
TARGET = f"10.77.0.1:{PORT}"
ETH0 = "/interfaces/interface[name=eth0]"
COUNTERS = ETH0 + "/state/counters"
IN_OCTETS = COUNTERS + "/in-octets"

sys.path.insert(0, str(REPO / "tests" / "topo" / "gnmi_data"))
from harness import DATA, Collector, make_ca, make_cert, stubs  # noqa: E402


def cli(bed, cmds, check=True):
    return bed.run("solo", [BIN / "cli", "-c", cmds], check=check, timeout=30)


@pytest.fixture(scope="module")
def env(module_testbed, tmp_path_factory):
    for b in ("mgd", "ifd", "telemetryd", "cli"):
        if not os.access(BIN / b, os.X_OK):
            pytest.fail(f"{BIN}/{b} not built: the build is incomplete")
    tmp = tmp_path_factory.mktemp("gnmi")
    old = {k: os.environ.get(k) for k in ("KEEL_IFD_SAMPLE_MS", "KEEL_GNMI_STALL_MS")}
    os.environ["KEEL_IFD_SAMPLE_MS"] = "500"
    os.environ["KEEL_GNMI_STALL_MS"] = str(STALL_MS)
    try:
        topo = tmp / "solo.toml"
        topo.write_text(TOPO)
        bed = module_testbed(str(topo), start_nodes=True)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    # no grpc config: telemetryd runs and nothing listens on the gNMI port
    assert listening(bed) is False
    cli(bed, "configure; set interfaces eth0 unit 0 family inet address 10.77.0.1/24; "
             f"set system services extension-service request-response grpc clear-text port {PORT}; "
             "set system services extension-service request-response grpc skip-authentication; "
             "commit")
    poll(lambda: listening(bed), timeout=10, what="gNMI listening on 32767")
    poll(lambda: bed.ping("h", "10.77.0.1"), timeout=10, what="h reaches solo")
    e = (bed, stubs(tmp / "stubs"))
    # ifd's first counters on the bus: every test starts with data to dump
    poll(lambda: collect(e, tmp, "first", "get", IN_OCTETS).status()["status"] == "OK",
         timeout=10, interval=0.3, what="eth0 counters in telemetryd's cache")
    return e


def listening(bed):
    out = bed.run("solo", ["ss", "-Hltn", f"sport = :{PORT}"], check=False).stdout
    return str(PORT) in out


def collector(env, tmp_path, name, *args, target=TARGET):
    bed, sd = env
    return Collector(bed.ns("h"), sd, target, list(args), tmp_path / f"{name}.out")


def collect(env, tmp_path, name, *args, timeout=20, target=TARGET):
    c = collector(env, tmp_path, name, *args, target=target)
    c.wait(timeout)
    return c


def test_capabilities(env, tmp_path):
    c = collect(env, tmp_path, "caps", "caps")
    caps = [m for m in c.lines() if "caps" in m]
    assert caps, c.lines()
    caps = caps[0]["caps"]
    assert caps["version"] == "0.10.0", caps
    assert {"PROTO", "JSON_IETF", "JSON"} <= set(caps["encodings"]), caps
    names = {m[0] for m in caps["models"]}
    assert "keel-interfaces" in names and "keel-system" in names, names
    assert all(m[2] for m in caps["models"]), caps["models"]  # revisions


def test_get_counters(env, tmp_path):
    def get():
        c = collect(env, tmp_path, "get", "--xtarget", "solo", "get", COUNTERS)
        st = c.status()
        return c if st and st["status"] == "OK" else None

    c = poll(get, timeout=10, interval=0.5, what="Get of eth0 counters")
    n = [m for m in c.lines() if "notification" in m][0]["notification"]
    assert len(n) == 1 and n[0]["target"] == "solo", n
    ups = {u["path"]: u for u in n[0]["updates"]}
    assert IN_OCTETS in ups, ups.keys()
    assert ups[IN_OCTETS]["kind"] == "uint_val" and ups[IN_OCTETS]["val"] >= 0, ups[IN_OCTETS]
    assert all(p.startswith(COUNTERS + "/") for p in ups), ups.keys()
    # the collection time, in ns, recent
    assert abs(n[0]["ts"] / 1e9 - time.time()) < 30, n[0]["ts"]
    # JSON_IETF: RFC 7951 puts 64-bit counters in strings
    c = collect(env, tmp_path, "getj", "--encoding", "json_ietf", "get", IN_OCTETS)
    n = [m for m in c.lines() if "notification" in m][0]["notification"]
    u = n[0]["updates"][0]
    assert u["kind"] == "json_ietf_val" and isinstance(u["val"], str) and int(u["val"]) >= 0, u


def test_stream_sample(env, tmp_path):
    bed, _ = env
    ping = subprocess.Popen(["ip", "netns", "exec", bed.ns("h"), "ping", "-q", "-i", "0.1",
                             "-s", "500", "10.77.0.1"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        c = collect(env, tmp_path, "sample", "--duration", "4.6", "--prefix", ETH0, "--xtarget",
                    "solo", "sub", "state/counters/in-octets,sample,1000")
    finally:
        ping.terminate()
        ping.wait()
    lines = c.lines()
    assert c.status()["status"] in ("OK", "CANCELLED"), lines
    syncs = [i for i, m in enumerate(lines) if m.get("sync")]
    ups = [m for m in lines if "updates" in m]
    assert syncs and len(ups) >= 4, lines
    # initial dump first, then sync_response, then one sample per second
    assert "updates" in lines[0] and syncs[0] == 1, lines[:3]
    for m in ups:
        # prefix and target echoed, paths relative to the prefix
        assert m["prefix"] == ETH0 and m["target"] == "solo", m
        assert [u["rel"] for u in m["updates"]] == ["/state/counters/in-octets"], m
    vals = [m["updates"][0]["val"] for m in ups]
    assert vals == sorted(vals) and vals[-1] > vals[0], vals
    times = [m["t"] for m in ups[1:]]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(0.7 < g < 1.4 for g in gaps), gaps
    print(f"SAMPLE 1 s: gaps {['%.3f' % g for g in gaps]}, in-octets {vals}")


def test_once_and_poll(env, tmp_path):
    c = collect(env, tmp_path, "once", "--mode", "once", "sub", COUNTERS)
    lines = c.lines()
    assert c.status()["status"] == "OK", lines
    assert lines[-2].get("sync") is True, lines
    paths = {u["path"] for m in lines if "updates" in m for u in m["updates"]}
    assert IN_OCTETS in paths, paths
    c = collect(env, tmp_path, "poll", "--mode", "poll", "--polls", "2", "--duration", "4",
                "sub", IN_OCTETS)
    lines = c.lines()
    syncs = [i for i, m in enumerate(lines) if m.get("sync")]
    assert len(syncs) == 3, lines  # the initial dump + two polls, each with its sync
    assert all("updates" in lines[i - 1] for i in syncs), lines


def agent_sensors(bed):
    out = cli(bed, "show agent sensors | display json").stdout
    return json.loads(out)


def grpc_sensors(bed):
    return [s for s in agent_sensors(bed).get("sensor-information", [])
            if s.get("transport") == "grpc"]


def test_show_agent_sensors_lists_subscriptions(env, tmp_path):
    """A live Subscribe RPC is listed by `show agent sensors` as Junos lists gNMI subscriptions
    (sensor_<id>_<n>, its path, rate and the collector's address) and goes away with the RPC."""
    bed, _ = env
    assert grpc_sensors(bed) == [], "no RPC yet"
    c = collector(env, tmp_path, "listed", "--duration", "30", "sub",
                  IN_OCTETS + ",sample,500,2000", ETH0 + "/state/oper-status,on_change")
    try:
        subs = poll(lambda: len(grpc_sensors(bed)) == 2 and grpc_sensors(bed), timeout=10,
                    interval=0.3, what="the subscription in show agent sensors")
        by_res = {s["resource"]: s for s in subs}
        s = by_res[IN_OCTETS]
        sid = s["subscription-id"]
        assert sid > 0 and s["name"] == f"sensor_{sid}_1", s
        assert s["parent-sensor-name"] == f"sensor_{sid}" and s["profile-name"] == f"export_{sid}"
        assert s["mode"] == "sample" and s["reporting-interval-ms"] == 500, s
        assert s["heartbeat-interval-ms"] == 2000 and s["format"] == "GPB", s
        assert s["subscriber"].startswith("10.77.0.2:"), s
        o = by_res[ETH0 + "/state/oper-status"]
        assert o["name"] == f"sensor_{sid}_2" and o["mode"] == "on-change", o
        g = agent_sensors(bed)["gnmi-information"]
        assert g["listening"] and g["port"] == PORT and g["active"] >= 1, g
        # the text layout names the collector, and a name filter finds the parent
        txt = cli(bed, f"show agent sensors sensor_{sid}").stdout
        assert f"sensor_{sid}_1" in txt and "Subscriber Information" in txt, txt
        assert "10.77.0.2:" in txt and "Reporting-interval                  : 0.500" in txt, txt
    finally:
        c.stop()
    poll(lambda: grpc_sensors(bed) == [], timeout=10, interval=0.3,
         what="the subscription gone after the RPC ended")


def test_wildcard_prefix_and_origin_echo(env, tmp_path):
    """A prefix with a "*" key and an origin: responses echo the origin and the prefix as the
    data instantiates it (no wildcard in returned paths), update paths relative to it."""
    c = collect(env, tmp_path, "wpfx", "--mode", "once", "--origin", "openconfig",
                "--prefix", "/interfaces/interface[name=*]", "sub", "state/counters/in-octets")
    lines = c.lines()
    assert c.status()["status"] == "OK", lines
    ups = [m for m in lines if "updates" in m]
    assert ups, lines
    for m in ups:
        assert m["origin"] == "openconfig", m
        assert "*" not in m["prefix"] and m["prefix"].startswith("/interfaces"), m
        for u in m["updates"]:
            assert u["path"] == m["prefix"] + u["rel"], u
            assert u["path"].endswith("/state/counters/in-octets"), u
    assert IN_OCTETS in {u["path"] for m in ups for u in m["updates"]}, ups


def test_suppress_redundant_heartbeat_updates_only(env, tmp_path):
    """SAMPLE every 200 ms with suppress_redundant on a leaf that never changes (mtu): only the
    heartbeat (1 s) sends it. updates_only: sync_response first, no initial dump."""
    c = collect(env, tmp_path, "supp", "--duration", "3.3", "--updates-only", "sub",
                f"{ETH0}/state/mtu,sample,200,1000,suppress")
    lines = c.lines()
    assert lines[0].get("sync") is True, lines[:2]
    ups = c.updates()
    assert 2 <= len(ups) <= 4, [(m["t"], m["updates"]) for m in ups]
    assert all(u["val"] == 1500 for m in ups for u in m["updates"]), ups
    gaps = [b["t"] - a["t"] for a, b in zip(ups, ups[1:])]
    assert all(0.7 < g < 1.4 for g in gaps), gaps
    # ON_CHANGE with a heartbeat re-sends unchanged values each interval
    c = collect(env, tmp_path, "hb", "--duration", "2.6", "sub", f"{ETH0}/state/mtu,on_change,,1000")
    ups = c.updates()
    assert 3 <= len(ups) <= 4, [(m["t"], m["updates"]) for m in ups]  # dump + 2 heartbeats


@pytest.mark.parametrize("args,code", [
    (["sub", "/interfaces/interface/nosuch"], "INVALID_ARGUMENT"),
    (["sub", f"{IN_OCTETS},sample,10"], "INVALID_ARGUMENT"),
    (["sub", f"{IN_OCTETS},on_change,1000"], "INVALID_ARGUMENT"),
    (["get", "/nosuch/thing"], "INVALID_ARGUMENT"),
    (["--encoding", "ascii", "get", IN_OCTETS], "UNIMPLEMENTED"),
    (["set"], "UNIMPLEMENTED"),
    (["get", "/interfaces/interface[name=nosuch0]/state/counters"], "NOT_FOUND"),
])
def test_errors(env, tmp_path, args, code):
    c = collect(env, tmp_path, "err", *args)
    assert c.status()["status"] == code, c.lines()


def test_username_password(env, tmp_path):
    """Without skip-authentication a call needs a login user and its password (crypt(3))."""
    bed, _ = env
    h = sh(["openssl", "passwd", "-6", "-salt", "keelsalt", "s3cret"]).stdout.strip()
    cli(bed, "configure; set system login user ops class read-only; "
             f"set system login user ops authentication encrypted-password {h}; "
             "set system login user nobody class unauthorized; "
             f"set system login user nobody authentication encrypted-password {h}; "
             "delete system services extension-service request-response grpc "
             "skip-authentication; commit")
    try:
        for name, args, code in (
                ("none", [], "UNAUTHENTICATED"),
                ("wrong", ["--user", "ops", "--password", "nope"], "UNAUTHENTICATED"),
                ("stranger", ["--user", "eve", "--password", "s3cret"], "UNAUTHENTICATED"),
                ("unauth", ["--user", "nobody", "--password", "s3cret"], "PERMISSION_DENIED"),
                ("ok", ["--user", "ops", "--password", "s3cret"], "OK")):
            c = collect(env, tmp_path, f"auth-{name}", *args, "caps")
            assert c.status()["status"] == code, (name, c.lines())
    finally:
        cli(bed, "configure; set system services extension-service request-response grpc "
                 "skip-authentication; delete system login user nobody; commit")


def test_max_connections(env, tmp_path):
    """grpc max-connections bounds simultaneous calls: over it, RESOURCE_EXHAUSTED."""
    bed, _ = env
    g = "system services extension-service request-response grpc max-connections"
    cli(bed, f"configure; set {g} 1; commit")
    c = collector(env, tmp_path, "maxc", "--duration", "10", "sub", f"{IN_OCTETS},on_change")
    try:
        poll(lambda: any(m.get("sync") for m in c.lines()), timeout=10, what="one stream open")
        r = collect(env, tmp_path, "maxc2", "caps")
        assert r.status()["status"] == "RESOURCE_EXHAUSTED", r.lines()
    finally:
        c.stop()
        cli(bed, f"configure; delete {g}; commit")
    poll(lambda: collect(env, tmp_path, "maxc3", "caps").status()["status"] == "OK",
         timeout=10, interval=0.3, what="calls accepted again")


def rss_kb(pid):
    for ln in open(f"/proc/{pid}/status"):
        if ln.startswith("VmRSS:"):
            return int(ln.split()[1])
    return 0


def test_stalled_collector(env, tmp_path):
    """A collector that stops reading neither slows a second one nor grows telemetryd's memory
    without bound; after the stall bound its RPC ends with RESOURCE_EXHAUSTED."""
    bed, sd = env
    pid = int((bed.node_root("solo") / "run" / "keel" / "telemetryd.pid").read_text().split()[0])
    keys, rate, secs = 1000, 20, 9
    stalled = collector(env, tmp_path, "stalled", "--duration", "20", "--stall", "12", "sub",
                        "/interfaces/interface,on_change")
    fast = collector(env, tmp_path, "fast", "--duration", "20", "sub",
                     "/interfaces/interface[name=fl7]/state/counters/in-octets,on_change")
    flood = None
    try:
        poll(lambda: stalled.updates() and any(m.get("stalling") for m in stalled.lines()),
             timeout=10, what="the stalled collector got its first update and stopped")
        rss0 = rss_kb(pid)
        t0 = time.time()
        flood = subprocess.Popen(
            ["ip", "netns", "exec", bed.ns("solo"), "/usr/bin/python3", str(DATA / "flood.py"),
             "127.0.0.1", "51883", str(keys), str(rate), str(secs)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=dict(os.environ, GNMI_STUBS=str(sd)))
        peak = rss0
        while flood.poll() is None:
            peak = max(peak, rss_kb(pid))
            time.sleep(0.2)
        sent = int(flood.stdout.read().split()[-1])
        ex = poll(lambda: stalled.status(), timeout=STALL_MS / 1000 + 15,
                  what="the stalled collector's RPC ended")
        assert ex["status"] == "RESOURCE_EXHAUSTED", stalled.lines()[-3:]
        fl = [m for m in fast.updates() if m["t"] > t0 and
              any("fl7" in u["path"] for u in m["updates"])]
        vals = [u["val"] for m in fl for u in m["updates"]]
        lat = sorted(m["t"] - m["ts"] / 1e9 for m in fl)
        print(f"flood: {sent} msgs x {keys} keys in {secs} s ({sent * keys / secs:.0f} "
              f"updates/s); fast collector got {len(vals)} values of fl7, latency p50 "
              f"{lat[len(lat) // 2] * 1000:.1f} ms p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms; "
              f"telemetryd RSS {rss0} -> peak {peak} kB")
        # the second collector kept up: (nearly) every value, in order, promptly
        assert vals == sorted(vals) and len(vals) >= 0.8 * sent, (len(vals), sent)
        assert lat[len(lat) // 2] < 0.5, lat
        # ASan's quarantine keeps freed memory resident: the bound holds for real builds
        if b"__asan_init" not in (BIN / "telemetryd").read_bytes():
            assert peak - rss0 < 64 * 1024, (rss0, peak)
        assert fast.proc.poll() is None and fast.status() is None, fast.lines()[-3:]
    finally:
        if flood and flood.poll() is None:
            flood.kill()
            flood.wait()
        stalled.stop()
        fast.stop()


def test_delete_on_change(env, tmp_path):
    """A daemon's delete (SensorData.delete_paths) reaches ON_CHANGE subscribers as a gNMI
    delete, and the path is gone from Get."""
    bed, sd = env
    c = collector(env, tmp_path, "del", "--duration", "10", "sub",
                  "/interfaces/interface[name=dl0],on_change")
    try:
        poll(lambda: any(m.get("sync") for m in c.lines()), timeout=10, what="subscribed")
        p = bed.run("solo", ["env", f"GNMI_STUBS={sd}", "FLOOD_PREFIX=dl", "/usr/bin/python3", DATA / "flood.py",
                             "127.0.0.1", "51883", "1", "10", "0.5", "delete"], timeout=20)
        assert p.returncode == 0, p.stdout
        m = poll(lambda: [m for m in c.lines() if m.get("deletes")], timeout=5,
                 what="a delete notification")[0]
        assert m["deletes"] == ["/interfaces/interface[name=dl0]"], m
        ups = [u for x in c.updates() for u in x["updates"]]
        assert ups and all("name=dl0" in u["path"] for u in ups), ups
    finally:
        c.stop()
    g = collect(env, tmp_path, "del-get", "get", "/interfaces/interface[name=dl0]")
    assert g.status()["status"] == "NOT_FOUND", g.lines()


def test_mutual_tls(env, tmp_path):
    """ssl: a client trusting our CA gets in, a clear-text one does not; with
    mutual-authentication a client certificate from our CA is accepted, one from another CA
    (or none) is refused in the handshake."""
    bed, _ = env
    certs = bed.node_root("solo") / "etc" / "keel" / "certs"
    certs.mkdir(parents=True, exist_ok=True)
    d = tmp_path / "pki"
    d.mkdir()
    make_ca(d, "ca")
    make_ca(d, "evilca")
    make_cert(d, "srv", "ca", "keel-node", san="DNS:keel-node,IP:10.77.0.1")
    make_cert(d, "client", "ca", "collector")
    make_cert(d, "evil", "evilca", "collector")
    for f in ("srv.crt", "srv.key", "ca.crt"):
        (certs / f).write_bytes((d / f).read_bytes())
    g = "set system services extension-service request-response grpc"
    tls = ["--tls", "--ca", d / "ca.crt"]

    def caps_ok(name, *args):
        def ok():
            c = collect(env, tmp_path, name, *args, "caps")
            return c if c.status()["status"] == "OK" else None
        c = poll(ok, timeout=10, interval=0.3, what=f"Capabilities ({name})")
        assert [m for m in c.lines() if "caps" in m][0]["caps"]["version"] == "0.10.0"

    # server TLS only: any client that trusts our CA
    cli(bed, f"configure; delete system services extension-service request-response grpc "
             f"clear-text; {g} ssl port {PORT}; {g} ssl local-certificate srv; commit")
    try:
        caps_ok("tls", *tls)
        c = collect(env, tmp_path, "tls-plain", "caps")
        assert c.status()["status"] == "UNAVAILABLE", c.lines()
        # mutual TLS
        cli(bed, f"configure; {g} ssl mutual-authentication certificate-authority ca; "
                 f"{g} ssl mutual-authentication client-certificate-request "
                 "require-certificate-and-verify; commit")
        caps_ok("mtls", *tls, "--cert", d / "client.crt", "--key", d / "client.key")
        for name, extra in (("evil", ["--cert", d / "evil.crt", "--key", d / "evil.key"]),
                            ("nocert", []), ("plain", None)):
            args = ["caps"] if extra is None else [*tls, *extra, "caps"]
            c = collect(env, tmp_path, f"tls-{name}", *args)
            assert c.status()["status"] == "UNAVAILABLE", (name, c.lines())
    finally:
        cli(bed, "configure; delete system services extension-service request-response grpc "
                 f"ssl; {g} clear-text port {PORT}; commit")
        poll(lambda: collect(env, tmp_path, "plain-again", "caps").status()["status"] == "OK",
             timeout=10, interval=0.3, what="clear text again")


def test_bus_restart_mid_stream(env, tmp_path):
    bed, sd = env
    run = bed.node_root("solo") / "run" / "keel"
    c = collector(env, tmp_path, "restart", "--duration", "30", "sub",
                  f"{IN_OCTETS},sample,200")
    restarted = None
    try:
        poll(lambda: len(c.updates()) >= 3, timeout=10, what="samples flowing")
        bus_pid = int((run / "mosquitto.pid").read_text().split()[0])
        os.kill(bus_pid, signal.SIGTERM)
        poll(lambda: not os.path.exists(f"/proc/{bus_pid}"), timeout=5, what="bus stopped")
        time.sleep(1.0)
        log = open(tmp_path / "bus2.log", "w")
        restarted = subprocess.Popen(
            ["ip", "netns", "exec", bed.ns("solo"), "mosquitto", "-c", str(run / "mosquitto.conf")],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        (run / "mosquitto.pid").write_text(f"{restarted.pid}\n")
        back = time.time()
        last_ts = max(m["ts"] for m in c.updates())

        def fresh():
            return [m for m in c.updates() if m["ts"] > last_ts]

        f = poll(fresh, timeout=10, interval=0.05, what="fresh samples after the bus restart")
        delay = f[0]["t"] - back
        print(f"bus restart: fresh data {delay:.2f} s after the broker came back")
        assert delay < 2.0 + 0.5, delay
        assert c.proc.poll() is None, c.lines()[-3:]  # the RPC stayed open
        assert c.status() is None
    finally:
        c.stop()
        if restarted:
            restarted.terminate()
            restarted.wait(timeout=5)
