"""What a recovery rule reads (Case) and the checks every rule ends with.

The rulebook's recovery rules for pod failures that a rebuild does not fix: one small module per failure, each a
function `rule(case, plan) -> bool` that reads the evidence (deployment_evidence, sometimes probe_endpoints) and,
when the failure is its own, adds the least change that makes the outcome true and the check that it did (or
says exactly what is missing and changes nothing). The first rule that claims the case decides.

Like the rulebook itself, rules are stateless: everything is derived from the trajectory on every step, so a
call planned once is planned the same way the next time (inputs are computed from the first evidence read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from agent.brains.base import Trajectory
from agent.brains.playbook import Plan

ROLLOUT_TIMEOUT = 120


@dataclass
class Case:
    """One failing deployment: where it is, the failing pod's row of cluster_status (None when no pod fails),
    the evidence read for it, and the run so far."""

    namespace: str
    deployment: str
    pod: dict[str, Any] | None
    evidence: dict[str, Any]
    traj: Trajectory

    @property
    def category(self) -> str:
        return str((self.pod or {}).get("category") or "")

    def first_result(self, tool: str, args: dict[str, Any]) -> dict[str, Any] | None:
        """The first successful result of `tool` with exactly `args`: decisions rest on the first reading, so a
        later re-read (the check after a fix) does not change what was planned."""
        for obs in self.traj.observations():
            if obs.call.name == tool and obs.call.input == args and obs.result is not None:
                return obs.result
        return None

    def last_result(self, tool: str, args: dict[str, Any]) -> dict[str, Any] | None:
        for obs in reversed(self.traj.observations()):
            if obs.call.name == tool and obs.call.input == args and obs.result is not None:
                return obs.result
        return None

    def containers(self) -> list[dict[str, Any]]:
        return list(self.evidence.get("containers") or [])

    def facts(self) -> list[dict[str, Any]]:
        """Container facts of the deployment's pods, newest pod first."""
        return [f for p in self.evidence.get("pods") or [] for f in p.get("containers") or []]

    def logs(self) -> list[str]:
        return [line for p in self.evidence.get("pods") or [] for line in p.get("logs") or []]


class Rule(Protocol):
    def __call__(self, case: Case, plan: Plan) -> bool: ...


def wait_for(plan: Plan, case: Case, why: str = "") -> None:
    """The check after a write: the new pods Ready (wait_for_rollout)."""
    plan.add(
        "wait_for_rollout",
        why or f"Watch {case.deployment} until its new pods are Ready.",
        namespace=case.namespace,
        deployment=case.deployment,
        timeout_seconds=ROLLOUT_TIMEOUT,
    )


def rollout_finished(case: Case) -> dict[str, Any] | None:
    """The wait_for_rollout result planned by wait_for, once it ran."""
    return case.last_result(
        "wait_for_rollout",
        {"namespace": case.namespace, "deployment": case.deployment, "timeout_seconds": ROLLOUT_TIMEOUT},
    )


def after_write(plan: Plan, case: Case, done: str) -> None:
    """Close a fix: say what it did once the rollout was watched, or why it did not come out right."""
    result = rollout_finished(case)
    if result is None:
        return
    if result.get("ready"):
        plan.stop, plan.benign = f"{done}; {case.deployment} is rolled out and its pods are Ready.", True
    else:
        diag = result.get("diagnosis") or {}
        why = diag.get("evidence") or result.get("error") or "timed out"
        plan.stop = f"{done}, but {case.deployment} is not Ready yet: {why}"


def roll_back(plan: Plan, case: Case, good: int, why: str) -> None:
    """The fix of a bad rollout: rollout_undo to revision `good`, the watch, and the answer once it ran."""
    plan.add("rollout_undo", why, namespace=case.namespace, deployment=case.deployment, to_revision=good)
    wait_for(plan, case)
    after_write(plan, case, f"rolled {case.deployment} back to revision {good}")
