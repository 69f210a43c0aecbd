"""The skills catalogue: `skills/<name>/SKILL.md` in the Agent Skills format.

Only names and descriptions go into the system prompt; a skill's body is read when the brain activates it
(the `activate_skill` tool), so the prompt prefix stays small and cacheable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from agent.errors import ShipshapeError

SKILLS_DIR = Path(__file__).resolve().parent.parent / "skills"
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ALLOWED_KEYS = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}


@dataclass(frozen=True)
class Skill:
    name: str
    description: str
    path: Path
    allowed_tools: tuple[str, ...]

    def body(self) -> str:
        """The instructions below the front matter."""
        return _split(self.path.read_text(encoding="utf-8"), self.path)[1].strip()


def _split(text: str, path: Path) -> tuple[dict[str, object], str]:
    if not text.startswith("---"):
        raise ShipshapeError(f"{path} has no YAML front matter")
    try:
        _, front, body = text.split("---", 2)
        meta = yaml.safe_load(front) or {}
    except (ValueError, yaml.YAMLError) as exc:
        raise ShipshapeError(f"{path}: malformed front matter: {exc}") from None
    if not isinstance(meta, dict):
        raise ShipshapeError(f"{path}: front matter is not a mapping")
    return meta, body


def load_skill(folder: Path) -> Skill:
    """Read and check one skill folder."""
    path = folder / "SKILL.md"
    meta, _ = _split(path.read_text(encoding="utf-8"), path)
    unknown = set(meta) - ALLOWED_KEYS
    name = str(meta.get("name", ""))
    description = str(meta.get("description", "")).strip()
    if unknown:
        raise ShipshapeError(f"{path}: keys not allowed in SKILL.md front matter: {', '.join(sorted(unknown))}")
    if not _NAME.match(name) or len(name) > 64 or name != folder.name:
        raise ShipshapeError(f"{path}: name {name!r} must be lowercase-hyphenated and equal the folder name")
    if not 1 <= len(description) <= 1024:
        raise ShipshapeError(f"{path}: description must be 1-1024 characters")
    tools = tuple(str(meta.get("allowed-tools", "")).split())
    return Skill(name, description, path, tools)


@lru_cache(maxsize=1)
def catalogue(root: Path = SKILLS_DIR) -> tuple[Skill, ...]:
    """Every skill, sorted by name."""
    if not root.is_dir():
        return ()
    return tuple(load_skill(p) for p in sorted(root.iterdir()) if (p / "SKILL.md").is_file())


def find(name: str) -> Skill:
    for skill in catalogue():
        if skill.name == name:
            return skill
    known = ", ".join(s.name for s in catalogue())
    raise ShipshapeError(f"no skill named {name!r}", f"known skills: {known}")
