"""Issue 12y: the general readings behind the misses of 12x's held-out sets (modern-holdout24.yaml,
shipwright-holdout25.yaml), each pinned on variant logs in the tools' own wordings, not the dev logs' own lines, with
the nearby wordings that keep their old reading."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from agent.buildlog.clean import strip
from tests.buildsteps import both_builders

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


# Message families widened to their sibling wordings (a registry's server error, the storage refusing a rename or a
# mkdir, Docker 1.x's and charliecloud's parsers, pnpm's and yarn berry's words for npm's, corepack and rustup too old
# or too new for what the project pins).
FAMILY_LOGS = [
    (
        "#4 [build 1/6] FROM ghcr.io/acme/base:2\n"
        "#4 ERROR: failed to copy: httpReadSeeker: failed open: unexpected status code "
        "https://ghcr.io/v2/acme/base/blobs/sha256:0a1b2c3d4e5f: 502 Bad Gateway\n"
        "ERROR: failed to solve: ghcr.io/acme/base:2: failed to copy: httpReadSeeker: failed open: unexpected status "
        "code https://ghcr.io/v2/acme/base/blobs/sha256:0a1b2c3d4e5f: 502 Bad Gateway\n",
        "base-image",
    ),
    (
        "Step 1/8 : FROM quay.io/acme/runtime:1.4\n"
        "Get https://quay.io/v2/acme/runtime/manifests/1.4: received unexpected HTTP status: "
        "500 Internal Server Error\n",
        "base-image",
    ),
    (
        "Step 5/9 : RUN rustup target add wasm32-unknown-unknown\n ---> Running in 5f1a\n"
        "info: downloading component 'rust-std' for 'wasm32-unknown-unknown'\n"
        "error: could not rename component directory from '/usr/local/rustup/toolchains/1.78-x86_64/lib' to "
        "'/usr/local/rustup/tmp/abc_dir/bk'\ninfo: caused by: Invalid cross-device link (os error 18)\n"
        "The command '/bin/sh -c rustup target add wasm32-unknown-unknown' returned a non-zero code: 1\n",
        "platform-mismatch",
    ),
    (
        "Step 3/3 : COPY app.conf /etc/app.conf\n"
        "mkdir /var/lib/docker/aufs/mnt/4f2e9a1c0b3d-init/dev/shm: invalid argument\n",
        "platform-mismatch",
    ),
    (
        "Sending build context to Docker daemon 2.048 kB\nStep 0 : RUN yum -y update\n"
        "Please provide a source image with `from` prior to commit\n",
        "dockerfile-syntax",
    ),
    ("$ ch-image build -t app .\nerror: can't parse: Dockerfile:7,12\n", "dockerfile-syntax"),
    (
        "#11 [deps 3/4] RUN pnpm install --frozen-lockfile\n"
        "#11 9.875  ERR_PNPM_PEER_DEP_ISSUES  Unmet peer dependencies\n"
        "#11 9.876 .\n#11 9.876 └─┬ @vitejs/plugin-react 4.2.1\n#11 9.876   └── ✕ unmet peer vite@^5.0.0: found 4.5.3\n"
        '#11 ERROR: process "/bin/sh -c pnpm install --frozen-lockfile" did not complete successfully: exit code: 1\n',
        "npm-dependency",
    ),
    (
        "#9 [build 4/7] RUN yarn install --immutable\n#9 3.120 ➤ YN0000: ┌ Fetch step\n"
        "#9 6.441 ➤ YN0018: │ lodash@npm:4.17.21: The cache archive doesn't match the expected checksum\n"
        "#9 6.502 ➤ YN0000: └ Completed in 3s 381ms\n#9 6.510 ➤ YN0000: Failed with errors in 3s 390ms\n"
        '#9 ERROR: process "/bin/sh -c yarn install --immutable" did not complete successfully: exit code: 1\n',
        "npm-dependency",
    ),
    (
        "Step 6/12 : RUN corepack enable && corepack prepare pnpm@latest-9 --activate\n ---> Running in 0c1d\n"
        "Usage Error: Invalid package manager specification in CLI arguments; expected a semver version\n\n"
        "$ corepack prepare [--activate] [--all] [--json] [-o,--output] ...\n"
        "The command '/bin/sh -c corepack enable && corepack prepare pnpm@latest-9 --activate' returned a non-zero "
        "code: 1\n",
        "npm-dependency",
    ),
    (
        "#7 [builder 3/5] RUN cargo build --release\n#7 0.214 error: toolchain '1.82.0-x86_64-unknown-linux-gnu' is "
        "not installed\n"
        '#7 ERROR: process "/bin/sh -c cargo build --release" did not complete successfully: exit code: 1\n',
        "dependency-resolution",
    ),
]


@pytest.mark.parametrize(
    ("status", "category"),
    [("429 Too Many Requests", "registry-rate-limit"), ("401 Unauthorized", "registry-auth")],
)
def test_a_registry_refusal_is_not_read_as_its_server_error(status: str, category: str) -> None:
    log = (
        "ERROR: failed to solve: node:20: failed to resolve source metadata for docker.io/library/node:20: failed to "
        "copy: httpReadSeeker: failed open: unexpected status code "
        f"https://registry-1.docker.io/v2/library/node/manifests/sha256:5e6f: {status}\n"
    )
    assert diagnose_bytes(log).root_cause == category


@pytest.mark.parametrize(
    ("command", "output"),
    [
        (
            'wget -q https://example.org/tool.tgz && echo "${TOOL_SHA}  tool.tgz" | sha256sum -c - && tar xzf tool.tgz',
            "tool.tgz: FAILED\nsha256sum: WARNING: 1 of 1 computed checksums did NOT match",
        ),
        (
            'curl -sSLo app.zip https://example.org/app.zip && echo "$APP_MD5  app.zip" | md5sum -c',
            "app.zip: FAILED\nmd5sum: WARNING: 1 of 1 computed checksums did NOT match",
        ),
    ],
)
def test_busybox_and_md5sum_checksum_mismatches_of_a_download_are_download_failed(command: str, output: str) -> None:
    for log in both_builders(command, output):
        assert diagnose_bytes(log).root_cause == "download-failed"


OWN_CHECKS = [
    (
        "if [ -z \"$approot\" ]; then echo '[Error] Empty approot path.'; exit 1; fi && useradd -r app",
        "[Error] Empty approot path.",
    ),
    ('test -n "$API_TOKEN" || (echo "API_TOKEN is not set" >&2 && exit 1)', "API_TOKEN is not set"),
    (
        '[ -f "config/$ENV.yml" ] || { echo "no config for $ENV"; false; }',
        "no config for staging",
    ),
]


@pytest.mark.parametrize(("command", "output"), OWN_CHECKS)
def test_a_check_that_echoes_its_own_message_and_exits_is_the_dockerfile_failing_on_purpose(
    command: str, output: str
) -> None:
    for log in both_builders(command, output):
        assert diagnose_bytes(log).root_cause == "script-error"


def test_a_message_after_another_programs_failure_is_not_an_own_check() -> None:
    """`tool || (echo "..."; exit 1)` echoes after the tool failed: the tool's own words decide (here the structural
    reader's permission-denied), as they would without the echo."""
    command = 'mytool --init || (echo "init failed"; exit 1)'
    for log in both_builders(command, "mytool: cannot open /data: Read-only file system\ninit failed"):
        assert diagnose_bytes(log).root_cause == "permission-denied"


