#!/usr/bin/env bash
# The cluster node's own Docker daemon: a second dockerd, separate from the host's /var/run/docker.sock, that is
# the kubelet's runtime and so the cluster's image store (minikube's "build on the host, load into the node").
#   bash scripts/node-daemon.sh up|down|status
# Socket: .cluster/node-docker.sock (repo root). Images and containers: /var/lib/shipshape-node (outside the
# repo, so a fresh clone elsewhere works; one node per machine). Bridge: shipbr0 172.30.0.1/22, made here with
# iproute2, reachable from the host. Runtime: scripts/runc-clamp (runc with negative oom_score_adj clamped to 0).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
CLUSTER="$REPO/.cluster"
SOCK="$CLUSTER/node-docker.sock"
DATA_ROOT="${SHIPSHAPE_NODE_DATA:-/var/lib/shipshape-node}"
# Kept short: containerd's socket lives under it and unix socket paths are limited to 108 bytes.
EXEC_ROOT=/var/run/shipshape-node
PIDFILE="$EXEC_ROOT/dockerd.pid"
LOG="$CLUSTER/logs/node-dockerd.log"
BRIDGE=shipbr0
# A /22 (1022 pod addresses), not a /24: benchmarks run 50 pods at a time, tests run beside them, and terminated
# pods keep their address for about a minute, so 253 addresses can run out.
BRIDGE_CIDR=172.30.0.1/22
RUNTIME=shipshape-runc
PAUSE_IMAGE=shipshape/pause:1

answers() { docker -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
running_pid() {
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -q dockerd "/proc/$pid/comm" 2>/dev/null && echo "$pid"
}

ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  # Only called while the node daemon is down, so a bridge left with another address can be re-addressed.
  # dockerd keeps the default network's subnet in its network store and would go on using the old one, so
  # the store goes too (it holds only that network: the kubelet makes no others) and dockerd rebuilds it.
  if ! ip -4 addr show dev "$BRIDGE" | grep -q "inet $BRIDGE_CIDR "; then
    ip addr flush dev "$BRIDGE"
    ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
    rm -f "$DATA_ROOT/network/files/local-kv.db"
  fi
  ip link set "$BRIDGE" up
}

