"""The Shipwright corpus of real failed builds (../shared/corpora/shipwright beside the repository) and the
labelled sample in tests/fixtures/labelled, for the accuracy test and the benchmark."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
LABELS = REPO / "tests" / "fixtures" / "labelled" / "shipwright-labels.yaml"
# Labelled after the patterns were written and never used to tune them.
HOLDOUT = REPO / "tests" / "fixtures" / "labelled" / "shipwright-holdout.yaml"


def corpus_dir() -> Path:
    """SHIPSHAPE_SHIPWRIGHT, else <repo>/../shared/corpora/shipwright/clustered-data."""
    override = os.environ.get("SHIPSHAPE_SHIPWRIGHT")
    if override:
        return Path(override)
    return REPO.parent / "shared" / "corpora" / "shipwright" / "clustered-data"


@lru_cache(maxsize=256)
def _cluster(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((corpus_dir() / name).read_text(encoding="utf-8"))
    return data


def record_log(record: dict[str, Any]) -> str:
    """A record's log as docker printed it: stdout, then stderr."""
    return (record.get("raw_stdout_log") or "") + "\n" + (record.get("raw_stderr_log") or "")


def log_of(ref: str) -> str:
    """The log of "kN.json#i"."""
    name, _, index = ref.partition("#")
    return record_log(_cluster(name)[int(index)])


def iter_logs() -> Iterator[tuple[str, str]]:
    """("kN.json#i", log) for every record of the corpus."""
    files = sorted(corpus_dir().glob("k*.json"), key=lambda p: int(p.stem[1:]))
    for path in files:
        records = json.loads(path.read_text(encoding="utf-8"))
        for index, record in enumerate(records):
            yield f"{path.name}#{index}", record_log(record)


def labels(path: Path = LABELS) -> list[dict[str, str]]:
    """The hand-made labels: [{"log", "category", "why"}]."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(doc["labels"])


def labelled_accuracy(path: Path = LABELS) -> tuple[float, list[dict[str, str]]]:
    """(share of labelled logs whose root cause is right, the misses with what was said instead)."""
    from agent.diagnosis import diagnose_bytes

    rows = labels(path)
    misses = []
    for row in rows:
        got = diagnose_bytes(log_of(row["log"])).root_cause
        if got != row["category"]:
            misses.append({**row, "got": got})
    return (len(rows) - len(misses)) / len(rows), misses
