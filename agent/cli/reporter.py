"""A Reporter that shows tool progress in the terminal with rich: build log lines and progress bars."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from agent.redaction import redact


class RichReporter:
    """Streams build logs dimmed, shows one progress bar per task, prints notes."""

    def __init__(self, console: Console, *, show_logs: bool = True) -> None:
        self.console = console
        self.show_logs = show_logs
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def log(self, source: str, line: str) -> None:
        if self.show_logs and line.strip():
            text = escape(redact(line.rstrip()))  # a log line's [brackets] are text, not markup
            self.console.print(f"[dim]{escape(source)}[/dim] {text}", markup=True, highlight=False, soft_wrap=True)

    def progress(self, task: str, done: float, total: float | None) -> None:
        if self._progress is None:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
        if task not in self._tasks:
            self._tasks[task] = self._progress.add_task(task, total=total)
        self._progress.update(self._tasks[task], completed=done, total=total)
        if total is not None and done >= total:
            self._progress.remove_task(self._tasks.pop(task))
            if not self._tasks:
                self._progress.stop()
                self._progress = None

    def note(self, text: str) -> None:
        self.console.print(redact(text), markup=False, highlight=False)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
