"""Issue 12y: the general readings behind the misses of 12x's held-out sets (modern-holdout24.yaml,
shipwright-holdout25.yaml), each pinned on variant logs in the tools' own wordings, not the dev logs' own lines, with
the nearby wordings that keep their old reading."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from agent.buildlog.clean import strip

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("line", "clean"),
    [
        ("`Step 3/7 : COPY requirements.txt /app/", "Step 3/7 : COPY requirements.txt /app/"),
        ("COPY failed: stat /var/lib/docker/tmp/x/app.jar: no such file or directory`", None),
        ("`npm ERR! code ENOTFOUND`", "npm ERR! code ENOTFOUND"),
        # paired backticks inside a line are the line's own (a command substitution, a quoted name)
        ("RUN echo `date` > /build-date", "RUN echo `date` > /build-date"),
        ("`go build` failed: exit status 2 in `main.go`", "`go build` failed: exit status 2 in `main.go`"),
        ("```", "```"),
        ("```Step 1/2 : FROM alpine", "```Step 1/2 : FROM alpine"),
    ],
)
def test_a_pasted_lines_unpaired_inline_code_backtick_is_not_part_of_the_log(line: str, clean: str | None) -> None:
    assert strip(line) == (clean if clean is not None else line[:-1])


@pytest.mark.parametrize(
    "log",
    [
        # inline code around the step and the message, as pasted into a thread
        "`Step 2/6 : COPY start.sh /usr/local/bin/\nlstat start.sh: no such file or directory`\n",
        # docker-compose v1's words before the daemon's message
        "Step 2/6 : COPY start.sh /usr/local/bin/\n"
        "ERROR: Service 'proxy' failed to build: lstat start.sh: no such file or directory\n",
        "Building web\nStep 4/9 : COPY config/app.yml /etc/app/\n"
        "ERROR: Service 'web' failed to build : lstat config/app.yml: no such file or directory\n",
    ],
)
def test_a_copy_source_missing_reads_the_same_pasted_in_backticks_or_behind_compose_v1(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "context-file-missing"


def test_compose_v1_words_before_another_message_still_read_that_message() -> None:
    log = (
        "Step 1/5 : FROM node:18-alpine\n"
        "ERROR: Service 'cvat' failed to build : toomanyrequests: You have reached your pull rate limit. You may "
        "increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit\n"
    )
    assert diagnose_bytes(log).root_cause == "registry-rate-limit"
