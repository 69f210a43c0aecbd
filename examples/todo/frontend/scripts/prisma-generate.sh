#!/bin/sh
# Stand-in for `prisma generate` (prisma-client-js, library engine): reads the client generator's
# binaryTargets from prisma/schema.prisma and copies the query engine of each target into
# node_modules/.prisma/client/, as the real CLI does. "native" is the build host's platform, which for this
# build stage is debian-openssl-3.0.x. The engines come from .engines/ (the stand-in for Prisma's engine
# download cache, made by scripts/make-sample-engines.sh).
set -eu
cd "${1:-.}"
SCHEMA=prisma/schema.prisma
NATIVE=debian-openssl-3.0.x
OUT=node_modules/.prisma/client
[ -f "$SCHEMA" ] || { echo "Error: Could not find Prisma Schema that is required for this command." >&2; exit 1; }

# The first prisma-client-js generator block, comments stripped; its binaryTargets list (default: native).
targets=$(awk '
  { line = $0; sub(/\/\/.*/, "", line) }
  line ~ /^[[:space:]]*generator[[:space:]]+[A-Za-z0-9_]+[[:space:]]*\{/ { in_gen = 1; buf = "" }
  in_gen { buf = buf " " line }
  in_gen && line ~ /\}/ {
    in_gen = 0
    if (buf ~ /provider[[:space:]]*=[[:space:]]*"prisma-client-js"/ && !done) {
      done = 1
      if (match(buf, /binaryTargets[[:space:]]*=[[:space:]]*\[[^]]*\]/)) {
        s = substr(buf, RSTART, RLENGTH); sub(/^[^[]*\[/, "", s); sub(/\].*/, "", s); gsub(/[",]/, " ", s)
        print s
      } else print "native"
    }
  }' "$SCHEMA")
[ -n "$targets" ] || { echo "Error: no prisma-client-js generator in $SCHEMA" >&2; exit 1; }

mkdir -p "$OUT"
for t in $targets; do
  [ "$t" = native ] && t=$NATIVE
  engine=".engines/libquery_engine-$t.so.node"
  if [ ! -f "$engine" ]; then
    echo "Error: Failed to fetch the engine file at https://binaries.prisma.sh/all_commits/.../$t/libquery_engine.so.node.gz - 404 Not Found" >&2
    exit 1
  fi
  cp "$engine" "$OUT/"
done
printf 'generated for: %s\n' "$(echo $targets | sed "s/native/$NATIVE/")" > "$OUT/targets.txt"
echo "✔ Generated Prisma Client (v6.19.0) to ./node_modules/@prisma/client in 41ms (targets: $(echo $targets))"
