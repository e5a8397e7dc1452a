"""The spider's side of incremental crawls: which known URLs to fetch again, and its JOBDIR.

Each run reads every discovery source (robots.txt, sitemaps, feeds, start pages and the
listing pages they link to). For a URL found there, :class:`RecheckGate` decides:

* never archived → fetch;
* an archived article → fetch when a source says it changed, or its re-check is due under
  the site's policy (:mod:`archive.recheck`), else skip (``news/recheck/skipped_not_due``);
* an archived non-article page (section, listing, "about") → fetch when it is at most
  ``NEWS_RECHECK_LISTING_HOPS`` link hops from a start page; a next page of a listing only
  while the page before showed something new; else skip (``news/recheck/skipped_page``).

``NEWS_RECHECK=all`` fetches every URL again. A fetched article's state is written when
its item has passed the pipelines (or was dropped as already recorded), so a run killed
earlier fetches it again; pages are written when a run finishes.

JOBDIR: unless ``-s JOBDIR`` is given, ``ARCHIVE_DIR/jobs/<site>`` (``NEWS_JOBDIR_PER_SITE``),
emptied when a run finishes, so a run stopped with Ctrl-C or SIGTERM resumes with the same
command and the next scheduled run starts from discovery again. Scrapy writes its job state
(queue counts, seen fingerprints) only when a run stops cleanly, so a run that was killed
(SIGKILL, power loss) or stopped by a write error (full disk) leaves state that cannot be
trusted: a marker file (:data:`RUN_MARKER`, the run's PID) is written when a run starts and
removed only after a clean stop, and a job directory that still has the marker of a dead run
is emptied at the next start. That run starts from discovery again; the dedup index and the
re-check state say what is already archived, so nothing is lost or recorded twice.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals

from archive.recheck import (
    ARTICLE,
    MODES,
    PAGE,
    REDIRECT,
    RecheckPolicy,
    RecheckStore,
    UrlState,
    changed_by_source,
    open_recheck_store,
    parse_source_date,
    title_digest,
)
from vnnews.items import Page
from vnnews.paths import ArchivePaths

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.settings import BaseSettings

    from vnnews.profiles import SiteProfile

logger = logging.getLogger(__name__)

#: hints that say when a source last saw the page change
DATE_HINTS = ("sitemap_lastmod", "feed_updated")
#: hints that carry a title shown by a source
TITLE_HINTS = ("feed_title", "sitemap_title")
#: hints that carry the publication date
PUBLISHED_HINTS = ("sitemap_published", "feed_published")
#: a link text shorter than this is navigation ("Xem tiếp"), not a title
MIN_TITLE_CHARS = 16
#: drops (by exception class name: the pipelines are not imported here) after which the page
#: is fetched again next run instead of counting as checked
RETRY_DROPS = frozenset({"ExtractionFailed"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def site_key(site: str | None, start_urls: Iterable[str]) -> str:
    """The name a site's state and job directory go under: its profile, else its first host."""
    if site:
        return _safe_name(site)
    from urllib.parse import urlsplit

    for url in start_urls:
        host = urlsplit(url).netloc.lower()
        if host:
            return _safe_name(host.removeprefix("www."))
    return "_"


def _safe_name(text: str) -> str:
    """One path component, never "", "." or ".." (a start URL like ``http://../`` exists)."""
    return _UNSAFE.sub("_", text).strip("._-") or "_"


def configure_jobdir(settings: BaseSettings, site: str) -> Path | None:
    """Set ``JOBDIR`` to ``ARCHIVE_DIR/jobs/<site>`` unless set, off, or a shared queue is used."""
    if settings.frozen or not settings.getbool("NEWS_JOBDIR_PER_SITE"):
        return None
    if settings.get("JOBDIR") or settings.get("REDIS_URL"):
        return None
    jobdir = ArchivePaths.of(settings.get("ARCHIVE_DIR")).jobs_dir / site
    if not claim_jobdir(jobdir):
        return None
    settings.set("JOBDIR", str(jobdir), priority="spider")
    return jobdir


#: in a job directory: the PID of the run using it; removed when that run stops cleanly
RUN_MARKER = "run.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_jobdir(jobdir: Path) -> bool:
    """Take ``jobdir`` for this run: empty it if a dead run left it unclean, write the marker.

    False (run without JOBDIR) when another live run of the site holds it."""
    marker = jobdir / RUN_MARKER
    try:
        text = marker.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        text = None
    if text is not None:
        pid = int(text) if text.isdigit() else 0
        if pid and pid != os.getpid() and _alive(pid):
            logger.warning(
                "Job state %s is in use by another run (pid %d); this run keeps none", jobdir, pid
            )
            return False
        logger.warning(
            "Job state %s was left by a run that did not stop cleanly (pid %s); discovery"
            " starts again (the archive's indexes say what is already done)",
            jobdir,
            text or "?",
        )
        clear_jobdir(jobdir)
    elif not _state_whole(jobdir):
        logger.warning("Job state %s is incomplete; discovery starts again", jobdir)
        clear_jobdir(jobdir)
    try:
        jobdir.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{os.getpid()}\n", encoding="ascii")
    except OSError:  # an unwritable archive is reported by the start-up checks
        pass
    return True


