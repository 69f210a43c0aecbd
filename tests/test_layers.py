"""The house's layers, checked from the code's own imports (every `import` and `from ... import` under agent/,
those inside functions and under TYPE_CHECKING included: a lazy import is still a dependency).

- Each part imports only parts on a lower floor (RANKS), or itself: engines import nothing above them, brains and
  tools do not import each other, nothing below the front ends imports them.
- No tool module imports another tool module (the registry `agent.tools` and `agent.tools.context` are not tools).
- No import circle, between modules or between parts.
- No module over 400 lines; the loop reads in one sitting (<= 250).

`make lint` runs this file too. The checker is tried on a made-up house first, so a checker that cannot fail
fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

AGENT = Path(__file__).resolve().parent.parent / "agent"

# Floors, from the ground up. A part may import a part on a lower floor, never one on its own floor or above.
RANKS: dict[str, int] = {
    # the ground: the exception type, redaction, the project's configuration, the policy and namespace guard
    "errors": 0,
    "redaction": 0,
    "project": 1,
    "safety": 2,
    # the only parts that talk to real systems
    "engines": 3,
    # knowledge and checks, each in its own folder
    "buildlog": 4,
    "pods": 4,
    "skills": 4,
    "prompts": 5,
    "prisma": 5,
    "memory": 5,
    "images": 6,
    "repair": 6,
    # what a brain may call, and the brains: neither knows the other
    "tools": 7,
    "brains": 7,
    # one incident from report to outcome
    "run": 8,
    # the front ends: nothing below imports them
    "frontends": 9,
    "cli": 10,
}
# The registry and the context every tool receives: shared by the tools, not tools themselves.
TOOLS_SHARED = {"agent.tools", "agent.tools.context"}


def part_of(module: str) -> str:
    """agent.engines.kube -> engines; agent.safety -> safety."""
    return module.split(".")[1] if module.count(".") >= 1 else module


def modules(root: Path = AGENT) -> dict[str, Path]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(path: Path, module: str, known: set[str]) -> set[str]:
    """The agent modules that `module` imports (a name taken from a package resolves to its submodule if any)."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names if alias.name.startswith("agent"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if not base.startswith("agent"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else base)
    return {m for m in out if m in known and m != module}


def import_graph(root: Path = AGENT) -> dict[str, set[str]]:
    found = modules(root)
    return {m: imports_of(p, m, set(found)) for m, p in found.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import that breaks the direction of dependency, one line each."""
    bad: list[str] = []
    for module, targets in sorted(graph.items()):
        if module == "agent":
            continue
        here = part_of(module)
        for target in sorted(targets):
            there = part_of(target)
            if here not in RANKS or there not in RANKS:
                bad.append(
                    f"{module} -> {target}: a part with no floor in RANKS ({here if here not in RANKS else there})"
                )
            elif here != there and RANKS[there] >= RANKS[here]:
                bad.append(
                    f"{module} -> {target}: {here} (floor {RANKS[here]}) may not import {there} (floor {RANKS[there]})"
                )
            elif here == there == "tools" and module not in TOOLS_SHARED and target not in TOOLS_SHARED:
                bad.append(f"{module} -> {target}: a tool imports another tool (shared logic belongs in a part)")
    parts: dict[str, set[str]] = {}
    for module, targets in graph.items():
        parts.setdefault(part_of(module), set()).update(part_of(t) for t in targets if part_of(t) != part_of(module))
    for group in circles(graph) + circles(parts):
        bad.append("import circle: " + " -> ".join(group))
    return bad


def _lines(paths: Iterable[Path]) -> dict[str, int]:
    return {str(p.relative_to(AGENT.parent)): len(p.read_text().splitlines()) for p in paths}


def test_the_checker_catches_each_kind_of_break() -> None:
    house = {
        "agent.engines.kube": {"agent.pods.classify"},  # an engine importing above it
        "agent.pods.classify": set(),
        "agent.tools.build": {"agent.tools.verify", "agent.tools", "agent.tools.context"},  # a tool importing a tool
        "agent.tools.verify": {"agent.tools"},
        "agent.tools": {"agent.tools.context"},
        "agent.tools.context": set(),
        "agent.run.loop": {"agent.frontends.mcp"},  # something importing a front end
        "agent.frontends.mcp": set(),
        "agent.memory.store": {"agent.memory.learning"},  # a circle
        "agent.memory.learning": {"agent.memory.store"},
        "agent.brains.rulebook": {"agent.tools"},  # a brain importing the tools
    }
    found = "\n".join(violations(house))
    assert "agent.engines.kube -> agent.pods.classify" in found
    assert "agent.tools.build -> agent.tools.verify: a tool imports another tool" in found
    assert "agent.tools.build -> agent.tools:" not in found and "-> agent.tools.context" not in found
    assert "agent.run.loop -> agent.frontends.mcp" in found
    assert "import circle: agent.memory.learning -> agent.memory.store" in found
    assert "agent.brains.rulebook -> agent.tools: brains (floor 7) may not import tools" in found
    assert len(violations(house)) == 5


def test_imports_resolve_names_taken_from_packages(tmp_path: Path) -> None:
    root = tmp_path / "agent"
    (root / "pods").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "pods" / "__init__.py").write_text("from agent.pods.model import x\n")
    (root / "pods" / "model.py").write_text("x = 1\n")
    (root / "engines").mkdir()
    (root / "engines" / "__init__.py").write_text("")
    (root / "engines" / "kube.py").write_text("def f():\n    from agent import pods\n    from . import other\n")
    (root / "engines" / "other.py").write_text("")
    graph = import_graph(root)
    assert graph["agent.engines.kube"] == {"agent.pods", "agent.engines.other"}
    assert graph["agent.pods"] == {"agent.pods.model"}


def test_dependencies_point_one_way() -> None:
    graph = import_graph()
    assert len(graph) > 50, "the checker found too few modules to be looking at the package"
    assert violations(graph) == []


def test_every_part_has_a_floor() -> None:
    parts = {part_of(m) for m in modules() if m != "agent"}
    assert parts <= set(RANKS), f"parts with no floor: {sorted(parts - set(RANKS))}"


def test_modules_stay_small_and_the_loop_reads_in_one_sitting() -> None:
    sizes = _lines(AGENT.rglob("*.py"))
    assert {name: n for name, n in sizes.items() if n > 400} == {}
    assert sizes["agent/run/loop.py"] <= 250
