"""ArchivePaths: the one place that names what lives under ``ARCHIVE_DIR``.

Every component that reads or writes the archive asks this object for a path instead of
spelling out ``index/``, ``warc/`` or a suffix itself (see docs/archive.md for the layout).
No path here is ever built from a URL or from page content: file names come from the
writer's own prefix, timestamp, host name and process id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: suffix of a file still being written; dropped by an atomic rename when it is complete
OPEN_SUFFIX = ".open"
WARC_SUFFIX = ".warc.gz"
JSONL_SUFFIX = ".jsonl"
#: file endings of archives the readers accept (ours and other tools')
ARCHIVE_SUFFIXES = (".warc.gz", ".warc", ".arc.gz", ".arc")


@dataclass(frozen=True)
class ArchivePaths:
    """The layout of one archive directory."""

    root: Path

    @classmethod
    def of(cls, root: str | Path) -> ArchivePaths:
        return cls(Path(root))

    @property
    def warc_dir(self) -> Path:
        return self.root / "warc"

    @property
    def json_dir(self) -> Path:
        return self.root / "json"

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def cdxj(self) -> Path:
        return self.index_dir / "index.cdxj"

    @property
    def cdxj_lock(self) -> Path:
        return self.index_dir / ".lock"

    @property
    def dedup_db(self) -> Path:
        return self.index_dir / "dedup.sqlite3"

    @property
    def neardup_db(self) -> Path:
        """MinHash signatures and LSH buckets of the records (archive.neardup)."""
        return self.index_dir / "neardup.sqlite3"

    @property
    def links_dir(self) -> Path:
        """Syndication links found after the copy's record was written (links-*.jsonl)."""
        return self.root / "links"

    @property
    def exports_dir(self) -> Path:
        """State of named export consumers (``scrapy export --since-last NAME``)."""
        return self.root / "exports"

    @property
    def recheck_db(self) -> Path:
        """Re-check state of archived URLs per site (archive.recheck)."""
        return self.index_dir / "recheck.sqlite3"

    @property
    def pywb_dir(self) -> Path:
        """The pywb configuration ``scrapy wayback`` writes (it points at warc/ and index/)."""
        return self.root / "pywb"

    @property
    def runs_dir(self) -> Path:
        """Run reports and per-run state (one JSON file per run)."""
        return self.root / "runs"

    @property
    def jobs_dir(self) -> Path:
        """Scrapy JOBDIRs, one per site, so a killed run resumes where it stopped."""
        return self.root / "jobs"

    def warc_files(self) -> list[Path]:
        """Closed WARC files, sorted by name (so by time)."""
        if not self.warc_dir.is_dir():
            return []
        return sorted(p for p in self.warc_dir.iterdir() if p.name.endswith(WARC_SUFFIX))

    def open_warc_files(self) -> list[Path]:
        if not self.warc_dir.is_dir():
            return []
        return sorted(self.warc_dir.glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}"))
