"""dot1xd against a hostile RADIUS server (BlastRADIUS, CVE-2024-3596) and the static
MAC bypass list (issue #8).

    h1 --p1-+  sw1 (ovs)   a fake RADIUS server on the switch's 127.0.0.1:1812 answers every
    h2 --p2-+              Access-Request first with four forged replies (no
                           Message-Authenticator, a wrong one, two of them, a wrong Response
                           Authenticator) and then with the genuine Access-Accept.

dot1xd must drop and count the four and authorize on the fifth; h2's MAC is in
`authenticator static` and gets in without RADIUS.
"""

import json
import os
import shutil
import subprocess

import pytest
from conftest import BIN, poll

SW1 = """
vlans {
    v10 { vlan-id 10; l3-interface irb.10; }
    v20 { vlan-id 20; l3-interface irb.20; }
}
interfaces {
    p1 { unit 0 { family ethernet-switching { interface-mode access; vlan { members v10; } } } }
    p2 { unit 0 { family ethernet-switching { interface-mode access; vlan { members v10; } } } }
    irb {
        unit 10 { family inet { address 10.0.10.1/24; } }
        unit 20 { family inet { address 10.0.20.1/24; } }
    }
}
access {
    radius-server 127.0.0.1 { secret testing123; timeout 3; retry 2; }
    profile dot1x { radius { authentication-server 127.0.0.1; } }
}
protocols {
    dot1x {
        authenticator {
            authentication-profile-name dot1x;
            interface p1 { transmit-period 1; }
            interface p2 { transmit-period 1; }
            static 02:00:00:00:00:02 { vlan-assignment v20; }
        }
    }
}
"""

TOPO = """
[node.sw1]
dataplane = "ovs"
config = "sw1.conf"
[host.h1]
addresses = { eth0 = ["10.0.10.11/24", "10.0.20.11/24"] }
[host.h2]
addresses = { eth0 = ["10.0.10.12/24", "10.0.20.12/24"] }
[[link]]
a = "sw1:p1"
b = "h1:eth0"
mac_b = "02:00:00:00:00:01"
[[link]]
a = "sw1:p2"
b = "h2:eth0"
mac_b = "02:00:00:00:00:02"
"""


# The fake server runs in the switch's namespace; it reports on a pipe.
HELPER = r"""
import hashlib, hmac, socket, struct, sys
SECRET = b"testing123"
def attr(t, v):
    return bytes([t, len(v) + 2]) + v
def reply(code, rid, req_auth, attrs, ma, ra):
    if ma in ("good", "twice"):
        body = attr(80, bytes(16)) + attrs + (attr(80, bytes(16)) if ma == "twice" else b"")
    elif ma == "bad":
        body = attr(80, b"\x55" * 16) + attrs
    else:
        body = attrs
    hdr = struct.pack("!BBH", code, rid, 20 + len(body))
    if ma in ("good", "twice"):
        mac = hmac.new(SECRET, hdr + req_auth + body, hashlib.md5).digest()
        body = attr(80, mac) + body[18:]
    resp = hashlib.md5(hdr + req_auth + body + SECRET).digest()
    if ra == "bad":
        resp = bytes(b ^ 0xFF for b in resp)
    return hdr + resp + body
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 1812))
out = open(int(sys.argv[1]), "w", buffering=1)
out.write("ready\n")
while True:
    pkt, peer = s.recvfrom(4096)
    if len(pkt) < 20 or pkt[0] != 1:
        continue
    rid, auth = pkt[1], pkt[4:20]
    # The EAP Identifier to answer: the EAP-Message (79) of the request.
    eap_id = 0
    off = 20
    while off + 2 <= len(pkt):
        t, l = pkt[off], pkt[off + 1]
        if l < 2:
            break
        if t == 79:
            eap_id = pkt[off + 3]
            break
        off += l
    ok = attr(64, b"\x00\x00\x00\x0d") + attr(65, b"\x00\x00\x00\x06") + attr(81, b"20")
    ok += attr(79, bytes([3, eap_id, 0, 4]))
    for ma, ra in (("none", "good"), ("bad", "good"), ("twice", "good"), ("good", "bad")):
        s.sendto(reply(2, rid, auth, ok, ma, ra), peer)
    s.sendto(reply(2, rid, auth, ok, "good", "good"), peer)
    out.write("answered\n")
"""


