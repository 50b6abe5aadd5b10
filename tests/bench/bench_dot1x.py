"""dot1xd benchmark (issue 8): EAP-MD5 supplicants against keel dot1xd and, as the anchor in
the same run, hostapd 2.10 (driver=wired, use_pae_group_addr=0), both relaying to the same
private FreeRADIUS 3.2.1.

Rig (root; everything lives in two namespaces this script creates and removes):
  <tag>a  FreeRADIUS on 127.0.0.1:1812 (threaded, -f; users file with the notes'
          Message-Authenticator reply trick, M-A added to Rejects, reject_delay 0) and the
          authenticator on the ports ax0..ax<PORTS-1>
  <tag>s  the supplicants: tests/bench/dot1x/eapolgen.c on sx0.., one source MAC per session,
          sessions spread round robin over the ports
Tools are built here with cc and the Makefile's flags: eapolgen (independent of keel's
codecs) and radperf (keel's radclient.c straight to FreeRADIUS).

Steps:
  1. live check of radclient.c against FreeRADIUS 3.2.1: MAC RADIUS/PAP Accept with VLAN
     200, EAP-MD5 Accept with VLAN 100, Reject (wrong password), Reject (unknown user),
     EAP-MD5 over IPv6, failover from a silent first server;
     then requests/s through radclient (PAP and EAP-MD5 sessions, 64 in flight).
  2. for W in BENCH_DOT1X_W (default 1,4,16,28,1024) concurrent sessions:
       radius   EAP-MD5 over RADIUS only (radperf, W in flight): what the server costs
       hostapd  a fresh hostapd (one process, one config per port), W sessions in flight
       keel     a fresh keel node (mgd + dot1xd via init/keel-node, supplicant multiple)
     Each point starts at most SESSIONS sessions (default 2000 over PORTS=2 ports: hostapd
     keeps a station for seconds after Logoff and holds at most 2007 per interface; keel
     dot1xd frees a multiple-mode session at its Logoff, as Junos does) during at most
     DURATION s, and a session without a result after TIMEOUT s fails. Both authenticators
     are restarted for every point.
  3. held sessions (BENCH_DOT1X_HELD, default 10000; 0 = skip): that many supplicants
     authenticate over HELD_PORTS ports (8; hostapd holds at most 2007 stations per
     interface) without logging off; then the authenticator's RSS against its idle RSS, and
     the sessions it reports (keel: `show dot1x interface | display json`, authorized
     supplicants; hostapd: `hostapd_cli all_sta`, AUTHORIZED stations).
  Reported: auth/s, latency Start -> Success p50/p99, the latency the authenticator adds
  (session pX minus RADIUS-only pX at the same W), failed sessions, keel/hostapd ratios,
  held sessions with RSS and bytes per session.

Environment: KEEL_BUILD (build dir, default build), BENCH_DOT1X_W (empty: the live check
only), BENCH_DOT1X_SESSIONS,
BENCH_DOT1X_PORTS, BENCH_DOT1X_DURATION, BENCH_DOT1X_TIMEOUT, BENCH_DOT1X_IMPLS (default keel,hostapd).
Bounded: about 5 x (DURATION + a few s) per implementation plus TIMEOUT where sessions
hang (hostapd at W > 30).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "init"))

from testbed.ctl import ctl_call  # noqa: E402
BUILD = Path(os.environ.get("KEEL_BUILD") or REPO / "build").resolve()
WIDTHS = [int(x) for x in os.environ.get("BENCH_DOT1X_W", "1,4,16,28,1024").split(",") if x]
SESSIONS = int(os.environ.get("BENCH_DOT1X_SESSIONS", "2000"))
PORTS = int(os.environ.get("BENCH_DOT1X_PORTS", "2"))
DURATION = float(os.environ.get("BENCH_DOT1X_DURATION", "3"))
TIMEOUT = float(os.environ.get("BENCH_DOT1X_TIMEOUT", "10"))
IMPLS = os.environ.get("BENCH_DOT1X_IMPLS", "keel,hostapd").split(",")
HELD = int(os.environ.get("BENCH_DOT1X_HELD", "10000"))
HELD_PORTS = 8 if HELD else 0
NPORTS = max(PORTS, HELD_PORTS)  # ports configured on both authenticators
TAG = f"kdx{os.getpid() % 100000}"
NS_A, NS_S = f"{TAG}a", f"{TAG}s"
SECRET = "testing123"
USER, PASS = "bob", "hello"
MAB = "020000000001"
PKGS = ("libevent libevent_pthreads libnl-3.0 libnl-route-3.0 libnl-genl-3.0 libcrypto libssl "
        "json-c libprotobuf-c libmosquitto libcap")
CFLAGS = ("-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wformat=2 "
          "-Wno-format-nonliteral -g -O2 -D_GNU_SOURCE -fno-strict-aliasing")

USERS = f"""{USER}\tCleartext-Password := "{PASS}"
\tMessage-Authenticator = 0x00,
\tTunnel-Type = VLAN,
\tTunnel-Medium-Type = IEEE-802,
\tTunnel-Private-Group-Id = "100"

