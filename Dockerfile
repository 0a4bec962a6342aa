# orgplane controller/CLI image. Build: docker build -t ghcr.io/orgplane/orgplane:0.1.0 .
# Stage 1 compiles TypeScript and keeps only production node_modules; stage 2 is distroless
# Node 20 (no shell, no package manager), running as the nonroot user (65532).

FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY controller ./controller
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/.cache

FROM gcr.io/distroless/nodejs20-debian12:nonroot
LABEL org.opencontainers.image.title="orgplane" \
      org.opencontainers.image.description="GitOps controller and CLI for AWS Organizations" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build --chown=65532:65532 /src/package.json ./package.json
COPY --from=build --chown=65532:65532 /src/node_modules ./node_modules
COPY --from=build --chown=65532:65532 /src/dist ./dist
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/main.js"]
CMD ["controller"]
