"""archive.repair: unfinished ``.open`` files cut back to their last complete record."""

from __future__ import annotations

import gzip
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.repair import repair_open_files, valid_prefix
from archive.warcwriter import WarcFileWriter
from tests.archive_support import (
    WARCIO,
    Stats,
    assert_valid_warc,
    unfinished_warc,
)


def make_writer(tmp_path: Path) -> WarcFileWriter:
    return WarcFileWriter(tmp_path / "warc", prefix="test", info={"software": "t"})


def test_repair_truncated_file(tmp_path: Path) -> None:
    path, ends = unfinished_warc(tmp_path)
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
    path, ends = unfinished_warc(tmp_path)
    data = bytearray(path.read_bytes())
    middle = (ends[1] + ends[2]) // 2  # corrupt the third response's member
    data[middle : middle + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    (final,) = repair_open_files(path.parent)
    assert final.stat().st_size == ends[1]
    assert assert_valid_warc(final) == 3


def test_repair_member_with_partial_record(tmp_path: Path) -> None:
    """A complete gzip member whose WARC record is cut short is dropped too."""
    path, ends = unfinished_warc(tmp_path, count=1)
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


def test_stale_file_with_our_pid_is_repaired(tmp_path: Path) -> None:
    """PIDs are reused (containers): a file named with our PID that no writer holds is stale."""
    host = socket.gethostname().split(".")[0]
    path, _ = unfinished_warc(tmp_path, count=1)
    stale = path.with_name(f"test-20260501000000000-00000-{host}-{os.getpid()}.warc.gz.open")
    path.rename(stale)
    (final,) = repair_open_files(stale.parent)
    assert final.name == stale.name.removesuffix(".open")
