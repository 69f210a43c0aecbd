"""Where a project says how it builds its images: CI workflows (`docker/build-push-action`'s `context:` / `file:`
/ `target:`, `docker build -f X DIR` in `run:` lines), compose files (`build.context` / `dockerfile` / `target`)
and build scripts (package.json scripts, Makefiles, shell scripts under scripts/). Each found build is a
BuildRef that says which file and line said so.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_DOCKER_BUILD = re.compile(r"\bdocker\s+(?:buildx\s+)?build\b(?P<args>(?:[^\n;&|]|\\\n)*)")
_MATRIX = re.compile(r"^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$")
COMPOSE_NAMES = re.compile(r"^(docker-)?compose([.-][\w.-]+)?\.ya?ml$")


@dataclass
class BuildRef:
    dockerfile: Path
    context: Path
    target: str | None
    name: str | None
    source: str  # "ci", "compose" or "script"
    where: str  # the file (relative to the root) that says so


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _templated(value: str) -> bool:
    return "$" in value


def _matrix_values(job: dict[str, Any], key: str) -> list[Any]:
    matrix = ((job.get("strategy") or {}).get("matrix")) if isinstance(job.get("strategy"), dict) else None
    if not isinstance(matrix, dict):
        return []
    values: list[Any] = []
    if isinstance(matrix.get(key), list):
        values += matrix[key]
    for entry in matrix.get("include") or []:
        if isinstance(entry, dict) and key in entry:
            values.append(entry[key])
    return values


def _expand(value: Any, job: dict[str, Any]) -> list[str]:
    """A workflow value, with a whole-value `${{ matrix.x }}` replaced by each of the matrix's values."""
    if not isinstance(value, str):
        return []
    found = _MATRIX.match(value.strip())
    if found:
        return [v for v in _matrix_values(job, found.group(1)) if isinstance(v, str)]
    return [] if _templated(value) else [value]


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def parse_docker_build(command: str, cwd: Path) -> list[tuple[Path, Path, str | None, str | None]]:
    """(dockerfile, context, target, tag's repository) for each `docker build` in a shell command."""
    out = []
    for found in _DOCKER_BUILD.finditer(command.replace("\\\n", " ")):
        try:
            words = shlex.split(found.group("args"), comments=True)
        except ValueError:
            words = found.group("args").split()
        dockerfile = target = tag = None
        positional: list[str] = []
        i = 0
        while i < len(words):
            word = words[i]
            key, eq, inline = word.partition("=")
            takes = key in ("-f", "--file", "-t", "--tag", "--target", "--build-arg", "--platform", "--label")
            value = inline if eq else (words[i + 1] if takes and i + 1 < len(words) else None)
            if key in ("-f", "--file"):
                dockerfile = value
            elif key in ("-t", "--tag") and tag is None:
                tag = value
            elif key == "--target":
                target = value
            elif not word.startswith("-"):
                positional.append(word)
            i += 2 if takes and not eq else 1
        if not positional or _templated(positional[-1]) or (dockerfile and _templated(dockerfile)):
            continue
        context = (cwd / positional[-1]).resolve()
        file = (cwd / dockerfile).resolve() if dockerfile else context / "Dockerfile"
        repo = tag.rsplit("/", 1)[-1].split(":")[0] if tag and not _templated(tag) else None
        out.append((file, context, target, repo))
    return out


def from_workflow(path: Path, root: Path) -> list[BuildRef]:
    """Builds named by one CI workflow (GitHub Actions; paths are relative to the repository's root)."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except yaml.YAMLError:
        return []
    where = _rel(path, root)
    refs: list[BuildRef] = []
    jobs = doc.get("jobs") if isinstance(doc, dict) else None
    for job in (jobs or {}).values() if isinstance(jobs, dict) else []:
        if not isinstance(job, dict):
            continue
        for node in _walk(job.get("steps") or []):
            with_ = node.get("with") if isinstance(node.get("with"), dict) else None
            if (
                with_
                and ("file" in with_ or "context" in with_)
                and re.search(r"docker|build-push|buildx|depot|kaniko", str(node.get("uses", "")))
            ):
                contexts = _expand(with_.get("context", "."), job)
                files = _expand(with_["file"], job) if "file" in with_ else [None]
                targets = _expand(with_["target"], job) if "target" in with_ else [None]
                for context in contexts:
                    for file in files:
                        for target in targets or [None]:
                            ctx = (root / context).resolve()
                            dockerfile = (root / file).resolve() if file else ctx / "Dockerfile"
                            refs.append(BuildRef(dockerfile, ctx, target, None, "ci", where))
            run = node.get("run")
            if isinstance(run, str):
                for found_file, found_ctx, found_target, repo in parse_docker_build(run, root):
                    refs.append(BuildRef(found_file, found_ctx, found_target, repo, "ci", where))
    return refs


def from_compose(path: Path, root: Path) -> list[BuildRef]:
    """Builds in a compose file: `build: DIR` or `build: {context, dockerfile, target}` (relative to the file)."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except yaml.YAMLError:
        return []
    services = doc.get("services") if isinstance(doc, dict) else None
    refs: list[BuildRef] = []
    for name, service in (services or {}).items() if isinstance(services, dict) else []:
        build = service.get("build") if isinstance(service, dict) else None
        if isinstance(build, str):
            build = {"context": build}
        if not isinstance(build, dict):
            continue
        context_raw = str(build.get("context", "."))
        dockerfile_raw = str(build.get("dockerfile", "Dockerfile"))
        if _templated(context_raw) or _templated(dockerfile_raw) or "://" in context_raw:
            continue
        context = (path.parent / context_raw).resolve()
        target = build.get("target") if isinstance(build.get("target"), str) else None
        refs.append(
            BuildRef((context / dockerfile_raw).resolve(), context, target, str(name), "compose", _rel(path, root))
        )
    return refs


def from_scripts(path: Path, root: Path) -> list[BuildRef]:
    """`docker build` lines in package.json scripts, a Makefile or a shell script (run from the file's folder;
    a script under scripts/ is usually run from the repository's root, so both are tried)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if "docker" not in text:
        return []
    commands: list[str] = []
    if path.name == "package.json":
        try:
            scripts = json.loads(text).get("scripts") or {}
        except (ValueError, AttributeError):
            return []
        commands = [v for v in scripts.values() if isinstance(v, str)]
    else:
        commands = [text]
    refs = []
    cwds = [path.parent] if path.name in ("package.json", "Makefile") else [root, path.parent]
    for command in commands:
        for cwd in cwds:
            found = parse_docker_build(command, cwd)
            for file, ctx, target, repo in found:
                if file.is_file():
                    refs.append(BuildRef(file, ctx, target, repo, "script", _rel(path, root)))
            if any(f.is_file() for f, *_ in found):
                break
    return refs


def gather(root: Path, files: list[Path]) -> list[BuildRef]:
    """Every build the project's CI, compose files and scripts describe, strongest evidence first."""
    refs: list[BuildRef] = []
    for path in files:
        rel = path.relative_to(root).parts
        if len(rel) >= 3 and rel[0] == ".github" and rel[1] == "workflows" and path.suffix in (".yml", ".yaml"):
            refs += from_workflow(path, root)
    for path in files:
        if COMPOSE_NAMES.match(path.name):
            refs += from_compose(path, root)
    for path in files:
        in_scripts = "scripts" in path.relative_to(root).parts[:-1] and path.suffix in (".sh", "")
        if path.name in ("package.json", "Makefile") or in_scripts:
            refs += from_scripts(path, root)
    return [r for r in refs if r.dockerfile.is_file() and r.context.is_dir()]
