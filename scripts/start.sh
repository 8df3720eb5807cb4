#!/usr/bin/env bash
# Starts Taskbox from a fresh clone: installs dependencies, makes sure Redis and the Docker engine are up
# (starting local ones where it can), builds the sandbox image if it is missing, then runs web and worker.
# Without GitHub App credentials, Probot serves its setup page at http://localhost:${PORT:-3000}.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[taskbox start] %s\n' "$*" >&2; }

# Settings may live in .env (Probot writes the app credentials there); read only the simple lines needed here.
env_value() {
  local name=$1 fallback=$2 value=${!1:-}
  if [ -z "$value" ] && [ -f .env ]; then
    value=$(sed -n "s/^$name=[\"']\{0,1\}\([^\"']*\)[\"']\{0,1\}$/\1/p" .env | tail -n 1)
  fi
  printf '%s' "${value:-$fallback}"
}

if [ ! -d node_modules ]; then
  log "installing dependencies"
  npm ci --no-audit --no-fund
fi

redis_url=$(env_value REDIS_URL redis://127.0.0.1:6379)
if [[ $redis_url =~ ^redis://([^:/@]*@)?([^:/]+):?([0-9]*) ]]; then
  redis_host=${BASH_REMATCH[2]}
  redis_port=${BASH_REMATCH[3]:-6379}
  if ! (exec 3<>"/dev/tcp/$redis_host/$redis_port") 2>/dev/null; then
    if [[ $redis_host =~ ^(127\.0\.0\.1|localhost)$ ]] && command -v redis-server >/dev/null; then
      log "starting redis-server on port $redis_port"
      redis-server --port "$redis_port" --bind 127.0.0.1 --appendonly yes --maxmemory-policy noeviction --daemonize yes >/dev/null
    else
      log "Redis is not reachable at $redis_url: start it, or install redis-server (apt-get install redis-server)"
      exit 1
    fi
  fi
fi

if ! docker info >/dev/null 2>&1; then
  if command -v dockerd >/dev/null && [ "$(id -u)" = 0 ]; then
    log "starting dockerd (log: /tmp/taskbox-dockerd.log)"
    nohup dockerd >/tmp/taskbox-dockerd.log 2>&1 &
    for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  fi
  docker info >/dev/null 2>&1 || { log "the Docker engine is not reachable: start it (apt-get install docker.io; dockerd)"; exit 1; }
fi

image=$(env_value TASKBOX_SANDBOX_IMAGE taskbox-sandbox:latest)
if ! docker image inspect "$image" >/dev/null 2>&1; then
  log "building the sandbox image $image (first start only)"
  TASKBOX_SANDBOX_IMAGE=$image TASKBOX_CA_BUNDLE=$(env_value TASKBOX_CA_BUNDLE "") bash scripts/build-sandbox-image.sh
fi

exec node --import tsx src/main.ts
