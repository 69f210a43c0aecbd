"""Issue 12s: the readings written from the 12r held-out misses (modern-holdout18.yaml, shipwright-holdout19.yaml):
FROM images that do not exist in BuildKit's words, Dockerfile instructions with the wrong arguments, emulation and
builder-runtime failures, full storage in other words, exit 137 in other tools' words, and the 12s conventions. The
lines are the read logs' own (a few are the tools' other wordings of the same message)."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from tests.buildsteps import buildkit_step as _step
from tests.buildsteps import classic_step as _classic

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        (
            "#3 ERROR: pull access denied, repository does not exist or may require authorization: server message: "
            "insufficient_scope: authorization failed\n------\n > [internal] load metadata for "
            "docker.io/library/dmdu_base:latest:\n------\nfailed to solve with frontend dockerfile.v0: failed to "
            "create LLB definition: pull access denied, repository does not exist or may require authorization: "
            "server message: insufficient_scope: authorization failed\n",
            "base-image",
        ),
        (
            "docker compose build http-garden-python-soil\n => ERROR [http-garden-python-soil internal] load "
            "metadata for docker.io/library/http-garden-soil:latest\n",
            "base-image",
        ),
        (
            "Sending build context to Docker daemon 2.048 kB\n"
            "Error response from daemon: ENV must have two arguments\n",
            "dockerfile-syntax",
        ),
        (
            "Dockerfile:251\n 251 | >>> ENV AGENT_EXTERNAL_RESERVATIONS_STORAGE\nERROR: failed to solve: ENV must "
            "have two arguments\n",
            "dockerfile-syntax",
        ),
        ("error: failed to solve: rpc error: code = Unknown desc = unterminated heredoc\n", "dockerfile-syntax"),
        (
            "COPY --from=web URL/linux/oneagent-codemodules:dotnet-raw / /      -- at this step I'm seeing no stage or "
            "image found with that name error\n",
            "dockerfile-syntax",
        ),
    ],
)
def test_missing_base_images_and_dockerfile_errors(log: str, expected: str) -> None:
    assert diagnose_bytes(log).root_cause == expected


def test_a_bare_stage_name_that_cannot_be_pulled_stays_unsure() -> None:
    # `failed to solve: node-builder: pull access denied` is often a COPY --from stage the Dockerfile misnames
    log = (
        " > [base internal] load metadata for docker.io/library/node-builder:latest:\n------\nfailed to solve: "
        "node-builder: pull access denied, repository does not exist or may require authorization: server message: "
        "insufficient_scope: authorization failed\n"
    )
    assert diagnose_bytes(log).root_cause != "base-image"


@pytest.mark.parametrize(
    ("command", "lines", "expected"),
    [
        ("./autogen.sh", ["#0 2.122 autogen.sh: applet not found"], "platform-mismatch"),
        (
            "go mod download",
            ["0.157 SIGSEGV: segmentation violation", "0.157 PC=0x43a8ae m=4 sigcode=1"],
            "platform-mismatch",
        ),
        (
            "pnpm install --frozen-lockfile",
            ["Error [ERR_UNKNOWN_BUILTIN_MODULE]: No such built-in module: node:sqlite"],
            "npm-dependency",
        ),
        (
            "npm run build",
            [
                "0.577 /app/src/node_modules/next/dist/bin/next:57",
                '0.577 performance.mark("next-start");',
                "0.577 ReferenceError: performance is not defined",
            ],
            "dependency-resolution",
        ),
        (
            "cargo build --config net.git-fetch-with-cli=true --release",
            [
                "error: Unable to update registry `crates-io`",
                "Caused by:",
                "  failed to fetch `https://github.com/rust-lang/crates.io-index`",
                "Caused by:",
                "  could not execute process `git fetch --force --update-head-ok 'https://github.com/rust-lang/crates.io-index'"
                " '+HEAD:refs/remotes/origin/HEAD'` (never executed)",
                "Caused by:",
                "  No such file or directory (os error 2)",
            ],
            "command-not-found",
        ),
        (
            "apt-get update && apt-get build-dep -y xorg-server",
            ["43.67 E: You must put some 'deb-src' URIs in your sources.list"],
            "apt-repository",
        ),
        (
            "mvn clean compile assembly:single",
            [
                "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-assembly-plugin:2.2-beta-5:single "
                "(default-cli) on project log4shell-server: Error reading assemblies: No assembly descriptors found. "
                "-> [Help 1]"
            ],
            "script-error",
        ),
        (
            "go build -o confd",
            [
                "/usr/lib/go/pkg/tool/linux_amd64/link: running gcc failed: exit status 1",
                "/usr/lib/gcc/x86_64-alpine-linux-musl/6.3.0/../../../../x86_64-alpine-linux-musl/bin/ld: "
                "cannot find Scrt1.o: No such file or directory",
                "collect2: error: ld returned 1 exit status",
            ],
            "compile-error",
        ),
    ],
)
def test_emulation_tools_and_toolchains(command: str, lines: list[str], expected: str) -> None:
    assert diagnose_bytes(_step(command, *lines)).root_cause == expected


@pytest.mark.parametrize(
    ("command", "lines", "code", "expected"),
    [
        (
            "make all",
            ["make: /bin/sh: Operation not permitted", "make: *** [Makefile:6: sonic] Error 127"],
            2,
            "platform-mismatch",
        ),
        (
            "apt-get update ; apt-get install python-dev -y -q",
            ["2014/04/30 09:54:25 Insertion failed because database is full: database or disk is full"],
            1,
            "disk-full",
        ),
        ("ue4-docker build", ["  Took 457.237486s to run UE4Editor, ExitCode=137"], 1, "out-of-memory"),
        (
            "pip install --no-cache-dir -r requirements.txt",
            ["Directory '.' is not installable. File 'setup.py' not found."],
            1,
            "context-file-missing",
        ),
        (
            "yarn && yarn build",
            ["yarn run v1.22.4", 'error Couldn\'t find a package.json file in "/home"'],
            1,
            "context-file-missing",
        ),
        (
            "make clean install",
            ["npm ERR! node v6.6.0", "npm ERR! npm  v3.10.3", "npm ERR! Unexpected token ..."],
            2,
            "dependency-resolution",
        ),
    ],
)
def test_classic_builder_kinds(command: str, lines: list[str], code: int, expected: str) -> None:
    assert diagnose_bytes(_classic(command, *lines, code=code)).root_cause == expected


def test_the_conventions_set_before_the_12s_freeze() -> None:
    distutils = "ERROR: Cannot uninstall 'six'. It is a distutils installed project and thus we cannot accurately"
    assert diagnose_bytes(_classic("pip install tensorflow-gpu", distutils)).root_cause == "dependency-resolution"
    lists = (
        "E: Could not open file /var/lib/apt/lists/deb.debian.org_debian_dists_stretch-backports_main_binary-amd64_"
        "Packages.diff_Index - open (2: No such file or directory)"
    )
    assert diagnose_bytes(_classic("sudo apt-get update", "Reading package lists...", lists, code=100)).root_cause == (
        "apt-repository"
    )
    volume = (
        'OCI runtime create failed: container_linux.go:348: starting container process caused "open /proc/self/fd: '
        'no such file or directory": unknown'
    )
    assert diagnose_bytes(f"Step 6/12 : VOLUME . /data\nStep 7/12 : RUN apt-get update\n{volume}\n").root_cause == (
        "dockerfile-syntax"
    )
    exec_form = 'exec: "./mvnw dependency:resolve": stat ./mvnw dependency:resolve: no such file or directory'
    assert diagnose_bytes(f'Step 5/9 : RUN ["./mvnw dependency:resolve"]\n{exec_form}\n').root_cause == (
        "dockerfile-syntax"
    )


def test_a_visible_failed_download_then_its_program_missing_is_the_download() -> None:
    log = (
        "Step 12/32 : RUN wget https://raw.github.com/pypa/pip/master/contrib/get-pip.py -O - | python\n"
        " ---> Running in 1\nHTTP request sent, awaiting response... 404 Not Found\n"
        "2020-06-21 10:02:32 ERROR 404: Not Found.\n ---> 85ac8726f234\n"
        "Step 18/32 : RUN pip install ipython\n ---> Running in bbd0354cfcca\n/bin/sh: 1: pip: not found\n"
        "The command '/bin/sh -c pip install ipython' returned a non-zero code: 127\n"
    )
    assert diagnose_bytes(log).root_cause == "download-failed"
    silent = log.replace("HTTP request sent, awaiting response... 404 Not Found\n", "").replace(
        "2020-06-21 10:02:32 ERROR 404: Not Found.\n", ""
    )
    assert diagnose_bytes(silent).root_cause == "command-not-found"


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        (
            "Error: creating build container: initializing source docker://dmdu_base:latest: reading manifest latest "
            "in docker.io/library/dmdu_base: requested access to the resource is denied\n",
            "base-image",
        ),
        ("ERROR: failed to solve: myimage:latest: docker.io/library/myimage:latest: not found\n", "base-image"),
        ("STEP 1/4: FROM scratch\nError: no FROM statement found\n", "dockerfile-syntax"),
        (
            'Error: building at STEP "COPY --from=builder /app /app": checking on sources under '
            '"/var/lib/containers/storage/overlay/x/merged": copier: stat: "/app": no such file or directory\n',
            "context-file-missing",
        ),
    ],
)
def test_the_same_kinds_in_podman_and_newer_buildkit_words(log: str, expected: str) -> None:
    assert diagnose_bytes(log).root_cause == expected


def test_a_bare_name_not_found_may_be_a_misnamed_stage() -> None:
    log = "ERROR: failed to solve: builder: docker.io/library/builder:latest: not found\n"
    assert diagnose_bytes(log).root_cause != "base-image"
