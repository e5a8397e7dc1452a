"""Who wrote an article and where it came from: byline strings and attribution lines.

:func:`clean_author` turns a byline string into a person's name (or rejects it as an
organisation, a site name, a sentence); :func:`source_from_line` recognises a closing
"Theo X" / "Nguồn: X" line; :func:`is_closing_byline` a name line at the end of the body.
:func:`extract_authors` and :func:`extract_source` pick the record's ``authors`` and
``source`` from the profile, the body's closing lines, JSON-LD and generic byline markup.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterable
from typing import Any

from lxml.html import HtmlElement

from extraction.htmlmeta import PageMeta, fold, ld_name
from extraction.htmltree import first_text, node_text, select
from extraction.normalise import normalise_line
from vnnews import jsonld
from vnnews.profiles import Selectors
from vnnews.vocab import ORGANIZATION_TYPES

AUTHOR_PREFIX = re.compile(
    r"^(?:bài\s*(?:và|,|&)\s*ảnh|bài|tin\s*(?:và|,|&)\s*ảnh|tin|ảnh|video|clip|thực hiện|"
    r"tác giả|người viết|nhóm phóng viên|nhóm pv|phóng viên|by)\s*[:：\-–]?\s+",
    re.I,
)
# A line that opens with a byline prefix naming the writer (and photographer): "Tin, ảnh: X",
# "Bài và ảnh: X", "Tin và ảnh: X", "Bài, ảnh: X", "Bài: X - Ảnh: Y", "Tin: X", "Nhóm PV".
# Its "ảnh:" credits the reporter's own photos; it is a byline, never an image caption.
BYLINE_LINE = re.compile(
    r"^(?:(?:bài|tin)\s*(?:và|,|&|\+)\s*ảnh\s*[:：]|(?:bài|tin|thực hiện)\s*[:：]|"
    r"nhóm\s+(?:pv|phóng viên)\b)",
    re.I,
)
AUTHOR_NOTE = re.compile(r"\s*\((?:tổng hợp|lược dịch|biên dịch|dịch|theo [^)]*)\)\s*$", re.I)
_ORG_WORDS = re.compile(
    r"https?:|www\.|\.(vn|com|net|org)\b|@|\d|\b(báo|tạp chí|online|news|ttxvn|vccorp|"
    r"ban biên tập|tòa soạn|cổng thông tin|công ty|tổng hợp)\b",
    re.I,
)
# Bylines that name no one: "Nhóm PV" (the reporters' team), "PV", "Phóng viên".
_GROUPS = frozenset({"nhompv", "nhomphongvien", "pv", "phongvien"})
_SOURCE_LINE = re.compile(
    r"^\(?\s*(?:theo|nguồn)\s*:?\s+([^,;:!?()]{2,60}?|\S+\.(?:vn|com|net|org)\S*)\s*\)?\s*\.?$",
    re.I,
)


def source_from_line(text: str) -> str | None:
    """ "Theo Nhandan.vn", "(Theo TTXVN)", "Nguồn: Reuters" -> the source; None for a sentence
    such as "Theo đó, giá vàng tăng." or "Theo tôi thấy vậy" (the name must be capitalised)."""
    match = _SOURCE_LINE.match(text.strip())
    if not match:
        return None
    name = match.group(1).strip()
    domain = re.search(r"\.(vn|com|net|org)\b", name, re.I)
    if len(name.split()) > 8 or not (name[:1].isupper() or name[:1].isdigit() or domain):
        return None
    return name


_BYLINE_SELECTORS = (
    ".article__author .name",
    ".author-item-name",
    ".article-detail-author__main .name",
    ".detail-author .name",
    "[data-role=author]",
    "a[rel=author]",
    ".author",
    ".byline",
)


def clean_author(raw: str, site_names: Iterable[str] = ()) -> str | None:
    """A person's name from a byline string, or None when it is not one."""
    name = normalise_line(htmllib.unescape(raw))
    name = AUTHOR_NOTE.sub("", AUTHOR_PREFIX.sub("", name)).strip(" .,-–:")
    if not name or len(name) > 60 or len(name.split()) > 6:
        return None
    if name.lower().startswith("theo "):  # "Theo Hồ Hương": a person of the source paper
        return clean_author(name[5:], site_names)
    if _ORG_WORDS.search(name):
        return None
    folded = fold(name)
    if not folded or folded in _GROUPS or any(folded == fold(s) for s in site_names if s):
        return None
    return name


def _split_names(raw: str) -> list[str]:
    raw = AUTHOR_NOTE.sub("", AUTHOR_PREFIX.sub("", normalise_line(raw)))
    return [p for p in re.split(r"\s+[-–/&]\s+|\s*,\s*|\s+và\s+", raw) if p.strip()]


def extract_authors(
    tree: HtmlElement, sel: Selectors, meta: PageMeta, bylines: list[str], names: list[str]
) -> list[str]:
    """Profile byline > closing byline in the body > JSON-LD Person > generic byline markup."""
    candidates: list[list[str]] = []
    if sel.authors:
        candidates.append([node_text(n) for n in select(tree, sel.authors)])
    candidates.append(bylines)
    ld_people = [a for a in meta.ld_values("author") if not _is_org(a)]
    candidates.append([ld_name(a) for a in ld_people])
    candidates.append(meta.all("article:author") + meta.all("author"))
    for selector in _BYLINE_SELECTORS:
        candidates.append([n.text_content() for n in select(tree, selector)][:5])
    for group in candidates:
        authors: list[str] = []
        for raw in group:
            for part in _split_names(raw):
                name = clean_author(part, names)
                if name and name.casefold() not in {a.casefold() for a in authors}:
                    authors.append(name)
        if authors:
            return authors
    return []


def _is_org(value: Any) -> bool:
    return isinstance(value, dict) and bool(jsonld.types(value) & ORGANIZATION_TYPES)


def extract_source(tree: HtmlElement, sel: Selectors, meta: PageMeta, closing: str) -> str:
    """Attribution: a closing "Theo X"/"Nguồn: X" line, a source field, "Theo X" metadata."""
    if closing:
        return closing
    profile_source = getattr(sel, "source", "")
    for selector in (profile_source, "[data-field=source]", ".link-source-name", ".source-name"):
        text = first_text(tree, selector)
        named = source_from_line(text)
        if named:
            return named
        if text:
            return text
    for raw in [ld_name(a) for a in meta.ld_values("author")] + meta.all("article:author"):
        named = source_from_line(normalise_line(raw))
        if named and not clean_author(named):
            return named
    return ""


def is_closing_byline(text: str, *, emphasised: bool, vietnamese: bool) -> bool:
    """A closing "TRẦN HẢI" / "Bài và ảnh: MINH ANH" / "Hà Thu (tổng hợp)" / "Lê Phương".

    ``emphasised``: the line is bold or right-aligned (as bylines often are).
    """
    if len(text) > 60 or len(text.split()) > 8 or text.endswith((".", "?", "!", ":", ";")):
        return False
    if AUTHOR_PREFIX.match(text) or (vietnamese and AUTHOR_NOTE.search(text)):
        return True
    words = text.split()
    letters = [c for c in text if c.isalpha()]
    upper = bool(letters) and sum(c.isupper() for c in letters) >= 0.9 * len(letters)
    title_case = len(words) <= 4 and all(w[:1].isupper() for w in words)
    return vietnamese and (upper or emphasised or title_case) and len(words) <= 6
