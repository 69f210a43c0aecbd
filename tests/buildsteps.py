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


def both_builders(command: str, output: str, code: int = 1) -> list[str]:
    """The same failed RUN step in the classic builder's and BuildKit's (`--progress=plain`) words."""
    return [classic_step(command, *output.split("\n"), code=code), buildkit_progress_step(command, output, code)]


def both_builders_of(rows: Iterable[tuple[Any, ...]]) -> list[str]:
    """both_builders of every (command, output[, code]) row, in order: a parametrized test's logs."""
    return [log for row in rows for log in both_builders(*row)]


def candidate_categories(log: str) -> list[str]:
    """The categories of the candidates the diagnosis of `log` names, most likely first."""
    return [c["category"] for c in diagnose_bytes(log).candidates]
