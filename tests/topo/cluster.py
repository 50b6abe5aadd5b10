"""Helpers for chassis-cluster topology tests (clusterd; issue 4).

    from cluster import Cluster
    c = Cluster.up(testbed)            # init/topologies/cluster.toml, EEPROMs written, nodes up
    c.commit_all(c.config())           # the same `set` lines on node0 and node1, through the CLI
    c.status("node0")                  # show.status as a dict (see STATUS below)
    c.wait_roles({0: "node0", 1: "node0"})

Everything talks to clusterd over its ctl socket (lib/proto/clusterd.proto) with a small
schema-driven protobuf decoder, so the tests need nothing beyond the standard library and
do not depend on how the CLI renders the answers.

Node identity goes into the chassis EEPROM file before the nodes start (mgd and clusterd
read it at start-up; platform/chassis/chassis.h documents the 64-byte record).
"""

import os
import signal
import socket
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path

from conftest import BIN, CtlError, ctl_call, poll, sh  # noqa: F401 - CtlError re-exported
from testbed.ctl import (CTL_MAX_FRAME, FRAME_END, FRAME_ERROR, FRAME_EVENT, FRAME_REQUEST,
                         decode_frame, encode_frame)

TOPOLOGY = "cluster"
CLUSTER_ID = 1
KEY = "keel-topo-test-heartbeat-key-0123"

# ---------------------------------------------------------------- chassis EEPROM


def eeprom_record(cluster_id, node_id, serial=""):
    """The chassis.eeprom record, format version 1 (platform/chassis/chassis.h)."""
    body = (b"KEEL" + bytes([1, 0]) + struct.pack(">H", 64) + bytes([cluster_id, node_id])
            + bytes(6) + serial.encode().ljust(32, b"\0") + bytes(12))
    assert len(body) == 60
    return body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def write_eeprom(root, cluster_id, node_id):
    d = Path(root) / "var" / "lib" / "keel"
    d.mkdir(parents=True, exist_ok=True)
    (d / "chassis.eeprom").write_bytes(eeprom_record(cluster_id, node_id))


# ---------------------------------------------------------------- protobuf (clusterd.proto)

from testbed import pb  # noqa: E402

U, S, B = pb.U, pb.S, pb.B
SCHEMA = {
    "ClusterStatus": {1: ("cluster_id", U), 2: ("node_id", U), 3: ("groups", "RedundancyGroup"),
                      4: ("rg0_role", S)},
    "RedundancyGroup": {1: ("id", U), 2: ("failover_count", U), 3: ("nodes", "RgNode"),
                        4: ("threshold", U)},
    "RgNode": {1: ("node_id", U), 2: ("priority", U), 3: ("status", S), 4: ("preempt", B),
               5: ("manual", B), 6: ("monitor_failures", S), 7: ("weight", U)},
    "LinkStats": {1: ("index", U), 2: ("interface", S), 3: ("up", B), 4: ("sent", U),
                  5: ("received", U), 6: ("errors", U), 7: ("duplicates", U),
                  8: ("last_seq_sent", U), 9: ("last_seq_received", U), 10: ("slips", U),
                  11: ("auth_failures", U), 12: ("replays", U)},
    "ClusterStatistics": {1: ("control", "LinkStats"), 2: ("fabric", "LinkStats"),
                          3: ("probes_dropped_ctl_down", U)},
    "ControlIf": {1: ("index", U), 2: ("interface", S), 3: ("status", S), 4: ("security", S)},
    "FabricIf": {1: ("name", S), 2: ("child", S), 3: ("physical", S), 4: ("monitored", S)},
    "RethIf": {1: ("name", S), 2: ("status", S), 3: ("redundancy_group", S), 4: ("mac", S)},
    "ClusterInterfaces": {1: ("control_status", S), 2: ("control", "ControlIf"),
                          3: ("fabric_status", S), 4: ("fabric", "FabricIf"),
                          5: ("reths", "RethIf")},
    "RgHistory": {1: ("time_ms", U), 2: ("from", S), 3: ("to", S), 4: ("reason", S)},
    "RgInformation": {1: ("id", U), 2: ("threshold", U), 3: ("monitoring_failures", S),
                      4: ("history", "RgHistory")},
    "ColdsyncParticipant": {1: ("name", S), 2: ("state", S)},
    "ClusterInformation": {1: ("cluster_id", U), 2: ("node_id", U), 3: ("control", "LinkStats"),
                           4: ("fabric", "LinkStats"), 5: ("coldsync", S),
                           6: ("participants", "ColdsyncParticipant"),
                           7: ("groups", "RgInformation"), 8: ("peer", S),
                           9: ("peer_boot_time_ms", U), 11: ("led_color", S),
                           12: ("led_reason", S), 13: ("coldsync_weight", U)},
    "FailoverReply": {1: ("message", S)},
    "IdentityReply": {1: ("message", S)},
    "RgEvent": {1: ("redundancy_group", U), 2: ("from", S), 3: ("to", S), 4: ("reason", S),
                5: ("time_ms", U), 6: ("node_id", U), 7: ("failover_count", U)},
    "PeerEvent": {1: ("state", S), 2: ("peer_node", U)},
    "ColdsyncRegister": {1: ("participant", S)},
}
EVENT_SCHEMA = {"rg.state": "RgEvent", "cluster.peer": "PeerEvent",
                "coldsync.start": "ColdsyncRegister"}
