#!/usr/bin/env bash
# Builds the fuzz targets (fuzz/) with libFuzzer and runs each for FUZZ_SECONDS (default 60).
#
# Stable toolchain, no cargo-fuzz, no nightly: a plain `cargo build` in which
# scripts/fuzz-rustc.sh (RUSTC_WRAPPER) adds the SanitizerCoverage flags cargo-fuzz passes
# (all stable `-C` options) to our crate and the targets only; the dependencies are built
# plain. The address sanitizer (nightly-only) is left out: the code under test is safe Rust,
# so panics, overflows (debug assertions on), timeouts and memory are what can go wrong;
# libFuzzer catches the first three, the targets' allocator cap (fuzz/fuzz_targets/
# alloc_cap.rs) and -rss_limit_mb the last. Profile `fuzz` (fuzz/Cargo.toml): opt-level 1,
# debug assertions, no LTO, 16 codegen units; its own target dir, target/fuzz/build.
#
# Seeds are rebuilt from the fixtures each run; the corpus grows under target/fuzz/corpus
# (git-ignored, kept between runs). A crash leaves its input under
# target/fuzz/artifacts/<target>/ and fails the run: turn it into a regression test in the
# lib tests (next to the code it broke), then delete the artifact.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
targets=("${@:-cli_stdout client_frame}")
read -r -a targets <<<"${targets[*]}"
work="$(pwd)/target/fuzz"

# libfuzzer-sys compiles libFuzzer (C++) from source; the seeds are cut with jq.
need=()
command -v c++ >/dev/null || need+=(g++)
command -v jq >/dev/null || need+=(jq)
if ((${#need[@]})); then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    echo "make fuzz needs: ${need[*]} (install them, e.g. apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

# fuzz/ is its own workspace; its lock (git-ignored) is the root Cargo.lock each run, to which
# cargo adds libfuzzer-sys (pinned in fuzz/Cargo.toml) and its few dependencies: the crate
# under test is built with exactly the versions the server uses, and a dependency change in
# the root never leaves a stale fuzz lock behind.
cp Cargo.lock fuzz/Cargo.lock
start=$(date +%s)
RUSTC_WRAPPER="$(pwd)/scripts/fuzz-rustc.sh" cargo build --profile fuzz \
  --manifest-path fuzz/Cargo.toml --target-dir "$work/build" --bins
echo "fuzz build: $(($(date +%s) - start)) s"
bin="$work/build/fuzz"

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
  # -max_len: inputs up to 64 KiB; -rss_limit_mb: a process over 1 GiB is a failure (and
  # the targets abort on any one allocation over 256 MiB); -timeout: one input taking over
  # 10 s is a failure.
  if "$bin/$target" "$corpus" "$seeds" \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=1024 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' <<<"$last" | cut -d' ' -f2)
    corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' <<<"$last" | cut -d' ' -f2)
    echo "$target: ok, $runs execs in ${seconds}s ($((runs / seconds)) execs/s)," \
      "cov $cov edges, ft $ft features, corpus $corp (inputs/bytes), peak RSS ${peak} MiB"
  else
    status=1
    echo "$target: FAILED (log: $log)"
    grep -E 'ERROR|panicked|Test unit written' "$log" | head -20
  fi
done
exit "$status"
