"""mgd crash safety (issue 3, DESIGN.md §3 "Config"): kill -9 mgd in the middle
of a commit loop 50 times; the running config is always one complete committed
version, never a mix or empty, and mgd starts again on it.

Each version N sets the host-name rN and the same description "vN" on 20
interfaces, so a file that mixed two commits would show two numbers. After a
kill the file must hold exactly one number, the last acknowledged commit or the
one in flight, and the restarted mgd must serve it. Rollback 1 must be a whole
earlier version too. No namespace: mgd only needs its KEEL_ROOT (a temp dir).
"""

import os
import random
import re
import signal
import threading
import time

import pytest
from conftest import BIN

from mgd_client import MgdClient, MgdError, start_mgd

KILLS = 50
IFACES = 20
BUDGET_S = 60


def version_lines(n):
    lines = [f"set system host-name r{n}"]
    lines += [f"set interfaces eth{i} description v{n}" for i in range(IFACES)]
    return lines


def body_of(text):
    return "".join(l for l in text.splitlines(keepends=True) if not l.startswith("## "))


def versions_in(text):
    """The version numbers a config text holds, or raises if it is not whole."""
    body = body_of(text)
    assert body.strip(), "config file is empty"
    hosts = re.findall(r"host-name r(\d+)", body)
    descs = re.findall(r"description \"?v(\d+)\"?", body)
    assert len(hosts) == 1, f"host-name {hosts} in\n{body}"
    assert len(descs) == IFACES, f"{len(descs)} descriptions in\n{body}"
    nums = set(hosts) | set(descs)
    assert len(nums) == 1, f"a mix of versions {sorted(nums)}"
    return int(hosts[0])


class Loop(threading.Thread):
    """Commits versions first, first+1, ... until the connection dies."""

    def __init__(self, sock, first):
        super().__init__(daemon=True)
        self.sock, self.next = sock, first
        self.acked = None     # last version mgd said it committed
        self.inflight = None  # version whose commit was sent, no answer yet
        self.error = None

    def run(self):
        try:
            with MgdClient(self.sock, timeout=5) as c:
                while True:
                    n = self.next
                    c.edit(version_lines(n))
                    self.inflight = n
                    c.commit(comment=f"version {n}")
                    self.acked, self.inflight = n, None
                    self.next = n + 1
        except (OSError, ConnectionError, MgdError) as e:
            self.error = e


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "root"
    r.mkdir()
    return r


def test_kill9_during_commits(root, tmp_path):
    assert (BIN / "mgd").exists(), f"{BIN}/mgd missing: build it first"
    log = tmp_path / "mgd.log"
    running = root / "etc/keel/keel.conf"
    rollback1 = root / "var/lib/keel/rollback/keel.conf.1"
    rng = random.Random(int(os.environ.get("KEEL_TEST_SEED", "3")))
    start = time.monotonic()

    proc, sock = start_mgd(BIN, root, log)
    try:
        with MgdClient(sock) as c:
            c.edit(version_lines(0))
            c.commit(comment="version 0")
        last = 0
        next_version = 1
        commits_seen = 0
        for k in range(KILLS):
            assert time.monotonic() - start < BUDGET_S, f"only {k} kills within {BUDGET_S}s"
            loop = Loop(sock, next_version)
            loop.start()
            # let a few commits go through, then kill at a random moment
            time.sleep(rng.uniform(0.005, 0.06))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=5)
            loop.join(timeout=5)
            assert not loop.is_alive(), "commit loop hung after mgd died"

            allowed = {last}
            if loop.acked is not None:
                allowed = {loop.acked}
                commits_seen += loop.acked - next_version + 1
            if loop.inflight is not None:
                allowed.add(loop.inflight)
            got = versions_in(running.read_text())
            assert got in allowed, f"kill {k}: running holds v{got}, expected one of {allowed}"

            # a crash between writing rollback 1 and running leaves rollback 1
            # equal to running; the restarted mgd drops that duplicate
            proc, sock = start_mgd(BIN, root, log)
            with MgdClient(sock) as c:
                shown = c.show(ds=1)  # answered once start-up (and repair) is done
            assert versions_in(shown) == got, f"kill {k}: restarted mgd serves\n{shown}"
            if rollback1.exists():
                prev = versions_in(rollback1.read_text())
                assert prev < got, f"kill {k}: rollback 1 is v{prev}, running v{got}"
            last = got
            next_version = max(next_version, got + 1, (loop.acked or 0) + 1,
                               (loop.inflight or 0) + 1)
        assert commits_seen > KILLS, f"only {commits_seen} commits acknowledged in {KILLS} runs"
    except BaseException:
        print(log.read_text()[-4000:] if log.exists() else "no mgd log")
        raise
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except Exception:
                proc.kill()
