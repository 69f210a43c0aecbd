"""Where an image's Dockerfile runs `prisma generate`, and whether that is the runtime's platform: the Dockerfile
read by agent/prisma/generate.py, the project's package.json scripts followed, and each base image read the way
Prisma reads a system when the build host has it (agent/prisma/target.py), else its well-known name."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from agent.prisma.generate import GenerateFacts, generating_scripts, where_generate_runs

if TYPE_CHECKING:
    from agent.prisma.target import ImageInspector, Remember
    from agent.project.config import ImageConfig

_SKIP = {".git", "node_modules", ".next", "dist", "build", ".turbo", ".venv", "vendor"}


def package_scripts(root: Path, limit: int = 400) -> dict[str, list[str]]:
    """Every package.json script under `root` (node_modules and build output left out), by name."""
    found: dict[str, list[str]] = {}
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP]
        if "turbo.json" in filenames:
            for task, deps in turbo_tasks(Path(dirpath) / "turbo.json").items():
                found.setdefault(task, []).append("turbo run " + " ".join(deps))
        if "package.json" not in filenames:
            continue
        seen += 1
        if seen > limit:
            break
        try:
            scripts = json.loads((Path(dirpath) / "package.json").read_text(encoding="utf-8")).get("scripts") or {}
        except (ValueError, OSError, AttributeError):
            continue
        for name, body in scripts.items() if isinstance(scripts, dict) else []:
            if isinstance(body, str):
                found.setdefault(name, []).append(body)
    return found


def turbo_tasks(path: Path) -> dict[str, list[str]]:
    """turbo.json's tasks and the tasks each depends on (`^x` and `pkg#x` read as x): `turbo run build` runs
    `db:generate` first when build dependsOn it."""
    text = re.sub(r"(?m)^\s*//.*$", "", path.read_text(encoding="utf-8", errors="replace"))
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    try:
        doc = json.loads(text)
    except ValueError:
        return {}
    tasks = (doc.get("tasks") or doc.get("pipeline") or {}) if isinstance(doc, dict) else {}
    out: dict[str, list[str]] = {}
    for name, task in tasks.items() if isinstance(tasks, dict) else []:
        deps = task.get("dependsOn") if isinstance(task, dict) else None
        if isinstance(deps, list):
            plain = [str(d).lstrip("^").split("#")[-1] for d in deps if not str(d).startswith("$")]
            out.setdefault(name.split("#")[-1], []).extend(plain)
    return out


def generate_facts(
    image: ImageConfig, docker: ImageInspector | None = None, remember: Remember | None = None
) -> GenerateFacts | None:
    """Where the image's Dockerfile generates the Prisma client its runtime receives (None: it does not)."""
    from agent.prisma.target import platform_of

    if not image.dockerfile_path.is_file():
        return None
    text = image.dockerfile_path.read_text(encoding="utf-8", errors="replace")
    scripts = generating_scripts(package_scripts(image.context))

    def platform(ref: str) -> str | None:
        if docker is None or "$" in ref or ref.lower() == "scratch":
            return None
        try:
            found = platform_of(docker, ref, remember)
        except Exception:  # an unreadable base is "unknown", never a failed check
            return None
        return found.target if found else None

    return where_generate_runs(text, image.target, scripts, platform)
