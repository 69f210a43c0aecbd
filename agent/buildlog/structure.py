"""The structural reader: what the failing step's command and its last lines say, whatever the exact wording.

Literal patterns know wordings; a new wording of a known failure (a new npm error code, another mirror's timeout
message) is silent to them. The structural reader answers from the structure every build log has instead:

1. the failing step's command (`Step N/M : RUN ...` + `The command '/bin/sh -c ...' returned a non-zero code`,
   BuildKit `ERROR [stage n/m] RUN ...` / `process "/bin/sh -c ..." did not complete successfully`), split at
   `&&`, `;`, `|` into the tools it runs (apk add, apt-get install, pip install, npm ci, go mod download, curl,
   make, ...); each tool belongs to a family that can fail in only a few ways;
2. the exit code (127 command not found, 126 not executable, 137 killed; curl's and wget's own codes);
3. generic evidence in the lines the step printed last: network words, "not found", "permission denied",
   "no space left", a compiler's `error:`, a killed process.

Family x evidence gives a small score table over categories (`read`). The reader only looks at the failing
step's region of the log tail the scanner keeps (at most REGION_LINES lines), so it costs nothing per byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from agent.buildlog.clean import buildkit_step, segments
from agent.buildlog.families import (
    CURL_EXIT,
    EVIDENCE,
    EXIT_CODES,
    FAMILY_TABLE,
    KIND_BONUS,
    MARKERS,
    NOT_OUTPUT,
    STRONG,
    SUMMARY_LINE,
    TOOLS,
    UNIVERSAL,
    WARNING_LINE,
    WARNING_SILENT,
    WGET_EXIT,
    WRAPPERS,
    family_categories,
)
from agent.buildlog.scanner import ScanResult

REGION_LINES = 120
# Splitting a shell command line into its simple commands.
SEPARATORS = re.compile(r"\s*(?:&&|\|\||;|\||\bthen\b|\bdo\b|\belse\b)\s*")
LEADING_NOISE = re.compile(
    r"^(?:(?:[A-Za-z_][A-Za-z0-9_]*=(?:\"[^\"]*\"|'[^']*'|\S*)|sudo(?:\s+-\S+)*|exec|time|env|command|if|!|\(|\{|"
    r"--mount=\S+|--network=\S+|--security=\S+|(?:/usr/bin/|/usr/local/bin/|/bin/)?(?:ba|da|a)?sh\s+-[a-z]*c)\s+)+"
)


@dataclass
class Reading:
    """What the structure says: the command's tool families, the evidence kinds seen, scored categories."""

    command: str | None
    families: list[str]
    kinds: dict[str, str] = field(default_factory=dict)  # kind -> the first line that showed it
    scores: dict[str, float] = field(default_factory=dict)
    # issue 12x: the program a Python traceback of the step starts in, when that is an installed console script
    # (`File "/usr/local/bin/virtualenv", line 7, in <module>`): its name, else None
    entry_script: str | None = None

    def best(self) -> tuple[str, float] | None:
        if not self.scores:
            return None
        category = max(self.scores, key=lambda c: self.scores[c])
        return category, self.scores[category]

    def compatible(self, category: str) -> bool:
        """Can the failing command plausibly fail this way? (True when the command is not known, or runs a script
        or an installer piped into a shell, which can fail in any way.)"""
        if not self.families or "script" in self.families:
            return True
        return any(category in family_categories(f) for f in self.families)


def tools_of(command: str) -> list[str]:
    """The tool families of a shell command line, in order (`apt-get update && pip install x` -> apt, pip)."""
    families: list[str] = []
    for part in SEPARATORS.split(command.replace("\\\n", " ")):
        simple = LEADING_NOISE.sub("", part.strip().lstrip("(").strip())
        simple = re.sub(r"^(?:cd|set|export|echo|test|\[)\b[^&|;]*$", "", simple)
        if not simple:
            continue
        family = _family(simple)
        first = simple.split(None, 1)[0]
        if "/" in first.rstrip("/") and family in (None, "script"):
            # `/opt/venv/bin/pip install`, `~/.local/bin/poetry lock`: a tool called by its path is that tool
            family = _family(simple[len(first) - len(first.rsplit("/", 1)[-1]) :]) or family
            family = "script" if family is None and first.startswith(("./", "/")) else family
        if family is not None and family not in families:
            families.append(family)
    return families


