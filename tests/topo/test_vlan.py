"""vland on Open vSwitch: two keel switches joined by a trunk (issue #7).

    h1 (v10) --p1-+            +-p1-- h3 (v10)
    h2 (v20) --p2-+  sw1 ==t1== sw2  +-p2-- h4 (v20, but a v10 address)
    h5 (v30) --p5-+  native 30 | native 40  +-p6-- h6 (v40)
                  |                  +-p3-- htr (trunk v10,v20)
          irb.10 10.0.10.1, irb.20 10.0.20.1 (sw1 routes)

Both switches run vland on their own private userspace Open vSwitch
(keel-node --dataplane ovs). Checks: same-VLAN hosts reach each other across
the trunk; a host of another VLAN with an address of the same subnet does
not; the trunk carries VLANs 10 and 20 tagged (tcpdump on sw1's t1) and the
native VLAN untagged; the native-VLAN mismatch (30 vs 40) puts untagged
frames into the receiver's native VLAN, so h5 (v30) reaches h6 (v40); a host
on a trunk port sees tags, an access host never does; h1 and h2 talk through
sw1's IRBs; ovsdb-server restarted from an empty database under a running
vland: the bridge, ports, tags and IRB come back and traffic flows again;
ovs-vswitchd restarted: the secure bridge keeps an unauthorized port closed
throughout; deleting the whole switch config removes keel0.
"""

import os
import re
import subprocess
import time

import pytest
from conftest import BIN, ctl_call, poll, sh
from testbed import pb

SW1 = """
vlans {
    v10 { vlan-id 10; l3-interface irb.10; }
    v20 { vlan-id 20; l3-interface irb.20; }
    v30 { vlan-id 30; }
    v40 { vlan-id 40; }
}
interfaces {
    p1 { unit 0 { family ethernet-switching { interface-mode access; vlan { members v10; } } } }
    p2 { unit 0 { family ethernet-switching { interface-mode access; vlan { members v20; } } } }
    p5 { unit 0 { family ethernet-switching { interface-mode access; vlan { members v30; } } } }
    t1 {
        native-vlan-id 30;
        unit 0 { family ethernet-switching { interface-mode trunk; vlan { members [ v10 v20 ]; } } }
    }
    irb {
        unit 10 { family inet { address 10.0.10.1/24; } }
        unit 20 { family inet { address 10.0.20.1/24; } }
    }
}
"""

SW2 = """
vlans {
    v10 { vlan-id 10; }
    v20 { vlan-id 20; }
    v30 { vlan-id 30; }
    v40 { vlan-id 40; }
}
interfaces {
    p1 { unit 0 { family ethernet-switching { interface-mode access; vlan { members v10; } } } }
    p2 { unit 0 { family ethernet-switching { interface-mode access; vlan { members v20; } } } }
    p6 { unit 0 { family ethernet-switching { interface-mode access; vlan { members v40; } } } }
    p3 { unit 0 { family ethernet-switching { interface-mode trunk; vlan { members [ v10 v20 ]; } } } }
    t1 {
        native-vlan-id 40;
        unit 0 { family ethernet-switching { interface-mode trunk; vlan { members [ v10 v20 ]; } } }
    }
}
"""


def topo(tmp):
    (tmp / "sw1.conf").write_text(SW1)
    (tmp / "sw2.conf").write_text(SW2)
    return f"""
[node.sw1]
dataplane = "ovs"
config = "sw1.conf"
sysctl = {{ "net.ipv4.ip_forward" = "1" }}
[node.sw2]
dataplane = "ovs"
config = "sw2.conf"
[host.h1]
addresses = {{ eth0 = ["10.0.10.11/24"] }}
routes = ["default via 10.0.10.1"]
[host.h2]
addresses = {{ eth0 = ["10.0.20.12/24"] }}
routes = ["default via 10.0.20.1"]
[host.h3]
addresses = {{ eth0 = ["10.0.10.13/24"] }}
[host.h4]
addresses = {{ eth0 = ["10.0.10.14/24"] }}
[host.h5]
addresses = {{ eth0 = ["10.0.30.15/24"] }}
[host.h6]
addresses = {{ eth0 = ["10.0.30.16/24"] }}
[host.htr]
[[link]]
a = "sw1:t1"
b = "sw2:t1"
[[link]]
a = "sw1:p1"
b = "h1:eth0"
[[link]]
a = "sw1:p2"
b = "h2:eth0"
[[link]]
a = "sw1:p5"
b = "h5:eth0"
[[link]]
a = "sw2:p1"
b = "h3:eth0"
[[link]]
a = "sw2:p2"
b = "h4:eth0"
[[link]]
a = "sw2:p6"
b = "h6:eth0"
[[link]]
a = "sw2:p3"
b = "htr:eth0"
"""


