"""clusterd on two nodes: election, heartbeats on both control links, one control link down,
and the secondary taking over when the primary's clusterd dies.

Topology: init/topologies/cluster.toml (em0, em1 control links, fp0 fabric). Node identity
is written to each node's chassis EEPROM before the nodes start (cluster 1, node0 / node1);
the config goes in through `cli -c 'configure; set ...; commit'` on each node (config sync
between the nodes is not there yet). Heartbeats every 100 ms and every 10 ms, threshold 3.
"""

import pytest
from cluster import (Cluster, Subscriber, eeprom_record, pb_decode, pb_string, pb_varints,
                     set_lines, wait_for)
from conftest import BIN, poll

THRESHOLD = 3
POLL_MARGIN_S = 0.25  # this test's polling and ctl round trips


def takeover_bound(interval_ms):
    """Detection ends threshold x interval after the last heartbeat (clusterd arms a timer for
    that moment), and the last heartbeat left at most one interval before the kill."""
    return (THRESHOLD + 1) * interval_ms / 1000 + POLL_MARGIN_S


@pytest.fixture
def cluster(testbed):
    c = Cluster.up(testbed)
    try:
        yield c
    finally:
        for node in Cluster.NODES:
            c.bed.keel_node("stop", node, check=False)


def test_disabled_without_identity(testbed):
    """No EEPROM: clusterd runs and says cluster-id 0 (the CLI's "Chassis cluster is not
    enabled."); identity.set writes the EEPROM, and a restarted node is then in the cluster."""
    bed = testbed("cluster")
    c = Cluster(bed)
    bed.keel_node("start", "node0", "--bin", BIN)
    try:
        st = poll(lambda: c.status("node0"), timeout=10, what="clusterd answers")
        assert st["cluster_id"] == 0 and st["groups"] == [], st

        rep = pb_decode("IdentityReply", b"".join(
            c.ctl("node0", "identity.set", pb_varints(f1=1, f2=0))))
        assert "restart" in rep["message"], rep
        eeprom = bed.node_root("node0") / "var" / "lib" / "keel" / "chassis.eeprom"
        assert eeprom.read_bytes() == eeprom_record(1, 0)
        assert c.status("node0")["cluster_id"] == 0  # takes effect at the next start

        bed.keel_node("stop", "node0")
        bed.keel_node("start", "node0", "--bin", BIN)
        st = poll(lambda: c.status("node0"), timeout=10, what="clusterd answers again")
        assert (st["cluster_id"], st["node_id"]) == (1, 0), st
    finally:
        bed.keel_node("stop", "node0", check=False)


# 100 ms is the everyday test timer; 10 ms is keel's floor (a keel extension below Junos' 1000).
@pytest.mark.parametrize("interval_ms", [100, 10])
def test_cluster_basic(cluster, interval_ms):
    c = cluster
    lines = set_lines(interval=interval_ms, threshold=THRESHOLD,
                      reths={"reth0": (1, "ge0", ["10.1.0.1/24"])})
    # A coldsync participant on node1: joining node0 (primary) it must sync first.
    sub = Subscriber(c.sock("node1"), ["coldsync.start"])
    c.ctl("node1", "coldsync.register", pb_string(1, "testp"))
    c.commit_all(lines)

    # Coldsync gating: node1 gets "coldsync.start", carries CS and cannot be secondary
    # (eligible) until the participant reports done.
    poll(lambda: ("coldsync.start", {"participant": "testp"}) in sub.events(wait=0.2),
         timeout=15, what="coldsync.start for testp on node1")
    sub.close()
    info = c.information("node1")
    assert info["coldsync"] == "in progress" and info["coldsync_weight"] == 255, info
    # mgd registers as a participant too (config sync); the test's own is among them.
    assert {"name": "testp", "state": "in progress"} in info["participants"], info
    assert all("CS" in g["monitoring_failures"] for g in info["groups"]), info
    assert c.roles("node1")[0][1] == "ineligible", c.dump()
    c.ctl("node1", "coldsync.done", pb_string(1, "testp") + pb_varints(f2=1))

    # node0 has the higher priority in both groups; both nodes see the same picture.
    c.wait_roles({0: "node0", 1: "node0"}, timeout=15)
    info = c.information("node1")
    assert info["coldsync"] == "completed" and info["coldsync_weight"] == 0, info
    assert {"name": "testp", "state": "done"} in info["participants"], info
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

    # A control-link device deleted and created again (new ifindex): a socket bound to the
    # old device would hear nothing (notes §12); clusterd reopens on the link event.
    ns0, ns1 = c.bed.ns("node0"), c.bed.ns("node1")
    c.ip("node0", "link", "del", "em1")
    c.ip("node0", "link", "add", "em1", "type", "veth", "peer", "name", "em1", "netns", ns1)
    c.ip("node0", "link", "set", "em1", "up")
    c.ip("node1", "link", "set", "em1", "up")
    assert ns0 != ns1
    poll(lambda: all([x["status"] for x in c.interfaces(n)["control"]] == ["Up", "Up"]
                     for n in c.NODES), timeout=5, what="control link 1 Up on the new device")

    # An unrelated commit changes nothing in the cluster: no transition, no failover.
    hist = {n: [len(g["history"]) for g in c.information(n)["groups"]] for n in c.NODES}
    # (on the RG0 primary: the secondary refuses configuration and gets it by config sync)
    c.commit("node0", ["set interfaces ge1 description unrelated-change"])
    sent = {n: c.statistics(n)["control"][0]["sent"] for n in c.NODES}
    poll(lambda: all(c.statistics(n)["control"][0]["sent"] > sent[n] + 3 for n in c.NODES),
         timeout=5, what="heartbeats go on after the commit")
    assert {n: [len(g["history"]) for g in c.information(n)["groups"]] for n in c.NODES} == hist
    assert c.agree({0: "node0", 1: "node0"}), c.dump()

    # The primary's clusterd dies: node1 takes both groups within the detection time.
    sub = Subscriber(c.sock("node1"), ["rg.state", "cluster.peer"])
    c.kill("node0")
    _, took = wait_for(lambda: all(c.primary_of("node1", rg) == "node1" for rg in (0, 1)),
                       timeout=5, interval=0.005)
    roles = c.roles("node1")
    assert roles[0] == {0: "lost", 1: "primary"} and roles[1] == {0: "lost", 1: "primary"}, roles
    print(f"interval {interval_ms} ms: takeover {took * 1000:.0f} ms after kill -9 of node0's "
          f"clusterd (threshold x interval = {THRESHOLD * interval_ms} ms)")
    bound = takeover_bound(interval_ms)
    assert took <= bound, f"took {took:.3f}s > {bound:.3f}s"

    # Subscribers heard it: the peer lost, each group secondary -> primary with the reason.
    events = sub.events(wait=1.0)
    sub.close()
    assert ("cluster.peer", {"state": "lost", "peer_node": 0}) in events, events
    for rg in (0, 1):
        assert any(t == "rg.state" and e["redundancy_group"] == rg and e["from"] == "secondary"
                   and e["to"] == "primary" and e["reason"] == "Remote node lost"
                   and e["node_id"] == 1 for t, e in events), events
