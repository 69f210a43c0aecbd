"""A crash loop that came with a rollout: the command is not in the image (exit 127, "not found"), the binary is
for another platform (exec format error), a file it needs is missing, or the new settings make it exit. The
previous revision ran: going back to it is the least change. With no earlier revision, say what failed."""

from __future__ import annotations

import re

from agent.brains.playbook import Plan
from agent.brains.rules.case import Case, roll_back

CRASH_CATEGORIES = {"crash-loop", "unknown"}
_CAUSES = (
    ("exec format error", re.compile(r"exec format error", re.I)),
    ("command not found", re.compile(r"not found|executable file not found|command not found", re.I)),
    ("missing file", re.compile(r"No such file or directory|can't open", re.I)),
)


def cause(case: Case) -> str:
    """The crash's cause in a few words, from the exit code, the termination message and the last log lines."""
    facts = case.facts()
    text = "\n".join([f.get("last_message", "") + "\n" + f.get("message", "") for f in facts] + case.logs())
    for name, pattern in _CAUSES:
        if pattern.search(text):
            return name
    codes = [f.get("last_exit_code") for f in facts if f.get("last_exit_code") not in (None, 0)]
    if 127 in codes:
        return "command not found"
    if 126 in codes:
        return "command not executable"
    return f"exit code {codes[0]}" if codes else "the container exits"


def _crashing(case: Case) -> bool:
    if case.category == "crash-loop":
        return True
    return any(
        f.get("last_exit_code") not in (None, 0) or f.get("reason") in ("CrashLoopBackOff", "ContainerCannotRun")
        for f in case.facts()
    )


def killed_by_liveness(case: Case) -> bool:
    """The restarts are the kubelet's, not the program's: the liveness probe fails and the exits are kills."""
    liveness = any(
        f.get("probe") == "liveness" for p in case.evidence.get("pods") or [] for f in p.get("probe_failures") or []
    )
    codes = {f.get("last_exit_code") for f in case.facts() if f.get("restarts")}
    return liveness and codes <= {137, 143, None, 0}


def crash_after_rollout(case: Case, plan: Plan) -> bool:
    """Crash loop -> rollout_undo to the last good revision when the crash came with the current one."""
    if case.category not in CRASH_CATEGORIES or not _crashing(case) or killed_by_liveness(case):
        return False
    why = cause(case)
    last_line = next((ln for ln in reversed(case.logs()) if ln.strip()), "")
    evidence = f"{why}" + (f" (log: {last_line.strip()[:160]})" if last_line else "")
    good = case.evidence.get("last_good_revision")
    if good is None:
        plan.stop = (
            f"{case.deployment} crashes: {evidence}. It has no earlier revision to go back to. Next step: "
            f"{(case.pod or {}).get('next_step') or 'fix the command or the image'}. Nothing was changed."
        )
        return True
    changed = "; ".join(case.evidence.get("changed") or []) or "its pod template"
    plan.summary.append(
        f"{case.deployment} revision {case.evidence.get('revision')} crashes: {evidence}; it changed {changed} "
        f"from revision {good}"
    )
    roll_back(
        plan,
        case,
        good,
        f"The crash ({why}) came with revision {case.evidence.get('revision')}: go back to revision {good}.",
    )
    return True
