"""The testbed builder itself: two-node.toml comes up, forwards, and goes away completely."""

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, TOPOLOGIES, poll, sh

import testbed as tbmod

KEEL_TESTBED = REPO / "init" / "keel-testbed"


def leftovers(tb_id, state_dir=None):
    """Everything of testbed tb_id that still exists: namespaces, live processes, state."""
    state_dir = state_dir or tbmod.state_dir_for(tb_id)
    left = [f"netns {n}" for n in tbmod.netns_list() if n.startswith(f"kt-{tb_id}-")]
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if state_dir in cmd:
            left.append(f"pid {pid}: {cmd}")
    if os.path.exists(state_dir):
        left.append(f"state dir {state_dir}")
    return left


def root_links():
    return {link["ifname"] for link in json.loads(sh(["ip", "-j", "link", "show"]).stdout)}


def links_in(bed, name):
    return {link["ifname"]: link for link in json.loads(bed.run(name, ["ip", "-j", "link"]).stdout)}


def kt_cli(*args, env=None, check=False):
    return sh([KEEL_TESTBED, *args], check=check, timeout=60, env=env)


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_two_node_up_forwards_and_goes_away(testbed):
    before = root_links()
    bed = testbed("two-node")
    topo = tbmod.load(str(TOPOLOGIES / "two-node.toml"))

    nslist = tbmod.netns_list()
    for name in list(topo.members) + ["ovs", "wan"]:
        assert bed.ns(name) in nslist, f"namespace of {name} missing"
    # every link end exists, is up, and sits in the right namespace
    for link in topo.links:
        for ep in (link.a, link.b):
            ifs = links_in(bed, ep.owner)
            assert ep.ifname in ifs, f"{ep.owner}:{ep.ifname} missing"
            assert "UP" in ifs[ep.ifname]["flags"], f"{ep.owner}:{ep.ifname} is down"
    # switch membership: ovs ports on lan, bridge ports on wan
    ports = set(bed.run("lan", ["ovs-vsctl", "list-ports", "lan"]).stdout.split())
    assert ports == {"node0-ge0", "node1-ge0", "host1-eth0", "host3-eth0"}
    wan = {link["ifname"] for link in
           json.loads(bed.run("wan", ["ip", "-j", "link", "show", "master", "wan"]).stdout)}
    assert wan == {"node0-ge1", "node1-ge1", "host2-eth0"}
    dp = bed.run("lan", ["ovs-vsctl", "get", "bridge", "lan", "datapath_type"]).stdout.strip()
    assert dp == "netdev"
    # nothing of ours leaked into the root namespace
    assert root_links() == before

    # hosts on the same (ovs) switch reach each other, v4 and v6
    assert poll(lambda: bed.ping("host1", "10.1.0.30"), timeout=5, what="host1 -> host3")
    assert poll(lambda: bed.ping("host3", "2001:db8:1::10"), timeout=5, what="host3 -> host1 v6")
    # UDP crosses the userspace datapath (needs software checksums on the veths)
    recv = subprocess.Popen(
        ["ip", "netns", "exec", bed.ns("host3"), "/usr/bin/python3", "-c",
         "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
         "s.bind(('10.1.0.30', 4000)); s.settimeout(5); print(s.recvfrom(2000)[0].decode())"],
        stdout=subprocess.PIPE, text=True)
    try:
        def send_and_check():
            bed.run("host1", ["/usr/bin/python3", "-c",
                              "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
                              ".sendto(b'keel' * 300, ('10.1.0.30', 4000))"])
            return recv.poll() is not None or None

        poll(send_and_check, timeout=5, interval=0.2, what="UDP host1 -> host3 through ovs")
        assert recv.stdout.read().strip() == "keel" * 300
    finally:
        recv.kill()
        recv.wait()
    # the control link carries v6 link-local traffic between the nodes
    ll = json.loads(bed.run("node1", ["ip", "-j", "-6", "addr", "show", "dev", "em0"]).stdout)
    addr = next(a["local"] for a in ll[0]["addr_info"] if a["local"].startswith("fe80"))
    assert poll(lambda: bed.ping("node0", f"{addr}%em0"), timeout=5, what="node0 -> node1 em0")
    # the switches are separate: host1's lan does not reach host2 on the wan
    assert not bed.ping("host1", "10.2.0.20")

    tb_id = bed.id
    assert bed.down() == []
    assert leftovers(tb_id) == []
    assert root_links() == before


def test_cli_up_status_exec_down_twice():
    tb_id = "pt" + os.urandom(3).hex()
    p = kt_cli("up", TOPOLOGIES / "two-node.toml", "--name", tb_id, "-q")
    try:
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() == tb_id
        st = json.loads(kt_cli("status", tb_id, "--json", check=True).stdout)
        assert st["status"] == "up"
        assert all(ns["present"] for ns in st["namespaces"].values())
        assert all(st["ovs"].values()), st["ovs"]
        # exec gives nodes their KEEL_ROOT and ovs switches their private OVS
        root = kt_cli("exec", tb_id, "node0", "--", "sh", "-c", "echo $KEEL_ROOT").stdout
        assert root.strip() == os.path.join(tbmod.state_dir_for(tb_id), "node0")
        ports = kt_cli("exec", tb_id, "lan", "--", "ovs-vsctl", "list-ports", "lan")
        assert "host1-eth0" in ports.stdout.split(), ports.stderr
        assert kt_cli("exec", tb_id, "host1", "--", "ping", "-c1", "-W1",
                           "10.1.0.30").returncode == 0
    finally:
        d1 = kt_cli("down", tb_id)
        d2 = kt_cli("down", tb_id)
    assert d1.returncode == 0, d1.stderr
    assert d2.returncode == 0, d2.stderr
    assert leftovers(tb_id) == []


