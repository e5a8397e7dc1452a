"""Republished articles are linked to their originals, in either crawl order, across runs.

Two fixture sites the project has no profile for (tests/sites/synd_a, synd_b; built by
tests/sites_src/build_syndication.py): B republishes five of A's articles, two with an
attribution line ("Theo Thời Báo Hà Thành", "Nguồn: thoibaohathanh.vn"; one of them dated
*before* its original), two verbatim without one, one lightly edited. Each site is crawled by
its own ``scrapy crawl news -a start_urls=`` run into one ARCHIVE_DIR, so every link found
crosses runs through the persistent index (SQLite; Redis with two ARCHIVE_DIRs).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from jsonschema import Draft202012Validator

from pipelines.schema import SCHEMA_VERSION, load_schema
from tests.conftest import SITES, RunningSite, run_crawl
from tests.test_neardup import clean, redis_server

SITE_A = SITES / "synd_a"
SITE_A2 = SITES / "synd_a_v2"
SITE_B = SITES / "synd_b"
EXPECTED = json.loads((SITE_B / "expected.json").read_text(encoding="utf-8"))
COPIES = EXPECTED["copies"]


#: Both fixture sites run on 127.0.0.1 (other ports); the run monitor keys its history by
#: host, so it would call the second site's run a "drift" of the first's. Not our subject here.
QUIET = {"EXTRACT_POOL": "inline", "MONITOR_FAIL_ON_DRIFT": False}


def crawl(site: RunningSite, archive: Path, extra: dict[str, Any] | None = None) -> None:
    settings = {**QUIET, **(extra or {})}
    done = run_crawl(["-a", f"start_urls={site.url}/"], archive, settings)
    assert done.returncode == 0, done.stderr[-3000:]


def read_jsonl(directory: Path) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(directory.glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return rows


def by_path(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Latest version of each record by URL path."""
    out: dict[str, dict[str, Any]] = {}
    for record in sorted(records, key=lambda r: r["version"]):
        out["/" + record["url"].split("/", 3)[3]] = record
    return out


def assert_valid(records: list[dict[str, Any]]) -> None:
    validator = Draft202012Validator(load_schema())
    for record in records:
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(record)]
        assert not errors, (record["url"], errors)
        assert record["schema_version"] == SCHEMA_VERSION


def assert_unlinked(record: dict[str, Any]) -> None:
    assert record["near_duplicates"] == [], record["url"]
    assert record["syndicated_from"] is None, record["url"]
    assert record["syndicated_to"] == [], record["url"]


def assert_others_unlinked(records: dict[str, dict[str, Any]]) -> None:
    """B's own articles and A's articles that nobody copied have no links at all."""
    for path in EXPECTED["own"] + EXPECTED["a_only"]:
        assert_unlinked(records[path])


