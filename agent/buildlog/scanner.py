"""Streaming scan of a build log: constant memory, large byte chunks, one linear-time multi-pattern search.

All prefilters (the patterns' literals and the build-structure markers) are joined into one google-re2 regex
and run over 4 MB chunks of raw bytes. Only the lines that hit are decoded, cleaned (ANSI, \\r, BuildKit
prefixes) and matched against the precise Python regexes. Hits are kept per build step with caps, so memory
does not grow with the log.
"""

from __future__ import annotations

import builtins
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import BinaryIO

import re2

from agent.buildlog.clean import buildkit_step, segments
from agent.buildlog.patterns import Knowledge, Pattern

CHUNK = 4 * 1024 * 1024
MAX_LINE = 1024 * 1024  # a "line" longer than this (binary garbage) is cut
HITS_PER_STEP = 200
STEPS_KEPT = 64
MAX_HEADERS = 4096
TAIL = 64 * 1024

# Build structure: which step runs, and which one failed with what exit code.
STRUCTURE_PREFILTERS = (
    # (issue 12m: also the Docker before 1.13 form, `Step 2 : ADD ...`, without the step count)
    r"(?m)^Step [0-9]+(?:/[0-9]+)? : ",
    r"(?m)^#[0-9]+ \[",
    r"(?m)^#[0-9]+ ERROR",
    re2.escape("returned a non-zero code"),
    re2.escape("executor failed running"),
    re2.escape("did not complete successfully"),
    re2.escape("ERROR ["),
    re2.escape("failed to solve"),
)
CLASSIC_STEP = re.compile(r"^Step (\d+)(?:/(\d+))? : (.*)")
BUILDKIT_HEADER = re.compile(r"^\[([^\]]+)\] (.*)")
NONZERO = re.compile(r"The command '(?:/bin/sh -c )?(.*)' returned a non-zero code: (\d+)")
EXECUTOR = re.compile(r"executor failed running \[(?:/bin/sh -c )?(.*?)\]: (?:exit code: (\d+)|.*exit status (\d+))?")
PROCESS = re.compile(r'process "(?:/bin/sh -c )?(.*)" did not complete successfully: exit code: (\d+)')
BUILDKIT_ERROR_STEP = re.compile(r"^ERROR \[([^\]]+)\] (.*?):?$")


@dataclass
class Hit:
    """A precise pattern match on one line."""

    line: int
    pattern: Pattern
    text: str
    step: str | None


@dataclass
class Failure:
    """A build-structure line saying that a step failed."""

    line: int
    step: str | None
    command: str
    exit_code: int | None


@dataclass
class ScanResult:
    """What the scan kept: hits per step (bounded), step headers, failure markers, sizes."""

    hits: OrderedDict[str | None, list[Hit]] = field(default_factory=OrderedDict)
    headers: OrderedDict[str, tuple[int, str]] = field(default_factory=OrderedDict)
    failures: list[Failure] = field(default_factory=list)
    pattern_counts: dict[str, int] = field(default_factory=dict)
    lines: int = 0
    bytes: int = 0
    binary_lines: int = 0
    last_classic_step: str | None = None
    # The last bytes of the log: an unknown failure is described by its last lines before the failure marker.
    tail: builtins.bytes = b""  # (the field `bytes` above shadows the type in this class body)
    tail_first_line: int = 1

    def all_hits(self) -> list[Hit]:
        return sorted((h for hits in self.hits.values() for h in hits), key=lambda h: h.line)


def _prefilter_regex(knowledge: Knowledge) -> re2._Regexp:
    parts = [re2.escape(lit) for lit in knowledge.prefilter_literals()]
    parts.extend(STRUCTURE_PREFILTERS)
    return re2.compile("|".join(f"(?:{p})" for p in parts).encode())


