"""Tools: check_prisma_targets (read) and fix_prisma_targets (write): binaryTargets vs each image's runtime.

The target for an image comes from agent/prisma/target.py: shipshape.toml, a LABEL, else the runtime stage's base
image read the way Prisma reads a system (os-release, ELF loader, libssl), else its name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agent.errors import ShipshapeError
from agent.prisma.check import PrismaCheck, check_prisma, fix_prisma
from agent.prisma.target import choose_target
from agent.prisma.version import find_package_root
from agent.project.config import ImageConfig
from agent.project.prisma_targets import check_target
from agent.tools import tool
from agent.tools.context import ToolContext

_RANK = {"failed": 0, "missing-target": 1, "would-fix": 2, "fixed": 3, "ok": 4, "not-applicable": 5}


class PrismaTargetsInput(BaseModel):
    image: str | None = Field(None, description="default: every image with a prisma_schema")
    target: str | None = Field(
        None,
        description="e.g. linux-musl-openssl-3.0.x; default: from the Dockerfile",
    )


def image_target(ctx: ToolContext, image: ImageConfig, override: str | None = None) -> tuple[str, str]:
    """(target, where it came from) for an image: agent/prisma/target.py's order, reading images on the build host."""
    if override:
        check_target(override)  # a name Prisma does not know is refused before anything is written
    choice = choose_target(image, ctx.docker_or_none(), override=override)
    return choice.target, choice.source


def _images(ctx: ToolContext, name: str | None) -> list[ImageConfig]:
    if name:
        image = ctx.project.image(name)
        if image.prisma_schema is None:
            raise ShipshapeError(f"image {name!r} has no prisma_schema in shipshape.toml", code="prisma-schema")
        return [image]
    return [i for i in ctx.project.images if i.prisma_schema is not None]


def _package_root(ctx: ToolContext, schema: Path) -> Path | None:
    """The app directory (with package.json) above the schema, not leaving the project."""
    return find_package_root(schema, ctx.project.root)


def _native_fits(ctx: ToolContext, image: ImageConfig) -> str | None:
    """Why "native" is the runtime's target (prisma generate runs on the runtime's platform), or None."""
    from agent.images.generated import generate_facts

    facts = generate_facts(image, ctx.docker_or_none())
    return facts.reason if facts is not None and facts.same_platform else None


def _describe(image: ImageConfig, check: PrismaCheck, source: str) -> dict[str, Any]:
    return {
        "image": image.name,
        "schema": str(check.schema),
        "status": check.status,
        "target": check.target,
        "target_source": source,
        "version": check.version,
        "version_source": check.version_source,
        "generator": check.generator,
        "engine_type": check.engine_type,
        "reason": check.reason,
        "binary_targets": check.binary_targets,
        "engine_files": check.engine_files,
    }


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    if not results:
        return {
            "status": "not-applicable",
            "reason": "no image in shipshape.toml has a prisma_schema",
            "images": [],
        }
    worst = min(results, key=lambda r: _RANK[r["status"]])
    return {"status": worst["status"], "reason": worst["reason"], "images": results}


@tool(
    "check_prisma_targets",
    "Check that each image's Prisma schema generates the query engine its runtime needs (version, generator "
    "and engine type aware). Use on PrismaClientInitializationError or before building.",
    PrismaTargetsInput,
    writes=False,
)
def check_prisma_targets(ctx: ToolContext, args: PrismaTargetsInput) -> dict[str, Any]:
    results = []
    for image in _images(ctx, args.image):
        assert image.prisma_schema is not None
        target, source = image_target(ctx, image, args.target)
        native = None if args.target else _native_fits(ctx, image)
        check = check_prisma(image.prisma_schema, target, _package_root(ctx, image.prisma_schema), native)
        results.append(_describe(image, check, source))
    return _summary(results)


@tool(
    "fix_prisma_targets",
    'Add the missing Prisma binary target to schema.prisma (keeps "native" and formatting, writes a .backup); '
    "nothing if not needed (Prisma 7, engineType client). Rebuild afterwards.",
    PrismaTargetsInput,
    writes=True,
)
def fix_prisma_targets(ctx: ToolContext, args: PrismaTargetsInput) -> dict[str, Any]:
    results = []
    for image in _images(ctx, args.image):
        assert image.prisma_schema is not None
        target, source = image_target(ctx, image, args.target)
        fix = fix_prisma(
            image.prisma_schema,
            ctx.files,
            target,
            _package_root(ctx, image.prisma_schema),
            dry_run=ctx.dry_run,
            native_fits=None if args.target else _native_fits(ctx, image),
        )
        entry = _describe(image, fix.check, source)
        entry.update(status=fix.status, diff=fix.diff, backup=str(fix.backup) if fix.backup else None)
        if fix.diff:
            ctx.reporter.note(f"{image.name}: {fix.check.reason}\n{fix.diff}")
        results.append(entry)
    return _summary(results)
