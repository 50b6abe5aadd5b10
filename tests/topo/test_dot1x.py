"""dot1xd end to end: wpa_supplicant -D wired hosts, FreeRADIUS 3.2.1 on the switch's
loopback, vland on the node's private userspace Open vSwitch (issue #8).

    h1 --p1-+                 p1: single, server-reject-vlan v40 eapol-block (MD5, PEAP, TLS)
    h2 --p2-+                 p2: guest-vlan v30                          (silent host)
    h3 --p3-+  sw1 (ovs)      p3: mac-radius restrict                     (MAC-only host)
    h4 --p4-+  irb.N =        p4: server-fail vlan-name v50               (RADIUS stopped)
    hm --p5-+  10.0.N.1/24    p5: supplicant multiple                     (two supplicants)
    h6 --p6-+                 p6: server-fail permit
    h7 --p7-+                 p7: server-fail use-cache
    h8 --p8-+                 p8: server-fail deny (the default)
    h9 --p9-+                 p9: supplicant single-secure
    h10 -p10+                 p10: mac-radius (after 802.1X stays silent), guest-vlan v30
    h11 -p11+                 p11: lldp-med-bypass                        (an IP phone)

Each host has an address in every test VLAN (10.0.N.x/24), so "which IRB answers" tells
which VLAN its port is in; the OVS port tag says the same from the data plane. Timers are
lowered in the config (transmit-period 1, maximum-requests 2, quiet-period 1).
Certificates for PEAP and EAP-TLS come from a CA the test makes with openssl.
"""

import json
import re
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import BIN, poll, sh

DATA = Path(__file__).resolve().parent / "dot1x_data"
VLANS = {"v10": 10, "v30": 30, "v40": 40, "v50": 50, "v100": 100, "v200": 200}
PORTS = {"p1": "h1", "p2": "h2", "p3": "h3", "p4": "h4", "p5": "hm", "p6": "h6", "p7": "h7",
         "p8": "h8", "p9": "h9", "p10": "h10", "p11": "h11"}

SW1 = """
vlans {
%(vlans)s
}
interfaces {
%(ports)s
    irb {
%(irbs)s
    }
}
access {
    radius-server 127.0.0.1 { secret testing123; timeout 1; retry 1; }
    profile dot1x {
        authentication-order radius;
        radius { authentication-server 127.0.0.1; accounting-server 127.0.0.1; }
    }
}
protocols {
    dot1x {
        authenticator {
            authentication-profile-name dot1x;
            interface p1 { transmit-period 1; maximum-requests 2; quiet-period 1;
                           no-reauthentication; server-reject-vlan v40 { eapol-block; } }
            interface p2 { transmit-period 1; maximum-requests 2; guest-vlan v30; }
            interface p3 { transmit-period 1; mac-radius { restrict; flap-on-disconnect; } }
            interface p4 { transmit-period 1; server-timeout 10; quiet-period 1;
                           server-fail { vlan-name v50; } }
            interface p5 { supplicant multiple; transmit-period 1; }
            interface p6 { transmit-period 1; quiet-period 1; server-fail { permit; } }
            interface p7 { transmit-period 1; quiet-period 1; no-reauthentication;
                           server-fail { use-cache; } }
            interface p8 { transmit-period 1; quiet-period 1; }
            interface p9 { supplicant single-secure; transmit-period 1; }
            interface p10 { transmit-period 1; maximum-requests 2; mac-radius; guest-vlan v30; }
            interface p11 { transmit-period 1; maximum-requests 2; lldp-med-bypass; }
        }
    }
}
"""


def sw1_conf():
    vlans = "\n".join(f"    {n} {{ vlan-id {i}; l3-interface irb.{i}; }}" for n, i in VLANS.items())
    ports = "\n".join(
        f"    {p} {{ unit 0 {{ family ethernet-switching {{ interface-mode access; "
        f"vlan {{ members v10; }} }} }} }}" for p in PORTS)
    irbs = "\n".join(f"        unit {i} {{ family inet {{ address 10.0.{i}.1/24; }} }}"
                     for i in VLANS.values())
    return SW1 % {"vlans": vlans, "ports": ports, "irbs": irbs}


