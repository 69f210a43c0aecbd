"""Issue 12u: precision. The misses of 12t's held-out sets (modern-holdout20.yaml, shipwright-holdout21.yaml) read by
the tools' general wordings: next build's ESLint errors are lint errors (test-failure), a clock system call the runtime
refuses is the platform, and a line that reads as several categories (`also` in data/patterns.yaml, pip's hash
mismatch of a requirement the file names) answers `unknown` with its readings. The lines are the read logs' own or the
tools' documented wordings."""

from __future__ import annotations

import pytest

from agent.buildlog import diagnose_bytes
from agent.buildlog.evidence import EVIDENCE
from tests.buildsteps import candidate_categories

pytestmark = pytest.mark.unit


NEXT_LINT = (
    " > [6/6] RUN npm run build:\n0.458 > chromadb-admin@0.1.0 build\n0.458 > next build\n12.93  ✓ Compiled "
    "successfully\n"
    "12.93    Linting and checking validity of types ...\n15.22 Failed to compile.\n15.22 ./src/lib/server/db.ts\n"
    "15.22 60:3  Error: Delete `··`  prettier/prettier\n15.22 61:1  Error: Delete `··`  prettier/prettier\n"
)
NEXT_TYPE_ERROR = (
    " > [builder 6/6] RUN npm run build:\n./components/tool-invocation-list-view.tsx\n1966:7  Warning: React Hook "
    "useCallback has a missing dependency: 'isStreaming'. Either include it or remove the dependency array.  "
    "react-hooks/exhaustive-deps\ninfo  - Need to disable some ESLint rules? Learn more here: "
    "https://nextjs.org/docs/app/api-reference/config/eslint#disabling-rules\nFailed to compile.\n"
    "./components/clinical-trials.tsx:318:9\nType error: Property 'protocolSection' is missing in type 'ClinicalTrial' "
    "but required in type 'ClinicalTrial'.\n"
)


def test_eslint_errors_of_next_build_are_lint_errors() -> None:
    assert diagnose_bytes(NEXT_LINT).root_cause == "test-failure"
    cloud_build = (
        "Step #0: The command '/bin/sh -c npm run build' returned a non-zero code: 1\nStep #0: 1:1  Error: Definition "
        "for rule '@typescript-eslint/comma-dangle' was not found.  @typescript-eslint/comma-dangle\n"
    )
    assert diagnose_bytes(cloud_build).root_cause == "test-failure"


