"""clusterd failure scenarios (issue 4 "Tests that must pass"): a whole node dies, clusterd
alone dies (and whether the reth is ever active on two nodes), clusterd restarts on the
primary within the detection time.

Timing: heartbeats every 100 ms, threshold 3. The survivor arms its detection for threshold x
interval after the last heartbeat it accepted, and that heartbeat left at most one interval
before the kill, so the takeover comes at most threshold x interval after the kill; the issue
allows 50 ms on top for scheduling on a loaded machine. The takeover time is the new
primary's own `rg.state` event time (wall-clock ms stamped by clusterd when the engine took
the transition), minus the test's wall-clock instant just before the SIGKILLs, so the test's
polling does not enter the measurement.

The kill -9 strategy (fence.h): clusterd forks a fence at start-up; when clusterd dies the
fence sets the node's reth macvlans admin down at once, long before the peer's detection
time, so a dead clusterd never leaves an active reth. A restarted clusterd adopts the macvlan
inactive and becomes primary again only through the engine; when it returns within the
detection time the peer never takes over.
"""

import os
import signal
import time

import pytest
from cluster import (Capture, Cluster, Pinger, Subscriber, arp_frames, commit_both, kill_node,
                     reth_state, set_lines, start_clusterd, vmac)
from conftest import poll

INTERVAL_MS = 100
THRESHOLD = 3
SLACK_MS = 50  # issue 4: threshold x interval + 50 ms
RETH_IP = "10.1.0.1"
VMAC = vmac(1, 0)


@pytest.fixture
def cluster(testbed):
    c = Cluster.up(testbed)
    try:
        yield c
    finally:
        for node in Cluster.NODES:
            c.bed.keel_node("stop", node, check=False)


def bring_up(c, threshold=THRESHOLD, extra=()):
    commit_both(c, set_lines(interval=INTERVAL_MS, threshold=threshold,
                           reths={"reth0": (1, "ge0", [RETH_IP + "/24"])}, extra=extra))
    c.wait_roles({0: "node0", 1: "node0"}, timeout=15)
    poll(lambda: reth_state(c.bed, "node0") == (True, [RETH_IP + "/24"]), timeout=5,
         what="reth0 up with its address on node0")
    assert reth_state(c.bed, "node1")[0] is False


def takeover_time(sub, rg, node_id):
    """CLOCK_MONOTONIC seconds of the rg.state event making node_id primary of rg."""
    for t, e in sub.events(wait=0.5):
        if t == "rg.state" and e["redundancy_group"] == rg and e["to"] == "primary" \
                and e["node_id"] == node_id:
            return e["time_ms"] / 1000.0
    return None


def test_node_failure(cluster):
    """Every process of node0 killed and its links down: node1 primary within threshold x
    interval + 50 ms of the kill, GARPs from it on the host side, host1's pings to the reth
    go on after a bounded gap."""
    c = cluster
    bring_up(c)
    sub = Subscriber(c.sock("node1"), ["rg.state"])
    cap = Capture(c.bed, "host1", "eth0")
    ping = Pinger(c.bed, "host1", RETH_IP, interval=0.01, duration=3.0)
    poll(lambda: c.bed.ping("host1", RETH_IP), timeout=5, what="host1 reaches the reth")
    time.sleep(0.5)  # some steady-state pings before the kill (the gap is measured around it)
    wall_kill = time.time()
    kill_node(c.bed, "node0")

    got = {}

    def both_taken():
        for t, e in sub.events(wait=0.05):
            if t == "rg.state" and e["to"] == "primary" and e["node_id"] == 1:
                got[e["redundancy_group"]] = e["time_ms"] / 1000.0
        return len(got) == 2

    poll(both_taken, timeout=5, interval=0.01, what="node1 takes RG0 and RG1")
    sub.close()
    # rg.state time_ms is wall-clock ms (ctl.c); kill_node's instant is taken on both clocks
    detect = {rg: (t - wall_kill) * 1000 for rg, t in got.items()}
    bound = THRESHOLD * INTERVAL_MS + SLACK_MS
    print(f"node failure: takeover {detect[0]:.0f} / {detect[1]:.0f} ms (RG0 / RG1) after the "
          f"kill, bound {bound} ms")
    assert all(0 <= d <= bound for d in detect.values()), (detect, c.roles("node1"))
    assert reth_state(c.bed, "node1") == (True, [RETH_IP + "/24"])

    ping.wait()
    frames = arp_frames(cap.stop())
    garps = [f for f in frames if f["sha"] == VMAC and f["spa"] == RETH_IP
             and f["tpa"] == RETH_IP and f["t"] > wall_kill]
    assert len(garps) >= 4, frames  # gratuitous-arp-count default 4 (notes §6)
    first = min(f["t"] for f in garps) - wall_kill
    gap = ping.largest_gap()
    after = [s for t, s in ping.replies if t > wall_kill + bound / 1000 + 0.1]
    print(f"node failure: first GARP {first * 1000:.0f} ms after the kill, {len(garps)} GARPs; "
          f"host1 ping gap {gap * 1000:.0f} ms, {len(after)} replies after the takeover")
    # The gap: detection (<= bound) + one ping interval + the OVS lan learning the virtual
    # MAC on node1's port from the first GARP; 100 ms of scheduling slack on 2 shared cores.
    assert gap <= (bound + 10 + 100) / 1000, ping.text[-2000:]
    assert len(after) > 50, ping.replies[-5:]


