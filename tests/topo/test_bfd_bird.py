"""keel bfdd <-> BIRD 2 with authentication (issue 5; notes §7, §9).

Each of the five RFC 5880 §6.7 types comes Up against BIRD with the same key chain; a wrong
secret and a wrong type never come Up (and keel counts why); a packet of BIRD's sniffed and
sent again unchanged with scapy (a meticulous sequence-number replay) is rejected and
counted while the session stays Up.
"""

import time

import pytest

from bfd import Bird, Keel, drops, replay_one
from conftest import poll

pytestmark = pytest.mark.topo

# keel algorithm -> BIRD's `authentication` words
TYPES = {
    "simple-password": "simple",
    "keyed-md5": "keyed md5",
    "meticulous-keyed-md5": "meticulous keyed md5",
    "keyed-sha-1": "keyed sha1",
    "meticulous-keyed-sha-1": "meticulous keyed sha1",
}
# BIRD sends a simple password as 16 bytes (notes §7): a 16-character one is the same on both.
SECRET = "s3cret-0123456789"[:16]
KEY_ID = 7


def bird_body(bird_type, secret=SECRET, key_id=KEY_ID):
    return (f'\tinterface "eth0" {{ interval 100 ms; multiplier 3;\n'
            f'\t\tauthentication {bird_type}; password "{secret}" {{ id {key_id}; }}; }};\n'
            f'\tneighbor 10.99.0.1 dev "eth0";')


@pytest.fixture(scope="module")
def rig(module_testbed):
    mp = pytest.MonkeyPatch()
    mp.setenv("KEEL_DAEMONS", "mgd bfdd")
    try:
        bed = module_testbed("bfd", start_nodes=True)
    finally:
        mp.undo()
    k = Keel(bed, "k1")
    k.commit([f"set security authentication-key-chains key-chain kc key {KEY_ID} secret {SECRET}",
              f"set security authentication-key-chains key-chain bad key {KEY_ID} secret "
              f"not-the-secret",
              "set protocols bfd session 10.99.0.2 interface eth0 minimum-interval 100"])
    return bed, k


def keel_auth(k, alg, chain="kc"):
    k.commit([f"set protocols bfd session 10.99.0.2 authentication algorithm {alg}",
              f"set protocols bfd session 10.99.0.2 authentication key-chain {chain}"])


@pytest.mark.parametrize("alg", list(TYPES))
def test_bird_auth_up(rig, alg):
    bed, k = rig
    bird = Bird(bed, "peer", "10.99.0.2")
    try:
        keel_auth(k, alg)
        bird.start(bird_body(TYPES[alg]))
        s = k.wait_state("10.99.0.2", "Up", timeout=15)
        assert s["authentication"] == alg and s["auth_key_id"] == KEY_ID
        poll(lambda: bird.sessions().get("10.99.0.1") == "Up", timeout=10, what="BIRD up")
        # Stays Up: no authentication drops while running.
        time.sleep(1.0)
        s = k.session("10.99.0.2")
        assert s["state"] == "Up"
        bad = {r: c for r, c in drops(s).items() if "auth" in r or "sequence" in r}
        assert not bad, bad
    finally:
        bird.stop()
        k.wait_state("10.99.0.2", "Down", timeout=10)


@pytest.mark.parametrize("case", ["wrong-key", "wrong-type"])
def test_bird_auth_never_up(rig, case):
    bed, k = rig
    bird = Bird(bed, "peer", "10.99.0.2")
    try:
        if case == "wrong-key":
            keel_auth(k, "keyed-sha-1", chain="bad")
            bird.start(bird_body("keyed sha1"))
            reason = "authentication failed"
        else:
            keel_auth(k, "keyed-md5")
            bird.start(bird_body("keyed sha1"))
            reason = "authentication type mismatch"
        ups = k.session("10.99.0.2")["up_transitions"]
        poll(lambda: drops(k.session("10.99.0.2")).get(reason, 0) >= 3, timeout=10,
             what=f"keel counts '{reason}'")
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            s = k.session("10.99.0.2")
            assert s["state"] != "Up", s
            assert bird.sessions().get("10.99.0.1") != "Up"
            time.sleep(0.2)
        assert k.session("10.99.0.2")["up_transitions"] == ups
    finally:
        bird.stop()


def test_bird_replay_rejected(rig):
    bed, k = rig
    bird = Bird(bed, "peer", "10.99.0.2")
    try:
        keel_auth(k, "meticulous-keyed-sha-1")
        bird.start(bird_body("meticulous keyed sha1"))
        s = k.wait_state("10.99.0.2", "Up", timeout=15)
        ups = s["up_transitions"]
        before = drops(s).get("sequence number out of window", 0)
        # BIRD's packet, sent again 0.5 s later: its sequence number is behind by then.
        pkt = replay_one(bed, "peer", "eth0", "10.99.0.1", wait=0.5)
        assert pkt[1] & 0x04, "the replayed packet carries authentication"
        s = poll(lambda: (x := k.session("10.99.0.2"))
                 and drops(x).get("sequence number out of window", 0) > before and x,
                 timeout=5, what="replay counted")
        assert s["state"] == "Up" and s["up_transitions"] == ups
    finally:
        bird.stop()
