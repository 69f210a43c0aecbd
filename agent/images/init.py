"""`shipshape init`: detect (agent/images/detect.py), render (agent/images/render.py), write shipshape.toml, and
check that the written file loads."""

from __future__ import annotations

from pathlib import Path

from agent.images.detect import Detected, detect
from agent.images.render import render
from agent.project.config import CONFIG_NAME


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
        left = "; ".join(f"{p.relative_to(root).as_posix()}: {why}" for p, why in found.left_out[:3])
        raise ConfigError(
            f"no Dockerfile under {root}"
            + (f" that builds the project's own image (left out: {left})" if left else ""),
            "shipshape builds images from Dockerfiles",
        )
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
