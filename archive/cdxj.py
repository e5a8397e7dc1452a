"""CDXJ index of the WARC archive, in pywb's format.

One line per response, revisit or resource record::

    com,example)/ 20170306040206 {"url": "http://example.com/", "mime": "text/html",
        "status": "200", "digest": "G7HRM7BG...", "length": "1228", "offset": "784",
        "filename": "example.warc.gz"}

Fields follow pywb's own indexer (``cdx-indexer -j``): SURT key, 14-digit UTC
timestamp, then ``url``, ``mime`` (``warc/revisit`` for revisits), ``mime-detected``,
``status`` (responses only), ``digest`` (SHA-1 base32 without its ``sha1:`` prefix),
``length``, ``offset`` and ``filename`` (relative to the ``warc/`` directory). Request,
warcinfo and ``application/warc-fields`` records are not indexed, as in pywb; nor are
``metadata`` records (see ``_INDEXED_TYPES``).

``ARCHIVE_DIR/index/index.cdxj`` is kept sorted; ``update_index`` (called by
``archive.extension`` each time the WARC writer closes a file) merges one file's lines in
and replaces the index atomically.

One deliberate difference from pywb's indexer, in the archive index only: a
``server-not-modified`` revisit (a 304 to a conditional re-crawl) keeps its own URL key
and timestamp but points at the original capture it refers to (status, mime, digest,
filename, offset), with its own location under ``"revisit"``. pywb replays a revisit
with the revisit's HTTP headers, so a 304 revisit indexed as such replays as an empty
304; pointed at the original, the capture at that time replays as the page it stood
for. The WARC record itself is untouched (``index_warc`` gives pywb's line for it).

Reading is in ``CdxjIndex`` (lookups by URL for replay and the HTTP cache).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import heapq
import json
import logging
import os
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import surt  # type: ignore[import-untyped]

from archive.reader import ArchiveRecord, Stats, iter_records, warc_timestamp
from archive.recordbuilder import PROFILE_NOT_MODIFIED
from vnnews import crashpoint
from vnnews.paths import ArchivePaths

logger = logging.getLogger(__name__)

# pywb also indexes ``metadata`` records; we do not: the extraction pipeline writes a
# metadata record (the article JSON) with the page's own URL, and replay of that URL
# must land on the page, not on the JSON.
_INDEXED_TYPES = frozenset({"response", "revisit", "resource"})


def url_key(url: str) -> str:
    """SURT key of a URL, as pywb computes it (``com,example)/path``)."""
    try:
        return str(surt.surt(url))
    except Exception:  # surt raises bare exceptions on odd URLs
        return url


def _digest(record: ArchiveRecord) -> str | None:
    value = record.payload_digest
    if value:
        return value[5:] if value.startswith("sha1:") else value
    if record.rec_type == "revisit" or record.oversized:
        return None
    return base64.b32encode(hashlib.sha1(record.raw_payload).digest()).decode("ascii")


def record_fields(record: ArchiveRecord) -> dict[str, str] | None:
    """The JSON part of a record's CDXJ line, or None if pywb would not index it."""
    if record.rec_type not in _INDEXED_TYPES or not record.url:
        return None
    if (record.header("Content-Type") or "").startswith("application/warc-fields"):
        return None
    if record.http_headers is not None and record.http_status is None:
        return None  # no HTTP status line: pywb skips it
    fields: dict[str, str] = {"url": record.url}
    if record.rec_type == "revisit":
        fields["mime"] = "warc/revisit"
    else:
        content_type = record.content_type
        fields["mime"] = content_type.replace(";", " ").split(" ", 1)[0] or "unk"
        detected = record.header("WARC-Identified-Payload-Type")
        if detected:
            fields["mime-detected"] = detected
    if record.rec_type == "response" and record.http_status is not None:
        fields["status"] = str(record.http_status)
    digest = _digest(record)
    if digest:
        fields["digest"] = digest
    metadata = record.header("WARC-Json-Metadata")
    if metadata:
        fields["metadata"] = metadata
    fields["length"] = str(record.length)
    fields["offset"] = str(record.offset)
    fields["filename"] = record.filename
    return fields


