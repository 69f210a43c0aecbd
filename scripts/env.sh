#!/usr/bin/env bash
# `make env`: install what is missing, start the host Docker daemon, create .venv with shipshape (editable),
# make the local base images (busybox, Debian with Python, Node) and start the sample's Prisma engines mirror.
# Idempotent: on a ready machine it takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
APT_PKGS="docker.io debootstrap busybox-static musl-tools gcc gzip patchelf iproute2 docker-registry binutils curl unzip"
# what the Kubernetes build needs, installed here when it will start early (two apt runs at once would collide)
[ "${SHIPSHAPE_K8S_EARLY:-0}" = 1 ] && APT_PKGS="$APT_PKGS golang-go rsync make dpkg-dev util-linux"
missing=""
for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "env: installing$missing"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
# A target that needs the cluster (make test, demo, bench, cluster) sets SHIPSHAPE_K8S_EARLY=1: on a machine where
# Kubernetes is not built yet, its build (minutes of Go compiling) starts now in the background, beside the base
# images below (mostly downloads and unpacking); `make cluster` then waits for it under the same lock.
CACHE="${SHIPSHAPE_CACHE:-$HOME/.cache/shipshape}"
if [ "${SHIPSHAPE_K8S_EARLY:-0}" = 1 ] && [ ! -x "$CACHE/k8s-v1.20.2/bin/kubelet" ]; then
  mkdir -p .cluster/logs "$CACHE"
  echo "env: building Kubernetes in the background meanwhile (progress in .cluster/logs/build-k8s.log)"
  nohup flock "$CACHE/k8s-build.lock" bash scripts/build-k8s.sh \
    >>.cluster/logs/build-k8s.log 2>&1 </dev/null &
fi
bash scripts/start-docker.sh
if [ ! -x .venv/bin/shipshape ] || [ pyproject.toml -nt .venv/.installed ]; then
  echo "env: creating .venv"
  # uv (from PyPI, kept once per machine beside the other caches) makes the venv in seconds where pip takes a
  # minute; pip stays the fallback.
  UV="$CACHE/uv/bin/uv"
  if [ ! -x "$UV" ]; then
    python3 -m venv "$CACHE/uv" \
      && "$CACHE/uv/bin/pip" install -q --disable-pip-version-check 'uv==0.13.*' 2>&1 | grep -v "^WARNING: Location" \
      || true
  fi
  if [ -x "$UV" ]; then
    "$UV" venv -q --clear --python "$(command -v python3)" .venv
    # --compile-bytecode: uv leaves the .pyc files to the first import, which cannot write them where
    # PYTHONDONTWRITEBYTECODE is set (as here), and then every CLI start compiles rich and typer again (0.31 s
    # for `shipshape --help` instead of 0.18 s). pip compiles by itself.
    VIRTUAL_ENV="$PWD/.venv" "$UV" pip install -q --compile-bytecode -e '.[dev]'
  else
    python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
  fi
  touch .venv/.installed
fi
bash scripts/make-base-image.sh
bash scripts/make-debian-base.sh python
bash scripts/make-node-base.sh
bash scripts/prisma-mirror.sh up
echo "env: ready (.venv/bin/shipshape)"
