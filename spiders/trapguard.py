"""The trap guard: tell a crawler trap from a big site by what its pages say, not by counting.

Every link-found or sitemap/feed-found page request has a URL *shape* (digits and slugs
folded: ``/thoi-su/slug-post0.html``). Up to ``NEWS_MAX_PER_PATTERN`` distinct URLs of a
shape go through freely. Past that, a shape has to show it is a real site:

* the first ``NEWS_TRAP_SAMPLE`` pages of the shape that were fetched are *judged*: each
  gives a fingerprint of its visible text with digits and spaces removed (an error page or
  an empty page counts as the empty fingerprint);
* if at least ``NEWS_TRAP_MIN_DISTINCT`` of them are distinct, the shape is a **site** and
  every URL of it is followed (2,200 articles of one shape: all crawled);
* otherwise it is a **trap** (a calendar that renders the same empty day, a soft-404 that
  answers 200): nothing more of it is followed, ``news/dropped/pattern_cap`` counts the
  URLs cut, ``news/caps/pattern`` the shapes, and the spider's end summary says so at
  WARNING.

URLs that arrive past the cap before the verdict are held (at most ``NEWS_TRAP_BACKLOG`` in
all) and released or dropped once it is known; at the latest when the crawl goes idle.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from spiders.discovery import url_shape

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

SHAPE_META_KEY = "url_shape"
SITE = "site"
TRAP = "trap"
#: ASCII digits and whitespace: removed from a page's UTF-8 text before its checksum
_NOISE = b"0123456789 \t\n\r\x0b\x0c"


def fingerprint(text: str) -> int:
    """A page's visible text, digits and whitespace (ASCII, and no-break spaces) removed, as a
    32-bit checksum. (Deleting bytes of the UTF-8 text is ten times faster than a regular
    expression over the text; a page's text is often 100 KB and more.)"""
    data = text.replace("\xa0", "").encode("utf-8", "replace")
    return zlib.crc32(data.translate(None, _NOISE))


EMPTY = fingerprint("")


@dataclass
class _Shape:
    urls: set[int] = field(default_factory=set)
    judged: int = 0
    prints: set[int] = field(default_factory=set)
    held: list[Request] = field(default_factory=list)
    verdict: str | None = None


class TrapGuard:
    def __init__(
        self,
        crawler: Crawler,
        *,
        max_per_pattern: int,
        sample: int,
        min_distinct: float,
        backlog: int,
    ) -> None:
        self.crawler = crawler
        self.max_per_pattern = max_per_pattern
        self.sample = sample
        self.min_distinct = min_distinct
        self.backlog = backlog
        self.shapes: dict[str, _Shape] = {}
        self.held_total = 0
        self.traps: list[str] = []

    @property
    def stats(self) -> StatsCollector:
        stats: StatsCollector = self.crawler.stats
        return stats

    def admit(self, request: Request) -> bool:
        """True: schedule it now. False: held or dropped (counted)."""
        shape = url_shape(request.url)
        state = self.shapes.setdefault(shape, _Shape())
        request.meta[SHAPE_META_KEY] = shape
        key = zlib.crc32(request.url.encode("utf-8"))
        if key in state.urls:
            return True  # seen before: Scrapy's dupefilter has the last word
        if len(state.urls) < self.max_per_pattern:
            state.urls.add(key)
            return True
        if state.verdict == SITE:
            return True
        if state.verdict == TRAP:
            self.stats.inc_value("news/dropped/pattern_cap")
            return False
        if self.held_total >= self.backlog:
            self.stats.inc_value("news/dropped/trap_backlog")
            self.stats.set_value("news/caps/trap_backlog", 1)
            return False
        state.held.append(request)
        self.held_total += 1
        self.stats.inc_value("news/trap/held")
        return False

    def judge(self, request: Request, print_: int) -> list[Request]:
        """Note a fetched page of the request's shape; the held requests it releases."""
        shape = request.meta.get(SHAPE_META_KEY)
        state = self.shapes.get(shape) if isinstance(shape, str) else None
        if state is None or state.verdict is not None or state.judged >= self.sample:
            return []
        state.judged += 1
        state.prints.add(print_)
        if state.judged < self.sample:
            return []
        return self._decide(shape, state)  # type: ignore[arg-type]

    def _decide(self, shape: str, state: _Shape) -> list[Request]:
        distinct = len(state.prints - {EMPTY})
        real = state.judged > 0 and distinct / state.judged >= self.min_distinct
        state.verdict = SITE if real else TRAP
        held, state.held = state.held, []
        self.held_total -= len(held)
        if real:
            self.stats.inc_value("news/trap/released", len(held))
            return held
        self.traps.append(shape)
        self.stats.inc_value("news/dropped/pattern_cap", len(held))
        self.stats.inc_value("news/caps/pattern")
        logger.info(
            "URL shape %s is a trap (%d of %d pages alike): no more of it is followed",
            shape[:200],
            state.judged - distinct,
            state.judged,
        )
        return []

    def idle(self) -> list[Request]:
        """Decide every shape still holding requests; the requests released."""
        released: list[Request] = []
        for shape, state in self.shapes.items():
            if state.held and state.verdict is None:
                released += self._decide(shape, state)
        return released
