"""Who wrote an article and where it came from: byline strings and attribution lines.

:func:`clean_author` turns a byline string into a person's name (or rejects it as an
organisation, a site name, a sentence); :func:`source_from_line` recognises a closing
"Theo X" / "Nguồn: X" line; :func:`is_closing_byline` a name line at the end of the body.
:func:`extract_authors` and :func:`extract_source` pick the record's ``authors`` and
``source`` from the profile, the body's closing lines, JSON-LD and generic byline markup.
"""

from __future__ import annotations

import html as htmllib
import itertools
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from extraction.htmlmeta import PageMeta, fold, ld_name
from extraction.htmltree import first_text, names_mention, node_text, select
from extraction.normalise import normalise_line
from vnnews import jsonld
from vnnews.profiles import Selectors
from vnnews.vocab import (
    ORGANIZATION_TYPES,
    OUTLET_NAMES,
    UI_LABELS,
    UI_LABELS_AMBIGUOUS,
)

AUTHOR_PREFIX = re.compile(
    r"^(?:bài\s*(?:và|,|&)\s*ảnh|bài|tin\s*(?:và|,|&)\s*ảnh|tin|ảnh|video|clip|thực hiện|"
    r"tác giả|người viết|nhóm phóng viên|nhóm pv|phóng viên|nhóm tác giả|nhóm thực hiện|"
    r"ghi chép|phóng sự|ký sự|tường thuật|đồ họa|đồ hoạ|biên dịch|lược dịch|"
    r"(?:bài|tin|ảnh|video|clip)\s*(?:,|và|&|\+)\s*(?:video|clip|ảnh)|by)\s*[:：\-–]?\s+",
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
AUTHOR_NOTE = re.compile(
    r"\s*\((?:tổng hợp|t/h|t\.h|th|lược dịch|biên dịch|dịch|theo [^)]*)\)\s*$", re.I
)
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


_UI_LABELS = sorted(UI_LABELS, key=len, reverse=True)
_UI_AMBIGUOUS = sorted(UI_LABELS_AMBIGUOUS, key=len, reverse=True)
_UI_SEP = " \t|·•,:;-–—/"


def _label_patterns(label: str) -> tuple[tuple[bool, re.Pattern[str]], ...]:
    """``label`` at the end of a line, then at its start (case-insensitive)."""
    sep, word = re.escape(_UI_SEP), re.escape(label)
    at_end = re.compile(rf"(?:^|(?<=[\s{sep}])){word}[{sep}]*$", re.I)
    at_start = re.compile(rf"^[{sep}]*{word}(?=[\s{sep}]|$)", re.I)
    return ((True, at_end), (False, at_start))


#: per label, longest first: (label, ambiguous, its patterns)
_UI_PATTERNS = [
    (label, label in _UI_AMBIGUOUS, _label_patterns(label)) for label in _UI_LABELS + _UI_AMBIGUOUS
]


def strip_ui_labels(text: str) -> str:
    """A source or byline line without the control labels glued to its ends ("Theo Đời sống
    Pháp luật Copy link" -> "Theo Đời sống Pháp luật"; :data:`vnnews.vocab.UI_LABELS`). An
    ambiguous label ("Lưu", a surname too) goes only next to another label or in lower case."""
    line = normalise_line(text)
    stripped = True
    removed = False
    while stripped and line:
        stripped = False
        for label, ambiguous, patterns in _UI_PATTERNS:
            for at_end, pattern in patterns:
                match = pattern.search(line)
                if not match:
                    continue
                if ambiguous and not removed and label not in match.group(0):
                    continue  # "Nguyễn Lưu": a name, not a button
                rest = (line[: match.start()] if at_end else line[match.end() :]).strip(_UI_SEP)
                if rest:
                    line, stripped, removed = rest, True, True
                    break
            if stripped:
                break
    return line


def is_outlet_name(name: str, site_names: Iterable[str] = ()) -> bool:
    """Does ``name`` name a news outlet or agency rather than a person?

    Yes when it is one of the site's names, in :data:`vnnews.vocab.OUTLET_NAMES`, a domain,
    written in capitals (TTXVN, VTV) or CamelCase (VnExpress), holds an organisation word, or
    holds a lower-case word (a person's name is capitalised word by word: "Đời sống Pháp
    luật" is an outlet, "Thế Duyệt" a person)."""
    name = name.strip(" .,-–:()")
    folded = fold(name)
    if not folded:
        return False
    if folded in _OUTLETS or any(folded == fold(s) for s in site_names if s):
        return True
    if _ORG_WORDS.search(name) or re.search(r"\.(vn|com|net|org)\b", name, re.I):
        return True
    words = name.split()
    letters = [c for c in name if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(words) == 1 and len(letters) <= 6:
        return True  # TTXVN, VTV, AFP
    if any(a.islower() and b.isupper() for w in words for a, b in itertools.pairwise(w)):
        return True  # VnExpress, VietNamNet, CafeF
    return any(w[:1].islower() for w in words if w[:1].isalpha())


_OUTLETS = frozenset(OUTLET_NAMES)


def split_attribution(text: str, site_names: Iterable[str] = ()) -> tuple[str | None, list[str]]:
    """A "Theo A/B" or "Theo A (B/C)" line naming a person and an outlet -> (outlet, [person]).

    "Theo Thế Duyệt/Đời sống Pháp luật" -> ("Đời sống Pháp luật", ["Thế Duyệt"]); "Theo Hà
    Thu (Reuters/AFP)" -> ("Reuters/AFP", ["Hà Thu"]); "Theo Reuters/AFP" (two outlets) ->
    ("Reuters/AFP", []). When neither part of "A/B" reads as an outlet, the last one is taken
    as the outlet (the usual order: reporter, then paper). (None, []) for any other line."""
    line = strip_ui_labels(text).strip().rstrip(".").strip()
    if line.startswith("(") and line.endswith(")"):
        line = line[1:-1].strip()
    match = re.match(r"^(?:theo|nguồn)\s*:?\s+(.{3,90})$", line, re.I)
    if not match:
        return None, []
    inner = match.group(1).strip()
    paren = re.match(r"^([^()]{2,60}?)\s*\(([^()]{2,60})\)$", inner)
    if paren:
        head, outlet = paren.group(1).strip(), paren.group(2).strip()
        outlet = re.sub(r"^(?:theo|nguồn)\s*:?\s+", "", outlet, flags=re.I)
        if not head[:1].isupper() or len(head.split()) > 6:
            return None, []
        if is_outlet_name(head, site_names):
            return head, []
        return outlet, [head]
    if "/" not in inner or re.search(r"https?:|www\.", inner):
        return None, []
    parts = [p.strip() for p in inner.split("/") if p.strip()]
    if len(parts) != 2 or any(len(p.split()) > 6 or not p[:1].isupper() for p in parts):
        return None, []
    outlets = [is_outlet_name(p, site_names) for p in parts]
    if all(outlets):
        return inner, []
    if outlets[0] and not outlets[1]:
        return parts[0], [parts[1]]
    return parts[1], [parts[0]]


def source_from_line(text: str) -> str | None:
    """ "Theo Nhandan.vn", "(Theo TTXVN)", "Nguồn: Reuters" -> the source; None for a sentence
    such as "Theo đó, giá vàng tăng." or "Theo tôi thấy vậy" (the name must be capitalised).
    "Theo A/B" and "Theo A (B)" lines name the outlet and the person (:func:`split_attribution`):
    the outlet is the source. Control labels glued to the line are dropped first."""
    text = strip_ui_labels(text)
    outlet, _ = split_attribution(text)
    if outlet:
        return outlet
    match = _SOURCE_LINE.match(text.strip())
    if not match:
        return _source_list(text.strip())
    name = match.group(1).strip()
    domain = re.search(r"\.(vn|com|net|org)\b", name, re.I)
    if len(name.split()) > 8 or not (name[:1].isupper() or name[:1].isdigit() or domain):
        return None
    return name


_SOURCE_LIST_LINE = re.compile(
    r"^\(?\s*(?:theo|nguồn)\s*:?\s+([^;:!?()]{3,60}?)\s*\)?\s*\.?$", re.I
)
_LIST_SEP = re.compile(r"\s*(?:,|/|&|\bvà\b)\s*")
MAX_SOURCES = 4  # "Theo Reuters, AFP, CNN": a few outlets, not a sentence


def _source_list(line: str) -> str | None:
    """ "Theo AFP, Reuters" -> "AFP, Reuters": two to MAX_SOURCES names, each capitalised and
    of at most four words ("Theo Bộ Y tế, số ca mắc giảm" is a sentence: None)."""
    match = _SOURCE_LIST_LINE.match(line)
    if not match:
        return None
    inner = match.group(1).strip()
    parts = [p for p in _LIST_SEP.split(inner) if p]
    if not 2 <= len(parts) <= MAX_SOURCES:
        return None
    if any(len(p.split()) > 4 or not (p[:1].isupper() or p[:1].isdigit()) for p in parts):
        return None
    return inner


def source_from_note(text: str) -> str | None:
    """The outlet of a byline's closing note: "Như Tâm (Theo AFP, Reuters)" -> "AFP, Reuters",
    "Hà Thu (theo Reuters)" -> "Reuters"; None without such a note."""
    note = re.search(r"\(((?:theo|nguồn)\b[^()]{2,70})\)\s*\.?$", text.strip(), re.I)
    if not note or note.start() == 0:
        return None
    return source_from_line(note.group(1))


_BYLINE_SELECTORS = (
    ".article__author .name",
    ".author-item-name",
    ".article-detail-author__main .name",
    ".detail-author .name",
    "[data-role=author]",
    "a[rel=author]",
    "[itemprop=author] [itemprop=name]",
    "[itemprop=author]:not(meta):not(link)",
    ".author",
    ".byline",
    # links to an author's page
    "a[href*='/tac-gia/'], a[href*='/author/'], a[href*='/authors/'], a[href*='/nhom-tac-gia/'],"
    " a[href*='/phong-vien/'], a[href*='/but-danh/'], a[href*='?author=']",
    # any element whose class says author or byline (author-name, detail-author, tac-gia…)
    "[class*=author-name], [class*=authorname], [class*=author_name], [class*=tac-gia],"
    " [class*=tacgia], [class*=byline], [class*=author]:not([class*=avatar])",
)


def clean_author(raw: str, site_names: Iterable[str] = ()) -> str | None:
    """A person's name from a byline string, or None when it is not one."""
    name = strip_ui_labels(htmllib.unescape(raw))
    name = AUTHOR_NOTE.sub("", AUTHOR_PREFIX.sub("", name)).strip(" .,-–:")
    note = re.search(r"\s*\(([^()]{1,40})\)$", name)
    if note and note.start() > 0:
        # "Đức Tám (TTXVN)", "Văn Tài (VOV-Tây Bắc)", "Hà An (Hà Nội)": an agency, desk or
        # place after the name is no part of it
        name = name[: note.start()].strip()
    if not name or len(name) > 60 or len(name.split()) > 6:
        return None
    if name.lower().startswith("theo "):  # "Theo Hồ Hương": a person of the source paper
        return clean_author(name[5:], site_names)
    if _ORG_WORDS.search(name) or fold(name) in _OUTLETS:
        return None
    words = name.split()
    if len(words) >= 3 and any(w[:1].islower() for w in words[1:]):
        return None  # "Đời sống Pháp luật": an outlet (names are capitalised word by word)
    folded = fold(name)
    if not folded or folded in _GROUPS or any(folded == fold(s) for s in site_names if s):
        return None
    return name


def _split_names(raw: str) -> list[str]:
    raw = AUTHOR_NOTE.sub("", AUTHOR_PREFIX.sub("", normalise_line(raw)))
    if re.search(r"https?:|www\.", raw, re.I):
        return [raw]  # a URL (rejected as a name), never split on its slashes
    if re.search(r"\.(?:vn|com|net|org)\b", raw, re.I):
        # "Lan Anh/VOV.VN", "Hải Yến - VOV.VN": a person and the outlet's domain
        return [p for p in re.split(r"\s*/\s*|\s+[-–]\s+", raw) if p.strip()]
    return [p for p in re.split(r"\s*/\s*|\s+[-–&]\s+|\s*,\s*|\s+và\s+", raw) if p.strip()]


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
            # "Theo Minh Anh (Tuổi Trẻ/TTXVN)", "Theo Minh Anh/VOV": the person, not the outlet
            outlet, people = split_attribution(normalise_line(raw), names)
            for part in people if outlet else _split_names(raw):
                name = clean_author(part, names)
                if name and name.casefold() not in {a.casefold() for a in authors}:
                    authors.append(name)
        if authors:
            return authors
    return []


def _is_org(value: Any) -> bool:
    return isinstance(value, dict) and bool(jsonld.types(value) & ORGANIZATION_TYPES)


def extract_source(
    tree: HtmlElement, sel: Selectors, meta: PageMeta, closing: str, names: Iterable[str] = ()
) -> str:
    """Attribution: a closing "Theo X"/"Nguồn: X" line, a source field, "Theo X" metadata,
    an ``author`` that names another outlet rather than a person (``itemprop=author`` or
    JSON-LD ``author`` holding "Tiền Phong", an Organization that is not this site)."""
    if closing:
        return closing
    names = list(names)
    profile_source = getattr(sel, "source", "")
    for selector in (profile_source, "[data-field=source]", ".link-source-name", ".source-name"):
        text = strip_ui_labels(first_text(tree, selector))
        named = source_from_line(text)
        if named:
            return named
        if text:
            return text
    for line in _byline_lines(tree, sel):
        named = byline_source(line, names)
        if named:
            return named
    named = _source_element(tree, names)
    if named:
        return named
    for raw in [ld_name(a) for a in meta.ld_values("author")] + meta.all("article:author"):
        named = source_from_line(normalise_line(raw))
        if named and not clean_author(named):
            return named
    for raw in _outlet_authors(tree, meta):
        name = strip_ui_labels(AUTHOR_PREFIX.sub("", raw)).strip(" .,-–:")
        own = any(fold(n) and fold(n) in fold(name) for n in names if len(fold(n)) >= 3)
        if len(name.split()) <= 8 and not own:
            return name
    return ""


_INLINE_BYLINE_TAGS = frozenset({"strong", "b", "em", "i", "span", "a"})
# class/id parts (split on spaces, "-", "_" and camelCase) of an element naming the source
_SOURCE_TOKEN = re.compile(r"^(source|nguon|nguontin)$", re.I)
_TOKEN_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
_SOURCE_CANDIDATES = (
    "//body//*["
    + " or ".join(
        f"contains(@{attr}, '{part}')"
        for attr in ("class", "id")
        for part in ("ource", "OURCE", "guon", "GUON")
    )
    + "]"
)  # a cheap XPath prefilter; the tokens decide
SOURCE_ELEMENT_MAX_CHARS = 60  # "Theo Kiến thức Đầu tư", "FILI": an outlet, not a sentence


def _source_element(tree: HtmlElement, names: Iterable[str]) -> str | None:
    """The outlet named by the one element whose class or id says source ("pSource",
    "article-source", "nguon-tin"): a short "Theo X"/"Nguồn: X" line or an outlet's name
    ("FILI" linking to fili.vn), not the site's own. Photo credits and figures are no source;
    a page with several different such texts (a sidebar labelling each item with its
    outlet) names none."""
    if not names_mention(tree, "source", "nguon"):
        return None
    own = {fold(n) for n in names if n}
    found: set[str] = set()
    for node in tree.xpath(_SOURCE_CANDIDATES):
        tokens = _TOKEN_SPLIT.split(f"{node.get('class') or ''} {node.get('id') or ''}")
        if not any(_SOURCE_TOKEN.match(t) for t in tokens if t):
            continue
        if node.tag in ("source", "figure", "figcaption", "img", "script", "style", "link"):
            continue
        text = strip_ui_labels(normalise_line(node.text_content()))
        if (
            not text
            or len(text) > SOURCE_ELEMENT_MAX_CHARS
            or re.match(r"(ảnh|photo)\b", text, re.I)
        ):
            continue
        if any(a.tag in ("figure", "figcaption") for a in node.iterancestors()):
            continue
        named = source_from_line(text) or (
            text if _outlet_like(text) and _links_out(node, text, own) else None
        )
        if named and fold(named) not in own:
            found.add(named)
    return found.pop() if len(found) == 1 else None


def _links_out(node: HtmlElement, text: str, own: set[str]) -> bool:
    """``node``'s text is the text of a link to another site (the outlet's page)."""
    for link in node.iter("a"):
        host = (urlsplit(str(link.get("href") or "").strip()).hostname or "").removeprefix("www.")
        if host and normalise_line(link.text_content()) == text:
            return fold(host) not in own and fold(host.split(".")[0]) not in own
    return False


def _outlet_like(text: str) -> bool:
    """A bare outlet name: a domain, or one to five words, capitalised, without sentence
    punctuation."""
    if _DOMAIN.fullmatch(text):
        return True
    if not 1 <= len(text.split()) <= 5 or re.search(r"[.!?,;:]", text):
        return False
    return text[:1].isupper() or text[:1].isdigit()


BYLINE_MAX_CHARS = 100  # a byline names a few people and an outlet, never a paragraph
_BYLINE_LINES = 6  # byline elements read for an attribution, in selector order


def _byline_lines(tree: HtmlElement, sel: Selectors) -> list[str]:
    """The texts of the page's byline elements: the profile's, then the generic byline markup
    (:data:`_BYLINE_SELECTORS`); an inline element stands for its line (its parent)."""
    lines: list[str] = []
    for selector in (sel.authors, *_BYLINE_SELECTORS):
        for node in select(tree, selector)[:3] if selector else ():
            parent = node.getparent()
            line = parent if node.tag in _INLINE_BYLINE_TAGS and parent is not None else node
            text = normalise_line(line.text_content())
            if text and len(text) <= BYLINE_MAX_CHARS and text not in lines:
                lines.append(text)
            if len(lines) >= _BYLINE_LINES:
                return lines
    return lines


def is_attribution_line(text: str) -> bool:
    """A line that is only an attribution or a prefixed byline: "Theo TTXVN", "Theo Minh
    Anh/VOV", "Nguồn: Reuters", "Tin, ảnh: Hoàng Hà", "Như Tâm (Theo AFP, Reuters)"."""
    return bool(
        BYLINE_LINE.match(text)
        or split_attribution(text)[0]
        or source_from_line(text)
        or source_from_note(text)
    )


_DOMAIN = re.compile(r"(?:[\w-]+\.)+(?:vn|com|net|org)", re.I)


def byline_source(line: str, site_names: Iterable[str] = ()) -> str | None:
    """The outlet a byline names beside its people, when it is not this site:
    "Theo Minh Anh/VOV" and "Theo Minh Anh (Tuổi Trẻ/TTXVN)" (:func:`split_attribution`),
    "Như Tâm (Theo AFP, Reuters)" (:func:`source_from_note`), and a person beside another
    outlet's domain: "Anh Hoa / baodautu.vn" -> "baodautu.vn" ("Lan Anh/VOV.VN" on vov.vn is
    the site's own reporter: None)."""
    names = list(site_names)
    outlet, _ = split_attribution(line, names)
    if outlet:
        return outlet
    named = source_from_note(line)
    if named:
        return named
    plain = strip_ui_labels(AUTHOR_PREFIX.sub("", line)).strip(" .")
    parts = [p for p in re.split(r"\s*/\s*|\s+[-–]\s+", plain) if p.strip()]
    if len(parts) != 2 or not _DOMAIN.fullmatch(parts[1]) or not clean_author(parts[0], names):
        return None
    own = {fold(n) for n in names if n}
    if fold(parts[1]) in own or fold(parts[1].split(".")[0]) in own:
        return None
    return parts[1]


def _outlet_authors(tree: HtmlElement, meta: PageMeta) -> list[str]:
    """``author`` values that name an outlet: JSON-LD Organization authors, and JSON-LD or
    ``itemprop=author`` names in :data:`vnnews.vocab.OUTLET_NAMES` or with an organisation
    word ("Báo Tiền Phong")."""
    found = [ld_name(a) for a in meta.ld_values("author") if _is_org(a)]
    raw = [ld_name(a) for a in meta.ld_values("author") if not _is_org(a)]
    raw += [node_text(n) for n in select(tree, "[itemprop=author]:not(meta):not(link)")][:3]
    for value in raw:
        name = normalise_line(value)
        if fold(name) in _OUTLETS or (name and _OUTLET_WORDS.search(name)):
            found.append(name)
    return [f for f in found if f]


_OUTLET_WORDS = re.compile(r"\b(báo|tạp chí|thông tấn|đài|truyền hình)\b|\.(vn|com|net)\b", re.I)


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
