"""`make bench`: run every benchmark module and print one table (and bench/results.json)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

import bench
from bench import Result


def main(argv: list[str]) -> int:
    """Run every bench_* module, or those named (`stress` and `bench_stress` both name bench/bench_stress.py);
    `module:part` runs one part of a module that has parts (`diagnose:labelled`, `diagnose:throughput`)."""
    only: set[str] = set()
    parts: dict[str, str] = {}
    for name in argv:
        module_name, _, part = name.partition(":")
        module_name = module_name if module_name.startswith("bench_") else f"bench_{module_name}"
        only.add(module_name)
        if part:
            parts[module_name] = part
    results: list[Result] = []
    ran = []
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if not info.name.startswith("bench_") or (only and info.name not in only):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        ran.append(module)
        started = time.perf_counter()
        try:
            results.extend(module.run(parts[info.name]) if info.name in parts else module.run())
        except Exception as exc:  # a broken benchmark is reported, the others still run
            traceback.print_exc()
            results.append(Result(f"{info.name}: failed", 0, "", note=str(exc)[:120], met=False))
        print(f"{info.name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    table = Table(title="shipshape benchmarks")
    for column in ("benchmark", "value", "unit", "goal", "met", "note"):
        table.add_column(column)
    for r in results:
        met = "" if r.met is None else ("yes" if r.met else "NO")
        value = f"{r.value:.3f}" if isinstance(r.value, float) and r.value < 100 else f"{r.value:,.1f}"
        table.add_row(r.name, value, r.unit, r.goal, met, r.note)
    console = Console(width=160)
    console.print(table)
    for module in ran:  # modules with tables of their own (the stress figures and the fault table)
        if hasattr(module, "report"):
            module.report(console)
    if only:
        return 0 if all(r.met is not False for r in results) else 1
    Path("bench/results.json").write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
