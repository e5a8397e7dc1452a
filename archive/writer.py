"""Rotating WARC/1.1 file writer, one per crawler.

Files live in ``ARCHIVE_DIR/warc/`` and are named
``{prefix}-{timestamp17}-{serial:05d}-{host}-{pid}.warc.gz``. While being written a
file carries an extra ``.open`` suffix; it is renamed when closed (rotation at
``WARC_MAX_SIZE`` or crawl end). Every record is its own gzip member, and every file
starts with a ``warcinfo`` record. Leftover ``.open`` files of dead processes are cut
back to their last complete record and closed on start-up (:meth:`WarcFileWriter.repair`);
the repair itself is ``archive.repair``, whose public names are re-exported here.

All public write methods are thread-safe (one lock), so callers can run them in a
worker thread off the reactor.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archive.repair import _LIVE_FILES, repair_open_file, repair_open_files, valid_prefix

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = [
    "CONFORMS_TO",
    "DEFAULT_GZIP_LEVEL",
    "DEFAULT_MAX_SIZE",
    "PROFILE_IDENTICAL",
    "PROFILE_NOT_MODIFIED",
    "SOFTWARE",
    "WARC_FORMAT",
    "RawHttpHeaders",
    "RecordLocation",
    "WarcFileWriter",
    "build_request",
    "build_response",
    "build_revisit",
    "crawl_info",
    "dedup_mode",
    "http_headers",
    "new_record_id",
    "read_http_record",
    "repair_open_file",
    "repair_open_files",
    "valid_prefix",
    "warc_date",
]

logger = logging.getLogger(__name__)


def _software() -> str:
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "unknown"

    return (
        f"vnnews-archiver/{ver('vnnews-archiver')} (Scrapy/{ver('scrapy')}; warcio/{ver('warcio')})"
    )


SOFTWARE = _software()
WARC_FORMAT = "WARC File Format 1.1"
CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
DEFAULT_MAX_SIZE = 1_000_000_000
# zlib level of each record's gzip member: 6 is zlib's default; 9 (warcio's) costs about
# 1.6x the CPU for a 0.5% smaller file on news HTML.
DEFAULT_GZIP_LEVEL = 6
_CRAWLER_ATTR = "_vnnews_warc_writer"


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


class RawHttpHeaders(StatusAndHeaders):  # type: ignore[misc]
    """warcio headers whose serialisation is the exact bytes given (non-ASCII kept)."""

    def __init__(self, raw: bytes, statusline: str, headers: list[tuple[str, str]], protocol: str):
        super().__init__(statusline, headers, protocol=protocol)
        self.raw = raw

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        self.headers_buff = self.raw


def http_headers(
    first_line: tuple[str, str, str], headers: Iterable[tuple[bytes, bytes]], *, request: bool
) -> RawHttpHeaders:
    """Build an HTTP header block from a first line and raw ``(name, value)`` pairs.

    ``first_line`` is ``(protocol, status, reason)`` for a response and
    ``(method, target, protocol)`` for a request.
    """
    pairs = list(headers)
    line = " ".join(part for part in first_line if part or not request).rstrip(" ")
    if not request and not first_line[2]:
        line = f"{first_line[0]} {first_line[1]}"
    raw = line.encode("latin-1", "replace") + b"\r\n"
    raw += b"".join(name + b": " + value + b"\r\n" for name, value in pairs)
    raw += b"\r\n"
    decoded = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in pairs]
    if request:
        return RawHttpHeaders(raw, f"{first_line[0]} {first_line[1]}", decoded, first_line[2])
    status = f"{first_line[1]} {first_line[2]}".rstrip(" ")
    return RawHttpHeaders(raw, status, decoded, first_line[0])


def warc_date(when: datetime) -> str:
    """WARC/1.1 date (UTC, microseconds) for an aware datetime."""
    return str(datetime_to_iso_date(when.astimezone(UTC).replace(tzinfo=None), use_micros=True))


def new_record_id() -> str:
    return str(RecordBuilder._make_warc_id())


def _warc_fields(rec_type: str, uri: str, date: str, record_id: str | None) -> dict[str, str]:
    return {
        "WARC-Type": rec_type,
        "WARC-Record-ID": record_id or new_record_id(),
        "WARC-Date": date,
        "WARC-Target-URI": uri,
    }


_BUILDER = RecordBuilder(warc_version="1.1")


def _http_record(
    rec_type: str, uri: str, headers: RawHttpHeaders, body: bytes, fields: dict[str, str]
) -> Any:
    """A record holding an HTTP header block and a body, with the given WARC fields."""
    return _BUILDER.create_warc_record(
        uri,
        rec_type,
        payload=BytesIO(body),
        length=len(body),
        http_headers=headers,
        warc_headers_dict=fields,
    )


def build_response(
    uri: str,
    headers: RawHttpHeaders,
    body: bytes,
    *,
    date: str,
    record_id: str | None = None,
    concurrent_to: str | None = None,
    ip_address: str | None = None,
    truncated: str | None = None,
) -> Any:
    """A ``response`` record: the HTTP header block and the body exactly as received.

    ``truncated`` ("length", "time", "disconnect", "unspecified") sets ``WARC-Truncated``
    when the body is known to be incomplete.
    """
    fields = _warc_fields("response", uri, date, record_id)
    if ip_address:
        fields["WARC-IP-Address"] = ip_address
    if concurrent_to:
        fields["WARC-Concurrent-To"] = concurrent_to
    if truncated:
        fields["WARC-Truncated"] = truncated
    return _http_record("response", uri, headers, body, fields)


def build_request(
    uri: str,
    headers: RawHttpHeaders,
    body: bytes,
    *,
    date: str,
    concurrent_to: str,
    record_id: str | None = None,
) -> Any:
    """A ``request`` record, linked to its response by ``WARC-Concurrent-To``."""
    fields = _warc_fields("request", uri, date, record_id)
    fields["WARC-Concurrent-To"] = concurrent_to
    return _http_record("request", uri, headers, body, fields)


def build_revisit(
    uri: str,
    headers: RawHttpHeaders,
    *,
    profile: str,
    payload_digest: str,
    refers_to: Mapping[str, str],
    date: str,
    record_id: str | None = None,
    concurrent_to: str | None = None,
    ip_address: str | None = None,
) -> Any:
    """A ``revisit`` record (HTTP headers only) pointing at an earlier capture.

    ``refers_to`` holds ``uri``, ``date`` and ``record_id`` of the original record.
    """
    fields = _warc_fields("revisit", uri, date, record_id)
    if ip_address:
        fields["WARC-IP-Address"] = ip_address
    if concurrent_to:
        fields["WARC-Concurrent-To"] = concurrent_to
    fields["WARC-Refers-To"] = refers_to["record_id"]
    record = _BUILDER.create_revisit_record(
        uri,
        payload_digest,
        refers_to["uri"],
        refers_to["date"],
        http_headers=headers,
        warc_headers_dict=fields,
    )
    record.rec_headers.replace_header("WARC-Profile", profile)
    return record


class WarcFileWriter:
    """Append records to rotating ``.warc.gz`` files under ``warc_dir``."""

    def __init__(
        self,
        warc_dir: Path,
        *,
        prefix: str = "vnnews",
        max_size: int = DEFAULT_MAX_SIZE,
        info: Mapping[str, str] | None = None,
        stats: Any = None,
        archive_dir: Path | None = None,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
    ) -> None:
        self.warc_dir = warc_dir
        self.gzip_level = gzip_level
        self.archive_dir = archive_dir if archive_dir is not None else warc_dir.parent
        self.prefix = prefix
        self.max_size = max_size
        self.info = dict(info or {})
        self.stats = stats
        self.hostname = socket.gethostname().split(".")[0] or "localhost"
        self.on_close: list[Callable[[Path], None]] = []
        self.builder = RecordBuilder(warc_version="1.1")
        self._lock = threading.RLock()
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._serial = 0
        self.closed_files: list[Path] = []
        warc_dir.mkdir(parents=True, exist_ok=True)

    # -- construction ---------------------------------------------------------------

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> WarcFileWriter:
        """The crawler's shared writer (created, repaired and hooked up on first use)."""
        writer: WarcFileWriter | None = getattr(crawler, _CRAWLER_ATTR, None)
        if writer is None:
            writer = cls.from_crawler(crawler)
            setattr(crawler, _CRAWLER_ATTR, writer)
        return writer

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcFileWriter:
        """A new writer from the crawler's settings (use :meth:`for_crawler` to share one)."""
        from scrapy import signals

        settings = crawler.settings
        archive_dir = Path(settings.get("ARCHIVE_DIR", "data"))
        max_size = settings.getint("WARC_MAX_SIZE", DEFAULT_MAX_SIZE)
        level = settings.getint("WARC_GZIP_LEVEL", DEFAULT_GZIP_LEVEL)
        if max_size <= 0 or not 1 <= level <= 9:
            from scrapy.exceptions import NotConfigured

            raise NotConfigured(
                "WARC_MAX_SIZE must be a positive number of bytes and WARC_GZIP_LEVEL 1..9"
            )
        info = crawl_info(settings)
        spider = getattr(crawler, "spider", None)
        if spider is not None:
            info["spider"] = spider.name
            site = getattr(spider, "site_name", None)
            if site and "profile" not in info:
                info["profile"] = str(site)
        writer = cls(
            archive_dir / "warc",
            prefix=settings.get("WARC_PREFIX", "vnnews") or "vnnews",
            max_size=max_size,
            info=info,
            stats=crawler.stats,
            archive_dir=archive_dir,
            gzip_level=level,
        )
        writer.repair()
        crawler.signals.connect(writer._spider_closed, signal=signals.spider_closed)
        return writer

    def _spider_closed(self) -> None:
        self.close()

    # -- file handling ---------------------------------------------------------------

    def repair(self) -> list[Path]:
        """Repair leftover ``.open`` files of dead processes; returns the closed paths."""
        repaired = repair_open_files(self.warc_dir, stats=self.stats)
        for path in repaired:
            self._run_close_hooks(path)
        return repaired

    def _new_name(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self.hostname}-{os.getpid()}.warc.gz"
        self._serial += 1
        return name

    def _ensure_open(self) -> tuple[BinaryIO, Path]:
        if self._file is not None and self._path is not None:
            return self._file, self._path
        while True:  # two writers of one process may pick the same name in the same ms
            name = self._new_name()
            path = self.warc_dir / name
            try:
                self._file = open(str(path) + ".open", "xb")  # noqa: SIM115 - see close()
            except FileExistsError:
                continue
            break
        _LIVE_FILES.add(str(path) + ".open")
        self._path = path
        self._inc("archive/files")
        warcinfo = self.builder.create_warcinfo_record(name, self.info)
        self._write_one(self._file, self._member(warcinfo))
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
            os.replace(str(path) + ".open", path)
            _LIVE_FILES.discard(str(path) + ".open")
            self.closed_files.append(path)
        logger.info("Closed WARC file %s", path)
        self._run_close_hooks(path)
        return path

    def _run_close_hooks(self, path: Path) -> None:
        hooks = list(self.on_close)
        try:  # guarded: the CDXJ indexer is optional
            cdxj: Any = importlib.import_module("archive.cdxj")
        except ImportError:
            cdxj = None
        update = getattr(cdxj, "update_index", None)
        for hook in hooks:
            self._call_hook(hook, path)
        if update is not None:
            self._call_hook(lambda p: update(self.archive_dir, p), path)

    def _call_hook(self, hook: Callable[[Path], None], path: Path) -> None:
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
        out.write(member)
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
        record = self.builder.create_warc_record(
            target_uri,
            "metadata",
            payload=BytesIO(payload),
            length=len(payload),
            warc_content_type=content_type,
            warc_headers_dict={
                **_warc_fields("metadata", target_uri, warc_date(datetime.now(UTC)), None),
                "WARC-Refers-To": refers_to_record_id,
                "WARC-Concurrent-To": refers_to_record_id,
            },
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


def read_http_record(
    warc_dir: Path, filename: str, offset: int
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Read back one response record: status, HTTP headers, payload as received.

    The payload keeps its Content-Encoding (it is what the server sent). Looks for the
    closed file first, then for the same file still being written (``.open``).
    """
    from warcio.archiveiterator import ArchiveIterator

    path = warc_dir / filename
    if not path.exists():
        path = warc_dir / (filename + ".open")
    with open(path, "rb") as stream:
        stream.seek(offset)
        for record in ArchiveIterator(stream):
            if record.rec_type != "response" or record.http_headers is None:
                raise ValueError(f"{filename}@{offset} is a {record.rec_type} record")
            status = int(record.http_headers.get_statuscode())
            headers = [
                (name, value)
                for name, value in record.http_headers.headers
                if name.lower() != "x-archive-orig-transfer-encoding"
            ]
            return status, headers, record.raw_stream.read()
    raise ValueError(f"no record at {filename}@{offset}")


def crawl_info(settings: Any) -> dict[str, str]:
    """The ``warcinfo`` fields: software, format, operator, and the settings that matter."""
    robots = "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"
    fields = {
        "software": SOFTWARE,
        "format": WARC_FORMAT,
        "conformsTo": CONFORMS_TO,
        "operator": settings.get("WARC_OPERATOR") or "",
        "robots": robots,
        "hostname": socket.gethostname(),
        "http-header-user-agent": settings.get("USER_AGENT") or "",
        "isPartOf": settings.get("BOT_NAME") or "",
        "dedup": dedup_mode(settings),
        "profile": settings.get("NEWS_SITE") or settings.get("NEWS_PROFILE") or "",
    }
    return {key: value for key, value in fields.items() if value}


def dedup_mode(settings: Any) -> str:
    if not settings.getbool("DEDUP_ENABLED", True):
        return "off"
    conditional = settings.getbool("CONDITIONAL_REQUESTS_ENABLED", True)
    backend = settings.get("DEDUP_BACKEND", "sqlite")
    return f"{backend}; identical-payload-digest" + ("; server-not-modified" if conditional else "")
