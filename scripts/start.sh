#!/usr/bin/env bash
# `npm start` from a fresh clone: installs the npm dependencies, makes the machine ready (scripts/ensure-host.sh:
# Redis, the Docker engine, the sandbox image, installing what is missing), then runs web and worker.
# Without GitHub App credentials, Probot serves its setup page at http://localhost:${PORT:-3000}.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[taskbox] %s\n' "$*" >&2; }

node scripts/check-node.mjs || exit 1
# npm records what it installed in node_modules/.package-lock.json; an older record means the lock file moved on.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
bash scripts/ensure-host.sh start
log "starting Taskbox"
exec node --import tsx src/main.ts
