"""Cold and warm `make cluster` times, read from what scripts/cluster-up.sh recorded in .cluster/timings.json.

Every start appends an entry with its kind: `cold` (the Kubernetes binaries had to be built), `warm` (cached
binaries, processes started) or `already-up` (nothing to do). A cold start happens once per machine, so when this
clone never saw one, the cold figure is composed from the build time that scripts/build-k8s.sh recorded next to
the cached binaries plus the median warm start, and the note says so.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from pathlib import Path
from typing import Any

from bench import Result

REPO = Path(__file__).resolve().parents[1]
TIMINGS = REPO / ".cluster" / "timings.json"
CACHE = Path(os.environ.get("SHIPSHAPE_CACHE", Path.home() / ".cache" / "shipshape"))
BUILD_TIMING = CACHE / "k8s-v1.20.2" / "build-timing.json"
WARM_GOAL_S = 30.0
# Issue 3: "Cold: the build plus about a minute".
COLD_OVER_BUILD_GOAL_S = 60.0


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _history() -> list[dict[str, Any]]:
    data = _read_json(TIMINGS) or {}
    history = data.get("history", [])
    return [e for e in history if isinstance(e, dict) and "kind" in e and "total_s" in e]


def _missing(name: str, goal: str, why: str) -> Result:
    return Result(name, math.nan, "s", goal=goal, met=None, note=why)


def warm_result(history: list[dict[str, Any]]) -> Result:
    """Median of the last five warm starts; the note gives the apiserver and node-Ready split."""
    goal = f"<= {WARM_GOAL_S:.0f} s"
    warm = [e for e in history if e["kind"] == "warm"][-5:]
    if not warm:
        return _missing("make cluster: warm start", goal, "no warm start recorded: make cluster-down && make cluster")
    total = statistics.median(e["total_s"] for e in warm)
    api = statistics.median(e["apiserver_healthy_s"] for e in warm)
    ready = statistics.median(e["node_ready_s"] for e in warm)
    note = f"median of {len(warm)}; apiserver healthy {api:.1f} s, node Ready {ready:.1f} s"
    return Result("make cluster: warm start", total, "s", goal=goal, met=total <= WARM_GOAL_S, note=note)


def cold_result(history: list[dict[str, Any]]) -> Result:
    """The last recorded cold start, or the cached build time plus the median warm start."""
    goal = f"build + <= {COLD_OVER_BUILD_GOAL_S:.0f} s"
    cold = [e for e in history if e["kind"] == "cold"]
    if cold:
        last = cold[-1]
        over = last["total_s"] - last["build_fetch_s"]
        note = f"measured {last.get('at', '?')}: build+fetch {last['build_fetch_s']:.0f} s, then {over:.1f} s"
        return Result(
            "make cluster: cold start", last["total_s"], "s", goal=goal, met=over <= COLD_OVER_BUILD_GOAL_S, note=note
        )
    build = _read_json(BUILD_TIMING)
    warm = [e for e in history if e["kind"] == "warm"][-5:]
    if not build or "build_s" not in build or not warm:
        return _missing("make cluster: cold start", goal, "no cold start or recorded build time on this machine")
    start = statistics.median(e["total_s"] for e in warm)
    total = float(build["build_s"]) + start
    note = f"composed: build {build['build_s']} s ({build.get('at', '?')}) + median warm start {start:.1f} s"
    return Result("make cluster: cold start", total, "s", goal=goal, met=start <= COLD_OVER_BUILD_GOAL_S, note=note)


def run() -> list[Result]:
    """Cold and warm `make cluster` times from the recorded history."""
    history = _history()
    return [cold_result(history), warm_result(history)]
