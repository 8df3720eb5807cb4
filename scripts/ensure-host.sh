#!/usr/bin/env bash
# Makes this machine ready for Taskbox, one log line per step: installs the Debian packages that are missing, starts
# the Docker engine and (for `start`) Redis where they are not running, and builds the sandbox image if it is missing.
# Shared by `npm start` (mode start), `npm test` (mode test) and .ci/run (mode ci).
#
#   TASKBOX_NO_INSTALL=1  never install: print the commands instead and exit non-zero (also when not root)
#   TASKBOX_STATE_DIR     where Redis data, logs and pid files go (default ~/.local/state/taskbox), never the checkout
#   TASKBOX_RUNTIME       an OCI runtime for sandboxes; runsc (gVisor) is installed and registered with dockerd
#
# Every daemon it starts is listed, one pid a line, in $TASKBOX_STATE_DIR/started.pids, so CI can stop exactly those.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-start}
log() { printf '[taskbox] %s\n' "$*" >&2; }
fail() {
  log "$*"
  exit 1
}

node "$here/scripts/check-node.mjs" || exit 1

state_dir=${TASKBOX_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/taskbox}
mkdir -p "$state_dir"
started_pids="$state_dir/started.pids"

# Reads a setting from the environment, else from .env's simple NAME=value lines (Probot writes the app there).
setting() {
  local name=$1 fallback=$2 value=${!1:-}
  if [ -z "$value" ] && [ -f "$here/.env" ]; then
    value=$(sed -n "s/^$name=[\"']\{0,1\}\([^\"']*\)[\"']\{0,1\}$/\1/p" "$here/.env" | tail -n 1)
  fi
  printf '%s' "${value:-$fallback}"
}

runtime=$(setting TASKBOX_RUNTIME "")
image=$(setting TASKBOX_SANDBOX_IMAGE taskbox-sandbox:latest)
can_install=true
if [ "${TASKBOX_NO_INSTALL:-}" = 1 ] || [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  can_install=false
fi

# "command:package" pairs this mode needs.
needs=(redis-server:redis-server docker:docker.io dockerd:docker.io git:git)
docker image inspect "$image" >/dev/null 2>&1 || needs+=(debootstrap:debootstrap)
case $runtime in runsc*) needs+=(runsc:runsc) ;; esac
if [ "$mode" != start ]; then
  # The integration suite also runs Sentinel, a registry, Git LFS, network namespaces and browser tests.
  needs+=(redis-sentinel:redis-sentinel docker-registry:docker-registry git-lfs:git-lfs ip:iproute2 chromium:chromium)
fi

missing=()
for pair in "${needs[@]}"; do
  command -v "${pair%%:*}" >/dev/null && continue
  [ -x "/usr/sbin/${pair%%:*}" ] && continue # dockerd, where a user's PATH lacks sbin
  [[ " ${missing[*]} " == *" ${pair#*:} "* ]] || missing+=("${pair#*:}")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$can_install" = false ]; then
    log "missing: ${missing[*]}. Install them as root, then run this again:"
    printf '  apt-get update && apt-get install -y --no-install-recommends %s\n' "${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  log "updating the package lists (apt-get update)"
  apt-get update -qq >"$state_dir/apt.log" 2>&1 || { cat "$state_dir/apt.log" >&2; fail "apt-get update failed"; }
  for package in "${missing[@]}"; do
    log "installing $package (apt-get install $package)"
    apt-get install -y -qq --no-install-recommends "$package" >>"$state_dir/apt.log" 2>&1 ||
      { tail -n 30 "$state_dir/apt.log" >&2; fail "could not install $package (full log: $state_dir/apt.log)"; }
  done
fi

runtime_registered() { docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q "\"$runtime\""; }

if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] && [ -S /var/run/docker.sock ]; then
    fail "the Docker engine does not let $(id -un) in: add the user to the docker group (usermod -aG docker $(id -un)), or run as root"
  elif [ "$(id -u)" != 0 ]; then
    log "the Docker engine is not running. Start it as root, then run this again:"
    printf '  dockerd >/var/log/dockerd.log 2>&1 &\n' >&2
    exit 1
  fi
  if [[ $runtime == runsc* ]]; then
    # Registered before dockerd starts: registering later would mean restarting the engine and its containers.
    log "registering the $runtime runtime in /etc/docker/daemon.json"
    node "$here/scripts/register-runtime.mjs" /etc/docker/daemon.json "$runtime" "$(command -v runsc)"
  fi
  log "starting dockerd (log: $state_dir/dockerd.log)"
  nohup dockerd >"$state_dir/dockerd.log" 2>&1 &
  echo $! >>"$started_pids"
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -n 20 "$state_dir/dockerd.log" >&2; fail "dockerd did not start"; }
fi
if [ -n "$runtime" ] && ! runtime_registered; then
  log "the running Docker engine has no runtime $runtime. Add it and restart dockerd (this stops its containers):"
  printf '  node scripts/register-runtime.mjs /etc/docker/daemon.json %s %s && systemctl restart docker\n' \
    "$runtime" "$(command -v runsc || echo /usr/bin/runsc)" >&2
  exit 1
fi

# The app's Redis (start only; the test suite starts a Redis of its own per run).
if [ "$mode" = start ]; then
  redis_url=$(setting REDIS_URL redis://127.0.0.1:6379)
  if [[ $redis_url =~ ^redis://([^@/]*@)?([^:/]+):?([0-9]*) ]]; then
    redis_host=${BASH_REMATCH[2]}
    redis_port=${BASH_REMATCH[3]:-6379}
    if ! (exec 3<>"/dev/tcp/$redis_host/$redis_port") 2>/dev/null; then
      [[ $redis_host =~ ^(127\.0\.0\.1|localhost)$ ]] ||
        fail "Redis is not reachable at $redis_url: start it there, or unset REDIS_URL to run a local one"
      mkdir -p "$state_dir/redis"
      log "starting redis-server on port $redis_port (data: $state_dir/redis)"
      # AOF so queued tasks survive a restart; noeviction because BullMQ breaks when its keys are evicted.
      redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$state_dir/redis" --appendonly yes \
        --maxmemory-policy noeviction --daemonize yes --pidfile "$state_dir/redis.pid" \
        --logfile "$state_dir/redis.log"
      for _ in $(seq 50); do [ -s "$state_dir/redis.pid" ] && break; sleep 0.1; done
      cat "$state_dir/redis.pid" >>"$started_pids"
    fi
  fi
fi

if ! docker image inspect "$image" >/dev/null 2>&1; then
  log "building the sandbox image $image (first run only, a few minutes)"
  TASKBOX_SANDBOX_IMAGE=$image TASKBOX_CA_BUNDLE=$(setting TASKBOX_CA_BUNDLE "") \
    bash "$here/scripts/build-sandbox-image.sh"
fi
