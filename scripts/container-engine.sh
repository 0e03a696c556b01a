#!/usr/bin/env bash
# Prints the container engine to use: CONTAINER_ENGINE if set, else `docker` when a Docker
# engine answers, else `podman` when installed. Prints nothing and exits 1 when there is none.
# (A docker command line without a reachable daemon does not count: podman is used then.)
set -uo pipefail
if [[ -n "${CONTAINER_ENGINE:-}" ]]; then
  echo "$CONTAINER_ENGINE"
  exit 0
fi
if command -v docker >/dev/null 2>&1 \
  && timeout 15 docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  && ! docker --version 2>/dev/null | grep -qi podman; then
  echo docker
  exit 0
fi
if command -v podman >/dev/null 2>&1; then
  echo podman
  exit 0
fi
exit 1
