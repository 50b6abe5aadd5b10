"""ribd: static routes from the config reach the kernel (issue 6).

One node r1 between hosts h1 (eth0, 192.168.12.0/24) and h2 (eth1,
192.168.13.0/24). Everything goes through `cli -c 'configure; ...; commit'`
(mgd -> ifd for the addresses, mgd -> ribd for routing-options), and the
kernel is read back with `ip -j route`:
  - routes appear with ribd's rtm_protocol 200 and the route's preference as
    metric; a recursive next hop (`resolve`) is installed as the gateway it
    resolves to; two next hops make one multipath route; discard is a
    blackhole; h1 pings h2 through r1;
  - an interface going down takes its next hops (and routes) away, coming up
    brings them back;
  - a route of another program in the main table is never touched;
  - kill -9 ribd and start it again: `ip -ts monitor route` running through the
    restart sees no deletion (nor re-add) of a still-configured route, and a
    route removed from the config while ribd was down is swept.
"""

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from conftest import BIN, poll, sh

TOPO = """
[node.r1]
sysctl = { "net.ipv4.ip_forward" = 1 }
[host.h1]
addresses = { eth0 = ["192.168.12.2/24"] }
routes = ["default via 192.168.12.1"]
[host.h2]
addresses = { eth0 = ["192.168.13.2/24"] }
routes = ["default via 192.168.13.1"]
[[link]]
a = "r1:eth0"
b = "h1:eth0"
[[link]]
a = "r1:eth1"
b = "h2:eth0"
"""

RTPROT_KEEL = 200  # daemons/ribd/fib.h FIB_RTPROT


def ip_json(ns, *args):
    return json.loads(sh(["ip", "-n", ns, "-j", *args]).stdout or "[]")


def keel_routes(ns):
    """{dst: route} of ribd's routes in the main table."""
    return {r["dst"]: r for r in ip_json(ns, "route", "show", "proto", str(RTPROT_KEEL))}


def hops(route):
    """Sorted (gateway, dev) pairs of a route, single or multipath."""
    if "nexthops" in route:
        return sorted((h.get("gateway"), h.get("dev")) for h in route["nexthops"])
    return [(route.get("gateway"), route.get("dev"))]


class RouteMonitor:
    """`ip -ts monitor route` in the node's namespace, synchronised with sentinel
    routes on lo so that everything up to stop() is captured."""

    def __init__(self, ns):
        self.ns = ns
        self.out = tempfile.NamedTemporaryFile("w+", prefix="ribd-mon-")
        self.seq = 0

    def _sync(self):
        self.seq += 1
        sentinel = f"198.18.0.{self.seq}"

        def seen():
            if sentinel in Path(self.out.name).read_text():
                return True
            sh(["ip", "-n", self.ns, "route", "del", f"{sentinel}/32", "dev", "lo"], check=False)
            sh(["ip", "-n", self.ns, "route", "add", f"{sentinel}/32", "dev", "lo"])
            return False

        poll(seen, timeout=5, interval=0.1, what=f"ip monitor saw the sentinel {sentinel}")
        sh(["ip", "-n", self.ns, "route", "del", f"{sentinel}/32", "dev", "lo"], check=False)

    def start(self):
        self.proc = subprocess.Popen(["ip", "-n", self.ns, "-ts", "monitor", "route"],
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self._sync()
        self.mark = len(Path(self.out.name).read_text().splitlines())
        return self

    def stop(self):
        try:
            self._sync()
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=5)
        lines = Path(self.out.name).read_text().splitlines()[self.mark:]
        self.out.close()
        return [ln for ln in lines if "198.18.0." not in ln]


@pytest.fixture
def r1(testbed, tmp_path):
    for b in ("mgd", "ifd", "ribd", "cli"):
        if not os.access(BIN / b, os.X_OK):
            pytest.fail(f"{BIN}/{b} not built: the build is incomplete")
    topo = tmp_path / "ribd.toml"
    topo.write_text(TOPO)
    return testbed(str(topo), start_nodes=True)