BAD_REF = """
[host.a]
[host.b]
[switch.s]
kind = "ovs"
[[link]]
a = "a:eth0"
b = "s"
[[link]]
a = "b:eth0"
b = "nosuch:eth0"
"""

# Valid on paper, fails in the kernel only after namespaces, the OVS
# instance, both switch kinds and the links exist: the route's gateway is on
# no connected subnet.
FAILS_LATE = """
[host.a]
addresses = { eth0 = ["10.9.0.1/24"] }
[host.b]
addresses = { eth0 = ["10.9.1.1/24"] }
routes = ["default via 10.99.0.1"]
[switch.s]
kind = "ovs"
[switch.br]
kind = "bridge"
[[link]]
a = "a:eth0"
b = "s"
[[link]]
a = "b:eth0"
b = "br"
[[link]]
a = "a:eth1"
b = "b:eth1"
"""


def test_bad_link_reference_creates_nothing(tmp_path):
    tb_id = "pt" + os.urandom(3).hex()
    p = kt_cli("up", write(tmp_path, "bad.toml", BAD_REF), "--name", tb_id)
    assert p.returncode == 2
    assert "nosuch:eth0" in p.stderr and "names no node, host or switch" in p.stderr
    assert leftovers(tb_id) == []


def test_failure_halfway_rolls_back_everything(tmp_path):
    tb_id = "pt" + os.urandom(3).hex()
    p = kt_cli("up", write(tmp_path, "late.toml", FAILS_LATE), "--name", tb_id)
    assert p.returncode == 1
    assert "invalid gateway" in p.stderr
    # it did get halfway: OVS, the bridge and the links were created before the route failed
    assert "ovs     kt-" in p.stderr and "link    a:eth1 <-> b:eth1" in p.stderr
    assert "remove  ovs " in p.stderr
    assert leftovers(tb_id) == []


def test_down_after_crash_halfway(tmp_path):
    """A killed `up` (no rollback) leaves a journal from which `down` removes everything."""
    tb_id = "pt" + os.urandom(3).hex()
    env = dict(os.environ, KEEL_TESTBED_CRASH_AFTER="7")
    p = kt_cli("up", write(tmp_path, "late.toml", FAILS_LATE), "--name", tb_id, env=env)
    assert p.returncode == 99
    left = leftovers(tb_id)
    assert any(x.startswith("netns") for x in left), left
    assert any("ovs-vswitchd" in x for x in left), left
    d = kt_cli("down", tb_id)
    assert d.returncode == 0, d.stderr
    assert leftovers(tb_id) == []


@pytest.mark.parametrize(
    "text, message",
    [
        ('[host.a]\n[host.b]\n[[link]]\na = "a:eth0"\nb = "b:eth0"\n[[link]]\na = "a:eth0"\n'
         'b = "b:eth1"\n', "a:eth0 is already used by link #1"),
        ('[host.a]\n[host.b]\n[[link]]\na = "a:averyveryverylongname"\nb = "b:eth0"\n',
         "max 15 chars"),
        ('[host.a]\nfoo = 1\n', "unknown key(s) foo"),
        ('[host.a]\naddresses = { eth0 = ["10.0.0.1"] }\n', "needs a prefix length"),
        ('[host.a]\naddresses = { eth0 = ["10.0.0.1/24"] }\n', "which no link creates"),
        ('[host.a]\n[switch.a]\n', "name used twice"),
        ('[host.ovs]\n', "reserved"),
        ('[switch.s]\nkind = "hub"\n', "kind must be ovs or bridge"),
        ('[host.a]\n[switch.s]\nkind = "bridge"\n[[link]]\na = "a:e0"\nb = "s"\ntag = 10\n',
         "need exactly one ovs switch endpoint"),
        ('[node.n]\nchassis = { cluster-id = 1 }\n', "chassis must be"),
        ('[node.n]\nchassis = { cluster-id = 300, node = 0 }\n', "cluster-id must be 0..255"),
        ('[node.n]\nchassis = { cluster-id = 1, node = 2 }\n', "node must be 0 or 1"),
        ('[host.h]\nchassis = { cluster-id = 1, node = 0 }\n', "chassis"),
    ],
    ids=["dup-ifname", "long-ifname", "unknown-key", "no-prefixlen", "addr-no-link", "dup-name",
         "reserved", "switch-kind", "tag-on-bridge", "chassis-keys", "chassis-id", "chassis-node",
         "chassis-on-host"],
)
def test_topology_errors(text, message):
    with pytest.raises(tbmod.TopologyError) as e:
        tbmod.parse(text)
    assert message in str(e.value)


def test_topology_port_names_and_options():
    topo = tbmod.parse(
        '[host.a]\n[host.b]\n[switch.s]\nkind = "ovs"\n'
        '[[link]]\na = "a:eth0"\nb = "s"\ntag = 10\nmtu = 9000\nmac_a = "02:00:00:00:00:0A"\n'
        '[[link]]\na = "s:up1"\nb = "b:eth0"\ntrunks = [10, 20]\nvlan_mode = "trunk"\n'
    )
    l1, l2 = topo.links
    assert (l1.b.ifname, l1.mtu, l1.a.mac, l1.port_opts) == ("a-eth0", 9000, "02:00:00:00:00:0a",
                                                            {"tag": 10})
    assert (l2.a.ifname, l2.port_opts) == ("up1", {"trunks": [10, 20], "vlan_mode": "trunk"})