def test_lint_warnings_before_a_type_error_stay_a_compile_error() -> None:
    assert diagnose_bytes(NEXT_TYPE_ERROR).root_cause == "compile-error"


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        # the clock system calls refused (a 32-bit ARM userland, old seccomp): not a file permission
        (
            " => ERROR [2/2] RUN date && sleep 10\n > [2/2] RUN date && sleep 10:\n#5 0.173 Tue May 26 11:21:31 UTC "
            "1970\n#5 0.175 sleep: cannot read realtime clock: Operation not permitted\n",
            "platform-mismatch",
        ),
        # a file the build user may not change stays a permission
        (
            "Step 6/9 : RUN chmod +x /docker-entrypoint.sh\nchmod: /docker-entrypoint.sh: Operation not permitted\nThe "
            "command '/bin/sh -c chmod +x /docker-entrypoint.sh' returned a non-zero code: 1\n",
            "permission-denied",
        ),
        # newer BuildKit's wording of a registry refusing the FROM image's manifest
        (
            "ERROR: failed to solve: public.ecr.aws/lts/ubuntu:22.04_stable: pulling from host public.ecr.aws failed "
            "with status code [manifests 22.04_stable]: 403 Forbidden\n",
            "registry-auth",
        ),
        (
            "error creating overlay mount to /u01/app/root/var/lib/docker/overlay2/26592218b3cc-init/merged: invalid "
            "argument\n",
            "platform-mismatch",
        ),
        (
            "Step 7/10 : RUN curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y\ninfo: rolling "
            "back "
            "changes\nerror: could not rename component file from "
            "'/root/.rustup/toolchains/stable-x86_64-unknown-linux-"
            "gnu/lib/rustlib/arm-unknown-linux-gnueabihf/lib' to '/root/.rustup/tmp/3nxrhxq47i0kq99__dir/bk'\nerror: "
            "caused by: other os error\nThe command '/bin/sh -c curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup."
            "rs | sh -s -- -y' returned a non-zero code: 1\n",
            "platform-mismatch",
        ),
        # an installer prompting on a terminal the build does not have
        (
            "Step 3 : RUN curl https://sh.rustup.rs -sSf | sh\ninfo: downloading installer\n\nsh: 94: cannot open "
            "/dev/tty: No such device or address\n",
            "script-error",
        ),
        # the Gradle wrapper's download saved no zip
        (
            'Downloading http://services.gradle.org/distributions/gradle-1.4-bin.zip\n\nException in thread "main" '
            "java.util.zip.ZipException: zip file is empty\n\tat java.util.zip.ZipFile.open(Native Method)\n\tat "
            "org.gradle.wrapper.GradleWrapperMain.main(GradleWrapperMain.java:48)\n",
            "download-failed",
        ),
        (
            "CMake Error at /usr/share/cmake-3.10/Modules/CMakeDetermineSystem.cmake:100 (message):\n  Could not find "
            "toolchain file: cmake/toolchains/linux-i686.cmake\nCall Stack (most recent call first):\n  "
            "CMakeLists.txt:29 "
            "(project)\n",
            "context-file-missing",
        ),
        (
            "#1 WARN: InvalidDefaultArgInFrom: Default value for ARG $BUILD_FROM results in empty or invalid base "
            "image "
            "name (line 10)\nERROR: failed to build: failed to solve: base name ($BUILD_FROM) should not be blank\n",
            "base-image",
        ),
        # a vendored Go dependency that is not there: the dependency, not a file of the context
        (
            "Step 5/16 : RUN CGO_ENABLED=0 GOOS=linux go build -mod=vendor ./cmd/benthos-plugin-example\n ---> Running "
            "in 9b316dd19a89\nbuild github.com/Jeffail/benthos/v3/lib/service: cannot load "
            "github.com/Jeffail/benthos/v3/"
            "lib/service: open /build/vendor/github.com/Jeffail/benthos/v3/lib/service: no such file or directory\nThe "
            "command '/bin/sh -c CGO_ENABLED=0 GOOS=linux go build -mod=vendor ./cmd/benthos-plugin-example' returned "
            "a "
            "non-zero code: 1\n",
            "dependency-resolution",
        ),
        # Go outside a module (12l): `go get` of a remote import path on a module-aware Go
        (
            "Step 2/17 : RUN go get github.com/sberk42/fritzbox_exporter/     && mkdir /app\n ---> Running in "
            "6eac3a97cdc4\ngo: go.mod file not found in current directory or any parent directory.\n        'go get' "
            "is "
            "no longer suppor\n",
            "dependency-resolution",
        ),
        # ... but `go get ./...` without the project's go.mod is the project's file
        (
            "Step 6/8 : RUN go get -d -v ./...\n ---> Running in 0a1b2c3d4e5f\ngo: go.mod file not found in current "
            "directory or any parent directory; see 'go help modules'\nThe command '/bin/sh -c go get -d -v ./...' "
            "returned a non-zero code: 1\n",
            "context-file-missing",
        ),
        # a C compiler's error under `python setup.py install` is the package build's (pip's family reads it so)
        (
            "Step 9/9 : RUN python setup.py install\n ---> Running in 1f2e3d4c5b6a\next/_yaml.h:2:10: fatal error: "
            "yaml.h: "
            'No such file or directory\n  File "/opt/venv/lib/python2.7/site-packages/setuptools/config.py", line '
            "350, "
            "in _parse_attr\n    value = getattr(module, attr_name)\nAttributeError: 'module' object has no attribute "
            "'__version__'\nThe command '/bin/sh -c python setup.py install' returned a non-zero code: 1\n",
            "pip-build",
        ),
    ],
)
def test_the_12u_readings(log: str, expected: str) -> None:
    assert diagnose_bytes(log).root_cause == expected


