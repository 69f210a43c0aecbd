"""How a reader of the build's structure answers where the rules said `unknown` (emulation, context, buildargs): a
root cause resting on one line of the failing step's region, with that category's fixes."""

from __future__ import annotations

from agent.buildlog.diagnosis import MAX_CANDIDATES, Diagnosis, Finding
from agent.buildlog.patterns import Knowledge
from agent.buildlog.scanner import ScanResult
from agent.buildlog.signatures import signature


def settle(
    diagnosis: Diagnosis,
    scan: ScanResult,
    step: str | None,
    knowledge: Knowledge,
    reading: tuple[str, str, float],
    text: str,
    explanation: str,
) -> None:
    """Answer `category` (reading = (category, pattern id, confidence)) on the line `text` of the log's tail."""
    category, pattern, confidence = reading
    tail = scan.tail.decode("utf-8", "replace")
    line = scan.tail_first_line + next((n for n, raw in enumerate(tail.split("\n")) if text in raw), 0)
    finding = Finding(
        category=category,
        pattern=pattern,
        signature=signature(pattern, text),
        line=line,
        excerpt=text,
        explanation=explanation,
        fixes=knowledge.fixes_for_category(category),
        tier=2,
        step=step,
    )
    diagnosis.root_cause = category
    diagnosis.confidence = confidence
    diagnosis.basis = "structure"
    diagnosis.findings = [finding, *diagnosis.findings]
    diagnosis.evidence = [{"line": line, "text": text}]
    others = [c for c in diagnosis.candidates if c["category"] != category]
    diagnosis.candidates = [{"category": category, "confidence": confidence}, *others][:MAX_CANDIDATES]
