"""Journalled writes of a Deployment's spec, and their undo: the engine behind rollout_undo, patch_deployment and
scale_deployment, and `shipshape undo` of a cluster change.

A change, in this order (as the file editor does it for files, agent/engines/files.py): (1) the deployment's
whole spec as it is now is journalled as a 'pending' row (the memory store's `cluster_changes`); (2) the new spec
replaces it with one PUT that carries the resourceVersion just read, so a change someone else made in between is
refused by the API server (409) instead of silently overwritten; (3) the row becomes 'applied', with the spec
the API server returned and the deployment's generation after the write. A process killed between (1) and (3)
leaves a 'pending' row, which undo never picks.

Undo puts the journalled `before` spec back (one PUT, the same way) and refuses when the deployment changed
since the write (its generation moved on and its spec is no longer the recorded `after`), unless forced. The
namespace guard (agent.safety.Namespaces, through the kube engine) is asked before every write, undo included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from agent.errors import ShipshapeError

if TYPE_CHECKING:
    from agent.engines.kube import KubeEngine


class ChangeJournal(Protocol):
    """Where cluster changes are journalled (the memory Store is one)."""

    def begin_change(
        self, *, project: str, namespace: str, kind: str, name: str, tool: str, before: dict[str, Any], summary: str
    ) -> int: ...

    def finish_change(
        self, change_id: int, *, state: str, after: dict[str, Any] | None, generation: int | None, resource_version: str
    ) -> None: ...

    def set_change_state(self, change_id: int, state: str, *, expect: tuple[str, ...] = ()) -> bool: ...

    def cluster_change(self, change_id: int) -> dict[str, Any] | None: ...

    def cluster_changes(self, namespaces: list[str], *, states: tuple[str, ...] = ()) -> list[dict[str, Any]]: ...


def spec_only(deployment: dict[str, Any]) -> dict[str, Any]:
    return dict(deployment.get("spec") or {})


# How many times a write or an undo reads and puts again when the object's resourceVersion moved under it while its
# spec did not (the controllers' status writes during a rollout, someone's annotation).
PUT_ATTEMPTS = 5


class DeploymentWriter:
    """Replaces deployment specs through the kube engine, journalling each change so that it can be undone."""

    # What is written: the journal's kind, and how one object of it is read and replaced (ServiceWriter in
    # agent/engines/kube_service.py is the same writer for Services).
    KIND = "Deployment"
    API_VERSION = "apps/v1"

    def _read(self, namespace: str, name: str) -> dict[str, Any]:
        return self.kube.deployment(namespace, name)

    def _replace(self, namespace: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.kube._raw(self.kube.apps.replace_namespaced_deployment, name, namespace, body)

    def __init__(self, kube: KubeEngine, journal: ChangeJournal | None, project: str = "") -> None:
        self.kube = kube
        self.journal = journal
        self.project = project

    def _put(self, namespace: str, name: str, current: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
        """One PUT of the deployment with `spec`, conditional on `current`'s resourceVersion."""
        from kubernetes.client.exceptions import ApiException

        self.kube.check_namespace_allowed(namespace)
        # The object as read, with the new spec: metadata (labels, annotations, owners, finalizers) stays as it
        # is, and its resourceVersion makes the PUT fail rather than overwrite a change made since the read.
        body = {k: v for k, v in current.items() if k != "status"}
        body.update(apiVersion=self.API_VERSION, kind=self.KIND, spec=spec)
        try:
            return self._replace(namespace, name, body)
        except ApiException as exc:
            if self.kube._status(exc) == 409:
                raise ShipshapeError(
                    f"{self.KIND.lower()} {name!r} in {namespace!r} changed while shipshape was writing it",
                    "read it again (cluster_status) and retry",
                    code="conflict",
                ) from None
            if self.kube._status(exc) == 422:
                raise ShipshapeError(
                    f"the API server refused the new spec of {name!r}: {_message(exc)}", code="invalid-spec"
                ) from None
            raise

    def _put_again_on_conflict(
        self,
        namespace: str,
        name: str,
        current: dict[str, Any],
        spec: dict[str, Any],
        still_fits: Callable[[dict[str, Any]], bool],
    ) -> dict[str, Any]:
        """`_put`, and on a conflict read the object again and put again (up to PUT_ATTEMPTS) while `still_fits`
        the fresh read: a deployment that is rolling out has its status written by the controllers, each write
        moving its resourceVersion though its spec stays. When it no longer fits, the conflict stands (or
        `still_fits` raises its own refusal)."""
        for attempt in range(PUT_ATTEMPTS):
            try:
                return self._put(namespace, name, current, spec)
            except ShipshapeError as exc:
                if exc.code != "conflict" or attempt == PUT_ATTEMPTS - 1:
                    raise
                fresh = self._read(namespace, name)
                if not still_fits(fresh):
                    raise
                current = fresh
        raise AssertionError("unreachable")  # pragma: no cover

    def replace_spec(
        self, namespace: str, name: str, current: dict[str, Any], new_spec: dict[str, Any], tool: str, summary: str
    ) -> dict[str, Any]:
        """Journal `current`'s spec, write `new_spec`, mark the change applied. {change_id, generation, spec}."""
        self.kube.check_namespace_allowed(namespace)
        change_id = None
        if self.journal is not None:
            change_id = self.journal.begin_change(
                project=self.project,
                namespace=namespace,
                kind=self.KIND,
                name=name,
                tool=tool,
                before=spec_only(current),
                summary=summary,
            )
        try:
            # A spec someone else changed since `current` was read stays a conflict.
            written = self._put_again_on_conflict(
                namespace, name, current, new_spec, lambda fresh: spec_only(fresh) == spec_only(current)
            )
        except BaseException:
            if self.journal is not None and change_id is not None:
                self.journal.finish_change(change_id, state="failed", after=None, generation=None, resource_version="")
            raise
        generation = written["metadata"].get("generation")
        if self.journal is not None and change_id is not None:
            self.journal.finish_change(
                change_id,
                state="applied",
                after=spec_only(written),
                generation=int(generation) if generation is not None else None,
                resource_version=str(written["metadata"].get("resourceVersion", "")),
            )
        return {"change_id": change_id, "generation": generation, "spec": spec_only(written)}

    def undo(self, change_id: int, *, force: bool = False) -> dict[str, Any]:
        """Put the spec that change `change_id` replaced back. Refuses a change that is not 'applied', and a
        deployment that changed since (unless `force`)."""
        if self.journal is None:
            raise ShipshapeError("nothing to undo: no memory database", code="nothing-to-undo")
        row = self.journal.cluster_change(change_id)
        if row is None:
            raise ShipshapeError(f"no cluster change #{change_id} is recorded", code="nothing-to-undo")
        namespace, name = str(row["namespace"]), str(row["name"])
        # An undo killed midway leaves 'undoing': --force takes it up again.
        allowed = ("applied", "undoing") if force else ("applied",)
        if row["state"] not in allowed:
            raise ShipshapeError(
                f"cluster change #{change_id} ({row['tool']} of {namespace}/{name}) is {row['state']}, not applied",
                "shipshape undo --list shows what can be undone",
                code="nothing-to-undo",
            )
        self.kube.check_namespace_allowed(namespace)
        current = self._read(namespace, name)
        self._refuse_if_changed(change_id, row, current, force)
        if not self.journal.set_change_state(change_id, "undoing", expect=allowed):
            raise ShipshapeError(f"cluster change #{change_id} is being undone by another process", code="busy")

        def unchanged(fresh: dict[str, Any]) -> bool:
            # the old spec goes back only if the spec is still what the change wrote
            self._refuse_if_changed(change_id, row, fresh, force)
            return True

        try:
            written = self._put_again_on_conflict(namespace, name, current, dict(row["before"]), unchanged)
        except BaseException:
            self.journal.set_change_state(change_id, "applied")
            raise
        self.journal.set_change_state(change_id, "undone")
        return {
            "change_id": change_id,
            "namespace": namespace,
            "deployment": name,
            "object": f"{self.KIND}/{name}",
            "tool": row["tool"],
            "generation": written["metadata"].get("generation"),
        }

    def _refuse_if_changed(self, change_id: int, row: dict[str, Any], current: dict[str, Any], force: bool) -> None:
        if not force and self.changed_since(row, current):
            raise ShipshapeError(
                f"{self.KIND.lower()} {row['namespace']}/{row['name']} has changed since shipshape's {row['tool']} "
                f"(change #{change_id}, {row['created_at']}: generation {row['generation']} then, "
                f"{current['metadata'].get('generation')} now); undo would throw those changes away",
                "check it (shipshape status); run 'shipshape undo --force' to put the old spec back anyway",
                code="changed-since",
            )

    @staticmethod
    def changed_since(row: dict[str, Any], current: dict[str, Any]) -> bool:
        """Whether the deployment's spec moved on from what the change wrote. The generation counts spec writes
        only (status updates leave it alone); when it moved, the spec may still be the one recorded (an undo of
        a later shipshape change put it back), and then nothing is lost."""
        if row.get("generation") is not None and current["metadata"].get("generation") == row["generation"]:
            return False
        return spec_only(current) != row.get("after")


def _message(exc: Any) -> str:
    import json

    try:
        return str(json.loads(exc.body).get("message", ""))[:300]
    except (TypeError, ValueError, AttributeError):
        return str(exc.reason)