{MAB}\tCleartext-Password := "{MAB}"
\tMessage-Authenticator = 0x00,
\tTunnel-Type = VLAN,
\tTunnel-Medium-Type = IEEE-802,
\tTunnel-Private-Group-Id = "200"

"""

HOSTAPD_CONF = f"""interface={{port}}
driver=wired
ieee8021x=1
eapol_version=2
eap_reauth_period=3600
use_pae_group_addr=0
own_ip_addr=127.0.0.1
nas_identifier=sw-test-{{port}}
auth_server_addr=127.0.0.1
auth_server_port=1812
auth_server_shared_secret={{SECRET}}
radius_auth_req_attr=61:d:15
ctrl_interface={{ctrl}}
logger_syslog=0
logger_stdout=0
"""



def keel_conf():
    ifs = "".join(f"""    ax{i} {{
        unit 0 {{
            family ethernet-switching {{
                vlan {{
                    members v10;
                }}
            }}
        }}
    }}
""" for i in range(NPORTS))
    dot1x = "".join(f"""            interface ax{i} {{
                supplicant multiple;
            }}
""" for i in range(NPORTS))
    return f"""interfaces {{
{ifs}}}
vlans {{
    v10 {{
        vlan-id 10;
    }}
}}
access {{
    radius-server 127.0.0.1 {{
        secret "{SECRET}";
    }}
    profile bench {{
        authentication-order radius;
        radius {{
            authentication-server 127.0.0.1;
        }}
    }}
}}
protocols {{
    dot1x {{
        authenticator {{
            authentication-profile-name bench;
{dot1x}        }}
    }}
}}
"""


def sh(*argv, check=True, ns=None, timeout=120, env=None, input=None):
    if ns:
        argv = ("ip", "netns", "exec", ns) + argv
    return subprocess.run([str(a) for a in argv], check=check, capture_output=True, text=True,
                          timeout=timeout, env=env, input=input)


def build_tools(out):
    """eapolgen (libcrypto only) and radperf (keel's RADIUS client objects)."""
    objs = [BUILD / f"obj/daemons/dot1xd/{n}.o"
            for n in ("radius", "eapol", "radclient", "radclient_server")]
    libs = [BUILD / "libkeelplat.a", BUILD / "libkeel.a"]
    sh("make", "-C", REPO, f"BUILD={BUILD}", "-j2", *objs, *libs, timeout=600)
    pc_c = sh("pkg-config", "--cflags", *PKGS.split()).stdout.split()
    pc_l = sh("pkg-config", "--libs", *PKGS.split()).stdout.split()
    gen, perf = out / "eapolgen", out / "radperf"
    sh("cc", *CFLAGS.split(), "-o", gen, REPO / "tests/bench/dot1x/eapolgen.c", "-lcrypto")
    sh("cc", *CFLAGS.split(), f"-I{REPO}", f"-I{BUILD}/gen", *pc_c, "-o", perf,
       REPO / "tests/bench/dot1x/radperf.c", *objs, *libs, *pc_l, "-lm")
    return gen, perf


def net_up():
    for ns in (NS_A, NS_S):
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
    # Fixed MACs: eapolgen's supplicants are 02:<run>:..., the ports must never look like one.
    for i in range(NPORTS):
        sh("ip", "link", "add", f"ax{i}", "address", f"00:1b:21:0d:{i:02x}:01", "netns", NS_A,
           "type", "veth", "peer", "name", f"sx{i}", "address", f"00:1b:21:0d:{i:02x}:02",
           "netns", NS_S)
        sh("ip", "link", "set", f"ax{i}", "up", ns=NS_A)
        sh("ip", "link", "set", f"sx{i}", "up", ns=NS_S)


def net_down():
    for ns in (NS_A, NS_S):
        sh("ip", "netns", "del", ns, check=False)


def freeradius_conf(d):
    fr = d / "fr"
    shutil.copytree("/etc/freeradius/3.0", fr, symlinks=True)
    site = fr / "sites-enabled/default"
    text = site.read_text()
    # Notes §8: listen on loopback only (not -i/-p, which leaves requests unhandled).
    text = text.replace("\tipaddr = *", "\tipaddr = 127.0.0.1").replace(
        "\tipv6addr = ::\t", "\tipv6addr = ::1\t")
    # FreeRADIUS 3.2.1 signs a Reject only when told to (keel drops unsigned replies).
    anchor = "\t\tremove_reply_message_if_eap\n\t}"
    assert anchor in text, "unexpected sites-enabled/default"
    text = text.replace(anchor, "\t\tremove_reply_message_if_eap\n\t\tupdate reply {\n"
                        "\t\t\tMessage-Authenticator := 0x00\n\t\t}\n\t}", 1)
    site.write_text(text)
    conf = fr / "radiusd.conf"
    text = conf.read_text()
    for old, new in (("reject_delay = 1", "reject_delay = 0"),
                     ("\nlogdir = /var/log/freeradius", f"\nlogdir = {d}/log"),
                     ("\nrun_dir = ${localstatedir}/run/${name}", f"\nrun_dir = {d}/run")):
        assert old in text, old
        text = text.replace(old, new, 1)
    conf.write_text(text)
    users = fr / "mods-config/files/authorize"
    users.write_text(USERS + users.read_text())
    for sub in ("log", "run"):
        (d / sub).mkdir()
    sh("chown", "-R", "freerad:freerad", fr, d / "log", d / "run")
    sh("freeradius", "-XC", "-d", fr, ns=NS_A)
    return fr


def radperf(perf, *args, timeout=120, servers=(f"127.0.0.1:1812:{SECRET}",)):
    srv = [a for s in servers for a in ("-s", s)]
    p = sh(perf, *srv, *args, ns=NS_A, check=False, timeout=timeout)
    try:
        return p.returncode, json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return p.returncode, {"error": p.stderr.strip()[-300:]}


def wait_radius(perf):
    end = time.time() + 20
    while time.time() < end:
        rc, _ = radperf(perf, "-m", "pap", "-u", MAB, "-p", MAB, "-x", "accept", "-t", "300",
                        "-r", "1")
        if rc == 0:
            return
        time.sleep(0.3)
    raise RuntimeError("freeradius does not answer")


def live_check(perf):
    """radclient.c against FreeRADIUS 3.2.1: Accept with VLAN, Reject; counts drops."""
    checks = [
        ("MAC RADIUS (PAP) Accept, VLAN 200", ["-m", "pap", "-u", MAB, "-p", MAB, "-x",
                                               "accept", "-V", "200"]),
        ("EAP-MD5 Accept, VLAN 100", ["-m", "eap-md5", "-u", USER, "-p", PASS, "-x", "accept",
                                      "-V", "100"]),
        ("EAP-MD5 Reject (wrong password)", ["-m", "eap-md5", "-u", USER, "-p", "nope", "-x",
                                             "reject"]),
        ("PAP Reject (unknown user)", ["-m", "pap", "-u", "mallory", "-p", "x", "-x", "reject"]),
    ]
    ok = True
    print("radclient.c <-> FreeRADIUS 3.2.1 (live):")
    for name, args in checks:
        rc, res = radperf(perf, *args, "-t", "1000", "-r", "1")
        drops = sum(res.get("drops", {}).values())
        print(f"  {'PASS' if rc == 0 else 'FAIL'}  {name}  (drops {drops})")
        ok &= rc == 0
    # IPv6 transport, and failover: the first server ([::1]:1999) never answers.
    rc, res = radperf(perf, "-m", "eap-md5", "-u", USER, "-p", PASS, "-n", "100", "-w", "8",
                      "-x", "accept", "-V", "100", servers=(f"[::1]:1812:{SECRET}",))
    print(f"  {'PASS' if rc == 0 else 'FAIL'}  EAP-MD5 over IPv6 (::1), 100 sessions")
    ok &= rc == 0
    rc, res = radperf(perf, "-m", "pap", "-u", MAB, "-p", MAB, "-n", "20", "-w", "4", "-t", "200",
                      "-r", "1", "-x", "accept",
                      servers=(f"[::1]:1999:{SECRET}", f"127.0.0.1:1812:{SECRET}"))
    print(f"  {'PASS' if rc == 0 else 'FAIL'}  failover from a silent first server "
          f"(p99 {res.get('p99_us', 0) / 1000:.0f} ms: the first requests wait out its 400 ms "
          f"budget, the rest skip it)")
    ok &= rc == 0
    for mode, user, pw in (("pap", MAB, MAB), ("eap-md5", USER, PASS)):
        rc, res = radperf(perf, "-m", mode, "-u", user, "-p", pw, "-n", "5000", "-w", "64",
                          "-x", "accept")
        print(f"  radclient throughput {mode}: {res.get('per_s', 0):.0f} sessions/s "
              f"({'1 round trip' if mode == 'pap' else '2 round trips'} each, 64 in flight, "
              f"p50 {res.get('p50_us', 0) / 1000:.2f} ms, p99 {res.get('p99_us', 0) / 1000:.2f}"
              f" ms, {res.get('timeout', 0)} timeouts)")
        ok &= rc == 0
    return ok


class Hostapd:
    name = "hostapd"

    def __init__(self, d):
        self.d = d
        self.confs = []
        self.ctrl = d / "hostapd-ctrl"
        for i in range(NPORTS):
            c = d / f"hostapd-ax{i}.conf"
            c.write_text(HOSTAPD_CONF.format(port=f"ax{i}", SECRET=SECRET, ctrl=self.ctrl))
            self.confs.append(c)
        self.pidfile = d / "hostapd.pid"

    def pid(self):
        return int(self.pidfile.read_text())

    def held(self):
        """Stations hostapd holds authorized, over every port."""
        n = 0
        for i in range(NPORTS):
            out = sh("hostapd_cli", "-p", self.ctrl, "-i", f"ax{i}", "all_sta", ns=NS_A,
                     check=False, timeout=120).stdout
            n += sum(1 for line in out.splitlines()
                     if line.startswith("flags=") and "[AUTHORIZED]" in line)
        return n

    def start(self):
        self.pidfile.unlink(missing_ok=True)
        # One process serving every port, one interface per config file.
        sh("hostapd", "-B", "-P", self.pidfile, *self.confs, ns=NS_A)
        end = time.time() + 5
        while not self.pidfile.exists() and time.time() < end:
            time.sleep(0.05)
        time.sleep(0.3)

    def stop(self):
        try:
            pid = int(self.pidfile.read_text())
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            return
        end = time.time() + 5
        while time.time() < end and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)