def _family(simple: str) -> str | None:
    """The tool family of one simple command (the first rule of TOOLS that matches), if any."""
    return next((family for regex, family in TOOLS if regex.search(simple)), None)


def region_lines(tail: bytes, first_line: int, start: int | None) -> list[str]:
    """The cleaned lines of the failing step's region held in the tail: from the step's header (or the last
    REGION_LINES lines) to the end of the log, BuildKit lines of other steps left out."""
    lines: list[str] = []
    key_of_step: str | None = None
    number = first_line
    for raw in tail.split(b"\n"):
        if start is None or number >= start:
            for text in segments(raw):
                key, body = buildkit_step(text)
                if start is not None and number == start and key is not None:
                    key_of_step = key
                if key is not None and key_of_step is not None and key != key_of_step:
                    continue
                if body.strip():
                    lines.append(body.strip())
        number += 1
    return lines[-REGION_LINES:]


def step_region(scan: ScanResult, step: str | None) -> list[str]:
    """region_lines of the failing step (`step`, a key of scan.headers; the log's last lines where its header is not
    kept): what every reader of the failing step reads."""
    start = scan.headers[step][0] if step is not None and step in scan.headers else None
    return region_lines(scan.tail, scan.tail_first_line, start)


# A step header's Dockerfile instruction: classic `Step 6/11 : ADD . /apps/html`, BuildKit `[builder 3/7] COPY src/ ./`.
INSTRUCTION = re.compile(r"(?:^Step \d+(?:/\d+)? : |\] )(?P<op>[A-Za-z]+)\s+(?P<args>.+?)\s*$")


def instructions_before(scan: ScanResult, failed: str | None) -> Iterator[tuple[str, list[str]]]:
    """The Dockerfile instructions of the steps before the failing one (`failed`, a key of scan.headers), in order:
    (the instruction, upper-cased; its words)."""
    for key, (_, text) in scan.headers.items():
        if key == failed:
            return
        match = INSTRUCTION.search(text)
        words = match.group("args").split() if match is not None else []
        if match is not None and words:
            yield match.group("op").upper(), words


# A Python traceback's frame line: the line after it is the frame's source code (`return opener.open(url, data,
# timeout)`), not a message, so it is no evidence (issue 12g).
TRACEBACK_FRAME = re.compile(r'^File "[^"]+", line \d+, in ')
# issue 12x: a traceback's outermost frame in an installed console script (pip's, setuptools' or a tool's entry point
# under a bin directory: /usr/local/bin/virtualenv, /opt/venv/bin/ansible, ~/.local/bin/x); its name.
ENTRY_SCRIPT = re.compile(r'^File "[^"]*/bin/([\w.-]+)", line \d+, in <module>')
# `Step 3/6 : RUN x`, `=> ERROR [builder 5/7] RUN x   0.8s`, ` > [builder 5/7] RUN x:` (the `=>`/`>` stripped).
RUN_LINE = re.compile(r"^(?:Step \d+/\d+ : |(?:ERROR )?\[[^\]]*\] )RUN (.*?)(?::|\s+\d+(?:\.\d+)?s)?$")


def command_from(lines: list[str]) -> str | None:
    """The failing RUN command named in the region (a pasted excerpt without the failure marker)."""
    for line in reversed(lines):
        match = RUN_LINE.search(line.strip().lstrip("=>").strip())
        if match:
            return match.group(1)
    return None


