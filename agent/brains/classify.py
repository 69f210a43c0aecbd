"""Classifying an unknown build failure with Claude: the decisive excerpt only (redacted, bounded), one category
of the shipped list or nothing. The answer must quote a line of the excerpt, or it is not believed."""

from __future__ import annotations

import json
import re
from typing import Any

from agent.safety import redact

MAX_EXCERPT = 4000
MAX_LINES = 40
PROMPT = (
    "A container image build failed and no known pattern explains it. From the excerpt below, name the root "
    'cause as exactly one category id of this list, or "unknown" if none fits: {categories}.\n'
    "Answer with one JSON object and nothing else: "
    '{{"category": "<id>", "line": "<the excerpt line that shows the cause, copied exactly>"}}\n\n'
    "Excerpt:\n{excerpt}"
)


def decisive_excerpt(diagnosis: Any) -> str:
    """The failed step, its last own output line and the other lines the scan kept: redacted, at most
    MAX_LINES lines and MAX_EXCERPT characters."""
    lines: list[str] = []
    if diagnosis.failed_step:
        lines.append(f"failed step: {diagnosis.failed_step} (exit code {diagnosis.exit_code})")
    lines.extend(f.excerpt for f in diagnosis.findings)
    if diagnosis.last_message:
        lines.append(diagnosis.last_message)
    text = "\n".join(redact(line) for line in lines[-MAX_LINES:])
    return text[-MAX_EXCERPT:]


def classify_excerpt(excerpt: str, categories: list[str], client: Any, model: str) -> dict[str, str] | None:
    """{"category", "line"} from the model, or None when it answered nothing usable (not JSON, a category not
    in the list, "unknown", or a line that is not in the excerpt)."""
    response = client.messages.create(
        model=model,
        max_tokens=300,
        messages=[{"role": "user", "content": PROMPT.format(categories=", ".join(categories), excerpt=excerpt)}],
    )
    text = "".join(getattr(b, "text", "") for b in response.content)
    match = re.search(r"\{.*\}", text, re.S)
    if match is None:
        return None
    try:
        answer = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    category, line = str(answer.get("category", "")), str(answer.get("line", "")).strip()
    if category not in categories or not line or line not in excerpt:
        return None
    return {"category": category, "line": line}
