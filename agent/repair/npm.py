"""npm-retry-settings: make npm retry slow registry fetches (the fix for npm-network).

Writes fetch-retries=5, fetch-retry-mintimeout=20000, fetch-retry-maxtimeout=120000 into the .npmrc next to
package.json in the image's context (created if absent, larger existing values kept). When that .npmrc cannot
reach the install step (the Dockerfile does not COPY it before installing, or .dockerignore excludes it), the
same settings go into the Dockerfile as npm_config_* ENV before the install.
"""

from __future__ import annotations

import re
from pathlib import Path

from agent.engines.files import FileEditor
from agent.project.config import ImageConfig
from agent.repair.buildcontext import find_files, ignored_by_dockerignore
from agent.repair.plan import Edit, Plan, finish, read_text

SETTINGS = {"fetch-retries": 5, "fetch-retry-mintimeout": 20000, "fetch-retry-maxtimeout": 120000}
INSTALL = re.compile(
    r"^\s*RUN\b.*(?:\bnpm\s+(?:ci|install|i)\b|\bnpm-install\b|\byarn(?:\s+install)?\b|pnpm\s+install)", re.I
)
COPY = re.compile(r"^\s*(?:COPY|ADD)\s+(.*)$", re.I)


def merge_npmrc(text: str) -> str:
    """`text` with every retry setting at least as large as SETTINGS."""
    lines = text.splitlines()
    present: dict[str, int] = {}
    for index, line in enumerate(lines):
        match = re.match(r"^\s*([a-z-]+)\s*=\s*(\S+)\s*$", line)
        if match and match.group(1) in SETTINGS:
            key, value = match.group(1), match.group(2)
            wanted = SETTINGS[key]
            present[key] = index
            if not value.isdigit() or int(value) < wanted:
                lines[index] = f"{key}={wanted}"
    missing = [k for k in SETTINGS if k not in present]
    if missing:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append("# shipshape (npm-network): retry slow registry fetches instead of failing with ETIMEDOUT")
        lines.extend(f"{k}={SETTINGS[k]}" for k in missing)
    return "\n".join(lines) + "\n"


def _npmrc_reaches_install(dockerfile: str, npmrc_rel: str) -> bool:
    """True when a COPY before the first install step brings the whole context or the .npmrc."""
    for line in dockerfile.splitlines():
        if INSTALL.match(line):
            return False
        copy = COPY.match(line)
        if copy and "--from" not in copy.group(1):
            sources = copy.group(1).split()[:-1]
            if any(s in (".", "./") or s.endswith(".npmrc") or "npmrc" in s for s in sources):
                return True
            if any(s.rstrip("/") == str(Path(npmrc_rel).parent) for s in sources):
                return True
    return True  # no install step in this Dockerfile: nothing to wire


def _env_before_install(dockerfile: str) -> str:
    lines = dockerfile.splitlines()
    env = "ENV " + " ".join(f"npm_config_{k.replace('-', '_')}={v}" for k, v in SETTINGS.items())
    if any(line.strip() == env for line in lines):
        return dockerfile
    for index, line in enumerate(lines):
        if INSTALL.match(line):
            lines[index:index] = ["# shipshape (npm-network): retry slow registry fetches", env]
            return "\n".join(lines) + "\n"
    return dockerfile


def plan_npm_retries(image: ImageConfig, editor: FileEditor, description: str) -> Plan:
    """The .npmrc (and, when needed, Dockerfile) edits for an image."""
    plan = Plan("npm-retry-settings", description)
    packages = find_files(image.context, ("package.json",), limit=1)
    if not packages:
        plan.suggestion = f"no package.json under {image.context}: set fetch-retries=5 in the .npmrc of the npm project"
        return plan
    npmrc = packages[0].parent / ".npmrc"
    plan.edits.append(Edit(npmrc, merge_npmrc(read_text(editor, npmrc)), "npm retry settings"))
    dockerfile_path = image.dockerfile_path
    if dockerfile_path.is_file():
        dockerfile = read_text(editor, dockerfile_path)
        rel = str(npmrc.relative_to(image.context))
        if not _npmrc_reaches_install(dockerfile, rel) or ignored_by_dockerignore(image.context, rel):
            plan.edits.append(Edit(dockerfile_path, _env_before_install(dockerfile), "npm_config_* retries"))
    return finish(plan, editor)