REPEATED = {"groups", "nodes", "control", "fabric", "reths", "history", "participants"}


def pb_decode(name, buf):
    """A dict of the message's known fields; repeated ones as lists, absent ones defaulted."""
    return pb.decode(SCHEMA, REPEATED, name, buf, msg_default=0)


_varint = pb.varint


def pb_varints(**fields):
    """A message of varint fields given as num=value keywords f1=..., f2=..."""
    out = b""
    for k, v in sorted(fields.items(), key=lambda kv: int(kv[0][1:])):
        if v:
            out += _varint(int(k[1:]) << 3) + _varint(int(v))
    return out


def show_cluster(rg=-1):
    return pb_varints(f1=rg)


pb_string = pb.field_str


class Subscriber:
    """A ctl connection subscribed to clusterd topics; events() drains what arrived as
    (topic, decoded dict) pairs."""

    def __init__(self, sock_path, topics, timeout=2.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(timeout)
        self.s.connect(sock_path)
        payload = b"".join(pb_string(1, t) for t in topics)
        self.s.send(encode_frame(1, FRAME_REQUEST, "subscribe", payload))
        self.pending = []
        while True:
            f = decode_frame(self.s.recv(CTL_MAX_FRAME + 1))
            if f["kind"] == FRAME_EVENT:
                self.pending.append(f)
            elif f["kind"] == FRAME_ERROR:
                raise CtlError(f["code"], f["error"])
            elif f["kind"] == FRAME_END and f["id"] == 1:
                break

    def events(self, wait=0.0):
        """Events received so far (waiting up to `wait` s for the first one)."""
        out, frames = [], self.pending
        self.pending = []
        self.s.settimeout(wait if wait > 0 else 0.001)
        try:
            while True:
                frames.append(decode_frame(self.s.recv(CTL_MAX_FRAME + 1)))
                self.s.settimeout(0.001)
        except (socket.timeout, BlockingIOError):
            pass
        for f in frames:
            if f["kind"] != FRAME_EVENT:
                continue
            name = EVENT_SCHEMA.get(f["method"])
            out.append((f["method"], pb_decode(name, bytes(f["payload"])) if name else None))
        return out

    def close(self):
        self.s.close()


# ---------------------------------------------------------------- the cluster


def set_lines(interval=100, threshold=3, key=KEY, groups=None, links=("em0", "em1"),
              fabric="fp0", reths=None, extra=()):
    """`set` lines of a cluster config. groups: {rg: (prio node0, prio node1, {options})};
    reths: {"reth0": (rg, member, ["10.1.0.1/24"])}."""
    groups = groups or {0: (200, 100, {}), 1: (200, 100, {})}
    lines = [f"set chassis cluster heartbeat-interval {interval}",
             f"set chassis cluster heartbeat-threshold {threshold}",
             f"set chassis cluster authentication-key {key}"]
    for i, ifname in enumerate(links):
        if ifname:
            lines.append(f"set chassis cluster control-link {i} interface {ifname}")
    if reths:
        # keel-chassis.yang: no more data-plane groups than reth-count
        n = max(len(reths), sum(1 for rg in groups if rg != 0))
        lines.append(f"set chassis cluster reth-count {n}")
    for rg, (p0, p1, opts) in sorted(groups.items()):
        lines.append(f"set chassis cluster redundancy-group {rg} node 0 priority {p0}")
        lines.append(f"set chassis cluster redundancy-group {rg} node 1 priority {p1}")
        for k, v in opts.items():
            lines.append(f"set chassis cluster redundancy-group {rg} {k} {v}".rstrip())
    if fabric:
        lines.append(f"set interfaces fab0 fabric-options member-interfaces {fabric}")
        lines.append(f"set interfaces fab1 fabric-options member-interfaces {fabric}")
    for name, (rg, member, addrs) in sorted((reths or {}).items()):
        lines.append(f"set interfaces {name} redundant-ether-options redundancy-group {rg}")
        for a in addrs:
            fam = "inet6" if ":" in a else "inet"
            lines.append(f"set interfaces {name} unit 0 family {fam} address {a}")
        lines.append(f"set interfaces {member} gigether-options redundant-parent {name}")
    return lines + list(extra)


class Cluster:
    """A two-node cluster testbed: nodes node0 and node1 of cluster CLUSTER_ID."""

    NODES = ("node0", "node1")

    def __init__(self, bed):
        self.bed = bed

    @classmethod
    def up(cls, testbed, topology=TOPOLOGY, cluster_id=CLUSTER_ID):
        bed = testbed(topology)
        for i, node in enumerate(cls.NODES):
            write_eeprom(bed.node_root(node), cluster_id, i)
        c = cls(bed)
        for node in cls.NODES:
            bed.keel_node("start", node, "--bin", BIN)
        return c

    def sock(self, node):
        return str(self.bed.node_root(node) / "run" / "keel" / "clusterd.ctl")

    def ctl(self, node, method, payload=b"", timeout=2.0):
        return ctl_call(self.sock(node), method, payload, timeout=timeout)

    def cli(self, node, cmds, check=True, timeout=30):
        return self.bed.run(node, [BIN / "cli", "-c", cmds], check=check, timeout=timeout)

    def commit(self, node, lines):
        return self.cli(node, "configure; " + "; ".join(lines) + "; commit")

    def commit_all(self, lines, nodes=NODES):
        for node in nodes:
            self.commit(node, lines)

    # ---- reading clusterd

    def status(self, node, rg=-1):
        return pb_decode("ClusterStatus", b"".join(self.ctl(node, "show.status", show_cluster(rg))))

    def statistics(self, node):
        return pb_decode("ClusterStatistics", b"".join(self.ctl(node, "show.statistics")))

    def interfaces(self, node):
        return pb_decode("ClusterInterfaces", b"".join(self.ctl(node, "show.interfaces")))

    def information(self, node):
        return pb_decode("ClusterInformation",
                         b"".join(self.ctl(node, "show.information", show_cluster(-1))))

    def roles(self, node):
        """{rg: {node_id: status}} as `node` sees it."""
        return {g["id"]: {n["node_id"]: n["status"] for n in g["nodes"]}
                for g in self.status(node)["groups"]}

    def primary_of(self, node, rg):
        """node name that `node` sees as primary of rg, or None."""
        for nid, st in self.roles(node).get(rg, {}).items():
            if st == "primary":
                return self.NODES[nid]
        return None

    def agree(self, expect):
        """True when both nodes see expect = {rg: primary node name} with the other node
        secondary."""
        for viewer in self.NODES:
            roles = self.roles(viewer)
            for rg, prim in expect.items():
                want = {i: ("primary" if n == prim else "secondary")
                        for i, n in enumerate(self.NODES)}
                if roles.get(rg) != want:
                    return False
        return True

    def wait_roles(self, expect, timeout=10):
        return poll(lambda: self.agree(expect), timeout=timeout, interval=0.05,
                    what=f"both nodes agree on primaries {expect}")

    def pid(self, node, daemon="clusterd"):
        p = self.bed.node_root(node) / "run" / "keel" / f"{daemon}.pid"
        return int(p.read_text().split()[0])

    def kill(self, node, daemon="clusterd", sig=signal.SIGKILL):
        os.kill(self.pid(node, daemon), sig)

    def ip(self, node, *args):
        return sh(["ip", "-n", self.bed.ns(node), *args])

    def dump(self):
        """Text for assertion messages: both nodes' status and statistics."""
        out = []
        for node in self.NODES:
            try:
                out.append(f"{node}: {self.status(node)}\n{node}: {self.statistics(node)}")
            except Exception as e:  # noqa: BLE001 - a dump never fails the test by itself
                out.append(f"{node}: {e}")
        return "\n".join(out)


def wait_for(fn, timeout, interval=0.01):
    """Like poll, but returns (value, seconds it took)."""
    t0 = time.monotonic()
    v = poll(fn, timeout=timeout, interval=interval)
    return v, time.monotonic() - t0


# ---------------------------------------------------------------- failure injection (K5)

VMAC_RETH0 = "00:10:db:ff:10:00"  # cluster 1, reth0 (DESIGN.md §3 Cluster)


def vmac(cluster_id, index):
    x = ((cluster_id & 0x0F) << 4) | (cluster_id >> 4)
    return f"00:10:db:ff:{x:02x}:{index:02x}"


class Nft:
    """nftables rules in one namespace, removed by close() (notes cluster.md §12: loss
    injection without netem). Each Nft owns its own table."""

    seq = 0

    def __init__(self, bed, name, family="inet"):
        Nft.seq += 1
        self.bed, self.name, self.family = bed, name, family
        self.table = f"k5t{Nft.seq}"
        self.run(f"add table {family} {self.table}")

    def run(self, script):
        return sh(["ip", "netns", "exec", self.bed.ns(self.name), "nft", script])

    def chain(self, chain, spec):
        self.run(f"add chain {self.family} {self.table} {chain} {{ {spec} ; }}")

    def rule(self, chain, rule):
        self.run(f"add rule {self.family} {self.table} {chain} {rule}")

    def close(self):
        sh(["ip", "netns", "exec", self.bed.ns(self.name), "nft", "delete", "table",
            self.family, self.table], check=False)


def drop_proto(bed, name, protos, hooks=("input", "output")):
    """Drops IPv4 protocols (250 heartbeats, 254 fabric probes) in `name`'s namespace, in one
    nft transaction: a cut installed rule by rule would let probes through while heartbeats
    are already gone, which is a control-link failure (notes §3), not a cut."""
    n = Nft(bed, name)
    cmds = []
    for hook in hooks:
        cmds.append(f"add chain {n.family} {n.table} {hook} "
                    f"{{ type filter hook {hook} priority 0 ; }}")
        for p in protos:
            cmds.append(f"add rule {n.family} {n.table} {hook} ip protocol {p} counter drop")
    n.run("; ".join(cmds))
    return n


def parse_pcap(data):
    """[(wall time, frame bytes)] of a pcap file (µs or ns timestamps)."""
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end, ns = "<", magic == b"\x4d\x3c\xb2\xa1"
    else:
        end, ns = ">", magic == b"\xa1\xb2\x3c\x4d"
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        out.append((sec + frac / (1e9 if ns else 1e6), data[off:off + incl]))
        off += incl
    return out


def arp_frames(frames):
    """ARP frames as dicts: t, src (Ethernet source), op (1 request, 2 reply), sha, spa, tpa."""
    out = []
    for t, f in frames:
        if len(f) < 42 or f[12:14] != b"\x08\x06":
            continue
        mac = lambda b: ":".join(f"{x:02x}" for x in b)  # noqa: E731
        ip = lambda b: socket.inet_ntoa(bytes(b))  # noqa: E731
        out.append({"t": t, "src": mac(f[6:12]), "op": struct.unpack(">H", f[20:22])[0],
                    "sha": mac(f[22:28]), "spa": ip(f[28:32]), "tpa": ip(f[38:42])})
    return out


class Capture:
    """tcpdump -i IF in a namespace (host side or a node's port), written to a pcap file;
    stop() returns the frames as (wall time, bytes)."""

    def __init__(self, bed, name, ifname, filt="arp", direction=None):
        fd, self.path = tempfile.mkstemp(prefix="k5cap", suffix=".pcap")
        os.close(fd)
        self.err = tempfile.NamedTemporaryFile(prefix="k5cap", suffix=".err", delete=False)
        argv = ["ip", "netns", "exec", bed.ns(name), "tcpdump", "-i", ifname, "-U", "--immediate-mode", "-n",
                "-s", "2048", "-w", self.path]
        if direction:
            argv += ["-Q", direction]
        argv += filt.split()
        self.p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.err,
                                  stdin=subprocess.DEVNULL)
        poll(lambda: "listening on" in Path(self.err.name).read_text(), timeout=5,
             interval=0.02, what=f"tcpdump on {name}:{ifname}")

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        data = Path(self.path).read_bytes()
        self.stderr = Path(self.err.name).read_text()
        for f in (self.path, self.err.name):
            try:
                os.unlink(f)
            except OSError:
                pass
        return parse_pcap(data)


