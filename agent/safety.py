"""Safety between the brain and the tools: redaction, the approval policy, namespace and path guards.

The decision lives here, outside the tools and the brains (as kubectl-ai does it): every call is classified by
its tool's `writes` flag; a write needs approval unless the user said --yes, approved it for the session, or
the project's policy auto-approves that tool. A namespace outside the allowed list is refused outright.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

# Secrets that must reach neither the model, the terminal nor the database.
_R = "[REDACTED]"
_SECRET_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), _R),
    # Authorization / Proxy-Authorization headers, whatever the scheme; x-api-key.
    (
        re.compile(r"(?i)((?:proxy-)?authorization\s*[:=]\s*)(?:(?:bearer|basic|token|digest)\s+)?[^\s\"',]+"),
        r"\1" + _R,
    ),
    (re.compile(r"(?i)(x-api-key\s*[:=]\s*)\S+"), r"\1" + _R),
    # user:password@ in URLs: the user stays, the password goes.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^\s:/@]+):([^\s/@]+)@"), r"\1\2:" + _R + "@"),
    # npm's _authToken / _auth / _password, and key=value secrets (any key naming a password, token or key).
    (
        re.compile(
            r"(?i)\b([a-z0-9_\-]*(?:_authtoken|_auth|password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key"
            r"|private[_-]?key)[a-z0-9_\-]*\s*[:=]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;]+)"
        ),
        r"\1" + _R,
    ),
    # docker login --password VALUE / -p VALUE.
    (re.compile(r"(--password(?:-stdin)?[= ]|login\s+(?:-u\s+\S+\s+)?-p\s+)\S+"), r"\1" + _R),
    # Well-known token shapes.
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{16,}|glpat-[A-Za-z0-9_-]{20,})"), _R),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{8,}"), _R),
    (re.compile(r"\bxapp-[A-Za-z0-9\-]{8,}"), _R),
    (re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_\-]{8,}"), _R),
    (re.compile(r"\bnpm_[A-Za-z0-9]{20,}"), _R),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), _R),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"), _R),
]


def redact(text: str) -> str:
    """`text` with tokens, passwords, keys, auth headers and URL credentials replaced by [REDACTED]."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value


Decision = Literal["allow", "ask", "deny"]


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str


@dataclass
class Policy:
    """Which calls run at once, which need a person's yes, which are refused."""

    allowed_namespaces: list[str]
    auto_approve: set[str] = field(default_factory=set)
    assume_yes: bool = False
    session_approved: set[str] = field(default_factory=set)

    def decide(self, tool: str, writes: bool, args: dict[str, Any]) -> Verdict:
        namespace = args.get("namespace")
        if namespace and namespace not in self.allowed_namespaces:
            allowed = ", ".join(self.allowed_namespaces) or "none"
            return Verdict("deny", f"namespace {namespace!r} is not allowed (allowed: {allowed})")
        if not writes:
            return Verdict("allow", "read-only")
        if self.assume_yes:
            return Verdict("allow", "--yes")
        if tool in self.auto_approve:
            return Verdict("allow", "auto-approved by the project's policy")
        if tool in self.session_approved:
            return Verdict("allow", "approved for this session")
        return Verdict("ask", f"{tool} changes things")


Answer = Literal["yes", "session", "no"]


@dataclass(frozen=True)
class Approval:
    answer: Answer
    reason: str = ""


class Approver(Protocol):
    """Asks a person about one writing call (terminal prompt, Slack buttons)."""

    def ask(self, tool: str, args: dict[str, Any], why: str) -> Approval: ...


class DenyAll:
    """No person to ask (non-interactive, MCP without consent): every write that needs approval is refused."""

    def ask(self, tool: str, args: dict[str, Any], why: str) -> Approval:
        return Approval("no", "no one to approve it (run with --yes, or allow the tool in shipshape.toml)")


class FunctionApprover:
    """Adapts a plain function (tests, Slack) to the Approver protocol."""

    def __init__(self, func: Callable[[str, dict[str, Any], str], Approval]) -> None:
        self.func = func

    def ask(self, tool: str, args: dict[str, Any], why: str) -> Approval:
        return self.func(tool, args, why)
