"""Tools: detect_build_failures (what a failed build's log shows) and recall (what memory knows). Both read only;
detect_build_failures records the failure in memory, which is how shipshape learns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agent.errors import ShipshapeError
from agent.tools import tool
from agent.tools.context import ToolContext

MAX_FINDINGS_SHOWN = 8


class DetectInput(BaseModel):
    log_path: str | None = Field(None, description="path of the build log file (relative to the project or absolute)")
    log_text: str | None = Field(None, description="the log itself, when there is no file")
    image: str | None = Field(None, description="the image whose build failed (name in shipshape.toml)")


class RecallInput(BaseModel):
    signature: str | None = Field(None, description="a failure signature, its prefix, or its id from errors list")
    image: str | None = Field(None, description="an image name: its recent failures and fixes")


def confined_log(ctx: ToolContext, log_path: str) -> Path:
    """The log file, if it lies inside the project or the logs directory shipshape writes builds to (symlinks
    resolved first); a path anywhere else is refused before it is opened."""
    from agent.engines.files import confine
    from agent.tools.build import data_dir

    logs = data_dir(ctx) / "logs"
    return confine(log_path, [ctx.project.root, logs], what=f"the project {ctx.project.root} and {logs}")


def detect(ctx: ToolContext, log_path: str | None, log_text: str | None, image: str | None) -> dict[str, Any]:
    """Diagnose a log and record it in memory; the result's root finding carries fixes ranked by memory."""
    from agent.buildlog import diagnose_bytes, diagnose_path
    from agent.memory import learning

    if log_path:
        path = confined_log(ctx, log_path)
        diagnosis = diagnose_path(path)
        source = str(path)
    elif log_text is not None:
        diagnosis = diagnose_bytes(log_text)
        source = "text"
    else:
        raise ShipshapeError("detect_build_failures needs log_path or log_text", code="bad-input")
    doc = learning.remember_diagnosis(ctx.store, diagnosis, image=image, source=source)
    doc["findings"] = doc["findings"][:MAX_FINDINGS_SHOWN]
    doc["image"] = image
    return doc


@tool(
    "detect_build_failures",
    """Read a failed docker build's log and name its root cause (a category such as npm-network,
    next-font-fetch, prisma-engine, base-image, context-file-missing), the failed step, its exit code, and
    fixes ranked by what worked before. Use it first when a build fails. Reads only (records the failure in
    memory).""",
    DetectInput,
    writes=False,
)
def detect_build_failures(ctx: ToolContext, args: DetectInput) -> dict[str, Any]:
    return detect(ctx, args.log_path, args.log_text, args.image)


@tool(
    "recall",
    """What memory knows about a failure signature or an image: how often it was seen, the fixes tried and
    whether the next build succeeded. Use it before choosing a fix for a failure seen before. Reads only.""",
    RecallInput,
    writes=False,
)
def recall(ctx: ToolContext, args: RecallInput) -> dict[str, Any]:
    from agent.memory import learning

    if not args.signature and not args.image:
        raise ShipshapeError("recall needs a signature or an image", code="bad-input")
    return learning.recall(ctx.store, signature=args.signature, image=args.image)
