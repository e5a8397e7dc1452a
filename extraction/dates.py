"""Publication and modification dates, with provenance (Vietnamese-aware).

``find_dates`` collects every date it can find as a ``DateCandidate`` (value, source,
precision, accepted or the reason it was rejected) and picks the best one per kind. Sources,
best first: the site profile's selector, JSON-LD, meta tags, ``time[datetime]`` in the article,
visible Vietnamese text in the article header, discovery hints (news sitemap, feed), the URL,
and htmldate's heuristics (``htmldate:*``, only run when nothing else was found).

This module decides which dates are read, where on the page, and which one wins. Reading a
value is ``extraction.datetext`` (Vietnamese date lines, relative dates, weekdays, ISO/RFC
values); finding the JSON-LD, meta-tag and URL values is ``extraction.datecandidates``. Their
public names are re-exported here.

Policies (see also docs of each constant):

* Every value is timezone-aware; a value written without an offset is read in the profile's
  timezone (``Asia/Ho_Chi_Minh``, +07:00, for Vietnamese sites). An explicit offset is kept.
* Visible text is only read in the article header area: the profile selector, elements whose
  class names a date/time/meta box, and the title's neighbourhood up to where the body starts
  (the title's own text is skipped: "Giá vàng hôm nay 7/3" dates the news, not the page).
  Dates in page-level ``header``/``nav``/``footer``/``aside``, related-news, "most read",
  comment boxes and the article body (and lead) are rejected with the reason. An ``article``'s
  own header/footer, and any box that holds the title or the body, count as the article.
* A ``time[datetime]`` is read from its attribute, never its text (scripts write today's date
  there: the nhandan seed page shows "Thứ năm, 06/05/2021" over datetime 2015-01-15).
* A date after ``fetched_at`` + ``FUTURE_TOLERANCE`` is rejected, as is one before 1995.
* A weekday written next to a date ("Thứ năm, 06/05/2021") must agree with it; if it does
  not, the candidate is rejected (one of the two is wrong, and we cannot tell which).
* Relative dates ("2 giờ trước", "hôm qua") count from ``fetched_at``, never from now;
  hours/minutes give "minute" precision (approximate), days/weeks "day".
* htmldate only runs when no other source gave an accepted date (see ``_from_htmldate``).
* Refinement: the best candidate decides the date; a later candidate that agrees with it at
  its precision and is more precise replaces it (tuoitre: JSON-LD 08:01:00 and meta 08:01:53
  agree to the minute; the meta value with real seconds wins). ``:00`` seconds count as
  minute precision for this comparison, since CMSs that store minutes write them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any

import lxml.etree
import lxml.html
from cssselect import SelectorError

from extraction.datecandidates import (
    META_MODIFIED,
    META_PUBLISHED,
    jsonld_dates,
    meta_dates,
    url_date,
)
from extraction.datetext import (
    DATEISH_RE,
    DEFAULT_TZ,
    UPDATED_RE,
    TextDate,
    as_aware,
    clean_text,
    load_zone,
    parse_machine_date,
    parse_vietnamese_date,
    scan_text,
)
from extraction.htmltree import class_tokens
from vnnews.profiles import SiteProfile

__all__ = [
    "DEFAULT_TZ",
    "FUTURE_TOLERANCE",
    "META_MODIFIED",
    "META_PUBLISHED",
    "MIN_DATE",
    "PRECISION_RANK",
    "DateCandidate",
    "DateResult",
    "find_dates",
    "parse_machine_date",
    "parse_vietnamese_date",
    "selector_source",
]

logger = logging.getLogger(__name__)

# A page fetched at T may carry a date up to a day later: server clocks drift, local time is
# sometimes labelled UTC (+7 h here), and sites east of us (UTC+14) are a day ahead. Anything
# later is not skew but a wrong date (an event date, a scheduled-post placeholder).
FUTURE_TOLERANCE = timedelta(days=1)
MIN_DATE = datetime(1995, 1, 1, tzinfo=UTC)  # no Vietnamese (or most other) news web before
PRECISION_RANK = {"day": 0, "minute": 1, "second": 2}

# --- DOM zones ---------------------------------------------------------------------------

# Class/id fragments of containers whose dates are not the article's.
_EXCLUDED_RE = re.compile(
    r"relate|lien-?quan|cung-?muc|samecate|same-cate|xem-?them|doc-?them|xem-?nhieu|"
    r"doc-?nhieu|most-?(?:read|view|popular)|popular|trending|sidebar|side-bar|comment|"
    r"binh-?luan|footer|navbar|menu|widget|advert|banner|popup|modal|newsletter|tin-?khac|"
    r"other-?news|recommend|suggest|time-?now|today|current-?date|weather|thoi-?tiet",
    re.I,
)
_EXCLUDED_TOKENS = frozenset(
    {"header", "site-header", "top-header", "header-top", "main-header", "header-main",
     "page-header", "topbar", "top-bar", "date_top", "date-top", "nav", "ads", "ad"}
)  # fmt: skip
_EXCLUDED_TAGS = frozenset({"header", "nav", "footer", "aside", "form"})
# Class tokens that name a date/time/meta box: "date", "post-time", "detail-time",
# "article__meta", "bread-crumb-detail__time", "publish-date", "pdate" …
_META_CLASS_RE = re.compile(
    r"^(?:[a-z0-9]+(?:-|_|__))*(?:date|time|datetime|pdate|pubdate|publish-?date|publish-?time|"
    r"published|post-?time|post-?date|posted-?on|entry-?date|meta|byline|timestamp)$",
    re.I,
)
_BODY_CLASSES = frozenset(
    {"article__body", "article-body", "detail-content", "fck_detail", "detail__content",
     "singular-content", "entry-content", "post-content", "article-content", "cms-body",
     "content-body", "news-content", "body-content", "maincontent", "article-text",
     # the lead paragraph tells the story ("Sáng 15/1, ..."), it does not date the page
     "sapo", "article__sapo", "detail-sapo", "description", "lead", "article__lead"}
)  # fmt: skip
# Every class in _BODY_CLASSES and every _META_CLASS_RE match contains one of these words.
_CLASS_PREFILTER = re.compile(
    r"date|time|meta|byline|posted|publish|stamp|body|content|fck_detail|sapo|description|lead|"
    r"article-text",
    re.I,
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg"})
_MAX_TEXT = 200  # longer texts are paragraphs, not date lines
_MAX_TEXT_CANDIDATES = 12


@dataclass(frozen=True)
class DateCandidate:
    """One date found on the page, with where it came from and what we made of it."""

    kind: str  # "published" | "modified"
    source: str  # provenance: "jsonld:datePublished", "text:vi", "url" …
    raw: str
    value: datetime | None
    precision: str | None  # "day" | "minute" | "second"
    accepted: bool
    reason: str = ""  # why it was rejected


@dataclass(frozen=True)
class DateResult:
    published: datetime | None = None
    published_source: str | None = None
    published_precision: str | None = None
    modified: datetime | None = None
    modified_source: str | None = None
    modified_precision: str | None = None
    candidates: list[DateCandidate] = field(default_factory=list)


@dataclass
class _Context:
    fetched_at: datetime
    tz: tzinfo
    tz_name: str
    candidates: list[DateCandidate] = field(default_factory=list)

    @property
    def latest(self) -> datetime:
        """The latest a page's date can be: its capture, give or take FUTURE_TOLERANCE."""
        return self.fetched_at + FUTURE_TOLERANCE

    def add(self, kind: str, source: str, raw: str, parsed: tuple[datetime, str] | None,
            reason: str = "") -> None:  # fmt: skip
        value, precision = parsed if parsed else (None, None)
        if value is None and not reason:
            reason = "unparsable"
        elif value is not None and not reason:
            reason = _range_problem(value, self.fetched_at)
        self.candidates.append(
            DateCandidate(kind, source, raw.strip()[:120], value, precision, not reason, reason)
        )


