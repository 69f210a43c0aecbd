"""Network fixes for the package managers that ignore npm's .npmrc retries: yarn classic (--network-timeout on
the install step), yarn berry (.yarnrc.yml httpTimeout / httpRetry) and pnpm (its own .npmrc fetch settings)."""

from __future__ import annotations

import re

from agent.engines.files import FileEditor
from agent.project.config import ImageConfig
from agent.repair.buildcontext import find_files
from agent.repair.npm import merge_npmrc
from agent.repair.plan import Edit, Plan, finish, read_text

TIMEOUT_MS = 600000
YARN_INSTALL = re.compile(r"^(\s*RUN\b.*\byarn(?:\s+install)?\b)(?!.*--network-timeout)(.*)$", re.I)


def plan_yarn_network_timeout(image: ImageConfig, editor: FileEditor, description: str) -> Plan:
    """yarn v1: --network-timeout on every `yarn` / `yarn install` RUN line of the Dockerfile."""
    plan = Plan("yarn-network-timeout", description)
    path = image.dockerfile_path
    if not path.is_file():
        plan.suggestion = f"{path} does not exist; {description}"
        return plan
    lines = read_text(editor, path).splitlines()
    changed = False
    for index, line in enumerate(lines):
        match = YARN_INSTALL.match(line)
        if match and "yarn add" not in line and "yarn run" not in line:
            lines[index] = re.sub(
                r"\byarn(\s+install)?\b", lambda m: m.group(0) + f" --network-timeout {TIMEOUT_MS}", line, count=1
            )
            changed = True
    if changed:
        plan.edits.append(Edit(path, "\n".join(lines) + "\n", f"yarn --network-timeout {TIMEOUT_MS}"))
    elif not any("--network-timeout" in line for line in lines):
        plan.suggestion = f"no yarn install step in {path}; {description}"
    return finish(plan, editor)


def merge_yarnrc_yml(text: str) -> str:
    """`text` (.yarnrc.yml) with httpTimeout >= TIMEOUT_MS and httpRetry >= 10."""
    wanted = {"httpTimeout": TIMEOUT_MS, "httpRetry": 10}
    lines = text.splitlines()
    for key, value in wanted.items():
        found = False
        for index, line in enumerate(lines):
            match = re.match(rf"^{key}:\s*(\S+)", line)
            if match:
                found = True
                if not match.group(1).isdigit() or int(match.group(1)) < value:
                    lines[index] = f"{key}: {value}"
        if not found:
            lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n"


def plan_yarn_berry_http(image: ImageConfig, editor: FileEditor, description: str) -> Plan:
    """yarn 2+: httpTimeout and httpRetry in the .yarnrc.yml next to package.json."""
    plan = Plan("yarn-berry-http", description)
    packages = find_files(image.context, ("package.json",), limit=1)
    if not packages:
        plan.suggestion = f"no package.json under {image.context}; {description}"
        return plan
    target = packages[0].parent / ".yarnrc.yml"
    plan.edits.append(Edit(target, merge_yarnrc_yml(read_text(editor, target)), "yarn httpTimeout/httpRetry"))
    return finish(plan, editor)


def plan_pnpm_network(image: ImageConfig, editor: FileEditor, description: str) -> Plan:
    """pnpm: the fetch settings it reads from .npmrc, plus fetch-timeout."""
    plan = Plan("pnpm-network-settings", description)
    packages = find_files(image.context, ("package.json",), limit=1)
    if not packages:
        plan.suggestion = f"no package.json under {image.context}; {description}"
        return plan
    target = packages[0].parent / ".npmrc"
    text = merge_npmrc(read_text(editor, target))
    if not re.search(r"^fetch-timeout\s*=", text, re.M):
        text += f"fetch-timeout={TIMEOUT_MS}\n"
    plan.edits.append(Edit(target, text, "pnpm fetch retries and timeout"))
    return finish(plan, editor)
