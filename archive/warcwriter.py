"""Rotating WARC/1.1 file writer.

Files live in a ``warc/`` directory (:attr:`vnnews.paths.ArchivePaths.warc_dir`) and are named
``{prefix}-{timestamp17}-{serial:05d}-{host}-{pid}.warc.gz``. While being written a file
carries an extra ``.open`` suffix; it is renamed when closed (rotation at ``max_size`` or
:meth:`WarcFileWriter.close`). Every record is its own gzip member, and every file starts
with a ``warcinfo`` record. Leftover ``.open`` files of dead processes are cut back to their
last complete record and closed by :meth:`WarcFileWriter.repair` (``archive.repair``).

Records come from ``archive.recordbuilder``; reading one back is ``archive.reader``. The
writer knows nothing of crawlers or indexes: whoever owns it (``archive.extension``) hooks
the CDXJ update into :attr:`WarcFileWriter.on_close`.

All public write methods are thread-safe (one lock), so callers can run them in a worker
thread off the reactor.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from warcio.warcwriter import WARCWriter

from archive.recordbuilder import build_metadata, build_warcinfo, warc_date
from archive.repair import LIVE_FILES, repair_open_files
from vnnews import crashpoint
from vnnews.paths import OPEN_SUFFIX, WARC_SUFFIX

logger = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 1_000_000_000
# zlib level of each record's gzip member: 6 is zlib's default; 9 (warcio's) costs about
# 1.6x the CPU for a 0.5% smaller file on news HTML.
DEFAULT_GZIP_LEVEL = 6


@dataclass(frozen=True)
class RecordLocation:
    """Where one record lives: final file name (no ``.open``), offset, gzip member length."""

    filename: str
    offset: int
    length: int
    record_id: str
    date: str
    payload_digest: str | None = None

    def as_meta(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "offset": self.offset,
            "length": self.length,
            "record_id": self.record_id,
            "payload_digest": self.payload_digest,
            "date": self.date,
        }


def valid_file_prefix(prefix: str) -> bool:
    """Whether ``prefix`` can start a WARC file name (not empty, no directory part)."""
    return bool(prefix) and "/" not in prefix and os.sep not in prefix and prefix not in (".", "..")


class WarcFileWriter:
    """Append records to rotating ``.warc.gz`` files under ``warc_dir``."""

    def __init__(
        self,
        warc_dir: Path,
        *,
        prefix: str,
        max_size: int = DEFAULT_MAX_SIZE,
        info: Mapping[str, str] | None = None,
        stats: Any = None,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
    ) -> None:
        if not valid_file_prefix(prefix):
            raise ValueError(f"bad WARC file prefix {prefix!r}: give a non-empty name, no '/'")
        self.warc_dir = warc_dir
        self.gzip_level = gzip_level
        self.prefix = prefix
        self.max_size = max_size
        self.info = dict(info or {})
        self.stats = stats
        self.hostname = socket.gethostname().split(".")[0] or "localhost"
        self.on_close: list[Callable[[Path], None]] = []
        self._lock = threading.RLock()
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._serial = 0
        self.closed_files: list[Path] = []
        warc_dir.mkdir(parents=True, exist_ok=True)

    # -- file handling ---------------------------------------------------------------

    def repair(self) -> list[Path]:
        """Repair leftover ``.open`` files of dead processes; returns the closed paths
        (each handed to the close hooks, as if this writer had closed it)."""
        repaired = repair_open_files(self.warc_dir, stats=self.stats)
        for path in repaired:
            self._run_close_hooks(path)
        return repaired

    def _new_name(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        pid = os.getpid()
        name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self.hostname}-{pid}{WARC_SUFFIX}"
        self._serial += 1
        return name

    def _ensure_open(self) -> tuple[BinaryIO, Path]:
        if self._file is not None and self._path is not None:
            return self._file, self._path
        while True:  # two writers of one process may pick the same name in the same ms
            name = self._new_name()
            path = self.warc_dir / name
            try:
                # unbuffered: a failed write (full disk) is cut back in _write_one, never left
                # half in a buffer to be flushed later
                self._file = open(str(path) + OPEN_SUFFIX, "xb", buffering=0)  # noqa: SIM115
            except FileExistsError:
                continue
            break
        LIVE_FILES.add(str(path) + OPEN_SUFFIX)
        self._path = path
        self._inc("archive/files")
        self._write_one(self._file, self._member(build_warcinfo(name, self.info)))
        logger.info("Opened WARC file %s", path)
        return self._file, path

    def close(self) -> Path | None:
        """Close and rename the current file; run the close hooks. Returns its final path."""
        with self._lock:
            if self._file is None or self._path is None:
                return None
            out, path = self._file, self._path
            self._file = self._path = None
            out.flush()
            os.fsync(out.fileno())
            out.close()
            os.replace(str(path) + OPEN_SUFFIX, path)
            LIVE_FILES.discard(str(path) + OPEN_SUFFIX)
            crashpoint.die_if("warc-close")  # tests only: renamed, not yet indexed
            self.closed_files.append(path)
        logger.info("Closed WARC file %s", path)
        self._run_close_hooks(path)
        return path

    def _run_close_hooks(self, path: Path) -> None:
        for hook in list(self.on_close):
            try:
                hook(path)
            except Exception as exc:  # a hook must never kill the crawl
                logger.warning("WARC close hook failed for %s: %s", path, exc)
                self._inc("archive/close_hook_errors")

    # -- writing -------------------------------------------------------------------

    def _member(self, record: Any) -> bytes:
        """One record serialised by warcio and compressed as its own gzip member."""
        raw = BytesIO()
        WARCWriter(raw, gzip=False, warc_version="1.1").write_record(record)
        deflate = zlib.compressobj(self.gzip_level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        return deflate.compress(raw.getvalue()) + deflate.flush()

    def _write_one(self, out: BinaryIO, member: bytes) -> tuple[int, int]:
        offset = out.tell()
        crashpoint.die_halfway("warc", out, member)  # tests only: killed mid-record
        try:
            view = memoryview(member)
            while view:  # a raw write may be short
                view = view[out.write(view) or 0 :]
        except OSError:
            # full disk, I/O error: cut the partial record off so the file stays valid
            out.truncate(offset)
            out.seek(offset)
            raise
        self._inc("archive/records")
        self._inc("archive/bytes", len(member))
        return offset, len(member)

    def write_records(self, records: list[Any]) -> list[RecordLocation]:
        """Write ``records`` (warcio records) contiguously into one file, in order.

        Serialising and compressing happen before the lock is taken, so several worker
        threads compress in parallel; only the appends are serialised.
        """
        members = [self._member(record) for record in records]
        with self._lock:
            out, path = self._ensure_open()
            locations = []
            for record, member in zip(records, members, strict=True):
                offset, length = self._write_one(out, member)
                headers = record.rec_headers
                locations.append(
                    RecordLocation(
                        filename=path.name,
                        offset=offset,
                        length=length,
                        record_id=headers.get_header("WARC-Record-ID"),
                        date=headers.get_header("WARC-Date"),
                        payload_digest=headers.get_header("WARC-Payload-Digest"),
                    )
                )
            out.flush()
            if out.tell() >= self.max_size:
                self.close()
        return locations

    def write_metadata(
        self,
        refers_to_record_id: str,
        target_uri: str,
        payload: bytes,
        content_type: str = "application/json",
    ) -> RecordLocation:
        """Append a ``metadata`` record about an earlier record (e.g. the extracted JSON)."""
        record = build_metadata(
            target_uri,
            payload,
            refers_to=refers_to_record_id,
            date=warc_date(datetime.now(UTC)),
            content_type=content_type,
        )
        return self.write_records([record])[0]

    async def write_metadata_async(
        self,
        refers_to_record_id: str,
        target_uri: str,
        payload: bytes,
        content_type: str = "application/json",
    ) -> RecordLocation:
        """:meth:`write_metadata` in a worker thread (for callers on the reactor thread)."""
        from scrapy.utils.asyncio import run_in_thread

        return await run_in_thread(
            self.write_metadata, refers_to_record_id, target_uri, payload, content_type
        )

    def _inc(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)
