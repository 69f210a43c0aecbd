"""Turning one raw log line (bytes, maybe coloured, maybe a \\r progress line, maybe garbage) into text."""

from __future__ import annotations

import re

# CSI sequences (colours, cursor moves), OSC titles, and the bare "[91m" left when a log lost its ESC bytes.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\[[0-9;]{1,12}m")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# BuildKit plain progress: "#12 3.456 text" (or "#12 text" for status lines).
_BUILDKIT = re.compile(r"^#(\d+) (?:\d+\.\d+ )?")
# BuildKit's error summary (and `docker build` without --progress=plain) prints the step's output behind only its
# timestamp: "12.345 text", no "#N".
_TIMESTAMP = re.compile(r"^\d{1,6}\.\d{1,3} ")
# A log pasted into an issue thread often keeps the inline-code backticks around its first or last line
# ("`Step 2/10 : COPY x .", "...: no such file or directory`"): one backtick opening or closing the line, where the
# line's backticks do not pair up (a `date` substitution inside a command line does, and stays).
_OPEN_TICK = re.compile(r"^`(?!`)")
_CLOSE_TICK = re.compile(r"(?<!`)`$")
# docker-compose v1 puts the daemon's message behind its own words: "ERROR: Service 'web' failed to build: <message>"
# (older releases with a space before the colon); the message is what the log says.
_COMPOSE_V1 = re.compile(r"^ERROR: Service '[^']*' failed to build ?: (?=\S)")

MAX_DECODE = 16 * 1024


def decode(raw: bytes) -> str:
    """Bytes to text: invalid UTF-8 becomes U+FFFD, very long lines (binary garbage) are cut."""
    if len(raw) > MAX_DECODE:
        raw = raw[:MAX_DECODE]
    return raw.decode("utf-8", errors="replace")


def segments(raw: bytes) -> list[str]:
    """The visible pieces of a raw line: split at carriage returns (progress bars redraw with \\r)."""
    text = decode(raw).rstrip("\r\n")
    parts = text.split("\r") if "\r" in text else [text]
    return [p for p in (strip(part) for part in parts) if p.strip()]


def strip(text: str) -> str:
    """Remove colour codes and control characters, a pasted line's unpaired inline-code backtick at either end, and
    docker-compose v1's "ERROR: Service 'x' failed to build: " before the daemon's message."""
    text = _CONTROL.sub("", _ANSI.sub("", text)).rstrip()
    if "`" in text:
        text = unquote(text)
    if text.startswith("ERROR: Service '"):
        text = _COMPOSE_V1.sub("", text, count=1)
    return text


def unquote(text: str) -> str:
    """The line without the inline-code backtick a paste left at its start or end: with an odd number of backticks,
    the unpaired one at an end; with exactly two, one at each end (the whole line quoted). Fences (```) stay."""
    ticks = text.count("`")
    opens, closes = _OPEN_TICK.search(text) is not None, _CLOSE_TICK.search(text) is not None
    if ticks == 2 and opens and closes and len(text) > 2:
        return text[1:-1]
    if ticks % 2 == 1:
        if opens:
            return text[1:]
        if closes:
            return text[:-1].rstrip()
    return text


def buildkit_step(text: str) -> tuple[str | None, str]:
    """('12', rest) for a BuildKit progress line "#12 0.345 rest", (None, rest) for a summary line "0.345 rest",
    else (None, text)."""
    match = _BUILDKIT.match(text)
    if match is None:
        stamp = _TIMESTAMP.match(text)
        return None, text[stamp.end() :] if stamp else text
    return match.group(1), text[match.end() :]
