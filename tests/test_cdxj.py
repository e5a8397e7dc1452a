"""archive.cdxj: our CDXJ lines against pywb's own indexer, and the kept-up-to-date index."""

from __future__ import annotations

import io
import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive import recordbuilder as rb
from archive.cdxj import CdxjIndex, index_warc, merge_lines, parse_line, update_index, url_key
from archive.extension import ArchiveExtension
from tests.archive_support import project_crawler

DATA = Path(__file__).parent / "data" / "warc"
ROOT = Path(__file__).resolve().parent.parent
PYWB_INDEXER = ROOT / ".venv-pywb" / "bin" / "cdx-indexer"

CORPUS = sorted(p.relative_to(DATA).as_posix() for p in DATA.glob("*/*") if p.name != "LICENSE")
# pywb's indexer dies on the WARC/0.18 date "2008-10-294T..." (day out of range)
PYWB_FAILS = {"chatnoir-eu__chatnoir-resiliparse/clueweb-quirk.warc.gz"}

needs_pywb = pytest.mark.skipif(not PYWB_INDEXER.exists(), reason="pywb venv missing: make venv")


def _parsed(lines: list[str]) -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for line in lines:
        if not line.strip():
            continue
        key, ts, data = line.split(" ", 2)
        out.append((key, ts, json.loads(data)))
    return sorted(out, key=lambda t: (t[0], t[1], json.dumps(t[2], sort_keys=True)))


