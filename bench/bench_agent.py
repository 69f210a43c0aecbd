"""The agent: scenario 1's wall time against the bare operations, model calls with the rulebook, the size of
the system prompt plus tool definitions, and `shipshape --help` start time."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import Result

REPO = Path(__file__).resolve().parents[1]
# Alternating rounds of scenario 1 (agent, then bare): with 3, the ratio of medians swung between 0.93 and 1.40
# from run to run with nothing changed, and with 5 still reached 1.40: the new pod's readiness takes 1.7-3.3 s
# on either side (timed per tool call), while the agent's own steps take about 0.2 s. So 11 rounds, the note
# shows both sides' spread, and a second row gives the agent's own time outside the operations both sides run.
ROUNDS = 11
BARE_TOOLS = ("build_and_load_images", "rollout_restart", "wait_for_rollout")


def prompt_tokens() -> Result:
    """System prompt + tool definitions, as the Messages API receives them. No tokenizer is reachable here, so
    this is an estimate at 4 characters a token (Claude's tokenizer averages 3.5-4.5 on English and JSON)."""
    from agent.project.config import load_project
    from agent.prompts import system_prompt
    from agent.tools import definitions

    project = load_project(REPO / "examples" / "todo")
    chars = len(system_prompt(project)) + len(json.dumps(definitions()))
    tokens = chars / 4
    return Result(
        "system prompt + tool definitions",
        tokens,
        "tokens (≈ chars/4)",
        "<= 4,000",
        tokens <= 4000,
        f"{chars} chars, {len(definitions())} tools",
    )


# `shipshape --help` start time: one warm-up call (the page cache), then HELP_RUNS timed calls once the machine is
# quiet (at most HELP_SETTLE s). The bench runs right after `make test`, whose namespaces are still being deleted:
# one run measured 466 ms there and 142-150 ms a minute later, a measure of the machine, not of the CLI. Issue 12ab:
# the 1-minute load average decays for minutes after the machine is idle again (one bench waited its 30 s at load 2.2
# and measured 307 ms), so "quiet" is read from /proc/stat instead: under HELP_QUIET of the machine's CPU time busy
# over the last second (the cluster's own daemons idle at about 5-15% here). The CLI's own CPU time (user + system,
# from the children's rusage) goes in the note, which the machine's other work cannot inflate.
HELP_RUNS = 9
HELP_SETTLE = 60.0
HELP_QUIET = 0.25


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat's first line."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _settle(limit: float) -> tuple[float, float]:
    """Wait (at most `limit` s) until the machine's busy share over a second is under HELP_QUIET; the seconds
    waited and the last share seen."""
    started = time.monotonic()
    share = 1.0
    while time.monotonic() - started < limit:
        busy0, total0 = _cpu_times()
        time.sleep(1.0)
        busy1, total1 = _cpu_times()
        share = (busy1 - busy0) / max(1, total1 - total0)
        if share < HELP_QUIET:
            break
    return time.monotonic() - started, share


def help_start() -> Result:
    import resource

    command = [str(REPO / ".venv" / "bin" / "shipshape"), "--help"]
    subprocess.run(command, capture_output=True, check=True)
    waited, share = _settle(HELP_SETTLE)
    times, cpu = [], []
    for _ in range(HELP_RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    ms = statistics.median(times) * 1000
    note = (
        f"min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f} ms after a warm-up; its own CPU time "
        f"{statistics.median(cpu) * 1000:.0f} ms (median); waited {waited:.0f} s for a quiet machine "
        f"({share:.0%} busy then, load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    return Result("shipshape --help start time", ms, f"ms (median of {HELP_RUNS})", "<= 300", ms <= 300, note)


def scenario_one() -> list[Result]:
    """Scenario 1 on the real cluster: the agent's run, then the same operations done by hand on the same break."""
    sys.path.insert(0, str(REPO))
    os.environ["PATH"] = f"{REPO / '.tools' / 'bin'}{os.pathsep}{os.environ['PATH']}"
    from agent.memory.store import Store
    from agent.run.assemble import make_agent
    from tests.scenario_kit import deploy, make_app, remove_app, rolled_out
    from tests.test_scenarios import break_with_host_only_image

    agent_times, bare_times, own_times, steps, ok, calls = [], [], [], 0, True, 0
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "memory.db")
        app = make_app(Path(tmp), store)
        try:
            deploy(app)
            # Both sides use warm clients: importing the kubernetes package once is the process's cost, not
            # the agent's. Rounds alternate so that a slow pod start does not favour one side.
            app.ctx.kube.deployment(app.namespace, "todo-backend")
            for _ in range(ROUNDS):
                break_with_host_only_image(app)
                started = time.perf_counter()
                result = make_agent(app.ctx, "rulebook", assume_yes=True).run("pods show ImagePullBackOff")
                agent_times.append(time.perf_counter() - started)
                shared = sum(float(s.get("seconds", 0)) for s in result.steps if s.get("tool") in BARE_TOOLS)
                own_times.append(agent_times[-1] - shared)
                steps, ok, calls = len(result.steps), ok and result.ok, calls + result.model_calls
                rolled_out(app.namespace, "todo-backend")

                break_with_host_only_image(app)
                started = time.perf_counter()
                app.call("build_and_load_images", only=["backend"])
                app.call("rollout_restart", namespace=app.namespace, deployment="todo-backend")
                app.call("wait_for_rollout", namespace=app.namespace, deployment="todo-backend", timeout_seconds=120)
                bare_times.append(time.perf_counter() - started)
                rolled_out(app.namespace, "todo-backend")
        finally:
            remove_app(app)
    agent_seconds, bare_seconds = statistics.median(agent_times), statistics.median(bare_times)
    ratio = agent_seconds / bare_seconds
    return [
        Result(
            "scenario 1: agent / bare operations",
            ratio,
            "ratio",
            "<= 1.10",
            ratio <= 1.10,
            f"medians of {ROUNDS}: agent {agent_seconds:.2f} s ({min(agent_times):.2f}-{max(agent_times):.2f}; "
            f"{steps} steps, ok={ok}), bare {bare_seconds:.2f} s ({min(bare_times):.2f}-{max(bare_times):.2f})",
        ),
        Result(
            "scenario 1: the agent's own time",
            round(statistics.median(own_times), 2),
            "s (median)",
            "<= 10% of bare",
            statistics.median(own_times) <= 0.10 * bare_seconds,
            f"agent wall time less its {', '.join(BARE_TOOLS)} calls: its other tools, the brain, memory "
            f"({min(own_times):.2f}-{max(own_times):.2f} s)",
        ),
        Result("scenario 1: model calls (rulebook)", float(calls), "calls", "0", calls == 0),
    ]


def run() -> list[Result]:
    return [prompt_tokens(), help_start(), *scenario_one()]
