"""archive.reader on WARC/ARC files written by other tools, and on broken ones."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import zlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import brotli
import pytest
from fastwarc.warc import ArchiveIterator as FastIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import recordbuilder as rb
from archive.reader import (
    iter_records,
    parse_warc_date,
    read_http_record,
    read_record_at,
    sha1_base32,
)
from archive.warcwriter import WarcFileWriter
from tests.archive_support import BODY, DATE, URL, response_headers

DATA = Path(__file__).parent / "data" / "warc"
WARCIO = Path(sys.executable).parent / "warcio"


def assert_valid_warc(path: Path) -> None:
    """``warcio check`` (digests) and FastWARC (parse + digests) accept the file."""
    done = subprocess.run(
        [str(WARCIO), "check", "-v", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "digest pass" in done.stdout and "fail" not in done.stdout, done.stdout
    count = 0
    with path.open("rb") as fh:
        for rec in FastIterator(fh, parse_http=False):
            assert rec.verify_block_digest(), (path, rec.record_id)
            count += 1
    assert count > 0


# Record types per file, from the corpus MANIFEST notes (ARC header -> warcinfo).
EXPECTED = {
    "webrecorder__warcio/example.warc": {"warcinfo": 2, "request": 2, "response": 1, "revisit": 1},
    "webrecorder__warcio/example.warc.gz": {
        "warcinfo": 2,
        "request": 2,
        "response": 1,
        "revisit": 1,
    },
    "webrecorder__warcio/example-iana.org-chunked.warc": {
        "warcinfo": 1,
        "request": 1,
        "response": 1,
    },
    "webrecorder__warcio/example-resource.warc.gz": {"warcinfo": 2, "resource": 1},
    "webrecorder__warcio/post-test.warc.gz": {"request": 3, "response": 3},
    "webrecorder__warcio/example-digest.warc": {"request": 4},
    "webrecorder__warcio/example-trunc.warc": {"warcinfo": 2, "response": 1, "request": 1},
    "webrecorder__warcio/example.arc.gz": {"warcinfo": 1, "response": 1},
    "webrecorder__pywb/dupes.warc.gz": {"warcinfo": 1, "request": 12, "response": 3, "revisit": 9},
    "webrecorder__pywb/example-url-agnostic-orig.warc.gz": {"warcinfo": 1, "response": 1},
    "webrecorder__pywb/example-url-agnostic-revisit.warc.gz": {"warcinfo": 1, "revisit": 1},
    "webrecorder__pywb/example-wget-1-14.warc.gz": {
        "warcinfo": 1,
        "request": 1,
        "response": 1,
        "resource": 3,
    },
    "webrecorder__pywb/example-wpull.warc.gz": {
        "warcinfo": 1,
        "request": 1,
        "response": 1,
        "resource": 1,
    },
    "webrecorder__pywb/example-extra.warc": {"request": 2, "response": 2, "revisit": 2},
    "webrecorder__pywb/iana.warc.gz": {
        "warcinfo": 1,
        "request": 171,
        "response": 48,
        "revisit": 123,
    },
    "webrecorder__cdxj-indexer/cc.warc.gz": {"request": 1, "response": 1, "metadata": 1},
    "webrecorder__cdxj-indexer/post-test-more.warc": {"request": 3, "response": 3},
    "chatnoir-eu__chatnoir-resiliparse/warcfile.warc.gz": {
        "warcinfo": 1,
        "request": 17,
        "response": 16,
        "metadata": 16,
    },
    "chatnoir-eu__chatnoir-resiliparse/clueweb-quirk.warc.gz": {"warcinfo": 1, "response": 29},
    "chatnoir-eu__chatnoir-resiliparse/clipped.warc.gz": {"response": 1},
    "iipc__jwarc/cc.warc.gz": {"response": 1},
    "iipc__jwarc/gzip_extra_sl.warc.gz": {"warcinfo": 1},
}


def test_every_corpus_file_is_listed() -> None:
    found = {p.relative_to(DATA).as_posix() for p in DATA.glob("*/*") if p.name != "LICENSE"}
    assert found == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_record_counts(name: str) -> None:
    stats: Counter[str] = Counter()
    types = Counter(r.rec_type for r in iter_records(DATA / name, stats))
    assert dict(types) == EXPECTED[name]
    assert stats["reader/records"] == sum(EXPECTED[name].values())
    assert stats["reader/broken_records"] == 0
    assert stats["reader/broken_files"] == 0


@pytest.mark.parametrize(
    "name",
    [n for n in sorted(EXPECTED) if n.endswith(".warc.gz") and "clipped" not in n],
)
def test_offsets_agree_with_fastwarc(name: str) -> None:
    """Offsets of gzip-per-record files, checked against an independent reader."""
    ours = [(r.offset, r.record_id) for r in iter_records(DATA / name)]
    with (DATA / name).open("rb") as fh:
        theirs = [
            (rec.stream_pos, rec.record_id)
            for rec in FastIterator(fh, parse_http=False)
            if rec.headers.get("WARC-Type") != "arc_header"
        ]
    assert ours == theirs


def test_offsets_point_at_records() -> None:
    path = DATA / "webrecorder__pywb/dupes.warc.gz"
    records = list(iter_records(path))
    for rec in records:
        again = read_record_at(path, rec.offset)
        assert again is not None
        assert (again.record_id, again.length, again.raw_payload) == (
            rec.record_id,
            rec.length,
            rec.raw_payload,
        )
    ends = [r.offset + r.length for r in records]
    assert ends[-1] == path.stat().st_size
    assert [r.offset for r in records[1:]] == ends[:-1]


def test_chunked_payload_is_decoded() -> None:
    (rec,) = [
        r
        for r in iter_records(DATA / "webrecorder__warcio/example-iana.org-chunked.warc")
        if r.rec_type == "response"
    ]
    assert rec.http_header("Transfer-Encoding") == "chunked"
    body = rec.payload()
    assert body.startswith(b"<!doctype html>")
    assert body.rstrip().endswith(b"</html>")
    assert len(body) < len(rec.raw_payload)


def test_clipped_record_is_flagged_and_still_readable() -> None:
    stats: Counter[str] = Counter()
    (rec,) = iter_records(DATA / "chatnoir-eu__chatnoir-resiliparse/clipped.warc.gz", stats)
    assert rec.truncated
    assert stats["reader/truncated"] == 1
    assert rec.http_status == 200
    assert len(rec.payload()) > 1000


def test_truncated_warc_counts_malformed_record() -> None:
    stats: Counter[str] = Counter()
    list(iter_records(DATA / "webrecorder__warcio/example-trunc.warc", stats))
    assert stats["reader/malformed"] == 1


def test_arc_file_reads_as_warc_terms() -> None:
    recs = list(iter_records(DATA / "webrecorder__warcio/example.arc.gz"))
    again = list(iter_records(DATA / "webrecorder__warcio/example.arc.gz"))
    assert [r.record_id for r in recs] == [r.record_id for r in again]  # stable ids
    response = recs[-1]
    assert response.url == "http://example.com/"
    assert response.http_status == 200
    assert response.payload().lstrip().lower().startswith(b"<!doctype html>")


def test_warc_0_18_quirky_date() -> None:
    recs = list(iter_records(DATA / "chatnoir-eu__chatnoir-resiliparse/clueweb-quirk.warc.gz"))
    assert recs[1].date == "2008-10-294T05:21:46-0700"
    fetched = recs[1].fetched_at
    assert fetched is not None and fetched.isoformat() == "2008-10-29T12:21:46+00:00"
    # stored decoded although the header says gzip: returned as is
    assert recs[1].http_header("Content-Encoding") == "gzip"
    assert recs[1].payload().startswith(b"<html>")


def test_parse_warc_date_forms() -> None:
    assert str(parse_warc_date("2026-11-26T15:13:22Z")) == "2026-11-26 15:13:22+00:00"
    assert str(parse_warc_date("2026-11-26T15:13:22.123456Z")) == (
        "2026-11-26 15:13:22.123456+00:00"
    )
    assert str(parse_warc_date("2026-11-26T22:13:22+07:00")) == "2026-11-26 15:13:22+00:00"
    assert parse_warc_date("yesterday") is None


# --- broken files, made from the copies ------------------------------------------------


def _copy(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_whole_file_gzip(tmp_path: Path) -> None:
    plain = (DATA / "webrecorder__warcio/example.warc").read_bytes()
    path = _copy(tmp_path, "whole.warc.gz", gzip.compress(plain))
    stats: Counter[str] = Counter()
    recs = list(iter_records(path, stats))
    assert [r.rec_type for r in recs] == [r.rec_type for r in iter_records(plain_path(tmp_path))]
    assert stats["reader/whole_gzip_files"] == 1
    assert not any(r.seekable for r in recs)
    response = next(r for r in recs if r.rec_type == "response")
    assert plain[response.offset : response.offset + 8] == b"WARC/1.0"


def plain_path(tmp_path: Path) -> Path:
    return _copy(tmp_path, "plain.warc", (DATA / "webrecorder__warcio/example.warc").read_bytes())


def test_corrupt_gzip_member_is_skipped(tmp_path: Path) -> None:
    data = bytearray((DATA / "webrecorder__warcio/example.warc.gz").read_bytes())
    good = list(iter_records(DATA / "webrecorder__warcio/example.warc.gz"))
    response = next(r for r in good if r.rec_type == "response")
    for i in range(response.offset + 100, response.offset + 140):
        data[i] ^= 0x5A
    path = _copy(tmp_path, "corrupt.warc.gz", bytes(data))
    stats: Counter[str] = Counter()
    recs = list(iter_records(path, stats))
    assert stats["reader/broken_records"] == 1
    assert [r.record_id for r in recs] == [r.record_id for r in good if r is not response]


def test_bad_record_header_resyncs(tmp_path: Path) -> None:
    data = (DATA / "webrecorder__warcio/example.warc").read_bytes()
    second = data.index(b"WARC/1.0", 10)
    path = _copy(tmp_path, "bad.warc", data[:second] + b"XXXX" + data[second + 4 :])
    stats: Counter[str] = Counter()
    recs = list(iter_records(path, stats))
    assert stats["reader/broken_records"] == 1
    assert len(recs) == 5


def test_cut_file(tmp_path: Path) -> None:
    data = (DATA / "webrecorder__warcio/example.warc.gz").read_bytes()
    good = list(iter_records(DATA / "webrecorder__warcio/example.warc.gz"))
    response = next(r for r in good if r.rec_type == "response")
    path = _copy(tmp_path, "cut.warc.gz", data[: response.offset + response.length // 2])
    stats: Counter[str] = Counter()
    recs = list(iter_records(path, stats))
    assert [r.rec_type for r in recs] == ["warcinfo", "warcinfo", "response"]
    assert recs[-1].truncated
    assert stats["reader/truncated"] == 1


def test_not_a_warc_and_missing_file(tmp_path: Path) -> None:
    stats: Counter[str] = Counter()
    assert (
        list(iter_records(_copy(tmp_path, "x.warc.gz", b"<html>hello</html>\n" * 5), stats)) == []
    )
    assert list(iter_records(tmp_path / "missing.warc.gz", stats)) == []
    assert list(iter_records(_copy(tmp_path, "empty.warc", b""), stats)) == []
    assert stats["reader/broken_files"] == 2


# --- payload decoding -------------------------------------------------------------------

HTML = "<html><body><p>Tin tức Đà Nẵng — Nhân Dân</p></body></html>".encode()


def _warc_with(body: bytes, headers: list[tuple[str, str]]) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
    http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    rec = writer.create_warc_record(
        "https://nhandan.vn/a.html",
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http,
    )
    writer.write_record(rec)
    return out.getvalue()


def _chunk(data: bytes, size: int = 7) -> bytes:
    parts = [
        b"%x\r\n%s\r\n" % (len(data[i : i + size]), data[i : i + size])
        for i in range(0, len(data), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b, wbits=-15)),
        ("br", brotli.compress),
        ("", lambda b: b),
    ],
)
@pytest.mark.parametrize("chunked", [False, True])
def test_content_and_transfer_encoding(
    tmp_path: Path, encoding: str, encode: object, chunked: bool
) -> None:
    assert callable(encode)
    body = encode(HTML)
    headers = [("Content-Type", "text/html; charset=utf-8")]
    if encoding:
        headers.append(("Content-Encoding", encoding))
    if chunked:
        headers.append(("Transfer-Encoding", "chunked"))
        body = _chunk(body)
    path = _copy(tmp_path, "enc.warc.gz", _warc_with(body, headers))
    (rec,) = iter_records(path)
    assert rec.raw_payload == body  # raw bytes as stored
    assert rec.payload() == HTML


def test_our_writer_output_passes_warcio_check_and_fastwarc(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path / "warc", prefix="chk")
    html = rb.http_headers(
        ("HTTP/1.1", "200", "OK"), [(b"Content-Type", b"text/html; charset=utf-8")], request=False
    )
    req = rb.http_headers(("GET", "/a.html", "HTTP/1.1"), [(b"Host", b"nhandan.vn")], request=True)
    date = rb.warc_date(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    resp = rb.build_response("https://nhandan.vn/a.html", html, HTML, date=date)
    request = rb.build_request(
        "https://nhandan.vn/a.html",
        req,
        b"",
        date=date,
        concurrent_to=resp.rec_headers.get_header("WARC-Record-ID"),
    )
    (loc, _) = writer.write_records([resp, request])
    assert loc.payload_digest
    revisit = rb.build_revisit(
        "https://nhandan.vn/amp/a.html",
        html,
        profile=rb.PROFILE_IDENTICAL,
        payload_digest=loc.payload_digest,
        refers_to={
            "uri": "https://nhandan.vn/a.html",
            "date": loc.date,
            "record_id": loc.record_id,
        },
        date=date,
    )
    writer.write_records([revisit])
    writer.write_metadata(loc.record_id, "https://nhandan.vn/a.html", b'{"title": "x"}')
    path = writer.close()
    assert path is not None
    assert_valid_warc(path)
    types = [r.rec_type for r in iter_records(path)]
    assert types == ["warcinfo", "response", "request", "revisit", "metadata"]


def test_oversized_payload_is_not_kept(tmp_path: Path) -> None:
    path = _copy(tmp_path, "big.warc.gz", _warc_with(HTML * 100, [("Content-Type", "text/html")]))
    stats: Counter[str] = Counter()
    (rec,) = iter_records(path, stats, max_payload=1000)
    assert rec.oversized and rec.raw_payload == b"" and stats["reader/oversized"] == 1
    (full,) = iter_records(path)
    assert full.payload() == HTML * 100 and (full.offset, full.length) == (rec.offset, rec.length)


def test_hex_sha1_digest_in_location() -> None:
    assert sha1_base32("sha1:b1f949b4920c773fd9c863479ae9a788b948c7ad") == (
        "sha1:WH4UTNESBR3T7WOIMNDZV2NHRC4URR5N"
    )
    assert sha1_base32("sha1:G7HRM7BGOKSKMSXZAHMUQTTV53QOFSMK") == (
        "sha1:G7HRM7BGOKSKMSXZAHMUQTTV53QOFSMK"
    )
    assert sha1_base32(None) is None


# --- read-back of one record our writer wrote --------------------------------------------


def test_read_http_record_from_open_and_closed_file(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path / "warc", prefix="test")
    (loc,) = writer.write_records([rb.build_response(URL, response_headers(), BODY, date=DATE)])
    status, headers, body = read_http_record(writer.warc_dir, loc.filename, loc.offset)
    assert (status, body) == (200, BODY)  # still content-encoded
    assert ("Content-Encoding", "gzip") in headers
    assert all(name != "X-Archive-Orig-Transfer-Encoding" for name, _ in headers)
    writer.close()
    assert read_http_record(writer.warc_dir, loc.filename, loc.offset)[2] == BODY


def test_read_http_record_refuses_other_records(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path / "warc", prefix="test")
    loc = writer.write_metadata("<urn:uuid:x>", URL, b"{}")
    with pytest.raises(ValueError, match="metadata record"):
        read_http_record(writer.warc_dir, loc.filename, loc.offset)
    path = writer.close()
    assert path is not None
    with pytest.raises(ValueError, match="no record"):
        read_http_record(writer.warc_dir, loc.filename, path.stat().st_size)