# The pod-infra ("pause") image: its command must never exit, or every pod fails with "cannot join network
# of a non running container". Built here from the static busybox, with no registry involved.
ensure_pause_image() {
  if docker -H "unix://$SOCK" image inspect "$PAUSE_IMAGE" >/dev/null 2>&1; then return 0; fi
  local bb ctx
  bb=$(command -v busybox || true)
  for cand in /bin/busybox /usr/bin/busybox; do [ -z "$bb" ] && [ -x "$cand" ] && bb=$cand; done
  if [ -z "$bb" ] || ! file "$bb" 2>/dev/null | grep -q 'statically linked'; then
    # `file` may be absent; fall back to ldd's verdict.
    if [ -z "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
      echo "node: a static busybox is needed for $PAUSE_IMAGE: apt-get install busybox-static" >&2
      return 1
    fi
  fi
  ctx=$(mktemp -d)
  cp "$bb" "$ctx/busybox"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["/bin/busybox", "sleep", "2147483647"]
DOCKERFILE
  DOCKER_BUILDKIT=0 docker -H "unix://$SOCK" build -q -t "$PAUSE_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
  echo "node: built $PAUSE_IMAGE"
}

up() {
  mkdir -p "$CLUSTER/logs" "$CLUSTER/pids" "$DATA_ROOT" "$EXEC_ROOT"
  if answers; then
    ensure_pause_image
    echo "node dockerd already up on $SOCK"
    return 0
  fi
  command -v dockerd >/dev/null || { echo "node: dockerd missing: run 'make env' first" >&2; exit 1; }
  command -v ip >/dev/null || { echo "node: ip (iproute2) missing: run 'make env' first" >&2; exit 1; }
  local other
  if other=$(running_pid); then
    # One node per machine: the data root is fixed, so another clone's node daemon owns it.
    echo "node: another node dockerd (pid $other) already uses $DATA_ROOT and its socket is not $SOCK;" \
      "stop it first (scripts/node-daemon.sh down in its clone)" >&2
    exit 1
  fi
  # Left behind when the daemon was killed (e.g. when a session's processes are ended): dockerd refuses to
  # start while its pidfile names a live process, and the PID may since belong to something else.
  rm -f "$PIDFILE"
  ensure_bridge
  rm -f "$SOCK"
  # The key path has no command-line flag in dockerd 20.10, only this daemon.json field.
  printf '{"deprecated-key-path": "%s"}\n' "$DATA_ROOT/key.json" >"$CLUSTER/node-daemon.json"
  # Own containerd namespaces, so that even a shared system containerd keeps the two daemons apart. Own
  # trust key, because dockerd derives its engine ID from it: the default /etc/docker/key.json would give
  # the node the host's ID, and tools that tell the daemons apart by ID would take them for one.
  nohup dockerd \
    --host "unix://$SOCK" \
    --data-root "$DATA_ROOT" \
    --exec-root "$EXEC_ROOT" \
    --pidfile "$PIDFILE" \
    --config-file "$CLUSTER/node-daemon.json" \
    --containerd-namespace shipshape-node \
    --containerd-plugins-namespace shipshape-node-plugins \
    --bridge "$BRIDGE" \
    --iptables=false --ip-masq=false --ip-forward=false \
    --storage-driver overlay2 \
    --exec-opt native.cgroupdriver=cgroupfs \
    --add-runtime "$RUNTIME=$REPO/scripts/runc-clamp" \
    --default-runtime "$RUNTIME" \
    >"$LOG" 2>&1 </dev/null &
  echo $! >"$CLUSTER/pids/node-dockerd.pid"
  for _ in $(seq 1 120); do
    if answers; then
      ensure_pause_image
      echo "node dockerd up on $SOCK (data root $DATA_ROOT, bridge $BRIDGE $BRIDGE_CIDR)"
      return 0
    fi
    if ! kill -0 "$(cat "$CLUSTER/pids/node-dockerd.pid")" 2>/dev/null; then break; fi
    sleep 0.25
  done
  echo "node: dockerd did not answer on $SOCK; last lines of $LOG:" >&2
  tail -20 "$LOG" >&2
  exit 1
}

down() {
  local pid
  pid=$(running_pid || true)
  [ -z "$pid" ] && [ -f "$CLUSTER/pids/node-dockerd.pid" ] && pid=$(cat "$CLUSTER/pids/node-dockerd.pid")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q dockerd "/proc/$pid/comm" 2>/dev/null; then
    if answers; then
      # Containers first, so that none outlives its daemon (the kubelet's pods have no restart policy).
      ids=$(docker -H "unix://$SOCK" ps -aq || true)
      [ -n "$ids" ] && docker -H "unix://$SOCK" rm -f $ids >/dev/null 2>&1 || true
    fi
    kill "$pid"
    for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "node: dockerd $pid did not stop in 20 s; sending SIGKILL" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
    echo "node dockerd stopped"
  else
    echo "node dockerd not running"
  fi
  rm -f "$SOCK" "$CLUSTER/pids/node-dockerd.pid"
  # A dockerd that had to be killed leaves its mounts: the data root bound onto itself, container root
  # filesystems, shm and network namespaces. Deepest first, so that each parent is free when its turn comes.
  local leftover
  leftover=$(awk -v d="$DATA_ROOT" -v e="$EXEC_ROOT" -v r="$(readlink -f "$EXEC_ROOT" 2>/dev/null || echo "$EXEC_ROOT")" \
    '$5 == d || index($5, d "/") == 1 || index($5, e "/") == 1 || index($5, r "/") == 1 { print $5 }' \
    /proc/self/mountinfo | awk '{ print length($0) " " $0 }' | sort -rn | cut -d' ' -f2-)
  if [ -n "$leftover" ]; then
    while IFS= read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done <<<"$leftover"
    echo "node: unmounted $(echo "$leftover" | wc -l) mount(s) the daemon left behind"
  fi
  # The bridge goes too, so that nothing is left behind; `up` makes it again.
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link delete "$BRIDGE" || true
}

status() {
  if answers; then
    echo "node dockerd up on $SOCK (pid $(running_pid || echo '?'))"
  else
    echo "node dockerd down"
    return 3
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
