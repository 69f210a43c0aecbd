#!/bin/sh
# The runtime of the todo frontend (stand-in for `next start`): HTTP on port 3000. busybox httpd serves the
# pages; /api/health is answered by server/handle.sh, which loads the Prisma query engine as Prisma Client
# would and fails with Prisma's real PrismaClientInitializationError when the engine for this image's
# platform (linux-musl-openssl-3.0.x: the image is musl-based) was not generated into it.
set -eu
cd /app
sh /app/server/handle.sh --startup-check || true
exec nc -ll -p "${PORT:-3000}" -e /app/server/handle.sh
