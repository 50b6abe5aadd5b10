#!/bin/bash
# Config golden files: tests/conf/golden/NAME.in -> NAME.ok (what the CLI
# shows: curly, | display set, | display inheritance, | display json, commit
# check) or NAME.err (the expected rejection). Also checks that every valid
# input round-trips through its curly and set forms.
#
#   tests/conf/golden.sh [BUILD]            compare (BUILD defaults to build)
#   tests/conf/golden.sh [BUILD] --update   rewrite the .ok / .err files
#
# The runner is the unit-test binary tests/unit/mgd/test_conf_golden (built
# by make with libmgd.a); it is built here if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build
update=0
for a in "$@"; do
	case "$a" in
	--update) update=1 ;;
	*) build=$a ;;
	esac
done
bin=$build/tests/unit/mgd/test_conf_golden
if [ ! -x "$bin" ] || [ tests/unit/mgd/test_conf_golden.c -nt "$bin" ]; then
	make --no-print-directory BUILD="$build" "$bin" >/dev/null
fi
if [ "$update" = 1 ]; then
	KEEL_GOLDEN_UPDATE=1 "$bin"
else
	"$bin"
fi
