"""A file the failing step cannot find where the build put the context (issue 12aa): the context, not the command.

`COPY . /app` then `RUN mv /app/nginx.conf /etc/nginx/` fails with `mv: cannot stat '/app/nginx.conf': No such file or
directory` when nginx.conf is not in the build context (not in the repository, excluded by .dockerignore, a git
submodule never checked out). The wording is a coreutils or shell one, which alone says nothing of where the file
should have come from; the steps before it do. Where the rules left the answer `unknown`, the failing step's region
shows a file or directory that is not there (`cp`/`mv`/`cat`/`chmod`/... `No such file or directory`, `cd: can't cd
to`), and that path lies under a directory an earlier COPY or ADD filled from the context (not `--from` a stage, not
a URL), the answer is context-file-missing (the Files not in the image convention). A path anywhere else (one a
download or an earlier command should have made) stays what the rules said.
"""

from __future__ import annotations

import posixpath
import re

from agent.buildlog import structure
from agent.buildlog.diagnosis import Diagnosis
from agent.buildlog.patterns import Knowledge
from agent.buildlog.scanner import ScanResult
from agent.buildlog.settle import settle

CATEGORY = "context-file-missing"
CONFIDENCE = 0.7
EXPLANATION = (
    "the step needs a file or directory under a folder the build copied from the context, and it is not there: it is "
    "not in the build context (a missing file, .dockerignore, a git submodule never checked out)."
)
# The tools whose "No such file" names a file they were given: `mv: cannot stat 'x': No such file or directory`,
# `chmod: cannot access 'x': ...`, `cat: x: No such file or directory`, `/bin/sh: 1: cd: can't cd to x`.
MISSING_FILE = re.compile(
    r"^(?:/bin/\w+: (?:\d+: |line \d+: )?)?(?P<tool>cp|mv|cat|chmod|chown|chgrp|ln|rm|ls|stat|install|touch|sed|tar|"
    r"unzip|head|tail|diff|patch|dos2unix|md5sum|sha256sum|source|\.):? ?(?:cannot stat|cannot access|can't open|"
    r"cannot open|can't stat|cannot remove|can't read|failed to access)?\s*['‘\"`]?(?P<path>[^'’\"`:\s]+)['’\"`]?"
    r"(?::\s*| )No such file or directory\s*$"
)
MISSING_DIR = re.compile(r"\b(?P<tool>cd): (?:can't cd to (?P<path>\S+)|(?P<other>\S+): No such file or directory)\s*$")
FLAG = re.compile(r"^--[\w-]+(?:=\S*)?$")
URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def _join(base: str | None, path: str) -> str:
    """`path` made absolute against the working directory `base` where one is known (else kept relative)."""
    path = path.strip().rstrip("/") or "/"
    if path.startswith("/") or base is None:
        return posixpath.normpath(path)
    return posixpath.normpath(posixpath.join(base, path))


def context_dirs(scan: ScanResult, failed: str | None) -> tuple[list[str], str | None]:
    """The directories COPY/ADD filled from the context before the failing step, and the working directory the
    failing step ran in (None where no WORKDIR was shown)."""
    dirs: list[str] = []
    workdir: str | None = None
    for op, args in structure.instructions_before(scan, failed):
        if op == "WORKDIR":
            workdir = _join(workdir, args[-1])
            continue
        if op not in ("COPY", "ADD"):
            continue
        flags = [a for a in args if FLAG.match(a)]
        paths = [a for a in args if not FLAG.match(a)]
        sources = paths[:-1]
        if any(f.startswith("--from") for f in flags) or not sources or any(URL.match(p) or "$" in p for p in sources):
            continue  # a stage's output, a download, or a source a build variable names (the 12m convention)
        dest = _join(workdir, paths[-1])
        if dest != "/":
            dirs.append(dest)
    return dirs, workdir


def _under(path: str, dirs: list[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in dirs)


def missing_context_file(
    diagnosis: Diagnosis, scan: ScanResult, step: str | None, knowledge: Knowledge, region: list[str]
) -> None:
    """An `unknown` answer whose failing region (structure.step_region) says a file or directory under a COPY/ADD
    destination is not there: context-file-missing, resting on that line."""
    if diagnosis.root_cause != "unknown":
        return
    dirs, workdir = context_dirs(scan, step)
    if not dirs:
        return
    command = scan.headers[step][1] if step is not None and step in scan.headers else ""
    for raw in reversed(region):
        text = raw.strip()
        match = MISSING_FILE.match(text) or MISSING_DIR.search(text)
        if match is None:
            continue
        path = match.group("path") or match.groupdict().get("other") or ""
        # the tool is one the Dockerfile's own command runs (not one inside a script it calls: `npm run build`'s
        # `rm -r dist` of a folder not made yet is the script's business), and the path is under a copied folder
        own = re.search(rf"(?:^|[\s;&|('\"]){re.escape(match.group('tool'))}\s", command) is not None
        if own and path and _under(_join(workdir, path), dirs):
            settle(diagnosis, scan, step, knowledge, (CATEGORY, "context-path-missing", CONFIDENCE), text, EXPLANATION)
        return
