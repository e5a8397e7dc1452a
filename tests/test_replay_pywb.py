"""Round trip through real pywb: our WARCs + our CDXJ index, replayed byte for byte.

pywb runs from its own virtualenv (``.venv-pywb``) as a subprocess bound to 127.0.0.1 on
a free port, configured by ``commands.wayback.write_config`` in ``tmp_path``, and
stopped by PID at the end.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive import recordbuilder as rb
from archive.cdxj import CdxjIndex, update_index
from archive.reader import ArchiveRecord, iter_records
from commands.wayback import write_config
from tests.archive_support import indexed_writer

DATA = Path(__file__).parent / "data" / "warc"
ROOT = Path(__file__).resolve().parent.parent
WAYBACK = ROOT / ".venv-pywb" / "bin" / "wayback"
COLL = "test"

pytestmark = pytest.mark.skipif(not WAYBACK.exists(), reason="pywb venv missing: make venv")

PAGE = "<html><head><title>Bão số 9</title></head><body><p>Tin Đà Nẵng.</p></body></html>"
PAGE_A = "https://nhandan.vn/thoi-su/bao-so-9-post1.html"
PAGE_B = "https://nhandan.vn/amp/bao-so-9-post1.html"  # same payload, other URL
PAGE_GZ = "https://nhandan.vn/the-gioi/gzip-post2.html"


@dataclass
class Pywb:
    base: str
    archive: Path

    def get(self, timestamp: str, url: str, headers: dict[str, str] | None = None) -> bytes:
        req = urllib.request.Request(
            f"{self.base}/{COLL}/{timestamp}id_/{url}", headers=headers or {}
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            return bytes(r.read())


def _headers(pairs: list[tuple[bytes, bytes]]) -> rb.RawHttpHeaders:
    return rb.http_headers(("HTTP/1.1", "200", "OK"), pairs, request=False)


def _date(minute: int) -> str:
    return rb.warc_date(datetime(2026, 11, 26, 15, minute, 0, 123456, tzinfo=UTC))


def _write_our_archive(archive: Path) -> None:
    """Captures written with our writer: a page, a gzip page, and two revisits."""
    writer = indexed_writer(archive, prefix="test")
    html = [(b"Content-Type", b"text/html; charset=utf-8")]
    body = PAGE.encode()
    (orig,) = writer.write_records([rb.build_response(PAGE_A, _headers(html), body, date=_date(0))])
    gz_body = gzip.compress(body, mtime=0)
    writer.write_records(
        [
            rb.build_response(
                PAGE_GZ, _headers([*html, (b"Content-Encoding", b"gzip")]), gz_body, date=_date(1)
            )
        ]
    )
    refers = {"uri": PAGE_A, "date": orig.date, "record_id": orig.record_id}
    assert orig.payload_digest is not None
    for url, minute in ((PAGE_A, 2), (PAGE_B, 3)):
        writer.write_records(
            [
                rb.build_revisit(
                    url,
                    _headers(html),
                    profile=rb.PROFILE_IDENTICAL,
                    payload_digest=orig.payload_digest,
                    refers_to=refers,
                    date=_date(minute),
                )
            ]
        )
    assert writer.close() is not None  # the close hook updates index/index.cdxj


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(proc: subprocess.Popen[bytes], base: str) -> None:
    for _ in range(240):  # bounded: about a minute
        if proc.poll() is not None:
            raise RuntimeError(f"pywb exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    raise RuntimeError("pywb did not start")


@pytest.fixture(scope="module")
def pywb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pywb]:
    root = tmp_path_factory.mktemp("replay")
    archive = root / "archive"
    _write_our_archive(archive)
    for name in ("dupes.warc.gz", "iana.warc.gz", "example-url-agnostic-orig.warc.gz"):
        shutil.copy(DATA / "webrecorder__pywb" / name, archive / "warc" / name)
    shutil.copy(
        DATA / "webrecorder__pywb/example-url-agnostic-revisit.warc.gz",
        archive / "warc" / "other-tool-revisit.warc.gz",
    )
    for path in sorted((archive / "warc").glob("*.warc.gz")):
        if not path.name.startswith("test-"):
            update_index(archive, path)
    conf = write_config(archive, root / "pywb", COLL).parent
    port = _free_port()
    log = (root / "pywb.log").open("wb")
    proc = subprocess.Popen(
        [str(WAYBACK), "-b", "127.0.0.1", "-p", str(port), "-d", str(conf)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, base)
        yield Pywb(base, archive)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()


def _records(archive: Path, prefix: str) -> list[ArchiveRecord]:
    out: list[ArchiveRecord] = []
    for path in sorted((archive / "warc").glob(prefix + "*.warc.gz")):
        out.extend(iter_records(path))
    return out


def _ts(record: ArchiveRecord) -> str:
    return datetime.fromisoformat(record.date.replace("Z", "+00:00")).strftime("%Y%m%d%H%M%S")


def test_our_response_replays_byte_identical(pywb: Pywb) -> None:
    (page,) = [
        r for r in _records(pywb.archive, "test-") if r.rec_type == "response" and r.url == PAGE_A
    ]
    assert pywb.get(_ts(page), PAGE_A) == page.raw_payload == PAGE.encode()


def test_content_encoded_response_replays_as_stored(pywb: Pywb) -> None:
    (page,) = [r for r in _records(pywb.archive, "test-") if r.url == PAGE_GZ]
    got = pywb.get(_ts(page), PAGE_GZ, {"Accept-Encoding": "gzip"})
    assert got == page.raw_payload
    assert gzip.decompress(got) == PAGE.encode()
    # a client that does not accept gzip gets it decoded by pywb
    assert pywb.get(_ts(page), PAGE_GZ) == page.payload() == PAGE.encode()


@pytest.mark.parametrize("url", [PAGE_A, PAGE_B])
def test_our_revisit_resolves_to_original_payload(pywb: Pywb, url: str) -> None:
    (revisit,) = [
        r for r in _records(pywb.archive, "test-") if r.rec_type == "revisit" and r.url == url
    ]
    assert revisit.refers_to and revisit.raw_payload == b""
    assert pywb.get(_ts(revisit), url) == PAGE.encode()


def test_other_tools_revisits_resolve(pywb: Pywb) -> None:
    """Revisits written by other tools: pywb's iana.warc.gz and dupes.warc.gz (whose
    originals are partly in iana.warc.gz) and a URL-agnostic revisit whose original
    lives in another file under another URL."""
    index = CdxjIndex.from_file(pywb.archive / "index" / "index.cdxj")
    originals = {
        r.payload_digest: r for r in _records(pywb.archive, "") if r.rec_type == "response"
    }
    checked = 0
    for path in ("dupes.warc.gz", "iana.warc.gz", "other-tool-revisit.warc.gz"):
        for rec in iter_records(pywb.archive / "warc" / path):
            if rec.rec_type != "revisit" or rec.payload_digest not in originals:
                continue
            orig = originals[rec.payload_digest]
            if orig.http_status != 200:
                continue
            entry = next(e for e in index.captures(rec.url) if e.offset == rec.offset)
            assert pywb.get(entry.timestamp, rec.url) == orig.raw_payload, rec.url
            checked += 1
    assert checked >= 100


def _scrapy(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scrapy", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[arg-type]
    )


def test_wayback_command_without_pywb_is_one_line(tmp_path: Path) -> None:
    proc = _scrapy("wayback", "-s", f"WAYBACK_PYWB_BIN={tmp_path / 'no-such-wayback'}")
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert err.strip().splitlines() == ["error: pywb not found; run make venv"]


def test_wayback_command_serves_archive(pywb: Pywb, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(pywb.archive / "warc", archive / "warc")  # no index: the command builds it
    port = _free_port()
    proc = _scrapy(
        "wayback", "--port", str(port), "-s", f"ARCHIVE_DIR={archive}", start_new_session=True
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
        assert lines[0].startswith("indexed 5 WARC files")
        assert f"browse http://127.0.0.1:{port}/vnnews/" in lines[1]
        base = f"http://127.0.0.1:{port}"
        _wait_ready(proc, base)  # type: ignore[arg-type]
        url = f"{base}/vnnews/20261126150000id_/{PAGE_A}"
        with urllib.request.urlopen(url, timeout=30) as r:
            assert r.read() == PAGE.encode()
    finally:
        proc.send_signal(signal.SIGINT)  # the command stops its pywb child
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
    assert (archive / "pywb" / "config.yaml").exists()
    assert (archive / "index" / "index.cdxj").exists()
