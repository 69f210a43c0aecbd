"""What several tools check in an image: its size against the budget, the Prisma engine inside it (read from the
image's file system, not by running it, and judged by its ELF), the binary target its runtime needs, and the content
tag of its current sources."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from agent.project.units import human_size

if TYPE_CHECKING:
    from agent.engines.docker import DockerEngine, Layer
    from agent.prisma.target import Remember
    from agent.project.config import ImageConfig

# The biggest layers named in an over-budget message.
TOP_LAYERS = 3


def biggest_layers(layers: list[Layer], n: int = TOP_LAYERS) -> list[Layer]:
    """The `n` largest layers, largest first (empty layers left out)."""
    return sorted((layer for layer in layers if layer.size > 0), key=lambda layer: -layer.size)[:n]


def budget_problem(name: str, size: int, budget: int, layers: list[Layer]) -> str | None:
    """None within budget; else a message naming the size, the budget and what to try."""
    if size <= budget:
        return None
    top = "; ".join(f"{human_size(layer.size)} from {layer.created_by}" for layer in biggest_layers(layers))
    return (
        f"image {name} is {human_size(size)}, over its budget of {human_size(budget)} by "
        f"{human_size(size - budget)}; biggest layers: {top or 'unknown'}; try a multi-stage build that copies "
        "only the runtime files into a small final stage, and a .dockerignore that leaves out node_modules, "
        ".git, build output and logs"
    )


def prisma_target_for(
    image: ImageConfig, docker: DockerEngine | None = None, built: str | None = None, remember: Remember | None = None
) -> str:
    """The Prisma binary target the image's runtime needs (agent/prisma/target.py: config, LABEL, the built image or
    the runtime's base image read like Prisma reads a system, else the base image's name)."""
    from agent.prisma.target import choose_target

    return choose_target(image, docker, built, remember=remember).target


def engine_report(docker: DockerEngine, ref: str, engine_files: list[str], target: str) -> dict[str, Any]:
    """Read each engine file out of the image and judge its ELF against `target`.

    Paths in `engine_files` are relative to the app directory, which is the image's WORKDIR.
    """
    from agent.images.elf import engine_fits_target, read_elf

    found = docker.image(ref) or {}
    workdir = str((found.get("Config") or {}).get("WorkingDir") or "/")
    report: dict[str, Any] = {"target": target, "files": [], "ok": True, "reason": ""}
    for rel in engine_files:
        path = posixpath.normpath(posixpath.join(workdir, rel))
        data = docker.read_file(ref, path)
        entry: dict[str, Any] = {"path": path, "present": data is not None}
        if data is None:
            listed = docker.list_dir(ref, posixpath.dirname(path))
            engines = [n for n in listed if "query_engine" in n or n.startswith("query-engine")]
            entry["fits"] = False
            entry["reason"] = (
                f"{path} is not in the image"
                + (f" (it has {', '.join(engines)})" if engines else "")
                + f": the image would fail with 'Prisma Client could not locate the Query Engine for runtime "
                f'"{target}"\'; add {target} to binaryTargets and rebuild'
            )
        else:
            try:
                info = read_elf(data)
            except Exception as exc:  # a file that is not an ELF object is a finding, not a crash
                entry.update(fits=False, reason=f"{path} is not a readable ELF shared object: {exc}")
            else:
                fits, why = engine_fits_target(info, target)
                entry.update(
                    fits=fits,
                    reason=why,
                    libc=info.libc,
                    openssl=info.openssl,
                    needed=info.needed,
                    machine=info.machine,
                    bytes=len(data),
                )
        report["files"].append(entry)
        if not entry["fits"]:
            report["ok"] = False
            report["reason"] = entry["reason"]
    if report["ok"]:
        report["reason"] = "; ".join(str(e["reason"]) for e in report["files"]) or "no engine to check"
    return report


def current_tag(image: ImageConfig) -> str | None:
    """The content tag of the image's current sources (None when its context or Dockerfile is missing)."""
    from agent.images.buildhash import hash_inputs

    if not image.context.is_dir() or not image.dockerfile_path.is_file():
        return None
    inputs = hash_inputs(image.context, image.dockerfile_path, target=image.target, build_args=image.build_args)
    return inputs.tag(image.repository)
