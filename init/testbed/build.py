"""Turns a topology into namespaces, veth pairs and switches, and removes them again.

Everything `up` creates is journalled in STATE/state.json *before* it is
created (intent first, then the action), written atomically after every
step. `down`, and the rollback when `up` fails, undo the journal in reverse
order and tolerate entries whose action never happened, so a crash at any
point leaves a state file from which `down` removes exactly what exists.

Layout (ID is the testbed id, PREFIX = "kt-ID-"):
  namespaces   PREFIX<node|host>   one per node and host
               PREFIX<switch>      one per Linux-bridge switch (bridge named like the switch)
               PREFIXovs           the private Open vSwitch (all kind = "ovs" switches)
  veth pairs   created directly inside their namespaces (never in the root namespace)
  STATE/       state.json, lock, ovs/ (db, sockets, logs), <node>/ (the node's KEEL_ROOT)
"""

import ctypes
import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

from . import topology as topo_mod
from .chassis import write_eeprom

STATE_ROOT = "/run/keel-testbed"
NS_PREFIX = "kt-"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")
INIT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOCK_MAX = 107  # sun_path minus the NUL


class TestbedError(Exception):
    pass


_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
SIOCETHTOOL = 0x8946
ETHTOOL_GTXCSUM = 0x16
ETHTOOL_STXCSUM = 0x17


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"setns: {os.strerror(e)}")


def tx_csum(ns, ifnames, on):
    """Sets tx checksum offload (ETHTOOL_STXCSUM) on interfaces in namespace ns.

    A veth sends CHECKSUM_PARTIAL packets; Open vSwitch's userspace datapath
    (and any AF_PACKET reader) sees them with unfinished TCP/UDP checksums and
    the receiver drops them. With the offload off the kernel finishes the
    checksum in software. No ethtool binary needed: this is the SIOCETHTOOL
    ioctl run after setns() into the namespace, then back.
    """
    orig = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for ifn in ifnames:
                    ev = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_STXCSUM, int(on)), 8)
                    ifr = struct.pack("16sP", ifn.encode(), ctypes.addressof(ev)).ljust(40, b"\0")
                    fcntl.ioctl(s, SIOCETHTOOL, ifr)
        finally:
            _setns(orig)
    finally:
        os.close(orig)
        os.close(target)


def _log(verbose, msg):
    if verbose:
        print(msg, file=sys.stderr, flush=True)


def run(argv, check=True, timeout=20, env=None, input=None, log=None):
    """Runs a command; on failure raises TestbedError quoting the command and its stderr.

    With log=PATH, stdout and stderr are appended to that file instead of a
    pipe (and returned as p.stdout, p.stderr = ""): a launcher that leaves
    background children holding its stdio then cannot stall us waiting for EOF.
    """
    try:
        if log is None:
            p = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout, env=env, input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        else:
            with open(log, "a+") as f:
                start = f.tell()
                p = subprocess.run(argv, stdout=f, stderr=subprocess.STDOUT, timeout=timeout,
                                   env=env, stdin=subprocess.DEVNULL)
                f.seek(start)
                p.stdout, p.stderr = f.read(), ""
    except FileNotFoundError:
        raise TestbedError(f"{argv[0]}: command not found") from None
    except subprocess.TimeoutExpired:
        raise TestbedError(f"timed out after {timeout}s: {' '.join(argv)}") from None
    if check and p.returncode != 0:
        err = (p.stderr or p.stdout).strip()
        raise TestbedError(f"`{' '.join(argv)}` failed ({p.returncode}): {err}")
    return p


def netns_exists(name):
    return os.path.exists(f"/run/netns/{name}")


def netns_list():
    try:
        return sorted(os.listdir("/run/netns"))
    except FileNotFoundError:
        return []


