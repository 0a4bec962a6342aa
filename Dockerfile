# orgplane controller/CLI image. Build: docker build -t ghcr.io/orgplane/orgplane:0.1.0 .
# Stage 1 compiles TypeScript and keeps only production node_modules; stage 2 is distroless
# Node 24 LTS (no shell, no package manager), running as the nonroot user (65532).
#
# Base images: both stages are Node 24 on Debian 12 (bookworm), so what stage 1 installs runs in
# stage 2 (orgplane has no native modules; `npm ci --ignore-scripts` proves none is needed).
# Release builds pin both by digest; the digests are not committed because this repository was
# written without registry access to read them. Pin or update (docs/runtime.md):
#   docker buildx imagetools inspect node:24-bookworm-slim --format '{{json .Manifest.Digest}}'
#   docker buildx imagetools inspect gcr.io/distroless/nodejs24-debian12:nonroot --format '{{json .Manifest.Digest}}'
#   docker build --build-arg BUILD_IMAGE=node:24-bookworm-slim@sha256:<digest> \
#                --build-arg RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot@sha256:<digest> .
# (or write the digests into the two ARG defaults below: `tag@sha256:<digest>`).
ARG BUILD_IMAGE=node:24-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY controller ./controller
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/.cache

FROM ${RUNTIME_IMAGE}
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