def cli(bed, cmds, check=True):
    return bed.run("r1", [BIN / "cli", "-c", cmds], check=check, timeout=30)


def ribd_pid(bed):
    return int((bed.node_root("r1") / "run" / "keel" / "ribd.pid").read_text())


def kill9_ribd(bed):
    """kill -9 ribd and wait until it is reaped: a new ribd refuses to start
    while the pid file names a live process, and a zombie still looks live."""
    pid = ribd_pid(bed)
    os.kill(pid, 9)
    poll(lambda: not Path(f"/proc/{pid}").exists(), timeout=5, interval=0.02,
         what=f"ribd {pid} reaped")


def test_static_routes(r1):
    bed = r1
    ns = bed.ns("r1")
    st = "set routing-options static route"
    cli(bed, "configure; "
             "set interfaces eth0 unit 0 family inet address 192.168.12.1/24; "
             "set interfaces eth1 unit 0 family inet address 192.168.13.1/24; "
             f"{st} 10.77.0.0/16 next-hop 192.168.12.2; "
             f"{st} 172.16.0.0/16 next-hop 10.77.1.1; {st} 172.16.0.0/16 resolve; "
             f"{st} 10.60.0.0/16 next-hop 192.168.12.2; {st} 10.60.0.0/16 next-hop 192.168.13.2; "
             f"{st} 10.61.0.0/16 next-hop 192.168.13.2; {st} 10.61.0.0/16 preference 12; "
             f"{st} 192.0.2.0/24 discard; commit")
    want = {"10.77.0.0/16", "172.16.0.0/16", "10.60.0.0/16", "10.61.0.0/16", "192.0.2.0/24"}
    poll(lambda: want <= set(keel_routes(ns)), timeout=10, what="static routes in the kernel")
    rt = keel_routes(ns)
    assert hops(rt["10.77.0.0/16"]) == [("192.168.12.2", "eth0")], rt
    # recursive: 10.77.1.1 resolves through 10.77.0.0/16 to 192.168.12.2
    assert hops(rt["172.16.0.0/16"]) == [("192.168.12.2", "eth0")], rt
    assert hops(rt["10.60.0.0/16"]) == [("192.168.12.2", "eth0"), ("192.168.13.2", "eth1")], rt
    assert rt["192.0.2.0/24"].get("type") == "blackhole", rt
    assert rt["10.77.0.0/16"].get("metric") == 5 and rt["10.61.0.0/16"].get("metric") == 12, rt
    # forwarding through r1
    poll(lambda: bed.ping("h1", "192.168.13.2"), timeout=10, what="h1 pings h2 through r1")

    # another program's route: shown as Kernel by ribd, never touched
    sh(["ip", "-n", ns, "route", "add", "10.88.0.0/16", "via", "192.168.12.2", "proto", "static"])
    poll(lambda: "[Kernel/40]" in cli(bed, "show route 10.88.0.0/16 exact").stdout, timeout=5,
         what="the foreign route shown as Kernel")

    # show route: Junos layout, recursive next hop shown resolved; | display json
    out = cli(bed, "show route").stdout
    assert "inet.0: " in out and "+ = Active Route, - = Last Active, * = Both" in out, out
    assert "172.16.0.0/16      *[Static/5]" in out, out
    assert "> to 192.168.12.2 via eth0" in out and "> to 192.168.13.2 via eth1" in out, out
    assert "Discard" in out and "*[Direct/0]" in out and "Local via eth0" in out, out
    js = json.loads(cli(bed, "show route 172.16.1.1 | display json").stdout)
    dests = js["route-information"]["destinations"]
    assert [d["prefix"] for d in dests] == ["172.16.0.0/16"], js
    nh = dests[0]["routes"][0]["next-hops"]
    assert [(h["gateway"], h["interface"]) for h in nh] == [("192.168.12.2", "eth0")], js
    out = cli(bed, "show route summary").stdout
    assert "Static:      5 routes,      5 active" in out, out
    out = cli(bed, "show route forwarding-table").stdout
    assert "10.77.0.0/16       user     0 192.168.12.2       ucst" in out, out

    # interface down: its next hops go; up: they come back
    sh(["ip", "-n", ns, "link", "set", "eth1", "down"])
    poll(lambda: "10.61.0.0/16" not in keel_routes(ns)
         and hops(keel_routes(ns)["10.60.0.0/16"]) == [("192.168.12.2", "eth0")],
         timeout=10, what="eth1's next hops withdrawn")
    sh(["ip", "-n", ns, "link", "set", "eth1", "up"])
    poll(lambda: "10.61.0.0/16" in keel_routes(ns) and len(hops(keel_routes(ns)["10.60.0.0/16"])) == 2,
         timeout=10, what="eth1's next hops back")

    # the resolving route goes: the recursive one follows
    cli(bed, "configure; delete routing-options static route 10.77.0.0/16; commit")
    poll(lambda: "172.16.0.0/16" not in keel_routes(ns) and "10.77.0.0/16" not in keel_routes(ns),
         timeout=10, what="recursive route withdrawn with its resolver")
    cli(bed, f"configure; {st} 10.77.0.0/16 next-hop 192.168.12.2; commit")
    poll(lambda: "172.16.0.0/16" in keel_routes(ns), timeout=10, what="recursive route back")

    # kill -9 ribd; drop one route while it is down; start it again
    mon = RouteMonitor(ns).start()
    kill9_ribd(bed)
    cli(bed, "configure; delete routing-options static route 10.61.0.0/16; commit")
    bed.run("r1", [BIN / "ribd"])
    poll(lambda: "10.61.0.0/16" not in keel_routes(ns), timeout=10, what="10.61/16 swept")
    lines = mon.stop()
    touched = [ln for ln in lines if any(d.split("/")[0] in ln for d in want - {"10.61.0.0/16"})]
    assert touched == [], "\n".join(lines)
    assert [ln for ln in lines if "10.61.0.0/16" in ln and "Deleted" in ln], "\n".join(lines)
    assert [ln for ln in lines if "10.88.0.0" in ln] == [], "\n".join(lines)
    assert ip_json(ns, "route", "show", "10.88.0.0/16"), "the foreign route is gone"
    os.kill(ribd_pid(bed), 15)


