"""What the MCP server and the Slack app share: the context of a long-running server, making agents for one
front end, and plain-text lines for the loop's events (no terminal markup: Slack and MCP clients show text as it
is). A registry tool called directly runs through agent.run.call, as every call does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent.run.assemble import brain_choice, make_agent, result_gist, summarise_input
from agent.run.loop import Agent, Limits, Listener
from agent.safety import Approver
from agent.tools.context import NullReporter, Reporter, ToolContext

# Makes one Agent for one report, given who approves its writes and who hears about its steps.
AgentFactory = Callable[[Approver, Listener], Agent]


def open_context(project_dir: Path | None = None, reporter: Reporter | None = None) -> ToolContext:
    """The project (shipshape.toml found from `project_dir`) and the memory database, for a long-running server.

    The store's connection is shared by the worker threads that run tools (check_same_thread=False; writes
    are serialised by the store's lock)."""
    from agent.memory.store import Store
    from agent.project.config import load_project

    return ToolContext(project=load_project(project_dir), store=Store(), reporter=reporter or NullReporter())


def agent_factory(
    ctx: ToolContext, brain: str = "auto", *, assume_yes: bool = False, limits: Limits | None = None
) -> AgentFactory:
    """The usual factory: `agent.run.assemble.make_agent` with the project's policy and the chosen brain."""
    choice = brain_choice(brain)

    def make(approver: Approver, listener: Listener) -> Agent:
        return make_agent(ctx, choice, assume_yes=assume_yes, approver=approver, listener=listener, limits=limits)

    return make


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
