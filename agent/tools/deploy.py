"""Tools: set_deployment_image (point a deployment's container at a built tag; this rolls it out). The write is
journalled (agent/engines/kube_write.py), so `shipshape undo` reverses it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from agent.errors import ShipshapeError
from agent.pods.specedit import edit_spec, pick_container
from agent.tools import tool
from agent.tools.context import ToolContext


class SetImageInput(BaseModel):
    image: str = Field(description="a shipshape.toml image name, e.g. backend")
    ref: str | None = Field(default=None, description="default: the latest successful build")
    namespace: str | None = Field(default=None)


def latest_built_ref(ctx: ToolContext, image: str) -> str | None:
    """`repository:tag` of the image's latest successful build recorded in memory."""
    for row in ctx.store.builds(image, limit=20):
        if row.get("outcome") in ("built", "cache-hit") and row.get("tag"):
            tag = str(row["tag"])
            return tag if ":" in tag else f"{row.get('repository')}:{tag}"
    return None


@tool(
    "set_deployment_image",
    "Point the deployment of a project image at a built, versioned tag (plain manifests; a Helm release: "
    "helm_upgrade).",
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
    namespace = ctx.namespace(args.namespace)
    container = image.container or image.name
    ctx.kube.check_namespace_allowed(namespace)
    current = ctx.kube.deployment(namespace, image.deployment)
    # Journalled like patch_deployment's image change, so that `shipshape undo` reverses it too.
    new_spec, changed = edit_spec(current["spec"], {"image": ref}, container)
    previous = pick_container(current["spec"], container).get("image")
    change_id = None
    if changed and not ctx.dry_run:
        summary = f"set_deployment_image {image.deployment}: {container} {previous} -> {ref}"
        change_id = ctx.deployments.replace_spec(
            namespace, image.deployment, current, new_spec, "set_deployment_image", summary
        )["change_id"]
    return {
        "ok": True,
        "deployment": image.deployment,
        "namespace": namespace,
        "container": container,
        "image": ref,
        "previous_image": previous,
        "change_id": change_id,
        **({"dry_run": True} if ctx.dry_run else {}),
    }