@pytest.mark.parametrize(
    ("log", "readings"),
    [
        # Poetry 2 has no `export`, Poetry 1 no `settings.` prefix: the tool's version or the Dockerfile's command
        (
            " > [worker requirements-stage 5/5] RUN poetry export -f requirements.txt --output "
            "requirements.txt:\n0.246\n"
            '0.246 The command "export" does not exist.\n',
            {"dependency-resolution", "script-error"},
        ),
        ("Setting settings.virtualenvs.create does not exist\n", {"dependency-resolution", "script-error"}),
        # CMake's own errors whose message the `CMake Error at` line does not tell
        (
            'CMake Error at CMakeLists.txt:29 (find_python_module):\n  Unknown CMake command "find_python_module".\n-- '
            "Configuring incomplete, errors occurred!\n",
            {"context-file-missing", "compile-error"},
        ),
        (
            "CMake Error at /usr/share/cmake-3.10/Modules/CMakeTestCUDACompiler.cmake:46 (message):\n  The CUDA "
            "compiler\n"
            '\n    "/usr/local/cuda/bin/nvcc"\n\n  is not able to compile a simple test program.\n    sh: 1: cicc: not '
            "found\n",
            {"compile-error", "command-not-found"},
        ),
        (
            "No compiler is provided in this environment.  Perhaps you are running on a JRE rather than a JDK?\n",
            {"base-image", "command-not-found"},
        ),
        (
            "ESLint couldn't find an eslint.config.(js|mjs|cjs) file.\n",
            {"context-file-missing", "dependency-resolution"},
        ),
        ("`ADD ['./', '/usr/src/app']`\n\n`INFO[0004] No source files were specified`\n", {"dockerfile-syntax"}),
        (
            "/bin/sh: 1: cd: can't cd to source\nThe command '/bin/sh -c curl "
            "https://raw.githubusercontent.com/rust-lang/"
            "rustup/master/rustup-init.sh -sSf | sh -s -- -y &&     cd source &&     cargo build' returned a non-zero "
            "code: 2\n",
            {"context-file-missing", "download-failed"},
        ),
        (
            "Step 3/3 : RUN rustup target install wasm32-unknown-unknown\n ---> Running in 781069322c6e\n/home/gitpod/"
            '.cargo/bin/rustup: 5: Syntax error: "(" unexpected (expecting "}")\nThe command \'/bin/sh -c rustup '
            "target "
            "install wasm32-unknown-unknown' returned a non-zero code: 2\n",
            {"script-error", "base-image"},
        ),
        # make without a Makefile: never a compile error
        (
            "Step 8/14 : RUN make\n ---> Running in af48f8518af3\nmake: *** No targets specified and no makefile found."
            "  Stop.\nThe command '/bin/sh -c make' returned a non-zero code: 2\n",
            {"script-error", "context-file-missing"},
        ),
        # a hash mismatch of a requirement the requirements file names itself: its hash may be pinned in the file
        (
            "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package "
            "versions, "
            "please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered "
            "with "
            "them.\n    pluggy==0.6.0 from "
            "https://pypi.python.org/packages/82/05/pluggy-0.6.0-py2-none-any.whl#md5=78ae"
            "3816cb3f1b843de3af66c0f36a8b (from -r requirements-dev.txt (line 126)):\n        Expected sha256 "
            "7f8ae7f5bd"
            "f75671a718d2daf0a64b7885f74510bcd98b1a0bb420eb9a9d0cff\n             Got        "
            "d345c8fe681115900d6da8d048ba6"
            "7c25df42973bda370783cd58826442dcd7c\n",
            {"pip-network", "dependency-resolution"},
        ),
    ],
)
def test_a_line_of_several_readings_is_unknown_with_them(log: str, readings: set[str]) -> None:
    assert diagnose_bytes(log).root_cause == "unknown"
    assert readings <= set(candidate_categories(log))


@pytest.mark.parametrize(
    "requirement",
    [
        # a dependency of another requirement, and pip's `unknown package:`: the index's hash, a corrupted download
        "    nvidia-cudnn-cu11==8.5.0.96 from https://files.pythonhosted.org/packages/nvidia_cudnn_cu11-8.5.0.96-2-py3-"
        "none-manylinux1_x86_64.whl (from torch>=1.6.0->sentence_transformers>=2.0.0->-r /code/requirements.txt (line "
        "24)):",
        "    unknown package:",
    ],
)
def test_a_hash_mismatch_of_a_download_stays_the_network(requirement: str) -> None:
    log = (
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package "
        "versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have "
        f"tampered with them.\n{requirement}\n        Expected sha256 402f40adfc6f418f9dae9ab402e773cfed9beae52333f6d86"
        "ae3107a1b9527e7\n             Got        e1c22222a1ccb6d1521656069520b6ea574b082a20c2ecbc6a484ba6ddeb3de8\n"
    )
    assert diagnose_bytes(log).root_cause == "pip-network"


@pytest.mark.parametrize(
    "line",
    [
        '/home/gitpod/.cargo/bin/rustup: 5: Syntax error: "(" unexpected (expecting "}")',
        "./install.sh: line 12: syntax error near unexpected token `('",
    ],
)
def test_a_shell_syntax_error_is_no_compile_evidence(line: str) -> None:
    assert not EVIDENCE["compile"].search(line)
