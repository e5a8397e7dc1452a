"""The near-duplicate index (archive.neardup) on SQLite and on a real Redis.

Signatures are real MinHash signatures of real (fixture) article texts; both back ends answer
the same questions the same way, persist across reopening, and refuse other parameters.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import subprocess
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from archive.neardup import (
    DocEntry,
    LshParams,
    NearDupConfigError,
    NearDupIndex,
    RedisNearDupIndex,
    SqliteNearDupIndex,
    shingles,
    words,
)

SOURCE = Path(__file__).resolve().parent / "sites" / "nhandan_articles.toml"
PARAMS = LshParams.for_threshold(0.5, 128, 1, 3)


def texts() -> list[str]:
    data = tomllib.loads(SOURCE.read_text(encoding="utf-8"))
    return [a["lead"] + "\n\n" + a["body"] for a in data["article"] if "title" in a]


def entry(n: int, host: str = "a.example") -> DocEntry:
    url = f"https://{host}/bai-{n}.html"
    return DocEntry(id=f"{n:032d}".replace("0", "a"), url=url, canonical_url=url, site=None)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """127.0.0.1:6379 if it answers, else a private redis-server on a free port (by PID)."""
    default = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(default, socket_connect_timeout=1).ping()
        yield default
        return
    except redis.RedisError:
        pass
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"redis://127.0.0.1:{port}/0"
        for _ in range(50):
            with contextlib.suppress(redis.RedisError):
                redis.Redis.from_url(url).ping()
                break
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(5)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def clean(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["sqlite", "redis"])
def make_index(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., NearDupIndex]]:
    """A factory: the same index reopened each call (with optional other params)."""
    opened: list[NearDupIndex] = []
    prefix = f"test:neardup:{uuid.uuid4().hex}:"
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""

    def make(params: LshParams = PARAMS) -> NearDupIndex:
        index: NearDupIndex
        if request.param == "sqlite":
            index = SqliteNearDupIndex(tmp_path / "index" / "neardup.sqlite3", params)
        else:
            index = RedisNearDupIndex.from_url(url, params, prefix)
        opened.append(index)
        return index

    yield make
    for index in opened:
        with contextlib.suppress(Exception):
            index.close()
    if url:
        clean(url, prefix)
        leftover = list(redis.Redis.from_url(url).scan_iter(match=f"{prefix}*"))
        assert not leftover


def test_words_are_normalised() -> None:
    assert words("Thủ tướng  NGUYỄN\u00a0Tấn Dũng, biểu dương!") == [
        "thủ",
        "tướng",
        "nguyễn",
        "tấn",
        "dũng",
        "biểu",
        "dương",
    ]
    decomposed = "Thu\u0309 tu\u031bo\u031b\u0301ng"  # the same words, decomposed tone marks
    assert shingles(decomposed, 2) == shingles("Thủ tướng", 2) == {"thủ tướng".encode()}
    assert shingles("", 3) == set()


def test_copies_found_others_not(make_index: Callable[..., NearDupIndex]) -> None:
    index = make_index()
    corpus = texts()
    for n, text in enumerate(corpus):
        assert index.add(entry(n), index.signer.signature(text))
    assert index.count() == len(corpus)
    # a verbatim copy finds its original only, similarity 1
    for n in (0, 5, 11):
        matches = index.query(index.signer.signature(corpus[n]), 0.5)
        assert [(m.entry.id, m.similarity) for m in matches] == [(entry(n).id, 1.0)]
    # a lightly edited copy (a sentence dropped, one added) still finds it, below 1
    paragraphs = corpus[3].split("\n\n")
    edited = "\n\n".join([*paragraphs[:-1], "Một câu mới hoàn toàn được thêm vào cuối bài."])
    matches = index.query(index.signer.signature(edited), 0.5)
    assert [m.entry.id for m in matches] == [entry(3).id]
    assert 0.5 <= matches[0].similarity < 1.0
    # an unrelated text finds nothing
    assert index.query(index.signer.signature("Hôm nay trời nắng đẹp ở Sa Pa."), 0.5) == []


def test_persists_and_refuses_other_params(make_index: Callable[..., NearDupIndex]) -> None:
    first = make_index()
    text = texts()[2]
    doc = entry(2)
    assert first.add(doc, first.signer.signature(text))
    assert not first.add(doc, first.signer.signature(text))  # same id: stored once
    first.close()
    again = make_index()
    assert again.count() == 1
    assert again.get(doc.id) == doc
    assert [m.entry for m in again.query(again.signer.signature(text), 0.9)] == [doc]
    other = LshParams.for_threshold(0.5, 64, 1, 3)
    with pytest.raises(NearDupConfigError, match="NEARDUP_"):
        make_index(other)


def test_urls_and_origin(make_index: Callable[..., NearDupIndex]) -> None:
    index = make_index()
    original = entry(1)
    copy = DocEntry(
        id="b" * 32,
        url="https://b.example/copy.html",
        canonical_url=original.url,  # rel=canonical to the original on another host
    )
    sig = index.signer.signature(texts()[1])
    index.add(original, sig)
    index.add(copy, sig)
    assert {e.id for e in index.find_by_url(original.url)} == {original.id, copy.id}
    assert [e.id for e in index.find_by_url(copy.url)] == [copy.id]
    assert index.find_by_url("https://nowhere.example/") == []
    assert index.set_origin(copy.id, original.id)
    assert not index.set_origin(copy.id, "c" * 32)  # the first origin stays
    got = index.get(copy.id)
    assert got is not None and got.origin == original.id
    assert not index.set_origin("d" * 32, original.id)  # unknown record


def test_sqlite_lookups_use_the_bucket_index(tmp_path: Path) -> None:
    """A lookup reads the bands table by its primary key, never by a scan."""
    path = tmp_path / "neardup.sqlite3"
    SqliteNearDupIndex(path, PARAMS).close()
    db = sqlite3.connect(path)
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT n, COUNT(*) FROM bands WHERE bucket IN (1, 2, 3) GROUP BY n"
    ).fetchall()
    details = " ".join(str(row[-1]) for row in plan)
    assert "USING PRIMARY KEY (bucket=?)" in details or "USING COVERING INDEX" in details, details
    assert "SCAN" not in details


def test_bad_params_are_one_line() -> None:
    with pytest.raises(NearDupConfigError, match="NEARDUP_THRESHOLD"):
        LshParams.for_threshold(1.5, 128, 1, 3)
    with pytest.raises(NearDupConfigError, match="NEARDUP_NUM_PERM"):
        LshParams.for_threshold(0.5, 1, 1, 3)
