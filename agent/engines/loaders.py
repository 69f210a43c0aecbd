"""Loaders: how a built image gets from the build host onto the cluster's node.

Every loader answers two questions: is the image already on the node (by image ID, never by tag alone, since a
tag can point at an older image), and load it. `load` skips when the node has the same image ID and verifies
presence by ID afterwards, because some tools report success on a node where the load did not happen
(`minikube image load` on the docker runtime keeps the old image when a running pod uses the tag).

- `daemon`: `docker save` on the host streamed straight into `docker load` on the node's daemon (the mechanism
  inside `minikube image load`): the bytes are copied between the two daemon sockets as they arrive, no
  temporary file, nothing decoded.
- `registry`: push to a registry the node can reach, pull on the node, tag back to the plain name.
- `shared`: the node uses the build daemon (`minikube docker-env`): nothing to move, only verify.
- `minikube`, `kind`, `k3d`: their own commands, then a check by ID.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from agent.errors import ConfigError, EngineUnavailable, ShipshapeError

if TYPE_CHECKING:
    from agent.engines.docker import DockerEngine
    from agent.project.config import Project

Progress = Callable[[int, int | None], None]
PIECE = 1024 * 1024


@dataclass
class LoadResult:
    """What one load did. `verified`: the node was seen holding the image ID afterwards."""

    loaded: bool
    skipped: bool
    seconds: float
    bytes: int
    verified: bool
    loader: str = ""


class Loader(Protocol):
    """Gets images onto the cluster's node."""

    name: str

    def present(self, image_id: str, ref: str) -> bool: ...

    def load(self, ref: str, image_id: str, progress: Progress | None = None) -> LoadResult: ...


def _not_verified(loader: str, ref: str, image_id: str) -> ShipshapeError:
    return ShipshapeError(
        f"{loader} loader: after loading {ref}, the node does not hold image {image_id[:19]}",
        "the load reported success but did not happen; retry with --force, or try another loader",
        code="load-unverified",
    )


class _NodeDaemonLoader:
    """Shared logic of loaders that can ask the node's own Docker daemon what it holds."""

    name = "node"

    def __init__(self, host: DockerEngine, node: DockerEngine) -> None:
        self.host = host
        self.node = node

    def present(self, image_id: str, ref: str) -> bool:
        found = self.node.image(ref)
        if found and found["Id"] == image_id:
            return True
        if self.node.has_image_id(image_id):
            # Same image under another tag: tagging is all that is missing.
            repository, _, tag = ref.rpartition(":")
            self.node.tag(image_id, repository, tag)
            return True
        return False

    def _transfer(self, ref: str, image_id: str, progress: Progress | None) -> int:
        raise NotImplementedError

    def load(self, ref: str, image_id: str, progress: Progress | None = None) -> LoadResult:
        started = time.monotonic()
        if self.present(image_id, ref):
            return LoadResult(False, True, time.monotonic() - started, 0, True, self.name)
        moved = self._transfer(ref, image_id, progress)
        if not self.present(image_id, ref):
            raise _not_verified(self.name, ref, image_id)
        return LoadResult(True, False, time.monotonic() - started, moved, True, self.name)


def _pipe(source: Iterator[bytes], progress: Progress | None, total: int | None) -> Iterator[bytes]:
    """Re-yield `source` while a reader thread keeps it flowing, so reading the host and writing the node
    overlap (as `docker save | docker load` does with two processes). The daemon sends small HTTP chunks
    (32 KiB); they are coalesced into ~1 MiB pieces so the node receives few, large chunks. At most 8 pieces
    are held in memory."""
    buffer: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)

    def reader() -> None:
        try:
            pending: list[bytes] = []
            size = 0
            for chunk in source:
                pending.append(chunk)
                size += len(chunk)
                if size >= PIECE:
                    buffer.put(b"".join(pending))
                    pending, size = [], 0
            if pending:
                buffer.put(b"".join(pending))
            buffer.put(None)
        except BaseException as exc:
            buffer.put(exc)

    threading.Thread(target=reader, name="image-save", daemon=True).start()
    done = 0
    while True:
        item = buffer.get()
        if item is None:
            return
        if isinstance(item, BaseException):
            raise item
        done += len(item)
        if progress:
            progress(done, max(total or 0, done) or None)
        yield item


class DaemonLoader(_NodeDaemonLoader):
    """The host's `docker save` stream piped into the node daemon's `docker load`."""

    name = "daemon"

    def _transfer(self, ref: str, image_id: str, progress: Progress | None) -> int:
        found = self.host.image(ref)
        total = int(found["Size"]) if found else None

        def report(done: int) -> None:
            if progress:
                progress(done, max(total or 0, done) or None)

        moved = self.host.copy_image_to(ref, self.node, report)
        if moved is None:
            # A transport that is not a plain socket (ssh://, TLS): stream through the SDK instead.
            moved = 0

            def counting() -> Iterator[bytes]:
                nonlocal moved
                for chunk in _pipe(self.host.save_stream(ref), progress, total):
                    moved += len(chunk)
                    yield chunk

            self.node.load_stream(counting())
        if progress:
            progress(moved, moved)  # the stream's real length closes the bar
        return moved


