"""The structural reader: the failing step's command and its last lines decide the family when no pattern knows
the wording; a literal answer the command cannot produce becomes `unknown` with both candidates."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from agent.buildlog.structure import read, tools_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("command", "families"),
    [
        ("apt-get update && apt-get install -y python3 && pip install -r requirements.txt", ["apt", "pip"]),
        ("cd /app && CGO_ENABLED=0 go mod download", ["go-deps"]),
        ("corepack enable pnpm && pnpm run build", ["npm", "node-build"]),
        ('APT="apt-get install -y" && $APT curl', ["script"]),
        ("curl -fsSL https://example.org/install.sh | bash -", ["download", "script"]),
        ("yarn install --frozen-lockfile", ["npm"]),
        ("./gradlew build -x test", ["jvm"]),
    ],
)
def test_a_command_line_splits_into_its_tools(command: str, families: list[str]) -> None:
    assert tools_of(command) == families


def test_family_and_evidence_make_an_answer_the_family_alone_only_a_candidate() -> None:
    sure = read("go mod download", 1, ["go: example.com/m@v1.0.0: Get https://goproxy.example/m: socket hang up"])
    assert sure.best() is not None and sure.best()[0] == "dependency-resolution" and sure.best()[1] >= 0.5
    vague = read("go mod download", 1, ["go: something went wrong"])
    assert vague.best() is not None and vague.best()[1] < 0.5


def test_an_unknown_wording_under_a_known_tool_is_answered() -> None:
    """No pattern knows this wording; the command (npm ci) and a network word decide npm-network."""
    log = (
        "Step 4/6 : RUN npm ci\n"
        " ---> Running in 1f2e3d4c5b6a\n"
        "npm error code EWEIRDNET\n"
        "npm error gave up waiting for the registry: connection closed by peer\n"
        "The command '/bin/sh -c npm ci' returned a non-zero code: 1\n"
    )
    result = diagnose_bytes(log)
    assert result.root_cause == "npm-network"
    assert result.findings[0].pattern.startswith("structure-npm")
    assert 0.5 <= result.confidence < 0.85


def test_the_command_s_own_family_beats_an_earlier_warning_of_another_family() -> None:
    log = (
        "Step 2/5 : RUN apk add --no-cache curl\n"
        "WARNING: Ignoring https://mirror.example/alpine/v3.19/main: Permission denied\n"
        "ERROR: unable to select packages:\n"
        "  curl (no such package):\n"
        "    required by: world[curl]\n"
        "The command '/bin/sh -c apk add --no-cache curl' returned a non-zero code: 1\n"
    )
    assert diagnose_bytes(log).root_cause == "apk-package"


def test_a_literal_answer_the_command_cannot_produce_is_unknown_with_both_candidates() -> None:
    """`yarn install` cannot fail with a Python build error; the step's network lines point elsewhere."""
    log = (
        "Step 5/9 : RUN yarn install\n"
        "error: command 'gcc' failed with exit status 1\n"
        "info There appears to be trouble with your network connection. Retrying...\n"
        'error An unexpected error occurred: "https://registry.yarnpkg.com/x/-/x-1.0.0.tgz: socket hang up".\n'
        "The command '/bin/sh -c yarn install' returned a non-zero code: 1\n"
    )
    result = diagnose_bytes(log)
    categories = [c["category"] for c in result.candidates]
    assert result.root_cause in ("unknown", "npm-network")
    assert "npm-network" in categories


def test_strong_evidence_stands_without_a_known_command() -> None:
    log = "#9 [4/6] RUN ./build-everything\n#9 12.3 write /out/blob: no space left on device\n"
    assert diagnose_bytes(log).root_cause == "disk-full"


def test_a_killed_compiler_is_out_of_memory_not_a_compile_error() -> None:
    log = (
        "Step 9/12 : RUN cargo build --release\n"
        "   Compiling app v0.1.0 (/src)\n"
        "error: could not compile `app`\n"
        "Caused by:\n"
        "  process didn't exit successfully: `rustc --crate-name app src/main.rs` (signal: 9, SIGKILL: kill)\n"
        "The command '/bin/sh -c cargo build --release' returned a non-zero code: 101\n"
    )
    assert diagnose_bytes(log).root_cause == "out-of-memory"


