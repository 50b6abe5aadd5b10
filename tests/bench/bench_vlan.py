"""vland benchmark (issue 7): a 4094-VLAN trunk through vland's OVSDB reconcile, against
ovs-vsctl doing the same, in the same run, on the same private Open vSwitch.

Rig (root; one namespace and one temp dir, both removed at the end): ovsdb-server +
ovs-vswitchd (userspace datapath) as keel-node runs them, 48 veth pairs p0..p47, and vland
alone (no mgd: its config comes over its ctl socket exactly as mgd sends it, config.apply
with a json_file for the large ones).

Steps, each timed from config.apply until vland reports the reconcile that follows it
done and OVS applied (show.vland.status: reconciles moved on, converged; vland's
transaction waits for cur_cfg >= next_cfg, as ovs-vsctl does):
  base      48 access ports in VLAN 1 on bridge keel0, VLANs 1-4094 defined (untimed setup)
  1 port    p0 becomes a trunk of VLANs 1-4094           goal <= 50 ms
  48 ports  all 48 become such trunks                    goal <= 1 s
  re-apply  the same config again (re-serialized, so lib/cfg does not short-cut it and
            vland's reconcile really compares)               goal: 0 OVSDB writes
Then vland stops and ovs-vsctl does the same on the same ports: one invocation with
trunks=1,...,4094 for one port; one invocation with 48 `-- set port` for 48 ports; the
same command again for the re-apply. OVSDB writes are counted as the steps of Open_vSwitch.next_cfg, which
both vland and ovs-vsctl bump once per write transaction (read before and after each
step, outside the timing); vland's own count (VlandStatus.transactions) must agree.
Environment: KEEL_BUILD (default build), BENCH_VLAN_ROUNDS (default 3; the median is
reported).
"""

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("KEEL_BUILD") or REPO / "build").resolve()
sys.path.insert(0, str(REPO / "init"))
from testbed import pb  # noqa: E402
from testbed.ctl import ctl_call  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_VLAN_ROUNDS", "3"))
NPORTS = 48
NS = f"kvb{os.getpid() % 100000}"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
STATUS = {"VlandStatus": {1: ("ovs_connected", pb.B), 4: ("converged", pb.B),
                          5: ("transactions", pb.U), 7: ("last_error", pb.S),
                          10: ("reconciles", pb.U)}}


