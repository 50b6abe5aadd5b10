"""802.1X multiple-supplicant mode with a different RADIUS VLAN per supplicant (MAC-based VLAN,
as Junos EX assigns it): two wpa_supplicants behind one access port of sw1 (macvlans in one host
namespace) authenticate through dot1xd against FreeRADIUS, which puts ivan in VLAN 100 and judy
in VLAN 200. vland moves the port to a bridge of its own (kp-p5, per-MAC push/pop flows) joined
to keel0 by a patch trunk; each supplicant then reaches only the host of its VLAN on another port,
untagged. Ending one session returns the port to keel0 in the VLAN that is left.

Reuses test_dot1x.py's FreeRADIUS and wpa_supplicant rig (notes section 8).
"""

import os
import time

import pytest
from conftest import BIN, poll
from test_dot1x import MD5, Radius, Supplicant, have_tools, make_pki, make_radius

SW1 = """
vlans {
    v10 { vlan-id 10; }
    v100 { vlan-id 100; }
    v200 { vlan-id 200; }
}
interfaces {
    p1 { unit 0 { family ethernet-switching { interface-mode access; vlan { members v100; } } } }
    p2 { unit 0 { family ethernet-switching { interface-mode access; vlan { members v200; } } } }
    p5 { unit 0 { family ethernet-switching { interface-mode access; vlan { members v10; } } } }
}
access {
    radius-server 127.0.0.1 { secret testing123; timeout 1; retry 1; }
    profile dot1x {
        authentication-order radius;
        radius { authentication-server 127.0.0.1; }
    }
}
protocols {
    dot1x {
        authenticator {
            authentication-profile-name dot1x;
            interface p5 { supplicant multiple; transmit-period 1; }
        }
    }
}
"""

USERS = """
ivan\tCleartext-Password := "hello"
\tMessage-Authenticator = 0x00,
\tTunnel-Type = VLAN,
\tTunnel-Medium-Type = IEEE-802,
\tTunnel-Private-Group-Id = "100"

judy\tCleartext-Password := "hello"
\tMessage-Authenticator = 0x00,
\tTunnel-Type = VLAN,
\tTunnel-Medium-Type = IEEE-802,
\tTunnel-Private-Group-Id = "200"
"""

TOPO = """
[node.sw1]
dataplane = "ovs"
config = "sw1.conf"
[host.ha]
addresses = { eth0 = ["10.0.77.100/24"] }
[host.hb]
addresses = { eth0 = ["10.0.77.200/24"] }
[host.hm]
[[link]]
a = "sw1:p1"
b = "ha:eth0"
[[link]]
a = "sw1:p2"
b = "hb:eth0"
[[link]]
a = "sw1:p5"
b = "hm:eth0"
"""

MACS = {"mv1": "02:00:00:00:77:01", "mv2": "02:00:00:00:77:02"}


@pytest.fixture(scope="module")
def env(module_testbed, tmp_path_factory):
    if not have_tools():
        pytest.skip("needs freeradius, wpasupplicant, openssl and openvswitch-switch")
    for b in ("vland", "dot1xd"):
        if not os.access(BIN / b, os.X_OK):
            pytest.fail(f"{BIN}/{b} not built: the build is incomplete")
    tmp = tmp_path_factory.mktemp("dot1xv")
    (tmp / "sw1.conf").write_text(SW1)
    (tmp / "t.toml").write_text(TOPO)
    pki = tmp / "pki"
    pki.mkdir()
    make_pki(pki)
    fr = make_radius(tmp, pki)
    with open(fr / "mods-config" / "files" / "authorize", "a") as f:
        f.write(USERS)
    bed = module_testbed(str(tmp / "t.toml"), start_nodes=True)
    rad = Radius(bed, fr, tmp / "radius.log")
    rad.start()
    for h in ("ha", "hb", "hm"):
        bed.run(h, ["ip", "link", "set", "eth0", "up"])
    e = type("Env", (), {})()
    e.bed, e.tmp, e.rad, e.sups = bed, tmp, rad, []
    yield e
    for s in e.sups:
        s.stop()
    rad.stop()


