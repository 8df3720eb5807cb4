#!/usr/bin/env bash
# Builds the default sandbox image (TASKBOX_SANDBOX_IMAGE, default taskbox-sandbox:latest).
# Where no container registry can be reached, the Debian base image is made locally first (scripts/base-image.sh).
#   TASKBOX_SANDBOX_BASE   base image to build on (default debian:bookworm, pulled if possible)
#   TASKBOX_CA_BUNDLE      PEM file of CA certificates trusted inside the image: default this host's bundle
#                          (/etc/ssl/certs/ca-certificates.crt) when it exists, so TLS-intercepting networks work;
#                          `none` trusts only Debian's own CAs
#   TASKBOX_BUILD_NETWORK  network of the build steps (default host)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
image=${TASKBOX_SANDBOX_IMAGE:-taskbox-sandbox:latest}
log() { printf '[build-sandbox-image] %s\n' "$*" >&2; }

base=$(bash "$here/scripts/base-image.sh" "${TASKBOX_SANDBOX_BASE:-debian:bookworm}")
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$here/docker/sandbox/Dockerfile" "$context/"
bash "$here/scripts/copy-ca-bundle.sh" "$context/extra-ca.crt"
log "building $image on $base"
# The build's own steps (apt, the npm registry) use the host's network: Docker's default bridge is not always there.
# --force-rm: a failed step leaves no container behind.
docker build --force-rm --network "${TASKBOX_BUILD_NETWORK:-host}" --build-arg "BASE=$base" \
  --label taskbox.image=sandbox -t "$image" "$context" >&2
log "built $image"
