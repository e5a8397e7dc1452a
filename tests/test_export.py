"""``scrapy export``: records of a crawled archive to JSON Lines, CSV and Parquet.

The archive is real: the two syndication fixture sites crawled copy-first (so five links
exist only in links/*.jsonl until export merges them), then site A again a day later (one
article gets a version 2). Parquet is read back with DuckDB and pandas.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import pytest
from jsonschema import Draft202012Validator

from commands.export import COLUMNS, ArchivePaths, Query, export, host_key
from pipelines.schema import SCHEMA_VERSION, load_schema
from tests.conftest import REPO_ROOT, SITES, run_crawl, start_server, stop_process

EXPECTED = json.loads((SITES / "synd_b" / "expected.json").read_text(encoding="utf-8"))
SETTINGS = {"EXTRACT_POOL": "inline", "MONITOR_FAIL_ON_DRIFT": False}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """B, then A, then A a day later (A3 corrected), into one ARCHIVE_DIR."""
    root = tmp_path_factory.mktemp("export")
    a = start_server(SITES / "synd_a", root / "a.log")
    b = start_server(SITES / "synd_b", root / "b.log")
    servers = [a, b]
    try:
        for site, extra in ((b, {}), (a, {})):
            done = run_crawl(["-a", f"start_urls={site.url}/"], root / "arch", SETTINGS | extra)
            assert done.returncode == 0, done.stderr[-2000:]
        snapshot = root / "before-v2"  # the archive before A's second run
        shutil.copytree(root / "arch", snapshot)
        a.stop()
        a2 = start_server(SITES / "synd_a", root / "a2.log", SITES / "synd_a_v2", a.port)
        servers.append(a2)
        extra = SETTINGS | {"NEWS_RECHECK": "all"}
        done = run_crawl(["-a", f"start_urls={a2.url}/"], root / "arch", extra)
        assert done.returncode == 0, done.stderr[-2000:]
        yield {"dir": root / "arch", "before_v2": snapshot, "a": a.url, "b": b.url, "a2": a2}
    finally:
        for server in servers:
            stop_process(server.process)


def cli(archive_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "scrapy", "export", "-s", f"ARCHIVE_DIR={archive_dir}", *args]
    return subprocess.run(
        cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_parquet_reads_back_in_duckdb_and_pandas(archive: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "records.parquet"
    done = cli(archive["dir"], "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "exported 15 records" in done.stderr  # latest versions: 8 + 7 articles

    a_site, b_site = host_key(archive["a"]), host_key(archive["b"])
    dirs = sorted(str(p.relative_to(out).parent) for p in out.rglob("*.parquet"))
    assert f"site={a_site}/day=2024-06-10" in dirs and f"site={b_site}/day=2024-06-12" in dirs

    con = duckdb.connect()
    glob = f"{out}/**/*.parquet"
    rows = con.execute(
        f"SELECT site, count(*), count(syndicated_from), sum(len(syndicated_to)),"
        f" min(schema_version), max(schema_version)"
        f" FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY site ORDER BY site"
    ).fetchall()
    assert sorted(rows) == sorted(
        [
            (a_site, 7, 0, 5, SCHEMA_VERSION, SCHEMA_VERSION),
            (b_site, 8, 5, 0, SCHEMA_VERSION, SCHEMA_VERSION),
        ]
    )
    meta = con.execute(
        f"SELECT DISTINCT decode(value) FROM parquet_kv_metadata('{glob}')"
        " WHERE decode(key) = 'vnnews.schema_version'"
    ).fetchall()
    assert meta == [(SCHEMA_VERSION,)]
    # nested columns are typed: the link's rule is a struct field, not JSON text
    rules = con.execute(
        f"SELECT syndicated_from.decided_by AS rule, count(*)"
        f" FROM read_parquet('{glob}', hive_partitioning = true)"
        " WHERE syndicated_from IS NOT NULL GROUP BY rule ORDER BY rule"
    ).fetchall()
    assert rules == [("attribution", 2), ("earlier_published", 3)]

    df = pd.read_parquet(out)
    assert len(df) == 15 and df["id"].is_unique
    assert set(df["site"].astype(str)) == {a_site, b_site}
    assert str(df["published_utc"].dtype).startswith("datetime64") and "UTC" in str(
        df["published_utc"].dtype
    )
    copies = {path_of(u): s for u, s in zip(df["url"], df["syndicated_from"], strict=True)}
    originals = {path_of(u): i for u, i in zip(df["url"], df["id"], strict=True)}
    for copy in EXPECTED["copies"]:
        source = copies[copy["copy"]]
        assert path_of(source["url"]) == copy["original"]
        assert source["decided_by"] == copy["decided_by"]
        if copy["original"] != EXPECTED["a_corrected"]:
            assert source["id"] == originals[copy["original"]]
        else:  # the copy names the version it copied (v1); the latest is v2
            assert source["id"] != originals[copy["original"]]
    corrected = df[df["url"].str.endswith(EXPECTED["a_corrected"])]
    assert list(corrected["version"]) == [2]  # latest version only


def test_jsonl_and_csv(archive: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    done = cli(archive["dir"], "-o", str(out), "--all-versions")
    assert done.returncode == 0, done.stderr
    records = read_jsonl(out)
    assert len(records) == 16  # A3 in two versions
    validator = Draft202012Validator(load_schema())
    for record in records:
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(record)]
        assert not errors, (record["url"], errors)
    assert {r["schema_version"] for r in records} == {SCHEMA_VERSION}
    linked = [r for r in records if r["syndicated_from"]]
    assert len(linked) == 5  # the copies, written before their originals: linked by export

    out_csv = tmp_path / "latest.csv"
    done = cli(archive["dir"], "-o", str(out_csv))
    assert done.returncode == 0, done.stderr
    with out_csv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == 15
    by_url = {path_of(r["url"]): r for r in rows}
    first = EXPECTED["copies"][0]
    source = json.loads(by_url[first["copy"]]["syndicated_from"])
    assert source["decided_by"] == "attribution"
    assert path_of(source["url"]) == first["original"]
    assert json.loads(by_url[first["original"]]["syndicated_to"])[0]["decided_by"] == (
        "attribution"
    )


def test_site_and_time_filters(archive: dict[str, Any], tmp_path: Path) -> None:
    paths = ArchivePaths.of(archive["dir"])
    out = tmp_path / "x.jsonl"

    def ids(query: Query) -> list[str]:
        export(paths, str(out), "jsonl", query)
        return [path_of(r["url"]) for r in read_jsonl(out)]

    b_only = ids(Query(sites={host_key(archive["b"])}))
    assert sorted(b_only) == sorted([c["copy"] for c in EXPECTED["copies"]] + EXPECTED["own"])
    # host:port, as the run reports and `scrapy sites` name a site on an explicit port
    assert ids(Query(sites={urlsplit(archive["b"]).netloc})) == b_only
    from commands.export import parse_time

    day_10 = ids(Query(since=parse_time("2024-06-10", ""), until=parse_time("2024-06-11", "")))
    assert len(day_10) == 5  # A1, A2, B1 and the copies of A1 and A2 (B-c2 dated 08:40)
    late = ids(Query(since=parse_time("2024-06-12T15:00", ""), sites={host_key(archive["b"])}))
    assert sorted(late) == sorted(
        [EXPECTED["copies"][4]["copy"], EXPECTED["own"][2]]
    )  # B-c5 15:00 and B3 18:10, +07:00
    assert ids(Query(since=parse_time("2999-01-01", ""), time_field="fetched_at")) == []

    # an empty Parquet export still opens in DuckDB and pandas
    empty = tmp_path / "empty.parquet"
    export(paths, str(empty), "parquet", Query(sites={"no-such-site"}))
    glob = f"{empty}/**/*.parquet"
    got = duckdb.execute(f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning = true)")
    assert got.fetchall() == [(0,)]
    assert len(pd.read_parquet(empty)) == 0


def test_since_last_gives_each_record_once(archive: dict[str, Any], tmp_path: Path) -> None:
    """A polling consumer: everything, then nothing, then only what a new run added."""
    arch = tmp_path / "arch"
    shutil.copytree(archive["before_v2"], arch)
    polls = []
    for n in range(2):
        out = tmp_path / f"poll-{n}.jsonl"
        done = cli(arch, "-o", str(out), "--since-last", "search-index")
        assert done.returncode == 0, done.stderr
        polls.append(read_jsonl(out))
    assert [len(p) for p in polls] == [15, 0]
    state = json.loads((arch / "exports" / "search-index.json").read_text(encoding="utf-8"))
    assert len(state["files"]) == 2

    # the new run's record file (A's second run) arrives: only its record is new
    new_files = set((archive["dir"] / "json").iterdir())
    new_files -= {archive["dir"] / "json" / p.name for p in (arch / "json").iterdir()}
    assert len(new_files) == 1
    shutil.copy(new_files.pop(), arch / "json")
    out = tmp_path / "poll-2.jsonl"
    done = cli(arch, "-o", str(out), "--since-last", "search-index")
    assert done.returncode == 0, done.stderr
    third = read_jsonl(out)
    assert [(path_of(r["url"]), r["version"]) for r in third] == [(EXPECTED["a_corrected"], 2)]
    seen = [r["id"] for poll in [*polls, third] for r in poll]
    assert len(seen) == len(set(seen))
    # another consumer starts from the beginning
    out = tmp_path / "other.jsonl"
    assert cli(arch, "-o", str(out), "--since-last", "other").returncode == 0
    assert len(read_jsonl(out)) == 15


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "--format 'xml': use one of jsonl, csv, parquet"),
        (["--since", "hôm qua"], "--since 'hôm qua' is not an ISO date"),
        (["--time", "modified"], "--time 'modified': use published or fetched"),
        (["--since-last", "../up"], "--since-last '../up': use letters"),
        (["--since", "2024-06-12", "--until", "2024-06-10"], "--since must be before --until"),
    ],
)
def test_bad_arguments_one_line_and_output_kept(
    archive: dict[str, Any], tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("kept\n", encoding="utf-8")
    done = cli(archive["dir"], "-o", str(out), *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert out.read_text(encoding="utf-8") == "kept\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_failed_export_keeps_the_old_output(archive: dict[str, Any], tmp_path: Path) -> None:
    arch = tmp_path / "arch"
    shutil.copytree(archive["before_v2"], arch)
    out = tmp_path / "out.parquet"
    assert cli(arch, "-o", str(out)).returncode == 0
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    broken = sorted((arch / "json").iterdir())[-1]
    with broken.open("a", encoding="utf-8") as fh:
        fh.write('{"id": "cut off\n')
    done = cli(arch, "-o", str(out), "--since-last", "job")
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: ") and "not JSON" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arch", "out.parquet"]
    assert not (arch / "exports" / "job.json").exists()  # the consumer did not move on


def test_a_copy_naming_its_original_on_another_site_is_its_own_article(
    archive: dict[str, Any], tmp_path: Path
) -> None:
    """Latest-only export keys articles as the crawl's dedup does (vnnews.urlcanon.article_key):
    a copy whose rel=canonical names an original on another site is not an old version of it."""
    root = tmp_path / "arch"
    shutil.copytree(archive["dir"], root)
    records = [r for f in sorted((root / "json").glob("*.jsonl")) for r in read_jsonl(f)]
    v2 = next(r for r in records if r["version"] == 2)
    copy = {**v2, "url": "http://copy.example.vn/ban-sao.html", "id": "copyid", "version": 1,
            "previous": None, "canonical_url": v2["canonical_url"]}  # fmt: skip
    (root / "json" / "zz-copy.jsonl").write_text(json.dumps(copy) + "\n", encoding="utf-8")
    out = tmp_path / "latest.jsonl"
    done = cli(root, "-o", str(out))
    assert done.returncode == 0, done.stderr
    latest = read_jsonl(out)
    assert len(latest) == 16
    assert {r["id"] for r in latest} >= {"copyid", v2["id"]}
