#!/usr/bin/env bash
# Builds the default sandbox image (TASKBOX_SANDBOX_IMAGE, default taskbox-sandbox:latest).
# Where no container registry can be reached, the Debian base image is made locally with
# debootstrap and `docker import` first.
#   TASKBOX_SANDBOX_BASE   base image to build on (default debian:bookworm, pulled if possible)
#   TASKBOX_CA_BUNDLE      PEM file of extra CA certificates trusted inside the image
#   DEBIAN_MIRROR          mirror for debootstrap (default http://deb.debian.org/debian)
#   TASKBOX_BUILD_NETWORK  network of the build steps (default host)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
image=${TASKBOX_SANDBOX_IMAGE:-taskbox-sandbox:latest}
base=${TASKBOX_SANDBOX_BASE:-debian:bookworm}
local_base=taskbox-base:bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

log() { printf '[build-sandbox-image] %s\n' "$*" >&2; }

if ! docker image inspect "$base" >/dev/null 2>&1 && ! docker pull "$base" >/dev/null 2>&1; then
  base=$local_base
  if ! docker image inspect "$base" >/dev/null 2>&1; then
    command -v debootstrap >/dev/null || { log "no registry and no debootstrap: apt-get install debootstrap"; exit 1; }
    rootfs=$(mktemp -d)
    trap 'rm -rf "$rootfs"' EXIT
    log "no registry reachable: building $base with debootstrap from $mirror"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >&2
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | docker import - "$base" >/dev/null
  fi
fi

context=$(mktemp -d)
trap 'rm -rf "$context" ${rootfs:+"$rootfs"}' EXIT
cp "$here/docker/sandbox/Dockerfile" "$context/"
if [ -n "${TASKBOX_CA_BUNDLE:-}" ]; then
  cp "$TASKBOX_CA_BUNDLE" "$context/extra-ca.crt"
else
  : > "$context/extra-ca.crt"
fi
log "building $image on $base"
# The build's own steps (apt, the npm registry) use the host's network: Docker's default bridge is not always there.
docker build --network "${TASKBOX_BUILD_NETWORK:-host}" --build-arg "BASE=$base" --label taskbox.image=sandbox -t "$image" "$context" >&2
log "built $image"
