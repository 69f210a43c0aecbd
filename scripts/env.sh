#!/usr/bin/env bash
# `make env`: install what is missing, start the host Docker daemon, create .venv with shipshape (editable),
# make the local base images (busybox, Debian with Python, Node) and start the sample's Prisma engines mirror.
# Idempotent: on a ready machine it takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
APT_PKGS="docker.io debootstrap busybox-static musl-tools gcc gzip patchelf iproute2 docker-registry binutils curl unzip"
missing=""
for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "env: installing$missing"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
bash scripts/start-docker.sh
if [ ! -x .venv/bin/shipshape ] || [ pyproject.toml -nt .venv/.installed ]; then
  echo "env: creating .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
  touch .venv/.installed
fi
bash scripts/make-base-image.sh
bash scripts/make-debian-base.sh python
bash scripts/make-node-base.sh
bash scripts/prisma-mirror.sh up
echo "env: ready (.venv/bin/shipshape)"
