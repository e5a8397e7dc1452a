"""What the page says about itself: ``<head>`` metadata, JSON-LD and generic markup.

:func:`read_meta` collects ``<meta>``, ``<link>``, JSON-LD and the declared language into a
:class:`PageMeta`; the ``extract_*`` functions read one record field each, the profile's
selector first, then JSON-LD / Open Graph / ``<meta>``, then generic markup. Also here: the
headline without its site-name segment, the canonical URL, the language, and the dates as the
metadata states them (the fallback when ``extraction.dates.find_dates`` fails on a page).
"""

from __future__ import annotations

import html as htmllib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from lxml.html import HtmlElement

from extraction.htmltree import first_text, header_values, node_text, select
from extraction.normalise import looks_vietnamese, normalise_line
from vnnews import jsonld
from vnnews.profiles import Selectors, SiteProfile
from vnnews.urlcanon import is_template_canonical

# === reading <head> and JSON-LD ===================================================================


@dataclass
class PageMeta:
    """What ``<head>`` and JSON-LD say about the page."""

    metas: dict[str, list[str]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    ld_objects: list[dict[str, Any]] = field(default_factory=list)
    html_lang: str = ""
    header_lang: str = ""
    base_href: str = ""

    def get(self, *keys: str) -> str:
        for key in keys:
            for value in self.metas.get(key, ()):
                if value.strip():
                    return value.strip()
        return ""

    def all(self, key: str) -> list[str]:
        return [v for v in self.metas.get(key, ()) if v.strip()]

    @property
    def article_ld(self) -> dict[str, Any]:
        for obj in self.ld_objects:
            if jsonld.is_article(obj):
                return obj
        return {}

    def ld_values(self, key: str) -> list[Any]:
        value = self.article_ld.get(key)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    @property
    def site_name(self) -> str:
        return self.get("og:site_name", "application-name")

    @property
    def is_article_typed(self) -> bool:
        return self.get("og:type").lower() == "article" or bool(self.article_ld)


def read_meta(tree: HtmlElement, headers: dict[str, list[str]] | None) -> PageMeta:
    """``<meta>`` (by property/name/itemprop/http-equiv), ``<link rel>``, JSON-LD objects
    (:func:`vnnews.jsonld.page_objects`), the declared languages and ``<base href>``."""
    meta = PageMeta()
    for node in tree.iter("meta"):
        key = node.get("property") or node.get("name") or node.get("itemprop") or ""
        key = key or (node.get("http-equiv") or "")
        if key and node.get("content") is not None:
            meta.metas.setdefault(key.strip().lower(), []).append(node.get("content", ""))
    for node in tree.iter("link"):
        rel = (node.get("rel") or "").lower().split()
        for name in rel:
            if node.get("href") and name not in meta.links:
                meta.links[name] = node.get("href", "")
    meta.ld_objects = jsonld.page_objects(tree)
    meta.html_lang = tree.get("lang") or tree.get("xml:lang") or ""
    header_langs = header_values(headers, "content-language")
    meta.header_lang = header_langs[0] if header_langs else meta.get("content-language")
    bases = tree.xpath("//base[@href]/@href")
    meta.base_href = str(bases[0]) if bases else ""
    return meta


def ld_name(value: Any) -> str:
    """A JSON-LD value as a name: a string, or the ``name`` of an object; "" otherwise."""
    if isinstance(value, dict):
        value = value.get("name") or ""
    return htmllib.unescape(str(value)) if isinstance(value, str | int) else ""


def split_list(values: Iterable[Any]) -> list[str]:
    """Strings (nested lists too) split on commas and semicolons; other values skipped."""
    out: list[str] = []
    for value in values:
        if isinstance(value, list):
            out.extend(split_list(value))
        elif isinstance(value, str):
            out.extend(part for part in re.split(r"\s*[,;]\s*", htmllib.unescape(value)) if part)
    return out


# === record fields =============================================================================

_SUFFIX_SEP = re.compile(r"\s+[-|–—:»·]\s+|\s*\|\s*")
_SITE_WORDS = re.compile(
    r"\b(báo|tạp chí|điện tử|online|news|tin tức|cổng thông tin)\b|\.(vn|com|net)\b", re.I
)
_LEAD_SELECTORS = (
    ".article__sapo",
    ".sapo",
    "h2.detail-sapo",
    ".detail-sapo",
    "[data-role=sapo]",
    ".sapo_detail",
    "p.description",
    ".singular-sapo",
)


@lru_cache(maxsize=1 << 14)
def fold(text: str) -> str:
    """Case-, accent- and punctuation-free form, for comparing names and headlines (memoised:
    a page compares the same few names and headlines with many candidates)."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d").replace("ð", "d"))
    return _NOT_WORD.sub("", decomposed)  # combining marks are \W too: accents go with them


_NOT_WORD = re.compile(r"[\W_]")


def strip_site_suffix(title: str, site_names: Iterable[str], sections: Iterable[str] = ()) -> str:
    """Drop a trailing (or leading) " - Báo Nhân Dân điện tử" / "| VnExpress" segment.

    A segment is the site's when it holds (or is held by) one of ``site_names`` (og:site_name,
    the host and its first label, the publisher...) or reads like an outlet name ("Báo …",
    "… Online", "….vn"). Once a site segment is gone, a short segment next to it that names
    one of ``sections`` (the page's categories) goes too: "… - Kinh doanh - Tuổi Trẻ Online"."""
    names = {fold(n) for n in site_names if n and len(fold(n)) >= 3}
    section_names = {fold(n) for n in sections if n and len(fold(n)) >= 3}
    parts = _SUFFIX_SEP.split(title)
    if len(parts) < 2:
        return title.strip()

    def is_site(segment: str) -> bool:
        folded = fold(segment)
        if not folded:
            return True
        short = len(segment.split()) <= SITE_SEGMENT_MAX_WORDS  # a headline may name the site
        if any((short and n in folded) or folded in n for n in names if len(folded) >= 3):
            return True
        return bool(_SITE_WORDS.search(segment)) and len(segment.split()) <= 6

    def is_section(segment: str) -> bool:
        return len(segment.split()) <= 5 and fold(segment) in section_names

    stripped = False
    while len(parts) > 1 and (is_site(parts[-1]) or (stripped and is_section(parts[-1]))):
        parts.pop()
        stripped = True
    site_tail = stripped
    stripped = False
    while len(parts) > 1 and (is_site(parts[0]) or (stripped and is_section(parts[0]))):
        parts.pop(0)
        stripped = True
    kept = title
    if parts:
        start = title.find(parts[0])
        end = title.rfind(parts[-1]) + len(parts[-1])
        kept = title[start:end] if 0 <= start < end else title
    tail = _SECTION_TAIL.search(kept) if site_tail else None
    if tail and len(tail.group(1).split()) <= 3 and len(kept[: tail.start()].split()) >= 5:
        # "Headline | Thời sự | Báo X": once the site is gone, a short "|" segment after a
        # long headline is a section, known or not ("|" rarely sits inside a headline)
        kept = kept[: tail.start()]
    return kept.strip()


SITE_SEGMENT_MAX_WORDS = 6  # "Báo điện tử Dân Trí", "VnExpress - Tin nhanh Việt Nam"
_SECTION_TAIL = re.compile(r"\s*[|»›]\s*([^|»›]{1,25})$")


def _is_person(value: Any) -> bool:
    """A JSON-LD author that is a person: a Person object, or a bare name."""
    return isinstance(value, str) or (isinstance(value, dict) and "person" in jsonld.types(value))


def known_site_names(meta: PageMeta, profile: SiteProfile | None, url: str) -> list[str]:
    """Names the site goes by (og:site_name, host, profile, JSON-LD publisher...)."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    author = meta.get("author")  # many sites write their own name there, some the reporter's
    people = {fold(ld_name(a)) for a in meta.ld_values("author") if _is_person(a)}
    if not author or fold(author) in people:
        author = meta.get("twitter:site", "copyright")
    names = [meta.site_name, author, host]
    names.append(host.split(".")[0] if host else "")
    if profile:
        names += [profile.publisher, profile.name, *profile.domains]
    publisher = meta.article_ld.get("publisher")
    names.append(ld_name(publisher))
    return [n for n in names if n]


def title_candidates(
    tree: HtmlElement,
    sel: Selectors,
    meta: PageMeta,
    names: list[str],
    sections: Iterable[str] = (),
) -> list[str]:
    """Headline candidates, best first, site-name segments removed (empty ones dropped).

    The profile's (or guessed layout's) title selector, og:title / twitter:title, the JSON-LD
    headline, the page's visible headline (:func:`visible_headline`: an ``h1`` that is not the
    logo, or a heading whose class says title, agreeing with what the page declares), then
    ``<title>`` with its site and section segments stripped."""
    headline = meta.ld_values("headline")
    declared = [
        meta.get("og:title", "twitter:title"),
        normalise_line(ld_name(headline[0])) if headline else "",
    ]
    page_title = first_text(tree, "title")
    sections = list(sections)
    references = [
        strip_site_suffix(htmllib.unescape(c), names, sections)
        for c in (*declared, page_title)
        if c
    ]
    candidates = [
        first_text(tree, sel.title),
        *declared,
        visible_headline(tree, names, references),
        page_title,
    ]
    return [strip_site_suffix(htmllib.unescape(c), names, sections) for c in candidates if c]


# Class/id words of an element holding a headline; of one holding the site's logo.
_HEADLINE_CLASS = re.compile(r"title|headline|tieu-?de|heading", re.I)
_LOGO_CLASS = re.compile(r"logo|brand|masthead|site-?name", re.I)
_NOT_HEADLINE_AREA = re.compile(r"relate|lien-?quan|xem-?them|tin-?khac|sidebar|footer|menu", re.I)


def _is_logo(node: HtmlElement, names: Iterable[str]) -> bool:
    """The element shows the site's name or logo (a site-wide ``h1`` on many CMSs)."""
    for el in (node, *node.iterdescendants()):
        if not isinstance(el.tag, str):
            continue
        tokens = f"{el.get('class') or ''} {el.get('id') or ''}"
        if _LOGO_CLASS.search(tokens):
            return True
        home = el.get("href") is not None and urlsplit(el.get("href") or "").path in ("", "/")
        if el.tag == "a" and home and len(node_text(node).split()) <= 6:
            return True  # a short heading that links to the home page
    text = fold(node_text(node))
    return not text or any(text == fold(n) for n in names if n)


