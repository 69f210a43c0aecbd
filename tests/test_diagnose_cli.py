"""`shipshape diagnose` through the real CLI: JSON contract and bad input (never a traceback)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[1]
CLI = str(REPO / ".venv" / "bin" / "shipshape")
FAILURE = (
    b"Step 3/6 : RUN npm ci\nnpm error code ETIMEDOUT\nThe command '/bin/sh -c npm ci' returned a non-zero code: 1\n"
)


def _run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([CLI, "diagnose", *args], input=stdin, capture_output=True, timeout=120, check=False)


def _doc(result: subprocess.CompletedProcess[bytes]) -> dict:  # type: ignore[type-arg]
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_json_contract(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    log.write_bytes(FAILURE)
    doc = _doc(_run(str(log), "--json"))
    assert doc["root_cause"] == "npm-network"
    assert doc["failed_step"] == "Step 3/6 : RUN npm ci" and doc["exit_code"] == 1
    finding = doc["findings"][0]
    for key in ("category", "signature", "line", "excerpt", "explanation", "fixes"):
        assert key in finding
    assert finding["fixes"][0]["id"] == "npm-retry-settings"


def test_stdin(tmp_path: Path) -> None:
    assert _doc(_run("-", "--json", stdin=FAILURE))["root_cause"] == "npm-network"


def test_empty_binary_and_invalid_utf8_logs_give_a_result(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    assert _doc(_run(str(empty), "--json"))["root_cause"] == "unknown"
    binary = tmp_path / "binary.log"
    binary.write_bytes(bytes(range(256)) * 4096 + b"\x00" * 100_000)
    assert _doc(_run(str(binary), "--json"))["root_cause"] == "unknown"
    mixed = tmp_path / "mixed.log"
    mixed.write_bytes(b"\xff\xfe\xc3(\n" * 1000 + FAILURE + b"\xed\xa0\x80\n")
    assert _doc(_run(str(mixed), "--json"))["root_cause"] == "npm-network"


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_missing_file_and_directory_are_one_line_errors(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "nope.log" if kind == "missing" else tmp_path
    result = _run(str(target))
    assert result.returncode == 1
    err = result.stderr.decode().strip()
    assert err.startswith("shipshape: error:") and len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_one_gigabyte_log(tmp_path: Path) -> None:
    """A sparse 1 GB file of NUL bytes (no newline at all) with the failure at its end."""
    big = tmp_path / "big.log"
    with open(big, "wb") as handle:
        handle.truncate(1024**3)
        handle.seek(1024**3)
        handle.write(b"\n" + FAILURE)
    doc = _doc(_run(str(big), "--json", "--no-record"))
    assert doc["root_cause"] == "npm-network"
    assert doc["bytes"] > 1024**3