def read(command: str | None, exit_code: int | None, lines: list[str]) -> Reading:
    """Score the categories from the command's families, the exit code and the evidence lines."""
    command = command or command_from(lines)
    families = tools_of(command) if command else []
    reading = Reading(command, families)
    last_seen: dict[str, int] = {}
    for number, line in enumerate(lines):
        source = number and TRACEBACK_FRAME.match(lines[number - 1]) and not TRACEBACK_FRAME.match(line)
        if NOT_OUTPUT.search(line) or source:
            continue
        warning = WARNING_LINE.search(line) is not None
        entry = ENTRY_SCRIPT.match(line) if reading.entry_script is None else None
        if entry and number and lines[number - 1].endswith("Traceback (most recent call last):"):
            reading.entry_script = entry.group(1)
        for kind, regex in EVIDENCE.items():
            if warning and kind in WARNING_SILENT:
                continue
            # The first line of each kind, but a specific line replaces a generic summary (`make: *** Error 1`).
            seen = reading.kinds.get(kind)
            if (seen is None or (SUMMARY_LINE.search(seen) and not SUMMARY_LINE.search(line))) and regex.search(line):
                reading.kinds[kind] = line
        for family, marker in MARKERS.items():
            if marker.search(line):
                last_seen[family] = number
    wrapped = command is not None and any(WRAPPERS.match(part.strip()) for part in SEPARATORS.split(command))
    # a script's (a make target's, a FROM's ONBUILD triggers') output shows its tools
    if not families or "script" in families or "dockerfile" in families or wrapped:
        families = families + [f for f in sorted(last_seen, key=last_seen.__getitem__) if f not in families]
    # The tool that printed last is the one that failed; the others ran before it, successfully.
    active = max((f for f in families if f in last_seen), key=last_seen.__getitem__, default=None)
    kinds = dict(reading.kinds)
    if exit_code in EXIT_CODES:
        kinds.setdefault(EXIT_CODES[exit_code][0], f"exit code {exit_code}")
    if "download" in families and exit_code in CURL_EXIT | WGET_EXIT and not {"cmd-missing", "permission"} & set(kinds):
        kinds.setdefault("network", f"exit code {exit_code}")
    scores: dict[str, float] = {}

    def add(category: str, value: float) -> None:
        scores[category] = max(scores.get(category, 0.0), round(value, 4))

    for kind in kinds:
        if kind in STRONG:
            add(UNIVERSAL[kind], 0.7 if exit_code in (137, None) or kind != "oom" else 0.62)
    if exit_code == 127:
        add("command-not-found", 0.7 if "cmd-missing" in kinds else 0.62)
    # A kind one of the command's own families reads (pip's `git: command not found` while building a package)
    # is that family's evidence, not the universal category.
    claimed = {k for f in families for k in FAMILY_TABLE.get(f, {})}
    for family in families:
        table = FAMILY_TABLE.get(family, {})
        matched = [table[k] for k in kinds if k in table]
        # npm prints the failure of the package scripts it runs (`npm run build`: npm ERR! ... ELIFECYCLE), so a
        # node-build family is not idle when npm printed last.
        running = family == active or (family == "node-build" and active == "npm")
        idle = -0.06 if active is not None and not running and len(families) > 1 else 0.0
        for category in matched:
            support = [k for k in kinds if table.get(k) == category]
            bonus = max(KIND_BONUS.get(k, 0.0) for k in support)
            add(category, min(0.58 + bonus + idle + 0.03 * (len(support) - 1), 0.7))
        for kind in kinds:
            if kind in UNIVERSAL and kind not in STRONG and kind not in claimed:
                node = kind == "font" and {"npm", "node-build"} & set(families)
                add(UNIVERSAL[kind], 0.6 if kind == "cmd-missing" or node else 0.5 if kind == "font" else 0.55)
        if not matched and "default" in table:
            add(table["default"], 0.42)
    if not families:
        for kind in kinds:
            if kind in UNIVERSAL and kind not in STRONG:
                add(UNIVERSAL[kind], 0.4)
    if (
        command
        and not reading.families
        and set(reading.kinds)
        and set(reading.kinds) <= {"script-message", "exception"}
    ):
        # A command of no known tool (the project's own CLI, `cfer version`) that printed its own error and
        # nothing more specific: as for a project script.
        add("script-error", 0.58 + KIND_BONUS["script-message"])
    reading.kinds = kinds
    # the families the output showed too (issue 12h: a pasted excerpt without its RUN line, a script's tools)
    reading.families = families
    reading.scores = scores
    return reading
