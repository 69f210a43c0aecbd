"""Edits to the project's files: confined to the project, atomic, backed up first, journalled, undoable.

An edit writes `<file>.backup` (the content before the edit; an existing backup from an earlier edit is kept,
so the backup always holds the user's original), then replaces the file through a temporary file in the same
directory and `os.replace`, so a crash leaves either the old or the new file, never half of one.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import ShipshapeError

if TYPE_CHECKING:
    from agent.memory.store import Store

BACKUP_SUFFIX = ".backup"


@dataclass(frozen=True)
class EditResult:
    path: Path
    changed: bool
    diff: str
    backup: Path | None


def unified_diff(old: str, new: str, path: str) -> str:
    return "".join(
        difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{path}", f"b/{path}")
    )


def _read_exact(path: Path) -> str:
    """The file's text with its line endings as they are (read_text would turn CRLF into LF)."""
    return path.read_bytes().decode("utf-8")


def atomic_write(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` in one step, keeping the file's mode."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FileEditor:
    """Edits confined to `root`, recorded in the store's `edits` journal."""

    def __init__(self, root: Path, store: Store | None = None) -> None:
        self.root = root.resolve()
        self.store = store

    def confine(self, path: Path | str) -> Path:
        """The absolute path, or an error if it leaves the project."""
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        resolved = candidate.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise ShipshapeError(
                f"refusing to touch {resolved}: it is outside the project {self.root}", code="path-denied"
            )
        return resolved

    def read(self, path: Path | str) -> str:
        target = self.confine(path)
        try:
            return _read_exact(target)
        except FileNotFoundError:
            raise ShipshapeError(f"{target} does not exist") from None
        except UnicodeDecodeError:
            raise ShipshapeError(f"{target} is not UTF-8 text; shipshape edits text files only") from None

    def preview(self, path: Path | str, new_text: str) -> str:
        target = self.confine(path)
        old = _read_exact(target) if target.exists() else ""
        return unified_diff(old, new_text, self._rel(target))

    def write(self, path: Path | str, new_text: str, reason: str) -> EditResult:
        """Back up, then atomically replace the file with `new_text`. No change, no backup, no journal row."""
        target = self.confine(path)
        existed = target.exists()
        old = _read_exact(target) if existed else ""
        if existed and old == new_text:
            return EditResult(target, False, "", None)
        diff = unified_diff(old, new_text, self._rel(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        backup = target.with_name(target.name + BACKUP_SUFFIX)
        if existed and not backup.exists():
            atomic_write(backup, target.read_bytes())
        elif not existed:
            # A file the edit creates: the journal remembers that undo means "remove it".
            backup = target.with_name(target.name + BACKUP_SUFFIX + ".absent")
            atomic_write(backup, b"")
        atomic_write(target, new_text)
        if self.store is not None:
            self.store.record_edit(str(target), str(backup), reason, diff)
        return EditResult(target, True, diff, backup)

    def undo(self, path: Path | str | None = None) -> EditResult:
        """Restore the backup of `path` (or of the last edit) and remove the backup."""
        target: Path | None = self.confine(path) if path is not None else None
        entry = self.store.last_edit(str(target) if target else None) if self.store else None
        if target is None:
            if entry is None:
                raise ShipshapeError("nothing to undo: no edit is recorded", code="nothing-to-undo")
            target = Path(entry["path"])
        backup = target.with_name(target.name + BACKUP_SUFFIX)
        absent = target.with_name(target.name + BACKUP_SUFFIX + ".absent")
        current = _read_exact(target) if target.exists() else ""
        if backup.exists():
            raw = backup.read_bytes()
            original = raw.decode("utf-8", errors="replace")
            atomic_write(target, raw)  # bytes: line endings come back exactly as they were
            backup.unlink()
        elif absent.exists():
            original = ""
            target.unlink(missing_ok=True)
            absent.unlink()
        else:
            raise ShipshapeError(f"nothing to undo for {target}: no {backup.name} next to it", code="nothing-to-undo")
        if self.store is not None:
            self.store.db.execute("UPDATE edits SET undone = 1 WHERE path = ? AND undone = 0", [str(target)])
            self.store.db.conn.commit()
        return EditResult(target, True, unified_diff(current, original, self._rel(target)), None)

    def _rel(self, target: Path) -> str:
        try:
            return str(target.relative_to(self.root))
        except ValueError:
            return str(target)
