#!/usr/bin/env bash
# Copies the CA bundle an image build trusts to $1: TASKBOX_CA_BUNDLE, else this host's bundle when it exists (so
# TLS-intercepting networks need no setting); `none`, or no host bundle, leaves an empty file.
set -euo pipefail
target=$1
bundle=${TASKBOX_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
if [ "$bundle" != none ] && [ -f "$bundle" ]; then
  cp "$bundle" "$target"
elif [ "$bundle" != none ] && [ -n "${TASKBOX_CA_BUNDLE:-}" ]; then
  printf '[taskbox] TASKBOX_CA_BUNDLE=%s does not exist (set it to none to trust no extra CA)\n' "$bundle" >&2
  exit 1
else
  : >"$target"
fi
