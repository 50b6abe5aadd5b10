"""clusterd link failures (issue 4 "Tests that must pass"): one control link down, both
control links down with the fabric up (the Junos control-link failure: the secondary is
disabled and silent, control-link-recovery brings it back), and control + fabric cut with and
without an activeness probe.

Loss injection is nftables in the nodes' namespaces (notes cluster.md §12; the kernel has no
netem): heartbeats are IP protocol 250, fabric probes 254. "Silent" is proved on the wire: a
capture on the node's lan port (outgoing) while host1 keeps asking for the reth address by
ARP must hold no ARP for the reth from that node.

Heartbeats every 100 ms, threshold 3 (detection 300 ms).
"""

import re
import time

import pytest
from cluster import (Capture, Cluster, Nft, arp_frames, commit_both, drop_proto, reth_state,
                     set_lines, vmac)
from conftest import poll

INTERVAL_MS = 100
THRESHOLD = 3
DETECT_S = THRESHOLD * INTERVAL_MS / 1000
RETH_IP = "10.1.0.1"
RETHS = {"reth0": (1, "ge0", [RETH_IP + "/24"])}
PROBE_TARGET = "10.2.0.20"  # host2 on the wan
NODE_WAN = {"node0": "10.2.0.2/24", "node1": "10.2.0.3/24"}


@pytest.fixture
def cluster(testbed):
    c = Cluster.up(testbed)
    rules = []
    try:
        yield c, rules
    finally:
        for r in rules:
            r.close()
        for node in Cluster.NODES:
            c.bed.keel_node("stop", node, check=False)


def up(c, extra=()):
    commit_both(c, set_lines(interval=INTERVAL_MS, threshold=THRESHOLD, reths=RETHS,
                           extra=extra))
    c.wait_roles({0: "node0", 1: "node0"}, timeout=15)


def local_state(c, node, rg):
    return c.roles(node)[rg][c.NODES.index(node)]


def arp_for_reth(frames, since):
    return [f for f in arp_frames(frames) if f["t"] >= since and
            (f["spa"] == RETH_IP or f["sha"] == vmac(1, 0))]


def ask_for_reth(c, times=3):
    """host1 forgets the reth's MAC and asks again (ARP), `times` times."""
    for _ in range(times):
        c.bed.run("host1", ["ip", "neigh", "flush", "dev", "eth0"])
        c.bed.ping("host1", RETH_IP)


def test_one_control_link_down(cluster):
    c, rules = cluster
    up(c)
    hist = {n: [len(g["history"]) for g in c.information(n)["groups"]] for n in c.NODES}

    def link_status(node):
        out = c.cli(node, "show chassis cluster interfaces").stdout
        return dict(re.findall(r"^\s+([01])\s+em[01]\s+(Up|Down)\s", out, re.M)), out

    # Link 0 down at node1's end: both nodes see control link 0 Down, 1 Up.
    c.ip("node1", "link", "set", "em0", "down")
    poll(lambda: all(link_status(n)[0] == {"0": "Down", "1": "Up"} for n in c.NODES),
         timeout=3, what="control link 0 Down in the CLI on both nodes")
    assert "Control link status: Up" in link_status("node0")[1]
    c.ip("node1", "link", "set", "em0", "up")
    poll(lambda: all(link_status(n)[0] == {"0": "Up", "1": "Up"} for n in c.NODES),
         timeout=3, what="control link 0 Up again")

    # The other link, the other direction: node0 stops sending on em1 only (one-way loss).
    n = Nft(c.bed, "node0")
    rules.append(n)
    n.chain("out", "type filter hook output priority 0")
    n.rule("out", 'oifname "em1" ip protocol 250 counter drop')
    poll(lambda: link_status("node1")[0] == {"0": "Up", "1": "Down"}, timeout=3,
         what="node1 shows control link 1 Down")
    time.sleep(2 * DETECT_S)
    assert c.agree({0: "node0", 1: "node0"}), c.dump()
    n.close()
    poll(lambda: link_status("node1")[0] == {"0": "Up", "1": "Up"}, timeout=3,
         what="control link 1 Up again")
    # No transition anywhere while one link was down.
    assert {n: [len(g["history"]) for g in c.information(n)["groups"]] for n in c.NODES} == hist
    assert c.agree({0: "node0", 1: "node0"}), c.dump()