def _state_whole(jobdir: Path) -> bool:
    """Whether the files Scrapy writes when a run stops (queue state, spider state) read."""
    active = jobdir / "requests.queue" / "active.json"
    state = jobdir / "spider.state"
    try:
        if active.exists():
            json.loads(active.read_text(encoding="utf-8"))
        if state.exists() and state.stat().st_size == 0:
            return False
    except (OSError, ValueError):
        return False
    return True


def release_jobdir(jobdir: Path) -> None:
    """A clean stop: keep the job state for the next run to resume from."""
    (jobdir / RUN_MARKER).unlink(missing_ok=True)


def clear_jobdir(jobdir: Path) -> None:
    """Empty a finished run's job directory (its queue and seen fingerprints).

    Only ever a directory directly under ``ARCHIVE_DIR/jobs/``: nothing else is removed, whatever
    ``jobdir`` resolves to.
    """
    resolved = jobdir.resolve()
    if resolved.parent.name != "jobs" or resolved.name in ("", ".", ".."):
        logger.error("Not removing %s: not a job directory under ARCHIVE_DIR/jobs", jobdir)
        return
    if resolved.is_dir():
        shutil.rmtree(resolved, ignore_errors=True)


class RecheckGate:
    """Decides which already-archived URLs a run fetches again (see the module doc)."""

    def __init__(
        self,
        crawler: Crawler,
        site: str,
        store: RecheckStore | None,
        policy: RecheckPolicy,
        *,
        mode: str,
        listing_hops: int,
        normalise: Callable[[str], str],
    ) -> None:
        self.crawler = crawler
        self.site = site
        self.store = store
        self.policy = policy
        self.mode = mode
        self.listing_hops = listing_hops
        self.normalise = normalise
        self.now = datetime.now(UTC)
        self._cache: dict[str, UrlState | None] = {}
        self._decided: dict[str, bool] = {}
        self._titles: dict[str, set[str]] = {}  # title digests seen this run, per URL
        self._dates: dict[str, set[datetime]] = {}  # lastmod/updated seen this run, per URL
        self._pages: set[str] = set()  # non-article pages fetched this run
        self._redirects: set[str] = set()  # URLs that answered with a redirect this run
        self.jobdir: Path | None = None
        self._reason = ""

    @classmethod
    def for_spider(
        cls,
        crawler: Crawler,
        site: str,
        profile: SiteProfile | None,
        normalise: Callable[[str], str],
    ) -> RecheckGate:
        """The gate for this crawl; ValueError naming a bad setting or profile value."""
        settings = crawler.settings
        mode = str(settings.get("NEWS_RECHECK")).strip().lower()
        if mode not in MODES:
            raise ValueError(f"NEWS_RECHECK must be one of {', '.join(MODES)}, not {mode!r}")
        after = list(profile.recheck_after) if profile and profile.recheck_after else None
        try:
            policy = RecheckPolicy.parse(after or settings.getlist("NEWS_RECHECK_AFTER"))
        except ValueError as exc:
            where = f"profile {profile.name} [recheck] after" if profile and after else None
            where = where or "NEWS_RECHECK_AFTER"
            raise ValueError(f"{where}: {exc}") from None
        gate = cls(
            crawler,
            site,
            open_recheck_store(settings),
            policy,
            mode=mode,
            listing_hops=settings.getint("NEWS_RECHECK_LISTING_HOPS"),
            normalise=normalise,
        )
        gate.jobdir = configure_jobdir(settings, site)
        crawler.signals.connect(gate._item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(gate._response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(gate._item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(gate._spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(gate._engine_stopped, signal=signals.engine_stopped)
        return gate

    # -- looking up --------------------------------------------------------------------

    def _inc(self, key: str, count: int = 1) -> None:
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value(f"news/recheck/{key}", count)

    def prefetch(self, urls: Iterable[str]) -> None:
        """Load the states of many URLs in one query (a sitemap's, a listing's)."""
        missing = [u for u in {self.normalise(u) for u in urls} if u not in self._cache]
        if not missing or self.store is None:
            return
        found = self.store.get_many(self.site, missing)
        for url in missing:
            self._cache[url] = found.get(url)

    def state(self, url: str) -> UrlState | None:
        if url not in self._cache:
            self.prefetch([url])
        return self._cache.get(url)

    # -- deciding ------------------------------------------------------------------------

    def want(
        self,
        url: str,
        *,
        hints: dict[str, str] | None = None,
        title: str | None = None,
        hops: int = 0,
        pager: bool = False,
        listing_fresh: bool = True,
    ) -> bool:
        """Fetch ``url`` (found by discovery with ``hints``, shown with ``title``) this run?"""
        url = self.normalise(url)
        digests = self._note_titles(url, hints, title)
        state = self.state(url)
        if state is None or self.mode == "all" or state.last_checked >= self.now:
            dates = self._note_dates(url, hints)
            if state is not None and state.last_checked >= self.now and dates:
                self._late_dates(state, dates)
            return True  # new, everything wanted, or fetched earlier in this run
        if state.kind == PAGE:
            return self._want_page(url, hops=hops, pager=pager, listing_fresh=listing_fresh)
        earlier = self._decided.get(url)
        if earlier:
            return True  # already requested this run (the dupefilter drops the copy)
        dates = self._note_dates(url, hints)
        reason = changed_by_source(state, dates=dates, titles=digests)
        if reason is not None:
            if earlier is False:
                self._inc("skipped_not_due" if state.kind == ARTICLE else "skipped_redirect", -1)
            self._inc("changed_by_source")
            self._inc(f"changed_by_source/{reason}")
            self._decided[url] = True
            return True
        if earlier is False:
            return False
        if state.kind == ARTICLE and self.policy.is_due(state, self.now):
            self._inc("due")
            self._decided[url] = True
            return True
        self._inc("skipped_not_due" if state.kind == ARTICLE else "skipped_redirect")
        self._decided[url] = False
        return False

    def _late_dates(self, state: UrlState, dates: list[datetime]) -> None:
        """A source dated a page after it was fetched and committed in this run (a sitemap
        read after the home page led to the article): the dates join its source mark, or the
        next run would take that sitemap date for a change."""
        mark = max(d for d in (state.source_mark, *dates) if d is not None)
        if self.store is None or mark == state.source_mark:
            return
        newer = replace(state, source_mark=mark)
        self._cache[state.url] = newer
        try:
            self.store.put_many(self.site, [newer])
        except Exception as exc:  # state is an optimisation: never fail a crawl for it
            logger.warning("Could not store re-check state for %s: %s", state.url, exc)
            self._inc("errors")

    def _want_page(self, url: str, *, hops: int, pager: bool, listing_fresh: bool) -> bool:
        if url in self._decided:
            return self._decided[url]
        wanted = hops <= self.listing_hops and (not pager or listing_fresh)
        if wanted:
            self._inc("pages")
        else:
            self._inc("skipped_page")
        self._decided[url] = wanted
        return wanted

    def listing_fresh(self, urls: Iterable[str], titles: dict[str, str]) -> bool:
        """Does a listing page show something new: an unknown URL or a changed article?"""
        urls = [self.normalise(u) for u in urls]
        self.prefetch(urls)
        for url in urls:
            state = self.state(url)
            if state is None:
                return True
            if state.kind == ARTICLE and self.mode != "all":
                title = titles.get(url)
                if title and changed_by_source(state, titles=[title_digest(title)]):
                    return True
        return False

    def _note_dates(self, url: str, hints: dict[str, str] | None) -> list[datetime]:
        found = [d for d in (parse_source_date((hints or {}).get(k)) for k in DATE_HINTS) if d]
        if found:
            self._dates.setdefault(url, set()).update(found)
        return found

    def _note_titles(self, url: str, hints: dict[str, str] | None, title: str | None) -> list[str]:
        texts = [title or "", *((hints or {}).get(k, "") for k in TITLE_HINTS)]
        digests = [title_digest(t) for t in texts if len(t.strip()) >= MIN_TITLE_CHARS]
        if digests:
            self._titles.setdefault(url, set()).update(digests)
        return digests

    def link_titles(self, tree: HtmlElement) -> dict[str, str]:
        """The longest link text per (normalised) URL on a page: the titles a listing shows."""
        titles: dict[str, str] = {}
        for link in tree.xpath("//a[@href]"):
            href = str(link.get("href")).strip()
            if not href.startswith(("http://", "https://")):
                continue
            text = " ".join(link.text_content().split())
            url = self.normalise(href.split("#", 1)[0])
            if len(text) > len(titles.get(url, "")):
                titles[url] = text
        return titles

    # -- remembering -----------------------------------------------------------------

    def page_seen(self, response: Response) -> None:
        """A non-article page was fetched (written as known when the run finishes)."""
        self._pages.update(self._keys(response))

    def gone(self, request: Request) -> None:
        """An article URL answered 404/410: checked, under the same policy as an article."""
        if request.meta.get("kind") == "article":
            self._commit([self.normalise(request.url)], ARTICLE, {}, request.meta.get("hints"))

    def _response_downloaded(self, response: Response, request: Request, spider: Any) -> None:
        """A link that redirects (an old slug, a short URL): known once the run finishes."""
        if 300 <= response.status < 400 and b"Location" in response.headers:
            self._redirects.add(self.normalise(request.url))

    def _keys(self, response: Response) -> list[str]:
        urls = [*response.meta.get("redirect_urls", ()), response.url]
        return list(dict.fromkeys(self.normalise(u) for u in urls))

    def _item_scraped(self, item: Any, response: Response, spider: Any) -> None:
        self._article_done(item, response)

    def _item_dropped(self, item: Any, response: Response, exception: Any, spider: Any) -> None:
        # Scrapy hands over the item as it entered the pipelines (the Page). Dropped as
        # already recorded (unchanged text, known revisit) or as not an article: checked.
        # A page the extractor failed on is fetched again next run.
        if type(exception).__name__ in RETRY_DROPS:
            return
        self._article_done(item, response)

    def _article_done(self, item: Any, response: Response | None) -> None:
        if response is None:
            return
        if isinstance(item, Page):
            record: dict[str, Any] = {"fetched_at": item.fetched_at.isoformat()}
        elif isinstance(item, dict):
            record = item
        else:
            return
        try:
            self._commit(self._keys(response), ARTICLE, record, response.meta.get("hints"))
        except Exception as exc:  # state is an optimisation: never fail an item for it
            logger.warning("Could not store re-check state for %s: %s", response.url, exc)
            self._inc("errors")

    def _commit(
        self,
        urls: list[str],
        kind: str,
        record: dict[str, Any],
        hints: dict[str, str] | None,
    ) -> None:
        if self.store is None:
            return
        hints = hints or {}
        checked = parse_source_date(record.get("fetched_at")) or datetime.now(UTC)
        published = parse_source_date(record.get("published")) or next(
            (d for d in (parse_source_date(hints.get(k)) for k in PUBLISHED_HINTS) if d), None
        )
        dates = [d for d in (parse_source_date(hints.get(k)) for k in DATE_HINTS) if d]
        self.prefetch(urls)
        states = []
        for url in urls:
            old = self.state(url)
            seen = [*dates, *self._dates.get(url, ())]
            marks = [d for d in (old.source_mark if old else None, *seen) if d is not None]
            state = UrlState(
                url=url,
                kind=kind,
                first_seen=old.first_seen if old else checked,
                last_checked=checked,
                published=published or (old.published if old else None),
                source_mark=max(marks) if marks else None,
                titles=old.titles if old else (),
            ).with_titles(sorted(self._titles.get(url, ())))
            states.append(state)
            self._cache[url] = state
        self.store.put_many(self.site, states)

    def _spider_closed(self, spider: Any, reason: str) -> None:
        self._reason = reason
        if self.store is None:
            return
        updates = []
        if reason == "finished":
            for kind, urls in ((PAGE, self._pages), (REDIRECT, self._redirects - self._pages)):
                self.prefetch(urls)
                for url in sorted(urls):
                    old = self.state(url)
                    if old is None or old.kind == kind:
                        first = old.first_seen if old else self.now
                        updates.append(UrlState(url, kind, first, self.now))
        # titles seen for known articles we did not fetch: remembered, so a later listing
        # showing another title for them is noticed
        for url, digests in sorted(self._titles.items()):
            old = self._cache.get(url)
            if old is not None and old.kind == ARTICLE and not self._decided.get(url):
                new = old.with_titles(sorted(digests))
                if new.titles != old.titles:
                    updates.append(new)
        try:
            self.store.put_many(self.site, updates)
        except Exception as exc:
            logger.warning("Could not store re-check state of %d pages: %s", len(updates), exc)

    def _engine_stopped(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
        if self.jobdir is not None and self._reason == "finished":
            clear_jobdir(self.jobdir)
        elif self.jobdir is not None and self._stopped_cleanly():
            release_jobdir(self.jobdir)

    def _stopped_cleanly(self) -> bool:
        """Stopped on request (Ctrl-C, SIGTERM) with nothing failing to be written: Scrapy's
        job state is whole and the next run resumes from it. Otherwise it is not trusted."""
        stats = self.crawler.stats
        values = stats.get_stats() if stats is not None else {}
        return (
            self._reason == "shutdown"
            and not values.get("archive/write_errors")
            and not values.get("vnnews/stop_reason")
        )
