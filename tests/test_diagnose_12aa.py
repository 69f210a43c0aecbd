"""Issue 12aa: the readings behind the misses of 12z's held-out sets (modern-holdout26.yaml, shipwright-holdout27.yaml),
each pinned on variant logs written in the builders' and tools' own wordings, not the dev logs' own lines, with the
nearby logs that keep their old reading."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes

pytestmark = pytest.mark.unit


def classic(*steps: str, failed: str, output: str, code: int = 1) -> str:
    """A classic-builder log: the earlier steps (each an instruction), then the failing RUN and its output."""
    n = len(steps) + 1
    head = "".join(
        f"Step {i}/{n} : {s}\n ---> Running in 5c1d2e3f4a5b\n ---> 9a8b7c6d5e4f\n" for i, s in enumerate(steps, 1)
    )
    return (
        f"{head}Step {n}/{n} : RUN {failed}\n ---> Running in 2e58c6400f57\n{output}\n"
        f"The command '/bin/sh -c {failed}' returned a non-zero code: {code}\n"
    )


def buildkit(*steps: str, failed: str, output: str, code: int = 1) -> str:
    """A BuildKit `--progress=plain` log: the earlier steps, then the failing RUN, its output and the summary."""
    n = len(steps) + 1
    head = "".join(f"#{i + 4} [{i}/{n}] {s}\n#{i + 4} DONE 0.1s\n" for i, s in enumerate(steps, 1))
    body = "".join(f"#{n + 4} 0.{300 + i} {line}\n" for i, line in enumerate(output.split("\n")))
    return (
        f"{head}#{n + 4} [{n}/{n}] RUN {failed}\n{body}"
        f'#{n + 4} ERROR: process "/bin/sh -c {failed}" did not complete successfully: exit code: {code}\n'
        f'ERROR: failed to solve: process "/bin/sh -c {failed}" did not complete successfully: exit code: {code}\n'
    )


def both(*steps: str, failed: str, output: str, code: int = 1) -> list[str]:
    return [builder(*steps, failed=failed, output=output, code=code) for builder in (classic, buildkit)]


# agent/buildlog/context.py: a file the Dockerfile's own command cannot find under a folder COPY/ADD filled from the
# context.
CONTEXT_MISSING = [
    *both(
        "FROM nginx:1.25",
        "COPY . /srv/site",
        failed="cp /srv/site/conf/default.conf /etc/nginx/conf.d/",
        output="cp: cannot stat '/srv/site/conf/default.conf': No such file or directory",
    ),
    *both(
        "FROM python:3.12-slim",
        "WORKDIR /app",
        "ADD . .",
        failed="chmod +x bin/entrypoint && pip install -r requirements.txt",
        output="chmod: cannot access 'bin/entrypoint': No such file or directory",
    ),
    *both(
        "FROM ruby:3.3",
        "COPY vendor/engine engine",
        failed="cd engine/ext && ruby extconf.rb",
        output="/bin/sh: 1: cd: can't cd to engine/ext",
        code=2,
    ),
    *both(
        "FROM debian:bookworm",
        "WORKDIR /opt",
        "COPY --chown=app:app scripts/ /opt/scripts/",
        failed="bash -c 'cat /opt/scripts/setup.env' && make -C /opt/scripts",
        output="cat: /opt/scripts/setup.env: No such file or directory",
    ),
]


@pytest.mark.parametrize("log", CONTEXT_MISSING)
def test_a_file_missing_under_a_folder_copied_from_the_context_is_context_file_missing(log: str) -> None:
    diagnosis = diagnose_bytes(log)
    assert (diagnosis.root_cause, diagnosis.findings[0].pattern) == ("context-file-missing", "context-path-missing")
    assert [e["line"] for e in diagnosis.evidence] == [diagnosis.findings[0].line]
    assert diagnosis.findings[0].excerpt in log.split("\n")[diagnosis.findings[0].line - 1]


NOT_CONTEXT = [
    # the path is one a download was to make, not under a copied folder
    *both(
        "FROM eclipse-temurin:17",
        "COPY app /srv/app",
        failed="curl -sL https://example.org/tool.tgz | tar xz -C /opt && chmod +x /opt/tool/bin/run",
        output="chmod: cannot access '/opt/tool/bin/run': No such file or directory",
    ),
    # a COPY from another stage: the stage was to make it
    *both(
        "FROM alpine:3.20",
        "COPY --from=build /out /srv",
        failed="mv /srv/app /usr/local/bin/app",
        output="mv: cannot stat '/srv/app': No such file or directory",
    ),
    # a COPY whose source a build variable names (the configuration convention)
    *both(
        "FROM alpine:3.20",
        "ARG BINARY",
        'COPY "$BINARY" /usr/local/bin/',
        failed="chmod +x /usr/local/bin/tool",
        output="chmod: /usr/local/bin/tool: No such file or directory",
    ),
    # the tool is inside a script the step runs, not in the Dockerfile's command
    *both(
        "FROM node:20",
        "WORKDIR /usr/src/app",
        "COPY . .",
        failed="npm run build",
        output="rm: cannot remove 'dist': No such file or directory",
    ),
]


@pytest.mark.parametrize("log", NOT_CONTEXT)
def test_a_file_missing_elsewhere_is_not_read_as_the_context(log: str) -> None:
    assert diagnose_bytes(log).root_cause != "context-file-missing"


# agent/buildlog/buildargs.py: a command given an ARG that has no value.
EMPTY_VARIABLE = [
    *both(
        "FROM ruby:3.3",
        "ARG APP_HOME",
        failed="mkdir -p $APP_HOME",
        output="mkdir: missing operand\nTry 'mkdir --help' for more information.",
    ),
    *both(
        "FROM alpine/git",
        "ARG REPO_URL",
        "ARG REF",
        failed="git clone --branch ${REF} --depth 1 ${REPO_URL} /src",
        output="error: switch `b' requires a value\nusage: git clone [<options>] [--] <repo> [<dir>]",
        code=129,
    ),
    *both(
        "FROM debian:bookworm-slim",
        "ARG APP_UID",
        failed="useradd -m -u $APP_UID app",
        output="useradd: option requires an argument -- 'u'\nUsage: useradd [options] LOGIN",
        code=2,
    ),
    *both(
        "FROM alpine:3.20",
        "ARG CONFIG",
        failed="cp $CONFIG",
        output="cp: missing destination file operand after '/etc/app'",
    ),
]


@pytest.mark.parametrize("log", EMPTY_VARIABLE)
def test_a_command_given_an_arg_without_a_value_is_script_error(log: str) -> None:
    diagnosis = diagnose_bytes(log)
    assert (diagnosis.root_cause, diagnosis.findings[0].pattern) == ("script-error", "empty-build-variable")
    assert diagnosis.findings[0].excerpt in log.split("\n")[diagnosis.findings[0].line - 1]


@pytest.mark.parametrize(
    "log",
    [
        # the ARG has a default, or ENV gives it a value before the step
        *both(
            "FROM ruby:3.3", "ARG APP_HOME=/app", failed="mkdir -p $APP_HOME $EXTRA", output="mkdir: missing operand"
        ),
        *both(
            "FROM ruby:3.3",
            "ARG APP_HOME",
            "ENV APP_HOME=/srv/app",
            failed="mkdir -p $APP_HOME && cp $SRC .",
            output="cp: missing operand",
        ),
    ],
)
def test_a_variable_with_a_value_is_not_read_as_an_empty_build_variable(log: str) -> None:
    findings = diagnose_bytes(log).findings
    assert all(f.pattern != "empty-build-variable" for f in findings)
