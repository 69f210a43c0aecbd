"""The tables of the structural reader (agent/buildlog/structure.py): which tool family a simple command belongs
to, which generic evidence a line shows, and which category a family failing with that evidence means."""

from __future__ import annotations

import re

# The generic evidence (kind -> regex over one cleaned line of the step's region) lives in evidence.py (issue 12j: this
# module outgrew the size limit); it is re-exported here for the structural reader and the arbitration.
from agent.buildlog.evidence import APT_KEY_MISSING as APT_KEY_MISSING
from agent.buildlog.evidence import EVIDENCE as EVIDENCE

# (regex on one simple command, family). First match wins; order matters (npm run before npm install).
TOOLS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rx), family)
    for rx, family in (
        (r"^exit\s+[1-9]", "script"),
        (r"^\$", "script"),
        (
            r"^(?:ba|z|da)?sh\s*-?$|^(?:sudo\s+)?(?:-E\s+)?(?:ba|z)?sh\s+-(?:s|e|x)*\s*-?|^(?:node|python[\d.]*|php|perl|ruby)\s*-?$",
            "script",
        ),
        (r"^(?:npx\s+|yarn\s+|pnpm\s+(?:exec\s+)?)?prisma\b", "prisma"),
        (r"^(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?(?:test|lint|e2e)\b|^(?:npx\s+)?(?:jest|mocha|vitest|eslint)\b", "test"),
        (r"^(?:npm|pnpm|bun)\s+run\b|^yarn\s+(?:run\s+)?(?!install\b|add\b|--|$)[\w:.-]+", "node-build"),
        (r"^(?:npx\s+)?(?:next|vite|ng|react-scripts|nuxt|astro|webpack|turbo|nx|tsc|vue-cli-service)\b", "node-build"),
        (r"^(?:npm|pnpm|bun)\s+(?:ci|install|i|add|update|prune|fetch|rebuild)\b|^yarn\b|^(?:npm|pnpm)\s+-g\b", "npm"),
        (r"^(?:corepack|npm)\b", "npm"),
        (r"^apk\b", "apk"),
        (r"^(?:add-apt-repository|apt-add-repository|apt-key)\b", "apt-repo"),
        (r"^(?:apt-get|apt|aptitude|dpkg|yum|dnf|microdnf|zypper|pacman|rpm)\b", "apt"),
        (r"^(?:pip[\d.]*|python[\d.]*\s+-m\s+pip|easy_install|pipx)\b", "pip"),
        # issue 12m: extensions built in place (`setup.py build_ext --inplace`): the project's own code, not a package
        (r"^python[\d.]*\s+(?:\./)?setup\.py\s+build_ext\b.*\s(?:--inplace|-i)\b", "compile"),
        (r"^python[\d.]*\s+(?:\./)?setup\.py\s+(?:install|develop|build|bdist|egg_info)", "pip"),
        (r"^(?:pipenv|poetry|conda|mamba|micromamba|uv)\b", "lang-deps"),
        (r"^go\s+(?:test|vet)\b", "test"),
        (r"^go\s+(?:mod|get)\b|^go-wrapper\s+download|^(?:dep|glide|godep|govendor)\b", "go-deps"),
        (r"^(?:go|go-wrapper)\s+(?:build|install|run|generate)\b|^(?:gb|goreleaser)\b", "go-build"),
        (r"^cargo\s+(?:fetch|update|vendor)\b", "lang-deps"),
        (r"^cargo\b|^rustc\b", "cargo"),
        (r"^(?:\./)?(?:mvnw?|gradlew?|sbt|lein|ant)\b", "jvm"),
        (r"^(?:composer|php\s+composer\.phar)\b", "composer"),
        (r"^(?:bundle\s+install|gem\s+install|bundler)\b|^bundle$", "lang-deps"),
        (
            r"^(?:mix\s+(?:deps|local)|rebar3|dotnet\s+restore|nuget|stack\s+setup|cabal\s+update|opam|"
            r"swift\s+package\s+(?:resolve|update)|"
            # issue 12h: more package managers (OpenResty, Lua, Perl, Bower, Nim, Dart/Flutter, C/C++)
            r"opm\s+(?:get|install)|luarocks\s+install|cpanm?|bower\s+install|nimble\s+install|(?:dart\s+|flutter\s+)?pub\s+get|"
            r"conan\s+install|vcpkg\s+install|"
            # issue 12v: Meteor's meteorite, which clones its packages with git
            r"mrt\s+(?:install|update|add))\b",
            "lang-deps",
        ),
        (
            r"^(?:bundle\s+exec\s+)?(?:rspec|pytest|py\.test|tox|phpunit|nosetests)\b|^(?:make|ctest)\s+(?:test|check)\b",
            "test",
        ),
        (
            r"^(?:make|gmake|cmake|ninja|meson|gcc|g\+\+|cc|c\+\+|clang|javac|dotnet|swift|stack|cabal|ghc|\./configure|"
            r"docker-php-ext-install|pecl|scons|bazel|qmake|luarocks|R\s+CMD|mix(?:\s+(?:compile|release|escript\.build)|\s*$))\b",
            "compile",
        ),
        # issue 12m: a Dockerfile instruction, not a project's CLI (`Step 0 : FROM x`; a FROM runs the image's ONBUILD
        # triggers, whose tools its output shows: structure.read)
        (r"^(?:FROM|ENV|ARG|WORKDIR|USER|LABEL|EXPOSE|VOLUME|CMD|ENTRYPOINT|ONBUILD|MAINTAINER|SHELL)\b", "dockerfile"),
        # issue 12m: a COPY or ADD of a path of the build context (not an URL): a missing source is the context's
        (r"^(?:ADD|COPY)\s+(?:--\S+\s+)*(?!\S*://|git@)[^\s-]", "copy"),
        (r"^(?:curl|wget|git\s+(?:clone|fetch|pull|checkout|submodule)|svn|hg|aria2c|ADD\b)", "download"),
        (
            r"^(?:\./|/)\S+|^(?:ba|z)?sh\s+\S+|^(?:python[\d.]*|node|ruby|perl|php|Rscript)\s+\S+|^(?:bundle\s+exec\s+)?rake\b",
            "script",
        ),
    )
)

