#!/bin/bash
# keel demo (make demo): a two-node chassis cluster with hosts, all in network
# namespaces on this machine. Brings up init/topologies/cluster-demo.toml: a
# keel node (bus + every daemon) in node0 and node1 with their cluster identity
# and one shared config (init/topologies/cluster-demo.conf: groups node0/node1,
# redundancy groups, reth0 on the lan, reth1 on the wan). Shows the daemons
# answering, the cluster forming, hosts reaching the reth addresses and each
# other through the cluster, a manual failover that traffic survives, and
# removes everything again, also when interrupted.
#
#   init/demo.sh [--keep]      --keep: leave the testbed up to explore
#
# KEEL_BUILD: build directory whose bin/ holds the daemons (default: build).
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
REPO=$(dirname "$HERE")
TESTBED=$HERE/keel-testbed
TOPO=$HERE/topologies/cluster-demo.toml
BUILD=$(readlink -f "${KEEL_BUILD:-$REPO/build}")
BIN=$BUILD/bin
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m'; else B='' G='' R='' N=''; fi
heading() { printf '\n%s== %s ==%s\n' "$B" "$*" "$N"; }
ok() { printf '  %sok%s    %s\n' "$G" "$N" "$*"; }
fail() { printf '  %sFAIL%s  %s\n' "$R" "$N" "$*"; FAILED=1; }
FAILED=0