def topo(tmp):
    (tmp / "sw1.conf").write_text(sw1_conf())
    t = '[node.sw1]\ndataplane = "ovs"\nconfig = "sw1.conf"\n'
    for n, (port, host) in enumerate(PORTS.items(), start=1):
        addrs = ", ".join(f'"10.0.{i}.{10 + n}/24"' for i in VLANS.values())
        t += f"[host.{host}]\n"
        if host != "hm":
            t += f"addresses = {{ eth0 = [{addrs}] }}\n"
        t += f'[[link]]\na = "sw1:{port}"\nb = "{host}:eth0"\nmac_b = "02:00:00:00:00:{n:02x}"\n'
    return t


def have_tools():
    return all(shutil.which(t) for t in ("freeradius", "wpa_supplicant", "wpa_cli", "openssl",
                                         "ovs-vswitchd", "ovsdb-server"))


def make_pki(d):
    """CA -> server and client certificates (2048-bit RSA, like the notes' EAP-TLS run)."""
    def ossl(*a):
        sh(["openssl", *a], timeout=60)
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=keel test CA",
         "-keyout", d / "ca.key", "-out", d / "ca.pem")
    for name in ("server", "client"):
        ext = d / f"{name}.ext"
        ext.write_text("extendedKeyUsage=%s\n" % ("serverAuth" if name == "server"
                                                  else "clientAuth"))
        ossl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}.keel.test",
             "-keyout", d / f"{name}.key", "-out", d / f"{name}.csr")
        ossl("x509", "-req", "-in", d / f"{name}.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", d / f"{name}.pem")


def make_radius(d, pki):
    """A private FreeRADIUS 3.2.1 instance (notes section 8), run as root on 127.0.0.1."""
    fr = d / "fr"
    shutil.copytree("/etc/freeradius/3.0", fr, symlinks=True)
    conf = (fr / "radiusd.conf").read_text()
    conf = conf.replace("\tuser = freerad\n", "").replace("\tgroup = freerad\n", "")
    (fr / "radiusd.conf").write_text(conf)
    site = (fr / "sites-available" / "default").read_text()
    site = site.replace("ipaddr = *", "ipaddr = 127.0.0.1").replace("ipv6addr = ::\t", "ipv6addr = ::1\t")
    site = site.replace("\tipv6addr = ::\n", "\tipv6addr = ::1\n")
    (fr / "sites-enabled" / "default").unlink()
    (fr / "sites-enabled" / "default").write_text(site)
    eap = (fr / "mods-available" / "eap").read_text()
    eap = eap.replace("/etc/ssl/private/ssl-cert-snakeoil.key", str(pki / "server.key"))
    eap = eap.replace("/etc/ssl/certs/ssl-cert-snakeoil.pem", str(pki / "server.pem"))
    eap = eap.replace("/etc/ssl/certs/ca-certificates.crt", str(pki / "ca.pem"))
    # PEAP: the inner tunnel's reply (carol's VLAN) goes into the outer Accept.
    eap = eap.replace("use_tunneled_reply = no", "use_tunneled_reply = yes")
    (fr / "mods-enabled" / "eap").unlink()
    (fr / "mods-enabled" / "eap").write_text(eap)
    shutil.copy(DATA / "authorize", fr / "mods-config" / "files" / "authorize")
    sh(["freeradius", "-XC", "-d", fr], timeout=30)
    return fr


class Radius:
    def __init__(self, bed, fr, log):
        self.bed, self.fr, self.log, self.p = bed, fr, log, None

    def start(self):
        argv = self.bed.tb.exec_argv("sw1", ["freeradius", "-X", "-d", str(self.fr)])
        self.p = subprocess.Popen(argv, stdout=open(self.log, "a"), stderr=subprocess.STDOUT)
        poll(lambda: "Ready to process requests" in Path(self.log).read_text(), timeout=15,
             what="freeradius ready")

    def text(self):
        return Path(self.log).read_text(errors="replace")

    def hup(self):
        self.p.send_signal(1)

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.p = None


