"""Many processes on one memory database (Slack and MCP serve many users; several commands run at once):
concurrent first use, a new signature recorded by several processes at the same moment, and the stress run
(8 processes x 50 operations) with no error and exact counts afterwards."""

from __future__ import annotations

import multiprocessing
import time
import traceback
from pathlib import Path
from typing import Any

import pytest

from bench.stress import run_stress

pytestmark = pytest.mark.unit


def _first_use(db: str, start_at: float, out: Any) -> None:
    try:
        from agent.memory import learning
        from agent.memory.store import Store

        while time.time() < start_at:
            time.sleep(0.0005)
        store = Store(db)  # the brand-new database: WAL switch and migrations race here
        learning.record_failure(store, "unknown: a failure nobody has seen", "unknown", excerpt="boom")
        store.close()
        out.put("")
    except Exception:
        out.put(traceback.format_exc(limit=2))


def test_concurrent_first_use_and_a_new_signature_recorded_at_once(tmp_path: Path) -> None:
    """Before WAL-under-a-lock migrations and the upsert: 'database is locked' in the migrations and
    'UNIQUE constraint failed: signatures.signature' (a few runs in a hundred)."""
    ctx = multiprocessing.get_context("fork")
    errors: list[str] = []
    processes, rounds = 6, 15
    for round_ in range(rounds):
        db = str(tmp_path / f"memory-{round_}.db")
        queue = ctx.Queue()
        start_at = time.time() + 0.3
        workers = [ctx.Process(target=_first_use, args=(db, start_at, queue)) for _ in range(processes)]
        for w in workers:
            w.start()
        errors += [e for e in (queue.get(timeout=60) for _ in workers) if e]
        for w in workers:
            w.join(timeout=10)
        from agent.memory.store import Store

        store = Store(db)
        counted = store.rows("SELECT count FROM signatures")
        store.close()
        assert [r["count"] for r in counted] == [processes], (round_, counted, errors[:1])
    assert not errors, errors[0]


def test_stress_eight_processes_fifty_operations_each(tmp_path: Path) -> None:
    result = run_stress(tmp_path / "stress", processes=8, operations=50)
    assert not result.errors, result.errors[:3]
    assert result.counted == result.expected
    assert result.expected["failures"] == 80 and result.expected["edits_undone"] == 80
