#!/usr/bin/env bash
# RUSTC_WRAPPER for `make fuzz` (scripts/fuzz.sh): adds libFuzzer's SanitizerCoverage flags
# to our own crate and the fuzz targets only. Dependencies (actix, diesel, tokio, ...) are
# built plain: instrumenting them would only slow the build and dilute the coverage signal,
# and the generic code the parsers use (serde_json, ...) is instrumented anyway where our
# crate instantiates it. Flags passed through a wrapper stay out of cargo's fingerprint, so
# scripts/fuzz.sh gives these builds their own target dir.
set -euo pipefail
rustc="$1"
shift
instrument=0
prev=""
for arg in "$@"; do
  if [ "$prev" = "--crate-name" ]; then
    case "$arg" in
      claude_sdk_pattern | cli_stdout | client_frame) instrument=1 ;;
    esac
  fi
  prev="$arg"
done
# Build scripts of our crate are named build_script_build and so stay plain too.
if [ "$instrument" = 1 ]; then
  exec "$rustc" "$@" -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing
fi
exec "$rustc" "$@"
