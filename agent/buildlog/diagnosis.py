"""What a diagnosis says: the root cause, its findings, confidence, candidates and evidence (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.buildlog.patterns import Fix

# The most candidates a diagnosis names (the chooser's and the ambiguity readings').
MAX_CANDIDATES = 3


@dataclass
class Finding:
    """One failure the log shows."""

    category: str
    pattern: str
    signature: str
    line: int
    excerpt: str
    explanation: str
    fixes: list[Fix]
    tier: int
    step: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "pattern": self.pattern,
            "signature": self.signature,
            "line": self.line,
            "excerpt": self.excerpt,
            "explanation": self.explanation,
            "fixes": [f.as_dict() for f in self.fixes],
            "tier": self.tier,
            "step": self.step,
        }


@dataclass
class Diagnosis:
    """The answer for one log."""

    root_cause: str
    failed_step: str | None
    exit_code: int | None
    findings: list[Finding] = field(default_factory=list)
    lines: int = 0
    bytes: int = 0
    # For a failure no pattern explains: the step's last own output line before the failure (redacted).
    last_message: str | None = None
    # How sure the root cause is (0..1); below CONFIDENCE_THRESHOLD the root cause is "unknown".
    confidence: float = 0.0
    # The most likely categories with their confidence, best first (also for an unknown answer).
    candidates: list[dict[str, Any]] = field(default_factory=list)
    # The log lines that support the root cause: [{"line", "text"}].
    evidence: list[dict[str, Any]] = field(default_factory=list)
    # The kind of evidence the root cause rests on (agent/buildlog/calibration.py): literal-tier1..3, summary,
    # structure, exit-code, with "+agree" when the structural reader names the same category.
    basis: str = "none"

    @property
    def root(self) -> Finding | None:
        return self.findings[0] if self.findings and self.root_cause != "unknown" else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "root_cause": self.root_cause,
            "failed_step": self.failed_step,
            "exit_code": self.exit_code,
            "findings": [f.as_dict() for f in self.findings],
            "lines": self.lines,
            "bytes": self.bytes,
            "last_message": self.last_message,
            "confidence": round(self.confidence, 2),
            "candidates": self.candidates,
            "evidence": self.evidence,
            "basis": self.basis,
        }
