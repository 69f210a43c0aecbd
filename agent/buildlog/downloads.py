"""A program, file or directory missing after a download that saved nothing is the download's failure, not what is
missing after it (issue 12v: moved out of rootcause.py, which outgrew the size limit).

- `installed_nothing`: `/opt/conda/bin/conda: not found` in a step that downloads an installer and installs it under
  /opt/conda (curl without -f/-L saved an error page);
- `download_then_missing`: a program not found after an earlier step whose download of it visibly failed (the 12s
  convention);
- `download_then_consequence` (issue 12v): in a step that downloads itself (`git clone x; cd x; make`), a download
  that visibly failed before the root line.
"""

from __future__ import annotations

import re

from agent.buildlog.scanner import Failure, Hit, ScanResult

DOWNLOAD_COMMAND = re.compile(r"\b(?:curl|wget)\s")
# A step that downloads itself (curl, wget, git clone), and the categories of what is missing after a failed download
# in that step.
STEP_DOWNLOADS = re.compile(DOWNLOAD_COMMAND.pattern + r"|\bgit\s+clone\b")
DOWNLOAD_CONSEQUENCES = {"context-file-missing", "command-not-found", "compile-error", "script-error"}
# The program a "not found" line names (`/bin/sh: 1: pip: not found`, `bash: conda: command not found`).
MISSING_PROGRAM = re.compile(r"(?:^|[\s:/])([\w.+-]+): (?:command )?not found\s*$")


def installed_nothing(ranked: list[Hit], evidence: list[Hit], failure: Failure | None) -> list[Hit]:
    """`/opt/conda/bin/conda: not found` in a step that itself downloads (curl/wget) and installs under /opt/conda:
    the download saved nothing or an error page (curl without -f/-L), so the installer installed nothing."""
    if not ranked or ranked[0].pattern.category != "command-not-found" or failure is None:
        return ranked
    if not DOWNLOAD_COMMAND.search(failure.command):
        return ranked
    for hit in evidence:
        match = hit.pattern.regex.search(hit.text) if hit.pattern.id == "installed-nothing" else None
        prefix = "/".join(match.group(1).split("/")[:3]) if match else ""
        if match and hit.line == ranked[0].line and re.search(re.escape(prefix) + r"(?:/|\s|$)", failure.command):
            return [hit, *ranked]
    return ranked


def download_then_missing(ranked: list[Hit], everything: list[Hit], scan: ScanResult) -> list[Hit]:
    """A program not found after an earlier step that downloaded its installer and visibly failed (`ERROR 404`,
    `curl: (22)`, the step passing because a pipe hid it: `wget -O - https://.../get-pip.py | python`, then `pip: not
    found`) is that download (the 12s convention); a silent download leaves the missing program the answer."""
    if not ranked or ranked[0].pattern.category != "command-not-found":
        return ranked
    match = MISSING_PROGRAM.search(ranked[0].text.strip())
    if match is None or len(match.group(1)) < 2:
        return ranked
    program = re.compile(r"(?<![A-Za-z0-9])" + re.escape(match.group(1)) + r"(?![A-Za-z0-9])")
    for hit in everything:
        if hit.pattern.category != "download-failed" or hit.pattern.evidence or hit.pattern.tier > 2:
            continue
        if hit.line >= ranked[0].line or hit.step is None or hit.step == ranked[0].step:
            continue
        command = _step_command(scan, hit.step)
        if DOWNLOAD_COMMAND.search(command + " ") and program.search(command):
            return [hit, *ranked]
    return ranked


def download_then_consequence(
    ranked: list[Hit], everything: list[Hit], scan: ScanResult, failure: Failure | None
) -> list[Hit]:
    """Issue 12v: in a step that itself downloads (`git clone x; cd x/src; cmake ..; make`, commands joined by `;` so
    that the rest runs after the clone failed), a download that visibly failed before the root line is the cause; the
    directory, file or program missing after it (`cd: can't cd to x`, CMake's empty source directory, make's missing
    Makefile) is its consequence (the Downloads convention, 12l's consequences)."""
    root = ranked[0] if ranked else None
    step = root.step if root is not None else None
    if root is None or step is None or root.pattern.category not in DOWNLOAD_CONSEQUENCES:
        return ranked
    command = _step_command(scan, step)
    if failure is not None and failure.step == step:
        command += " " + (failure.command or "")
    if not STEP_DOWNLOADS.search(command):
        return ranked
    for hit in everything:
        if hit.line >= root.line:
            break
        if hit.step == step and hit.pattern.category == "download-failed" and not hit.pattern.evidence:
            return [hit, *ranked]
    return ranked


def _step_command(scan: ScanResult, step: str) -> str:
    """The header line of step `step` as the log shows it, or "" when the tail does not hold it."""
    return scan.headers[step][1] if step in scan.headers else ""