@pytest.mark.parametrize(
    "output",
    [
        "A compatible installed .NET Core SDK for global.json version [2.2.100] from [/src/global.json] was not found\n"
        "Install the [2.2.100] .NET Core SDK or update [/src/global.json] with an installed .NET Core SDK:\n"
        "  2.2.402 [/usr/share/dotnet/sdk]",
        "A compatible .NET SDK was not found.\n\nRequested SDK version: 8.0.100\nglobal.json file: /src/global.json\n\n"
        "Installed SDKs:\n9.0.101 [/usr/share/dotnet/sdk]",
    ],
)
def test_a_dotnet_sdk_that_global_json_pins_and_the_image_lacks_is_dependency_resolution(output: str) -> None:
    for log in both_builders("dotnet publish -c Release -o /out", output, code=145):
        assert diagnose_bytes(log).root_cause == "dependency-resolution"


def test_the_crystal_compilers_error_is_a_compile_error() -> None:
    output = (
        "Dependencies are satisfied\nBuilding: api\nError target api failed to compile:\n"
        "Error in src/api.cr:42: undefined method 'to_json' for Nil\n\n  render json: user.to_json\n"
    )
    for log in both_builders("shards install && shards build api --release", output):
        assert diagnose_bytes(log).root_cause == "compile-error"


