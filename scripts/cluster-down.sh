#!/usr/bin/env bash
# `make cluster-down`: stop exactly what `make cluster` started, by the PIDs in .cluster/pids/: the kubelet,
# the control plane and etcd, then the pod containers and the node Docker daemon, then the registry; unmount
# the kubelet's root directory. Leaves no process, container or mount behind. Idempotent.
# The state (.cluster/etcd, pki, kubeconfig) is kept so that the next `make cluster` is a warm start;
# `--purge` removes it too (the next start makes a new, empty cluster).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
CLUSTER="$REPO/.cluster"
PIDS="$CLUSTER/pids"
KUBELET_ROOT="$CLUSTER/kubelet"
NODE_SOCK="$CLUSTER/node-docker.sock"
T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# stop NAME...: SIGTERM together each process whose PID file names it and which still runs that binary (the
# basename of its argv[0] is NAME, so a reused PID is left alone), then wait; SIGKILL what runs after 15 s.
stop() {
  local name pid pids=() names=()
  for name in "$@"; do
    local f="$PIDS/$name.pid"
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] \
      && [ "$(basename "$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -1)")" = "$name" ]; then
      kill "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$name")
    fi
    rm -f "$f"
  done
  local i
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    for _ in $(seq 1 150); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    if [ -d "/proc/$pid" ]; then
      echo "cluster-down: ${names[$i]} ($pid) ignored SIGTERM; sending SIGKILL" >&2
      kill -9 "$pid" 2>/dev/null || true
      sleep 0.2
    fi
    echo "cluster-down: stopped ${names[$i]} ($pid) [$(elapsed)s]"
  done
}

# The kubelet first, so that it cannot restart the pods being removed.
stop kubelet
if [ -S "$NODE_SOCK" ] && docker -H "unix://$NODE_SOCK" version >/dev/null 2>&1; then
  ids=$(docker -H "unix://$NODE_SOCK" ps -aq --filter label=io.kubernetes.docker.type || true)
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086
    docker -H "unix://$NODE_SOCK" rm -f $ids >/dev/null
    echo "cluster-down: removed $(echo "$ids" | wc -w) pod container(s) from the node daemon"
  fi
fi
stop kube-scheduler kube-controller-manager kube-apiserver
stop etcd

# The kubelet bind-mounts its root on itself and mounts each pod's secrets (tmpfs) below it.
if [ -d "$KUBELET_ROOT" ] && grep -q " $KUBELET_ROOT" /proc/self/mountinfo; then
  umount -R "$KUBELET_ROOT" 2>/dev/null || umount -R -l "$KUBELET_ROOT"
  echo "cluster-down: unmounted $KUBELET_ROOT"
fi

bash "$REPO/scripts/node-daemon.sh" down
bash "$REPO/scripts/registry.sh" down

if [ "${1:-}" = "--purge" ]; then
  rm -rf "$CLUSTER/etcd" "$CLUSTER/pki" "$CLUSTER/kubeconfig" "$CLUSTER/kubelet.kubeconfig" "$KUBELET_ROOT"
  # Paths the 1.20 kubelet hard-codes (no flag moves them): the pods' log directories and the device-plugin
  # socket directory.
  rm -rf /var/log/pods/* /var/log/containers/* /var/lib/kubelet/device-plugins
  rmdir /var/lib/kubelet 2>/dev/null || true
  echo "cluster-down: cluster state removed (etcd data, keys, kubeconfig, kubelet root)"
fi
echo "cluster-down: done in $(elapsed)s"