class Keel:
    name = "keel"

    def __init__(self, d):
        self.d = d
        self.root = d / "keelroot"
        (d / "keel.conf").write_text(keel_conf())
        self.env = dict(os.environ, KEEL_DAEMONS="mgd dot1xd",
                        KEEL_NODES_DIR=str(d / "nodes"))

    def node(self, cmd, *extra, check=True):
        return sh(REPO / "init/keel-node", cmd, TAG, "--netns", NS_A, "--root", self.root,
                  *extra, env=self.env, check=check, timeout=60)

    def logs(self):
        out = []
        for f in sorted((self.root / "var/log/keel").glob("*.log")):
            out.append(f"== {f.name}\n" + "\n".join(f.read_text().splitlines()[-15:]))
        return "\n".join(out)

    def start(self):
        p = self.node("start", "--config", self.d / "keel.conf", "--bin", BUILD / "bin",
                      check=False)
        if p.returncode != 0:
            raise RuntimeError(f"keel-node start: {p.stdout}{p.stderr}\n{self.logs()}")
        # Ready when dot1xd has the ports: `show dot1x interface` lists them.
        end = time.time() + 15
        while time.time() < end:
            p = sh(BUILD / "bin/cli", "-c", "show dot1x interface", ns=NS_A, check=False,
                   env=dict(self.env, KEEL_ROOT=str(self.root)))
            if p.returncode == 0 and all(f"ax{i}" in p.stdout for i in range(NPORTS)):
                # keel-node runs daemons with -d: debug logging of every transition is not
                # what is measured (hostapd runs without -d too). DebugSet{none: true}.
                ctl_call(str(self.root / "run/keel/dot1xd.ctl"), "debug.set", b"\x20\x01")
                return
            time.sleep(0.2)
        raise RuntimeError(f"keel dot1xd did not take the ports: {p.stdout}{p.stderr}\n{self.logs()}")

    def stop(self):
        self.node("stop", check=False)

    def pid(self):
        return int((self.root / "run/keel/dot1xd.pid").read_text().split()[0])

    def held(self):
        """Authorized supplicants in `show dot1x interface | display json`."""
        p = sh(BUILD / "bin/cli", "-c", "show dot1x interface | display json", ns=NS_A,
               check=False, env=dict(self.env, KEEL_ROOT=str(self.root)), timeout=120)
        info = json.loads(p.stdout)["dot1x-interface-information"]
        return sum(1 for i in info.get("interface", []) for s in i.get("supplicants", [])
                   if s.get("authorized"))


