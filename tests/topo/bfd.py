"""Helpers for the BFD topology tests (bfdd; issue 5), following the verified rig of
shared/notes/bfd-routing.md §9 in testbed form (init/topologies/bfd*.toml).

    from bfd import Keel, Frr, Bird, nft_drop, nft_clear, send_raw, bfd_packet
    k = Keel(bed, "k1")                     # bfdd's ctl socket on node k1 (decoded messages)
    k.commit(["set protocols bfd session 10.99.0.2 interface eth0 minimum-interval 100"])
    k.wait_state("10.99.0.2", "Up")
    frr = Frr(bed, "peer", peers=[...]); frr.start(); frr.peer_status("10.99.0.1")

Everything keel-side goes through bfdd's ctl socket (lib/proto/bfdd.proto) with a small
schema-driven protobuf decoder, so the tests do not depend on how the CLI renders; the CLI
itself is exercised by `show bfd session` checks on its Junos layout.
"""

import json
import os
import shutil
import socket
import struct
import time
from pathlib import Path

from conftest import BIN, ctl_call, poll, sh  # noqa: F401
from testbed.ctl import (CTL_MAX_FRAME, FRAME_END, FRAME_ERROR, FRAME_EVENT, FRAME_REQUEST,
                         CtlError, decode_frame, encode_frame)

# ---------------------------------------------------------------- bfdd.proto

from testbed import pb  # noqa: E402

U, S, B, D = pb.U, pb.S, pb.B, pb.D
SCHEMA = {
    "SessionKey": {1: ("peer", S), 2: ("local_address", S), 3: ("interface", S),
                   4: ("multihop", B)},
    "DropCount": {1: ("reason", S), 2: ("count", U)},
    "Session": {1: ("key", "SessionKey"), 2: ("local_discriminator", U),
                3: ("remote_discriminator", U), 4: ("state", S), 5: ("remote_state", S),
                6: ("local_diagnostic", S), 7: ("remote_diagnostic", S),
                8: ("detection_time_us", U), 9: ("transmit_interval_us", U),
                10: ("receive_interval_us", U), 11: ("multiplier", U),
                12: ("remote_multiplier", U), 13: ("desired_min_tx_us", U),
                14: ("required_min_rx_us", U), 15: ("remote_min_tx_us", U),
                16: ("remote_min_rx_us", U), 17: ("configured_min_tx_us", U),
                18: ("configured_min_rx_us", U), 19: ("clients", S), 20: ("authentication", S),
                21: ("auth_key_id", U), 22: ("last_change_ms", U), 23: ("up_since_ms", U),
                24: ("up_transitions", U), 25: ("failure_transitions", U),
                26: ("packets_sent", U), 27: ("packets_received", U),
                28: ("packets_dropped", U), 29: ("drops", "DropCount"), 30: ("from_state", S),
                31: ("poll_active", B), 32: ("minimum_ttl", U), 33: ("source_port", U),
                34: ("deleted", B), 35: ("tx_interval_changes", U), 36: ("echo_active", B),
                37: ("echo_interval_us", U), 38: ("echo_tx_interval_us", U),
                39: ("echo_detection_time_us", U), 40: ("required_min_echo_rx_us", U),
                41: ("remote_min_echo_rx_us", U), 42: ("echo_packets_sent", U),
                43: ("echo_packets_received", U), 44: ("echo_rtt_us", U),
                45: ("transmit_threshold_us", U), 46: ("detection_threshold_us", U),
                47: ("transmit_threshold_exceeded", B), 48: ("detection_threshold_exceeded", B),
                49: ("transmit_threshold_events", U), 50: ("detection_threshold_events", U),
                51: ("deleting", B), 52: ("batched", B), 53: ("echo_probing", B),
                54: ("echo_holddown_us", U), 55: ("echo_failures", U)},
    "Summary": {1: ("sessions", U), 2: ("clients", U), 3: ("transmit_pps", D),
                4: ("receive_pps", D), 5: ("drops", "DropCount"), 6: ("packets_received", U),
                7: ("rx_batches", U), 8: ("timer_runs", U), 9: ("timer_late_max_us", U),
                10: ("late_wakeups", U), 11: ("echo_packets_received", U),
                12: ("echo_packets_foreign", U), 13: ("tx_batches", U)},
    "SessionPage": {1: ("sessions", "Session"), 2: ("summary", "Summary")},
}
REPEATED = {"clients", "drops", "sessions"}


