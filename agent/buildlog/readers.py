"""Two readers of one labelled set (issues 12m and 12y): a second reader labels the same logs blind, and how often the
two agree is the ceiling of what any accuracy measured on such labels can say."""

from __future__ import annotations

from pathlib import Path

import yaml

from agent.buildlog.corpus import REPO

# Second readers' blind labels of a set another reader labelled (issue 12m: a clustered Shipwright draw; issue 12y:
# both of 12x's sets, an unclustered draw and pasted modern excerpts): how often two readers agree is the ceiling of
# what any accuracy measured on such a set can say. (first reader's file, second reader's file), oldest first.
SECOND_READERS = tuple(
    (first, REPO / "tests" / "fixtures" / "labelled" / "second-reader" / f"{first.stem}-b.yaml")
    for first in (
        REPO / "tests" / "fixtures" / "labelled" / "shipwright-holdout14.yaml",
        REPO / "tests" / "fixtures" / "labelled" / "shipwright-holdout25.yaml",
        REPO / "tests" / "fixtures" / "buildlogs" / "modern-holdout24.yaml",
    )
)


def _labelled(path: Path) -> list[tuple[str, str]]:
    """(log or source, label) of every row of a labelled file: a Shipwright file's `labels` ({log, category}), a
    modern file's `entries` ({source, label}), or a second reader's file of either ({log or source, category})."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    rows = doc.get("labels") or doc.get("entries") or []
    return [(r.get("log") or r["source"], r.get("category") or r["label"]) for r in rows]


def reader_agreement(first: Path, second: Path) -> tuple[int, int, list[tuple[str, str, str]]]:
    """(same label, logs, [(log, first's label, second's label) where they differ]) of two readers of one set."""
    a, b = _labelled(first), _labelled(second)
    if [log for log, _ in a] != [log for log, _ in b]:
        raise ValueError(f"{second.name} does not label the draw of {first.name} in its order")
    differ = [(log, x, y) for (log, x), (_, y) in zip(a, b, strict=True) if x != y]
    return len(a) - len(differ), len(a), differ
