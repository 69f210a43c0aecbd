"""The build-failure workflow end to end through the real CLI, on copies of the real sample app:

- `shipshape chat "docker build fails with ETIMEDOUT" --yes` on an app with two faults. The developer's HTTPS proxy
  (tests/faultproxy.py, on loopback) drops every connection for 32 s and the app's .npmrc allows one retry: real
  npm fails with its own `npm error code ECONNRESET`; shipshape diagnoses npm-network and writes the retry settings
  with a backup. The rebuild, which starts inside the same outage, gets through `npm ci` only because of those
  settings, and then real `next build` fails on the app's `next/font/google` import with its own "Failed to fetch
  font `Inter`" (the host is unreachable here, as on any offline build machine); shipshape switches to the font in
  the repo, with a backup, and the third build succeeds. Memory learns that both fixes worked.

Passed only by the outcome: exit code, the rebuilt image, the files, and what memory learned."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from agent.memory.store import Store
from tests.faultproxy import fault_proxy

pytestmark = pytest.mark.docker
REPO = Path(__file__).resolve().parents[1]
SHIPSHAPE = REPO / ".venv" / "bin" / "shipshape"


def sample(tmp_path: Path) -> Path:
    root = tmp_path / "todo"
    shutil.copytree(REPO / "examples" / "todo", root, ignore=shutil.ignore_patterns("*.backup", "chart", "k8s"))
    config = (root / "shipshape.toml").read_text().replace("../../.cluster", str(REPO / ".cluster"))
    (root / "shipshape.toml").write_text(config)
    return root


def chat(root: Path, report: str, db: Path, **env_extra: str) -> tuple[int, dict, str]:
    env = {**os.environ, "SHIPSHAPE_DB": str(db), **env_extra}
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


def test_npm_etimedout_then_google_fonts_diagnosed_fixed_and_rebuilt(
    tmp_path: Path, host_docker: str, node_docker: str
) -> None:
    root = sample(tmp_path)
    npmrc = root / "frontend" / ".npmrc"
    layout = root / "frontend" / "app" / "layout.js"
    # A line of its own makes the rebuild's `npm ci` layer new, so Docker's layer cache cannot stand in for npm
    # getting through the outage.
    original = f"# retries removed (run {uuid.uuid4().hex})\nfetch-retries=1\n"
    npmrc.write_text(original)
    layout.write_text(GOOGLE_LAYOUT)
    db = tmp_path / "memory.db"
    with fault_proxy() as proxy:
        proxy.arm(32)
        code, doc, err = chat(
            root, "docker build fails with ETIMEDOUT", db, HTTPS_PROXY=proxy.url, NO_PROXY="127.0.0.1,localhost"
        )
    assert code == 0, err
    assert proxy.resets > 0 and proxy.tunnels > 0  # the outage happened, and npm got through it after the fix
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
