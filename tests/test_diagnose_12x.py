"""Issue 12x: the general readings behind the misses of 12w's held-out sets (modern-holdout23.yaml,
shipwright-holdout24.yaml), each pinned on variant logs in the tools' own wordings (a classic and a BuildKit step), not
the dev logs' own lines, with the nearby wordings that keep their old reading."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from tests.buildsteps import both_builders, both_builders_of, classic_step

pytestmark = pytest.mark.unit


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


@pytest.mark.parametrize("log", both_builders_of(GPGKEYS_OUTPUTS))
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


@pytest.mark.parametrize("log", both_builders_of(PECL_OUTPUTS))
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


@pytest.mark.parametrize("log", both_builders_of(SUBMODULE_OUTPUTS))
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


@pytest.mark.parametrize("log", both_builders_of(ERROR_BODY_OUTPUTS))
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
    "log", both_builders_of((command, _traceback(script, "zipp")) for command, script in CONSOLE_SCRIPT_OUTPUTS)
)
def test_an_installed_programs_import_error_beside_pip_is_dependency_resolution(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "dependency-resolution"
    # a package's own setup.py under pip (the same step, the same import error) stays that package's build
    setup_py = log.replace("/usr/local/bin/virtualenv", "/tmp/pip-build-x/pkg/setup.py").replace(
        "/usr/local/bin/ansible-galaxy", "/tmp/pip-build-x/pkg/setup.py"
    )
    assert diagnose_bytes(setup_py).root_cause == "pip-build"


# A variable left empty in a command's arguments (12k's reading, script-error): a git ref whose last part is missing,
# go reading a flag or an assignment as a package.
EMPTY_ARGUMENT_OUTPUTS = [
    ("git checkout tags/v${VERSION}", "error: pathspec 'tags/v' did not match any file(s) known to git"),
    ("git checkout release-${RELEASE}", "error: pathspec 'release-' did not match any file(s) known to git."),
    (
        'go build -o /bin/app ./cmd/app --tags="${TAGS}"',
        'malformed import path "--tags=": leading dash',
    ),
    (
        'go install ${PKG} -ldflags "-X main.version=${VERSION}"',
        'can\'t load package: package -ldflags: cannot find package "-ldflags" in any of:\n'
        "\t/usr/local/go/src/-ldflags (from $GOROOT)\n\t/go/src/-ldflags (from $GOPATH)",
    ),
]


@pytest.mark.parametrize("log", both_builders_of(EMPTY_ARGUMENT_OUTPUTS))
def test_an_argument_a_variable_left_empty_is_script_error(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "script-error"
    # a ref or a package that does not exist upstream keeps its reading
    real = log.replace("'tags/v'", "'v2.0.0'").replace("'release-'", "'release-2'")
    real = real.replace('"--tags=": leading dash', '"example.com/x/y": no such module')
    real = real.replace("-ldflags", "github.com/acme/gone")
    assert diagnose_bytes(real).root_cause != "script-error"


# A COPY source (a glob) that matches nothing, in buildah's, podman's and kaniko's words.
COPY_GLOB_LINES = [
    'Error: building at STEP "COPY dist/*.whl /tmp/": checking on sources under "/home/u/app": Rel: can\'t make  '
    'relative to /home/u/app; copier: stat: ["/dist/*.whl"]: no such file or directory',
    'error building at STEP "COPY build/* /srv/": no items matching glob "/home/u/app/build/*" copied (3 filtered '
    "out): no such file or directory",
    "error building image: error building stage: failed to get files used from context: copy failed: no source files "
    "specified",
]


@pytest.mark.parametrize("line", COPY_GLOB_LINES)
def test_a_copy_glob_that_matches_nothing_is_context_file_missing(line: str) -> None:
    log = f"STEP 1/3: FROM python:3.12-slim\nSTEP 2/3: COPY . .\n{line}\n"
    assert diagnose_bytes(log).root_cause == "context-file-missing"


def test_quays_expired_tag_is_base_image() -> None:
    log = (
        "Step 1/6 : FROM quay.io/acme/builder:2021.03\n"
        "unknown: Tag 2021.03 was deleted or has expired. To pull, revive via time machine\n"
    )
    buildkit = (
        "#3 [internal] load metadata for quay.io/acme/builder:2021.03\n#3 ERROR: unknown: Tag 2021.03 was deleted or "
        "has expired. To pull, revive via time machine\n"
    )
    assert diagnose_bytes(log).root_cause == "base-image"
    assert diagnose_bytes(buildkit).root_cause == "base-image"


def test_corepacks_keyid_source_line_alone_is_npm_dependency() -> None:
    output = (
        "/usr/local/lib/node_modules/corepack/dist/lib/corepack.cjs:21535\n"
        "  if (key == null || signature == null) throw new Error(`Cannot find matching keyid: "
        "${JSON.stringify({ signatures, keys })}`);"
    )
    for log in both_builders("corepack enable && yarn install --immutable", output):
        assert diagnose_bytes(log).root_cause == "npm-dependency"


@pytest.mark.parametrize(
    "line",
    [
        'ERROR: Syntax error - can\'t find = in "LABEL". Must be of the form: name=value.',
        'Error response from daemon: failed to parse Dockerfile: Syntax error - can\'t find = in "ARG". Must be of '
        "the form: name=value",
    ],
)
def test_a_name_value_instruction_without_equals_is_dockerfile_syntax(line: str) -> None:
    log = f"Building web\nStep 1/4 : FROM php:8.2-apache\n{line}\n"
    assert diagnose_bytes(log).root_cause == "dockerfile-syntax"


@pytest.mark.parametrize(
    "lines",
    [
        ['"docker build" requires exactly 1 argument.', "See 'docker build --help'."],
        ['ERROR: "docker buildx build" requires exactly 1 argument.', "See 'docker buildx build --help'."],
        ['"docker image build" requires exactly 1 argument(s).', "See 'docker image build --help'."],
    ],
)
def test_the_build_command_without_one_context_is_dockerfile_syntax(lines: list[str]) -> None:
    log = (
        "$ docker build -t app -f docker/Dockerfile\n" + "\n".join(lines) + "\n\nUsage:  docker build [OPTIONS] PATH\n"
    )
    assert diagnose_bytes(log).root_cause == "dockerfile-syntax"


def test_the_sdk_21_wording_of_netsdk1045_is_dependency_resolution() -> None:
    output = (
        "/usr/share/dotnet/sdk/2.1.300/Sdks/Microsoft.NET.Sdk/build/Microsoft.NET.TargetFrameworkInference.targets"
        "(135,5): error : The current .NET SDK does not support targeting .NET Core 2.2.  Either target .NET Core 2.1 "
        "or lower, or use a version of the .NET SDK that supports .NET Core 2.2. [/src/Api/Api.csproj]"
    )
    for log in both_builders("dotnet restore Api.sln", output):
        assert diagnose_bytes(log).root_cause == "dependency-resolution"


def test_old_condas_package_missing_is_dependency_resolution() -> None:
    output = "Fetching package metadata .......\nSolving package specifications: .\nError:  Package missing in current "
    output += "linux-64 channels: \n  - rdkit 2016.03.1"
    for log in both_builders("conda install -y rdkit=2016.03.1", output):
        assert diagnose_bytes(log).root_cause == "dependency-resolution"


def test_gzips_invalid_magic_behind_curls_meter_is_download_failed() -> None:
    output = (
        "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
        "100    14  100    14    0     0     63      0 --:--:-- --:--:-- --:--:--    63gzip: invalid magic\n"
        "tar: Child returned status 1\ntar: Error is not recoverable: exiting now"
    )
    for log in both_builders("curl -L https://example.com/dl/tool.tgz | tar -xz -C /usr/local/bin", output, code=2):
        assert diagnose_bytes(log).root_cause == "download-failed"


def test_apt_key_without_any_gpg_is_command_not_found() -> None:
    output = (
        "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
        "  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0E: gnupg, gnupg2 and gnupg1 do "
        "not seem to be installed, but one of them is required for this operation\n"
        "(23) Failed writing body"
    )
    for log in both_builders("curl -sL https://deb.example.org/key.gpg | apt-key add -", output, code=255):
        assert diagnose_bytes(log).root_cause == "command-not-found"


def test_glide_without_its_manifest_is_context_file_missing() -> None:
    output = (
        "[INFO]\tglide version v0.13.3 installed successfully\n"
        "[ERROR]\tFailed to find glide.yaml file in directory tree: Cannot resolve parent of /"
    )
    for log in both_builders("glide install", output):
        assert diagnose_bytes(log).root_cause == "context-file-missing"


def test_gos_note_of_a_module_needing_a_newer_go_is_dependency_resolution() -> None:
    output = (
        "go: downloading golang.org/x/exp v0.0.0-20231006140011-7918f672742d\n"
        "../go/pkg/mod/golang.org/x/exp@v0.0.0-20231006140011-7918f672742d/slices/sort.go:10:2: package cmp is not "
        "in GOROOT\nnote: imported by a module that requires go 1.21"
    )
    for log in both_builders("go install github.com/acme/tool/cmd/tool@latest", output):
        assert diagnose_bytes(log).root_cause == "dependency-resolution"
    alone = "Build logs:\nnote: imported by a module that requires go 1.22\n"
    assert diagnose_bytes(alone).root_cause == "dependency-resolution"


# The Dockerfile's own mkdir (without -p) or ln (without -f) of a path the image already has: script-error.
FILE_EXISTS_OUTPUTS = [
    ("mkdir /srv && chown app:app /srv", "mkdir: cannot create directory ‘/srv’: File exists"),
    (
        "apk add --no-cache nodejs && mkdir /usr/local/share",
        "mkdir: can't create directory '/usr/local/share': File exists",
    ),
    ("ln -s /usr/bin/python3 /usr/bin/python", "ln: failed to create symbolic link '/usr/bin/python': File exists"),
    ("ln -s /usr/bin/python3 /usr/bin/python", "ln: /usr/bin/python: File exists"),
]


@pytest.mark.parametrize("log", both_builders_of(FILE_EXISTS_OUTPUTS))
def test_mkdir_or_ln_of_a_path_the_image_has_is_script_error(log: str) -> None:
    diagnosis = diagnose_bytes(log)
    assert diagnosis.root_cause == "script-error"
    assert diagnosis.findings[0].pattern == "own-command-file-exists"


def test_yums_mirrorlist_it_cannot_fetch_is_apt_repository() -> None:
    output = (
        "Loaded plugins: fastestmirror, ovl\nDetermining fastest mirrors\n"
        "Could not retrieve mirrorlist http://mirrorlist.centos.org/?release=7&arch=x86_64&repo=extras&infra=container "
        'error was\n14: curl#6 - "Could not resolve host: mirrorlist.centos.org; Unknown error"\n\n\n'
        " One of the configured repositories failed (Unknown),\n and yum doesn't have enough cached data to continue."
    )
    for log in both_builders("yum install -y epel-release && yum install -y nginx", output):
        assert diagnose_bytes(log).root_cause == "apt-repository"
    # a builder without DNS under the same step: curl's own failure before yum ran stays below yum's line
    first = "curl: (6) Could not resolve host: rpm.example.org\n" + output
    for log in both_builders("curl -fsSL https://rpm.example.org/setup | sh && yum install -y tool", first):
        assert diagnose_bytes(log).root_cause == "apt-repository"


def test_a_gem_version_left_empty_is_script_error() -> None:
    output = (
        "ERROR:  Could not find a valid gem 'rubocop:' (>= 0) in any repository\nERROR:  Possible alternatives: rubocop"
    )
    for log in both_builders("gem install --no-document rubocop:${RUBOCOP_VERSION}", output, code=2):
        assert diagnose_bytes(log).root_cause == "script-error"
    # a gem that does not exist keeps its reading
    missing = output.replace("'rubocop:'", "'rubocopp'")
    assert diagnose_bytes(classic_step("gem install rubocopp", *missing.split("\n"), code=2)).root_cause != (
        "script-error"
    )


def test_pacman_package_files_every_mirror_404s_is_apt_repository() -> None:
    output = (
        "resolving dependencies...\nlooking for conflicting packages...\n"
        ":: Retrieving packages...\n"
        "error: failed retrieving file 'libcups-2.4.2-1-x86_64.pkg.tar.zst' from geo.mirror.pkgbuild.com : "
        "The requested URL returned error: 404\n"
        "error: failed retrieving file 'libcups-2.4.2-1-x86_64.pkg.tar.zst' from mirror.rackspace.com : "
        "The requested URL returned error: 404\n"
        "warning: failed to retrieve some files\nerror: failed to commit transaction (unexpected error)\n"
        "Errors occurred, no packages were upgraded."
    )
    for log in both_builders("pacman -S --noconfirm cups", output) + both_builders("./scripts/install-deps.sh", output):
        assert diagnose_bytes(log).root_cause == "apt-repository"
