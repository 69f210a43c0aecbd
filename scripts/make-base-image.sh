#!/usr/bin/env bash
# The local base image shipshape/busybox:1.35 (no registry can be reached, so nothing is pulled):
# FROM scratch + Debian's static busybox (`busybox --install -s`) + musl's dynamic loader from Debian's `musl`
# package, so that the image looks like Alpine to the checks (a musl libc, LABEL org.shipshape.libc=musl).
#   bash scripts/make-base-image.sh [DOCKER_HOST]     (default: the host daemon)
# Idempotent: when the image exists (same content label) it returns at once.
set -euo pipefail
IMAGE=shipshape/busybox:1.35
HOST="${1:-${DOCKER_HOST:-unix:///var/run/docker.sock}}"
BB=/bin/busybox
LOADER=/lib/ld-musl-x86_64.so.1
for f in "$BB" "$LOADER"; do
  [ -e "$f" ] || { echo "base image: $f missing: apt-get install busybox-static musl" >&2; exit 1; }
done
# The content label lets a changed busybox or loader rebuild the image; otherwise the script is a no-op.
STAMP=$(cat "$BB" "$LOADER" | sha256sum | cut -c1-16)
have=$(docker -H "$HOST" image inspect "$IMAGE" --format '{{index .Config.Labels "org.shipshape.base-stamp"}}' \
  2>/dev/null || true)
if [ "$have" = "$STAMP" ]; then exit 0; fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$BB" "$ctx/busybox"
cp -L "$LOADER" "$ctx/ld-musl-x86_64.so.1"
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY busybox /bin/busybox
COPY ld-musl-x86_64.so.1 /lib/ld-musl-x86_64.so.1
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /tmp /etc /usr/lib /var/www && chmod 1777 /tmp \\
 && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd \\
 && echo 'root:x:0:' > /etc/group && echo 'nobody:x:65534:65534:nobody:/:/bin/false' >> /etc/passwd
LABEL org.shipshape.libc=musl org.shipshape.base-stamp=$STAMP
ENV PATH=/usr/local/bin:/usr/bin:/bin
CMD ["/bin/sh"]
DOCKERFILE
DOCKER_BUILDKIT=0 docker -H "$HOST" build -q -t "$IMAGE" "$ctx" >/dev/null
echo "base image: built $IMAGE on $HOST"