class Supplicant:
    """wpa_supplicant -D wired on one interface of a host namespace."""

    def __init__(self, bed, d, host, ifname, network):
        self.bed, self.host, self.ifname = bed, host, ifname
        self.ctrl = d / f"wpas-{host}-{ifname}"
        self.conf = d / f"wpas-{host}-{ifname}.conf"
        self.conf.write_text(f"ctrl_interface={self.ctrl}\nap_scan=0\nnetwork={{\n"
                             f"  key_mgmt=IEEE8021X\n  eapol_flags=0\n{network}}}\n")
        self.log = d / f"wpas-{host}-{ifname}.log"
        argv = bed.tb.exec_argv(host, ["wpa_supplicant", "-D", "wired", "-i", ifname,
                                       "-c", str(self.conf), "-dd"])
        self.p = subprocess.Popen(argv, stdout=open(self.log, "w"), stderr=subprocess.STDOUT)

    def cli(self, *args):
        return self.bed.run(self.host, ["wpa_cli", "-p", self.ctrl, "-i", self.ifname, *args],
                            check=False)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


MD5 = '  eap=MD5\n  identity="{u}"\n  password="{p}"\n'


@pytest.fixture(scope="module")
def env(module_testbed, tmp_path_factory):
    if not have_tools():
        pytest.skip("needs freeradius, wpasupplicant, openssl and openvswitch-switch")
    for b in ("vland", "dot1xd"):
        if not os.access(BIN / b, os.X_OK):
            pytest.fail(f"{BIN}/{b} not built: the build is incomplete")
    tmp = tmp_path_factory.mktemp("dot1x")
    (tmp / "dot1x.toml").write_text(topo(tmp))
    pki = tmp / "pki"
    pki.mkdir()
    make_pki(pki)
    fr = make_radius(tmp, pki)
    bed = module_testbed(str(tmp / "dot1x.toml"), start_nodes=True)
    rad = Radius(bed, fr, tmp / "radius.log")
    rad.start()
    for h in PORTS.values():
        bed.run(h, ["ip", "link", "set", "eth0", "up"])
    e = type("Env", (), {})()
    e.bed, e.tmp, e.pki, e.rad, e.sups = bed, tmp, pki, rad, []
    poll(lambda: show(e, "p5") is not None, timeout=20, what="dot1xd has its ports")
    yield e
    for s in e.sups:
        s.stop()
    rad.stop()


def supplicant(e, host, network, ifname="eth0"):
    s = Supplicant(e.bed, e.tmp, host, ifname, network)
    e.sups.append(s)
    return s


def cli(e, cmd, check=True):
    return e.bed.run("sw1", [BIN / "cli", "-c", cmd], check=check, timeout=30)


def show(e, port):
    """The port's entry of `show dot1x interface | display json`, or None."""
    p = cli(e, "show dot1x interface | display json", check=False)
    if p.returncode != 0:
        return None
    for i in json.loads(p.stdout)["dot1x-interface-information"]["interface"]:
        if i["name"] == port:
            return i
    return None


def supp(e, port, mac=None):
    i = show(e, port) or {}
    for s in i.get("supplicants", []):
        if mac is None or s.get("mac") == mac:
            return s
    return {}


def tag(e, port):
    d = e.bed.node_root("sw1") / "run" / "openvswitch"
    return e.bed.run("sw1", ["env", f"OVS_RUNDIR={d}", "ovs-vsctl", f"--db=unix:{d}/db.sock",
                             "--timeout=5", "get", "port", port, "tag"], check=False).stdout.strip()


def wait_auth(e, port, method, vlan, mac=None, timeout=20):
    def ok():
        s = supp(e, port, mac)
        return s.get("state") == "Authenticated" and s.get("method") == method and \
            s.get("vlan", "") == vlan
    poll(ok, timeout=timeout, interval=0.2, what=f"{port} {method} vlan '{vlan}'")


def reaches(e, host, vid, timeout=15):
    poll(lambda: e.bed.ping(host, f"10.0.{vid}.1"), timeout=timeout, interval=0.2,
         what=f"{host} reaches irb.{vid}")


