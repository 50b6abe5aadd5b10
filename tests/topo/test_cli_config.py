"""A node configured entirely through `cli -c` (issue 3 "Done when").

One node `solo` (mgd and every daemon, started by init/keel-node) with eth0
to host h. Each test drives the CLI exactly as an operator's script would:
set, commit, `show | compare`, rollback, `commit confirmed` that rolls back
by itself, `show configuration` and `| display json`, and the exit status
of a script with a failed command. The tests share the node and each leaves
the configuration committed and the shared candidate clean.
"""

import json
import os
import re

import pytest
from conftest import BIN, poll

TOPO = """
[node.solo]
[host.h]
addresses = { eth0 = ["10.7.0.2/24"] }
[[link]]
a = "solo:eth0"
b = "h:eth0"
"""

# commit confirmed 1 rolls back after one minute; mgd has no shorter test unit
CONFIRM_WAIT = 100


@pytest.fixture(scope="module")
def solo(module_testbed, tmp_path_factory):
    for b in ("mgd", "cli"):
        if not os.access(BIN / b, os.X_OK):
            pytest.fail(f"{BIN}/{b} not built: the build is incomplete")
    topo = tmp_path_factory.mktemp("topo") / "solo.toml"
    topo.write_text(TOPO)
    bed = module_testbed(str(topo), start_nodes=True)
    poll(lambda: cli(bed, "show configuration", check=False).returncode == 0, timeout=10,
         what="mgd answers show configuration")
    return bed


def cli(bed, cmds, check=True, timeout=30):
    """Runs `cli -c cmds` on the node; check=True fails the test on a non-zero status."""
    return bed.run("solo", [BIN / "cli", "-c", cmds], check=check, timeout=timeout)


def host_name(bed):
    out = cli(bed, "show configuration system host-name").stdout
    m = re.search(r"host-name\s+(\S+);", out)
    return m.group(1) if m else None


def diff_lines(text):
    """The +/- lines of a `show | compare`, stripped: {"+ host-name r2;", ...}."""
    return {re.sub(r"\s+", " ", ln.strip()) for ln in text.splitlines() if ln[:1] in ("+", "-")}


def test_set_commit_show(solo):
    p = cli(solo, 'configure; set system host-name r1; '
                  'set interfaces eth0 description "to host h"; set interfaces eth0 mtu 1400; '
                  'commit comment "first config"; exit')
    assert "Entering configuration mode" in p.stdout
    assert "commit complete" in p.stdout, p.stdout
    assert "Exiting configuration mode" in p.stdout
    assert host_name(solo) == "r1"

    text = cli(solo, "show configuration").stdout
    assert re.search(r"(?m)^system \{$", text) and re.search(r"(?m)^ {4}host-name r1;$", text), text
    assert re.search(r'(?m)^ {8}description "to host h";$', text), text
    # the path form shows only that subtree
    sub = cli(solo, "show configuration interfaces eth0").stdout
    assert "mtu 1400;" in sub and "host-name" not in sub, sub

    sets = cli(solo, "show configuration | display set").stdout.splitlines()
    assert "set system host-name r1" in sets, sets
    assert 'set interfaces eth0 description "to host h"' in sets, sets
    assert "set interfaces eth0 mtu 1400" in sets, sets
    # text pipes stack on top of the display format
    p = cli(solo, "show configuration | display set | match host-name | count")
    assert p.stdout.strip() == "Count: 1 lines", p.stdout

    doc = json.loads(cli(solo, "show configuration | display json").stdout)
    system = next(v for k, v in doc.items() if k.split(":")[-1] == "system")
    assert system["host-name"] == "r1", doc
    ifaces = next(v for k, v in doc.items() if k.split(":")[-1] == "interfaces")
    eth0 = [i for i in ifaces["interface"] if i["name"] == "eth0"]
    assert eth0 and eth0[0]["mtu"] == 1400 and eth0[0]["description"] == "to host h", doc

    hist = cli(solo, "show system commit").stdout
    assert re.search(r"(?m)^0\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ by \S+ via cli", hist), hist
    assert re.search(r"(?m)^ {4}first config$", hist), hist


