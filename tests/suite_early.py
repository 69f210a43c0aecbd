"""Start the recovery suite (tests/test_recovery_suite.py) in the background at the start of the session.

The suite spends most of its minutes waiting on the cluster (breaks to show, back-offs, rollouts), while the image
builds of the other tests keep both cores busy: so its scenarios are set up and run on a thread of their own from
the first test on, and its tests are moved to the end of the session, where they judge what the thread found.
Nothing about the suite changes: the same scenarios, each in its own namespace, run one after another by the same
code, and "nothing outside the namespace changed" still covers the other scenarios' namespaces, a sentinel,
default and kube-system (no other test writes there: each works in a namespace of its own).

Only when the suite is among the selected tests and the cluster is there; otherwise its own fixture does the work
(or reports the missing cluster) the usual way. SHIPSHAPE_SUITE_EARLY=0 turns this off.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

SUITE_FILE = "test_recovery_suite.py"
_started: Future[Any] | None = None
# When the thread started and ended, and how long the suite's fixture waited for it: printed at the end of the
# session, so that a slow session shows whether the suite was what it waited on.
_times: dict[str, float] = {}


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    suite = [i for i in items if i.path.name == SUITE_FILE]
    if suite and len(suite) < len(items):
        items[:] = [i for i in items if i.path.name != SUITE_FILE] + suite


def started() -> Future[Any] | None:
    """The suite's run, when this plugin started it."""
    return _started


def result() -> Any:
    """The suite, once the thread has built it (raises what the thread raised); the wait is timed."""
    assert _started is not None
    begin = time.monotonic()
    try:
        return _started.result()
    finally:
        _times["waited"] = time.monotonic() - begin


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if "start" in _times and "end" in _times:
        terminalreporter.write_line(
            f"recovery suite on its own thread: {_times['end'] - _times['start']:.0f} s; "
            f"the suite's tests waited {_times.get('waited', 0.0):.0f} s for it"
        )


def _start(workdir: Path) -> Future[Any]:
    from tests.test_recovery_suite import build_suite

    future: Future[Any] = Future()

    def work() -> None:
        _times["start"] = time.monotonic()
        try:
            future.set_result(build_suite(workdir))
        except BaseException as exc:  # handed to the suite's fixture, which raises it there
            future.set_exception(exc)
        finally:
            _times["end"] = time.monotonic()

    threading.Thread(target=work, name="recovery-suite", daemon=True).start()
    return future


@pytest.fixture(scope="session", autouse=True)
def _recovery_suite_early(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    global _started
    if os.environ.get("SHIPSHAPE_SUITE_EARLY") == "0" or _started is not None:
        return
    if not any(i.path.name == SUITE_FILE for i in request.session.items):
        return
    try:
        request.getfixturevalue("kubeconfig")
        request.getfixturevalue("node_docker")
    except (pytest.skip.Exception, pytest.fail.Exception):
        return  # the suite's own fixture meets the same and says so where it belongs
    _started = _start(tmp_path_factory.mktemp("recovery"))
