"""Tool verify_images: sizes against budgets, the Prisma engine inside each image (read from the image's file
system, not by running it, and judged by its ELF), and each image present on the cluster's node by ID.

The checks themselves (`engine_report`, `budget_problem`, ...) are agent/images/checks.py's, shared with
build_and_load_images and analyze_image_layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from agent.images.checks import budget_problem, current_tag, engine_report, prisma_target_for
from agent.tools import tool
from agent.tools.context import ToolContext

if TYPE_CHECKING:
    from agent.project.config import ImageConfig


class VerifyInput(BaseModel):
    only: list[str] | None = Field(default=None, description="default: all")


def verify_one(ctx: ToolContext, image: ImageConfig, loader: Any) -> dict[str, Any]:
    """One image's verification: the image of its current sources, else its newest recorded build."""
    from agent.prisma.check import check_prisma

    docker = ctx.docker
    ref: str | None = current_tag(image)
    if ref is None or docker.image(ref) is None:
        rows = ctx.store.rows(
            "SELECT tag FROM builds WHERE image = ? AND repository = ? AND image_id IS NOT NULL "
            "AND image_id != '' ORDER BY id DESC LIMIT 1",
            [image.name, image.repository],
        )
        ref = rows[0]["tag"] if rows else ref
    doc: dict[str, Any] = {"name": image.name, "tag": ref, "ok": False, "problems": []}
    found = docker.image(ref) if ref else None
    if not found:
        doc["problems"].append(f"no built image for {image.name} on the build host: run 'shipshape build'")
        return doc
    size = int(found["Size"])
    doc.update(
        image_id=found["Id"], size_bytes=size, budget_bytes=image.budget_bytes, within_budget=size <= image.budget_bytes
    )
    problem = budget_problem(image.name, size, image.budget_bytes, docker.history(ref) if ref else [])
    if problem:
        doc["problems"].append(problem)
    if image.prisma_schema:
        target = prisma_target_for(image, docker, ref)
        check = check_prisma(image.prisma_schema, target)
        doc["prisma"] = {"status": check.status, "target": check.target, "reason": check.reason}
        if check.status == "missing-target":
            doc["problems"].append(check.reason)
        if check.engine_files and check.target and ref:
            doc["engine"] = engine_report(docker, ref, check.engine_files, check.target)
            if not doc["engine"]["ok"]:
                doc["problems"].append(doc["engine"]["reason"])
    if loader is not None and ref:
        on_node = loader.present(found["Id"], ref)
        doc["on_node"] = on_node
        if not on_node:
            doc["problems"].append(
                f"{ref} ({found['Id'][:19]}) is not on the cluster's node: run 'shipshape build' to load it"
            )
    doc["ok"] = not doc["problems"]
    return doc


@tool(
    "verify_images",
    "Check built images without changing them: size against budget, the Prisma engine inside (present, "
    "fitting musl/glibc and libssl), the node holding the image. Use after a build or when pods fail to "
    "start.",
    VerifyInput,
    writes=False,
)
def verify_images(ctx: ToolContext, args: VerifyInput) -> dict[str, Any]:
    from agent.engines.loaders import make_loader

    images = ctx.project.select(args.only)
    ctx.docker.ping()
    loader = make_loader(ctx.project, ctx.docker)
    results = [verify_one(ctx, image, loader) for image in images]
    return {"ok": all(r["ok"] for r in results), "images": results}