def have_ovs():
    return all(os.access(p, os.X_OK) for p in ("/usr/sbin/ovs-vswitchd", "/usr/sbin/ovsdb-server"))


@pytest.fixture(scope="module")
def bed(module_testbed, tmp_path_factory):
    if not have_ovs():
        pytest.skip("needs openvswitch-switch (ovsdb-server, ovs-vswitchd)")
    if not os.access(BIN / "vland", os.X_OK):
        pytest.fail(f"{BIN}/vland not built: the build is incomplete")
    tmp = tmp_path_factory.mktemp("vlan")
    (tmp / "vlan.toml").write_text(topo(tmp))
    b = module_testbed(str(tmp / "vlan.toml"), start_nodes=True)
    for sw in ("sw1", "sw2"):
        poll(lambda sw=sw: converged(b, sw), timeout=20, what=f"{sw} OVS converged")
    for h in ("h1", "h2", "h3", "h4", "h5", "h6", "htr"):
        b.run(h, ["ip", "link", "set", "eth0", "up"])
    return b


def vsctl(bed, node, *args, check=True):
    d = bed.node_root(node) / "run" / "openvswitch"
    return bed.run(node, ["env", f"OVS_RUNDIR={d}", "ovs-vsctl", f"--db=unix:{d}/db.sock",
                          "--timeout=5", *args], check=check)


def cli(bed, node, cmd, check=True):
    return bed.run(node, [BIN / "cli", "-c", cmd], check=check, timeout=30)


STATUS = {"VlandStatus": {1: ("ovs_connected", pb.B), 2: ("ovsdb_socket", pb.S),
                          3: ("bridge", pb.S), 4: ("converged", pb.B), 5: ("transactions", pb.U),
                          6: ("reconnects", pb.U), 7: ("last_error", pb.S),
                          10: ("reconciles", pb.U)}}


def status(bed, node):
    """vland's show.vland.status (lib/proto/vland.proto VlandStatus) as a dict."""
    sock = bed.node_root(node) / "run" / "keel" / "vland.ctl"
    return pb.decode(STATUS, (), "VlandStatus", ctl_call(str(sock), "show.vland.status")[0])


def converged(bed, node):
    """vland says OVS matches its config."""
    st = status(bed, node)
    return st["ovs_connected"] and st["converged"]


def tagged_ids(pcap_text):
    return sorted({int(m) for m in re.findall(r"vlan (\d+),", pcap_text)})


class Capture:
    """tcpdump -e on one interface in a namespace, stopped explicitly."""

    def __init__(self, bed, name, ifname, flt=()):
        argv = bed.tb.exec_argv(name, ["tcpdump", "--immediate-mode", "-l", "-nn", "-e", "-i", ifname, *flt])
        self.p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)  # tcpdump has no readiness signal; its socket must exist first

    def stop(self):
        time.sleep(0.3)
        self.p.terminate()
        out, _ = self.p.communicate(timeout=5)
        return out


def ping_ok(bed, src, dst):
    return poll(lambda: bed.ping(src, dst), timeout=10, what=f"{src} -> {dst}")


def test_ports_and_tags_in_ovs(bed):
    assert vsctl(bed, "sw1", "get", "port", "p1", "tag").stdout.strip() == "10"
    assert vsctl(bed, "sw1", "get", "port", "t1", "vlan_mode").stdout.strip() == "native-untagged"
    assert vsctl(bed, "sw1", "get", "port", "t1", "tag").stdout.strip() == "30"
    assert vsctl(bed, "sw1", "get", "port", "irb.10", "tag").stdout.strip() == "10"
    assert vsctl(bed, "sw2", "get", "port", "p3", "vlan_mode").stdout.strip() == "trunk"
    assert vsctl(bed, "sw2", "get", "port", "p3", "trunks").stdout.strip() == "[10, 20]"