def run_gen(gen, w, runbyte):
    ifs = [a for i in range(PORTS) for a in ("-i", f"sx{i}")]
    p = sh(gen, *ifs, "-u", USER, "-p", PASS, "-n", SESSIONS, "-w", w, "-d", DURATION,
           "-t", int(TIMEOUT * 1000), "-m", runbyte, ns=NS_S, timeout=DURATION + TIMEOUT + 60)
    return json.loads(p.stdout)


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def held_run(side, gen, runbyte):
    """HELD supplicants authenticate and stay (no Logoff); RSS and sessions held."""
    side.start()
    try:
        rss0 = rss_kib(side.pid())
        ifs = [a for i in range(HELD_PORTS) for a in ("-i", f"sx{i}")]
        p = sh(gen, *ifs, "-u", USER, "-p", PASS, "-n", HELD, "-w", 256, "-d", 120,
               "-t", 20000, "-m", runbyte, "-k", ns=NS_S, timeout=200)
        res = json.loads(p.stdout)
        time.sleep(1)
        rss1 = rss_kib(side.pid())
        held = side.held()
    finally:
        side.stop()
    return {"ok": res["ok"], "failed": res["failed"] + res["timeout"], "per_s": res["per_s"],
            "held": held, "rss0": rss0, "rss1": rss1,
            "per_sess": (rss1 - rss0) * 1024 / held if held else 0}