def pb_decode(name, buf):
    return pb.decode(SCHEMA, REPEATED, name, buf)


_varint = pb.varint
pb_str = pb.field_str
pb_u = pb.field_u
pb_bool = pb.field_bool


def session_key(peer, local="", interface="", multihop=False):
    return pb_str(1, peer) + (pb_str(2, local) if local else b"") + \
        (pb_str(3, interface) if interface else b"") + pb_bool(4, multihop)


def session_request(client, peer, local="", interface="", multihop=False, interval=0, tx=0,
                    rx=0, mult=0, auth="", chain="", min_ttl=0, echo=0, tx_threshold=0,
                    detect_threshold=0):
    k = session_key(peer, local, interface, multihop)
    return (_varint(1 << 3 | 2) + _varint(len(k)) + k + pb_str(2, client) + pb_u(3, interval)
            + pb_u(4, rx) + pb_u(5, tx) + pb_u(6, mult) + (pb_str(7, auth) if auth else b"")
            + (pb_str(8, chain) if chain else b"") + pb_u(9, min_ttl) + pb_u(10, echo)
            + pb_u(11, tx_threshold) + pb_u(12, detect_threshold))


def drops(d):
    """{reason: count} of a Session or Summary."""
    return {x["reason"]: x["count"] for x in d.get("drops", [])}


# ---------------------------------------------------------------- keel side


class Keel:
    """bfdd on a keel node of a testbed."""

    def __init__(self, bed, node):
        self.bed, self.node = bed, node
        self.sock = str(bed.node_root(node) / "run" / "keel" / "bfdd.ctl")

    def show(self, address=""):
        pages = [pb_decode("SessionPage", p)
                 for p in ctl_call(self.sock, "show.sessions", pb_str(1, address) if address
                                   else b"")]
        sessions = [s for p in pages for s in p["sessions"]]
        summary = next((p["summary"] for p in pages if p["summary"]), None)
        return sessions, summary

    def sessions(self):
        return self.show()[0]

    def summary(self):
        return self.show()[1]

    def session(self, peer, multihop=None):
        for s in self.sessions():
            if s["key"]["peer"] == peer and (multihop is None
                                             or s["key"]["multihop"] == multihop):
                return s
        return None

    def state(self, peer):
        s = self.session(peer)
        return s["state"] if s else None

    def wait_state(self, peer, state, timeout=10):
        return poll(lambda: (s := self.session(peer)) and s["state"] == state and s,
                    timeout=timeout, interval=0.05, what=f"{self.node}: bfd {peer} {state}")

    def cli(self, cmds, check=True, timeout=30):
        return self.bed.run(self.node, [BIN / "cli", "-c", cmds], check=check,
                            timeout=timeout)

    def commit(self, lines):
        p = self.cli("configure; " + "; ".join(lines) + "; commit")
        assert "commit complete" in p.stdout, p.stdout + p.stderr
        return p

    def pid(self):
        return int((self.bed.node_root(self.node) / "run" / "keel" / "bfdd.pid")
                   .read_text().strip())

    def alive(self):
        try:
            os.kill(self.pid(), 0)
            return True
        except (OSError, ValueError):
            return False


