"""Config sync and coldsync over clusterd's TLS channel (issue 4 items 1 and 6).

Topology init/topologies/cluster.toml (control links em0/em1, fabric fp0). node0 has the
higher RG0 priority. node0 is configured first, with node-specific addresses in
`groups node0/node1` + `apply-groups "${node}"` and a host-name node1 does not have; node1
gets only the cluster lines it needs to join.

  1. TCP 62845 blocked on node0: node1 joins with the mgd participant in progress, shows CS,
     stays ineligible (it cannot take RG0 from a healthy primary) and the channel stays down.
  2. Unblocked: the channel comes up (TLS 1.3, PSK), node0's configuration arrives as the
     coldsync snapshot, node1 commits it (client peer-sync), CS clears, node1 is secondary,
     `show configuration` is the same on both nodes and node1's ifd applied node1's group.
  3. A commit on node0 appears on node1.
  4. configure on node1 is refused and names the primary.
  5. A TLS client with a wrong key (openssl s_client from node1's namespace) never completes
     the handshake and node0 counts it; the right PSK (derived here independently with
     HKDF-SHA256) completes it, and the real channel is unaffected.
"""

import hashlib
import hmac

import pytest
from cluster import B, KEY, REPEATED, S, SCHEMA, U, Cluster, set_lines
from conftest import poll, sh

# clusterd.proto SyncChannel (ClusterInformation.sync = 14)
SCHEMA["SyncChannel"] = {1: ("state", S), 2: ("role", S), 3: ("cipher", S), 4: ("local", S),
                         5: ("peer", S), 6: ("established", U), 7: ("handshake_failures", U),
                         8: ("protocol_errors", U), 9: ("connect_failures", U),
                         10: ("frames_sent", U), 11: ("frames_received", U),
                         12: ("bytes_sent", U), 13: ("bytes_received", U), 14: ("keyed", B)}
SCHEMA["ClusterInformation"][14] = ("sync", "SyncChannel")
SCHEMA["ControlIf"][5] = ("internal_sa", S)
SCHEMA["SyncService"] = {1: ("name", S), 2: ("sent", U), 3: ("received", U)}
SCHEMA["ClusterStatistics"][4] = ("services", "SyncService")
REPEATED.add("services")

PORT = 62845
NODE0_CTL0 = "169.254.1.1"  # io.c cl_link_addr(cluster 1, control link 0, node 0)
GROUP_LINES = [
    "set groups node0 interfaces ge1 unit 0 family inet address 10.9.0.1/24",
    "set groups node1 interfaces ge1 unit 0 family inet address 10.9.0.2/24",
    'set apply-groups "${node}"',
]
REFUSED = ("configuration mode is not available on the secondary node of a chassis cluster; "
           "configure the primary (node0)")


def psk(key, cluster_id):
    """HKDF-SHA256 (RFC 5869) as sync.h documents it, written out with hmac/hashlib."""
    prk = hmac.new(bytes([cluster_id]), key.encode(), hashlib.sha256).digest()
    return hmac.new(prk, b"keel cluster tls" + b"\x01", hashlib.sha256).digest()


@pytest.fixture
def cluster(testbed):
    c = Cluster.up(testbed)
    try:
        yield c
    finally:
        for node in Cluster.NODES:
            c.bed.keel_node("stop", node, check=False)


def sync_info(c, node):
    return c.information(node)["sync"]


def show_conf(c, node):
    return c.cli(node, "show configuration").stdout


def nft(c, node, *rule):
    return c.bed.run(node, ["nft", *rule])


def s_client(c, node, key_hex):
    return c.bed.run(node, ["timeout", "5", "openssl", "s_client", "-connect",
                            f"{NODE0_CTL0}:{PORT}", "-tls1_3", "-ciphersuites",
                            "TLS_AES_128_GCM_SHA256", "-psk_identity", "keel-cluster-1",
                            "-psk", key_hex, "-nocommands"], check=False, timeout=10)


