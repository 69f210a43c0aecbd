"""The generic evidence of the structural reader (agent/buildlog/structure.py): which kind of failure one line of the
failing step's output shows, whatever the tool that printed it (families.py maps family x kind to a category)."""

from __future__ import annotations

import re

# A repository whose signing key apt does not have: part of the `apt-sources` evidence, and what calibration's rule 7
# looks for beside apt's `Unable to locate package` (one definition, issue 12m).
APT_KEY_MISSING = r"NO_PUBKEY|is not signed"
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
        # issue 12j: qemu's own loader error; a new userland's syscalls refused by an old host runtime (seccomp; issue
        # 12n: of any path, `ls: cannot access '/usr/bin/mvn': Operation not permitted`)
        r"(?-i:^Error while loading /\S+: No such file)|cannot access '[^']*': Operation not permitted|"
        r"working directory cannot be determined|getcwd: Operation not permitted|"
        # issue 12u: the clock system calls refused (a 32-bit ARM userland on an old seccomp profile)
        r"cannot read realtime clock: Operation not permitted|clock_gettime\S* failed: Operation not permitted|"
        # issue 12w: SIGILL, an instruction the builder's CPU lacks (the shells' and runtimes' signal reports)
        r"(?-i:(?:^|: |\d )Illegal instruction\b|\bSIGILL\b)|CPU does not support x86-64-v\d",
        "cmd-missing": r"(?::|\bsh:\s*\d*:?)\s*[\w./+-]+: (?:command )?not found\s*$|command not found|"
        r"\bcommand \"[^\"]+\" not found|"
        r"executable file not found|not recognized as an internal|spawn \S+ ENOENT|No such file or directory.*\bexec\b|"
        # issue 12h: an installer's own check for a prerequisite (SDKMAN's `Please install zip on your system`)
        r"please install \S+ (?:on your system|first)\b|\bis required but (?:it'?s |was )?not (?:installed|found)|"
        # issue 12m: a build's own check of its tools (`You need to have gcc and make installed.`, bcrypt_elixir)
        r"\byou need to have [\w ,+-]+ installed\b",
        "permission": r"permission denied|\bEACCES\b|operation not permitted|read-only file system|"
        # issue 12j: a user or group the image lacks (chown, COPY --chown, USER), an unreadable build context
        r"no permission to read|(?:chown|chgrp|install): (?:invalid|unknown) (?:user|group)|no such (?:user|group)\b|"
        r"unable to find (?:user|group)\b|no matching entries in (?:passwd|group)|no (?:users|groups) found",
        # (HTTP statuses, not a source line number like `build.go:502:12` or a traceback's `line 503`, nor, issue 12m, a
        # URL's query value `?d=404&s=250` in a page a build script printed)
        "auth": r"(?<![:.])(?<!line )\b40[13]\b(?!:\d|&)|unauthori[sz]ed|forbidden|authentication (?:required|failed)|"
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
        r"(?<![:.])(?<!line )\b50[234]\b(?!:\d|&)|service unavailable|bad gateway|TLS handshake|unexpected EOF|"
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
        "http-404": r"(?<![:.])(?<!line )\b404\b(?!:\d|&)|not found.*https?://|https?://\S+.*not found",
        "missing": r"no such package|unable to locate package|no matching (?:distribution|version|package)|"
        r"could not find (?:a version|a matching|package|gem|artifact|any version|any downloads)|"
        r"no distributions at all|has no installation candidate|"
        r"is not available, but|cannot find package|unknown revision|PackagesNotFound|ResolvePackageNotFound|"
        r"could not resolve (?:dependencies|artifact|all)|notarget|unsatisfiable|unmet dependencies|held broken|"
        r"no versions? (?:of|match)|cannot find module ['\"](?![./])|"
        # issue 12f: more ways to say "that dependency does not exist (here)"
        r"can'?t find (?:gem|package|artifact)|could not find gem|not found in any of the following sources|"
        r"could not resolve (?!host|proxy)\w|DependencyRes|failed to collect dependencies|no matching package named|"
        r"failed to select a version|could not find artifact|PackageNotFound|package not found|invalid version|"
        r"cannot find module providing|no (?:\w+ or )?versions? found|"
        # issue 12h: a file of a package under node_modules: the package is not installed
        r"cannot find module '[^']*/node_modules/|cannot find module \"[^\"]*/node_modules/|"
        # issue 12g: git checking out a branch or commit that the fetched repository does not have
        r"pathspec '[^']+' did not match any file|"
        # issue 12h: a standard library package this Go does not have (Go older than the code needs)
        r"package \S+ is not in (?:GOROOT|std)\b|"
        # issue 12u: a package's file under Go's vendor directory (`go build -mod=vendor`, `cannot load x: open
        # /build/vendor/x: no such file or directory`): the vendored dependency is not there, as under node_modules
        r"\bopen \S*/vendor/\S+: no such file or directory",
        # (issue 12n: not Go's `+incompatible` version suffix, `go: downloading x v2.2.1+incompatible`)
        "resolve": r"\bconflict|(?<!\+)incompatible|ERESOLVE|peer dep|version solving failed|ResolutionImpossible|"
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
        # issue 12n: not a compiler's missing header (`fatal error: linux/types.h: No such file or directory`): that is
        # the compile evidence, a header the image lacks
        "file-missing": r"(?<!\.h: )(?<!\.hpp: )no such file or directory|"
        r"could not open (?:input )?(?:file|requirements)|"
        r"cannot find (?:the )?(?:file|path)|no go files|could not find `?\w+\.(?:toml|json|lock)|not found: not found|"
        r"cannot stat|does not exist\b.*(?:file|path|director)|ENOENT|directory not found|"
        r"\bstat \S+: (?:no such|not found|file does not exist)|\bfile not found in (?:current|this) directory|"
        # issue 12h: a project file the tool looks for is not there (stack's `no .cabal or package.yaml file could be
        # found`)
        r"\bno [\w.-]+ (?:or [\w.-]+ )?files? (?:could be|was|were) found|"
        # issue 12j: a project file the tool needs is not in the image (Go's go.mod, a .NET project)
        r"cannot find main module|does not contain a project or solution file|project file .{1,200} was not found|"
        # issue 12w: yum's localinstall of a file that is not there or not a package (what a download saved)
        r"^Cannot open: \S+\. Skipping\.",
        # issue 12j: a compiler's or toolchain's own diagnostic, not any `error:` (`more info on this error:` in prose,
        # `swift-build: error: unsatisfiable`): at the start of the line (rustc, cargo), after a source location
        # (`x.c:4:2: error:`, `X.cs(10,13): error`), or after a compiler's or linker's name (`gcc: error:`)
        "compile": r"(?-i:(?:^|:\d+(?::\d+)?:\s*|\)\s*:\s*|\b(?:gcc|g\+\+|cc|c\+\+|clang(?:\+\+)?|cc1(?:plus)?|"
        r"collect2|ld|javac|rustc|tsc|swiftc|nvcc|go|as|ar|cpp)(?:-[\d.]+)?: |^(?:\w+ )?ERROR in \S+\s*)"
        r"(?:fatal )?error(?:\[E\d+\])?:|error TS\d+|\bundefined(?: reference| symbol|:)|cannot find symbol|"
        r"[Cc]ompilation (?:failed|terminated)|[Ff]ailed to compile|"
        # (issue 12u: not a shell's own syntax error, dash's `x: 5: Syntax error: "(" unexpected`, bash's `syntax error
        # near unexpected token`: a script the shell cannot read, not a compiler's)
        r"[Ss]yntax error(?!: (?:\"[^\"]*\"|end of file|word|newline|redirection|\S+) unexpected|"
        r" near unexpected token|: unexpected end of file)|\*\*\* \[.*\] Error (?!127\b)\d|"
        r"fatal error:|\bError (?!127\b)\d+\s*$|Type ?[Ee]rror|could not compile|Cannot find (?:module|file) '\.\.?/|"
        r"relocation target \S+ not defined|\d+ errors? generated|"
        # issue 12m: Cython's own compiler error (the project's .pyx, or a package's under pip: pip-build)
        r"Error compiling Cython file|"
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
        "apt-sources": r"release file|" + APT_KEY_MISSING + r"|InRelease.*(?:changed|not valid|expired)|dists/\S+.*404|"
        # issue 12i: apt's own line for a failed fetch (`Err:1 http://deb.debian.org/debian bookworm InRelease`)
        r"index files failed|EXPKEYSIG|KEYEXPIRED|(?-i:^Err(?::\d+)? \w+://)",
    }.items()
}
