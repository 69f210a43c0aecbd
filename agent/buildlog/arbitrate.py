"""Literal patterns and the structural reader together: who decides the root cause, and how sure it is.

- Known literal patterns still win when they match and the failing command can fail that way.
- Where the patterns are silent, the structural reader (agent/buildlog/structure.py) answers, with a confidence
  that says how much of the structure agrees (family and evidence: above the threshold; the family alone: only a
  candidate).
- Where a literal answer conflicts with the failing command's family (a `Permission denied` warning under
  `apk add`, a `make: *** Error` after a module download timed out), a hit of the command's own family in the same
  step is preferred; without one, the answer is `unknown` with both as candidates unless the literal evidence is
  decisive (tier 1): a confidently wrong fix costs more than an honest "not sure".
- Issue 12h, two readings of cause and cascade: a package manager's "not found" in a step that also shows it could
  not reach its index or registry is the unreachable index (apt's `Unable to locate package` after `Temporary failure
  resolving`); a located line (`x.go:4:2: <message>`) whose message reads as another kind of failure (`cannot find
  package`, `is not in GOROOT`) is not a compile error: that reading decides when the structure agrees, else the
  answer is `unknown`.
"""

from __future__ import annotations

from agent.buildlog.diagnosis import Diagnosis, Finding
from agent.buildlog.families import EVIDENCE, FAMILY_TABLE, LOCATED_FAMILY, UNIVERSAL
from agent.buildlog.patterns import Knowledge
from agent.buildlog.scanner import Hit
from agent.buildlog.signatures import signature
from agent.buildlog.structure import Reading
from agent.safety import redact

STRUCTURE_TIER = 3
EXCERPT_LEN = 400
# A literal answer the command's family cannot produce, with no structural alternative: less sure.
CONFLICT_PENALTY = 0.1
AGREEMENT_BONUS = 0.05
CONFLICT_CONFIDENCE = 0.45
# A structural reading this sure outranks a tier-3 (cascade) literal line.
CASCADE_OVERRIDE = 0.58
# A structural reading with evidence of its own (0.54 and more: a program's own error message counts) outranks a
# weak download line of another family and the cascade of a failed script (script-error, tier 3).
SCRIPT_OVERRIDE = 0.54
# What the tier-3 summary lines of a failed build say (make: *** Error, Failed to compile., BUILD FAILURE, npm's
# ELIFECYCLE): that something failed, not why.
CASCADE_SUMMARIES = {"compile-error", "script-error", "test-failure"}
# Strong universal evidence (a killed process, a full disk) in the step outranks any summary-category line.
RESOURCE = {"out-of-memory", "disk-full"}
RESOURCE_OVERRIDE = 0.62
# Evidence that a tool could not reach its index or registry: a "not found" of the same tool is its cascade.
UNREACHABLE = ("network", "tls", "apt-sources", "http-404")
# Package managers that fetch their dependencies with git themselves (a git error in them is the dependency's fetch).
FETCHERS = ("lang-deps", "go-deps", "composer")
# Kinds that only say "an error in the code": the message of a located compiler line always reads as one of them.
CODE_KINDS = {"compile", "test", "exception", "script-message"}


def own_categories(reading: Reading) -> set[str]:
    """The categories the failing command's own tools produce (not the ones any command can have)."""
    return {c for f in reading.families for c in FAMILY_TABLE.get(f, {}).values()}


def rerank(ranked: list[Hit], reading: Reading) -> list[Hit]:
    """Prefer a hit of the failing command's own family over an earlier hit of another family of the same tier
    (apk's `WARNING: Ignoring ...: Permission denied` before `unable to select packages`). A hit on a line that also
    reads as the winner's category is the same evidence read by a less specific pattern (Go's `x.go:10:2: cannot
    find package` is a Go error line and a resolution failure): it does not displace the winner."""
    if len(ranked) < 2 or not reading.families:
        return ranked
    own = own_categories(reading)
    top = ranked[0]
    if top.pattern.category in own or top.pattern.tier == 1:
        return ranked
    same = {h.line for h in ranked if h.pattern.category == top.pattern.category}
    for hit in ranked[1:]:
        if hit.pattern.category in own and hit.pattern.tier <= min(top.pattern.tier, 2) and hit.line not in same:
            return [hit, *[h for h in ranked if h is not hit]]
    return ranked