_HEADLINE_ATTRIBUTES = ("class", "id", "itemprop", "data-role", "data-slot")


def visible_headline(tree: HtmlElement, names: Iterable[str], references: list[str]) -> str:
    """The headline as the page shows it: the first ``h1``, or element whose class says
    title (``.article-title``, ``.tieu-de``…), that is not the site's logo or name and sits
    outside related lists and page furniture; when the page declares its headline
    (og:title, JSON-LD, ``<title>``: ``references``), the first one agreeing with it."""
    names = list(names)
    headings: list[HtmlElement] = []
    for el in tree.iter():
        if el.tag != "h1" and el.tag not in ("h2", "h3", "div", "p", "span", "header"):
            continue
        if el.tag == "h1" or _HEADLINE_CLASS.search(
            " ".join(str(el.get(a) or "") for a in _HEADLINE_ATTRIBUTES)
        ):
            words = len(node_text(el).split())
            if 2 <= words <= 40 or el.tag == "h1":
                headings.append(el)
    usable = []
    for el in headings:
        chain = [el, *el.iterancestors()]
        furniture = any(
            a.tag in ("nav", "footer", "aside")
            or _NOT_HEADLINE_AREA.search(f"{a.get('class') or ''} {a.get('id') or ''}")
            for a in chain
        )
        if not furniture and not _is_logo(el, names):
            usable.append(el)
    refs = [fold(r) for r in references if len(r.split()) >= 2]
    for el in usable:
        text = fold(node_text(el))
        if not refs or any(text and (text == r or (len(text) >= 12 and text in r)) for r in refs):
            return node_text(el)
    return ""


