#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager, kube-scheduler and kubelet from Debian bookworm's
# `kubernetes` source package (the upstream 1.20.2 tree with vendor/), once, and cache the binaries
# outside the repo. Idempotent: a cache hit returns at once.
set -euo pipefail
CACHE="${SHIPSHAPE_CACHE:-$HOME/.cache/shipshape}"
OUT="$CACHE/k8s-v1.20.2"
BINS="kube-apiserver kube-controller-manager kube-scheduler kubelet"
have_all() { for b in $BINS; do [ -x "$OUT/bin/$b" ] || return 1; done; }
if have_all; then echo "k8s binaries cached in $OUT/bin"; exit 0; fi
START=$(date +%s)

need=""
# dpkg-source (dpkg-dev) unpacks the source package; a minimal machine may lack it.
for c in go rsync make dpkg-source; do command -v "$c" >/dev/null || need="$need $c"; done
if [ -n "$need" ]; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go rsync make dpkg-dev >/dev/null
fi

WORK="$CACHE/k8s-build"
mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/cache/archives/partial" "$WORK/src"
echo "deb-src http://deb.debian.org/debian bookworm main" > "$WORK/apt/sources.list"
: > "$WORK/apt/sources.list.d.empty"
APTOPTS=(-o "Dir::Etc::SourceList=$WORK/apt/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
         -o "Dir::State::Lists=$WORK/apt/lists" -o "Dir::Cache=$WORK/apt/cache"
         -o "APT::Sandbox::User=root")
if ! ls -d "$WORK"/src/kubernetes-*/ >/dev/null 2>&1; then
  apt-get "${APTOPTS[@]}" update -q
  (cd "$WORK/src" && apt-get "${APTOPTS[@]}" source --download-only kubernetes)
  (cd "$WORK/src" && dpkg-source --no-check -x kubernetes_*.dsc)
fi
TREE=$(ls -d "$WORK"/src/kubernetes-*/ | head -1)
TREE=${TREE%/}
mkdir -p "$WORK/gopath/src/k8s.io"
ln -sfn "$TREE" "$WORK/gopath/src/k8s.io/kubernetes"
cd "$WORK/gopath/src/k8s.io/kubernetes"
export GOPATH="$WORK/gopath" GO111MODULE=off GOPROXY=off CGO_ENABLED=0 GOFLAGS=
export GOCACHE="$WORK/gocache"
make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubelet"
mkdir -p "$OUT/bin"
for b in $BINS; do
  f=$(find _output -type f -name "$b" -perm -u+x | head -1)
  install -m 0755 "$f" "$OUT/bin/$b"
done
# Recorded for bench/bench_cluster_start.py: what a cold `make cluster` pays once.
echo "{\"build_s\": $(($(date +%s) - START)), \"at\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}" >"$OUT/build-timing.json"
echo "k8s binaries built into $OUT/bin"