def test_same_vlan_across_trunk_tagged(bed):
    cap = Capture(bed, "sw1", "t1")
    ping_ok(bed, "h1", "10.0.10.13")
    assert bed.ping("h3", "10.0.10.11")
    out = cap.stop()
    assert "vlan 10," in out, out[-2000:]
    assert "10.0.10.13" in out


def test_different_vlan_isolated(bed):
    # h4 sits in v20 with a v10 address: without a router, no way to h1/h3.
    for _ in range(3):
        assert not bed.ping("h3", "10.0.10.14")
        assert not bed.ping("h1", "10.0.10.14")


def test_native_vlan_untagged_and_mismatch(bed):
    # sw1 t1 native 30, sw2 t1 native 40: h5 (v30 on sw1) frames cross the trunk
    # untagged and land in sw2's native VLAN 40, where h6 is.
    cap = Capture(bed, "sw1", "t1", ["host", "10.0.30.16"])
    ping_ok(bed, "h5", "10.0.30.16")
    out = cap.stop()
    lines = [ln for ln in out.splitlines() if "10.0.30.16" in ln]
    assert lines, out[-2000:]
    assert not any("802.1Q" in ln or "vlan " in ln for ln in lines), "\n".join(lines)


def test_trunk_host_sees_tags_access_host_never(bed):
    trunk = Capture(bed, "htr", "eth0")
    access = Capture(bed, "h3", "eth0")
    # h1 -> h3 (v10) and h2 -> irb.20 (v20) floods/ARPs reach the trunk host.
    ping_ok(bed, "h1", "10.0.10.13")
    bed.ping("h4", "10.0.10.99")  # ARP broadcast in v20
    bed.ping("h1", "10.0.10.98")  # ARP broadcast in v10
    t, a = trunk.stop(), access.stop()
    assert {10, 20} <= set(tagged_ids(t)), t[-2000:]
    assert "802.1Q" not in a and "vlan " not in a, a[-2000:]


def test_irb_routes_between_vlans(bed):
    ping_ok(bed, "h1", "10.0.10.1")
    ping_ok(bed, "h1", "10.0.20.12")
    assert bed.ping("h2", "10.0.10.11")


def test_cli_shows(bed):
    out = cli(bed, "sw1", "show vlans").stdout
    assert re.search(r"v10\s+10", out), out
    assert "t1.0*" in out or "t1.0" in out, out
    ping_ok(bed, "h1", "10.0.10.13")
    table = cli(bed, "sw1", "show ethernet-switching table").stdout
    assert re.search(r"v10\s+[0-9a-f:]{17}\s+D", table), table
    js = cli(bed, "sw1", "show ethernet-switching interface p1 | display json").stdout
    assert '"p1"' in js or "p1" in js


def test_commit_without_data_plane_change_writes_nothing(bed):
    """A commit that changes vland's config but nothing OVS holds: reconciled, 0 writes."""
    before = status(bed, "sw1")
    cli(bed, "sw1", "configure; set vlans v10 description staff; commit")
    poll(lambda: status(bed, "sw1")["reconciles"] > before["reconciles"], timeout=10,
         what="vland reconciled after the commit")
    after = status(bed, "sw1")
    assert after["converged"] and after["transactions"] == before["transactions"], after
    assert "Description: staff" in cli(bed, "sw1", "show vlans v10 detail").stdout


REPLY = {"PortAuthReply": {1: ("ok", pb.B), 2: ("error", pb.S)}}


def port_auth(bed, node, ifname, state, mac="", vlan=""):
    """port.auth as dot1xd sends it (lib/proto/vland.proto PortAuth)."""
    sock = bed.node_root(node) / "run" / "keel" / "vland.ctl"
    req = pb.field_str(1, ifname) + (pb.field_str(2, mac) if mac else b"") + \
        pb.field_u(3, state) + (pb.field_str(4, vlan) if vlan else b"")
    return pb.decode(REPLY, (), "PortAuthReply", ctl_call(str(sock), "port.auth", req)[0])


def mac_of(bed, host):
    return bed.run(host, ["cat", "/sys/class/net/eth0/address"]).stdout.strip()


