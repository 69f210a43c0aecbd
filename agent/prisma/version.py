"""Which Prisma version a package uses: from its lock file when there is one, else from package.json ranges.

The lock file says what `npm ci` / `pnpm install --frozen-lockfile` / `yarn install` will put in the image; a
range in package.json only bounds it, so the minimum version the range allows is taken (the version whose
behaviour the schema must at least support). `@prisma/client` is preferred over `prisma`: the client is what
loads the query engine at run time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agent.errors import ShipshapeError

PACKAGES = ("@prisma/client", "prisma")
_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class PrismaVersion:
    raw: str
    major: int
    minor: int
    patch: int
    source: str  # the file it came from, e.g. "package-lock.json"
    package: str = "@prisma/client"

    def at_least(self, major: int, minor: int = 0, patch: int = 0) -> bool:
        return (self.major, self.minor, self.patch) >= (major, minor, patch)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def _exact(raw: str, source: str, package: str) -> PrismaVersion | None:
    match = _SEMVER.match(raw.strip())
    if not match:
        return None
    major, minor, patch = (int(g) for g in match.groups())
    return PrismaVersion(raw.strip(), major, minor, patch, source, package)


def minimum_of_range(spec: str) -> tuple[int, int, int] | None:
    """The lowest version an npm range allows (`^5.22.0` -> 5.22.0, `~6.1` -> 6.1.0, `5.x` -> 5.0.0,
    `>=5.3 <7` -> 5.3.0, `>5.0.0` -> 5.0.1, `a || b` -> the lower of both); None for tags, URLs, `*`."""
    best: tuple[int, int, int] | None = None
    for alternative in spec.split("||"):
        low: tuple[int, int, int] | None = None
        for part in re.split(r"\s+", alternative.strip().replace(" - ", " >=")):
            m = re.fullmatch(r"(\^|~|>=|>|=|v)?\s*(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?(?:[-+][\w.+-]*)?", part)
            if not m:
                continue
            op = m.group(1) or ""
            nums = [int(g) if g and g.isdigit() else 0 for g in (m.group(2), m.group(3), m.group(4))]
            version = (nums[0], nums[1], nums[2] + (1 if op == ">" else 0))
            low = version if low is None else max(low, version)
        if low is not None and (best is None or low < best):
            best = low
    return best


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ShipshapeError(f"{path} is not valid JSON: {exc}", code="prisma-version") from None


def _from_package_lock(path: Path, rel: str) -> PrismaVersion | None:
    data = _load_json(path)
    if not isinstance(data, dict):
        return None
    packages = data.get("packages") or {}
    deps = data.get("dependencies") or {}
    for name in PACKAGES:
        # lockfile v2/v3: "packages" keyed by install path; a workspace package may have its own node_modules.
        for key in (f"{rel}/node_modules/{name}" if rel else "", f"node_modules/{name}"):
            entry = packages.get(key) if key else None
            if isinstance(entry, dict) and isinstance(entry.get("version"), str):
                found = _exact(entry["version"], path.name, name)
                if found:
                    return found
        entry = deps.get(name)  # lockfile v1
        if isinstance(entry, dict) and isinstance(entry.get("version"), str):
            found = _exact(entry["version"], path.name, name)
            if found:
                return found
    return None


def _from_pnpm_lock(path: Path, rel: str) -> PrismaVersion | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ShipshapeError(f"{path} is not valid YAML: {exc}", code="prisma-version") from None
    if not isinstance(data, dict):
        return None
    importers = data.get("importers") or {}
    scopes = [importers.get(rel or "."), data]  # v6+ lists deps per importer; v5 at the top level
    for name in PACKAGES:
        for scope in scopes:
            if not isinstance(scope, dict):
                continue
            for section in ("dependencies", "devDependencies"):
                entry = (scope.get(section) or {}).get(name)
                raw = entry.get("version") if isinstance(entry, dict) else entry
                found = _exact(str(raw), path.name, name) if raw is not None else None
                if found:
                    return found
        for key in data.get("packages") or {}:
            # "/prisma/5.22.0" (v5), "/prisma@5.22.0" (v6), "prisma@5.22.0" (v9), "@prisma/client@5.22.0(..)"
            m = re.match(rf"^/?{re.escape(name)}[@/](\d[^(/:]*)", str(key))
            found = _exact(m.group(1), path.name, name) if m else None
            if found:
                return found
    return None


def _from_yarn_lock(path: Path) -> PrismaVersion | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    for name in PACKAGES:
        # An entry header lists its specs (`"@prisma/client@^5.1.0", "@prisma/client@^5.2.0":` in v1,
        # `"prisma@npm:^5.22.0":` in berry); its `version` line follows within the entry.
        header = re.compile(rf'^"?{re.escape(name)}@[^\n]*:\s*$', re.M)
        for m in header.finditer(text):
            specs = [s.strip().strip('"') for s in m.group(0).rstrip(": \n").split(",")]
            if not all(s.startswith(f"{name}@") for s in specs):
                continue
            v = re.compile(r'^\s+version:?\s+"?([^"\s]+)"?\s*$', re.M).search(text, m.end())
            found = _exact(v.group(1), path.name, name) if v else None
            if found:
                return found
    return None


def _from_installed(root: Path) -> PrismaVersion | None:
    for name in PACKAGES:
        manifest = root / "node_modules" / name / "package.json"
        if manifest.is_file():
            data = _load_json(manifest)
            if isinstance(data, dict) and isinstance(data.get("version"), str):
                found = _exact(data["version"], f"node_modules/{name}/package.json", name)
                if found:
                    return found
    return None


def _from_package_json(path: Path) -> PrismaVersion | None:
    data = _load_json(path)
    if not isinstance(data, dict):
        return None
    for name in PACKAGES:
        for section in ("dependencies", "devDependencies"):
            spec = (data.get(section) or {}).get(name)
            if isinstance(spec, str):
                low = minimum_of_range(spec)
                if low is not None:
                    return PrismaVersion(spec, *low, source=path.name, package=name)
    return None


def _lock_dirs(package_root: Path, limit: int = 4) -> list[Path]:
    """The package's directory, then its parents up to a repository root (a workspace keeps one lock file)."""
    dirs = [package_root]
    for parent in list(package_root.parents)[:limit]:
        if (dirs[-1] / ".git").exists():
            break
        dirs.append(parent)
    return dirs


