"""Issue 12v: the labelling conventions as general rules, and the misses of 12u's held-out sets (modern-holdout21.yaml,
shipwright-holdout22.yaml) read by the tools' general wordings. Each reading is pinned with a short log in the tool's
own words (the read logs' lines, or the tool's documented or source wording), and where a nearby wording keeps its old
reading, that too: a relative ./bootstrap not in the image is the project's file as ./configure is (12p), a script
given to an interpreter by any path, a Python module missing outside pip's build, a registry's reason on a cache-key
line; and lines of two readings answer `unknown` with both."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from tests.buildsteps import buildkit_progress_step, candidate_categories, classic_step

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        # the builder's storage refusing dpkg's backup link decides over apt's `Sub-process /usr/bin/dpkg` line (12p)
        (
            "dpkg: error: error creating new backup file '/var/lib/dpkg/status-old': Invalid cross-device link\nE: "
            "Sub-process /usr/bin/dpkg returned an error code (2)\nThe command '/bin/sh -c apt-get update && apt-get "
            "install -y curl' returned a non-zero code: 100\n",
            "platform-mismatch",
        ),
        # the builder's sandbox, not a file permission (12o)
        (
            buildkit_progress_step(
                "tar xf rootfs.tar -C /rootfs", "tar: ./dev/console: Cannot mknod: Operation not permitted", 2
            ),
            "platform-mismatch",
        ),
        (
            "STEP 3/5: RUN dnf install -y httpd\nerror running container: error from /usr/bin/crun creating container "
            "for [/bin/sh -c dnf install -y httpd]: sd-bus call: Permission denied: OCI permission denied\n",
            "platform-mismatch",
        ),
        (
            "error building image: error building stage: failed to get filesystem from image: removing whiteout "
            "etc/nginx/.wh..wh..opq: fstatat /etc/nginx/.wh..opq: operation not permitted\n",
            "platform-mismatch",
        ),
        # a 32-bit image under QEMU on a 64-bit host: EOVERFLOW, in cargo's "network error" wording
        (
            "  running build_rust\n      Updating crates.io index\n  warning: spurious network error (2 tries "
            "remaining): could not read directory '/root/.cargo/registry/index/github.com-1ecc6299db9ec823/.git//"
            "refs': "
            "Value too large for defined data type; class=Os (2)\n",
            "platform-mismatch",
        ),
        (
            "+ npm install --production\n\n/usr/lib/node_modules/npm/node_modules/npmconf/config-defs.js:320\n  "
            "Object.keys(os.networkInterfaces()).map(function (nic) {\n                 ^\nError: EAFNOSUPPORT, "
            "address family not supported\n",
            "platform-mismatch",
        ),
        (
            buildkit_progress_step(
                "npm run build",
                'Error: The package "@esbuild/linux-arm64" could not be found, and is needed by esbuild.',
            ),
            "platform-mismatch",
        ),
        (
            "Step 3/5 : RUN powershell -Command Expand-Archive x.zip\n ---> Running in 1\n/bin/sh: 1: powershell: not "
            "found\nThe command '/bin/sh -c powershell -Command Expand-Archive x.zip' returned a non-zero code: 127\n",
            "platform-mismatch",
        ),
        # V8's GC trace is the heap running out, whatever harmless line came before it
        (
            "$ node scripts/build.js\n/bin/sh: git: not found\nCreating an optimized production build...\n\n<--- Last "
            "few GCs --->\n\n[471:0x55563aaaaae0]   288341 ms: Mark-sweep 1330.7 (1422.8) -> 1330.1 (1422.8) MB\n",
            "out-of-memory",
        ),
        # a registry's 429 on BuildKit's cache-key line is the registry, not a file missing from the context
        (
            "ERROR: failed to solve: failed to compute cache key: failed to copy: httpReadSeeker: failed open: "
            "unexpected status code https://mcr.microsoft.com/v2/dotnet/aspnet/blobs/sha256:d3b7: 429 Too Many "
            "Requests\n",
            "registry-rate-limit",
        ),
        # autotools' generator scripts not in the image, as ./configure (12p)
        (classic_step("./bootstrap", "/bin/sh: 1: ./bootstrap: not found", code=127), "context-file-missing"),
        (
            buildkit_progress_step("./autogen.sh && ./configure && make", "/bin/sh: 1: ./autogen.sh: not found", 127),
            "context-file-missing",
        ),
        # a script given to an interpreter by any path (Files not in the image)
        (
            classic_step(
                "bash /opt/scripts/cent6_setup.sh",
                "bash: /opt/scripts/cent6_setup.sh: No such file or directory",
                code=127,
            ),
            "context-file-missing",
        ),
        (
            classic_step("sh /opt/setup.sh", "sh: 0: cannot open /opt/setup.sh: No such file", code=2),
            "context-file-missing",
        ),
        (
            buildkit_progress_step(
                "python3 /app/scripts/migrate.py",
                "python3: can't open file '/app/scripts/migrate.py': [Errno 2] No such file or directory",
                2,
            ),
            "context-file-missing",
        ),
        # Node's own fs error in a project script (not under node_modules)
        (
            classic_step(
                "node tools/scripts/no-dev-deps.js package-lock.json",
                "fs.js:646\n  return binding.open();\n\n"
                "Error: ENOENT: no such file or directory, open 'package-lock.json'\n    at Object.fs.openSync "
                "(fs.js:646:18)",
            ),
            "context-file-missing",
        ),
        (
            buildkit_progress_step(
                "./gradlew clean build", "Error: Could not find or load main class org.gradle.wrapper.GradleWrapperMain"
            ),
            "context-file-missing",
        ),
        (
            buildkit_progress_step(
                "./gradlew assembleRelease",
                "* What went wrong:\nA problem occurred evaluating project ':app'.\n> "
                "Could not read script '/build/android/app/secure.properties' as it does not exist.",
            ),
            "context-file-missing",
        ),
        (
            "CMake Error at CMakeLists.txt:198 (message):\n  Submodule 'external/miniupnp' is not up-to-date.  Please "
            "update all\n  submodules with\n\n  git submodule update --init --force\n",
            "context-file-missing",
        ),
        (
            buildkit_progress_step(
                "gradle build", "* What went wrong:\nDirectory '/app' does not contain a Gradle build."
            ),
            "context-file-missing",
        ),
        # a failing git clone in the same RUN, before what is missing after it (commands joined by `;`)
        (
            classic_step(
                "git clone http://git.example.org/Game.git Game; cd Game/Server; cmake ../; make",
                "Cloning into 'Game'...\nfatal: unable to access 'http://git.example.org/Game.git/': Could not resolve "
                "host: git.example.org\n/bin/sh: 1: cd: can't cd to Game/Server\nCMake Error: The source directory "
                '"/" does not appear to contain CMakeLists.txt.\nmake: *** No targets specified and no makefile '
                "found.  Stop.",
                code=2,
            ),
            "download-failed",
        ),
        (
            buildkit_progress_step(
                'curl -sL "https://piccolo.link/sbt-$SBT_VERSION.tgz" | gunzip | tar -x -C /usr/local',
                "gunzip: invalid magic\ntar: short read",
            ),
            "download-failed",
        ),
        (
            classic_step(
                "curl -sSL https://raw.githubusercontent.com/python-poetry/poetry/master/get-poetry.py | python",
                "This installer is deprecated. Poetry versions installed using this script will not be able to use "
                "'self update' command to upgrade to 1.2.0a1 or later.",
            ),
            "download-failed",
        ),
        (
            "unable to prepare context: unable to 'git clone' to temporary context directory: error fetching: fatal: "
            "could not read Username for 'https://github.com': terminal prompts disabled\n",
            "download-failed",
        ),
        # programs not installed, in npm's, pip's and configure's words
        (
            buildkit_progress_step(
                "npm install",
                "npm ERR! path git\nnpm ERR! errno -2\nnpm ERR! enoent undefined ls-remote -h -t "
                "ssh://git@github.com/irislib/iris-messenger.git",
            ),
            "command-not-found",
        ),
        (
            classic_step(
                "pip install -r requirements.txt",
                "Obtaining kobin from git+http://github.com/c-bata/kobin.git"
                "#egg=kobin\n  Error [Errno 2] No such file or directory: 'git' while executing command git clone -q "
                "http://github.com/c-bata/kobin.git /src/kobin",
            ),
            "command-not-found",
        ),
        ("ERROR: Cannot find command 'git' - do you have 'git' installed and in your PATH?\n", "command-not-found"),
        (
            classic_step(
                "./configure && make",
                "checking for gcc... no\nconfigure: error: in `/src/app':\nconfigure: error: "
                "no acceptable C compiler found in $PATH\nSee `config.log' for more details",
            ),
            "command-not-found",
        ),
        # a Python program that cannot import a module or a name: the installed packages (12l)
        (
            classic_step(
                "python manage.py collectstatic --noinput",
                "Traceback (most recent call last):\n  File "
                "\"manage.py\", line 22, in <module>\nModuleNotFoundError: No module named 'taggit_serializer'",
            ),
            "dependency-resolution",
        ),
        (
            classic_step(
                "python cougar.py",
                'Traceback (most recent call last):\n  File "cougar.py", line 3, in <module>\n'
                "    from fastai.vision import (\nImportError: cannot import name 'ConvLearner'",
            ),
            "dependency-resolution",
        ),
        # ... but under setup.py, the package's build (setuptools' removed Feature)
        (
            classic_step(
                "python setup.py develop",
                'Traceback (most recent call last):\n  File "setup.py", line 3, in '
                "<module>\n    from setuptools import Feature\nImportError: cannot import name 'Feature' from "
                "'setuptools' (/usr/local/lib/python3.7/site-packages/setuptools/__init__.py)",
            ),
            "pip-build",
        ),
        (
            classic_step(
                "npm run build",
                "/data/node_modules/grunt/node_modules/mkdirp/lib/opts-arg.js:7\n    opts = { "
                "...opts }\n             ^^^\n\nSyntaxError: Unexpected token ...",
            ),
            "dependency-resolution",
        ),
        (
            buildkit_progress_step(
                "npm run build",
                "Error [ERR_REQUIRE_ESM]: require() of ES Module /app/node_modules/chalk/source/"
                "index.js from /app/build.js not supported.",
            ),
            "dependency-resolution",
        ),
        (
            buildkit_progress_step(
                "mvn -B package",
                "Caused by: org.eclipse.aether.transfer.NoRepositoryConnectorException: Blocked "
                "mirror for repositories: [eis-public-repo (http://maven.example.org/public, default, disabled)]",
            ),
            "dependency-resolution",
        ),
        (
            buildkit_progress_step("go mod download", "go: updates to go.mod needed; to update it:\n\tgo mod tidy"),
            "dependency-resolution",
        ),
        (
            buildkit_progress_step(
                "poetry install",
                "  HTTPSConnectionPool(host='github.com', port=443): Max retries exceeded with "
                "url: /org/mylib.git/info/refs?service=git-upload-pack (Caused by SSLError(SSLCertVerificationError"
                "(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')))",
            ),
            "dependency-resolution",
        ),
        # the tools' own words for a package conflict, an old setuptools' missing distribution, a 5xx from yarn
        (
            classic_step(
                "apt-get install -y golang-go.tools",
                "dpkg: error processing archive /var/cache/apt/archives/"
                "golang-go.tools_0.0~hg20131126-3_amd64.deb (--unpack):\n trying to overwrite '/usr/lib/go/pkg/tool/"
                "linux_amd64/vet', which is also in package golang-go 2:1.5",
                code=100,
            ),
            "apt-package",
        ),
        (
            classic_step(
                "pip install mongo-connector==2.1",
                "    raise DistributionNotFound(req)\n    pkg_resources.DistributionNotFound: setuptools-scm\n",
            ),
            "pip-no-distribution",
        ),
        (
            buildkit_progress_step(
                "yarn install",
                'error An unexpected error occurred: "https://registry.yarnpkg.com/jsep/-/jsep-1.3.9'
                '.tgz: Request failed \\"500 Internal Server Error\\"".',
            ),
            "npm-network",
        ),
        (
            buildkit_progress_step(
                "pnpm install",
                "\u00e2ERR_PNPM_FETCH_404\u00e2 GET https://registry.npmjs.org/@cloudflare/"
                "workers-types/-/workers-types-4.20241127.0.tgz: Not Found - 404",
            ),
            "npm-dependency",
        ),
        (
            buildkit_progress_step(
                "pnpm run build",
                " ERR_PNPM_VERIFY_DEPS_BEFORE_RUN  Cannot proceed with the command because the "
                "dependencies are out of date",
            ),
            "npm-dependency",
        ),
        # registries and repositories
        (
            classic_step(
                "npm install",
                'npm ERR! code E401\nnpm ERR! Unable to authenticate, need: Basic realm="Artifactory Realm"',
            ),
            "registry-auth",
        ),
        (
            "[ERROR] Failed to execute goal io.fabric8:docker-maven-plugin:0.21.0:build: Unable to pull "
            "'wildfly:10' from registry 'my.registry.io' : Get https://my.registry.io/v2/wildfly/manifests/10: "
            "unknown:\nAuthentication is "
            "required (Internal Server Error: 500) -> [Help 1]\n",
            "registry-auth",
        ),
        (
            classic_step(
                "microdnf install bc python-pip",
                "(microdnf:57): libdnf-WARNING **: Skipping refresh of epel: cannot "
                "update repo 'epel': Cannot download repomd.xml: Cannot download repodata/repomd.xml: All mirrors "
                "were tried\nerror: No package matches 'python-pip'",
            ),
            "apt-repository",
        ),
        (
            classic_step(
                "yum install -y gcc", 'There are no enabled repos.\n Run "yum repolist all" to see the repos you have.'
            ),
            "apt-repository",
        ),
        # the build's own definition and arguments
        (
            "Step 16/42 : RUN --mount=type=cache,target=/pnpm/store pnpm install\nthe --mount option requires "
            "BuildKit. "
            "Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled\n",
            "dockerfile-syntax",
        ),
        (
            'Step 5/9 : RUN ["npm install --production"]\n ---> Running in 1234\nOCI runtime create failed: '
            'container_linux.go:349: starting container process caused "exec: \\"npm install --production\\": '
            "executable "
            'file not found in $PATH": unknown\n',
            "dockerfile-syntax",
        ),
        (
            buildkit_progress_step("cmake --preset release", 'CMake Error: No such preset in /src: "release"'),
            "script-error",
        ),
        (
            classic_step(
                "make tests/test_blas",
                "/bin/sh: 2: -DFINTEGER=int: not found\n/bin/sh: 2: -DFINTEGER=int: not "
                "found\nmake: *** No rule to make target 'tests/test_blas'.  Stop.",
                code=2,
            ),
            "script-error",
        ),
        # next build prerendering a page whose backend the build cannot reach (the JavaScript bundlers convention)
        (
            buildkit_progress_step(
                "npm run build",
                "TypeError: fetch failed\n  cause: Error: connect ECONNREFUSED ::1:8000\nError "
                'occurred prerendering page "/settings". Read more: https://nextjs.org/docs/messages/prerender-'
                "error",
            ),
            "script-error",
        ),
        # users and groups the image already has, in Debian's and busybox's words
        (classic_step("addgroup --gid 1000 app", "addgroup: The GID `1000' is already in use."), "permission-denied"),
        (buildkit_progress_step("adduser -D -u 1000 node", "adduser: uid '1000' in use"), "permission-denied"),
    ],
)
def test_the_12v_readings(log: str, expected: str) -> None:
    assert diagnose_bytes(log).root_cause == expected


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        # the wrapper a Dockerfile calls by the wrong name stays a program not found (modern-holdout12.yaml)
        (buildkit_progress_step("./gradle clean build", "/bin/sh: 1: ./gradle: not found", 127), "command-not-found"),
        # a file under node_modules is the package's, not the context's
        (
            buildkit_progress_step(
                "npx prisma generate",
                "Error: ENOENT: no such file or directory, open '/app/node_modules/.bin/prisma_schema_build_bg.wasm'",
            ),
            "prisma-engine",
        ),
        # setuptools itself too old stays the package build (shipwright-holdout6.yaml k103.json#35)
        (
            classic_step(
                "pip install -r requirements.txt",
                "    pkg_resources.DistributionNotFound: setuptools>=30.3.0\n    "
                "Complete output from command python setup.py egg_info:",
            ),
            "pip-build",
        ),
        # a cache-key line without a registry's reason stays a missing context file
        (
            'ERROR: failed to solve: failed to compute cache key: failed to calculate checksum of ref x::y: "/app/'
            'requirements.txt": not found\n',
            "context-file-missing",
        ),
        # a gpg keyserver that fails is still the keyserver
        (
            classic_step(
                "gpg --keyserver hkp://keyserver.ubuntu.com --recv-keys ABC",
                "gpg: keyserver receive failed: No data",
                code=2,
            ),
            "download-failed",
        ),
        # go.sum without an entry (no COPY in the log that leaves it out) stays the stale go.sum
        (
            buildkit_progress_step(
                "go build -o /app .",
                "main.go:4:2: missing go.sum entry for module providing package "
                "github.com/gin-gonic/gin (imported by app)",
            ),
            "dependency-resolution",
        ),
    ],
)
def test_nearby_wordings_keep_their_reading(log: str, expected: str) -> None:
    assert diagnose_bytes(log).root_cause == expected


def test_make_without_a_target_by_an_absolute_path_is_not_the_command() -> None:
    # an included makefile by its absolute path is a file (shipwright-holdout17.yaml k90.json#2), not a target the
    # Dockerfile's make command names
    log = classic_step(
        "make build", "make: *** No rule to make target '/go/src/app/makefiles/compose.Makefile'.  Stop.", code=2
    )
    assert diagnose_bytes(log).root_cause != "script-error"


def test_a_prerender_error_without_a_network_failure_is_not_decided() -> None:
    log = buildkit_progress_step(
        "npm run build",
        'Error occurred prerendering page "/login". Read more: https://err.sh/next.js/prerender-error:\nInvariant '
        "Violation: Minified React error #130",
    )
    assert diagnose_bytes(log).root_cause != "script-error" or diagnose_bytes(log).confidence < 0.85


@pytest.mark.parametrize(
    ("log", "readings"),
    [
        # argparse refusing an option: a version skew of the tool (12o) or the Dockerfile's command (12g)
        (
            classic_step(
                "virtualenv --no-site-packages -p /usr/bin/python3.5 py3.5",
                "usage: virtualenv [--version] [-p py]\nvirtualenv: error: unrecognized arguments: --no-site-packages",
                code=2,
            ),
            {"dependency-resolution", "script-error"},
        ),
        # Ruby loading a project file by its absolute path: not in the image, or a file a task was to generate
        (
            classic_step(
                "bundle exec rake assets:precompile",
                "rake aborted!\nLoadError: cannot load such file -- /usr/src/app/db/schema.rb",
            ),
            {"context-file-missing", "script-error"},
        ),
        # Go 1.11's words for a package directory without Go files: not copied, or the command names the wrong one
        (
            classic_step(
                "CGO_ENABLED=0 GO111MODULE=on go build -o /proxy",
                "can't load package: package github.com/nats-io/"
                'nats-rest-config-proxy: unknown import path "github.com/nats-io/nats-rest-config-proxy": cannot '
                "find module providing package github.com/nats-io/nats-rest-config-proxy",
            ),
            {"context-file-missing", "script-error"},
        ),
        # apt finds no package while a source is restricted to another architecture (Chrome on an arm64 builder)
        (
            buildkit_progress_step(
                "echo 'deb [arch=amd64] http://dl.google.com/linux/chrome/deb/ stable main' > /etc/apt/sources.list.d/"
                "google.list && apt-get update && apt-get install -y google-chrome-stable",
                "Reading package lists...\nE: Unable to locate package google-chrome-stable",
                100,
            ),
            {"platform-mismatch", "apt-package"},
        ),
        # a program not found after a curl of its installer that received nothing (no -L for a redirect)
        (
            "Step 5/11 : RUN curl -o Miniconda3-latest-Linux-x86_64.sh https://repo.continuum.io/miniconda/Miniconda3-"
            "latest-Linux-x86_64.sh && bash Miniconda3-latest-Linux-x86_64.sh -b -p /opt/miniconda\n ---> Running in "
            "770c6d167e02\n  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n          "
            "                       Dload  Upload   Total   Spent    Left  Speed\n  0     0    0     0    0     0      "
            "0      0 --:--:-- --:--:-- --:--:--     0\n ---> 13dd22ce6ff7\nStep 7/11 : RUN conda env update "
            "--file=environment.yml\n ---> Running in b8cbf1ef4ed4\n/bin/sh: 1: conda: not found\nThe command '/bin/sh "
            "-c conda env update --file=environment.yml' returned a non-zero code: 127\n",
            {"download-failed", "command-not-found"},
        ),
    ],
)
def test_lines_of_two_readings_answer_unknown_with_both(log: str, readings: set[str]) -> None:
    diagnosis = diagnose_bytes(log)
    assert diagnosis.root_cause == "unknown"
    assert readings <= set(candidate_categories(log))


def test_a_curl_that_received_data_leaves_the_missing_program() -> None:
    log = (
        "Step 5/11 : RUN curl -o Miniconda3.sh https://repo.anaconda.com/miniconda/Miniconda3-latest-Linux-x86_64.sh\n"
        " ---> Running in 770c6d167e02\n  % Total    % Received % Xferd  Average Speed   Time    Time     Time  "
        "Current\n100 58.1M  100 58.1M    0     0  41.2M      0  0:00:01  0:00:01 --:--:-- 41.2M\n ---> 13dd22ce6ff7\n"
        "Step 7/11 : RUN conda env update --file=environment.yml\n ---> Running in b8cbf1ef4ed4\n/bin/sh: 1: conda: "
        "not "
        "found\nThe command '/bin/sh -c conda env update --file=environment.yml' returned a non-zero code: 127\n"
    )
    assert diagnose_bytes(log).root_cause == "command-not-found"