def test_edit_levels_and_compare(solo):
    cli(solo, "configure; set system host-name r1; commit; exit")
    p = cli(solo, "configure; edit interfaces eth0; set description uplink; top; "
                  "set system host-name r2; show | compare; "
                  "edit interfaces eth0; show | display set; exit; exit")
    d = diff_lines(p.stdout)
    assert "- host-name r1;" in d and "+ host-name r2;" in d, p.stdout
    assert '- description "to host h";' in d and "+ description uplink;" in d, p.stdout
    # show at [edit interfaces eth0] is relative to that level
    assert re.search(r"(?m)^set interfaces eth0 description uplink$", p.stdout) or \
        re.search(r"(?m)^set description uplink$", p.stdout), p.stdout
    assert host_name(solo) == "r1", "an uncommitted change leaked into running"

    # the shared candidate keeps the change across sessions, as in Junos
    p = cli(solo, "configure; show system host-name; rollback; show | compare; exit")
    assert "The configuration has been changed but not committed" in p.stdout, p.stdout
    assert "host-name r2;" in p.stdout
    assert "load complete" in p.stdout
    assert diff_lines(p.stdout.split("load complete", 1)[1]) == set(), p.stdout


def test_rollback_n(solo):
    cli(solo, "configure; set system host-name r2; commit comment two; exit")
    cli(solo, "configure; set system host-name r3; commit comment three; exit")
    assert host_name(solo) == "r3"
    p = cli(solo, "configure; rollback 1; show | compare; commit; exit")
    assert "load complete" in p.stdout
    d = diff_lines(p.stdout)
    assert "- host-name r3;" in d and "+ host-name r2;" in d, p.stdout
    assert host_name(solo) == "r2"
    # rollback 1 is now the r3 config; compare against it from a clean candidate
    p = cli(solo, "configure; show | compare rollback 1; exit")
    d = diff_lines(p.stdout)
    assert "- host-name r3;" in d and "+ host-name r2;" in d, p.stdout
    p = cli(solo, "show system rollback 1")
    assert "host-name r3;" in p.stdout, p.stdout
    hist = cli(solo, "show system commit").stdout
    assert "three" in hist and "two" in hist and hist.index("three") < hist.index("two"), hist


def test_errors_make_the_script_fail(solo, tmp_path):
    before = host_name(solo)
    p = cli(solo, "configure; set system no-such-knob 1; exit", check=False)
    assert p.returncode != 0
    assert "error" in p.stderr or "syntax error" in p.stderr, p.stderr
    p = cli(solo, "configure; edit no-such-container; exit", check=False)
    assert p.returncode != 0, p.stdout
    # a value the schema refuses, then a commit: the script fails, running is unchanged
    p = cli(solo, "configure; set interfaces eth0 mtu 70000; commit; rollback; exit", check=False)
    assert p.returncode != 0, p.stdout
    assert host_name(solo) == before
    # -f runs a file the same way, one session across its lines
    script = tmp_path / "conf.cli"
    script.write_text("# a comment\nconfigure\nset system host-name r4\ncommit check\n"
                      "rollback\nexit\n")
    p = solo.run("solo", [BIN / "cli", "-f", script], check=False)
    assert p.returncode == 0, p.stderr
    assert "configuration check succeeds" in p.stdout, p.stdout
    assert host_name(solo) == before
    # a delete of nothing is a warning, not a failure
    p = cli(solo, "configure; delete system domain-name; exit", check=False)
    assert p.returncode == 0, p.stderr


def test_load_and_save(solo, tmp_path):
    saved = tmp_path / "saved.conf"
    p = cli(solo, f"configure; save {saved}; exit")
    assert "Wrote" in p.stdout and saved.exists()
    assert "host-name" in saved.read_text()
    sets = tmp_path / "more.set"
    sets.write_text("set system host-name r5\nset interfaces eth0 description loaded\n")
    p = cli(solo, f"configure; load set {sets}; commit; exit")
    assert "load complete" in p.stdout and "commit complete" in p.stdout, p.stdout
    assert host_name(solo) == "r5"
    p = cli(solo, f"configure; load override {saved}; commit and-quit")
    assert "commit complete" in p.stdout, p.stdout
    assert host_name(solo) != "r5"


def test_commit_confirmed_rolls_back_by_itself(solo):
    cli(solo, "configure; set system host-name stable; commit; exit")
    p = cli(solo, "configure; set system host-name trial; commit confirmed 1 comment probe; exit")
    assert "rolled back in 1 minutes unless confirmed" in p.stdout, p.stdout
    assert host_name(solo) == "trial"
    p = cli(solo, "configure; status; exit")
    assert "Users currently editing the configuration" in p.stdout
    poll(lambda: host_name(solo) == "stable", timeout=CONFIRM_WAIT, interval=1,
         what="commit confirmed 1 rolled back by itself")
    hist = cli(solo, "show system commit").stdout.splitlines()
    assert hist and "confirmed-rollback" in hist[0], hist