def detect_prisma_version(package_root: Path) -> PrismaVersion | None:
    """The Prisma version of the package in `package_root`, or None when nothing names Prisma.

    Order: package-lock.json / npm-shrinkwrap.json (v1, v2, v3), pnpm-lock.yaml, yarn.lock (v1 and berry), in
    the package's directory or a workspace root above it; then an installed node_modules; then the minimum
    version allowed by the ranges in package.json. Raises ShipshapeError when one of these files is malformed.
    """
    package_root = package_root.resolve()
    for folder in _lock_dirs(package_root):
        rel = package_root.relative_to(folder).as_posix()
        rel = "" if rel == "." else rel
        for name in ("package-lock.json", "npm-shrinkwrap.json"):
            if (folder / name).is_file() and (found := _from_package_lock(folder / name, rel)):
                return found
        if (folder / "pnpm-lock.yaml").is_file() and (found := _from_pnpm_lock(folder / "pnpm-lock.yaml", rel)):
            return found
        if (folder / "yarn.lock").is_file() and (found := _from_yarn_lock(folder / "yarn.lock")):
            return found
    if found := _from_installed(package_root):
        return found
    manifest = package_root / "package.json"
    return _from_package_json(manifest) if manifest.is_file() else None


def find_package_root(schema_path: Path, stop: Path | None = None) -> Path | None:
    """The nearest directory at or above the schema's that holds a package.json, not above `stop`."""
    here = schema_path.resolve().parent
    stop = stop.resolve() if stop is not None else None
    for folder in (here, *here.parents):
        if (folder / "package.json").is_file():
            return folder
        if folder == stop or (folder / ".git").exists():
            return None
    return None
