#!/usr/bin/env bash
# The sample app's Prisma query engines, as real ELF shared objects (called by `make env`).
# examples/todo/frontend/.engines/ stands in for Prisma's engine download cache (what `prisma generate` would
# fetch from binaries.prisma.sh, which cannot be reached here); it is git-ignored and made from this script:
#   libquery_engine-linux-musl-openssl-3.0.x.so.node  musl-gcc -shared, NEEDED libssl.so.3 (Alpine >= 3.17)
#   libquery_engine-debian-openssl-3.0.x.so.node      gcc -shared (glibc), NEEDED libssl.so.3: the build host's "native"
# Idempotent: files newer than this script are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=examples/todo/frontend/.engines
MUSL="$OUT/libquery_engine-linux-musl-openssl-3.0.x.so.node"
GLIBC="$OUT/libquery_engine-debian-openssl-3.0.x.so.node"
if [ -s "$MUSL" ] && [ -s "$GLIBC" ] && [ "$MUSL" -nt "$0" ] && [ "$GLIBC" -nt "$0" ]; then exit 0; fi
for tool in musl-gcc gcc patchelf; do
  command -v "$tool" >/dev/null || { echo "engines: $tool missing: apt-get install musl-tools gcc patchelf" >&2; exit 1; }
done
mkdir -p "$OUT"
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
cat >"$src/engine.c" <<'C'
/* A stand-in for Prisma's Node-API query engine: a real shared object with an exported symbol. */
const char *prisma_query_engine_version(void) { return "shipshape-sample-engine 6.19.0"; }
int napi_register_module_v1(void) { return 0; }
C
musl-gcc -shared -fPIC -O2 -o "$src/musl.so" "$src/engine.c"
gcc -shared -fPIC -O2 -Wl,--no-as-needed -o "$src/glibc.so" "$src/engine.c" -lc
patchelf --add-needed libssl.so.3 "$src/musl.so"
patchelf --add-needed libssl.so.3 "$src/glibc.so"
install -m 0644 "$src/musl.so" "$MUSL"
install -m 0644 "$src/glibc.so" "$GLIBC"
echo "engines: made $MUSL and $GLIBC"