def test_kill_clusterd_fence(cluster):
    """kill -9 of clusterd alone on the primary: its fence takes reth0 down at once; node1
    takes over on time; a capture on node0's lan port shows nothing for the reth from node0
    while node1 is active, although host1 keeps asking (ARP) for the reth address."""
    c = cluster
    bring_up(c)
    sub = Subscriber(c.sock("node1"), ["rg.state"])
    cap0 = Capture(c.bed, "node0", "ge0", direction="out")
    cap1 = Capture(c.bed, "node1", "ge0", direction="out")
    t_kill = time.monotonic()
    wall_kill = time.time()
    c.kill("node0")
    down_at = poll(lambda: (time.monotonic() if not reth_state(c.bed, "node0")[0] else None),
                   timeout=2, interval=0.005, what="the fence takes node0's reth0 down")
    print(f"fence: node0 reth0 down {(down_at - t_kill) * 1000:.0f} ms after the kill")
    assert down_at - t_kill < THRESHOLD * INTERVAL_MS / 1000

    poll(lambda: takeover_time(sub, 1, 1), timeout=3, interval=0.01,
         what="node1 primary of RG1")
    sub.close()
    # host1 asks for the reth again and again: only node1 may answer
    for _ in range(3):
        c.bed.run("host1", ["ip", "neigh", "flush", "dev", "eth0"])
        assert c.bed.ping("host1", RETH_IP), "host1 reaches the reth on node1"
    time.sleep(0.2)
    out0 = arp_frames(cap0.stop())
    out1 = arp_frames(cap1.stop())
    from0 = [f for f in out0 if f["t"] > wall_kill + 0.05 and
             (f["spa"] == RETH_IP or f["sha"] == VMAC)]
    assert from0 == [], f"node0 still speaks for the reth: {from0}"
    replies1 = [f for f in out1 if f["op"] == 2 and f["spa"] == RETH_IP and f["sha"] == VMAC]
    garps1 = [f for f in out1 if f["spa"] == RETH_IP and f["tpa"] == RETH_IP]
    assert replies1 and len(garps1) >= 4, (out0, out1)
    assert reth_state(c.bed, "node1")[0] and not reth_state(c.bed, "node0")[0]


def test_restart_within_detection(cluster):
    """clusterd on the primary killed and started again well within the detection time
    (threshold 8 x 100 ms here: restart + one interval to hear the peer + one to echo its
    session must fit): node1 never takes over, node0 is primary again with reth0 up."""
    c = cluster
    bring_up(c, threshold=8)
    sub = Subscriber(c.sock("node1"), ["rg.state", "cluster.peer"])
    t0 = time.monotonic()
    c.kill("node0")
    start_clusterd(c.bed, "node0")
    poll(lambda: c.status("node0")["cluster_id"] == 1, timeout=5, interval=0.01,
         what="the restarted clusterd answers")
    t_up = time.monotonic() - t0
    c.wait_roles({0: "node0", 1: "node0"}, timeout=10)
    t_back = time.monotonic() - t0
    poll(lambda: reth_state(c.bed, "node0")[0], timeout=3, what="reth0 up on node0 again")
    events = sub.events(wait=0.3)
    sub.close()
    print(f"restart: clusterd answering {t_up * 1000:.0f} ms, primary again "
          f"{t_back * 1000:.0f} ms after the kill (detection {8 * INTERVAL_MS} ms)")
    assert not any(t == "rg.state" and e["to"] == "primary" and e["node_id"] == 1
                   for t, e in events), events
    assert ("cluster.peer", {"state": "lost", "peer_node": 0}) not in events, events
    assert not reth_state(c.bed, "node1")[0]
    hist = c.information("node1")["groups"]
    assert not any(h["to"] == "primary" for g in hist for h in g["history"]), hist


def test_restart_after_takeover_adopts_inactive(cluster):
    """clusterd and its fence both killed (kill -9 of the process group): reth0 stays up on
    node0 with nobody to take it down; node1 takes over. The restarted clusterd adopts the
    macvlan but must take it down (node1 is primary now): before the fix it inherited the
    admin state and both nodes answered for the reth."""
    c = cluster
    bring_up(c)
    pid = c.pid("node0")
    os.killpg(os.getpgid(pid), signal.SIGKILL)
    poll(lambda: c.primary_of("node1", 1) == "node1", timeout=3, interval=0.01,
         what="node1 takes over")
    assert reth_state(c.bed, "node0")[0], "no fence: reth0 still up on node0 (the setup)"
    start_clusterd(c.bed, "node0")
    c.wait_roles({0: "node1", 1: "node1"}, timeout=10)
    poll(lambda: not reth_state(c.bed, "node0")[0], timeout=2,
         what="the restarted clusterd takes the adopted reth0 down")
    assert reth_state(c.bed, "node1")[0]
