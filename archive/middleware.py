"""WarcWriterMiddleware: every HTTP exchange as WARC request + response/revisit records.

Registered at 950, next to the downloader, so it sees requests as sent (after the other
middlewares added their headers) and responses as received (before
HttpCompressionMiddleware decodes the body). Per exchange:

* a payload seen before (same payload digest, any URL, status 200) becomes a ``revisit``
  record (identical-payload-digest) with the HTTP headers only;
* a re-crawl sends ``If-None-Match`` / ``If-Modified-Since`` from the URL's last capture;
  a 304 becomes a ``revisit`` (server-not-modified) and the response handed on to the
  spider gets the original status, headers and body back, read from the earlier record;
* anything else is a full ``response`` record.

The request record carries the request's discovery hints (``request.meta["hints"]``: sitemap
``lastmod``/``publication_date``, feed dates, titles) in the ``WARC-Vnnews-Hints`` field when
there are any, so ``scrapy reprocess`` hands the extraction what the crawl handed it.

The location ``{filename, offset, length, record_id, payload_digest, date, revisit}`` goes
into ``request.meta["warc"]`` (also ``response.meta["warc"]``). File and index work runs
in a worker thread (``run_in_thread``), off the reactor.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import run_in_thread

from archive.dedupindex import Capture, DedupIndex
from archive.extension import ArchiveExtension
from archive.handler import WIRE_META_KEY
from archive.reader import read_http_record
from archive.recordbuilder import (
    PROFILE_IDENTICAL,
    PROFILE_NOT_MODIFIED,
    RawHttpHeaders,
    build_request,
    build_response,
    build_revisit,
    http_headers,
    new_record_id,
    payload_digest,
    warc_date,
)
from archive.warcwriter import RecordLocation, WarcFileWriter

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

STARTED_META_KEY = "_warc_started"
CONDITIONAL_META_KEY = "_warc_conditional"
_HOP_BY_HOP_RENAMED = {b"transfer-encoding": b"X-Archive-Orig-Transfer-Encoding"}


@dataclass
class Exchange:
    """The raw facts of one exchange, gathered on the reactor thread."""

    url: str
    date: str
    request_headers: RawHttpHeaders
    request_body: bytes
    response_headers: RawHttpHeaders
    body: bytes
    status: int
    ip_address: str | None
    etag: str | None
    last_modified: str | None
    conditional: Capture | None
    truncated: str | None = None
    hints: dict[str, Any] | None = None  # request.meta["hints"]: on the request record


@dataclass
class Outcome:
    """What was written, and the original capture to restore a 304 from."""

    location: RecordLocation
    revisit: bool = False
    not_modified: bool = False
    refers_to: Capture | None = None


def _header(headers: Headers, name: str) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None


def _hints(request: Request) -> dict[str, Any] | None:
    """The discovery hints the spider attached to ``request`` (a copy), if any."""
    hints = request.meta.get("hints")
    return dict(hints) if isinstance(hints, dict) and hints else None


def _truncation(response: Response) -> str | None:
    """``WARC-Truncated`` value for a body Scrapy flagged as incomplete.

    ``dataloss``: the connection closed before Content-Length / the last chunk arrived
    (kept only with DOWNLOAD_FAIL_ON_DATALOSS=False). ``partial`` is not a truncation: it
    marks bodies delimited by connection close, which is how HTTP/1.0 ends them.
    """
    return "disconnect" if "dataloss" in response.flags else None


def request_header_block(request: Request) -> RawHttpHeaders:
    """The request line and headers as Twisted sends them (Host first)."""
    parts = urlsplit(urldefrag(request.url)[0])
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pairs: list[tuple[bytes, bytes]] = []
    if b"Host" not in request.headers:
        pairs.append((b"Host", parts.netloc.encode("idna")))
    pairs += [(k, v) for k, values in request.headers.items() for v in values]
    if request.body and b"Content-Length" not in request.headers:
        pairs.append((b"Content-Length", str(len(request.body)).encode()))
    return http_headers((request.method, target, "HTTP/1.1"), pairs, request=True)


def response_header_block(request: Request, response: Response) -> RawHttpHeaders:
    """Status line with the real reason phrase, and every header including repeats.

    Twisted de-chunks bodies; a ``Transfer-Encoding`` header is kept visible as
    ``X-Archive-Orig-Transfer-Encoding`` so the record does not claim chunked framing.
    """
    wire = request.meta.get(WIRE_META_KEY) or {}
    phrase = wire.get("phrase")
    if phrase is None:  # handler not installed: fall back to the standard phrase
        try:
            phrase = HTTPStatus(response.status).phrase.encode()
        except ValueError:
            phrase = b""
    pairs = [(k, v) for k, values in response.headers.items() for v in values]
    if "conn_headers" in wire:  # Scrapy synthesises Content-Length; use the wire's own
        pairs = [(k, v) for k, v in pairs if k.lower() != b"content-length"]
    seen = {k.lower() for k, _ in pairs}
    for name, value in wire.get("conn_headers", []):
        lowered = name.lower()
        if lowered in _HOP_BY_HOP_RENAMED:
            pairs.append((_HOP_BY_HOP_RENAMED[lowered], value))
        elif lowered not in seen:
            pairs.append((name, value))
    protocol = response.protocol or "HTTP/1.1"
    status = (protocol, str(response.status), phrase.decode("latin-1"))
    return http_headers(status, pairs, request=False)


class WarcWriterMiddleware:
    """Downloader middleware writing request/response/revisit records (see module doc)."""

    def __init__(self, crawler: Crawler, writer: WarcFileWriter, index: DedupIndex | None):
        self.crawler = crawler
        self.writer = writer
        self.index = index
        self.conditional = index is not None and crawler.settings.getbool(
            "DEDUP_CONDITIONAL_REQUESTS"
        )
        # digest lookup, write and index update happen as one step, so two identical
        # payloads in flight cannot both become full responses
        self._archive_lock = threading.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcWriterMiddleware:
        if not crawler.settings.getbool("WARC_ENABLED"):
            raise NotConfigured("WARC writing is off; set WARC_ENABLED=True to archive")
        archive = crawler.get_extension(ArchiveExtension)
        if archive is None or archive.writer is None:
            raise RuntimeError(
                "the WARC writer is not open: enable archive.extension.ArchiveExtension in"
                " EXTENSIONS"
            )
        return cls(crawler, archive.writer, archive.index)

    def _inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)

    # -- requests ------------------------------------------------------------------

    async def process_request(self, request: Request) -> None:
        for key in ("warc", WIRE_META_KEY, CONDITIONAL_META_KEY):
            request.meta.pop(key, None)  # redirects and retries copy meta
        request.meta[STARTED_META_KEY] = warc_date(datetime.now(UTC))
        if not self.conditional or request.method != "GET" or request.meta.get("dont_conditional"):
            return
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return
        assert self.index is not None
        last = await run_in_thread(self._local_last_capture, request.url)
        if last is None or not (last.etag or last.last_modified):
            return
        if last.etag:
            request.headers[b"If-None-Match"] = last.etag.encode("latin-1")
        if last.last_modified:
            request.headers[b"If-Modified-Since"] = last.last_modified.encode("latin-1")
        request.meta[CONDITIONAL_META_KEY] = last
        self._inc("dedup/conditional_requests")

    def _local_last_capture(self, url: str) -> Capture | None:
        """The URL's last capture, if its record is in this archive (a 304 is restored from it).

        With a shared (Redis) index the last capture may be another worker's, in a WARC on
        another machine: then the request goes out unconditionally.
        """
        assert self.index is not None
        last = self.index.last_capture(url)
        if last is None:
            return None
        warc_dir = self.writer.warc_dir
        if (warc_dir / last.filename).exists() or (warc_dir / (last.filename + ".open")).exists():
            return last
        self._inc("dedup/conditional_skipped_elsewhere")
        return None

    # -- responses -----------------------------------------------------------------

    async def process_response(self, request: Request, response: Response) -> Response:
        if "cached" in response.flags or "warc" in request.meta:
            return response
        if urlsplit(response.url).scheme not in ("http", "https"):
            return response  # data:, file:, ftp: are not HTTP exchanges
        try:
            exchange = self._exchange(request, response)
            outcome = await run_in_thread(self._archive, exchange)
        except Exception as exc:  # a WARC fault must not kill the crawl
            logger.error("Could not archive %s: %s", response.url, exc)
            self._inc("archive/write_errors")
            return response
        meta = outcome.location.as_meta()
        meta["revisit"] = outcome.revisit
        if outcome.refers_to is not None:
            meta["refers_to"] = outcome.refers_to.record_id
        request.meta["warc"] = meta
        if outcome.not_modified and outcome.refers_to is not None:
            meta["not_modified"] = True
            return await self._restore(request, response, outcome.refers_to)
        return response

    def _exchange(self, request: Request, response: Response) -> Exchange:
        ip = response.ip_address
        return Exchange(
            url=urldefrag(response.url)[0],
            date=request.meta.get(STARTED_META_KEY) or warc_date(datetime.now(UTC)),
            request_headers=request_header_block(request),
            request_body=request.body,
            response_headers=response_header_block(request, response),
            body=response.body,
            status=response.status,
            ip_address=str(ip) if ip is not None else None,
            etag=_header(response.headers, "ETag"),
            last_modified=_header(response.headers, "Last-Modified"),
            conditional=request.meta.get(CONDITIONAL_META_KEY),
            truncated=_truncation(response),
            hints=_hints(request),
        )

    # -- worker thread ---------------------------------------------------------------

    def _archive(self, ex: Exchange) -> Outcome:
        """Write the records for ``ex`` and update the index (runs in a worker thread)."""
        with self._archive_lock:
            return self._archive_locked(ex)

    def _archive_locked(self, ex: Exchange) -> Outcome:
        response_id, request_id = new_record_id(), new_record_id()
        common: dict[str, Any] = {
            "date": ex.date,
            "record_id": response_id,
            "concurrent_to": request_id,
            "ip_address": ex.ip_address,
        }
        outcome = None if ex.truncated else self._revisit_outcome(ex, common)
        if outcome is None:
            record = build_response(
                ex.url, ex.response_headers, ex.body, truncated=ex.truncated, **common
            )
            outcome = Outcome(location=self._write(ex, record, request_id, response_id))
            self._inc("archive/responses")
        self._remember(ex, outcome)
        return outcome

    def _revisit_outcome(self, ex: Exchange, common: dict[str, Any]) -> Outcome | None:
        if self.index is None:
            return None
        original: Capture | None = None
        not_modified = ex.status == 304 and ex.conditional is not None
        if not_modified:
            original = ex.conditional
        elif ex.status == 200 and ex.body:
            original = self.index.first_capture(payload_digest(ex.body))
        if original is None:
            return None
        profile = PROFILE_NOT_MODIFIED if not_modified else PROFILE_IDENTICAL
        record = build_revisit(
            ex.url,
            ex.response_headers,
            profile=profile,
            payload_digest=original.payload_digest or payload_digest(ex.body),
            refers_to={"uri": original.uri, "date": original.date, "record_id": original.record_id},
            **common,
        )
        location = self._write(ex, record, common["concurrent_to"], common["record_id"])
        self._inc("archive/revisits")
        self._inc("dedup/not_modified" if not_modified else "dedup/revisits")
        return Outcome(location, revisit=True, not_modified=not_modified, refers_to=original)

    def _write(
        self, ex: Exchange, record: Any, request_id: str, response_id: str
    ) -> RecordLocation:
        request_record = build_request(
            ex.url,
            ex.request_headers,
            ex.request_body,
            date=ex.date,
            record_id=request_id,
            concurrent_to=response_id,
            hints=ex.hints,
        )
        return self.writer.write_records([request_record, record])[1]

    def _remember(self, ex: Exchange, outcome: Outcome) -> None:
        """Index a new payload, and the URL's last capture with its validators."""
        if self.index is None or ex.status != 200 or ex.truncated:
            return
        loc = outcome.location
        capture = Capture(
            uri=ex.url,
            date=loc.date,
            record_id=loc.record_id,
            filename=loc.filename,
            offset=loc.offset,
            length=loc.length,
            payload_digest=loc.payload_digest or "",
            etag=ex.etag,
            last_modified=ex.last_modified,
            status=ex.status,
        )
        if outcome.revisit and outcome.refers_to is not None:
            original = outcome.refers_to  # the full record holding these payload bytes
            capture = replace(capture, **_location_of(original))
        elif ex.body:
            self.index.add_capture(capture.payload_digest, capture)
        self.index.set_last_capture(ex.url, capture)

    # -- 304: hand the original on ---------------------------------------------------

    async def _restore(self, request: Request, response: Response, original: Capture) -> Response:
        try:
            status, headers, body = await run_in_thread(
                read_http_record, self.writer.warc_dir, original.filename, original.offset
            )
        except Exception as exc:
            logger.warning(
                "Cannot restore %s from %s@%d: %s",
                response.url,
                original.filename,
                original.offset,
                exc,
            )
            self._inc("dedup/restore_errors")
            return response
        new_headers = Headers(headers)
        cls = responsetypes.from_args(headers=new_headers, url=response.url, body=body)
        return cls(  # type: ignore[no-any-return]
            url=response.url,
            status=status,
            headers=new_headers,
            body=body,
            flags=[*response.flags, "revisit"],
            request=request,
            certificate=response.certificate,
            ip_address=response.ip_address,
            protocol=response.protocol,
        )


def _location_of(capture: Capture) -> dict[str, Any]:
    return {
        "uri": capture.uri,
        "date": capture.date,
        "record_id": capture.record_id,
        "filename": capture.filename,
        "offset": capture.offset,
        "length": capture.length,
    }
