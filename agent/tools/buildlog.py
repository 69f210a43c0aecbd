"""Tool detect_build_failures: what a failed build's log shows. It reads only, and records the failure in memory,
which is how shipshape learns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agent.tools import tool
from agent.tools.context import ToolContext, confined_log


class DetectInput(BaseModel):
    log_path: str | None = None
    log_text: str | None = Field(None, description="the log's text, if no file")
    image: str | None = Field(None, description="the failed image's name")


@tool(
    "detect_build_failures",
    "Name a failed docker build's root cause from its log (a category such as npm-network or "
    "next-font-fetch), the failed step, the exit code, and fixes ranked by past success. Use it first when a "
    "build fails.",
    DetectInput,
    writes=False,
)
def detect_build_failures(ctx: ToolContext, args: DetectInput) -> dict[str, Any]:
    from agent.memory import learning

    path = confined_log(ctx, args.log_path) if args.log_path else None
    return learning.remember_log(ctx.store, path, args.log_text, args.image)
