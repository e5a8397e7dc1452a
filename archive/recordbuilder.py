"""WARC/1.1 records, built in memory (as warcio keeps ``recordbuilder`` apart from ``warcwriter``).

Each ``build_*`` function returns a warcio record ready for
:meth:`archive.warcwriter.WarcFileWriter.write_records`: ``request``, ``response``,
``revisit``, ``metadata`` and ``warcinfo``. HTTP header blocks are kept as the exact bytes
received (:class:`RawHttpHeaders`), so non-ASCII header values and odd reason phrases
survive. Block and payload digests are SHA-1 in base32 (``sha1:…``), computed by warcio;
:func:`payload_digest` computes the same value for a body before a record exists.

Nothing here touches a file or a crawler.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from io import BytesIO
from typing import Any

from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester


def _software() -> str:
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

_BUILDER = RecordBuilder(warc_version="1.1")

#: WARC-Target-URI prefix of the ``metadata`` record holding the article extracted from a page
#: (``urn:vnnews:article:`` + the page's URL). A URN gets its own key in any CDX(J) index
#: (pywb's ``cdx-indexer``, ``cdxj-indexer``), so replay tools never serve the JSON in place of
#: the page; ``metadata://host/path`` (Heritrix's style) would be SURT-ed to the page's key.
ARTICLE_URI_PREFIX = "urn:vnnews:article:"


#: Extension field of a ``request`` record: the discovery hints the crawl handed to the
#: extraction with this request (``request.meta["hints"]``: news-sitemap ``publication_date``,
#: sitemap ``lastmod``, feed ``pubDate``/``updated``, titles), as compact JSON. Written only
#: when there are hints; ``scrapy reprocess`` reads it back so the article gets the crawl's dates.
HINTS_FIELD = "WARC-Vnnews-Hints"
#: a hint value longer than this (a runaway title in a sitemap) is left out of the field
MAX_HINT_CHARS = 1000


def hints_field(hints: Mapping[str, Any] | None) -> str | None:
    """The :data:`HINTS_FIELD` value for ``hints``: one line of ASCII JSON, keys sorted
    (non-ASCII escaped, so every reader decodes it alike); None when there is nothing to keep."""
    kept = {
        str(key): str(value)
        for key, value in (hints or {}).items()
        if value is not None and str(value) and len(str(value)) <= MAX_HINT_CHARS
    }
    if not kept:
        return None
    return json.dumps(kept, ensure_ascii=True, sort_keys=True, separators=(",", ":"))


def read_hints(value: str | None) -> dict[str, str] | None:
    """The hints of a :data:`HINTS_FIELD` value; None when absent or unreadable."""
    if not value:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    hints = {str(k): v for k, v in data.items() if isinstance(v, str)}
    return hints or None


def article_uri(page_url: str) -> str:
    """The ``WARC-Target-URI`` of the metadata record about the article at ``page_url``."""
    return ARTICLE_URI_PREFIX + page_url


def article_page_url(uri: str) -> str | None:
    """The page URL of an :func:`article_uri`; None for any other URI."""
    return uri[len(ARTICLE_URI_PREFIX) :] if uri.startswith(ARTICLE_URI_PREFIX) else None


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
    """A fresh ``<urn:uuid:…>`` record id."""
    return str(RecordBuilder._make_warc_id())


def payload_digest(body: bytes) -> str:
    """``sha1:BASE32`` of a payload, as ``WARC-Payload-Digest`` writes it."""
    digester = Digester("sha1")
    digester.update(body)
    return str(digester)


def _warc_fields(rec_type: str, uri: str, date: str, record_id: str | None) -> dict[str, str]:
    return {
        "WARC-Type": rec_type,
        "WARC-Record-ID": record_id or new_record_id(),
        "WARC-Date": date,
        "WARC-Target-URI": uri,
    }


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
    hints: Mapping[str, Any] | None = None,
) -> Any:
    """A ``request`` record, linked to its response by ``WARC-Concurrent-To``.

    ``hints``: the discovery hints that went with the request (:data:`HINTS_FIELD`); a WARC
    header field only, the block (request line, headers, body) is what was sent."""
    fields = _warc_fields("request", uri, date, record_id)
    fields["WARC-Concurrent-To"] = concurrent_to
    carried = hints_field(hints)
    if carried is not None:
        fields[HINTS_FIELD] = carried
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


def build_metadata(
    uri: str,
    payload: bytes,
    *,
    refers_to: str,
    date: str,
    content_type: str = "application/json",
    record_id: str | None = None,
) -> Any:
    """A ``metadata`` record about an earlier record (e.g. the article extracted from it);
    ``WARC-Refers-To`` and ``WARC-Concurrent-To`` are that record's id."""
    return _BUILDER.create_warc_record(
        uri,
        "metadata",
        payload=BytesIO(payload),
        length=len(payload),
        warc_content_type=content_type,
        warc_headers_dict={
            **_warc_fields("metadata", uri, date, record_id),
            "WARC-Refers-To": refers_to,
            "WARC-Concurrent-To": refers_to,
        },
    )


def build_warcinfo(filename: str, info: Mapping[str, str]) -> Any:
    """The ``warcinfo`` record that opens a file: ``info`` as ``application/warc-fields``."""
    return _BUILDER.create_warcinfo_record(filename, dict(info))


def crawl_info(settings: Any) -> dict[str, str]:
    """The ``warcinfo`` fields of a crawl: software, format, operator, and the settings
    that matter. Empty values are left out."""
    robots = "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"
    fields = {
        "software": SOFTWARE,
        "format": WARC_FORMAT,
        "conformsTo": CONFORMS_TO,
        "operator": settings["WARC_OPERATOR"] or "",
        "robots": robots,
        "hostname": socket.gethostname(),
        "http-header-user-agent": settings["USER_AGENT"] or "",
        "isPartOf": settings["BOT_NAME"] or "",
        "dedup": dedup_mode(settings),
        "profile": settings["NEWS_SITE"] or settings["NEWS_PROFILE"] or "",
    }
    return {key: value for key, value in fields.items() if value}


def dedup_mode(settings: Any) -> str:
    """The ``dedup`` field of ``warcinfo``: back end and the revisit kinds written."""
    if not settings.getbool("DEDUP_ENABLED"):
        return "off"
    conditional = settings.getbool("DEDUP_CONDITIONAL_REQUESTS")
    backend = settings["DEDUP_BACKEND"]
    return f"{backend}; identical-payload-digest" + ("; server-not-modified" if conditional else "")
