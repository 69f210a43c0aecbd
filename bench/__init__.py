"""Benchmarks. Each module `bench/bench_*.py` exposes `run() -> list[Result]`; `python -m bench` prints them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Result:
    """One measured figure and the goal it is held to."""

    name: str
    value: float
    unit: str
    goal: str = ""
    met: bool | None = None
    note: str = ""
