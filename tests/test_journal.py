"""Edits as a journal: the exact bytes come back, a stale .backup is never restored, undo stays inside the
current project, a file changed since the edit is left alone unless --force, a read-only file is not edited."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from agent.engines.files import FileEditor
from agent.errors import ShipshapeError
from agent.memory.store import Store

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[1]
SHIPSHAPE = str(REPO / ".venv" / "bin" / "shipshape")


def project(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "Dockerfile").write_text("FROM scratch\n")
    (root / "shipshape.toml").write_text('[[images]]\nname = "app"\ncontext = "app"\nbudget = "10MB"\n')
    return root


def shipshape(*args: str, cwd: Path, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SHIPSHAPE_DB": str(db)}
    return subprocess.run([SHIPSHAPE, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60)


def test_a_stale_backup_is_never_restored(tmp_path: Path, store: Store) -> None:
    """Before: the edit kept the stale .backup, and undo 'restored' it over the real file."""
    root = project(tmp_path / "p")
    npmrc = root / "app" / ".npmrc"
    npmrc.write_text("registry=https://npm.internal.example/\n")
    (root / "app" / ".npmrc.backup").write_text("stale content from last month\n")
    FileEditor(root, store).write(npmrc, "registry=https://npm.internal.example/\nfetch-retries=5\n", "retries")
    result = shipshape("undo", "--last", "--json", cwd=root, db=store.path)
    assert result.returncode == 0, result.stderr
    assert npmrc.read_text() == "registry=https://npm.internal.example/\n"


def test_undo_last_does_not_cross_projects(tmp_path: Path, store: Store) -> None:
    """Before: with one per-user database, `undo --last` in project B restored project A's file."""
    a, b = project(tmp_path / "a"), project(tmp_path / "b")
    schema = a / "app" / "schema.prisma"
    schema.write_text("original A\n")
    FileEditor(a, store).write(schema, "edited A\n", "fix")
    in_b = shipshape("undo", "--last", cwd=b, db=store.path)
    assert in_b.returncode == 1 and "nothing to undo" in in_b.stderr
    assert schema.read_text() == "edited A\n"
    in_a = shipshape("undo", "--last", cwd=a, db=store.path)
    assert in_a.returncode == 0, in_a.stderr
    assert schema.read_text() == "original A\n"


def test_a_file_changed_since_the_edit_is_kept_unless_forced(tmp_path: Path, store: Store) -> None:
    root = project(tmp_path / "p")
    dockerfile = root / "app" / "Dockerfile"
    editor = FileEditor(root, store)
    editor.write(dockerfile, "FROM scratch\nCOPY . /\n", "copy")
    dockerfile.write_text("FROM scratch\nCOPY . /\n# my own change\n")
    refused = shipshape("undo", "--last", "--json", cwd=root, db=store.path)
    assert refused.returncode == 1 and json.loads(refused.stdout)["code"] == "changed-since"
    assert "--force" in refused.stderr and "# my own change" in dockerfile.read_text()
    forced = shipshape("undo", "--last", "--force", cwd=root, db=store.path)
    assert forced.returncode == 0, forced.stderr
    assert dockerfile.read_text() == "FROM scratch\n"


def test_exact_bytes_come_back_and_each_undo_steps_back_one_edit(tmp_path: Path, store: Store) -> None:
    root = project(tmp_path / "p")
    target = root / "app" / "schema.prisma"
    original = b'generator client {\r\n  provider = "prisma-client-js"\r\n}\r\n\xc3\xa9\r\n'
    target.write_bytes(original)
    editor = FileEditor(root, store)
    editor.write(target, original.decode().replace("}", '  binaryTargets = ["native"]\r\n}'), "one")
    editor.write(target, "rewritten\n", "two")
    editor.undo()
    assert "binaryTargets" in target.read_text()
    editor.undo()
    assert target.read_bytes() == original
    with pytest.raises(ShipshapeError, match="nothing to undo"):
        editor.undo()
    listed = shipshape("undo", "--list", "--json", cwd=root, db=store.path)
    assert [e["state"] for e in json.loads(listed.stdout)["edits"]] == ["undone", "undone"]


def test_a_read_only_file_is_not_overwritten(tmp_path: Path, store: Store) -> None:
    """Before: os.replace swapped a read-only schema.prisma for the edited one."""
    root = project(tmp_path / "p")
    schema = root / "app" / "schema.prisma"
    schema.write_text('generator client {\n  provider = "prisma-client-js"\n}\n')
    schema.chmod(0o444)
    with pytest.raises(ShipshapeError, match="read-only") as raised:
        FileEditor(root, store).write(schema, "changed\n", "fix")
    assert raised.value.code == "read-only"
    assert "changed" not in schema.read_text() and not (root / "app" / "schema.prisma.backup").exists()
