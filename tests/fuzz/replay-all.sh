#!/bin/bash
# Replays every fuzz target's corpus (tests/fuzz/corpus/<target>/) through its replayer.
set -u
dir=$1
pass=0 fail=0
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus=tests/fuzz/corpus/$name
	if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
		echo "fuzz-replay: $name has no corpus in $corpus"
		fail=$((fail + 1))
		continue
	fi
	if out=$("$bin" "$corpus" 2>&1); then
		echo "fuzz-replay: $name: $out"
		pass=$((pass + 1))
	else
		echo "fuzz-replay: $name FAILED"
		echo "$out" | tail -30
		fail=$((fail + 1))
	fi
done
echo "fuzz-replay: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
