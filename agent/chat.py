"""Putting an agent together for one front end: the brain (auto, claude, rulebook), the policy, the context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from agent.brains.base import Brain
from agent.config import Project
from agent.errors import ShipshapeError
from agent.loop import Agent, Limits, Listener
from agent.safety import Approver, Policy
from agent.tools.context import ToolContext

BrainChoice = Literal["auto", "claude", "rulebook"]


def make_brain(choice: BrainChoice, project: Project) -> tuple[Brain, Callable[[], Brain] | None]:
    """The brain for `choice`, and the fallback to use if it becomes unreachable."""
    from agent.brains.rulebook import RulebookBrain

    def rulebook() -> Brain:
        return RulebookBrain(project)

    if choice == "rulebook":
        return rulebook(), None
    from agent.brains.claude import ClaudeBrain, claude_available

    if choice == "auto" and not claude_available():
        return rulebook(), None
    if choice == "claude" and not claude_available():
        raise ShipshapeError("--brain claude needs ANTHROPIC_API_KEY", "set it, or use --brain rulebook")
    return ClaudeBrain(), rulebook


def make_agent(
    ctx: ToolContext,
    choice: BrainChoice = "auto",
    *,
    assume_yes: bool = False,
    approver: Approver | None = None,
    listener: Listener | None = None,
    limits: Limits | None = None,
) -> Agent:
    """An Agent wired with the project's policy and the system prompt."""
    from agent.prompts import system_prompt

    project = ctx.project
    brain, fallback = make_brain(choice, project)
    policy = Policy(
        allowed_namespaces=project.allowed_namespaces(),
        auto_approve=set(project.policy.auto_approve),
        assume_yes=assume_yes,
    )
    return Agent(
        brain,
        ctx,
        policy,
        approver=approver,
        limits=limits,
        fallback=fallback,
        listener=listener,
        system=system_prompt(project),
    )


def summarise_input(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in args.items() if v not in (None, [], {}, "")) or "-"