def test_restart_10k_without_flap(r1, tmp_path):
    """Issue 6: kill -9 ribd with 10k routes installed and restart it; a route
    monitor running through the restart sees no deletion (nor re-add)."""
    bed = r1
    ns = bed.ns("r1")
    n = 10000
    script = tmp_path / "10k.cli"
    lines = ["configure", "set interfaces eth0 unit 0 family inet address 192.168.12.1/24"]
    lines += [f"set routing-options static route 10.{i // 256}.{i % 256}.0/24 "
              "next-hop 192.168.12.2" for i in range(n)]
    script.write_text("\n".join(lines + ["commit", ""]))
    t0 = time.monotonic()
    bed.run("r1", ["sh", "-c", f"{BIN / 'cli'} < {script}"], timeout=120)
    poll(lambda: len(keel_routes(ns)) == n, timeout=30, interval=0.2, what=f"{n} routes installed")
    installed = time.monotonic() - t0

    mon = RouteMonitor(ns).start()
    kill9_ribd(bed)
    t0 = time.monotonic()
    bed.run("r1", [BIN / "ribd"])

    last = {}

    def adopted():
        p = cli(bed, "show route summary", check=False)
        last["out"] = p.stdout + p.stderr
        return f"Static:  {n} routes,  {n} active" in p.stdout and " 0 stale" in p.stdout

    try:
        poll(adopted, timeout=30, interval=0.1, what="restarted ribd adopted every route")
    except AssertionError:
        print(last.get("out"))
        raise
    restart = time.monotonic() - t0
    lines = mon.stop()
    assert lines == [], "\n".join(lines[:20])
    assert len(keel_routes(ns)) == n
    print(f"\n{n} routes: commit to kernel {installed:.2f} s, restart to adopted {restart:.2f} s")
    os.kill(ribd_pid(bed), 15)
