#!/bin/sh
# Runs the topology tests (tests/topo, pytest, root). KEEL_BUILD: the build dir
# whose bin/ holds the daemons (default: build). Extra arguments go to pytest.
set -u
cd "$(dirname "$0")/../.." || exit 1
KEEL_BUILD=$(realpath "${KEEL_BUILD:-build}")
export KEEL_BUILD
/usr/bin/python3 -m pytest -v -p no:cacheprovider tests/topo "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
	echo "tests/topo/run.sh: pytest collected no tests: that is a failure, not a pass" >&2
	exit 1
fi
exit "$rc"