class RegistryLoader(_NodeDaemonLoader):
    """Push to the registry, pull on the node, tag back to the plain name the pod spec uses."""

    name = "registry"

    def __init__(self, host: DockerEngine, node: DockerEngine, registry: str) -> None:
        super().__init__(host, node)
        self.registry = registry.rstrip("/")

    def _transfer(self, ref: str, image_id: str, progress: Progress | None) -> int:
        repository, _, tag = ref.rpartition(":")
        remote_repo = f"{self.registry}/{repository}"
        self.host.tag(ref, remote_repo, tag)
        try:
            self.host.push(f"{remote_repo}:{tag}")
        except ShipshapeError as exc:
            raise ShipshapeError(
                exc.message, f"is the registry on {self.registry} running? ('make registry')", code=exc.code
            ) from None
        self.node.pull(f"{remote_repo}:{tag}")
        self.node.tag(f"{remote_repo}:{tag}", repository, tag)
        found = self.node.image(ref)
        size = int(found["Size"]) if found else 0
        if progress:
            progress(size, size)
        return size


class SharedLoader:
    """The node uses the build daemon (`minikube docker-env`): the image is already there; verify it."""

    name = "shared"

    def __init__(self, host: DockerEngine) -> None:
        self.host = host

    def present(self, image_id: str, ref: str) -> bool:
        found = self.host.image(ref)
        return bool(found) and found is not None and found["Id"] == image_id

    def load(self, ref: str, image_id: str, progress: Progress | None = None) -> LoadResult:
        started = time.monotonic()
        if not self.present(image_id, ref):
            raise _not_verified(self.name, ref, image_id)
        return LoadResult(False, True, time.monotonic() - started, 0, True, self.name)


def _run(cmd: list[str], what: str) -> str:
    if shutil.which(cmd[0]) is None:
        raise EngineUnavailable(
            f"{cmd[0]} is not installed (needed by the {what} loader)",
            "install it, or set [cluster] loader in shipshape.toml",
        )
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()
        raise ShipshapeError(
            f"{' '.join(cmd[:3])} failed (exit {result.returncode}): {last[-1] if last else 'no output'}",
            code="load-failed",
        )
    return result.stdout


class CommandLoader:
    """A loader that runs a cluster tool's own command (`minikube image load`, `kind load`, `k3d image
    import`) and checks the node's image list by ID."""

    def __init__(self, name: str, load_cmd: list[str], list_cmd: list[str] | None, node: DockerEngine | None) -> None:
        self.name = name
        self.load_cmd = load_cmd
        self.list_cmd = list_cmd
        self.node = node

    def present(self, image_id: str, ref: str) -> bool:
        if self.list_cmd is not None:
            return image_id in _ids_from_listing(_run(self.list_cmd, self.name))
        if self.node is not None:
            return self.node.has_image_id(image_id)
        return False

    def load(self, ref: str, image_id: str, progress: Progress | None = None) -> LoadResult:
        started = time.monotonic()
        if self.present(image_id, ref):
            return LoadResult(False, True, time.monotonic() - started, 0, True, self.name)
        _run([*self.load_cmd, ref], self.name)
        can_verify = self.list_cmd is not None or self.node is not None
        if can_verify and not self.present(image_id, ref):
            raise _not_verified(self.name, ref, image_id)
        return LoadResult(True, False, time.monotonic() - started, 0, can_verify, self.name)


def _ids_from_listing(text: str) -> set[str]:
    """Image IDs from `minikube image ls --format json` (a JSON list of {id, repoTags, ...}).

    minikube prints IDs without the `sha256:` prefix; both forms are returned.
    """
    ids: set[str] = set()
    try:
        entries = json.loads(text or "[]")
    except ValueError:
        return ids
    for entry in entries if isinstance(entries, list) else []:
        raw = str(entry.get("id") or entry.get("Id") or "") if isinstance(entry, dict) else ""
        if raw:
            bare = raw.removeprefix("sha256:")
            ids.update({bare, f"sha256:{bare}"})
    return ids


def make_loader(project: Project, host: DockerEngine) -> Loader:
    """The loader that `[cluster] loader` names."""
    from agent.engines.docker import DockerEngine

    cluster = project.cluster
    node = DockerEngine(cluster.node_docker_host) if cluster.node_docker_host else None
    name = cluster.loader
    if name in ("daemon", "registry"):
        if node is None:
            raise ConfigError(
                f"the {name} loader needs [cluster] node_docker_host (the node's Docker daemon)",
                "set it in shipshape.toml or SHIPSHAPE_NODE_DOCKER_HOST",
            )
        node.ping()
        if name == "daemon":
            return DaemonLoader(host, node)
        return RegistryLoader(host, node, cluster.registry)
    if name == "shared":
        return SharedLoader(host)
    if name == "minikube":
        profile = cluster.minikube_profile
        return CommandLoader(
            "minikube",
            ["minikube", "-p", profile, "image", "load"],
            ["minikube", "-p", profile, "image", "ls", "--format", "json"],
            None,
        )
    if name == "kind":
        return CommandLoader("kind", ["kind", "load", "docker-image", "--name", cluster.kind_cluster], None, node)
    if name == "k3d":
        return CommandLoader("k3d", ["k3d", "image", "import", "-c", cluster.k3d_cluster], None, node)
    raise ConfigError(f"unknown loader {name!r}", "use daemon, registry, shared, minikube, kind or k3d")
