"""archive.recordbuilder: byte-exact records, round trips through warcio, revisits, metadata,
warcinfo and the crawl's warcinfo fields."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from fastwarc.warc import ArchiveIterator as FastIterator
from scrapy.settings import Settings
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from archive.reader import iter_records
from archive.recordbuilder import (
    CONFORMS_TO,
    HINTS_FIELD,
    PROFILE_IDENTICAL,
    PROFILE_NOT_MODIFIED,
    SOFTWARE,
    WARC_FORMAT,
    build_metadata,
    build_request,
    build_response,
    build_revisit,
    build_warcinfo,
    crawl_info,
    dedup_mode,
    hints_field,
    http_headers,
    payload_digest,
    read_hints,
)
from archive.warcwriter import WarcFileWriter
from tests.archive_support import (
    BODY,
    DATE,
    NAME_RE,
    REQ_ID,
    RESP_ID,
    URL,
    assert_valid_warc,
    member,
    project_settings,
    response_headers,
    sha1_b32,
)


def make_writer(tmp_path: Path) -> WarcFileWriter:
    return WarcFileWriter(tmp_path / "warc", prefix="test", info={"software": "t"})


def serialised(record: object) -> bytes:
    out = io.BytesIO()
    WARCWriter(out, gzip=False, warc_version="1.1").write_record(record)
    return out.getvalue()


def test_response_record_bytes(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    record = build_response(
        URL,
        response_headers(),
        BODY,
        date=DATE,
        record_id=RESP_ID,
        concurrent_to=REQ_ID,
        ip_address="127.0.0.1",
    )
    (loc,) = writer.write_records([record])
    path = writer.close()
    assert path is not None
    http = (
        b"HTTP/1.1 200 Okay Then\r\n"
        + b"Content-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n"
        + b"Set-Cookie: a=1\r\nSet-Cookie: b=\xc4\x91\r\n"
        + b"X-Archive-Orig-Transfer-Encoding: chunked\r\n\r\n"
    )
    block = http + BODY
    expected = (
        b"WARC/1.1\r\n"
        b"WARC-Type: response\r\n"
        + f"WARC-Record-ID: {RESP_ID}\r\nWARC-Date: {DATE}\r\nWARC-Target-URI: {URL}\r\n".encode()
        + b"WARC-IP-Address: 127.0.0.1\r\n"
        + f"WARC-Concurrent-To: {REQ_ID}\r\n".encode()
        + f"WARC-Payload-Digest: {sha1_b32(BODY)}\r\n".encode()
        + f"WARC-Block-Digest: {sha1_b32(block)}\r\n".encode()
        + b"Content-Type: application/http; msgtype=response\r\n"
        + f"Content-Length: {len(block)}\r\n\r\n".encode()
        + block
        + b"\r\n\r\n"
    )
    assert member(path, loc.offset, loc.length) == expected
    assert loc.record_id == RESP_ID and loc.payload_digest == sha1_b32(BODY)
    assert loc.filename == path.name and NAME_RE.match(path.name)


def test_round_trip_write_read_rewrite(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    req = build_request(
        URL,
        http_headers(
            ("GET", "/thoi-su/bai-viet-123.html?page=2", "HTTP/1.1"),
            [(b"Host", b"nhandan.vn")],
            request=True,
        ),
        b"",
        date=DATE,
        record_id=REQ_ID,
        concurrent_to=RESP_ID,
    )
    # warcio re-serialises parsed headers, percent-encoding non-ASCII: ASCII headers here
    resp = build_response(URL, response_headers(True), BODY, date=DATE, record_id=RESP_ID)
    writer.write_records([req, resp])
    path = writer.close()
    assert path is not None
    original = path.read_bytes()
    out = io.BytesIO()
    rewriter = WARCWriter(out, gzip=True, warc_version="1.1")
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            rewriter.write_record(record)
    assert _all_members(out.getvalue()) == _all_members(original)
    assert assert_valid_warc(path) == 3


def _all_members(data: bytes) -> bytes:
    out, rest = b"", data
    while rest:
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        out += d.decompress(rest)
        rest = d.unused_data
    return out


HINTS = {
    "sitemap_published": "2025-03-04T08:15:00+07:00",
    "sitemap_lastmod": "2025-03-05T10:20:00+07:00",
    "sitemap_title": 'Gi\u00e1 c\u00e0 ph\u00ea "xu\u1ea5t" kh\u1ea9u: t\u0103ng',
}


def _request(hints: dict[str, str] | None) -> object:
    headers = http_headers(("GET", "/a.html", "HTTP/1.1"), [(b"Host", b"x.vn")], request=True)
    return build_request(
        URL, headers, b"", date=DATE, record_id=REQ_ID, concurrent_to=RESP_ID, hints=hints
    )


def test_request_record_carries_the_discovery_hints(tmp_path: Path) -> None:
    plain, hinted = serialised(_request(None)), serialised(_request(HINTS))
    assert HINTS_FIELD.encode() not in plain
    head, _, block = hinted.partition(b"\r\n\r\n")
    line = next(x for x in head.split(b"\r\n") if x.startswith(HINTS_FIELD.encode() + b": "))
    assert line.isascii()  # one line of ASCII JSON, whatever the titles hold
    assert read_hints(line.decode().partition(": ")[2]) == HINTS
    # the block (request line, headers) is what was sent: same bytes, same digest
    assert block == plain.partition(b"\r\n\r\n")[2]
    digest = b"WARC-Block-Digest: " + sha1_b32(block.removesuffix(b"\r\n\r\n")).encode()
    assert digest in head
    writer = make_writer(tmp_path)
    response = build_response(
        URL, response_headers(), BODY, date=DATE, record_id=RESP_ID, concurrent_to=REQ_ID
    )
    writer.write_records([_request(HINTS), response])
    path = writer.close()
    assert path is not None
    assert assert_valid_warc(path) == 3  # warcio check, FastWARC digests
    with path.open("rb") as stream:  # warcio, FastWARC and our reader see the same value
        (by_warcio,) = [r for r in ArchiveIterator(stream) if r.rec_type == "request"]
        value = by_warcio.rec_headers.get_header(HINTS_FIELD)
    with path.open("rb") as stream:
        fast = [r for r in FastIterator(stream) if r.headers.get("WARC-Type") == "request"]
        assert fast[0].headers.get(HINTS_FIELD) == value
    (ours,) = [r for r in iter_records(path) if r.rec_type == "request"]
    assert ours.header(HINTS_FIELD) == value and read_hints(value) == HINTS


def test_hints_field_values() -> None:
    assert hints_field(None) is None and hints_field({}) is None
    assert hints_field({"feed_title": ""}) is None
    assert hints_field({"b": "2", "a": "1"}) == '{"a":"1","b":"2"}'  # keys sorted, compact
    # a runaway value (a huge title in a sitemap) is left out, the dates stay
    assert hints_field({"sitemap_title": "x" * 5000, "sitemap_lastmod": "2025"}) == (
        '{"sitemap_lastmod":"2025"}'
    )
    assert read_hints(None) is None and read_hints("not json") is None
    assert read_hints("[1]") is None and read_hints('{"a": 1}') is None
    assert read_hints('{"a": "1", "b": 2}') == {"a": "1"}


def test_revisit_records(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    original = {"uri": URL, "date": DATE, "record_id": RESP_ID}
    for profile in (PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED):
        record = build_revisit(
            URL + "&x=1",
            response_headers(),
            profile=profile,
            payload_digest=sha1_b32(BODY),
            refers_to=original,
            date=DATE,
        )
        writer.write_records([record])
    path = writer.close()
    assert path is not None
    with open(path, "rb") as stream:
        revisits = [r for r in ArchiveIterator(stream) if r.rec_type == "revisit"]
        assert len(revisits) == 2
        for rec, profile in zip(revisits, (PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED), strict=True):
            h = rec.rec_headers
            assert h.get_header("WARC-Profile") == profile
            assert h.get_header("WARC-Refers-To") == RESP_ID
            assert h.get_header("WARC-Refers-To-Target-URI") == URL
            assert h.get_header("WARC-Refers-To-Date") == DATE
            assert h.get_header("WARC-Payload-Digest") == sha1_b32(BODY)
            assert rec.raw_stream.read() == b""  # headers only, no body
    assert_valid_warc(path)


def test_metadata_record() -> None:
    record = build_metadata(URL, b'{"title": "Tin"}', refers_to=RESP_ID, date=DATE)
    raw = serialised(record)
    head, _, block = raw.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[:5] == [
        b"WARC/1.1",
        b"WARC-Type: metadata",
        f"WARC-Record-ID: {record.rec_headers.get_header('WARC-Record-ID')}".encode(),
        f"WARC-Date: {DATE}".encode(),
        f"WARC-Target-URI: {URL}".encode(),
    ]
    assert f"WARC-Refers-To: {RESP_ID}".encode() in head
    assert f"WARC-Concurrent-To: {RESP_ID}".encode() in head
    assert b"Content-Type: application/json" in head
    assert block == b'{"title": "Tin"}\r\n\r\n'


def test_warcinfo_record() -> None:
    record = build_warcinfo("x.warc.gz", {"software": "t", "operator": "Ng\u01b0\u1eddi"})
    raw = serialised(record)
    assert b"WARC-Type: warcinfo\r\n" in raw and b"WARC-Filename: x.warc.gz\r\n" in raw
    assert b"Content-Type: application/warc-fields\r\n" in raw
    assert raw.endswith("software: t\r\noperator: Người\r\n\r\n\r\n".encode())


def test_payload_digest_is_the_records_digest() -> None:
    record = build_response(URL, response_headers(), BODY, date=DATE)
    assert payload_digest(BODY) == sha1_b32(BODY)
    assert record.rec_headers.get_header("WARC-Payload-Digest") == payload_digest(BODY)


def test_request_line_and_status_line() -> None:
    request = http_headers(("GET", "/a?b=1", "HTTP/1.1"), [(b"Host", b"x.vn")], request=True)
    assert request.raw == b"GET /a?b=1 HTTP/1.1\r\nHost: x.vn\r\n\r\n"
    no_phrase = http_headers(("HTTP/1.1", "299", ""), [], request=False)
    assert no_phrase.raw == b"HTTP/1.1 299\r\n\r\n"


def test_crawl_info_from_the_project_settings() -> None:
    settings = Settings(project_settings(WARC_OPERATOR="archive@example.vn"))
    info = crawl_info(settings)
    assert info["software"] == SOFTWARE and info["format"] == WARC_FORMAT
    assert info["conformsTo"] == CONFORMS_TO
    assert info["operator"] == "archive@example.vn"
    assert info["robots"] == "obey" and info["isPartOf"] == "vnnews"
    assert info["dedup"] == "sqlite; identical-payload-digest; server-not-modified"
    assert "profile" not in info  # empty values are left out
    assert "operator" not in crawl_info(Settings(project_settings()))


def test_dedup_mode_names_the_revisit_kinds() -> None:
    assert dedup_mode(Settings(project_settings(DEDUP_ENABLED=False))) == "off"
    plain = Settings(project_settings(DEDUP_CONDITIONAL_REQUESTS=False, DEDUP_BACKEND="redis"))
    assert dedup_mode(plain) == "redis; identical-payload-digest"
