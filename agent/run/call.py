"""The one way a tool call runs, whoever asks for it: the loop, the MCP and Slack sessions, the CLI's direct
commands and the outcome check.

`run_call` looks the tool up in the registry (whose `writes` flag is the one read/write answer), asks the Policy
(the one namespace guard, approval for writes), asks a person when the Policy says so (or, in a dry run, plans
the write instead), runs the tool, and returns an `Observation`: the result redacted, its text bounded as the
brains see it, or why the call did not run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from agent import tools as registry
from agent.brains.base import Observation, ToolCall
from agent.errors import ShipshapeError
from agent.run.observe import render
from agent.safety import Approver, DenyAll, Policy, redact_value
from agent.tools.context import ToolContext

# Hears about each call: ("call" | "result" | "error" | "denied" | "planned", details). Front ends show them.
Listener = Callable[[str, dict[str, Any]], None]


def quiet(kind: str, data: dict[str, Any]) -> None:
    """A listener that hears nothing."""


def run_call(
    ctx: ToolContext,
    policy: Policy,
    call: ToolCall,
    *,
    approver: Approver | None = None,
    listener: Listener = quiet,
) -> Observation:
    """Run one call under `policy`; never raises for an expected failure (the Observation says what went wrong)."""
    tool = registry.load_all().get(call.name)
    if tool is None:
        known = ", ".join(sorted(registry.REGISTRY))
        return _fail(call, listener, f"unknown tool {call.name!r}; known: {known}", code="unknown-tool")
    verdict = policy.decide(call.name, tool.writes, call.input)
    if verdict.decision == "deny":
        return _fail(call, listener, f"refused by policy: {verdict.reason}", denied=True, code="namespace-denied")
    if verdict.decision == "ask":
        if ctx.dry_run:
            planned = {"dry_run": True, "planned": call.name, "input": call.input}
            listener("planned", {"tool": call.name, "input": call.input, "why": call.why})
            return Observation(call, True, planned, render(planned))
        approval = (approver or DenyAll()).ask(call.name, call.input, call.why)
        if approval.answer == "no":
            why = approval.reason or "no reason given"
            return _fail(call, listener, f"{call.name} was not approved: {why}", denied=True, code="not-approved")
        if approval.answer == "session":
            policy.session_approved.add(call.name)
    listener("call", {"tool": call.name, "input": call.input, "why": call.why})
    started = time.monotonic()
    try:
        result = tool.call(ctx, call.input)
    except ValidationError as exc:
        return _fail(call, listener, f"invalid input for {call.name}: {exc.errors()[0]['msg']}", code="bad-input")
    except ShipshapeError as exc:
        return _fail(call, listener, exc.one_line(), seconds=time.monotonic() - started, code=exc.code)
    except OSError as exc:
        # A socket or file error an engine did not turn into a ShipshapeError. Left to escape, a broken pipe
        # (EPIPE) is taken by the CLI framework for a closed stdout and the command exits 1 without a word.
        return _fail(call, listener, f"{call.name}: {exc}", seconds=time.monotonic() - started, code="io-error")
    seconds = time.monotonic() - started
    result = redact_value(result)
    ok = bool(result.get("ok", True))
    listener("result", {"tool": call.name, "ok": ok, "seconds": seconds, "result": result})
    return Observation(call, ok, result, render(result), seconds=seconds)


def run_direct(
    ctx: ToolContext, policy: Policy, name: str, args: dict[str, Any], approver: Approver | None = None
) -> Observation:
    """One call that no brain asked for (a CLI command, an MCP client, the outcome check)."""
    return run_call(ctx, policy, ToolCall(id=name, name=name, input=args, why="called directly"), approver=approver)


def result_or_raise(obs: Observation) -> dict[str, Any]:
    """The result of a call that ran, or the ShipshapeError that says why it did not (for the CLI's one line)."""
    if obs.result is None:
        raise ShipshapeError(obs.error, code=obs.code)
    return obs.result


def _fail(
    call: ToolCall, listener: Listener, error: str, *, denied: bool = False, seconds: float = 0.0, code: str = "error"
) -> Observation:
    listener("denied" if denied else "error", {"tool": call.name, "error": error})
    return Observation(call, False, None, render(None, error), seconds=seconds, denied=denied, error=error, code=code)
