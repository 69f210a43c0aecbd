"""Edits to the project's files: confined to the project, atomic, journalled with their exact bytes, undoable.

An edit, in this order: (1) journals the exact bytes it is about to replace, with their SHA-256 and the hash of
the new content, as a 'pending' row of the memory database's `edits` table, scoped to the project; (2) writes
`<file>.backup` beside the file (the content before this edit; a stale backup is replaced, never restored);
(3) replaces the file through a temporary file in the same directory, fsync and `os.replace`, so a crash leaves
either the old or the new file, never half of one; (4) marks the row 'applied'. A process killed between (1)
and (4) leaves a 'pending' row: the next editor of that project compares the file's hash with the two hashes
and records which one is on disk ('applied' or 'interrupted').

Undo restores the journalled bytes of the newest applied edit of the current project (not the `.backup` file),
and refuses when the file has changed since that edit, unless forced.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from agent.errors import ShipshapeError

BACKUP_SUFFIX = ".backup"


@dataclass(frozen=True)
class EditResult:
    path: Path
    changed: bool
    diff: str
    backup: Path | None
    edit_id: int | None = None


def sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


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
    # The writer's pid in the name: what a killed process leaves behind can be told from a live one's file.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
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


class EditJournal(Protocol):
    """Where edits are journalled with their exact bytes (the memory Store is one): the editor writes files, the
    journal remembers them, and the engine needs to know no more of memory than this."""

    def begin_edit(
        self,
        *,
        project: str,
        path: str,
        backup_path: str,
        before: bytes | None,
        before_sha256: str | None,
        after_sha256: str,
        reason: str,
        diff: str,
    ) -> int: ...

    def set_edit_state(self, edit_id: int, state: str) -> None: ...

    def edits(self, project: str, *, states: tuple[str, ...] = (), path: str | None = None) -> list[dict[str, Any]]: ...

    def last_edit(self, project: str, path: str | None = None) -> dict[str, Any] | None: ...


class FileEditor:
    """Edits confined to `root`, recorded in an edit journal (the memory store's `edits` table)."""

    def __init__(self, root: Path, journal: EditJournal | None = None) -> None:
        self.root = root.resolve()
        self._journal = journal

    def confine(self, path: Path | str) -> Path:
        """The absolute path (symlinks resolved), or an error if it leaves the project."""
        return confine(path, [self.root], what=f"the project {self.root}")

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
        """Journal, back up, then atomically replace the file with `new_text`. No change, no backup, no row."""
        target = self.confine(path)
        existed = target.exists()
        before = target.read_bytes() if existed else None
        old = before.decode("utf-8") if before is not None else ""
        if existed and old == new_text:
            return EditResult(target, False, "", None)
        if existed and not target.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            raise ShipshapeError(
                f"refusing to edit {self._rel(target)}: the file is read-only",
                f"make it writable (chmod u+w {target}) if shipshape may change it",
                code="read-only",
            )
        diff = unified_diff(old, new_text, self._rel(target))
        after = new_text.encode("utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        self.reconcile()
        backup = target.with_name(target.name + BACKUP_SUFFIX)
        absent = target.with_name(target.name + BACKUP_SUFFIX + ".absent")
        edit_id = None
        if self._journal is not None:
            edit_id = self._journal.begin_edit(
                project=str(self.root),
                path=str(target),
                backup_path=str(backup if existed else absent),
                before=before,
                before_sha256=sha256(before),
                after_sha256=str(sha256(after)),
                reason=reason,
                diff=diff,
            )
        # The .backup beside the file always holds the content before the newest edit (a stale one is replaced).
        if before is not None:
            atomic_write(backup, before)
            absent.unlink(missing_ok=True)
        else:
            # A file the edit creates: the marker says that undo means "remove it".
            atomic_write(absent, b"")
            backup.unlink(missing_ok=True)
        try:
            atomic_write(target, after)
        except BaseException:
            if self._journal is not None and edit_id is not None:
                self._journal.set_edit_state(edit_id, "interrupted")  # the replace is atomic: the old file is there
            raise
        if self._journal is not None and edit_id is not None:
            self._journal.set_edit_state(edit_id, "applied")
        return EditResult(target, True, diff, backup if existed else absent, edit_id)

    def reconcile(self) -> list[dict[str, Any]]:
        """Settle the journal rows a killed process left 'pending' (or 'undoing'): which content is on disk?
        Returns the rows it settled, with their new state."""
        if self._journal is None:
            return []
        settled = []
        for row in self._journal.edits(str(self.root), states=("pending", "undoing")):
            if row["pid"] is not None and _alive(int(row["pid"])):
                continue  # another process (or thread) is in the middle of it
            _remove_temporary_files(Path(row["path"]), int(row["pid"] or 0))
            current = Path(row["path"]).read_bytes() if Path(row["path"]).exists() else None
            on_disk = sha256(current)
            before = row["before_sha256"] if row["before_existed"] else None
            if row["state"] == "pending":
                state = "applied" if on_disk == row["after_sha256"] else "interrupted"
            else:
                state = "undone" if on_disk == before else "applied"
            self._journal.set_edit_state(int(row["id"]), state)
            settled.append({**row, "state": state})
        return settled

    def journal(self) -> list[dict[str, Any]]:
        """The project's edits, newest first, without the stored bytes."""
        self.reconcile()
        if self._journal is None:
            return []
        return [{k: v for k, v in row.items() if k != "before"} for row in self._journal.edits(str(self.root))]

    def undo(self, path: Path | str | None = None, *, force: bool = False) -> EditResult:
        """Restore the bytes the newest applied edit of `path` (or of the project) replaced.

        Refuses when the file has changed since that edit (someone edited it after shipshape did), unless
        `force`. Only edits of this project are considered."""
        target: Path | None = self.confine(path) if path is not None else None
        if self._journal is None:
            raise ShipshapeError("nothing to undo: no memory database to read the journal from", code="nothing-to-undo")
        self.reconcile()
        entry = self._journal.last_edit(str(self.root), str(target) if target else None)
        if entry is None:
            where = self._rel(target) if target else f"the project {self.root}"
            raise ShipshapeError(f"nothing to undo for {where}: no edit is recorded", code="nothing-to-undo")
        target = Path(entry["path"])
        if entry["before_existed"] is None:
            raise ShipshapeError(
                f"edit #{entry['id']} of {self._rel(target)} was recorded before shipshape kept the replaced bytes",
                f"compare {target.name}{BACKUP_SUFFIX} with the file and restore it by hand if it is right",
                code="no-journal",
            )
        current = target.read_bytes() if target.exists() else None
        if sha256(current) != entry["after_sha256"] and not force:
            raise ShipshapeError(
                f"{self._rel(target)} has changed since shipshape edited it (edit #{entry['id']}, "
                f"{entry['created_at']}); undo would throw those changes away",
                "check the file; run 'shipshape undo --force' to restore the old content anyway",
                code="changed-since",
            )
        before: bytes | None = entry["before"] if entry["before_existed"] else None
        self._journal.set_edit_state(int(entry["id"]), "undoing")
        if before is None:
            target.unlink(missing_ok=True)
        else:
            atomic_write(target, bytes(before))  # bytes: line endings come back exactly as they were
        self._journal.set_edit_state(int(entry["id"]), "undone")
        self._refresh_backup(target)
        old_text = current.decode("utf-8", errors="replace") if current is not None else ""
        new_text = bytes(before).decode("utf-8", errors="replace") if before is not None else ""
        return EditResult(target, True, unified_diff(old_text, new_text, self._rel(target)), None, int(entry["id"]))

    def _refresh_backup(self, target: Path) -> None:
        """After an undo the .backup beside the file matches the newest edit still applied, or goes."""
        assert self._journal is not None
        backup = target.with_name(target.name + BACKUP_SUFFIX)
        absent = target.with_name(target.name + BACKUP_SUFFIX + ".absent")
        earlier = self._journal.last_edit(str(self.root), str(target))
        backup.unlink(missing_ok=True)
        absent.unlink(missing_ok=True)
        if earlier is not None and earlier["before_existed"] == 1:
            atomic_write(backup, bytes(earlier["before"]))
        elif earlier is not None and earlier["before_existed"] == 0:
            atomic_write(absent, b"")

    def _rel(self, target: Path) -> str:
        try:
            return str(target.relative_to(self.root))
        except ValueError:
            return str(target)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_temporary_files(target: Path, pid: int) -> None:
    """The temporary files a killed writer left beside the file and its backup (never a live writer's)."""
    if pid <= 0 or not target.parent.is_dir():
        return
    for name in (target.name, target.name + BACKUP_SUFFIX, target.name + BACKUP_SUFFIX + ".absent"):
        for leftover in target.parent.glob(f".{name}.{pid}.*.tmp"):
            leftover.unlink(missing_ok=True)


def confine(path: Path | str, roots: list[Path], *, what: str, base: Path | None = None) -> Path:
    """`path` resolved (relative to `base`, else the first root; symlinks followed) if it lies inside one of
    `roots`, else a ShipshapeError (code path-denied). Checked before anything is read or written."""
    candidate = Path(path).expanduser()
    if not candidate.is_absolute():
        candidate = (base or roots[0]) / candidate
    resolved = candidate.resolve()
    for root in roots:
        root = root.resolve()
        if resolved == root or root in resolved.parents:
            return resolved
    raise ShipshapeError(f"refusing to touch {resolved}: it is outside {what}", code="path-denied")
