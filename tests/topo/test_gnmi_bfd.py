"""gNMI ON_CHANGE on BFD session state: a session going down reaches a collector promptly.

Topology: init/topologies/bfd-keel.toml (keel nodes k1 and k2 on one veth), daemons mgd,
bfdd and telemetryd only. A 100 ms BFD session between them; k1 serves gNMI in clear text
and the collector (tests/topo/gnmi_data/collector.py) runs in k1's namespace against
127.0.0.1:32767 with ON_CHANGE on /bfd/interfaces/interface[id=eth0]/peers (bfdd's
OpenConfig paths; keel has no YANG module for BFD state, so the path is accepted because
bfdd publishes under it). k2 stops sending BFD (nft drop): k1 detects the failure after
300 ms and its DOWN must reach the collector within 100 ms of bfdd's event timestamp
(+ margin for this shared machine); UP again once the drop is removed.
"""

import sys

import pytest
from bfd import Keel, nft_clear, nft_drop
from conftest import REPO, poll

sys.path.insert(0, str(REPO / "tests" / "topo" / "gnmi_data"))
from harness import Collector, stubs  # noqa: E402

PEERS = "/bfd/interfaces/interface[id=eth0]/peers"
LATENCY_S = 0.100
MARGIN_S = 0.150  # a loaded 2-core machine shared by several test runs


@pytest.fixture
def pair(testbed):
    mp = pytest.MonkeyPatch()
    mp.setenv("KEEL_DAEMONS", "mgd bfdd telemetryd")
    try:
        bed = testbed("bfd-keel", start_nodes=True)
    finally:
        mp.undo()
    k1, k2 = Keel(bed, "k1"), Keel(bed, "k2")
    g = "set system services extension-service request-response grpc"
    k1.commit(["set protocols bfd session 10.99.0.2 interface eth0 minimum-interval 100",
               f"{g} clear-text port 32767", f"{g} skip-authentication"])
    k2.commit(["set protocols bfd session 10.99.0.1 interface eth0 minimum-interval 100"])
    k1.wait_state("10.99.0.2", "Up", timeout=15)
    return bed, k1, k2


def states(col):
    return [(m, u["val"]) for m in col.updates() for u in m["updates"]
            if u["path"].endswith("/state/session-state")]


def test_bfd_down_on_change(pair, tmp_path):
    bed, k1, k2 = pair
    sd = stubs(tmp_path / "stubs")

    def subscribed():
        c = Collector(bed.ns("k1"), sd, "127.0.0.1:32767",
                      ["--duration", "20", "sub", f"{PEERS},on_change"], tmp_path / "bfd.out")
        try:
            ok = poll(lambda: c.status() or any(m.get("sync") for m in c.lines()), timeout=10)
        except AssertionError:
            ok = None
        if ok is True:
            return c
        c.stop()  # no sync yet (collector or server still starting): try again
        return None

    col = poll(subscribed, timeout=15, interval=0.5, what="ON_CHANGE subscription on /bfd")
    try:
        assert states(col) and states(col)[-1][1] == "UP", col.lines()[:3]
        nft_drop(bed, "k2")
        m, v = poll(lambda: [(m, v) for m, v in states(col) if v == "DOWN"], timeout=5,
                    interval=0.01, what="session DOWN at the collector")[0]
        lat = m["t"] - m["ts"] / 1e9
        print(f"BFD down: update {lat * 1000:.1f} ms after bfdd's event")
        assert lat < LATENCY_S + MARGIN_S, lat
        nft_clear(bed, "k2")
        poll(lambda: states(col)[-1][1] == "UP", timeout=10, interval=0.05,
             what="session UP again at the collector")
        assert col.proc.poll() is None and col.status() is None, col.lines()[-3:]
    finally:
        col.stop()
