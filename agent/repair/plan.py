"""A repair plan: the concrete file edits of one fix (previewed as unified diffs), or a precise suggestion when
no edit is safe. Plans are computed read-only; `apply_plan` writes them through the FileEditor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.errors import ShipshapeError

if TYPE_CHECKING:
    from agent.engines.files import FileEditor


@dataclass
class Edit:
    """The whole new text of one file (created when it does not exist)."""

    path: Path
    new_text: str
    reason: str


@dataclass
class Plan:
    """What one fix would do for one image."""

    fix_id: str
    description: str
    edits: list[Edit] = field(default_factory=list)
    suggestion: str = ""
    diffs: list[str] = field(default_factory=list)
    # A fix owned by another module (Prisma) applies itself: runner(editor) -> the files it changed.
    runner: Callable[[FileEditor], list[Path]] | None = None

    @property
    def automatic(self) -> bool:
        return bool(self.edits) or self.runner is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "fix_id": self.fix_id,
            "description": self.description,
            "automatic": self.automatic,
            "files": [str(e.path) for e in self.edits],
            "diff": "".join(self.diffs),
            "suggestion": self.suggestion,
        }


def read_text(editor: FileEditor, path: Path) -> str:
    """The file's text, or "" when it does not exist yet."""
    target = editor.confine(path)
    return editor.read(target) if target.exists() else ""


def finish(plan: Plan, editor: FileEditor) -> Plan:
    """Drop edits that change nothing and compute the preview diffs."""
    kept = []
    for edit in plan.edits:
        if read_text(editor, edit.path) != edit.new_text:
            kept.append(edit)
    plan.edits = kept
    plan.diffs = [editor.preview(e.path, e.new_text) for e in kept]
    return plan


def apply_plan(plan: Plan, editor: FileEditor, dry_run: bool = False) -> dict[str, Any]:
    """Write every edit (backup, atomic replace, journal). If one write fails, the earlier ones are undone, so
    the fix lands whole or not at all. Running it again changes nothing."""
    if plan.runner is not None:
        if dry_run:
            return {**plan.as_dict(), "status": "would-apply", "changed": []}
        changed = plan.runner(editor)
        return {
            **plan.as_dict(),
            "status": "applied" if changed else "already-applied",
            "changed": [str(p) for p in changed],
        }
    if not plan.edits:
        status = "suggestion" if plan.suggestion else "already-applied"
        return {**plan.as_dict(), "status": status, "changed": []}
    if dry_run:
        return {**plan.as_dict(), "status": "would-apply", "changed": []}
    written: list[Path] = []
    try:
        for edit in plan.edits:
            result = editor.write(edit.path, edit.new_text, f"{plan.fix_id}: {edit.reason}")
            if result.changed:
                written.append(result.path)
    except (OSError, ShipshapeError) as exc:
        for path in reversed(written):
            editor.undo(path)
        message = exc.message if isinstance(exc, ShipshapeError) else str(exc)
        raise ShipshapeError(f"fix {plan.fix_id} was not applied: {message}", code="fix-failed") from None
    return {**plan.as_dict(), "status": "applied", "changed": [str(p) for p in written]}
