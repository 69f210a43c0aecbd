"""A Dockerfile's stages as the Prisma check and `shipshape init` read them: each stage's base (global ARG defaults
substituted), its name, its RUN lines and its COPY/ADD instructions (sources, destination, `--from`).

Pure functions over the Dockerfile's text; nothing is built or pulled.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from agent.prisma.runtime import _logical_lines, _substitute


@dataclass
class Copy:
    sources: list[str]
    dest: str
    from_stage: str | None  # the --from value (a stage name, index or image), None for the build context
    add: bool = False


@dataclass
class StageBody:
    index: int
    base: str
    name: str | None
    platform: str | None
    runs: list[str] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)
    workdirs: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or f"#{self.index}"


def _split(rest: str) -> list[str]:
    rest = rest.strip()
    if rest.startswith("["):
        return re.findall(r'"((?:[^"\\]|\\.)*)"', rest)
    try:
        return shlex.split(rest, posix=True)
    except ValueError:
        return rest.split()


def _copy(rest: str, add: bool) -> Copy | None:
    words = _split(rest)
    from_stage = None
    plain = []
    for word in words:
        if word.startswith("--"):
            key, _, value = word[2:].partition("=")
            if key == "from":
                from_stage = value
            continue
        plain.append(word)
    if len(plain) < 2:
        return None
    return Copy(plain[:-1], plain[-1], from_stage, add)


def parse_dockerfile(text: str) -> list[StageBody]:
    """The stages of a Dockerfile, in order. Global ARG defaults (before the first FROM) are substituted into FROM
    lines, so `ARG NODE_IMAGE=node:22-alpine` / `FROM ${NODE_IMAGE}` reads as node:22-alpine."""
    args: dict[str, str] = {}
    stages: list[StageBody] = []
    for line in _logical_lines(text):
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "ARG" and not stages:
            for item in _split(rest):
                name, _, default = item.partition("=")
                args[name.strip()] = default.strip()
        elif word == "FROM":
            parts = _substitute(rest, args).split()
            platform = next((p.split("=", 1)[1] for p in parts if p.startswith("--platform=")), None)
            parts = [p for p in parts if not p.startswith("--")]
            if not parts:
                continue
            stage_name = parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else None
            stages.append(StageBody(len(stages), parts[0], stage_name, platform))
        elif not stages:
            continue
        elif word == "RUN":
            stages[-1].runs.append(rest)
        elif word in ("COPY", "ADD"):
            found = _copy(rest, word == "ADD")
            if found:
                stages[-1].copies.append(found)
        elif word == "WORKDIR":
            stages[-1].workdirs.append(rest.strip())
    return stages


def stage_named(stages: list[StageBody], ref: str | None) -> StageBody | None:
    """The stage a `FROM x` / `--from=x` names (by name or index), None when it is an image."""
    if ref is None:
        return None
    for stage in stages:
        if stage.name and stage.name.lower() == ref.lower():
            return stage
    if ref.isdigit() and int(ref) < len(stages):
        return stages[int(ref)]
    return None


def base_chain(stages: list[StageBody], stage: StageBody) -> list[StageBody]:
    """`stage` and the stages it is built FROM, nearest first; the last one's base is an image."""
    chain, current = [stage], stage
    while (parent := stage_named(stages[: current.index], current.base)) is not None and parent not in chain:
        chain.append(parent)
        current = parent
    return chain


def root_image(stages: list[StageBody], stage: StageBody) -> str:
    """The image reference a stage is built on in the end (after following `FROM <stage>`)."""
    return base_chain(stages, stage)[-1].base


def runtime_stage(stages: list[StageBody], target: str | None) -> StageBody | None:
    """The stage the image is (`target`, else the final stage)."""
    if not stages:
        return None
    return stage_named(stages, target) if target else stages[-1]


def feeding_stages(stages: list[StageBody], stage: StageBody) -> list[StageBody]:
    """Every stage whose files can reach `stage`: its FROM chain, the stages it copies from, and theirs."""
    seen: list[StageBody] = []
    todo = [stage]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        earlier = stages[: current.index]
        parent = stage_named(earlier, current.base)
        if parent is not None:
            todo.append(parent)
        for copy in current.copies:
            source = stage_named(earlier, copy.from_stage)
            if source is not None:
                todo.append(source)
    return seen
