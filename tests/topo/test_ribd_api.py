"""ribd: the bulk route API (route.add / route.delete / route.flush) and
kernel nexthop objects (issue 6).

One node r1 between hosts h1 (eth0, 192.168.12.0/24) and h2 (eth1,
192.168.13.0/24). A client loads thousands of routes in a few requests
through ribd's ctl socket (tests/topo/ribd_api.py), and the kernel is read
back with `ip -j route` / `ip -j nexthop`:
  - the routes are in the main table with protocol 200 and the client's
    preference as metric, all sharing one kernel nexthop object (RTA_NH_ID);
  - an ECMP set is one nexthop group of two single nexthops, visible in
    `ip nexthop`;
  - a gateway that stops resolving (its covering route deleted) withdraws
    every route through it: the kernel holds none of them afterwards;
  - an interface going down takes the routes over it away (the kernel
    flushes the object), coming up brings them back on a re-created object;
  - delete removes exactly the listed routes, flush the rest, and the
    nexthop objects go with the last route using them;
  - routes outlive the client's connection.
"""

import json
import os

import pytest
from conftest import BIN, poll, sh
from ribd_api import RibdApi, v4

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

RTPROT_KEEL = 200  # daemons/ribd/fib.h FIB_RTPROT
N = 5000


def ip_json(ns, *args):
    return json.loads(sh(["ip", "-n", ns, "-j", *args]).stdout or "[]")


def keel_routes(ns):
    return {r["dst"]: r for r in ip_json(ns, "route", "show", "proto", str(RTPROT_KEEL))}


def keel_nexthops(ns):
    return {n["id"]: n for n in ip_json(ns, "nexthop", "show")
            if n.get("protocol") in (RTPROT_KEEL, str(RTPROT_KEEL))}


@pytest.fixture
def r1(testbed, tmp_path):
    for b in ("mgd", "ifd", "ribd", "cli"):
        if not os.access(BIN / b, os.X_OK):
            pytest.fail(f"{BIN}/{b} not built: the build is incomplete")
    topo = tmp_path / "ribd_api.toml"
    topo.write_text(TOPO)
    bed = testbed(str(topo), start_nodes=True)
    bed.run("r1", [BIN / "cli", "-c",
                   "configure; set interfaces eth0 unit 0 family inet address 192.168.12.1/24; "
                   "set interfaces eth1 unit 0 family inet address 192.168.13.1/24; commit"],
            timeout=30)
    ns = bed.ns("r1")
    poll(lambda: ip_json(ns, "route", "show", "192.168.13.0/24"), timeout=10,
         what="r1's interface addresses")
    return bed


def api(bed):
    return RibdApi(bed.node_root("r1") / "run" / "keel" / "ribd.ctl")


