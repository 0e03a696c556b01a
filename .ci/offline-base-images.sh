#!/usr/bin/env bash
# Vendored from our team's shared/container/offline-base-images.sh (unchanged below this note),
# so CI on a clean clone needs nothing outside the repository. .ci/run calls it.
# Build a Dockerfile on a machine that reaches package registries but no container registry.
#
#   ../shared/container/offline-base-images.sh [path/to/Dockerfile]
#
# It installs podman (Debian packages) and configures it for this kind of host, then makes a
# local stand-in for every image the Dockerfile's FROM lines name, tagged with exactly that
# name, so the UNCHANGED Dockerfile builds with `podman build --pull=never`:
#   debian:*/ubuntu:*  -> Debian bookworm from debootstrap (a stand-in for ubuntu)
#   rust:*             -> that Debian + this machine's Rust toolchain (rustc --print sysroot)
#   node:*             -> that Debian + this machine's node and npm
# Idempotent: images already made are kept (podman's storage survives between runs on the
# same machine). Takes about 1 minute the first time, seconds afterwards.
# After it: `podman build --pull=never -t NAME .`, `podman run --init ...`; plain `podman`
# picks up the settings written to /etc/containers/containers.conf.
set -euo pipefail
DOCKERFILE=${1:-Dockerfile}
[ -f "$DOCKERFILE" ] || { echo "offline-base-images: no $DOCKERFILE" >&2; exit 2; }
# Its work directory survives reboots (the stand-ins are reused); TMPDIR moves it.
W=${OFFLINE_IMAGES_WORKDIR:-${TMPDIR:-/var/tmp}/offline-base-images}
mkdir -p "$W"
say() { echo "[offline-base-images $(date +%T)] $*"; }

export DEBIAN_FRONTEND=noninteractive
if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null || ! command -v runc >/dev/null; then
  say "installing podman, runc, debootstrap"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends podman buildah runc debootstrap netavark \
    aardvark-dns conmon catatonit iptables fuse-overlayfs uidmap >/dev/null
fi

# This host mixes cgroup v1 and v2 (crun refuses that: use runc) and lacks CAP_SYS_RESOURCE
# (podman's default rlimits cannot be set: use the host's own hard limits; podman caps its own
# nproc at 32768 before it starts a container).
NOFILE=$(ulimit -Hn); NPROC=$(ulimit -Hu)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
{ [ "$NPROC" = unlimited ] || [ "$NPROC" -gt 32768 ]; } && NPROC=32768
mkdir -p /etc/containers
cat > /etc/containers/containers.conf <<CONF
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF

if ! podman image exists localhost/offline/debian:bookworm-slim; then
  say "debootstrap a Debian bookworm base (about 30 s)"
  rm -rf "$W/rootfs"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$W/rootfs" >"$W/debootstrap.log" 2>&1 \
    || { tail -5 "$W/debootstrap.log"; exit 1; }
  # This network re-signs TLS with its own CA: the images need it to reach the registries.
  cp /usr/local/share/ca-certificates/*.crt "$W/rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
  chroot "$W/rootfs" update-ca-certificates >/dev/null 2>&1
  # The same apt sources as this machine.
  rm -f "$W/rootfs/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/debian.sources "$W/rootfs/etc/apt/sources.list.d/" 2>/dev/null \
    || cp /etc/apt/sources.list "$W/rootfs/etc/apt/sources.list"
  rm -rf "$W"/rootfs/var/cache/apt/archives/*.deb "$W"/rootfs/var/lib/apt/lists/*_*
  tar --numeric-owner -C "$W/rootfs" -c . | podman import -q \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - localhost/offline/debian:bookworm-slim >/dev/null
  rm -rf "$W/rootfs"
fi

froms=$(grep -iE '^\s*FROM\s' "$DOCKERFILE" | awk '{print $2}' | grep -v '^\$' | sort -u)
stages=$(grep -iE '^\s*FROM\s.*\sAS\s' "$DOCKERFILE" | awk '{print tolower($NF)}' | sort -u)

if echo "$froms" | grep -qiE '(^|/)rust[:@]' && ! podman image exists localhost/offline/rust:host; then
  say "a Rust image from this machine's toolchain ($(rustc --version))"
  mkdir -p "$W/rust"; cp "$(command -v rustup)" "$W/rust/rustup"
  cat > "$W/rust/Dockerfile" <<'DF'
FROM localhost/offline/debian:bookworm-slim
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev pkg-config make && rm -rf /var/lib/apt/lists/*
COPY rustup /usr/local/cargo/bin/rustup
RUN T=/usr/local/rustup/toolchains/stable-x86_64-unknown-linux-gnu && mkdir -p $T \
 && cd /host-toolchain && tar --exclude=./share/doc -cf - . | tar -C $T -xf - \
 && printf 'version = "12"\ndefault_toolchain = "stable-x86_64-unknown-linux-gnu"\nprofile = "minimal"\nauto_self_update = "disable"\n\n[overrides]\n' > /usr/local/rustup/settings.toml \
 && cd /usr/local/cargo/bin && for b in cargo rustc rustdoc cargo-clippy clippy-driver cargo-fmt rustfmt; do ln -s rustup $b; done \
 && chmod -R a+w /usr/local/rustup /usr/local/cargo && rustc --version && cargo --version
DF
  podman build -q -v "$(rustc --print sysroot):/host-toolchain:ro" -t localhost/offline/rust:host "$W/rust" >/dev/null
fi

if echo "$froms" | grep -qiE '(^|/)node[:@]' && ! podman image exists localhost/offline/node:host; then
  say "a Node.js image from this machine's node $(node --version) and npm $(npm --version)"
  mkdir -p "$W/node"; cp "$(readlink -f "$(command -v node)")" "$W/node/node"
  cat > "$W/node/Dockerfile" <<'DF'
FROM localhost/offline/debian:bookworm-slim
# node ignores the system CA store unless told; npm needs the CA baked into the base.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
COPY node /usr/local/bin/node
RUN apt-get update && apt-get install -y --no-install-recommends libstdc++6 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /usr/local/lib/node_modules && cp -a /host-npm /usr/local/lib/node_modules/npm \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version
CMD ["node"]
DF
  podman build -q -v "$(npm root -g)/npm:/host-npm:ro" -t localhost/offline/node:host "$W/node" >/dev/null
fi

for img in $froms; do
  name=$(echo "$img" | tr 'A-Z' 'a-z')
  echo "$stages" | grep -qx "$name" && continue          # a build stage, not an image
  case "$name" in
    scratch) ;;
    *rust*) podman tag localhost/offline/rust:host "$img" ;;
    *node*) podman tag localhost/offline/node:host "$img" ;;
    *debian*|*ubuntu*) podman tag localhost/offline/debian:bookworm-slim "$img" ;;
    *) podman image exists "$img" || { echo "offline-base-images: no stand-in for FROM $img" >&2; exit 1; } ;;
  esac
  say "FROM $img -> local stand-in"
done
say "ready: podman build --pull=never -f $DOCKERFILE ."
