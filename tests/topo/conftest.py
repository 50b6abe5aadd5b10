"""pytest harness for keel topology tests (STYLE.md "Tests").

Topology tests own their namespaces: every testbed a test brings up is torn
down by its fixture's finalizer, and again by an atexit / SIGTERM safety net
if the run is cut short. State is awaited with poll() (bounded retries),
never with bare sleeps. When a test fails, the report carries each node's
`keel-node status` and the tail of its daemons' logs.

Fixtures and helpers for test modules:
  testbed(path_or_name, start_nodes=False) -> Bed   (factory fixture; torn down after the test)
  two_node                                   -> Bed   (two-node.toml without nodes)
  poll(fn, timeout=5, interval=0.05, what=None) -> fn's first truthy value, else AssertionError
  Bed.run(name, argv, check=True) / Bed.ping(src, dst) / Bed.ctl_sockets(node) / ...
  ctl_call(sock_path, method, payload=b"") -> [reply payloads]   daemon_info(sock_path) -> dict
  expected_daemons() -> names of the daemons in $KEEL_BUILD/bin (all but cli)
"""

import atexit
import glob
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "init"))

import testbed as tbmod  # noqa: E402
from testbed.ctl import CtlError, ctl_call, daemon_info  # noqa: E402

__all__ = ["CtlError", "ctl_call", "daemon_info", "poll", "sh", "expected_daemons", "Bed",
           "bring_up", "BIN", "BUILD", "REPO", "TOPOLOGIES", "KEEL_NODE"]

BUILD = Path(os.environ.get("KEEL_BUILD") or REPO / "build").resolve()
BIN = BUILD / "bin"
TOPOLOGIES = REPO / "init" / "topologies"
KEEL_NODE = Path(os.environ.get("KEEL_NODE") or REPO / "init" / "keel-node")
TEST_ID_PREFIX = "pt"
LOG_TAIL = int(os.environ.get("KEEL_TOPO_LOG_TAIL", "40"))
CMD_TIMEOUT = 10

# Testbeds this process brought up and has not torn down yet (the safety net's list).
_live = {}


# ---------------------------------------------------------------- helpers


def poll(fn, timeout=5.0, interval=0.05, what=None):
    """Calls fn until it returns something truthy; returns that value.

    Exceptions from fn count as "not yet". After `timeout` seconds, fails the
    test with the last value or exception, naming `what`.
    """
    deadline = time.monotonic() + timeout
    last, tries = None, 0
    while True:
        tries += 1
        try:
            v = fn()
            if v:
                return v
            last = v
        except Exception as e:  # noqa: BLE001 - any failure is "not yet"
            last = e
        if time.monotonic() >= deadline:
            name = what or getattr(fn, "__name__", "condition")
            raise AssertionError(f"{name}: not true after {timeout}s ({tries} tries); last: {last!r}")
        time.sleep(interval)


