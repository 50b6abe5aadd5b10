#!/bin/sh
# Runs every benchmark in tests/bench (bench_*.sh and bench_*.py). Each one
# prints its result beside an anchor measured in the same run, and the ratio
# (STYLE.md "Tests"). KEEL_BUILD: the build dir whose bin/ holds the programs
# (default: build). Exit status: non-zero when a benchmark could not run.
# bench_failover.py (clusterd vs keepalived, root, about 2-3 minutes): KEEL_BENCH_QUICK=1 for
# its 5-trial smoke run.
set -u
cd "$(dirname "$0")/../.." || exit 1
KEEL_BUILD=$(realpath "${KEEL_BUILD:-build}")
export KEEL_BUILD
failed=""
for b in tests/bench/bench_*; do
	[ -f "$b" ] || continue
	echo "== $(basename "$b")"
	case $b in
	*.py) /usr/bin/python3 "$b" || failed="$failed $(basename "$b")" ;;
	*.sh) sh "$b" || failed="$failed $(basename "$b")" ;;
	*) continue ;;
	esac
done
if [ -n "$failed" ]; then
	echo "bench: FAILED:$failed"
	exit 1
fi