def test_a_command_of_no_known_tool_that_prints_its_own_error_is_a_script_error() -> None:
    """Issue 12f: the project's own CLI (`cfer version`) printing only its own error; with other evidence (a compiler
    line under `mix do deps.get, compile`), the other evidence decides."""
    cli = (
        "Step 6/6 : RUN cfer version\ncfer: unknown command 'version'\n"
        "The command '/bin/sh -c cfer version' returned a non-zero code: 1\n"
    )
    assert diagnose_bytes(cli).root_cause == "script-error"
    mix = (
        "Step 9/15 : RUN mix do deps.get, deps.compile, compile\n==> cowlib (compile)\n"
        "src/cow_sse.erl:32: syntax error before: ':='\n"
        "ERROR: compile failed while processing /opt/app/deps/cowlib: rebar_abort\n"
        "The command '/bin/sh -c mix do deps.get, deps.compile, compile' returned a non-zero code: 1\n"
    )
    assert diagnose_bytes(mix).root_cause == "compile-error"


def test_setup_py_crashing_is_a_pip_build_failure_and_yarn_missing_command() -> None:
    """Issue 12f: `python setup.py install` whose setup.py raises (a SyntaxError on this Python) is pip-build, not a
    withheld script-error; yarn's `error Command "pulp" not found.` is a missing command."""
    setup = (
        "Step 7/9 : RUN python setup.py install\nTraceback (most recent call last):\n"
        '  File "setup.py", line 12\n    print "x"\n            ^\nSyntaxError: invalid syntax\n'
        "The command '/bin/sh -c python setup.py install' returned a non-zero code: 1\n"
    )
    assert diagnose_bytes(setup).root_cause == "pip-build"
    yarn = (
        'Step 6/7 : RUN yarn run build-all\n$ pulp build\nerror Command "pulp" not found.\n'
        "error Command failed with exit code 1.\n"
        "The command '/bin/sh -c yarn run build-all' returned a non-zero code: 1\n"
    )
    assert diagnose_bytes(yarn).root_cause == "command-not-found"


def test_a_source_line_number_is_no_http_status() -> None:
    """Issue 12f: `build.go:502:12` is a line number, not a 502 Bad Gateway; `go get` compiling what it fetched is a
    compile error."""
    reading = read("go get x", 2, ["src/x/build/build.go:502:12: undefined: compiler.CheckGoVersion"])
    assert "network" not in reading.kinds
    log = (
        "Step 3/15 : RUN go get github.com/gopherjs/gopherjs\n# github.com/gopherjs/gopherjs/build\n"
        "src/github.com/gopherjs/gopherjs/build/build.go:70:43: undefined: compiler.GoVersion\n"
        "src/github.com/gopherjs/gopherjs/build/build.go:502:12: undefined: compiler.CheckGoVersion\n"
        "The command '/bin/sh -c go get github.com/gopherjs/gopherjs' returned a non-zero code: 2\n"
    )
    assert diagnose_bytes(log).root_cause == "compile-error"


# Issue 12f: classes of wording, not single lines (these lines are written for the test, not taken from a set).
FAILED = 'ERROR: failed to solve: process "/bin/sh -c {}" did not complete successfully: exit code: {}'


