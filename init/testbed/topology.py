"""Topology data files (DESIGN.md §3 "Node launcher and testbed").

A topology is a TOML file, read with tomllib and checked completely here
before anything is created, so that a typo fails fast and leaves nothing
behind. The format:

    [testbed]
    description = "..."          # optional, shown by `keel-testbed status`
    ipv6_dad = false             # optional (default false: v6 addresses usable at once)
    checksum_offload = false     # optional (default false: veths checksum in software, which
                                 # OVS's userspace datapath and AF_PACKET readers need)

    [node.node0]                 # a keel node: its own namespace and KEEL_ROOT
    dataplane = "linux"          # linux | ovs (passed to init/keel-node)
    config = "node0.conf"        # optional, relative to this file; or
    config_text = "..."          #   inline (written to STATE/node0.conf)
    chassis = { cluster-id = 1, node = 0 }  # optional: the node's chassis-cluster
                                 # identity, written to its EEPROM before it starts
    addresses = { em0 = ["10.0.0.1/30"] }   # optional static plumbing
    routes = ["default via 10.0.0.2"]       # optional, `ip route add` arguments
    sysctl = { "net.ipv4.ip_forward" = "1" } # optional

    [host.host1]                 # a plain namespace: same keys, minus dataplane/config
    addresses = { eth0 = ["10.1.0.10/24"] }
    routes = ["default via 10.1.0.1"]

    [switch.lan]
    kind = "ovs"                 # ovs: bridge (datapath_type=netdev) in the testbed's
                                 #      private Open vSwitch; bridge: a Linux bridge in
                                 #      its own namespace

    [[link]]                     # one veth pair
    a = "node0:em0"              # NAME:IFNAME for nodes and hosts
    b = "node1:em0"              # SWITCH or SWITCH:PORT for switches
    mtu = 9000                   # optional, both ends
    mac_a = "02:00:00:00:00:01"  # optional, for a (or b) when it is a node/host
    tag = 100                    # optional, ovs switch ports only:
    trunks = [100, 200]          #   tag, trunks, vlan_mode as in ovs-vsctl
    vlan_mode = "native-untagged"

Names are [a-z][a-z0-9_-]*, unique across nodes, hosts and switches; "ovs"
is reserved (the namespace of the private Open vSwitch). Interface names
(and generated switch port names) are at most 15 characters (IFNAMSIZ-1).
"""

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field

IFNAMSIZ = 16
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
IFNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$")
MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
RESERVED = {"ovs"}
VLAN_MODES = {"access", "trunk", "native-tagged", "native-untagged", "dot1q-tunnel"}


class TopologyError(Exception):
    """The file is not a valid topology; the message says where and why."""


@dataclass
class Member:
    """A node or a host: one network namespace."""

    name: str
    kind: str  # "node" | "host"
    dataplane: str = "linux"
    config: str | None = None  # absolute path
    config_text: str | None = None
    chassis: tuple[int, int] | None = None  # (cluster-id, node-id) for the EEPROM
    addresses: dict[str, list[str]] = field(default_factory=dict)
    routes: list[str] = field(default_factory=list)
    sysctl: dict[str, str] = field(default_factory=dict)


@dataclass
class Switch:
    name: str
    kind: str  # "ovs" | "bridge"


@dataclass
class Endpoint:
    owner: str  # member or switch name
    ifname: str  # interface name inside the owner's namespace (switch port for switches)
    is_switch: bool
    mac: str | None = None


@dataclass
class Link:
    index: int
    a: Endpoint
    b: Endpoint
    mtu: int | None = None
    port_opts: dict[str, object] = field(default_factory=dict)  # ovs switch side


@dataclass
class Topology:
    path: str
    description: str
    ipv6_dad: bool
    checksum_offload: bool
    members: dict[str, Member]
    switches: dict[str, Switch]
    links: list[Link]

    @property
    def nodes(self):
        return [m for m in self.members.values() if m.kind == "node"]

    @property
    def hosts(self):
        return [m for m in self.members.values() if m.kind == "host"]


def _fail(where, msg):
    raise TopologyError(f"{where}: {msg}")


def _check_keys(where, table, allowed):
    if not isinstance(table, dict):
        _fail(where, "must be a table")
    extra = sorted(set(table) - set(allowed))
    if extra:
        _fail(where, f"unknown key(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})")


def _check_cidr(where, text):
    try:
        ipaddress.ip_interface(text)
    except ValueError as e:
        _fail(where, f"bad address {text!r}: {e}")
    if "/" not in text:
        _fail(where, f"address {text!r} needs a prefix length")


