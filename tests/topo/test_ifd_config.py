"""ifd applies the `interfaces` config to the kernel as a diff (Junos dcd's job).

One node `solo` with eth0 to host h. Two ways in:
  - ifd alone, driven over its ctl socket with "config.validate" /
    "config.apply" exactly as mgd's two-phase commit does (lib/cfg.h), so the
    diff rules are checked against a real kernel without mgd;
  - the whole path, `cli -c 'configure; set ...; commit'` through mgd.
The kernel is read back with `ip -n NS -j`, and `ip -ts monitor address`
runs during a commit that changes one address, to prove the other addresses
were never deleted and re-added.
"""

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import BIN, CtlError, ctl_call, poll, sh

TOPO = """
[node.solo]
[host.h]
addresses = { eth0 = ["10.1.0.2/24"] }
[[link]]
a = "solo:eth0"
b = "h:eth0"
"""

CTL_ERR_INVALID = 5  # lib/proto/ctl.proto


# ---------------------------------------------------------------- kernel view


def ip_json(ns, *args):
    return json.loads(sh(["ip", "-n", ns, "-j", *args]).stdout or "[]")


def addrs(ns, dev):
    """Addresses of dev as {"10.1.0.1/24", ...}."""
    out = set()
    for link in ip_json(ns, "addr", "show", "dev", dev):
        for a in link.get("addr_info", []):
            out.add(f"{a['local']}/{a['prefixlen']}")
    return out


def link(ns, dev):
    return ip_json(ns, "-d", "link", "show", "dev", dev)[0]


def admin_up(ns, dev):
    return "UP" in link(ns, dev)["flags"]


class AddrMonitor:
    """`ip -ts monitor address` in the node's namespace, synchronised with
    sentinel addresses on lo so that everything before stop() is captured."""

    def __init__(self, ns):
        self.ns = ns
        self.out = tempfile.NamedTemporaryFile("w+", prefix="ifd-mon-")
        self.proc = None
        self.seq = 0

    def _sync(self):
        self.seq += 1
        sentinel = f"198.18.0.{self.seq}/32"
        dev = ["dev", "lo"]

        def seen():
            if sentinel in Path(self.out.name).read_text():
                return True
            # A fresh `ip monitor` may not have joined the group yet when the
            # first sentinel goes by: make a new event each try.
            sh(["ip", "-n", self.ns, "addr", "del", sentinel, *dev], check=False)
            sh(["ip", "-n", self.ns, "addr", "add", sentinel, *dev])
            return False

        poll(seen, timeout=5, interval=0.1, what=f"ip monitor saw the sentinel {sentinel}")
        sh(["ip", "-n", self.ns, "addr", "del", sentinel, *dev], check=False)

    def start(self):
        self.proc = subprocess.Popen(["ip", "-n", self.ns, "-ts", "monitor", "address"],
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self._sync()
        self.mark = len(Path(self.out.name).read_text().splitlines())
        return self

    def stop(self):
        """Returns the events seen since start() finished, one string each."""
        try:
            self._sync()
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=5)
        lines = Path(self.out.name).read_text().splitlines()[self.mark:]
        self.out.close()
        # one event per record: continuation lines ("valid_lft ...") start with blanks
        records = []
        for ln in lines:
            if ln[:1].isspace() and records:
                records[-1] += " " + ln.strip()
            else:
                records.append(ln)
        return [r for r in records if "198.18.0." not in r]


def mentions(lines, addr):
    """Monitor lines about addr (ip prints "inet 10.1.0.1/24" / "inet6 2001:db8::1/64")."""
    return [ln for ln in lines if f" {addr} " in f"{ln} "]


# ---------------------------------------------------------------- ifd over ctl


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def daemon_config(generation, cfg):
    """keel.mgd.DaemonConfig{generation = 1, json = 2} (lib/proto/mgd.proto)."""
    text = json.dumps(cfg).encode()
    return b"\x08" + _varint(generation) + b"\x12" + _varint(len(text)) + text


def ifs(*interfaces):
    return {"keel-interfaces:interfaces": {"interface": list(interfaces)}}


def unit0(inet=(), inet6=()):
    fam = {}
    if inet:
        fam["inet"] = {"address": [{"name": a} for a in inet]}
    if inet6:
        fam["inet6"] = {"address": [{"name": a} for a in inet6]}
    return [{"name": 0, "family": fam}]


