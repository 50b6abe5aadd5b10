"""gNMI ON_CHANGE on chassis-cluster state: a redundancy-group failover reaches a collector
subscribed on node0 promptly.

Topology: init/topologies/cluster.toml (tests/topo/cluster.py), heartbeats every 100 ms.
node0 serves gNMI in clear text; the collector (tests/topo/gnmi_data/collector.py) runs in
node0's namespace against 127.0.0.1:32767 with an ON_CHANGE subscription on
/chassis/state/cluster/redundancy-group[name=1] (keel-chassis.yang's state container, which
clusterd publishes on the bus on every RG change). `request chassis cluster failover
redundancy-group 1 node 1` must show up as an update of node 0's status within 100 ms of
clusterd's event timestamp (+ margin for this shared machine), after the initial dump and
its sync_response.
"""

import sys
import time

import pytest
from cluster import Cluster, set_lines
from conftest import REPO, poll

sys.path.insert(0, str(REPO / "tests" / "topo" / "gnmi_data"))
from harness import Collector, stubs  # noqa: E402

RG1 = "/chassis/state/cluster/redundancy-group[name=1]"
STATUS0 = RG1 + "/node[name=0]/status"
LATENCY_S = 0.100
MARGIN_S = 0.150  # a loaded 2-core machine shared by several test runs


@pytest.fixture
def cluster(testbed):
    c = Cluster.up(testbed)
    try:
        yield c
    finally:
        for node in Cluster.NODES:
            c.bed.keel_node("stop", node, check=False)


def status_of(c, path):
    vals = [(m, u["val"]) for m in c.updates() for u in m["updates"] if u["path"] == path]
    return vals


def test_rg_failover_on_change(cluster, tmp_path):
    c = cluster
    g = "set system services extension-service request-response grpc"
    c.commit_all(set_lines())
    c.commit("node0", [f"{g} clear-text port 32767", f"{g} skip-authentication"])
    c.wait_roles({0: "node0", 1: "node0"}, timeout=15)
    sd = stubs(tmp_path / "stubs")
    col = Collector(c.bed.ns("node0"), sd, "127.0.0.1:32767",
                    ["--duration", "20", "sub", f"{RG1},on_change"], tmp_path / "rg.out")
    try:
        poll(lambda: any(m.get("sync") for m in col.lines()), timeout=15, interval=0.1,
             what="initial dump and sync_response")
        first = status_of(col, STATUS0)
        assert first and first[-1][1] == "primary", col.lines()[:5]
        # the dump came before the sync
        lines = col.lines()
        sync_i = next(i for i, m in enumerate(lines) if m.get("sync"))
        assert any("updates" in m for m in lines[:sync_i]), lines[:sync_i + 1]

        t_cmd = time.time()
        r = c.cli("node0", "request chassis cluster failover redundancy-group 1 node 1")
        assert "Initiated manual failover" in r.stdout, r.stdout

        def changed():
            return [(m, v) for m, v in status_of(col, STATUS0) if v != "primary"]

        m, v = poll(changed, timeout=5, interval=0.01, what="node0's RG1 status change")[0]
        assert v.startswith("secondary"), v
        lat = m["t"] - m["ts"] / 1e9
        print(f"RG1 failover: update {lat * 1000:.1f} ms after clusterd's event, "
              f"{(m['t'] - t_cmd) * 1000:.0f} ms after the cli command")
        assert lat < LATENCY_S + MARGIN_S, lat
        # only changes after the sync: the status update is not a full re-dump
        assert col.proc.poll() is None and col.status() is None, col.lines()[-3:]
    finally:
        col.stop()