def test_cluster_sync(cluster):
    c = cluster
    lines = set_lines(interval=100, threshold=3, groups={0: (200, 100, {})})

    # 1. channel blocked: node1 joins but cannot sync.
    nft(c, "node0", "add", "table", "inet", "ksync")
    nft(c, "node0", "add", "chain", "inet", "ksync", "i",
        "{ type filter hook input priority 0; }")
    nft(c, "node0", "add", "rule", "inet", "ksync", "i", "tcp", "dport", str(PORT), "drop")
    c.commit("node0", lines + GROUP_LINES + ["set system host-name keel-sync-a"])
    c.commit("node1", lines)

    def joined_unsynced():
        info = c.information("node1")
        return (info["peer"] == "alive" and info["coldsync_weight"] == 255
                and {"name": "mgd", "state": "in progress"} in info["participants"]
                and c.roles("node1").get(0) == {0: "primary", 1: "ineligible"}
                and info)

    info = poll(joined_unsynced, timeout=20, what="node1 joined, mgd in progress, ineligible")
    assert "CS" in info["groups"][0]["monitoring_failures"], info
    assert sync_info(c, "node0")["state"] == "listening", c.information("node0")
    # It stays so: CS keeps node1 from taking RG0 while node0 is healthy.
    poll(lambda: sync_info(c, "node1")["connect_failures"] >= 1, timeout=10,
         what="node1's connects time out")
    roles = c.roles("node1")
    assert roles[0] == {0: "primary", 1: "ineligible"}, c.dump()
    assert sync_info(c, "node1")["state"] == "connecting"
    assert "keel-sync-a" not in show_conf(c, "node1")

    # 2. unblocked: the snapshot arrives, coldsync completes, node1 is secondary.
    nft(c, "node0", "delete", "table", "inet", "ksync")

    def synced():
        info = c.information("node1")
        return (info["coldsync"] == "completed" and info["coldsync_weight"] == 0
                and {"name": "mgd", "state": "done"} in info["participants"] and info)

    info = poll(synced, timeout=20, what="coldsync of mgd completes on node1")
    c.wait_roles({0: "node0"}, timeout=10)
    for node in c.NODES:
        s = sync_info(c, node)
        assert s["state"] == "up" and s["cipher"] == "TLSv1.3 TLS_AES_128_GCM_SHA256", s
        assert s["keyed"] and s["handshake_failures"] == 0 and s["protocol_errors"] == 0, s
        assert [x["internal_sa"] for x in c.interfaces(node)["control"]] == ["Enabled"] * 2
    assert sync_info(c, "node0")["role"] == "server" and sync_info(c, "node1")["role"] == "client"
    conf0 = show_conf(c, "node0")
    assert "keel-sync-a" in conf0
    assert show_conf(c, "node1") == conf0
    hist = c.cli("node1", "show system commit").stdout
    assert "peer-sync" in hist, hist
    # ${node}: each node's ifd applied its own group's address.
    poll(lambda: "10.9.0.2/24" in c.ip("node1", "-4", "addr", "show", "ge1").stdout,
         timeout=10, what="node1's ifd put node1's group address on ge1")
    assert "10.9.0.1/" not in c.ip("node1", "-4", "addr", "show", "ge1").stdout
    poll(lambda: "10.9.0.1/24" in c.ip("node0", "-4", "addr", "show", "ge1").stdout,
         timeout=10, what="node0's address on its ge1")

    # 3. a commit on the primary appears on the secondary.
    c.commit("node0", ["set system host-name keel-sync-b",
                       "set groups node1 interfaces ge1 unit 0 family inet address "
                       "10.9.1.2/24"])
    conf0 = show_conf(c, "node0")
    poll(lambda: show_conf(c, "node1") == conf0, timeout=10,
         what="node0's commit shows on node1")
    poll(lambda: "10.9.1.2/24" in c.ip("node1", "-4", "addr", "show", "ge1").stdout,
         timeout=10, what="node1's ifd applied the synced change")
    # "Services Synchronized": the snapshot and the update went node0 -> node1.
    sent = {x["name"]: x for x in c.statistics("node0")["services"]}
    got = {x["name"]: x for x in c.statistics("node1")["services"]}
    assert sent["mgd"]["sent"] >= 2 and got["mgd"]["received"] >= 2, (sent, got)

    # 4. configure on the secondary is refused, naming the primary.
    p = c.cli("node1", "configure; set system host-name nope; commit", check=False)
    assert p.returncode != 0
    assert REFUSED in p.stdout + p.stderr, (p.stdout, p.stderr)
    assert "nope" not in show_conf(c, "node1")

    # 5. a wrong key never completes the handshake (counted); the right PSK does.
    est = sync_info(c, "node0")["established"]
    bad = s_client(c, "node1", psk("not-the-key", 1).hex())
    assert "TLS_AES_128_GCM_SHA256" not in bad.stdout or "Cipher is (NONE)" in bad.stdout, \
        bad.stdout
    poll(lambda: sync_info(c, "node0")["handshake_failures"] >= 1, timeout=5,
         what="node0 counts the failed handshake")
    good = s_client(c, "node1", psk(KEY, 1).hex())
    assert "Cipher is TLS_AES_128_GCM_SHA256" in good.stdout, good.stdout + good.stderr
    s0 = sync_info(c, "node0")
    assert s0["state"] == "up" and s0["established"] == est, s0
    assert c.agree({0: "node0"}), c.dump()
