"""Test-only kill points: the process SIGKILLs itself at a chosen write (``ARCHIVE_TEST_KILL_AT``).

The crash-safety tests (tests/test_kills.py) need to kill a crawl *inside* a write — half a
WARC record on disk, half a JSON line, a JSON line whose article version is not committed
yet — which a kill from outside hits only by luck. ``ARCHIVE_TEST_KILL_AT = "POINT:N"`` makes
the crawl kill itself (SIGKILL: no clean-up of any kind runs) the N-th time it reaches
``POINT``. The default, ``""``, arms nothing and every call here is one dictionary lookup.

Points (where they are called):

* ``warc``: the N-th WARC record is half written (``archive.warcwriter``);
* ``warc-close``: a WARC file was renamed (``.open`` dropped) but not yet indexed in the CDXJ;
* ``cdxj``: the new CDXJ index is half written to its temporary file (``archive.cdxj``);
* ``json``: the N-th JSON line is half written (``pipelines.jsonlines``);
* ``json-commit``: the N-th JSON line is written, its article version not yet committed;
* ``commit``: the N-th article version is committed, the item not yet reported scraped
  (the re-check state not yet written).

Never set it outside tests.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from typing import BinaryIO

POINTS = ("warc", "warc-close", "cdxj", "json", "json-commit", "commit")

_armed: dict[str, int] = {}
_seen: Counter[str] = Counter()


def arm(spec: str) -> None:
    """Arm one kill point from ``"POINT:N"`` (``""`` disarms). ValueError names the setting."""
    _armed.clear()
    _seen.clear()
    spec = (spec or "").strip()
    if not spec:
        return
    point, _, count = spec.partition(":")
    if point not in POINTS or not count.isdigit() or int(count) < 1:
        raise ValueError(
            f"setting ARCHIVE_TEST_KILL_AT={spec!r} is not allowed: POINT:N with POINT one of"
            f" {', '.join(POINTS)} and N >= 1 (a test-only setting; leave it empty)"
        )
    _armed[point] = int(count)


def reached(point: str) -> bool:
    """Count one pass through ``point``; True when this is the pass to die at."""
    if point not in _armed:
        return False
    _seen[point] += 1
    return _seen[point] == _armed[point]


def die() -> None:
    """SIGKILL this process now (nothing after this line runs)."""
    os.kill(os.getpid(), signal.SIGKILL)


def die_if(point: str) -> None:
    if reached(point):
        die()


def die_halfway(point: str, out: BinaryIO | int, data: bytes) -> None:
    """At the chosen pass of ``point``: write the first half of ``data`` to ``out`` (a file
    object or descriptor), make it reach the OS, and die, as a kill mid-write would."""
    if not reached(point):
        return
    half = data[: max(1, len(data) // 2)]
    if isinstance(out, int):
        os.write(out, half)
    else:
        out.write(half)
        out.flush()
    die()
