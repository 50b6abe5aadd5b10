"""Two keel nodes started by init/keel-node inside the testbed: every daemon answers its ctl socket."""

import os
import socket
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, BIN, KEEL_NODE, CtlError, ctl_call, daemon_info, expected_daemons, poll

from testbed.build import netns_list, netns_pids, state_dir_for
from testbed.ctl import FRAME_ERROR, decode_frame

NODES = ("node0", "node1")
KEEL_TESTBED = REPO / "init" / "keel-testbed"
BUS_PORT = 51883
CTL_ERR_MALFORMED, CTL_ERR_NO_METHOD = 1, 3


@pytest.fixture(scope="module")
def cluster(module_testbed):
    assert expected_daemons(), f"no daemons in {BIN}: build them first (make bins)"
    assert os.access(KEEL_NODE, os.X_OK), f"{KEEL_NODE} missing"
    return module_testbed("two-node", start_nodes=True)


def ctl_names(bed, node):
    return sorted(Path(s).stem for s in bed.ctl_sockets(node))


def same_netns(pid, ns):
    return os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(f"/run/netns/{ns}").st_ino


def test_build_has_daemons():
    # The topology suite must not pass vacuously on an empty build.
    daemons = expected_daemons()
    assert "ifd" in daemons, f"{BIN} has {daemons or 'no daemons'}; ifd is the first one"


@pytest.mark.parametrize("node", NODES)
def test_every_daemon_answers_daemon_info(cluster, node):
    want = expected_daemons()
    root = cluster.node_root(node)
    names = poll(lambda: ctl_names(cluster, node) == want and ctl_names(cluster, node),
                 timeout=5, what=f"{node}: a ctl socket for each of {want}")
    assert len(names) >= 1 and "ifd" in names
    for name in names:
        info = daemon_info(str(root / "run" / "keel" / f"{name}.ctl"))
        assert info["name"] == name
        pidfile = root / "run" / "keel" / f"{name}.pid"
        assert int(pidfile.read_text().strip()) == info["pid"], f"{node}/{name}: pid file"
        assert same_netns(info["pid"], cluster.ns(node)), f"{node}/{name} outside its namespace"
        assert info["root"] in ("", str(root)), f"{node}/{name}: KEEL_ROOT {info['root']!r}"


@pytest.mark.parametrize("node", NODES)
def test_bus_listens_inside_the_node(cluster, node):
    code = (f"import socket; socket.create_connection(('127.0.0.1', {BUS_PORT}), timeout=1)")
    poll(lambda: cluster.run(node, ["/usr/bin/python3", "-c", code], check=False).returncode == 0,
         timeout=5, what=f"{node}: mosquitto on 127.0.0.1:{BUS_PORT}")
    comms = [Path(f"/proc/{pid}/comm").read_text().strip() for pid in netns_pids(cluster.ns(node))]
    assert "mosquitto" in comms, f"{node}: no mosquitto among {comms}"


def test_malformed_and_unknown_requests_get_errors(cluster):
    sock_path = cluster.ctl_sockets("node0")[0]
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(2)
        s.connect(sock_path)
        s.send(b"\xff\xff\xff")  # a truncated varint: not a Frame
        f = decode_frame(s.recv(70000))
        assert f["kind"] == FRAME_ERROR and f["code"] == CTL_ERR_MALFORMED, f
    with pytest.raises(CtlError) as e:
        ctl_call(sock_path, "no.such.method")
    assert e.value.code == CTL_ERR_NO_METHOD
    assert daemon_info(sock_path)["name"] == Path(sock_path).stem  # still serving


def test_cli_show_system_processes(cluster):
    cli = BIN / "cli"
    assert os.access(cli, os.X_OK), f"{cli} missing"
    for node in NODES:
        p = cluster.run(node, [cli, "-c", "show system processes"])
        for name in expected_daemons():
            assert name in p.stdout, f"{node}: {name} not in\n{p.stdout}"


def test_stop_leaves_nothing_and_start_again(cluster):
    node = "node1"
    ns, run_dir = cluster.ns(node), cluster.node_root(node) / "run" / "keel"
    before = {Path(s).stem: daemon_info(s)["pid"] for s in cluster.ctl_sockets(node)}
    cluster.keel_node("stop", node)
    assert netns_pids(ns) == [], "processes left in the node's namespace"
    assert sorted(p.name for p in run_dir.glob("*.ctl")) == []
    assert sorted(p.name for p in run_dir.glob("*.pid")) == []
    for pid in before.values():
        assert not os.path.exists(f"/proc/{pid}") or "Z" in Path(f"/proc/{pid}/stat").read_text()
    cluster.keel_node("stop", node)  # stopping a stopped node is fine
    # the other node did not notice
    assert ctl_names(cluster, "node0") == expected_daemons()

    cluster.keel_node("start", node, "--bin", BIN)
    after = {Path(s).stem: daemon_info(s)["pid"] for s in cluster.ctl_sockets(node)}
    assert sorted(after) == sorted(before)
    assert all(after[n] != before[n] for n in after), "restarted daemons kept their old pids"


ONE_NODE = """
[node.solo]
[host.h]
[[link]]
a = "solo:eth0"
b = "h:eth0"
"""


def test_node_start_failure_rolls_back(tmp_path):
    """A daemon that dies at start-up fails `up --start-nodes`, and nothing is left behind."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name in expected_daemons():
        (bindir / name).symlink_to(BIN / name)
    broken = bindir / "zzzd"  # sorts last: the others are up when it fails
    broken.write_text("#!/bin/sh\necho 'zzzd: cannot start' >&2\nexit 1\n")
    broken.chmod(0o755)
    topo = tmp_path / "solo.toml"
    topo.write_text(ONE_NODE)
    tb_id = "pt" + os.urandom(3).hex()
    p = subprocess.run([KEEL_TESTBED, "up", topo, "--name", tb_id, "--start-nodes", "--bin", bindir],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1, p.stderr
    assert "zzzd" in p.stderr
    assert [n for n in netns_list() if n.startswith(f"kt-{tb_id}-")] == []
    assert not os.path.exists(state_dir_for(tb_id))
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                env = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            assert state_dir_for(tb_id).encode() not in env, f"pid {pid} of {tb_id} still runs"
