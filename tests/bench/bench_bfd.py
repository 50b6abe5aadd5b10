"""bfdd benchmark (issue 5): N BFD sessions at 50 ms x 3 between two namespaces, a keel
bfdd pair and, as the anchor in the same run, an FRR 8.4 bfdd pair with the same N.

For N in BENCH_BFD_SIZES (default 1000, 4000):
  - up       seconds until all N sessions are Up on both sides (bounded by UP_TIMEOUT)
  - cpu      user+system CPU of the two daemons over a steady WINDOW seconds, as CPU
             milliseconds per session per second of BFD, and the busiest daemon's share of
             one core
  - pps      UDP datagrams sent per session per second during the window (counted where
             they arrive, /proc/net/snmp InDatagrams of the namespaces: keel's raw IPv4 send
             path bypasses OutDatagrams): 50 ms with 75-100 % jitter is about 23; a saturated daemon
             sends fewer, so CPU per packet is compared too
  - flaps    sessions that left Up during the window (goal 0)
  - overshoot  BFD is cut (nft drop of B's BFD output); for each session on A, the time from
             the cut to Down minus the 150 ms Detection Time: p50 / p99 / max. The cut is
             taken after the rule is in place, so the true overshoot is at most this.
Sessions are single hop with local-address, no interface (FRR needs no zebra that way):
peer i = 10.101.i/32 on B, local 10.100.i/32 on A, both on one veth with 10/8 on-link.
keel's sessions come from a ctl client (session.add over one connection held open for
the run); FRR's from its config. Bounded: WINDOW s of steady state per run (default 10), UP_TIMEOUT s to come Up.
"""

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests/topo"))
sys.path.insert(0, str(REPO / "init"))

from testbed.ctl import (CTL_MAX_FRAME, FRAME_END, FRAME_ERROR, FRAME_REQUEST,  # noqa: E402
                         decode_frame, encode_frame)

import bfd as kb  # noqa: E402  (tests/topo/bfd.py: the bfdd.proto codec)

BUILD = Path(os.environ.get("KEEL_BUILD") or REPO / "build").resolve()
BIN = BUILD / "bin"
SIZES = [int(x) for x in os.environ.get("BENCH_BFD_SIZES", "1000,4000").split(",")]
WINDOW = float(os.environ.get("BENCH_BFD_WINDOW", "10"))
IMPLS = os.environ.get("BENCH_BFD_IMPLS", "keel,frr").split(",")
UP_TIMEOUT = 30
INTERVAL_MS, MULT = 50, 3
DETECT_MS = INTERVAL_MS * MULT
TAG = f"kbb{os.getpid() % 100000}"
NS_A, NS_B = f"{TAG}a", f"{TAG}b"
MAC = ("02:00:00:00:be:0a", "02:00:00:00:be:0b")


def sh(*argv, check=True, ns=None, input=None, timeout=60):
    if ns:
        argv = ("ip", "netns", "exec", ns) + argv
    return subprocess.run([str(a) for a in argv], check=check, capture_output=True, text=True,
                          input=input, timeout=timeout)


def addr(side, i):
    return f"10.{100 + side}.{i // 250}.{i % 250 + 1}"


def net_up(n):
    for ns in (NS_A, NS_B):
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
    sh("ip", "link", "add", "va", "address", MAC[0], "netns", NS_A, "type", "veth", "peer",
       "name", "vb", "address", MAC[1], "netns", NS_B)
    for ns, dev, side in ((NS_A, "va", 0), (NS_B, "vb", 1)):
        # Permanent neighbours: thousands of resolved ones would overflow the kernel's
        # gc_thresh3 (1024, a host-wide setting this benchmark leaves alone).
        batch = "".join(f"addr add {addr(side, i)}/32 dev {dev}\n"
                        f"neigh add {addr(1 - side, i)} lladdr {MAC[1 - side]} dev {dev} "
                        f"nud permanent\n" for i in range(n))
        sh("ip", "-batch", "-", ns=ns, input=batch)
        sh("ip", "link", "set", dev, "up", ns=ns)
        sh("ip", "route", "add", "10.0.0.0/8", "dev", dev, ns=ns)