def _range_problem(value: datetime, fetched_at: datetime) -> str:
    if value > fetched_at + FUTURE_TOLERANCE:
        return "after-capture"
    if value < MIN_DATE:
        return "before-1995"
    return ""


# --- DOM helpers ---------------------------------------------------------------------------


def _visible_text(el: lxml.html.HtmlElement) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and child.tag not in _SKIP_TAGS:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return clean_text(" ".join(parts))


def _tokens(el: Any) -> list[str]:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower().split()


def _excluded_by(el: Any, keep: tuple[Any, ...] = ()) -> str:
    """Why el lies outside the article ("" when it does not).

    ``keep`` are the title, the body and their ancestors: a box that holds them holds the
    article, whatever its class says (vnexpress puts the article in ``div.sidebar-1``).
    """
    node = el
    while node is not None and node.tag not in ("body", "html"):
        if any(node is k for k in keep):
            return ""
        tag = node.tag if isinstance(node.tag, str) else ""
        tokens = _tokens(node)
        in_article = tag in ("header", "footer") and (
            any("article" in t or "detail" in t for t in tokens)
            or any(a.tag == "article" for a in node.iterancestors())
        )  # an article's own header/footer holds its byline and date
        if tag in _EXCLUDED_TAGS and not in_article:
            return tag
        for token in tokens:
            if token in _EXCLUDED_TOKENS or _EXCLUDED_RE.search(token):
                return token
        node = node.getparent()
    return ""


