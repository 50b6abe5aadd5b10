"""Operational-mode comparisons through `cli -c` against a real mgd.

One node `solo` (init/keel-node) with eth0 to host h. Three commits make
rollbacks 0..2; the tests check `show configuration | compare rollback N`
(rollback N -> running), `show system rollback N compare M` (M -> N), the
Junos display forms (`family inet {`, one-line entries) in what mgd prints
and diffs, and that `show configuration bogus-path` prints nothing.
"""

import os
import re

import pytest
from conftest import BIN, poll

TOPO = """
[node.solo]
[host.h]
addresses = { eth0 = ["10.8.0.2/24"] }
[[link]]
a = "solo:eth0"
b = "h:eth0"
"""


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
    cli(bed, "configure; set system host-name c1; "
             "set interfaces eth0 unit 0 family inet address 10.8.0.1/24; commit; exit")
    cli(bed, "configure; set system host-name c2; "
             "set routing-options static route 10.9.0.0/16 next-hop 10.8.0.2; commit; exit")
    cli(bed, "configure; set system host-name c3; "
             "set interfaces eth0 unit 0 family inet6 address 2001:db8:8::1/64; commit; exit")
    return bed


def cli(bed, cmds, check=True, timeout=30):
    return bed.run("solo", [BIN / "cli", "-c", cmds], check=check, timeout=timeout)


def test_display_forms(solo):
    # a path's subtree is printed from the top of the page
    text = cli(solo, "show configuration interfaces").stdout
    assert re.search(r"(?m)^ {4}unit 0 \{\n {8}family inet \{\n {12}address 10\.8\.0\.1/24;\n"
                     r" {8}\}\n {8}family inet6 \{\n", text), text
    text = cli(solo, "show configuration").stdout
    assert re.search(r"(?m)^ {8}route 10\.9\.0\.0/16 next-hop 10\.8\.0\.2;$", text), text
    # set lines keep every keyword
    sets = cli(solo, "show configuration | display set").stdout.splitlines()
    assert "set interfaces eth0 unit 0 family inet address 10.8.0.1/24" in sets, sets


def test_compare_rollback_to_running(solo):
    out = cli(solo, "show configuration | compare rollback 2").stdout
    assert "[edit system]\n-   host-name c1;\n+   host-name c2;\n" not in out, out
    assert "[edit system]\n-   host-name c1;\n+   host-name c3;\n" in out, out
    assert "[edit interfaces eth0 unit 0]\n+   family inet6 {\n" in out, out
    assert "[edit]\n+   routing-options {\n+       static {\n" \
           "+           route 10.9.0.0/16 next-hop 10.8.0.2;\n+       }\n+   }\n" in out, out
    # below a path
    out = cli(solo, "show configuration system | compare rollback 1").stdout
    assert out == "[edit system]\n-   host-name c2;\n+   host-name c3;\n", out
    # rollback 0 is the running config: nothing differs
    assert cli(solo, "show configuration | compare rollback 0").stdout == ""
    # no candidate here: the rollback must be named; a missing one is an error
    assert cli(solo, "show configuration | compare", check=False).returncode != 0
    p = cli(solo, "show configuration | compare rollback 40", check=False)
    assert p.returncode != 0 and "rollback 40" in p.stderr, p.stderr


def test_rollback_compare_rollback(solo):
    # M is the base, N the result: 2 -> 1 added the static route and c2
    out = cli(solo, "show system rollback 1 compare 2").stdout
    assert "-   host-name c1;\n+   host-name c2;\n" in out, out
    assert "route 10.9.0.0/16 next-hop 10.8.0.2;" in out, out
    assert "inet6" not in out, out
    rev = cli(solo, "show system rollback 2 compare 1").stdout
    assert "-   host-name c2;\n+   host-name c1;\n" in rev, rev
    assert cli(solo, "show system rollback 1 compare 1").stdout == ""


def test_bogus_path_prints_nothing(solo):
    p = cli(solo, "show configuration bogus-path")
    assert p.returncode == 0 and p.stdout == "", p
    p = cli(solo, "show configuration interfaces eth0 bogus")
    assert p.returncode == 0 and p.stdout == "", p
    # configuration mode still calls it a syntax error
    p = cli(solo, "configure; show bogus-path; exit", check=False)
    assert p.returncode != 0, p