def structural_finding(reading: Reading, category: str, knowledge: Knowledge, line: int, step: str | None) -> Finding:
    """A Finding for a root cause the structure gives (no literal pattern matched)."""
    kind = next((k for k, text in reading.kinds.items() if _means(reading, k, category)), None)
    text = reading.kinds.get(kind, "") if kind else ""
    families = "+".join(reading.families) or "step"
    excerpt = redact(text or (reading.command or ""))[:EXCERPT_LEN]
    fixes = knowledge.fixes_or_generic(category)
    return Finding(
        category=category,
        pattern=f"structure-{families}-{kind or 'command'}",
        signature=signature(f"structure-{category}", excerpt),
        line=line,
        excerpt=excerpt,
        explanation=(
            f"no known message matched; the failing command ({families}) and the step's last lines "
            f"({kind or 'no specific evidence'}) point to {category}"
        ),
        fixes=fixes,
        tier=STRUCTURE_TIER,
        step=step,
    )


def _unreachable(literal: str, line: str, reading: Reading) -> tuple[str, float] | None:
    """The reading of a tool that could not reach its index, when the literal line is that tool's "not found"."""
    if not EVIDENCE["missing"].search(line):
        return None
    for family in reading.families:
        table = FAMILY_TABLE.get(family, {})
        if table.get("missing") != literal:
            continue
        for kind in UNREACHABLE:
            category = table.get(kind)
            if kind in reading.kinds and category not in (None, literal) and category in reading.scores:
                return category, reading.scores[category]
    return None


def located_reading(text: str, literal: str, reading: Reading) -> str | None:
    """The category the message of a located line reads as (by the family of the file's language, the failing
    command's families, else whatever the tool), when that is not the literal category."""
    own = [family for regex, family in LOCATED_FAMILY if regex.search(text)]
    for kind, regex in EVIDENCE.items():
        if kind in CODE_KINDS or not regex.search(text):
            continue
        readings = [FAMILY_TABLE.get(f, {}).get(kind) for f in own + reading.families] + [UNIVERSAL.get(kind)]
        category = next((c for c in readings if c), None)
        if category is not None and category != literal:
            return category
    return None


def family_compile(text: str, literal: str, reading: Reading) -> str | None:
    """The category the failing command's own families give a compiler's line (issue 12u: pip reads it as pip-build),
    when that is not the literal's category."""
    if not EVIDENCE["compile"].search(text):
        return None
    readings = [FAMILY_TABLE.get(family, {}).get("compile") for family in reading.families]
    return next((c for c in readings if c is not None and c != literal), None)


def _means(reading: Reading, kind: str, category: str) -> bool:
    if UNIVERSAL.get(kind) == category:
        return True
    return any(FAMILY_TABLE.get(f, {}).get(kind) == category for f in reading.families)