def vsctl(e, *args):
    d = e.bed.node_root("sw1") / "run" / "openvswitch"
    return e.bed.run("sw1", ["env", f"OVS_RUNDIR={d}", "ovs-vsctl", f"--db=unix:{d}/db.sock",
                             "--timeout=5", *args], check=False).stdout.strip()


def ping_if(e, ifname, dst):
    return e.bed.run("hm", ["ping", "-n", "-c", "1", "-W", "1", "-I", ifname, dst], check=False,
                     timeout=10).returncode == 0


def cli_out(e, cmd):
    return e.bed.run("sw1", [BIN / "cli", "-c", cmd], check=False, timeout=30).stdout


def test_two_supplicants_two_radius_vlans(env):
    e = env
    for k, val in (("arp_ignore", "1"), ("arp_announce", "2"), ("rp_filter", "0")):
        for scope in ("all", "default"):
            e.bed.run("hm", ["sysctl", "-qw", f"net.ipv4.conf.{scope}.{k}={val}"])
    sups = {}
    for n, (name, user) in enumerate((("mv1", "ivan"), ("mv2", "judy")), start=1):
        e.bed.run("hm", ["ip", "link", "add", name, "link", "eth0", "address", MACS[name],
                         "type", "macvlan", "mode", "bridge"])
        e.bed.run("hm", ["ip", "addr", "add", f"10.0.77.{n}/24", "dev", name])
        e.bed.run("hm", ["ip", "link", "set", name, "up"])
        sups[name] = Supplicant(e.bed, e.tmp, "hm", name, MD5.format(u=user, p="hello"))
        e.sups.append(sups[name])
    # Both admitted, each in its RADIUS VLAN: p5 on its own bridge, keel0 has the patch trunk.
    poll(lambda: vsctl(e, "port-to-br", "p5") == "kp-p5", timeout=30, what="p5 moved to kp-p5")
    poll(lambda: vsctl(e, "get", "port", "kq-p5", "trunks") == "[100, 200]", timeout=10,
         what="kq-p5 trunks 100,200")
    poll(lambda: ping_if(e, "mv1", "10.0.77.100"), timeout=15, what="ivan -> ha (VLAN 100)")
    poll(lambda: ping_if(e, "mv2", "10.0.77.200"), timeout=15, what="judy -> hb (VLAN 200)")
    assert not ping_if(e, "mv1", "10.0.77.200")
    assert not ping_if(e, "mv2", "10.0.77.100")
    # The host's own MAC never authenticated: nothing of it passes.
    assert not ping_if(e, "eth0", "10.0.77.100")
    out = cli_out(e, "show dot1x interface p5")
    assert "02:00:00:00:77:01" in out and "02:00:00:00:77:02" in out, out
    # ivan's host leaves and the server ends his session (RFC 5176 Disconnect-Request; a
    # logoff alone would not do: wpa_supplicant still answers the port's group-addressed
    # Request/Identity and comes straight back). judy keeps working, p5 returns to keel0 in
    # VLAN 200.
    sups["mv1"].stop()
    e.bed.run("hm", ["ip", "link", "del", "mv1"])
    r = e.bed.run("sw1", ["sh", "-c", "echo 'Calling-Station-Id = \"02-00-00-00-77-01\", "
                          f"Event-Timestamp = {int(time.time())}, Message-Authenticator = 0x00' "
                          "| radclient -x -r 1 -t 3 127.0.0.1:3799 disconnect testing123"],
                  check=False)
    assert "Disconnect-ACK" in r.stdout, r.stdout + r.stderr
    poll(lambda: vsctl(e, "port-to-br", "p5") == "keel0", timeout=15, what="p5 back on keel0")
    poll(lambda: vsctl(e, "get", "port", "p5", "tag") == "200", timeout=10, what="p5 tag 200")
    assert vsctl(e, "list-br").split() == ["keel0"]
    poll(lambda: ping_if(e, "mv2", "10.0.77.200"), timeout=15, what="judy -> hb after ivan left")
