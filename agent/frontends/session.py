"""What the MCP server and the Slack app share: making agents for one front end, running one registry tool
under the policy, and plain-text lines for the loop's events (no terminal markup: Slack and MCP clients
show text as it is).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent import tools as registry
from agent.chat import BrainChoice, make_agent, summarise_input
from agent.errors import ShipshapeError
from agent.loop import Agent, Limits, Listener, RunResult
from agent.observe import render
from agent.safety import Approval, Approver, Policy, redact_value
from agent.tools.context import NullReporter, Reporter, ToolContext

# Makes one Agent for one report, given who approves its writes and who hears about its steps.
AgentFactory = Callable[[Approver, Listener], Agent]

BRAINS = ("auto", "claude", "rulebook")


def open_context(project_dir: Path | None = None, reporter: Reporter | None = None) -> ToolContext:
    """The project (shipshape.toml found from `project_dir`) and the memory database, for a long-running server.

    The store's connection is shared by the worker threads that run tools (check_same_thread=False; writes
    are serialised by the store's lock)."""
    from agent.config import load_project
    from agent.memory.store import Store

    return ToolContext(project=load_project(project_dir), store=Store(), reporter=reporter or NullReporter())


def agent_factory(
    ctx: ToolContext, brain: BrainChoice = "auto", *, assume_yes: bool = False, limits: Limits | None = None
) -> AgentFactory:
    """The usual factory: `agent.chat.make_agent` with the project's policy and the chosen brain."""
    if brain not in BRAINS:
        raise ShipshapeError(f"unknown brain {brain!r}", "use auto, claude or rulebook")

    def make(approver: Approver, listener: Listener) -> Agent:
        return make_agent(ctx, brain, assume_yes=assume_yes, approver=approver, listener=listener, limits=limits)

    return make


class Refuse:
    """An Approver for a front end with no one to ask: every write that needs approval is refused, with a
    reason that tells the brain (and the person reading its answer) how writes can be allowed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def ask(self, tool: str, args: dict[str, Any], why: str) -> Approval:
        return Approval("no", self.reason)


@dataclass
class DirectResult:
    """One registry tool called directly (not through a brain): its result or why it did not run."""

    ok: bool
    result: dict[str, Any] | None
    text: str
    error: str = ""
    seconds: float = 0.0


def run_tool(ctx: ToolContext, policy: Policy, approver: Approver, name: str, args: dict[str, Any]) -> DirectResult:
    """Run registry tool `name` the way the loop would: the policy first (namespace guard, approval for
    writes), then the tool; the result redacted and its text bounded as the brains see it."""
    tool = registry.get(name)
    verdict = policy.decide(name, tool.writes, args)
    if verdict.decision == "deny":
        return _refused(f"refused by policy: {verdict.reason}")
    if verdict.decision == "ask":
        approval = approver.ask(name, args, "called directly")
        if approval.answer == "no":
            return _refused(f"{name} was not approved: {approval.reason or 'no reason given'}")
    started = time.monotonic()
    try:
        result = tool.call(ctx, args)
    except ValidationError as exc:
        return _refused(f"invalid input for {name}: {exc.errors()[0]['msg']}")
    except ShipshapeError as exc:
        return _refused(exc.one_line(), seconds=time.monotonic() - started)
    result = redact_value(result)
    ok = bool(result.get("ok", True))
    return DirectResult(ok, result, render(result), seconds=time.monotonic() - started)


def _refused(error: str, seconds: float = 0.0) -> DirectResult:
    return DirectResult(False, None, render(None, error), error=error, seconds=seconds)


def result_gist(result: dict[str, Any]) -> str:
    """A few words on a tool result: the fields people look for first (errors, status, failing pods, images)."""
    bits: list[str] = []
    for key in ("error", "status", "root_cause", "ready", "url"):
        if result.get(key) not in (None, "", [], {}):
            bits.append(f"{key}={result[key]}")
    if isinstance(result.get("pods"), list):
        failing = [p for p in result["pods"] if not p.get("ready")]
        bits.append(f"{len(result['pods'])} pods, {len(failing)} not ready")
        bits.extend(f"{p.get('name')}: {p.get('reason')}/{p.get('category')}" for p in failing[:3])
    if isinstance(result.get("images"), list):
        for image in result["images"][:4]:
            extra = " (cache hit)" if image.get("cache_hit") else ""
            extra += " loaded" if image.get("loaded") else ""
            bits.append(
                f"{image.get('name') or image.get('image')} {image.get('tag') or image.get('status', '')}{extra}"
            )
    return "; ".join(str(b) for b in bits)[:300]


class StepLines:
    """Turns the loop's listener events into one line per finished step: tool, arguments, why, outcome.

    Safe to call from the loop's parallel worker threads. `emit` gets each line as it is ready."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self.emit = emit
        self._calls: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        line = None
        with self._lock:
            if kind == "call":
                self._calls[data["tool"]] = (summarise_input(data.get("input") or {}), data.get("why") or "")
                return
            args, why = self._calls.pop(str(data.get("tool")), ("", ""))
            call = f"{data.get('tool')}({args})" if args else str(data.get("tool"))
            if kind == "result":
                gist = result_gist(data["result"])
                mark = "✓" if data["ok"] else "✗"
                line = f"{mark} {call} in {data['seconds']:.1f} s" + (f" — {why}" if why else "")
                line += f"\n    {gist}" if gist else ""
            elif kind in ("error", "denied"):
                label = "refused" if kind == "denied" else "failed"
                line = f"✗ {call} {label}: {data['error']}"
            elif kind == "planned":
                line = f"plan (dry run): {data['tool']}({summarise_input(data['input'])})"
            elif kind == "fallback":
                line = data["text"]
        if line:
            self.emit(line)


def outcome_lines(result: RunResult) -> list[str]:
    """The verification of a finished run, one line per check."""
    checks = result.verification.get("checks", [])
    return [f"{'✓' if c['ok'] else '✗'} {c['check']}: {c['detail']}" for c in checks]


def outcome_title(result: RunResult) -> str:
    state = "recovered and verified" if result.ok else "not verified"
    return f"shipshape: {state} (incident #{result.incident_id}, {result.brain}, {result.model_calls} model calls)"