@pytest.mark.parametrize(
    ("log", "category"),
    [
        # a version line of a known tool: the runtime or toolchain does not fit the dependency
        (
            " > [build 5/7] RUN go build -o /app .:\n"
            "0.1 go: go.mod requires go >= 9.1 (running go 9.0; GOTOOLCHAIN=local)\n"
            + FAILED.format("go build -o /app .", 1),
            "dependency-resolution",
        ),
        # make is a wrapper: the go line under it is go's
        (
            " > [b 4/5] RUN make deps:\n0.2 go: go.mod requires go >= 9.1 (running go 9.0)\n"
            "0.2 make: *** [Makefile:3: deps] Error 1\n" + FAILED.format("make deps", 2),
            "dependency-resolution",
        ),
        # a make target that runs the tests
        (
            "Step 5/6 : RUN make\n--- FAIL: TestX (0.00s)\nFAIL\nmake: *** [Makefile:9: unit-test] Error 1\n"
            "The command '/bin/sh -c make' returned a non-zero code: 2",
            "test-failure",
        ),
        # V8's GC trace without the heap line
        (
            " > [b 6/6] RUN npm run build:\n40.1 <--- Last few GCs --->\n40.1 [1:0x1]  9 ms: Mark-Compact "
            "2040.1 (2080.2) -> "
            "2039.9 (2080.2) MB, 900.1 / 0.0 ms  allocation failure",
            "out-of-memory",
        ),
        # a pip traceback through the network stack, its last line cut off
        (
            "Step 4/9 : RUN pip install -r requirements.txt\nTraceback (most recent call last):\n"
            '  File "/usr/local/lib/python3.12/site-packages/pip/_vendor/urllib3/response.py", line 1, in read\n'
            "    with self._error_catcher():",
            "pip-network",
        ),
        # a venv's pip called by its path
        (
            "Step 6/9 : RUN /venv/bin/pip install -r requirements.txt\nWARNING: Retrying (Retry(total=0)) "
            "after connection "
            "broken by 'NewProblem()': /simple/x/\nThe command '/bin/sh -c /venv/bin/pip install -r requirements.txt' "
            "returned a non-zero code: 1",
            "pip-network",
        ),
        # a conda solver excerpt without any command
        (
            "Solving environment: failed\n\nUnsatisfiableError: The following specifications were found to be in "
            "conflict:\n  - a -> b[version='>=2']",
            "dependency-resolution",
        ),
    ],
)
def test_a_new_wording_of_a_known_class_lands_in_its_family(log: str, category: str) -> None:
    assert diagnose_bytes(log).root_cause == category


def test_progress_lines_are_not_evidence() -> None:
    """pip's `Installing build dependencies: finished` and npm's `WARN notsup` say nothing about the failure."""
    pip = (
        " > [4/6] RUN pip install -r requirements.txt:\n3.0   Installing build dependencies: finished "
        "with status 'done'\n"
        "9.4   Getting requirements to build wheel: finished with status 'done'\n60.2 ERROR: Exception:\n"
        "60.2 pip._vendor.urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool(host='x', port=443): "
        "Read timed out.\n"
        "ERROR: Service 'web' failed to build : Build failed"
    )
    assert diagnose_bytes(pip).root_cause == "pip-network"
    warned = read("npm ci && npm run build", 1, ["npm WARN notsup Unsupported engine for x@1: wanted node >= 99"])
    assert "resolve" not in warned.kinds


def test_a_registry_refusal_named_on_the_base_image_line_is_the_refusal() -> None:
    limited = (
        "ERROR: failed to solve: node:20: failed to resolve source metadata for docker.io/library/node:20: unexpected "
        "status code https://registry-1.docker.io/v2/library/node/manifests/x: 429 Too Many Requests - Server message: "
        "toomanyrequests: You have reached your pull rate limit."
    )
    assert diagnose_bytes(limited).root_cause == "registry-rate-limit"
    missing = (
        "ERROR: pull access denied for acme/nope, repository does not exist or may require 'docker login': denied: x"
    )
    assert diagnose_bytes(missing).root_cause == "base-image"


def test_a_tool_called_by_its_path_is_that_tool() -> None:
    assert tools_of("/opt/venv/bin/pip install x && ~/.local/bin/poetry install") == ["pip", "lang-deps"]
    assert tools_of("/app/entrypoint.sh build") == ["script"]


def test_apt_get_install_without_yes_that_fails_silently_is_apt_package_with_the_assume_yes_fix() -> None:
    log = (
        "#7 [3/5] RUN apt-get update && apt-get install -y curl && apt-get install unzip\n"
        'ERROR: failed to solve: process "/bin/sh -c apt-get update && apt-get install -y curl && apt-get install'
        ' unzip" did not complete successfully: exit code: 100\n'
    )
    result = diagnose_bytes(log)
    assert result.root_cause == "apt-package"
    assert result.findings[0].fixes[0].id == "apt-assume-yes"


def test_apt_get_install_with_yes_that_fails_silently_is_not_read_as_a_prompt() -> None:
    log = (
        "#7 [3/5] RUN apt-get update && apt-get install -y unzip\n"
        'ERROR: failed to solve: process "/bin/sh -c apt-get update && apt-get install -y unzip" did not complete'
        " successfully: exit code: 100\n"
    )
    assert diagnose_bytes(log).root_cause == "unknown"