def have_tools():
    return all(shutil.which(t) for t in ("wpa_supplicant", "ovs-vswitchd", "ovsdb-server"))


@pytest.fixture(scope="module")
def env(module_testbed, tmp_path_factory):
    if not have_tools():
        pytest.skip("needs wpasupplicant and openvswitch-switch")
    for b in ("vland", "dot1xd"):
        if not os.access(BIN / b, os.X_OK):
            pytest.fail(f"{BIN}/{b} not built: the build is incomplete")
    tmp = tmp_path_factory.mktemp("dot1xr")
    (tmp / "sw1.conf").write_text(SW1)
    (tmp / "t.toml").write_text(TOPO)
    bed = module_testbed(str(tmp / "t.toml"), start_nodes=True)
    r, w = os.pipe()
    srv = subprocess.Popen(bed.tb.exec_argv("sw1", ["python3", "-c", HELPER, str(w)]),
                           pass_fds=(w,))
    os.close(w)
    rd = os.fdopen(r)
    assert rd.readline().strip() == "ready"
    for h in ("h1", "h2"):
        bed.run(h, ["ip", "link", "set", "eth0", "up"])
    e = type("Env", (), {})()
    e.bed, e.tmp, e.srv, e.rd = bed, tmp, srv, rd
    yield e
    for p in getattr(e, "procs", []):
        p.terminate()
        p.wait(timeout=5)
    srv.terminate()
    srv.wait(timeout=5)


def show(e):
    p = e.bed.run("sw1", [BIN / "cli", "-c", "show dot1x interface | display json"], check=False)
    if p.returncode != 0:
        return {}
    return {i["name"]: i for i in json.loads(p.stdout)["dot1x-interface-information"]["interface"]}


def supp(e, port):
    s = show(e).get(port, {}).get("supplicants", [])
    return s[0] if s else {}


def test_static_mac_bypass(env):
    e = env
    # h2 sends anything; its MAC is on the static list: no RADIUS, VLAN v20.
    poll(lambda: (e.bed.ping("h2", "10.0.20.1"), supp(e, "p2").get("method") == "Static")[1],
         timeout=20, interval=0.2, what="p2 static bypass")
    assert supp(e, "p2")["vlan"] == "v20" and supp(e, "p2")["state"] == "Authenticated"
    poll(lambda: e.bed.ping("h2", "10.0.20.1"), timeout=10, what="h2 in v20")


def test_forged_replies_dropped_genuine_accepted(env):
    e = env
    conf = e.tmp / "wpas.conf"
    conf.write_text(f"ctrl_interface={e.tmp}/wpas\nap_scan=0\nnetwork={{\n key_mgmt=IEEE8021X\n"
                    ' eapol_flags=0\n eap=MD5\n identity="bob"\n password="hello"\n}\n')
    p = subprocess.Popen(e.bed.tb.exec_argv("h1", ["wpa_supplicant", "-D", "wired", "-i", "eth0",
                                                   "-c", str(conf)]),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    e.procs = [p]
    poll(lambda: supp(e, "p1").get("state") == "Authenticated", timeout=20, interval=0.2,
         what="p1 authorized by the genuine Accept")
    assert supp(e, "p1")["vlan"] == "20"
    st = json.loads(e.bed.run("sw1", [BIN / "cli", "-c", "show dot1x statistics | display json"])
                    .stdout)["dot1x-statistics-information"]["radius"]
    # Four forgeries per answered request, each dropped for its own reason before the genuine
    # answer was taken (had one been taken, the genuine one would be an unknown-id drop).
    [srv] = [s for s in st["servers"] if not s.get("accounting")]
    drops = {d["reason"]: d["count"] for d in srv.get("drops", [])}
    n = srv["accepts"]
    assert n >= 1 and "unknown-id" not in drops, st
    assert drops.get("no-message-authenticator") == n, drops
    assert drops.get("bad-response-authenticator") == n, drops
    # The wrong M-A, and the pair of M-As (refused while decoding: malformed or duplicate).
    assert drops.get("bad-message-authenticator", 0) == n, drops
    assert drops.get("malformed", 0) + drops.get("duplicate-attribute", 0) == n, drops
    assert srv["dropped"] == 4 * n == st["dropped"], st
