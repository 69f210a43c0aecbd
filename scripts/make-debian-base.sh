#!/usr/bin/env bash
# The real Debian base images (no registry can be reached, so nothing is pulled), each made with
# `debootstrap --variant=minbase bookworm`, slimmed (no docs, man pages, locales, apt lists or caches), then
# `docker import`ed:
#   python   shipshape/debian:bookworm-slim     + Python 3, venv and ca-certificates (the sample's FastAPI backend)
#   minbase  shipshape/debian:bookworm-minbase  nothing more: no OpenSSL, no CA package (what node:*-slim is built
#                                               on; scripts/make-node-base.sh adds Node to it)
#   bash scripts/make-debian-base.sh [python|minbase] [DOCKER_HOST]     (default: python, the host daemon)
# The root filesystem tarball is made once per machine and cached in ~/.cache/shipshape (SHIPSHAPE_CACHE moves
# it); the image is imported from the cache when the daemon lacks it. Both steps are no-ops when done.
set -euo pipefail
cd "$(dirname "$0")/.."
VARIANT="${1:-python}"
HOST="${2:-${DOCKER_HOST:-unix:///var/run/docker.sock}}"
CACHE="${SHIPSHAPE_CACHE:-$HOME/.cache/shipshape}"
case "$VARIANT" in
  python) IMAGE=shipshape/debian:bookworm-slim; PACKAGES="python3,python3-venv,ca-certificates"; NAME=bookworm-slim ;;
  minbase) IMAGE=shipshape/debian:bookworm-minbase; PACKAGES=""; NAME=bookworm-minbase ;;
  *) echo "debian base: unknown variant $VARIANT (python or minbase)" >&2; exit 2 ;;
esac
# The recipe's own hash names the tarball: a changed package list or slimming step makes a new one.
# The host's trust store goes into the image: where the machine reaches the registries through a TLS proxy of its
# own, the container's pip and npm need the same CA as the host's.
HOST_CA=/etc/ssl/certs/ca-certificates.crt
RECIPE=$( { echo "$VARIANT $PACKAGES"; sed -n '/^# recipe-start/,/^# recipe-end/p' "$0"; cat "$HOST_CA" 2>/dev/null; } \
  | sha256sum | cut -c1-12)
TARBALL="$CACHE/debian-$NAME-$RECIPE.tar"
have=$(docker -H "$HOST" image inspect "$IMAGE" --format '{{index .Config.Labels "org.shipshape.base-stamp"}}' \
  2>/dev/null || true)
if [ "$have" = "$RECIPE" ]; then exit 0; fi
if [ ! -s "$TARBALL" ]; then
  command -v debootstrap >/dev/null || { echo "debian base: debootstrap missing: apt-get install debootstrap" >&2; exit 1; }
  mkdir -p "$CACHE"
  root=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  echo "debian base: debootstrap bookworm $VARIANT (once per machine, cached in $CACHE)"
  start=$(date +%s)
  debootstrap --variant=minbase ${PACKAGES:+--include="$PACKAGES"} bookworm "$root" >"$root.log" 2>&1 \
    || { echo "debian base: debootstrap failed, see $root.log" >&2; exit 1; }
  rm -f "$root.log"
# recipe-start
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
    "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old "$root"/var/log/*.log \
    "$root"/usr/share/lintian "$root"/usr/share/common-licenses
  find "$root"/usr/lib/python3* -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true
  : > "$root"/etc/machine-id
  # The trust store file only: without the ca-certificates package (minbase) there is no OpenSSL either.
  if [ -s "$HOST_CA" ]; then mkdir -p "$root"/etc/ssl/certs; cp "$HOST_CA" "$root"/etc/ssl/certs/ca-certificates.crt; fi
# recipe-end
  tar --numeric-owner -C "$root" -cf "$TARBALL.part" .
  rm -f "$CACHE"/debian-"$NAME"-*.tar   # other recipes' tarballs
  mv "$TARBALL.part" "$TARBALL"
  echo "debian base: rootfs made in $(( $(date +%s) - start )) s ($(du -m "$TARBALL" | cut -f1) MB)"
fi
docker -H "$HOST" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change "LABEL org.shipshape.base-stamp=$RECIPE" \
  --change 'CMD ["/bin/bash"]' \
  "$TARBALL" "$IMAGE" >/dev/null
echo "debian base: imported $IMAGE on $HOST from $TARBALL"