def test_md5_dynamic_vlan_and_logoff(env):
    e = env
    # Unauthorized: the port passes only EAPOL.
    assert not e.bed.ping("h1", "10.0.10.1")
    sub = subprocess.Popen(e.bed.tb.exec_argv("sw1", [
        "mosquitto_sub", "-h", "127.0.0.1", "-p", "51883", "-t", "keel/dot1xd/dot1x-state",
        "-W", "20", "-F", "%x"]), stdout=subprocess.PIPE)
    time.sleep(0.3)  # the subscription must exist before the change
    s = supplicant(e, "h1", MD5.format(u="bob", p="hello"))
    wait_auth(e, "p1", "Radius", "100")
    # The session state went to the telemetry bus on change (sensors.c).
    want = b"/dot1x/interfaces/interface[name=p1]/supplicants/supplicant[mac=02:00:00:00:00:01]"
    deadline = time.monotonic() + 10
    buf = b""
    while True:
        msgs = [bytes.fromhex(ln.decode()) for ln in buf.split(b"\n")[:-1] if ln.strip()]
        if any(want in m and b"Authenticated" in m and b"Radius" in m for m in msgs):
            break
        if time.monotonic() > deadline:
            pytest.fail(f"no Authenticated state on the bus: {msgs}")
        if select.select([sub.stdout], [], [], 0.5)[0]:
            buf += os.read(sub.stdout.fileno(), 65536)
    sub.terminate()
    sub.wait(timeout=5)
    assert supp(e, "p1")["user"] == "bob" and supp(e, "p1")["mac"] == "02:00:00:00:00:01"
    poll(lambda: tag(e, "p1") == "100", timeout=10, what="p1 tag 100")
    reaches(e, "h1", 100)
    # Five echo requests and replies (98 octets each on the wire) for the accounting below.
    e.bed.run("h1", ["ping", "-q", "-c", "5", "-i", "0.2", "-W", "1", "10.0.100.1"])
    assert not e.bed.ping("h1", "10.0.10.1")
    detail = cli(e, "show dot1x interface p1 detail").stdout
    assert "Supplicant: bob, 02:00:00:00:00:01" in detail and "Authenticated VLAN: 100" in detail
    # EAPOL-Logoff: blocked again, the dynamic VLAN reverted.
    s.cli("logoff")
    poll(lambda: supp(e, "p1").get("state") != "Authenticated", timeout=10, what="p1 logged off")
    poll(lambda: tag(e, "p1") == "10", timeout=10, what="p1 back in v10")
    poll(lambda: not e.bed.ping("h1", "10.0.100.1") and not e.bed.ping("h1", "10.0.10.1"),
         timeout=10, what="h1 blocked after logoff")
    s.stop()
    # Accounting Start and Stop (RFC 2866, RFC 3580 §3.16 terminate cause) reached the server.
    poll(lambda: "Acct-Terminate-Cause = User-Request" in e.rad.text(), timeout=10,
         what="accounting Stop")
    assert "Acct-Status-Type = Start" in e.rad.text()
    # The Stop counts the port's traffic of the session (single mode: the port is the host's):
    # five pings each way went through it while it was authorized.
    stop = e.rad.text().split("Acct-Terminate-Cause = User-Request")[0]
    stop = stop.rsplit("Accounting-Request", 1)[-1]
    got = {k: int(v) for k, v in re.findall(r"Acct-(\w+-(?:Octets|Packets)) = (\d+)", stop)}
    assert got.get("Input-Packets", 0) >= 5 and got.get("Output-Packets", 0) >= 5, stop
    assert got["Input-Octets"] >= 5 * 98 and got["Output-Octets"] >= 5 * 98, stop


def test_wrong_password_server_reject_vlan(env):
    e = env
    s = supplicant(e, "h1", MD5.format(u="bob", p="wrong"))
    wait_auth(e, "p1", "Server-reject", "v40")
    poll(lambda: tag(e, "p1") == "40", timeout=10, what="p1 in the reject VLAN")
    reaches(e, "h1", 40)
    # eapol-block: the rejected host's EAPOL-Start is ignored, it stays in the reject VLAN.
    def stats():
        st = json.loads(cli(e, "show dot1x statistics p1 | display json").stdout)
        return st["dot1x-statistics-information"]["interface"][0]
    before = stats()
    s.cli("logon")
    s.cli("reassociate")
    poll(lambda: stats().get("ignored-rx", 0) > before.get("ignored-rx", 0), timeout=10,
         what="Start ignored")
    assert stats().get("eapol-start-rx", 0) == before.get("eapol-start-rx", 0)
    assert supp(e, "p1")["method"] == "Server-reject"
    s.stop()


