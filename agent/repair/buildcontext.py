"""Looking at an image's build context: finding files, and what .dockerignore excludes."""

from __future__ import annotations

import fnmatch
from pathlib import Path

SKIP_DIRS = {"node_modules", ".next", ".git", "dist", "build", "__pycache__", ".venv"}


def find_files(root: Path, names_or_suffixes: tuple[str, ...], limit: int = 200, depth: int = 6) -> list[Path]:
    """Files under `root` whose name equals or ends with one of `names_or_suffixes`, shallowest first."""
    found: list[Path] = []
    frontier = [root]
    for _ in range(depth):
        nxt: list[Path] = []
        for folder in frontier:
            try:
                entries = sorted(folder.iterdir())
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir():
                    if entry.name not in SKIP_DIRS and not entry.is_symlink():
                        nxt.append(entry)
                elif any(entry.name == n or entry.name.endswith(n) for n in names_or_suffixes):
                    found.append(entry)
                    if len(found) >= limit:
                        return found
        frontier = nxt
    return found


def dockerignore_rules(context: Path) -> list[str]:
    path = context / ".dockerignore"
    if not path.is_file():
        return []
    rules = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rules.append(line)
    return rules


def _matches(rule: str, rel: str) -> bool:
    rule = rule.lstrip("/").rstrip("/")
    if rule.startswith("**/"):
        return _matches(rule[3:], rel) or any(
            _matches(rule[3:], "/".join(rel.split("/")[i:])) for i in range(1, rel.count("/") + 1)
        )
    parts = rel.split("/")
    # A rule matching a parent directory excludes everything below it.
    return any(fnmatch.fnmatchcase("/".join(parts[: i + 1]), rule) for i in range(len(parts)))


def ignoring_rule(context: Path, rel: str) -> str | None:
    """The .dockerignore rule that excludes `rel` (last matching rule wins, `!` re-includes), or None."""
    verdict: str | None = None
    for rule in dockerignore_rules(context):
        if rule.startswith("!"):
            if _matches(rule[1:], rel):
                verdict = None
        elif _matches(rule, rel):
            verdict = rule
    return verdict


def ignored_by_dockerignore(context: Path, rel: str) -> bool:
    return ignoring_rule(context, rel) is not None
