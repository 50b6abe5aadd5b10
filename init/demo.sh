#!/bin/bash
# keel demo (make demo): a two-node chassis cluster with hosts, all in network
# namespaces on this machine. Brings up init/topologies/two-node.toml with a
# keel node (bus + every daemon) in node0 and node1, shows the daemons
# answering, sends pings across the switches, and removes everything again,
# also when interrupted.
#
#   init/demo.sh [--keep]      --keep: leave the testbed up to explore
#
# KEEL_BUILD: build directory whose bin/ holds the daemons (default: build).
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
REPO=$(dirname "$HERE")
TESTBED=$HERE/keel-testbed
TOPO=$HERE/topologies/two-node.toml
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
UP=0
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
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
echo "  node0, node1: keel nodes (own namespace, own KEEL_ROOT, own MQTT bus, every daemon)"
echo "  control links em0/em1 and fabric fab0<->fab1 between the nodes"
echo "  lan: Open vSwitch (userspace datapath) with host1, host3 and both nodes' ge0"
echo "  wan: Linux bridge with host2 and both nodes' ge1"
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

heading "Pings"
ping_ok() {
	local from=$1 to=$2 what=$3
	if in_ns "$from" ping -c 2 -i 0.2 -W 1 "$to" >/dev/null 2>&1; then
		ok "$from -> $to  ($what)"
	else
		fail "$from -> $to  ($what)"
	fi
}
ping_ok host1 10.1.0.30 "across the lan, through Open vSwitch"
ping_ok host3 2001:db8:1::10 "across the lan, IPv6"
ll=$(in_ns node1 ip -6 -o addr show dev em0 scope link | awk '{print $4}' | cut -d/ -f1)
ping_ok node0 "$ll%em0" "node0 to node1 on control link em0, link-local"
echo "  (host1 -> host2 crosses the cluster: that works once reth0/reth1 are configured)"

heading "Open vSwitch on the lan"
in_ns lan ovs-vsctl show | sed 's/^/  /'

if [ "$KEEP" = 1 ]; then
	heading "Left running (--keep)"
	echo "  $TESTBED status $ID"
	echo "  $TESTBED exec $ID node0 -- $BIN/cli"
	echo "  $TESTBED exec $ID host1 -- ping 10.1.0.30"
	echo "  $TESTBED down $ID"
fi
[ "$FAILED" = 0 ] || { echo; echo "demo: some checks failed (see FAIL above)" >&2; exit 1; }
echo
echo "${B}demo: all checks passed${N}"
