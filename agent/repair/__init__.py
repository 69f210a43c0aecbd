"""Repairs for diagnosed build failures: fix id -> a Plan of concrete edits (or a precise suggestion).

plan = plan_fix("npm-retry-settings", image, editor)
plan.as_dict()["diff"]            # the preview
apply_plan(plan, editor)           # backup, atomic write, journal; undo with `shipshape undo`
"""

from __future__ import annotations

from pathlib import Path

from agent.buildlog.patterns import load_knowledge
from agent.engines.files import FileEditor
from agent.errors import ShipshapeError
from agent.project.config import ImageConfig
from agent.repair.dockerfile import base_image_suggestion, plan_apk_openssl, plan_dockerignore, plan_platform_pin
from agent.repair.nextfont import plan_next_font
from agent.repair.npm import plan_npm_retries
from agent.repair.plan import Plan, apply_plan
from agent.repair.yarn import plan_pnpm_network, plan_yarn_berry_http, plan_yarn_network_timeout

__all__ = ["Plan", "apply_plan", "plan_fix"]


def plan_fix(
    fix_id: str, image: ImageConfig, editor: FileEditor, *, excerpt: str = "", prisma_target: str | None = None
) -> Plan:
    """The plan of fix `fix_id` (an id of data/patterns.yaml) for `image`. Read-only."""
    knowledge = load_knowledge()
    fix = knowledge.fixes.get(fix_id)
    if fix is None:
        raise ShipshapeError(
            f"unknown fix {fix_id!r}", f"known fixes: {', '.join(sorted(knowledge.fixes))}", "unknown-fix"
        )
    if fix_id == "npm-retry-settings":
        return plan_npm_retries(image, editor, fix.description)
    if fix_id == "next-font-local":
        return plan_next_font(image, editor, fix.description)
    if fix_id == "prisma-apk-openssl":
        return plan_apk_openssl(image, editor, fix.description)
    if fix_id == "platform-pin":
        return plan_platform_pin(image, editor, fix.description)
    if fix_id == "dockerignore-unignore":
        return plan_dockerignore(image, editor, fix.description, excerpt)
    if fix_id == "prisma-binary-targets":
        return _plan_prisma(image, editor, fix.description, prisma_target)
    if fix_id == "yarn-network-timeout":
        return plan_yarn_network_timeout(image, editor, fix.description)
    if fix_id == "yarn-berry-http":
        return plan_yarn_berry_http(image, editor, fix.description)
    if fix_id == "pnpm-network-settings":
        return plan_pnpm_network(image, editor, fix.description)
    if fix_id == "base-image-tag":
        return base_image_suggestion(image, fix.description)
    return Plan(fix_id, fix.description, suggestion=fix.description)


def _plan_prisma(image: ImageConfig, editor: FileEditor, description: str, target: str | None) -> Plan:
    """Preview through the Prisma engineer's fix_prisma (dry run); applying calls it for real."""
    from agent.prisma.check import fix_prisma

    plan = Plan("prisma-binary-targets", description)
    if image.prisma_schema is None:
        plan.suggestion = f"image {image.name} has no prisma_schema in shipshape.toml; {description}"
        return plan
    schema = image.prisma_schema
    preview = fix_prisma(schema, editor, target, dry_run=True)
    if preview.status == "would-fix":
        plan.diffs = [preview.diff]

        def run(ed: FileEditor) -> list[Path]:
            done = fix_prisma(schema, ed, target)
            if done.status == "failed":
                raise ShipshapeError(f"the Prisma fix failed: {done.check.reason}", code="fix-failed")
            return [done.check.schema] if done.status == "fixed" else []

        plan.runner = run
    elif preview.status == "ok":
        plan.suggestion = f"binaryTargets already include {preview.check.target}: {preview.check.reason}"
    else:
        plan.suggestion = f"Prisma check says {preview.status}: {preview.check.reason}"
    return plan
