"""Failed build steps wrapped around a read log's own lines, in the two builders' words, for the diagnosis tests, and
the candidates a diagnosis names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agent.buildlog import diagnose_bytes


def buildkit_step(command: str, *lines: str, code: int = 1) -> str:
    """A BuildKit RUN step that printed `lines` and exited with `code`."""
    body = "".join(f"{line}\n" for line in lines)
    return (
        f" > [build 6/6] RUN {command}:\n{body}"
        f'ERROR: failed to solve: process "/bin/sh -c {command}" did not complete successfully: exit code: {code}\n'
    )


def buildkit_progress_step(command: str, output: str, code: int = 1) -> str:
    """A BuildKit RUN step with `--progress=plain`: its output as `#9` progress lines, then BuildKit's summary of the
    failed step (the output again) and the final `failed to solve`."""
    lines = "\n".join(f"#9 0.{300 + i} {line}" for i, line in enumerate(output.split("\n")))
    return (
        f'#9 [5/7] RUN {command}\n{lines}\n#9 ERROR: process "/bin/sh -c {command}" did not complete successfully: '
        f"exit code: {code}\n------\n > [5/7] RUN {command}:\n{output}\n------\n"
        f'ERROR: failed to solve: process "/bin/sh -c {command}" did not complete successfully: exit code: {code}\n'
    )


def classic_step(command: str, *lines: str, code: int = 1) -> str:
    """The classic builder's RUN step that printed `lines` and exited with `code`."""
    body = "".join(f"{line}\n" for line in lines)
    return (
        f"Step 4/9 : RUN {command}\n ---> Running in 2e58c6400f57\n{body}"
        f"The command '/bin/sh -c {command}' returned a non-zero code: {code}\n"
    )


def classic_build(*steps: str, failed: str, output: str, code: int = 1) -> str:
    """A classic-builder log: the earlier steps (each an instruction), then the failing RUN and its output."""
    n = len(steps) + 1
    head = "".join(
        f"Step {i}/{n} : {s}\n ---> Running in 5c1d2e3f4a5b\n ---> 9a8b7c6d5e4f\n" for i, s in enumerate(steps, 1)
    )
    return (
        f"{head}Step {n}/{n} : RUN {failed}\n ---> Running in 2e58c6400f57\n{output}\n"
        f"The command '/bin/sh -c {failed}' returned a non-zero code: {code}\n"
    )


def buildkit_build(*steps: str, failed: str, output: str, code: int = 1) -> str:
    """A BuildKit `--progress=plain` log: the earlier steps, then the failing RUN, its output and the summary."""
    n = len(steps) + 1
    head = "".join(f"#{i + 4} [{i}/{n}] {s}\n#{i + 4} DONE 0.1s\n" for i, s in enumerate(steps, 1))
    body = "".join(f"#{n + 4} 0.{300 + i} {line}\n" for i, line in enumerate(output.split("\n")))
    return (
        f"{head}#{n + 4} [{n}/{n}] RUN {failed}\n{body}"
        f'#{n + 4} ERROR: process "/bin/sh -c {failed}" did not complete successfully: exit code: {code}\n'
        f'ERROR: failed to solve: process "/bin/sh -c {failed}" did not complete successfully: exit code: {code}\n'
    )


def both_builds(*steps: str, failed: str, output: str, code: int = 1) -> list[str]:
    """The same build (earlier steps, then the failing RUN) in the classic builder's and BuildKit's words."""
    return [builder(*steps, failed=failed, output=output, code=code) for builder in (classic_build, buildkit_build)]


def both_builders(command: str, output: str, code: int = 1) -> list[str]:
    """The same failed RUN step in the classic builder's and BuildKit's (`--progress=plain`) words."""
    return [classic_step(command, *output.split("\n"), code=code), buildkit_progress_step(command, output, code)]


def both_builders_of(rows: Iterable[tuple[Any, ...]]) -> list[str]:
    """both_builders of every (command, output[, code]) row, in order: a parametrized test's logs."""
    return [log for row in rows for log in both_builders(*row)]


def candidate_categories(log: str) -> list[str]:
    """The categories of the candidates the diagnosis of `log` names, most likely first."""
    return [c["category"] for c in diagnose_bytes(log).candidates]
