"""What a tool gets to work with: the project, memory, a reporter, and the engines (made on first use)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from agent.project.config import Project

if TYPE_CHECKING:
    from agent.engines.docker import DockerEngine
    from agent.engines.files import FileEditor
    from agent.engines.helm import HelmEngine
    from agent.engines.kube import KubeEngine
    from agent.engines.kube_write import DeploymentWriter
    from agent.memory.store import Store


class Reporter(Protocol):
    """Where tools send progress: build log lines, load progress, notes. The CLI shows them with rich."""

    def log(self, source: str, line: str) -> None: ...

    def progress(self, task: str, done: float, total: float | None) -> None: ...

    def note(self, text: str) -> None: ...


class NullReporter:
    """A reporter that drops everything (tests, MCP, --json)."""

    def log(self, source: str, line: str) -> None:
        pass

    def progress(self, task: str, done: float, total: float | None) -> None:
        pass

    def note(self, text: str) -> None:
        pass


@dataclass
class ToolContext:
    """Shared by every tool call of one run. Engines are created lazily so a read of memory needs no daemon."""

    project: Project
    store: Store
    reporter: Reporter = field(default_factory=NullReporter)
    dry_run: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def namespace(self, given: str | None) -> str:
        """The namespace a tool acts in: the one it was given, else the project's."""
        return given or self.project.cluster.namespace

    def _lazy(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def docker(self) -> DockerEngine:
        """The build host's Docker daemon."""
        from agent.engines.docker import DockerEngine

        return self._lazy("docker", DockerEngine.from_env)

    def docker_or_none(self) -> DockerEngine | None:
        """The build host's daemon when one answers; None otherwise (checks that can do without it go on)."""
        from agent.errors import ShipshapeError

        try:
            return self.docker
        except ShipshapeError:
            return None

    @property
    def kube(self) -> KubeEngine:
        """The cluster's API server."""
        from agent.engines.kube import KubeEngine

        return self._lazy("kube", lambda: KubeEngine.from_project(self.project))

    @property
    def deployments(self) -> DeploymentWriter:
        """Journalled, undoable writes of deployment specs (the cluster's counterpart of `files`)."""
        from agent.engines.kube_write import DeploymentWriter

        return self._lazy("deployments", lambda: DeploymentWriter(self.kube, self.store, str(self.project.root)))

    @property
    def helm(self) -> HelmEngine:
        from agent.engines.helm import HelmEngine

        return self._lazy("helm", lambda: HelmEngine.from_project(self.project))

    @property
    def files(self) -> FileEditor:
        """Atomic, backed-up, undoable edits confined to the project's files."""
        from agent.engines.files import FileEditor

        return self._lazy("files", lambda: FileEditor(self.project.root, self.store))


def data_dir(ctx: ToolContext) -> Path:
    """Build logs and caches live next to the memory database (the user's data directory by default)."""
    if str(ctx.store.path) == ":memory:":
        from platformdirs import user_data_dir

        return Path(user_data_dir("shipshape"))
    return Path(ctx.store.path).parent


def remembered(ctx: ToolContext, key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`compute()`, kept under `key` in a small JSON file of the data dir (the last 400 answers), for facts about an
    image ID, which never change: a no-op rebuild then reads them instead of opening a container."""
    import json

    from agent.engines.files import atomic_write

    path = data_dir(ctx) / "image-facts.json"
    try:
        known: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        known = {}
    if isinstance(known.get(key), dict):
        return dict(known[key])
    answer = compute()
    known[key] = answer
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(dict(list(known.items())[-400:])))
    return answer


def confined_log(ctx: ToolContext, log_path: str) -> Path:
    """The log file, if it lies inside the project or the logs directory shipshape writes builds to (symlinks
    resolved first); a path anywhere else is refused before it is opened."""
    from agent.engines.files import confine

    logs = data_dir(ctx) / "logs"
    return confine(log_path, [ctx.project.root, logs], what=f"the project {ctx.project.root} and {logs}")
