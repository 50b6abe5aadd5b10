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
