# The Taskbox app (web + worker). It drives the host's Docker engine through the mounted socket.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json app.yml ./
COPY src ./src
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 TASKBOX_WORK_DIR=/var/lib/taskbox/work
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/main.ts"]