def test_peap_mschapv2(env):
    e = env
    cli(e, "clear dot1x interface p1")
    s = supplicant(e, "h1", '  eap=PEAP\n  identity="carol"\n  anonymous_identity="anonymous"\n'
                   '  password="hello"\n  phase1="peaplabel=0"\n  phase2="auth=MSCHAPV2"\n'
                   f'  ca_cert="{e.pki / "ca.pem"}"\n')
    wait_auth(e, "p1", "Radius", "200")
    poll(lambda: tag(e, "p1") == "200", timeout=10, what="p1 tag 200")
    reaches(e, "h1", 200)
    s.stop()


def test_eap_tls(env):
    e = env
    cli(e, "clear dot1x interface p1")
    s = supplicant(e, "h1", f'  eap=TLS\n  identity="alice"\n  ca_cert="{e.pki / "ca.pem"}"\n'
                   f'  client_cert="{e.pki / "client.pem"}"\n'
                   f'  private_key="{e.pki / "client.key"}"\n')
    wait_auth(e, "p1", "Radius", "100")
    reaches(e, "h1", 100)
    s.stop()


def test_silent_host_guest_vlan(env):
    e = env
    # No supplicant on h2: after transmit-period x maximum-requests, the guest VLAN.
    wait_auth(e, "p2", "Guest VLAN", "v30")
    poll(lambda: tag(e, "p2") == "30", timeout=10, what="p2 in the guest VLAN")
    reaches(e, "h2", 30)


def test_mac_radius_restrict(env):
    e = env
    # The MAC-only host just sends traffic; dot1xd learns its MAC and asks RADIUS.
    def kick():
        e.bed.ping("h3", "10.0.200.1")
        s = supp(e, "p3")
        return s.get("method") == "Mac Radius" and s.get("vlan") == "200"
    poll(kick, timeout=20, interval=0.2, what="p3 MAC RADIUS")
    assert supp(e, "p3")["user"] == "020000000003"
    poll(lambda: tag(e, "p3") == "200", timeout=10, what="p3 tag 200")
    reaches(e, "h3", 200)


def test_mac_radius_fallback_for_silent_host(env):
    e = env
    # No supplicant: transmit-period x maximum-requests of silence, then MAC RADIUS (the
    # MAC is known to the server, so it wins over the guest VLAN).
    def kick():
        e.bed.ping("h10", "10.0.200.1")
        s = supp(e, "p10")
        return s.get("method") == "Mac Radius" and s.get("vlan") == "200"
    poll(kick, timeout=25, interval=0.2, what="p10 MAC RADIUS after silence")
    poll(lambda: tag(e, "p10") == "200", timeout=10, what="p10 tag 200")
    reaches(e, "h10", 200)


