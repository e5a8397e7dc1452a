"""``scrapy export-wacz``: one WACZ 1.1.1 file, validated by py-wacz and replayed by pywb.

The sample site is crawled and stopped; the archive is exported under umask 027; the file is
checked with py-wacz's validator (``wacz validate``, kept in ``.venv-pywb``), read back
independently (stored entries, sha256 hashes, index offsets pointing at their records, the
pages list), and loaded into pywb with ``wb-manager add --unpack-wacz``, which replays every
page of the list.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from extraction.htmltree import decode_html
from tests.conftest import NHANDAN, REPO_ROOT, start_server, stop_process
from tests.replay_support import (
    COLLECTION,
    SampleCrawl,
    crawl_sample,
    fetch,
    have_pywb_tools,
    pywb_tool,
    run_tool,
    timestamp14,
    wait_ready,
)

WACZ_BIN = pywb_tool("wacz")
pytestmark = pytest.mark.skipif(
    not (WACZ_BIN.exists() and have_pywb_tools()), reason="pywb venv missing: make venv"
)


def export(
    archive: Path, out: Path, *extra: str, umask: int = 0o022
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "export-wacz",
            "-o",
            str(out),
            "-s",
            f"ARCHIVE_DIR={archive}",
            *extra,
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        umask=umask,
        check=False,
    )


@dataclass
class Exported:
    crawl: SampleCrawl
    wacz: Path
    stderr: str


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exported]:
    tmp = tmp_path_factory.mktemp("wacz")
    site = start_server(NHANDAN, tmp / "server.log")
    try:
        crawl = crawl_sample(site, tmp / "archive")
    finally:
        stop_process(site.process)
    out = tmp / "out" / "sample.wacz"
    done = export(crawl.archive, out, "--title", "Nhân Dân sample", umask=0o027)
    assert done.returncode == 0, done.stderr[-3000:]
    yield Exported(crawl, out, done.stderr)


def test_py_wacz_validates_it(exported: Exported) -> None:
    done = run_tool(WACZ_BIN, "validate", "-f", exported.wacz, cwd=exported.wacz.parent)
    assert "Validation succeeded" in done.stdout, done.stdout[-2000:]
    assert "1.1.1" in done.stdout


def test_layout_hashes_and_mode(exported: Exported) -> None:
    assert stat.S_IMODE(exported.wacz.stat().st_mode) == 0o640  # umask 027
    assert [p.name for p in exported.wacz.parent.iterdir()] == ["sample.wacz"]  # no temp left
    with zipfile.ZipFile(exported.wacz) as z:
        infos = {i.filename: i for i in z.infolist()}
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos.values())
        names = set(infos)
        warcs = {f"archive/{p.name}" for p in exported.crawl.warcs()}
        assert names == warcs | {
            "indexes/index.cdx",
            "pages/pages.jsonl",
            "datapackage.json",
            "datapackage-digest.json",
        }
        package = json.loads(z.read("datapackage.json"))
        assert package["profile"] == "data-package" and package["wacz_version"] == "1.1.1"
        assert package["title"] == "Nhân Dân sample"
        listed = {r["path"]: r for r in package["resources"]}
        assert set(listed) == names - {"datapackage.json", "datapackage-digest.json"}
        for path, resource in listed.items():
            data = z.read(path)
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), path
            assert resource["bytes"] == len(data)
        for warc in exported.crawl.warcs():
            assert z.read(f"archive/{warc.name}") == warc.read_bytes()  # byte for byte
        digest = json.loads(z.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(z.read("datapackage.json")).hexdigest()


def test_index_points_at_its_records(exported: Exported) -> None:
    with zipfile.ZipFile(exported.wacz) as z:
        lines = z.read("indexes/index.cdx").decode().splitlines()
        assert lines == sorted(lines) and len(lines) > len(exported.crawl.records)
        for line in lines:
            _key, _ts, block = line.split(" ", 2)
            entry: dict[str, Any] = json.loads(block)
            data = z.read(f"archive/{entry['filename']}")
            member = data[int(entry["offset"]) : int(entry["offset"]) + int(entry["length"])]
            record = next(iter(ArchiveIterator(io.BytesIO(member))))
            assert record.rec_headers.get_header("WARC-Target-URI") == entry["url"]


def test_pages_list_every_article(exported: Exported) -> None:
    with zipfile.ZipFile(exported.wacz) as z:
        header, *pages = [json.loads(x) for x in z.read("pages/pages.jsonl").decode().splitlines()]
    assert header["format"] == "json-pages-1.0" and header["id"] == "pages"
    by_url = {p["url"]: p for p in pages}
    assert set(by_url) == {r["url"] for r in exported.crawl.records}
    for record in exported.crawl.records:
        page = by_url[record["url"]]
        assert page["title"] == record["title"]
        assert timestamp14(page["ts"]) == timestamp14(record["fetched_at"])


def test_pywb_loads_it_and_replays_every_page(exported: Exported, tmp_path: Path) -> None:
    run_tool(pywb_tool("wb-manager"), "init", COLLECTION, cwd=tmp_path)
    run_tool(
        pywb_tool("wb-manager"), "add", "--unpack-wacz", COLLECTION, exported.wacz, cwd=tmp_path
    )
    from tests.browser_support import free_port

    port = free_port()
    with (tmp_path / "wayback.log").open("wb") as log:
        proc = subprocess.Popen(
            [str(pywb_tool("wayback")), "-b", "127.0.0.1", "-p", str(port)],
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(proc, base + "/")
            for record in exported.crawl.records:
                ts = timestamp14(record["fetched_at"])
                status, ctype, body = fetch(f"{base}/{COLLECTION}/{ts}mp_/{record['url']}")
                assert status == 200 and ctype.startswith("text/html"), record["url"]
                text = " ".join(decode_html(body, {"Content-Type": [ctype]}).split())
                assert record["title"] in text.replace("Ð", "Đ"), record["url"]
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)


def test_failures_are_one_line_and_keep_the_old_file(exported: Exported, tmp_path: Path) -> None:
    kept = tmp_path / "kept.wacz"
    kept.write_bytes(b"old")
    done = export(exported.crawl.archive, kept, "--warc", str(tmp_path / "nope.warc.gz"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: no such WARC file:")
    assert kept.read_bytes() == b"old"
    to_dir = export(exported.crawl.archive, tmp_path)
    assert to_dir.returncode == 2
    assert (
        to_dir.stderr.strip().splitlines()[-1]
        == f"error: {tmp_path} is a directory; give a file name"
    )
    empty = export(tmp_path / "no-archive", tmp_path / "x.wacz")
    assert empty.returncode == 1 and "no WARC files in" in empty.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.wacz"]