def _member(path_dir, kind, name, t):
    where = f"[{kind}.{name}]"
    allowed = {"addresses", "routes", "sysctl"}
    if kind == "node":
        allowed |= {"dataplane", "config", "config_text", "chassis"}
    _check_keys(where, t, allowed)
    m = Member(name=name, kind=kind)
    if kind == "node":
        m.dataplane = t.get("dataplane", "linux")
        if m.dataplane not in ("linux", "ovs"):
            _fail(where, f"dataplane must be linux or ovs, not {m.dataplane!r}")
        if "config" in t and "config_text" in t:
            _fail(where, "config and config_text are exclusive")
        if "config" in t:
            p = t["config"]
            if not isinstance(p, str):
                _fail(where, "config must be a path")
            m.config = p if os.path.isabs(p) else os.path.normpath(os.path.join(path_dir, p))
            if not os.path.isfile(m.config):
                _fail(where, f"config file {m.config} does not exist")
        if "config_text" in t:
            if not isinstance(t["config_text"], str):
                _fail(where, "config_text must be a string")
            m.config_text = t["config_text"]
        if "chassis" in t:
            c = t["chassis"]
            if not isinstance(c, dict) or set(c) != {"cluster-id", "node"}:
                _fail(where, "chassis must be { cluster-id = N, node = M }")
            cid, nid = c["cluster-id"], c["node"]
            if not isinstance(cid, int) or not 0 <= cid <= 255:
                _fail(where, "chassis cluster-id must be 0..255")
            if nid not in (0, 1):
                _fail(where, "chassis node must be 0 or 1")
            m.chassis = (cid, nid)
    addrs = t.get("addresses", {})
    if not isinstance(addrs, dict):
        _fail(where, "addresses must be a table {ifname = [cidr, ...]}")
    for ifn, lst in addrs.items():
        if isinstance(lst, str):
            lst = [lst]
        if not isinstance(lst, list) or not all(isinstance(a, str) for a in lst):
            _fail(where, f"addresses.{ifn} must be a list of strings")
        for a in lst:
            _check_cidr(f"{where} addresses.{ifn}", a)
        m.addresses[ifn] = list(lst)
    routes = t.get("routes", [])
    if not isinstance(routes, list) or not all(isinstance(r, str) and r.strip() for r in routes):
        _fail(where, "routes must be a list of `ip route add` argument strings")
    m.routes = list(routes)
    sysctl = t.get("sysctl", {})
    if not isinstance(sysctl, dict):
        _fail(where, "sysctl must be a table")
    for k, v in sysctl.items():
        if not re.match(r"^net\.[A-Za-z0-9_.-]+$", k):
            _fail(where, f"sysctl {k!r}: only net.* keys are per-namespace")
        m.sysctl[k] = str(v)
    return m


def _endpoint(where, text, members, switches):
    if not isinstance(text, str) or not text:
        _fail(where, "endpoint must be a string NAME:IFNAME or SWITCH[:PORT]")
    owner, _, ifname = text.partition(":")
    if owner in switches:
        if ifname and not IFNAME_RE.match(ifname):
            _fail(where, f"bad switch port name {ifname!r} (max 15 chars)")
        return Endpoint(owner=owner, ifname=ifname, is_switch=True)
    if owner in members:
        if not ifname:
            _fail(where, f"endpoint {text!r} needs an interface name ({owner}:IFNAME)")
        if not IFNAME_RE.match(ifname) or ifname == "lo":
            _fail(where, f"bad interface name {ifname!r} (max 15 chars, not lo)")
        return Endpoint(owner=owner, ifname=ifname, is_switch=False)
    _fail(where, f"endpoint {text!r} names no node, host or switch")


def _port_name(ep, peer, sw_ports):
    """Generated switch port name: '<peer>-<ifname>' when it fits, else '<switch>p<N>'."""
    if ep.ifname:
        return ep.ifname
    if not peer.is_switch:
        cand = f"{peer.owner}-{peer.ifname}"
        if len(cand) < IFNAMSIZ and cand not in sw_ports:
            return cand
    n = 1
    while True:
        cand = f"{ep.owner[:10]}p{n}"
        if cand not in sw_ports:
            return cand
        n += 1


