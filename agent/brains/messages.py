"""The trajectory written as Messages API content: tool definitions with the cache mark, assistant turns, tool
results. Pure functions over agent.brains.base's types; ClaudeBrain sends what they build."""

from __future__ import annotations

import copy
from typing import Any

from agent.brains.base import Step

CACHE = {"type": "ephemeral"}


def prepare_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tool definitions sorted by name, the last one marking the cacheable prefix."""
    prepared = [{k: v for k, v in t.items() if k != "cache_control"} for t in sorted(tools, key=lambda t: t["name"])]
    if prepared:
        prepared[-1]["cache_control"] = dict(CACHE)
    return prepared


def assistant_content(step: Step) -> list[dict[str, Any]]:
    """A step's turn as the assistant message's content blocks."""
    raw = step.turn.raw
    if isinstance(raw, list) and raw:
        return [{k: v for k, v in copy.deepcopy(b).items() if k != "cache_control"} for b in raw]
    # A turn some other brain produced: write it down the way the API would have returned it.
    content: list[dict[str, Any]] = []
    if step.turn.text:
        content.append({"type": "text", "text": step.turn.text})
    for call in step.turn.calls:
        content.append({"type": "tool_use", "id": call.id, "name": call.name, "input": dict(call.input)})
    return content


def tool_results(step: Step, assistant: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A tool_result block for every tool_use block (a call that never ran says so, as an error)."""
    by_id = {o.call.id: o for o in step.observations}
    results = []
    for block in assistant:
        if block.get("type") != "tool_use":
            continue
        obs = by_id.get(block["id"])
        if obs is None:
            results.append(
                {
                    "type": "tool_result",
                    "tool_use_id": block["id"],
                    "content": "not run: the agent stopped before this call",
                    "is_error": True,
                }
            )
            continue
        failed = obs.denied or not obs.ok
        content = obs.text or obs.error or ("denied" if obs.denied else "(no output)")
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": block["id"], "content": content}
        if failed:
            result["is_error"] = True
        results.append(result)
    return results


def has_tool_blocks(messages: list[dict[str, Any]]) -> bool:
    """Whether the history holds tool blocks (then the request must carry tool definitions)."""
    return any(
        b.get("type") in {"tool_use", "tool_result"}
        for m in messages
        if isinstance(m["content"], list)
        for b in m["content"]
    )


def tools_from_history(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stand-in definitions for the tools the history used, for the last step that offers no tools."""
    names = sorted(
        {b["name"] for m in messages if m["role"] == "assistant" for b in m["content"] if b.get("type") == "tool_use"}
    )
    return prepare_tools(
        [{"name": n, "description": n, "input_schema": {"type": "object"}} for n in names]
        or [{"name": "no_tool", "description": "unused", "input_schema": {"type": "object"}}]
    )


def text_of(blocks: list[dict[str, Any]]) -> str:
    """The text blocks of an answer, joined."""
    return "\n\n".join(b["text"].strip() for b in blocks if b.get("type") == "text" and b.get("text", "").strip())
