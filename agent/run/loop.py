"""Agent.run(report): the tool-calling loop.

The brain proposes calls from the trajectory; the policy allows, asks or refuses each; the registry runs them;
observations (redacted, bounded) go back to the brain, until it answers or a limit ends the run. The last allowed
step is offered without tools so the brain must answer. The trajectory is saved to memory after every step.
When the model brain becomes unreachable the run continues with the rulebook. `ok` is decided by verifying the
outcome (agent.run.outcome), not by what the brain says.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from agent import tools as registry
from agent.brains.base import Brain, BrainUnavailable, Observation, Step, ToolCall, Trajectory, Turn
from agent.errors import ShipshapeError
from agent.run.observe import render
from agent.safety import Approver, DenyAll, Policy, redact, redact_value
from agent.tools.context import ToolContext

Listener = Callable[[str, dict[str, Any]], None]


@dataclass
class Limits:
    max_steps: int = 20
    max_seconds: float = 900.0
    # Input tokens are counted per request, the cached prefix included: 20 steps of a long history add up.
    max_tokens: int = 500_000


class LimitReached(Exception):
    """A budget (steps, wall time, tokens) ran out; the message says which."""


@dataclass
class RunResult:
    ok: bool
    brain: str
    model_calls: int
    incident_id: int
    answer: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    verification: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "brain": self.brain,
            "model_calls": self.model_calls,
            "incident_id": self.incident_id,
            "answer": self.answer,
            "steps": self.steps,
            "verification": self.verification,
        }


def report_signature(report: str) -> str:
    """The report with case, numbers, quotes and punctuation removed: same complaint, same signature."""
    text = re.sub(r"[0-9a-f]{7,}", " ", report.lower())
    text = re.sub(r"\d+", " ", text)
    return " ".join(re.findall(r"[a-z][a-z\-_]+", text))


def _quiet(kind: str, data: dict[str, Any]) -> None:
    pass


class Agent:
    """One incident at a time: `run(report)`."""

    def __init__(
        self,
        brain: Brain,
        ctx: ToolContext,
        policy: Policy,
        approver: Approver | None = None,
        limits: Limits | None = None,
        fallback: Callable[[], Brain] | None = None,
        listener: Listener | None = None,
        system: str = "",
    ) -> None:
        self.brain = brain
        self.ctx = ctx
        self.policy = policy
        self.approver = approver or DenyAll()
        self.limits = limits or Limits()
        self.fallback = fallback
        self.listener = listener or _quiet
        self.system = system
        self.tools = registry.load_all()
        self._watch(brain)
        self.records: list[dict[str, Any]] = []
        self.brains_used: list[str] = []
        self.model_calls = 0

    # -- the loop ------------------------------------------------------------------------------------

    def run(self, report: str) -> RunResult:
        report = redact(report)
        traj = Trajectory(report=report, system=self.system)
        store = self.ctx.store
        incident = store.start_incident(report, report_signature(report), self.brain.name)
        started = time.monotonic()
        answer, tokens = "", [0, 0]
        self.brains_used = [self.brain.name]
        try:
            for n in range(self.limits.max_steps):
                if time.monotonic() - started > self.limits.max_seconds:
                    raise LimitReached(f"wall-time limit of {self.limits.max_seconds:.0f} s reached")
                if sum(tokens) > self.limits.max_tokens:
                    raise LimitReached(f"token limit of {self.limits.max_tokens} reached")
                last = n == self.limits.max_steps - 1
                turn = self._think(traj, None if last else registry.definitions())
                tokens[0] += turn.input_tokens
                tokens[1] += turn.output_tokens
                if turn.text:
                    self.listener("thought", {"text": turn.text, "brain": self.brain.name})
                if turn.final or not turn.calls or last:
                    # On the last step calls are not run, even if a brain proposes them.
                    answer = turn.text or "Stopped: the step limit was reached before an answer."
                    traj.steps.append(Step(turn))
                    break
                step = Step(turn, self._act(incident, turn.calls))
                traj.steps.append(step)
                store.update(
                    "incidents",
                    incident,
                    {
                        "model_calls": self.model_calls + self.brain.model_calls,
                        "input_tokens": tokens[0],
                        "output_tokens": tokens[1],
                    },
                )
            else:
                answer = answer or "Stopped: the step limit was reached before an answer."
        except LimitReached as exc:
            answer = f"Stopped: {exc}."
        except ShipshapeError as exc:
            answer = f"Stopped: {exc.one_line()}"
        from agent.run.outcome import verify_outcome

        verification = verify_outcome(self.ctx, traj)
        self.listener("verified", verification)
        model_calls = self.model_calls + self.brain.model_calls
        answer = redact(answer)
        store.finish_incident(
            incident,
            ok=int(verification["ok"]),
            answer=answer,
            model_calls=model_calls,
            input_tokens=tokens[0],
            output_tokens=tokens[1],
            status="verified" if verification["ok"] else "unverified",
            brain="+".join(self.brains_used),
        )
        return RunResult(
            ok=bool(verification["ok"]),
            brain="+".join(self.brains_used),
            model_calls=model_calls,
            incident_id=incident,
            answer=answer,
            steps=self.records,
            verification=verification,
        )

    def _watch(self, brain: Brain) -> None:
        """A brain that waits on a model says so while it waits: the front end shows it (a silent minute
        reads as a hang)."""
        if hasattr(brain, "on_wait"):

            def waiting(seconds: float, limit: float) -> None:
                self.listener("waiting", {"brain": brain.name, "seconds": seconds, "timeout": limit})

            brain.on_wait = waiting

    def _think(self, traj: Trajectory, tool_defs: list[dict[str, Any]] | None) -> Turn:
        try:
            return self.brain.next(traj, tool_defs)
        except BrainUnavailable as exc:
            if self.fallback is None:
                raise ShipshapeError(f"the {self.brain.name} brain is unavailable: {exc}") from None
            self.model_calls += self.brain.model_calls
            note = f"The {self.brain.name} brain is unavailable ({exc}); continuing with the rulebook."
            traj.notes.append(note)
            self.listener("fallback", {"text": note})
            self.brain = self.fallback()
            self._watch(self.brain)
            self.fallback = None
            self.brains_used.append(self.brain.name)
            return self.brain.next(traj, tool_defs)

    # -- running calls -------------------------------------------------------------------------------

    def _act(self, incident: int, calls: list[ToolCall]) -> list[Observation]:
        """Consecutive read-only calls run in parallel; each write runs alone, in order."""
        out: list[Observation] = []
        batch: list[ToolCall] = []

        def flush() -> None:
            if not batch:
                return
            if len(batch) == 1:
                out.append(self._run_one(batch[0]))
            else:
                with ThreadPoolExecutor(max_workers=min(4, len(batch))) as pool:
                    out.extend(pool.map(self._run_one, batch))
            batch.clear()

        for call in calls:
            tool = self.tools.get(call.name)
            if tool is not None and not tool.writes:
                batch.append(call)
                continue
            flush()
            out.append(self._run_one(call))
        flush()
        for obs in out:
            self._record(incident, obs)
        return out

    def _run_one(self, call: ToolCall) -> Observation:
        tool = self.tools.get(call.name)
        if tool is None:
            return self._fail(call, f"unknown tool {call.name!r}; known: {', '.join(sorted(self.tools))}")
        verdict = self.policy.decide(call.name, tool.writes, call.input)
        if verdict.decision == "deny":
            return self._fail(call, f"refused by policy: {verdict.reason}", denied=True)
        if verdict.decision == "ask":
            if self.ctx.dry_run:
                planned = {"dry_run": True, "planned": call.name, "input": call.input}
                self.listener("planned", {"tool": call.name, "input": call.input, "why": call.why})
                return Observation(call, True, planned, render(planned))
            approval = self.approver.ask(call.name, call.input, call.why)
            if approval.answer == "no":
                why = approval.reason or "no reason given"
                return self._fail(call, f"{call.name} was not approved: {why}", denied=True)
            if approval.answer == "session":
                self.policy.session_approved.add(call.name)
        self.listener("call", {"tool": call.name, "input": call.input, "why": call.why})
        started = time.monotonic()
        try:
            result = tool.call(self.ctx, call.input)
        except ValidationError as exc:
            return self._fail(call, f"invalid input for {call.name}: {exc.errors()[0]['msg']}")
        except ShipshapeError as exc:
            return self._fail(call, exc.one_line(), seconds=time.monotonic() - started)
        seconds = time.monotonic() - started
        result = redact_value(result)
        ok = bool(result.get("ok", True))
        obs = Observation(call, ok, result, render(result), seconds=seconds)
        self.listener("result", {"tool": call.name, "ok": ok, "seconds": seconds, "result": result})
        return obs

    def _fail(self, call: ToolCall, error: str, denied: bool = False, seconds: float = 0.0) -> Observation:
        obs = Observation(call, False, None, render(None, error), seconds=seconds, denied=denied, error=error)
        self.listener("denied" if denied else "error", {"tool": call.name, "error": error})
        return obs

    def _record(self, incident: int, obs: Observation) -> None:
        n = len(self.records) + 1
        entry = {
            "tool": obs.call.name,
            "input": obs.call.input,
            "ok": obs.ok,
            "seconds": round(obs.seconds, 3),
        }
        self.records.append(entry)
        self.ctx.store.record_step(
            incident,
            n=n,
            tool=obs.call.name,
            input=redact_value(obs.call.input),
            ok=int(obs.ok),
            outcome="denied" if obs.denied else ("ok" if obs.ok else "failed"),
            seconds=obs.seconds,
            result=obs.text[:4000],
            reason=obs.call.why,
        )
