#!/bin/bash
# make conf: the config tests. Today: the YANG modules load together and the
# example instance files validate (or fail with the expected message).
set -euo pipefail
cd "$(dirname "$0")/../.."
tests/conf/yang-check.sh
