#!/usr/bin/env bash
# CI: builds the app image, brings compose.yaml up (two workers) until every service is healthy, then takes it down
# and removes what it made: containers, volumes, network, images. Its compose project has a name of its own and its
# settings come from a throwaway env file, so an operator's .env and running stacks are never touched.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
log() { printf '[compose-check] %s\n' "$*" >&2; }

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  if ! command -v docker-compose >/dev/null; then
    # Debian ships Compose as docker-compose (1.29 in bookworm); newer releases also have the plugin.
    package=docker-compose
    apt-cache policy docker-compose-plugin 2>/dev/null | grep -q 'Candidate: [0-9]' && package=docker-compose-plugin
    log "installing $package"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
  fi
  if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
fi

project=taskbox-ci-$$
work=$(mktemp -d)
export TASKBOX_IMAGE=taskbox-app:$project TASKBOX_REDIS_IMAGE=taskbox-redis:$project
stack() { "${compose[@]}" --project-name "$project" --project-directory "$here" --env-file "$work/ci.env" -f "$here/compose.yaml" "$@"; }
cleanup() {
  stack down --volumes --remove-orphans >/dev/null 2>&1 || true
  docker image rm "$TASKBOX_IMAGE" "$TASKBOX_REDIS_IMAGE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

bash "$here/scripts/build-app-image.sh"

# A made-up app: the processes start and report ready without reaching GitHub or a model.
node -e 'const { generateKeyPairSync } = require("node:crypto");
  process.stdout.write(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }))' \
  >"$work/private-key.pem"
port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
cat >"$work/ci.env" <<ENV
APP_ID=1
WEBHOOK_SECRET=ci
OPENAI_API_KEY=ci
TASKBOX_PRIVATE_KEY_FILE=$work/private-key.pem
TASKBOX_DELIVERY_RECOVERY_INTERVAL_MS=0
TASKBOX_PORT=$port
TASKBOX_IMAGE=$TASKBOX_IMAGE
TASKBOX_REDIS_IMAGE=$TASKBOX_REDIS_IMAGE
ENV

log "starting project $project: redis, web, 2 workers"
stack up -d --scale worker=2 >&2
for _ in $(seq 90); do
  mapfile -t ids < <(stack ps -q)
  states=$(docker inspect --format '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "${ids[@]}")
  if ! grep -qv ' running healthy$' <<<"$states"; then break; fi
  if grep -q ' exited' <<<"$states"; then break; fi
  sleep 2
done
printf '%s\n' "$states" >&2
if grep -qv ' running healthy$' <<<"$states"; then
  stack logs --tail 40 >&2
  log "not every service became healthy"
  exit 1
fi
node -e 'fetch(process.argv[1]).then(async (r) => { console.error(r.status, await r.text()); process.exit(r.ok ? 0 : 1); })' \
  "http://127.0.0.1:$port/readyz"
log "every service is healthy"