def parse(text, path="<string>"):
    """Parses and validates a topology; raises TopologyError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise TopologyError(f"{path}: {e}") from None
    _check_keys(path, data, {"testbed", "node", "host", "switch", "link"})
    path_dir = os.path.dirname(os.path.abspath(path)) if path != "<string>" else os.getcwd()
    tb = data.get("testbed", {})
    _check_keys("[testbed]", tb, {"description", "ipv6_dad", "checksum_offload"})
    members, switches = {}, {}

    def claim(kind, name):
        if not isinstance(name, str) or not NAME_RE.match(name):
            _fail(f"[{kind}.{name}]", "names are [a-z][a-z0-9_-]*, at most 32 characters")
        if name in RESERVED:
            _fail(f"[{kind}.{name}]", f"the name {name!r} is reserved")
        if name in members or name in switches:
            _fail(f"[{kind}.{name}]", "name used twice (nodes, hosts and switches share names)")

    for kind in ("node", "host"):
        sect = data.get(kind, {})
        if not isinstance(sect, dict):
            _fail(f"[{kind}]", f"use [{kind}.NAME] tables")
        for name, t in sect.items():
            claim(kind, name)
            members[name] = _member(path_dir, kind, name, t)
    sect = data.get("switch", {})
    if not isinstance(sect, dict):
        _fail("[switch]", "use [switch.NAME] tables")
    for name, t in sect.items():
        claim("switch", name)
        _check_keys(f"[switch.{name}]", t, {"kind"})
        kind = t.get("kind", "bridge")
        if kind not in ("ovs", "bridge"):
            _fail(f"[switch.{name}]", f"kind must be ovs or bridge, not {kind!r}")
        if len(name) >= IFNAMSIZ:
            _fail(f"[switch.{name}]", "switch names are bridge names: max 15 characters")
        switches[name] = Switch(name=name, kind=kind)

    raw_links = data.get("link", [])
    if not isinstance(raw_links, list):
        _fail("[[link]]", "links are an array of tables [[link]]")
    links, used = [], {}
    sw_ports = {}  # switch -> set of port names; ovs ports share one namespace
    ovs_ports = set()
    for i, t in enumerate(raw_links):
        where = f"[[link]] #{i + 1}"
        _check_keys(where, t, {"a", "b", "mtu", "mac_a", "mac_b", "tag", "trunks", "vlan_mode"})
        if "a" not in t or "b" not in t:
            _fail(where, "needs a and b")
        a = _endpoint(f"{where} a", t["a"], members, switches)
        b = _endpoint(f"{where} b", t["b"], members, switches)
        if a.owner == b.owner:
            _fail(where, "a and b are in the same namespace")
        for side, ep in (("a", a), ("b", b)):
            mac = t.get(f"mac_{side}")
            if mac is not None:
                if ep.is_switch:
                    _fail(where, f"mac_{side}: switch ports take no MAC")
                if not isinstance(mac, str) or not MAC_RE.match(mac):
                    _fail(where, f"mac_{side}: bad MAC {mac!r}")
                ep.mac = mac.lower()
        for ep, peer in ((a, b), (b, a)):
            if ep.is_switch:
                ports = sw_ports.setdefault(ep.owner, set())
                taken = ovs_ports if switches[ep.owner].kind == "ovs" else ports
                ep.ifname = _port_name(ep, peer, taken | set(switches))
                if ep.ifname in taken or ep.ifname in switches or ep.ifname == "ovs-netdev":
                    _fail(where, f"switch port {ep.ifname!r} used twice")
                taken.add(ep.ifname)
                ports.add(ep.ifname)
            else:
                key = (ep.owner, ep.ifname)
                if key in used:
                    _fail(where, f"{ep.owner}:{ep.ifname} is already used by link #{used[key]}")
                used[key] = i + 1
        mtu = t.get("mtu")
        if mtu is not None and (not isinstance(mtu, int) or isinstance(mtu, bool) or mtu < 68):
            _fail(where, f"mtu must be an integer >= 68, not {mtu!r}")
        opts = {}
        for k in ("tag", "trunks", "vlan_mode"):
            if k in t:
                opts[k] = t[k]
        if opts:
            sws = [ep for ep in (a, b) if ep.is_switch]
            if len(sws) != 1 or switches[sws[0].owner].kind != "ovs":
                _fail(where, "tag/trunks/vlan_mode need exactly one ovs switch endpoint")
            tag = opts.get("tag")
            if tag is not None and (not isinstance(tag, int) or not 0 <= tag <= 4095):
                _fail(where, f"tag must be 0-4095, not {tag!r}")
            tr = opts.get("trunks")
            if tr is not None and (
                not isinstance(tr, list) or not all(isinstance(v, int) and 0 <= v <= 4095 for v in tr)
            ):
                _fail(where, "trunks must be a list of VLAN ids 0-4095")
            vm = opts.get("vlan_mode")
            if vm is not None and vm not in VLAN_MODES:
                _fail(where, f"vlan_mode must be one of {', '.join(sorted(VLAN_MODES))}")
        links.append(Link(index=i + 1, a=a, b=b, mtu=mtu, port_opts=opts))

    for m in members.values():
        for ifn in m.addresses:
            if ifn != "lo" and (m.name, ifn) not in used:
                _fail(f"[{m.kind}.{m.name}]", f"addresses for {ifn}, which no link creates")
    return Topology(
        path=os.path.abspath(path) if path != "<string>" else path,
        description=str(tb.get("description", "")),
        ipv6_dad=bool(tb.get("ipv6_dad", False)),
        checksum_offload=bool(tb.get("checksum_offload", False)),
        members=members,
        switches=switches,
        links=links,
    )


def load(path):
    """Reads and validates the topology file at path."""
    try:
        with open(path, "rb") as f:
            text = f.read().decode()
    except OSError as e:
        raise TopologyError(f"{path}: {e.strerror}") from None
    return parse(text, path)