def packet_drops():
    """Frames the kernel dropped on the authenticator's packet sockets (ss skmem d<N>)."""
    out = sh("ss", "-0", "-a", "-m", ns=NS_A, check=False).stdout
    return sum(int(m) for m in re.findall(r"skmem:\([^)]*,d(\d+)\)", out))


def ms(us):
    return f"{us / 1000:.1f}"


def main():
    if os.geteuid() != 0:
        print("bench_dot1x: needs root (network namespaces)")
        return 1
    for tool in ("freeradius", "hostapd"):
        if not shutil.which(tool):
            print(f"bench_dot1x: {tool} not installed")
            return 1
    impls = [i for i in IMPLS if i]
    if "keel" in impls and not os.access(BUILD / "bin/dot1xd", os.X_OK):
        print(f"bench_dot1x: {BUILD}/bin/dot1xd not built: keel side skipped")
        impls.remove("keel")
    d = Path(tempfile.mkdtemp(prefix="bench-dot1x-"))
    os.chmod(d, 0o755)
    fr_proc = None
    sides = []
    ok = True
    try:
        gen, perf = build_tools(d)
        net_up()
        fr = freeradius_conf(d)
        fr_proc = subprocess.Popen(["ip", "netns", "exec", NS_A, "freeradius", "-f", "-l",
                                    str(d / "log/radius.log"), "-d", str(fr)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_radius(perf)
        ok &= live_check(perf)

        sides = [{"keel": Keel, "hostapd": Hostapd}[i](d) for i in impls]
        rows = []
        runbyte = 1
        for w in WIDTHS:
            row = {"w": w}
            rc, res = radperf(perf, "-m", "eap-md5", "-u", USER, "-p", PASS,
                              "-n", min(SESSIONS, max(1000, 50 * w)), "-w", w, "-t", "3000")
            row["radius"] = res
            for side in sides:
                side.start()
                try:
                    row[side.name] = run_gen(gen, w, runbyte)
                    row[side.name]["sockdrops"] = packet_drops()
                finally:
                    side.stop()
                runbyte += 1
            rows.append(row)
            print(f"  W={w}: " + ", ".join(
                f"{k} {v.get('per_s', 0):.0f}/s" for k, v in row.items() if k != "w"),
                flush=True)
        if rows:
            report(rows, [s.name for s in sides])
        if HELD:
            held = []
            for side in sides:
                held.append((side.name, held_run(side, gen, runbyte)))
                runbyte += 1
            report_held(held)
    finally:
        for side in sides:
            side.stop()
        if fr_proc:
            fr_proc.terminate()
            try:
                fr_proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                fr_proc.kill()
        net_down()
        shutil.rmtree(d, ignore_errors=True)
    return 0 if ok else 1


def report_held(held):
    print()
    print(f"Held sessions: {HELD} EAP-MD5 supplicants over {HELD_PORTS} ports, no Logoff "
          "(256 in flight)")
    print(f"{'impl':8} {'authenticated':>13} {'failed':>7} {'held':>6} {'RSS idle MiB':>13} "
          f"{'RSS held MiB':>13} {'bytes/session':>14}")
    for name, h in held:
        print(f"{name:8} {h['ok']:>13} {h['failed']:>7} {h['held']:>6} "
              f"{h['rss0'] / 1024:>13.1f} {h['rss1'] / 1024:>13.1f} {h['per_sess']:>14.0f}")
    print("held: sessions the authenticator reports authorized afterwards (keel: show dot1x "
          "interface | display json; hostapd: hostapd_cli all_sta [AUTHORIZED]); hostapd "
          "holds at most 2007 stations per interface (max_num_sta).")


def report(rows, names):
    print()
    print(f"EAP-MD5 sessions through the authenticator (eapolgen, {PORTS} veth ports, "
          "FreeRADIUS 3.2.1 -f)")
    print(f"{'W':>5} {'impl':8} {'auth/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'+p50 ms':>8} "
          f"{'+p99 ms':>8} {'failed':>7} {'sessions':>9} {'rx drops':>9}")
    for r in rows:
        rad = r["radius"]
        print(f"{r['w']:>5} {'radius':8} {rad.get('per_s', 0):>8.0f} "
              f"{ms(rad.get('p50_us', 0)):>7} {ms(rad.get('p99_us', 0)):>7} {'-':>8} {'-':>8} "
              f"{rad.get('timeout', 0) + rad.get('error', 0):>7} {rad.get('n', 0):>9}")
        for n in names:
            x = r[n]
            add50 = max(0, x["p50_us"] - rad.get("p50_us", 0)) if x["ok"] else 0
            add99 = max(0, x["p99_us"] - rad.get("p99_us", 0)) if x["ok"] else 0
            print(f"{'':>5} {n:8} {x['per_s']:>8.0f} {ms(x['p50_us']):>7} "
                  f"{ms(x['p99_us']):>7} {ms(add50):>8} {ms(add99):>8} "
                  f"{x['failed'] + x['timeout']:>7} {x['n']:>9} {x['sockdrops']:>9}")
    if "keel" in names and "hostapd" in names:
        print()
        print(f"{'W':>5} {'keel/hostapd auth/s':>20} {'keel/hostapd p50':>17} "
              f"{'failed keel':>12} {'failed hostapd':>15}")
        for r in rows:
            k, h = r["keel"], r["hostapd"]
            ratio = k["per_s"] / h["per_s"] if h["per_s"] else float("inf")
            lat = k["p50_us"] / h["p50_us"] if h["p50_us"] else float("nan")
            print(f"{r['w']:>5} {ratio:>20.2f} {lat:>17.2f} {k['failed'] + k['timeout']:>12} "
                  f"{h['failed'] + h['timeout']:>15}")
    print()
    print("auth/s: EAP-Successes per second from the first Start to the last Success; p50/p99: EAPOL-Start "
          "-> EAP-Success; +pX: minus the RADIUS-only pX at the same W (the 'radius' rows: "
          "radperf, keel's RADIUS client straight to FreeRADIUS, no authenticator); failed: "
          "EAP-Failure or no result within the session timeout; rx drops: EAPOL frames the "
          "kernel dropped on the authenticator's packet sockets (receive buffer full).")


if __name__ == "__main__":
    sys.exit(main())
