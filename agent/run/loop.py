"""Agent.run(report): the tool-calling loop.

The brain proposes calls from the trajectory; the policy allows, asks or refuses each; the registry runs them;
observations (redacted, bounded) go back to the brain, until it answers or a limit ends the run. The last allowed
step is offered without tools so the brain must answer. The trajectory is saved to memory after every step.
When the model brain becomes unreachable the run continues with the rulebook. `ok` is decided by verifying the
outcome (agent.run.outcome), not by what the brain says. Each call runs through agent.run.call, the
one call path; the memory bookkeeping is agent.run.incident's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from agent import tools as registry
from agent.brains.base import Brain, BrainUnavailable, Observation, Step, ToolCall, Trajectory, Turn
from agent.errors import ShipshapeError
from agent.run.call import Listener, quiet, run_call
from agent.run.incident import IncidentLog
from agent.run.outcome import verify_outcome
from agent.safety import Approver, DenyAll, Policy, redact
from agent.tools.context import ToolContext

__all__ = ["Agent", "LimitReached", "Limits", "Listener", "RunResult"]


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
        self.listener = listener or quiet
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
        log = IncidentLog(self.ctx.store, report, self.brain.name, self.records)
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
                step = Step(turn, self._act(turn.calls))
                traj.steps.append(step)
                log.step(step.observations, self.model_calls + self.brain.model_calls, tokens)
            else:
                answer = answer or "Stopped: the step limit was reached before an answer."
        except LimitReached as exc:
            answer = f"Stopped: {exc}."
        except ShipshapeError as exc:
            answer = f"Stopped: {exc.one_line()}"
        verification = verify_outcome(self.ctx, self.policy, traj)
        self.listener("verified", verification)
        model_calls = self.model_calls + self.brain.model_calls
        answer = redact(answer)
        brains = "+".join(self.brains_used)
        log.finish(ok=bool(verification["ok"]), answer=answer, model_calls=model_calls, tokens=tokens, brain=brains)
        return RunResult(
            ok=bool(verification["ok"]),
            brain=brains,
            model_calls=model_calls,
            incident_id=log.id,
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

    def _act(self, calls: list[ToolCall]) -> list[Observation]:
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
        return out

    def _run_one(self, call: ToolCall) -> Observation:
        return run_call(self.ctx, self.policy, call, approver=self.approver, listener=self.listener)
