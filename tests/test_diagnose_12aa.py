"""Issue 12aa: the readings behind the misses of 12z's held-out sets (modern-holdout26.yaml, shipwright-holdout27.yaml),
each pinned on variant logs written in the builders' and tools' own wordings, not the dev logs' own lines, with the
nearby logs that keep their old reading."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from tests.buildsteps import both_builds

pytestmark = pytest.mark.unit


# agent/buildlog/context.py: a file the Dockerfile's own command cannot find under a folder COPY/ADD filled from the
# context.
CONTEXT_MISSING = [
    *both_builds(
        "FROM nginx:1.25",
        "COPY . /srv/site",
        failed="cp /srv/site/conf/default.conf /etc/nginx/conf.d/",
        output="cp: cannot stat '/srv/site/conf/default.conf': No such file or directory",
    ),
    *both_builds(
        "FROM python:3.12-slim",
        "WORKDIR /app",
        "ADD . .",
        failed="chmod +x bin/entrypoint && pip install -r requirements.txt",
        output="chmod: cannot access 'bin/entrypoint': No such file or directory",
    ),
    *both_builds(
        "FROM ruby:3.3",
        "COPY vendor/engine engine",
        failed="cd engine/ext && ruby extconf.rb",
        output="/bin/sh: 1: cd: can't cd to engine/ext",
        code=2,
    ),
    *both_builds(
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
    *both_builds(
        "FROM eclipse-temurin:17",
        "COPY app /srv/app",
        failed="curl -sL https://example.org/tool.tgz | tar xz -C /opt && chmod +x /opt/tool/bin/run",
        output="chmod: cannot access '/opt/tool/bin/run': No such file or directory",
    ),
    # a COPY from another stage: the stage was to make it
    *both_builds(
        "FROM alpine:3.20",
        "COPY --from=build /out /srv",
        failed="mv /srv/app /usr/local/bin/app",
        output="mv: cannot stat '/srv/app': No such file or directory",
    ),
    # a COPY whose source a build variable names (the configuration convention)
    *both_builds(
        "FROM alpine:3.20",
        "ARG BINARY",
        'COPY "$BINARY" /usr/local/bin/',
        failed="chmod +x /usr/local/bin/tool",
        output="chmod: /usr/local/bin/tool: No such file or directory",
    ),
    # the tool is inside a script the step runs, not in the Dockerfile's command
    *both_builds(
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
    *both_builds(
        "FROM ruby:3.3",
        "ARG APP_HOME",
        failed="mkdir -p $APP_HOME",
        output="mkdir: missing operand\nTry 'mkdir --help' for more information.",
    ),
    *both_builds(
        "FROM alpine/git",
        "ARG REPO_URL",
        "ARG REF",
        failed="git clone --branch ${REF} --depth 1 ${REPO_URL} /src",
        output="error: switch `b' requires a value\nusage: git clone [<options>] [--] <repo> [<dir>]",
        code=129,
    ),
    *both_builds(
        "FROM debian:bookworm-slim",
        "ARG APP_UID",
        failed="useradd -m -u $APP_UID app",
        output="useradd: option requires an argument -- 'u'\nUsage: useradd [options] LOGIN",
        code=2,
    ),
    *both_builds(
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
        *both_builds(
            "FROM ruby:3.3", "ARG APP_HOME=/app", failed="mkdir -p $APP_HOME $EXTRA", output="mkdir: missing operand"
        ),
        *both_builds(
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


# Message families widened to their sibling wordings: a tool a build script or wget needs, files a build tool or
# //go:embed expects from the context, pacman's missing package, a build tool or dependency too old for the project or
# the JDK, pnpm's foreign store, cargo's git credentials, the FROM registry that cannot be reached in Docker 1.x's and
# BuildKit's anonymous-token words.
SIBLINGS = [
    (
        "cargo build --release",
        "error: failed to run custom build command for `tonic-health v0.11.0`\n\nCaused by:\n  --- stderr\n"
        '  Error: Custom { kind: NotFound, error: "Could not find `protoc`. If `protoc` is installed, try setting the '
        '`PROTOC` environment variable to the path of the `protoc` binary." }',
        "command-not-found",
    ),
    (
        "wget -q https://example.org/dist/app.tgz -O /tmp/app.tgz",
        "Connecting to example.org (93.184.216.34:443)\nwget: can't execute 'ssl_client': No such file or directory\n"
        "wget: error getting response: Connection reset by peer",
        "command-not-found",
    ),
    (
        "CGO_ENABLED=0 go build -o /out/server ./cmd/server",
        "internal/ui/embed.go:9:12: pattern build/*: no matching files found",
        "context-file-missing",
    ),
    (
        "meson setup build && ninja -C build",
        "The Meson build system\nVersion: 1.3.2\nSource dir: /src/vendor/libyuv\n"
        "ERROR: Neither directory contains a build file meson.build.",
        "context-file-missing",
    ),
    (
        "pip install .",
        'Processing /src\n    Traceback (most recent call last):\n      File "<string>", line 1, in <module>\n'
        "    ImportError: No module named vendored.protocol\n    Use 'git submodule update --init --recursive' first",
        "context-file-missing",
    ),
    (
        "pip install -e .",
        "Obtaining file:///srv/api\n  Installing build dependencies: finished with status 'done'\n"
        "  Getting requirements to build editable: finished with status 'error'\n"
        "  error: subprocess-exited-with-error\n"
        "  × Getting requirements to build editable did not run successfully.\n  │ exit code: 1\n"
        "  ╰─> [2 lines of output]\n      running egg_info\n"
        "      error: error in 'egg_base' option: 'lib' does not exist or is not a directory",
        "context-file-missing",
    ),
    (
        "pacman -Syu --noconfirm python2 python2-pip",
        ":: Synchronizing package databases...\nerror: target not found: python2\nerror: target not found: python2-pip",
        "apt-package",
    ),
    (
        "gradle bootJar --no-daemon",
        "FAILURE: Build failed with an exception.\n\n* What went wrong:\nAn exception occurred applying plugin request "
        "[id: 'org.springframework.boot', version: '3.2.0']\n> Failed to apply plugin 'org.springframework.boot'.\n"
        "   > Spring Boot plugin requires Gradle 7.x (7.5 or later) or 8.x. The current version is Gradle 6.9.4",
        "dependency-resolution",
    ),
    (
        "mvn -q package -DskipTests",
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.10.1:compile "
        "(default-compile) on project api: Fatal error compiling: java.lang.IllegalAccessError: class "
        "lombok.javac.apt.LombokProcessor (in unnamed module @0x1b2c3d4e) cannot access class "
        "com.sun.tools.javac.processing.JavacProcessingEnvironment (in module jdk.compiler) because module "
        "jdk.compiler does not export com.sun.tools.javac.processing to unnamed module @0x1b2c3d4e",
        "dependency-resolution",
    ),
    (
        "pnpm install --frozen-lockfile",
        ' ERR_PNPM_UNEXPECTED_STORE  Unexpected store location\n\nThe dependencies at "/app/node_modules" are '
        'currently linked from the store at "/root/.pnpm-store/v3".',
        "npm-dependency",
    ),
    (
        "cargo fetch --locked",
        "    Updating git repository `ssh://git@github.com/acme/telemetry.git`\nerror: failed to load source for "
        "dependency `telemetry`\n\nCaused by:\n  failed to authenticate when downloading repository\n\n"
        "  * attempted ssh-agent authentication, but no usernames succeeded: `git`",
        "dependency-resolution",
    ),
]


@pytest.mark.parametrize(("command", "output", "category"), SIBLINGS)
def test_sibling_wordings_of_known_failures_read_as_their_family(command: str, output: str, category: str) -> None:
    for log in both_builds("FROM debian:bookworm", failed=command, output=output):
        assert diagnose_bytes(log).root_cause == category


@pytest.mark.parametrize(
    "log",
    [
        "Sending build context to Docker daemon 1.2 MB\nStep 1/6 : FROM 192.168.7.20:5000/base/centos7:2.1\n"
        "Get https://192.168.7.20:5000/v1/_ping: dial tcp 192.168.7.20:5000: getsockopt: connection refused\n",
        "#3 [internal] load metadata for docker.io/library/golang:1.22\n"
        "ERROR: failed to solve: golang:1.22: failed to authorize: failed to fetch anonymous token: Get "
        '"https://auth.docker.io/token?scope=repository%3Alibrary%2Fgolang%3Apull&service=registry.docker.io": dial '
        "tcp [2600:1f18:2148:bc02::1]:443: connect: network is unreachable\n",
    ],
)
def test_the_from_registry_that_cannot_be_reached_in_more_wordings_is_base_image(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "base-image"


RETRIED = (
    "Collecting cryptography==2.1.4\n  WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, "
    "status=None)) after connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='pypi.org', port=443): "
    "Read timed out. (read timeout=15)\")': /simple/cryptography/\n"
    "  Downloading cryptography-2.1.4.tar.gz (441 kB)\n"
)


def test_pips_notice_that_it_retries_is_not_the_failure_when_the_install_went_on() -> None:
    output = (
        RETRIED + "    ERROR: Command errored out with exit status 1:\n     command: /usr/local/bin/python -c 'import "
        'setuptools\'\n    Traceback (most recent call last):\n      File "setup.py", line 6, in <module>\n'
        "    ImportError: cannot import name 'Feature'\nERROR: Command errored out with exit status 1: python setup.py "
        "egg_info Check the logs for full command output."
    )
    for log in both_builds("FROM python:3.8", failed="pip install -r requirements.txt", output=output):
        assert diagnose_bytes(log).root_cause == "pip-build"


def test_pip_giving_up_after_its_retries_is_still_pip_network() -> None:
    output = (
        RETRIED + "ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='files.pythonhosted"
        ".org', port=443): Max retries exceeded with url: /packages/cryptography-2.1.4.tar.gz (Caused by "
        "ReadTimeoutError(\"HTTPSConnectionPool(host='files.pythonhosted.org', port=443): Read timed out.\"))"
    )
    for log in both_builds("FROM python:3.8", failed="pip install -r requirements.txt", output=output):
        assert diagnose_bytes(log).root_cause == "pip-network"
