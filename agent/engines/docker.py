"""The Docker engine: the only module that imports the docker SDK.

It drives the classic builder (dockerd 20.10 without buildx) through the SDK's low-level API so the build log
can be streamed line by line, and it reads files out of an image without running it (create a container,
`get_archive`, remove the container). Images move between daemons as streams, never as temporary files (the
socket-to-socket copy lives in `agent.engines.imagecopy`).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tarfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

import docker
import docker.errors
import requests.exceptions

from agent.engines.imagecopy import copy_image
from agent.errors import EngineUnavailable, ShipshapeError
from agent.redaction import redact

DEFAULT_HOST = "unix:///var/run/docker.sock"
# Chunk size of image streams: big enough for throughput, small enough to keep memory flat.
STREAM_CHUNK = 1024 * 1024
_STEP = re.compile(r"^Step \d+/\d+ : ")


class ImageFiles(NamedTuple):
    """What `probe_files` found in an image."""

    present: set[str]
    texts: dict[str, bytes]


@dataclass
class BuildOutcome:
    """What one build produced. A failed build is an outcome, not an exception: the log says why."""

    ok: bool
    tag: str
    image_id: str | None
    seconds: float
    log_path: Path | None
    failed_step: str | None = None
    error: str | None = None
    exit_code: int | None = None
    log_tail: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Layer:
    """One entry of `docker history`: the instruction that made it and its size in bytes."""

    created_by: str
    size: int
    layer_id: str


def _short_instruction(created_by: str) -> str:
    text = created_by.replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ").strip()
    return text if len(text) <= 120 else text[:117] + "..."


class DockerEngine:
    """One Docker daemon (the build host's, or the cluster node's)."""

    def __init__(self, base_url: str | None = None, timeout: int = 600) -> None:
        self.base_url = base_url or os.environ.get("DOCKER_HOST") or DEFAULT_HOST
        try:
            self.api = docker.APIClient(base_url=self.base_url, version="1.41", timeout=timeout)
        except docker.errors.DockerException as exc:
            raise self._unavailable(exc) from None

    @classmethod
    def from_env(cls) -> DockerEngine:
        """The daemon named by DOCKER_HOST, else the local socket."""
        return cls(os.environ.get("DOCKER_HOST") or DEFAULT_HOST)

    def _unavailable(self, exc: Exception | None = None) -> EngineUnavailable:
        why = f": {str(exc).splitlines()[0][:160]}" if exc else ""
        return EngineUnavailable(
            f"no Docker daemon answers on {self.base_url}{why}",
            "start it with 'make env' (or 'make node' for the cluster node's daemon)",
        )

    def ping(self) -> None:
        """Nothing when the daemon answers, else EngineUnavailable (one line: the socket and what to run)."""
        try:
            self.api.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
            raise self._unavailable(exc) from None

    def version(self) -> str:
        """The daemon's version (e.g. 20.10.24+dfsg1)."""
        self.ping()
        return str(self.api.version()["Version"])

    # -- images -------------------------------------------------------------------------------------

    def image(self, ref: str) -> dict[str, Any] | None:
        """`docker image inspect REF`, or None when the daemon has no such image. A malformed reference is an
        InvalidReference, never "no daemon answers"."""
        from agent.project.names import check_reference

        if not ref.startswith("sha256:"):
            check_reference(ref)
        try:
            return dict(self.api.inspect_image(ref))
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.NotFound:
            return None
        except (requests.exceptions.RequestException, OSError) as exc:
            raise self._unavailable(exc) from None

    def image_id(self, ref: str) -> str | None:
        found = self.image(ref)
        return str(found["Id"]) if found else None

    def has_image_id(self, image_id: str) -> bool:
        """Whether this daemon holds exactly this image (by ID, whatever its tags)."""
        found = self.image(image_id)
        return bool(found) and found is not None and found["Id"] == image_id

    def size(self, ref: str) -> int:
        """The uncompressed size the daemon reports (`docker image inspect .Size`)."""
        found = self.image(ref)
        if not found:
            raise ShipshapeError(f"image {ref} is not on {self.base_url}", code="no-image")
        return int(found["Size"])

    def history(self, ref: str) -> list[Layer]:
        """The image's layers, newest first, as `docker history` shows them."""
        return [
            Layer(_short_instruction(str(h.get("CreatedBy", ""))), int(h.get("Size", 0)), str(h.get("Id", "")))
            for h in self.api.history(ref)
        ]

    def tag(self, ref: str, repository: str, tag: str) -> None:
        self.api.tag(ref, repository, tag)

    def remove_image(self, ref: str, force: bool = False) -> None:
        with contextlib.suppress(docker.errors.NotFound):
            self.api.remove_image(ref, force=force, noprune=False)

    def push(self, ref: str, on_line: Callable[[str], None] | None = None) -> None:
        """`docker push REF`; a failure reported inside the stream raises ShipshapeError."""
        repository, _, tag = ref.rpartition(":")
        for event in self.api.push(repository, tag=tag, stream=True, decode=True):
            if "error" in event:
                raise ShipshapeError(f"push of {ref} failed: {event['error']}", code="push-failed")
            if on_line and event.get("status"):
                on_line(str(event["status"]))

    def pull(self, ref: str, on_line: Callable[[str], None] | None = None) -> None:
        """`docker pull REF`; a failure raises ShipshapeError."""
        repository, _, tag = ref.rpartition(":")
        try:
            for event in self.api.pull(repository, tag=tag, stream=True, decode=True):
                if "error" in event:
                    raise ShipshapeError(f"pull of {ref} failed: {event['error']}", code="pull-failed")
                if on_line and event.get("status"):
                    on_line(str(event["status"]))
        except docker.errors.APIError as exc:
            raise ShipshapeError(f"pull of {ref} failed: {exc.explanation}", code="pull-failed") from None

    # -- build ----------------------------------------------------------------------------------------

    def build(
        self,
        context: IO[bytes],
        dockerfile: str,
        tag: str,
        *,
        target: str | None = None,
        buildargs: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        on_line: Callable[[str], None] | None = None,
        log_path: Path | None = None,
        nocache: bool = False,
        network: str | None = None,
    ) -> BuildOutcome:
        """Build from a tar `context` (uncompressed) with the classic builder, streaming its log.

        The whole log goes to `log_path`; a failed build returns the failing step and the error. `network` is the
        RUN steps' network mode (`docker build --network`), e.g. "host" to reach a mirror on the host's loopback.
        """
        started = time.monotonic()
        step: str | None = None
        error: str | None = None
        exit_code: int | None = None
        image_id: str | None = None
        tail: list[str] = []
        if log_path:
            log_path.parent.mkdir(parents=True, exist_ok=True)
        log = log_path.open("w", encoding="utf-8") if log_path else None

        def emit(line: str) -> None:
            line = redact(line)  # the log file, the tail, the terminal and memory never see a secret
            tail.append(line)
            if len(tail) > 60:
                del tail[0]
            if log:
                log.write(line + "\n")
            if on_line:
                on_line(line)

        try:
            stream = self.api.build(
                fileobj=context,
                custom_context=True,
                dockerfile=dockerfile,
                tag=tag,
                target=target,
                buildargs=buildargs or {},
                labels=labels or {},
                decode=True,
                rm=True,
                forcerm=True,
                nocache=nocache,
                network_mode=network,
            )
            pending = ""
            for event in stream:
                if "stream" in event:
                    pending += str(event["stream"])
                    *lines, pending = pending.split("\n")
                    for line in lines:
                        if _STEP.match(line):
                            step = redact(line)
                        emit(line)
                if "aux" in event and isinstance(event["aux"], dict) and "ID" in event["aux"]:
                    image_id = str(event["aux"]["ID"])
                if "error" in event:
                    detail = event.get("errorDetail") or {}
                    error = redact(str(detail.get("message") or event["error"]).strip())
                    exit_code = detail.get("code")
                    emit(error)
            if pending:
                emit(pending)
        except docker.errors.APIError as exc:
            error = redact(str(exc.explanation or exc).strip())
            emit(error)
        except (requests.exceptions.RequestException, OSError) as exc:
            raise self._unavailable(exc) from None
        finally:
            if log:
                log.close()
        if error is None and image_id is None:
            image_id = self.image_id(tag)
        ok = error is None and image_id is not None
        return BuildOutcome(
            ok=ok,
            tag=tag,
            image_id=image_id if ok else None,
            seconds=time.monotonic() - started,
            log_path=log_path,
            failed_step=None if ok else step,
            error=None if ok else (error or "no image"),
            exit_code=exit_code,
            log_tail=tail,
        )

    # -- files inside an image --------------------------------------------------------------------------

    def read_file(self, ref: str, path: str, max_bytes: int = 64 * 1024 * 1024) -> bytes | None:
        """The content of `path` inside the image, without running it; None when there is no such file."""
        container = self.api.create_container(ref, command=["true"], entrypoint=[])
        try:
            try:
                chunks, _stat = self.api.get_archive(container["Id"], path)
            except docker.errors.NotFound:
                return None
            raw = io.BytesIO()
            for chunk in chunks:
                raw.write(chunk)
                if raw.tell() > max_bytes + 64 * 1024:
                    raise ShipshapeError(f"{path} in {ref} is larger than {max_bytes} bytes", code="too-big")
            raw.seek(0)
            with tarfile.open(fileobj=raw, mode="r:") as archive:
                for member in archive:
                    if member.isfile():
                        handle = archive.extractfile(member)
                        return handle.read(max_bytes) if handle else None
            return None
        finally:
            self.api.remove_container(container["Id"], force=True)

    def list_dir(self, ref: str, path: str) -> list[str]:
        """Names of the files directly under `path` inside the image ([] when it does not exist)."""
        container = self.api.create_container(ref, command=["true"], entrypoint=[])
        try:
            try:
                chunks, _stat = self.api.get_archive(container["Id"], path)
            except docker.errors.NotFound:
                return []
            raw = io.BytesIO(b"".join(chunks))
            with tarfile.open(fileobj=raw, mode="r:") as archive:
                names = [m.name.split("/", 1)[1] for m in archive if "/" in m.name and m.isfile()]
            return sorted(n for n in names if "/" not in n)
        finally:
            self.api.remove_container(container["Id"], force=True)

    def probe_files(self, ref: str, exists: list[str], read: list[str], max_bytes: int = 64 * 1024) -> ImageFiles:
        """Which of `exists` are in the image (files, links or folders), and the content of each of `read` that is
        a regular file: one container, created and removed, never started. Folders in a path resolve in the image
        (a merged-usr `/lib` leads into `/usr/lib`); the last element is not followed."""
        container = self.api.create_container(ref, command=["true"], entrypoint=[])
        present: set[str] = set()
        texts: dict[str, bytes] = {}
        try:
            for path in exists:
                try:
                    stream, _stat = self.api.get_archive(container["Id"], path, chunk_size=512)
                except docker.errors.NotFound:
                    continue
                close = getattr(stream, "close", None)
                if close:
                    close()
                present.add(path)
            for path in read:
                try:
                    chunks, _stat = self.api.get_archive(container["Id"], path)
                except docker.errors.NotFound:
                    continue
                raw = io.BytesIO()
                for chunk in chunks:
                    raw.write(chunk)
                    if raw.tell() > max_bytes + 64 * 1024:
                        break
                raw.seek(0)
                try:
                    with tarfile.open(fileobj=raw, mode="r:") as archive:
                        member = archive.next()
                        handle = archive.extractfile(member) if member and member.isfile() else None
                        if handle:
                            texts[path] = handle.read(max_bytes)
                except tarfile.TarError:
                    continue
        finally:
            self.api.remove_container(container["Id"], force=True)
        return ImageFiles(present, texts)

    # -- moving images between daemons -----------------------------------------------------------------

    def save_stream(self, ref: str) -> Iterator[bytes]:
        """`docker save REF` as a stream of chunks."""
        try:
            return iter(self.api.get_image(ref, chunk_size=STREAM_CHUNK))
        except docker.errors.NotFound:
            raise ShipshapeError(f"image {ref} is not on {self.base_url}", code="no-image") from None

    def copy_image_to(
        self, ref: str, target: DockerEngine, progress: Callable[[int], None] | None = None
    ) -> int | None:
        """`docker save REF | docker -H TARGET load` as one byte copy between two daemon sockets.

        The save response's HTTP chunks are forwarded verbatim as the load request's chunked body, so no
        byte is decoded, re-framed or stored: the copy runs at the daemons' speed. Returns the bytes moved,
        or None when a transport is not a plain socket (the caller then streams through the SDK).
        See `agent.engines.imagecopy`.
        """
        return copy_image(ref, self.base_url, target.base_url, progress)

    def load_stream(self, chunks: Iterable[bytes]) -> list[str]:
        """`docker load` from a stream of chunks; returns the daemon's messages (e.g. 'Loaded image: ...')."""
        messages: list[str] = []
        try:
            for event in self.api.load_image(chunks, quiet=True):
                if "error" in event:
                    raise ShipshapeError(f"load into {self.base_url} failed: {event['error']}", code="load-failed")
                if event.get("stream"):
                    messages.append(str(event["stream"]).strip())
        except docker.errors.APIError as exc:
            raise ShipshapeError(f"load into {self.base_url} failed: {exc.explanation}", code="load-failed") from None
        return messages
