"""Tools: activate_skill (load a skill's instructions)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

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
