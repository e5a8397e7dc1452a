"""scrapy reprocess: WARC files in, article records out, no network, same bytes each run."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from archive import recordbuilder as rb
from archive.cdxj import update_index
from archive.reader import iter_records
from commands.reprocess import Reprocessor, input_files
from tests.archive_support import indexed_writer
from vnnews.profiles import ProfileRegistry

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "pipelines" / "article.schema.json").read_text(encoding="utf-8"))


def assert_schema_valid(records: list[dict[str, object]]) -> None:
    validator = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
    for record in records:
        errors = [
            f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(record)
        ]
        assert not errors, (record["url"], errors)


DATA = Path(__file__).parent / "data" / "warc"

URL = "https://nhandan.vn/thoi-su/bao-so-9-do-bo-vao-da-nang-post870001.html"
URL_AMP = "https://nhandan.vn/amp/thoi-su/bao-so-9-do-bo-vao-da-nang-post870001.html"
PARAS = [
    "Chiều 26/11, bão số 9 đã đổ bộ vào địa bàn thành phố Đà Nẵng với sức gió mạnh cấp 12, "
    "giật cấp 14, gây mưa lớn trên diện rộng tại các tỉnh miền Trung.",
    "Ban Chỉ huy phòng, chống thiên tai thành phố cho biết đã sơ tán hơn 40.000 hộ dân ở các "
    "khu vực ven biển và vùng trũng thấp đến nơi an toàn trước khi bão vào.",
    "Lực lượng quân đội, công an và dân quân tự vệ được huy động để hỗ trợ người dân chằng "
    "chống nhà cửa, di dời tài sản và bảo đảm an toàn cho tàu thuyền neo đậu.",
    "Theo Trung tâm Dự báo khí tượng thủy văn quốc gia, sau khi vào đất liền bão suy yếu "
    "thành áp thấp nhiệt đới và tiếp tục gây mưa to đến rất to trong hai ngày tới.",
]


def article_html(paras: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        "<title>Bão số 9 đổ bộ vào Đà Nẵng | Báo Nhân Dân điện tử</title>"
        f'<link rel="canonical" href="{URL}">'
        '<meta property="article:published_time" content="2026-11-26T16:05:00+07:00">'
        "</head><body><article><h1>Bão số 9 đổ bộ vào Đà Nẵng</h1>"
        f'<div class="article__body">{body}</div></article></body></html>'
    ).encode()


def _headers(status: str, ctype: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> object:
    pairs = [(b"Content-Type", ctype), *(extra or [])]
    return rb.http_headers(("HTTP/1.1", status, "OK"), pairs, request=False)


def _date(minute: int) -> str:
    return rb.warc_date(datetime(2026, 11, 26, 10, minute, tzinfo=UTC))


def write_crawl(archive: Path) -> tuple[Path, Path]:
    """Two WARC files as our crawler writes them: day 1 (article, image, 404, and an
    updated article), day 2 (revisits of the article under two URLs)."""
    html = b"text/html; charset=utf-8"
    first = indexed_writer(archive, prefix="t1")
    page = article_html(PARAS)
    (orig,) = first.write_records(
        [rb.build_response(URL, _headers("200", html), page, date=_date(0))]
    )
    first.write_records(
        [
            rb.build_response(
                "https://nhandan.vn/logo.png",
                _headers("200", b"image/png"),
                b"\x89PNG..",
                date=_date(1),
            ),
            rb.build_response(
                "https://nhandan.vn/nope.html", _headers("404", html), b"<p>404</p>", date=_date(2)
            ),
        ]
    )
    path1 = first.close()
    second = indexed_writer(archive, prefix="t2")
    refers = {"uri": URL, "date": orig.date, "record_id": orig.record_id}
    assert orig.payload_digest
    second.write_records(
        [
            rb.build_revisit(
                u,
                _headers("200", html),
                profile=rb.PROFILE_IDENTICAL,
                payload_digest=orig.payload_digest,
                refers_to=refers,
                date=_date(m),
            )
            for u, m in ((URL, 30), (URL_AMP, 31))
        ]
    )
    gz = gzip.compress(article_html([*PARAS, "Cập nhật lúc 18 giờ: bão đã suy yếu."]), mtime=0)
    second.write_records(
        [
            rb.build_response(
                URL, _headers("200", html, [(b"Content-Encoding", b"gzip")]), gz, date=_date(40)
            )
        ]
    )
    path2 = second.close()
    assert path1 is not None and path2 is not None
    return path1, path2


@pytest.fixture
def crawl(tmp_path: Path) -> tuple[Path, Path, Path]:
    archive = tmp_path / "archive"
    first, second = write_crawl(archive)
    return archive, first, second


def _run(
    files: list[Path], archive: Path | None = None
) -> tuple[list[dict[str, object]], Counter[str]]:
    proc = Reprocessor(ProfileRegistry.load(), archive)
    records = proc.run(files)
    return records, proc.stats


def test_versions_revisits_and_counts(crawl: tuple[Path, Path, Path]) -> None:
    _archive, first, second = crawl
    records, stats = _run([first, second])
    assert [(r["canonical_url"], r["version"]) for r in records] == [(URL, 1), (URL, 2)]
    v1, v2 = records
    assert v1["previous"] is None and v2["previous"] == v1["id"]
    assert v1["fetched_at"] == "2026-11-26T10:00:00+00:00"
    assert "Cập nhật lúc 18 giờ" in str(v2["text"]) and "Cập nhật" not in str(v1["text"])
    originals = {r.record_id: r for r in iter_records(first)}
    warc = v1["warc"]
    assert isinstance(warc, dict)
    rec = originals[warc["record_id"]]
    assert (warc["filename"], warc["offset"], warc["length"]) == (
        first.name,
        rec.offset,
        rec.length,
    )
    assert stats["reprocess/html_responses"] == 2
    assert stats["reprocess/revisits"] == 2 and stats["reprocess/revisits_resolved"] == 2
    assert stats["reprocess/unchanged_text"] == 2  # both revisits: same text as version 1
    assert stats["reprocess/not_html"] == 1 and stats["reprocess/not_200"] == 1
    assert_schema_valid(records)


def test_revisit_resolved_from_archive_index(crawl: tuple[Path, Path, Path]) -> None:
    """Only the day-2 file is given; the original lives in ARCHIVE_DIR (found via CDXJ)."""
    archive, _first, second = crawl
    records, stats = _run([second], archive)
    assert stats["reprocess/revisits_resolved"] == 2
    v1 = records[0]
    assert v1["fetched_at"] == "2026-11-26T10:30:00+00:00"  # the revisit's WARC-Date
    warc = v1["warc"]
    assert isinstance(warc, dict) and warc["filename"] == second.name
    assert "Đà Nẵng" in str(v1["text"])
    without, stats2 = _run([second], None)
    assert stats2["reprocess/revisits_unresolved"] == 2
    assert len(without) == 1  # only the day-2 response


def test_other_tools_warcs(tmp_path: Path) -> None:
    files = [
        DATA / "webrecorder__warcio/example.warc.gz",
        DATA / "webrecorder__pywb/example-wget-1-14.warc.gz",
        DATA / "webrecorder__pywb/example-wpull.warc.gz",
        DATA / "webrecorder__cdxj-indexer/cc.warc.gz",
        DATA / "chatnoir-eu__chatnoir-resiliparse/warcfile.warc.gz",
        DATA / "webrecorder__warcio/example.arc.gz",
        DATA / "chatnoir-eu__chatnoir-resiliparse/clipped.warc.gz",
        DATA / "webrecorder__warcio/example-iana.org-chunked.warc",  # chunked, hex digest
        DATA / "webrecorder__pywb/example-extra.warc",  # revisits without HTTP headers
    ]
    records, stats = _run(files)
    assert stats["reprocess/html_responses"] == 1 + 1 + 1 + 1 + 16 + 1 + 1 + 1 + 2
    assert stats["reprocess/revisits_resolved"] == 1 + 2  # warcio's and pywb's example.com
    extracted = stats["reprocess/records"] + stats["reprocess/unchanged_text"]
    assert extracted + stats["reprocess/not_article"] == 25 + 3
    assert stats["reader/truncated"] == 1
    assert all(isinstance(r["warc"], dict) and r["warc"]["filename"] for r in records)
    assert_schema_valid(records)


def test_broken_input_is_counted(crawl: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _archive, first, _second = crawl
    broken = tmp_path / "broken.warc.gz"
    # a bad gzip member at the end (what follows a bad member is covered in test_reader)
    broken.write_bytes(first.read_bytes() + b"\x1f\x8b\x08garbage member")
    junk = tmp_path / "junk.warc"
    junk.write_bytes(b"not a warc\n")
    records, stats = _run([broken, junk])
    assert stats["reader/broken_records"] == 1 and stats["reader/broken_files"] == 1
    assert len(records) == 1 and stats["reprocess/html_responses"] == 1


def _scrapy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "reprocess", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_command_is_byte_identical_across_runs(
    crawl: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    archive, first, second = crawl
    extra = tmp_path / "more"
    extra.mkdir()
    shutil.copy(DATA / "webrecorder__warcio/example.warc.gz", extra)
    shutil.copy(DATA / "webrecorder__warcio/example.arc.gz", extra)  # ARC record ids are made up
    outputs = []
    for n, jobs in ((1, "1"), (2, "1"), (3, "2")):
        out = tmp_path / f"out{n}.jsonl"
        done = _scrapy(
            *(str(second), str(first), str(extra), "-o", str(out), "--jobs", jobs),
            *("-s", f"ARCHIVE_DIR={archive}"),
        )
        assert done.returncode == 0, done.stderr
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith("reprocess: 4 files,"), done.stderr
        assert "2 revisits" not in last and "3 revisits (3 resolved, 0 unresolved)" in last
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    lines = outputs[0].decode().splitlines()
    assert [json.loads(x)["url"] for x in lines].count(URL) == 2
    assert lines == sorted(
        lines, key=lambda x: (json.loads(x)["canonical_url"], json.loads(x)["version"])
    )


def test_command_errors_are_one_line(tmp_path: Path) -> None:
    done = _scrapy(str(tmp_path / "missing.warc.gz"), "-o", str(tmp_path / "o.jsonl"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: no such WARC file: {tmp_path / 'missing.warc.gz'}"
    ]


def test_input_dirs_expand_to_warc_files(tmp_path: Path) -> None:
    (tmp_path / "a.warc.gz").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.warc").write_bytes(b"")
    (tmp_path / "c.warc.gz.open").write_bytes(b"")
    (tmp_path / "notes.txt").write_bytes(b"")
    assert [p.name for p in input_files([str(tmp_path)])] == ["a.warc.gz", "b.warc"]


def test_update_index_was_run_by_writer(crawl: tuple[Path, Path, Path]) -> None:
    archive, first, second = crawl
    text = (archive / "index" / "index.cdxj").read_text()
    assert first.name in text and second.name in text
    update_index(archive, first)  # idempotent
    assert (archive / "index" / "index.cdxj").read_text() == text