@pytest.fixture
def solo_ifd(testbed, tmp_path):
    """The testbed with only ifd running on solo (a bin dir holding just ifd)."""
    assert os.access(BIN / "ifd", os.X_OK), f"{BIN}/ifd missing: build it first"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "ifd").symlink_to(BIN / "ifd")
    topo = tmp_path / "solo.toml"
    topo.write_text(TOPO)
    bed = testbed(str(topo))
    bed.keel_node("start", "solo", "--bin", bindir)
    sock = str(bed.node_root("solo") / "run" / "keel" / "ifd.ctl")
    # lib/cfg answers once its client runs (right after init)
    poll(lambda: ctl_call(sock, "config.validate", daemon_config(0, {})) == [], timeout=5,
         what="ifd answers config.validate")
    try:
        yield bed, sock
    finally:
        bed.keel_node("stop", "solo", check=False)


class Ifd:
    def __init__(self, sock):
        self.sock = sock
        self.gen = 0

    def commit(self, cfg):
        """validate, then apply, as mgd does."""
        ctl_call(self.sock, "config.validate", daemon_config(0, cfg))
        self.gen += 1
        ctl_call(self.sock, "config.apply", daemon_config(self.gen, cfg), timeout=5)


def test_ifd_applies_a_diff_over_ctl(solo_ifd):
    bed, sock = solo_ifd
    ns = bed.ns("solo")
    ifd = Ifd(sock)
    eth0 = {"name": "eth0", "description": "to-h", "mtu": 1400,
            "unit": unit0(["10.1.0.1/24", "10.1.1.1/24"], ["2001:db8:1::1/64"])}

    ifd.commit(ifs(eth0))
    assert {"10.1.0.1/24", "10.1.1.1/24", "2001:db8:1::1/64"} <= addrs(ns, "eth0")
    lk = link(ns, "eth0")
    assert lk["mtu"] == 1400 and lk.get("ifalias") == "to-h" and "UP" in lk["flags"], lk
    assert poll(lambda: bed.ping("h", "10.1.0.1"), timeout=5, what="h pings 10.1.0.1")

    # One address changes: the others are never deleted and re-added.
    mon = AddrMonitor(ns).start()
    eth0["unit"] = unit0(["10.1.0.1/24", "10.1.2.1/24"], ["2001:db8:1::1/64"])
    ifd.commit(ifs(eth0))
    lines = mon.stop()
    assert [ln for ln in mentions(lines, "10.1.1.1/24") if "Deleted" in ln], lines
    assert [ln for ln in mentions(lines, "10.1.2.1/24") if "Deleted" not in ln], lines
    assert mentions(lines, "10.1.0.1/24") == [], lines
    assert [ln for ln in mentions(lines, "2001:db8:1::1/64") if "Deleted" in ln] == [], lines
    assert addrs(ns, "eth0") >= {"10.1.0.1/24", "10.1.2.1/24", "2001:db8:1::1/64"}
    assert "10.1.1.1/24" not in addrs(ns, "eth0")

    # The same config again: nothing is written at all.
    mon = AddrMonitor(ns).start()
    ifd.commit(ifs(eth0))
    assert mon.stop() == []

    # disable -> admin down; enabling brings back the IPv6 address Linux flushed.
    eth0["disable"] = [None]
    ifd.commit(ifs(eth0))
    assert not admin_up(ns, "eth0")
    del eth0["disable"]
    ifd.commit(ifs(eth0))
    assert admin_up(ns, "eth0")
    assert "2001:db8:1::1/64" in addrs(ns, "eth0")

    # A validation failure names the path and changes nothing.
    bad = dict(eth0, description="x" * 300)
    with pytest.raises(CtlError) as e:
        ctl_call(sock, "config.validate", daemon_config(0, ifs(bad)))
    assert e.value.code == CTL_ERR_INVALID and "interfaces eth0 description" in e.value.text

    # Removal: managed addresses and the description go; a hand-made address,
    # the link-local, the MTU and the admin state stay.
    sh(["ip", "-n", ns, "addr", "add", "192.0.2.5/24", "dev", "eth0"])
    link_local = {a for a in addrs(ns, "eth0") if a.startswith("fe80:")}
    assert link_local, addrs(ns, "eth0")
    ifd.commit({})
    left = addrs(ns, "eth0")
    assert not left & {"10.1.0.1/24", "10.1.2.1/24", "2001:db8:1::1/64"}, left
    assert "192.0.2.5/24" in left and link_local <= left, left
    lk = link(ns, "eth0")
    assert lk["mtu"] == 1400 and not lk.get("ifalias") and "UP" in lk["flags"], lk


