"""JsonLinesPipeline: article records to ``ARCHIVE_DIR/json/*.jsonl``.

One record per line, UTF-8, not ASCII-escaped, keys sorted. A run writes
``{prefix}-{timestamp17}-{pid}.jsonl.open`` and renames it on close; a file
left ``.open`` by a killed run is repaired at the next start (a partial last
line cut off) and renamed, so readers only ever see whole lines.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from scrapy.crawler import Crawler

from vnnews.paths import JSONL_SUFFIX, OPEN_SUFFIX, ArchivePaths

logger = logging.getLogger(__name__)


def repair_open_file(path: Path) -> int:
    """Cut a ``.jsonl.open`` file after its last whole line and close it. Returns lines kept."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        logger.warning("Cut a partial last line (%d bytes) from %s", len(data) - end, path)
    kept = data[:end]
    final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
    if kept:
        with open(path, "r+b") as f:
            f.truncate(end)
            f.flush()
            os.fsync(f.fileno())
        path.rename(final)
    else:
        path.unlink()
    return kept.count(b"\n")


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
        self.fh: IO[bytes] | None = None
        self.count = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for leftover in sorted(self.dir.glob(f"*{JSONL_SUFFIX}{OPEN_SUFFIX}")):
            if writer_alive(leftover):
                continue  # another crawl is writing into the same ARCHIVE_DIR
            kept = repair_open_file(leftover)
            self._inc("json/repaired_files")
            logger.warning(
                "Repaired %s left by an interrupted run (%d records kept)", leftover, kept
            )
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        self.path = self.dir / f"{self.prefix}-{stamp}-{os.getpid()}{JSONL_SUFFIX}{OPEN_SUFFIX}"
        self.fh = open(self.path, "xb")  # noqa: SIM115 - held open for the whole run

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, dict) or self.fh is None:
            return item
        line = json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        self.fh.write(line.encode("utf-8") + b"\n")
        self.fh.flush()
        if self.fsync:
            os.fsync(self.fh.fileno())
        self.count += 1
        self._inc("json/records")
        return item

    def close_spider(self) -> None:
        if self.fh is None or self.path is None:
            return
        self.fh.close()
        self.fh = None
        if self.count == 0:
            self.path.unlink()
            return
        final = self.path.with_name(self.path.name[: -len(OPEN_SUFFIX)])
        self.path.rename(final)
        logger.info("Wrote %d records to %s", self.count, final)

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