def test_port_auth_dynamic_vlan_and_admission(bed):
    ping_ok(bed, "h3", "10.0.10.11")
    # Refusals name the reason.
    r = port_auth(bed, "sw1", "t1", 2, vlan="v20")
    assert not r["ok"] and "access port" in r["error"], r
    assert not port_auth(bed, "sw1", "p1", 2, vlan="v77")["ok"]
    # Dynamic VLAN: p1 moves to v20, where h4 (10.0.10.14) is; back on state 0.
    assert port_auth(bed, "sw1", "p1", 2, vlan="v20")["ok"]
    poll(lambda: vsctl(bed, "sw1", "get", "port", "p1", "tag").stdout.strip() == "20",
         timeout=5, what="p1 in VLAN 20")
    ping_ok(bed, "h1", "10.0.10.14")
    assert not bed.ping("h1", "10.0.10.13")
    assert port_auth(bed, "sw1", "p1", 0)["ok"]
    poll(lambda: vsctl(bed, "sw1", "get", "port", "p1", "tag").stdout.strip() == "10",
         timeout=5, what="p1 back in VLAN 10")
    ping_ok(bed, "h1", "10.0.10.13")
    # Unauthorized: only EAPOL passes (OpenFlow drop on the port) ...
    assert port_auth(bed, "sw1", "p1", 1)["ok"]
    poll(lambda: not bed.ping("h3", "10.0.10.11"), timeout=10, what="p1 blocked")
    # ... until h1's MAC is admitted (multiple-supplicant mode) ...
    assert port_auth(bed, "sw1", "p1", 2, mac=mac_of(bed, "h1"))["ok"]
    ping_ok(bed, "h3", "10.0.10.11")
    # ... a second MAC in another VLAN moves p1 to a bridge of its own (per-MAC VLANs,
    # test_per_mac_vlans) while h1 keeps its VLAN, and back when that MAC goes ...
    r = port_auth(bed, "sw1", "p1", 2, mac="02:00:00:00:77:01", vlan="v20")
    assert r["ok"], r
    poll(lambda: port_bridge(bed, "sw1", "p1") == "kp-p1", timeout=10, what="p1 on kp-p1")
    ping_ok(bed, "h3", "10.0.10.11")
    assert port_auth(bed, "sw1", "p1", 0, mac="02:00:00:00:77:01")["ok"]
    poll(lambda: port_bridge(bed, "sw1", "p1") == "keel0", timeout=10, what="p1 back on keel0")
    assert vsctl(bed, "sw1", "get", "port", "p1", "tag").stdout.strip() == "10"
    ping_ok(bed, "h3", "10.0.10.11")
    # ... and revoked again; then the port goes back to normal switching.
    assert port_auth(bed, "sw1", "p1", 0, mac=mac_of(bed, "h1"))["ok"]
    poll(lambda: not bed.ping("h1", "10.0.10.13"), timeout=10, what="MAC revoked")
    assert port_auth(bed, "sw1", "p1", 0)["ok"]
    ping_ok(bed, "h1", "10.0.10.13")
    out = cli(bed, "sw1", "show ethernet-switching interface p1").stdout
    assert "p1.0" in out and "802.1X:" not in out, out


def port_bridge(bed, node, port):
    return vsctl(bed, node, "port-to-br", port, check=False).stdout.strip()


def ping_if(bed, host, ifname, dst):
    return bed.run(host, ["ping", "-n", "-c", "1", "-W", "1", "-I", ifname, dst], check=False,
                   timeout=10).returncode == 0


