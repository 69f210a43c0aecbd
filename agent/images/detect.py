"""`shipshape init`: find a project's images, Prisma schemas, Helm charts and Kubernetes manifests from the
evidence the project itself holds, and write a shipshape.toml that `agent.project.config.load_project` accepts.

For each Dockerfile, in order of strength: a CI workflow or compose file or build script that builds it (its
context, file and target), else the paths its COPY/ADD instructions name (agent/images/context.py). Dockerfiles
that are development-only, archived, in a devcontainer, an example or a test, or whose COPY sources exist nowhere,
are left out and listed. Schemas are found the way Prisma finds them (agent/prisma/discover.py) and linked to the
image whose Dockerfile copies them or runs `prisma generate` on them. docs/init.md has the rules.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from agent.images.context import excluded_reason, guess_context
from agent.images.evidence import BuildRef, gather
from agent.images.generated import package_scripts
from agent.prisma.discover import SchemaSource, discover_schemas
from agent.prisma.generate import GENERATE, generating_scripts, runs_generate
from agent.prisma.stages import StageBody, feeding_stages, parse_dockerfile, runtime_stage
from agent.project.config import BACKEND_BUDGET, FRONTEND_BUDGET
from agent.project.names import image_name, release_name, repository_name

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
    ".turbo",
}
_DOCKERFILE = re.compile(r"^(Dockerfile|Containerfile)(\.[\w.-]+)?$|^[\w.-]+\.(Dockerfile|Containerfile)$")
_KIND_DEPLOYMENT = re.compile(r"^kind:\s*Deployment\s*$", re.MULTILINE)
_DOCKER_DIRS = {"docker", ".docker", "dockerfiles", "deploy", "deployment", "container", "containers", "build"}
_STRENGTH = {"ci": 0, "compose": 1, "script": 2}


@dataclass
class DetectedImage:
    name: str
    context: Path
    dockerfile: str
    target: str | None
    budget: int
    prisma_schema: Path | None = None
    deployment: str | None = None
    dockerfile_path: Path | None = None
    why: list[str] = field(default_factory=list)  # where each choice came from, for the comment


@dataclass
class Detected:
    root: Path
    images: list[DetectedImage] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)
    manifests: list[Path] = field(default_factory=list)
    deployments: list[str] = field(default_factory=list)
    left_out: list[tuple[Path, str]] = field(default_factory=list)
    schemas: list[SchemaSource] = field(default_factory=list)
    chart_names: dict[Path, str] = field(default_factory=dict)


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".engines"))
        found.extend(Path(dirpath) / name for name in sorted(filenames))
    return found


def _rel(path: Path, root: Path) -> str:
    rel = os.path.relpath(path, root)
    return "." if rel == "." else rel.replace(os.sep, "/")


def _base_name(root: Path, dockerfile: Path) -> str:
    folder = dockerfile.parent
    base = root.name if folder == root or folder.name.lower() in _DOCKER_DIRS else folder.name
    name = dockerfile.name
    suffix = ""
    for kind in ("Dockerfile", "Containerfile"):
        if name.startswith(kind):
            suffix = name[len(kind) :].strip(".")
        elif name.endswith("." + kind):
            suffix = name[: -len(kind) - 1]
    return f"{base}-{suffix}" if suffix else base


def _target_name(root: Path, dockerfile: Path, target: str | None) -> str | None:
    """A target's image name: the target itself for a root or docker/ Dockerfile, else folder-target."""
    if not target:
        return None
    folder = dockerfile.parent
    return target if folder == root or folder.name.lower() in _DOCKER_DIRS else f"{folder.name}-{target}"


def _frontend_like(context: Path, name: str) -> bool:
    if "front" in name or "web" in name:
        return True
    package = context / "package.json"
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


def _tokens(stages: list[StageBody]) -> list[str]:
    """Every path-like word the Dockerfile's COPY/ADD and RUN instructions name, normalised, in order."""
    out: list[str] = []
    for stage in stages:
        words = [w for c in stage.copies for w in c.sources]
        # in RUN lines only path-like words (a bare `prisma` is the command, not the folder)
        words += [w for run in stage.runs for w in re.split(r"[\s=;&|()'\"]+", run) if "/" in w or "." in w]
        out += [w.removeprefix("./").rstrip("/") for w in words if w and w not in (".", "./")]
    return out


def _names(token: str, rel: str, inside: bool = False) -> bool:
    """Does a path-like word name `rel` (or, with `inside`, a file in it)?"""
    if not rel or rel == ".":
        return False
    if token == rel or token.endswith("/" + rel):
        return True
    return inside and (token.startswith(rel + "/") or f"/{rel}/" in token)


def link_schema(
    image: DetectedImage, stages: list[StageBody], schemas: list[SchemaSource], generates: bool, root: Path
) -> tuple[SchemaSource | None, str, list[SchemaSource]]:
    """The schema the image's Dockerfile (the stages that feed the image) copies or generates from, why, and the
    other schemas it also names. With no schema named, the only schema in the build context is linked when the
    stages run `prisma generate` themselves or copy Prisma's files (never the first of several)."""
    inside = [s for s in schemas if s.path == image.context or image.context in s.path.parents]
    if not inside:
        return None, "", []
    tokens = _tokens(stages)
    named: list[tuple[int, SchemaSource, str]] = []
    for schema in inside:
        rels = [(_rel(schema.path, image.context), False)]
        if not schema.is_folder:
            rels.append((_rel(schema.path.parent, image.context), False))
        if schema.package_dir != image.context:
            rels.append((_rel(schema.package_dir, image.context), True))
        hit = next(((i, t) for i, t in enumerate(tokens) for r, deep in rels if _names(t, r, deep)), None)
        if hit:
            named.append((hit[0], schema, hit[1]))
    named.sort(key=lambda n: n[0])
    also = " and runs prisma generate" if generates else ""
    if named:
        _, schema, token = named[0]
        others = [s for _, s, _ in named[1:] if s is not schema]
        return schema, f"the Dockerfile names it ({token}){also}; found by {schema.how}", others
    explicit = any(GENERATE.search(run) for s in stages for run in s.runs)
    copies_prisma = any("prisma" in t.lower() for t in tokens)
    if len(inside) == 1 and (explicit or copies_prisma):
        what = "runs prisma generate" if explicit else "copies Prisma's files"
        return inside[0], f"the only schema in the build context, and the Dockerfile {what}; {inside[0].how}", []
    return None, "", []


