"""A full disk: small tmpfs file systems mounted for the test (root or CAP_SYS_ADMIN needed).

* Unit level, one write path at a time: a WARC record, a JSON line, a dedup-index commit and
  a CDXJ update that hit ENOSPC leave no partial record, line or index behind; the JSON line
  of a version that could not be committed is taken back (so the next run records it once);
  a WARC file closed but not indexed is indexed when space is back.
* Crawl level: the sample crawl on a disk that fills at three different moments (while the
  indexes open, early and late in the crawl) stops with exit code 3 and one ERROR line
  naming the cause, no traceback on stderr, every file valid (WARCs pass ``warcio check``
  and FastWARC, JSON lines parse, the CDXJ index points at real records); the same command
  run again once space is back exits 0 with every sample article exactly once.
"""

from __future__ import annotations

import errno
import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.cdxj import update_index
from archive.extension import ArchiveExtension
from archive.recordbuilder import build_response
from archive.repair import repair_index
from archive.warcwriter import WarcFileWriter
from pipelines.jsonlines import JsonLinesPipeline
from tests.archive_support import DATE, project_crawler, response_headers
from tests.conftest import NHANDAN, RunningSite, run_crawl
from tests.test_kills import check_archive, check_closed_warc
from vnnews.paths import ArchivePaths

Mount = Callable[[Path, str], Path]


@pytest.fixture
def mount_tmpfs() -> Iterator[Mount]:
    """``mount_tmpfs(dir, "1m")`` mounts a tmpfs of that size at ``dir``; all unmounted after."""
    mounted: list[Path] = []

    def mount(where: Path, size: str) -> Path:
        where.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(
                "full-disk tests mount a small tmpfs and need root (or CAP_SYS_ADMIN): "
                + (done.stderr.strip() or f"mount exited {done.returncode}")
            )
        mounted.append(where)
        return where

    try:
        yield mount
    finally:
        for where in reversed(mounted):
            if subprocess.run(["umount", str(where)], capture_output=True).returncode:
                subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(disk: Path, leave: int) -> Path:
    """A filler file that leaves ``leave`` bytes free on ``disk``; delete it to free space."""
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    filler = disk / "filler"
    with open(filler, "wb") as out:
        out.write(b"\0" * max(0, free - leave))
    return filler