def _in_body(el: Any, bodies: list[Any]) -> bool:
    chain = [el, *el.iterancestors()]
    return any(body is node for body in bodies for node in chain)


def _select(tree: Any, selector: str, ctx: _Context, what: str, source: str) -> list[Any]:
    try:
        return list(tree.cssselect(selector))
    except (SelectorError, ValueError) as exc:
        logger.warning("bad %s selector %r: %s", what, selector, exc)
        ctx.add("published", source, selector, None, f"bad selector: {exc}")
        return []


def _element_date(el: Any, ctx: _Context) -> tuple[str, TextDate | None]:
    for attr in ("datetime", "content"):
        raw = el.get(attr)
        if raw and raw.strip():
            parsed = parse_machine_date(raw, tz=ctx.tz, latest=ctx.latest)
            found = TextDate(parsed[0], parsed[1], None) if parsed else None
            return raw, found
    text = _visible_text(el)
    if not text:
        return text, None
    parsed = parse_machine_date(text, tz=ctx.tz, latest=ctx.latest) if text[:1].isdigit() else None
    if parsed is not None:
        return text, TextDate(parsed[0], parsed[1], None)
    return text, scan_text(text, ctx.fetched_at, ctx.tz_name)


def _add_text(ctx: _Context, kind: str, source: str, raw: str, found: TextDate | None,
              reason: str = "") -> None:  # fmt: skip
    if found is not None and found.weekday_ok is False and not reason:
        reason = "weekday-mismatch"
    ctx.add(kind, source, raw, (found.value, found.precision) if found else None, reason)


# --- Sources -------------------------------------------------------------------------------


def selector_source(profile: SiteProfile) -> str:
    """Provenance of a date read by a profile selector: ``layout:selector`` when the profile
    is a guessed layout (``_layout:…``, extraction/layouts.py), which names no site."""
    return "layout:selector" if profile.name.startswith("_layout:") else "profile:selector"


def _from_profile(tree: Any, profile: SiteProfile | None, ctx: _Context) -> None:
    if profile is None:
        return
    source = selector_source(profile)
    for kind, selector in (("published", profile.selectors.published),
                           ("modified", profile.selectors.modified)):  # fmt: skip
        if not selector:
            continue
        for el in _select(tree, selector, ctx, kind, source)[:5]:
            raw, found = _element_date(el, ctx)
            if raw.strip():
                _add_text(ctx, kind, source, raw, found)


