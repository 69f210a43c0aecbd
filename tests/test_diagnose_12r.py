"""Issue 12r: the readings written from the 12q held-out misses (modern-holdout17.yaml, shipwright-holdout18.yaml):
dependency resolution in the words of many solvers (cabal, stack, opam, shards, Hex, bundler, rosdep) and fetches
inside package managers (cpanm, TeX Live, LuaRocks, pub, deno, R, bazel, Go), and the smaller kinds beside them.
The lines are the read logs' own."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from tests.buildsteps import buildkit_step as _step

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("command", "lines", "expected"),
    [
        (
            "cabal install ./ghcjs ./ghcjs-prim",
            [
                "Cloning into 'ghcjs-prim'...",
                "Warning: The package list for 'hackage.haskell.org' does not exist. Run 'cabal",
                "Resolving dependencies...",
                "cabal: Could not resolve dependencies:",
                "trying: ghcjs-8.2.0.1:-compiler-only",
                "unknown package: executable-path (dependency of ghcjs-8.2.0.1:-compiler-only)",
            ],
            "dependency-resolution",
        ),
        (
            "cabal install pandoc",
            [
                "cabal: internal error when reading package index: failed to parse .cabal",
                "The package index or index cache is probably corrupt. Running cabal update",
            ],
            "dependency-resolution",
        ),
        (
            "bundle install",
            ['Your bundle only supports platforms [] but your local platforms are ["ruby",'],
            "dependency-resolution",
        ),
        (
            "rosdep install --from-paths src -y",
            [
                "ERROR: the following packages/stacks could not have their rosdep keys resolved",
                "rbkairos_sim: Cannot locate rosdep definition for [catkin]",
            ],
            "dependency-resolution",
        ),
        (
            "cpanm --installdeps .",
            [
                "! Failed to fetch distribution Task-Weaken-1.06",
                "! Bailing out the installation for PPIx-Regexp-0.085.",
            ],
            "dependency-resolution",
        ),
        (
            "tlmgr install latex",
            ["TLPDB::_install_package: downloading did not succeed (download_file failed)"],
            "dependency-resolution",
        ),
        (
            "luarocks install nginx-lua-prometheus",
            ["Error: File not found: nginx-lua-prometheus-0.20171117-2.rockspec"],
            "dependency-resolution",
        ),
        (
            "flutter doctor",
            [
                "400 Bad Request trying to find package dds at https://pub.dartlang.org.",
                "Error: Unable to 'pub upgrade' flutter tool. Retrying in five seconds... (9 tries left)",
            ],
            "dependency-resolution",
        ),
        (
            "deno cache deps.ts",
            [
                "error: error sending request for url (https://deno.land/std@0.175.0/async/tee.ts): dispatch task is "
                "gone: runtime dropped the dispatch task"
            ],
            "dependency-resolution",
        ),
        (
            "go mod download",
            ["golang.org/x/text@v0.3.0: stream error: stream ID 173; INTERNAL_ERROR"],
            "dependency-resolution",
        ),
        (
            "go install",
            ["go install: version is required when current directory is not in a module"],
            "dependency-resolution",
        ),
        ("make compile", ["escript: exception error: undefined function rebar3:main/1"], "dependency-resolution"),
        ("opam install . --deps-only", ["No solution found, exiting"], "dependency-resolution"),
        ("mix deps.get", ["** (Mix) Hex dependency resolution failed"], "dependency-resolution"),
        (
            "R -e 'devtools::install_github(\"x/y\")'",
            ["Error in loadNamespace(name) : there is no package called 'devtools'"],
            "dependency-resolution",
        ),
        ("shards update", ["Missing shard.yml. Please run 'shards init'"], "context-file-missing"),
        ("swift package update", ["error: root manifest not found"], "context-file-missing"),
        (
            'bash -o pipefail -c "bash ./bin/build-native.sh"',
            ["0.262 bash: ./bin/build-native.sh: No such file or directory"],
            "context-file-missing",
        ),
        (
            "./build-ffmpeg.sh",
            [
                "ERROR: frei0r.h header not found",
                "",
                "If you think configure made a mistake, make sure you are using the latest",
            ],
            "compile-error",
        ),
        (
            "shards build --release",
            ["Error: expected argument #2 to 'Kemal::StaticFileHandler#directory_listing' to be Path, not String"],
            "compile-error",
        ),
        ("go build .", ["build .: cannot find module for path ."], "compile-error"),
        ("pip install mysqlclient", ["Exception: Can not find valid pkg-config name."], "pip-build"),
        ("opam install ocamlfind", ["# configure: sed not in PATH; this is required"], "command-not-found"),
        ("npm run build", ["npm ERR! missing script: build"], "script-error"),
        ("steamcmd +login anonymous", ["24.75 Please use force_install_dir before logon!"], "script-error"),
        ("go build -o app cmd/$SERVICE_NAME/main.go", ["stat cmd//main.go: no such file or directory"], "script-error"),
        (
            "ansible-playbook tests/test.yml",
            [
                'fatal: [localhost]: FAILED! => {"changed": false, "msg": "dnsmasq: setting capabilities failed: '
                'Operation not permitted"}'
            ],
            "platform-mismatch",
        ),
    ],
)
def test_the_12r_readings(command: str, lines: list[str], expected: str) -> None:
    assert diagnose_bytes(_step(command, *lines)).root_cause == expected


def test_the_token_refusals_and_the_dockerfile_path_of_the_read_logs() -> None:
    line = (
        "error: failed to solve: rpc error: code = Unknown desc = failed to fetch anonymous token: Get "
        "https://auth.docker.io/token?scope=repository%3Alibrary%2Fubuntu%3Apull&service=registry.docker.io: "
        "Bad Request"
    )
    assert diagnose_bytes(line.encode()).root_cause == "registry-auth"
    kaniko = (
        "Error: error resolving dockerfile path: please provide a valid path to a Dockerfile within the build context"
    )
    assert diagnose_bytes(kaniko.encode()).root_cause == "context-file-missing"


def test_maven_s_could_not_resolve_is_not_taken_for_a_solver_line() -> None:
    line = "[ERROR] Failed to execute goal on project app: Could not resolve dependencies for project x:app:jar:1.0"
    found = diagnose_bytes(_step("mvn package", line)).findings
    assert "solver-could-not-resolve" not in {f.pattern for f in found}


@pytest.mark.parametrize(
    ("command", "lines", "expected"),
    [
        (
            "apt-get update && apt-get install -y curl",
            [
                "E: Method http has died unexpectedly!",
                "E: Sub-process http returned an error code (139)",
                "E: Some index files failed to download. They have been ignored, or old ones used instead.",
            ],
            "platform-mismatch",
        ),
        ("npm install", ["npm ERR! Maximum call stack size exceeded"], "npm-dependency"),
        ("npm ci", ["npm ERR! cb() never called!"], "npm-dependency"),
        ("docker-php-ext-install xdebug", ["Cannot find config.m4. "], "dependency-resolution"),
        ("rebar3 as prod release", ["===> Uncaught error: {badrecord,state_t}"], "dependency-resolution"),
    ],
)
def test_the_conventions_set_before_the_12r_freeze(command: str, lines: list[str], expected: str) -> None:
    assert diagnose_bytes(_step(command, *lines, code=100)).root_cause == expected


def test_a_front_end_too_new_for_the_docker_cli_and_a_builder_panic() -> None:
    assert diagnose_bytes(b"unknown flag: --iidfile\nSee 'docker build --help'.\n").root_cause == "dockerfile-syntax"
    panic = (
        b"STEP 3/5: RUN make\npanic: runtime error: invalid memory address or nil pointer dereference\n"
        b"goroutine 1 [running]:\ngithub.com/containers/buildah/imagebuildah.(*StageExecutor).Execute(0xc000)\n"
    )
    assert diagnose_bytes(panic).root_cause == "unknown"
