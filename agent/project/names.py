"""Names that Docker and Helm accept: image repositories, tags, Helm releases, and shipshape's own image names.

Docker's reference grammar (distribution/reference): a repository is path components joined by `/`, each
`[a-z0-9]+` joined by one `.`, one or two `_`, or any number of `-`; an optional registry host (with a port) in
front; a tag `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. A Helm release is a DNS-1123 label of at most 53 characters.
"""

from __future__ import annotations

import re

from agent.errors import ShipshapeError

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_HOST = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)"
REPOSITORY = re.compile(rf"^{_HOST}?{_COMPONENT}(?:/{_COMPONENT})*$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
RELEASE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
RELEASE_MAX = 53


class InvalidReference(ShipshapeError):
    """An image reference Docker would refuse: reported as such, never as a daemon that does not answer."""

    def __init__(self, ref: str, why: str) -> None:
        super().__init__(
            f"{ref!r} is not a valid image reference: {why}",
            "names are lowercase letters, digits and . _ - (no + or spaces); fix 'repository' in shipshape.toml",
            code="invalid-reference",
        )
        self.ref = ref


def _slug(raw: str, allowed: str) -> str:
    text = re.sub(rf"[^{allowed}]+", "-", raw.lower())
    return re.sub(r"-{2,}", "-", text).strip("-._")


def image_name(raw: str) -> str:
    """A name for `[[images]] name`: lowercase letters, digits and single dashes."""
    return _slug(raw, "a-z0-9") or "app"


def repository_name(raw: str) -> str:
    """A valid repository (one path component) made from any text: `documenso+documenso-remix` ->
    `documenso-documenso-remix`, `My_App` -> `my_app`."""
    text = _slug(raw, "a-z0-9._")
    text = re.sub(r"[._]{2,}", "-", text)
    text = re.sub(r"[._]-|-[._]", "-", text)
    return text if REPOSITORY.match(text or "-") else (image_name(raw) or "app")


def release_name(raw: str) -> str:
    """A valid Helm release name (DNS-1123 label, at most 53 characters)."""
    text = _slug(raw, "a-z0-9")[:RELEASE_MAX].strip("-")
    return text or "release"


def reference_problem(ref: str) -> str | None:
    """Why `ref` (repository[:tag][@digest]) is not a valid image reference, or None when it is."""
    if not ref or ref != ref.strip() or " " in ref:
        return "it is empty or holds spaces"
    name, at, digest = ref.partition("@")
    if at and not DIGEST.match(digest):
        return f"the digest {digest!r} is malformed"
    last = name.rsplit("/", 1)[-1]
    repo, tag = name, ""
    if ":" in last:
        repo, _, tag = name.rpartition(":")
    if tag and not TAG.match(tag):
        return f"the tag {tag!r} holds characters Docker does not allow"
    if not REPOSITORY.match(repo):
        bad = sorted(set(re.findall(r"[^a-z0-9._/:-]", repo)))
        if bad:
            return f"the repository {repo!r} holds {' '.join(repr(c) for c in bad)} (only lowercase a-z 0-9 . _ - /)"
        return f"the repository {repo!r} is malformed (each part must start and end with a letter or digit)"
    return None


def check_reference(ref: str) -> str:
    """`ref` unchanged, or InvalidReference."""
    problem = reference_problem(ref)
    if problem:
        raise InvalidReference(ref, problem)
    return ref


def release_problem(name: str) -> str | None:
    """Why `name` is not a valid Helm release name, or None."""
    if len(name) > RELEASE_MAX:
        return f"it is {len(name)} characters long (at most {RELEASE_MAX})"
    if not RELEASE.match(name):
        return "Helm wants lowercase letters, digits and '-', starting and ending with a letter or digit"
    return None
