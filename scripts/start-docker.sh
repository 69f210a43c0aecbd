#!/usr/bin/env bash
# Start the host Docker daemon (the build host) if none answers on /var/run/docker.sock.
set -euo pipefail
SOCK=/var/run/docker.sock
answers() { docker -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if answers; then exit 0; fi
command -v dockerd >/dev/null || { echo "dockerd missing: run 'make env' first" >&2; exit 1; }
LOG=/var/log/shipshape-dockerd.log
mkdir -p /var/run
nohup dockerd --host "unix://$SOCK" --storage-driver overlay2 --exec-opt native.cgroupdriver=cgroupfs \
  --pidfile /var/run/docker.pid >"$LOG" 2>&1 &
for _ in $(seq 1 60); do
  answers && { echo "host dockerd up ($(docker version --format '{{.Server.Version}}'))"; exit 0; }
  sleep 0.5
done
echo "host dockerd did not answer within 30 s; see $LOG" >&2
tail -20 "$LOG" >&2
exit 1
