#!/usr/bin/env bash
# A loopback Prisma engines mirror for the sample app's real `prisma generate` (PRISMA_ENGINES_MIRROR).
#   bash scripts/prisma-mirror.sh up|down|status
# Prisma 6's CLI downloads its engines from binaries.prisma.sh, which cannot be reached here; PRISMA_ENGINES_MIRROR
# moves that host, as it does behind a corporate mirror. This mirror serves the files in the layout Prisma asks for:
#   all_commits/<engines hash>/<target>/libquery_engine.so.node.gz   (+ .gz.sha256, and .sha256 of the unpacked file)
#   all_commits/<engines hash>/<target>/schema-engine.gz             (+ checksums)
# The engines hash is read from the sample's package-lock.json (@prisma/engines-version), so the files match the
# Prisma version that npm installs. What is NOT real: the engine files themselves. Prisma's Rust engines cannot be
# had from any reachable registry, so each file is an ELF object made here that has what shipshape and Prisma's
# loader check (the target's libc: musl-gcc or gcc; its libssl in NEEDED; a Node-API entry point), but it runs no
# queries. docs/prisma.md says exactly what follows from that.
# Files: ~/.cache/shipshape/prisma-mirror (SHIPSHAPE_CACHE moves it); server: python3 http.server on 127.0.0.1:5056.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${SHIPSHAPE_CACHE:-$HOME/.cache/shipshape}"
ROOT="$CACHE/prisma-mirror"
ADDR=127.0.0.1
PORT="${SHIPSHAPE_PRISMA_MIRROR_PORT:-5056}"
PIDFILE="$REPO/.cluster/pids/prisma-mirror.pid"
LOG="$REPO/.cluster/logs/prisma-mirror.log"
LOCK="$REPO/examples/todo/frontend/package-lock.json"
TARGETS="debian-openssl-1.1.x debian-openssl-3.0.x linux-musl linux-musl-openssl-3.0.x rhel-openssl-3.0.x"

engines_hash() {
  python3 - "$LOCK" <<'PY'
import json, sys
lock = json.load(open(sys.argv[1]))
version = lock["packages"]["node_modules/@prisma/engines-version"]["version"]
print(version.rsplit(".", 1)[-1])
PY
}

make_files() {
  local hash dir src t stamp
  hash=$(engines_hash)
  dir="$ROOT/all_commits/$hash"
  # made once per machine: again only when this script (which writes the files) changes. Its content, not its
  # mtime, decides: a fresh clone's script is always newer than the cache.
  stamp=$(sha256sum "$0" | cut -d' ' -f1)
  if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$stamp" ]; then return 0; fi
  for tool in musl-gcc gcc patchelf gzip; do
    command -v "$tool" >/dev/null || { echo "prisma mirror: $tool missing: apt-get install musl-tools gcc patchelf" >&2; exit 1; }
  done
  src=$(mktemp -d)
  cat >"$src/engine.c" <<'C'
/* Stands in for Prisma's Node-API query engine library: a real shared object with Node-API's entry point.
 * It registers no QueryEngine class, so Prisma can find and load it but not run a query with it. */
const char *prisma_query_engine_version(void) { return "shipshape stand-in engine"; }
void *napi_register_module_v1(void *env, void *exports) { (void)env; return exports; }
C
  cat >"$src/schema.c" <<'C'
/* Stands in for Prisma's schema engine (migrations): `prisma generate` downloads it but does not run it. */
#include <stdio.h>
int main(int argc, char **argv) { (void)argc; (void)argv; puts("schema-engine-cli (shipshape stand-in)"); return 0; }
C
  for t in $TARGETS; do
    mkdir -p "$dir/$t"
    case "$t" in
      linux-musl*) cc=musl-gcc ;;
      *) cc=gcc ;;
    esac
    case "$t" in
      *-3.0.x) ssl=libssl.so.3 ;;
      *) ssl=libssl.so.1.1 ;;
    esac
    $cc -shared -fPIC -O2 -Wl,--no-as-needed -o "$dir/$t/libquery_engine.so.node" "$src/engine.c" -lc
    patchelf --add-needed "$ssl" "$dir/$t/libquery_engine.so.node"
    $cc -O2 -o "$dir/$t/schema-engine" "$src/schema.c"
    for f in libquery_engine.so.node schema-engine; do
      sha256sum "$dir/$t/$f" | cut -d' ' -f1 >"$dir/$t/$f.sha256"
      gzip -9nkf "$dir/$t/$f"
      sha256sum "$dir/$t/$f.gz" | cut -d' ' -f1 >"$dir/$t/$f.gz.sha256"
    done
  done
  rm -rf "$src"
  echo "$stamp" >"$dir/.complete"
  echo "prisma mirror: engine files for $hash made in $dir"
}

answers() { curl -fsS --max-time 2 "http://$ADDR:$PORT/all_commits/$(engines_hash)/.complete" >/dev/null 2>&1; }

up() {
  make_files
  if answers; then return 0; fi
  mkdir -p "$(dirname "$PIDFILE")" "$(dirname "$LOG")"
  nohup python3 -m http.server "$PORT" --bind "$ADDR" --directory "$ROOT" >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 40); do
    if answers; then echo "prisma mirror up on http://$ADDR:$PORT ($ROOT)"; return 0; fi
    sleep 0.25
  done
  echo "prisma mirror: did not answer on $ADDR:$PORT; see $LOG" >&2
  exit 1
}

down() {
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then kill "$(cat "$PIDFILE")"; echo "prisma mirror stopped"; fi
  rm -f "$PIDFILE"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) if answers; then echo "prisma mirror answers on $ADDR:$PORT"; else echo "prisma mirror down"; exit 1; fi ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