def netns_pids(name):
    p = run(["ip", "netns", "pids", name], check=False)
    if p.returncode != 0:
        return []
    return [int(x) for x in p.stdout.split() if x.isdigit()]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited; only its parent's wait() is missing.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def kill_pids(pids, grace=2.0):
    """SIGTERM, wait up to `grace` seconds (polling), then SIGKILL what is left."""
    pids = [p for p in pids if p != os.getpid() and _alive(p)]
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if _alive(p)]
        if pids:
            time.sleep(0.02)
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 2.0
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if _alive(p)]
        if pids:
            time.sleep(0.02)
    return pids  # still alive after SIGKILL (should not happen)


def _read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0) or None
    except (OSError, ValueError):
        return None


def _pid_cmd(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def valid_id(tb_id):
    return bool(tb_id) and len(tb_id) <= 16 and set(tb_id) <= ID_CHARS and tb_id[0].isalnum()


def state_dir_for(tb_id, state_root=None):
    return os.path.join(state_root or STATE_ROOT, tb_id)


def keel_node_path():
    return os.environ.get("KEEL_NODE") or os.path.join(INIT_DIR, "keel-node")


def default_bin_dir():
    b = os.environ.get("KEEL_BUILD")
    if b:
        return os.path.join(b, "bin")
    return os.path.join(os.path.dirname(INIT_DIR), "build", "bin")


class Testbed:
    """One testbed: its id, state directory and journal."""

    def __init__(self, tb_id, state_dir=None, verbose=False):
        if not valid_id(tb_id):
            raise TestbedError(f"bad testbed id {tb_id!r} (1-16 of [a-z0-9-])")
        self.id = tb_id
        self.dir = state_dir or state_dir_for(tb_id)
        self.state_file = os.path.join(self.dir, "state.json")
        self.verbose = verbose
        self.state = None
        self._lock_fd = None

    # ---- naming

    @property
    def prefix(self):
        return f"{NS_PREFIX}{self.id}-"

    def ns(self, name):
        """Namespace of a node, host, Linux-bridge switch, or ovs switch (the shared OVS one)."""
        st = self.load()
        if name not in st["namespaces"]:
            raise TestbedError(
                f"testbed {self.id} has no node/host/switch {name!r} "
                f"(has {', '.join(sorted(st['namespaces']))})"
            )
        return st["namespaces"][name]

    def node_root(self, name):
        return os.path.join(self.dir, name)

    def nodes(self):
        return list(self.load().get("nodes", {}))

    def env_for(self, name):
        """Environment additions for commands run "in" name: KEEL_ROOT for nodes, OVS_* for ovs."""
        st = self.load()
        if st.get("member_kinds", {}).get(name) == "node":
            return {"KEEL_ROOT": self.node_root(name)}
        if st.get("switch_kinds", {}).get(name) == "ovs" or name == "ovs":
            d = os.path.join(self.dir, "ovs")
            return {
                "OVS_RUNDIR": d,
                "OVS_LOGDIR": d,
                "OVS_DBDIR": d,
                "OVS_SYSCONFDIR": d,
                "DB_SOCK": os.path.join(d, "db.sock"),
            }
        return {}

    def exec_argv(self, name, argv):
        env = [f"{k}={v}" for k, v in self.env_for(name).items()]
        return ["ip", "netns", "exec", self.ns(name)] + (["env"] + env if env else []) + list(argv)

    def run_in(self, name, argv, check=True, timeout=20):
        return run(self.exec_argv(name, argv), check=check, timeout=timeout)

    # ---- journal

    def exists(self):
        return os.path.exists(self.state_file)

    def load(self):
        if self.state is None:
            try:
                with open(self.state_file) as f:
                    self.state = json.load(f)
            except FileNotFoundError:
                raise TestbedError(f"no testbed {self.id} (no {self.state_file})") from None
            except ValueError as e:
                raise TestbedError(f"{self.state_file}: corrupt state: {e}") from None
        return self.state

    def _save(self):
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, self.state_file)

    def _record(self, res):
        """Journals a resource before it is created."""
        self.state["resources"].append(res)
        self._save()
        crash = os.environ.get("KEEL_TESTBED_CRASH_AFTER")
        if crash and len(self.state["resources"]) >= int(crash):
            # Fault injection for the tests: die like a killed process, no rollback.
            os._exit(99)

    def _lock(self):
        os.makedirs(self.dir, exist_ok=True)
        self._lock_fd = os.open(os.path.join(self.dir, "lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise TestbedError(f"testbed {self.id} is busy (another up/down holds {self.dir}/lock)")

    def _unlock(self):
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # ---- up

    def up(self, topo, start_nodes=False, bin_dir=None, node_timeout=None):
        """Creates the topology; on any failure rolls back everything and re-raises."""
        if self.exists():
            raise TestbedError(f"testbed {self.id} exists already ({self.state_file}); down it first")
        os.makedirs(os.path.dirname(self.dir) or "/", exist_ok=True)
        self._lock()
        try:
            self.state = {
                "version": 1,
                "id": self.id,
                "prefix": self.prefix,
                "state_dir": self.dir,
                "topology": topo.path,
                "description": topo.description,
                "created": time.time(),
                "owner_pid": os.getpid(),
                "status": "building",
                "namespaces": {},
                "nodes": {},
                "switch_kinds": {s.name: s.kind for s in topo.switches.values()},
                "member_kinds": {m.name: m.kind for m in topo.members.values()},
                "links": [],
                "resources": [],
            }
            self._save()
            try:
                self._build(topo, start_nodes, bin_dir, node_timeout)
            except BaseException as e:
                why = str(e) or type(e).__name__
                _log(True, f"keel-testbed: up {self.id} failed: {why}; rolling back")
                self.state["status"] = "failed"
                self._save()
                errs = self._teardown()
                if errs:
                    _log(True, "keel-testbed: rollback left: " + "; ".join(errs))
                else:
                    shutil.rmtree(self.dir, ignore_errors=True)
                raise
            self.state["status"] = "up"
            self._save()
        finally:
            self._unlock()
        return self

    def _add_netns(self, logical, ns, dad):
        if netns_exists(ns):
            raise TestbedError(f"namespace {ns} exists already (stale testbed? try `down --all`)")
        self._record({"kind": "netns", "name": ns})
        run(["ip", "netns", "add", ns])
        self.state["namespaces"][logical] = ns
        self._save()
        run(["ip", "-n", ns, "link", "set", "dev", "lo", "up"])
        if not dad:
            # Without DAD, v6 addresses (link-local included) are usable at once: no sleeps in tests.
            for k in ("all", "default"):
                self._sysctl(ns, f"net.ipv6.conf.{k}.accept_dad", "0")

    def _sysctl(self, ns, key, value):
        run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{key}={value}"])

    def _ovs_env(self):
        return dict(os.environ, **self.env_for("ovs"))

    def _vsctl(self, *args):
        d = os.path.join(self.dir, "ovs")
        return run(
            ["ovs-vsctl", f"--db=unix:{d}/db.sock", "--timeout=10", *args],
            env=self._ovs_env(),
        )

    def _start_ovs(self, dad):
        ns = self.prefix + "ovs"
        self._add_netns("ovs", ns, dad)
        d = os.path.join(self.dir, "ovs")
        if len(os.path.join(d, "ovs-vswitchd.ctl")) > SOCK_MAX:
            raise TestbedError(f"state dir {self.dir} too long for OVS unix sockets")
        os.makedirs(d, exist_ok=True)
        self._record({"kind": "ovs", "dir": d, "netns": ns})
        env = self._ovs_env()
        run(["ovsdb-tool", "create", f"{d}/conf.db", OVS_SCHEMA], env=env)
        run(
            ["ip", "netns", "exec", ns, "ovsdb-server", f"{d}/conf.db",
             f"--remote=punix:{d}/db.sock", f"--pidfile={d}/ovsdb-server.pid",
             f"--unixctl={d}/ovsdb-server.ctl", f"--log-file={d}/ovsdb-server.log",
             "--detach", "--no-chdir"],
            env=env,
        )
        run(["ovs-vsctl", f"--db=unix:{d}/db.sock", "--no-wait", "init"], env=env)
        run(
            ["ip", "netns", "exec", ns, "ovs-vswitchd", f"unix:{d}/db.sock",
             f"--pidfile={d}/ovs-vswitchd.pid", f"--unixctl={d}/ovs-vswitchd.ctl",
             f"--log-file={d}/ovs-vswitchd.log", "--detach", "--no-chdir"],
            env=env,
        )

    def _add_switch(self, sw, dad):
        if sw.kind == "bridge":
            ns = self.prefix + sw.name
            self._add_netns(sw.name, ns, dad)
            self._record({"kind": "link", "netns": ns, "name": sw.name})
            run(["ip", "-n", ns, "link", "add", "name", sw.name, "type", "bridge"])
            run(["ip", "-n", ns, "link", "set", "dev", sw.name, "up"])
        else:
            ns = self.state["namespaces"]["ovs"]
            self.state["namespaces"][sw.name] = ns
            self._record({"kind": "ovs-bridge", "netns": ns, "name": sw.name})
            self._vsctl("add-br", sw.name, "--", "set", "bridge", sw.name, "datapath_type=netdev")
            run(["ip", "-n", ns, "link", "set", "dev", sw.name, "up"])

    def _ns_of(self, ep):
        return self.state["namespaces"][ep.owner]

    def _add_link(self, topo, link):
        a, b = link.a, link.b
        ns_a, ns_b = self._ns_of(a), self._ns_of(b)
        self._record({"kind": "link", "netns": ns_a, "name": a.ifname, "peer": [ns_b, b.ifname]})
        argv = ["ip", "link", "add", "name", a.ifname, "netns", ns_a]
        if a.mac:
            argv += ["address", a.mac]
        argv += ["type", "veth", "peer", "name", b.ifname, "netns", ns_b]
        if b.mac:
            argv += ["address", b.mac]
        run(argv)
        self.state["links"].append(
            {"a": f"{a.owner}:{a.ifname}", "b": f"{b.owner}:{b.ifname}", "mtu": link.mtu}
        )
        self._save()
        for ep, ns in ((a, ns_a), (b, ns_b)):
            if not topo.checksum_offload:
                tx_csum(ns, [ep.ifname], False)
            if link.mtu:
                run(["ip", "-n", ns, "link", "set", "dev", ep.ifname, "mtu", str(link.mtu)])
            if ep.is_switch:
                sw = topo.switches[ep.owner]
                if sw.kind == "bridge":
                    run(["ip", "-n", ns, "link", "set", "dev", ep.ifname, "master", sw.name])
                else:
                    opts = []
                    for k, v in link.port_opts.items():
                        if k == "trunks":
                            v = ",".join(str(x) for x in v)
                        opts.append(f"{k}={v}")
                    self._vsctl("add-port", sw.name, ep.ifname, *opts)
            run(["ip", "-n", ns, "link", "set", "dev", ep.ifname, "up"])

    def _plumb(self, m):
        ns = self.state["namespaces"][m.name]
        for k, v in m.sysctl.items():
            self._sysctl(ns, k, v)
        for ifn, addrs in m.addresses.items():
            for a in addrs:
                argv = ["ip", "-n", ns, "addr", "add", a, "dev", ifn]
                if ":" in a:
                    argv.append("nodad")
                run(argv)

    def _route(self, m):
        ns = self.state["namespaces"][m.name]
        for r in m.routes:
            run(["ip", "-n", ns, "route", "add", *r.split()])

    def _node_log(self, name):
        return os.path.join(self.dir, f"{name}.keel-node.log")

    def _start_node(self, m, bin_dir, timeout):
        root = self.node_root(m.name)
        os.makedirs(root, exist_ok=True)
        if m.chassis:
            write_eeprom(root, *m.chassis, serial=f"testbed-{m.name}")
        argv = [keel_node_path(), "start", m.name, "--netns", self.state["namespaces"][m.name],
                "--root", root, "--dataplane", m.dataplane, "--bin", bin_dir or default_bin_dir()]
        if m.config:
            argv += ["--config", m.config]
        elif m.config_text is not None:
            cfg = os.path.join(self.dir, f"{m.name}.conf")
            with open(cfg, "w") as f:
                f.write(m.config_text)
            argv += ["--config", cfg]
        self._record({"kind": "node", "name": m.name, "netns": self.state["namespaces"][m.name],
                      "root": root})
        self.state["nodes"][m.name] = {"root": root, "dataplane": m.dataplane}
        self._save()
        run(argv, timeout=timeout or 60, log=self._node_log(m.name))

    def _build(self, topo, start_nodes, bin_dir, node_timeout):
        v = self.verbose
        dad = topo.ipv6_dad
        for m in topo.members.values():
            _log(v, f"  netns   {self.prefix}{m.name} ({m.kind})")
            self._add_netns(m.name, self.prefix + m.name, dad)
        if any(s.kind == "ovs" for s in topo.switches.values()):
            _log(v, f"  ovs     {self.prefix}ovs (private Open vSwitch, userspace datapath)")
            self._start_ovs(dad)
        for sw in topo.switches.values():
            _log(v, f"  switch  {sw.name} ({sw.kind})")
            self._add_switch(sw, dad)
        for link in topo.links:
            _log(v, f"  link    {link.a.owner}:{link.a.ifname} <-> {link.b.owner}:{link.b.ifname}")
            self._add_link(topo, link)
        for m in topo.members.values():
            self._plumb(m)
        # Routes last: their gateways must be on connected subnets.
        for m in topo.members.values():
            self._route(m)
        if start_nodes:
            for m in topo.nodes:
                _log(v, f"  node    {m.name}: init/keel-node start")
                self._start_node(m, bin_dir, node_timeout)

    # ---- down

    def down(self):
        """Removes everything the journal lists. Returns a list of problems (empty = clean)."""
        if not self.exists():
            return []
        self._lock()
        try:
            self.load()
            errs = self._teardown()
        finally:
            self._unlock()
        if not errs:
            shutil.rmtree(self.dir, ignore_errors=True)
        return errs

    def _teardown(self):
        # A second Ctrl-C must not cut a teardown short: hold the usual
        # termination signals until it is done (they are delivered after).
        sigs = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
        try:
            return self._teardown_journal()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def _teardown_journal(self):
        errs = []
        res = self.state["resources"]
        # Reverse order of creation; the journal shrinks only after an undo succeeded.
        for r in list(reversed(res)):
            try:
                self._undo(r)
            except Exception as e:  # keep going: remove as much as possible
                errs.append(f"{r['kind']} {r.get('name', r.get('dir', ''))}: {e}")
                continue
            res.remove(r)
            self._save()
        self.state["status"] = "down" if not errs else "down-failed"
        self._save()
        return errs

    def _undo(self, r):
        kind = r["kind"]
        _log(self.verbose, f"  remove  {kind} {r.get('name', r.get('dir', ''))}")
        if kind == "node":
            if netns_exists(r["netns"]) or os.path.isdir(r["root"]):
                p = run([keel_node_path(), "stop", r["name"], "--netns", r["netns"],
                         "--root", r["root"]], check=False, timeout=30,
                        log=self._node_log(r["name"]))
                if p.returncode != 0:
                    _log(True, f"keel-testbed: keel-node stop {r['name']}: {p.stdout.strip()}")
            # Whatever keel-node left behind dies with the namespace (see netns below).
        elif kind == "ovs":
            d = r["dir"]
            pids = []
            for name in ("ovs-vswitchd", "ovsdb-server"):
                pid = _read_pid(os.path.join(d, f"{name}.pid"))
                if pid and name in _pid_cmd(pid):
                    pids.append(pid)
            left = kill_pids(pids)
            if left:
                raise TestbedError(f"OVS pids {left} survived SIGKILL")
            # The userspace datapath leaves its taps (ovs-netdev, one per bridge) behind.
            ns = r["netns"]
            if netns_exists(ns):
                taps = ["ovs-netdev"] + [n for n, k in self.state.get("switch_kinds", {}).items()
                                         if k == "ovs"]
                for t in taps:
                    run(["ip", "-n", ns, "link", "del", "dev", t], check=False)
        elif kind in ("link", "ovs-bridge"):
            ns = r["netns"]
            d = os.path.join(self.dir, "ovs")
            if kind == "ovs-bridge" and os.path.exists(os.path.join(d, "db.sock")):
                run(["ovs-vsctl", f"--db=unix:{d}/db.sock", "--timeout=3", "--if-exists",
                     "del-br", r["name"]], check=False, env=self._ovs_env())
            if netns_exists(ns):
                p = run(["ip", "-n", ns, "link", "del", "dev", r["name"]], check=False)
                if p.returncode != 0 and "Cannot find device" not in p.stderr:
                    raise TestbedError(p.stderr.strip())
            if "peer" in r:
                pns, pname = r["peer"]
                if netns_exists(pns):
                    run(["ip", "-n", pns, "link", "del", "dev", pname], check=False)
        elif kind == "netns":
            ns = r["name"]
            if netns_exists(ns):
                left = kill_pids(netns_pids(ns))
                if left:
                    raise TestbedError(f"pids {left} in {ns} survived SIGKILL")
                p = run(["ip", "netns", "del", ns], check=False)
                if p.returncode != 0 and netns_exists(ns):
                    raise TestbedError(p.stderr.strip())
        else:
            raise TestbedError(f"unknown journal entry {r!r}")

    # ---- status

    def status(self):
        """A dict describing the testbed and whether each piece is present now."""
        st = self.load()
        out = {
            "id": self.id,
            "status": st["status"],
            "topology": st["topology"],
            "description": st.get("description", ""),
            "state_dir": self.dir,
            "namespaces": {k: {"netns": v, "present": netns_exists(v)}
                           for k, v in st["namespaces"].items()},
            "links": st["links"],
            "nodes": {},
            "ovs": None,
        }
        d = os.path.join(self.dir, "ovs")
        if os.path.isdir(d):
            o = {}
            for name in ("ovsdb-server", "ovs-vswitchd"):
                pid = _read_pid(os.path.join(d, f"{name}.pid"))
                o[name] = pid if pid and _alive(pid) and name in _pid_cmd(pid) else None
            out["ovs"] = o
        for n, info in st.get("nodes", {}).items():
            p = run([keel_node_path(), "status", n, "--netns", st["namespaces"][n],
                     "--root", info["root"]], check=False, timeout=10,
                    log=os.path.join(self.dir, f"{n}.status.tmp"))
            os.unlink(os.path.join(self.dir, f"{n}.status.tmp"))
            out["nodes"][n] = {"root": info["root"], "rc": p.returncode, "status": p.stdout.strip()}
        return out


def new_id():
    return secrets.token_hex(3)


def list_testbeds(state_root=None):
    root = state_root or STATE_ROOT
    try:
        names = sorted(os.listdir(root))
    except FileNotFoundError:
        return []
    return [n for n in names if valid_id(n) and os.path.exists(os.path.join(root, n, "state.json"))]


def up(topo_path, tb_id=None, state_root=None, start_nodes=False, bin_dir=None, verbose=False):
    """Loads a topology file and brings it up in STATE_ROOT/ID; returns the Testbed."""
    topo = topo_mod.load(topo_path)
    tb_id = tb_id or new_id()
    tb = Testbed(tb_id, state_dir_for(tb_id, state_root), verbose=verbose)
    return tb.up(topo, start_nodes=start_nodes, bin_dir=bin_dir)


def down_all(state_root=None, verbose=False):
    """Downs every testbed under state_root. Returns {id: [problems]}."""
    result = {}
    for tb_id in list_testbeds(state_root):
        tb = Testbed(tb_id, state_dir_for(tb_id, state_root), verbose=verbose)
        result[tb_id] = tb.down()
    return result
