#!/bin/bash
# make deps: installs every Debian package keel's build, tests and demo need.
# Idempotent and quiet when everything is present (one dpkg-query, no apt).
set -euo pipefail

PKGS=(
	# build
	build-essential pkg-config clang libclang-rt-14-dev clang-format
	libevent-dev libnl-3-dev libnl-route-3-dev libnl-genl-3-dev libssl-dev
	libyang2-dev libyang2-tools libmosquitto-dev libprotobuf-c-dev protobuf-c-compiler
	protobuf-compiler libprotobuf-dev libgrpc-dev libedit-dev libcmocka-dev libcap-dev
	libjson-c-dev
	# run
	mosquitto mosquitto-clients iproute2 iptables nftables procps psmisc
	# tests, demo and the real peers
	python3-pytest python3-grpcio python3-protobuf protobuf-compiler-grpc python3-scapy python3-paho-mqtt
	tcpdump openvswitch-switch frr bird2 wpasupplicant hostapd freeradius keepalived
	iputils-ping
)

missing=()
while read -r pkg status; do
	[ "$status" = "installed" ] || missing+=("$pkg")
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null || true)
# dpkg-query prints nothing for packages it has never heard of.
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || {
		[[ " ${missing[*]} " == *" $p "* ]] || missing+=("$p")
	}
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing packages (run as root to install): ${missing[*]}" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Packages such as frr, mosquitto and freeradius start their system-wide
	# service on install; keel runs its own private instances instead.
	policy=/usr/sbin/policy-rc.d
	own_policy=0
	if [ ! -e $policy ]; then
		printf '#!/bin/sh\nexit 101\n' >$policy && chmod +x $policy && own_policy=1
	fi
	trap '[ $own_policy -eq 1 ] && rm -f $policy' EXIT
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/keel-deps.log 2>&1; then
		apt-get update -q >>/tmp/keel-deps.log 2>&1
		apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/keel-deps.log 2>&1 ||
			{ tail -20 /tmp/keel-deps.log; exit 1; }
	fi
fi

# The ctl sockets are group "keel" (DESIGN.md §3).
if [ "$(id -u)" -eq 0 ] && ! getent group keel >/dev/null; then
	groupadd --system keel
fi
exit 0
