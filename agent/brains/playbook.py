"""The rulebook's plans: calls in order, derived afresh from the trajectory at every step, and the helpers that
read the trajectory (which planned calls already ran, what a call returned)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.brains.base import Observation, Trajectory

# Failures the plan itself reads (a failed build is diagnosed, a failed wait is reported with its evidence).
TOLERATED_FAILURES = {"build_and_load_images", "wait_for_rollout", "check_health", "verify_images"}


@dataclass
class Planned:
    tool: str
    input: dict[str, Any]
    why: str


@dataclass
class Plan:
    """Calls in order; `stop` ends the run with an explanation instead of further calls."""

    calls: list[Planned] = field(default_factory=list)
    stop: str = ""
    # A stop that is a finding, not a failure ("nothing to fix").
    benign: bool = False
    summary: list[str] = field(default_factory=list)

    def add(self, tool: str, why: str, **args: Any) -> None:
        self.calls.append(Planned(tool, args, why))


def match(plan: Plan, traj: Trajectory) -> tuple[int, Observation | None]:
    """How many planned calls already ran (in order), and the first of them that failed for good."""
    observed = traj.observations()
    i = 0
    for k, item in enumerate(plan.calls):
        j = next(
            (
                x
                for x in range(i, len(observed))
                if observed[x].call.name == item.tool and observed[x].call.input == item.input
            ),
            None,
        )
        if j is None:
            return k, None
        if not observed[j].ok and item.tool not in TOLERATED_FAILURES:
            return k, observed[j]
        i = j + 1
    return len(plan.calls), None


def live(status: dict[str, Any]) -> list[dict[str, Any]]:
    """Pods that are not on their way out: a terminating pod's state says nothing about the rollout."""
    return [p for p in status.get("pods", []) if p.get("reason") != "Terminating"]


def result_of(traj: Trajectory, tool: str, args: dict[str, Any]) -> dict[str, Any] | None:
    """The result of the last successful call of `tool` with exactly `args`."""
    for obs in reversed(traj.observations()):
        if obs.call.name == tool and obs.call.input == args:
            if obs.result is not None:
                return obs.result
            return {"ok": False, "error": obs.error, "denied": obs.denied}
    return None


def prisma_status(check: dict[str, Any]) -> str:
    results = check.get("results") or check.get("images") or [check]
    statuses = {str(r.get("status")) for r in results}
    return "missing-target" if "missing-target" in statuses else next(iter(statuses), "unknown")


def built_ref(image: dict[str, Any]) -> str:
    tag = str(image.get("ref") or image.get("tag") or "")
    return tag if ":" in tag else f"{image.get('repository', image.get('name'))}:{tag}"


def build_stop(build: dict[str, Any]) -> str:
    """Why the run stops after a build that did not succeed: refused (never ran) or failed."""
    if build.get("denied"):
        return f"the build was not run: {build.get('error') or 'it was refused'}"
    return "the build failed: " + build_error(build)


def build_error(build: dict[str, Any]) -> str:
    errors = [f"{i.get('name')}: {i.get('error')}" for i in build.get("images", []) if i.get("error")]
    return "; ".join(errors) or str(build.get("error", "see the build log"))


def short(obs: Observation) -> str:
    return obs.text[:200]


def brief(args: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in args.items() if v not in (None, [], {}))


def dedupe(calls: list[Planned]) -> list[Planned]:
    seen: list[tuple[str, str]] = []
    out = []
    for c in calls:
        key = (c.tool, repr(sorted(c.input.items())))
        if key not in seen:
            seen.append(key)
            out.append(c)
    return out
