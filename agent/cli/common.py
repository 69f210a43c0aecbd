"""Helpers shared by the CLI commands: JSON output, the rich console, loading the project and memory."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from agent.memory.store import Store
    from agent.project.config import Project
    from agent.tools.context import Reporter, ToolContext


class RedactingStream:
    """A text stream that redacts each write before it reaches the terminal: the last guard for whatever a
    command prints (the data is redacted before it is rendered too, since rich may wrap a secret in two)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        from agent.redaction import redact

        return int(self.stream.write(redact(text)) or 0)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return bool(self.stream.isatty())

    def fileno(self) -> int:
        return int(self.stream.fileno())

    @property
    def encoding(self) -> str:
        return str(getattr(self.stream, "encoding", "utf-8"))


def console(json_mode: bool = False) -> Console:
    """Logs and progress go to stderr when stdout carries JSON. What it prints is redacted."""
    from rich.console import Console

    stream = sys.stderr if json_mode else sys.stdout
    return Console(file=RedactingStream(stream), highlight=False)  # type: ignore[arg-type]


def emit_json(doc: Any) -> None:
    """The command's one JSON document on stdout, redacted."""
    from agent.redaction import redact_value

    sys.stdout.write(json.dumps(redact_value(json.loads(json.dumps(doc, default=str))), indent=2) + "\n")
    sys.stdout.flush()


def load(path: Path | None = None, project_dir: Path | None = None) -> Project:
    """The project of `-c/--config FILE` (or `-C/--project DIR`, else the working directory): the nearest
    shipshape.toml at or above it."""
    from agent.project.config import load_project

    if path is not None and project_dir is not None and not path.is_absolute():
        path = project_dir / path
    return load_project(path if path is not None else project_dir)


# Where `status`, `logs` and `health` may read when there is no shipshape.toml: the kubeconfig context's
# namespace (kubectl's default, "default" when the context names none), and the one the person names with -n.
def load_or_kubeconfig(path: Path | None, project_dir: Path | None, namespace: str | None) -> Project:
    """The project, or, when no shipshape.toml is found (and none was named), a project made of the kubeconfig
    alone: no images, the context's namespace as the default and only writable one, reads also in `namespace`."""
    from agent.errors import ConfigError
    from agent.project.config import find_config

    if path is not None:
        return load(path, project_dir)
    try:
        find_config(project_dir)
    except ConfigError:
        return kubeconfig_project(project_dir or Path.cwd(), namespace)
    return load(None, project_dir)


def kubeconfig_project(root: Path, namespace: str | None = None) -> Project:
    """A Project with no images, for commands that need only the cluster (KUBECONFIG, else ~/.kube/config)."""
    from agent.engines.kubeconfig import context_namespace, find_kubeconfig
    from agent.project.config import ClusterConfig, PolicyConfig, Project

    kubeconfig = find_kubeconfig(None)
    home = context_namespace(kubeconfig) or "default"
    reads = [home] + ([namespace] if namespace and namespace != home else [])
    return Project(
        root=root.resolve(),
        name="kubeconfig",
        images=[],
        cluster=ClusterConfig(namespace=home, kubeconfig=kubeconfig),
        policy=PolicyConfig(allowed_namespaces=[home], read_namespaces=reads),
    )


def open_store() -> Store:
    from agent.memory.store import Store

    return Store()


def make_context(
    project: Project, json_mode: bool, *, dry_run: bool = False, reporter: Reporter | None = None
) -> ToolContext:
    from agent.cli.reporter import RichReporter
    from agent.tools.context import ToolContext

    return ToolContext(
        project=project,
        store=open_store(),
        reporter=reporter or RichReporter(console(json_mode)),
        dry_run=dry_run,
    )