# family -> evidence kind -> category. A kind not listed for the family falls back to UNIVERSAL below.
FAMILY_TABLE: dict[str, dict[str, str]] = {
    "apk": {k: "apk-package" for k in ("network", "missing", "resolve", "http-404", "tls", "auth", "default")},
    "apt": {
        "apt-sources": "apt-repository",
        "network": "apt-repository",
        # a mirror or proxy refusing the index (403 Forbidden behind a firewall): the repository, not a package
        "auth": "apt-repository",
        "http-404": "apt-repository",
        "tls": "apt-repository",
        "missing": "apt-package",
        "default": "apt-package",
    },
    "apt-repo": {
        "apt-sources": "apt-repository",
        "network": "apt-repository",
        "missing": "apt-repository",
        "default": "apt-repository",
    },
    "pip": {
        "network": "pip-network",
        "tls": "pip-network",
        "missing": "pip-no-distribution",
        "pip-build": "pip-build",
        "compile": "pip-build",
        "cmd-missing": "pip-build",
        # setup.py itself crashing (SyntaxError on this Python, an import of a removed pip/setuptools API)
        "exception": "pip-build",
    },
    "npm": {
        "network": "npm-network",
        "tls": "npm-network",
        "missing": "npm-dependency",
        "resolve": "npm-dependency",
        "http-404": "npm-dependency",
        "gyp": "native-module-build",
        "auth": "registry-auth",
    },
    "node-build": {
        "compile": "compile-error",
        "font": "next-font-fetch",
        "test": "test-failure",
        "missing": "npm-dependency",
    },
    "prisma": {k: "prisma-engine" for k in ("network", "missing", "file-missing", "http-404", "tls", "default")},
    "go-deps": {
        **{k: "dependency-resolution" for k in ("network", "missing", "resolve", "http-404", "tls", "auth", "default")},
        "file-missing": "context-file-missing",
    },
    "go-build": {
        "network": "dependency-resolution",
        "missing": "dependency-resolution",
        "resolve": "dependency-resolution",
        "compile": "compile-error",
        "file-missing": "context-file-missing",
    },
    "cargo": {
        "network": "dependency-resolution",
        "missing": "dependency-resolution",
        "resolve": "dependency-resolution",
        "compile": "compile-error",
        "file-missing": "context-file-missing",
        "test": "test-failure",
    },
    "jvm": {
        "network": "dependency-resolution",
        "missing": "dependency-resolution",
        "http-404": "dependency-resolution",
        "resolve": "dependency-resolution",
        "compile": "compile-error",
        "test": "test-failure",
    },
    "composer": {k: "dependency-resolution" for k in ("network", "missing", "resolve", "http-404", "tls", "default")},
    "lang-deps": {
        **{k: "dependency-resolution" for k in ("network", "missing", "resolve", "http-404", "tls", "default")},
        # issue 12j: poetry, pipenv, uv building a Python package from source (ChefBuildError): pip's cause and fix
        "pip-build": "pip-build",
    },
    # make also runs tests and downloads (the tool that printed last decides: WRAPPERS below)
    "compile": {"compile": "compile-error", "missing": "dependency-resolution", "test": "test-failure"},
    "download": {
        k: "download-failed" for k in ("network", "http-404", "tls", "missing", "auth", "file-missing", "default")
    },
    "test": {"test": "test-failure", "compile": "test-failure", "default": "test-failure"},
    # issue 12m: a COPY/ADD of the build context (Docker before 1.13 printed only `src: no such file or directory`)
    "copy": {"file-missing": "context-file-missing"},
    # A project script that printed its own error and nothing more specific: the script's own failure.
    "script": {"script-message": "script-error", "exception": "script-error"},
}
# The tool family a located compiler line (`x.go:4:2: message`) belongs to, by the file's extension: its message is
# read by that family's table first (issue 12h).
LOCATED_FAMILY: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rx), family)
    for rx, family in (
        (r"\.go:\d", "go-build"),
        (r"\.rs:\d", "cargo"),
        (r"\.(?:java|kt|scala):\d", "jvm"),
        (r"\.(?:c|cc|cpp|cxx|h|hh|hpp):\d", "compile"),
        (r"\.(?:js|jsx|ts|tsx|mjs|vue):\d", "node-build"),
    )
)
# Evidence that means the same category whatever the tool.
UNIVERSAL = {
    "disk": "disk-full",
    "oom": "out-of-memory",
    "platform": "platform-mismatch",
    "cmd-missing": "command-not-found",
    "permission": "permission-denied",
    "font": "next-font-fetch",
    "gyp": "native-module-build",
}
# Lines a tool prints: which of the command's tools was running when the step failed (the last one that printed),
# and which tools a script or an installer piped into a shell ran.
MARKERS: dict[str, re.Pattern[str]] = {
    family: re.compile(rx)
    for family, rx in {
        "apk": r"APKINDEX|\bapk\b|world\[|alpinelinux",
        "apt": r"\bapt(?:-get)?\b|dpkg|Reading package lists|^(?:Get|Hit|Ign|Err):\d+ |^E: |^W: |\byum\b|\bdnf\b",
        "pip": r"^Collecting |\bpip\b.*\b(?:install|ERROR|error)\b|Building wheel|setup\.py|pypi\.org|pythonhosted|"
        r"pip/_internal|pip/_vendor|python-wheels|^Downloading \S+\.(?:whl|tar\.gz|zip)\b|\binstallable wheels\b",
        "lang-deps": r"\b(?:conda|mamba|micromamba)\b|[Pp]oetry|[Pp]ipenv|Pipfile|\b[Bb]undler?\b|Gemfile|rubygems|"
        r"\bgem\b|hex\.pm|\bmix deps|NuGet|nuget|\buv (?:pip|sync|lock|add)\b|\bGem::|Solving environment|"
        r"Collecting package metadata|[Uu]nsatisfiableError|PackagesNotFoundError|\.csproj\b|"
        # issue 12m: mix (and rebar3) fetching a dependency (`* Getting elixir_full (1.18)`)
        r"^\* Getting \S+ \(",
        "prisma": r"[Pp]risma|query.engine|libquery_engine",
        "npm": r"\bnpm\b|\byarn\b|\bpnpm\b|node_modules|registry\.npmjs|gyp|\bYN\d{4}\b",
        "go-deps": r"^go: |go\.mod|golang\.org|proxy\.golang",
        # issue 12h: a Go compiler line (the Go build a script or a make target ran)
        "go-build": r"^(?:\.{1,2}/)*[\w./@-]+\.go:\d+(?::\d+)?: ",
        "cargo": r"\bcargo\b|crates\.io|rustc|Cargo\.(?:toml|lock)|^test result: ",
        "jvm": r"\[(?:INFO|ERROR)\]|[Mm]aven|[Gg]radle|\.pom\b|\.jar\b|^> Task :|"
        r"FAILURE: Build failed with an exception",
        "composer": r"composer|packagist|installable set of packages",
        "download": r"\bcurl\b|\bwget\b|HTTP request sent|^--\d{4}-|^Resolving \S+|^Connecting to ",
    }.items()
}
# Within a family, a specific kind outranks a generic one (node-gyp's lines beat the 404 of its prebuilt-binary
# download; a network error beats the `error:` cargo prints for it).
KIND_BONUS = {
    "font": 0.04,
    "gyp": 0.04,
    "pip-build": 0.04,
    "apt-sources": 0.04,
    "test": 0.04,
    "missing": 0.03,
    "resolve": 0.03,
    "network": 0.01,
    "tls": 0.01,
    "compile": -0.02,
    # Only where nothing more specific was seen (any other evidence of the family scores at least 0.55).
    "script-message": -0.04,
    "exception": -0.04,
}
# Lines of the build's own structure, not the command's output: never evidence.
NOT_OUTPUT = re.compile(
    r"^(?:Step \d+/\d+ :|=> |> \[|\[[^\]]*\d+/\d+\] |\[internal\]|ERROR \[|#\d+ |-+>|Removing intermediate|Dockerfile:|"
    r"\s*\d+ \| |-{4,}|cargo:warning=)|"
    r"returned a non-zero code|did not complete successfully|executor failed running|failed to solve"
)
# A warning line is not evidence of a version conflict (npm's `WARN notsup`/`EBADENGINE` on a build that failed for
# another reason).
WARNING_LINE = re.compile(r"^(?:npm WARN|warning\b|WARN(?:ING)?\b)|\bWARN(?:ING)?\b", re.IGNORECASE)
WARNING_SILENT = {"resolve"}
# Commands that run other tools (make targets): the tools their output shows count as the command's families too.
WRAPPERS = re.compile(r"^(?:make|gmake)\b")
# Strong evidence stands on its own; the rest needs the command's family to mean something.
STRONG = {"disk", "oom", "platform"}
EXIT_CODES = {
    127: ("cmd-missing", "command-not-found"),
    126: ("permission", "permission-denied"),
    137: ("oom", "out-of-memory"),
    # issue 12w: SIGILL (128 + 4), an instruction the builder's CPU lacks
    132: ("platform", "platform-mismatch"),
}
# curl's own exit codes when it prints nothing (-s): 6 DNS, 7 connect, 18 partial file (issue 12m), 22 HTTP error
# (-f), 28 timeout, 35 TLS, 56 receive.
CURL_EXIT = {6, 7, 18, 22, 28, 35, 56}
WGET_EXIT = {4, 5, 8}
# The categories each family can produce (the literal answer is compatible with the command when it is in here).
ALWAYS_POSSIBLE = {
    "disk-full",
    "out-of-memory",
    "platform-mismatch",
    "command-not-found",
    "permission-denied",
    "registry-auth",
    "registry-rate-limit",
    "base-image",
    "dockerfile-syntax",
    "context-file-missing",
    "download-failed",
    "script-error",
    "image-pull",
}