def extract_title(tree: HtmlElement, sel: Selectors, meta: PageMeta, names: list[str]) -> str:
    candidates = title_candidates(tree, sel, meta, names)
    return candidates[0] if candidates else ""


def extract_lead(tree: HtmlElement, sel: Selectors, meta: PageMeta) -> tuple[str, bool]:
    """The sapo and whether it came from the page body (True) or from ``<meta>`` (False)."""
    for selector in (sel.lead, *_LEAD_SELECTORS):
        text = first_text(tree, selector)
        if text:
            return text, True
    return normalise_line(meta.get("description", "og:description")), False


def stated_descriptions(meta: PageMeta) -> list[str]:
    """What the page says its summary is: ``description``, ``og:description``,
    ``twitter:description`` and the JSON-LD article's ``description`` (one line each)."""
    found = [meta.get(key) for key in ("description", "og:description", "twitter:description")]
    found += [ld_name(value) for value in meta.ld_values("description")]
    return [normalise_line(htmllib.unescape(text)) for text in found if text]


def canonical_url(url: str, meta: PageMeta) -> str:
    """``rel=canonical``, else ``og:url``, else the URL; a template value is skipped
    (:func:`vnnews.urlcanon.is_template_canonical`)."""
    for candidate in (meta.links.get("canonical", ""), meta.get("og:url")):
        if not candidate.strip():
            continue
        parts = urlsplit(urljoin(url, candidate.strip()))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            continue
        if is_template_canonical(url, parts.geturl()):
            continue  # the home page or this URL without its id: a template default
        netloc = parts.netloc
        if (parts.scheme, parts.port) in (("https", 443), ("http", 80)):
            netloc = parts.hostname
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return url


