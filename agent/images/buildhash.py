"""The content hash of a build's inputs, and the build context that goes with it.

The inputs are the Dockerfile, every file of the context that `.dockerignore` lets through, the build args
and the target stage. Equal inputs give an equal hash, so the tag `<repository>:<12 hex>` names what was built
(never `latest`), and an image that already carries that tag means the build can be skipped.

`.dockerignore` follows Docker's own rules: one pattern a line, `#` comments, paths relative to the context
root (a leading `/` is dropped), `*` and `?` stop at `/`, `**` spans any number of directories, a pattern
also excludes everything under a directory it matches, `!` re-includes, and the last matching line wins.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

HASH_VERSION = "shipshape-buildhash-1"
TAG_HEX = 12
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    exclude: bool
    depth: int  # number of path components, to test parent directories as Docker does


def _glob_to_regex(pattern: str) -> str:
    out = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if i + 1 < len(pattern) and pattern[i + 1] == "*":
                i += 2
                if i < len(pattern) and pattern[i] == "/":
                    i += 1
                out += ".*" if i >= len(pattern) else "(?:.*/)?"
                continue
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out += re.escape(ch)
            else:
                body = pattern[i + 1 : end]
                if body.startswith("^") or body.startswith("!"):
                    body = "^" + body[1:]
                out += "[" + body.replace("\\", "\\\\") + "]"
                i = end
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(ch)
        i += 1
    return "^" + out + "$"


def _clean(path: str) -> str:
    parts: list[str] = []
    for part in path.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


class DockerIgnore:
    """The rules of one `.dockerignore` file."""

    def __init__(self, lines: list[str]) -> None:
        self.patterns: list[_Pattern] = []
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclude = not line.startswith("!")
            if not exclude:
                line = line[1:].strip()
            line = _clean(line)
            if not line:
                continue
            self.patterns.append(_Pattern(re.compile(_glob_to_regex(line)), exclude, line.count("/") + 1))
        self.has_exceptions = any(not p.exclude for p in self.patterns)

    @classmethod
    def for_context(cls, context: Path) -> DockerIgnore:
        path = context / ".dockerignore"
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        return cls(text.splitlines())

    def excluded(self, rel: str) -> bool:
        """Whether the context-relative path `rel` stays out of the build context."""
        parts = rel.split("/")
        result = False
        for pattern in self.patterns:
            matched = bool(pattern.regex.match(rel))
            if not matched and pattern.depth < len(parts):
                # A pattern that matches a parent directory covers everything below it.
                matched = bool(pattern.regex.match("/".join(parts[: pattern.depth])))
            if matched:
                result = pattern.exclude
        return result


def context_files(context: Path, ignore: DockerIgnore | None = None) -> list[str]:
    """The context-relative paths (files and symlinks) that a build sends, sorted."""
    ignore = ignore or DockerIgnore.for_context(context)
    found: list[str] = []
    root = str(context)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
        keep_dirs = []
        for name in sorted(dirnames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                if not ignore.excluded(rel):
                    found.append(rel)
                continue
            # An excluded directory can be skipped whole unless an exception might re-include something.
            if ignore.excluded(rel) and not ignore.has_exceptions:
                continue
            keep_dirs.append(name)
        dirnames[:] = keep_dirs
        for name in filenames:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if not ignore.excluded(rel):
                found.append(rel)
    return sorted(found)


class HashCache:
    """Digests of files keyed by (path, size, mtime_ns), kept in a JSON file so unchanged files are not re-read."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, list[object]] = {}
        self.dirty = False
        if path and path.is_file():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}

    def digest(self, full: str, st: os.stat_result) -> str:
        entry = self.entries.get(full)
        if entry and entry[0] == st.st_size and entry[1] == st.st_mtime_ns:
            return str(entry[2])
        h = hashlib.sha256()
        with open(full, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                h.update(chunk)
        value = h.hexdigest()
        self.entries[full] = [st.st_size, st.st_mtime_ns, value]
        self.dirty = True
        return value

    def save(self) -> None:
        if not (self.path and self.dirty):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.entries), encoding="utf-8")
        os.replace(tmp, self.path)
        self.dirty = False


@dataclass(frozen=True)
class BuildInputs:
    """What goes into one build, and its content hash."""

    context: Path
    dockerfile: Path
    dockerfile_in_context: str  # the Dockerfile's name inside the tar sent to the daemon
    files: tuple[str, ...]
    digest: str

    def tag(self, repository: str) -> str:
        return content_tag(repository, self.digest)


def content_tag(repository: str, digest: str) -> str:
    """`<repository>:<12 hex of the content hash>`."""
    return f"{repository}:{digest[:TAG_HEX]}"


def hash_inputs(
    context: Path,
    dockerfile: Path,
    *,
    target: str | None = None,
    build_args: dict[str, str] | None = None,
    cache: HashCache | None = None,
) -> BuildInputs:
    """Walk the context (after .dockerignore) and hash every input of the build."""
    context = context.resolve()
    dockerfile = dockerfile.resolve()
    files = context_files(context)
    h = hashlib.sha256()
    h.update(HASH_VERSION.encode())
    h.update(b"\0dockerfile\0" + dockerfile.read_bytes())
    h.update(b"\0target\0" + (target or "").encode())
    for key in sorted(build_args or {}):
        h.update(f"\0arg\0{key}={(build_args or {})[key]}".encode())
    cache = cache or HashCache(None)
    root = str(context)
    for rel in files:
        full = os.path.join(root, rel)
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            h.update(f"\0link\0{rel}\0{os.readlink(full)}".encode())
        elif stat.S_ISREG(st.st_mode):
            executable = "x" if st.st_mode & 0o111 else "-"
            h.update(f"\0file\0{rel}\0{executable}\0{cache.digest(full, st)}".encode())
    try:
        in_context = dockerfile.relative_to(context).as_posix()
    except ValueError:
        in_context = ".shipshape.Dockerfile"
    return BuildInputs(context, dockerfile, in_context, tuple(files), h.hexdigest())


def context_tar(inputs: BuildInputs) -> IO[bytes]:
    """The build context as an uncompressed tar (spooled to disk past 16 MB), positioned at its start."""
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115 (the caller closes it)
    with tarfile.open(fileobj=spool, mode="w:", format=tarfile.PAX_FORMAT) as archive:
        for rel in inputs.files:
            archive.add(str(inputs.context / rel), arcname=rel, recursive=False)
        if inputs.dockerfile_in_context not in inputs.files:
            # The daemon needs the Dockerfile even when .dockerignore leaves it out, as the docker CLI does.
            archive.add(str(inputs.dockerfile), arcname=inputs.dockerfile_in_context, recursive=False)
    spool.seek(0)
    return spool
