"""clusterd operator and monitor driven failovers (issue 4 "Tests that must pass"): manual
failover with hold-down and reset through the CLI, preempt on and off, interface-monitor
weight failover, IP-monitoring failover.

Heartbeats every 100 ms, threshold 3; reth0 (RG1) on ge0 (lan), node0 has the higher
priority. Every wait is a bounded poll; the "nothing happens" checks watch for a stated
window (the rule's delay plus a margin) and fail on the first change.
"""

import re
import time

import pytest
from cluster import Cluster, Nft, commit_both, reth_state, set_lines
from conftest import poll

INTERVAL_MS = 100
RETH = {"reth0": (1, "ge0", ["10.1.0.1/24"])}


@pytest.fixture
def cluster(testbed):
    c = Cluster.up(testbed)
    try:
        yield c
    finally:
        for node in Cluster.NODES:
            c.bed.keel_node("stop", node, check=False)


def up(c, rg1_opts=None, extra=(), per_node=None):
    groups = {0: (200, 100, {}), 1: (200, 100, rg1_opts or {})}
    lines = {n: set_lines(interval=INTERVAL_MS, groups=groups, reths=RETH,
                          extra=list(extra) + list((per_node or {}).get(n, [])))
             for n in c.NODES}
    commit_both(c, lines["node0"], lines["node1"])
    c.wait_roles({0: "node0", 1: "node0"}, timeout=15)


def rg_node(c, viewer, rg, node_id):
    for g in c.status(viewer)["groups"]:
        if g["id"] == rg:
            for n in g["nodes"]:
                if n["node_id"] == node_id:
                    return n
    return None


def primaries_are(c, expect):
    """Both nodes see expect = {rg: primary node name}, and the other node not primary (it may
    be secondary-hold, ineligible...: agree() wants plain secondary)."""
    for viewer in c.NODES:
        roles = c.roles(viewer)
        for rg, prim in expect.items():
            want = c.NODES.index(prim)
            if roles.get(rg, {}).get(want) != "primary" or \
                    roles[rg].get(1 - want) == "primary":
                return False
    return True


def wait_primaries(c, expect, timeout):
    return poll(lambda: primaries_are(c, expect), timeout=timeout, interval=0.02,
                what=f"primaries {expect}")


