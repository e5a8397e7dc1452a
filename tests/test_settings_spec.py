"""vnnews.config.SPEC declares every setting of settings.py, and bad values are one clear line.

Pure checks (no crawl): the spec and settings.py name the same settings, the project's own
defaults pass, each kind of bad value fails naming the setting, the value and what is
allowed, and docs/settings.md lists every setting and every exit code.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from tests.test_settings_reads import declared
from vnnews.config import (
    BY_NAME,
    SPEC,
    SettingError,
    check_archive_dir,
    check_environment,
    check_redis,
    unknown_names,
    validate,
)
from vnnews.outcome import EXIT_CODES, exit_code

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "settings.md"


def project_settings() -> dict[str, Any]:
    from scrapy.utils.project import get_project_settings

    return dict(get_project_settings())


def test_spec_and_settings_py_name_the_same_settings() -> None:
    spec = {s.name for s in SPEC}
    missing = sorted(declared() - spec)
    extra = sorted(spec - declared())
    assert not missing, f"declared in settings.py but not in vnnews/config.py SPEC: {missing}"
    assert not extra, f"in vnnews/config.py SPEC but not declared in settings.py: {extra}"


def test_every_setting_has_a_meaning() -> None:
    assert all(s.meaning.strip() and "\n" not in s.meaning for s in SPEC)


def test_the_project_defaults_pass() -> None:
    validate(project_settings())


BAD: list[tuple[str, Any, str]] = [
    ("DEDUP_BACKEND", "foo", "one of 'sqlite', 'redis'"),
    ("WARC_GZIP_LEVEL", "42", "an integer from 1 to 9"),
    ("WARC_GZIP_LEVEL", "0", "an integer from 1 to 9"),
    ("WARC_MAX_SIZE", "abc", "an integer >= 1"),
    ("WARC_MAX_SIZE", "0", "an integer >= 1"),
    ("EXTRACT_POOL", "foo", "one of 'process', 'thread', 'inline'"),
    ("EXTRACT_WORKERS", "-1", "an integer from 1 to 256"),
    ("NEWS_MAX_HOPS", "x", "an integer >= 0"),
    ("NEWS_MAX_PAGINATION", "-3", "an integer >= 0"),
    ("NEWS_MAX_PER_PATTERN", "1.5", "an integer >= 1"),
    ("NEWS_PROFILE_DIRS", "/nonexistent-vnnews-dir", "'/nonexistent-vnnews-dir' does not exist"),
    ("DEDUP_REDIS_URL", "http://127.0.0.1:6379/0", "a redis://, rediss:// or unix:// URL"),
    ("DEDUP_REDIS_URL", "redis://127.0.0.1:notaport/0", "a redis://, rediss:// or unix:// URL"),
    ("DEDUP_REDIS_URL", "redis://127.0.0.1:6379/x", "database 'x' is not a number"),
    ("DEDUP_ENABLED", "maybe", "a boolean"),
    ("DOWNLOAD_DELAY", "-1", "a number >= 0"),
    ("LOG_LEVEL", "LOUD", "one of 'CRITICAL'"),
    ("FEED_EXPORT_ENCODING", "utf-99", "a text encoding"),
    ("JSONL_PREFIX", "../x", "a non-empty name of letters"),
    ("WARC_PREFIX", "", "a non-empty name of letters"),
    ("ITEM_PIPELINES", "[1, 2]", "a dict"),
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD)
def test_a_bad_value_is_one_line_naming_setting_value_and_what_is_allowed(
    name: str, value: Any, allowed: str
) -> None:
    settings = {**project_settings(), name: value}
    with pytest.raises(SettingError) as caught:
        validate(settings)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"setting {name}={value!r}")
    assert allowed in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEDUP_BACKEND", "Redis"),  # the back end name is not case-sensitive
        ("WARC_GZIP_LEVEL", "9"),
        ("DEDUP_ENABLED", "false"),
        ("DEDUP_REDIS_URL", "unix:///run/redis.sock"),
        ("NEWS_PROFILE_DIRS", "tests"),
        ("LOG_LEVEL", "debug"),
        ("REDIS_URL", ""),
    ],
)
def test_good_values_pass(name: str, value: Any) -> None:
    validate({**project_settings(), name: value})


def test_a_typo_in_a_project_setting_name_is_caught() -> None:
    with pytest.raises(SettingError, match="no such setting; did you mean DEDUP_BACKEND"):
        unknown_names({"DEDUP_BACKNED": "redis"})
    unknown_names({"HTTPCACHE_ENABLED": "1", "CLOSESPIDER_ITEMCOUNT": "3"})  # Scrapy's own


def test_archive_dir_that_is_a_file_or_under_a_file(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    for bad in (afile, afile / "archive"):
        with pytest.raises(SettingError, match="ARCHIVE_DIR=") as caught:
            check_archive_dir({"ARCHIVE_DIR": str(bad)})
        assert "not a directory" in str(caught.value)
    made = check_archive_dir({"ARCHIVE_DIR": str(tmp_path / "new" / "archive")})
    assert made.is_dir() and list(made.iterdir()) == []  # the write probe leaves nothing


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_redis_where_nothing_listens_is_an_error_at_start(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(SettingError, match="does not answer") as caught:
        check_redis({"DEDUP_REDIS_URL": url}, timeout=2)
    assert str(caught.value).startswith(f"setting DEDUP_REDIS_URL={url!r}")
    settings = {"ARCHIVE_DIR": str(tmp_path), "DEDUP_ENABLED": True, "DEDUP_BACKEND": "redis"}
    with pytest.raises(SettingError):
        check_environment({**settings, "DEDUP_REDIS_URL": url})
    check_environment({**settings, "DEDUP_BACKEND": "sqlite", "DEDUP_REDIS_URL": url})


def test_exit_codes_from_stats() -> None:
    assert exit_code({"finish_reason": "finished", "downloader/response_count": 3})[0] == 0
    assert exit_code({"finish_reason": "dedup_unavailable"})[0] == 4
    assert exit_code({"finish_reason": "finished", "archive/write_errors": 2})[0] == 3
    failed = {
        "finish_reason": "finished",
        "downloader/exception_count": 2,
        "downloader/exception_type_count/twisted.internet.error.ConnectionRefusedError": 2,
    }
    code, message = exit_code(failed)
    assert code == 5 and "ConnectionRefusedError" in message
    robots_only = {
        "finish_reason": "finished",
        "downloader/exception_count": 2,
        "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest": 2,
    }
    assert exit_code(robots_only)[0] == 0  # forbidden by robots.txt is not a failure
    cache_only = {**robots_only, "httpcache/ignore": 2}  # offline re-run: nothing archived
    code, message = exit_code(cache_only)
    assert code == 5 and "HTTP cache" in message
    assert exit_code({**cache_only, "downloader/response_count": 1})[0] == 0
    assert exit_code({"finish_reason": "shutdown", "downloader/response_count": 1})[0] == 6


def test_docs_list_every_setting_and_exit_code() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [s.name for s in SPEC if f"`{s.name}`" not in text]
    assert not missing, f"docs/settings.md does not list: {missing} (run tools/settings_doc.py)"
    for code, (name, _) in EXIT_CODES.items():
        assert f"| {code} | {name} |" in text, f"exit code {code} missing from docs/settings.md"
    assert text == render_docs_tables(text), "docs/settings.md is stale: run tools/settings_doc.py"


def render_docs_tables(text: str) -> str:
    from tools.settings_doc import render

    return render(text)


def test_spec_lookup_is_complete() -> None:
    assert set(BY_NAME) == {s.name for s in SPEC} and len(BY_NAME) == len(SPEC)