def test_per_mac_vlans(bed):
    """Multiple supplicants on one access port, each MAC in its own VLAN (MAC-based VLAN):
    two macvlans behind sw1:p1 are admitted into v10 and v20 and each reaches only the host of
    its VLAN on sw2 (h3 in v10, h4 in v20, both 10.0.10.0/24, untagged access ports)."""
    m10, m20 = "02:00:00:00:10:01", "02:00:00:00:20:01"
    # Both addresses share h1's namespace: answer ARP only on the interface that owns the
    # address and accept replies on the macvlans (RFC 1812 §5.3.8 loose check off).
    for k, val in (("arp_ignore", "1"), ("arp_announce", "2"), ("rp_filter", "0")):
        bed.run("h1", ["sysctl", "-qw", f"net.ipv4.conf.all.{k}={val}"])
        bed.run("h1", ["sysctl", "-qw", f"net.ipv4.conf.default.{k}={val}"])
    for name, mac, addr in (("mv10", m10, "10.0.10.21/24"), ("mv20", m20, "10.0.10.22/24")):
        bed.run("h1", ["ip", "link", "add", name, "link", "eth0", "address", mac, "type",
                       "macvlan", "mode", "bridge"])
        bed.run("h1", ["ip", "addr", "add", addr, "dev", name])
        bed.run("h1", ["ip", "link", "set", name, "up"])
        # Replies from that address leave through its own macvlan (its MAC is the admitted one).
        table = name[2:]
        bed.run("h1", ["ip", "route", "add", "10.0.10.0/24", "dev", name, "table", table])
        bed.run("h1", ["ip", "rule", "add", "from", addr.split("/")[0], "table", table])
    try:
        assert port_auth(bed, "sw1", "p1", 1)["ok"]
        assert port_auth(bed, "sw1", "p1", 2, mac=m10, vlan="v10")["ok"]
        assert port_auth(bed, "sw1", "p1", 2, mac=m20, vlan="20")["ok"]
        poll(lambda: port_bridge(bed, "sw1", "p1") == "kp-p1", timeout=10, what="p1 on kp-p1")
        poll(lambda: vsctl(bed, "sw1", "get", "port", "kq-p1", "trunks").stdout.strip()
             == "[10, 20]", timeout=10, what="patch kq-p1 trunks 10,20 on keel0")
        assert vsctl(bed, "sw1", "get", "interface", "kr-p1", "options:peer").stdout.strip() \
            == "kq-p1"
        poll(lambda: ping_if(bed, "h1", "mv10", "10.0.10.13"), timeout=10, what="mv10 -> h3 (v10)")
        poll(lambda: ping_if(bed, "h1", "mv20", "10.0.10.14"), timeout=10, what="mv20 -> h4 (v20)")
        # Each only in its own VLAN; h1's own MAC is not admitted at all.
        assert not ping_if(bed, "h1", "mv10", "10.0.10.14")
        assert not ping_if(bed, "h1", "mv20", "10.0.10.13")
        assert not ping_if(bed, "h1", "eth0", "10.0.10.13")
        # From the far side too (h3 reaches mv10's address, h4 mv20's).
        assert bed.ping("h3", "10.0.10.21") and bed.ping("h4", "10.0.10.22")
        assert not bed.ping("h3", "10.0.10.22")
        # Revoking one MAC leaves the other working: p1 returns to keel0 in v20.
        assert port_auth(bed, "sw1", "p1", 0, mac=m10)["ok"]
        poll(lambda: port_bridge(bed, "sw1", "p1") == "keel0", timeout=10,
             what="p1 back on keel0")
        poll(lambda: vsctl(bed, "sw1", "get", "port", "p1", "tag").stdout.strip() == "20",
             timeout=10, what="p1 in VLAN 20")
        assert vsctl(bed, "sw1", "br-exists", "kp-p1", check=False).returncode != 0
        poll(lambda: ping_if(bed, "h1", "mv20", "10.0.10.14"), timeout=10,
             what="mv20 -> h4 after mv10 was revoked")
        assert not ping_if(bed, "h1", "mv10", "10.0.10.13")
    finally:
        port_auth(bed, "sw1", "p1", 0, mac=m20)
        port_auth(bed, "sw1", "p1", 0)
        for name, addr in (("mv10", "10.0.10.21"), ("mv20", "10.0.10.22")):
            bed.run("h1", ["ip", "rule", "del", "from", addr, "table", name[2:]], check=False)
            bed.run("h1", ["ip", "link", "del", name], check=False)
        for k, val in (("arp_ignore", "0"), ("arp_announce", "0")):
            bed.run("h1", ["sysctl", "-qw", f"net.ipv4.conf.all.{k}={val}"])
    poll(lambda: vsctl(bed, "sw1", "get", "port", "p1", "tag").stdout.strip() == "10",
         timeout=10, what="p1 back in VLAN 10")
    ping_ok(bed, "h1", "10.0.10.13")


