"""The recovery suite of issue 11 (tests/cluster_scenarios.py) with the RulebookBrain on the real cluster: one row
per scenario (passed by outcome, steps, seconds, model calls), the held-out scenarios reported apart, and the
summary figures against the goals (the tuned scenarios: all but one pass, <= 8 steps each, 0 model calls).

`python -m bench recovery` runs only this; the per-scenario table is printed by `report()` after the summary.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import Result

REPO = Path(__file__).resolve().parents[1]
_rows: list[dict[str, Any]] = []


def run() -> list[Result]:
    sys.path.insert(0, str(REPO))
    os.environ["PATH"] = f"{REPO / '.tools' / 'bin'}{os.pathsep}{os.environ['PATH']}"
    from tests.scenario_suite import MAX_STEPS, prepare, run_all, table

    with tempfile.TemporaryDirectory() as tmp:
        suite = prepare(Path(tmp))
        try:
            run_all(suite)
        finally:
            suite.remove()
        _rows[:] = table(suite.runs)
    tuned = [r for r in _rows if not r["held_out"]]
    held = [r for r in _rows if r["held_out"]]
    passed = sum(r["passed"] for r in tuned)
    steps = max((r["steps"] for r in _rows), default=0)
    calls = sum(r["model_calls"] for r in _rows)
    return [
        Result(
            "recovery suite: rulebook, tuned scenarios passed",
            float(passed),
            f"of {len(tuned)}",
            f">= {len(tuned) - 1}",
            passed >= len(tuned) - 1,
            "by outcome (or, for 'say' scenarios, the answer naming the object and no write)",
        ),
        Result(
            "recovery suite: rulebook, held-out scenarios passed",
            float(sum(r["passed"] for r in held)),
            f"of {len(held)}",
            "reported apart",
            None,
            ", ".join(r["scenario"] for r in held if not r["passed"]) or "all passed",
        ),
        Result(
            "recovery suite: most steps in one scenario", float(steps), "steps", f"<= {MAX_STEPS}", steps <= MAX_STEPS
        ),
        Result("recovery suite: model calls (rulebook)", float(calls), "calls", "0", calls == 0),
    ]


def report(console: Any) -> None:
    """The per-scenario table."""
    from rich.table import Table

    if not _rows:
        return
    out = Table(title="recovery suite (rulebook, real cluster)")
    for column in (
        "scenario",
        "held out",
        "verdict",
        "passed by outcome",
        "steps",
        "seconds",
        "model calls",
        "why not",
    ):
        out.add_column(column)
    for r in _rows:
        out.add_row(
            r["scenario"],
            "yes" if r["held_out"] else "",
            r["verdict"],
            "yes" if r["passed"] else "NO",
            str(r["steps"]),
            f"{r['seconds']:.1f}",
            str(r["model_calls"]),
            r["why"],
        )
    console.print(out)