def test_a_python_traceback_source_line_is_not_network_evidence() -> None:
    lines = [
        "Traceback (most recent call last):",
        'File "/usr/local/lib/python3.7/urllib/request.py", line 222, in urlopen',
        "return opener.open(url, data, timeout)",
        'File "/usr/local/lib/python3.7/urllib/request.py", line 503, in _call_chain',
        "result = func(*args)",
        "ValueError: bad setup.py",
    ]
    reading = read("python setup.py develop", 1, lines)
    assert "network" not in reading.kinds
    assert reading.best() == ("pip-build", pytest.approx(0.54))


def test_a_go_line_that_is_also_a_resolution_failure_stays_one_under_make() -> None:
    log = (
        "Step 5/10 : RUN make install\n"
        " ---> Running in 1a2b3c4d5e6f\n"
        'cli/app.go:10:2: cannot find package "github.com/acme/app/config" in any of:\n'
        "\t/usr/local/go/src/github.com/acme/app/config (from $GOROOT)\n"
        "\t/go/src/github.com/acme/app/config (from $GOPATH)\n"
        'cli/app.go:11:2: cannot find package "github.com/acme/app/logger" in any of:\n'
        "make: *** [Makefile:5: install] Error 1\n"
        "The command '/bin/sh -c make install' returned a non-zero code: 2\n"
    )
    assert diagnose_bytes(log).root_cause == "dependency-resolution"


# Issue 12h: more classes of wording (written for the test, not taken from a set).
@pytest.mark.parametrize(
    ("log", "category"),
    [
        # a host name that does not resolve, in RubyGems' words
        (
            "Step 8/16 : RUN bundle install\nFetching rake 13.0.1\n"
            "Gem::RemoteFetcher::UnknownHostError: no such name (https://gems.example.org/gems/rake-13.0.1.gem)\n"
            "The command '/bin/sh -c bundle install' returned a non-zero code: 5",
            "dependency-resolution",
        ),
        # a package manager's own version check
        (
            " > [b 4/7] RUN uv sync --frozen:\n0.1 error: Required uv version `>=9.1` does not match the running "
            "version `9.0.3`\n" + FAILED.format("uv sync --frozen", 2),
            "dependency-resolution",
        ),
        # an installer's own check for a prerequisite
        (
            "Step 11/28 : RUN curl -s https://get.example.org | bash\nLooking for zip...\nNot found.\n"
            " Please install zip on your system using your favourite package manager.\n"
            "The command '/bin/sh -c curl -s https://get.example.org | bash' returned a non-zero code: 1",
            "command-not-found",
        ),
        # apt's index refused by a proxy
        (
            " > [2/2] RUN apt-get update && apt-get install -y git:\n"
            "0.5 Err:1 http://archive.example.org/ubuntu jammy InRelease\n"
            "0.5   Unauthorized access to this mirror\n0.6 E: Unable to fetch jammy: 401 Unauthorized\n"
            + FAILED.format("apt-get update && apt-get install -y git", 100),
            "apt-repository",
        ),
        # a file of a package under node_modules: the package is not installed
        (
            " > [build 9/9] RUN pnpm build:\n1.1 Error: Cannot find module '/app/node_modules/vite/bin/vite.js'\n"
            "1.2  ELIFECYCLE  Command failed with exit code 1.\n" + FAILED.format("pnpm build", 1),
            "npm-dependency",
        ),
    ],
)
def test_issue_12h_wordings_land_in_their_family(log: str, category: str) -> None:
    assert diagnose_bytes(log).root_cause == category


def test_a_package_not_found_after_the_index_could_not_be_fetched_is_the_index() -> None:
    """apt's `Unable to locate package` is the cascade of an update that could not reach the mirror (issue 12h)."""
    log = (
        "Step 3/6 : RUN apt-get update && apt-get install -y curl\n"
        "Err:1 http://deb.example.org/debian bookworm InRelease\n"
        "  Could not connect to deb.example.org:80 (192.0.2.7), connection timed out\n"
        "Reading package lists...\nE: Unable to locate package curl\n"
        "The command '/bin/sh -c apt-get update && apt-get install -y curl' returned a non-zero code: 100\n"
    )
    result = diagnose_bytes(log)
    assert result.root_cause == "apt-repository"
    assert "apt-package" in [c["category"] for c in result.candidates]


