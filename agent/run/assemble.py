"""Putting an agent together for one front end: the brain (auto, claude, rulebook), the policy, the context;
and the few words every front end shows of a run (the gist of a result, the outcome's lines)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, cast

from agent import tools as registry
from agent.brains.base import Brain
from agent.errors import ShipshapeError
from agent.project.config import Project
from agent.run.loop import Agent, Limits, Listener, RunResult
from agent.safety import Approver, Policy
from agent.tools.context import ToolContext

BrainChoice = Literal["auto", "claude", "rulebook"]
BRAINS: tuple[BrainChoice, ...] = ("auto", "claude", "rulebook")


def brain_choice(text: str) -> BrainChoice:
    """`text` as a brain choice, or the one-line error every front end gives for an unknown one."""
    if text not in BRAINS:
        raise ShipshapeError(f"unknown brain {text!r}", "use auto, claude or rulebook")
    return cast(BrainChoice, text)


def make_brain(choice: BrainChoice, project: Project) -> tuple[Brain, Callable[[], Brain] | None]:
    """The brain for `choice`, and the fallback to use if it becomes unreachable."""
    from agent.brains.rulebook import RulebookBrain

    def rulebook() -> Brain:
        return RulebookBrain(project, registry.writes)

    if choice == "rulebook":
        return rulebook(), None
    from agent.brains.claude import ClaudeBrain, claude_available

    if choice == "auto" and not claude_available():
        return rulebook(), None
    if choice == "claude" and not claude_available():
        raise ShipshapeError("--brain claude needs ANTHROPIC_API_KEY", "set it, or use --brain rulebook")
    from agent.brains.claude import model_timeout

    return ClaudeBrain(timeout=model_timeout(project.model.timeout)), rulebook


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
    return Agent(
        brain,
        ctx,
        Policy.from_project(project, assume_yes=assume_yes),
        approver=approver,
        limits=limits,
        fallback=fallback,
        listener=listener,
        system=system_prompt(project),
    )


def summarise_input(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in args.items() if v not in (None, [], {}, "")) or "-"


def result_gist(result: dict[str, Any]) -> str:
    """A few words on a tool result: the fields people look for first (errors, status, failing pods, images)."""
    bits: list[str] = []
    for key in ("error", "status", "root_cause", "ready", "url"):
        if result.get(key) not in (None, "", [], {}):
            bits.append(f"{key}={result[key]}")
    if isinstance(result.get("pods"), list) and result["pods"] and "lines" in result["pods"][0]:
        # pod_logs: which pods' logs were read, and how much
        bits.extend(f"{p.get('pod')}: {len(p.get('lines') or [])} log lines" for p in result["pods"][:3])
    elif isinstance(result.get("pods"), list):
        failing = [p for p in result["pods"] if not p.get("ready")]
        bits.append(f"{len(result['pods'])} pods, {len(failing)} not ready")
        # "ErrImagePull (image-not-found)", not "ErrImagePull/image-not-found": glued together, the reason and the
        # category make one long mixed-case run that the redaction's random-key fallback takes for a secret.
        bits.extend(f"{p.get('name')}: {p.get('reason')} ({p.get('category')})" for p in failing[:3])
    if isinstance(result.get("images"), list):
        for image in result["images"][:4]:
            extra = " (cache hit)" if image.get("cache_hit") else ""
            extra += " loaded" if image.get("loaded") else ""
            bits.append(
                f"{image.get('name') or image.get('image')} {image.get('tag') or image.get('status', '')}{extra}"
            )
    return "; ".join(str(b) for b in bits)[:300]


def outcome_lines(result: RunResult) -> list[str]:
    """The verification of a finished run, one line per check."""
    checks = result.verification.get("checks", [])
    return [f"{'✓' if c['ok'] else '✗'} {c['check']}: {c['detail']}" for c in checks]


def outcome_title(result: RunResult) -> str:
    state = "recovered and verified" if result.ok else "not verified"
    return f"shipshape: {state} (incident #{result.incident_id}, {result.brain}, {result.model_calls} model calls)"
