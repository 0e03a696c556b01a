#!/usr/bin/env bash
# `make run`: start the server on embedded defaults. On first use it generates a local API
# key, kept in the git-ignored data directory, and prints it with the URL.
set -euo pipefail
cd "$(dirname "$0")/.."

data_dir="${DATA_DIR:-./data}"
key_file="$data_dir/api-key"
mkdir -p "$data_dir"

if [[ -z "${CLAUDE_SDK_PATTERN_API_KEY:-}" ]]; then
  if [[ ! -s "$key_file" ]]; then
    (umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "$key_file")
  fi
  CLAUDE_SDK_PATTERN_API_KEY="$(cat "$key_file")"
  key_note="(generated once, kept in $key_file)"
else
  key_note="(from CLAUDE_SDK_PATTERN_API_KEY)"
fi
export CLAUDE_SDK_PATTERN_API_KEY

host="${HOST:-127.0.0.1}"
port="${PORT:-8000}"
cat >&2 <<BANNER

  claude-sdk-pattern is starting
  URL:      http://$host:$port/
  API key:  $CLAUDE_SDK_PATTERN_API_KEY
            $key_note
  Stop with Ctrl+C.

BANNER

exec ./target/release/claude-sdk-pattern
