"""archive.warcwriter: file names, warcinfo first, rotation, close hooks, metadata, repair on
start, several writers in one process."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.recordbuilder import build_response
from archive.warcwriter import WarcFileWriter
from tests.archive_support import (
    BODY,
    DATE,
    NAME_RE,
    RESP_ID,
    URL,
    Stats,
    assert_valid_warc,
    member,
    response_headers,
    unfinished_warc,
)


def make_writer(tmp_path: Path, **kw: Any) -> WarcFileWriter:
    return WarcFileWriter(tmp_path / "warc", prefix="test", info={"software": "t"}, **kw)


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


def test_writer_repairs_on_start(tmp_path: Path) -> None:
    path, _ = unfinished_warc(tmp_path, count=2)
    writer = make_writer(tmp_path)
    closed: list[Path] = []
    writer.on_close.append(closed.append)
    (final,) = writer.repair()
    assert closed == [final] and not path.exists()


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


@pytest.mark.parametrize("prefix", ["", "a/b", "..", "."])
def test_bad_prefix_is_refused(tmp_path: Path, prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        WarcFileWriter(tmp_path / "warc", prefix=prefix)
    assert not (tmp_path / "warc").exists()


def test_file_mode_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        writer = make_writer(tmp_path)
        writer.write_records([build_response(URL, response_headers(), BODY, date=DATE)])
        (open_file,) = (tmp_path / "warc").glob("*.open")
        assert open_file.stat().st_mode & 0o777 == 0o640
        path = writer.close()
    finally:
        os.umask(old)
    assert path is not None and path.stat().st_mode & 0o777 == 0o640
