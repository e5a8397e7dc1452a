"""archive.writer: byte-exact records, round trips, rotation, close hooks, crash repair."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import io
import os
import re
import signal
import socket
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

from fastwarc.warc import ArchiveIterator as FastIterator
from scrapy.statscollectors import MemoryStatsCollector
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from archive import writer as writer_module
from archive.writer import (
    PROFILE_IDENTICAL,
    PROFILE_NOT_MODIFIED,
    WarcFileWriter,
    build_request,
    build_response,
    build_revisit,
    http_headers,
    read_http_record,
    repair_open_files,
    valid_prefix,
)

WARCIO = Path(sys.executable).parent / "warcio"
DATE = "2026-05-01T03:04:05.123456Z"
RESP_ID = "<urn:uuid:00000000-0000-4000-8000-000000000001>"
REQ_ID = "<urn:uuid:00000000-0000-4000-8000-000000000002>"
URL = "https://nhandan.vn/thoi-su/bai-viet-123.html?page=2"
NAME_RE = re.compile(r"^test-\d{17}-\d{5}-[^/]+-\d+\.warc\.gz$")


class Stats(MemoryStatsCollector):
    def __init__(self) -> None:
        self._stats: dict[str, Any] = {}


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def assert_valid_warc(path: Path) -> int:
    """warcio check passes and fastwarc reads every record with good digests."""
    done = subprocess.run([str(WARCIO), "check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    count = 0
    with open(path, "rb") as stream:
        for record in FastIterator(stream, parse_http=False):
            assert record.verify_block_digest(), f"block digest of record {count} in {path}"
            count += 1
    with open(path, "rb") as stream:
        for record in FastIterator(stream, parse_http=True):
            if record.headers.get("WARC-Type") in ("response", "request"):
                assert record.verify_payload_digest(), f"payload digest in {path}"
    return count


def response_headers(ascii_only: bool = False) -> Any:
    cookie = b"b=2" if ascii_only else b"b=\xc4\x91"  # raw UTF-8 bytes in a header value
    return http_headers(
        ("HTTP/1.1", "200", "Okay Then"),  # a non-standard phrase must survive
        [
            (b"Content-Type", b"text/html; charset=utf-8"),
            (b"Content-Encoding", b"gzip"),
            (b"Set-Cookie", b"a=1"),
            (b"Set-Cookie", cookie),
            (b"X-Archive-Orig-Transfer-Encoding", b"chunked"),
        ],
        request=False,
    )


BODY = gzip.compress("<html><p>Tin tức Đà Nẵng</p></html>".encode(), mtime=0)


def make_writer(tmp_path: Path, **kw: Any) -> WarcFileWriter:
    return WarcFileWriter(tmp_path / "warc", prefix="test", info={"software": "t"}, **kw)


def member(path: Path, offset: int, length: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return zlib.decompress(f.read(length), zlib.MAX_WBITS | 16)


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


def test_warcinfo_first_and_names(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    writer.write_metadata(RESP_ID, URL, b'{"title": "Tin"}')
    path = writer.close()
    assert path is not None and not list((tmp_path / "warc").glob("*.open"))
    with open(path, "rb") as stream:
        records = [
            (r.rec_type, r.rec_headers, r.content_stream().read()) for r in ArchiveIterator(stream)
        ]
    assert [r[0] for r in records] == ["warcinfo", "metadata"]
    assert records[0][1].get_header("WARC-Filename") == path.name
    assert b"software: t\r\n" in records[0][2]
    meta_headers = records[1][1]
    assert meta_headers.get_header("WARC-Refers-To") == RESP_ID
    assert meta_headers.get_header("WARC-Concurrent-To") == RESP_ID
    assert meta_headers.get_header("Content-Type") == "application/json"
    assert records[1][2] == b'{"title": "Tin"}'
    assert_valid_warc(path)


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


def test_rotation_and_close_hooks(tmp_path: Path) -> None:
    stats = Stats()
    writer = make_writer(tmp_path, max_size=2000, stats=stats)
    closed: list[Path] = []
    writer.on_close.append(closed.append)
    writer.on_close.append(lambda p: 1 / 0)  # a failing hook is counted, not fatal
    body = os.urandom(1500)  # incompressible
    for n in range(5):
        writer.write_records([build_response(f"{URL}&n={n}", response_headers(), body, date=DATE)])
    writer.close()
    files = sorted((tmp_path / "warc").glob("*.warc.gz"))
    assert len(files) == 5 and closed == writer.closed_files and sorted(closed) == files
    assert [int(p.name.split("-")[2]) for p in closed] == [0, 1, 2, 3, 4]
    for path in files:
        assert NAME_RE.match(path.name)
        assert assert_valid_warc(path) == 2
    assert stats.get_value("archive/files") == 5
    assert stats.get_value("archive/records") == 10
    assert stats.get_value("archive/bytes") == sum(p.stat().st_size for p in files)
    assert stats.get_value("archive/close_hook_errors") == 5


def test_read_http_record_from_open_and_closed_file(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    (loc,) = writer.write_records([build_response(URL, response_headers(), BODY, date=DATE)])
    status, headers, body = read_http_record(writer.warc_dir, loc.filename, loc.offset)
    assert (status, body) == (200, BODY)  # still content-encoded
    assert ("Content-Encoding", "gzip") in headers
    assert all(name != "X-Archive-Orig-Transfer-Encoding" for name, _ in headers)
    writer.close()
    assert read_http_record(writer.warc_dir, loc.filename, loc.offset)[2] == BODY


# -- crash repair ----------------------------------------------------------------------


def _written(tmp_path: Path, count: int = 4) -> tuple[Path, list[int]]:
    """An unfinished ``.open`` file holding warcinfo + ``count`` responses."""
    writer = make_writer(tmp_path)
    ends = []
    for n in range(count):
        (loc,) = writer.write_records(
            [build_response(f"{URL}&n={n}", response_headers(), BODY, date=DATE)]
        )
        ends.append(loc.offset + loc.length)
    assert writer._file is not None
    writer._file.close()  # simulate a crash: never renamed, and the writer is gone
    (path,) = (tmp_path / "warc").glob("*.open")
    writer_module._LIVE_FILES.discard(str(path))
    return path, ends


def test_repair_truncated_file(tmp_path: Path) -> None:
    path, ends = _written(tmp_path)
    with open(path, "r+b") as f:
        f.truncate(ends[-1] - 30)  # cut inside the last gzip member
    stats = Stats()
    (final,) = repair_open_files(path.parent, stats=stats)
    assert final.name == path.name.removesuffix(".open") and not path.exists()
    assert final.stat().st_size == ends[-2]
    assert assert_valid_warc(final) == 4  # warcinfo + 3 complete responses
    assert stats.get_value("archive/repaired_files") == 1
    assert stats.get_value("archive/repaired_bytes_dropped") == ends[-1] - 30 - ends[-2]


def test_repair_bad_gzip_member(tmp_path: Path) -> None:
    path, ends = _written(tmp_path)
    data = bytearray(path.read_bytes())
    middle = (ends[1] + ends[2]) // 2  # corrupt the third response's member
    data[middle : middle + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    (final,) = repair_open_files(path.parent)
    assert final.stat().st_size == ends[1]
    assert assert_valid_warc(final) == 3


def test_repair_member_with_partial_record(tmp_path: Path) -> None:
    """A complete gzip member whose WARC record is cut short is dropped too."""
    path, ends = _written(tmp_path, count=1)
    record = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 100\r\n\r\nshort"
    with open(path, "ab") as f:
        f.write(gzip.compress(record))
    assert valid_prefix(path) == (ends[-1], 2)
    (final,) = repair_open_files(path.parent)
    assert assert_valid_warc(final) == 2


def test_repair_removes_file_without_records(tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    junk = warc_dir / "test-20260501000000000-00000-nohost-1.warc.gz.open"
    junk.write_bytes(b"\x1f\x8b\x08\x00garbage")
    assert repair_open_files(warc_dir) == []
    assert list(warc_dir.iterdir()) == []


def test_repair_leaves_live_writers_alone(tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        host = socket.gethostname().split(".")[0]
        live = warc_dir / f"test-20260501000000000-00000-{host}-{sleeper.pid}.warc.gz.open"
        live.write_bytes(b"partial")
        assert repair_open_files(warc_dir) == []
        assert live.exists()
    finally:
        os.kill(sleeper.pid, signal.SIGTERM)
        sleeper.wait()
    assert repair_open_files(warc_dir) == []  # now dead: repaired (nothing valid: removed)
    assert not live.exists()


def test_writer_repairs_on_start(tmp_path: Path) -> None:
    path, _ = _written(tmp_path, count=2)
    writer = make_writer(tmp_path)
    closed: list[Path] = []
    writer.on_close.append(closed.append)
    (final,) = writer.repair()
    assert closed == [final] and not path.exists()


def test_repair_handles_files_of_other_tools(tmp_path: Path) -> None:
    """warcio's example (WARC/1.0, 6 records, one gzip member each), then cut short."""
    source = Path(__file__).parent / "data" / "warc" / "webrecorder__warcio" / "example.warc.gz"
    data = source.read_bytes()
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    whole = warc_dir / "other-20260501000000000-00000-nohost-1.warc.gz.open"
    whole.write_bytes(data)
    assert valid_prefix(whole) == (len(data), 6)
    cut = warc_dir / "other-20260501000000000-00001-nohost-1.warc.gz.open"
    cut.write_bytes(data[: len(data) - 100])
    end, count = valid_prefix(cut)
    assert count == 5 and 0 < end < len(data) - 100
    repaired = repair_open_files(warc_dir)
    assert [p.name for p in repaired] == [whole.name[:-5], cut.name[:-5]]
    assert repaired[0].read_bytes() == data  # a complete file is left byte for byte
    check = subprocess.run([str(WARCIO), "check", str(repaired[1])], capture_output=True)
    assert check.returncode == 0  # (its warcinfo has no digest, so no fastwarc check here)
    with open(repaired[1], "rb") as stream:
        assert len(list(ArchiveIterator(stream))) == 5