def test_sensors_on_the_bus(bed):
    # vland publishes sensor "vlans" shortly after a reconcile that changed OVS.
    argv = bed.tb.exec_argv("sw1", ["mosquitto_sub", "-h", "127.0.0.1", "-p", "51883", "-t",
                                    "keel/vland/vlans", "-C", "1", "-W", "15", "-N"])
    sub = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)  # mosquitto_sub has no readiness signal
    ping_ok(bed, "h1", "10.0.10.13")
    assert port_auth(bed, "sw1", "p1", 2, vlan="v20")["ok"]
    assert port_auth(bed, "sw1", "p1", 0)["ok"]
    out, err = sub.communicate(timeout=20)
    assert sub.returncode == 0, err
    assert b"/vlans/vlan[vlan-id=10]/state/mac-count" in out, out[:400]
    assert b"/vlans/vlan[vlan-id=10]/members/member[interface=t1]/state/tagged" in out
    assert b"/fdb/state/mac-table-size" in out


def test_ovsdb_restart_reconverges(bed):
    node = "sw1"
    # p5 unauthorized across the restart: its flows follow its new ofport, and
    # no other port inherits them from its old number.
    ping_ok(bed, "h5", "10.0.30.16")
    assert port_auth(bed, node, "p5", 1)["ok"]
    poll(lambda: not bed.ping("h5", "10.0.30.16"), timeout=10, what="p5 blocked")
    d = bed.node_root(node) / "run" / "openvswitch"
    log = bed.node_root(node) / "var" / "log" / "keel" / "ovsdb-server.log"
    pid = int((d / "ovsdb-server.pid").read_text().split()[0])
    os.kill(pid, 15)
    poll(lambda: not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read(),
         timeout=5, what="ovsdb-server gone")
    # An empty database: vswitchd drops the bridge, vland must rebuild it all.
    (d / "conf.db").unlink()
    sh(["ovsdb-tool", "create", str(d / "conf.db"), "/usr/share/openvswitch/vswitch.ovsschema"])
    bed.run(node, ["env", f"OVS_RUNDIR={d}", f"OVS_LOGDIR={d}", "ovsdb-server", str(d / "conf.db"),
                   f"--remote=punix:{d}/db.sock", f"--pidfile={d}/ovsdb-server.pid", "--detach",
                   f"--log-file={log}"])
    vsctl(bed, node, "--no-wait", "init")
    poll(lambda: vsctl(bed, node, "get", "port", "irb.20", "tag", check=False).stdout.strip()
         == "20", timeout=20, what="bridge rebuilt")
    poll(lambda: converged(bed, node), timeout=20, what="vland converged again")
    ping_ok(bed, "h1", "10.0.10.13")
    ping_ok(bed, "h1", "10.0.20.12")
    assert not bed.ping("h5", "10.0.30.16")
    assert port_auth(bed, node, "p5", 0)["ok"]
    ping_ok(bed, "h5", "10.0.30.16")


