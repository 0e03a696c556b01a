#!/usr/bin/env bash
# Builds the fuzz targets (fuzz/) with libFuzzer and runs each for FUZZ_SECONDS (default 60).
#
# Stable toolchain, no cargo-fuzz: a plain `cargo build` with the SanitizerCoverage flags
# cargo-fuzz passes (all stable `-C` options; the address sanitizer, which needs nightly, is
# left out: the code under test is safe Rust, so panics, overflows (debug assertions on),
# timeouts and memory are what can go wrong, and libFuzzer catches those itself).
# `--target` keeps the flags off build scripts and proc macros, as cargo-fuzz does.
#
# Seeds are rebuilt from the fixtures each run; the corpus grows under target/fuzz/corpus.
# A crash leaves its input under target/fuzz/artifacts/<target>/ and fails the run: turn it
# into a regression test in the lib tests (src/claude/fuzz_regressions.rs or
# src/protocol/client.rs), then delete the artifact.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
targets=("${@:-cli_stdout client_frame}")
read -r -a targets <<<"${targets[*]}"
work="$(pwd)/target/fuzz"
host="$(rustc -vV | sed -n 's/^host: //p')"

export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
cargo build --release --locked --manifest-path fuzz/Cargo.toml --target "$host" \
  --target-dir "$work/build" --bins

seeds_for() {
  local target="$1" dir="$2"
  rm -rf "$dir" && mkdir -p "$dir"
  case "$target" in
    cli_stdout)
      # The stdout of each recorded CLI session, in pieces of 25 lines (under -max_len).
      local n=0 f
      for f in tests/fixtures/cli-transcripts/*.jsonl; do
        jq -c 'select(.dir == "out") | .data' "$f" | split -l 25 - "$dir/$(basename "$f" .jsonl)."
        n=$((n + 1))
      done
      ;;
    client_frame)
      # Every client frame of the protocol fixtures, one per seed.
      local i=0 line
      while IFS= read -r line; do
        printf '%s' "$line" >"$dir/frame-$i.json"
        i=$((i + 1))
      done <web/src/types/fixtures/client-frames.generated.jsonl
      ;;
  esac
}

status=0
for target in "${targets[@]}"; do
  corpus="$work/corpus/$target" seeds="$work/seeds/$target" artifacts="$work/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  seeds_for "$target" "$seeds"
  log="$work/$target.log"
  echo "fuzzing $target for ${seconds}s ($(ls "$seeds" | wc -l) seeds, corpus $(ls "$corpus" | wc -l))"
  # -max_len: inputs up to 64 KiB; -rss_limit_mb / -malloc_limit_mb: any input that makes
  # the parser hold more than 512 MiB is a failure (no unbounded allocation); -timeout: one
  # input taking over 10 s is a failure.
  if "$work/build/$host/release/$target" "$corpus" "$seeds" \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=1024 -malloc_limit_mb=512 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    echo "$target: ok, $runs execs in ${seconds}s ($((runs / seconds)) execs/s), coverage $cov, peak RSS ${peak} MiB"
  else
    status=1
    echo "$target: FAILED (log: $log)"
    grep -E 'ERROR|panicked|Test unit written' "$log" | head -20
  fi
done
exit "$status"
