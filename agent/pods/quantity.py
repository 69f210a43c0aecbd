"""Kubernetes resource quantities ("128Mi", "0.5", "250m", "1e3", "2G"), read as exact numbers.

The API server's grammar (k8s.io/apimachinery resource.Quantity): a signed decimal number, then a binary
suffix (Ki Mi Gi Ti Pi Ei), a decimal suffix (n u m k M G T P E) or an exponent (e3, E-2). Memory is in
bytes and CPU in cores, so `parse_quantity("250m") == Decimal("0.25")`. Pure functions, no I/O: the OOM rule
and patch_deployment's checks both read limits and a node's allocatable through them.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from agent.errors import ShipshapeError

BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE])?$")


def parse_quantity(value: str | int | float) -> Decimal:
    """The quantity as a number (bytes for memory, cores for CPU); ShipshapeError (bad-input) when it is not one."""
    if isinstance(value, bool):
        raise ShipshapeError(f"{value!r} is not a Kubernetes quantity", code="bad-input")
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = str(value).strip()
    match = _QUANTITY.match(text)
    if not match:
        raise ShipshapeError(
            f"{value!r} is not a Kubernetes quantity",
            "write memory as 128Mi / 1Gi / 500M and CPU as 250m / 0.5 / 2",
            code="bad-input",
        )
    number, suffix = match.group(1), match.group(2) or ""
    try:
        base = Decimal(number)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ShipshapeError(f"{value!r} is not a Kubernetes quantity", code="bad-input") from None
    if suffix in BINARY:
        return base * BINARY[suffix]
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        return base * (Decimal(10) ** int(suffix[1:]))
    return base * DECIMAL[suffix]


def memory_bytes(value: str | int | float) -> int:
    """A memory quantity in whole bytes (rounded up, as the kubelet does)."""
    amount = parse_quantity(value)
    if amount < 0:
        raise ShipshapeError(f"memory {value!r} is negative", code="bad-input")
    return int(amount.to_integral_value(rounding="ROUND_CEILING"))


def cpu_cores(value: str | int | float) -> Decimal:
    """A CPU quantity in cores ("250m" -> 0.25)."""
    amount = parse_quantity(value)
    if amount < 0:
        raise ShipshapeError(f"cpu {value!r} is negative", code="bad-input")
    return amount


def format_memory(n_bytes: int, *, round_up: bool = True) -> str:
    """Bytes as the largest binary unit that divides them whole, else in Mi, rounded up (a size to ask for) or down
    (a bound not to pass): 268435456 -> "256Mi"; 25276190720 -> "24105Mi" rounded down."""
    for suffix in ("Gi", "Mi", "Ki"):
        unit = BINARY[suffix]
        if n_bytes % unit == 0 and n_bytes >= unit:
            if suffix != "Ki":
                return f"{n_bytes // unit}{suffix}"
            break
    mebi = -(-n_bytes // BINARY["Mi"]) if round_up else n_bytes // BINARY["Mi"]
    return f"{mebi}Mi"
