"""A Service that does not reach its pods: a selector no pod carries (no endpoints), or a targetPort the pods do
not listen on. Said exactly (which label or port, and what the pods have) with the kubectl command that fixes it;
nothing is written: shipshape has no journalled, undoable Service write yet."""

from __future__ import annotations

from typing import Any

from agent.brains.playbook import Plan
from agent.brains.rules.case import Case


def _broken(case: Case) -> list[dict[str, Any]]:
    return [s for s in case.evidence.get("services") or [] if s.get("problem")]


def _command(namespace: str, svc: dict[str, Any]) -> str:
    fix = svc.get("fix") or {}
    if "selector" in fix:
        body = {"spec": {"selector": fix["selector"]}}
    elif "ports" in fix:
        body = {"spec": {"ports": [{**p, "name": next((q["name"] for q in svc["ports"]), "")} for p in fix["ports"]]}}
    else:
        return ""
    import json

    return f"kubectl -n {namespace} patch service {svc['name']} -p '{json.dumps(body)}'"


def service_unreachable(case: Case, plan: Plan) -> bool:
    """Service selector / targetPort mismatch -> say exactly which, and the patch that fixes it; no write."""
    broken = _broken(case)
    if not broken:
        return False
    lines = []
    for svc in broken:
        command = _command(case.namespace, svc)
        lines.append(svc["problem"] + (f"; the fix: {command}" if command else ""))
    plan.summary.extend(lines)
    plan.stop = "; ".join(lines) + ". Nothing was changed."
    return True
