"""ribd: the `show route` forms and other programs' routes (issue 6).

One node r1 between h1 (eth0, 192.168.12.0/24) and h2 (eth1, 192.168.13.0/24):
  - show route [PREFIX [exact|longer]] [protocol P] [table T] [terse|detail|extensive]
    [hidden], show route summary, | display json, against what ribd holds;
  - routes another program put in the kernel (`ip route add ... proto zebra`, as FRR's
    zebra would, also one to a prefix keel has a static route for) are shown as Kernel
    routes and never touched: not by commits, not when keel's route to the same prefix
    goes, not by a kill -9 + restart of ribd (its start-up sweep).
"""

import json
import os
import re
from pathlib import Path

import pytest
from conftest import BIN, poll, sh

TOPO = """
[node.r1]
sysctl = { "net.ipv4.ip_forward" = 1 }
[host.h1]
addresses = { eth0 = ["192.168.12.2/24"] }
[host.h2]
addresses = { eth0 = ["192.168.13.2/24"] }
[[link]]
a = "r1:eth0"
b = "h1:eth0"
[[link]]
a = "r1:eth1"
b = "h2:eth0"
"""

ST = "set routing-options static route"


@pytest.fixture
def r1(testbed, tmp_path, monkeypatch):
    monkeypatch.setenv("KEEL_DAEMONS", "mgd ifd ribd")
    for b in ("mgd", "ifd", "ribd", "cli"):
        if not os.access(BIN / b, os.X_OK):
            pytest.fail(f"{BIN}/{b} not built: the build is incomplete")
    topo = tmp_path / "ribd-show.toml"
    topo.write_text(TOPO)
    return testbed(str(topo), start_nodes=True)


def cli(bed, cmds, check=True):
    return bed.run("r1", [BIN / "cli", "-c", cmds], check=check, timeout=30)


def routes(bed, *args):
    out = sh(["ip", "-n", bed.ns("r1"), "-j", "route", "show", *args]).stdout
    return json.loads(out or "[]")


def zebra_routes(bed):
    return sorted((r["dst"], r.get("metric", 0)) for r in routes(bed, "proto", "zebra"))


def prefixes(text):
    return re.findall(r"^(\S+/\d+)", text, re.M)


