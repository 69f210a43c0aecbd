"""Start the slowest waiting work of the session on threads of its own at the start, and judge it at the end.

Two pieces of work spend most of their minutes waiting while the image builds of the other tests keep both cores
busy: the recovery suite (tests/test_recovery_suite.py: breaks to show, back-offs, rollouts) and the chat-driven
build repair (tests/test_chat_build.py: a 32 s npm outage, npm's own retry waits, three builds of the real app).
Each is started on a thread from the first test on, and its tests are moved to the end of the session, where they
judge what the thread found. Nothing about the work changes: the same code does it, in a directory and with image
names or namespaces of its own, so no other test sees it ("nothing outside the namespace changed" still covers
the other scenarios' namespaces, a sentinel, default and kube-system; no other test writes there).

Only when the test file is among the selected tests (beside others) and what it needs is there; otherwise its own
fixture does the work (or reports what is missing) the usual way. SHIPSHAPE_SUITE_EARLY=0 turns this off. At the
end of the session each piece prints how long it ran and how long its tests waited for it.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True)
class Work:
    file: str  # the test file whose tests judge the work
    module: str
    function: str  # called on the thread with a directory of its own
    needs: tuple[str, ...]  # the fixtures that must answer before it starts


WORK = (
    Work("test_recovery_suite.py", "tests.test_recovery_suite", "build_suite", ("kubeconfig", "node_docker")),
    Work("test_chat_build.py", "tests.test_chat_build", "outage_then_fonts", ("host_docker", "node_docker")),
)
SUITE_FILE = WORK[0].file
_started: dict[str, Future[Any]] = {}
_times: dict[str, dict[str, float]] = {}


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    files = {w.file for w in WORK}
    late = [i for i in items if i.path.name in files]
    if late and len(late) < len(items):
        items[:] = [i for i in items if i.path.name not in files] + late


def started(file: str = SUITE_FILE) -> Future[Any] | None:
    """The run of the work judged by `file`, when this plugin started it."""
    return _started.get(file)


def result(file: str = SUITE_FILE) -> Any:
    """What the work judged by `file` returned (raises what it raised); the wait is timed."""
    begin = time.monotonic()
    try:
        return _started[file].result()
    finally:
        _times.setdefault(file, {})["waited"] = time.monotonic() - begin


def _start(work: Work, workdir: Path) -> Future[Any]:
    function = getattr(importlib.import_module(work.module), work.function)
    future: Future[Any] = Future()
    times = _times.setdefault(work.file, {})

    def run() -> None:
        times["start"] = time.monotonic()
        try:
            future.set_result(function(workdir))
        except BaseException as exc:  # handed to the test's fixture, which raises it there
            future.set_exception(exc)
        finally:
            times["end"] = time.monotonic()

    threading.Thread(target=run, name=work.file, daemon=True).start()
    return future


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for file, times in _times.items():
        if "start" in times and "end" in times:
            terminalreporter.write_line(
                f"early: {file} ran {times['end'] - times['start']:.0f} s on its own thread; "
                f"its tests waited {times.get('waited', 0.0):.0f} s for it"
            )


@pytest.fixture(scope="session", autouse=True)
def _early_work(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    if os.environ.get("SHIPSHAPE_SUITE_EARLY") == "0":
        return
    items = request.session.items
    for work in WORK:
        mine = sum(i.path.name == work.file for i in items)
        if work.file in _started or not mine or mine == len(items):
            continue
        try:
            for name in work.needs:
                request.getfixturevalue(name)
        except (pytest.skip.Exception, pytest.fail.Exception):
            continue  # the test's own fixture meets the same and says so where it belongs
        _started[work.file] = _start(work, tmp_path_factory.mktemp(work.function))
