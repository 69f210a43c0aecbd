"""The Jinja2 environment over prompts/*.j2, with StrictUndefined so a missing variable is an error."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(PROMPTS_DIR)),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(name: str, **values: Any) -> str:
    """Render prompts/<name>.j2."""
    return environment().get_template(f"{name}.j2").render(**values)


def system_prompt(project: Any) -> str:
    """The system prompt: who the agent is, the project, the skills catalogue. No timestamps or ids, so
    the prefix (tools -> system) stays cacheable across incidents."""
    from agent.skills import catalogue

    return render("system", project=project, skills=catalogue())
