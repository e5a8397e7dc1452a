"""archive.recheck: the re-check policy, source-change rules, and the store on SQLite and Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from scrapy.settings import Settings

from archive.recheck import (
    ARTICLE,
    MAX_TITLES,
    PAGE,
    RecheckPolicy,
    RecheckStore,
    RedisRecheckStore,
    SqliteRecheckStore,
    UrlState,
    changed_by_source,
    open_recheck_store,
    parse_source_date,
    title_digest,
)
from vnnews.durations import format_duration, parse_duration
from vnnews.paths import ArchivePaths
from vnnews.profiles import ProfileError, load_profile

T0 = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
DEFAULT = RecheckPolicy.parse(["1h", "6h", "1d", "3d", "7d"])


def state(**kw: object) -> UrlState:
    values: dict[str, object] = {
        "url": "https://nhandan.vn/a-post1.html",
        "kind": ARTICLE,
        "first_seen": T0,
        "last_checked": T0,
    }
    values.update(kw)
    return UrlState(**values)  # type: ignore[arg-type]


# -- durations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("6h", timedelta(hours=6)),
        ("1d", timedelta(days=1)),
        ("2w", timedelta(days=14)),
        ("1h30m", timedelta(minutes=90)),
        ("3600", timedelta(hours=1)),
        (45, timedelta(seconds=45)),
        (" 1D ", timedelta(days=1)),
    ],
)
def test_parse_duration(text: str | int, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["", "soon", "1y", "-5m", "0", "h1", "1h junk", True])
def test_parse_duration_rejects_with_the_value_named(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)  # type: ignore[arg-type]


def test_format_duration_round_trips() -> None:
    for text in ("90s", "15m", "1h30m", "1d", "2w", "1w2d3h"):
        assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)


# -- policy ----------------------------------------------------------------------------------


def test_due_at_each_age_after_publication_then_never() -> None:
    published = T0
    checked_at_capture = state(
        published=published, first_seen=T0, last_checked=T0 + timedelta(minutes=10)
    )
    # captured 10 minutes after publication: the 1 h re-check is next
    assert DEFAULT.next_due(checked_at_capture) == T0 + H
    assert not DEFAULT.is_due(checked_at_capture, T0 + timedelta(minutes=50))
    assert DEFAULT.is_due(checked_at_capture, T0 + H)
    # checked at 1 h 5 min: the next is at 6 h
    after_first = state(published=published, last_checked=T0 + timedelta(minutes=65))
    assert DEFAULT.next_due(after_first) == T0 + 6 * H
    assert not DEFAULT.is_due(after_first, T0 + 5 * H)
    # a run that missed several ages re-checks once, then waits for the next age
    late = state(published=published, last_checked=T0 + 2 * H)
    assert DEFAULT.is_due(late, T0 + 4 * D)
    rechecked = state(published=published, last_checked=T0 + 4 * D)
    assert DEFAULT.next_due(rechecked) == T0 + 7 * D
    # past the last age: never again
    done = state(published=published, last_checked=T0 + 8 * D)
    assert DEFAULT.next_due(done) is None
    assert not DEFAULT.is_due(done, T0 + 1000 * D)


def test_old_article_first_seen_now_is_never_due() -> None:
    old = state(published=datetime(2015, 1, 15, tzinfo=UTC), first_seen=T0, last_checked=T0)
    assert DEFAULT.next_due(old) is None
    assert not DEFAULT.is_due(old, T0 + 365 * D)


def test_unknown_publication_date_ages_from_first_sighting() -> None:
    unknown = state(published=None, first_seen=T0, last_checked=T0)
    assert DEFAULT.next_due(unknown) == T0 + H
    assert DEFAULT.is_due(unknown, T0 + 2 * H)


def test_policy_sorts_and_rejects() -> None:
    assert RecheckPolicy.parse(["1d", "1h"]).after == (H, D)
    assert RecheckPolicy.parse([]).next_due(state()) is None
    with pytest.raises(ValueError, match="'often'"):
        RecheckPolicy.parse(["1h", "often"])


# -- what sources say --------------------------------------------------------------------------


def test_lastmod_newer_than_the_last_check_is_a_change_once() -> None:
    s = state(last_checked=T0)
    assert changed_by_source(s, dates=[T0 - D]) is None
    assert changed_by_source(s, dates=[None, T0 + H]) == "date"
    # a future lastmod we already re-fetched for is not a change again
    future = T0 + 1000 * D
    refetched = state(last_checked=T0 + H, source_mark=future)
    assert changed_by_source(refetched, dates=[future]) is None
    assert changed_by_source(refetched, dates=[future + H]) == "date"
    # a lastmod that moved counts even when both values are older than our last check
    # (a fixture's or a site's clock far behind ours)
    old_mark = state(last_checked=T0, source_mark=T0 - 3 * D)
    assert changed_by_source(old_mark, dates=[T0 - 3 * D]) is None
    assert changed_by_source(old_mark, dates=[T0 - 2 * D]) == "date"


def test_new_title_is_a_change_only_when_titles_are_known() -> None:
    old = title_digest("Hà Nội sẵn sàng cho ngày bầu cử")
    assert changed_by_source(state(), titles=[title_digest("Anything")]) is None
    known = state(titles=(old,))
    assert (
        changed_by_source(known, titles=[title_digest("  hà nội  SẴN sàng cho ngày bầu cử ")])
        is None
    )
    assert changed_by_source(known, titles=[title_digest("Hà Nội hoãn bầu cử")]) == "title"


def test_titles_kept_newest_and_bounded() -> None:
    s = state()
    for n in range(MAX_TITLES + 5):
        s = s.with_titles([title_digest(f"title number {n}")])
    assert len(s.titles) == MAX_TITLES
    assert s.titles[-1] == title_digest(f"title number {MAX_TITLES + 4}")
    assert title_digest("title number 0") not in s.titles


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-05-06T09:00:00+07:00", datetime(2021, 5, 6, 2, 0, tzinfo=UTC)),
        ("2021-05-06T02:00:00Z", datetime(2021, 5, 6, 2, 0, tzinfo=UTC)),
        ("2021-05-06T02:00:00", datetime(2021, 5, 6, 2, 0, tzinfo=UTC)),
        ("2021-05-06", datetime(2021, 5, 7, tzinfo=UTC)),  # end of that day
        ("Thu, 06 May 2021 09:00:00 +0700", datetime(2021, 5, 6, 2, 0, tzinfo=UTC)),
        ("yesterday-ish", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_source_date(value: str | None, expected: datetime | None) -> None:
    assert parse_source_date(value) == expected


# -- the store, on both back ends ----------------------------------------------------------------


def _clean(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecheckStore]:
    if request.param == "sqlite":
        sqlite_store = SqliteRecheckStore(ArchivePaths.of(tmp_path).recheck_db)
        yield sqlite_store
        sqlite_store.close()
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"test-recheck-{uuid.uuid4().hex}:"
    redis_store = RedisRecheckStore.from_url(url, prefix=prefix)
    yield redis_store
    redis_store.close()
    _clean(url, prefix)


def test_store_round_trip_per_site(store: RecheckStore) -> None:
    a = state(
        url="https://nhandan.vn/a-post1.html",
        published=T0 - H,
        source_mark=T0 + D,
        titles=(title_digest("Một tiêu đề đủ dài"),),
    )
    b = state(url="https://nhandan.vn/thoi-su/", kind=PAGE)
    assert store.get_many("nhandan", [a.url, b.url]) == {}
    store.put_many("nhandan", [a, b])
    assert store.get("nhandan", a.url) == a
    assert store.get_many("nhandan", [a.url, b.url, "https://nhandan.vn/x"]) == {a.url: a, b.url: b}
    assert store.count("nhandan") == 2
    # another site's state is separate
    assert store.get("dantri", a.url) is None
    assert store.count("dantri") == 0
    # replace
    newer = UrlState(**{**a.__dict__, "last_checked": T0 + 2 * D})
    store.put("nhandan", newer)
    assert store.get("nhandan", a.url) == newer
    assert store.count("nhandan") == 2


def test_store_many_urls_in_one_lookup(store: RecheckStore) -> None:
    states = [state(url=f"https://nhandan.vn/bai-{n}-post{n}.html") for n in range(1500)]
    store.put_many("nhandan", states)
    found = store.get_many("nhandan", [s.url for s in states[::3]] + ["https://nhandan.vn/none"])
    assert len(found) == 500
    assert found[states[3].url] == states[3]


def test_sqlite_store_survives_reopen(tmp_path: Path) -> None:
    path = ArchivePaths.of(tmp_path).recheck_db
    first = SqliteRecheckStore(path)
    first.put("nhandan", state())
    first.close()
    again = SqliteRecheckStore(path)
    assert again.get("nhandan", state().url) == state()
    again.close()


def test_open_recheck_store_follows_the_dedup_backend(tmp_path: Path, redis_url: str) -> None:
    sqlite_store = open_recheck_store(
        Settings({"DEDUP_BACKEND": "sqlite", "ARCHIVE_DIR": str(tmp_path)})
    )
    assert isinstance(sqlite_store, SqliteRecheckStore)
    assert sqlite_store.path == tmp_path / "index" / "recheck.sqlite3"
    sqlite_store.close()
    prefix = f"test-recheck-{uuid.uuid4().hex}:"
    settings = {
        "DEDUP_BACKEND": "redis",
        "DEDUP_REDIS_URL": redis_url,
        "NEWS_RECHECK_REDIS_PREFIX": prefix,
    }
    redis_store = open_recheck_store(Settings(settings))
    assert isinstance(redis_store, RedisRecheckStore)
    redis_store.put("nhandan", state())
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    assert client.hlen(prefix + "nhandan") == 1
    client.close()
    redis_store.close()
    _clean(redis_url, prefix)
    with pytest.raises(ValueError, match="DEDUP_BACKEND"):
        open_recheck_store(Settings({"DEDUP_BACKEND": "mongo", "ARCHIVE_DIR": str(tmp_path)}))


# -- profile fields --------------------------------------------------------------------------------


def _profile(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "mysite.toml"
    path.write_text(f'publisher = "Báo Mẫu"\ndomains = ["mau.vn"]\n{extra}\n', encoding="utf-8")
    return path


def test_profile_recheck_and_schedule_fields(tmp_path: Path) -> None:
    profile = load_profile(
        _profile(tmp_path, '[recheck]\nafter = ["30m", "2h", "1d"]\n[schedule]\nevery = "15m"\n')
    )
    assert profile.recheck_after == ("30m", "2h", "1d")
    assert profile.schedule_every == "15m"
    assert profile.schedule_cron == ""
    plain = load_profile(_profile(tmp_path, ""))
    assert plain.recheck_after == ()
    assert plain.schedule_every == plain.schedule_cron == ""


def test_profile_bad_recheck_age_names_file_and_value(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"mysite\.toml.*'often'"):
        load_profile(_profile(tmp_path, '[recheck]\nafter = ["1h", "often"]\n'))
    with pytest.raises(ProfileError, match=r"mysite\.toml.*'daily'"):
        load_profile(_profile(tmp_path, '[schedule]\nevery = "daily"\n'))


def test_site_key_is_one_safe_path_component() -> None:
    from spiders.incremental import site_key

    for url in ("http://../", "http://./", "http://.../x", "http://-._/"):
        key = site_key(None, [url])
        assert key not in ("", ".", "..") and "/" not in key and not key.startswith(".")
    assert site_key(None, ["https://www.nhandan.vn/"]) == "nhandan.vn"
    assert site_key("nhandan", []) == "nhandan"


def test_clear_jobdir_removes_only_a_job_directory(tmp_path: Path) -> None:
    from spiders.incremental import clear_jobdir

    archive = tmp_path / "archive"
    (archive / "warc").mkdir(parents=True)
    (archive / "warc" / "keep.warc.gz").write_bytes(b"x")
    job = archive / "jobs" / "site"
    job.mkdir(parents=True)
    (job / "requests.seen").write_text("fp\n")
    clear_jobdir(archive / "jobs" / "..")  # resolves to the archive itself: refused
    clear_jobdir(archive)
    assert (archive / "warc" / "keep.warc.gz").exists()
    clear_jobdir(job)
    assert not job.exists() and (archive / "warc" / "keep.warc.gz").exists()
