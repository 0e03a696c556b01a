#!/usr/bin/env bash
# `make image`: builds the container image with docker or podman (scripts/container-engine.sh).
#
#   scripts/build-image.sh [TAG] [extra build arguments…]     (default tag claude-sdk-pattern:latest)
#
# Podman builds with `--format docker` (the OCI format drops HEALTHCHECK), `--jobs 4` (the
# stages run in parallel, as BuildKit does) and `--pull=missing` (local images first: on a
# machine without a registry, the stand-ins .ci/offline-base-images.sh makes).
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-claude-sdk-pattern:latest}"
shift || true

engine=$(scripts/container-engine.sh) || {
  echo "make image: no container engine: install Docker or podman (or set CONTAINER_ENGINE)" >&2
  exit 1
}
# The CLI version the Makefile pins must be the Dockerfile's default too.
pinned=$(sed -n 's/^CLAUDE_CLI_VERSION := //p' Makefile)
default=$(sed -n 's/^ARG CLAUDE_CLI_VERSION=//p' Dockerfile)
if [[ "$pinned" != "$default" ]]; then
  echo "make image: the Makefile pins the Claude Code CLI $pinned but the Dockerfile defaults to $default" >&2
  exit 1
fi
version="${CLAUDE_CLI_VERSION:-$pinned}"

args=(build -t "$tag" --build-arg "CLAUDE_CLI_VERSION=$version")
case "$engine" in
  *podman*) args+=(--format docker --jobs 4 "--pull=${PODMAN_PULL:-missing}") ;;
esac
echo "building $tag with $engine (Claude Code CLI $version)"
start=$(date +%s)
"$engine" "${args[@]}" "$@" .
echo "built $tag in $(($(date +%s) - start)) s"
