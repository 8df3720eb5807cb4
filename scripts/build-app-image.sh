#!/usr/bin/env bash
# Builds the images compose.yaml runs: the app (TASKBOX_IMAGE, default taskbox:latest) and its Redis
# (TASKBOX_REDIS_IMAGE, default taskbox-redis:latest), on debian:bookworm-slim, or on the local Debian base where no
# registry answers. They trust TASKBOX_CA_BUNDLE, by default this host's CA bundle (scripts/copy-ca-bundle.sh).
#   TASKBOX_BASE_IMAGE     base image (default: debian:bookworm-slim if it can be had, else taskbox-base:bookworm)
#   TASKBOX_BUILD_NETWORK  network of the build steps (default host)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
app_image=${TASKBOX_IMAGE:-taskbox:latest}
redis_image=${TASKBOX_REDIS_IMAGE:-taskbox-redis:latest}
log() { printf '[build-app-image] %s\n' "$*" >&2; }

base=${TASKBOX_BASE_IMAGE:-$(bash "$here/scripts/base-image.sh" debian:bookworm-slim)}
ca="$here/docker/app/extra-ca.crt"
mkdir -p "$(dirname "$ca")" # git keeps no empty folder, so a fresh clone has none
trap 'rm -f "$ca"' EXIT
bash "$here/scripts/copy-ca-bundle.sh" "$ca"
build() { docker build --force-rm --network "${TASKBOX_BUILD_NETWORK:-host}" --build-arg "BASE=$base" "$@" >&2; }
log "building $app_image on $base"
build --label taskbox.image=app -t "$app_image" "$here"
log "building $redis_image on $base"
build --label taskbox.image=redis -t "$redis_image" "$here/docker/redis"
log "built $app_image and $redis_image"
