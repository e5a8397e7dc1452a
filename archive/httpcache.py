"""WarcCacheStorage: Scrapy's HTTP cache served from our WARC archive, for offline re-runs.

    scrapy crawl news -a site=nhandan -s HTTPCACHE_ENABLED=1 \\
        -s HTTPCACHE_STORAGE=archive.httpcache.WarcCacheStorage -s HTTPCACHE_IGNORE_MISSING=1

Requests are answered from the latest capture of their URL in ``ARCHIVE_DIR`` (or
``HTTPCACHE_ARCHIVE_DIR``), found through ``index/index.cdxj`` (built in memory from
``warc/`` when there is no index). The response is rebuilt from the record as the server
sent it: status, original headers and the body still content-encoded
(HttpCompressionMiddleware decodes it, as on a live fetch); chunked transfer coding is
undone, as Scrapy's downloader does. A revisit is resolved to its original payload
(``WARC-Refers-To-Target-URI`` and ``-Date``, else the payload digest), keeping the
revisit's own status and headers. ``request.meta["warc"]`` points at the archived record.

``store_response`` writes nothing: the WARC middleware records live fetches.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from archive.cdxj import CdxEntry, CdxjIndex, index_warc, parse_line
from archive.payload import PayloadError, dechunk
from archive.reader import ArchiveRecord, read_record_at, warc_timestamp
from vnnews.paths import ARCHIVE_SUFFIXES, ArchivePaths

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

_HOP_HEADERS = frozenset({"transfer-encoding", "content-length", "connection", "keep-alive"})


class WarcCacheStorage:
    """``HTTPCACHE_STORAGE`` backed by the WARC archive and its CDXJ index."""

    def __init__(self, settings: BaseSettings) -> None:
        root = settings["HTTPCACHE_ARCHIVE_DIR"] or settings["ARCHIVE_DIR"]
        if not root:
            raise ValueError("set HTTPCACHE_ARCHIVE_DIR or ARCHIVE_DIR to the archive to read")
        self.paths = ArchivePaths.of(root)
        self.archive_dir = self.paths.root
        self.index = CdxjIndex(())
        self.stats: Any = None
        self.counts: Counter[str] = Counter()

    # -- spider lifecycle --------------------------------------------------------------

    def open_spider(self, spider: Spider) -> None:
        crawler = getattr(spider, "crawler", None)
        self.stats = getattr(crawler, "stats", None)
        self.index = self._load_index()
        logger.info("WARC cache: %d captures from %s", len(self.index), self.archive_dir.resolve())

    def close_spider(self, spider: Spider) -> None:
        """An offline re-run that found none of its URLs in the archive says so: it was
        started with other -a site/start_urls than the archived crawl."""
        if self.counts["httpcache/warc_hits"] or not self.counts["httpcache/warc_misses"]:
            return
        captured = (e.url for group in self.index._by_key.values() for e in group)
        hosts = sorted({urlsplit(url).netloc for url in captured} - {""})
        logger.error(
            "WARC cache: none of the %d URLs requested is in %s (it holds captures of %s); "
            "start the re-run with the archived crawl's own -a site= / -a start_urls=",
            self.counts["httpcache/warc_misses"],
            self.archive_dir.resolve(),
            ", ".join(hosts[:5]) or "nothing",
        )

    def _load_index(self) -> CdxjIndex:
        path = self.paths.cdxj
        if path.exists():
            return CdxjIndex.from_file(path)
        warc_dir = self.paths.warc_dir
        files = sorted(p for p in warc_dir.rglob("*") if p.name.endswith(ARCHIVE_SUFFIXES))
        if not files:
            logger.error(
                "WARC cache: no %s and no WARC files under %s; every request misses "
                "(set ARCHIVE_DIR or HTTPCACHE_ARCHIVE_DIR to a crawl's archive)",
                path,
                warc_dir,
            )
            return CdxjIndex(())
        logger.warning("WARC cache: no CDXJ index; indexing %d WARC files in memory", len(files))
        entries = []
        for file in files:
            rel = file.relative_to(warc_dir).as_posix()
            for line in index_warc(file):
                entry = parse_line(line)
                if entry is not None:
                    entry.fields["filename"] = rel
                    entries.append(entry)
        return CdxjIndex(entries)

    # -- cache interface --------------------------------------------------------------

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        if request.method != "GET":
            return None
        entry = self._latest_capture(request.url)
        if entry is None:
            self.counts["httpcache/warc_misses"] += 1
            return None
        record = self._read(entry)
        if record is None:
            return None
        body_record = self._original(record, entry) if record.rec_type == "revisit" else record
        if body_record is None:
            self._inc("httpcache/warc_unresolved_revisits")
            logger.warning("WARC cache: revisit of %s has no original in the archive", entry.url)
            return None
        response = self._response(request.url, record, body_record)
        if response is not None:
            # the capture's location and time: records of an offline re-run keep the capture's
            # fetched_at (the WARC-Date of the record replayed), not the re-run's clock
            location = {**record.location(), "filename": entry.filename, "date": record.date}
            request.meta.setdefault("warc", location)
            self._inc("httpcache/warc_hits")
        return response

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        """Nothing to do: live fetches are recorded by the WARC middleware."""

    # -- helpers --------------------------------------------------------------------------

    def _latest_capture(self, url: str) -> CdxEntry | None:
        """Latest response or revisit; captures of exactly this URL win over others with
        the same SURT key (``/sub`` and ``/sub/``, ``http`` and ``https``)."""
        captures = [e for e in self.index.captures(url) if e.is_revisit or "status" in e.fields]
        exact = [e for e in captures if e.url == url]
        chosen = exact or captures
        return chosen[-1] if chosen else None

    def _read(self, entry: CdxEntry) -> ArchiveRecord | None:
        record = read_record_at(self.paths.warc_dir / entry.filename, entry.offset)
        if record is None:
            self._inc("httpcache/warc_read_errors")
        return record

    def _original(self, revisit: ArchiveRecord, entry: CdxEntry) -> ArchiveRecord | None:
        target = revisit.header("WARC-Refers-To-Target-URI")
        date = revisit.header("WARC-Refers-To-Date")
        found = self.index.at(target, warc_timestamp(date)) if target and date else None
        if found is None and entry.digest:
            found = self.index.original(entry.digest, before=entry.timestamp)
        return self._read(found) if found is not None else None

    def _response(
        self, url: str, record: ArchiveRecord, body_record: ArchiveRecord
    ) -> Response | None:
        status = record.http_status or body_record.http_status
        if status is None:
            return None
        body = body_record.raw_payload
        if "chunked" in (body_record.http_header("Transfer-Encoding") or "").lower():
            with contextlib.suppress(PayloadError):  # stored de-chunked, header left in
                body = dechunk(body)
        headers = self._headers(record, body_record)
        respcls = responsetypes.from_args(headers=headers, url=url, body=body)
        return respcls(url=url, status=status, headers=headers, body=body)

    @staticmethod
    def _headers(record: ArchiveRecord, body_record: ArchiveRecord) -> Headers:
        """The capture's own headers; Content-Encoding always from the record holding
        the body (a revisit's headers describe a body it does not carry)."""
        pairs = [
            (k, v)
            for k, v in (record.http_headers or body_record.http_headers or ())
            if k.lower() not in _HOP_HEADERS and k.lower() != "content-encoding"
        ]
        encoding = body_record.http_header("Content-Encoding")
        if encoding:
            pairs.append(("Content-Encoding", encoding))
        headers = Headers()
        for name, value in pairs:
            headers.appendlist(name, value)
        return headers

    def _inc(self, key: str) -> None:
        self.counts[key] += 1
        if self.stats is not None:
            self.stats.inc_value(key)
