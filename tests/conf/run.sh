#!/bin/bash
# make conf: the config tests. The YANG modules load together and the
# example instance files validate (or fail with the expected message); the
# golden files in tests/conf/golden load, print and round-trip through mgd's
# conf engine exactly as recorded.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
rc=0
tests/conf/yang-check.sh || rc=1
out=$(tests/conf/golden.sh "$build") || rc=1
printf '%s\n' "$out" | grep -v '^ok ' || true
exit $rc
