"""Faults in the middle of an operation, survived and measured against the real components.

Each fault is a function `(workdir) -> FaultRow`: what was done to shipshape, what the user saw, how long until
it was usable again, and what data was lost (the goal: none). `FAULTS` is the table `python -m bench faults`
(make stress) prints; tests/test_faults.py runs the same functions and asserts on their rows. A fault that needs
a component this machine lacks returns a row with `skipped` set instead of failing.

Daemon faults (host Docker restarted during a build, the node's daemon during a load, the API server stopped
during a rollout watch) need exclusive use of the shared daemons: they live in bench/daemon_faults.py and run
with `run_all(..., daemons=True)`, which `make bench` does.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MUSL = "linux-musl-openssl-3.0.x"


@dataclass
class FaultRow:
    fault: str
    user_saw: str
    recover_seconds: float
    data_lost: str
    ok: bool
    details: dict[str, object] = field(default_factory=dict)
    skipped: str = ""


def _schema(padding_lines: int) -> str:
    """A schema.prisma that lacks the musl target, padded so that writing it takes a while."""
    pad = "".join(
        f"// padding line {i:07d} keeps the file large so a kill lands inside the write\n" for i in range(padding_lines)
    )
    return (
        'generator client {\n  provider      = "prisma-client-js"\n  binaryTargets = ["native"]\n}\n\n'
        'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n\n'
        "model Todo {\n  id    Int    @id @default(autoincrement())\n  title String\n}\n" + pad
    )


# The child: fix the schema (an edit through the journal), undo it, again and again, until it is killed.
_EDITOR_LOOP = """
import sys
from pathlib import Path
from agent.engines.files import FileEditor
from agent.memory.store import Store
from agent.prisma.check import fix_prisma
root, schema = Path(sys.argv[1]), Path(sys.argv[2])
editor = FileEditor(root, Store())
print("ready", flush=True)
while True:
    fix_prisma(schema, editor, "linux-musl-openssl-3.0.x")
    editor.undo(schema)
"""


def _wait_for_pending(db: Path, deadline: float) -> None:
    """Until the journal shows an edit or an undo under way (read straight from SQLite: WAL lets a reader in)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        while time.monotonic() < deadline:
            try:
                if conn.execute("SELECT 1 FROM edits WHERE state IN ('pending', 'undoing') LIMIT 1").fetchone():
                    return
            except sqlite3.OperationalError:
                pass  # the child has not created the table yet
            time.sleep(0.0005)
    finally:
        conn.close()


def sigkill_mid_schema_edit(work: Path, kills: int = 12, padding_lines: int = 40_000) -> FaultRow:
    """shipshape killed with SIGKILL while it fixes schema.prisma: the file must be exactly the old or the new
    content, and the journal (once read) must say which."""
    from agent.engines.files import FileEditor, sha256
    from agent.memory.store import Store

    root = work / "sigkill"
    schema = root / "prisma" / "schema.prisma"
    schema.parent.mkdir(parents=True, exist_ok=True)
    original = _schema(padding_lines).encode()
    schema.write_bytes(original)
    db = root / "memory.db"
    env = {**os.environ, "SHIPSHAPE_DB": str(db)}
    rng = random.Random(7)
    inside, problems, recover = 0, [], []
    fixed: bytes | None = None
    for _ in range(kills):
        child = subprocess.Popen(
            [sys.executable, "-c", _EDITOR_LOOP, str(root), str(schema)],
            stdout=subprocess.PIPE,
            env=env,
            cwd=REPO,
        )
        assert child.stdout is not None
        child.stdout.readline()  # "ready"
        if len(recover) % 2 == 0:
            _wait_for_pending(db, deadline=time.monotonic() + 10)  # aimed: inside an edit or an undo
        else:
            time.sleep(rng.uniform(0.05, 0.6))  # anywhere
        child.send_signal(signal.SIGKILL)
        child.wait()
        killed_at = time.monotonic()
        on_disk = schema.read_bytes()
        store = Store(db)
        editor = FileEditor(root, store)
        settled = editor.reconcile()
        journal = editor.journal()
        recover.append(time.monotonic() - killed_at)
        inside += bool(settled)
        if on_disk != original:
            fixed = fixed or on_disk
        if on_disk not in (original, fixed) or on_disk.count(b"generator client") != 1:
            problems.append(f"schema.prisma is neither the old nor the new content ({len(on_disk)} bytes)")
        states = {row["state"] for row in journal}
        if states & {"pending", "undoing"}:
            problems.append(f"the journal still has unsettled rows: {states}")
        applied = [row for row in journal if row["state"] == "applied"]
        expected = applied[0]["after_sha256"] if applied else sha256(original)
        if sha256(on_disk) != expected:
            problems.append("the journal does not say which content is on disk")
        if applied:  # leave the next round the original: undo what the killed process left applied
            editor.undo(schema)
        store.close()
    leftovers = len(list(schema.parent.glob(".schema.prisma.*.tmp")))
    return FaultRow(
        fault="shipshape killed (SIGKILL) in the middle of a schema.prisma edit",
        user_saw=f"the old or the new schema, never a mix; `shipshape undo --list` says which ({inside} of {kills} "
        "kills landed inside an edit or undo)",
        recover_seconds=max(recover) if recover else 0.0,
        data_lost="none" if not problems else "; ".join(sorted(set(problems))),
        ok=not problems and inside > 0,
        details={"kills": kills, "inside_an_edit": inside, "temporary_files_left": leftovers},
    )