def _pywb_index(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    out = tmp_path / "pywb.cdxj"
    return subprocess.run(
        [str(PYWB_INDEXER), "-j", "-s", "-o", str(out), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@needs_pywb
@pytest.mark.parametrize("name", [n for n in CORPUS if n not in PYWB_FAILS])
def test_lines_match_pywb_indexer(name: str, tmp_path: Path) -> None:
    done = _pywb_index(DATA / name, tmp_path)
    assert done.returncode == 0, done.stderr
    theirs = _parsed((tmp_path / "pywb.cdxj").read_text().splitlines())
    ours_lines = index_warc(DATA / name)
    assert ours_lines == sorted(ours_lines)
    assert _parsed(ours_lines) == theirs


@needs_pywb
def test_quirky_file_indexed_where_pywb_fails(tmp_path: Path) -> None:
    name = "chatnoir-eu__chatnoir-resiliparse/clueweb-quirk.warc.gz"
    assert _pywb_index(DATA / name, tmp_path).returncode != 0
    lines = index_warc(DATA / name)
    assert len(lines) == 29
    assert all(" 200810" in line for line in lines)


def test_revisit_line_shape() -> None:
    lines = index_warc(DATA / "webrecorder__warcio/example.warc.gz")
    response, revisit = (parse_line(line) for line in lines)
    assert response is not None and revisit is not None
    assert response.urlkey == "com,example)/" and response.timestamp == "20170306040206"
    assert response.fields["mime"] == "text/html" and response.fields["status"] == "200"
    assert revisit.fields["mime"] == "warc/revisit" and "status" not in revisit.fields
    assert revisit.digest == response.digest == "G7HRM7BGOKSKMSXZAHMUQTTV53QOFSMK"
    assert (response.offset, response.length, response.filename) == (784, 1228, "example.warc.gz")


def test_url_key_is_surt() -> None:
    assert url_key("https://NhanDan.vn/the-gioi/a-b-123.html?x=1") == (
        "vn,nhandan)/the-gioi/a-b-123.html?x=1"
    )


# --- update_index -------------------------------------------------------------------------


def _write_warc(path: Path, captures: list[tuple[str, str, bytes]]) -> None:
    """A WARC in the shape our writer produces: WARC/1.1, gzip per record."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
        for url, date, body in captures:
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            rec = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers_dict={"WARC-Date": date},
            )
            writer.write_record(rec)


def test_update_index_merges_sorted_and_is_idempotent(tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    first = warc_dir / "vnnews-20261126150000000-00000-host-1.warc.gz"
    second = warc_dir / "vnnews-20261126160000000-00001-host-1.warc.gz"
    _write_warc(
        first,
        [
            ("https://nhandan.vn/z.html", "2026-11-26T15:00:00Z", b"<html>z</html>"),
            ("https://nhandan.vn/a.html", "2026-11-26T15:00:01Z", b"<html>a</html>"),
        ],
    )
    _write_warc(
        second,
        [
            ("https://nhandan.vn/m.html", "2026-11-26T16:00:00.123456Z", b"<html>m</html>"),
            ("https://nhandan.vn/a.html", "2026-11-26T16:00:01Z", b"<html>a2</html>"),
        ],
    )
    update_index(tmp_path, first)
    update_index(tmp_path, second)
    index = tmp_path / "index" / "index.cdxj"
    lines = index.read_text().splitlines()
    assert lines == sorted(index_warc(first) + index_warc(second))
    assert [ln.split(" ", 2)[:2] for ln in lines] == [
        ["vn,nhandan)/a.html", "20261126150001"],
        ["vn,nhandan)/a.html", "20261126160001"],
        ["vn,nhandan)/m.html", "20261126160000"],
        ["vn,nhandan)/z.html", "20261126150000"],
    ]
    before = index.read_bytes()
    update_index(tmp_path, second)  # re-indexing a file replaces its lines
    assert index.read_bytes() == before
    assert sorted(p.name for p in index.parent.iterdir()) == [".lock", "index.cdxj"]

    loaded = CdxjIndex.from_file(index)
    assert len(loaded) == 4
    latest = loaded.latest("https://nhandan.vn/a.html")
    assert latest is not None and latest.filename == second.name
    assert [e.timestamp for e in loaded.captures("https://nhandan.vn/a.html")] == [
        "20261126150001",
        "20261126160001",
    ]


def test_update_index_uses_path_relative_to_warc_dir(tmp_path: Path) -> None:
    sub = tmp_path / "warc" / "2026-11"
    sub.mkdir(parents=True)
    path = sub / "x.warc.gz"
    _write_warc(path, [("https://nhandan.vn/a.html", "2026-11-26T15:00:00Z", b"<p>a</p>")])
    update_index(tmp_path, path)
    (line,) = (tmp_path / "index" / "index.cdxj").read_text().splitlines()
    entry = parse_line(line)
    assert entry is not None and entry.filename == "2026-11/x.warc.gz"


def test_merge_lines_drops_replaced_file_and_duplicates() -> None:
    def line(key: str, name: str) -> str:
        return f'{key} 20260101000000 {{"url": "u", "filename": "{name}"}}'

    merged = list(
        merge_lines(
            [line("a", "old.warc.gz"), line("b", "keep.warc.gz"), line("c", "old.warc.gz")],
            [line("b", "keep.warc.gz"), line("d", "old.warc.gz")],
            replace="old.warc.gz",
        )
    )
    assert merged == [line("b", "keep.warc.gz"), line("d", "old.warc.gz")]


def test_index_of_broken_file_keeps_good_records(tmp_path: Path) -> None:
    data = bytearray((DATA / "webrecorder__pywb/dupes.warc.gz").read_bytes())
    good = index_warc(DATA / "webrecorder__pywb/dupes.warc.gz")
    first = parse_line(good[0])
    assert first is not None
    for i in range(first.offset + 60, first.offset + 90):
        data[i] ^= 0x33
    broken = tmp_path / "dupes.warc.gz"
    broken.write_bytes(bytes(data))
    stats: dict[str, int] = {}
    lines = index_warc(broken, stats)
    assert stats["reader/broken_records"] == 1
    assert set(lines) == set(good) - {good[0]}


def test_writer_close_updates_index(tmp_path: Path) -> None:
    """The archive extension runs update_index when the crawl's writer closes a file."""
    archive = project_crawler(ARCHIVE_DIR=str(tmp_path)).get_extension(ArchiveExtension)
    assert archive is not None and archive.writer is not None
    writer = archive.writer
    headers = rb.http_headers(
        ("HTTP/1.1", "200", "OK"), [(b"Content-Type", b"text/html")], request=False
    )
    date = rb.warc_date(datetime(2026, 11, 26, 15, 0, tzinfo=UTC))
    record = rb.build_response("https://nhandan.vn/a.html", headers, b"<p>a</p>", date=date)
    (location,) = writer.write_records([record])
    # the article JSON as a metadata record with the page's URL: not indexed, or pywb
    # would replay the JSON as the latest capture of the page
    writer.write_metadata(location.record_id, "https://nhandan.vn/a.html", b'{"title": "x"}')
    path = writer.close()
    assert path is not None
    archive.spider_closed()
    (line,) = (tmp_path / "index" / "index.cdxj").read_text().splitlines()
    entry = parse_line(line)
    assert entry is not None
    assert (entry.filename, entry.offset, entry.length) == (
        path.name,
        location.offset,
        location.length,
    )
    assert entry.timestamp == "20261126150000"


def test_index_file_mode_follows_the_umask(tmp_path: Path) -> None:
    """The index is replaced through a temporary file, created as any file (not 0600)."""
    warc_dir = tmp_path / "warc"
    warc_dir.mkdir()
    path = warc_dir / "a.warc.gz"
    _write_warc(path, [("https://nhandan.vn/a.html", "2026-11-26T10:00:00Z", b"<p>a</p>")])
    for umask, mode in ((0o022, 0o644), (0o002, 0o664)):
        old = os.umask(umask)
        try:
            update_index(tmp_path, path)
        finally:
            os.umask(old)
        assert (tmp_path / "index" / "index.cdxj").stat().st_mode & 0o777 == mode
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == [".lock", "index.cdxj"]