# A crash by signal in a step built for another platform (agent/buildlog/emulation.py), and QEMU's own words.
EMULATED_CRASHES = [
    "#12 [linux/arm64 builder 4/7] RUN npm ci\n#12 41.07 Segmentation fault (core dumped)\n"
    '#12 ERROR: process "/bin/sh -c npm ci" did not complete successfully: exit code: 139\n',
    " > [linux/amd64->riscv64 build 5/9] RUN ./configure && make:\n0.512 Illegal instruction\n"
    'ERROR: failed to solve: process "/bin/sh -c ./configure && make" did not complete successfully: exit code: 132\n',
    "$ docker buildx build --platform linux/amd64,linux/arm/v7 -t app .\n#9 [5/6] RUN pip wheel -r requirements.txt\n"
    "#9 88.1 Bus error (core dumped)\n"
    '#9 ERROR: process "/bin/sh -c pip wheel -r requirements.txt" did not complete successfully: exit code: 135\n',
    "#20 12.3 aarch64-binfmt-P: QEMU internal SIGSEGV {code=MAPERR, addr=0x10}\n",
    "#7 3.2 W: Module binfmt_misc not loaded in host; run: sudo modprobe binfmt_misc\n",
    "#14 60.0 Error: Cannot find module '../lightningcss.linux-arm64-musl.node'\n#14 60.0 Require stack:\n"
    "#14 60.0 - /app/node_modules/lightningcss/node/index.js\n",
]


