"""Faults in the middle of an operation (bench/faults.py), run against the real components and held to
"the user is told, and no data is lost": shipshape killed with SIGKILL inside a schema.prisma edit, and a model
that never answers (the stand-in Messages server hangs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.faults import sigkill_mid_schema_edit, slow_model

pytestmark = pytest.mark.unit


def test_sigkill_in_the_middle_of_a_schema_edit_leaves_old_or_new_and_the_journal_says_which(tmp_path: Path) -> None:
    row = sigkill_mid_schema_edit(tmp_path, kills=8, padding_lines=20_000)
    assert row.data_lost == "none", row.data_lost
    assert row.details["inside_an_edit"] > 0, "no kill landed inside an edit: the test proved nothing"
    assert row.details["temporary_files_left"] == 0
    assert row.ok


def test_a_model_that_never_answers_is_waited_for_visibly_then_the_rulebook_takes_over(tmp_path: Path) -> None:
    """Before: about 185 s of silence (60 s per attempt, three attempts) before the fallback."""
    row = slow_model(tmp_path, timeout=3.0)
    assert not row.skipped, row.skipped
    assert row.data_lost == "none", (row.data_lost, row.details)
    assert row.recover_seconds <= 4.5
    assert "waiting for the model" in row.user_saw and "continuing with the rulebook" in row.user_saw
