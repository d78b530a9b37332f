# regrelay: build on Node 24, run as an unprivileged user.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The browser console, built by Vite into dist/web and served by the app at /.
COPY web ./web
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    REGRELAY_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The embedded PostgreSQL (used when DATABASE_URL is unset) keeps its files in /data.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Semi-spaces of 32 MiB whatever the container's memory limit: V8 sizes them from the
# limit otherwise (1 MiB under 512Mi), and a large plan then spends 40% more CPU
# collecting garbage (docs/operations.md, Memory). --expose-gc lets blob copies ask for
# a young-generation collection every 32 MiB read, instead of V8 running full ones
# for the read buffers (src/replication/copy/scavenge-pacer.ts).
CMD ["node", "--max-semi-space-size=32", "--expose-gc", "dist/main.js"]
