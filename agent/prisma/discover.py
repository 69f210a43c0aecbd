"""Find a project's Prisma schemas the way Prisma's CLI finds them, and say how each was found.

Prisma looks, per package: `schema` in prisma.config.ts (Prisma 6.x+, a file or a folder), `prisma.schema` in
package.json, then the default locations `prisma/schema.prisma` and `schema.prisma` (and the `prisma/schema`
folder of a multi-file schema). A multi-file schema (the `prismaSchemaFolder` preview of 5.15-6.6, general
since 6.7) is a folder of .prisma files; its generator lives in one of them. A .prisma file that no package
points at is still reported, as found by its name only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.errors import ShipshapeError

CONFIG_NAMES = ("prisma.config.ts", "prisma.config.mts", "prisma.config.js", "prisma.config.mjs", "prisma.config.cjs")
DEFAULTS = ("prisma/schema.prisma", "schema.prisma", "prisma/schema")
_GENERATOR = re.compile(r"^\s*generator\s+\w+\s*\{", re.M)
_SCHEMA_KEY = re.compile(r"""\bschema\s*:\s*(?P<value>[\w.]+\([^)]*\)|[^,\n}]+)""")
_STRING = re.compile(r"""(['"`])([^'"`]*)\1""")


@dataclass
class SchemaSource:
    path: Path  # a schema file, or the folder of a multi-file schema
    package_dir: Path  # the package the schema belongs to (where prisma runs)
    how: str  # how it was found, for the comment in shipshape.toml

    @property
    def is_folder(self) -> bool:
        return self.path.is_dir()


def generator_file(path: Path) -> Path:
    """The file to check or edit: `path` itself, or for a multi-file schema folder the .prisma file in it that
    declares a generator (schema.prisma / main.prisma first)."""
    if not path.is_dir():
        return path
    files = sorted(
        (f for f in path.rglob("*.prisma") if "migrations" not in f.relative_to(path).parts),
        key=lambda f: (f.name not in ("schema.prisma", "main.prisma"), len(f.parts), str(f)),
    )
    for file in files:
        if _GENERATOR.search(file.read_text(encoding="utf-8", errors="replace")):
            return file
    if files:
        return files[0]
    raise ShipshapeError(f"{path} holds no .prisma file", "check prisma_schema in shipshape.toml", code="prisma-schema")


def config_schema(config: Path) -> Path | None:
    """The `schema` a prisma.config.ts names, resolved against its folder (string literals, `path.join(...)`
    and `path.resolve(...)` with `__dirname`); None when it names none."""
    text = config.read_text(encoding="utf-8", errors="replace")
    text = re.sub(r"//[^\n]*", "", text)
    found = _SCHEMA_KEY.search(text)
    if not found:
        return None
    parts = [m.group(2) for m in _STRING.finditer(found.group("value"))]
    parts = [p for p in parts if p]
    if not parts:
        return None
    return (config.parent.joinpath(*parts)).resolve()


def _package(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return {}
    return data if isinstance(data, dict) else {}


def _uses_prisma(package: dict) -> bool:
    deps = {**(package.get("dependencies") or {}), **(package.get("devDependencies") or {})}
    return any(k in deps for k in ("prisma", "@prisma/client"))


def _folder_if_multi(path: Path) -> Path:
    """A schema file whose generator turns on `prismaSchemaFolder` means its whole folder."""
    if path.is_file() and "prismaSchemaFolder" in path.read_text(encoding="utf-8", errors="replace"):
        return path.parent
    return path


def discover_schemas(root: Path, files: list[Path], excluded: Callable[[Path], str | None]) -> list[SchemaSource]:
    """Every schema under `root` (from the walked `files`), found Prisma's way; `excluded(path)` gives a reason to
    leave a path out (archived, examples, ...) or None."""
    found: list[SchemaSource] = []

    def add(path: Path, package_dir: Path, how: str) -> None:
        path = _folder_if_multi(path.resolve())
        if not path.exists() or excluded(path):
            return
        if any(s.path == path or s.path in path.parents for s in found):
            return
        found.append(SchemaSource(path, package_dir, how))

    def rel(path: Path) -> str:
        return path.relative_to(root).as_posix() if root in path.parents else path.name

    explained: set[Path] = set()
    for config in (f for f in files if f.name in CONFIG_NAMES):
        named = config_schema(config)
        if named is not None:
            add(named, config.parent, f"schema in {rel(config)}")
            explained.add(config.parent)
    for manifest in (f for f in files if f.name == "package.json"):
        package = _package(manifest)
        schema = (package.get("prisma") or {}).get("schema") if isinstance(package.get("prisma"), dict) else None
        if isinstance(schema, str) and manifest.parent not in explained:
            add(manifest.parent / schema, manifest.parent, f"prisma.schema in {rel(manifest)}")
            explained.add(manifest.parent)
    packages = {f.parent for f in files if f.name in CONFIG_NAMES}
    packages |= {f.parent for f in files if f.name == "package.json" and _uses_prisma(_package(f))}
    for folder in sorted(packages - explained):
        for default in DEFAULTS:
            candidate = folder / default
            if candidate.is_file() or (candidate.is_dir() and any(candidate.glob("*.prisma"))):
                add(candidate, folder, f"Prisma's default location {rel(candidate)}")
                break
    for file in (f for f in files if f.suffix == ".prisma"):
        if any(s.path == file.resolve() or s.path in file.resolve().parents for s in found):
            continue
        siblings = [f for f in file.parent.glob("*.prisma")]
        path = file.parent if len(siblings) > 1 else file
        add(path, file.parent.parent if file.parent.name == "prisma" else file.parent, "a .prisma file (by name)")
    return found
