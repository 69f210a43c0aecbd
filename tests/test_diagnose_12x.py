"""Issue 12x: the general readings behind the misses of 12w's held-out sets (modern-holdout23.yaml,
shipwright-holdout24.yaml), each pinned on variant logs in the tools' own wordings (a classic and a BuildKit step), not
the dev logs' own lines, with the nearby wordings that keep their old reading."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from tests.buildsteps import buildkit_progress_step, classic_step

pytestmark = pytest.mark.unit


def _both(command: str, output: str, code: int = 1) -> list[str]:
    """The same step in the classic builder's and BuildKit's words."""
    return [classic_step(command, *output.split("\n"), code=code), buildkit_progress_step(command, output, code)]


# gpg 1.x's keyserver helper (gpgkeys_hkp) in its own words: download-failed, as gpg 2's `keyserver receive failed`.
GPGKEYS_OUTPUTS = [
    (
        "gpg --keyserver hkp://keys.gnupg.net --recv-keys 6092693E",
        "gpg: requesting key 6092693E from hkp server keys.gnupg.net\n"
        "gpgkeys: key 6092693E partially retrieved (probably corrupt)\n"
        "gpg: invalid radix64 character 3A skipped\ngpg: CRC error; 1A2B3C - 4D5E6F\n"
        "gpg: no ultimately trusted keys found\ngpg: Total number processed: 1",
        2,
    ),
    (
        "apt-key adv --keyserver pgp.mit.edu --recv-key 379CE192D401AB61",
        "gpg: requesting key D401AB61 from hkp server pgp.mit.edu\n"
        "gpgkeys: key 379CE192D401AB61 can't be retrieved\ngpg: no valid OpenPGP data found.",
        2,
    ),
    (
        "gpg --keyserver pgp.mit.edu --recv-keys C43C79AD",
        "gpg: requesting key C43C79AD from hkp server pgp.mit.edu\ngpgkeys: key C43C79AD not found on keyserver",
        2,
    ),
    (
        "gpg --keyserver ha.pool.sks-keyservers.net --recv-keys 0xABCDEF12",
        "gpg: requesting key ABCDEF12 from hkp server ha.pool.sks-keyservers.net\n"
        "gpgkeys: HTTP fetch error 7: couldn't connect to host",
        2,
    ),
]


@pytest.mark.parametrize(
    "log", [log for command, output, code in GPGKEYS_OUTPUTS for log in _both(command, output, code)]
)
def test_gpg1_keyserver_helper_failures_are_download_failed(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "download-failed"


# PEAR's dependency check: the extension's newest release needs a newer PHP (or PEAR) than the image has.
PECL_OUTPUTS = [
    (
        "pecl install redis && docker-php-ext-enable redis",
        "downloading redis-6.0.2.tgz ...\npecl/redis requires PHP (version >= 7.4.0), installed version is 7.2.34\n"
        "No valid packages found\ninstall failed",
    ),
    (
        "pecl install apcu imagick && docker-php-ext-enable apcu imagick",
        "Build process completed successfully\n"
        "pecl/imagick requires PHP (version >= 5.4.0, version <= 7.99.99), installed version is 8.1.2\n"
        "error: 'imagick' does not exist\n\nusage: /usr/local/bin/docker-php-ext-enable [options] module-name",
    ),
    (
        "pecl install mongodb",
        "pecl/mongodb requires PEAR Installer (version >= 1.10.0), installed version is 1.9.4\n"
        "No valid packages found\ninstall failed",
    ),
]


@pytest.mark.parametrize("log", [log for command, output in PECL_OUTPUTS for log in _both(command, output)])
def test_pecl_release_needing_a_newer_php_is_dependency_resolution(log: str) -> None:
    diagnosis = diagnose_bytes(log)
    assert diagnosis.root_cause == "dependency-resolution"
    assert diagnosis.findings[0].pattern == "pecl-php-too-old"


# A project's build finds its git submodules not checked out, in the projects' CMake wordings.
SUBMODULE_OUTPUTS = [
    (
        "cmake -S . -B build",
        "-- The CXX compiler identification is GNU 12.2.0\nCMake Error at CMakeLists.txt:44 (message):\n"
        "  Git submodules not initialized, execute:\n\n    git submodule update --init\n\n\n"
        "-- Configuring incomplete, errors occurred!",
    ),
    (
        "mkdir build && cd build && cmake .. && make",
        "CMake Error at CMakeLists.txt:830 (message):\n"
        "  File /opt/open62541/deps/ua-nodeset/Schema/Opc.Ua.NodeSet2.xml not found.\n"
        "  You probably need to initialize the git submodule for deps/ua-nodeset.\n"
        "-- Configuring incomplete, errors occurred!",
    ),
]


@pytest.mark.parametrize("log", [log for command, output in SUBMODULE_OUTPUTS for log in _both(command, output)])
def test_submodules_not_initialized_is_context_file_missing(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "context-file-missing"


# A plain-text error body saved by curl without -f and run as a program (GitHub's `Not Found`, raw's `404: Not Found`).
ERROR_BODY_OUTPUTS = [
    ("kind create cluster", "/usr/local/bin/kind: 1: /usr/local/bin/kind: Not: not found", 127),
    ("dip --version", "/usr/local/bin/dip: line 1: Not: command not found", 127),
    (
        "curl -sSL https://raw.githubusercontent.com/acme/tool/main/install.sh | bash",
        "bash: line 1: 404:: command not found",
        127,
    ),
    ("/usr/local/bin/yq --version", "/usr/local/bin/yq: line 1: Not: not found", 127),
]


@pytest.mark.parametrize(
    "log", [log for command, output, code in ERROR_BODY_OUTPUTS for log in _both(command, output, code)]
)
def test_an_error_page_run_as_a_program_is_download_failed(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "download-failed"
    # a program that is not there at all stays command-not-found
    not_installed = log.replace(": Not:", ": tool:").replace(" 404::", " tool:")
    assert diagnose_bytes(not_installed).root_cause == "command-not-found"


# An installed program's own import failure under a RUN that also runs pip: the program cannot import a module
# (dependency-resolution), not a package's build.
def _traceback(script: str, module: str) -> str:
    return (
        "Traceback (most recent call last):\n"
        f'  File "{script}", line 5, in <module>\n'
        "    from virtualenv.__main__ import run_with_catch\n"
        '  File "/usr/local/lib/python3.5/dist-packages/importlib_metadata/__init__.py", line 9, in <module>\n'
        f"    import {module}\n"
        f"ImportError: No module named '{module}'"
    )


CONSOLE_SCRIPT_OUTPUTS = [
    (
        "virtualenv /opt/venv && . /opt/venv/bin/activate && pip install -r requirements.txt",
        "/usr/local/bin/virtualenv",
    ),
    ("pip install ansible==2.9 && ansible-galaxy install -r roles.yml", "/usr/local/bin/ansible-galaxy"),
    (
        'pip3 install virtualenvwrapper && bash -c "source /usr/local/bin/virtualenvwrapper.sh && mkvirtualenv app"',
        "/usr/local/bin/virtualenv",
    ),
]


@pytest.mark.parametrize(
    "log", [log for command, script in CONSOLE_SCRIPT_OUTPUTS for log in _both(command, _traceback(script, "zipp"))]
)
def test_an_installed_programs_import_error_beside_pip_is_dependency_resolution(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "dependency-resolution"
    # a package's own setup.py under pip (the same step, the same import error) stays that package's build
    setup_py = log.replace("/usr/local/bin/virtualenv", "/tmp/pip-build-x/pkg/setup.py").replace(
        "/usr/local/bin/ansible-galaxy", "/tmp/pip-build-x/pkg/setup.py"
    )
    assert diagnose_bytes(setup_py).root_cause == "pip-build"
