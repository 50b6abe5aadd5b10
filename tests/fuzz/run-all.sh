#!/bin/bash
# Runs each libFuzzer target for a bounded time on a scratch copy of its corpus;
# new interesting inputs are merged back into tests/fuzz/corpus/<target>/.
set -u
dir=$1 seconds=${2:-60}
rc=0
for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus=tests/fuzz/corpus/$name
	work=$(mktemp -d)
	mkdir -p "$corpus" tests/fuzz/crashes
	cp -r "$corpus"/. "$work"/ 2>/dev/null
	echo "fuzz: $name for ${seconds}s"
	if ! "$bin" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix=tests/fuzz/crashes/"$name"- \
		"$work" 2>"$work.log"; then
		echo "fuzz: $name found a crash:"; tail -40 "$work.log"; rc=1
	fi
	grep -E 'stat::number_of_executed_units|stat::peak_rss' "$work.log" | sed "s/^/fuzz: $name /"
	"$bin" -merge=1 "$corpus" "$work" >/dev/null 2>&1
	rm -rf "$work" "$work.log"
done
exit $rc
