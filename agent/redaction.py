"""One redaction for every boundary: the memory database, `--json`, the terminal, the log files shipshape writes,
Slack and MCP replies, and what goes to the model all pass text through `redact` (docs/safety.md lists them).

Two layers. Shaped secrets first: credential formats that say what they are (cloud keys, GitHub/GitLab/Slack/npm
tokens, JWTs, PEM blocks) and secrets that their context names (URL userinfo, `Authorization:` headers,
`KEY=value` and `ENV KEY value` where the key names a password, token or key, `mysql -pPASSWORD`, `--password`).
Then a high-entropy fallback for the secret that has no known shape: a run of 24 or more token characters with
an upper-case letter, a lower-case letter or digit, and within 1.1 bits per character of the entropy of random
text of that length. Hex strings
(digests, image IDs, content tags) and path-like runs are left alone: they are what people read in the output.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

REDACTED = "[REDACTED]"
_R = REDACTED

# Words that make a key name a secret's name: DB_PASSWORD, PGPASSWORD, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, ...
_SECRET_KEY = (
    r"[A-Za-z0-9_.\-]*(?:_authtoken|_auth|password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|credentials?|client[_-]?secret)[A-Za-z0-9_.\-]*"
)
_VALUE = r"(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s,;\"'&|)]+)"
_SHORT_NUMBER = r"\d{1,6}(?:[\s,;\"'&|)}\]]|$)"
_MYSQL = r"\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mariadb|mariadb-dump)\b"

_SHAPED: list[tuple[re.Pattern[str], str]] = [
    # PEM private keys, even when the END line was cut off.
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S), _R),
    # Authorization / Proxy-Authorization headers, whatever the scheme; x-api-key and private-token headers.
    (
        re.compile(r"(?i)((?:proxy-)?authorization\s*[:=]\s*)(?:(?:bearer|basic|token|digest)\s+)?[^\s\"',]+"),
        r"\1" + _R,
    ),
    (re.compile(r"(?i)((?:x-api-key|private-token|x-auth-token)\s*[:=]\s*)[^\s\"',]+"), r"\1" + _R),
    # user:password@ in URLs: the user stays, the password goes.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^\s:/@]+):([^\s/@]+)@"), r"\1\2:" + _R + "@"),
    # A token as the whole userinfo (git clone https://TOKEN@host/...): anything but a short lower-case user name.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)(?![a-z][a-z0-9._\-]{0,15}@)[^\s:/@\[\]]+@"), r"\1" + _R + "@"),
    # Dockerfile ENV / ARG with a space: ENV PGPASSWORD value.
    (re.compile(rf"(?i)\b((?:ENV|ARG)\s+{_SECRET_KEY}\s+)(?!\S*=){_VALUE}"), r"\1" + _R),
    # KEY=value and key: value secrets (any key naming a password, token or key); npm's _authToken. A short
    # plain number (such as "input_tokens": 1234) is a count, not a secret.
    (
        re.compile(rf"(?i)\b({_SECRET_KEY}[\"']?\s*[:=]\s*)(?!\[REDACTED\]|{_SHORT_NUMBER}){_VALUE}"),
        r"\1" + _R,
    ),
    # mysql -pPASSWORD (the password glued to -p), and --password VALUE / --password=VALUE anywhere.
    (re.compile(rf"(?i)({_MYSQL}[^\n|;&]*?\s-p)(?!\s)([^\s\"']+|\"[^\"]*\"|'[^']*')"), r"\1" + _R),
    (re.compile(r"(--password(?:-stdin)?[= ])(?!\[REDACTED\])\S+"), r"\1" + _R),
    (re.compile(r"(\blogin\s+(?:-u\s+\S+\s+)?-p\s+)\S+"), r"\1" + _R),
    # curl -u user:password
    (re.compile(r"((?:^|\s)(?:-u|--user)\s+[^\s:]+:)\S+"), r"\1" + _R),
    # Well-known token shapes.
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{16,})"), _R),
    (re.compile(r"\b(?:glpat|gldt|glrt|glptt|glcbt)-[A-Za-z0-9_\-]{16,}"), _R),
    (re.compile(r"\bxox[abposre]-[A-Za-z0-9\-]{8,}"), _R),
    (re.compile(r"\bxapp-[A-Za-z0-9\-]{8,}"), _R),
    (re.compile(r"\bsk-(?:ant-)?[A-Za-z0-9_\-]{8,}"), _R),
    (re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}"), _R),
    (re.compile(r"\bnpm_[A-Za-z0-9]{20,}"), _R),
    (re.compile(r"\bpypi-[A-Za-z0-9_\-]{20,}"), _R),
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b"), _R),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}"), _R),
    (re.compile(r"\bya29\.[0-9A-Za-z_\-]{20,}"), _R),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), _R),
]

# The fallback: runs of token characters (base64, base64url) long enough to be a key.
_RUN = re.compile(r"(?<![A-Za-z0-9+/=_\-])[A-Za-z0-9+/=_\-]{24,}(?![A-Za-z0-9+/=_\-])")
_HEX = re.compile(r"^[0-9a-fA-F\-]+$")
_PATH_PART = re.compile(r"^[a-z._\-]{3,}$")
_SETTING = re.compile(r"^[A-Z][A-Z0-9_]*=[A-Za-z0-9_\-]{0,8}$")


def entropy(text: str) -> float:
    """Shannon entropy of `text` in bits per character."""
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_random(run: str) -> bool:
    """True for a run of token characters that reads like a generated secret, not like a word, path or digest."""
    if _HEX.match(run) or REDACTED.strip("[]") in run:
        return False
    if not any(c.isupper() for c in run) or not any(c.islower() or c.isdigit() for c in run):
        return False
    if "/" in run and sum(1 for part in run.split("/") if _PATH_PART.match(part)) >= 2:
        return False  # a path: segments that are plain lower-case names
    if _SETTING.match(run):
        return False  # an upper-case setting with a short value (ENV NEXT_TELEMETRY_DISABLED=1), not a key
    # Random text over a 64-character alphabet approaches log2(len) bits per character (at most 6).
    return entropy(run) >= min(math.log2(len(run)), 6.0) - 1.1


def _entropy_sub(match: re.Match[str]) -> str:
    return _R if looks_random(match.group(0)) else match.group(0)


# Terminal escape sequences (colours: the classic builder wraps a RUN step's stderr in ESC[91m ... ESC[0m). They
# go before the patterns look: glued to a word ("ESC[0mmysql -pX") they hide its start from `\b`, and a secret
# then passed or not depending on how stdout and stderr interleaved.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def redact(text: str) -> str:
    """`text` with tokens, passwords, keys, auth headers, URL credentials and random-looking keys replaced
    by [REDACTED], and without terminal escape sequences."""
    if not text:
        return text
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    for pattern, replacement in _SHAPED:
        text = pattern.sub(replacement, text)
    return _RUN.sub(_entropy_sub, text)


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value (dict keys included)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {(redact(k) if isinstance(k, str) else k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value
