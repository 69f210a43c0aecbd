"""Tools: set_deployment_image (point a deployment's container at a built tag; this rolls it out)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agent.errors import ShipshapeError
from agent.tools import tool
from agent.tools.context import ToolContext


class SetImageInput(BaseModel):
    image: str = Field(description="The image's name in shipshape.toml, e.g. 'backend'.")
    ref: str | None = Field(
        default=None, description="The image reference to run; default: the latest successful build's tag."
    )
    namespace: str | None = Field(default=None, description="Default: the project's namespace.")


def latest_built_ref(ctx: ToolContext, image: str) -> str | None:
    """`repository:tag` of the image's latest successful build recorded in memory."""
    for row in ctx.store.builds(image, limit=20):
        if row.get("outcome") in ("built", "cache-hit") and row.get("tag"):
            tag = str(row["tag"])
            return tag if ":" in tag else f"{row.get('repository')}:{tag}"
    return None


@tool(
    "set_deployment_image",
    "Point the deployment of one of the project's images at a built, versioned tag (plain manifests; for a "
    "Helm release use helm_upgrade). Kubernetes then rolls the deployment out.",
    SetImageInput,
    writes=True,
)
def set_deployment_image(ctx: ToolContext, args: SetImageInput) -> dict[str, Any]:
    """Patch the container image of the image's deployment."""
    image = ctx.project.image(args.image)
    if not image.deployment:
        raise ShipshapeError(f"image {image.name!r} names no deployment in shipshape.toml")
    ref = args.ref or latest_built_ref(ctx, image.name)
    if not ref:
        raise ShipshapeError(f"no successful build of {image.name!r} is recorded", "run build_and_load_images")
    namespace = args.namespace or ctx.project.cluster.namespace
    container = image.container or image.name
    before = ctx.kube.set_image(namespace, image.deployment, container, ref)
    return {
        "ok": True,
        "deployment": image.deployment,
        "namespace": namespace,
        "image": ref,
        "previous": before,
    }