class Events:
    """A ctl connection subscribed to "bfd.session": transitions as decoded Sessions."""

    def __init__(self, keel, topics=("bfd.session",), timeout=2.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(timeout)
        self.s.connect(keel.sock)
        self.s.send(encode_frame(1, FRAME_REQUEST, "subscribe",
                                 b"".join(pb_str(1, t) for t in topics)))
        self.pending = []
        while True:
            f = decode_frame(self.s.recv(CTL_MAX_FRAME + 1))
            if f["kind"] == FRAME_EVENT:
                self.pending.append(f)
            elif f["kind"] == FRAME_ERROR:
                raise CtlError(f["code"], f["error"])
            elif f["kind"] == FRAME_END and f["id"] == 1:
                break

    def call(self, method, payload, fid=2):
        """A request on this connection (a client's claims live with its connection)."""
        self.s.send(encode_frame(fid, FRAME_REQUEST, method, payload))
        parts = []
        while True:
            f = decode_frame(self.s.recv(CTL_MAX_FRAME + 1))
            if f["kind"] == FRAME_EVENT:
                self.pending.append(f)
            elif f["id"] != fid:
                continue
            elif f["kind"] == FRAME_ERROR:
                raise CtlError(f["code"], f["error"])
            elif f["kind"] == FRAME_END:
                return parts
            else:
                parts.append(bytes(f["payload"]))

    def events(self, wait=0.0):
        frames, self.pending = self.pending, []
        self.s.settimeout(wait if wait > 0 else 0.001)
        try:
            while True:
                frames.append(decode_frame(self.s.recv(CTL_MAX_FRAME + 1)))
                self.s.settimeout(0.001)
        except (socket.timeout, BlockingIOError):
            pass
        return [pb_decode("Session", bytes(f["payload"])) for f in frames
                if f["kind"] == FRAME_EVENT and f["method"] == "bfd.session"]

    def close(self):
        self.s.close()


# ---------------------------------------------------------------- failure injection


def nft_drop(bed, name, dport=3784, hook="output", table="kbfd"):
    """Drops BFD (UDP dport) at nft hook output / input / forward of name's namespace
    (notes §9: no netem)."""
    bed.run(name, ["nft", f"add table inet {table}; add chain inet {table} c {{ type filter hook "
                          f"{hook} priority 0; }}; add rule inet {table} c udp dport {dport} "
                          f"drop"])


def nft_clear(bed, name, table="kbfd"):
    bed.run(name, ["nft", "delete", "table", "inet", table], check=False)


# ---------------------------------------------------------------- raw packets (scapy)


def bfd_packet(state=1, diag=0, flags=0, mult=3, my_disc=0x11111111, your_disc=0,
               tx=1000000, rx=1000000, echo=0, version=1, length=None, auth=b""):
    """A BFD control packet, RFC 5880 §4.1, with every field settable (also to bad values)."""
    body = struct.pack("!BBBBIIIII", (version << 5) | diag, (state << 6) | flags, mult, 0,
                       my_disc, your_disc, tx, rx, echo) + auth
    n = len(body) if length is None else length
    return body[:3] + bytes([n & 0xFF]) + body[4:]


SCAPY_SEND = """
import sys
from scapy.all import IP, IPv6, UDP, Raw, send, conf
conf.verb = 0
dst, sport, dport, ttl = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for hexp in sys.argv[5:]:
    l3 = IPv6(dst=dst, hlim=ttl) if ":" in dst else IP(dst=dst, ttl=ttl)
    send(l3 / UDP(sport=sport, dport=dport) / Raw(bytes.fromhex(hexp)))
"""

SCAPY_REPLAY = """
import sys, time
from scapy.all import IP, UDP, sniff, send, conf
conf.verb = 0
iface, dst, wait = sys.argv[1], sys.argv[2], float(sys.argv[3])
pkts = sniff(iface=iface, filter=f"udp dst port 3784 and dst host {dst}", count=1, timeout=5)
if not pkts:
    sys.exit("no BFD packet seen")
time.sleep(wait)
ip = IP(bytes(pkts[0][IP]))
send(ip)
print(ip[UDP].payload.load.hex())
"""


def send_raw(bed, name, dst, payloads, sport=49999, dport=3784, ttl=255):
    """Sends each payload (bytes) as one UDP packet from name's namespace with scapy."""
    bed.run(name, ["/usr/bin/python3", "-c", SCAPY_SEND, dst, str(sport), str(dport), str(ttl),
                   *[p.hex() for p in payloads]], timeout=30)


def replay_one(bed, name, iface, dst, wait=0.5):
    """Sniffs one BFD packet name sends to dst and sends it again, unchanged, `wait` s later.
    Returns the replayed BFD payload."""
    p = bed.run(name, ["/usr/bin/python3", "-c", SCAPY_REPLAY, iface, dst, str(wait)],
                timeout=30)
    return bytes.fromhex(p.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- FRR (notes §6, §9)


class Frr:
    """zebra + bfdd of FRR 8.4 in a testbed namespace, with pathspace -N <testbed id><name>."""

    def __init__(self, bed, name, config):
        self.bed, self.name = bed, name
        self.ps = f"{bed.id}{name}"[:30]
        self.etc = Path("/etc/frr") / self.ps
        self.run_dir = Path("/var/run/frr") / self.ps
        self.logdir = Path(bed.tb.dir) / f"frr-{name}"
        self.config = config

    def start(self):
        for d in (self.etc, self.run_dir, self.logdir):
            d.mkdir(parents=True, exist_ok=True)
            shutil.chown(d, "frr", "frr")
        (self.etc / "frr.conf").write_text(self.config)
        (self.etc / "vtysh.conf").write_text("")
        shutil.chown(self.etc / "frr.conf", "frr", "frr")
        for daemon in ("zebra", "bfdd"):
            self.bed.run(self.name, [f"/usr/lib/frr/{daemon}", "-N", self.ps, "-d", "-P", "0",
                                     "-f", str(self.etc / "frr.conf"), "--log",
                                     f"file:{self.logdir}/{daemon}.log"], timeout=20)
        poll(lambda: (self.run_dir / "bfdd.pid").exists(), timeout=10, what="FRR bfdd up")

    def vtysh(self, cmd):
        return sh(["vtysh", "-N", self.ps, "-c", cmd], timeout=10).stdout

    def peers(self):
        return json.loads(self.vtysh("show bfd peers json"))

    def peer(self, addr):
        return next((p for p in self.peers() if p.get("peer") == addr), None)

    def stop(self):
        for daemon in ("bfdd", "zebra"):
            pidf = self.run_dir / f"{daemon}.pid"
            try:
                pid = int(pidf.read_text().strip())
                os.kill(pid, 15)
                for _ in range(50):
                    os.kill(pid, 0)
                    time.sleep(0.05)
                os.kill(pid, 9)
            except (OSError, ValueError):
                pass
        shutil.rmtree(self.etc, ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)


# ---------------------------------------------------------------- BIRD 2 (notes §7, §9)


class Bird:
    """BIRD 2 in a testbed namespace, its files under the testbed's state dir."""

    def __init__(self, bed, name, router_id):
        self.bed, self.name, self.router_id = bed, name, router_id
        self.dir = Path(bed.tb.dir) / f"bird-{name}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ctl = self.dir / "bird.ctl"
        self.started = False

    def write(self, bfd_body):
        (self.dir / "bird.conf").write_text(
            f'router id {self.router_id};\nlog "{self.dir}/bird.log" all;\n'
            f"protocol device {{ }}\nprotocol bfd bfd1 {{\n{bfd_body}\n}}\n")

    def start(self, bfd_body):
        self.write(bfd_body)
        self.bed.run(self.name, ["bird", "-c", self.dir / "bird.conf", "-s", self.ctl, "-P",
                                 self.dir / "bird.pid"], timeout=20)
        self.started = True
        poll(lambda: self.ctl.exists(), timeout=10, what="BIRD control socket")

    def reconfigure(self, bfd_body):
        self.write(bfd_body)
        sh(["birdc", "-s", self.ctl, "configure"], timeout=10)

    def sessions(self):
        out = sh(["birdc", "-s", self.ctl, "show", "bfd", "sessions"], timeout=10).stdout
        rows = {}
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 4 and f[0][0].isdigit():
                rows[f[0]] = f[2]
        return rows

    def stop(self):
        if not self.started:
            return
        try:
            pid = int((self.dir / "bird.pid").read_text().strip())
            os.kill(pid, 15)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.05)
            os.kill(pid, 9)
        except (OSError, ValueError):
            pass
        self.started = False