def sh(argv, check=True, timeout=CMD_TIMEOUT, env=None):
    """Runs a command (list), capturing text output; check=True fails on non-zero exit.

    Output goes through a temporary file, not a pipe, so that a command leaving
    a background child (a daemon launcher) does not hold us until the child exits.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.run([str(a) for a in argv], stdout=out, stderr=err, timeout=timeout,
                           env=env, stdin=subprocess.DEVNULL)
        out.seek(0)
        err.seek(0)
        p.stdout, p.stderr = out.read(), err.read()
    if check and p.returncode != 0:
        raise AssertionError(
            f"`{' '.join(map(str, argv))}` exited {p.returncode}\n"
            f"stdout: {p.stdout.strip()}\nstderr: {p.stderr.strip()}"
        )
    return p


def expected_daemons():
    """Daemons keel-node starts: the executables in $KEEL_BUILD/bin named like a daemon
    ([a-z][a-z0-9]*d, the rule init/keel-node applies; never cli)."""
    if not BIN.is_dir():
        return []
    return sorted(
        p.name for p in BIN.iterdir()
        if p.is_file() and os.access(p, os.X_OK) and re.fullmatch(r"[a-z][a-z0-9]*d", p.name)
    )


class Bed:
    """A testbed as seen by a test: names are topology names (node0, host1, lan...)."""

    def __init__(self, tb, topo_path):
        self.tb = tb
        self.id = tb.id
        self.topo_path = topo_path

    def ns(self, name):
        return self.tb.ns(name)

    @property
    def namespaces(self):
        return sorted(set(self.tb.load()["namespaces"].values()))

    @property
    def nodes(self):
        kinds = self.tb.load().get("member_kinds", {})
        return sorted(n for n, k in kinds.items() if k == "node")

    def node_root(self, node):
        return Path(self.tb.node_root(node))

    def run(self, name, argv, check=True, timeout=CMD_TIMEOUT):
        """Runs argv in the namespace of node/host/switch `name` (nodes get KEEL_ROOT)."""
        return sh(self.tb.exec_argv(name, [str(a) for a in argv]), check=check, timeout=timeout)

    def ping(self, src, dst, count=1):
        """One bounded ping (-W1) from src's namespace; True when answered."""
        v6 = ":" in dst
        p = self.run(src, ["ping", "-6" if v6 else "-4", "-n", "-c", str(count), "-W", "1", dst],
                     check=False, timeout=count + 5)
        return p.returncode == 0

    def ctl_sockets(self, node):
        return sorted(glob.glob(str(self.node_root(node) / "run" / "keel" / "*.ctl")))

    def keel_node(self, cmd, node, *extra, check=True):
        """init/keel-node CMD NODE --netns NS --root ROOT [extra...]"""
        return sh([KEEL_NODE, cmd, node, "--netns", self.ns(node), "--root", self.node_root(node),
                   *extra], check=check, timeout=30)

    def down(self):
        # Under `make asan` (KEEL_ASAN=1) the daemons are stopped first, so that what the
        # sanitizers print at exit (LeakSanitizer) lands in their logs, and every log is read
        # for a report before the testbed and its logs go.
        reports = sanitizer_reports(self) if os.environ.get("KEEL_ASAN") else []
        errs = self.tb.down()
        _live.pop(self.id, None)
        if reports:
            pytest.fail("sanitizer reports in daemon logs:\n" + "\n".join(reports), pytrace=False)
        return errs


_SANITIZER = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ")


def sanitizer_reports(bed):
    """Stops every node of bed; the sanitizer reports in its daemons' logs (at most 4 KB each)."""
    out = []
    for node in bed.nodes:
        bed.keel_node("stop", node, check=False)
        for log in sorted(glob.glob(str(bed.node_root(node) / "var" / "log" / "keel" / "*.log"))):
            try:
                with open(log, errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            m = _SANITIZER.search(text)
            if m:
                start = text.rfind("\n", 0, m.start()) + 1
                out.append(f"== {node}: {log}\n{text[start:start + 4096]}")
    return out


def bring_up(topology, start_nodes=False, name=None):
    """Brings a topology (path, or a name in init/topologies) up; registers it for cleanup."""
    path = Path(topology)
    if not path.suffix:
        path = TOPOLOGIES / f"{topology}.toml"
    topo = tbmod.load(str(path))
    tb_id = name or f"{TEST_ID_PREFIX}{secrets.token_hex(3)}"
    tb = tbmod.Testbed(tb_id)
    _live[tb_id] = tb  # registered before up: a signal mid-up still gets cleaned
    try:
        tb.up(topo, start_nodes=start_nodes, bin_dir=str(BIN))
    except BaseException:
        # up() rolled back already; down() is a no-op unless the rollback left something.
        tb.down()
        _live.pop(tb_id, None)
        raise
    return Bed(tb, path)


def _down_live():
    for tb_id, tb in list(_live.items()):
        try:
            errs = tb.down()
            if errs:
                print(f"keel topo: testbed {tb_id} left: {errs}", file=sys.stderr)
        except Exception as e:  # noqa: BLE001 - best effort on the way out
            print(f"keel topo: testbed {tb_id}: {e}", file=sys.stderr)
        _live.pop(tb_id, None)


def _on_signal(signum, frame):
    # Unwind like Ctrl-C: an `up` in progress rolls back, fixtures finalize,
    # and atexit downs whatever is still registered. Tearing down from inside
    # the handler could race the `up` that holds the testbed's lock.
    raise KeyboardInterrupt(f"signal {signum}")


def _sweep_stale():
    """Downs test testbeds (id prefix pt) whose owning pytest died without cleaning up."""
    for tb_id in tbmod.list_testbeds():
        if not tb_id.startswith(TEST_ID_PREFIX):
            continue
        tb = tbmod.Testbed(tb_id)
        try:
            owner = tb.load().get("owner_pid")
        except tbmod.TestbedError:
            owner = None
        if owner and os.path.exists(f"/proc/{owner}"):
            continue
        tb.down()


# ---------------------------------------------------------------- pytest hooks


def pytest_configure(config):
    config.addinivalue_line("markers", "topo: topology test (needs root)")
    if os.geteuid() == 0:
        atexit.register(_down_live)
        for s in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, _on_signal)
        _sweep_stale()


