"""Issue 12w: the conventions set before the 12w freeze as general rules (SIGILL on the builder's own CPU, an install
hook failing on what the image lacks, a build step that needs a live service, Rust's E0658), and the general readings
behind the misses of 12v's held-out sets (modern-holdout22.yaml, shipwright-holdout23.yaml). Each reading is pinned in
the tools' own wordings (a classic and a BuildKit step), with the nearby wordings that keep their old reading and the
lines of two readings, which answer `unknown` with both."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from tests.buildsteps import both_builders, both_builders_of, buildkit_progress_step, candidate_categories, classic_step

pytestmark = pytest.mark.unit


SIGILL_OUTPUTS = [
    ("npm run build", "> app@1.0.0 build\n> next build\nIllegal instruction (core dumped)", 132),
    (
        "python manage.py collectstatic",
        "/bin/sh: line 1:     7 Illegal instruction     (core dumped) python manage.py collectstatic",
        132,
    ),
    ("./node_modules/.bin/esbuild --version", "Illegal instruction", 132),
    ("dnf install -y git", "Fatal glibc error: CPU does not support x86-64-v2", 127),
    (
        "python -c 'import tensorflow'",
        "The TensorFlow library was compiled to use AVX instructions, but these aren't available on your machine.\n"
        "Aborted (core dumped)",
        134,
    ),
    ("./bin/tool generate", "SIGILL: illegal instruction\nPC=0x45b6c1 m=0 sigcode=2", 2),
    (
        "mvn package",
        "# A fatal error has been detected by the Java Runtime Environment:\n#  SIGILL (0x4) at pc=0x7f2b",
        134,
    ),
    ("npm ci", "npm ERR! path /app\nnpm ERR! command failed\nnpm ERR! signal SIGILL", 1),
    (
        "bun run build",
        "CPU lacks AVX support. Please consider upgrading to a newer CPU.\n"
        "panic(main thread): Illegal instruction at address 0x4001FB4",
        132,
    ),
    ("make", "make: *** [Makefile:12: build] Error 132", 2),
]


@pytest.mark.parametrize("log", both_builders_of(SIGILL_OUTPUTS))
def test_sigill_on_the_builders_cpu_is_platform_mismatch(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "platform-mismatch"


@pytest.mark.parametrize("log", both_builders("bun install", "bun install v1.1.0 (5f84de5b)", 132))
def test_a_bare_exit_code_132_is_platform_mismatch_with_the_cpu_level_fix_first(log: str) -> None:
    result = diagnose_bytes(log)
    assert result.root_cause == "platform-mismatch"
    assert result.findings[0].fixes[0].id == "cpu-level-base"


def test_sigill_nearby_wordings_keep_their_readings() -> None:
    # QEMU's own report stays the emulator's (the same category, its own pattern)
    qemu = buildkit_progress_step(
        "npm install", "qemu: uncaught target signal 4 (Illegal instruction) - core dumped", 132
    )
    assert diagnose_bytes(qemu).findings[0].pattern == "emulator-crash"
    # a segmentation fault (139) is not SIGILL
    assert diagnose_bytes(classic_step("npm run build", "Segmentation fault (core dumped)", code=139)).root_cause != (
        "platform-mismatch"
    )
    # a line that only names the word in prose is not a crash
    assert diagnose_bytes(
        classic_step("make test", "test_illegal_instruction_handler ... FAILED", code=2)
    ).root_cause != ("platform-mismatch")


HUSKY_OUTPUTS = [
    (
        "npm ci",
        "npm ERR! code 1\nnpm ERR! path /app\nnpm ERR! command failed\nnpm ERR! command sh -c husky install\n"
        "npm ERR! husky - .git can't be found (see https://typicode.github.io/husky/#/?id=custom-directory)",
    ),
    (
        "yarn install --frozen-lockfile",
        "[4/4] Building fresh packages...\n$ husky install\nhusky - Git hooks failed to install\nspawnSync git ENOENT\n"
        "error Command failed with exit code 1.",
    ),
    (
        "yarn install",
        "error /app/node_modules/husky: Command failed.\nExit code: 1\nCommand: node husky install\n"
        "husky > Setting up git hooks\nfatal: not a git repository (or any parent up to mount point /)\n"
        "husky > Failed to install",
    ),
    (
        "pnpm install --frozen-lockfile",
        ". prepare$ husky install\n. prepare: husky - .git can't be found\n. prepare: Failed\n"
        " ELIFECYCLE  Command failed with exit code 1.",
    ),
]


@pytest.mark.parametrize("log", both_builders_of(HUSKY_OUTPUTS))
def test_an_install_hook_failing_for_want_of_git_is_script_error(log: str) -> None:
    result = diagnose_bytes(log)
    assert result.root_cause == "script-error"
    assert result.findings[0].fixes[0].id == "install-hook-skip"


@pytest.mark.parametrize(
    "log",
    both_builders(
        "npm ci --omit=dev",
        "npm error code 127\nnpm error path /app\nnpm error command failed\nnpm error command sh -c husky\n"
        "npm error sh: 1: husky: not found",
        127,
    ),
)
def test_husky_not_installed_for_its_hook_reads_two_ways(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "unknown"
    assert candidate_categories(log)[:2] == ["script-error", "command-not-found"]


def test_install_hook_nearby_wordings_keep_their_readings() -> None:
    # husky 9 and husky 4's skip only print: no failure of their own
    skipped = buildkit_progress_step("npm ci", "> prepare\n> husky\n\n.git can't be found\nnpm ERR! code 1")
    assert diagnose_bytes(skipped).root_cause != "script-error"
    # another program not installed stays command-not-found
    assert diagnose_bytes(
        buildkit_progress_step("npm run build", "> tsc -p .\nsh: 1: tsc: not found", 127)
    ).root_cause == ("command-not-found")
    # a lock file out of date that mentions husky stays the install tree's state
    outdated = buildkit_progress_step(
        "pnpm install --frozen-lockfile",
        ' ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is not up to date '
        'with package.json\n  specifiers in the lockfile ({}) don\'t match specs in package.json ({"husky":"^8.0.0"})',
    )
    assert diagnose_bytes(outdated).root_cause == "npm-dependency"


P1001 = (
    "Prisma schema loaded from prisma/schema.prisma\n"
    'Datasource "db": PostgreSQL database "app", schema "public" at "db:5432"\n\n'
    "Error: P1001: Can't reach database server at `db`:`5432`\n\n"
    "Please make sure your database server is running at `db`:`5432`."
)
SERVICE_OUTPUTS = [
    ("npx prisma migrate deploy", P1001),
    ("npx prisma db push", P1001),
    ("npx prisma migrate dev --name init", "Error: P1001\n\nCan't reach database server at `localhost`:`5432`"),
    (
        "python manage.py migrate",
        "django.db.utils.OperationalError: could not connect to server: Connection refused\n"
        '\tIs the server running on host "db" (172.18.0.2) and accepting\n\tTCP/IP connections on port 5432?',
    ),
    (
        "bundle exec rake db:migrate",
        "rake aborted!\nActiveRecord::ConnectionNotEstablished: could not connect to server: No such file or "
        "directory\n\tIs the server running locally and accepting\n"
        '\tconnections on Unix domain socket "/tmp/.s.PGSQL.5432"?',
    ),
    ("php artisan migrate", "SQLSTATE[HY000] [2002] Connection refused (SQL: select * from information_schema.tables)"),
    ("npm run seed", "MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017"),
    ("npm run migration:run", "Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect"),
    (
        "mvn package",
        "org.postgresql.util.PSQLException: Connection to localhost:5432 refused. Check that the hostname and port are "
        "correct and that the postmaster is accepting TCP/IP connections.",
    ),
    (
        "npm test",
        "FAIL src/db.test.ts\n  ● Test suite failed to run\n"
        "    PrismaClientInitializationError: Can't reach database server at `localhost`:`5432`",
    ),
]


@pytest.mark.parametrize("log", both_builders_of(SERVICE_OUTPUTS))
def test_a_step_that_needs_a_live_service_is_script_error(log: str) -> None:
    result = diagnose_bytes(log)
    assert result.root_cause == "script-error"
    assert result.findings[0].fixes[0].id == "build-service-step"


def test_live_service_nearby_wordings_keep_their_readings() -> None:
    # the npm registry refusing the connection stays npm's network
    registry = buildkit_progress_step(
        "npm install",
        "npm ERR! code ECONNREFUSED\nnpm ERR! FetchError: request to https://registry.npmjs.org/express failed, "
        "reason: connect ECONNREFUSED 104.16.0.35:443",
    )
    assert diagnose_bytes(registry).root_cause == "npm-network"
    # a DATABASE_URL the build does not set stays the configuration reading (12k), with its own fix
    config = buildkit_progress_step("npx prisma generate", "Error: Environment variable not found: DATABASE_URL.")
    result = diagnose_bytes(config)
    assert (result.root_cause, result.findings[0].pattern) == ("script-error", "build-config-missing")


E0658 = (
    "   Compiling ruzstd v0.8.2\nerror[E0658]: use of unstable library feature `unsigned_is_multiple_of`\n"
    "   --> /usr/local/cargo/registry/src/index.crates.io-6f17d22bba15001f/ruzstd-0.8.2/src/lib.rs:10:20\n"
    "For more information about this error, try `rustc --explain E0658`.\n"
    "error: could not compile `ruzstd` (lib) due to 1 previous error"
)


@pytest.mark.parametrize(
    "log",
    [
        *both_builders("cargo build --release", E0658, 101),
        *both_builders("cargo chef cook --release --recipe-path recipe.json", E0658, 101),
        *both_builders(
            "cargo install --path .",
            "error[E0658]: use of unstable library feature 'try_from' (see issue #33417)\n  --> src/util.rs:3:5\n"
            "error: Could not compile `electrs`.",
            101,
        ),
        *both_builders(
            "cargo build",
            "error[E0658]: `let` expressions in this position are unstable\n  --> src/main.rs:4:8\n"
            "error: could not compile `app` due to 2 previous errors",
            101,
        ),
    ],
)
def test_rust_e0658_is_compile_error(log: str) -> None:
    assert diagnose_bytes(log).root_cause == "compile-error"


@pytest.mark.parametrize(
    "output",
    [
        "error: failed to parse manifest at `/app/Cargo.toml`\n\nCaused by:\n  feature `edition2021` is required",
        "error: package `clap v4.5.4` cannot be built because it requires rustc 1.74 or newer, while the currently "
        "active rustc version is 1.70.0",
        "error: rustc 1.70.0 is not supported by the following packages:\n  clap@4.5.4 requires rustc 1.74",
        "  feature `edition2021` is required\n" + E0658,
    ],
)
def test_cargos_own_version_lines_stay_dependency_resolution(output: str) -> None:
    for log in both_builders("cargo build --release", output, 101):
        assert diagnose_bytes(log).root_cause == "dependency-resolution"


# ---------------------------------------------------------------- the misses of 12v's held-out sets, generally


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        # godownloader's install.sh with no release for this platform (tj/node-prune#74)
        (
            buildkit_progress_step(
                "curl -sfL https://install.goreleaser.com/github.com/tj/node-prune.sh | bash -s -- -b /usr/local/bin",
                "tj/node-prune crit platform linux/arm64 is not supported.  Make sure this script is up-to-date and "
                "file request at https://github.com/tj/node-prune/issues/new",
            ),
            "platform-mismatch",
        ),
        (
            classic_step(
                "curl -sSfL https://raw.githubusercontent.com/golangci/golangci-lint/master/install.sh | sh",
                "golangci/golangci-lint: platform linux/armv7 is not supported.  Make sure this script is up-to-date "
                "and file request at https://github.com/golangci/golangci-lint/issues/new",
            ),
            "platform-mismatch",
        ),
        # Node too old to parse a dependency's code under npm test and a dependency's postinstall (12k)
        (
            classic_step(
                "npm install && npm test",
                "/home/code/node_modules/grunt/node_modules/mkdirp/lib/opts-arg.js:7",
                "    opts = { mode: 0o777, fs, ...opts }",
                "SyntaxError: Unexpected token ...",
                "npm ERR! Test failed.  See above for more details.",
            ),
            "dependency-resolution",
        ),
        (
            classic_step(
                "npm install -g yo",
                "/usr/local/lib/node_modules/yo/node_modules/ejs/postinstall.js:9",
                "let envDisable = isTrue(process.env.DISABLE_OPENCOLLECTIVE)",
                "^^^",
                "SyntaxError: Unexpected strict mode reserved word",
                "npm ERR! code ELIFECYCLE",
                "npm ERR! Failed at the ejs@2.7.4 postinstall script 'node ./postinstall.js'.",
            ),
            "dependency-resolution",
        ),
        # npm's own crash (12r), in npm's own closing words
        (
            classic_step(
                "npm install -g ganache-cli",
                "npm ERR! code EMISSINGARG",
                "npm ERR! typeerror Error: Missing required argument #1",
                "npm ERR! typeerror This is an error with npm itself. Please report this error at:",
            ),
            "npm-dependency",
        ),
        # setuptools' missing distribution decides inside pip's output header
        (
            classic_step(
                "pip install -r requirements.txt",
                "    ERROR: Command errored out with exit status 1:",
                "     command: /usr/bin/python -c 'import setuptools'",
                "    Installed /tmp/pip-install-ashzao/keyring/UNKNOWN-0.0.0-py2.7.egg",
                "    pkg_resources.DistributionNotFound: hgtools",
                "ERROR: Command errored out with exit status 1: python setup.py egg_info Check the logs.",
            ),
            "pip-no-distribution",
        ),
        # make has neither the project's source file nor a rule for it: not in the image
        (
            classic_step(
                "make clean all",
                "make: *** No rule to make target `external/yaml-cpp/src/binary.cpp', needed by `all'.  Stop.",
                code=2,
            ),
            "context-file-missing",
        ),
        (
            buildkit_progress_step(
                "make", "make[2]: *** No rule to make target 'src/main.c', needed by 'src/main.o'.  Stop.", 2
            ),
            "context-file-missing",
        ),
        # yum's localinstall of what a silent curl saved
        (
            classic_step(
                "curl -s http://mirror.example.org/x.rpm -o /tmp/x.rpm && yum -y localinstall /tmp/x.rpm",
                "Loaded plugins: fastestmirror, ovl",
                "Cannot open: /tmp/x.rpm. Skipping.",
                "Error: Nothing to do",
            ),
            "download-failed",
        ),
        # the JavaScript tooling's version: packageManager names another manager or version (12o)
        (
            buildkit_progress_step(
                "yarn install",
                'error This project\'s package.json defines "packageManager": "yarn@4.4.1". However the current '
                "global version of Yarn is 1.22.22.",
            ),
            "npm-dependency",
        ),
        (
            classic_step(
                "pnpm install",
                " ERR_PNPM_BAD_PM_VERSION  This project is configured to use v9.1.0 of pnpm. Your current pnpm is "
                "v8.15.4",
            ),
            "npm-dependency",
        ),
        # a Rust -sys crate's build script without its C library
        (
            buildkit_progress_step(
                "cargo build --release",
                "  --- stderr\n  thread 'main' panicked at '\n  Could not find directory of OpenSSL installation, and "
                "this `-sys` crate cannot proceed without this knowledge.",
                101,
            ),
            "compile-error",
        ),
        # Maven's enforcer refusing the toolchain
        (
            classic_step(
                "mvn clean install",
                "[WARNING] Rule 1: org.apache.maven.plugins.enforcer.RequireMavenVersion failed with message:",
                "Detected Maven Version: 3.3.9 is not in the allowed range 3.5.",
            ),
            "dependency-resolution",
        ),
        # old ESLint with no configuration in the image
        (classic_step("npm run lint", "> eslint src", "", "No ESLint configuration found."), "context-file-missing"),
        # every error of Rosetta's emulation
        (buildkit_progress_step("./gradlew build", "rosetta error: bss_size overflow", 133), "platform-mismatch"),
        # Docker's parser refusing an instruction's arguments
        ('Step 2/2 : SHELL [ "a\\ b" ]\nSHELL requires the arguments to be in JSON form\n', "dockerfile-syntax"),
        # a fully qualified FROM image newer BuildKit names once
        ("ERROR: failed to build: failed to solve: mcr.microsoft.com/dotnet/sdk:10.0.6: not found\n", "base-image"),
        # stale lock files and dependency fetches of more tools
        (
            classic_step(
                "shards install", "Outdated shard.lock (radix requirements changed). Please run shards update instead."
            ),
            "dependency-resolution",
        ),
        (
            classic_step(
                "grails compile",
                "\tSERVER ERROR: HTTPS Required url=http://repo1.maven.org/maven2/org/grails/plugins/tomcat/2.2.5/tomcat.pom",
                "\t\t::          UNRESOLVED DEPENDENCIES         ::",
            ),
            "dependency-resolution",
        ),
        (
            classic_step(
                "npm install",
                "npm ERR! Command failed: git checkout 7bc13e1b566a9ac2a717a2b6f9cc188855277fdf",
                "npm ERR! fatal: reference is not a tree: 7bc13e1b566a9ac2a717a2b6f9cc188855277fdf",
            ),
            "npm-dependency",
        ),
        (
            classic_step(
                "pacman -Syu --noconfirm",
                'error: expat: signature from "Anatol Pomozov <anatol.pomozov@gmail.com>" is unknown trust',
                ":: File /var/cache/pacman/pkg/expat-2.2.9-3-x86_64.pkg.tar.xz is corrupted (invalid or corrupted "
                "package (PGP signature)).",
                "error: failed to commit transaction (invalid or corrupted package)",
            ),
            "apt-repository",
        ),
        # project files other tools look for (12m)
        (
            classic_step(
                "cabal v2-build", "The package directory 'deps/llvm-pretty' does not contain any .cabal file."
            ),
            "context-file-missing",
        ),
        (
            classic_step(
                "bazel build //:app",
                "ERROR: The 'build' command is only supported from within a workspace (below a directory having a "
                "WORKSPACE file).",
            ),
            "context-file-missing",
        ),
    ],
)
def test_general_readings_of_the_12v_misses(log: str, expected: str) -> None:
    assert diagnose_bytes(log).root_cause == expected


def test_12v_miss_nearby_wordings_keep_their_readings() -> None:
    # a system library make has no rule for is the project's build (k90.json#0), not a file missing from the context
    system = classic_step(
        "make",
        "make[2]: *** No rule to make target '/usr/lib/libboost_system.a', needed by 'nheqminer'.  Stop.",
        code=2,
    )
    assert diagnose_bytes(system).root_cause != "context-file-missing"
    # setuptools too old for a requirement's setup_requires stays the package's build (k103.json#35)
    old = classic_step(
        "pip install -r requirements.txt",
        "    ERROR: Command errored out with exit status 1:",
        "    pkg_resources.DistributionNotFound: setuptools>=30.3.0",
    )
    assert diagnose_bytes(old).root_cause == "pip-build"
    # yum's signature warning it recovers from is not the failure; the line that names the failing package is
    recovered = classic_step(
        "yum -y update && yum -y install java",
        "warning: /var/cache/yum/x86_64/7/updates/packages/a.rpm: Header V3 RSA/SHA256 Signature, key ID f4a80eb5: "
        "NOKEY",
        "Public key for bind-license-9.11.4-16.P2.el7_8.6.noarch.rpm is not installed",
        "Importing GPG key 0xF4A80EB5:",
        "Failed to get D-Bus connection: Operation not permitted",
        "No package java available.",
        "Error: Nothing to do",
    )
    assert diagnose_bytes(recovered).root_cause not in ("apt-repository", "permission-denied")
    failing = classic_step(
        "yum -y install percona-server-client",
        "Public key for Percona-Server-client-57-5.7.30-33.1.el7.x86_64.rpm is not installed",
        "",
        " Failing package is: Percona-Server-client-57-5.7.30-33.1.el7.x86_64",
        " GPG Keys are configured as: file:///etc/pki/rpm-gpg/RPM-GPG-KEY-percona",
    )
    assert diagnose_bytes(failing).root_cause == "apt-repository"
    # a test suite that fails on its own assertions stays test-failure
    tests = classic_step("npm test", "Tests:       2 failed, 10 passed, 12 total", "npm ERR! Test failed.  See above.")
    assert diagnose_bytes(tests).root_cause == "test-failure"


@pytest.mark.parametrize(
    ("log", "readings"),
    [
        # a program that cannot load its shared library: the build's own steps, a package not installed, another libc
        (
            classic_step(
                "python3.6 ./get-pip.py",
                "python3.6: error while loading shared libraries: libpython3.6m.so.1.0: cannot open shared object "
                "file: No such file or directory",
                code=127,
            ),
            ["script-error", "command-not-found", "platform-mismatch"],
        ),
        # the docker CLI without the buildx plugin: a build front end it lacks (12r) or a program not installed
        (
            "ERROR: BuildKit is enabled but the buildx component is missing or broken.\n",
            ["dockerfile-syntax", "command-not-found"],
        ),
        # cleo's refused option quoted in prose, and Poetry's indented setting (12u's two readings)
        (
            'The Docker build failed with the following error: `The option "--no-dev" does not exist`.\n',
            ["dependency-resolution", "script-error"],
        ),
        (
            "ValueError\n\n  Setting settings.virtualenvs.create does not exist\n\n  at /usr/local/lib/python3.7/"
            "site-packages/poetry/console/commands/config.py:248 in handle\n",
            ["dependency-resolution", "script-error"],
        ),
    ],
)
def test_lines_of_several_readings_answer_unknown_with_them(log: str, readings: list[str]) -> None:
    assert diagnose_bytes(log).root_cause == "unknown"
    assert candidate_categories(log)[: len(readings)] == readings


def test_pattern_ids_are_unique() -> None:
    # issue 12w: a second pattern under an existing id was shadowed (Knowledge.by_id finds the first) without a sign
    from collections import Counter

    from agent.buildlog.patterns import load_knowledge

    counts = Counter(p.id for p in load_knowledge().patterns)
    assert [pid for pid, n in counts.items() if n > 1] == []