def _strongest(refs: list[BuildRef], root: Path) -> list[BuildRef]:
    """One reference per target: CI first, then compose, then scripts; evidence from development files last."""

    def rank(ref: BuildRef) -> tuple[int, int]:
        return (excluded_reason(root / ref.where, root) is not None, _STRENGTH[ref.source])

    best: dict[str | None, BuildRef] = {}
    for ref in sorted(refs, key=rank):
        best.setdefault(ref.target, ref)
    return list(best.values())


def _images_for(root: Path, dockerfile: Path, stages: list[StageBody], refs: list[BuildRef]) -> list[DetectedImage]:
    chosen = _strongest(refs, root)
    final = stages[-1].name if stages and stages[-1].name else None
    images = []
    if chosen:
        for ref in chosen:
            if ref.target is None and final is not None and any(r.target == final for r in chosen):
                continue  # the same image as the explicit target
            says = f"{ref.where} builds it" + (f" (target {ref.target})" if ref.target else "")
            name = ref.name or _target_name(root, dockerfile, ref.target) or _base_name(root, dockerfile)
            image = DetectedImage(name, ref.context, _rel(dockerfile, ref.context), ref.target or final, 0)
            image.why.append(f"context {_rel(ref.context, root)}: {says}")
            images.append(image)
        return images
    guess = guess_context(dockerfile, root, stages)
    image = DetectedImage(_base_name(root, dockerfile), guess.context, _rel(dockerfile, guess.context), final, 0)
    image.why.append(f"context {_rel(guess.context, root)}: {guess.why}")
    return [image]


def detect(root: Path) -> Detected:
    """Everything shipshape can describe under `root`, with the evidence for each choice."""
    root = root.resolve()
    result = Detected(root)
    files = _walk(root)
    refs = gather(root, files)
    generate_scripts = generating_scripts(package_scripts(root))
    result.schemas = discover_schemas(root, files, lambda p: excluded_reason(p, root))
    taken: set[str] = set()
    for path in files:
        if _DOCKERFILE.match(path.name) and not path.name.endswith((".backup", ".absent", ".md", ".dockerignore")):
            _add_dockerfile(
                result, root, path, [r for r in refs if r.dockerfile == path.resolve()], taken, generate_scripts
            )
        elif path.name == "Chart.yaml":
            reason = excluded_reason(path, root)
            if reason:
                result.left_out.append((path.parent, f"a Helm chart, {reason}"))
            else:
                result.charts.append(path.parent)
                result.chart_names[path.parent] = _chart_name(path) or root.name
        elif path.suffix in (".yaml", ".yml") and not any(c in path.parents for c in result.charts):
            text = path.read_text(encoding="utf-8", errors="replace")
            if _KIND_DEPLOYMENT.search(text) and not excluded_reason(path, root):
                names = _deployment_names(text)
                if names:
                    result.manifests.append(path)
                    result.deployments.extend(names)
    for image in result.images:
        image.deployment = next((d for d in result.deployments if image.name in d), None)
    return result


def _chart_name(chart_yaml: Path) -> str | None:
    import yaml

    try:
        doc = yaml.safe_load(chart_yaml.read_text(encoding="utf-8", errors="replace"))
    except yaml.YAMLError:
        return None
    return str(doc["name"]) if isinstance(doc, dict) and doc.get("name") else None


def _add_dockerfile(
    result: Detected, root: Path, path: Path, refs: list[BuildRef], taken: set[str], generate_scripts: set[str]
) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    stages = parse_dockerfile(text)
    reason = excluded_reason(path, root)
    trusted = [r for r in refs if excluded_reason(root / r.where, root) is None]
    if reason and not trusted:
        result.left_out.append((path, reason))
        return
    if not stages:
        result.left_out.append((path, "it has no FROM line"))
        return
    if not refs:
        guess = guess_context(path, root, stages)
        if guess.missing:
            missing = ", ".join(guess.missing[:3])
            result.left_out.append((path, f"its COPY sources ({missing}) exist nowhere in the project"))
            return
    for image in _images_for(root, path, stages, refs):
        image.name = _unique(image_name(image.name), taken)
        image.dockerfile_path = path
        runtime = runtime_stage(stages, image.target)
        feeding = feeding_stages(stages, runtime) if runtime is not None else stages
        feeding = sorted(feeding, key=lambda s: s.index)
        generates = any(runs_generate(run, generate_scripts) for s in feeding for run in s.runs)
        schema, why, others = link_schema(image, feeding, result.schemas, generates, root)
        if schema is not None:
            image.prisma_schema = schema.path
            image.why.append(f"prisma_schema: {why}")
            if others:
                image.why.append("also named, not checked: " + ", ".join(_rel(o.path, root) for o in others))
        image.budget = FRONTEND_BUDGET if (schema or _frontend_like(image.context, image.name)) else BACKEND_BUDGET
        result.images.append(image)


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate


__all__ = ["Detected", "DetectedImage", "detect", "release_name", "repository_name"]
