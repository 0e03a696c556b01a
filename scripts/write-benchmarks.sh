#!/usr/bin/env bash
# Assembles docs/benchmarks.md from the sections the benches wrote to target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/benchmarks.md
{
  cat <<HEAD
# Benchmarks

Figures from the latest \`make bench\`, measured in one run on one machine
($(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB; Claude Code CLI $(.tools/claude-cli/node_modules/.bin/claude --version 2>/dev/null | cut -d' ' -f1)),
on $(date -u +%Y-%m-%d). Reproduce with \`make bench\`; the machine is shared and noisy, so
compare figures within one run rather than across runs.

HEAD
  for section in target/bench/*.md; do
    cat "$section"
    echo
  done
  # `make soak` writes its own section: keep it.
  if [[ -f "$out" ]]; then
    awk '/^## Soak and chaos$/ { keep = 1 } keep && /^## / && !/^## Soak and chaos$/ { keep = 0 } keep' "$out"
  fi
  # `make bench-container` measures the image separately: keep its last section.
  if [[ ! -f target/bench/container.md && -f "$out" ]]; then
    awk '/^## Container image$/ { keep = 1 } keep && /^## / && !/^## Container image$/ { keep = 0 } keep' "$out"
  fi
} > "$out.new"
mv "$out.new" "$out"
echo "wrote $out"
