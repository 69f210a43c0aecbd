"""Dockerfile-level fixes: apk openssl for Prisma, platform pinning, .dockerignore exceptions, base image tags."""

from __future__ import annotations

import difflib
import platform
import re
from pathlib import Path

from agent.engines.files import FileEditor
from agent.project.config import ImageConfig
from agent.repair.buildcontext import find_files, ignoring_rule
from agent.repair.plan import Edit, Plan, finish, read_text

FROM = re.compile(r"^(\s*FROM\s+)(?!--platform)(\S+)(\s+AS\s+(\S+))?\s*$", re.I)


def _stages(lines: list[str]) -> list[tuple[int, str, str | None]]:
    """(line index, image, stage name) of every FROM."""
    out = []
    for index, line in enumerate(lines):
        match = re.match(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", line, re.I)
        if match:
            out.append((index, match.group(1), match.group(2)))
    return out


def plan_apk_openssl(image: ImageConfig, editor: FileEditor, description: str) -> Plan:
    """RUN apk add --no-cache openssl in the runtime stage, when that stage is Alpine."""
    plan = Plan("prisma-apk-openssl", description)
    path = image.dockerfile_path
    if not path.is_file():
        plan.suggestion = f"{path} does not exist"
        return plan
    lines = read_text(editor, path).splitlines()
    stages = _stages(lines)
    chosen = next((s for s in stages if image.target and s[2] == image.target), stages[-1] if stages else None)
    if chosen is None:
        plan.suggestion = f"{path} has no FROM"
        return plan
    index, base, name = chosen
    end = next((s[0] for s in stages if s[0] > index), len(lines))
    if any(re.search(r"apk\s+add.*\bopenssl\b", line) for line in lines[index:end]):
        return finish(plan, editor)
    if "alpine" not in base.lower() and not any("apk " in line for line in lines[index:end]):
        plan.suggestion = (
            f"the runtime stage {name or ''} ({base}) is not Alpine, so apk cannot add OpenSSL: install the "
            "libssl its Prisma engine links against, or upgrade Prisma to >= 6.1"
        )
        return plan
    lines[index + 1 : index + 1] = ["RUN apk add --no-cache openssl"]
    plan.edits.append(Edit(path, "\n".join(lines) + "\n", f"apk add openssl in stage {name or base}"))
    return finish(plan, editor)


def host_platform() -> str:
    machine = platform.machine().lower()
    return "linux/arm64" if machine in ("aarch64", "arm64") else "linux/amd64"


def plan_platform_pin(image: ImageConfig, editor: FileEditor, description: str) -> Plan:
    """FROM --platform=<the builder's platform> on every FROM of an external image."""
    plan = Plan("platform-pin", description)
    path = image.dockerfile_path
    if not path.is_file():
        plan.suggestion = f"{path} does not exist"
        return plan
    lines = read_text(editor, path).splitlines()
    names = {s[2].lower() for s in _stages(lines) if s[2]}
    target = host_platform()
    for index, line in enumerate(lines):
        match = FROM.match(line)
        if match and match.group(2).lower() not in names and match.group(2).lower() != "scratch":
            lines[index] = f"{match.group(1)}--platform={target} {match.group(2)}{match.group(3) or ''}"
    plan.edits.append(Edit(path, "\n".join(lines) + "\n", f"pin FROM to {target}"))
    return finish(plan, editor)


MISSING_PATH = (
    re.compile(r"stat (?:/var/lib/docker/tmp/docker-builder\d+/)?([^\s:]+): (?:file does not exist|no such file)"),
    re.compile(r'"/?([^"]+)"[:]? not found'),
    re.compile(r"COPY failed: no source files were specified|lstat (?:/var/lib/docker/tmp/docker-builder\d+/)?(\S+?):"),
    re.compile(r"Could not open requirements file: \[Errno 2\] No such file or directory: '([^']+)'"),
)


def missing_path(excerpt: str) -> str | None:
    """The context path an error says is missing."""
    for rx in MISSING_PATH:
        match = rx.search(excerpt)
        if match and match.lastindex and match.group(1):
            return match.group(1).lstrip("/")
    return None


def plan_dockerignore(image: ImageConfig, editor: FileEditor, description: str, excerpt: str) -> Plan:
    """Re-include a file that .dockerignore excludes (a `!path` line); else say exactly what is missing."""
    plan = Plan("dockerignore-unignore", description)
    rel = missing_path(excerpt)
    if rel is None:
        plan.suggestion = "the error does not name the missing file; check the COPY sources against the context"
        return plan
    context = image.context
    if not (context / rel).exists():
        names = [str(p.relative_to(context)) for p in find_files(context, ("",), limit=2000)]
        close = difflib.get_close_matches(rel, names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        plan.suggestion = f"{rel} does not exist in the build context {context}: fix the COPY path{hint}"
        return plan
    rule = ignoring_rule(context, rel)
    if rule is None:
        plan.suggestion = f"{rel} exists in {context} and .dockerignore does not exclude it: check the COPY source"
        return plan
    path = context / ".dockerignore"
    text = read_text(editor, path)
    text = text if text.endswith("\n") or not text else text + "\n"
    text += f"# shipshape (context-file-missing): {rel} is needed by the build, excluded by '{rule}'\n!{rel}\n"
    plan.edits.append(Edit(path, text, f"re-include {rel} (excluded by {rule})"))
    return finish(plan, editor)


def base_image_suggestion(image: ImageConfig, description: str) -> Plan:
    """No safe automatic edit: name the FROM and the ARG without a default, if any."""
    plan = Plan("base-image-tag", description)
    path: Path = image.dockerfile_path
    if not path.is_file():
        plan.suggestion = description
        return plan
    text = path.read_text(encoding="utf-8", errors="replace")
    defaults = dict(re.findall(r"^\s*ARG\s+(\w+)=(\S+)", text, re.M))
    details = []
    for line in text.splitlines():
        match = re.match(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)", line, re.I)
        if match:
            unset = [v for v in re.findall(r"\$\{?(\w+)", match.group(1)) if v not in defaults]
            if unset:
                details.append(f"'{line.strip()}' uses {', '.join(unset)} without a default (ARG {unset[0]}=<tag>)")
            else:
                details.append(f"'{line.strip()}': check that this tag exists (docker manifest inspect)")
    plan.suggestion = "; ".join(details) or description
    return plan