class Scanner:
    """Scans one log; reusable across logs (the compiled regex is the expensive part)."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge
        self.prefilter = _prefilter_regex(knowledge)
        # Only the patterns whose literal occurs in the cleaned line are tried with their (slower) Python regex.
        self._gated = [(p, p.required) for p in knowledge.patterns]

    def scan(self, stream: BinaryIO) -> ScanResult:
        """Read `stream` to its end in chunks and return what it shows."""
        result = ScanResult()
        leftover = b""
        line_no = 0  # number of newlines before the current chunk
        while True:
            data = stream.read(CHUNK)
            eof = not data
            buf = leftover + data if leftover else data
            if not buf:
                break
            result.bytes += len(data)
            if eof:
                end = len(buf)
            else:
                cut = buf.rfind(b"\n")
                if cut < 0 and len(buf) < MAX_LINE:
                    leftover = buf
                    continue
                end = cut + 1 if cut >= 0 else len(buf)
            line_no = self._scan_block(buf, end, line_no, result)
            self._keep_tail(buf, end, line_no, result)
            leftover = buf[end:]
            if eof:
                break
        result.lines = line_no + (1 if leftover else 0)
        return result

    def _scan_block(self, buf: bytes, end: int, line_no: int, result: ScanResult) -> int:
        """Scan buf[:end] (whole lines); return the newline count so far."""
        pos = 0
        counted = 0  # buf offset up to which newlines are counted into line_no
        # One finditer call per chunk: the re2 wrapper copies its input on every call, so a search() per hit
        # would cost O(chunk) each time.
        for match in self.prefilter.finditer(buf, 0, end):
            start = match.start()
            if start < pos:
                continue  # another hit on a line already looked at
            line_start = max(buf.rfind(b"\n", pos, start) + 1, pos)
            line_end = buf.find(b"\n", start, end)
            if line_end < 0:
                line_end = end
            line_no += buf.count(b"\n", counted, line_start)
            counted = line_start
            raw = buf[line_start:line_end]
            if len(raw) > MAX_LINE:
                result.binary_lines += 1
                raw = raw[max(0, start - line_start - 4096) : start - line_start + 4096]
            self._line(line_no + 1, raw, result)
            pos = line_end + 1
        line_no += buf.count(b"\n", counted, end)
        return line_no

    def _line(self, number: int, raw: bytes, result: ScanResult) -> None:
        for text in segments(raw):
            key, body = buildkit_step(text)
            if key is None:
                key = result.last_classic_step
            self._structure(number, key, body, result)
            for pattern, literals in self._gated:
                if not any(lit in body for lit in literals):
                    continue
                if pattern.regex.search(body):
                    result.pattern_counts[pattern.id] = result.pattern_counts.get(pattern.id, 0) + 1
                    self._keep(Hit(number, pattern, body, key), result)

    def _structure(self, number: int, key: str | None, body: str, result: ScanResult) -> None:
        classic = CLASSIC_STEP.match(body)
        if classic:
            name = f"step-{classic.group(1)}"
            result.last_classic_step = name
            result.headers[name] = (number, body)
            result.headers.move_to_end(name)
            while len(result.headers) > MAX_HEADERS:
                result.headers.popitem(last=False)
            return
        if key is not None and key.isdigit() and BUILDKIT_HEADER.match(body) and not body.startswith("[internal]"):
            result.headers.setdefault(key, (number, body))
        for rx in (NONZERO, EXECUTOR, PROCESS):
            failed = rx.search(body)
            if failed:
                codes = [g for g in failed.groups()[1:] if g]
                code = int(codes[0]) if codes else None
                step: str | None = key if key is not None and key.isdigit() else result.last_classic_step
                if rx is not NONZERO and (key is None or not key.isdigit()):
                    step = self._step_by_command(failed.group(1), result) or step
                result.failures.append(Failure(number, step, failed.group(1).strip(), code))
                del result.failures[:-16]
                return
        bk_error = BUILDKIT_ERROR_STEP.match(body)
        if bk_error:
            wanted = f"[{bk_error.group(1)}] {bk_error.group(2)}"
            named = next((k for k, (_, text) in result.headers.items() if text == wanted), None)
            result.failures.append(Failure(number, named, bk_error.group(2), None))
            del result.failures[:-16]

    @staticmethod
    def _keep_tail(buf: bytes, end: int, newlines: int, result: ScanResult) -> None:
        """Keep the log's last TAIL bytes (whole lines) and the number of their first line."""
        piece = buf[max(0, end - TAIL) : end]
        if len(piece) < TAIL:
            piece = result.tail + piece
        if len(piece) > TAIL:
            piece = piece[-TAIL:]
            cut = piece.find(b"\n")
            piece = piece[cut + 1 :] if cut >= 0 else piece
        result.tail = piece
        result.tail_first_line = newlines - piece.count(b"\n") + 1

    @staticmethod
    def _step_by_command(command: str, result: ScanResult) -> str | None:
        for key, (_, text) in reversed(result.headers.items()):
            if command and command in text:
                return key
        return None

    @staticmethod
    def _keep(hit: Hit, result: ScanResult) -> None:
        bucket = result.hits.get(hit.step)
        if bucket is None:
            bucket = result.hits[hit.step] = []
            while len(result.hits) > STEPS_KEPT:
                result.hits.popitem(last=False)
        if len(bucket) < HITS_PER_STEP:
            bucket.append(hit)
