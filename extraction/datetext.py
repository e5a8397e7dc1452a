"""Dates written as text: Vietnamese date lines and machine-readable values.

``parse_vietnamese_date`` reads the first date in a visible date line; ``parse_machine_date``
reads the values markup carries (JSON-LD, meta tags, ``time[datetime]``, sitemaps, feeds).
Which candidates are read, where on the page, and which one wins is decided in
``extraction.dates``.

Forms read in visible text:

* D/M/Y with ``/``, ``.`` or ``-`` ("06/05/2021"), "ngày D tháng M năm Y", and Y-M-D;
* a time before or after the date ("08:15 ngày 16/01/2015", "16/01/2015 - 07:02", "7h30",
  "19 giờ 05", with am/pm or sa/ch), and an explicit offset after it ("(GMT+7)");
* a weekday before the date ("Thứ năm", "Chủ nhật", "T5", "CN"), in either order with the
  time ("Cập nhật lúc 07:02, Thứ sáu, 16/01/2015");
* relative dates: "2 giờ trước", "5 phút trước", "3 ngày trước", "1 tuần trước", and
  "hôm nay" / "hôm qua" / "hôm kia" (with a time, if one is written);
* anything else short that carries a year, through dateparser (slow; callers may skip it).

Policies:

* Every value is timezone-aware: a value written without an offset is read in the zone given
  (``DEFAULT_TZ``, ``Asia/Ho_Chi_Minh``, +07:00, unless told otherwise); an explicit offset
  is kept.
* A weekday written next to a date must agree with it. The scan reports the disagreement
  (``TextDate.weekday_ok``); the public parsers return None for such a date.
* Relative dates count from ``fetched_at``, never from now; hours/minutes give "minute"
  precision (approximate), days/weeks "day".
"""

from __future__ import annotations

import email.utils
import html
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

logger = logging.getLogger(__name__)

DEFAULT_TZ = "Asia/Ho_Chi_Minh"

# --- Text patterns (compiled once) ------------------------------------------------------

_WEEKDAY = (
    r"(?P<wd>th[ứư]\s*(?:hai|ba|t[ưu]|b[ốo]n|n[ăa]m|s[áa]u|b[ảẩa]y|[2-7])"
    r"|ch[ủu]\s*nh[ậa]t|\bcn\b|\bt[2-7]\b)"
)
_WEEKDAY_NUMBERS = {
    "hai": 0, "2": 0, "ba": 1, "3": 1, "tư": 2, "bốn": 2, "4": 2, "năm": 3, "5": 3,
    "sáu": 4, "6": 4, "bảy": 5, "bẩy": 5, "7": 5,
}  # fmt: skip
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_NAME = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE_RE = re.compile(
    r"(?<!\d)(?:"
    r"(?P<d>\d{1,2})(?P<sep>[/.\-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2}(?![.:]?\d))"
    r"|(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})\s*,?\s*(?:năm\s+)?(?P<y2>\d{4})"
    r"|(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2})"
    rf"|\b(?P<mn4>{_MONTH_NAME})\.?\s+(?P<d4>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(?P<y4>\d{{4}})"
    rf"|(?P<d5>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mn5>{_MONTH_NAME})\.?\s*,?\s+(?P<y5>\d{{4}})"
    r")(?!\d)",
    re.I,
)
# A time: "08:15", "8h30", "19 giờ 05", "21 giờ 05 phút", a whole hour ("17h", "11 giờ"), with
# am/pm (sa/ch) or a part of the day after it ("8:00 tối", "3h30 chiều", "7 giờ 30 sáng", "11
# giờ đêm"): chiều/tối/đêm are after noon (PM).
_TIME = (
    r"(?P<H>\d{1,2})\s*(?:(?::|h|giờ)\s*(?P<M>\d{2})(?:\s*phút)?|(?:h|giờ)(?![\w:]))"
    r"(?:\s*:\s*(?P<S>\d{2}))?"
    r"(?:\s*(?P<ap>am|pm|a\.m\.|p\.m\.|sa|ch)(?![\w]))?"
    r"(?:\s*,?\s*(?P<period>sáng|trưa|chiều|tối|đêm)(?!\w))?"
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
DATEISH_RE = re.compile(  # cheap test before the real patterns
    r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}|\d\s+tháng\s+\d"
    r"|\d\s*\S+\s+trước|hôm\s+(?:nay|qua|kia)"
    rf"|\b{_MONTH_NAME}\.?\s+\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTH_NAME}\b",
    re.I,
)
UPDATED_RE = re.compile(r"cập\s+nhật|updated?|sửa\s+đổi", re.I)
_ISO_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
    re.I,
)


