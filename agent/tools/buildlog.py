"""Tool detect_build_failures: what a failed build's log shows. It reads only, and records the failure in memory,
which is how shipshape learns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agent.tools import tool
from agent.tools.context import ToolContext, confined_log


class DetectInput(BaseModel):
    log_path: str | None = Field(None, description="path of the build log file (relative to the project or absolute)")
    log_text: str | None = Field(None, description="the log itself, when there is no file")
    image: str | None = Field(None, description="the image whose build failed (name in shipshape.toml)")


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
    from agent.memory import learning

    path = confined_log(ctx, args.log_path) if args.log_path else None
    return learning.remember_log(ctx.store, path, args.log_text, args.image)