def net_down():
    for ns in (NS_A, NS_B):
        for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
            try:
                os.kill(int(pid), 9)
            except OSError:
                pass
        sh("ip", "netns", "del", ns, check=False)


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def udp_counts(ns):
    """(InDatagrams, OutDatagrams) of a namespace (/proc/net/snmp is per namespace)."""
    lines = [x.split() for x in sh("cat", "/proc/net/snmp", ns=ns).stdout.splitlines()
             if x.startswith("Udp:")]
    row = dict(zip(lines[0][1:], lines[1][1:]))
    return int(row["InDatagrams"]), int(row["OutDatagrams"])


def cut(ns):
    sh("nft", "add table inet kbb; add chain inet kbb o { type filter hook output priority 0; };"
              " add rule inet kbb o udp dport 3784 drop", ns=ns)


def pct(v, p):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


# ---------------------------------------------------------------- keel pair


class KeelSide:
    def __init__(self, ns, side, n, root):
        self.ns, self.side, self.n = ns, side, n
        self.root = Path(root) / ns
        for d in ("run/keel", "etc/keel", "var/lib/keel", "var/log/keel"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, KEEL_ROOT=str(self.root))
        self.log = open(self.root / "var/log/keel/bfdd.log", "w")
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, BIN / "bfdd", "-f"], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.sock = str(self.root / "run/keel/bfdd.ctl")
        deadline = time.monotonic() + 10
        while not os.path.exists(self.sock):
            if time.monotonic() > deadline:
                raise RuntimeError("keel bfdd did not start")
            time.sleep(0.05)
        self.pid = int((self.root / "run/keel/bfdd.pid").read_text())
        self.c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.c.settimeout(10)
        self.c.connect(self.sock)

    def add_sessions(self):
        other = 1 - self.side
        for i in range(self.n):
            req = kb.session_request("bench", addr(other, i), local=addr(self.side, i),
                                     interval=INTERVAL_MS, mult=MULT)
            self.c.send(encode_frame(i + 1, FRAME_REQUEST, "session.add", req))
        done = 0
        while done < self.n:
            f = decode_frame(self.c.recv(CTL_MAX_FRAME + 1))
            if f["kind"] == FRAME_ERROR:
                raise RuntimeError(f"session.add: {f['error']}")
            if f["kind"] == FRAME_END:
                done += 1

    def sessions(self):
        k = kb.Keel.__new__(kb.Keel)
        k.sock = self.sock
        return k.show()

    def up_count(self):
        return sum(s["state"] == "Up" for s in self.sessions()[0])

    def stop(self):
        self.c.close()
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


# ---------------------------------------------------------------- FRR pair


class FrrSide:
    def __init__(self, ns, side, n, root):
        self.ns, self.side, self.n = ns, side, n
        self.ps = f"{ns}"
        self.etc, self.run = Path("/etc/frr") / self.ps, Path("/var/run/frr") / self.ps
        logdir = Path(root) / f"{ns}-frr"  # FRR opens its log as user frr
        logdir.mkdir(exist_ok=True)
        shutil.chown(logdir, "frr", "frr")
        self.logf = logdir / "bfdd.log"
        self.logf.unlink(missing_ok=True)
        other = 1 - side
        # `debug bfd peer` logs state changes (not packets); ms timestamps time detection.
        conf = [f"log file {self.logf}", "log timestamp precision 3", "debug bfd peer", "bfd"]
        for i in range(n):
            conf += [f" peer {addr(other, i)} local-address {addr(side, i)}",
                     f"  receive-interval {INTERVAL_MS}", f"  transmit-interval {INTERVAL_MS}",
                     f"  detect-multiplier {MULT}", "  no shutdown", " !"]
        for d in (self.etc, self.run):
            d.mkdir(parents=True, exist_ok=True)
            shutil.chown(d, "frr", "frr")
        (self.etc / "frr.conf").write_text("\n".join(conf) + "\n!\n")
        (self.etc / "vtysh.conf").write_text("")
        shutil.chown(self.etc / "frr.conf", "frr", "frr")
        sh("/usr/lib/frr/bfdd", "-N", self.ps, "-d", "-P", "0", "-f", self.etc / "frr.conf",
           ns=ns, timeout=60)
        deadline = time.monotonic() + 10
        while not (self.run / "bfdd.pid").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("FRR bfdd did not start")
            time.sleep(0.05)
        self.pid = int((self.run / "bfdd.pid").read_text())

    # A saturated FRR bfdd stops answering vtysh, so everything is read from its log
    # (`debug bfd peer` state changes with ms timestamps).
    RX = re.compile(r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{3}) .*state-change: .*peer:(\S+) "
                    r".*\] (\w+) -> (\w+)")

    def transitions(self):
        out = []
        for line in self.logf.read_text(errors="replace").splitlines():
            m = self.RX.search(line)
            if m:
                t = datetime.strptime(m.group(1), "%Y/%m/%d %H:%M:%S.%f").timestamp()
                out.append((t, m.group(2), m.group(3), m.group(4)))
        return out

    def up_count(self):
        last = {}
        for _t, peer, _f, to in self.transitions():
            last[peer] = to
        return sum(v == "up" for v in last.values())

    def downs(self, t0, t1):
        return sum(1 for t, _p, f, to in self.transitions() if f == "up" and to != "up"
                   and t0 <= t <= t1)

    def down_times(self, since_wall):
        """Peer -> wall time of its first up -> down after since_wall."""
        out = {}
        for t, peer, f, to in self.transitions():
            if f == "up" and to == "down" and t >= since_wall and peer not in out:
                out[peer] = t
        return out

    def stop(self):
        try:
            os.kill(self.pid, 15)
            for _ in range(100):
                os.kill(self.pid, 0)
                time.sleep(0.05)
            os.kill(self.pid, 9)
        except OSError:
            pass
        shutil.rmtree(self.etc, ignore_errors=True)
        shutil.rmtree(self.run, ignore_errors=True)