@dataclass(frozen=True)
class TextDate:
    """A date read from text, with its precision and whether a written weekday agrees."""

    value: datetime
    precision: str
    weekday_ok: bool | None  # None: no weekday written


# --- Helpers -----------------------------------------------------------------------------


def load_zone(name: str) -> tzinfo:
    """The named timezone; ``DEFAULT_TZ`` (with a warning) when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown timezone %r, using %s", name, DEFAULT_TZ)
        return ZoneInfo(DEFAULT_TZ)


def clean_text(text: str) -> str:
    """NFC-normalised text with runs of whitespace (and no-break spaces) as one space."""
    text = unicodedata.normalize("NFC", text).replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


def unescape_entities(raw: str) -> str:
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


def as_aware(value: datetime) -> datetime:
    """value, read as UTC when it carries no timezone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- Machine-readable values -------------------------------------------------------------


def parse_machine_date(
    raw: str, *, tz: str | tzinfo = DEFAULT_TZ, latest: datetime | None = None
) -> tuple[datetime, str] | None:
    """ISO 8601 (also with a space before the offset), RFC 2822, or a numeric D/M/Y date.

    A numeric value with AM/PM and no offset ("7/3/2026 9:40:00 AM", what .NET writes for the
    en-US culture) is month first; any other is day first unless its middle number cannot be
    a month (``_scan_absolute``), or unless read day first it would be later than ``latest``
    (the capture) and month first it is not: "11/12/2026 08:15:00" in metadata captured on
    1 December 2026 is 12 November."""
    zone = load_zone(tz) if isinstance(tz, str) else tz
    text = clean_text(unescape_entities(raw))
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
    us_clock = re.fullmatch(
        r"\d{1,2}/\d{1,2}/\d{4},?\s+\d{1,2}:\d{2}(?::\d{2})?\s*[AP]M", text, re.I
    )
    found = _scan_absolute(text, zone, month_first=bool(us_clock))
    if found is not None and latest is not None and not us_clock and found.value > latest:
        swapped = _scan_absolute(text, zone, month_first=True)
        if swapped is not None and swapped.value <= latest:
            found = swapped
    if found is None or found.weekday_ok is False:
        return None
    return found.value, found.precision


# --- Visible text ------------------------------------------------------------------------


def _time_parts(m: re.Match[str]) -> tuple[int, int, int, bool] | None:
    hour, minute = int(m["H"]), int(m["M"] or 0)
    ap = (m["ap"] or "").lower().replace(".", "")
    period = (m["period"] or "").lower()
    if ap in ("pm", "ch") and hour < 12:
        hour += 12
    elif ap in ("am", "sa") and hour == 12:
        hour = 0
    elif not ap and period in ("chiều", "tối") and hour < 12:
        hour += 12  # "3:30 chiều" is 15:30, "8:00 tối" 20:00
    elif not ap and period == "trưa" and 1 <= hour <= 3:
        hour += 12  # "1h trưa" is 13:00
    elif not ap and period == "đêm" and hour == 12:
        hour = 0  # "12h đêm" is midnight; "11h đêm" is 23 only when written 23h
    elif not ap and period == "đêm" and 7 <= hour <= 11:
        hour += 12
    second = int(m["S"]) if m["S"] else 0
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second, bool(m["S"])


def _weekday_of(text: str) -> int | None:
    key = clean_text(text).lower()
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


