"""The shipped failure knowledge (data/patterns.yaml) loaded into typed, compiled patterns.

Two regexes per pattern: a literal prefilter that the scanner runs over raw bytes for every pattern at once
(google-re2, linear time), and a precise Python regex that is only applied to the few cleaned lines whose
raw bytes hit a prefilter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from agent.errors import ShipshapeError

PATTERNS_FILE = Path(__file__).resolve().parents[2] / "data" / "patterns.yaml"


@dataclass(frozen=True)
class Fix:
    """One way to repair a failure. `auto` says whether apply_fix can make the edit itself."""

    id: str
    description: str
    auto: bool

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "description": self.description, "auto": self.auto}


@dataclass(frozen=True)
class Pattern:
    """One known failure: how to spot it and what to do about it."""

    id: str
    category: str
    tier: int
    literals: tuple[str, ...]
    regex: re.Pattern[str]
    explanation: str
    fixes: tuple[Fix, ...]


@dataclass(frozen=True)
class Knowledge:
    """Every pattern in file order (the order breaks ties between patterns hitting the same line)."""

    patterns: tuple[Pattern, ...]
    fixes: dict[str, Fix] = field(default_factory=dict)

    def categories(self) -> set[str]:
        return {p.category for p in self.patterns}

    def by_id(self, pattern_id: str) -> Pattern | None:
        return next((p for p in self.patterns if p.id == pattern_id), None)

    def fixes_for_category(self, category: str) -> list[Fix]:
        """The shipped fixes of a category, in the order its patterns list them."""
        seen: dict[str, Fix] = {}
        for pattern in self.patterns:
            if pattern.category == category:
                for fix in pattern.fixes:
                    seen.setdefault(fix.id, fix)
        return list(seen.values())

    def prefilter_literals(self) -> list[str]:
        """Every prefilter literal, deduplicated, in file order."""
        out: dict[str, None] = {}
        for pattern in self.patterns:
            for literal in pattern.literals:
                out.setdefault(literal, None)
        return list(out)


def _parse(doc: Any, source: str) -> Knowledge:
    if not isinstance(doc, dict) or "patterns" not in doc or "fixes" not in doc:
        raise ShipshapeError(f"{source} has no 'fixes' and 'patterns' sections", code="patterns")
    fixes = {
        fid: Fix(fid, str(spec["description"]), bool(spec.get("auto", False))) for fid, spec in doc["fixes"].items()
    }
    patterns = []
    for raw in doc["patterns"]:
        try:
            pid = str(raw["id"])
            literals = tuple(x for x in str(raw["prefilter"]).split("|") if x)
            patterns.append(
                Pattern(
                    id=pid,
                    category=str(raw["category"]),
                    tier=int(raw.get("tier", 2)),
                    literals=literals,
                    regex=re.compile(str(raw["regex"])),
                    explanation=str(raw["explanation"]),
                    fixes=tuple(fixes[f] for f in raw.get("fixes", [])),
                )
            )
        except (KeyError, re.error, ValueError) as exc:
            raise ShipshapeError(
                f"{source}: pattern {raw.get('id', '?')!r} is invalid: {exc}", code="patterns"
            ) from None
    return Knowledge(tuple(patterns), fixes)


@lru_cache(maxsize=4)
def load_knowledge(path: Path | None = None) -> Knowledge:
    """Load and compile data/patterns.yaml (cached)."""
    target = path or PATTERNS_FILE
    try:
        doc = yaml.safe_load(target.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ShipshapeError(f"cannot read the failure patterns {target}: {exc.strerror}", code="patterns") from None
    except yaml.YAMLError as exc:
        raise ShipshapeError(f"{target} is not valid YAML: {exc}", code="patterns") from None
    return _parse(doc, str(target))
