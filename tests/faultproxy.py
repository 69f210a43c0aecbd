"""A loopback HTTPS proxy (HTTP CONNECT) for provoking real npm network failures from outside the app.

npm inside a build is pointed at it with HTTPS_PROXY, as a developer behind a company proxy would be. It tunnels
each CONNECT to the real host, except during an outage: `arm(seconds)` makes the next `seconds` (counted from the
first CONNECT after arming) an outage in which every CONNECT is answered with a TCP reset, the way an overloaded
proxy or a flaky link drops connections. npm then fails with its own `npm error code ECONNRESET` unless its
retry settings carry it past the outage. Only 127.0.0.1 is listened on; tunnels go where npm asks (the registry).
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator


class FaultProxy:
    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._outage = 0.0  # seconds of outage still to start with the next CONNECT
        self._until = 0.0  # monotonic end of the running outage
        self.resets = 0
        self.tunnels = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def arm(self, seconds: float) -> None:
        """The next `seconds`, from the first CONNECT that follows, every CONNECT is reset."""
        with self._lock:
            self._outage, self._until = seconds, 0.0

    def _in_outage(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if self._outage:
                self._until, self._outage = now + self._outage, 0.0
            return now < self._until

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        with contextlib.closing(client):
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            request = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            if len(request) < 2 or request[0].upper() != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            if self._in_outage():
                with self._lock:
                    self.resets += 1
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return  # closing with linger 0 sends RST
            host, _, port = request[1].rpartition(":")
            try:
                upstream = socket.create_connection((host, int(port)), timeout=20)
            except OSError:
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            with contextlib.closing(upstream):
                with self._lock:
                    self.tunnels += 1
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._pipe(client, upstream)

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        sockets = [a, b]
        while not self._stop.is_set():
            ready, _, _ = select.select(sockets, [], [], 1.0)
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                (b if sock is a else a).sendall(data)

    def close(self) -> None:
        self._stop.set()
        self._server.close()


@contextlib.contextmanager
def fault_proxy() -> Iterator[FaultProxy]:
    proxy = FaultProxy()
    try:
        yield proxy
    finally:
        proxy.close()
