# The docutag-release worker (and CLI). Built by docker-compose.yml.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ARG HELM_VERSION=v3.19.0
# Set by BuildKit per platform (docker buildx build --platform linux/amd64,linux/arm64).
ARG TARGETARCH=amd64
# Pin the archive's sha256 here (from helm's release page) to verify against a value of your own;
# unset, the build checks it against the .sha256sum helm publishes beside the archive.
ARG HELM_SHA256=
RUN set -eu; apt-get update && apt-get install -y --no-install-recommends curl ca-certificates \
  && archive="helm-${HELM_VERSION}-linux-${TARGETARCH}.tar.gz" \
  && curl -fsSL -o "/tmp/${archive}" "https://get.helm.sh/${archive}" \
  && expected="${HELM_SHA256:-$(curl -fsSL "https://get.helm.sh/${archive}.sha256sum" | cut -d ' ' -f 1)}" \
  && echo "${expected}  /tmp/${archive}" | sha256sum -c - \
  && tar -xz -C /tmp -f "/tmp/${archive}" \
  && mv "/tmp/linux-${TARGETARCH}/helm" /usr/local/bin/helm \
  && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* "/tmp/linux-${TARGETARCH}" "/tmp/${archive}"
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY bin bin
COPY package.json .
USER node
ENTRYPOINT ["node", "bin/docutag-release.js"]
CMD ["worker"]
