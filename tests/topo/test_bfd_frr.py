"""keel bfdd <-> FRR 8.4 bfdd (issue 5: no authentication, FRR 8.4 has none).

Single hop over one veth (init/topologies/bfd.toml), IPv4 and IPv6: both ends Up, the
negotiated intervals on both sides (FRR asks for other values than keel so negotiation
shows), `show bfd session detail` in the Junos layout, failure detection within the
Detection Time when FRR's packets are dropped with nft (notes §9: no netem), recovery.
Multihop through a router namespace (init/topologies/bfd-multihop.toml) with FRR's default
minimum-ttl 254: keel sends TTL 255, one hop later 254 passes.
"""

import re
import time

import pytest

from bfd import Events, Frr, Keel, nft_clear, nft_drop
from conftest import poll

pytestmark = pytest.mark.topo

FRR_SINGLE = """\
bfd
 peer 10.99.0.1 interface eth0
  receive-interval 200
  transmit-interval 150
  detect-multiplier 4
  no shutdown
 !
 peer fd00:99::1 local-address fd00:99::2 interface eth0
  receive-interval 100
  transmit-interval 100
  no shutdown
 !
!
"""

FRR_MULTIHOP = """\
bfd
 peer 10.98.1.1 multihop local-address 10.98.2.2
  receive-interval 100
  transmit-interval 100
  no shutdown
 !
!
"""


@pytest.fixture
def keel_bfdd_only(monkeypatch):
    # The tests need mgd (config) and bfdd; keel-node starts only these.
    monkeypatch.setenv("KEEL_DAEMONS", "mgd bfdd")


def test_frr_single_hop(testbed, keel_bfdd_only):
    bed = testbed("bfd", start_nodes=True)
    k = Keel(bed, "k1")
    frr = Frr(bed, "peer", FRR_SINGLE)
    try:
        frr.start()
        k.commit(["set protocols bfd session 10.99.0.2 interface eth0 minimum-interval 100",
                  "set protocols bfd session 10.99.0.2 multiplier 3",
                  "set protocols bfd session fd00:99::2 interface eth0 minimum-interval 100"])
        s = k.wait_state("10.99.0.2", "Up", timeout=15)
        k.wait_state("fd00:99::2", "Up", timeout=15)
        poll(lambda: (p := frr.peer("10.99.0.1")) and p["status"] == "up", timeout=10,
             what="FRR sees keel up")
        poll(lambda: (p := frr.peer("fd00:99::1")) and p["status"] == "up", timeout=10,
             what="FRR sees keel up (IPv6)")
        # Both families leave through the batched raw path (IPv6: IPV6_HDRINCL).
        assert k.session("fd00:99::2")["batched"] and k.session("10.99.0.2")["batched"]
        # Negotiation (RFC 5880 §6.8.2-6.8.4): keel sends at max(100, FRR's rx 200) = 200 ms;
        # it detects after FRR's multiplier 4 x max(keel rx 100, FRR tx 150) = 600 ms.
        s = poll(lambda: (x := k.session("10.99.0.2")) and x["transmit_interval_us"] == 200000
                 and x, timeout=5, what="negotiated tx interval")
        assert s["detection_time_us"] == 600000, s
        assert s["remote_multiplier"] == 4 and s["multiplier"] == 3
        assert s["remote_min_rx_us"] == 200000 and s["remote_min_tx_us"] == 150000
        assert s["remote_discriminator"] == frr.peer("10.99.0.1")["id"]
        assert 49152 <= s["source_port"] <= 65535
        p = frr.peer("10.99.0.1")
        assert p["remote-receive-interval"] == 100 and p["remote-detect-multiplier"] == 3, p
        out = k.cli("show bfd session address 10.99.0.2 detail").stdout
        assert re.search(r"^10\.99\.0\.2\s+Up\s+eth0\s+0\.600\s+0\.200\s+3$", out, re.M), out
        assert "Remote state Up, version 1" in out and "Client Config" in out, out
        out = k.cli("show bfd session").stdout
        assert "2 sessions, 2 clients" in out and "Cumulative transmit rate" in out, out
        assert '"bfd-session-information"' in k.cli("show bfd session | display json").stdout

        # Failure: FRR's packets stop; keel must declare Down within the Detection Time.
        ev = Events(k)
        up_before = s["up_transitions"]
        nft_drop(bed, "peer", dport=3784)
        t0 = time.monotonic()
        down = poll(lambda: [e for e in ev.events(0.02) if e["key"]["peer"] == "10.99.0.2"
                             and e["state"] == "Down"], timeout=5, interval=0.001,
                    what="keel declares FRR down")
        elapsed = time.monotonic() - t0
        assert down[0]["local_diagnostic"] == "Control Detection Time Expired", down
        # t0 is after the rule is in place: the last packet came earlier, so detection is at
        # most the Detection Time after t0 (plus scheduling slack).
        assert elapsed <= 0.600 + 0.150, f"detected after {elapsed:.3f} s"
        nft_clear(bed, "peer")
        s = k.wait_state("10.99.0.2", "Up", timeout=10)
        assert s["up_transitions"] == up_before + 1
        assert s["failure_transitions"] >= 1
        ev.close()
        assert k.alive()
    finally:
        frr.stop()


