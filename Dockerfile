# Gatehouse: multi-stage build on Node 24 slim. The TypeScript sources run with Node's own type stripping,
# so the image needs no compiler, only production dependencies.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY config ./config
COPY migrations ./migrations
COPY src ./src
# Node's compile cache (bin/compile-cache.js), filled at build: every container's first start
# already skips the TypeScript stripper (~20 MiB resident) and the compiling.
ENV NODE_COMPILE_CACHE=/app/.compile-cache
# What CMD runs: the gatehouse command (its --help loads the CLI) and the server it serves.
RUN node bin/gatehouse.js --help > /dev/null \
  && node --import=./bin/compile-cache.js -e "await import('./src/server.ts')" \
  && mkdir -p /data && chown -R node:node /data /app/.compile-cache
USER node
# Embedded PGlite keeps its files here when DATABASE_URL is not set.
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The same V8 limits as `npm start`: a smaller young generation and a capped old space keep RSS near 200 MiB under load.
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=256", "bin/gatehouse.js", "serve"]
