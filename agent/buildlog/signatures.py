"""Log normalisation: the same failure in two builds gets one signature.

Volatile parts of a log line are replaced by placeholders: timestamps, digests and hex ids, UUIDs, paths
under temporary directories, IP addresses, versions, numbers and step counters. What stays is the shape of
the message and the names in it (package, file, command), which is what tells failures apart.
"""

from __future__ import annotations

import re

MAX_LEN = 200

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\x1b\[[0-9;?]*[A-Za-z]"), ""),
    (re.compile(r"^#\d+ (?:\d+\.\d+ )?"), ""),
    (re.compile(r"^\d+\.\d+ +"), ""),
    (re.compile(r"\bStep \d+/\d+\b"), "Step <n>/<n>"),
    (re.compile(r"\[[^\]\s]+ \d+/\d+\]"), "[<stage> <n>/<n>]"),
    (re.compile(r"\d{4}-\d\d-\d\d[T _]\d\d[:_]\d\d[:_]\d\d(?:[.,_]\d+)?(?:Z|[+-]\d\d:?\d\d)?"), "<time>"),
    (re.compile(r"\b\d{4}-\d\d-\d\d\b"), "<date>"),
    (re.compile(r"\b\d\d:\d\d:\d\d(?:\.\d+)?\b"), "<time>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<uuid>"),
    (re.compile(r"\b(?:sha256|sha512|sha1|md5):[0-9a-fA-F]{6,}"), "<digest>"),
    (re.compile(r"(?:/tmp|/var/tmp|/private/var/folders|/var/folders)/[^\s'\"`:)]+"), "<tmp>"),
    (re.compile(r"/root/\.npm/_logs/\S+"), "<npm-log>"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"), "<ip>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}\b"), "<hex>"),
    (re.compile(r"\bv?\d+(?:\.\d+)+(?:[-+~][0-9A-Za-z.]+)*\b"), "<v>"),
    (re.compile(r"\d+"), "<n>"),
    (re.compile(r"\s+"), " "),
)


def normalise(text: str) -> str:
    """The stable shape of one log line."""
    for rx, repl in _RULES:
        text = rx.sub(repl, text)
    return text.strip()[:MAX_LEN]


def signature(kind: str, text: str) -> str:
    """`<pattern id or category>: <normalised text>`, e.g. "npm-network-code: npm ERR! code ETIMEDOUT"."""
    return f"{kind}: {normalise(text)}"