def stays(c, expect, seconds):
    """Fails as soon as the primaries differ from expect within `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assert primaries_are(c, expect), c.dump()
        time.sleep(0.05)


def cli_rg_line(c, viewer, rg, node):
    out = c.cli(viewer, f"show chassis cluster status redundancy-group {rg}").stdout
    m = re.search(rf"^{node}\s+\d+\s+\S+\s+(yes|no)\s+(yes|no)\s+(\S+)\s*$", out, re.M)
    assert m, out
    return out, m


def test_manual_failover_hold_down_reset(cluster):
    c = cluster
    up(c, rg1_opts={"hold-down-interval": 3})
    t_fo = time.monotonic()
    r = c.cli("node0", "request chassis cluster failover redundancy-group 1 node 1")
    assert "Initiated manual failover for redundancy group 1" in r.stdout, r.stdout
    wait_primaries(c, {0: "node0", 1: "node1"}, timeout=2)
    poll(lambda: reth_state(c.bed, "node1")[0] and not reth_state(c.bed, "node0")[0],
         timeout=3, what="reth0 moved to node1")
    for viewer in c.NODES:
        out, m = cli_rg_line(c, viewer, 1, "node1")
        assert m.group(2) == "yes", out  # Manual
    assert c.roles("node0")[1][0] == "secondary-hold", c.dump()

    # Inside hold-down (3 s) the way back is refused, on either node.
    r = c.cli("node1", "request chassis cluster failover redundancy-group 1 node 0", check=False)
    assert time.monotonic() - t_fo < 3, "the refusal check came too late to mean anything"
    assert r.returncode != 0 and "hold-down" in (r.stdout + r.stderr), (r.stdout, r.stderr)
    assert primaries_are(c, {0: "node0", 1: "node1"})

    # Reset clears Manual on both nodes; node1 stays primary (no preempt).
    r = c.cli("node0", "request chassis cluster failover reset redundancy-group 1")
    assert "Successfully reset manual failover for redundancy group 1" in r.stdout, r.stdout
    poll(lambda: not any(rg_node(c, v, 1, n)["manual"] for v in c.NODES for n in (0, 1)),
         timeout=3, what="Manual no everywhere after reset")
    out, m = cli_rg_line(c, "node1", 1, "node1")
    assert m.group(2) == "no", out
    stays(c, {0: "node0", 1: "node1"}, 0.5)

    # After hold-down a new manual failover back to node0 is accepted.
    poll(lambda: c.cli("node0", "request chassis cluster failover redundancy-group 1 node 0",
                       check=False).returncode == 0, timeout=6, interval=0.25,
         what="failover back to node0 once hold-down expired")
    wait_primaries(c, {0: "node0", 1: "node0"}, timeout=5)
    assert time.monotonic() - t_fo >= 3


def test_preempt_on_off(cluster):
    c = cluster
    up(c)
    # node1's priority above node0's, no preempt: node0 keeps the group. Commits go to the
    # RG0 primary; config sync carries them to node1 (configuration mode is refused there).
    commit_both(c, ["set chassis cluster redundancy-group 1 node 1 priority 250"])
    poll(lambda: rg_node(c, "node0", 1, 1)["priority"] == 250, timeout=5,
         what="node0 hears node1's new priority (synced to node1)")
    stays(c, {0: "node0", 1: "node0"}, 1.0 + 5 * INTERVAL_MS / 1000)  # delay + 5 intervals

    # Preempt with delay 1 s: node1 takes over, not before the delay.
    t0 = time.monotonic()
    commit_both(c, ["set chassis cluster redundancy-group 1 preempt delay 1"])
    wait_primaries(c, {0: "node0", 1: "node1"}, timeout=5)
    took = time.monotonic() - t0
    print(f"preempt: takeover {took * 1000:.0f} ms after the commit (delay 1 s)")
    assert took >= 1.0, took
    hist = c.information("node1")["groups"]
    rg1 = [g for g in hist if g["id"] == 1][0]["history"]
    assert rg1[-1]["to"] == "primary" and rg1[-1]["reason"] == "Preempt", rg1
    out, m = cli_rg_line(c, "node1", 1, "node1")
    assert m.group(1) == "yes", out  # Preempt column


def test_interface_monitor(cluster):
    c = cluster
    up(c, rg1_opts={"interface-monitor ge1 weight": 255})
    t0 = time.monotonic()
    c.ip("node0", "link", "set", "ge1", "down")
    wait_primaries(c, {0: "node0", 1: "node1"}, timeout=5)
    print(f"interface-monitor: failover {(time.monotonic() - t0) * 1000:.0f} ms after ge1 down")
    n0 = rg_node(c, "node0", 1, 0)
    assert n0["weight"] == 0 and "IF" in n0["monitor_failures"], n0
    assert n0["status"] in ("secondary-hold", "ineligible", "secondary"), n0
    out, m = cli_rg_line(c, "node1", 1, "node0")
    assert "IF" in m.group(3), out
    poll(lambda: reth_state(c.bed, "node1")[0] and not reth_state(c.bed, "node0")[0],
         timeout=3, what="reth0 on node1 only")
    # The interface back: the code clears, the group stays where it is (no preempt).
    c.ip("node0", "link", "set", "ge1", "up")
    poll(lambda: rg_node(c, "node1", 1, 0)["monitor_failures"] in ("", "None"), timeout=5,
         what="IF cleared")
    stays(c, {0: "node0", 1: "node1"}, 0.5)


def test_ip_monitoring(cluster):
    """host1 (10.1.0.10) is pinged by both nodes: node0 from the reth, node1 from its
    secondary-ip-address. Echo replies dropped on node0's ge0 (netdev ingress, before the
    packet sockets see them): unreachable from the primary, reachable from the secondary ->
    failover with the IP code. retry-count 5 x retry-interval 1 s (Junos minimums)."""
    c = cluster
    ipm = "set chassis cluster redundancy-group 1 ip-monitoring"
    common = [f"{ipm} global-weight 255", f"{ipm} retry-interval 1", f"{ipm} retry-count 5"]
    per = {n: [f"{ipm} family inet 10.1.0.10 weight 255 interface reth0.0 "
               f"secondary-ip-address 10.1.0.{2 + i}"] for i, n in enumerate(c.NODES)}
    up(c, extra=common, per_node=per)
    nft = Nft(c.bed, "node0", family="netdev")
    try:
        nft.chain("in", "type filter hook ingress device ge0 priority 0")
        poll(lambda: all(rg_node(c, v, 1, v == "node1")["monitor_failures"] in ("", "None")
                         for v in c.NODES), timeout=5, what="no monitor failure at first")
        # both nodes have had replies (Reachable) before the block
        time.sleep(1.5)
        t0 = time.monotonic()
        nft.rule("in", "ip protocol icmp counter drop")
        wait_primaries(c, {0: "node0", 1: "node1"}, timeout=10)
        took = time.monotonic() - t0
        print(f"ip-monitoring: failover {took:.1f} s after the block (5 x 1 s probes)")
        assert took >= 4.0, took  # retry-count probes must fail first
        n0 = rg_node(c, "node0", 1, 0)
        assert "IP" in n0["monitor_failures"] and n0["weight"] == 0, n0
        assert "IP" not in rg_node(c, "node1", 1, 1)["monitor_failures"], c.dump()
        out, m = cli_rg_line(c, "node0", 1, "node0")
        assert "IP" in m.group(3), out
        stays(c, {0: "node0", 1: "node1"}, 1.0)
    finally:
        nft.close()