def slow_model(work: Path, timeout: float = 3.0) -> FaultRow:
    """The model never answers: `shipshape chat` shows that it waits, gives up at the configured timeout and
    says at once that it continues with the rulebook."""
    try:
        sys.path.insert(0, str(REPO / "tests"))
        from standin_anthropic import StandIn, hang
    except ImportError as exc:
        return FaultRow("the model answers slowly", "", 0.0, "", False, skipped=f"no stand-in server: {exc}")
    project = work / "slow-model"
    project.mkdir(parents=True, exist_ok=True)
    (project / "app").mkdir(exist_ok=True)
    (project / "app" / "Dockerfile").write_text("FROM scratch\n")
    (project / "shipshape.toml").write_text(
        '[[images]]\nname = "app"\ncontext = "app"\nbudget = "10MB"\n\n'
        f'[cluster]\nkubeconfig = "{project / "no-such-kubeconfig"}"\nnamespace = "todo"\n'
    )
    server = StandIn().start()
    server.default = hang(120)
    env = {
        **os.environ,
        "ANTHROPIC_BASE_URL": server.url,
        "ANTHROPIC_API_KEY": "sk-standin",
        "SHIPSHAPE_MODEL_TIMEOUT": str(timeout),
        "SHIPSHAPE_DB": str(project / "memory.db"),
        "COLUMNS": "200",
    }
    shipshape = Path(sys.executable).parent / "shipshape"
    started = time.monotonic()
    lines: list[tuple[float, str]] = []
    try:
        proc = subprocess.Popen(
            [str(shipshape), "chat", "pods show ImagePullBackOff", "--brain", "claude"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        assert proc.stdout is not None
        stdout = proc.stdout

        def read() -> None:
            for line in stdout:
                lines.append((time.monotonic() - started, line.rstrip()))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            proc.wait(timeout=timeout + 30)  # the old code waited about 185 s: it is stopped, not waited for
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
    finally:
        server.close()
    # Measured from the moment the model's request arrived (the stand-in records it on the same clock), so
    # the interpreter's start-up does not count.
    asked = (server.message_requests[0].at - started) if server.message_requests else 0.0
    waiting = [t - asked for t, line in lines if "waiting for the model" in line]
    fallback = [t - asked for t, line in lines if "continuing with the rulebook" in line]
    said = next((line for _, line in lines if "continuing with the rulebook" in line), "")
    problems = []
    if not waiting:
        problems.append("no progress was shown while waiting")
    if not fallback:
        problems.append("the fallback was not announced")
    elif fallback[0] > timeout + 1.5:
        problems.append(f"the fallback came {fallback[0]:.1f} s after the request (limit {timeout:g} s)")
    return FaultRow(
        fault=f"the model never answers (SHIPSHAPE_MODEL_TIMEOUT={timeout:g})",
        user_saw=(f"'waiting for the model' every {timeout / 4:.2g} s from {waiting[0]:.1f} s; " if waiting else "")
        + (f"at {fallback[0]:.1f} s: {said.strip()}" if said else "no fallback announced"),
        recover_seconds=fallback[0] if fallback else float("inf"),
        data_lost="none" if not problems else "; ".join(problems),
        ok=not problems,
        details={"output": [line for _, line in lines][:12], "exit_code": proc.returncode},
    )


FAULTS: dict[str, Callable[[Path], FaultRow]] = {
    "sigkill-schema-edit": sigkill_mid_schema_edit,
    "slow-model": slow_model,
}


def run_all(work: Path, only: list[str] | None = None, daemons: bool = False) -> list[FaultRow]:
    """Every fault (or those named); with `daemons`, also the daemon faults of bench/daemon_faults.py, which
    restart the machine's shared daemons and so run only from `make bench`, never beside other work."""
    rows = []
    faults = dict(FAULTS)
    if daemons:
        from bench.daemon_faults import DAEMON_FAULTS

        faults.update(DAEMON_FAULTS)
    for name, fault in faults.items():
        if only and name not in only:
            continue
        rows.append(fault(work))
    return rows


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory(prefix="shipshape-faults-") as tmp:
        for row in run_all(Path(tmp), sys.argv[1:] or None):
            print(json.dumps(row.__dict__, default=str, indent=2))
