#!/bin/sh
# yang-check.sh: validate keel's YANG modules and the example instance data.
#
# Checks, each counted as one test:
#   1. all modules load together with yanglint, with no error and no warning;
#   2. each module also loads on its own (mgd may load them in any order;
#      libyang 2.1.30 crashed on one such order during development);
#   3. every leaf, leaf-list, container, list, choice, typedef, grouping,
#      augment and enum carries a description (parsed from yanglint's YIN);
#   4. every module's top-level container appears in some valid example;
#   5. tests/conf/examples/valid-*.json validate as configuration;
#   6. tests/conf/examples/state-*.json validate as operational data
#      (config + state);
#   7. tests/conf/examples/invalid-*.json fail, and the error output holds
#      the substring in the sidecar invalid-*.expect.
# Needs yanglint (Debian package libyang2-tools) and python3.
# Exit status 0 only if every check passed; the last line is always
# "yang: N passed, M failed".

cd "$(dirname "$0")/../.." || exit 2
YANG_DIR=${YANG_DIR:-yang}
EX_DIR=${EX_DIR:-tests/conf/examples}
VERBOSE=${VERBOSE:-0}

passed=0
failed=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

ok() {
	passed=$((passed + 1))
	[ "$VERBOSE" = 1 ] && echo "ok   $1"
	return 0
}

bad() {
	failed=$((failed + 1))
	echo "FAIL $1"
	[ -s "$tmp/out" ] && sed 's/^/     | /' "$tmp/out"
	return 0
}

if ! command -v yanglint >/dev/null 2>&1; then
	echo "yang-check: yanglint not found (apt-get install libyang2-tools)"
	echo "yang: 0 passed, 1 failed"
	exit 1
fi

modules=$(ls "$YANG_DIR"/*.yang 2>/dev/null)
if [ -z "$modules" ]; then
	echo "yang-check: no modules in $YANG_DIR"
	echo "yang: 0 passed, 1 failed"
	exit 1
fi

# 1. All modules together: exit 0 and silence (a warning is a failure).
# shellcheck disable=SC2086
if yanglint -p "$YANG_DIR" $modules >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ]; then
	ok "load all modules"
else
	bad "load all modules"
fi

# 2. Each module on its own (its imports come from the search path).
for m in $modules; do
	if yanglint -p "$YANG_DIR" "$m" >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ]; then
		ok "load $m alone"
	else
		bad "load $m alone"
	fi
done

# 3. Descriptions everywhere.  yanglint prints the module as YIN (XML).
for m in $modules; do
	if ! yanglint -p "$YANG_DIR" -f yin "$m" >"$tmp/yin" 2>"$tmp/out"; then
		bad "descriptions in $m (cannot print YIN)"
		continue
	fi
	if /usr/bin/python3 - "$tmp/yin" >"$tmp/out" 2>&1 <<'EOF'; then
import sys
import xml.etree.ElementTree as ET

NS = "{urn:ietf:params:xml:ns:yang:yin:1}"
KINDS = ("leaf", "leaf-list", "container", "list", "choice", "typedef",
         "grouping", "augment", "enum", "extension")
missing = []

def walk(node, path):
    tag = node.tag[len(NS):] if node.tag.startswith(NS) else None
    if tag is None:
        return
    name = node.get("name") or node.get("target-node") or ""
    here = path + "/" + name if tag in KINDS else path
    if tag in KINDS and node.find(NS + "description") is None:
        missing.append(f"{tag} {here}")
    for child in node:
        walk(child, here)

walk(ET.parse(sys.argv[1]).getroot(), "")
for m in missing:
    print("no description:", m)
sys.exit(1 if missing else 0)
EOF
		ok "descriptions in $m"
	else
		bad "descriptions in $m"
	fi
done

# 4. Coverage: each area module's top-level data appears in a valid example.
for m in $modules; do
	name=$(basename "$m" .yang)
	[ "$name" = keel-types ] && continue
	if cat "$EX_DIR"/valid-*.json 2>/dev/null | grep -q "\"$name:"; then
		: >"$tmp/out"
		ok "example coverage of $name"
	else
		echo "no valid-*.json example contains \"$name:...\"" >"$tmp/out"
		bad "example coverage of $name"
	fi
done

# 5. Valid configuration examples.
for f in "$EX_DIR"/valid-*.json; do
	[ -e "$f" ] || continue
	# shellcheck disable=SC2086
	if yanglint -p "$YANG_DIR" -t config $modules "$f" >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ]; then
		ok "$f"
	else
		bad "$f (expected valid)"
	fi
done

# 6. Operational data examples (configuration and state together).
for f in "$EX_DIR"/state-*.json; do
	[ -e "$f" ] || continue
	# shellcheck disable=SC2086
	if yanglint -p "$YANG_DIR" -t data $modules "$f" >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ]; then
		ok "$f"
	else
		bad "$f (expected valid operational data)"
	fi
done

# 7. Invalid examples: must fail with the expected message.
for f in "$EX_DIR"/invalid-*.json; do
	[ -e "$f" ] || continue
	exp="${f%.json}.expect"
	if [ ! -s "$exp" ]; then
		echo "missing or empty $exp" >"$tmp/out"
		bad "$f"
		continue
	fi
	want=$(head -n 1 "$exp")
	# shellcheck disable=SC2086
	if yanglint -p "$YANG_DIR" -t config $modules "$f" >"$tmp/out" 2>&1; then
		echo "validated, expected: $want" >>"$tmp/out"
		bad "$f (expected invalid)"
	elif grep -qF -- "$want" "$tmp/out"; then
		ok "$f"
	else
		echo "expected substring: $want" >>"$tmp/out"
		bad "$f (wrong error)"
	fi
done

echo "yang: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
