"""Every project setting, declared once: name, type, allowed values and meaning.

``settings.py`` holds the defaults; this module holds what each setting may be, so a
wrong value stops the crawl at start-up with one line naming the setting, the value
and what is allowed (:class:`SettingError`), instead of a component quietly
disabling itself or a traceback from deep inside a worker thread.

Pure: no Scrapy import. :func:`validate` takes any mapping with ``get()`` (a Scrapy
``Settings`` object, a ``dict``) and parses values the way Scrapy's typed getters do
(``-s NAME=VALUE`` values arrive as strings). :func:`check_environment` adds the
checks that look outside the process: the archive directory can be written and the
Redis dedup back end answers.
"""

from __future__ import annotations

import codecs
import difflib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from vnnews.durations import parse_duration

#: Prefixes of the project's own settings; an unknown name with one of them is a typo.
PROJECT_PREFIXES = (
    "ARCHIVE_",
    "WARC_",
    "DEDUP_",
    "EXTRACT_",
    "NEWS_",
    "JSONL_",
    "WAYBACK_",
    "NEARDUP_",
    "MONITOR_",
    "RESOURCES_",
)


class SettingsLike(Protocol):
    def get(self, name: str, default: Any = None) -> Any: ...


class SettingError(ValueError):
    """A setting's value is not allowed. ``str()`` is the one line to show the user."""

    def __init__(self, name: str, value: Any, allowed: str, problem: str = "") -> None:
        self.name, self.value, self.allowed = name, value, allowed
        if problem:  # the value is well-formed, but what it names does not work
            super().__init__(f"setting {name}={_show(value)}: {problem}")
        else:
            super().__init__(f"setting {name}={_show(value)} is not allowed: {allowed}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


# -- parsing as Scrapy's getters do ------------------------------------------------------

_TRUE = {"1", "true", "True"}
_FALSE = {"0", "false", "False"}


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip() in _TRUE | _FALSE:
        return value.strip() in _TRUE
    raise ValueError


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    raise ValueError


def as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        number = float(value.strip())
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError
        return number
    raise ValueError


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    raise ValueError


def as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        parsed = json.loads(value) if value.strip() else {}
        if not isinstance(parsed, dict):
            raise ValueError
        return parsed
    if isinstance(value, Mapping):
        return dict(value)
    raise ValueError


# -- the declaration -----------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One setting: its type (``kind``), what is allowed, and a one-line meaning."""

    name: str
    kind: str  # bool | int | float | str | choice | list | dict | dirs | archive_dir | redis_url
    meaning: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    nonempty: bool = False
    filename_safe: bool = False
    ignore_case: bool = False
    optional: bool = False  # "" allowed (means: not used)

    def allowed(self) -> str:
        """What may be given, in words (the end of the error line, and the docs)."""
        if self.kind == "bool":
            return "a boolean (True/False, 1/0)"
        if self.kind in ("int", "float"):
            what = "an integer" if self.kind == "int" else "a number"
            if self.low is not None and self.high is not None:
                return f"{what} from {_num(self.low)} to {_num(self.high)}"
            if self.low is not None:
                return f"{what} >= {_num(self.low)}"
            if self.high is not None:
                return f"{what} <= {_num(self.high)}"
            return what
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "list":
            return "a list (or comma-separated string)"
        if self.kind == "dict":
            return "a dict (or JSON object) of component path -> order"
        if self.kind == "dirs":
            return "a list (or comma-separated string) of existing directories"
        if self.kind == "archive_dir":
            return "a path to a writable directory (created if missing)"
        if self.kind == "redis_url":
            return "a redis://, rediss:// or unix:// URL (redis://HOST[:PORT][/DB])"
        if self.kind == "durations":
            return "a list of durations such as '6h', '1d', '1h30m' (comma-separated)"
        if self.kind == "encoding":
            return "a text encoding Python knows (e.g. 'utf-8')"
        if self.filename_safe:
            return "a non-empty name of letters, digits, '.', '_' or '-'"
        return "a non-empty string" if self.nonempty else "a string"

    def check(self, value: Any) -> Any:
        """The parsed value; :class:`SettingError` if it is not allowed."""
        if self.optional and value == "":
            return value
        parse = _PARSERS.get(self.kind)
        try:
            parsed = parse(value) if parse else value
        except (ValueError, TypeError):
            raise SettingError(self.name, value, self.allowed()) from None
        getattr(self, f"_check_{self.kind}", lambda v, p: None)(value, parsed)
        return parsed

    def _fail(self, value: Any, why: str | None = None) -> None:
        raise SettingError(self.name, value, why or self.allowed())

    def _check_int(self, value: Any, number: float) -> None:
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            self._fail(value)

    _check_float = _check_int

    def _check_choice(self, value: Any, parsed: Any) -> None:
        text = str(parsed) if isinstance(parsed, str | int | float) else None
        choices = self.choices
        if text is not None and self.ignore_case:
            text, choices = text.lower(), tuple(c.lower() for c in choices)
        if text not in choices:
            self._fail(value)

    def _check_str(self, value: Any, parsed: Any) -> None:
        if not isinstance(parsed, str):
            self._fail(value)
        if (self.nonempty or self.filename_safe) and not parsed.strip():
            self._fail(value)
        if self.filename_safe and not re.fullmatch(r"[A-Za-z0-9._-]+", parsed):
            self._fail(value)

    def _check_encoding(self, value: Any, parsed: Any) -> None:
        try:
            codecs.lookup(str(parsed))
        except LookupError:
            self._fail(value)

    def _check_durations(self, value: Any, items: list[Any]) -> None:
        for item in items:
            try:
                parse_duration(item.strip() if isinstance(item, str) else item)
            except ValueError:
                self._fail(value, f"{item!r} is not a duration; {self.allowed()}")

    def _check_dirs(self, value: Any, dirs: list[Any]) -> None:
        for entry in dirs:
            path = Path(str(entry).strip())
            if not path.is_dir():
                what = "is a file" if path.exists() else "does not exist"
                self._fail(value, f"directory {str(path)!r} {what}")

    def _check_archive_dir(self, value: Any, parsed: Any) -> None:
        if not isinstance(parsed, str | os.PathLike) or not str(parsed).strip():
            self._fail(value)
        path = Path(parsed)
        if path.exists() and not path.is_dir():
            self._fail(value, f"{str(path)!r} exists and is not a directory")
        for parent in path.parents:
            if parent.exists() and not parent.is_dir():
                self._fail(value, f"{str(parent)!r} is a file, not a directory")

    def _check_redis_url(self, value: Any, parsed: Any) -> None:
        if not isinstance(parsed, str):
            self._fail(value)
        try:
            parts = urlsplit(parsed)
            port = parts.port
        except ValueError:
            self._fail(value)
        if parts.scheme == "unix":
            if not parts.path:
                self._fail(value)
            return
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            self._fail(value)
        if port == 0:
            self._fail(value)
        db = parts.path.strip("/")
        if db and not db.isdigit():
            self._fail(value, f"database {db!r} is not a number; {self.allowed()}")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _as_str(value: Any) -> Any:
    return value


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "bool": as_bool,
    "int": as_int,
    "float": as_float,
    "list": as_list,
    "dict": as_dict,
    "dirs": as_list,
    "durations": as_list,
}