# ---------------------------------------------------------------- one run


def wait_up(a, b, n):
    t0 = time.monotonic()
    while time.monotonic() - t0 < UP_TIMEOUT:
        if a.up_count() == n and b.up_count() == n:
            return time.monotonic() - t0
        time.sleep(0.5)
    return None


def run_one(kind, n, root):
    net_up(n)
    a = b = None
    res = {"kind": kind, "n": n}
    try:
        cls = KeelSide if kind == "keel" else FrrSide
        a, b = cls(NS_A, 0, n, root), cls(NS_B, 1, n, root)
        if kind == "keel":
            a.add_sessions()
            b.add_sessions()
        res["up_s"] = wait_up(a, b, n)
        if res["up_s"] is None:
            res["up_count"] = (a.up_count(), b.up_count())
        # Steady state.
        if kind == "keel":
            ups0 = sum(s["up_transitions"] for s in a.sessions()[0] + b.sessions()[0])
        w0 = time.time()
        u0 = udp_counts(NS_A), udp_counts(NS_B)
        c0, t0 = cpu_s(a.pid) + cpu_s(b.pid), time.monotonic()
        ca0, cb0 = cpu_s(a.pid), cpu_s(b.pid)
        time.sleep(WINDOW)
        c1, t1 = cpu_s(a.pid) + cpu_s(b.pid), time.monotonic()
        u1 = udp_counts(NS_A), udp_counts(NS_B)
        # Sent = received by the other side (the veth loses nothing; only BFD runs in the
        # namespaces): keel's raw IPv4 send path (sendmmsg, IP_HDRINCL) bypasses the UDP
        # layer, so OutDatagrams does not see its packets.
        sent = sum(u1[i][0] - u0[i][0] for i in (0, 1))
        pkts = 2 * sent
        res["us_per_pkt"] = (c1 - c0) / pkts * 1e6 if pkts else None
        res["tx_pps_sess"] = sent / 2 / n / (t1 - t0)
        busiest = max(cpu_s(a.pid) - ca0, cpu_s(b.pid) - cb0) / (t1 - t0)
        res["cpu_ms_per_sess_s"] = (c1 - c0) / 2 / n / (t1 - t0) * 1000
        res["core_share"] = busiest
        if kind == "keel":
            sm = a.sessions()[1]
            res["keel_stats"] = (f"A: {sm['packets_received']} packets in {sm['rx_batches']} "
                                 f"recvmmsg batches, {sm['timer_runs']} timer wake-ups, "
                                 f"worst timer lateness {sm['timer_late_max_us']} us, "
                                 f"{sm['late_wakeups']} late wake-ups")
            res["flaps"] = sum(s["up_transitions"]
                               for s in a.sessions()[0] + b.sessions()[0]) - ups0
        else:
            w1 = time.time()
            res["flaps"] = a.downs(w0, w1) + b.downs(w0, w1)
        # The cut: B stops sending; A must declare every session Down.
        cut(NS_B)
        tcut = time.time()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and a.up_count() > 0:
            time.sleep(0.2)
        if kind == "keel":
            over = [s["last_change_ms"] / 1000 - tcut - DETECT_MS / 1000
                    for s in a.sessions()[0] if s["state"] != "Up"]
        else:
            downs = a.down_times(tcut - 0.001)
            over = [t - tcut - DETECT_MS / 1000 for t in downs.values()]
        res["detected"] = len(over)
        res["over_ms"] = [x * 1000 for x in over]
    finally:
        for s in (a, b):
            if s:
                s.stop()
        net_down()
    return res


