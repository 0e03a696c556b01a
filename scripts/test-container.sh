#!/usr/bin/env bash
# `make test-container`: builds the image under a temporary tag and runs tests/container
# against it (the running container, published on 127.0.0.1 only). The test removes the
# containers and volumes it made; this script removes the tag, also on failure.
#
# Without docker or podman it prints SKIPPED and succeeds, unless REQUIRE_CONTAINER_TEST=1
# (CI), where that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! engine=$(scripts/container-engine.sh); then
  if [[ "${REQUIRE_CONTAINER_TEST:-}" == 1 ]]; then
    echo "test-container: no container engine (docker or podman), and REQUIRE_CONTAINER_TEST=1" >&2
    exit 1
  fi
  cat >&2 <<'MSG'

  ################################################################################
  ##  SKIPPED: no container engine (docker or podman): the container image was  ##
  ##  neither built nor tested. Install one and run `make test-container`.      ##
  ################################################################################

MSG
  exit 0
fi

tag="claude-sdk-pattern:test-$$"
trap '"$engine" rmi "$tag" >/dev/null 2>&1 || true' EXIT
start=$(date +%s)
scripts/build-image.sh "$tag"
built=$(date +%s)
CONTAINER_ENGINE="$engine" CONTAINER_IMAGE="$tag" \
  CLAUDE_CLI_VERSION="${CLAUDE_CLI_VERSION:-$(sed -n 's/^CLAUDE_CLI_VERSION := //p' Makefile)}" \
  cargo test --locked --test container -- --ignored --nocapture
echo "test-container: build $((built - start)) s, test $(($(date +%s) - built)) s"
