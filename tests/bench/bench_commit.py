"""mgd benchmark (issue 3): commit of a 10,000-line config and the round trip of
`cli -c 'show configuration'`, each beside its anchor from the same run.

  commit   mgd's `commit` of a generated config of at least 10,000 lines (curly
           form) into an empty running config: libyang validation, the daemons'
           subtrees, files written with fsync. Anchor: a plain
           `yanglint -p yang -t config yang/*.yang FILE.json` of the same config
           (validating with libyang from cold). Goal: <= 1 s.
  show     median of `cli -c 'show configuration'` (a fresh process, connect,
           the whole config back, printed). Anchor: `cat` of the config file
           from a fresh process. Goal: <= 10 ms.
mgd runs alone under a temporary KEEL_ROOT (no namespace, no other daemon).
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests/topo"))

from mgd_client import MgdClient, start_mgd  # noqa: E402

BUILD = Path(os.environ.get("KEEL_BUILD") or REPO / "build").resolve()
BIN = BUILD / "bin"
TARGET_LINES = 10000
ROUNDS = 3
SHOW_RUNS = 50


def set_lines(n_if):
    """n_if interfaces (description, mtu, an address) and as many static routes."""
    out = []
    for i in range(n_if):
        name = f"ge{i}"
        out.append(f"set interfaces {name} description \"port {i}\"")
        out.append(f"set interfaces {name} mtu {1500 + i % 100}")
        out.append(f"set interfaces {name} unit 0 family inet address "
                   f"10.{i // 250}.{i % 250}.1/24")
        out.append(f"set routing-options static route 172.{16 + i // 65000 % 16}."
                   f"{i // 250 % 256}.{i % 250}/32 next-hop 10.{i // 250}.{i % 250}.2")
    return out


def timed(fn):
    t = time.perf_counter()
    r = fn()
    return time.perf_counter() - t, r


def run(cmd, env=None):
    return subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=True)


def main():
    if not (BIN / "mgd").exists():
        print(f"bench_commit: {BIN}/mgd missing (make bins)")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="keel-bench-mgd-"))
    root = tmp / "root"
    root.mkdir()
    proc = None
    try:
        proc, sock = start_mgd(BIN, root, tmp / "mgd.log")
        env = dict(os.environ, KEEL_ROOT=str(root))
        c = MgdClient(sock, timeout=30)
        # size the config: about 14 curly lines per interface + route
        n_if = TARGET_LINES // 14
        while True:
            lines = set_lines(n_if)
            c.load("\n".join(lines) + "\n", mode=1 + 1)  # LOAD_SET
            text = c.show(ds=0)
            if len(text.splitlines()) >= TARGET_LINES:
                break
            c.load("", mode=1)  # LOAD_OVERRIDE with nothing: empty candidate
            n_if = int(n_if * TARGET_LINES / max(1, len(text.splitlines()))) + 5
        n_lines = len(text.splitlines())

        commits = []
        for r in range(ROUNDS):
            if r:
                c.load("", mode=1)
                c.commit(comment="empty")
                c.load("\n".join(lines) + "\n", mode=2)
            dt, _ = timed(lambda: c.commit(comment="bench"))
            commits.append(dt)
        commit_s = statistics.median(commits)

        js = tmp / "config.json"
        js.write_text(c.show(ds=1, fmt=2))
        yangs = sorted(str(p) for p in (REPO / "yang").glob("*.yang"))
        anchors = []
        for _ in range(ROUNDS):
            dt, _ = timed(lambda: run(["yanglint", "-p", str(REPO / "yang"), "-t", "config",
                                       *yangs, str(js)]))
            anchors.append(dt)
        anchor_s = statistics.median(anchors)
        c.close()

        cli = BIN / "cli"
        conf = root / "etc/keel/keel.conf"
        shows, cats = [], []
        if cli.exists():
            out = subprocess.run([str(cli), "-c", "show configuration"], env=env,
                                 capture_output=True, text=True)
            if out.returncode != 0 or len(out.stdout.splitlines()) < n_lines // 2:
                print(f"bench_commit: cli -c 'show configuration' failed: {out.stderr[:300]}")
                return 1
            for _ in range(SHOW_RUNS):
                shows.append(timed(lambda: run([str(cli), "-c", "show configuration"],
                                               env))[0])
            show_what = "cli -c 'show configuration'"
        else:
            def once():
                with MgdClient(sock) as k:
                    return k.show(ds=1)
            for _ in range(SHOW_RUNS):
                shows.append(timed(once)[0])
            show_what = "config.show (python client; no cli built)"
        for _ in range(SHOW_RUNS):
            cats.append(timed(lambda: run(["cat", str(conf)]))[0])
        show_ms = statistics.median(shows) * 1000
        cat_ms = statistics.median(cats) * 1000

        print(f"config: {n_lines} lines (curly), {len(lines)} set lines, "
              f"{conf.stat().st_size} bytes on disk")
        print(f"{'measure':<52} {'value':>10} {'anchor':>10} {'ratio':>7}  goal")
        print(f"{'commit (median of %d)' % ROUNDS:<52} {commit_s:>9.3f}s {anchor_s:>9.3f}s "
              f"{commit_s / anchor_s:>7.2f}  <= 1 s {'ok' if commit_s <= 1 else 'MISSED'}")
        print(f"{'  anchor: yanglint -t config of the same JSON':<52}")
        print(f"{show_what + ' (median of %d)' % SHOW_RUNS:<52} {show_ms:>8.2f}ms "
              f"{cat_ms:>8.2f}ms {show_ms / cat_ms:>7.2f}  <= 10 ms "
              f"{'ok' if show_ms <= 10 else 'MISSED'}")
        print(f"{'  anchor: cat of the config file (fresh process)':<52}")
        return 0
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