def run(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


def in_ns(argv):
    return ["ip", "netns", "exec", NS, *argv]


class Rig:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="kvb-", dir="/tmp"))
        self.ovs = self.dir / "run" / "openvswitch"
        self.keel_run = self.dir / "run" / "keel"
        self.env = dict(os.environ, OVS_RUNDIR=str(self.ovs), OVS_LOGDIR=str(self.dir),
                        OVS_DBDIR=str(self.ovs), KEEL_ROOT=str(self.dir))
        self.vland = None
        self.gen = 0

    def up(self):
        self.ovs.mkdir(parents=True)
        self.keel_run.mkdir(parents=True)
        run(["ip", "netns", "add", NS])
        run(in_ns(["ip", "link", "set", "lo", "up"]))
        for i in range(NPORTS):
            run(in_ns(["ip", "link", "add", f"p{i}", "type", "veth", "peer", "name", f"q{i}"]))
            run(in_ns(["ip", "link", "set", f"p{i}", "up"]))
        run(["ovsdb-tool", "create", f"{self.ovs}/conf.db", SCHEMA], env=self.env)
        run(in_ns(["ovsdb-server", f"{self.ovs}/conf.db", f"--remote=punix:{self.ovs}/db.sock",
                   f"--pidfile={self.ovs}/ovsdb-server.pid", "--detach",
                   f"--log-file={self.dir}/ovsdb-server.log"]), env=self.env)
        self.vsctl("--no-wait", "init")
        run(in_ns(["ovs-vswitchd", f"unix:{self.ovs}/db.sock",
                   f"--pidfile={self.ovs}/ovs-vswitchd.pid", "--detach",
                   f"--log-file={self.dir}/ovs-vswitchd.log"]), env=self.env)
        log = open(self.dir / "vland.log", "w")
        self.vland = subprocess.Popen(in_ns([str(BUILD / "bin" / "vland"), "-f"]), env=self.env,
                                      stdout=log, stderr=subprocess.STDOUT)
        sock = self.keel_run / "vland.ctl"
        for _ in range(200):
            if sock.exists():
                break
            time.sleep(0.02)

    def vsctl(self, *args):
        return run(in_ns(["ovs-vsctl", f"--db=unix:{self.ovs}/db.sock", "--timeout=30", *args]),
                   env=self.env)

    def next_cfg(self):
        return int(self.vsctl("get", "Open_vSwitch", ".", "next_cfg").stdout.strip())

    def status(self):
        return pb.decode(STATUS, (), "VlandStatus",
                         ctl_call(str(self.keel_run / "vland.ctl"), "show.vland.status")[0])

    def apply(self, cfg, indent=None):
        """config.apply as mgd sends a large one (DaemonConfig.json_file); returns
        (seconds until the following reconcile has converged, OVSDB transactions)."""
        self.gen += 1
        f = self.keel_run / "mgd-vland.json"
        f.write_text(json.dumps(cfg, indent=indent))
        req = pb.field_u(1, self.gen) + pb.field_str(4, str(f))
        before = self.status()
        cfg0 = self.next_cfg()
        t0 = time.perf_counter()
        ctl_call(str(self.keel_run / "vland.ctl"), "config.apply", req, timeout=30)
        while True:
            st = self.status()
            if st["reconciles"] > before["reconciles"] and st["converged"]:
                break
            if time.perf_counter() - t0 > 30:
                raise RuntimeError(f"vland did not converge: {st}")
        dt = time.perf_counter() - t0
        writes = self.next_cfg() - cfg0
        if writes != st["transactions"] - before["transactions"]:
            raise RuntimeError(f"next_cfg moved {writes}, vland counted "
                               f"{st['transactions'] - before['transactions']}")
        return dt, writes

    def down(self):
        if self.vland and self.vland.poll() is None:
            self.vland.send_signal(signal.SIGTERM)
            try:
                self.vland.wait(5)
            except subprocess.TimeoutExpired:
                self.vland.kill()
        for name in ("ovs-vswitchd", "ovsdb-server"):
            try:
                pid = int((self.ovs / f"{name}.pid").read_text().split()[0])
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):
                    if not os.path.exists(f"/proc/{pid}"):
                        break
                    time.sleep(0.02)
            except (OSError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def config(trunk_ports):
    vlans = [{"name": f"v{i}", "vlan-id": i} for i in range(1, 4095)]
    ifs = []
    for i in range(NPORTS):
        if i < trunk_ports:
            es = {"interface-mode": "trunk", "vlan": {"members": ["all"]}}
        else:
            es = {"interface-mode": "access", "vlan": {"members": ["v1"]}}
        ifs.append({"name": f"p{i}", "unit": [{"name": 0, "family": {
            "keel-vlans:ethernet-switching": es}}]})
    return {"keel-vlans:vlans": {"vlan": vlans},
            "keel-interfaces:interfaces": {"interface": ifs}}


def vsctl_time(rig, *args):
    """(seconds, OVSDB writes) of one ovs-vsctl invocation."""
    cfg0 = rig.next_cfg()
    t0 = time.perf_counter()
    rig.vsctl(*args)
    dt = time.perf_counter() - t0
    return dt, rig.next_cfg() - cfg0


def main():
    if os.geteuid() != 0:
        print("bench_vlan: needs root (network namespace, private OVS)")
        return 1
    if not shutil.which("ovs-vswitchd") and not os.path.exists("/usr/sbin/ovs-vswitchd"):
        print("bench_vlan: needs openvswitch-switch")
        return 1
    if not (BUILD / "bin" / "vland").exists():
        print(f"bench_vlan: {BUILD}/bin/vland not built")
        return 1
    rig = Rig()
    res = {k: [] for k in ("k1", "k48", "kre", "w1", "w48", "wre", "v1", "v48", "vre", "x1",
                           "x48", "xre")}
    try:
        rig.up()
        trunks = "trunks=" + ",".join(str(i) for i in range(1, 4095))
        for _ in range(ROUNDS):
            rig.apply(config(0))  # base: access ports, bridge built (untimed)
            dt, w = rig.apply(config(1))
            res["k1"].append(dt)
            res["w1"].append(w)
            dt, w = rig.apply(config(NPORTS))
            res["k48"].append(dt)
            res["w48"].append(w)
            dt, w = rig.apply(config(NPORTS), indent=1)
            res["kre"].append(dt)
            res["wre"].append(w)
        rig.apply(config(0))
        rig.vland.send_signal(signal.SIGTERM)
        rig.vland.wait(5)
        for _ in range(ROUNDS):
            rig.vsctl(*sum((["--", "set", "port", f"p{i}", "tag=1", "vlan_mode=access",
                             "trunks=[]"] for i in range(NPORTS)), [])[1:])
            for key, args in (
                    ("1", ["set", "port", "p0", "vlan_mode=trunk", "tag=[]", trunks]),
                    ("48", sum((["--", "set", "port", f"p{i}", "vlan_mode=trunk", "tag=[]",
                                 trunks] for i in range(NPORTS)), [])[1:]),
                    ("re", sum((["--", "set", "port", f"p{i}", "vlan_mode=trunk", "tag=[]",
                                 trunks] for i in range(NPORTS)), [])[1:])):
                dt, w = vsctl_time(rig, *args)
                res["v" + key].append(dt)
                res["x" + key].append(w)
    finally:
        rig.down()

    med = {k: statistics.median(v) for k, v in res.items()}
    print(f"vland vs ovs-vsctl, 4094-VLAN trunks, {NPORTS} ports available, median of {ROUNDS}")
    print(f"{'step':<22}{'vland ms':>10}{'writes':>8}{'ovs-vsctl ms':>14}{'writes':>8}"
          f"{'vsctl/vland':>13}{'goal':>16}")
    rows = [("trunk on 1 port", "k1", "w1", "v1", "x1", "<= 50 ms"),
            (f"trunk on {NPORTS} ports", "k48", "w48", "v48", "x48", "<= 1000 ms"),
            ("re-apply unchanged", "kre", "wre", "vre", "xre", "0 writes")]
    ok = True
    for name, k, w, v, x, goal in rows:
        print(f"{name:<22}{med[k] * 1e3:>10.1f}{int(med[w]):>8}{med[v] * 1e3:>14.1f}"
              f"{int(med[x]):>8}{med[v] / med[k]:>12.2f}x{goal:>16}")
    ok &= med["k1"] <= 0.050 and med["k48"] <= 1.0 and max(res["wre"]) == 0
    print("goals met" if ok else "goals NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
