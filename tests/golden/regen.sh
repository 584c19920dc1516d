#!/bin/sh
# Rewrites the golden flame graphs (tests/golden/flame/*.svg) from their
# inputs, as listed in tests/golden/flame/cases, with the hearth binary at
# $HEARTH (default build/hearth; run from anywhere, after `make all`).
# Goldens are reviewed, not blindly accepted: read `git diff tests/golden`
# before committing what this wrote. tests/cli/flame.sh compares against
# them byte for byte.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
HEARTH=${HEARTH:-$root/${BUILD:-build}/hearth}
case $HEARTH in /*) ;; *) HEARTH=$(pwd)/$HEARTH ;; esac
cd "$root/tests/golden/flame"
set -f
n=0
while read -r out input args; do
    case $out in '' | '#'*) continue ;; esac
    # $args is unquoted on purpose: it is zero or more words.
    "$HEARTH" flame "$input" $args -o "$out"
    n=$((n + 1))
done <cases
echo "regen.sh: wrote $n golden SVGs in tests/golden/flame; review: git diff --stat tests/golden"