def test_frr_multihop(testbed, keel_bfdd_only):
    bed = testbed("bfd-multihop", start_nodes=True)
    k = Keel(bed, "k1")
    frr = Frr(bed, "peer", FRR_MULTIHOP)
    try:
        frr.start()
        k.commit(["set protocols bfd session 10.98.2.2 multihop local-address 10.98.1.1",
                  "set protocols bfd session 10.98.2.2 minimum-interval 100"])
        s = k.wait_state("10.98.2.2", "Up", timeout=15)
        assert s["key"]["multihop"] and s["transmit_interval_us"] == 100000
        # FRR's default minimum-ttl 254 accepts keel's 255 after one hop (notes §6).
        p = poll(lambda: (x := frr.peer("10.98.1.1")) and x["status"] == "up" and x,
                 timeout=10, what="FRR multihop up")
        assert p["multihop"] is True
        out = k.cli("show bfd session extensive").stdout
        assert "Session type: Multi hop BFD" in out, out
        # Cut the path at the router: both ends go Down, then recover.
        nft_drop(bed, "rtr", dport=4784, hook="forward")
        s = k.wait_state("10.98.2.2", "Down", timeout=5)
        assert s["local_diagnostic"] == "Control Detection Time Expired"
        nft_clear(bed, "rtr")
        k.wait_state("10.98.2.2", "Up", timeout=10)
    finally:
        frr.stop()


FRR_ECHO = """\
bfd
 peer 10.99.0.1 interface eth0
  receive-interval 300
  transmit-interval 300
  echo-mode
  echo transmit-interval 50
  echo receive-interval 50
  no shutdown
 !
!
"""


def test_frr_echo(testbed, keel_bfdd_only):
    """Echo (RFC 5880 §6.4, RFC 5881 §4) with FRR 8.4's echo-mode: both send echo packets
    to themselves through the other's forwarding, both see them come back."""
    bed = testbed("bfd", start_nodes=True)
    for n in ("k1", "peer"):
        bed.run(n, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    k = Keel(bed, "k1")
    frr = Frr(bed, "peer", FRR_ECHO)
    try:
        frr.start()
        k.commit(["set protocols bfd session 10.99.0.2 interface eth0 minimum-interval 300",
                  "set protocols bfd session 10.99.0.2 echo-interval 50"])
        k.wait_state("10.99.0.2", "Up", timeout=15)
        s = poll(lambda: (x := k.session("10.99.0.2")) and x["echo_active"]
                 and x["echo_packets_received"] >= 20 and x, timeout=10,
                 what="keel's echo comes back through FRR's forwarding")
        assert s["remote_min_echo_rx_us"] == 50000 and s["required_min_echo_rx_us"] == 50000, s
        # FRR's echoes come back through keel's forwarding (keel advertised 50 ms).
        poll(lambda: (m := re.search(r"Echo packet input: (\d+)",
                                     frr.vtysh("show bfd peers counters"))) and
             int(m.group(1)) >= 20, timeout=10, what="FRR's echo comes back through keel")
        p = frr.peer("10.99.0.1")
        assert p["remote-echo-receive-interval"] == 50, p
        # keel slowed its control RequiredMinRx to 1 s while echo runs (RFC 5880 §6.8.3).
        assert p["remote-receive-interval"] == 1000, p
        # FRR stops forwarding keel's echoes: keel goes Down with Echo Function Failed.
        ev = Events(k)
        nft_drop(bed, "peer", dport=3785, hook="forward")
        t0 = time.monotonic()
        down = poll(lambda: [e for e in ev.events(0.02) if e["key"]["peer"] == "10.99.0.2"
                             and e["state"] == "Down"], timeout=5, interval=0.001,
                    what="keel: echo failure")
        elapsed = time.monotonic() - t0
        assert down[0]["local_diagnostic"] == "Echo Function Failed", down[0]
        assert elapsed <= 0.150 + 0.35, f"echo failure after {elapsed:.3f} s"
        nft_clear(bed, "peer")
        poll(lambda: (x := k.session("10.99.0.2")) and x["state"] == "Up" and x["echo_active"],
             timeout=10, what="keel Up with echo again")
        ev.close()
    finally:
        frr.stop()
