"""JsonLinesPipeline: article records to ``ARCHIVE_DIR/json/*.jsonl``.

One record per line, UTF-8, not ASCII-escaped, keys sorted. A run writes
``{prefix}-{timestamp17}-{pid}.jsonl.open`` and renames it on close; a file
left ``.open`` by a killed run is repaired at the next start (a partial last
line cut off) and renamed, so readers only ever see whole lines.

Crash safety (see ``archive.versions`` and docs/reliability.md): right after a line is
written, its article version is committed to the dedup index; a failed write (full disk)
or a failed commit cuts the line off again and fails the item, so the next run records the
article. A file left by a killed run gets the versions of its lines committed before it is
renamed, so the next run neither loses those records nor writes them twice.
"""

from __future__ import annotations

import errno
import json
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler

from archive.dedupindex import DedupIndex
from archive.extension import ArchiveExtension
from archive.versions import commit_version, commit_versions, is_committed
from vnnews import crashpoint
from vnnews.paths import JSONL_SUFFIX, OPEN_SUFFIX, ArchivePaths

logger = logging.getLogger(__name__)


def whole_lines(path: Path) -> tuple[bytes, int]:
    """The bytes of ``path`` up to its last newline, and the file's size."""
    data = path.read_bytes()
    return data[: data.rfind(b"\n") + 1], len(data)


def repair_open_file(
    path: Path, before_close: Callable[[list[dict[str, Any]]], None] | None = None
) -> int:
    """Cut a ``.jsonl.open`` file after its last whole line and close it. Returns lines kept.

    ``before_close`` gets the records of the whole lines before the file is renamed (a kill
    before the rename repeats the repair next time, so it must be idempotent)."""
    kept, size = whole_lines(path)
    if len(kept) < size:
        logger.warning("Cut a partial last line (%d bytes) from %s", size - len(kept), path)
    final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
    if before_close is not None and kept:
        before_close(_records(kept, path))
    if kept:
        with open(path, "r+b") as f:
            f.truncate(len(kept))
            f.flush()
            os.fsync(f.fileno())
        path.rename(final)
    else:
        path.unlink()
    return kept.count(b"\n")


def _records(data: bytes, path: Path) -> list[dict[str, Any]]:
    records = []
    for number, line in enumerate(data.splitlines(), 1):
        try:
            record = json.loads(line)
        except ValueError:
            logger.warning("%s:%d: not a JSON line; its version is not committed", path, number)
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def writer_alive(path: Path) -> bool:
    """Whether the process named by the pid in the file name still runs (not ours to repair)."""
    pid_text = path.name.removesuffix(f"{JSONL_SUFFIX}{OPEN_SUFFIX}").rpartition("-")[2]
    if not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:  # a write may be short (a nearly full disk)
        view = view[os.write(fd, view) :]


class JsonLinesPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        root = settings["ARCHIVE_DIR"]
        if not root:
            raise ValueError("set ARCHIVE_DIR to the directory the archive is written to")
        self.dir = ArchivePaths.of(root).json_dir
        self.prefix = settings["JSONL_PREFIX"]
        if not self.prefix or "/" in self.prefix:
            raise ValueError(
                f"JSONL_PREFIX must be a non-empty file name part, not {self.prefix!r}"
            )
        self.fsync = settings.getbool("JSONL_FSYNC")
        self.path: Path | None = None
        self.fd: int | None = None
        self.size = 0
        self.count = 0
        self.damaged = False  # a failed line could not be cut off: leave the file to repair
        self.index: DedupIndex | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        archive = self.crawler.get_extension(ArchiveExtension)
        self.index = archive.index if archive is not None else None
        self.dir.mkdir(parents=True, exist_ok=True)
        for leftover in sorted(self.dir.glob(f"*{JSONL_SUFFIX}{OPEN_SUFFIX}")):
            if writer_alive(leftover):
                continue  # another crawl is writing into the same ARCHIVE_DIR
            kept = repair_open_file(leftover, self._commit_leftover)
            self._inc("json/repaired_files")
            logger.warning(
                "Repaired %s left by an interrupted run (%d records kept)", leftover, kept
            )
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        self.path = self.dir / f"{self.prefix}-{stamp}-{os.getpid()}{JSONL_SUFFIX}{OPEN_SUFFIX}"
        # 0666 less the umask, like every output file; unbuffered, so a failed write is
        # cut back here and never flushed half later
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        self.size = 0

    def _commit_leftover(self, records: list[dict[str, Any]]) -> None:
        """Commit the versions of a killed run's lines (it died before committing them)."""
        if self.index is None:
            return
        missing = commit_versions(self.index, records)
        if missing:
            self._inc("json/recovered_commits", missing)
            logger.warning(
                "Committed %d article version(s) whose JSON line an interrupted run wrote",
                missing,
            )

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, dict) or self.fd is None:
            return item
        if self.damaged:  # appending after a partial line would break the file
            raise OSError(errno.EIO, f"JSON output {self.path} has a partial line; not written")
        line = json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        data = line.encode("utf-8") + b"\n"
        start = self.size
        crashpoint.die_halfway("json", self.fd, data)  # tests only: killed mid-line
        try:
            _write_all(self.fd, data)
            if self.fsync:
                os.fsync(self.fd)
        except OSError:
            self._cut(start)  # full disk: no partial line stays in the file
            raise
        self.size = start + len(data)
        crashpoint.die_if("json-commit")  # tests only: line written, version not committed
        self._commit(item, start)
        crashpoint.die_if("commit")  # tests only: committed, item not yet reported scraped
        self.count += 1
        self._inc("json/records")
        self._inc("json/bytes", len(data))
        return item

    def _commit(self, item: dict[str, Any], start: int) -> None:
        """Commit the line's article version; if that fails, take the line back."""
        if self.index is None:
            return
        try:
            stored = commit_version(self.index, item)
        except Exception:
            try:  # a commit may fail after it happened (a lost Redis reply)
                done = is_committed(self.index, item)
            except Exception:
                done = False
            if not done:
                self._cut(start)
                raise
            logger.debug("Version of %s was committed despite an error", item.get("url"))
            return
        if stored is not None and stored.version != item.get("version"):
            self._inc("dedup/version_conflicts")

    def _cut(self, start: int) -> None:
        assert self.fd is not None
        try:
            os.ftruncate(self.fd, start)
            self.size = start
        except OSError as exc:  # the next start's repair cuts a partial last line too
            self.damaged = True
            logger.error("Could not cut a failed JSON line from %s: %s", self.path, exc)

    def close_spider(self) -> None:
        if self.fd is None or self.path is None:
            return
        os.close(self.fd)
        self.fd = None
        if self.damaged:
            logger.error("Left %s to be repaired by the next run (a line was cut)", self.path)
            return
        if self.count == 0 and self.size == 0:
            self.path.unlink()
            return
        final = self.path.with_name(self.path.name[: -len(OPEN_SUFFIX)])
        self.path.rename(final)
        logger.info("Wrote %d records to %s", self.count, final)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)
