"""Does a schema generate the query engine that the image's runtime needs? If not, add the target.

The decision depends on three facts read from the project, never guessed silently: the Prisma version
(package.json / lock file), the generator (`prisma-client-js` or `prisma-client`) and its engine type
(`library`, `binary` or `client`). Only a Rust query engine (library or binary) has binary targets; Prisma 7,
`engineType = "client"` and the `queryCompiler` preview need none. docs/prisma.md has the decision table.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from agent.errors import ShipshapeError
from agent.prisma.schema import Generator, add_binary_target, parse_generators
from agent.prisma.version import PrismaVersion, detect_prisma_version, find_package_root

if TYPE_CHECKING:
    from agent.engines.files import FileEditor

MUSL_TARGET = "linux-musl-openssl-3.0.x"
CLIENT_PROVIDERS = ("prisma-client-js", "prisma-client")
LABEL_TARGET = "org.shipshape.prisma-target"
LABEL_LIBC = "org.shipshape.libc"
LABEL_OPENSSL = "org.shipshape.openssl"

# glibc distributions: release -> OpenSSL series (debian 9-11 and ubuntu <= 20.04 ship 1.1, later ones 3).
_CODENAMES = {
    "jessie": "1.0.x",
    "stretch": "1.1.x",
    "buster": "1.1.x",
    "bullseye": "1.1.x",
    "bookworm": "3.0.x",
    "trixie": "3.0.x",
    "xenial": "1.0.x",
    "bionic": "1.1.x",
    "focal": "1.1.x",
    "jammy": "3.0.x",
    "noble": "3.0.x",
}
_DEBIAN = {"8": "1.0.x", "9": "1.1.x", "10": "1.1.x", "11": "1.1.x", "12": "3.0.x", "13": "3.0.x"}
_UBUNTU = {"16.04": "1.0.x", "18.04": "1.1.x", "20.04": "1.1.x", "22.04": "3.0.x", "24.04": "3.0.x"}
_GLIBC_IMAGES = ("node", "debian", "ubuntu", "python", "ruby", "golang", "buildpack-deps")


# -- the runtime's target, from the Dockerfile -------------------------------------------------------------


@dataclass
class Stage:
    base: str
    name: str | None
    platform: str | None
    labels: dict[str, str] = field(default_factory=dict)


def _logical_lines(text: str) -> list[str]:
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") and not current:
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return lines


def _substitute(value: str, args: dict[str, str]) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(3)
        default = m.group(2)
        return args.get(name) or (default or "")

    return re.sub(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)", repl, value)


def _labels(rest: str) -> dict[str, str]:
    found = {}
    for m in re.finditer(r'"?([\w.\-/]+)"?\s*=\s*("(?:[^"\\]|\\.)*"|\S+)', rest):
        found[m.group(1)] = m.group(2).strip('"')
    return found


def parse_stages(dockerfile_text: str) -> list[Stage]:
    """The FROM stages of a Dockerfile (ARG defaults before the first FROM substituted) with their LABELs."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(dockerfile_text):
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "ARG" and not stages:
            arg, _, default = rest.strip().partition("=")
            args[arg.strip()] = default.strip().strip('"')
        elif word == "FROM":
            parts = _substitute(rest, args).split()
            platform = next((p.split("=", 1)[1] for p in parts if p.startswith("--platform=")), None)
            parts = [p for p in parts if not p.startswith("--")]
            if not parts:
                continue
            name = parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else None
            stages.append(Stage(parts[0], name, platform))
        elif word == "LABEL" and stages:
            stages[-1].labels.update(_labels(rest))
    return stages


def _arm64(stage: Stage) -> bool:
    return "arm64" in (stage.platform or "") or stage.base.startswith(("arm64v8/", "docker.io/arm64v8/"))


def _glibc_openssl(repo: str, tag: str) -> str | None:
    text = f"{repo}:{tag}"
    for name, ssl in _CODENAMES.items():
        if re.search(rf"\b{name}\b", text):
            return ssl
    m = re.search(r"debian(\d+)", text)
    if m:
        return _DEBIAN.get(m.group(1))
    if repo == "debian" and (m := re.match(r"(\d+)", tag)):
        return _DEBIAN.get(m.group(1))
    if repo == "ubuntu" and (m := re.match(r"(\d+\.\d+)", tag)):
        return _UBUNTU.get(m.group(1))
    if repo == "node" and (m := re.match(r"(\d+)", tag)) and int(m.group(1)) <= 16:
        return "1.1.x"  # node 16 and older default to bullseye / buster
    return None