def test_a_located_compiler_line_whose_message_is_a_missing_package_is_not_a_compile_error() -> None:
    """`x.go:5:2: <message>` says where, the message says what (issue 12h): a Go line under a project script that
    cannot find a module is a resolution failure, read with the go family the file's extension names."""
    log = (
        "Step 6/9 : RUN ./scripts/build.sh\n"
        "main.go:5:2: cannot find module providing package example.com/acme/lib: import lookup disabled\n"
        "The command '/bin/sh -c ./scripts/build.sh' returned a non-zero code: 1\n"
    )
    assert diagnose_bytes(log).root_cause == "dependency-resolution"
    compiler = log.replace(
        "cannot find module providing package example.com/acme/lib: import lookup disabled", "x := 1"
    )
    assert diagnose_bytes(compiler).root_cause == "compile-error"


def test_a_timeout_inside_an_identifier_or_a_file_name_is_no_network_evidence() -> None:
    from agent.buildlog.families import EVIDENCE

    assert not EVIDENCE["network"].search("copying src/gevent/tests/test__socket_timeout.py -> build/lib")
    assert not EVIDENCE["network"].search("if (cache_set(uwsgi.ssl_sessions_timeout)) {")
    assert EVIDENCE["network"].search("Read timed out.") and EVIDENCE["network"].search("npm ERR! network timeout at")


# Issue 12j: compile-error needs a compiler's or toolchain's own diagnostic.
@pytest.mark.parametrize(
    "line",
    [
        "See our docs page for more info on this error: https://example.dev/debug-html",
        "Read more: https://err.sh/next.js/prerender-error:",
        "swift-build: error: the package could not be built",
        "MSBUILD : error MSB4236: The SDK 'Microsoft.NET.Sdk' specified could not be found.",
    ],
)
def test_an_error_word_that_is_no_compiler_diagnostic_is_not_compile_evidence(line: str) -> None:
    from agent.buildlog.families import EVIDENCE

    assert not EVIDENCE["compile"].search(line)


@pytest.mark.parametrize(
    "line",
    [
        "src/main.c:4:10: fatal error: zlib.h: No such file or directory",
        "error[E0425]: cannot find value `x` in this scope",
        "error: linking with `cc` failed: exit status: 1",
        "collect2: error: ld returned 1 exit status",
        "gcc: error: unrecognized command-line option '-mavx512'",
        "Program.cs(10,13): error CS0103: The name 'foo' does not exist in the current context",
        "Attempted import error: 'use' is not exported from 'react' (imported as 'React').",
    ],
)
def test_a_compiler_diagnostic_is_compile_evidence(line: str) -> None:
    from agent.buildlog.families import EVIDENCE

    assert EVIDENCE["compile"].search(line)


# Issue 12j: the structural reader reads the new classes in wordings no pattern has.
@pytest.mark.parametrize(
    ("log", "category"),
    [
        # poetry building a package whose backend failed, in a wording of its own
        (
            " > [app 5/8] RUN poetry install --no-root:\n12.1   • Installing lxml (4.9.1)\n"
            "12.9   ChefBuildError\n12.9   error: command 'x86_64-linux-gnu-gcc' failed\n"
            + FAILED.format("poetry install --no-root", 1),
            "pip-build",
        ),
        # conda's connection failure in its own words, without an HTTP status
        (
            "Step 4/7 : RUN conda install -y numpy\n ---> Running in 0a1b2c3d4e5f\n"
            "An HTTP error occurred: CONNECTION FAILED while fetching https://repo.anaconda.com/pkgs/main/repodata.json\n"
            "The command '/bin/sh -c conda install -y numpy' returned a non-zero code: 1",
            "dependency-resolution",
        ),
    ],
)
def test_issue_12j_classes_land_in_their_family(log: str, category: str) -> None:
    assert diagnose_bytes(log).root_cause == category


def test_a_swift_package_resolution_failure_under_swift_build_is_not_a_compile_error() -> None:
    """`swift build` fails in its dependency resolver: `unsatisfiable` is a resolution failure (issue 12j)."""
    log = (
        "Step 6/11 : RUN swift build -c release\n ---> Running in 9e31d482cd11\n"
        "error: the package dependency graph is unsatisfiable\n"
        "The command '/bin/sh -c swift build -c release' returned a non-zero code: 1\n"
    )
    assert diagnose_bytes(log).root_cause != "compile-error"