S = Setting
#: Every setting settings.py declares (tests/test_settings_spec.py keeps the two in step).
SPEC: tuple[Setting, ...] = (
    # -- Scrapy project wiring
    S("BOT_NAME", "str", "project name, recorded in warcinfo isPartOf", nonempty=True),
    S("SPIDER_MODULES", "list", "packages Scrapy searches for spiders"),
    S("NEWSPIDER_MODULE", "str", "package `scrapy genspider` writes to", nonempty=True),
    S("COMMANDS_MODULE", "str", "package of the project's scrapy commands", nonempty=True),
    # -- politeness and fetching
    S("ROBOTSTXT_OBEY", "bool", "obey robots.txt"),
    S("USER_AGENT", "str", "User-Agent header sent with every request", nonempty=True),
    S("CONCURRENT_REQUESTS", "int", "requests in flight in total", low=1),
    S("CONCURRENT_REQUESTS_PER_DOMAIN", "int", "requests in flight per domain", low=1),
    S(
        "CONCURRENT_ITEMS",
        "int",
        "outputs of one response processed at once (Scrapy starts this many tasks per"
        " response; its default of 100 cost ~10% of the crawl process's CPU)",
        low=1,
    ),
    S("DOWNLOAD_DELAY", "float", "seconds between requests to one domain", low=0),
    S("AUTOTHROTTLE_ENABLED", "bool", "adapt the delay to the server's latency"),
    S("AUTOTHROTTLE_START_DELAY", "float", "autothrottle's first delay (seconds)", low=0),
    S(
        "AUTOTHROTTLE_TARGET_CONCURRENCY",
        "float",
        "requests autothrottle aims to have in flight per server",
        low=0.01,
    ),
    S("DOWNLOAD_TIMEOUT", "float", "seconds before a download is given up", low=0.001),
    S("RETRY_TIMES", "int", "retries of a failed request", low=0),
    S("DEPTH_LIMIT", "int", "outer bound on link depth (0 = none)", low=0),
    S("DEPTH_PRIORITY", "int", "priority adjustment per depth level (1 = breadth-first)"),
    S("COOKIES_ENABLED", "bool", "keep cookies between requests"),
    S("TELNETCONSOLE_ENABLED", "bool", "Scrapy's telnet console"),
    S(
        "REQUEST_FINGERPRINTER_IMPLEMENTATION",
        "choice",
        "Scrapy request fingerprint version",
        choices=("2.7",),
    ),
    S("TWISTED_REACTOR", "str", "Twisted reactor class (import path)", nonempty=True),
    S("FEED_EXPORT_ENCODING", "encoding", "encoding of Scrapy feed exports (-o)"),
    S(
        "LOG_LEVEL",
        "choice",
        "lowest log level shown",
        choices=("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"),
        ignore_case=True,
    ),
    S("LOGSTATS_INTERVAL", "float", "seconds between progress lines (0 = none)", low=0),
    S(
        "LOG_FORMATTER",
        "str",
        "log formatter: item drops are one line with URL and reason",
        nonempty=True,
    ),
    S("EXTENSIONS", "dict", "Scrapy extensions (the start-up guard among them)"),
    # -- archive
    S("ARCHIVE_DIR", "archive_dir", "where WARC, JSON Lines and index files are written"),
    # -- discovery
    S("NEWS_MAX_PER_PATTERN", "int", "URLs followed per URL shape (trap guard)", low=1),
    S("NEWS_MAX_PAGINATION", "int", "listing pages followed per listing", low=0),
    S("NEWS_MAX_HOPS", "int", "link hops followed from an HTML page", low=0),
    S("NEWS_SITE", "str", "site profile name for warcinfo (empty: the spider's -a site)"),
    S("NEWS_PROFILE", "str", "alias of NEWS_SITE for warcinfo's profile field"),
    S("NEWS_TRAP_SAMPLE", "int", "pages of a capped URL shape judged for a trap", low=1),
    S("NEWS_TRAP_MIN_DISTINCT", "float", "share of distinct pages of a real shape", low=0),
    S("NEWS_TRAP_BACKLOG", "int", "URLs held while their shape is judged", low=0),
    S("DOWNLOAD_MAXSIZE", "int", "bytes of a response body, wire and decoded (0 = none)", low=0),
    S("DOWNLOAD_WARNSIZE", "int", "body size that logs a warning (0 = none)", low=0),
    S("NEWS_SITEMAP_MAXSIZE", "int", "bytes of one sitemap, wire and decoded", low=1),
    S("NEWS_SITEMAP_MAX_URLS", "int", "entries read from one sitemap", low=1),
    S("NEWS_SITEMAP_MAX_CHILDREN", "int", "child sitemaps followed from one index", low=0),
    S("NEWS_MAX_SITEMAPS", "int", "sitemaps fetched per crawl", low=0),
    S("NEWS_MAX_LINKS_PER_PAGE", "int", "links read from one HTML page", low=1),
    S("NEWS_ROBOTS_MAX_BYTES", "int", "bytes of robots.txt parsed (RFC 9309)", low=512000),
    # -- components
    S("DOWNLOADER_MIDDLEWARES", "dict", "downloader middlewares (the WARC writer among them)"),
    S("DOWNLOAD_HANDLERS", "dict", "download handler per URL scheme"),
    S("ITEM_PIPELINES", "dict", "item pipelines: extraction, dedup, JSON Lines"),
    # -- extraction
    S(
        "EXTRACT_POOL",
        "choice",
        "where extraction runs: process pool, thread pool or inline",
        choices=("process", "thread", "inline"),
    ),
    S("EXTRACT_WORKERS", "int", "extraction workers in the pool", low=1, high=256),
    S("EXTRACT_WARC_METADATA", "bool", "write a WARC metadata record per extracted article"),
    S("NEWS_PROFILE_DIRS", "dirs", "extra directories of site profile TOML files"),
    # -- WARC writing
    S("WARC_ENABLED", "bool", "write WARC files (False: no archive at all)"),
    S("WARC_PREFIX", "str", "first part of each WARC file name", filename_safe=True),
    S("WARC_OPERATOR", "str", "operator field of warcinfo records"),
    S("WARC_MAX_SIZE", "int", "bytes after which a new WARC file is started", low=1),
    S("WARC_GZIP_LEVEL", "int", "zlib level of each record's gzip member", low=1, high=9),
    # -- dedup
    S("DEDUP_ENABLED", "bool", "revisit records and one JSON record per article version"),
    S(
        "DEDUP_BACKEND",
        "choice",
        "dedup index: sqlite (ARCHIVE_DIR/index) or redis (shared)",
        choices=("sqlite", "redis"),
        ignore_case=True,
    ),
    S("DEDUP_REDIS_URL", "redis_url", "Redis server of the redis back end"),
    S("DEDUP_REDIS_PREFIX", "str", "prefix of every Redis key the crawl writes"),
    S("DEDUP_CONDITIONAL_REQUESTS", "bool", "re-crawls send If-None-Match/If-Modified-Since"),
    # -- replay and re-runs
    S("WAYBACK_PYWB_BIN", "str", "pywb `wayback` to run ('' = .venv-pywb, else PATH)"),
    S("HTTPCACHE_ARCHIVE_DIR", "str", "archive an offline re-run answers from ('' = ARCHIVE_DIR)"),
    # -- JSON Lines output
    S("JSONL_PREFIX", "str", "first part of each JSON Lines file name", filename_safe=True),
    S("JSONL_FSYNC", "bool", "fsync after every JSON line (slower, survives power loss)"),
    S(
        "ARCHIVE_TEST_KILL_AT",
        "str",
        "tests only: POINT:N, SIGKILL the crawl at the N-th write of POINT (vnnews.crashpoint)",
        optional=True,
    ),
    S(
        "DEFAULT_DROPITEM_LOG_LEVEL",
        "choice",
        "log level of the one line per dropped page",
        choices=("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"),
        ignore_case=True,
    ),
    # -- distributed crawling (distributed/)
    S("ADDONS", "dict", "Scrapy add-ons (the distributed-crawl add-on among them)"),
    S(
        "REDIS_URL",
        "redis_url",
        "Redis of a shared (distributed) crawl ('' = a local crawl)",
        optional=True,
    ),
    S("REDIS_KEY_PREFIX", "str", "prefix of the shared crawl's Redis keys", nonempty=True),
    S("REDIS_CRAWL_ID", "str", "id of the shared crawl ('' = the site or start hosts)"),
    S("REDIS_HEARTBEAT_INTERVAL", "float", "seconds between a worker's heartbeats", low=0.01),
    S("REDIS_WORKER_TIMEOUT", "float", "seconds of silence after which a worker is dead", low=0.01),
    S("REDIS_IDLE_CLOSE", "float", "seconds of an empty shared queue before a worker exits", low=0),
    S("REDIS_SEED_ONLY", "bool", "only push the start requests into Redis and exit"),
    # -- incremental re-crawls
    S(
        "NEWS_RECHECK",
        "choice",
        "which archived URLs are fetched again",
        choices=("policy", "all"),
    ),
    S(
        "NEWS_RECHECK_AFTER",
        "durations",
        "ages after publication at which an article is re-checked",
    ),
    S("NEWS_RECHECK_LISTING_HOPS", "int", "link hops within which listings are re-fetched", low=0),
    S("NEWS_RECHECK_REDIS_PREFIX", "str", "prefix of the re-check keys in Redis", nonempty=True),
    S("NEWS_JOBDIR_PER_SITE", "bool", "keep Scrapy job state per site under ARCHIVE_DIR/jobs"),
    # -- near-duplicates and syndication (archive.neardup, pipelines.syndication)
    S("NEARDUP_ENABLED", "bool", "compare each new record with every archived one (MinHash/LSH)"),
    S("NEARDUP_REDIS_PREFIX", "str", "prefix of the near-duplicate keys in Redis", nonempty=True),
    S(
        "NEARDUP_THRESHOLD",
        "float",
        "Jaccard similarity from which records are near-duplicates",
        low=0.01,
        high=1,
    ),
    S("NEARDUP_NUM_PERM", "int", "MinHash permutations (a new value needs a new index)", low=1),
    S("NEARDUP_SEED", "int", "MinHash seed (a new value needs a new index)", low=0),
    S("NEARDUP_SHINGLE_WORDS", "int", "words per shingle (a new value needs a new index)", low=1),
    S("NEARDUP_MAX_RESULTS", "int", "near-duplicates kept per record", low=0),
    S("NEARDUP_CANDIDATES", "int", "documents compared per LSH lookup", low=1),
    # -- monitoring (monitoring/)
    S("MONITOR_ENABLED", "bool", "write a JSON run report to ARCHIVE_DIR/runs"),
    S("MONITOR_SUMMARY", "bool", "log a short summary at the end of the run"),
    S("MONITOR_HISTORY_RUNS", "int", "earlier runs the drift checks compare with", low=1),
    S("MONITOR_FAIL_ON_DRIFT", "bool", "a drift flag makes an otherwise good run exit non-zero"),
    S("MONITOR_DRIFT_EXIT_CODE", "int", "exit code of a run with drift flags", low=1, high=125),
    S("MONITOR_MIN_ARTICLES", "int", "articles below which quality checks are skipped", low=0),
    S(
        "MONITOR_MAX_EXTRACTION_FAILURES",
        "float",
        "share of failed extractions flagged",
        low=0,
        high=1,
    ),
    S(
        "MONITOR_MAX_BAD_DATES",
        "float",
        "share of missing or capture-time dates flagged",
        low=0,
        high=1,
    ),
    S(
        "MONITOR_FETCH_DATE_WINDOW",
        "float",
        "seconds within which a date is the capture time",
        low=0,
    ),
    S(
        "MONITOR_MIN_BODY_RATIO",
        "float",
        "median text length share of earlier runs flagged",
        low=0,
        high=1,
    ),
    S("MONITOR_NO_NEW_RUNS", "int", "runs without a new article before a flag (0 = off)", low=0),
    S(
        "MONITOR_MAX_PROFILE_MISS",
        "float",
        "share of profile selector misses flagged",
        low=0,
        high=1,
    ),
    S("MONITOR_CHECK_DISCOVERY", "bool", "flag robots/sitemap/feed URLs that stopped answering"),
    S("MONITOR_PROGRESS_INTERVAL", "float", "seconds between progress lines (0 = none)", low=0),
    S("MONITOR_REPORT_DAYS", "int", "days shown in `scrapy report` charts", low=1),
    # -- page resources (spiders.resources)
    S("RESOURCES_ENABLED", "bool", "archive the images, styles, scripts and documents of articles"),
    S("RESOURCES_LISTINGS", "bool", "also archive the resources of listing pages"),
    S("RESOURCES_DOCUMENTS", "bool", "archive documents (PDF, DOC, XLS...) linked from pages"),
    S("RESOURCES_SCRIPTS", "bool", "archive the scripts pages load"),
    S("RESOURCES_HOSTS", "list", "resource hosts: 'site', 'cdn', '*' or host patterns"),
    S("RESOURCES_CDN_WORDS", "list", "words in a host name that make it a CDN for 'cdn'"),
    S("RESOURCES_DENY_HOSTS", "list", "resource hosts never fetched (host or *.domain)"),
    S("RESOURCES_MAX_SIZE", "int", "bytes of one resource, wire and decoded", low=1),
    S("RESOURCES_MAX_PER_PAGE", "int", "resources fetched per page", low=0),
    S("RESOURCES_MAX_PAGE_BYTES", "int", "bytes of resources fetched per page", low=1),
    S("RESOURCES_MAX_RUN_BYTES", "int", "bytes of resources fetched per run", low=1),
)
del S

