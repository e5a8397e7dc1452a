"""Crash repair of unfinished ``.warc.gz.open`` files (see docs/archive.md, "Crash repair").

A file left behind by a dead writer process is scanned gzip member by gzip member; a member
counts when it inflates cleanly and holds exactly one complete WARC record. The file is cut
after the last good member and renamed (``.open`` dropped), or removed when nothing in it is
valid. Files whose writer still runs are left alone: another process's by its PID, this
process's by :data:`LIVE_FILES`, which :class:`archive.warcwriter.WarcFileWriter` keeps up to date.

The CDXJ index is brought back in step by :func:`repair_index`: a WARC file closed by a run
that was killed (or hit a full disk) before its CDXJ update is indexed at the next start, and
temporary index files of dead processes are removed.
"""

from __future__ import annotations

import logging
import os
import socket
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vnnews.paths import OPEN_SUFFIX, WARC_SUFFIX, ArchivePaths

logger = logging.getLogger(__name__)

# ``.open`` files this process is writing (several crawlers may share one process and one
# ARCHIVE_DIR); start-up repair must not touch them, but may repair an older file that only
# carries our PID because PIDs are reused (containers restart with the same PIDs).
LIVE_FILES: set[str] = set()


def _complete_record(data: bytes) -> bool:
    """Whether one decompressed gzip member holds exactly one complete WARC record."""
    head_end = data.find(b"\r\n\r\n")
    if not data.startswith(b"WARC/") or head_end < 0:
        return False
    length = -1
    for line in data[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
    end = head_end + 4 + length
    return length >= 0 and len(data) == end + 4 and data[end:] == b"\r\n\r\n"


def valid_prefix(path: Path, chunk_size: int = 1 << 20) -> tuple[int, int]:
    """Scan gzip members; return (end offset of the last good record, good record count)."""
    good_end = records = consumed = 0
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    member = bytearray()
    pending = b""
    with open(path, "rb") as raw:
        while True:
            if not pending:
                pending = raw.read(chunk_size)
                if not pending:
                    return good_end, records
            try:
                member += inflater.decompress(pending)
            except zlib.error:
                return good_end, records
            if not inflater.eof:
                consumed += len(pending)
                pending = b""
                continue
            consumed += len(pending) - len(inflater.unused_data)
            pending = inflater.unused_data
            if not _complete_record(bytes(member)):
                return good_end, records
            good_end, records = consumed, records + 1
            inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
            member = bytearray()


def _owner_alive(path: Path) -> bool:
    """Whether the process named in the file name still runs on this host."""
    pid_text = path.name.removesuffix(WARC_SUFFIX + OPEN_SUFFIX).rpartition("-")[2]
    host = socket.gethostname().split(".")[0] or "localhost"
    if not pid_text.isdigit() or not path.name.endswith(
        f"-{host}-{pid_text}{WARC_SUFFIX}{OPEN_SUFFIX}"
    ):
        return False
    pid = int(pid_text)
    if pid == os.getpid():  # ours: live if a writer of this process has it open
        return str(path) in LIVE_FILES
    return _pid_alive(pid)


def repair_open_file(path: Path, stats: Any = None) -> Path | None:
    """Cut ``path`` (a ``.open`` file) back to its complete records and rename it.

    Returns the final path, or None when nothing valid was left (the file is removed).
    """
    size = path.stat().st_size
    good_end, records = valid_prefix(path)
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    if stats is not None:
        stats.inc_value("archive/repaired_files")
        stats.inc_value("archive/repaired_bytes_dropped", size - good_end)
    if good_end < size:
        with open(path, "r+b") as out:
            out.truncate(good_end)
            os.fsync(out.fileno())
    logger.warning(
        "Repaired unfinished WARC %s: kept %d records (%d bytes), dropped %d bytes",
        path.name,
        records,
        good_end,
        size - good_end,
    )
    if records == 0:
        path.unlink()
        return None
    os.replace(path, final)
    return final


def repair_open_files(warc_dir: Path, stats: Any = None) -> list[Path]:
    """Repair every ``*.warc.gz.open`` in ``warc_dir`` whose writer process is gone."""
    repaired = []
    for path in sorted(warc_dir.glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        if _owner_alive(path):
            logger.info("Leaving %s alone: its writer process is still running", path.name)
            continue
        try:
            final = repair_open_file(path, stats)
        except OSError as exc:
            logger.warning("Cannot repair unfinished WARC %s: %s", path.name, exc)
            if stats is not None:
                stats.inc_value("archive/repair_errors")
            continue
        if final is not None:
            repaired.append(final)
    return repaired


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def unindexed_files(paths: ArchivePaths) -> list[Path]:
    """Closed WARC files that may be missing from the CDXJ index.

    The index is replaced after every file it takes in, so a closed file written after the
    index was last replaced (or every closed file, when there is no index) was closed by a
    run that stopped before indexing it: killed between the rename and the CDXJ update, or
    the update failed (full disk). Indexing a file again is harmless (``update_index``
    replaces its lines)."""
    files = paths.warc_files()
    try:
        indexed_at = paths.cdxj.stat().st_mtime_ns
    except FileNotFoundError:
        return files
    return [f for f in files if f.stat().st_mtime_ns >= indexed_at]


def remove_stale_index_temps(paths: ArchivePaths) -> int:
    """Remove temporary CDXJ files (``.index-PID-*.tmp``) left by dead processes."""
    removed = 0
    if not paths.index_dir.is_dir():
        return 0
    for tmp in paths.index_dir.glob(".index-*.tmp"):
        pid = tmp.name.split("-")[1]
        if pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)):
            continue
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed


def repair_index(paths: ArchivePaths, index_file: Callable[[Path], None]) -> list[Path]:
    """Bring the CDXJ index in step with the closed WARC files at start-up.

    ``index_file`` merges one file into the index (``archive.cdxj.update_index``). Returns
    the files indexed; a failure is logged and left for the next start."""
    removed = remove_stale_index_temps(paths)
    if removed:
        logger.warning("Removed %d temporary CDXJ file(s) left by an interrupted run", removed)
    done = []
    for path in unindexed_files(paths):
        try:
            index_file(path)
        except Exception as exc:  # the crawl can go on; the next start tries again
            logger.warning("Could not index %s in the CDXJ index: %s", path.name, exc)
            continue
        done.append(path)
    if done:
        logger.warning(
            "Indexed %d WARC file(s) an interrupted run closed but did not index: %s",
            len(done),
            ", ".join(p.name for p in done),
        )
    return done