def cdxj_line(record: ArchiveRecord) -> str | None:
    """One CDXJ line (without newline) for a record, or None if it is not indexed."""
    fields = record_fields(record)
    if fields is None or not record.seekable:
        return None
    return f"{url_key(record.url)} {warc_timestamp(record.date)} {json.dumps(fields)}"


def index_warc(path: str | Path, stats: Stats | None = None) -> list[str]:
    """Sorted CDXJ lines (without newlines) for one WARC/ARC file.

    A broken record is skipped (counted in ``stats`` by the reader); lines for the
    records read before and after it are kept."""
    return _scan(path, stats)[0]


def _scan(
    path: str | Path, stats: Stats | None = None
) -> tuple[list[str], dict[tuple[str, str], str]]:
    """One read of a WARC file: its sorted CDXJ lines, and (url key, timestamp) of each
    server-not-modified revisit → its original's timestamp."""
    lines = []
    refs = {}
    for record in iter_records(path, stats):
        line = cdxj_line(record)
        if line is not None:
            lines.append(line)
        if record.rec_type == "revisit" and record.header("WARC-Profile") == PROFILE_NOT_MODIFIED:
            refers_date = record.header("WARC-Refers-To-Date")
            if record.url and refers_date:
                key = (url_key(record.url), warc_timestamp(record.date))
                refs[key] = warc_timestamp(refers_date)
    return sorted(lines), refs


