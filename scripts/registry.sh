#!/usr/bin/env bash
# Debian's distribution registry (docker-registry, the real `registry serve`) on 127.0.0.1:5000.
#   bash scripts/registry.sh up|down|status
# Storage and config: .cluster/registry/ (repo root, git-ignored); PID: .cluster/pids/registry.pid.
# Both daemons treat a loopback registry as insecure-allowed, so push/pull work without TLS.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
CLUSTER="$REPO/.cluster"
STATE="$CLUSTER/registry"
PIDFILE="$CLUSTER/pids/registry.pid"
LOG="$CLUSTER/logs/registry.log"
ADDR=127.0.0.1:5000
BIN=/usr/bin/docker-registry

answers() { curl -fsS --max-time 2 "http://$ADDR/v2/" >/dev/null 2>&1; }
ours() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null \
  && grep -q registry "/proc/$(cat "$PIDFILE")/comm" 2>/dev/null; }

up() {
  if answers; then echo "registry already answers on $ADDR"; return 0; fi
  [ -x "$BIN" ] || { echo "registry: $BIN missing: run 'make env' (apt-get install docker-registry)" >&2; exit 1; }
  mkdir -p "$STATE/data" "$CLUSTER/pids" "$CLUSTER/logs"
  cat >"$STATE/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE/data
  delete:
    enabled: true
http:
  addr: $ADDR
health:
  storagedriver:
    enabled: false
YAML
  nohup "$BIN" serve "$STATE/config.yml" >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 40); do
    if answers; then echo "registry up on $ADDR (storage $STATE/data)"; return 0; fi
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break
    sleep 0.25
  done
  echo "registry: did not answer on $ADDR; last lines of $LOG:" >&2
  tail -20 "$LOG" >&2
  exit 1
}

down() {
  if ours; then
    pid=$(cat "$PIDFILE")
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    echo "registry stopped"
  else
    echo "registry not running (from this clone)"
  fi
  rm -f "$PIDFILE"
}

status() {
  if answers; then echo "registry up on $ADDR"; else echo "registry down"; return 3; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
