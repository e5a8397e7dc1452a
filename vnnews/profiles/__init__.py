"""Site profiles: what the crawler knows about one news site, as data.

One TOML file per site in this directory (``nhandan.toml`` …). Adding a site
is adding a file; no code changes. See ``docs/profiles.md`` for the format.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vnnews.durations import parse_duration

#: the bundled profiles, read as package data (works from a wheel, an egg or a zip too)
BUNDLED_PROFILES: Traversable = files(__name__)
#: the same directory as a filesystem path, for tools and tests working in the repository
PROFILE_DIR = Path(__file__).resolve().parent


class ProfileError(ValueError):
    """A profile file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class Selectors:
    """CSS selectors for one layout version of a site. Empty means "not known"."""

    title: str = ""
    lead: str = ""
    body: str = ""
    published: str = ""  # element whose datetime/content attribute or text holds the date
    modified: str = ""
    authors: str = ""
    tags: str = ""
    categories: str = ""
    images: str = ""  # figure/img elements inside the body
    source: str = ""  # element naming the original source ("Theo ...") when the site shows one
    remove: tuple[str, ...] = ()  # boilerplate inside the body to drop before extraction
    valid_until: str = ""  # ISO date; this layout was used for pages published before it

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Selectors:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ProfileError(f"unknown selector keys: {', '.join(sorted(unknown))}")
        values = dict(data)
        if "remove" in values:
            values["remove"] = tuple(values["remove"])
        return cls(**values)


@dataclass(frozen=True)
class SiteProfile:
    name: str
    publisher: str
    domains: tuple[str, ...]
    language: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    start_urls: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    article_patterns: tuple[str, ...] = ()  # regexes on the URL; a match means "article page"
    listing_patterns: tuple[str, ...] = ()
    deny_patterns: tuple[str, ...] = ()
    selectors: Selectors = field(default_factory=Selectors)
    # Older layouts, newest first; each with its valid_until date.
    selector_history: tuple[Selectors, ...] = ()
    # [recheck] after: ages after publication at which an archived article is checked
    # again (overrides NEWS_RECHECK_AFTER); empty = the setting
    recheck_after: tuple[str, ...] = ()
    # [schedule] every / cron: how often `scrapy schedule` starts this site's crawl
    schedule_every: str = ""
    schedule_cron: str = ""
    path: str = ""

    def matches_host(self, host: str) -> bool:
        host = host.lower().split(":")[0]
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def is_article_url(self, url: str) -> bool | None:
        """True/False when the profile's patterns decide, None when they do not."""
        if any(re.search(p, url) for p in self.deny_patterns):
            return False
        if any(re.search(p, url) for p in self.article_patterns):
            return True
        if any(re.search(p, url) for p in self.listing_patterns):
            return False
        return None

    def is_denied(self, url: str) -> bool:
        return any(re.search(p, url) for p in self.deny_patterns)

    def selectors_for(self, published: datetime | None) -> Selectors:
        """The layout in force when a page was published (current one when unknown)."""
        if published is None:
            return self.selectors
        chosen = self.selectors
        for old in self.selector_history:
            if old.valid_until and published.date().isoformat() < old.valid_until:
                chosen = old
        return chosen


def _tuple(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, ())
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _durations(table: dict[str, Any], key: str) -> tuple[str, ...]:
    values = _tuple(table, key)
    for value in values:
        parse_duration(value)  # ValueError names the bad value
    return values


def _schedule(data: dict[str, Any], key: str) -> str:
    value = data.get("schedule", {}).get(key, "")
    if key == "every" and value:
        parse_duration(value)
    return str(value)


def load_profile(path: Path | Traversable) -> SiteProfile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: {exc}") from exc
    try:
        urls = data.get("urls", {})
        history = tuple(Selectors.from_dict(h) for h in data.get("selector_history", []))
        for pattern in (*_tuple(urls, "article"), *_tuple(urls, "listing"), *_tuple(urls, "deny")):
            re.compile(pattern)
        return SiteProfile(
            name=data.get("name", Path(path.name).stem),
            publisher=data["publisher"],
            domains=_tuple(data, "domains"),
            language=data.get("language", "vi"),
            timezone=data.get("timezone", "Asia/Ho_Chi_Minh"),
            start_urls=_tuple(data, "start_urls"),
            sitemaps=_tuple(data, "sitemaps"),
            feeds=_tuple(data, "feeds"),
            article_patterns=_tuple(urls, "article"),
            listing_patterns=_tuple(urls, "listing"),
            deny_patterns=_tuple(urls, "deny"),
            selectors=Selectors.from_dict(data.get("selectors", {})),
            selector_history=history,
            recheck_after=_durations(data.get("recheck", {}), "after"),
            schedule_every=_schedule(data, "every"),
            schedule_cron=_schedule(data, "cron"),
            path=str(path),
        )
    except (KeyError, TypeError, ValueError, re.error, ProfileError) as exc:
        raise ProfileError(f"{path}: bad profile: {exc!r}") from exc


class ProfileRegistry:
    """All known profiles, looked up by name or by URL host."""

    def __init__(self, profiles: Iterable[SiteProfile]):
        self._by_name = {p.name: p for p in profiles}
        #: host -> its profile (a crawl asks for every link of every page: a few hosts)
        self._by_host: dict[str, SiteProfile | None] = {}

    @classmethod
    def load(cls, extra_dirs: Iterable[str | Path] = ()) -> ProfileRegistry:
        bundled = sorted(
            (p for p in BUNDLED_PROFILES.iterdir() if p.name.endswith(".toml") and p.is_file()),
            key=lambda p: p.name,
        )
        extra = [p for d in extra_dirs for p in sorted(Path(d).glob("*.toml"))]
        profiles = [load_profile(p) for p in [*bundled, *extra]]
        return cls(profiles)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def get(self, name: str) -> SiteProfile:
        try:
            return self._by_name[name]
        except KeyError:
            raise ProfileError(
                f"unknown site {name!r}; known sites: {', '.join(self.names())}"
            ) from None

    def for_url(self, url: str) -> SiteProfile | None:
        host = urlsplit(url).hostname or ""
        if host not in self._by_host:
            if len(self._by_host) >= 1 << 14:
                self._by_host.clear()
            self._by_host[host] = next(
                (p for p in self._by_name.values() if p.matches_host(host)), None
            )
        return self._by_host[host]

    def __iter__(self) -> Any:
        return iter(self._by_name.values())