def test_multiple_supplicants(env):
    e = env
    b = e.bed
    b.run("hm", ["ip", "link", "set", "eth0", "up"])
    cap = subprocess.Popen(b.tb.exec_argv("hm", ["tcpdump", "--immediate-mode", "-l", "-nn", "-e", "-i", "eth0",
                                                 "ether", "proto", "0x888e"]),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # tcpdump says "listening on" once its socket is open.
    for _ in range(5):
        if "listening on" in cap.stderr.readline():
            break
    sups = []
    for i, user in ((1, "erin"), (2, "frank")):
        b.run("hm", ["ip", "link", "add", f"mv{i}", "link", "eth0", "address",
                     f"02:00:00:00:05:0{i}", "type", "macvlan", "mode", "bridge"])
        b.run("hm", ["ip", "link", "set", f"mv{i}", "up"])
        sups.append(supplicant(e, "hm", MD5.format(u=user, p="hello"), ifname=f"mv{i}"))
    for i, user in ((1, "erin"), (2, "frank")):
        wait_auth(e, "p5", "Radius", "", mac=f"02:00:00:00:05:0{i}")
        assert supp(e, "p5", f"02:00:00:00:05:0{i}")["user"] == user
    brief = cli(e, "show dot1x interface p5").stdout
    assert "02:00:00:00:05:01" in brief and "02:00:00:00:05:02" in brief, brief
    # --immediate-mode: without it tcpdump holds frames in its ring block until a timeout, and a
    # SIGTERM before that ends it with "0 packets captured" although the filter saw them.
    time.sleep(0.3)
    cap.terminate()
    out, _ = cap.communicate(timeout=5)
    # Replies went unicast to each supplicant (several on one port, notes section 1): the
    # EAP-Success frames name each MAC as destination.
    for i in (1, 2):
        assert f"> 02:00:00:00:05:0{i}, ethertype EAPOL" in out, out
        log = (e.tmp / f"wpas-hm-mv{i}.log").read_text()
        assert "CTRL-EVENT-EAP-SUCCESS" in log
    # Logoff ends that supplicant's session at once (Junos), the other one stays. A logged-off
    # wpa_supplicant still answers the next Request/Identity it hears (the port's group request
    # goes out every transmit-period), which rightly starts a new session; the host here is one
    # that has left, so it hears nothing more.
    b.run("hm", ["nft", "add", "table", "netdev", "gone"])
    b.run("hm", ["nft", "add", "chain", "netdev", "gone", "in",
                 "{ type filter hook ingress device mv1 priority 0; }"])
    b.run("hm", ["nft", "add", "rule", "netdev", "gone", "in", "ether", "type", "0x888e", "drop"])
    assert sups[0].cli("logoff").stdout.strip() == "OK"
    poll(lambda: not supp(e, "p5", "02:00:00:00:05:01"), timeout=10,
         what="logged-off supplicant removed from show dot1x interface")
    assert supp(e, "p5", "02:00:00:00:05:02").get("state") == "Authenticated"
    assert show(e, "p5").get("sessions") == 1, show(e, "p5")


def test_single_secure(env):
    e = env
    supplicant(e, "h9", MD5.format(u="bob", p="hello"))
    wait_auth(e, "p9", "Radius", "100", mac="02:00:00:00:00:09")
    poll(lambda: tag(e, "p9") == "100", timeout=10, what="p9 tag 100")
    reaches(e, "h9", 100)
    # Only that MAC is admitted (per-MAC admission): a second host behind the same port is not.
    b = e.bed
    b.run("h9", ["ip", "link", "add", "mv9", "link", "eth0", "address", "02:00:00:00:09:99",
                 "type", "macvlan", "mode", "private"])
    b.run("h9", ["ip", "addr", "add", "10.0.100.99/24", "dev", "mv9"])
    b.run("h9", ["ip", "link", "set", "mv9", "up"])
    r = b.run("h9", ["ping", "-n", "-c", "2", "-W", "1", "-I", "mv9", "10.0.100.1"], check=False,
              timeout=10)
    assert r.returncode != 0, r.stdout
    reaches(e, "h9", 100)
    assert supp(e, "p9", "02:00:00:00:09:99") == {}


def test_reauth_session_timeout_changed_vlan(env):
    e = env
    cli(e, "clear dot1x interface p1")
    s = supplicant(e, "h1", MD5.format(u="gina", p="hello"))
    wait_auth(e, "p1", "Radius", "100")
    # Session-Timeout 2 with Termination-Action RADIUS-Request (RFC 3580 §3.17): reauth period.
    assert supp(e, "p1")["reauth-interval"] == 2
    poll(lambda: tag(e, "p1") == "100", timeout=10, what="p1 tag 100")
    # The server now puts gina in VLAN 200: the next reauthentication moves the port.
    users = (e.rad.fr / "mods-config" / "files" / "authorize")
    text = users.read_text()
    gina = text.index("gina")
    users.write_text(text[:gina] + text[gina:].replace('"100"', '"200"', 1))
    e.rad.hup()
    wait_auth(e, "p1", "Radius", "200")
    poll(lambda: tag(e, "p1") == "200", timeout=10, what="p1 moved to 200 by reauthentication")
    reaches(e, "h1", 200)
    s.stop()


def radclient(e, kind, attrs):
    """RFC 5176 request from the server's address to dot1xd's DAS (port 3799)."""
    return e.bed.run("sw1", ["sh", "-c", f"echo '{attrs}' | radclient -x -r 1 -t 3 "
                             f"127.0.0.1:3799 {kind} testing123"], check=False)


def test_coa_vlan_change_and_disconnect(env):
    e = env
    # h3: MAC RADIUS in VLAN 200 (test_mac_radius_restrict). CoA moves it to 100.
    ts = int(time.time())
    r = radclient(e, "coa", f'Calling-Station-Id = "02-00-00-00-00-03", Tunnel-Type = VLAN, '
                  f'Tunnel-Medium-Type = IEEE-802, Tunnel-Private-Group-Id = "100", '
                  f'Event-Timestamp = {ts}, Message-Authenticator = 0x00')
    assert "CoA-ACK" in r.stdout, r.stdout + r.stderr
    poll(lambda: tag(e, "p3") == "100", timeout=10, what="p3 moved to 100 by CoA")
    assert supp(e, "p3")["vlan"] == "100"
    reaches(e, "h3", 100)
    # A CoA for a session that does not exist: NAK, Error-Cause Session-Context-Not-Found.
    r = radclient(e, "coa", f'Calling-Station-Id = "02-00-00-00-00-77", Event-Timestamp = {ts}, '
                  'Message-Authenticator = 0x00')
    assert "CoA-NAK" in r.stdout and "Session-Context-Not-Found" in r.stdout, r.stdout
    # Disconnect ends the session and, with mac-radius flap-on-disconnect, bounces the port:
    # the host sees its carrier go and come back. Its next frames start MAC RADIUS again, and
    # the server's VLAN (200), not the CoA's, comes back.
    carrier = lambda: int(e.bed.run("h3", ["cat", "/sys/class/net/eth0/carrier_changes"]).stdout)
    flips = carrier()
    r = radclient(e, "disconnect", f'Calling-Station-Id = "02-00-00-00-00-03", '
                  f'Event-Timestamp = {ts}, Message-Authenticator = 0x00')
    assert "Disconnect-ACK" in r.stdout, r.stdout + r.stderr
    poll(lambda: carrier() >= flips + 2, timeout=10, what="h3's carrier went down and up")
    poll(lambda: (e.bed.ping("h3", "10.0.200.1"), supp(e, "p3").get("vlan") == "200")[1],
         timeout=20, interval=0.2, what="p3 re-admitted by MAC RADIUS in 200")
    poll(lambda: tag(e, "p3") == "200", timeout=10, what="p3 back in 200")
    st = json.loads(cli(e, "show dot1x statistics | display json").stdout)
    rad = st["dot1x-statistics-information"]["radius"]
    assert rad["coa"] == 1 and rad["disconnects"] == 1, rad


LLDP_SEND = ("import socket, sys\n"
             "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n"
             "s.bind(('eth0', 0))\n"
             "s.send(bytes.fromhex(sys.argv[1]))\n")


def lldp_med(e, host, mac, ttl, device_class=3):
    """An LLDPDU from host's eth0 as an LLDP-MED endpoint (ANSI/TIA-1057) sends it: chassis
    and port ID by MAC, TTL, LLDP-MED Capabilities with the device class, End."""
    m = mac.replace(":", "")
    pdu = (f"020704{m}" f"040703{m}" f"0602{ttl:04x}" f"fe070012bb010033{device_class:02x}" "0000")
    frame = bytes.fromhex(f"0180c200000e{m}88cc{pdu}").ljust(60, b"\0")
    e.bed.run(host, ["/usr/bin/python3", "-c", LLDP_SEND, frame.hex()])


def test_lldp_med_bypass(env):
    e = env
    mac = "02:00:00:00:00:0b"
    bypassed = lambda: supp(e, "p11").get("method") == "LLDP-MED bypass"  # noqa: E731
    assert not e.bed.ping("h11", "10.0.10.1")
    # A network connectivity device (class 4) is not an endpoint: nothing happens.
    lldp_med(e, "h11", mac, 120, device_class=4)
    time.sleep(1)
    assert not bypassed() and not e.bed.ping("h11", "10.0.10.1")
    # A phone (class III) is admitted in the port's VLAN without authentication...
    lldp_med(e, "h11", mac, 3)
    poll(bypassed, timeout=10, what="p11 admitted by LLDP-MED")
    assert supp(e, "p11")["mac"] == mac
    reaches(e, "h11", 10)
    # ...for its TTL (3 s) when no further LLDPDU comes,
    poll(lambda: not bypassed(), timeout=10, what="p11 bypass ends with the TTL")
    poll(lambda: not e.bed.ping("h11", "10.0.10.1"), timeout=10, what="h11 blocked again")
    # and at once when it says it is leaving (TTL 0).
    lldp_med(e, "h11", mac, 120)
    poll(bypassed, timeout=10, what="p11 admitted again")
    lldp_med(e, "h11", mac, 0)
    poll(lambda: not bypassed(), timeout=3, what="TTL 0 ends the bypass")


def test_vland_restart_gets_state_back(env):
    e = env
    root = e.bed.node_root("sw1")
    pid = int((root / "run" / "keel" / "vland.pid").read_text())
    os.kill(pid, 9)
    poll(lambda: not Path(f"/proc/{pid}").exists(), timeout=5, interval=0.02, what="vland reaped")
    e.bed.run("sw1", [BIN / "vland"])
    # A fresh vland knows nothing of 802.1X: dot1xd reconnects and sends every port and MAC
    # state again (enforce.c), so vland reports p3 authorized in 200 and p8 unauthorized.
    def shown(port, text):
        out = cli(e, f"show ethernet-switching interface {port}", check=False).stdout
        return text in out
    poll(lambda: shown("p3", "802.1X: authorized, dynamic VLAN v200"), timeout=15,
         what="vland has p3 back")
    poll(lambda: shown("p8", "UA"), timeout=15, what="vland has p8 unauthorized")
    poll(lambda: tag(e, "p3") == "200", timeout=10, what="p3 still in 200")
    reaches(e, "h3", 200)
    assert not e.bed.ping("h8", "10.0.10.1")


def test_use_cache_authenticates_first(env):
    e = env
    supplicant(e, "h7", MD5.format(u="bob", p="hello"))
    wait_auth(e, "p7", "Radius", "100")


def test_statistics(env):
    out = cli(env, "show dot1x statistics").stdout
    assert "Interface: p1" in out and "127.0.0.1" in out, out
    st = json.loads(cli(env, "show dot1x statistics | display json").stdout)
    rad = st["dot1x-statistics-information"]["radius"]
    auth = [s for s in rad["servers"] if not s.get("accounting")][0]
    assert auth["accepts"] >= 4 and auth["rejects"] >= 1 and auth["challenges"] >= 4, rad
    port = st["dot1x-statistics-information"]["interface"][0]
    assert port.get("kernel-drops-rx", 0) == 0, port
    # The same RxKernelDrops on the telemetry bus (dot1x-counters, every 10 s, sensors.c).
    out = subprocess.run(env.bed.tb.exec_argv("sw1", [
        "mosquitto_sub", "-h", "127.0.0.1", "-p", "51883", "-t", "keel/dot1xd/dot1x-counters",
        "-C", "1", "-W", "15", "-F", "%x"]), capture_output=True, timeout=20).stdout
    msg = bytes.fromhex(out.decode().strip() or "")
    for leaf in (b"kernel-drops-rx", b"session-limit-rx", b"eapol-rx"):
        assert b"/dot1x/interfaces/interface[name=p1]/state/" + leaf in msg, msg
    assert b"/access/radius-client/state/kernel-drops-rx" in msg, msg
    # Junos' AAA view of the same counters.
    out = cli(env, "show network-access aaa statistics authentication").stdout
    assert "Authentication module statistics" in out, out
    req = re.search(r"Requests received: (\d+)", out)
    acc = re.search(r"Accepts: (\d+)", out)
    assert req and acc and int(acc.group(1)) >= auth["accepts"], out
    assert int(req.group(1)) >= auth["accepts"] + auth["rejects"], out
    out = cli(env, "show network-access aaa statistics radius").stdout
    assert "127.0.0.1" in out and "auth" in out, out


def test_server_fail_actions(env):
    e = env
    e.rad.stop()
    supplicant(e, "h4", MD5.format(u="bob", p="hello"))
    wait_auth(e, "p4", "Server-fail", "v50", timeout=30)
    poll(lambda: tag(e, "p4") == "50", timeout=10, what="p4 in the server-fail VLAN")
    reaches(e, "h4", 50)
    # permit: admitted in the port's own VLAN.
    supplicant(e, "h6", MD5.format(u="bob", p="hello"))
    wait_auth(e, "p6", "Server-fail", "")
    reaches(e, "h6", 10)
    # deny: held, blocked.
    supplicant(e, "h8", MD5.format(u="bob", p="hello"))
    poll(lambda: supp(e, "p8").get("state") == "Held", timeout=30, what="p8 held (deny)")
    assert not e.bed.ping("h8", "10.0.10.1")
    # use-cache: h7 authenticated before; its reauthentication fails over to the cache.
    [s7] = [x for x in e.sups if x.host == "h7"]
    s7.cli("reauthenticate")
    wait_auth(e, "p7", "Server-fail", "100", timeout=30)
    reaches(e, "h7", 100)
