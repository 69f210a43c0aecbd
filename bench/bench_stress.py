"""Concurrency stress and faults mid-operation (`python -m bench stress`, `make stress`; part of `make bench`).

Figures: the stress run (processes, operations, errors, whether every count is exact, operations per second)
and one row per fault of bench/faults.py (what the user saw, time to recover, data lost). `report` prints
the two tables after the benchmark table.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from bench import Result
from bench.faults import FaultRow, run_all
from bench.stress import StressResult, run_stress

PROCESSES, OPERATIONS = 8, 50
_last: dict[str, Any] = {}


def run() -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="shipshape-stress-") as tmp:
        stress = run_stress(Path(tmp) / "stress", PROCESSES, OPERATIONS)
        # The daemon faults restart the shared daemons: `make bench` asks for them, `make stress` does not.
        faults = run_all(Path(tmp) / "faults", daemons=os.environ.get("SHIPSHAPE_BENCH_DAEMON_FAULTS") == "1")
    _last["stress"], _last["faults"] = stress, faults
    results = [
        Result(
            f"stress: {stress.processes} processes x {stress.operations} operations, errors",
            len(stress.errors),
            "errors",
            "0",
            not stress.errors,
            (stress.errors[0][:110] if stress.errors else ""),
        ),
        Result(
            "stress: counts exact afterwards",
            sum(stress.counted.values()),
            "rows",
            "= expected",
            stress.exact,
            "" if stress.exact else f"expected {stress.expected}, got {stress.counted}"[:120],
        ),
        Result("stress: throughput", stress.ops_per_second, "ops/s", "", None, f"{stress.seconds:.1f} s in all"),
    ]
    for row in faults:
        results.append(
            Result(
                f"fault: {row.fault}"[:70],
                row.recover_seconds,
                "s to recover",
                "data lost: none",
                None if row.skipped else row.ok,
                row.skipped or row.data_lost,
            )
        )
    return results


def report(console: Any) -> None:
    """The stress figures and the fault table, as `make stress` prints them."""
    from rich.markup import escape
    from rich.table import Table

    stress: StressResult | None = _last.get("stress")
    faults: list[FaultRow] = _last.get("faults", [])
    if stress is not None:
        table = Table(title="concurrency stress: one memory database, processes started together on a new file")
        for column in ("processes", "operations each", "errors", "counts exact", "seconds", "ops/s"):
            table.add_column(column)
        table.add_row(
            str(stress.processes),
            str(stress.operations),
            str(len(stress.errors)),
            "yes" if stress.exact else "NO",
            f"{stress.seconds:.1f}",
            f"{stress.ops_per_second:.0f}",
        )
        console.print(table)
        counts = Table(title="rows afterwards (expected = counted)")
        counts.add_column("table / figure")
        counts.add_column("expected")
        counts.add_column("counted")
        for key, expected in stress.expected.items():
            counts.add_row(key, str(expected), str(stress.counted.get(key)))
        console.print(counts)
    if faults:
        table = Table(title="faults in the middle of an operation")
        for column in ("fault", "what the user saw", "time to recover", "data lost"):
            table.add_column(column, overflow="fold")
        for row in faults:
            recover = "-" if row.skipped else f"{row.recover_seconds:.2f} s"
            cells = (row.fault, row.skipped or row.user_saw, recover, "-" if row.skipped else row.data_lost)
            table.add_row(*(escape(cell) for cell in cells))
        console.print(table)
