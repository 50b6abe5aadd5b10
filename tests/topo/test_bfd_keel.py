"""keel bfdd <-> keel bfdd (issue 5), two keel nodes on one veth (init/topologies/bfd-keel.toml).

Up over IPv4 and IPv6; a live interval change committed on each side runs a poll sequence
(RFC 5880 §6.5, §6.8.3) with no Down transition and the new interval in effect; failure
detected within the Detection Time and recovery; each of the five authentication types Up,
a wrong key never Up; malformed packets (scapy: bad version, length, multiplier 0,
discriminator 0 in Up, bad auth length, TTL below 255) dropped and counted per reason while
the session and the daemon keep running; clients over ctl (session.add / session.delete,
refcounts, claims gone with the connection) and the "bfd.session" event.
"""

import subprocess
import time

import pytest

from bfd import (Events, Keel, bfd_packet, drops, nft_clear, nft_drop, send_raw,
                 session_request, pb_decode)
from conftest import CtlError, poll

pytestmark = pytest.mark.topo

ALGS = ["simple-password", "keyed-md5", "meticulous-keyed-md5", "keyed-sha-1",
        "meticulous-keyed-sha-1"]


@pytest.fixture(scope="module")
def pair(module_testbed):
    mp = pytest.MonkeyPatch()
    mp.setenv("KEEL_DAEMONS", "mgd bfdd")
    try:
        bed = module_testbed("bfd-keel", start_nodes=True)
    finally:
        mp.undo()
    k1, k2 = Keel(bed, "k1"), Keel(bed, "k2")
    for k, peer, peer6 in ((k1, "10.99.0.2", "fd00:99::2"), (k2, "10.99.0.1", "fd00:99::1")):
        k.commit(["set security authentication-key-chains key-chain kc key 3 secret s3cret",
                  "set security authentication-key-chains key-chain bad key 3 secret wrong",
                  f"set protocols bfd session {peer} interface eth0 minimum-interval 100",
                  f"set protocols bfd session {peer6} interface eth0 minimum-interval 100"])
    k1.wait_state("10.99.0.2", "Up", timeout=15)
    k2.wait_state("10.99.0.1", "Up", timeout=15)
    k1.wait_state("fd00:99::2", "Up", timeout=15)
    return bed, k1, k2


def set_interval(k, peer, ms):
    k.commit([f"set protocols bfd session {peer} minimum-interval {ms}"])


def test_up_and_negotiated(pair):
    bed, k1, k2 = pair
    s1, s2 = k1.session("10.99.0.2"), k2.session("10.99.0.1")
    assert s1["remote_discriminator"] == s2["local_discriminator"]
    assert s2["remote_discriminator"] == s1["local_discriminator"]
    assert s1["transmit_interval_us"] == 100000 and s1["detection_time_us"] == 300000
    out = k1.cli("show bfd session").stdout
    assert "2 sessions, 2 clients" in out, out


def test_poll_sequence_without_flap(pair):
    bed, k1, k2 = pair
    ev1, ev2 = Events(k1), Events(k2)
    try:
        ups = (k1.session("10.99.0.2")["up_transitions"], k2.session("10.99.0.1")["up_transitions"])
        # k1 wants 50 ms: its packets say so at once (P set); k2 answers F; k1 still sends at
        # max(50, k2's rx 100) = 100 ms until k2 also goes to 50.
        set_interval(k1, "10.99.0.2", 50)
        s = poll(lambda: (x := k1.session("10.99.0.2")) and not x["poll_active"]
                 and x["desired_min_tx_us"] == 50000 and x, timeout=5, what="k1 poll done")
        assert s["transmit_interval_us"] == 100000
        poll(lambda: k2.session("10.99.0.1")["remote_min_tx_us"] == 50000, timeout=5,
             what="k2 learnt k1's 50 ms")
        set_interval(k2, "10.99.0.1", 50)
        s = poll(lambda: (x := k1.session("10.99.0.2")) and x["transmit_interval_us"] == 50000
                 and x["detection_time_us"] == 150000 and x, timeout=5,
                 what="50 ms in effect on k1")
        poll(lambda: (x := k2.session("10.99.0.1")) and x["transmit_interval_us"] == 50000
             and not x["poll_active"], timeout=5, what="50 ms in effect on k2")
        # And back to a slower rate: the Detection Time grows only after the Final.
        set_interval(k1, "10.99.0.2", 200)
        poll(lambda: (x := k1.session("10.99.0.2")) and not x["poll_active"]
             and x["transmit_interval_us"] == 200000, timeout=5, what="k1 at 200 ms")
        time.sleep(1.0)
        for ev, k, peer, up in ((ev1, k1, "10.99.0.2", ups[0]), (ev2, k2, "10.99.0.1", ups[1])):
            bad = [e for e in ev.events() if e["key"]["peer"] == peer]
            assert not bad, f"state changes during the interval change: {bad}"
            s = k.session(peer)
            assert s["state"] == "Up" and s["up_transitions"] == up, s
    finally:
        ev1.close()
        ev2.close()
        set_interval(k1, "10.99.0.2", 100)
        set_interval(k2, "10.99.0.1", 100)