@pytest.mark.parametrize("log", EMULATED_CRASHES)
def test_a_crash_under_emulation_or_a_missing_platform_binary_is_platform_mismatch(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "platform-mismatch"


def test_a_crash_in_a_step_of_the_builders_own_platform_is_not_read_as_emulation() -> None:
    log = (
        "#12 [builder 4/7] RUN ./bin/generate\n#12 41.07 Segmentation fault (core dumped)\n"
        '#12 ERROR: process "/bin/sh -c ./bin/generate" did not complete successfully: exit code: 139\n'
    )
    assert diagnose_bytes(log).root_cause != "platform-mismatch"


# The FROM image's registry that cannot be reached, in more of its wordings; ECR's expired login.
REGISTRY_LOGS = [
    (
        "#3 [internal] load metadata for docker.io/library/python:3.12-slim\n"
        '#3 ERROR: failed to authorize: failed to fetch oauth token: Post "https://auth.docker.io/token": dial tcp '
        "104.18.42.1:443: i/o timeout\n",
        "base-image",
    ),
    (
        "failed to solve with frontend dockerfile.v0: failed to create LLB definition: failed to authorize: rpc "
        'error: code = Unknown desc = failed to fetch oauth token: Get "https://ghcr.io/token?scope=repository'
        '%3Aacme%2Fbase%3Apull&service=ghcr.io": net/http: TLS handshake timeout\n',
        "base-image",
    ),
    (
        " > [build 1/4] FROM docker.io/library/node:22@sha256:4f0c:\n"
        "ERROR: failed to solve: failed to copy: httpReadSeeker: failed open: could not fetch content descriptor "
        "sha256:77aa01b2c3 (application/vnd.oci.image.layer.v1.tar+gzip) from remote: not found\n",
        "base-image",
    ),
    (
        "Step 1 : FROM debian:jessie\nPulling repository docker.io/library/debian\n"
        "Error pulling image (jessie) from docker.io/library/debian, Server error: Status 502 while fetching "
        "image layer (8a1b2c3d4e5f)\n",
        "base-image",
    ),
    (
        "ERROR: failed to solve: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/base:3: pull access denied, "
        "repository does not exist or may require authorization: denied: Your authorization token has expired. "
        "Reauthenticate and try again.\n",
        "registry-auth",
    ),
]


def test_a_refused_token_request_stays_registry_auth() -> None:
    log = (
        "#4 ERROR: failed to authorize: failed to fetch oauth token: unexpected status from GET request to "
        "https://auth.docker.io/token?scope=repository%3Aacme%2Fprivate%3Apull: 401 Unauthorized\n"
    )
    assert diagnose_bytes(log).root_cause == "registry-auth"


# More sibling wordings (pnpm, old pip, poetry, a Dockerfile path that is a directory).
MORE_FAMILY_LOGS = [
    (
        "#14 [deps 4/6] RUN pnpm install --frozen-lockfile\n#14 2.114  ERR_PNPM_LINKING_FAILED  Error: EXDEV: "
        'cross-device link not permitted\n#14 2.115   × failed to create symlink at "/app/node_modules/x": '
        "Cross-device link (os error 18)\n",
        "platform-mismatch",
    ),
    (
        "#9 [4/6] RUN pnpm install\n"
        "#9 3.30  WARN  GET https://registry.npmjs.org/@acme/utils/-/utils-2.0.0.tgz error (ERR_PNPM_FETCH_404).\n"
        '#9 ERROR: process "/bin/sh -c pnpm install" did not complete successfully: exit code: 1\n',
        "npm-dependency",
    ),
    (
        "Step 5/7 : RUN pip install pandas\n ---> Running in 1a2b\nCollecting pandas\nBuilding wheels for "
        "collected packages: pandas\n  Running setup.py bdist_wheel for pandas: started\n"
        "  Running setup.py bdist_wheel for pandas: finished with status 'error'\n"
        "The command '/bin/sh -c pip install pandas' returned a non-zero code: 1\n",
        "pip-build",
    ),
    (
        "#7 [5/7] RUN poetry install --no-root\n#7 1.20 Installing dependencies from lock file\n"
        "#7 4.88 Readme path `/app/README.rst` does not exist.\n"
        '#7 ERROR: process "/bin/sh -c poetry install --no-root" did not complete successfully: exit code: 1\n',
        "context-file-missing",
    ),
    (
        "failed to solve: rpc error: code = Unknown desc = failed to solve with frontend dockerfile.v0: failed to "
        "read dockerfile: read /var/lib/docker/tmp/buildkit-mount20231/api: is a directory\n",
        "context-file-missing",
    ),
]


@pytest.mark.parametrize(
    ("command", "output", "category"),
    [
        (
            "mytool init --profile $PROFILE",
            "usage: mytool init [-h] [--profile NAME]\nmytool init: error: argument --profile: expected one argument",
            "script-error",
        ),
        (
            "apt-get install -y --allow-downgrades libnccl2=2.4.8-1+cuda10.1",
            "The following held packages will be changed:\n  libnccl2\n"
            "E: Held packages were changed and -y was used without --allow-change-held-packages.",
            "apt-package",
        ),
    ],
)
def test_an_option_without_its_value_and_a_held_package(command: str, output: str, category: str) -> None:
    for log in both_builders(command, output, code=2 if category == "script-error" else 100):
        assert diagnose_bytes(log).root_cause == category


@pytest.mark.parametrize(("log", "category"), FAMILY_LOGS + REGISTRY_LOGS + MORE_FAMILY_LOGS)
def test_sibling_wordings_of_known_message_families(log: str, category: str) -> None:
    assert diagnose_bytes(log).root_cause == category
