#!/usr/bin/env bash
# The contract test: schemathesis (pinned in tests/contract/requirements.txt, installed by
# `make test-contract` into a project-local venv) against the live debug server, with the
# admin key and then a member's key: its standard checks, with the few exceptions
# tests/contract/schemathesis.toml explains; zero failures allowed.
#
# The server runs as the end-to-end tests run it: fresh temp directories (database,
# workspace, HOME, CLAUDE_CONFIG_DIR), port 0 on loopback, an environment built from scratch
# (so the built-in model stub answers the CLI), the pinned CLI. Everything is removed after.
#
# CONTRACT_EXAMPLES (default 10) bounds the examples per operation and phase (the work);
# CONTRACT_SECONDS (default 240) caps each schemathesis run in time, as a safety net only: a
# time budget would make the amount tested depend on the machine's load. A run that tests
# nothing fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$(pwd)

venv=.tools/contract-venv
st="$venv/bin/st"
examples="${CONTRACT_EXAMPLES:-10}"
budget="${CONTRACT_SECONDS:-240}"
server_bin="${SERVER_BIN:-$root_dir/${CARGO_TARGET_DIR:-target}/debug/claude-sdk-pattern}"
cli_bin="$root_dir/.tools/claude-cli/node_modules/.bin/claude"
[[ -x "$st" ]] || { echo "schemathesis not installed: run make test-contract" >&2; exit 1; }
[[ -x "$server_bin" ]] || { echo "no server binary at $server_bin (cargo build --locked)" >&2; exit 1; }
[[ -x "$cli_bin" ]] || { echo "no Claude Code CLI at $cli_bin (make setup)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/csp-contract-XXXXXX")
mkdir -p "$tmp/workspace" "$tmp/home" "$tmp/config" "$tmp/data"
admin_key=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# MAX_SESSIONS bounds the CLIs the generated `POST /sessions` can start (beyond it the
# server answers 503 capacity_exceeded, which the document declares).
env -i PATH="$PATH" HOME="$tmp/home" CLAUDE_CONFIG_DIR="$tmp/config" \
  ${TMPDIR:+TMPDIR="$TMPDIR"} \
  CLAUDE_SDK_PATTERN_API_KEY="$admin_key" HOST=127.0.0.1 PORT=0 \
  DATABASE_URL="sqlite://$tmp/data/contract.db" WORKSPACE_DIR="$tmp/workspace" \
  CLAUDE_CLI_PATH="$cli_bin" PREWARM_POOL_SIZE=1 MAX_SESSIONS=4 LOG_LEVEL=info \
  "$server_bin" >"$tmp/server.log" 2>&1 &
server_pid=$!

addr=""
for _ in $(seq 600); do
  addr=$(jq -r 'select(.msg == "listening") | .addr' "$tmp/server.log" 2>/dev/null | head -1) || true
  [[ -n "$addr" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log"; echo "the server exited" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$addr" ]] || { tail -20 "$tmp/server.log"; echo "the server did not listen within 60 s" >&2; exit 1; }
base="http://127.0.0.1:${addr##*:}"
curl -sf --retry 60 --retry-delay 1 --retry-all-errors --max-time 5 "$base/api/v1/health/ready" >/dev/null

# A member and its key, made by the admin.
member_key=$(curl -sf -X POST "$base/api/v1/users" -H "X-API-Key: $admin_key" \
  -H 'Content-Type: application/json' -d '{"name":"contract-member"}' | jq -r .api_key)

status=0
run() {
  local who="$1" key="$2"
  echo "schemathesis as $who: at most $examples examples per operation and phase"
  # --max-time bounds each run; --workers 1 keeps the load to one request at a time; a fixed
  # seed and deterministic generation (which keeps no example database) make every run try the same cases
  # (a run that found nothing is not followed by one that finds something new by chance).
  # The key travels in the environment (the config's `headers`), not on a command line.
  (cd "$root_dir/target/contract" && CONTRACT_API_KEY="$key" "$root_dir/$st" \
    --config-file "$root_dir/tests/contract/schemathesis.toml" run "$base/api/v1/openapi.json" \
    --max-examples "$examples" --max-time "$budget" --workers 1 \
    --request-timeout 30 --seed 1 --generation-deterministic \
    --no-color \
    --report junit --report-dir "$root_dir/target/contract/$who") | tee "$tmp/$who.out" ||
    status=1
  # schemathesis exits 0 when it ran nothing (time limit reached before the first case).
  if ! grep -Eq '^ *[0-9]+ generated, [0-9]+ passed' "$tmp/$who.out"; then
    echo "schemathesis as $who: no test case ran to completion" >&2
    status=1
  fi
}
mkdir -p target/contract
# The member first: the admin's run lists users and keys, and its stateful phase follows
# those links to revoke keys and disable users (the member's among them).
run member "$member_key"
run admin "$admin_key"
if grep -q '"level":"CRIT"\|panicked' "$tmp/server.log"; then
  grep '"level":"CRIT"\|panicked' "$tmp/server.log" | head -5
  status=1
fi
exit "$status"
