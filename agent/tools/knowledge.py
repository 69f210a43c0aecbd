"""Tools: activate_skill (load a skill's instructions) and recall (what memory knows). Both read only."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agent.errors import ShipshapeError
from agent.skills import catalogue, find
from agent.tools import tool
from agent.tools.context import ToolContext


class ActivateSkillInput(BaseModel):
    name: str = Field(description="The skill's name, as listed in the system prompt.")


@tool(
    "activate_skill",
    "Load the full instructions of one skill (a workflow such as recover-image-pull). Use it before "
    "following a workflow the first time in a conversation.",
    ActivateSkillInput,
    writes=False,
)
def activate_skill(ctx: ToolContext, args: ActivateSkillInput) -> dict[str, Any]:
    """The body of the named SKILL.md."""
    skill = find(args.name)
    return {
        "ok": True,
        "name": skill.name,
        "instructions": skill.body(),
        "allowed_tools": list(skill.allowed_tools),
        "others": [s.name for s in catalogue() if s != skill],
    }


class RecallInput(BaseModel):
    signature: str | None = Field(None, description="a failure signature, its prefix, or its id from errors list")
    image: str | None = Field(None, description="an image name: its recent failures and fixes")


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