def combine(
    literal: str | None,
    literal_tier: int | None,
    confidence: float,
    reading: Reading,
    from_pattern: bool = True,
    line: str = "",
    located: bool = False,
) -> tuple[str, float]:
    """The answer and its confidence from the root cause found so far (a literal pattern's on `line`, `located` when
    that pattern only locates a message, or the exit-code fallback's when `from_pattern` is false) and the
    structural reading."""
    best = reading.best()
    if literal is None or literal == "unknown" or not from_pattern:
        if best is None:
            return literal or "unknown", confidence
        category, score = best
        if score > confidence:
            return category, score
        if category == literal:
            return literal, max(confidence, score)
        return literal or "unknown", confidence
    unreachable = _unreachable(literal, line, reading) if literal_tier != 1 else None
    if unreachable is not None:
        return unreachable
    other = located_reading(line, literal, reading) if located else None
    if other is not None:
        return (
            best
            if best is not None and best[0] == other and best[1] >= SCRIPT_OVERRIDE
            else ("unknown", CONFLICT_CONFIDENCE)
        )
    if best is not None and best[0] == literal:
        return literal, min(0.95, max(confidence, best[1]) + AGREEMENT_BONUS)
    if literal in CASCADE_SUMMARIES and best is not None and best[0] in RESOURCE and best[1] >= RESOURCE_OVERRIDE:
        # A killed compiler or a full disk also prints compile errors: the resource is the cause.
        return best
    if literal_tier == 3 and literal == "script-error" and best is not None and best[1] >= SCRIPT_OVERRIDE:
        # npm's ELIFECYCLE or a Python traceback says only that a script failed; the step's own evidence (a
        # compiler error under `npm run build`, a module that is not installed) says why.
        return best
    if (
        literal_tier == 3
        and literal == "download-failed"
        and best is not None
        and not {"download", "script"} & set(reading.families)
    ):
        # A weak download error (`git clone` failing inside `go get` or `bundle install`) in a command that downloads
        # nothing itself is the package manager's dependency fetch: its family's evidence says what failed.
        if best[1] >= SCRIPT_OVERRIDE and best[0] in own_categories(reading):
            return best
        # Issue 12m: the same without evidence of the family's own (mix's `* Getting dep (...)` then git's `fatal:
        # Could not read from remote repository`): a package manager's fetch of a git dependency, its default reading.
        if best[0] in {FAMILY_TABLE[f].get("default") for f in reading.families if f in FETCHERS}:
            return best[0], max(confidence, best[1])
    if literal_tier == 3 and literal in CASCADE_SUMMARIES and best is not None and best[1] >= CASCADE_OVERRIDE:
        # A weak or cascade line ("Failed to compile.", "make: *** Error", "BUILD FAILURE") says that the build
        # failed; the command and the step's evidence say why.
        return best
    if literal_tier == 1 or reading.compatible(literal):
        return literal, confidence
    own = family_compile(line, literal, reading) if located else None
    if own is not None:
        # Issue 12u: a compiler's located line in a command whose own family reads compile errors as another category
        # (a C compiler's error under `python setup.py install` is pip-build, as the structural reader reads it, 12f).
        return own, confidence
    if best is not None and best[1] >= 0.55:
        return "unknown", CONFLICT_CONFIDENCE
    return literal, confidence - CONFLICT_PENALTY


def apply(diagnosis: Diagnosis, reading: Reading, knowledge: Knowledge, threshold: float, line: int) -> None:
    """Combine the diagnosis made from the literal patterns (or the exit-code fallback) with the structural
    reading: root cause, confidence, candidates and, for a structural answer, its finding."""
    chosen = diagnosis.findings[0] if diagnosis.findings and diagnosis.confidence > 0 else None
    literal = chosen.category if chosen else None
    from_pattern = chosen is not None and not chosen.pattern.startswith("exit-code-")
    pattern = knowledge.by_id(chosen.pattern) if chosen is not None else None
    text, located = (chosen.excerpt, pattern is not None and pattern.located) if chosen is not None else ("", False)
    tier = chosen.tier if chosen else None
    answer, confidence = combine(literal, tier, diagnosis.confidence, reading, from_pattern, text, located)
    scores = {c["category"]: float(c["confidence"]) for c in diagnosis.candidates}
    for category, score in reading.scores.items():
        scores[category] = max(scores.get(category, 0.0), score)
    if answer == "unknown" and literal is not None:
        scores[literal] = min(scores.get(literal, confidence), confidence)
        best = reading.best()
        if best is not None:
            scores[best[0]] = min(best[1], confidence)
    elif answer not in (literal, "unknown"):
        finding = structural_finding(reading, answer, knowledge, line, diagnosis.failed_step)
        diagnosis.findings.insert(0, finding)
        diagnosis.evidence = [{"line": line, "text": finding.excerpt}]
    if answer != "unknown":
        scores[answer] = confidence
    diagnosis.confidence = round(confidence, 2)
    diagnosis.root_cause = answer if answer != "unknown" and confidence >= threshold else "unknown"
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])[:3]
    diagnosis.candidates = [{"category": c, "confidence": round(v, 2)} for c, v in ranked]
