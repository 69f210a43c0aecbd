"""Pods that no node takes, or that are never created. A nodeSelector key no node carries is removed (or set to the
value the node has); insufficient cpu or memory lowers the requests to what the node can give; an untolerated
taint and an exceeded ResourceQuota are said exactly (which taint on which node, which quota and its figures)
and nothing is written: changing a taint or a quota is a decision about the cluster, not this deployment."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent.brains.playbook import Plan
from agent.brains.rules.case import Case, after_write, wait_for
from agent.pods.evidence import cpu_millis, mebibytes, memory_bytes

# A lowered request takes this share of the node's allocatable: the pod fits and leaves room for the others.
SHARE = 4


def millicores(n: int) -> str:
    return f"{n}m"


def _scheduling(case: Case) -> dict[str, Any] | None:
    return next((p["scheduling"] for p in case.evidence.get("pods") or [] if p.get("scheduling")), None)


def _selector_fix(case: Case) -> tuple[dict[str, str | None], list[str]]:
    nodes = case.evidence.get("nodes") or []
    fix: dict[str, str | None] = {}
    said = []
    for key, value in (case.evidence.get("node_selector") or {}).items():
        if any(n["labels"].get(key) == value for n in nodes):
            continue
        have = sorted({n["labels"][key] for n in nodes if key in n["labels"]})
        if len(have) == 1:
            fix[key] = have[0]
            said.append(f"nodeSelector {key}={value}: the node has {key}={have[0]}")
        else:
            fix[key] = None
            said.append(f"nodeSelector {key}={value}: no node has the label {key}, so the key is removed")
    return fix, said


def _lowered(case: Case, lacking: list[str]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    nodes = case.evidence.get("nodes") or []
    container = next(iter(case.containers()), {})
    resources = container.get("resources") or {}
    requests, limits = dict(resources.get("requests") or {}), resources.get("limits") or {}
    said = []
    for resource in lacking:
        read: Callable[[Any], int | None] = memory_bytes if resource == "memory" else cpu_millis
        show: Callable[[int], str] = mebibytes if resource == "memory" else millicores
        free = max((read(n["allocatable"].get(resource)) or 0 for n in nodes), default=0)
        asked = read(requests.get(resource))
        if not free or asked is None:
            continue
        fit = free // SHARE
        limit = read(limits.get(resource))
        if limit is not None:
            fit = min(fit, limit)
        requests[resource] = show(fit)
        said.append(
            f"requests.{resource} {resources['requests'][resource]} is more than the node allocates "
            f"({show(free)}): lowered to {show(fit)}"
        )
    return container, requests, said


def pending(case: Case, plan: Plan) -> bool:
    """Unschedulable -> fix the nodeSelector or lower the requests; say which taint; then watch the rollout."""
    sched = _scheduling(case)
    if sched is None:
        return False
    nodes = case.evidence.get("nodes") or []
    if sched.get("node_selector"):
        fix, said = _selector_fix(case)
        if fix:
            plan.summary.extend(f"{case.deployment}: {s}" for s in said)
            plan.add(
                "patch_deployment",
                "Make the nodeSelector match the node: " + "; ".join(said),
                namespace=case.namespace,
                deployment=case.deployment,
                node_selector=fix,
            )
            wait_for(plan, case)
            after_write(plan, case, "fixed the nodeSelector (" + "; ".join(said) + ")")
            return True
    lacking = [r for r in sched.get("insufficient") or [] if r in ("cpu", "memory")]
    if lacking:
        container, requests, said = _lowered(case, lacking)
        if said:
            plan.summary.extend(f"{case.deployment}: {s}" for s in said)
            plan.add(
                "patch_deployment",
                "Lower the requests to what the node has: " + "; ".join(said),
                namespace=case.namespace,
                deployment=case.deployment,
                container=container["name"],
                resources={"requests": {k: requests[k] for k in lacking if k in requests}},
            )
            wait_for(plan, case)
            after_write(plan, case, "lowered the requests (" + "; ".join(said) + ")")
            return True
    taints = sched.get("taints") or []
    if taints:
        on = [f"{n['name']}: {', '.join(n['taints'])}" for n in nodes if n.get("taints")]
        plan.stop = (
            f"{case.deployment} is Pending: the node has taint {', '.join(taints)} that its pods do not tolerate "
            f"({'; '.join(on) or 'see kubectl describe node'}). Add a matching toleration to the deployment if it "
            "belongs there, or remove the taint from the node. Nothing was changed."
        )
        return True
    plan.stop = f"{case.deployment} is Pending: {sched.get('message')}. Nothing was changed."
    return True


def quota_exceeded(case: Case, plan: Plan) -> bool:
    """A ResourceQuota refused the ReplicaSet's pods -> say which quota and its figures; no write."""
    refusal = case.evidence.get("quota_refusal")
    if not refusal:
        return False
    plan.summary.append(
        f"ResourceQuota {refusal['quota']} refuses new pods of {case.deployment}: requested {refusal['requested']}, "
        f"used {refusal['used']}, limited {refusal['limited']}"
    )
    plan.stop = (
        f"{case.deployment} has {case.evidence.get('ready_replicas', 0)} of {case.evidence.get('replicas')} pods: "
        f"ResourceQuota {refusal['quota']} in namespace {case.namespace} allows {refusal['limited']} and "
        f"{refusal['used']} is used. Raise the quota (kubectl -n {case.namespace} edit resourcequota "
        f"{refusal['quota']}) or scale {case.deployment} down to fit. Nothing was changed."
    )
    return True
