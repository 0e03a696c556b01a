#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at a PostgreSQL server where it may
# CREATE DATABASE (docs/testing.md, "PostgreSQL"):
#
#   scripts/with-postgres.sh cargo test --lib db::
#
# - TEST_DATABASE_URL already set: the command runs with it, nothing is started.
# - Otherwise, with PostgreSQL's server programs installed (Debian: `postgresql`; or PG_BIN
#   naming their directory): a throwaway cluster in a temp directory, on a free loopback
#   port (from 55432) with a random password, stopped and removed when the command ends.
#   Run as root, the cluster belongs to the `postgres` user (initdb refuses root).
# - Neither: the command runs without it (the PostgreSQL runs print SKIPPED), unless
#   REQUIRE_POSTGRES=1, which makes that an error.
set -euo pipefail

if (($# == 0)); then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
  exec "$@"
fi

bin="${PG_BIN:-}"
if [[ -z "$bin" ]]; then
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]] && { bin="$candidate"; break; }
  done
fi
if [[ -z "$bin" ]] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
  bin="$(dirname "$(command -v initdb)")"
fi
if [[ -z "$bin" ]]; then
  if [[ "${REQUIRE_POSTGRES:-}" == 1 ]]; then
    echo "REQUIRE_POSTGRES=1 but no PostgreSQL server programs were found (install the Debian package postgresql, or set PG_BIN or TEST_DATABASE_URL)" >&2
    exit 1
  fi
  echo "SKIPPED: no PostgreSQL server programs (Debian package postgresql) and no TEST_DATABASE_URL: the PostgreSQL runs are skipped" >&2
  exec "$@"
fi

dir="$(mktemp -d -t csp-postgres.XXXXXX)"
as_owner=()
if [[ "$(id -u)" == 0 ]]; then
  # initdb and postgres refuse to run as root.
  chown postgres: "$dir"
  as_owner=(runuser -u postgres --)
fi
password="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
user=csp_test
started=0
cleanup() {
  if ((started)); then
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

printf '%s\n' "$password" >"$dir/pwfile"
[[ ${#as_owner[@]} -eq 0 ]] || chown postgres: "$dir/pwfile"
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/pwfile" \
  --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
rm -f "$dir/pwfile"

port="${PG_TEST_PORT:-55432}"
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 50); do port_free "$port" && break; port=$((port + 1)); done
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start \
  >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
started=1

export TEST_DATABASE_URL="postgres://$user:$password@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (throwaway)" >&2
"$@" &
child=$!
wait "$child"