def test_vswitchd_restart_keeps_unauthorized_port_closed(bed):
    """keel0 is fail_mode=secure: across a kill + restart of ovs-vswitchd the
    EAPOL_ONLY port p5 never forwards (not one ping reply from start to end),
    while the other ports forward again once vland's OpenFlow connection is
    back (blocks first, then the NORMAL flow)."""
    node = "sw1"
    d = bed.node_root(node) / "run" / "openvswitch"
    log = bed.node_root(node) / "var" / "log" / "keel" / "ovs-vswitchd.log"
    assert vsctl(bed, node, "get", "bridge", "keel0", "fail_mode").stdout.strip() == "secure"
    ping_ok(bed, "h5", "10.0.30.16")
    assert port_auth(bed, node, "p5", 1)["ok"]
    poll(lambda: not bed.ping("h5", "10.0.30.16"), timeout=10, what="p5 blocked")
    pinger = subprocess.Popen(bed.tb.exec_argv("h5", ["ping", "-n", "-i", "0.02",
                                                      "10.0.30.16"]),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        pid = int((d / "ovs-vswitchd.pid").read_text().split()[0])
        os.kill(pid, 15)
        poll(lambda: not os.path.exists(f"/proc/{pid}")
             or "zombie" in open(f"/proc/{pid}/status").read(), timeout=10,
             what="ovs-vswitchd gone")
        t0 = time.monotonic()
        bed.run(node, ["env", f"OVS_RUNDIR={d}", f"OVS_LOGDIR={d}", "ovs-vswitchd",
                       f"unix:{d}/db.sock", f"--pidfile={d}/ovs-vswitchd.pid", "--detach",
                       f"--log-file={log}"])
        ping_ok(bed, "h1", "10.0.10.13")  # a normal port forwards again
        print(f"vswitchd restart: h1 -> h3 answered {time.monotonic() - t0:.2f} s after "
              "ovs-vswitchd was started")
        ping_ok(bed, "h1", "10.0.20.12")  # and the IRBs route
        time.sleep(1)  # p5 keeps being probed after the NORMAL flow is back
    finally:
        pinger.terminate()
        out, _ = pinger.communicate(timeout=5)
    assert "bytes from" not in out, out[-2000:]
    assert port_auth(bed, node, "p5", 0)["ok"]
    ping_ok(bed, "h5", "10.0.30.16")


def test_switch_config_removed_deletes_bridge(bed):
    """Deleting every VLAN and switch port removes keel0 with its ports; a new
    switch config builds it again."""
    node = "sw2"
    assert "keel0" in vsctl(bed, node, "list-br").stdout.split()
    cli(bed, node, "configure; delete vlans; delete interfaces; commit")
    poll(lambda: "keel0" not in vsctl(bed, node, "list-br").stdout.split(), timeout=15,
         what="keel0 deleted")
    assert vsctl(bed, node, "list", "port").stdout.strip() == "", "ports left behind"
    poll(lambda: not status(bed, node)["ovs_connected"], timeout=10,
         what="vland closed its OVS connection")
    cli(bed, node, "configure; set vlans v10 vlan-id 10; set interfaces p1 unit 0 family "
        "ethernet-switching interface-mode access vlan members v10; commit")
    poll(lambda: converged(bed, node), timeout=20, what="keel0 rebuilt")
    assert vsctl(bed, node, "get", "port", "p1", "tag").stdout.strip() == "10"
    assert vsctl(bed, node, "get", "bridge", "keel0", "fail_mode").stdout.strip() == "secure"


# ---------------------------------------------------------------- vland alone, no mgd


SOLO = """
[node.solo]
"""


def daemon_config(generation, cfg):
    """keel.mgd.DaemonConfig{generation = 1, json = 2} (lib/proto/mgd.proto)."""
    import json
    return pb.field_u(1, generation) + pb.field_str(2, json.dumps(cfg))


def test_port_auth_before_config_waits_for_it(testbed, tmp_path):
    """dot1xd may ask before mgd's config reached vland: the answer waits for the config."""
    import threading
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "vland").symlink_to(BIN / "vland")
    (tmp_path / "solo.toml").write_text(SOLO)
    bed = testbed(str(tmp_path / "solo.toml"))
    bed.keel_node("start", "solo", "--bin", bindir)
    try:
        sock = str(bed.node_root("solo") / "run" / "keel" / "vland.ctl")
        got = {}

        def ask():
            req = pb.field_str(1, "eth5") + pb.field_u(3, 1)
            got["r"] = pb.decode(REPLY, (), "PortAuthReply",
                                 ctl_call(sock, "port.auth", req, timeout=10)[0])
            got["t"] = time.monotonic()

        th = threading.Thread(target=ask)
        th.start()
        time.sleep(0.5)
        assert "r" not in got, "port.auth answered before any config"
        t_apply = time.monotonic()
        es = {"interface-mode": "access", "vlan": {"members": ["v10"]}}
        ctl_call(sock, "config.apply", daemon_config(1, {
            "keel-vlans:vlans": {"vlan": [{"name": "v10", "vlan-id": 10}]},
            "keel-interfaces:interfaces": {"interface": [
                {"name": "eth5", "unit": [{"name": 0, "family": {
                    "keel-vlans:ethernet-switching": es}}]}]}}))
        th.join(10)
        assert got["r"]["ok"], got
        assert got["t"] >= t_apply
        # Once configured, an unknown port is refused at once.
        r = port_auth(bed, "solo", "eth6", 1)
        assert not r["ok"] and "not a switch port" in r["error"], r
    finally:
        bed.keel_node("stop", "solo", check=False)

