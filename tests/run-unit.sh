#!/bin/bash
# Runs each cmocka unit-test binary; prints one closing summary line.
set -u
pass=0 fail=0 failed=""
for t in "$@"; do
	if out=$("$t" 2>&1); then
		pass=$((pass + 1))
		echo "$out" | grep -E '^\[  (PASSED|FAILED)  \]' | sed "s|^|$(basename "$t"): |"
	else
		fail=$((fail + 1)); failed="$failed $(basename "$t")"
		echo "$out" | tail -40
	fi
done
[ -n "$failed" ] && echo "unit: failed:$failed"
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
