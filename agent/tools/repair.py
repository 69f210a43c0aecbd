"""Tools: suggest_dockerfile_fixes (read: ranked fixes with their diffs) and apply_fix (write: one fix, atomically,
backed up, undoable with `shipshape undo`, honouring dry-run). apply_fix records the attempt; its outcome is
decided by the next build of the image (learning.resolve_fix_outcomes)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agent.errors import ShipshapeError
from agent.tools import tool
from agent.tools.context import ToolContext

MAX_PLANS = 5


class SuggestInput(BaseModel):
    image: str
    log_path: str | None = Field(None, description="the failed build's log")
    log_text: str | None = Field(None, description="the log's text, if no file")
    category: str | None = Field(None, description="if no log")


class ApplyInput(BaseModel):
    fix_id: str = Field(..., description="from suggest_dockerfile_fixes")
    image: str
    signature: str | None = Field(None, description="for learning")
    excerpt: str | None = Field(None, description="the error line (missing context file)")


def _context_for(ctx: ToolContext, image: str) -> tuple[str | None, str, list[dict[str, Any]]]:
    """(signature, excerpt, ranked fixes) of the image's last recorded failure."""
    from agent.buildlog.patterns import load_knowledge
    from agent.memory import learning

    rows = ctx.store.rows(
        "SELECT signature, category, excerpt FROM failures WHERE image = ? ORDER BY id DESC LIMIT 1", [image]
    )
    if not rows:
        return None, "", []
    from agent.repair.toolchain import adapt_fixes, detect_toolchain

    knowledge = load_knowledge()
    fixes = knowledge.fixes_for_category(rows[0]["category"])
    config = ctx.project.image(image)
    fixes = adapt_fixes(fixes, detect_toolchain(config.context, config.dockerfile_path), knowledge)
    return rows[0]["signature"], rows[0]["excerpt"] or "", learning.rank_fixes(ctx.store, rows[0]["signature"], fixes)


def _prisma_target(ctx: ToolContext, image_name: str) -> str | None:
    from agent.prisma.target import choose_target

    image = ctx.project.image(image_name)
    return choose_target(image, ctx.docker_or_none()).target if image.prisma_schema is not None else None


@tool(
    "suggest_dockerfile_fixes",
    "Repairs for a failed image build, best first by past success: each a diff preview (.npmrc retries, "
    "next/font/local, binaryTargets, ...) or, where no edit is safe, a suggestion.",
    SuggestInput,
    writes=False,
)
def suggest_dockerfile_fixes(ctx: ToolContext, args: SuggestInput) -> dict[str, Any]:
    from agent.buildlog.patterns import load_knowledge
    from agent.memory import learning
    from agent.repair import plan_fix
    from agent.tools.context import confined_log

    image = ctx.project.image(args.image)
    signature, excerpt = None, ""
    if args.log_path or args.log_text is not None:
        path = confined_log(ctx, args.log_path) if args.log_path else None
        doc = learning.remember_log(ctx.store, path, args.log_text, args.image)
        root = doc["findings"][0] if doc["root_cause"] != "unknown" and doc["findings"] else None
        fixes = root["fixes"] if root else doc.get("memory", {}).get("fixes", [])
        signature = doc.get("memory", {}).get("signature")
        excerpt = root["excerpt"] if root else ""
        category = doc["root_cause"]
    elif args.category:
        category = args.category
        fixes = learning.rank_fixes(ctx.store, f"category:{category}", load_knowledge().fixes_for_category(category))
    else:
        signature, excerpt, fixes = _context_for(ctx, args.image)
        category = "from memory"
        if not fixes:
            raise ShipshapeError(
                f"nothing to fix for {args.image}: give log_path, log_text or category", code="bad-input"
            )
    plans = []
    target = _prisma_target(ctx, args.image)
    for fix in fixes[:MAX_PLANS]:
        plan = plan_fix(fix["id"], image, ctx.files, excerpt=excerpt, prisma_target=target).as_dict()
        plan["score"] = fix.get("score")
        plans.append(plan)
    return {"image": args.image, "category": category, "signature": signature, "fixes": plans}


@tool(
    "apply_fix",
    "Apply one fix from suggest_dockerfile_fixes to an image's files (backed up, atomic, idempotent). Rebuild "
    "afterwards: the build's outcome is remembered for the fix.",
    ApplyInput,
    writes=True,
)
def apply_fix(ctx: ToolContext, args: ApplyInput) -> dict[str, Any]:
    from agent.memory import learning
    from agent.repair import apply_plan, plan_fix

    image = ctx.project.image(args.image)
    signature, excerpt = args.signature, args.excerpt or ""
    if signature is None or not excerpt:
        last_signature, last_excerpt, _ = _context_for(ctx, args.image)
        signature = signature or last_signature
        excerpt = excerpt or last_excerpt
    plan = plan_fix(args.fix_id, image, ctx.files, excerpt=excerpt, prisma_target=_prisma_target(ctx, args.image))
    result = apply_plan(plan, ctx.files, dry_run=ctx.dry_run)
    if result["status"] == "applied" and signature:
        result["attempt_id"] = learning.record_fix_attempt(
            ctx.store, signature, args.fix_id, image=args.image, description=plan.description
        )
    if result["diff"]:
        ctx.reporter.note(f"{args.fix_id} on {args.image} ({result['status']}):\n{result['diff']}")
    result.update(image=args.image, signature=signature, dry_run=ctx.dry_run)
    return result
