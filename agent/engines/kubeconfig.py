"""Which kubeconfig shipshape uses: the one place both the Kubernetes engine and helm find it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import EngineUnavailable

if TYPE_CHECKING:
    from agent.project.config import Project


def find_kubeconfig(project: Project | None) -> Path:
    """shipshape.toml's [cluster] kubeconfig, else $KUBECONFIG (its first existing file), else ~/.kube/config."""
    tried: list[str] = []
    if project is not None and project.cluster.kubeconfig is not None:
        path = project.cluster.kubeconfig
        if path.is_file():
            return path
        raise EngineUnavailable(
            f"no kubeconfig at {path} (named in {project.config_path})",
            "run make cluster, or fix [cluster] kubeconfig",
        )
    for entry in filter(None, os.environ.get("KUBECONFIG", "").split(os.pathsep)):
        tried.append(entry)
        if Path(entry).expanduser().is_file():
            return Path(entry).expanduser()
    default = Path("~/.kube/config").expanduser()
    tried.append(str(default))
    if default.is_file():
        return default
    raise EngineUnavailable(
        f"no kubeconfig found (looked at {', '.join(tried)})", "run make cluster, or set KUBECONFIG"
    )


def context_namespace(path: Path, context: str | None = None) -> str | None:
    """The namespace the kubeconfig's current context (or `context`) names, as kubectl uses it; None when it
    names none (kubectl then uses "default")."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(doc, dict):
        return None
    wanted = context or doc.get("current-context")
    for entry in doc.get("contexts") or []:
        if isinstance(entry, dict) and entry.get("name") == wanted:
            namespace = (entry.get("context") or {}).get("namespace")
            return str(namespace) if namespace else None
    return None