def _scan_absolute(text: str, zone: tzinfo, *, month_first: bool = False) -> TextDate | None:
    """The first D/M/Y (or "ngày D tháng M năm Y", Y-M-D, "January 5, 2025", "5 Jan 2025")
    date in text, with its time. A two-digit year is this century's. D/M/Y is read M/D/Y when
    the middle number cannot be a month ("07/19/2026"), or when ``month_first`` says the value
    is in US order."""
    for m in _DATE_RE.finditer(text):
        y = m["y"] or m["y2"] or m["y3"] or m["y4"] or m["y5"]
        name = (m["mn4"] or m["mn5"] or "").lower()
        mo = str(_MONTHS[name[:4] if name[:4] == "sept" else name[:3]]) if name else ""
        mo = mo or m["m"] or m["m2"] or m["m3"]
        d = m["d"] or m["d2"] or m["d3"] or m["d4"] or m["d5"]
        year = int(y)
        if len(y) == 2:  # "07/03/26": 2026 (years 70-99 are the 1900s)
            year += 2000 if year < 70 else 1900
        if m["d"] and int(mo) > 12 >= int(d):
            d, mo = mo, d  # "07/19/2026": month first (US order); no month is above 12
        elif m["d"] and month_first and int(d) <= 12:
            d, mo = mo, d  # a machine value in US order ("7/3/2026 9:40:00 AM")
        try:
            day = date(year, int(mo), int(d))
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
            return TextDate(value, "day", weekday_ok)
        hour, minute, second, has_seconds = clock
        value = datetime.combine(day, time(hour, minute, second), tzinfo_)
        return TextDate(value, "second" if has_seconds else "minute", weekday_ok)
    return None


def _scan_relative(text: str, fetched_at: datetime, zone: tzinfo) -> TextDate | None:
    base = fetched_at.astimezone(zone)
    m = _RELATIVE_RE.search(text)
    if m:
        n, unit = int(m["n"]), m["unit"].lower()
        seconds = {"giây": 1, "phút": 60, "giờ": 3600, "tiếng": 3600, "ngày": 86400}.get(unit)
        delta = timedelta(weeks=n) if unit == "tuần" else timedelta(seconds=n * (seconds or 0))
        value = base - delta
        if unit in ("ngày", "tuần"):
            return TextDate(datetime.combine(value.date(), time(0, 0), zone), "day", None)
        return TextDate(value.replace(second=0, microsecond=0), "minute", None)
    m = _DAYWORD_RE.search(text)
    if m:
        back = {"nay": 0, "qua": 1, "kia": 2}[m["w"].lower()]
        day = base.date() - timedelta(days=back)
        tm = _DAYWORD_TIME_RE.search(text)
        clock = _time_parts(tm) if tm else None
        if clock is None:
            return TextDate(datetime.combine(day, time(0, 0), zone), "day", None)
        return TextDate(datetime.combine(day, time(clock[0], clock[1]), zone), "minute", None)
    return None


def _scan_dateparser(text: str, fetched_at: datetime, tz_name: str) -> TextDate | None:
    """Slow fallback for short texts our patterns do not know."""
    if len(text) > 80 or not re.search(r"\b(?:19|20)\d\d\b", text):
        return None
    from dateparser.date import DateDataParser

    zone = load_zone(tz_name)
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
        return TextDate(value.replace(second=0, microsecond=0), "minute", None)
    return TextDate(datetime.combine(value.date(), time(0, 0), zone), "day", None)


def scan_text(
    text: str, fetched_at: datetime, tz_name: str, *, slow: bool = True
) -> TextDate | None:
    """The first date in text: absolute, else relative, else (if slow) dateparser's reading.

    Unlike ``parse_vietnamese_date``, a date whose written weekday disagrees is returned, with
    ``weekday_ok`` False, so that the caller can record why it rejects it.
    """
    text = clean_text(text)
    zone = load_zone(tz_name)
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
    found = scan_text(text, as_aware(fetched_at), tz)
    if found is None or found.weekday_ok is False:
        return None
    return found.value, found.precision