def family_categories(family: str) -> set[str]:
    """Every category a failing command of this family can plausibly have."""
    extra = {
        "npm": {"prisma-engine", "compile-error", "next-font-fetch"},
        "node-build": {"npm-network", "npm-dependency", "prisma-engine", "native-module-build"},
        "pip": {"dependency-resolution"},
        "compile": {"dependency-resolution", "test-failure"},
        "go-build": {"compile-error"},
        # `go get` builds what it fetched: a Go compiler error in that code is a compile error (issue 12f)
        "go-deps": {"compile-error"},
        # issue 12k: uv, poetry and pipenv fetch from PyPI as pip does: their network failures are pip's
        "lang-deps": {"compile-error", "pip-build", "pip-network"},
        "script": {"compile-error", "test-failure", "dependency-resolution"},
    }.get(family, set())
    return set(FAMILY_TABLE.get(family, {}).values()) | extra | ALWAYS_POSSIBLE


# A generic summary line: it says that something failed, not why (issue 12e: never decisive on its own).
SUMMARY_LINE = re.compile(
    r"make(?:\[\d+\])?: \*\*\* .*Error \d+"
    r"|\bBUILD (?:FAILED|FAILURE)\b"
    r"|^Failed to compile\.?$"
    r"|\berror: [Cc]ould not compile\b"
    r"|Build failed because of webpack errors"
    # issue 12k: not a program's own failure that names the program (rustc's "linking with `cc` failed: exit status: 1")
    r"|(?<!` failed: )\bexit (?:code|status):? \d+\s*$"
    r"|returned a non-zero code"
    # issue 12h: Ansible's recap (a task failed; the task's own output says why)
    r"|\bunreachable=\d+\s+failed=[1-9]"
)
