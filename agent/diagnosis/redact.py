"""Redaction of secrets in log excerpts before they are shown, stored or sent to a model."""

from __future__ import annotations

import re

MASK = "<redacted>"

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization / Proxy-Authorization headers, whatever the scheme.
    (re.compile(r"(?i)((?:proxy-)?authorization\s*[:=]\s*)(?:(?:bearer|basic|token|digest)\s+)?\S+"), r"\1" + MASK),
    (re.compile(r"(?i)(x-api-key\s*[:=]\s*)\S+"), r"\1" + MASK),
    # user:password@ in URLs.
    (re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), r"\1" + MASK + "@"),
    # npm's _authToken / _auth / _password lines, and key=value secrets.
    (
        re.compile(
            r"(?i)((?:_authtoken|_auth|_password|password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key"
            r"|private[_-]?key|client[_-]?secret)\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)"
        ),
        r"\1" + MASK,
    ),
    # --password VALUE / -p VALUE after docker login.
    (re.compile(r"(--password(?:-stdin)?[= ]|login\s+(?:-u\s+\S+\s+)?-p\s+)\S+"), r"\1" + MASK),
    # Well-known token shapes.
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,})"), MASK),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), MASK),
    (re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_-]{20,}"), MASK),
    (re.compile(r"\bnpm_[A-Za-z0-9]{30,}"), MASK),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"), MASK),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), MASK),
)


def redact(text: str) -> str:
    """`text` with tokens, passwords, keys, Authorization headers and URL credentials masked."""
    for rx, repl in _RULES:
        text = rx.sub(repl, text)
    return text