def test_bulk_api_and_nexthop_objects(r1):
    bed = r1
    ns = bed.ns("r1")
    routes = [(0x0a000000 + (i << 8), 24) for i in range(N)]  # 10.0.0.0/24 ...
    with api(bed) as a:
        res = a.add("loader", routes, [{"gateway": "192.168.12.2"}], preference=30)
        assert res.done == N and res.failed == 0 and res.fib_failed == 0, res
        # ECMP, and a set whose gateway resolves recursively through a route.
        res = a.add("loader", [v4("192.0.2.0/24")],
                    [{"next_hops": [{"gateway": "192.168.12.2"}, {"gateway": "192.168.13.2"}]}],
                    preference=30)
        assert res.done == 1, res
        res = a.add("other", [v4("10.50.0.0/24")], [{"gateway": "192.168.13.2"}])
        res = a.add("other", [(0x0b000000 + (i << 8), 24) for i in range(1000)],
                    [{"gateway": "10.50.0.1", "resolve": True}])
        assert res.done == 1000, res
        # Bad input is refused per route, not per request.
        res = a.add("other", [(0x0c000000, 33)], [{"gateway": "192.168.12.2"}])
        assert res.failed == 1 and "bad length" in res.first_error, res
        assert a.clients() == {"loader": N + 1, "other": 1001}

    rt = poll(lambda: (lambda r: r if len(r) == N + 1002 else None)(keel_routes(ns)),
              timeout=20, interval=0.2, what="all API routes in the kernel")
    one = rt["10.0.0.0/24"]
    assert one["metric"] == 30 and one.get("nhid"), one
    nhs = keel_nexthops(ns)
    single = nhs[one["nhid"]]
    assert single.get("gateway") == "192.168.12.2" and single.get("dev") == "eth0", single
    assert {rt[f"10.0.{i}.0/24"]["nhid"] for i in range(200)} == {one["nhid"]}, \
        "routes through one gateway share one nexthop object"
    grp = nhs[rt["192.0.2.0/24"]["nhid"]]
    members = sorted((nhs[g["id"]].get("gateway"), nhs[g["id"]].get("dev")) for g in grp["group"])
    assert members == [("192.168.12.2", "eth0"), ("192.168.13.2", "eth1")], grp
    rec = rt["11.0.0.0/24"]
    assert nhs[rec["nhid"]].get("gateway") == "192.168.13.2", "resolved through 10.50.0.0/24"

    # The recursive gateway loses its covering route: all 1000 routes go.
    with api(bed) as a:
        res = a.delete("other", [v4("10.50.0.0/24")])
        assert res.done == 1, res
    poll(lambda: not any(d.startswith("11.") for d in keel_routes(ns)), timeout=10,
         what="routes via the unresolved gateway withdrawn")
    with api(bed) as a:
        a.add("other", [v4("10.50.0.0/24")], [{"gateway": "192.168.13.2"}])
    poll(lambda: sum(d.startswith("11.") for d in keel_routes(ns)) == 1000, timeout=10,
         what="routes via the gateway back")

    # Interface down: the kernel flushes the object and its routes; up: back.
    sh(["ip", "-n", ns, "link", "set", "eth0", "down"])
    poll(lambda: "10.0.0.0/24" not in keel_routes(ns), timeout=10, what="eth0 routes gone")
    sh(["ip", "-n", ns, "link", "set", "eth0", "up"])
    rt = poll(lambda: (lambda r: r if sum(d.startswith("10.") and d != "10.50.0.0/24"
                                          for d in r) == N else None)(keel_routes(ns)),
              timeout=20, interval=0.2, what="eth0 routes back")
    assert nhs_ok(ns, rt["10.0.0.0/24"]["nhid"], "192.168.12.2")
    assert "192.0.2.0/24" in rt

    # Delete some, flush the rest: objects follow their last route.
    with api(bed) as a:
        res = a.delete("loader", routes[:2000])
        assert res.done == 2000 and res.client_routes == N + 1 - 2000, res
    poll(lambda: sum(d.startswith("10.") for d in keel_routes(ns)) == N - 2000 + 1,
         timeout=10, what="2000 routes deleted")
    assert "10.0.0.0/24" not in keel_routes(ns) and "10.7.208.0/24" in keel_routes(ns)
    with api(bed) as a:
        assert a.flush("loader").done == N - 2000 + 1
        assert a.flush("other").done == 1001
        assert a.clients() == {}
    poll(lambda: not keel_routes(ns) and not keel_nexthops(ns), timeout=10,
         what="no routes and no nexthop objects of ours left")


def nhs_ok(ns, nhid, gw):
    nh = keel_nexthops(ns).get(nhid)
    return nh is not None and nh.get("gateway") == gw


def test_inline_fallback(r1):
    """Where the kernel refuses nexthop objects (forced here with
    KEEL_RIBD_NHOBJ=0), routes go in with their next hops inline: ECMP as one
    RTA_MULTIPATH route, no `nhid`, no object left behind."""
    bed = r1
    ns = bed.ns("r1")
    pidf = bed.node_root("r1") / "run" / "keel" / "ribd.pid"
    os.kill(int(pidf.read_text()), 15)
    poll(lambda: not pidf.exists(), timeout=10, what="ribd stopped")
    bed.run("r1", ["env", "KEEL_RIBD_NHOBJ=0", BIN / "ribd"])
    sock = bed.node_root("r1") / "run" / "keel" / "ribd.ctl"
    poll(lambda: sock.exists() and pidf.exists(), timeout=10, what="ribd restarted")
    with api(bed) as a:
        res = a.add("loader", [(0x0a000000 + (i << 8), 24) for i in range(1000)],
                    [{"gateway": "192.168.12.2"}])
        assert res.done == 1000 and res.fib_failed == 0, res
        res = a.add("loader", [v4("192.0.2.0/24")],
                    [{"next_hops": [{"gateway": "192.168.12.2"}, {"gateway": "192.168.13.2"}]}])
        assert res.done == 1 and res.fib_failed == 0, res
    rt = poll(lambda: (lambda r: r if len(r) == 1001 else None)(keel_routes(ns)), timeout=10,
              what="inline routes in the kernel")
    assert "nhid" not in rt["10.0.0.0/24"] and rt["10.0.0.0/24"]["gateway"] == "192.168.12.2"
    ecmp = rt["192.0.2.0/24"]
    assert "nhid" not in ecmp, ecmp
    assert sorted(h["gateway"] for h in ecmp["nexthops"]) == ["192.168.12.2", "192.168.13.2"]
    assert not keel_nexthops(ns)
    with api(bed) as a:
        assert a.flush("loader").done == 1001
    poll(lambda: not keel_routes(ns), timeout=10, what="routes flushed")