def _from_image(ref: str, arm: bool) -> str | None:
    """The Prisma target for a well-known base image reference, or None."""
    last = ref.split("@")[0].split("/")[-1].lower()
    repo, _, tag = last.partition(":")
    tag = tag or "latest"
    if repo == "alpine" or "alpine" in tag or "musl" in tag or "musl" in repo:
        m = re.search(r"(?:^|alpine)(\d+)\.(\d+)", tag)
        if m and (int(m.group(1)), int(m.group(2))) < (3, 17):
            return "linux-musl-arm64-openssl-1.1.x" if arm else "linux-musl"
        return "linux-musl-arm64-openssl-3.0.x" if arm else MUSL_TARGET
    glibc = "linux-arm64-openssl-{}" if arm else "debian-openssl-{}"
    if repo in _GLIBC_IMAGES or "distroless" in ref or "debian" in repo:
        return glibc.format(_glibc_openssl(repo, tag) or "3.0.x")
    rhel = re.match(r"(ubi|rockylinux|almalinux|centos|fedora|amazonlinux|oraclelinux)(\d*)", repo)
    if rhel:
        m = re.search(r"(\d+)", rhel.group(2) or tag)
        major = int(m.group(1)) if m else 9
        if rhel.group(1) == "amazonlinux":
            return "rhel-openssl-3.0.x" if major >= 2022 else "rhel-openssl-1.0.x"
        if rhel.group(1) == "fedora":
            return "rhel-openssl-3.0.x"
        return {7: "rhel-openssl-1.0.x", 8: "rhel-openssl-1.1.x"}.get(major, "rhel-openssl-3.0.x")
    return None


def _runtime_chain(dockerfile_text: str, stage: str | None) -> list[Stage]:
    """The chosen stage (`stage`, else the final one) and the stages it builds on, nearest first."""
    stages = parse_stages(dockerfile_text)
    if not stages:
        return []
    by_name = {s.name.lower(): s for s in stages if s.name}
    if stage is not None:
        chosen = by_name.get(stage.lower())
        if chosen is None:
            known = ", ".join(s.name for s in stages if s.name) or "none named"
            raise ShipshapeError(f"the Dockerfile has no stage {stage!r} (stages: {known})", code="dockerfile-stage")
    else:
        chosen = stages[-1]
    chain, current, seen = [chosen], chosen, {id(chosen)}
    while current.base.lower() in by_name and id(by_name[current.base.lower()]) not in seen:
        current = by_name[current.base.lower()]
        seen.add(id(current))
        chain.append(current)
    return chain


def label_target(dockerfile_text: str, stage: str | None = None) -> str | None:
    """The target a runtime stage states with a LABEL (`org.shipshape.prisma-target`, or `org.shipshape.libc` with
    `org.shipshape.openssl`), on itself or a stage it builds on; None when none says it."""
    chain = _runtime_chain(dockerfile_text, stage)
    arm = any(_arm64(s) for s in chain)
    for s in chain:  # the stage's own labels first, then those it inherits
        if LABEL_TARGET in s.labels:
            return s.labels[LABEL_TARGET]
        libc = s.labels.get(LABEL_LIBC, "").lower()
        if libc in ("musl", "glibc"):
            ssl = s.labels.get(LABEL_OPENSSL, "3.0.x").removeprefix("openssl-")
            ssl = {"3": "3.0.x", "1.1": "1.1.x", "1.0": "1.0.x"}.get(ssl, ssl)
            if libc == "musl":
                return f"linux-musl-arm64-openssl-{ssl}" if arm else f"linux-musl-openssl-{ssl}"
            return f"linux-arm64-openssl-{ssl}" if arm else f"debian-openssl-{ssl}"
    return None


def runtime_base(dockerfile_text: str, stage: str | None = None) -> str | None:
    """The image the runtime stage is built on in the end (after following `FROM <stage>`), or None."""
    chain = _runtime_chain(dockerfile_text, stage)
    return chain[-1].base if chain else None


def runtime_target(dockerfile_text: str, stage: str | None = None) -> str | None:
    """The Prisma binary target that the final stage (or the stage named `stage`) runs on, from the Dockerfile's
    text alone, or None if unknown: a stage's LABEL wins, then the base image's well-known name.

    Raises ShipshapeError when `stage` names no stage of the Dockerfile.
    """
    chain = _runtime_chain(dockerfile_text, stage)
    if not chain:
        return None
    return label_target(dockerfile_text, stage) or _from_image(chain[-1].base, any(_arm64(s) for s in chain))


# -- the check ----------------------------------------------------------------------------------------------


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


def check_prisma(schema_path: Path, target: str | None = None, package_root: Path | None = None) -> PrismaCheck:
    """Check that every Prisma client generator of `schema_path` generates the engine for `target`.

    `target` defaults to MUSL_TARGET; `package_root` (the app directory, with package.json) to the nearest one
    above the schema. Raises PrismaSchemaError for a malformed schema and ShipshapeError for a missing file.
    """
    schema_path = schema_path.resolve()
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
        if wanted not in (gen.binary_targets or []):
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
) -> PrismaFix:
    """Add the missing target to every client generator that lacks it, through `editor` (backup, atomic write,
    journal). Running it again changes nothing. With `dry_run` only the diff is computed (status "would-fix").
    """
    from agent.engines.files import unified_diff

    check = check_prisma(schema_path, target, package_root)
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