def test_ifd_applies_when_the_link_appears(solo_ifd):
    bed, sock = solo_ifd
    ns = bed.ns("solo")
    ifd = Ifd(sock)

    # Config for hardware that is not there is accepted (Junos does too).
    ifd.commit(ifs({"name": "late0", "mtu": 1300, "unit": unit0(["10.9.0.1/24"])}))
    sh(["ip", "-n", ns, "link", "add", "late0", "type", "veth", "peer", "name", "late1"])
    try:
        poll(lambda: "10.9.0.1/24" in addrs(ns, "late0"), timeout=5,
             what="ifd configured late0 when it appeared")
        poll(lambda: admin_up(ns, "late0") and link(ns, "late0")["mtu"] == 1300, timeout=5,
             what="late0 up with mtu 1300")
        # taken down and back up by hand: the config comes back with it
        sh(["ip", "-n", ns, "link", "set", "late0", "down"])
        sh(["ip", "-n", ns, "link", "set", "late0", "up"])
        poll(lambda: "10.9.0.1/24" in addrs(ns, "late0"), timeout=5, what="address kept")
    finally:
        sh(["ip", "-n", ns, "link", "del", "late0"], check=False)


# ---------------------------------------------------------------- through mgd and the CLI


@pytest.fixture
def solo_node(testbed, tmp_path):
    for b in ("mgd", "ifd", "cli"):
        if not os.access(BIN / b, os.X_OK):
            pytest.fail(f"{BIN}/{b} not built: the build is incomplete")
    topo = tmp_path / "solo.toml"
    topo.write_text(TOPO)
    return testbed(str(topo), start_nodes=True)


def cli(bed, cmds, check=True):
    return bed.run("solo", [BIN / "cli", "-c", cmds], check=check, timeout=30)


def test_cli_commit_applies_a_diff(solo_node):
    bed = solo_node
    ns = bed.ns("solo")
    base = "set interfaces eth0 unit 0 family"
    cli(bed, "configure; set interfaces eth0 description to-h; set interfaces eth0 mtu 1400; "
             f"{base} inet address 10.1.0.1/24; {base} inet address 10.1.1.1/24; "
             f"{base} inet6 address 2001:db8:1::1/64; commit")
    poll(lambda: {"10.1.0.1/24", "10.1.1.1/24", "2001:db8:1::1/64"} <= addrs(ns, "eth0"),
         timeout=5, what="addresses committed")
    lk = link(ns, "eth0")
    assert lk["mtu"] == 1400 and lk.get("ifalias") == "to-h" and "UP" in lk["flags"], lk

    mon = AddrMonitor(ns).start()
    cli(bed, f"configure; delete interfaces eth0 unit 0 family inet address 10.1.1.1/24; "
             f"{base} inet address 10.1.2.1/24; commit")
    poll(lambda: "10.1.2.1/24" in addrs(ns, "eth0"), timeout=5, what="10.1.2.1 added")
    lines = mon.stop()
    assert [ln for ln in mentions(lines, "10.1.1.1/24") if "Deleted" in ln], lines
    assert mentions(lines, "10.1.0.1/24") == [], lines
    assert [ln for ln in mentions(lines, "2001:db8:1::1/64") if "Deleted" in ln] == [], lines

    cli(bed, "configure; set interfaces eth0 disable; commit")
    poll(lambda: not admin_up(ns, "eth0"), timeout=5, what="eth0 disabled")
    cli(bed, "configure; delete interfaces eth0 disable; commit")
    poll(lambda: admin_up(ns, "eth0") and "2001:db8:1::1/64" in addrs(ns, "eth0"), timeout=5,
         what="eth0 enabled with its IPv6 address")

    p = cli(bed, "configure; set interfaces eth0 description " + "x" * 300 + "; commit",
            check=False)
    # libyang allows 900 characters (Junos); ifd's validate refuses, naming the path
    assert p.returncode != 0 and "interfaces eth0 description" in p.stderr, p
    assert link(ns, "eth0").get("ifalias") == "to-h"

    # config for an interface that is not there commits (as on Junos)
    cli(bed, "configure; rollback; set interfaces eth7 mtu 1300; commit")

    cli(bed, "configure; rollback; delete interfaces eth0; commit")
    poll(lambda: not addrs(ns, "eth0") & {"10.1.0.1/24", "10.1.2.1/24", "2001:db8:1::1/64"},
         timeout=5, what="managed addresses removed")
    lk = link(ns, "eth0")
    assert lk["mtu"] == 1400 and not lk.get("ifalias"), lk
