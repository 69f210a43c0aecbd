"""The recovery suite of issue 11 on the real cluster, with the RulebookBrain: every scenario of
tests/cluster_scenarios.py broken for real in its own namespace, recovered by the agent, and judged by the
outcome alone (tests/scenario_suite.py: Available, every pod Ready, restarts stable, endpoints answering), or for
the "say" scenarios by the answer naming the object and no write happening. Also: at most 8 steps and 0 model
calls each, every write asked for, nothing outside the namespace changed, and `shipshape undo` (the real CLI)
returning the undo scenarios to their broken state.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import suite_early
from tests.cluster_scenarios import SCENARIOS
from tests.scenario_suite import MAX_STEPS, REPO, Run, Suite, get, prepare, run_all, shows, table, wait

pytestmark = pytest.mark.cluster
SHIPSHAPE = str(REPO / ".venv" / "bin" / "shipshape")


def build_suite(workdir: Path) -> Suite:
    """Every scenario broken, then recovered by the agent and judged. tests/suite_early.py calls this on a thread
    at the start of the session, so that the waiting overlaps the other tests' builds."""
    # SHIPSHAPE_SUITE_ONLY=name,name sets up only those (a quicker loop while working on one rule).
    only = [n for n in os.environ.get("SHIPSHAPE_SUITE_ONLY", "").split(",") if n]
    made = prepare(workdir, [s for s in SCENARIOS if not only or s.name in only])
    try:
        run_all(made)
    except BaseException:
        made.remove()
        raise
    print("\n" + "\n".join(json.dumps(row) for row in table(made.runs)))
    return made


@pytest.fixture(scope="module")
def suite(kubeconfig: Path, node_docker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    early = suite_early.started() is not None
    made = suite_early.result() if early else build_suite(tmp_path_factory.mktemp("recovery"))
    try:
        yield made
    finally:
        made.remove()


def _run(suite: Suite, name: str) -> Run:
    found = next((r for r in suite.runs if r.scenario.name == name), None)
    if found is None and os.environ.get("SHIPSHAPE_SUITE_ONLY"):
        pytest.skip(f"{name} is not in SHIPSHAPE_SUITE_ONLY")
    assert found is not None, f"{name} was not run"
    return found


@pytest.mark.parametrize("name", [s.name for s in SCENARIOS])
def test_scenario_recovered_by_outcome(suite: Suite, name: str) -> None:
    run = _run(suite, name)
    answer = run.result.answer if run.result else ""
    assert run.passed, (
        f"{run.failures}\nsteps: {[s['tool'] for s in run.result.steps] if run.result else []}\n{answer}\n"
        + _what_it_saw(suite, run)
    )


def _what_it_saw(suite: Suite, run: Run) -> str:
    """For a failure: what each tool returned at the time, and the pods and events of the namespace now."""
    lines = []
    found = suite.store.incident(run.result.incident_id) if run.result else None
    for step in (found or {}).get("steps") or []:
        lines.append(f"{step['tool']} returned: {str(step.get('result'))[:1500]}")
    pods = get(run.namespace, "pods").get("items", [])
    for pod in pods:
        statuses = (pod.get("status") or {}).get("containerStatuses")
        lines.append(f"pod {pod['metadata']['name']} now: {json.dumps(statuses)}")
    for event in get(run.namespace, "events").get("items", []):
        lines.append(
            f"event {event.get('lastTimestamp') or event.get('eventTime')} {event.get('reason')} x{event.get('count')}:"
            f" {str(event.get('message'))[:200]}"
        )
    return "\n".join(lines)


def _whole(what: str) -> None:
    if os.environ.get("SHIPSHAPE_SUITE_ONLY"):
        pytest.skip(f"{what} is judged on the whole suite, not on SHIPSHAPE_SUITE_ONLY's part")


def test_the_suite_meets_the_bar(suite: Suite) -> None:
    _whole("the bar")
    tuned = [r for r in suite.runs if not r.scenario.held_out]
    assert len(suite.runs) >= 15 and sum(r.scenario.held_out for r in suite.runs) >= 3
    assert sum(r.passed for r in tuned) >= len(tuned) - 1
    for run in suite.runs:
        assert run.result is not None and run.result.model_calls == 0 and run.steps <= MAX_STEPS, run.scenario.name


def _template(namespace: str, deployment: str) -> dict[str, Any]:
    spec = get(namespace, "deployment", deployment)["spec"]["template"]["spec"]
    keep = ("image", "command", "resources")
    return {
        "containers": [{k: c.get(k) or None for k in keep} for c in spec["containers"]],
        "nodeSelector": spec.get("nodeSelector") or None,
    }


def _manifest_template(objects: list[dict[str, Any]], deployment: str) -> dict[str, Any]:
    dep = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == deployment)
    spec = dep["spec"]["template"]["spec"]
    keep = ("image", "command", "resources")
    return {
        "containers": [{k: c.get(k) or None for k in keep} for c in spec["containers"]],
        "nodeSelector": spec.get("nodeSelector") or None,
    }


def test_shipshape_undo_returns_scenarios_to_their_broken_state(suite: Suite) -> None:
    _whole("undo")
    undone = [r for r in suite.runs if r.scenario.undo and r.passed]
    assert len(undone) >= 3, [r.scenario.name for r in suite.runs if r.scenario.undo]
    for run in undone:
        proc = subprocess.run(
            [SHIPSHAPE, "undo", "--yes", "--json", "-c", str(run.root / "shipshape.toml")],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "SHIPSHAPE_DB": str(suite.workdir / "memory.db")},
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(proc.stdout)
        assert doc["ok"] and doc["kind"] == "cluster", doc
        broken = run.scenario.broken or run.scenario.good
        if doc["object"].startswith("Service/"):
            svc = next(o for o in broken if o["kind"] == "Service")
            assert doc["object"] == f"Service/{svc['metadata']['name']}" and run.scenario.name.startswith("service-")
            assert get(run.namespace, "service", svc["metadata"]["name"])["spec"]["selector"] == svc["spec"]["selector"]
        else:
            assert doc["object"] == f"Deployment/{run.scenario.deployment}"
            want = _manifest_template(broken, run.scenario.deployment)
            assert _template(run.namespace, run.scenario.deployment) == want
    for run in undone:
        assert wait(lambda run=run: shows(run), 90), f"{run.scenario.name}: the break did not come back"
