"""A Dockerfile's build context from the Dockerfile itself: the folder (its own, or one above it up to the
project's root) where the paths its COPY/ADD instructions name exist, or, when it copies only `.`, the nearest
folder with a .dockerignore (or a project manifest) beside it. Also: which Dockerfiles are not the project's own
images (development-only, archived, devcontainer, examples and tests), and why.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.prisma.stages import StageBody

DEVELOPMENT_DIRS = {"development", "dev", ".devcontainer", "devcontainer", ".cursor", ".vscode", ".idea"}
ARCHIVE_DIRS = {"archive", "archived", "old", "deprecated", "legacy", "attic", "unused", "obsolete"}
EXAMPLE_DIRS = {
    "example",
    "examples",
    "sample",
    "samples",
    "demo",
    "demos",
    "test",
    "tests",
    "testing",
    "e2e",
    "fixtures",
    "__tests__",
    "cypress",
    "playwright",
    "docs",
    "templates",
    "template",
    "references",
}
_DEV_FILE = re.compile(r"(^|[.-])(dev|development|devcontainer|test|tests|e2e|local|debug)([.-]|$)", re.I)
MANIFESTS = ("package.json", "requirements.txt", "pyproject.toml", "go.mod", "Cargo.toml", "pom.xml", "Gemfile")


def excluded_reason(path: Path, root: Path) -> str | None:
    """Why a Dockerfile or schema under `root` is not one of the project's images, or None."""
    try:
        parts = [p.lower() for p in path.relative_to(root).parts]
    except ValueError:
        return None
    for folder in parts[:-1]:
        if folder in ARCHIVE_DIRS:
            return f"archived ({folder}/)"
        if folder in DEVELOPMENT_DIRS:
            return f"development-only ({folder}/)"
        if folder in EXAMPLE_DIRS:
            return f"an example or test ({folder}/)"
    name = parts[-1]
    if name.endswith(".prisma"):
        return None
    stem = name.replace("dockerfile", "").replace("containerfile", "")
    if _DEV_FILE.search(stem):
        return f"development-only ({path.name})"
    return None


@dataclass
class ContextGuess:
    context: Path
    why: str
    missing: list[str]  # COPY sources that exist in no candidate folder


def _exists(folder: Path, source: str) -> bool:
    source = source.lstrip("/") if not source.startswith("./") else source[2:]
    if any(c in source for c in "*?["):
        return bool(glob.glob(str(folder / source)))
    return (folder / source).exists()


def context_sources(stages: list[StageBody]) -> list[str]:
    """The build-context paths the Dockerfile copies (not `--from`, not URLs, not `.` or ARG-made)."""
    sources = []
    for stage in stages:
        for copy in stage.copies:
            if copy.from_stage is not None:
                continue
            for source in copy.sources:
                if "://" in source or "$" in source or source.startswith("<<"):
                    continue
                if source.strip("/").removeprefix("./").strip("/") in ("", "."):
                    continue
                if source not in sources:
                    sources.append(source)
    return sources


def _candidates(dockerfile: Path, root: Path) -> list[Path]:
    folders = [dockerfile.parent]
    for parent in dockerfile.parent.parents:
        if parent == root or root in parent.parents:
            folders.append(parent)
        if parent == root:
            break
    return folders


def guess_context(dockerfile: Path, root: Path, stages: list[StageBody]) -> ContextGuess:
    """The folder the Dockerfile is written to be built from, and what says so."""
    folders = _candidates(dockerfile, root)
    sources = context_sources(stages)
    rel = _rel_to(root)
    if not any(c.from_stage is None for s in stages for c in s.copies):
        return ContextGuess(dockerfile.parent, "it copies nothing from a build context: its own folder", [])
    if sources:
        scored = [(sum(_exists(f, s) for s in sources), -i, f) for i, f in enumerate(folders)]
        best_count, _, best = max(scored)
        named = ", ".join(sources[:3]) + (", ..." if len(sources) > 3 else "")
        missing = [s for s in sources if not any(_exists(f, s) for f in folders)]
        if best_count == len(sources):
            return ContextGuess(best, f"the COPY sources ({named}) are all in {rel(best)}", [])
        if best_count > 0:
            present = [s for s in sources if _exists(best, s)]
            return ContextGuess(best, f"most COPY sources ({', '.join(present[:3])}) are in {rel(best)}", missing)
    for folder in folders:
        if (folder / ".dockerignore").is_file():
            return ContextGuess(folder, f"it copies the whole context; {rel(folder)}/.dockerignore is beside it", [])
        if any((folder / m).is_file() for m in MANIFESTS):
            manifest = next(m for m in MANIFESTS if (folder / m).is_file())
            return ContextGuess(folder, f"it copies the whole context; {rel(folder)}/{manifest} is there", [])
    return ContextGuess(dockerfile.parent, "the Dockerfile's own folder (nothing else says)", [])


def _rel_to(root: Path) -> Callable[[Path], str]:
    def rel(path: Path) -> str:
        if path == root:
            return "the root"
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return str(path)

    return rel
