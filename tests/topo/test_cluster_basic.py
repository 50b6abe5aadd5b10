"""clusterd on two nodes: election, heartbeats on both control links, one control link down,
and the secondary taking over when the primary's clusterd dies.

Topology: init/topologies/cluster.toml (em0, em1 control links, fp0 fabric). Node identity
is written to each node's chassis EEPROM before the nodes start (cluster 1, node0 / node1);
the config goes in through `cli -c 'configure; set ...; commit'` on each node (config sync
between the nodes is not there yet). Heartbeats every 100 ms, threshold 3.
"""

import pytest
from cluster import Cluster, set_lines, wait_for
from conftest import BIN, poll

INTERVAL_MS = 100
THRESHOLD = 3
DETECT_S = INTERVAL_MS * THRESHOLD / 1000
# Detection ends between threshold x interval and (threshold + 1) x interval after the last
# heartbeat (notes §11); the rest is this test's polling and ctl round trips.
TAKEOVER_BOUND_S = DETECT_S + INTERVAL_MS / 1000 + 0.25


@pytest.fixture
def cluster(testbed):
    c = Cluster.up(testbed)
    try:
        yield c
    finally:
        for node in Cluster.NODES:
            c.bed.keel_node("stop", node, check=False)


def test_disabled_without_identity(testbed):
    """No EEPROM: clusterd runs and says cluster-id 0 ("Chassis cluster is not enabled.")."""
    bed = testbed("cluster")
    bed.keel_node("start", "node0", "--bin", BIN)
    try:
        c = Cluster(bed)
        st = poll(lambda: c.status("node0"), timeout=10, what="clusterd answers")
        assert st["cluster_id"] == 0 and st["groups"] == [], st
    finally:
        bed.keel_node("stop", "node0", check=False)


def test_cluster_basic(cluster):
    c = cluster
    lines = set_lines(interval=INTERVAL_MS, threshold=THRESHOLD,
                      reths={"reth0": (1, "ge0", ["10.1.0.1/24"])})
    c.commit_all(lines)

    # node0 has the higher priority in both groups; both nodes see the same picture.
    c.wait_roles({0: "node0", 1: "node0"}, timeout=15)
    for node in c.NODES:
        st = c.status(node)
        assert st["cluster_id"] == 1 and st["node_id"] == c.NODES.index(node), st
        assert st["rg0_role"] == ("primary" if node == "node0" else "secondary"), st
        for g in st["groups"]:
            prios = {n["node_id"]: n["priority"] for n in g["nodes"]}
            assert prios == {0: 200, 1: 100}, g

    # Heartbeats flow on both control links, the copy on the second link is a duplicate,
    # the fabric carries probes, and nothing is dropped.
    def links_busy():
        for node in c.NODES:
            s = c.statistics(node)
            if len(s["control"]) != 2 or len(s["fabric"]) != 1:
                return False
            if any(l["received"] < 10 or l["sent"] < 10 or not l["up"] for l in s["control"]):
                return False
            if s["fabric"][0]["received"] < 10:
                return False
        return True

    poll(links_busy, timeout=10, what="heartbeats on both control links and probes on fp0")
    for node in c.NODES:
        s = c.statistics(node)
        assert all(l["errors"] == 0 for l in s["control"] + s["fabric"]), s
        assert sum(l["duplicates"] for l in s["control"]) > 0, s
        ifs = c.interfaces(node)
        assert ifs["control_status"] == "Up" and ifs["fabric_status"] == "Up", ifs
        assert [x["status"] for x in ifs["control"]] == ["Up", "Up"], ifs
        assert all(x["security"] == "Enabled" for x in ifs["control"]), ifs

    # One control link down: no RG change, the link shows Down on both nodes.
    before = {node: c.status(node) for node in c.NODES}
    c.ip("node1", "link", "set", "em0", "down")

    def link0_down():
        return all([x["status"] for x in c.interfaces(n)["control"]] == ["Down", "Up"]
                   for n in c.NODES)

    poll(link0_down, timeout=5, what="control link 0 shows Down on both nodes")
    assert c.agree({0: "node0", 1: "node0"}), c.dump()
    for node in c.NODES:
        after = c.status(node)
        assert [g["failover_count"] for g in after["groups"]] == \
               [g["failover_count"] for g in before[node]["groups"]], (before, after)
        assert c.interfaces(node)["control_status"] == "Up"
    c.ip("node1", "link", "set", "em0", "up")
    poll(lambda: all([x["status"] for x in c.interfaces(n)["control"]] == ["Up", "Up"]
                     for n in c.NODES), timeout=5, what="control link 0 back Up")

    # The primary's clusterd dies: node1 takes both groups within the detection time.
    c.kill("node0")
    _, took = wait_for(lambda: all(c.primary_of("node1", rg) == "node1" for rg in (0, 1)),
                       timeout=5)
    roles = c.roles("node1")
    assert roles[0] == {0: "lost", 1: "primary"} and roles[1] == {0: "lost", 1: "primary"}, roles
    print(f"takeover after kill -9 of node0's clusterd: {took * 1000:.0f} ms "
          f"(threshold x interval = {DETECT_S * 1000:.0f} ms)")
    assert took <= TAKEOVER_BOUND_S, f"took {took:.3f}s > {TAKEOVER_BOUND_S:.3f}s"
