#!/bin/sh
# One HTTP connection (stdin/stdout are the socket), or `--startup-check` to log the engine check at start.
RUNTIME=linux-musl-openssl-3.0.x
ENGINE_DIR=/app/node_modules/.prisma/client
ENGINE="$ENGINE_DIR/libquery_engine-$RUNTIME.so.node"

prisma_error() {
  generated=$(ls "$ENGINE_DIR" 2>/dev/null | sed -n 's/^libquery_engine-\(.*\)\.so\.node$/\1/p' | head -n 1)
  cat <<PRISMA
PrismaClientInitializationError: Prisma Client could not locate the Query Engine for runtime "$RUNTIME".

This happened because Prisma Client was generated for "${generated:-debian-openssl-3.0.x}", but the actual deployment required "$RUNTIME".
Add "$RUNTIME" to \`binaryTargets\` in the "schema.prisma" file and run \`prisma generate\` after saving it:

generator client {
  provider      = "prisma-client-js"
  binaryTargets = ["native", "$RUNTIME"]
}

The following locations have been searched:
  /app/node_modules/.prisma/client
  /app/node_modules/@prisma/client
  /tmp/prisma-engines
  /app/prisma
PRISMA
}

log() {  # the container's log is PID 1's stdout
  if [ -w /proc/1/fd/1 ]; then cat >/proc/1/fd/1; else cat >&2; fi
}

if [ "${1:-}" = "--startup-check" ]; then
  if [ -f "$ENGINE" ]; then echo "ready - started server on 0.0.0.0:${PORT:-3000}"; else prisma_error; fi
  exit 0
fi

respond() {  # status, content type, body
  printf 'HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
    "$1" "$2" "$(printf '%s' "$3" | wc -c)" "$3"
}

read -r method path _proto || exit 0
path=$(printf '%s' "$path" | tr -d '\r')
while IFS= read -r header; do
  [ -z "$(printf '%s' "$header" | tr -d '\r')" ] && break
done
case "$path" in
  /api/health | /api/health/ | /api/health\?*)
    if [ -f "$ENGINE" ]; then
      respond "200 OK" application/json '{"status":"ok","prisma":"'"$RUNTIME"'"}'
    else
      body=$(prisma_error)
      printf '%s\n' "$body" | log
      respond "500 Internal Server Error" text/plain "$body"
    fi
    ;;
  *)
    printf '%s %s HTTP/1.0\r\n\r\n' "$method" "$path" | httpd -i -h /app/public
    ;;
esac