def _from_jsonld(tree: Any, ctx: _Context) -> None:
    for kind, source, raw, reason in jsonld_dates(tree):
        ctx.add(kind, source, raw, parse_machine_date(raw, tz=ctx.tz, latest=ctx.latest), reason)


def _from_meta(tree: Any, layout: _Layout, ctx: _Context) -> None:
    for kind, source, raw, el in meta_dates(tree):
        outside = _excluded_by(el, layout.keep)
        reason = f"outside-article:{outside}" if outside else ""
        ctx.add(kind, source, raw, parse_machine_date(raw, tz=ctx.tz, latest=ctx.latest), reason)


@dataclass
class _Layout:
    """Where the article's parts are: title, body containers, date/meta boxes."""

    title: Any = None
    bodies: list[Any] = field(default_factory=list)
    metas: list[Any] = field(default_factory=list)
    keep: tuple[Any, ...] = ()  # the title, the first body and their ancestors


@lru_cache(maxsize=256)
def _candidates_xpath(tokens: frozenset[str]) -> lxml.etree.XPath:
    """Elements the layout pass must look at, for a document with these class tokens: those
    whose class holds a body or meta token (by substring; the pass checks tokens exactly),
    time elements, publish-date roles and itemprop=articleBody, in document order."""
    wanted = sorted(
        t for t in tokens if t.lower() in _BODY_CLASSES or _META_CLASS_RE.match(t.lower())
    )
    tests = ["self::time", "@data-role='publishdate'", "@itemprop='articleBody'"]
    tests += [f"contains(@class,{_xpath_literal(t)})" for t in wanted]
    return lxml.etree.XPath("//*[" + " or ".join(tests) + "]")