def page(n: int, size: int = 6000) -> bytes:
    body = os.urandom(size // 2).hex().encode()  # incompressible: fills the disk quickly
    return b"<html><body><p>" + str(n).encode() + b"</p>" + body + b"</body></html>"


def _response(url: str, body: bytes) -> Any:
    return build_response(url, response_headers(), body, date=DATE)


def test_a_warc_record_that_hits_a_full_disk_is_cut_off(tmp_path: Path, mount_tmpfs: Mount) -> None:
    disk = mount_tmpfs(tmp_path / "disk", "512k")
    writer = WarcFileWriter(disk / "warc", prefix="t")
    writer.write_records([_response("http://x.vn/0", page(0))])
    fill(disk, 40_000)
    written = 1
    with pytest.raises(OSError) as caught:
        for n in range(1, 100):
            url = f"http://x.vn/{n}"
            writer.write_records([_response(url, page(n))])
            written += 1
    assert caught.value.errno == errno.ENOSPC
    closed = writer.close()
    assert closed is not None and closed.name.endswith(".warc.gz")
    check_closed_warc(closed)
    from warcio.archiveiterator import ArchiveIterator

    with open(closed, "rb") as stream:
        kinds = [r.rec_type for r in ArchiveIterator(stream)]
    assert kinds == ["warcinfo"] + ["response"] * written  # the failed record is gone whole


def _pipeline(archive: Path) -> tuple[Any, JsonLinesPipeline]:
    crawler = project_crawler(ARCHIVE_DIR=str(archive))
    pipeline = JsonLinesPipeline.from_crawler(crawler)
    pipeline.open_spider()
    return crawler, pipeline


def _record(n: int, text: str = "") -> dict[str, Any]:
    url = f"http://x.vn/a-{n}.html"
    return {
        "url": url,
        "canonical_url": url,
        "text_digest": f"sha1:{n:040d}",
        "id": f"id{n}",
        "version": 1,
        "previous": None,
        "text": text or os.urandom(3000).hex(),
    }


def _versions(archive: Path) -> set[str]:
    with sqlite3.connect(ArchivePaths.of(archive).dedup_db) as db:
        return {row[0] for row in db.execute("SELECT record_id FROM versions")}


def _lines(archive: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(ArchivePaths.of(archive).json_dir.glob("*.jsonl*")):
        data = path.read_bytes()
        assert not data or data.endswith(b"\n"), f"{path.name} ends in a partial line"
        out += [json.loads(line) for line in data.splitlines()]
    return out


def test_a_json_line_that_hits_a_full_disk_is_cut_off(tmp_path: Path, mount_tmpfs: Mount) -> None:
    archive = tmp_path / "archive"
    mount_tmpfs(archive / "json", "256k")  # the index has room; the JSON output has not
    crawler, pipeline = _pipeline(archive)
    fill(archive / "json", 30_000)
    with pytest.raises(OSError) as caught:
        for n in range(100):
            pipeline.process_item(_record(n))
    assert caught.value.errno == errno.ENOSPC
    pipeline.close_spider()
    lines = _lines(archive)
    assert 0 < len(lines) < 100
    assert {r["id"] for r in lines} == _versions(archive)  # the failed line was never committed
    crawler.get_extension(ArchiveExtension).spider_closed()


def test_a_version_that_cannot_be_committed_takes_its_line_back(
    tmp_path: Path, mount_tmpfs: Mount
) -> None:
    archive = tmp_path / "archive"
    index_dir = mount_tmpfs(archive / "index", "256k")  # the JSON output has room; SQLite not
    crawler, pipeline = _pipeline(archive)
    fill(index_dir, 20_000)
    with pytest.raises(sqlite3.OperationalError, match="full"):
        for n in range(2000):
            pipeline.process_item(_record(n, text="short"))
    pipeline.close_spider()
    lines = _lines(archive)
    assert lines, "nothing was committed before the disk filled"
    assert {r["id"] for r in lines} == _versions(archive)  # line kept iff version committed
    crawler.get_extension(ArchiveExtension).spider_closed()
    # and with space again, the next run commits and writes the article it could not
    (index_dir / "filler").unlink()
    crawler, pipeline = _pipeline(archive)
    pipeline.process_item(_record(len(lines), text="short"))
    pipeline.close_spider()
    crawler.get_extension(ArchiveExtension).spider_closed()
    assert {r["id"] for r in _lines(archive)} == _versions(archive)
    assert len(_lines(archive)) == len(lines) + 1


def test_a_cdxj_update_on_a_full_disk_is_done_when_space_is_back(
    tmp_path: Path, mount_tmpfs: Mount
) -> None:
    archive = tmp_path / "archive"
    paths = ArchivePaths.of(archive)
    index_dir = mount_tmpfs(paths.index_dir, "256k")
    writer = WarcFileWriter(paths.warc_dir, prefix="t")
    writer.write_records([_response("http://x.vn/0", page(0))])
    first = writer.close()
    assert first is not None
    update_index(archive, first)
    before = paths.cdxj.read_bytes()
    writer = WarcFileWriter(paths.warc_dir, prefix="t")
    for n in range(1, 40):
        writer.write_records([_response(f"http://x.vn/{n}", page(n))])
    second = writer.close()
    assert second is not None
    filler = fill(index_dir, 1000)
    with pytest.raises(OSError) as caught:
        update_index(archive, second)
    assert caught.value.errno == errno.ENOSPC
    assert paths.cdxj.read_bytes() == before  # the old index, whole
    assert not list(index_dir.glob(".index-*.tmp"))
    filler.unlink()
    assert repair_index(paths, lambda p: update_index(archive, p)) == [second]
    lines = paths.cdxj.read_text(encoding="utf-8").splitlines()
    assert sum(second.name in line for line in lines) == 39
    assert repair_index(paths, lambda p: update_index(archive, p)) == []  # nothing left to do


# -- crawls ----------------------------------------------------------------------------

# Bytes left free when the crawl starts: while the indexes open, early, late in the crawl.
FREE = (150_000, 420_000, 800_000)


@pytest.mark.parametrize("free", FREE)
def test_a_crawl_on_a_full_disk_stops_with_exit_3_and_the_next_run_completes(
    tmp_path: Path, mount_tmpfs: Mount, sample_site: RunningSite, free: int
) -> None:
    disk = mount_tmpfs(tmp_path / "disk", "6m")
    archive = disk / "archive"
    filler = fill(disk, free)
    args = ["-a", "site=nhandan", "-a", f"start_urls={sample_site.url}"]
    settings = {"CONCURRENT_REQUESTS": 4}

    full = run_crawl(args, archive, settings)
    assert full.returncode == 3, full.stderr[-3000:]
    errors = [line for line in full.stderr.splitlines() if "ERROR" in line or "error:" in line]
    stop = [line for line in errors if "archive" in line.lower() and "stopping" in line]
    startup = [line for line in errors if line.startswith("error: cannot write the archive")]
    assert len(stop) + len(startup) == 1, "\n".join(errors)
    cause = re.compile(r"No space left on device|disk is full|disk I/O error")
    assert any(cause.search(line) for line in errors), "\n".join(errors)  # the cause is named
    if startup:  # the last line says it (Scrapy's own close after a failed open logs more)
        assert full.stderr.strip().splitlines()[-1] == startup[0]
    else:
        assert "Traceback" not in full.stderr, full.stderr[-5000:]
    if archive.exists():
        check_archive(archive, killed_pid=None, unindexed_ok=True)

    filler.unlink()
    again = run_crawl(args, archive, settings)
    assert again.returncode == 0, again.stderr[-3000:]
    records = check_archive(archive, killed_pid=None)
    expected = sorted(a["canonical_url"] for a in sample_site.expected["articles"])
    assert sorted(r["canonical_url"] for r in records) == expected
    with sqlite3.connect(ArchivePaths.of(archive).dedup_db) as db:
        versions = sorted(db.execute("SELECT canonical_url, record_id FROM versions"))
    assert versions == sorted((r["canonical_url"], r["id"]) for r in records)
    assert not [p for d in ("warc", "json") for p in (archive / d).glob("*.open")]
    assert NHANDAN.is_dir()


def test_a_run_report_that_hits_a_full_disk_leaves_nothing_behind(
    tmp_path: Path, mount_tmpfs: Mount
) -> None:
    from monitoring.history import write_report
    from vnnews.paths import ArchivePaths

    disk = mount_tmpfs(tmp_path / "disk", "512k")
    paths = ArchivePaths.of(disk)
    (paths.runs_dir / "nhandan").mkdir(parents=True)
    fill(disk, leave=2000)
    report = {"site": "nhandan", "started_at": "2026-12-04T01:02:03+00:00", "pid": 42,
              "notes": "x" * 50_000}  # fmt: skip
    with pytest.raises(OSError) as caught:
        write_report(paths, report)
    assert caught.value.errno == errno.ENOSPC
    assert list((paths.runs_dir / "nhandan").iterdir()) == []  # no .json.open left