def test_detection_and_recovery(pair):
    bed, k1, k2 = pair
    s = k1.wait_state("10.99.0.2", "Up")
    detect = s["detection_time_us"] / 1e6
    ev = Events(k1)
    # The state change also goes to the node's telemetry bus (OpenConfig BFD paths).
    # The nft rule below cuts the IPv6 session too, and the two changes may come as one
    # message or two in either order: read up to two (bounded by -W) and look for ours.
    sub = subprocess.Popen(["ip", "netns", "exec", bed.ns("k1"), "mosquitto_sub", "-h",
                            "127.0.0.1", "-p", "51883", "-t", "keel/bfdd/bfd-state", "-C", "2",
                            "-W", "4", "-F", "%x"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    try:
        nft_drop(bed, "k2", dport=3784)
        t0 = time.monotonic()
        down = poll(lambda: [e for e in ev.events(0.02) if e["key"]["peer"] == "10.99.0.2"
                             and e["state"] == "Down"], timeout=5, interval=0.001,
                    what="k1 declares k2 down")
        elapsed = time.monotonic() - t0
        assert down[0]["local_diagnostic"] == "Control Detection Time Expired"
        assert elapsed <= detect + 0.1, f"detected after {elapsed:.3f} s (detect {detect})"
        disc = down[0]["local_discriminator"]
        want = (f"/bfd/interfaces/interface[id=eth0]/peers/peer[local-discriminator={disc}]"
                f"/state/session-state").encode()
        payloads = [bytes.fromhex(ln.strip())
                    for ln in sub.communicate(timeout=10)[0].splitlines() if ln.strip()]
        ours = [p for p in payloads if want in p]
        assert ours, payloads
        assert b"DOWN" in ours[0] and b"DETECTION_TIMEOUT" in ours[0], ours[0]
    finally:
        if sub.poll() is None:
            sub.kill()
        nft_clear(bed, "k2")
        ev.close()
    k1.wait_state("10.99.0.2", "Up", timeout=10)
    k2.wait_state("10.99.0.1", "Up", timeout=10)


@pytest.mark.parametrize("alg", ALGS)
def test_auth_types(pair, alg):
    bed, k1, k2 = pair
    for k, peer in ((k1, "10.99.0.2"), (k2, "10.99.0.1")):
        k.commit([f"set protocols bfd session {peer} authentication algorithm {alg}",
                  f"set protocols bfd session {peer} authentication key-chain kc"])
    s = k1.wait_state("10.99.0.2", "Up", timeout=15)
    assert s["authentication"] == alg
    k2.wait_state("10.99.0.1", "Up", timeout=5)
    before = {r: c for r, c in drops(k1.session("10.99.0.2")).items()}
    time.sleep(0.5)
    after = drops(k1.session("10.99.0.2"))
    grew = {r for r in after if after[r] != before.get(r, 0)}
    assert not grew, f"drops while Up with {alg}: {grew}"


def test_wrong_key_never_up(pair):
    bed, k1, k2 = pair
    try:
        for k, peer in ((k1, "10.99.0.2"), (k2, "10.99.0.1")):
            k.commit([f"set protocols bfd session {peer} authentication algorithm keyed-sha-1",
                      f"set protocols bfd session {peer} authentication key-chain kc"])
        k1.wait_state("10.99.0.2", "Up", timeout=15)
        k2.commit(["set protocols bfd session 10.99.0.1 authentication key-chain bad"])
        k1.wait_state("10.99.0.2", "Down", timeout=5)
        ups = k1.session("10.99.0.2")["up_transitions"]
        poll(lambda: drops(k1.session("10.99.0.2")).get("authentication failed", 0) >= 3,
             timeout=5, what="wrong key counted")
        time.sleep(2.0)
        assert k1.session("10.99.0.2")["up_transitions"] == ups
        assert k2.session("10.99.0.1")["state"] != "Up"
    finally:
        for k, peer in ((k1, "10.99.0.2"), (k2, "10.99.0.1")):
            k.commit([f"delete protocols bfd session {peer} authentication"])
    k1.wait_state("10.99.0.2", "Up", timeout=15)


def test_malformed_packets(pair):
    bed, k1, k2 = pair
    s = k1.wait_state("10.99.0.2", "Up")
    ups = s["up_transitions"]
    my = s["local_discriminator"]
    before = drops(k1.summary())
    cases = {
        "bad version": bfd_packet(version=2, your_disc=my),
        "length too short": bfd_packet(length=20, your_disc=my),
        "length exceeds payload": bfd_packet(length=40, your_disc=my),
        "detect multiplier zero": bfd_packet(mult=0, your_disc=my),
        "your discriminator zero": bfd_packet(state=3, your_disc=0),
        # A set, Auth Type 1 (simple), Auth Len 2: shorter than the 3 + 1 a password needs.
        "bad authentication length": bfd_packet(flags=0x04, your_disc=my,
                                                auth=bytes([1, 2, 3, 0])),
        "truncated": b"\x20\x40",
    }
    send_raw(bed, "k2", "10.99.0.1", list(cases.values()))
    send_raw(bed, "k2", "10.99.0.1", [bfd_packet(your_disc=my)], ttl=64)  # RFC 5881 §5
    want = dict((r, 1) for r in cases)
    want["bad TTL"] = 1
    after = poll(lambda: (d := drops(k1.summary())) and all(
        d.get(r, 0) - before.get(r, 0) >= n for r, n in want.items()) and d, timeout=5,
        what="every malformed packet counted by reason")
    assert after
    assert k1.alive()
    time.sleep(0.5)
    s = k1.session("10.99.0.2")
    assert s["state"] == "Up" and s["up_transitions"] == ups, s
    assert "2 sessions, 2 clients" in k1.cli("show bfd session").stdout  # still answering


def test_clients(pair):
    bed, k1, k2 = pair
    ev = Events(k1)
    other = Events(k1)
    try:
        # A client claims the configured session: two clients, nothing restarts.
        disc = k1.session("10.99.0.2")["local_discriminator"]
        parts = ev.call("session.add", session_request("static", "10.99.0.2", interface="eth0",
                                                       interval=300, mult=3))
        s = pb_decode("Session", parts[0])
        assert s["local_discriminator"] == disc and sorted(s["clients"]) == ["config", "static"]
        # The config decides the parameters while it holds the session.
        assert s["configured_min_tx_us"] == 100000
        # A session only a client wants (a peer that does not answer: a second session to
        # k2 would be demultiplexed onto k2's one by address): created, refcounted, deleted
        # on the last release.
        req = session_request("static", "10.99.0.66", interface="eth0", interval=100,
                              local="10.99.0.1")
        ev.call("session.add", req)
        ev.call("session.add", req)
        assert k1.session("10.99.0.66")["clients"] == ["static"]
        ev.call("session.delete", req)
        assert k1.session("10.99.0.66") is not None
        ev.call("session.delete", req)
        poll(lambda: k1.session("10.99.0.66") is None, timeout=3,
             what="client session gone after its last release")
        with pytest.raises(CtlError):
            ev.call("session.delete", req)
        with pytest.raises(CtlError):
            ev.call("session.add", session_request("config", "10.99.0.9", interval=100))
        with pytest.raises(CtlError):
            ev.call("session.add", session_request("static", "10.0.0.300", interval=100))
        # Another connection's claim goes with its connection.
        other.call("session.add", session_request("cluster", "10.99.0.77", interface="eth0",
                                                  interval=1000))
        assert k1.session("10.99.0.77")["clients"] == ["cluster"]
        created = [e for e in ev.events(0.2) if e["key"]["peer"] == "10.99.0.77"]
        assert created and created[0]["state"] == "Down"
        other.close()
        poll(lambda: k1.session("10.99.0.77") is None, timeout=3,
             what="claim dropped with its connection")
        gone = poll(lambda: [e for e in ev.events(0.05) if e["key"]["peer"] == "10.99.0.77"
                             and e["deleted"]], timeout=3, what="deleted event")
        assert gone
    finally:
        ev.close()
    # The configured session kept running throughout, now with one client again.
    poll(lambda: k1.session("10.99.0.2")["clients"] == ["config"], timeout=3,
         what="static claim gone with its connection")
    assert k1.session("10.99.0.2")["state"] == "Up"


def _echo_on_wire(bed, node):
    """tcpdump on node's eth0: (source, ttl) of the UDP 3785 packets seen."""
    p = bed.run(node, ["timeout", "5", "tcpdump", "-nn", "-v", "-l", "-c", "60", "-i", "eth0",
                       "udp dst port 3785"], check=False, timeout=15)
    seen, ttl = [], None
    for line in p.stdout.splitlines():
        if "ttl " in line:
            ttl = int(line.split("ttl ")[1].split(",")[0])
        elif ".3785:" in line and ttl is not None:
            src, dst = line.split()[0], line.split()[2]
            seen.append((src.rsplit(".", 1)[0], dst.rsplit(".", 1)[0], ttl))
            ttl = None
    return seen


def test_echo(pair):
    """RFC 5880 §6.4/§6.8.9, RFC 5881 §4: echo Up both ways, control slowed to 1 s; dropping
    only UDP 3785 takes the session Down with Echo Function Failed within the echo detection
    time, once: it comes back Up through control with echo only probing (dampening, session.c)
    for as long as the drop lasts; echo is relied on again 1 s after the drop is removed."""
    bed, k1, k2 = pair
    for n in ("k1", "k2"):  # each side's kernel loops the other's echo packets
        bed.run(n, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    ev = ev2 = None
    try:
        for k, peer in ((k1, "10.99.0.2"), (k2, "10.99.0.1")):
            k.commit([f"set protocols bfd session {peer} echo-interval 50"])
        for k, peer in ((k1, "10.99.0.2"), (k2, "10.99.0.1")):
            s = poll(lambda: (x := k.session(peer)) and x["echo_active"]
                     and x["echo_packets_received"] >= 10 and not x["poll_active"]
                     and x["required_min_rx_us"] == 1000000 and x, timeout=10,
                     what=f"{k.node}: echo active")
            assert s["echo_tx_interval_us"] == 50000 and s["echo_detection_time_us"] == 150000
            assert s["required_min_echo_rx_us"] == 50000 and s["remote_min_echo_rx_us"] == 50000
        # §6.8.3: with echo running each side asks for control packets once a second.
        poll(lambda: k1.session("10.99.0.2")["transmit_interval_us"] == 1000000
             and k2.session("10.99.0.1")["transmit_interval_us"] == 1000000, timeout=5,
             what="control slowed to 1 s")
        seen = _echo_on_wire(bed, "k1")
        for me in ("10.99.0.1", "10.99.0.2"):
            out = [x for x in seen if x[0] == me and x[1] == me]
            assert {t for _, _, t in out} == {255, 254}, (me, seen)  # sent, and looped back
        out = k1.cli("show bfd session address 10.99.0.2 extensive").stdout
        assert "Echo mode enabled/active, echo interval 0.050" in out, out
        assert "Echo detection time 0.150" in out, out
        up = k1.session("10.99.0.2")["up_transitions"]

        ev = Events(k1)
        ev2 = Events(k2)
        nft_drop(bed, "k2", dport=3785, hook="forward")  # k1's echoes die at k2; control lives
        t0 = time.monotonic()
        down = poll(lambda: [e for e in ev.events(0.02) if e["key"]["peer"] == "10.99.0.2"
                             and e["state"] == "Down"], timeout=5, interval=0.001,
                    what="k1: echo failure")
        elapsed = time.monotonic() - t0
        assert down[0]["local_diagnostic"] == "Echo Function Failed", down[0]
        assert elapsed <= 0.150 + 0.35, f"echo failure after {elapsed:.3f} s"
        print(f"echo failure detected {elapsed * 1000:.0f} ms after the drop (echo detection "
              f"time 150 ms); echo rtt {s['echo_rtt_us']} us")
        # Dampening: back Up through control, echo only probing while the drop lasts (3 s, 20
        # echo detection times): no second Down on either side.
        s = poll(lambda: (x := k1.session("10.99.0.2")) and x["state"] == "Up" and x,
                 timeout=5, what="k1: Up again through control")
        time.sleep(3)
        s = k1.session("10.99.0.2")
        assert s["state"] == "Up" and s["echo_probing"] and not s["echo_active"], s
        assert s["echo_failures"] == 1 and s["echo_holddown_us"] == 1000000, s
        assert s["required_min_rx_us"] == 100000, s  # control is the detector again
        downs = [e for e in down + ev.events(0.05) if e["key"]["peer"] == "10.99.0.2"
                 and e["state"] == "Down"]
        downs2 = [e for e in ev2.events(0.05) if e["key"]["peer"] == "10.99.0.1"
                  and e["state"] == "Down"]
        assert len(downs) == 1, downs
        assert len(downs2) <= 1, downs2
        print(f"echo dropped 3 s: k1 {len(downs)} Down event, k2 {len(downs2)}; "
              f"{s['echo_packets_sent']} echo probes sent")
    finally:
        nft_clear(bed, "k2")
    try:
        t1 = time.monotonic()
        s = poll(lambda: (x := k1.session("10.99.0.2")) and x["state"] == "Up"
                 and x["echo_active"] and x, timeout=10, interval=0.02,
                 what="k1: echo relied on again")
        rearm = time.monotonic() - t1
        assert rearm >= 0.9, f"echo re-armed {rearm:.3f} s after the heal, before its hold-down"
        print(f"echo re-armed {rearm * 1000:.0f} ms after the drop was removed (hold-down 1 s)")
        assert s["up_transitions"] == up + 1
        assert not s["echo_probing"]
        poll(lambda: k1.session("10.99.0.2")["required_min_rx_us"] == 1000000, timeout=5,
             what="k1: control back to the 1 s backstop")
        ev.events()
        time.sleep(1.5)
        bad = [e for e in ev.events() if e["key"]["peer"] == "10.99.0.2"
               and e["state"] != "Up"]
        assert not bad, f"state changes after recovery: {bad}"
    finally:
        if ev:
            ev.close()
        if ev2:
            ev2.close()
        for k, peer in ((k1, "10.99.0.2"), (k2, "10.99.0.1")):
            k.commit([f"delete protocols bfd session {peer} echo-interval"])
        for n in ("k1", "k2"):
            bed.run(n, ["sysctl", "-qw", "net.ipv4.ip_forward=0"])
    s = poll(lambda: (x := k1.session("10.99.0.2")) and x["state"] == "Up"
             and not x["echo_active"] and x["required_min_rx_us"] == 100000
             and not x["poll_active"] and x, timeout=10, what="k1: echo off, 100 ms again")


def test_echo_ipv6(pair):
    """Echo over IPv6 (link-layer to the peer's MAC from the ND table, the peer's IPv6
    forwarding loops it, Hop Limit 255 out and 254 back); failure and recovery."""
    bed, k1, k2 = pair
    for n in ("k1", "k2"):
        bed.run(n, ["sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"])
    try:
        for k, peer in ((k1, "fd00:99::2"), (k2, "fd00:99::1")):
            k.commit([f"set protocols bfd session {peer} echo-interval 50"])
        for k, peer in ((k1, "fd00:99::2"), (k2, "fd00:99::1")):
            s = poll(lambda: (x := k.session(peer)) and x["echo_active"]
                     and x["echo_packets_received"] >= 10 and x, timeout=10,
                     what=f"{k.node}: IPv6 echo active")
            assert s["required_min_echo_rx_us"] == 50000 and s["remote_min_echo_rx_us"] == 50000
        p = bed.run("k1", ["timeout", "5", "tcpdump", "-nn", "-v", "-c", "20", "-i", "eth0",
                           "ip6 and udp dst port 3785 and src host fd00:99::1"], check=False,
                    timeout=15)
        hl = {ln.split("hlim ")[1].split(",")[0] for ln in p.stdout.splitlines() if "hlim" in ln}
        assert hl == {"255", "254"}, p.stdout
        ev = Events(k1)
        nft_drop(bed, "k2", dport=3785, hook="forward")
        down = poll(lambda: [e for e in ev.events(0.02) if e["key"]["peer"] == "fd00:99::2"
                             and e["state"] == "Down"], timeout=5, interval=0.001,
                    what="k1: IPv6 echo failure")
        assert down[0]["local_diagnostic"] == "Echo Function Failed", down[0]
        ev.close()
    finally:
        nft_clear(bed, "k2")
        for k, peer in ((k1, "fd00:99::2"), (k2, "fd00:99::1")):
            k.commit([f"delete protocols bfd session {peer} echo-interval"])
        for n in ("k1", "k2"):
            bed.run(n, ["sysctl", "-qw", "net.ipv6.conf.all.forwarding=0"])
    poll(lambda: (x := k1.session("fd00:99::2")) and x["state"] == "Up"
         and not x["echo_active"], timeout=10, what="k1: IPv6 Up without echo")


def test_thresholds(pair):
    """Junos transmit-interval threshold / detection-time threshold: crossing logged, counted,
    in the bfd.session event and in show bfd session extensive; back below clears it."""
    bed, k1, k2 = pair
    k1.wait_state("10.99.0.2", "Up")
    k1.commit(["set protocols bfd session 10.99.0.2 transmit-interval threshold 150",
               "set protocols bfd session 10.99.0.2 detection-time threshold 1000"])
    s = k1.session("10.99.0.2")
    assert s["transmit_threshold_us"] == 150000 and s["detection_threshold_us"] == 1000000
    assert not s["transmit_threshold_exceeded"] and not s["detection_threshold_exceeded"]
    ev = Events(k1)
    try:
        # k2 asks for 400 ms: k1 sends at 400 ms (> 150), detects in 3 x 400 ms (> 1000).
        set_interval(k2, "10.99.0.1", 400)
        s = poll(lambda: (x := k1.session("10.99.0.2")) and x["transmit_threshold_exceeded"]
                 and x["detection_threshold_exceeded"] and x, timeout=5,
                 what="thresholds exceeded")
        assert s["transmit_threshold_events"] == 1 and s["detection_threshold_events"] == 1
        assert s["state"] == "Up"
        evs = poll(lambda: [e for e in ev.events(0.05) if e["key"]["peer"] == "10.99.0.2"
                            and e["transmit_threshold_exceeded"]], timeout=5,
                   what="threshold in the bfd.session event")
        assert evs[0]["state"] == evs[0]["from_state"] == "Up"
        out = k1.cli("show bfd session address 10.99.0.2 extensive").stdout
        assert "Threshold transmission interval 0.150, Threshold for detection time 1.000" \
            in out, out
        assert "Transmit interval above threshold (crossed 1 times)" in out, out
        assert "Detection time above threshold (crossed 1 times)" in out, out
        set_interval(k2, "10.99.0.1", 100)
        s = poll(lambda: (x := k1.session("10.99.0.2")) and not x["transmit_threshold_exceeded"]
                 and not x["detection_threshold_exceeded"] and x, timeout=5,
                 what="thresholds cleared")
        assert s["transmit_threshold_events"] == 1
    finally:
        ev.close()
        set_interval(k2, "10.99.0.1", 100)
        k1.commit(["delete protocols bfd session 10.99.0.2 transmit-interval threshold",
                   "delete protocols bfd session 10.99.0.2 detection-time"])


def test_delete_sends_admin_down(pair):
    """RFC 5880 §6.8.16 / RFC 5882 §8: a deleted session stays AdminDown for the peer's
    Detection Time before it goes; the peer goes Down on AdminDown (diag 3, remote diag 7),
    never on Control Detection Time Expired. Re-added meanwhile, the same session comes back."""
    bed, k1, k2 = pair
    cfg = "set protocols bfd session 10.99.0.2 interface eth0 minimum-interval 100"
    disc = k1.wait_state("10.99.0.2", "Up")["local_discriminator"]
    k2.wait_state("10.99.0.1", "Up")
    k1.commit(["delete protocols bfd session 10.99.0.2"])
    s = k1.session("10.99.0.2")
    assert s and s["deleting"] and s["state"] == "AdminDown" and not s.get("clients"), s
    k1.commit([cfg])
    s = k1.wait_state("10.99.0.2", "Up")
    assert s["local_discriminator"] == disc and not s["deleting"]
    k2.wait_state("10.99.0.1", "Up")
    ev2 = Events(k2)
    try:
        k1.commit(["delete protocols bfd session 10.99.0.2"])
        down = poll(lambda: [e for e in ev2.events(0.02) if e["key"]["peer"] == "10.99.0.1"
                             and e["state"] == "Down"], timeout=5, what="k2 Down")
        assert down[0]["local_diagnostic"] == "Neighbor Signaled Session Down", down[0]
        assert down[0]["remote_diagnostic"] == "Administratively Down", down[0]
        # k1 forgets it after the hold; k2 never times out (nothing to time in Down).
        poll(lambda: k1.session("10.99.0.2") is None, timeout=6, what="k1 frees the session")
        time.sleep(0.5)
        s2 = k2.session("10.99.0.1")
        assert s2["state"] == "Down" and s2["local_diagnostic"] == \
            "Neighbor Signaled Session Down", s2
        late = [e for e in ev2.events() if e["key"]["peer"] == "10.99.0.1"
                and e["local_diagnostic"] == "Control Detection Time Expired"]
        assert not late, late
    finally:
        ev2.close()
        k1.commit([cfg])
    k1.wait_state("10.99.0.2", "Up", timeout=10)
    k2.wait_state("10.99.0.1", "Up", timeout=10)


def test_client_echo_request(pair):
    """session.add carries echo and thresholds (ribd's static routes); echo is refused on
    multihop (RFC 5883 §3)."""
    bed, k1, k2 = pair
    ev = Events(k1)
    try:
        with pytest.raises(CtlError):
            ev.call("session.add", session_request("static", "10.98.0.2", local="10.99.0.1",
                                                   multihop=True, interval=100, echo=50))
        parts = ev.call("session.add", session_request("static", "10.99.0.2", interface="eth0",
                                                       interval=100, echo=50,
                                                       tx_threshold=500,
                                                       detect_threshold=2000))
        s = pb_decode("Session", parts[0])
        # The config holds this session too and decides its parameters (sessions.c).
        assert s["clients"] and "static" in s["clients"]
    finally:
        ev.close()


def test_ipv6_batched_on_wire(pair):
    """IPv6 goes through the raw IPV6_HDRINCL path like IPv4 (one sendmmsg per batch): on
    the wire Hop Limit 255 (RFC 5881 §5), traffic class CS6, a valid UDP checksum."""
    bed, k1, k2 = pair
    s = k1.wait_state("fd00:99::2", "Up")
    assert s["batched"], s
    assert k1.session("10.99.0.2")["batched"]
    p = bed.run("k2", ["timeout", "5", "tcpdump", "-nn", "-vv", "-c", "4", "-i", "eth0",
                       "ip6 and udp dst port 3784 and src host fd00:99::1"], check=False,
                timeout=15)
    hdrs = [ln for ln in p.stdout.splitlines() if "hlim" in ln]
    assert len(hdrs) >= 4, p.stdout + p.stderr
    for ln in hdrs:
        assert "hlim 255" in ln and "class 0xc0" in ln, ln
    sums = [ln for ln in p.stdout.splitlines() if "udp sum" in ln]
    assert len(sums) >= 4 and all("udp sum ok" in ln for ln in sums), p.stdout
    b0 = k1.summary()["tx_batches"]
    time.sleep(0.5)
    assert k1.summary()["tx_batches"] > b0


def test_key_start_time_by_itself(pair):
    """A key whose start-time is in the future becomes the transmit key at that time with no
    commit (bfdd's key-chain timer), and the session stays Up through the rollover."""
    bed, k1, k2 = pair
    soon = time.strftime("%Y-%m-%d.%H:%M:%S", time.localtime(time.time() + 4))
    for k, peer in ((k1, "10.99.0.2"), (k2, "10.99.0.1")):
        k.commit(["set security authentication-key-chains key-chain roll key 1 secret first",
                  "set security authentication-key-chains key-chain roll key 2 secret second",
                  f"set security authentication-key-chains key-chain roll key 2 start-time "
                  f"{soon}",
                  f"set protocols bfd session {peer} authentication algorithm keyed-sha-1",
                  f"set protocols bfd session {peer} authentication key-chain roll"])
    try:
        s = k1.wait_state("10.99.0.2", "Up", timeout=15)
        k2.wait_state("10.99.0.1", "Up", timeout=5)
        assert s["auth_key_id"] == 1, s
        ups = s["up_transitions"]
        s = poll(lambda: (x := k1.session("10.99.0.2")) and x["auth_key_id"] == 2 and x,
                 timeout=12, interval=0.2, what="key 2 takes over at its start-time")
        assert s["state"] == "Up" and s["up_transitions"] == ups, s
        poll(lambda: k2.session("10.99.0.1")["auth_key_id"] == 2, timeout=5,
             what="k2 rolls over too")
        time.sleep(0.5)
        assert k1.session("10.99.0.2")["up_transitions"] == ups
        assert "authentication failed" not in drops(k1.session("10.99.0.2"))
    finally:
        for k, peer in ((k1, "10.99.0.2"), (k2, "10.99.0.1")):
            k.commit([f"delete protocols bfd session {peer} authentication",
                      "delete security authentication-key-chains key-chain roll"])
    k1.wait_state("10.99.0.2", "Up", timeout=15)


def test_key_tolerance(pair):
    """Key-chain tolerance (Junos; RFC 8177 accept lifetimes) with skewed clocks, emulated by
    start-times 3 s apart: k2 rolls to the new key 3 s before k1. With tolerance 0 each end
    refuses the other's key for those 3 s ("unknown key id") and the session goes Down; with
    tolerance 10 each accepts the other's key through the rollover: no drop, no flap."""
    bed, k1, k2 = pair

    def at(t):
        return time.strftime("%Y-%m-%d.%H:%M:%S", time.localtime(t))

    kc = "set security authentication-key-chains key-chain skew"
    for k, peer in ((k1, "10.99.0.2"), (k2, "10.99.0.1")):
        k.commit([f"{kc} tolerance 0", f"{kc} key 1 secret first",
                  f"set protocols bfd session {peer} authentication algorithm keyed-sha-1",
                  f"set protocols bfd session {peer} authentication key-chain skew"])
    try:
        s = k1.wait_state("10.99.0.2", "Up", timeout=15)
        k2.wait_state("10.99.0.1", "Up", timeout=5)
        # Tolerance 0: key 2 at +4 s on k2, +7 s on k1 (k1's clock 3 s behind).
        ups, t = s["up_transitions"], time.time()
        k2.commit([f"{kc} key 2 secret second", f"{kc} key 2 start-time {at(t + 4)}"])
        k1.commit([f"{kc} key 2 secret second", f"{kc} key 2 start-time {at(t + 7)}"])
        s = poll(lambda: (x := k1.session("10.99.0.2"))
                 and drops(x).get("unknown key id", 0) > 0 and x, timeout=10, interval=0.1,
                 what="k1 refuses k2's new key before its own start-time (tolerance 0)")
        s = poll(lambda: (x := k1.session("10.99.0.2")) and x["auth_key_id"] == 2
                 and x["state"] == "Up" and x, timeout=15, interval=0.1,
                 what="both on key 2, Up again")
        assert s["up_transitions"] > ups, s  # the skew cost a flap
        print(f"tolerance 0, 3 s skew: {drops(s)['unknown key id']} packets refused, "
              f"{s['up_transitions'] - ups} flap")
        # Tolerance 10: key 3 at +4 s on k2, +7 s on k1. No packet refused, no flap.
        ups, refused = s["up_transitions"], drops(s)["unknown key id"]
        refused2 = drops(k2.session("10.99.0.1")).get("unknown key id", 0)
        for k in (k1, k2):
            k.commit([f"{kc} tolerance 10"])
        t = time.time()
        k2.commit([f"{kc} key 3 secret third", f"{kc} key 3 start-time {at(t + 4)}"])
        k1.commit([f"{kc} key 3 secret third", f"{kc} key 3 start-time {at(t + 7)}"])
        s = poll(lambda: (x := k1.session("10.99.0.2")) and x["auth_key_id"] == 3 and x,
                 timeout=15, interval=0.2, what="k1 rolls to key 3 at its own start-time")
        poll(lambda: k2.session("10.99.0.1")["auth_key_id"] == 3, timeout=5,
             what="k2 on key 3")
        time.sleep(0.5)
        s = k1.session("10.99.0.2")
        assert s["state"] == "Up" and s["up_transitions"] == ups, s
        assert drops(s).get("unknown key id", 0) == refused, drops(s)
        assert drops(k2.session("10.99.0.1")).get("unknown key id", 0) == refused2
    finally:
        for k, peer in ((k1, "10.99.0.2"), (k2, "10.99.0.1")):
            k.commit([f"delete protocols bfd session {peer} authentication",
                      "delete security authentication-key-chains key-chain skew"])
    k1.wait_state("10.99.0.2", "Up", timeout=15)