def test_write_metadata_async(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    loc = asyncio.run(writer.write_metadata_async(RESP_ID, URL, b"{}"))
    path = writer.close()
    assert path is not None and loc.filename == path.name
    assert b"WARC-Type: metadata\r\n" in member(path, loc.offset, loc.length)


def test_two_writers_in_one_process(tmp_path: Path) -> None:
    """A second writer on the same directory leaves the first one's open file alone."""
    first = make_writer(tmp_path)
    (loc1,) = first.write_records([build_response(URL, response_headers(), BODY, date=DATE)])
    second = make_writer(tmp_path)
    assert second.repair() == []
    (loc2,) = second.write_records([build_response(URL, response_headers(), BODY, date=DATE)])
    assert loc1.filename != loc2.filename
    assert first.close() is not None and second.close() is not None
    assert len(list((tmp_path / "warc").glob("*.warc.gz"))) == 2


def test_stale_file_with_our_pid_is_repaired(tmp_path: Path) -> None:
    """PIDs are reused (containers): a file named with our PID that no writer holds is stale."""
    host = socket.gethostname().split(".")[0]
    path, _ = _written(tmp_path, count=1)
    stale = path.with_name(f"test-20260501000000000-00000-{host}-{os.getpid()}.warc.gz.open")
    path.rename(stale)
    (final,) = repair_open_files(stale.parent)
    assert final.name == stale.name.removesuffix(".open")
