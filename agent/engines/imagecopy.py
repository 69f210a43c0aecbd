"""Copy an image from one Docker daemon to another: `docker save | docker -H NODE load` as one byte stream.

The save response is read from one daemon's socket and written as the load request's body to the other's,
without decoding, re-framing or storing a byte, so the copy runs at the daemons' speed. It speaks HTTP/1.1 on
plain sockets (unix, or tcp without TLS) and does not use the docker SDK; `DockerEngine.copy_image_to` is the
entry point the loaders call.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator

from agent.errors import ShipshapeError

PIECE = 1024 * 1024


def raw_connect(base_url: str) -> socket.socket | None:
    """A plain socket to the daemon (unix or tcp without TLS); None for other transports."""
    url = base_url
    if url.startswith(("unix://", "http+unix://")):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(url.split("://", 1)[1])
        return sock
    if url.startswith(("tcp://", "http://")) and not os.environ.get("DOCKER_TLS_VERIFY"):
        host, _, port = url.split("://", 1)[1].rstrip("/").rpartition(":")
        return socket.create_connection((host, int(port)))
    return None


def copy_image(ref: str, source_url: str, target_url: str, progress: Callable[[int], None] | None = None) -> int | None:
    """`docker save REF` on the daemon at `source_url` piped into `docker load` on the one at `target_url`.

    The save response's HTTP chunks are forwarded verbatim as the load request's chunked body. Returns the
    bytes moved, or None when a transport is not a plain socket (the caller then streams through the SDK).
    """
    try:
        source, sink = raw_connect(source_url), raw_connect(target_url)
    except OSError as exc:
        raise ShipshapeError(f"cannot reach a daemon to copy {ref}: {exc}", code="load-failed") from None
    if source is None or sink is None:
        for sock in (source, sink):
            if sock is not None:
                sock.close()
        return None
    with source, sink:
        try:
            return _copy(ref, source, sink, source_url, target_url, progress)
        except OSError as exc:
            # A daemon went away outside the body's forwarding (before the load request, or before its answer).
            raise ShipshapeError(f"load into {target_url} failed: {exc}", code="load-failed") from None


def _copy(
    ref: str,
    source: socket.socket,
    sink: socket.socket,
    source_url: str,
    target_url: str,
    progress: Callable[[int], None] | None,
) -> int:
    """The exchange of `copy_image` over two connected sockets: the save request, the load request, the body."""
    query = urllib.parse.urlencode({"names": ref})
    source.sendall(f"GET /v1.41/images/get?{query} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n".encode())
    status, headers, rest = _read_head(source)
    if status != 200:
        raise ShipshapeError(
            f"docker save {ref} on {source_url} failed: HTTP {status} {_drain(source, rest)[:200]}",
            code="no-image" if status == 404 else "load-failed",
        )
    length = headers.get("content-length")
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    sink.sendall(
        f"POST /v1.41/images/load?quiet=1 HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar"
        f"\r\n{framing}\r\nConnection: close\r\n\r\n".encode()
    )
    try:
        moved = _forward(source, sink, rest, int(length) if length is not None else None, progress)
    except OSError as exc:
        # The node stopped reading (it rejected the archive or went away): its answer says why.
        sink.settimeout(5)
        try:
            status, _headers, rest = _read_head(sink)
            why = _drain(sink, rest).strip()[:300]
        except (OSError, ShipshapeError):
            why = str(exc)
        raise ShipshapeError(f"load into {target_url} failed: {why}", code="load-failed") from None
    status, _headers, rest = _read_head(sink)
    body = _drain(sink, rest)
    if status != 200 or '"error"' in body:
        raise ShipshapeError(f"load into {target_url} failed: {body.strip()[:300]}", code="load-failed")
    return moved


# -- raw HTTP over a daemon socket ------------------------------------------------------------------------


def _read_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, lower-cased headers, and the body bytes already received."""
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            raise ShipshapeError("the Docker daemon closed the connection mid-response", code="load-failed")
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return status, headers, rest


def _drain(sock: socket.socket, rest: bytes) -> str:
    """The rest of a Connection: close response, as text (chunk framing left in: only searched)."""
    parts = [rest]
    while more := sock.recv(65536):
        parts.append(more)
    return b"".join(parts).decode("utf-8", "replace")


def _pieces(source: socket.socket, first: bytes) -> Iterator[bytes | bytearray]:
    """What `source` sends, read ahead by a thread (at most 8 pieces of up to 1 MiB held), so that receiving
    from one daemon overlaps sending to the other, as the two processes of `docker save | docker load` do."""
    ahead: queue.Queue[bytes | bytearray | BaseException | None] = queue.Queue(maxsize=8)

    def reader() -> None:
        try:
            while True:
                piece = bytearray(PIECE)
                count = source.recv_into(piece)
                if count == 0:
                    break
                del piece[count:]
                ahead.put(piece)
            ahead.put(None)
        except BaseException as exc:
            ahead.put(exc)

    if first:
        yield first
    thread = threading.Thread(target=reader, name="docker-save-reader", daemon=True)
    thread.start()
    while True:
        item = ahead.get()
        if item is None:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


def _forward(
    source: socket.socket,
    sink: socket.socket,
    first: bytes,
    length: int | None,
    progress: Callable[[int], None] | None,
) -> int:
    """Copy the response body from `source` to `sink` verbatim; stop at its end: Content-Length bytes, or
    the zero-size chunk of chunked framing (only the chunk-size lines are looked at, never the data)."""
    moved = 0
    skip = 0  # bytes of chunk data (+ its CRLF) still to pass through
    line = b""  # a chunk-size line split across two reads
    last = False  # the zero-size chunk was seen: only its CRLF remains
    for src in _pieces(source, first):
        end = len(src)
        done = False
        if length is not None:
            take = min(end, length - moved)
            sink.sendall(memoryview(src)[:take])
            moved += take
            done = moved >= length
        else:
            pos = 0
            while pos < end:
                if skip:
                    step = min(skip, end - pos)
                    skip -= step
                    pos += step
                    if last and not skip:
                        done = True
                        break
                    continue
                newline = src.find(b"\n", pos, end)
                if newline < 0:
                    line += bytes(src[pos:end])
                    pos = end
                    break
                line += bytes(src[pos : newline + 1])
                pos = newline + 1
                size = int(line.split(b";")[0].strip() or b"0", 16)
                line = b""
                skip = size + 2
                last = size == 0
            sink.sendall(memoryview(src)[:pos])
            moved += pos
        if progress:
            progress(moved)
        if done:
            return moved
    raise ShipshapeError("docker save stopped before the image was complete", code="load-failed")
