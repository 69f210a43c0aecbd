"""OOMKilled: the container needs more memory than its limit. Raise the limit to the observed peak with headroom;
with no peak to observe (no metrics), to twice the old limit; never past what the node can allocate."""

from __future__ import annotations

from typing import Any

from agent.brains.playbook import Plan
from agent.brains.rules.case import Case, after_write, wait_for
from agent.pods.evidence import mebibytes, memory_bytes

HEADROOM = 1.5


def new_limit(old: int, peak: int | None, allocatable: int | None) -> int:
    """Bytes: the observed peak plus headroom (at least the old limit plus a quarter), else twice the old limit,
    at most the node's allocatable memory."""
    wanted = max(int(peak * HEADROOM), old + old // 4) if peak else old * 2
    if allocatable:
        wanted = min(wanted, allocatable)
    return wanted


def _oom_container(case: Case) -> str | None:
    for fact in case.facts():
        if "OOMKilled" in (fact.get("last_reason"), fact.get("reason")):
            return str(fact["name"])
    if case.category != "oom-killed":
        return None
    # the pod diagnosis read a SIGKILL under a memory limit as the OOM killer where the runtime said Error
    # (kubernetes#19825): the container whose last run ended with 137
    killed = next((f for f in case.facts() if int(f.get("last_exit_code") or 0) == 137), None)
    return str((case.pod or {}).get("container") or (killed or {}).get("name") or "") or None


def oom_killed(case: Case, plan: Plan) -> bool:
    """OOMKilled -> patch_deployment resources.limits.memory (raised), then watch the rollout."""
    name = _oom_container(case)
    if name is None:
        return False
    spec: dict[str, Any] = next((c for c in case.containers() if c["name"] == name), {})
    limits = (spec.get("resources") or {}).get("limits") or {}
    old = memory_bytes(limits.get("memory"))
    if old is None:
        plan.stop = (
            f"{case.deployment}'s container {name} was OOMKilled with no memory limit of its own: the node ran "
            "out of memory. Lower the application's memory use or give the node more. Nothing was changed."
        )
        return True
    allocatable = min(
        (memory_bytes(n.get("allocatable", {}).get("memory")) or 0 for n in case.evidence.get("nodes") or []),
        default=0,
    )
    limit = new_limit(old, None, allocatable or None)
    if limit <= old:
        plan.stop = (
            f"{case.deployment}'s container {name} was OOMKilled at {limits.get('memory')}, already what the node "
            "can allocate. Nothing was changed."
        )
        return True
    quantity = mebibytes(limit)
    plan.summary.append(
        f"container {name} of {case.deployment} was OOMKilled at its limit of {limits.get('memory')}; no usage "
        f"peak can be observed here, so the limit goes to twice that, {quantity} (node allocatable "
        f"{mebibytes(allocatable) if allocatable else 'unknown'})"
    )
    plan.add(
        "patch_deployment",
        f"Raise {name}'s memory limit from {limits.get('memory')} to {quantity}.",
        namespace=case.namespace,
        deployment=case.deployment,
        container=name,
        resources={"limits": {"memory": quantity}},
    )
    wait_for(plan, case)
    after_write(plan, case, f"raised the memory limit of {name} to {quantity}")
    return True
