"""The memory bookkeeping of one run, behind one small interface: the incident row, a row per step, the counters.

The loop calls `step` after every step and `finish` once, so a crash loses nothing already done.
"""

from __future__ import annotations

import re
from typing import Any

from agent.brains.base import Observation
from agent.memory.store import Store
from agent.safety import redact_value


def report_signature(report: str) -> str:
    """The report with case, numbers, quotes and punctuation removed: same complaint, same signature."""
    text = re.sub(r"[0-9a-f]{7,}", " ", report.lower())
    text = re.sub(r"\d+", " ", text)
    return " ".join(re.findall(r"[a-z][a-z\-_]+", text))


class IncidentLog:
    """One incident in memory, from the report to its verified (or unverified) outcome."""

    def __init__(self, store: Store, report: str, brain: str, records: list[dict[str, Any]] | None = None) -> None:
        self.store = store
        self.id = store.start_incident(report, report_signature(report), brain)
        # What `--json` prints as the run's steps: one entry per call, in order.
        self.records = [] if records is None else records

    def step(self, observations: list[Observation], model_calls: int, tokens: list[int]) -> None:
        """Record the calls of one step, and the run's counters so far."""
        for obs in observations:
            self._record(obs)
        self.store.update(
            "incidents",
            self.id,
            {"model_calls": model_calls, "input_tokens": tokens[0], "output_tokens": tokens[1]},
        )

    def finish(self, *, ok: bool, answer: str, model_calls: int, tokens: list[int], brain: str) -> None:
        self.store.finish_incident(
            self.id,
            ok=int(ok),
            answer=answer,
            model_calls=model_calls,
            input_tokens=tokens[0],
            output_tokens=tokens[1],
            status="verified" if ok else "unverified",
            brain=brain,
        )

    def _record(self, obs: Observation) -> None:
        n = len(self.records) + 1
        self.records.append(
            {"tool": obs.call.name, "input": obs.call.input, "ok": obs.ok, "seconds": round(obs.seconds, 3)}
        )
        self.store.record_step(
            self.id,
            n=n,
            tool=obs.call.name,
            input=redact_value(obs.call.input),
            ok=int(obs.ok),
            outcome="denied" if obs.denied else ("ok" if obs.ok else "failed"),
            seconds=obs.seconds,
            result=obs.text[:4000],
            reason=obs.call.why,
        )
