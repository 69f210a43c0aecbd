"""The build-failure workflow end to end through the real CLI, on copies of the real sample app:

- `shipshape chat "docker build fails with ETIMEDOUT" --yes` on an app with two faults. The developer's HTTPS proxy
  (tests/faultproxy.py, on loopback) drops every connection for 32 s and the app's .npmrc allows one retry: real
  npm fails with its own `npm error code ECONNRESET`; shipshape diagnoses npm-network and writes the retry settings
  with a backup. The rebuild, which starts inside the same outage, gets through `npm ci` only because of those
  settings, and then real `next build` fails on the app's `next/font/google` import with its own "Failed to fetch
  font `Inter`" (the host is unreachable here, as on any offline build machine); shipshape switches to the font in
  the repo, with a backup, and the third build succeeds. Memory learns that both fixes worked.

Passed only by the outcome: exit code, the rebuilt image, the files, and what memory learned. The work mostly waits
(the outage, npm's retries), so tests/suite_early.py starts it on a thread at the start of the session, with image
names of its own, and the test judges it at the end."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agent.memory.store import Store
from tests import suite_early
from tests.faultproxy import fault_proxy

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[1]
SHIPSHAPE = REPO / ".venv" / "bin" / "shipshape"
FILE = Path(__file__).name


def sample(dest: Path, prefix: str) -> Path:
    """examples/todo copied to `dest`, wired to the local cluster, its repositories renamed `<prefix>-frontend` /
    `<prefix>-backend` so that no other test's images are these (this one runs beside them)."""
    shutil.copytree(REPO / "examples" / "todo", dest, ignore=shutil.ignore_patterns("*.backup", "chart", "k8s"))
    config = (dest / "shipshape.toml").read_text().replace("../../.cluster", str(REPO / ".cluster"))
    config = re.sub(r'repository = "todo-(\w+)"', rf'repository = "{prefix}-\1"', config)
    (dest / "shipshape.toml").write_text(config)
    return dest


def chat(root: Path, report: str, env: dict[str, str]) -> tuple[int, dict, str]:
    proc = subprocess.run(
        [str(SHIPSHAPE), "chat", report, "--yes", "--brain", "rulebook", "--json"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else {}, proc.stderr


GOOGLE_LAYOUT = """import { Inter } from "next/font/google";

const inter = Inter({ subsets: ["latin"], display: "swap" });

export default function RootLayout({ children }) {
  return (
    <html lang="en" className={inter.className}>
      <body>{children}</body>
    </html>
  );
}
"""


@dataclass
class Outcome:
    root: Path
    prefix: str
    original_npmrc: str
    code: int
    doc: dict[str, Any]
    err: str
    resets: int
    tunnels: int


def outage_then_fonts(workdir: Path) -> Outcome:
    """The work: the app with both faults, one `shipshape chat ... --yes` through the outage. tests/suite_early.py
    runs this on a thread from the start of the session (it mostly waits); the test below judges it."""
    # The environment as it is now, at the start of the session: the tests running meanwhile change os.environ
    # (monkeypatch), and none of that is this developer's.
    env = dict(os.environ)
    prefix = f"c{uuid.uuid4().hex[:8]}"
    root = sample(workdir / "todo", prefix)
    npmrc = root / "frontend" / ".npmrc"
    # A line of its own makes the rebuild's `npm ci` layer new, so Docker's layer cache cannot stand in for npm
    # getting through the outage.
    original = f"# retries removed (run {uuid.uuid4().hex})\nfetch-retries=1\n"
    npmrc.write_text(original)
    (root / "frontend" / "app" / "layout.js").write_text(GOOGLE_LAYOUT)
    with fault_proxy() as proxy:
        proxy.arm(32)
        env.update(SHIPSHAPE_DB=str(root.parent / "memory.db"), HTTPS_PROXY=proxy.url, NO_PROXY="127.0.0.1,localhost")
        code, doc, err = chat(root, "docker build fails with ETIMEDOUT", env)
    return Outcome(root, prefix, original, code, doc, err, proxy.resets, proxy.tunnels)


@pytest.fixture
def outcome(host_docker: str, node_docker: str, tmp_path: Path) -> Iterator[Outcome]:
    made: Outcome = suite_early.result(FILE) if suite_early.started(FILE) is not None else outage_then_fonts(tmp_path)
    yield made
    for host in (host_docker, node_docker):
        listed = subprocess.run(
            ["docker", "-H", host, "images", "--format", "{{.Repository}}:{{.Tag}}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        mine = [ref for ref in listed if ref.startswith(made.prefix)]
        if mine:
            subprocess.run(["docker", "-H", host, "rmi", "-f", *mine], capture_output=True, check=False)


def test_npm_etimedout_then_google_fonts_diagnosed_fixed_and_rebuilt(outcome: Outcome) -> None:
    root, code, doc, err = outcome.root, outcome.code, outcome.doc, outcome.err
    npmrc = root / "frontend" / ".npmrc"
    layout = root / "frontend" / "app" / "layout.js"
    db = root.parent / "memory.db"
    original = outcome.original_npmrc
    assert code == 0, err
    assert outcome.resets > 0 and outcome.tunnels > 0  # the outage happened, and npm got through it after the fix
    assert doc["ok"] is True and doc["model_calls"] == 0
    tools = [s["tool"] for s in doc["steps"]]
    fixing = ["detect_build_failures", "suggest_dockerfile_fixes", "apply_fix", "build_and_load_images"]
    assert tools == ["build_and_load_images", *fixing, *fixing], tools
    store = Store(db)
    failures = store.rows("SELECT category, excerpt FROM failures ORDER BY id")
    assert [f["category"] for f in failures] == ["npm-network", "next-font-fetch"]
    assert "npm error code ECONNRESET" in failures[0]["excerpt"]  # npm's own words
    assert "Failed to fetch font `Inter`" in failures[1]["excerpt"]  # next's own words, once npm got through
    outcomes = store.rows("SELECT fix_id, outcome FROM fix_attempts ORDER BY id")
    assert outcomes == [
        {"fix_id": "npm-retry-settings", "outcome": "success"},
        {"fix_id": "next-font-local", "outcome": "success"},
    ]
    text = npmrc.read_text()
    assert "fetch-retries=" in text and "fetch-retry-maxtimeout=" in text
    assert (root / "frontend" / ".npmrc.backup").read_text() == original
    lines = layout.read_text().splitlines()
    assert not any(line.strip().startswith("import") and "next/font/google" in line for line in lines)
    assert any("next/font/local" in line for line in lines) or any("system-ui" in line for line in lines)
    assert (root / "frontend" / "app" / "layout.js.backup").read_text() == GOOGLE_LAYOUT
    # undo brings the broken file back, as the user had it
    undo = subprocess.run(
        [str(SHIPSHAPE), "undo", str(npmrc)],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "SHIPSHAPE_DB": str(db)},
    )
    assert undo.returncode == 0, undo.stderr
    assert npmrc.read_text() == original
