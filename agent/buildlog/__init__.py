"""Build-failure diagnosis: stream a build log, find what failed and why, and say what to do about it.

from agent.buildlog import diagnose_path
result = diagnose_path("build.log")
result.root_cause, result.failed_step, result.exit_code, result.findings
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import BinaryIO

from agent.buildlog.patterns import Knowledge, load_knowledge
from agent.buildlog.rootcause import Diagnosis, Finding, choose
from agent.buildlog.scanner import Scanner
from agent.errors import ShipshapeError

__all__ = ["Diagnosis", "Finding", "diagnose_bytes", "diagnose_path", "diagnose_stream", "scanner"]

_SCANNERS: dict[int, Scanner] = {}


def scanner(knowledge: Knowledge | None = None) -> Scanner:
    """A Scanner over the shipped knowledge (compiled once per process)."""
    knowledge = knowledge or load_knowledge()
    key = id(knowledge)
    if key not in _SCANNERS:
        _SCANNERS[key] = Scanner(knowledge)
    return _SCANNERS[key]


def diagnose_stream(stream: BinaryIO, knowledge: Knowledge | None = None) -> Diagnosis:
    """Diagnose a log read from a binary stream, in constant memory."""
    scan = scanner(knowledge)
    return choose(scan.scan(stream), scan.knowledge)


def diagnose_bytes(data: bytes | str, knowledge: Knowledge | None = None) -> Diagnosis:
    """Diagnose a log held in memory."""
    raw = data.encode("utf-8", errors="replace") if isinstance(data, str) else data
    return diagnose_stream(io.BytesIO(raw), knowledge)


def diagnose_path(path: Path | str, knowledge: Knowledge | None = None) -> Diagnosis:
    """Diagnose a log file; a missing file, a directory or an unreadable file is a ShipshapeError."""
    target = Path(path)
    try:
        info = target.stat()
    except FileNotFoundError:
        raise ShipshapeError(f"no such log file: {target}", code="not-found") from None
    except OSError as exc:
        raise ShipshapeError(f"cannot read {target}: {exc.strerror}", code="unreadable") from None
    if stat.S_ISDIR(info.st_mode):
        raise ShipshapeError(f"{target} is a directory, not a build log", "pass the log file itself", "bad-input")
    try:
        with open(target, "rb", buffering=0) as handle:
            if hasattr(os, "posix_fadvise") and stat.S_ISREG(info.st_mode):
                os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
            return diagnose_stream(handle, knowledge)
    except PermissionError:
        raise ShipshapeError(f"cannot read {target}: permission denied", code="unreadable") from None
    except IsADirectoryError:
        raise ShipshapeError(f"{target} is a directory, not a build log", code="bad-input") from None
