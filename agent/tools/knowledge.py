"""Tools: activate_skill (load a skill's instructions) and recall (what memory knows). Both read only."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agent.errors import ShipshapeError
from agent.skills import catalogue, find
from agent.tools import tool
from agent.tools.context import ToolContext


class ActivateSkillInput(BaseModel):
    name: str


@tool(
    "activate_skill",
    "Load a skill's full instructions, before following its workflow the first time.",
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
    signature: str | None = Field(None, description="a signature, its prefix or id")
    image: str | None = None


@tool(
    "recall",
    "What memory knows of a failure signature or an image: times seen, fixes tried, whether the next build "
    "passed. Use before choosing a fix.",
    RecallInput,
    writes=False,
)
def recall(ctx: ToolContext, args: RecallInput) -> dict[str, Any]:
    from agent.memory import learning

    if not args.signature and not args.image:
        raise ShipshapeError("recall needs a signature or an image", code="bad-input")
    return learning.recall(ctx.store, signature=args.signature, image=args.image)