def test_show_route_forms_and_foreign_routes(r1):
    bed = r1
    ns = bed.ns("r1")
    cli(bed, "configure; "
             "set interfaces eth0 unit 0 family inet address 192.168.12.1/24; "
             "set interfaces eth1 unit 0 family inet address 192.168.13.1/24; "
             "set interfaces eth1 unit 0 family inet6 address fd00:13::1/64; "
             f"{ST} 10.60.0.0/16 next-hop 192.168.12.2; "
             f"{ST} 10.60.1.0/24 next-hop 192.168.13.2; "
             f"{ST} 10.60.2.0/24 discard; "
             f"{ST} 10.77.0.0/16 next-hop 192.168.12.2; "
             f"{ST} 10.99.0.0/16 next-hop 10.200.0.1; "  # not on a connected subnet: hidden
             "set routing-options rib inet6.0 static route fd00:77::/64 next-hop fd00:13::2; "
             "commit")
    poll(lambda: {"10.60.0.0/16", "10.60.1.0/24", "10.60.2.0/24", "10.77.0.0/16"}
         <= {r["dst"] for r in routes(bed, "proto", "200")}, timeout=10,
         what="static routes in the kernel")

    # Another program's routes (FRR zebra's protocol number), one on keel's 10.77/16.
    sh(["ip", "-n", ns, "route", "add", "10.88.0.0/16", "via", "192.168.12.2", "proto", "zebra",
        "metric", "20"])
    sh(["ip", "-n", ns, "route", "add", "10.77.0.0/16", "via", "192.168.13.2", "proto",
        "zebra", "metric", "20"])
    sh(["ip", "-n", ns, "route", "add", "blackhole", "10.89.0.0/16", "proto", "zebra"])
    before = zebra_routes(bed)
    assert len(before) == 3, before
    poll(lambda: "[Kernel/40]" in cli(bed, "show route 10.88.0.0/16 exact").stdout, timeout=5,
         what="the foreign route shown as Kernel")

    # protocol
    out = cli(bed, "show route protocol static").stdout
    got = prefixes(out)
    assert {"10.60.0.0/16", "10.60.1.0/24", "10.60.2.0/24", "10.77.0.0/16",
            "fd00:77::/64"} <= set(got), out
    assert "192.168.12.0/24" not in got and "10.88.0.0/16" not in got, out
    assert "[Direct/0]" not in out and "[Kernel/40]" not in out, out
    out = cli(bed, "show route protocol kernel").stdout
    assert {"10.88.0.0/16", "10.77.0.0/16", "10.89.0.0/16"} <= set(prefixes(out)), out
    assert "[Static/5]" not in out, out
    # 10.77/16: keel's static active, the foreign one inactive beside it
    out = cli(bed, "show route 10.77.0.0/16 exact").stdout
    assert re.search(r"10\.77\.0\.0/16\s+\*\[Static/5\]", out), out
    assert re.search(r"^\s+\[Kernel/40\].*\n\s+to 192\.168\.13\.2 via eth1", out, re.M), out

    # exact / longer / the prefix and what it covers
    assert prefixes(cli(bed, "show route 10.60.0.0/16 exact").stdout) == ["10.60.0.0/16"]
    assert prefixes(cli(bed, "show route 10.60.0.0/16 longer").stdout) == [
        "10.60.1.0/24", "10.60.2.0/24"]
    assert prefixes(cli(bed, "show route 10.60.0.0/16").stdout) == [
        "10.60.0.0/16", "10.60.1.0/24", "10.60.2.0/24"]
    # an address: its longest match
    assert prefixes(cli(bed, "show route 10.60.1.77").stdout) == ["10.60.1.0/24"]

    # table
    out = cli(bed, "show route table inet6.0").stdout
    assert "inet6.0: " in out and "inet.0: " not in out and "fd00:77::/64" in out, out
    out = cli(bed, "show route table inet.0 protocol static").stdout
    assert "inet6.0" not in out and "10.60.0.0/16" in out, out
    assert cli(bed, "show route table inet9.0", check=False).returncode != 0

    # hidden: only the unresolvable route
    out = cli(bed, "show route hidden").stdout
    assert prefixes(out) == ["10.99.0.0/16"], out
    assert "Unusable" in out, out
    assert "10.99.0.0/16" not in cli(bed, "show route").stdout

    # terse, detail, extensive
    out = cli(bed, "show route terse").stdout
    assert "A V Destination        P Prf   Metric 1   Metric 2  Next hop        AS path" in out
    assert re.search(r"^\* \? 10\.60\.1\.0/24\s+S\s+5\s+>192\.168\.13\.2$", out, re.M), out
    assert re.search(r"^\* \? 10\.60\.2\.0/24\s+S\s+5\s+Discard$", out, re.M), out
    out = cli(bed, "show route 10.60.1.0/24 exact detail").stdout
    assert "*Static Preference: 5" in out and "Next hop: 192.168.13.2 via eth1, selected" in out
    out = cli(bed, "show route 10.60.1.0/24 exact extensive").stdout
    assert "Task: Static" in out and "Configured next hop: 192.168.13.2" in out, out

    # summary per protocol; json
    out = cli(bed, "show route summary").stdout
    assert re.search(r"^\s+Static:\s+5 routes,\s+4 active$", out, re.M), out
    assert re.search(r"^\s+Kernel:\s+3 routes,\s+2 active$", out, re.M), out
    js = json.loads(cli(bed, "show route protocol static | display json").stdout)
    ds = js["route-information"]["destinations"]
    assert ds and all(r["protocol"] == "Static" for d in ds for r in d["routes"]), js

    # Foreign routes survive commits, keel's route to the same prefix going, and a
    # kill -9 + restart of ribd (its start-up sweep takes only protocol 200).
    cli(bed, "configure; delete routing-options static route 10.77.0.0/16; "
             f"{ST} 10.61.0.0/16 next-hop 192.168.12.2; commit")
    poll(lambda: "10.61.0.0/16" in {r["dst"] for r in routes(bed, "proto", "200")},
         timeout=10, what="new static route")
    assert "10.77.0.0/16" not in {r["dst"] for r in routes(bed, "proto", "200")}
    assert zebra_routes(bed) == before
    out = cli(bed, "show route 10.77.0.0/16 exact").stdout
    assert re.search(r"10\.77\.0\.0/16\s+\*\[Kernel/40\]", out), out
    pid = int((bed.node_root("r1") / "run" / "keel" / "ribd.pid").read_text())
    os.kill(pid, 9)
    poll(lambda: not Path(f"/proc/{pid}").exists(), timeout=5, interval=0.02,
         what=f"ribd {pid} reaped")
    bed.run("r1", [BIN / "ribd"])
    poll(lambda: "[Kernel/40]" in cli(bed, "show route 10.88.0.0/16 exact", check=False).stdout,
         timeout=10, what="restarted ribd shows the foreign route")
    poll(lambda: "0 stale" in cli(bed, "show route summary").stdout, timeout=10,
         what="start-up sweep done")
    assert zebra_routes(bed) == before
    pid = int((bed.node_root("r1") / "run" / "keel" / "ribd.pid").read_text())
    os.kill(pid, 15)
    poll(lambda: not Path(f"/proc/{pid}").exists(), timeout=5, interval=0.02,
         what="ribd stopped")
    assert zebra_routes(bed) == before
