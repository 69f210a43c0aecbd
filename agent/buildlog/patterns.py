"""The shipped failure knowledge (data/patterns.yaml) loaded into typed, compiled patterns.

Per pattern: a precise Python regex, and the literal prefilter the scanner runs over raw bytes for every pattern
at once (google-re2, linear time). The literals are derived from the regex (agent/buildlog/literals.py), so a
line the regex matches always reaches it; the precise regex only runs on the few lines whose bytes hit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from agent.buildlog.literals import LiteralError, prefilter_tokens, required_literals
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
    # What the byte-level prefilter searches (derived from `required`; agent/buildlog/literals.py).
    literals: tuple[str, ...]
    # Strings of which every line the regex matches contains one (derived from the regex).
    required: tuple[str, ...]
    regex: re.Pattern[str]
    explanation: str
    fixes: tuple[Fix, ...]
    examples: tuple[str, ...] = ()
    # Evidence only: never the root cause on its own; it refines another finding (rootcause.refine).
    evidence: bool = False
    # The regex matches where a message is (`x.go:4:2: <any message>`), not what it says: the message decides when
    # it reads as another kind of failure (arbitrate.combine, issue 12h).
    located: bool = False
    # Issue 12u: the other categories the same line reads as (the label files disagree, or the line alone does not
    # tell): as the root cause, the answer is `unknown` with the pattern's category and these as the candidates
    # (agent/buildlog/ambiguity.py, `open_readings`).
    also: tuple[str, ...] = ()


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

    def fixes_or_generic(self, category: str) -> list[Fix]:
        """The category's fixes, else the generic `fix-script` (for a finding no pattern made: structure, exit code)."""
        return self.fixes_for_category(category) or [self.fixes["fix-script"]]

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
            if "prefilter" in raw:
                raise ValueError("prefilter is derived from the regex; remove the 'prefilter' key")
            required = required_literals(str(raw["regex"]))
            patterns.append(
                Pattern(
                    id=pid,
                    category=str(raw["category"]),
                    tier=int(raw.get("tier", 2)),
                    literals=prefilter_tokens(required),
                    required=required,
                    regex=re.compile(str(raw["regex"])),
                    explanation=str(raw["explanation"]),
                    fixes=tuple(fixes[f] for f in raw.get("fixes", [])),
                    examples=tuple(str(x) for x in raw.get("examples", [])),
                    evidence=bool(raw.get("evidence", False)),
                    located=bool(raw.get("located", False)),
                    also=tuple(str(c) for c in raw.get("also", [])),
                )
            )
        except (KeyError, re.error, ValueError, LiteralError) as exc:
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
