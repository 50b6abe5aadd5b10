"""telemetryd benchmark (issue 9): leaf updates/s from bus publishers through telemetryd to
gNMI collectors, beside the raw broker rate of the same payloads measured in the same run.

One namespace with a keel node (mgd + telemetryd, its mosquitto bus on 51883, gNMI clear
text on 127.0.0.1:32767, skip-authentication) and a second, idle mosquitto (same bus
config) on 51884 for the anchor. Load comes from tests/bench/telemetry/pub.c (built here
with cc + pkg-config against the generated sensor.pb-c.c): SensorData messages of
IFACES x 4 interface counters each, QoS 0, as fast as the broker takes them (TCP
back-pressure). Collectors: tests/bench/telemetry/collect.py (python3-grpcio, stubs from
lib/proto/gnmi.proto), one process per counter leaf (in-octets, out-octets, in-pkts,
out-pkts: disjoint ON_CHANGE subscriptions on every interface), so Python is not the
limit; telemetryd bundles up to 64 updates per Notification.

  anchor      pub -> broker -> mosquitto_sub (payload lengths to wc -l): messages x leaves
  max         pub (rate 0) -> bus -> telemetryd -> 4 gNMI collectors: leaf updates/s
              delivered in the steady window, telemetryd CPU, leaf updates/s per core
  half        pub paced at 50 % of what `max` delivered: sample-to-collector latency
              p50/p99 (the counter value is the send time in us); its anchor: the same
              load through the idle broker alone to a paho subscriber (mqtt_lat.py)
  on-change   pub paced at 90 % of what `max` delivered (full counter load) plus one
              oper-status change every 10 ms (UP/DOWN, sent on a ms boundary) to a fifth
              collector: Notification-timestamp-to-arrival p50/p99

Goals (issue 9): >= 100k leaf updates/s per telemetryd core, p99 <= 5 ms at half load,
on-change p99 <= 10 ms. Bounded: BENCH_TM_SECS (default 6) per phase, about 90 s in all.
Root (namespaces). Environment: KEEL_BUILD, BENCH_TM_IFACES (default 25 -> 100 leaves per
message), BENCH_TM_SECS.

The bus runs as shipped: init/mosquitto-bus.conf has `set_tcp_nodelay true` and keel's
publishers (lib/mqtt.c) set TCP_NODELAY, so the load publisher does too, and the
broker-alone anchor runs the same config on an idle second broker. (With Nagle on, the
half-load p99 was 25.9 ms against 1.1 ms without: why both are set.)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("KEEL_BUILD") or REPO / "build").resolve()
BIN = BUILD / "bin"
HERE = REPO / "tests/bench/telemetry"
IFACES = int(os.environ.get("BENCH_TM_IFACES", "25"))
LEAVES = IFACES * 4
SECS = float(os.environ.get("BENCH_TM_SECS", "6"))
FULL = 0.9  # "full" counter load: 90 % of the measured capacity (at 100 % queues never drain)
NS = f"kbt{os.getpid() % 100000}"
NODE = f"kbt{os.getpid() % 100000}"
BUS, ANCHOR_PORT, GNMI = 51883, 51884, 32767
TARGET = f"127.0.0.1:{GNMI}"
COUNTERS = ("in-octets", "out-octets", "in-pkts", "out-pkts")
HZ = os.sysconf("SC_CLK_TCK")


def sh(*argv, check=True, ns=False, timeout=60, env=None):
    if ns:
        argv = ("ip", "netns", "exec", NS) + argv
    p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                       env=env)
    if check and p.returncode:
        raise RuntimeError(f"{' '.join(map(str, argv))}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def popen(*argv, out=subprocess.PIPE, env=None):
    return subprocess.Popen(["ip", "netns", "exec", NS, *[str(a) for a in argv]], stdout=out,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, env=env)


def need():
    missing = [t for t in ("mosquitto", "mosquitto_sub", "protoc", "cc", "pkg-config")
               if not shutil.which(t)]
    if not os.path.exists("/usr/bin/grpc_python_plugin"):
        missing.append("grpc_python_plugin")
    for b in ("mgd", "telemetryd", "cli"):
        if not os.access(BIN / b, os.X_OK):
            missing.append(str(BIN / b))
    if os.geteuid() != 0:
        missing.append("root")
    return missing


def build(tmp):
    gen = BUILD / "gen"
    if not (gen / "lib/proto/sensor.pb-c.c").exists():
        raise RuntimeError(f"{gen}/lib/proto/sensor.pb-c.c missing: build keel first")
    flags = sh("pkg-config", "--cflags", "--libs", "libmosquitto", "libprotobuf-c").stdout.split()
    sh("cc", "-O2", f"-I{gen}", "-o", tmp / "pub", HERE / "pub.c",
       gen / "lib/proto/sensor.pb-c.c", *flags)
    stubs = tmp / "stubs"
    stubs.mkdir()
    sh("protoc", f"-I{REPO / 'lib/proto'}", f"--python_out={stubs}", f"--grpc_out={stubs}",
       "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin", REPO / "lib/proto/gnmi.proto")
    sh("protoc", f"-I{REPO / 'lib/proto'}", f"--python_out={stubs}", REPO / "lib/proto/sensor.proto")
    return tmp / "pub", stubs


def cpu_s(pid):
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / HZ


def pct(vals, q):
    if not vals:
        return float("nan")
    s = sorted(vals)
    return s[min(len(s) - 1, int(q * len(s)))]


class Run:
    def __init__(self, tmp, pub, stubs):
        self.tmp, self.pub, self.stubs = tmp, pub, stubs
        self.root = tmp / "root"
        self.procs = []

    def start(self):
        sh("ip", "netns", "add", NS)
        env = dict(os.environ, KEEL_DAEMONS="mgd telemetryd", KEEL_BUILD=str(BUILD))
        sh(REPO / "init/keel-node", "start", NODE, "--netns", NS, "--root", self.root, env=env,
           timeout=60)
        self.cli("configure; "
                 f"set system services extension-service request-response grpc clear-text port {GNMI}; "
                 "set system services extension-service request-response grpc skip-authentication; "
                 "commit")
        conf = self.tmp / "anchor.conf"
        text = (REPO / "init/mosquitto-bus.conf").read_text()
        conf.write_text(text.replace(f"listener {BUS} ", f"listener {ANCHOR_PORT} "))
        self.procs.append(popen("mosquitto", "-c", conf, out=subprocess.DEVNULL))
        self.nodelay = True  # as lib/mqtt.c's clients
        self.tm_pid = int((self.root / "run/keel/telemetryd.pid").read_text().split()[0])
        deadline = time.time() + 10
        while sh("bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{GNMI} && "
                 f"exec 4<>/dev/tcp/127.0.0.1/{ANCHOR_PORT}", ns=True, check=False).returncode:
            if time.time() > deadline:
                raise RuntimeError("gNMI listener or anchor broker not up")
            time.sleep(0.2)

    def cli(self, cmds):
        return sh(BIN / "cli", "-c", cmds, ns=True,
                  env=dict(os.environ, KEEL_ROOT=str(self.root)))

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
        sh(REPO / "init/keel-node", "stop", NODE, check=False, timeout=60)
        sh("ip", "netns", "del", NS, check=False)

    def publish(self, port, comp, rate, secs, kind="counters", ifaces=IFACES):
        p = popen(self.pub, "127.0.0.1", port, comp, ifaces, rate, secs, kind,
                  env=dict(os.environ, PUB_NODELAY="1" if self.nodelay else "0"))
        self.procs.append(p)
        return p

    def collectors(self, name, secs, warm, specs):
        env = dict(os.environ, GNMI_STUBS=str(self.stubs))
        cs = []
        for i, (kind, paths) in enumerate(specs):
            out = self.tmp / f"{name}-{i}.out"
            f = open(out, "w")
            p = popen("/usr/bin/python3", HERE / "collect.py", TARGET, secs, kind, warm,
                      *paths, out=f, env=env)
            self.procs.append(p)
            cs.append((p, out, f))
        deadline = time.time() + 15
        while not all('"ready"' in out.read_text() for _, out, _ in cs):
            if time.time() > deadline or any(p.poll() is not None for p, _, _ in cs):
                raise RuntimeError(f"{name}: collectors not ready: " +
                                   " | ".join(out.read_text()[-300:] for _, out, _ in cs))
            time.sleep(0.1)
        return cs

    @staticmethod
    def results(cs, timeout):
        res = []
        for p, out, f in cs:
            p.wait(timeout=timeout)
            f.close()
            lines = [json.loads(ln) for ln in out.read_text().splitlines() if ln.startswith("{")]
            errs = [ln for ln in lines if "error" in ln]
            if errs:
                raise RuntimeError(f"collector: {errs[0]}")
            res.append(lines[-1])
        return res


def counter_specs(comp="load"):
    return [("counters", [f"/interfaces/interface/state/counters/{c}"]) for c in COUNTERS]


def window_rate(res, t0, t1, what="buckets"):
    n = sum(v for r in res for s, v in r[what].items() if t0 <= int(s) < t1)
    return n / max(1, t1 - t0)


def anchor(run):
    """pub (rate 0) -> idle broker -> mosquitto_sub; messages counted by wc -l."""
    out = run.tmp / "anchor.count"
    sub = popen("sh", "-c", f"mosquitto_sub -h 127.0.0.1 -p {ANCHOR_PORT} -t keel/# -F %l "
                f"-W {int(SECS + 3)} | wc -l > {out}", out=subprocess.DEVNULL)
    time.sleep(0.5)
    p = run.publish(ANCHOR_PORT, "anchor", 0, SECS)
    sent = int(p.communicate(timeout=SECS + 30)[0].split()[-1])
    sub.wait(timeout=SECS + 10)
    got = int(out.read_text().split()[0])
    return {"sent_msgs": sent, "got_msgs": got, "leaf_s": got * LEAVES / SECS}


def anchor_latency(run, rate, port=ANCHOR_PORT):
    """The broker alone at the same load: pub -> idle mosquitto -> paho subscriber."""
    out = run.tmp / "anchor-lat.out"
    f = open(out, "w")
    p = popen("/usr/bin/python3", HERE / "mqtt_lat.py", "127.0.0.1", port, SECS + 3, 1.0,
              out=f, env=dict(os.environ, SENSOR_STUBS=str(run.stubs)))
    run.procs.append(p)
    deadline = time.time() + 15
    while '"ready"' not in out.read_text():
        if time.time() > deadline or p.poll() is not None:
            raise RuntimeError(f"mqtt_lat not ready: {out.read_text()[-300:]}")
        time.sleep(0.1)
    run.publish(port, "anchor", rate, SECS).communicate(timeout=SECS + 30)
    p.wait(timeout=SECS + 20)
    f.close()
    r = json.loads(out.read_text().splitlines()[-1])
    return {"p50_ms": pct(r["lat_us"], 0.5) / 1000, "p99_ms": pct(r["lat_us"], 0.99) / 1000,
            "n": r["n"]}


def phase(run, name, rate, events=False):
    """Counters at `rate` msgs/s (0 = max) through telemetryd to 4 collectors (+ events)."""
    specs = counter_specs()
    if events:
        specs.append(("events", ["/interfaces/interface[name=ev-0]/state/oper-status"]))
        # the event leaf exists before the subscription: its first change is then an update
        run.publish(BUS, "ev", 1, 0.3, kind="events", ifaces=1).wait(timeout=10)
    cs = run.collectors(name, SECS + 6, 1.5, specs)  # latency after 1 s of load
    lost0 = bus_lost(run)
    time.sleep(0.5)
    c0 = cpu_s(run.tm_pid)
    k0 = sum(cpu_s(p.pid) for p, _, _ in cs)
    t0 = time.time()
    p = run.publish(BUS, "load", rate, SECS)
    ev = run.publish(BUS, "ev", 100, SECS - 0.5, kind="events", ifaces=1) if events else None
    sent = int(p.communicate(timeout=SECS + 30)[0].split()[-1])
    t1 = time.time()
    c1 = cpu_s(run.tm_pid)
    k1 = sum(cpu_s(p.pid) for p, _, _ in cs)
    if ev:
        ev.wait(timeout=10)
    res = run.results(cs, SECS + 20)
    counters = res[:4]
    # steady window: whole seconds after the first, before the last
    w0, w1 = int(t0) + 1, int(t1)
    out = {"offered_leaf_s": sent * LEAVES / (t1 - t0), "sent_msgs": sent,
           "leaf_s": window_rate(counters, w0, w1), "cpu": (c1 - c0) / (t1 - t0),
           "notif_s": window_rate(counters, w0, w1, "nbuckets") / len(counters),
           "dups": sum(r["dups"] for r in counters), "coll_cpu": (k1 - k0) / (t1 - t0),
           "lost": bus_lost(run) - lost0}
    lat = [v for r in counters for v in r["lat_us"]]
    out["p50_ms"], out["p99_ms"] = pct(lat, 0.5) / 1000, pct(lat, 0.99) / 1000
    out["n_lat"] = sum(r["n_lat"] for r in counters)
    if events:
        e = res[4]
        out["ev_p50_ms"], out["ev_p99_ms"] = pct(e["lat_us"], 0.5) / 1000, \
            pct(e["lat_us"], 0.99) / 1000
        out["ev_n"] = e["n_lat"]
    return out


def bus_lost(run):
    try:
        js = json.loads(run.cli("show agent sensors | display json").stdout)
        return int(js["bus-information"].get("lost", 0))
    except (RuntimeError, ValueError, KeyError):
        return 0


def main():
    missing = need()
    if missing:
        print(f"bench_telemetry: cannot run, missing: {', '.join(missing)}")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="kbt-"))
    run = None
    try:
        pub, stubs = build(tmp)
        run = Run(tmp, pub, stubs)
        run.start()
        a = anchor(run)
        m = phase(run, "max", 0)
        # telemetryd's capacity: what it delivered under the flood; "full" load is that
        # rate paced (a flood beyond it only fills the broker's queue: events would wait
        # behind seconds of counters and measure the broker, not telemetryd)
        full_rate = m["leaf_s"] / LEAVES
        h = phase(run, "half", 0.5 * full_rate)
        ha = anchor_latency(run, 0.5 * full_rate)
        e = phase(run, "onchange", FULL * full_rate, events=True)
    finally:
        if run:
            run.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    per_core = m["leaf_s"] / m["cpu"] if m["cpu"] > 0 else float("nan")
    print(f"telemetryd benchmark: {LEAVES} counters per bus message ({IFACES} interfaces x 4), "
          f"{SECS:g} s per phase, 4 gNMI collector processes (ON_CHANGE, PROTO)")
    print(f"{'measure':<44}{'value':>14}  {'goal':>12}")
    rows = [
        ("anchor: pub -> mosquitto -> mosquitto_sub", f"{a['leaf_s']:,.0f}/s", ""),
        ("  (messages delivered / sent)", f"{a['got_msgs']}/{a['sent_msgs']}", ""),
        ("keel: pub -> bus -> telemetryd -> gNMI", f"{m['leaf_s']:,.0f}/s", ""),
        ("  offered by the publisher", f"{m['offered_leaf_s']:,.0f}/s", ""),
        ("  telemetryd CPU (share of one core)", f"{m['cpu'] * 100:.0f} %", ""),
        ("  leaf updates/s per telemetryd core", f"{per_core:,.0f}/s", ">= 100,000"),
        ("  coalesced (Update.duplicates)", f"{m['dups']:,}", ""),
        ("  Notifications/s per collector (updates each)",
         f"{m['notif_s']:,.0f} ({m['leaf_s'] / 4 / max(1, m['notif_s']):.0f})", ""),
        (f"half load ({h['offered_leaf_s']:,.0f}/s offered): delivered",
         f"{h['leaf_s']:,.0f}/s", ""),
        ("  coalesced (Update.duplicates)", f"{h['dups']:,}", ""),
        ("  telemetryd CPU; Notifications/s per collector",
         f"{h['cpu'] * 100:.0f} %; {h['notif_s']:,.0f}", ""),
        ("  sample-to-collector latency p50", f"{h['p50_ms']:.2f} ms", ""),
        ("  sample-to-collector latency p99", f"{h['p99_ms']:.2f} ms", "<= 5 ms"),
        ("  anchor at the same load: broker alone p50", f"{ha['p50_ms']:.2f} ms", ""),
        ("  anchor: broker alone p99", f"{ha['p99_ms']:.2f} ms", ""),
        (f"on-change at {FULL:.0%} counter load: p50", f"{e['ev_p50_ms']:.2f} ms", ""),
        ("  on-change p99", f"{e['ev_p99_ms']:.2f} ms", "<= 10 ms"),
        ("  events measured; counters offered", f"{e['ev_n']}; {e['offered_leaf_s']:,.0f}/s", ""),
        ("  counters delivered; CPU", f"{e['leaf_s']:,.0f}/s; {e['cpu'] * 100:.0f} %", ""),
        ("bus messages lost to telemetryd: max/half/full",
         f"{m['lost']}/{h['lost']}/{e['lost']}", ""),
        ("collectors' CPU (cores): max/half/full",
         f"{m['coll_cpu']:.2f}/{h['coll_cpu']:.2f}/{e['coll_cpu']:.2f}", ""),
    ]
    for r in rows:
        print(f"{r[0]:<44}{r[1]:>14}  {r[2]:>12}")
    print(f"ratio keel/anchor (leaf updates/s): {m['leaf_s'] / a['leaf_s']:.3f}")
    print(f"ratio per-core rate / goal: {per_core / 100000:.2f}; "
          f"half-load p99 / goal: {h['p99_ms'] / 5:.2f}; "
          f"on-change p99 / goal: {e['ev_p99_ms'] / 10:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