BY_NAME: dict[str, Setting] = {s.name: s for s in SPEC}


# -- checking ------------------------------------------------------------------------------


def validate(settings: SettingsLike, spec: Iterable[Setting] = SPEC) -> None:
    """Check every declared setting present in ``settings``; the first bad one raises."""
    for setting in spec:
        value = settings.get(setting.name)
        if value is None:
            continue
        setting.check(value)


def checked(settings: SettingsLike, name: str) -> Any:
    """``settings[name]`` parsed and checked against its declaration (:class:`SettingError`)."""
    return BY_NAME[name].check(settings.get(name))


def unknown_names(given: Mapping[str, Any]) -> None:
    """A given name with a project prefix that is not declared is a typo (:class:`SettingError`)."""
    for name, value in given.items():
        if name.startswith(PROJECT_PREFIXES) and name not in BY_NAME:
            close = difflib.get_close_matches(name, list(BY_NAME), n=1)
            hint = f"did you mean {close[0]}?" if close else "see docs/settings.md"
            raise SettingError(name, value, "", problem=f"no such setting; {hint}")


def check_archive_dir(settings: SettingsLike) -> Path:
    """ARCHIVE_DIR exists (created if missing) and a file can be created in it."""
    spec = BY_NAME["ARCHIVE_DIR"]
    raw = settings.get("ARCHIVE_DIR")
    spec.check(raw)
    path = Path(raw)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SettingError(
            "ARCHIVE_DIR", raw, spec.allowed(), problem=f"cannot write there ({reason})"
        ) from exc
    return path


def check_redis(settings: SettingsLike, timeout: float = 5.0) -> None:
    """The Redis server of DEDUP_REDIS_URL answers PING."""
    url = str(settings.get("DEDUP_REDIS_URL"))
    BY_NAME["DEDUP_REDIS_URL"].check(url)
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise SettingError(
            "DEDUP_REDIS_URL",
            url,
            "a Redis server that answers",
            problem=f"the Redis dedup back end does not answer ({reason})",
        ) from exc
    finally:
        client.close()


def check_environment(settings: SettingsLike) -> None:
    """What start-up needs beyond valid values: a writable archive, a live back end."""
    check_archive_dir(settings)
    if (
        as_bool(settings.get("DEDUP_ENABLED"))
        and str(settings.get("DEDUP_BACKEND")).lower() == "redis"
    ):
        check_redis(settings)


def check_startup(settings: SettingsLike) -> None:
    """Everything a crawl checks before it starts (:class:`SettingError` on the first fault)."""
    validate(settings)
    check_environment(settings)
