"""Durations as people write them in settings, profiles and schedule files.

``"90s"``, ``"15m"``, ``"6h"``, ``"1d"``, ``"2w"``, combinations such as ``"1h30m"``, or a
plain number of seconds (``3600`` / ``"3600"``). Anything else is a :class:`ValueError`
whose message names the bad value.
"""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_WHOLE = re.compile(r"(?:\s*\d+(?:\.\d+)?\s*[smhdw])+\s*")


def parse_duration(value: str | int | float) -> timedelta:
    """``"1h30m"`` → ``timedelta(hours=1, minutes=30)``; a bare number is seconds."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r} (write e.g. 90s, 15m, 6h, 1d, 2w)")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        try:
            seconds = float(text)
        except ValueError:
            if not text or not _WHOLE.fullmatch(text):
                raise ValueError(
                    f"not a duration: {value!r} (write e.g. 90s, 15m, 6h, 1d, 2w)"
                ) from None
            seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise ValueError(f"duration must be positive: {value!r}")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The shortest ``parse_duration`` spelling of ``delta`` (whole seconds)."""
    seconds = int(delta.total_seconds())
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        size = _UNITS[unit]
        if seconds >= size:
            count, seconds = divmod(seconds, size)
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
