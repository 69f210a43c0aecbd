"""The small interface between the loop and a brain: what a brain sees and what it answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class ToolCall:
    """One call a brain asks for. `id` is the brain's own (Claude's tool_use id, or a rulebook counter)."""

    id: str
    name: str
    input: dict[str, Any]
    why: str = ""


@dataclass
class Observation:
    """What came back from one call: the full result for the loop, and a bounded, redacted text for brains."""

    call: ToolCall
    ok: bool
    result: dict[str, Any] | None
    text: str
    seconds: float = 0.0
    denied: bool = False
    error: str = ""
    # Why it did not run, for scripts: the ShipshapeError's code, "namespace-denied", "not-approved", ...
    code: str = ""


@dataclass
class Turn:
    """A brain's answer to one step: tool calls to run, or a final answer (no calls)."""

    text: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    final: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    # The brain's own record of the turn (e.g. Claude's content blocks), replayed as it was returned.
    raw: Any = None


@dataclass
class Step:
    turn: Turn
    observations: list[Observation] = field(default_factory=list)


@dataclass
class Trajectory:
    """Everything that happened in one incident; the brains read it, the store saves it after every step."""

    report: str
    system: str = ""
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def observations(self) -> list[Observation]:
        return [o for s in self.steps for o in s.observations]

    def results_of(self, tool: str) -> list[Observation]:
        """Every observation of `tool`, oldest first."""
        return [o for o in self.observations() if o.call.name == tool]

    def last(self, tool: str) -> Observation | None:
        found = self.results_of(tool)
        return found[-1] if found else None


class Brain(Protocol):
    """Decides the next step. `tools` is None on the last allowed step: the brain must answer then."""

    name: str
    model_calls: int

    def next(self, trajectory: Trajectory, tools: list[dict[str, Any]] | None) -> Turn: ...


class BrainUnavailable(Exception):
    """The brain cannot be reached (API down, overloaded after retries, timed out): the loop falls back."""