def test_both_control_links_down_fabric_up(cluster):
    c, rules = cluster
    up(c, extra=["set chassis cluster control-link-recovery"])
    cap1 = Capture(c.bed, "node1", "ge0", direction="out")
    since = time.time()
    t0 = time.monotonic()
    for node in c.NODES:
        rules.append(drop_proto(c.bed, node, [250]))
    poll(lambda: all(local_state(c, "node1", rg) == "disabled" for rg in (0, 1)),
         timeout=5, interval=0.02, what="node1 disabled in RG0 and RG1")
    print(f"control-link failure: node1 disabled {(time.monotonic() - t0) * 1000:.0f} ms after "
          f"the cut (detection {DETECT_S * 1000:.0f} ms)")
    hist = [g for g in c.information("node1")["groups"] if g["id"] == 1][0]["history"]
    assert [h["to"] for h in hist[-2:]] == ["ineligible", "disabled"], hist
    assert all(local_state(c, "node0", rg) == "primary" for rg in (0, 1)), c.dump()
    info = c.information("node0")
    assert info["peer"] in ("disabled", "alive"), info
    assert not reth_state(c.bed, "node1")[0] and reth_state(c.bed, "node0")[0]
    ask_for_reth(c)
    time.sleep(0.3)
    frames = cap1.stop()
    assert arp_for_reth(frames, since) == [], arp_for_reth(frames, since)

    # Heal: three good heartbeats and node1 rejoins as secondary.
    t1 = time.monotonic()
    for r in rules:
        r.close()
    rules.clear()
    c.wait_roles({0: "node0", 1: "node0"}, timeout=10)
    print(f"control-link-recovery: node1 secondary again {(time.monotonic() - t1) * 1000:.0f} "
          f"ms after the heal")


def cut(c, rules):
    for node in c.NODES:
        rules.append(drop_proto(c.bed, node, [250, 254]))


def log_has(c, node, text):
    p = c.bed.node_root(node) / "var" / "log" / "keel" / "clusterd.log"
    return text in p.read_text(errors="replace")


def test_split_with_activeness_probe(cluster):
    """Control and fabric cut; node1 cannot reach the probe target: node0 keeps both groups,
    node1 stays secondary and silent, so there is at most one primary at every sample."""
    c, rules = cluster
    for node, addr in NODE_WAN.items():
        c.ip(node, "addr", "add", addr, "dev", "ge1")
    up(c, extra=[f"set chassis cluster activeness-probe dest-ip {PROBE_TARGET}",
                 "set chassis cluster activeness-probe interval 100",
                 "set chassis cluster activeness-probe retry-count 3"])
    poll(lambda: all(log_has(c, n, "activeness probe: reachable") for n in c.NODES),
         timeout=5, what="both nodes reach the probe target")
    block = Nft(c.bed, "node1")
    rules.append(block)
    block.chain("out", "type filter hook output priority 0")
    block.rule("out", f"ip daddr {PROBE_TARGET} icmp type echo-request counter drop")
    poll(lambda: log_has(c, "node1", "activeness probe: unreachable"), timeout=3,
         what="node1 loses its probe target (3 x 100 ms)")

    cap1 = Capture(c.bed, "node1", "ge0", direction="out")
    since = time.time()
    cut(c, rules)
    end = time.monotonic() + 4 * DETECT_S + 0.5
    samples = 0
    while time.monotonic() < end:
        # node1 first, node0 last: a node0 that was primary before and after node1's sample
        # was primary at that sample's instant too
        a = local_state(c, "node1", 1)
        b = local_state(c, "node0", 1)
        assert not (a == "primary" and b == "primary"), c.dump()
        samples += 1
        time.sleep(0.02)
    roles1 = c.roles("node1")
    assert roles1[0] == {0: "lost", 1: "secondary"} and roles1[1] == {0: "lost", 1: "secondary"}, \
        roles1
    assert all(local_state(c, "node0", rg) == "primary" for rg in (0, 1)), c.dump()
    ask_for_reth(c)
    frames = cap1.stop()
    assert arp_for_reth(frames, since) == [], arp_for_reth(frames, since)
    print(f"activeness probe: {samples} samples over the cut, never two primaries")


def test_split_without_probe_two_primaries(cluster):
    """The same cut with no activeness probe: Junos behaviour, the survivor takes over, so
    both nodes are primary; healing the cut leaves one (the election loser steps down)."""
    c, rules = cluster
    up(c)
    t0 = time.monotonic()
    cut(c, rules)
    poll(lambda: all(local_state(c, "node1", rg) == "primary" for rg in (0, 1)), timeout=3,
         interval=0.02, what="node1 takes over on the cut")
    print(f"split without probe: node1 primary {(time.monotonic() - t0) * 1000:.0f} ms after "
          f"the cut; node0 still primary: two primaries (Junos)")
    assert all(local_state(c, "node0", rg) == "primary" for rg in (0, 1)), c.dump()
    assert reth_state(c.bed, "node0")[0] and reth_state(c.bed, "node1")[0]
    for r in rules:
        r.close()
    rules.clear()
    c.wait_roles({0: "node0", 1: "node0"}, timeout=5)
    poll(lambda: not reth_state(c.bed, "node1")[0], timeout=2, what="node1's reth0 down")
