"""The tables of the structural reader (agent/buildlog/structure.py): which tool family a simple command belongs
to, which generic evidence a line shows, and which category a family failing with that evidence means."""

from __future__ import annotations

import re

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
            r"conan\s+install|vcpkg\s+install)\b",
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
        (r"^(?:curl|wget|git\s+(?:clone|fetch|pull|checkout|submodule)|svn|hg|aria2c|ADD\b)", "download"),
        (
            r"^(?:\./|/)\S+|^(?:ba|z)?sh\s+\S+|^(?:python[\d.]*|node|ruby|perl|php|Rscript)\s+\S+|^(?:bundle\s+exec\s+)?rake\b",
            "script",
        ),
    )
)

# Generic evidence: kind -> regex over one cleaned line of the step's region.
EVIDENCE: dict[str, re.Pattern[str]] = {
    kind: re.compile(rx, re.IGNORECASE)
    for kind, rx in {
        "disk": r"no space left on device|disk quota exceeded|not enough (?:free )?(?:disk )?space",
        "oom": r"\bout of memory\b|cannot allocate memory|\bOOMKilled\b|\bKilled\s*$|signal:? 9\b|SIGKILL|"
        r"internal compiler error: Killed|heap limit|allocation failed|"
        # issue 12f: the memory words of other runtimes and of V8's GC trace (a heap message cut off)
        r"Last few GCs|Mark-Compact|JavaScript heap|OutOfMemoryError|GC overhead limit|\bMemoryError\b|bad_alloc|"
        r"memory exhausted|signal: killed|exit code:? 137\b|non-zero code: 137\b|OOM[- ]?kill|heap space|"
        r"out of \w+ memory|garbage collector thrashing|ran out of memory|"
        # issue 12h: gcc's wording of a compiler the kernel killed
        r"Killed signal terminated program",
        "platform": r"exec format error|cannot execute binary file|wrong ELF class|GLIBC_\d[\d.]* not found|"
        r"qemu-[\w-]+: Could not open|ld-linux[\w.-]*\.so\.\d'?: No such file|"
        # issue 12j: qemu's own loader error; a new userland's syscalls refused by an old host runtime (seccomp)
        r"(?-i:^Error while loading /\S+: No such file)|cannot access '\.': Operation not permitted|"
        r"working directory cannot be determined|getcwd: Operation not permitted",
        "cmd-missing": r"(?::|\bsh:\s*\d*:?)\s*[\w./+-]+: (?:command )?not found\s*$|command not found|"
        r"\bcommand \"[^\"]+\" not found|"
        r"executable file not found|not recognized as an internal|spawn \S+ ENOENT|No such file or directory.*\bexec\b|"
        # issue 12h: an installer's own check for a prerequisite (SDKMAN's `Please install zip on your system`)
        r"please install \S+ (?:on your system|first)\b|\bis required but (?:it'?s |was )?not (?:installed|found)",
        "permission": r"permission denied|\bEACCES\b|operation not permitted|read-only file system|"
        # issue 12j: a user or group the image lacks (chown, COPY --chown, USER), an unreadable build context
        r"no permission to read|(?:chown|chgrp|install): (?:invalid|unknown) (?:user|group)|no such (?:user|group)\b|"
        r"unable to find (?:user|group)\b|no matching entries in (?:passwd|group)|no (?:users|groups) found",
        # (HTTP statuses, not a source line number like `build.go:502:12` or a traceback's `line 503`)
        "auth": r"(?<![:.])(?<!line )\b40[13]\b(?!:\d)|unauthori[sz]ed|forbidden|authentication (?:required|failed)|"
        r"access denied|could not read Username|publickey",
        "tls": r"certificate verify failed|x509:|SSL(?:Error| routines)|self[- ]signed certificate|CERT_|"
        r"unable to get local issuer certificate|unable to verify the first certificate|certificate has expired|"
        r"SSL certificate problem",
        # (the errno names are matched case-sensitively: `FileNotFoundException` is not ENOTFOUND)
        # (a word, not part of an identifier or a file name: `ssl_sessions_timeout`, `test__socket_timeout.py`)
        "network": r"(?<![\w.])(?:timed? ?out|timeout)\b(?!\.\w|\()|"
        r"(?-i:\b(?:ETIMEDOUT|ECONNRESET|ECONNREFUSED|EAI_AGAIN|ENOTFOUND|ESOCKETTIMEDOUT)\b)|"
        r"getaddrinfo|name resolution|could not resolve (?:host|proxy)|temporary failure|connection (?:refused|reset|"
        r"closed|aborted|broken)|network (?:is )?unreachable|no route to host|dial tcp|i/o timeout|socket hang up|"
        r"(?<![:.])(?<!line )\b50[234]\b(?!:\d)|service unavailable|bad gateway|TLS handshake|unexpected EOF|"
        r"try again later|"
        r"trouble with your network|failed to (?:connect|fetch|download)|unable to (?:connect|fetch|download)|"
        # issue 12f: exception names and a traceback through a networking stack (the message itself cut off)
        r"ReadTimeoutError|ConnectTimeoutError|ProtocolError|IncompleteRead|MaxRetryError|NewConnectionError|"
        r"RemoteDisconnected|ConnectionResetError|connection broken|context deadline exceeded|request canceled|"
        r"Retrying \(Retry\(|Incremented Retry|"
        r"EHOSTUNREACH|ENETUNREACH|handshake|urllib3/(?:connectionpool|connection|response)\.py|"
        r"\bConnection(?:Refused|Reset|Closed|Timeout|Aborted)\b|"
        r"/_internal/network/|requests/adapters\.py|http/client\.py|/ssl\.py\b|"
        # issue 12h: a host name that does not resolve, in other runtimes' words (RubyGems, glibc, BSD libc)
        r"\bno such (?:host|name)\b|UnknownHost|Name or service not known|nodename nor servname|"
        # issue 12h: pip's own words for an index it could not reach
        r"cannot fetch index base url|could not fetch url|"
        # issue 12j: conda's and bun's words
        r"connection failed|FailedToOpenSocket",
        "http-404": r"(?<![:.])(?<!line )\b404\b(?!:\d)|not found.*https?://|https?://\S+.*not found",
        "missing": r"no such package|unable to locate package|no matching (?:distribution|version|package)|"
        r"could not find (?:a version|a matching|package|gem|artifact|any version|any downloads)|"
        r"no distributions at all|has no installation candidate|"
        r"is not available, but|cannot find package|unknown revision|PackagesNotFound|ResolvePackageNotFound|"
        r"could not resolve (?:dependencies|artifact|all)|notarget|unsatisfiable|unmet dependencies|held broken|"
        r"no versions? (?:of|match)|cannot find module '(?![./])|"
        # issue 12f: more ways to say "that dependency does not exist (here)"
        r"can'?t find (?:gem|package|artifact)|could not find gem|not found in any of the following sources|"
        r"could not resolve (?!host|proxy)\w|DependencyRes|failed to collect dependencies|no matching package named|"
        r"failed to select a version|could not find artifact|PackageNotFound|package not found|invalid version|"
        r"cannot find module providing|no (?:\w+ or )?versions? found|"
        # issue 12h: a file of a package under node_modules: the package is not installed
        r"cannot find module '[^']*/node_modules/|"
        # issue 12g: git checking out a branch or commit that the fetched repository does not have
        r"pathspec '[^']+' did not match any file|"
        # issue 12h: a standard library package this Go does not have (Go older than the code needs)
        r"package \S+ is not in (?:GOROOT|std)\b",
        "resolve": r"\bconflict|incompatible|ERESOLVE|peer dep|version solving failed|ResolutionImpossible|"
        r"requires? (?:ruby|python|php|node|go)(?: version)? [<>=~^]|not up to date with|out of date with|"
        r"lock ?file.{0,60}(?:outdated|mismatch|not compatible|needs to be updated)|could not be resolved|unsatisfied|"
        # issue 12f: version words (a runtime or toolchain too old or too new for a dependency, a stale lock file)
        r"requires (?:a )?(?:different |newer |older )?(?:ruby|python|php|node(?:js)?|go|java|jdk|rust|rustc|erlang|"
        r"elixir|dart|flutter|swift|dotnet|bundler|cargo|npm|yarn|pnpm)\b|"
        r"\bis not (?:compatible|supported) (?:with|by)|"
        r"not compatible with|unsupported (?:engine|python|version|class file)|EBADENGINE|Requires-Python|"
        r"python_requires|minimum supported rust|go\.mod requires go|toolchain not available|class file version|"
        # (not `1.11`: a release no javac accepts is the project's own setting, issue 12i)
        r"UnsupportedClassVersionError|release version \d+ not supported|"
        r"invalid (?:target|source) release(?!: 1\.[1-9]\d)|"
        r"SolverProblem|cannot satisfy|could not satisfy|failed to resolve|unresolvable|"
        r"(?:lock ?file|lockfile|\.lock\b|-lock\.(?:json|yaml)).{0,80}(?:\bnot\b|out of|outdated|mismatch|changed|"
        r"differ|needs|must be|would be|conflict|invalid|corrupt|version \S+ requires|had changes|is frozen)|"
        r"(?:failed to parse|cannot parse|could not parse|outdated|stale|incompatible) (?:the )?"
        r"(?:lock ?file|lockfile)|(?:lock ?file|lockfile) would have been modified|does not satisfy|"
        r"no solution found|invalid go version|"
        # issue 12h: a tool's own version check (uv's required-version, a runtime's)
        r"does not match the running version|required \w+ version .{0,40}does not match",
        "file-missing": r"no such file or directory|could not open (?:input )?(?:file|requirements)|"
        r"cannot find (?:the )?(?:file|path)|no go files|could not find `?\w+\.(?:toml|json|lock)|not found: not found|"
        r"cannot stat|does not exist\b.*(?:file|path|director)|ENOENT|directory not found|"
        r"\bstat \S+: (?:no such|not found|file does not exist)|\bfile not found in (?:current|this) directory|"
        # issue 12h: a project file the tool looks for is not there (stack's `no .cabal or package.yaml file could be
        # found`)
        r"\bno [\w.-]+ (?:or [\w.-]+ )?files? (?:could be|was|were) found|"
        # issue 12j: a project file the tool needs is not in the image (Go's go.mod, a .NET project)
        r"cannot find main module|does not contain a project or solution file|project file .{1,200} was not found",
        # issue 12j: a compiler's or toolchain's own diagnostic, not any `error:` (`more info on this error:` in prose,
        # `swift-build: error: unsatisfiable`): at the start of the line (rustc, cargo), after a source location
        # (`x.c:4:2: error:`, `X.cs(10,13): error`), or after a compiler's or linker's name (`gcc: error:`)
        "compile": r"(?-i:(?:^|:\d+(?::\d+)?:\s*|\)\s*:\s*|\b(?:gcc|g\+\+|cc|c\+\+|clang(?:\+\+)?|cc1(?:plus)?|"
        r"collect2|ld|javac|rustc|tsc|swiftc|nvcc|go|as|ar|cpp)(?:-[\d.]+)?: |^(?:\w+ )?ERROR in \S+\s*)"
        r"(?:fatal )?error(?:\[E\d+\])?:|error TS\d+|\bundefined(?: reference| symbol|:)|cannot find symbol|"
        r"[Cc]ompilation (?:failed|terminated)|[Ff]ailed to compile|[Ss]yntax error|\*\*\* \[.*\] Error (?!127\b)\d|"
        r"fatal error:|\bError (?!127\b)\d+\s*$|Type ?[Ee]rror|could not compile|Cannot find (?:module|file) '\.\.?/|"
        r"relocation target \S+ not defined|\d+ errors? generated|"
        # (not MSBuild's, NuGet's or the SDK's codes: the build engine's errors, issue 12j)
        r"\berror (?!MSB|NU\d|NETSDK)[A-Z]{1,4}\d{3,5}\b|Attempted import error:|"
        # issue 12g: the project file a bundler (next build, webpack) names on its own line under `Failed to compile.`
        r"^\./[\w@-]+(?:/[\w@.\[\]()-]+)+(?::\d+:\d+)?$)",
        "test": r"\b\d+ (?:failed|failures?|failing)\b|tests? failed|failures?: [1-9]|FAIL(?:ED)?\b.*test|"
        r"test.*\bFAIL(?:ED)?\b|assertion ?error|there (?:are|were) test failures|"
        r"--- FAIL:|^FAIL\s+\S|Tests run:.*Failures: [1-9]|^not ok \d+|\b[1-9]\d* (?:tests? )?failed\b|"
        # a make target that runs the tests (`make: *** [test] Error 1`, `[Makefile:97: test_unit]`)
        r"\*\*\* \[(?:[^\]]*: )?(?:\w+[-_])?(?:unit[-_]?)?tests?(?:[-_]\w+)?\] Error",
        "gyp": r"\bgyp\b|node-gyp|node-pre-gyp|prebuild-install|binding\.gyp|"
        # issue 12f: a Ruby gem's native extension (the same cause: the image lacks the toolchain or headers)
        r"Failed to build gem native extension|extconf(?:\.rb)? failed|mkmf\.rb can't find",
        "font": r"google ?fonts|fonts\.googleapis|fonts\.gstatic|next/font",
        "pip-build": r"failed building wheel|error: command '.*' failed|python\.h|setup\.py.*egg_info|"
        r"subprocess-exited-with-error|metadata-generation-failed|legacy-install-failure|"
        # issue 12f: the build-dependency subprocess and PEP 517 backends (not pip's progress lines, `Installing build
        # dependencies: finished with status 'done'`, nor compose's `Service 'x' failed to build`)
        r"did not run successfully|Could not build wheels|(?-i:^(?:ERROR: |× )?Failed to build (?!image|gem\b)\S)|"
        r"build backend (?:returned|failed)|CMake must be installed|Microsoft Visual C|"
        # issue 12j: poetry's PEP 517 build of a package (ChefBuildError)
        r"ChefBuildError|originates from the build backend|Backend subprocess exited",
        # A program's own error message: an exception (Python, Ruby, Java: `exception`), `rake aborted!`, a shell
        # script's `./x.sh: 6: cd: can't cd to ...`, `tool: unknown command 'x'`, `Error: ...` (`script-message`).
        "exception": r"(?-i:^(?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception)(?::|$))",
        "script-message": r"(?-i:^rake aborted!|^[\w./-]+:(?: line)? \d+: \S|"
        r"^[\w.-]+: (?:error|unknown (?:command|option)|invalid|fatal)\b|^(?:Error|ERROR|FATAL|Fatal)[:!] )",
        "apt-sources": r"release file|NO_PUBKEY|is not signed|InRelease.*(?:changed|not valid|expired)|dists/\S+.*404|"
        # issue 12i: apt's own line for a failed fetch (`Err:1 http://deb.debian.org/debian bookworm InRelease`)
        r"index files failed|EXPKEYSIG|KEYEXPIRED|(?-i:^Err(?::\d+)? \w+://)",
    }.items()
}

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
        r"Collecting package metadata|[Uu]nsatisfiableError|PackagesNotFoundError|\.csproj\b",
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
}
CURL_EXIT = {6, 7, 22, 28, 35, 56}
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
        "lang-deps": {"compile-error", "pip-build"},
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
    r"|\bexit (?:code|status):? \d+\s*$"
    r"|returned a non-zero code"
    # issue 12h: Ansible's recap (a task failed; the task's own output says why)
    r"|\bunreachable=\d+\s+failed=[1-9]"
)
