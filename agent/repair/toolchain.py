"""Which tools a build context uses, so that a fix fits them: npm, yarn classic, yarn berry or pnpm (from the lock
files and the Dockerfile), musl or glibc (from the runtime stage's base image), and a pinned platform.

toolchain = detect_toolchain(image.context, image.dockerfile_path)
fixes = adapt_fixes(fixes, toolchain, knowledge)      # the fixes that fit first; ones that cannot help dropped
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from agent.buildlog.patterns import Fix, Knowledge
from agent.repair.buildcontext import find_files

FROM = re.compile(r"^\s*FROM\s+(?:--platform=(\S+)\s+)?(\S+)", re.I | re.M)


@dataclass(frozen=True)
class Toolchain:
    """What the context shows. None means it does not tell."""

    package_manager: str | None = None  # npm | yarn-classic | yarn-berry | pnpm
    libc: str | None = None  # musl | glibc
    base_images: tuple[str, ...] = ()
    pinned_platform: str | None = None
    lockfiles: tuple[str, ...] = field(default_factory=tuple)


def _package_manager(context: Path, dockerfile: str) -> tuple[str | None, tuple[str, ...]]:
    locks = {p.name: p for p in find_files(context, ("pnpm-lock.yaml", "yarn.lock", "package-lock.json"), limit=20)}
    names = tuple(sorted(locks))
    if "pnpm-lock.yaml" in locks or re.search(r"\bpnpm\s+(?:i|install)\b", dockerfile):
        return "pnpm", names
    if "yarn.lock" in locks:
        head = locks["yarn.lock"].read_text(encoding="utf-8", errors="replace")[:4000]
        return ("yarn-berry" if "__metadata:" in head else "yarn-classic"), names
    if re.search(r"^\s*RUN\b.*\byarn\b", dockerfile, re.M):
        return ("yarn-berry" if (context / ".yarnrc.yml").is_file() else "yarn-classic"), names
    if "package-lock.json" in locks or re.search(r"\bnpm\s+(?:ci|install|i)\b", dockerfile):
        return "npm", names
    return None, names


def detect_toolchain(context: Path, dockerfile_path: Path) -> Toolchain:
    """Read the Dockerfile and the lock files of `context` (read-only)."""
    dockerfile = dockerfile_path.read_text(encoding="utf-8", errors="replace") if dockerfile_path.is_file() else ""
    manager, locks = _package_manager(context, dockerfile) if context.is_dir() else (None, ())
    froms = FROM.findall(dockerfile)
    bases = tuple(image for _, image in froms)
    runtime = bases[-1].lower() if bases else ""
    libc = None
    if runtime:
        libc = "musl" if "alpine" in runtime or "musl" in runtime else "glibc"
    pinned = next((platform for platform, _ in froms if platform), None)
    return Toolchain(manager, libc, bases, pinned, locks)


# For each package manager, the network fix that it actually reads (yarn v1 ignores .npmrc retries).
NETWORK_FIX = {
    "yarn-classic": "yarn-network-timeout",
    "yarn-berry": "yarn-berry-http",
    "pnpm": "pnpm-network-settings",
    "npm": "npm-retry-settings",
}
NETWORK_FIXES = set(NETWORK_FIX.values())


def adapt_fixes(fixes: list[Fix], toolchain: Toolchain, knowledge: Knowledge) -> list[Fix]:
    """`fixes` reordered (and completed) for the tools in use: the package manager's own network settings first,
    the lock-file fix that fits EINTEGRITY, no platform pin when the Dockerfile already pins one."""
    ids = [f.id for f in fixes]
    if NETWORK_FIXES & set(ids) and toolchain.package_manager in NETWORK_FIX:
        wanted = NETWORK_FIX[toolchain.package_manager]
        rest = [i for i in ids if i not in NETWORK_FIXES]
        ids = [wanted, *rest]
    if "npm-integrity-regenerate" in ids and "npm-commit-lockfile" in ids:
        has_lock = any(name in toolchain.lockfiles for name in ("package-lock.json", "yarn.lock", "pnpm-lock.yaml"))
        first = "npm-integrity-regenerate" if has_lock else "npm-commit-lockfile"
        ids = [first, *[i for i in ids if i != first]]
    if "platform-pin" in ids and toolchain.pinned_platform:
        ids = [i for i in ids if i != "platform-pin"]  # already pinned: pinning again cannot help
    return [knowledge.fixes[i] for i in ids if i in knowledge.fixes]
