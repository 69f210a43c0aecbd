"""A Dockerfile check before anything is built: what the classic builder's parser would refuse, found first.

`shipshape build --dry-run` and the build tool's preflight call `check_dockerfile`, so a Dockerfile that cannot
parse is reported as such (with its line) instead of "would build".
"""

from __future__ import annotations

import re

from agent.errors import ConfigError

INSTRUCTIONS = {
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
}
_DIRECTIVE = re.compile(r"^#\s*(syntax|escape)\s*=", re.I)


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, instruction text) with continuations joined and comments dropped."""
    out: list[tuple[int, str]] = []
    current, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not current:
            start = number
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        out.append((start, current + stripped))
        current = ""
    if current.strip():
        out.append((start, current.strip()))
    return out


def check_dockerfile(text: str, name: str, target: str | None = None) -> None:
    """Nothing when the Dockerfile parses; else a ConfigError naming the line and what is wrong."""
    lines = logical_lines(text)
    if not lines:
        raise ConfigError(f"{name} is empty", "a Dockerfile starts with FROM <image>")
    stages: list[str] = []
    seen_from = False
    for number, line in lines:
        word, _, rest = line.partition(" ")
        instruction = word.upper()
        if instruction not in INSTRUCTIONS:
            raise ConfigError(
                f"{name} line {number}: unknown instruction {word[:40]!r}",
                f"known instructions: {', '.join(sorted(INSTRUCTIONS))}",
            )
        if not seen_from and instruction not in ("ARG", "FROM"):
            raise ConfigError(f"{name} line {number}: {instruction} before the first FROM", "start with FROM <image>")
        if instruction == "FROM":
            seen_from = True
            parts = [p for p in rest.split() if not p.startswith("--")]
            if not parts:
                raise ConfigError(f"{name} line {number}: FROM names no image")
            if len(parts) >= 3 and parts[1].lower() == "as":
                stages.append(parts[2].lower())
        elif not rest.strip() and instruction not in ("HEALTHCHECK",):
            raise ConfigError(f"{name} line {number}: {instruction} has no arguments")
    if target and target.lower() not in stages:
        known = ", ".join(stages) or "none"
        raise ConfigError(f"{name}: no stage named {target!r} (stages: {known})", "fix 'target' in shipshape.toml")
