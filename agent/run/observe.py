"""Turning a tool's result into what a brain may see: redacted, bounded, and with advice when cut."""

from __future__ import annotations

import json
from typing import Any

from agent.safety import redact

OBSERVATION_LIMIT = 6000


def bound(text: str, limit: int = OBSERVATION_LIMIT) -> str:
    """Head and tail of `text` within `limit` characters, with a note telling the brain how to narrow it."""
    if len(text) <= limit:
        return text
    keep = limit // 2 - 100
    cut = len(text) - 2 * keep
    note = (
        f"\n[... {cut} characters cut. Narrow the request: name one namespace, deployment or pod, "
        "ask for fewer log lines (tail_lines), or one image ...]\n"
    )
    return text[:keep] + note + text[-keep:]


def render(result: dict[str, Any] | None, error: str = "") -> str:
    """The text a brain gets for one call."""
    if error:
        return bound(redact(error))
    body = json.dumps(result, default=str, ensure_ascii=False, separators=(",", ":"))
    return bound(redact(body))
