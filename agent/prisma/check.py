"""Does a schema generate the query engine that the image's runtime needs? If not, add the target.

The decision depends on three facts read from the project, never guessed silently: the Prisma version
(package.json / lock file), the generator (`prisma-client-js` or `prisma-client`) and its engine type
(`library`, `binary` or `client`). Only a Rust query engine (library or binary) has binary targets; Prisma 7,
`engineType = "client"` and the `queryCompiler` preview need none. docs/prisma.md has the decision table.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from agent.errors import ShipshapeError
from agent.prisma.runtime import MUSL_TARGET
from agent.prisma.schema import Generator, add_binary_target, parse_generators
from agent.prisma.version import PrismaVersion, detect_prisma_version, find_package_root

if TYPE_CHECKING:
    from agent.engines.files import FileEditor

CLIENT_PROVIDERS = ("prisma-client-js", "prisma-client")
Status = Literal["ok", "missing-target", "not-applicable", "failed"]


@dataclass
class PrismaCheck:
    status: Status
    schema: Path
    target: str | None
    generator: str | None
    version: str | None
    engine_type: str | None
    reason: str
    binary_targets: list[str] = field(default_factory=list)
    engine_files: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # generators that lack the target
    version_source: str | None = None


def _env_value(name: str, folders: list[Path]) -> str | None:
    """An env() value as Prisma would see it: the process environment, then a .env file next to the schema."""
    if os.environ.get(name):
        return os.environ[name]
    for folder in folders:
        env_file = folder / ".env"
        if env_file.is_file():
            for line in env_file.read_text(encoding="utf-8", errors="replace").splitlines():
                key, sep, value = line.strip().removeprefix("export ").partition("=")
                if sep and key.strip() == name:
                    return value.strip().strip("\"'")
    return None


def _engine_type(gen: Generator, version: PrismaVersion | None) -> tuple[str, str]:
    """(engine type, how it was decided)."""
    if gen.engine_type:
        return gen.engine_type, "engineType in the schema"
    if os.environ.get("PRISMA_CLIENT_ENGINE_TYPE"):
        return os.environ["PRISMA_CLIENT_ENGINE_TYPE"], "PRISMA_CLIENT_ENGINE_TYPE"
    if "queryCompiler" in gen.preview_features:
        return "client", 'the "queryCompiler" preview feature'
    if version is not None and version.major >= 7:
        return "client", f"the default of Prisma {version}"
    return "library", "the default of Prisma <= 6"


def _engine_dir(gen: Generator, schema_path: Path, app_dir: Path) -> str:
    if gen.output:
        folder = (schema_path.parent / gen.output).resolve()
        return os.path.relpath(folder, app_dir)
    return "node_modules/.prisma/client"


def _engine_file(engine_type: str, target: str) -> str:
    return f"query-engine-{target}" if engine_type == "binary" else f"libquery_engine-{target}.so.node"


def check_prisma(
    schema_path: Path, target: str | None = None, package_root: Path | None = None, native_fits: str | None = None
) -> PrismaCheck:
    """Check that every Prisma client generator of `schema_path` generates the engine for `target`.

    `target` defaults to MUSL_TARGET; `package_root` (the app directory, with package.json) to the nearest one
    above the schema. `native_fits` says why "native" is the runtime's platform (the Dockerfile runs
    `prisma generate` on the runtime's platform: agent/prisma/generate.py); then a generator whose binaryTargets
    keeps "native" (or is unset) lacks nothing. `schema_path` may be a multi-file schema folder. Raises
    PrismaSchemaError for a malformed schema and ShipshapeError for a missing file.
    """
    from agent.prisma.discover import generator_file

    schema_path = generator_file(schema_path.resolve())
    try:
        text = schema_path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ShipshapeError(
            f"{schema_path} does not exist", "check prisma_schema in shipshape.toml", code="prisma-schema"
        ) from None
    except UnicodeDecodeError:
        raise ShipshapeError(f"{schema_path} is not UTF-8 text", code="prisma-schema") from None
    generators = parse_generators(text, str(schema_path))
    wanted = target or MUSL_TARGET
    root = package_root or find_package_root(schema_path) or schema_path.parent
    version = detect_prisma_version(root) if (root / "package.json").is_file() or package_root else None
    if version is not None:
        about_version = f"Prisma {version} from {version.source}"
    else:
        about_version = f"no Prisma version in package.json or a lock file near {schema_path.name}; assuming 5/6"
    base = PrismaCheck(
        "ok",
        schema_path,
        wanted,
        None,
        str(version) if version else None,
        None,
        "",
        version_source=version.source if version else None,
    )

    checked: list[tuple[Generator, str, str]] = []
    for gen in generators:
        provider = gen.provider
        env_name = gen.env_name("provider")
        if env_name:
            provider = _env_value(env_name, [schema_path.parent, root])
            if provider is None:
                base.status, base.generator = "failed", gen.name
                base.reason = f'generator {gen.name}: provider = env("{env_name}") is not set; cannot tell its kind'
                return base
        if provider in CLIENT_PROVIDERS:
            engine, why = _engine_type(gen, version)
            checked.append((gen, engine, why))
    if not checked:
        base.status = "not-applicable"
        base.reason = f"{schema_path.name} has no prisma-client-js or prisma-client generator: no query engine"
        return base

    unknown = [(g, e) for g, e, _ in checked if e not in ("library", "binary", "client")]
    if unknown:
        gen, engine = unknown[0]
        base.status, base.generator, base.engine_type = "failed", gen.name, engine
        base.reason = f"generator {gen.name}: unknown engineType {engine!r} (expected library, binary or client)"
        return base

    needing = [(g, e, w) for g, e, w in checked if e in ("library", "binary")]
    if not needing:
        gen, engine, why = checked[0]
        base.status, base.generator, base.engine_type = "not-applicable", gen.name, engine
        base.binary_targets = list(gen.binary_targets or [])
        base.target = None
        base.reason = (
            f"generator {gen.name} uses engine type {engine!r} ({why}; {about_version}): there is no Rust "
            "query engine, so no binary target is needed; check the generated client and its driver adapter"
        )
        return base
    for gen, engine, _ in needing:
        if gen.binary_targets is None and "binaryTargets" in gen.fields:
            base.status, base.generator, base.engine_type = "failed", gen.name, engine
            base.reason = f"generator {gen.name}: binaryTargets is not a list of strings; set it by hand"
            return base
        folder = _engine_dir(gen, schema_path, root)
        base.engine_files.append(f"{folder}/{_engine_file(engine, wanted)}")
        targets = gen.binary_targets or ["native"]
        if wanted not in targets and not (native_fits and "native" in targets):
            base.missing.append(gen.name)
    first = next((n for n in needing if n[0].name in base.missing), needing[0])
    gen, engine, why = first
    base.generator, base.engine_type = gen.name, engine
    base.binary_targets = list(gen.binary_targets or ["native"])
    kind = f"{gen.provider}, {engine} engine: {why}; {about_version}"
    if base.missing:
        base.status = "missing-target"
        only_native = set(base.binary_targets) <= {"native"}
        native = ' ("native" is only the platform that runs prisma generate)' if only_native else ""
        base.reason = (
            f"generator {gen.name} does not generate {wanted}: binaryTargets is {json.dumps(base.binary_targets)}"
            f"{native}, so the image would fail with 'Prisma Client could not locate the Query Engine for runtime "
            f'"{wanted}"\' ({kind})'
        )
    elif wanted not in base.binary_targets and native_fits:
        base.reason = f"generator {gen.name} generates native, which is {wanted} here: {native_fits} ({kind})"
    else:
        base.reason = f"generator {gen.name} has {wanted} in binaryTargets ({kind})"
    return base


# -- the fix ------------------------------------------------------------------------------------------------


@dataclass
class PrismaFix:
    status: Literal["ok", "fixed", "would-fix", "not-applicable", "failed"]
    check: PrismaCheck
    diff: str
    backup: Path | None


def fix_prisma(
    schema_path: Path,
    editor: FileEditor,
    target: str | None = None,
    package_root: Path | None = None,
    dry_run: bool = False,
    native_fits: str | None = None,
) -> PrismaFix:
    """Add the missing target to every client generator that lacks it, through `editor` (backup, atomic write,
    journal). Running it again changes nothing. With `dry_run` only the diff is computed (status "would-fix").
    """
    from agent.engines.files import unified_diff

    check = check_prisma(schema_path, target, package_root, native_fits)
    if check.status != "missing-target":
        status: Literal["ok", "not-applicable", "failed"] = check.status
        return PrismaFix(status, check, "", None)
    path = editor.confine(check.schema)
    old = path.read_bytes().decode("utf-8")
    new = old
    for name in check.missing:
        new = add_binary_target(new, name, check.target or MUSL_TARGET, str(path))
    try:
        rel = str(path.relative_to(editor.root))
    except ValueError:
        rel = str(path)
    diff = unified_diff(old, new, rel)
    if dry_run:
        return PrismaFix("would-fix", check, diff, None)
    reason = f"add {check.target} to binaryTargets of generator(s) {', '.join(check.missing)}"
    result = editor.write(path, new, reason)
    after = check_prisma(path, target, package_root)
    if after.status != "ok":
        return PrismaFix("failed", after, diff, result.backup)
    after.reason = f"added {check.target} to binaryTargets of {', '.join(check.missing)}; run 'prisma generate'"
    return PrismaFix("fixed", after, diff, result.backup)
