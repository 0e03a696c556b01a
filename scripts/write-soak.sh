#!/usr/bin/env bash
# Puts the section `make soak` wrote (target/soak/soak.md) into docs/benchmarks.md, in
# place of the previous "## Soak and chaos" section (before "## Container image" if none).
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/benchmarks.md
section=${CARGO_TARGET_DIR:-target}/soak/soak.md
[[ -f "$section" ]] || { echo "no $section: run the soak first"; exit 1; }
awk -v section="$section" '
  function emit() { while ((getline line < section) > 0) print line; print ""; done = 1 }
  /^## Soak and chaos$/ { skip = 1; emit(); next }
  skip && /^## / { skip = 0 }
  !done && /^## Container image$/ { emit() }
  !skip { print }
  END { if (!done) { print ""; emit() } }
' "$out" > "$out.new"
mv "$out.new" "$out"
echo "wrote the soak section of $out"
