"""Memory: every failure recorded, unknown failures learned, fixes ranked by their outcomes, search, review."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from agent.buildlog import diagnose_bytes
from agent.buildlog.patterns import load_knowledge
from agent.memory import learning
from agent.memory.store import Store

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[1]
CLI = str(REPO / ".venv" / "bin" / "shipshape")
NOVEL = (
    "Step 5/7 : RUN ./bin/frobnicate --all\n ---> Running in {cid}\n"
    "frobnicate: the widget refused at {stamp}\n"
    "The command '/bin/sh -c ./bin/frobnicate --all' returned a non-zero code: 42\n"
)
NPM = "Step 3/6 : RUN npm ci\nnpm ERR! code ETIMEDOUT\nThe command '/bin/sh -c npm ci' returned a non-zero code: 1\n"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result


def test_same_novel_failure_twice_is_one_unknown_signature_with_count_two(tmp_path: Path) -> None:
    for n, (cid, stamp) in enumerate(
        [("8db1f8f668a4", "2026-01-01T10:00:00Z"), ("1c86144ede1c", "2026-02-02T11:11:11Z")]
    ):
        log = tmp_path / f"build{n}.log"
        log.write_text(NOVEL.format(cid=cid, stamp=stamp))
        doc = json.loads(_cli("diagnose", str(log), "--json", "--image", "frontend").stdout)
    assert doc["memory"]["count"] == 2 and doc["memory"]["known"] is False
    unknown = json.loads(_cli("errors", "list", "--unknown", "--json").stdout)
    assert len(unknown) == 1
    assert (
        unknown[0]["count"] == 2 and unknown[0]["known"] == 0 and unknown[0]["category"] in ("script-error", "unknown")
    )


def test_unknown_failure_is_stored_with_known_zero(store: Store) -> None:
    diagnosis = diagnose_bytes(
        "Step 2/2 : RUN zork\nzork: sad\nThe command '/bin/sh -c zork' returned a non-zero code: 3\n"
    )
    assert diagnosis.root_cause == "unknown"
    first = learning.remember_diagnosis(store, diagnosis, image="backend")
    second = learning.remember_diagnosis(store, diagnosis, image="backend")
    assert first["memory"]["signature"] == second["memory"]["signature"]
    assert second["memory"]["count"] == 2
    rows = learning.list_signatures(store, unknown=True)
    assert [r["count"] for r in rows] == [2]
    failures = store.rows("SELECT image, step, exit_code FROM failures")
    assert failures == [{"image": "backend", "step": "Step 2/2 : RUN zork", "exit_code": 3}] * 2


def test_fix_that_worked_is_ranked_first_next_time(store: Store) -> None:
    diagnosis = diagnose_bytes(NPM)
    doc = learning.remember_diagnosis(store, diagnosis, image="frontend")
    shipped = [f["id"] for f in doc["findings"][0]["fixes"]]
    assert shipped == ["npm-retry-settings", "npm-registry-mirror"]
    sig = doc["memory"]["signature"]
    learning.record_fix_attempt(store, sig, "npm-registry-mirror", image="frontend")
    assert learning.resolve_fix_outcomes(store, "backend", build_ok=True) == 0  # another image: untouched
    assert learning.resolve_fix_outcomes(store, "frontend", build_ok=True) == 1
    again = learning.remember_diagnosis(store, diagnose_bytes(NPM), image="frontend")
    ranked = again["findings"][0]["fixes"]
    assert [f["id"] for f in ranked] == ["npm-registry-mirror", "npm-retry-settings"]
    assert ranked[0]["succeeded"] == 1 and ranked[0]["score"] > ranked[1]["score"]


def test_fix_that_failed_drops_below_untried(store: Store) -> None:
    fixes = load_knowledge().fixes_for_category("pip-build")
    learning.record_fix_attempt(store, "sig-x", fixes[0].id, image="backend")
    learning.resolve_fix_outcomes(store, "backend", build_ok=False)
    ranked = learning.rank_fixes(store, "sig-x", fixes)
    assert ranked[-1]["id"] == fixes[0].id and ranked[-1]["tried"] == 1
    assert learning.pending_fixes(store, "backend") == []


def test_full_text_search_and_stats(store: Store) -> None:
    learning.remember_diagnosis(store, diagnose_bytes(NPM), image="frontend")
    learning.remember_diagnosis(store, diagnose_bytes("E: Unable to locate package libfoo-dev\n"), image="backend")
    found = learning.list_signatures(store, search="ETIMEDOUT")
    assert len(found) == 1 and found[0]["category"] == "npm-network"
    assert learning.list_signatures(store, search="backend")[0]["category"] == "apt-package"
    assert learning.list_signatures(store, search='"; DROP TABLE') == []
    stats = learning.stats(store)
    assert stats["signatures"] == 2 and stats["failures"] == 2


def test_review_serves_facets_and_descriptions(tmp_path: Path, store: Store) -> None:
    learning.remember_diagnosis(store, diagnose_bytes(NPM), image="frontend")
    name = store.path.stem
    doc = json.loads(_cli("review", "--get", f"/{name}/failures.json?_facet=category&_facet=image").stdout)
    assert doc["rows"] and set(doc["facet_results"]) >= {"category", "image"}
    html = _cli("review", "--get", f"/{name}/fix_attempts").stdout
    assert "Fixes tried" in html and "pending until the next build" in html


def test_detect_and_recall_tools(tmp_path: Path, store: Store) -> None:
    from agent.project.config import load_project
    from agent.tools import get
    from agent.tools.context import ToolContext

    ctx = ToolContext(project=load_project(REPO / "examples" / "todo" / "shipshape.toml"), store=store)
    log = tmp_path / "logs" / "build.log"  # the logs directory beside the memory database: tools may read it
    log.parent.mkdir()
    log.write_text(NPM)
    doc = get("detect_build_failures").call(ctx, {"log_path": str(log), "image": "frontend"})
    assert doc["root_cause"] == "npm-network" and doc["memory"]["count"] == 1
    known = get("recall").call(ctx, {"signature": doc["memory"]["signature"], "image": "frontend"})
    assert known["signature"]["count"] == 1 and known["signature"]["failures"][0]["image"] == "frontend"
    assert known["image"]["failures"][0]["category"] == "npm-network"
    assert get("detect_build_failures").writes is False and get("apply_fix").writes is True
