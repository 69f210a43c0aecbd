"""DockerEngine against the real host daemon: builds that fail as outcomes, files read out of an image without
running it, history, and an unreachable daemon as a one-line error."""

from __future__ import annotations

import io
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.engines.docker import DockerEngine
from agent.errors import EngineUnavailable, ShipshapeError

BASE = "shipshape/busybox:1.35"


def _tar(files: dict[str, bytes]) -> io.BytesIO:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    raw.seek(0)
    return raw


@pytest.fixture
def engine(host_docker: str) -> Iterator[DockerEngine]:
    yield DockerEngine(host_docker)


@pytest.fixture
def ref(engine: DockerEngine) -> Iterator[str]:
    name = f"shipshape-enginetest-{uuid.uuid4().hex[:10]}:v1"
    yield name
    engine.remove_image(name, force=True)


@pytest.mark.docker
def test_multi_stage_build_streams_lines_and_files_are_read_without_running(
    engine: DockerEngine, ref: str, tmp_path: Path
) -> None:
    dockerfile = (
        f"FROM {BASE} AS build\nRUN mkdir -p /out && echo hello > /out/greeting\n"
        f"FROM {BASE} AS runtime\nWORKDIR /app\nCOPY --from=build /out/greeting /app/greeting\n"
        'CMD ["false"]\n'
    ).encode()
    lines: list[str] = []
    log = tmp_path / "logs" / "build.log"
    outcome = engine.build(
        _tar({"Dockerfile": dockerfile}),
        "Dockerfile",
        ref,
        target="runtime",
        labels={"org.shipshape.test": "1"},
        on_line=lines.append,
        log_path=log,
    )
    assert outcome.ok and outcome.image_id == engine.image_id(ref)
    assert any(line.startswith("Step 1/") for line in lines) and log.read_text().count("Step ") >= 5
    assert engine.read_file(ref, "/app/greeting") == b"hello\n"  # CMD false: it never ran
    assert engine.read_file(ref, "/app/missing") is None
    assert engine.list_dir(ref, "/app") == ["greeting"]
    assert engine.size(ref) > 0 and any(layer.size > 0 for layer in engine.history(ref))
    assert engine.image(ref)["Config"]["Labels"]["org.shipshape.test"] == "1"  # type: ignore[index]


@pytest.mark.docker
def test_a_failing_step_is_an_outcome_with_the_step_and_the_exit_code(engine: DockerEngine, ref: str) -> None:
    dockerfile = f"FROM {BASE}\nRUN echo about to fail\nRUN echo failing && exit 3\n".encode()
    outcome = engine.build(_tar({"Dockerfile": dockerfile}), "Dockerfile", ref)
    assert not outcome.ok and outcome.image_id is None
    assert outcome.failed_step == "Step 3/3 : RUN echo failing && exit 3"
    assert outcome.exit_code == 3 and "returned a non-zero code: 3" in (outcome.error or "")
    assert "failing" in outcome.log_tail


@pytest.mark.unit
def test_an_unreachable_daemon_is_one_line_naming_the_socket_and_make_env(tmp_path: Path) -> None:
    sock = tmp_path / "nothing.sock"
    with pytest.raises(EngineUnavailable) as caught:
        DockerEngine(f"unix://{sock}").ping()
    line = caught.value.one_line()
    assert "\n" not in line and str(sock) in line and "make env" in line


def _chunked(body: bytes, sizes: list[int]) -> bytes:
    out, pos = b"", 0
    for size in sizes:
        piece = body[pos : pos + size]
        pos += len(piece)
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


@pytest.mark.unit
@pytest.mark.parametrize("split", [0, 1, 2, 3, 5, 9, 40])
def test_chunked_body_is_forwarded_verbatim_and_stops_at_its_end(split: int) -> None:
    """The image copy forwards the save response's chunk framing as is; it must find the end of the body
    however the framing is split between reads (here: after `split` bytes), and pass on exactly those bytes."""
    import socket
    import threading

    from agent.engines.imagecopy import _forward

    body = bytes(range(256)) * 40 + b"\r\n0\r\n\r\n" * 3  # data that looks like framing must not fool it
    wire = _chunked(body, [1, 4095, 17, 3000, 10, 5000])
    src_a, src_b = socket.socketpair()
    sink_a, sink_b = socket.socketpair()
    received: list[bytes] = []

    def drain() -> None:
        while data := sink_b.recv(65536):
            received.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    src_b.sendall(wire[split:])
    src_b.sendall(b"EXTRA")  # never forwarded: it is past the end of the body
    moved = _forward(src_a, sink_a, wire[:split], None, None)
    sink_a.close()
    reader.join(5)
    assert moved == len(wire) and b"".join(received) == wire
    for sock in (src_a, src_b, sink_b):
        sock.close()


@pytest.mark.unit
def test_a_node_daemon_gone_before_the_load_request_is_a_load_error_not_a_silent_exit(tmp_path: Path) -> None:
    """The node daemon restarted between connect and the load request: sending it fails with EPIPE. That
    BrokenPipeError must become a ShipshapeError; escaping, the CLI's framework took it for a closed stdout and
    exited 1 without a word (found by the bench's fault table: `shipshape build` said nothing)."""
    import socket
    import threading

    from agent.engines.imagecopy import copy_image

    gone = threading.Event()
    servers = []
    for name in ("host.sock", "node.sock"):
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(tmp_path / name))
        server.listen(1)
        servers.append(server)

    def host() -> None:
        conn, _ = servers[0].accept()
        while b"\r\n\r\n" not in conn.recv(65536):
            pass
        gone.wait(5)  # answer the save only once the node has gone away
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ntar!")
        conn.close()

    def node() -> None:
        conn, _ = servers[1].accept()
        conn.close()
        gone.set()

    threads = [threading.Thread(target=host, daemon=True), threading.Thread(target=node, daemon=True)]
    for t in threads:
        t.start()
    with pytest.raises(ShipshapeError) as caught:
        copy_image("web:1", f"unix://{tmp_path / 'host.sock'}", f"unix://{tmp_path / 'node.sock'}")
    for t in threads:
        t.join(5)
    for server in servers:
        server.close()
    assert caught.value.code == "load-failed"
    assert caught.value.one_line().startswith(f"load into unix://{tmp_path / 'node.sock'} failed: ")