def test_copy_after_original_links_5_of_5(
    site_server: Callable[..., RunningSite], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    a = site_server(root=SITE_A)
    b = site_server(root=SITE_B)
    crawl(a, archive)
    crawl(b, archive)
    records = read_jsonl(archive / "json")
    assert_valid(records)
    got = by_path(records)
    assert len(got) == 15
    linked = 0
    for copy in COPIES:
        original, duplicate = got[copy["original"]], got[copy["copy"]]
        near = {n["id"]: n["similarity"] for n in duplicate["near_duplicates"]}
        assert list(near) == [original["id"]], copy
        assert near[original["id"]] == 1.0 or copy["edited"]
        assert duplicate["syndicated_from"] == {
            "id": original["id"],
            "url": original["url"],
            "decided_by": copy["decided_by"],
        }
        assert_unlinked(original)  # crawled first: it knew of no copy
        linked += 1
    assert linked == 5
    assert_others_unlinked(got)
    assert not (archive / "links").exists()  # every link is in the copy's own record

    # The next day A corrects A3: version 2 of the same article, not a near-duplicate of v1.
    a.stop()
    a2 = site_server(root=SITE_A, overlay=SITE_A2, port=a.port)
    crawl(a2, archive, {"NEWS_RECHECK": "all"})  # fetch every archived page again
    records = read_jsonl(archive / "json")
    assert_valid(records)
    versions = [r for r in records if r["url"].endswith(EXPECTED["a_corrected"])]
    assert [r["version"] for r in sorted(versions, key=lambda r: r["version"])] == [1, 2]
    v1, v2 = sorted(versions, key=lambda r: r["version"])
    assert v2["previous"] == v1["id"]
    near_ids = [n["id"] for n in v2["near_duplicates"]]
    assert v1["id"] not in near_ids
    copy_of_a3 = got[next(c["copy"] for c in COPIES if c["original"] == EXPECTED["a_corrected"])]
    assert near_ids == [copy_of_a3["id"]]  # B's copy of v1 is still very similar
    assert v2["syndicated_from"] is None and v2["syndicated_to"] == []  # linked to v1 already


def test_copy_before_original_is_linked_when_the_original_arrives(
    site_server: Callable[..., RunningSite], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    b = site_server(root=SITE_B)
    a = site_server(root=SITE_A)
    crawl(b, archive)
    first = by_path(read_jsonl(archive / "json"))
    for record in first.values():
        assert_unlinked(record)  # nothing to compare with yet
    crawl(a, archive)
    records = read_jsonl(archive / "json")
    assert_valid(records)
    assert_late_links(records, read_jsonl(archive / "links"))


def assert_late_links(records: list[dict[str, Any]], links: list[dict[str, Any]]) -> None:
    got = by_path(records)
    assert len(got) == 15
    late = {line["id"]: line for line in links}
    assert len(links) == len(late) == 5
    for copy in COPIES:
        original, duplicate = got[copy["original"]], got[copy["copy"]]
        assert duplicate["syndicated_from"] is None  # written before the original was known
        assert [n["id"] for n in original["near_duplicates"]] == [duplicate["id"]]
        assert original["syndicated_to"] == [
            {"id": duplicate["id"], "url": duplicate["url"], "decided_by": copy["decided_by"]}
        ]
        line = late[duplicate["id"]]
        assert line["url"] == duplicate["url"]
        assert line["syndicated_from"] == {
            "id": original["id"],
            "url": original["url"],
            "decided_by": copy["decided_by"],
        }
        assert line["schema_version"] == SCHEMA_VERSION
        assert original["syndicated_from"] is None
    assert_others_unlinked(got)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_redis_index_links_across_archives(
    site_server: Callable[..., RunningSite], tmp_path: Path, redis_url: str
) -> None:
    """Distributed mode: B and A crawled by different machines (ARCHIVE_DIRs), one Redis."""
    prefix = f"test:synd:{uuid.uuid4().hex}:"
    extra = {
        "DEDUP_BACKEND": "redis",
        "DEDUP_REDIS_URL": redis_url,
        "DEDUP_REDIS_PREFIX": prefix + "dedup:",
        "NEARDUP_REDIS_PREFIX": prefix + "neardup:",
        "NEWS_RECHECK_REDIS_PREFIX": prefix + "recheck:",
    }
    try:
        b = site_server(root=SITE_B)
        a = site_server(root=SITE_A)
        crawl(b, tmp_path / "machine-1", extra)
        crawl(a, tmp_path / "machine-2", extra)
        assert not (tmp_path / "machine-2" / "index" / "neardup.sqlite3").exists()
        records = read_jsonl(tmp_path / "machine-1" / "json")
        records += read_jsonl(tmp_path / "machine-2" / "json")
        assert_valid(records)
        assert_late_links(records, read_jsonl(tmp_path / "machine-2" / "links"))
        client = redis.Redis.from_url(redis_url)
        assert int(client.get(prefix + "neardup:count") or 0) == 15
        client.close()
    finally:
        clean(redis_url, prefix)
    assert not list(redis.Redis.from_url(redis_url).scan_iter(match=f"{prefix}*"))
