"""Issue 12o: the readings written from the 12n held-out misses (a shebang with Windows line endings in typographic
quotes, project files missing for Maven, stack and dotnet tools, a program a package manager needs, a package
manager's version skew, Dart's pub, cpanm, SwiftPM's clone, kaniko's FROM layers) and the 12o conventions."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from tests.buildsteps import buildkit_step as _step

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("command", "lines", "code", "expected"),
    [
        # a script saved with CRLF: exit 127, but the Scripts convention (12l) says script-error
        (
            "./bin/rails assets:precompile",
            ["0.457 /usr/bin/env: ‘ruby\\r’: No such file or directory"],
            127,
            "script-error",
        ),
        (
            "mvn clean package",
            [
                "[ERROR] The goal you specified requires a project to execute but there is no POM in "
                "this directory (/build). Please verify you invoked Maven from the correct directory."
            ],
            1,
            "context-file-missing",
        ),
        ("stack install", ["No .cabal file found in directory /src/"], 1, "context-file-missing"),
        (
            "luarocks install lua-resty-openidc",
            [
                "Error: Failed unpacking rock file: /tmp/x.src.rock: 'unzip -n' "
                "program not found. Make sure unzip is installed and is available in "
                "your PATH"
            ],
            1,
            "command-not-found",
        ),
        (
            "tlmgr install enumitem",
            ["tlmgr itself needs to be updated.", "tlmgr: Terminating; please see warning above!"],
            255,
            "dependency-resolution",
        ),
        ("pnpm install", ['Error: Cannot find matching keyid: {"signatures":[]}'], 1, "npm-dependency"),
        ("gradle build", ["* What went wrong:", "Task 'build' not found in root project 'app'."], 1, "script-error"),
        (
            "cpanm Authen::Krb5::Simple",
            ["! Finding Authen::Krb5::Simple on cpanmetadb failed."],
            1,
            "dependency-resolution",
        ),
        (
            "flutter pub get",
            ['Could not find a file named "pubspec.yaml" in https://github.com/x/y.git abc.'],
            1,
            "dependency-resolution",
        ),
    ],
)
def test_the_12o_readings(command: str, lines: list[str], code: int, expected: str) -> None:
    assert diagnose_bytes(_step(command, *lines, code=code)).root_cause == expected


def test_a_windows_shell_on_a_linux_builder_is_a_platform_not_a_missing_command() -> None:
    line = 'exec: "cmd": executable file not found in $PATH'
    assert diagnose_bytes(_step("dir", line)).root_cause == "platform-mismatch"
    other = 'exec: "git": executable file not found in $PATH'
    assert diagnose_bytes(_step("go get x", other)).root_cause == "command-not-found"
