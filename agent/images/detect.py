"""`shipshape init`: find a project's Dockerfiles, Prisma schemas, package.json files, Helm charts and
Kubernetes manifests, and write a shipshape.toml that `agent.project.config.load_project` accepts as it is.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from agent.project.config import BACKEND_BUDGET, CONFIG_NAME, FRONTEND_BUDGET

SKIP_DIRS = {
    ".git",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".next",
    "dist",
    "build",
    ".cluster",
    ".tools",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "vendor",
}
_DOCKERFILE = re.compile(r"^(Dockerfile|Containerfile)(\.[\w.-]+)?$|^[\w.-]+\.Dockerfile$")
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE | re.MULTILINE)
_KIND_DEPLOYMENT = re.compile(r"^kind:\s*Deployment\s*$", re.MULTILINE)


@dataclass
class DetectedImage:
    name: str
    context: Path
    dockerfile: str
    target: str | None
    budget: int
    prisma_schema: Path | None = None
    deployment: str | None = None


@dataclass
class Detected:
    root: Path
    images: list[DetectedImage] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)
    manifests: list[Path] = field(default_factory=list)
    deployments: list[str] = field(default_factory=list)


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".engines"))
        found.extend(Path(dirpath) / name for name in sorted(filenames))
    return found


def _name_for(root: Path, context: Path, dockerfile: str, taken: set[str]) -> str:
    base = context.name if context != root else root.name
    suffix = dockerfile.removeprefix("Dockerfile").removeprefix("Containerfile").strip(".")
    if dockerfile.endswith(".Dockerfile"):
        suffix = dockerfile[: -len(".Dockerfile")]
    name = re.sub(r"[^a-z0-9-]+", "-", f"{base}-{suffix}" if suffix else base, flags=re.IGNORECASE)
    name = name.strip("-").lower() or "app"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _final_stage(text: str) -> str | None:
    stages = _FROM.findall(text)
    return stages[-1][1] or None if stages else None


def _frontend_like(context: Path, name: str) -> bool:
    package = context / "package.json"
    if "front" in name or "web" in name:
        return True
    if package.is_file():
        try:
            deps = json.loads(package.read_text(encoding="utf-8")).get("dependencies", {})
        except (ValueError, OSError):
            return True
        return any(k in deps for k in ("next", "react", "vue", "svelte", "@angular/core"))
    return False


def _deployment_names(text: str) -> list[str]:
    """Names of the Deployments in a (multi-document) manifest; [] when it is not plain YAML."""
    import yaml

    try:
        docs = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return []
    return [
        str(d["metadata"]["name"])
        for d in docs
        if isinstance(d, dict)
        and d.get("kind") == "Deployment"
        and isinstance(d.get("metadata"), dict)
        and d["metadata"].get("name")
    ]


def detect(root: Path) -> Detected:
    """Everything shipshape can describe under `root`."""
    root = root.resolve()
    result = Detected(root)
    files = _walk(root)
    schemas = [f for f in files if f.name == "schema.prisma"]
    taken: set[str] = set()
    for path in files:
        if _DOCKERFILE.match(path.name) and not path.name.endswith((".backup", ".absent", ".md")):
            context = path.parent
            text = path.read_text(encoding="utf-8", errors="replace")
            name = _name_for(root, context, path.name, taken)
            schema = next((s for s in schemas if context in s.parents), None)
            budget = FRONTEND_BUDGET if (schema or _frontend_like(context, name)) else BACKEND_BUDGET
            result.images.append(DetectedImage(name, context, path.name, _final_stage(text), budget, schema))
        elif path.name == "Chart.yaml":
            result.charts.append(path.parent)
        elif path.suffix in (".yaml", ".yml") and not any(c in path.parents for c in result.charts):
            text = path.read_text(encoding="utf-8", errors="replace")
            if _KIND_DEPLOYMENT.search(text):
                names = _deployment_names(text)
                if names:
                    result.manifests.append(path)
                    result.deployments.extend(names)
    for image in result.images:
        image.deployment = next((d for d in result.deployments if image.name in d), None)
    return result


def _q(value: str) -> str:
    return json.dumps(value)


def _rel(path: Path, root: Path) -> str:
    rel = os.path.relpath(path, root)
    return "." if rel == "." else rel.replace(os.sep, "/")


def render(found: Detected) -> str:
    """The shipshape.toml text for what was detected."""
    root = found.root
    lines = [
        "# Written by `shipshape init`. Paths are relative to this file.",
        "",
        "[project]",
        f"name = {_q(root.name)}",
    ]
    for image in found.images:
        lines += [
            "",
            "[[images]]",
            f"name = {_q(image.name)}",
            f"context = {_q(_rel(image.context, root))}",
            f"dockerfile = {_q(image.dockerfile)}",
        ]
        if image.target:
            lines.append(f"target = {_q(image.target)}")
        lines.append(f"budget = {_q(f'{image.budget // 1000**2}MB')}")
        if image.prisma_schema:
            lines.append(f"prisma_schema = {_q(_rel(image.prisma_schema, root))}")
        lines.append(f"repository = {_q(f'{root.name}-{image.name}'.lower())}")
        if image.deployment:
            lines.append(f"deployment = {_q(image.deployment)}")
    lines += [
        "",
        "[cluster]",
        "# How images get onto the cluster's node: daemon (needs node_docker_host), registry, shared (the node",
        "# uses this Docker daemon, as with `minikube docker-env`), minikube, kind or k3d.",
        'loader = "shared"',
    ]
    if found.manifests:
        lines.append("# Kubernetes manifests found: " + ", ".join(_rel(m, root) for m in found.manifests))
    if found.charts:
        chart = found.charts[0]
        lines += ["", "[helm]", f"release = {_q(root.name)}", f"chart = {_q(_rel(chart, root))}"]
    return "\n".join(lines) + "\n"


def init_project(root: Path, force: bool = False) -> tuple[Path, Detected]:
    """Detect and write `root/shipshape.toml` (refusing to overwrite one unless `force`); check it loads."""
    from agent.engines.files import atomic_write
    from agent.errors import ConfigError
    from agent.project.config import load_project

    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(f"{root} is not a directory", "give the project's directory: shipshape init PATH")
    target = root / CONFIG_NAME
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists", "pass --force to replace it")
    found = detect(root)
    if not found.images:
        raise ConfigError(f"no Dockerfile under {root}", "shipshape builds images from Dockerfiles")
    old = target.read_bytes() if target.exists() else None
    atomic_write(target, render(found))
    try:
        load_project(target)
    except ConfigError:
        if old is None:
            target.unlink()
        else:
            atomic_write(target, old)
        raise
    return target, found
