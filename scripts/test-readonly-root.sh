#!/usr/bin/env bash
# make test-readonly-root: the API tests that run real CLI turns, again with the whole root
# filesystem read-only and only a fresh temporary directory writable (where the tests keep
# the data directory, the workspace, HOME and the tools' scratch files). It backs the
# Kubernetes manifests' readOnlyRootFilesystem (deploy/kubernetes: /data, /workspace,
# /home/app and /tmp are the only writable mounts): a new write elsewhere, by the server, the
# CLI or a tool these tests run, fails here with "Read-only file system".
#
# Needs a private mount namespace: run as root (CI is), or where unprivileged user
# namespaces are allowed; prints SKIPPED otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests that start real CLIs and run turns, tools, interrupts, worktrees, the drain,
# restarts with resume, and the key file.
filters=(cli_turns cli_secrets changes projects drain key_file session_rules)

bin=$(cargo test --locked --test api --no-run --message-format=json 2>/dev/null \
  | jq -r 'select(.reason == "compiler-artifact" and .target.name == "api" and .executable != null) | .executable' \
  | tail -1)
[[ -x "$bin" ]] || { echo "test-readonly-root: the api test binary was not built" >&2; exit 1; }

ns=(unshare --mount --propagation private)
[[ $(id -u) == 0 ]] || ns=(unshare --map-root-user --mount --propagation private)
if ! "${ns[@]}" true 2>/dev/null; then
  echo "test-readonly-root: SKIPPED (no private mount namespace: run as root)"
  exit 0
fi

# Inside the namespace: / bound onto itself and remounted read-only (this namespace only),
# a tmpfs over /tmp for everything the tests write.
# A checkout under /tmp (a CI clone may be) would be hidden by the tmpfs: it is bound aside
# first (on /mnt, in this namespace only) and bound back on its own path inside the tmpfs.
# On SQLite (no PostgreSQL server is started here): a test's PostgreSQL part prints SKIPPED
# instead of failing — `make test-rust` ran it on PostgreSQL already.
"${ns[@]}" env -u REQUIRE_POSTGRES -u TEST_DATABASE_URL REPO="$PWD" bash -euo pipefail -c '
  mount --bind / / && mount -o remount,bind,ro /
  scratch=/tmp
  under_scratch=false
  case "$REPO/" in "$scratch"/*) under_scratch=true ;; esac
  if $under_scratch; then mount --bind "$REPO" /mnt; fi
  mount -t tmpfs -o size=4g,mode=1777 tmpfs "$scratch"
  if $under_scratch; then mkdir -p "$REPO" && mount --bind /mnt "$REPO" && cd "$REPO"; fi
  mkdir "$scratch/home"
  if touch .readonly-probe 2>/dev/null; then
    echo "test-readonly-root: the root filesystem is still writable" >&2; exit 1
  fi
  echo "root filesystem read-only; writable: $scratch (tmpfs), HOME=$scratch/home"
  HOME="$scratch/home" TMPDIR="$scratch" "$0" --test-threads 2 "${@}"
' "$bin" "${filters[@]}"
