"""A Service that does not reach its pods: a selector no pod carries (no endpoints), or a targetPort the pods do
not listen on. Named exactly; when the fix is certain (one deployment the selector was meant for, one port the
pods declare) it is made with patch_service (asked for, journalled, undoable) and the endpoints read again."""

from __future__ import annotations

from typing import Any

from agent.brains.playbook import Plan
from agent.brains.rules.case import Case


def _broken(case: Case) -> list[dict[str, Any]]:
    return [s for s in case.evidence.get("services") or [] if s.get("problem")]


def service_unreachable(case: Case, plan: Plan) -> bool:
    """Service selector / targetPort mismatch -> patch_service, then deployment_evidence shows the endpoints."""
    broken = _broken(case)
    if not broken:
        return False
    svc = broken[0]
    plan.summary.append(svc["problem"])
    fix = svc.get("fix")
    if not fix:
        plan.stop = f"{svc['problem']}. Nothing was changed."
        return True
    change = {k: v for k, v in fix.items() if k in ("selector", "ports")}
    args = {"namespace": case.namespace, "service": svc["name"], **change}
    plan.add("patch_service", f"Make service {svc['name']} reach deployment {fix['deployment']}'s pods.", **args)
    check = {"namespace": case.namespace}
    plan.add("deployment_evidence", f"Check that service {svc['name']} reaches its pods now.", **check)
    seen = case.traj.observations()
    written = [i for i, o in enumerate(seen) if o.call.name == "patch_service" and o.ok]
    after = [
        o.result
        for o in seen[written[-1] if written else len(seen) :]
        if o.call.name == "deployment_evidence" and o.call.input == check and o.result is not None
    ]
    if after:
        now: dict[str, Any] = next((s for s in after[-1].get("services") or [] if s["name"] == svc["name"]), {})
        if now.get("endpoints") and not now.get("problem"):
            done = f"fixed service {svc['name']} ({svc['problem']}); it has {now['endpoints']} endpoint(s) now."
            plan.stop, plan.benign = done, True
        else:
            plan.stop = f"patched service {svc['name']}, but: {now.get('problem') or 'it has no endpoints yet'}"
    return True
