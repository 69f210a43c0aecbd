"""The tool registry: the single list of typed tools that the brains, the CLI, Slack and MCP all use.

A tool is a plain function `run(ctx, args) -> dict` with a pydantic input model (which gives the JSON
schema the model sees) and a flag saying whether it writes. Tool modules register themselves with
`@tool(...)`; `load_all()` imports them. Tools reach real systems only through `ctx` (engines).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from agent.tools.context import ToolContext

ArgsT = TypeVar("ArgsT", bound=BaseModel)
ToolFunc = Callable[[ToolContext, Any], dict[str, Any]]


@dataclass(frozen=True)
class Tool:
    """One capability the agent can call."""

    name: str
    description: str
    input_model: type[BaseModel]
    writes: bool
    run: ToolFunc

    def schema(self) -> dict[str, Any]:
        """The tool definition in the Anthropic Messages format (name, description, input_schema)."""
        schema = _kubernetes_by_kind(self.input_model.model_json_schema())
        # Nested models ($defs: an env var) are compacted the same way as the top level.
        for part in [schema, *schema.get("$defs", {}).values()]:
            part.pop("title", None)
            if part.get("additionalProperties") is False:  # the input model refuses unknown fields itself
                part.pop("additionalProperties")
            for name, prop in part.get("properties", {}).items():
                part["properties"][name] = _compact(prop)
        return {"name": self.name, "description": self.description, "input_schema": schema}

    def call(self, ctx: ToolContext, raw_input: dict[str, Any]) -> dict[str, Any]:
        """Validate `raw_input` against the input model and run the tool."""
        args = self.input_model.model_validate(raw_input or {})
        return self.run(ctx, args)


def _compact(prop: dict[str, Any]) -> dict[str, Any]:
    """A property schema without what costs tokens and tells the model nothing: titles, and the
    `anyOf [X, null]` that pydantic writes for an optional field (not being required already says it)."""
    prop = {k: v for k, v in prop.items() if k != "title"}
    options = prop.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) == 1:
            prop.pop("anyOf")
            if "description" in kept[0] and "description" in prop:  # a field of a Kubernetes kind: say both
                prop["description"] = f"{prop['description']} ({kept[0]['description']})"
            prop = {**kept[0], **prop}
            if prop.get("default", 0) is None:
                prop.pop("default")
    return prop


def _kubernetes_by_kind(schema: dict[str, Any]) -> dict[str, Any]:
    """Each reference to a model marked `x-kubernetes` (a probe, tolerations...) becomes `{"type": "object"}` named by
    its kind, and the definitions nothing refers to any more are dropped: the model knows these objects' fields, and
    spelling them out cost about 2,900 of the 21,600 characters of all the tool definitions."""
    defs = schema.get("$defs", {})
    kinds = {f"#/$defs/{name}": name for name, d in defs.items() if d.get("x-kubernetes")}
    if not kinds:
        return schema

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(n) for n in node]
        if not isinstance(node, dict):
            return node
        if node.get("$ref") in kinds:
            kind = f"a Kubernetes {kinds[node['$ref']]}"
            said = node.get("description")
            rest = {k: v for k, v in node.items() if k not in ("$ref", "description")}
            return {"type": "object", **rest, "description": f"{said} ({kind})" if said else kind}
        return {k: inline(v) for k, v in node.items()}

    out = inline({k: v for k, v in schema.items() if k != "$defs"})
    kept = {f"#/$defs/{name}": (name, inline(d)) for name, d in defs.items() if f"#/$defs/{name}" not in kinds}
    used: dict[str, Any] = {}
    pending = list(_refs(out))
    while pending:
        ref = pending.pop()
        if ref in kept and kept[ref][0] not in used:
            name, definition = kept[ref]
            used[name] = definition
            pending.extend(_refs(definition))
    if used:
        out["$defs"] = {name: used[name] for name, _ in kept.values() if name in used}
    return out


def _refs(node: Any) -> list[str]:
    """Every `$ref` in a schema."""
    if isinstance(node, list):
        return [r for n in node for r in _refs(n)]
    if not isinstance(node, dict):
        return []
    own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
    return own + [r for k, v in node.items() if k != "$ref" for r in _refs(v)]


REGISTRY: dict[str, Tool] = {}

# Modules that define tools; each registers its tools on import.
TOOL_MODULES = (
    "agent.tools.build",
    "agent.tools.prisma",
    "agent.tools.verify",
    "agent.tools.cluster",
    "agent.tools.buildlog",
    "agent.tools.repair",
    "agent.tools.analyze",
    "agent.tools.knowledge",
    "agent.tools.deploy",
    "agent.tools.evidence",
    "agent.tools.service",
    "agent.tools.workload",
)


def tool(
    name: str, description: str, input_model: type[ArgsT], *, writes: bool
) -> Callable[[Callable[[ToolContext, ArgsT], dict[str, Any]]], Callable[[ToolContext, ArgsT], dict[str, Any]]]:
    """Register the decorated function as the tool `name`."""

    def register(
        func: Callable[[ToolContext, ArgsT], dict[str, Any]],
    ) -> Callable[[ToolContext, ArgsT], dict[str, Any]]:
        if name in REGISTRY and REGISTRY[name].run is not func:
            raise RuntimeError(f"tool {name!r} registered twice")
        REGISTRY[name] = Tool(name, description.strip(), input_model, writes, func)
        return func

    return register


def load_all() -> dict[str, Tool]:
    """Import every tool module and return the registry."""
    for module in TOOL_MODULES:
        importlib.import_module(module)
    return REGISTRY


def get(name: str) -> Tool:
    load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown tool {name!r}; known: {', '.join(sorted(REGISTRY))}") from None


def writes(name: str) -> bool:
    """Whether tool `name` changes anything: the one read/write answer. A name the registry does not know counts
    as a write (what cannot be classified is treated as the riskier kind)."""
    found = load_all().get(name)
    return True if found is None else found.writes


def definitions() -> list[dict[str, Any]]:
    """Every tool's definition, sorted by name so that the prompt prefix stays cacheable."""
    return [REGISTRY[n].schema() for n in sorted(load_all())]
