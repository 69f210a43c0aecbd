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
from agent.errors import ShipshapeError
from agent.run.assemble import BrainChoice, make_agent, result_gist, summarise_input
from agent.run.loop import Agent, Limits, Listener
from agent.run.observe import render
from agent.safety import Approval, Approver, Policy, redact_value
from agent.tools.context import NullReporter, Reporter, ToolContext

# Makes one Agent for one report, given who approves its writes and who hears about its steps.
AgentFactory = Callable[[Approver, Listener], Agent]

BRAINS = ("auto", "claude", "rulebook")


def open_context(project_dir: Path | None = None, reporter: Reporter | None = None) -> ToolContext:
    """The project (shipshape.toml found from `project_dir`) and the memory database, for a long-running server.

    The store's connection is shared by the worker threads that run tools (check_same_thread=False; writes
    are serialised by the store's lock)."""
    from agent.memory.store import Store
    from agent.project.config import load_project

    return ToolContext(project=load_project(project_dir), store=Store(), reporter=reporter or NullReporter())


def agent_factory(
    ctx: ToolContext, brain: BrainChoice = "auto", *, assume_yes: bool = False, limits: Limits | None = None
) -> AgentFactory:
    """The usual factory: `agent.run.assemble.make_agent` with the project's policy and the chosen brain."""
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
