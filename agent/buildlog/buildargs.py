"""A command given an empty build variable (issue 12aa): the build's configuration, not the command.

`ARG APP_HOME` without a default and no `--build-arg APP_HOME=...` leaves `$APP_HOME` empty, so `RUN mkdir -p
$APP_HOME` fails with `mkdir: missing operand`, and `RUN git clone -b ${branch} ${url}` prints git's usage and exits
129. The message is the program's complaint about its arguments; the steps before it show why they were empty. Where
the rules left the answer `unknown`, the failing step's command reads a variable that an earlier `ARG` declared
without a value (and no ENV set since), and its region shows a program refusing its arguments (a missing operand, a
usage text, an option without its value), the answer is script-error (the 12k convention of configuration missing
from the build, and the 12m reading of an ARG without a value).
"""

from __future__ import annotations

import re

from agent.buildlog import structure
from agent.buildlog.diagnosis import Diagnosis
from agent.buildlog.patterns import Knowledge
from agent.buildlog.scanner import ScanResult
from agent.buildlog.settle import settle

CATEGORY = "script-error"
CONFIDENCE = 0.7
EXPLANATION = (
    "the step's command reads a build variable (ARG) that has no value, so a program got an empty argument: give the "
    "ARG a default or pass --build-arg."
)
REFERENCE = re.compile(r"\$\{?(?P<name>[A-Za-z_][A-Za-z0-9_]*)")
# A program refusing its arguments: coreutils' `missing operand`, a usage text, an option or argument without value.
EMPTY_ARGUMENT = re.compile(
    r"\bmissing (?:destination )?(?:file )?operand\b|^(?:usage|Usage|USAGE):\s|\bexpected (?:one|\d+) arguments?\b|"
    r"\brequires (?:at least|exactly) (?:1|one) arguments?\b|\boption requires an argument\b|"
    r"\bargument (?:is )?(?:required|missing)\b|\bnot enough arguments\b"
)


def unset_arguments(scan: ScanResult, failed: str | None) -> set[str]:
    """The build variables declared by ARG without a value (and given none by ENV) before the failing step."""
    unset: set[str] = set()
    for op, words in structure.instructions_before(scan, failed):
        if op not in ("ARG", "ENV"):
            continue
        # `ARG APP_HOME` declares it without a value; `ARG APP_HOME=/app`, `ENV APP_HOME /app` or `ENV APP_HOME=/app`
        # give it one
        name, has_value = words[0].split("=", 1)[0], "=" in words[0] or len(words) > 1
        if op == "ARG" and not has_value:
            unset.add(name)
        else:
            unset.discard(name)
    return unset


def empty_build_variable(
    diagnosis: Diagnosis, scan: ScanResult, step: str | None, knowledge: Knowledge, region: list[str]
) -> None:
    """An `unknown` answer whose failing command reads an ARG without a value and whose program refused its
    arguments (in the step's region, structure.step_region): script-error, resting on the refusal."""
    if diagnosis.root_cause != "unknown" or step is None or step not in scan.headers:
        return
    command = scan.headers[step][1]
    unset = unset_arguments(scan, step)
    if not unset or not {m.group("name") for m in REFERENCE.finditer(command)} & unset:
        return
    refusal = next((line.strip() for line in region if EMPTY_ARGUMENT.search(line.strip())), None)
    if refusal is None:
        return
    settle(diagnosis, scan, step, knowledge, (CATEGORY, "empty-build-variable", CONFIDENCE), refusal, EXPLANATION)