def _line_filename(line: str) -> str | None:
    try:
        value = json.loads(line.split(" ", 2)[2]).get("filename")
    except (IndexError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def merge_lines(existing: Iterable[str], new: Iterable[str], replace: str) -> Iterator[str]:
    """Merge sorted ``new`` lines into sorted ``existing`` ones, dropping existing lines
    for the file ``replace`` (re-indexing a file is idempotent) and exact duplicates."""
    kept = (ln for ln in existing if ln and _line_filename(ln) != replace)
    last = None
    for line in heapq.merge(kept, sorted(new)):
        if line != last:
            yield line
        last = line


def update_index(archive_dir: Path, warc_path: Path) -> None:
    """Merge the lines of one (closed) WARC file into ``ARCHIVE_DIR/index/index.cdxj``.

    The index stays sorted and is replaced atomically (write to a temporary file in
    the same directory, then rename); an ``flock`` on ``index/.lock`` serialises
    concurrent writers. Filenames are relative to ``ARCHIVE_DIR/warc/``."""
    paths = ArchivePaths.of(archive_dir)
    warc_path = Path(warc_path)
    paths.index_dir.mkdir(parents=True, exist_ok=True)
    new_lines, refs = _scan(warc_path)  # one read of the file (it can be 1 GB)
    name = _relative_name(paths.warc_dir, warc_path)
    if name != warc_path.name:
        new_lines = sorted(_rename(line, name) for line in new_lines)
    index_path = paths.cdxj
    with paths.cdxj_lock.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if refs:
            new_lines = _point_at_originals(new_lines, refs, index_path)
        _rewrite(index_path, new_lines, name)
    logger.info("Indexed %s: %d CDXJ lines into %s", warc_path, len(new_lines), index_path)


def _point_at_originals(
    lines: list[str], refs: dict[tuple[str, str], str], index_path: Path
) -> list[str]:
    """Point 304-revisit lines at the capture they refer to (see the module docstring)."""
    wanted = {(key, ts) for (key, _), ts in refs.items()}
    originals: dict[tuple[str, str], dict[str, Any]] = {}
    existing = index_path.open(encoding="utf-8") if index_path.exists() else None
    try:
        for line in (*lines, *(existing or ())):
            key, ts, data = line.rstrip("\n").split(" ", 2)
            if (key, ts) in wanted:
                fields = json.loads(data)
                if fields.get("mime") != "warc/revisit":
                    originals[(key, ts)] = fields
    finally:
        if existing is not None:
            existing.close()
    out = []
    for line in lines:
        key, ts, data = line.split(" ", 2)
        original = originals.get((key, refs.get((key, ts), "")))
        if original is not None:
            own = json.loads(data)
            fields = {**original, "url": own["url"]}
            fields["revisit"] = {k: own[k] for k in ("length", "offset", "filename")}
            line = f"{key} {ts} {json.dumps(fields)}"
        out.append(line)
    return sorted(out)


def _relative_name(warc_dir: Path, warc_path: Path) -> str:
    try:
        return warc_path.resolve().relative_to(warc_dir.resolve()).as_posix()
    except ValueError:
        return warc_path.name


def _rename(line: str, filename: str) -> str:
    key, ts, data = line.split(" ", 2)
    fields = json.loads(data)
    fields["filename"] = filename
    return f"{key} {ts} {json.dumps(fields)}"


def _rewrite(index_path: Path, new_lines: list[str], replace: str) -> None:
    # created like any other file (mode 0666 less the umask), not 0600 as mkstemp would
    tmp_name = str(index_path.parent / f".index-{os.getpid()}-{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            if index_path.exists():
                with index_path.open(encoding="utf-8") as old:
                    existing = (ln.rstrip("\n") for ln in old)
                    out.writelines(ln + "\n" for ln in merge_lines(existing, new_lines, replace))
            else:
                out.writelines(ln + "\n" for ln in merge_lines((), new_lines, replace))
            out.flush()
            crashpoint.die_if("cdxj")  # tests only: the new index written, not yet in place
            os.fsync(out.fileno())
        os.replace(tmp_name, index_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CdxEntry:
    """One parsed CDXJ line."""

    urlkey: str
    timestamp: str
    fields: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.fields.get("url", ""))

    @property
    def filename(self) -> str:
        return str(self.fields.get("filename", ""))

    @property
    def offset(self) -> int:
        return int(self.fields.get("offset", 0))

    @property
    def length(self) -> int:
        return int(self.fields.get("length", 0))

    @property
    def digest(self) -> str:
        return str(self.fields.get("digest", ""))

    @property
    def is_revisit(self) -> bool:
        return self.fields.get("mime") == "warc/revisit"


def parse_line(line: str) -> CdxEntry | None:
    try:
        key, timestamp, data = line.rstrip("\n").split(" ", 2)
        fields = json.loads(data)
    except ValueError:
        return None
    if not isinstance(fields, dict):
        return None
    return CdxEntry(key, timestamp, fields)


class CdxjIndex:
    """CDXJ lines in memory, looked up by URL (SURT key) and by payload digest."""

    def __init__(self, entries: Iterable[CdxEntry]) -> None:
        self._by_key: dict[str, list[CdxEntry]] = {}
        self._by_digest: dict[str, list[CdxEntry]] = {}
        for entry in entries:
            self._by_key.setdefault(entry.urlkey, []).append(entry)
            if entry.digest and not entry.is_revisit:
                self._by_digest.setdefault(entry.digest, []).append(entry)
        for group in (*self._by_key.values(), *self._by_digest.values()):
            group.sort(key=lambda e: (e.timestamp, e.filename, e.offset))

    @classmethod
    def from_file(cls, path: Path, stats: Stats | None = None) -> CdxjIndex:
        entries = []
        with Path(path).open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip() or line.startswith("!"):
                    continue
                entry = parse_line(line)
                if entry is None:
                    logger.warning("%s:%d: not a CDXJ line; skipped", path, number)
                    if stats is not None:
                        stats["cdxj/bad_lines"] = stats.get("cdxj/bad_lines", 0) + 1
                    continue
                entries.append(entry)
        return cls(entries)

    def __len__(self) -> int:
        return sum(len(group) for group in self._by_key.values())

    def captures(self, url: str) -> list[CdxEntry]:
        """All captures of a URL, oldest first."""
        return list(self._by_key.get(url_key(url), ()))

    def latest(self, url: str) -> CdxEntry | None:
        found = self._by_key.get(url_key(url))
        return found[-1] if found else None

    def at(self, url: str, timestamp: str) -> CdxEntry | None:
        """The non-revisit capture of ``url`` at ``timestamp`` (for WARC-Refers-To-Date)."""
        for entry in self._by_key.get(url_key(url), ()):
            if entry.timestamp == timestamp and not entry.is_revisit:
                return entry
        return None

    def original(self, digest: str, before: str | None = None) -> CdxEntry | None:
        """The latest non-revisit capture with this payload digest (not after ``before``)."""
        digest = digest[5:] if digest.startswith("sha1:") else digest
        found = [
            e for e in self._by_digest.get(digest, ()) if before is None or e.timestamp <= before
        ]
        return found[-1] if found else None
