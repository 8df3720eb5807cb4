#!/usr/bin/env bash
# Prints the Debian bookworm base image the Taskbox images build on: $1 (default debian:bookworm) when it is on this
# engine or can be pulled; otherwise taskbox-base:bookworm, made once locally with debootstrap and `docker import`.
#   DEBIAN_MIRROR  mirror for debootstrap (default http://deb.debian.org/debian)
set -euo pipefail
base=${1:-debian:bookworm}
local_base=taskbox-base:bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { printf '[base-image] %s\n' "$*" >&2; }

if docker image inspect "$base" >/dev/null 2>&1 || docker pull "$base" >/dev/null 2>&1; then
  echo "$base"
  exit 0
fi
if ! docker image inspect "$local_base" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { log "no registry and no debootstrap: apt-get install debootstrap"; exit 1; }
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  log "no registry reachable: building $local_base with debootstrap from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >&2
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import --change 'LABEL taskbox.image=base' - "$local_base" >/dev/null
fi
echo "$local_base"