class Pinger:
    """ping -D every `interval` s from a host for `duration` s; gaps() after wait()."""

    def __init__(self, bed, host, dst, interval=0.01, duration=5.0):
        self.interval = interval
        self.out = tempfile.TemporaryFile("w+")
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", bed.ns(host), "ping", "-n", "-D", "-i", str(interval),
             "-W", "1", "-w", str(int(round(duration))), dst],
            stdout=self.out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait(self):
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.out.seek(0)
        self.text = self.out.read()
        self.replies = []  # (wall time, icmp_seq)
        for line in self.text.splitlines():
            if "icmp_seq=" in line and line.startswith("["):
                t = float(line[1:line.index("]")])
                seq = int(line.split("icmp_seq=")[1].split()[0])
                self.replies.append((t, seq))
        return self.replies

    def largest_gap(self, after=0.0):
        """Longest time (s) between consecutive replies received after wall time `after`."""
        ts = [t for t, _ in self.replies if t >= after]
        return max((b - a for a, b in zip(ts, ts[1:])), default=float("inf"))


def node_pids(bed, node):
    """Every pid the node's pid files name (daemons, bus)."""
    run = bed.node_root(node) / "run" / "keel"
    out = []
    for f in run.glob("*.pid"):
        try:
            out.append(int(f.read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            pass
    return out


def kill_node(bed, node):
    """kill -9 every process of a node (each in its own process group: the daemons' helpers,
    such as clusterd's fence, go with them), then every link of the node down. Returns the
    CLOCK_MONOTONIC time of the kill."""
    t = time.monotonic()
    for pid in node_pids(bed, node):
        try:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    ns = bed.ns(node)
    links = sh(["ip", "-n", ns, "-o", "link", "show"]).stdout.splitlines()
    for line in links:
        name = line.split(":")[1].strip().split("@")[0]
        if name != "lo":
            sh(["ip", "-n", ns, "link", "set", name, "down"], check=False)
    return t


def start_clusterd(bed, node):
    """Starts clusterd alone on a running node, the way init/keel-node does (its pid file is
    the daemon's own, so `keel-node stop` stops it)."""
    root = bed.node_root(node)
    env = dict(os.environ, KEEL_ROOT=str(root), KEEL_NODE_NAME=node, KEEL_BUS_PORT="51883")
    log = open(root / "var" / "log" / "keel" / "clusterd.log", "a")
    sock = root / "run" / "keel" / "clusterd.ctl"
    try:
        sock.unlink()
    except OSError:
        pass
    p = subprocess.Popen(["ip", "netns", "exec", bed.ns(node), str(BIN / "clusterd"), "-f",
                          "-d"], env=env, stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    return p


def reth_state(bed, node, name="reth0"):
    """(admin up, addresses) of a node's reth macvlan, (False, []) when absent."""
    p = sh(["ip", "-n", bed.ns(node), "-o", "addr", "show", "dev", name], check=False)
    l = sh(["ip", "-n", bed.ns(node), "-o", "link", "show", "dev", name], check=False)
    if l.returncode != 0:
        return False, []
    flags = l.stdout.split("<", 1)[1].split(">", 1)[0].split(",")
    addrs = [ln.split()[3] for ln in p.stdout.splitlines() if " inet " in ln]
    return "UP" in flags, addrs


def commit_both(c, lines, node1_lines=None):
    """Commits `lines` on node0, then on node1 (`node1_lines` if given). With config sync
    (mgd, issue 4 item 6) node1 refuses configuration mode once it is the secondary and gets
    node0's commit instead; that refusal is accepted, any other error is not."""
    c.commit("node0", lines)
    r = c.cli("node1", "configure; " + "; ".join(node1_lines or lines) + "; commit",
              check=False)
    assert r.returncode == 0 or "secondary node" in r.stderr, (r.stdout, r.stderr)
