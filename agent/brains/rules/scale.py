"""Requests in words: "scale frontend to 3", "scale the deployment to 2 replicas". The deployment is the one named
(exactly, or the only one whose name contains the word), or the namespace's only deployment; the change is
scale_deployment (asked for approval like every write), checked by watching the rollout."""

from __future__ import annotations

import re
from typing import Any

from agent.brains.base import Trajectory
from agent.brains.playbook import Plan, result_of
from agent.brains.rules.case import ROLLOUT_TIMEOUT

_SCALE = re.compile(
    r"\bscale\s+(?:(?:up|down)\s+)?(?:the\s+)?(?:deployment\s+)?(?:(?P<name>[a-z0-9][a-z0-9.-]*)\s+)?"
    r"(?:(?:up|down)\s+)?to\s+(?P<n>\d+)(?:\s+(?:replicas?|pods?|instances?))?\b",
    re.I,
)
_NOT_NAMES = {"the", "deployment", "to", "up", "down", "it", "app"}


def scale_request(report: str) -> tuple[str | None, int] | None:
    """(deployment word or None, replicas) when the report asks to scale; None otherwise."""
    found = _SCALE.search(report)
    if not found:
        return None
    name = found["name"]
    if name and name.lower() in _NOT_NAMES:
        name = None
    return name, int(found["n"])


def resolve(word: str | None, deployments: list[str]) -> str | None:
    """The deployment a word names: exact, else the only one containing it; with no word, the only one."""
    if word is None:
        return deployments[0] if len(deployments) == 1 else None
    if word in deployments:
        return word
    near = [d for d in deployments if word.lower() in d.lower()]
    return near[0] if len(near) == 1 else None


def scale_plan(plan: Plan, namespace: str, status: dict[str, Any], traj: Trajectory) -> None:
    """cluster_status has run: add scale_deployment and wait_for_rollout, or say why the request is unclear."""
    asked = scale_request(traj.report)
    if asked is None:
        return
    word, replicas = asked
    names = [d["name"] for d in status.get("deployments") or []]
    name = resolve(word, names)
    if name is None:
        which = f"no single deployment matches {word!r}" if word else "the namespace has several deployments"
        plan.stop = f"cannot tell which deployment to scale: {which} (deployments: {', '.join(names) or 'none'})."
        return
    plan.summary.append(f"asked to scale {name} to {replicas} replica(s)")
    plan.add(
        "scale_deployment",
        f"Scale {name} to {replicas} as asked.",
        namespace=namespace,
        deployment=name,
        replicas=replicas,
    )
    plan.add(
        "wait_for_rollout",
        f"Watch {name} until {replicas} pods are Ready.",
        namespace=namespace,
        deployment=name,
        timeout_seconds=ROLLOUT_TIMEOUT,
    )
    watched = result_of(traj, "wait_for_rollout", plan.calls[-1].input)
    if watched is not None:
        if watched.get("ready"):
            plan.stop, plan.benign = (
                f"{name} is scaled to {replicas}; {watched.get('ready_pods')} pods are Ready.",
                True,
            )
        else:
            plan.stop = f"{name} was scaled to {replicas}, but not every pod is Ready: {watched.get('diagnosis')}"
