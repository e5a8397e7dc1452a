"""Replace an output file only when the new content is complete.

Commands that write a file the user named (``scrapy reprocess -o``, ``scrapy extract -o``)
write to a temporary file in the target's directory and rename it over the target on
success, so a failed or interrupted run leaves the old file as it was and no temporary
file behind. The new file gets the permissions the umask gives (``mkstemp`` would give
0600), or the old file's when it replaces one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class OutputError(OSError):
    """The target cannot be written; ``str()`` is one line naming it."""


def check_target(path: str | Path) -> Path:
    """Fail early (before a long run) when ``path`` cannot be an output file."""
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{target} is a directory; give a file name")
    for parent in target.parents:
        if parent.exists() and not parent.is_dir():
            raise OutputError(f"cannot write {target}: {parent} is a file, not a directory")
    return target


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def replace_on_success(path: str | Path, *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """``with replace_on_success(out) as fh: fh.write(...)``: ``out`` appears whole or not at all.

    Raises :class:`OutputError` (one line) when the file cannot be written; an exception
    inside the block leaves the target untouched and re-raises it."""
    target = check_target(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="\n") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
