"""Sizes as people write them ("500MB", "1.5 GiB", 300000000) and back."""

from __future__ import annotations

import re

from agent.errors import ConfigError

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "ki": 1024,
    "kib": 1024,
    "mi": 1024**2,
    "mib": 1024**2,
    "gi": 1024**3,
    "gib": 1024**3,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(value: str | int | float) -> int:
    """Bytes for a size such as "500MB" (decimal, as `docker images` prints) or "1GiB" (binary)."""
    if isinstance(value, bool):
        raise ConfigError(f"size {value!r} is not a size", "write it like 500MB or 1GiB")
    if isinstance(value, int | float):
        if value < 0:
            raise ConfigError(f"size {value!r} is negative", "write it like 500MB or 1GiB")
        return int(value)
    match = _SIZE.match(str(value))
    unit = match.group(2).lower() if match else None
    if not match or unit not in _UNITS:
        raise ConfigError(f"size {value!r} is not a size", "write it like 500MB, 300 MB or 1GiB")
    return int(float(match.group(1)) * _UNITS[unit])


def human_size(n: int | float) -> str:
    """Decimal megabytes, as `docker images` shows them."""
    for unit, factor in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if abs(n) >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{int(n)} B"