def _xpath_literal(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat('" + "', \"'\", '".join(text.split("'")) + "')"


def _layout_candidates(tree: Any) -> list[Any]:
    """:func:`_candidates_xpath` for this document: one XPath walk in C instead of a Python
    test of every element."""
    return list(_candidates_xpath(class_tokens(tree))(tree))


def _layout(tree: Any, profile: SiteProfile | None, ctx: _Context) -> _Layout:
    layout = _Layout()
    if profile is not None:
        source = selector_source(profile)
        if profile.selectors.title:
            titles = _select(tree, profile.selectors.title, ctx, "title", source)
            layout.title = titles[0] if titles else None
        if profile.selectors.body:
            layout.bodies = _select(tree, profile.selectors.body, ctx, "body", source)
    for el in _layout_candidates(tree):
        cls = el.get("class")
        if cls and _CLASS_PREFILTER.search(cls):
            classes = cls.lower().split()
            if _BODY_CLASSES.intersection(classes):
                layout.bodies.append(el)
            if any(_META_CLASS_RE.match(c) for c in classes):
                layout.metas.append(el)
                continue
        if el.tag == "time" or el.get("data-role") == "publishdate":
            layout.metas.append(el)
        elif el.get("itemprop") == "articleBody":
            layout.bodies.append(el)
    h1s = [h for h in tree.iter("h1") if _visible_text(h)]
    if layout.title is None and h1s:
        # the first h1 outside header/sidebar boxes, else the first one
        layout.title = next((h for h in h1s if not _excluded_by(h)), h1s[0])
    for anchor in ([layout.title] if layout.title is not None else []) + layout.bodies[:1]:
        layout.keep += (anchor, *anchor.iterancestors())
    return layout


def _zone_problem(el: Any, layout: _Layout) -> str:
    outside = _excluded_by(el, layout.keep)
    if outside:
        return f"outside-article:{outside}"
    return "in-body" if _in_body(el, layout.bodies) else ""


def _from_time_elements(tree: Any, layout: _Layout, ctx: _Context) -> None:
    """time[datetime] elements in the article: the first accepted one (and the rejects before)."""
    for count, el in enumerate(tree.xpath("//time[@datetime]")):
        raw = el.get("datetime")
        if not raw.strip() or count >= 30:
            continue
        reason = _zone_problem(el, layout)
        ctx.add(
            "published",
            "time[datetime]",
            raw,
            parse_machine_date(raw, tz=ctx.tz, latest=ctx.latest),
            reason,
        )
        if ctx.candidates[-1].accepted:
            return


def _add_line(ctx: _Context, line: str, reason: str, *, slow: bool) -> None:
    """A visible date line; text after "Cập nhật" is the modification date."""
    split = UPDATED_RE.search(line)
    parts = [("published", line)]
    if split:
        parts = [("published", line[: split.start()]), ("modified", line[split.start() :])]
    for kind, text in parts:
        if DATEISH_RE.search(text):
            found = scan_text(text, ctx.fetched_at, ctx.tz_name, slow=slow and not reason)
            _add_text(ctx, kind, "text:vi", text, found, reason)


def _title_lines(layout: _Layout) -> Iterator[tuple[Any, str]]:
    """Short date-like lines around the title, up to where the body text starts."""
    title = layout.title
    if title is None or title.getparent() is None:
        return
    scope = title.getparent()
    if scope.getparent() is not None and scope.getparent().tag not in ("body", "html"):
        scope = scope.getparent()
    in_title = list(title.iter())  # "Giá vàng hôm nay 7/3/2026" dates the news, not the page
    seen_title = False
    for count, el in enumerate(scope.iter()):
        if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS:
            continue
        if any(el is t for t in in_title):
            seen_title = True
            continue
        body_starts = el.tag == "p" and len(el.text_content()) > 150
        if seen_title and (body_starts or _in_body(el, layout.bodies) or count > 2000):
            return
        if el.get("datetime"):
            continue
        if el.text and DATEISH_RE.search(el.text):
            yield el, el.text
        if el.tail and DATEISH_RE.search(el.tail) and el.getparent() is not None:
            yield el.getparent(), el.tail


def _from_text(layout: _Layout, ctx: _Context, *, offset_only: bool = False) -> None:
    seen = {c.raw for c in ctx.candidates}  # the profile selector may have read the line
    before = len(seen)
    # a time[datetime] is read by _from_time_elements; its text repeats it at best, and at
    # worst is today's date written by a script (the nhandan seed page: datetime 2015-01-15,
    # text "Thứ năm, 06/05/2021")
    lines = [
        (el, "", True) for el in layout.metas if not el.xpath("descendant-or-self::*[@datetime]")
    ]
    lines += [(el, fragment, False) for el, fragment in _title_lines(layout)]
    for el, fragment, is_meta in lines:
        line = _visible_text(el)
        if len(line) > _MAX_TEXT:
            line = clean_text(fragment)
        if not line or line in seen or not DATEISH_RE.search(line):
            continue
        if offset_only and not _OFFSET_WRITTEN.search(line):
            continue
        seen.add(line)
        _add_line(ctx, line, _zone_problem(el, layout), slow=is_meta)
        if len(seen) >= before + _MAX_TEXT_CANDIDATES:
            return


_OFFSET_WRITTEN = re.compile(r"\b(?:GMT|UTC)\s*[+-]\s*\d", re.I)
# Sources of dates the page states for machines (and which a CMS may rewrite on re-indexing).
_METADATA_SOURCES = ("jsonld:", "meta:", "time[datetime]")
# Sources of a date shown to readers next to the headline.
_VISIBLE_SOURCES = ("text:vi", "profile:selector", "layout:selector")


def _promote_update_date(ctx: _Context) -> None:
    """A page whose only date is labelled as an update ("Cập nhật: 08:15 16/01/2015"): that
    date is its publication date too (source ``text:updated``), better than a URL's day."""
    published = [c for c in ctx.candidates if c.kind == "published" and c.accepted]
    if any(c.source != "url" for c in published):
        return
    for c in ctx.candidates:
        if c.kind == "modified" and c.accepted and c.source == "text:vi" and c.value:
            ctx.add("published", "text:updated", c.raw, (c.value, c.precision or "minute"))
            return


def _prefer_visible(
    candidates: list[DateCandidate], best: DateCandidate | None
) -> DateCandidate | None:
    """The visible date near the headline beats metadata that is a modification date.

    Metadata (JSON-LD, meta tags, ``time[datetime]``) wins as a rule. It loses to an earlier
    date the page shows next to its headline (``text:vi`` or a selector's date, minute
    precision) when the metadata itself says its publication date is not the first one:
    it is later than the stated modification date (the CMS rewrote it when the page was
    re-indexed), or equal to it (one time written into both fields: the last update)."""
    if best is None or best.value is None or not best.source.startswith(_METADATA_SOURCES):
        return best
    modified = next(
        (
            c
            for c in candidates
            if c.kind == "modified" and c.accepted and c.value is not None
            and c.source.startswith(_METADATA_SOURCES)
        ),
        None,
    )  # fmt: skip
    if modified is None or modified.value is None:
        return best
    minute = timedelta(minutes=1)
    rewritten = best.value > modified.value + minute or abs(best.value - modified.value) < minute
    if not rewritten:
        return best
    for c in candidates:
        if (
            c.kind == "published"
            and c.accepted
            and c.value is not None
            and c.source.startswith(_VISIBLE_SOURCES)
            and _rank(c) >= 1
            and c.value < best.value - minute
        ):
            return c
    return best


def _from_hints(hints: dict[str, Any], ctx: _Context) -> None:
    for key, kind, source in (
        ("sitemap_published", "published", "sitemap:news"),
        ("feed_published", "published", "feed:pubDate"),
        ("sitemap_lastmod", "modified", "sitemap:lastmod"),
    ):
        raw = hints.get(key)
        if isinstance(raw, datetime):
            ctx.add(kind, source, raw.isoformat(), (as_aware(raw), "second"))
        elif isinstance(raw, str) and raw.strip():
            ctx.add(kind, source, raw, parse_machine_date(raw, tz=ctx.tz, latest=ctx.latest))


def _from_url(url: str, ctx: _Context) -> None:
    found = url_date(url)
    if found is not None:
        raw, day = found
        ctx.add("published", "url", raw, (datetime.combine(day, time(), ctx.tz), "day"))


def _from_htmldate(tree: Any, url: str, ctx: _Context, *, vietnamese: bool) -> None:
    """htmldate as a last resort (its own heuristics, many languages); day precision.

    On Vietnamese pages, whose layouts our rules know, its free-text search does not run (our
    text rules have read the article header) and a result that falls on the day of a date we
    rejected (header bar, related list, dateCreated …) is rejected too. Elsewhere htmldate's
    judgement is trusted over our position rules. A 1 January answer is rejected everywhere:
    it is what htmldate returns when it found only a year (3 of the 800 gold dates of its own
    evaluation set fall on 1 January).
    """
    from htmldate import find_date

    latest = (ctx.fetched_at + FUTURE_TOLERANCE).date().isoformat()
    rejected = {c.value.date() for c in ctx.candidates if c.value is not None and not c.accepted}
    if not vietnamese:
        rejected = set()
    modes = ((False, "htmldate:markup"), (True, "htmldate:extensive"))
    for search, source in modes[:1] if vietnamese else modes:
        try:
            raw = find_date(tree, url=url or None, original_date=True, extensive_search=search,
                            min_date="1995-01-01", max_date=latest)  # fmt: skip
        except Exception as exc:  # a third-party heuristic must not kill extraction
            logger.warning("htmldate failed on %s: %r", url, exc)
            return
        if raw:
            parsed = parse_machine_date(raw, tz=ctx.tz, latest=ctx.latest)
            day = parsed[0].date() if parsed else None
            reason = "rejected-elsewhere" if day in rejected else ""
            if day is not None and (day.month, day.day) == (1, 1):
                reason = "year-only"  # htmldate's answer when it found only a year
            ctx.add("published", source, raw, parsed, reason)
            return


# --- Choosing ------------------------------------------------------------------------------


def _rank(c: DateCandidate) -> int:
    rank = PRECISION_RANK.get(c.precision or "day", 0)
    if rank == 2 and c.value is not None and c.value.second == 0 and c.value.microsecond == 0:
        return 1
    return rank


def _agrees(c: DateCandidate, best: DateCandidate) -> bool:
    if c.value is None or best.value is None:
        return False
    if _rank(best) == 0:
        return c.value.astimezone(best.value.tzinfo).date() == best.value.date()
    return c.value.replace(second=0, microsecond=0) == best.value.replace(second=0, microsecond=0)


def _choose(candidates: list[DateCandidate], kind: str) -> DateCandidate | None:
    accepted = [c for c in candidates if c.kind == kind and c.accepted]
    if not accepted:
        return None
    best = accepted[0]
    for c in accepted[1:]:
        if _rank(c) > _rank(best) and _agrees(c, best):
            best = c
    return best


def _check_modified(candidates: list[DateCandidate], published: datetime) -> list[DateCandidate]:
    out = []
    for c in candidates:
        if (
            c.kind == "modified"
            and c.accepted
            and c.value
            and c.value < published - timedelta(minutes=1)
        ):
            c = DateCandidate(c.kind, c.source, c.raw, c.value, c.precision, False,
                              "before-published")  # fmt: skip
        out.append(c)
    return out


def find_dates(
    tree: lxml.html.HtmlElement,
    *,
    url: str,
    fetched_at: datetime,
    profile: SiteProfile | None = None,
    hints: dict[str, Any] | None = None,
    language: str = "vi",
) -> DateResult:
    """Publication and modification dates of an article page, with all candidates.

    With a profile that kept older layouts (``selector_history``), a page whose date falls in
    an older layout's time is read again with that layout's selectors.
    """
    result = _find_dates(tree, url, as_aware(fetched_at), profile, hints or {}, language)
    if profile is None or result.published is None:
        return result
    older = profile.selectors_for(result.published)
    current = profile.selectors
    if (older.published, older.modified) == (current.published, current.modified):
        return result
    old_profile = replace(profile, selectors=older, selector_history=())
    return _find_dates(tree, url, as_aware(fetched_at), old_profile, hints or {}, language)


def _find_dates(
    tree: Any,
    url: str,
    fetched_at: datetime,
    profile: SiteProfile | None,
    hints: dict[str, Any],
    language: str,
) -> DateResult:
    vietnamese = (language or "").lower().startswith("vi")
    tz_name = profile.timezone if profile else DEFAULT_TZ if vietnamese else "UTC"
    ctx = _Context(fetched_at, load_zone(tz_name), tz_name)
    layout = _layout(tree, profile, ctx)
    _from_profile(tree, profile, ctx)
    _from_jsonld(tree, ctx)
    _from_meta(tree, layout, ctx)
    _from_time_elements(tree, layout, ctx)
    # Visible date lines: on Vietnamese pages (or with a profile) all of them; elsewhere only
    # lines that state their offset ("January 5, 2025 | 07:30 pm GMT+7"), which cannot be
    # misread in the wrong timezone.
    _from_text(layout, ctx, offset_only=not (vietnamese or profile is not None))
    _from_hints(hints, ctx)
    _from_url(url, ctx)
    _promote_update_date(ctx)
    if _choose(ctx.candidates, "published") is None:
        _from_htmldate(tree, url, ctx, vietnamese=vietnamese)
    published = _prefer_visible(ctx.candidates, _choose(ctx.candidates, "published"))
    candidates = ctx.candidates
    if published is not None and published.value is not None:
        candidates = _check_modified(candidates, published.value)
    modified = _choose(candidates, "modified")
    return DateResult(
        published=published.value if published else None,
        published_source=published.source if published else None,
        published_precision=published.precision if published else None,
        modified=modified.value if modified else None,
        modified_source=modified.source if modified else None,
        modified_precision=modified.precision if modified else None,
        candidates=candidates,
    )
