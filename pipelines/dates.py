"""Publication and modification dates, with provenance (Vietnamese-aware).

``find_dates`` collects every date it can find as a ``DateCandidate`` (value, source,
precision, accepted or the reason it was rejected) and picks the best one per kind. Sources,
best first: the site profile's selector, JSON-LD, meta tags, ``time[datetime]`` in the article,
visible Vietnamese text in the article header, discovery hints (news sitemap, feed), the URL,
and htmldate's heuristics (``htmldate:*``, only run when nothing else was found).

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

import email.utils
import html
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import lxml.html
from cssselect import SelectorError

from spiders.profiles import SiteProfile

logger = logging.getLogger(__name__)

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
# A page fetched at T may carry a date up to a day later: server clocks drift, local time is
# sometimes labelled UTC (+7 h here), and sites east of us (UTC+14) are a day ahead. Anything
# later is not skew but a wrong date (an event date, a scheduled-post placeholder).
FUTURE_TOLERANCE = timedelta(days=1)
MIN_DATE = datetime(1995, 1, 1, tzinfo=UTC)  # no Vietnamese (or most other) news web before
PRECISION_RANK = {"day": 0, "minute": 1, "second": 2}

ARTICLE_TYPES = frozenset(
    {"Article", "NewsArticle", "ReportageNews", "BlogPosting", "AnalysisNewsArticle",
     "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle", "LiveBlogPosting",
     "Report", "ScholarlyArticle", "TechArticle", "SocialMediaPosting"}
)  # fmt: skip
# (attribute, value, source) in order of preference; the first two are the standard ones.
META_PUBLISHED = (
    ("property", "article:published_time", "meta:article:published_time"),
    ("itemprop", "datePublished", "meta:itemprop:datePublished"),
    ("property", "og:published_time", "meta:og:published_time"),
    ("name", "pubdate", "meta:pubdate"),
    ("name", "publishdate", "meta:publishdate"),
    ("name", "publish-date", "meta:publish-date"),
    ("name", "parsely-pub-date", "meta:parsely-pub-date"),
    ("name", "sailthru.date", "meta:sailthru.date"),
    ("name", "dc.date.issued", "meta:dc.date.issued"),
    ("name", "dcterms.date", "meta:dcterms.date"),
    ("name", "dc.date", "meta:dc.date"),
    ("name", "date", "meta:date"),
    ("name", "citation_publication_date", "meta:citation_publication_date"),
)
META_MODIFIED = (
    ("property", "article:modified_time", "meta:article:modified_time"),
    ("itemprop", "dateModified", "meta:itemprop:dateModified"),
    ("property", "og:updated_time", "meta:og:updated_time"),
    ("name", "lastmod", "meta:lastmod"),
)

# --- Text patterns (compiled once) ------------------------------------------------------

_WEEKDAY = (
    r"(?P<wd>th[ứư]\s*(?:hai|ba|t[ưu]|b[ốo]n|n[ăa]m|s[áa]u|b[ảẩa]y|[2-7])"
    r"|ch[ủu]\s*nh[ậa]t|\bcn\b|\bt[2-7]\b)"
)
_WEEKDAY_NUMBERS = {
    "hai": 0, "2": 0, "ba": 1, "3": 1, "tư": 2, "bốn": 2, "4": 2, "năm": 3, "5": 3,
    "sáu": 4, "6": 4, "bảy": 5, "bẩy": 5, "7": 5,
}  # fmt: skip
_DATE_RE = re.compile(
    r"(?<!\d)(?:"
    r"(?P<d>\d{1,2})(?P<sep>[/.\-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})"
    r"|(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})\s*,?\s*(?:năm\s+)?(?P<y2>\d{4})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2})"
    r")(?!\d)",
    re.I,
)
_TIME = (
    r"(?P<H>\d{1,2})\s*(?::|h|giờ)\s*(?P<M>\d{2})(?:\s*:\s*(?P<S>\d{2}))?"
    r"(?:\s*(?P<ap>am|pm|sa|ch)\b)?"
)
_SEPS = r"[\s,\-–—·|/]*"
_AFTER_TIME_RE = re.compile(rf"^{_SEPS}(?:lúc\s*|vào\s*)?{_TIME}(?!\d)", re.I)
_BEFORE_TIME_RE = re.compile(rf"(?<!\d){_TIME}{_SEPS}(?:ngày\s*)?$", re.I)
_WEEKDAY_BEFORE_RE = re.compile(rf"{_WEEKDAY}{_SEPS}(?:ngày\s*)?$", re.I)
_TZ_RE = re.compile(
    r"^\s*\(?\s*(?:GMT|UTC)\s*(?P<sign>[+-])\s*(?P<hh>\d{1,2})(?::?(?P<mm>\d{2}))?", re.I
)
_RELATIVE_RE = re.compile(r"(?P<n>\d+)\s*(?P<unit>giây|phút|giờ|tiếng|ngày|tuần)\s*trước", re.I)
_DAYWORD_RE = re.compile(r"hôm\s+(?P<w>nay|qua|kia)", re.I)
_DAYWORD_TIME_RE = re.compile(rf"(?<!\d){_TIME}(?!\d)", re.I)
_DATEISH_RE = re.compile(  # cheap test before the real patterns
    r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}|\d{4}-\d{1,2}-\d{1,2}|\d\s+tháng\s+\d"
    r"|\d\s*\S+\s+trước|hôm\s+(?:nay|qua|kia)",
    re.I,
)
_UPDATED_RE = re.compile(r"cập\s+nhật|updated?|sửa\s+đổi", re.I)
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
    re.I,
)
_URL_DATE_RES = (
    re.compile(r"/(?P<y>(?:19|20)\d\d)/(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/|$)"),
    re.compile(r"/(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)(?:[/_-]|$)"),
    re.compile(r"[-_/](?P<y>(?:19|20)\d\d)(?P<m>\d\d)(?P<d>\d\d)(?:\d{0,12})(?=[./_-]|$)"),
)
_WAYBACK_RE = re.compile(r"/web/\d{8,14}[a-z_]*/")

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


@dataclass(frozen=True)
class _TextDate:
    value: datetime
    precision: str
    weekday_ok: bool | None  # None: no weekday written


@dataclass
class _Context:
    fetched_at: datetime
    tz: tzinfo
    tz_name: str
    candidates: list[DateCandidate] = field(default_factory=list)

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


# --- Parsing -----------------------------------------------------------------------------


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown timezone %r, using %s", name, DEFAULT_TZ)
        return ZoneInfo(DEFAULT_TZ)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


def _unescape(raw: str) -> str:
    """Decode entities, also double-escaped ones (``&amp;#x2B;07:00``)."""
    for _ in range(3):
        if "&" not in raw:
            break
        raw = html.unescape(raw)
    return raw


def _offset(spec: str) -> tzinfo:
    if spec.upper() in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if spec[0] == "-" else 1
    digits = spec[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return _fixed(sign * (hours * 60 + minutes))


def _fixed(minutes: int) -> tzinfo:
    return timezone(timedelta(minutes=minutes))


def parse_machine_date(raw: str, *, tz: str | tzinfo = DEFAULT_TZ) -> tuple[datetime, str] | None:
    """ISO 8601 (also with a space before the offset), RFC 2822, or a numeric D/M/Y date."""
    zone = _zone(tz) if isinstance(tz, str) else tz
    text = _clean(_unescape(raw))
    m = _ISO_RE.match(text)
    if m:
        y, mo, d, hh, mi, ss, off = m.groups()
        try:
            value = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
        except ValueError:
            return None
        precision = "second" if ss else "minute" if hh else "day"
        return value.replace(tzinfo=_offset(off) if off else zone), precision
    if re.match(r"^[A-Za-z]{3},?\s+\d", text) or re.match(r"^\d{1,2}\s+[A-Za-z]{3}\s+\d{4}", text):
        try:
            value = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value, "second"
    found = _scan_absolute(text, zone)
    if found is None or found.weekday_ok is False:
        return None
    return found.value, found.precision


def _time_parts(m: re.Match[str]) -> tuple[int, int, int, bool] | None:
    hour, minute = int(m["H"]), int(m["M"])
    ap = (m["ap"] or "").lower()
    if ap in ("pm", "ch") and hour < 12:
        hour += 12
    elif ap in ("am", "sa") and hour == 12:
        hour = 0
    second = int(m["S"]) if m["S"] else 0
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second, bool(m["S"])


def _weekday_of(text: str) -> int | None:
    key = _clean(text).lower()
    if key.startswith(("chủ", "chu", "cn")):
        return 6
    word = re.sub(r"^(?:thứ|thư|t)\s*", "", key)
    return _WEEKDAY_NUMBERS.get(word)


def _leading_parts(before: str) -> tuple[tuple[int, int, int, bool] | None, int | None]:
    """Time and weekday written just before a date, in either order.

    "Thứ Năm, 08:15 ngày 16/01/2015", "Cập nhật lúc 07:02, Thứ sáu, 16/01/2015".
    """
    clock: tuple[int, int, int, bool] | None = None
    weekday: int | None = None
    for _ in range(2):
        wd = _WEEKDAY_BEFORE_RE.search(before) if weekday is None else None
        tm = _BEFORE_TIME_RE.search(before) if clock is None else None
        if wd:
            weekday, before = _weekday_of(wd["wd"]), before[: wd.start()]
        elif tm:
            clock, before = _time_parts(tm), before[: tm.start()]
        else:
            break
    return clock, weekday


def _scan_absolute(text: str, zone: tzinfo) -> _TextDate | None:
    """The first D/M/Y (or "ngày D tháng M năm Y", or Y-M-D) date in text, with its time."""
    for m in _DATE_RE.finditer(text):
        y = m["y"] or m["y2"] or m["y3"]
        mo = m["m"] or m["m2"] or m["m3"]
        d = m["d"] or m["d2"] or m["d3"]
        try:
            day = date(int(y), int(mo), int(d))
        except ValueError:
            continue
        before, after = text[max(0, m.start() - 40) : m.start()], text[m.end() : m.end() + 40]
        clock, written = _leading_parts(before)
        tail = after
        tm = _AFTER_TIME_RE.match(after)
        if tm:
            clock, tail = _time_parts(tm), after[tm.end() :]
        tzm = _TZ_RE.match(tail)
        tzinfo_ = zone
        if tzm:
            minutes = int(tzm["hh"]) * 60 + int(tzm["mm"] or 0)
            tzinfo_ = _fixed(-minutes if tzm["sign"] == "-" else minutes)
        weekday_ok = None if written is None else written == day.weekday()
        if clock is None:
            value = datetime.combine(day, time(0, 0), tzinfo_)
            return _TextDate(value, "day", weekday_ok)
        hour, minute, second, has_seconds = clock
        value = datetime.combine(day, time(hour, minute, second), tzinfo_)
        return _TextDate(value, "second" if has_seconds else "minute", weekday_ok)
    return None


def _scan_relative(text: str, fetched_at: datetime, zone: tzinfo) -> _TextDate | None:
    base = fetched_at.astimezone(zone)
    m = _RELATIVE_RE.search(text)
    if m:
        n, unit = int(m["n"]), m["unit"].lower()
        seconds = {"giây": 1, "phút": 60, "giờ": 3600, "tiếng": 3600, "ngày": 86400}.get(unit)
        delta = timedelta(weeks=n) if unit == "tuần" else timedelta(seconds=n * (seconds or 0))
        value = base - delta
        if unit in ("ngày", "tuần"):
            return _TextDate(datetime.combine(value.date(), time(0, 0), zone), "day", None)
        return _TextDate(value.replace(second=0, microsecond=0), "minute", None)
    m = _DAYWORD_RE.search(text)
    if m:
        back = {"nay": 0, "qua": 1, "kia": 2}[m["w"].lower()]
        day = base.date() - timedelta(days=back)
        tm = _DAYWORD_TIME_RE.search(text)
        clock = _time_parts(tm) if tm else None
        if clock is None:
            return _TextDate(datetime.combine(day, time(0, 0), zone), "day", None)
        return _TextDate(datetime.combine(day, time(clock[0], clock[1]), zone), "minute", None)
    return None


def _scan_dateparser(text: str, fetched_at: datetime, tz_name: str) -> _TextDate | None:
    """Slow fallback for short texts our patterns do not know."""
    if len(text) > 80 or not re.search(r"\b(?:19|20)\d\d\b", text):
        return None
    from dateparser.date import DateDataParser

    zone = _zone(tz_name)
    settings: Any = {
        "DATE_ORDER": "DMY",
        "TIMEZONE": tz_name,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "RELATIVE_BASE": fetched_at.astimezone(zone).replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
    }
    try:
        data = DateDataParser(languages=["vi"], settings=settings).get_date_data(text)
    except (ValueError, TypeError, OverflowError):
        return None
    if data.date_obj is None or data.period not in ("day", "time"):
        return None
    value = data.date_obj
    if "time" in (getattr(data, "parts", None) or ()) or data.period == "time":
        return _TextDate(value.replace(second=0, microsecond=0), "minute", None)
    return _TextDate(datetime.combine(value.date(), time(0, 0), zone), "day", None)


def _scan_text(
    text: str, fetched_at: datetime, tz_name: str, *, slow: bool = True
) -> _TextDate | None:
    text = _clean(text)
    zone = _zone(tz_name)
    found = _scan_absolute(text, zone) or _scan_relative(text, fetched_at, zone)
    if found is None and slow:
        found = _scan_dateparser(text, fetched_at, tz_name)
    return found


def parse_vietnamese_date(
    text: str, *, fetched_at: datetime, tz: str = DEFAULT_TZ
) -> tuple[datetime, str] | None:
    """The first date in a Vietnamese date line, as (aware datetime, precision).

    Relative dates count from ``fetched_at``. None when no date is found, or when a written
    weekday disagrees with the date.
    """
    found = _scan_text(text, _aware(fetched_at), tz)
    if found is None or found.weekday_ok is False:
        return None
    return found.value, found.precision


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


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
    return _clean(" ".join(parts))


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


def _select(tree: Any, selector: str, ctx: _Context, what: str) -> list[Any]:
    try:
        return list(tree.cssselect(selector))
    except (SelectorError, ValueError) as exc:
        logger.warning("bad %s selector %r: %s", what, selector, exc)
        ctx.add("published", "profile:selector", selector, None, f"bad selector: {exc}")
        return []


def _element_date(el: Any, ctx: _Context) -> tuple[str, _TextDate | None]:
    for attr in ("datetime", "content"):
        raw = el.get(attr)
        if raw and raw.strip():
            parsed = parse_machine_date(raw, tz=ctx.tz)
            found = _TextDate(parsed[0], parsed[1], None) if parsed else None
            return raw, found
    text = _visible_text(el)
    if not text:
        return text, None
    parsed = parse_machine_date(text, tz=ctx.tz) if text[:1].isdigit() else None
    if parsed is not None:
        return text, _TextDate(parsed[0], parsed[1], None)
    return text, _scan_text(text, ctx.fetched_at, ctx.tz_name)


def _add_text(ctx: _Context, kind: str, source: str, raw: str, found: _TextDate | None,
              reason: str = "") -> None:  # fmt: skip
    if found is not None and found.weekday_ok is False and not reason:
        reason = "weekday-mismatch"
    ctx.add(kind, source, raw, (found.value, found.precision) if found else None, reason)


# --- Sources -------------------------------------------------------------------------------


def _from_profile(tree: Any, profile: SiteProfile | None, ctx: _Context) -> None:
    if profile is None:
        return
    for kind, selector in (("published", profile.selectors.published),
                           ("modified", profile.selectors.modified)):  # fmt: skip
        if not selector:
            continue
        for el in _select(tree, selector, ctx, kind)[:5]:
            raw, found = _element_date(el, ctx)
            if raw.strip():
                _add_text(ctx, kind, "profile:selector", raw, found)


def _walk_jsonld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk_jsonld(item)
    elif isinstance(data, dict):
        types = data.get("@type")
        names = types if isinstance(types, list) else [types]
        if any(isinstance(n, str) and n.split("/")[-1] in ARTICLE_TYPES for n in names):
            yield data
        for key, value in data.items():
            if key != "@type" and isinstance(value, dict | list):
                yield from _walk_jsonld(value)


def _load_jsonld(text: str) -> Any:
    text = text.strip().removeprefix("<!--").removesuffix("-->").strip()
    for candidate in (text, _unescape(text)):
        try:
            return json.loads(candidate, strict=False)
        except ValueError:
            continue
    logger.debug("unparsable JSON-LD block (%d chars)", len(text))
    return None


def _from_jsonld(tree: Any, ctx: _Context) -> None:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        for obj in _walk_jsonld(_load_jsonld(script.text)):
            for kind, key in (("published", "datePublished"), ("modified", "dateModified")):
                raw = obj.get(key)
                if isinstance(raw, list) and raw:
                    raw = raw[0]
                if isinstance(raw, str) and raw.strip():
                    ctx.add(kind, f"jsonld:{key}", raw, parse_machine_date(raw, tz=ctx.tz))
            created = obj.get("dateCreated")
            if isinstance(created, str) and created.strip():  # kept only to be seen rejected
                parsed = parse_machine_date(created, tz=ctx.tz)
                ctx.add("published", "jsonld:dateCreated", created, parsed, "not-publication")


def _from_meta(tree: Any, layout: _Layout, ctx: _Context) -> None:
    first: dict[tuple[str, str], Any] = {}
    for el in tree.xpath("//meta | //*[@itemprop]"):
        for attr in ("property", "itemprop", "name"):
            value = (el.get(attr) or "").strip().lower()
            if value and (el.get("content") or el.get("datetime") or "").strip():
                first.setdefault((attr, value), el)
    for kind, table in (("published", META_PUBLISHED), ("modified", META_MODIFIED)):
        for attr, name, source in table:
            el = first.get((attr, name.lower()))
            if el is None:
                continue
            raw = el.get("content") or el.get("datetime")
            outside = _excluded_by(el, layout.keep)
            reason = f"outside-article:{outside}" if outside else ""
            ctx.add(kind, source, raw, parse_machine_date(raw, tz=ctx.tz), reason)


@dataclass
class _Layout:
    """Where the article's parts are: title, body containers, date/meta boxes."""

    title: Any = None
    bodies: list[Any] = field(default_factory=list)
    metas: list[Any] = field(default_factory=list)
    keep: tuple[Any, ...] = ()  # the title, the first body and their ancestors


def _layout(tree: Any, profile: SiteProfile | None, ctx: _Context) -> _Layout:
    layout = _Layout()
    if profile is not None:
        if profile.selectors.title:
            titles = _select(tree, profile.selectors.title, ctx, "title")
            layout.title = titles[0] if titles else None
        if profile.selectors.body:
            layout.bodies = _select(tree, profile.selectors.body, ctx, "body")
    for el in tree.iter():  # one cheap pass: most elements fail the first test
        cls = el.get("class") if isinstance(el.tag, str) else None
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
        ctx.add("published", "time[datetime]", raw, parse_machine_date(raw, tz=ctx.tz), reason)
        if ctx.candidates[-1].accepted:
            return


def _add_line(ctx: _Context, line: str, reason: str, *, slow: bool) -> None:
    """A visible date line; text after "Cập nhật" is the modification date."""
    split = _UPDATED_RE.search(line)
    parts = [("published", line)]
    if split:
        parts = [("published", line[: split.start()]), ("modified", line[split.start() :])]
    for kind, text in parts:
        if _DATEISH_RE.search(text):
            found = _scan_text(text, ctx.fetched_at, ctx.tz_name, slow=slow and not reason)
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
        if el.text and _DATEISH_RE.search(el.text):
            yield el, el.text
        if el.tail and _DATEISH_RE.search(el.tail) and el.getparent() is not None:
            yield el.getparent(), el.tail


def _from_text(layout: _Layout, ctx: _Context) -> None:
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
            line = _clean(fragment)
        if not line or line in seen or not _DATEISH_RE.search(line):
            continue
        seen.add(line)
        _add_line(ctx, line, _zone_problem(el, layout), slow=is_meta)
        if len(seen) >= before + _MAX_TEXT_CANDIDATES:
            return


def _from_hints(hints: dict[str, Any], ctx: _Context) -> None:
    for key, kind, source in (
        ("sitemap_published", "published", "sitemap:news"),
        ("feed_published", "published", "feed:pubDate"),
        ("sitemap_lastmod", "modified", "sitemap:lastmod"),
    ):
        raw = hints.get(key)
        if isinstance(raw, datetime):
            ctx.add(kind, source, raw.isoformat(), (_aware(raw), "second"))
        elif isinstance(raw, str) and raw.strip():
            ctx.add(kind, source, raw, parse_machine_date(raw, tz=ctx.tz))


def _from_url(url: str, ctx: _Context) -> None:
    path = url.split("?", 1)[0].split("#", 1)[0]
    path = path.split("://", 1)[-1].partition("/")[2]
    path = _WAYBACK_RE.sub("/", "/" + path)  # a Wayback timestamp is a capture time
    for pattern in _URL_DATE_RES:
        for m in pattern.finditer(path):
            try:
                day = date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                continue
            ctx.add("published", "url", m.group(0), (datetime.combine(day, time(), ctx.tz), "day"))
            return


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
            parsed = parse_machine_date(raw, tz=ctx.tz)
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
    result = _find_dates(tree, url, _aware(fetched_at), profile, hints or {}, language)
    if profile is None or result.published is None:
        return result
    older = profile.selectors_for(result.published)
    current = profile.selectors
    if (older.published, older.modified) == (current.published, current.modified):
        return result
    old_profile = replace(profile, selectors=older, selector_history=())
    return _find_dates(tree, url, _aware(fetched_at), old_profile, hints or {}, language)


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
    ctx = _Context(fetched_at, _zone(tz_name), tz_name)
    layout = _layout(tree, profile, ctx)
    _from_profile(tree, profile, ctx)
    _from_jsonld(tree, ctx)
    _from_meta(tree, layout, ctx)
    _from_time_elements(tree, layout, ctx)
    if vietnamese or profile is not None:
        _from_text(layout, ctx)
    _from_hints(hints, ctx)
    _from_url(url, ctx)
    if _choose(ctx.candidates, "published") is None:
        _from_htmldate(tree, url, ctx, vietnamese=vietnamese)
    published = _choose(ctx.candidates, "published")
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
