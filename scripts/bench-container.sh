#!/usr/bin/env bash
# `make bench-container`: measures the container image and writes the "Container image"
# section of docs/benchmarks.md (also kept in target/bench/container.md, which
# scripts/write-benchmarks.sh picks up). Separate from `make bench`: a cold build takes
# minutes and all of the machine.
#
#   cold build   --no-cache, with fresh (empty) cache mounts; the FROM images are present
#   rebuild      after a one-line change in src/ (a copy of the sources is changed)
#   size         the image and its layers
#   start        `run` → GET /api/v1/health/ready 200, and `stop` → exited, 3 times each
#
# Every container, tag and temporary directory it makes is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

engine=$(scripts/container-engine.sh) || { echo "bench-container: no docker or podman" >&2; exit 1; }
tag="claude-sdk-pattern:bench-$$"
work=$(mktemp -d)
container="csp-bench-$$"
cleanup() {
  "$engine" rm -f "$container" >/dev/null 2>&1 || true
  "$engine" rmi "$tag" >/dev/null 2>&1 || true
  if [[ -x "$work/podman" ]]; then
    "$work/podman" system reset -f >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
load() { cut -d' ' -f1 /proc/loadavg; }

# A copy of the build context, so the one-line change never touches the working tree.
mkdir -p "$work/ctx"
tar -c --exclude=./target --exclude=./.git --exclude=./.tools --exclude=./data \
  --exclude='./web/node_modules' --exclude=./web/dist --exclude=./web/e2e-artifacts . \
  | tar -x -C "$work/ctx"
build() { # build [extra args…]: builds $tag from the copy, prints its seconds; the CPU
  # time it took (user + system, of every process of the build) goes to $work/cpu
  local start end TIMEFORMAT='%U %S'
  start=$(now)
  { time (cd "$work/ctx" && scripts/build-image.sh "$tag" "$@" >"$work/build.log" 2>&1) \
    || { tail -30 "$work/build.log" >&2; exit 1; }; } 2>"$work/cpu"
  end=$(now)
  secs "$start" "$end"
}
cpu() { awk '{ printf "%.0f", $1 + $2 }' "$work/cpu"; }

# The machine's load during the cold build, sampled every 10 s (other work shares it).
(while sleep 10; do load; done > "$work/load") &
sampler=$!
if [[ "$engine" == *podman* ]]; then
  # A fresh podman storage holding only the FROM images: the first build on a new machine.
  # (Not --no-cache: buildah then branches its cache at metadata steps, and the next build
  # may follow an older branch and miss.) Buildah keeps RUN --mount=type=cache directories
  # under TMPDIR: a fresh one is empty.
  mkdir -p "$work/tmp" "$work/storage" "$work/run"
  cat > "$work/podman" <<WRAP
#!/bin/sh
exec podman --root "$work/storage" --runroot "$work/run" "\$@"
WRAP
  chmod +x "$work/podman"
  for from in $(awk 'toupper($1) == "FROM" { print $2 }' Dockerfile | sort -u); do
    echo "copying $from into a fresh podman storage (not timed)…"
    podman save "$from" | "$work/podman" load -q >/dev/null
  done
  engine="$work/podman"
  export CONTAINER_ENGINE="$engine" TMPDIR="$work/tmp"
  echo "cold build (fresh storage, empty cache mounts; load $(load))…"
  cold=$(build)
else
  # (BuildKit keeps its cache mounts through --no-cache: the registry downloads are reused.)
  echo "cold build (--no-cache; load $(load))…"
  cold=$(build --no-cache)
fi
cold_cpu=$(cpu)
kill "$sampler"
load_mean=$(awk '{ t += $1; n++ } END { printf "%.1f", n ? t / n : 0 }' "$work/load")
echo "  ${cold} s (${cold_cpu} s of CPU; mean load ${load_mean})"
warm=$(build)
echo "no-change rebuild: ${warm} s"
echo "// one-line change for the rebuild benchmark" >> "$work/ctx/src/lib.rs"
rebuild=$(build)
echo "rebuild after a one-line change in src/: ${rebuild} s"

size=$("$engine" image inspect --format '{{.Size}}' "$tag")
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
layers=$("$engine" history --no-trunc --format '{{.Size}}\t{{.CreatedBy}}' "$tag" | awk -F'\t' '
  $1 == "0B" || $1 == "0 B" { next }
  {
    what = $2; sub(/^\/bin\/sh -c (#\(nop\) )?/, "", what)
    if (what ~ /apt-get install/) {
      sub(/.*--no-install-recommends /, "", what); sub(/ *&&.*/, "", what); what = "apt-get install " what
    } else if (what ~ /^(COPY|ADD) [a-z]+:[0-9a-f]+ in /) {
      sub(/ [a-z]+:[0-9a-f]+ in /, " → ", what); sub(/ +$/, "", what)
    } else {
      what = substr(what, 1, 60) "…"
    }
    printf "| %s | `%s` |\n", $1, what
  }')

starts=() stops=()
for _ in 1 2 3; do
  start=$(now)
  "$engine" run -d --name "$container" -p 127.0.0.1::8000 "$tag" >/dev/null
  port=$("$engine" port "$container" 8000/tcp | head -1 | sed 's/.*://')
  deadline=$((SECONDS + 120))
  until curl -fsS -o /dev/null "http://127.0.0.1:$port/api/v1/health/ready" 2>/dev/null; do
    ((SECONDS < deadline)) || { "$engine" logs "$container" >&2; exit 1; }
    sleep 0.05
  done
  starts+=("$(ms "$start" "$(now)")")
  start=$(now)
  "$engine" stop "$container" >/dev/null
  stops+=("$(ms "$start" "$(now)")")
  code=$("$engine" inspect --format '{{.State.ExitCode}}' "$container")
  [[ "$code" == 0 ]] || { echo "bench-container: the container exited $code" >&2; exit 1; }
  "$engine" rm "$container" >/dev/null
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

mkdir -p target/bench
cat > target/bench/container.md <<MD
## Container image

From \`make bench-container\` (not part of \`make bench\`), on $(date -u +%Y-%m-%d).

| figure | value | target |
|---|---|---|
| cold build (no layer cache, empty cache mounts, base images present) | ${cold} s | < 300 s |
| … CPU time it took (user + system) / the machine's mean load meanwhile | ${cold_cpu} s / ${load_mean} | |
| … so at best, on $(nproc) idle cores (CPU time / cores) | $((cold_cpu / $(nproc))) s | |
| rebuild after a one-line change in \`src/\` (the crate alone is recompiled) | ${rebuild} s | |
| rebuild with nothing changed | ${warm} s | |
| image size | $(mib "$size") | |
| \`run\` → \`/api/v1/health/ready\` 200, median of 3 | $(median "${starts[@]}") ms | |
| \`stop\` → exited (exit code 0), median of 3 | $(median "${stops[@]}") ms | |

Built with $(podman --version 2>/dev/null || docker --version) by \`scripts/build-image.sh\` (podman: \`--jobs 4\`, so
the four stages run in parallel as with BuildKit), on $(nproc) cores shared with other work;
start-up includes the first pre-warmed CLI process (\`PREWARM_POOL_SIZE=2\`). The cold build
is CPU-bound and almost all of it is compiling Rust in release mode (the web stage, the CLI
download and the runtime's apt-get took about 45, 18 and 19 s of CPU when measured alone).
Layers of the image
(\`history\`, empty ones left out; on machines without a registry the base is the
debootstrap stand-in of \`.ci/offline-base-images.sh\`, larger than \`debian:bookworm-slim\`'s
≈ 75 MB). What each part is and why it is there: docs/operations.md, "What the image holds".

| size | layer |
|---|---|
${layers}
MD

# Replace (or add) the section in docs/benchmarks.md.
awk -v section="target/bench/container.md" '
  BEGIN { while ((getline line < section) > 0) text = text line "\n" }
  /^## Container image$/ { skip = 1; printf "%s\n", text; done = 1; next }
  skip && /^## / { skip = 0 }
  !skip { print }
  END { if (!done) printf "\n%s", text }
' docs/benchmarks.md > "$work/benchmarks.md"
cp "$work/benchmarks.md" docs/benchmarks.md
echo "wrote the Container image section of docs/benchmarks.md"
