"""The platform names Prisma accepts in `binaryTargets` (Prisma 4-6; `native` means the machine running
`prisma generate`). A name outside this list would be written into schema.prisma and fail only at generate time."""

from __future__ import annotations

from agent.errors import ShipshapeError

_OPENSSL = ("1.0.x", "1.1.x", "3.0.x")
PRISMA_TARGETS = frozenset(
    [
        "native",
        "darwin",
        "darwin-arm64",
        "windows",
        "linux-musl",
        "linux-musl-openssl-3.0.x",
        "linux-musl-arm64-openssl-1.1.x",
        "linux-musl-arm64-openssl-3.0.x",
        "linux-nixos",
        "linux-static-x64",
        "linux-static-arm64",
        "openbsd",
        "netbsd",
        *(f"freebsd{n}" for n in range(11, 16)),
        *(f"{family}-openssl-{v}" for family in ("debian", "rhel", "linux-arm64", "linux-arm") for v in _OPENSSL),
    ]
)


def check_target(target: str) -> str:
    """`target` if Prisma knows it, else a ShipshapeError (code bad-input) with the closest names."""
    if target in PRISMA_TARGETS:
        return target
    import difflib

    close = difflib.get_close_matches(target, sorted(PRISMA_TARGETS), n=3)
    hint = f"did you mean {' or '.join(close)}?" if close else "see https://pris.ly/d/binary-targets"
    raise ShipshapeError(f"{target[:60]!r} is not a Prisma binary target", hint, code="bad-input")