def detect_language(meta: PageMeta, text: str) -> str:
    """Declared language (html lang, Content-Language, og:locale) checked against the text."""
    declared = ""
    for value in (meta.html_lang, meta.header_lang, meta.get("og:locale", "language")):
        code = value.strip().lower().replace("_", "-").split("-")[0].split(",")[0]
        if re.fullmatch(r"[a-z]{2,3}", code):
            declared = code
            break
    vietnamese = looks_vietnamese(text)
    if vietnamese:
        return "vi"
    if declared and declared != "vi":
        return declared
    # A page labelled "vi" (or unlabelled) whose text has no Vietnamese letters at all.
    if re.search(r"[A-Za-z]{3}", text) and not looks_vietnamese(text, threshold=0.005):
        return "en" if not declared or declared == "vi" else declared
    return declared or "vi"


def declared_language(meta: PageMeta, profile: SiteProfile | None) -> str:
    """The language before the body is read: the profile's, else the page's declaration."""
    if profile:
        return profile.language
    for value in (meta.html_lang, meta.header_lang, meta.get("og:locale")):
        code = value.strip().lower().replace("_", "-").split("-")[0]
        if re.fullmatch(r"[a-z]{2,3}", code):
            return code
    return "vi"


def extract_tags(tree: HtmlElement, sel: Selectors, meta: PageMeta) -> list[str]:
    for selector in (sel.tags, ".article__tag a", ".tags a", ".tag_detail a", "a[rel=tag]"):
        nodes = select(tree, selector)
        raw = [node_text(n) for n in nodes]
        if any(n.tag == "meta" for n in nodes):  # "a, b, c" in one content attribute
            raw = split_list(raw)
        found = [normalise_line(t).strip("#,;. ") for t in raw]
        if any(found):
            return [t for t in found if t]
    for source in (meta.all("article:tag"), meta.ld_values("keywords"), meta.all("news_keywords")):
        tags = split_list(source)
        if tags:
            return tags
    return split_list(meta.all("keywords"))


_HOME_WORDS = {"trangchu", "home", "trangchinh", "homepage"}


def extract_categories(tree: HtmlElement, sel: Selectors, meta: PageMeta) -> list[str]:
    selectors = (sel.categories, ".breadcrumb a", ".breadcrumbs a", ".bread-crumb-detail a")
    for selector in selectors:
        found = [normalise_line(node_text(n)) for n in select(tree, selector)]
        found = [c for c in found if c and fold(c) not in _HOME_WORDS]
        if found:
            return found
    for obj in meta.ld_objects:
        if "breadcrumblist" in jsonld.types(obj):
            items = obj.get("itemListElement") or []
            names = [
                ld_name(i.get("item") if "name" not in i else i)
                for i in items
                if isinstance(i, dict)
            ]
            names = [n for n in names if n and fold(n) not in _HOME_WORDS]
            if names:
                return names
    return split_list(meta.ld_values("articleSection")) or split_list(meta.all("article:section"))


# === dates as the metadata states them =========================================================


def metadata_dates(meta: PageMeta, timezone: str) -> dict[str, Any]:
    """Dates from JSON-LD and ``<meta>`` only: the fallback for a page on which
    ``extraction.dates.find_dates`` raised."""
    tz = ZoneInfo(timezone)
    result: dict[str, Any] = {
        "published": None,
        "published_source": None,
        "published_precision": None,
        "modified": None,
        "modified_source": None,
    }
    for kind, ld_key, meta_keys in (
        ("published", "datePublished", ("article:published_time", "datepublished")),
        ("modified", "dateModified", ("article:modified_time", "datemodified")),
    ):
        options = [(f"jsonld:{ld_key}", v) for v in meta.ld_values(ld_key)]
        options += [(f"meta:{k}", meta.get(k)) for k in meta_keys]
        for source, value in options:
            parsed = _parse_date(str(value or ""), tz)
            if parsed is not None:
                result[kind], result[f"{kind}_source"] = parsed[0].isoformat(), source
                if kind == "published":
                    result["published_precision"] = parsed[1]
                break
    return result


def _parse_date(value: str, tz: ZoneInfo) -> tuple[datetime, str] | None:
    value = re.sub(r"\s+([+-]\d\d:?\d\d|Z)$", r"\1", value.strip())
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    if "T" not in value and " " not in value:
        return parsed, "day"
    return parsed, "second" if re.search(r"\d\d:\d\d:\d\d", value) else "minute"