[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (it creates network namespaces)" >&2; exit 1; }
have_daemon=0
for f in "$BIN"/*; do
	[[ $(basename "$f") =~ ^[a-z][a-z0-9]*d$ ]] && [ -x "$f" ] && have_daemon=1
done
if [ "$have_daemon" = 0 ]; then
	echo "demo: no daemons in $BIN: build first (make)" >&2
	exit 1
fi

ID=demo$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
STATE_PING=$(mktemp)
UP=0
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	rm -f "$STATE_PING"
	if [ "$UP" = 1 ] && [ "$KEEP" = 0 ]; then
		heading "Teardown"
		"$TESTBED" down "$ID" -q || rc=1
		if ip netns list | grep -q "^kt-$ID-"; then
			fail "namespaces left: $(ip netns list | grep "^kt-$ID-" | tr '\n' ' ')"
			rc=1
		else
			ok "testbed $ID removed: no namespaces, links, switches or processes left"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tb() { "$TESTBED" "$@"; }
in_ns() { local who=$1; shift; tb exec "$ID" "$who" -- "$@"; }
# shellcheck disable=SC2016 # $KEEL_ROOT expands inside the node's environment
node_root() { in_ns "$1" sh -c 'echo $KEEL_ROOT'; }

heading "Building the testbed ($(basename "$TOPO"))"
echo "  node0, node1: keel nodes, chassis cluster 1 (own namespace, KEEL_ROOT, MQTT bus, every daemon)"
echo "  control links em0/em1 and the fabric fp0 between the nodes"
echo "  lan: Open vSwitch (userspace datapath): host1, host3 and both nodes' ge0 (reth0 10.1.0.1)"
echo "  wan: Linux bridge: host2 and both nodes' ge1 (reth1 10.2.0.1)"
UP=1
if ! tb up "$TOPO" --name "$ID" --start-nodes --bin "$BIN" -q >/dev/null; then
	UP=0
	echo "demo: bringing the testbed up failed (everything it created was removed)" >&2
	exit 1
fi
tb status "$ID" | sed 's/^/  /'

heading "Daemons answering on each node"
for node in node0 node1; do
	echo "  ${B}$node${N}  (KEEL_ROOT=$(node_root "$node"))"
	if [ -x "$BIN/cli" ]; then
		echo "  $node> show system processes"
		if in_ns "$node" "$BIN/cli" -c 'show system processes' | sed 's/^/    /'; then
			ok "$node: cli got an answer from every ctl socket"
		else
			fail "$node: cli -c 'show system processes'"
		fi
	else
		echo "  (no $BIN/cli yet: asking each ctl socket for daemon.info directly)"
		if ! /usr/bin/python3 - "$(node_root "$node")" "$HERE" <<'EOF'
import glob, os, sys
sys.path.insert(0, sys.argv[2])
from testbed.ctl import daemon_info
bad = 0
for sock in sorted(glob.glob(os.path.join(sys.argv[1], "run/keel/*.ctl"))):
    try:
        i = daemon_info(sock)
        print(f"    {i['name']:12} pid {i['pid']:<7} version {i['version']:8} up {i['uptime_ms']} ms")
    except Exception as e:
        print(f"    {os.path.basename(sock)}: {e}")
        bad = 1
sys.exit(bad)
EOF
		then
			fail "$node: a daemon did not answer"
		fi
	fi
done

cli_on() { local node=$1; shift; in_ns "$node" "$BIN/cli" -c "$*"; }
show_cmd() {
	local node=$1; shift
	echo "  ${B}$node> $*${N}"
	cli_on "$node" "$*" | sed 's/^/    /'
}
ping_ok() {
	local from=$1 to=$2 what=$3
	if in_ns "$from" ping -c 2 -i 0.2 -W 1 "$to" >/dev/null 2>&1; then
		ok "$from -> $to  ($what)"
	else
		fail "$from -> $to  ($what)"
	fi
}
# Polls (bounded) until `cli` on $1 shows $3 as RG $2's primary, from both nodes.
wait_primary() {
	local rg=$1 want=$2 i
	for i in $(seq 1 100); do
		if cli_on node0 "show chassis cluster status redundancy-group $rg" 2>/dev/null |
			grep -Eq "^$want +[0-9]+ +primary" &&
			cli_on node1 "show chassis cluster status redundancy-group $rg" 2>/dev/null |
			grep -Eq "^$want +[0-9]+ +primary"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

heading "The chassis cluster"
if wait_primary 0 node0 && wait_primary 1 node0; then
	ok "both nodes agree: node0 is primary for redundancy groups 0 and 1"
else
	fail "the cluster did not form (node0 primary for RG0 and RG1)"
fi
show_cmd node0 "show chassis cluster status | except \"^    [A-Z][A-Z]  \""
show_cmd node0 "show chassis cluster interfaces"
show_cmd node1 "show configuration | display inheritance | match host-name"

heading "Traffic through the cluster"
ping_ok host1 10.1.0.1 "reth0 on the lan, answered by the primary"
mac=$(in_ns host1 ip neigh show 10.1.0.1 | awk '{print $5}')
if [ "$mac" = "00:10:db:ff:10:00" ]; then
	ok "host1 sees reth0 at the virtual MAC $mac (cluster 1, reth 0)"
else
	fail "host1 sees reth0 at '$mac', expected 00:10:db:ff:10:00"
fi
ping_ok host1 10.2.0.20 "host1 on the lan to host2 on the wan, routed by the cluster"
ping_ok host3 10.1.0.10 "across the lan, through Open vSwitch"

heading "Manual failover of redundancy group 1 to node1"
# A 5 s ping stream at 50/s runs across the failover; the loss count is the gap.
in_ns host1 ping -q -c 250 -i 0.02 -W 1 10.2.0.20 >"$STATE_PING" 2>&1 &
pinger=$!
sleep 1
show_cmd node0 "request chassis cluster failover redundancy-group 1 node 1"
if wait_primary 1 node1; then
	ok "node1 is primary for redundancy group 1 (node0 sits in secondary-hold)"
else
	fail "node1 did not become primary for redundancy group 1"
fi
show_cmd node1 "show chassis cluster status redundancy-group 1 | except \"^    [A-Z][A-Z]  \""
wait "$pinger" || true
lost=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$STATE_PING")
if [ -n "$lost" ] && [ "$lost" -ge 245 ]; then
	ok "host1 -> host2 across the failover: $lost of 250 pings answered (20 ms apart)"
else
	fail "host1 -> host2 across the failover: ${lost:-?} of 250 pings answered"
fi
mac=$(in_ns host1 ip neigh show 10.1.0.1 | awk '{print $5}')
[ "$mac" = "00:10:db:ff:10:00" ] && ok "reth0 kept its virtual MAC on the new primary: no ARP change for hosts"
show_cmd node0 "request chassis cluster failover reset redundancy-group 1"

heading "Open vSwitch on the lan"
in_ns lan ovs-vsctl show | sed 's/^/  /'

if [ "$KEEP" = 1 ]; then
	heading "Left running (--keep)"
	echo "  $TESTBED status $ID"
	echo "  $TESTBED exec $ID node0 -- $BIN/cli"
	echo "  $TESTBED exec $ID host1 -- ping 10.2.0.20"
	echo "  $TESTBED down $ID"
fi
[ "$FAILED" = 0 ] || { echo; echo "demo: some checks failed (see FAIL above)" >&2; exit 1; }
echo
echo "${B}demo: all checks passed${N}"