def pytest_collection_modifyitems(config, items):
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="topology tests need root (network namespaces): run as root")
        for item in items:
            item.add_marker(skip)


_CTL_CHATTER = re.compile(r": ctl \S+: (client pid \d+ .*connected|pid \d+ calls |closing client pid )")


def _dump(bed):
    """keel-node status and the last log lines of every node of a testbed."""
    out = []
    for node in bed.nodes:
        try:
            p = bed.keel_node("status", node, check=False)
            out.append(f"== {node}: keel-node status (rc {p.returncode})\n{p.stdout}{p.stderr}")
        except Exception as e:  # noqa: BLE001
            out.append(f"== {node}: keel-node status: {e}")
        for log in sorted(glob.glob(str(bed.node_root(node) / "var" / "log" / "keel" / "*.log"))):
            try:
                with open(log, errors="replace") as f:
                    # The tests' own CLI polls log a connect/call/close triple per call at debug
                    # level; they would push everything else out of the tail.
                    lines = [ln for ln in f if not _CTL_CHATTER.search(ln)][-LOG_TAIL:]
            except OSError as e:
                lines = [f"({e})\n"]
            out.append(f"== {node}: {log} (last {LOG_TAIL} lines)\n{''.join(lines)}")
    return "\n".join(out)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed or rep.when == "teardown":
        return
    for tb_id, tb in list(_live.items()):
        bed = Bed(tb, None)
        try:
            if bed.nodes:
                rep.sections.append((f"keel testbed {tb_id}: nodes", _dump(bed)))
        except Exception as e:  # noqa: BLE001 - never mask the real failure
            rep.sections.append((f"keel testbed {tb_id}", f"dump failed: {e}"))


# ---------------------------------------------------------------- fixtures


def _factory():
    beds = []

    def make(topology, start_nodes=False, name=None):
        bed = bring_up(topology, start_nodes=start_nodes, name=name)
        beds.append(bed)
        return bed

    def finish():
        errs = []
        for bed in reversed(beds):
            errs += [f"{bed.id}: {e}" for e in bed.down()]
        assert not errs, f"teardown left: {errs}"

    return make, finish


@pytest.fixture
def testbed():
    """Factory: testbed(topology, start_nodes=False) -> Bed; all torn down after the test."""
    make, finish = _factory()
    try:
        yield make
    finally:
        finish()


@pytest.fixture(scope="module")
def module_testbed():
    """Same factory, torn down after the module (for node tests that share start-up cost)."""
    make, finish = _factory()
    try:
        yield make
    finally:
        finish()


@pytest.fixture
def two_node(testbed):
    """two-node.toml without keel nodes: namespaces, links and switches only."""
    return testbed("two-node")
