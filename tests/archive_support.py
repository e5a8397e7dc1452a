"""Helpers shared by the archive tests: a crawler with the project's settings, WARC checks,
and the header block / body the record tests write."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
import subprocess
import sys
import zlib
from functools import partial
from pathlib import Path
from typing import Any

from fastwarc.warc import ArchiveIterator as FastIterator
from scrapy.crawler import Crawler
from scrapy.spiders import Spider
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

import settings as project_settings_module
from archive import repair
from archive.cdxj import update_index
from archive.recordbuilder import RawHttpHeaders, build_response, http_headers
from archive.warcwriter import WarcFileWriter
from vnnews.paths import ArchivePaths

WARCIO = Path(sys.executable).parent / "warcio"
DATE = "2026-05-01T03:04:05.123456Z"
RESP_ID = "<urn:uuid:00000000-0000-4000-8000-000000000001>"
REQ_ID = "<urn:uuid:00000000-0000-4000-8000-000000000002>"
URL = "https://nhandan.vn/thoi-su/bai-viet-123.html?page=2"
NAME_RE = re.compile(r"^test-\d{17}-\d{5}-[^/]+-\d+\.warc\.gz$")
BODY = gzip.compress("<html><p>Tin tức Đà Nẵng</p></html>".encode(), mtime=0)
# the reactor is the test run's own; everything else is settings.py as a crawl sees it
_NOT_FOR_TESTS = {"TWISTED_REACTOR"}


def project_settings(**overrides: Any) -> dict[str, Any]:
    """settings.py as a dict (every default the project declares), with ``overrides``."""
    declared = {
        name: getattr(project_settings_module, name)
        for name in dir(project_settings_module)
        if name.isupper() and name not in _NOT_FOR_TESTS
    }
    return {**declared, **overrides}


def project_crawler(spidercls: type[Spider] | None = None, **overrides: Any) -> Crawler:
    """A crawler built as ``scrapy crawl`` builds it (extensions included), not crawling."""
    return get_crawler(spidercls, settings_dict=project_settings(**overrides))


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


def response_headers(ascii_only: bool = False) -> RawHttpHeaders:
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


def member(path: Path, offset: int, length: int) -> bytes:
    """The decompressed gzip member at ``offset``."""
    with open(path, "rb") as f:
        f.seek(offset)
        return zlib.decompress(f.read(length), zlib.MAX_WBITS | 16)


def unfinished_warc(tmp_path: Path, count: int = 4) -> tuple[Path, list[int]]:
    """An unfinished ``.open`` file holding warcinfo + ``count`` responses."""
    writer = WarcFileWriter(tmp_path / "warc", prefix="test", info={"software": "t"})
    ends = []
    for n in range(count):
        (loc,) = writer.write_records(
            [build_response(f"{URL}&n={n}", response_headers(), BODY, date=DATE)]
        )
        ends.append(loc.offset + loc.length)
    assert writer._file is not None
    writer._file.close()  # simulate a crash: never renamed, and the writer is gone
    (path,) = (tmp_path / "warc").glob("*.open")
    repair.LIVE_FILES.discard(str(path))
    return path, ends


def indexed_writer(archive_dir: Path, *, prefix: str) -> WarcFileWriter:
    """A writer into ``archive_dir/warc`` whose closed files go into the CDXJ index, hooked
    up as ``archive.extension`` does it in a crawl."""
    writer = WarcFileWriter(ArchivePaths.of(archive_dir).warc_dir, prefix=prefix)
    writer.on_close.append(partial(update_index, archive_dir))
    return writer
