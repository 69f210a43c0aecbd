"""Concurrent use of one memory database: P processes x N operations, started together on a brand-new file.

Each process opens its own Store at the same instant (so the first use, WAL switch and migrations, races too),
then runs N operations in turn: diagnose a build log (new signatures recorded by several processes at once),
record a build, apply a fix and resolve it, run an incident with its steps, edit a file of its own project and
undo it. Afterwards every count in the database must be exactly what the processes did, and no process may
have seen an error. Used by `python -m bench stress` (make stress) and tests/test_concurrency.py.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OPERATIONS = ("diagnose", "build", "fix", "incident", "undo")

# Five logs whose failures have different signatures: every process records all of them, often at once.
LOGS = [
    "Step 3/7 : RUN npm ci\nnpm ERR! code ETIMEDOUT\n"
    "npm ERR! network request to https://registry.npmjs.org/{n} failed\n"
    "The command '/bin/sh -c npm ci' returned a non-zero code: 1\n",
    "Step 4/7 : RUN apk add openssl\nERROR: unable to select packages:\n  openssl-{n} (no such package)\n"
    "The command '/bin/sh -c apk add openssl' returned a non-zero code: 1\n",
    "Step 2/7 : COPY missing-{n}.txt /app/\nCOPY failed: file not found in build context or excluded by "
    ".dockerignore: stat missing-{n}.txt: file does not exist\n",
    "Step 5/7 : RUN ./scripts/build-{n}.sh\n/bin/sh: ./scripts/build-{n}.sh: not found\n"
    "The command '/bin/sh -c ./scripts/build-{n}.sh' returned a non-zero code: 127\n",
    "Step 6/7 : RUN node build.js\nError: Cannot find module 'left-pad-{n}'\n"
    "The command '/bin/sh -c node build.js' returned a non-zero code: 1\n",
]


@dataclass
class StressResult:
    processes: int
    operations: int
    seconds: float
    errors: list[str] = field(default_factory=list)
    expected: dict[str, int] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        return self.expected == self.counted

    @property
    def ops_per_second(self) -> float:
        return self.processes * self.operations / self.seconds if self.seconds else 0.0


def plan(operations: int) -> dict[str, int]:
    """How many operations of each kind one process runs."""
    counts = dict.fromkeys(OPERATIONS, 0)
    for i in range(operations):
        counts[OPERATIONS[i % len(OPERATIONS)]] += 1
    return counts


def _worker(db: str, root: str, index: int, operations: int, start_at: float, out: Any) -> None:
    errors: list[str] = []
    try:
        from agent.buildlog import diagnose_bytes
        from agent.engines.files import FileEditor
        from agent.memory import learning
        from agent.memory.store import Store

        project = Path(root) / f"project-{index}"
        project.mkdir(parents=True, exist_ok=True)
        schema = project / "schema.prisma"
        schema.write_text(f"// project {index}\n")
        while time.time() < start_at:  # every process opens the brand-new database at the same moment
            time.sleep(0.001)
        store = Store(db)
        editor = FileEditor(project, store)
        image = f"image-{index}"
        for i in range(operations):
            kind = OPERATIONS[i % len(OPERATIONS)]
            try:
                if kind == "diagnose":
                    log = LOGS[(i // len(OPERATIONS)) % len(LOGS)].format(n=0)
                    learning.remember_diagnosis(store, diagnose_bytes(log), image=image, source="text")
                elif kind == "build":
                    store.record_build(image=image, tag=f"t{i}", outcome="built", build_seconds=0.1)
                elif kind == "fix":
                    learning.record_fix_attempt(store, f"stress-sig-{i % 3}", "fix-npm-retries", image=image)
                    learning.resolve_fix_outcomes(store, image, build_ok=True)
                elif kind == "incident":
                    incident = store.start_incident(f"stress report {i}", "stress report", "rulebook")
                    store.record_step(incident, n=1, tool="cluster_status", input={}, ok=1, outcome="ok")
                    store.finish_incident(incident, ok=1, answer="done", status="verified")
                elif kind == "undo":
                    editor.write(schema, f"// project {index}\n// edit {i}\n", "stress")
                    editor.undo()
            except Exception:
                errors.append(f"process {index} op {i} ({kind}): {traceback.format_exc(limit=3).strip()[-600:]}")
        store.close()
        if schema.read_text() != f"// project {index}\n":
            errors.append(f"process {index}: schema.prisma was not restored by its undos")
    except Exception:
        errors.append(f"process {index}: {traceback.format_exc(limit=3).strip()[-600:]}")
    out.put((index, errors))


def count(db: str) -> dict[str, int]:
    """What the database holds after the run."""
    from agent.memory.store import Store

    store = Store(db)
    try:

        def one(sql: str) -> int:
            return int(store.rows(sql)[0]["n"])

        return {
            "failures": one("SELECT COUNT(*) AS n FROM failures"),
            "signature_count_sum": one("SELECT COALESCE(SUM(count), 0) AS n FROM signatures"),
            "signatures": one("SELECT COUNT(*) AS n FROM signatures"),
            "builds": one("SELECT COUNT(*) AS n FROM builds"),
            "fix_attempts": one("SELECT COUNT(*) AS n FROM fix_attempts"),
            "fix_attempts_pending": one("SELECT COUNT(*) AS n FROM fix_attempts WHERE outcome = 'pending'"),
            "incidents": one("SELECT COUNT(*) AS n FROM incidents WHERE status = 'verified'"),
            "steps": one("SELECT COUNT(*) AS n FROM steps"),
            "edits_undone": one("SELECT COUNT(*) AS n FROM edits WHERE state = 'undone'"),
            "edits_other": one("SELECT COUNT(*) AS n FROM edits WHERE state != 'undone'"),
        }
    finally:
        store.close()


def expected_counts(processes: int, operations: int) -> dict[str, int]:
    per = plan(operations)
    diagnosed = per["diagnose"]
    return {
        "failures": processes * diagnosed,
        "signature_count_sum": processes * diagnosed,
        "signatures": min(diagnosed, len(LOGS)),
        "builds": processes * per["build"],
        "fix_attempts": processes * per["fix"],
        "fix_attempts_pending": 0,
        "incidents": processes * per["incident"],
        "steps": processes * per["incident"],
        "edits_undone": processes * per["undo"],
        "edits_other": 0,
    }


def run_stress(root: Path, processes: int = 8, operations: int = 50, timeout: float = 300) -> StressResult:
    """Run the stress on a new database under `root` and check every count."""
    root.mkdir(parents=True, exist_ok=True)
    db = str(root / "memory.db")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 3.0  # time for the spawned interpreters to import shipshape
    workers = [
        ctx.Process(target=_worker, args=(db, str(root), i, operations, start_at, queue)) for i in range(processes)
    ]
    for w in workers:
        w.start()
    errors: list[str] = []
    reported = 0
    deadline = time.monotonic() + timeout
    while reported < processes and time.monotonic() < deadline:
        try:
            _index, errs = queue.get(timeout=1)
        except Exception:
            if not any(w.is_alive() for w in workers):
                break
            continue
        reported += 1
        errors.extend(errs)
    seconds = max(time.time() - start_at, 0.0)
    for w in workers:
        w.join(timeout=10)
        if w.is_alive():
            w.kill()
            errors.append(f"a process ({w.pid}) did not finish in {timeout:.0f} s")
    if reported < processes:
        errors.append(f"only {reported} of {processes} processes reported")
    return StressResult(processes, operations, seconds, errors, expected_counts(processes, operations), count(db))