def fmt(v, spec=".3f"):
    return "-" if v is None or v != v else format(v, spec)


def main():
    if os.geteuid() != 0:
        print("bench_bfd: needs root (network namespaces)")
        return 1
    if not (BIN / "bfdd").exists() or not os.path.exists("/usr/lib/frr/bfdd"):
        print("bench_bfd: needs build/bin/bfdd and FRR's bfdd")
        return 1
    root = tempfile.mkdtemp(prefix="bench-bfd-")
    os.chmod(root, 0o755)
    rows = []
    try:
        for n in SIZES:
            for kind in IMPLS:
                r = run_one(kind, n, root)
                rows.append(r)
                print(f"  {kind:4} N={n}: done", flush=True)
    finally:
        net_down()
        if not os.environ.get("BENCH_BFD_KEEP"):
            shutil.rmtree(root, ignore_errors=True)
    print(f"\nBFD {INTERVAL_MS} ms x {MULT}, window {WINDOW:.0f} s, single hop between two "
          f"namespaces")
    print(f"{'impl':5} {'N':>5} {'up s':>6} {'CPU ms/sess/s':>14} {'core':>6} {'pps/sess':>8} "
          f"{'CPU us/pkt':>10} {'flaps':>6} {'detected':>9} {'over p50':>9} {'over p99':>9} "
          f"{'over max':>9}")
    for r in rows:
        o = r["over_ms"]
        print(f"{r['kind']:5} {r['n']:>5} {fmt(r['up_s'], '.1f'):>6} "
              f"{fmt(r['cpu_ms_per_sess_s'], '.4f'):>14} {fmt(r['core_share'] * 100, '.0f'):>5}% "
              f"{fmt(r['tx_pps_sess'], '.1f'):>8} {fmt(r['us_per_pkt'], '.2f'):>10} "
              f"{r['flaps']:>6} {r['detected']:>9} {fmt(pct(o, 50), '.1f'):>9} "
              f"{fmt(pct(o, 99), '.1f'):>9} {fmt(max(o) if o else None, '.1f'):>9}")
    for r in rows:
        if r.get("keel_stats"):
            print(f"keel N={r['n']}: {r['keel_stats']}")
    print("\nratios (keel / FRR, lower is better):")
    for n in SIZES:
        k = next((r for r in rows if r["kind"] == "keel" and r["n"] == n), None)
        f = next((r for r in rows if r["kind"] == "frr" and r["n"] == n), None)
        if not k or not f:
            continue
        cpu = k["cpu_ms_per_sess_s"] / f["cpu_ms_per_sess_s"] if f["cpu_ms_per_sess_s"] else None
        ppk = k["us_per_pkt"] / f["us_per_pkt"] if k["us_per_pkt"] and f["us_per_pkt"] else None
        p99k, p99f = pct(k["over_ms"], 99), pct(f["over_ms"], 99)
        note = ""
        if f["tx_pps_sess"] < 0.9 * k["tx_pps_sess"]:
            note = (f" (FRR sent only {f['tx_pps_sess']:.1f} of {k['tx_pps_sess']:.1f} packets/s "
                    f"per session: saturated, so CPU per session flatters it)")
        print(f"  N={n}: CPU per packet {fmt(ppk, '.3f')}{note}")
        print(f"  N={n}: CPU per session {fmt(cpu, '.3f')} (goal <= 0.2), flaps keel "
              f"{k['flaps']} vs FRR {f['flaps']}, overshoot p99 {fmt(p99k, '.1f')} ms vs "
              f"{fmt(p99f, '.1f')} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
